//! Component values (RFC 9421 section 2.1 and 2.2) and the signature base.
//!
//! Contract: [`resolve`] gives a component's value in a message, or a
//! [`Fault`]: header fields trimmed, unfolded and joined with `", "`, or
//! re-serialized for `sf`, `key` and `bs`; derived components from the
//! request target (absolute-form, or origin-form plus `Host`). Every value is
//! one line of printable ASCII. [`signature_base`] joins the values, in
//! order, with the `@signature-params` line last.

use sfv::{BareItem, Dictionary, FieldType as _, InnerList, Item, List, ListEntry, Parameters, Parser};

use super::components::{Component, Fault};
use super::message::MessageView;
use crate::request::{Header, RequestView};
use crate::target::Target;

/// The request target's parts as signed: the scheme and authority as sent.
pub(super) struct Uri<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    /// Whether the target spelled a path (`https://host?q` does not).
    path_given: bool,
    query: Option<&'a str>,
}

impl<'a> Uri<'a> {
    pub(super) fn of(request: &RequestView<'a>) -> std::result::Result<Self, Fault> {
        let target = Target::parse(request.target).map_err(|e| Fault::Message(e.reason().to_owned()))?;
        let (scheme, authority) = match (target.scheme, target.authority) {
            // Userinfo is not part of the authority a server sees.
            (Some(scheme), Some(authority)) => (scheme, authority.rsplit_once('@').map_or(authority, |(_, host)| host)),
            _ => {
                let mut hosts = request.header_values("Host");
                let host = hosts.next().ok_or_else(|| {
                    Fault::Message(format!(
                        "the target {:?} is origin-form and there is no Host header to give the authority",
                        request.target
                    ))
                })?;
                if hosts.next().is_some() {
                    return Err(Fault::Message("the request has more than one Host header".into()));
                }
                ("https", host.trim_matches([' ', '\t']))
            }
        };
        let path_given = target.scheme.is_none()
            || request.target.split('?').next().is_some_and(|t| t[t.find("://").map_or(0, |i| i + 3)..].contains('/'));
        Ok(Self { scheme, authority, path: target.path, path_given, query: target.query })
    }

    fn query_suffix(&self) -> String {
        self.query.map(|q| format!("?{q}")).unwrap_or_default()
    }

    /// Lower-case host, and the port unless it is the scheme's default.
    pub(super) fn normalized_authority(&self) -> String {
        let (host, port) = match self.authority.strip_prefix('[') {
            Some(_) => match self.authority.find(']') {
                Some(end) => (&self.authority[..=end], self.authority[end + 1..].strip_prefix(':')),
                None => (self.authority, None),
            },
            None => match self.authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (self.authority, None),
            },
        };
        let default_port = match self.scheme.to_ascii_lowercase().as_str() {
            "http" => Some("80"),
            "https" => Some("443"),
            _ => None,
        };
        match port {
            Some(port) if !port.is_empty() && Some(port.trim_start_matches('0')) != default_port => {
                format!("{}:{port}", host.to_ascii_lowercase())
            }
            _ => host.to_ascii_lowercase(),
        }
    }
}

/// `application/x-www-form-urlencoded` decoding of one name or value.
fn form_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 9421 section 2.2.8: the decoded value re-encoded with the HTML form
/// percent-encode set, a space as `%20`.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn query_param(query: Option<&str>, name: &str) -> std::result::Result<String, Fault> {
    let wanted = form_decode(name, false);
    let mut values = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .filter(|(key, _)| form_decode(key, true) == wanted)
        .map(|(_, value)| form_decode(value, true));
    let value = values.next().ok_or_else(|| Fault::Absent(format!("the query has no parameter {wanted:?}")))?;
    if values.next().is_some() {
        return Err(Fault::Message(format!("the query parameter {wanted:?} appears more than once, so it cannot be signed alone")));
    }
    Ok(form_encode(&value))
}

