// HTTP helpers over the core (Node >= 20 and browsers for `signingFetch`, Node for the
// server side): what is signed is what goes on the wire, and a refused request learns its
// error kind and nothing more.

import { HmacSigError, httpStatus } from "./index.js";

/** The fixed sentence of a refusal's body, per kind (the Python middleware's table). */
export const REFUSALS = {
  invalid_request: "the request cannot be verified as sent",
  missing_authorization: "the request carries no credentials",
  malformed_authorization: "the credentials header cannot be read",
  unknown_key: "the key id is not known",
  bad_signature: "the signature does not match",
  stale: "the request is too old",
  future: "the request is dated too far in the future",
  body_mismatch: "the body does not match what was signed",
  digest_not_allowed: "the algorithm is not accepted",
  missing_signed_header: "a required header is missing or not signed",
  replayed: "this request was already received",
  unsupported: "the request uses an option the server does not support",
  key_lookup_failed: "the server could not check the credentials, try again later",
};

/**
 * A `fetch` that signs each request with `signer` as it will be sent: the method, the
 * path and query as the URL serializes them (hawk: the absolute URL), every header the
 * request has (`Content-Type` included: fetch's default for a text body is set first, so it
 * is signed), `Host` as fetch sends it, and the body's bytes (read once, then sent as those
 * bytes). Redirects are not followed unless `init.redirect` says so: a signature covers one
 * request, and the next hop is the caller's to sign.
 */
export function signingFetch(signer, { fetch: base = globalThis.fetch, now } = {}) {
  return async function (input, init = {}) {
    const request = new Request(input, { redirect: "manual", ...init });
    const url = new URL(request.url);
    const body = request.body === null ? new Uint8Array() : new Uint8Array(await request.arrayBuffer());
    const headers = [...request.headers];
    if (!request.headers.has("host")) headers.push(["host", url.host]);
    const target = signer.signsAbsoluteUrl ? `${url.origin}${url.pathname}${url.search}` : `${url.pathname}${url.search}`;
    const signed = signer.sign(request.method, target, headers, body, now?.());
    const sent = new Headers(request.headers);
    for (const [name, value] of signed.headers) sent.set(name, value);
    const where = signed.url === undefined ? url.href : signed.url.includes("://") ? signed.url : `${url.origin}${signed.url}`;
    return base(where, {
      method: request.method,
      headers: sent,
      body: body.length > 0 ? body : undefined,
      redirect: request.redirect,
      signal: request.signal,
    });
  };
}

function refuse(res, error) {
  const status = httpStatus(error.kind);
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(`${error.kind}: ${REFUSALS[error.kind] ?? "the request was refused"}`);
}

/**
 * Verifies each request of a Node HTTP server before `next(req, res)` runs: reads the body
 * (up to `maxBodyBytes`, else 413), verifies the method, the target as received (hawk:
 * `http[s]://Host/target`), the header lines as received and the body, then sets
 * `req.hmacsigKeyId` and `req.body` (a Buffer). A refusal answers 401, 403 or 503 with
 * `<kind>: <fixed sentence>` and does not call `next`. Paths in `passPaths` go through
 * unverified. Express: `app.use(verifying(verifier, (req, res, next) => next()))` style, or
 * `expressMiddleware` below.
 */
export function verifying(verifier, next, { maxBodyBytes = 1 << 20, passPaths = [] } = {}) {
  const pass = new Set(passPaths);
  return function (req, res, ...rest) {
    if (pass.has(req.url.split("?")[0])) return next(req, res, ...rest);
    const chunks = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > maxBodyBytes) over = true;
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (over) {
        res.writeHead(413, { "Content-Type": "text/plain; charset=utf-8" });
        res.end(`the request body is larger than ${maxBodyBytes} bytes`);
        return;
      }
      const body = Buffer.concat(chunks);
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
      let target = req.url;
      if (verifier.signsAbsoluteUrl && req.headers.host) target = `${req.socket.encrypted ? "https" : "http"}://${req.headers.host}${req.url}`;
      let keyId;
      try {
        keyId = verifier.verify(req.method, target, headers, body);
      } catch (error) {
        if (error instanceof HmacSigError) return refuse(res, error);
        throw error;
      }
      req.hmacsigKeyId = keyId;
      req.body = body;
      next(req, res, ...rest);
    });
  };
}

/** Express middleware: `app.use(expressMiddleware(verifier, options))`. */
export function expressMiddleware(verifier, options) {
  return verifying(verifier, (req, res, next) => next(), options);
}
