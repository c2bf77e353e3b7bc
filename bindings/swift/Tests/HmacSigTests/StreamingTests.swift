// Streamed bodies: signing from a BodyHasher's digest (fed a Data, chunks,
// an InputStream or a file) gives exactly what signing the bytes gives; the
// errors are typed; a 2 GiB body made on the fly is signed in constant
// memory; and the README's streaming code runs.

import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import HmacSig

private let credentials = Credentials(keyId: "key-1", secret: "streaming-secret")
private let now: Int64 = 1_700_000_000
private let headers = [Header("Host", "api.example.com"), Header("Content-Type", "application/octet-stream")]

/// Deterministic bytes (SplitMix64, little-endian words) of length `count`.
private func splitMixBytes(seed: UInt64, count: Int) -> [UInt8] {
    var state = seed
    var bytes = [UInt8]()
    bytes.reserveCapacity(count + 8)
    while bytes.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        withUnsafeBytes(of: (z ^ (z >> 31)).littleEndian) { bytes.append(contentsOf: $0) }
    }
    return Array(bytes.prefix(count))
}

/// `body` cut into chunks of the sizes in `pattern` (repeated), an empty chunk after each.
private func chunked(_ body: Data, pattern: [Int]) -> [Data] {
    var chunks = [Data]()
    var offset = body.startIndex
    var index = 0
    while offset < body.endIndex {
        let end = min(offset + pattern[index % pattern.count], body.endIndex)
        chunks.append(body[offset..<end])
        chunks.append(Data())
        offset = end
        index += 1
    }
    return chunks
}

/// The 2 GiB stream: `fullChunks` 1 MiB blocks then `tail` bytes, each block
/// the same SplitMix64 output (seed 0x5EEDB0D1) with its first 8 bytes
/// replaced by the block's index (little-endian), the definition of the Rust
/// core's 4 GiB stream test. Made on the fly in one reused buffer.
private struct GeneratedStream: Sequence, IteratorProtocol {
    static let blockSize = 1 << 20
    let fullChunks: UInt64
    let tail: Int
    private var block = splitMixBytes(seed: 0x5EED_B0D1, count: GeneratedStream.blockSize)
    private var index: UInt64 = 0

    init(fullChunks: UInt64, tail: Int) {
        self.fullChunks = fullChunks
        self.tail = tail
    }

    mutating func next() -> ArraySlice<UInt8>? {
        guard index < fullChunks || (index == fullChunks && tail > 0) else { return nil }
        block.withUnsafeMutableBytes { $0.storeBytes(of: index.littleEndian, as: UInt64.self) }
        defer { index += 1 }
        return index < fullChunks ? block[...] : block[..<tail]
    }
}

/// A memory figure of this process from `/proc/self/status`, in bytes:
/// `VmRSS` (resident now) or `VmHWM` (the peak of `VmRSS`).
private func residentBytes(_ field: String) throws -> Int {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix(field + ":") })
    let kib = try XCTUnwrap(Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? ""))
    return kib * 1024
}

