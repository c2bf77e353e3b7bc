//! HTTP dates as the api-auth gem reads them (Ruby's `Time.httpdate`: three
//! forms, case-insensitive), SigV4's `X-Amz-Date`, and nginx's HTTP-date parser (kong-hmac).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    hmacsig::fuzzing::http_dates(text);
});
