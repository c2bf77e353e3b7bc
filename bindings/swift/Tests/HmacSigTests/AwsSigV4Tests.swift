// The aws-sigv4 scheme: header and presigned-query signing, a session token
// with a signed body, and verification with `Policy.awsSigv4`. Expected values
// are those of the `sigv4-*` cases of tests/conformance/smoke-cases.json as the
// Rust runner prints them
// (`cargo xtask conformance --lang rust tests/conformance/smoke-cases.json`).

import Foundation
import XCTest

import HmacSig

/// The aws-c-auth / AWS suite's example credentials.
private let awsCredentials = Credentials(keyId: "AKIDEXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
/// 2015-08-30T12:36:00Z.
private let awsNow: Int64 = 1_440_938_160
private let scope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
private let vanillaAuthorization =
    "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

/// Smoke case `sigv4-verify-ok`: `GET /` signed at `awsNow` in the header form.
private func signedVanilla() -> Request {
    Request(method: "GET", target: "/", headers: [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", vanillaAuthorization),
    ])
}

final class AwsSigV4Tests: XCTestCase {
    // MARK: signing

    func testHeaderSigningGetVanilla() throws {
        // sigv4-get-vanilla
        let scheme = try Scheme.awsSigv4(region: "us-east-1", service: "service")
        XCTAssertEqual(scheme.name(), "aws-sigv4")
        let signed = try Signer(scheme: scheme, credentials: awsCredentials)
            .sign(method: "GET", target: "/", headers: [("Host", "example.amazonaws.com")], now: awsNow)
        XCTAssertEqual(signed.headers, [
            Header("X-Amz-Date", "20150830T123600Z"),
            Header("Authorization", vanillaAuthorization),
        ])
        XCTAssertEqual(
            signed.stringToSignText,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        )
        XCTAssertNil(signed.url)

        // The explicit `.header` is the default.
        let explicit = try Signer(scheme: Scheme.awsSigv4(region: "us-east-1", service: "service", signatureType: .header), credentials: awsCredentials)
            .sign(method: "GET", target: "/", headers: [("Host", "example.amazonaws.com")], now: awsNow)
        XCTAssertEqual(explicit.header("authorization"), vanillaAuthorization)
    }

    func testQuerySigningReturnsThePresignedUrl() throws {
        // sigv4-get-vanilla-query
        let scheme = try Scheme.awsSigv4(region: "us-east-1", service: "service", signatureType: .query)
        let signed = try Signer(scheme: scheme, credentials: awsCredentials).sign(
            method: "GET", target: "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
            headers: [("Host", "example.amazonaws.com")], now: awsNow
        )
        XCTAssertEqual(signed.headers, [])
        XCTAssertEqual(
            signed.url,
            "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
                + "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
                + "&X-Amz-Signature=c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787"
        )
        XCTAssertEqual(
            signed.stringToSignText,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n9808d6cdc8245c74e705c68350fc6a62b91778cdd613890e5d177998c02c6f53"
        )
    }

    func testSessionTokenAndSignedBody() throws {
        // sigv4-token-sign-body
        let scheme = try Scheme.awsSigv4(region: "us-east-1", service: "service", sessionToken: "tok/en+=", signBody: true)
        let signed = try Signer(scheme: scheme, credentials: awsCredentials).sign(
            method: "POST", target: "/",
            headers: [("Host", "example.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded")],
            body: Data("Param1=value1".utf8), now: awsNow
        )
        XCTAssertEqual(signed.headers, [
            Header("X-Amz-Security-Token", "tok/en+="),
            Header("X-Amz-Date", "20150830T123600Z"),
            Header("x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
            Header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(scope), "
                    + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
                    + "Signature=b30d0fc2363e5da71effecd3dc8b4fbc05539fc76766e29b808d3d29582f8212"
            ),
        ])
        XCTAssertNil(signed.url)
    }

    func testSchemeOptionsAreChecked() {
        let noRegion = hmacSigError { try Scheme.awsSigv4(region: "", service: "service") }
        XCTAssertEqual(noRegion?.kind, "unsupported")
        let tooLong = hmacSigError { try Scheme.awsSigv4(region: "us-east-1", service: "service", signatureType: .query, expires: 604_801) }
        XCTAssertEqual(tooLong?.kind, "unsupported")
    }

    // MARK: verifying

    func testVerifyOkAndStaleWithPolicy() throws {
        let scheme = try Scheme.awsSigv4(region: "us-east-1", service: "service")

        // sigv4-verify-ok: a minute later, no policy (900 s either way).
        XCTAssertEqual(
            try verifyRequest(scheme: scheme, credentials: awsCredentials, request: signedVanilla(), now: awsNow + 60),
            "AKIDEXAMPLE"
        )
        XCTAssertEqual(
            try verifyRequest(scheme: scheme, credentials: awsCredentials, request: signedVanilla(), policy: Policy.awsSigv4(), now: awsNow + 900),
            "AKIDEXAMPLE"
        )
        XCTAssertEqual(try extractKeyId(scheme: scheme, request: signedVanilla()), "AKIDEXAMPLE")

        // sigv4-verify-stale: 901 s later with `Policy.awsSigv4(maxSkew: 900)`.
        let stale = hmacSigError {
            try verifyRequest(scheme: scheme, credentials: awsCredentials, request: signedVanilla(), policy: Policy.awsSigv4(maxSkew: 900), now: awsNow + 901)
        }
        XCTAssertEqual(stale, .Stale(reason: "the signature from 20150830T123600Z expired 1 s ago"))
        XCTAssertEqual(stale?.httpStatus, 403)

        // A wider window accepts it.
        XCTAssertEqual(
            try verifyRequest(scheme: scheme, credentials: awsCredentials, request: signedVanilla(), policy: Policy.awsSigv4(maxSkew: 3600), now: awsNow + 901),
            "AKIDEXAMPLE"
        )
    }

    func testWrongRegionIsABadSignature() throws {
        // sigv4-verify-wrong-region
        let scheme = try Scheme.awsSigv4(region: "eu-west-1", service: "service")
        let error = hmacSigError {
            try verifyRequest(scheme: scheme, credentials: awsCredentials, request: signedVanilla(), now: awsNow)
        }
        guard case let .BadSignature(reason, _)? = error else {
            return XCTFail("expected BadSignature, got \(String(describing: error))")
        }
        XCTAssertEqual(
            reason,
            "the credential scope 20150830/us-east-1/service/aws4_request is not for 20150830/eu-west-1/service/aws4_request"
        )
        XCTAssertEqual(error?.kind, "bad_signature")
    }

    func testVerifierWithAwsPolicy() throws {
        let verifier = try Verifier.withKeys(
            scheme: Scheme.awsSigv4(region: "us-east-1", service: "service"),
            keys: ["AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"],
            policy: Policy.awsSigv4(maxSkew: 900)
        )
        XCTAssertEqual(try verifier.verifyRequest(request: signedVanilla(), now: awsNow + 60), "AKIDEXAMPLE")
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: signedVanilla(), now: awsNow + 901) }?.kind, "stale")
        // Another scheme's policy is refused up front.
        let mismatched = hmacSigError {
            try Verifier.withKeys(scheme: Scheme.awsSigv4(region: "us-east-1", service: "service"), keys: [String: String](), policy: Policy.timestamped())
        }
        XCTAssertEqual(mismatched?.kind, "unsupported")
    }
}
