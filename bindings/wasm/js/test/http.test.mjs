// signingFetch (Node's fetch) against a node:http server verifying with `verifying`, over
// real HTTP on 127.0.0.1: every scheme signed as sent, refusals with their kind and status.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, test } from "node:test";
import { hmacsig, http, HTTP_SCHEMES, schemeAndPolicy } from "../testing/package.mjs";

const { Policy, Scheme, Signer, Verifier } = hmacsig;
const { signingFetch, verifying } = http;

const KEY_ID = "client-7";
const SECRET = "s3cr3t-for-tests";
// Each scheme and the policy its server verifies with.
const SCHEMES = Object.fromEntries(Object.entries(HTTP_SCHEMES).map(([name, options]) => [name, () => schemeAndPolicy(options)]));

const servers = [];
async function serve(make) {
  let verifier;
  const server = createServer();
  // `verifying` reads `verifier` per request: set once the server's URL is known.
  const proxy = new Proxy({}, { get: (_, key) => (typeof verifier[key] === "function" ? verifier[key].bind(verifier) : verifier[key]) });
  server.removeAllListeners("request");
  const base = await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
  const [scheme, policy] = make(base);
  verifier = Verifier.withKeys(scheme, { [KEY_ID]: SECRET }, policy);
  server.on("request", handlerFor(proxy));
  servers.push(server);
  return [base, scheme];
}
after(() => servers.forEach((s) => s.close()));

function handlerFor(verifier) {
  return verifying(verifier, (req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ keyId: req.hmacsigKeyId, target: req.url, body: req.body ? req.body.toString("utf8") : "" }));
  }, { maxBodyBytes: 256, passPaths: ["/health"] });
}

for (const [name, make] of Object.entries(SCHEMES)) {
  test(`${name}: a signed POST verifies, a tampered one and an unsigned one are refused`, async () => {
    const [url, scheme] = await serve(make);
    const fetchSigned = signingFetch(new Signer(scheme, KEY_ID, SECRET));
    const ok = await fetchSigned(`${url}/orders?b=2&a=1`, { method: "POST", body: '{"id":7}', headers: { "Content-Type": "application/json" } });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.deepEqual(await ok.json(), { keyId: KEY_ID, target: "/orders?b=2&a=1", body: '{"id":7}' });
    const text = await fetchSigned(`${url}/notes`, { method: "PUT", body: "plain text, fetch's own Content-Type" });
    assert.equal(text.status, 200, await text.clone().text());
    const wrong = signingFetch(new Signer(scheme, KEY_ID, "not-the-secret"));
    const refused = await wrong(`${url}/orders`, { method: "POST", body: "{}" });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /^(bad_signature|body_mismatch): /);
    const unsigned = await fetch(`${url}/orders`, { method: "POST", body: "{}" });
    assert.equal(unsigned.status, 401);
    assert.equal(await unsigned.text(), "missing_authorization: the request carries no credentials");
  });
}

test("a body over the limit is 413; pass paths go through", async () => {
  const [url, scheme] = await serve(SCHEMES["api-auth"]);
  const fetchSigned = signingFetch(new Signer(scheme, KEY_ID, SECRET));
  const big = await fetchSigned(`${url}/orders`, { method: "POST", body: "x".repeat(300) });
  assert.equal(big.status, 413);
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
});
