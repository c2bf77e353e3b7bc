//! api-auth: wire-compatible with the Ruby gem api-auth 2.5 (Net::HTTP driver).
//!
//! Canonical string (never escaped; a missing field is empty):
//!
//! ```text
//! METHOD,CONTENT_TYPE,CONTENT_HASH,REQUEST_URI,DATE[,HDR1_VALUE[,HDR2_VALUE...]]
//! ```
//!
//! `Authorization: APIAuth <key_id>:<base64 HMAC-SHA1>` for the digest named
//! exactly `sha1`, else `APIAuth-HMAC-<DIGEST> <key_id>:<base64 HMAC>`.
//!
//! Signing reproduces the gem byte for byte (`docs/specs/api-auth.md`).
//! Verifying is stricter than the gem, by default:
//! - the header parse is anchored, and MD5 is never accepted;
//! - the signature is compared in constant time;
//! - `X-Original-URI` is ignored unless the policy trusts a proxy to set it;
//! - a content hash, when present, is checked against the body for every
//!   method, and a body without one is refused unless the policy allows it;
//! - a missing or unparsable `Date` is an error, not an exception.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::{HmacSigError, Result};
use std::borrow::Cow;

use crate::body::Body;
use crate::mac::{Algorithm, MacKey, constant_time_eq, push_base64, sha256};
use crate::request::{Header, HeaderLists, RequestView};
use crate::schemes::ruby_uri::gem_request_uri;
use crate::signed::{SignedRequest, Verified};
use crate::time::{parse_http_date_ruby, push_http_date};

/// The content-hash header (`X-Authorization-Content-SHA256`), added on signing.
pub const CONTENT_HASH_HEADER: &str = "X-Authorization-Content-SHA256";
const CONTENT_TYPE_NAMES: &[&str] = &["CONTENT-TYPE", "CONTENT_TYPE", "HTTP_CONTENT_TYPE"];
const DATE_NAMES: &[&str] = &["DATE", "HTTP_DATE"];
const ORIGINAL_URI_NAMES: &[&str] = &["X-ORIGINAL-URI", "X_ORIGINAL_URI", "HTTP_X_ORIGINAL_URI"];
/// What sign and verify read, in one pass: the content hash, the date, the
/// original URI and the content type.
const SIGNED_FIELDS: HeaderLists<4> = HeaderLists::new([&[CONTENT_HASH_HEADER], DATE_NAMES, ORIGINAL_URI_NAMES, CONTENT_TYPE_NAMES]);

/// Signing options, as the gem's `sign!` takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub algorithm: Algorithm,
    /// `APIAuth` or `APIAuth-HMAC-SHA256` ...: the gem keys this on the exact
    /// digest string, so `sha1` and `SHA1` give different (both valid) headers.
    pub label: String,
    pub headers_to_sign: Vec<String>,
    pub override_method: Option<String>,
}

impl Options {
    /// `digest` as the gem takes it: `sha1` (the default), `sha224`, `sha256`,
    /// `sha384`, `sha512`, in any case. MD5 and anything else are refused.
    pub fn new(digest: &str, headers_to_sign: Vec<String>, override_method: Option<String>) -> Result<Self> {
        let algorithm = Algorithm::from_name(digest).ok_or_else(|| {
            HmacSigError::unsupported(format!(
                "api-auth digest {digest:?} is not offered; use sha1, sha224, sha256, sha384 or sha512 (MD5 is never offered)"
            ))
        })?;
        let label = if digest == "sha1" { "APIAuth".to_owned() } else { format!("APIAuth-HMAC-{}", digest.to_uppercase()) };
        if let Some(m) = &override_method
            && !crate::request::is_token(m)
        {
            return Err(HmacSigError::invalid_request(format!("override_method {m:?} is not an HTTP token")));
        }
        Ok(Self { algorithm, label, headers_to_sign, override_method })
    }
}

