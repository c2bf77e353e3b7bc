// The one call path (docs/ffi.md, core/src/ffi/): every sign and verify of the
// hand-written API (Operations.swift, URLRequest+HmacSig.swift) goes through
// `coreCall` below, i.e. the core's C entry `hmacsig_call` (HmacSigCall.h).
// UniFFI builds the objects; nothing here is public.
//
// In: the message's fields as one UTF-8 text joined by NUL, with their counts;
// the body and the caller's secret read in place (a `Data` of any size).
// Out: one result, a signed request, a key id, or a typed error, decoded here
// into the generated `SignedRequest` and `HmacSigError`.
//
// Lifetime, the one rule (docs/ffi.md "Object ids"): the core names a
// `Signer` or `Verifier` by an id, made once per object from a cloned UniFFI
// handle and kept in `CoreIds`. The core holds the object only weakly; a call
// holds it for its own duration, and an id whose object was freed answers
// CLOSED, forever (ids are never reused). `CoreIds` checks that an entry's
// object is the very object asking (a weak reference, not only its address),
// so a stale entry can never hand a freed object's id to a new one at the
// same address; entries of freed objects are swept as the table grows.

import Foundation
#if canImport(HmacSigFFI)
import HmacSigFFI
#endif

/// The ops of `hmacsig_call`.
enum CoreOp: UInt32 {
    case sign = 1
    case signResponse = 2
    case verify = 3
    case verifyResponse = 4
    case keyId = 5
    case responseKeyId = 6
}

/// `hmacsig_call`'s `now` for the system clock.
let coreSystemClock = Int64.min

/// What one call gave.
enum CoreResult: Equatable {
    case signed(SignedRequest)
    case keyId(String)
    case failed(HmacSigError)
}

// MARK: - In: the text and its counts

/// A message's headers, as the caller gave them.
enum CallHeaders {
    case records([Header])
    case pairs([(String, String)])

    func forEachField(_ visit: (String) -> Void) {
        switch self {
        case let .records(headers):
            for header in headers { visit(header.name); visit(header.value) }
        case let .pairs(headers):
            for (name, value) in headers { visit(name); visit(value) }
        }
    }

    var count: Int {
        switch self {
        case let .records(headers): return headers.count
        case let .pairs(headers): return headers.count
        }
    }
}

/// A message as `hmacsig_call` takes it (docs/ffi.md "In").
enum CallMessage {
    /// `method, target, name, value, …`
    case request(method: String, target: String, headers: CallHeaders)
    /// `status, name, value, …`, then the request it answers (without its body).
    case response(status: UInt16, headers: [Header], request: Request?)

    /// Low 32 bits: the message's field count; high 32: its request's (0: none).
    var counts: UInt64 {
        switch self {
        case let .request(_, _, headers):
            return UInt64(2 + 2 * headers.count)
        case let .response(_, headers, request):
            let answered = request.map { UInt64(2 + 2 * $0.headers.count) } ?? 0
            return UInt64(1 + 2 * headers.count) | answered << 32
        }
    }

    func forEachField(_ visit: (String) -> Void) {
        switch self {
        case let .request(method, target, headers):
            visit(method)
            visit(target)
            headers.forEachField(visit)
        case let .response(status, headers, request):
            visit(String(status))
            CallHeaders.records(headers).forEachField(visit)
            if let request {
                CallMessage.request(method: request.method, target: request.target, headers: .records(request.headers)).forEachField(visit)
            }
        }
    }

    /// The text's length in bytes: the fields' UTF-8 and a NUL between each two.
    var textLength: Int {
        var length = -1
        forEachField { length += $0.utf8.count + 1 }
        return max(length, 0)
    }

