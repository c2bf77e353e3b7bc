// Hand-written: streaming bodies. A large upload is hashed chunk by chunk
// with the generated `BodyHasher` and signed from the `BodyDigest` it returns
// (`Signer.signWithBodyDigest`), so the body is never held in memory.
//
// No per-chunk copies: the generated `update(chunk:)` passes a `Data`'s bytes
// to Rust by pointer, and the readers below fill one reused buffer that is
// wrapped, not copied, into a `Data` for each call.

import Foundation

extension BodyHasher {
    /// The chunk size the readers use by default: 1 MiB, large enough that
    /// the cost of one call into Rust per chunk does not show.
    public static let defaultChunkSize = 1 << 20

    /// The most bytes passed to Rust in one call: the FFI carries a length
    /// as a 32-bit integer, so larger buffers go in slices of this size.
    static let maxSliceSize = 1 << 30

    /// Hashes the next `chunk` of the body: a `Data`, `[UInt8]`, an
    /// `UnsafeRawBufferPointer`, … (empty chunks are fine). The bytes are
    /// read in place, not copied. Throws `HmacSigError.InvalidRequest` after `finish()`.
    public func update(_ chunk: some ContiguousBytes) throws {
        try chunk.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                // Still a call: a finished hasher refuses even an empty chunk.
                return try update(chunk: Data())
            }
            var offset = 0
            repeat {
                let count = min(Self.maxSliceSize, bytes.count - offset)
                // A view of the caller's bytes for the call's duration; never freed here.
                let view = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base + offset), count: count, deallocator: .none)
                try update(chunk: view)
                offset += count
            } while offset < bytes.count
        }
    }

    /// Hashes each chunk of `chunks`, in order: e.g. `[Data]`, or a sequence
    /// that makes its chunks on the fly.
    public func update<Chunks: Sequence>(contentsOf chunks: Chunks) throws where Chunks.Element: ContiguousBytes {
        for chunk in chunks {
            try update(chunk)
        }
    }

    /// Reads `stream` to its end in chunks of `chunkSize` bytes and hashes
    /// them: memory stays at one chunk, whatever the stream's length. Opens
    /// the stream if it is not open yet, and then closes it at the end; a
    /// stream the caller opened is left open.
    ///
    /// Throws the stream's `streamError` (a Foundation error, e.g. no such
    /// file) when reading fails, `HmacSigError.InvalidRequest` for a
    /// `chunkSize` below 1 or after `finish()`.
    public func update(contentsOf stream: InputStream, chunkSize: Int = BodyHasher.defaultChunkSize) throws {
        guard chunkSize > 0 else {
            throw HmacSigError.InvalidRequest(reason: "chunkSize must be at least 1 byte, not \(chunkSize)")
        }
        let opensHere = stream.streamStatus == .notOpen
        if opensHere {
            stream.open()
        }
        defer {
            if opensHere {
                stream.close()
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        let bytes = buffer.bindMemory(to: UInt8.self)
        while true {
            let count = stream.read(bytes.baseAddress!, maxLength: chunkSize)
            if count < 0 {
                throw stream.streamError ?? CocoaError(.fileReadUnknown)
            }
            if count == 0 {
                return
            }
            try update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }
}

extension BodyDigest {
    /// The digest as lowercase hex (as in the aws-sigv4 `x-amz-content-sha256` header).
    public var hex: String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The digest in base64 (as in the api-auth content hash and rfc9421 `Content-Digest`).
    public var base64: String {
        digest.base64EncodedString()
    }
}

extension Signer {
    /// Signs a request whose body was hashed by a `BodyHasher`: exactly what
    /// `sign(method:target:headers:body:now:)` gives with the body's bytes,
    /// for api-auth, aws-sigv4 and kong-hmac (which need a `.sha256` digest)
    /// and rfc9421 (the scheme's `contentDigest` algorithm; any when it has
    /// none). The request must then be sent with the very bytes that were hashed.
    ///
    /// Throws `HmacSigError.Unsupported` for path-body-hex, timestamped and
    /// hawk (they MAC the bytes themselves) and `HmacSigError.InvalidRequest` for a
    /// digest of the wrong algorithm or length.
    public func sign(
        method: String,
        target: String,
        headers: [Header] = [],
        bodyDigest: BodyDigest,
        now: Int64? = nil
    ) throws -> SignedRequest {
        try signWithBodyDigest(method: method, target: target, headers: headers, bodyDigest: bodyDigest, now: now)
    }

    /// Signs a request whose body is read from `bodyStream` to its end in
    /// chunks of `chunkSize` bytes (constant memory), hashed with `algorithm`:
    /// `.sha256` for api-auth, aws-sigv4 and kong-hmac, the scheme's
    /// `contentDigest` for rfc9421 (path-body-hex, timestamped and hawk need
    /// the bytes themselves: `HmacSigError.Unsupported`).
    ///
    /// The stream is consumed: send the request with a fresh stream over the
    /// same bytes (for a file, e.g. `InputStream(url:)` again, or
    /// `URLSession.upload(for:fromFile:)`). The bytes sent must be the bytes hashed.
    ///
    /// Throws as `BodyHasher.update(contentsOf:chunkSize:)` (the stream's
    /// error when reading fails) and `sign(method:target:headers:bodyDigest:now:)`.
    public func sign(
        method: String,
        target: String,
        headers: [Header] = [],
        bodyStream: InputStream,
        algorithm: ContentDigest = .sha256,
        chunkSize: Int = BodyHasher.defaultChunkSize,
        now: Int64? = nil
    ) throws -> SignedRequest {
        let hasher = BodyHasher(algorithm: algorithm)
        try hasher.update(contentsOf: bodyStream, chunkSize: chunkSize)
        return try sign(method: method, target: target, headers: headers, bodyDigest: hasher.finish(), now: now)
    }

    /// Signs a request whose body is the concatenation of `bodyChunks`, hashed
    /// one chunk at a time with `algorithm` (see `sign(method:target:headers:bodyStream:…)`).
    /// A sequence that makes its chunks as it is iterated signs a body of any
    /// size in constant memory; the request must then be sent with the same bytes.
    public func sign<Chunks: Sequence>(
        method: String,
        target: String,
        headers: [Header] = [],
        bodyChunks: Chunks,
        algorithm: ContentDigest = .sha256,
        now: Int64? = nil
    ) throws -> SignedRequest where Chunks.Element: ContiguousBytes {
        let hasher = BodyHasher(algorithm: algorithm)
        try hasher.update(contentsOf: bodyChunks)
        return try sign(method: method, target: target, headers: headers, bodyDigest: hasher.finish(), now: now)
    }
}
