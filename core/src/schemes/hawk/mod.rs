//! hawk: Hawk HTTP authentication, as npm `hawk` 9 (mozilla/hawk) signs and
//! verifies it: the `Authorization` header, bewit (query) URLs, and the
//! server's `Server-Authorization` on responses.
//!
//! ```text
//! Authorization: Hawk id="…", ts="…", nonce="…"[, hash="…"][, ext="…"], mac="…"[, app="…"[, dlg="…"]]
//! normalized = "hawk.1.header\n" ts "\n" nonce "\n" METHOD "\n" path-and-query "\n"
//!              lower(host) "\n" port "\n" hash "\n" escaped(ext) "\n" [app "\n" dlg "\n"]
//! mac        = base64 HMAC-SHA256 (or SHA-1) of normalized, keyed by the secret
//! hash       = base64 SHA-256 (or SHA-1) of "hawk.1.payload\n" content-type "\n" body "\n"
//! ```
//!
//! Host and port come from an absolute-form target (port 80 for `http`, 443
//! otherwise, when it names none), else from `Host` (port 80 when it names
//! none); a verifier behind a proxy names them in its policy.
//!
//! Contract: the headers, bewits and responses signed here are byte for byte
//! hawk's for the same inputs, and the verifier's verdicts are hawk's, in
//! hawk's order (the header, the key id, the MAC, the payload hash, then the
//! timestamp), except where `docs/schemes/hawk.md` says otherwise (a `ts`
//! that is not decimal digits is refused; `timestamp_skew` 0 means 0).
//! Nonces: [`Verified::replay_key`] is the key id's `ts` and `nonce`, so a
//! verifier with a replay guard refuses a nonce seen inside the skew window.

mod bewit;
mod header;
mod host;
mod response;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::body::Body;
use crate::error::{HmacSigError, Result};
use crate::mac::{Algorithm, constant_time_eq};
use crate::request::{Header, RequestView};
use crate::schemes::aws_sigv4::SignatureType;
use crate::signed::{SignedRequest, Verified};
use crate::target::Target;

pub use response::{SERVER_AUTHORIZATION_HEADER, sign_response, verify_response};

/// The default [`Policy::timestamp_skew`], in seconds (hawk's).
pub const DEFAULT_TIMESTAMP_SKEW: u32 = 60;
/// The default [`Options::ttl`] of a bewit, in seconds.
pub const DEFAULT_TTL: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// SHA-256 or SHA-1: the credential's algorithm, for signing and verifying.
    pub algorithm: Algorithm,
    /// The nonce to send; `None`: a random one per request.
    pub nonce: Option<String>,
    pub ext: Option<String>,
    pub app: Option<String>,
    pub dlg: Option<String>,
    /// Send `hash=` of the body and `Content-Type`.
    pub payload_hash: bool,
    /// `Header`, or `Query`: a bewit URL.
    pub signature_type: SignatureType,
    /// A bewit's lifetime, in seconds.
    pub ttl: u32,
}

impl Options {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        algorithm: &str,
        nonce: Option<String>,
        ext: Option<String>,
        app: Option<String>,
        dlg: Option<String>,
        payload_hash: bool,
        signature_type: SignatureType,
        ttl: u32,
    ) -> Result<Self> {
        let algorithm = parse_algorithm(algorithm)?;
        if signature_type == SignatureType::Query && ttl == 0 {
            return Err(HmacSigError::unsupported("a hawk bewit needs a ttl of at least one second"));
        }
        for (name, value) in [("nonce", &nonce), ("app", &app), ("dlg", &dlg)] {
            if let Some(v) = value.as_deref()
                && !header::is_value(v)
            {
                return Err(bad_value(name, v));
            }
        }
        // An empty ext is no ext (hawk writes none).
        let ext = ext.filter(|e| !e.is_empty());
        if let Some(e) = ext.as_deref()
            && !header::is_value(e)
        {
            return Err(bad_value("ext", e));
        }
        Ok(Self { algorithm, nonce, ext, app, dlg, payload_hash, signature_type, ttl })
    }
}

fn bad_value(name: &str, value: &str) -> HmacSigError {
    HmacSigError::unsupported(format!(
        "hawk {name} {value:?} cannot travel in a Hawk header: use letters, digits, space and !#$%&'()*+,-./:;<=>?@[]^_`{{|}}~ (no \" or \\)"
    ))
}

