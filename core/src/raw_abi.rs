//! A plain C entry point for the packed hot path, below UniFFI
//! (docs/adr/0005-raw-hot-path.md).
//!
//! Even [`crate::Signer::sign_packed`] costs a generated call several
//! microseconds on the foreign side: a `RustCallStatus` and four
//! `ForeignBytes` structures per call on JNA, a cloned object handle (one more
//! crossing), and a returned `RustBuffer` that takes another crossing to free.
//! [`hmacsig_sign_packed_into`] takes only integers and pointers and writes into
//! a buffer the caller owns, so a language layer calls it with ctypes' or JNA's
//! cheapest call. It is not part of the generated bindings: only the
//! hand-written layers call it, and they fall back to the generated call for
//! everything but success (which also gives them the typed error).
//!
//! The signer is passed by its [`crate::Signer::address`]: the layer holds the
//! generated object for the duration of the call, so the address stays valid;
//! no UniFFI handle is created, cloned or freed.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::Signer;
use crate::error::Result;
use crate::packed;
use crate::request::{Body, Header, RequestView};
use crate::signed::SignedRequest;

/// What [`hmacsig_sign_packed_into`] returns when signing failed (the input is
/// refused, or a bug panicked): the caller repeats the call through the
/// generated `sign_packed` to get the typed error.
pub const FAILED: i64 = -1;

/// [`Signer::sign_packed`] into `out`: returns the length of the result when it
/// fits, `n > out.len()` when the result needs `n` bytes (nothing written;
/// call again with a larger buffer), or [`FAILED`].
///
/// The decoded headers and the signed request live in per-thread buffers
/// reused from call to call ([`Signer::sign_into`]), so a thread signing
/// request after request allocates next to nothing here.
pub fn sign_packed_into(signer: &Signer, method: &[u8], target: &[u8], headers: &[u8], body: &[u8], now: i64, out: &mut [u8]) -> i64 {
    let signed = catch_unwind(AssertUnwindSafe(|| {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut kept) => {
                let result = sign_with(signer, method, target, headers, body, now, &mut kept, out);
                kept.trim();
                result
            }
            // Only a call made while this thread's is running (none can be:
            // signing calls no foreign code) would find it taken.
            Err(_) => sign_with(signer, method, target, headers, body, now, &mut Scratch::default(), out),
        })
    }));
    match signed {
        Ok(Ok(n)) => i64::try_from(n).unwrap_or(FAILED),
        Ok(Err(_)) | Err(_) => FAILED,
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A thread's buffers for [`sign_packed_into`]: only their capacity carries
/// over from one call to the next.
#[derive(Default)]
struct Scratch {
    headers: Vec<Header>,
    signed: SignedRequest,
}

/// Buffers past this many bytes are dropped after the call rather than kept.
const SCRATCH_KEPT_MAX: usize = 64 * 1024;

impl Scratch {
    fn trim(&mut self) {
        let header_bytes = |headers: &[Header]| headers.iter().map(|h| h.name.capacity() + h.value.capacity()).sum::<usize>();
        let kept = header_bytes(&self.headers) + header_bytes(&self.signed.headers) + self.signed.string_to_sign.capacity();
        if kept > SCRATCH_KEPT_MAX {
            *self = Self::default();
        }
    }
}

/// The result's length (written to `out` when it fits).
#[allow(clippy::too_many_arguments)] // the entry's arguments, and the buffers
fn sign_with(
    signer: &Signer,
    method: &[u8],
    target: &[u8],
    headers: &[u8],
    body: &[u8],
    now: i64,
    scratch: &mut Scratch,
    out: &mut [u8],
) -> Result<usize> {
    let method = packed::text(method, "method")?;
    let target = packed::text(target, "target")?;
    packed::decode_headers_into(headers, &mut scratch.headers)?;
    let view = RequestView { method, target, headers: &scratch.headers, body: Body::Bytes(body) };
    signer.sign_into(&view, packed::clock(now), &mut scratch.signed)?;
    let len = packed::encoded_len(&scratch.signed);
    if let Some(room) = out.get_mut(..len) {
        packed::encode_signed_into(&scratch.signed, room);
    }
    Ok(len)
}

/// `len` bytes at `ptr` (a null `ptr` is allowed when `len` is 0).
///
/// # Safety
/// Unless `len` is 0, `ptr` is readable for `len` bytes for the lifetime `'a`.
unsafe fn slice<'a>(ptr: *const u8, len: u64) -> Option<&'a [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&[]);
    }
    // SAFETY: the caller's contract.
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The C entry of [`sign_packed_into`]: the same arguments and layouts as
/// [`Signer::sign_packed`], each byte string as a pointer and a length, the
/// result written to `out` (capacity `out_cap`). Returns as
/// [`sign_packed_into`]; also [`FAILED`] for a null signer or a null pointer
/// with a non-zero length.
///
/// # Safety
/// - `signer` is [`Signer::address`] of a `Signer` that stays alive until
///   this returns.
/// - Each input pointer is readable for its length (or its length is 0), and
///   `out` is writable for `out_cap` bytes (or `out_cap` is 0). `out` does not
///   overlap the inputs.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // a flat C signature is the point
pub unsafe extern "C" fn hmacsig_sign_packed_into(
    signer: u64,
    method: *const u8,
    method_len: u64,
    target: *const u8,
    target_len: u64,
    headers: *const u8,
    headers_len: u64,
    body: *const u8,
    body_len: u64,
    now: i64,
    out: *mut u8,
    out_cap: u64,
) -> i64 {
    let signer = signer as usize as *const Signer;
    if signer.is_null() {
        return FAILED;
    }
    // SAFETY: the caller's contract, for each argument.
    let (Some(method), Some(target), Some(headers), Some(body)) =
        (unsafe { (slice(method, method_len), slice(target, target_len), slice(headers, headers_len), slice(body, body_len)) })
    else {
        return FAILED;
    };
    let Ok(out_cap) = usize::try_from(out_cap) else {
        return FAILED;
    };
    let out: &mut [u8] = if out_cap == 0 || out.is_null() {
        &mut []
    } else {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(out, out_cap) }
    };
    // SAFETY: the caller keeps the signer alive for the call.
    sign_packed_into(unsafe { &*signer }, method, target, headers, body, now, out)
}
