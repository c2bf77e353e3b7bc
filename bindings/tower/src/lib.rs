//! Verify signed requests in a tower server (axum, hyper, tonic's HTTP layer, ...).
//!
//! ```no_run
//! use std::collections::HashMap;
//! use std::sync::Arc;
//!
//! use axum::routing::{get, post};
//! use axum::{Extension, Router};
//! use hmacsig::{Scheme, Verifier};
//! use hmacsig_tower::{HmacSigLayer, VerifiedKeyId};
//!
//! # fn main() -> Result<(), hmacsig::HmacSigError> {
//! let scheme = Scheme::api_auth("sha256".into(), vec![], None)?;
//! let keys = HashMap::from([("1044".to_string(), b"top-secret".to_vec())]);
//! let verifier = Arc::new(Verifier::with_keys(scheme, keys, None, None)?);
//!
//! let app: Router = Router::new()
//!     .route("/orders", post(|Extension(VerifiedKeyId(key_id)): Extension<VerifiedKeyId>| async move { key_id }))
//!     .route("/health", get(|| async { "ok" }))
//!     .layer(HmacSigLayer::new(verifier).pass_paths(["/health"]));
//! # Ok(())
//! # }
//! ```
//!
//! For each request whose path is not a pass path, the service reads the whole body (up to
//! [`HmacSigLayer::max_body_bytes`], else `413`), verifies the method, the target as received
//! (the origin-form path and query of the request line; never `X-Forwarded-*`), every header
//! and the body with the [`hmacsig::Verifier`], and then:
//!
//! - refused: answers [`hmacsig::http_status`] of the error's kind (401 no usable
//!   credentials, 403 refused, 503 the key lookup failed) with a `text/plain; charset=utf-8`
//!   body `<kind>: <fixed sentence>` ([`sentence`]), e.g. `bad_signature: the signature does
//!   not match`; the inner service is not called. The body tells the client the kind and
//!   nothing more: no reason from the core, no string to sign, no echo of its headers or body.
//!   The diagnosis (the core's reason, with the server's string to sign for `bad_signature`)
//!   goes to `tracing` at DEBUG under the target `hmacsig`, a failed key lookup's at ERROR.
//!   [`HmacSigLayer::expose_string_to_sign`] puts the reason in the body of a 401/403
//!   (development only).
//! - verified: calls the inner service with the key id in the request's extensions
//!   ([`VerifiedKeyId`], axum's `Extension<VerifiedKeyId>`) and the same body bytes, from
//!   memory.
//!
//! A header value that is not UTF-8 cannot be handed to the verifier: such a request is
//! answered `400` ([`NOT_UTF8`]). A body that cannot be read (the client left, or a body
//! error) is answered `400` too ([`BODY_UNREADABLE`]).
//!
//! Pass paths go through unsigned, body untouched, and carry no key id. They are exact paths
//! compared with [`http::Uri::path`], as received (not percent-decoded): what axum routes on.
//!
//! Over HTTP/2 the host is in the `:authority` pseudo-header, not in a `Host` header; when a
//! request has no `Host` header, the service verifies it with `Host` set to the URI's
//! authority, as an HTTP/1.1 client would have sent it.
//!
//! # Blocking
//!
//! This crate depends on no runtime: the verifier runs on the task that polls the service.
//! With in-memory keys ([`hmacsig::Verifier::with_keys`]) and the in-memory
//! [`hmacsig::ReplayGuard`] that is about a microsecond of CPU. A verifier with a key store
//! ([`hmacsig::Verifier::with_store`], cached for [`hmacsig::CACHE_SECONDS`]), a
//! [`hmacsig::KeyLookup`] that queries a database, or a Redis replay guard does blocking I/O
//! and holds an executor thread for that long: keep such lookups quick or cached, or run the
//! server on a multi-threaded runtime.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hmacsig::{Header, HmacSigError, RequestView, Verifier, http_status};
use http::header::{CONTENT_TYPE, HOST};
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body as HttpBody;
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use tower::{Layer, Service};

/// The largest request body read and verified by default (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// How much of the core's reason (which holds the string to sign for `bad_signature`) is
/// logged.
pub const LOGGED_CHARS: usize = 2000;

/// The body of the `400` for a request with a header value that is not UTF-8.
pub const NOT_UTF8: &str = "invalid_request: a header value is not UTF-8";

/// The body of the `400` for a request whose body could not be read.
pub const BODY_UNREADABLE: &str = "invalid_request: the request body could not be read";

