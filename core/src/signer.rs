//! Signing and verifying entry points: free functions for one-off use, and a
//! `Signer` object that holds the scheme and key for hot paths.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::body::Body;
use crate::body_hasher::BodyDigest;
use crate::credentials::Credentials;
use crate::error::{HmacSigError, Result};
use crate::request::{Header, Request, RequestView, Response};
use crate::scheme::{Policy, PolicyKind, Scheme, SchemeKind};
use crate::schemes::rfc9421::MessageView;
use crate::schemes::{api_auth, aws_sigv4, hawk, kong_hmac, path_body_hex, rfc9421, timestamped};
use crate::signed::{SignedRequest, Verified};
use crate::time::now_or_system;

pub(crate) fn sign_view(scheme: &Scheme, credentials: &Credentials, request: &RequestView<'_>, now: Option<i64>) -> Result<SignedRequest> {
    let now = now_or_system(now);
    let (key_id, secret) = (credentials.key_id_str(), credentials.secret());
    match &scheme.kind {
        SchemeKind::ApiAuth(options) => api_auth::sign(request, options, key_id, credentials.key(), now),
        SchemeKind::PathBodyHex(options) => path_body_hex::sign(request, options, key_id, secret),
        SchemeKind::Timestamped(options) => timestamped::sign(request, options, key_id, secret, now),
        SchemeKind::AwsSigV4(options) => aws_sigv4::sign_with_cache(request, options, key_id, secret, credentials.sigv4_keys(), now),
        SchemeKind::Rfc9421(options) => rfc9421::sign(&MessageView::request(*request), options, key_id, secret, now),
        SchemeKind::KongHmac(options) => kong_hmac::sign(request, options, key_id, secret, now),
        SchemeKind::Hawk(options) => hawk::sign(request, options, key_id, secret, now),
    }
}

pub(crate) fn verify_view<'a>(
    scheme: &Scheme,
    policy: Option<&Policy>,
    credentials: &Credentials,
    request: &RequestView<'a>,
    now: Option<i64>,
) -> Result<Verified<'a>> {
    let now = now_or_system(now);
    let (key_id, secret) = (credentials.key_id_str(), credentials.secret());
    match (&scheme.kind, resolve_policy(scheme, policy)?.as_deref()) {
        (SchemeKind::ApiAuth(options), Some(PolicyKind::ApiAuth(policy))) => {
            api_auth::verify(request, options, policy, key_id, credentials.key(), now)
        }
        (SchemeKind::PathBodyHex(options), None) => path_body_hex::verify(request, options, key_id, secret),
        (SchemeKind::Timestamped(options), Some(PolicyKind::Timestamped(policy))) => {
            timestamped::verify(request, options, policy, key_id, secret, now)
        }
        (SchemeKind::AwsSigV4(options), Some(PolicyKind::AwsSigV4(policy))) => {
            aws_sigv4::verify(request, options, policy, key_id, secret, now)
        }
        (SchemeKind::Rfc9421(_), Some(PolicyKind::Rfc9421(policy))) => {
            rfc9421::verify(&MessageView::request(*request), policy, key_id, secret, now)
        }
        (SchemeKind::KongHmac(options), Some(PolicyKind::KongHmac(policy))) => {
            kong_hmac::verify(request, options, policy, key_id, secret, now)
        }
        (SchemeKind::Hawk(options), Some(PolicyKind::Hawk(policy))) => hawk::verify(request, options, policy, key_id, secret, now),
        _ => unreachable!("resolve_policy pairs every scheme with its own policy kind"),
    }
}

/// The policy to verify `scheme` with: the given one (which must be for the
/// same scheme), borrowed, or the scheme's defaults.
pub(crate) fn resolve_policy<'a>(scheme: &Scheme, policy: Option<&'a Policy>) -> Result<Option<Cow<'a, PolicyKind>>> {
    let Some(policy) = policy else { return Ok(scheme.default_policy().map(Cow::Owned)) };
    if policy.kind.scheme_name() != scheme.kind.name() {
        return Err(HmacSigError::unsupported(format!(
            "a {} policy cannot verify the {} scheme",
            policy.kind.scheme_name(),
            scheme.kind.name()
        )));
    }
    Ok(Some(Cow::Borrowed(&policy.kind)))
}

/// Signs `request`; returns the headers to set and the string that was signed.
/// `now` is Unix seconds, the system clock when `None`.
pub fn sign_request(scheme: Arc<Scheme>, credentials: Arc<Credentials>, request: Request, now: Option<i64>) -> Result<SignedRequest> {
    sign_view(&scheme, &credentials, &request.view(), now)
}

