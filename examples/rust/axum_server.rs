//! An axum server verifying api-auth requests with hmacsig-tower: `/orders` needs a
//! signature, `/health` does not.
//!
//! cargo run -p hmacsig-tower --example axum_server [PORT]
//!
//! It listens on 127.0.0.1 (PORT, or a free port) and prints the address and a signed
//! curl command to try (`hmacsig` is the CLI: `cargo install --path bindings/cli`).

use std::collections::HashMap;
use std::error::Error;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use hmacsig::{Scheme, Verifier};
use hmacsig_tower::{HmacSigLayer, VerifiedKeyId};

async fn create_order(Extension(key_id): Extension<VerifiedKeyId>, body: Bytes) -> String {
    format!("order accepted from key {key_id} ({} bytes)\n", body.len())
}

async fn health() -> &'static str {
    "ok\n"
}

fn app(verifier: Arc<Verifier>) -> Router {
    Router::new()
        .route("/orders", post(create_order))
        .route("/health", get(health))
        .layer(HmacSigLayer::new(verifier).pass_paths(["/health"]).max_body_bytes(64 * 1024))
}

fn main() -> Result<(), Box<dyn Error>> {
    // The client's key, as the server knows it (use Verifier::with_store for a key store).
    let scheme = Scheme::api_auth("sha256".into(), vec![], None)?;
    let keys = HashMap::from([("1044".to_string(), b"top-secret".to_vec())]);
    let verifier = Arc::new(Verifier::with_keys(scheme, keys, None, None)?);

    let port: u16 = std::env::args().nth(1).map_or(Ok(0), |p| p.parse())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let address = listener.local_addr()?;
        println!("listening on http://{address}");
        println!("try: curl http://{address}/health");
        println!(
            "     HMACSIG_SECRET=top-secret hmacsig sign --scheme api-auth --digest sha256 --key-id 1044 \
             --secret-env HMACSIG_SECRET -H 'Content-Type: application/json' -d '{{\"qty\":2}}' --curl http://{address}/orders | sh"
        );
        axum::serve(listener, app(verifier)).await
    })?;
    Ok(())
}
