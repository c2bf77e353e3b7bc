//! The packed hot path (`Signer::sign_packed`, layouts in `hmacsig::packed`)
//! must give exactly what `Signer::sign` gives, results and errors alike,
//! for every scheme. Deterministic (SplitMix64 with a fixed seed).

mod common;

use std::sync::Arc;

use common::{Rng, random_request};
use hmacsig::packed::{SYSTEM_CLOCK, encode_signed};
use hmacsig::{ContentDigest, Credentials, Header, HeaderStyle, Scheme, SignatureType, Signer};

const NOW: i64 = 1_700_000_000;

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

fn pack_headers(headers: &[Header]) -> Vec<u8> {
    headers.iter().map(|h| format!("{}\0{}", h.name, h.value)).collect::<Vec<_>>().join("\0").into_bytes()
}

#[test]
fn sign_packed_equals_sign() {
    let mut rng = Rng(0x5eed_9ac4);
    for scheme in schemes() {
        let signer = Signer::new(scheme.clone(), Arc::new(Credentials::new("key-1".into(), b"packed-secret".to_vec())));
        for case in 0..150 {
            let absolute = rng.below(2) == 0;
            let r = random_request(&mut rng, absolute);
            let expected = signer.sign(r.method.clone(), r.target.clone(), r.headers.clone(), &r.body, Some(NOW));
            let packed = signer.sign_packed(r.method.as_bytes(), r.target.as_bytes(), &pack_headers(&r.headers), &r.body, NOW);
            match (expected, packed) {
                (Ok(signed), Ok(bytes)) => assert_eq!(bytes, encode_signed(&signed), "{} case {case}: {r:?}", scheme.name()),
                (Err(a), Err(b)) => assert_eq!((a.kind(), a.reason()), (b.kind(), b.reason()), "{} case {case}", scheme.name()),
                (a, b) => panic!("{} case {case}: sign gave {a:?}, sign_packed {b:?}; {r:?}", scheme.name()),
            }
        }
    }
}

#[test]
fn the_system_clock_sentinel_signs_as_now_none_does() {
    let signer = Signer::new(schemes()[0].clone(), Arc::new(Credentials::new("k".into(), b"s".to_vec())));
    // The two calls may straddle a second boundary: one of three tries must agree.
    let agree = (0..3).any(|_| {
        let packed = signer.sign_packed(b"GET", b"/", b"", b"", SYSTEM_CLOCK).unwrap();
        let record = signer.sign("GET".into(), "/".into(), vec![], b"", None).unwrap();
        packed == encode_signed(&record)
    });
    assert!(agree, "sign_packed with SYSTEM_CLOCK did not sign at the system time");
}

#[test]
fn bad_packed_arguments_are_typed_errors() {
    let signer = Signer::new(schemes()[0].clone(), Arc::new(Credentials::new("k".into(), b"s".to_vec())));
    for (method, target, headers) in [(&b"\xff"[..], &b"/"[..], &b""[..]), (b"GET", b"/\xfe", b""), (b"GET", b"/", b"Host")] {
        let e = signer.sign_packed(method, target, headers, b"", NOW).unwrap_err();
        assert_eq!(e.kind(), "invalid_request", "{e}");
    }
}

/// Calls the C entry as a language layer does: pointers, lengths, a buffer.
fn call_raw(signer: &Signer, parts: [&[u8]; 4], now: i64, out: &mut [u8]) -> i64 {
    let [method, target, headers, body] = parts;
    // SAFETY: every pointer is a live slice of the stated length; `signer` outlives the call.
    unsafe {
        hmacsig::raw_abi::hmacsig_sign_packed_into(
            signer.address(),
            method.as_ptr(),
            method.len() as u64,
            target.as_ptr(),
            target.len() as u64,
            headers.as_ptr(),
            headers.len() as u64,
            body.as_ptr(),
            body.len() as u64,
            now,
            out.as_mut_ptr(),
            out.len() as u64,
        )
    }
}

