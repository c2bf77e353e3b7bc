//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz) into the parsers
//! that read untrusted bytes on every server request. Built only with the
//! `fuzzing` feature, hidden, and not part of the API.
//!
//! Contract: each function takes any input and returns normally; a panic, a
//! hang or a sanitizer report is a bug. Results are discarded: the targets
//! look for crashes, and the public API's tests check values.

use std::sync::Arc;

use crate::request::Header;
use crate::{Signer, Verifier};

/// The one target parser: origin-form, absolute-form, authority-form, `*`.
pub fn target(text: &str) {
    let _ = crate::target::Target::parse(text);
    let _ = crate::target::Target::split(text);
}

/// Ruby's `Time.httpdate` (api-auth's `Date`), SigV4's `X-Amz-Date`, and
/// nginx's HTTP-date parser (kong-hmac's `Date`/`X-Date`).
pub fn http_dates(text: &str) {
    let _ = crate::time::parse_http_date_ruby(text);
    let _ = crate::schemes::aws_sigv4::parse_amz_date(text);
    let _ = crate::schemes::kong_hmac::parse_nginx_date(text);
}

/// RFC 9421's structured fields: `Signature-Input` and `Signature` as
/// dictionaries, and a component identifier as a policy or scheme names it.
pub fn structured_fields(signature_input: &str, signature: &str) {
    let headers = [Header::new("Signature-Input", signature_input), Header::new("Signature", signature)];
    let _ = crate::schemes::rfc9421::fields::existing_signatures(&headers);
    let _ = crate::schemes::rfc9421::Component::parse(signature_input);
}

/// The call layout's decoder (docs/ffi.md): a request of `counts`' low 32
/// bits fields, and a response with the request it answers.
pub fn call_layout(counts: u64, text: &[u8]) {
    crate::ffi::decode_for_fuzzing(counts, text);
}

/// The ids the C entry `hmacsig_call` names objects by.
pub fn signer_id(signer: &Arc<Signer>) -> u64 {
    crate::ffi::signer_id_for_fuzzing(signer)
}

/// See [`signer_id`].
pub fn verifier_id(verifier: &Arc<Verifier>) -> u64 {
    crate::ffi::verifier_id_for_fuzzing(verifier)
}

pub use crate::ffi::{hmacsig_call, hmacsig_call_result};
