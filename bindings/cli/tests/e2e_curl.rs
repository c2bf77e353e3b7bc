//! End to end (tests/e2e/README.md): requests signed by the `hmacsig` CLI
//! travel through curl, over real HTTP on 127.0.0.1, to the verifying
//! servers: the Python ASGI app, the Kotlin server and the tamper proxy.
//! Each check runs both ways a user would: `hmacsig sign … | curl -H @- …`
//! and the `hmacsig sign --curl` command through `sh -c`.
//!
//! `cargo xtask test` starts the servers and runs these with `--ignored`;
//! without its environment they fail, never pass vacuously.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::sh;
use serde_json::Value;
use sha2::{Digest, Sha256};

const IGNORED: &str = "run by cargo xtask test's end-to-end phase, which starts the servers";
const BODY: &str = "{\"order\":{\"id\":7,\"qty\":2},\n \"note\":\"from curl\"}\n";
const JSON: &str = "application/json";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {IGNORED}"))
}

/// How the signed request reaches curl.
#[derive(Debug, Clone, Copy)]
enum Way {
    /// `hmacsig sign … | curl -H @- --data-binary @body.json --path-as-is …`
    HeaderLines,
    /// `sh -c "$(hmacsig sign … --curl …)"`
    CurlCommand,
}

/// An HTTP answer as curl reported it.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        assert_eq!(self.status, 200, "{self:?}");
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A fresh scratch directory holding the body file (tests run in parallel).
fn workdir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-e2e-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("body.json"), BODY).unwrap();
    dir
}

/// Quotes `s` for sh, single quotes throughout.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Signs `method url` (with the JSON body for POST) and sends it with curl.
fn send(way: Way, method: &str, url: &str) -> Answer {
    let dir = workdir();
    let with_body = method == "POST";
    let mut sign = format!(
        "hmacsig sign --scheme api-auth --digest sha256 --key-id {} --secret-env HMACSIG_E2E_SECRET -X {method}",
        q(&env("HMACSIG_E2E_KEY_ID"))
    );
    if with_body {
        sign.push_str(&format!(" -H 'Content-Type: {JSON}' -d @body.json"));
    }
    let status = r"-sS -w '\n%{http_code}'";
    let script = match way {
        Way::HeaderLines => {
            let data = if with_body { " --data-binary @body.json" } else { "" };
            format!("{sign} {url} | curl -H @-{data} --path-as-is -X {method} {status} {url}", url = q(url))
        }
        Way::CurlCommand => {
            let command = sh(&format!("{sign} --curl {}", q(url)), None, Some(&dir));
            assert_eq!(command.code, 0, "{command:?}");
            format!("{} {status}", command.stdout.trim_end())
        }
    };
    run_curl(&script, &dir)
}

/// Runs a curl pipeline ending in `-w '\n%{http_code}'`.
fn run_curl(script: &str, dir: &std::path::Path) -> Answer {
    let mut cmd = std::process::Command::new("sh");
    let bin_dir = common::bin().parent().unwrap().to_path_buf();
    let path =
        std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()))).unwrap();
    let out = cmd.arg("-c").arg(script).current_dir(dir).env("PATH", path).output().expect("sh runs");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{script}\nstdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    let (body, status) = stdout.rsplit_once('\n').unwrap_or_else(|| panic!("no status in {stdout:?}"));
    Answer { status: status.parse().unwrap_or_else(|_| panic!("status {status:?}")), body: body.to_owned() }
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
#[ignore = "run by cargo xtask test's end-to-end phase, which starts the servers"]
fn signed_post_reaches_the_asgi_server() {
    let url = format!("{}/e2e/cli/orders?id=7", env("HMACSIG_E2E_ASGI_URL"));
    for way in [Way::HeaderLines, Way::CurlCommand] {
        let echo = send(way, "POST", &url).json();
        assert_eq!(echo["key_id"], env("HMACSIG_E2E_KEY_ID"), "{way:?}");
        assert_eq!(echo["method"], "POST", "{way:?}");
        assert_eq!(echo["target"], "/e2e/cli/orders?id=7", "{way:?}");
        assert_eq!(echo["content_type"], JSON, "{way:?}");
        assert_eq!(echo["body_sha256"], sha256_hex(BODY.as_bytes()), "{way:?}: the body arrived byte for byte");
    }
}

#[test]
#[ignore = "run by cargo xtask test's end-to-end phase, which starts the servers"]
fn signed_get_keeps_its_query_order() {
    let url = format!("{}/e2e/cli/search?b=2&a=1", env("HMACSIG_E2E_ASGI_URL"));
    for way in [Way::HeaderLines, Way::CurlCommand] {
        let echo = send(way, "GET", &url).json();
        assert_eq!(echo["target"], "/e2e/cli/search?b=2&a=1", "{way:?}");
        assert_eq!(echo["key_id"], env("HMACSIG_E2E_KEY_ID"), "{way:?}");
        assert_eq!(echo["body_sha256"], sha256_hex(b""), "{way:?}");
    }
}

#[test]
#[ignore = "run by cargo xtask test's end-to-end phase, which starts the servers"]
fn signed_post_crosses_to_the_kotlin_server() {
    let url = format!("{}/e2e/cli/orders?id=7", env("HMACSIG_E2E_KOTLIN_URL"));
    for way in [Way::HeaderLines, Way::CurlCommand] {
        let echo = send(way, "POST", &url).json();
        assert_eq!(echo["key_id"], env("HMACSIG_E2E_KEY_ID"), "{way:?}");
        assert_eq!(echo["target"], "/e2e/cli/orders?id=7", "{way:?}");
        assert_eq!(echo["body_sha256"], sha256_hex(BODY.as_bytes()), "{way:?}");
    }
}

#[test]
#[ignore = "run by cargo xtask test's end-to-end phase, which starts the servers"]
fn tampering_in_flight_is_refused() {
    let base = env("HMACSIG_E2E_TAMPER_URL");
    for way in [Way::HeaderLines, Way::CurlCommand] {
        let post = send(way, "POST", &format!("{base}/e2e/cli/orders?id=7"));
        assert_eq!(post.status, 403, "{way:?}: {post:?}");
        assert!(post.body.starts_with("body_mismatch"), "{way:?}: {post:?}");
        let get = send(way, "GET", &format!("{base}/e2e/cli/search?b=2&a=1"));
        assert_eq!(get.status, 403, "{way:?}: {get:?}");
        assert!(get.body.starts_with("bad_signature"), "{way:?}: {get:?}");
    }
}

#[test]
#[ignore = "run by cargo xtask test's end-to-end phase, which starts the servers"]
fn unsigned_post_is_refused() {
    let url = format!("{}/e2e/cli/orders?id=7", env("HMACSIG_E2E_ASGI_URL"));
    let script = format!(r"curl -sS -w '\n%{{http_code}}' -H 'Content-Type: {JSON}' --data-binary @body.json {}", q(&url));
    let answer = run_curl(&script, &workdir());
    assert_eq!(answer.status, 401, "{answer:?}");
    assert!(answer.body.starts_with("missing_authorization"), "{answer:?}");
}
