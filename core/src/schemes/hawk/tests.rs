//! Round trips, hawk's order of checks, bewits, responses and nonces. The
//! reference answers (npm hawk 9.0.2, mohawk 1.1.0) are in the conformance
//! suites: `tests/vectors/hawk/` and `tests/conformance/hawk/`.

use super::*;
use crate::request::Request;
use crate::schemes::rfc9421::MessageView;

const NOW: i64 = 1_353_832_234;

fn options(payload_hash: bool) -> Options {
    Options::new("sha256", Some("j4h3g2".into()), Some("some-app-ext-data".into()), None, None, payload_hash, SignatureType::Header, 60)
        .unwrap()
}

fn request() -> Request {
    Request {
        method: "POST".into(),
        target: "/resource/1?b=1&a=2".into(),
        headers: vec![Header::new("Host", "example.com:8000"), Header::new("Content-Type", "text/plain; charset=utf-8")],
        body: b"Thank you for flying Hawk".to_vec(),
    }
}

fn signed(options: &Options) -> Request {
    let mut r = request();
    r.headers.extend(sign(&r.view(), options, "dh37fgj492je", b"werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn", NOW).unwrap().headers);
    r
}

fn check(r: &Request, policy: &Policy, now: i64) -> std::result::Result<String, &'static str> {
    verify(&r.view(), &options(true), policy, "dh37fgj492je", b"werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn", now)
        .map(|v| v.key_id.into_owned())
        .map_err(|e| e.kind())
}

#[test]
fn signs_hawks_readme_example() {
    // hawk's API.md: the payload example's header and MACs.
    let r = signed(&options(true));
    assert_eq!(
        r.headers[2].value,
        r#"Hawk id="dh37fgj492je", ts="1353832234", nonce="j4h3g2", hash="Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=", ext="some-app-ext-data", mac="aSe1DERmZuRl3pI36/9BdZmnErTw3sNzOOAUlfeKjVw=""#
    );
    assert_eq!(check(&r, &Policy::default(), NOW), Ok("dh37fgj492je".into()));
}

#[test]
fn checks_in_hawks_order() {
    let r = signed(&options(true));
    let p = Policy::default();
    assert_eq!(check(&r, &p, NOW + 60), Ok("dh37fgj492je".into()));
    assert_eq!(check(&r, &p, NOW + 61), Err("stale"));
    assert_eq!(check(&r, &p, NOW - 61), Err("future"));
    let mut body = r.clone();
    body.body.push(b'!');
    assert_eq!(check(&body, &p, NOW + 61), Err("body_mismatch"), "the payload before the clock");
    let mut path = r.clone();
    path.target = "/resource/2?b=1&a=2".into();
    assert_eq!(check(&path, &p, NOW + 61), Err("bad_signature"), "the MAC before the clock");
    let mut port = r.clone();
    port.headers[0].value = "example.com".into();
    assert_eq!(check(&port, &p, NOW), Err("bad_signature"));
    let behind_proxy = Policy { port: Some(8000), ..Policy::default() };
    assert_eq!(check(&port, &behind_proxy, NOW), Ok("dh37fgj492je".into()));
    let mut no_host = r.clone();
    no_host.headers.remove(0);
    assert_eq!(check(&no_host, &p, NOW), Err("invalid_request"));
    let mut odd = r.clone();
    odd.headers[2].value = odd.headers[2].value.replace("ts=\"1353832234\"", "ts=\"abc\"");
    assert_eq!(check(&odd, &p, NOW), Err("malformed_authorization"));
}

#[test]
fn payload_hash_is_optional_unless_required() {
    let r = signed(&options(false));
    assert!(!r.headers[2].value.contains("hash="));
    assert_eq!(check(&r, &Policy::default(), NOW), Ok("dh37fgj492je".into()));
    let required = Policy { require_payload_hash: true, ..Policy::default() };
    assert_eq!(check(&r, &required, NOW), Err("missing_signed_header"));
}

