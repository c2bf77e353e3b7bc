//! The public api-auth vectors (`tests/vectors/api-auth/vectors.json`, made
//! by running the real gem) as conformance cases, run through every runner.
//!
//! Each case gets an expectation taken from the gem's own output. Where this
//! library is documented as stricter than the gem (README, "Stricter than the
//! gem"), the expectation comes from one of the rules in [`stricter_verdict`],
//! never from a list of case ids, so every deviation has a stated reason.
//! Then every language must agree with the Rust runner, field for field.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use crate::util::{Counts, Result, log, run_capture, target_dir, vectors_dir};

/// What a runner must answer for one case.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Exactly these headers (names compared case-insensitively, in order),
    /// string-to-sign, and presigned URL (`None`: no `url` in the result).
    Signed { headers: Vec<(String, String)>, string_to_sign: String, url: Option<String> },
    /// This `Authorization` value (last header) and string-to-sign; other added
    /// headers are not checked (suites that do not list them).
    SignedAuthorization { authorization: String, string_to_sign: String },
    /// This `Signature-Input` (RFC 9421) and string-to-sign; the signature
    /// value is not checked (the RFC's examples that use public-key algorithms).
    SignedInput { signature_input: String, string_to_sign: String },
    /// Accepted, with this key id.
    KeyId(String),
    /// Refused, with any error kind (the gem returned false or raised).
    Refused,
    /// Refused with this kind, where the gem accepted or signed: a documented stricter verdict.
    Stricter { kind: &'static str, why: &'static str },
    /// The `expect` object of a `{case, expect}` file (`case_files`).
    Contract(Value),
}

const SHA_DIGESTS: [&str; 5] = ["sha1", "sha224", "sha256", "sha384", "sha512"];

pub struct Case {
    pub json: Value,
    pub expect: Expect,
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Net::HTTP's header table for a sign input: `headers` (initheader) and
/// `raw_headers` (`req[k] = v`) replace by case-insensitive name, keeping the
/// first position; `extra_fields` (`add_field`) append another value.
fn net_http_headers(input: &Value) -> Vec<Value> {
    let mut table: Vec<(String, String, Vec<String>)> = Vec::new();
    let pairs = |key: &str| input.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    for (key, append) in [("headers", false), ("raw_headers", false), ("extra_fields", true)] {
        for pair in pairs(key) {
            let (name, value) = (pair[0].as_str().unwrap_or(""), pair[1].as_str().unwrap_or(""));
            let lower = name.to_ascii_lowercase();
            match table.iter_mut().find(|(l, _, _)| *l == lower) {
                Some((_, _, values)) if append => values.push(value.to_owned()),
                Some((_, _, values)) => *values = vec![value.to_owned()],
                None => table.push((lower, name.to_owned(), vec![value.to_owned()])),
            }
        }
    }
    table.into_iter().flat_map(|(_, name, values)| values.into_iter().map(move |v| json!([name, v]))).collect()
}

/// The headers Net::HTTP held when `sign!` ran: its view after signing
/// (which has its defaults such as `Accept: */*`, signable through
/// `headers_to_sign`) less what `sign!` added, with changed headers restored
/// from the input. Without an output (the gem refused), the input's table.
fn headers_before_sign(entry: &Value) -> Vec<Value> {
    let out = &entry["output"];
    let Some(view) = out["final_headers"].as_object() else { return net_http_headers(&entry["input"]) };
    let added = out["headers_added"].as_object().cloned().unwrap_or_default();
    let changed = out["headers_changed"].as_object().cloned().unwrap_or_default();
    let original = net_http_headers(&entry["input"]);
    let mut pairs = Vec::new();
    for (name, values) in view {
        if added.contains_key(name) {
            continue;
        }
        if changed.contains_key(name) {
            pairs.extend(original.iter().filter(|p| p[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name))).cloned());
            continue;
        }
        pairs.extend(values.as_array().into_iter().flatten().map(|v| json!([name, v])));
    }
    pairs
}

