//! Secrets do not linger and are never shown.
//!
//! - Freed memory: a global allocator scans every block freed while a scenario runs for the
//!   secret and for the SigV4 signing key derived from it. Signers and verifiers of every
//!   scheme sign, verify and are dropped: no freed block may hold either (keys, derived keys
//!   and their copies are zeroized before they are freed). Memory that is never freed, and
//!   stack copies, are out of this test's sight: the stack is cleared before each object that
//!   holds credentials is built (`clear_stack`), since building one copies stale stack into
//!   the heap.
//! - Text: `Debug` of credentials, signers and verifiers, and the text of every error, never
//!   hold the secret, raw, hex or base64.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use hmacsig::{ContentDigest, Credentials, Header, HeaderStyle, HmacSigError, Request, Scheme, SignatureType, Signer, Verifier};

const SECRET: &[u8; 32] = b"hmacsig-secret-do-not-linger-01!";
const NOW: i64 = 1_700_000_000;

/// The system allocator; while `ARMED`, every freed block is searched for the patterns.
struct Scanning;

static ARMED: AtomicBool = AtomicBool::new(false);
/// The derived SigV4 key of the scenario, set before arming.
static DERIVED: [AtomicU8; 32] = [const { AtomicU8::new(0) }; 32];
static FREED_WITH_SECRET: AtomicUsize = AtomicUsize::new(0);
static FREED_WITH_DERIVED: AtomicUsize = AtomicUsize::new(0);
static SCANNED: AtomicUsize = AtomicUsize::new(0);

fn holds(block: &[u8], pattern: impl Fn(usize) -> u8) -> bool {
    block.len() >= 32 && block.windows(32).any(|w| w.iter().enumerate().all(|(i, b)| *b == pattern(i)))
}

