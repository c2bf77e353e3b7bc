//! `cargo xtask api [--bless]`: the public API of the hand-written layers, one normalised
//! line per declaration, compared with the committed dumps (in the spirit of Kotlin's
//! binary-compatibility-validator `.api` files):
//!
//! - `bindings/kotlin/api.txt`: `bindings/kotlin/src/main/kotlin/**/*.kt` (the generated code
//!   lives in `src/main/generated` and is not read). Public is Kotlin's default: everything not
//!   `private` or `internal` (`protected` counts), inside containers that are public themselves.
//! - `bindings/swift/api.txt`: `bindings/swift/Sources/HmacSig/*.swift` but the generated
//!   `HmacSig.swift`. Public means `public` or `open` (Swift's default is internal), members of
//!   a `public extension`, requirements of a public protocol and cases of a public enum; an
//!   extension adding conformances to a type is listed with them.
//! - `bindings/python/api.txt`: each public module's `__all__` (`hmacsig`, `hmacsig.requests`,
//!   `hmacsig.httpx`, `hmacsig.asgi`, `hmacsig.wsgi`), each name resolved through the package's
//!   imports to its definition: functions with their signature, classes with their public
//!   methods and attributes (those of hand-written bases included); names from the generated
//!   `hmacsig._ffi` are marked `generated`.
//!
//! Pure text, no build: line-based parsers that blank comments, mask string literals, join
//! lines while brackets are open and track nesting by braces (Python: by indentation). Limits,
//! accepted because the sources here do not need more: members declared on the same line as
//! their container's opening brace are not seen; implicit constructors and the members Kotlin
//! generates for data classes (`copy`, `componentN`) are not listed; types that are inferred
//! (`val x = 1`) are shown by their initializer.
//!
//! `cargo xtask test` runs the check, one test per language; `--bless` rewrites the files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::util::{Counts, Result, log, root};

mod kotlin;
mod python;
mod rust;
mod scan;
mod swift;
#[cfg(test)]
mod tests;

use kotlin::kotlin_api;
use python::python_api;
use rust::rust_api;
use swift::swift_api;

/// The languages with a dump, and where it lives.
pub const LANGS: [&str; 4] = ["rust", "python", "kotlin", "swift"];

pub fn api_file(lang: &str) -> PathBuf {
    match lang {
        "rust" => root().join("core").join("api.txt"),
        _ => root().join("bindings").join(lang).join("api.txt"),
    }
}

fn header(lang: &str) -> String {
    format!(
        "# The public API of the hand-written {lang} code, one declaration a line (sorted).\n\
         # Checked by `cargo xtask test`; after an intended change: `cargo xtask api --bless`.\n"
    )
}

/// The dump of `lang`'s sources as they are now.
pub fn dump(lang: &str) -> Result<String> {
    let lines = match lang {
        "rust" => rust_api(&root().join("core/src"))?,
        "kotlin" => kotlin_api(&root().join("bindings/kotlin/src/main/kotlin"))?,
        "swift" => swift_api(&root().join("bindings/swift/Sources/HmacSig"))?,
        "python" => python_api(&root().join("bindings/python/python/hmacsig"))?,
        other => return Err(format!("no API dump for {other:?}; use one of {LANGS:?}")),
    };
    let mut out = header(lang);
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Compares `lang`'s dump with its file; the differences, as `-` (file only) and `+`
/// (sources only) lines, when they differ.
pub fn compare(lang: &str) -> Result<Option<String>> {
    let actual = dump(lang)?;
    let path = api_file(lang);
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return Ok(None);
    }
    Ok(Some(diff(&expected, &actual)))
}

/// Lines only in `old` (`- `) and only in `new` (`+ `), as multisets, in sorted order.
fn diff(old: &str, new: &str) -> String {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for l in old.lines() {
        *counts.entry(l).or_default() -= 1;
    }
    for l in new.lines() {
        *counts.entry(l).or_default() += 1;
    }
    let mut out = String::new();
    for (line, n) in counts {
        let sign = if n < 0 { "- " } else { "+ " };
        for _ in 0..n.abs() {
            out.push_str(sign);
            out.push_str(line);
            out.push('\n');
        }
    }
    if out.is_empty() {
        out.push_str("(same lines, other order or whitespace)\n");
    }
    out
}

/// The check `cargo xtask test` runs: one test per language in `langs` (others are skipped).
pub fn check(langs: &[&str]) -> Counts {
    let mut counts = Counts::default();
    for lang in LANGS.iter().filter(|l| langs.contains(l)) {
        match compare(lang) {
            Ok(None) => {
                log(format!("api: {lang}: the public API matches {}", api_file(lang).display()));
                counts.passed += 1;
            }
            Ok(Some(d)) => {
                log(format!(
                    "api: {lang}: the public API differs from {} (- file, + sources):\n{d}\
                     [xtask] if the change is intended: cargo xtask api --bless (and commit that file)",
                    api_file(lang).display()
                ));
                counts.failed += 1;
            }
            Err(e) => {
                log(format!("api: {lang}: ERROR {e}"));
                counts.failed += 1;
            }
        }
    }
    counts
}

/// `cargo xtask api [--bless] [--lang L]`.
pub fn run(args: &[String], only: Option<&str>) -> Result {
    let langs: Vec<&str> = LANGS.iter().copied().filter(|l| only.is_none_or(|o| o == *l)).collect();
    if langs.is_empty() {
        return Err(format!("no API dump for {only:?}; use one of {LANGS:?}"));
    }
    if args.iter().any(|a| a == "--bless") {
        for lang in langs {
            let text = dump(lang)?;
            let path = api_file(lang);
            std::fs::write(&path, &text).map_err(|e| format!("writing {}: {e}", path.display()))?;
            log(format!("api: wrote {} ({} declarations)", path.display(), text.lines().filter(|l| !l.starts_with('#')).count()));
        }
        return Ok(());
    }
    let c = check(&langs);
    println!("{} passed, {} failed", c.passed, c.failed);
    if c.failed == 0 { Ok(()) } else { Err("the public API changed (see above)".into()) }
}