/// A Net::HTTP view (lower-case name -> values) as ordered pairs.
fn pairs_from_view(view: &Value) -> Vec<Value> {
    view.as_object()
        .map(|m| m.iter().flat_map(|(name, values)| values.as_array().into_iter().flatten().map(move |v| json!([name, v]))).collect())
        .unwrap_or_default()
}

fn scheme_from(options: &Value, verify: bool) -> Value {
    let mut scheme = Map::new();
    scheme.insert("name".into(), "api-auth".into());
    if !verify && let Some(d) = options.get("digest") {
        scheme.insert("digest".into(), d.clone());
    }
    if let Some(h) = options.get("headers_to_sign") {
        scheme.insert("headers_to_sign".into(), h.clone());
    }
    if let Some(m) = options.get("override_http_method").filter(|m| !m.is_null()) {
        scheme.insert("override_method".into(), m.clone());
    }
    Value::Object(scheme)
}

fn policy_from(options: &Value) -> Value {
    let mut policy = Map::new();
    for key in ["clock_skew", "digest", "headers_to_sign"] {
        if let Some(v) = options.get(key) {
            policy.insert(key.into(), v.clone());
        }
    }
    if let Some(m) = options.get("override_http_method").filter(|m| !m.is_null()) {
        policy.insert("override_method".into(), m.clone());
    }
    Value::Object(policy)
}

fn header<'a>(headers: &'a [Value], name: &str) -> Option<&'a str> {
    headers.iter().find(|p| p[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name))).and_then(|p| p[1].as_str())
}

/// The gem's access id (the key the server looks the secret up by).
fn gem_access_id(authorization: &str) -> Option<String> {
    let at = authorization.find("APIAuth")?;
    let rest = &authorization[at..];
    let space = rest.find(' ')?;
    let after = &rest[space + 1..];
    after.find(':').map(|c| after[..c].to_owned())
}

/// Where this library deliberately refuses what the gem accepts, checked in
/// the order the verifier checks. Each rule is a documented stricter default.
fn stricter_verdict(request: &Value, policy: &Value) -> Option<Expect> {
    let pinned = s(policy, "digest").to_ascii_lowercase();
    if !pinned.is_empty() && !SHA_DIGESTS.contains(&pinned.as_str()) {
        return Some(Expect::Stricter { kind: "unsupported", why: "a policy can only pin a SHA-1 or SHA-2 digest" });
    }
    let headers = request["headers"].as_array().cloned().unwrap_or_default();
    let auth = header(&headers, "authorization").unwrap_or("");
    if auth.starts_with("APIAuth-HMAC-MD5 ") {
        return Some(Expect::Stricter { kind: "digest_not_allowed", why: "MD5 signatures are never accepted" });
    }
    let trusts_proxy = policy.get("trust_original_uri").and_then(Value::as_bool).unwrap_or(false);
    if let Some(original) = header(&headers, "x-original-uri")
        && !trusts_proxy
        && original != s(request, "target")
    {
        return Some(Expect::Stricter { kind: "bad_signature", why: "X-Original-URI is ignored unless a trusted proxy sets it" });
    }
    let body = BASE64.decode(s(request, "body_b64")).unwrap_or_default();
    match header(&headers, "x-authorization-content-sha256") {
        Some(hash) if hash != BASE64.encode(sha2::Sha256::digest(&body)) => {
            Some(Expect::Stricter { kind: "body_mismatch", why: "the content hash is checked for every method, not only POST/PUT/PATCH" })
        }
        None if !body.is_empty() => Some(Expect::Stricter { kind: "body_mismatch", why: "a body no content hash covers is refused" }),
        _ => None,
    }
}

fn verify_expectation(request: &Value, policy: &Value, gem_authentic: bool, key_id: &str) -> Expect {
    if !gem_authentic {
        return Expect::Refused;
    }
    stricter_verdict(request, policy).unwrap_or_else(|| Expect::KeyId(key_id.to_owned()))
}

