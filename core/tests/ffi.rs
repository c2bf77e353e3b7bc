//! The language layers' one call path (`hmacsig_call`, docs/ffi.md), driven
//! exactly as a foreign layer drives it: object ids from cloned UniFFI
//! handles, pointers and lengths in, a buffer out. Every result and every
//! error must be what the Rust API gives for the same input. Deterministic
//! (SplitMix64 with a fixed seed).

// The entry points exist only with the foreign interface (feature `ffi`).
#![cfg(feature = "ffi")]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{Rng, random_request};
use hmacsig::{
    ContentDigest, Credentials, Header, HeaderStyle, HmacSigError, Policy, ReplayGuard, Request, RequestView, Response, Scheme,
    SignatureType, SignedRequest, Signer, Verifier,
};

unsafe extern "C" {
    fn hmacsig_signer_id(handle: u64) -> u64;
    fn hmacsig_verifier_id(handle: u64) -> u64;
    fn hmacsig_call(
        op: u32,
        object: u64,
        counts: u64,
        text: *const u8,
        text_len: u64,
        body: *const u8,
        body_len: u64,
        secret: *const u8,
        secret_len: u64,
        now: i64,
        out: *mut u8,
        out_cap: u64,
    ) -> i64;
    fn hmacsig_call_result(out: *mut u8, out_cap: u64) -> i64;
}

const OP_SIGN: u32 = 1;
const OP_SIGN_RESPONSE: u32 = 2;
const OP_VERIFY: u32 = 3;
const OP_VERIFY_RESPONSE: u32 = 4;
const OP_KEY_ID: u32 = 5;
const OP_RESPONSE_KEY_ID: u32 = 6;
const CLOSED: i64 = -1;
const BAD_CALL: i64 = -2;
const NO_RESULT: i64 = -3;
const NOW: i64 = 1_700_000_000;

/// An id as a layer gets one: from a cloned UniFFI handle.
fn signer_id(signer: &Arc<Signer>) -> u64 {
    unsafe { hmacsig_signer_id(uniffi::Handle::from_arc(signer.clone()).as_raw()) }
}

fn verifier_id(verifier: &Arc<Verifier>) -> u64 {
    unsafe { hmacsig_verifier_id(uniffi::Handle::from_arc(verifier.clone()).as_raw()) }
}

/// What a layer decodes from the output.
#[derive(Debug, PartialEq)]
enum Decoded {
    Signed(SignedRequest),
    KeyId(String),
    Error { kind: String, fields: Vec<String> },
}

const KINDS: [&str; 13] = [
    "invalid_request",
    "missing_authorization",
    "malformed_authorization",
    "unknown_key",
    "bad_signature",
    "stale",
    "future",
    "body_mismatch",
    "digest_not_allowed",
    "missing_signed_header",
    "replayed",
    "unsupported",
    "key_lookup_failed",
];

fn decode(buf: &[u8]) -> Decoded {
    let u32_at = |at: usize| u32::from_le_bytes(buf[at..at + 4].try_into().unwrap()) as usize;
    let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
    match buf[0] {
        0 => {
            let mut at = 5;
            let mut headers = vec![];
            for _ in 0..u32_at(1) {
                let n = u32_at(at);
                let name = text(&buf[at + 4..at + 4 + n]);
                at += 4 + n;
                let n = u32_at(at);
                headers.push(Header::new(name, text(&buf[at + 4..at + 4 + n])));
                at += 4 + n;
            }
            let url_len = u32_at(at);
            at += 4;
            let url = (url_len > 0).then(|| text(&buf[at..at + url_len - 1]));
            at += url_len.saturating_sub(1);
            Decoded::Signed(SignedRequest { headers, url, string_to_sign: buf[at..].to_vec() })
        }
        1 => Decoded::KeyId(text(&buf[1..])),
        2 => {
            let count = u32_at(2);
            let mut at = 6;
            let mut fields = vec![];
            for _ in 0..count - 1 {
                let n = u32_at(at);
                fields.push(text(&buf[at + 4..at + 4 + n]));
                at += 4 + n;
            }
            fields.push(text(&buf[at..]));
            Decoded::Error { kind: KINDS[buf[1] as usize].to_owned(), fields }
        }
        tag => panic!("unknown tag {tag}"),
    }
}

