//! Verification: what an `Authorization` header or a presigned query
//! claims, checked against the scheme's options, the recomputed signature,
//! the body's hash and the policy's time window.

use std::borrow::Cow;

use super::canonical::{
    body_hash, canonical_request, encoded_params, header_pairs, payload_hash, percent_decode, split_target, string_to_sign,
};
use super::signing_key::signing_key;
use super::{ALGORITHM, Options, Policy, parse_amz_date, validate};
use crate::error::{HmacSigError, Result};
use crate::mac::{Algorithm, from_lower_hex};
use crate::request::RequestView;
use crate::signed::Verified;

/// What an `Authorization` header or a presigned query claims.
struct Claim {
    key_id: String,
    scope_date: String,
    region: String,
    service: String,
    signed_headers: String,
    signature: String,
    /// `None` when absent: only verifying needs it.
    amz_date: Option<String>,
    /// `X-Amz-Expires` for a presigned URL.
    expires: Option<i64>,
}

fn parse_credential(credential: &str) -> Result<(String, String, String, String)> {
    let malformed =
        || HmacSigError::malformed_authorization(format!("Credential {credential:?} is not KEY/DATE/REGION/SERVICE/aws4_request"));
    let mut parts = credential.rsplitn(5, '/');
    let (terminator, service, region, date, key_id) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next());
    match (key_id, date, region, service, terminator) {
        (Some(k), Some(d), Some(r), Some(s), Some("aws4_request")) if !k.is_empty() => Ok((k.into(), d.into(), r.into(), s.into())),
        _ => Err(malformed()),
    }
}

fn header_claim(value: &str, request: &RequestView<'_>) -> Result<Claim> {
    let malformed = |why: &str| HmacSigError::malformed_authorization(format!("Authorization {value:?} is not AWS SigV4: {why}"));
    let rest = value.strip_prefix(ALGORITHM).and_then(|r| r.strip_prefix(' ')).ok_or_else(|| malformed("expected AWS4-HMAC-SHA256"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or_else(|| malformed("expected Key=Value parts"))?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => return Err(malformed("unknown part")),
        }
    }
    let (credential, signed_headers, signature) = match (credential, signed_headers, signature) {
        (Some(c), Some(h), Some(s)) => (c, h, s),
        _ => return Err(malformed("Credential, SignedHeaders and Signature are all required")),
    };
    let (key_id, scope_date, region, service) = parse_credential(credential)?;
    let amz_date = request.header_values("X-Amz-Date").next().map(|d| d.trim().to_owned());
    Ok(Claim {
        key_id,
        scope_date,
        region,
        service,
        signed_headers: signed_headers.into(),
        signature: signature.into(),
        amz_date,
        expires: None,
    })
}

fn query_claim(params: &[(String, String)]) -> Result<Claim> {
    // The values were encoded by `encoded_params`: they decode.
    let get = |name: &str| {
        params.iter().find(|(k, _)| k == name).map(|(_, v)| String::from_utf8_lossy(&percent_decode(v).unwrap_or_default()).into_owned())
    };
    let missing = |name: &str| HmacSigError::malformed_authorization(format!("the presigned URL has no {name}"));
    if get("X-Amz-Algorithm").as_deref() != Some(ALGORITHM) {
        return Err(HmacSigError::malformed_authorization("X-Amz-Algorithm must be AWS4-HMAC-SHA256"));
    }
    let (key_id, scope_date, region, service) = parse_credential(&get("X-Amz-Credential").ok_or_else(|| missing("X-Amz-Credential"))?)?;
    let expires = get("X-Amz-Expires").ok_or_else(|| missing("X-Amz-Expires"))?;
    let expires = expires
        .parse::<i64>()
        .ok()
        .filter(|e| (0..=604_800).contains(e))
        .ok_or_else(|| HmacSigError::malformed_authorization(format!("X-Amz-Expires {expires:?} is not 0..604800")))?;
    Ok(Claim {
        key_id,
        scope_date,
        region,
        service,
        signed_headers: get("X-Amz-SignedHeaders").ok_or_else(|| missing("X-Amz-SignedHeaders"))?,
        signature: get("X-Amz-Signature").ok_or_else(|| missing("X-Amz-Signature"))?,
        amz_date: get("X-Amz-Date"),
        expires: Some(expires),
    })
}

