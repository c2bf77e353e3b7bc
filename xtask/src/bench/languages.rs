//! The language layers' measurements: Python (against the standard library,
//! botocore and awscrt), Kotlin (against `javax.crypto.Mac`) and Swift
//! (against the cheapest generated call), and the plot of the report.

use std::process::Command;

use serde_json::{Map, Value, json};

use super::report::{Report, case, rate_ratio, ratio, run_json};
use crate::util::{self, Result, root};

/// botocore (the denominator of python_sign_vs_botocore) and what it imports, pinned
/// (`pip index versions botocore`; its dependencies as pip resolved them next to the
/// test tools' urllib3 2.8.0); then matplotlib for the plot (`pip index versions
/// matplotlib` on Python 3.11; its dependencies as pip resolved them; `packaging`
/// comes with the test tools).
const PYTHON_BENCH_DEPS: [(&str, &str); 13] = [
    ("awscrt", "0.38.0"),
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
const PYTHON_ROUNDS: u32 = 31;
const PYTHON_BATCH_MS: u32 = 20;

/// `asgi_throughput_vs_bare`: rounds per server (interleaved, ABBA), seconds per round,
/// client processes (one keep-alive connection each). The host's slow spells last seconds:
/// many short rounds give the medians more of them to outvote.
const ASGI_ROUNDS: u32 = 61;
const ASGI_ROUND_S: f64 = 0.5;
const ASGI_CLIENTS: u32 = 4;

/// Rounds of interleaved Kotlin and Swift batches, ms per batch, and the JIT warm-up
/// the Kotlin side runs per case before calibrating.
const KOTLIN_ROUNDS: u32 = 31;
const KOTLIN_BATCH_MS: u32 = 20;
const KOTLIN_WARMUP_MS: u32 = 2000;
const SWIFT_ROUNDS: u32 = 31;
const SWIFT_BATCH_MS: u32 = 20;

/// The Python venv with the wheel and `PYTHON_BENCH_DEPS` installed.
pub(super) fn python_bench_venv() -> Result {
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
pub(super) fn plot(report: &std::path::Path, png: &std::path::Path) -> Result {
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

pub(super) fn python_bench(report: &mut Report) {
    let names = [
        "python_sign_vs_stdlib",
        "python_sign_vs_botocore",
        "python_sigv4_vs_awscrt",
        "python_verify_vs_stdlib",
        "python_verify_lookup_vs_stdlib",
        "python_kong_sign_vs_stdlib",
        "python_hawk_sign_vs_stdlib",
    ];
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
    report.add(
        names[2],
        ratio(
            &results,
            "hmacsig_sigv4_sign",
            "awscrt_sigv4_sign",
            "Python hmacsig.Signer.sign (aws-sigv4, small request) / awscrt.auth.aws_sign_request (aws-c-auth) on the same request (same signature)",
        ),
    );
    report.add(
        names[3],
        ratio(
            &results,
            "hmacsig_api_auth_verify",
            "stdlib_api_auth_verify",
            "Python hmacsig.Verifier.verify (api-auth sha256, keys held by the verifier) / hand-written stdlib api-auth verifier with a Python key lookup",
        ),
    );
    report.add(
        names[4],
        ratio(
            &results,
            "hmacsig_api_auth_verify_lookup",
            "stdlib_api_auth_verify",
            "Python hmacsig.Verifier.verify (api-auth sha256, Verifier.with_lookup over a Python function) / hand-written stdlib api-auth verifier with the same lookup",
        ),
    );
    report.add(
        names[5],
        ratio(
            &results,
            "hmacsig_kong_sign",
            "stdlib_kong_sign",
            "Python hmacsig.Signer.sign (kong-hmac hmac-sha256, date and @request-target, small request) / hand-written stdlib kong-hmac signer (same headers)",
        ),
    );
    report.add(
        names[6],
        ratio(
            &results,
            "hmacsig_hawk_sign",
            "stdlib_hawk_sign",
            "Python hmacsig.Signer.sign (hawk sha256 with payload hash, small request) / hand-written stdlib hawk signer (same Authorization)",
        ),
    );
    let mut extra = Map::new();
    for name in ["call_api_auth_sign"] {
        if let Ok((_, d)) = case(&results, name) {
            extra.insert(name.into(), d);
        }
    }
    extra.insert("checks".into(), results["checks"].clone());
    extra.insert("python".into(), results["python"].clone());
    extra.insert("profile_hmacsig_api_auth_sign".into(), results["profile_hmacsig_api_auth_sign"].clone());
    report.details.insert("python".into(), Value::Object(extra));
}

/// `tests/bench/python/asgi_throughput.py`: requests/s of a minimal ASGI app under uvicorn
/// with `HmacSigMiddleware` against the same app bare, the same bounded load on both.
pub(super) fn asgi_bench(report: &mut Report) {
    let name = "asgi_throughput_vs_bare";
    let (rounds, seconds, clients) = (ASGI_ROUNDS.to_string(), ASGI_ROUND_S.to_string(), ASGI_CLIENTS.to_string());
    let results = (|| -> Result<Value> {
        python_bench_venv()?;
        run_json(
            Command::new(crate::python::venv_python())
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .arg(root().join("tests").join("bench").join("python").join("asgi_throughput.py"))
                .args(["--rounds", &rounds, "--seconds", &seconds, "--clients", &clients]),
        )
    })();
    let results = match results {
        Ok(r) => r,
        Err(e) => return report.fail_all(&[name], &e),
    };
    report.add(
        name,
        rate_ratio(
            &results,
            "hmacsig_asgi",
            "bare_asgi",
            "median requests/s of uvicorn + HmacSigMiddleware (path-body-hex, keys held) + a minimal app / median requests/s of the same app without it; same pre-signed requests, same closed-loop load, rounds interleaved (a throughput ratio: above 1 is faster)",
        )
        .map(|(value, mut detail)| {
            for key in ["round_ratios", "client_max", "checks", "server"] {
                detail[key] = results[key].clone();
            }
            for (side, case) in [("numerator", "hmacsig_asgi"), ("denominator", "bare_asgi")] {
                for key in ["server_cpu_us_per_request", "client_cpu_us_per_request"] {
                    detail[side][key] = results[case][key].clone();
                }
            }
            (value, detail)
        }),
    );
}

pub(super) fn kotlin_bench(report: &mut Report) {
    let names = ["kotlin_sign_vs_javax", "kotlin_verify_vs_javax"];
    let results = (|| -> Result<Value> {
        crate::kotlin::prepare()?;
        run_json(crate::kotlin::java_for_bench("dev.hmacsig.bench.SignBenchKt")?.args([
            "--rounds",
            &KOTLIN_ROUNDS.to_string(),
            "--batch-ms",
            &KOTLIN_BATCH_MS.to_string(),
            "--warmup-ms",
            &KOTLIN_WARMUP_MS.to_string(),
        ]))
    })();
    let results = match results {
        Ok(r) => r,
        Err(e) => return report.fail_all(&names, &e),
    };
    let checked = |check: &str| match results["checks"][check] == json!(true) {
        true => Ok(()),
        false => Err(format!("the Kotlin bench did not check {check}: {}", results["checks"])),
    };
    let with_java = |outcome: Result<(f64, Value)>| {
        outcome.map(|(value, mut detail)| {
            detail["java"] = results["java"].clone();
            (value, detail)
        })
    };
    report.add(
        names[0],
        with_java(checked("javax_same_headers").and_then(|()| {
            ratio(
                &results,
                "hmacsig_api_auth_sign",
                "javax_api_auth_sign",
                "Kotlin dev.hmacsig.Signer.sign (api-auth sha256, small request) / hand-written javax.crypto.Mac api-auth signer (same headers, asserted)",
            )
        })),
    );
    report.add(
        names[1],
        with_java(checked("javax_verify_same_key_id").and_then(|()| {
            ratio(
                &results,
                "hmacsig_api_auth_verify",
                "javax_api_auth_verify",
                "Kotlin dev.hmacsig.Verifier.verify (api-auth sha256, keys held by the verifier) / hand-written javax.crypto.Mac api-auth verifier (same key id, asserted)",
            )
        })),
    );
}

pub(super) fn swift_bench(report: &mut Report) {
    let names = ["swift_sign_vs_empty_call", "swift_verify_vs_empty_call"];
    let results = (|| -> Result<Value> {
        crate::swift::prepare()?;
        let (rounds, batch_ms) = (SWIFT_ROUNDS.to_string(), SWIFT_BATCH_MS.to_string());
        let results = run_json(&mut crate::swift::release_product("HmacSigBench", &["--rounds", &rounds, "--batch-ms", &batch_ms])?)?;
        match results["build"] == json!("release") {
            true => Ok(results),
            false => Err(format!("the Swift bench is a {} build, not release", results["build"])),
        }
    })();
    let results = match results {
        Ok(r) => r,
        Err(e) => return report.fail_all(&names, &e),
    };
    let empty = "ReplayGuard.isEmpty() (the cheapest generated call: handle in, Bool out, no buffers), release build";
    report.add(
        names[0],
        ratio(
            &results,
            "hmacsig_api_auth_sign",
            "empty_call",
            &format!("Swift Signer.sign (api-auth sha256, small request: one hmacsig_call) / {empty}"),
        )
        .map(|(value, mut detail)| {
            if let Ok((_, key_id)) = case(&results, "key_id_call") {
                detail["key_id_call"] = key_id;
            }
            (value, detail)
        }),
    );
    report.add(
        names[1],
        ratio(
            &results,
            "hmacsig_api_auth_verify",
            "empty_call",
            &format!("Swift Verifier.verify (api-auth sha256, keys held by the verifier, small request: one hmacsig_call) / {empty}"),
        ),
    );
}

/// Rounds and ms per batch of the JavaScript bench.
const JS_ROUNDS: u32 = 31;
const JS_BATCH_MS: u32 = 20;

/// `tests/bench/js/bench.mjs` on the WebAssembly package, npm aws4 installed next to it.
pub(super) fn js_bench(report: &mut Report) {
    let names = ["js_sign_vs_node_crypto", "js_sigv4_vs_aws4"];
    let dir = root().join("tests").join("bench").join("js");
    let results = (|| -> Result<Value> {
        crate::js::prepare()?;
        if !dir.join("node_modules").join("aws4").is_dir() {
            util::run(Command::new("npm").current_dir(&dir).args(["install", "--no-audit", "--no-fund", "--loglevel=error"]))?;
        }
        run_json(
            Command::new("node")
                .arg(dir.join("bench.mjs"))
                .args(["--rounds", &JS_ROUNDS.to_string(), "--batch-ms", &JS_BATCH_MS.to_string()])
                .env("HMACSIG_JS_PACKAGE", crate::js::package_dir().join("index.js")),
        )
    })();
    report.add(
        "js_wasm_gzip_kib",
        crate::js::gzipped_kib()
            .map(|kib| (kib, json!({"what": "the package's .wasm after gzip -9, KiB", "file": "hmacsig_wasm_bg.wasm"}))),
    );
    let results = match results {
        Ok(r) => r,
        Err(e) => return report.fail_all(&names, &e),
    };
    report.add(
        names[0],
        ratio(
            &results,
            "hmacsig_api_auth_sign",
            "node_crypto_api_auth_sign",
            "JavaScript (WebAssembly) Signer.sign (api-auth sha256, small request) / hand-written node:crypto api-auth signer (same headers)",
        ),
    );
    report.add(
        names[1],
        ratio(
            &results,
            "hmacsig_sigv4_sign",
            "aws4_sign",
            "JavaScript (WebAssembly) Signer.sign (aws-sigv4, small request) / npm aws4 sign() on the same request (same Authorization)",
        ),
    );
}
