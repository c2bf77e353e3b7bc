//! rfc9421: HTTP Message Signatures (RFC 9421) with `hmac-sha256`.
//!
//! ```text
//! signature base = one line per covered component, in order:
//!                    "<component id>": <value>
//!                  then
//!                    "@signature-params": (<component ids>);created=..;keyid=".."...
//!                  joined with LF, no trailing LF
//! signature      = HMAC-SHA256(secret, signature base)
//! Signature-Input: <label>=(<component ids>);<params>
//! Signature:       <label>=:<base64 signature>:
//! ```
//!
//! Component values: header fields are each line trimmed of SP/HTAB, obsolete
//! folds replaced by one space, repeated lines joined with `", "`; `sf`, `key`
//! and `bs` re-serialize them (RFC 9421 section 2.1). Derived components
//! (section 2.2) come from the request target, absolute-form or origin-form
//! plus `Host` (scheme `https` then). Parameters are written in the order
//! `created`, `keyid`, `alg`, `expires`, `nonce`, `tag`, as the Python
//! library http-message-signatures writes them.
//!
//! Verification (stricter than the RFC requires): `created` and `keyid` are
//! required, `alg` when present must be `hmac-sha256`, unknown parameters are
//! refused, the policy's required components must be covered, and a body (or
//! any `Content-Digest`) must be covered by a `Content-Digest` that matches.
//! Several signatures may be present: those the policy selects (by label or
//! tag) and made with the verifying key id must all verify.
//!
//! The module's parts, each using only those listed before it:
//! - `components`: component identifiers (`"@method"`, `"content-type";sf`),
//!   parsed and checked without a message;
//! - `message`: the message signed or verified, a request or a response;
//! - `values`: each component's value in a message, and the signature base;
//! - `fields`: the `Signature-Input` and `Signature` dictionaries a message
//!   already carries;
//! - `sign` and `verify`: the entry points, over this module's options and
//!   policy.

mod components;
pub(crate) mod fields;
mod message;
mod sign;
mod values;
mod verify;

#[cfg(test)]
mod tests;

use sfv::{BareItem, KeyRef, Parameters, StringRef};

use crate::content_digest::ContentDigest;
use crate::error::{HmacSigError, Result};

pub use components::Component;
pub use message::MessageView;
pub use sign::sign;
pub use verify::{key_id, verify};

pub const ALGORITHM: &str = "hmac-sha256";
pub const SIGNATURE_INPUT_HEADER: &str = "Signature-Input";
pub const SIGNATURE_HEADER: &str = "Signature";
pub const CONTENT_DIGEST_HEADER: &str = "Content-Digest";

/// What the library signs by default, as http-message-signatures does.
pub const DEFAULT_COMPONENTS: [&str; 3] = ["@method", "@authority", "@target-uri"];
/// What a request's signature must cover unless the policy says otherwise.
pub const DEFAULT_REQUIRED_FOR_REQUESTS: [&str; 2] = ["@method", "@target-uri"];
/// What a response's signature must cover unless the policy says otherwise.
pub const DEFAULT_REQUIRED_FOR_RESPONSES: [&str; 1] = ["@status"];

/// The scheme's options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub label: String,
    pub components: Vec<Component>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub nonce: Option<String>,
    pub tag: Option<String>,
    pub include_alg: bool,
    pub content_digest: Option<ContentDigest>,
}

impl Options {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        components: Option<Vec<String>>,
        label: String,
        created: Option<i64>,
        expires: Option<i64>,
        nonce: Option<String>,
        tag: Option<String>,
        include_alg: bool,
        content_digest: Option<ContentDigest>,
    ) -> Result<Self> {
        let components = match components {
            Some(specs) => specs.iter().map(|s| Component::parse(s)).collect::<Result<Vec<_>>>()?,
            None => DEFAULT_COMPONENTS.iter().map(|s| Component::parse(s)).collect::<Result<Vec<_>>>()?,
        };
        let options = Self { label, components, created, expires, nonce, tag, include_alg, content_digest };
        options.parameters("", 0)?;
        if KeyRef::from_str(&options.label).is_err() {
            return Err(HmacSigError::unsupported(format!(
                "rfc9421 label {:?} must be a Structured Field key: lower case letters, digits, '_', '-', '.', '*'",
                options.label
            )));
        }
        let mut seen = Vec::new();
        for c in &options.components {
            if seen.contains(&c.identity()) {
                return Err(HmacSigError::unsupported(format!("rfc9421 component {} is listed twice", c.serialized())));
            }
            seen.push(c.identity());
        }
        Ok(options)
    }

    /// `created`, `keyid`, `alg`, `expires`, `nonce`, `tag`, in that order.
    fn parameters(&self, key_id: &str, now: i64) -> Result<Parameters> {
        let mut params = Parameters::new();
        let key = |k: &str| KeyRef::from_str(k).expect("parameter names are keys").to_owned();
        let integer = |name: &str, v: i64| {
            sfv::Integer::try_from(v)
                .map(BareItem::Integer)
                .map_err(|_| HmacSigError::unsupported(format!("rfc9421 {name} {v} is out of the Structured Field integer range")))
        };
        let string = |name: &str, v: &str| {
            StringRef::from_str(v)
                .map(|s| BareItem::String(s.to_owned()))
                .map_err(|_| HmacSigError::unsupported(format!("rfc9421 {name} {v:?} must be printable ASCII")))
        };
        params.insert(key("created"), integer("created", self.created.unwrap_or(now))?);
        params.insert(key("keyid"), string("keyid", key_id)?);
        if self.include_alg {
            params.insert(key("alg"), string("alg", ALGORITHM)?);
        }
        if let Some(expires) = self.expires {
            params.insert(key("expires"), integer("expires", expires)?);
        }
        if let Some(nonce) = &self.nonce {
            params.insert(key("nonce"), string("nonce", nonce)?);
        }
        if let Some(tag) = &self.tag {
            params.insert(key("tag"), string("tag", tag)?);
        }
        Ok(params)
    }
}

/// The default [`Policy::max_age`], in seconds.
pub const DEFAULT_MAX_AGE: u32 = 300;
/// The default [`Policy::clock_skew`], in seconds.
pub const DEFAULT_CLOCK_SKEW: u32 = 5;

/// How strictly to verify.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Oldest accepted `created`, in seconds before now.
    pub max_age: u32,
    /// Tolerance for `created` in the future, `expires` in the past and `max_age`.
    pub clock_skew: u32,
    /// What every verified signature must cover; `None`: `@method` and
    /// `@target-uri` for a request, `@status` for a response.
    pub required_components: Option<Vec<Component>>,
    /// Verify only the signature with this label.
    pub label: Option<String>,
    /// Verify only signatures whose `tag` parameter is this.
    pub tag: Option<String>,
    /// Accept a body that no signed `Content-Digest` covers.
    pub allow_unsigned_body: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_age: DEFAULT_MAX_AGE,
            clock_skew: DEFAULT_CLOCK_SKEW,
            required_components: None,
            label: None,
            tag: None,
            allow_unsigned_body: false,
        }
    }
}

impl Policy {
    pub fn parse_components(specs: Option<Vec<String>>) -> Result<Option<Vec<Component>>> {
        specs.map(|specs| specs.iter().map(|s| Component::parse(s)).collect()).transpose()
    }
}
