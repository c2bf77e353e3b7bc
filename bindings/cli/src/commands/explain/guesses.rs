//! Single changes that would make a received signature match: the usual ways
//! a request changes between signing and verifying (curl's Content-Type, a
//! charset a framework adds, a dropped query, a re-encoded path, line ends in
//! the body, an `http` URL signed for an `https` server) and the usual ways a
//! key is misused (base64-decoded, with a trailing newline), and each scheme's
//! own (kong-hmac's request line and date, hawk's host and port behind a
//! proxy). Each is signed with the real secret and compared; only exact
//! matches are reported.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmacsig::{Credentials, Header, Request, Scheme, sign_request};

use super::wire::{Plan, signature_in};
use super::{Finding, hawk, kong};
use crate::args::SchemeName;
use crate::commands::request::{header, without};

const COMMON_TYPES: [&str; 5] =
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream", "application/xml"];
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// A changed request (or key, or scheme option) and what the change would mean.
pub struct Variant {
    pub topic: &'static str,
    pub meaning: String,
    pub request: Request,
    pub secret: Option<Vec<u8>>,
    /// The scheme to sign with instead of the plan's.
    pub scheme: Option<Arc<Scheme>>,
}

/// The findings whose variant reproduces `received` exactly.
pub fn matching(plan: &Plan, key_id: &str, secret: &[u8], received: &str) -> Vec<Finding> {
    variants(plan, secret)
        .into_iter()
        .filter(|v| {
            let credentials = Arc::new(Credentials::new(key_id.to_owned(), v.secret.clone().unwrap_or_else(|| secret.to_vec())));
            let scheme = v.scheme.clone().unwrap_or_else(|| plan.scheme.clone());
            sign_request(scheme, credentials, v.request.clone(), Some(plan.now)).is_ok_and(|signed| {
                let target = signed.url.as_deref().unwrap_or(&v.request.target);
                signature_in(&plan.args, &signed.headers, target).as_deref() == Some(received)
            })
        })
        .map(|v| Finding::new(v.topic, format!("the received signature matches {}", v.meaning)))
        .collect()
}

