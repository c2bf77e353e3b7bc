//! Unit tests of the api-auth module: the gem's signing, the typed errors of
//! verifying, and the gem's key id extraction.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::access_id::gem_access_id;
use super::verify::parse_authorization;
use super::*;
use crate::request::{Header, Request};

const NOW: i64 = 1_700_000_030;
const DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

fn post() -> Request {
    Request {
        method: "POST".into(),
        target: "/orders?id=7".into(),
        headers: vec![Header::new("Content-Type", "application/json"), Header::new("Date", DATE)],
        body: br#"{"order":{"id":7,"qty":2}}"#.to_vec(),
    }
}

fn sha256_options() -> Options {
    Options::new("sha256", vec![], None).unwrap()
}

fn signed(mut request: Request, options: &Options) -> Request {
    let s = sign(&request.view(), options, "1044", b"top-secret", NOW).unwrap();
    request.headers.extend(s.headers);
    request
}

#[test]
fn signs_like_the_gem() {
    // verify-0001 in tests/vectors/api-auth/vectors.json.
    let s = sign(&post().view(), &sha256_options(), "1044", b"top-secret", NOW).unwrap();
    assert_eq!(
        String::from_utf8(s.string_to_sign).unwrap(),
        "POST,application/json,+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=,/orders?id=7,Tue, 14 Nov 2023 22:13:20 GMT"
    );
    assert_eq!(
        s.headers,
        vec![
            Header::new(CONTENT_HASH_HEADER, "+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo="),
            Header::new("Authorization", "APIAuth-HMAC-SHA256 1044:iQ8Xy+7557bVwTz3HnFH9VZhlMpOkUjI0arvu7p3v3g="),
        ]
    );
}

#[test]
fn sha1_label_depends_on_the_exact_digest_string() {
    assert_eq!(Options::new("sha1", vec![], None).unwrap().label, "APIAuth");
    assert_eq!(Options::new("SHA1", vec![], None).unwrap().label, "APIAuth-HMAC-SHA1");
    assert_eq!(Options::new("md5", vec![], None).unwrap_err().kind(), "unsupported");
    assert_eq!(Options::new("sha3-256", vec![], None).unwrap_err().kind(), "unsupported");
}

#[test]
fn date_added_only_when_absent_and_hash_only_for_body_methods() {
    let r =
        Request { method: "GET".into(), target: "/nodate".into(), headers: vec![Header::new("X-Date", DATE)], body: b"ignored".to_vec() };
    let s = sign(&r.view(), &Options::new("sha1", vec![], None).unwrap(), "1044", b"k", 1_700_000_099).unwrap();
    assert_eq!(s.headers[0], Header::new("Date", "Tue, 14 Nov 2023 22:14:59 GMT"));
    assert_eq!(s.headers.len(), 2);
    assert_eq!(String::from_utf8(s.string_to_sign).unwrap(), "GET,,,/nodate,Tue, 14 Nov 2023 22:14:59 GMT");
}

#[test]
fn preset_hash_is_kept_and_x_original_uri_is_signed() {
    let r = Request {
        method: "PUT".into(),
        target: "/internal".into(),
        headers: vec![
            Header::new("Date", DATE),
            Header::new("x-authorization-content-sha256", ""),
            Header::new("X-Original-URI", "/api?x=1"),
        ],
        body: b"x".to_vec(),
    };
    let s = sign(&r.view(), &Options::new("sha1", vec![], None).unwrap(), "1044", b"k", NOW).unwrap();
    assert_eq!(s.headers.len(), 1);
    assert_eq!(String::from_utf8(s.string_to_sign).unwrap(), "PUT,,,/api?x=1,Tue, 14 Nov 2023 22:13:20 GMT");
}

#[test]
fn headers_to_sign_in_option_order_skipping_absent_and_blank() {
    let r = Request {
        method: "GET".into(),
        target: "/h".into(),
        headers: vec![
            Header::new("Date", DATE),
            Header::new("X-Request-Id", "req-123"),
            Header::new("X-Blank", "  "),
            Header::new("x-multi", "a"),
            Header::new("X-Multi", "b"),
        ],
        body: vec![],
    };
    let o = Options::new("sha1", ["X-Multi", "X-Missing", "X-Blank", "x-request-id"].map(String::from).to_vec(), Some("delete".into()))
        .unwrap();
    let s = sign(&r.view(), &o, "1044", b"k", NOW).unwrap();
    assert_eq!(String::from_utf8(s.string_to_sign).unwrap(), "DELETE,,,/h,Tue, 14 Nov 2023 22:13:20 GMT,a, b,req-123");
}

