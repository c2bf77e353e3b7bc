// kong-hmac and hawk through the Swift package: Kong's plugin test "should pass
// with GET" exactly (tests/vectors/kong-hmac/kong-spec-cases.json, cases
// kong-spec/14-get/sign and kong-spec/14-get), hawk's API.md example exactly
// (tests/vectors/hawk/readme-examples.json, header-post-with-payload), a bewit
// URL, a signed response, the replay guard and the options' typed errors.

import Foundation
import XCTest

import HmacSig

private let kongNow: Int64 = 1_700_000_000
private let kongDate = "Tue, 14 Nov 2023 22:13:20 GMT"
private let kongSignature = "1b3GnE0+rwUdVXmi1pXSHWpV9/o="

private let hawkCredentials = Credentials(keyId: "dh37fgj492je", secret: "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn")
private let hawkTs: Int64 = 1_353_832_234
private let hawkURL = "http://example.com:8000/resource/1?b=1&a=2"
private let hawkBody = Data("Thank you for flying Hawk".utf8)
private let hawkAuthorization = #"Hawk id="dh37fgj492je", ts="1353832234", nonce="j4h3g2", "#
    + #"hash="Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=", ext="some-app-ext-data", "#
    + #"mac="aSe1DERmZuRl3pI36/9BdZmnErTw3sNzOOAUlfeKjVw=""#

final class KongHmacAndHawkTests: XCTestCase {
    // MARK: kong-hmac

