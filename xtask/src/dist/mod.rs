//! `cargo xtask dist [--test] [--only python,jvm,android,apple,sizes]`: the packages users install,
//! in `dist/` (docs/packaging.md, docs/adr/0010-packages.md).
//!
//! - `dist/python/`: `cp39-abi3-manylinux2014` wheels for x86_64 and aarch64, and the sdist;
//! - `dist/jvm/`: one jar with the core for Linux (x86-64, aarch64, armv7), macOS (arm64,
//!   x86-64; [`darwin`]) and Windows (x86-64), and its POM;
//! - `dist/android/`: the core's static libraries for the four Android ABIs (no NDK here),
//!   their Kotlin classes (`classes.jar`, [`android_kotlin`]), and with `ANDROID_NDK_HOME` the
//!   shared libraries ([`mobile`]);
//! - `dist/apple/`: `HmacSigFFI.xcframework` (static libraries for iOS and macOS) and a Swift
//!   package that consumes it as a `binaryTarget`.
//!
//! `--test` then installs and runs what can run here ([`check`]): the x86_64 wheel in a clean
//! venv, the aarch64 wheel under qemu in an arm64 Debian root, the sdist built by pip, the jar
//! on this JDK and on an arm64 JDK under qemu, the Swift package type-checked, and every
//! native's CPU.
//! `release-check` ([`release`]) checks that the versions agree and every artifact is there.

mod android_kotlin;
mod check;
mod darwin;
mod jvm;
mod mobile;
mod native;
mod python;
pub mod release;
mod sizes;

use std::ffi::OsString;
use std::path::PathBuf;

use crate::util::{Counts, Result, log, root};

/// What `dist` builds without `--only`. `sizes`: the stripped library with and without the
/// server features, for BENCHMARKS.md ([`sizes`]).
const PARTS: [&str; 5] = ["python", "jvm", "android", "apple", "sizes"];

/// zig and cargo-zigbuild, pinned, installed into the project's venv (pip's `ziglang` carries
/// the zig compiler); maturin and wheel are there already or installed with them.
const TOOLS: [(&str, &str); 3] = [("ziglang", "0.15.2"), ("cargo-zigbuild", "0.24.1"), ("wheel", "0.48.0")];

pub fn dist_dir() -> PathBuf {
    root().join("dist")
}

/// `PATH` with the venv's bin first: maturin, zig (`python -m ziglang`), cargo-zigbuild.
fn tools_path() -> Result<OsString> {
    crate::python::ensure_venv()?;
    crate::python::ensure_pinned(&TOOLS)?;
    let venv_bin = crate::python::venv_python().parent().map(PathBuf::from).ok_or("the venv has no bin folder")?;
    let mut paths = vec![venv_bin];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).map_err(|e| e.to_string())
}

/// The parts named by `--only a,b` (every part without it).
fn parts_arg(args: &[String]) -> Result<Vec<String>> {
    let Some(at) = args.iter().position(|a| a == "--only") else {
        return Ok(PARTS.iter().map(|p| p.to_string()).collect());
    };
    let list = args.get(at + 1).ok_or("--only needs a list: python,jvm,android,apple,sizes")?;
    let parts: Vec<String> = list.split(',').map(str::to_string).collect();
    match parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
        Some(bad) => Err(format!("unknown part {bad:?}: the parts are {}", PARTS.join(", "))),
        None => Ok(parts),
    }
}

pub fn run_cmd(args: &[String]) -> Result {
    let parts = parts_arg(args)?;
    let tools = build(&parts)?;
    if args.iter().any(|a| a == "--test") {
        let counts = check::installed(&dist_dir(), &parts, &tools, check::Depth::Full)?;
        log(format!("dist --test: {} passed, {} failed", counts.passed, counts.failed));
    }
    Ok(())
}

/// `cargo xtask test`'s packaging phase, within CI's time: the wheels built and tested (the
/// aarch64 one on [`check::Depth::Ci`]'s tests), the Android static libraries (so Android
/// stays compilable), the XCFramework and its Swift package type-checked, and
/// `release-check`'s version check.
pub fn for_test() -> Result<Counts> {
    let parts: Vec<String> = ["python", "android", "apple"].iter().map(|p| p.to_string()).collect();
    let tools = build(&parts)?;
    let mut counts = check::installed(&dist_dir(), &parts, &tools, check::Depth::Ci)?;
    release::versions_agree()?;
    counts.passed += 1;
    Ok(counts)
}

/// Builds `parts` into `dist/`, installing what they need; returns the `PATH` with the venv's
/// tools ([`tools_path`]), which the checks use too.
fn build(parts: &[String]) -> Result<OsString> {
    let version = release::workspace_version()?;
    let tools = tools_path()?;
    let out = dist_dir();
    native::add_targets(&needed_targets(parts))?;
    let mut sizes = Vec::new();
    for part in parts {
        match part.as_str() {
            "python" => {
                python::build(&out.join("python"), &tools)?;
            }
            "jvm" => {
                jvm::build(&out.join("jvm"), &version, &tools)?;
            }
            "android" => sizes.extend(mobile::android(&out.join("android"), &version)?),
            "apple" => sizes.extend(mobile::apple(&out.join("apple"), &version)?),
            "sizes" => sizes.extend(sizes::measure(&tools)?),
            _ => unreachable!("checked by parts_arg"),
        }
    }
    for (what, kib) in &sizes {
        log(format!("dist: {what}: {kib:.1} KiB"));
    }
    log(format!("dist: hmacsig {version} in {}", out.display()));
    Ok(tools)
}

/// The Rust targets `parts` build for.
fn needed_targets(parts: &[String]) -> Vec<&'static str> {
    let mut triples = Vec::new();
    for part in parts {
        match part.as_str() {
            "python" => triples.extend(python::WHEELS.iter().map(|w| w.triple)),
            "jvm" => triples.extend(native::JAR_NATIVES.iter().map(|n| n.triple)),
            "android" => triples.extend(mobile::ANDROID_ABIS.iter().map(|a| a.triple)),
            "apple" => triples.extend(mobile::APPLE_REQUIRED.iter().map(|a| a.triple)),
            "sizes" => triples.extend(sizes::MEASURED.iter().map(|m| m.triple)),
            _ => {}
        }
    }
    triples.sort_unstable();
    triples.dedup();
    triples
}
