//! Hawk bewits: a GET URL that carries its own authorization until it
//! expires (hawk's `uri.getBewit` and `server.authenticateBewit`).
//!
//! ```text
//! normalized = "hawk.1.bewit\n" exp "\n\nGET\n" resource "\n" host "\n" port "\n\n" escaped(ext) "\n"
//! bewit      = base64url, unpadded, of id "\" exp "\" mac "\" ext
//! ```
//!
//! Contract: [`sign`] gives hawk's URL for the same inputs; [`verify`] reads
//! the last `bewit=` item of the query as hawk's `bewitRegex` does, refuses
//! a method other than GET and HEAD, a request that also has
//! `Authorization`, and an expired bewit (`exp <= now`), then checks the key
//! id and the MAC over the URL without its bewit. A bewit may be used again
//! until it expires, so it has no replay key.

use std::borrow::Cow;

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::{Artifacts, Options, Policy, first, location, resource};
use crate::error::{HmacSigError, Result};
use crate::mac::constant_time_eq;
use crate::request::RequestView;
use crate::signed::{SignedRequest, Verified};
use crate::target::Target;

/// Node's `Buffer.from(_, "base64")` on a base64url text: padding optional,
/// stray bits ignored.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn artifacts<'a>(exp: &str, resource: Cow<'a, str>, host: Cow<'a, str>, port: Cow<'a, str>, ext: Option<&'a str>) -> Artifacts<'a> {
    Artifacts {
        ts: Cow::Owned(exp.to_owned()),
        method: Cow::Borrowed("GET"),
        resource,
        host,
        port,
        ext: ext.filter(|e| !e.is_empty()).map(Cow::Borrowed),
        ..Artifacts::default()
    }
}

pub fn sign(request: &RequestView<'_>, options: &Options, key_id: &str, secret: &[u8], now: i64) -> Result<SignedRequest> {
    // The MAC says GET whatever the method; a verifier refuses any but GET and HEAD.
    if !matches!(request.method, "GET" | "HEAD") {
        return Err(HmacSigError::invalid_request(format!("a bewit authorizes GET and HEAD only, not {}", request.method)));
    }
    let (resource, host, port) = location(request, None)?;
    let exp = now.saturating_add(i64::from(options.ttl)).to_string();
    let ext = options.ext.as_deref();
    let (normalized, mac) = artifacts(&exp, resource, host, port, ext).mac("bewit", options.algorithm, secret);
    let bewit = URL_SAFE_NO_PAD.encode(format!("{key_id}\\{exp}\\{mac}\\{}", ext.unwrap_or("")));
    let separator = if request.target.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}bewit={bewit}", request.target);
    Ok(SignedRequest { headers: vec![], string_to_sign: normalized.into_bytes(), url: Some(url) })
}

/// The path-and-query `resource` split as hawk's `bewitRegex`
/// (`^(\/.*)([\?&])bewit\=([^&$]*)(?:&(.+))?$`): the last `bewit=` item that
/// fits, and the resource without it.
fn split_bewit(resource: &str) -> Option<(&str, String)> {
    if !resource.starts_with('/') {
        return None;
    }
    let bytes = resource.as_bytes();
    for at in (1..bytes.len()).rev() {
        if !matches!(bytes[at], b'?' | b'&') || !bytes[at + 1..].starts_with(b"bewit=") {
            continue;
        }
        let start = at + 7;
        let end = bytes[start..].iter().position(|&b| b == b'&' || b == b'$').map_or(bytes.len(), |i| start + i);
        let rest = match bytes.get(end) {
            None => None,
            Some(b'&') if end + 1 < bytes.len() => Some(&resource[end + 1..]),
            Some(_) => continue,
        };
        let mut url = resource[..at].to_owned();
        if let Some(rest) = rest {
            url.push(char::from(bytes[at]));
            url.push_str(rest);
        }
        return Some((&resource[start..end], url));
    }
    None
}

/// The bewit's four parts, as hawk splits them (its bytes read as Latin-1).
struct Bewit {
    id: String,
    /// As sent: the MAC covers this text.
    exp: String,
    mac: String,
    ext: String,
}

