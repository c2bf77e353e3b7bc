//! The CLI's failures and exit codes.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | ok: signed, verified, or explained with nothing wrong |
//! | 1 | verification failed, or the signature differs |
//! | 2 | usage: bad or conflicting arguments (clap's own errors included) |
//! | 3 | input: a missing environment variable, an unreadable file, a malformed raw request, a request the scheme cannot sign |

use hmacsig::HmacSigError;

/// Verification failed or the signature differs.
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
