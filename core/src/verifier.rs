//! Server-side verification: a `Verifier` holds the scheme, the policy, where
//! secrets come from, and optionally a replay guard.
//!
//! Secrets come from an in-memory map given up front, from a `KeyLookup` (a
//! server's own database), from the caller one message at a time (what the
//! language layers' lookups use), or from one `Credentials` (a client checking
//! signed responses). A lookup that throws becomes
//! `HmacSigError::KeyLookupFailed`, never a crash.
//!
//! HTTP statuses ([`http_status`]), the same for every scheme, following the
//! Sinatra filter of seed 000: no usable credentials is 401 (not
//! authenticated); credentials that were presented but are refused is 403
//! (forbidden); a failed key lookup is the server's fault, 503.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::body::Body;
use crate::credentials::Credentials;
use crate::error::{HmacSigError, Result};
use crate::replay::ReplayGuard;
use crate::request::{Header, Request, RequestView, Response};
use crate::scheme::{Policy, Scheme};
use crate::schemes::rfc9421::MessageView;
use crate::signed::Verified;
use crate::signer::{extract_key_id_view, resolve_policy, response_key_id, verify_response_view, verify_view};

/// Why a key lookup failed (e.g. the database is down). Foreign
/// implementations may raise this or any other exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "ffi", derive(uniffi::Error))]
pub enum KeyLookupError {
    /// The lookup failed, e.g. the database is down.
    #[error("{reason}")]
    Failed {
        /// Why, as a human-readable sentence.
        reason: String,
    },
}

/// Where a server finds the secret for a key id. Return `None` for an
/// unknown key id.
pub trait KeyLookup: Send + Sync {
    /// The secret for `key_id`; `None` when the key id is unknown.
    fn secret_for(&self, key_id: String) -> std::result::Result<Option<Vec<u8>>, KeyLookupError>;
}

enum Keys {
    /// Keyed once, at construction: a verify then MACs only its message. A
    /// B-tree: a lookup is a few string compares, where SipHash costs more for
    /// the handful of keys a server holds.
    Map(BTreeMap<String, Arc<Credentials>>),
    Lookup(Arc<dyn KeyLookup>),
    /// The caller passes each message's secret ([`Verifier::verify_with_secret`]).
    Caller,
    /// One key id and its secret ([`Verifier::with_credentials`]).
    Single(Arc<Credentials>),
    /// An encrypted key store ([`Verifier::with_store`]).
    #[cfg(feature = "server")]
    Store(Arc<crate::store::KeyStore>),
}

/// Verifies requests for a server: scheme, policy, key source, replay guard.
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct Verifier {
    scheme: Arc<Scheme>,
    policy: Option<Arc<Policy>>,
    keys: Keys,
    replay_guard: Option<Arc<ReplayGuard>>,
    /// Its id for the language layers' C entry (docs/ffi.md), once one asked.
    #[cfg(feature = "ffi")]
    pub(crate) ffi_id: crate::object_ids::ObjectId,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = match &self.keys {
            Keys::Map(m) => format!("{} keys in memory", m.len()),
            Keys::Lookup(_) => "a key lookup".to_owned(),
            Keys::Caller => "secrets from the caller".to_owned(),
            Keys::Single(c) => format!("key id {:?}", c.key_id_str()),
            #[cfg(feature = "server")]
            Keys::Store(store) => format!("{store:?}"),
        };
        f.debug_struct("Verifier").field("scheme", &self.scheme.name()).field("keys", &keys).finish_non_exhaustive()
    }
}

