// The path-body-hex and timestamped schemes, and the server side: `Verifier`
// with a key dictionary or a key lookup (closure or protocol), `ReplayGuard`,
// `httpStatus`. Expected values are those of the `pbh-*` and `ts-*` cases of
// tests/conformance/smoke-cases.json as the Rust runner prints them
// (`cargo xtask conformance --lang rust tests/conformance/smoke-cases.json`).

import Foundation
import XCTest

import HmacSig

private let orderBody = Data(#"{"id":7}"#.utf8)
private let tsSignature = "J8kpYQwb8fQOkLneWVyjSV8EbbwvPKcaHyQdKkGBkVo="

/// Smoke case `ts-verify-base-url`: signed for https://api.example.com/v1/orders?id=7
/// at 1_700_000_000, received behind a proxy that strips `/v1`.
private func proxiedOrder() -> Request {
    Request(method: "POST", target: "/orders?id=7", headers: [
        ("Host", "orders.internal:8080"),
        ("X-Request-Timestamp", "1700000000"),
        ("X-Request-Signature", tsSignature),
        ("X-Request-Key-Id", "client-1"),
    ], body: orderBody)
}

/// Smoke case `pbh-verify-ok` (key id `client`, secret `key`), or another key id.
private func pathBodyHexRoot(keyId: String = "client") -> [(String, String)] {
    [("Authorization", "\(keyId):194246b47ecd392ade22cdc6deba9b5db3ad837e")]
}

private struct DatabaseDown: Error, CustomStringConvertible {
    var description: String { "db down (connection refused)" }
}

private enum PlainError: Error {
    case timeout
}

private struct LocalizedDown: LocalizedError {
    var errorDescription: String? { "vault sealed" }
}

/// The secrets of the smoke cases, by key id; the other key ids make the lookup throw.
@Sendable private func smokeLookup(_ keyId: String) throws -> Data? {
    switch keyId {
    case "client": return Data("key".utf8)
    case "client-1": return Data("secret".utf8)
    case "down": throw DatabaseDown()
    case "plain": throw PlainError.timeout
    case "localized": throw LocalizedDown()
    case "generated": throw KeyLookupError.Failed(reason: "shard 3 unreachable")
    default: return nil
    }
}

/// A class implementing the `KeyLookup` protocol itself (no closure adapter).
private final class TableLookup: KeyLookup {
    func secretFor(keyId: String) throws -> Data? {
        if keyId == "down" { throw DatabaseDown() }
        return keyId == "client" ? Data("key".utf8) : nil
    }
}

/// Counts calls from any thread.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}

final class SchemesAndVerifierTests: XCTestCase {
    // MARK: path-body-hex

    func testPathBodyHexSignsTheSmokeCases() throws {
        let credentials = Credentials(keyId: "client", secret: "key")
        let sha1 = Signer(scheme: try Scheme.pathBodyHex(), credentials: credentials)

        // pbh-sign-get
        let get = try sha1.sign(method: "GET", target: "/quotes?limit=5", headers: [Header]())
        XCTAssertEqual(get.headers, [Header("Authorization", "client:b8bf1d4a68affab239dfc8cc5955255c93189675")])
        XCTAssertEqual(get.stringToSignText, "/quotes?limit=5")
        XCTAssertNil(get.url)

        // pbh-sign-post-sha256: an empty query is not signed; the body is.
        let sha256 = Signer(scheme: try Scheme.pathBodyHex(digest: "sha256"), credentials: credentials)
        let post = try sha256.sign(
            method: "POST", target: "https://api.example.com/quotes?",
            headers: [("Content-Type", "application/json")], body: orderBody
        )
        XCTAssertEqual(post.headers, [Header("Authorization", "client:d0df7cc0ee905f243243965ceac6b9a0ab423d200c042a707ee4566664f79125")])
        XCTAssertEqual(post.stringToSignText, #"/quotes{"id":7}"#)

        // pbh-sign-binary: the string to sign is not UTF-8.
        let binary = try sha1.sign(method: "PUT", target: "/b", headers: [(String, String)](), body: Data([0x00, 0xff]))
        XCTAssertEqual(binary.header("authorization"), "client:eaadd6d8bb09ec97d4e0fee0d96f7d88b293d656")
        XCTAssertNil(binary.stringToSignText)
        XCTAssertEqual(binary.stringToSign, Data("/b".utf8) + Data([0x00, 0xff]))

        // pbh-md5
        let md5 = hmacSigError { try Scheme.pathBodyHex(digest: "md5") }
        XCTAssertEqual(md5?.kind, "unsupported")
        XCTAssertEqual(md5?.reason, #"path-body-hex digest "md5" is not offered; use sha1 or sha256"#)
        XCTAssertEqual(try Scheme.pathBodyHex().name(), "path-body-hex")
    }

    func testPathBodyHexVerifies() throws {
        let scheme = try Scheme.pathBodyHex()
        let credentials = Credentials(keyId: "client", secret: "key")
        let root = Request(method: "GET", target: "/", headers: pathBodyHexRoot())
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: root), "client")
        XCTAssertEqual(try extractKeyId(scheme: scheme, request: root), "client")

        let tampered = hmacSigError {
            try verifyRequest(scheme: scheme, credentials: credentials, request: Request(method: "GET", target: "/?x", headers: pathBodyHexRoot()))
        }
        XCTAssertEqual(tampered, .BadSignature(reason: #"signature does not match; the server signed "/?x""#, stringToSign: "/?x"))

        let threeParts = hmacSigError {
            try extractKeyId(scheme: scheme, request: Request(method: "GET", target: "/", headers: [("Authorization", "a:b:c")]))
        }
        XCTAssertEqual(threeParts, .MalformedAuthorization(reason: #"Authorization "a:b:c" is not <key_id>:<signature>"#))
    }

    // MARK: timestamped

    func testTimestampedSignsTheSmokeCases() throws {
        let credentials = Credentials(keyId: "client-1", secret: "secret")

        // ts-sign-x-request: the default style; the method is upper-cased.
        let xRequest = Signer(scheme: Scheme.timestamped(), credentials: credentials)
        let signed = try xRequest.sign(method: "post", target: "https://api.example.com/v1/orders?id=7", headers: [(String, String)](), body: orderBody, now: 1_700_000_000)
        XCTAssertEqual(signed.headers, [
            Header("X-Request-Timestamp", "1700000000"),
            Header("X-Request-Signature", tsSignature),
            Header("X-Request-Key-Id", "client-1"),
        ])
        XCTAssertEqual(signed.stringToSignText, #"POSThttps://api.example.com/v1/orders?id=71700000000{"id":7}"#)
        XCTAssertEqual(
            try Signer(scheme: Scheme.timestamped(headerStyle: .xRequest), credentials: credentials)
                .sign(method: "post", target: "https://api.example.com/v1/orders?id=7", headers: [(String, String)](), body: orderBody, now: 1_700_000_000),
            signed
        )

        // ts-sign-authorization-lower: the query keeps its case.
        let authorization = Signer(scheme: Scheme.timestamped(headerStyle: .authorization, lowercaseUrl: true), credentials: credentials)
        let lower = try authorization.sign(method: "GET", target: "HTTPS://API.Example.com/V1/Orders?ID=7", headers: [Header](), now: 1_700_000_000)
        XCTAssertEqual(lower.headers, [
            Header("X-Request-Timestamp", "1700000000"),
            Header("Authorization", "HMAC-SHA256 client-1:oMUoK/jIvZM41Z0OiTOkevpRwxtC/HNs3KE3hrWfZNs="),
        ])
        XCTAssertEqual(lower.stringToSignText, "GEThttps://api.example.com/v1/orders?ID=71700000000")

        // ts-sign-origin-form: the URL is rebuilt from Host; no key id, no key-id header.
        let anonymous = Signer(scheme: Scheme.timestamped(), credentials: Credentials(keyId: "", secret: "secret"))
        let origin = try anonymous.sign(method: "GET", target: "/x", headers: [("Host", "api.example.com:8443")], now: 1_700_000_000)
        XCTAssertEqual(origin.headers, [
            Header("X-Request-Timestamp", "1700000000"),
            Header("X-Request-Signature", "rkx8Yly+SilZHIILplecqIZddE7ZxbJ0d1WwAyHr2fk="),
        ])
        XCTAssertEqual(origin.stringToSignText, "GEThttps://api.example.com:8443/x1700000000")
        XCTAssertEqual(Scheme.timestamped().name(), "timestamped")
    }

    func testTimestampedPolicyWithPublicBaseUrl() throws {
        let scheme = Scheme.timestamped()
        let credentials = Credentials(keyId: "client-1", secret: "secret")
        let behindProxy = try Policy.timestamped(publicBaseUrl: "https://api.example.com/v1")

        // ts-verify-base-url
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: proxiedOrder(), policy: behindProxy, now: 1_700_000_001), "client-1")
        // A trailing slash on the base URL changes nothing.
        let slashed = try Policy.timestamped(publicBaseUrl: "https://api.example.com/v1/")
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: proxiedOrder(), policy: slashed, now: 1_700_000_001), "client-1")

        // ts-verify-no-policy: the server rebuilds the URL from its own Host.
        let noPolicy = hmacSigError { try verifyRequest(scheme: scheme, credentials: credentials, request: proxiedOrder(), now: 1_700_000_001) }
        XCTAssertEqual(noPolicy?.kind, "bad_signature")
        guard case let .BadSignature(_, stringToSign)? = noPolicy else { return XCTFail("expected BadSignature, got \(String(describing: noPolicy))") }
        XCTAssertEqual(stringToSign, #"POSThttps://orders.internal:8080/orders?id=71700000000{"id":7}"#)

        // ts-verify-stale and ts-verify-future
        let stale = hmacSigError {
            try verifyRequest(scheme: scheme, credentials: credentials, request: proxiedOrder(), policy: try Policy.timestamped(maxAge: 300, publicBaseUrl: "https://api.example.com/v1"), now: 1_700_000_301)
        }
        XCTAssertEqual(stale, .Stale(reason: "the request's timestamp is 301 s old; the policy allows 300 s"))
        let future = hmacSigError { try verifyRequest(scheme: scheme, credentials: credentials, request: proxiedOrder(), policy: behindProxy, now: 1_699_999_990) }
        XCTAssertEqual(future, .Future(reason: "the request's timestamp is 10 s in the future; the policy allows 5 s"))
        let generous = try Policy.timestamped(maxFuture: 10, publicBaseUrl: "https://api.example.com/v1")
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: proxiedOrder(), policy: generous, now: 1_699_999_990), "client-1")

        // ts-verify-forwarded-trusted
        var forwarded = proxiedOrder()
        forwarded.target = "/v1/orders?id=7"
        forwarded.headers.insert(contentsOf: [Header("X-Forwarded-Proto", "https"), Header("X-Forwarded-Host", "api.example.com")], at: 1)
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: forwarded, policy: try Policy.timestamped(trustForwarded: true), now: 1_700_000_000), "client-1")
        XCTAssertEqual(hmacSigError { try verifyRequest(scheme: scheme, credentials: credentials, request: forwarded, now: 1_700_000_000) }?.kind, "bad_signature")

        // ts-bad-policy
        let badBase = hmacSigError { try Policy.timestamped(publicBaseUrl: "not a url") }
        XCTAssertEqual(badBase, .Unsupported(reason: #"public_base_url "not a url" is not an absolute URL"#))
    }

    // MARK: Verifier with a key dictionary

    func testVerifierWithKeyDictionaries() throws {
        let scheme = Scheme.timestamped()
        let policy = try Policy.timestamped(publicBaseUrl: "https://api.example.com/v1")
        let fromData = try Verifier.withKeys(scheme: scheme, keys: ["client-1": Data("secret".utf8), "other": Data("x".utf8)], policy: policy)
        let fromText = try Verifier.withKeys(scheme: scheme, keys: ["client-1": "secret"], policy: policy)
        for verifier in [fromData, fromText] {
            XCTAssertEqual(try verifier.verifyRequest(request: proxiedOrder(), now: 1_700_000_001), "client-1")
            let r = proxiedOrder()
            XCTAssertEqual(try verifier.verify(method: r.method, target: r.target, headers: r.headers, body: r.body, now: 1_700_000_001), "client-1")
            let pairs = r.headers.map { ($0.name, $0.value) }
            XCTAssertEqual(try verifier.verify(method: "POST", target: "/orders?id=7", headers: pairs, body: orderBody, now: 1_700_000_001), "client-1")
            // Without the body the signature does not match.
            XCTAssertEqual(hmacSigError { try verifier.verify(method: "POST", target: "/orders?id=7", headers: pairs, now: 1_700_000_001) }?.kind, "bad_signature")
        }

        // An empty dictionary literal picks the generated [String: Data] overload.
        let empty = try Verifier.withKeys(scheme: scheme, keys: [:], policy: policy)
        let unknown = hmacSigError { try empty.verifyRequest(request: proxiedOrder(), now: 1_700_000_001) }
        XCTAssertEqual(unknown, .UnknownKey(reason: #"no secret is known for key id "client-1""#, keyId: "client-1"))

        // Wrong secret, and the scheme's default policy (no public base URL).
        XCTAssertEqual(hmacSigError { try Verifier.withKeys(scheme: scheme, keys: ["client-1": "wrong"], policy: policy).verifyRequest(request: proxiedOrder(), now: 1_700_000_001) }?.kind, "bad_signature")
        XCTAssertEqual(hmacSigError { try Verifier.withKeys(scheme: scheme, keys: ["client-1": "secret"]).verifyRequest(request: proxiedOrder(), now: 1_700_000_001) }?.kind, "bad_signature")

        // A policy for another scheme is refused when the verifier is built.
        XCTAssertEqual(hmacSigError { try Verifier.withKeys(scheme: try Scheme.pathBodyHex(), keys: ["client": "key"], policy: policy) }?.kind, "unsupported")
    }

    // MARK: Verifier with a key lookup

    func testClosureLookupFoundUnknownAndThrowing() throws {
        let calls = Counter()
        let verifier = try Verifier.withLookup(scheme: try Scheme.pathBodyHex()) { keyId in
            calls.increment()
            return try smokeLookup(keyId)
        }

        // Found (pbh-verify-ok).
        XCTAssertEqual(try verifier.verify(method: "GET", target: "/", headers: pathBodyHexRoot()), "client")
        XCTAssertEqual(try verifier.verifyRequest(request: Request(method: "GET", target: "/", headers: pathBodyHexRoot())), "client")

        // Unknown: the closure returned nil.
        let unknown = hmacSigError { try verifier.verify(method: "GET", target: "/", headers: pathBodyHexRoot(keyId: "nobody")) }
        XCTAssertEqual(unknown, .UnknownKey(reason: #"no secret is known for key id "nobody""#, keyId: "nobody"))
        XCTAssertEqual(unknown?.kind, "unknown_key")

        // Throwing: a custom error becomes KeyLookupFailed with its text, no crash.
        let down = try XCTUnwrap(hmacSigError { try verifier.verify(method: "GET", target: "/", headers: pathBodyHexRoot(keyId: "down")) })
        XCTAssertEqual(down.kind, "key_lookup_failed")
        XCTAssertEqual(down, .KeyLookupFailed(reason: "the key lookup failed: db down (connection refused)"))
        XCTAssertTrue(down.localizedDescription.contains("db down"), down.localizedDescription)
        XCTAssertTrue("\(down)".contains("db down"))

        // The generated KeyLookupError, a LocalizedError, an error without a description.
        let thrown = { (keyId: String) in hmacSigError { try verifier.verify(method: "GET", target: "/", headers: pathBodyHexRoot(keyId: keyId)) } }
        XCTAssertEqual(thrown("generated"), .KeyLookupFailed(reason: "the key lookup failed: shard 3 unreachable"))
        XCTAssertEqual(thrown("localized"), .KeyLookupFailed(reason: "the key lookup failed: vault sealed"))
        let plain = try XCTUnwrap(thrown("plain"))
        XCTAssertEqual(plain.kind, "key_lookup_failed")
        XCTAssertTrue(plain.reason.contains("timeout"), plain.reason)

        XCTAssertEqual(calls.count, 7)
        // The lookup is not called when the request has no key id.
        XCTAssertEqual(hmacSigError { try verifier.verify(method: "GET", target: "/", headers: [(String, String)]()) }?.kind, "missing_authorization")
        XCTAssertEqual(calls.count, 7)
    }

    func testClosureLookupWithPolicyAndGuard() throws {
        let replayGuard = try ReplayGuard()
        let verifier = try Verifier.withLookup(
            scheme: Scheme.timestamped(),
            policy: try Policy.timestamped(publicBaseUrl: "https://api.example.com/v1"),
            replayGuard: replayGuard,
            lookup: smokeLookup
        )
        XCTAssertEqual(try verifier.verifyRequest(request: proxiedOrder(), now: 1_700_000_001), "client-1")
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: proxiedOrder(), now: 1_700_000_002) }?.kind, "replayed")
        XCTAssertEqual(replayGuard.count, 1)
    }

    func testProtocolLookupThatThrowsAnySwiftError() throws {
        // A class lookup: any Swift error it throws is reported by its description.
        let verifier = try Verifier.withLookup(scheme: try Scheme.pathBodyHex(), lookup: TableLookup())
        XCTAssertEqual(try verifier.verify(method: "GET", target: "/", headers: pathBodyHexRoot()), "client")
        XCTAssertEqual(hmacSigError { try verifier.verify(method: "GET", target: "/", headers: pathBodyHexRoot(keyId: "x")) }?.kind, "unknown_key")
        let down = try XCTUnwrap(hmacSigError { try verifier.verify(method: "GET", target: "/", headers: pathBodyHexRoot(keyId: "down")) })
        XCTAssertEqual(down.kind, "key_lookup_failed")
        XCTAssertTrue(down.reason.contains("db down"), down.reason)
    }

    func testClosureLookupFromManyThreads() throws {
        let calls = Counter()
        let verifier = try Verifier.withLookup(scheme: try Scheme.pathBodyHex()) { keyId in
            calls.increment()
            return keyId == "client" ? Data("key".utf8) : nil
        }
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let keyId = i.isMultiple(of: 2) ? "client" : "down"
            do {
                let verified = try verifier.verify(method: "GET", target: "/", headers: pathBodyHexRoot(keyId: keyId))
                if verified != "client" { failures.increment() }
            } catch let error as HmacSigError {
                if keyId == "client" || error.kind != "unknown_key" { failures.increment() }
            } catch {
                failures.increment()
            }
        }
        XCTAssertEqual(failures.count, 0)
        XCTAssertEqual(calls.count, 64)
    }

    // MARK: ReplayGuard

    func testReplayGuardRefusesTheSecondIdenticalRequest() throws {
        // timestamped: remembered until timestamp + max_age.
        let replayGuard = try ReplayGuard(capacity: 100, defaultTtl: 60)
        XCTAssertTrue(replayGuard.isEmpty())
        let verifier = try Verifier.withKeys(
            scheme: Scheme.timestamped(), keys: ["client-1": "secret"],
            policy: try Policy.timestamped(publicBaseUrl: "https://api.example.com/v1"), replayGuard: replayGuard
        )
        XCTAssertEqual(try verifier.verifyRequest(request: proxiedOrder(), now: 1_700_000_001), "client-1")
        let replayed = try XCTUnwrap(hmacSigError { try verifier.verifyRequest(request: proxiedOrder(), now: 1_700_000_002) })
        XCTAssertEqual(replayed, .Replayed(reason: #"this signature from key id "client-1" was already used"#))
        XCTAssertEqual(replayed.kind, "replayed")
        XCTAssertEqual(httpStatus(replayed), 403)
        XCTAssertEqual(replayGuard.len(), 1)
        XCTAssertEqual(replayGuard.count, 1)
        XCTAssertFalse(replayGuard.isEmpty())
        // Once the window is over the request is stale, not replayed.
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: proxiedOrder(), now: 1_700_000_301) }?.kind, "stale")

        // path-body-hex (no timestamp): remembered for the default TTL.
        let pbhGuard = try ReplayGuard(defaultTtl: 60)
        let pbh = try Verifier.withKeys(scheme: try Scheme.pathBodyHex(), keys: ["client": "key"], replayGuard: pbhGuard)
        XCTAssertEqual(try pbh.verify(method: "GET", target: "/", headers: pathBodyHexRoot(), now: 1_000), "client")
        XCTAssertEqual(hmacSigError { try pbh.verify(method: "GET", target: "/", headers: pathBodyHexRoot(), now: 1_059) }?.kind, "replayed")
        XCTAssertEqual(try pbh.verify(method: "GET", target: "/", headers: pathBodyHexRoot(), now: 1_060), "client")

        // The guard on its own.
        let bare = try ReplayGuard()
        try bare.check(keyId: "k", signature: "sig", expiresAt: 1_000, now: 900)
        XCTAssertEqual(hmacSigError { try bare.check(keyId: "k", signature: "sig", expiresAt: 1_000, now: 950) }?.kind, "replayed")
        try bare.check(keyId: "other", signature: "sig", expiresAt: 1_000, now: 950)
        XCTAssertEqual(bare.count, 2)
        XCTAssertEqual(hmacSigError { try ReplayGuard(capacity: 0) }?.kind, "unsupported")
    }

    // MARK: HTTP statuses

    func testHttpStatuses() throws {
        let verifier = try Verifier.withLookup(scheme: try Scheme.pathBodyHex(), lookup: smokeLookup)
        let status = { (headers: [(String, String)]) -> Int? in
            hmacSigError { try verifier.verify(method: "GET", target: "/", headers: headers) }.map(httpStatus)
        }
        XCTAssertEqual(status([]), 401)  // missing_authorization
        XCTAssertEqual(status([("Authorization", "a:b:c")]), 401)  // malformed_authorization
        XCTAssertEqual(status(pathBodyHexRoot(keyId: "nobody")), 403)  // unknown_key
        XCTAssertEqual(status([("Authorization", "client:00")]), 403)  // bad_signature
        XCTAssertEqual(status(pathBodyHexRoot(keyId: "down")), 503)  // key_lookup_failed

        XCTAssertEqual(httpStatus(.Stale(reason: "r")), 403)
        XCTAssertEqual(httpStatus(.Unsupported(reason: "r")), 401)
        XCTAssertEqual(httpStatus(.KeyLookupFailed(reason: "r")), 503)
        XCTAssertEqual(HmacSigError.InvalidRequest(reason: "r").httpStatus, 401)
        XCTAssertEqual(HmacSigError.BadSignature(reason: "r", stringToSign: "s").httpStatus, 403)
        // The generated function, by kind.
        XCTAssertEqual(httpStatus(kind: "replayed"), 403)
        XCTAssertEqual(httpStatus(kind: "key_lookup_failed"), 503)
        XCTAssertEqual(httpStatus(kind: "no such kind"), 401)
    }
}
