//! Rust: what the `hmacsig` crate exports from `core/src/lib.rs` (`pub use`
//! and `pub mod`), each exported function's signature, each exported type's
//! public fields, variants and inherent methods (from every `impl Type` block
//! in `core/src`, attributes such as `#[uniffi::export]` included), and the
//! public items of the public modules. `#![deny(missing_docs)]` in the crate
//! makes each of them documented; this dump makes each of them deliberate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::Result;

/// The exported names of `lib.rs`: `name -> module path`, and the public modules.
fn exports(lib: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut names = BTreeMap::new();
    let mut modules = Vec::new();
    let flat = lib.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    for statement in flat.split(';') {
        let statement = statement.trim();
        if let Some(module) = statement.strip_prefix("pub mod ") {
            modules.push(module.trim().to_owned());
        } else if let Some(path) = statement.rsplit("pub use ").next().filter(|_| statement.contains("pub use ")) {
            let path = path.trim();
            match path.split_once("::{") {
                Some((module, list)) => {
                    for name in list.trim_end_matches('}').split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        names.insert(name.to_owned(), module.to_owned());
                    }
                }
                None => {
                    if let Some((module, name)) = path.rsplit_once("::") {
                        names.insert(name.to_owned(), module.to_owned());
                    }
                }
            }
        }
    }
    (names, modules)
}

/// Every `.rs` file under `dir`, sorted.
fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| format!("reading {}: {e}", d.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A declaration that may span lines, up to its body or its end, whitespace folded.
fn declaration(lines: &[&str], start: usize) -> String {
    let mut text = String::new();
    for line in &lines[start..] {
        let line = line.split("//").next().unwrap_or_default();
        text.push(' ');
        text.push_str(line.trim());
        if line.contains('{')
            || line.trim_end().ends_with(';')
            || line.trim_end().ends_with(',') && text.contains(':') && !text.contains('(')
        {
            break;
        }
    }
    let text = text.split('{').next().unwrap_or_default().trim().trim_end_matches([';', ',']).to_owned();
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace("( ", "(").replace(" )", ")").replace(",)", ")")
}

/// The public API of the crate whose sources are `src`.
pub(super) fn rust_api(src: &Path) -> Result<Vec<String>> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).map_err(|e| format!("reading lib.rs: {e}"))?;
    let (names, modules) = exports(&lib);
    let mut out = BTreeSet::new();
    for module in &modules {
        out.insert(format!("mod hmacsig::{module}"));
    }
    for file in files(src)? {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let rel = file.strip_prefix(src).unwrap_or(&file).with_extension("");
        let module = rel.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
        // `schemes::aws_sigv4::sign` for core/src/schemes/aws_sigv4/sign.rs.
        let path_of_file =
            rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).filter(|c| c != "mod").collect::<Vec<_>>().join("::");
        let exported_here = |name: &str| names.get(name).is_some_and(|m| path_of_file == *m || path_of_file.starts_with(&format!("{m}::")));
        let lines: Vec<&str> = text.lines().collect();
        let mut depth = 0i32;
        // The exported type whose item (impl, struct or enum) is open, and its depth.
        let mut open: Option<(String, i32, &str)> = None;
        for (i, raw) in lines.iter().enumerate() {
            let line = raw.trim();
            let inline_tests = lines.get(i + 1).is_some_and(|next| next.trim_start().starts_with("mod ") && next.trim_end().ends_with('{'));
            if line.starts_with("#[cfg(test)]") && depth == 0 && inline_tests {
                break; // inline unit tests sit at the end of a file
            }
            if depth == 0 {
                let words: Vec<&str> = line.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
                let item = match words.as_slice() {
                    ["pub", kind @ ("struct" | "enum" | "trait" | "fn" | "type" | "const"), name, ..] => Some((*kind, *name)),
                    ["pub", "unsafe", "extern", ..] => None,
                    ["impl", name, ..] if !line.contains(" for ") => Some(("impl", *name)),
                    _ => None,
                };
                if let Some((kind, name)) = item {
                    let exported = exported_here(name);
                    let in_pub_mod = modules.contains(&module) && kind != "impl";
                    if exported || in_pub_mod {
                        let path = if in_pub_mod && !exported { format!("hmacsig::{module}::{name}") } else { format!("hmacsig::{name}") };
                        match kind {
                            "impl" => {}
                            "fn" | "const" | "type" => {
                                out.insert(format!("{path}: {}", declaration(&lines, i)));
                            }
                            _ => {
                                out.insert(format!("{kind} {path}"));
                            }
                        }
                        if matches!(kind, "impl" | "struct" | "enum" | "trait") && line.ends_with('{') {
                            open = Some((path, 1, kind));
                        }
                    }
                }
            } else if let Some((path, item_depth, kind)) = &open
                && depth == *item_depth
            {
                let public_member = line.starts_with("pub fn ") || line.starts_with("pub const fn ") || line.starts_with("pub unsafe fn ");
                if public_member || (*kind == "trait" && line.starts_with("fn ")) {
                    out.insert(format!("{path}::{}", declaration(&lines, i)));
                } else if *kind == "struct" && line.starts_with("pub ") {
                    out.insert(format!("{path}.{}", line.trim_start_matches("pub ").trim_end_matches(',')));
                } else if *kind == "enum" && line.chars().next().is_some_and(char::is_uppercase) {
                    out.insert(format!("{path}::{}", line.trim_end_matches(['{', ',']).trim()));
                }
            }
            depth += raw.matches('{').count() as i32 - raw.matches('}').count() as i32;
            if open.as_ref().is_some_and(|(_, d, _)| depth < *d) {
                open = None;
            }
        }
    }
    for (name, module) in &names {
        if !out.iter().any(|l| l.contains(&format!("hmacsig::{name}"))) {
            out.insert(format!("use hmacsig::{name} (from {module})"));
        }
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_of_lib_rs() {
        let lib = "mod a;\npub mod defaults;\npub use a::{B, c};\npub use x::y::Z;\npub use signer::{\n    Signer,\n    sign,\n};\n";
        let (names, modules) = exports(lib);
        assert_eq!(modules, vec!["defaults"]);
        assert_eq!(names.get("B").map(String::as_str), Some("a"));
        assert_eq!(names.get("Z").map(String::as_str), Some("x::y"));
        assert_eq!(names.get("sign").map(String::as_str), Some("signer"));
    }

    #[test]
    fn declarations_fold_lines_and_drop_bodies() {
        let lines = ["pub fn verify(", "    request: &RequestView<'_>,", "    now: Option<i64>,", ") -> Result<String> {", "}"];
        assert_eq!(declaration(&lines, 0), "pub fn verify(request: &RequestView<'_>, now: Option<i64>) -> Result<String>");
        assert_eq!(declaration(&["pub const A: u32 = 5; // five"], 0), "pub const A: u32 = 5");
    }
}
