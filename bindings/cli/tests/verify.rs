//! `hmacsig verify` over raw HTTP: what `sign` printed verifies, for every
//! scheme and either line ending; a changed request is refused with its
//! error kind.

mod common;

use common::cases::{BODY, URL, schemes, sign, verify};
use common::{raw_request, sent_lines};

#[test]
fn signed_requests_verify_through_raw_http() {
    for case in schemes() {
        let lines = sent_lines(sign(case.flags, &[], URL).ok());
        for eol in ["\r\n", "\n"] {
            let raw = raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), eol);
            let out = verify(case.flags, &raw, "1700000001");
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
