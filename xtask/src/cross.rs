//! `cargo xtask cross [--arch aarch64|armv7|s390x|i686]`: the core's tests
//! (`cargo test -p hmacsig`: its unit tests and integration tests, default
//! features) built for a foreign architecture with Debian's cross linkers and
//! run under qemu-user. Big-endian (s390x) and 32-bit (armv7, i686) targets are
//! where byte order and `usize` overflow would show. `docs/cross.md`.
//!
//! Installs what it needs when missing: the Rust standard library for each
//! target (`rustup target add`), and the Debian packages of the cross gcc,
//! its libc and `qemu-user`. Builds into `target/cross/`, so the host build
//! is left alone.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::util::{Counts, Result, have, install_debian_packages, log, root, run, target_dir};

/// One foreign architecture: its Rust target, Debian's cross gcc prefix (also
/// the folder of its libc under `/usr`), and the packages and emulator it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    pub name: &'static str,
    pub triple: &'static str,
    /// `aarch64-linux-gnu`: `<prefix>-gcc`, `/usr/<prefix>` (the target's libc).
    pub prefix: &'static str,
    pub gcc_package: &'static str,
    pub libc_package: &'static str,
    /// The qemu-user binary (Debian's `qemu-user` package).
    pub qemu: &'static str,
    pub note: &'static str,
}

pub const ARCHES: [Arch; 4] = [
    Arch {
        name: "aarch64",
        triple: "aarch64-unknown-linux-gnu",
        prefix: "aarch64-linux-gnu",
        gcc_package: "gcc-aarch64-linux-gnu",
        libc_package: "libc6-dev-arm64-cross",
        qemu: "qemu-aarch64",
        note: "64-bit little-endian ARM",
    },
    Arch {
        name: "armv7",
        triple: "armv7-unknown-linux-gnueabihf",
        prefix: "arm-linux-gnueabihf",
        gcc_package: "gcc-arm-linux-gnueabihf",
        libc_package: "libc6-dev-armhf-cross",
        qemu: "qemu-arm",
        note: "32-bit little-endian ARM",
    },
    Arch {
        name: "s390x",
        triple: "s390x-unknown-linux-gnu",
        prefix: "s390x-linux-gnu",
        gcc_package: "gcc-s390x-linux-gnu",
        libc_package: "libc6-dev-s390x-cross",
        qemu: "qemu-s390x",
        note: "64-bit big-endian",
    },
    Arch {
        name: "i686",
        triple: "i686-unknown-linux-gnu",
        prefix: "i686-linux-gnu",
        gcc_package: "gcc-i686-linux-gnu",
        libc_package: "libc6-dev-i386-cross",
        qemu: "qemu-i386",
        note: "32-bit x86",
    },
];

/// The architectures `cargo xtask test` runs after its other phases: one 32-bit and one
/// big-endian target. About 8 minutes from nothing on 2 cores, about a minute a run after
/// that (docs/cross.md).
pub const IN_TEST: [&str; 2] = ["armv7", "s390x"];

/// [`IN_TEST`] as architectures.
pub fn in_test() -> Vec<Arch> {
    IN_TEST.iter().map(|name| arch(name).expect("IN_TEST names known architectures")).collect()
}

/// Set for the tests under emulation: a test too slow there reads it and
/// takes a smaller size (`core/tests/body_digest.rs`).
pub const EMULATED_ENV: &str = "HMACSIG_TEST_EMULATED";

pub fn arch(name: &str) -> Result<Arch> {
    ARCHES
        .iter()
        .copied()
        .find(|a| a.name == name)
        .ok_or_else(|| format!("unknown architecture {name:?}; use one of {:?}", ARCHES.iter().map(|a| a.name).collect::<Vec<_>>()))
}

/// The architectures `--arch A` (or `--arch=A`) names; all four without it.
pub fn arches_arg(args: &[String]) -> Result<Vec<Arch>> {
    let named = match args.iter().position(|a| a == "--arch") {
        Some(i) => Some(args.get(i + 1).cloned().ok_or_else(|| "--arch needs a value".to_string())?),
        None => args.iter().find_map(|a| a.strip_prefix("--arch=").map(str::to_owned)),
    };
    if let Some(unknown) =
        args.iter().enumerate().find(|(i, a)| *a != "--arch" && !a.starts_with("--arch=") && (*i == 0 || args[i - 1] != "--arch"))
    {
        return Err(format!("cross: unexpected argument {:?}; usage: cargo xtask cross [--arch aarch64|armv7|s390x|i686]", unknown.1));
    }
    match named {
        Some(name) => Ok(vec![arch(&name)?]),
        None => Ok(ARCHES.to_vec()),
    }
}

/// `cargo xtask cross [--arch A]`: every named architecture in turn; the sum of their counts.
pub fn run_cmd(args: &[String]) -> Result<Counts> {
    run_arches(&arches_arg(args)?)
}

/// Installs what `arches` need, then runs the core's tests for each in turn; an
/// architecture whose tests could not be built or run counts as one failure.
pub fn run_arches(arches: &[Arch]) -> Result<Counts> {
    prepare(arches)?;
    let mut total = Counts::default();
    let mut broken = Vec::new();
    for arch in arches {
        match test(arch) {
            Ok(c) => total += c,
            Err(e) => {
                log(format!("== cross {}: ERROR {e}", arch.name));
                total.failed += 1;
                broken.push(format!("cross {}: {e}", arch.name));
            }
        }
    }
    for b in &broken {
        log(format!("FAILED {b}"));
    }
    Ok(total)
}

