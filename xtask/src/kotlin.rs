//! kotlin: set-up, tests and the conformance runner.
//!
//! The Maven project is `bindings/kotlin/`. `prepare` generates the Kotlin bindings,
//! copies the generated `.kt` into `src/main/generated/` and `libhmacsig.so` into
//! `src/main/resources/<jna prefix>/` (both git-ignored, so the jar carries the native
//! library), builds the jar and test classes, and records the runner's dependency
//! classpath in `target/runner.classpath`. The runner then starts `java` directly on
//! the jar (not `target/classes`), the test classes and that classpath.
//! Maven's local repository lives in the shared cache (`util::cache_dir()/m2`).
//!
//! `test` also runs the OkHttp example (`examples/kotlin/`, compiled with the test classes)
//! on the jar and its runtime dependencies alone, with no library path: the proof that the
//! jar carries the native library. `e2e_server` and `e2e_clients` are the Kotlin side of
//! the end-to-end phase (`tests/e2e/README.md`).

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::bindings::{cdylib, generate, generated_dir};
use crate::util::{Counts, Result, cache_dir, log, number_after, number_before, root, run, run_tee, sync_file, target_dir};

/// The Maven project.
pub fn project() -> PathBuf {
    root().join("bindings").join("kotlin")
}

/// Written by Maven's `package` (dependency:build-classpath): the runner's dependencies.
fn classpath_file() -> PathBuf {
    project().join("target").join("runner.classpath")
}

/// Written by Maven's `package` too: what a user of the jar gets (kotlin-stdlib, JNA, OkHttp).
fn runtime_classpath_file() -> PathBuf {
    project().join("target").join("runtime.classpath")
}

