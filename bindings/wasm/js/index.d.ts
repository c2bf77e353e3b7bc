// Types of the npm package `hmacsig` (the hmacsig core as WebAssembly).

/** `[name, value]` pairs in order, `{ name, value }` records, or an object `{ name: value }`. */
export type Headers = Array<[string, string]> | Array<{ name: string; value: string }> | Record<string, string>;
/** Bytes, or text meaning its UTF-8. */
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** A refusal from the core; `kind` is the conformance error kind. */
export class HmacSigError extends Error {
  readonly kind:
    | "invalid_request" | "missing_authorization" | "malformed_authorization" | "unknown_key" | "bad_signature"
    | "stale" | "future" | "body_mismatch" | "digest_not_allowed" | "missing_signed_header" | "replayed"
    | "unsupported" | "key_lookup_failed";
  readonly reason: string;
  /** bad_signature: what the verifier signed (for debugging on the server; never send it to a client). */
  readonly stringToSign?: string;
  /** unknown_key: the key id the request named. */
  readonly keyId?: string;
}

export type SchemeOptions =
  | { name: "api-auth"; digest?: string; headersToSign?: string[]; overrideMethod?: string }
  | { name: "path-body-hex"; digest?: string }
  | { name: "timestamped"; headerStyle?: "x-request" | "authorization"; lowercaseUrl?: boolean }
  | {
      name: "aws-sigv4"; region: string; service: string; sessionToken?: string; omitSessionToken?: boolean;
      normalize?: boolean; doubleUriEncode?: boolean; signBody?: boolean; signatureType?: "header" | "query"; expires?: number;
    }
  | {
      name: "rfc9421"; components?: string[]; label?: string; created?: number; expiresAt?: number; nonce?: string;
      tag?: string; includeAlg?: boolean; contentDigest?: "sha-256" | "sha-512";
    }
  | { name: "kong-hmac"; algorithm?: string; headers?: string[]; headerName?: string; httpVersion?: "1.0" | "1.1" | "2.0"; digest?: boolean }
  | {
      name: "hawk"; algorithm?: "sha256" | "sha1"; nonce?: string; ext?: string; app?: string; dlg?: string;
      payloadHash?: boolean; signatureType?: "header" | "bewit"; ttl?: number;
    };

export type PolicyOptions =
  | { name: "api-auth"; clockSkew?: number; digest?: string; trustOriginalUri?: boolean; allowUnsignedBody?: boolean }
  | { name: "aws-sigv4"; maxSkew?: number }
  | { name: "timestamped"; maxAge?: number; maxFuture?: number; publicBaseUrl?: string; trustForwarded?: boolean }
  | { name: "rfc9421"; maxAge?: number; requiredComponents?: string[]; clockSkew?: number; label?: string; tag?: string; allowUnsignedBody?: boolean }
  | { name: "kong-hmac"; clockSkew?: number; enforceHeaders?: string[]; algorithms?: string[]; validateRequestBody?: boolean }
  | { name: "hawk"; timestampSkew?: number; requirePayloadHash?: boolean; host?: string; port?: number };

export interface Signed {
  /** Every header to set, in order, replacing any of the same name. */
  headers: Array<[string, string]>;
  /** The exact bytes that were MACed. */
  stringToSign: Uint8Array;
  /** The signed URL (a presigned URL, a hawk bewit). */
  url?: string;
}

export interface Request { method: string; target: string; headers?: Headers; body?: Bytes }
export interface Response { status: number; headers?: Headers; body?: Bytes }

export class Scheme {
  constructor(options: SchemeOptions);
  readonly name: string;
  /** Whether an HTTP client signs the absolute URL (hawk). */
  readonly signsAbsoluteUrl: boolean;
  free(): void;
}

export class Policy {
  constructor(options: PolicyOptions);
  free(): void;
}

export class Signer {
  constructor(scheme: Scheme, keyId: string, secret: Bytes);
  readonly keyId: string;
  /** Whether an HTTP client gives it the absolute URL (hawk). */
  readonly signsAbsoluteUrl: boolean;
  sign(method: string, target: string, headers?: Headers, body?: Bytes, now?: number): Signed;
  signResponse(status: number, headers?: Headers, body?: Bytes, request?: Request, now?: number): Signed;
  /** The same headers as `sign` with the whole body, from its streamed digest (api-auth, aws-sigv4, rfc9421, kong-hmac). */
  signWithBodyDigest(method: string, target: string, headers: Headers | undefined, digest: BodyDigest, now?: number): Signed;
  free(): void;
}

/** A body hashed chunk by chunk, for `Signer.signWithBodyDigest`. */
export class BodyHasher {
  constructor(algorithm?: "sha-256" | "sha-512");
  update(chunk: Bytes): void;
  /** The digest of every chunk; the hasher is spent after. */
  finish(): BodyDigest;
  free(): void;
}

export class BodyDigest {
  readonly algorithm: "sha-256" | "sha-512";
  readonly digest: Uint8Array;
  readonly length: number;
  free(): void;
}

export class ReplayGuard {
  constructor(capacity?: number, defaultTtl?: number);
  readonly size: number;
  free(): void;
}

export class Verifier {
  static withKeys(scheme: Scheme, keys: Record<string, Bytes>, policy?: Policy, replayGuard?: ReplayGuard): Verifier;
  /**
   * The secret looked up per request by a synchronous function: the secret, or null/undefined
   * for an unknown key id (`unknown_key`). If it throws (or returns a Promise), the verify
   * fails with `key_lookup_failed` (HTTP 503).
   */
  static withLookup(scheme: Scheme, lookup: (keyId: string) => Bytes | null | undefined, policy?: Policy, replayGuard?: ReplayGuard): Verifier;
  /** Whether a server verifies `scheme://Host/target` (hawk). */
  readonly signsAbsoluteUrl: boolean;
  /** The verified key id; throws HmacSigError. */
  verify(method: string, target: string, headers?: Headers, body?: Bytes, now?: number): string;
  verifyResponse(status: number, headers?: Headers, body?: Bytes, request?: Request, now?: number): string;
  keyId(method: string, target: string, headers?: Headers): string;
  free(): void;
}

export function verifyRequest(scheme: Scheme, keyId: string, secret: Bytes, request: Request, policy?: Policy, now?: number): string;
export function signResponse(scheme: Scheme, keyId: string, secret: Bytes, response: Response, request?: Request, now?: number): Signed;
export function verifyResponse(scheme: Scheme, keyId: string, secret: Bytes, response: Response, request?: Request, policy?: Policy, now?: number): string;
export function extractKeyId(scheme: Scheme, request: Request): string;
export function generateSecret(): string;
/** The HTTP status for an error kind: 401, 403 or 503. */
export function httpStatus(kind: string): number;
