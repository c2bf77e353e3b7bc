//! End to end (tests/e2e/README.md): requests signed by the `hmacsig` CLI
//! travel through curl, over real HTTP on 127.0.0.1, to the verifying
//! servers: the Python ASGI app, the Kotlin server and the tamper proxy.
//! Each check runs both ways a user would: `hmacsig sign … | curl -H @- …`
//! and the `hmacsig sign --curl` command through `sh -c`.
//!
//! `cargo xtask test` starts the servers and runs these with `--ignored`;
//! without its environment they fail, never pass vacuously.
//!
//! Those servers verify api-auth only, so kong-hmac and hawk go to a
//! verifying server these tests start themselves, on 127.0.0.1: the core's
//! `Verifier` for the same scheme (and policy) behind a plain HTTP/1.1
//! listener, answering as the ASGI server does. Needing nothing but curl,
//! they run in every `cargo test -p hmacsig-cli`, not only with `--ignored`.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{SECRET_VAR, sh};
use hmacsig::{Header, Policy, Request, Scheme, SignatureType, Verifier, http_status};
use serde_json::{Value, json};
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
fn signed_post_crosses_to_the_kotlin_and_node_servers() {
    for server in ["HMACSIG_E2E_KOTLIN_URL", "HMACSIG_E2E_NODE_URL"] {
        let url = format!("{}/e2e/cli/orders?id=7", env(server));
        for way in [Way::HeaderLines, Way::CurlCommand] {
            let echo = send(way, "POST", &url).json();
            assert_eq!(echo["key_id"], env("HMACSIG_E2E_KEY_ID"), "{server} {way:?}");
            assert_eq!(echo["target"], "/e2e/cli/orders?id=7", "{server} {way:?}");
            assert_eq!(echo["body_sha256"], sha256_hex(BODY.as_bytes()), "{server} {way:?}");
        }
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

/// The key the in-process verifying servers hold.
const KEY_ID: &str = "e2e-client";
const SECRET: &str = "e2e-secret-for-kong-and-hawk";

/// A raw HTTP/1.1 request as the listener read it (headers, then Content-Length bytes).
fn parse_raw(raw: &[u8]) -> Request {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a blank line after the headers");
    let head = std::str::from_utf8(&raw[..end]).expect("UTF-8 headers");
    let mut lines = head.split("\r\n");
    let request_line: Vec<&str> = lines.next().expect("a request line").split(' ').collect();
    let headers = lines
        .map(|l| l.split_once(':').expect("Name: value"))
        .map(|(name, value)| Header::new(name, value.trim_matches([' ', '\t'])))
        .collect();
    Request { method: request_line[0].into(), target: request_line[1].into(), headers, body: raw[end + 4..].to_vec() }
}

/// A verifying server on 127.0.0.1 for `scheme` and `policy` with the one
/// key [`KEY_ID`], at the machine's clock. It answers as the ASGI server:
/// `200` with `{"key_id", "method", "target", "body_sha256"}`, or the
/// kind's status with `<kind>: <reason>`. Returns `http://127.0.0.1:PORT`.
fn verifying_server(scheme: Arc<Scheme>, policy: Option<Arc<Policy>>) -> String {
    let keys = HashMap::from([(KEY_ID.to_owned(), SECRET.as_bytes().to_vec())]);
    let verifier = Verifier::with_keys(scheme, keys, policy, None).expect("a verifier");
    let address = common::serve(move |raw| {
        let request = parse_raw(raw);
        match verifier.verify_request(request.clone(), None) {
            Ok(key_id) => {
                let echo = json!({
                    "key_id": key_id,
                    "method": request.method,
                    "target": request.target,
                    "body_sha256": sha256_hex(&request.body),
                });
                (200, echo.to_string())
            }
            Err(e) => (http_status(e.kind()), format!("{}: {}", e.kind(), e.reason())),
        }
    });
    format!("http://{address}")
}

/// `hmacsig sign <flags> …` for `sign_url` (with body.json for POST), sent
/// by curl to `send_url`, the way `way` says.
fn send_signed(way: Way, flags: &str, method: &str, sign_url: &str, send_url: &str) -> Answer {
    let dir = workdir();
    let with_body = method == "POST";
    let mut sign =
        format!("export {SECRET_VAR}={}; hmacsig sign {flags} --key-id {KEY_ID} --secret-env {SECRET_VAR} -X {method}", q(SECRET));
    if with_body {
        sign.push_str(&format!(" -H 'Content-Type: {JSON}' -d @body.json"));
    }
    let status = r"-sS -w '\n%{http_code}'";
    let script = match way {
        Way::HeaderLines => {
            let data = if with_body { " --data-binary @body.json" } else { "" };
            format!("{sign} {} | curl -H @-{data} --path-as-is -X {method} {status} {}", q(sign_url), q(send_url))
        }
        Way::CurlCommand => {
            let command = sh(&format!("{sign} --curl {}", q(sign_url)), None, Some(&dir));
            assert_eq!(command.code, 0, "{command:?}");
            // The command ends in the URL signed, quoted: send it elsewhere to tamper.
            let command = command.stdout.trim_end().strip_suffix(&q(sign_url)).map(|c| format!("{c}{}", q(send_url)));
            format!("{} {status}", command.expect("the command ends in the quoted URL"))
        }
    };
    run_curl(&script, &dir)
}

#[test]
fn kong_hmac_signed_with_the_cli_reaches_a_kong_hmac_server() {
    // Kong's body validation: a signed Digest, checked against the body.
    let scheme = Scheme::kong_hmac(
        "hmac-sha256".into(),
        Some(["date", "@request-target", "content-type", "digest"].map(String::from).to_vec()),
        "authorization".into(),
        "1.1".into(),
        true,
    )
    .unwrap();
    let policy = Policy::kong_hmac(hmacsig::defaults::KONG_HMAC_CLOCK_SKEW, vec!["digest".into()], None, true).unwrap();
    let base = verifying_server(scheme, Some(policy));
    let flags = "--scheme kong-hmac --digest-header --cover date --cover @request-target --cover content-type --cover digest";
    let url = format!("{base}/e2e/cli/orders?id=7");
    for way in [Way::HeaderLines, Way::CurlCommand] {
        let echo = send_signed(way, flags, "POST", &url, &url).json();
        assert_eq!(echo["key_id"], KEY_ID, "{way:?}");
        assert_eq!(echo["target"], "/e2e/cli/orders?id=7", "{way:?}");
        assert_eq!(echo["body_sha256"], sha256_hex(BODY.as_bytes()), "{way:?}");
        let elsewhere = send_signed(way, flags, "POST", &url, &format!("{base}/e2e/cli/orders?id=8"));
        assert_eq!(elsewhere.status, 403, "{way:?}: {elsewhere:?}");
        assert!(elsewhere.body.starts_with("bad_signature: "), "{way:?}: {elsewhere:?}");
    }
    // The defaults (date, @request-target), in Proxy-Authorization.
    let plain = verifying_server(Scheme::kong_hmac("hmac-sha256".into(), None, "authorization".into(), "1.1".into(), false).unwrap(), None);
    let url = format!("{plain}/e2e/cli/search?b=2&a=1");
    let echo =
        send_signed(Way::HeaderLines, "--scheme kong-hmac --header-name proxy-authorization --algorithm hmac-sha1", "GET", &url, &url)
            .json();
    assert_eq!(echo["target"], "/e2e/cli/search?b=2&a=1");
}

#[test]
fn hawk_signed_with_the_cli_reaches_a_hawk_server() {
    let hawk = |signature_type| Scheme::hawk("sha256".into(), None, None, None, None, true, signature_type, 60).unwrap();
    let policy = Policy::hawk(hmacsig::defaults::HAWK_TIMESTAMP_SKEW, true, None, None).unwrap();
    let base = verifying_server(hawk(None), Some(policy));
    let url = format!("{base}/e2e/cli/orders?id=7");
    for way in [Way::HeaderLines, Way::CurlCommand] {
        let echo = send_signed(way, "--scheme hawk --ext e2e", "POST", &url, &url).json();
        assert_eq!(echo["key_id"], KEY_ID, "{way:?}");
        assert_eq!(echo["method"], "POST", "{way:?}");
        assert_eq!(echo["body_sha256"], sha256_hex(BODY.as_bytes()), "{way:?}");
        let elsewhere = send_signed(way, "--scheme hawk", "POST", &url, &format!("{base}/e2e/cli/orders?id=8"));
        assert_eq!(elsewhere.status, 403, "{way:?}: {elsewhere:?}");
        assert!(elsewhere.body.starts_with("bad_signature: "), "{way:?}: {elsewhere:?}");
    }
    // A bewit URL: curl "$(hmacsig sign --scheme hawk --signature-type query …)".
    let bewits = verifying_server(hawk(Some(SignatureType::Query)), None);
    let url = format!("{bewits}/e2e/cli/files/7?b=2&a=1");
    let script = format!(
        r#"export {SECRET_VAR}={}; curl -sS -w '\n%{{http_code}}' --path-as-is \
          "$(hmacsig sign --scheme hawk --signature-type query --ttl 30 --key-id {KEY_ID} --secret-env {SECRET_VAR} {})""#,
        q(SECRET),
        q(&url)
    );
    let echo = run_curl(&script, &workdir()).json();
    assert_eq!(echo["key_id"], KEY_ID);
    assert!(echo["target"].as_str().unwrap().starts_with("/e2e/cli/files/7?b=2&a=1&bewit="), "{echo}");
}
