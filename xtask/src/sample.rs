//! A shared random sample: the same seeded requests signed and verified in
//! every language, for every scheme. Each language must give the Rust
//! runner's results field for field, every signed request must verify, and
//! every tampered one must be refused.

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
    ]
}

fn sign_cases() -> Vec<Value> {
    let mut rng = Rng(0x5A_3B1E);
    let mut cases = Vec::new();
    for scheme in schemes() {
        let name = scheme["name"].as_str().unwrap_or("").to_owned();
        for i in 0..PER_SCHEME {
            let method = ["GET", "POST", "PUT", "PATCH", "DELETE"][rng.below(5)];
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

/// For each signed case: the signed request (must verify) and a tampered
/// copy (one path character changed: must be refused).
fn verify_cases(signs: &[Value], signed: &[Value]) -> Result<Vec<(Value, bool)>> {
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
        request["headers"] = Value::Array(headers);
        let verify = |id: String, request: Value| json!({"id": id, "op": "verify", "scheme": case["scheme"], "request": request, "credentials": case["credentials"], "now": case["now"]});
        out.push((verify(format!("{}/verify", case["id"].as_str().unwrap_or("")), request.clone()), true));
        let target = request["target"].as_str().unwrap_or("").to_owned();
        let slash = target.rfind('/').unwrap_or(0);
        let mut tampered_target = target.clone();
        let c = tampered_target.as_bytes()[slash + 1];
        tampered_target.replace_range(slash + 1..slash + 2, if c == b'z' { "y" } else { "z" });
        request["target"] = json!(tampered_target);
        out.push((verify(format!("{}/tampered", case["id"].as_str().unwrap_or("")), request), false));
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
    for (i, (case, should_verify)) in verifies.iter().enumerate() {
        let result = &reference[signs.len() + i];
        if (result["ok"] == true) == *should_verify {
            counts.passed += 1;
        } else {
            log(format!("FAIL sample {}: expected {}, got {result}", case["id"], if *should_verify { "accepted" } else { "refused" }));
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
