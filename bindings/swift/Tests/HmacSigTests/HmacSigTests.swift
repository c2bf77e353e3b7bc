// Binding-layer tests: the Swift API reaches the Rust core and gives back real
// values. Expected values are those of tests/conformance/smoke-cases.json as the
// Rust runner prints them (`cargo xtask conformance --lang rust tests/conformance/smoke-cases.json`).
// The schemes themselves are tested in Rust and by the conformance vectors.

import Foundation
import XCTest

import HmacSig

private let body = Data(#"{"order":{"id":7,"qty":2}}"#.utf8)
private let date = "Tue, 14 Nov 2023 22:13:20 GMT"
private let contentHash = "+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo="
private let authorization = "APIAuth-HMAC-SHA256 1044:iQ8Xy+7557bVwTz3HnFH9VZhlMpOkUjI0arvu7p3v3g="

/// The signed request of the smoke case `verify-ok`, as a server receives it.
private func signedOrder(target: String = "/orders?id=7", body: Data = body) -> Request {
    Request(method: "POST", target: target, headers: [
        ("content-type", "application/json"),
        ("date", date),
        ("x-authorization-content-sha256", contentHash),
        ("authorization", authorization),
    ], body: body)
}

final class HmacSigTests: XCTestCase {
    private let credentials = Credentials(keyId: "1044", secret: "top-secret")

    // MARK: signing

    func testSignsTheSmokeCaseExactly() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        let signed = try signer.sign(
            method: "POST", target: "/orders?id=7",
            headers: [("Content-Type", "application/json"), ("Date", date)],
            body: body, now: 1_700_000_030
        )
        XCTAssertEqual(signed.headers, [
            Header(name: "X-Authorization-Content-SHA256", value: contentHash),
            Header(name: "Authorization", value: authorization),
        ])
        XCTAssertEqual(signed.header("authorization"), authorization)
        XCTAssertEqual(
            signed.stringToSignText,
            "POST,application/json,+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=,/orders?id=7,Tue, 14 Nov 2023 22:13:20 GMT"
        )
        XCTAssertNil(signed.url)
        XCTAssertEqual(signer.keyId(), "1044")
    }

    func testInjectedNowSetsTheDateHeader() throws {
        // Smoke case `sign-date-added`: no Date header, so the signer adds one from `now`.
        let scheme = try Scheme.apiAuth(headersToSign: ["X-Request-Id"], overrideMethod: "delete")
        let signer = Signer(scheme: scheme, credentials: Credentials(keyId: "k", secret: Data([0, 1, 2, 3, 4])))
        let headers = [("X-Request-Id", "r1"), ("x-request-id", "r2")]
        let signed = try signer.sign(method: "GET", target: "https://api.example.com/a?b=c d", headers: headers, now: 1_700_000_099)
        XCTAssertEqual(signed.headers, [
            Header("Date", "Tue, 14 Nov 2023 22:14:59 GMT"),
            Header("Authorization", "APIAuth k:JsF7fBnwXTIh1+l7HHUE6FkPlNY="),
        ])
        XCTAssertEqual(signed.stringToSignText, "DELETE,,,/a?b=c%20d,Tue, 14 Nov 2023 22:14:59 GMT,r1, r2")

        let later = try signer.sign(method: "GET", target: "https://api.example.com/a?b=c d", headers: headers, now: 1_700_000_100)
        XCTAssertEqual(later.header("Date"), "Tue, 14 Nov 2023 22:15:00 GMT")
        XCTAssertNotEqual(later.header("Authorization"), signed.header("Authorization"))

        // Without `now`, the system clock dates the request.
        let current = try signer.sign(method: "GET", target: "/", headers: [Header]())
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let sent = try XCTUnwrap(formatter.date(from: try XCTUnwrap(current.header("Date"))))
        XCTAssertLessThan(abs(sent.timeIntervalSinceNow), 60)
    }

    func testDataAndStringSecretsSignAlike() throws {
        let scheme = try Scheme.apiAuth(digest: "sha512")
        let fromText = Signer(scheme: scheme, credentials: Credentials(keyId: "k", secret: "s3cr€t"))
        let fromBytes = Signer(scheme: scheme, credentials: Credentials(keyId: "k", secret: Data("s3cr€t".utf8)))
        let headers = [Header("Date", date)]
        let a = try fromText.sign(method: "PUT", target: "/blobs/9", headers: headers, body: Data([0, 255]), now: 1_700_000_000)
        let b = try fromBytes.sign(method: "PUT", target: "/blobs/9", headers: headers, body: Data([0, 255]), now: 1_700_000_000)
        XCTAssertEqual(a, b)
        XCTAssertTrue(try XCTUnwrap(a.header("Authorization")).hasPrefix("APIAuth-HMAC-SHA512 k:"))
    }

    func testEmptySecretAndBinaryBody() throws {
        // Smoke case `binary-secret-empty`.
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha512"), credentials: Credentials(keyId: "k", secret: ""))
        let signed = try signer.sign(method: "PUT", target: "/blobs/9", headers: [("Date", date)], body: Data([0x00, 0xff]), now: 1_700_000_000)
        XCTAssertEqual(
            signed.header("Authorization"),
            "APIAuth-HMAC-SHA512 k:hkNCVy0750Oyi2Lnpma8cXabTjSKZZX3CludSXcsS1CWK1JUALu+DjUwywdV26dIubhUGyzYyhjSPWSRTeUOCQ=="
        )
    }

    func testSignOverloadsAgree() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(), credentials: credentials)
        let pairs = try signer.sign(method: "GET", target: "/h", headers: [("Date", date)], now: 1_700_000_000)
        let records = try signer.sign(method: "GET", target: "/h", headers: [Header("Date", date)], now: 1_700_000_000)
        let generated = try signer.sign(method: "GET", target: "/h", headers: [Header("Date", date)], body: Data(), now: 1_700_000_000)
        let request = try signer.signRequest(request: Request(method: "GET", target: "/h", headers: [("Date", date)]), now: 1_700_000_000)
        let oneOff = try signRequest(scheme: try Scheme.apiAuth(), credentials: credentials, request: Request(method: "GET", target: "/h", headers: [("Date", date)]), now: 1_700_000_000)
        XCTAssertEqual(pairs, records)
        XCTAssertEqual(pairs, generated)
        XCTAssertEqual(pairs, request)
        XCTAssertEqual(pairs, oneOff)
    }

    // MARK: verifying

    func testVerifiesTheSmokeCase() throws {
        let keyId = try verifyRequest(scheme: try Scheme.apiAuth(), credentials: credentials, request: signedOrder(), now: 1_700_000_030)
        XCTAssertEqual(keyId, "1044")
        XCTAssertEqual(try extractKeyId(scheme: try Scheme.apiAuth(), request: signedOrder()), "1044")
        let strict = try Policy.apiAuth(clockSkew: 60, digest: "SHA256")
        XCTAssertEqual(try verifyRequest(scheme: try Scheme.apiAuth(), credentials: credentials, request: signedOrder(), policy: strict, now: 1_700_000_030), "1044")
    }

    func testSignThenVerifyRoundTrip() throws {
        let scheme = try Scheme.apiAuth(digest: "sha384", headersToSign: ["X-Request-Id"])
        let signer = Signer(scheme: scheme, credentials: credentials)
        var request = Request(method: "PATCH", target: "/things/3?x=1", headers: [("X-Request-Id", "abc")], body: Data("hello".utf8))
        let signed = try signer.signRequest(request: request, now: 1_700_000_500)
        request.headers += signed.headers
        XCTAssertEqual(try verifyRequest(scheme: scheme, credentials: credentials, request: request, now: 1_700_000_510), "1044")
    }

    // MARK: errors

    func testErrorsAreTypedWithReadableMessages() throws {
        let scheme = try Scheme.apiAuth()
        struct Expected {
            let kind: String
            let message: String
            let error: HmacSigError?
        }
        let expectations: [Expected] = [
            Expected(kind: "invalid_request", message: #"the request target "/a b" is not a valid URI (Ruby's URI parser rejects it)"#, error: hmacSigError {
                try Signer(scheme: scheme, credentials: self.credentials).sign(method: "GET", target: "/a b", headers: [Header](), now: 1_700_000_000)
            }),
            Expected(kind: "unsupported", message: #"api-auth digest "md5" is not offered; use sha1, sha224, sha256, sha384 or sha512 (MD5 is never offered)"#, error: hmacSigError {
                try Scheme.apiAuth(digest: "md5")
            }),
            Expected(kind: "bad_signature", message: #"signature does not match; the server signed "POST,application/json,+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=,/orders?id=8,Tue, 14 Nov 2023 22:13:20 GMT""#, error: hmacSigError {
                try verifyRequest(scheme: scheme, credentials: self.credentials, request: signedOrder(target: "/orders?id=8"), now: 1_700_000_030)
            }),
            Expected(kind: "stale", message: "the request's Date is 90 s old; the policy allows less than 60 s", error: hmacSigError {
                try verifyRequest(scheme: scheme, credentials: self.credentials, request: signedOrder(), policy: try Policy.apiAuth(clockSkew: 60, digest: "SHA256"), now: 1_700_000_090)
            }),
            Expected(kind: "future", message: "the request's Date is 1000 s in the future; the policy allows less than 900 s", error: hmacSigError {
                try verifyRequest(scheme: scheme, credentials: self.credentials, request: signedOrder(), now: 1_699_999_000)
            }),
            Expected(kind: "digest_not_allowed", message: "this server accepts only sha512 signatures; the request used sha256", error: hmacSigError {
                try verifyRequest(scheme: scheme, credentials: self.credentials, request: signedOrder(), policy: try Policy.apiAuth(digest: "sha512"), now: 1_700_000_030)
            }),
            Expected(kind: "missing_authorization", message: "the request has no Authorization header", error: hmacSigError {
                try verifyRequest(scheme: scheme, credentials: self.credentials, request: Request(method: "GET", target: "/", headers: [Header](), body: Data()), now: 1_700_000_030)
            }),
            Expected(kind: "malformed_authorization", message: #"no api-auth key id in Authorization "Bearer abc""#, error: hmacSigError {
                try extractKeyId(scheme: scheme, request: Request(method: "GET", target: "/", headers: [("Authorization", "Bearer abc")]))
            }),
            Expected(kind: "unknown_key", message: #"no secret is known for key id "1044""#, error: hmacSigError {
                try verifyRequest(scheme: scheme, credentials: Credentials(keyId: "7", secret: "top-secret"), request: signedOrder(), now: 1_700_000_030)
            }),
            Expected(kind: "body_mismatch", message: #"the body's SHA-256 does not match X-Authorization-Content-SHA256: "+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=""#, error: hmacSigError {
                try verifyRequest(scheme: scheme, credentials: self.credentials, request: signedOrder(body: Data("{}".utf8)), now: 1_700_000_030)
            }),
        ]
        for expected in expectations {
            guard let error = expected.error else { continue }  // already reported
            XCTAssertEqual(error.kind, expected.kind)
            XCTAssertEqual(error.reason, expected.message, expected.kind)
            XCTAssertEqual(error.localizedDescription, expected.message, expected.kind)
            XCTAssertEqual(error.errorDescription, expected.message, expected.kind)
            XCTAssertEqual("\(error)", expected.message, expected.kind)
            XCTAssertEqual(error.description, expected.message, expected.kind)
            XCTAssertFalse(error.localizedDescription.contains("top-secret"), expected.kind)
        }
    }

    func testErrorCasesCarryTheirFields() throws {
        let scheme = try Scheme.apiAuth()
        let badSignature = hmacSigError {
            try verifyRequest(scheme: scheme, credentials: self.credentials, request: signedOrder(target: "/orders?id=8"), now: 1_700_000_030)
        }
        guard case let .BadSignature(_, stringToSign)? = badSignature else {
            return XCTFail("expected BadSignature, got \(String(describing: badSignature))")
        }
        XCTAssertEqual(stringToSign, "POST,application/json,+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=,/orders?id=8,Tue, 14 Nov 2023 22:13:20 GMT")

        let unknownKey = hmacSigError {
            try verifyRequest(scheme: scheme, credentials: Credentials(keyId: "7", secret: "x"), request: signedOrder(), now: 1_700_000_030)
        }
        guard case let .UnknownKey(_, keyId)? = unknownKey else {
            return XCTFail("expected UnknownKey, got \(String(describing: unknownKey))")
        }
        XCTAssertEqual(keyId, "1044")

        let stale = hmacSigError {
            try verifyRequest(scheme: scheme, credentials: self.credentials, request: signedOrder(), now: 1_700_100_000)
        }
        XCTAssertEqual(stale, .Stale(reason: "the request's Date is 100000 s old; the policy allows less than 900 s"))
    }

    func testEveryKindNameMatchesTheContract() {
        let all: [(HmacSigError, String)] = [
            (.InvalidRequest(reason: "r"), "invalid_request"),
            (.MissingAuthorization(reason: "r"), "missing_authorization"),
            (.MalformedAuthorization(reason: "r"), "malformed_authorization"),
            (.UnknownKey(reason: "r", keyId: "k"), "unknown_key"),
            (.BadSignature(reason: "r", stringToSign: "s"), "bad_signature"),
            (.Stale(reason: "r"), "stale"),
            (.Future(reason: "r"), "future"),
            (.BodyMismatch(reason: "r"), "body_mismatch"),
            (.DigestNotAllowed(reason: "r"), "digest_not_allowed"),
            (.MissingSignedHeader(reason: "r"), "missing_signed_header"),
            (.Replayed(reason: "r"), "replayed"),
            (.Unsupported(reason: "r"), "unsupported"),
            (.KeyLookupFailed(reason: "r"), "key_lookup_failed"),
        ]
        for (error, kind) in all {
            XCTAssertEqual(error.kind, kind)
            XCTAssertEqual(error.reason, "r")
            XCTAssertEqual((error as Error).localizedDescription, "r")
        }
    }

    // MARK: secrets

    func testGenerateSecretIs88CharBase64() throws {
        let a = try generateSecret()
        let b = try generateSecret()
        XCTAssertEqual(a.count, 88)
        XCTAssertTrue(a.hasSuffix("=="))
        XCTAssertEqual(Data(base64Encoded: a)?.count, 64)
        XCTAssertNotEqual(a, b)
    }

    func testCredentialsNeverShowTheSecret() {
        let shown = [
            "\(credentials)",
            String(describing: credentials),
            String(reflecting: credentials),
            credentials.description,
        ]
        for text in shown {
            XCTAssertFalse(text.contains("top-secret"), text)
        }
        XCTAssertEqual(credentials.description, "Credentials(keyId: 1044)")
        XCTAssertEqual(credentials.keyId(), "1044")
    }
}
