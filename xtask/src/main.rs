//! `cargo xtask <command>`: all of hmacsig's build glue.
//!
//! - `demo`: build everything, sign one request in Rust, Python, Kotlin and
//!   Swift, show the four headers side by side, verify one (`--verbose`: with
//!   every command line and its output).
//! - `test`: every test in every language, then the conformance vectors through
//!   all four runners, then the core's tests on armv7 and s390x under qemu-user, then the
//!   packages (wheels built and tested, mobile static libraries); ends with `N passed, N
//!   failed`.
//! - `e2e [--lang L]`: set up every language, then only the end-to-end phase (real HTTP
//!   on loopback, `tests/e2e/README.md`); `test` runs it too. `--lang`: only that
//!   language's client suite (rust, python and kotlin are still set up: the servers and
//!   the CLI need them).
//! - `conformance --lang rust|python|kotlin|swift|js [CASES.json]`: one runner,
//!   speaking `docs/specs/conformance.md` on stdin/stdout.
//! - `suites [--lang python|kotlin|swift]`: only the conformance suites and the shared
//!   sample, through Rust and that language (all without `--lang`).
//! - `bindings [--lang python|kotlin|swift]`: generate bindings into `target/bindings/`.
//! - `api [--bless] [--lang python|kotlin|swift]`: check the public API of the hand-written
//!   layers against `bindings/*/api.txt` (`--bless`: rewrite them); `test` runs the check.
//! - `bench`: speed and memory against baselines measured in the same run; a
//!   table, and `target/bench/report.json` (BENCHMARKS.md).
//! - `cross [--arch aarch64|armv7|s390x|i686]`: the core's tests built for a
//!   foreign architecture and run under qemu-user (all four without `--arch`;
//!   `docs/cross.md`).
//! - `fuzz [--seconds N | --runs N] [--target T]`: the cargo-fuzz targets in
//!   `fuzz/`, each in turn (`docs/fuzzing.md`); `test` runs each briefly.
//! - `miri`: the call layout's unit tests under Miri; `test` runs it.
//! - `dist [--test] [--only python,jvm,android,apple]`: the packages, in `dist/` (wheels,
//!   sdist, the jar and its POM, Android static libraries or AAR, the XCFramework and its
//!   Swift package); `--test` installs and runs them where this machine can
//!   (docs/packaging.md). `android` and `xcframework`: one part alone.
//! - `release-check`: every package states the workspace's version and `dist/` is complete.
//!
//! Each command installs what it needs (Python venv, Maven dependencies, the
//! Swift chroot) on a fresh machine.

mod aws_suites;
mod bench;
mod bindings;
mod case_files;
mod conformance;
mod cross;
mod demo;
mod dist;
mod e2e;
mod fuzz;
mod js;
mod js_e2e;
mod kotlin;
mod miri;
mod public_api;
mod python;
mod rfc9421_suite;
mod rust;
mod sample;
mod swift;
mod util;

use std::io::Read;
use std::process::ExitCode;

use util::{Counts, Result, log};

pub fn prepare(lang: &str) -> Result {
    match lang {
        "rust" => rust::prepare(),
        "python" => python::prepare(),
        "kotlin" => kotlin::prepare(),
        "swift" => swift::prepare(),
        "js" => js::prepare(),
        other => Err(format!("unknown language {other:?}; use one of {RUNNERS:?}")),
    }
}

pub fn runner(lang: &str) -> Result<std::process::Command> {
    match lang {
        "rust" => rust::runner(),
        "python" => python::runner(),
        "kotlin" => kotlin::runner(),
        "swift" => swift::runner(),
        "js" => js::runner(),
        other => Err(format!("unknown language {other:?}; use one of {RUNNERS:?}")),
    }
}

fn language_tests(lang: &str) -> Result<Counts> {
    match lang {
        "rust" => rust::test(),
        "python" => python::test(),
        "kotlin" => kotlin::test(),
        "swift" => swift::test(),
        "js" => js::test(),
        other => Err(format!("unknown language {other:?}")),
    }
}

fn usage() -> String {
    "usage: cargo xtask demo [--verbose] | test [--lang L] | e2e [--lang L] | suites [--lang L] | conformance --lang rust|python|kotlin|swift|js [CASES.json] | bindings [--lang L] | api [--bless] [--lang L] | bench | cross [--arch aarch64|armv7|s390x|i686] | fuzz [--seconds N | --runs N] [--target T] | miri | dist [--test] [--only python,jvm,android,apple] | android | xcframework | release-check"
        .into()
}

/// Value of `--lang`, if given.
fn lang_arg(args: &[String]) -> Result<Option<String>> {
    match args.iter().position(|a| a == "--lang") {
        Some(i) => args.get(i + 1).cloned().map(Some).ok_or_else(|| "--lang needs a value".to_string()),
        None => Ok(args.iter().find_map(|a| a.strip_prefix("--lang=").map(str::to_owned))),
    }
}

