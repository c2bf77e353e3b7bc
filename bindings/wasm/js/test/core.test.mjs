// The package's own tests (node --test), on the built package: real values from the
// references, typed errors, and the same core as every other language.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hmacsig } from "../testing/package.mjs";

const { HmacSigError, Policy, ReplayGuard, Scheme, Signer, Verifier, generateSecret, verifyRequest } = hmacsig;

const text = (bytes) => new TextDecoder().decode(bytes);

test("api-auth signs as the gem (tests/vectors/api-auth, the README's example)", () => {
  const signer = new Signer(new Scheme({ name: "api-auth", digest: "sha256" }), "1044", "123");
  const { headers, stringToSign } = signer.sign("PUT", "/resource.xml?foo=bar&bar=foo", [["Content-Type", "text/plain"], ["Date", "Mon, 23 Jan 1984 03:29:56 GMT"]], "", 443_669_396);
  assert.equal(text(stringToSign), "PUT,text/plain,47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=,/resource.xml?foo=bar&bar=foo,Mon, 23 Jan 1984 03:29:56 GMT");
  assert.deepEqual(headers.map(([n]) => n), ["X-Authorization-Content-SHA256", "Authorization"]);
  assert.match(headers[1][1], /^APIAuth-HMAC-SHA256 1044:/);
});

test("kong-hmac signs as Kong's plugin tests (kong-spec/14-get)", () => {
  const signer = new Signer(new Scheme({ name: "kong-hmac", algorithm: "hmac-sha1", headers: ["date"] }), "bob", "secret");
  const { headers } = signer.sign("GET", "/request", { Host: "hmacauth.test", date: "Tue, 14 Nov 2023 22:13:20 GMT" }, undefined, 1_700_000_000);
  assert.deepEqual(headers, [["Authorization", 'hmac username="bob", algorithm="hmac-sha1", headers="date", signature="1b3GnE0+rwUdVXmi1pXSHWpV9/o="']]);
});

test("hawk signs as its API.md, and a verifier refuses the nonce twice", () => {
  const scheme = new Scheme({ name: "hawk", nonce: "j4h3g2", ext: "some-app-ext-data" });
  const signer = new Signer(scheme, "dh37fgj492je", "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn");
  const url = "http://example.com:8000/resource/1?b=1&a=2";
  const { headers } = signer.sign("POST", url, [["Content-Type", "text/plain"]], "Thank you for flying Hawk", 1_353_832_234);
  assert.equal(headers[0][1], 'Hawk id="dh37fgj492je", ts="1353832234", nonce="j4h3g2", hash="Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=", ext="some-app-ext-data", mac="aSe1DERmZuRl3pI36/9BdZmnErTw3sNzOOAUlfeKjVw="');
  const verifier = Verifier.withKeys(scheme, { dh37fgj492je: "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn" }, undefined, new ReplayGuard(100, 60));
  const sent = [["Content-Type", "text/plain"], ...headers];
  assert.equal(verifier.verify("POST", url, sent, "Thank you for flying Hawk", 1_353_832_234), "dh37fgj492je");
  assert.throws(() => verifier.verify("POST", url, sent, "Thank you for flying Hawk", 1_353_832_235), (e) => e instanceof HmacSigError && e.kind === "replayed");
});

test("refusals are HmacSigError with their kind; bad arguments are TypeError", () => {
  const scheme = new Scheme({ name: "api-auth", digest: "sha256" });
  const request = { method: "GET", target: "/x", headers: [["Date", "Tue, 14 Nov 2023 22:13:20 GMT"]] };
  assert.throws(() => verifyRequest(scheme, "1044", "s", request, undefined, 1_700_000_000), (e) => e instanceof HmacSigError && e.kind === "missing_authorization");
  assert.throws(() => new Scheme({ name: "api-auth", digest: "md5" }), (e) => e instanceof HmacSigError && e.kind === "unsupported");
  assert.throws(() => new Scheme({ name: "nope" }), (e) => e instanceof HmacSigError && e.kind === "unsupported");
  assert.throws(() => new Scheme({ name: "api-auth", digets: "sha1" }), TypeError);
  assert.throws(() => new Policy({ name: "hawk", port: 70000 }), TypeError);
  const signer = new Signer(scheme, "1044", "s");
  assert.throws(() => signer.sign("GET", "/x", [["A"]]), TypeError);
  assert.throws(() => signer.sign("GET", "/x", [], 5), TypeError);
});

test("generateSecret makes 88-character secrets", () => {
  const a = generateSecret();
  assert.equal(a.length, 88);
  assert.notEqual(a, generateSecret());
});
