// HTTP helpers over the core (Node >= 20 and browsers for `signingFetch`, Node for undici's
// interceptor and the server side): what is signed is what goes on the wire, and a refused
// request learns its error kind and nothing more.

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

const encoder = new TextEncoder();

/**
 * `node:http`/`node:https` request options for `url`, signed: pass them to `http.request`
 * and send exactly `body` with `req.end(body)`. Signs `options.method` (default GET), the
 * URL's path and query as written (hawk: the absolute URL), `options.headers` (an object),
 * `Host` as Node writes it (the URL's host, default port left out) and `body` (a string,
 * meaning its UTF-8, or bytes). A presigned or bewit URL replaces the path. Browser-safe:
 * it imports nothing from Node.
 */
export function signedRequestOptions(signer, url, options = {}, body = "", { now } = {}) {
  const where = new URL(url);
  const method = options.method ?? "GET";
  const headers = { ...(options.headers ?? {}) };
  const lines = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => [name, String(v)]) : [[name, String(value)]]));
  if (!lines.some(([name]) => name.toLowerCase() === "host")) lines.push(["Host", where.host]);
  const path = `${where.pathname}${where.search}`;
  const target = signer.signsAbsoluteUrl ? `${where.origin}${path}` : path;
  const signed = signer.sign(method, target, lines, body, now?.());
  for (const [name, value] of signed.headers) {
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    headers[name] = value;
  }
  let sentPath = path;
  if (signed.url !== undefined) sentPath = signed.url.includes("://") ? `${new URL(signed.url).pathname}${new URL(signed.url).search}` : signed.url;
  return { ...options, protocol: where.protocol, hostname: where.hostname.replace(/^\[|\]$/g, ""), port: where.port || undefined, path: sentPath, method, headers };
}

// The headers of undici's dispatch options as [name, value] lines, in order, in every form
// undici takes: a flat [name, value, ...] array, an array of pairs, an iterable of pairs
// (Map, Headers) or an object; an array value is one line each, null is "" (as undici).
function undiciHeaderLines(headers) {
  const lines = [];
  const add = (name, value) => {
    if (value === undefined) return;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === "object" && v !== null) throw new TypeError(`invalid ${name} header`);
      lines.push([String(name), v === null ? "" : String(v)]);
    }
  };
  if (headers === undefined || headers === null) return lines;
  const proto = Object.getPrototypeOf(headers);
  if (Array.isArray(headers) && !Array.isArray(headers[0])) {
    for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
  } else if (Object.hasOwn(headers, Symbol.iterator) || (proto !== null && proto !== Object.prototype && typeof headers[Symbol.iterator] === "function")) {
    for (const [name, value] of headers) add(name, value);
  } else {
    for (const name of Object.keys(headers)) add(name, headers[name]);
  }
  return lines;
}

