//! Shared by the in-process tests: the service called without a socket.

use std::sync::Arc;

use axum::body::Body;
use axum::routing::post;
use axum::{Extension, Router};
use hmacsig::Verifier;
use hmacsig_tower::{HmacSigLayer, VerifiedKeyId};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::Service;

/// `request` through a `POST /orders` app behind the layer with `verifier`: the status and
/// the body (the verified key id, or the refusal).
pub fn call(verifier: Verifier, request: Request<Body>) -> (StatusCode, String) {
    let mut app = Router::new()
        .route("/orders", post(|Extension(key_id): Extension<VerifiedKeyId>| async move { key_id.0 }))
        .layer(HmacSigLayer::new(Arc::new(verifier)));
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async move {
        let response = app.call(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    })
}
