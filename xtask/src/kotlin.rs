//! kotlin: set-up, tests and the conformance runner.
//!
//! The Maven project is `bindings/kotlin/`. `prepare` generates the Kotlin bindings,
//! copies the generated `.kt` into `src/main/generated/` and `libhmacsig.so` into
//! `src/main/resources/<jna prefix>/` (both git-ignored, so the jar carries the native
//! library), builds the jar and test classes, and records the runner's dependency
//! classpath in `target/runner.classpath`. The runner then starts `java` directly on
//! the jar (not `target/classes`), the test classes and that classpath.
//! Maven's local repository lives in the shared cache (`util::cache_dir()/m2`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::bindings::{cdylib, generate, generated_dir};
use crate::util::{Counts, Result, cache_dir, log, number_after, root, run, run_tee, sync_file, target_dir};

/// The Maven project.
fn project() -> PathBuf {
    root().join("bindings").join("kotlin")
}

/// Written by Maven's `package` (dependency:build-classpath): the runner's dependencies.
fn classpath_file() -> PathBuf {
    project().join("target").join("runner.classpath")
}

/// Touched after a successful build; newer than every input means nothing to rebuild.
fn stamp_file() -> PathBuf {
    project().join("target").join("xtask-prepared.stamp")
}

/// JNA's `Platform.RESOURCE_PREFIX` for this machine (where it looks for the library on
/// the classpath) and the library's file name.
fn jna_resource() -> (&'static str, &'static str) {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "aarch64") => ("linux-aarch64", "libhmacsig.so"),
        ("macos", "aarch64") => ("darwin-aarch64", "libhmacsig.dylib"),
        ("macos", _) => ("darwin-x86-64", "libhmacsig.dylib"),
        _ => ("linux-x86-64", "libhmacsig.so"),
    }
}

/// Drops cargo's own folders from `LD_LIBRARY_PATH`. `cargo run` (so `cargo xtask`) puts
/// `target/debug/deps` there, and JNA tries `dlopen("libhmacsig.so")` on that path before
/// the classpath resource: tests and the runner would load whatever core cargo last
/// built there (a debug build, maybe stale) instead of the jar's.
fn without_cargo_library_path(cmd: &mut Command) -> &mut Command {
    let Some(paths) = std::env::var_os("LD_LIBRARY_PATH") else { return cmd };
    let target = target_dir();
    let kept: Vec<PathBuf> = std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty() && !p.starts_with(&target)).collect();
    if kept.is_empty() {
        cmd.env_remove("LD_LIBRARY_PATH")
    } else {
        cmd.env("LD_LIBRARY_PATH", std::env::join_paths(kept).unwrap_or_default())
    }
}

/// `mvn -B` in the project, with Maven's repository in the shared cache.
fn mvn() -> Command {
    let mut cmd = Command::new("mvn");
    without_cargo_library_path(&mut cmd);
    cmd.current_dir(project()).args(["-B", "--no-transfer-progress", "-Dstyle.color=never"]);
    let repo = cache_dir().join("m2");
    if std::fs::create_dir_all(&repo).is_ok() {
        cmd.arg(format!("-Dmaven.repo.local={}", repo.display()));
    }
    cmd
}

/// Every file under `dir` (recursively); with `dirs`, the folders too (`dir` included).
fn walk(dir: &Path, dirs: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        if dirs {
            out.push(d.clone());
        }
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    walk(dir, false)
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The built jar (`target/hmacsig-<version>.jar`).
fn jar() -> Option<PathBuf> {
    std::fs::read_dir(project().join("target")).ok()?.flatten().map(|e| e.path()).find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("hmacsig-") && n.ends_with(".jar") && !n.ends_with("-sources.jar") && !n.ends_with("-tests.jar"))
    })
}

/// Whether the last build is newer than the pom and every source (and every source
/// folder, whose mtime changes when a file is removed or renamed), and its outputs
/// (jar, test classes, the dependencies on the classpath) are all still there.
fn up_to_date() -> bool {
    let Some(stamp) = mtime(&stamp_file()) else { return false };
    let p = project();
    let mut inputs = walk(&p.join("src"), true);
    inputs.push(p.join("pom.xml"));
    if inputs.iter().any(|f| mtime(f).is_none_or(|t| t > stamp)) {
        return false;
    }
    let Ok(cp) = std::fs::read_to_string(classpath_file()) else { return false };
    jar().is_some()
        && p.join("target").join("test-classes").join("dev").join("hmacsig").join("conformance").is_dir()
        && cp.trim().split(':').filter(|e| !e.is_empty()).all(|e| Path::new(e).exists())
}

