// The end-to-end Node server of tests/e2e/README.md: Express with hmacsig's
// expressMiddleware (the npm package, WebAssembly), verifying api-auth (sha256) with the one
// key of HMACSIG_E2E_KEY_ID / HMACSIG_E2E_SECRET, and echoing what it verified.
//
//   HMACSIG_JS_PACKAGE=target/wasm/npm/index.js HMACSIG_E2E_KEY_ID=e2e-client \
//     HMACSIG_E2E_SECRET=... node tests/e2e/js/server.mjs PORT
//
// GET /health passes unsigned (`ok`); any other path must be signed and answers JSON
// {key_id, method, target, body_sha256, content_type}; a refusal is the middleware's
// `<kind>: <fixed sentence>` with 401, 403 or 503.
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import express from "express";

function required(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`server.mjs: set ${name} (tests/e2e/README.md)\n`);
    process.exit(2);
  }
  return value;
}

const pkg = pathToFileURL(required("HMACSIG_JS_PACKAGE")).href;
const { Scheme, Verifier } = await import(pkg);
const { expressMiddleware } = await import(new URL("./http.js", pkg).href);

const verifier = Verifier.withKeys(new Scheme({ name: "api-auth", digest: "sha256" }), {
  [required("HMACSIG_E2E_KEY_ID")]: required("HMACSIG_E2E_SECRET"),
});
const app = express();
app.use(expressMiddleware(verifier, { passPaths: ["/health"] }));
app.get("/health", (req, res) => res.type("text/plain").send("ok"));
app.all("/{*path}", (req, res) => {
  res.json({
    key_id: req.hmacsigKeyId,
    method: req.method,
    target: req.originalUrl,
    body_sha256: createHash("sha256").update(req.body).digest("hex"),
    content_type: req.get("content-type") ?? "",
  });
});
app.listen(Number(process.argv[2]), "127.0.0.1");
