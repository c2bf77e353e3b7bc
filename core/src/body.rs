//! A message's body as the schemes see it: its bytes, or only their digest
//! (a streamed body), and the check of a `Content-Digest` field against it.
//!
//! Above `content_digest` (the algorithms) and `body_hasher` (the digests of
//! streamed bodies); `request` uses it.

use std::borrow::Cow;

use sfv::{BareItem, Dictionary, Item, ListEntry, Parser};

use crate::body_hasher::BodyDigest;
use crate::content_digest::ContentDigest;
use crate::error::{HmacSigError, Result};
use crate::mac::{constant_time_eq, sha256};

/// A message body as schemes see it: the bytes, or only their digest (a
/// streamed body). Schemes ask for what they sign; a digest answers only for
/// its own algorithm, so one that needs another (or the bytes) fails with a
/// typed error instead of signing something else.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// The body's bytes.
    Bytes(&'a [u8]),
    /// Only the body's digest and length, from a [`crate::BodyHasher`].
    Digest(&'a BodyDigest),
}

impl<'a> Body<'a> {
    /// The length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::Digest(digest) => digest.length,
        }
    }

    /// Whether the body is empty (zero bytes).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body's `algorithm` digest. `purpose` names what needs it, for the
    /// error when this is a digest of another algorithm.
    pub(crate) fn digest(&self, algorithm: ContentDigest, purpose: &str) -> Result<Cow<'a, [u8]>> {
        match self {
            Self::Bytes(bytes) => Ok(Cow::Owned(algorithm.digest(bytes))),
            Self::Digest(digest) if digest.algorithm == algorithm => {
                digest.validate()?;
                Ok(Cow::Borrowed(&digest.digest))
            }
            Self::Digest(digest) => Err(HmacSigError::invalid_request(format!(
                "{purpose} needs a {} digest of the body, but a {} digest was given; hash the body with {} instead",
                algorithm.name(),
                digest.algorithm.name(),
                algorithm.name()
            ))),
        }
    }

    /// The body's SHA-256, as [`Self::digest`].
    pub(crate) fn sha256(&self, purpose: &str) -> Result<[u8; 32]> {
        if let Self::Bytes(bytes) = self {
            return Ok(sha256(bytes)); // the common case, without `digest`'s Vec
        }
        let digest = self.digest(ContentDigest::Sha256, purpose)?;
        // `digest` checked the length already; this cannot fail.
        <[u8; 32]>::try_from(digest.as_ref()).map_err(|_| HmacSigError::invalid_request("a sha-256 body digest is 32 bytes"))
    }

    /// The bytes themselves, for schemes that MAC the body; `scheme` names
    /// the one that refuses a digest.
    pub(crate) fn bytes(&self, scheme: &str) -> Result<&'a [u8]> {
        match self {
            Self::Bytes(bytes) => Ok(bytes),
            Self::Digest(_) => Err(HmacSigError::unsupported(format!(
                "the {scheme} scheme MACs the body bytes themselves, so it cannot sign from a body digest; pass the body"
            ))),
        }
    }
}

/// Checks a `Content-Digest` value against `body`: every member must be a
/// supported algorithm whose digest matches. `member` is the one dictionary
/// key a signature covered (`"content-digest";key="sha-256"`), whose value is
/// then `value` alone.
pub(crate) fn check_content_digest(value: &str, member: Option<&str>, body: Body<'_>) -> Result<()> {
    let malformed = || HmacSigError::body_mismatch(format!("Content-Digest {value:?} is not a dictionary of byte sequences"));
    let members: Vec<(String, Item)> = match member {
        Some(name) => vec![(name.to_owned(), Parser::new(value).parse::<Item>().map_err(|_| malformed())?)],
        None => Parser::new(value)
            .parse::<Dictionary>()
            .map_err(|_| malformed())?
            .into_iter()
            .map(|(k, v)| match v {
                ListEntry::Item(item) => Ok((k.as_str().to_owned(), item)),
                ListEntry::InnerList(_) => Err(malformed()),
            })
            .collect::<Result<_>>()?,
    };
    if members.is_empty() {
        return Err(HmacSigError::body_mismatch("Content-Digest is empty"));
    }
    for (name, item) in members {
        let algorithm = ContentDigest::from_name(&name).map_err(|_| {
            HmacSigError::digest_not_allowed(format!("Content-Digest algorithm {name:?} is not accepted; only sha-256 and sha-512 are"))
        })?;
        let BareItem::ByteSequence(claimed) = &item.bare_item else { return Err(malformed()) };
        if !constant_time_eq(claimed, &body.digest(algorithm, "checking Content-Digest")?) {
            return Err(HmacSigError::body_mismatch(format!("the body's {name} digest does not match Content-Digest")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9530_examples() {
        // RFC 9530 section 2 and RFC 9421 B.2 (test-request body).
        assert_eq!(
            ContentDigest::Sha256.field_value(b"{\"hello\": \"world\"}\n"),
            "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
        );
        let b2 = br#"{"hello": "world"}"#;
        let value = ContentDigest::Sha512.field_value(b2);
        assert_eq!(value, "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:");
        check_content_digest(&value, None, Body::Bytes(b2)).unwrap();
        let both = format!("{}, {value}", ContentDigest::Sha256.field_value(b2));
        check_content_digest(&both, None, Body::Bytes(b2)).unwrap();
        assert_eq!(check_content_digest(&both, None, Body::Bytes(b"other")).unwrap_err().kind(), "body_mismatch");
    }

    #[test]
    fn refuses_weak_or_malformed_digests() {
        assert_eq!(
            check_content_digest("md5=:rL0Y20zC+Fzt72VPzMSk2A==:", None, Body::Bytes(b"foo")).unwrap_err().kind(),
            "digest_not_allowed"
        );
        for bad in ["", "sha-256", "sha-256=abc", "sha-256=(:AA==:)", "sha-256=:AA==:"] {
            assert_eq!(check_content_digest(bad, None, Body::Bytes(b"foo")).unwrap_err().kind(), "body_mismatch", "{bad}");
        }
        let one = ContentDigest::Sha256.field_value(b"foo");
        let item = one.strip_prefix("sha-256=").unwrap();
        check_content_digest(item, Some("sha-256"), Body::Bytes(b"foo")).unwrap();
    }
}
