//! `hmacsig keys …`: the core's encrypted [`KeyStore`] on the command line.
//!
//! Contract:
//! - The master key comes only from `HMACSIG_MASTER_KEY` (read by the core);
//!   a new master key for `rekey` only from the variable the user names.
//! - `create` and `rotate` show the new secret once: alone on stdout with a
//!   newline, or, with `--out`, in a new 0600 file (an existing one is refused
//!   before the store changes), with a confirmation on stderr.
//! - Only `create` may make a store: the others refuse a path with no file, so
//!   a typo does not leave an empty store behind.
//! - Errors map as [`CliError::from_store`] says; a master key error names the
//!   variable it came from.

mod list;

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmacsig::{KeyStore, KeyStoreError, MASTER_KEY_ENV};

use super::Output;
use crate::args::{CreateArgs, KeysArgs, KeysCommand, OutArgs, RekeyArgs, RevokeArgs, RotateArgs, StoreArgs};
use crate::error::{CliError, CliResult};
use crate::input::env_text;

pub fn run(args: KeysArgs) -> CliResult<Output> {
    match args.command {
        KeysCommand::Create(a) => create(a),
        KeysCommand::Rotate(a) => rotate(a),
        KeysCommand::Revoke(a) => revoke(a),
        KeysCommand::List(a) => list::run(a),
        KeysCommand::Rekey(a) => rekey(a),
        KeysCommand::NewMasterKey => new_master_key(),
    }
}

/// A store error, with the variable named when it is about the master key.
fn store_error(e: &KeyStoreError, master_key_var: &str) -> CliError {
    let mut error = CliError::from_store(e);
    if matches!(e, KeyStoreError::MasterKey { .. }) {
        error.message = format!("{master_key_var}: {}", error.message);
    }
    error
}

/// The path of a `sqlite:PATH` URL, read as the core reads it.
fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite:").map(|p| p.strip_prefix("//").unwrap_or(p))
}

/// Opens the store with `HMACSIG_MASTER_KEY`. Unless `may_create`, a
/// `sqlite:` path must already hold a file.
fn open(store: &StoreArgs, may_create: bool) -> CliResult<Arc<KeyStore>> {
    // The presence check only: the core reads (and zeroizes) the value.
    match std::env::var_os(MASTER_KEY_ENV) {
        Some(value) if !value.is_empty() => {}
        _ => {
            return Err(CliError::input(format!(
                "the environment variable {MASTER_KEY_ENV} (the key store's master key, 32 bytes base64) is not set or \
                 empty; `hmacsig keys new-master-key` makes one for a new store"
            )));
        }
    }
    if let Some(path) = sqlite_path(&store.store).filter(|p| !may_create && !p.is_empty() && *p != ":memory:")
        && !Path::new(path).exists()
    {
        return Err(CliError::input(format!("no key store at {path} (`hmacsig keys create` makes one)")));
    }
    KeyStore::open(store.store.clone(), None).map_err(|e| store_error(&e, MASTER_KEY_ENV))
}

/// The file `--out` names, made new and private before the store changes.
struct OutFile<'a> {
    path: &'a Path,
    file: File,
}

impl<'a> OutFile<'a> {
    fn create(out: &'a OutArgs) -> CliResult<Option<Self>> {
        let Some(path) = out.out.as_deref() else { return Ok(None) };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| {
            let why =
                if e.kind() == std::io::ErrorKind::AlreadyExists { "it exists; it is never overwritten".to_owned() } else { e.to_string() };
            CliError::input(format!("cannot create {} for the secret: {why}; the store was not changed", path.display()))
        })?;
        Ok(Some(Self { path, file }))
    }

    /// Writes `secret` and a newline; on failure, says which secret is lost.
    fn write(mut self, secret: &str, what: &str) -> CliResult<String> {
        let written = self.file.write_all(format!("{secret}\n").as_bytes()).and_then(|()| self.file.sync_all());
        written.map_err(|e| {
            CliError::input(format!("{what} was made but cannot be written to {}: {e}; revoke it and try again", self.path.display()))
        })?;
        Ok(format!("wrote the secret of {what} to {} (mode 0600)\n", self.path.display()))
    }

    /// The store refused: the file made for nothing goes.
    fn discard(self) {
        drop(self.file);
        let _ = std::fs::remove_file(self.path);
    }
}

