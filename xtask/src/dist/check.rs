//! `cargo xtask dist --test`: the built packages installed and run where this machine can run
//! them.
//!
//! - x86_64 wheel: a new venv, the wheel and the test dependencies installed by pip, no Rust on
//!   `PATH`; the Python tests (but the one that builds from source) and the conformance suites
//!   through that venv's runner, against the Rust runner.
//! - aarch64 wheel: an arm64 Debian root (`debootstrap --foreign`, each `.deb` unpacked: no
//!   chroot, no binfmt), the wheel and pytest installed for `manylinux2014_aarch64` with
//!   `pip --target`, and the Python tests run by the arm64 `python3.11` under `qemu-aarch64`.
//! - the jar: every native's CPU, from its header; the x86_64 one loaded by JNA from the jar.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::native::{self, JAR_NATIVES};
use super::python::{WHEELS, file_name, files_ending};
use crate::util::{Counts, Result, cache_dir, log, root, run, run_tee, target_dir};

/// Tests the wheels cannot run where they are installed: building from source needs Rust;
/// the typing test runs mypy over the source tree.
const NOT_FROM_A_WHEEL: [&str; 2] = ["tests/test_pip_install.py", "tests/test_typing.py"];

/// How much of the Python tests the aarch64 wheel runs under qemu.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Every Python test (`cargo xtask dist --test`).
    Full,
    /// [`AARCH64_CI_TESTS`] (`cargo xtask test`, within CI's time).
    Ci,
}

/// The Python tests the aarch64 wheel runs in `cargo xtask test`: every operation of the API,
/// every scheme, the store, refusals and streaming, through the aarch64 library. Under qemu
/// the whole suite takes many times longer: its differential tests (hypothesis against
/// reference libraries) are about the schemes' logic, which the core's own tests already run
/// on aarch64 (`cargo xtask cross`), and `dist --test` runs them all.
const AARCH64_CI_TESTS: [&str; 9] = [
    "tests/test_call.py",
    "tests/test_hmacsig.py",
    "tests/test_verifier.py",
    "tests/test_rfc9421.py",
    "tests/test_aws_sigv4.py",
    "tests/test_kong_hmac_and_hawk.py",
    "tests/test_streaming.py",
    "tests/test_store.py",
    "tests/test_refusals.py",
];

/// Runs every check of the built `parts`; the tests' counts.
pub fn installed(dist: &Path, parts: &[String], tools: &std::ffi::OsStr, depth: Depth) -> Result<Counts> {
    let mut counts = Counts::default();
    if parts.iter().any(|p| p == "python") {
        let wheels = files_ending(&dist.join("python"), ".whl");
        let wheel_for = |tag: &str| wheels.iter().find(|w| file_name(w).contains(tag)).cloned().ok_or(format!("no {tag} wheel in dist/python"));
        counts += x86_64_wheel(&wheel_for(WHEELS[0].tag)?)?;
        counts += aarch64_wheel(&wheel_for(WHEELS[1].tag)?, tools, depth)?;
    }
    if parts.iter().any(|p| p == "apple") {
        // The Swift package over the XCFramework: its sources against the framework's
        // (client-only) headers.
        crate::swift::typecheck("dist/apple/HmacSig", "HmacSigFFI.xcframework/ios-arm64/Headers")?;
        log("dist --test: the XCFramework's Swift package type-checks against its client-only headers");
        counts.passed += 1;
    }
    if parts.iter().any(|p| p == "jvm") {
        let version = super::release::workspace_version()?;
        counts += jar(&dist.join("jvm").join(format!("hmacsig-{version}.jar")))?;
    }
    Ok(counts)
}

/// `PATH` without cargo's and rustup's folders: the wheel must work with no Rust at all.
fn path_without_rust() -> OsString {
    let paths = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|p| !p.join("cargo").is_file() && !p.join("rustc").is_file())
        .collect::<Vec<_>>();
    std::env::join_paths(paths).unwrap_or_default()
}

/// The Python packages the tests import, pinned as the project's venv pins them.
fn test_requirements() -> Vec<String> {
    crate::python::TOOLS.iter().filter(|(name, _)| *name != "maturin").map(|(name, version)| format!("{name}=={version}")).collect()
}

fn x86_64_wheel(wheel: &Path) -> Result<Counts> {
    log(format!("dist --test: {} in a new venv, without Rust", file_name(wheel)));
    let venv = target_dir().join("dist-work").join("venv-x86_64");
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    let python = venv.join("bin").join("python");
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).arg(wheel).args(test_requirements()))?;
    let mut counts = pytest(Command::new(&python).env("PATH", path_without_rust()), "x86_64 wheel", &[])?;
    log(format!("dist --test: x86_64 wheel: {} passed", counts.passed));
    // The conformance suites through this venv's runner, against Rust's.
    crate::prepare("rust")?;
    // SAFETY: xtask is single-threaded here; the variable is read when the runner starts.
    unsafe { std::env::set_var("HMACSIG_PYTHON", &python) };
    let conformance = crate::conformance::check_all(&["rust", "python"], false);
    unsafe { std::env::remove_var("HMACSIG_PYTHON") };
    let conformance = conformance?;
    if conformance.failed > 0 {
        return Err(format!("the x86_64 wheel's conformance runner: {} failed", conformance.failed));
    }
    log(format!("dist --test: x86_64 wheel conformance: {} passed", conformance.passed));
    counts += conformance;
    Ok(counts)
}

