// Types of `hmacsig/swagger-ui`: Swagger UI signs "Try it out" requests with the core.
import type { SchemeOptions } from "./index.js";

export interface SwaggerUiSigningOptions {
  /** The scheme's options, as for `new Scheme(...)`. Default: `{ name: "timestamped" }`. */
  scheme?: SchemeOptions;
  /** The `http` `basic` security scheme whose dialog holds the key id and secret. Default `hmacsig`. */
  securityScheme?: string;
  /** A clock for tests: Unix seconds. */
  now?: () => number;
}

/** Swagger UI's request, as its `requestInterceptor` receives it. */
export interface SwaggerUiRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: unknown;
  loadSpec?: boolean;
  [other: string]: unknown;
}

/** Options to spread into `SwaggerUIBundle({...})`. */
export interface SwaggerUiSigning {
  plugins: Array<(system: unknown) => object>;
  requestInterceptor(request: SwaggerUiRequest): SwaggerUiRequest;
}

export function hmacSigSwaggerUi(options?: SwaggerUiSigningOptions): SwaggerUiSigning;
