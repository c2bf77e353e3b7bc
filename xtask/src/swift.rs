//! swift: set-up, tests and the conformance runner.
//!
//! The host has no Swift toolchain, so Swift runs in a Debian trixie chroot
//! holding `swiftlang` (`shared/notes/swift-on-linux.md`), kept in
//! `cache_dir()/swift-trixie` and made on first use. Every Swift command runs
//! in a private mount namespace (`unshare --mount`): `/proc`, `/dev` and the
//! repository (at `/src`) are mounted inside the chroot only for the life of
//! that command, so nothing stays mounted on the host.
//!
//! The package is `bindings/swift/`; xtask copies the generated bindings and
//! `libhmacsig.so` into it (git-ignored) before `swift build`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bindings;
use crate::util::{Counts, Result, have, log, number_after, number_before, root, run, run_tee, sync_file};

/// The package folder, relative to the repository root (= to `/src` in the chroot).
const PACKAGE: &str = "bindings/swift";

/// Where the repository is mounted inside the chroot.
const SRC: &str = "/src";

/// The module map of the `.systemLibrary` target. The generated
/// `HmacSigFFI.modulemap` has no `link` line; this one makes every client of
/// the module link `libhmacsig.so`.
const MODULE_MAP: &str = "module HmacSigFFI {\n    header \"HmacSigFFI.h\"\n    link \"hmacsig\"\n    export *\n}\n";

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

/// Runs the swift test suite (after `prepare`).
pub fn test() -> Result<Counts> {
    let (ok, out) = run_tee(&mut swift("swift test"))?;
    match xctest_counts(&out) {
        Some(counts) => {
            if !ok && counts.failed == 0 {
                // E.g. a crash in a later suite after earlier ones passed.
                log("swift test failed although no XCTest case failed (see the log above): counted as one failure");
                return Ok(Counts { failed: 1, ..counts });
            }
            Ok(counts)
        }
        None => Err(if ok {
            "swift test printed no XCTest summary".into()
        } else {
            "swift test failed before running its tests (see the log above)".into()
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

/// `swift build` etc. inside the chroot, in the package folder, in a private
/// mount namespace. The chroot's stdin and stdout are the command's: the
/// mounts print nothing to stdout.
fn swift(command_line: &str) -> Command {
    let root = chroot_dir();
    let inside = format!(
        "cd {SRC}/{PACKAGE} && exec env -i HOME=/root TMPDIR=/tmp LANG=C.UTF-8 \
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         LD_LIBRARY_PATH=/usr/libexec/swift/lib/swift/linux:{SRC}/{PACKAGE}/lib {command_line}"
    );
    // $1: the chroot, $2: the repository, $3: the command inside.
    let script = r#"set -e
mount -t proc proc "$1/proc" >&2
mount --rbind /dev "$1/dev" >&2
mount --bind "$2" "$1/src" >&2
exec chroot "$1" /bin/sh -c "$3""#;
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"]).arg(&root).arg(root_for_mount()).arg(inside);
    cmd
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
    if !have("debootstrap") {
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get").args(["install", "-y", "debootstrap"]).env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
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
fn host_debian_mirror() -> Result<String> {
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