fn error(e: &HmacSigError) -> Decoded {
    let mut fields = vec![e.reason().to_owned()];
    match e {
        HmacSigError::UnknownKey { key_id, .. } => fields.push(key_id.clone()),
        HmacSigError::BadSignature { string_to_sign, .. } => fields.push(string_to_sign.clone()),
        _ => {}
    }
    Decoded::Error { kind: e.kind().to_owned(), fields }
}

fn request_text(method: &str, target: &str, headers: &[Header]) -> (String, u64) {
    let mut fields = vec![method, target];
    fields.extend(headers.iter().flat_map(|h| [h.name.as_str(), h.value.as_str()]));
    (fields.join("\0"), fields.len() as u64)
}

fn response_text(response: &Response, request: Option<&Request>) -> (String, u64) {
    let status = response.status.to_string();
    let mut fields = vec![status.as_str()];
    fields.extend(response.headers.iter().flat_map(|h| [h.name.as_str(), h.value.as_str()]));
    let count = fields.len() as u64;
    let mut text = fields.join("\0");
    let mut request_count = 0;
    if let Some(r) = request {
        let (t, n) = request_text(&r.method, &r.target, &r.headers);
        text.push('\0');
        text.push_str(&t);
        request_count = n;
    }
    (text, count | (request_count << 32))
}

struct Call<'a> {
    op: u32,
    object: u64,
    text: (String, u64),
    body: &'a [u8],
    secret: Option<&'a [u8]>,
    now: i64,
}

impl Call<'_> {
    fn raw(&self, out: &mut [u8]) -> i64 {
        let (text, counts) = &self.text;
        let (secret, secret_len) = self.secret.map_or((std::ptr::null(), 0), |s| (s.as_ptr(), s.len() as u64));
        unsafe {
            hmacsig_call(
                self.op,
                self.object,
                *counts,
                text.as_ptr(),
                text.len() as u64,
                self.body.as_ptr(),
                self.body.len() as u64,
                secret,
                secret_len,
                self.now,
                out.as_mut_ptr(),
                out.len() as u64,
            )
        }
    }

    /// The call as a layer makes it: a small buffer, the kept result fetched when larger.
    fn run(&self) -> Result<Decoded, i64> {
        let mut out = vec![0u8; 64];
        let n = self.raw(&mut out);
        if n < 0 {
            return Err(n);
        }
        let n = n as usize;
        if n > out.len() {
            out = vec![0u8; n];
            assert_eq!(unsafe { hmacsig_call_result(out.as_mut_ptr(), n as u64) }, n as i64);
        }
        Ok(decode(&out[..n]))
    }
}

fn schemes() -> Vec<Arc<Scheme>> {
    vec![
        Scheme::api_auth("sha256".into(), vec![], None).unwrap(),
        Scheme::api_auth("sha1".into(), vec!["X-Request-Id".into()], None).unwrap(),
        Scheme::path_body_hex("sha256".into()).unwrap(),
        Scheme::timestamped(Some(HeaderStyle::XRequest), false),
        Scheme::aws_sigv4("us-east-1".into(), "s3".into(), None, false, false, false, true, Some(SignatureType::Header), 900).unwrap(),
        Scheme::aws_sigv4("us-east-1".into(), "s3".into(), None, false, false, false, false, Some(SignatureType::Query), 900).unwrap(),
        Scheme::rfc9421(None, "sig1".into(), None, None, None, None, true, Some(ContentDigest::Sha256)).unwrap(),
    ]
}

fn creds() -> Arc<Credentials> {
    Arc::new(Credentials::new("key-1".into(), b"call-secret".to_vec()))
}

