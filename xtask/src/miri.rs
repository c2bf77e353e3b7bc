//! `cargo xtask miri`: the core's unit tests of the call layout (`core/src/ffi/`: the
//! decoder, the encoder, the object ids and the C entries' handle lifting) under Miri, which
//! checks every pointer use for undefined behaviour. It installs the nightly toolchain's
//! `miri` and `rust-src` components when missing. `cargo xtask test` runs it.
//!
//! Isolation is off because the golden-layout test reads `tests/vectors/ffi/codec.json`.
//! Miri warns once about an integer-to-pointer cast: UniFFI's handles are pointers passed
//! as `u64` across the C boundary (`uniffi::Handle::into_arc`), which is how UniFFI works.

use std::process::Command;

use crate::util::{Counts, Result, number_before, root, run_tee, target_dir};

pub fn run() -> Result<Counts> {
    crate::fuzz::ensure_nightly(&["miri", "rust-src"])?;
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root())
        .env("MIRIFLAGS", "-Zmiri-disable-isolation")
        .args(["+nightly", "miri", "test", "-p", "hmacsig", "--no-default-features", "--features", "ffi", "--lib", "--target-dir"])
        .arg(target_dir().join("miri"))
        .arg("ffi::");
    let (ok, output) = run_tee(&mut cmd)?;
    let line = output.lines().find(|l| l.starts_with("test result:")).unwrap_or("");
    let counts = Counts { passed: number_before(line, "passed").unwrap_or(0), failed: number_before(line, "failed").unwrap_or(0) };
    if !ok && counts.failed == 0 {
        return Err("cargo miri test failed before any test ran".into());
    }
    if counts.passed == 0 {
        return Err("Miri ran no test of core/src/ffi".into());
    }
    Ok(counts)
}
