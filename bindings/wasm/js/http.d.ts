// Types of `hmacsig/http`.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Signer, Verifier } from "./index.js";

/** The fixed sentence of a refusal's body, per error kind. */
export const REFUSALS: Record<string, string>;

/** A fetch that signs each request as it is sent. */
export function signingFetch(
  signer: Signer,
  options?: { fetch?: typeof fetch; now?: () => number },
): (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface VerifyingOptions { maxBodyBytes?: number; passPaths?: string[] }

/** A node:http request listener that verifies, then calls `next` with `req.hmacsigKeyId` and `req.body` set. */
export function verifying(
  verifier: Verifier,
  next: (req: IncomingMessage & { hmacsigKeyId: string; body: Buffer }, res: ServerResponse, ...rest: unknown[]) => void,
  options?: VerifyingOptions,
): (req: IncomingMessage, res: ServerResponse, ...rest: unknown[]) => void;

/** Express middleware. */
export function expressMiddleware(verifier: Verifier, options?: VerifyingOptions): (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