/// The sentence for a kind this crate does not know (a kind newer than its table).
const REFUSED: &str = "the request was refused";

/// The error type of the bodies this crate makes.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body the inner service gets: the verified bytes (`Left`), or the original body of a
/// request on a pass path (`Right`).
pub type RequestBody<B> = Either<Full<Bytes>, B>;

/// The body the service answers with: a refusal (`Left`) or the inner service's (`Right`).
pub type ResponseBody<B> = Either<Full<Bytes>, B>;

/// The key id of a verified request, in its extensions (axum: `Extension<VerifiedKeyId>`).
/// Requests on a pass path have none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerifiedKeyId(pub String);

impl VerifiedKeyId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VerifiedKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fixed sentence a refusal's body gives for an error kind (`<kind>: <sentence>`): the
/// client learns the kind and nothing about the request.
pub fn sentence(kind: &str) -> &'static str {
    match kind {
        "invalid_request" => "the request cannot be verified as sent",
        "missing_authorization" => "the request carries no credentials",
        "malformed_authorization" => "the credentials header cannot be read",
        "unknown_key" => "the key id is not known",
        "bad_signature" => "the signature does not match",
        "stale" => "the request is too old",
        "future" => "the request is dated too far in the future",
        "body_mismatch" => "the body does not match what was signed",
        "digest_not_allowed" => "the algorithm is not accepted",
        "missing_signed_header" => "a required header is missing or not signed",
        "replayed" => "this request was already received",
        "unsupported" => "the request uses an option the server does not support",
        "key_lookup_failed" => "the server could not check the credentials, try again later",
        _ => REFUSED,
    }
}

/// The answer to a refused request: [`hmacsig::http_status`] of its kind and a
/// `text/plain; charset=utf-8` body `<kind>: <sentence>`. Logs the diagnosis (the core's
/// reason) under the target `hmacsig`: at DEBUG, or at ERROR for a failed key lookup (503,
/// the server's fault). With `expose_string_to_sign` (development only) the body of a
/// 401/403 is `<kind>: <the core's reason>` instead; a 503 always gets the sentence.
pub fn refusal(error: &HmacSigError, expose_string_to_sign: bool) -> Response<Full<Bytes>> {
    let kind = error.kind();
    let status = http_status(kind);
    if status >= 500 {
        tracing::error!(target: "hmacsig", status, kind, reason = %Clipped(error.reason()), "hmacsig: the key lookup failed");
    } else {
        tracing::debug!(target: "hmacsig", status, kind, reason = %Clipped(error.reason()), "hmacsig: refused");
    }
    let text =
        if expose_string_to_sign && status < 500 { format!("{kind}: {}", error.reason()) } else { format!("{kind}: {}", sentence(kind)) };
    text_response(StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED), text)
}

/// The body of the `413` for a body larger than `limit`.
fn body_too_large(limit: usize) -> String {
    format!("the request body is larger than {limit} bytes")
}

fn text_response(status: StatusCode, text: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(text.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// A reason clipped to [`LOGGED_CHARS`] characters for the log.
struct Clipped<'a>(&'a str);

impl fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(LOGGED_CHARS) {
            None => f.write_str(self.0),
            Some((end, _)) => {
                let more = self.0[end..].chars().count();
                write!(f, "{}... ({more} more characters)", &self.0[..end])
            }
        }
    }
}

#[derive(Clone)]
struct Config {
    verifier: Arc<Verifier>,
    pass_paths: HashSet<String>,
    max_body_bytes: usize,
    expose_string_to_sign: bool,
}

/// A [`tower::Layer`] verifying every request with a [`hmacsig::Verifier`]; see the crate
/// documentation.
#[derive(Clone)]
pub struct HmacSigLayer {
    config: Arc<Config>,
}

impl HmacSigLayer {
    /// Verifies with `verifier`; no pass paths, bodies up to [`DEFAULT_MAX_BODY_BYTES`],
    /// fixed sentences in refusals.
    pub fn new(verifier: Arc<Verifier>) -> Self {
        Self {
            config: Arc::new(Config {
                verifier,
                pass_paths: HashSet::new(),
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                expose_string_to_sign: false,
            }),
        }
    }