    /// Writes the text into `out`, which is `textLength` bytes long.
    func writeText(into out: UnsafeMutableRawBufferPointer) {
        var at = 0
        var first = true
        forEachField { field in
            if !first {
                out[at] = 0
                at += 1
            }
            first = false
            var field = field
            field.withUTF8 { bytes in
                if let base = bytes.baseAddress, !bytes.isEmpty {
                    (out.baseAddress! + at).copyMemory(from: base, byteCount: bytes.count)
                }
                at += bytes.count
            }
        }
        precondition(at == out.count, "the call text is not the length it was measured")
    }

    /// The text as bytes (for tests; calls write it into a temporary buffer).
    var text: [UInt8] {
        let length = textLength
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            writeText(into: UnsafeMutableRawBufferPointer(buffer))
            count = length
        }
    }
}

// MARK: - The call

/// Output buffers: results up to this size take no heap allocation.
private let outputStart = 1024

/// One `hmacsig_call`: `op` on the object `object`, with `message`, `body`,
/// the caller's `secret` (ops 3 and 4 on a verifier with caller secrets: nil
/// for a key id its lookup does not know) and `now` (nil: the system clock).
/// Returns the decoded result; throws an `HmacSigError` when the call could
/// not be made (a text of 4 GiB or more, `now == Int64.min`, a closed object,
/// a malformed result), never for what the core refused: that is `.failed`.
func coreCall(_ op: CoreOp, object: UInt64, message: CallMessage, body: Data, secret: Data? = nil, now: Int64?) throws -> CoreResult {
    if now == coreSystemClock {
        throw HmacSigError.InvalidRequest(reason: "now: Int64.min is not a time that can be signed or verified at; pass nil for the system clock")
    }
    let textLength = message.textLength
    guard textLength < Int(UInt32.max) else {
        throw HmacSigError.InvalidRequest(reason: "the method, target and headers take \(textLength) bytes: 4 GiB or more")
    }
    let counts = message.counts
    // The result when it fit the output buffer, else the call's return value.
    let returned: Result<CoreResult?, Returned> = withUnsafeTemporaryAllocation(byteCount: max(textLength, 1), alignment: 1) { scratch in
        let text = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<textLength])
        message.writeText(into: text)
        return body.withUnsafeBytes { body in
            withSecret(secret) { secret, secretLength in
                withUnsafeTemporaryAllocation(byteCount: outputStart, alignment: 1) { out in
                    let n = hmacsig_call(
                        op.rawValue, object, counts,
                        text.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(text.count),
                        body.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(body.count),
                        secret, secretLength,
                        now ?? coreSystemClock,
                        out.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(out.count)
                    )
                    guard n >= 0, n <= Int64(out.count) else { return .failure(Returned(n: n)) }
                    return .success(decodeResult(UnsafeRawBufferPointer(rebasing: out[0..<Int(n)])))
                }
            }
        }
    }
    switch returned {
    case let .success(result):
        guard let result else { try malformed() }
        return result
    case let .failure(returned):
        return try keptResult(returned.n)
    }
}

/// A return value of `hmacsig_call` with no result in the output buffer.
private struct Returned: Error {
    let n: Int64
}

/// The result of a call that returned `n` without writing it: a result kept
/// on this thread for `hmacsig_call_result` (the call is never made twice),
/// or an error for CLOSED and BAD_CALL.
private func keptResult(_ n: Int64) throws -> CoreResult {
    switch n {
    case -1:
        throw HmacSigError.Unsupported(reason: "this Signer or Verifier was freed: the core knows its id no more (docs/ffi.md)")
    case ..<0:
        throw HmacSigError.Unsupported(reason: "the core refused the call itself (\(n)): a bug in the Swift layer, please report it")
    case Int64(Int.max)...:
        try malformed()
    default:
        let length = Int(n)
        let result = try [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            let fetched = hmacsig_call_result(buffer.baseAddress, UInt64(length))
            guard fetched == n else { throw malformedError }
            count = length
        }
        guard let decoded = result.withUnsafeBytes(decodeResult) else { try malformed() }
        return decoded
    }
}

