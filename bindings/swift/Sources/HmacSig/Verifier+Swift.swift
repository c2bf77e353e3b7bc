// Hand-written: server-side conveniences over the generated `Verifier`,
// `ReplayGuard` and `httpStatus(kind:)`, and key lookups in Swift: the
// `KeyLookup` protocol and `Verifier.withLookup`. The core never calls back
// into Swift: a verifier with a lookup asks the core for the key id a request
// claims, runs the lookup here, then verifies with the secret it found
// (Operations.swift). A verifier made with the generated
// `Verifier.withStore(scheme:store:policy:replayGuard:)` (an encrypted
// `KeyStore`) needs nothing here: the core finds its secrets, and it verifies
// in one call of the C entry, as a `withKeys` one does.

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

    /// A verifier that asks `lookup` for the secret of each request's key id
    /// (see `withLookup(scheme:policy:replayGuard:lookup:)`). The verifier
    /// keeps `lookup` for its lifetime.
    public static func withLookup(
        scheme: Scheme,
        lookup: KeyLookup,
        policy: Policy? = nil,
        replayGuard: ReplayGuard? = nil
    ) throws -> Verifier {
        LookupVerifier(try withCallerSecrets(scheme: scheme, policy: policy, replayGuard: replayGuard), lookup: lookup)
    }
}

/// Where a `Verifier` finds the secret of a key id: return it, or nil when
/// the key id is unknown (`HmacSigError.UnknownKey`). What it throws becomes
/// `HmacSigError.KeyLookupFailed` with the error's description (its
/// `errorDescription` for a `LocalizedError`, e.g. `KeyLookupError`).
/// Called from any thread, concurrently.
public protocol KeyLookup: AnyObject, Sendable {
    func secretFor(keyId: String) throws -> Data?
}

/// A verifier made `withCallerSecrets` that remembers its Swift key lookup
/// (the generated class is `open`: the subclass owns one more handle of the
/// same Rust object, and the lookup lives exactly as long as it).
final class LookupVerifier: Verifier, @unchecked Sendable {
    let lookup: KeyLookup?

    init(_ verifier: Verifier, lookup: KeyLookup) {
        self.lookup = lookup
        super.init(unsafeFromHandle: verifier.uniffiCloneHandle())
    }

    /// Never made from a bare handle by this layer; one that is has no lookup
    /// and verifies as the `withCallerSecrets` verifier it is.
    required init(unsafeFromHandle handle: UInt64) {
        lookup = nil
        super.init(unsafeFromHandle: handle)
    }
}

/// Adapts a closure to `KeyLookup`.
private final class ClosureKeyLookup: KeyLookup {
    private let lookup: @Sendable (String) throws -> Data?

    init(_ lookup: @escaping @Sendable (String) throws -> Data?) {
        self.lookup = lookup
    }

    func secretFor(keyId: String) throws -> Data? {
        try lookup(keyId)
    }
}

/// The text of an error thrown by a key lookup: `errorDescription` when it has
/// one, else `String(describing:)` (its `description`, or the case name).
func readableText(of error: Error) -> String {
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
