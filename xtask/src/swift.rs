//! swift: set-up, tests and the conformance runner.
//!
//! The host has no Swift toolchain, so Swift runs in a Debian trixie chroot
//! holding `swiftlang` (`shared/notes/swift-on-linux.md`), kept in
//! `cache_dir()/swift-trixie` and made on first use. Every Swift command runs
//! in a private mount namespace (`unshare --mount`): `/proc`, `/dev` and the
//! repository (at `/src`) are mounted inside the chroot only for the life of
//! that command, so nothing stays mounted on the host.
//!
//! The package is `bindings/swift/`; xtask copies the generated bindings,
//! `libhmacsig.so` and its pkg-config file into it (git-ignored) before
//! `swift build`. SwiftPM finds the library through `PKG_CONFIG_PATH`, as it
//! would for any package depending on this one: `examples/swift/signed-request/`
//! is such a package, built with the tests and run against the end-to-end servers.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bindings;
use crate::util::{Counts, Result, ensure_program, log, number_after, number_before, root, run, run_tee, sync_file};

/// The package folder, relative to the repository root (= to `/src` in the chroot).
const PACKAGE: &str = "bindings/swift";

/// The example application that depends on the package, relative to the repository root.
const EXAMPLE: &str = "examples/swift/signed-request";

/// The example's executable target.
const EXAMPLE_PRODUCT: &str = "SignedRequest";

/// The XCTest class that needs the end-to-end servers (tests/e2e/README.md):
/// left out of the unit run, run alone by `e2e_clients`.
const E2E_TESTS: &str = "EndToEndTests";

/// Where the repository is mounted inside the chroot.
const SRC: &str = "/src";

/// The module map of the `.systemLibrary` target. The generated
/// `HmacSigFFI.modulemap` has no `link` line; this one makes every client of
/// the module link `libhmacsig.so`, and adds the hand-written (committed)
/// header of the one call path (`hmacsig_call`, docs/ffi.md).
const MODULE_MAP: &str =
    "module HmacSigFFI {\n    header \"HmacSigFFI.h\"\n    header \"HmacSigCall.h\"\n    link \"hmacsig\"\n    export *\n}\n";

/// `lib/hmacsig.pc`: SwiftPM reads `-L` from it for the `.systemLibrary`
/// target (`pkgConfig: "hmacsig"`), so the package needs no unsafe linker flags
/// and can be a dependency. `${pcfiledir}` is the file's own folder, wherever
/// the package is.
fn pkg_config_text() -> Result<String> {
    let version = core_version()?;
    Ok(format!(
        "# libhmacsig.so sits beside this file: PKG_CONFIG_PATH=<this folder>.\n\
         libdir=${{pcfiledir}}\n\n\
         Name: hmacsig\n\
         Description: HMAC request signing, the C ABI of the Rust core for the UniFFI bindings\n\
         Version: {version}\n\
         Libs: -L${{libdir}} -lhmacsig\n"
    ))
}

/// The library's version: the workspace's, which `core/Cargo.toml` inherits.
fn core_version() -> Result<String> {
    // Every package's version is the workspace's (`cargo xtask release-check`).
    crate::dist::release::workspace_version()
}

fn chroot_dir() -> PathBuf {
    crate::util::cache_dir().join("swift-trixie")
}

fn package_dir() -> PathBuf {
    root().join(PACKAGE)
}

/// Installs what swift needs and builds the package (idempotent, incremental).
pub fn prepare() -> Result {
    ensure_chroot()?;
    bindings::generate(&["swift"])?;
    sync_generated()?;
    // Builds every target but the tests, the runner included.
    run(&mut swift("swift build"))
}

/// Runs the swift test suite but the end-to-end class (after `prepare`), and
/// builds the example application as a package depending on this one (one
/// more test: it must build as a user's package would).
pub fn test() -> Result<Counts> {
    let mut counts = xctest_run(&format!("swift test --skip {E2E_TESTS}"), &[])?;
    match run(&mut swift_in(EXAMPLE, "swift build", &[])) {
        Ok(()) => counts.passed += 1,
        Err(e) => {
            log(format!("{EXAMPLE} does not build against the package: {e}"));
            counts.failed += 1;
        }
    }
    Ok(counts)
}

