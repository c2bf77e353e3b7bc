//! Signing and verifying round trips, and the checks in Kong's order. The
//! reference answers (Kong's own code) are in the conformance suites:
//! `tests/vectors/kong-hmac/` and `tests/conformance/kong-hmac/`.

use super::*;
use crate::request::Request;

const NOW: i64 = 1_700_000_000; // Tue, 14 Nov 2023 22:13:20 GMT

fn request() -> Request {
    Request {
        method: "POST".into(),
        target: "/orders?id=7".into(),
        headers: vec![Header::new("Host", "api.example.com"), Header::new("Content-Type", "application/json")],
        body: b"{\"id\":7}".to_vec(),
    }
}

fn options(headers: &[&str], digest: bool) -> Options {
    Options::new("hmac-sha256", Some(headers.iter().map(|h| (*h).to_owned()).collect()), "authorization", "1.1", digest).unwrap()
}

fn signed(options: &Options) -> Request {
    let mut r = request();
    let s = sign(&r.view(), options, "bob", b"secret", NOW).unwrap();
    for h in s.headers {
        r.headers.retain(|old| !old.name.eq_ignore_ascii_case(&h.name));
        r.headers.push(h);
    }
    r
}

fn verdict(r: &Request, policy: &Policy) -> std::result::Result<String, &'static str> {
    verify(&r.view(), &options(&["date"], false), policy, "bob", b"secret", NOW).map(|v| v.key_id.into_owned()).map_err(|e| e.kind())
}

#[test]
fn signs_the_spec_string_and_adds_a_date() {
    let s = sign(&request().view(), &options(&["date", "@request-target", "request-line", "x-missing"], false), "bob", b"k", NOW).unwrap();
    assert_eq!(
        String::from_utf8(s.string_to_sign).unwrap(),
        "date: Tue, 14 Nov 2023 22:13:20 GMT\n@request-target: post /orders?id=7\nPOST /orders?id=7 HTTP/1.1\nx-missing:"
    );
    assert_eq!(s.headers[0], Header::new("Date", "Tue, 14 Nov 2023 22:13:20 GMT"));
    assert!(s.headers[1].value.starts_with(
        r#"hmac username="bob", algorithm="hmac-sha256", headers="date @request-target request-line x-missing", signature=""#
    ));
    // An X-Date named is added as X-Date only; the request's own date is kept.
    let s = sign(&request().view(), &options(&["x-date"], false), "bob", b"k", NOW).unwrap();
    assert_eq!(s.headers.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(), ["X-Date", "Authorization"]);
    let mut dated = request();
    dated.headers.push(Header::new("date", "Mon, 13 Nov 2023 00:00:00 GMT"));
    assert_eq!(sign(&dated.view(), &options(&["date"], false), "bob", b"k", NOW).unwrap().headers.len(), 1);
}

#[test]
fn round_trips_with_every_algorithm_and_the_digest() {
    for algorithm in ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"] {
        let o =
            Options::new(algorithm, Some(vec!["date".into(), "digest".into(), "request-line".into()]), "proxy-authorization", "2.0", true)
                .unwrap();
        let r = signed(&o);
        assert!(r.headers.iter().any(|h| h.name == "Proxy-Authorization"));
        let strict = Policy { validate_request_body: true, ..Policy::default() };
        let v = verify(&r.view(), &o, &strict, "bob", b"secret", NOW + 300).unwrap();
        assert_eq!(v.key_id, "bob");
        let mut changed = r.clone();
        changed.body.push(b' ');
        assert_eq!(verify(&changed.view(), &o, &strict, "bob", b"secret", NOW).unwrap_err().kind(), "body_mismatch");
    }
}

#[test]
fn refuses_in_kongs_order() {
    let r = signed(&options(&["date", "@request-target"], false));
    let policy = Policy::default();
    assert_eq!(verdict(&r, &policy), Ok("bob".into()));
    let mut none = r.clone();
    none.headers.retain(|h| h.name != "Authorization");
    assert_eq!(verdict(&none, &policy), Err("missing_authorization"));
    assert_eq!(verify(&r.view(), &options(&["date"], false), &policy, "bob", b"secret", NOW + 301).unwrap_err().kind(), "stale");
    assert_eq!(verify(&r.view(), &options(&["date"], false), &policy, "bob", b"secret", NOW - 301).unwrap_err().kind(), "future");
    let enforce = Policy { enforce_headers: vec!["content-type".into()], ..Policy::default() };
    assert_eq!(verdict(&r, &enforce), Err("missing_signed_header"));
    let sha1_only = Policy { algorithms: vec![Algorithm::Sha1], ..Policy::default() };
    assert_eq!(verdict(&r, &sha1_only), Err("digest_not_allowed"));
    assert_eq!(verify(&r.view(), &options(&["date"], false), &policy, "alice", b"secret", NOW).unwrap_err().kind(), "unknown_key");
    let mut moved = r.clone();
    moved.target = "/orders?id=8".into();
    assert_eq!(verdict(&moved, &policy), Err("bad_signature"));
    let mut garbled = r.clone();
    garbled.headers.last_mut().unwrap().value = "hmac nonsense".into();
    assert_eq!(verdict(&garbled, &policy), Err("malformed_authorization"));
}

#[test]
fn freshness_comes_from_a_signed_date() {
    // Signed without a date: the Date the signer adds is unsigned.
    let r = signed(&options(&["@request-target"], false));
    assert_eq!(verdict(&r, &Policy::default()), Err("missing_signed_header"));
    // A stale signed X-Date next to a fresh unsigned Date.
    let mut r = signed(&options(&["x-date"], false));
    for h in &mut r.headers {
        if h.name == "X-Date" {
            h.value = "Tue, 14 Nov 2023 20:00:00 GMT".into();
        }
    }
    r.headers.push(Header::new("Date", "Tue, 14 Nov 2023 22:13:20 GMT"));
    assert_eq!(verdict(&r, &Policy::default()), Err("bad_signature"));
}

#[test]
fn reads_headers_as_nginx_gives_them() {
    let mut r = request();
    r.headers.push(Header::new("X_Custom", "  v  "));
    r.headers.push(Header::new("Cookie", "a=1"));
    r.headers.push(Header::new("cookie", "b=2"));
    let s = sign(&r.view(), &options(&["x-custom", "cookie"], false), "bob", b"k", NOW).unwrap();
    assert_eq!(String::from_utf8(s.string_to_sign).unwrap(), "x-custom: v\ncookie: a=1; b=2");
}

#[test]
fn refuses_what_cannot_travel() {
    assert_eq!(Options::new("hmac-md5", None, "authorization", "1.1", false).unwrap_err().kind(), "unsupported");
    assert_eq!(Options::new("hmac-sha1", None, "x-auth", "1.1", false).unwrap_err().kind(), "unsupported");
    assert_eq!(Options::new("hmac-sha1", None, "authorization", "3", false).unwrap_err().kind(), "unsupported");
    assert_eq!(Options::new("hmac-sha1", Some(vec!["a b".into()]), "authorization", "1.1", false).unwrap_err().kind(), "unsupported");
    assert_eq!(Options::new("hmac-sha1", Some(vec![]), "authorization", "1.1", false).unwrap_err().kind(), "unsupported");
    let o = options(&["date"], false);
    assert_eq!(sign(&request().view(), &o, "a\"b", b"k", NOW).unwrap_err().kind(), "invalid_request");
    assert_eq!(sign(&request().view(), &o, "", b"k", NOW).unwrap_err().kind(), "invalid_request");
}
