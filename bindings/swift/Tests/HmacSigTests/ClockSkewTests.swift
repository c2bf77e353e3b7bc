// `ClockSkew` with `URLRequest.sign(with:clockSkew:)`: a server whose clock is
// an hour ahead refuses the first request as stale and sends its Date; the
// client learns the offset, signs the original request again, and signs later
// requests at the corrected time. The server is simulated in process: it
// verifies what the signed URLRequest carries at its own clock and answers as
// the refusal contract says (`<kind>: refused`, a `Date` at its clock).

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

import HmacSig

private let ahead: Int64 = 3600

private func imfDate(_ seconds: Int64) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
}

/// A server AHEAD seconds ahead of this machine: verifies api-auth (sha256) and
/// counts the requests it answered.
private final class SkewedServer {
    let verifier: Verifier
    var seen: [Int] = []

    init() throws {
        verifier = try Verifier.withKeys(scheme: try Scheme.apiAuth(digest: "sha256"), keys: ["client-1": "secret"])
    }

    func send(_ request: URLRequest) throws -> (HTTPURLResponse, Data) {
        let url = try XCTUnwrap(request.url)
        let components = try XCTUnwrap(URLComponents(url: url, resolvingAgainstBaseURL: true))
        let target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        let headers = (request.allHTTPHeaderFields ?? [:]).map { Header(name: $0.key, value: $0.value) }
        let now = Int64(Date().timeIntervalSince1970) + ahead
        let status: Int
        let text: String
        do {
            text = try verifier.verify(method: request.httpMethod ?? "GET", target: target, headers: headers, body: request.httpBody ?? Data(), now: now)
            status = 200
        } catch let error as HmacSigError {
            status = httpStatus(error)
            text = "\(error.kind): refused"
        }
        seen.append(status)
        let response = try XCTUnwrap(HTTPURLResponse(url: url, statusCode: status, httpVersion: "HTTP/1.1", headerFields: ["Date": imfDate(now)]))
        return (response, Data(text.utf8))
    }
}

private func order(_ id: Int) -> URLRequest {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:8080/orders")!)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = Data(#"{"id":\#(id)}"#.utf8)
    return request
}

/// Signs `original` with `skew`, sends it, and once more when `skew` learns from the refusal.
private func call(_ server: SkewedServer, _ original: URLRequest, _ signer: Signer, _ skew: ClockSkew) throws -> Int {
    var request = original
    try request.sign(with: signer, clockSkew: skew)
    var (response, body) = try server.send(request)
    if skew.learn(from: response, body: body) {
        request = original
        try request.sign(with: signer, clockSkew: skew)
        (response, body) = try server.send(request)
    }
    return response.statusCode
}

final class ClockSkewTests: XCTestCase {
    func testLearnsTheOffsetRetriesOnceAndCorrectsLaterRequests() throws {
        let server = try SkewedServer()
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "client-1", secret: "secret"))
        let skew = ClockSkew()
        XCTAssertNil(skew.now(), "the system clock until an offset is learnt")
        XCTAssertEqual(try call(server, order(1), signer, skew), 200)
        XCTAssertEqual(server.seen, [403, 200], "one refusal, one retry")
        XCTAssertEqual(Double(skew.offset), Double(ahead), accuracy: 2)
        server.seen = []
        XCTAssertEqual(try call(server, order(2), signer, skew), 200)
        XCTAssertEqual(server.seen, [200], "signed at the corrected time: one request")
    }

    func testWithoutCorrectionTheRequestIsRefused() throws {
        let server = try SkewedServer()
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "client-1", secret: "secret"))
        var request = order(3)
        try request.sign(with: signer)
        let (response, body) = try server.send(request)
        XCTAssertEqual(response.statusCode, 403)
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "stale: refused")
    }

    func testARefusalForAnotherReasonTeachesNothing() throws {
        let server = try SkewedServer()
        let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"), credentials: Credentials(keyId: "client-1", secret: "wrong"))
        let skew = ClockSkew()
        XCTAssertEqual(try call(server, order(4), signer, skew), 403)
        XCTAssertEqual(server.seen, [403], "not retried")
        XCTAssertEqual(skew.offset, 0)
        let ok = try XCTUnwrap(HTTPURLResponse(url: URL(string: "http://x/")!, statusCode: 200, httpVersion: nil, headerFields: ["Date": imfDate(0)]))
        XCTAssertFalse(skew.learn(from: ok, body: Data("stale: refused".utf8)), "only a 401 or 403")
        let undated = try XCTUnwrap(HTTPURLResponse(url: URL(string: "http://x/")!, statusCode: 403, httpVersion: nil, headerFields: [:]))
        XCTAssertFalse(skew.learn(from: undated, body: Data("stale: refused".utf8)), "only with a Date")
    }
}