fn cases_from_vectors(vectors: &Value) -> Vec<Case> {
    let mut cases = Vec::new();
    for entry in vectors["sign"].as_array().into_iter().flatten() {
        let id = s(entry, "id");
        let input = &entry["input"];
        let options = &input["sign_options"];
        let request = json!({
            "method": input["method"], "target": input["uri"],
            "headers": headers_before_sign(entry), "body_b64": s(input, "body_b64"),
        });
        let credentials = json!({"key_id": input["access_id"], "secret": input["secret"]});
        let digest = s(options, "digest");
        let expect = if entry["sign_error"].is_object() {
            Expect::Refused
        } else if !digest.is_empty() && !SHA_DIGESTS.contains(&digest.to_ascii_lowercase().as_str()) {
            Expect::Stricter { kind: "unsupported", why: "only SHA-1 and SHA-2 digests are offered (no MD5)" }
        } else {
            let out = &entry["output"];
            let mut headers: Vec<(String, String)> = Vec::new();
            for key in ["headers_added", "headers_changed"] {
                for (name, value) in out[key].as_object().into_iter().flatten() {
                    headers.push((name.clone(), value.as_str().unwrap_or("").to_owned()));
                }
            }
            Expect::Signed { headers, string_to_sign: s(out, "canonical_string").to_owned(), url: None }
        };
        let signed_ok = matches!(expect, Expect::Signed { .. });
        cases.push(Case {
            json: json!({"id": id, "op": "sign", "scheme": scheme_from(options, false), "request": request, "credentials": credentials, "now": input["clock_at_sign"]}),
            expect,
        });
        // The gem's verdict on the request it signed.
        if let (true, Some(verify)) = (signed_ok, entry["verify"].as_object()) {
            let out = &entry["output"];
            let request = json!({
                "method": input["method"], "target": out["net_http_path"],
                "headers": pairs_from_view(&out["final_headers"]), "body_b64": s(input, "body_b64"),
            });
            let verify = Value::Object(verify.clone());
            let policy = policy_from(&verify["options"]);
            let expect = verify_expectation(&request, &policy, verify["authentic"] == true, s(input, "access_id"));
            cases.push(Case {
                json: json!({"id": format!("{id}/verify"), "op": "verify", "scheme": scheme_from(&verify["options"], true), "request": request,
                    "credentials": credentials, "now": verify["clock_at_verify"], "policy": policy}),
                expect,
            });
        }
    }
    for entry in vectors["verify"].as_array().into_iter().flatten() {
        let r = &entry["request"];
        let request =
            json!({"method": r["method"], "target": r["path"], "headers": pairs_from_view(&r["headers"]), "body_b64": s(r, "body_b64")});
        let auth = header(request["headers"].as_array().map(Vec::as_slice).unwrap_or(&[]), "authorization").unwrap_or("").to_owned();
        // The gem looks the secret up by the access id the request claims.
        let key_id = gem_access_id(&auth).unwrap_or_default();
        let policy = policy_from(&entry["options"]);
        let expect = verify_expectation(&request, &policy, entry["authentic"] == true, &key_id);
        cases.push(Case {
            json: json!({"id": entry["id"], "op": "verify", "scheme": scheme_from(&entry["options"], true), "request": request,
                "credentials": {"key_id": key_id, "secret": entry["secret"]}, "now": entry["clock_at_verify"], "policy": policy}),
            expect,
        });
    }
    for entry in vectors["access_id"].as_array().into_iter().flatten() {
        let headers: Vec<Value> = entry["authorization"].as_str().map(|a| vec![json!(["Authorization", a])]).unwrap_or_default();
        let expect = match entry["access_id"].as_str() {
            Some(k) => Expect::KeyId(k.to_owned()),
            None => Expect::Refused,
        };
        cases.push(Case {
            json: json!({"id": entry["id"], "op": "key_id", "scheme": {"name": "api-auth"}, "request": {"method": "GET", "target": "/", "headers": headers}}),
            expect,
        });
    }
    cases
}

