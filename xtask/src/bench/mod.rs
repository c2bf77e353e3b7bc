//! `cargo xtask bench`: every speed and memory measurement in one run,
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
//!   vs a stdlib signer, botocore's `SigV4Auth.add_auth` and awscrt's
//!   `aws_sign_request`; `Verifier.verify` (keys held, or a Python lookup) vs a
//!   stdlib verifier.
//! - `tests/bench/python/asgi_throughput.py` in `target/py-venv`: requests/s of
//!   a minimal ASGI app under uvicorn with `HmacSigMiddleware` vs the same app
//!   bare, the same closed-loop load on loopback, rounds interleaved.
//! - `bindings/kotlin/src/test/kotlin/dev/hmacsig/bench/SignBench.kt` (`java`, full
//!   JIT, on the prepared jar and test classes): `Signer.sign` and
//!   `Verifier.verify` vs `javax.crypto.Mac` ones.
//! - `bindings/swift/Sources/HmacSigBench` (release build, in the Swift chroot):
//!   `Signer.sign` and `Verifier.verify` vs `ReplayGuard.isEmpty()`, the cheapest
//!   generated call.
//!
//! Targets live here and only here (never in timed tests). A target missed is
//! reported, not an error: the command fails only when a measurement could not
//! be made.

mod languages;
mod native;
mod report;

use serde_json::{Map, Value, json};

use crate::util::{Result, log, target_dir};
use languages::{asgi_bench, js_bench, kotlin_bench, plot, python_bench, swift_bench};
use native::{bench_binary, rust_micro, stream_rss, stream_throughput};
use report::{Report, load_average, machine, round};

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

/// Every metric, in report order, with its target (issues 6, 14 and 15).
const METRICS: [(&str, Target); 22] = [
    ("core_sign_vs_floor", Target::AtMost(1.5)),
    ("core_sign_vs_keyed_floor", Target::None),
    ("core_verify_vs_floor", Target::AtMost(2.0)),
    ("core_sigv4_vs_aws_sigv4_crate", Target::None),
    ("verify_with_store_vs_with_keys", Target::AtMost(1.2)),
    ("python_sign_vs_botocore", Target::AtMost(0.25)),
    ("python_sign_vs_stdlib", Target::AtMost(2.0)),
    // Issue 17: kong-hmac and hawk against hand-written signers, api-auth's target.
    ("python_kong_sign_vs_stdlib", Target::AtMost(2.0)),
    ("python_hawk_sign_vs_stdlib", Target::AtMost(2.0)),
    ("python_sigv4_vs_awscrt", Target::AtMost(0.75)),
    ("python_verify_vs_stdlib", Target::AtMost(1.5)),
    ("python_verify_lookup_vs_stdlib", Target::AtMost(2.5)),
    ("asgi_throughput_vs_bare", Target::AtLeast(0.9)),
    ("kotlin_sign_vs_javax", Target::AtMost(3.0)),
    ("kotlin_verify_vs_javax", Target::AtMost(1.5)),
    ("swift_sign_vs_empty_call", Target::None),
    // Issue 18: the WebAssembly package on Node.
    ("js_sign_vs_node_crypto", Target::AtMost(3.0)),
    ("js_sigv4_vs_aws4", Target::AtMost(1.5)),
    // A size, not a time: the same bytes every run, so no baseline to divide by.
    ("js_wasm_gzip_kib", Target::AtMost(250.0)),
    ("swift_verify_vs_empty_call", Target::None),
    ("stream_vs_openssl_sha256", Target::AtLeast(0.9)),
    ("stream_peak_rss_mib", Target::AtMost(32.0)),
];

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
                "core_sign_vs_keyed_floor",
                "core_verify_vs_floor",
                "verify_with_store_vs_with_keys",
                "core_sigv4_vs_aws_sigv4_crate",
                "stream_vs_openssl_sha256",
                "stream_peak_rss_mib",
            ] {
                report.add(name, Err(e.clone()));
            }
        }
    }
    log("== bench: Python (hmacsig vs stdlib, botocore and awscrt)");
    python_bench(&mut report);
    log("== bench: ASGI throughput (uvicorn + HmacSigMiddleware vs the bare app)");
    asgi_bench(&mut report);
    log("== bench: Kotlin (hmacsig vs javax.crypto.Mac)");
    kotlin_bench(&mut report);
    log("== bench: Swift (Signer.sign and Verifier.verify vs an empty FFI call)");
    swift_bench(&mut report);
    log("== bench: JavaScript (the WebAssembly package vs node:crypto and npm aws4)");
    js_bench(&mut report);

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
        json!("medians over interleaved batches: each round runs one batch of every case in rotating order (numerators and denominators alike), after calibration and a discarded warm-up batch; a ratio is median(numerator) / median(denominator) from this run; times are ns per call, except asgi_throughput_vs_bare, a ratio of median requests/s over rounds alternating the two servers"),
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
}
