//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`), header and presigned-query forms.
//!
//! ```text
//! canonical request = METHOD \n PATH \n QUERY \n HEADERS \n SIGNED_HEADERS \n PAYLOAD_HASH
//! string to sign    = AWS4-HMAC-SHA256 \n X-Amz-Date \n DATE/REGION/SERVICE/aws4_request \n hex(SHA-256(canonical request))
//! signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, DATE), REGION), SERVICE), "aws4_request")
//! ```
//!
//! Behaviour follows aws-c-auth (the suite in `tests/vectors/aws-sigv4/`):
//! - PATH: the raw path, dot segments removed and `//` collapsed when
//!   `normalize`, then URI-encoded once more when `double_uri_encode` (S3 uses
//!   neither: the path is taken as already encoded).
//! - QUERY: each `key=value` percent-decoded then encoded with only the
//!   unreserved set kept (so `+` is `%2B` and an encoded key stays as it was),
//!   sorted by encoded key, then encoded value; repeated keys are kept.
//! - HEADERS: lower-case names, values trimmed with inner whitespace runs (and
//!   obsolete line folding) collapsed to one space, repeats joined with `,`,
//!   sorted by name. `Authorization`, `User-Agent`, `X-Amzn-Trace-Id`,
//!   `Expect` and `Connection` are never signed.
//! - PAYLOAD_HASH: hex SHA-256 of the body (or of the SHA-256 body digest it
//!   was given), or the request's own `X-Amz-Content-Sha256` value (e.g.
//!   `UNSIGNED-PAYLOAD`) when it has one. Presigned URLs too.

use std::sync::Mutex;

use crate::error::{HmacSigError, Result};
use crate::mac::{Algorithm, Tag, UPPER_HEX, from_lower_hex, push_hex, sha256, to_hex};
use crate::request::{Folding, Header, RequestView};
use crate::signed::{SignedRequest, Verified};
use crate::target::Target;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const UNSIGNABLE: &[&str] = &["authorization", "user-agent", "x-amzn-trace-id", "expect", "connection"];

/// Where the signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SignatureType {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// A presigned URL: `X-Amz-Algorithm`, `-Credential`, `-Date`, `-SignedHeaders`,
    /// `-Expires` (and `-Security-Token`) and `X-Amz-Signature` in the query.
    Query,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub region: String,
    pub service: String,
    pub session_token: Option<String>,
    /// Add the session token after signing, unsigned (as some services require).
    pub omit_session_token: bool,
    pub normalize: bool,
    pub double_uri_encode: bool,
    /// Add and sign `x-amz-content-sha256` (header signing).
    pub sign_body: bool,
    pub signature_type: SignatureType,
    /// `X-Amz-Expires` of a presigned URL, in seconds.
    pub expires: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Most seconds between `X-Amz-Date` and now, either way (AWS: 15 minutes).
    pub max_skew: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self { max_skew: 900 }
    }
}

impl Options {
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [("region", &self.region), ("service", &self.service)] {
            // Regions and services are ASCII names such as `us-east-1` and `s3`.
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
                return Err(HmacSigError::unsupported(format!(
                    "aws-sigv4 {name} {value:?} must be a non-empty name of letters, digits, '-', '_' or '.'"
                )));
            }
        }
        if self.expires == 0 || self.expires > 604_800 {
            return Err(HmacSigError::unsupported(format!("aws-sigv4 expires must be 1..604800 seconds (7 days), not {}", self.expires)));
        }
        Ok(())
    }
}

/// `20150830T123600Z` and `20150830` for Unix seconds.
pub fn amz_date(unix: i64) -> Result<(String, String)> {
    let (year, month, day, h, m, sec) = crate::time::utc_fields(unix)?;
    let date = format!("{year:04}{month:02}{day:02}");
    Ok((format!("{date}T{h:02}{m:02}{sec:02}Z"), date))
}

