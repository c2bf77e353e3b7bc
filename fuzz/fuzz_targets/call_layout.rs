//! The byte layout between the language layers and the core (docs/ffi.md):
//! the decoder alone, then the C entry `hmacsig_call` itself with arbitrary
//! ops, counts, text, body, secret, clock and output room, on a live signer
//! and verifier, a closed id and a made-up one. No input may panic (none may
//! cross the C boundary) or write past `out_cap`.
#![no_main]

mod schemes;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    op: u8,
    object: u8,
    setting: u8,
    counts: u64,
    text: Vec<u8>,
    body: Vec<u8>,
    secret: Option<Vec<u8>>,
    now: i64,
    out_cap: u16,
}

fuzz_target!(|input: Input| {
    hmacsig::fuzzing::call_layout(input.counts, &input.text);
    let settings = schemes::settings();
    let setting = &settings[input.setting as usize % settings.len()];
    let object = match input.object % 4 {
        0 => hmacsig::fuzzing::signer_id(&setting.signer),
        1 => hmacsig::fuzzing::verifier_id(&setting.verifier),
        2 => 0,
        _ => u64::from(input.object) << 40,
    };
    // Room past out_cap is filled with a marker that must survive the call.
    let cap = usize::from(input.out_cap);
    let mut out = vec![0xA5u8; cap + 64];
    let (secret, secret_len) = match &input.secret {
        Some(s) => (s.as_ptr(), s.len() as u64),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: every pointer is valid for its length (`out` for cap + 64 bytes).
    let n = unsafe {
        hmacsig::fuzzing::hmacsig_call(
            u32::from(input.op % 8),
            object,
            input.counts,
            input.text.as_ptr(),
            input.text.len() as u64,
            input.body.as_ptr(),
            input.body.len() as u64,
            secret,
            secret_len,
            input.now,
            out.as_mut_ptr(),
            cap as u64,
        )
    };
    assert!(out[cap..].iter().all(|b| *b == 0xA5), "hmacsig_call wrote past out_cap");
    if n > cap as i64 {
        let mut kept = vec![0u8; n as usize];
        // SAFETY: `kept` is writable for its length.
        let m = unsafe { hmacsig::fuzzing::hmacsig_call_result(kept.as_mut_ptr(), kept.len() as u64) };
        assert_eq!(m, n, "the kept result has the announced length");
    }
});
