// hmacSigSwaggerUi's requestInterceptor without a browser: a Swagger UI `system` holding the
// Authorize dialog's values, requests shaped as Swagger UI hands them over, each signed
// request checked by the core's Verifier. (tests/e2e/js/swagger-ui.test.mjs drives the real
// page in Chromium.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { hmacsig, swaggerUi } from "../testing/package.mjs";

const { HmacSigError, Scheme, Verifier } = hmacsig;
const { hmacSigSwaggerUi } = swaggerUi;

const KEY_ID = "swagger-client";
const SECRET = "swagger-secret";
const NOW = 1_796_000_000;

/** The options with their plugin given a Swagger UI system whose dialog holds `value`. */
function withDialog(options, value, name = "hmacsig") {
  const signing = hmacSigSwaggerUi({ now: () => NOW, ...options });
  const authorized = { getIn: ([scheme, field]) => (scheme === name && field === "value" && value ? new Map(Object.entries(value)) : undefined) };
  const current = { authSelectors: { authorized: () => authorized } };
  signing.plugins[0]({ getSystem: () => current });
  return signing;
}

const basic = `Basic ${btoa(`${KEY_ID}:${SECRET}`)}`;
const order = () => ({
  url: "http://127.0.0.1:8000/orders?b=2&a=1",
  method: "POST",
  headers: { accept: "*/*", "Content-Type": "application/json", Authorization: basic },
  body: '{"item":"book"}',
});

function verify(schemeOptions, request, secret = SECRET) {
  const url = new URL(request.url);
  const verifier = Verifier.withKeys(new Scheme(schemeOptions), { [KEY_ID]: secret });
  const headers = [...Object.entries(request.headers), ["Host", url.host]];
  const target = verifier.signsAbsoluteUrl ? url.href : `${url.pathname}${url.search}`;
  return verifier.verify(request.method, target, headers, request.body ?? "", NOW + 1);
}

test("the default scheme is timestamped; the Basic header of the dialog is replaced by the signature", () => {
  const signed = withDialog({}, { username: KEY_ID, password: SECRET }).requestInterceptor(order());
  assert.equal(signed.headers.Authorization, undefined);
  assert.ok(!JSON.stringify(signed).includes(SECRET));
  assert.equal(signed.headers["X-Request-Timestamp"], String(NOW));
  assert.match(signed.headers["X-Request-Signature"], /^[A-Za-z0-9+/]{43}=$/);
  assert.equal(signed.url, "http://127.0.0.1:8000/orders?b=2&a=1");
  assert.equal(verify({ name: "timestamped" }, signed), KEY_ID);
  assert.throws(() => verify({ name: "timestamped" }, signed, "another-secret"), (e) => e instanceof HmacSigError && e.kind === "bad_signature");
});

test("any scheme the page configures: rfc9421, aws-sigv4, kong-hmac (x-date), hawk (the absolute URL)", () => {
  const schemes = [
    { name: "rfc9421", components: ["@method", "@authority", "@target-uri", "content-type"], contentDigest: "sha-256" },
    { name: "aws-sigv4", region: "eu-west-1", service: "execute-api", signBody: true },
    { name: "kong-hmac", headers: ["x-date", "@request-target"] },
    { name: "hawk", payloadHash: true },
  ];
  for (const scheme of schemes) {
    const signed = withDialog({ scheme }, { username: KEY_ID, password: SECRET }).requestInterceptor(order());
    assert.equal(verify(scheme, signed), KEY_ID, scheme.name);
  }
});

test("not authorized yet, or the spec itself: sent as it is", () => {
  const unsigned = withDialog({}, null).requestInterceptor(order());
  assert.deepEqual(unsigned, order());
  const spec = { url: "http://127.0.0.1:8000/openapi.json", loadSpec: true, headers: {} };
  assert.deepEqual(withDialog({}, { username: KEY_ID, password: SECRET }).requestInterceptor({ ...spec }), spec);
  // Another security scheme's dialog is not ours.
  assert.deepEqual(withDialog({}, { username: KEY_ID, password: SECRET }, "other").requestInterceptor(order()), order());
});

test("what a browser cannot send as signed is a typed error, never a request signed otherwise", () => {
  const apiAuth = withDialog({ scheme: { name: "api-auth", digest: "sha256" } }, { username: KEY_ID, password: SECRET });
  assert.throws(() => apiAuth.requestInterceptor(order()), (e) => e instanceof HmacSigError && e.kind === "unsupported" && /Date/.test(e.message));
  const form = { ...order(), body: new FormData() };
  assert.throws(
    () => withDialog({}, { username: KEY_ID, password: SECRET }).requestInterceptor(form),
    (e) => e instanceof HmacSigError && e.kind === "invalid_request",
  );
});
