//! The SigV4 signing key, derived from the secret per date, region and
//! service, and a cache holding the last one.
//!
//! Contract: [`SigningKeyCache::key`] always equals [`signing_key`] for the
//! same scope; the cache only saves the four HMACs. Every key here (the cached
//! one, the one handed out, and the intermediate keys of the derivation) is
//! zeroized when dropped.

use std::sync::Mutex;

use zeroize::Zeroizing;

use super::Options;
use crate::mac::{Algorithm, Tag};

/// A derived key: its bytes are zeroed when it is dropped.
pub(super) type DerivedKey = Zeroizing<Tag>;

/// The signing key of the last scope a [`crate::Credentials`] signed for: it
/// changes once a day (and per region and service), and deriving it takes four
/// HMACs, more hashing than the rest of a small request.
#[derive(Default)]
pub struct SigningKeyCache(Mutex<Option<(String, DerivedKey)>>);

impl SigningKeyCache {
    pub(super) fn key(&self, secret: &[u8], date: &str, options: &Options) -> DerivedKey {
        let scope = [date, &options.region, &options.service].join("/");
        // A poisoned lock only means another thread panicked mid-copy: derive afresh.
        let mut cached = self.0.lock().ok();
        if let Some(Some((kept, key))) = cached.as_deref()
            && *kept == scope
        {
            return key.clone();
        }
        let key = signing_key(secret, date, options);
        if let Some(slot) = cached.as_deref_mut() {
            *slot = Some((scope, key.clone()));
        }
        key
    }
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeyCache(<redacted>)")
    }
}

pub(super) fn signing_key(secret: &[u8], date: &str, options: &Options) -> DerivedKey {
    let mut key = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    key.extend_from_slice(b"AWS4");
    key.extend_from_slice(secret);
    let k_date = Zeroizing::new(Algorithm::Sha256.hmac(&key, &[date.as_bytes()]));
    let k_region = Zeroizing::new(Algorithm::Sha256.hmac(&k_date, &[options.region.as_bytes()]));
    let k_service = Zeroizing::new(Algorithm::Sha256.hmac(&k_region, &[options.service.as_bytes()]));
    Zeroizing::new(Algorithm::Sha256.hmac(&k_service, &[b"aws4_request"]))
}