/// Verifies `request` against the secret the server holds for
/// `credentials.key_id`; returns that key id. `policy` `None` means the
/// scheme's strict defaults. `now` is Unix seconds, the system clock when `None`.
pub fn verify_request(
    scheme: Arc<Scheme>,
    credentials: Arc<Credentials>,
    request: Request,
    policy: Option<Arc<Policy>>,
    now: Option<i64>,
) -> Result<String> {
    verify_view(&scheme, policy.as_deref(), &credentials, &request.view(), now).map(|v| v.key_id.into_owned())
}

/// The key id a request claims, to look its secret up before verifying.
/// It is not verified yet.
pub fn extract_key_id(scheme: Arc<Scheme>, request: Request) -> Result<String> {
    extract_key_id_view(&scheme, None, &request.view()).map(Cow::into_owned)
}

/// As [`extract_key_id`]; an rfc9421 `policy` selects which signature's key id.
pub(crate) fn extract_key_id_view<'a>(scheme: &Scheme, policy: Option<&Policy>, request: &RequestView<'a>) -> Result<Cow<'a, str>> {
    Ok(match &scheme.kind {
        SchemeKind::ApiAuth(_) => api_auth::key_id(request)?,
        SchemeKind::PathBodyHex(_) => Cow::Owned(path_body_hex::key_id(request)?),
        SchemeKind::Timestamped(options) => Cow::Owned(timestamped::key_id(request, options)?),
        SchemeKind::AwsSigV4(_) => Cow::Owned(aws_sigv4::key_id(request)?),
        SchemeKind::Rfc9421(_) => Cow::Owned(rfc9421::key_id(&MessageView::request(*request), &*rfc9421_policy(scheme, policy)?)?),
        SchemeKind::KongHmac(_) => Cow::Owned(kong_hmac::key_id(request)?),
        SchemeKind::Hawk(options) => Cow::Owned(hawk::key_id(request, options)?),
    })
}

pub(crate) fn rfc9421_policy<'a>(scheme: &Scheme, policy: Option<&'a Policy>) -> Result<Cow<'a, rfc9421::Policy>> {
    match resolve_policy(scheme, policy)? {
        Some(Cow::Borrowed(PolicyKind::Rfc9421(policy))) => Ok(Cow::Borrowed(policy)),
        Some(Cow::Owned(PolicyKind::Rfc9421(policy))) => Ok(Cow::Owned(policy)),
        _ => Err(HmacSigError::unsupported(format!("the {} scheme signs requests only, not responses", scheme.kind.name()))),
    }
}

pub(crate) fn response_view<'a>(response: &'a Response, request: Option<&'a Request>) -> MessageView<'a> {
    MessageView {
        headers: &response.headers,
        body: Body::Bytes(&response.body),
        status: Some(response.status),
        request: request.map(Request::view),
    }
}

/// Signs a response (rfc9421, hawk); `request` is the request it answers,
/// needed when an rfc9421 scheme covers request components with `req`, and
/// always by hawk (its MAC covers the request's). Returns
/// the headers to set on the response and the signature base.
pub fn sign_response(
    scheme: Arc<Scheme>,
    credentials: Arc<Credentials>,
    response: Response,
    request: Option<Request>,
    now: Option<i64>,
) -> Result<SignedRequest> {
    sign_response_view(&scheme, &credentials, &response_view(&response, request.as_ref()), now)
}

pub(crate) fn sign_response_view(
    scheme: &Scheme,
    credentials: &Credentials,
    response: &MessageView<'_>,
    now: Option<i64>,
) -> Result<SignedRequest> {
    let (key_id, secret) = (credentials.key_id_str(), credentials.secret());
    match &scheme.kind {
        SchemeKind::Rfc9421(options) => rfc9421::sign(response, options, key_id, secret, now_or_system(now)),
        SchemeKind::Hawk(options) => hawk::sign_response(response, options, key_id, secret),
        other => Err(responses_unsupported(other)),
    }
}

fn responses_unsupported(kind: &SchemeKind) -> HmacSigError {
    HmacSigError::unsupported(format!("the {} scheme signs requests only, not responses (rfc9421 and hawk sign responses)", kind.name()))
}

/// Verifies a response (rfc9421, hawk) against the secret held for
/// `credentials.key_id`; returns that key id. `request` is the request it
/// answers (hawk needs it). `policy` `None`: the scheme's defaults (rfc9421:
/// the signature must cover `@status`).
pub fn verify_response(
    scheme: Arc<Scheme>,
    credentials: Arc<Credentials>,
    response: Response,
    request: Option<Request>,
    policy: Option<Arc<Policy>>,
    now: Option<i64>,
) -> Result<String> {
    let message = response_view(&response, request.as_ref());
    verify_response_view(&scheme, policy.as_deref(), &credentials, &message, now).map(|v| v.key_id.into_owned())
}

