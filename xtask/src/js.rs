//! JavaScript: the core built to WebAssembly (`bindings/wasm`, wasm-bindgen) and assembled as
//! the npm package `hmacsig` in `target/wasm/npm/` (generated, never committed): the glue
//! wasm-bindgen writes (`--target web`, ESM), the `.wasm` (through `wasm-opt -Oz` from
//! npm's binaryen), and the hand-written `bindings/wasm/js/` files. The conformance
//! runner is `tests/conformance/js/runner.mjs` on Node.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Counts, Result, ensure_program, log, root, run, target_dir};

const TARGET: &str = "wasm32-unknown-unknown";

/// The npm package, as built.
pub fn package_dir() -> PathBuf {
    target_dir().join("wasm").join("npm")
}

/// wasm-bindgen-cli must be the version of the `wasm-bindgen` crate in Cargo.lock.
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    Err("no wasm-bindgen in Cargo.lock".into())
}

fn ensure_tools() -> Result {
    ensure_program("node", "nodejs")?;
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output().map_err(|e| e.to_string())?;
    if !String::from_utf8_lossy(&installed.stdout).lines().any(|l| l == TARGET) {
        run(Command::new("rustup").args(["target", "add", TARGET]))?;
    }
    let version = wasm_bindgen_version()?;
    let have_version = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == format!("wasm-bindgen {version}"));
    if !have_version {
        log(format!("installing wasm-bindgen-cli {version} (about 2.5 minutes)"));
        run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &version]))?;
    }
    if !wasm_opt().is_file() {
        // Debian's binaryen (108) rewrites wasm-bindgen's reference-type table wrongly; npm's
        // binaryen is current (pinned), its wasm-opt a Node program.
        let dir = crate::util::cache_dir().join("binaryen");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        run(Command::new("npm")
            .current_dir(&dir)
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", "."])
            .arg(format!("binaryen@{BINARYEN}")))?;
    }
    Ok(())
}

/// npm's binaryen, for wasm-opt.
const BINARYEN: &str = "132.0.0";

fn wasm_opt() -> PathBuf {
    crate::util::cache_dir().join("binaryen").join("node_modules").join(".bin").join("wasm-opt")
}

/// Builds the package (idempotent, incremental).
pub fn prepare() -> Result {
    ensure_tools()?;
    run(Command::new("cargo").args(["build", "--quiet", "--profile", "wasm-release", "-p", "hmacsig-wasm", "--target", TARGET]))?;
    let built = target_dir().join(TARGET).join("wasm-release").join("hmacsig_wasm.wasm");
    let out = package_dir();
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    run(Command::new("wasm-bindgen").args(["--target", "web", "--out-dir"]).arg(&out).arg(&built))?;
    let wasm = out.join("hmacsig_wasm_bg.wasm");
    // The features rustc's wasm32 target enables (reference types for wasm-bindgen's table).
    let features = [
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
    ];
    run(Command::new(wasm_opt()).arg("-Oz").args(features).args(["--strip-debug", "--strip-producers", "-o"]).arg(&wasm).arg(&wasm))?;
    let js = root().join("bindings").join("wasm").join("js");
    for file in ["index.js", "index.d.ts", "http.js", "http.d.ts", "swagger-ui.js", "swagger-ui.d.ts", "package.json"] {
        std::fs::copy(js.join(file), out.join(file)).map_err(|e| format!("copying {file}: {e}"))?;
    }
    let size = std::fs::metadata(&wasm).map_err(|e| e.to_string())?.len();
    log(format!("js: {} (.wasm {} KiB, {:.1} KiB gzipped)", out.display(), size / 1024, gzipped_kib()?));
    Ok(())
}

/// The built `.wasm`'s size after `gzip -9`, in KiB: what a browser downloads
/// (issue 18's target: at most 250).
pub fn gzipped_kib() -> Result<f64> {
    let wasm = package_dir().join("hmacsig_wasm_bg.wasm");
    let out = Command::new("gzip").args(["-9", "-c"]).arg(&wasm).output().map_err(|e| format!("gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip -9 {} failed", wasm.display()));
    }
    Ok(out.stdout.len() as f64 / 1024.0)
}

/// `node tests/conformance/js/runner.mjs`, on the built package.
pub fn runner() -> Result<Command> {
    let mut cmd = Command::new("node");
    cmd.arg(root().join("tests").join("conformance").join("js").join("runner.mjs"))
        .env("HMACSIG_JS_PACKAGE", package_dir().join("index.js"));
    Ok(cmd)
}

/// `npm ci` in `dir` when its `node_modules` is missing or older than its committed
/// `package-lock.json` (the test dependencies, each pinned by its lock file).
pub fn npm_ci(dir: &Path) -> Result {
    let modified = |path: PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let installed = modified(dir.join("node_modules").join(".package-lock.json"));
    if installed.is_none() || installed < modified(dir.join("package-lock.json")) {
        run(Command::new("npm").current_dir(dir).args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]))?;
    }
    Ok(())
}

/// The passed and failed counts of a `node --test` run, from its summary lines; an error
/// when it ran none.
pub fn node_test_counts(output: &str, what: &Path) -> Result<Counts> {
    let count = |word: &str| {
        output.lines().find_map(|l| l.strip_prefix(&format!("# {word} ")).and_then(|n| n.trim().parse::<u64>().ok())).unwrap_or(0)
    };
    let counts = Counts { passed: count("pass"), failed: count("fail") };
    if counts.passed == 0 && counts.failed == 0 {
        return Err(format!("node --test ran no tests in {}", what.display()));
    }
    Ok(counts)
}

/// The crates only a server needs, which the browser build must not contain.
const SERVER_ONLY: [&str; 4] = ["rusqlite", "postgres", "redis", "aes-gcm"];

/// One test: the WebAssembly crate's dependency tree, for its target, has none of
/// `SERVER_ONLY` (the core is taken with `default-features = false`).
fn no_server_dependencies() -> Counts {
    let out = Command::new("cargo")
        .current_dir(root())
        .args(["tree", "--quiet", "-p", "hmacsig-wasm", "--target", TARGET, "-e", "normal", "--prefix", "none"])
        .output();
    let found: Vec<&str> = match &out {
        Ok(o) if o.status.success() => {
            let tree = String::from_utf8_lossy(&o.stdout);
            SERVER_ONLY.iter().copied().filter(|name| tree.lines().any(|l| l.split_whitespace().next() == Some(name))).collect()
        }
        _ => vec!["(cargo tree failed)"],
    };
    log(format!(
        "js: the WebAssembly build's dependencies hold none of {SERVER_ONLY:?}: {}",
        if found.is_empty() { "passed".to_owned() } else { format!("FAILED, found {found:?}") }
    ));
    Counts { passed: u64::from(found.is_empty()), failed: u64::from(!found.is_empty()) }
}

/// The package's own tests (`node --test bindings/wasm/js/test/`), on the built package,
/// with undici and Express from `bindings/wasm/js/package-lock.json`; and the dependency
/// check above.
pub fn test() -> Result<Counts> {
    let server_free = no_server_dependencies();
    let js = root().join("bindings").join("wasm").join("js");
    npm_ci(&js)?;
    let dir = js.join("test");
    let out = Command::new("node")
        .arg("--test")
        .arg(&dir)
        .env("HMACSIG_JS_PACKAGE", package_dir().join("index.js"))
        .output()
        .map_err(|e| format!("node --test: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    let mut counts = node_test_counts(&text, &dir)?;
    counts += server_free;
    Ok(counts)
}