/// `sha256` or `sha1`, or `Unsupported`.
pub fn parse_algorithm(name: &str) -> Result<Algorithm> {
    match name {
        "sha256" => Ok(Algorithm::Sha256),
        "sha1" => Ok(Algorithm::Sha1),
        other => Err(HmacSigError::unsupported(format!("hawk algorithm {other:?} is not offered; use sha256 or sha1"))),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Most seconds between `ts` and now, either way.
    pub timestamp_skew: u32,
    /// Refuse a request (or response) without `hash=`.
    pub require_payload_hash: bool,
    /// The host and port the client signed, behind a proxy.
    pub host: Option<String>,
    pub port: Option<u16>,
}

impl Default for Policy {
    fn default() -> Self {
        Self { timestamp_skew: DEFAULT_TIMESTAMP_SKEW, require_payload_hash: false, host: None, port: None }
    }
}

/// What the MAC covers, as hawk's `generateNormalizedString` takes it.
#[derive(Debug, Clone, Default)]
struct Artifacts<'a> {
    ts: Cow<'a, str>,
    nonce: Cow<'a, str>,
    method: Cow<'a, str>,
    resource: Cow<'a, str>,
    host: Cow<'a, str>,
    port: Cow<'a, str>,
    hash: Option<Cow<'a, str>>,
    ext: Option<Cow<'a, str>>,
    app: Option<Cow<'a, str>>,
    dlg: Option<Cow<'a, str>>,
}

impl Artifacts<'_> {
    /// `hawk.1.<kind>` and the lines after it.
    fn normalized(&self, kind: &str) -> String {
        let mut out = format!(
            "hawk.1.{kind}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.ts,
            self.nonce,
            self.method.to_uppercase(),
            self.resource,
            self.host.to_lowercase(),
            self.port,
            self.hash.as_deref().unwrap_or("")
        );
        if let Some(ext) = self.ext.as_deref() {
            out.push_str(&ext.replace('\\', "\\\\").replace('\n', "\\n"));
        }
        out.push('\n');
        if let Some(app) = self.app.as_deref() {
            out.push_str(app);
            out.push('\n');
            out.push_str(self.dlg.as_deref().unwrap_or(""));
            out.push('\n');
        }
        out
    }

    fn mac(&self, kind: &str, algorithm: Algorithm, secret: &[u8]) -> (String, String) {
        let normalized = self.normalized(kind);
        let mac = BASE64.encode(algorithm.hmac(secret, &[normalized.as_bytes()]));
        (normalized, mac)
    }
}

/// The payload hash of `body` sent as `content_type`.
fn payload_hash(algorithm: Algorithm, content_type: Option<&str>, body: &Body<'_>) -> Result<String> {
    let bytes = body.bytes("hawk")?;
    let content_type =
        content_type.map(|c| c.split(';').next().unwrap_or("").trim_matches(header::is_js_space).to_lowercase()).unwrap_or_default();
    let prefix = format!("hawk.1.payload\n{content_type}\n");
    Ok(BASE64.encode(algorithm.digest(&[prefix.as_bytes(), bytes, b"\n"])))
}

fn first<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
}

/// Path and query of a target as sent (an absolute-form target's from the
/// first `/` after the authority).
fn resource<'a>(text: &'a str, target: &Target<'a>) -> Cow<'a, str> {
    match target.authority {
        None => Cow::Borrowed(text),
        Some(authority) => match &text[text.find("://").map_or(0, |i| i + 3) + authority.len()..] {
            // `url.parse` gives an empty path as `/`.
            rest if !rest.starts_with('/') => Cow::Owned(format!("/{rest}")),
            rest => Cow::Borrowed(rest),
        },
    }
}