#[test]
fn a_verifier_with_a_replay_guard_refuses_a_nonce_twice() {
    use crate::{Credentials, ReplayGuard, Scheme, Verifier};
    let scheme = Scheme::hawk("sha256".into(), Some("n1".into()), None, None, None, true, None, 60).unwrap();
    let credentials = std::sync::Arc::new(Credentials::new("id".into(), b"key".to_vec()));
    let guard = std::sync::Arc::new(ReplayGuard::new(100, 60).unwrap());
    let verifier = Verifier::with_credentials(scheme.clone(), credentials.clone(), None, Some(guard)).unwrap();
    let mut r = request();
    r.headers.extend(crate::sign_request(scheme, credentials, r.clone(), Some(NOW)).unwrap().headers);
    assert_eq!(verifier.verify_request(r.clone(), Some(NOW)).unwrap(), "id");
    assert_eq!(verifier.verify_request(r, Some(NOW + 1)).unwrap_err().kind(), "replayed");
}

#[test]
fn bewits_round_trip_and_expire() {
    let o = Options::new("sha256", None, Some("x".into()), None, None, true, SignatureType::Query, 60).unwrap();
    let mut r = request();
    r.method = "GET".into();
    r.body.clear();
    let s = sign(&r.view(), &o, "id", b"key", NOW).unwrap();
    let url = s.url.unwrap();
    assert!(url.starts_with("/resource/1?b=1&a=2&bewit="), "{url}");
    r.target = url;
    let p = Policy::default();
    assert_eq!(verify(&r.view(), &o, &p, "id", b"key", NOW + 59).unwrap().replay_key, None);
    assert_eq!(verify(&r.view(), &o, &p, "id", b"key", NOW + 60).unwrap_err().kind(), "stale");
    assert_eq!(key_id(&r.view(), &o).unwrap(), "id");
    let mut post = r.clone();
    post.method = "POST".into();
    assert_eq!(verify(&post.view(), &o, &p, "id", b"key", NOW).unwrap_err().kind(), "invalid_request");
    assert_eq!(Options::new("sha256", None, None, None, None, true, SignatureType::Query, 0).unwrap_err().kind(), "unsupported");
}

#[test]
fn responses_are_signed_over_the_request() {
    let o = options(true);
    let r = signed(&o);
    let secret = b"werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn";
    let response = crate::Response { status: 200, headers: vec![Header::new("Content-Type", "text/plain")], body: b"Some reply".to_vec() };
    fn message<'a>(resp: &'a crate::Response, r: &'a Request) -> MessageView<'a> {
        MessageView {
            headers: &resp.headers,
            body: crate::body::Body::Bytes(&resp.body),
            status: Some(resp.status),
            request: Some(r.view()),
        }
    }
    let s = sign_response(&message(&response, &r), &o, "dh37fgj492je", secret).unwrap();
    // What npm hawk 9.0.2's server.header gives (tests/conformance/hawk/oracle.js).
    assert_eq!(
        s.headers[0].value,
        r#"Hawk mac="WDMJNAplmKRZ0y3dSRdpTb7P2RmuS1QPM7QFRPbKVUk=", hash="1rxgzHPRsk67k0pK4hZjUQGoWZwEHJSeIqMdPxkJWC0=", ext="some-app-ext-data""#
    );
    let mut answered = response.clone();
    answered.headers.extend(s.headers);
    let p = Policy::default();
    assert_eq!(verify_response(&message(&answered, &r), &o, &p, "dh37fgj492je", secret).unwrap().key_id, "dh37fgj492je");
    let mut changed = answered.clone();
    changed.body.push(b'!');
    assert_eq!(verify_response(&message(&changed, &r), &o, &p, "dh37fgj492je", secret).unwrap_err().kind(), "body_mismatch");
    assert_eq!(verify_response(&message(&response, &r), &o, &p, "dh37fgj492je", secret).unwrap_err().kind(), "missing_authorization");
}

#[test]
fn options_refuse_what_cannot_travel() {
    let bad = |ext: &str| Options::new("sha256", None, Some(ext.into()), None, None, true, SignatureType::Header, 60).unwrap_err().kind();
    assert_eq!(bad("a\"b"), "unsupported");
    assert_eq!(bad("a\\b"), "unsupported");
    assert_eq!(Options::new("md5", None, None, None, None, true, SignatureType::Header, 60).unwrap_err().kind(), "unsupported");
    assert_eq!(sign(&request().view(), &options(true), "a b\"", b"k", NOW).unwrap_err().kind(), "invalid_request");
}
