//! Rust: the workspace's tests, the Rust conformance runner, and the `hmacsig`
//! CLI with its end-to-end suite.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{Counts, Result, ensure_postgresql, ensure_program, log, number_before, root, run, run_tee, sum_counts, target_dir};

pub fn prepare() -> Result {
    run(Command::new("cargo").current_dir(root()).args(["build", "--release", "--quiet", "-p", "hmacsig-conformance"]))
}

/// `cargo test` for the core, the runner crate, the CLI and xtask's own vector conversion,
/// then the Rust example (one test: it must verify its request and refuse the tampered one).
pub fn test() -> Result<Counts> {
    need_curl()?;
    ensure_program("redis-server", "redis-server")?;
    ensure_postgresql()?;
    let mut args =
        vec!["test", "-p", "hmacsig", "-p", "hmacsig-conformance", "-p", "hmacsig-cli", "-p", "hmacsig-tower", "-p", "xtask", "--"];
    for test in REAL_SERVER_TESTS.iter().flat_map(|(_, tests)| tests.iter()) {
        args.extend(["--skip", test]);
    }
    let mut counts = cargo_test(Command::new("cargo").current_dir(root()).args(&args))?;
    // The tests that start a real redis-server or PostgreSQL run on their own,
    // with their output, so the log shows the servers they used.
    for (target, _) in REAL_SERVER_TESTS {
        counts +=
            cargo_test(Command::new("cargo").current_dir(root()).args(["test", "-p", "hmacsig", "--test", target, "--", "--nocapture"]))?;
    }
    counts += no_default_features();
    counts += example_counts();
    Ok(counts)
}

/// Test targets that start real servers, and their tests.
pub(crate) const REAL_SERVER_TESTS: [(&str, &[&str]); 2] = [
    (
        "replay_redis",
        &[
            "a_fleet_shares_one_guard_and_entries_expire",
            "a_redis_that_is_down_fails_closed_unless_told_otherwise",
            "threads_of_one_server_share_its_guard_and_exactly_one_wins",
        ],
    ),
    ("store_postgres", &["a_fleet_shares_one_postgres_store", "a_store_that_is_down_is_key_lookup_failed"]),
];

/// The core builds without its server parts, as the mobile build takes it
/// (`--features ffi`), and without its foreign interface too, as the browser
/// build takes it (two tests).
fn no_default_features() -> Counts {
    let mut counts = Counts::default();
    for (features, build) in [(&["--features", "ffi"][..], "mobile"), (&[][..], "browser")] {
        let ok = run(Command::new("cargo")
            .current_dir(root())
            .args(["check", "--quiet", "-p", "hmacsig", "--no-default-features"])
            .args(features))
        .is_ok();
        log(format!(
            "rust: the core as the {build} build takes it (--no-default-features {}) {}",
            features.join(" "),
            if ok { "builds: passed" } else { "does not build: FAILED" }
        ));
        counts.passed += u64::from(ok);
        counts.failed += u64::from(!ok);
    }
    counts
}

fn example_counts() -> Counts {
    let out = Command::new("cargo").current_dir(root()).args(["run", "--quiet", "-p", "hmacsig", "--example", "sign_and_verify"]).output();
    let text = out.as_ref().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    let ok = out.is_ok_and(|o| o.status.success()) && text.contains("verified key id 1044") && text.contains("refused (bad_signature)");
    log(format!("rust: example sign_and_verify {}", if ok { "passed" } else { "FAILED" }));
    if !ok {
        log(text);
    }
    Counts { passed: u64::from(ok), failed: u64::from(!ok) }
}

pub fn runner() -> Result<Command> {
    Ok(Command::new(target_dir().join("release").join("hmacsig-conformance")))
}

/// Builds the `hmacsig` CLI (the debug build its tests use) and returns its
/// path, for `HMACSIG_CLI`.
pub fn cli_binary() -> Result<PathBuf> {
    run(Command::new("cargo").current_dir(root()).args(["build", "--quiet", "-p", "hmacsig-cli", "--bin", "hmacsig"]))?;
    let path = target_dir().join("debug").join(format!("hmacsig{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() { Ok(path) } else { Err(format!("cargo built hmacsig-cli but {} is missing", path.display())) }
}

/// The CLI's end-to-end suite (`bindings/cli/tests/e2e_curl.rs`: `hmacsig
/// sign` through curl to the running servers), whose tests a plain `cargo
/// test` skips as ignored. `env`: the servers' `HMACSIG_E2E_*` variables
/// (and `HMACSIG_CLI`) of `tests/e2e/README.md`.
pub fn e2e_clients(env: &[(String, String)]) -> Result<Counts> {
    need_curl()?;
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root()).args(["test", "-p", "hmacsig-cli", "--test", "e2e_curl", "--", "--ignored"]);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cargo_test(&mut cmd)
}

/// The CLI's tests drive real curl.
fn need_curl() -> Result {
    ensure_program("curl", "curl")
}

/// Runs `cargo test …`; the passed and failed counts of every test binary.
pub(crate) fn cargo_test(cmd: &mut Command) -> Result<Counts> {
    let (ok, out) = run_tee(cmd)?;
    let counts = sum_counts(&out, |line| {
        let line = line.strip_prefix("test result: ")?;
        Some(Counts { passed: number_before(line, " passed")?, failed: number_before(line, " failed")? })
    });
    if !ok && counts.failed == 0 {
        return Err("cargo test failed before running its tests".into());
    }
    Ok(counts)
}
