//! kong-hmac: the wire format of Kong Gateway's `hmac-auth` plugin
//! (`kong/plugins/hmac-auth/access.lua`, Kong 3.10).
//!
//! ```text
//! Authorization: hmac username="<key id>", algorithm="hmac-sha256", headers="date @request-target", signature="<base64>"
//! string to sign = one line per name of `headers`, joined by "\n":
//!   @request-target   "@request-target: " + lower(method) + " " + path-and-query
//!   request-line      method + " " + path-and-query + " HTTP/" + http_version
//!   <name>            "<name>: " + the first value of that header ("<name>:" when absent)
//! signature      = base64 (padded) HMAC-SHA1/256/384/512
//! ```
//!
//! Path and query are the target's bytes as sent (an absolute-form target's
//! from the first `/` after the authority); nothing is normalized.
//!
//! Contract: a request this module signs is one Kong accepts, and the
//! verifier accepts what Kong accepts (`header::kong_match` picks the header
//! Kong's expression picks, `nginx_date` reads dates as nginx does), except
//! where `docs/schemes/kong-hmac.md` says it is stricter: the parameters'
//! text (`header::Fields::parse`), canonical padded base64, a freshness that
//! must come from a signed `Date` or `X-Date`, and, with
//! `validate_request_body`, a `Digest` that must be signed.

mod header;
mod nginx_date;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use base64::Engine as _;
use base64::alphabet::STANDARD as ALPHABET;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{HmacSigError, Result};
use crate::mac::Algorithm;
use crate::request::{Header, RequestView, is_token};
use crate::signed::{SignedRequest, Verified};
use crate::target::Target;

/// The algorithms' names on the wire, and their hashes.
pub const ALGORITHMS: [(&str, Algorithm); 4] = [
    ("hmac-sha1", Algorithm::Sha1),
    ("hmac-sha256", Algorithm::Sha256),
    ("hmac-sha384", Algorithm::Sha384),
    ("hmac-sha512", Algorithm::Sha512),
];
/// The names signed when the scheme names none.
pub const DEFAULT_HEADERS: [&str; 2] = ["date", "@request-target"];
/// The default [`Policy::clock_skew`], in seconds (Kong's default).
pub const DEFAULT_CLOCK_SKEW: u32 = 300;

/// The body digest header (`digest` option, `validate_request_body`).
pub const DIGEST_HEADER: &str = "Digest";

const REQUEST_TARGET: &str = "@request-target";
const REQUEST_LINE: &str = "request-line";

/// Padded base64 whose last character may carry stray bits: Kong's
/// `ngx.decode_base64` ignores them, so a signature with them is Kong's.
const SIGNATURE_BASE64: GeneralPurpose = GeneralPurpose::new(
    &ALPHABET,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true).with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

fn algorithm_named(name: &str) -> Option<Algorithm> {
    ALGORITHMS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    ALGORITHMS.iter().find(|(_, a)| *a == algorithm).map_or("hmac-sha256", |(n, _)| n)
}

/// An algorithm by its wire name (`hmac-sha256`), or `Unsupported`.
pub fn parse_algorithm(name: &str) -> Result<Algorithm> {
    algorithm_named(name).ok_or_else(|| {
        HmacSigError::unsupported(format!(
            "kong-hmac algorithm {name:?} is not offered; use hmac-sha1, hmac-sha256, hmac-sha384 or hmac-sha512"
        ))
    })
}

/// Which header carries the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderName {
    Authorization,
    ProxyAuthorization,
}

