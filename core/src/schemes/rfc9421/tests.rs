//! Unit tests of the rfc9421 module: RFC 9421's own examples (B.2), derived
//! components, field values, and the errors of signing and verifying.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::components::Fault;
use super::values::{Uri, normalize_line, query_param, resolve};
use super::*;
use crate::body::Body;
use crate::request::{Header, Request};

const B25_SECRET: &str = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";
const CREATED: i64 = 1_618_884_473;

fn test_request() -> Request {
    Request {
        method: "POST".into(),
        target: "/foo?param=Value&Pet=dog".into(),
        headers: vec![
            Header::new("Host", "example.com"),
            Header::new("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            Header::new("Content-Type", "application/json"),
            Header::new(
                "Content-Digest",
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            ),
            Header::new("Content-Length", "18"),
        ],
        body: br#"{"hello": "world"}"#.to_vec(),
    }
}

fn options(components: &[&str], label: &str) -> Options {
    let components = Some(components.iter().map(|s| (*s).to_owned()).collect());
    Options::new(components, label.into(), Some(CREATED), None, None, None, false, None).unwrap()
}

fn with(mut r: Request, headers: Vec<Header>) -> Request {
    for h in headers {
        r.headers.retain(|x| !x.name.eq_ignore_ascii_case(&h.name));
        r.headers.push(h);
    }
    r
}

#[test]
fn rfc9421_b25_exactly() {
    let secret = BASE64.decode(B25_SECRET).unwrap();
    let r = test_request();
    let signed = sign(
        &MessageView::request(r.view()),
        &options(&["date", "@authority", "content-type"], "sig-b25"),
        "test-shared-secret",
        &secret,
        0,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(signed.string_to_sign).unwrap(),
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@authority\": example.com\n\"content-type\": application/json\n\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""
    );
    assert_eq!(
        signed.headers,
        vec![
            Header::new(
                "Signature-Input",
                "sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""
            ),
            Header::new("Signature", "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"),
        ]
    );
    let signed_request = with(r, signed.headers);
    // B.2.5 covers neither the method, the target nor the body's digest.
    let policy = Policy { required_components: Some(vec![]), allow_unsigned_body: true, ..Policy::default() };
    let v = verify(&MessageView::request(signed_request.view()), &policy, "test-shared-secret", &secret, CREATED + 10).unwrap();
    assert_eq!(v.key_id, "test-shared-secret");
    // The default policy wants @method and @target-uri covered.
    let err = verify(&MessageView::request(signed_request.view()), &Policy::default(), "test-shared-secret", &secret, CREATED).unwrap_err();
    assert_eq!(err.kind(), "missing_signed_header");
}

#[test]
fn derived_components_of_b2() {
    let r = test_request();
    let base = |components: &[&str]| {
        let s = sign(&MessageView::request(r.view()), &options(components, "s"), "k", b"x", 0).unwrap();
        String::from_utf8(s.string_to_sign).unwrap().lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let lines =
        base(&["@method", "@path", "@query", "@authority", "@scheme", "@target-uri", "@request-target", "@query-param;name=\"Pet\""]);
    assert_eq!(
        &lines[..8],
        [
            "\"@method\": POST",
            "\"@path\": /foo",
            "\"@query\": ?param=Value&Pet=dog",
            "\"@authority\": example.com",
            "\"@scheme\": https",
            "\"@target-uri\": https://example.com/foo?param=Value&Pet=dog",
            "\"@request-target\": /foo?param=Value&Pet=dog",
            "\"@query-param\";name=\"Pet\": dog",
        ]
    );
}

#[test]
fn an_empty_options_path_stays_empty_in_the_target_uri() {
    let target_uri = |method: &str, target: &str| {
        let r = Request { method: method.into(), target: target.into(), headers: vec![Header::new("Host", "h")], body: vec![] };
        resolve(&MessageView::request(r.view()), &Component::parse("@target-uri").unwrap()).unwrap()
    };
    assert_eq!(target_uri("OPTIONS", "https://example.com"), "https://example.com");
    assert_eq!(target_uri("OPTIONS", "https://example.com?a=/b"), "https://example.com?a=/b");
    assert_eq!(target_uri("OPTIONS", "https://example.com/"), "https://example.com/");
    assert_eq!(target_uri("GET", "https://example.com"), "https://example.com/");
    assert_eq!(target_uri("OPTIONS", "/x"), "https://h/x");
}

#[test]
fn query_params_are_decoded_then_re_encoded() {
    assert_eq!(query_param(Some("a=b+c%20d&e=%7E*&x"), "a").unwrap(), "b%20c%20d");
    assert_eq!(query_param(Some("a=b&e=%7E*"), "e").unwrap(), "%7E*");
    assert_eq!(query_param(Some("a=b&x"), "x").unwrap(), "");
    assert_eq!(query_param(Some("a%20b=1"), "a%20b").unwrap(), "1");
    assert!(matches!(query_param(Some("a=1&a=2"), "a"), Err(Fault::Message(_))));
    assert!(matches!(query_param(None, "a"), Err(Fault::Absent(_))));
}

#[test]
fn authority_drops_default_ports_and_lower_cases() {
    let uri = |target: &str| {
        let r = Request { method: "GET".into(), target: target.into(), headers: vec![], body: vec![] };
        Uri::of(&r.view()).unwrap().normalized_authority()
    };
    assert_eq!(uri("https://Example.COM:443/a"), "example.com");
    assert_eq!(uri("http://example.com:80/a"), "example.com");
    assert_eq!(uri("http://example.com:8080/a"), "example.com:8080");
    assert_eq!(uri("https://user@[::1]:443/"), "[::1]");
    assert_eq!(uri("https://[::1]:8443/"), "[::1]:8443");
}

#[test]
fn header_lines_are_trimmed_unfolded_and_combined() {
    assert_eq!(normalize_line("  a \t"), "a");
    assert_eq!(normalize_line("a \r\n  b"), "a b");
    assert_eq!(normalize_line("a\r\nb"), "a\r\nb");
    let r = Request {
        method: "GET".into(),
        target: "https://example.com/".into(),
        headers: vec![
            Header::new("X-A", " 1 "),
            Header::new("x-a", "2"),
            Header::new("Example-Dict", " a=1,    b=2;x=1;y=2, c=(a   b   c)"),
        ],
        body: vec![],
    };
    let m = MessageView::request(r.view());
    let value = |spec: &str| resolve(&m, &Component::parse(spec).unwrap());
    assert_eq!(value("x-a").unwrap(), "1, 2");
    assert_eq!(value("x-a;bs").unwrap(), ":MQ==:, :Mg==:");
    // RFC 9421 section 2.1.2.
    assert_eq!(value("example-dict;key=\"a\"").unwrap(), "1");
    assert_eq!(value("example-dict;key=\"b\"").unwrap(), "2;x=1;y=2");
    assert_eq!(value("example-dict;key=\"c\"").unwrap(), "(a b c)");
    assert!(matches!(value("example-dict;key=\"d\""), Err(Fault::Absent(_))));
    assert!(matches!(value("example-dict;sf"), Err(Fault::Unsupported(_))));
    assert!(matches!(value("x-missing"), Err(Fault::Absent(_))));
}

#[test]
fn bad_identifiers_are_refused_up_front() {
    for bad in ["Content-Type", "@unknown", "@query-param", "@method;name=\"x\"", "x;bs;sf", "x;tr", "x;foo", "@path;sf", "\"a\" b"] {
        let err = Component::parse(bad).unwrap_err();
        assert_eq!(err.kind(), "unsupported", "{bad}");
    }
    let opts = |label: &str| Options::new(None, label.into(), None, None, None, None, false, None);
    assert_eq!(opts("Sig").unwrap_err().kind(), "unsupported");
    assert!(opts("sig-1").is_ok());
    let twice = Options::new(Some(vec!["@path".into(), "\"@path\"".into()]), "s".into(), None, None, None, None, false, None);
    assert_eq!(twice.unwrap_err().kind(), "unsupported");
}

fn sign_and_attach(r: &Request, o: &Options, now: i64) -> Request {
    let s = sign(&MessageView::request(r.view()), o, "client", b"secret", now).unwrap();
    with(r.clone(), s.headers)
}

#[test]
fn verification_refuses_tampering_and_checks_time() {
    let now = 1_700_000_000;
    let mut o = options(&["@method", "@target-uri", "content-type"], "sig1");
    o.created = None;
    o.content_digest = Some(ContentDigest::Sha256);
    let mut r = test_request();
    r.headers.retain(|h| h.name != "Content-Digest");
    let signed = sign_and_attach(&r, &o, now);
    let p = Policy::default();
    let check = |r: &Request, at: i64| verify(&MessageView::request(r.view()), &p, "client", b"secret", at).map(|v| v.key_id);
    assert_eq!(check(&signed, now).unwrap(), "client");
    assert_eq!(check(&signed, now + 305).unwrap(), "client");
    assert_eq!(check(&signed, now + 306).unwrap_err().kind(), "stale");
    assert_eq!(check(&signed, now - 6).unwrap_err().kind(), "future");
    let tampered = with(signed.clone(), vec![Header::new("Content-Type", "text/plain")]);
    assert_eq!(check(&tampered, now).unwrap_err().kind(), "bad_signature");
    let mut body = signed.clone();
    body.body.push(b' ');
    assert_eq!(check(&body, now).unwrap_err().kind(), "body_mismatch");
    let mut moved = signed.clone();
    moved.target = "/bar".into();
    assert_eq!(check(&moved, now).unwrap_err().kind(), "bad_signature");
    let mut gone = signed.clone();
    gone.headers.retain(|h| h.name != "Content-Type");
    let err = check(&gone, now).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string().as_str()),
        ("bad_signature", "signature does not match: the message has no content-type header")
    );
    assert_eq!(verify(&MessageView::request(signed.view()), &p, "client", b"other", now).unwrap_err().kind(), "bad_signature");
    assert_eq!(verify(&MessageView::request(signed.view()), &p, "someone", b"secret", now).unwrap_err().kind(), "unknown_key");
    let mut unsigned = signed.clone();
    unsigned.headers.retain(|h| !h.name.starts_with("Signature"));
    assert_eq!(check(&unsigned, now).unwrap_err().kind(), "missing_authorization");
    let garbled = with(signed.clone(), vec![Header::new("Signature", "sig1=(")]);
    assert_eq!(check(&garbled, now).unwrap_err().kind(), "malformed_authorization");
}