/// The secret on stdout, or in the `--out` file with a note on stderr.
fn deliver(out: Option<OutFile<'_>>, made: Result<String, KeyStoreError>, what: impl FnOnce() -> String) -> CliResult<Output> {
    let secret = match made {
        Ok(secret) => secret,
        Err(e) => {
            if let Some(out) = out {
                out.discard();
            }
            return Err(store_error(&e, MASTER_KEY_ENV));
        }
    };
    match out {
        None => Ok(Output::ok(format!("{secret}\n"))),
        Some(file) => Ok(Output { stdout: String::new(), stderr: file.write(&secret, &what())?, code: 0 }),
    }
}

/// The `--out` file, then the store: a refused file leaves no new store
/// behind, and a store that does not open leaves no empty file.
fn open_with_out<'a>(store: &StoreArgs, out: &'a OutArgs, may_create: bool) -> CliResult<(Arc<KeyStore>, Option<OutFile<'a>>)> {
    let out = OutFile::create(out)?;
    match open(store, may_create) {
        Ok(store) => Ok((store, out)),
        Err(e) => {
            if let Some(out) = out {
                out.discard();
            }
            Err(e)
        }
    }
}

/// A failed `create` on a store it made itself leaves no store behind.
fn create(args: CreateArgs) -> CliResult<Output> {
    let new_path = sqlite_path(&args.store.store).filter(|p| !p.is_empty() && *p != ":memory:" && !Path::new(p).exists());
    let (store, out) = open_with_out(&args.store, &args.out, true)?;
    let made = store.create(args.key_id.clone());
    if let (Err(_), Some(path)) = (&made, new_path) {
        drop(store);
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    deliver(out, made, || format!("key id {:?} version 1", args.key_id))
}

fn rotate(args: RotateArgs) -> CliResult<Output> {
    let (store, out) = open_with_out(&args.store, &args.out, false)?;
    let made = store.rotate(args.key_id.clone(), args.grace, None);
    let version = || {
        let versions = store.list(None).unwrap_or_default();
        let latest = versions.iter().filter(|k| k.key_id == args.key_id).map(|k| k.version).max();
        latest.map_or_else(|| format!("key id {:?}", args.key_id), |v| format!("key id {:?} version {v}", args.key_id))
    };
    deliver(out, made, version)
}

fn revoke(args: RevokeArgs) -> CliResult<Output> {
    let store = open(&args.store, false)?;
    store.revoke(args.key_id.clone(), args.version).map_err(|e| store_error(&e, MASTER_KEY_ENV))?;
    let what = args.version.map_or_else(|| "every secret of".to_owned(), |v| format!("version {v} of"));
    Ok(Output { stdout: String::new(), stderr: format!("revoked {what} key id {:?}\n", args.key_id), code: 0 })
}

fn rekey(args: RekeyArgs) -> CliResult<Output> {
    let var = &args.new_master_key_env;
    if var == MASTER_KEY_ENV {
        return Err(CliError::usage(format!(
            "--new-master-key-env names {MASTER_KEY_ENV}, the current master key; name the variable holding the new one"
        )));
    }
    let new_key = env_text(var, "new master key")?;
    let store = open(&args.store, false)?;
    store.rekey(new_key).map_err(|e| store_error(&e, var))?;
    Ok(Output {
        stdout: String::new(),
        stderr: format!("re-encrypted the store under the master key in {var}; from now on set {MASTER_KEY_ENV} to it\n"),
        code: 0,
    })
}

/// 32 bytes from the core's secret generator (SHA-512 over 512 bytes of the
/// operating system's randomness): half its digest, base64.
fn new_master_key() -> CliResult<Output> {
    let secret = hmacsig::generate_secret().map_err(|e| CliError::input(crate::error::kind_and_reason(&e)))?;
    let digest = BASE64.decode(secret).map_err(|e| CliError::input(format!("the secret generator's output is not base64: {e}")))?;
    Ok(Output::ok(format!("{}\n", BASE64.encode(&digest[..32]))))
}
