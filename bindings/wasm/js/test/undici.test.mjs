// signingInterceptor on undici's Agent (`agent.compose(...)`, then undici's `request()`)
// against a node:http server verifying with `verifying`, over real HTTP on 127.0.0.1: every
// scheme signed as undici sends it, the header forms undici takes, and a streamed body
// refused before anything is sent.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { after, test } from "node:test";
import { Agent, request } from "undici";
import { hmacsig, http, HTTP_SCHEMES, schemeAndPolicy } from "../testing/package.mjs";

const { HmacSigError, Policy, Scheme, Signer, Verifier } = hmacsig;
const { signingInterceptor, verifying } = http;

const KEY_ID = "client-7";
const SECRET = "s3cr3t-for-tests";
// Each scheme and the policy its server verifies with; rfc9421 without content-type here, as
// undici adds none to a GET (the header forms test signs it).
const SCHEMES = Object.fromEntries(
  Object.entries(HTTP_SCHEMES).map(([name, [scheme, policy]]) => {
    const options = name === "rfc9421" ? { ...scheme, components: scheme.components.filter((c) => c !== "content-type") } : scheme;
    return [name, () => schemeAndPolicy([options, policy])];
  }),
);

const closing = [];
after(async () => {
  for (const close of closing) await close();
});

// A server verifying with `make`'s scheme; `received.count` counts the requests it got.
async function serve(make) {
  const [scheme, policy] = make();
  const verifier = Verifier.withKeys(scheme, { [KEY_ID]: SECRET }, policy);
  const received = { count: 0 };
  const verify = verifying(verifier, (req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ keyId: req.hmacsigKeyId, target: req.url, body: req.body.toString("utf8"), trace: req.headers["x-trace"] ?? null }));
  }, { maxBodyBytes: 256 });
  const server = createServer((req, res) => {
    received.count += 1;
    verify(req, res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  closing.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${server.address().port}`, scheme, received };
}

function signingAgent(scheme, secret = SECRET) {
  const agent = new Agent();
  closing.push(() => agent.close());
  return agent.compose(signingInterceptor(new Signer(scheme, KEY_ID, secret)));
}

async function answered(response) {
  const text = await response.body.text();
  return { status: response.statusCode, text, json: () => JSON.parse(text) };
}

for (const [name, make] of Object.entries(SCHEMES)) {
  test(`${name}: undici's request() through the signing Agent verifies; a wrong secret is 403`, async () => {
    const { url, scheme, received } = await serve(make);
    const dispatcher = signingAgent(scheme);

    const get = await answered(await request(`${url}/orders?b=2&a=1`, { dispatcher }));
    assert.equal(get.status, 200, get.text);
    assert.deepEqual(get.json(), { keyId: KEY_ID, target: "/orders?b=2&a=1", body: "", trace: null });

    const post = await answered(
      await request(`${url}/orders`, { dispatcher, method: "POST", body: JSON.stringify({ id: 7, note: "é" }), headers: { "content-type": "application/json" } }),
    );
    assert.equal(post.status, 200, post.text);
    assert.deepEqual(post.json(), { keyId: KEY_ID, target: "/orders", body: '{"id":7,"note":"é"}', trace: null });

    const wrong = await answered(await request(`${url}/orders?b=2&a=1`, { dispatcher: signingAgent(scheme, "not-the-secret") }));
    assert.equal(wrong.status, 403);
    assert.equal(wrong.text, "bad_signature: the signature does not match");
    assert.equal(received.count, 3);
  });
}

test("a streamed body is refused with HmacSigError invalid_request, and nothing is sent", async () => {
  const { url, scheme, received } = await serve(SCHEMES["api-auth"]);
  const dispatcher = signingAgent(scheme);
  for (const body of [Readable.from(["a", "b"]), (async function* () { yield "a"; })(), new Blob(["a"]), new FormData()]) {
    await assert.rejects(request(`${url}/orders`, { dispatcher, method: "POST", body }), (error) => {
      assert.ok(error instanceof HmacSigError, String(error));
      assert.equal(error.kind, "invalid_request");
      assert.match(error.message, /cannot be signed as sent/);
      return true;
    });
  }
  assert.equal(received.count, 0);
  const ok = await answered(await request(`${url}/orders`, { dispatcher, method: "POST", body: Buffer.from("bytes") }));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json().body, "bytes");
  assert.equal(received.count, 1);
});

test("every header form undici takes is signed as sent; `query` is folded into the path", async () => {
  // rfc9421 over content-type and x-trace: a header signed but sent otherwise fails.
  const make = () => [new Scheme({ name: "rfc9421", components: ["@method", "@authority", "@target-uri", "content-type", "x-trace"], contentDigest: "sha-256" })];
  const { url, scheme } = await serve(make);
  const dispatcher = signingAgent(scheme);
  const forms = {
    object: { "Content-Type": "text/plain", "X-Trace": "t-1" },
    "flat array": ["Content-Type", "text/plain", "X-Trace", "t-1"],
    "array of pairs": [["Content-Type", "text/plain"], ["X-Trace", "t-1"]],
    Map: new Map([["Content-Type", "text/plain"], ["X-Trace", "t-1"]]),
    Headers: new Headers([["Content-Type", "text/plain"], ["X-Trace", "t-1"]]),
  };
  for (const [form, headers] of Object.entries(forms)) {
    const res = await answered(await request(`${url}/notes`, { dispatcher, method: "PUT", headers, body: new TextEncoder().encode("note") }));
    assert.equal(res.status, 200, `${form}: ${res.text}`);
    assert.deepEqual(res.json(), { keyId: KEY_ID, target: "/notes", body: "note", trace: "t-1" }, form);
  }
  const query = await answered(await request(`${url}/search`, { dispatcher, query: { b: 2, a: "x y" }, headers: { "X-Trace": "t-2", "Content-Type": "text/plain" } }));
  assert.equal(query.status, 200, query.text);
  assert.deepEqual(query.json(), { keyId: KEY_ID, target: "/search?b=2&a=x%20y", body: "", trace: "t-2" });
});

test("an explicit Host header is signed as given; an unsigned request is 401", async () => {
  const { url, scheme } = await serve(SCHEMES["kong-hmac"]);
  const host = new URL(url).host;
  const res = await answered(await request(`${url}/h`, { dispatcher: signingAgent(scheme), headers: [["Host", host]] }));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json().keyId, KEY_ID);
  const unsigned = await answered(await request(`${url}/h`));
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.text, "missing_authorization: the request carries no credentials");
});
