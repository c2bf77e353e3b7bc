//! The store's encryption: AES-256-GCM (RustCrypto `aes-gcm`) under the
//! master key, a fresh random nonce for every record, and the key id and the
//! record's version as associated data, so a record cannot be moved to
//! another id or version. The master key lives only in this process (from
//! `HMACSIG_MASTER_KEY` or the caller), never next to the data.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

use super::KeyStoreError;

/// The environment variable holding the master key (32 bytes, base64).
pub const MASTER_KEY_ENV: &str = "HMACSIG_MASTER_KEY";

/// What the store's check record decrypts to: proof the master key is the
/// one the store was made with, before anything is read or written.
pub(super) const CHECK_PLAINTEXT: &[u8] = b"hmacsig key store v1";
const NONCE_LEN: usize = 12;

/// The master key's cipher. `Aes256Gcm` zeroizes its key schedule on drop
/// (the `zeroize` feature).
pub(super) struct Cipher(Aes256Gcm);

impl Cipher {
    /// From base64 text (`None`: the environment), 32 bytes once decoded.
    pub(super) fn from_base64(master_key: Option<&str>) -> Result<Self, KeyStoreError> {
        let from_env;
        let text = match master_key {
            Some(text) => text,
            None => {
                from_env = Zeroizing::new(std::env::var(MASTER_KEY_ENV).map_err(|_| KeyStoreError::MasterKey {
                    reason: format!("no master key: pass one, or set {MASTER_KEY_ENV} (32 bytes, base64)"),
                })?);
                from_env.as_str()
            }
        };
        let bytes = Zeroizing::new(BASE64.decode(text.trim()).map_err(|_| KeyStoreError::MasterKey {
            reason: "the master key is not base64 (it must be 32 random bytes, base64; hmacsig keys new-master-key makes one)".into(),
        })?);
        if bytes.len() != 32 {
            return Err(KeyStoreError::MasterKey { reason: format!("the master key is {} bytes; it must be 32 (AES-256)", bytes.len()) });
        }
        Ok(Self(Aes256Gcm::new_from_slice(&bytes).expect("32 bytes is an AES-256 key")))
    }

    /// `nonce || ciphertext` of `plaintext`, bound to `aad`.
    pub(super) fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| KeyStoreError::Storage { reason: format!("the operating system's random source failed: {e}") })?;
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .map_err(|_| KeyStoreError::Storage { reason: "encryption failed".into() })?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The plaintext of [`Self::seal`]'s output, or `None` when the key or
    /// the associated data is not the one it was sealed with.
    pub(super) fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
        self.0.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad }).ok().map(Zeroizing::new)
    }
}

impl Cipher {
    /// Whether `check` (the store's check record, if it has one) was sealed
    /// under this master key; else the store refuses to open, and changes
    /// nothing.
    pub(super) fn check_store(&self, check: Option<Vec<u8>>, store: &str) -> Result<(), KeyStoreError> {
        if check.is_some_and(|sealed| self.open(&sealed, CHECK_AAD).is_some_and(|p| p.as_slice() == CHECK_PLAINTEXT)) {
            return Ok(());
        }
        Err(KeyStoreError::MasterKey {
            reason: format!("the master key does not open {store} (it is not the key the store was made with); nothing was changed"),
        })
    }
}

/// The associated data of a secret record.
pub(super) fn record_aad(key_id: &str, version: i64) -> Vec<u8> {
    let mut aad = b"hmacsig-secret\0".to_vec();
    aad.extend_from_slice(key_id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&version.to_le_bytes());
    aad
}

/// The associated data of the check record.
pub(super) const CHECK_AAD: &[u8] = b"hmacsig-check";

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn sealed_records_open_only_with_their_key_and_aad() {
        let cipher = Cipher::from_base64(Some(KEY)).unwrap();
        let a = cipher.seal(b"secret", &record_aad("k1", 1)).unwrap();
        let b = cipher.seal(b"secret", &record_aad("k1", 1)).unwrap();
        assert_ne!(a, b, "a fresh nonce per record");
        assert_eq!(cipher.open(&a, &record_aad("k1", 1)).unwrap().as_slice(), b"secret");
        assert!(cipher.open(&a, &record_aad("k2", 1)).is_none(), "moved to another id");
        assert!(cipher.open(&a, &record_aad("k1", 2)).is_none(), "moved to another version");
        let other = Cipher::from_base64(Some(&BASE64.encode([7u8; 32]))).unwrap();
        assert!(other.open(&a, &record_aad("k1", 1)).is_none(), "another master key");
        assert!(cipher.open(&a[..5], &record_aad("k1", 1)).is_none());
    }

    #[test]
    fn master_keys_are_32_bytes_of_base64() {
        assert!(matches!(Cipher::from_base64(Some("not base64!")), Err(KeyStoreError::MasterKey { .. })));
        assert!(matches!(Cipher::from_base64(Some(&BASE64.encode([1u8; 16]))), Err(KeyStoreError::MasterKey { .. })));
    }
}