fn variants(plan: &Plan, secret: &[u8]) -> Vec<Variant> {
    let base = &plan.request;
    let mut out = Vec::new();
    let mut push = |topic, meaning: String, change: &dyn Fn(&mut Request)| {
        let mut request = base.clone();
        change(&mut request);
        if request != *base {
            out.push(Variant { topic, meaning, request, secret: None, scheme: None });
        }
    };

    match header(&base.headers, "Content-Type").map(str::to_owned) {
        Some(sent) => {
            let set = |value: String| move |r: &mut Request| set_header(r, "Content-Type", &value);
            push(
                "content-type",
                format!(
                    "the request without its Content-Type {sent:?}: the client signed none and one was added after signing \
                     (curl -d adds application/x-www-form-urlencoded; send -H 'Content-Type:' or sign the type you send)"
                ),
                &|r| r.headers = without(&r.headers, &["Content-Type"]),
            );
            if let Some((bare, _)) = sent.split_once(';') {
                let bare = bare.trim().to_owned();
                push(
                    "content-type",
                    format!("Content-Type {bare:?}: the client signed that, and a parameter was added after signing"),
                    &set(bare.clone()),
                );
            } else {
                let with = format!("{sent}; charset=utf-8");
                push(
                    "content-type",
                    format!("Content-Type {with:?}: the client signed that, and the charset was dropped after signing"),
                    &set(with.clone()),
                );
            }
            for t in COMMON_TYPES.iter().filter(|t| !sent.eq_ignore_ascii_case(t)) {
                push(
                    "content-type",
                    format!("Content-Type {t:?}: the client signed that, and it became {sent:?} after signing"),
                    &set((*t).to_owned()),
                );
            }
        }
        None => {
            for t in COMMON_TYPES {
                push("content-type", format!("Content-Type {t:?}: the client signed it, and the request arrived without one"), &|r| {
                    set_header(r, "Content-Type", t)
                });
            }
        }
    }

    for m in METHODS.iter().filter(|m| !base.method.eq_ignore_ascii_case(m)) {
        push("method", format!("method {m}: the client signed {m}, the request is {}", base.method), &|r| r.method = (*m).to_owned());
    }

    let (before_query, query) = match base.target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (base.target.clone(), None),
    };
    let with_path = |path: String| {
        let query = query.clone();
        move |r: &mut Request| r.target = query.as_ref().map_or(path.clone(), |q| format!("{path}?{q}"))
    };
    if let Some(q) = &query {
        push("request uri", format!("the target without its query ?{q}: the client signed the path alone"), &|r| {
            r.target = before_query.clone()
        });
    }
    let is_root =
        before_query == "/" || (before_query.contains("://") && before_query.matches('/').count() == 3 && before_query.ends_with('/'));
    if !is_root {
        let toggled = before_query.strip_suffix('/').map(str::to_owned).unwrap_or_else(|| format!("{before_query}/"));
        push(
            "request uri",
            format!("the path {toggled:?}: a trailing slash was added or dropped after signing"),
            &with_path(toggled.clone()),
        );
    }
    if before_query.contains('%') {
        let decoded = percent_decode_ascii(&before_query);
        push(
            "request uri",
            format!("the path {decoded:?}: the client signed it decoded, and it was sent percent-encoded"),
            &with_path(decoded.clone()),
        );
        let flipped = flip_percent_case(&before_query);
        push(
            "request uri",
            format!("the path {flipped:?}: the percent-encoding's letter case changed after signing"),
            &with_path(flipped.clone()),
        );
    }
    // Both rebuild an origin-form target as https://Host/...
    if matches!(plan.args.scheme, SchemeName::Timestamped | SchemeName::Rfc9421) {
        let other = if let Some(rest) = base.target.strip_prefix("https://") {
            Some(format!("http://{rest}"))
        } else {
            base.target.strip_prefix("http://").map(|rest| format!("https://{rest}"))
        };
        let other = other.or_else(|| header(&base.headers, "Host").map(|h| format!("http://{h}{}", base.target)));
        if let Some(url) = other {
            push(
                "url",
                format!(
                    "the URL {url:?}: the client signed the URL it called, and a server rebuilds https://Host/... from an origin-form target"
                ),
                &|r| r.target = url.clone(),
            );
        }
    }

    if !base.body.is_empty() {
        push("body", "an empty body: the client signed none".to_owned(), &|r| r.body.clear());
        match base.body.last() {
            Some(b'\n') => push("body", "the body without its final line break: one was added after signing".to_owned(), &|r| {
                r.body.pop();
            }),
            _ => push("body", "the body with a final line break: it was dropped after signing".to_owned(), &|r| r.body.push(b'\n')),
        }
        if base.body.contains(&b'\n') && !base.body.windows(2).any(|w| w == b"\r\n") {
            push("body", "the body with CRLF line ends: they became LF after signing".to_owned(), &|r| {
                r.body = r.body.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect()
            });
        }
        if base.body.windows(2).any(|w| w == b"\r\n") {
            push("body", "the body with LF line ends: they became CRLF after signing".to_owned(), &|r| {
                r.body = String::from_utf8_lossy(&r.body).replace("\r\n", "\n").into_bytes()
            });
        }
    }

    if let Ok(decoded) = std::str::from_utf8(secret).map_err(|_| ()).and_then(|s| BASE64.decode(s.trim()).map_err(|_| ()))
        && !decoded.is_empty()
    {
        out.push(Variant {
            topic: "secret",
            meaning: "the secret base64-decoded: the client decoded it, but the key is the secret's text (its UTF-8 bytes)".into(),
            request: base.clone(),
            secret: Some(decoded),
            scheme: None,
        });
    }
    let mut with_newline = secret.to_vec();
    with_newline.push(b'\n');
    out.push(Variant {
        topic: "secret",
        meaning: "the secret with a trailing line break: the client read it from a file without trimming it".into(),
        request: base.clone(),
        secret: Some(with_newline),
        scheme: None,
    });
    match plan.args.scheme {
        SchemeName::KongHmac => out.extend(kong::variants(plan).unwrap_or_default()),
        SchemeName::Hawk => out.extend(hawk::variants(plan)),
        _ => {}
    }
    out
}

fn set_header(r: &mut Request, name: &str, value: &str) {
    r.headers = without(&r.headers, &[name]);
    r.headers.push(Header::new(name, value));
}

/// `%XX` decoded where the byte is printable ASCII other than `/`, `?`, `%`.
fn percent_decode_ascii(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let byte = rest.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match byte {
            Some(b) if b.is_ascii_graphic() && !b"/?%".contains(&b) || b == b' ' => {
                out.push(b as char);
                rest = &rest[i + 3..];
            }
            _ => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `%2f` ↔ `%2F` for every escape.
fn flip_percent_case(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(h) = chars.next_if(char::is_ascii_hexdigit) {
                    out.push(if h.is_ascii_uppercase() { h.to_ascii_lowercase() } else { h.to_ascii_uppercase() });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rewrites() {
        assert_eq!(percent_decode_ascii("/caf%C3%A9/a%20b/%2F/%41"), "/caf%C3%A9/a b/%2F/A");
        assert_eq!(flip_percent_case("/a%2fb%3A"), "/a%2Fb%3a");
    }
}
