//! Scheme and policy options as JavaScript passes them: one object per scheme,
//! `{ name: "api-auth", digest: "sha256", headersToSign: [...] }`, read with serde
//! into the core's constructors (the defaults are the core's own, `hmacsig::defaults`
//! and each constructor's). Names are camelCase; unknown fields are refused.

use std::sync::Arc;

use hmacsig::{ContentDigest, HeaderStyle, HmacSigError, Policy, Scheme, SignatureType, defaults};
use serde::Deserialize;

/// `digest`: a digest's name (api-auth, path-body-hex) or a flag (kong-hmac's `Digest` header).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Digest {
    Name(String),
    Flag(bool),
}

/// Every option of every scheme; which ones a scheme reads is its own business.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemeOptions {
    pub name: String,
    pub digest: Option<Digest>,
    pub headers_to_sign: Option<Vec<String>>,
    pub override_method: Option<String>,
    pub header_style: Option<String>,
    pub lowercase_url: Option<bool>,
    pub region: Option<String>,
    pub service: Option<String>,
    pub session_token: Option<String>,
    pub omit_session_token: Option<bool>,
    pub normalize: Option<bool>,
    pub double_uri_encode: Option<bool>,
    pub sign_body: Option<bool>,
    pub signature_type: Option<String>,
    pub expires: Option<u32>,
    pub components: Option<Vec<String>>,
    pub label: Option<String>,
    pub created: Option<i64>,
    pub nonce: Option<String>,
    pub tag: Option<String>,
    pub include_alg: Option<bool>,
    pub content_digest: Option<String>,
    pub algorithm: Option<String>,
    pub headers: Option<Vec<String>>,
    pub header_name: Option<String>,
    pub http_version: Option<String>,
    pub ext: Option<String>,
    pub app: Option<String>,
    pub dlg: Option<String>,
    pub payload_hash: Option<bool>,
    pub ttl: Option<u32>,
    /// rfc9421's `expires` is a time, not a duration: `expiresAt`.
    pub expires_at: Option<i64>,
}

fn unsupported(reason: String) -> HmacSigError {
    HmacSigError::Unsupported { reason }
}

fn signature_type(name: Option<&str>, query: &str) -> Result<Option<SignatureType>, HmacSigError> {
    match name {
        None | Some("header") => Ok(Some(SignatureType::Header)),
        Some(n) if n == query => Ok(Some(SignatureType::Query)),
        Some(other) => Err(unsupported(format!("signatureType {other:?} is not offered; use header or {query}"))),
    }
}

/// The fields of [`SchemeOptions`], as JavaScript spells them: anything else is refused
/// (serde-wasm-bindgen reads only a struct's own fields, so `deny_unknown_fields` cannot see it).
pub const SCHEME_FIELDS: &[&str] = &[
    "name",
    "digest",
    "headersToSign",
    "overrideMethod",
    "headerStyle",
    "lowercaseUrl",
    "region",
    "service",
    "sessionToken",
    "omitSessionToken",
    "normalize",
    "doubleUriEncode",
    "signBody",
    "signatureType",
    "expires",
    "components",
    "label",
    "created",
    "nonce",
    "tag",
    "includeAlg",
    "contentDigest",
    "algorithm",
    "headers",
    "headerName",
    "httpVersion",
    "ext",
    "app",
    "dlg",
    "payloadHash",
    "ttl",
    "expiresAt",
];

impl SchemeOptions {
    pub fn build(self) -> Result<Arc<Scheme>, HmacSigError> {
        let text = |v: Option<String>, default: &str| v.unwrap_or_else(|| default.to_owned());
        let (digest_name, digest_flag) = match self.digest {
            None => (None, false),
            Some(Digest::Name(name)) => (Some(name), false),
            Some(Digest::Flag(flag)) => (None, flag),
        };
        let named = |name: Option<String>| -> Result<String, HmacSigError> {
            if digest_flag {
                return Err(HmacSigError::InvalidRequest { reason: format!("{}'s digest is a name, not true or false", self.name) });
            }
            Ok(name.unwrap_or_else(|| "sha1".to_owned()))
        };
        match self.name.as_str() {
            "api-auth" => Scheme::api_auth(named(digest_name)?, self.headers_to_sign.unwrap_or_default(), self.override_method),
            "path-body-hex" => Scheme::path_body_hex(named(digest_name)?),
            "timestamped" => {
                let style = HeaderStyle::from_name(self.header_style.as_deref().unwrap_or("x-request"))?;
                Ok(Scheme::timestamped(Some(style), self.lowercase_url.unwrap_or(false)))
            }
            "aws-sigv4" => {
                let required = |v: Option<String>, what: &str| {
                    v.ok_or_else(|| HmacSigError::InvalidRequest { reason: format!("aws-sigv4 needs {what}") })
                };
                Scheme::aws_sigv4(
                    required(self.region, "region")?,
                    required(self.service, "service")?,
                    self.session_token,
                    self.omit_session_token.unwrap_or(false),
                    self.normalize.unwrap_or(true),
                    self.double_uri_encode.unwrap_or(true),
                    self.sign_body.unwrap_or(false),
                    signature_type(self.signature_type.as_deref(), "query")?,
                    self.expires.unwrap_or(3600),
                )
            }
            "rfc9421" => Scheme::rfc9421(
                self.components,
                text(self.label, "sig1"),
                self.created,
                self.expires_at,
                self.nonce,
                self.tag,
                self.include_alg.unwrap_or(false),
                self.content_digest.as_deref().map(ContentDigest::from_name).transpose()?,
            ),
            "kong-hmac" => Scheme::kong_hmac(
                text(self.algorithm, "hmac-sha256"),
                self.headers,
                text(self.header_name, "authorization"),
                text(self.http_version, "1.1"),
                match digest_name {
                    Some(_) => return Err(HmacSigError::InvalidRequest { reason: "kong-hmac's digest is true or false".into() }),
                    None => digest_flag,
                },
            ),
            "hawk" => Scheme::hawk(
                text(self.algorithm, "sha256"),
                self.nonce,
                self.ext,
                self.app,
                self.dlg,
                self.payload_hash.unwrap_or(true),
                signature_type(self.signature_type.as_deref(), "bewit")?,
                self.ttl.unwrap_or(defaults::HAWK_TTL),
            ),
            other => Err(unsupported(format!("scheme {other:?} is not offered"))),
        }
    }
}