private let malformedError = HmacSigError.Unsupported(
    reason: "the core's result does not follow docs/ffi.md (a libhmacsig.so of another version?)"
)

private func malformed() throws -> Never {
    throw malformedError
}

/// Runs `body` with the secret's bytes: NULL for nil, a valid pointer (never
/// NULL) for an empty secret, which is a secret.
private func withSecret<R>(_ secret: Data?, _ body: (UnsafePointer<UInt8>?, UInt64) -> R) -> R {
    guard let secret else { return body(nil, 0) }
    if secret.isEmpty {
        var none: UInt8 = 0
        return withUnsafePointer(to: &none) { body($0, 0) }
    }
    return secret.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64($0.count)) }
}

// MARK: - Out: the result

/// The error kinds, by code: a code is its kind's index (docs/ffi.md).
let coreErrorKinds = [
    "invalid_request", "missing_authorization", "malformed_authorization", "unknown_key", "bad_signature", "stale",
    "future", "body_mismatch", "digest_not_allowed", "missing_signed_header", "replayed", "unsupported", "key_lookup_failed",
]

/// Decodes one result (docs/ffi.md "Out"); nil when the bytes do not follow
/// the layout. Never reads past `raw`.
func decodeResult(_ raw: UnsafeRawBufferPointer) -> CoreResult? {
    var reader = ResultReader(raw: raw)
    switch reader.byte() {
    case 0:
        guard let count = reader.length(), count <= reader.remaining / 8 else { return nil }
        var headers: [Header] = []
        headers.reserveCapacity(count)
        for _ in 0..<count {
            guard let name = reader.prefixedText(), let value = reader.prefixedText() else { return nil }
            headers.append(Header(name: name, value: value))
        }
        guard let urlField = reader.length() else { return nil }
        var url: String?
        if urlField > 0 {
            guard let text = reader.text(urlField - 1) else { return nil }
            url = text
        }
        return .signed(SignedRequest(headers: headers, stringToSign: reader.restData(), url: url))
    case 1:
        return .keyId(reader.restText())
    case 2:
        guard let code = reader.byte(), let count = reader.length(), count >= 1, count - 1 <= reader.remaining / 4 else { return nil }
        var fields: [String] = []
        for _ in 0..<count - 1 {
            guard let field = reader.prefixedText() else { return nil }
            fields.append(field)
        }
        fields.append(reader.restText())
        return coreError(code: code, fields: fields).map(CoreResult.failed)
    default:
        return nil
    }
}

/// The generated `HmacSigError` case of the kind `code` from its fields
/// (`reason`, then `keyId` or `stringToSign`); nil when they do not match. A
/// code this layer does not know (a newer core) is `Unsupported`, with its reason.
func coreError(code: UInt8, fields: [String]) -> HmacSigError? {
    let reason = fields[0]
    switch (code, fields.count) {
    case (3, 2): return .UnknownKey(reason: reason, keyId: fields[1])
    case (4, 2): return .BadSignature(reason: reason, stringToSign: fields[1])
    case (3, _), (4, _), (_, 2...): return nil
    case (0, _): return .InvalidRequest(reason: reason)
    case (1, _): return .MissingAuthorization(reason: reason)
    case (2, _): return .MalformedAuthorization(reason: reason)
    case (5, _): return .Stale(reason: reason)
    case (6, _): return .Future(reason: reason)
    case (7, _): return .BodyMismatch(reason: reason)
    case (8, _): return .DigestNotAllowed(reason: reason)
    case (9, _): return .MissingSignedHeader(reason: reason)
    case (10, _): return .Replayed(reason: reason)
    case (11, _): return .Unsupported(reason: reason)
    case (12, _): return .KeyLookupFailed(reason: reason)
    default: return .Unsupported(reason: "\(reason) (error code \(code), unknown to this version of the Swift layer)")
    }
}

/// Reads a result front to back; every read checks what is left.
private struct ResultReader {
    let raw: UnsafeRawBufferPointer
    var at = 0

