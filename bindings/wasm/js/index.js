// hmacsig for JavaScript (Node >= 20, browsers): the Rust core built to WebAssembly.
//
// Every class and function is the core's (wasm-bindgen, ../src/lib.rs); this file loads
// the module and makes the core's refusals instances of HmacSigError (with `kind`).
//
//   import { Scheme, Signer, Verifier, HmacSigError } from "hmacsig";
//   const signer = new Signer(new Scheme({ name: "api-auth", digest: "sha256" }), "1044", secret);
//   const { headers } = signer.sign("POST", "/orders?id=7", [["Content-Type", "application/json"]], body);

import init, * as core from "./hmacsig_wasm.js";

const wasm = new URL("./hmacsig_wasm_bg.wasm", import.meta.url);
if (typeof process !== "undefined" && process.versions && process.versions.node && wasm.protocol === "file:") {
  // Node cannot fetch file: URLs; read the module from disk.
  const { readFileSync } = await import("node:fs");
  core.initSync({ module: readFileSync(wasm) });
} else {
  await init({ module_or_path: wasm });
}

/** A refusal from the core: `kind` is the conformance error kind (`bad_signature`, ...). */
export class HmacSigError extends Error {
  constructor(kind, reason, message, details) {
    super(message ?? reason);
    this.name = "HmacSigError";
    this.kind = kind;
    this.reason = reason;
    // bad_signature: `stringToSign`, what the verifier signed; unknown_key: `keyId`.
    if (details?.stringToSign !== undefined) this.stringToSign = details.stringToSign;
    if (details?.keyId !== undefined) this.keyId = details.keyId;
  }
}

function rethrow(error) {
  if (error instanceof Error && error.name === "HmacSigError" && !(error instanceof HmacSigError)) {
    throw new HmacSigError(error.kind, error.reason, error.message, error);
  }
  throw error;
}

function guarded(fn) {
  return function (...args) {
    try {
      return fn.apply(this, args);
    } catch (error) {
      rethrow(error);
    }
  };
}

// The core's errors become HmacSigError on every method and function (one wrapper each).
for (const cls of [core.Scheme, core.Policy, core.Signer, core.Verifier, core.ReplayGuard, core.BodyHasher]) {
  for (const name of Object.getOwnPropertyNames(cls.prototype)) {
    const d = Object.getOwnPropertyDescriptor(cls.prototype, name);
    if (name !== "constructor" && typeof d.value === "function") cls.prototype[name] = guarded(d.value);
  }
  for (const name of Object.getOwnPropertyNames(cls)) {
    const d = Object.getOwnPropertyDescriptor(cls, name);
    if (typeof d.value === "function" && !["length", "name", "prototype"].includes(name)) cls[name] = guarded(d.value);
  }
}

function constructed(cls) {
  // `new Scheme(...)` throws from the constructor: a subclass turns that error too.
  const wrapped = class extends cls {
    constructor(...args) {
      try {
        super(...args);
      } catch (error) {
        rethrow(error);
      }
    }
  };
  Object.defineProperty(wrapped, "name", { value: cls.name });
  return wrapped;
}

// One string each way per sign and verify (ADR 0009): the headers packed as name\0value\0...,
// checked here as the conversions of the core's own `sign` would.
function packHeaders(headers) {
  if (headers === undefined || headers === null) return ["", 0];
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  const parts = [];
  for (const item of pairs) {
    const [name, value] = Array.isArray(item) ? (item.length === 2 ? item : []) : [item?.name, item?.value];
    if (typeof name !== "string" || typeof value !== "string") {
      throw new TypeError("a header must be a [name, value] pair (or { name, value }) of strings");
    }
    parts.push(name, value);
  }
  return [parts.join("\0"), pairs.length];
}

const encoder = new TextEncoder();

function unpackSigned(packed) {
  let at = packed.indexOf("\0");
  const url = packed.slice(0, at);
  let next = packed.indexOf("\0", at + 1);
  const count = Number(packed.slice(at + 1, next));
  const headers = [];
  for (let i = 0; i < count; i++) {
    at = packed.indexOf("\0", next + 1);
    const name = packed.slice(next + 1, at);
    next = packed.indexOf("\0", at + 1);
    headers.push([name, packed.slice(at + 1, next)]);
  }
  const kind = packed[next + 1];
  const rest = packed.slice(next + 2);
  const signed = { headers };
  let bytes;
  Object.defineProperty(signed, "stringToSign", {
    enumerable: true,
    get() {
      bytes ??= kind === "t" ? encoder.encode(rest) : Uint8Array.from(atob(rest), (c) => c.charCodeAt(0));
      return bytes;
    },
  });
  if (url !== "") signed.url = url;
  return signed;
}

// The packed entries are this file's, not API: taken off the prototypes (guarded above).
const { signPacked } = core.Signer.prototype;
const { verifyPacked } = core.Verifier.prototype;
delete core.Signer.prototype.signPacked;
delete core.Verifier.prototype.verifyPacked;
core.Signer.prototype.sign = function (method, target, headers, body, now) {
  const [packed, count] = packHeaders(headers);
  return unpackSigned(signPacked.call(this, method, target, packed, count, body, now));
};
core.Verifier.prototype.verify = function (method, target, headers, body, now) {
  const [packed, count] = packHeaders(headers);
  return verifyPacked.call(this, method, target, packed, count, body, now);
};

export const Scheme = constructed(core.Scheme);
export const Policy = constructed(core.Policy);
export const Signer = constructed(core.Signer);
export const ReplayGuard = constructed(core.ReplayGuard);
export const BodyHasher = constructed(core.BodyHasher);
export const BodyDigest = core.BodyDigest;
export const Verifier = core.Verifier;
export const verifyRequest = guarded(core.verifyRequest);
export const signResponse = guarded(core.signResponse);
export const verifyResponse = guarded(core.verifyResponse);
export const extractKeyId = guarded(core.extractKeyId);
export const generateSecret = guarded(core.generateSecret);
export const httpStatus = core.httpStatus;