/// Every option of every policy.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyOptions {
    pub name: String,
    pub clock_skew: Option<u32>,
    pub digest: Option<String>,
    pub trust_original_uri: Option<bool>,
    pub allow_unsigned_body: Option<bool>,
    pub max_skew: Option<u32>,
    pub max_age: Option<u32>,
    pub max_future: Option<u32>,
    pub public_base_url: Option<String>,
    pub trust_forwarded: Option<bool>,
    pub required_components: Option<Vec<String>>,
    pub label: Option<String>,
    pub tag: Option<String>,
    pub enforce_headers: Option<Vec<String>>,
    pub algorithms: Option<Vec<String>>,
    pub validate_request_body: Option<bool>,
    pub timestamp_skew: Option<u32>,
    pub require_payload_hash: Option<bool>,
    pub host: Option<String>,
    pub port: Option<u16>,
}

/// The fields of [`PolicyOptions`], as JavaScript spells them: anything else is refused
/// (serde-wasm-bindgen reads only a struct's own fields, so `deny_unknown_fields` cannot see it).
pub const POLICY_FIELDS: &[&str] = &[
    "name",
    "clockSkew",
    "digest",
    "trustOriginalUri",
    "allowUnsignedBody",
    "maxSkew",
    "maxAge",
    "maxFuture",
    "publicBaseUrl",
    "trustForwarded",
    "requiredComponents",
    "label",
    "tag",
    "enforceHeaders",
    "algorithms",
    "validateRequestBody",
    "timestampSkew",
    "requirePayloadHash",
    "host",
    "port",
];

impl PolicyOptions {
    pub fn build(self) -> Result<Arc<Policy>, HmacSigError> {
        let flag = |v: Option<bool>| v.unwrap_or(false);
        match self.name.as_str() {
            "api-auth" => Policy::api_auth(
                self.clock_skew.unwrap_or(defaults::API_AUTH_CLOCK_SKEW),
                self.digest,
                flag(self.trust_original_uri),
                flag(self.allow_unsigned_body),
            ),
            "aws-sigv4" => Ok(Policy::aws_sigv4(self.max_skew.unwrap_or(defaults::AWS_SIGV4_MAX_SKEW))),
            "timestamped" => Policy::timestamped(
                self.max_age.unwrap_or(defaults::TIMESTAMPED_MAX_AGE),
                self.max_future.unwrap_or(defaults::TIMESTAMPED_MAX_FUTURE),
                self.public_base_url,
                flag(self.trust_forwarded),
            ),
            "rfc9421" => Policy::rfc9421(
                self.max_age.unwrap_or(defaults::RFC9421_MAX_AGE),
                self.required_components,
                self.clock_skew.unwrap_or(defaults::RFC9421_CLOCK_SKEW),
                self.label,
                self.tag,
                flag(self.allow_unsigned_body),
            ),
            "kong-hmac" => Policy::kong_hmac(
                self.clock_skew.unwrap_or(defaults::KONG_HMAC_CLOCK_SKEW),
                self.enforce_headers.unwrap_or_default(),
                self.algorithms,
                flag(self.validate_request_body),
            ),
            "hawk" => Policy::hawk(
                self.timestamp_skew.unwrap_or(defaults::HAWK_TIMESTAMP_SKEW),
                flag(self.require_payload_hash),
                self.host,
                self.port,
            ),
            other => Err(unsupported(format!("no policy for scheme {other:?}"))),
        }
    }
}
