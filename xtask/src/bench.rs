//! `cargo xtask bench`: every speed and memory measurement of issue 6 in one run,
//! reported as ratios against baselines measured in the same run (the machine is
//! noisy; only same-run ratios mean anything). Prints a table, writes
//! `target/bench/report.json` and plots it to `target/bench/per-call.png`
//! (`tests/bench/python/plot.py`); see BENCHMARKS.md.
//!
//! Where each number comes from:
//! - `tests/bench` (`hmacsig-bench`, release): core sign/verify vs the floor,
//!   core SigV4 vs the `aws-sigv4` crate (`micro`), `BodyHasher` throughput
//!   (`stream`, interleaved here with `openssl speed`), a 1 GiB stream's peak RSS
//!   (`stream-rss`, a fresh process).
//! - `tests/bench/python/bench.py` in `target/py-venv`: `hmacsig.Signer.sign`
//!   vs a stdlib signer and vs botocore's `SigV4Auth.add_auth`.
//! - `bindings/kotlin/src/test/kotlin/dev/hmacsig/bench/SignBench.kt` (`java`, full
//!   JIT, on the prepared jar and test classes): `Signer.sign` vs a `javax.crypto.Mac`
//!   signer.
//! - `bindings/swift/Sources/HmacSigBench` (release build, in the Swift chroot):
//!   `Signer.sign` vs `ReplayGuard.isEmpty()`, the cheapest exported call.
//!
//! Targets live here and only here (never in timed tests). A target missed is
//! reported, not an error: the command fails only when a measurement could not
//! be made.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Map, Value, json};

use crate::util::{self, Result, ensure_program, log, root, run_capture, target_dir};

/// botocore (the denominator of python_sign_vs_botocore) and what it imports, pinned
/// (`pip index versions botocore`; its dependencies as pip resolved them next to the
/// test tools' urllib3 2.8.0); then matplotlib for the plot (`pip index versions
/// matplotlib` on Python 3.11; its dependencies as pip resolved them; `packaging`
/// comes with the test tools).
const PYTHON_BENCH_DEPS: [(&str, &str); 12] = [
    ("botocore", "1.44.5"),
    ("jmespath", "1.1.0"),
    ("python-dateutil", "2.9.0.post0"),
    ("six", "1.17.0"),
    ("matplotlib", "3.11.2"),
    ("contourpy", "1.3.3"),
    ("cycler", "0.12.1"),
    ("fonttools", "4.68.0"),
    ("kiwisolver", "1.5.1"),
    ("numpy", "2.4.6"),
    ("pillow", "13.0.0"),
    ("pyparsing", "3.3.3"),
];

/// Separate processes of the Rust micro benchmark: the machines' noise comes
/// in spells of seconds, and the ratio reported is the median run's.
const MICRO_RUNS: u32 = 5;
/// Rounds of interleaved batches (each round: one batch of every case).
const MICRO_ROUNDS: u32 = 41;
const MICRO_BATCH_MS: u32 = 10;
const PYTHON_ROUNDS: u32 = 31;
const PYTHON_BATCH_MS: u32 = 20;
/// Alternations of a 1 s `BodyHasher` run and a 1 s `openssl speed` run.
const STREAM_ROUNDS: u32 = 7;
const STREAM_RSS_BYTES: u64 = 1 << 30;
const OPENSSL_BLOCK: u32 = 16384;

/// Whether a metric is good when at most or at least its limit.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    AtMost(f64),
    AtLeast(f64),
    None,
}

impl Target {
    fn met(self, value: f64) -> Option<bool> {
        match self {
            Target::AtMost(limit) => Some(value <= limit),
            Target::AtLeast(limit) => Some(value >= limit),
            Target::None => None,
        }
    }

    fn describe(self) -> String {
        match self {
            Target::AtMost(limit) => format!("<= {limit}"),
            Target::AtLeast(limit) => format!(">= {limit}"),
            Target::None => "-".into(),
        }
    }
}

