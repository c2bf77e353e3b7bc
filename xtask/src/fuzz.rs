//! `cargo xtask fuzz [--seconds N | --runs N] [--target T]`: the cargo-fuzz targets in
//! `fuzz/` (docs/fuzzing.md), each in turn. It installs what it needs: the nightly toolchain
//! (rustup, minimal profile) and cargo-fuzz (pinned).
//!
//! Each target starts from its committed corpus `fuzz/corpus/<target>/` (read only) and
//! writes what it finds to `target/fuzz/corpus/<target>/`; a crash leaves its input in
//! `target/fuzz/artifacts/<target>/` and fails the target (run it again with
//! `cargo +nightly fuzz run <target> <that file>` in `fuzz/`). `cargo xtask test` runs
//! every target for `CI_SECONDS`.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{Counts, Result, have, log, root, run, run_tee, target_dir};

/// Every target in `fuzz/Cargo.toml`.
pub const TARGETS: [&str; 6] =
    ["target_parser", "http_dates", "structured_fields", "authorization_headers", "call_layout", "verify_request"];
/// How long `cargo xtask test` runs each target.
pub const CI_SECONDS: u64 = 10;
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// How long each target runs.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    Seconds(u64),
    Runs(u64),
}

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

fn nightly_ready() -> bool {
    Command::new("rustup").args(["run", "nightly", "rustc", "--version"]).output().is_ok_and(|o| o.status.success())
}

/// The nightly toolchain (minimal profile) with `components`, installed when missing.
pub(crate) fn ensure_nightly(components: &[&str]) -> Result {
    if !have("rustup") {
        return Err("fuzzing and Miri need rustup (for the nightly toolchain)".into());
    }
    if !nightly_ready() {
        run(Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))?;
    }
    if !components.is_empty() {
        run(Command::new("rustup").args(["+nightly", "component", "add"]).args(components))?;
    }
    Ok(())
}

/// The nightly toolchain and cargo-fuzz, installed when missing.
fn prepare() -> Result {
    ensure_nightly(&[])?;
    let installed = Command::new("cargo").args(["fuzz", "--version"]).output();
    if !installed.is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(CARGO_FUZZ_VERSION)) {
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ_VERSION]))?;
    }
    run(Command::new("cargo").current_dir(fuzz_dir()).args(["+nightly", "fuzz", "build"]))
}

/// One target for `budget`: passed when libFuzzer ends without a finding.
fn run_target(name: &str, budget: Budget) -> Result<bool> {
    let out = target_dir().join("fuzz");
    let (corpus, artifacts) = (out.join("corpus").join(name), out.join("artifacts").join(name));
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let seeds = fuzz_dir().join("corpus").join(name);
    let limit = match budget {
        Budget::Seconds(s) => format!("-max_total_time={s}"),
        Budget::Runs(n) => format!("-runs={n}"),
    };
    let mut cmd = Command::new("cargo");
    cmd.current_dir(fuzz_dir()).args(["+nightly", "fuzz", "run", name]).arg(&corpus);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    cmd.arg("--").arg(limit).arg(format!("-artifact_prefix={}/", artifacts.display())).arg("-print_final_stats=1");
    let (ok, output) = run_tee(&mut cmd)?;
    let done = output.lines().rev().find(|l| l.starts_with("Done ") && l.contains(" runs in ")).unwrap_or("no 'Done' line");
    log(format!("fuzz {name}: {} ({done})", if ok { "no crash" } else { "FAILED: see target/fuzz/artifacts" }));
    Ok(ok)
}

/// Every target (or `only`), one after the other.
pub fn run_all(budget: Budget, only: Option<&str>) -> Result<Counts> {
    if let Some(name) = only
        && !TARGETS.contains(&name)
    {
        return Err(format!("no fuzz target {name:?}; the targets are {}", TARGETS.join(", ")));
    }
    prepare()?;
    let mut counts = Counts::default();
    for name in TARGETS.iter().filter(|t| only.is_none_or(|o| o == **t)) {
        match run_target(name, budget) {
            Ok(true) => counts.passed += 1,
            Ok(false) => counts.failed += 1,
            Err(e) => {
                log(format!("fuzz {name}: ERROR {e}"));
                counts.failed += 1;
            }
        }
    }
    Ok(counts)
}

/// `cargo xtask fuzz [--seconds N | --runs N] [--target T]` (default: 60 seconds each).
pub fn run_cmd(args: &[String]) -> Result<Counts> {
    let mut budget = Budget::Seconds(60);
    let mut only = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut number = |what: &str| -> Result<u64> {
            it.next().and_then(|v| v.parse().ok()).filter(|n| *n > 0).ok_or_else(|| format!("{what} takes a positive number"))
        };
        match arg.as_str() {
            "--seconds" => budget = Budget::Seconds(number("--seconds")?),
            "--runs" => budget = Budget::Runs(number("--runs")?),
            "--target" => only = Some(it.next().ok_or("--target takes a target name")?.clone()),
            other => return Err(format!("unknown fuzz argument {other:?}: use --seconds N, --runs N or --target T")),
        }
    }
    run_all(budget, only.as_deref())
}
