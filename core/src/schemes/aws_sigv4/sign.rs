//! Signing, in the header form (`Authorization`, `X-Amz-Date`) or as a
//! presigned URL (the authentication parameters in the query).

use super::canonical::{
    canonical_request, encode_param, encoded_params, header_pairs, host_without_default_port, payload_hash, split_target, string_to_sign,
};
use super::signing_key::SigningKeyCache;
use super::{ALGORITHM, Options, SignatureType, UNSIGNABLE, amz_date, validate};
use crate::error::{HmacSigError, Result};
use crate::mac::{Algorithm, to_hex};
use crate::request::{Header, RequestView};
use crate::signed::SignedRequest;

#[cfg(test)]
pub fn sign(request: &RequestView<'_>, options: &Options, key_id: &str, secret: &[u8], now: i64) -> Result<SignedRequest> {
    sign_with_cache(request, options, key_id, secret, &SigningKeyCache::default(), now)
}

/// [`sign`], taking the signing key from `keys` when it holds this scope's.
pub fn sign_with_cache(
    request: &RequestView<'_>,
    options: &Options,
    key_id: &str,
    secret: &[u8],
    keys: &SigningKeyCache,
    now: i64,
) -> Result<SignedRequest> {
    validate(request)?;
    let (amz_date, date) = amz_date(now)?;
    let scope = format!("{date}/{}/{}/aws4_request", options.region, options.service);
    let (authority, path, query) = split_target(request.target)?;
    let host = match request.header_values("Host").next() {
        Some(_) => None,
        None => {
            let authority = authority.ok_or_else(|| HmacSigError::invalid_request("an origin-form target needs a Host header"))?;
            Some(host_without_default_port(request.target, authority))
        }
    };
    let mut headers = header_pairs(request);
    let mut added = Vec::new();
    if let Some(host) = &host {
        headers.push(("Host", host));
        added.push(Header::new("Host", host.clone()));
    }
    let token_signed = options.session_token.is_some() && !options.omit_session_token;
    let payload = payload_hash(request)?;
    match options.signature_type {
        SignatureType::Header => {
            if let Some(token) = &options.session_token {
                added.push(Header::new("X-Amz-Security-Token", token.clone()));
                if token_signed {
                    headers.push(("X-Amz-Security-Token", token));
                }
            }
            added.push(Header::new("X-Amz-Date", amz_date.clone()));
            headers.push(("X-Amz-Date", &amz_date));
            if options.sign_body && request.header_values("X-Amz-Content-Sha256").next().is_none() {
                // Without the request's own header, `payload` is the body's hash.
                added.push(Header::new("x-amz-content-sha256", payload.clone()));
                headers.push(("x-amz-content-sha256", &payload));
            }
            let mut params = encoded_params(query, false);
            let canonical = canonical_request(options, request.method, path, &mut params, &headers, None, &payload)?;
            let sts = string_to_sign(&amz_date, &scope, &canonical.request);
            let signature = to_hex(&Algorithm::Sha256.hmac(&keys.key(secret, &date, options), &[sts.as_bytes()]));
            added.push(Header::new(
                "Authorization",
                format!("{ALGORITHM} Credential={key_id}/{scope}, SignedHeaders={}, Signature={signature}", canonical.signed_headers),
            ));
            Ok(SignedRequest { headers: added, string_to_sign: sts.into_bytes(), url: None })
        }
        SignatureType::Query => {
            let mut params = encoded_params(query, false);
            // Signed headers are known before the query is complete: all signable headers.
            let signed_headers = {
                let mut names: Vec<String> =
                    headers.iter().map(|(n, _)| n.to_ascii_lowercase()).filter(|n| !UNSIGNABLE.contains(&n.as_str())).collect();
                names.sort();
                names.dedup();
                names.join(";")
            };
            let credential = format!("{key_id}/{scope}");
            let mut auth_params = vec![
                ("X-Amz-Algorithm", ALGORITHM.to_owned()),
                ("X-Amz-Credential", credential),
                ("X-Amz-Date", amz_date.clone()),
                ("X-Amz-SignedHeaders", signed_headers),
                ("X-Amz-Expires", options.expires.to_string()),
            ];
            for (k, v) in &auth_params {
                params.push(((*k).to_owned(), encode_param(v)));
            }
            if let (Some(token), true) = (&options.session_token, token_signed) {
                params.push(("X-Amz-Security-Token".into(), encode_param(token)));
            }
            let canonical = canonical_request(options, request.method, path, &mut params, &headers, None, &payload)?;
            let sts = string_to_sign(&amz_date, &scope, &canonical.request);
            let signature = to_hex(&Algorithm::Sha256.hmac(&keys.key(secret, &date, options), &[sts.as_bytes()]));
            if let Some(token) = &options.session_token {
                auth_params.push(("X-Amz-Security-Token", token.clone()));
            }
            auth_params.push(("X-Amz-Signature", signature));
            let added_query: Vec<String> = auth_params.iter().map(|(k, v)| format!("{k}={}", encode_param(v))).collect();
            let base = request.target.strip_suffix('?').unwrap_or(request.target);
            let separator = if query.is_some_and(|q| !q.is_empty()) { "&" } else { "?" };
            let url = format!("{base}{separator}{}", added_query.join("&"));
            Ok(SignedRequest { headers: added, string_to_sign: sts.into_bytes(), url: Some(url) })
        }
    }
}