/// Path and query, host and port of `request`: from an absolute-form target,
/// else from the target and `Host`; the policy's host and port, when given,
/// replace what the request says.
fn location<'a>(request: &RequestView<'a>, policy: Option<&'a Policy>) -> Result<(Cow<'a, str>, Cow<'a, str>, Cow<'a, str>)> {
    let target = Target::parse(request.target)?;
    let resource = resource(request.target, &target);
    let (policy_host, policy_port) = policy.map_or((None, None), |p| (p.host.as_deref(), p.port));
    if let (Some(host), Some(port)) = (policy_host, policy_port) {
        return Ok((resource, Cow::Borrowed(host), Cow::Owned(port.to_string())));
    }
    let (host, port) = match (target.scheme, target.authority) {
        (Some(scheme), Some(authority)) => host::from_url(scheme, authority)
            .ok_or_else(|| HmacSigError::invalid_request(format!("the target's authority {authority:?} is not host[:port]")))?,
        _ => {
            let value = first(request.headers, "Host").ok_or_else(|| {
                HmacSigError::invalid_request("an origin-form target needs a Host header (or the policy's host and port)")
            })?;
            host::from_host_header(value)
                .ok_or_else(|| HmacSigError::invalid_request(format!("the Host header {value:?} is not host[:port]")))?
        }
    };
    let host = policy_host.map_or(Cow::Owned(host), Cow::Borrowed);
    let port = policy_port.map_or(Cow::Owned(port), |p| Cow::Owned(p.to_string()));
    Ok((resource, host, port))
}

fn random_nonce() -> Result<String> {
    // hawk's Cryptiles.randomString(6): six characters of base64url alphabet.
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| HmacSigError::unsupported(format!("the operating system's random source failed: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)[..6].to_owned())
}

fn check_key_id(key_id: &str) -> Result<()> {
    if header::is_value(key_id) {
        Ok(())
    } else {
        Err(HmacSigError::invalid_request(format!("the Hawk id {key_id:?} cannot travel in a Hawk header")))
    }
}

pub fn sign(request: &RequestView<'_>, options: &Options, key_id: &str, secret: &[u8], now: i64) -> Result<SignedRequest> {
    request.validate()?;
    check_key_id(key_id)?;
    if options.signature_type == SignatureType::Query {
        return bewit::sign(request, options, key_id, secret, now);
    }
    let (resource, host, port) = location(request, None)?;
    let nonce = match &options.nonce {
        Some(n) => Cow::Borrowed(n.as_str()),
        None => Cow::Owned(random_nonce()?),
    };
    let hash = match options.payload_hash {
        true => Some(Cow::Owned(payload_hash(options.algorithm, first(request.headers, "Content-Type"), &request.body)?)),
        false => None,
    };
    let artifacts = Artifacts {
        ts: Cow::Owned(now.to_string()),
        nonce,
        method: Cow::Borrowed(request.method),
        resource,
        host,
        port,
        hash,
        ext: options.ext.as_deref().map(Cow::Borrowed),
        app: options.app.as_deref().map(Cow::Borrowed),
        dlg: options.app.as_ref().and(options.dlg.as_deref()).map(Cow::Borrowed),
    };
    let (normalized, mac) = artifacts.mac("header", options.algorithm, secret);
    let mut value = format!("Hawk id=\"{key_id}\"");
    header::push_attribute(&mut value, "ts", &artifacts.ts);
    header::push_attribute(&mut value, "nonce", &artifacts.nonce);
    if let Some(hash) = &artifacts.hash {
        header::push_attribute(&mut value, "hash", hash);
    }
    if let Some(ext) = &artifacts.ext {
        header::push_attribute(&mut value, "ext", ext);
    }
    header::push_attribute(&mut value, "mac", &mac);
    if let Some(app) = &artifacts.app {
        header::push_attribute(&mut value, "app", app);
        if let Some(dlg) = &artifacts.dlg {
            header::push_attribute(&mut value, "dlg", dlg);
        }
    }
    Ok(SignedRequest { headers: vec![Header::new("Authorization", value)], string_to_sign: normalized.into_bytes(), url: None })
}

/// The request's `Authorization`, parsed; `MissingAuthorization` without one.
fn authorization<'a>(request: &RequestView<'a>) -> Result<header::Attributes<'a>> {
    let value = first(request.headers, "Authorization")
        .ok_or_else(|| HmacSigError::missing_authorization("the request has no Authorization header"))?;
    let attributes = header::parse(value, header::REQUEST_ATTRIBUTES, "Authorization")?;
    for name in ["id", "ts", "nonce", "mac"] {
        attributes.required(name)?;
    }
    Ok(attributes)
}

pub fn key_id(request: &RequestView<'_>, options: &Options) -> Result<String> {
    request.validate()?;
    if options.signature_type == SignatureType::Query {
        return bewit::key_id(request);
    }
    Ok(authorization(request)?.required("id")?.to_owned())
}

