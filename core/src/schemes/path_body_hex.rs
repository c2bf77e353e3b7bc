//! path-body-hex: the Sinatra filter of `shared/seeds/000_*.txt`.
//!
//! ```text
//! string to sign = PATH ["?" QUERY, when the query is not empty] [BODY, for POST, PUT and PATCH]
//! Authorization: <key_id>:<lower-case hex HMAC-SHA1 (or HMAC-SHA256)>
//! ```
//!
//! The path and query are the target's, verbatim (an absolute-form target
//! contributes only its path and query). Verifying follows the filter: a
//! missing header, or one that does not split into exactly two parts at `:`
//! (Ruby's `split`, which drops trailing empty parts), is not authenticated
//! (401); an unknown client or a wrong signature is forbidden (403). Unlike the
//! post's code, the compare is constant-time.

use std::borrow::Cow;

use crate::error::{HmacSigError, Result};
use crate::mac::{Algorithm, from_lower_hex, to_hex};
use crate::request::{Header, RequestView};
use crate::signed::{SignedRequest, Verified};
use crate::target::Target;

/// Signing options: the digest, `sha1` (the post's) or `sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub algorithm: Algorithm,
}

impl Options {
    pub fn new(digest: &str) -> Result<Self> {
        match Algorithm::from_name(digest) {
            Some(algorithm @ (Algorithm::Sha1 | Algorithm::Sha256)) => Ok(Self { algorithm }),
            _ => Err(HmacSigError::unsupported(format!("path-body-hex digest {digest:?} is not offered; use sha1 or sha256"))),
        }
    }
}

/// The bytes the filter MACs.
pub fn string_to_sign(request: &RequestView<'_>) -> Result<Vec<u8>> {
    let target = Target::parse(request.target)?;
    let body = request.body.bytes("path-body-hex")?;
    let mut data = Vec::with_capacity(target.path.len() + 1 + body.len() + target.query.map_or(0, str::len));
    data.extend_from_slice(target.path.as_bytes());
    if let Some(query) = target.query.filter(|q| !q.is_empty()) {
        data.push(b'?');
        data.extend_from_slice(query.as_bytes());
    }
    // The filter compares request_method with exact, upper-case names.
    if matches!(request.method, "POST" | "PUT" | "PATCH") {
        data.extend_from_slice(body);
    }
    Ok(data)
}

pub fn sign(request: &RequestView<'_>, options: &Options, key_id: &str, secret: &[u8]) -> Result<SignedRequest> {
    request.validate()?;
    if key_id.contains(':') {
        return Err(HmacSigError::invalid_request(format!(
            "path-body-hex key ids cannot contain ':' (the server splits the header there): {key_id:?}"
        )));
    }
    let data = string_to_sign(request)?;
    let signature = to_hex(&options.algorithm.hmac(secret, &[&data]));
    Ok(SignedRequest { headers: vec![Header::new("Authorization", format!("{key_id}:{signature}"))], string_to_sign: data, url: None })
}

/// `(key_id, signature)` from the `Authorization` header, split as Ruby's
/// `split(':')` does (trailing empty parts dropped) and required to be two parts.
fn parse_authorization<'a>(request: &RequestView<'a>) -> Result<(&'a str, &'a str)> {
    let mut values = request.header_values("Authorization");
    let value = values.next().ok_or_else(|| HmacSigError::missing_authorization("the request has no Authorization header"))?;
    if values.next().is_some() {
        return Err(HmacSigError::malformed_authorization("the request has more than one Authorization header"));
    }
    let mut parts: Vec<&str> = value.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    match parts.as_slice() {
        [key_id, signature] => Ok((key_id, signature)),
        _ => Err(HmacSigError::malformed_authorization(format!("Authorization {value:?} is not <key_id>:<signature>"))),
    }
}

pub fn key_id(request: &RequestView<'_>) -> Result<String> {
    parse_authorization(request).map(|(key_id, _)| key_id.to_owned())
}

