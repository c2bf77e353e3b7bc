//! The golden bytes of `tests/vectors/ffi/codec.json`: every layer's codec
//! test reads them, and this test makes sure they are the core's own. Run
//! with `HMACSIG_BLESS=1` to write the file after a deliberate change of
//! layout (then say so in docs/ffi.md).

use serde_json::{Value, json};

use super::codec::{self, Counts, Outcome};
use crate::error::HmacSigError;
use crate::request::Header;
use crate::signed::SignedRequest;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pairs(headers: &[Header]) -> Value {
    headers.iter().map(|h| json!([h.name, h.value])).collect()
}

/// A request as a layer packs it: the text and its field count.
fn pack_request(method: &str, target: &str, headers: &[(&str, &str)]) -> (String, usize) {
    let mut fields = vec![method, target];
    fields.extend(headers.iter().flat_map(|(n, v)| [*n, *v]));
    (fields.join("\0"), fields.len())
}

fn request_case(method: &str, target: &str, headers: &[(&str, &str)]) -> Value {
    let (text, fields) = pack_request(method, target, headers);
    let mut decoded = vec![];
    let (m, t) = codec::decode_request(&text, fields, &mut decoded).unwrap();
    assert_eq!((m, t, decoded.len()), (method, target, headers.len()));
    json!({"method": method, "target": target, "headers": headers, "counts": fields, "text_hex": hex(text.as_bytes())})
}

/// A request's method, target and headers.
type RequestParts<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

fn response_case(status: u16, headers: &[(&str, &str)], request: Option<RequestParts<'_>>) -> Value {
    let mut fields = vec![status.to_string()];
    fields.extend(headers.iter().flat_map(|(n, v)| [n.to_string(), v.to_string()]));
    let message = fields.len();
    let request_fields = request.map_or(0, |(m, t, h)| {
        let (text, n) = pack_request(m, t, h);
        fields.push(text);
        n
    });
    let text = fields.join("\0");
    let counts = message as u64 | ((request_fields as u64) << 32);
    let (mut decoded, mut decoded_request) = (vec![], vec![]);
    let (s, r) = codec::decode_response(&text, Counts::from_packed(counts), &mut decoded, &mut decoded_request).unwrap();
    assert_eq!((s, r.map(|(m, _)| m.to_owned())), (status, request.map(|(m, _, _)| m.to_owned())));
    json!({
        "status": status,
        "headers": headers,
        "request": request.map(|(m, t, h)| json!({"method": m, "target": t, "headers": h})),
        "counts": counts,
        "text_hex": hex(text.as_bytes()),
    })
}

fn result_case(outcome: Outcome<'_>) -> Value {
    let bytes = hex(&outcome.encode());
    match outcome {
        Outcome::Signed(signed) => json!({"bytes_hex": bytes, "signed": {
            "headers": pairs(&signed.headers),
            "url": signed.url,
            "string_to_sign_hex": hex(&signed.string_to_sign),
        }}),
        Outcome::KeyId(key_id) => json!({"bytes_hex": bytes, "key_id": key_id}),
        Outcome::Error(error) => json!({"bytes_hex": bytes, "error": {"kind": error.kind(), "fields": error.fields()}}),
    }
}

fn fixture() -> Value {
    let signed = SignedRequest {
        headers: vec![
            Header::new("Date", "Sun, 06 Dec 2026 19:38:34 GMT"),
            Header::new("Authorization", "APIAuth-HMAC-SHA256 1044:7QpFYi3GfZ0w0Hx5Q0B0s8kvLVYy4Eqg3MlP2xZ2wS0="),
        ],
        string_to_sign: b"POST,application/json,,/orders?id=7,Sun, 06 Dec 2026 19:38:34 GMT".to_vec(),
        url: None,
    };
    let presigned = SignedRequest {
        headers: vec![],
        string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nü\0\u{7f}".into(),
        url: Some("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab".into()),
    };
    let binary = SignedRequest { headers: vec![Header::new("X-Empty", "")], string_to_sign: vec![0, 0xff, 0xfe], url: Some(String::new()) };
    let errors = [
        HmacSigError::bad_signature("GET\n/é".as_bytes()),
        HmacSigError::unknown_key("client-ü"),
        HmacSigError::invalid_request("a method, target, status or header holds a NUL byte, which HTTP does not allow"),
        HmacSigError::KeyLookupFailed { reason: "the key lookup failed: down".into() },
        HmacSigError::Replayed { reason: String::new() },
    ];
    let mut results =
        vec![result_case(Outcome::Signed(&signed)), result_case(Outcome::Signed(&presigned)), result_case(Outcome::Signed(&binary))];
    results.extend([result_case(Outcome::KeyId("1044")), result_case(Outcome::KeyId("ключ")), result_case(Outcome::KeyId(""))]);
    results.extend(errors.iter().map(|e| result_case(Outcome::Error(e))));
    json!({
        "about": "Golden bytes of the call layout between the language layers and the core (docs/ffi.md). Written by core/src/ffi/tests.rs; every layer's codec test reads them. Hex strings; counts as the `counts` argument takes them.",
        "kinds": HmacSigError::KINDS,
        "requests": [
            request_case("POST", "/orders?id=7", &[("Content-Type", "application/json"), ("X-Empty", ""), ("Host", "api.example.com")]),
            request_case("GET", "https://example.com/ü?a=1&a=2", &[]),
            request_case("", "", &[("X-Ünïcode", "välue ✓")]),
        ],
        "responses": [
            response_case(200, &[("Content-Type", "application/json"), ("Content-Digest", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")], None),
            response_case(503, &[], Some(("POST", "/foo?param=Value&Pet=dog", &[("Host", "example.com")]))),
            response_case(204, &[("X-A", "")], Some(("GET", "/", &[]))),
        ],
        "results": results,
    })
}

#[test]
fn the_golden_fixture_is_the_cores_own_layout() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/ffi/codec.json");
    let expected = serde_json::to_string_pretty(&fixture()).unwrap() + "\n";
    if std::env::var_os("HMACSIG_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
    }
    let found = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (HMACSIG_BLESS=1 writes it)", path.display()));
    // Compared as JSON values: the key order of serde_json's maps depends on
    // its `preserve_order` feature, which other crates of the workspace turn on.
    let found: Value = serde_json::from_str(&found).expect("the fixture is JSON");
    assert!(found == fixture(), "tests/vectors/ffi/codec.json differs from the core's layout (HMACSIG_BLESS=1 rewrites it)");
}