/// Parses `20150830T123600Z`.
fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (n(0..4)?, n(4..6)?, n(6..8)?, n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let unix = crate::time::days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    // Refuse dates that do not exist (Feb 30) by formatting back.
    (amz_date(unix).ok()?.0 == text).then_some(unix)
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn uri_encode(bytes: &[u8], keep_slash: bool, out: &mut String) {
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push('%');
            push_hex(&[b], UPPER_HEX, out);
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Removes `.` and `..` segments and collapses empty ones, keeping a trailing `/`.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    if out.len() > 1 && (path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..")) {
        out.push('/');
    }
    out
}

/// The target's authority (absolute-form), path and query, as the one
/// target parser splits them.
fn split_target(target: &str) -> Result<(Option<&str>, &str, Option<&str>)> {
    let parts = Target::split(target)?;
    Ok((parts.authority, parts.path, parts.query))
}

/// `host[:port]` without the scheme's default port.
fn host_without_default_port(target: &str, authority: &str) -> String {
    let default = if target.len() >= 6 && target[..6].eq_ignore_ascii_case("https:") { ":443" } else { ":80" };
    authority.strip_suffix(default).unwrap_or(authority).to_owned()
}

/// Appends the header value as SigV4 signs it: trimmed, whitespace runs (and
/// folds) as one space.
fn push_trimall(value: &str, out: &mut String) {
    for (i, word) in value.split_ascii_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

struct Canonical {
    request: String,
    signed_headers: String,
}

fn canonical_query(params: &mut [(String, String)]) -> String {
    params.sort();
    let mut out = String::with_capacity(params.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

fn encoded_params(query: Option<&str>, skip_signature: bool) -> Vec<(String, String)> {
    let Some(query) = query.filter(|q| !q.is_empty()) else { return vec![] };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (mut key, mut value) = (String::new(), String::new());
            uri_encode(&percent_decode(k), false, &mut key);
            uri_encode(&percent_decode(v), false, &mut value);
            (!(skip_signature && key == "X-Amz-Signature")).then_some((key, value))
        })
        .collect()
}

fn encode_param(value: &str) -> String {
    let mut out = String::new();
    uri_encode(value.as_bytes(), false, &mut out);
    out
}

/// The canonical request over `headers` (all signable ones, or exactly `only`).
fn canonical_request(
    options: &Options,
    method: &str,
    path: &str,
    params: &mut [(String, String)],
    headers: &[(&str, &str)],
    only: Option<&[&str]>,
    payload_hash: &str,
) -> Result<Canonical> {
    let path = if options.normalize { normalize_path(path) } else { path.to_owned() };
    let mut canonical_path = String::with_capacity(path.len());
    if options.double_uri_encode {
        uri_encode(path.as_bytes(), true, &mut canonical_path);
    } else {
        canonical_path = path;
    }
    let mut by_name: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let wanted = match only {
            Some(names) => names.contains(&lower.as_str()),
            None => !UNSIGNABLE.contains(&lower.as_str()),
        };
        if wanted {
            by_name.entry(lower).or_default().push(value);
        }
    }
    if let Some(names) = only
        && let Some(missing) = names.iter().find(|n| !by_name.contains_key(**n))
    {
        return Err(HmacSigError::missing_signed_header(format!("the signed header {missing:?} is absent")));
    }
    let query = canonical_query(params);
    let fields: usize = by_name.iter().map(|(n, vs)| 2 * n.len() + vs.iter().map(|v| v.len() + 1).sum::<usize>() + 2).sum();
    let mut request = String::with_capacity(method.len() + canonical_path.len() + query.len() + fields + payload_hash.len() + 8);
    for part in [method, &canonical_path, &query] {
        request.push_str(part);
        request.push('\n');
    }
    for (name, values) in &by_name {
        request.push_str(name);
        request.push(':');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                request.push(',');
            }
            push_trimall(value, &mut request);
        }
        request.push('\n');
    }
    request.push('\n');
    let mut signed_headers = String::with_capacity(by_name.keys().map(|n| n.len() + 1).sum());
    for (i, name) in by_name.keys().enumerate() {
        if i > 0 {
            signed_headers.push(';');
        }
        signed_headers.push_str(name);
    }
    request.push_str(&signed_headers);
    request.push('\n');
    request.push_str(payload_hash);
    Ok(Canonical { request, signed_headers })
}

/// The signing key of the last scope a [`crate::Credentials`] signed for: it
/// changes once a day (and per region and service), and deriving it takes four
/// HMACs, more hashing than the rest of a small request.
#[derive(Default)]
pub struct SigningKeyCache(Mutex<Option<(String, Tag)>>);

