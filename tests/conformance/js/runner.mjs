// The JavaScript conformance runner: docs/specs/conformance.md over the public `hmacsig`
// package (the WebAssembly build). Reads a JSON array of cases (file argument, else stdin),
// writes a JSON array of results to stdout, one per case, in order; logs go to stderr; exit 0
// whenever every case got a result. The mapping from a case to the API is in
// tests/conformance/README.md, field by field in the Rust runner's order.

import { readFileSync } from "node:fs";
import { FloatLiteral, parseJson } from "./json.mjs";

const hmacsig = await import(process.env.HMACSIG_JS_PACKAGE ?? new URL("../../../target/wasm/npm/index.js", import.meta.url).href);
const { HmacSigError, Policy, Scheme, Signer, extractKeyId, signResponse, verifyRequest, verifyResponse } = hmacsig;

class CaseError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}
const badCase = (why) => new CaseError("invalid_request", `unusable case: ${why}`);
const unsupported = (why) => new CaseError("unsupported", why);
const show = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x));
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof FloatLiteral);
// An i64, as the Rust runner takes it: a safe integer, or a BigInt (an integer literal beyond 2^53).
const isI64 = (v) => Number.isSafeInteger(v) || (typeof v === "bigint" && v >= -(2n ** 63n) && v < 2n ** 63n);
const obj = (o, key) => (isObject(o[key]) ? o[key] : {});

function strField(o, key) {
  const v = o[key];
  if (v === undefined || v === null || typeof v === "string") return v ?? undefined;
  throw badCase(`${key} must be a string, not ${show(v)}`);
}

function stringList(o, key) {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw badCase(`${key} must be a list, not ${show(v)}`);
  if (!v.every((x) => typeof x === "string")) throw badCase(`${key} must hold strings`);
  return v;
}

function boolOr(o, key, dflt) {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === "boolean") return v;
  throw badCase(`${key} must be true or false, not ${show(v)}`);
}

function secondsField(o, key, dflt) {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw badCase(`${key} must be a non-negative integer`);
  return v;
}

function intField(o, key) {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isI64(v)) throw badCase(`${key} must be an integer`);
  return v;
}

function contentDigest(o, key) {
  const name = strField(o, key);
  if (name === undefined) return undefined;
  if (name !== "sha-256" && name !== "sha-512") throw unsupported(`content digest ${show(name)} is not offered; use sha-256 or sha-512`);
  return name;
}

function b64(text, what) {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) throw badCase(`${what}: not canonical base64`);
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) throw badCase(`${what}: not canonical base64`);
  return new Uint8Array(bytes);
}

function schemeName(c) {
  if (!("scheme" in c)) throw badCase("no scheme");
  return strField(obj(c, "scheme"), "name") ?? "";
}

