// The one call path under every sign and verify (CoreCall.swift, docs/ffi.md):
// every scheme signs and verifies through it, headers given either way agree,
// results too big for the first buffer are fetched once, typed errors come
// back whole, a body over 2 GiB signs, and an object freed under running calls
// gives the right result or the closed error, never a crash.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking  // URLRequest on Linux
#endif
import XCTest

@testable import HmacSig

private let credentials = Credentials(keyId: "call-key", secret: "call-secret")
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

/// The outcome of a call: its value or the `HmacSigError`.
private func outcome<T>(_ call: () throws -> T) -> Result<T, HmacSigError> {
    do {
        return .success(try call())
    } catch let error as HmacSigError {
        return .failure(error)
    } catch {
        preconditionFailure("not an HmacSigError: \(error)")
    }
}

/// Collects strings from any thread.
private final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.lock(); items.append(item); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

final class CoreCallTests: XCTestCase {
    private let schemes: [Scheme] = [
        try! Scheme.apiAuth(digest: "sha1"),
        try! Scheme.apiAuth(digest: "sha256", headersToSign: ["x-tenant", "content-type"]),
        try! Scheme.pathBodyHex(digest: "sha256"),
        Scheme.timestamped(),
        try! Scheme.awsSigv4(region: "us-east-1", service: "s3"),
        try! Scheme.awsSigv4(region: "us-east-1", service: "service", signatureType: .query),
        try! Scheme.rfc9421(label: "sig1", contentDigest: .sha256),
    ]

    func testEverySchemeSignsAndVerifiesWithHeadersGivenEitherWay() throws {
        let headers = [("Host", "example.com"), ("Content-Type", "application/json"), ("X-Tenant", "acme"), ("X-Tenant", "two")]
        for scheme in schemes {
            let signer = Signer(scheme: scheme, credentials: credentials)
            let verifier = try Verifier.withCredentials(scheme: scheme, credentials: credentials, policy: nil, replayGuard: nil)
            for (what, body) in bodies {
                let signed = try signer.sign(method: "POST", target: "/a/b?c=d", headers: headers, body: body, now: now)
                let records = headers.map { Header($0.0, $0.1) }
                XCTAssertEqual(signed, try signer.sign(method: "POST", target: "/a/b?c=d", headers: records, body: body, now: now), what)
                let request = Request(method: "POST", target: "/a/b?c=d", headers: records, body: body)
                XCTAssertEqual(signed, try signer.signRequest(request: request, now: now), what)
                XCTAssertFalse(signed.stringToSign.isEmpty, what)
                // What the server receives: the signed headers added, or the signed URL as target.
                let received = Request(
                    method: "POST", target: signed.url ?? "/a/b?c=d", headers: records + signed.headers, body: body
                )
                XCTAssertEqual(try verifier.verifyRequest(request: received, now: now + 1), "call-key", "\(scheme.name()) \(what)")
            }
            // A refused header: the same typed error both ways.
            let evil = [("Host", "example.com"), ("X-Evil", "a\r\nInjected: 1")]
            let pairs = outcome { try signer.sign(method: "POST", target: "/a", headers: evil, body: jsonBody, now: now) }
            let records = outcome { try signer.sign(method: "POST", target: "/a", headers: evil.map { Header($0.0, $0.1) }, body: jsonBody, now: now) }
            XCTAssertEqual(pairs.failureKind, "invalid_request")
            XCTAssertEqual(pairs.map(\.headers), records.map(\.headers))
        }
    }

