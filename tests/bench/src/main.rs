//! `hmacsig-bench`: the measurements `cargo xtask bench` runs in Rust. Each
//! command prints one JSON object on stdout; xtask takes the medians, divides and
//! reports (`BENCHMARKS.md`).
//!
//! - `micro [--rounds N] [--batch-ms MS]`: per-call times of core signing and
//!   verifying (api-auth, HMAC-SHA256, the small request) and of the floor (a
//!   bare HMAC-SHA256 over the same string-to-sign plus the SHA-256 of the same
//!   body); core aws-sigv4 signing and AWS's own `aws-sigv4` crate on the same
//!   request at the same time. Batches of the numerator and denominator are
//!   interleaved round by round so that drift hits both.
//! - `stream [--seconds S]`: `BodyHasher` throughput over a 64 MiB buffer in
//!   1 MiB chunks (xtask interleaves it with `openssl speed`).
//! - `stream-rss --bytes N`: hashes N bytes generated on the fly through a
//!   `BodyHasher` in 1 MiB chunks, signs with the digest, and reports this
//!   process's peak resident memory (`VmHWM`).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use hmacsig::{Body, BodyHasher, Credentials, Header, RequestView, Scheme, SignedRequest, Signer, Verifier};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A fixed time for every signature, so outputs can be compared (2023-11-14T22:13:20Z).
const NOW: i64 = 1_700_000_000;
const KEY_ID: &str = "AKIDEXAMPLE";
/// AWS's documented example secret: not a real key.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const METHOD: &str = "POST";
const TARGET: &str = "/v1/orders?id=42";
const HOST: &str = "api.example.com";
const CHUNK: usize = 1 << 20;

type HmacSha256 = Hmac<Sha256>;

/// The small request of issue 6: a POST with a 200-byte JSON body and four
/// headers. `tests/bench/python/bench.py` builds the same one.
fn small_body() -> Vec<u8> {
    let head = r#"{"order_id":42,"customer":"c-1001","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"note":""#;
    let tail = r#""}"#;
    let pad = 200 - head.len() - tail.len();
    let body = format!("{head}{}{tail}", "x".repeat(pad));
    assert_eq!(body.len(), 200);
    body.into_bytes()
}

fn small_headers() -> Vec<Header> {
    vec![
        Header::new("Host", HOST),
        Header::new("Content-Type", "application/json"),
        Header::new("Content-Length", "200"),
        Header::new("X-Request-Id", "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"),
    ]
}

fn credentials() -> Arc<Credentials> {
    Arc::new(Credentials::new(KEY_ID.into(), SECRET.as_bytes().to_vec()))
}

fn api_auth_signer() -> Signer {
    let scheme = Scheme::api_auth("sha256".into(), vec![], None).expect("api-auth sha256 is offered");
    Signer::new(scheme, credentials())
}

/// The floor: what any signer must at least do for this request.
fn floor(secret: &[u8], string_to_sign: &[u8], body: &[u8]) -> ([u8; 32], [u8; 32]) {
    let body_hash: [u8; 32] = Sha256::digest(body).into();
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(string_to_sign);
    (body_hash, mac.finalize().into_bytes().into())
}

/// The floor with the key schedule done once, as the core keeps it per
/// credentials: a clone of an HMAC already keyed with the secret.
fn keyed_floor(keyed: &HmacSha256, string_to_sign: &[u8], body: &[u8]) -> ([u8; 32], [u8; 32]) {
    let body_hash: [u8; 32] = Sha256::digest(body).into();
    let mut mac = keyed.clone();
    mac.update(string_to_sign);
    (body_hash, mac.finalize().into_bytes().into())
}

/// Per-call nanoseconds of one batch of `calls` calls of `f`.
fn batch(calls: u64, f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        f();
    }
    start.elapsed().as_nanos() as f64 / calls as f64
}

/// How many calls of `f` take about `target`.
fn calibrate(target: Duration, f: &mut dyn FnMut()) -> u64 {
    // First calls pay for lazy set-up; keep them out of the estimate.
    for _ in 0..20 {
        f();
    }
    let mut calls = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        let took = start.elapsed();
        if took >= target / 4 || calls >= 1 << 30 {
            let per_call = took.as_nanos().max(1) as f64 / calls as f64;
            return ((target.as_nanos() as f64 / per_call) as u64).max(1);
        }
        calls *= 4;
    }
}

/// A timed case: its name, what it measures, and one call.
type Case<'a> = (&'a str, &'a str, Box<dyn FnMut() + 'a>);

