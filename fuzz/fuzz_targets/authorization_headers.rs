//! Every scheme's signature headers read from arbitrary bytes: the input,
//! split at NUL bytes, gives the values of `Authorization`, the scheme's date
//! (`Date`, `X-Amz-Date`, `X-Request-Timestamp`), `Signature-Input`,
//! `Signature`, `Content-Digest`, `X-Authorization-Content-SHA256` and
//! `X-Amz-Content-Sha256`, on an otherwise plausible request; every verifier
//! reads the key id and verifies.
#![no_main]

mod schemes;

use hmacsig::{Body, Header, RequestView};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 11] = [
    "Authorization",
    "Proxy-Authorization",
    "X-Date",
    "Date",
    "X-Amz-Date",
    "X-Request-Timestamp",
    "Signature-Input",
    "Signature",
    "Content-Digest",
    "X-Authorization-Content-SHA256",
    "Digest",
];

fuzz_target!(|text: &str| {
    let mut headers = vec![Header::new("Host", "api.example.com"), Header::new("Content-Type", "application/json")];
    headers.extend(NAMES.iter().zip(text.split('\0')).map(|(name, value)| Header::new(*name, value)));
    // A bewit travels in the target: the last field, when there is one more.
    let target = format!("/orders?a=1&bewit={}", text.split('\0').nth(NAMES.len()).unwrap_or(""));
    let request = RequestView { method: "POST", target: &target, headers: &headers, body: Body::Bytes(b"{}") };
    for setting in schemes::settings() {
        let _ = setting.verifier.key_id(&request);
        let _ = setting.verifier.verify_view(&request, Some(1_700_000_000));
    }
});
