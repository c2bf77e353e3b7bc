// The client checks of tests/e2e/README.md: URLRequests signed with
// `sign(with:)` travel with URLSession (FoundationNetworking on Linux) over
// real HTTP on 127.0.0.1 to the verifying servers that `cargo xtask test`
// starts. It needs their environment and fails without it; xtask runs it apart
// (`swift test --filter EndToEndTests`) and skips it in the unit run.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

import HmacSig

/// The body of every signed POST, and the lowercase hex of its SHA-256.
private let orderBody = Data(#"{"order":{"id":7,"qty":2}}"#.utf8)
private let orderBodySha256 = "fbd55614d65ac5c6c35adca9668dd20901d2014f1571526fa82377cc3960296a"

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

    private func signedPost(to base: String, path: String = "/e2e/orders?id=7") throws -> URLRequest {
        var request = URLRequest(url: try XCTUnwrap(URL(string: base + path)))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = orderBody
        try request.sign(with: signer())
        return request
    }

    private func signedGet(to base: String) throws -> URLRequest {
        var request = URLRequest(url: try XCTUnwrap(URL(string: base + "/e2e/items?b=2&a=1")))
        try request.sign(with: signer())
        return request
    }

    /// Sends `request`; returns the status and the body as text.
    private func send(_ request: URLRequest) async throws -> (status: Int, body: String) {
        let (data, response) = try await session.data(for: request)
        let status = try XCTUnwrap(response as? HTTPURLResponse).statusCode
        return (status, String(decoding: data, as: UTF8.self))
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

    // 3. The crossing: the same POST to the Kotlin server.
    func testSignedPostIsVerifiedByTheKotlinServer() async throws {
        let (status, body) = try await send(signedPost(to: environment("HMACSIG_E2E_KOTLIN_URL")))
        XCTAssertEqual(status, 200, body)
        let echoed = try echo(body)
        XCTAssertEqual(echoed.key_id, try environment("HMACSIG_E2E_KEY_ID"))
        XCTAssertEqual(echoed.target, "/e2e/orders?id=7")
        XCTAssertEqual(echoed.body_sha256, orderBodySha256)
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
        var request = URLRequest(url: try XCTUnwrap(URL(string: try environment("HMACSIG_E2E_ASGI_URL") + "/e2e/orders?id=7")))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = orderBody
        let (status, body) = try await send(request)
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
}
