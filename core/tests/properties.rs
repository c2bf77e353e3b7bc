//! Property tests over the public API, for every scheme: a random request,
//! signed then verified, is accepted; changing one byte of a signed component
//! (method, target, a signed header, the body) is refused with the kind that
//! names it, a clock far off is `stale` or `future`, and a change to something
//! the scheme does not sign (an added header; the method, where unsigned) is
//! still accepted. Deterministic (SplitMix64 with fixed seeds), so a failure
//! reproduces; the failing case is printed.

use std::sync::Arc;

mod common;

use common::{BODY_METHODS, METHODS, Rng, random_request};
use hmacsig::{Credentials, Header, Policy, Request, Scheme, Signer, verify_request};

const CASES: u64 = 300;
const NOW: i64 = 1_700_000_000;
/// Further from NOW than any scheme's window.
const FAR: i64 = 100_000;

/// What one scheme signs, and the kind each change gives.
struct Expect<'a> {
    /// The method is signed: another one is `bad_signature` (else accepted).
    method_signed: bool,
    /// Headers whose one-character change is `bad_signature`.
    signed_headers: &'a [&'a str],
    /// The kind a changed body gives: `body_mismatch` where a signed hash of the body is
    /// compared, `bad_signature` where the body is in the string to sign.
    body: &'static str,
    /// A clock FAR off is `stale` / `future` (else accepted: the scheme has no time).
    timed: bool,
}

/// Changes to `request` (after signing), each with the kind it must give (`ok`: accepted).
fn changes(rng: &mut Rng, request: &Request, expect: &Expect<'_>) -> Vec<(String, Request, &'static str)> {
    let mut out = Vec::new();
    let mut m = request.clone();
    // Where the method is not signed, it still decides whether the body is (path-body-hex):
    // the other method is then one of the same kind.
    let has_body = |method: &str| BODY_METHODS.contains(&method);
    let others: Vec<&&str> =
        METHODS.iter().filter(|x| **x != request.method && (expect.method_signed || has_body(x) == has_body(&request.method))).collect();
    m.method = rng.pick(&others).to_string();
    out.push((format!("method -> {}", m.method), m, if expect.method_signed { "bad_signature" } else { "ok" }));
    // One character of the path (the last that is not '/', before any query).
    let mut t = request.clone();
    let path_start = t.target.find("://").map_or(0, |i| i + 3 + t.target[i + 3..].find('/').unwrap_or(0));
    let end = t.target.find('?').unwrap_or(t.target.len());
    if let Some(pos) = (path_start + 1..end).rev().find(|&i| t.target.as_bytes()[i] != b'/') {
        let replacement = if t.target.as_bytes()[pos] == b'z' { 'y' } else { 'z' };
        t.target.replace_range(pos..pos + 1, &replacement.to_string());
        out.push((format!("target -> {}", t.target), t, "bad_signature"));
    }
    for name in expect.signed_headers {
        let mut h = request.clone();
        if let Some(header) = h.headers.iter_mut().find(|x| x.name.eq_ignore_ascii_case(name)) {
            // Change the last digit (a date or timestamp stays well-formed and in its window;
            // in Signature-Input, `created`'s), else the last character.
            let digits = match header.value.find("created=") {
                Some(at) => &header.value[..at + 8 + header.value[at + 8..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0)],
                None => &header.value,
            };
            let pos = digits.rfind(|c: char| c.is_ascii_digit()).or(header.value.len().checked_sub(1)).unwrap_or(0);
            let old = header.value[pos..].chars().next().unwrap_or('x');
            let new = if old == '1' { "2" } else { "1" };
            header.value.replace_range(pos..pos + old.len_utf8().min(header.value.len() - pos), new);
            out.push((format!("header {name} -> {}", header.value), h, "bad_signature"));
        }
    }
    if !request.body.is_empty() {
        let mut b = request.clone();
        let i = rng.below(b.body.len());
        b.body[i] ^= 1 << rng.below(8);
        out.push(("body byte flipped".to_owned(), b, expect.body));
    } else if BODY_METHODS.contains(&request.method.as_str()) {
        let mut b = request.clone();
        b.body.push(b'x');
        out.push(("body byte added".to_owned(), b, expect.body));
    }
    let mut extra = request.clone();
    extra.headers.push(Header::new("X-Not-Signed", rng.word(1, 8)));
    out.push(("an unsigned header added".to_owned(), extra, "ok"));
    out
}

