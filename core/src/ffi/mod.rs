//! The one call path of the language layers (docs/adr/0007-one-call-path.md,
//! layouts in docs/ffi.md).
//!
//! UniFFI builds the objects (schemes, policies, credentials, signers,
//! verifiers); every hot operation then goes through one plain C entry,
//! [`hmacsig_call`]: sign, sign a response, verify, verify a response, and
//! read the key id a message claims. It takes integers and pointers, writes
//! into the caller's buffer, and returns typed errors in that same buffer, so
//! a layer makes one foreign call per operation, and no second call to learn
//! why it failed.
//!
//! Objects are named by ids from [`handles`], never by address. A result
//! larger than the caller's buffer is kept for [`hmacsig_call_result`] rather
//! than computed again (verifying twice would trip the replay guard).

mod codec;
mod handles;
// Unix only: it looks CPython up with dlsym (the wheels are Linux's).
#[cfg(all(feature = "python", unix))]
mod python;

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::body::Body;
use crate::error::{HmacSigError, Result};
use crate::request::{Header, RequestView};
use crate::schemes::rfc9421::MessageView;
use crate::signed::SignedRequest;
use crate::verifier::Message;

use codec::{Counts, Outcome};

/// Sign a request (a `Signer`): the result is a signed request.
pub const OP_SIGN: u32 = 1;
/// Sign a response (a `Signer`, rfc9421): a signed request (its headers).
pub const OP_SIGN_RESPONSE: u32 = 2;
/// Verify a request (a `Verifier`): the verified key id.
pub const OP_VERIFY: u32 = 3;
/// Verify a response (a `Verifier`): the verified key id.
pub const OP_VERIFY_RESPONSE: u32 = 4;
/// The key id a request claims, unverified (a `Verifier`).
pub const OP_KEY_ID: u32 = 5;
/// The key id a response claims, unverified (a `Verifier`).
pub const OP_RESPONSE_KEY_ID: u32 = 6;

/// No live object of the op's kind has that id: it was closed.
pub const CLOSED: i64 = -1;
/// The call itself is malformed (an unknown op, a null pointer with a
/// length, text past 4 GiB): a bug in the layer, not in the request.
pub const BAD_CALL: i64 = -2;
/// [`hmacsig_call_result`] with no result kept.
pub const NO_RESULT: i64 = -3;
/// `now` meaning the system clock.
pub const SYSTEM_CLOCK: i64 = i64::MIN;

/// One operation. Returns the length `n` of its result: written to `out`
/// when `n <= out_cap`, else kept for [`hmacsig_call_result`] on this thread
/// (nothing written). Or [`CLOSED`] or [`BAD_CALL`].
///
/// - `object`: an id from `hmacsig_signer_id` / `hmacsig_verifier_id`.
/// - `counts`, `text`: the message's fields (docs/ffi.md).
/// - `body`: the message's body.
/// - `secret`: for [`OP_VERIFY`] and [`OP_VERIFY_RESPONSE`] on a verifier made
///   `with_caller_secrets`, the secret the caller found, null for an unknown
///   key id; null for every other call.
/// - `now`: Unix seconds, or [`SYSTEM_CLOCK`].
///
/// # Safety
/// Each pointer is readable (`out`: writable) for its length, or its length
/// is 0; `out` overlaps no input.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // a flat C signature is the point
pub unsafe extern "C" fn hmacsig_call(
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
) -> i64 {
    // SAFETY: the caller's contract.
    let (Some(text), Some(body)) = (unsafe { slice(text, text_len) }, unsafe { slice(body, body_len) }) else {
        return BAD_CALL;
    };
    let secret = match secret.is_null() {
        true => None,
        // SAFETY: the caller's contract.
        false => match unsafe { slice(secret, secret_len) } {
            Some(secret) => Some(secret),
            None => return BAD_CALL,
        },
    };
    let Some(out) = (unsafe { slice_mut(out, out_cap) }) else { return BAD_CALL };
    Call { op, object, counts: Counts::from_packed(counts), text, body, secret, now: (now != SYSTEM_CLOCK).then_some(now) }.answer(out)
}

