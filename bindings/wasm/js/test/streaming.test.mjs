// BodyHasher and Signer.signWithBodyDigest: a body hashed chunk by chunk signs exactly as the
// whole body does; and the details an HmacSigError carries for debugging on the server.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { hmacsig } from "../testing/package.mjs";

const { BodyHasher, HmacSigError, Scheme, Signer, Verifier } = hmacsig;

const body = new TextEncoder().encode("chunk-".repeat(40_000) + "café");
const headers = [["Content-Type", "application/octet-stream"], ["Host", "uploads.example.com"], ["Date", "Tue, 14 Nov 2023 22:13:20 GMT"]];
const NOW = 1_700_000_000;

function streamed(algorithm) {
  const hasher = new BodyHasher(algorithm);
  for (let at = 0; at < body.length; at += 65_536) hasher.update(body.subarray(at, at + 65_536));
  return hasher.finish();
}

test("a streamed body signs as the whole body (api-auth, aws-sigv4, rfc9421 sha-512, kong-hmac)", () => {
  const schemes = [
    [{ name: "api-auth", digest: "sha256" }, undefined],
    [{ name: "aws-sigv4", region: "eu-west-1", service: "s3", signBody: true }, undefined],
    [{ name: "rfc9421", components: ["@method", "@target-uri", "content-digest"], contentDigest: "sha-512" }, "sha-512"],
    [{ name: "kong-hmac", headers: ["date", "@request-target", "digest"], digest: true }, undefined],
  ];
  for (const [options, algorithm] of schemes) {
    const signer = new Signer(new Scheme(options), "uploader", "upload-secret");
    const whole = signer.sign("PUT", "/files/big.bin", headers, body, NOW);
    const digest = streamed(algorithm);
    assert.equal(digest.length, body.length);
    assert.equal(digest.algorithm, algorithm ?? "sha-256");
    assert.deepEqual(Buffer.from(digest.digest), createHash(algorithm === "sha-512" ? "sha512" : "sha256").update(body).digest());
    assert.deepEqual(signer.signWithBodyDigest("PUT", "/files/big.bin", headers, digest, NOW), whole, options.name);
  }
});

test("a spent hasher, an unknown algorithm and a scheme that needs the body itself are typed errors", () => {
  const hasher = new BodyHasher();
  hasher.update("abc");
  hasher.finish();
  assert.throws(() => hasher.update("more"), (e) => e instanceof HmacSigError && e.kind === "invalid_request");
  assert.throws(() => new BodyHasher("md5"), (e) => e instanceof HmacSigError && e.kind === "unsupported");
  const hawk = new Signer(new Scheme({ name: "hawk", payloadHash: true }), "id", "secret");
  assert.throws(() => hawk.signWithBodyDigest("PUT", "http://h/x", [], streamed(), NOW), (e) => e instanceof HmacSigError && e.kind === "unsupported");
});

test("bad_signature carries what the verifier signed; unknown_key the key id", () => {
  const scheme = new Scheme({ name: "api-auth", digest: "sha256" });
  const signed = new Signer(scheme, "1044", "right").sign("GET", "/orders?id=7", headers, "", NOW);
  const sent = [...headers, ...signed.headers];
  const wrong = Verifier.withKeys(scheme, { 1044: "wrong" });
  assert.throws(
    () => wrong.verify("GET", "/orders?id=8", sent, "", NOW),
    (e) => e instanceof HmacSigError && e.kind === "bad_signature" && e.stringToSign === new TextDecoder().decode(signed.stringToSign).replace("id=7", "id=8"),
  );
  const nobody = Verifier.withKeys(scheme, { other: "x" });
  assert.throws(() => nobody.verify("GET", "/orders?id=7", sent, "", NOW), (e) => e instanceof HmacSigError && e.kind === "unknown_key" && e.keyId === "1044");
});
