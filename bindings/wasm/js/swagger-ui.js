// Swagger UI signs "Try it out" requests in the browser with the WebAssembly core: the key
// id and secret come from the Authorize dialog, a requestInterceptor signs each request as
// Swagger UI will send it. The secret never leaves the page: the Basic header Swagger UI
// builds from the dialog is removed before the request goes out.
//
//   import { hmacSigSwaggerUi } from "hmacsig/swagger-ui";
//   SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", ...hmacSigSwaggerUi() });
//
// The OpenAPI document declares the dialog's fields as an `http` `basic` security scheme
// (username: key id, password: secret), named `hmacsig` unless `securityScheme` says
// otherwise: Swagger UI's dialog offers two fields for `basic` only.

import { HmacSigError, Scheme, Signer } from "./index.js";

// Headers a page cannot set (the Fetch standard's forbidden request-header names that a
// scheme might write): the browser would drop them silently and the server would refuse.
const FORBIDDEN = new Set(["date", "host", "content-length", "cookie", "origin", "referer", "connection"]);

/**
 * The Swagger UI options that sign every "Try it out" request: `{ plugins, requestInterceptor }`,
 * to spread into `SwaggerUIBundle({...})`.
 *
 * - `scheme`: the scheme's options as for `new Scheme(...)` (default: timestamped, the seed's);
 * - `securityScheme`: the name of the `basic` security scheme whose dialog holds the key id
 *   (username) and secret (password) (default `hmacsig`);
 * - `now`: a clock for tests (Unix seconds).
 *
 * A request made before the dialog is filled goes out unsigned (the server answers 401). A
 * request that cannot be signed as the browser will send it (a multipart body, a scheme that
 * needs `Date`) fails with an HmacSigError, whose message Swagger UI shows.
 */
export function hmacSigSwaggerUi({ scheme = { name: "timestamped" }, securityScheme = "hmacsig", now } = {}) {
  const signingScheme = new Scheme(scheme);
  let system = null;
  let cached = null; // { keyId, secret, signer }: a new signer only when the dialog changes

  function credentials() {
    // The system the plugin was given may be an early one: ask it for the current one.
    const live = typeof system?.getSystem === "function" ? system.getSystem() : system;
    const authorized = live?.authSelectors?.authorized?.();
    const value = authorized?.getIn?.([securityScheme, "value"]);
    const keyId = value?.get?.("username");
    const secret = value?.get?.("password");
    if (typeof keyId !== "string" || keyId === "" || typeof secret !== "string") return null;
    return { keyId, secret };
  }

  function signerFor({ keyId, secret }) {
    if (cached?.keyId !== keyId || cached?.secret !== secret) {
      cached?.signer.free();
      cached = { keyId, secret, signer: new Signer(signingScheme, keyId, secret) };
    }
    return cached.signer;
  }

  function requestInterceptor(request) {
    if (request.loadSpec) return request; // the OpenAPI document itself
    const found = credentials();
    if (found === null) return request;
    const headers = request.headers ?? {};
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === "authorization" && String(headers[name]).startsWith("Basic ")) delete headers[name];
    }
    const body = request.body ?? "";
    if (typeof body !== "string" && !(body instanceof Uint8Array)) {
      throw new HmacSigError("invalid_request", "hmacsig cannot sign this body as the browser will send it (a form or file); send it as text");
    }
    const url = new URL(request.url, globalThis.location?.href);
    const signer = signerFor(found);
    const pairs = Object.entries(headers).map(([name, value]) => [name, String(value)]);
    // The browser sends Host itself: sign the one it will send.
    if (!pairs.some(([name]) => name.toLowerCase() === "host")) pairs.push(["Host", url.host]);
    const target = signer.signsAbsoluteUrl ? `${url.origin}${url.pathname}${url.search}` : `${url.pathname}${url.search}`;
    const signed = signer.sign(request.method, target, pairs, body, now?.());
    for (const [name] of signed.headers) {
      if (FORBIDDEN.has(name.toLowerCase())) {
        throw new HmacSigError(
          "unsupported",
          `the ${scheme.name} scheme signs the ${name} header, which a browser does not let a page set; choose a scheme that dates requests in its own header (timestamped, aws-sigv4, rfc9421, hawk)`,
        );
      }
    }
    for (const [name, value] of signed.headers) {
      for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
      headers[name] = value;
    }
    request.headers = headers;
    if (signed.url !== undefined) request.url = signed.url.includes("://") ? signed.url : `${url.origin}${signed.url}`;
    return request;
  }

  // The plugin only keeps Swagger UI's `system`, where the dialog's values are.
  const plugin = (pluginSystem) => {
    system = pluginSystem;
    return {};
  };
  return { plugins: [plugin], requestInterceptor };
}