/// Copies the result [`hmacsig_call`] kept on this thread into `out`: returns
/// its length `n`, written and forgotten when `n <= out_cap`, else kept.
/// [`NO_RESULT`] when none is kept; [`BAD_CALL`] for a null `out`.
///
/// # Safety
/// `out` is writable for `out_cap` bytes (or `out_cap` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hmacsig_call_result(out: *mut u8, out_cap: u64) -> i64 {
    // SAFETY: the caller's contract.
    let Some(out) = (unsafe { slice_mut(out, out_cap) }) else { return BAD_CALL };
    PENDING.with(|pending| {
        let mut pending = pending.borrow_mut();
        if pending.is_empty() {
            return NO_RESULT;
        }
        let n = pending.len();
        if let Some(room) = out.get_mut(..n) {
            room.copy_from_slice(&pending);
            *pending = Vec::new();
        }
        len_i64(n)
    })
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// A result too large for the caller's buffer.
    static PENDING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A thread's buffers: only their capacity carries over between calls.
#[derive(Default)]
struct Scratch {
    headers: Vec<Header>,
    request_headers: Vec<Header>,
    signed: SignedRequest,
}

/// Buffers past this many bytes are dropped after the call rather than kept.
const SCRATCH_KEPT_MAX: usize = 64 * 1024;

impl Scratch {
    fn trim(&mut self) {
        let bytes = |headers: &[Header]| headers.iter().map(|h| h.name.capacity() + h.value.capacity()).sum::<usize>();
        let kept =
            bytes(&self.headers) + bytes(&self.request_headers) + bytes(&self.signed.headers) + self.signed.string_to_sign.capacity();
        if kept > SCRATCH_KEPT_MAX {
            *self = Self::default();
        }
    }
}

struct Call<'a> {
    op: u32,
    object: u64,
    counts: Counts,
    text: &'a [u8],
    body: &'a [u8],
    secret: Option<&'a [u8]>,
    now: Option<i64>,
}

/// What an op produced: a signed request (left in the scratch), a key id,
/// or an error; `Closed` and `BadCall` are about the call, not the request.
enum Produced {
    Signed,
    KeyId(String),
    Failed(HmacSigError),
    Closed,
    BadCall,
}

impl Call<'_> {
    /// The call on this thread's scratch: [`hmacsig_call`]'s answer, a panic
    /// in the core answered as a typed error.
    fn answer(&self, out: &mut [u8]) -> i64 {
        if u32::try_from(self.text.len()).is_err() {
            return BAD_CALL;
        }
        catch_unwind(AssertUnwindSafe(|| {
            SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
                Ok(mut kept) => {
                    let n = self.run(&mut kept, out);
                    kept.trim();
                    n
                }
                // Only a call made while this thread's is running (none can be:
                // the core calls no foreign code here) would find it taken.
                Err(_) => self.run(&mut Scratch::default(), out),
            })
        }))
        .unwrap_or_else(|_| {
            // A bug in the core: still a typed error for the caller.
            let error = HmacSigError::unsupported("the core failed unexpectedly (a bug; please report it)");
            deliver(&Outcome::Error(&error), out)
        })
    }

    fn run(&self, scratch: &mut Scratch, out: &mut [u8]) -> i64 {
        let produced = self.produce(scratch);
        let outcome = match &produced {
            Produced::Signed => Outcome::Signed(&scratch.signed),
            Produced::KeyId(key_id) => Outcome::KeyId(key_id),
            Produced::Failed(error) => Outcome::Error(error),
            Produced::Closed => return CLOSED,
            Produced::BadCall => return BAD_CALL,
        };
        deliver(&outcome, out)
    }

    fn produce(&self, scratch: &mut Scratch) -> Produced {
        let text = match codec::text(self.text) {
            Ok(text) => text,
            Err(error) => return Produced::Failed(error),
        };
        match self.op {
            OP_SIGN | OP_SIGN_RESPONSE => {
                let Some(signer) = handles::signer(self.object) else { return Produced::Closed };
                let signed = if self.op == OP_SIGN {
                    codec::decode_request(text, self.counts.message, &mut scratch.headers).and_then(|(method, target)| {
                        let view = RequestView { method, target, headers: &scratch.headers, body: Body::Bytes(self.body) };
                        signer.sign_into(&view, self.now, &mut scratch.signed)
                    })
                } else {
                    self.with_response(text, scratch, |message, signed| {
                        *signed = signer.sign_response_message(message, self.now)?;
                        Ok(())
                    })
                };
                match signed {
                    Ok(()) => Produced::Signed,
                    Err(error) => Produced::Failed(error),
                }
            }
            OP_VERIFY | OP_VERIFY_RESPONSE | OP_KEY_ID | OP_RESPONSE_KEY_ID => {
                let Some(verifier) = handles::verifier(self.object) else { return Produced::Closed };
                let checked = |message: &Message<'_>| match self.op {
                    OP_KEY_ID | OP_RESPONSE_KEY_ID => verifier.claimed_key_id(message).map(std::borrow::Cow::into_owned),
                    // A verifier with caller secrets needs one (null: unknown key id); any
                    // other refuses one, typed.
                    _ => {
                        let caller_secret = if verifier.takes_caller_secrets() { Some(self.secret) } else { self.secret.map(Some) };
                        verifier.verify_message(message, caller_secret, self.now)
                    }
                };
                let key_id = match self.op {
                    OP_VERIFY | OP_KEY_ID => {
                        codec::decode_request(text, self.counts.message, &mut scratch.headers).and_then(|(method, target)| {
                            checked(&Message::Request(RequestView {
                                method,
                                target,
                                headers: &scratch.headers,
                                body: Body::Bytes(self.body),
                            }))
                        })
                    }
                    _ => {
                        let mut key_id = String::new();
                        self.with_response(text, scratch, |message, _| {
                            key_id = checked(&Message::Response(*message))?;
                            Ok(())
                        })
                        .map(|()| key_id)
                    }
                };
                match key_id {
                    Ok(key_id) => Produced::KeyId(key_id),
                    Err(error) => Produced::Failed(error),
                }
            }
            _ => Produced::BadCall,
        }
    }

    /// Decodes a response (and the request it answers) and hands it to `f`
    /// with the scratch's signed request.
    fn with_response(
        &self,
        text: &str,
        scratch: &mut Scratch,
        f: impl FnOnce(&MessageView<'_>, &mut SignedRequest) -> Result<()>,
    ) -> Result<()> {
        let Scratch { headers, request_headers, signed } = scratch;
        let (status, request) = codec::decode_response(text, self.counts, headers, request_headers)?;
        let request = request.map(|(method, target)| RequestView { method, target, headers: request_headers, body: Body::Bytes(&[]) });
        let message = MessageView { headers, body: Body::Bytes(self.body), status: Some(status), request };
        f(&message, signed)
    }
}

