// Shared by the targets that verify: one verifier and one signer per scheme
// setting, made once. Each target uses part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use hmacsig::{ContentDigest, Credentials, HeaderStyle, Policy, ReplayGuard, Scheme, SignatureType, Signer, Verifier};

pub const KEY_ID: &str = "fuzz-key";
pub const SECRET: &[u8] = b"fuzz-secret";

fn schemes() -> Vec<(Arc<Scheme>, Option<Arc<Policy>>)> {
    vec![
        (Scheme::api_auth("sha256".into(), vec!["X-Request-Id".into()], None).unwrap(), None),
        (Scheme::api_auth("sha1".into(), vec![], None).unwrap(), None),
        (Scheme::path_body_hex("sha1".into()).unwrap(), None),
        (Scheme::timestamped(Some(HeaderStyle::XRequest), false), None),
        (Scheme::timestamped(Some(HeaderStyle::Authorization), true), None),
        (Scheme::aws_sigv4("us-east-1".into(), "service".into(), None, false, true, true, true, None, 3600).unwrap(), None),
        (
            Scheme::aws_sigv4(
                "us-east-1".into(),
                "s3".into(),
                Some("token".into()),
                true,
                false,
                false,
                false,
                Some(SignatureType::Query),
                900,
            )
            .unwrap(),
            Some(Policy::aws_sigv4(900)),
        ),
        (
            Scheme::rfc9421(None, "sig1".into(), None, None, Some("n".into()), None, true, Some(ContentDigest::Sha256)).unwrap(),
            Some(Policy::rfc9421(300, Some(vec!["@method".into(), "\"@query-param\";name=\"a\"".into()]), 5, None, None, false).unwrap()),
        ),
        (
            Scheme::kong_hmac(
                "hmac-sha512".into(),
                Some(vec!["x-date".into(), "request-line".into(), "digest".into(), "cookie".into()]),
                "proxy-authorization".into(),
                "2.0".into(),
                true,
            )
            .unwrap(),
            Some(Policy::kong_hmac(300, vec!["digest".into()], None, true).unwrap()),
        ),
        (Scheme::kong_hmac("hmac-sha1".into(), None, "authorization".into(), "1.1".into(), false).unwrap(), None),
        (
            Scheme::hawk("sha256".into(), Some("n".into()), Some("e".into()), Some("a".into()), Some("d".into()), true, None, 60).unwrap(),
            Some(Policy::hawk(60, true, None, Some(443)).unwrap()),
        ),
        (Scheme::hawk("sha1".into(), None, None, None, None, false, Some(SignatureType::Query), 600).unwrap(), None),
    ]
}

pub struct Setting {
    pub signer: Arc<Signer>,
    pub verifier: Arc<Verifier>,
}

/// Every scheme setting, with a replay guard on the verifiers that take one.
pub fn settings() -> &'static [Setting] {
    static SETTINGS: OnceLock<Vec<Setting>> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        schemes()
            .into_iter()
            .map(|(scheme, policy)| {
                let credentials = Arc::new(Credentials::new(KEY_ID.into(), SECRET.to_vec()));
                let keys = HashMap::from([(KEY_ID.to_owned(), SECRET.to_vec())]);
                let guard = Some(Arc::new(ReplayGuard::new(1 << 12, 900).unwrap()));
                let verifier = Verifier::with_keys(scheme.clone(), keys.clone(), policy.clone(), guard)
                    .or_else(|_| Verifier::with_keys(scheme.clone(), keys, policy, None))
                    .unwrap();
                Setting { signer: Arc::new(Signer::new(scheme, credentials)), verifier: Arc::new(verifier) }
            })
            .collect()
    })
}