/// One field line as a component value: obsolete folds become one space,
/// surrounding SP/HTAB is trimmed.
pub(super) fn normalize_line(value: &str) -> String {
    if !value.contains("\r\n") {
        return value.trim_matches([' ', '\t']).to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find("\r\n") {
        let after = &rest[i + 2..];
        let unfolded = after.trim_start_matches([' ', '\t']);
        if unfolded.len() < after.len() {
            out.push_str(rest[..i].trim_end_matches([' ', '\t']));
            out.push(' ');
            rest = unfolded;
        } else {
            out.push_str(&rest[..i + 2]);
            rest = after;
        }
    }
    out.push_str(rest);
    out.trim_matches([' ', '\t']).to_owned()
}

/// Fields whose Structured Field type is known, for the `sf` parameter.
fn structured_type(name: &str) -> Option<&'static str> {
    match name {
        "content-digest"
        | "repr-digest"
        | "want-content-digest"
        | "want-repr-digest"
        | "signature"
        | "signature-input"
        | "accept-signature"
        | "priority" => Some("dictionary"),
        "accept-ch" | "cache-status" | "proxy-status" | "client-cert-chain" => Some("list"),
        "client-cert" => Some("item"),
        _ => None,
    }
}

fn resolve_field(headers: &[Header], component: &Component) -> std::result::Result<String, Fault> {
    let name = component.name();
    let lines = field_lines(headers, name);
    if lines.is_empty() {
        return Err(Fault::Absent(format!("the message has no {name} header")));
    }
    let not_sf = |what: &str| Fault::Message(format!("the {name} header is not a Structured Field {what}"));
    if component.flag("bs") {
        let mut list = List::new();
        for line in &lines {
            let bytes: Option<Vec<u8>> = line.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
            let bytes = bytes.ok_or_else(|| Fault::Message(format!("the {name} header has characters beyond Latin-1")))?;
            list.push(ListEntry::Item(Item::new(BareItem::ByteSequence(bytes))));
        }
        return Ok(list.serialize().unwrap_or_default());
    }
    if name == "set-cookie" && lines.len() > 1 {
        return Err(Fault::Message("several Set-Cookie lines can only be signed with the bs parameter".into()));
    }
    let joined = lines.join(", ");
    if let Some(key) = component.string_param("key") {
        let dict = Parser::new(&joined).parse::<Dictionary>().map_err(|_| not_sf("dictionary"))?;
        let member = dict.get(key).ok_or_else(|| Fault::Absent(format!("the {name} header has no member {key:?}")))?;
        return Ok(serialize_entry(member));
    }
    if component.flag("sf") {
        return match structured_type(name) {
            Some("dictionary") => {
                Ok(Parser::new(&joined).parse::<Dictionary>().map_err(|_| not_sf("dictionary"))?.serialize().unwrap_or_default())
            }
            Some("list") => Ok(Parser::new(&joined).parse::<List>().map_err(|_| not_sf("list"))?.serialize().unwrap_or_default()),
            Some(_) => Ok(Parser::new(&joined).parse::<Item>().map_err(|_| not_sf("item"))?.serialize()),
            None => Err(Fault::Unsupported(format!(
                "the Structured Field type of {name} is not known; cover a dictionary member with key=\"...\" instead"
            ))),
        };
    }
    Ok(joined)
}