    func testKongSignsKongsGetExactlyAndVerifiesIt() throws {
        let headers = [Header("Host", "hmacauth.test"), Header("date", kongDate)]
        let credentials = Credentials(keyId: "bob", secret: "secret")
        let scheme = try Scheme.kongHmac(algorithm: "hmac-sha1", headers: ["date"])
        XCTAssertEqual(scheme.name(), "kong-hmac")
        let signed = try Signer(scheme: scheme, credentials: credentials)
            .sign(method: "GET", target: "/request", headers: headers, body: Data(), now: kongNow)
        XCTAssertEqual(signed.headers, [
            Header("Authorization", #"hmac username="bob", algorithm="hmac-sha1", headers="date", signature="\#(kongSignature)""#),
        ])
        XCTAssertEqual(signed.stringToSignText, "date: \(kongDate)")
        XCTAssertNil(signed.url)

        // Kong's own header (no spaces after the commas), verified with the default scheme.
        let authorization = #"hmac username="bob",algorithm="hmac-sha1",headers="date",signature="\#(kongSignature)""#
        let sent = Request(method: "GET", target: "/request", headers: headers + [Header("authorization", authorization)], body: Data())
        let defaults = try Scheme.kongHmac()
        let policy = try Policy.kongHmac(clockSkew: 3000)
        XCTAssertEqual(try verifyRequest(scheme: defaults, credentials: credentials, request: sent, policy: policy, now: kongNow), "bob")
        // Tampered: the date it signed changed by a second.
        let tampered = Request(method: "GET", target: "/request", headers: [
            Header("Host", "hmacauth.test"), Header("date", "Tue, 14 Nov 2023 22:13:21 GMT"), Header("authorization", authorization),
        ], body: Data())
        let bad = hmacSigError { try verifyRequest(scheme: defaults, credentials: credentials, request: tampered, policy: policy, now: kongNow) }
        XCTAssertEqual(bad?.kind, "bad_signature")
        // Kong's default skew (300 s) refuses it an hour later.
        let stale = hmacSigError { try verifyRequest(scheme: defaults, credentials: credentials, request: sent, now: kongNow + 3600) }
        XCTAssertEqual(stale?.kind, "stale")
        // An algorithm the policy does not accept.
        let sha256Only = try Policy.kongHmac(clockSkew: 3000, algorithms: ["hmac-sha256"])
        let refused = hmacSigError { try verifyRequest(scheme: defaults, credentials: credentials, request: sent, policy: sha256Only, now: kongNow) }
        XCTAssertEqual(refused?.kind, "digest_not_allowed")
    }

    func testKongSignsAStreamedBodyFromItsSha256Digest() throws {
        let body = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let headers = [Header("Host", "api.example.com"), Header("Content-Type", "application/octet-stream")]
        let credentials = Credentials(keyId: "bob", secret: "secret")
        let scheme = try Scheme.kongHmac(headers: ["date", "@request-target", "digest"], digest: true)
        let signer = Signer(scheme: scheme, credentials: credentials)
        let expected = try signer.sign(method: "PUT", target: "/upload", headers: headers, body: body, now: kongNow)
        XCTAssertEqual(expected.headers.map(\.name), ["Date", "Digest", "Authorization"])
        let streamed = try signer.sign(
            method: "PUT", target: "/upload", headers: headers, bodyStream: InputStream(data: body), chunkSize: 4096, now: kongNow
        )
        XCTAssertEqual(streamed.headers, expected.headers)
        // The server checks the Digest against the body.
        let policy = try Policy.kongHmac(validateRequestBody: true)
        let sent = Request(method: "PUT", target: "/upload", headers: headers + expected.headers, body: body)
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: sent, policy: policy, now: kongNow), "bob")
        var changedBody = body
        changedBody[0] = 1
        let changed = Request(method: "PUT", target: "/upload", headers: sent.headers, body: changedBody)
        let error = hmacSigError { try verifyRequest(scheme: scheme, credentials: credentials, request: changed, policy: policy, now: kongNow) }
        XCTAssertEqual(error?.kind, "body_mismatch")
    }

    // MARK: hawk

    func testHawkSignsApiMdsPostExactlyAndVerifiesIt() throws {
        let headers = [Header("Content-Type", "text/plain")]
        let signed = try Signer(scheme: try Scheme.hawk(nonce: "j4h3g2", ext: "some-app-ext-data"), credentials: hawkCredentials)
            .sign(method: "POST", target: hawkURL, headers: headers, body: hawkBody, now: hawkTs)
        XCTAssertEqual(signed.headers, [Header("Authorization", hawkAuthorization)])
        XCTAssertEqual(
            signed.stringToSignText,
            "hawk.1.header\n1353832234\nj4h3g2\nPOST\n/resource/1?b=1&a=2\nexample.com\n8000\n"
                + "Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=\nsome-app-ext-data\n"
        )
        XCTAssertNil(signed.url)

        // The same request in origin form, host and port from Host.
        let scheme = try Scheme.hawk()
        XCTAssertEqual(scheme.name(), "hawk")
        let sent = Request(method: "POST", target: "/resource/1?b=1&a=2",
                           headers: [Header("Host", "example.com:8000")] + headers + signed.headers, body: hawkBody)
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: hawkCredentials, request: sent, now: hawkTs), "dh37fgj492je")
        XCTAssertEqual(try extractKeyId(scheme: scheme, request: sent), "dh37fgj492je")
        let changed = Request(method: "POST", target: sent.target, headers: sent.headers, body: Data("Thank you for flying Hawk!".utf8))
        XCTAssertEqual(hmacSigError { try verifyRequest(scheme: scheme, credentials: hawkCredentials, request: changed, now: hawkTs) }?.kind,
                       "body_mismatch")
        XCTAssertEqual(hmacSigError { try verifyRequest(scheme: scheme, credentials: hawkCredentials, request: sent, now: hawkTs + 61) }?.kind,
                       "stale")
        // Behind a proxy: the policy names the host and port the client signed.
        let proxied = Request(method: "POST", target: sent.target,
                              headers: [Header("Host", "internal:9000")] + headers + signed.headers, body: hawkBody)
        XCTAssertEqual(hmacSigError { try verifyRequest(scheme: scheme, credentials: hawkCredentials, request: proxied, now: hawkTs) }?.kind,
                       "bad_signature")
        let behindProxy = try Policy.hawk(host: "example.com", port: 8000)
        XCTAssertEqual(
            try verifyRequest(scheme: scheme, credentials: hawkCredentials, request: proxied, policy: behindProxy, now: hawkTs), "dh37fgj492je"
        )
    }

    func testHawkBewitVerifiesWithAGetAndIsStaleAtItsExpiry() throws {
        let bewitScheme = try Scheme.hawk(signatureType: .query, ttl: 120)
        let signed = try Signer(scheme: bewitScheme, credentials: hawkCredentials)
            .sign(method: "GET", target: hawkURL, headers: [Header](), body: Data(), now: hawkTs)
        XCTAssertEqual(signed.headers, [])
        let url = try XCTUnwrap(signed.url)
        XCTAssertTrue(url.hasPrefix(hawkURL + "&bewit="), url)
        let get = Request(method: "GET", target: url, headers: [Header](), body: Data())
        // A verifier reads what its scheme signs: the bewit with `.query`.
        XCTAssertEqual(try verifyRequest(scheme: bewitScheme, credentials: hawkCredentials, request: get, now: hawkTs + 119), "dh37fgj492je")
        XCTAssertEqual(
            hmacSigError { try verifyRequest(scheme: bewitScheme, credentials: hawkCredentials, request: get, now: hawkTs + 120) }?.kind, "stale"
        )
        XCTAssertEqual(
            hmacSigError { try verifyRequest(scheme: try Scheme.hawk(), credentials: hawkCredentials, request: get, now: hawkTs) }?.kind,
            "missing_authorization"
        )
    }

    func testHawkResponseIsSignedWithServerAuthorizationOverItsRequest() throws {
        let scheme = try Scheme.hawk(nonce: "j4h3g2", ext: "some-app-ext-data")
        let headers = [Header("Content-Type", "text/plain")]
        let authorization = try Signer(scheme: scheme, credentials: hawkCredentials)
            .sign(method: "POST", target: hawkURL, headers: headers, body: hawkBody, now: hawkTs).headers
        let request = Request(method: "POST", target: hawkURL, headers: headers + authorization, body: hawkBody)
        let response = Response(status: 200, headers: [("Content-Type", "text/plain")], body: Data("Some reply".utf8))
        let signed = try signResponse(scheme: scheme, credentials: hawkCredentials, response: response, request: request, now: hawkTs)
        XCTAssertEqual(signed.headers.map(\.name), ["Server-Authorization"])
        XCTAssertTrue(try XCTUnwrap(signed.header("server-authorization")).hasPrefix(#"Hawk mac=""#))
        XCTAssertTrue(try XCTUnwrap(signed.stringToSignText).hasPrefix("hawk.1.response\n1353832234\nj4h3g2\nPOST\n"))
        let received = Response(status: 200, headers: response.headers + signed.headers, body: response.body)
        XCTAssertEqual(
            try verifyResponse(scheme: scheme, credentials: hawkCredentials, response: received, request: request, now: hawkTs), "dh37fgj492je"
        )
        // The Verifier and Signer methods give the same.
        let verifier = try Verifier.withCredentials(scheme: scheme, credentials: hawkCredentials, policy: nil, replayGuard: nil)
        XCTAssertEqual(try verifier.verifyResponse(response: received, request: request, now: hawkTs), "dh37fgj492je")
        XCTAssertEqual(
            try Signer(scheme: scheme, credentials: hawkCredentials).signResponse(response: response, request: request, now: hawkTs).headers,
            signed.headers
        )
        let changed = Response(status: 200, headers: received.headers, body: Data("Another reply".utf8))
        XCTAssertEqual(
            hmacSigError {
                try verifyResponse(scheme: scheme, credentials: hawkCredentials, response: changed, request: request, now: hawkTs)
            }?.kind,
            "body_mismatch"
        )
    }

    func testAVerifierWithAReplayGuardRefusesTheSameHawkRequestTwice() throws {
        let scheme = try Scheme.hawk()
        let headers = [Header("Content-Type", "text/plain")]
        let signer = Signer(scheme: scheme, credentials: hawkCredentials)
        let first = try signer.sign(method: "POST", target: hawkURL, headers: headers, body: hawkBody, now: hawkTs)
        let request = Request(method: "POST", target: hawkURL, headers: headers + first.headers, body: hawkBody)
        let verifier = try Verifier.withKeys(
            scheme: scheme, keys: ["dh37fgj492je": "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn"], replayGuard: try ReplayGuard()
        )
        XCTAssertEqual(try verifier.verifyRequest(request: request, now: hawkTs), "dh37fgj492je")
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: request, now: hawkTs + 1) }?.kind, "replayed")
        // Another request (a new random nonce) is not a replay.
        let second = try signer.sign(method: "POST", target: hawkURL, headers: headers, body: hawkBody, now: hawkTs)
        let other = Request(method: "POST", target: hawkURL, headers: headers + second.headers, body: hawkBody)
        XCTAssertEqual(try verifier.verifyRequest(request: other, now: hawkTs), "dh37fgj492je")
    }

    func testHawkMacsTheBodyBytesSoItRefusesADigest() throws {
        let signer = Signer(scheme: try Scheme.hawk(), credentials: hawkCredentials)
        let digest = try BodyHasher().finish()
        let error = hmacSigError { try signer.sign(method: "POST", target: hawkURL, bodyDigest: digest, now: hawkTs) }
        XCTAssertEqual(error?.kind, "unsupported")
    }

    // MARK: options

    func testBadOptionsAreTypedErrors() throws {
        let makers: [(String, () throws -> Any)] = [
            ("kong md5", { try Scheme.kongHmac(algorithm: "md5") }),
            ("kong header name", { try Scheme.kongHmac(headerName: "x-auth") }),
            ("kong http version", { try Scheme.kongHmac(httpVersion: "3") }),
            ("kong policy md5", { try Policy.kongHmac(algorithms: ["hmac-md5"]) }),
            ("hawk md5", { try Scheme.hawk(algorithm: "md5") }),
            ("hawk ext quote", { try Scheme.hawk(ext: #"say "hi""#) }),
            ("hawk nonce backslash", { try Scheme.hawk(nonce: #"back\slash"#) }),
            ("hawk bewit ttl 0", { try Scheme.hawk(signatureType: .query, ttl: 0) }),
            ("hawk empty host", { try Policy.hawk(host: "") }),
        ]
        for (what, make) in makers {
            XCTAssertEqual(hmacSigError(make)?.kind, "unsupported", what)
        }
        XCTAssertEqual(hmacSigError { try Scheme.hawk(algorithm: "md5") }?.reason, #"hawk algorithm "md5" is not offered; use sha256 or sha1"#)
        // A port is a UInt16 (70000 does not compile); its whole range is accepted.
        XCTAssertNil(UInt16(exactly: 70_000))
        _ = try Policy.hawk(port: UInt16.max)
        _ = try Policy.hawk(port: 0)
    }
}
