//! Suites kept as `{"case": …, "expect": …}` files (the format of the shared
//! vectors, `tests/vectors/README.md`): Kong's plugin tests answered by its
//! `access.lua`, hawk's sample cases, and the cases our own oracles answered
//! (`tests/conformance/kong-hmac/`, `tests/conformance/hawk/`).
//!
//! `expect.ok` is true, false, or null (either verdict: where this library
//! is documented as stricter, or the references differ); `headers` (by
//! name, in order), `string_to_sign`, `url` and `key_id`, when given, must
//! match exactly; `error`, when given, is the kind of the refusal.

use serde_json::Value;

use crate::conformance::{Case, Expect};
use crate::util::{Result, root};

/// The suites, by name and file (relative to the repository root).
pub const SUITES: [(&str, &str); 5] = [
    ("kong-hmac", "tests/vectors/kong-hmac/kong-spec-cases.json"),
    ("kong-hmac-oracle", "tests/conformance/kong-hmac/kong-oracle-cases.json"),
    ("hawk", "tests/vectors/hawk/sample-cases.json"),
    ("hawk-oracle", "tests/conformance/hawk/hawk-oracle-cases.json"),
    // Integers as JSON writes them: beyond 2^53 (exact in every runner, JavaScript's too) and
    // whole floats such as 1500.0 (not integers), answered by the Rust runner.
    ("json-numbers", "tests/conformance/json-numbers-cases.json"),
];

/// The cases of one suite file.
pub fn cases(path: &str) -> Result<Vec<Case>> {
    let file = root().join(path);
    let text = std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let items: Vec<Value> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    items
        .into_iter()
        .map(|item| match (item.get("case"), item.get("expect")) {
            (Some(case), Some(expect)) => Ok(Case { json: case.clone(), expect: Expect::Contract(expect.clone()) }),
            _ => Err(format!("{}: an item without case and expect", file.display())),
        })
        .collect()
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// What is wrong with `result` against `expect`, if anything.
pub fn mismatch(expect: &Value, result: &Value) -> Option<String> {
    let ok = result["ok"] == true;
    if let Some(want) = expect["ok"].as_bool() {
        if ok != want {
            return Some(format!("ok {ok}, expected {want} ({})", text(result, "message").unwrap_or("")));
        }
        if !ok {
            return text(expect, "error")
                .filter(|kind| text(result, "error") != Some(kind))
                .map(|kind| format!("error {:?}, expected {kind:?}", text(result, "error")));
        }
    }
    if !ok {
        return None; // Either verdict, and this one refused.
    }
    if let Some(headers) = expect["headers"].as_object() {
        let got: Vec<(String, &str)> = result["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p[0].as_str().unwrap_or("").to_ascii_lowercase(), p[1].as_str().unwrap_or("")))
            .collect();
        let want: Vec<(String, &str)> = headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.as_str().unwrap_or(""))).collect();
        if got != want {
            return Some(format!("headers {got:?}, expected {want:?}"));
        }
    }
    ["string_to_sign", "url", "key_id"].iter().find_map(|key| {
        let want = text(expect, key)?;
        (text(result, key) != Some(want)).then(|| format!("{key} {:?}, expected {want:?}", text(result, key)))
    })
}
