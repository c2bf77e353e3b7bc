//! Helpers for driving the built `hmacsig` binary, and a one-request HTTP
//! server on 127.0.0.1 that records what curl really sent.
#![allow(dead_code)] // each test crate uses a different subset

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;

pub mod cases;

/// The binary under test: `$HMACSIG_CLI` when the end-to-end phase names
/// one, else the one cargo built for these tests.
pub fn bin() -> PathBuf {
    std::env::var_os("HMACSIG_CLI").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_hmacsig")))
}

/// The environment variable the tests keep their secret in.
pub const SECRET_VAR: &str = "HMACSIG_TEST_SECRET";

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success; stderr: {}; stdout: {}", self.stderr, self.stdout);
        &self.stdout
    }
}

/// Runs `hmacsig args...` with `secret` in [`SECRET_VAR`] (when given) and `stdin`.
pub fn hmacsig(args: &[&str], secret: Option<&str>, stdin: &[u8]) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args).env_remove(SECRET_VAR).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(secret) = secret {
        cmd.env(SECRET_VAR, secret);
    }
    run_with_stdin(cmd, stdin)
}

/// Runs `script` with `sh -c`, the binary's directory first on PATH.
pub fn sh(script: &str, secret: Option<&str>, dir: Option<&std::path::Path>) -> Run {
    let bin_dir = bin().parent().expect("the binary has a directory").to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())))
        .expect("PATH entries join");
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).env("PATH", path).env_remove(SECRET_VAR).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(secret) = secret {
        cmd.env(SECRET_VAR, secret);
    }
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    run_with_stdin(cmd, b"")
}

fn run_with_stdin(mut cmd: Command, stdin: &[u8]) -> Run {
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut input = child.stdin.take().expect("piped");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("the child runs");
    writer.join().expect("stdin writer");
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// A server on 127.0.0.1 that takes one request, records its raw bytes and
/// answers with `respond(raw)`: a status and a text body.
pub struct Capture {
    pub address: String,
    handle: JoinHandle<Vec<u8>>,
}

impl Capture {
    pub fn start(respond: impl FnOnce(&[u8]) -> (u16, String) + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let address = listener.local_addr().expect("bound").to_string();
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("one connection");
            let raw = read_request(&mut stream);
            let (status, body) = respond(&raw);
            let _ = stream.write_all(reply(status, &body).as_bytes());
            raw
        });
        Self { address, handle }
    }

    /// The raw request the server received.
    pub fn request(self) -> Vec<u8> {
        self.handle.join().expect("the capture server thread")
    }
}

/// A server on 127.0.0.1 answering every request with `respond(raw)` until
/// the test process ends; returns its `host:port`.
pub fn serve(respond: impl Fn(&[u8]) -> (u16, String) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let address = listener.local_addr().expect("bound").to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let raw = read_request(&mut stream);
            let (status, body) = respond(&raw);
            let _ = stream.write_all(reply(status, &body).as_bytes());
        }
    });
    address
}

fn reply(status: u16, body: &str) -> String {
    format!("HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
}

/// Reads one request: headers up to the blank line, then Content-Length bytes.
fn read_request(stream: &mut impl Read) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().expect("a numeric Content-Length"))
                .unwrap_or(0);
            if raw.len() >= end + 4 + length {
                return raw;
            }
        }
        let n = stream.read(&mut chunk).expect("reading the request");
        if n == 0 {
            return raw;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
}

/// The repository's `tests/vectors/`. Missing is a failure, not a skip.
pub fn vectors_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    assert!(dir.is_dir(), "tests/vectors/ not found at {}", dir.display());
    dir
}

/// A raw HTTP/1.1 request: request line, `header_lines`, Content-Length, body.
pub fn raw_request(method: &str, target: &str, header_lines: &[String], body: &[u8], eol: &str) -> Vec<u8> {
    let mut raw = format!("{method} {target} HTTP/1.1{eol}");
    for line in header_lines {
        raw.push_str(line);
        raw.push_str(eol);
    }
    raw.push_str(&format!("Content-Length: {}{eol}{eol}", body.len()));
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// The header lines `sign` printed, minus curl's `Name:` "send none" lines.
pub fn sent_lines(stdout: &str) -> Vec<String> {
    let send_none = |l: &str| l.strip_suffix(':').is_some_and(|name| !name.contains([':', ' ']));
    stdout.lines().filter(|l| !send_none(l)).map(|l| l.strip_suffix(';').map_or(l.to_owned(), |n| format!("{n}:"))).collect()
}
