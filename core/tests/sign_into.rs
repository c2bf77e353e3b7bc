//! `Signer::sign_into` (Rust's allocation-free hot path) must leave in its
//! output exactly what `Signer::sign_view` returns, whatever the output held
//! before, and leave it empty on error, for every scheme. Deterministic
//! (SplitMix64 with a fixed seed).

mod common;

use std::sync::Arc;

use common::{Rng, random_request};
use hmacsig::{ContentDigest, Credentials, Header, HeaderStyle, Scheme, SignatureType, SignedRequest, Signer};

const NOW: i64 = 1_700_000_000;

fn schemes() -> Vec<Arc<Scheme>> {
    vec![
        Scheme::api_auth("sha256".into(), vec![], None).unwrap(),
        Scheme::api_auth("sha1".into(), vec!["X-Request-Id".into()], None).unwrap(),
        Scheme::api_auth("SHA512".into(), vec![], Some("PUT".into())).unwrap(),
        Scheme::path_body_hex("sha256".into()).unwrap(),
        Scheme::timestamped(Some(HeaderStyle::XRequest), false),
        Scheme::aws_sigv4("us-east-1".into(), "s3".into(), None, false, false, false, false, Some(SignatureType::Query), 900).unwrap(),
        Scheme::rfc9421(None, "sig1".into(), None, None, None, None, true, Some(ContentDigest::Sha256)).unwrap(),
    ]
}

/// An output that already holds something, as a reused one does.
fn stale_output() -> SignedRequest {
    SignedRequest {
        headers: vec![Header::new("Date", "stale"), Header::new("X-Old", "x".repeat(300)), Header::new("A", "b"), Header::new("C", "d")],
        string_to_sign: b"stale string to sign".to_vec(),
        url: Some("https://stale.example/".into()),
    }
}

#[test]
fn sign_into_equals_sign_view_whatever_the_output_held() {
    let mut rng = Rng(0x5eed_1270);
    for scheme in schemes() {
        let signer = Signer::new(scheme.clone(), Arc::new(Credentials::new("key-1".into(), b"into-secret".to_vec())));
        // One output reused across every case (as a hot loop does), and a fresh stale one each time.
        let mut reused = SignedRequest { headers: vec![], string_to_sign: vec![], url: None };
        for case in 0..200 {
            let absolute = rng.below(2) == 0;
            let mut r = random_request(&mut rng, absolute);
            // What random_request never makes: preset fields, repeats, bad lines.
            match rng.below(8) {
                0 => r.headers.push(Header::new("Date", "Tue, 14 Nov 2023 22:13:20 GMT")),
                1 => r.headers.push(Header::new("X-Authorization-Content-SHA256", "preset-hash")),
                2 => r.headers.push(Header::new("content-type", "text/plain")),
                3 => r.headers.push(Header::new("X-Evil", "a\r\nInjected: 1")),
                4 => r.method = r.method.to_lowercase(),
                5 => r.headers.push(Header::new("X-Original-URI", "/proxied?a=1")),
                _ => {}
            }
            let now = Some(NOW + rng.below(3) as i64);
            let expected = signer.sign_view(&r.view(), now);
            for out in [&mut reused, &mut stale_output()] {
                let result = signer.sign_into(&r.view(), now, out);
                match (&expected, result) {
                    (Ok(signed), Ok(())) => assert_eq!(out, signed, "{} case {case}: {r:?}", scheme.name()),
                    (Err(a), Err(b)) => {
                        assert_eq!((a.kind(), a.reason()), (b.kind(), b.reason()), "{} case {case}", scheme.name());
                        assert_eq!(*out, SignedRequest { headers: vec![], string_to_sign: vec![], url: None }, "left empty on error");
                    }
                    (a, b) => panic!("{} case {case}: sign_view gave {a:?}, sign_into {b:?}; {r:?}", scheme.name()),
                }
            }
        }
    }
}

#[test]
fn api_auth_sign_into_reuses_the_outputs_strings() {
    let signer = Signer::new(schemes()[0].clone(), Arc::new(Credentials::new("key-1".into(), b"into-secret".to_vec())));
    let headers = vec![Header::new("Content-Type", "application/json")];
    let request = hmacsig::RequestView { method: "POST", target: "/orders", headers: &headers, body: hmacsig::Body::Bytes(b"{}") };
    let mut out = SignedRequest { headers: vec![], string_to_sign: vec![], url: None };
    signer.sign_into(&request, Some(NOW), &mut out).unwrap();
    let buffers: Vec<*const u8> = out.headers.iter().map(|h| h.value.as_ptr()).chain([out.string_to_sign.as_ptr()]).collect();
    signer.sign_into(&request, Some(NOW + 1), &mut out).unwrap();
    let again: Vec<*const u8> = out.headers.iter().map(|h| h.value.as_ptr()).chain([out.string_to_sign.as_ptr()]).collect();
    assert_eq!(buffers, again, "the second sign must write into the first one's buffers");
    assert_eq!(out, signer.sign_view(&request, Some(NOW + 1)).unwrap());
}