    /// Exact paths let through unsigned, such as `["/health"]`, compared with the request's
    /// [`http::Uri::path`] as received. No prefixes or patterns: a prefix such as `/health/`
    /// would also pass `/health/../admin` to a router that normalises dot segments.
    /// Replaces the paths set before.
    ///
    /// # Panics
    ///
    /// If a path does not start with `/`.
    pub fn pass_paths<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        let paths: HashSet<String> = paths.into_iter().map(Into::into).collect();
        for path in &paths {
            assert!(path.starts_with('/'), "each pass path must start with '/', not {path:?}");
        }
        Arc::make_mut(&mut self.config).pass_paths = paths;
        self
    }

    /// The largest body read and verified (default [`DEFAULT_MAX_BODY_BYTES`]); a request
    /// with a larger one is answered `413` without calling the verifier.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        Arc::make_mut(&mut self.config).max_body_bytes = limit;
        self
    }

    /// Answer a 401/403 with the core's reason (for `bad_signature`, the server's string to
    /// sign: its rebuilt URL and, for some schemes, the body) instead of a fixed sentence.
    /// For development and conformance debugging only, never on a server untrusted clients
    /// can reach. Default `false`.
    pub fn expose_string_to_sign(mut self, expose: bool) -> Self {
        Arc::make_mut(&mut self.config).expose_string_to_sign = expose;
        self
    }
}

impl fmt::Debug for HmacSigLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSigLayer")
            .field("pass_paths", &self.config.pass_paths)
            .field("max_body_bytes", &self.config.max_body_bytes)
            .field("expose_string_to_sign", &self.config.expose_string_to_sign)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for HmacSigLayer {
    type Service = HmacSig<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HmacSig { inner, config: self.config.clone() }
    }
}

/// The service [`HmacSigLayer`] wraps around an inner service.
#[derive(Clone)]
pub struct HmacSig<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S: fmt::Debug> fmt::Debug for HmacSig<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSig").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for HmacSig<S>
where
    S: Service<Request<RequestBody<ReqBody>>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: HttpBody<Data = Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if self.config.pass_paths.contains(request.uri().path()) {
            let future = self.inner.call(request.map(Either::Right));
            return Box::pin(async move { future.await.map(|response| response.map(Either::Right)) });
        }
        // The instance that was polled ready serves this request; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        Box::pin(async move {
            match verified(&config, request).await {
                Ok(request) => inner.call(request).await.map(|response| response.map(Either::Right)),
                Err(refused) => Ok(refused.map(Either::Left)),
            }
        })
    }
}

/// Reads the body and verifies the request: the request for the inner service, or the answer.
async fn verified<B>(config: &Config, request: Request<B>) -> Result<Request<RequestBody<B>>, Response<Full<Bytes>>>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let limit = config.max_body_bytes;
    let too_large = || text_response(StatusCode::PAYLOAD_TOO_LARGE, body_too_large(limit));
    let (mut parts, body) = request.into_parts();
    // The declared Content-Length, where there is one: refused before reading.
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large());
    }
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return Err(too_large()),
        Err(e) => {
            tracing::debug!(target: "hmacsig", error = %e, "hmacsig: the request body could not be read");
            return Err(text_response(StatusCode::BAD_REQUEST, BODY_UNREADABLE));
        }
    };
    let Some(headers) = headers(&parts) else {
        tracing::debug!(target: "hmacsig", "hmacsig: refused 400: a header value is not UTF-8");
        return Err(text_response(StatusCode::BAD_REQUEST, NOT_UTF8));
    };
    let view = RequestView {
        method: parts.method.as_str(),
        target: parts.uri.path_and_query().map_or("/", |target| target.as_str()),
        headers: &headers,
        body: hmacsig::Body::Bytes(&body),
    };
    match config.verifier.verify_view(&view, None) {
        Ok(key_id) => {
            parts.extensions.insert(VerifiedKeyId(key_id));
            Ok(Request::from_parts(parts, Either::Left(Full::new(body))))
        }
        Err(error) => Err(refusal(&error, config.expose_string_to_sign)),
    }
}

/// Every header as received, in order; `None` if a value is not UTF-8. Over HTTP/2 (no
/// `Host` header), `Host` from the URI's authority.
fn headers(parts: &Parts) -> Option<Vec<Header>> {
    let mut headers = Vec::with_capacity(parts.headers.len() + 1);
    for (name, value) in &parts.headers {
        headers.push(Header::new(name.as_str(), std::str::from_utf8(value.as_bytes()).ok()?));
    }
    if !parts.headers.contains_key(HOST)
        && let Some(authority) = parts.uri.authority()
    {
        headers.push(Header::new(HOST.as_str(), authority.as_str()));
    }
    Some(headers)
}
