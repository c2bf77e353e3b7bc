// The core's raw C entry (core/src/raw_abi.rs, docs/adr/0005-raw-hot-path.md),
// declared by hand: UniFFI generates HmacSigFFI.h but not this. Keep it in step
// with `hmacsig_sign_packed_into`; the Swift tests sign through it on every scheme.
#pragma once
#include <stdint.h>

/// Signs with the `Signer` at `signer` (its `address()`); writes the packed
/// result to `out`. Returns its length; more than `out_cap`: the size needed,
/// nothing written; -1: signing failed (the generated call gives the error).
int64_t hmacsig_sign_packed_into(
    uint64_t signer,
    const uint8_t *method, uint64_t method_len,
    const uint8_t *target, uint64_t target_len,
    const uint8_t *headers, uint64_t headers_len,
    const uint8_t *body, uint64_t body_len,
    int64_t now,
    uint8_t *out, uint64_t out_cap);
