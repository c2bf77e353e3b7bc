//! `hmacsig keys …`: the encrypted key store's command line.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Said by every `keys` command's help: where the master key comes from.
const MASTER_KEY_HELP: &str = "The store's master key (32 random bytes, base64; `hmacsig keys new-master-key` makes one) is read \
                               from the HMACSIG_MASTER_KEY environment variable. No option takes a master key or a secret on \
                               the command line: it would be left in the shell's history and in the process list.\n\n\
                               Exit codes: 0 done; 1 the store refused: the key id already exists (create), or has no such \
                               key or live version (rotate, revoke); 2 usage: bad arguments, a malformed key id or store URL; \
                               3 input: HMACSIG_MASTER_KEY missing, malformed or not the store's, no store at the path, the \
                               store cannot be read or written, an --out file that exists or cannot be written.";

#[derive(Debug, Args)]
#[command(after_help = MASTER_KEY_HELP)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key id with a new secret; print the secret once (or write it to --out).
    #[command(after_help = MASTER_KEY_HELP, long_about = "Create KEY_ID in the store (a new store when the file does not \
                            exist yet) with a new random secret, version 1, and print that secret alone on stdout, \
                            followed by a newline, so that `SECRET=$(hmacsig keys create …)` works. It is shown this \
                            once: the store keeps it only encrypted under the master key.\n\n\
                            With --out FILE, nothing secret is printed: the secret goes to FILE, a new file (mode 0600; \
                            an existing file is refused, before the store is changed).")]
    Create(CreateArgs),
    /// Add a new secret to a key id; older ones stay valid for --grace seconds.
    #[command(after_help = MASTER_KEY_HELP, long_about = "Add a new secret (the next version) to KEY_ID and print it alone \
                            on stdout, or write it to --out FILE as `create` does. The key id's older live secrets keep \
                            verifying for --grace seconds (give clients that long to switch), then expire.")]
    Rotate(RotateArgs),
    /// Revoke a key id (every secret of it), or one version with --version.
    #[command(after_help = MASTER_KEY_HELP)]
    Revoke(RevokeArgs),
    /// List every key id's versions, dates (RFC 3339, UTC) and states; never a secret.
    #[command(after_help = MASTER_KEY_HELP, long_about = "List every secret in the store: key id, version, created, \
                            expires (RFC 3339, UTC; `-` for none) and state: Active (no end set), Expiring (valid until \
                            its expiry: a rotation's grace period), Expired, Revoked. Never a secret.\n\n\
                            --json prints a JSON array instead: key_id, version, created_at, expires_at, revoked_at \
                            (Unix seconds or null) and state.")]
    List(ListArgs),
    /// Re-encrypt the store under a new master key, read from the variable --new-master-key-env names.
    #[command(after_help = MASTER_KEY_HELP, long_about = "Re-encrypt every secret of the store under a new master key, in \
                            one transaction: all or nothing. The current master key is HMACSIG_MASTER_KEY; the new one is \
                            read from the environment variable named by --new-master-key-env (never from the command \
                            line). From then on the store opens only with the new key: set HMACSIG_MASTER_KEY to it.")]
    Rekey(RekeyArgs),
    /// Print a new random master key: 32 bytes, base64 (for HMACSIG_MASTER_KEY).
    NewMasterKey,
}

/// The store every `keys` command works on.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The key store: sqlite:PATH.
    #[arg(long, value_name = "URL")]
    pub store: String,
}

/// Where a new secret goes: stdout, or a new file.
#[derive(Debug, Clone, Args)]
pub struct OutArgs {
    /// Write the secret to this new file (mode 0600) instead of stdout; an existing file is refused.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The key id (access id) clients sign with.
    #[arg(value_name = "KEY_ID")]
    pub key_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key id to rotate.
    #[arg(value_name = "KEY_ID")]
    pub key_id: String,
    /// Seconds the older secrets stay valid (0: they stop at once).
    #[arg(long, value_name = "SECONDS")]
    pub grace: u32,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The key id to revoke.
    #[arg(value_name = "KEY_ID")]
    pub key_id: String,
    /// Revoke only this version of the key id.
    #[arg(long, value_name = "N")]
    pub version: Option<u32>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The clock the states are computed at, Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    pub now: Option<i64>,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The environment variable holding the new master key (32 bytes, base64).
    #[arg(long, value_name = "VAR")]
    pub new_master_key_env: String,
}