/// The OkHttp example, compiled with the test classes (pom.xml).
fn example_dir() -> PathBuf {
    root().join("examples").join("kotlin")
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
pub fn mvn() -> Command {
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

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
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
    inputs.extend(walk(&example_dir(), true));
    inputs.push(p.join("pom.xml"));
    if inputs.iter().any(|f| mtime(f).is_none_or(|t| t > stamp)) {
        return false;
    }
    let all_exist = |file: PathBuf| {
        std::fs::read_to_string(file).is_ok_and(|cp| cp.trim().split(':').filter(|e| !e.is_empty()).all(|e| Path::new(e).exists()))
    };
    jar().is_some()
        && p.join("target").join("test-classes").join("dev").join("hmacsig").join("conformance").is_dir()
        && all_exist(classpath_file())
        && all_exist(runtime_classpath_file())
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
    if jar().is_none() || !classpath_file().is_file() || !runtime_classpath_file().is_file() {
        return Err("mvn package did not produce the jar, target/runner.classpath and target/runtime.classpath".into());
    }
    std::fs::write(stamp_file(), b"").map_err(|e| format!("writing {}: {e}", stamp_file().display()))?;
    Ok(())
}

/// `mvn test` (counts from surefire's closing summary), then the example on the jar alone.
pub fn test() -> Result<Counts> {
    let mut counts = surefire()?;
    match example_on_jar_only() {
        Ok(()) => {
            log("kotlin: the OkHttp example ran on the jar alone (native library from the jar): passed");
            counts.passed += 1;
        }
        Err(e) => {
            log(format!("kotlin: the OkHttp example on the jar alone: FAILED: {e}"));
            counts.failed += 1;
        }
    }
    Ok(counts)
}

/// `mvn test`; counts from surefire's closing summary.
fn surefire() -> Result<Counts> {
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

/// The jar (which carries the native library), the test classes (with the example) and
/// the dependencies listed in `deps_file`, as a class path.
fn class_path(deps_file: &Path) -> Result<std::ffi::OsString> {
    let jar = jar().ok_or("no hmacsig jar in bindings/kotlin/target: run prepare first")?;
    class_path_with(&jar, deps_file)
}

/// `jar`, the test classes and the dependencies listed in `deps_file`, as a class path.
fn class_path_with(jar: &Path, deps_file: &Path) -> Result<std::ffi::OsString> {
    let deps = std::fs::read_to_string(deps_file).map_err(|e| format!("reading {}: {e}", deps_file.display()))?;
    let mut cp = std::ffi::OsString::from(jar.as_os_str());
    cp.push(":");
    cp.push(project().join("target").join("test-classes").as_os_str());
    let deps = deps.trim();
    if !deps.is_empty() {
        cp.push(":");
        cp.push(deps);
    }
    Ok(cp)
}

/// `java` on the jar, the test classes and every test dependency, to run `main_class`.
/// Short-lived processes: quick start-up matters more than peak JIT.
fn java_on_test_classpath(main_class: &str) -> Result<Command> {
    let mut cmd = Command::new("java");
    without_cargo_library_path(&mut cmd);
    cmd.args(["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp"]).arg(class_path(&classpath_file())?).arg(main_class);
    Ok(cmd)
}

/// `java` on the same class path to run `main_class` for timing (after `prepare`): the
/// full tiered JIT (C2), unlike the short-lived runner's C1 only; serial GC so no GC
/// threads compete with the timed thread on a 2-core machine.
pub fn java_for_bench(main_class: &str) -> Result<Command> {
    let mut cmd = Command::new("java");
    without_cargo_library_path(&mut cmd);
    cmd.args(["-XX:+UseSerialGC", "-cp"]).arg(class_path(&classpath_file())?).arg(main_class);
    Ok(cmd)
}

/// `java` on the jar (which carries the native library), the test classes and the
/// dependencies: `dev.hmacsig.conformance.RunnerKt`, cases on stdin, results on stdout.
pub fn runner() -> Result<Command> {
    java_on_test_classpath("dev.hmacsig.conformance.RunnerKt")
}

/// The Kotlin verifying server of the end-to-end phase on 127.0.0.1:`port`
/// (`bindings/kotlin/src/test/kotlin/dev/hmacsig/e2e/E2eServer.kt`); the caller sets
/// `HMACSIG_E2E_KEY_ID` and `HMACSIG_E2E_SECRET`. It prints `listening on URL` once up.
pub fn e2e_server(port: u16) -> Result<Command> {
    let mut cmd = java_on_test_classpath("dev.hmacsig.e2e.E2eServer")?;
    cmd.arg(port.to_string());
    Ok(cmd)
}

/// The Kotlin client suite of the end-to-end phase (`dev.hmacsig.e2e.EndToEndTest`: OkHttp
/// and `HmacSigInterceptor`) with the servers' environment `env`, through the JUnit
/// Platform console launcher on the prepared classes (no Maven, no compiling); counts from
/// the launcher's summary.
pub fn e2e_clients(env: &[(String, String)]) -> Result<Counts> {
    let mut cmd = java_on_test_classpath("org.junit.platform.console.ConsoleLauncher")?;
    cmd.envs(env.iter().map(|(k, v)| (k, v))).args([
        "execute",
        "--disable-banner",
        "--disable-ansi-colors",
        "--details=tree",
        "--fail-if-no-tests",
        "--select-class=dev.hmacsig.e2e.EndToEndTest",
    ]);
    let (ok, out) = run_tee(&mut cmd)?;
    let counts = launcher_counts(&out).ok_or("the JUnit console launcher printed no summary (see the log above)")?;
    if !ok && counts.failed == 0 {
        return Err("the JUnit console launcher failed after its tests passed (see the log above)".into());
    }
    Ok(counts)
}

/// Counts from the console launcher's closing summary (`[  7 tests successful  ]`, ...).
/// A test aborted (an assumption failed: a skip) and a container that failed (a class that
/// could not even start its tests) count as failures: the suite never skips.
fn launcher_counts(out: &str) -> Option<Counts> {
    // The summary is last; a test's name could contain the same words.
    let count = |what: &str| out.lines().rev().find(|l| l.contains(what)).and_then(|l| number_before(l, what));
    let passed = count("tests successful")?;
    let failed = count("tests failed")? + count("tests aborted").unwrap_or(0) + count("containers failed").unwrap_or(0);
    Some(Counts { passed, failed })
}

/// Runs the OkHttp example with nothing but the jar, its runtime dependencies (the
/// `runtime.classpath` a user of the jar has: kotlin-stdlib, JNA, OkHttp) and the example's
/// classes, with no `LD_LIBRARY_PATH` and no `jna.library.path`, against the Kotlin e2e
/// server; passes when the signed call verifies and JNA says it loaded the library from the jar.
fn example_on_jar_only() -> Result {
    const KEY_ID: &str = "example-client";
    // A throwaway key, for this loopback check only.
    const SECRET: &str = "kotlin-example-loopback-secret";
    let mut server = e2e_server(0)?
        .env("HMACSIG_E2E_KEY_ID", KEY_ID)
        .env("HMACSIG_E2E_SECRET", SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the Kotlin e2e server: {e}"))?;
    let result = (|| {
        let mut first = String::new();
        let stdout = server.stdout.take().ok_or("no stdout from the Kotlin e2e server")?;
        std::io::BufReader::new(stdout).read_line(&mut first).map_err(|e| e.to_string())?;
        let url = first.trim().strip_prefix("listening on ").ok_or_else(|| format!("the Kotlin e2e server did not start: {first:?}"))?;

        let jar = jar().ok_or("no hmacsig jar")?;
        let mut example = Command::new("java");
        example
            .env_remove("LD_LIBRARY_PATH")
            .env("HMACSIG_KEY_ID", KEY_ID)
            .env("HMACSIG_SECRET", SECRET)
            .arg("-Djna.debug_load=true")
            .arg("-cp")
            .arg(class_path(&runtime_classpath_file())?)
            .args(["dev.hmacsig.examples.SignedOkHttpCall", url]);
        log(format!(
            "$ java -Djna.debug_load=true -cp <the jar, the example, runtime.classpath> dev.hmacsig.examples.SignedOkHttpCall {url}"
        ));
        let out = example.output().map_err(|e| format!("cannot start java: {e}"))?;
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let Some(answer) = stdout.lines().find(|l| l.starts_with("200 ") && l.contains(KEY_ID)).filter(|_| out.status.success()) else {
            return Err(format!("the example's signed call did not get a verified 200 ({}):\n{stdout}{stderr}", out.status));
        };
        // JNA's debug log names where it found the library: the jar, not a folder.
        let resource = format!("{}!/{}/{}", jar.display(), jna_resource().0, jna_resource().1);
        let Some(found) = stderr.lines().find(|l| l.contains("Found library resource at") && l.contains(jna_resource().1)) else {
            return Err(format!("JNA did not load the library from a classpath resource:\n{stderr}"));
        };
        if !found.ends_with(&resource) {
            return Err(format!("JNA loaded the library from elsewhere than the jar: {found}"));
        }
        log(format!("kotlin: {answer}"));
        log(format!("kotlin: JNA: {}", found.trim_start_matches("INFO: ")));
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    result
}

/// `cargo xtask dist --test`: the conformance runner on `jar` (the shipped jar, not Maven's)
/// with the smoke cases, under `-Djna.debug_load=true`: every case answered, and JNA names the
/// library it loaded as the jar's own resource `resource` (`linux-x86-64/libhmacsig.so`).
/// `java`: the command that starts the JVM (`java`, or an arm64 JDK under qemu). Returns the
/// runner's results.
pub fn load_from_jar(jar: &Path, cmd: Command, resource: &str) -> Result<serde_json::Value> {
    smoke_on(jar, cmd, &format!("{}!/{resource}", jar.display()))
}

/// Maven's jar of the main classes (with the host's core as a resource), built by [`prepare`].
pub fn maven_jar() -> Result<PathBuf> {
    prepare()?;
    jar().ok_or_else(|| format!("Maven built no jar in {}", project().join("target").display()))
}

/// The conformance runner on `classes` (a jar of the main classes), the test classes and their
/// dependencies, with the smoke cases, under `-Djna.debug_load=true`: every case answered, and
/// JNA's "Found library" line ends with `loaded_from` (a jar's resource or a file). Returns the
/// runner's results.
pub fn smoke_on(jar: &Path, mut cmd: Command, loaded_from: &str) -> Result<serde_json::Value> {
    prepare()?;
    let cases_path = crate::util::root().join("tests").join("conformance").join("smoke-cases.json");
    let cases = std::fs::read(&cases_path).map_err(|e| format!("reading {}: {e}", cases_path.display()))?;
    let expected: serde_json::Value = serde_json::from_slice(&cases).map_err(|e| format!("{}: {e}", cases_path.display()))?;
    without_cargo_library_path(&mut cmd);
    cmd.arg("-Djna.debug_load=true").arg("-cp").arg(class_path_with(jar, &classpath_file())?).arg("dev.hmacsig.conformance.RunnerKt");
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start java: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &cases));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let results: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("the runner on {} printed no JSON ({e}):\n{stderr}", jar.display()))?;
    let (got, want) = (results.as_array().map_or(0, Vec::len), expected.as_array().map_or(0, Vec::len));
    if !out.status.success() || got != want || got == 0 {
        return Err(format!("the runner on {} answered {got} of {want} cases ({}):\n{stderr}", jar.display(), out.status));
    }
    match stderr.lines().find(|l| l.contains("Found library") && l.contains("libhmacsig")) {
        Some(found) if found.ends_with(loaded_from) => {
            log(format!(
                "dist --test: the runner on {} answered {got} cases; JNA: {}",
                jar.file_name().unwrap_or_default().to_string_lossy(),
                found.trim_start_matches("INFO: ")
            ));
            Ok(results)
        }
        other => Err(format!("JNA did not load the library from {loaded_from}: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_console_launchers_summary() {
        let out = "\
      ├─ a signed POST verifies, 9 tests failed before () ✔
Test run finished after 944 ms
[         2 containers found      ]
[         1 containers failed     ]
[         7 tests found           ]
[         1 tests aborted         ]
[         5 tests successful      ]
[         1 tests failed          ]
";
        assert_eq!(launcher_counts(out), Some(Counts { passed: 5, failed: 3 }));
        assert_eq!(launcher_counts("Exception in thread main"), None);
    }
}