fn conformance_cmd(args: &[String]) -> Result {
    let lang = lang_arg(args)?.ok_or_else(usage)?;
    let file = args.iter().enumerate().find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--lang")).map(|(_, a)| a.clone());
    let input = match file {
        Some(path) => std::fs::read(&path).map_err(|e| format!("reading {path}: {e}"))?,
        None => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| e.to_string())?;
            buf
        }
    };
    prepare(&lang)?;
    let out = util::run_capture(&mut runner(&lang)?, &input)?;
    use std::io::Write;
    std::io::stdout().write_all(&out).map_err(|e| e.to_string())
}

/// `suites [--lang L]`: the conformance suites and the shared sample through Rust and `L`
/// (every language without `--lang`), without the languages' own tests.
fn suites_cmd(args: &[String]) -> Result<Counts> {
    let only = lang_arg(args)?;
    let langs: Vec<&str> = RUNNERS.iter().copied().filter(|l| *l == "rust" || only.as_deref().is_none_or(|o| o == *l)).collect();
    for lang in &langs {
        prepare(lang)?;
    }
    let mut total = conformance::check_all(&langs, false)?;
    total += sample::check(&langs)?;
    Ok(total)
}

/// Every language: the four UniFFI ones and JavaScript (the WebAssembly build). Each has a
/// conformance runner, its own tests, an end-to-end client suite and a part in the demo.
pub const RUNNERS: [&str; 5] = ["rust", "python", "kotlin", "swift", "js"];

fn test_cmd(args: &[String]) -> Result<Counts> {
    let only = lang_arg(args)?;
    let langs: Vec<&str> = RUNNERS.iter().copied().filter(|l| only.as_deref().is_none_or(|o| o == *l)).collect();
    let mut total = Counts::default();
    let mut broken = Vec::new();
    let mut ready = Vec::new();
    disk_check();
    // Pure text, no build: first, so that an API change shows at once.
    log("== public API of the hand-written layers against bindings/*/api.txt");
    total += public_api::check(&langs);
    for lang in &langs {
        log(format!("== {lang}: set-up and tests"));
        match prepare(lang).and_then(|()| language_tests(lang)) {
            Ok(c) => {
                log(format!("== {lang}: {} passed, {} failed", c.passed, c.failed));
                total += c;
                ready.push(*lang);
            }
            Err(e) => {
                log(format!("== {lang}: ERROR {e}"));
                total.failed += 1;
                broken.push(format!("{lang}: {e}"));
            }
        }
    }
    log("== conformance vectors through every runner");
    match conformance::check_all(&ready, langs.len() == RUNNERS.len()) {
        Ok(c) => total += c,
        Err(e) => {
            total.failed += 1;
            broken.push(format!("conformance: {e}"));
        }
    }
    log("== a shared random sample, every scheme, through every runner");
    if ready.contains(&"rust") {
        match sample::check(&ready) {
            Ok(c) => total += c,
            Err(e) => {
                total.failed += 1;
                broken.push(format!("sample: {e}"));
            }
        }
    }
    // Real HTTP between languages needs them all; `--lang` runs skip it.
    if only.is_none() {
        log("== end to end: every language's HTTP clients against real verifying servers on loopback");
        match e2e::run(&ready, &ready) {
            Ok(c) => total += c,
            Err(e) => {
                total.failed += 1;
                broken.push(format!("e2e: {e}"));
            }
        }
    }
    // The core's parsers under cargo-fuzz, briefly, from the committed corpus; the call
    // layout's unit tests under Miri.
    if langs.contains(&"rust") {
        log("== miri: the call layout's unit tests");
        match miri::run() {
            Ok(c) => total += c,
            Err(e) => {
                total.failed += 1;
                broken.push(format!("miri: {e}"));
            }
        }
        log(format!("== fuzz: each target for {} s", fuzz::CI_SECONDS));
        match fuzz::run_all(fuzz::Budget::Seconds(fuzz::CI_SECONDS), None) {
            Ok(c) => total += c,
            Err(e) => {
                total.failed += 1;
                broken.push(format!("fuzz: {e}"));
            }
        }
    }
    // The core's tests on a 32-bit and a big-endian target under qemu-user (docs/cross.md);
    // `cargo xtask cross` runs all four architectures.
    if langs.contains(&"rust") {
        log(format!("== foreign architectures: the core's tests under qemu-user ({})", cross::IN_TEST.join(", ")));
        match cross::run_arches(&cross::in_test()) {
            Ok(c) => total += c,
            Err(e) => {
                total.failed += 1;
                broken.push(format!("cross: {e}"));
            }
        }
    }
    // The packages users install (docs/packaging.md): built as `cargo xtask dist` builds them
    // and installed where this machine can run them.
    if only.is_none() {
        log(
            "== packages: the wheels built, installed and tested (x86_64; aarch64 under qemu), Android and Apple static libraries, the XCFramework's Swift package type-checked",
        );
        match dist::for_test() {
            Ok(c) => total += c,
            Err(e) => {
                total.failed += 1;
                broken.push(format!("packages: {e}"));
            }
        }
    }
    for b in &broken {
        log(format!("FAILED {b}"));
    }
    Ok(total)
}

