// The key store (docs/server.md): `KeyStore` and `Verifier.withStore`:
// secrets encrypted at rest, rotation with a grace period, revocation, a
// wrong master key refused with the file left as it was.

import Foundation
import XCTest

import HmacSig

private let master = Data((0..<32).map { UInt8($0) }).base64EncodedString()
private let other = Data((1...32).map { UInt8($0) }).base64EncodedString()
private let now: Int64 = 1_700_000_000
private let body = Data(#"{"id":7}"#.utf8)

/// Runs `body`, which must throw a `KeyStoreError`, and returns that error.
private func keyStoreError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> KeyStoreError? {
    do {
        let value = try body()
        XCTFail("expected a KeyStoreError, got \(value)", file: file, line: line)
    } catch let error as KeyStoreError {
        return error
    } catch {
        XCTFail("expected a KeyStoreError, got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

final class KeyStoreTests: XCTestCase {
    private var dir: URL!
    private var path: String { dir.appendingPathComponent("keys.db").path }
    private var url: String { "sqlite:" + path }
    private var scheme: Scheme!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("hmacsig-keystore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        scheme = try Scheme.apiAuth(digest: "sha256")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    /// The headers of `POST /orders` as a server receives it, signed (api-auth
    /// sha256) with `secret` at `at`.
    private func signed(_ keyId: String, _ secret: String, at: Int64 = now) throws -> [Header] {
        let signer = Signer(scheme: scheme, credentials: Credentials(keyId: keyId, secret: secret))
        let host = [Header("Host", "api.example.com")]
        return host + (try signer.sign(method: "POST", target: "/orders", headers: host, body: body, now: at)).headers
    }

    private func verify(_ verifier: Verifier, _ headers: [Header], at: Int64) throws -> String {
        try verifier.verify(method: "POST", target: "/orders", headers: headers, body: body, now: at)
    }

    func testCreateVerifyRotateWithAGracePeriodAndList() throws {
        let store = try KeyStore.open(url: url, masterKey: master)
        let first = try store.create(keyId: "client-1")
        XCTAssertEqual(first.count, 88)
        let verifier = try Verifier.withStore(scheme: scheme, store: store)
        XCTAssertEqual(try verify(verifier, try signed("client-1", first), at: now), "client-1")

        let second = try store.rotate(keyId: "client-1", graceSeconds: 600, now: now)
        XCTAssertNotEqual(first, second)
        for secret in [first, second] {
            XCTAssertEqual(try verify(verifier, try signed("client-1", secret, at: now + 5), at: now + 5), "client-1")
        }
        let late = now + 601
        let refused = hmacSigError { try verify(verifier, try signed("client-1", first, at: late), at: late) }
        XCTAssertEqual(refused?.kind, "bad_signature")
        XCTAssertEqual(try verify(verifier, try signed("client-1", second, at: late), at: late), "client-1")

        let listed = try store.list(now: now + 5)
        XCTAssertEqual(listed.map { $0.keyId }, ["client-1", "client-1"])
        XCTAssertEqual(listed.map { $0.version }, [2, 1])
        XCTAssertEqual(listed.map { $0.state }, [.active, .expiring])
        XCTAssertEqual(listed[1].expiresAt, now + 600)
        XCTAssertNil(listed[1].revokedAt)
        XCTAssertEqual(try store.list(now: late).map { $0.state }, [.active, .expired])
        let shown = String(describing: listed)
        XCTAssertFalse(shown.contains(first) || shown.contains(second), "list shows no secret")

        let exists = keyStoreError { try store.create(keyId: "client-1") }
        guard case .AlreadyExists? = exists else { return XCTFail("expected AlreadyExists, got \(String(describing: exists))") }
    }

    func testRevokeMakesTheKeyIdUnknown() throws {
        let store = try KeyStore.open(url: url, masterKey: master)
        let secret = try store.create(keyId: "client-1")
        let verifier = try Verifier.withStore(scheme: scheme, store: store, policy: nil, replayGuard: try ReplayGuard())
        XCTAssertEqual(try verify(verifier, try signed("client-1", secret), at: now), "client-1")
        try store.revoke(keyId: "client-1")
        let refused = hmacSigError { try verify(verifier, try signed("client-1", secret), at: now) }
        XCTAssertEqual(refused?.kind, "unknown_key")
        XCTAssertEqual(try store.list().map { $0.state }, [.revoked])

        let missing = keyStoreError { try store.revoke(keyId: "nobody") }
        guard case .NotFound? = missing else { return XCTFail("expected NotFound, got \(String(describing: missing))") }
        XCTAssertTrue(missing!.reason.hasPrefix("no live secret of key id"), missing!.reason)
        // The conformances: the reason is the message.
        XCTAssertEqual(missing!.description, missing!.reason)
        XCTAssertEqual(missing!.localizedDescription, missing!.reason)
        XCTAssertEqual("\(missing!)", missing!.reason)
    }

    func testAWrongMasterKeyChangesNothing() throws {
        _ = try KeyStore.open(url: url, masterKey: master).create(keyId: "client-1")  // closed when released
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let wrong = keyStoreError { try KeyStore.open(url: url, masterKey: other) }
        guard case .MasterKey? = wrong else { return XCTFail("expected MasterKey, got \(String(describing: wrong))") }
        XCTAssertTrue(wrong!.reason.contains("does not open"), wrong!.reason)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)

        let malformed = keyStoreError { try KeyStore.open(url: url, masterKey: "not base64!") }
        guard case .MasterKey? = malformed else { return XCTFail("expected MasterKey, got \(String(describing: malformed))") }
        let badURL = keyStoreError { try KeyStore.open(url: "mysql://localhost/keys", masterKey: master) }
        guard case .InvalidInput? = badURL else { return XCTFail("expected InvalidInput, got \(String(describing: badURL))") }
    }

    func testTheMasterKeyComesFromTheEnvironment() throws {
        // Only when the environment does not set it already (then neither part is meaningful).
        guard ProcessInfo.processInfo.environment["HMACSIG_MASTER_KEY"] == nil else { return }
        let missing = keyStoreError { try KeyStore.open(url: url) }
        guard case .MasterKey? = missing else { return XCTFail("expected MasterKey, got \(String(describing: missing))") }
        XCTAssertTrue(missing!.reason.contains("HMACSIG_MASTER_KEY"), missing!.reason)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing was created")

        setenv("HMACSIG_MASTER_KEY", master, 1)
        defer { unsetenv("HMACSIG_MASTER_KEY") }
        XCTAssertEqual(try KeyStore.open(url: url).create(keyId: "client-1").count, 88)
        XCTAssertEqual(try KeyStore.open(url: url, masterKey: master).list().map { $0.keyId }, ["client-1"])
    }

    func testRekeyReEncryptsUnderTheNewMasterKey() throws {
        let secret: String = try {
            let store = try KeyStore.open(url: url, masterKey: master)
            let secret = try store.create(keyId: "client-1")
            try store.rekey(newMasterKey: other)
            return secret
        }()
        let old = keyStoreError { try KeyStore.open(url: url, masterKey: master) }
        guard case .MasterKey? = old else { return XCTFail("expected MasterKey, got \(String(describing: old))") }
        let verifier = try Verifier.withStore(scheme: scheme, store: try KeyStore.open(url: url, masterKey: other))
        XCTAssertEqual(try verify(verifier, try signed("client-1", secret), at: now), "client-1")
    }
}
