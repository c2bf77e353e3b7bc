//! Rust: the workspace's tests and the Rust conformance runner.

use std::process::Command;

use crate::util::{Counts, Result, number_before, root, run, run_tee, sum_counts, target_dir};

pub fn prepare() -> Result {
    run(Command::new("cargo").current_dir(root()).args(["build", "--release", "--quiet", "-p", "hmacsig-conformance"]))
}

/// `cargo test` for the core, the runner crate and xtask's own vector conversion.
pub fn test() -> Result<Counts> {
    let (ok, out) =
        run_tee(Command::new("cargo").current_dir(root()).args(["test", "-p", "hmacsig", "-p", "hmacsig-conformance", "-p", "xtask"]))?;
    let counts = sum_counts(&out, |line| {
        let line = line.strip_prefix("test result: ")?;
        Some(Counts { passed: number_before(line, " passed")?, failed: number_before(line, " failed")? })
    });
    if !ok && counts.failed == 0 {
        return Err("cargo test failed before running its tests".into());
    }
    Ok(counts)
}

pub fn runner() -> Result<Command> {
    Ok(Command::new(target_dir().join("release").join("hmacsig-conformance")))
}
