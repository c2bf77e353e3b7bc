// Hand-written conveniences over the generated API. Thin on purpose: every
// call lands in the same Rust function as the generated one; the `sign`
// conveniences (and `URLRequest.sign(with:)`) take its packed form through the
// core's raw C entry, below.

import Foundation
#if canImport(HmacSigFFI)
import HmacSigFFI
#endif

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
    /// `now` is Unix seconds (nil: the system clock). Goes through the packed
    /// call (below): the generated `sign(…, headers: [Header], body:…)`
    /// gives the same result, several times slower.
    public func sign(
        method: String,
        target: String,
        headers: [(String, String)],
        body: Data = Data(),
        now: Int64? = nil
    ) throws -> SignedRequest {
        try signViaPacked(method: method, target: target, headers: headers, body: body, now: now) { (name: $0.0, value: $0.1) }
    }

    /// Signs a request that has no body (the generated `sign` takes the body
    /// explicitly: `sign(method:target:headers:body:now:)`), through the packed call.
    public func sign(
        method: String,
        target: String,
        headers: [Header] = [],
        now: Int64? = nil
    ) throws -> SignedRequest {
        try signViaPacked(method: method, target: target, headers: headers, body: Data(), now: now) { (name: $0.name, value: $0.value) }
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

// MARK: - The packed hot path (docs/adr/0004-packed-hot-path.md, 0005-raw-hot-path.md)
//
// Under the `sign` conveniences and `URLRequest.sign(with:)`. The generated `sign` lowers every `String` and `Header`
// into its own buffer and lifts the `SignedRequest` record field by field.
// The packed layouts of core/src/packed.rs carry the same request as four byte
// buffers and an `Int64`, and the result as one buffer. They go to the core's
// raw C entry (`hmacsig_sign_packed_into`, HmacSigRaw.h): pointers and
// 64-bit lengths, no `RustCallStatus`, no `RustBuffer` to lift and free, and
// no 2 GiB limit on the body. When the entry reports a failure, the generated
// `signPacked` (same layouts) throws the typed error.

/// `now` meaning "the system clock" in the packed call (a flat `Int64` cannot be nil).
let packedSystemClock = Int64.min

/// The largest body the generated calls take: their buffer lengths are `Int32`
/// (a bigger `Data` traps in the generated lowering).
let generatedBodyMax = Int(Int32.max)

extension Signer {
    /// Signs through the raw entry and gives what the record call
    /// `sign(method:target:headers:body:now:)` gives: the same `SignedRequest`
    /// or the same `HmacSigError`. Inputs the packed layout cannot carry (a NUL
    /// in a header name or value, `now == Int64.min`) take the record call.
    func signViaPacked<Headers: Collection>(
        method: String,
        target: String,
        headers: Headers,
        body: Data,
        now: Int64?,
        field: (Headers.Element) -> (name: String, value: String)
    ) throws -> SignedRequest {
        if now != packedSystemClock, let packed = packHeaders(headers, field) {
            let (methodBytes, targetBytes, clock) = (utf8Data(method), utf8Data(target), now ?? packedSystemClock)
            let raw = withExtendedLifetime(self) {
                signRaw(address: address(), method: methodBytes, target: targetBytes, headers: packed, body: body, now: clock)
            }
            if let raw, let signed = unpackSignedRequest(raw) {
                return signed
            }
            if raw == nil {
                // The entry failed: the generated call throws the typed error.
                let buffer = try bodyForErrorPath(body, "the core's raw entry refused it, its generated call did not") { body in
                    try signPacked(method: methodBytes, target: targetBytes, headers: packed, body: body, now: clock)
                }
                if let signed = unpackSignedRequest(buffer) {
                    return signed
                }
            }
            // Not the layout of core/src/packed.rs (a library of another
            // version?): the record call still gives the right answer.
        }
        let records = headers.map { let (n, v) = field($0); return Header(name: n, value: v) }
        let why = "the packed call cannot carry this request (a NUL in a header, or now == Int64.min)"
        return try bodyForErrorPath(body, why) { body in
            try sign(method: method, target: target, headers: records, body: body, now: now)
        }
    }
}

/// Runs a generated call with `body`, or, when `body` is too big for the
/// generated calls, with an empty body: only to get the typed error of an
/// input the packed call could not take, and signing errors never depend on
/// the body's bytes. Should that call sign instead, the signature would be of
/// the wrong body: that is refused with an error saying `why` and what to do.
private func bodyForErrorPath<T>(_ body: Data, _ why: String, _ call: (Data) throws -> T) throws -> T {
    if body.count <= generatedBodyMax {
        return try call(body)
    }
    _ = try call(Data())
    throw HmacSigError.InvalidRequest(
        reason: "this \(body.count)-byte body is over the generated calls' 2 GiB limit and \(why); "
            + "pass a real time and headers without NUL, or sign its BodyHasher digest with signWithBodyDigest"
    )
}

/// Output buffers start this big and grow to what the entry asks for.
private let rawOutputStart = 1024

/// One sign through `hmacsig_sign_packed_into` with the signer at `address`
/// (kept alive by the caller). Returns the packed result, or nil when the
/// entry reports a failure.
private func signRaw(address: UInt64, method: Data, target: Data, headers: Data, body: Data, now: Int64) -> Data? {
    var capacity = rawOutputStart
    // The second try has the size the first asked for; more is a broken library.
    for _ in 0..<3 {
        var output = Data(count: capacity)
        let n = output.withUnsafeMutableBytes { (out: UnsafeMutableRawBufferPointer) -> Int64 in
            method.withUnsafeBytes { m in
                target.withUnsafeBytes { t in
                    headers.withUnsafeBytes { h in
                        body.withUnsafeBytes { b in
                            hmacsig_sign_packed_into(
                                address,
                                m.bindMemory(to: UInt8.self).baseAddress, UInt64(m.count),
                                t.bindMemory(to: UInt8.self).baseAddress, UInt64(t.count),
                                h.bindMemory(to: UInt8.self).baseAddress, UInt64(h.count),
                                b.bindMemory(to: UInt8.self).baseAddress, UInt64(b.count),
                                now,
                                out.bindMemory(to: UInt8.self).baseAddress, UInt64(out.count)
                            )
                        }
                    }
                }
            }
        }
        guard n >= 0, n <= Int64(Int.max) else { return nil }
        if n <= Int64(capacity) {
            output.count = Int(n)
            return output
        }
        capacity = Int(n)
    }
    return nil
}

/// The UTF-8 bytes of `text` in one copy.
private func utf8Data(_ text: String) -> Data {
    var text = text
    return text.withUTF8 { Data($0) }
}

/// Headers as `name NUL value NUL …` (no trailing NUL), or nil when a name or
/// value holds a NUL: the split would be ambiguous, and the record call
/// reports that header as the typed error it is.
func packHeaders<Headers: Collection>(
    _ headers: Headers, _ field: (Headers.Element) -> (name: String, value: String)
) -> Data? {
    if headers.isEmpty {
        return Data()
    }
    var size = -1 // one NUL fewer than fields
    for header in headers {
        let (name, value) = field(header)
        size += name.utf8.count + value.utf8.count + 2
    }
    var packed = Data(count: size)
    let fits = packed.withUnsafeMutableBytes { (out: UnsafeMutableRawBufferPointer) -> Bool in
        var at = 0
        func put(_ text: String) -> Bool {
            var text = text
            return text.withUTF8 { bytes in
                guard !bytes.contains(0) else { return false }
                if let base = bytes.baseAddress, at + bytes.count <= out.count {
                    out.baseAddress!.advanced(by: at).copyMemory(from: base, byteCount: bytes.count)
                }
                at += bytes.count
                return true
            }
        }
        for header in headers {
            let (name, value) = field(header)
            guard put(name) else { return false }
            at += 1 // the NUL: `Data(count:)` is zero-filled
            guard put(value) else { return false }
            at += 1
        }
        return at - 1 == out.count
    }
    return fits ? packed : nil
}

/// The `SignedRequest` in the packed call's result: `u32 count`, per header
/// `u32 len, name, u32 len, value`, `u32 url_len + 1` (0: no URL) and the URL,
/// then the string to sign; lengths little-endian. Nil when `buffer` does not
/// follow that layout.
func unpackSignedRequest(_ buffer: Data) -> SignedRequest? {
    buffer.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> SignedRequest? in
        var at = 0
        func length() -> Int? {
            guard raw.count - at >= 4 else { return nil }
            let n = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))
            at += 4
            return Int(n)
        }
        func text(_ count: Int) -> String? {
            guard raw.count - at >= count else { return nil }
            let bytes = UnsafeRawBufferPointer(rebasing: raw[at..<at + count])
            at += count
            return String(decoding: bytes, as: UTF8.self) // Rust strings: always valid UTF-8
        }
        guard let count = length(), count <= (raw.count - at) / 8 else { return nil }
        var headers: [Header] = []
        headers.reserveCapacity(count)
        for _ in 0..<count {
            guard let nameLength = length(), let name = text(nameLength),
                  let valueLength = length(), let value = text(valueLength)
            else { return nil }
            headers.append(Header(name: name, value: value))
        }
        guard let urlField = length() else { return nil }
        var url: String?
        if urlField > 0 {
            guard let signedUrl = text(urlField - 1) else { return nil }
            url = signedUrl
        }
        let stringToSign = at == raw.count ? Data() : Data(bytes: raw.baseAddress! + at, count: raw.count - at)
        return SignedRequest(headers: headers, stringToSign: stringToSign, url: url)
    }
}
