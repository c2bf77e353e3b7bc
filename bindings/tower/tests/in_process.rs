//! The service called in process, without a socket: what a server hands it that HTTP/1.1
//! over loopback does not show (an HTTP/2 request's authority instead of a Host header).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use hmacsig::{Credentials, Header, Scheme, Signer, Verifier};
use http::{Request, StatusCode};

mod common;

fn call(request: Request<Body>) -> (StatusCode, String) {
    let scheme = Scheme::api_auth("sha256".into(), vec!["Host".into()], None).unwrap();
    let keys = HashMap::from([("1044".to_string(), b"top-secret".to_vec())]);
    common::call(Verifier::with_keys(scheme, keys, None, None).unwrap(), request)
}

fn signed(host: &str) -> Vec<Header> {
    let scheme = Scheme::api_auth("sha256".into(), vec!["Host".into()], None).unwrap();
    let signer = Signer::new(scheme, Arc::new(Credentials::new("1044".into(), b"top-secret".to_vec())));
    let headers = vec![Header::new("Host", host), Header::new("Content-Type", "text/plain")];
    signer.sign("POST".into(), "/orders?id=7".into(), headers, b"hello", None).unwrap().headers
}

fn request(uri: &str, host_header: Option<&str>, signed_host: &str) -> Request<Body> {
    let mut builder = Request::post(uri).header("Content-Type", "text/plain");
    if let Some(host) = host_header {
        builder = builder.header("Host", host);
    }
    for header in signed(signed_host) {
        builder = builder.header(header.name, header.value);
    }
    builder.body(Body::from("hello")).unwrap()
}

#[test]
fn without_a_host_header_the_authority_is_the_host() {
    // HTTP/2: `:authority` arrives in the URI and there is no Host header.
    assert_eq!(call(request("https://api.example.com/orders?id=7", None, "api.example.com")), (StatusCode::OK, "1044".into()));
    // Signed for another host: refused.
    let (status, body) = call(request("https://api.example.com/orders?id=7", None, "evil.example.com"));
    assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, "bad_signature: the signature does not match"));
}

#[test]
fn a_host_header_wins_over_the_authority() {
    let uri = "https://ignored.example.com/orders?id=7";
    assert_eq!(call(request(uri, Some("api.example.com"), "api.example.com")), (StatusCode::OK, "1044".into()));
}

#[test]
fn the_target_is_the_origin_form_even_for_an_absolute_uri() {
    // A proxy-style absolute-form request line verifies against /orders?id=7 (what was signed).
    assert_eq!(call(request("http://api.example.com/orders?id=7", Some("api.example.com"), "api.example.com")).0, StatusCode::OK);
}