/// Verifying policy. Defaults: 900 s skew, any SHA digest, no proxy trust,
/// bodies must be covered by the content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// A request is fresh when `now - skew < Date < now + skew` (strict, as the gem).
    pub clock_skew: u32,
    /// When set, only this digest is accepted.
    pub digest: Option<Algorithm>,
    /// Honour `X-Original-URI` (set by a trusted reverse proxy) as the target.
    pub trust_original_uri: bool,
    /// Accept a non-empty body that no content hash covers (the gem does).
    pub allow_unsigned_body: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self { clock_skew: 900, digest: None, trust_original_uri: false, allow_unsigned_body: false }
    }
}

/// Whether Net::HTTP's request class for `method` has `REQUEST_HAS_BODY`:
/// the gem adds the content hash only for those.
fn method_has_body(method: &str) -> Result<bool> {
    const WITH_BODY: [&str; 8] = ["POST", "PUT", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "LOCK", "UNLOCK"];
    const WITHOUT_BODY: [&str; 7] = ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "COPY", "MOVE"];
    if WITH_BODY.iter().any(|m| m.eq_ignore_ascii_case(method)) {
        Ok(true)
    } else if WITHOUT_BODY.iter().any(|m| m.eq_ignore_ascii_case(method)) {
        Ok(false)
    } else {
        Err(HmacSigError::unsupported(format!("api-auth cannot sign method {method:?}: the gem only signs Net::HTTP's request classes")))
    }
}

/// The base64 SHA-256 of `body`, as the content-hash header carries it.
pub fn content_hash(body: &[u8]) -> String {
    BASE64.encode(sha256(body))
}

/// As [`content_hash`], for a body given as bytes or as its SHA-256 digest.
fn body_content_hash(body: Body<'_>) -> Result<String> {
    let mut hash = String::with_capacity(44);
    push_base64(&body.sha256("the api-auth content hash")?, &mut hash);
    Ok(hash)
}

/// Appends the canonical string to `out`. `request_uri_source` is the
/// target, or the `X-Original-URI` value where that is honoured.
#[allow(clippy::too_many_arguments)] // the canonical string's fields, each named
fn write_canonical(
    request: &RequestView<'_>,
    method: &str,
    content_type: &str,
    content_hash: &str,
    request_uri_source: &str,
    date: &str,
    headers_to_sign: &[String],
    out: &mut Vec<u8>,
) -> Result<()> {
    let request_uri = gem_request_uri(request_uri_source).map_err(HmacSigError::invalid_request)?;
    out.reserve(8 + method.len() + content_type.len() + content_hash.len() + request_uri.len() + date.len());
    for (i, field) in [method, content_type, content_hash, &request_uri, date].iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(field.as_bytes());
    }
    for name in headers_to_sign {
        // Net::HTTP joins repeated fields with ", "; ActiveSupport's present?
        // skips absent and whitespace-only values.
        if let Some(value) = request.header_cow(name)
            && !value.chars().all(char::is_whitespace)
        {
            out.push(b',');
            out.extend_from_slice(value.as_bytes());
        }
    }
    Ok(())
}

/// The method, upper-cased. Both it and `override_method` are tokens (ASCII).
fn canonical_method<'a>(request: &RequestView<'a>, options: &'a Options) -> Cow<'a, str> {
    let method = options.override_method.as_deref().unwrap_or(request.method);
    if method.bytes().any(|b| b.is_ascii_lowercase()) { Cow::Owned(method.to_ascii_uppercase()) } else { Cow::Borrowed(method) }
}

/// Signs like the gem's `sign!`: adds the content hash (for methods with a
/// body, when absent), a `Date` (when absent) and `Authorization`.
pub fn sign(request: &RequestView<'_>, options: &Options, key_id: &str, key: &(impl MacKey + ?Sized), now: i64) -> Result<SignedRequest> {
    let mut out = SignedRequest { headers: Vec::with_capacity(3), string_to_sign: Vec::with_capacity(160), url: None };
    sign_into(request, options, key_id, key, now, &mut out)?;
    Ok(out)
}

