//! The one target parser: origin-, absolute-, authority-form and `*`
//! (`Target::parse`, what can be sent, and `Target::split`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    hmacsig::fuzzing::target(text);
});