#[test]
fn the_raw_entry_writes_what_sign_packed_returns() {
    let mut rng = Rng(0x7a3_0001);
    for scheme in schemes() {
        let signer = Signer::new(scheme.clone(), Arc::new(Credentials::new("key-1".into(), b"raw-secret".to_vec())));
        for case in 0..60 {
            let absolute = rng.below(2) == 0;
            let r = random_request(&mut rng, absolute);
            let headers = pack_headers(&r.headers);
            let parts: [&[u8]; 4] = [r.method.as_bytes(), r.target.as_bytes(), &headers, &r.body];
            let mut out = vec![0u8; 1 << 16];
            let n = call_raw(&signer, parts, NOW, &mut out);
            match signer.sign_packed(parts[0], parts[1], parts[2], parts[3], NOW) {
                Ok(bytes) => {
                    assert_eq!(n, bytes.len() as i64, "{} case {case}", scheme.name());
                    assert_eq!(&out[..bytes.len()], &bytes[..], "{} case {case}", scheme.name());
                    // One byte too small: the needed size back, nothing written.
                    let mut small = vec![0xAAu8; bytes.len() - 1];
                    assert_eq!(call_raw(&signer, parts, NOW, &mut small), bytes.len() as i64);
                    assert!(small.iter().all(|&b| b == 0xAA), "a too-small buffer must be left as it was");
                }
                Err(_) => assert_eq!(n, hmacsig::raw_abi::FAILED, "{} case {case}: errors are FAILED", scheme.name()),
            }
        }
    }
}

#[test]
fn the_raw_entry_refuses_null_pointers_with_lengths_and_accepts_empty_ones() {
    use hmacsig::raw_abi::{FAILED, hmacsig_sign_packed_into};
    let signer = Signer::new(schemes()[0].clone(), Arc::new(Credentials::new("k".into(), b"s".to_vec())));
    let null = std::ptr::null();
    let mut out = vec![0u8; 4096];
    let (m, t) = (b"GET", b"/");
    // SAFETY: null pointers only with the lengths the contract allows or refuses.
    unsafe {
        let ok = hmacsig_sign_packed_into(signer.address(), m.as_ptr(), 3, t.as_ptr(), 1, null, 0, null, 0, NOW, out.as_mut_ptr(), 4096);
        let expected = signer.sign_packed(m, t, b"", b"", NOW).unwrap();
        assert_eq!(&out[..ok as usize], &expected[..]);
        assert_eq!(
            hmacsig_sign_packed_into(signer.address(), m.as_ptr(), 3, t.as_ptr(), 1, null, 5, null, 0, NOW, out.as_mut_ptr(), 4096),
            FAILED
        );
        assert_eq!(hmacsig_sign_packed_into(0, m.as_ptr(), 3, t.as_ptr(), 1, null, 0, null, 0, NOW, out.as_mut_ptr(), 4096), FAILED);
        // No buffer at all: the size it needs.
        let needed =
            hmacsig_sign_packed_into(signer.address(), m.as_ptr(), 3, t.as_ptr(), 1, null, 0, null, 0, NOW, std::ptr::null_mut(), 0);
        assert_eq!(needed, expected.len() as i64);
    }
}

/// The raw entry reuses per-thread buffers from call to call: whatever the
/// previous call on the thread was (refused, much larger, another scheme),
/// each result must be what `sign_packed` gives. Four threads at once.
#[test]
fn the_raw_entrys_reused_buffers_never_leak_into_the_next_result() {
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            std::thread::spawn(move || {
                let mut rng = Rng(0x5c7a_0000 + t);
                let signers: Vec<Signer> = schemes()
                    .into_iter()
                    .map(|scheme| Signer::new(scheme, Arc::new(Credentials::new("key-1".into(), b"raw-secret".to_vec()))))
                    .collect();
                for case in 0..150 {
                    let signer = &signers[rng.below(signers.len())];
                    let absolute = rng.below(2) == 0;
                    let mut r = random_request(&mut rng, absolute);
                    match rng.below(6) {
                        // Refused: a line breaker in a value.
                        0 => r.headers.push(Header::new("X-Evil", "a\r\nInjected: 1")),
                        // Past what a thread keeps between calls.
                        1 => r.headers.push(Header::new("X-Big", "b".repeat(70 * 1024))),
                        2 => r.headers.clear(),
                        _ => {}
                    }
                    let headers = pack_headers(&r.headers);
                    let parts: [&[u8]; 4] = [r.method.as_bytes(), r.target.as_bytes(), &headers, &r.body];
                    let mut out = vec![0u8; 1 << 18];
                    let n = call_raw(signer, parts, NOW, &mut out);
                    match signer.sign_packed(parts[0], parts[1], parts[2], parts[3], NOW) {
                        Ok(bytes) => assert_eq!(&out[..usize::try_from(n).expect("a length")], &bytes[..], "thread {t} case {case}"),
                        Err(_) => assert_eq!(n, hmacsig::raw_abi::FAILED, "thread {t} case {case}"),
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread panicked");
    }
}