/// Writes `outcome` to `out` when it fits, else keeps it for
/// [`hmacsig_call_result`]; returns its length.
fn deliver(outcome: &Outcome<'_>, out: &mut [u8]) -> i64 {
    let n = outcome.len();
    match out.get_mut(..n) {
        Some(room) => outcome.encode_into(room),
        None => PENDING.with(|pending| {
            let mut pending = pending.borrow_mut();
            pending.clear();
            pending.resize(n, 0);
            outcome.encode_into(&mut pending);
        }),
    }
    len_i64(n)
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(BAD_CALL)
}

/// `len` bytes at `ptr` (null allowed when `len` is 0).
///
/// # Safety
/// Unless `len` is 0, `ptr` is readable for `len` bytes for `'a`.
unsafe fn slice<'a>(ptr: *const u8, len: u64) -> Option<&'a [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&[]);
    }
    // SAFETY: the caller's contract.
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// As [`slice`], writable.
///
/// # Safety
/// Unless `len` is 0, `ptr` is writable for `len` bytes for `'a`, and
/// nothing else refers to them.
unsafe fn slice_mut<'a>(ptr: *mut u8, len: u64) -> Option<&'a mut [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&mut []);
    }
    // SAFETY: the caller's contract.
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

#[cfg(test)]
mod tests;

/// `crate::fuzzing`'s way in: the decoder alone, and the ids of objects.
#[cfg(feature = "fuzzing")]
pub(crate) fn decode_for_fuzzing(counts: u64, text: &[u8]) {
    let Ok(text) = codec::text(text) else { return };
    let counts = Counts::from_packed(counts);
    let (mut headers, mut request_headers) = (Vec::new(), Vec::new());
    let _ = codec::decode_request(text, counts.message, &mut headers);
    let _ = codec::decode_response(text, counts, &mut headers, &mut request_headers);
}

#[cfg(feature = "fuzzing")]
pub(crate) fn signer_id_for_fuzzing(signer: &std::sync::Arc<crate::signer::Signer>) -> u64 {
    handles::signer_id(signer)
}

#[cfg(feature = "fuzzing")]
pub(crate) fn verifier_id_for_fuzzing(verifier: &std::sync::Arc<crate::verifier::Verifier>) -> u64 {
    handles::verifier_id(verifier)
}