/// Runs the named cases round by round, one batch of each per round, in
/// rotating order; returns each case's per-batch samples.
fn interleaved(rounds: usize, batch_time: Duration, cases: &mut [Case<'_>]) -> Value {
    let calls: Vec<u64> = cases.iter_mut().map(|(_, _, f)| calibrate(batch_time, f.as_mut())).collect();
    // Warm-up: one batch each, discarded.
    for ((_, _, f), &n) in cases.iter_mut().zip(&calls) {
        batch(n, f.as_mut());
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            samples[i].push(batch(calls[i], cases[i].2.as_mut()));
        }
    }
    let mut out = serde_json::Map::new();
    for (((name, what, _), n), s) in cases.iter().zip(&calls).zip(samples) {
        out.insert((*name).to_owned(), json!({"what": what, "calls_per_batch": n, "samples_ns": s}));
    }
    Value::Object(out)
}

fn micro(rounds: usize, batch_time: Duration) -> Value {
    let body = small_body();
    let headers = small_headers();
    let secret = SECRET.as_bytes();

    // api-auth: sign, verify, and the floor over the same string-to-sign.
    let signer = api_auth_signer();
    let signed = signer.sign(METHOD.into(), TARGET.into(), headers.clone(), &body, Some(NOW)).expect("the small request signs");
    let string_to_sign = signed.string_to_sign.clone();
    let mut verify_headers = headers.clone();
    verify_headers.extend(signed.headers.iter().cloned());
    let scheme = Scheme::api_auth("sha256".into(), vec![], None).expect("api-auth sha256 is offered");
    let verifier = Verifier::with_keys(scheme, HashMap::from([(KEY_ID.to_owned(), secret.to_vec())]), None, None).expect("verifier");
    let verified = verifier.verify(METHOD.into(), TARGET.into(), verify_headers.clone(), &body, Some(NOW)).expect("own signature verifies");
    assert_eq!(verified, KEY_ID);
    // A key store's secret (made by the store) and an in-memory verifier
    // holding the same one: the store's warm cache against the plain map.
    let store_dir = std::env::temp_dir().join(format!("hmacsig-bench-{}", std::process::id()));
    std::fs::create_dir_all(&store_dir).expect("a temporary directory");
    let store = hmacsig::KeyStore::open(
        format!("sqlite:{}", store_dir.join("keys.db").display()),
        Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into()),
    )
    .expect("a key store");
    let store_secret = store.create(KEY_ID.into()).expect("a key");
    let store_scheme = Scheme::api_auth("sha256".into(), vec![], None).expect("api-auth sha256 is offered");
    let store_signer = Signer::new(store_scheme.clone(), Arc::new(Credentials::new(KEY_ID.into(), store_secret.as_bytes().to_vec())));
    let mut store_headers = headers.clone();
    store_headers.extend(store_signer.sign(METHOD.into(), TARGET.into(), headers.clone(), &body, Some(NOW)).expect("signs").headers);
    let with_store = Verifier::with_store(store_scheme.clone(), store, None, None).expect("verifier");
    let same_keys =
        Verifier::with_keys(store_scheme, HashMap::from([(KEY_ID.to_owned(), store_secret.into_bytes())]), None, None).expect("verifier");
    let store_request = RequestView { method: METHOD, target: TARGET, headers: &store_headers, body: Body::Bytes(&body) };
    assert_eq!(with_store.verify_view(&store_request, Some(NOW)).expect("the store verifies"), KEY_ID);
    assert_eq!(same_keys.verify_view(&store_request, Some(NOW)).expect("the map verifies"), KEY_ID);
    // The floor's MAC is the signature itself: proof it does the same work.
    let (_, mac) = floor(secret, &string_to_sign, &body);
    let keyed = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    assert_eq!(keyed_floor(&keyed, &string_to_sign, &body), floor(secret, &string_to_sign, &body));
    let authorization = &signed.headers.iter().find(|h| h.name == "Authorization").expect("Authorization").value;
    assert!(authorization.ends_with(&BASE64.encode(mac)), "the floor's HMAC must be the api-auth signature");

    // sign_into reuses one output; it must hold exactly what sign gives.
    let mut reused = SignedRequest { headers: vec![], string_to_sign: vec![], url: None };
    let request = RequestView { method: METHOD, target: TARGET, headers: &headers, body: Body::Bytes(&body) };
    signer.sign_into(&request, Some(NOW), &mut reused).expect("the small request signs into");
    assert_eq!(reused, signed, "sign_into must give what sign gives");
    let api_auth = interleaved(
        rounds,
        batch_time,
        &mut [
            (
                "core_sign",
                "hmacsig::Signer::sign_into (api-auth, HMAC-SHA256) of the small request, its parts borrowed as the floor's are, into one reused SignedRequest",
                Box::new(|| {
                    let request = RequestView { method: METHOD, target: TARGET, headers: &headers, body: Body::Bytes(&body) };
                    black_box(signer.sign_into(black_box(&request), Some(NOW), &mut reused)).ok();
                    black_box(&reused);
                }),
            ),
            (
                "core_sign_view",
                "hmacsig::Signer::sign_view (api-auth, HMAC-SHA256) of the small request, its parts borrowed, a new SignedRequest per call",
                Box::new(|| {
                    let request = RequestView { method: METHOD, target: TARGET, headers: &headers, body: Body::Bytes(&body) };
                    black_box(signer.sign_view(black_box(&request), Some(NOW))).ok();
                }),
            ),
            (
                "core_sign_owned",
                "hmacsig::Signer::sign (api-auth, HMAC-SHA256) of the small request, with the owned arguments the generated bindings pass (the method, target and headers copied per call)",
                Box::new(|| {
                    black_box(signer.sign(
                        black_box(METHOD).into(),
                        black_box(TARGET).into(),
                        black_box(&headers).clone(),
                        black_box(&body),
                        Some(NOW),
                    ))
                    .ok();
                }),
            ),
            (
                "core_verify",
                "hmacsig::Verifier::verify_view (api-auth, HMAC-SHA256, keys in memory) of the signed small request, its parts borrowed as the floor's are (what the language layers' C entry calls)",
                Box::new(|| {
                    let request = RequestView { method: METHOD, target: TARGET, headers: &verify_headers, body: Body::Bytes(&body) };
                    black_box(verifier.verify_view(black_box(&request), Some(NOW))).ok();
                }),
            ),
            (
                "core_verify_owned",
                "hmacsig::Verifier::verify (api-auth, HMAC-SHA256, keys in memory) of the signed small request, with owned arguments (the method, target and headers copied per call)",
                Box::new(|| {
                    black_box(verifier.verify(
                        black_box(METHOD).into(),
                        black_box(TARGET).into(),
                        black_box(&verify_headers).clone(),
                        black_box(&body),
                        Some(NOW),
                    ))
                    .ok();
                }),
            ),
            (
                "core_verify_with_store",
                "hmacsig::Verifier::verify_view, with_store (SQLite key store, warm cache), of a request signed with the store's secret",
                Box::new(|| {
                    black_box(with_store.verify_view(black_box(&store_request), Some(NOW))).ok();
                }),
            ),
            (
                "core_verify_with_keys_same_secret",
                "hmacsig::Verifier::verify_view, with_keys holding the store's secret, of the same request",
                Box::new(|| {
                    black_box(same_keys.verify_view(black_box(&store_request), Some(NOW))).ok();
                }),
            ),
            (
                "floor",
                "bare HMAC-SHA256 (hmac 0.13 + sha2 0.11) over the same string-to-sign, plus SHA-256 of the same body",
                Box::new(|| {
                    black_box(floor(black_box(secret), black_box(&string_to_sign), black_box(&body)));
                }),
            ),
            (
                "keyed_floor",
                "the floor with the key schedule done once: a clone of an HMAC-SHA256 (hmac 0.13) already keyed with the secret, over the same string-to-sign, plus SHA-256 of the same body",
                Box::new(|| {
                    black_box(keyed_floor(black_box(&keyed), black_box(&string_to_sign), black_box(&body)));
                }),
            ),
        ],
    );

    // aws-sigv4: the core against AWS's own signer, same request, same time.
    let sigv4_scheme =
        Scheme::aws_sigv4("us-east-1".into(), "execute-api".into(), None, false, true, true, false, None, 3600).expect("sigv4 scheme");
    let sigv4 = Signer::new(sigv4_scheme, credentials());
    let ours = sigv4.sign(METHOD.into(), TARGET.into(), headers.clone(), &body, Some(NOW)).expect("sigv4 signs");
    let ours_auth = ours.headers.iter().find(|h| h.name == "Authorization").expect("Authorization").value.clone();
    let identity = aws_credential_types::Credentials::new(KEY_ID, SECRET, None, None, "hmacsig-bench").into();
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW as u64);
    let params: aws_sigv4::http_request::SigningParams<'_> = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("execute-api")
        .time(time)
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .expect("aws signing params")
        .into();
    let uri = format!("https://{HOST}{TARGET}");
    let aws_sign = |headers: &[Header], body: &[u8]| {
        let request = aws_sigv4::http_request::SignableRequest::new(
            METHOD,
            uri.as_str(),
            headers.iter().map(|h| (h.name.as_str(), h.value.as_str())),
            aws_sigv4::http_request::SignableBody::Bytes(body),
        )
        .expect("signable request");
        aws_sigv4::http_request::sign(request, &params).expect("aws signs")
    };
    let theirs = aws_sign(&headers, &body);
    let theirs_signature = theirs.signature().to_owned();
    assert!(
        ours_auth.ends_with(&format!("Signature={theirs_signature}")),
        "hmacsig and aws-sigv4 must sign the same request identically: {ours_auth} vs Signature={theirs_signature}"
    );
    let sigv4_cases = interleaved(
        rounds,
        batch_time,
        &mut [
            (
                "core_sigv4_sign",
                "hmacsig::Signer::sign_view (aws-sigv4, header signature) of the small request, its parts borrowed as the aws-sigv4 crate's are",
                Box::new(|| {
                    let request = RequestView { method: METHOD, target: TARGET, headers: &headers, body: Body::Bytes(&body) };
                    black_box(sigv4.sign_view(black_box(&request), Some(NOW))).ok();
                }),
            ),
            (
                "aws_sigv4_crate_sign",
                "aws_sigv4 1.3.8 http_request::sign (SignableRequest::new + sign, default settings) of the same request at the same time",
                Box::new(|| {
                    black_box(aws_sign(black_box(&headers), black_box(&body)));
                }),
            ),
        ],
    );
    let mut all = api_auth.as_object().cloned().unwrap_or_default();
    all.extend(sigv4_cases.as_object().cloned().unwrap_or_default());
    all.insert("same_sigv4_signature".into(), json!(true));
    all.insert("floor_equals_api_auth_signature".into(), json!(true));
    drop((with_store, same_keys));
    let _ = std::fs::remove_dir_all(&store_dir);
    Value::Object(all)
}

