// The client checks of tests/e2e/README.md: URLRequests signed with
// `sign(with:)` travel with URLSession (FoundationNetworking on Linux) over
// real HTTP on 127.0.0.1 to the verifying servers that `cargo xtask test`
// starts, and `ClockSkew` corrects the time against the skewed one. It needs
// their environment and fails without it; xtask runs it apart (`swift test
// --filter EndToEndTests`) and skips it in the unit run.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

import HmacSig

/// The body of every signed POST, and the lowercase hex of its SHA-256.
private let orderBody = Data(#"{"order":{"id":7,"qty":2}}"#.utf8)
private let orderBodySha256 = "fbd55614d65ac5c6c35adca9668dd20901d2014f1571526fa82377cc3960296a"

/// How far the skewed server's clock is ahead of this machine's (tests/e2e/python/skewed_server.py).
private let skewedServerAhead = 3600.0

private struct MissingEnvironment: Error, CustomStringConvertible {
    let name: String
    var description: String { "\(name) is not set: run the end-to-end suite through `cargo xtask test`, which starts the servers" }
}

/// What the servers echo for a verified request.
private struct Echo: Decodable, Equatable {
    let key_id: String
    let method: String
    let target: String
    let body_sha256: String
    let content_type: String
}

final class EndToEndTests: XCTestCase {
    /// No cookies, cache or shared state between tests.
    private let session = URLSession(configuration: .ephemeral)

    private func environment(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw MissingEnvironment(name: name)
        }
        return value
    }

    /// api-auth with sha256 and the e2e key, as every server verifies.
    private func signer() throws -> Signer {
        let credentials = Credentials(keyId: try environment("HMACSIG_E2E_KEY_ID"), secret: try environment("HMACSIG_E2E_SECRET"))
        return Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: credentials)
    }

    /// The POST with a JSON body, not signed yet.
    private func unsignedPost(to base: String, path: String = "/e2e/orders?id=7", body: Data = orderBody) throws -> URLRequest {
        var request = URLRequest(url: try XCTUnwrap(URL(string: base + path)))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        return request
    }

    private func signedPost(to base: String, path: String = "/e2e/orders?id=7") throws -> URLRequest {
        var request = try unsignedPost(to: base, path: path)
        try request.sign(with: signer())
        return request
    }

    private func signedGet(to base: String) throws -> URLRequest {
        var request = URLRequest(url: try XCTUnwrap(URL(string: base + "/e2e/items?b=2&a=1")))
        try request.sign(with: signer())
        return request
    }

    /// Sends `request`; returns the HTTP response and its body.
    private func exchange(_ request: URLRequest) async throws -> (response: HTTPURLResponse, body: Data) {
        let (data, response) = try await session.data(for: request)
        return (try XCTUnwrap(response as? HTTPURLResponse), data)
    }

    /// Sends `request`; returns the status and the body as text.
    private func send(_ request: URLRequest) async throws -> (status: Int, body: String) {
        let (response, data) = try await exchange(request)
        return (response.statusCode, String(decoding: data, as: UTF8.self))
    }

    private func echo(_ body: String) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(body.utf8))
    }

    // 1. A signed POST with a JSON body.
    func testSignedPostIsVerifiedByTheAsgiServer() async throws {
        let (status, body) = try await send(signedPost(to: environment("HMACSIG_E2E_ASGI_URL")))
        XCTAssertEqual(status, 200, body)
        XCTAssertEqual(try echo(body), Echo(
            key_id: try environment("HMACSIG_E2E_KEY_ID"), method: "POST", target: "/e2e/orders?id=7",
            body_sha256: orderBodySha256, content_type: "application/json"
        ))
    }

    // 2. A signed GET whose query order is kept.
    func testSignedGetKeepsItsQuery() async throws {
        let (status, body) = try await send(signedGet(to: environment("HMACSIG_E2E_ASGI_URL")))
        XCTAssertEqual(status, 200, body)
        let echoed = try echo(body)
        XCTAssertEqual(echoed.target, "/e2e/items?b=2&a=1")
        XCTAssertEqual(echoed.method, "GET")
        XCTAssertEqual(echoed.body_sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    // 3. The crossings: the same POST to the Kotlin server and to the Node server (Express).
    func testSignedPostIsVerifiedByTheKotlinAndNodeServers() async throws {
        for server in ["HMACSIG_E2E_KOTLIN_URL", "HMACSIG_E2E_NODE_URL"] {
            let (status, body) = try await send(signedPost(to: environment(server)))
            XCTAssertEqual(status, 200, "\(server): \(body)")
            let echoed = try echo(body)
            XCTAssertEqual(echoed.key_id, try environment("HMACSIG_E2E_KEY_ID"), server)
            XCTAssertEqual(echoed.target, "/e2e/orders?id=7", server)
            XCTAssertEqual(echoed.body_sha256, orderBodySha256, server)
            XCTAssertEqual(echoed.content_type, "application/json", server)
        }
    }

    // 3b. kong-hmac and hawk, each to its path on the ASGI server (tests/e2e/README.md):
    // signed, verified, refused when the body changes on the way, refused unsigned.
    func testKongHmacAndHawkAreVerifiedByTheAsgiServer() async throws {
        let credentials = Credentials(keyId: try environment("HMACSIG_E2E_KEY_ID"), secret: try environment("HMACSIG_E2E_SECRET"))
        let schemes: [(String, Scheme)] = [
            ("kong-hmac", try Scheme.kongHmac(headers: ["date", "@request-target", "digest"], digest: true)),
            ("hawk", try Scheme.hawk()),
        ]
        for (name, scheme) in schemes {
            let signer = Signer(scheme: scheme, credentials: credentials)
            let path = "/\(name)/orders?id=7&b=2"
            var request = try unsignedPost(to: environment("HMACSIG_E2E_ASGI_URL"), path: path)
            try request.sign(with: signer)
            let (status, body) = try await send(request)
            XCTAssertEqual(status, 200, "\(name): \(body)")
            XCTAssertEqual(try echo(body), Echo(
                key_id: try environment("HMACSIG_E2E_KEY_ID"), method: "POST", target: path,
                body_sha256: orderBodySha256, content_type: "application/json"
            ))
            var tampered = try unsignedPost(to: environment("HMACSIG_E2E_TAMPER_URL"), path: path)
            try tampered.sign(with: signer)
            let refused = try await send(tampered)
            XCTAssertEqual(refused.status, 403, "\(name): \(refused.body)")
            XCTAssertTrue(refused.body.hasPrefix("body_mismatch"), "\(name): \(refused.body)")
            let unsigned = try await send(unsignedPost(to: environment("HMACSIG_E2E_ASGI_URL"), path: path))
            XCTAssertEqual(unsigned.status, 401, "\(name): \(unsigned.body)")
        }
    }

    // 4. Changed in flight by the tamper proxy: refused.
    func testTamperedPostIsABodyMismatch() async throws {
        let (status, body) = try await send(signedPost(to: environment("HMACSIG_E2E_TAMPER_URL")))
        XCTAssertEqual(status, 403, body)
        XCTAssertTrue(body.hasPrefix("body_mismatch"), body)
    }

    func testTamperedGetIsABadSignature() async throws {
        let (status, body) = try await send(signedGet(to: environment("HMACSIG_E2E_TAMPER_URL")))
        XCTAssertEqual(status, 403, body)
        XCTAssertTrue(body.hasPrefix("bad_signature"), body)
    }

    // 5. Unsigned: no credentials.
    func testUnsignedPostIsRefused() async throws {
        let (status, body) = try await send(unsignedPost(to: environment("HMACSIG_E2E_ASGI_URL")))
        XCTAssertEqual(status, 401, body)
        XCTAssertTrue(body.hasPrefix("missing_authorization"), body)
    }

    // The send-time changes URLSession makes, over the wire: a POST without a
    // Content-Type (URLSession's default is signed), and a query with escapes.
    func testDefaultContentTypeAndEscapedQueryArriveAsSigned() async throws {
        var form = URLRequest(url: try XCTUnwrap(URL(string: try environment("HMACSIG_E2E_ASGI_URL") + "/e2e/form")))
        form.httpMethod = "POST"
        form.httpBody = Data("qty=2&item=7".utf8)
        try form.sign(with: signer())
        let (formStatus, formBody) = try await send(form)
        XCTAssertEqual(formStatus, 200, formBody)
        XCTAssertEqual(try echo(formBody).content_type, "application/x-www-form-urlencoded")
        XCTAssertEqual(try echo(formBody).body_sha256, "c9d6a158d5616aecf859220fd4b3ee9d92091bee4f0b992ea094a61efca30ae3")

        let query = "/e2e/search?q=a%20b&x=%7e+y&b=2&a=1&caf%C3%A9=%C3%BC"
        var search = URLRequest(url: try XCTUnwrap(URL(string: try environment("HMACSIG_E2E_ASGI_URL") + query)))
        try search.sign(with: signer())
        let (searchStatus, searchBody) = try await send(search)
        XCTAssertEqual(searchStatus, 200, searchBody)
        XCTAssertEqual(try echo(searchBody).target, query)
    }

    // 6. Clock skew: the skewed server, an hour ahead, refuses a request signed
    // at this machine's clock as stale; `ClockSkew` learns the offset from its
    // Date, the original request signed again passes, and so does a later one
    // on its first try. The server's X-Seen lists what it answered for the path.
    func testClockSkewRetriesOnceOverHttpAndCorrectsLaterRequests() async throws {
        let base = try environment("HMACSIG_E2E_SKEWED_URL")
        // A path of its own: X-Seen counts per path, so another test or run cannot add to it.
        let path = "/e2e/clock-skew/\(UUID().uuidString.lowercased())/orders?id=7"
        let signer = try signer()
        let skew = ClockSkew()
        let original = try unsignedPost(to: base, path: path)

        var request = original
        try request.sign(with: signer, clockSkew: skew)
        let refused = try await exchange(request)
        XCTAssertEqual(refused.response.statusCode, 403)
        XCTAssertEqual(String(decoding: refused.body, as: UTF8.self), "stale: refused")
        XCTAssertEqual(refused.response.value(forHTTPHeaderField: "X-Seen"), "403")
        XCTAssertTrue(skew.learn(from: refused.response, body: refused.body), "a stale refusal with a Date teaches the offset")
        XCTAssertEqual(Double(skew.offset), skewedServerAhead, accuracy: 2)

        request = original
        try request.sign(with: signer, clockSkew: skew)
        let retried = try await exchange(request)
        XCTAssertEqual(retried.response.statusCode, 200)
        XCTAssertEqual(String(decoding: retried.body, as: UTF8.self), "ok")
        XCTAssertEqual(retried.response.value(forHTTPHeaderField: "X-Seen"), "403,200")
        XCTAssertFalse(skew.learn(from: retried.response, body: retried.body), "a 200 teaches nothing")

        var later = try unsignedPost(to: base, path: path, body: Data(#"{"order":{"id":8,"qty":1}}"#.utf8))
        try later.sign(with: signer, clockSkew: skew)
        let first = try await exchange(later)
        XCTAssertEqual(first.response.statusCode, 200, String(decoding: first.body, as: UTF8.self))
        XCTAssertEqual(first.response.value(forHTTPHeaderField: "X-Seen"), "403,200,200", "one refusal in all: the later request passed at once")
    }
}
