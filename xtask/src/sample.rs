//! A shared random sample: the same seeded requests signed and verified in
//! every language, for every scheme. Each language must give the Rust
//! runner's results field for field, every signed request must verify, and
//! each change of the tamper matrix must give the kind it names (`verify_cases`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::conformance::{comparable, run_runner};
use crate::util::{Counts, Result, log};

const PER_SCHEME: usize = 25;
const NOW: i64 = 1_700_000_000;

/// SplitMix64: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn word(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-._~";
        (0..1 + self.below(len)).map(|_| CHARS[self.below(CHARS.len())] as char).collect()
    }
}

fn schemes() -> Vec<Value> {
    vec![
        json!({"name": "api-auth", "digest": "sha256", "headers_to_sign": ["X-Request-Id"]}),
        json!({"name": "api-auth"}),
        json!({"name": "path-body-hex"}),
        json!({"name": "path-body-hex", "digest": "sha256"}),
        json!({"name": "timestamped"}),
        json!({"name": "timestamped", "header_style": "authorization", "lowercase_url": true}),
        json!({"name": "aws-sigv4", "region": "us-east-1", "service": "service", "sign_body": true}),
        json!({"name": "aws-sigv4", "region": "eu-west-1", "service": "s3", "signature_type": "query", "normalize": false, "double_uri_encode": false}),
        json!({"name": "rfc9421", "components": ["@method", "@target-uri", "content-type", "x-request-id"], "content_digest": "sha-256", "include_alg": true}),
        json!({"name": "kong-hmac", "headers": ["date", "@request-target", "x-request-id", "digest"], "digest": true}),
        json!({"name": "kong-hmac", "algorithm": "hmac-sha512", "headers": ["x-date", "request-line"], "header_name": "proxy-authorization"}),
        json!({"name": "hawk", "nonce": "sample-nonce", "ext": "sample ext"}),
        json!({"name": "hawk", "algorithm": "sha1", "nonce": "n", "signature_type": "bewit", "ttl": 600}),
    ]
}

/// The policy a scheme of the sample is verified with (none: its defaults).
fn policy(scheme: &Value) -> Value {
    match scheme["name"].as_str() {
        // The signed Digest checked against the body.
        Some("kong-hmac") if scheme["digest"] == true => json!({"validate_request_body": true}),
        _ => Value::Null,
    }
}

fn is_bewit(scheme: &Value) -> bool {
    scheme["signature_type"] == "bewit"
}

fn sign_cases() -> Vec<Value> {
    let mut rng = Rng(0x5A_3B1E);
    let mut cases = Vec::new();
    for scheme in schemes() {
        let name = scheme["name"].as_str().unwrap_or("").to_owned();
        for i in 0..PER_SCHEME {
            let method = ["GET", "POST", "PUT", "PATCH", "DELETE"][rng.below(5)];
            // A bewit authorizes a GET.
            let method = if is_bewit(&scheme) { "GET" } else { method };
            let mut target = format!("/{}/{}", rng.word(8), rng.word(8));
            if rng.below(2) == 0 {
                target = format!("{target}?{}={}&{}={}", rng.word(4), rng.word(6), rng.word(4), rng.word(6));
            }
            if name == "timestamped" {
                target = format!("https://api.example.com{target}");
            }
            let body: Vec<u8> =
                if ["POST", "PUT", "PATCH"].contains(&method) { (0..rng.below(64)).map(|_| rng.next() as u8).collect() } else { vec![] };
            cases.push(json!({
                "id": format!("sample-{name}-{i}"),
                "op": "sign",
                "scheme": scheme,
                "request": {"method": method, "target": target, "body_b64": BASE64.encode(&body),
                    "headers": [["Content-Type", "application/octet-stream"], ["X-Request-Id", rng.word(10)], ["Host", "api.example.com"]]},
                "credentials": {"key_id": format!("key-{}", rng.word(5)), "secret_b64": BASE64.encode((0..32).map(|_| rng.next() as u8).collect::<Vec<_>>())},
                "now": NOW + rng.below(1000) as i64,
            }));
        }
    }
    cases
}

/// What each tamper of the matrix gives for `scheme` (`ok`: still verifies).
struct Kinds {
    /// Another method: path-body-hex does not sign it (within methods that carry a body); a
    /// bewit authorizes GET and HEAD only.
    method: &'static str,
    /// X-Request-Id changed: signed by the sample's api-auth with `headers_to_sign`, aws-sigv4,
    /// rfc9421 and the first kong-hmac.
    request_id: &'static str,
    /// One body byte flipped: `body_mismatch` where a signed hash of the body is compared
    /// (hawk's payload hash; kong-hmac's Digest with `validate_request_body`), `ok` where the
    /// body is not signed (the second kong-hmac, as Kong).
    body: &'static str,
    /// Verified 100,000 s later: `stale` where the scheme has a time.
    late: &'static str,
}

fn kinds(scheme: &Value) -> Kinds {
    let name = scheme["name"].as_str().unwrap_or("");
    let signs_request_id = name == "aws-sigv4"
        || name == "rfc9421"
        || scheme["headers_to_sign"].is_array()
        || scheme["headers"].as_array().is_some_and(|h| h.iter().any(|n| n == "x-request-id"));
    Kinds {
        method: match name {
            "path-body-hex" => "ok",
            _ if is_bewit(scheme) => "invalid_request",
            _ => "bad_signature",
        },
        request_id: if signs_request_id { "bad_signature" } else { "ok" },
        body: match name {
            "api-auth" | "rfc9421" | "hawk" => "body_mismatch",
            "aws-sigv4" if scheme["sign_body"] == true => "body_mismatch",
            "kong-hmac" if scheme["digest"] == true => "body_mismatch",
            "kong-hmac" => "ok",
            _ => "bad_signature",
        },
        late: if name == "path-body-hex" { "ok" } else { "stale" },
    }
}