/// Why `result` does not meet `expect`, if it does not.
fn mismatch(expect: &Expect, result: &Value) -> Option<String> {
    let ok = result["ok"] == true;
    match expect {
        Expect::Signed { .. } | Expect::SignedAuthorization { .. } | Expect::SignedInput { .. } if !ok => {
            Some(format!("expected a signature, got {} ({})", s(result, "error"), s(result, "message")))
        }
        Expect::Signed { headers, string_to_sign, url } => {
            let got: Vec<(String, String)> = result["headers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| (p[0].as_str().unwrap_or("").to_ascii_lowercase(), p[1].as_str().unwrap_or("").to_owned()))
                .collect();
            let expected: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())).collect();
            if got != expected {
                return Some(format!("headers {got:?}, expected {expected:?}"));
            }
            if result["url"].as_str() != url.as_deref() {
                return Some(format!("url {}, expected {url:?}", result["url"]));
            }
            (s(result, "string_to_sign") != string_to_sign)
                .then(|| format!("string_to_sign {:?}, expected {string_to_sign:?}", s(result, "string_to_sign")))
        }
        Expect::SignedAuthorization { authorization, string_to_sign } => {
            let last = result["headers"].as_array().and_then(|h| h.last()).cloned().unwrap_or(Value::Null);
            if last[0].as_str().map(str::to_ascii_lowercase).as_deref() != Some("authorization") || last[1].as_str() != Some(authorization)
            {
                return Some(format!("Authorization {last}, expected {authorization:?}"));
            }
            (s(result, "string_to_sign") != string_to_sign)
                .then(|| format!("string_to_sign {:?}, expected {string_to_sign:?}", s(result, "string_to_sign")))
        }
        Expect::SignedInput { signature_input, string_to_sign } => {
            let input = result["headers"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case("signature-input")));
            if input.and_then(|h| h[1].as_str()) != Some(signature_input) {
                return Some(format!("Signature-Input {input:?}, expected {signature_input:?}"));
            }
            (s(result, "string_to_sign") != string_to_sign)
                .then(|| format!("string_to_sign {:?}, expected {string_to_sign:?}", s(result, "string_to_sign")))
        }
        Expect::KeyId(k) => (!ok || s(result, "key_id") != k).then(|| format!("expected key id {k:?}, got {result}")),
        Expect::Refused => ok.then(|| format!("expected a refusal, got {result}")),
        Expect::Stricter { kind, why } => (s(result, "error") != *kind).then(|| format!("expected {kind} ({why}), got {result}")),
        Expect::Contract(expect) => crate::case_files::mismatch(expect, result),
    }
}

/// The fields every language must agree on (messages from the runners' own
/// case decoding may differ; everything from the core must not).
pub fn comparable(result: &Value) -> Value {
    let mut r = result.as_object().cloned().unwrap_or_default();
    r.remove("message");
    Value::Object(r)
}

pub fn run_runner(lang: &str, cases: &Value) -> Result<Vec<Value>> {
    let input = serde_json::to_vec(cases).map_err(|e| e.to_string())?;
    let out = run_capture(&mut crate::runner(lang)?, &input)?;
    match serde_json::from_slice(&out).map_err(|e| format!("{lang} runner printed no JSON array: {e}"))? {
        Value::Array(results) => Ok(results),
        _ => Err(format!("{lang} runner printed no JSON array")),
    }
}