/// [`sign`] into `out`, reusing its allocations (its previous contents are
/// only capacity): a caller signing request after request with one `out`
/// allocates nothing once it has grown. On error `out` is left empty.
pub fn sign_into(
    request: &RequestView<'_>,
    options: &Options,
    key_id: &str,
    key: &(impl MacKey + ?Sized),
    now: i64,
    out: &mut SignedRequest,
) -> Result<()> {
    let mut headers = std::mem::take(&mut out.headers);
    out.clear();
    let signed = write_signed(request, options, key_id, key, now, &mut headers, &mut out.string_to_sign);
    headers.truncate(*signed.as_ref().unwrap_or(&0));
    out.headers = headers;
    if signed.is_err() {
        out.string_to_sign.clear();
    }
    signed.map(drop)
}

/// The body of [`sign_into`]: writes the headers to add over `headers` from
/// the start and the canonical string into `string_to_sign`; returns how
/// many headers it wrote.
fn write_signed(
    request: &RequestView<'_>,
    options: &Options,
    key_id: &str,
    key: &(impl MacKey + ?Sized),
    now: i64,
    headers: &mut Vec<Header>,
    string_to_sign: &mut Vec<u8>,
) -> Result<usize> {
    let [preset_hash, preset_date, uri_source, content_type] = request.validated_fields(&SIGNED_FIELDS)?;
    let has_body = method_has_body(request.method)?;
    let mut count = 0;
    let added_hash = preset_hash.is_none() && has_body;
    if added_hash {
        let digest = request.body.sha256("the api-auth content hash")?;
        push_base64(&digest, reuse_header(headers, count, CONTENT_HASH_HEADER));
        count += 1;
    }
    let added_date = preset_date.is_none();
    if added_date {
        push_http_date(now, reuse_header(headers, count, "Date"))?;
        count += 1;
    }
    let hash = preset_hash.as_deref().unwrap_or(if added_hash { &headers[0].value } else { "" });
    let date = preset_date.as_deref().unwrap_or(if added_date { &headers[count - 1].value } else { "" });
    let method = canonical_method(request, options);
    let uri_source = uri_source.as_deref().unwrap_or(request.target);
    let content_type = content_type.as_deref().unwrap_or_default();
    write_canonical(request, &method, content_type, hash, uri_source, date, &options.headers_to_sign, string_to_sign)?;
    let mac = key.hmac(options.algorithm, &[string_to_sign]);
    let authorization = reuse_header(headers, count, "Authorization");
    authorization.reserve(options.label.len() + key_id.len() + 2 + mac.len().div_ceil(3) * 4);
    for part in [&options.label, " ", key_id, ":"] {
        authorization.push_str(part);
    }
    push_base64(&mac, authorization);
    Ok(count + 1)
}

/// Header `at` of `headers`, named `name`, its value emptied for writing;
/// reuses the strings already there.
fn reuse_header<'h>(headers: &'h mut Vec<Header>, at: usize, name: &str) -> &'h mut String {
    if at == headers.len() {
        headers.push(Header::new(name, String::new()));
    }
    let header = &mut headers[at];
    if header.name != name {
        header.name.clear();
        header.name.push_str(name);
    }
    header.value.clear();
    &mut header.value
}

/// A parsed `Authorization` header.
struct Authorization<'a> {
    algorithm: Algorithm,
    key_id: &'a str,
    signature: &'a str,
}