#[test]
fn signing_and_verifying_through_the_entry_equals_the_rust_api() {
    let mut rng = Rng(0xca11_0001);
    for scheme in schemes() {
        let signer = Arc::new(Signer::new(scheme.clone(), creds()));
        let keys = HashMap::from([("key-1".to_owned(), b"call-secret".to_vec())]);
        let verifier = Arc::new(Verifier::with_keys(scheme.clone(), keys, None, None).unwrap());
        let (sid, vid) = (signer_id(&signer), verifier_id(&verifier));
        for case in 0..120 {
            let absolute = rng.below(2) == 0;
            let r = random_request(&mut rng, absolute);
            let sign = Call {
                op: OP_SIGN,
                object: sid,
                text: request_text(&r.method, &r.target, &r.headers),
                body: &r.body,
                secret: None,
                now: NOW,
            };
            let expected = signer.sign_view(&r.view(), Some(NOW));
            let what = format!("{} case {case}: {r:?}", scheme.name());
            match &expected {
                Ok(signed) => assert_eq!(sign.run(), Ok(Decoded::Signed(signed.clone())), "{what}"),
                Err(e) => assert_eq!(sign.run(), Ok(error(e)), "{what}"),
            }
            let Ok(signed) = expected else { continue };
            let mut sent = r.clone();
            if let Some(url) = &signed.url {
                sent.target = url.clone();
            }
            sent.headers.retain(|h| !signed.headers.iter().any(|s| s.name.eq_ignore_ascii_case(&h.name)));
            sent.headers.extend(signed.headers.clone());
            if rng.below(3) == 0 && !sent.body.is_empty() {
                sent.body[0] ^= 1; // a tampered body: whatever the verdict, the same through the entry
            }
            let verify = Call {
                op: OP_VERIFY,
                object: vid,
                text: request_text(&sent.method, &sent.target, &sent.headers),
                body: &sent.body,
                secret: None,
                now: NOW,
            };
            match verifier.verify_view(&sent.view(), Some(NOW)) {
                Ok(key_id) => assert_eq!(verify.run(), Ok(Decoded::KeyId(key_id)), "{what}"),
                Err(e) => assert_eq!(verify.run(), Ok(error(&e)), "{what}"),
            }
            let key_id = Call { op: OP_KEY_ID, ..verify };
            match verifier.key_id(&sent.view()) {
                Ok(k) => assert_eq!(key_id.run(), Ok(Decoded::KeyId(k)), "{what}"),
                Err(e) => assert_eq!(key_id.run(), Ok(error(&e)), "{what}"),
            }
        }
    }
}

fn signed_request(signer: &Signer, r: &Request) -> Request {
    let signed = signer.sign_view(&r.view(), Some(NOW)).unwrap();
    let mut sent = r.clone();
    sent.headers.extend(signed.headers);
    sent
}

fn a_request() -> Request {
    Request {
        method: "POST".into(),
        target: "/orders?id=7".into(),
        headers: vec![Header::new("Host", "api.example.com"), Header::new("Content-Type", "application/json")],
        body: br#"{"id":7}"#.to_vec(),
    }
}

#[test]
fn a_verifier_with_caller_secrets_takes_one_per_call() {
    let scheme = schemes()[0].clone();
    let signer = Signer::new(scheme.clone(), creds());
    let verifier = Arc::new(Verifier::with_caller_secrets(scheme.clone(), None, None).unwrap());
    let sent = signed_request(&signer, &a_request());
    let text = || request_text(&sent.method, &sent.target, &sent.headers);
    let call = |op, secret| Call { op, object: verifier_id(&verifier), text: text(), body: &sent.body, secret, now: NOW }.run();
    assert_eq!(call(OP_KEY_ID, None), Ok(Decoded::KeyId("key-1".into())));
    assert_eq!(call(OP_VERIFY, Some(b"call-secret")), Ok(Decoded::KeyId("key-1".into())));
    assert_eq!(call(OP_VERIFY, None), Ok(error(&verifier.verify_with_secret(&sent.view(), None, Some(NOW)).unwrap_err())));
    let Ok(Decoded::Error { kind, .. }) = call(OP_VERIFY, None) else { panic!() };
    assert_eq!(kind, "unknown_key");
    let Ok(Decoded::Error { kind, .. }) = call(OP_VERIFY, Some(b"wrong")) else { panic!() };
    assert_eq!(kind, "bad_signature");
    // A verifier that holds its keys refuses a secret from its caller.
    let holding = Arc::new(Verifier::with_keys(scheme, HashMap::new(), None, None).unwrap());
    let refused = Call { op: OP_VERIFY, object: verifier_id(&holding), text: text(), body: &sent.body, secret: Some(b"x"), now: NOW }.run();
    let Ok(Decoded::Error { kind, .. }) = refused else { panic!() };
    assert_eq!(kind, "unsupported");
}

