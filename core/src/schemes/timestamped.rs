//! timestamped: the C#/Node scheme of `shared/seeds/001_*.txt`.
//!
//! ```text
//! string to sign = UPPER(METHOD) URL TIMESTAMP BODY
//! signature      = base64 (padded) HMAC-SHA256
//! ```
//!
//! `URL` is the full URL as the client invoked it, `scheme://host[:port]/path?query`
//! (the port only when the URL names one); `TIMESTAMP` is Unix seconds in
//! decimal. With `lowercase_url`, scheme, host and path are lower-cased (the
//! query is not).
//!
//! Headers: style `x-request` sets `X-Request-Timestamp`, `X-Request-Signature`
//! and, for a non-empty key id, `X-Request-Key-Id`; style `authorization` sets
//! `X-Request-Timestamp` and `Authorization: HMAC-SHA256 <key_id>:<signature>`.
//!
//! A server sees an origin-form target and rebuilds the URL: `public_base_url`
//! plus the target when set (a base path the proxy strips included), else the
//! forwarded headers when trusted, else `https://` plus `Host`. Requests from
//! the future are refused (`max_future`, 5 s by default), and so are requests
//! older than `max_age` (300 s).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::{HmacSigError, Result};
use crate::mac::Algorithm;
use crate::request::{Header, RequestView};
use crate::signed::{SignedRequest, Verified};
use crate::target::Target;

pub const TIMESTAMP_HEADER: &str = "X-Request-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Request-Signature";
pub const KEY_ID_HEADER: &str = "X-Request-Key-Id";
const AUTHORIZATION_PREFIX: &str = "HMAC-SHA256 ";

/// Where the signature travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum HeaderStyle {
    /// `X-Request-Timestamp`, `X-Request-Signature`, `X-Request-Key-Id`.
    XRequest,
    /// `X-Request-Timestamp` and `Authorization: HMAC-SHA256 <key_id>:<signature>`.
    Authorization,
}

impl HeaderStyle {
    /// `x-request` or `authorization`, as the conformance cases spell them.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "x-request" => Ok(Self::XRequest),
            "authorization" => Ok(Self::Authorization),
            other => {
                Err(HmacSigError::unsupported(format!("timestamped header_style {other:?} is not offered; use x-request or authorization")))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub header_style: HeaderStyle,
    pub lowercase_url: bool,
}

/// The default [`Policy::max_age`], in seconds.
pub const DEFAULT_MAX_AGE: u32 = 300;
/// The default [`Policy::max_future`], in seconds.
pub const DEFAULT_MAX_FUTURE: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Oldest accepted timestamp: `now - max_age`.
    pub max_age: u32,
    /// Latest accepted timestamp: `now + max_future`.
    pub max_future: u32,
    /// The URL clients see, e.g. `https://api.example.com/v1`, used instead of
    /// the request's own scheme, host and base path behind a reverse proxy.
    pub public_base_url: Option<String>,
    /// Take scheme and host from `X-Forwarded-Proto`/`-Scheme` and `X-Forwarded-Host`.
    pub trust_forwarded: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self { max_age: DEFAULT_MAX_AGE, max_future: DEFAULT_MAX_FUTURE, public_base_url: None, trust_forwarded: false }
    }
}

impl Policy {
    pub fn validate(&self) -> Result<()> {
        if let Some(base) = &self.public_base_url {
            let t =
                Target::parse(base).map_err(|_| HmacSigError::unsupported(format!("public_base_url {base:?} is not an absolute URL")))?;
            if t.scheme.is_none() || t.query.is_some() {
                return Err(HmacSigError::unsupported(format!("public_base_url {base:?} must be scheme://host[/base-path] with no query")));
            }
        }
        Ok(())
    }
}

/// Lower-cases scheme, host and path of `url`, keeping the query.
fn lowercase_url(url: &str) -> String {
    match url.split_once('?') {
        Some((before, query)) => format!("{}?{query}", before.to_lowercase()),
        None => url.to_lowercase(),
    }
}

/// The first value of a header that proxies may chain (`a, b`).
fn first_forwarded(request: &RequestView<'_>, name: &str) -> Option<String> {
    let value = request.header_values(name).next()?;
    let first = value.split(',').next().unwrap_or("").trim();
    (!first.is_empty()).then(|| first.to_owned())
}

