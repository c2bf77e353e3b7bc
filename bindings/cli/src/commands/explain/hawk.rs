//! hawk in `explain`: the `ts`, `nonce`, `hash`, `ext`, `app` and `dlg` of the
//! `Authorization` header, or a bewit's expiry and `ext`, which the verifier
//! follows; the host and port it reads (the policy's behind a proxy); and
//! Hawk's most common failure as guesses: a client that signed the public
//! host and port of a server behind a proxy or TLS terminator.

use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmacsig::{Header, Request, SignedRequest, defaults};

use super::Finding;
use super::guesses::Variant;
use super::wire::Plan;
use crate::args::{PolicyArgs, SchemeArgs, SignatureTypeArg};
use crate::commands::request::{header, without};

/// Ports tried besides the request's: the web's, and the usual development ones.
const PORTS: [u16; 6] = [80, 443, 8080, 8443, 8000, 3000];

/// The attributes of a `Hawk id="…", ts="…", …` header (`name="value"`,
/// values without quotes), `None` for another scheme or another shape.
pub fn attributes(value: &str) -> Option<Vec<(String, String)>> {
    let (scheme, mut rest) = value.trim_start().split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("hawk") {
        return None;
    }
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Some(out);
        }
        let (name, after) = rest.split_once("=\"")?;
        let (value, after) = after.split_once('"')?;
        out.push((name.trim().to_owned(), value.to_owned()));
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The last `bewit=` item of a target's query, and the target without it.
fn split_bewit(target: &str) -> Option<(String, String)> {
    let (path, query) = target.split_once('?')?;
    let items: Vec<&str> = query.split('&').collect();
    let at = items.iter().rposition(|i| i.starts_with("bewit="))?;
    let kept: Vec<&str> = items.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, v)| *v).collect();
    let rest = if kept.is_empty() { path.to_owned() } else { format!("{path}?{}", kept.join("&")) };
    Some((items[at]["bewit=".len()..].to_owned(), rest))
}

/// A bewit's id, expiry, MAC and ext.
fn decode_bewit(bewit: &str) -> Option<[String; 4]> {
    let bytes = URL_SAFE_NO_PAD.decode(bewit.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let parts: Vec<String> = text.split('\\').map(str::to_owned).collect();
    <[String; 4]>::try_from(parts).ok()
}

/// Adjusts `a` and `request` to what the received signature says; returns
/// the time it was signed (`ts`, or a bewit's expiry less the ttl).
pub fn plan(a: &mut SchemeArgs, policy: &PolicyArgs, request: &mut Request, notes: &mut Vec<Finding>) -> Option<i64> {
    let mut claimed = None;
    if let Some([_, exp, _, ext]) = split_bewit(&request.target).and_then(|(b, _)| decode_bewit(&b)) {
        if a.signature_type != Some(SignatureTypeArg::Query) {
            notes.push(Finding::new(
                "bewit",
                "the request carries a bewit: a verifier takes it only with --signature-type query (else it looks for Authorization)",
            ));
        }
        a.signature_type = Some(SignatureTypeArg::Query);
        a.ext = Some(ext).filter(|e| !e.is_empty());
        let ttl = a.ttl.unwrap_or(defaults::HAWK_TTL);
        claimed = exp.parse::<i64>().ok().map(|e| e - i64::from(ttl));
        request.target = split_bewit(&request.target).map(|(_, rest)| rest).unwrap_or_default();
    } else if let Some(attrs) = header(&request.headers, "Authorization").and_then(attributes) {
        if a.signature_type == Some(SignatureTypeArg::Query) {
            notes.push(Finding::new("bewit", "the request has a Hawk Authorization header, no bewit: checked as a header here"));
        }
        a.signature_type = None;
        claimed = attribute(&attrs, "ts").and_then(|t| t.parse().ok());
        a.nonce = attribute(&attrs, "nonce").map(str::to_owned);
        a.ext = attribute(&attrs, "ext").map(str::to_owned);
        a.app = attribute(&attrs, "app").map(str::to_owned);
        a.dlg = attribute(&attrs, "dlg").map(str::to_owned);
        a.no_payload_hash = attribute(&attrs, "hash").is_none();
        request.headers = without(&request.headers, &["Authorization"]);
    }
    if (policy.host.is_some() || policy.port.is_some())
        && let Some((host, port, resource)) = location(request)
    {
        // Sign what the verifier reads: the policy's host and port.
        let host = policy.host.clone().unwrap_or(host);
        request.target = url(&host, policy.port.unwrap_or(port), &resource);
    }
    claimed
}

/// Host, port and path-and-query of a request as hawk's server reads them:
/// an absolute target's (80 for http, else 443), else `Host`'s (else 80).
pub fn location(request: &Request) -> Option<(String, u16, String)> {
    let (authority, resource, default) = match request.target.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let resource = if rest[end..].starts_with('/') { rest[end..].to_owned() } else { format!("/{}", &rest[end..]) };
            (rest[..end].to_owned(), resource, if scheme.eq_ignore_ascii_case("http") { 80 } else { 443 })
        }
        None => (header(&request.headers, "Host")?.trim().to_owned(), request.target.clone(), 80),
    };
    let authority = authority.rsplit_once('@').map_or(authority.as_str(), |(_, a)| a);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.starts_with('[') || host.ends_with(']') => (host, port.parse().ok()?),
        _ => (authority, default),
    };
    Some((host.to_ascii_lowercase(), port, resource))
}

