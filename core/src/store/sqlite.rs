//! The SQLite backend (`sqlite:PATH`): `rusqlite` with SQLite bundled, the
//! database in WAL mode. Every change is one transaction; opening a store
//! with the wrong master key reads and writes nothing.

use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::cipher::{CHECK_AAD, CHECK_PLAINTEXT, Cipher, record_aad};
use super::{KeyStoreError, Record};

const SCHEMA: &str = "
    CREATE TABLE hmacsig_meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
    CREATE TABLE hmacsig_secrets (
        key_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        sealed BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        PRIMARY KEY (key_id, version)
    );
";

fn storage(e: rusqlite::Error) -> KeyStoreError {
    KeyStoreError::Storage { reason: format!("the SQLite store failed: {e}") }
}

pub(super) struct Sqlite {
    connection: Mutex<Connection>,
}

impl Sqlite {
    /// Opens (or creates) the store at `path`; checks the master key before
    /// anything else, and writes only to a new, empty store.
    pub(super) fn open(path: &str, cipher: &Cipher) -> Result<Self, KeyStoreError> {
        if path.is_empty() {
            return Err(KeyStoreError::InvalidInput { reason: "a sqlite store URL is sqlite:PATH".into() });
        }
        let connection = Connection::open(path).map_err(storage)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(storage)?;
        let has_schema: bool = connection
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'hmacsig_meta'", [], |row| row.get::<_, i64>(0))
            .map_err(storage)?
            > 0;
        if has_schema {
            let check: Option<Vec<u8>> = connection
                .query_row("SELECT value FROM hmacsig_meta WHERE name = 'check'", [], |row| row.get(0))
                .optional()
                .map_err(storage)?;
            cipher.check_store(check, &format!("the store at {path}"))?;
        } else {
            let check = cipher.seal(CHECK_PLAINTEXT, CHECK_AAD)?;
            connection.pragma_update(None, "journal_mode", "WAL").map_err(storage)?;
            connection.execute_batch(SCHEMA).map_err(storage)?;
            connection.execute("INSERT INTO hmacsig_meta (name, value) VALUES ('check', ?1)", params![check]).map_err(storage)?;
        }
        Ok(Self { connection: Mutex::new(connection) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, KeyStoreError>) -> Result<T, KeyStoreError> {
        let mut connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut connection)
    }

    /// Every record of `key_id` (every key id when `None`), newest first.
    pub(super) fn records(&self, key_id: Option<&str>) -> Result<Vec<Record>, KeyStoreError> {
        self.with(|c| {
            let mut statement = c
                .prepare(
                    "SELECT key_id, version, sealed, created_at, expires_at, revoked_at FROM hmacsig_secrets
                     WHERE ?1 IS NULL OR key_id = ?1 ORDER BY key_id, version DESC",
                )
                .map_err(storage)?;
            let rows = statement
                .query_map(params![key_id], |row| {
                    Ok(Record {
                        key_id: row.get(0)?,
                        version: row.get(1)?,
                        sealed: row.get(2)?,
                        created_at: row.get(3)?,
                        expires_at: row.get(4)?,
                        revoked_at: row.get(5)?,
                    })
                })
                .map_err(storage)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(storage)
        })
    }

    /// Adds version `latest + 1` of `key_id` with `secret`, in one
    /// transaction; `first` requires the key id to be new, else it must exist.
    /// Before the insert, `expire_older_at` sets the end of the live older versions.
    pub(super) fn add_version(
        &self,
        cipher: &Cipher,
        key_id: &str,
        secret: &[u8],
        now: i64,
        first: bool,
        expire_older_at: Option<i64>,
    ) -> Result<i64, KeyStoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let latest: Option<i64> = tx
                .query_row("SELECT max(version) FROM hmacsig_secrets WHERE key_id = ?1", params![key_id], |row| row.get(0))
                .map_err(storage)?;
            match (first, latest) {
                (true, Some(_)) => {
                    return Err(KeyStoreError::AlreadyExists { reason: format!("key id {key_id:?} already exists; rotate it instead") });
                }
                (false, None) => return Err(KeyStoreError::NotFound { reason: format!("no key id {key_id:?} in the store") }),
                _ => {}
            }
            let version = latest.unwrap_or(0) + 1;
            if let Some(at) = expire_older_at {
                tx.execute(
                    "UPDATE hmacsig_secrets SET expires_at = ?2
                     WHERE key_id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
                    params![key_id, at],
                )
                .map_err(storage)?;
            }
            let sealed = cipher.seal(secret, &record_aad(key_id, version))?;
            tx.execute(
                "INSERT INTO hmacsig_secrets (key_id, version, sealed, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![key_id, version, sealed, now],
            )
            .map_err(storage)?;
            tx.commit().map_err(storage)?;
            Ok(version)
        })
    }

    /// Revokes every live version of `key_id`, or only `version`; the count revoked.
    pub(super) fn revoke(&self, key_id: &str, version: Option<i64>, now: i64) -> Result<usize, KeyStoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE hmacsig_secrets SET revoked_at = ?3 WHERE key_id = ?1 AND (?2 IS NULL OR version = ?2) AND revoked_at IS NULL",
                params![key_id, version, now],
            )
            .map_err(storage)
        })
    }

    /// Re-encrypts every record and the check record under `new`, in one
    /// transaction: all or nothing.
    pub(super) fn rekey(&self, old: &Cipher, new: &Cipher) -> Result<(), KeyStoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let rows: Vec<(String, i64, Vec<u8>)> = {
                let mut statement = tx.prepare("SELECT key_id, version, sealed FROM hmacsig_secrets").map_err(storage)?;
                let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))).map_err(storage)?;
                rows.collect::<Result<_, _>>().map_err(storage)?
            };
            for (key_id, version, sealed) in rows {
                let aad = record_aad(&key_id, version);
                let secret = old.open(&sealed, &aad).ok_or_else(|| KeyStoreError::Storage {
                    reason: format!("the record of key id {key_id:?} version {version} does not decrypt; nothing was changed"),
                })?;
                let resealed = new.seal(&secret, &aad)?;
                tx.execute("UPDATE hmacsig_secrets SET sealed = ?3 WHERE key_id = ?1 AND version = ?2", params![key_id, version, resealed])
                    .map_err(storage)?;
            }
            let check = new.seal(CHECK_PLAINTEXT, CHECK_AAD)?;
            tx.execute("UPDATE hmacsig_meta SET value = ?1 WHERE name = 'check'", params![check]).map_err(storage)?;
            tx.commit().map_err(storage)
        })
    }
}
