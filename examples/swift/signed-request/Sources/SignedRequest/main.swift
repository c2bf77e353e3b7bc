// Signs a URLRequest with hmacsig, sends it with URLSession to a verifying
// server and prints the status and the server's answer. With PKG_CONFIG_PATH
// and LD_LIBRARY_PATH set as bindings/swift/README.md says:
//
//     HMACSIG_E2E_ASGI_URL=http://127.0.0.1:8000 HMACSIG_E2E_KEY_ID=e2e-client \
//     HMACSIG_E2E_SECRET=... swift run
//
// `cargo xtask test` builds and runs it against the ASGI server of tests/e2e.
// The lines between the markers are the quick start of bindings/swift/README.md,
// word for word (HmacSigTests' ReadmeTests compares them).

// quick start: begin
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking  // URLSession on Linux
#endif
import HmacSig

let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256"),
                    credentials: Credentials(keyId: keyId, secret: secret))
// Signs a redirect to the same host again; one to another host goes without the signature.
let session = URLSession(configuration: .default, delegate: RedirectSigningDelegate(signer: signer), delegateQueue: nil)

var request = URLRequest(url: URL(string: baseURL + "/orders?id=7")!)
request.httpMethod = "POST"
request.setValue("application/json", forHTTPHeaderField: "Content-Type")
request.httpBody = Data(#"{"id":7}"#.utf8)

do {
    try request.sign(with: signer)  // sets Date, X-Authorization-Content-SHA256, Authorization
    let (data, response) = try await session.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    print(status, String(decoding: data, as: UTF8.self))  // 200 {"key_id": ...}
} catch let error as HmacSigError {
    print("not signed:", error.kind, error)  // e.g. unsupported: a request with an httpBodyStream ...
} catch {
    print("not sent:", error)
}
// quick start: end