pub fn verify(request: &RequestView<'_>, options: &Options, key_id: &str, secret: &[u8]) -> Result<Verified<'static>> {
    request.validate()?;
    let (claimed, signature) = parse_authorization(request)?;
    if claimed != key_id {
        return Err(HmacSigError::unknown_key(claimed));
    }
    let data = string_to_sign(request)?;
    // Lower-case hex only, as the filter compares strings.
    let tag = from_lower_hex(signature);
    if !tag.is_some_and(|tag| options.algorithm.verify(secret, &[&data], &tag)) {
        return Err(HmacSigError::bad_signature(&data));
    }
    Ok(Verified { key_id: Cow::Owned(claimed.to_owned()), replay_key: Some(Cow::Owned(signature.to_owned())), expires_at: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    fn req(method: &str, target: &str, body: &[u8]) -> Request {
        Request { method: method.into(), target: target.into(), headers: vec![], body: body.to_vec() }
    }

    #[test]
    fn string_to_sign_follows_the_filter() {
        let sts = |r: Request| String::from_utf8(string_to_sign(&r.view()).unwrap()).unwrap();
        assert_eq!(sts(req("GET", "/quotes?limit=5", b"ignored")), "/quotes?limit=5");
        assert_eq!(sts(req("GET", "/quotes?", b"")), "/quotes");
        assert_eq!(sts(req("POST", "https://api.example.com/quotes?a=1", b"{\"x\":1}")), "/quotes?a=1{\"x\":1}");
        assert_eq!(sts(req("PATCH", "https://api.example.com", b"b")), "/b");
        assert_eq!(sts(req("DELETE", "/q", b"body")), "/q");
    }

    #[test]
    fn signs_lower_case_hex() {
        // HMAC-SHA1("key", "/"), computed with Python's hmac module.
        let s = sign(&req("GET", "/", b"").view(), &Options::new("sha1").unwrap(), "client", b"key").unwrap();
        assert_eq!(s.headers, vec![Header::new("Authorization", "client:194246b47ecd392ade22cdc6deba9b5db3ad837e")]);
    }

    #[test]
    fn verify_statuses_follow_the_filter() {
        let o = Options::new("sha256").unwrap();
        let mut r = req("PUT", "/p?q=1", b"data");
        r.headers = sign(&r.view(), &o, "c1", b"k").unwrap().headers;
        assert_eq!(verify(&r.view(), &o, "c1", b"k").unwrap().key_id, "c1");
        let kind = |value: &str| {
            let mut r = r.clone();
            r.headers = vec![Header::new("Authorization", value)];
            verify(&r.view(), &o, "c1", b"k").unwrap_err().kind()
        };
        assert_eq!(kind("nocolon"), "malformed_authorization");
        assert_eq!(kind("a:b:c"), "malformed_authorization");
        assert_eq!(kind("c1:"), "malformed_authorization");
        assert_eq!(kind("c2:00"), "unknown_key");
        assert_eq!(kind("c1:00"), "bad_signature");
        let upper = r.headers[0].value.to_uppercase().replacen("C1", "c1", 1);
        assert_eq!(kind(&upper), "bad_signature");
        let mut tampered = r.clone();
        tampered.body = b"Data".to_vec();
        assert_eq!(verify(&tampered.view(), &o, "c1", b"k").unwrap_err().kind(), "bad_signature");
        let mut unsigned = r.clone();
        unsigned.headers.clear();
        assert_eq!(verify(&unsigned.view(), &o, "c1", b"k").unwrap_err().kind(), "missing_authorization");
    }

    #[test]
    fn refuses_md5_and_colon_key_ids() {
        assert_eq!(Options::new("md5").unwrap_err().kind(), "unsupported");
        assert_eq!(sign(&req("GET", "/", b"").view(), &Options::new("sha1").unwrap(), "a:b", b"k").unwrap_err().kind(), "invalid_request");
    }
}
