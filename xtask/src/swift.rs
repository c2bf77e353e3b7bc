//! swift: set-up, tests and the conformance runner.

use std::process::Command;

use crate::util::{Counts, Result};

/// Installs what swift needs and builds the package (idempotent, incremental).
pub fn prepare() -> Result {
    Err("swift is not wired up yet".into())
}

/// Runs the swift test suite (after `prepare`).
pub fn test() -> Result<Counts> {
    Err("swift is not wired up yet".into())
}

/// The command that runs the swift conformance runner (after `prepare`):
/// cases on stdin, results on stdout.
pub fn runner() -> Result<Command> {
    Err("swift is not wired up yet".into())
}