// SAFETY: every call is passed to `System` unchanged; the scan only reads the block being freed
// (still ours until `System.dealloc`) and touches atomics, never the allocator.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) {
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            SCANNED.fetch_add(1, Ordering::SeqCst);
            if holds(block, |i| SECRET[i]) {
                FREED_WITH_SECRET.fetch_add(1, Ordering::SeqCst);
            }
            if holds(block, |i| DERIVED[i].load(Ordering::Relaxed)) {
                FREED_WITH_DERIVED.fetch_add(1, Ordering::SeqCst);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // As alloc + copy + dealloc, so that the block given up is scanned too.
        let new = unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
        if !new.is_null() {
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Scanning = Scanning;

/// SigV4's signing key for us-east-1/service on NOW's date, derived here with `hmac` directly.
fn derived_sigv4_key() -> [u8; 32] {
    let mac = |key: &[u8], data: &[u8]| {
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    };
    let key = [b"AWS4".as_slice(), SECRET].concat();
    let k = mac(&mac(&mac(&mac(&key, b"20231114"), b"us-east-1"), b"service"), b"aws4_request");
    k.try_into().unwrap()
}

fn schemes() -> Vec<Arc<Scheme>> {
    vec![
        Scheme::api_auth("sha256".into(), vec![], None).unwrap(),
        Scheme::path_body_hex("sha1".into()).unwrap(),
        Scheme::timestamped(Some(HeaderStyle::XRequest), false),
        Scheme::aws_sigv4("us-east-1".into(), "service".into(), None, false, true, true, true, None, 3600).unwrap(),
        Scheme::aws_sigv4("us-east-1".into(), "service".into(), None, false, true, true, false, Some(SignatureType::Query), 3600).unwrap(),
        Scheme::rfc9421(None, "sig1".into(), None, None, None, None, true, Some(ContentDigest::Sha256)).unwrap(),
    ]
}

fn request() -> Request {
    Request {
        method: "POST".into(),
        target: "https://api.example.com/orders?id=7".into(),
        headers: vec![Header::new("Host", "api.example.com"), Header::new("Content-Type", "application/json")],
        body: b"{\"id\":7}".to_vec(),
    }
}

/// Overwrites the 64 KiB of stack below the caller with zeros.
///
/// Moving a value into the heap copies its uninitialized bytes too: a `None`'s payload, a
/// `OnceLock` not yet set (most of a `Credentials`). Those bytes hold whatever earlier calls
/// left on the stack, and the core does not clear the stack (a SigV4 signature leaves copies
/// of the derived key there). On armv7 under qemu (`cargo xtask cross`,
/// docs/cross.md), a `Verifier` built right after a SigV4 signature carried the derived key
/// into its `Credentials` block that way, and the scan found it when the verifier was freed.
/// Cleared before each object holding credentials is built, so that what the scan finds is
/// what the core itself left in memory it freed.
#[inline(never)]
fn clear_stack() {
    let mut stack = [0u64; 8192];
    std::hint::black_box(&mut stack);
}

/// Signs and verifies with every scheme (right and wrong secret, known and unknown key), then
/// drops everything; returns the texts a user could see on the way.
fn scenario() -> Vec<String> {
    let mut shown = Vec::new();
    for scheme in schemes() {
        clear_stack();
        let credentials = Arc::new(Credentials::new("key-1".into(), SECRET.to_vec()));
        let signer = Signer::new(scheme.clone(), credentials.clone());
        for _ in 0..3 {
            let mut signed_request = request();
            let signed = signer.sign_request(signed_request.clone(), Some(NOW)).unwrap();
            signed_request.headers.extend(signed.headers);
            if let Some(url) = signed.url {
                signed_request.target = url;
            }
            let keys = HashMap::from([("key-1".to_owned(), SECRET.to_vec())]);
            clear_stack();
            let verifier = Verifier::with_keys(scheme.clone(), keys, None, None).unwrap();
            assert_eq!(verifier.verify_request(signed_request.clone(), Some(NOW)).as_deref(), Ok("key-1"), "{}", scheme.name());
            clear_stack();
            let wrong = Verifier::with_keys(scheme.clone(), HashMap::from([("key-1".to_owned(), b"wrong".to_vec())]), None, None).unwrap();
            clear_stack();
            let unknown = Verifier::with_keys(scheme.clone(), HashMap::from([("key-2".to_owned(), SECRET.to_vec())]), None, None).unwrap();
            for refused in [wrong.verify_request(signed_request.clone(), Some(NOW)), unknown.verify_request(signed_request, Some(NOW))] {
                let error: HmacSigError = refused.unwrap_err();
                shown.extend([error.to_string(), format!("{error:?}"), error.reason().to_owned()]);
            }
            shown.extend([format!("{credentials:?}"), format!("{signer:?}"), format!("{verifier:?}")]);
        }
    }
    shown
}

#[test]
fn secrets_are_zeroized_before_they_are_freed_and_never_shown() {
    for (slot, byte) in DERIVED.iter().zip(derived_sigv4_key()) {
        slot.store(byte, Ordering::Relaxed);
    }
    // The scan sees what it should: a plain Vec holding the secret, freed, is found.
    ARMED.store(true, Ordering::SeqCst);
    drop(std::hint::black_box(SECRET.to_vec()));
    ARMED.store(false, Ordering::SeqCst);
    assert_eq!(FREED_WITH_SECRET.swap(0, Ordering::SeqCst), 1, "the scan must find an unzeroized copy");

    ARMED.store(true, Ordering::SeqCst);
    let shown = scenario();
    ARMED.store(false, Ordering::SeqCst);
    let scanned = SCANNED.load(Ordering::SeqCst);
    assert!(scanned > 1000, "only {scanned} blocks were freed: the scenario did not run");
    assert_eq!(FREED_WITH_SECRET.load(Ordering::SeqCst), 0, "freed blocks held the secret ({scanned} scanned)");
    assert_eq!(FREED_WITH_DERIVED.load(Ordering::SeqCst), 0, "freed blocks held the SigV4 signing key ({scanned} scanned)");

    let forms = [
        String::from_utf8_lossy(SECRET).into_owned(),
        SECRET.iter().map(|b| format!("{b:02x}")).collect(),
        base64::engine::general_purpose::STANDARD.encode(SECRET),
        derived_sigv4_key().iter().map(|b| format!("{b:02x}")).collect(),
    ];
    assert!(shown.len() > 50);
    for text in &shown {
        for form in &forms {
            assert!(!text.contains(form.as_str()), "{text:?} shows a secret");
        }
    }
}