fn url(host: &str, port: u16, resource: &str) -> String {
    format!("http://{host}:{port}{resource}")
}

/// The signature a request carries: a bewit's MAC, or the header's `mac`.
pub fn signature_in(headers: &[Header], target: &str) -> Option<String> {
    if let Some([_, _, mac, _]) = split_bewit(target).and_then(|(b, _)| decode_bewit(&b)) {
        return Some(mac);
    }
    attribute(&attributes(header(headers, "Authorization")?)?, "mac").map(str::to_owned)
}

/// What a Hawk MAC covers.
pub fn covered(plan: &Plan) -> String {
    match plan.args.signature_type {
        Some(SignatureTypeArg::Query) => "the bewit's expiry time, GET, the path and query without the bewit, host, port and ext",
        _ => "the ts, nonce, method, path and query, host, port, payload hash (of the body and Content-Type), ext, app and dlg",
    }
    .to_owned()
}

/// The lines of a normalized string, by name.
pub fn fields(sts: &[u8]) -> Option<Vec<(String, Range<usize>)>> {
    let text = std::str::from_utf8(sts).ok()?;
    let time = if text.starts_with("hawk.1.bewit\n") { "exp" } else { "ts" };
    let names = ["type", time, "nonce", "method", "resource", "host", "port", "hash", "ext", "app", "dlg"];
    let mut out = Vec::new();
    let mut at = 0;
    for (line, name) in text.strip_suffix('\n')?.split('\n').zip(names) {
        out.push((name.to_owned(), at..at + line.len()));
        at += line.len() + 1;
    }
    Some(out)
}

/// A payload hash the request carries that is not its body's: the body or
/// its Content-Type changed after signing.
pub fn hash_finding(received: &Request, ours: &SignedRequest) -> Option<Finding> {
    let sent = attributes(header(&received.headers, "Authorization")?)?;
    let sent = attribute(&sent, "hash")?;
    let computed = ours.headers.iter().find_map(|h| attribute(&attributes(&h.value)?, "hash").map(str::to_owned))?;
    (sent != computed).then(|| {
        let content_type = header(&received.headers, "Content-Type").unwrap_or("");
        Finding::new(
            "body",
            format!(
                "the request's payload hash {sent:?} is not that of its {}-byte body with Content-Type {content_type:?} ({computed:?}): \
                 the body or its Content-Type (apart from parameters) changed after signing, or the client hashed other bytes",
                received.body.len()
            ),
        )
    })
}

/// Host and port a client signed when the server sees other ones: behind a
/// proxy or TLS terminator (X-Forwarded-Host, X-Forwarded-Port, the
/// usual ports), the most common reason a Hawk MAC differs.
pub fn variants(plan: &Plan) -> Vec<Variant> {
    let Some((host, port, resource)) = location(&plan.request) else { return vec![] };
    let forwarded = |name: &str| header(&plan.request.headers, name).and_then(|v| v.split(',').next()).map(|v| v.trim().to_owned());
    let mut hosts = vec![host.clone()];
    let mut ports: Vec<u16> = vec![port];
    if let Some(h) = forwarded("X-Forwarded-Host") {
        let (name, p) = match h.rsplit_once(':') {
            Some((name, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (name.to_owned(), p.parse::<u16>().ok()),
            _ => (h.clone(), None),
        };
        hosts.push(name.to_ascii_lowercase());
        ports.extend(p);
    }
    ports.extend(forwarded("X-Forwarded-Port").and_then(|p| p.parse::<u16>().ok()));
    ports.extend(PORTS);
    hosts.dedup();
    let mut seen = vec![(host.clone(), port)];
    let mut out = Vec::new();
    for h in &hosts {
        for p in &ports {
            if seen.contains(&(h.clone(), *p)) {
                continue;
            }
            seen.push((h.clone(), *p));
            let mut request = plan.request.clone();
            request.target = url(h, *p, &resource);
            let flags = if *h == host { format!("--port {p}") } else { format!("--host {h} --port {p}") };
            out.push(Variant {
                topic: "host",
                meaning: format!(
                    "host {h} and port {p}: the client signed the URL it called, and the request reached this server as {host}:{port} \
                     (behind a proxy or TLS terminator); verify with {flags}"
                ),
                request,
                secret: None,
                scheme: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bewits_and_locations() {
        let bewit = URL_SAFE_NO_PAD.encode("id\\1700000060\\bWFj\\x");
        let (item, rest) = split_bewit(&format!("/r?a=1&bewit={bewit}&b=2")).unwrap();
        assert_eq!((decode_bewit(&item).unwrap()[1].as_str(), rest.as_str()), ("1700000060", "/r?a=1&b=2"));
        let request = |target: &str, host: &str| Request {
            method: "GET".into(),
            target: target.into(),
            headers: vec![Header::new("Host", host)],
            body: vec![],
        };
        assert_eq!(location(&request("/x?y", "Example.com")), Some(("example.com".into(), 80, "/x?y".into())));
        assert_eq!(location(&request("/x", "h:8000")), Some(("h".into(), 8000, "/x".into())));
        assert_eq!(location(&request("https://h?q", "")), Some(("h".into(), 443, "/?q".into())));
        let attrs = attributes(r#"Hawk id="d", ts="1", nonce="n", ext="a, b=c", mac="m=""#).unwrap();
        assert_eq!((attribute(&attrs, "ext"), attribute(&attrs, "mac")), (Some("a, b=c"), Some("m=")));
    }
}
