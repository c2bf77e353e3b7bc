//! The end-to-end phase of `cargo xtask test`: signed requests from every language's
//! HTTP-client integration over real HTTP on 127.0.0.1 to real verifying servers.
//! The contract (servers, environment, checks) is `tests/e2e/README.md`.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Counts, Result, log, target_dir};
use crate::{kotlin, python, rust, swift};

const KEY_ID: &str = "e2e-client";
/// A throwaway key for loopback tests only.
const SECRET: &str = "e2e-loopback-secret-not-for-production";
/// How long a server may take to answer `GET /health` (a cold JVM or Python start).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A server process, stopped when dropped; its output goes to `target/e2e/<name>.log`.
pub struct Server {
    name: &'static str,
    pub url: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    pub fn start(name: &'static str, mut cmd: Command, port: u16) -> Result<Self> {
        let dir = target_dir().join("e2e");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = cmd
            .envs(key_env())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting the {name} server: {e}"))?;
        let mut server = Self { name, url: format!("http://127.0.0.1:{port}"), child, log };
        server.wait_healthy(port)?;
        Ok(server)
    }

    /// Polls `GET /health` until it answers 200, the process exits or time runs out.
    fn wait_healthy(&mut self, port: u16) -> Result {
        let started = Instant::now();
        loop {
            if health_ok(port) {
                log(format!("e2e: {} server up at {} ({:.1} s)", self.name, self.url, started.elapsed().as_secs_f64()));
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the {} server exited ({status}) before answering: {}", self.name, self.log_tail()));
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!("the {} server did not answer /health in {START_TIMEOUT:?}: {}", self.name, self.log_tail()));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn key_env() -> [(String, String); 2] {
    [("HMACSIG_E2E_KEY_ID".into(), KEY_ID.into()), ("HMACSIG_E2E_SECRET".into(), SECRET.into())]
}

/// A port free on 127.0.0.1 right now (the OS picks it; the server binds it next).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn health_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200")
}

/// The languages the servers are written in (each must be set up).
pub const SERVERS: [&str; 4] = ["rust", "python", "kotlin", "js"];

/// Starts the servers, runs the client suite of every language in `clients` (set up, so
/// among `ready`), stops the servers. The servers need Python, Kotlin and JavaScript; a missing one
/// is an error, not a skip.
pub fn run(ready: &[&str], clients: &[&str]) -> Result<Counts> {
    for needed in SERVERS {
        if !ready.contains(&needed) {
            return Err(format!("the end-to-end phase needs {needed}, whose set-up failed"));
        }
    }
    let cli = rust::cli_binary()?;
    let asgi_port = free_port()?;
    let asgi = Server::start("asgi", python::e2e_asgi_server(asgi_port)?, asgi_port)?;
    let kotlin_port = free_port()?;
    let kotlin_server = Server::start("kotlin", kotlin::e2e_server(kotlin_port)?, kotlin_port)?;
    let tamper_port = free_port()?;
    let tamper = Server::start("tamper-proxy", python::e2e_tamper_proxy(tamper_port, &asgi.url)?, tamper_port)?;
    let node_port = free_port()?;
    let node = Server::start("node", crate::js_e2e::e2e_server(node_port)?, node_port)?;
    let skewed_port = free_port()?;
    let skewed = Server::start("skewed", python::e2e_skewed_server(skewed_port)?, skewed_port)?;

    let mut env = key_env().to_vec();
    env.push(("HMACSIG_E2E_ASGI_URL".into(), asgi.url.clone()));
    env.push(("HMACSIG_E2E_KOTLIN_URL".into(), kotlin_server.url.clone()));
    env.push(("HMACSIG_E2E_NODE_URL".into(), node.url.clone()));
    env.push(("HMACSIG_E2E_TAMPER_URL".into(), tamper.url.clone()));
    env.push(("HMACSIG_E2E_SKEWED_URL".into(), skewed.url.clone()));
    env.push(("HMACSIG_CLI".into(), cli.display().to_string()));

    let mut total = Counts::default();
    for lang in clients {
        log(format!("e2e: {lang} clients"));
        let result = match *lang {
            "rust" => rust::e2e_clients(&env),
            "python" => python::e2e_clients(&env),
            "kotlin" => kotlin::e2e_clients(&env),
            "swift" => swift::e2e_clients(&env),
            "js" => crate::js_e2e::e2e_clients(&env),
            other => Err(format!("no end-to-end suite for {other}")),
        };
        match result {
            Ok(c) => {
                log(format!("e2e: {lang}: {} passed, {} failed", c.passed, c.failed));
                total += c;
            }
            Err(e) => {
                log(format!("e2e: {lang}: ERROR {e}"));
                total.failed += 1;
            }
        }
    }
    if total.failed > 0 {
        for server in [&asgi, &kotlin_server, &node, &tamper, &skewed] {
            log(format!("e2e: {} server log {}:\n{}", server.name, server.log.display(), server.log_tail()));
        }
    }
    Ok(total)
}
