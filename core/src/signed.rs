//! What signing returns.

use std::borrow::Cow;

use crate::request::Header;

/// The result of signing: the headers to set, and what was MACed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SignedRequest {
    /// Every header the signer adds or replaces, in the order it sets them.
    /// Set each one on the request, replacing any header of the same name.
    pub headers: Vec<Header>,
    /// The exact bytes that were MACed (text for every scheme but binary bodies).
    pub string_to_sign: Vec<u8>,
    /// The signed URL, for schemes that sign the query (presigned URLs); else `None`.
    pub url: Option<String>,
}

impl SignedRequest {
    /// Empties it, keeping its buffers' capacity (for `sign_into`'s errors).
    pub(crate) fn clear(&mut self) {
        self.headers.clear();
        self.string_to_sign.clear();
        self.url = None;
    }
}

/// What a scheme's `verify` established: who signed, with which signature
/// value, and until when that signature is valid (for the replay guard).
/// Borrowed from the request where the scheme can: a verify allocates only
/// the key id it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<'a> {
    pub key_id: Cow<'a, str>,
    /// What the replay guard remembers: the signature as it travelled, or
    /// (Hawk) the timestamp and nonce; `None` for what may be used again
    /// (a Hawk bewit is a link, valid until it expires).
    pub replay_key: Option<Cow<'a, str>>,
    /// Unix seconds after which the request would be refused anyway; `None`
    /// for schemes without a timestamp.
    pub expires_at: Option<i64>,
}