impl SigningKeyCache {
    fn key(&self, secret: &[u8], date: &str, options: &Options) -> Tag {
        let scope = [date, &options.region, &options.service].join("/");
        // A poisoned lock only means another thread panicked mid-copy: derive afresh.
        let mut cached = self.0.lock().ok();
        if let Some(Some((kept, key))) = cached.as_deref()
            && *kept == scope
        {
            return *key;
        }
        let key = signing_key(secret, date, options);
        if let Some(slot) = cached.as_deref_mut() {
            *slot = Some((scope, key));
        }
        key
    }
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeyCache(<redacted>)")
    }
}

fn signing_key(secret: &[u8], date: &str, options: &Options) -> Tag {
    let mut key = b"AWS4".to_vec();
    key.extend_from_slice(secret);
    let k_date = Algorithm::Sha256.hmac(&key, &[date.as_bytes()]);
    let k_region = Algorithm::Sha256.hmac(&k_date, &[options.region.as_bytes()]);
    let k_service = Algorithm::Sha256.hmac(&k_region, &[options.service.as_bytes()]);
    Algorithm::Sha256.hmac(&k_service, &[b"aws4_request"])
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = to_hex(&sha256(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{hash}")
}

/// The header lines as (name, value) pairs, values with folds kept for `push_trimall`.
fn header_pairs<'a>(request: &RequestView<'a>) -> Vec<(&'a str, &'a str)> {
    request.headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect()
}

fn payload_hash(request: &RequestView<'_>) -> Result<String> {
    match request.header_values("X-Amz-Content-Sha256").next() {
        Some(v) => Ok(v.trim().to_owned()),
        None => body_hash(request),
    }
}

/// Hex SHA-256 of the body (a body digest must be SHA-256).
fn body_hash(request: &RequestView<'_>) -> Result<String> {
    Ok(to_hex(&request.body.sha256("the aws-sigv4 payload hash")?))
}

/// The request's method and fields, where header values may carry obsolete
/// line folding (the suites' multi-line headers), and a target without line
/// breaks, NUL or fragment.
fn validate(request: &RequestView<'_>) -> Result<()> {
    request.validate_with(Folding::Allowed)?;
    if request.target.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0 | b'#')) {
        return Err(HmacSigError::invalid_request(format!("the request target {:?} has a line break, NUL or fragment", request.target)));
    }
    Ok(())
}

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
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| String::from_utf8_lossy(&percent_decode(v)).into_owned());
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
    let params = encoded_params(query, false);
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

