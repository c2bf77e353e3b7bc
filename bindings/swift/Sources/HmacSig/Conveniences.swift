// Hand-written conveniences over the generated records and objects. Signing
// and verifying themselves are in Operations.swift.

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
    /// A response from `(name, value)` header pairs, in order (rfc9421's and
    /// hawk's `signResponse` / `verifyResponse`).
    public init(status: UInt16, headers: [(String, String)], body: Data = Data()) {
        self.init(status: status, headers: headers.map { Header(name: $0.0, value: $0.1) }, body: body)
    }
}
