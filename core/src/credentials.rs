//! Credentials: a key id and the secret key bytes.
//!
//! An opaque object rather than a record, so that no generated `__str__`,
//! `toString()` or `description` can ever print the secret. `Debug` redacts it.

use std::fmt;

use crate::mac::PreparedKey;
use crate::schemes::aws_sigv4::SigningKeyCache;

/// A key id and its secret. The secret never leaves this object.
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct Credentials {
    key_id: String,
    key: PreparedKey,
    sigv4_keys: SigningKeyCache,
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl Credentials {
    /// Credentials from raw secret bytes. A text secret is its UTF-8 bytes:
    /// api-auth uses generated secrets as text, never base64-decoded.
    #[uniffi::constructor]
    pub fn new(key_id: String, secret: Vec<u8>) -> Self {
        Self { key_id, key: PreparedKey::new(secret), sigv4_keys: SigningKeyCache::default() }
    }

    /// The key id (public; it travels in the request).
    pub fn key_id(&self) -> String {
        self.key_id.clone()
    }
}

impl Credentials {
    pub(crate) fn key_id_str(&self) -> &str {
        &self.key_id
    }
    pub(crate) fn secret(&self) -> &[u8] {
        self.key.secret()
    }
    /// The secret, keyed once per HMAC algorithm (the signing hot path).
    pub(crate) fn key(&self) -> &PreparedKey {
        &self.key
    }
    /// The last SigV4 signing key derived from this secret.
    pub(crate) fn sigv4_keys(&self) -> &SigningKeyCache {
        &self.sigv4_keys
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("key_id", &self.key_id).field("secret", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_never_shows_the_secret() {
        let c = super::Credentials::new("1044".into(), b"top-secret".to_vec());
        let shown = format!("{c:?}");
        assert!(shown.contains("1044") && shown.contains("redacted") && !shown.contains("top-secret"));
    }
}
