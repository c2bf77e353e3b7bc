// Hand-written: readable messages for the generated `HmacSigError` (the
// key store's `KeyStoreError`: KeyStoreError+Swift.swift).
//
// uniffi.toml sets `omit_localized_error_conformance`, so the generated enums are
// plain `Swift.Error`s; these conformances make `localizedDescription`,
// `description` and string interpolation show the Rust `reason` text (a full
// sentence, never secret material) instead of a reflected field dump.

import Foundation

extension HmacSigError: LocalizedError, CustomStringConvertible {
    /// The human-readable message: the Rust `reason`, verbatim.
    public var reason: String {
        switch self {
        case let .InvalidRequest(reason),
             let .MissingAuthorization(reason),
             let .MalformedAuthorization(reason),
             let .UnknownKey(reason, _),
             let .BadSignature(reason, _),
             let .Stale(reason),
             let .Future(reason),
             let .BodyMismatch(reason),
             let .DigestNotAllowed(reason),
             let .MissingSignedHeader(reason),
             let .Replayed(reason),
             let .Unsupported(reason),
             let .KeyLookupFailed(reason):
            return reason
        }
    }

    /// The conformance error kind (`docs/specs/conformance.md`), e.g. `"bad_signature"`;
    /// `"key_lookup_failed"` (a server-side failure, not a conformance kind) for `KeyLookupFailed`.
    public var kind: String {
        switch self {
        case .InvalidRequest: return "invalid_request"
        case .MissingAuthorization: return "missing_authorization"
        case .MalformedAuthorization: return "malformed_authorization"
        case .UnknownKey: return "unknown_key"
        case .BadSignature: return "bad_signature"
        case .Stale: return "stale"
        case .Future: return "future"
        case .BodyMismatch: return "body_mismatch"
        case .DigestNotAllowed: return "digest_not_allowed"
        case .MissingSignedHeader: return "missing_signed_header"
        case .Replayed: return "replayed"
        case .Unsupported: return "unsupported"
        case .KeyLookupFailed: return "key_lookup_failed"
        }
    }

    /// The HTTP status a server should answer with: 401 (no usable
    /// credentials), 403 (credentials refused) or 503 (the key lookup failed).
    /// The mapping is the Rust core's `http_status`.
    public var httpStatus: Int { Int(HmacSig.httpStatus(kind: kind)) }

    public var errorDescription: String? { reason }

    public var description: String { reason }
}
