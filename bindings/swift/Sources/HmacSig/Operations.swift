// Hand-written: signing and verifying, with the names, argument labels and
// defaults the generated bindings had before the hot operations left them
// (docs/ffi.md). Every one is a single call of the core's C entry through
// `coreCall` (CoreCall.swift); a verifier with a Swift key lookup makes two
// (the claimed key id, then the verification with the secret found).

import Foundation

extension Signer {
    /// Signs a request; returns the headers to set (or, for an aws-sigv4
    /// presigned scheme or a hawk bewit, the signed URL) and the string that was signed.
    /// `now` is Unix seconds (nil: the system clock). The body is read in
    /// place, whatever its size.
    public func sign(method: String, target: String, headers: [Header], body: Data, now: Int64? = nil) throws -> SignedRequest {
        try callSigning(.sign, .request(method: method, target: target, headers: .records(headers)), body: body, now: now)
    }

    /// Signs a request given as `(name, value)` pairs, in order; a name may repeat.
    public func sign(
        method: String,
        target: String,
        headers: [(String, String)],
        body: Data = Data(),
        now: Int64? = nil
    ) throws -> SignedRequest {
        try callSigning(.sign, .request(method: method, target: target, headers: .pairs(headers)), body: body, now: now)
    }

    /// Signs a request that has no body.
    public func sign(method: String, target: String, headers: [Header] = [], now: Int64? = nil) throws -> SignedRequest {
        try sign(method: method, target: target, headers: headers, body: Data(), now: now)
    }

    /// Signs `request` (its method, target, headers and body).
    public func signRequest(request: Request, now: Int64? = nil) throws -> SignedRequest {
        try sign(method: request.method, target: request.target, headers: request.headers, body: request.body, now: now)
    }

    /// Signs a response (rfc9421 and hawk; other schemes sign requests only):
    /// the headers to add to it. `request` is the request it answers: for
    /// rfc9421, for components such as `"@method";req`; for hawk, always, with
    /// the client's `Authorization` (its `Server-Authorization` is signed over it).
    public func signResponse(response: Response, request: Request? = nil, now: Int64? = nil) throws -> SignedRequest {
        let message = CallMessage.response(status: response.status, headers: response.headers, request: request)
        return try callSigning(.signResponse, message, body: response.body, now: now)
    }
}

extension Verifier {
    /// Verifies a request; returns the verified key id. `now` is Unix seconds
    /// (nil: the system clock).
    public func verify(method: String, target: String, headers: [Header], body: Data, now: Int64? = nil) throws -> String {
        try verified(.request(method: method, target: target, headers: .records(headers)), body: body, now: now)
    }

    /// Verifies a request given as `(name, value)` header pairs, in order (a
    /// name may repeat); returns the verified key id.
    public func verify(
        method: String,
        target: String,
        headers: [(String, String)],
        body: Data = Data(),
        now: Int64? = nil
    ) throws -> String {
        try verified(.request(method: method, target: target, headers: .pairs(headers)), body: body, now: now)
    }

    /// Verifies `request`; returns the verified key id.
    public func verifyRequest(request: Request, now: Int64? = nil) throws -> String {
        try verify(method: request.method, target: request.target, headers: request.headers, body: request.body, now: now)
    }

    /// Verifies a signed response (rfc9421, or hawk's `Server-Authorization`);
    /// returns the verified key id. `request` is the request it answers: for
    /// rfc9421, when its signature covers components of it; for hawk, always,
    /// with the `Authorization` it sent.
    public func verifyResponse(response: Response, request: Request? = nil, now: Int64? = nil) throws -> String {
        try verified(.response(status: response.status, headers: response.headers, request: request), body: response.body, now: now)
    }

    /// One verification: a single call, or, with a Swift key lookup, the
    /// claimed key id, the lookup, then the call with the secret it found
    /// (none: the core answers `UnknownKey`).
    private func verified(_ message: CallMessage, body: Data, now: Int64?) throws -> String {
        let isResponse: Bool
        if case .response = message { isResponse = true } else { isResponse = false }
        let op: CoreOp = isResponse ? .verifyResponse : .verify
        guard let lookup = (self as? LookupVerifier)?.lookup else {
            return try callForKeyId(op, message, body: body, now: now)
        }
        let keyId = try callForKeyId(isResponse ? .responseKeyId : .keyId, message, body: body, now: now)
        let secret: Data?
        do {
            secret = try lookup.secretFor(keyId: keyId)
        } catch {
            throw HmacSigError.KeyLookupFailed(reason: "the key lookup failed: \(readableText(of: error))")
        }
        return try callForKeyId(op, message, body: body, secret: secret, now: now)
    }
}

/// Signs `request` with a one-off `Signer`.
public func signRequest(scheme: Scheme, credentials: Credentials, request: Request, now: Int64? = nil) throws -> SignedRequest {
    try Signer(scheme: scheme, credentials: credentials).signRequest(request: request, now: now)
}

/// Verifies `request` against one key id and secret; returns the key id.
public func verifyRequest(
    scheme: Scheme, credentials: Credentials, request: Request, policy: Policy? = nil, now: Int64? = nil
) throws -> String {
    try Verifier.withCredentials(scheme: scheme, credentials: credentials, policy: policy, replayGuard: nil)
        .verifyRequest(request: request, now: now)
}

/// The key id `request` claims, unverified (e.g. to pick a tenant before
/// looking its secret up).
public func extractKeyId(scheme: Scheme, request: Request) throws -> String {
    let verifier = try Verifier.withCallerSecrets(scheme: scheme, policy: nil, replayGuard: nil)
    let message = CallMessage.request(method: request.method, target: request.target, headers: .records(request.headers))
    return try verifier.callForKeyId(.keyId, message, body: request.body, now: nil)
}

/// Signs a response (rfc9421 and hawk) with a one-off `Signer`.
public func signResponse(
    scheme: Scheme, credentials: Credentials, response: Response, request: Request? = nil, now: Int64? = nil
) throws -> SignedRequest {
    try Signer(scheme: scheme, credentials: credentials).signResponse(response: response, request: request, now: now)
}

/// Verifies a signed response (rfc9421 and hawk) against one key id and secret; returns the key id.
public func verifyResponse(
    scheme: Scheme, credentials: Credentials, response: Response, request: Request? = nil, policy: Policy? = nil, now: Int64? = nil
) throws -> String {
    try Verifier.withCredentials(scheme: scheme, credentials: credentials, policy: policy, replayGuard: nil)
        .verifyResponse(response: response, request: request, now: now)
}
