//! `cargo xtask demo`: the main job end to end. Builds everything, signs the
//! same request in Rust, Python, Kotlin, Swift and JavaScript (the WebAssembly
//! package on Node; each through its own public API, via its conformance
//! runner), shows the five Authorization headers side by side, then verifies
//! the Python-signed request in all five. Leaves the Swagger UI example page in
//! `target/swagger-ui/` and says how to open it.
//!
//! It prints for people: a line per step, then the results. `--verbose`
//! shows every command it runs and their output, as `test` does.

use serde_json::{Value, json};

use crate::RUNNERS;
use crate::conformance::run_runner;
use crate::util::{Result, log};

pub fn run(verbose: bool) -> Result {
    crate::util::set_quiet(!verbose);
    for lang in RUNNERS {
        eprintln!("Building and setting up {lang}...");
        log(format!("== preparing {lang}"));
        crate::prepare(lang)?;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
    let body = br#"{"order":{"id":7,"qty":2}}"#;
    let request = json!({
        "method": "POST",
        "target": "/orders?id=7",
        "headers": [["Content-Type", "application/json"]],
        "body_b64": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, body),
    });
    let credentials = json!({"key_id": "1044", "secret": "demo-secret-not-for-production"});
    let scheme = json!({"name": "api-auth", "digest": "sha256"});
    let sign_case = json!([{"id": "demo", "op": "sign", "scheme": scheme, "request": request, "credentials": credentials, "now": now}]);

    let mut signed: Vec<(&str, Value)> = Vec::new();
    for lang in RUNNERS {
        let result = run_runner(lang, &sign_case)?.into_iter().next().ok_or("no result")?;
        if result["ok"] != true {
            return Err(format!("{lang} could not sign: {result}"));
        }
        signed.push((lang, result));
    }
    println!(
        "\nSigned POST /orders?id=7 with the body {}, api-auth HMAC-SHA256, key id 1044, at Unix time {now}:\n",
        String::from_utf8_lossy(body)
    );
    let header = |r: &Value, name: &str| -> String {
        r["headers"].as_array().into_iter().flatten().find(|h| h[0] == name).and_then(|h| h[1].as_str()).unwrap_or("").to_owned()
    };
    for (lang, result) in &signed {
        println!("  {lang:<7} Authorization: {}", header(result, "Authorization"));
    }
    let identical =
        signed.windows(2).all(|w| w[0].1["headers"] == w[1].1["headers"] && w[0].1["string_to_sign"] == w[1].1["string_to_sign"]);
    println!("\n  string to sign: {:?}", signed[0].1["string_to_sign"].as_str().unwrap_or(""));
    println!("  all {} languages produced identical headers: {}", RUNNERS.len(), if identical { "yes" } else { "NO" });
    if !identical {
        return Err("the languages disagree".into());
    }

    // Verify the Python-signed request, as a server in each language would.
    let mut sent = request.clone();
    let python = &signed.iter().find(|(l, _)| *l == "python").ok_or("no python result")?.1;
    let mut headers: Vec<Value> = sent["headers"].as_array().cloned().unwrap_or_default();
    headers.extend(python["headers"].as_array().cloned().unwrap_or_default());
    sent["headers"] = Value::Array(headers.clone());
    let verify = |req: &Value, id: &str| json!({"id": id, "op": "verify", "scheme": scheme, "request": req, "credentials": credentials, "now": now + 5});
    let mut tampered = sent.clone();
    tampered["target"] = json!("/orders?id=8");
    let cases = json!([verify(&sent, "as sent"), verify(&tampered, "target changed to /orders?id=8")]);
    println!("\nVerifying the Python-signed request 5 s later:\n");
    for lang in RUNNERS {
        for result in run_runner(lang, &cases)? {
            let verdict = if result["ok"] == true {
                format!("accepted, key id {}", result["key_id"])
            } else {
                format!("refused: {} ({})", result["error"].as_str().unwrap_or(""), result["message"].as_str().unwrap_or(""))
            };
            println!("  {lang:<7} {:<34} {verdict}", result["id"].as_str().unwrap_or(""));
        }
    }
    let page = crate::js_e2e::swagger_ui_page()?;
    println!("\nThe browser: {} holds the Swagger UI example, signed by the WebAssembly core. Open it with", page.display());
    println!("  target/py-venv/bin/python examples/python/fastapi_swagger_ui.py   # then http://127.0.0.1:8000/swagger/");
    println!("  (Authorize: username demo-client, password demo-secret)\n");
    Ok(())
}