    func testBadInputGivesTheCoresTypedError() {
        let signer = Signer(scheme: Scheme.timestamped(), credentials: credentials)
        let nul = HmacSigError.InvalidRequest(reason: "a method, target, status or header holds a NUL byte, which HTTP does not allow")
        let cases: [(String, [(String, String)], HmacSigError)] = [
            ("NUL in a value", [("X-A", "a\0b")], nul),
            ("NUL in a name", [("X\0A", "a")], nul),
            ("a space in a name", [("Bad Name", "a")], .InvalidRequest(reason: #"the header name "Bad Name" is not an HTTP token"#)),
            ("LF in a value", [("X-A", "a\nb")], .InvalidRequest(reason: #"the value of header "X-A" contains CR, LF or NUL"#)),
        ]
        for (what, headers, expected) in cases {
            XCTAssertEqual(outcome { try signer.sign(method: "GET", target: "/", headers: headers, now: now) }.map(\.headers), .failure(expected), what)
        }
        XCTAssertEqual(
            outcome { try signer.sign(method: "GE T", target: "/", headers: [(String, String)](), now: now) }.map(\.headers),
            .failure(.InvalidRequest(reason: #"the method "GE T" is not an HTTP token"#))
        )
        XCTAssertEqual(outcome { try signer.sign(method: "GET", target: "/\0x", headers: [Header](), now: now) }.map(\.headers), .failure(nul))
    }

    func testNilNowIsTheSystemClockAndInt64MinIsRefused() throws {
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
        // Int64.min is the entry's "system clock": asked for explicitly, it is refused, never read as now.
        let sentinel = outcome { try signer.sign(method: "GET", target: "/", headers: [("Host", "a.example")], now: Int64.min) }
        XCTAssertEqual(sentinel.failureKind, "invalid_request")
        let verifier = try Verifier.withKeys(scheme: try Scheme.apiAuth(digest: "sha256"), keys: ["call-key": "call-secret"])
        XCTAssertEqual(outcome { try verifier.verify(method: "GET", target: "/", headers: signed.headers, body: Data(), now: Int64.min) }.failureKind, "invalid_request")
    }

    func testTheNoBodyConvenienceAndURLRequestGiveTheSameResult() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        let noBody = try signer.sign(method: "GET", target: "/x", headers: [Header("Host", "a.example")], now: now)
        XCTAssertEqual(noBody, try signer.sign(method: "GET", target: "/x", headers: [Header("Host", "a.example")], body: Data(), now: now))

        var request = URLRequest(url: URL(string: "https://a.example/orders?id=7")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = jsonBody
        let signed = try request.sign(with: signer, now: now)
        let direct = try signer.sign(
            method: "POST", target: "/orders?id=7",
            headers: [Header("Content-Type", "application/json"), Header("Host", "a.example")], body: jsonBody, now: now
        )
        XCTAssertEqual(signed, direct)
        XCTAssertEqual(request.value(forHTTPHeaderField: "Authorization"), direct.header("Authorization"))
    }

    func testResultsOverTheFirstBufferAreFetchedOnce() throws {
        // A 5000-byte signed header: the signed result and the error with the
        // server's string to sign are both kept by the core and fetched.
        let scheme = try Scheme.apiAuth(digest: "sha256", headersToSign: ["x-big"])
        let signer = Signer(scheme: scheme, credentials: credentials)
        let big = String(repeating: "b", count: 5000)
        let signed = try signer.sign(method: "POST", target: "/big", headers: [("X-Big", big)], body: jsonBody, now: now)
        XCTAssertTrue(signed.stringToSignText!.hasSuffix("," + big))
        let guarded = try Verifier.withKeys(scheme: scheme, keys: ["call-key": "call-secret"], replayGuard: try ReplayGuard())
        let received = [("X-Big", big)] + signed.headers.map { ($0.name, $0.value) }
        XCTAssertEqual(try guarded.verify(method: "POST", target: "/big", headers: received, body: jsonBody, now: now), "call-key")
        // Verified once only: the second is a replay (the call was not made twice).
        XCTAssertEqual(outcome { try guarded.verify(method: "POST", target: "/big", headers: received, body: jsonBody, now: now) }.failureKind, "replayed")
        let wrong = try Verifier.withKeys(scheme: scheme, keys: ["call-key": "other"])
        let error = outcome { try wrong.verify(method: "POST", target: "/big", headers: received, body: jsonBody, now: now) }
        guard case let .failure(.BadSignature(reason, stringToSign)) = error else { return XCTFail("\(error)") }
        XCTAssertTrue(stringToSign.hasSuffix("," + big), reason)
    }

    func testResponsesSignAndVerifyWithTheirRequest() throws {
        let scheme = try Scheme.rfc9421(components: ["@status", "content-type", "content-digest", "@method;req"], created: now, contentDigest: .sha256)
        let request = Request(method: "POST", target: "/orders", headers: [("Host", "example.com")])
        let response = Response(status: 201, headers: [("Content-Type", "application/json")], body: jsonBody)
        let signer = Signer(scheme: scheme, credentials: credentials)
        let signed = try signer.signResponse(response: response, request: request, now: now)
        XCTAssertEqual(signed, try signResponse(scheme: scheme, credentials: credentials, response: response, request: request, now: now))
        let received = Response(status: 201, headers: response.headers + signed.headers, body: jsonBody)
        let verifier = try Verifier.withCredentials(scheme: scheme, credentials: credentials, policy: nil, replayGuard: nil)
        XCTAssertEqual(try verifier.verifyResponse(response: received, request: request, now: now + 1), "call-key")
        let lookup = try Verifier.withLookup(scheme: scheme) { $0 == "call-key" ? Data("call-secret".utf8) : nil }
        XCTAssertEqual(try lookup.verifyResponse(response: received, request: request, now: now + 1), "call-key")
        let otherRequest = Request(method: "GET", target: "/orders", headers: [("Host", "example.com")])
        XCTAssertEqual(outcome { try lookup.verifyResponse(response: received, request: otherRequest, now: now + 1) }.failureKind, "bad_signature")
    }

    func testALookupsEmptySecretIsASecret() throws {
        let empty = Credentials(keyId: "client", secret: Data())
        let scheme = try Scheme.pathBodyHex(digest: "sha256")
        let signed = try Signer(scheme: scheme, credentials: empty).sign(method: "GET", target: "/", headers: [(String, String)](), now: now)
        let verifier = try Verifier.withLookup(scheme: scheme) { _ in Data() }
        XCTAssertEqual(try verifier.verify(method: "GET", target: "/", headers: signed.headers, body: Data(), now: now), "client")
    }

    func testABodyOver2GiBSignsAsItsDigestDoes() throws {
        let size = Int(Int32.max) + 2
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
        let nul = outcome { try signer.sign(method: "PUT", target: "/upload", headers: [("X-Nul", "a\0b")], body: body, now: now) }
        XCTAssertEqual(nul.failureKind, "invalid_request")
    }

    // MARK: object ids and lifetime

    func testAFreedSignersIdAnswersClosed() throws {
        var signer: Signer? = Signer(scheme: try Scheme.pathBodyHex(digest: "sha256"), credentials: credentials)
        let id = try signer!.coreId()
        XCTAssertEqual(try signer!.coreId(), id, "one id per object, cached")
        let message = CallMessage.request(method: "GET", target: "/", headers: .records([]))
        guard case .signed = try coreCall(.sign, object: id, message: message, body: Data(), now: now) else { return XCTFail() }
        signer = nil
        let closed = outcome { try coreCall(.sign, object: id, message: message, body: Data(), now: now) }
        guard case let .failure(error) = closed else { return XCTFail("a freed signer signed: \(closed)") }
        XCTAssertEqual(error.kind, "unsupported")
        XCTAssertTrue(error.reason.contains("freed"), error.reason)
        // A signer's id names no verifier.
        let other = Signer(scheme: try Scheme.pathBodyHex(digest: "sha256"), credentials: credentials)
        let asVerifier = outcome { try coreCall(.verify, object: try other.coreId(), message: message, body: Data(), now: now) }
        XCTAssertEqual(asVerifier.failureKind, "unsupported")
    }

    func testTheIdTableForgetsFreedObjects() throws {
        let scheme = try Scheme.pathBodyHex(digest: "sha256")
        var ids = Set<UInt64>()
        for _ in 0..<300 {
            let signer = Signer(scheme: scheme, credentials: credentials)
            _ = try signer.sign(method: "GET", target: "/", headers: [Header](), now: now)
            ids.insert(try signer.coreId())
        }
        XCTAssertEqual(ids.count, 300, "every object its own id, even at a reused address")
        XCTAssertLessThan(CoreIds.shared.count, 200)
    }

    func testFreeingASignerUnderRunningCalls() throws {
        let body = Data(repeating: 0x5A, count: 32 << 20)
        var signer: Signer? = Signer(scheme: try Scheme.pathBodyHex(digest: "sha256"), credentials: credentials)
        let expected = CoreResult.signed(try signer!.sign(method: "POST", target: "/up", headers: [Header](), body: body, now: now))
        let id = try signer!.coreId()
        let message = CallMessage.request(method: "POST", target: "/up", headers: .records([]))
        let log = Log()
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                for _ in 0..<10_000 {
                    switch outcome({ try coreCall(.sign, object: id, message: message, body: body, now: now) }) {
                    case let .success(result):
                        log.add(result == expected ? "signed" : "wrong: \(result)")
                    case let .failure(error):
                        log.add(error.reason.contains("freed") ? "closed" : "error: \(error)")
                        return
                    }
                }
            }
        }
        Thread.sleep(forTimeInterval: 0.03)
        signer = nil
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success)
        let outcomes = log.all
        XCTAssertEqual(outcomes.filter { $0 == "closed" }.count, 2, "\(outcomes)")
        XCTAssertEqual(outcomes.filter { $0 != "closed" && $0 != "signed" }, [])
    }
}
