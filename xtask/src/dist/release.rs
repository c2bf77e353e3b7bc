//! One version everywhere: the workspace `Cargo.toml`'s `[workspace.package] version` is the
//! version of every package. `cargo xtask release-check` checks that each package that states
//! a version of its own states that one (the Maven POM, the npm package, the CHANGELOG's newest
//! entry; the wheel and the crates take it from Cargo), and that `dist/` holds every artifact
//! of that version.

use std::path::Path;

use super::native::{self, JAR_NATIVES};
use super::python::{WHEELS, file_name, files_ending};
use crate::util::{Result, log, root};

/// `[workspace.package] version` of the workspace `Cargo.toml`.
pub fn workspace_version() -> Result<String> {
    let text = read(&root().join("Cargo.toml"))?;
    let section = text.split("[workspace.package]").nth(1).ok_or("Cargo.toml has no [workspace.package]")?;
    let section = section.split("\n[").next().unwrap_or_default();
    quoted_after(section, "version").ok_or_else(|| "[workspace.package] has no version".to_string())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

/// The first `"…"` after `key =` at the start of a line of `text`.
fn quoted_after(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix(key)?.trim_start().strip_prefix('=')?.trim_start().strip_prefix('"')?;
        Some(rest.split('"').next()?.to_string())
    })
}

/// Each package's own statement of its version: `(where, version)`.
fn stated_versions() -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let pom = read(&root().join("bindings/kotlin/pom.xml"))?;
    // The project's own <version>: the first one after its <artifactId>hmacsig</artifactId>.
    let after = pom.split("<artifactId>hmacsig</artifactId>").nth(1).ok_or("pom.xml names no artifact hmacsig")?;
    let pom_version = after.split("<version>").nth(1).and_then(|v| v.split("</version>").next()).ok_or("pom.xml has no <version>")?;
    out.push(("bindings/kotlin/pom.xml".to_string(), pom_version.trim().to_string()));
    let npm = read(&root().join("bindings/wasm/js/package.json"))?;
    let npm_version = npm.split("\"version\"").nth(1).and_then(|v| v.split('"').nth(1)).ok_or("package.json has no version")?;
    out.push(("bindings/wasm/js/package.json".to_string(), npm_version.to_string()));
    let changelog = read(&root().join("CHANGELOG.md"))?;
    let newest = changelog.lines().find(|l| l.starts_with("## ")).ok_or("CHANGELOG.md has no `## VERSION` entry")?;
    let newest = newest.trim_start_matches("## ").trim_start_matches('[').split([']', ' ']).next().unwrap_or_default();
    out.push(("CHANGELOG.md (newest entry)".to_string(), newest.to_string()));
    for member in ["core", "bindings/cli", "bindings/tower", "bindings/wasm"] {
        let manifest = read(&root().join(member).join("Cargo.toml"))?;
        if !manifest.contains("version.workspace = true") {
            let own = quoted_after(&manifest, "version").unwrap_or_default();
            out.push((format!("{member}/Cargo.toml"), own));
        }
    }
    Ok(out)
}

/// The artifacts `dist/` must hold for `version`.
fn expected_artifacts(version: &str) -> Vec<String> {
    let mut files: Vec<String> = WHEELS.iter().map(|w| format!("python/hmacsig-{version}-{}-{}.whl", super::python::PYTHON_TAGS, w.tag)).collect();
    files.push(format!("python/hmacsig-{version}.tar.gz"));
    files.push(format!("jvm/hmacsig-{version}.jar"));
    files.push(format!("jvm/hmacsig-{version}.pom"));
    files.extend(super::mobile::ANDROID_ABIS.iter().map(|a| format!("android/{}/libhmacsig.a", a.abi)));
    files.push("android/classes.jar".to_string());
    files.push("apple/HmacSigFFI.xcframework/Info.plist".to_string());
    files.push("apple/HmacSig/Package.swift".to_string());
    files
}

/// Every stated version is the workspace's.
pub fn versions_agree() -> Result {
    let problems = version_problems(&workspace_version()?)?;
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

fn version_problems(version: &str) -> Result<Vec<String>> {
    Ok(stated_versions()?
        .into_iter()
        .filter(|(_, stated)| stated != version)
        .map(|(place, stated)| format!("{place} says {stated:?}, the workspace {version:?}"))
        .collect())
}

pub fn run() -> Result {
    let version = workspace_version()?;
    let mut problems = version_problems(&version)?;
    let dist = super::dist_dir();
    for file in expected_artifacts(&version) {
        // A wheel's name may carry more tags after the one we ask for (manylinux_2_17 aliases).
        let present = match file.strip_suffix(".whl") {
            Some(stem) => {
                let (dir, name) = stem.split_once('/').unwrap_or(("", stem));
                files_ending(&dist.join(dir), ".whl").iter().any(|w| file_name(w).starts_with(name))
            }
            None => dist.join(&file).is_file(),
        };
        if !present {
            problems.push(format!("dist/{file} is missing (cargo xtask dist)"));
        }
    }
    let jar = dist.join("jvm").join(format!("hmacsig-{version}.jar"));
    if jar.is_file() {
        let natives = super::jvm::natives_in(&jar)?;
        for lib in &JAR_NATIVES {
            let path = format!("{}/{}", lib.jna_prefix, lib.file);
            match natives.iter().find(|(name, _)| *name == path) {
                Some((_, bytes)) if native::machine(bytes) == Some(lib.machine) => {}
                Some(_) => problems.push(format!("the jar's {path} is not for {}", lib.machine.name())),
                None => problems.push(format!("the jar has no {path}")),
            }
        }
    }
    if problems.is_empty() {
        log(format!("release-check: hmacsig {version}: every version agrees and dist/ is complete"));
        Ok(())
    } else {
        Err(format!("release-check found {} problem(s):\n  {}", problems.len(), problems.join("\n  ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_states_one_version() {
        let version = workspace_version().unwrap();
        for (place, stated) in stated_versions().unwrap() {
            assert_eq!(stated, version, "{place}");
        }
    }

    #[test]
    fn reads_a_quoted_value_after_its_key() {
        assert_eq!(quoted_after("edition = \"2024\"\nversion = \"1.2.3\"", "version").as_deref(), Some("1.2.3"));
        assert_eq!(quoted_after("rust-version = \"1.88\"", "version"), None);
    }
}