impl HeaderName {
    fn as_str(self) -> &'static str {
        match self {
            Self::Authorization => "Authorization",
            Self::ProxyAuthorization => "Proxy-Authorization",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub algorithm: Algorithm,
    pub headers: Vec<String>,
    pub header_name: HeaderName,
    /// `1.0`, `1.1` or `2.0`: the version `request-line` writes.
    pub http_version: &'static str,
    /// Add `Digest: SHA-256=<base64>` of the body.
    pub digest: bool,
}

impl Options {
    pub fn new(algorithm: &str, headers: Option<Vec<String>>, header_name: &str, http_version: &str, digest: bool) -> Result<Self> {
        let algorithm = parse_algorithm(algorithm)?;
        let header_name = match header_name.to_ascii_lowercase().as_str() {
            "authorization" => HeaderName::Authorization,
            "proxy-authorization" => HeaderName::ProxyAuthorization,
            _ => {
                return Err(HmacSigError::unsupported(format!(
                    "kong-hmac header_name {header_name:?} is not offered; use authorization or proxy-authorization"
                )));
            }
        };
        let http_version = parse_http_version(http_version)?;
        let headers = headers.unwrap_or_else(|| DEFAULT_HEADERS.map(str::to_owned).to_vec());
        if headers.is_empty() {
            return Err(HmacSigError::unsupported("kong-hmac needs at least one name in headers"));
        }
        for name in &headers {
            // Names travel space-separated inside quotes: tokens, or the two pseudo-names.
            if !(is_token(name) || name == REQUEST_TARGET) {
                return Err(HmacSigError::unsupported(format!(
                    "kong-hmac cannot sign the name {name:?}: use header names, @request-target or request-line"
                )));
            }
        }
        Ok(Self { algorithm, headers, header_name, http_version, digest })
    }
}

/// nginx's reading of an HTTP-date (for the fuzz targets).
#[cfg(feature = "fuzzing")]
pub fn parse_nginx_date(text: &str) -> Option<i64> {
    nginx_date::parse(text)
}

/// `1.0`, `1.1` or `2.0`, or `Unsupported`.
pub fn parse_http_version(version: &str) -> Result<&'static str> {
    ["1.0", "1.1", "2.0"]
        .into_iter()
        .find(|v| *v == version)
        .ok_or_else(|| HmacSigError::unsupported(format!("kong-hmac http_version {version:?} is not offered; use 1.0, 1.1 or 2.0")))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Most seconds between the signed date and now, either way.
    pub clock_skew: u32,
    /// Names the header's list must contain, as spelled.
    pub enforce_headers: Vec<String>,
    /// The algorithms accepted.
    pub algorithms: Vec<Algorithm>,
    /// Check `Digest` against the body (and refuse a body without one).
    pub validate_request_body: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            clock_skew: DEFAULT_CLOCK_SKEW,
            enforce_headers: vec![],
            algorithms: ALGORITHMS.iter().map(|(_, a)| *a).collect(),
            validate_request_body: false,
        }
    }
}

/// Path and query as sent: the origin-form target, or an absolute-form
/// target's from the first `/` after the authority.
fn path_and_query<'a>(request: &RequestView<'a>) -> Result<&'a str> {
    let target = Target::parse(request.target)?;
    Ok(match target.authority {
        None => request.target,
        Some(authority) => {
            let after = request.target.find("://").map_or(0, |i| i + 3) + authority.len();
            match &request.target[after..] {
                // No path: nginx's request URI is `/` (and then the query).
                rest if !rest.starts_with('/') => return Ok(if rest.is_empty() { "/" } else { rest }),
                rest => rest,
            }
        }
    })
}

/// Whether two header names are the same to Kong: ASCII case aside, and
/// `_` the same as `-` (Kong reads `$http_<name>` with underscores allowed).
fn same_name(a: &str, b: &str) -> bool {
    let fold = |c: u8| if c == b'_' { b'-' } else { c.to_ascii_lowercase() };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| fold(x) == fold(y))
}

/// The value Kong reads for header `name` among `added` (what the signer
/// sets, which replaces the request's) then the request's own: the first
/// field line's, without the spaces nginx strips around it; all `Cookie`
/// lines joined with `; `, as nginx joins them.
fn header_value<'a>(headers: &'a [Header], added: &'a [Header], name: &str) -> Option<Cow<'a, str>> {
    let mut lines = added.iter().chain(headers).filter(|h| same_name(&h.name, name)).map(|h| h.value.trim_matches(' '));
    let first = lines.next()?;
    if !name.eq_ignore_ascii_case("cookie") {
        return Some(Cow::Borrowed(first));
    }
    Some(lines.fold(Cow::Borrowed(first), |joined, next| Cow::Owned(format!("{joined}; {next}"))))
}

/// [`header_value`] of a header that is never joined, on the request alone.
fn first_line<'a>(request: &RequestView<'a>, name: &str) -> Option<&'a str> {
    request.headers.iter().find(|h| same_name(&h.name, name)).map(|h| h.value.trim_matches(' '))
}

fn string_to_sign(request: &RequestView<'_>, added: &[Header], names: &[&str], http_version: &str) -> Result<String> {
    let path = path_and_query(request)?;
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // Kong looks the name up as a header first, as this does.
        match header_value(request.headers, added, name) {
            Some(value) => {
                out.push_str(name);
                out.push_str(": ");
                out.push_str(&value);
            }
            None if *name == REQUEST_TARGET => {
                out.push_str("@request-target: ");
                out.push_str(&request.method.to_ascii_lowercase());
                out.push(' ');
                out.push_str(path);
            }
            None if *name == REQUEST_LINE => {
                out.push_str(request.method);
                out.push(' ');
                out.push_str(path);
                out.push_str(" HTTP/");
                out.push_str(http_version);
            }
            None => {
                out.push_str(name);
                out.push(':');
            }
        }
    }
    Ok(out)
}

