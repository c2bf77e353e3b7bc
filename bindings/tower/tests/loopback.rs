//! End to end over real loopback HTTP/1.1: an axum app behind `HmacSigLayer`, served by
//! hyper on 127.0.0.1, and a plain TcpStream client writing requests signed with
//! `hmacsig::Signer` (api-auth sha256 over the method, the origin-form target, Host,
//! Content-Type and the body), byte for byte as they go on the wire.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use hmacsig::{Credentials, Header, ReplayGuard, Scheme, Signer, Verifier};
use hmacsig_tower::{HmacSigLayer, NOT_UTF8, VerifiedKeyId};

const KEY_ID: &str = "1044";
const SECRET: &[u8] = b"top-secret";
const LIMIT: usize = 1024;
const ORDER: &[u8] = br#"{"order":{"id":7,"qty":2}}"#;

fn scheme() -> Arc<Scheme> {
    Scheme::api_auth("sha256".into(), vec!["Host".into()], None).expect("scheme")
}

fn verifier(replay_guard: Option<Arc<ReplayGuard>>) -> Arc<Verifier> {
    let keys = HashMap::from([(KEY_ID.to_string(), SECRET.to_vec())]);
    Arc::new(Verifier::with_keys(scheme(), keys, None, replay_guard).expect("verifier"))
}

async fn create_order(Extension(key_id): Extension<VerifiedKeyId>, body: Bytes) -> String {
    format!("key {key_id}: {}", String::from_utf8_lossy(&body))
}

/// Serves the app behind `layer` on a free loopback port, on a runtime of its own.
fn serve(layer: HmacSigLayer) -> SocketAddr {
    let app = Router::new().route("/orders", post(create_order)).route("/health", get(|| async { "ok" })).layer(layer);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    address
}

/// The server most tests share: `/health` passed, bodies up to `LIMIT`.
fn server() -> SocketAddr {
    static SERVER: OnceLock<SocketAddr> = OnceLock::new();
    *SERVER.get_or_init(|| serve(HmacSigLayer::new(verifier(None)).pass_paths(["/health"]).max_body_bytes(LIMIT)))
}

struct Wire {
    method: &'static str,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    chunked: bool,
}

impl Wire {
    fn new(method: &'static str, target: &str, address: SocketAddr, body: &[u8]) -> Self {
        let mut headers = vec![("Host".to_string(), address.to_string().into_bytes())];
        if !body.is_empty() {
            headers.push(("Content-Type".into(), b"application/json".to_vec()));
        }
        Self { method, target: target.into(), headers, body: body.to_vec(), chunked: false }
    }

    /// Signs the request as it stands, with `key_id`'s credentials.
    fn signed_by(mut self, key_id: &str) -> Self {
        let signer = Signer::new(scheme(), Arc::new(Credentials::new(key_id.into(), SECRET.to_vec())));
        let headers = self.headers.iter().map(|(name, value)| Header::new(name.as_str(), std::str::from_utf8(value).unwrap())).collect();
        let signed = signer.sign(self.method.into(), self.target.clone(), headers, &self.body, None).expect("sign");
        self.headers.extend(signed.headers.into_iter().map(|h| (h.name, h.value.into_bytes())));
        self
    }

    fn signed(self) -> Self {
        self.signed_by(KEY_ID)
    }

    fn header(&self, name: &str) -> String {
        let (_, value) = self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).expect("header");
        String::from_utf8(value.clone()).unwrap()
    }

    fn set_header(&mut self, name: &str, value: &[u8]) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.to_vec()));
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if self.chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            for chunk in self.body.chunks(100) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        } else {
            out.extend_from_slice(format!("Content-Length: {}\r\nConnection: close\r\n\r\n", self.body.len()).as_bytes());
            out.extend_from_slice(&self.body);
        }
        out
    }

    /// Sends the request in one write and reads the whole reply.
    fn send(&self, address: SocketAddr) -> Reply {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        stream.write_all(&self.bytes()).expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let raw = String::from_utf8(raw).expect("a UTF-8 reply");
        let (head, body) = raw.split_once("\r\n\r\n").expect("a reply head");
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
        let content_type = head
            .lines()
            .find_map(|line| line.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.to_string()));
        Reply { status, content_type, body: body.to_string(), raw: raw.clone() }
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: Option<String>,
    body: String,
    raw: String,
}

impl Reply {
    fn assert(&self, status: u16, body: &str) {
        assert_eq!((self.status, self.body.as_str()), (status, body), "{}", self.raw);
        if status != 200 {
            assert_eq!(self.content_type.as_deref(), Some("text/plain; charset=utf-8"), "{}", self.raw);
        }
    }
}

#[test]
fn a_signed_request_reaches_the_handler_with_its_key_id_and_body() {
    let address = server();
    let reply = Wire::new("POST", "/orders?id=7&z=%2F&a=1", address, ORDER).signed().send(address);
    reply.assert(200, &format!("key 1044: {}", std::str::from_utf8(ORDER).unwrap()));
}

#[test]
fn a_chunked_signed_request_is_verified_too() {
    let address = server();
    let mut wire = Wire::new("POST", "/orders", address, &[b'x'; 300]).signed();
    wire.chunked = true;
    wire.send(address).assert(200, &format!("key 1044: {}", "x".repeat(300)));
}