fn host_header(request: &RequestView<'_>) -> Result<String> {
    request
        .header_values("Host")
        .next()
        .map(str::to_owned)
        .ok_or_else(|| HmacSigError::invalid_request("an origin-form target needs a Host header to rebuild the URL"))
}

/// `path?query` of a target (an absolute-form target's own path and query).
fn origin_part(target: &Target<'_>) -> String {
    match target.query {
        Some(q) => format!("{}?{q}", target.path),
        None => target.path.to_owned(),
    }
}

/// The URL as the client invoked it: an absolute-form target verbatim, else
/// `https://` plus `Host` plus the target.
fn client_url(request: &RequestView<'_>) -> Result<String> {
    let target = Target::parse(request.target)?;
    Ok(match target.scheme {
        Some(_) => request.target.to_owned(),
        None => format!("https://{}{}", host_header(request)?, request.target),
    })
}

/// The URL the server reconstructs, per the policy.
fn server_url(request: &RequestView<'_>, policy: &Policy) -> Result<String> {
    let target = Target::parse(request.target)?;
    if let Some(base) = &policy.public_base_url {
        return Ok(format!("{}{}", base.trim_end_matches('/'), origin_part(&target)));
    }
    let forwarded = |names: &[&str]| if policy.trust_forwarded { names.iter().find_map(|n| first_forwarded(request, n)) } else { None };
    let scheme = match forwarded(&["X-Forwarded-Proto", "X-Forwarded-Scheme"]) {
        Some(s) => s,
        None => target.scheme.unwrap_or("https").to_owned(),
    };
    let host = match forwarded(&["X-Forwarded-Host"]) {
        Some(h) => h,
        None => match target.authority {
            Some(a) => a.to_owned(),
            None => host_header(request)?,
        },
    };
    Ok(format!("{scheme}://{host}{}", origin_part(&target)))
}

fn string_to_sign(method: &str, url: &str, options: &Options, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let url = if options.lowercase_url { lowercase_url(url) } else { url.to_owned() };
    let method = method.to_uppercase();
    let mut data = Vec::with_capacity(method.len() + url.len() + timestamp.len() + body.len());
    data.extend_from_slice(method.as_bytes());
    data.extend_from_slice(url.as_bytes());
    data.extend_from_slice(timestamp.as_bytes());
    data.extend_from_slice(body);
    data
}

pub fn sign(request: &RequestView<'_>, options: &Options, key_id: &str, secret: &[u8], now: i64) -> Result<SignedRequest> {
    request.validate()?;
    let timestamp = now.to_string();
    let data = string_to_sign(request.method, &client_url(request)?, options, &timestamp, request.body.bytes("timestamped")?);
    let signature = BASE64.encode(Algorithm::Sha256.hmac(secret, &[&data]));
    let mut headers = vec![Header::new(TIMESTAMP_HEADER, timestamp)];
    match options.header_style {
        HeaderStyle::XRequest => {
            headers.push(Header::new(SIGNATURE_HEADER, signature));
            if !key_id.is_empty() {
                headers.push(Header::new(KEY_ID_HEADER, key_id));
            }
        }
        HeaderStyle::Authorization => {
            if key_id.contains(':') {
                return Err(HmacSigError::invalid_request(format!("key ids in an Authorization header cannot contain ':': {key_id:?}")));
            }
            headers.push(Header::new("Authorization", format!("{AUTHORIZATION_PREFIX}{key_id}:{signature}")));
        }
    }
    Ok(SignedRequest { headers, string_to_sign: data, url: None })
}

fn single<'a>(request: &RequestView<'a>, name: &'static str) -> Result<Option<&'a str>> {
    let mut values = request.header_values(name);
    let first = values.next();
    if values.next().is_some() {
        return Err(HmacSigError::malformed_authorization(format!("the request has more than one {name} header")));
    }
    Ok(first)
}

/// `(key_id, signature)` as the header style carries them.
fn credentials_in<'a>(request: &RequestView<'a>, options: &Options) -> Result<(&'a str, &'a str)> {
    match options.header_style {
        HeaderStyle::XRequest => {
            let signature = single(request, SIGNATURE_HEADER)?
                .ok_or_else(|| HmacSigError::missing_authorization(format!("the request has no {SIGNATURE_HEADER} header")))?;
            Ok((single(request, KEY_ID_HEADER)?.unwrap_or(""), signature))
        }
        HeaderStyle::Authorization => {
            let value = single(request, "Authorization")?
                .ok_or_else(|| HmacSigError::missing_authorization("the request has no Authorization header"))?;
            value
                .strip_prefix(AUTHORIZATION_PREFIX)
                .and_then(|rest| rest.split_once(':'))
                .filter(|(_, signature)| !signature.is_empty())
                .ok_or_else(|| {
                    HmacSigError::malformed_authorization(format!("Authorization {value:?} is not HMAC-SHA256 <key_id>:<signature>"))
                })
        }
    }
}