fn digest_value(request: &RequestView<'_>) -> Result<String> {
    Ok(format!("SHA-256={}", BASE64.encode(request.body.sha256("kong-hmac's Digest")?)))
}

pub fn sign(request: &RequestView<'_>, options: &Options, key_id: &str, secret: &[u8], now: i64) -> Result<SignedRequest> {
    request.validate()?;
    if key_id.is_empty() || key_id.contains('"') {
        return Err(HmacSigError::invalid_request(format!("a kong-hmac username must be non-empty with no '\"': {key_id:?}")));
    }
    let has = |name: &str| request.headers.iter().any(|h| h.name.eq_ignore_ascii_case(name));
    let names_it = |name: &str| options.headers.iter().any(|n| n.eq_ignore_ascii_case(name));
    let mut added = Vec::new();
    let mut date = String::new();
    for name in ["Date", "X-Date"] {
        let wanted = names_it(name) || (name == "Date" && !names_it("x-date") && !has("x-date"));
        if wanted && !has(name) {
            if date.is_empty() {
                crate::time::push_http_date(now, &mut date)?;
            }
            added.push(Header::new(name, date.clone()));
        }
    }
    if options.digest {
        added.push(Header::new(DIGEST_HEADER, digest_value(request)?));
    }
    let names: Vec<&str> = options.headers.iter().map(String::as_str).collect();
    let data = string_to_sign(request, &added, &names, options.http_version)?;
    let signature = BASE64.encode(options.algorithm.hmac(secret, &[data.as_bytes()]));
    let value = header::format(key_id, algorithm_name(options.algorithm), &options.headers, &signature);
    added.push(Header::new(options.header_name.as_str(), value));
    Ok(SignedRequest { headers: added, string_to_sign: data.into_bytes(), url: None })
}

/// The signature header Kong reads: `Proxy-Authorization` when its
/// expression matches there, else `Authorization`, with its name.
fn signature_header<'a>(request: &RequestView<'a>) -> Result<(&'static str, &'a str, Option<header::Captures<'a>>)> {
    let proxy = first_line(request, "Proxy-Authorization");
    let authorization = first_line(request, "Authorization");
    if let Some(value) = proxy
        && let Some(captures) = header::kong_match(value)
    {
        return Ok(("Proxy-Authorization", value, Some(captures)));
    }
    match (authorization, proxy) {
        (Some(value), _) => Ok(("Authorization", value, header::kong_match(value))),
        (None, Some(value)) => Ok(("Proxy-Authorization", value, None)),
        (None, None) => Err(HmacSigError::missing_authorization("the request has neither Authorization nor Proxy-Authorization")),
    }
}

/// What Kong's expression captures in the signature header Kong reads,
/// with the header's name.
fn captures<'a>(request: &RequestView<'a>) -> Result<(&'static str, header::Captures<'a>)> {
    let (name, _, captures) = signature_header(request)?;
    let captures = captures.ok_or_else(|| {
        HmacSigError::malformed_authorization(format!("{name} is not hmac username=\"…\", algorithm=\"…\", headers=\"…\", signature=\"…\""))
    })?;
    Ok((name, captures))
}

pub fn key_id(request: &RequestView<'_>) -> Result<String> {
    request.validate()?;
    captures(request).map(|(_, c)| c.username.to_owned())
}

/// Kong's `ngx.decode_base64`: up to the first `=`, padding optional,
/// `None` for a character outside the alphabet or a lone last one.
fn ngx_decode_base64(text: &str) -> Option<Vec<u8>> {
    let data = text.split('=').next().unwrap_or("");
    if data.len() % 4 == 1 {
        return None;
    }
    base64::engine::general_purpose::STANDARD_NO_PAD.decode(data).ok().or_else(|| {
        // Stray bits in the last character, which nginx ignores.
        GeneralPurpose::new(
            &ALPHABET,
            GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true).with_decode_padding_mode(DecodePaddingMode::RequireNone),
        )
        .decode(data)
        .ok()
    })
}

/// A date header's verdict against the clock: `Ok(date)` when fresh.
fn date_check(request: &RequestView<'_>, name: &'static str, policy: &Policy, now: i64) -> Result<i64> {
    let text = first_line(request, name).ok_or_else(|| HmacSigError::missing_signed_header(format!("the request has no {name} header")))?;
    let date = nginx_date::parse(text).ok_or_else(|| HmacSigError::invalid_request(format!("{name} {text:?} is not an HTTP-date")))?;
    let skew = i64::from(policy.clock_skew);
    if now.saturating_sub(date) > skew {
        return Err(HmacSigError::stale(format!("{name} is {} s old; the policy allows {skew} s", now.saturating_sub(date))));
    }
    if date.saturating_sub(now) > skew {
        return Err(HmacSigError::future(format!("{name} is {} s ahead; the policy allows {skew} s", date.saturating_sub(now))));
    }
    Ok(date)
}

