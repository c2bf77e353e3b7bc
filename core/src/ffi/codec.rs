//! The byte layouts between the language layers and the core, both ways
//! (docs/ffi.md is the reference; `tests/vectors/ffi/codec.json` holds golden
//! bytes that every layer's codec test reads).
//!
//! In: one UTF-8 text of NUL-separated fields, and how many fields it holds.
//! - a request: `method, target, name, value, name, value, …`
//! - a response: `status, name, value, …`, then optionally the request it
//!   answers as above. `counts`' low 32 bits are the message's field count,
//!   its high 32 bits the request's (0: none).
//!
//! HTTP allows no NUL in a method, target, status or header, so the split is
//! exact; a NUL inside a field shows as more fields than the layer declared
//! and is refused as `InvalidRequest`, never mis-split.
//!
//! Out: a tag byte, then
//! - 0, signed: `u32 count`, per header `u32 len, name, u32 len, value`,
//!   `u32 url_len + 1` (0: no URL) and the URL, then the string to sign (the
//!   rest);
//! - 1, key id: the key id (the rest);
//! - 2, error: `u8 kind code` (the index in `HmacSigError::KINDS`),
//!   `u32 field count`, every field but the last as `u32 len, bytes`, the last
//!   as the rest (`reason`, then `key_id` or `string_to_sign`).
//!
//! Lengths are little-endian.

use crate::error::{HmacSigError, Result};
use crate::request::Header;
use crate::signed::SignedRequest;

pub(crate) const SIGNED: u8 = 0;
pub(crate) const KEY_ID: u8 = 1;
pub(crate) const ERROR: u8 = 2;

/// How many fields a call's text holds: the message's, and the request's a
/// response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub message: usize,
    pub request: usize,
}

impl Counts {
    pub fn from_packed(counts: u64) -> Self {
        Self { message: (counts & 0xFFFF_FFFF) as usize, request: (counts >> 32) as usize }
    }
}

/// The text of a call.
pub(crate) fn text(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| HmacSigError::invalid_request("the method, target or headers are not valid UTF-8"))
}

/// A request's method and target, its headers into `headers` (reusing its
/// strings; left empty on error). `fields` is the request's field count.
pub(crate) fn decode_request<'t>(text: &'t str, fields: usize, headers: &mut Vec<Header>) -> Result<(&'t str, &'t str)> {
    let mut split = Split::new(text, fields)?;
    request_parts(&mut split, fields, headers)
}

/// A response's status and headers (into `headers`), and the method and
/// target of the request it answers (its headers into `request_headers`).
pub(crate) fn decode_response<'t>(
    text: &'t str,
    counts: Counts,
    headers: &mut Vec<Header>,
    request_headers: &mut Vec<Header>,
) -> Result<(u16, Option<(&'t str, &'t str)>)> {
    let mut split = Split::new(text, counts.message + counts.request)?;
    if counts.message.is_multiple_of(2) {
        return Err(HmacSigError::invalid_request(format!("a response is a status and name-value pairs, not {} fields", counts.message)));
    }
    let status = split.next();
    let status = match status.parse::<u16>() {
        Ok(n) if status.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return Err(HmacSigError::invalid_request(format!("the status {status:?} is not a number from 100 to 999"))),
    };
    fill_headers(&mut split, (counts.message - 1) / 2, headers);
    let request = match counts.request {
        0 => None,
        n => Some(request_parts(&mut split, n, request_headers)?),
    };
    Ok((status, request))
}

fn request_parts<'t>(split: &mut Split<'t>, fields: usize, headers: &mut Vec<Header>) -> Result<(&'t str, &'t str)> {
    if fields < 2 || !fields.is_multiple_of(2) {
        headers.clear();
        return Err(HmacSigError::invalid_request(format!("a request is a method, a target and name-value pairs, not {fields} fields")));
    }
    let (method, target) = (split.next(), split.next());
    fill_headers(split, (fields - 2) / 2, headers);
    Ok((method, target))
}

fn fill_headers(split: &mut Split<'_>, count: usize, headers: &mut Vec<Header>) {
    for i in 0..count {
        let (name, value) = (split.next(), split.next());
        match headers.get_mut(i) {
            Some(header) => {
                header.name.clear();
                header.name.push_str(name);
                header.value.clear();
                header.value.push_str(value);
            }
            None => headers.push(Header::new(name, value)),
        }
    }
    headers.truncate(count);
}

/// The text's fields, exactly as many as declared.
struct Split<'t> {
    fields: std::str::Split<'t, char>,
}

impl<'t> Split<'t> {
    /// Checks up front that `text` holds exactly `expected` fields, so that
    /// `next` cannot run out.
    fn new(text: &'t str, expected: usize) -> Result<Self> {
        let found = memchr_count(text.as_bytes()) + 1;
        if found > expected {
            return Err(HmacSigError::invalid_request("a method, target, status or header holds a NUL byte, which HTTP does not allow"));
        }
        if found < expected {
            return Err(HmacSigError::invalid_request(format!("the call holds {found} fields where it says {expected}")));
        }
        Ok(Self { fields: text.split('\0') })
    }

    fn next(&mut self) -> &'t str {
        self.fields.next().unwrap_or_default()
    }
}

fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == 0).count()
}

