//! `Scheme` (how to sign) and `Policy` (how strictly to verify): immutable
//! objects built once and shared, so a call passes a pointer, not a record.

use std::sync::Arc;

use crate::content_digest::ContentDigest;
use crate::error::{HmacSigError, Result};
use crate::mac::Algorithm;
use crate::schemes::aws_sigv4::SignatureType;
use crate::schemes::timestamped::HeaderStyle;
use crate::schemes::{api_auth, aws_sigv4, hawk, kong_hmac, path_body_hex, rfc9421, timestamped};

/// A signing scheme with its options.
#[derive(Debug)]
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct Scheme {
    pub(crate) kind: SchemeKind,
}

#[derive(Debug, Clone)]
pub(crate) enum SchemeKind {
    ApiAuth(api_auth::Options),
    PathBodyHex(path_body_hex::Options),
    Timestamped(timestamped::Options),
    AwsSigV4(aws_sigv4::Options),
    Rfc9421(rfc9421::Options),
    KongHmac(kong_hmac::Options),
    Hawk(hawk::Options),
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl Scheme {
    /// api-auth (Ruby gem 2.5). `digest`: `sha1` (header `APIAuth`),
    /// `sha224`, `sha256`, `sha384` or `sha512` (header `APIAuth-HMAC-SHA256`
    /// ...). `headers_to_sign`: extra header values to sign, in order.
    /// `override_method`: the method to sign instead of the request's.
    #[uniffi::constructor(default(digest = "sha1", headers_to_sign = [], override_method = None))]
    pub fn api_auth(digest: String, headers_to_sign: Vec<String>, override_method: Option<String>) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { kind: SchemeKind::ApiAuth(api_auth::Options::new(&digest, headers_to_sign, override_method)?) }))
    }

    /// path-body-hex (the Sinatra filter): `Authorization: <key_id>:<hex>` over
    /// the path, `?query` when not empty, and the body of POST, PUT and PATCH.
    /// `digest`: `sha1` or `sha256`.
    #[uniffi::constructor(default(digest = "sha1"))]
    pub fn path_body_hex(digest: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { kind: SchemeKind::PathBodyHex(path_body_hex::Options::new(&digest)?) }))
    }

    /// timestamped (the C#/Node post): base64 HMAC-SHA256 over METHOD, the full
    /// URL, the Unix timestamp and the body. `header_style`: where the signature
    /// goes (`None`: `XRequest`). `lowercase_url`: lower-case scheme, host and
    /// path before signing.
    #[uniffi::constructor(default(header_style = None, lowercase_url = false))]
    pub fn timestamped(header_style: Option<HeaderStyle>, lowercase_url: bool) -> Arc<Self> {
        let header_style = header_style.unwrap_or(HeaderStyle::XRequest);
        Arc::new(Self { kind: SchemeKind::Timestamped(timestamped::Options { header_style, lowercase_url }) })
    }

    /// AWS Signature Version 4. `session_token`: temporary credentials' token,
    /// sent as `X-Amz-Security-Token` (unsigned when `omit_session_token`).
    /// `normalize` and `double_uri_encode`: path handling (S3 wants neither).
    /// `sign_body`: add and sign `x-amz-content-sha256`. `signature_type`:
    /// `Header` (default) or `Query` (a presigned URL valid `expires` seconds).
    #[uniffi::constructor(default(
        session_token = None,
        omit_session_token = false,
        normalize = true,
        double_uri_encode = true,
        sign_body = false,
        signature_type = None,
        expires = 3600
    ))]
    #[allow(clippy::too_many_arguments)]
    pub fn aws_sigv4(
        region: String,
        service: String,
        session_token: Option<String>,
        omit_session_token: bool,
        normalize: bool,
        double_uri_encode: bool,
        sign_body: bool,
        signature_type: Option<SignatureType>,
        expires: u32,
    ) -> Result<Arc<Self>> {
        let options = aws_sigv4::Options {
            region,
            service,
            session_token,
            omit_session_token,
            normalize,
            double_uri_encode,
            sign_body,
            signature_type: signature_type.unwrap_or(SignatureType::Header),
            expires,
        };
        options.validate()?;
        Ok(Arc::new(Self { kind: SchemeKind::AwsSigV4(options) }))
    }

    /// RFC 9421 HTTP Message Signatures with `hmac-sha256`. `components`:
    /// what to cover, in order, e.g. `["@method", "@target-uri",
    /// "content-type", "@query-param;name=\"id\""]` (`None`: `@method`,
    /// `@authority`, `@target-uri`). `label`: the signature's name in the
    /// headers. `created`: Unix seconds (`None`: now). `expires`: Unix
    /// seconds. `nonce`, `tag`: signed parameters. `include_alg`: add
    /// `alg="hmac-sha256"`. `content_digest`: add a `Content-Digest` of the
    /// body and cover it.
    #[uniffi::constructor(default(
        components = None,
        label = "sig1",
        created = None,
        expires = None,
        nonce = None,
        tag = None,
        include_alg = false,
        content_digest = None
    ))]
    #[allow(clippy::too_many_arguments)]
    pub fn rfc9421(
        components: Option<Vec<String>>,
        label: String,
        created: Option<i64>,
        expires: Option<i64>,
        nonce: Option<String>,
        tag: Option<String>,
        include_alg: bool,
        content_digest: Option<ContentDigest>,
    ) -> Result<Arc<Self>> {
        let options = rfc9421::Options::new(components, label, created, expires, nonce, tag, include_alg, content_digest)?;
        Ok(Arc::new(Self { kind: SchemeKind::Rfc9421(options) }))
    }

    /// Kong Gateway's `hmac-auth`: `Authorization: hmac username="<key id>",
    /// algorithm="…", headers="…", signature="…"`. `algorithm`: `hmac-sha1`,
    /// `hmac-sha256`, `hmac-sha384` or `hmac-sha512`. `headers`: the names
    /// to sign, in order: header names, `@request-target`, `request-line`
    /// (`None`: `date`, `@request-target`); a `Date` or `X-Date` named and
    /// missing is added. `header_name`: `authorization` or
    /// `proxy-authorization`. `http_version`: what `request-line` writes
    /// (`1.0`, `1.1`, `2.0`). `digest`: add `Digest: SHA-256=…` of the body
    /// (signed when `headers` names `digest`).
    #[uniffi::constructor(default(algorithm = "hmac-sha256", headers = None, header_name = "authorization", http_version = "1.1", digest = false))]
    pub fn kong_hmac(
        algorithm: String,
        headers: Option<Vec<String>>,
        header_name: String,
        http_version: String,
        digest: bool,
    ) -> Result<Arc<Self>> {
        let options = kong_hmac::Options::new(&algorithm, headers, &header_name, &http_version, digest)?;
        Ok(Arc::new(Self { kind: SchemeKind::KongHmac(options) }))
    }

    /// Hawk (npm `hawk` 9): `Authorization: Hawk id="…", ts="…", nonce="…",
    /// hash="…", ext="…", mac="…"`. `algorithm`: the credential's, `sha256`
    /// or `sha1` (signing and verifying). `nonce`: `None` for a random one per
    /// request. `ext`, `app`, `dlg`: Hawk's application data (no `"` or `\`).
    /// `payload_hash`: send `hash=` of the body and `Content-Type`.
    /// `signature_type`: `Header`, or `Query` for a bewit URL valid `ttl` seconds.
    #[uniffi::constructor(default(
        algorithm = "sha256",
        nonce = None,
        ext = None,
        app = None,
        dlg = None,
        payload_hash = true,
        signature_type = None,
        ttl = 60
    ))]
    #[allow(clippy::too_many_arguments)]
    pub fn hawk(
        algorithm: String,
        nonce: Option<String>,
        ext: Option<String>,
        app: Option<String>,
        dlg: Option<String>,
        payload_hash: bool,
        signature_type: Option<SignatureType>,
        ttl: u32,
    ) -> Result<Arc<Self>> {
        let signature_type = signature_type.unwrap_or(SignatureType::Header);
        let options = hawk::Options::new(&algorithm, nonce, ext, app, dlg, payload_hash, signature_type, ttl)?;
        Ok(Arc::new(Self { kind: SchemeKind::Hawk(options) }))
    }

    /// The scheme's name, as the conformance cases spell it (`api-auth`).
    pub fn name(&self) -> String {
        self.kind.name().into()
    }

    /// Whether an HTTP client should sign with the absolute URL it requests
    /// (`https://api.example.com/orders`) rather than the origin-form target
    /// and `Host` it sends: true for hawk, whose MAC covers the URL's host and
    /// port as the client names them (port 443 for `https` when the URL
    /// names none, where a `Host` without a port means 80). A server's
    /// middleware likewise verifies `scheme://Host/target`, with the scheme
    /// its connection has (hawk's server: 443 on TLS). The other schemes sign
    /// what goes on the wire.
    pub fn signs_absolute_url(&self) -> bool {
        matches!(self.kind, SchemeKind::Hawk(_))
    }
}

