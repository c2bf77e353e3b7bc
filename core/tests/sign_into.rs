//! `Signer::sign_into` (Rust's allocation-free hot path) must leave in its
//! output exactly what `Signer::sign_view` returns, whatever the output held
//! before, and leave it empty on error, for every scheme. Deterministic
//! (SplitMix64 with a fixed seed). A counting global allocator checks the
//! claim that api-auth's `sign_into` allocates nothing once its output has grown.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use common::{Rng, random_request};
use hmacsig::{ContentDigest, Credentials, Header, HeaderStyle, Scheme, SignatureType, SignedRequest, Signer};

const NOW: i64 = 1_700_000_000;

/// The system allocator, counting the allocations each thread makes (tests run on threads
/// of their own: a count is one test's).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the slot is gone while the thread itself is being torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is passed to `System` unchanged; counting touches only a thread-local Cell.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

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
fn api_auth_sign_into_allocates_nothing_once_the_output_has_grown() {
    let signer = Signer::new(schemes()[0].clone(), Arc::new(Credentials::new("key-1".into(), b"into-secret".to_vec())));
    let headers = vec![Header::new("Content-Type", "application/json")];
    let request = hmacsig::RequestView { method: "POST", target: "/orders", headers: &headers, body: hmacsig::Body::Bytes(b"{}") };
    let mut out = SignedRequest { headers: vec![], string_to_sign: vec![], url: None };
    signer.sign_into(&request, Some(NOW), &mut out).unwrap();
    let first = out.clone();
    // Warm: the first calls may fill per-thread caches (the date text) and grow `out`.
    for i in 1..4 {
        signer.sign_into(&request, Some(NOW + i), &mut out).unwrap();
    }
    let before = allocations();
    // A new second, so a new date, on every call.
    for i in 4..1004 {
        signer.sign_into(&request, Some(NOW + i), &mut out).unwrap();
    }
    let made = allocations() - before;
    assert_eq!(made, 0, "1,000 api-auth sign_into calls made {made} allocations");
    assert_eq!(out, signer.sign_view(&request, Some(NOW + 1003)).unwrap());
    assert_ne!(out, first, "each call wrote its own date and signature");
    // The counter counts: the owned sign allocates its result.
    let before = allocations();
    let _ = signer.sign_view(&request, Some(NOW)).unwrap();
    assert!(allocations() > before);
}