function scheme(c) {
  const name = schemeName(c);
  const s = obj(c, "scheme");
  const policy = c.op === "verify" ? obj(c, "policy") : {};
  switch (name) {
    case "api-auth": {
      const headersToSign = stringList(policy, "headers_to_sign") ?? stringList(s, "headers_to_sign") ?? [];
      const overrideMethod = strField(policy, "override_method") ?? strField(s, "override_method");
      return new Scheme({ name, digest: strField(s, "digest") ?? "sha1", headersToSign, overrideMethod });
    }
    case "path-body-hex":
      return new Scheme({ name, digest: strField(s, "digest") ?? "sha1" });
    case "timestamped": {
      const headerStyle = strField(s, "header_style") ?? "x-request";
      if (headerStyle !== "x-request" && headerStyle !== "authorization") {
        throw unsupported(`timestamped header_style ${show(headerStyle)} is not offered; use x-request or authorization`);
      }
      return new Scheme({ name, headerStyle, lowercaseUrl: boolOr(s, "lowercase_url", false) });
    }
    case "aws-sigv4": {
      const signatureType = strField(s, "signature_type") ?? "header";
      if (signatureType !== "header" && signatureType !== "query") {
        throw unsupported(`aws-sigv4 signature_type ${show(signatureType)} is not offered; use header or query`);
      }
      const required = (key) => {
        const v = strField(s, key);
        if (v === undefined) throw badCase(`aws-sigv4 needs ${key}`);
        return v;
      };
      return new Scheme({
        name, region: required("region"), service: required("service"), sessionToken: strField(s, "session_token"),
        omitSessionToken: boolOr(s, "omit_session_token", false), normalize: boolOr(s, "normalize", true),
        doubleUriEncode: boolOr(s, "double_uri_encode", true), signBody: boolOr(s, "sign_body", false),
        signatureType, expires: secondsField(s, "expires", 3600),
      });
    }
    case "rfc9421":
      return new Scheme({
        name, components: stringList(s, "components"), label: strField(s, "label") ?? "sig1", created: intField(s, "created"),
        expiresAt: intField(s, "expires"), nonce: strField(s, "nonce"), tag: strField(s, "tag"),
        includeAlg: boolOr(s, "include_alg", false), contentDigest: contentDigest(s, "content_digest"),
      });
    case "kong-hmac":
      return new Scheme({
        name, algorithm: strField(s, "algorithm") ?? "hmac-sha256", headers: stringList(s, "headers"),
        headerName: strField(s, "header_name") ?? "authorization", httpVersion: strField(s, "http_version") ?? "1.1",
        digest: boolOr(s, "digest", false),
      });
    case "hawk": {
      const algorithm = strField(s, "algorithm") ?? "sha256";
      const [nonce, ext, app, dlg] = ["nonce", "ext", "app", "dlg"].map((k) => strField(s, k));
      const payloadHash = boolOr(s, "payload_hash", true);
      const signatureType = strField(s, "signature_type") ?? "header";
      if (signatureType !== "header" && signatureType !== "bewit") {
        throw unsupported(`hawk signature_type ${show(signatureType)} is not offered; use header or bewit`);
      }
      return new Scheme({ name, algorithm, nonce, ext, app, dlg, payloadHash, signatureType, ttl: secondsField(s, "ttl", 60) });
    }
    default:
      throw unsupported(`scheme ${show(name)} is not offered`);
  }
}

function policy(c) {
  if (c.policy === undefined || c.policy === null) return undefined;
  const p = obj(c, "policy");
  const name = schemeName(c);
  switch (name) {
    case "api-auth":
      return new Policy({
        name, clockSkew: secondsField(p, "clock_skew", 900), digest: strField(p, "digest"),
        trustOriginalUri: p.trust_original_uri === true, allowUnsignedBody: p.allow_unsigned_body === true,
      });
    case "path-body-hex":
      return undefined; // no policy options; a policy in the case is ignored
    case "aws-sigv4":
      return new Policy({ name, maxSkew: secondsField(p, "max_skew", 900) });
    case "timestamped":
      return new Policy({
        name, maxAge: secondsField(p, "max_age", 300), maxFuture: secondsField(p, "max_future", 5),
        publicBaseUrl: strField(p, "public_base_url"), trustForwarded: boolOr(p, "trust_forwarded", false),
      });
    case "rfc9421":
      return new Policy({
        name, maxAge: secondsField(p, "max_age", 300), requiredComponents: stringList(p, "required_components"),
        clockSkew: secondsField(p, "clock_skew", 5), label: strField(p, "label"), tag: strField(p, "tag"),
        allowUnsignedBody: boolOr(p, "allow_unsigned_body", false),
      });
    case "kong-hmac":
      return new Policy({
        name, clockSkew: secondsField(p, "clock_skew", 300), enforceHeaders: stringList(p, "enforce_headers") ?? [],
        algorithms: stringList(p, "algorithms"), validateRequestBody: boolOr(p, "validate_request_body", false),
      });
    case "hawk": {
      const timestampSkew = secondsField(p, "timestamp_skew", 60);
      const payload = strField(p, "payload") ?? "verify";
      if (payload !== "verify" && payload !== "require") throw unsupported(`hawk payload ${show(payload)} is not offered; use verify or require`);
      const host = strField(p, "host");
      const port = p.port ?? undefined;
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw badCase("port must be an integer in 0..65535");
      return new Policy({ name, timestampSkew, requirePayloadHash: payload === "require", host, port });
    }
    default:
      throw unsupported(`scheme ${show(name)} is not offered`);
  }
}

function credentials(c) {
  if (!("credentials" in c)) throw badCase("no credentials");
  const o = obj(c, "credentials");
  const keyId = strField(o, "key_id") ?? "";
  const secret = strField(o, "secret");
  const secretB64 = strField(o, "secret_b64");
  if (secretB64 !== undefined) return [keyId, b64(secretB64, "secret_b64")];
  if (secret !== undefined) return [keyId, secret];
  throw badCase("credentials need secret or secret_b64");
}