pub(crate) fn verify_response_view<'a>(
    scheme: &Scheme,
    policy: Option<&Policy>,
    credentials: &Credentials,
    response: &MessageView<'a>,
    now: Option<i64>,
) -> Result<Verified<'a>> {
    let (key_id, secret) = (credentials.key_id_str(), credentials.secret());
    match (&scheme.kind, resolve_policy(scheme, policy)?.as_deref()) {
        (SchemeKind::Rfc9421(_), Some(PolicyKind::Rfc9421(policy))) => {
            rfc9421::verify(response, policy, key_id, secret, now_or_system(now))
        }
        (SchemeKind::Hawk(options), Some(PolicyKind::Hawk(policy))) => hawk::verify_response(response, options, policy, key_id, secret),
        (other, _) => Err(responses_unsupported(other)),
    }
}

/// The key id a response claims: rfc9421's signature's, or (hawk) the
/// answered request's.
pub(crate) fn response_key_id<'a>(scheme: &Scheme, policy: Option<&Policy>, response: &MessageView<'a>) -> Result<Cow<'a, str>> {
    match (&scheme.kind, response.request) {
        (SchemeKind::Rfc9421(_), _) => Ok(Cow::Owned(rfc9421::key_id(response, &*rfc9421_policy(scheme, policy)?)?)),
        (SchemeKind::Hawk(_), Some(request)) => extract_key_id_view(scheme, None, &request),
        (SchemeKind::Hawk(_), None) => {
            Err(HmacSigError::invalid_request("a Hawk response is verified against the request it answers; pass that request"))
        }
        (other, _) => Err(responses_unsupported(other)),
    }
}

/// A new random secret, as the gem's `generate_secret_key` makes them: the
/// base64 SHA-512 of 512 random bytes, 88 characters. Use it as text (its
/// UTF-8 bytes are the key).
#[cfg_attr(feature = "ffi", uniffi::export)]
pub fn generate_secret() -> Result<String> {
    let mut random = [0u8; 512];
    getrandom::fill(&mut random).map_err(|e| HmacSigError::unsupported(format!("the operating system's random source failed: {e}")))?;
    Ok(secret_from_random_bytes(&random))
}

pub(crate) fn secret_from_random_bytes(random: &[u8]) -> String {
    BASE64.encode(crate::mac::sha512(random))
}

/// Holds a scheme and credentials; signs many requests.
#[derive(Debug)]
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct Signer {
    scheme: Arc<Scheme>,
    credentials: Arc<Credentials>,
    /// Its id for the language layers' C entry (docs/ffi.md), once one asked.
    #[cfg(feature = "ffi")]
    pub(crate) ffi_id: crate::object_ids::ObjectId,
}

impl Signer {
    /// Signs a request given as owned parts (Rust callers that keep their
    /// headers can borrow them with [`Self::sign_view`]). The language layers
    /// sign through their C entry (docs/ffi.md) instead: the same result and errors.
    pub fn sign(&self, method: String, target: String, headers: Vec<Header>, body: &[u8], now: Option<i64>) -> Result<SignedRequest> {
        let body = Body::Bytes(body);
        sign_view(&self.scheme, &self.credentials, &RequestView { method: &method, target: &target, headers: &headers, body }, now)
    }

    /// Signs a `Request`.
    pub fn sign_request(&self, request: Request, now: Option<i64>) -> Result<SignedRequest> {
        sign_view(&self.scheme, &self.credentials, &request.view(), now)
    }

    /// [`Self::sign`] on a borrowed request. Same result and errors.
    pub fn sign_view(&self, request: &RequestView<'_>, now: Option<i64>) -> Result<SignedRequest> {
        sign_view(&self.scheme, &self.credentials, request, now)
    }

    /// Signs a response (rfc9421, hawk) to `request`, needed when the scheme
    /// covers request components with `req`.
    pub fn sign_response(&self, response: &Response, request: Option<&Request>, now: Option<i64>) -> Result<SignedRequest> {
        sign_response_view(&self.scheme, &self.credentials, &response_view(response, request), now)
    }

    #[cfg(feature = "ffi")]
    pub(crate) fn sign_response_message(&self, response: &MessageView<'_>, now: Option<i64>) -> Result<SignedRequest> {
        sign_response_view(&self.scheme, &self.credentials, response, now)
    }

