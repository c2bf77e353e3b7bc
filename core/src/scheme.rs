//! `Scheme` (how to sign) and `Policy` (how strictly to verify): immutable
//! objects built once and shared, so a call passes a pointer, not a record.

use std::sync::Arc;

use crate::error::{HmacSigError, Result};
use crate::mac::Algorithm;
use crate::schemes::api_auth;

/// A signing scheme with its options.
#[derive(Debug, uniffi::Object)]
pub struct Scheme {
    pub(crate) kind: SchemeKind,
}

#[derive(Debug, Clone)]
pub(crate) enum SchemeKind {
    ApiAuth(api_auth::Options),
}

#[uniffi::export]
impl Scheme {
    /// api-auth (Ruby gem 2.5). `digest`: `sha1` (header `APIAuth`),
    /// `sha224`, `sha256`, `sha384` or `sha512` (header `APIAuth-HMAC-SHA256`
    /// ...). `headers_to_sign`: extra header values to sign, in order.
    /// `override_method`: the method to sign instead of the request's.
    #[uniffi::constructor(default(digest = "sha1", headers_to_sign = [], override_method = None))]
    pub fn api_auth(digest: String, headers_to_sign: Vec<String>, override_method: Option<String>) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { kind: SchemeKind::ApiAuth(api_auth::Options::new(&digest, headers_to_sign, override_method)?) }))
    }

    /// The scheme's name, as the conformance cases spell it (`api-auth`).
    pub fn name(&self) -> String {
        match self.kind {
            SchemeKind::ApiAuth(_) => "api-auth".into(),
        }
    }
}

/// How strictly to verify. Each scheme has its own; `None` where a policy is
/// taken means the scheme's defaults.
#[derive(Debug, uniffi::Object)]
pub struct Policy {
    pub(crate) kind: PolicyKind,
}

#[derive(Debug, Clone)]
pub(crate) enum PolicyKind {
    ApiAuth(api_auth::Policy),
}

#[uniffi::export]
impl Policy {
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
}

impl Scheme {
    /// The scheme's default policy.
    pub(crate) fn default_policy(&self) -> PolicyKind {
        match self.kind {
            SchemeKind::ApiAuth(_) => PolicyKind::ApiAuth(api_auth::Policy::default()),
        }
    }
}