/// The end-to-end client checks (tests/e2e/README.md), after `test`: the
/// `EndToEndTests` XCTest class, then the example application, each with
/// `env` (the servers' URLs and the key). The chroot shares the host's
/// network, so the servers on 127.0.0.1 are reachable. The example counts as
/// one test: it must print the server's `200` and the echoed key id.
pub fn e2e_clients(env: &[(String, String)]) -> Result<Counts> {
    if let Some((name, _)) = env.iter().find(|(name, _)| !is_env_name(name)) {
        return Err(format!("{name:?} cannot be passed into the Swift chroot: not a shell variable name"));
    }
    let mut counts = xctest_run(&format!("swift test --filter {E2E_TESTS}"), env)?;
    let example = format!(".build/debug/{EXAMPLE_PRODUCT}");
    let outcome = run(&mut swift_in(EXAMPLE, "swift build", &[]))
        .and_then(|()| run_tee(&mut swift_in(EXAMPLE, &example, env)))
        .and_then(|(ok, out)| example_verdict(ok, &out));
    match outcome {
        Ok(()) => counts.passed += 1,
        Err(e) => {
            log(format!("{EXAMPLE}: {e}"));
            counts.failed += 1;
        }
    }
    Ok(counts)
}

/// Whether the example's run shows a request the server verified: a line
/// `200 {"key_id": ...}`.
fn example_verdict(ok: bool, output: &str) -> Result {
    if !ok {
        return Err("the example exited with an error (see the log above)".into());
    }
    if output.lines().any(|line| line.starts_with("200 ") && line.contains("\"key_id\"")) {
        Ok(())
    } else {
        Err("the example did not print a verified 200 answer (see the log above)".into())
    }
}

/// Runs an XCTest command line in the package; counts its results.
fn xctest_run(command_line: &str, env: &[(String, String)]) -> Result<Counts> {
    let (ok, out) = run_tee(&mut swift_in(PACKAGE, command_line, env))?;
    match xctest_counts(&out) {
        Some(counts) => {
            if !ok && counts.failed == 0 {
                // E.g. a crash in a later suite after earlier ones passed.
                log(format!("`{command_line}` failed although no XCTest case failed (see the log above): counted as one failure"));
                return Ok(Counts { failed: 1, ..counts });
            }
            Ok(counts)
        }
        None => Err(if ok {
            format!("`{command_line}` printed no XCTest summary")
        } else {
            format!("`{command_line}` failed before running its tests (see the log above)")
        }),
    }
}

/// The command that runs the swift conformance runner (after `prepare`):
/// cases on stdin, results on stdout.
pub fn runner() -> Result<Command> {
    let binary = package_dir().join(".build").join("debug").join("HmacSigConformance");
    if !binary.is_file() {
        return Err(format!("{} is missing: run the swift prepare step first", binary.display()));
    }
    Ok(swift(".build/debug/HmacSigConformance"))
}

/// Builds the executable `product` of the package with `-c release` (after `prepare`:
/// bindings and library in place) and returns the command that runs it in the chroot
/// with `args` (plain words: letters, digits, `-`, `.`, `_`). For timing: a debug build
/// of the generated bindings would be several times slower and measure nothing real.
pub fn release_product(product: &str, args: &[&str]) -> Result<Command> {
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    if let Some(bad) = std::iter::once(product).chain(args.iter().copied()).find(|w| !word(w)) {
        return Err(format!("{bad:?} cannot be passed to the Swift chroot's shell"));
    }
    run(&mut swift(&format!("swift build -c release --product {product}")))?;
    let binary = package_dir().join(".build").join("release").join(product);
    if !binary.is_file() {
        return Err(format!("swift build -c release did not produce {}", binary.display()));
    }
    Ok(swift(&format!(".build/release/{product} {}", args.join(" "))))
}

