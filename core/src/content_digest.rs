//! `Content-Digest` (RFC 9530): a digest of the body's bytes as they travel,
//! written as a Structured Field Dictionary such as `sha-256=:base64:`.
//!
//! Only `sha-256` and `sha-512` are offered or accepted; the RFC's other
//! registered algorithms (md5, sha, unixsum...) are deprecated and insecure.

use sfv::{BareItem, Dictionary, FieldType as _, Item, ListEntry, Parser};

use crate::error::{HmacSigError, Result};
use crate::mac::{constant_time_eq, sha256, sha512};
use crate::request::Body;

/// A `Content-Digest` algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ContentDigest {
    /// `sha-256`
    Sha256,
    /// `sha-512`
    Sha512,
}

impl ContentDigest {
    /// `sha-256` or `sha-512`, as RFC 9530 and the conformance cases spell them.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "sha-256" => Ok(Self::Sha256),
            "sha-512" => Ok(Self::Sha512),
            other => Err(HmacSigError::unsupported(format!("content digest {other:?} is not offered; use sha-256 or sha-512"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha512 => "sha-512",
        }
    }

    fn digest(self, body: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha256(body).to_vec(),
            Self::Sha512 => sha512(body).to_vec(),
        }
    }

    /// The `Content-Digest` field value for `body`, e.g. `sha-256=:47DEQpj8...=:`.
    pub fn field_value(self, body: &[u8]) -> String {
        self.field_value_of_digest(&self.digest(body))
    }

    /// The `Content-Digest` field value for a body whose digest (of this
    /// algorithm) is `digest`.
    pub fn field_value_of_digest(self, digest: &[u8]) -> String {
        let mut dict = Dictionary::new();
        let key = sfv::KeyRef::from_str(self.name()).expect("algorithm names are keys").to_owned();
        dict.insert(key, ListEntry::Item(Item::new(BareItem::ByteSequence(digest.to_vec()))));
        dict.serialize().expect("a one-member dictionary serializes")
    }
}

/// Checks a `Content-Digest` value against `body`: every member must be a
/// supported algorithm whose digest matches. `member` is the one dictionary
/// key a signature covered (`"content-digest";key="sha-256"`), whose value is
/// then `value` alone.
pub(crate) fn check(value: &str, member: Option<&str>, body: Body<'_>) -> Result<()> {
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
        check(&value, None, Body::Bytes(b2)).unwrap();
        let both = format!("{}, {value}", ContentDigest::Sha256.field_value(b2));
        check(&both, None, Body::Bytes(b2)).unwrap();
        assert_eq!(check(&both, None, Body::Bytes(b"other")).unwrap_err().kind(), "body_mismatch");
    }

    #[test]
    fn refuses_weak_or_malformed_digests() {
        assert_eq!(check("md5=:rL0Y20zC+Fzt72VPzMSk2A==:", None, Body::Bytes(b"foo")).unwrap_err().kind(), "digest_not_allowed");
        for bad in ["", "sha-256", "sha-256=abc", "sha-256=(:AA==:)", "sha-256=:AA==:"] {
            assert_eq!(check(bad, None, Body::Bytes(b"foo")).unwrap_err().kind(), "body_mismatch", "{bad}");
        }
        let one = ContentDigest::Sha256.field_value(b"foo");
        let item = one.strip_prefix("sha-256=").unwrap();
        check(item, Some("sha-256"), Body::Bytes(b"foo")).unwrap();
    }
}
