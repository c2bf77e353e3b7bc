// expressMiddleware in Express itself (5.x), over real HTTP on 127.0.0.1: the same statuses
// and bodies as the Python middleware (401, 403, 413, 503, pass paths), `req.hmacsigKeyId`
// and `req.body` in the route, and body parsers after and before it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, test } from "node:test";
import express from "express";
import { hmacsig, http } from "../testing/package.mjs";

const { HmacSigError, Scheme, Signer, Verifier } = hmacsig;
const { expressMiddleware, signingFetch } = http;

const KEY_ID = "client-7";
const SECRET = "s3cr3t-for-tests";
const LIMIT = 256;
const scheme = new Scheme({ name: "api-auth", digest: "sha256" });
const verifier = Verifier.withKeys(scheme, { [KEY_ID]: SECRET });
const fetchSigned = signingFetch(new Signer(scheme, KEY_ID, SECRET));
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const TIMEOUT = { timeout: 10_000 }; // a hung request fails the test instead of the run

const servers = [];
after(() => servers.forEach((s) => s.close()));
async function listen(app) {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

// The app of the README: the middleware first, `express.json()` after it (which leaves the
// verified Buffer as it is: body-parser sees the stream already read).
function appWith(middleware) {
  const app = express();
  app.use(middleware);
  app.use(express.json());
  app.get("/health", (req, res) => res.json({ ok: true, keyId: req.hmacsigKeyId ?? null }));
  app.post("/orders", (req, res) => {
    res.json({ keyId: req.hmacsigKeyId, isBuffer: Buffer.isBuffer(req.body), sha256: sha256(req.body), order: JSON.parse(req.body) });
  });
  return app;
}
const url = await listen(appWith(expressMiddleware(verifier, { passPaths: ["/health"], maxBodyBytes: LIMIT })));

test("a signed POST reaches the route with its key id and the verified body", TIMEOUT, async () => {
  const body = JSON.stringify({ id: 7, item: "tea" });
  const res = await fetchSigned(`${url}/orders?b=2&a=1`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { keyId: KEY_ID, isBuffer: true, sha256: sha256(body), order: { id: 7, item: "tea" } });
});

test("unsigned is 401, a wrong secret or an unknown key 403, each with its kind and fixed sentence", TIMEOUT, async () => {
  const unsigned = await fetch(`${url}/orders`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await unsigned.text(), "missing_authorization: the request carries no credentials");
  const wrong = signingFetch(new Signer(scheme, KEY_ID, "not-the-secret"));
  const refused = await wrong(`${url}/orders`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
  assert.equal(refused.status, 403);
  assert.equal(await refused.text(), "bad_signature: the signature does not match");
  const unknown = signingFetch(new Signer(scheme, "client-9", SECRET));
  const stranger = await unknown(`${url}/orders`, { method: "POST", body: "{}" });
  assert.equal(stranger.status, 403);
  assert.equal(await stranger.text(), "unknown_key: the key id is not known");
});

test("a body over maxBodyBytes is 413, declared or streamed; one at the limit verifies", TIMEOUT, async () => {
  const tooLarge = `the request body is larger than ${LIMIT} bytes`;
  const declared = await fetchSigned(`${url}/orders`, { method: "POST", body: "x".repeat(LIMIT + 1) });
  assert.equal(declared.status, 413);
  assert.equal(await declared.text(), tooLarge);
  const chunks = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 3; i++) controller.enqueue(new TextEncoder().encode("y".repeat(100)));
      controller.close();
    },
  });
  const streamed = await fetch(`${url}/orders`, { method: "POST", body: chunks, duplex: "half" });
  assert.equal(streamed.status, 413);
  assert.equal(await streamed.text(), tooLarge);
  const body = JSON.stringify({ pad: "z".repeat(LIMIT - 10) });
  assert.equal(body.length, LIMIT);
  const atLimit = await fetchSigned(`${url}/orders`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
  assert.equal(atLimit.status, 200, await atLimit.clone().text());
  assert.equal((await atLimit.json()).sha256, sha256(body));
});

test("a pass path goes through unsigned, with no key id", TIMEOUT, async () => {
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true, keyId: null });
  const other = await fetch(`${url}/health/x`);
  assert.equal(other.status, 401);
});

test("mounted under a path, the target verified is the URL as sent (req.originalUrl)", TIMEOUT, async () => {
  const app = express();
  app.use("/api", expressMiddleware(verifier));
  app.post("/api/orders", (req, res) => res.json({ keyId: req.hmacsigKeyId, url: req.originalUrl, body: req.body.toString("utf8") }));
  const base = await listen(app);
  const res = await fetchSigned(`${base}/api/orders?id=7`, { method: "POST", body: "mounted" });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { keyId: KEY_ID, url: "/api/orders?id=7", body: "mounted" });
});

test("a body parser before the middleware: 500 at once, not a hang", TIMEOUT, async () => {
  const app = express();
  app.use(express.json());
  app.use(expressMiddleware(verifier));
  app.post("/orders", (req, res) => res.json({ reached: true }));
  const base = await listen(app);
  const res = await fetchSigned(`${base}/orders`, { method: "POST", body: '{"id":7}', headers: { "Content-Type": "application/json" } });
  assert.equal(res.status, 500);
  assert.equal(await res.text(), "the request body was read before hmacsig could verify it");
});

test("Verifier.withLookup: a key found is 200, unknown 403, a lookup that throws 503", TIMEOUT, async () => {
  let storeUp = true;
  const lookup = (keyId) => {
    if (!storeUp) throw new Error("the key store is down");
    return keyId === KEY_ID ? SECRET : null;
  };
  const app = express();
  app.use(expressMiddleware(Verifier.withLookup(new Scheme({ name: "api-auth", digest: "sha256" }), lookup)));
  app.post("/orders", (req, res) => res.json({ key_id: req.hmacsigKeyId }));
  const base = await listen(app);
  const ok = await fetchSigned(`${base}/orders`, { method: "POST", body: "{}" });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { key_id: KEY_ID });
  const other = signingFetch(new Signer(new Scheme({ name: "api-auth", digest: "sha256" }), "someone-else", SECRET));
  const unknown = await other(`${base}/orders`, { method: "POST", body: "{}" });
  assert.equal(unknown.status, 403);
  assert.equal(await unknown.text(), "unknown_key: the key id is not known");
  storeUp = false;
  const down = await fetchSigned(`${base}/orders`, { method: "POST", body: "{}" });
  assert.equal(down.status, 503);
  // The refused client learns the kind, not the lookup's own message.
  assert.equal(await down.text(), "key_lookup_failed: the server could not check the credentials, try again later");
});

test("Verifier.withLookup refuses a lookup that is not a function, and an async one fails as key_lookup_failed", () => {
  const scheme = new Scheme({ name: "api-auth", digest: "sha256" });
  assert.throws(() => Verifier.withLookup(scheme, { [KEY_ID]: SECRET }), TypeError);
  const verifier = Verifier.withLookup(scheme, async () => SECRET);
  const signed = new Signer(scheme, KEY_ID, SECRET).sign("GET", "/orders", [], "");
  assert.throws(() => verifier.verify("GET", "/orders", signed.headers, ""), (e) => e instanceof HmacSigError && e.kind === "key_lookup_failed" && /Promise/.test(e.message));
});