function headersAndBody(r) {
  const raw = r.headers ?? [];
  if (!Array.isArray(raw)) throw badCase(`headers must be a list, not ${show(raw)}`);
  for (const pair of raw) {
    if (!(Array.isArray(pair) && pair.length === 2 && pair.every((x) => typeof x === "string"))) {
      throw badCase(`a header must be a [name, value] pair of strings, not ${show(pair)}`);
    }
  }
  const bodyB64 = strField(r, "body_b64");
  return [raw, bodyB64 ? b64(bodyB64, "body_b64") : new Uint8Array()];
}

function request(c) {
  if (!("request" in c)) throw badCase("no request");
  const r = obj(c, "request");
  const [headers, body] = headersAndBody(r);
  const method = strField(r, "method");
  if (method === undefined) throw badCase("no method");
  const target = strField(r, "target");
  if (target === undefined) throw badCase("no target");
  return { method, target, headers, body };
}

function response(c) {
  if (c.response === undefined || c.response === null) return undefined;
  const r = obj(c, "response");
  if (!Number.isInteger(r.status) || r.status < 0 || r.status > 0xffff) throw badCase("response.status");
  const [headers, body] = headersAndBody(r);
  const answered = c.request === undefined || c.request === null ? undefined : request(c);
  return [{ status: r.status, headers, body }, answered];
}

function now(c) {
  if (c.now === undefined || c.now === null) return undefined;
  if (!isI64(c.now)) throw badCase("now must be an integer");
  return c.now;
}

function signedResult(signed) {
  const out = { headers: signed.headers };
  const text = new TextDecoder("utf-8", { fatal: true });
  try {
    out.string_to_sign = text.decode(signed.stringToSign);
  } catch {
    out.string_to_sign_b64 = Buffer.from(signed.stringToSign).toString("base64");
  }
  if (signed.url !== undefined) out.url = signed.url;
  return out;
}

function runCase(c) {
  if (c.op === "sign") {
    const message = response(c);
    if (message !== undefined) {
      const [resp, answered] = message;
      const sch = scheme(c);
      const [keyId, secret] = credentials(c);
      return signedResult(signResponse(sch, keyId, secret, resp, answered, now(c)));
    }
    const sch = scheme(c);
    const [keyId, secret] = credentials(c);
    const signer = new Signer(sch, keyId, secret);
    try {
      const r = request(c);
      return signedResult(signer.sign(r.method, r.target, r.headers, r.body, now(c)));
    } finally {
      signer.free();
    }
  }
  if (c.op === "verify") {
    const message = response(c);
    if (message !== undefined) {
      const [resp, answered] = message;
      const sch = scheme(c);
      const [keyId, secret] = credentials(c);
      return { key_id: verifyResponse(sch, keyId, secret, resp, answered, policy(c), now(c)) };
    }
    const sch = scheme(c);
    const [keyId, secret] = credentials(c);
    return { key_id: verifyRequest(sch, keyId, secret, request(c), policy(c), now(c)) };
  }
  if (c.op === "key_id") return { key_id: extractKeyId(scheme(c), request(c)) };
  throw unsupported(`op ${show(typeof c.op === "string" ? c.op : "")} is not offered`);
}

function result(c) {
  const out = { id: isObject(c) && "id" in c ? c.id : null };
  try {
    return Object.assign(out, { ok: true }, runCase(isObject(c) ? c : {}));
  } catch (error) {
    if (error instanceof HmacSigError || error instanceof CaseError) {
      return Object.assign(out, { ok: false, error: error.kind, message: error.message });
    }
    if (error instanceof TypeError) return Object.assign(out, { ok: false, error: "invalid_request", message: `unusable case: ${error.message}` });
    throw error;
  }
}

const text = process.argv[2] ? readFileSync(process.argv[2], "utf8") : readFileSync(0, "utf8");
let cases;
try {
  cases = parseJson(text);
} catch (e) {
  process.stderr.write(`js runner: the input is not JSON: ${e.message}\n`);
  process.exit(2);
}
if (!Array.isArray(cases)) {
  process.stderr.write("js runner: the input must be a JSON array of cases\n");
  process.exit(2);
}
process.stdout.write(JSON.stringify(cases.map(result), null, 1) + "\n");