/// How strictly to verify. Each scheme has its own; `None` where a policy is
/// taken means the scheme's defaults.
#[derive(Debug)]
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct Policy {
    pub(crate) kind: PolicyKind,
}

#[derive(Debug, Clone)]
pub(crate) enum PolicyKind {
    ApiAuth(api_auth::Policy),
    Timestamped(timestamped::Policy),
    AwsSigV4(aws_sigv4::Policy),
    Rfc9421(rfc9421::Policy),
    KongHmac(kong_hmac::Policy),
    Hawk(hawk::Policy),
}

impl SchemeKind {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::ApiAuth(_) => "api-auth",
            Self::PathBodyHex(_) => "path-body-hex",
            Self::Timestamped(_) => "timestamped",
            Self::AwsSigV4(_) => "aws-sigv4",
            Self::Rfc9421(_) => "rfc9421",
            Self::KongHmac(_) => "kong-hmac",
            Self::Hawk(_) => "hawk",
        }
    }
}

impl PolicyKind {
    pub(crate) fn scheme_name(&self) -> &'static str {
        match self {
            Self::ApiAuth(_) => "api-auth",
            Self::Timestamped(_) => "timestamped",
            Self::AwsSigV4(_) => "aws-sigv4",
            Self::Rfc9421(_) => "rfc9421",
            Self::KongHmac(_) => "kong-hmac",
            Self::Hawk(_) => "hawk",
        }
    }
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl Policy {
    /// kong-hmac verification, as Kong's plugin settings. `clock_skew`: most
    /// seconds between the signed `X-Date`/`Date` and now. `enforce_headers`:
    /// names the signature must list. `algorithms`: those accepted (`None`:
    /// all four). `validate_request_body`: check `Digest` against the body,
    /// and refuse a body without one.
    #[uniffi::constructor(default(clock_skew = 300, enforce_headers = [], algorithms = None, validate_request_body = false))]
    pub fn kong_hmac(
        clock_skew: u32,
        enforce_headers: Vec<String>,
        algorithms: Option<Vec<String>>,
        validate_request_body: bool,
    ) -> Result<Arc<Self>> {
        let algorithms = match algorithms {
            None => kong_hmac::Policy::default().algorithms,
            Some(names) => names.iter().map(|n| kong_hmac::parse_algorithm(n)).collect::<Result<_>>()?,
        };
        let policy = kong_hmac::Policy { clock_skew, enforce_headers, algorithms, validate_request_body };
        Ok(Arc::new(Self { kind: PolicyKind::KongHmac(policy) }))
    }

    /// Hawk verification. `timestamp_skew`: most seconds between `ts` and now,
    /// either way. `require_payload_hash`: refuse a request (or response)
    /// without `hash=`; otherwise a sent hash is checked and a missing one
    /// leaves the body unchecked. `host`, `port`: what the client signed,
    /// behind a proxy or TLS terminator (each replaces the request's).
    #[uniffi::constructor(default(timestamp_skew = 60, require_payload_hash = false, host = None, port = None))]
    pub fn hawk(timestamp_skew: u32, require_payload_hash: bool, host: Option<String>, port: Option<u16>) -> Result<Arc<Self>> {
        if let Some(h) = host.as_deref()
            && (h.is_empty() || h.contains(['\n', '\r', '/']))
        {
            return Err(HmacSigError::unsupported(format!("hawk policy host {h:?} is not a host name")));
        }
        Ok(Arc::new(Self { kind: PolicyKind::Hawk(hawk::Policy { timestamp_skew, require_payload_hash, host, port }) }))
    }

    /// api-auth verification. `clock_skew`: seconds either side of `Date`
    /// (strict bounds). `digest`: accept only this digest. `trust_original_uri`:
    /// honour `X-Original-URI` from a trusted proxy. `allow_unsigned_body`:
    /// accept a body that no content hash covers (the gem's behaviour).
    #[uniffi::constructor(default(clock_skew = 900, digest = None, trust_original_uri = false, allow_unsigned_body = false))]
    pub fn api_auth(clock_skew: u32, digest: Option<String>, trust_original_uri: bool, allow_unsigned_body: bool) -> Result<Arc<Self>> {
        let digest = digest
            .map(|d| {
                Algorithm::from_name(&d).ok_or_else(|| {
                    HmacSigError::unsupported(format!("api-auth digest {d:?} is not offered; use sha1, sha224, sha256, sha384 or sha512"))
                })
            })
            .transpose()?;
        Ok(Arc::new(Self { kind: PolicyKind::ApiAuth(api_auth::Policy { clock_skew, digest, trust_original_uri, allow_unsigned_body }) }))
    }

    /// AWS SigV4 verification. `max_skew`: most seconds between `X-Amz-Date`
    /// and now (AWS: 900). A presigned URL is good from `X-Amz-Date - max_skew`
    /// until `X-Amz-Date + X-Amz-Expires`.
    #[uniffi::constructor(default(max_skew = 900))]
    pub fn aws_sigv4(max_skew: u32) -> Arc<Self> {
        Arc::new(Self { kind: PolicyKind::AwsSigV4(aws_sigv4::Policy { max_skew }) })
    }

    /// RFC 9421 verification. `max_age`: oldest accepted `created`, seconds
    /// before now. `required_components`: what each signature must cover
    /// (`None`: `@method` and `@target-uri` for a request, `@status` for a
    /// response). `clock_skew`: tolerance, in seconds, on `created`,
    /// `expires` and `max_age`. `label`, `tag`: verify only the signature with
    /// this label, or these tags (otherwise every signature by the key).
    /// `allow_unsigned_body`: accept a body no signed `Content-Digest` covers.
    #[uniffi::constructor(default(
        max_age = 300,
        required_components = None,
        clock_skew = 5,
        label = None,
        tag = None,
        allow_unsigned_body = false
    ))]
    pub fn rfc9421(
        max_age: u32,
        required_components: Option<Vec<String>>,
        clock_skew: u32,
        label: Option<String>,
        tag: Option<String>,
        allow_unsigned_body: bool,
    ) -> Result<Arc<Self>> {
        let required_components = rfc9421::Policy::parse_components(required_components)?;
        let policy = rfc9421::Policy { max_age, clock_skew, required_components, label, tag, allow_unsigned_body };
        Ok(Arc::new(Self { kind: PolicyKind::Rfc9421(policy) }))
    }

    /// timestamped verification. `max_age`: oldest accepted timestamp, in
    /// seconds before now. `max_future`: latest accepted, in seconds after now.
    /// `public_base_url`: the URL clients see (`https://api.example.com/v1`),
    /// used instead of the request's own scheme, host and base path.
    /// `trust_forwarded`: take scheme and host from `X-Forwarded-Proto`,
    /// `X-Forwarded-Scheme` and `X-Forwarded-Host` (only behind a proxy that sets them).
    #[uniffi::constructor(default(max_age = 300, max_future = 5, public_base_url = None, trust_forwarded = false))]
    pub fn timestamped(max_age: u32, max_future: u32, public_base_url: Option<String>, trust_forwarded: bool) -> Result<Arc<Self>> {
        let policy = timestamped::Policy { max_age, max_future, public_base_url, trust_forwarded };
        policy.validate()?;
        Ok(Arc::new(Self { kind: PolicyKind::Timestamped(policy) }))
    }
}

impl Scheme {
    /// The scheme's default policy; `None` for schemes without options to verify.
    pub(crate) fn default_policy(&self) -> Option<PolicyKind> {
        match self.kind {
            SchemeKind::ApiAuth(_) => Some(PolicyKind::ApiAuth(api_auth::Policy::default())),
            SchemeKind::PathBodyHex(_) => None,
            SchemeKind::Timestamped(_) => Some(PolicyKind::Timestamped(timestamped::Policy::default())),
            SchemeKind::AwsSigV4(_) => Some(PolicyKind::AwsSigV4(aws_sigv4::Policy::default())),
            SchemeKind::Rfc9421(_) => Some(PolicyKind::Rfc9421(rfc9421::Policy::default())),
            SchemeKind::KongHmac(_) => Some(PolicyKind::KongHmac(kong_hmac::Policy::default())),
            SchemeKind::Hawk(_) => Some(PolicyKind::Hawk(hawk::Policy::default())),
        }
    }
}
