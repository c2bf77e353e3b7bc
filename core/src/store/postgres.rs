//! The PostgreSQL backend (`postgres://…`), for a fleet of servers sharing
//! one store: the same tables and rules as the SQLite backend
//! ([`super::sqlite`]). Each change is one transaction; a rotation takes a
//! per-key-id advisory lock, so two servers rotating the same key id at once
//! get consecutive versions. Opening with the wrong master key reads the check
//! record and writes nothing.

use std::sync::Mutex;

use postgres::{Client, NoTls};

use super::cipher::{CHECK_AAD, CHECK_PLAINTEXT, Cipher, record_aad};
use super::{KeyStoreError, Record};

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS hmacsig_meta (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
    CREATE TABLE IF NOT EXISTS hmacsig_secrets (
        key_id TEXT NOT NULL,
        version BIGINT NOT NULL,
        sealed BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT,
        PRIMARY KEY (key_id, version)
    );
";

fn storage(e: postgres::Error) -> KeyStoreError {
    KeyStoreError::Storage { reason: format!("the PostgreSQL store failed: {e}") }
}

pub(super) struct Postgres {
    client: Mutex<Client>,
}

impl Postgres {
    /// Connects to `url`; checks the master key against the check record,
    /// and creates the tables and the check record only in a database that
    /// has none.
    pub(super) fn open(url: &str, cipher: &Cipher) -> Result<Self, KeyStoreError> {
        let mut client = Client::connect(url, NoTls).map_err(storage)?;
        let has_schema: bool = client.query_one("SELECT to_regclass('hmacsig_meta') IS NOT NULL", &[]).map_err(storage)?.get(0);
        if has_schema {
            let check: Option<Vec<u8>> =
                client.query_opt("SELECT value FROM hmacsig_meta WHERE name = 'check'", &[]).map_err(storage)?.map(|row| row.get(0));
            cipher.check_store(check, "this PostgreSQL store")?;
        } else {
            let check = cipher.seal(CHECK_PLAINTEXT, CHECK_AAD)?;
            let mut tx = client.transaction().map_err(storage)?;
            tx.batch_execute(SCHEMA).map_err(storage)?;
            tx.execute("INSERT INTO hmacsig_meta (name, value) VALUES ('check', $1) ON CONFLICT (name) DO NOTHING", &[&check])
                .map_err(storage)?;
            tx.commit().map_err(storage)?;
        }
        Ok(Self { client: Mutex::new(client) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, KeyStoreError>) -> Result<T, KeyStoreError> {
        let mut client = self.client.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut client)
    }

    pub(super) fn records(&self, key_id: Option<&str>) -> Result<Vec<Record>, KeyStoreError> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT key_id, version, sealed, created_at, expires_at, revoked_at FROM hmacsig_secrets
                     WHERE $1::TEXT IS NULL OR key_id = $1 ORDER BY key_id, version DESC",
                    &[&key_id],
                )
                .map_err(storage)?;
            Ok(rows
                .iter()
                .map(|row| Record {
                    key_id: row.get(0),
                    version: row.get(1),
                    sealed: row.get(2),
                    created_at: row.get(3),
                    expires_at: row.get(4),
                    revoked_at: row.get(5),
                })
                .collect())
        })
    }

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
            let mut tx = c.transaction().map_err(storage)?;
            tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&key_id]).map_err(storage)?;
            let latest: Option<i64> =
                tx.query_one("SELECT max(version) FROM hmacsig_secrets WHERE key_id = $1", &[&key_id]).map_err(storage)?.get(0);
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
                    "UPDATE hmacsig_secrets SET expires_at = $2
                     WHERE key_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
                    &[&key_id, &at],
                )
                .map_err(storage)?;
            }
            let sealed = cipher.seal(secret, &record_aad(key_id, version))?;
            tx.execute(
                "INSERT INTO hmacsig_secrets (key_id, version, sealed, created_at) VALUES ($1, $2, $3, $4)",
                &[&key_id, &version, &sealed, &now],
            )
            .map_err(storage)?;
            tx.commit().map_err(storage)?;
            Ok(version)
        })
    }

    pub(super) fn revoke(&self, key_id: &str, version: Option<i64>, now: i64) -> Result<usize, KeyStoreError> {
        self.with(|c| {
            let revoked = c
                .execute(
                    "UPDATE hmacsig_secrets SET revoked_at = $3
                     WHERE key_id = $1 AND ($2::BIGINT IS NULL OR version = $2) AND revoked_at IS NULL",
                    &[&key_id, &version, &now],
                )
                .map_err(storage)?;
            Ok(revoked as usize)
        })
    }

    pub(super) fn rekey(&self, old: &Cipher, new: &Cipher) -> Result<(), KeyStoreError> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(storage)?;
            tx.batch_execute("LOCK TABLE hmacsig_secrets, hmacsig_meta IN EXCLUSIVE MODE").map_err(storage)?;
            let rows = tx.query("SELECT key_id, version, sealed FROM hmacsig_secrets", &[]).map_err(storage)?;
            for row in rows {
                let (key_id, version, sealed): (String, i64, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
                let aad = record_aad(&key_id, version);
                let secret = old.open(&sealed, &aad).ok_or_else(|| KeyStoreError::Storage {
                    reason: format!("the record of key id {key_id:?} version {version} does not decrypt; nothing was changed"),
                })?;
                let resealed = new.seal(&secret, &aad)?;
                tx.execute("UPDATE hmacsig_secrets SET sealed = $3 WHERE key_id = $1 AND version = $2", &[&key_id, &version, &resealed])
                    .map_err(storage)?;
            }
            let check = new.seal(CHECK_PLAINTEXT, CHECK_AAD)?;
            tx.execute("UPDATE hmacsig_meta SET value = $1 WHERE name = 'check'", &[&check]).map_err(storage)?;
            tx.commit().map_err(storage)
        })
    }
}
