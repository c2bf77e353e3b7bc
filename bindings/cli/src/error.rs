//! The CLI's failures and exit codes.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | ok: signed, verified, or explained with nothing wrong; a `keys` change made |
//! | 1 | verification failed, or the signature differs; `keys`: the store refused (key id exists, or no such key or live version) |
//! | 2 | usage: bad or conflicting arguments (clap's own errors included), a malformed key id or store URL |
//! | 3 | input: a missing environment variable (a secret, the master key), a master key that is malformed or not the store's, an unreadable file or store, a malformed raw request, a request the scheme cannot sign |

use hmacsig::{HmacSigError, KeyStoreError};

/// Verification failed or the signature differs; or the key store refused.
pub const EXIT_REFUSED: u8 = 1;
/// Bad or conflicting arguments; clap exits with the same code.
pub const EXIT_USAGE: u8 = 2;
/// The input could not be read or used.
pub const EXIT_INPUT: u8 = 3;

/// A failure that ends the command: `message` goes to stderr as one line.
/// Messages never carry a secret: the core's errors never do, and the CLI
/// only ever names the variable or file a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self { code: EXIT_USAGE, message: message.into() }
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self { code: EXIT_INPUT, message: message.into() }
    }

    /// A core error from building a scheme or policy out of the arguments.
    pub fn usage_from(e: &HmacSigError) -> Self {
        Self::usage(kind_and_reason(e))
    }

    /// A key store error: `MasterKey` and `Storage` are input (3), like a
    /// missing secret or an unreadable file; `InvalidInput` is usage (2);
    /// `NotFound` and `AlreadyExists` are the store refusing (1).
    pub fn from_store(e: &KeyStoreError) -> Self {
        let code = match e {
            KeyStoreError::MasterKey { .. } | KeyStoreError::Storage { .. } => EXIT_INPUT,
            KeyStoreError::InvalidInput { .. } => EXIT_USAGE,
            KeyStoreError::NotFound { .. } | KeyStoreError::AlreadyExists { .. } => EXIT_REFUSED,
        };
        Self { code, message: e.to_string() }
    }

    /// A core error from signing or reading the request itself.
    pub fn input_from(e: &HmacSigError) -> Self {
        Self::input(kind_and_reason(e))
    }
}

pub type CliResult<T> = Result<T, CliError>;

/// `<kind>: <reason>`, as servers answer and `verify` prints.
pub fn kind_and_reason(e: &HmacSigError) -> String {
    format!("{}: {}", e.kind(), e.reason())
}
