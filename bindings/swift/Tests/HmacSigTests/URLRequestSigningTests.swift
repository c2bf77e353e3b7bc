// `URLRequest.sign(with:now:)`: every scheme signs a URLRequest so that the
// request a server receives from URLSession verifies, and a changed one does
// not. Expected signatures are those of tests/conformance/smoke-cases.json
// (as in HmacSigTests, SchemesAndVerifierTests, AwsSigV4Tests, Rfc9421Tests):
// signing a URLRequest gives the same bytes as signing the plain request.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

import HmacSig

private let orderBody = Data(#"{"order":{"id":7,"qty":2}}"#.utf8)
private let smokeNow: Int64 = 1_700_000_030

/// `request` as a server receives it from URLSession: the origin-form target
/// of its URL, the request's `Host` (which a signed request always has, and
/// URLSession sends once, as set), the request's other headers and those
/// URLSession adds at send time, the body.
/// Written apart from the extension, from what FoundationNetworking was seen to send.
private func received(_ request: URLRequest) throws -> Request {
    let url = try XCTUnwrap(request.url)
    let components = try XCTUnwrap(URLComponents(url: url, resolvingAgainstBaseURL: true))
    var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
    if let query = components.percentEncodedQuery, !query.isEmpty {
        target += "?" + query
    }
    let fields = request.allHTTPHeaderFields ?? [:]
    let host = try XCTUnwrap(fields.first { $0.key.lowercased() == "host" }?.value, "a signed request sets Host")
    let body = request.httpBody ?? Data()
    var headers = [("Host", host)]
    headers += fields.filter { $0.key.lowercased() != "host" }.map { ($0.key, $0.value) }
    headers += [
        ("Accept", "*/*"),
        ("Accept-Encoding", "deflate, gzip, br, zstd"),
        ("Connection", "keep-alive"),
        ("User-Agent", "xctest (unknown version) curl/8.14.1"),
        ("Accept-Language", "en"),
    ]
    if !body.isEmpty {
        headers.append(("Content-Length", String(body.count)))
    }
    return Request(method: request.httpMethod ?? "GET", target: target, headers: headers, body: body)
}

private func urlRequest(_ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil) -> URLRequest {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    for (name, value) in headers {
        request.setValue(value, forHTTPHeaderField: name)
    }
    request.httpBody = body
    return request
}

final class URLRequestSigningTests: XCTestCase {
    // MARK: every scheme, signed then verified as received

    func testApiAuthSignsTheSmokeCaseAndVerifies() throws {
        let credentials = Credentials(keyId: "1044", secret: "top-secret")
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
        var request = urlRequest(
            "POST", "https://api.example.com/orders?id=7",
            headers: ["Content-Type": "application/json", "Date": "Tue, 14 Nov 2023 22:13:20 GMT"], body: orderBody
        )
        let signed = try request.sign(with: signer, now: smokeNow)

        // Smoke case `verify-ok`: the absolute URL is signed as its path and query.
        XCTAssertEqual(signed.stringToSignText, "POST,application/json,+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=,/orders?id=7,Tue, 14 Nov 2023 22:13:20 GMT")
        XCTAssertEqual(request.value(forHTTPHeaderField: "X-Authorization-Content-SHA256"), "+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=")
        XCTAssertEqual(request.value(forHTTPHeaderField: "Authorization"), "APIAuth-HMAC-SHA256 1044:iQ8Xy+7557bVwTz3HnFH9VZhlMpOkUjI0arvu7p3v3g=")
        XCTAssertEqual(request.url?.absoluteString, "https://api.example.com/orders?id=7")
        XCTAssertEqual(request.value(forHTTPHeaderField: "Host"), "api.example.com")
        XCTAssertEqual(request.httpBody, orderBody)

        let verifier = try Verifier.withKeys(scheme: Scheme.apiAuth(digest: "sha256"), keys: ["1044": "top-secret"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: smokeNow), "1044")
    }

    func testApiAuthDatesTheRequestFromNow() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "k", secret: "s"))
        let request = try urlRequest("GET", "http://127.0.0.1:8080/items").signed(with: signer, now: 1_700_000_099)
        XCTAssertEqual(request.value(forHTTPHeaderField: "Date"), "Tue, 14 Nov 2023 22:14:59 GMT")
        let verifier = try Verifier.withKeys(scheme: Scheme.apiAuth(digest: "sha256"), keys: ["k": "s"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: 1_700_000_099), "k")
        // 900 s later the Date is outside the gem's window.
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: received(request), now: 1_700_000_999) }?.kind, "stale")
    }

    func testPathBodyHexSignsTheSmokeCaseAndVerifies() throws {
        let credentials = Credentials(keyId: "client", secret: "key")
        let request = try urlRequest("GET", "http://127.0.0.1:8080/quotes?limit=5")
            .signed(with: Signer(scheme: try Scheme.pathBodyHex(), credentials: credentials))
        // Smoke case `pbh-sign-get`.
        XCTAssertEqual(request.value(forHTTPHeaderField: "Authorization"), "client:b8bf1d4a68affab239dfc8cc5955255c93189675")
        let verifier = try Verifier.withKeys(scheme: Scheme.pathBodyHex(), keys: ["client": "key"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(request)), "client")
    }

    func testTimestampedSignsTheSmokeCaseAndVerifies() throws {
        let credentials = Credentials(keyId: "client-1", secret: "secret")
        var request = urlRequest("POST", "https://api.example.com/v1/orders?id=7", body: Data(#"{"id":7}"#.utf8))
        let signed = try request.sign(with: Signer(scheme: Scheme.timestamped(), credentials: credentials), now: 1_700_000_000)
        // Smoke case `ts-sign-x-request`: https:// + Host + target is signed.
        XCTAssertEqual(request.value(forHTTPHeaderField: "Host"), "api.example.com")
        XCTAssertEqual(signed.stringToSignText, #"POSThttps://api.example.com/v1/orders?id=71700000000{"id":7}"#)
        XCTAssertEqual(request.value(forHTTPHeaderField: "X-Request-Signature"), "J8kpYQwb8fQOkLneWVyjSV8EbbwvPKcaHyQdKkGBkVo=")
        XCTAssertEqual(request.value(forHTTPHeaderField: "X-Request-Timestamp"), "1700000000")
        XCTAssertEqual(request.value(forHTTPHeaderField: "X-Request-Key-Id"), "client-1")

        // The server rebuilds https:// + Host + target.
        let verifier = try Verifier.withKeys(scheme: Scheme.timestamped(), keys: ["client-1": "secret"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: 1_700_000_010), "client-1")
    }

    // MARK: the URL a scheme covers is https:// + Host + target, over http too

    func testTimestampedOverPlainHttpSignsHttpsPlusHostAndADefaultVerifierAccepts() throws {
        let credentials = Credentials(keyId: "client-1", secret: "secret")
        var request = urlRequest("GET", "http://127.0.0.1:8080/quotes?b=2&a=1")
        let signed = try request.sign(with: Signer(scheme: Scheme.timestamped(), credentials: credentials), now: 1_700_000_000)
        XCTAssertEqual(request.value(forHTTPHeaderField: "Host"), "127.0.0.1:8080")
        XCTAssertEqual(signed.stringToSignText, "GEThttps://127.0.0.1:8080/quotes?b=2&a=11700000000")

        // What a verifier rebuilds by default from the origin-form target and Host.
        let verifier = try Verifier.withKeys(scheme: Scheme.timestamped(), keys: ["client-1": "secret"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: 1_700_000_000), "client-1")
        // A server that insists on http:// does not match.
        let plain = try Verifier.withKeys(
            scheme: Scheme.timestamped(), keys: ["client-1": "secret"],
            policy: Policy.timestamped(publicBaseUrl: "http://127.0.0.1:8080")
        )
        XCTAssertEqual(hmacSigError { try plain.verifyRequest(request: received(request), now: 1_700_000_000) }?.kind, "bad_signature")
    }

    func testRfc9421OverPlainHttpSignsHttpsPlusHostAndADefaultVerifierAccepts() throws {
        let created: Int64 = 1_700_000_000
        let scheme = try Scheme.rfc9421(components: ["@method", "@target-uri", "@scheme", "@authority"], created: created)
        var request = urlRequest("GET", "http://127.0.0.1:8080/items?x=1")
        let signed = try request.sign(with: Signer(scheme: scheme, credentials: Credentials(keyId: "k1", secret: "s3cr3t")))
        XCTAssertEqual(request.value(forHTTPHeaderField: "Host"), "127.0.0.1:8080")
        let base = try XCTUnwrap(signed.stringToSignText)
        XCTAssertTrue(base.hasPrefix(
            "\"@method\": GET\n\"@target-uri\": https://127.0.0.1:8080/items?x=1\n\"@scheme\": https\n\"@authority\": 127.0.0.1:8080\n"
        ), base)

        let verifier = try Verifier.withKeys(scheme: scheme, keys: ["k1": "s3cr3t"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: created + 10), "k1")
    }

    func testAwsSigV4SignsTheVanillaCaseAndSetsHost() throws {
        let credentials = Credentials(keyId: "AKIDEXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        let now: Int64 = 1_440_938_160
        let scheme = try Scheme.awsSigv4(region: "us-east-1", service: "service")
        var request = urlRequest("GET", "https://example.amazonaws.com/")
        let signed = try request.sign(with: Signer(scheme: scheme, credentials: credentials), now: now)
        // Smoke case `sigv4-get-vanilla`, with the Host set from the URL before signing.
        XCTAssertEqual(signed.headers, [
            Header("X-Amz-Date", "20150830T123600Z"),
            Header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
                    + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            ),
        ])
        XCTAssertEqual(request.value(forHTTPHeaderField: "Host"), "example.amazonaws.com")
        let verifier = try Verifier.withKeys(scheme: scheme, keys: ["AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"], policy: Policy.awsSigv4())
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: now), "AKIDEXAMPLE")
    }

    func testAwsSigV4PresignedPutsTheSignatureInTheUrl() throws {
        let credentials = Credentials(keyId: "AKIDEXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        let now: Int64 = 1_440_938_160
        let scheme = try Scheme.awsSigv4(region: "us-east-1", service: "service", signatureType: .query)
        let request = try urlRequest("GET", "https://example.amazonaws.com/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1")
            .signed(with: Signer(scheme: scheme, credentials: credentials), now: now)
        // Smoke case `sigv4-get-vanilla-query`: the query kept as it was, the signature appended.
        XCTAssertEqual(
            request.url?.absoluteString,
            "https://example.amazonaws.com/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
                + "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
                + "&X-Amz-Signature=c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787"
        )
        XCTAssertNil(request.value(forHTTPHeaderField: "Authorization"))
        XCTAssertEqual(request.value(forHTTPHeaderField: "Host"), "example.amazonaws.com")
        let verifier = try Verifier.withKeys(scheme: scheme, keys: ["AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"], policy: Policy.awsSigv4())
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: now + 60), "AKIDEXAMPLE")

        // A path starting with `//` stays a path, and a port stays in the URL.
        let doubleSlash = try urlRequest("GET", "http://127.0.0.1:8080//a/b?x=1")
            .signed(with: Signer(scheme: scheme, credentials: credentials), now: now)
        let url = try XCTUnwrap(doubleSlash.url?.absoluteString)
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:8080//a/b?x=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&"), url)
        XCTAssertEqual(try verifier.verifyRequest(request: received(doubleSlash), now: now + 60), "AKIDEXAMPLE")
    }

    func testRfc9421WithContentDigestSignsAndVerifies() throws {
        let created: Int64 = 1_700_000_000
        let scheme = try Scheme.rfc9421(components: ["@method", "@target-uri", "content-type"], created: created, contentDigest: .sha256)
        var request = urlRequest(
            "PUT", "https://api.example.com/items/7?x=1", headers: ["Content-Type": "application/json"], body: Data(#"{"qty":3}"#.utf8)
        )
        try request.sign(with: Signer(scheme: scheme, credentials: Credentials(keyId: "k1", secret: "s3cr3t")))
        // As Rfc9421Tests' `signedPut`: the same request signed as a plain Request.
        XCTAssertEqual(request.value(forHTTPHeaderField: "Content-Digest"), "sha-256=:D7JPoHpKJNqaP/dz6sjnYvP9Ji1lQ5g+fNFC3EX3B1I=:")
        XCTAssertEqual(
            request.value(forHTTPHeaderField: "Signature-Input"),
            #"sig1=("@method" "@target-uri" "content-type" "content-digest");created=1700000000;keyid="k1""#
        )
        XCTAssertEqual(request.value(forHTTPHeaderField: "Signature"), "sig1=:ZPq6jrcxwswZwruhvOHK2kb74GzEN4xBcLZcPTWZorA=:")

        // The server sees origin-form plus Host, and https.
        let verifier = try Verifier.withKeys(scheme: scheme, keys: ["k1": "s3cr3t"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: created + 10), "k1")

        var changed = try received(request)
        changed.body = Data(#"{"qty":30}"#.utf8)
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: changed, now: created + 10) }?.kind, "body_mismatch")
    }

    func testRfc9421DefaultComponentsCoverTheAuthorityWithoutItsDefaultPort() throws {
        let scheme = try Scheme.rfc9421(created: 1_700_000_000)
        var request = urlRequest("GET", "https://API.example.com:443/a?b=c")
        let signed = try request.sign(with: Signer(scheme: scheme, credentials: Credentials(keyId: "k1", secret: "s3cr3t")))
        let base = try XCTUnwrap(signed.stringToSignText)
        XCTAssertTrue(base.contains("\"@authority\": api.example.com\n"), base)
        XCTAssertTrue(base.contains("\"@target-uri\": https://API.example.com/a?b=c\n"), base)
        // What URLSession sends: Host without the default port.
        XCTAssertEqual(request.value(forHTTPHeaderField: "Host"), "API.example.com")
        let verifier = try Verifier.withKeys(scheme: scheme, keys: ["k1": "s3cr3t"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: 1_700_000_000), "k1")
    }

    // MARK: changes in flight are refused

    func testChangedBodyQueryOrMethodIsRefused() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "k", secret: "s"))
        let verifier = try Verifier.withKeys(scheme: Scheme.apiAuth(digest: "sha256"), keys: ["k": "s"])
        let request = try urlRequest("POST", "http://127.0.0.1:8080/orders?b=2&a=1", headers: ["Content-Type": "application/json"], body: orderBody)
            .signed(with: signer, now: smokeNow)
        XCTAssertEqual(try verifier.verifyRequest(request: received(request), now: smokeNow), "k")

        var body = try received(request)
        body.body = Data(#"{"order":{"id":7,"qty":3}}"#.utf8)
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: body, now: smokeNow) }?.kind, "body_mismatch")

        var query = try received(request)
        query.target = "/orders?a=1&b=2"
        let reordered = hmacSigError { try verifier.verifyRequest(request: query, now: smokeNow) }
        guard case let .BadSignature(_, stringToSign)? = reordered else {
            return XCTFail("expected BadSignature, got \(String(describing: reordered))")
        }
        XCTAssertTrue(stringToSign.contains(",/orders?a=1&b=2,"), stringToSign)

        var method = try received(request)
        method.method = "PUT"
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: method, now: smokeNow) }?.kind, "bad_signature")

        var contentType = try received(request)
        contentType.headers = contentType.headers.map { $0.name == "Content-Type" ? Header("Content-Type", "text/plain") : $0 }
        XCTAssertEqual(hmacSigError { try verifier.verifyRequest(request: contentType, now: smokeNow) }?.kind, "bad_signature")
    }

    // MARK: what URLSession changes at send time

    func testQueryIsSignedAsTheUrlHoldsIt() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "k", secret: "s"))
        var request = urlRequest("GET", "http://127.0.0.1:8080/search?b=2&a=1&q=a%20b&x=%7e+y&empty=#fragment")
        let signed = try request.sign(with: signer, now: smokeNow)
        // Order, case of escapes and `+` kept; the fragment is never sent.
        XCTAssertEqual(signed.stringToSignText, "GET,,,/search?b=2&a=1&q=a%20b&x=%7e+y&empty=,Tue, 14 Nov 2023 22:13:50 GMT")
        XCTAssertEqual(try received(request).target, "/search?b=2&a=1&q=a%20b&x=%7e+y&empty=")

        // A URL written with spaces and non-ASCII text is signed percent-encoded, as sent.
        var unicode = URLRequest(url: try XCTUnwrap(URL(string: "http://127.0.0.1:8080/caf\u{e9} au lait?q=\u{fc} x")))
        let unicodeSigned = try unicode.sign(with: signer, now: smokeNow)
        XCTAssertEqual(unicodeSigned.stringToSignText, "GET,,,/caf%C3%A9%20au%20lait?q=%C3%BC%20x,Tue, 14 Nov 2023 22:13:50 GMT")

        // An empty query and an empty path: curl sends `/`.
        var bare = urlRequest("GET", "http://127.0.0.1:8080?")
        XCTAssertEqual(try bare.sign(with: signer, now: smokeNow).stringToSignText, "GET,,,/,Tue, 14 Nov 2023 22:13:50 GMT")
    }

    func testPostWithABodyGetsURLSessionsDefaultContentType() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "k", secret: "s"))
        var post = urlRequest("POST", "http://127.0.0.1:8080/form", body: Data("qty=2&item=7".utf8))
        let signed = try post.sign(with: signer, now: smokeNow)
        XCTAssertEqual(post.value(forHTTPHeaderField: "Content-Type"), "application/x-www-form-urlencoded")
        XCTAssertTrue(try XCTUnwrap(signed.stringToSignText).hasPrefix("POST,application/x-www-form-urlencoded,"))
        let verifier = try Verifier.withKeys(scheme: Scheme.apiAuth(digest: "sha256"), keys: ["k": "s"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(post), now: smokeNow), "k")

        // URLSession adds none to a PUT, nor to a POST without a body; one already set is kept.
        var put = urlRequest("PUT", "http://127.0.0.1:8080/form", body: Data("x".utf8))
        try put.sign(with: signer, now: smokeNow)
        XCTAssertNil(put.value(forHTTPHeaderField: "Content-Type"))
        var empty = urlRequest("POST", "http://127.0.0.1:8080/form", body: Data())
        try empty.sign(with: signer, now: smokeNow)
        XCTAssertNil(empty.value(forHTTPHeaderField: "Content-Type"))
        var json = urlRequest("POST", "http://127.0.0.1:8080/form", headers: ["content-type": "application/json"], body: orderBody)
        try json.sign(with: signer, now: smokeNow)
        XCTAssertEqual(json.value(forHTTPHeaderField: "Content-Type"), "application/json")
    }

    func testDotSegmentsAreRemovedFromTheUrlBeforeSigning() throws {
        let signer = Signer(scheme: try Scheme.pathBodyHex(), credentials: Credentials(keyId: "client", secret: "key"))
        var request = urlRequest("GET", "http://127.0.0.1:8080/a/./b/../%2e%2E/c//d/.?x=/../y")
        let signed = try request.sign(with: signer)
        // What curl puts on the request line; the query is not a path.
        XCTAssertEqual(signed.stringToSignText, "/c//d/?x=/../y")
        XCTAssertEqual(request.url?.absoluteString, "http://127.0.0.1:8080/c//d/?x=/../y")
        XCTAssertEqual(try Verifier.withKeys(scheme: Scheme.pathBodyHex(), keys: ["client": "key"]).verifyRequest(request: received(request)), "client")
    }

    func testHeaderValuesAreTrimmedAndTheHostHeaderIsTheAuthority() throws {
        let scheme = try Scheme.apiAuth(digest: "sha256", headersToSign: ["X-Request-Id"])
        let signer = Signer(scheme: scheme, credentials: Credentials(keyId: "k", secret: "s"))
        var request = urlRequest("GET", "http://127.0.0.1:8080/a", headers: ["X-Request-Id": " \tr-1  "])
        let signed = try request.sign(with: signer, now: smokeNow)
        XCTAssertEqual(request.value(forHTTPHeaderField: "X-Request-Id"), "r-1")
        XCTAssertEqual(signed.stringToSignText, "GET,,,/a,Tue, 14 Nov 2023 22:13:50 GMT,r-1")

        // A Host set on the request is what the server sees, so it is kept and signed.
        var virtualHost = urlRequest("GET", "http://127.0.0.1:8080/v1/a?z=1", headers: ["host": " api.example.com "])
        let timestamped = try virtualHost.sign(with: Signer(scheme: Scheme.timestamped(), credentials: Credentials(keyId: "k", secret: "s")), now: smokeNow)
        XCTAssertEqual(timestamped.stringToSignText, "GEThttps://api.example.com/v1/a?z=11700000030")
        XCTAssertEqual(virtualHost.allHTTPHeaderFields?.filter { $0.key.lowercased() == "host" }.map(\.value), ["api.example.com"])
        let verifier = try Verifier.withKeys(scheme: Scheme.timestamped(), keys: ["k": "s"])
        XCTAssertEqual(try verifier.verifyRequest(request: received(virtualHost), now: smokeNow), "k")
    }

    func testHostIsSetAsURLSessionSendsIt() throws {
        let signer = Signer(scheme: try Scheme.pathBodyHex(), credentials: Credentials(keyId: "client", secret: "key"))
        // URL -> the Host libcurl 8.14 sent for it (seen on a raw socket; the zone id from libcurl's rules).
        let cases: KeyValuePairs<String, String> = [
            "http://127.0.0.1:8080/a": "127.0.0.1:8080",
            "http://127.0.0.1:/a": "127.0.0.1",
            "http://127.0.0.1:08080/a": "127.0.0.1:8080",
            "http://example.com:80/": "example.com",
            "https://API.Example.com:443/": "API.Example.com",
            "https://example.com:80/": "example.com:80",
            "http://example.com.:8080/": "example.com.:8080",
            "http://loc%61lhost:8080/": "localhost:8080",
            "http://caf\u{e9}.localhost:8080/": "xn--caf-dma.localhost:8080",
            "http://[::1]:8080/": "[::1]:8080",
            "https://[::1]:443/": "[::1]",
            "http://[fe80::1%25eth0]:8080/": "[fe80::1]:8080",
        ]
        for (url, host) in cases {
            var request = URLRequest(url: try XCTUnwrap(URL(string: url), url))
            try request.sign(with: signer)
            XCTAssertEqual(request.allHTTPHeaderFields?.filter { $0.key.lowercased() == "host" }.map(\.value), [host], url)
        }
    }

    // MARK: refused requests

    func testABodyStreamIsATypedErrorAndLeavesTheRequestUnchanged() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "k", secret: "s"))
        var request = urlRequest("POST", "http://127.0.0.1:8080/upload")
        request.httpBodyStream = InputStream(data: orderBody)
        let before = request
        let error = hmacSigError { try request.sign(with: signer) }
        XCTAssertEqual(error?.kind, "unsupported")
        XCTAssertEqual(
            error?.reason,
            "a request with an httpBodyStream cannot be signed: its bytes are read only while it is sent; set httpBody instead"
        )
        XCTAssertEqual(request, before)
        XCTAssertNil(request.value(forHTTPHeaderField: "Authorization"))
    }

    func testUrlsThatCannotBeSignedAsSentAreRefused() throws {
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "k", secret: "s"))

        var userInfo = urlRequest("GET", "http://user:pass@127.0.0.1:8080/a")
        let basic = hmacSigError { try userInfo.sign(with: signer) }
        XCTAssertEqual(basic?.kind, "invalid_request")
        XCTAssertEqual(
            basic?.reason,
            "the URL carries a user name or password, which URLSession would send as an unsigned Authorization: Basic; remove it from the URL"
        )
        XCTAssertFalse(basic?.reason.contains("pass@") ?? true)

        var file = URLRequest(url: URL(fileURLWithPath: "/etc/hosts"))
        XCTAssertEqual(hmacSigError { try file.sign(with: signer) }?.reason, "only http and https URLs can be signed, not file:///etc/hosts")

        var noURL = urlRequest("GET", "http://127.0.0.1/")
        noURL.url = nil
        XCTAssertEqual(hmacSigError { try noURL.sign(with: signer) }, .InvalidRequest(reason: "the request has no URL"))

        // A header Foundation keeps but the core refuses: a typed error, no crash.
        // (Foundation itself drops a value with CR or LF.)
        var badName = urlRequest("GET", "http://127.0.0.1:8080/a", headers: ["Bad Name": "v"])
        XCTAssertEqual(
            hmacSigError { try badName.sign(with: signer) },
            .InvalidRequest(reason: #"the header name "Bad Name" is not an HTTP token"#)
        )
        XCTAssertNil(badName.value(forHTTPHeaderField: "Authorization"))
    }
}
