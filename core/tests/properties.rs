//! Property tests over the public API, for every scheme: a random request,
//! signed then verified, is accepted; changing one byte of any signed
//! component (method, target, a signed header, the body, the timestamp) is
//! rejected. Deterministic (SplitMix64 with fixed seeds), so a failure
//! reproduces; the failing case is printed.

use std::sync::Arc;

mod common;

use common::{BODY_METHODS, METHODS, Rng, random_request};
use hmacsig::{Credentials, Policy, Request, Scheme, Signer, verify_request};

const CASES: u64 = 300;
const NOW: i64 = 1_700_000_000;

/// One-byte changes to the signed components of `request` (after signing).
fn mutations(rng: &mut Rng, request: &Request, signed_headers: &[&str], method_signed: bool) -> Vec<(String, Request)> {
    let mut out = Vec::new();
    if method_signed {
        let mut m = request.clone();
        m.method = rng.pick(&METHODS.iter().filter(|x| **x != request.method).collect::<Vec<_>>()).to_string();
        out.push((format!("method -> {}", m.method), m));
    }
    // Change one character of the path (after the last '/' before any query).
    let mut t = request.clone();
    let path_start = t.target.find("://").map_or(0, |i| i + 3 + t.target[i + 3..].find('/').unwrap_or(0));
    let end = t.target.find('?').unwrap_or(t.target.len());
    if let Some(pos) = (path_start + 1..end).rev().find(|&i| t.target.as_bytes()[i] != b'/') {
        let replacement = if t.target.as_bytes()[pos] == b'z' { 'y' } else { 'z' };
        t.target.replace_range(pos..pos + 1, &replacement.to_string());
        out.push((format!("target -> {}", t.target), t));
    }
    for name in signed_headers {
        let mut h = request.clone();
        if let Some(header) = h.headers.iter_mut().find(|x| x.name.eq_ignore_ascii_case(name)) {
            // Change the last digit (a Date or timestamp stays well-formed), else the last character.
            let pos = header.value.rfind(|c: char| c.is_ascii_digit()).or(header.value.len().checked_sub(1)).unwrap_or(0);
            let old = header.value[pos..].chars().next().unwrap_or('x');
            let new = if old == '1' { "2" } else { "1" };
            header.value.replace_range(pos..pos + old.len_utf8().min(header.value.len() - pos), new);
            out.push((format!("header {name} -> {}", header.value), h));
        }
    }
    if !request.body.is_empty() {
        let mut b = request.clone();
        let i = rng.below(b.body.len());
        b.body[i] ^= 1 << rng.below(8);
        out.push(("body byte flipped".to_owned(), b));
    } else if BODY_METHODS.contains(&request.method.as_str()) {
        let mut b = request.clone();
        b.body.push(b'x');
        out.push(("body byte added".to_owned(), b));
    }
    out
}

fn check_scheme(seed: u64, absolute: bool, scheme: Arc<Scheme>, policy: Option<Arc<Policy>>, signed_headers: &[&str], method_signed: bool) {
    let mut rng = Rng(seed);
    for case in 0..CASES {
        let credentials = Arc::new(Credentials::new(format!("key-{}", rng.word(1, 6)), rng.bytes(64)));
        let mut request = random_request(&mut rng, absolute);
        let signed = Signer::new(scheme.clone(), credentials.clone()).sign_request(request.clone(), Some(NOW)).unwrap_or_else(|e| {
            panic!("{} case {case}: signing {request:?} failed: {e}", scheme.name());
        });
        for header in signed.headers {
            request.headers.retain(|h| !h.name.eq_ignore_ascii_case(&header.name));
            request.headers.push(header);
        }
        let verified = verify_request(scheme.clone(), credentials.clone(), request.clone(), policy.clone(), Some(NOW + 1));
        assert_eq!(verified.as_deref(), Ok(credentials.key_id().as_str()), "{} case {case}: {request:?}", scheme.name());
        let changes = mutations(&mut rng, &request, signed_headers, method_signed);
        assert!(changes.len() > signed_headers.len().min(1), "{} case {case}: too few mutations", scheme.name());
        for (what, changed) in changes {
            let result = verify_request(scheme.clone(), credentials.clone(), changed.clone(), policy.clone(), Some(NOW + 1));
            assert!(result.is_err(), "{} case {case}: {what} was accepted: {changed:?}", scheme.name());
        }
    }
}

#[test]
fn api_auth_round_trips_and_detects_one_byte_changes() {
    for digest in ["sha1", "sha256", "sha512"] {
        let scheme = Scheme::api_auth(digest.into(), vec!["X-Request-Id".into()], None).unwrap();
        // Date is the timestamp; Content-Type and the content hash are signed headers.
        check_scheme(0xA91, false, scheme, None, &["Date", "X-Request-Id", "Content-Type", "X-Authorization-Content-SHA256"], true);
    }
}

#[test]
fn path_body_hex_round_trips_and_detects_one_byte_changes() {
    // The method is not signed by this scheme (seed 000); only path, query and body are.
    for digest in ["sha1", "sha256"] {
        check_scheme(0xB0D, false, Scheme::path_body_hex(digest.into()).unwrap(), None, &[], false);
    }
}

#[test]
fn timestamped_round_trips_and_detects_one_byte_changes() {
    use hmacsig::HeaderStyle;
    for style in [HeaderStyle::XRequest, HeaderStyle::Authorization] {
        check_scheme(0x7135, true, Scheme::timestamped(Some(style), false), None, &["X-Request-Timestamp"], true);
    }
}

#[test]
fn rfc9421_round_trips_and_detects_one_byte_changes() {
    use hmacsig::ContentDigest;
    let components = Some(["@method", "@target-uri", "x-request-id"].map(str::to_owned).to_vec());
    for (absolute, digest) in [(false, ContentDigest::Sha256), (true, ContentDigest::Sha512)] {
        let scheme = Scheme::rfc9421(components.clone(), "sig1".into(), None, None, None, None, true, Some(digest)).unwrap();
        // Signature-Input carries `created`; Content-Digest covers the body.
        check_scheme(0x9421, absolute, scheme, None, &["X-Request-Id", "Signature-Input", "Content-Digest"], true);
    }
}
