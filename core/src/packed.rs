//! The packed wire format of [`crate::Signer::sign_packed`], the per-call hot
//! path for the hand-written language layers (docs/adr/0004-packed-hot-path.md).
//!
//! UniFFI lowers every `String`, record and `Vec` argument into its own
//! buffer, at a foreign-side cost of several microseconds each; a `&[u8]`
//! argument and an integer cost next to nothing. So the hot path takes flat
//! bytes and returns one buffer, and each layer packs and unpacks these two
//! simple layouts itself:
//!
//! - **Headers in**: `name NUL value NUL name NUL value …` in UTF-8 (no
//!   trailing NUL; empty input = no headers). A name or value can never hold
//!   a NUL (the core refuses one in a header), so the split is unambiguous;
//!   a layer whose headers contain a NUL uses the record call instead, which
//!   reports the error.
//! - **Signed request out**: `u32 count`, then per header `u32 len, name,
//!   u32 len, value`; then `u32 url_len + 1` (0 = no URL) and the URL; the
//!   rest is the string-to-sign. Lengths are little-endian.

use crate::error::{HmacSigError, Result};
use crate::request::Header;
use crate::signed::SignedRequest;

/// `now` meaning "the system clock" (a flat `i64` cannot be absent).
pub const SYSTEM_CLOCK: i64 = i64::MIN;

/// The text of a packed argument; `what` names it in the error.
pub fn text<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| HmacSigError::invalid_request(format!("the {what} is not valid UTF-8")))
}

/// Headers packed as `name NUL value NUL …`.
pub fn decode_headers(packed: &[u8]) -> Result<Vec<Header>> {
    let mut headers = Vec::new();
    decode_headers_into(packed, &mut headers)?;
    Ok(headers)
}

/// [`decode_headers`] into `headers`, reusing its strings (its previous
/// contents are only capacity; on error it is left empty).
pub fn decode_headers_into(packed: &[u8], headers: &mut Vec<Header>) -> Result<()> {
    let decoded = fill_headers(packed, headers);
    if decoded.is_err() {
        headers.clear();
    }
    decoded
}

fn fill_headers(packed: &[u8], headers: &mut Vec<Header>) -> Result<()> {
    let mut count = 0;
    if !packed.is_empty() {
        let mut fields = text(packed, "packed header list")?.split('\0');
        while let Some(name) = fields.next() {
            let value = fields.next().ok_or_else(|| HmacSigError::invalid_request("the packed header list has a name without a value"))?;
            match headers.get_mut(count) {
                Some(header) => {
                    header.name.clear();
                    header.name.push_str(name);
                    header.value.clear();
                    header.value.push_str(value);
                }
                None => headers.push(Header::new(name, value)),
            }
            count += 1;
        }
    }
    headers.truncate(count);
    Ok(())
}

/// `now` as the schemes take it.
pub fn clock(now: i64) -> Option<i64> {
    (now != SYSTEM_CLOCK).then_some(now)
}

/// The signed request in the layout above.
pub fn encode_signed(signed: &SignedRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len(signed));
    write_signed(signed, |bytes| out.extend_from_slice(bytes));
    out
}

/// The length of [`encode_signed`]'s result.
pub fn encoded_len(signed: &SignedRequest) -> usize {
    let fields: usize = signed.headers.iter().map(|h| h.name.len() + h.value.len() + 8).sum();
    8 + fields + signed.url.as_ref().map_or(0, String::len) + signed.string_to_sign.len()
}

