//! Verification, stricter than the gem (the rules are in the module above):
//! an anchored `Authorization` parse, a constant-time compare, the content
//! hash checked against the body, and the `Date` inside the policy's window.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::canonical::{canonical_method, write_canonical};
use super::{CONTENT_HASH_HEADER, Options, Policy, SIGNED_FIELDS};
use crate::body::Body;
use crate::error::{HmacSigError, Result};
use crate::mac::{Algorithm, MacKey};
use crate::request::RequestView;
use crate::signed::Verified;
use crate::time::parse_http_date_ruby;

/// Whether `hash` is the base64 SHA-256 of the body (given as bytes or as its
/// SHA-256 digest), as the content-hash header carries it; compared on the
/// stack, as every verify does.
fn content_hash_is(hash: &str, body: Body<'_>) -> Result<bool> {
    let mut text = [0u8; 44];
    let n = BASE64.encode_slice(body.sha256("the api-auth content hash")?, &mut text).expect("44 bytes hold a SHA-256 in base64");
    Ok(hash.as_bytes() == &text[..n])
}

thread_local! {
    /// The canonical string of this thread's last verify (its capacity only).
    static CANONICAL: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A parsed `Authorization` header.
pub(super) struct Authorization<'a> {
    pub(super) algorithm: Algorithm,
    pub(super) key_id: &'a str,
    pub(super) signature: &'a str,
}

/// The strict, anchored parse: the whole value is
/// `APIAuth[-HMAC-<DIGEST>] <key_id>:<signature>`.
pub(super) fn parse_authorization(value: &str) -> Result<Authorization<'_>> {
    let malformed = |why: &str| HmacSigError::malformed_authorization(format!("Authorization {value:?} is not an api-auth header: {why}"));
    let rest = value.strip_prefix("APIAuth").ok_or_else(|| malformed("it must start with \"APIAuth\""))?;
    let (algorithm, rest) = match rest.strip_prefix("-HMAC-") {
        None => (Algorithm::Sha1, rest.strip_prefix(' ').ok_or_else(|| malformed("expected a space after \"APIAuth\""))?),
        Some(labelled) => {
            let (label, rest) = labelled.split_once(' ').ok_or_else(|| malformed("expected a space after the digest label"))?;
            let algorithm = match label {
                "SHA1" => Algorithm::Sha1,
                "SHA224" => Algorithm::Sha224,
                "SHA256" => Algorithm::Sha256,
                "SHA384" => Algorithm::Sha384,
                "SHA512" => Algorithm::Sha512,
                "MD5" | "SHA" => {
                    return Err(HmacSigError::digest_not_allowed(format!(
                        "digest {label} is never accepted; use SHA1, SHA224, SHA256, SHA384 or SHA512"
                    )));
                }
                _ => return Err(malformed("unknown digest label")),
            };
            (algorithm, rest)
        }
    };
    let (key_id, signature) = rest.split_once(':').ok_or_else(|| malformed("expected <key_id>:<signature>"))?;
    if key_id.is_empty() || signature.is_empty() {
        return Err(malformed("the key id and the signature must not be empty"));
    }
    Ok(Authorization { algorithm, key_id, signature })
}

/// The one `Authorization` value of a request, refusing repeats.
fn single_authorization<'a>(request: &RequestView<'a>) -> Result<&'a str> {
    let mut values = request.header_values("Authorization");
    let first = values.next().ok_or_else(|| HmacSigError::missing_authorization("the request has no Authorization header"))?;
    if values.next().is_some() {
        return Err(HmacSigError::malformed_authorization("the request has more than one Authorization header"));
    }
    Ok(first)
}

/// Verifies against the secret the server holds for `key_id`; returns the key id.
pub fn verify<'a>(
    request: &RequestView<'a>,
    options: &Options,
    policy: &Policy,
    key_id: &str,
    key: &(impl MacKey + ?Sized),
    now: i64,
) -> Result<Verified<'a>> {
    let [hash, date, original_uri, content_type] = request.validated_fields(&SIGNED_FIELDS)?;
    let auth = parse_authorization(single_authorization(request)?)?;
    if let Some(pinned) = policy.digest
        && pinned != auth.algorithm
    {
        return Err(HmacSigError::digest_not_allowed(format!(
            "this server accepts only {} signatures; the request used {}",
            pinned.name(),
            auth.algorithm.name()
        )));
    }
    if auth.key_id != key_id {
        return Err(HmacSigError::unknown_key(auth.key_id));
    }
    let original_uri = original_uri.filter(|_| policy.trust_original_uri);
    let method = canonical_method(request, options);
    // The canonical string goes into this thread's buffer, kept between verifies.
    CANONICAL.with_borrow_mut(|canonical| {
        canonical.clear();
        write_canonical(
            request,
            &method,
            content_type.as_deref().unwrap_or_default(),
            hash.as_deref().unwrap_or(""),
            original_uri.as_deref().unwrap_or(request.target),
            date.as_deref().unwrap_or(""),
            &options.headers_to_sign,
            canonical,
        )?;
        // Keyed once per credentials; `Mac::verify_slice` compares in constant time.
        // A tag is at most 64 bytes (SHA-512), decoded on the stack (the base64
        // decoder asks for room for up to 66); anything longer fails.
        let mut tag = [0u8; 72];
        let signature_ok = BASE64.decode_slice(auth.signature, &mut tag).is_ok_and(|n| key.verify(auth.algorithm, &[canonical], &tag[..n]));
        let result = if signature_ok { Ok(()) } else { Err(HmacSigError::bad_signature(canonical)) };
        if canonical.capacity() > 4096 {
            *canonical = Vec::new(); // a long X-Original-URI is not kept
        }
        result
    })?;
    match hash {
        Some(hash) if !content_hash_is(&hash, request.body)? => {
            return Err(HmacSigError::body_mismatch(format!("the body's SHA-256 does not match {CONTENT_HASH_HEADER}: {hash:?}")));
        }
        None if !request.body.is_empty() && !policy.allow_unsigned_body => {
            return Err(HmacSigError::body_mismatch(format!(
                "the request has a {}-byte body but no {CONTENT_HASH_HEADER} header, so the signature does not cover it",
                request.body.len()
            )));
        }
        _ => {}
    }
    let date = date.ok_or_else(|| HmacSigError::missing_signed_header("the request has no Date header, so its age cannot be checked"))?;
    let sent = parse_http_date_ruby(&date)
        .ok_or_else(|| HmacSigError::invalid_request(format!("the Date header {date:?} is not an HTTP date")))?;
    let skew = i64::from(policy.clock_skew);
    // `now` is caller-supplied: saturate rather than overflow at the i64 edges.
    if sent <= now.saturating_sub(skew) {
        return Err(HmacSigError::stale(format!(
            "the request's Date is {} s old; the policy allows less than {} s",
            now.saturating_sub(sent),
            skew
        )));
    }
    if sent >= now.saturating_add(skew) {
        return Err(HmacSigError::future(format!(
            "the request's Date is {} s in the future; the policy allows less than {} s",
            sent.saturating_sub(now),
            skew
        )));
    }
    Ok(Verified {
        key_id: Cow::Borrowed(auth.key_id),
        replay_key: Some(Cow::Borrowed(auth.signature)),
        expires_at: Some(sent.saturating_add(skew)),
    })
}
