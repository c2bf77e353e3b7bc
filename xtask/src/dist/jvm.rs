//! The JVM artifacts of `cargo xtask dist`: one jar carrying the core for every platform in
//! [`JAR_NATIVES`], each at the classpath folder JNA loads it from (`linux-x86-64/`,
//! `linux-aarch64/`, `linux-arm/`, `darwin-aarch64/`, `darwin-x86-64/`, `win32-x86-64/`), and
//! its POM.
//!
//! The jar is the one Maven builds for the tests (the Kotlin layer and the generated
//! bindings), with the natives replaced by the stripped `dist` builds: `jar --update` writes
//! each over or beside the host's.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::native::{self, JAR_NATIVES};
use crate::util::{Result, log, root, run, target_dir};

/// Builds `dist/jvm/hmacsig-VERSION.jar` and `.pom`; returns the jar.
pub fn build(out: &Path, version: &str, tools: &std::ffi::OsStr) -> Result<PathBuf> {
    crate::kotlin::prepare()?;
    let maven_jar = root().join("bindings").join("kotlin").join("target").join(format!("hmacsig-{version}.jar"));
    if !maven_jar.is_file() {
        return Err(format!("Maven did not build {} (is pom.xml's version {version}?)", maven_jar.display()));
    }
    let natives = target_dir().join("dist-work").join("jar-natives");
    let _ = std::fs::remove_dir_all(&natives);
    for lib in &JAR_NATIVES {
        let built = native::build_shared(lib, tools)?;
        let shipped = natives.join(lib.jna_prefix).join(lib.file);
        native::strip(&built, &shipped)?;
        native::check_machine(&shipped, lib.machine)?;
    }
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let jar = out.join(format!("hmacsig-{version}.jar"));
    std::fs::copy(&maven_jar, &jar).map_err(|e| format!("copying {}: {e}", maven_jar.display()))?;
    let mut update = Command::new("jar");
    update.arg("--update").arg("--file").arg(&jar);
    for lib in &JAR_NATIVES {
        update.arg("-C").arg(&natives).arg(format!("{}/{}", lib.jna_prefix, lib.file));
    }
    run(&mut update)?;
    let pom = out.join(format!("hmacsig-{version}.pom"));
    std::fs::copy(root().join("bindings").join("kotlin").join("pom.xml"), &pom).map_err(|e| format!("writing {}: {e}", pom.display()))?;
    log(format!("dist: {} ({:.0} KiB)", jar.display(), native::kib(&jar)));
    Ok(jar)
}

/// The natives in `jar`: `(resource path, bytes)` for each `*/libhmacsig.*`, read with
/// `unzip -p` (so the check reads what a user's class loader would).
pub fn natives_in(jar: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let listing = Command::new("jar").arg("--list").arg("--file").arg(jar).output().map_err(|e| format!("jar --list: {e}"))?;
    if !listing.status.success() {
        return Err(format!("jar --list {} failed", jar.display()));
    }
    let mut out = Vec::new();
    for entry in String::from_utf8_lossy(&listing.stdout).lines() {
        let name = entry.rsplit('/').next().unwrap_or_default();
        if name.starts_with("libhmacsig.") || name == "hmacsig.dll" {
            let bytes = Command::new("unzip").arg("-p").arg(jar).arg(entry).output().map_err(|e| format!("unzip: {e}"))?;
            out.push((entry.to_string(), bytes.stdout));
        }
    }
    Ok(out)
}
