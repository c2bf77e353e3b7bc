// Hand-written conveniences over the generated API. Thin on purpose: every
// call lands in the same Rust function as the generated one.

import Foundation

extension Credentials {
    /// Credentials whose secret is the UTF-8 bytes of `secret` (api-auth uses
    /// generated secrets as text, never base64-decoded).
    public convenience init(keyId: String, secret: String) {
        self.init(keyId: keyId, secret: Data(secret.utf8))
    }
}

extension Credentials: CustomStringConvertible {
    /// Shows the key id only; the secret never leaves the Rust object.
    public var description: String { "Credentials(keyId: \(keyId()))" }
}

extension Header {
    /// `Header("Content-Type", "application/json")`.
    public init(_ name: String, _ value: String) {
        self.init(name: name, value: value)
    }
}

extension Signer {
    /// Signs a request given as `(name, value)` pairs, in order; a name may repeat.
    /// `now` is Unix seconds (nil: the system clock).
    public func sign(
        method: String,
        target: String,
        headers: [(String, String)],
        body: Data = Data(),
        now: Int64? = nil
    ) throws -> SignedRequest {
        try sign(method: method, target: target, headers: headers.map { Header(name: $0.0, value: $0.1) }, body: body, now: now)
    }

    /// Signs a request that has no body (the generated `sign` takes the body
    /// explicitly: `sign(method:target:headers:body:now:)`).
    public func sign(
        method: String,
        target: String,
        headers: [Header] = [],
        now: Int64? = nil
    ) throws -> SignedRequest {
        try sign(method: method, target: target, headers: headers, body: Data(), now: now)
    }
}

extension SignedRequest {
    /// The string to sign as text, or nil when the bytes are not valid UTF-8.
    public var stringToSignText: String? {
        let text = String(decoding: stringToSign, as: UTF8.self)
        return Data(text.utf8) == stringToSign ? text : nil
    }

    /// The value of the header `name` (case-insensitive) that the signer set, if any.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

extension Request {
    /// A request from `(name, value)` header pairs, in order.
    public init(method: String, target: String, headers: [(String, String)], body: Data = Data()) {
        self.init(method: method, target: target, headers: headers.map { Header(name: $0.0, value: $0.1) }, body: body)
    }
}

extension Response {
    /// A response from `(name, value)` header pairs, in order (rfc9421's
    /// `signResponse` / `verifyResponse`).
    public init(status: UInt16, headers: [(String, String)], body: Data = Data()) {
        self.init(status: status, headers: headers.map { Header(name: $0.0, value: $0.1) }, body: body)
    }
}