#[test]
fn a_tampered_body_is_refused_without_telling_anything_of_the_request() {
    let address = server();
    let mut wire = Wire::new("POST", "/orders?id=7", address, ORDER).signed();
    let date = wire.header("Date");
    let hash = wire.header("X-Authorization-Content-SHA256");
    // What a tampering proxy does: change the body and the hash that covers it.
    let tampered = br#"{"order":{"id":7,"qty":9}}"#;
    wire.body = tampered.to_vec();
    let tampered_hash = Wire::new("POST", "/", address, tampered).signed().header("X-Authorization-Content-SHA256");
    wire.set_header("X-Authorization-Content-SHA256", tampered_hash.as_bytes());
    let new_hash = wire.header("X-Authorization-Content-SHA256");
    assert_ne!(hash, new_hash);
    let reply = wire.send(address);
    reply.assert(403, "bad_signature: the signature does not match");
    for secret in ["qty", "order", "/orders", "id=7", hash.as_str(), new_hash.as_str(), "application/json", "1044", "POST"] {
        assert!(!reply.raw.contains(secret), "the reply echoes {secret:?}: {}", reply.raw);
    }
    // The server's own Date header may well show the same second: only the body is checked.
    assert!(!reply.body.contains(&date), "{}", reply.raw);
}

#[test]
fn a_body_its_hash_does_not_match_is_refused() {
    let address = server();
    let mut wire = Wire::new("POST", "/orders", address, ORDER).signed();
    wire.body = br#"{"order":{"id":7,"qty":9}}"#.to_vec();
    wire.send(address).assert(403, "body_mismatch: the body does not match what was signed");
}

#[test]
fn a_request_without_credentials_is_refused_401() {
    let address = server();
    Wire::new("POST", "/orders", address, ORDER).send(address).assert(401, "missing_authorization: the request carries no credentials");
}

#[test]
fn an_unknown_key_is_refused_403() {
    let address = server();
    let reply = Wire::new("POST", "/orders", address, ORDER).signed_by("9999").send(address);
    reply.assert(403, "unknown_key: the key id is not known");
    assert!(!reply.raw.contains("9999"), "{}", reply.raw);
}

#[test]
fn a_pass_path_goes_through_unsigned_and_only_that_exact_path() {
    let address = server();
    Wire::new("GET", "/health", address, b"").send(address).assert(200, "ok");
    Wire::new("GET", "/health?verbose=1", address, b"").send(address).assert(200, "ok");
    let reply = Wire::new("GET", "/health/", address, b"").send(address);
    reply.assert(401, "missing_authorization: the request carries no credentials");
}

#[test]
fn a_body_over_the_limit_is_refused_413() {
    let address = server();
    let big = vec![b'x'; LIMIT + 1];
    let expected = format!("the request body is larger than {LIMIT} bytes");
    // Declared by Content-Length: refused before reading.
    Wire::new("POST", "/orders", address, &big).signed().send(address).assert(413, &expected);
    // Chunked: refused once the chunks pass the limit.
    let mut wire = Wire::new("POST", "/orders", address, &big).signed();
    wire.chunked = true;
    wire.send(address).assert(413, &expected);
    // At the limit: verified.
    let exact = vec![b'y'; LIMIT];
    Wire::new("POST", "/orders", address, &exact).signed().send(address).assert(200, &format!("key 1044: {}", "y".repeat(LIMIT)));
}

#[test]
fn a_header_value_that_is_not_utf8_is_refused_400() {
    let address = server();
    let mut wire = Wire::new("POST", "/orders", address, ORDER).signed();
    wire.set_header("X-Note", b"caf\xe9");
    let reply = wire.send(address);
    reply.assert(400, NOT_UTF8);
}

#[test]
fn a_replayed_request_is_refused_with_a_replay_guard() {
    let guard = Arc::new(ReplayGuard::new(1000, 900).expect("guard"));
    let address = serve(HmacSigLayer::new(verifier(Some(guard))));
    let wire = Wire::new("POST", "/orders", address, ORDER).signed();
    wire.send(address).assert(200, &format!("key 1044: {}", std::str::from_utf8(ORDER).unwrap()));
    wire.send(address).assert(403, "replayed: this request was already received");
}

#[test]
fn expose_string_to_sign_puts_the_reason_in_the_body() {
    let address = serve(HmacSigLayer::new(verifier(None)).expose_string_to_sign(true));
    let mut wire = Wire::new("POST", "/orders?id=7", address, ORDER).signed();
    let date = wire.header("Date");
    wire.target = "/orders?id=8".into();
    let reply = wire.send(address);
    assert_eq!(reply.status, 403, "{}", reply.raw);
    assert!(reply.body.starts_with("bad_signature: "), "{}", reply.raw);
    // The server's string to sign: what it rebuilt from the request it got.
    for part in ["POST", "application/json", "/orders?id=8", date.as_str()] {
        assert!(reply.body.contains(part), "{part:?} not in {}", reply.body);
    }
    // Other kinds show their reason too.
    let reply = Wire::new("POST", "/orders", address, ORDER).send(address);
    assert_eq!(reply.status, 401, "{}", reply.raw);
    assert!(reply.body.starts_with("missing_authorization: "), "{}", reply.raw);
    assert_ne!(reply.body, "missing_authorization: the request carries no credentials");
}
