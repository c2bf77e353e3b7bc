// signedRequestOptions with node:http's own client, over real HTTP on 127.0.0.1, to a
// node:http server verifying with `verifying`: every scheme, the query's order kept, a
// presigned (aws-sigv4 query) and a bewit (hawk) URL, a wrong secret refused.
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { after, test } from "node:test";
import { hmacsig, http, HTTP_SCHEMES } from "../testing/package.mjs";

const { Policy, Scheme, Signer, Verifier } = hmacsig;
const { signedRequestOptions, verifying } = http;

const KEY_ID = "node-client";
const SECRET = "node-http-secret";
const SCHEMES = {
  ...HTTP_SCHEMES,
  "aws-sigv4 presigned": [{ name: "aws-sigv4", region: "us-east-1", service: "execute-api", signatureType: "query", expires: 60 }],
  hawk: [{ name: "hawk", payloadHash: true }],
  "hawk bewit": [{ name: "hawk", signatureType: "bewit", ttl: 60 }],
};

const servers = [];
after(() => servers.forEach((s) => s.close()));

async function serve(schemeOptions, policyOptions) {
  const verifier = Verifier.withKeys(new Scheme(schemeOptions), { [KEY_ID]: SECRET }, policyOptions && new Policy(policyOptions));
  const server = createServer(
    verifying(verifier, (req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ keyId: req.hmacsigKeyId, body: req.body.toString("utf8") }));
    }),
  );
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

function send(options, body) {
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

for (const [name, [schemeOptions, policyOptions]] of Object.entries(SCHEMES)) {
  test(`${name}: http.request with signed options verifies; a wrong secret is 403`, async () => {
    const base = await serve(schemeOptions, policyOptions);
    const bodyless = schemeOptions.signatureType === "query" || schemeOptions.signatureType === "bewit";
    const method = bodyless ? "GET" : "POST";
    const body = bodyless ? "" : '{"item":"café"}';
    const headers = bodyless ? {} : { "Content-Type": "application/json" };
    const signer = new Signer(new Scheme(schemeOptions), KEY_ID, SECRET);
    const options = signedRequestOptions(signer, `${base}/orders?b=2&a=1`, { method, headers }, body);
    if (bodyless) assert.match(options.path, /^\/orders\?b=2&a=1&/);
    const ok = await send(options, body);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(JSON.parse(ok.text), { keyId: KEY_ID, body });
    const wrong = new Signer(new Scheme(schemeOptions), KEY_ID, "not-the-secret");
    const refused = await send(signedRequestOptions(wrong, `${base}/orders?b=2&a=1`, { method, headers }, body), body);
    assert.equal(refused.status, 403);
    assert.match(refused.text, /^bad_signature: /);
  });
}
