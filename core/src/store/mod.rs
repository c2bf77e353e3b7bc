//! A key store for servers (issue 15): client secrets kept encrypted at
//! rest, rotated with a grace period, revoked, listed without their secrets,
//! and re-encrypted under a new master key (docs/server.md).
//!
//! Contract:
//! - Secrets are made by the same generator as [`crate::generate_secret`] and
//!   handed out once, by `create` and `rotate`; they are stored only sealed
//!   with AES-256-GCM under the master key ([`cipher`]).
//! - A key id has versions. `rotate` adds one and gives the live older ones an
//!   end (`now + grace`): during the grace period both verify, after it only
//!   the new one. `revoke` ends a key id, or one version, at once.
//! - A missing or wrong master key is [`KeyStoreError::MasterKey`], before
//!   anything is read or written.
//! - A [`crate::Verifier`] made `with_store` asks [`KeyStore::valid_credentials`],
//!   which keeps the decrypted, keyed secrets of a key id for at most
//!   [`CACHE_SECONDS`] (zeroized when dropped), so changes made by another
//!   process are seen within that time; this process's own changes at once.
//!
//! Behind the `server` feature: the mobile and browser builds leave it out.

mod cipher;
mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::credentials::Credentials;
use crate::time::now_or_system;

use cipher::Cipher;
use postgres::Postgres;
use sqlite::Sqlite;

pub use cipher::MASTER_KEY_ENV;

/// How long a verifier keeps a key id's decrypted secrets.
pub const CACHE_SECONDS: u64 = 30;
/// Most key ids whose secrets are kept at once (the cache is emptied past it).
const CACHE_MAX_KEYS: usize = 10_000;
/// Most versions of one key id a verify tries: a rotation in progress has
/// two; more would let one request cost many MACs.
pub const MAX_VALID_SECRETS: usize = 3;

/// Why a key store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "ffi", derive(uniffi::Error))]
pub enum KeyStoreError {
    /// The master key is missing, malformed, or not the store's.
    #[error("{reason}")]
    MasterKey {
        /// What went wrong, as a sentence.
        reason: String,
    },
    /// The database failed or cannot be reached.
    #[error("{reason}")]
    Storage {
        /// What went wrong, as a sentence.
        reason: String,
    },
    /// No such key id (or version).
    #[error("{reason}")]
    NotFound {
        /// What went wrong, as a sentence.
        reason: String,
    },
    /// `create` of a key id the store already has.
    #[error("{reason}")]
    AlreadyExists {
        /// What went wrong, as a sentence.
        reason: String,
    },
    /// A store URL, key id or argument that cannot be used.
    #[error("{reason}")]
    InvalidInput {
        /// What went wrong, as a sentence.
        reason: String,
    },
}

/// Where a secret is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum KeyState {
    /// Valid, with no end set.
    Active,
    /// Valid until `expires_at` (a rotation's grace period).
    Expiring,
    /// Past its `expires_at`.
    Expired,
    /// Revoked.
    Revoked,
}

/// One secret of a key id, as `list` shows it: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct KeyInfo {
    /// The key id.
    pub key_id: String,
    /// The secret's version: 1 for `create`, one more for each `rotate`.
    pub version: u32,
    /// Unix seconds when it was made.
    pub created_at: i64,
    /// Unix seconds when it stops (or stopped) verifying, if set.
    pub expires_at: Option<i64>,
    /// Unix seconds when it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// Its state at the time of the listing.
    pub state: KeyState,
}

/// A row of the store.
pub(crate) struct Record {
    key_id: String,
    version: i64,
    sealed: Vec<u8>,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl Record {
    fn state(&self, now: i64) -> KeyState {
        match (self.revoked_at, self.expires_at) {
            (Some(_), _) => KeyState::Revoked,
            (None, Some(at)) if at <= now => KeyState::Expired,
            (None, Some(_)) => KeyState::Expiring,
            (None, None) => KeyState::Active,
        }
    }
}

/// A key id's secrets as a verifier uses them: keyed, until when they are valid.
type Valid = Vec<(Option<i64>, Arc<Credentials>)>;

/// Where the records are.
enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

impl Backend {
    fn records(&self, key_id: Option<&str>) -> Result<Vec<Record>, KeyStoreError> {
        match self {
            Self::Sqlite(b) => b.records(key_id),
            Self::Postgres(b) => b.records(key_id),
        }
    }

