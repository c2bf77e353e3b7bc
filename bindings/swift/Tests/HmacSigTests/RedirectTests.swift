// Redirects of signed URLRequests followed by URLSession (FoundationNetworking
// on Linux), against two real servers on loopback (two ports: two hosts to a
// client), with `RedirectSigningDelegate` as the session's delegate and as the
// task's: same host, signed again; another host, none of the signature headers
// and its own Host (or signed for it, opted in); after leaving, never signed.
// And what URLSession does without it.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

import HmacSig

private let keyId = "client-1"
private let secret = "swift-redirect-test-secret"
private let orderBody = Data(#"{"order":{"id":7,"qty":2}}"#.utf8)

/// Two servers, `a` and `b`. Either answers `/redirect/STATUS/a|b/REST` with
/// STATUS and `Location` `/REST` on a or b; any other target with 200 and the
/// key id when `verifier` accepts the request, else its refusal's status.
private final class TwoHosts: @unchecked Sendable {
    // @unchecked: the servers are set once, before either receives a request.
    private(set) var a: LoopbackServer!
    private(set) var b: LoopbackServer!

    init(verifier: Verifier) throws {
        a = try LoopbackServer { [weak self] in self?.answer($0, verifier) ?? Answer(status: 503) }
        b = try LoopbackServer { [weak self] in self?.answer($0, verifier) ?? Answer(status: 503) }
    }

    deinit {
        a.close()
        b.close()
    }

    private func answer(_ request: ReceivedRequest, _ verifier: Verifier) -> Answer {
        let prefix = "/redirect/"
        if request.target.hasPrefix(prefix) {
            let route = request.target.dropFirst(prefix.count)  // STATUS/a|b/REST
            let status = Int(route.prefix(3)) ?? 500
            let server = route.dropFirst(4).hasPrefix("a") ? a! : b!
            return Answer(status: status, headers: [("Location", server.baseURL + route.dropFirst(5))])
        }
        do {
            return Answer(status: 200, body: Data(try verifier.verifyRequest(request: request.asRequest).utf8))
        } catch let error as HmacSigError {
            return Answer(status: httpStatus(error), body: Data("\(error.kind): refused".utf8))
        } catch {
            return Answer(status: 500)
        }
    }
}

/// How the delegate is given to URLSession: as the session's delegate, or as
/// a data task's `delegate` (set before `resume()`).
private enum Installation: CaseIterable {
    case sessionDelegate, taskDelegate
}

private func post(_ url: String) -> URLRequest {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = orderBody
    return request
}

final class RedirectTests: XCTestCase {
    private func signer(_ scheme: Scheme) -> Signer {
        Signer(scheme: scheme, credentials: Credentials(keyId: keyId, secret: secret))
    }

    private func verifier(_ scheme: Scheme, policy: Policy? = nil) throws -> Verifier {
        try Verifier.withKeys(scheme: scheme, keys: [keyId: secret], policy: policy)
    }

    /// Sends `request` with `delegate` installed so; the status and body as text.
    private func send(_ request: URLRequest, _ delegate: RedirectSigningDelegate?, _ installation: Installation) async throws -> (Int, String) {
        let session: URLSession
        let data: Data
        let response: URLResponse
        switch installation {
        case .sessionDelegate:
            session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
            (data, response) = try await session.data(for: request)
        case .taskDelegate:
            session = URLSession(configuration: .ephemeral)
            (data, response) = try await withCheckedThrowingContinuation { continuation in
                let task = session.dataTask(with: request) { data, response, error in
                    if let response {
                        continuation.resume(returning: (data ?? Data(), response))
                    } else {
                        continuation.resume(throwing: error ?? URLError(.unknown))
                    }
                }
                task.delegate = delegate
                task.resume()
            }
        }
        session.finishTasksAndInvalidate()
        return (try XCTUnwrap(response as? HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    /// The names of the headers `signer` sets on a POST of `orderBody` that has none of them yet.
    private func signatureHeaderNames(_ signer: Signer) throws -> [String] {
        let headers = [("Host", "127.0.0.1:1"), ("Content-Type", "application/json")]
        return try signer.sign(method: "POST", target: "/orders", headers: headers, body: orderBody).headers.map(\.name)
    }

    func testSameHost302IsSignedAgainForTheGetWithoutBody() async throws {
        let scheme = try Scheme.apiAuth(digest: "sha256")
        let (signer, verifier) = (signer(scheme), try verifier(scheme))
        let hosts = try TwoHosts(verifier: verifier)
        for installation in Installation.allCases {
            let request = try post(hosts.a.baseURL + "/redirect/302/a/landed?x=1").signed(with: signer)
            let (status, body) = try await send(request, RedirectSigningDelegate(signer: signer), installation)
            XCTAssertEqual(status, 200, "\(installation): \(body)")
            let received = hosts.a.takeReceived()
            XCTAssertEqual(received.count, 2)
            XCTAssertEqual(try verifier.verifyRequest(request: received[0].asRequest), keyId)
            let landed = try XCTUnwrap(received.last)
            XCTAssertEqual([landed.method, landed.target], ["GET", "/landed?x=1"])
            XCTAssertEqual(landed.body, Data())
            XCTAssertEqual(try verifier.verifyRequest(request: landed.asRequest), keyId)
        }
    }

    func testSameHost307IsSignedAgainForTheNewTargetWithTheBodyURLSessionSends() async throws {
        let scheme = try Scheme.rfc9421(contentDigest: .sha256)
        let (signer, verifier) = (signer(scheme), try verifier(scheme))
        let hosts = try TwoHosts(verifier: verifier)
        for installation in Installation.allCases {
            let request = try post(hosts.a.baseURL + "/redirect/307/a/landed").signed(with: signer)
            let (status, body) = try await send(request, RedirectSigningDelegate(signer: signer), installation)
            XCTAssertEqual(status, 200, "\(installation): \(body)")
            let landed = try XCTUnwrap(hosts.a.takeReceived().last)
            XCTAssertEqual([landed.method, landed.target], ["POST", "/landed"])
            #if canImport(FoundationNetworking)
            // FoundationNetworking sends no body after a redirect, even a 307: so it is signed.
            XCTAssertEqual(landed.body, Data())
            XCTAssertEqual(landed.header("Content-Length"), "0")
            #else
            XCTAssertEqual(landed.body, orderBody)
            #endif
            XCTAssertEqual(try verifier.verifyRequest(request: landed.asRequest), keyId)
        }
    }

    func testAnotherHostGetsNoSignatureHeadersAndItsOwnHost() async throws {
        let schemes: [(Scheme, Policy?)] = [
            (try Scheme.apiAuth(digest: "sha256"), nil),
            (Scheme.timestamped(), nil),
            (try Scheme.rfc9421(components: ["@method", "@target-uri"], contentDigest: .sha256), nil),
            (try Scheme.awsSigv4(region: "us-east-1", service: "execute-api", signBody: true), Policy.awsSigv4()),
        ]
        for (scheme, policy) in schemes {
            let (signer, verifier) = (signer(scheme), try verifier(scheme, policy: policy))
            let hosts = try TwoHosts(verifier: verifier)
            let names = try signatureHeaderNames(signer)
            for installation in Installation.allCases {
                for status in [302, 307] {
                    let context = "\(scheme), \(installation), \(status)"
                    let request = try post(hosts.a.baseURL + "/redirect/\(status)/b/landed").signed(with: signer)
                    let (answered, body) = try await send(request, RedirectSigningDelegate(signer: signer), installation)
                    XCTAssertEqual(answered, 401, "\(context): \(body)")
                    let first = try XCTUnwrap(hosts.a.takeReceived().first, context)
                    XCTAssertEqual(try verifier.verifyRequest(request: first.asRequest), keyId, context)
                    XCTAssertTrue(names.allSatisfy { first.header($0) != nil }, "\(context): the first request had \(first.headers)")

                    let landed = try XCTUnwrap(hosts.b.takeReceived().first, context)
                    XCTAssertEqual(landed.target, "/landed", context)
                    XCTAssertEqual(landed.method, status == 307 ? "POST" : "GET", context)
                    for name in names {
                        XCTAssertNil(landed.header(name), "\(context): \(name) reached the other host")
                    }
                    XCTAssertEqual(landed.header("Host"), hosts.b.host, context)
                    XCTAssertNotNil(hmacSigError { try verifier.verifyRequest(request: landed.asRequest) }, context)
                }
            }
        }
    }

    func testAnotherHostIsSignedForItWhenOptedIn() async throws {
        let scheme = Scheme.timestamped()
        let (signer, verifier) = (signer(scheme), try verifier(scheme))
        let hosts = try TwoHosts(verifier: verifier)
        for installation in Installation.allCases {
            let request = try post(hosts.a.baseURL + "/redirect/307/b/landed").signed(with: signer)
            let delegate = RedirectSigningDelegate(signer: signer, resignCrossHostRedirects: true)
            let (status, body) = try await send(request, delegate, installation)
            XCTAssertEqual(status, 200, "\(installation): \(body)")
            XCTAssertEqual(body, keyId)
            _ = hosts.a.takeReceived()
            let landed = try XCTUnwrap(hosts.b.takeReceived().first)
            XCTAssertEqual(landed.header("Host"), hosts.b.host)
            XCTAssertEqual(try verifier.verifyRequest(request: landed.asRequest), keyId)
        }
    }

    func testARedirectBackAfterLeavingTheHostIsNotSignedUnlessOptedIn() async throws {
        let scheme = try Scheme.apiAuth(digest: "sha256")
        let (signer, verifier) = (signer(scheme), try verifier(scheme))
        let hosts = try TwoHosts(verifier: verifier)
        let bounce = hosts.a.baseURL + "/redirect/302/b/redirect/307/a/landed"
        for installation in Installation.allCases {
            let (status, _) = try await send(try post(bounce).signed(with: signer), RedirectSigningDelegate(signer: signer), installation)
            XCTAssertEqual(status, 401, "\(installation)")
            let atA = hosts.a.takeReceived()
            XCTAssertEqual(atA.map(\.target), ["/redirect/302/b/redirect/307/a/landed", "/landed"])
            XCTAssertNil(atA[1].header("Authorization"), "\(installation)")
            XCTAssertNil(try XCTUnwrap(hosts.b.takeReceived().first).header("Authorization"))

            let optedIn = RedirectSigningDelegate(signer: signer, resignCrossHostRedirects: true)
            let (signedStatus, body) = try await send(try post(bounce).signed(with: signer), optedIn, installation)
            XCTAssertEqual(signedStatus, 200, "\(installation): \(body)")
            let backAtA = try XCTUnwrap(hosts.a.takeReceived().last)
            XCTAssertEqual(try verifier.verifyRequest(request: backAtA.asRequest), keyId)
            XCTAssertEqual(try verifier.verifyRequest(request: try XCTUnwrap(hosts.b.takeReceived().first).asRequest), keyId)
        }
    }

    func testARedirectOfAnUnsignedRequestIsNotSigned() async throws {
        let scheme = try Scheme.apiAuth(digest: "sha256")
        let (signer, verifier) = (signer(scheme), try verifier(scheme))
        let hosts = try TwoHosts(verifier: verifier)
        let (status, _) = try await send(post(hosts.a.baseURL + "/redirect/302/a/landed"), RedirectSigningDelegate(signer: signer), .sessionDelegate)
        XCTAssertEqual(status, 401)
        XCTAssertEqual(hosts.a.takeReceived().map { $0.header("Authorization") }, [nil, nil])
    }

    // Why the delegate: without it URLSession sends the signature, and the first
    // host's Host, to wherever the Location points. On Linux the `delegate:` of
    // `data(for:delegate:)` is not asked about redirects either (FoundationNetworking
    // 6.0.3 asks `task.delegate` only, which that parameter does not set).
    func testWithoutTheDelegateARedirectCarriesTheSignatureAndTheOldHost() async throws {
        let scheme = try Scheme.apiAuth(digest: "sha256")
        let (signer, verifier) = (signer(scheme), try verifier(scheme))
        let hosts = try TwoHosts(verifier: verifier)
        let request = try post(hosts.a.baseURL + "/redirect/302/b/landed").signed(with: signer)
        _ = try await send(request, nil, .taskDelegate)
        let landed = try XCTUnwrap(hosts.b.takeReceived().first)
        XCTAssertEqual(landed.header("Authorization"), request.value(forHTTPHeaderField: "Authorization"))
        XCTAssertEqual(landed.header("Host"), hosts.a.host)

        #if canImport(FoundationNetworking)
        let session = URLSession(configuration: .ephemeral)
        _ = try await session.data(for: request, delegate: RedirectSigningDelegate(signer: signer))
        session.finishTasksAndInvalidate()
        XCTAssertEqual(try XCTUnwrap(hosts.b.takeReceived().first).header("Authorization"), request.value(forHTTPHeaderField: "Authorization"))
        #endif
    }
}