/// [`encode_signed`] into `out`, which must be [`encoded_len`] bytes long.
pub fn encode_signed_into(signed: &SignedRequest, out: &mut [u8]) {
    let mut at = 0;
    write_signed(signed, |bytes| {
        out[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    });
    debug_assert_eq!(at, out.len(), "encode_signed_into: out must be encoded_len bytes");
}

/// The layout, piece by piece.
fn write_signed(signed: &SignedRequest, mut put: impl FnMut(&[u8])) {
    // Header fields, URLs and bodies past 4 GiB never reach here: the FFI
    // passes buffer lengths as 32-bit integers.
    let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
    put(&len(signed.headers.len()));
    for header in &signed.headers {
        put(&len(header.name.len()));
        put(header.name.as_bytes());
        put(&len(header.value.len()));
        put(header.value.as_bytes());
    }
    match &signed.url {
        Some(url) => {
            put(&len(url.len() + 1));
            put(url.as_bytes());
        }
        None => put(&len(0)),
    }
    put(&signed.string_to_sign);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_including_empty_values() {
        let headers = decode_headers(b"Content-Type\0application/json\0X-Empty\0\0Host\0a.example").unwrap();
        assert_eq!(
            headers,
            vec![Header::new("Content-Type", "application/json"), Header::new("X-Empty", ""), Header::new("Host", "a.example")]
        );
        assert_eq!(decode_headers(b"").unwrap(), vec![]);
    }

    #[test]
    fn odd_or_invalid_header_lists_are_typed_errors() {
        assert_eq!(decode_headers(b"Name").unwrap_err().kind(), "invalid_request");
        assert_eq!(decode_headers(b"A\0b\0C").unwrap_err().kind(), "invalid_request");
        assert_eq!(decode_headers(b"A\0\xff").unwrap_err().kind(), "invalid_request");
    }

    #[test]
    fn signed_layout() {
        let signed = SignedRequest {
            headers: vec![Header::new("Date", "x"), Header::new("Authorization", "yz")],
            string_to_sign: b"s\0t".to_vec(),
            url: Some("/u".into()),
        };
        let mut expected = vec![2, 0, 0, 0, 4, 0, 0, 0];
        expected.extend_from_slice(b"Date");
        expected.extend_from_slice(&[1, 0, 0, 0, b'x', 13, 0, 0, 0]);
        expected.extend_from_slice(b"Authorization");
        expected.extend_from_slice(&[2, 0, 0, 0, b'y', b'z', 3, 0, 0, 0, b'/', b'u', b's', 0, b't']);
        assert_eq!(encode_signed(&signed), expected);
        let no_url = SignedRequest { headers: vec![], string_to_sign: vec![], url: None };
        assert_eq!(encode_signed(&no_url), vec![0, 0, 0, 0, 0, 0, 0, 0]);
        for signed in [signed, no_url] {
            assert_eq!(encoded_len(&signed), encode_signed(&signed).len());
            let mut into = vec![0xAA; encoded_len(&signed)];
            encode_signed_into(&signed, &mut into);
            assert_eq!(into, encode_signed(&signed));
        }
    }

    #[test]
    fn decoding_into_reuses_and_trims_what_was_there() {
        let mut headers = vec![Header::new("Old", "x".repeat(100)), Header::new("A", "b"), Header::new("C", "d"), Header::new("E", "f")];
        let first = headers[0].value.as_ptr();
        decode_headers_into(b"Host\0a.example\0X-Empty\0", &mut headers).unwrap();
        assert_eq!(headers, vec![Header::new("Host", "a.example"), Header::new("X-Empty", "")]);
        assert_eq!(headers[0].value.as_ptr(), first, "the first value's buffer is reused");
        decode_headers_into(b"", &mut headers).unwrap();
        assert_eq!(headers, vec![]);
        headers.push(Header::new("Kept", "until an error"));
        assert_eq!(decode_headers_into(b"A\0b\0C", &mut headers).unwrap_err().kind(), "invalid_request");
        assert_eq!(headers, vec![], "left empty on error");
    }

    #[test]
    fn the_sentinel_means_the_system_clock() {
        assert_eq!(clock(SYSTEM_CLOCK), None);
        assert_eq!(clock(0), Some(0));
        assert_eq!(clock(-1), Some(-1));
    }
}