/// What a verifier checks: a request, or a response (rfc9421, hawk) with the
/// request it answers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Message<'a> {
    Request(RequestView<'a>),
    Response(MessageView<'a>),
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl Verifier {
    /// A verifier whose secrets are in `keys` (key id -> secret bytes).
    /// Fails with `Unsupported` when `policy` is for another scheme.
    #[uniffi::constructor(default(policy = None, replay_guard = None))]
    pub fn with_keys(
        scheme: Arc<Scheme>,
        keys: HashMap<String, Vec<u8>>,
        policy: Option<Arc<Policy>>,
        replay_guard: Option<Arc<ReplayGuard>>,
    ) -> Result<Self> {
        let keys = keys.into_iter().map(|(key_id, secret)| (key_id.clone(), Arc::new(Credentials::new(key_id, secret)))).collect();
        Self::build(scheme, Keys::Map(keys), policy, replay_guard)
    }

    /// A verifier whose caller looks each secret up itself: ask
    /// [`Self::key_id`] which key id a request claims, find its secret, then
    /// [`Self::verify_with_secret`]. (The language layers' key lookups work
    /// this way: no call from Rust back into Python, Kotlin or Swift.)
    #[uniffi::constructor(default(policy = None, replay_guard = None))]
    pub fn with_caller_secrets(scheme: Arc<Scheme>, policy: Option<Arc<Policy>>, replay_guard: Option<Arc<ReplayGuard>>) -> Result<Self> {
        Self::build(scheme, Keys::Caller, policy, replay_guard)
    }

    /// A verifier for messages signed with one key id and secret: a client
    /// checking its server's signed responses, or a one-off check.
    #[uniffi::constructor(default(policy = None, replay_guard = None))]
    pub fn with_credentials(
        scheme: Arc<Scheme>,
        credentials: Arc<Credentials>,
        policy: Option<Arc<Policy>>,
        replay_guard: Option<Arc<ReplayGuard>>,
    ) -> Result<Self> {
        Self::build(scheme, Keys::Single(credentials), policy, replay_guard)
    }
}

#[cfg(feature = "server")]
#[cfg_attr(feature = "ffi", uniffi::export)]
impl Verifier {
    /// A verifier whose secrets are in `store`: each request is checked
    /// against its key id's valid secrets (both during a rotation's grace
    /// period), at most [`crate::MAX_VALID_SECRETS`] of them, each compare in
    /// constant time. A store that fails gives `KeyLookupFailed` (503).
    #[uniffi::constructor(default(policy = None, replay_guard = None))]
    pub fn with_store(
        scheme: Arc<Scheme>,
        store: Arc<crate::store::KeyStore>,
        policy: Option<Arc<Policy>>,
        replay_guard: Option<Arc<ReplayGuard>>,
    ) -> Result<Self> {
        Self::build(scheme, Keys::Store(store), policy, replay_guard)
    }
}

impl Verifier {
    /// A verifier that asks `lookup` for each request's secret.
    /// Fails with `Unsupported` when `policy` is for another scheme.
    pub fn with_lookup(
        scheme: Arc<Scheme>,
        lookup: Arc<dyn KeyLookup>,
        policy: Option<Arc<Policy>>,
        replay_guard: Option<Arc<ReplayGuard>>,
    ) -> Result<Self> {
        Self::build(scheme, Keys::Lookup(lookup), policy, replay_guard)
    }

    /// Verifies a request given as parts; returns the verified key id.
    pub fn verify(&self, method: String, target: String, headers: Vec<Header>, body: &[u8], now: Option<i64>) -> Result<String> {
        self.verify_view(&RequestView { method: &method, target: &target, headers: &headers, body: Body::Bytes(body) }, now)
    }

    /// Verifies a `Request`; returns the verified key id.
    pub fn verify_request(&self, request: Request, now: Option<i64>) -> Result<String> {
        self.verify_view(&request.view(), now)
    }

    fn build(scheme: Arc<Scheme>, keys: Keys, policy: Option<Arc<Policy>>, replay_guard: Option<Arc<ReplayGuard>>) -> Result<Self> {
        resolve_policy(&scheme, policy.as_deref())?;
        Ok(Self {
            scheme,
            policy,
            keys,
            replay_guard,
            #[cfg(feature = "ffi")]
            ffi_id: Default::default(),
        })
    }

    /// Verifies a borrowed request; returns the verified key id.
    pub fn verify_view(&self, request: &RequestView<'_>, now: Option<i64>) -> Result<String> {
        self.verify_message(&Message::Request(*request), None, now)
    }

    /// The key id `request` claims (not verified yet), as this verifier's
    /// scheme and policy read it: for a verifier made with
    /// [`Self::with_caller_secrets`], the key whose secret to look up.
    pub fn key_id(&self, request: &RequestView<'_>) -> Result<String> {
        self.claimed_key_id(&Message::Request(*request)).map(Cow::into_owned)
    }

    /// Verifies `request` with `secret`, the secret the caller found for
    /// [`Self::key_id`]; `None` means it knows no such key id (`UnknownKey`).
    /// Only for a verifier made with [`Self::with_caller_secrets`]; the
    /// others find their own secrets (`Unsupported`).
    pub fn verify_with_secret(&self, request: &RequestView<'_>, secret: Option<&[u8]>, now: Option<i64>) -> Result<String> {
        self.verify_message(&Message::Request(*request), Some(secret), now)
    }

    /// Verifies a signed response (rfc9421, hawk) to `request`; returns the
    /// verified key id. Without a policy, the signature must cover `@status`.
    pub fn verify_response(&self, response: &Response, request: Option<&Request>, now: Option<i64>) -> Result<String> {
        self.verify_message(&Message::Response(crate::signer::response_view(response, request)), None, now)
    }

    #[cfg(feature = "ffi")]
    pub(crate) fn takes_caller_secrets(&self) -> bool {
        matches!(self.keys, Keys::Caller)
    }

    /// The key id `message` claims.
    pub(crate) fn claimed_key_id<'a>(&self, message: &Message<'a>) -> Result<Cow<'a, str>> {
        match message {
            Message::Request(request) => extract_key_id_view(&self.scheme, self.policy.as_deref(), request),
            Message::Response(response) => response_key_id(&self.scheme, self.policy.as_deref(), response),
        }
    }

    /// Verifies `message`. `caller_secret` is `Some` when the caller passes
    /// the secret (itself `None` for an unknown key id): only a verifier made
    /// with [`Self::with_caller_secrets`] takes one, and it needs one.
    pub(crate) fn verify_message(&self, message: &Message<'_>, caller_secret: Option<Option<&[u8]>>, now: Option<i64>) -> Result<String> {
        let now = crate::time::now_or_system(now);
        let verified = match (&self.keys, caller_secret) {
            (Keys::Single(credentials), None) => self.check(message, credentials, now)?,
            (Keys::Caller, None) => {
                return Err(HmacSigError::unsupported("this verifier takes each secret from its caller: use verify_with_secret"));
            }
            (Keys::Caller, Some(secret)) => {
                let key_id = self.claimed_key_id(message)?;
                let secret = secret.ok_or_else(|| HmacSigError::unknown_key(&key_id))?;
                self.check(message, &Credentials::new(key_id.into_owned(), secret.to_vec()), now)?
            }
            (_, Some(_)) => return Err(HmacSigError::unsupported("this verifier finds its own secrets; it takes none from its caller")),
            (Keys::Map(keys), None) => {
                let key_id = self.claimed_key_id(message)?;
                let credentials = keys.get(key_id.as_ref()).ok_or_else(|| HmacSigError::unknown_key(&key_id))?;
                self.check(message, credentials, now)?
            }
            #[cfg(feature = "server")]
            (Keys::Store(store), None) => {
                let key_id = self.claimed_key_id(message)?;
                let valid = store
                    .valid_credentials(&key_id, now)
                    .map_err(|e| HmacSigError::KeyLookupFailed { reason: format!("the key store failed: {e}") })?;
                self.check_any(message, &key_id, &valid, now)?
            }
            (Keys::Lookup(lookup), None) => {
                let key_id = self.claimed_key_id(message)?;
                let secret = lookup.secret_for(key_id.to_string()).map_err(|KeyLookupError::Failed { reason }| {
                    HmacSigError::KeyLookupFailed { reason: format!("the key lookup failed: {reason}") }
                })?;
                let secret = secret.ok_or_else(|| HmacSigError::unknown_key(&key_id))?;
                self.check(message, &Credentials::new(key_id.into_owned(), secret), now)?
            }
        };
        if let (Some(guard), Some(replay_key)) = (&self.replay_guard, &verified.replay_key) {
            guard.check(&verified.key_id, replay_key, verified.expires_at, Some(now))?;
        }
        Ok(verified.key_id.into_owned())
    }

    /// `message` checked against each of a key id's valid secrets, newest
    /// first (a rotation's grace period has two): the first that verifies, or
    /// the newest one's refusal. Only a signature that does not match moves on
    /// to the next secret; any other refusal does not depend on the secret.
    #[cfg(feature = "server")]
    fn check_any<'a>(&self, message: &Message<'a>, key_id: &str, valid: &[Arc<Credentials>], now: i64) -> Result<Verified<'a>> {
        let mut first_refusal = None;
        for credentials in valid {
            match self.check(message, credentials, now) {
                Ok(verified) => return Ok(verified),
                Err(e @ HmacSigError::BadSignature { .. }) => {
                    first_refusal.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(first_refusal.unwrap_or_else(|| HmacSigError::unknown_key(key_id)))
    }

    /// `message` checked against `credentials`.
    fn check<'a>(&self, message: &Message<'a>, credentials: &Credentials, now: i64) -> Result<Verified<'a>> {
        match message {
            Message::Request(request) => verify_view(&self.scheme, self.policy.as_deref(), credentials, request, Some(now)),
            Message::Response(response) => verify_response_view(&self.scheme, self.policy.as_deref(), credentials, response, Some(now)),
        }
    }
}

