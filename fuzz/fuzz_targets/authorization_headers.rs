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

const NAMES: [&str; 8] = [
    "Authorization",
    "Date",
    "X-Amz-Date",
    "X-Request-Timestamp",
    "Signature-Input",
    "Signature",
    "Content-Digest",
    "X-Authorization-Content-SHA256",
];

fuzz_target!(|text: &str| {
    let mut headers = vec![Header::new("Host", "api.example.com"), Header::new("Content-Type", "application/json")];
    headers.extend(NAMES.iter().zip(text.split('\0')).map(|(name, value)| Header::new(*name, value)));
    let request = RequestView { method: "POST", target: "/orders?a=1", headers: &headers, body: Body::Bytes(b"{}") };
    for setting in schemes::settings() {
        let _ = setting.verifier.key_id(&request);
        let _ = setting.verifier.verify_view(&request, Some(1_700_000_000));
    }
});
