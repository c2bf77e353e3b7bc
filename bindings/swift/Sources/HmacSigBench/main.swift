// The Swift measurements of `cargo xtask bench` (BENCHMARKS.md), built in release and run
// in the Swift chroot by xtask. Prints one JSON object: per case, the per-call nanoseconds
// of each batch (`samples_ns`); batches of all cases are interleaved round by round, in
// rotating order, so drift hits numerators and denominators alike. xtask takes the medians
// and divides.
//
// Cases, on the small request of issue 6 (a POST with a 200-byte JSON body and four
// headers, the same one tests/bench/src/main.rs builds):
// - hmacsig_api_auth_sign: `Signer.sign` (api-auth, HMAC-SHA256) as the README calls
//   it, headers as `(name, value)` pairs: one call of the core's C entry `hmacsig_call`
//   (docs/ffi.md);
// - hmacsig_api_auth_verify: `Verifier.verify` (a `Verifier.withKeys`, api-auth,
//   HMAC-SHA256) of that request signed, at a fixed now: one call of the same entry;
// - record_api_auth_sign: the same sign with headers as `[Header]`, for reference (not a
//   ratio; the same entry since the generated record call is gone);
// - empty_call: `ReplayGuard.isEmpty()`, the cheapest export: an object handle in, a
//   `Bool` out, no buffer either way, and ~no work in Rust. The cost of crossing UniFFI.
// - key_id_call: `Signer.keyId()`, a trivial call that returns a `String` (one
//   `RustBuffer` back): for reference, not a ratio.

import Foundation
import HmacSig

let now: Int64 = 1_700_000_000 // 2023-11-14T22:13:20Z, as the Rust and Python sides
let keyId = "AKIDEXAMPLE"
let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" // AWS's documented example secret: not a real key

func smallBody() -> Data {
    let head = #"{"order_id":42,"customer":"c-1001","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"note":""#
    let tail = #""}"#
    let body = Data((head + String(repeating: "x", count: 200 - head.utf8.count - tail.utf8.count) + tail).utf8)
    precondition(body.count == 200, "the small body must be 200 bytes")
    return body
}

let body = smallBody()
let headerPairs = [
    ("Host", "api.example.com"),
    ("Content-Type", "application/json"),
    ("Content-Length", "200"),
    ("X-Request-Id", "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"),
]
let headers = headerPairs.map { Header($0.0, $0.1) }

func arg(_ name: String, _ fallback: Double) -> Double {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name) else { return fallback }
    guard i + 1 < args.count, let v = Double(args[i + 1]) else {
        FileHandle.standardError.write(Data("hmacsig-bench: \(name) needs a number\n".utf8))
        exit(2)
    }
    return v
}

/// Keeps results alive so the optimizer cannot drop the calls.
var sink = 0

struct Case {
    let name: String
    let what: String
    let call: () -> Int
}

func nanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Per-call nanoseconds of one batch of `calls` calls.
func batch(_ calls: Int, _ c: Case) -> Double {
    var acc = 0
    let start = nanos()
    for _ in 0..<calls { acc &+= c.call() }
    let took = nanos() - start
    sink &+= acc
    return Double(took) / Double(calls)
}

/// Calls per batch so that one batch takes about `targetNs`.
func calibrate(_ targetNs: Double, _ c: Case) -> Int {
    var calls = 1
    while true {
        let took = batch(calls, c) * Double(calls)
        if took >= targetNs / 4 { return max(1, Int(targetNs / (took / Double(calls)))) }
        calls *= 4
    }
}

let rounds = max(1, Int(arg("--rounds", 31)))
let batchMs = arg("--batch-ms", 20)

do {
    let signer = Signer(scheme: try Scheme.apiAuth(digest: "sha256", headersToSign: [], overrideMethod: nil),
                        credentials: Credentials(keyId: keyId, secret: secret))
    let guard_ = try ReplayGuard()
    let verifier = try Verifier.withKeys(scheme: try Scheme.apiAuth(digest: "sha256"), keys: [keyId: secret])
    // Before timing: the calls work and give what they should.
    let signed = try signer.sign(method: "POST", target: "/v1/orders?id=42", headers: headerPairs, body: body, now: now)
    let record = try signer.sign(method: "POST", target: "/v1/orders?id=42", headers: headers, body: body, now: now)
    // What the server receives: the request's headers and the signed ones.
    let received = headerPairs + signed.headers.map { ($0.name, $0.value) }
    let verified = try verifier.verify(method: "POST", target: "/v1/orders?id=42", headers: received, body: body, now: now)
    guard let authorization = signed.header("Authorization"), authorization.hasPrefix("APIAuth-HMAC-SHA256 \(keyId):"), signed == record,
          verified == keyId, guard_.isEmpty(), signer.keyId() == keyId
    else {
        FileHandle.standardError.write(Data("hmacsig-bench: a call did not give what it should before timing\n".utf8))
        exit(1)
    }

    let cases = [
        Case(name: "hmacsig_api_auth_sign", what: "HmacSig Signer.sign (api-auth, HMAC-SHA256) of the small request, headers as (name, value) pairs: one hmacsig_call") {
            (try? signer.sign(method: "POST", target: "/v1/orders?id=42", headers: headerPairs, body: body, now: now))?.headers.count ?? -1
        },
        Case(name: "hmacsig_api_auth_verify", what: "HmacSig Verifier.verify (Verifier.withKeys, api-auth, HMAC-SHA256) of the small request signed, headers as (name, value) pairs, fixed now: one hmacsig_call") {
            (try? verifier.verify(method: "POST", target: "/v1/orders?id=42", headers: received, body: body, now: now))?.utf8.count ?? -1
        },
        Case(name: "record_api_auth_sign", what: "Signer.sign of the same request, headers as [Header] (the same hmacsig_call), for reference") {
            (try? signer.sign(method: "POST", target: "/v1/orders?id=42", headers: headers, body: body, now: now))?.headers.count ?? -1
        },
        Case(name: "empty_call", what: "ReplayGuard.isEmpty(): the cheapest exported call (handle in, Bool out, no buffers, ~no work in Rust)") {
            guard_.isEmpty() ? 1 : 0
        },
        Case(name: "key_id_call", what: "Signer.keyId(): a trivial call returning a String (one RustBuffer back)") {
            signer.keyId().utf8.count
        },
    ]
    for c in cases { _ = batch(1000, c) }
    let calls = cases.map { calibrate(batchMs * 1e6, $0) }
    for (i, c) in cases.enumerated() { _ = batch(calls[i], c) } // warm-up, discarded
    var samples = [[Double]](repeating: [], count: cases.count)
    for round in 0..<rounds {
        for k in cases.indices {
            let i = (round + k) % cases.count
            samples[i].append(batch(calls[i], cases[i]))
        }
    }

    var out: [String: Any] = [:]
    for (i, c) in cases.enumerated() {
        out[c.name] = ["what": c.what, "calls_per_batch": calls[i], "samples_ns": samples[i]] as [String: Any]
    }
    #if DEBUG
    out["build"] = "debug"
    #else
    out["build"] = "release"
    #endif
    out["sink"] = sink
    let json = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
    FileHandle.standardOutput.write(json)
    FileHandle.standardOutput.write(Data("\n".utf8))
} catch {
    FileHandle.standardError.write(Data("hmacsig-bench: \(error)\n".utf8))
    exit(1)
}
