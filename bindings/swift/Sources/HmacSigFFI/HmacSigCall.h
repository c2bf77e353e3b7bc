// The core's one call path for every hot operation (core/src/ffi/, the layout
// in docs/ffi.md), declared by hand: UniFFI generates HmacSigFFI.h but not
// this. Keep it in step with core/src/ffi/mod.rs and handles.rs; the Swift
// layer calls it only from Sources/HmacSig/CoreCall.swift.
#pragma once
#include <stdint.h>

/// The id of the `Signer` behind a handle from its `uniffiCloneHandle()`,
/// which this consumes. 0: a null or foreign handle. Ids are never reused.
uint64_t hmacsig_signer_id(uint64_t cloned_uniffi_handle);

/// As `hmacsig_signer_id`, for a `Verifier`.
uint64_t hmacsig_verifier_id(uint64_t cloned_uniffi_handle);

/// One operation (1 sign, 2 sign a response, 3 verify, 4 verify a response,
/// 5 a request's claimed key id, 6 a response's) on the object with id
/// `object`. `text` holds the message's fields joined by NUL, `counts` their
/// count (low 32 bits) and that of the request a response answers (high 32
/// bits). `secret`: for 3 and 4 on a verifier with caller secrets, else NULL.
/// `now`: Unix seconds, INT64_MIN for the system clock.
/// Returns n >= 0, the result's length (in `out` when n <= out_cap, else kept
/// for `hmacsig_call_result` on this thread), -1 (no live object with that
/// id) or -2 (a malformed call).
int64_t hmacsig_call(
    uint32_t op, uint64_t object, uint64_t counts,
    const uint8_t *text, uint64_t text_len,
    const uint8_t *body, uint64_t body_len,
    const uint8_t *secret, uint64_t secret_len,
    int64_t now,
    uint8_t *out, uint64_t out_cap);

/// Copies the result `hmacsig_call` kept on this thread into `out`. Returns
/// its length (written and forgotten when it fits, else still kept), or -3
/// when none is kept.
int64_t hmacsig_call_result(uint8_t *out, uint64_t out_cap);