/// `python -m pytest` over `files` of the Python tests (all of them when empty, but
/// [`NOT_FROM_A_WHEEL`]), in `bindings/python`.
fn pytest(cmd: &mut Command, what: &str, files: &[&str]) -> Result<Counts> {
    crate::util::ensure_program("redis-server", "redis-server")?;
    crate::util::ensure_postgresql()?;
    crate::python::hawk_oracle()?;
    cmd.current_dir(root().join("bindings").join("python"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("CARGO_TARGET_DIR")
        .args(["-m", "pytest", "-p", "no:cacheprovider", "--color=no", "-q", "--durations=10"]);
    if files.is_empty() {
        cmd.arg("tests");
        for test in NOT_FROM_A_WHEEL {
            cmd.args(["--deselect", test]);
        }
    } else {
        cmd.args(files);
    }
    let (ok, out) = run_tee(cmd)?;
    let counts = crate::python::pytest_counts(&out);
    if !ok || counts.failed > 0 || counts.passed == 0 {
        return Err(format!("{what}: the Python tests failed ({} passed, {} failed)", counts.passed, counts.failed));
    }
    Ok(counts)
}

/// The arm64 Debian root: bookworm's `python3` and what it needs, unpacked (no chroot, no
/// maintainer scripts: `qemu-aarch64 -L ROOT` resolves the loader and libraries in it).
fn arm64_root() -> Result<PathBuf> {
    let dir = cache_dir().join("arm64-bookworm");
    let python = dir.join("usr/bin/python3.11");
    if python.is_file() {
        return Ok(dir);
    }
    crate::util::ensure_program("debootstrap", "debootstrap")?;
    crate::util::ensure_program("qemu-aarch64", "qemu-user")?;
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new("debootstrap")
        .args(["--arch=arm64", "--foreign", "--variant=minbase", "--include=python3", "bookworm"])
        .arg(&dir)
        .arg("http://deb.debian.org/debian"))?;
    let archives = dir.join("var/cache/apt/archives");
    for deb in files_ending(&archives, ".deb") {
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&dir))?;
    }
    if python.is_file() { Ok(dir) } else { Err(format!("debootstrap gave no {}", python.display())) }
}

fn aarch64_wheel(wheel: &Path, tools: &std::ffi::OsStr, depth: Depth) -> Result<Counts> {
    log(format!("dist --test: {} in an arm64 Debian root, under qemu-aarch64", file_name(wheel)));
    let root_fs = arm64_root()?;
    let site = target_dir().join("dist-work").join("site-aarch64");
    let _ = std::fs::remove_dir_all(&site);
    run(Command::new("python3")
        .env("PATH", tools)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
        .arg(&site)
        .args(["--platform", "manylinux2014_aarch64", "--python-version", "3.11", "--only-binary=:all:"])
        .arg(wheel)
        .args(test_requirements()))?;
    // A wrapper that runs the arm64 python under qemu with itself as `argv[0]`: Python takes
    // it for `sys.executable`, so the tests that start servers with `sys.executable` start
    // them under qemu too (there is no binfmt_misc to run an arm64 binary directly).
    let wrapper = target_dir().join("dist-work").join("python-aarch64").join("python3.11");
    let script = format!(
        "#!/bin/sh\nexec qemu-aarch64 -L '{root}' -0 \"$0\" '{root}/usr/bin/python3.11' \"$@\"\n",
        root = root_fs.display()
    );
    write_executable(&wrapper, &script)?;
    let mut cmd = Command::new(&wrapper);
    cmd.env("PYTHONPATH", &site).env("PATH", path_without_rust());
    let files: &[&str] = if depth == Depth::Full { &[] } else { &AARCH64_CI_TESTS };
    let counts = pytest(&mut cmd, "aarch64 wheel", files)?;
    log(format!("dist --test: aarch64 wheel under qemu: {} passed", counts.passed));
    Ok(counts)
}

fn write_executable(path: &Path, text: &str) -> Result {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path.parent().unwrap_or(path)).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| format!("chmod {}: {e}", path.display()))
}

/// Every native of the jar for the CPU its folder names, and the jar's x86-64 library loaded
/// by JNA from the jar itself.
fn jar(jar: &Path) -> Result<Counts> {
    let natives = super::jvm::natives_in(jar)?;
    for lib in &JAR_NATIVES {
        let path = format!("{}/{}", lib.jna_prefix, lib.file);
        let (_, bytes) = natives.iter().find(|(name, _)| *name == path).ok_or(format!("the jar has no {path}"))?;
        if native::machine(bytes) != Some(lib.machine) {
            return Err(format!("the jar's {path} is not for {}", lib.machine.name()));
        }
        log(format!("dist --test: jar {path}: {}, {:.0} KiB", lib.machine.name(), bytes.len() as f64 / 1024.0));
    }
    crate::kotlin::load_from_jar(jar)?;
    Ok(Counts { passed: JAR_NATIVES.len() as u64 + 1, failed: 0 })
}
