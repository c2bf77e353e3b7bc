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

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::Signer;

/// What [`hmacsig_sign_packed_into`] returns when signing failed (the input is
/// refused, or a bug panicked): the caller repeats the call through the
/// generated `sign_packed` to get the typed error.
pub const FAILED: i64 = -1;

/// [`Signer::sign_packed`] into `out`: returns the length of the result when it
/// fits, `n > out.len()` when the result needs `n` bytes (nothing written;
/// call again with a larger buffer), or [`FAILED`].
pub fn sign_packed_into(signer: &Signer, method: &[u8], target: &[u8], headers: &[u8], body: &[u8], now: i64, out: &mut [u8]) -> i64 {
    let signed = catch_unwind(AssertUnwindSafe(|| signer.sign_packed(method, target, headers, body, now)));
    match signed {
        Ok(Ok(bytes)) => {
            if let Some(room) = out.get_mut(..bytes.len()) {
                room.copy_from_slice(&bytes);
            }
            i64::try_from(bytes.len()).unwrap_or(FAILED)
        }
        Ok(Err(_)) | Err(_) => FAILED,
    }
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