pub fn verify(request: &RequestView<'_>, options: &Options, policy: &Policy, key_id: &str, secret: &[u8], now: i64) -> Result<Verified> {
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
    let mut params = encoded_params(query, true);
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
    Ok(Verified { key_id: claim.key_id, signature: claim.signature, expires_at: Some(latest) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    const NOW: i64 = 1_440_938_160; // 2015-08-30T12:36:00Z
    const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn options(signature_type: SignatureType) -> Options {
        Options {
            region: "us-east-1".into(),
            service: "service".into(),
            session_token: None,
            omit_session_token: false,
            normalize: true,
            double_uri_encode: true,
            sign_body: false,
            signature_type,
            expires: 3600,
        }
    }

    fn get() -> Request {
        Request { method: "GET".into(), target: "/".into(), headers: vec![Header::new("Host", "example.amazonaws.com")], body: vec![] }
    }

    fn signed_header_request(o: &Options) -> Request {
        let mut r = get();
        r.headers.extend(sign(&r.view(), o, "AKIDEXAMPLE", SECRET, NOW).unwrap().headers);
        r
    }

    fn kind(r: &Request, o: &Options, policy: &Policy, now: i64) -> &'static str {
        verify(&r.view(), o, policy, "AKIDEXAMPLE", SECRET, now).map_or_else(|e| e.kind(), |_| "ok")
    }

    #[test]
    fn the_cached_signing_key_is_the_derived_one_for_each_scope() {
        let options = |region: &str| Options { region: region.into(), ..options(SignatureType::Header) };
        let keys = SigningKeyCache::default();
        for (date, region) in [("20150830", "us-east-1"), ("20150830", "us-east-1"), ("20150831", "us-east-1"), ("20150831", "eu-west-1")] {
            let o = options(region);
            assert_eq!(keys.key(b"secret", date, &o), signing_key(b"secret", date, &o), "{date} {region}");
        }
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(amz_date(NOW).unwrap(), ("20150830T123600Z".into(), "20150830".into()));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(NOW));
        assert_eq!(parse_amz_date("20150230T123600Z"), None, "no 30 February");
        assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
        assert!(amz_date(-1).is_err());
    }

    #[test]
    fn path_and_query_canonicalization() {
        assert_eq!(normalize_path("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(normalize_path("//"), "/");
        assert_eq!(normalize_path("/example/.."), "/");
        let params = encoded_params(Some("b=2&a=%2b+x&a=1&k&=v"), false);
        assert_eq!(canonical_query(&mut params.clone()), "=v&a=%2B%2Bx&a=1&b=2&k=");
        let mut trimmed = String::new();
        push_trimall("  a \n   b\t c ", &mut trimmed);
        assert_eq!(trimmed, "a b c");
    }

    #[test]
    fn header_verification_window_is_max_skew_either_way() {
        let o = options(SignatureType::Header);
        let r = signed_header_request(&o);
        let p = Policy::default();
        assert_eq!(kind(&r, &o, &p, NOW + 900), "ok");
        assert_eq!(kind(&r, &o, &p, NOW + 901), "stale");
        assert_eq!(kind(&r, &o, &p, NOW - 900), "ok");
        assert_eq!(kind(&r, &o, &p, NOW - 901), "future");
    }

    #[test]
    fn presigned_url_is_good_until_it_expires() {
        let o = Options { expires: 60, ..options(SignatureType::Query) };
        let url = sign(&get().view(), &o, "AKIDEXAMPLE", SECRET, NOW).unwrap().url.unwrap();
        let r = Request { target: url, ..get() };
        let p = Policy::default();
        assert_eq!(kind(&r, &o, &p, NOW + 60), "ok");
        assert_eq!(kind(&r, &o, &p, NOW + 61), "stale");
        assert_eq!(kind(&r, &o, &p, NOW - 901), "future");
        let mut tampered = r.clone();
        tampered.target = tampered.target.replace("X-Amz-Expires=60", "X-Amz-Expires=600");
        assert_eq!(kind(&tampered, &o, &p, NOW), "bad_signature");
    }

    #[test]
    fn typed_errors_for_bad_authorization() {
        let o = options(SignatureType::Header);
        let p = Policy::default();
        let good = signed_header_request(&o);
        let with = |f: &dyn Fn(&mut Request)| {
            let mut r = good.clone();
            f(&mut r);
            kind(&r, &o, &p, NOW)
        };
        let set_auth = |value: &'static str| move |r: &mut Request| r.headers.last_mut().unwrap().value = value.into();
        assert_eq!(with(&|r| r.headers.retain(|h| h.name != "Authorization")), "missing_authorization");
        assert_eq!(with(&set_auth("AWS4-HMAC-SHA1 Credential=x")), "malformed_authorization");
        assert_eq!(
            with(&set_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request")),
            "malformed_authorization"
        );
        assert_eq!(
            with(&set_auth(
                "AWS4-HMAC-SHA256 Credential=OTHER/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
            )),
            "unknown_key"
        );
        assert_eq!(
            with(&set_auth(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=00"
            )),
            "missing_signed_header"
        );
        assert_eq!(with(&|r| r.headers.retain(|h| h.name != "X-Amz-Date")), "missing_signed_header");
        assert_eq!(with(&|r| r.headers.iter_mut().find(|h| h.name == "X-Amz-Date").unwrap().value = "yesterday".into()), "invalid_request");
        assert_eq!(with(&|r| r.headers[0].value = "evil.example".into()), "bad_signature");
    }

    #[test]
    fn body_hash_is_checked_after_the_signature() {
        let o = Options { sign_body: true, ..options(SignatureType::Header) };
        let mut r = Request { method: "PUT".into(), body: b"data".to_vec(), ..get() };
        r.headers.extend(sign(&r.view(), &o, "AKIDEXAMPLE", SECRET, NOW).unwrap().headers);
        assert_eq!(kind(&r, &o, &Policy::default(), NOW), "ok");
        r.body = b"Data".to_vec();
        assert_eq!(kind(&r, &o, &Policy::default(), NOW), "body_mismatch");
    }

    #[test]
    fn options_are_validated() {
        for region in ["", "us/east", "usé", "a b", "a\tb"] {
            assert_eq!(
                Options { region: region.into(), ..options(SignatureType::Header) }.validate().unwrap_err().kind(),
                "unsupported",
                "{region}"
            );
        }
        assert_eq!(Options { expires: 0, ..options(SignatureType::Query) }.validate().unwrap_err().kind(), "unsupported");
    }
}
