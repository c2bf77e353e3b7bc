//! Streaming bodies: hash a body chunk by chunk with [`BodyHasher`], then sign
//! with the [`BodyDigest`] it returns ([`crate::Signer::sign_with_body_digest`]),
//! so that a large upload is never held in memory to be signed.
//!
//! Contract: signing with `BodyDigest::of(algorithm, body)` (or a hasher fed
//! `body` in any chunking) gives byte for byte what signing `body` gives,
//! for every scheme that signs a hash of the body rather than the body itself
//! (api-auth, aws-sigv4, rfc9421). The others refuse it (`unsupported`).

use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest as _, Sha256, Sha512};

use crate::content_digest::ContentDigest;
use crate::error::{HmacSigError, Result};

/// The digest of a whole body, and its length in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct BodyDigest {
    /// The hash it was made with.
    pub algorithm: ContentDigest,
    /// The raw digest: 32 bytes for SHA-256, 64 for SHA-512.
    pub digest: Vec<u8>,
    /// How many bytes were hashed.
    pub length: u64,
}

impl BodyDigest {
    /// The digest of `body`, in one call (the streaming result for a body
    /// already in memory).
    pub fn of(algorithm: ContentDigest, body: &[u8]) -> Self {
        let mut state = State::new(algorithm);
        state.update(body);
        state.finish()
    }

    /// Refuses a digest whose length is not its algorithm's (it can only have
    /// been built by hand, and would sign a value no server can match).
    pub(crate) fn validate(&self) -> Result<()> {
        let expected = match self.algorithm {
            ContentDigest::Sha256 => 32,
            ContentDigest::Sha512 => 64,
        };
        if self.digest.len() != expected {
            return Err(HmacSigError::invalid_request(format!(
                "a {} body digest is {expected} bytes, not {}",
                self.algorithm.name(),
                self.digest.len()
            )));
        }
        Ok(())
    }
}

/// The running hash and byte count.
struct State {
    hash: Hash,
    length: u64,
}

enum Hash {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl State {
    fn new(algorithm: ContentDigest) -> Self {
        let hash = match algorithm {
            ContentDigest::Sha256 => Hash::Sha256(Sha256::new()),
            ContentDigest::Sha512 => Hash::Sha512(Sha512::new()),
        };
        Self { hash, length: 0 }
    }

    fn update(&mut self, chunk: &[u8]) {
        match &mut self.hash {
            Hash::Sha256(h) => h.update(chunk),
            Hash::Sha512(h) => h.update(chunk),
        }
        self.length += chunk.len() as u64;
    }

    fn finish(self) -> BodyDigest {
        let (algorithm, digest) = match self.hash {
            Hash::Sha256(h) => (ContentDigest::Sha256, h.finalize().to_vec()),
            Hash::Sha512(h) => (ContentDigest::Sha512, h.finalize().to_vec()),
        };
        BodyDigest { algorithm, digest, length: self.length }
    }
}

/// Hashes a body incrementally, in constant memory: `update` with each chunk
/// in order, then `finish` once. Chunks are hashed as they come, never copied
/// or kept. Safe to share between threads, but the chunks of one body must
/// arrive in order.
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct BodyHasher {
    /// `None` once finished.
    state: Mutex<Option<State>>,
}

impl std::fmt::Debug for BodyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyHasher").finish_non_exhaustive()
    }
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl BodyHasher {
    /// A hasher for `algorithm` (`None`: SHA-256, which api-auth and
    /// aws-sigv4 need; rfc9421 takes the one its `content_digest` names).
    #[uniffi::constructor(default(algorithm = None))]
    pub fn new(algorithm: Option<ContentDigest>) -> Arc<Self> {
        Arc::new(Self { state: Mutex::new(Some(State::new(algorithm.unwrap_or(ContentDigest::Sha256)))) })
    }

    /// Hashes the next `chunk` of the body (empty chunks are fine).
    /// Fails with `InvalidRequest` after `finish`.
    pub fn update(&self, chunk: &[u8]) -> Result<()> {
        // A poisoned lock means a panic elsewhere mid-call; hashing cannot
        // panic, so the state is still whole.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.as_mut().ok_or_else(finished)?.update(chunk);
        Ok(())
    }

    /// The digest and length of everything hashed. Call it once: the hasher
    /// is then spent, and `update` or `finish` again fail with `InvalidRequest`.
    pub fn finish(&self) -> Result<BodyDigest> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner).take();
        Ok(state.ok_or_else(finished)?.finish())
    }
}

fn finished() -> HmacSigError {
    HmacSigError::invalid_request("this BodyHasher has already finished; use a new one for another body")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::{sha256, sha512};

    #[test]
    fn chunked_equals_whole_for_both_algorithms() {
        let body: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        for algorithm in [ContentDigest::Sha256, ContentDigest::Sha512] {
            let hasher = BodyHasher::new(Some(algorithm));
            for chunk in body.chunks(37) {
                hasher.update(chunk).unwrap();
                hasher.update(&[]).unwrap();
            }
            let digest = hasher.finish().unwrap();
            assert_eq!(digest, BodyDigest::of(algorithm, &body));
            assert_eq!(digest.length, 1000);
            let expected = match algorithm {
                ContentDigest::Sha256 => sha256(&body).to_vec(),
                ContentDigest::Sha512 => sha512(&body).to_vec(),
            };
            assert_eq!(digest.digest, expected);
            digest.validate().unwrap();
        }
    }

    #[test]
    fn default_is_sha256_of_nothing() {
        let digest = BodyHasher::new(None).finish().unwrap();
        assert_eq!(digest.algorithm, ContentDigest::Sha256);
        assert_eq!(crate::mac::to_hex(&digest.digest), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(digest.length, 0);
    }

    #[test]
    fn spent_hasher_is_a_typed_error() {
        let hasher = BodyHasher::new(None);
        hasher.update(b"abc").unwrap();
        hasher.finish().unwrap();
        assert_eq!(hasher.update(b"d").unwrap_err().kind(), "invalid_request");
        let again = hasher.finish().unwrap_err();
        assert_eq!(again.kind(), "invalid_request");
        assert!(again.reason().contains("already finished"));
    }

    /// The byte count is a `u64` on every target: on 32-bit ones (armv7, i686)
    /// too it passes `u32::MAX` rather than wrapping. Cheap stand-in for the 4 GiB
    /// streaming test, which `cargo xtask cross` runs on 64 MiB under emulation.
    #[test]
    fn the_length_counts_past_u32_max() {
        let mut state = State::new(ContentDigest::Sha256);
        state.length = u64::from(u32::MAX) - 1;
        state.update(b"abc");
        state.update(&[0; 1 << 10]);
        assert_eq!(state.finish().length, (1 << 32) + 1 + 1024);
    }

    #[test]
    fn hand_built_digest_of_the_wrong_length_is_refused() {
        let digest = BodyDigest { algorithm: ContentDigest::Sha512, digest: vec![0; 32], length: 3 };
        let error = digest.validate().unwrap_err();
        assert_eq!(error.kind(), "invalid_request");
        assert_eq!(error.reason(), "a sha-512 body digest is 64 bytes, not 32");
    }
}