#[test]
fn a_body_must_be_covered_by_a_digest() {
    let o = options(&["@method", "@target-uri"], "sig1");
    let mut r = test_request();
    r.headers.retain(|h| h.name != "Content-Digest");
    let signed = sign_and_attach(&r, &o, CREATED);
    let check = |p: &Policy| verify(&MessageView::request(signed.view()), p, "client", b"secret", CREATED);
    assert_eq!(check(&Policy::default()).unwrap_err().kind(), "body_mismatch");
    assert!(check(&Policy { allow_unsigned_body: true, ..Policy::default() }).is_ok());
}

#[test]
fn several_signatures_in_one_message() {
    let r = test_request();
    let first = sign_and_attach(&r, &options(&["@method", "@target-uri", "content-digest"], "a"), CREATED);
    let mut second_options = options(&["@method", "@target-uri", "content-digest", "signature;key=\"a\""], "b");
    second_options.tag = Some("proxy".into());
    let both = sign_and_attach(&first, &second_options, CREATED);
    let input = both.view().header_joined("Signature-Input").unwrap();
    assert!(input.starts_with("a=(\"@method\" \"@target-uri\" \"content-digest\");created=1618884473;keyid=\"client\", b=("), "{input}");
    let m = MessageView::request(both.view());
    assert!(verify(&m, &Policy::default(), "client", b"secret", CREATED).is_ok());
    let only_b = Policy { tag: Some("proxy".into()), ..Policy::default() };
    assert_eq!(verify(&m, &only_b, "client", b"secret", CREATED).unwrap().replay_key.unwrap().split(':').next(), Some("b"));
    let none = Policy { label: Some("c".into()), ..Policy::default() };
    assert_eq!(verify(&m, &none, "client", b"secret", CREATED).unwrap_err().kind(), "missing_authorization");
    // The same label twice is refused, whether signing or reading.
    let again = sign(&m, &options(&["@method"], "a"), "client", b"secret", CREATED).unwrap_err();
    assert_eq!(again.kind(), "invalid_request");
    let dup = with(both.clone(), vec![Header::new("Signature-Input", format!("{input}, {input}"))]);
    assert_eq!(
        verify(&MessageView::request(dup.view()), &Policy::default(), "client", b"secret", CREATED).unwrap_err().kind(),
        "malformed_authorization"
    );
}

