//! kong-hmac and hawk through the layer, in process. Hawk's MAC covers the host and port the
//! client's URL names; the layer verifies the origin-form target and `Host` (port 80 when it
//! has none, as hawk's server without TLS), so a server behind TLS names port 443 in its
//! policy (docs/schemes/hawk.md).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use hmacsig::{Credentials, Header, Policy, Scheme, Signer, Verifier};
use http::{Request, StatusCode};

mod common;

const BODY: &str = "{\"id\":7}";

fn call(scheme: Arc<Scheme>, policy: Option<Arc<Policy>>, request: Request<Body>) -> (StatusCode, String) {
    let keys = HashMap::from([("client-1".to_string(), b"top-secret".to_vec())]);
    common::call(Verifier::with_keys(scheme, keys, policy, None).unwrap(), request)
}

/// A POST to /orders?id=7 with `Host: api.example.com`, signed over `signed_target`.
fn request(scheme: &Arc<Scheme>, signed_target: &str, body: &str) -> Request<Body> {
    let signer = Signer::new(scheme.clone(), Arc::new(Credentials::new("client-1".into(), b"top-secret".to_vec())));
    let headers = vec![Header::new("Host", "api.example.com"), Header::new("Content-Type", "application/json")];
    let signed = signer.sign("POST".into(), signed_target.into(), headers.clone(), BODY.as_bytes(), None).unwrap();
    let mut builder = Request::post("/orders?id=7");
    for header in headers.into_iter().chain(signed.headers) {
        builder = builder.header(header.name, header.value);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

#[test]
fn kong_hmac_verifies_and_checks_the_digest() {
    let scheme = Scheme::kong_hmac(
        "hmac-sha256".into(),
        Some(vec!["date".into(), "@request-target".into(), "digest".into()]),
        "authorization".into(),
        "1.1".into(),
        true,
    )
    .unwrap();
    let policy = Some(Policy::kong_hmac(300, vec!["digest".into()], None, true).unwrap());
    assert_eq!(call(scheme.clone(), policy.clone(), request(&scheme, "/orders?id=7", BODY)), (StatusCode::OK, "client-1".into()));
    let (status, body) = call(scheme.clone(), policy, request(&scheme, "/orders?id=7", "{\"id\":8}"));
    assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, "body_mismatch: the body does not match what was signed"));
}

#[test]
fn hawk_verifies_the_host_and_port_the_client_named() {
    let scheme = Scheme::hawk("sha256".into(), None, None, None, None, true, None, 60).unwrap();
    // http://api.example.com: port 80, as the layer reads Host without a port.
    assert_eq!(
        call(scheme.clone(), None, request(&scheme, "http://api.example.com/orders?id=7", BODY)),
        (StatusCode::OK, "client-1".into())
    );
    // https://api.example.com: the client signed port 443; a server behind TLS says so.
    let https = || request(&scheme, "https://api.example.com/orders?id=7", BODY);
    assert_eq!(call(scheme.clone(), None, https()).0, StatusCode::FORBIDDEN);
    let behind_tls = Some(Policy::hawk(60, false, None, Some(443)).unwrap());
    assert_eq!(call(scheme.clone(), behind_tls, https()), (StatusCode::OK, "client-1".into()));
    let (status, body) = call(scheme.clone(), None, request(&scheme, "http://api.example.com/orders?id=7", "{\"id\":8}"));
    assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, "body_mismatch: the body does not match what was signed"));
}