#[test]
fn rejects_what_the_gem_rejects_and_unknown_methods() {
    let mut r = post();
    r.target = "/a b".into();
    assert_eq!(sign(&r.view(), &sha256_options(), "1", b"k", NOW).unwrap_err().kind(), "invalid_request");
    let mut r = post();
    r.method = "PURGE".into();
    assert_eq!(sign(&r.view(), &sha256_options(), "1", b"k", NOW).unwrap_err().kind(), "unsupported");
}

#[test]
fn verifies_its_own_signature_and_reports_typed_errors() {
    let o = sha256_options();
    let p = Policy::default();
    let good = signed(post(), &o);
    assert_eq!(verify(&good.view(), &o, &p, "1044", b"top-secret", NOW).unwrap().key_id, "1044");
    assert_eq!(verify(&good.view(), &o, &p, "1044", b"other", NOW).unwrap_err().kind(), "bad_signature");
    assert_eq!(verify(&good.view(), &o, &p, "7", b"top-secret", NOW).unwrap_err().kind(), "unknown_key");

    let mut tampered = good.clone();
    tampered.body = b"{}".to_vec();
    assert_eq!(verify(&tampered.view(), &o, &p, "1044", b"top-secret", NOW).unwrap_err().kind(), "body_mismatch");

    let strict = Policy { digest: Some(Algorithm::Sha512), ..Policy::default() };
    assert_eq!(verify(&good.view(), &o, &strict, "1044", b"top-secret", NOW).unwrap_err().kind(), "digest_not_allowed");

    let mut unsigned = good.clone();
    unsigned.headers.clear();
    assert_eq!(verify(&unsigned.view(), &o, &p, "1044", b"top-secret", NOW).unwrap_err().kind(), "missing_authorization");
}