/// Runs every suite (the gem's api-auth vectors, the AWS SigV4 suites, RFC 9421,
/// kong-hmac and hawk)
/// through `langs` (already prepared). With `all`, a missing language is
/// itself a failure.
pub fn check_all(langs: &[&str], all: bool) -> Result<Counts> {
    let path = vectors_dir().join("api-auth/vectors.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let vectors: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut counts = check_suite("api-auth", &cases_from_vectors(&vectors), langs)?;
    counts += check_suite("aws-sigv4", &crate::aws_suites::cases()?, langs)?;
    counts += check_suite("rfc9421", &crate::rfc9421_suite::cases()?, langs)?;
    for (name, path) in crate::case_files::SUITES {
        counts += check_suite(name, &crate::case_files::cases(path)?, langs)?;
    }
    if all && langs.len() < crate::RUNNERS.len() {
        let missing: Vec<_> = crate::RUNNERS.iter().filter(|l| !langs.contains(l)).collect();
        log(format!("FAIL conformance not run for {missing:?}: their set-up failed"));
        counts.failed += missing.len() as u64;
    }
    Ok(counts)
}

/// One suite through every language: each result against its expectation,
/// and every language against the first (Rust), field for field.
fn check_suite(name: &str, cases: &[Case], langs: &[&str]) -> Result<Counts> {
    let case_json = Value::Array(cases.iter().map(|c| c.json.clone()).collect());
    let out_dir = target_dir().join("conformance");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    std::fs::write(out_dir.join(format!("{name}-cases.json")), serde_json::to_string_pretty(&case_json).unwrap())
        .map_err(|e| e.to_string())?;
    log(format!("{} {name} cases (also in target/conformance/{name}-cases.json)", cases.len()));

    let mut counts = Counts::default();
    let mut reference: Option<Vec<Value>> = None;
    for lang in langs {
        let results = match run_runner(lang, &case_json) {
            Ok(r) if r.len() == cases.len() => r,
            Ok(r) => {
                log(format!("FAIL {lang}: {} results for {} cases", r.len(), cases.len()));
                counts.failed += cases.len() as u64;
                continue;
            }
            Err(e) => {
                log(format!("FAIL {lang}: {e}"));
                counts.failed += cases.len() as u64;
                continue;
            }
        };
        std::fs::write(out_dir.join(format!("{name}-results-{lang}.json")), serde_json::to_string_pretty(&results).unwrap())
            .map_err(|e| e.to_string())?;
        let mut lang_counts = Counts::default();
        for (case, result) in cases.iter().zip(&results) {
            let id = s(&case.json, "id");
            let problem = if result["id"] != case.json["id"] {
                Some(format!("result id {} out of order", result["id"]))
            } else {
                mismatch(&case.expect, result)
            };
            match problem {
                Some(p) => {
                    log(format!("FAIL {lang} {id}: {p}"));
                    lang_counts.failed += 1;
                }
                None => lang_counts.passed += 1,
            }
        }
        // Cross-language agreement with the first language run (Rust).
        match &reference {
            None => reference = Some(results.clone()),
            Some(reference) => {
                for (r, mine) in reference.iter().zip(&results) {
                    if comparable(r) == comparable(mine) {
                        lang_counts.passed += 1;
                    } else {
                        log(format!("FAIL {lang} disagrees with {}: {} vs {}", langs[0], comparable(mine), comparable(r)));
                        lang_counts.failed += 1;
                    }
                }
            }
        }
        log(format!("conformance {name} {lang}: {} passed, {} failed", lang_counts.passed, lang_counts.failed));
        counts += lang_counts;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_http_replaces_then_appends() {
        let input = json!({"headers": [["X-A", "1"], ["x-a", "2"]], "raw_headers": [["X-B", " b "]], "extra_fields": [["X-A", "3"]]});
        assert_eq!(net_http_headers(&input), vec![json!(["X-A", "2"]), json!(["X-A", "3"]), json!(["X-B", " b "])]);
    }

    #[test]
    fn stricter_rules_follow_the_documented_defaults() {
        let req = |headers: Value, body: &str| json!({"target": "/x", "headers": headers, "body_b64": body});
        assert_eq!(stricter_verdict(&req(json!([["authorization", "APIAuth 1:x"]]), ""), &json!({})), None);
        assert!(matches!(
            stricter_verdict(&req(json!([["authorization", "APIAuth-HMAC-MD5 1:x"]]), ""), &json!({})),
            Some(Expect::Stricter { kind: "digest_not_allowed", .. })
        ));
        assert!(matches!(stricter_verdict(&req(json!([]), "eA=="), &json!({})), Some(Expect::Stricter { kind: "body_mismatch", .. })));
        assert_eq!(stricter_verdict(&req(json!([["x-original-uri", "/y"]]), ""), &json!({"trust_original_uri": true})), None);
    }
}
