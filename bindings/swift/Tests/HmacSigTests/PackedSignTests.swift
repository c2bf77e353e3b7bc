// The packed hot path under the `sign` conveniences (Conveniences.swift,
// docs/adr/0004-packed-hot-path.md): for every scheme and kind of body it gives
// exactly what the record call gives, the same typed error for bad input, and
// the system clock for `now: nil`. The layouts themselves are checked on bytes.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking  // URLRequest on Linux
#endif
import XCTest

@testable import HmacSig

private let credentials = Credentials(keyId: "packed-key", secret: "packed-secret")
private let now: Int64 = 1_700_000_000
private let jsonBody = Data(#"{"order":{"id":7,"qty":2},"note":"ünïcødé"}"#.utf8)
private let everyByte = Data((0...255).map { UInt8($0) })
private let bodies: [(String, Data)] = [("empty", Data()), ("JSON", jsonBody), ("all 256 byte values", everyByte)]

extension Result where Failure == HmacSigError {
    /// The error's conformance kind, or nil for a success.
    var failureKind: String? {
        if case let .failure(error) = self { return error.kind }
        return nil
    }
}

/// The outcome of a sign: the signed request or the `HmacSigError`.
private func outcome(_ sign: () throws -> SignedRequest) -> Result<SignedRequest, HmacSigError> {
    do {
        return .success(try sign())
    } catch let error as HmacSigError {
        return .failure(error)
    } catch {
        preconditionFailure("not an HmacSigError: \(error)")
    }
}

final class PackedSignTests: XCTestCase {
    /// Signs through the `(name, value)` convenience (the packed call) and the
    /// generated `[Header]` method (the record call); both must agree. Returns
    /// the packed result.
    @discardableResult
    private func assertPackedEqualsRecord(
        _ signer: Signer, method: String = "POST", target: String, headers: [(String, String)], body: Data, now: Int64? = now,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Result<SignedRequest, HmacSigError> {
        let packed = outcome { try signer.sign(method: method, target: target, headers: headers, body: body, now: now) }
        let record = outcome {
            try signer.sign(method: method, target: target, headers: headers.map { Header($0.0, $0.1) }, body: body, now: now)
        }
        XCTAssertEqual(packed, record, file: file, line: line)
        return packed
    }

    func testApiAuthWithHeadersToSignEqualsTheRecordCall() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256", headersToSign: ["x-tenant", "content-type"]), credentials: credentials)
        for (what, body) in bodies {
            let signed = try assertPackedEqualsRecord(
                signer, target: "/orders?id=7&b=%20x",
                headers: [("Content-Type", "application/json"), ("X-Tenant", "acme"), ("X-Tenant", "two")], body: body
            ).get()
            XCTAssertEqual(signed.headers.map(\.name), ["X-Authorization-Content-SHA256", "Date", "Authorization"], what)
            XCTAssertTrue(signed.header("Authorization")!.hasPrefix("APIAuth-HMAC-SHA256 packed-key:"), what)
            XCTAssertTrue(signed.stringToSignText!.contains("acme"), what)
            XCTAssertNil(signed.url, what)
        }
    }

    func testTimestampedEqualsTheRecordCall() throws {
        let signer = Signer(scheme: Scheme.timestamped(), credentials: credentials)
        for (what, body) in bodies {
            let signed = try assertPackedEqualsRecord(signer, target: "/v1/items?x=1", headers: [("Host", "api.example.com")], body: body).get()
            XCTAssertFalse(signed.headers.isEmpty, what)
            XCTAssertFalse(signed.stringToSign.isEmpty, what)
        }
    }

    func testPresignedAwsSigV4GivesTheUrlBack() throws {
        let scheme = try Scheme.awsSigv4(region: "us-east-1", service: "service", signatureType: .query)
        let signer = Signer(scheme: scheme, credentials: credentials)
        for (what, body) in bodies {
            let signed = try assertPackedEqualsRecord(
                signer, method: "PUT", target: "/bucket/k%C3%A9y?Param=Value", headers: [("Host", "example.amazonaws.com")], body: body
            ).get()
            let url = try XCTUnwrap(signed.url, what)
            XCTAssertTrue(url.hasPrefix("/bucket/k%C3%A9y?"), url)
            XCTAssertTrue(url.contains("X-Amz-Signature="), url)
            XCTAssertTrue(url.contains("X-Amz-Credential=packed-key%2F20231114%2Fus-east-1%2Fservice%2Faws4_request"), url)
        }
    }

    func testRfc9421WithContentDigestEqualsTheRecordCall() throws {
        let scheme = try Scheme.rfc9421(components: ["@method", "@authority", "content-type", "content-digest"], created: now, contentDigest: .sha256)
        let signer = Signer(scheme: scheme, credentials: credentials)
        for (what, body) in bodies {
            let signed = try assertPackedEqualsRecord(
                signer, target: "/orders", headers: [("Host", "example.com"), ("Content-Type", "application/octet-stream")], body: body
            ).get()
            XCTAssertEqual(signed.headers.map(\.name), ["Content-Digest", "Signature-Input", "Signature"], what)
            let digest = Data(base64Encoded: String(signed.header("Content-Digest")!.dropFirst("sha-256=:".count).dropLast()))
            XCTAssertEqual(digest?.count, 32, what)
        }
    }

    func testPathBodyHexAndNoHeadersEqualTheRecordCall() throws {
        let signer = Signer(scheme: try Scheme.pathBodyHex(digest: "sha256"), credentials: credentials)
        for (_, body) in bodies {
            let signed = try assertPackedEqualsRecord(signer, target: "/p", headers: [], body: body).get()
            XCTAssertEqual(signed.headers.map(\.name), ["Authorization"])
        }
    }

    func testNonAsciiHeaderValuesAndEmptyValues() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256", headersToSign: ["x-name", "x-empty"]), credentials: credentials)
        let signed = try assertPackedEqualsRecord(
            signer, target: "/caf%C3%A9", headers: [("X-Name", "Zoë – 東京 ✓"), ("X-Empty", "")], body: jsonBody
        ).get()
        XCTAssertTrue(signed.stringToSignText!.contains("Zoë – 東京 ✓"), signed.stringToSignText!)
    }

    func testBadHeadersGiveTheRecordCallsError() {
        let signer = Signer(scheme: Scheme.timestamped(), credentials: credentials)
        let cases: [(String, [(String, String)], HmacSigError)] = [
            ("NUL in a value", [("X-A", "a\0b")], .InvalidRequest(reason: #"the value of header "X-A" contains CR, LF or NUL"#)),
            ("NUL in a name", [("X\0A", "a")], .InvalidRequest(reason: #"the header name "X\0A" is not an HTTP token"#)),
            ("a space in a name", [("Bad Name", "a")], .InvalidRequest(reason: #"the header name "Bad Name" is not an HTTP token"#)),
            ("LF in a value", [("X-A", "a\nb")], .InvalidRequest(reason: #"the value of header "X-A" contains CR, LF or NUL"#)),
        ]
        for (what, headers, expected) in cases {
            let result = assertPackedEqualsRecord(signer, target: "/", headers: headers, body: Data())
            XCTAssertEqual(result, .failure(expected), what)
        }
        // A bad method or target, in both calls.
        XCTAssertEqual(
            assertPackedEqualsRecord(signer, method: "GE T", target: "/", headers: [], body: Data()),
            .failure(.InvalidRequest(reason: #"the method "GE T" is not an HTTP token"#))
        )
    }

    func testNilNowIsTheSystemClock() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        let before = Int64(Date().timeIntervalSince1970)
        let signed = try signer.sign(method: "GET", target: "/", headers: [("Host", "a.example")])
        let after = Int64(Date().timeIntervalSince1970)
        let date = try XCTUnwrap(signed.header("Date"))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let signedAt = Int64(try XCTUnwrap(formatter.date(from: date), date).timeIntervalSince1970)
        XCTAssertTrue((before...after).contains(signedAt), "\(date) is not between \(before) and \(after)")
    }

    func testTheSentinelNowTakesTheRecordCall() {
        // `Int64.min` means the system clock to the packed call, so it must not
        // reach it: the record call signs at that instant (or refuses it) instead.
        let signer = Signer(scheme: Scheme.timestamped(), credentials: credentials)
        let packed = outcome { try signer.sign(method: "GET", target: "/", headers: [("Host", "a.example")], now: Int64.min) }
        let record = outcome { try signer.sign(method: "GET", target: "/", headers: [Header("Host", "a.example")], body: Data(), now: Int64.min) }
        XCTAssertEqual(packed, record)
        let systemClock = outcome { try signer.sign(method: "GET", target: "/", headers: [("Host", "a.example")]) }
        XCTAssertNotEqual(packed, systemClock)
    }

    func testTheNoBodyConvenienceAndURLRequestTakeThePackedCallWithTheSameResult() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        let noBody = try signer.sign(method: "GET", target: "/x", headers: [Header("Host", "a.example")], now: now)
        XCTAssertEqual(noBody, try signer.sign(method: "GET", target: "/x", headers: [Header("Host", "a.example")], body: Data(), now: now))

        var request = URLRequest(url: URL(string: "https://a.example/orders?id=7")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = jsonBody
        let signed = try request.sign(with: signer, now: now)
        let record = try signer.sign(
            method: "POST", target: "/orders?id=7",
            headers: [Header("Content-Type", "application/json"), Header("Host", "a.example")], body: jsonBody, now: now
        )
        XCTAssertEqual(signed, record)
        XCTAssertEqual(request.value(forHTTPHeaderField: "Authorization"), record.header("Authorization"))
    }

    // MARK: the layouts (core/src/packed.rs)

    func testHeadersArePackedNameNulValueNul() {
        let packed = packHeaders([("Content-Type", "application/json"), ("X-Empty", ""), ("Host", "é")]) { (name: $0.0, value: $0.1) }
        XCTAssertEqual(packed, Data("Content-Type\0application/json\0X-Empty\0\0Host\0é".utf8))
        XCTAssertEqual(packHeaders([(String, String)]()) { (name: $0.0, value: $0.1) }, Data())
        XCTAssertNil(packHeaders([("A", "b\0c")]) { (name: $0.0, value: $0.1) })
        XCTAssertNil(packHeaders([("A\0", "b")]) { (name: $0.0, value: $0.1) })
    }

    func testTheSignedLayoutIsUnpacked() {
        // The bytes of core/src/packed.rs's `signed_layout` test.
        var bytes: [UInt8] = [2, 0, 0, 0, 4, 0, 0, 0]
        bytes += Array("Date".utf8) + [1, 0, 0, 0, UInt8(ascii: "x"), 13, 0, 0, 0]
        bytes += Array("Authorization".utf8) + [2, 0, 0, 0, UInt8(ascii: "y"), UInt8(ascii: "z"), 3, 0, 0, 0]
        bytes += Array("/us".utf8) + [0, UInt8(ascii: "t")]
        XCTAssertEqual(
            unpackSignedRequest(Data(bytes)),
            SignedRequest(headers: [Header("Date", "x"), Header("Authorization", "yz")], stringToSign: Data([UInt8(ascii: "s"), 0, UInt8(ascii: "t")]), url: "/u")
        )
        XCTAssertEqual(unpackSignedRequest(Data(count: 8)), SignedRequest(headers: [], stringToSign: Data(), url: nil))
        // Truncated or inconsistent buffers are refused, never read past their end.
        XCTAssertNil(unpackSignedRequest(Data()))
        XCTAssertNil(unpackSignedRequest(Data(bytes.prefix(10))))
        XCTAssertNil(unpackSignedRequest(Data([255, 255, 255, 255, 0, 0, 0, 0])))
        XCTAssertNil(unpackSignedRequest(Data([0, 0, 0, 0, 9, 0, 0, 0, UInt8(ascii: "/")])))
    }

    func testTheRawEntryGrowsItsOutputForALargeResult() throws {
        // A 5000-byte signed header: the result is far over the first output buffer.
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256", headersToSign: ["x-big"]), credentials: credentials)
        let big = String(repeating: "b", count: 5000)
        let signed = try assertPackedEqualsRecord(signer, target: "/big", headers: [("X-Big", big)], body: jsonBody).get()
        XCTAssertTrue(signed.stringToSignText!.hasSuffix("," + big))
    }

    func testTheRawEntryGivesTheSignatureTheRecordCallGivesOnEveryScheme() throws {
        let schemes: [Scheme] = [
            try Scheme.apiAuth(digest: "sha1"),
            try Scheme.pathBodyHex(digest: "sha256"),
            Scheme.timestamped(),
            try Scheme.awsSigv4(region: "us-east-1", service: "s3"),
            try Scheme.rfc9421(label: "sig1", contentDigest: .sha256),
        ]
        for scheme in schemes {
            let signer = Signer(scheme: scheme, credentials: credentials)
            for (_, body) in bodies {
                let signed = try assertPackedEqualsRecord(signer, target: "/a/b?c=d", headers: [("Host", "example.com")], body: body).get()
                XCTAssertFalse(signed.headers.isEmpty)
            }
            // A refused header gives the same typed error both ways.
            let refused = assertPackedEqualsRecord(signer, target: "/a", headers: [("X-Evil", "a\r\nInjected: 1")], body: jsonBody)
            XCTAssertEqual(refused.failureKind, "invalid_request")
        }
    }

    func testABodyOver2GiBSignsThroughTheRawEntryAsItsDigestDoes() throws {
        // The generated calls' lengths are Int32: a body this big would trap there.
        let size = generatedBodyMax + 2
        let body = Data(count: size)
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        let headers = [("Content-Type", "application/octet-stream")]
        let signed = try signer.sign(method: "PUT", target: "/upload", headers: headers, body: body, now: now)
        let hasher = BodyHasher(algorithm: .sha256)
        try hasher.update(contentsOf: stride(from: 0, to: size, by: 1 << 26).lazy.map { body[$0..<min($0 + (1 << 26), size)] })
        let fromDigest = try signer.sign(method: "PUT", target: "/upload", headers: headers.map { Header($0.0, $0.1) }, bodyDigest: hasher.finish(), now: now)
        XCTAssertEqual(signed, fromDigest)
        // Refused input with such a body: the typed error, not a trap.
        let refused = outcome { try signer.sign(method: "PUT", target: "/upload", headers: [("X-Evil", "a\nb")], body: body, now: now) }
        XCTAssertEqual(refused.failureKind, "invalid_request")
        // A NUL in a header takes the record call's error path, with an empty body.
        let nul = outcome { try signer.sign(method: "PUT", target: "/upload", headers: [("X-Nul", "a\0b")], body: body, now: now) }
        XCTAssertEqual(nul.failureKind, "invalid_request")
        // now == Int64.min cannot take the packed call: refused with what to do.
        let pathBodyHex = Signer(scheme: try Scheme.pathBodyHex(digest: "sha256"), credentials: credentials)
        let sentinel = outcome { try pathBodyHex.sign(method: "PUT", target: "/upload", headers: headers, body: body, now: Int64.min) }
        guard case let .failure(error) = sentinel else { return XCTFail("signed a body it could not carry: \(sentinel)") }
        XCTAssertEqual(error.kind, "invalid_request")
        XCTAssertTrue(error.reason.contains("signWithBodyDigest"), error.reason)
    }

    func testTheGeneratedPackedCallUnpacksToTheRecordResult() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        let buffer = try signer.signPacked(
            method: Data("POST".utf8), target: Data("/o".utf8), headers: Data("Content-Type\0text/plain".utf8), body: everyByte, now: now
        )
        XCTAssertEqual(
            unpackSignedRequest(buffer),
            try signer.sign(method: "POST", target: "/o", headers: [Header("Content-Type", "text/plain")], body: everyByte, now: now)
        )
    }
}
