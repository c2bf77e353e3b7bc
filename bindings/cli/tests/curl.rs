//! curl sends exactly what was signed, to a capturing server on
//! 127.0.0.1: through `sign --curl` and through `sign | curl -H @-`. (The
//! live servers are in `e2e_curl.rs`.)

mod common;

use common::cases::{SECRET, now, tempdir, verify};
use common::{Capture, SECRET_VAR, sh};

/// `sign --curl`, run by sh, sends exactly what was signed: no Content-Type
/// curl would add, `../` and `[]` kept, line breaks and binary bytes intact.
#[test]
fn the_curl_command_sends_what_was_signed() {
    let dir = tempdir("curl");
    std::fs::write(dir.join("body.txt"), "line one\r\nline two\n").unwrap();
    let cases: [(&[&str], &str, &[u8]); 4] = [
        (&["-d", "@body.txt"], "/a/../b?x[1]=2", b""),
        (&["-d", "@-", "-H", "X-Empty;"], "/text", b"{\"a\":\n 1}\n"),
        (&["-d", "@-", "-X", "PUT", "-H", "Content-Type: application/octet-stream"], "/bin", &[0, 1, 2, 255, b'\'', b'%', b'\\']),
        (&["-X", "DELETE"], "/things/1?force=true", b""),
    ];
    for (request_flags, path, stdin) in cases {
        let server = Capture::start(|_| (200, "ok".into()));
        let url = format!("http://{}{path}", server.address);
        let flags = ["--scheme", "api-auth", "--digest", "sha256", "--key-id", "k1", "--secret-env", SECRET_VAR, "--curl"];
        let mut args = vec!["sign"];
        args.extend(flags);
        args.extend(request_flags);
        args.push(&url);
        let mut cmd = std::process::Command::new(common::bin());
        cmd.args(&args).current_dir(&dir).env(SECRET_VAR, SECRET).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin).unwrap();
        let command = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
        let sent = sh(&format!("{} -sS", command.trim_end()), None, Some(&dir));
        assert_eq!(sent.code, 0, "{command}\n{sent:?}");
        let raw = server.request();
        let out = verify(&["--scheme", "api-auth"], &raw, &now());
        assert_eq!(out.stdout, "ok: key id k1\n", "{command}\nsent:\n{}", String::from_utf8_lossy(&raw));
    }
}

/// `sign | curl -H @- --data-binary @file --path-as-is` sends what was signed too.
#[test]
fn the_header_lines_work_with_curl_h_at_stdin() {
    let dir = tempdir("curl-h");
    std::fs::write(dir.join("order.json"), "{\n  \"id\": 7\n}\n").unwrap();
    let server = Capture::start(|_| (200, "ok".into()));
    let url = format!("http://{}/orders/./7?b=2&a=1", server.address);
    let script = format!(
        "hmacsig sign --scheme api-auth --digest sha256 --key-id k1 --secret-env {SECRET_VAR} -X PATCH -d @order.json '{url}' \
         | curl -sS -H @- --data-binary @order.json --path-as-is -X PATCH '{url}'"
    );
    let sent = sh(&script, Some(SECRET), Some(&dir));
    assert_eq!(sent.code, 0, "{sent:?}");
    let raw = server.request();
    assert!(raw.starts_with(b"PATCH /orders/./7?b=2&a=1 HTTP/1.1\r\n"));
    assert!(!String::from_utf8_lossy(&raw).to_ascii_lowercase().contains("content-type"), "curl was told to add none");
    assert_eq!(verify(&["--scheme", "api-auth"], &raw, &now()).stdout, "ok: key id k1\n");
}