/// Fills `buf` with bytes that vary (so nothing can shortcut a constant body).
fn fill(buf: &mut [u8], seed: u64) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for b in buf.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

fn stream(seconds: f64) -> Value {
    let mut buf = vec![0u8; 64 << 20];
    fill(&mut buf, 1);
    // Warm-up pass (page faults, CPU frequency).
    let warm = BodyHasher::new(None);
    for chunk in buf.chunks(CHUNK) {
        warm.update(chunk).expect("update");
    }
    warm.finish().expect("finish");
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut bytes = 0u64;
    while start.elapsed() < budget {
        let hasher = BodyHasher::new(None);
        for chunk in buf.chunks(CHUNK) {
            hasher.update(black_box(chunk)).expect("update");
        }
        let digest = hasher.finish().expect("finish");
        bytes += digest.length;
        black_box(digest);
    }
    let ns = start.elapsed().as_nanos() as f64;
    json!({"what": "hmacsig::BodyHasher (SHA-256) over a 64 MiB buffer in 1 MiB chunks", "bytes": bytes, "ns": ns, "bytes_per_sec": bytes as f64 / ns * 1e9})
}

/// This process's peak resident set, in KiB (`VmHWM` in /proc/self/status).
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn stream_rss(total: u64) -> Value {
    let start = Instant::now();
    let mut chunk = vec![0u8; CHUNK];
    fill(&mut chunk, 7);
    let hasher = BodyHasher::new(None);
    let mut left = total;
    let mut index = 0u64;
    while left > 0 {
        // Generated on the fly: each chunk differs, and none is kept.
        chunk[..8].copy_from_slice(&index.to_le_bytes());
        let n = left.min(CHUNK as u64) as usize;
        hasher.update(&chunk[..n]).expect("update");
        left -= n as u64;
        index += 1;
    }
    let digest = hasher.finish().expect("finish");
    assert_eq!(digest.length, total);
    let signed = api_auth_signer()
        .sign_with_body_digest(METHOD.into(), TARGET.into(), small_headers(), digest, Some(NOW))
        .expect("signs with the streamed digest");
    let authorization = signed.headers.iter().any(|h| h.name == "Authorization");
    json!({
        "what": "a fresh process hashing N generated bytes through hmacsig::BodyHasher in 1 MiB chunks, then Signer::sign_with_body_digest (api-auth)",
        "bytes": total,
        "signed": authorization,
        "elapsed_ns": start.elapsed().as_nanos() as f64,
        "vm_hwm_kib": vm_hwm_kib(),
    })
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} needs a number")),
    }
}

fn run(args: &[String]) -> Result<Value, String> {
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("micro") => {
            let rounds = arg(rest, "--rounds", 41usize)?;
            let batch_ms = arg(rest, "--batch-ms", 10u64)?;
            Ok(micro(rounds.max(1), Duration::from_millis(batch_ms.max(1))))
        }
        Some("stream") => Ok(stream(arg(rest, "--seconds", 1.0f64)?)),
        Some("stream-rss") => Ok(stream_rss(arg(rest, "--bytes", 1u64 << 30)?)),
        _ => Err("usage: hmacsig-bench micro [--rounds N] [--batch-ms MS] | stream [--seconds S] | stream-rss [--bytes N]".into()),
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(value) => {
            println!("{value}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hmacsig-bench: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_request_is_as_specified() {
        assert_eq!(small_body().len(), 200);
        assert_eq!(small_headers().len(), 4);
        assert!(std::str::from_utf8(&small_body()).unwrap().starts_with('{'));
    }
}
