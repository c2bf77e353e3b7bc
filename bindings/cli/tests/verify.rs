//! `hmacsig verify` over raw HTTP: what `sign` printed verifies, for every
//! scheme and either line ending; a changed request is refused with its
//! error kind.

mod common;

use common::cases::{BODY, NOW, SECRET, URL, schemes, sign, verify};
use common::{SECRET_VAR, hmacsig, raw_request, sent_lines};

#[test]
fn signed_requests_verify_through_raw_http() {
    for case in schemes() {
        let lines = sent_lines(sign(case.flags, &[], URL).ok());
        for eol in ["\r\n", "\n"] {
            let raw = raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), eol);
            let out = verify(&[case.flags, case.verify_flags].concat(), &raw, "1700000001");
            assert_eq!((out.code, out.stdout.as_str()), (0, "ok: key id k1\n"), "{:?} {eol:?}: {}", case.flags, out.stderr);
        }
    }
}

#[test]
fn tampered_requests_are_refused_with_their_kind() {
    let flags = &["--scheme", "api-auth", "--digest", "sha256"];
    let lines = sent_lines(sign(flags, &[], URL).ok());
    let refused = |raw: Vec<u8>, now: &str, kind: &str| {
        let out = verify(flags, &raw, now);
        assert_eq!(out.code, 1, "{kind}: {out:?}");
        assert!(out.stdout.starts_with(&format!("{kind}: ")), "{kind}: {}", out.stdout);
        assert!(!out.stderr.contains("panicked"));
    };
    refused(raw_request("POST", "/orders?id=7", &lines, br#"{"order":{"id":7,"qty":9}}"#, "\r\n"), "1700000001", "body_mismatch");
    refused(raw_request("POST", "/orders?id=8", &lines, BODY.as_bytes(), "\r\n"), "1700000001", "bad_signature");
    refused(raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), "\r\n"), "1700000900", "stale");
    let unsigned: Vec<String> = lines.iter().filter(|l| !l.starts_with("Authorization")).cloned().collect();
    refused(raw_request("POST", "/orders?id=7", &unsigned, BODY.as_bytes(), "\r\n"), "1700000001", "missing_authorization");
    let other_key: Vec<String> = lines.iter().map(|l| l.replace(" k1:", " k2:")).collect();
    refused(raw_request("POST", "/orders?id=7", &other_key, BODY.as_bytes(), "\r\n"), "1700000001", "unknown_key");
    let bad = verify(flags, &raw_request("POST", "/orders?id=8", &lines, BODY.as_bytes(), "\r\n"), "1700000001");
    assert!(bad.stderr.contains("hmacsig explain --raw"), "a bad signature points at explain: {}", bad.stderr);
}

/// Refused with `kind` (exit 1), never a panic.
fn refused(flags: &[&str], raw: &[u8], now: &str, kind: &str) {
    let out = verify(flags, raw, now);
    assert_eq!(out.code, 1, "{flags:?} {kind}: {out:?}");
    assert!(out.stdout.starts_with(&format!("{kind}: ")), "{flags:?} {kind}: {}", out.stdout);
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn kong_hmac_verdicts_follow_the_policy_flags() {
    let flags = &["--scheme", "kong-hmac", "--digest-header", "--cover", "date", "--cover", "@request-target", "--cover", "digest"];
    let lines = sent_lines(sign(flags, &[], URL).ok());
    let raw = |target: &str, lines: &[String], body: &[u8]| raw_request("POST", target, lines, body, "\r\n");
    let good = raw("/orders?id=7", &lines, BODY.as_bytes());
    fn kong<'a>(policy: &[&'a str]) -> Vec<&'a str> {
        [&["--scheme", "kong-hmac"][..], policy].concat()
    }
    assert_eq!(verify(&kong(&[]), &good, "1700000001").stdout, "ok: key id k1\n");
    assert_eq!(verify(&kong(&["--validate-request-body", "--enforce-header", "digest"]), &good, "1700000001").stdout, "ok: key id k1\n");
    refused(&kong(&[]), &raw("/orders?id=8", &lines, BODY.as_bytes()), "1700000001", "bad_signature");
    // Kong's clock check: 300 s by default, --clock-skew otherwise.
    refused(&kong(&[]), &good, "1700000301", "stale");
    refused(&kong(&["--clock-skew", "5"]), &good, "1700000006", "stale");
    assert_eq!(verify(&kong(&["--clock-skew", "600"]), &good, "1700000500").code, 0);
    refused(&kong(&["--allow-algorithm", "hmac-sha512", "--allow-algorithm", "hmac-sha384"]), &good, "1700000001", "digest_not_allowed");
    refused(&kong(&["--enforce-header", "content-type"]), &good, "1700000001", "missing_signed_header");
    // The body is not covered (Digest is, but only checked with --validate-request-body).
    let changed_body = raw("/orders?id=7", &lines, br#"{"order":{"id":7,"qty":9}}"#);
    assert_eq!(verify(&kong(&[]), &changed_body, "1700000001").code, 0);
    refused(&kong(&["--validate-request-body"]), &changed_body, "1700000001", "body_mismatch");
    let unsigned: Vec<String> = lines.iter().filter(|l| !l.starts_with("Authorization")).cloned().collect();
    refused(&kong(&[]), &raw("/orders?id=7", &unsigned, BODY.as_bytes()), "1700000001", "missing_authorization");
    let other: Vec<String> = lines.iter().map(|l| l.replace("username=\"k1\"", "username=\"k2\"")).collect();
    refused(&kong(&[]), &raw("/orders?id=7", &other, BODY.as_bytes()), "1700000001", "unknown_key");
    // request-line is written with the verifier's --http-version.
    let line_flags = &["--scheme", "kong-hmac", "--http-version", "2.0", "--cover", "date", "--cover", "request-line"];
    let h2 = raw("/orders?id=7", &sent_lines(sign(line_flags, &[], URL).ok()), BODY.as_bytes());
    assert_eq!(verify(&kong(&["--http-version", "2.0"]), &h2, "1700000001").stdout, "ok: key id k1\n");
    refused(&kong(&[]), &h2, "1700000001", "bad_signature");
}

