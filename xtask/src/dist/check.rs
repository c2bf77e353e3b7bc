//! `cargo xtask dist --test`: the built packages installed and run where this machine can run
//! them.
//!
//! - x86_64 wheel: a new venv, the wheel and the test dependencies installed by pip, no Rust on
//!   `PATH`; the Python tests (but [`NOT_FROM_A_WHEEL`]) and the conformance suites through
//!   that venv's runner, against the Rust runner.
//! - aarch64 wheel: an arm64 Debian root (`debootstrap --foreign`, each `.deb` unpacked: no
//!   chroot, no binfmt), the wheel and the test dependencies installed for
//!   `manylinux2014_aarch64` with `pip --target`, and the Python tests run by the arm64
//!   `python3.11` under `qemu-aarch64` (all of them, or all but [`AARCH64_CI_SKIPS`]).
//! - the sdist (full depth only): built by pip, installed, one sign and verify.
//! - Android's Kotlin classes: on this JVM over the client-only core, the same answers as the
//!   jar's ([`super::android_kotlin::check`]).
//! - the XCFramework's Swift package: type-checked by the Swift chroot's `swiftc`.
//! - the jar: every native's CPU, from its header; the x86-64 one loaded by JNA from the jar,
//!   and the aarch64 one by the arm64 root's OpenJDK 17 under qemu, with the same results.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::native::{self, JAR_NATIVES};
use super::python::{WHEELS, file_name, files_ending};
use crate::util::{Counts, Result, cache_dir, log, root, run, target_dir};

/// Tests the wheels cannot run where they are installed: building from source needs Rust;
/// the typing test runs mypy over the source tree.
const NOT_FROM_A_WHEEL: [&str; 2] = ["tests/test_pip_install.py", "tests/test_typing.py"];

/// How much of the Python tests the aarch64 wheel runs under qemu.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Every Python test (`cargo xtask dist --test`).
    Full,
    /// All but [`AARCH64_CI_SKIPS`] (`cargo xtask test`, within CI's time).
    Ci,
}

/// The Python tests the aarch64 wheel leaves out in `cargo xtask test`: the eight slowest under
/// qemu, 805 of the full run's 949 s (2026-12-07): the differential tests (hypothesis against
/// the reference libraries: the schemes' logic, which `cargo xtask cross` also runs on
/// aarch64), the threads test, and the two 2 GiB bodies. The other 632 take about 2.5 minutes.
/// `cargo xtask dist --test` runs them all.
const AARCH64_CI_SKIPS: [&str; 8] = [
    "tests/test_concurrency.py::test_shared_signer_and_verifier_agree_with_one_thread_and_catch_every_replay_once",
    "tests/test_differential_hawk.py::test_hmacsig_signs_and_verifies_as_hawk",
    "tests/test_call.py::test_a_body_past_2_gib_is_signed_and_verified_in_place",
    "tests/test_differential_sigv4.py::test_header_signing_matches_aws_c_auth",
    "tests/test_differential_sigv4.py::test_presigned_urls_match_aws_c_auth",
    "tests/test_differential_rfc9421.py::test_signatures_and_verdicts_match_http_message_signatures",
    "tests/test_streaming.py::test_signs_a_2_gib_stream_generated_on_the_fly_in_constant_memory",
    "tests/test_differential_hawk.py::test_mohawk_and_hmacsig_accept_each_other",
];

