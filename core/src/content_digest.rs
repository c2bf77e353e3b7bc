//! `Content-Digest` (RFC 9530): a digest of the body's bytes as they travel,
//! written as a Structured Field Dictionary such as `sha-256=:base64:`.
//!
//! Only `sha-256` and `sha-512` are offered or accepted; the RFC's other
//! registered algorithms (md5, sha, unixsum...) are deprecated and insecure.

use sfv::{BareItem, Dictionary, FieldType as _, Item, ListEntry};

use crate::error::{HmacSigError, Result};
use crate::mac::{sha256, sha512};

/// A `Content-Digest` algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
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

    /// `sha-256` or `sha-512`: the name in a `Content-Digest` field.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha512 => "sha-512",
        }
    }

    /// The digest of `body` with this algorithm.
    pub(crate) fn digest(self, body: &[u8]) -> Vec<u8> {
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