/// `cargo xtask dist --test`: type-checks the Swift sources of the package at `dir` (a folder
/// of the repository, e.g. `dist/apple/HmacSig`) against the C module in `headers` (relative
/// to `dir`), with the chroot's `swiftc`: the XCFramework's Swift package compiles without an
/// Apple SDK, as far as the Swift layer goes (Linux Foundation instead of Apple's).
pub fn typecheck(dir: &str, headers: &str) -> Result {
    ensure_chroot()?;
    run(&mut swift_in(dir, &format!("swiftc -typecheck -module-name HmacSig -I {headers} Sources/HmacSig/*.swift"), &[]))
}

/// `swift build` etc. inside the chroot, in the package folder, in a private
/// mount namespace. The chroot's stdin and stdout are the command's: the
/// mounts print nothing to stdout.
fn swift(command_line: &str) -> Command {
    swift_in(PACKAGE, command_line, &[])
}

/// `command_line` inside the chroot, in the folder `dir` of the repository,
/// with a clean environment plus `env` (names that are not shell variable
/// names are left out). The values of `env` travel in the process environment
/// and are named only by reference in the command line, which xtask logs: a
/// secret among them is never printed.
fn swift_in(dir: &str, command_line: &str, env: &[(String, String)]) -> Command {
    let root = chroot_dir();
    let forwarded: String = env.iter().filter(|(name, _)| is_env_name(name)).map(|(name, _)| format!(" {name}=\"${name}\"")).collect();
    let inside = format!(
        "cd {SRC}/{dir} && exec env -i HOME=/root TMPDIR=/tmp LANG=C.UTF-8 \
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         PKG_CONFIG_PATH={SRC}/{PACKAGE}/lib \
         LD_LIBRARY_PATH=/usr/libexec/swift/lib/swift/linux:{SRC}/{PACKAGE}/lib{forwarded} {command_line}"
    );
    // $1: the chroot, $2: the repository, $3: the command inside.
    let script = r#"set -e
mount -t proc proc "$1/proc" >&2
mount --rbind /dev "$1/dev" >&2
mount --bind "$2" "$1/src" >&2
exec chroot "$1" /bin/sh -c "$3""#;
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"]).arg(&root).arg(root_for_mount()).arg(inside);
    cmd.envs(env.iter().filter(|(name, _)| is_env_name(name)).map(|(n, v)| (n, v)));
    cmd
}

/// A name safe to write unquoted in a shell command: letters, digits, `_`, not
/// starting with a digit.
fn is_env_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The repository folder bind-mounted at `/src` (canonical, so symlinks work).
fn root_for_mount() -> PathBuf {
    root().canonicalize().unwrap_or_else(|_| root())
}

/// Makes the trixie chroot with `swiftlang` unless it is already there.
fn ensure_chroot() -> Result {
    let root = chroot_dir();
    if has_swift(&root) {
        return make_mount_point(&root);
    }
    log(format!("no Swift chroot at {}: making one (a few minutes, ~3 GB)", root.display()));
    ensure_program("debootstrap", "debootstrap")?;
    let tmp = PathBuf::from(format!("{}.tmp", root.display()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| format!("removing the unfinished {}: {e}", tmp.display()))?;
    }
    if let Some(parent) = root.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    run(Command::new("debootstrap").args(["--variant=minbase", "trixie"]).arg(&tmp).arg(host_debian_mirror()?))?;
    run(Command::new("chroot").arg(&tmp).args([
        "sh",
        "-c",
        "apt-get update && DEBIAN_FRONTEND=noninteractive \
         apt-get install -y --no-install-recommends swiftlang libc6-dev libstdc++-14-dev && apt-get clean",
    ]))?;
    if !has_swift(&tmp) {
        return Err(format!("{} has no usr/bin/swift after installing swiftlang", tmp.display()));
    }
    if root.exists() {
        // A broken earlier attempt (no usr/bin/swift): replace it.
        std::fs::remove_dir_all(&root).map_err(|e| format!("removing the broken {}: {e}", root.display()))?;
    }
    std::fs::rename(&tmp, &root).map_err(|e| format!("renaming {} to {}: {e}", tmp.display(), root.display()))?;
    log(format!("Swift chroot ready at {}", root.display()));
    make_mount_point(&root)
}