/// What a call returns.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome<'a> {
    Signed(&'a SignedRequest),
    KeyId(&'a str),
    Error(&'a HmacSigError),
}

impl Outcome<'_> {
    /// The encoded length.
    pub fn len(&self) -> usize {
        let mut len = 0;
        self.write(|bytes| len += bytes.len());
        len
    }

    /// Encoded into `out`, which must be [`Self::len`] bytes long.
    pub fn encode_into(&self, out: &mut [u8]) {
        let mut at = 0;
        self.write(|bytes| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        });
        debug_assert_eq!(at, out.len(), "encode_into: out must be len() bytes");
    }

    #[cfg(test)]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(|bytes| out.extend_from_slice(bytes));
        out
    }

    /// The layout, piece by piece.
    fn write(&self, mut put: impl FnMut(&[u8])) {
        // Every length-prefixed piece came in through the text, whose length
        // the entry keeps under 4 GiB; what can be longer (the string to sign,
        // which may hold the body) is always last, unprefixed.
        let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
        match self {
            Self::Signed(signed) => {
                put(&[SIGNED]);
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
            Self::KeyId(key_id) => {
                put(&[KEY_ID]);
                put(key_id.as_bytes());
            }
            Self::Error(error) => {
                put(&[ERROR, error.code()]);
                let fields = error.fields();
                put(&len(fields.len()));
                let (last, rest) = fields.split_last().expect("every error has a reason");
                for field in rest {
                    put(&len(field.len()));
                    put(field.as_bytes());
                }
                put(last.as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str, fields: usize) -> Result<(String, String, Vec<Header>)> {
        let mut headers = vec![Header::new("stale", "x")];
        let (m, t) = decode_request(text, fields, &mut headers)?;
        Ok((m.into(), t.into(), headers))
    }

    #[test]
    fn requests_split_into_exactly_the_declared_fields() {
        let (m, t, h) = request("POST\0/a?b=1\0Host\0x.example\0X-Empty\0", 6).unwrap();
        assert_eq!((m.as_str(), t.as_str()), ("POST", "/a?b=1"));
        assert_eq!(h, vec![Header::new("Host", "x.example"), Header::new("X-Empty", "")]);
        assert_eq!(request("GET\0/", 2).unwrap().2, vec![]);
        let nul = request("GET\0/\0X-A\0a\0b", 4).unwrap_err();
        assert_eq!(
            (nul.kind(), nul.reason()),
            ("invalid_request", "a method, target, status or header holds a NUL byte, which HTTP does not allow")
        );
        assert_eq!(request("GET\0/", 4).unwrap_err().reason(), "the call holds 2 fields where it says 4");
        assert_eq!(request("GET\0/\0A", 3).unwrap_err().kind(), "invalid_request");
        assert_eq!(request("GET", 1).unwrap_err().kind(), "invalid_request");
    }

    #[test]
    fn responses_carry_a_status_and_maybe_their_request() {
        let (mut headers, mut request_headers) = (vec![], vec![]);
        let text = "200\0Content-Type\0text/plain\0GET\0/x\0Host\0h";
        let counts = Counts::from_packed(3 | (4 << 32));
        let (status, request) = decode_response(text, counts, &mut headers, &mut request_headers).unwrap();
        assert_eq!((status, request), (200, Some(("GET", "/x"))));
        assert_eq!(headers, vec![Header::new("Content-Type", "text/plain")]);
        assert_eq!(request_headers, vec![Header::new("Host", "h")]);
        let alone = decode_response("204", Counts::from_packed(1), &mut headers, &mut request_headers).unwrap();
        assert_eq!(alone, (204, None));
        assert!(headers.is_empty());
        for bad in ["+20", "2x0", "", "99999"] {
            let error = decode_response(bad, Counts::from_packed(1), &mut headers, &mut request_headers).unwrap_err();
            assert_eq!(error.kind(), "invalid_request", "{bad:?}");
        }
        assert_eq!(
            decode_response("200\0A", Counts::from_packed(2), &mut headers, &mut request_headers).unwrap_err().kind(),
            "invalid_request"
        );
    }

    #[test]
    fn outcomes_encode_as_documented() {
        let signed = SignedRequest {
            headers: vec![Header::new("Date", "x"), Header::new("Authorization", "yz")],
            string_to_sign: b"s\0t".to_vec(),
            url: Some("/u".into()),
        };
        let mut expected = vec![SIGNED, 2, 0, 0, 0, 4, 0, 0, 0];
        expected.extend_from_slice(b"Date");
        expected.extend_from_slice(&[1, 0, 0, 0, b'x', 13, 0, 0, 0]);
        expected.extend_from_slice(b"Authorization");
        expected.extend_from_slice(&[2, 0, 0, 0, b'y', b'z', 3, 0, 0, 0, b'/', b'u', b's', 0, b't']);
        assert_eq!(Outcome::Signed(&signed).encode(), expected);
        assert_eq!(Outcome::KeyId("k1").encode(), b"\x01k1");
        let error = HmacSigError::bad_signature(b"abc");
        let mut expected = vec![ERROR, 4, 2, 0, 0, 0];
        let reason = error.reason().as_bytes();
        expected.extend_from_slice(&(reason.len() as u32).to_le_bytes());
        expected.extend_from_slice(reason);
        expected.extend_from_slice(b"abc");
        assert_eq!(Outcome::Error(&error).encode(), expected);
        for outcome in [Outcome::Signed(&signed), Outcome::KeyId(""), Outcome::Error(&error)] {
            let mut into = vec![0xAA; outcome.len()];
            outcome.encode_into(&mut into);
            assert_eq!(into, outcome.encode());
        }
    }
}