#[test]
fn responses_sign_and_verify_through_the_entry() {
    let scheme = Scheme::rfc9421(
        Some(vec!["@status".into(), "content-type".into(), "@method;req".into()]),
        "sig1".into(),
        None,
        None,
        None,
        None,
        false,
        Some(ContentDigest::Sha256),
    )
    .unwrap();
    let signer = Arc::new(Signer::new(scheme.clone(), creds()));
    let request = a_request();
    let response = Response { status: 201, headers: vec![Header::new("Content-Type", "text/plain")], body: b"made".to_vec() };
    let expected = signer.sign_response(&response, Some(&request), Some(NOW)).unwrap();
    let sign = Call {
        op: OP_SIGN_RESPONSE,
        object: signer_id(&signer),
        text: response_text(&response, Some(&request)),
        body: &response.body,
        secret: None,
        now: NOW,
    };
    assert_eq!(sign.run(), Ok(Decoded::Signed(expected.clone())));
    let mut signed = response.clone();
    signed.headers.extend(expected.headers);
    let verifier = Arc::new(Verifier::with_credentials(scheme.clone(), creds(), None, None).unwrap());
    let verify = Call {
        op: OP_VERIFY_RESPONSE,
        object: verifier_id(&verifier),
        text: response_text(&signed, Some(&request)),
        body: &signed.body,
        secret: None,
        now: NOW,
    };
    assert_eq!(verify.run(), Ok(Decoded::KeyId("key-1".into())));
    assert_eq!(Call { op: OP_RESPONSE_KEY_ID, ..verify }.run(), Ok(Decoded::KeyId("key-1".into())));
    // Without the request, `@method;req` cannot be resolved: the same error as the Rust API.
    let alone = Call {
        op: OP_VERIFY_RESPONSE,
        object: verifier_id(&verifier),
        text: response_text(&signed, None),
        body: &signed.body,
        secret: None,
        now: NOW,
    };
    assert_eq!(alone.run(), Ok(error(&verifier.verify_response(&signed, None, Some(NOW)).unwrap_err())));
    // A scheme that signs only requests: a typed error, as from the Rust API.
    let api_auth = Arc::new(Signer::new(schemes()[0].clone(), creds()));
    let refused = Call {
        op: OP_SIGN_RESPONSE,
        object: signer_id(&api_auth),
        text: response_text(&response, None),
        body: b"",
        secret: None,
        now: NOW,
    };
    assert_eq!(refused.run(), Ok(error(&api_auth.sign_response(&response, None, Some(NOW)).unwrap_err())));
}

#[test]
fn a_result_larger_than_the_buffer_is_kept_not_computed_again() {
    let scheme = Scheme::timestamped(None, false);
    let signer = Signer::new(scheme.clone(), creds());
    let guard = Arc::new(ReplayGuard::new(10, 60).unwrap());
    let keys = HashMap::from([("key-1".to_owned(), b"call-secret".to_vec())]);
    let policy = Policy::timestamped(300, 5, None, false).unwrap();
    let verifier = Arc::new(Verifier::with_keys(scheme, keys, Some(policy), Some(guard.clone())).unwrap());
    let mut sent = signed_request(&signer, &a_request());
    sent.body = vec![b'x'; 10_000];
    let call = Call {
        op: OP_VERIFY,
        object: verifier_id(&verifier),
        text: request_text(&sent.method, &sent.target, &sent.headers),
        body: &sent.body,
        secret: None,
        now: NOW,
    };
    // A bad signature whose string to sign holds the 10 kB body: larger than 64 bytes.
    let mut small = vec![0xAAu8; 64];
    let n = call.raw(&mut small);
    assert!(n > 10_000, "{n}");
    assert!(small.iter().all(|&b| b == 0xAA), "nothing written to a buffer too small");
    let mut too_small = vec![0u8; 100];
    assert_eq!(unsafe { hmacsig_call_result(too_small.as_mut_ptr(), 100) }, n, "still kept");
    let mut out = vec![0u8; n as usize];
    assert_eq!(unsafe { hmacsig_call_result(out.as_mut_ptr(), n as u64) }, n);
    let Decoded::Error { kind, fields } = decode(&out) else { panic!() };
    assert_eq!(kind, "bad_signature");
    assert!(fields[1].ends_with(&"x".repeat(10_000)));
    assert_eq!(unsafe { hmacsig_call_result(out.as_mut_ptr(), n as u64) }, NO_RESULT, "taken once");

    // An accepted request with a tiny buffer is verified once: the replay guard saw it once.
    let sent = signed_request(&signer, &a_request());
    let call = Call {
        op: OP_VERIFY,
        object: verifier_id(&verifier),
        text: request_text(&sent.method, &sent.target, &sent.headers),
        body: &sent.body,
        secret: None,
        now: NOW,
    };
    let mut tiny = [0u8; 1];
    let n = call.raw(&mut tiny);
    let mut out = vec![0u8; n as usize];
    assert_eq!(unsafe { hmacsig_call_result(out.as_mut_ptr(), n as u64) }, n);
    assert_eq!(decode(&out), Decoded::KeyId("key-1".into()));
    assert_eq!(guard.len(), 1);
    let Ok(Decoded::Error { kind, .. }) = call.run() else { panic!() };
    assert_eq!(kind, "replayed");
}