/// The access key id a request claims (header or presigned form).
pub fn key_id(request: &RequestView<'_>) -> Result<String> {
    claim(request).map(|c| c.key_id)
}

fn claim(request: &RequestView<'_>) -> Result<Claim> {
    let (_, _, query) = split_target(request.target)?;
    let params = encoded_params(query, &[])?;
    if params.iter().any(|(k, _)| k == "X-Amz-Signature") {
        return query_claim(&params);
    }
    let mut values = request.header_values("Authorization");
    let value = values
        .next()
        .ok_or_else(|| HmacSigError::missing_authorization("the request has no Authorization header and no X-Amz-Signature"))?;
    if values.next().is_some() {
        return Err(HmacSigError::malformed_authorization("the request has more than one Authorization header"));
    }
    header_claim(value, request)
}

pub fn verify(
    request: &RequestView<'_>,
    options: &Options,
    policy: &Policy,
    key_id: &str,
    secret: &[u8],
    now: i64,
) -> Result<Verified<'static>> {
    validate(request)?;
    let claim = claim(request)?;
    if claim.key_id != key_id {
        return Err(HmacSigError::unknown_key(&claim.key_id));
    }
    let amz_date = claim.amz_date.as_deref().ok_or_else(|| HmacSigError::missing_signed_header("the request has no X-Amz-Date"))?;
    let sent = parse_amz_date(amz_date)
        .ok_or_else(|| HmacSigError::invalid_request(format!("X-Amz-Date {amz_date:?} is not YYYYMMDDTHHMMSSZ")))?;
    let scope = format!("{}/{}/{}/aws4_request", claim.scope_date, claim.region, claim.service);
    if claim.region != options.region || claim.service != options.service || !amz_date.starts_with(&claim.scope_date) {
        return Err(HmacSigError::BadSignature {
            reason: format!(
                "the credential scope {scope} is not for {}/{}/{}/aws4_request",
                &amz_date[..8],
                options.region,
                options.service
            ),
            string_to_sign: String::new(),
        });
    }
    let names: Vec<&str> = claim.signed_headers.split(';').collect();
    if !names.contains(&"host") {
        return Err(HmacSigError::missing_signed_header("SignedHeaders must include host"));
    }
    let (_, path, query) = split_target(request.target)?;
    // With `omit_session_token` the signer adds X-Amz-Security-Token after signing (aws-c-auth).
    let added_after_signing: &[&str] =
        if options.omit_session_token { &["X-Amz-Signature", "X-Amz-Security-Token"] } else { &["X-Amz-Signature"] };
    let mut params = encoded_params(query, added_after_signing)?;
    let payload = payload_hash(request)?;
    let canonical = canonical_request(options, request.method, path, &mut params, &header_pairs(request), Some(&names), &payload)?;
    let sts = string_to_sign(amz_date, &scope, &canonical.request);
    // Any length but SHA-256's fails verify_slice.
    let tag = from_lower_hex(&claim.signature);
    if !tag.is_some_and(|t| Algorithm::Sha256.verify(&signing_key(secret, &claim.scope_date, options), &[sts.as_bytes()], &t)) {
        return Err(HmacSigError::bad_signature(sts.as_bytes()));
    }
    if payload != "UNSIGNED-PAYLOAD" && payload != body_hash(request)? {
        return Err(HmacSigError::body_mismatch("the body's SHA-256 does not match x-amz-content-sha256"));
    }
    let skew = i64::from(policy.max_skew);
    let (earliest, latest) = match claim.expires {
        Some(expires) => (sent.saturating_sub(skew), sent.saturating_add(expires)),
        None => (sent.saturating_sub(skew), sent.saturating_add(skew)),
    };
    // For a header signature the window is X-Amz-Date ± max_skew: too old is
    // stale, too far ahead (now < date - skew) is future.
    if now > latest {
        return Err(HmacSigError::stale(format!("the signature from {amz_date} expired {} s ago", now.saturating_sub(latest))));
    }
    if now < earliest {
        return Err(HmacSigError::future(format!("X-Amz-Date {amz_date} is {} s in the future", sent.saturating_sub(now))));
    }
    Ok(Verified { key_id: Cow::Owned(claim.key_id), replay_key: Some(Cow::Owned(claim.signature)), expires_at: Some(latest) })
}
