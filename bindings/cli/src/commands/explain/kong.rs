//! kong-hmac in `explain`: the signature header Kong reads (`Proxy-Authorization`
//! when it holds an hmac signature, else `Authorization`), its `headers` list
//! and algorithm, which the verifier follows; and Kong's usual mismatches as
//! guesses (the request line's HTTP version, a `Date` set again when sending).

use std::sync::Arc;

use hmacsig::Request;
use hmacsig::headers::KONG_HMAC_DIGEST;

use super::dates::{http_date_to_unix, unix_to_http_date};
use super::guesses::Variant;
use super::wire::Plan;
use super::{Finding, list};
use crate::args::{HeaderNameArg, HttpVersionArg, SchemeArgs};
use crate::commands::request::{header, without};
use crate::error::CliResult;
use crate::options;

const ALGORITHMS: [&str; 4] = ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"];
const DATES: [&str; 2] = ["X-Date", "Date"];

/// The four values of an `hmac username="…", algorithm="…", headers="…", signature="…"` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub username: String,
    pub algorithm: String,
    pub headers: Vec<String>,
    pub signature: String,
}

/// The fields of a kong-hmac header, read as loosely as Kong's expression
/// (`hmac` in any case, spaces optional); the core parses strictly.
pub fn parse(value: &str) -> Option<Fields> {
    let start = value.to_ascii_lowercase().find("hmac")? + 4;
    let rest = &value[start..];
    let mut values = Vec::new();
    let mut at = 0;
    for (i, name) in ["username", "algorithm", "headers", "signature"].iter().enumerate() {
        let opening = format!("{name}=\"");
        let begin = at + rest[at..].find(&opening)? + opening.len();
        let end = if i == 3 { rest.rfind('"').filter(|&e| e >= begin)? } else { begin + rest[begin..].find("\",")? };
        values.push(rest[begin..end].to_owned());
        at = end;
    }
    let [username, algorithm, headers, signature] = <[String; 4]>::try_from(values).ok()?;
    let headers = headers.split(' ').filter(|n| !n.is_empty()).map(str::to_owned).collect();
    Some(Fields { username, algorithm, headers, signature })
}

/// The header Kong reads the signature from, with its fields.
pub fn signature_header(headers: &[hmacsig::Header]) -> Option<(&'static str, Fields)> {
    let proxy = header(headers, "Proxy-Authorization").and_then(parse).map(|f| ("Proxy-Authorization", f));
    proxy.or_else(|| header(headers, "Authorization").and_then(parse).map(|f| ("Authorization", f)))
}

/// Adjusts `a` and `request` to what the received signature says; returns
/// the time its `X-Date` or `Date` states.
pub fn plan(a: &mut SchemeArgs, request: &mut Request, notes: &mut Vec<Finding>, clock: i64) -> Option<i64> {
    if let Some((name, fields)) = signature_header(&request.headers) {
        // A verifier has no list of its own: it signs what the request lists.
        if !a.cover.is_empty() && a.cover != fields.headers {
            notes.push(Finding::new(
                "headers",
                format!(
                    "the signature lists {}; --cover gives {}. A verifier signs what the request lists, so that is signed here",
                    list(&fields.headers),
                    list(&a.cover)
                ),
            ));
        }
        a.cover = fields.headers;
        if ALGORITHMS.contains(&fields.algorithm.as_str()) {
            if let Some(ours) = a.algorithm.as_deref().filter(|ours| *ours != fields.algorithm) {
                notes.push(Finding::new(
                    "algorithm",
                    format!("the request is signed {}; --algorithm gives {ours}. A verifier uses the request's (unless --allow-algorithm leaves it out), so it is checked here", fields.algorithm),
                ));
            }
            a.algorithm = Some(fields.algorithm);
        }
        a.header_name = Some(if name == "Proxy-Authorization" { HeaderNameArg::ProxyAuthorization } else { HeaderNameArg::Authorization });
        request.headers = without(&request.headers, &[name]);
    }
    if a.digest_header && header(&request.headers, KONG_HMAC_DIGEST).is_some() {
        // Sign the received Digest as it is, so that a changed body shows as one.
        a.digest_header = false;
    }
    let listed = |n: &str| a.cover.iter().any(|c| c.eq_ignore_ascii_case(n));
    for name in DATES.iter().filter(|n| listed(n) && header(&request.headers, n).is_none()) {
        notes.push(Finding::new(
            "date",
            format!(
                "the signature lists {} but the request has no {name} header: signed with {name} for {clock} (--now or the clock)",
                name.to_ascii_lowercase()
            ),
        ));
    }
    DATES.iter().find_map(|n| header(&request.headers, n).and_then(http_date_to_unix))
}

/// The signature a request carries.
pub fn signature_in(headers: &[hmacsig::Header]) -> Option<String> {
    signature_header(headers).map(|(_, f)| f.signature).filter(|s| !s.is_empty())
}

/// What a kong-hmac signature covers.
pub fn covered(plan: &Plan) -> String {
    format!(
        "the values of its headers list ({}): headers, @request-target (method, path and query) or request-line",
        list(&plan.args.cover)
    )
}

/// Kong's usual mismatches: another HTTP version in `request-line`, and a
/// signed date header whose value changed by a few seconds when sending.
pub fn variants(plan: &Plan) -> CliResult<Vec<Variant>> {
    let mut out = Vec::new();
    let listed = |n: &str| plan.args.cover.iter().any(|c| c.eq_ignore_ascii_case(n));
    if listed("request-line") {
        let current = plan.args.http_version.unwrap_or(HttpVersionArg::V11);
        for version in [HttpVersionArg::V10, HttpVersionArg::V11, HttpVersionArg::V20].into_iter().filter(|v| *v != current) {
            let mut args = plan.args.clone();
            args.http_version = Some(version);
            out.push(Variant {
                topic: "request line",
                meaning: format!(
                    "request-line with HTTP/{v}: the client signed the version it sent, and this verifier writes HTTP/{}; give --http-version {v}",
                    current.as_str(),
                    v = version.as_str()
                ),
                request: plan.request.clone(),
                secret: None,
                scheme: Some(Arc::clone(&options::scheme(&args)?)),
            });
        }
    }
    for name in DATES.iter().filter(|n| listed(n)) {
        let Some(sent) = header(&plan.request.headers, name).and_then(http_date_to_unix) else { continue };
        for delta in (-5..=5).filter(|d| *d != 0) {
            let date = unix_to_http_date(sent + delta);
            let mut request = plan.request.clone();
            request.headers = without(&request.headers, &[name]);
            request.headers.push(hmacsig::Header::new(*name, date.clone()));
            let (n, way) = if delta < 0 { (-delta, "earlier") } else { (delta, "later") };
            out.push(Variant {
                topic: "date",
                meaning: format!("{name} {date:?}, {n} s {way}: the client signed one {name} and sent another (its HTTP library set it again when sending); sign the header you send"),
                request,
                secret: None,
                scheme: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_as_kong_reads_them() {
        let f = parse(r#"hmac username="bob", algorithm="hmac-sha1", headers="date @request-target", signature="ab+c=""#).unwrap();
        assert_eq!((f.username.as_str(), f.algorithm.as_str(), f.signature.as_str()), ("bob", "hmac-sha1", "ab+c="));
        assert_eq!(f.headers, ["date", "@request-target"]);
        let tight = parse(r#"HMAC username="u",algorithm="hmac-sha256",headers="date",signature="x""#).unwrap();
        assert_eq!(tight.headers, ["date"]);
        assert_eq!(parse("Basic dXNlcjpwdw=="), None);
    }
}