pub fn key_id(request: &RequestView<'_>, options: &Options) -> Result<String> {
    credentials_in(request, options).map(|(key_id, _)| key_id.to_owned())
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
    let (claimed, signature) = credentials_in(request, options)?;
    let timestamp = single(request, TIMESTAMP_HEADER)?
        .ok_or_else(|| HmacSigError::missing_signed_header(format!("the request has no {TIMESTAMP_HEADER} header")))?;
    let sent: i64 = (!timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit()))
        .then(|| timestamp.parse().ok())
        .flatten()
        .ok_or_else(|| HmacSigError::invalid_request(format!("{TIMESTAMP_HEADER} {timestamp:?} is not Unix seconds")))?;
    if claimed != key_id {
        return Err(HmacSigError::unknown_key(claimed));
    }
    let data = string_to_sign(request.method, &server_url(request, policy)?, options, timestamp, request.body.bytes("timestamped")?);
    let valid = BASE64.decode(signature).is_ok_and(|tag| Algorithm::Sha256.verify(secret, &[&data], &tag));
    if !valid {
        return Err(HmacSigError::bad_signature(&data));
    }
    if now.saturating_sub(sent) > i64::from(policy.max_age) {
        return Err(HmacSigError::stale(format!(
            "the request's timestamp is {} s old; the policy allows {} s",
            now.saturating_sub(sent),
            policy.max_age
        )));
    }
    if sent.saturating_sub(now) > i64::from(policy.max_future) {
        return Err(HmacSigError::future(format!(
            "the request's timestamp is {} s in the future; the policy allows {} s",
            sent.saturating_sub(now),
            policy.max_future
        )));
    }
    Ok(Verified {
        key_id: Cow::Owned(claimed.to_owned()),
        replay_key: Some(Cow::Owned(signature.to_owned())),
        expires_at: Some(sent.saturating_add(i64::from(policy.max_age))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    const NOW: i64 = 1_700_000_000;

    fn options(style: HeaderStyle) -> Options {
        Options { header_style: style, lowercase_url: false }
    }

    fn client_request() -> Request {
        Request {
            method: "post".into(),
            target: "https://api.example.com/v1/orders?id=7".into(),
            headers: vec![],
            body: b"{\"id\":7}".to_vec(),
        }
    }

    /// What a server behind a proxy sees of `client_request` after signing.
    fn server_request(signed: &SignedRequest) -> Request {
        let mut headers = vec![Header::new("Host", "orders.internal:8080")];
        headers.extend(signed.headers.clone());
        Request { method: "POST".into(), target: "/orders?id=7".into(), headers, body: b"{\"id\":7}".to_vec() }
    }

    #[test]
    fn signs_like_the_node_code() {
        let s = sign(&client_request().view(), &options(HeaderStyle::XRequest), "client-1", b"secret", NOW).unwrap();
        assert_eq!(String::from_utf8(s.string_to_sign.clone()).unwrap(), "POSThttps://api.example.com/v1/orders?id=71700000000{\"id\":7}");
        // base64 HMAC-SHA256, computed with Python's hmac module.
        assert_eq!(
            s.headers,
            vec![
                Header::new(TIMESTAMP_HEADER, "1700000000"),
                Header::new(SIGNATURE_HEADER, "J8kpYQwb8fQOkLneWVyjSV8EbbwvPKcaHyQdKkGBkVo="),
                Header::new(KEY_ID_HEADER, "client-1"),
            ]
        );
        let anon = sign(&client_request().view(), &options(HeaderStyle::XRequest), "", b"secret", NOW).unwrap();
        assert_eq!(anon.headers.len(), 2);
        let auth = sign(&client_request().view(), &options(HeaderStyle::Authorization), "client-1", b"secret", NOW).unwrap();
        assert_eq!(auth.headers[1], Header::new("Authorization", "HMAC-SHA256 client-1:J8kpYQwb8fQOkLneWVyjSV8EbbwvPKcaHyQdKkGBkVo="));
    }

    #[test]
    fn lowercase_url_keeps_the_query() {
        let mut r = client_request();
        r.target = "HTTPS://API.Example.com/V1/Orders?ID=7".into();
        let o = Options { header_style: HeaderStyle::XRequest, lowercase_url: true };
        let s = sign(&r.view(), &o, "k", b"s", NOW).unwrap();
        assert!(String::from_utf8(s.string_to_sign).unwrap().starts_with("POSThttps://api.example.com/v1/orders?ID=71700000000"));
    }

    #[test]
    fn server_rebuilds_the_url_per_policy() {
        for style in [HeaderStyle::XRequest, HeaderStyle::Authorization] {
            let o = options(style);
            let signed = sign(&client_request().view(), &o, "client-1", b"secret", NOW).unwrap();
            let server = server_request(&signed);
            let behind_proxy = Policy { public_base_url: Some("https://api.example.com/v1/".into()), ..Policy::default() };
            assert_eq!(verify(&server.view(), &o, &behind_proxy, "client-1", b"secret", NOW + 1).unwrap().key_id, "client-1");
            // Without the policy the server signs https://orders.internal:8080/orders?id=7.
            assert_eq!(verify(&server.view(), &o, &Policy::default(), "client-1", b"secret", NOW).unwrap_err().kind(), "bad_signature");
        }
    }

    #[test]
    fn forwarded_headers_only_when_trusted() {
        let o = options(HeaderStyle::XRequest);
        let mut client = client_request();
        client.target = "http://api.example.com/orders?id=7".into();
        let signed = sign(&client.view(), &o, "c", b"s", NOW).unwrap();
        let mut server = server_request(&signed);
        server.headers.push(Header::new("X-Forwarded-Proto", "http"));
        server.headers.push(Header::new("X-Forwarded-Host", "api.example.com, edge.internal"));
        let trusting = Policy { trust_forwarded: true, ..Policy::default() };
        assert_eq!(verify(&server.view(), &o, &trusting, "c", b"s", NOW).unwrap().key_id, "c");
        assert_eq!(verify(&server.view(), &o, &Policy::default(), "c", b"s", NOW).unwrap_err().kind(), "bad_signature");
    }

    #[test]
    fn timestamps_outside_the_window_are_refused() {
        let o = options(HeaderStyle::XRequest);
        let base = Policy { public_base_url: Some("https://api.example.com/v1".into()), ..Policy::default() };
        let server = server_request(&sign(&client_request().view(), &o, "c", b"s", NOW).unwrap());
        let at = |now| verify(&server.view(), &o, &base, "c", b"s", now).map_err(|e| e.kind());
        assert!(at(NOW + 300).is_ok());
        assert_eq!(at(NOW + 301), Err("stale"));
        assert!(at(NOW - 5).is_ok());
        assert_eq!(at(NOW - 6), Err("future"));
    }

    #[test]
    fn header_problems_are_typed() {
        let o = options(HeaderStyle::XRequest);
        let base = Policy { public_base_url: Some("https://api.example.com/v1".into()), ..Policy::default() };
        let server = server_request(&sign(&client_request().view(), &o, "c", b"s", NOW).unwrap());
        let without = |name: &str| {
            let mut r = server.clone();
            r.headers.retain(|h| !h.name.eq_ignore_ascii_case(name));
            verify(&r.view(), &o, &base, "c", b"s", NOW).unwrap_err().kind()
        };
        assert_eq!(without(SIGNATURE_HEADER), "missing_authorization");
        assert_eq!(without(TIMESTAMP_HEADER), "missing_signed_header");
        assert_eq!(without(KEY_ID_HEADER), "unknown_key");
        let mut bad_ts = server.clone();
        bad_ts.headers.iter_mut().find(|h| h.name == TIMESTAMP_HEADER).unwrap().value = "17e8".into();
        assert_eq!(verify(&bad_ts.view(), &o, &base, "c", b"s", NOW).unwrap_err().kind(), "invalid_request");
        let a = options(HeaderStyle::Authorization);
        let mut r = server.clone();
        r.headers.push(Header::new("Authorization", "Bearer x"));
        assert_eq!(verify(&r.view(), &a, &base, "c", b"s", NOW).unwrap_err().kind(), "malformed_authorization");
    }
}