fn resolve_derived(message: &MessageView<'_>, component: &Component) -> std::result::Result<String, Fault> {
    let name = component.name();
    let use_request = component.flag("req");
    if name == "@status" {
        return match (message.status, use_request) {
            (Some(status), false) => Ok(status.to_string()),
            _ => Err(Fault::Identifier("@status is only for a response's own signature".into())),
        };
    }
    if message.is_response() && !use_request {
        return Err(Fault::Identifier(format!("a response signature covers the request's {name} only with the req parameter")));
    }
    let request = message.request.ok_or_else(|| Fault::Message(format!("{name} needs the request this response answers")))?;
    let uri = Uri::of(&request)?;
    Ok(match name {
        "@method" => request.method.to_owned(),
        // RFC 9110 section 4.2.3: an empty OPTIONS path means the whole server, not `/`.
        "@target-uri" if request.method == "OPTIONS" && !uri.path_given => {
            format!("{}://{}{}", uri.scheme, uri.authority, uri.query_suffix())
        }
        "@target-uri" => format!("{}://{}{}{}", uri.scheme, uri.authority, uri.path, uri.query_suffix()),
        "@authority" => uri.normalized_authority(),
        "@scheme" => uri.scheme.to_ascii_lowercase(),
        "@request-target" if request.method == "CONNECT" => uri.authority.to_owned(),
        "@request-target" => format!("{}{}", uri.path, uri.query_suffix()),
        "@path" => uri.path.to_owned(),
        "@query" => format!("?{}", uri.query.unwrap_or("")),
        "@query-param" => query_param(uri.query, component.string_param("name").unwrap_or_default())?,
        other => return Err(Fault::Identifier(format!("{other:?} is not a derived component of RFC 9421"))),
    })
}

pub(super) fn resolve(message: &MessageView<'_>, component: &Component) -> std::result::Result<String, Fault> {
    let name = component.name();
    let value = if name.starts_with('@') {
        resolve_derived(message, component)?
    } else if component.flag("req") {
        if !message.is_response() {
            return Err(Fault::Identifier(format!("component {name:?}: req is only for a response's signature")));
        }
        let request = message.request.ok_or_else(|| Fault::Message(format!("{name};req needs the request this response answers")))?;
        resolve_field(request.headers, component)?
    } else {
        resolve_field(message.headers, component)?
    };
    // A base line must be one printable ASCII line; fields may also hold HTAB,
    // derived values neither HTAB nor surrounding spaces.
    let derived = name.starts_with('@');
    if !value.bytes().all(|b| (b' '..=b'~').contains(&b) || (b == b'\t' && !derived)) {
        return Err(Fault::Message(format!("the value of {name} has a line break, a control or a non-ASCII character")));
    }
    if derived && (value.starts_with(' ') || value.ends_with(' ')) {
        return Err(Fault::Message(format!("the value of {name} begins or ends with a space")));
    }
    Ok(value)
}

/// Every line of the field `name`, each normalized as a component value.
pub(super) fn field_lines(headers: &[Header], name: &str) -> Vec<String> {
    headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)).map(|h| normalize_line(&h.value)).collect()
}

/// A signature base, with what went into it.
pub(super) struct Base {
    pub(super) text: String,
    /// The `@signature-params` inner list, for `Signature-Input`.
    pub(super) signature_params: InnerList,
    /// Each covered component's value, in order.
    pub(super) values: Vec<String>,
}

pub(super) fn signature_base(message: &MessageView<'_>, components: &[Component], params: &Parameters) -> std::result::Result<Base, Fault> {
    let mut base = String::new();
    let mut values = Vec::with_capacity(components.len());
    let mut seen = Vec::with_capacity(components.len());
    for component in components {
        let identity = component.identity();
        if seen.contains(&identity) {
            return Err(Fault::Identifier(format!("component {} is covered twice", component.serialized())));
        }
        seen.push(identity);
        let value = resolve(message, component)?;
        base.push_str(&component.serialized());
        base.push_str(": ");
        base.push_str(&value);
        base.push('\n');
        values.push(value);
    }
    let inner = InnerList::with_params(components.iter().map(|c| c.item.clone()).collect(), params.clone());
    base.push_str("\"@signature-params\": ");
    base.push_str(&serialize_entry(&ListEntry::InnerList(inner.clone())));
    Ok(Base { text: base, signature_params: inner, values })
}

fn serialize_entry(entry: &ListEntry) -> String {
    let mut ser = sfv::ListSerializer::new();
    ser.members(std::iter::once(entry));
    ser.finish().unwrap_or_default()
}
