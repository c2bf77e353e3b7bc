//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`), header and presigned-query forms.
//!
//! ```text
//! canonical request = METHOD \n PATH \n QUERY \n HEADERS \n SIGNED_HEADERS \n PAYLOAD_HASH
//! string to sign    = AWS4-HMAC-SHA256 \n X-Amz-Date \n DATE/REGION/SERVICE/aws4_request \n hex(SHA-256(canonical request))
//! signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, DATE), REGION), SERVICE), "aws4_request")
//! ```
//!
//! Behaviour follows aws-c-auth (the suite in `tests/vectors/aws-sigv4/`):
//! - PATH: the raw path, dot segments removed and `//` collapsed when
//!   `normalize`, then URI-encoded once more when `double_uri_encode` (S3 uses
//!   neither: the path is taken as already encoded).
//! - QUERY: each `key=value` percent-decoded then encoded with only the
//!   unreserved set kept (so `+` is `%2B` and an encoded key stays as it was),
//!   sorted by encoded key, then encoded value; repeated keys are kept.
//! - HEADERS: lower-case names, values trimmed with inner whitespace runs (and
//!   obsolete line folding) collapsed to one space, repeats joined with `,`,
//!   sorted by name. `Authorization`, `User-Agent`, `X-Amzn-Trace-Id`,
//!   `Expect` and `Connection` are never signed.
//! - PAYLOAD_HASH: hex SHA-256 of the body (or of the SHA-256 body digest it
//!   was given), or the request's own `X-Amz-Content-Sha256` value (e.g.
//!   `UNSIGNED-PAYLOAD`) when it has one. Presigned URLs too.
//!
//! The module's parts, each using only those listed before it:
//! - `canonical`: the canonical request and the string to sign;
//! - `signing_key`: the derived signing key, and its per-scope cache;
//! - `sign` and `verify`: the entry points, header and presigned forms, over
//!   this module's options, policy and dates.

mod canonical;
mod sign;
mod signing_key;
mod verify;

#[cfg(test)]
mod tests;

use crate::error::{HmacSigError, Result};
use crate::request::{Folding, RequestView};

#[cfg(test)]
use sign::sign;
pub use sign::sign_with_cache;
pub use signing_key::SigningKeyCache;
pub use verify::{key_id, verify};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const UNSIGNABLE: &[&str] = &["authorization", "user-agent", "x-amzn-trace-id", "expect", "connection"];

/// Where the signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum SignatureType {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// A presigned URL: `X-Amz-Algorithm`, `-Credential`, `-Date`, `-SignedHeaders`,
    /// `-Expires` (and `-Security-Token`) and `X-Amz-Signature` in the query.
    Query,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub region: String,
    pub service: String,
    pub session_token: Option<String>,
    /// Add the session token after signing, unsigned (as some services require).
    pub omit_session_token: bool,
    pub normalize: bool,
    pub double_uri_encode: bool,
    /// Add and sign `x-amz-content-sha256` (header signing).
    pub sign_body: bool,
    pub signature_type: SignatureType,
    /// `X-Amz-Expires` of a presigned URL, in seconds.
    pub expires: u32,
}

/// The default [`Policy::max_skew`], in seconds.
pub const DEFAULT_MAX_SKEW: u32 = 900;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Most seconds between `X-Amz-Date` and now, either way (AWS: 15 minutes).
    pub max_skew: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self { max_skew: DEFAULT_MAX_SKEW }
    }
}

impl Options {
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [("region", &self.region), ("service", &self.service)] {
            // Regions and services are ASCII names such as `us-east-1` and `s3`.
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
                return Err(HmacSigError::unsupported(format!(
                    "aws-sigv4 {name} {value:?} must be a non-empty name of letters, digits, '-', '_' or '.'"
                )));
            }
        }
        if self.expires == 0 || self.expires > 604_800 {
            return Err(HmacSigError::unsupported(format!("aws-sigv4 expires must be 1..604800 seconds (7 days), not {}", self.expires)));
        }
        Ok(())
    }
}

/// `20150830T123600Z` and `20150830` for Unix seconds.
pub fn amz_date(unix: i64) -> Result<(String, String)> {
    let (year, month, day, h, m, sec) = crate::time::utc_fields(unix)?;
    let date = format!("{year:04}{month:02}{day:02}");
    Ok((format!("{date}T{h:02}{m:02}{sec:02}Z"), date))
}

/// Parses `20150830T123600Z`.
pub(crate) fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (n(0..4)?, n(4..6)?, n(6..8)?, n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let unix = crate::time::days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    // Refuse dates that do not exist (Feb 30) by formatting back.
    (amz_date(unix).ok()?.0 == text).then_some(unix)
}

/// The request's method and fields, where header values may carry obsolete
/// line folding (the suites' multi-line headers), and a target without line
/// breaks, NUL or fragment.
fn validate(request: &RequestView<'_>) -> Result<()> {
    request.validate_with(Folding::Allowed)?;
    if request.target.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0 | b'#')) {
        return Err(HmacSigError::invalid_request(format!("the request target {:?} has a line break, NUL or fragment", request.target)));
    }
    Ok(())
}
