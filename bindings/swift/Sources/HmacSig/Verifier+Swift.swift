// Hand-written: server-side conveniences over the generated `Verifier`,
// `KeyLookup`, `ReplayGuard` and `httpStatus(kind:)`. Thin on purpose: every
// call lands in the same Rust function as the generated one.

import Foundation

extension Verifier {
    /// A verifier whose secrets are text: each secret is the UTF-8 bytes of its
    /// string (api-auth uses generated secrets as text, never base64-decoded),
    /// as with `Credentials(keyId:secret: String)`.
    ///
    /// Disfavoured so that `keys: [:]` still picks the generated `[String: Data]` one.
    @_disfavoredOverload
    public static func withKeys(
        scheme: Scheme,
        keys: [String: String],
        policy: Policy? = nil,
        replayGuard: ReplayGuard? = nil
    ) throws -> Verifier {
        try withKeys(scheme: scheme, keys: keys.mapValues { Data($0.utf8) }, policy: policy, replayGuard: replayGuard)
    }

    /// A verifier that calls `lookup` with each request's key id: return the
    /// secret, or nil for an unknown key id (`HmacSigError.UnknownKey`).
    /// Anything `lookup` throws becomes `HmacSigError.KeyLookupFailed`, whose
    /// message carries the error's description; it never crashes the caller.
    ///
    /// `lookup` may be called from any thread, concurrently: it must be `@Sendable`.
    ///
    /// ```swift
    /// let verifier = try Verifier.withLookup(scheme: scheme) { keyId in try db.secret(for: keyId) }
    /// ```
    public static func withLookup(
        scheme: Scheme,
        policy: Policy? = nil,
        replayGuard: ReplayGuard? = nil,
        lookup: @escaping @Sendable (_ keyId: String) throws -> Data?
    ) throws -> Verifier {
        try withLookup(scheme: scheme, lookup: ClosureKeyLookup(lookup), policy: policy, replayGuard: replayGuard)
    }

    /// Verifies a request given as `(name, value)` header pairs, in order (a
    /// name may repeat); returns the verified key id. `now` is Unix seconds
    /// (nil: the system clock).
    public func verify(
        method: String,
        target: String,
        headers: [(String, String)],
        body: Data = Data(),
        now: Int64? = nil
    ) throws -> String {
        try verify(method: method, target: target, headers: headers.map { Header(name: $0.0, value: $0.1) }, body: body, now: now)
    }
}

/// Adapts a closure to the generated `KeyLookup` protocol.
///
/// The generated callback code reports a thrown `KeyLookupError` as itself and
/// any other error as `String(describing:)`; this adapter turns every other
/// error into `KeyLookupError.Failed` with its most readable text first, so a
/// `LocalizedError`'s `errorDescription` is used rather than a reflected dump.
private final class ClosureKeyLookup: KeyLookup {
    private let lookup: @Sendable (String) throws -> Data?

    init(_ lookup: @escaping @Sendable (String) throws -> Data?) {
        self.lookup = lookup
    }

    func secretFor(keyId: String) throws -> Data? {
        do {
            return try lookup(keyId)
        } catch let error as KeyLookupError {
            throw error
        } catch {
            throw KeyLookupError.Failed(reason: readableText(of: error))
        }
    }
}

/// The text of an error thrown by a key lookup: `errorDescription` when it has
/// one, else `String(describing:)` (its `description`, or the case name).
private func readableText(of error: Error) -> String {
    if let localized = error as? LocalizedError, let text = localized.errorDescription {
        return text
    }
    return String(describing: error)
}

extension KeyLookupError: LocalizedError, CustomStringConvertible {
    /// The reason given when the error was thrown.
    public var reason: String {
        switch self {
        case let .Failed(reason): return reason
        }
    }

    public var errorDescription: String? { reason }

    public var description: String { reason }
}

extension ReplayGuard {
    /// How many signatures are remembered now (`len()`).
    public var count: Int { Int(len()) }
}

/// The HTTP status a server should answer `error` with: 401 when the request
/// carries no usable credentials, 403 when credentials were presented and
/// refused, 503 when the key lookup failed (the core's `httpStatus(kind:)`).
public func httpStatus(_ error: HmacSigError) -> Int {
    Int(httpStatus(kind: error.kind))
}