    fn add_version(
        &self,
        cipher: &Cipher,
        key_id: &str,
        secret: &[u8],
        now: i64,
        first: bool,
        end: Option<i64>,
    ) -> Result<i64, KeyStoreError> {
        match self {
            Self::Sqlite(b) => b.add_version(cipher, key_id, secret, now, first, end),
            Self::Postgres(b) => b.add_version(cipher, key_id, secret, now, first, end),
        }
    }

    fn revoke(&self, key_id: &str, version: Option<i64>, now: i64) -> Result<usize, KeyStoreError> {
        match self {
            Self::Sqlite(b) => b.revoke(key_id, version, now),
            Self::Postgres(b) => b.revoke(key_id, version, now),
        }
    }

    fn rekey(&self, old: &Cipher, new: &Cipher) -> Result<(), KeyStoreError> {
        match self {
            Self::Sqlite(b) => b.rekey(old, new),
            Self::Postgres(b) => b.rekey(old, new),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// An encrypted key store, opened from a URL: `sqlite:PATH` (embedded) or
/// `postgres://user@host:port/db` (a fleet's shared store).
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct KeyStore {
    backend: Backend,
    cipher: RwLock<Cipher>,
    cache: Mutex<HashMap<String, (Instant, Arc<Valid>)>>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyStore(<{}>)", self.backend.name())
    }
}

fn check_key_id(key_id: &str) -> Result<(), KeyStoreError> {
    if key_id.is_empty() || key_id.len() > 256 || key_id.chars().any(char::is_control) {
        return Err(KeyStoreError::InvalidInput {
            reason: format!("a key id is 1 to 256 bytes of text without control characters, not {key_id:?}"),
        });
    }
    Ok(())
}

fn new_secret() -> Result<String, KeyStoreError> {
    crate::generate_secret().map_err(|e| KeyStoreError::Storage { reason: e.reason().to_owned() })
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl KeyStore {
    /// Opens the store at `url` (`sqlite:PATH`, where a new file becomes a new
    /// store; or `postgres://user@host:port/db`, where a database without the
    /// store's tables gets them), with `master_key` (32 bytes, base64) or, when `None`, the
    /// `HMACSIG_MASTER_KEY` environment variable.
    #[uniffi::constructor(default(master_key = None))]
    pub fn open(url: String, master_key: Option<String>) -> Result<Arc<Self>, KeyStoreError> {
        let cipher = Cipher::from_base64(master_key.as_deref())?;
        let backend = match url.split_once(':') {
            Some(("sqlite", path)) => Backend::Sqlite(Sqlite::open(path.strip_prefix("//").unwrap_or(path), &cipher)?),
            Some(("postgres" | "postgresql", _)) => Backend::Postgres(Postgres::open(&url, &cipher)?),
            _ => {
                return Err(KeyStoreError::InvalidInput {
                    reason: format!("a store URL is sqlite:PATH or postgres://user@host/db, not {url:?}"),
                });
            }
        };
        Ok(Arc::new(Self { backend, cipher: RwLock::new(cipher), cache: Mutex::new(HashMap::new()) }))
    }

    /// Creates `key_id` with a new secret, and returns that secret: the only
    /// time it is shown.
    pub fn create(&self, key_id: String) -> Result<String, KeyStoreError> {
        check_key_id(&key_id)?;
        let secret = new_secret()?;
        self.backend.add_version(&self.cipher(), &key_id, secret.as_bytes(), now_or_system(None), true, None)?;
        self.forget(&key_id);
        Ok(secret)
    }

    /// Adds a new secret to `key_id` and returns it (shown once); its older
    /// live secrets stay valid for `grace_seconds`, then expire. `now`: Unix
    /// seconds, the system clock when `None`.
    #[uniffi::method(default(now = None))]
    pub fn rotate(&self, key_id: String, grace_seconds: u32, now: Option<i64>) -> Result<String, KeyStoreError> {
        check_key_id(&key_id)?;
        let now = now_or_system(now);
        let secret = new_secret()?;
        let end = now.saturating_add(i64::from(grace_seconds));
        self.backend.add_version(&self.cipher(), &key_id, secret.as_bytes(), now, false, Some(end))?;
        self.forget(&key_id);
        Ok(secret)
    }

    /// Revokes `key_id` (every version), or only `version` of it.
    #[uniffi::method(default(version = None))]
    pub fn revoke(&self, key_id: String, version: Option<u32>) -> Result<(), KeyStoreError> {
        let revoked = self.backend.revoke(&key_id, version.map(i64::from), now_or_system(None))?;
        self.forget(&key_id);
        if revoked == 0 {
            let what = version.map_or(String::new(), |v| format!(" version {v}"));
            return Err(KeyStoreError::NotFound { reason: format!("no live secret of key id {key_id:?}{what} to revoke") });
        }
        Ok(())
    }

    /// Every secret's key id, version, dates and state; never a secret.
    #[uniffi::method(default(now = None))]
    pub fn list(&self, now: Option<i64>) -> Result<Vec<KeyInfo>, KeyStoreError> {
        let now = now_or_system(now);
        let records = self.backend.records(None)?;
        Ok(records
            .iter()
            .map(|r| KeyInfo {
                key_id: r.key_id.clone(),
                version: u32::try_from(r.version).unwrap_or(u32::MAX),
                created_at: r.created_at,
                expires_at: r.expires_at,
                revoked_at: r.revoked_at,
                state: r.state(now),
            })
            .collect())
    }

    /// Re-encrypts every record under `new_master_key` (32 bytes, base64), in
    /// one transaction; from then on the store opens only with it.
    pub fn rekey(&self, new_master_key: String) -> Result<(), KeyStoreError> {
        let new = Cipher::from_base64(Some(&new_master_key))?;
        let mut cipher = self.cipher.write().unwrap_or_else(|e| e.into_inner());
        self.backend.rekey(&cipher, &new)?;
        *cipher = new;
        Ok(())
    }
}

impl KeyStore {
    fn cipher(&self) -> std::sync::RwLockReadGuard<'_, Cipher> {
        self.cipher.read().unwrap_or_else(|e| e.into_inner())
    }

    fn forget(&self, key_id: &str) {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).remove(key_id);
    }

    /// The secrets of `key_id` valid at `now`, newest first, at most
    /// [`MAX_VALID_SECRETS`]; from the cache when it is fresh.
    pub(crate) fn valid_credentials(&self, key_id: &str, now: i64) -> Result<Vec<Arc<Credentials>>, KeyStoreError> {
        let cached = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.get(key_id).filter(|(at, _)| at.elapsed() < Duration::from_secs(CACHE_SECONDS)).map(|(_, valid)| valid.clone())
        };
        let valid = match cached {
            Some(valid) => valid,
            None => {
                let valid = Arc::new(self.load(key_id)?);
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                if cache.len() >= CACHE_MAX_KEYS {
                    cache.clear();
                }
                cache.insert(key_id.to_owned(), (Instant::now(), valid.clone()));
                valid
            }
        };
        Ok(valid.iter().filter(|(end, _)| end.is_none_or(|end| now < end)).take(MAX_VALID_SECRETS).map(|(_, c)| c.clone()).collect())
    }

    /// Decrypts the unrevoked secrets of `key_id`, newest first.
    fn load(&self, key_id: &str) -> Result<Valid, KeyStoreError> {
        let cipher = self.cipher();
        let mut valid = Vec::new();
        for record in self.backend.records(Some(key_id))?.into_iter().filter(|r| r.revoked_at.is_none()) {
            let secret =
                cipher.open(&record.sealed, &cipher::record_aad(&record.key_id, record.version)).ok_or_else(|| KeyStoreError::Storage {
                    reason: format!("the record of key id {key_id:?} version {} does not decrypt (altered, or moved)", record.version),
                })?;
            valid.push((record.expires_at, Arc::new(Credentials::new(record.key_id, secret.to_vec()))));
        }
        Ok(valid)
    }
}

#[cfg(test)]
mod tests;
