// The rfc9421 scheme (RFC 9421 HTTP Message Signatures, hmac-sha256): RFC 9421
// B.2.5 exactly, a signed response (the B.2.4 response, HMAC'd), a round trip
// with a Content-Digest, and the verification failures. Every expected
// signature below was also recomputed outside the library (Python `hmac` and
// `hashlib` over the shown string to sign) and agrees with the Rust runner
// (`cargo xtask conformance --lang rust`).

import Foundation
import XCTest

import HmacSig

/// RFC 9421 B.1.5 `test-shared-secret`, base64.
private let b25SecretBase64 = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="
private let b25Credentials = Credentials(keyId: "test-shared-secret", secret: Data(base64Encoded: b25SecretBase64)!)
/// `created` of the RFC's examples.
private let rfcCreated: Int64 = 1_618_884_473

/// RFC 9421 B.2 `test-request`, `target` in absolute or origin form.
private func testRequest(target: String = "https://example.com/foo?param=Value&Pet=dog") -> Request {
    Request(method: "POST", target: target, headers: [
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        ("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"),
        ("Content-Length", "18"),
    ], body: Data(#"{"hello": "world"}"#.utf8))
}

private let b25SignatureInput = #"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#
private let b25Signature = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"

/// RFC 9421 B.2 `test-response`.
private func testResponse() -> Response {
    Response(status: 200, headers: [
        ("Content-Type", "application/json"),
        ("Content-Digest", "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:"),
        ("Content-Length", "23"),
    ], body: Data(#"{"message": "good dog"}"#.utf8))
}

final class Rfc9421Tests: XCTestCase {
    // MARK: RFC 9421 B.2.5

    func testSignsRfc9421B25Exactly() throws {
        let scheme = try Scheme.rfc9421(components: ["date", "@authority", "content-type"], label: "sig-b25", created: rfcCreated)
        XCTAssertEqual(scheme.name(), "rfc9421")
        let r = testRequest()
        let signed = try Signer(scheme: scheme, credentials: b25Credentials)
            .sign(method: r.method, target: r.target, headers: r.headers, body: r.body)
        XCTAssertEqual(signed.headers, [
            Header("Signature-Input", b25SignatureInput),
            Header("Signature", b25Signature),
        ])
        XCTAssertEqual(signed.header("signature-input"), b25SignatureInput)
        XCTAssertEqual(
            signed.stringToSignText,
            """
            "date": Tue, 20 Apr 2021 02:07:55 GMT
            "@authority": example.com
            "content-type": application/json
            "@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"
            """
        )
        XCTAssertNil(signed.url)

        // The origin form with `Host` signs the same; `created` is fixed, so `now` does not matter.
        let originForm = try signRequest(
            scheme: scheme, credentials: b25Credentials, request: testRequest(target: "/foo?param=Value&Pet=dog"), now: 1_700_000_000
        )
        XCTAssertEqual(originForm, signed)
    }

    func testVerifiesRfc9421B25WithAPolicy() throws {
        let scheme = try Scheme.rfc9421()
        var request = testRequest()
        request.headers += [Header("Signature-Input", b25SignatureInput), Header("Signature", b25Signature)]
        let now = rfcCreated + 10

        XCTAssertEqual(try extractKeyId(scheme: scheme, request: request), "test-shared-secret")

        // The default policy wants @method and @target-uri, which B.2.5 does not cover.
        let uncovered = hmacSigError { try verifyRequest(scheme: scheme, credentials: b25Credentials, request: request, now: now) }
        XCTAssertEqual(uncovered, .MissingSignedHeader(
            reason: #"signature "sig-b25" does not cover "@method", which the policy requires"#
        ))
        XCTAssertEqual(uncovered?.httpStatus, 403)

        // Requiring what it covers: the body is still not covered by a signed Content-Digest.
        let unsignedBody = hmacSigError {
            try verifyRequest(
                scheme: scheme, credentials: b25Credentials, request: request,
                policy: Policy.rfc9421(requiredComponents: ["@authority", "date"]), now: now
            )
        }
        XCTAssertEqual(unsignedBody?.kind, "body_mismatch")

        // Accepting an unsigned body, it verifies.
        let lenient = try Policy.rfc9421(requiredComponents: ["@authority"], allowUnsignedBody: true)
        XCTAssertEqual(
            try verifyRequest(scheme: scheme, credentials: b25Credentials, request: request, policy: lenient, now: now),
            "test-shared-secret"
        )
        // Also through a Verifier holding the key.
        let verifier = try Verifier.withKeys(scheme: scheme, keys: ["test-shared-secret": Data(base64Encoded: b25SecretBase64)!], policy: lenient)
        XCTAssertEqual(try verifier.verifyRequest(request: request, now: now), "test-shared-secret")

        // A policy selecting another label finds no signature.
        let otherLabel = hmacSigError {
            try verifyRequest(
                scheme: scheme, credentials: b25Credentials, request: request,
                policy: Policy.rfc9421(label: "sig1", allowUnsignedBody: true), now: now
            )
        }
        XCTAssertEqual(otherLabel, .MissingAuthorization(reason: #"the message has no signature labelled "sig1""#))
        XCTAssertEqual(otherLabel?.httpStatus, 401)
    }

    // MARK: responses

    func testSignsAndVerifiesAResponse() throws {
        let scheme = try Scheme.rfc9421(components: ["@status", "content-type", "content-digest", "content-length"], created: rfcCreated)
        let credentials = Credentials(keyId: "test-key-ecc-p256", secret: Data(base64Encoded: b25SecretBase64)!)
        var response = testResponse()
        let signed = try signResponse(scheme: scheme, credentials: credentials, response: response)
        XCTAssertEqual(
            signed.stringToSignText,
            "\"@status\": 200\n\"content-type\": application/json\n"
                + "\"content-digest\": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:\n"
                + "\"content-length\": 23\n"
                + "\"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\""
        )
        XCTAssertEqual(signed.headers, [
            Header("Signature-Input", #"sig1=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256""#),
            Header("Signature", "sig1=:6JoAVjPtFG34it0PjQ3xNaimn444xSyNrv9++QMfAis=:"),
        ])

        response.headers += signed.headers
        XCTAssertEqual(try verifyResponse(scheme: scheme, credentials: credentials, response: response, now: rfcCreated + 10), "test-key-ecc-p256")
        XCTAssertEqual(
            try verifyResponse(
                scheme: scheme, credentials: credentials, response: response,
                policy: Policy.rfc9421(requiredComponents: ["@status", "content-digest"]), now: rfcCreated + 300
            ),
            "test-key-ecc-p256"
        )

        // Another status is another message.
        var notFound = response
        notFound.status = 404
        XCTAssertEqual(hmacSigError { try verifyResponse(scheme: scheme, credentials: credentials, response: notFound, now: rfcCreated + 10) }?.kind, "bad_signature")
        // Another body no longer matches the signed Content-Digest.
        var otherBody = response
        otherBody.body = Data(#"{"message": "bad dog"}"#.utf8)
        XCTAssertEqual(hmacSigError { try verifyResponse(scheme: scheme, credentials: credentials, response: otherBody, now: rfcCreated + 10) }?.kind, "body_mismatch")
    }

    func testResponseCoveringItsRequest() throws {
        // `;req` components come from the request the response answers.
        let scheme = try Scheme.rfc9421(components: ["@status", #""@method";req"#, #""@path";req"#], created: 1_700_000_000)
        let credentials = Credentials(keyId: "k1", secret: "s3cr3t")
        let request = Request(method: "POST", target: "https://api.example.com/items", headers: [Header](), body: Data())
        var response = Response(status: 201, headers: [Header](), body: Data())
        // Without the request, the `;req` components cannot be signed.
        XCTAssertEqual(hmacSigError { try signResponse(scheme: scheme, credentials: credentials, response: response) }?.kind, "invalid_request")

        let signed = try signResponse(scheme: scheme, credentials: credentials, response: response, request: request)
        XCTAssertEqual(
            signed.stringToSignText,
            "\"@status\": 201\n\"@method\";req: POST\n\"@path\";req: /items\n"
                + "\"@signature-params\": (\"@status\" \"@method\";req \"@path\";req);created=1700000000;keyid=\"k1\""
        )
        XCTAssertEqual(signed.header("Signature"), "sig1=:5t0M0Gy1P/RL85vPkEh8f33clU1li7ep2XKCK+vq5gw=:")

        response.headers += signed.headers
        XCTAssertEqual(
            try verifyResponse(scheme: scheme, credentials: credentials, response: response, request: request, now: 1_700_000_001),
            "k1"
        )
        // Answering another request, it does not verify.
        let other = Request(method: "POST", target: "https://api.example.com/other", headers: [Header](), body: Data())
        XCTAssertEqual(
            hmacSigError { try verifyResponse(scheme: scheme, credentials: credentials, response: response, request: other, now: 1_700_000_001) }?.kind,
            "bad_signature"
        )
    }

    func testOnlyRfc9421AndHawkSignResponses() throws {
        let error = hmacSigError {
            try signResponse(scheme: Scheme.apiAuth(), credentials: Credentials(keyId: "k", secret: "s"), response: testResponse())
        }
        XCTAssertEqual(error, .Unsupported(reason: "the api-auth scheme signs requests only, not responses (rfc9421 and hawk sign responses)"))
    }

    func testResponsePairsConvenience() {
        XCTAssertEqual(
            Response(status: 204, headers: [("A", "1"), ("a", "2")]),
            Response(status: 204, headers: [Header(name: "A", value: "1"), Header(name: "a", value: "2")], body: Data())
        )
    }

    // MARK: a round trip with Content-Digest

    private let created: Int64 = 1_700_000_000
    private let credentials = Credentials(keyId: "k1", secret: "s3cr3t")

    private func digestScheme() throws -> Scheme {
        try Scheme.rfc9421(components: ["@method", "@target-uri", "content-type"], created: created, contentDigest: .sha256)
    }

    /// `PUT` signed with `digestScheme()`, the signed headers added.
    private func signedPut() throws -> Request {
        var request = Request(
            method: "PUT", target: "https://api.example.com/items/7?x=1",
            headers: [("Content-Type", "application/json")], body: Data(#"{"qty":3}"#.utf8)
        )
        let signed = try Signer(scheme: digestScheme(), credentials: credentials).signRequest(request: request)
        XCTAssertEqual(signed.headers, [
            Header("Content-Digest", "sha-256=:D7JPoHpKJNqaP/dz6sjnYvP9Ji1lQ5g+fNFC3EX3B1I=:"),
            Header("Signature-Input", #"sig1=("@method" "@target-uri" "content-type" "content-digest");created=1700000000;keyid="k1""#),
            Header("Signature", "sig1=:ZPq6jrcxwswZwruhvOHK2kb74GzEN4xBcLZcPTWZorA=:"),
        ])
        request.headers += signed.headers
        return request
    }

    func testRoundTripWithContentDigest() throws {
        let request = try signedPut()
        let scheme = try digestScheme()
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: request, now: created + 10), "k1")
        // max_age 300 plus clock_skew 5.
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: request, now: created + 305), "k1")
        XCTAssertEqual(
            try verifyRequest(
                scheme: scheme, credentials: credentials, request: request,
                policy: Policy.rfc9421(requiredComponents: ["@method", "@target-uri", "content-digest"]), now: created
            ),
            "k1"
        )
    }

    func testChangedBodyIsABodyMismatch() throws {
        var request = try signedPut()
        request.body = Data(#"{"qty":30}"#.utf8)
        let error = hmacSigError { try verifyRequest(scheme: digestScheme(), credentials: credentials, request: request, now: created + 10) }
        XCTAssertEqual(error, .BodyMismatch(reason: "the body's sha-256 digest does not match Content-Digest"))
        XCTAssertEqual(error?.kind, "body_mismatch")
    }

    func testChangedHeaderIsABadSignature() throws {
        var request = try signedPut()
        request.headers[0] = Header("Content-Type", "text/plain")
        let error = hmacSigError { try verifyRequest(scheme: digestScheme(), credentials: credentials, request: request, now: created + 10) }
        guard case let .BadSignature(_, stringToSign)? = error else {
            return XCTFail("expected BadSignature, got \(String(describing: error))")
        }
        // The error carries the base the verifier computed, with the changed value.
        XCTAssertTrue(stringToSign.contains("\"content-type\": text/plain\n"), stringToSign)
        XCTAssertEqual(error?.kind, "bad_signature")
        XCTAssertEqual(error?.httpStatus, 403)
    }

    func testTooOldIsStaleAndTooNewIsFuture() throws {
        let request = try signedPut()
        let scheme = try digestScheme()
        let stale = hmacSigError { try verifyRequest(scheme: scheme, credentials: credentials, request: request, now: created + 306) }
        XCTAssertEqual(stale, .Stale(reason: #"signature "sig1" is 306 s old; the policy allows 300 s"#))
        // A tighter policy.
        let tight = hmacSigError {
            try verifyRequest(scheme: scheme, credentials: credentials, request: request, policy: Policy.rfc9421(maxAge: 60, clockSkew: 0), now: created + 61)
        }
        XCTAssertEqual(tight?.kind, "stale")
        let future = hmacSigError { try verifyRequest(scheme: scheme, credentials: credentials, request: request, now: created - 6) }
        XCTAssertEqual(future?.kind, "future")
    }

    func testUpperCaseComponentIsUnsupportedAtConstruction() {
        let error = hmacSigError { try Scheme.rfc9421(components: ["@method", "Content-Type"]) }
        XCTAssertEqual(error, .Unsupported(reason: #"component name "Content-Type" must be lower case and not empty"#))
        XCTAssertEqual(hmacSigError { try Policy.rfc9421(requiredComponents: ["Content-Type"]) }?.kind, "unsupported")
        XCTAssertEqual(hmacSigError { try Scheme.rfc9421(components: ["@nope"]) }?.kind, "unsupported")
    }

    // MARK: parameters

    func testSignatureParametersAndDefaults() throws {
        // Default components (@method @authority @target-uri), every parameter, a sha-512 digest of the empty body.
        let scheme = try Scheme.rfc9421(
            label: "app", created: created, expires: created + 60, nonce: "n-1", tag: "web", includeAlg: true, contentDigest: .sha512
        )
        var request = Request(method: "GET", target: "/a?b=1", headers: [("Host", "api.example.com")])
        let signed = try Signer(scheme: scheme, credentials: credentials).signRequest(request: request)
        XCTAssertEqual(signed.headers, [
            Header("Content-Digest", "sha-512=:z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==:"),
            Header(
                "Signature-Input",
                #"app=("@method" "@authority" "@target-uri" "content-digest");created=1700000000;keyid="k1";alg="hmac-sha256";expires=1700000060;nonce="n-1";tag="web""#
            ),
            Header("Signature", "app=:zlfk9OleINEeWE1dgd0/KHtNhCj3pnayCbH9mOQNZr4=:"),
        ])
        request.headers += signed.headers
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: request, policy: Policy.rfc9421(tag: "web"), now: created + 60), "k1")
        // Past `expires` (plus 5 s of skew) it is stale, although max_age is not reached.
        XCTAssertEqual(hmacSigError { try verifyRequest(scheme: scheme, credentials: credentials, request: request, now: created + 66) }?.kind, "stale")
        // Selecting another tag finds nothing.
        XCTAssertEqual(
            hmacSigError { try verifyRequest(scheme: scheme, credentials: credentials, request: request, policy: Policy.rfc9421(tag: "api"), now: created) }?.kind,
            "missing_authorization"
        )
    }
}