/// The payload check: a sent hash must match; `require` refuses none.
fn check_payload(
    sent: Option<&str>,
    algorithm: Algorithm,
    content_type: Option<&str>,
    body: &Body<'_>,
    policy: &Policy,
    what: &str,
) -> Result<()> {
    match sent {
        Some(sent) => {
            let expected = payload_hash(algorithm, content_type, body)?;
            if !constant_time_eq(expected.as_bytes(), sent.as_bytes()) {
                return Err(HmacSigError::body_mismatch(format!("the {what}'s payload hash does not match its body and Content-Type")));
            }
        }
        None if policy.require_payload_hash => {
            return Err(HmacSigError::missing_signed_header(format!("the policy requires a payload hash, and the {what} has none")));
        }
        None => {}
    }
    Ok(())
}

/// `ts` as JavaScript's `Number()` reads it (hawk compares `ts * 1000` with
/// the clock): decimal with a fraction or exponent, or `0x`/`0o`/`0b`
/// integers, spaces around. Text that is no number (`NaN` to hawk, which
/// then never finds it stale) is refused.
fn timestamp(ts: &str) -> Result<f64> {
    let text = ts.trim_matches(header::is_js_space);
    let radix = |prefix: [&str; 2], radix| prefix.iter().find_map(|p| text.strip_prefix(p)).map(|d| (d, radix));
    let value = if text.is_empty() {
        Some(0.0)
    } else if let Some((digits, radix)) = radix(["0x", "0X"], 16).or_else(|| radix(["0o", "0O"], 8)).or_else(|| radix(["0b", "0B"], 2)) {
        (!digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)))
            .then(|| digits.chars().fold(0.0, |acc, c| acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))))
    } else {
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        let numeric =
            unsigned == "Infinity" || unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
        if unsigned == "Infinity" {
            Some(if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY })
        } else {
            numeric.then(|| text.parse::<f64>().ok()).flatten()
        }
    };
    value.ok_or_else(|| HmacSigError::malformed_authorization(format!("the Hawk ts {ts:?} is not a number")))
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
    if options.signature_type == SignatureType::Query {
        return bewit::verify(request, options, policy, key_id, secret, now);
    }
    let attributes = authorization(request)?;
    let (resource, host, port) = location(request, Some(policy))?;
    let ts_text = attributes.required("ts")?;
    let ts = timestamp(ts_text)?;
    let id = attributes.required("id")?;
    if id != key_id {
        return Err(HmacSigError::unknown_key(id));
    }
    let artifacts = Artifacts {
        ts: Cow::Borrowed(ts_text),
        nonce: Cow::Borrowed(attributes.required("nonce")?),
        method: Cow::Borrowed(request.method),
        resource,
        host,
        port,
        hash: attributes.get("hash").map(Cow::Borrowed),
        ext: attributes.get("ext").map(Cow::Borrowed),
        app: attributes.get("app").map(Cow::Borrowed),
        dlg: attributes.get("dlg").map(Cow::Borrowed),
    };
    let (normalized, mac) = artifacts.mac("header", options.algorithm, secret);
    if !constant_time_eq(mac.as_bytes(), attributes.required("mac")?.as_bytes()) {
        return Err(HmacSigError::bad_signature(normalized.as_bytes()));
    }
    check_payload(attributes.get("hash"), options.algorithm, first(request.headers, "Content-Type"), &request.body, policy, "request")?;
    // As hawk, in milliseconds: `|ts * 1000 - now| > skew * 1000` is stale.
    let skew = i64::from(policy.timestamp_skew);
    let off = ts * 1000.0 - now as f64 * 1000.0;
    if off.abs() > skew as f64 * 1000.0 {
        let seconds = (off / 1000.0).abs().round();
        return Err(if off < 0.0 {
            HmacSigError::stale(format!("the Hawk ts is {seconds} s old; the policy allows {skew} s"))
        } else {
            HmacSigError::future(format!("the Hawk ts is {seconds} s ahead; the policy allows {skew} s"))
        });
    }
    Ok(Verified {
        key_id: Cow::Owned(id.to_owned()),
        replay_key: Some(Cow::Owned(format!("hawk:{ts_text}:{}", artifacts.nonce))),
        expires_at: Some((ts.floor() as i64).saturating_add(skew)),
    })
}
