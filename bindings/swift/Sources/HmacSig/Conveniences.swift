// Hand-written conveniences over the generated API. Thin on purpose: every
// call lands in the same Rust function as the generated one; the `sign`
// conveniences (and `URLRequest.sign(with:)`) take its packed form, below.

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

// MARK: - The packed hot path (docs/adr/0004-packed-hot-path.md)
//
// Under the `sign` conveniences and `URLRequest.sign(with:)`. The generated `sign` lowers every `String` and `Header`
// into its own buffer and lifts the `SignedRequest` record field by field;
// `signPacked` takes four byte buffers (passed by reference, not copied) and
// an `Int64`, and returns one buffer. The layouts are those of
// core/src/packed.rs; the result is the same `SignedRequest`.

/// `now` meaning "the system clock" in the packed call (a flat `Int64` cannot be nil).
let packedSystemClock = Int64.min

extension Signer {
    /// Signs through `signPacked` and gives what the record call
    /// `sign(method:target:headers:body:now:)` gives: the same `SignedRequest`
    /// or the same `HmacSigError`. Inputs the packed call cannot carry (a NUL
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
            let buffer = try signPacked(
                method: utf8Data(method), target: utf8Data(target), headers: packed, body: body, now: now ?? packedSystemClock
            )
            if let signed = unpackSignedRequest(buffer) {
                return signed
            }
            // Not the layout of core/src/packed.rs (a library of another
            // version?): the record call still gives the right answer.
        }
        return try sign(
            method: method, target: target, headers: headers.map { let (n, v) = field($0); return Header(name: n, value: v) },
            body: body, now: now
        )
    }
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