/// The Debian mirror the host's apt already uses (deb822 `URIs:` in
/// `/etc/apt/sources.list.d/*.sources`, or `deb` lines in `/etc/apt/sources.list`):
/// the chroot comes from the same archive, by the same route, as host packages.
pub fn host_debian_mirror() -> Result<String> {
    let mut texts: Vec<String> = std::fs::read_dir("/etc/apt/sources.list.d")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sources"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    texts.extend(std::fs::read_to_string("/etc/apt/sources.list").ok());
    mirror_from_apt_sources(&texts).ok_or_else(|| "no Debian archive in the host's apt sources to debootstrap the Swift chroot from".into())
}

/// The first main-archive URI (not the security archive) in apt source texts.
fn mirror_from_apt_sources(texts: &[String]) -> Option<String> {
    texts
        .iter()
        .flat_map(|text| text.lines())
        .filter_map(|line| {
            let line = line.trim();
            if let Some(uris) = line.strip_prefix("URIs:") {
                return uris.split_whitespace().next();
            }
            let rest = line.strip_prefix("deb ")?.trim_start();
            // Options sit in brackets and may hold spaces: `deb [a=1 b=2] URI suite ...`.
            let rest = if rest.starts_with('[') { &rest[rest.find(']')? + 1..] } else { rest };
            rest.split_whitespace().next()
        })
        .find(|uri| uri.trim_end_matches('/').ends_with("/debian"))
        .map(str::to_owned)
}

/// Whether the chroot at `root` has `usr/bin/swift`. It is an absolute symlink
/// (to `/usr/libexec/swift/bin/swift`), so resolve it inside the chroot.
fn has_swift(root: &Path) -> bool {
    let link = root.join("usr/bin/swift");
    match std::fs::read_link(&link) {
        Ok(target) => match target.strip_prefix("/") {
            Ok(inside) => root.join(inside).is_file(),
            Err(_) => link.parent().is_some_and(|dir| dir.join(&target).is_file()),
        },
        Err(_) => link.is_file(),
    }
}

fn make_mount_point(root: &Path) -> Result {
    let src = root.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("creating {}: {e}", src.display()))
}

/// Copies the generated bindings, the module map and the cdylib into the
/// package, touching only files whose content changed (SwiftPM stays incremental).
fn sync_generated() -> Result {
    let generated = bindings::generated_dir("swift");
    let package = package_dir();
    sync_file(&generated.join("HmacSig.swift"), &package.join("Sources/HmacSig/HmacSig.swift"))?;
    sync_file(&generated.join("HmacSigFFI.h"), &package.join("Sources/HmacSigFFI/HmacSigFFI.h"))?;
    sync_text(MODULE_MAP, &package.join("Sources/HmacSigFFI/module.modulemap"))?;
    sync_text(&pkg_config_text()?, &package.join("lib/hmacsig.pc"))?;
    sync_file(&bindings::cdylib(), &package.join("lib/libhmacsig.so"))
}