/// For each signed case: the signed request (must verify) and the tamper matrix, each with
/// the kind it must give: a path character, the method, X-Request-Id, a body byte, an added
/// unsigned header, a clock 100,000 s later.
fn verify_cases(signs: &[Value], signed: &[Value]) -> Result<Vec<(Value, &'static str)>> {
    let mut out = Vec::new();
    for (case, result) in signs.iter().zip(signed) {
        if result["ok"] != true {
            return Err(format!("the Rust runner could not sign {}: {result}", case["id"]));
        }
        let mut request = case["request"].clone();
        if let Some(url) = result["url"].as_str() {
            request["target"] = json!(url); // a presigned URL carries its signature
        }
        let mut headers = request["headers"].as_array().cloned().unwrap_or_default();
        headers.extend(result["headers"].as_array().cloned().unwrap_or_default());
        request["headers"] = Value::Array(headers.clone());
        let id = case["id"].as_str().unwrap_or("").to_owned();
        let now = case["now"].as_i64().unwrap_or(NOW);
        let policy = policy(&case["scheme"]);
        let verify = |what: &str, request: &Value, now: i64| {
            let mut case = json!({"id": format!("{id}/{what}"), "op": "verify", "scheme": case["scheme"], "request": request, "credentials": case["credentials"], "now": now});
            if !policy.is_null() {
                case["policy"] = policy.clone();
            }
            case
        };
        let expect = kinds(&case["scheme"]);
        out.push((verify("verify", &request, now), "ok"));

        let target = request["target"].as_str().unwrap_or("").to_owned();
        let slash = target.rfind('/').unwrap_or(0);
        let mut tampered_target = target.clone();
        let c = tampered_target.as_bytes()[slash + 1];
        tampered_target.replace_range(slash + 1..slash + 2, if c == b'z' { "y" } else { "z" });
        let changed = |key: &str, value: Value| {
            let mut r = request.clone();
            r[key] = value;
            r
        };
        out.push((verify("tampered-path", &changed("target", json!(tampered_target)), now), "bad_signature"));

        let method = request["method"].as_str().unwrap_or("");
        // Within methods that carry a body (path-body-hex signs the body of those only).
        let other = if ["POST", "PUT", "PATCH"].contains(&method) {
            if method == "PUT" { "POST" } else { "PUT" }
        } else if method == "GET" {
            "DELETE"
        } else {
            "GET"
        };
        out.push((verify("tampered-method", &changed("method", json!(other)), now), expect.method));

        let retouched: Vec<Value> = headers
            .iter()
            .map(|h| match (h[0].as_str(), h[1].as_str()) {
                (Some(name), Some(value)) if name.eq_ignore_ascii_case("X-Request-Id") => json!([name, format!("{value}x")]),
                _ => h.clone(),
            })
            .collect();
        out.push((verify("tampered-request-id", &changed("headers", Value::Array(retouched)), now), expect.request_id));

        let mut body = BASE64.decode(request["body_b64"].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
        if let Some(first) = body.first_mut() {
            *first ^= 1;
            out.push((verify("tampered-body", &changed("body_b64", json!(BASE64.encode(&body))), now), expect.body));
        }

        let mut added = headers.clone();
        added.push(json!(["X-Not-Signed", "1"]));
        out.push((verify("unsigned-header-added", &changed("headers", Value::Array(added)), now), "ok"));

        out.push((verify("late", &request, now + 100_000), expect.late));
    }
    Ok(out)
}

pub fn check(langs: &[&str]) -> Result<Counts> {
    let signs = sign_cases();
    let signed = run_runner("rust", &Value::Array(signs.clone()))?;
    let verifies = verify_cases(&signs, &signed)?;
    let mut cases = signs.clone();
    cases.extend(verifies.iter().map(|(c, _)| c.clone()));
    let all = Value::Array(cases.clone());
    let reference = run_runner("rust", &all)?;
    let mut counts = Counts::default();
    for (i, (case, want)) in verifies.iter().enumerate() {
        let result = &reference[signs.len() + i];
        let got = if result["ok"] == true { "ok" } else { result["error"].as_str().unwrap_or("?") };
        if got == *want {
            counts.passed += 1;
        } else {
            log(format!("FAIL sample {}: expected {want}, got {result}", case["id"]));
            counts.failed += 1;
        }
    }
    for lang in langs.iter().filter(|l| **l != "rust") {
        let results = match run_runner(lang, &all) {
            Ok(r) => r,
            Err(e) => {
                log(format!("FAIL sample {lang}: {e}"));
                counts.failed += cases.len() as u64;
                continue;
            }
        };
        let mut agree = Counts::default();
        for (i, case) in cases.iter().enumerate() {
            match (reference.get(i), results.get(i)) {
                (Some(r), Some(mine)) if comparable(r) == comparable(mine) => agree.passed += 1,
                (r, mine) => {
                    log(format!("FAIL sample {lang} {}: {mine:?} vs rust {r:?}", case["id"]));
                    agree.failed += 1;
                }
            }
        }
        log(format!("sample {lang} agrees with rust: {} passed, {} failed", agree.passed, agree.failed));
        counts += agree;
    }
    log(format!("shared sample: {} cases over {} schemes", cases.len(), schemes().len()));
    Ok(counts)
}