fn check_scheme(seed: u64, absolute: bool, scheme: Arc<Scheme>, policy: Option<Arc<Policy>>, expect: &Expect<'_>) {
    let mut rng = Rng(seed);
    let name = scheme.name();
    let kind = |credentials: &Arc<Credentials>, request: &Request, now: i64| {
        verify_request(scheme.clone(), credentials.clone(), request.clone(), policy.clone(), Some(now)).map_or_else(|e| e.kind(), |_| "ok")
    };
    for case in 0..CASES {
        let credentials = Arc::new(Credentials::new(format!("key-{}", rng.word(1, 6)), rng.bytes(64)));
        let mut request = random_request(&mut rng, absolute);
        let signed = Signer::new(scheme.clone(), credentials.clone())
            .sign_request(request.clone(), Some(NOW))
            .unwrap_or_else(|e| panic!("{name} case {case}: signing {request:?} failed: {e}"));
        for header in signed.headers {
            request.headers.retain(|h| !h.name.eq_ignore_ascii_case(&header.name));
            request.headers.push(header);
        }
        if let Some(url) = signed.url {
            request.target = url;
        }
        let verified = verify_request(scheme.clone(), credentials.clone(), request.clone(), policy.clone(), Some(NOW + 1));
        assert_eq!(verified.as_deref(), Ok(credentials.key_id().as_str()), "{name} case {case}: {request:?}");
        for (what, changed, want) in changes(&mut rng, &request, expect) {
            assert_eq!(kind(&credentials, &changed, NOW + 1), want, "{name} case {case}: {what}: {changed:?}");
        }
        let (late, early) = if expect.timed { ("stale", "future") } else { ("ok", "ok") };
        assert_eq!(kind(&credentials, &request, NOW + FAR), late, "{name} case {case}: verified {FAR} s later");
        assert_eq!(kind(&credentials, &request, NOW - FAR), early, "{name} case {case}: verified {FAR} s earlier");
    }
}

#[test]
fn api_auth_round_trips_and_names_each_change() {
    for digest in ["sha1", "sha256", "sha512"] {
        let scheme = Scheme::api_auth(digest.into(), vec!["X-Request-Id".into()], None).unwrap();
        // Date is the timestamp; Content-Type and the content hash are in the canonical string.
        let signed_headers = &["Date", "X-Request-Id", "Content-Type", "X-Authorization-Content-SHA256"];
        check_scheme(0xA91, false, scheme, None, &Expect { method_signed: true, signed_headers, body: "body_mismatch", timed: true });
    }
}

#[test]
fn path_body_hex_round_trips_and_names_each_change() {
    // The method is not signed by this scheme (seed 000); only path, query and body are.
    for digest in ["sha1", "sha256"] {
        let expect = Expect { method_signed: false, signed_headers: &[], body: "bad_signature", timed: false };
        check_scheme(0xB0D, false, Scheme::path_body_hex(digest.into()).unwrap(), None, &expect);
    }
}

#[test]
fn timestamped_round_trips_and_names_each_change() {
    use hmacsig::HeaderStyle;
    for style in [HeaderStyle::XRequest, HeaderStyle::Authorization] {
        let expect = Expect { method_signed: true, signed_headers: &["X-Request-Timestamp"], body: "bad_signature", timed: true };
        check_scheme(0x7135, true, Scheme::timestamped(Some(style), false), None, &expect);
    }
}

#[test]
fn rfc9421_round_trips_and_names_each_change() {
    use hmacsig::ContentDigest;
    let components = Some(["@method", "@target-uri", "x-request-id"].map(str::to_owned).to_vec());
    for (absolute, digest) in [(false, ContentDigest::Sha256), (true, ContentDigest::Sha512)] {
        let scheme = Scheme::rfc9421(components.clone(), "sig1".into(), None, None, None, None, true, Some(digest)).unwrap();
        // Signature-Input carries `created`; Content-Digest covers the body.
        let signed_headers = &["X-Request-Id", "Signature-Input", "Content-Digest"];
        check_scheme(0x9421, absolute, scheme, None, &Expect { method_signed: true, signed_headers, body: "body_mismatch", timed: true });
    }
}

#[test]
fn aws_sigv4_round_trips_and_names_each_change() {
    use hmacsig::SignatureType;
    for (signature_type, sign_body, normalize) in
        [(SignatureType::Header, false, true), (SignatureType::Header, true, false), (SignatureType::Query, false, true)]
    {
        let scheme =
            Scheme::aws_sigv4("us-east-1".into(), "service".into(), None, false, normalize, true, sign_body, Some(signature_type), 3600)
                .unwrap();
        // Every header present when signing is signed; X-Amz-Date is the timestamp. The body's
        // hash is in the canonical request; with sign_body it is also a header, compared.
        let signed_headers: &[&str] = match signature_type {
            SignatureType::Header => &["X-Request-Id", "Host", "X-Amz-Date"],
            SignatureType::Query => &["X-Request-Id", "Host"],
        };
        let body = if sign_body { "body_mismatch" } else { "bad_signature" };
        check_scheme(
            0x5164,
            false,
            scheme,
            Some(Policy::aws_sigv4(900)),
            &Expect { method_signed: true, signed_headers, body, timed: true },
        );
    }
}
