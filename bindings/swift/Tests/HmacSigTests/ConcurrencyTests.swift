// One Signer and one Verifier (with a ReplayGuard) shared by 8 threads,
// 200,000 operations each (a sign or a verify is one): no error, every
// signature identical to the one signed on a single thread, every signed
// request accepted exactly once however the threads race, and every other try
// refused as replayed. The same test as bindings/python/tests/test_concurrency.py.

import Foundation
import XCTest

import HmacSig

private let threads = 8
private let operations = 200_000
private let requests = 4_000
private let now: Int64 = 1_700_000_000
private let keyId = "key-1"
private let secret = Data("concurrency-secret".utf8)

/// The i-th of `requests` distinct requests: its target, headers and body all carry i.
private func request(_ i: Int) -> Request {
    Request(
        method: "POST", target: "/orders/\(i)?n=\(i % 97)",
        headers: [("Content-Type", "application/json"), ("X-Seq", "\(i)")], body: Data(#"{"id":\#(i)}"#.utf8)
    )
}

/// A failed check on a racing thread: it ends that thread's work, and the main
/// thread reports it (XCTest assertions are made on the main thread only).
private struct ThreadFailure: Error, CustomStringConvertible {
    let description: String
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw ThreadFailure(description: message()) }
}

/// What the racing threads report, under one lock: acceptances per request,
/// replays, and failures (whatever a thread threw).
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var accepted = [Int](repeating: 0, count: requests)
    private var replayed = 0
    private var failures: [String] = []

    func accept(_ i: Int) { locked { accepted[i] += 1 } }
    func addReplayed(_ n: Int) { locked { replayed += n } }
    func fail(_ message: String) { locked { failures.append(message) } }
    var totals: (accepted: [Int], replayed: Int, failures: [String]) { locked { (accepted, replayed, failures) } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

final class ConcurrencyTests: XCTestCase {
    func testASharedSignerAndVerifierAgreeWithOneThreadAndCatchEveryReplayOnce() throws {
        let scheme = try Scheme.apiAuth(digest: "sha256")
        let signer = Signer(scheme: scheme, credentials: Credentials(keyId: keyId, secret: secret))
        let replayGuard = try ReplayGuard(capacity: UInt32(2 * requests))
        let verifier = try Verifier.withKeys(scheme: scheme, keys: [keyId: secret], replayGuard: replayGuard)
        let unsigned = (0..<requests).map(request)
        let expected = try unsigned.map { try signer.sign(method: $0.method, target: $0.target, headers: $0.headers, body: $0.body, now: now).headers }
        let signed = zip(unsigned, expected).map { r, e in Request(method: r.method, target: r.target, headers: r.headers + e, body: r.body) }
        let tally = Tally()

        /// The key id when `verifier` accepts signed request `i`, nil when it
        /// refuses it as replayed; any other error propagates.
        @Sendable func verifyOrReplayed(_ i: Int) throws -> String? {
            let r = signed[i]
            do {
                return try verifier.verify(method: r.method, target: r.target, headers: r.headers, body: r.body, now: now + 1)
            } catch let error as HmacSigError where error.kind == "replayed" {
                return nil
            }
        }

        @Sendable func work(_ t: Int) {
            var replayed = 0
            defer { tally.addReplayed(replayed) }
            do {
                var done = 0
                for k in 0..<requests {
                    // Each thread starts at its own offset, so threads race for different requests first.
                    let i = (k + t * requests / threads) % requests
                    let r = unsigned[i]
                    let again = try signer.sign(method: r.method, target: r.target, headers: r.headers, body: r.body, now: now).headers
                    try check(again == expected[i], "thread \(t): request \(i) signed differently: \(again)")
                    if let accepted = try verifyOrReplayed(i) {
                        try check(accepted == keyId, "thread \(t): request \(i) accepted as \(accepted)")
                        tally.accept(i)
                    } else {
                        replayed += 1
                    }
                    done += 2
                }
                for n in 0..<(operations - done) {
                    let accepted = try verifyOrReplayed(n % requests)
                    try check(accepted == nil, "thread \(t): request \(n % requests) accepted twice")
                    replayed += 1
                }
            } catch {
                tally.fail("thread \(t): \(type(of: error)): \(error)")
            }
        }

        // Threads of their own, not a dispatch queue: on a 2-core machine a
        // queue may run fewer than 8 at a time, and the point is 8 racing.
        let finished = DispatchGroup()
        for t in 0..<threads {
            finished.enter()
            Thread {
                work(t)
                finished.leave()
            }.start()
        }
        finished.wait()
        let totals = tally.totals
        XCTAssertEqual(totals.failures, [])
        XCTAssertEqual(totals.accepted, [Int](repeating: 1, count: requests))
        XCTAssertEqual(totals.replayed, threads * (operations - requests) - requests)
    }
}
