//! A whole `verify` on arbitrary requests, with every scheme setting. Half the
//! inputs are first signed (when the request can be), then changed in one
//! place, so that verification gets past the signature to the body, time and
//! replay checks.
#![no_main]

mod schemes;

use arbitrary::Arbitrary;
use hmacsig::{Body, Header, RequestView};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    setting: u8,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    now: i64,
    /// Sign first, then change header `change.0` to `change.1` (or the body, past the last header).
    sign_first: bool,
    change: (u8, String),
}

fuzz_target!(|input: Input| {
    let settings = schemes::settings();
    let setting = &settings[input.setting as usize % settings.len()];
    let mut headers: Vec<Header> = input.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let mut target = input.target.clone();
    let mut body = input.body.clone();
    if input.sign_first {
        let view = RequestView { method: &input.method, target: &input.target, headers: &headers, body: Body::Bytes(&input.body) };
        if let Ok(signed) = setting.signer.sign_view(&view, Some(input.now)) {
            headers.extend(signed.headers);
            if let Some(url) = signed.url {
                target = url;
            }
            match headers.get_mut(input.change.0 as usize) {
                Some(header) => header.value = input.change.1.clone(),
                None => body.extend_from_slice(input.change.1.as_bytes()),
            }
        }
    }
    let request = RequestView { method: &input.method, target: &target, headers: &headers, body: Body::Bytes(&body) };
    let _ = setting.verifier.key_id(&request);
    let _ = setting.verifier.verify_view(&request, Some(input.now));
});
