//! The Rust measurements: the core against its floors and against the
//! `aws-sigv4` crate (`hmacsig-bench micro`, in several processes), and the
//! streaming hasher against `openssl speed` and in peak memory.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use super::report::{Report, case, median, median_run, ratio, round, run_json};
use crate::util::{self, Result, ensure_program, root, target_dir};

/// Separate processes of the Rust micro benchmark: the machines' noise comes
/// in spells of seconds, and the ratio reported is the median run's.
const MICRO_RUNS: u32 = 5;
/// Rounds of interleaved batches (each round: one batch of every case).
const MICRO_ROUNDS: u32 = 41;
const MICRO_BATCH_MS: u32 = 10;
/// Alternations of a 1 s `BodyHasher` run and a 1 s `openssl speed` run.
const STREAM_ROUNDS: u32 = 7;
const STREAM_RSS_BYTES: u64 = 1 << 30;
const OPENSSL_BLOCK: u32 = 16384;

pub(super) fn bench_binary() -> Result<PathBuf> {
    util::run(Command::new("cargo").current_dir(root()).args(["build", "--release", "--quiet", "-p", "hmacsig-bench"]))?;
    let path = target_dir().join("release").join("hmacsig-bench");
    if path.is_file() { Ok(path) } else { Err(format!("cargo built hmacsig-bench but {} is missing", path.display())) }
}

pub(super) fn rust_micro(report: &mut Report, bench: &std::path::Path) {
    let names = [
        "core_sign_vs_floor",
        "core_verify_vs_floor",
        "core_sigv4_vs_aws_sigv4_crate",
        "core_sign_vs_keyed_floor",
        "verify_with_store_vs_with_keys",
    ];
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
        names[4],
        median_run(&runs, |results| {
            ratio(
                results,
                "core_verify_with_store",
                "core_verify_with_keys_same_secret",
                "core Verifier::verify_view with_store (SQLite key store, warm cache) / with_keys holding the same secret, same request",
            )
        }),
    );
    report.add(
        names[3],
        median_run(&runs, |results| {
            ratio(
                results,
                "core_sign",
                "keyed_floor",
                "core Signer::sign_into (api-auth sha256, small request, one reused output) / the floor with the HMAC keyed once (a clone of a pre-keyed hmac 0.13 HMAC-SHA256, as the core keeps its key per credentials), plus SHA-256 of the body",
            )
        }),
    );
    report.add(
        names[1],
        median_run(&runs, |results| {
            ratio(
                results,
                "core_verify",
                "floor",
                &format!(
                    "core Verifier::verify_view (api-auth sha256, keys in memory, small request borrowed, what the C entry calls) / {floor}"
                ),
            )
            .map(|(value, mut detail)| {
                if let Ok((_, owned)) = case(results, "core_verify_owned") {
                    detail["core_verify_owned"] = owned;
                }
                (value, detail)
            })
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

/// Bytes per second from `openssl speed` output: the last table row's figure for
/// `block` bytes ("numbers are in 1000s of bytes per second"), else the "Doing ..."
/// line (`N <alg>'s in T s` of `block`-byte blocks).
pub(super) fn parse_openssl_speed(output: &str, block: u32) -> Option<f64> {
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

/// `BodyHasher` throughput against `openssl speed -evp sha256` at 16 KiB blocks,
/// alternating 1 s runs of each.
pub(super) fn stream_throughput(bench: &std::path::Path) -> Result<(f64, Value)> {
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
pub(super) fn stream_rss(bench: &std::path::Path) -> Result<(f64, Value)> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