/// The HTTP status for an error kind (`bad_signature`, ...), the same for
/// every scheme: 401 when the request carries no usable credentials
/// (`missing_authorization`, `malformed_authorization`, `invalid_request`,
/// `unsupported`), 403 when credentials were presented and refused
/// (`unknown_key`, `bad_signature`, `stale`, `future`, `body_mismatch`,
/// `digest_not_allowed`, `missing_signed_header`, `replayed`), 503 when the
/// key lookup failed (`key_lookup_failed`). An unknown kind is 401.
#[cfg_attr(feature = "ffi", uniffi::export)]
pub fn http_status(kind: &str) -> u16 {
    match kind {
        "unknown_key"
        | "bad_signature"
        | "stale"
        | "future"
        | "body_mismatch"
        | "digest_not_allowed"
        | "missing_signed_header"
        | "replayed" => 403,
        "key_lookup_failed" => 503,
        _ => 401,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::sign_request;

    struct Db;
    impl KeyLookup for Db {
        fn secret_for(&self, key_id: String) -> std::result::Result<Option<Vec<u8>>, KeyLookupError> {
            match key_id.as_str() {
                "down" => Err(KeyLookupError::Failed { reason: "db down".into() }),
                "c1" => Ok(Some(b"secret".to_vec())),
                _ => Ok(None),
            }
        }
    }

    fn signed(scheme: &Arc<Scheme>, key_id: &str, now: i64) -> Request {
        let mut r = Request {
            method: "GET".into(),
            target: "/quotes?limit=5".into(),
            headers: vec![Header::new("Host", "api.example.com")],
            body: vec![],
        };
        let creds = Arc::new(Credentials::new(key_id.into(), b"secret".to_vec()));
        r.headers.extend(sign_request(scheme.clone(), creds, r.clone(), Some(now)).unwrap().headers);
        r
    }

    #[test]
    fn looks_keys_up_and_maps_statuses() {
        let scheme = Scheme::path_body_hex("sha1".into()).unwrap();
        let v = Verifier::with_lookup(scheme.clone(), Arc::new(Db), None, None).unwrap();
        assert_eq!(v.verify_request(signed(&scheme, "c1", 0), None).unwrap(), "c1");
        let err = |r: Request| v.verify_request(r, None).unwrap_err();
        assert_eq!(err(signed(&scheme, "nobody", 0)).kind(), "unknown_key");
        let down = err(signed(&scheme, "down", 0));
        assert_eq!((down.kind(), down.to_string().as_str()), ("key_lookup_failed", "the key lookup failed: db down"));
        let mut unsigned = signed(&scheme, "c1", 0);
        unsigned.headers.retain(|h| h.name != "Authorization");
        assert_eq!(http_status(err(unsigned).kind()), 401);
        assert_eq!(http_status("bad_signature"), 403);
        assert_eq!(http_status("unknown_key"), 403);
        assert_eq!(http_status("malformed_authorization"), 401);
        assert_eq!(http_status("key_lookup_failed"), 503);
    }

    #[test]
    fn replayed_requests_are_refused_inside_the_window() {
        let scheme = Scheme::timestamped(None, false);
        let keys = HashMap::from([("c1".to_owned(), b"secret".to_vec())]);
        let guard = Arc::new(ReplayGuard::new(100, 60).unwrap());
        let v = Verifier::with_keys(scheme.clone(), keys, None, Some(guard.clone())).unwrap();
        let r = signed(&scheme, "c1", 1_000);
        assert_eq!(v.verify_request(r.clone(), Some(1_001)).unwrap(), "c1");
        assert_eq!(v.verify_request(r.clone(), Some(1_002)).unwrap_err().kind(), "replayed");
        assert_eq!(guard.len(), 1);
        // Once its window (timestamp + max_age 300) is over it is stale, not replayed.
        assert_eq!(v.verify_request(r, Some(1_301)).unwrap_err().kind(), "stale");
    }

    #[test]
    fn policy_must_match_the_scheme() {
        let scheme = Scheme::path_body_hex("sha1".into()).unwrap();
        let mismatched = Some(Policy::timestamped(1, 1, None, false).unwrap());
        let err = Verifier::with_keys(scheme.clone(), HashMap::new(), mismatched.clone(), None).unwrap_err();
        assert_eq!((err.kind(), err.to_string().as_str()), ("unsupported", "a timestamped policy cannot verify the path-body-hex scheme"));
        assert_eq!(Verifier::with_lookup(scheme.clone(), Arc::new(Db), mismatched.clone(), None).unwrap_err().kind(), "unsupported");
        let creds = Arc::new(Credentials::new("c1".into(), b"secret".to_vec()));
        let one_off = crate::signer::verify_request(scheme.clone(), creds, signed(&scheme, "c1", 0), mismatched, None);
        assert_eq!(one_off.unwrap_err().kind(), "unsupported");
    }
}
