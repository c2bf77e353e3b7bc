//! The Python artifacts of `cargo xtask dist`: `py3-none-manylinux2014` wheels for x86_64 and
//! aarch64 (glibc 2.17 or newer) and the sdist.
//!
//! maturin builds each wheel with zig as the linker (`--zig --compatibility manylinux2014`) in
//! the `dist` profile and generates the UniFFI module from that unstripped library. The wheel
//! is then unpacked, its library stripped, and packed again (`wheel pack` writes a new
//! `RECORD`). Tagged `cp39-abi3` instead of maturin's `py3-none`: the library is also a
//! CPython extension (`hmacsig._ffi._native`, ADR 0014) that uses only functions of CPython's
//! stable ABI, looked up at import, so one wheel serves every CPython from 3.9, and pip offers
//! it to no other interpreter.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::native::{self, Machine};
use crate::util::{Result, log, root, run, target_dir};

/// A wheel `dist` ships.
pub struct Wheel {
    pub triple: &'static str,
    /// The platform tag its name must carry.
    pub tag: &'static str,
    pub machine: Machine,
}

/// The Python and ABI tags of every wheel (the platform tag is [`Wheel::tag`]).
pub const PYTHON_TAGS: &str = "cp39-abi3";

pub const WHEELS: [Wheel; 2] = [
    Wheel { triple: "x86_64-unknown-linux-gnu", tag: "manylinux2014_x86_64", machine: Machine::X86_64 },
    Wheel { triple: "aarch64-unknown-linux-gnu", tag: "manylinux2014_aarch64", machine: Machine::Aarch64 },
];

fn project() -> PathBuf {
    root().join("bindings").join("python")
}

/// Builds every wheel and the sdist into `out` (`dist/python/`); returns the wheels, in
/// [`WHEELS`]' order.
pub fn build(out: &Path, tools: &std::ffi::OsStr) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let mut wheels = Vec::new();
    for wheel in &WHEELS {
        wheels.push(build_wheel(wheel, out, tools)?);
    }
    sdist(out, tools)?;
    Ok(wheels)
}

fn build_wheel(wheel: &Wheel, out: &Path, tools: &std::ffi::OsStr) -> Result<PathBuf> {
    log(format!("dist: the {} wheel", wheel.tag));
    let work = target_dir().join("dist-work").join("wheels").join(wheel.triple);
    let _ = std::fs::remove_dir_all(&work);
    run(Command::new("maturin")
        .current_dir(project())
        .env("PATH", tools)
        .args(["build", "--quiet", "--profile", "dist", "--zig", "--compatibility", "manylinux2014", "--target", wheel.triple, "--out"])
        .arg(work.join("built")))?;
    let built = only_file(&work.join("built"), ".whl")?;
    // Unpack, strip the library, pack again: `wheel pack` keeps the WHEEL file's tags and
    // writes the RECORD anew for the stripped library.
    let unpacked = work.join("unpacked");
    run(Command::new("python3").env("PATH", tools).args(["-m", "wheel", "unpack", "--dest"]).arg(&unpacked).arg(&built))?;
    let tree = only_entry(&unpacked)?;
    let lib = tree.join("hmacsig").join("_ffi").join("libhmacsig.so");
    native::strip(&lib, &lib)?;
    native::check_machine(&lib, wheel.machine)?;
    retag(&tree, wheel.tag)?;
    for old in files_ending(out, &format!("{}.whl", wheel.tag)) {
        let _ = std::fs::remove_file(old);
    }
    run(Command::new("python3").env("PATH", tools).args(["-m", "wheel", "pack", "--dest-dir"]).arg(out).arg(&tree))?;
    let shipped = files_ending(out, ".whl").into_iter().find(|w| file_name(w).contains(wheel.tag));
    let shipped = shipped.ok_or_else(|| format!("no {} wheel in {}", wheel.tag, out.display()))?;
    if !file_name(&shipped).contains(&format!("-{PYTHON_TAGS}-")) {
        return Err(format!("{} is not tagged {PYTHON_TAGS}", shipped.display()));
    }
    log(format!("dist: {} ({:.0} KiB)", shipped.display(), native::kib(&shipped)));
    Ok(shipped)
}

