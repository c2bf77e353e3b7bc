//! kotlin: set-up, tests and the conformance runner.

use std::process::Command;

use crate::util::{Counts, Result};

/// Installs what kotlin needs and builds the package (idempotent, incremental).
pub fn prepare() -> Result {
    Err("kotlin is not wired up yet".into())
}

/// Runs the kotlin test suite (after `prepare`).
pub fn test() -> Result<Counts> {
    Err("kotlin is not wired up yet".into())
}

/// The command that runs the kotlin conformance runner (after `prepare`):
/// cases on stdin, results on stdout.
pub fn runner() -> Result<Command> {
    Err("kotlin is not wired up yet".into())
}
