// The JavaScript client suite of tests/e2e/README.md: the npm package's signingFetch (on
// Node's fetch) to the Python (ASGI) and Kotlin servers over real HTTP on 127.0.0.1, through
// the tamper proxy, and unsigned; then kong-hmac and hawk to their paths on the ASGI server.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (tests/e2e/README.md)`);
  return value;
}

const pkg = pathToFileURL(required("HMACSIG_JS_PACKAGE")).href;
const { Scheme, Signer } = await import(pkg);
const { signingFetch } = await import(new URL("./http.js", pkg).href);

const keyId = required("HMACSIG_E2E_KEY_ID");
const secret = required("HMACSIG_E2E_SECRET");
const asgi = required("HMACSIG_E2E_ASGI_URL");
const kotlin = required("HMACSIG_E2E_KOTLIN_URL");
const node = required("HMACSIG_E2E_NODE_URL");
const tamper = required("HMACSIG_E2E_TAMPER_URL");

const apiAuth = signingFetch(new Signer(new Scheme({ name: "api-auth", digest: "sha256" }), keyId, secret));
const ORDER = JSON.stringify({ item: "book", qty: 2, note: "café" });
const post = (fetch, url) => fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: ORDER });
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

async function assertEcho(response, method, target, body, contentType) {
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.deepEqual(JSON.parse(text), { key_id: keyId, method, target, body_sha256: sha256(body), content_type: contentType });
}

async function assertRefused(response, status, kind) {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.ok(text.startsWith(`${kind}: `), text);
}

test("1. a signed POST with a JSON body to the ASGI server: 200, echoed as sent", async () => {
  await assertEcho(await post(apiAuth, `${asgi}/orders`), "POST", "/orders", ORDER, "application/json");
});

test("2. a signed GET with a query to the ASGI server: the query's order kept", async () => {
  await assertEcho(await apiAuth(`${asgi}/orders?b=2&a=1`), "GET", "/orders?b=2&a=1", "", "");
});

test("3. the same POST to the Kotlin server: 200", async () => {
  await assertEcho(await post(apiAuth, `${kotlin}/orders`), "POST", "/orders", ORDER, "application/json");
});

test("3b. the same POST to the Node server (Express, this package's middleware): 200", async () => {
  await assertEcho(await post(apiAuth, `${node}/orders`), "POST", "/orders", ORDER, "application/json");
});

test("4. through the tamper proxy: body_mismatch for the POST, bad_signature for the GET", async () => {
  await assertRefused(await post(apiAuth, `${tamper}/orders`), 403, "body_mismatch");
  await assertRefused(await apiAuth(`${tamper}/orders?b=2&a=1`), 403, "bad_signature");
});

test("5. an unsigned POST to the ASGI server: 401 missing_authorization", async () => {
  await assertRefused(await post(fetch, `${asgi}/orders`), 401, "missing_authorization");
});

// 6. kong-hmac and hawk, each to its path on the ASGI server (tests/e2e/README.md, "Schemes").
const SCHEMES = {
  "kong-hmac": () => new Scheme({ name: "kong-hmac", headers: ["date", "@request-target", "digest"], digest: true }),
  hawk: () => new Scheme({ name: "hawk" }),
};
for (const [name, make] of Object.entries(SCHEMES)) {
  test(`6. ${name}: a signed POST and GET to /${name}/, and a wrong secret refused`, async () => {
    const signed = signingFetch(new Signer(make(), keyId, secret));
    await assertEcho(await post(signed, `${asgi}/${name}/orders`), "POST", `/${name}/orders`, ORDER, "application/json");
    await assertEcho(await signed(`${asgi}/${name}/orders?b=2&a=1`), "GET", `/${name}/orders?b=2&a=1`, "", "");
    const wrong = signingFetch(new Signer(make(), keyId, `${secret}-wrong`));
    await assertRefused(await post(wrong, `${asgi}/${name}/orders`), 403, "bad_signature");
  });
}