/// Every metric of issue 6, in report order, with its target.
const METRICS: [(&str, Target); 9] = [
    ("core_sign_vs_floor", Target::AtMost(1.5)),
    ("core_verify_vs_floor", Target::None),
    ("core_sigv4_vs_aws_sigv4_crate", Target::None),
    ("python_sign_vs_botocore", Target::AtMost(0.25)),
    ("python_sign_vs_stdlib", Target::AtMost(3.0)),
    ("kotlin_sign_vs_javax", Target::AtMost(3.0)),
    ("swift_sign_vs_empty_call", Target::None),
    ("stream_vs_openssl_sha256", Target::AtLeast(0.9)),
    ("stream_peak_rss_mib", Target::AtMost(32.0)),
];

/// Rounds of interleaved Kotlin and Swift batches, ms per batch, and the JIT warm-up
/// the Kotlin side runs per case before calibrating.
const KOTLIN_ROUNDS: u32 = 31;
const KOTLIN_BATCH_MS: u32 = 20;
const KOTLIN_WARMUP_MS: u32 = 2000;
const SWIFT_ROUNDS: u32 = 31;
const SWIFT_BATCH_MS: u32 = 20;

/// Median of `samples` (mean of the middle two for an even count); `None` when empty.
pub fn median(samples: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 })
}

/// Bytes per second from `openssl speed` output: the last table row's figure for
/// `block` bytes ("numbers are in 1000s of bytes per second"), else the "Doing ..."
/// line (`N <alg>'s in T s` of `block`-byte blocks).
pub fn parse_openssl_speed(output: &str, block: u32) -> Option<f64> {
    let mut lines = output.lines().skip_while(|l| !l.trim_start().starts_with("type "));
    if let Some(header) = lines.next() {
        // "type  16 bytes  64 bytes  16384 bytes": the sizes, in column order.
        let sizes: Vec<&str> = header.split_whitespace().filter(|w| w.chars().all(|c| c.is_ascii_digit())).collect();
        if let Some(column) = sizes.iter().position(|w| *w == block.to_string()) {
            for row in lines {
                // The algorithm's name may hold spaces: the figures are the last words.
                let words: Vec<&str> = row.split_whitespace().collect();
                let Some(figures) = words.len().checked_sub(sizes.len()).map(|first| &words[first..]) else { continue };
                if let Some(v) = figures.get(column).and_then(|w| w.strip_suffix('k')).and_then(|v| v.parse::<f64>().ok()) {
                    return Some(v * 1000.0);
                }
            }
        }
    }
    // "Doing sha256 for 1s on 16384 size blocks: 85986 sha256's in 0.99s"
    let doing = output.lines().find(|l| l.starts_with("Doing ") && l.contains(" size blocks: "))?;
    let after = doing.split(" size blocks: ").nth(1)?;
    let count: f64 = after.split_whitespace().next()?.parse().ok()?;
    let secs: f64 = after.rsplit(" in ").next()?.trim().trim_end_matches('s').parse().ok()?;
    (secs > 0.0).then(|| count * f64::from(block) / secs)
}

/// Machine facts for the report: CPU model, cores, load average.
fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo.lines().find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned()));
    let flags = cpuinfo.lines().find(|l| l.starts_with("flags")).unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    json!({
        "cpu_model": model,
        "cores": cores,
        "sha_ni": flags.split_whitespace().any(|f| f == "sha_ni"),
        "load_average": load_average(),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned()),
        "rustc": command_line(Command::new("rustc").arg("--version")),
        "openssl": command_line(Command::new("openssl").arg("version")),
    })
}

fn load_average() -> Option<Vec<f64>> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().take(3).map(|w| w.parse().ok()).collect()
}

/// The first line a command prints, if it runs.
fn command_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_owned)
}

fn bench_binary() -> Result<PathBuf> {
    util::run(Command::new("cargo").current_dir(root()).args(["build", "--release", "--quiet", "-p", "hmacsig-bench"]))?;
    let path = target_dir().join("release").join("hmacsig-bench");
    if path.is_file() { Ok(path) } else { Err(format!("cargo built hmacsig-bench but {} is missing", path.display())) }
}

/// Runs `cmd`, parsing the one JSON object it prints.
fn run_json(cmd: &mut Command) -> Result<Value> {
    let out = run_capture(cmd, b"")?;
    serde_json::from_slice(&out).map_err(|e| format!("benchmark output is not JSON ({e}): {}", String::from_utf8_lossy(&out)))
}