    /// [`Self::sign_view`] into `out`, reusing its allocations (its previous
    /// contents are only capacity): on success `out` is exactly what
    /// `sign_view` returns, and on error it is left empty. api-auth then
    /// allocates nothing once `out` has grown; the other schemes replace `out`.
    pub fn sign_into(&self, request: &RequestView<'_>, now: Option<i64>, out: &mut SignedRequest) -> Result<()> {
        if let SchemeKind::ApiAuth(options) = &self.scheme.kind {
            let credentials = &self.credentials;
            return api_auth::sign_into(request, options, credentials.key_id_str(), credentials.key(), now_or_system(now), out);
        }
        match sign_view(&self.scheme, &self.credentials, request, now) {
            Ok(signed) => {
                *out = signed;
                Ok(())
            }
            Err(error) => {
                out.clear();
                Err(error)
            }
        }
    }
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl Signer {
    /// A signer that signs with `scheme` and `credentials`.
    #[uniffi::constructor]
    pub fn new(scheme: Arc<Scheme>, credentials: Arc<Credentials>) -> Self {
        Self {
            scheme,
            credentials,
            #[cfg(feature = "ffi")]
            ffi_id: Default::default(),
        }
    }

    /// Signs a request whose body is given by its digest (from a
    /// [`crate::BodyHasher`]), so a large body need not be in memory. The
    /// result is byte for byte what [`Self::sign`] gives with the body itself.
    ///
    /// - api-auth: the content hash is the digest, which must be SHA-256 (when
    ///   the method has a body and no content hash is set).
    /// - aws-sigv4: the payload hash (and `x-amz-content-sha256` with
    ///   `sign_body`) is the digest, which must be SHA-256, unless the request
    ///   sets `X-Amz-Content-Sha256` itself. Presigned URLs too.
    /// - rfc9421: `Content-Digest` (with the `content_digest` option) is the
    ///   digest, which must be of that algorithm; without the option the body
    ///   is not signed and any digest does.
    /// - kong-hmac: `Digest` (with the `digest` option) is the digest, which
    ///   must be SHA-256; without the option the body is not signed.
    /// - path-body-hex, timestamped, and hawk with its payload hash:
    ///   `Unsupported`; they hash the body bytes themselves.
    ///
    /// A digest of the wrong algorithm or length is `InvalidRequest`.
    #[uniffi::method(default(now = None))]
    pub fn sign_with_body_digest(
        &self,
        method: String,
        target: String,
        headers: Vec<Header>,
        body_digest: BodyDigest,
        now: Option<i64>,
    ) -> Result<SignedRequest> {
        body_digest.validate()?;
        let body = Body::Digest(&body_digest);
        sign_view(&self.scheme, &self.credentials, &RequestView { method: &method, target: &target, headers: &headers, body }, now)
    }

    /// The key id this signer signs with.
    pub fn key_id(&self) -> String {
        self.credentials.key_id()
    }

    /// Whether an HTTP client should give this signer the absolute URL it
    /// requests rather than the origin-form target: its scheme's
    /// [`Scheme::signs_absolute_url`] (hawk).
    pub fn signs_absolute_url(&self) -> bool {
        self.scheme.signs_absolute_url()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_88_char_base64() {
        let a = generate_secret().unwrap();
        assert_eq!(a.len(), 88);
        assert!(a.ends_with("=="));
        assert_ne!(a, generate_secret().unwrap());
    }

    #[test]
    fn secret_derivation_matches_the_gem() {
        // keygen-0001 in tests/vectors/api-auth/vectors.json.
        let random = BASE64.decode("qzQILvWNYcgv9zp+r/CUeme+Svjp2ICogX1LrTrxQ6Og7a+37k+ZKXaqg8OywD98LTglLOFcQceykeaL9c9BgSwMtH3BvNHvVv7tfV/VrU21uo1YoylEwlbQ7QVYvr33iH6hWHpIkneIOqNtg6nthiOo4Hpxm4ZtRqF0EyP/u1cOQg7q5r1TRoAf6jOzE/fMLPfToc0xuXDYKRlO0jQBFUeaE0KwffOunDBe3p6TDkJXwv5SU7XT+hDUMJD0lSTvLQQYSvZ4Ikl4n+Y8511ppV38ICJrvo+CGRCKmAqBNdB/7v3DnZNMDHv/TNYkVfiCuQ9vucuxI3fNmCqiHH8A+RBa2clvYQJuufXehdfb3qovwBpEH2qkyhbr13Q4eZIsp+AyT1S3nuymIo0uegVxIoXI4NSy7HsltTOJa7nipXOKvRjKxbzaZzuCYeA/sFajmc4dWA5ExiSHWeF/VlGujZb6E3pPmpU/UUysEoYWzipqZ6IE7r8jnuc+OXY/tmnlUjBgF1t/BgneHFDjGCjzwus38ggetmYgi4CX8BA6taPC6PgykTK4z6K+qehgok6D0faNDZochqC15P4egWdg918cvMPtAYU848+x/Y0qtjcUh9M3m+iSMiebDnLcAK/Sed1y5VadBD2S3yF1u1O1OVnR3eC9Ej26BCVEdkmacSc=").unwrap();
        assert_eq!(
            secret_from_random_bytes(&random),
            "APt0GuPB82otZtNsceM6AcYJail4/ifGcwtwx8c6+mXUF+xqnl6Qqtk7dj5AFFni2ZCTX56z8qDkEwz5eh9sZQ=="
        );
    }
}
