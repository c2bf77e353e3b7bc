// What the package's tests share (outside test/, so that `node --test test/` does not run it
// as a test file): the built package (HMACSIG_JS_PACKAGE, else target/wasm/npm/index.js), its
// three modules, and the scheme settings the HTTP tests sign and verify with.
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const env = process.env.HMACSIG_JS_PACKAGE;
export const packageUrl = env ? pathToFileURL(env).href : new URL("../../../../target/wasm/npm/index.js", import.meta.url).href;
export const packageDir = dirname(fileURLToPath(packageUrl));
export const hmacsig = await import(packageUrl);
export const http = await import(new URL("./http.js", packageUrl).href);
export const swaggerUi = await import(new URL("./swagger-ui.js", packageUrl).href);

/** Each scheme the HTTP tests use: its options, and its server's policy options if any. */
export const HTTP_SCHEMES = {
  "api-auth": [{ name: "api-auth", digest: "sha256" }],
  // timestamped signs https:// + Host + target from an origin-form target, and the verifier's
  // default rebuilds the same URL (as the Python integrations).
  timestamped: [{ name: "timestamped" }],
  "aws-sigv4": [{ name: "aws-sigv4", region: "us-east-1", service: "execute-api", signBody: true }],
  rfc9421: [{ name: "rfc9421", components: ["@method", "@authority", "@target-uri", "content-type"], contentDigest: "sha-256" }],
  "kong-hmac": [{ name: "kong-hmac", headers: ["date", "@request-target", "digest"], digest: true }, { name: "kong-hmac", validateRequestBody: true }],
  hawk: [{ name: "hawk" }],
};

/** `[Scheme, Policy | undefined]` for `options` (an entry of HTTP_SCHEMES). */
export function schemeAndPolicy([schemeOptions, policyOptions]) {
  return [new hmacsig.Scheme(schemeOptions), policyOptions && new hmacsig.Policy(policyOptions)];
}
