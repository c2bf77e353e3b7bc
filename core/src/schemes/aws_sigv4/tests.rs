//! Unit tests of the aws-sigv4 module: dates, canonicalization, the signing
//! key cache, the verification window and typed errors. The full suites run
//! from `core/tests`.

use super::canonical::{canonical_query, encoded_params, host_without_default_port, normalize_path, push_trimall};
use super::signing_key::signing_key;
use super::*;
use crate::request::{Header, Request};

const NOW: i64 = 1_440_938_160; // 2015-08-30T12:36:00Z
const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn options(signature_type: SignatureType) -> Options {
    Options {
        region: "us-east-1".into(),
        service: "service".into(),
        session_token: None,
        omit_session_token: false,
        normalize: true,
        double_uri_encode: true,
        sign_body: false,
        signature_type,
        expires: 3600,
    }
}

fn get() -> Request {
    Request { method: "GET".into(), target: "/".into(), headers: vec![Header::new("Host", "example.amazonaws.com")], body: vec![] }
}

fn signed_header_request(o: &Options) -> Request {
    let mut r = get();
    r.headers.extend(sign(&r.view(), o, "AKIDEXAMPLE", SECRET, NOW).unwrap().headers);
    r
}

fn kind(r: &Request, o: &Options, policy: &Policy, now: i64) -> &'static str {
    verify(&r.view(), o, policy, "AKIDEXAMPLE", SECRET, now).map_or_else(|e| e.kind(), |_| "ok")
}

#[test]
fn the_cached_signing_key_is_the_derived_one_for_each_scope() {
    let options = |region: &str| Options { region: region.into(), ..options(SignatureType::Header) };
    let keys = SigningKeyCache::default();
    for (date, region) in [("20150830", "us-east-1"), ("20150830", "us-east-1"), ("20150831", "us-east-1"), ("20150831", "eu-west-1")] {
        let o = options(region);
        assert_eq!(keys.key(b"secret", date, &o), signing_key(b"secret", date, &o), "{date} {region}");
    }
}

#[test]
fn dates_round_trip() {
    assert_eq!(amz_date(NOW).unwrap(), ("20150830T123600Z".into(), "20150830".into()));
    assert_eq!(parse_amz_date("20150830T123600Z"), Some(NOW));
    assert_eq!(parse_amz_date("20150230T123600Z"), None, "no 30 February");
    assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
    assert!(amz_date(-1).is_err());
}

#[test]
fn path_and_query_canonicalization() {
    assert_eq!(normalize_path("/a/./b/../c//d/"), "/a/c/d/");
    assert_eq!(normalize_path("//"), "/");
    assert_eq!(normalize_path("/example/.."), "/");
    // A trailing dot segment leaves no trailing slash (aws-c-auth, botocore); a trailing `/` stays.
    for (path, normalized) in [
        ("/a/b/.", "/a/b"),
        ("/a/b/..", "/a"),
        ("/a/b/./", "/a/b/"),
        ("/a/b/../", "/a/"),
        ("/..", "/"),
        ("/.", "/"),
        ("/a//", "/a/"),
        ("", "/"),
    ] {
        assert_eq!(normalize_path(path), normalized, "{path}");
    }
    let params = encoded_params(Some("b=2&a=%2b+x&a=1&k&=v"), &[]).unwrap();
    for malformed in ["%", "a=%4", "%zz=1", "a=b%2", "a%=1", "a=%%41"] {
        let error = encoded_params(Some(malformed), &[]).unwrap_err();
        assert_eq!(error.kind(), "invalid_request", "{malformed}");
    }
    assert_eq!(canonical_query(&mut params.clone()), "=v&a=%2B%2Bx&a=1&b=2&k=");
    let mut trimmed = String::new();
    push_trimall("  a \n   b\t c ", &mut trimmed);
    assert_eq!(trimmed, "a b c");
}

#[test]
fn header_verification_window_is_max_skew_either_way() {
    let o = options(SignatureType::Header);
    let r = signed_header_request(&o);
    let p = Policy::default();
    assert_eq!(kind(&r, &o, &p, NOW + 900), "ok");
    assert_eq!(kind(&r, &o, &p, NOW + 901), "stale");
    assert_eq!(kind(&r, &o, &p, NOW - 900), "ok");
    assert_eq!(kind(&r, &o, &p, NOW - 901), "future");
}