#[test]
fn closed_objects_wrong_kinds_and_malformed_calls() {
    let signer = Arc::new(Signer::new(schemes()[0].clone(), creds()));
    let id = signer_id(&signer);
    let r = a_request();
    let call =
        |op, object| Call { op, object, text: request_text(&r.method, &r.target, &r.headers), body: &r.body, secret: None, now: NOW };
    assert!(matches!(call(OP_SIGN, id).run(), Ok(Decoded::Signed(_))));
    assert_eq!(call(OP_VERIFY, id).run(), Err(CLOSED), "a signer's id names no verifier");
    assert_eq!(call(99, id).run(), Err(BAD_CALL));
    drop(signer);
    assert_eq!(call(OP_SIGN, id).run(), Err(CLOSED));
    assert_eq!(call(OP_SIGN, 0).run(), Err(CLOSED));
    let out = [0u8; 16];
    let null = std::ptr::null();
    let raw = |text: *const u8, len| unsafe { hmacsig_call(OP_SIGN, id, 2, text, len, null, 0, null, 0, NOW, out.as_ptr() as *mut u8, 16) };
    assert_eq!(raw(null, 5), BAD_CALL);
    // NUL inside a header value: refused, typed, never mis-split.
    let signer = Arc::new(Signer::new(schemes()[0].clone(), creds()));
    let nul = Call { op: OP_SIGN, object: signer_id(&signer), text: ("GET\0/\0X-A\0a\0b\0c".into(), 4), body: b"", secret: None, now: NOW };
    let Ok(Decoded::Error { kind, fields }) = nul.run() else { panic!() };
    assert_eq!(
        (kind.as_str(), fields[0].as_str()),
        ("invalid_request", "a method, target, status or header holds a NUL byte, which HTTP does not allow")
    );
    let utf8 = Call {
        op: OP_SIGN,
        object: signer_id(&signer),
        text: (String::from_utf8_lossy(b"GET\0/").into(), 2),
        body: b"",
        secret: None,
        now: NOW,
    };
    assert!(matches!(utf8.run(), Ok(Decoded::Signed(_))));
}

#[test]
fn freeing_the_object_under_running_calls_is_safe() {
    // path-body-hex MACs the whole body: a 32 MiB body keeps each call busy
    // long enough for the owner to drop the signer in the middle of one.
    let scheme = Scheme::path_body_hex("sha256".into()).unwrap();
    let body = Arc::new(vec![7u8; 32 << 20]);
    for _ in 0..3 {
        let signer = Arc::new(Signer::new(scheme.clone(), creds()));
        let id = signer_id(&signer);
        let expected = signer
            .sign_view(&RequestView { method: "POST", target: "/up", headers: &[], body: hmacsig::Body::Bytes(&body) }, Some(NOW))
            .unwrap();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let body = body.clone();
                let expected = expected.clone();
                std::thread::spawn(move || {
                    let mut signed = 0;
                    loop {
                        let call = Call { op: OP_SIGN, object: id, text: ("POST\0/up".into(), 2), body: &body, secret: None, now: NOW };
                        match call.run() {
                            Ok(result) => assert_eq!(result, Decoded::Signed(expected.clone())),
                            Err(code) => {
                                assert_eq!(code, CLOSED);
                                return signed;
                            }
                        }
                        signed += 1;
                    }
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(30));
        drop(signer);
        for worker in workers {
            worker.join().expect("a call under a freed object must finish cleanly");
        }
    }
}
