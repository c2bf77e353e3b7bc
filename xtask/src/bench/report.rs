//! What every measurement shares: running a benchmark process, the medians and
//! ratios of its cases, the report they go into, and the machine's facts.

use std::process::Command;

use serde_json::{Map, Value, json};

use crate::util::{Result, log, run_capture};

/// Median of `samples` (mean of the middle two for an even count); `None` when empty.
pub(super) fn median(samples: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 })
}

/// Machine facts for the report: CPU model, cores, load average.
pub(super) fn machine() -> Value {
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

pub(super) fn load_average() -> Option<Vec<f64>> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().take(3).map(|w| w.parse().ok()).collect()
}

/// The first line a command prints, if it runs.
pub(super) fn command_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_owned)
}

/// Runs `cmd`, parsing the one JSON object it prints.
pub(super) fn run_json(cmd: &mut Command) -> Result<Value> {
    let out = run_capture(cmd, b"")?;
    serde_json::from_slice(&out).map_err(|e| format!("benchmark output is not JSON ({e}): {}", String::from_utf8_lossy(&out)))
}

/// A case's samples under `field`, with their median, minimum and maximum.
struct Samples<'a> {
    case: &'a Value,
    samples: Vec<f64>,
    median: f64,
    min: f64,
    max: f64,
}

fn samples<'a>(results: &'a Value, name: &str, field: &str) -> Result<Samples<'a>> {
    let case = results.get(name).ok_or_else(|| format!("the benchmark reported no case {name:?}"))?;
    let samples: Vec<f64> = case[field].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
    let median = median(&samples).ok_or_else(|| format!("case {name:?} has no samples"))?;
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok(Samples { case, samples, median, min, max })
}

/// One timed case: its median and what it is, for `details`.
pub(super) fn case(results: &Value, name: &str) -> Result<(f64, Value)> {
    let Samples { case: c, samples, median: med, min, max } = samples(results, name, "samples_ns")?;
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

pub(super) fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

/// A ratio metric: numerator median / denominator median, both from `results`.
pub(super) fn ratio(results: &Value, numerator: &str, denominator: &str, divides: &str) -> Result<(f64, Value)> {
    let (num, num_detail) = case(results, numerator)?;
    let (den, den_detail) = case(results, denominator)?;
    let value = num / den;
    Ok((value, json!({"ratio": round(value, 4), "divides": divides, "numerator": num_detail, "denominator": den_detail})))
}

/// One rate case (`samples_rps`, higher is faster): its median and what it is, for `details`.
pub(super) fn rate_case(results: &Value, name: &str) -> Result<(f64, Value)> {
    let Samples { case: c, samples, median: med, min, max } = samples(results, name, "samples_rps")?;
    Ok((
        med,
        json!({
            "case": name,
            "what": c["what"],
            "median_per_s": round(med, 1),
            "min_per_s": round(min, 1),
            "max_per_s": round(max, 1),
            "samples_per_s": samples,
        }),
    ))
}

/// A throughput ratio: median rate of `numerator` / median rate of `denominator`
/// (`samples_rps`, both from `results`); above 1 means the numerator is faster.
pub(super) fn rate_ratio(results: &Value, numerator: &str, denominator: &str, divides: &str) -> Result<(f64, Value)> {
    let (num, num_detail) = rate_case(results, numerator)?;
    let (den, den_detail) = rate_case(results, denominator)?;
    let value = num / den;
    Ok((value, json!({"ratio": round(value, 4), "divides": divides, "numerator": num_detail, "denominator": den_detail})))
}

pub(super) struct Report {
    pub metrics: Map<String, Value>,
    pub details: Map<String, Value>,
    pub missing: Map<String, Value>,
    pub errors: Vec<String>,
}

impl Report {
    /// Every metric of a run that could not be made fails with its error.
    pub(super) fn fail_all(&mut self, names: &[&str], error: &str) {
        for name in names {
            self.add(name, Err(error.to_owned()));
        }
    }

    pub(super) fn add(&mut self, name: &str, outcome: Result<(f64, Value)>) {
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

/// A ratio from each of several runs of the micro benchmark (each its own
/// process, numerator and denominator interleaved within it): the run with
/// the median ratio, its details, and every run's ratio.
pub(super) fn median_run(runs: &[Value], ratio_of: impl Fn(&Value) -> Result<(f64, Value)>) -> Result<(f64, Value)> {
    let mut each = runs.iter().map(ratio_of).collect::<Result<Vec<_>>>()?;
    let ratios: Vec<f64> = each.iter().map(|(value, _)| round(*value, 4)).collect();
    each.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (value, mut detail) = each.swap_remove(each.len() / 2);
    detail["runs"] = json!(ratios);
    detail["of_runs"] =
        json!("the median of these per-process ratios (numerator and denominator measured in the same process, interleaved)");
    Ok((value, detail))
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

    #[test]
    fn rate_ratio_divides_median_rates() {
        let results = json!({
            "mw": {"what": "with", "samples_rps": [900.0, 800.0, 1000.0]},
            "bare": {"what": "without", "samples_rps": [1000.0, 1100.0, 900.0, 1200.0]},
        });
        let (value, detail) = rate_ratio(&results, "mw", "bare", "mw / bare").unwrap();
        assert_eq!(value, 900.0 / 1050.0);
        assert_eq!(detail["numerator"]["median_per_s"], json!(900.0));
        assert_eq!(detail["denominator"]["min_per_s"], json!(900.0));
        assert!(rate_ratio(&results, "mw", "samples_ns", "").is_err());
        assert!(rate_ratio(&json!({"mw": {"samples_ns": [1.0]}}), "mw", "mw", "").is_err());
    }
}
