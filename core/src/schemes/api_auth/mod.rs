//! api-auth: wire-compatible with the Ruby gem api-auth 2.5 (Net::HTTP driver).
//!
//! Canonical string (never escaped; a missing field is empty):
//!
//! ```text
//! METHOD,CONTENT_TYPE,CONTENT_HASH,REQUEST_URI,DATE[,HDR1_VALUE[,HDR2_VALUE...]]
//! ```
//!
//! `Authorization: APIAuth <key_id>:<base64 HMAC-SHA1>` for the digest named
//! exactly `sha1`, else `APIAuth-HMAC-<DIGEST> <key_id>:<base64 HMAC>`.
//!
//! Signing reproduces the gem byte for byte (`docs/specs/api-auth.md`).
//! Verifying is stricter than the gem, by default:
//! - the header parse is anchored, and MD5 is never accepted;
//! - the signature is compared in constant time;
//! - `X-Original-URI` is ignored unless the policy trusts a proxy to set it;
//! - a content hash, when present, is checked against the body for every
//!   method, and a body without one is refused unless the policy allows it;
//! - a missing or unparsable `Date` is an error, not an exception.
//!
//! The module's parts, each using only those listed before it:
//! - `ruby_uri`: the request-URI field, as Ruby's `URI` gives it;
//! - `canonical`: the canonical string;
//! - `sign` and `verify`: the entry points, over this module's options and
//!   policy (`verify` parses `Authorization` strictly);
//! - `access_id`: the key id, found in `Authorization` as loosely as the gem
//!   finds it.

mod access_id;
mod canonical;
mod ruby_uri;
mod sign;
mod verify;

#[cfg(test)]
mod tests;

use crate::error::{HmacSigError, Result};
use crate::mac::Algorithm;
use crate::request::HeaderLists;

pub use access_id::key_id;
pub use sign::{sign, sign_into};
pub use verify::verify;

/// The content-hash header (`X-Authorization-Content-SHA256`), added on signing.
pub const CONTENT_HASH_HEADER: &str = "X-Authorization-Content-SHA256";
const CONTENT_TYPE_NAMES: &[&str] = &["CONTENT-TYPE", "CONTENT_TYPE", "HTTP_CONTENT_TYPE"];
const DATE_NAMES: &[&str] = &["DATE", "HTTP_DATE"];
const ORIGINAL_URI_NAMES: &[&str] = &["X-ORIGINAL-URI", "X_ORIGINAL_URI", "HTTP_X_ORIGINAL_URI"];
/// What sign and verify read, in one pass: the content hash, the date, the
/// original URI and the content type.
const SIGNED_FIELDS: HeaderLists<4> = HeaderLists::new([&[CONTENT_HASH_HEADER], DATE_NAMES, ORIGINAL_URI_NAMES, CONTENT_TYPE_NAMES]);

/// Signing options, as the gem's `sign!` takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub algorithm: Algorithm,
    /// `APIAuth` or `APIAuth-HMAC-SHA256` ...: the gem keys this on the exact
    /// digest string, so `sha1` and `SHA1` give different (both valid) headers.
    pub label: String,
    pub headers_to_sign: Vec<String>,
    pub override_method: Option<String>,
}

impl Options {
    /// `digest` as the gem takes it: `sha1` (the default), `sha224`, `sha256`,
    /// `sha384`, `sha512`, in any case. MD5 and anything else are refused.
    pub fn new(digest: &str, headers_to_sign: Vec<String>, override_method: Option<String>) -> Result<Self> {
        let algorithm = Algorithm::from_name(digest).ok_or_else(|| {
            HmacSigError::unsupported(format!(
                "api-auth digest {digest:?} is not offered; use sha1, sha224, sha256, sha384 or sha512 (MD5 is never offered)"
            ))
        })?;
        let label = if digest == "sha1" { "APIAuth".to_owned() } else { format!("APIAuth-HMAC-{}", digest.to_uppercase()) };
        if let Some(m) = &override_method
            && !crate::request::is_token(m)
        {
            return Err(HmacSigError::invalid_request(format!("override_method {m:?} is not an HTTP token")));
        }
        Ok(Self { algorithm, label, headers_to_sign, override_method })
    }
}

/// The default [`Policy::clock_skew`], in seconds.
pub const DEFAULT_CLOCK_SKEW: u32 = 900;

/// Verifying policy. Defaults: 900 s skew, any SHA digest, no proxy trust,
/// bodies must be covered by the content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// A request is fresh when `now - skew < Date < now + skew` (strict, as the gem).
    pub clock_skew: u32,
    /// When set, only this digest is accepted.
    pub digest: Option<Algorithm>,
    /// Honour `X-Original-URI` (set by a trusted reverse proxy) as the target.
    pub trust_original_uri: bool,
    /// Accept a non-empty body that no content hash covers (the gem does).
    pub allow_unsigned_body: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self { clock_skew: DEFAULT_CLOCK_SKEW, digest: None, trust_original_uri: false, allow_unsigned_body: false }
    }
}