/// The strict, anchored parse: the whole value is
/// `APIAuth[-HMAC-<DIGEST>] <key_id>:<signature>`.
fn parse_authorization(value: &str) -> Result<Authorization<'_>> {
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
pub fn verify(
    request: &RequestView<'_>,
    options: &Options,
    policy: &Policy,
    key_id: &str,
    key: &(impl MacKey + ?Sized),
    now: i64,
) -> Result<Verified> {
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
    let mut canonical = Vec::with_capacity(160);
    write_canonical(
        request,
        &method,
        content_type.as_deref().unwrap_or_default(),
        hash.as_deref().unwrap_or(""),
        original_uri.as_deref().unwrap_or(request.target),
        date.as_deref().unwrap_or(""),
        &options.headers_to_sign,
        &mut canonical,
    )?;
    // The key is keyed once per credentials; the compare is constant-time.
    let signature_ok = BASE64.decode(auth.signature).is_ok_and(|tag| constant_time_eq(&key.hmac(auth.algorithm, &[&canonical]), &tag));
    if !signature_ok {
        return Err(HmacSigError::bad_signature(&canonical));
    }
    match hash {
        Some(hash) if hash != body_content_hash(request.body)? => {
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
    Ok(Verified { key_id: auth.key_id.to_owned(), signature: auth.signature.to_owned(), expires_at: Some(sent.saturating_add(skew)) })
}

/// The key id, as the gem's `ApiAuth.access_id` extracts it: the first match of
/// `/APIAuth(?:-HMAC-(MD5|SHA(?:1|224|256|384|512)?))? ([^:]+):(.+)$/`,
/// unanchored. Use it to look up a secret; `verify` then parses strictly.
pub fn key_id(request: &RequestView<'_>) -> Result<String> {
    let value = request
        .header_cow("Authorization")
        .ok_or_else(|| HmacSigError::missing_authorization("the request has no Authorization header"))?;
    gem_access_id(&value)
        .map(str::to_owned)
        .ok_or_else(|| HmacSigError::malformed_authorization(format!("no api-auth key id in Authorization {value:?}")))
}

/// The gem's regex, by hand: Ruby tries each start position leftmost-first,
/// the optional label before its absence, `SHA` + suffix before bare `SHA`.
fn gem_access_id(value: &str) -> Option<&str> {
    const LABELS: &[&str] = &["MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA"];
    value.match_indices("APIAuth").find_map(|(start, _)| {
        let after = &value[start + "APIAuth".len()..];
        let labelled = after.strip_prefix("-HMAC-").into_iter().flat_map(|l| LABELS.iter().filter_map(move |label| l.strip_prefix(label)));
        labelled.chain(std::iter::once(after)).find_map(|rest| {
            let rest = rest.strip_prefix(' ')?;
            let colon = rest.find(':')?;
            // `(.+)$`: at least one character before the end of the line.
            let sig = &rest[colon + 1..];
            (colon > 0 && !sig.is_empty() && !sig.starts_with('\n')).then(|| &rest[..colon])
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    const NOW: i64 = 1_700_000_030;
    const DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    fn post() -> Request {
        Request {
            method: "POST".into(),
            target: "/orders?id=7".into(),
            headers: vec![Header::new("Content-Type", "application/json"), Header::new("Date", DATE)],
            body: br#"{"order":{"id":7,"qty":2}}"#.to_vec(),
        }
    }

    fn sha256_options() -> Options {
        Options::new("sha256", vec![], None).unwrap()
    }

    fn signed(mut request: Request, options: &Options) -> Request {
        let s = sign(&request.view(), options, "1044", b"top-secret", NOW).unwrap();
        request.headers.extend(s.headers);
        request
    }

    #[test]
    fn signs_like_the_gem() {
        // verify-0001 in tests/vectors/api-auth/vectors.json.
        let s = sign(&post().view(), &sha256_options(), "1044", b"top-secret", NOW).unwrap();
        assert_eq!(
            String::from_utf8(s.string_to_sign).unwrap(),
            "POST,application/json,+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=,/orders?id=7,Tue, 14 Nov 2023 22:13:20 GMT"
        );
        assert_eq!(
            s.headers,
            vec![
                Header::new(CONTENT_HASH_HEADER, "+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo="),
                Header::new("Authorization", "APIAuth-HMAC-SHA256 1044:iQ8Xy+7557bVwTz3HnFH9VZhlMpOkUjI0arvu7p3v3g="),
            ]
        );
    }

    #[test]
    fn sha1_label_depends_on_the_exact_digest_string() {
        assert_eq!(Options::new("sha1", vec![], None).unwrap().label, "APIAuth");
        assert_eq!(Options::new("SHA1", vec![], None).unwrap().label, "APIAuth-HMAC-SHA1");
        assert_eq!(Options::new("md5", vec![], None).unwrap_err().kind(), "unsupported");
        assert_eq!(Options::new("sha3-256", vec![], None).unwrap_err().kind(), "unsupported");
    }

    #[test]
    fn date_added_only_when_absent_and_hash_only_for_body_methods() {
        let r = Request {
            method: "GET".into(),
            target: "/nodate".into(),
            headers: vec![Header::new("X-Date", DATE)],
            body: b"ignored".to_vec(),
        };
        let s = sign(&r.view(), &Options::new("sha1", vec![], None).unwrap(), "1044", b"k", 1_700_000_099).unwrap();
        assert_eq!(s.headers[0], Header::new("Date", "Tue, 14 Nov 2023 22:14:59 GMT"));
        assert_eq!(s.headers.len(), 2);
        assert_eq!(String::from_utf8(s.string_to_sign).unwrap(), "GET,,,/nodate,Tue, 14 Nov 2023 22:14:59 GMT");
    }

    #[test]
    fn preset_hash_is_kept_and_x_original_uri_is_signed() {
        let r = Request {
            method: "PUT".into(),
            target: "/internal".into(),
            headers: vec![
                Header::new("Date", DATE),
                Header::new("x-authorization-content-sha256", ""),
                Header::new("X-Original-URI", "/api?x=1"),
            ],
            body: b"x".to_vec(),
        };
        let s = sign(&r.view(), &Options::new("sha1", vec![], None).unwrap(), "1044", b"k", NOW).unwrap();
        assert_eq!(s.headers.len(), 1);
        assert_eq!(String::from_utf8(s.string_to_sign).unwrap(), "PUT,,,/api?x=1,Tue, 14 Nov 2023 22:13:20 GMT");
    }

    #[test]
    fn headers_to_sign_in_option_order_skipping_absent_and_blank() {
        let r = Request {
            method: "GET".into(),
            target: "/h".into(),
            headers: vec![
                Header::new("Date", DATE),
                Header::new("X-Request-Id", "req-123"),
                Header::new("X-Blank", "  "),
                Header::new("x-multi", "a"),
                Header::new("X-Multi", "b"),
            ],
            body: vec![],
        };
        let o = Options::new("sha1", ["X-Multi", "X-Missing", "X-Blank", "x-request-id"].map(String::from).to_vec(), Some("delete".into()))
            .unwrap();
        let s = sign(&r.view(), &o, "1044", b"k", NOW).unwrap();
        assert_eq!(String::from_utf8(s.string_to_sign).unwrap(), "DELETE,,,/h,Tue, 14 Nov 2023 22:13:20 GMT,a, b,req-123");
    }

    #[test]
    fn rejects_what_the_gem_rejects_and_unknown_methods() {
        let mut r = post();
        r.target = "/a b".into();
        assert_eq!(sign(&r.view(), &sha256_options(), "1", b"k", NOW).unwrap_err().kind(), "invalid_request");
        let mut r = post();
        r.method = "PURGE".into();
        assert_eq!(sign(&r.view(), &sha256_options(), "1", b"k", NOW).unwrap_err().kind(), "unsupported");
    }

    #[test]
    fn verifies_its_own_signature_and_reports_typed_errors() {
        let o = sha256_options();
        let p = Policy::default();
        let good = signed(post(), &o);
        assert_eq!(verify(&good.view(), &o, &p, "1044", b"top-secret", NOW).unwrap().key_id, "1044");
        assert_eq!(verify(&good.view(), &o, &p, "1044", b"other", NOW).unwrap_err().kind(), "bad_signature");
        assert_eq!(verify(&good.view(), &o, &p, "7", b"top-secret", NOW).unwrap_err().kind(), "unknown_key");

        let mut tampered = good.clone();
        tampered.body = b"{}".to_vec();
        assert_eq!(verify(&tampered.view(), &o, &p, "1044", b"top-secret", NOW).unwrap_err().kind(), "body_mismatch");

        let strict = Policy { digest: Some(Algorithm::Sha512), ..Policy::default() };
        assert_eq!(verify(&good.view(), &o, &strict, "1044", b"top-secret", NOW).unwrap_err().kind(), "digest_not_allowed");

        let mut unsigned = good.clone();
        unsigned.headers.clear();
        assert_eq!(verify(&unsigned.view(), &o, &p, "1044", b"top-secret", NOW).unwrap_err().kind(), "missing_authorization");
    }

    #[test]
    fn mismatch_carries_the_server_string_to_sign() {
        let o = sha256_options();
        let mut r = signed(post(), &o);
        r.target = "/orders?id=8".into();
        match verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", NOW).unwrap_err() {
            HmacSigError::BadSignature { string_to_sign, reason } => {
                assert!(string_to_sign.contains(",/orders?id=8,"));
                assert!(reason.contains("/orders?id=8"));
                assert!(!reason.contains("top-secret"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn clock_window_is_strict_on_both_sides() {
        let o = sha256_options();
        let p = Policy::default();
        let r = signed(post(), &o);
        let date = 1_700_000_000;
        assert!(verify(&r.view(), &o, &p, "1044", b"top-secret", date + 899).is_ok());
        assert!(verify(&r.view(), &o, &p, "1044", b"top-secret", date - 899).is_ok());
        assert_eq!(verify(&r.view(), &o, &p, "1044", b"top-secret", date + 900).unwrap_err().kind(), "stale");
        assert_eq!(verify(&r.view(), &o, &p, "1044", b"top-secret", date - 900).unwrap_err().kind(), "future");
    }

    #[test]
    fn extreme_clocks_are_errors_not_panics() {
        let o = sha256_options();
        let r = signed(post(), &o);
        assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", i64::MAX).unwrap_err().kind(), "stale");
        assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", i64::MIN).unwrap_err().kind(), "future");
        let zero_skew = Policy { clock_skew: 0, ..Policy::default() };
        assert_eq!(verify(&r.view(), &o, &zero_skew, "1044", b"top-secret", 1_700_000_000).unwrap_err().kind(), "stale");
        let unsigned = Request { headers: vec![], ..post() };
        assert_eq!(sign(&unsigned.view(), &o, "1044", b"k", i64::MIN).unwrap_err().kind(), "invalid_request");
        assert_eq!(sign(&unsigned.view(), &o, "1044", b"k", i64::MAX).unwrap_err().kind(), "invalid_request");
    }

    #[test]
    fn date_problems_are_typed() {
        let o = Options::new("sha1", vec![], None).unwrap();
        let p = Policy::default();
        let mut r = Request {
            method: "GET".into(),
            target: "/d".into(),
            headers: vec![Header::new("Date", "Tue, 14 Nov 2023 22:13:20 +0000")],
            body: vec![],
        };
        r = signed(r, &o);
        assert_eq!(verify(&r.view(), &o, &p, "1044", b"top-secret", NOW).unwrap_err().kind(), "invalid_request");
        // A MAC over an empty Date field, sent without Date (the gem raises NoMethodError).
        let mut r = Request { method: "GET".into(), target: "/nodate".into(), headers: vec![], body: vec![] };
        let canonical = "GET,,,/nodate,";
        let sig = BASE64.encode(Algorithm::Sha1.hmac(b"top-secret", &[canonical.as_bytes()]));
        r.headers.push(Header::new("Authorization", format!("APIAuth 1044:{sig}")));
        assert_eq!(verify(&r.view(), &o, &p, "1044", b"top-secret", NOW).unwrap_err().kind(), "missing_signed_header");
    }

    #[test]
    fn original_uri_only_when_trusted() {
        let o = Options::new("sha1", vec![], None).unwrap();
        let mut r = Request { method: "GET".into(), target: "/items?b=2".into(), headers: vec![Header::new("Date", DATE)], body: vec![] };
        r = signed(r, &o);
        r.target = "/admin/delete_everything".into();
        r.headers.push(Header::new("X-Original-URI", "/items?b=2"));
        assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", NOW).unwrap_err().kind(), "bad_signature");
        let trusting = Policy { trust_original_uri: true, ..Policy::default() };
        assert!(verify(&r.view(), &o, &trusting, "1044", b"top-secret", NOW).is_ok());
    }

    #[test]
    fn unsigned_bodies_are_refused_unless_allowed() {
        let o = Options::new("sha1", vec![], None).unwrap();
        let mut r = Request { method: "DELETE".into(), target: "/things/1".into(), headers: vec![Header::new("Date", DATE)], body: vec![] };
        r = signed(r, &o);
        r.body = b"{\"reason\":\"evil\"}".to_vec();
        assert_eq!(verify(&r.view(), &o, &Policy::default(), "1044", b"top-secret", NOW).unwrap_err().kind(), "body_mismatch");
        let lax = Policy { allow_unsigned_body: true, ..Policy::default() };
        assert!(verify(&r.view(), &o, &lax, "1044", b"top-secret", NOW).is_ok());
    }

    #[test]
    fn strict_header_parse() {
        for (value, kind) in [
            ("Corporate APIAuth 1044:x", "malformed_authorization"),
            ("apiauth-hmac-sha256 1044:x", "malformed_authorization"),
            ("APIAuth-HMAC-MD5 1044:x", "digest_not_allowed"),
            ("APIAuth-HMAC-SHA 1044:x", "digest_not_allowed"),
            ("APIAuth-HMAC-SHA3-256 1044:x", "malformed_authorization"),
            ("APIAuth 1044:", "malformed_authorization"),
            ("Bearer abc", "malformed_authorization"),
        ] {
            assert_eq!(parse_authorization(value).err().map(|e| e.kind()), Some(kind), "{value}");
        }
        let a = parse_authorization("APIAuth-HMAC-SHA512 k:abc").ok().unwrap();
        assert_eq!((a.algorithm, a.key_id, a.signature), (Algorithm::Sha512, "k", "abc"));
    }

    #[test]
    fn key_id_extraction_matches_the_gem() {
        for (value, expected) in [
            ("APIAuth 1044:aGVsbG8gd29ybGQ=", Some("1044")),
            ("APIAuth-HMAC-SHA224 k:abc", Some("k")),
            ("APIAuth-HMAC-SHA k:abc", Some("k")),
            ("APIAuth-HMAC-sha256 1044:abc", None),
            ("apiauth 1044:abc", None),
            ("APIAuth  1044:abc", Some(" 1044")),
            ("APIAuth 1044:", None),
            ("APIAuth a b:c", Some("a b")),
            ("APIAuth a:b:c", Some("a")),
            ("Corporate APIAuth 1044:x", Some("1044")),
            ("XAPIAuth 1:2", Some("1")),
            ("APIAuth-HMAC-SHA111 x:y", None),
            ("APIAuth-HMAC-SHA3-256 x:y", None),
            ("Bearer abc", None),
        ] {
            assert_eq!(gem_access_id(value), expected, "{value}");
        }
    }
}