#[test]
fn presigned_url_is_good_until_it_expires() {
    let o = Options { expires: 60, ..options(SignatureType::Query) };
    let url = sign(&get().view(), &o, "AKIDEXAMPLE", SECRET, NOW).unwrap().url.unwrap();
    let r = Request { target: url, ..get() };
    let p = Policy::default();
    assert_eq!(kind(&r, &o, &p, NOW + 60), "ok");
    assert_eq!(kind(&r, &o, &p, NOW + 61), "stale");
    assert_eq!(kind(&r, &o, &p, NOW - 901), "future");
    let mut tampered = r.clone();
    tampered.target = tampered.target.replace("X-Amz-Expires=60", "X-Amz-Expires=600");
    assert_eq!(kind(&tampered, &o, &p, NOW), "bad_signature");
}

#[test]
fn typed_errors_for_bad_authorization() {
    let o = options(SignatureType::Header);
    let p = Policy::default();
    let good = signed_header_request(&o);
    let with = |f: &dyn Fn(&mut Request)| {
        let mut r = good.clone();
        f(&mut r);
        kind(&r, &o, &p, NOW)
    };
    let set_auth = |value: &'static str| move |r: &mut Request| r.headers.last_mut().unwrap().value = value.into();
    assert_eq!(with(&|r| r.headers.retain(|h| h.name != "Authorization")), "missing_authorization");
    assert_eq!(with(&set_auth("AWS4-HMAC-SHA1 Credential=x")), "malformed_authorization");
    assert_eq!(
        with(&set_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request")),
        "malformed_authorization"
    );
    assert_eq!(
        with(&set_auth(
            "AWS4-HMAC-SHA256 Credential=OTHER/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        )),
        "unknown_key"
    );
    assert_eq!(
        with(&set_auth(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=00"
        )),
        "missing_signed_header"
    );
    assert_eq!(with(&|r| r.headers.retain(|h| h.name != "X-Amz-Date")), "missing_signed_header");
    assert_eq!(with(&|r| r.headers.iter_mut().find(|h| h.name == "X-Amz-Date").unwrap().value = "yesterday".into()), "invalid_request");
    assert_eq!(with(&|r| r.headers[0].value = "evil.example".into()), "bad_signature");
}

#[test]
fn body_hash_is_checked_after_the_signature() {
    let o = Options { sign_body: true, ..options(SignatureType::Header) };
    let mut r = Request { method: "PUT".into(), body: b"data".to_vec(), ..get() };
    r.headers.extend(sign(&r.view(), &o, "AKIDEXAMPLE", SECRET, NOW).unwrap().headers);
    assert_eq!(kind(&r, &o, &Policy::default(), NOW), "ok");
    r.body = b"Data".to_vec();
    assert_eq!(kind(&r, &o, &Policy::default(), NOW), "body_mismatch");
}

#[test]
fn options_are_validated() {
    for region in ["", "us/east", "usé", "a b", "a\tb"] {
        assert_eq!(
            Options { region: region.into(), ..options(SignatureType::Header) }.validate().unwrap_err().kind(),
            "unsupported",
            "{region}"
        );
    }
    assert_eq!(Options { expires: 0, ..options(SignatureType::Query) }.validate().unwrap_err().kind(), "unsupported");
}

/// Trailing `.` and `..` segments, with and without double encoding: the signatures aws-c-auth
/// (awscrt 0.38.0, `aws_sign_request`, `should_normalize_uri_path`) gives for `GET` of each path
/// with only `Host: example.amazonaws.com`. hmacsig once kept a trailing `/` here.
#[test]
fn trailing_dot_segments_sign_as_aws_c_auth_does() {
    let cases = [
        ("/a/b/.", true, "a3ef7f40b9d3367140c9a7b8049aaddc77c79d96e9cf97b49a21702dfe72eaf5"),
        ("/a/b/.", false, "a3ef7f40b9d3367140c9a7b8049aaddc77c79d96e9cf97b49a21702dfe72eaf5"),
        ("/a/b/..", true, "e7dfad111cdad6139e285ddec7592de69207ee936e9af6cffa906e281325f76a"),
        ("/a/b/..", false, "e7dfad111cdad6139e285ddec7592de69207ee936e9af6cffa906e281325f76a"),
        ("/a/b/../", true, "694bece1403759d9292850e34a43c38b7accb0d27abd33d0f0c4dd5136372da1"),
        ("/a/b/../", false, "694bece1403759d9292850e34a43c38b7accb0d27abd33d0f0c4dd5136372da1"),
        ("/a%20b/c/..", true, "08c33fd523b5dc18699a2c38863929f12203a282c033d442d45b59a096458aa6"),
        ("/a%20b/c/..", false, "2f89b143c8b6185f1aaa7e6a642e05ddd060182a0473aca868e97f6907219bdc"),
        ("/a%20b/./c/.", true, "38716947ba65b7b62d1fac41d2244cf69dad6f76e6fa83456331ce9315514e6f"),
        ("/a%20b/./c/.", false, "ec351be1eadfefba48901ed6f67bfb97b874a0607fed0b0a2c8fde014b573de2"),
    ];
    for (path, double_uri_encode, signature) in cases {
        let o = Options { double_uri_encode, ..options(SignatureType::Header) };
        let r = Request { target: path.into(), ..get() };
        let signed = sign(&r.view(), &o, "AKIDEXAMPLE", SECRET, NOW).unwrap();
        let authorization = signed.headers.iter().find(|h| h.name == "Authorization").unwrap();
        assert!(
            authorization.value.ends_with(&format!("Signature={signature}")),
            "{path} double={double_uri_encode}: {}",
            authorization.value
        );
        let mut sent = r.clone();
        sent.headers.extend(signed.headers);
        assert_eq!(kind(&sent, &o, &Policy::default(), NOW), "ok", "{path}");
    }
}

/// With `omit_session_token`, a presigned URL carries X-Amz-Security-Token added after signing
/// (aws-c-auth does the same): the verifier leaves it out of the canonical query.
#[test]
fn presigned_url_with_an_omitted_session_token_verifies() {
    let o = Options { session_token: Some("TOKEN".into()), omit_session_token: true, ..options(SignatureType::Query) };
    let signed = sign(&get().view(), &o, "AKIDEXAMPLE", SECRET, NOW).unwrap();
    let url = signed.url.unwrap();
    assert!(url.contains("X-Amz-Security-Token=TOKEN"), "{url}");
    let presigned = Request { target: url.clone(), ..get() };
    assert_eq!(kind(&presigned, &o, &Policy::default(), NOW), "ok");
    let signed_token = Options { omit_session_token: false, ..o.clone() };
    assert_eq!(kind(&presigned, &signed_token, &Policy::default(), NOW), "bad_signature", "the token was not signed");
}

/// The presigned URL keeps the request's parameters as sent, drops empty ones and gives each
/// its `=`, as aws-c-auth (awscrt 0.38.0) writes them.
#[test]
fn presigned_url_rewrites_the_query_as_aws_c_auth_does() {
    let o = options(SignatureType::Query);
    for (target, prefix) in [
        ("/?k=&", "/?k=&X-Amz-Algorithm="),
        ("/?a=%2b&&b", "/?a=%2b&b=&X-Amz-Algorithm="),
        ("/?&a", "/?a=&X-Amz-Algorithm="),
        ("/?", "/?X-Amz-Algorithm="),
        ("/p", "/p?X-Amz-Algorithm="),
        ("/?b=2&a=1", "/?b=2&a=1&X-Amz-Algorithm="),
        ("https://example.amazonaws.com/x?a", "https://example.amazonaws.com/x?a=&X-Amz-Algorithm="),
    ] {
        let r = Request { target: target.into(), ..get() };
        let url = sign(&r.view(), &o, "AKIDEXAMPLE", SECRET, NOW).unwrap().url.unwrap();
        assert!(url.starts_with(prefix), "{target}: {url}");
        assert_eq!(kind(&Request { target: url, ..r }, &o, &Policy::default(), NOW), "ok", "{target}");
    }
}

/// Found by fuzz/fuzz_targets/call_layout.rs: a target whose sixth byte falls inside a
/// multi-byte character panicked the default-port check (a str slice).
#[test]
fn the_default_port_check_reads_bytes_not_characters() {
    assert_eq!(host_without_default_port("https://h:443/", "h:443"), "h");
    assert_eq!(host_without_default_port("HTTPS://h:443/", "h:443"), "h");
    assert_eq!(host_without_default_port("http://h:80/", "h:80"), "h");
    for target in ["http:\u{4d7}//h:80/", "ht\u{4d7}\u{4d7}://h/", "\u{1f600}\u{1f600}", "h\u{e9}"] {
        assert_eq!(host_without_default_port(target, "h:80"), "h", "{target:?}");
    }
    let o = options(SignatureType::Header);
    let r = Request { target: "http:\u{4d7}//h:80/x".into(), headers: vec![], ..get() };
    let _ = sign(&r.view(), &o, "AKIDEXAMPLE", SECRET, NOW);
}