/// Runs every check of the built `parts`; the tests' counts.
pub fn installed(dist: &Path, parts: &[String], tools: &std::ffi::OsStr, depth: Depth) -> Result<Counts> {
    let mut counts = Counts::default();
    if parts.iter().any(|p| p == "python") {
        let wheels = files_ending(&dist.join("python"), ".whl");
        let wheel_for =
            |tag: &str| wheels.iter().find(|w| file_name(w).contains(tag)).cloned().ok_or(format!("no {tag} wheel in dist/python"));
        counts += x86_64_wheel(&wheel_for(WHEELS[0].tag)?)?;
        counts += aarch64_wheel(&wheel_for(WHEELS[1].tag)?, tools, depth)?;
        if depth == Depth::Full {
            let sdist = files_ending(&dist.join("python"), ".tar.gz").into_iter().next().ok_or("no sdist in dist/python")?;
            counts += from_sdist(&sdist)?;
        }
    }
    if parts.iter().any(|p| p == "android") {
        counts += super::android_kotlin::check(&dist.join("android").join("classes.jar"))?;
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
    let pins: Vec<(&str, &str)> = crate::python::TOOLS.into_iter().filter(|(name, _)| *name != "maturin").collect();
    crate::python::requirements(&pins)
}

/// A new venv `target/dist-work/NAME` (any old one removed); its python.
fn new_venv(name: &str) -> Result<PathBuf> {
    let venv = target_dir().join("dist-work").join(name);
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    Ok(venv.join("bin").join("python"))
}

fn x86_64_wheel(wheel: &Path) -> Result<Counts> {
    log(format!("dist --test: {} in a new venv, without Rust", file_name(wheel)));
    let python = new_venv("venv-x86_64")?;
    run(crate::python::pip_install(&python).arg(wheel).args(test_requirements()))?;
    let mut python_without_rust = Command::new(&python);
    python_without_rust.env("PATH", path_without_rust());
    let mut counts = pytest(python_without_rust, "x86_64 wheel", &[])?;
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

/// `python -m pytest` over the Python tests but [`NOT_FROM_A_WHEEL`] and `skips`, in
/// `bindings/python` (no `CARGO_TARGET_DIR`: nothing may come from the workspace's builds);
/// a failure, or no test run, is an error.
fn pytest(mut python: Command, what: &str, skips: &[&str]) -> Result<Counts> {
    crate::python::test_services()?;
    python.env_remove("CARGO_TARGET_DIR");
    let mut args = vec!["--durations=10", "tests"];
    for test in NOT_FROM_A_WHEEL.iter().chain(skips) {
        args.extend(["--deselect", test]);
    }
    let counts = crate::python::pytest_with(python, &root().join("bindings").join("python"), &args)?;
    if counts.failed > 0 || counts.passed == 0 {
        return Err(format!("{what}: the Python tests failed ({} passed, {} failed)", counts.passed, counts.failed));
    }
    Ok(counts)
}

/// The arm64 JDK in [`arm64_root`].
const ARM64_JAVA: &str = "usr/lib/jvm/java-17-openjdk-arm64/bin/java";

/// The arm64 Debian root: bookworm's `python3` and OpenJDK 17 and what they need, unpacked (no chroot, no
/// maintainer scripts: `qemu-aarch64 -L ROOT` resolves the loader and libraries in it).
fn arm64_root() -> Result<PathBuf> {
    let dir = cache_dir().join("arm64-bookworm");
    let python = dir.join("usr/bin/python3.11");
    if python.is_file() && dir.join(ARM64_JAVA).is_file() {
        return Ok(dir);
    }
    crate::util::ensure_program("debootstrap", "debootstrap")?;
    crate::util::ensure_program("qemu-aarch64", "qemu-user")?;
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new("debootstrap")
        .args(["--arch=arm64", "--foreign", "--variant=minbase", "--include=python3,openjdk-17-jre-headless", "bookworm"])
        .arg(&dir)
        .arg(crate::swift::host_debian_mirror()?))?;
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
    run(crate::python::pip_install(Path::new("python3"))
        .env("PATH", tools)
        .arg("--target")
        .arg(&site)
        .args(["--platform", "manylinux2014_aarch64", "--python-version", "3.11", "--only-binary=:all:"])
        .arg(wheel)
        .args(test_requirements()))?;
    // A wrapper that runs the arm64 python under qemu with itself as `argv[0]`: Python takes
    // it for `sys.executable`, so the tests that start servers with `sys.executable` start
    // them under qemu too (there is no binfmt_misc to run an arm64 binary directly).
    let wrapper = target_dir().join("dist-work").join("python-aarch64").join("python3.11");
    let script =
        format!("#!/bin/sh\nexec qemu-aarch64 -L '{root}' -0 \"$0\" '{root}/usr/bin/python3.11' \"$@\"\n", root = root_fs.display());
    write_executable(&wrapper, &script)?;
    let mut cmd = Command::new(&wrapper);
    cmd.env("PYTHONPATH", &site).env("PATH", path_without_rust());
    let skips: &[&str] = if depth == Depth::Full { &[] } else { &AARCH64_CI_SKIPS };
    let counts = pytest(cmd, "aarch64 wheel", skips)?;
    log(format!("dist --test: aarch64 wheel under qemu: {} passed", counts.passed));
    Ok(counts)
}

/// The sdist built into a wheel by pip (maturin from PyPI, in pip's build isolation, with
/// the machine's Rust; the workspace's target folder for reuse), installed into a new venv,
/// and one request signed and verified with it.
fn from_sdist(sdist: &Path) -> Result<Counts> {
    log(format!("dist --test: {} built by pip and installed", file_name(sdist)));
    let python = new_venv("venv-sdist")?;
    run(crate::python::pip_install(&python).env("CARGO_TARGET_DIR", target_dir().join("dist-work").join("sdist-target")).arg(sdist))?;
    let check = "import hmacsig\n\
        s = hmacsig.Scheme.api_auth(digest='sha256')\n\
        with hmacsig.Signer(s, hmacsig.Credentials('1044', 'top-secret')) as signer:\n\
        \x20   signed = signer.sign('POST', '/orders', {'Content-Type': 'application/json'}, b'{}', now=1700000000)\n\
        headers = [('Content-Type', 'application/json')] + [(h.name, h.value) for h in signed.headers]\n\
        print(hmacsig.Verifier.with_keys(s, {'1044': 'top-secret'}).verify('POST', '/orders', headers, b'{}', now=1700000010))\n";
    let out = Command::new(&python).args(["-c", check]).current_dir(target_dir()).output().map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&out.stdout).trim() != "1044" {
        return Err(format!(
            "the wheel built from the sdist did not verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    log("dist --test: the sdist builds, and its wheel signs and verifies");
    Ok(Counts { passed: 1, failed: 0 })
}

fn write_executable(path: &Path, text: &str) -> Result {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path.parent().unwrap_or(path)).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| format!("chmod {}: {e}", path.display()))
}

/// Every native of the jar for the CPU its folder names; the macOS ones loading only what
/// every macOS has and exporting what the Linux one exports ([`super::darwin::check`]); and the
/// jar's x86-64 library loaded by JNA from the jar itself.
fn jar(jar: &Path) -> Result<Counts> {
    let natives = super::jvm::natives_in(jar)?;
    let unpacked = target_dir().join("dist-work").join("jar-check");
    for lib in &JAR_NATIVES {
        let path = format!("{}/{}", lib.jna_prefix, lib.file);
        let (_, bytes) = natives.iter().find(|(name, _)| *name == path).ok_or(format!("the jar has no {path}"))?;
        if native::machine(bytes) != Some(lib.machine) {
            return Err(format!("the jar's {path} is not for {}", lib.machine.name()));
        }
        log(format!("dist --test: jar {path}: {}, {:.0} KiB", lib.machine.name(), bytes.len() as f64 / 1024.0));
        let file = unpacked.join(&path);
        std::fs::create_dir_all(file.parent().unwrap_or(&unpacked)).map_err(|e| e.to_string())?;
        std::fs::write(&file, bytes).map_err(|e| format!("writing {}: {e}", file.display()))?;
    }
    for lib in JAR_NATIVES.iter().filter(|l| l.triple.ends_with("-apple-darwin")) {
        let dylib = unpacked.join(lib.jna_prefix).join(lib.file);
        let (compared, bound) = super::darwin::check(&dylib, &unpacked.join("linux-x86-64").join("libhmacsig.so"))?;
        log(format!(
            "dist --test: jar {}: loads only libSystem, libiconv, libcharset and its two frameworks; {bound} framework imports bound to their frameworks; exports all {compared} functions of the Linux library (not run: no macOS here)",
            lib.jna_prefix
        ));
    }
    let x86_64 = crate::kotlin::load_from_jar(jar, Command::new("java"), "linux-x86-64/libhmacsig.so")?;
    // The aarch64 native, loaded by Debian's arm64 JDK under qemu from the same jar: the same
    // results, byte for byte.
    let root_fs = arm64_root()?;
    let mut java = Command::new("qemu-aarch64");
    java.arg("-L").arg(&root_fs).arg(root_fs.join(ARM64_JAVA));
    let aarch64 = crate::kotlin::load_from_jar(jar, java, "linux-aarch64/libhmacsig.so")?;
    if aarch64 != x86_64 {
        return Err("the jar's aarch64 native gave other results than its x86-64 one".into());
    }
    let macos = JAR_NATIVES.iter().filter(|l| l.triple.ends_with("-apple-darwin")).count();
    Ok(Counts { passed: (JAR_NATIVES.len() + macos) as u64 + 2, failed: 0 })
}
