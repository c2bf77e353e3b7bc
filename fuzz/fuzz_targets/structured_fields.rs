//! RFC 9421's structured fields: `Signature-Input` and `Signature` (the input
//! split at its first NUL byte), and a component identifier.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (signature_input, signature) = text.split_once('\0').unwrap_or((text, ""));
    hmacsig::fuzzing::structured_fields(signature_input, signature);
});