fn decode(bewit: &str) -> Result<Bewit> {
    let malformed = |why: &str| HmacSigError::malformed_authorization(format!("the bewit {why}"));
    if bewit.is_empty() {
        return Err(malformed("is empty"));
    }
    if !bewit.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(malformed("is not base64url"));
    }
    // Node drops a last lone character; the decoder here refuses it.
    let usable = if bewit.len() % 4 == 1 { &bewit[..bewit.len() - 1] } else { bewit };
    let bytes = LENIENT.decode(usable).map_err(|_| malformed("is not base64url"))?;
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let parts: Vec<&str> = text.split('\\').collect();
    let [id, exp, mac, ext] = parts[..] else { return Err(malformed("is not id\\exp\\mac\\ext")) };
    if id.is_empty() || exp.is_empty() || mac.is_empty() {
        return Err(malformed("lacks its id, expiry time or MAC"));
    }
    Ok(Bewit { id: id.to_owned(), exp: exp.to_owned(), mac: mac.to_owned(), ext: ext.to_owned() })
}

/// JavaScript's `parseInt(text, 10)`, as hawk reads `exp`: spaces, a sign,
/// then the leading digits (`1700000000x` is 1700000000); `None` for NaN.
fn parse_int(text: &str) -> Option<i64> {
    let text = text.trim_start_matches(super::header::is_js_space);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = &digits[..digits.bytes().take_while(u8::is_ascii_digit).count()];
    // Beyond 18 digits the expiry is past any clock: saturate.
    let value = if digits.len() > 18 { i64::MAX } else { digits.parse::<i64>().ok()? };
    Some(if negative { -value } else { value })
}

/// The bewit item of the request's target and the resource without it.
fn read(request: &RequestView<'_>) -> Result<(String, String)> {
    let resource = resource(request.target, &Target::parse(request.target)?);
    split_bewit(&resource)
        .map(|(item, url)| (item.to_owned(), url))
        .ok_or_else(|| HmacSigError::missing_authorization("the request target has no bewit= item"))
}

pub fn key_id(request: &RequestView<'_>) -> Result<String> {
    decode(&read(request)?.0).map(|bewit| bewit.id)
}

pub fn verify(
    request: &RequestView<'_>,
    options: &Options,
    policy: &Policy,
    key_id: &str,
    secret: &[u8],
    now: i64,
) -> Result<Verified<'static>> {
    let (item, url) = read(request)?;
    if item.is_empty() {
        return Err(HmacSigError::malformed_authorization("the bewit is empty"));
    }
    if !matches!(request.method, "GET" | "HEAD") {
        return Err(HmacSigError::invalid_request(format!("a bewit authorizes GET and HEAD only, not {}", request.method)));
    }
    if first(request.headers, "Authorization").is_some() {
        return Err(HmacSigError::invalid_request("a request with a bewit must not also have an Authorization header"));
    }
    let bewit = decode(&item)?;
    // hawk's order: the key id, the MAC (over `exp` as sent), then the expiry.
    if bewit.id != key_id {
        return Err(HmacSigError::unknown_key(&bewit.id));
    }
    let (_, host, port) = location(request, Some(policy))?;
    let (normalized, mac) =
        artifacts(&bewit.exp, Cow::Borrowed(&url), host, port, Some(&bewit.ext)).mac("bewit", options.algorithm, secret);
    if !constant_time_eq(mac.as_bytes(), bewit.mac.as_bytes()) {
        return Err(HmacSigError::bad_signature(normalized.as_bytes()));
    }
    // hawk reads `parseInt(exp)`; one that is no number (NaN) would never
    // expire there, and is refused here.
    let exp = parse_int(&bewit.exp)
        .ok_or_else(|| HmacSigError::malformed_authorization(format!("the bewit's expiry time {:?} is not a number", bewit.exp)))?;
    if exp <= now {
        return Err(HmacSigError::stale(format!("the bewit expired {} s ago", now.saturating_sub(exp))));
    }
    Ok(Verified { key_id: Cow::Owned(bewit.id), replay_key: None, expires_at: Some(exp) })
}
