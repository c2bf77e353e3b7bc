//! `hmacsig keygen`: a new secret, as the api-auth gem makes them.

use super::Output;
use crate::error::{CliError, CliResult};

/// Prints `generate_secret()`: 88 characters of base64 (of SHA-512 over 512
/// random bytes). Its text, not its decoded bytes, is the key.
pub fn run() -> CliResult<Output> {
    let secret = hmacsig::generate_secret().map_err(|e| CliError::input(crate::error::kind_and_reason(&e)))?;
    Ok(Output::ok(format!("{secret}\n")))
}