/// What a whole `cargo xtask test` writes on a new machine, in GiB, measured (fresh clone of
/// 973ed91): `target/` peaks at 8.8; the caches outside the clone (the Swift chroot, the arm64
/// root, Maven's repository: /var/cache/hmacsig) take 3.4, rustup's nightly 1.6, and Debian's
/// packages (PostgreSQL, Redis, Chromium, qemu, the cross compilers) 1.2 without their
/// dependencies.
const FRESH_MACHINE_GIB: f64 = 15.0;

/// Says how much disk is free for the run, and warns when it is less than a new machine's run
/// takes: running out shows up later as a compiler's or pip's I/O error (stop 24's CI).
fn disk_check() {
    let target = util::target_dir();
    let at = if target.exists() { target } else { util::root() };
    match util::free_gib(&at) {
        Some(free) if free < FRESH_MACHINE_GIB => log(format!(
            "WARNING: {free:.1} GiB free on the disk of {}; a whole run on a new machine writes about {FRESH_MACHINE_GIB:.0} GiB (less when its caches exist)",
            at.display()
        )),
        Some(free) => log(format!("disk: {free:.1} GiB free on the disk of {}", at.display())),
        None => {}
    }
}

/// `e2e [--lang L]`: the servers need rust, python, kotlin and js set up, whatever `--lang`.
fn e2e_cmd(args: &[String]) -> Result<Counts> {
    let only = lang_arg(args)?;
    if let Some(lang) = only.as_deref().filter(|l| !RUNNERS.contains(l)) {
        return Err(format!("unknown language {lang:?}; use one of {RUNNERS:?}"));
    }
    let clients: Vec<&str> = RUNNERS.iter().copied().filter(|l| only.as_deref().is_none_or(|o| o == *l)).collect();
    let needed: Vec<&str> = RUNNERS.iter().copied().filter(|l| e2e::SERVERS.contains(l) || clients.contains(l)).collect();
    for lang in &needed {
        log(format!("== {lang}: set-up"));
        prepare(lang)?;
    }
    e2e::run(&needed, &clients)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first().cloned() else {
        eprintln!("{}", usage());
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match command.as_str() {
        "bindings" => lang_arg(rest).and_then(|l| match l {
            Some(l) => bindings::generate(&[l.as_str()]),
            None => bindings::generate(&["python", "kotlin", "swift"]),
        }),
        "api" => lang_arg(rest).and_then(|l| public_api::run(rest, l.as_deref())),
        "bench" => bench::run(),
        "dist" => dist::run_cmd(rest),
        "android" => dist::run_cmd(&[&["--only".to_string(), "android".to_string()], rest].concat()),
        "xcframework" => dist::run_cmd(&[&["--only".to_string(), "apple".to_string()], rest].concat()),
        "release-check" => dist::release::run(),
        "conformance" => conformance_cmd(rest),
        "demo" => demo::run(rest.iter().any(|a| a == "--verbose" || a == "-v")),
        "cross" => cross::run_cmd(rest).and_then(|c| {
            println!("{} passed, {} failed", c.passed, c.failed);
            if c.failed == 0 { Ok(()) } else { Err(format!("{} failed", c.failed)) }
        }),
        "suites" => suites_cmd(rest).and_then(|c| {
            println!("{} passed, {} failed", c.passed, c.failed);
            if c.failed == 0 { Ok(()) } else { Err(format!("{} failed", c.failed)) }
        }),
        "miri" => miri::run().and_then(|c| {
            println!("{} passed, {} failed", c.passed, c.failed);
            if c.failed == 0 { Ok(()) } else { Err(format!("{} failed", c.failed)) }
        }),
        "fuzz" => fuzz::run_cmd(rest).and_then(|c| {
            println!("{} passed, {} failed", c.passed, c.failed);
            if c.failed == 0 { Ok(()) } else { Err(format!("{} failed", c.failed)) }
        }),
        "e2e" => e2e_cmd(rest).and_then(|c| {
            println!("{} passed, {} failed", c.passed, c.failed);
            if c.failed == 0 { Ok(()) } else { Err(format!("{} failed", c.failed)) }
        }),
        "test" => test_cmd(rest).and_then(|c| {
            // The closing line CI reads.
            println!("{} passed, {} failed", c.passed, c.failed);
            if c.failed == 0 { Ok(()) } else { Err(format!("{} failed", c.failed)) }
        }),
        _ => Err(usage()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("[xtask] error: {e}");
            ExitCode::FAILURE
        }
    }
}
