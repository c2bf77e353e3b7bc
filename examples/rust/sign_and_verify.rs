//! Sign a request with api-auth, then verify it as a server would.
//!
//! cargo run -p hmacsig --example sign_and_verify

use std::sync::Arc;

use hmacsig::{Credentials, Header, HmacSigError, Policy, Request, Scheme, Signer, verify_request};

fn main() -> Result<(), HmacSigError> {
    let scheme = Scheme::api_auth("sha256".into(), vec![], None)?;
    let credentials = Arc::new(Credentials::new("1044".into(), b"top-secret".to_vec()));

    // Client: sign once per request; the Signer holds scheme and key.
    let signer = Signer::new(scheme.clone(), credentials.clone());
    let mut request = Request {
        method: "POST".into(),
        target: "/orders?id=7".into(),
        headers: vec![Header::new("Content-Type", "application/json")],
        body: br#"{"order":{"id":7,"qty":2}}"#.to_vec(),
    };
    let signed = signer.sign_request(request.clone(), None)?;
    for header in &signed.headers {
        println!("{}: {}", header.name, header.value);
    }
    request.headers.extend(signed.headers);

    // Server: strict defaults (900 s skew, constant-time compare, no MD5).
    let key_id = verify_request(scheme.clone(), credentials.clone(), request.clone(), None, None)?;
    println!("verified key id {key_id}");

    // A tampered request is refused with a typed error and a readable message.
    request.target = "/orders?id=8".into();
    let policy = Policy::api_auth(60, Some("sha256".into()), false, false)?;
    match verify_request(scheme, credentials, request, Some(policy), None) {
        Err(e) => println!("refused ({}): {e}", e.kind()),
        Ok(_) => unreachable!("a tampered request must not verify"),
    }
    Ok(())
}