/// One timed case: its median and what it is, for `details`.
fn case(results: &Value, name: &str) -> Result<(f64, Value)> {
    let c = results.get(name).ok_or_else(|| format!("the benchmark reported no case {name:?}"))?;
    let samples: Vec<f64> = c["samples_ns"].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
    let med = median(&samples).ok_or_else(|| format!("case {name:?} has no samples"))?;
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok((
        med,
        json!({
            "case": name,
            "what": c["what"],
            "median_ns_per_call": round(med, 1),
            "min_ns_per_call": round(min, 1),
            "max_ns_per_call": round(max, 1),
            "batches": samples.len(),
            "calls_per_batch": c["calls_per_batch"],
        }),
    ))
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

/// A ratio metric: numerator median / denominator median, both from `results`.
fn ratio(results: &Value, numerator: &str, denominator: &str, divides: &str) -> Result<(f64, Value)> {
    let (num, num_detail) = case(results, numerator)?;
    let (den, den_detail) = case(results, denominator)?;
    let value = num / den;
    Ok((value, json!({"ratio": round(value, 4), "divides": divides, "numerator": num_detail, "denominator": den_detail})))
}

struct Report {
    metrics: Map<String, Value>,
    details: Map<String, Value>,
    missing: Map<String, Value>,
    errors: Vec<String>,
}

impl Report {
    /// Every metric of a run that could not be made fails with its error.
    fn fail_all(&mut self, names: &[&str], error: &str) {
        for name in names {
            self.add(name, Err(error.to_owned()));
        }
    }

    fn add(&mut self, name: &str, outcome: Result<(f64, Value)>) {
        match outcome {
            Ok((value, detail)) => {
                self.metrics.insert(name.into(), json!(round(value, 4)));
                self.details.insert(name.into(), detail);
            }
            Err(e) => {
                log(format!("bench: {name}: {e}"));
                self.missing.insert(name.into(), json!(format!("measurement failed: {e}")));
                self.errors.push(format!("{name}: {e}"));
            }
        }
    }
}

fn rust_micro(report: &mut Report, bench: &std::path::Path) {
    let names = ["core_sign_vs_floor", "core_verify_vs_floor", "core_sigv4_vs_aws_sigv4_crate"];
    let micro =
        || run_json(Command::new(bench).args(["micro", "--rounds", &MICRO_ROUNDS.to_string(), "--batch-ms", &MICRO_BATCH_MS.to_string()]));
    let runs = match (0..MICRO_RUNS).map(|_| micro()).collect::<Result<Vec<Value>>>() {
        Ok(runs) => runs,
        Err(e) => return report.fail_all(&names, &e),
    };
    let floor = "the floor: bare HMAC-SHA256 over the same string-to-sign plus SHA-256 of the same 200-byte body, Rust, same process";
    let sign = median_run(&runs, |results| {
        ratio(
            results,
            "core_sign",
            "floor",
            &format!(
                "core Signer::sign_into (api-auth sha256, small request, parts borrowed like the floor's, one reused output) / {floor}"
            ),
        )
        .map(|(value, mut detail)| {
            // For comparison (no target): a new result per call, and the
            // owned-argument call the generated bindings make.
            for other in ["core_sign_view", "core_sign_owned"] {
                if let Ok((_, measured)) = case(results, other) {
                    detail[other] = measured;
                }
            }
            (value, detail)
        })
    });
    report.add(names[0], sign);
    report.add(
        names[1],
        median_run(&runs, |results| {
            ratio(results, "core_verify", "floor", &format!("core Verifier::verify (api-auth sha256, small request) / {floor}"))
        }),
    );
    report.add(
        names[2],
        median_run(&runs, |results| {
            ratio(
                results,
                "core_sigv4_sign",
                "aws_sigv4_crate_sign",
                "core Signer::sign_view (aws-sigv4) / aws-sigv4 crate 1.3.8 sign, same request (both borrowed), same time, same signature",
            )
        }),
    );
}

/// A ratio from each of several runs of the micro benchmark (each its own
/// process, numerator and denominator interleaved within it): the run with
/// the median ratio, its details, and every run's ratio.
fn median_run(runs: &[Value], ratio_of: impl Fn(&Value) -> Result<(f64, Value)>) -> Result<(f64, Value)> {
    let mut each = runs.iter().map(ratio_of).collect::<Result<Vec<_>>>()?;
    let ratios: Vec<f64> = each.iter().map(|(value, _)| round(*value, 4)).collect();
    each.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (value, mut detail) = each.swap_remove(each.len() / 2);
    detail["runs"] = json!(ratios);
    detail["of_runs"] =
        json!("the median of these per-process ratios (numerator and denominator measured in the same process, interleaved)");
    Ok((value, detail))
}

/// `BodyHasher` throughput against `openssl speed -evp sha256` at 16 KiB blocks,
/// alternating 1 s runs of each.
fn stream_throughput(bench: &std::path::Path) -> Result<(f64, Value)> {
    ensure_program("openssl", "openssl")?;
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..STREAM_ROUNDS {
        let r = run_json(Command::new(bench).args(["stream", "--seconds", "1"]))?;
        ours.push(r["bytes_per_sec"].as_f64().ok_or("stream: no bytes_per_sec")?);
        let out = Command::new("openssl")
            .args(["speed", "-evp", "sha256", "-bytes", &OPENSSL_BLOCK.to_string(), "-seconds", "1"])
            .output()
            .map_err(|e| format!("cannot run openssl speed: {e}"))?;
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        theirs.push(parse_openssl_speed(&text, OPENSSL_BLOCK).ok_or_else(|| format!("cannot read openssl speed output: {text}"))?);
    }
    let (ours_med, theirs_med) = (median(&ours).ok_or("no stream samples")?, median(&theirs).ok_or("no openssl samples")?);
    let value = ours_med / theirs_med;
    let mib = |x: f64| round(x / f64::from(1 << 20), 1);
    Ok((
        value,
        json!({
            "ratio": round(value, 4),
            "divides": "throughput of core BodyHasher (SHA-256, 64 MiB buffer in 1 MiB chunks) / throughput of `openssl speed -evp sha256 -bytes 16384`; above 1 means faster",
            "numerator": {"what": "hmacsig::BodyHasher, 1 s per run", "median_mib_per_sec": mib(ours_med), "runs_mib_per_sec": ours.iter().map(|x| mib(*x)).collect::<Vec<_>>()},
            "denominator": {"what": "openssl speed -evp sha256 -bytes 16384 -seconds 1", "median_mib_per_sec": mib(theirs_med), "runs_mib_per_sec": theirs.iter().map(|x| mib(*x)).collect::<Vec<_>>()},
        }),
    ))
}

/// Peak RSS of a fresh process streaming 1 GiB through `BodyHasher` and signing.
fn stream_rss(bench: &std::path::Path) -> Result<(f64, Value)> {
    let baseline = run_json(Command::new(bench).args(["stream-rss", "--bytes", "0"]))?;
    let big = run_json(Command::new(bench).args(["stream-rss", "--bytes", &STREAM_RSS_BYTES.to_string()]))?;
    if big["signed"] != json!(true) || big["bytes"].as_u64() != Some(STREAM_RSS_BYTES) {
        return Err(format!("stream-rss did not hash and sign the whole body: {big}"));
    }
    let kib = big["vm_hwm_kib"].as_f64().ok_or("stream-rss could not read VmHWM from /proc/self/status")?;
    let mib = kib / 1024.0;
    Ok((
        mib,
        json!({
            "value_mib": round(mib, 2),
            "what": big["what"],
            "bytes": STREAM_RSS_BYTES,
            "vm_hwm_kib": kib,
            "elapsed_ms": big["elapsed_ns"].as_f64().map(|ns| round(ns / 1e6, 1)),
            "same_binary_streaming_0_bytes_vm_hwm_kib": baseline["vm_hwm_kib"],
        }),
    ))
}

/// The Python venv with the wheel and `PYTHON_BENCH_DEPS` installed.
fn python_bench_venv() -> Result {
    crate::python::prepare()?;
    let check = PYTHON_BENCH_DEPS.iter().map(|(n, v)| format!("m.version({n:?}) == {v:?}")).collect::<Vec<_>>().join(" and ");
    let ok = Command::new(crate::python::venv_python())
        .args(["-c", &format!("import importlib.metadata as m, sys; sys.exit(0 if {check} else 1)")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let pins = PYTHON_BENCH_DEPS.iter().map(|(n, v)| format!("{n}=={v}"));
        util::run(
            Command::new(crate::python::venv_python()).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(pins),
        )?;
    }
    Ok(())
}

/// `tests/bench/python/plot.py`: per-call time per language against the baselines,
/// from the report just written, as a PNG next to it.
fn plot(report: &std::path::Path, png: &std::path::Path) -> Result {
    python_bench_venv()?;
    util::run(
        Command::new(crate::python::venv_python())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("MPLBACKEND", "Agg")
            .arg(root().join("tests").join("bench").join("python").join("plot.py"))
            .arg(report)
            .arg(png),
    )
}

fn python_bench(report: &mut Report) {
    let names = ["python_sign_vs_stdlib", "python_sign_vs_botocore"];
    let results = (|| -> Result<Value> {
        python_bench_venv()?;
        run_json(
            Command::new(crate::python::venv_python())
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .arg(root().join("tests").join("bench").join("python").join("bench.py"))
                .args(["--rounds", &PYTHON_ROUNDS.to_string(), "--batch-ms", &PYTHON_BATCH_MS.to_string()]),
        )
    })();
    let results = match results {
        Ok(r) => r,
        Err(e) => return report.fail_all(&names, &e),
    };
    report.add(
        names[0],
        ratio(
            &results,
            "hmacsig_api_auth_sign",
            "stdlib_api_auth_sign",
            "Python hmacsig.Signer.sign (api-auth sha256, small request) / hand-written stdlib api-auth signer (same Authorization)",
        ),
    );
    report.add(
        names[1],
        ratio(
            &results,
            "hmacsig_sigv4_sign",
            "botocore_add_auth",
            "Python hmacsig.Signer.sign (aws-sigv4, small request) / botocore SigV4Auth.add_auth on the same request (same signature)",
        ),
    );
    let mut extra = Map::new();
    for name in ["ffi_api_auth_sign", "generated_packed_api_auth_call", "raw_api_auth_call"] {
        if let Ok((_, d)) = case(&results, name) {
            extra.insert(name.into(), d);
        }
    }
    extra.insert("checks".into(), results["checks"].clone());
    extra.insert("python".into(), results["python"].clone());
    extra.insert("profile_hmacsig_api_auth_sign".into(), results["profile_hmacsig_api_auth_sign"].clone());
    report.details.insert("python".into(), Value::Object(extra));
}

fn kotlin_bench() -> Result<(f64, Value)> {
    crate::kotlin::prepare()?;
    let results = run_json(crate::kotlin::java_for_bench("dev.hmacsig.bench.SignBenchKt")?.args([
        "--rounds",
        &KOTLIN_ROUNDS.to_string(),
        "--batch-ms",
        &KOTLIN_BATCH_MS.to_string(),
        "--warmup-ms",
        &KOTLIN_WARMUP_MS.to_string(),
    ]))?;
    if results["checks"]["javax_same_headers"] != json!(true) {
        return Err(format!("the Kotlin bench did not check the javax signer's headers: {}", results["checks"]));
    }
    let (value, mut detail) = ratio(
        &results,
        "hmacsig_api_auth_sign",
        "javax_api_auth_sign",
        "Kotlin dev.hmacsig.Signer.sign (api-auth sha256, small request) / hand-written javax.crypto.Mac api-auth signer (same headers, asserted)",
    )?;
    detail["java"] = results["java"].clone();
    Ok((value, detail))
}

fn swift_bench(report: &mut Report) {
    let results = (|| -> Result<Value> {
        crate::swift::prepare()?;
        let (rounds, batch_ms) = (SWIFT_ROUNDS.to_string(), SWIFT_BATCH_MS.to_string());
        run_json(&mut crate::swift::release_product("HmacSigBench", &["--rounds", &rounds, "--batch-ms", &batch_ms])?)
    })();
    let outcome = results.and_then(|results| {
        if results["build"] != json!("release") {
            return Err(format!("the Swift bench is a {} build, not release", results["build"]));
        }
        let (value, mut detail) = ratio(
            &results,
            "hmacsig_api_auth_sign",
            "empty_call",
            "Swift Signer.sign (api-auth sha256, small request, headers as (name, value) pairs: the raw C entry) / ReplayGuard.isEmpty() (the cheapest exported call: handle in, Bool out, no buffers), release build",
        )?;
        if let Ok((_, key_id)) = case(&results, "key_id_call") {
            detail["key_id_call"] = key_id;
        }
        Ok((value, detail))
    });
    report.add("swift_sign_vs_empty_call", outcome);
}

/// The printed table: metric, value, target, pass/fail.
fn table(report: &Report) -> (String, Vec<String>) {
    let mut out = format!("{:<32} {:>10}  {:<8} {}\n", "metric", "value", "target", "result");
    let mut failed = Vec::new();
    for (name, target) in METRICS {
        let (value, result) = match report.metrics.get(name).and_then(Value::as_f64) {
            Some(v) => {
                let result = match target.met(v) {
                    Some(true) => "pass",
                    Some(false) => {
                        failed.push(name.to_owned());
                        "FAIL"
                    }
                    None => "(no target)",
                };
                (format!("{v:.3}"), result)
            }
            None => ("-".into(), "missing"),
        };
        out.push_str(&format!("{name:<32} {value:>10}  {:<8} {result}\n", target.describe()));
    }
    (out, failed)
}

pub fn run() -> Result {
    let started = std::time::Instant::now();
    let machine_before = machine();
    let mut report = Report { metrics: Map::new(), details: Map::new(), missing: Map::new(), errors: Vec::new() };

    log("== bench: Rust (core vs floor, core vs aws-sigv4 crate)");
    match bench_binary() {
        Ok(bench) => {
            rust_micro(&mut report, &bench);
            log("== bench: streaming throughput vs openssl speed");
            report.add("stream_vs_openssl_sha256", stream_throughput(&bench));
            log("== bench: peak memory of a 1 GiB stream");
            report.add("stream_peak_rss_mib", stream_rss(&bench));
        }
        Err(e) => {
            for name in [
                "core_sign_vs_floor",
                "core_verify_vs_floor",
                "core_sigv4_vs_aws_sigv4_crate",
                "stream_vs_openssl_sha256",
                "stream_peak_rss_mib",
            ] {
                report.add(name, Err(e.clone()));
            }
        }
    }
    log("== bench: Python (hmacsig vs stdlib, vs botocore)");
    python_bench(&mut report);
    log("== bench: Kotlin (hmacsig vs javax.crypto.Mac)");
    report.add("kotlin_sign_vs_javax", kotlin_bench());
    log("== bench: Swift (Signer.sign vs an empty FFI call)");
    swift_bench(&mut report);

    // Metrics in the order.
    let mut metrics = Map::new();
    for (name, _) in METRICS {
        if let Some(v) = report.metrics.get(name) {
            metrics.insert(name.into(), v.clone());
        }
    }
    let (printed, failed) = table(&report);
    let targets: Map<String, Value> = METRICS
        .iter()
        .filter(|(_, t)| *t != Target::None)
        .map(|(n, t)| {
            ((*n).to_owned(), json!({"target": t.describe(), "met": metrics.get(*n).and_then(Value::as_f64).and_then(|v| t.met(v))}))
        })
        .collect();
    let mut details = report.details.clone();
    details.insert("targets".into(), Value::Object(targets));
    details.insert("targets_missed".into(), json!(failed));
    details.insert("machine".into(), json!({"before": machine_before, "load_average_after": load_average()}));
    details.insert(
        "method".into(),
        json!("medians over interleaved batches: each round runs one batch of every case in rotating order (numerators and denominators alike), after calibration and a discarded warm-up batch; a ratio is median(numerator) / median(denominator) from this run; times are ns per call"),
    );
    details.insert("elapsed_s".into(), json!(round(started.elapsed().as_secs_f64(), 1)));
    details.insert(
        "unix_time".into(),
        json!(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)),
    );
    let document = json!({"metrics": metrics, "details": details, "missing": report.missing});

    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))?;

    println!("{printed}");
    for (name, why) in &report.missing {
        println!("missing {name}: {}", why.as_str().unwrap_or_default());
    }
    if failed.is_empty() {
        println!("all measured targets met");
    } else {
        println!("targets missed: {}", failed.join(", "));
    }
    // The plot is a view of the report: failing to draw it fails nothing.
    let png = dir.join("per-call.png");
    match plot(&path, &png) {
        Ok(()) => println!("plot: {}", png.display()),
        Err(e) => log(format!("bench: could not plot {}: {e}", png.display())),
    }
    println!("report: {} ({:.0} s)", path.display(), started.elapsed().as_secs_f64());
    if report.errors.is_empty() { Ok(()) } else { Err(format!("some measurements failed: {}", report.errors.join("; "))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn the_median_run_is_reported_with_every_runs_ratio() {
        let run = |sign: f64, floor: f64| json!({"sign": {"samples_ns": [sign]}, "floor": {"samples_ns": [floor]}});
        let runs = [run(300.0, 100.0), run(120.0, 100.0), run(150.0, 100.0)];
        let (value, detail) = median_run(&runs, |r| ratio(r, "sign", "floor", "sign / floor")).unwrap();
        assert_eq!(value, 1.5);
        assert_eq!(detail["numerator"]["median_ns_per_call"], json!(150.0));
        assert_eq!(detail["runs"], json!([3.0, 1.2, 1.5]));
        assert!(median_run(&[json!({})], |r| ratio(r, "sign", "floor", "")).is_err());
    }

    const OPENSSL_3: &str = "Doing sha256 for 1s on 16384 size blocks: 85986 sha256's in 0.99s
version: 3.0.19
built on: Fri Apr  3 12:29:32 2026 UTC
options: bn(64,64)
CPUINFO: OPENSSL_ia32cap=0xfffa3203078bffff:0x40069c219c07ab
The 'numbers' are in 1000s of bytes per second processed.
type          16384 bytes
sha256         1423024.87k
";

    #[test]
    fn openssl_speed_table_row() {
        assert_eq!(parse_openssl_speed(OPENSSL_3, 16384), Some(1_423_024_870.0));
    }

    #[test]
    fn openssl_speed_falls_back_to_the_doing_line() {
        let only_doing = OPENSSL_3.lines().next().unwrap();
        let v = parse_openssl_speed(only_doing, 16384).unwrap();
        assert!((v - 85986.0 * 16384.0 / 0.99).abs() < 1.0, "{v}");
    }

    #[test]
    fn openssl_speed_several_columns() {
        let out = "type             16 bytes     64 bytes  16384 bytes\nsha256          1000.00k     2000.00k    3000.50k\n";
        assert_eq!(parse_openssl_speed(out, 16384), Some(3_000_500.0));
        assert_eq!(parse_openssl_speed(out, 16), Some(1_000_000.0));
        assert_eq!(parse_openssl_speed("garbage", 16384), None);
    }

    #[test]
    fn targets_and_table() {
        assert_eq!(Target::AtMost(1.5).met(1.5), Some(true));
        assert_eq!(Target::AtLeast(0.9).met(0.8), Some(false));
        assert_eq!(Target::None.met(7.0), None);
        let mut metrics = Map::new();
        metrics.insert("core_sign_vs_floor".into(), json!(2.0));
        metrics.insert("stream_peak_rss_mib".into(), json!(3.5));
        let report = Report { metrics, details: Map::new(), missing: Map::new(), errors: vec![] };
        let (printed, failed) = table(&report);
        assert_eq!(failed, vec!["core_sign_vs_floor".to_owned()]);
        assert!(printed.lines().any(|l| l.starts_with("stream_peak_rss_mib") && l.ends_with("pass")), "{printed}");
        assert!(printed.lines().any(|l| l.starts_with("kotlin_sign_vs_javax") && l.ends_with("missing")), "{printed}");
    }

    #[test]
    fn ratio_divides_medians_of_the_same_run() {
        let results = json!({
            "a": {"what": "num", "calls_per_batch": 10, "samples_ns": [30.0, 10.0, 20.0]},
            "b": {"what": "den", "calls_per_batch": 10, "samples_ns": [5.0, 4.0, 6.0]},
        });
        let (value, detail) = ratio(&results, "a", "b", "a / b").unwrap();
        assert_eq!(value, 4.0);
        assert_eq!(detail["numerator"]["median_ns_per_call"], json!(20.0));
        assert_eq!(detail["denominator"]["batches"], json!(3));
        assert!(ratio(&results, "a", "missing", "").is_err());
    }
}