// The bytes undici sends for a body it sends whole; a body it would stream cannot be
// signed as sent.
function undiciBody(body) {
  if (body === undefined || body === null) return new Uint8Array();
  if (typeof body === "string") return encoder.encode(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new HmacSigError(
    "invalid_request",
    "signingInterceptor signs a body given whole (a string, Buffer, Uint8Array or ArrayBuffer); undici would stream this one (a stream, an iterable, FormData or a Blob), so it cannot be signed as sent: read it into a Buffer first",
  );
}

// `query` as undici serializes it (node:querystring's stringify), folded into the path.
function withQuery(path, query) {
  if (query === undefined || query === null) return path;
  if (path.includes("?") || path.includes("#")) throw new TypeError('Query params cannot be passed when url already contains "?" or "#".');
  const text = (v) => (typeof v === "string" ? v : (typeof v === "number" && Number.isFinite(v)) || typeof v === "bigint" || typeof v === "boolean" ? String(v) : "");
  const parts = [];
  for (const key of Object.keys(query)) {
    const name = encodeURIComponent(text(key));
    const values = Array.isArray(query[key]) ? query[key] : [query[key]];
    for (const v of values) parts.push(`${name}=${encodeURIComponent(text(v))}`);
  }
  return parts.length > 0 ? `${path}?${parts.join("&")}` : path;
}

/**
 * An undici interceptor that signs each request as undici sends it:
 * `new Agent().compose(signingInterceptor(signer))`. It signs the method, `path` as given
 * (with `query` folded in; order kept; hawk: the absolute URL), the header lines in order,
 * `Host` from `origin` unless a Host header is given, and the body's bytes. A body undici
 * would stream is refused with `HmacSigError` `invalid_request` and nothing is sent.
 */
export function signingInterceptor(signer, { now } = {}) {
  return (dispatch) => (opts, handler) => {
    if (opts.origin === undefined || opts.origin === null) {
      throw new TypeError("signingInterceptor needs the request's origin: compose it on an Agent, or give `origin` with each request");
    }
    const origin = new URL(opts.origin);
    const path = withQuery(opts.path, opts.query);
    const body = undiciBody(opts.body);
    const lines = undiciHeaderLines(opts.headers);
    const signedLines = lines.some(([name]) => name.toLowerCase() === "host") ? lines : [...lines, ["host", origin.host]];
    const target = signer.signsAbsoluteUrl && path.startsWith("/") ? `${origin.origin}${path}` : path;
    const signed = signer.sign(opts.method, target, signedLines, body, now?.());
    const replaced = new Set(signed.headers.map(([name]) => name.toLowerCase()));
    const headers = [];
    for (const [name, value] of lines) if (!replaced.has(name.toLowerCase())) headers.push(name, value);
    for (const [name, value] of signed.headers) headers.push(name, value);
    let sentPath = path;
    if (signed.url !== undefined) {
      if (signed.url.startsWith(`${origin.origin}/`)) sentPath = signed.url.slice(origin.origin.length);
      else if (signed.url.includes("://")) sentPath = `${new URL(signed.url).pathname}${new URL(signed.url).search}`;
      else sentPath = signed.url;
    }
    const { query: _query, ...rest } = opts;
    return dispatch({ ...rest, path: sentPath, headers }, handler);
  };
}

function refuse(res, error) {
  answer(res, httpStatus(error.kind), `${error.kind}: ${REFUSALS[error.kind] ?? "the request was refused"}`);
}

function answer(res, status, text) {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(text);
}

/**
 * Verifies each request of a Node HTTP server before `next(req, res)` runs: reads the body
 * (up to `maxBodyBytes`, else 413, at once when `Content-Length` says so), verifies the
 * method, the target as received (Express: `req.originalUrl`; hawk: `http[s]://Host/target`),
 * the header lines as received and the body, then sets `req.hmacsigKeyId` and `req.body`
 * (the verified bytes, a Buffer). A refusal answers 401, 403 or 503 with `<kind>: <fixed
 * sentence>` and does not call `next`. Paths in `passPaths` go through unverified. A body
 * another middleware has already read cannot be verified: 500.
 */
export function verifying(verifier, next, { maxBodyBytes = 1 << 20, passPaths = [] } = {}) {
  const pass = new Set(passPaths);
  const tooLarge = `the request body is larger than ${maxBodyBytes} bytes`;
  return function (req, res, ...rest) {
    if (pass.has(req.url.split("?")[0])) return next(req, res, ...rest);
    if (req.readableEnded) return answer(res, 500, "the request body was read before hmacsig could verify it");
    const declared = req.headers["content-length"];
    if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > maxBodyBytes) return answer(res, 413, tooLarge);
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > maxBodyBytes) return answer(res, 413, tooLarge);
      const body = Buffer.concat(chunks);
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
      let target = req.originalUrl ?? req.url;
      if (verifier.signsAbsoluteUrl && req.headers.host) target = `${req.socket.encrypted ? "https" : "http"}://${req.headers.host}${target}`;
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

/**
 * Express middleware: `app.use(expressMiddleware(verifier, options))`, before any body
 * parser. `req.body` is the verified raw Buffer: `express.json()` after it leaves it as it is
 * (body-parser sees the stream already read), so parse it with `JSON.parse(req.body)`.
 */
export function expressMiddleware(verifier, options) {
  return verifying(verifier, (req, res, next) => next(), options);
}
