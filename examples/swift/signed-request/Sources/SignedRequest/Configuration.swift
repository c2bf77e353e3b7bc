// Where to send and with which key: from the environment that `cargo xtask test`
// sets for tests/e2e (the ASGI server's URL and the e2e key).

import Foundation

let baseURL = required("HMACSIG_E2E_ASGI_URL")
let keyId = required("HMACSIG_E2E_KEY_ID")
let secret = required("HMACSIG_E2E_SECRET")

/// The variable's value; without it, a message and exit status 2.
private func required(_ name: String) -> String {
    if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty {
        return value
    }
    FileHandle.standardError.write(Data("\(name) is not set (see examples/swift/signed-request/Sources/SignedRequest/main.swift)\n".utf8))
    exit(2)
}