/// Resets `VmHWM` to the current `VmRSS` (Linux: `5` to `/proc/self/clear_refs`),
/// so that it then measures the peak of what follows, not of earlier tests.
private func resetPeakResident() throws {
    try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

final class StreamingTests: XCTestCase {
    /// The schemes that sign a hash of the body, with the algorithm each needs.
    private func digestSchemes() throws -> [(String, Scheme, ContentDigest)] {
        [
            ("api-auth", try Scheme.apiAuth(digest: "sha256", headersToSign: ["Host"]), .sha256),
            ("aws-sigv4 signed body", try Scheme.awsSigv4(region: "us-east-1", service: "s3", signBody: true), .sha256),
            ("aws-sigv4 query", try Scheme.awsSigv4(region: "us-east-1", service: "s3", signBody: true, signatureType: .query), .sha256),
            ("rfc9421 sha-256", try Scheme.rfc9421(components: ["@method", "@target-uri"], contentDigest: .sha256), .sha256),
            ("rfc9421 sha-512", try Scheme.rfc9421(components: ["@method", "@target-uri"], contentDigest: .sha512), .sha512),
        ]
    }

    // MARK: the digest

    func testDigestsAreTheKnownHashesOfTheBytes() throws {
        let sha256 = BodyHasher()
        try sha256.update(Data("ab".utf8))
        try sha256.update([UInt8]())
        try sha256.update(Array("c".utf8))
        let digest = try sha256.finish()
        XCTAssertEqual(digest.algorithm, .sha256)
        XCTAssertEqual(digest.length, 3)
        XCTAssertEqual(digest.hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(digest.base64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")

        let sha512 = BodyHasher(algorithm: .sha512)
        try sha512.update(contentsOf: InputStream(data: Data("abc".utf8)), chunkSize: 1)
        XCTAssertEqual(
            try sha512.finish(),
            BodyDigest(algorithm: .sha512, digest: Data(hex: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"), length: 3)
        )

        let empty = try BodyHasher().finish()
        XCTAssertEqual(empty.hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(empty.length, 0)
    }

    // MARK: streamed equals bytes

    func testEverySchemeSignsAStreamAsItSignsTheBytes() throws {
        let bodies: [Data] = [Data(), Data("x".utf8), Data(splitMixBytes(seed: 1, count: 1000)), Data(splitMixBytes(seed: 2, count: 200_003))]
        for (name, scheme, algorithm) in try digestSchemes() {
            let signer = Signer(scheme: scheme, credentials: credentials)
            for body in bodies {
                let context = "\(name), \(body.count) bytes"
                let expected = try signer.sign(method: "PUT", target: "/upload?part=1", headers: headers, body: body, now: now)
                let otherBody = try signer.sign(method: "PUT", target: "/upload?part=1", headers: headers, body: body + [0], now: now)
                XCTAssertNotEqual(otherBody, expected, "\(context): the body must be signed")

                let whole = BodyHasher(algorithm: algorithm)
                try whole.update(body)
                let digest = try whole.finish()
                XCTAssertEqual(digest.length, UInt64(body.count), context)
                XCTAssertEqual(try signer.sign(method: "PUT", target: "/upload?part=1", headers: headers, bodyDigest: digest, now: now), expected, context)
                XCTAssertEqual(try signer.signWithBodyDigest(method: "PUT", target: "/upload?part=1", headers: headers, bodyDigest: digest, now: now), expected, context)

                // 1-byte chunks on the small bodies only: one FFI call per byte is slow.
                for pattern in [[1], [7, 0, 300], [65_536]] where pattern != [1] || body.count <= 1000 {
                    let chunks = chunked(body, pattern: pattern)
                    let fromChunks = try signer.sign(method: "PUT", target: "/upload?part=1", headers: headers, bodyChunks: chunks, algorithm: algorithm, now: now)
                    XCTAssertEqual(fromChunks, expected, "\(context), chunks \(pattern)")
                    let hasher = BodyHasher(algorithm: algorithm)
                    try hasher.update(contentsOf: chunks.map { [UInt8]($0) })
                    XCTAssertEqual(try hasher.finish(), digest, "\(context), [UInt8] chunks \(pattern)")
                }
                for chunkSize in [1, 4096, BodyHasher.defaultChunkSize] where chunkSize > 1 || body.count <= 1000 {
                    let fromStream = try signer.sign(
                        method: "PUT", target: "/upload?part=1", headers: headers,
                        bodyStream: InputStream(data: body), algorithm: algorithm, chunkSize: chunkSize, now: now
                    )
                    XCTAssertEqual(fromStream, expected, "\(context), stream chunkSize \(chunkSize)")
                }
            }
        }
    }

    func testSignsAFileReadThroughAnInputStream() throws {
        let body = Data(splitMixBytes(seed: 3, count: 3 * BodyHasher.defaultChunkSize + 17))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hmacsig-stream-\(UUID().uuidString)")
        try body.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let signer = Signer(scheme: try Scheme.rfc9421(components: ["@method", "@path"], contentDigest: .sha512), credentials: credentials)
        let expected = try signer.sign(method: "POST", target: "/files", headers: headers, body: body, now: now)
        let stream = try XCTUnwrap(InputStream(url: file))
        XCTAssertEqual(try signer.sign(method: "POST", target: "/files", headers: headers, bodyStream: stream, algorithm: .sha512, now: now), expected)
        XCTAssertEqual(stream.streamStatus, .closed, "opened here, so closed here")

        // A stream the caller opened (and partly read) is read from where it is, and left open.
        let opened = try XCTUnwrap(InputStream(url: file))
        opened.open()
        defer { opened.close() }
        var first = [UInt8](repeating: 0, count: 5)
        XCTAssertEqual(opened.read(&first, maxLength: 5), 5)
        let rest = BodyHasher(algorithm: .sha512)
        try rest.update(contentsOf: opened, chunkSize: 100_000)
        let restHasher = BodyHasher(algorithm: .sha512)
        try restHasher.update(body.dropFirst(5))
        XCTAssertEqual(try rest.finish(), try restHasher.finish())
        XCTAssertEqual(opened.streamStatus, .atEnd)
    }

    // MARK: errors

    func testADigestOfTheWrongAlgorithmIsAnInvalidRequest() throws {
        let sha512 = BodyHasher(algorithm: .sha512)
        try sha512.update(Data("body".utf8))
        let sha512Digest = try sha512.finish()
        for (name, scheme, algorithm) in try digestSchemes() where algorithm == .sha256 {
            let error = hmacSigError {
                try Signer(scheme: scheme, credentials: credentials).sign(method: "PUT", target: "/", headers: headers, bodyDigest: sha512Digest, now: now)
            }
            XCTAssertEqual(error?.kind, "invalid_request", name)
            XCTAssertTrue(error?.reason.contains("needs a sha-256 digest") ?? false, "\(name): \(String(describing: error))")
        }
        let rfc9421 = Signer(scheme: try Scheme.rfc9421(components: ["@method"], contentDigest: .sha512), credentials: credentials)
        let error = hmacSigError {
            try rfc9421.sign(method: "PUT", target: "/", headers: headers, bodyStream: InputStream(data: Data("body".utf8)), now: now)
        }
        XCTAssertEqual(error?.kind, "invalid_request")
        XCTAssertTrue(error?.reason.hasPrefix("the rfc9421 Content-Digest needs a sha-512 digest") ?? false, String(describing: error))

        let short = BodyDigest(algorithm: .sha256, digest: Data(count: 31), length: 4)
        let apiAuth = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        let shortError = hmacSigError { try apiAuth.sign(method: "PUT", target: "/", headers: headers, bodyDigest: short, now: now) }
        XCTAssertEqual(shortError?.kind, "invalid_request")
        XCTAssertEqual(shortError?.reason, "a sha-256 body digest is 32 bytes, not 31")
    }

    func testSchemesThatMacTheBytesRefuseADigest() throws {
        let digest = try BodyHasher().finish()
        for scheme in [try Scheme.pathBodyHex(digest: "sha256"), Scheme.timestamped(headerStyle: .xRequest)] {
            let signer = Signer(scheme: scheme, credentials: credentials)
            let error = hmacSigError { try signer.sign(method: "PUT", target: "/", headers: headers, bodyDigest: digest, now: now) }
            XCTAssertEqual(error?.kind, "unsupported", scheme.name())
            XCTAssertEqual(
                error?.reason,
                "the \(scheme.name()) scheme MACs the body bytes themselves, so it cannot sign from a body digest; pass the body"
            )
            XCTAssertEqual(hmacSigError { try signer.sign(method: "PUT", target: "/", headers: headers, bodyChunks: [Data("x".utf8)], now: now) }?.kind, "unsupported")
        }
    }

    func testAFinishedHasherAndABadChunkSizeAreInvalidRequests() throws {
        let hasher = BodyHasher()
        try hasher.update(Data("abc".utf8))
        _ = try hasher.finish()
        for (what, call) in [
            ("update", { try hasher.update(Data("d".utf8)) }),
            ("empty update", { try hasher.update(Data()) }),
            ("stream", { try hasher.update(contentsOf: InputStream(data: Data("d".utf8))) }),
            ("finish", { _ = try hasher.finish() }),
        ] as [(String, () throws -> Void)] {
            let error = hmacSigError(call)
            XCTAssertEqual(error?.kind, "invalid_request", what)
            XCTAssertTrue(error?.reason.contains("already finished") ?? false, "\(what): \(String(describing: error))")
        }

        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        for chunkSize in [0, -1] {
            let error = hmacSigError {
                try signer.sign(method: "PUT", target: "/", bodyStream: InputStream(data: Data("x".utf8)), chunkSize: chunkSize, now: now)
            }
            XCTAssertEqual(error?.kind, "invalid_request")
            XCTAssertEqual(error?.reason, "chunkSize must be at least 1 byte, not \(chunkSize)")
        }
    }

    func testAStreamThatFailsToReadThrowsItsOwnError() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("hmacsig-no-such-file-\(UUID().uuidString)")
        let stream = try XCTUnwrap(InputStream(url: missing))
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        do {
            _ = try signer.sign(method: "PUT", target: "/", bodyStream: stream, now: now)
            XCTFail("signed a body that could not be read")
        } catch is HmacSigError {
            XCTFail("a read failure is the stream's error, not a signing error")
        } catch {
            XCTAssertEqual((error as NSError).domain, NSPOSIXErrorDomain, "\(error)")
            XCTAssertEqual((error as NSError).code, Int(ENOENT), "\(error)")
        }
    }

    // MARK: big bodies

    /// 2 GiB + 4097 bytes made on the fly in one reused 1 MiB buffer: the
    /// length passes `Int32.max`, and the digest is the one Python's hashlib
    /// and coreutils' `sha256sum` give for the same stream (an independent
    /// implementation: Swift on Linux has no SHA-256 of its own).
    func testSignsA2GiBStreamInConstantMemory() throws {
        let stream = GeneratedStream(fullChunks: 2048, tail: 4097)
        let expectedLength: UInt64 = 2048 * UInt64(GeneratedStream.blockSize) + 4097
        let expectedHex = "1285006b1407e2f38ab2b2cad3e790fc1d7512256e161b0bd4f8dc10b7892f16"

        try resetPeakResident()
        let residentBefore = try residentBytes("VmRSS")
        let started = Date()
        let hasher = BodyHasher()
        try hasher.update(contentsOf: stream)
        let digest = try hasher.finish()
        let seconds = Date().timeIntervalSince(started)
        let peak = try residentBytes("VmHWM")
        let growth = peak - residentBefore
        print("hashed \(expectedLength) streamed bytes in \(String(format: "%.2f", seconds)) s (\(Int(Double(expectedLength) / seconds / 1e6)) MB/s); peak RSS \(peak >> 20) MiB, \(growth >> 10) KiB above the RSS before")

        XCTAssertEqual(digest.length, expectedLength)
        XCTAssertEqual(digest.hex, expectedHex)
        XCTAssertLessThan(growth, 32 << 20, "the body must not be held in memory")

        // The signature covers the digest: signing an empty body with the
        // content hash header already set to it (which the byte path keeps)
        // gives the same string to sign and Authorization.
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        let signed = try signer.sign(method: "PUT", target: "/upload", headers: headers, bodyDigest: digest, now: now)
        XCTAssertEqual(signed.headers.first, Header("X-Authorization-Content-SHA256", digest.base64))
        let preset = try signer.sign(
            method: "PUT", target: "/upload", headers: headers + [Header("X-Authorization-Content-SHA256", digest.base64)],
            body: Data(), now: now
        )
        XCTAssertEqual(Array(signed.headers.dropFirst()), preset.headers)
        XCTAssertEqual(signed.stringToSign, preset.stringToSign)
    }

    /// One buffer over `Int32.max` bytes (the FFI's length limit per call),
    /// mapped but never written, so it costs no memory: `update` passes it in
    /// slices. The digest is hashlib's and `sha256sum`'s for as many zero bytes.
    func testHashesOneBufferLargerThanAnFfiCallTakes() throws {
        let count = Int(Int32.max) + 6
        let mapped = try XCTUnwrap(mmap(nil, count, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        XCTAssertNotEqual(mapped, UnsafeMutableRawPointer(bitPattern: -1), "mmap failed")
        defer { munmap(mapped, count) }
        let hasher = BodyHasher()
        try hasher.update(UnsafeRawBufferPointer(start: mapped, count: count))
        let digest = try hasher.finish()
        XCTAssertEqual(digest.length, UInt64(count))
        XCTAssertEqual(digest.hex, "68bdfcb656af3067b8110b5cc839b4e12b180ef11e86011b8df4a709fe2c2f67")
    }

    // MARK: README

    /// The code block of the README's "Streaming uploads", as it is there.
    private func runReadmeStreaming(keyId: String, secret: String, file: URL, chunks: [Data]) throws -> (SignedRequest, SignedRequest) {
        // readme streaming: begin
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"),
                            credentials: Credentials(keyId: keyId, secret: secret))
        let headers = [Header("Content-Type", "application/octet-stream")]

        // In one call: reads the file in 1 MiB chunks, never all of it.
        guard let body = InputStream(url: file) else { throw CocoaError(.fileReadNoSuchFile) }
        let signed = try signer.sign(method: "PUT", target: "/backups/db.dump", headers: headers, bodyStream: body)

        // Or chunk by chunk, as the bytes come (BodyHasher(algorithm: .sha512) for an
        // rfc9421 scheme with contentDigest: .sha512):
        let hasher = BodyHasher()
        for chunk in chunks {
            try hasher.update(chunk)
        }
        let digest = try hasher.finish()  // digest.length: the body's size in bytes
        let signedToo = try signer.sign(method: "PUT", target: "/backups/db.dump", headers: headers, bodyDigest: digest)
        // readme streaming: end
        return (signed, signedToo)
    }

    func testTheReadmeStreamingCodeRunsAndVerifies() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.components(separatedBy: "## Streaming uploads").dropFirst().first, "README has no streaming section")
        let block = try XCTUnwrap(section.components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let marked = try XCTUnwrap(source.components(separatedBy: "// readme streaming: begin\n").dropFirst().first?.components(separatedBy: "        // readme streaming: end").first)
        let dedented = marked.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }
            .joined(separator: "\n")
        XCTAssertEqual(block, dedented, "the README's streaming code is the code this test runs")

        let body = Data(splitMixBytes(seed: 4, count: 2 * BodyHasher.defaultChunkSize + 5))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hmacsig-readme-\(UUID().uuidString)")
        try body.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (signed, signedToo) = try runReadmeStreaming(keyId: "backup", secret: "s3cret", file: file, chunks: chunked(body, pattern: [70_000]))

        // A server holding the whole body accepts both.
        let verifier = try Verifier.withKeys(scheme: try Scheme.apiAuth(digest: "sha256"), keys: ["backup": "s3cret"])
        for request in [signed, signedToo] {
            let sent = [Header("Content-Type", "application/octet-stream")] + request.headers
            XCTAssertEqual(try verifier.verify(method: "PUT", target: "/backups/db.dump", headers: sent, body: body), "backup")
            XCTAssertEqual(hmacSigError { try verifier.verify(method: "PUT", target: "/backups/db.dump", headers: sent, body: body.dropLast()) }?.kind, "body_mismatch")
        }
        XCTAssertEqual(signed.header("X-Authorization-Content-SHA256"), signedToo.header("X-Authorization-Content-SHA256"))
    }
}

private extension Data {
    init(hex: String) {
        let digits = Array(hex.utf8)
        self.init(stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! })
    }
}
