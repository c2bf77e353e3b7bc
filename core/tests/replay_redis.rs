//! The replay guard in Redis, against a real `redis-server` this test starts
//! on loopback (Debian's `redis-server`; `cargo xtask test` installs it):
//! a signature accepted through one guard is refused through another (two
//! servers of a fleet), entries expire with their window, and a Redis that is
//! down fails closed (503) unless the guard fails open, and one that comes
//! back is found again; threads of one server share a guard's connections.

#![cfg(feature = "server")]

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmacsig::{Credentials, Header, ReplayGuard, Request, Scheme, Signer, Verifier, http_status};

/// A `redis-server` on a free loopback port, killed on drop.
struct Redis {
    child: Child,
    url: String,
}

impl Redis {
    fn start() -> Self {
        // The probe is closed before the server binds the port it found.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::start_on(port)
    }

    fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is not installed (cargo xtask test installs Debian's redis-server)");
        let url = format!("redis://127.0.0.1:{port}/");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        println!(
            "redis-server {} running for this test at {url}",
            String::from_utf8_lossy(&Command::new("redis-server").arg("--version").output().unwrap().stdout).trim()
        );
        Self { child, url }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signed_request(now: i64) -> Request {
    let scheme = Scheme::timestamped(None, false);
    let signer = Signer::new(scheme, Arc::new(Credentials::new("client-1".into(), b"secret".to_vec())));
    let mut r =
        Request { method: "POST".into(), target: "/orders".into(), headers: vec![Header::new("Host", "a.example")], body: b"{}".to_vec() };
    r.headers.extend(signer.sign_request(r.clone(), Some(now)).unwrap().headers);
    r
}

fn server(guard: ReplayGuard) -> Verifier {
    let keys = HashMap::from([("client-1".to_owned(), b"secret".to_vec())]);
    Verifier::with_keys(Scheme::timestamped(None, false), keys, None, Some(Arc::new(guard))).unwrap()
}

#[test]
fn a_fleet_shares_one_guard_and_entries_expire() {
    let redis = Redis::start();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Two servers, each with its own guard object and connection: two processes of a fleet.
    let (a, b) = (
        server(ReplayGuard::redis(redis.url.clone(), "fleet".into(), false, 900).unwrap()),
        server(ReplayGuard::redis(redis.url.clone(), "fleet".into(), false, 900).unwrap()),
    );
    let request = signed_request(now);
    assert_eq!(a.verify_request(request.clone(), Some(now)).unwrap(), "client-1");
    assert_eq!(b.verify_request(request.clone(), Some(now)).unwrap_err().kind(), "replayed", "replayed to the other server");
    assert_eq!(a.verify_request(request.clone(), Some(now)).unwrap_err().kind(), "replayed");
    // Another namespace is another fleet.
    let other = server(ReplayGuard::redis(redis.url.clone(), "other".into(), false, 900).unwrap());
    assert_eq!(other.verify_request(request, Some(now)).unwrap(), "client-1");

    // The key in Redis lives as long as the signature's window: one second here.
    let guard = ReplayGuard::redis(redis.url.clone(), "ttl".into(), false, 900).unwrap();
    guard.check("client-1", "sig", Some(now + 1), Some(now)).unwrap();
    assert_eq!(guard.check("client-1", "sig", Some(now + 1), Some(now)).unwrap_err().kind(), "replayed");
    assert_eq!(guard.len(), 1);
    std::thread::sleep(Duration::from_millis(1200));
    guard.check("client-1", "sig", Some(now + 1), Some(now)).unwrap();
    // Already outside its window: nothing to remember.
    guard.check("client-1", "old", Some(now - 1), Some(now)).unwrap();
    guard.check("client-1", "old", Some(now - 1), Some(now)).unwrap();
}

#[test]
fn a_redis_that_is_down_fails_closed_unless_told_otherwise() {
    let mut redis = Redis::start();
    let closed = ReplayGuard::redis(redis.url.clone(), "down".into(), false, 60).unwrap();
    let open = ReplayGuard::redis(redis.url.clone(), "down".into(), true, 60).unwrap();
    closed.check("k", "first", None, None).unwrap(); // connected
    let survivor = ReplayGuard::redis(redis.url.clone(), "down".into(), false, 60).unwrap();
    survivor.check("k", "pooled", None, None).unwrap(); // keeps a connection that is about to die
    let _ = redis.child.kill();
    let _ = redis.child.wait();
    let err = closed.check("k", "second", None, None).unwrap_err();
    assert_eq!((err.kind(), http_status(err.kind())), ("key_lookup_failed", 503));
    assert!(err.to_string().starts_with("the replay guard's Redis failed"), "{err}");
    open.check("k", "third", None, None).unwrap();
    // A Redis back on its port is found again: the dead pooled connection is replaced.
    let port = redis.url.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
    let _back = Redis::start_on(port);
    closed.check("k", "fourth", None, None).unwrap();
    survivor.check("k", "fifth", None, None).unwrap(); // its dead connection is replaced once
    assert_eq!(closed.check("k", "fourth", None, None).unwrap_err().kind(), "replayed");
    assert!(ReplayGuard::redis("not a url".into(), "x".into(), false, 60).is_err());
    assert!(ReplayGuard::redis(redis.url.clone(), "has space".into(), false, 60).is_err());
}

#[test]
fn threads_of_one_server_share_its_guard_and_exactly_one_wins() {
    let redis = Redis::start();
    let guard = Arc::new(ReplayGuard::redis(redis.url.clone(), "threads".into(), false, 60).unwrap());
    // Eight threads race on one signature and each also checks 50 of its own:
    // the shared one is accepted exactly once, every own one once.
    let accepted_shared: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|t| {
                let guard = Arc::clone(&guard);
                scope.spawn(move || {
                    let won = guard.check("k", "shared", None, None).is_ok();
                    for i in 0..50 {
                        guard.check("k", &format!("own-{t}-{i}"), None, None).unwrap();
                    }
                    usize::from(won)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(accepted_shared, 1);
    assert_eq!(guard.len(), 1 + 8 * 50);
    assert_eq!(guard.check("k", "own-3-7", None, None).unwrap_err().kind(), "replayed");
}
