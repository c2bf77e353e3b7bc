//! Builds the core cdylib and generates the Python, Kotlin and Swift bindings
//! from it (library mode, unstripped `.so`). Output: `target/bindings/<lang>/`.
//! Generated code is never committed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Result, log, root, run, target_dir};

/// The release cdylib every binding loads.
pub fn cdylib() -> PathBuf {
    target_dir().join("release").join("libhmacsig.so")
}

pub fn generated_dir(lang: &str) -> PathBuf {
    target_dir().join("bindings").join(lang)
}

/// `cargo build --release -p hmacsig` (incremental: a no-op when up to date).
pub fn build_core() -> Result {
    run(Command::new("cargo").current_dir(root()).args(["build", "--release", "-p", "hmacsig", "--lib"]))
}

/// Builds the core and generates bindings for `langs` (python, kotlin, swift).
pub fn generate(langs: &[&str]) -> Result {
    build_core()?;
    for lang in langs {
        generate_from(&cdylib(), lang, &generated_dir(lang))?;
    }
    Ok(())
}

/// Generates `lang` bindings into `out` (emptied first) from `library`: an unstripped cdylib,
/// or a static library (`cargo xtask dist` makes the mobile bindings from the client-only
/// static library, so they name no server function).
pub fn generate_from(library: &Path, lang: &str, out: &Path) -> Result {
    // The bindgen builds in the dev profile: it is slow to build and never ships.
    run(Command::new("cargo").current_dir(root()).args(["build", "--quiet", "-p", "uniffi-bindgen"]))?;
    let bindgen = target_dir().join("debug").join("uniffi-bindgen");
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    run(Command::new(&bindgen).current_dir(root()).args(["generate", "--no-format", "-l", lang, "-o"]).arg(out).arg(library))?;
    log(format!("{lang} bindings in {}", out.display()));
    Ok(())
}
