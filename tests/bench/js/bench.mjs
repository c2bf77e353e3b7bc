// The JavaScript measurements of `cargo xtask bench` (Node, the WebAssembly package).
//
// Prints one JSON object: per case, the per-call nanoseconds of each batch (`samples_ns`);
// batches of all cases interleaved round by round, in rotating order, so that drift hits
// numerators and denominators alike. xtask takes the medians and divides (BENCHMARKS.md).
//
// Cases, on the small request of the other languages' benches (a POST with a 200-byte JSON
// body and four headers):
// - hmacsig_api_auth_sign: Signer.sign (api-auth, HMAC-SHA256);
// - node_crypto_api_auth_sign: a hand-written api-auth signer on node:crypto, the same
//   headers (checked before timing);
// - hmacsig_sigv4_sign: Signer.sign (aws-sigv4);
// - aws4_sign: npm aws4's sign() on the same request at the same time, the same
//   Authorization (checked before timing).
import { createHash, createHmac } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const aws4 = require("aws4");
const { Scheme, Signer } = await import(process.env.HMACSIG_JS_PACKAGE ?? new URL("../../../target/wasm/npm/index.js", import.meta.url).href);

const NOW = 1_700_000_000;
const AMZ_DATE = "20231114T221320Z";
const HTTP_DATE = new Date(NOW * 1000).toUTCString();
const KEY_ID = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"; // AWS's documented example secret
const METHOD = "POST";
const TARGET = "/v1/orders?id=42";
const HOST = "api.example.com";
const head = '{"order_id":42,"customer":"c-1001","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"note":"';
const BODY = Buffer.from(head + "x".repeat(200 - head.length - 2) + '"}');
const HEADERS = [["Host", HOST], ["Content-Type", "application/json"], ["Content-Length", "200"], ["X-Request-Id", "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"]];

function nodeCryptoApiAuthSign(secret, keyId, method, target, headers, body, now) {
  const contentType = headers.find(([n]) => n.toLowerCase() === "content-type")?.[1] ?? "";
  const contentHash = createHash("sha256").update(body).digest("base64");
  const date = new Date(now * 1000).toUTCString();
  const canonical = `${method.toUpperCase()},${contentType},${contentHash},${target},${date}`;
  const signature = createHmac("sha256", secret).update(canonical).digest("base64");
  return { "X-Authorization-Content-SHA256": contentHash, Date: date, Authorization: `APIAuth-HMAC-SHA256 ${keyId}:${signature}` };
}

function aws4Request() {
  return {
    host: HOST, method: METHOD, path: TARGET, service: "execute-api", region: "us-east-1", body: BODY,
    headers: { "Content-Type": "application/json", "Content-Length": "200", "X-Request-Id": HEADERS[3][1], "X-Amz-Date": AMZ_DATE },
  };
}
const AWS_CREDENTIALS = { accessKeyId: KEY_ID, secretAccessKey: SECRET };

const apiAuth = new Signer(new Scheme({ name: "api-auth", digest: "sha256" }), KEY_ID, SECRET);
const sigv4 = new Signer(new Scheme({ name: "aws-sigv4", region: "us-east-1", service: "execute-api" }), KEY_ID, SECRET);

// Same results before timing.
const header = (signed, name) => signed.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
const ours = apiAuth.sign(METHOD, TARGET, HEADERS, BODY, NOW);
for (const [name, value] of Object.entries(nodeCryptoApiAuthSign(SECRET, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW))) {
  if (header(ours, name) !== value) throw new Error(`node:crypto ${name} ${value} != hmacsig ${header(ours, name)}`);
}
const theirs = aws4.sign(aws4Request(), AWS_CREDENTIALS).headers.Authorization;
const mine = header(sigv4.sign(METHOD, TARGET, HEADERS, BODY, NOW), "Authorization");
if (theirs !== mine) throw new Error(`aws4 ${theirs} != hmacsig ${mine}`);

const cases = {
  hmacsig_api_auth_sign: ["hmacsig Signer.sign (api-auth, HMAC-SHA256) of the small request, WebAssembly", () => apiAuth.sign(METHOD, TARGET, HEADERS, BODY, NOW)],
  node_crypto_api_auth_sign: ["hand-written api-auth HMAC-SHA256 signer on node:crypto (createHmac, createHash, Date), same headers", () => nodeCryptoApiAuthSign(SECRET, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW)],
  hmacsig_sigv4_sign: ["hmacsig Signer.sign (aws-sigv4, header signature) of the small request, WebAssembly", () => sigv4.sign(METHOD, TARGET, HEADERS, BODY, NOW)],
  aws4_sign: ["npm aws4 1.13.2 sign() of the same request (a new options object per call, as a user builds one), same Authorization", () => aws4.sign(aws4Request(), AWS_CREDENTIALS)],
};

const args = Object.fromEntries(process.argv.slice(2).map((a, i, all) => (a.startsWith("--") ? [a.slice(2), all[i + 1]] : null)).filter(Boolean));
const rounds = Number(args.rounds ?? 31);
const batchNs = Number(args["batch-ms"] ?? 20) * 1e6;

function batch(calls, f) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) f();
  return Number(process.hrtime.bigint() - start) / calls;
}

function calibrate(f) {
  for (let i = 0; i < 2000; i++) f(); // the JIT warms up
  let calls = 1;
  for (;;) {
    const took = batch(calls, f) * calls;
    if (took >= batchNs / 4) return Math.max(1, Math.floor(batchNs / (took / calls)));
    calls *= 4;
  }
}

const names = Object.keys(cases);
const calls = Object.fromEntries(names.map((n) => [n, calibrate(cases[n][1])]));
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (const n of names) batch(calls[n], cases[n][1]); // warm-up round, discarded
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < names.length; k++) {
    const n = names[(r + k) % names.length];
    samples[n].push(batch(calls[n], cases[n][1]));
  }
}
const out = Object.fromEntries(names.map((n) => [n, { what: cases[n][0], samples_ns: samples[n], calls_per_batch: calls[n] }]));
out.checks = { node_crypto_same_headers: true, aws4_same_authorization: true, aws4: "1.13.2", node: process.version };
process.stdout.write(JSON.stringify(out) + "\n");