#[test]
fn mismatch_carries_the_server_string_to_sign() {
    let o = sha256_options();
    let mut r = signed(post(), &o);
    r.target = "/orders?id=8".into();
    match verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", NOW).unwrap_err() {
        HmacSigError::BadSignature { string_to_sign, reason } => {
            assert!(string_to_sign.contains(",/orders?id=8,"));
            assert!(reason.contains("/orders?id=8"));
            assert!(!reason.contains("top-secret"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn clock_window_is_strict_on_both_sides() {
    let o = sha256_options();
    let p = Policy::default();
    let r = signed(post(), &o);
    let date = 1_700_000_000;
    assert!(verify(&r.view(), &o, &p, "1044", b"top-secret", date + 899).is_ok());
    assert!(verify(&r.view(), &o, &p, "1044", b"top-secret", date - 899).is_ok());
    assert_eq!(verify(&r.view(), &o, &p, "1044", b"top-secret", date + 900).unwrap_err().kind(), "stale");
    assert_eq!(verify(&r.view(), &o, &p, "1044", b"top-secret", date - 900).unwrap_err().kind(), "future");
}

#[test]
fn extreme_clocks_are_errors_not_panics() {
    let o = sha256_options();
    let r = signed(post(), &o);
    assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", i64::MAX).unwrap_err().kind(), "stale");
    assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", i64::MIN).unwrap_err().kind(), "future");
    let zero_skew = Policy { clock_skew: 0, ..Policy::default() };
    assert_eq!(verify(&r.view(), &o, &zero_skew, "1044", b"top-secret", 1_700_000_000).unwrap_err().kind(), "stale");
    let unsigned = Request { headers: vec![], ..post() };
    assert_eq!(sign(&unsigned.view(), &o, "1044", b"k", i64::MIN).unwrap_err().kind(), "invalid_request");
    assert_eq!(sign(&unsigned.view(), &o, "1044", b"k", i64::MAX).unwrap_err().kind(), "invalid_request");
}

#[test]
fn date_problems_are_typed() {
    let o = Options::new("sha1", vec![], None).unwrap();
    let p = Policy::default();
    let mut r = Request {
        method: "GET".into(),
        target: "/d".into(),
        headers: vec![Header::new("Date", "Tue, 14 Nov 2023 22:13:20 +0000")],
        body: vec![],
    };
    r = signed(r, &o);
    assert_eq!(verify(&r.view(), &o, &p, "1044", b"top-secret", NOW).unwrap_err().kind(), "invalid_request");
    // A MAC over an empty Date field, sent without Date (the gem raises NoMethodError).
    let mut r = Request { method: "GET".into(), target: "/nodate".into(), headers: vec![], body: vec![] };
    let canonical = "GET,,,/nodate,";
    let sig = BASE64.encode(Algorithm::Sha1.hmac(b"top-secret", &[canonical.as_bytes()]));
    r.headers.push(Header::new("Authorization", format!("APIAuth 1044:{sig}")));
    assert_eq!(verify(&r.view(), &o, &p, "1044", b"top-secret", NOW).unwrap_err().kind(), "missing_signed_header");
}

#[test]
fn original_uri_only_when_trusted() {
    let o = Options::new("sha1", vec![], None).unwrap();
    let mut r = Request { method: "GET".into(), target: "/items?b=2".into(), headers: vec![Header::new("Date", DATE)], body: vec![] };
    r = signed(r, &o);
    r.target = "/admin/delete_everything".into();
    r.headers.push(Header::new("X-Original-URI", "/items?b=2"));
    assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", NOW).unwrap_err().kind(), "bad_signature");
    let trusting = Policy { trust_original_uri: true, ..Policy::default() };
    assert!(verify(&r.view(), &o, &trusting, "1044", b"top-secret", NOW).is_ok());
}

#[test]
fn unsigned_bodies_are_refused_unless_allowed() {
    let o = Options::new("sha1", vec![], None).unwrap();
    let mut r = Request { method: "DELETE".into(), target: "/things/1".into(), headers: vec![Header::new("Date", DATE)], body: vec![] };
    r = signed(r, &o);
    r.body = b"{\"reason\":\"evil\"}".to_vec();
    assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", NOW).unwrap_err().kind(), "body_mismatch");
    let lax = Policy { allow_unsigned_body: true, ..Policy::default() };
    assert!(verify(&r.view(), &o, &lax, "1044", b"top-secret", NOW).is_ok());
}

#[test]
fn strict_header_parse() {
    for (value, kind) in [
        ("Corporate APIAuth 1044:x", "malformed_authorization"),
        ("apiauth-hmac-sha256 1044:x", "malformed_authorization"),
        ("APIAuth-HMAC-MD5 1044:x", "digest_not_allowed"),
        ("APIAuth-HMAC-SHA 1044:x", "digest_not_allowed"),
        ("APIAuth-HMAC-SHA3-256 1044:x", "malformed_authorization"),
        ("APIAuth 1044:", "malformed_authorization"),
        ("Bearer abc", "malformed_authorization"),
    ] {
        assert_eq!(parse_authorization(value).err().map(|e| e.kind()), Some(kind), "{value}");
    }
    let a = parse_authorization("APIAuth-HMAC-SHA512 k:abc").ok().unwrap();
    assert_eq!((a.algorithm, a.key_id, a.signature), (Algorithm::Sha512, "k", "abc"));
}

#[test]
fn key_id_extraction_matches_the_gem() {
    for (value, expected) in [
        ("APIAuth 1044:aGVsbG8gd29ybGQ=", Some("1044")),
        ("APIAuth-HMAC-SHA224 k:abc", Some("k")),
        ("APIAuth-HMAC-SHA k:abc", Some("k")),
        ("APIAuth-HMAC-sha256 1044:abc", None),
        ("apiauth 1044:abc", None),
        ("APIAuth  1044:abc", Some(" 1044")),
        ("APIAuth 1044:", None),
        ("APIAuth a b:c", Some("a b")),
        ("APIAuth a:b:c", Some("a")),
        ("Corporate APIAuth 1044:x", Some("1044")),
        ("XAPIAuth 1:2", Some("1")),
        ("APIAuth-HMAC-SHA111 x:y", None),
        ("APIAuth-HMAC-SHA3-256 x:y", None),
        ("Bearer abc", None),
    ] {
        assert_eq!(gem_access_id(value), expected, "{value}");
    }
}

#[test]
fn every_digest_verifies_with_secret_bytes_and_a_prepared_key() {
    // SHA-512's 88-character signature decodes on the stack as SHA-1's does.
    for digest in ["sha1", "sha224", "sha256", "sha384", "sha512"] {
        let o = Options::new(digest, vec![], None).unwrap();
        let r = signed(post(), &o);
        let prepared = crate::mac::PreparedKey::new(b"top-secret".to_vec());
        assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", NOW).unwrap().key_id, "1044", "{digest}");
        assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", &prepared, NOW).unwrap().key_id, "1044", "{digest}");
        assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"other", NOW).unwrap_err().kind(), "bad_signature", "{digest}");
    }
}