    var remaining: Int { raw.count - at }

    mutating func byte() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { at += 1 }
        return raw[at]
    }

    /// A little-endian `u32`.
    mutating func length() -> Int? {
        guard remaining >= 4 else { return nil }
        defer { at += 4 }
        return Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
    }

    mutating func text(_ count: Int) -> String? {
        guard count <= remaining else { return nil }
        defer { at += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<at + count]), as: UTF8.self)
    }

    /// A `u32` length, then that many bytes of UTF-8.
    mutating func prefixedText() -> String? {
        guard let count = length() else { return nil }
        return text(count)
    }

    mutating func restText() -> String {
        text(remaining)!
    }

    mutating func restData() -> Data {
        defer { at = raw.count }
        return remaining == 0 ? Data() : Data(bytes: raw.baseAddress! + at, count: remaining)
    }
}

// MARK: - Object ids

/// The core's ids of the `Signer`s and `Verifier`s this process used, by
/// object (see the lifetime rule at the top of this file).
final class CoreIds: @unchecked Sendable {
    static let shared = CoreIds()

    private struct Entry {
        weak var object: AnyObject?
        let id: UInt64
    }

    private let lock = NSLock()
    private var entries: [ObjectIdentifier: Entry] = [:]
    /// Entries of freed objects are swept when the table reaches this size.
    private var sweepAt = 64

    /// The id of `object`: the cached one, else `make()`'s (0: none, not cached).
    func id(of object: AnyObject, make: () -> UInt64) -> UInt64 {
        let key = ObjectIdentifier(object)
        lock.lock()
        if let entry = entries[key], entry.object === object {
            lock.unlock()
            return entry.id
        }
        lock.unlock()
        // Outside the lock: two threads may both ask the core, which gives the same id.
        let id = make()
        guard id != 0 else { return 0 }
        lock.lock()
        defer { lock.unlock() }
        entries[key] = Entry(object: object, id: id)
        if entries.count >= sweepAt {
            entries = entries.filter { $0.value.object != nil }
            sweepAt = max(64, 2 * entries.count)
        }
        return id
    }

    /// How many entries the table holds (for tests).
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }
}

extension Signer {
    /// This signer's id in the core, made on first use.
    func coreId() throws -> UInt64 {
        let id = CoreIds.shared.id(of: self) { hmacsig_signer_id(uniffiCloneHandle()) }
        guard id != 0 else { throw HmacSigError.Unsupported(reason: "the core gave this Signer no id (a libhmacsig.so of another version?)") }
        return id
    }

    /// `op` with this signer; the signed request, or the core's error thrown.
    func callSigning(_ op: CoreOp, _ message: CallMessage, body: Data, now: Int64?) throws -> SignedRequest {
        let result = try withExtendedLifetime(self) { try coreCall(op, object: try coreId(), message: message, body: body, now: now) }
        switch result {
        case let .signed(signed): return signed
        case let .failed(error): throw error
        case .keyId: try malformed()
        }
    }
}

extension Verifier {
    /// This verifier's id in the core, made on first use.
    func coreId() throws -> UInt64 {
        let id = CoreIds.shared.id(of: self) { hmacsig_verifier_id(uniffiCloneHandle()) }
        guard id != 0 else { throw HmacSigError.Unsupported(reason: "the core gave this Verifier no id (a libhmacsig.so of another version?)") }
        return id
    }

    /// `op` with this verifier; the key id, or the core's error thrown.
    func callForKeyId(_ op: CoreOp, _ message: CallMessage, body: Data, secret: Data? = nil, now: Int64?) throws -> String {
        let result = try withExtendedLifetime(self) {
            try coreCall(op, object: try coreId(), message: message, body: body, secret: secret, now: now)
        }
        switch result {
        case let .keyId(keyId): return keyId
        case let .failed(error): throw error
        case .signed: try malformed()
        }
    }
}