#[test]
fn responses_sign_status_and_the_request_with_req() {
    let request = test_request();
    let headers = vec![Header::new("Content-Type", "application/json"), Header::new("Content-Length", "23")];
    let response = MessageView {
        headers: &headers,
        body: Body::Bytes(br#"{"message": "good dog"}"#),
        status: Some(200),
        request: Some(request.view()),
    };
    let mut o = options(&["@status", "content-type", "@method;req", "@authority;req"], "sig1");
    o.content_digest = Some(ContentDigest::Sha512);
    let s = sign(&response, &o, "k", b"x", 0).unwrap();
    let base = String::from_utf8(s.string_to_sign).unwrap();
    assert!(base.starts_with("\"@status\": 200\n\"content-type\": application/json\n\"@method\";req: POST\n\"@authority\";req: example.com\n\"content-digest\": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:\n"), "{base}");
    let no_req = options(&["@method"], "s");
    assert_eq!(sign(&response, &no_req, "k", b"x", 0).unwrap_err().kind(), "unsupported");
    assert_eq!(sign(&MessageView::request(request.view()), &options(&["@status"], "s"), "k", b"x", 0).unwrap_err().kind(), "unsupported");
}

#[test]
fn values_that_cannot_be_signed_are_refused() {
    let mut r = test_request();
    r.headers.push(Header::new("X-Bad", "caf\u{e9}"));
    assert_eq!(sign(&MessageView::request(r.view()), &options(&["x-bad"], "s"), "k", b"x", 0).unwrap_err().kind(), "invalid_request");
    assert_eq!(sign(&MessageView::request(r.view()), &options(&["x-none"], "s"), "k", b"x", 0).unwrap_err().kind(), "invalid_request");
    let mut digest = options(&["@method"], "s");
    digest.content_digest = Some(ContentDigest::Sha256);
    assert_eq!(sign(&MessageView::request(r.view()), &digest, "k", b"x", 0).unwrap_err().kind(), "invalid_request");
    assert_eq!(sign(&MessageView::request(r.view()), &options(&["@method"], "s"), "k\n", b"x", 0).unwrap_err().kind(), "unsupported");
}