/// Installs what `arches` need and is missing: the Debian packages (one
/// `apt-get install` for all) and each target's standard library.
pub fn prepare(arches: &[Arch]) -> Result {
    let mut packages = Vec::new();
    for a in arches {
        if !have(&format!("{}-gcc", a.prefix)) {
            packages.push(a.gcc_package);
        }
        if !Path::new("/usr").join(a.prefix).join("include").join("stdio.h").is_file() {
            packages.push(a.libc_package);
        }
        if !have(a.qemu) && !packages.contains(&"qemu-user") {
            packages.push("qemu-user");
        }
    }
    if !packages.is_empty() {
        log(format!("cross: installing the Debian packages {}", packages.join(" ")));
        install_debian_packages(&packages)?;
    }
    for a in arches {
        for program in [format!("{}-gcc", a.prefix), a.qemu.to_string()] {
            if !have(&program) {
                return Err(format!("{program} is still not on PATH after installing the Debian packages"));
            }
        }
    }
    if !have("rustup") {
        return Err("rustup is not on PATH: cargo xtask cross adds each target's standard library with `rustup target add`".into());
    }
    let out = Command::new("rustup")
        .current_dir(root())
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("cannot start rustup: {e}"))?;
    let installed = String::from_utf8_lossy(&out.stdout).into_owned();
    let missing: Vec<&str> = arches.iter().map(|a| a.triple).filter(|t| !installed.lines().any(|l| l.trim() == *t)).collect();
    if !missing.is_empty() {
        run(Command::new("rustup").current_dir(root()).args(["target", "add"]).args(&missing))?;
    }
    Ok(())
}

/// `cargo test -p hmacsig --target <triple>` under `qemu-<arch> -L /usr/<prefix>`,
/// into `target/cross/`; the passed and failed counts of every test binary.
/// The tests that start a real redis-server or PostgreSQL are left out (they
/// need those servers installed; `cargo xtask test` runs them natively) and
/// named in the log.
pub fn test(arch: &Arch) -> Result<Counts> {
    log(format!("== cross {}: the core's tests for {} ({}) under {}", arch.name, arch.triple, arch.note, arch.qemu));
    let started = Instant::now();
    let target_env = arch.triple.to_uppercase().replace('-', "_");
    let cc_env = arch.triple.replace('-', "_");
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root())
        .args(["test", "-p", "hmacsig", "--target", arch.triple, "--target-dir"])
        .arg(target_dir().join("cross"))
        .env(format!("CARGO_TARGET_{target_env}_LINKER"), format!("{}-gcc", arch.prefix))
        .env(format!("CARGO_TARGET_{target_env}_RUNNER"), format!("{} -L /usr/{}", arch.qemu, arch.prefix))
        // The C in the dependencies (rusqlite's bundled SQLite) with the same cross gcc.
        .env(format!("CC_{cc_env}"), format!("{}-gcc", arch.prefix))
        .env(format!("AR_{cc_env}"), format!("{}-ar", arch.prefix))
        .env(EMULATED_ENV, "1")
        .arg("--");
    let mut left_out = Vec::new();
    for (target, tests) in crate::rust::REAL_SERVER_TESTS {
        for t in tests {
            cmd.args(["--skip", t]);
            left_out.push(format!("{target}::{t}"));
        }
    }
    let result = crate::rust::cargo_test(&mut cmd);
    // Each architecture's build is used once and is most of a GiB: removed, so that the
    // architectures do not add up on CI's disk. The host's build scripts in `cross/debug` stay.
    let built = target_dir().join("cross").join(arch.triple);
    if let Err(e) = std::fs::remove_dir_all(&built)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        log(format!("cross {}: cannot remove {}: {e}", arch.name, built.display()));
    }
    let secs = started.elapsed().as_secs_f64();
    match &result {
        Ok(c) => log(format!("== cross {}: {} passed, {} failed ({secs:.0} s, build included)", arch.name, c.passed, c.failed)),
        Err(e) => log(format!("== cross {}: {e} ({secs:.0} s)", arch.name)),
    }
    log(format!(
        "cross {}: not run under emulation (they start a real redis-server or PostgreSQL; `cargo xtask test` runs them natively): {}",
        arch.name,
        left_out.join(", ")
    ));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn no_flag_is_all_four_and_a_flag_is_one() {
        let names = |a: &[&str]| arches_arg(&args(a)).map(|v| v.iter().map(|a| a.name).collect::<Vec<_>>());
        assert_eq!(names(&[]).unwrap(), ["aarch64", "armv7", "s390x", "i686"]);
        assert_eq!(names(&["--arch", "s390x"]).unwrap(), ["s390x"]);
        assert_eq!(names(&["--arch=armv7"]).unwrap(), ["armv7"]);
        assert!(names(&["--arch"]).is_err());
        assert!(names(&["--arch", "mips"]).unwrap_err().contains("unknown architecture"));
        assert!(names(&["armv7"]).unwrap_err().contains("unexpected argument"));
    }

    #[test]
    fn the_arches_in_test_exist_and_each_has_its_own_prefix() {
        assert_eq!(in_test().iter().map(|a| a.name).collect::<Vec<_>>(), IN_TEST);
        for a in ARCHES {
            assert!(a.triple.starts_with(a.name), "{a:?}");
            assert_eq!(ARCHES.iter().filter(|b| b.prefix == a.prefix || b.qemu == a.qemu).count(), 1, "{a:?}");
        }
    }
}