/// Writes `text` to `to` unless it already holds exactly that.
fn sync_text(text: &str, to: &Path) -> Result {
    if std::fs::read(to).ok().as_deref() == Some(text.as_bytes()) {
        return Ok(());
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(to, text).map_err(|e| format!("writing {}: {e}", to.display()))
}

/// XCTest's overall result: the last `Executed N tests, with F failures` line
/// (each suite prints one too; "All tests" closes with the total). F counts
/// failed assertions, so the failed tests are the `Test Case '…' failed` lines
/// when there are any.
fn xctest_counts(output: &str) -> Option<Counts> {
    let executed = output.lines().rev().find_map(|line| {
        let executed = number_after(line, "Executed ")?;
        let failures = number_before(line, " failure")?;
        Some((executed, failures))
    });
    let (executed, failures) = executed?;
    let failed_cases = output.lines().filter(|l| l.trim_start().starts_with("Test Case '") && l.contains("' failed (")).count() as u64;
    let failed = if failed_cases > 0 { failed_cases } else { failures }.min(executed);
    Some(Counts { passed: executed - failed, failed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_main_archive_in_apt_sources() {
        let deb822 =
            "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n";
        assert_eq!(mirror_from_apt_sources(&[deb822.into()]).as_deref(), Some("http://mirror.example/debian"));
        let legacy = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://other.example/debian/ bookworm main\n";
        assert_eq!(mirror_from_apt_sources(&[legacy.into()]).as_deref(), Some("http://other.example/debian/"));
        assert_eq!(mirror_from_apt_sources(&["deb http://x.example/debian-security bookworm-security main".into()]), None);
    }

    #[test]
    fn the_pkg_config_file_points_beside_itself() {
        let text = pkg_config_text().unwrap();
        assert!(text.contains("libdir=${pcfiledir}\n"), "{text}");
        assert!(text.contains("\nLibs: -L${libdir} -lhmacsig\n"), "{text}");
        assert!(text.contains(&format!("\nVersion: {}\n", core_version().unwrap())), "{text}");
    }

    #[test]
    fn forwards_env_by_name_only() {
        let env = [("HMACSIG_E2E_SECRET".to_string(), "s3cr3t value".to_string()), ("BAD NAME".to_string(), "x".to_string())];
        let cmd = swift_in(EXAMPLE, "true", &env);
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let inside = args.last().unwrap();
        assert!(inside.contains(r#" HMACSIG_E2E_SECRET="$HMACSIG_E2E_SECRET" true"#), "{inside}");
        assert!(inside.starts_with("cd /src/examples/swift/signed-request && "), "{inside}");
        assert!(!args.iter().any(|a| a.contains("s3cr3t")), "{args:?}");
        assert!(!inside.contains("BAD"), "{inside}");
        let envs: Vec<_> = cmd.get_envs().map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned()))).collect();
        assert_eq!(envs, vec![("HMACSIG_E2E_SECRET".into(), Some("s3cr3t value".into()))]);
        assert!(!is_env_name("1X") && !is_env_name("") && is_env_name("_A1"));
    }

    #[test]
    fn the_example_must_show_a_verified_answer() {
        assert!(example_verdict(true, "200 {\"key_id\": \"e2e-client\"}\n").is_ok());
        assert!(example_verdict(true, "403 bad_signature: ...\n").is_err());
        assert!(example_verdict(true, "not signed: unsupported ...\n").is_err());
        assert!(example_verdict(false, "200 {\"key_id\": \"e2e-client\"}\n").is_err());
    }

    #[test]
    fn reads_the_overall_xctest_line() {
        let out = "Test Suite 'HmacSigTests' passed at ...\n\t Executed 7 tests, with 0 failures (0 unexpected) in 0.01 (0.01) seconds\n\
                   Test Suite 'All tests' failed at ...\n\t Executed 9 tests, with 2 failures (0 unexpected) in 0.02 (0.02) seconds\n";
        assert_eq!(xctest_counts(out), Some(Counts { passed: 7, failed: 2 }));
        assert_eq!(
            xctest_counts("Executed 1 test, with 1 failure (0 unexpected) in 0.0 (0.0) seconds"),
            Some(Counts { passed: 0, failed: 1 })
        );
        assert_eq!(xctest_counts("error: build failed"), None);
        let two_asserts_one_test = "Test Case 'T.a' failed (0.001 seconds)\nTest Case 'T.b' passed (0.001 seconds)\n\t Executed 2 tests, with 2 failures (0 unexpected) in 0.0 (0.0) seconds\n";
        assert_eq!(xctest_counts(two_asserts_one_test), Some(Counts { passed: 1, failed: 1 }));
    }
}
