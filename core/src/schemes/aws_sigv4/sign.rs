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
            let mut params = encoded_params(query, &[])?;
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
            let mut params = encoded_params(query, &[])?;
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
            // As aws-c-auth writes it: the request's own parameters as sent, empty ones dropped
            // and each with its `=`, then the added ones.
            let base = match query {
                Some(q) => &request.target[..request.target.len() - q.len() - 1],
                None => request.target,
            };
            let own = query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty());
            let own = own.map(|p| if p.contains('=') { p.to_owned() } else { format!("{p}=") });
            let added_query = auth_params.iter().map(|(k, v)| format!("{k}={}", encode_param(v)));
            let url = format!("{base}?{}", own.chain(added_query).collect::<Vec<_>>().join("&"));
            Ok(SignedRequest { headers: added, string_to_sign: sts.into_bytes(), url: Some(url) })
        }
    }
}