#[test]
fn hawk_verdicts_follow_the_policy_flags() {
    let flags = &["--scheme", "hawk", "--ext", "e"];
    // Signed for https://api.example.com (port 443), received as Host: api.example.com (port 80).
    let lines = sent_lines(sign(flags, &[], URL).ok());
    let raw = |lines: &[String], body: &[u8]| raw_request("POST", "/orders?id=7", lines, body, "\r\n");
    let good = raw(&lines, BODY.as_bytes());
    fn hawk<'a>(policy: &[&'a str]) -> Vec<&'a str> {
        [&["--scheme", "hawk"][..], policy].concat()
    }
    refused(&hawk(&[]), &good, "1700000001", "bad_signature");
    assert_eq!(verify(&hawk(&["--port", "443"]), &good, "1700000001").stdout, "ok: key id k1\n");
    assert_eq!(verify(&hawk(&["--host", "API.example.com", "--port", "443"]), &good, "1700000001").stdout, "ok: key id k1\n");
    refused(&hawk(&["--host", "other.example.com", "--port", "443"]), &good, "1700000001", "bad_signature");
    refused(&hawk(&["--port", "443"]), &good, "1700000061", "stale");
    refused(&hawk(&["--port", "443", "--timestamp-skew", "5"]), &good, "1699999990", "future");
    refused(&hawk(&["--port", "443"]), &raw(&lines, br#"{"order":{"id":7,"qty":9}}"#), "1700000001", "body_mismatch");
    refused(&hawk(&["--port", "443", "--algorithm", "sha1"]), &good, "1700000001", "bad_signature");
    let unhashed = raw(&sent_lines(sign(&["--scheme", "hawk", "--no-payload-hash"], &[], URL).ok()), BODY.as_bytes());
    assert_eq!(verify(&hawk(&["--port", "443"]), &unhashed, "1700000001").code, 0);
    refused(&hawk(&["--port", "443", "--require-payload-hash"]), &unhashed, "1700000001", "missing_signed_header");
    let other: Vec<String> = lines.iter().map(|l| l.replace("id=\"k1\"", "id=\"k2\"")).collect();
    refused(&hawk(&["--port", "443"]), &raw(&other, BODY.as_bytes()), "1700000001", "unknown_key");
}

#[test]
fn hawk_bewits_verify_with_signature_type_query() {
    let args = ["sign", "--scheme", "hawk", "--signature-type", "query", "--ttl", "120", "--key-id", "k1", "--secret-env", SECRET_VAR];
    let out = hmacsig(&[&args[..], &["--now", NOW, URL]].concat(), Some(SECRET), b"");
    let url = out.ok().trim_end().to_owned();
    assert!(url.starts_with("https://api.example.com/orders?id=7&bewit="), "{url}");
    let target = url.strip_prefix("https://api.example.com").unwrap();
    let get = raw_request("GET", target, &["Host: api.example.com".to_owned()], b"", "\r\n");
    let bewit = ["--scheme", "hawk", "--signature-type", "query", "--port", "443"];
    assert_eq!(verify(&bewit, &get, "1700000119").stdout, "ok: key id k1\n");
    refused(&bewit, &get, "1700000120", "stale");
    refused(&["--scheme", "hawk", "--port", "443"], &get, "1700000001", "missing_authorization");
    let post = raw_request("POST", target, &["Host: api.example.com".to_owned()], b"", "\r\n");
    refused(&bewit, &post, "1700000001", "invalid_request");
}
