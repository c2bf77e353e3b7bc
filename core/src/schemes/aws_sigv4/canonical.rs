//! The canonical request and the string to sign, as aws-c-auth builds them
//! (the rules are in the module above).
//!
//! Contract: [`canonical_request`] signs every signable header (or exactly
//! the `only` ones, all of which must be present) and gives the canonical
//! request with its `SignedHeaders` list; the query parameters come
//! percent-decoded then re-encoded by [`encoded_params`], and are sorted in
//! place.

use super::{ALGORITHM, Options, UNSIGNABLE};
use crate::error::{HmacSigError, Result};
use crate::mac::{UPPER_HEX, push_hex, sha256, to_hex};
use crate::request::RequestView;
use crate::target::Target;

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

/// The bytes `s` percent-encodes, or `None` when a `%` is not followed by two hex digits
/// (aws-c-auth refuses such a query: `AWS_ERROR_MALFORMED_INPUT_STRING`).
pub(super) fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |at: usize| b.get(at).and_then(|&c| (c as char).to_digit(16)).map(|d| d as u8);
            out.push(hex(i + 1)? << 4 | hex(i + 2)?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Removes `.` and `..` segments and collapses empty ones, as aws-c-auth and botocore do: the
/// result ends with `/` only when `path` does and some segment is left (`/a/b/.` is `/a/b`,
/// `/a/b/..` is `/a`, `/a/b/../` is `/a/`, `/..` is `/`).
pub(super) fn normalize_path(path: &str) -> String {
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
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    out
}

/// The target's authority (absolute-form), path and query, as the one
/// target parser splits them.
pub(super) fn split_target(target: &str) -> Result<(Option<&str>, &str, Option<&str>)> {
    let parts = Target::split(target)?;
    Ok((parts.authority, parts.path, parts.query))
}

/// `host[:port]` without the scheme's default port.
pub(super) fn host_without_default_port(target: &str, authority: &str) -> String {
    // By bytes: a target's sixth byte may fall inside a character (fuzz/call_layout found the
    // panic a str slice made of it).
    let default = if target.as_bytes().get(..6).is_some_and(|b| b.eq_ignore_ascii_case(b"https:")) { ":443" } else { ":80" };
    authority.strip_suffix(default).unwrap_or(authority).to_owned()
}

/// Appends the header value as SigV4 signs it: trimmed, whitespace runs (and
/// folds) as one space.
pub(super) fn push_trimall(value: &str, out: &mut String) {
    for (i, word) in value.split_ascii_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

pub(super) struct Canonical {
    pub(super) request: String,
    pub(super) signed_headers: String,
}

pub(super) fn canonical_query(params: &mut [(String, String)]) -> String {
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

/// The query's parameters, each key and value percent-decoded then encoded as SigV4 signs
/// them, in the query's order, leaving out the parameters named in `left_out` (what a verifier
/// knows was added after signing). A malformed percent-encoding is `invalid_request`, as
/// aws-c-auth refuses to sign it.
pub(super) fn encoded_params(query: Option<&str>, left_out: &[&str]) -> Result<Vec<(String, String)>> {
    let Some(query) = query.filter(|q| !q.is_empty()) else { return Ok(vec![]) };
    let mut params = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (mut key, mut value) = (String::new(), String::new());
        for (raw, out) in [(k, &mut key), (v, &mut value)] {
            let bytes = percent_decode(raw)
                .ok_or_else(|| HmacSigError::invalid_request(format!("the query parameter {pair:?} has a malformed percent-encoding")))?;
            uri_encode(&bytes, false, out);
        }
        if !left_out.contains(&key.as_str()) {
            params.push((key, value));
        }
    }
    Ok(params)
}

pub(super) fn encode_param(value: &str) -> String {
    let mut out = String::new();
    uri_encode(value.as_bytes(), false, &mut out);
    out
}

/// The canonical request over `headers` (all signable ones, or exactly `only`).
pub(super) fn canonical_request(
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

pub(super) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = to_hex(&sha256(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{hash}")
}

/// The header lines as (name, value) pairs, values with folds kept for `push_trimall`.
pub(super) fn header_pairs<'a>(request: &RequestView<'a>) -> Vec<(&'a str, &'a str)> {
    request.headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect()
}

pub(super) fn payload_hash(request: &RequestView<'_>) -> Result<String> {
    match request.header_values("X-Amz-Content-Sha256").next() {
        Some(v) => Ok(v.trim().to_owned()),
        None => body_hash(request),
    }
}

/// Hex SHA-256 of the body (a body digest must be SHA-256).
pub(super) fn body_hash(request: &RequestView<'_>) -> Result<String> {
    Ok(to_hex(&request.body.sha256("the aws-sigv4 payload hash")?))
}