/// Generates the bindings, syncs them and the cdylib into the Maven tree, builds the jar
/// and the test classes, and writes the runner's classpath. Idempotent; Maven is skipped
/// when nothing changed since its last successful build.
pub fn prepare() -> Result {
    if !crate::util::have("mvn") || !crate::util::have("java") {
        return Err("kotlin needs a JDK (java, 17+) and Maven (mvn) on PATH".into());
    }
    generate(&["kotlin"])?;

    // Generated Kotlin: mirror target/bindings/kotlin into src/main/generated.
    let from = generated_dir("kotlin");
    let to = project().join("src").join("main").join("generated");
    let generated = files_under(&from);
    if !generated.iter().any(|f| f.extension().is_some_and(|e| e == "kt")) {
        return Err(format!("no generated Kotlin in {}", from.display()));
    }
    for f in &generated {
        let rel = f.strip_prefix(&from).map_err(|e| e.to_string())?;
        sync_file(f, &to.join(rel))?;
    }
    for stale in files_under(&to) {
        let rel = stale.strip_prefix(&to).map_err(|e| e.to_string())?;
        if !from.join(rel).exists() {
            std::fs::remove_file(&stale).map_err(|e| format!("removing {}: {e}", stale.display()))?;
        }
    }

    // The native library as a classpath resource, where JNA looks for it.
    let (prefix, lib) = jna_resource();
    sync_file(&cdylib(), &project().join("src").join("main").join("resources").join(prefix).join(lib))?;

    if up_to_date() {
        log("kotlin: jar, test classes and runner classpath are up to date");
        return Ok(());
    }
    let _ = std::fs::remove_file(stamp_file());
    // `package` compiles main and test sources, builds the jar and (pom.xml) writes
    // target/runner.classpath; tests run in `test()`. `clean` first: the Kotlin plugin
    // recompiles everything anyway, and it never removes the classes of deleted sources.
    run(mvn().args(["-q", "clean", "package", "-DskipTests"]))?;
    if jar().is_none() || !classpath_file().is_file() {
        return Err("mvn package did not produce the jar and target/runner.classpath".into());
    }
    std::fs::write(stamp_file(), b"").map_err(|e| format!("writing {}: {e}", stamp_file().display()))?;
    Ok(())
}

/// `mvn test`; counts from surefire's closing summary.
pub fn test() -> Result<Counts> {
    let (ok, out) = run_tee(mvn().arg("test"))?;
    // Per-class lines carry "Time elapsed"; the closing summary (one per surefire run,
    // after "Results:") does not. Take the last summary only.
    let summary = out.lines().rfind(|l| l.contains("Tests run:") && l.contains("Failures:") && !l.contains("Time elapsed"));
    let Some(line) = summary else {
        return if ok { Ok(Counts::default()) } else { Err("mvn test failed before running its tests".into()) };
    };
    let n = |word| number_after(line, word).ok_or_else(|| format!("cannot read {word:?} in surefire's summary {line:?}"));
    let (run_, failures, errors, skipped) = (n("Tests run:")?, n("Failures:")?, n("Errors:")?, n("Skipped:")?);
    let counts = Counts { passed: run_.saturating_sub(failures + errors + skipped), failed: failures + errors };
    if !ok && counts.failed == 0 {
        return Err("mvn test failed after its tests passed (see the log above)".into());
    }
    Ok(counts)
}

/// `java` on the jar (which carries the native library), the test classes and the
/// dependencies: `dev.hmacsig.conformance.RunnerKt`, cases on stdin, results on stdout.
pub fn runner() -> Result<Command> {
    let jar = jar().ok_or("no hmacsig jar in bindings/kotlin/target: run prepare first")?;
    let deps = std::fs::read_to_string(classpath_file()).map_err(|e| format!("reading {}: {e}", classpath_file().display()))?;
    let mut cp = std::ffi::OsString::from(jar.as_os_str());
    cp.push(":");
    cp.push(project().join("target").join("test-classes").as_os_str());
    let deps = deps.trim();
    if !deps.is_empty() {
        cp.push(":");
        cp.push(deps);
    }
    let mut cmd = Command::new("java");
    without_cargo_library_path(&mut cmd);
    // A short-lived process: quick start-up matters more than peak JIT.
    cmd.args(["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp"]).arg(cp).arg("dev.hmacsig.conformance.RunnerKt");
    Ok(cmd)
}