/// Rewrites the unpacked wheel's tags (maturin writes `py3-none-PLATFORM` for a UniFFI
/// package, once per platform alias: `manylinux2014_x86_64` and `manylinux_2_17_x86_64`) as
/// [`PYTHON_TAGS`]`-PLATFORM`; `wheel pack` names the wheel after them.
fn retag(tree: &Path, platform: &str) -> Result {
    let dist_info = std::fs::read_dir(tree)
        .map_err(|e| format!("reading {}: {e}", tree.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| file_name(p).ends_with(".dist-info"))
        .ok_or_else(|| format!("no .dist-info in {}", tree.display()))?;
    let path = dist_info.join("WHEEL");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let tags: Vec<&str> = text.lines().filter_map(|line| line.strip_prefix("Tag: ")).collect();
    if !tags.contains(&format!("py3-none-{platform}").as_str()) || !tags.iter().all(|tag| tag.starts_with("py3-none-")) {
        return Err(format!("{} should hold py3-none tags, one for {platform}: {text}", path.display()));
    }
    let lines: Vec<String> = text
        .lines()
        .map(|line| match line.strip_prefix("Tag: py3-none-") {
            Some(platform) => format!("Tag: {PYTHON_TAGS}-{platform}"),
            None => line.to_string(),
        })
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").map_err(|e| format!("writing {}: {e}", path.display()))
}

/// `maturin sdist`: the Python sources with the core's crate (what pip builds from where no
/// wheel fits: it needs a Rust toolchain).
fn sdist(out: &Path, tools: &std::ffi::OsStr) -> Result {
    for old in files_ending(out, ".tar.gz") {
        let _ = std::fs::remove_file(old);
    }
    run(Command::new("maturin").current_dir(project()).env("PATH", tools).args(["sdist", "--out"]).arg(out))?;
    only_file(out, ".tar.gz").map(|_| ())
}

pub fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

pub fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file() && file_name(p).ends_with(suffix)).collect();
    files.sort();
    files
}

fn only_file(dir: &Path, suffix: &str) -> Result<PathBuf> {
    match files_ending(dir, suffix).as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!("expected one *{suffix} in {}, found {}", dir.display(), other.len())),
    }
}

fn only_entry(dir: &Path) -> Result<PathBuf> {
    let entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?.flatten().map(|e| e.path()).collect();
    match entries.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!("expected one folder in {}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retag_rewrites_every_tag_and_refuses_anything_else() {
        let tree = std::env::temp_dir().join(format!("hmacsig-retag-{}", std::process::id()));
        let info = tree.join("hmacsig-0.1.0.dist-info");
        std::fs::create_dir_all(&info).unwrap();
        // As maturin writes it: both names of the platform, no newline after the last line.
        let head = "Wheel-Version: 1.0\nGenerator: maturin (1.16.0)\nRoot-Is-Purelib: false\n";
        let maturin = format!("{head}Tag: py3-none-manylinux2014_x86_64\nTag: py3-none-manylinux_2_17_x86_64");
        std::fs::write(info.join("WHEEL"), &maturin).unwrap();
        retag(&tree, "manylinux2014_x86_64").unwrap();
        let text = std::fs::read_to_string(info.join("WHEEL")).unwrap();
        assert_eq!(text, format!("{head}Tag: cp39-abi3-manylinux2014_x86_64\nTag: cp39-abi3-manylinux_2_17_x86_64\n"));
        assert!(retag(&tree, "manylinux2014_x86_64").is_err(), "already retagged");
        std::fs::write(info.join("WHEEL"), &maturin).unwrap();
        assert!(retag(&tree, "manylinux2014_aarch64").is_err(), "another platform");
        std::fs::write(info.join("WHEEL"), format!("{maturin}\nTag: cp311-cp311-manylinux2014_x86_64")).unwrap();
        assert!(retag(&tree, "manylinux2014_x86_64").is_err(), "a tag that is not py3-none");
        std::fs::remove_dir_all(&tree).unwrap();
    }
}
