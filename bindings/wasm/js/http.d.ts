// Types of `hmacsig/http`.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Bytes, Signer, Verifier } from "./index.js";

/** The fixed sentence of a refusal's body, per error kind. */
export const REFUSALS: Record<string, string>;

/** A fetch that signs each request as it is sent. */
export function signingFetch(
  signer: Signer,
  options?: { fetch?: typeof fetch; now?: () => number },
): (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** `node:http` request options for `url`, signed; send exactly `body` with `req.end(body)`. */
export function signedRequestOptions(
  signer: Signer,
  url: string | URL,
  options?: { method?: string; headers?: Record<string, string | string[]>; [other: string]: unknown },
  body?: Bytes,
  clock?: { now?: () => number },
): { protocol: string; hostname: string; port?: string; path: string; method: string; headers: Record<string, string | string[]>; [other: string]: unknown };

/**
 * An undici interceptor signing each request as undici sends it:
 * `new Agent().compose(signingInterceptor(signer))`. A body undici would stream (a stream,
 * an iterable, FormData, a Blob) throws `HmacSigError` `invalid_request`; nothing is sent.
 */
export function signingInterceptor(
  signer: Signer,
  options?: { now?: () => number },
): <D extends (opts: any, handler: any) => any>(dispatch: D) => (opts: Parameters<D>[0], handler: Parameters<D>[1]) => ReturnType<D>;

export interface VerifyingOptions { maxBodyBytes?: number; passPaths?: string[] }

/** A node:http request listener that verifies, then calls `next` with `req.hmacsigKeyId` and `req.body` set. */
export function verifying(
  verifier: Verifier,
  next: (req: IncomingMessage & { hmacsigKeyId: string; body: Buffer }, res: ServerResponse, ...rest: unknown[]) => void,
  options?: VerifyingOptions,
): (req: IncomingMessage, res: ServerResponse, ...rest: unknown[]) => void;

/** Express middleware, before any body parser; `req.body` is the verified raw Buffer. */
export function expressMiddleware(verifier: Verifier, options?: VerifyingOptions): (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