/// Each date header's verdict against the clock, `X-Date` first (Kong's order), read once
/// for both of [`fresh_date`]'s uses.
fn date_verdicts(request: &RequestView<'_>, policy: &Policy, now: i64) -> [(&'static str, Result<i64>); 2] {
    ["X-Date", "Date"].map(|name| (name, date_check(request, name, policy, now)))
}

/// Kong's clock check: `X-Date` or else `Date` fresh. With `signed`, only
/// the dates whose names the header lists count (hmacsig's stricter rule).
fn fresh_date(verdicts: &[(&'static str, Result<i64>); 2], signed: Option<&[&str]>) -> Result<i64> {
    let listed = |name: &str| signed.is_none_or(|names| names.iter().any(|n| n.eq_ignore_ascii_case(name)));
    let mut refusal: Option<&HmacSigError> = None;
    for (_, verdict) in verdicts.iter().filter(|(name, _)| listed(name)) {
        match verdict {
            Ok(date) => return Ok(*date),
            // A missing header is the least telling refusal: a present one's wins.
            Err(e) if refusal.is_none_or(|r| matches!(r, HmacSigError::MissingSignedHeader { .. })) => refusal = Some(e),
            Err(_) => {}
        }
    }
    Err(refusal.cloned().unwrap_or_else(|| HmacSigError::missing_signed_header("the signature covers neither Date nor X-Date")))
}

pub fn verify(
    request: &RequestView<'_>,
    options: &Options,
    policy: &Policy,
    key_id: &str,
    secret: &[u8],
    now: i64,
) -> Result<Verified<'static>> {
    request.validate()?;
    // Kong's checks in Kong's order: a signature header, the date, the
    // header's fields, enforce_headers, the algorithm, the key id, the
    // signature, the body. hmacsig's stricter checks come after them, so a
    // request Kong refuses is refused for Kong's reason.
    signature_header(request)?;
    let dates = date_verdicts(request, policy, now);
    fresh_date(&dates, None)?;
    let (field, captures) = captures(request)?;
    let names = captures.names();
    if let Some(missing) = policy.enforce_headers.iter().find(|e| !names.contains(&e.as_str())) {
        return Err(HmacSigError::missing_signed_header(format!("the policy requires {missing:?} in the signed headers")));
    }
    let algorithm = algorithm_named(captures.algorithm)
        .filter(|a| policy.algorithms.contains(a))
        .ok_or_else(|| HmacSigError::digest_not_allowed(format!("the policy does not accept the algorithm {:?}", captures.algorithm)))?;
    if captures.username != key_id {
        return Err(HmacSigError::unknown_key(captures.username));
    }
    let data = string_to_sign(request, &[], &names, options.http_version)?;
    let valid = ngx_decode_base64(captures.signature).is_some_and(|tag| algorithm.verify(secret, &[data.as_bytes()], &tag));
    if !valid {
        return Err(HmacSigError::bad_signature(data.as_bytes()));
    }
    if policy.validate_request_body {
        check_body(request)?;
    }
    // Stricter than Kong.
    captures.check_strict(field)?;
    if SIGNATURE_BASE64.decode(captures.signature).is_err() {
        return Err(HmacSigError::malformed_authorization(format!("{field}: the signature is not padded base64")));
    }
    let date = fresh_date(&dates, Some(&names))?;
    if policy.validate_request_body
        && first_line(request, DIGEST_HEADER).is_some()
        && !names.iter().any(|n| n.eq_ignore_ascii_case(DIGEST_HEADER))
    {
        return Err(HmacSigError::missing_signed_header("the Digest header is not signed"));
    }
    Ok(Verified {
        key_id: Cow::Owned(captures.username.to_owned()),
        replay_key: Some(Cow::Owned(captures.signature.to_owned())),
        expires_at: Some(date.saturating_add(i64::from(policy.clock_skew))),
    })
}

/// `validate_request_body` as Kong: a `Digest` must match the body; without
/// one, the body must be empty.
fn check_body(request: &RequestView<'_>) -> Result<()> {
    let Some(sent) = first_line(request, DIGEST_HEADER) else {
        return if request.body.is_empty() {
            Ok(())
        } else {
            Err(HmacSigError::body_mismatch("the request has a body and no Digest header"))
        };
    };
    if !crate::mac::constant_time_eq(sent.as_bytes(), digest_value(request)?.as_bytes()) {
        return Err(HmacSigError::body_mismatch("the Digest header does not match the body"));
    }
    Ok(())
}
