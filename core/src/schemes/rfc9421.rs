//! rfc9421: HTTP Message Signatures (RFC 9421) with `hmac-sha256`.
//!
//! ```text
//! signature base = one line per covered component, in order:
//!                    "<component id>": <value>
//!                  then
//!                    "@signature-params": (<component ids>);created=..;keyid=".."...
//!                  joined with LF, no trailing LF
//! signature      = HMAC-SHA256(secret, signature base)
//! Signature-Input: <label>=(<component ids>);<params>
//! Signature:       <label>=:<base64 signature>:
//! ```
//!
//! Component values: header fields are each line trimmed of SP/HTAB, obsolete
//! folds replaced by one space, repeated lines joined with `", "`; `sf`, `key`
//! and `bs` re-serialize them (RFC 9421 section 2.1). Derived components
//! (section 2.2) come from the request target, absolute-form or origin-form
//! plus `Host` (scheme `https` then). Parameters are written in the order
//! `created`, `keyid`, `alg`, `expires`, `nonce`, `tag`, as the Python
//! library http-message-signatures writes them.
//!
//! Verification (stricter than the RFC requires): `created` and `keyid` are
//! required, `alg` when present must be `hmac-sha256`, unknown parameters are
//! refused, the policy's required components must be covered, and a body (or
//! any `Content-Digest`) must be covered by a `Content-Digest` that matches.
//! Several signatures may be present: those the policy selects (by label or
//! tag) and made with the verifying key id must all verify.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sfv::visitor::{DictionaryVisitor, EntryVisitor, Ignored};
use sfv::{BareItem, Dictionary, FieldType as _, InnerList, Item, KeyRef, List, ListEntry, Parameters, Parser, StringRef};

use crate::body::Body;
use crate::content_digest::ContentDigest;
use crate::error::{HmacSigError, Result};
use crate::mac::Algorithm;
use crate::request::{Folding, Header, RequestView, is_token, validate_header_lines};
use crate::signed::{SignedRequest, Verified};
use crate::target::Target;

pub const ALGORITHM: &str = "hmac-sha256";
pub const SIGNATURE_INPUT_HEADER: &str = "Signature-Input";
pub const SIGNATURE_HEADER: &str = "Signature";
pub const CONTENT_DIGEST_HEADER: &str = "Content-Digest";

/// What the library signs by default, as http-message-signatures does.
pub const DEFAULT_COMPONENTS: [&str; 3] = ["@method", "@authority", "@target-uri"];
/// What a request's signature must cover unless the policy says otherwise.
pub const DEFAULT_REQUIRED_FOR_REQUESTS: [&str; 2] = ["@method", "@target-uri"];
/// What a response's signature must cover unless the policy says otherwise.
pub const DEFAULT_REQUIRED_FOR_RESPONSES: [&str; 1] = ["@status"];

const DERIVED: [&str; 9] =
    ["@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query", "@query-param", "@status"];

/// A covered component identifier: a lower-case name with parameters, such
/// as `"content-type"` or `"@query-param";name="id"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    item: Item,
}

/// Why a component could not be resolved; each becomes a different error
/// kind when signing and when verifying.
#[derive(Debug)]
enum Fault {
    /// The identifier itself is wrong (unknown derived name, bad parameter).
    Identifier(String),
    /// A valid identifier this library does not offer (`tr`, unknown `sf` types).
    Unsupported(String),
    /// The message lacks what the identifier names (a header, a query parameter).
    Absent(String),
    /// The message has it, but its value cannot go into a signature base.
    Message(String),
}

impl Fault {
    fn when_signing(self) -> HmacSigError {
        match self {
            Self::Identifier(r) | Self::Unsupported(r) => HmacSigError::unsupported(r),
            Self::Absent(r) | Self::Message(r) => HmacSigError::invalid_request(r),
        }
    }

    /// Verifying, an absent component means the message is not the one that
    /// was signed: a bad signature, with nothing MACed.
    fn when_verifying(self) -> HmacSigError {
        match self {
            Self::Identifier(r) => HmacSigError::malformed_authorization(r),
            Self::Unsupported(r) => HmacSigError::unsupported(r),
            Self::Absent(r) => {
                HmacSigError::BadSignature { reason: format!("signature does not match: {r}"), string_to_sign: String::new() }
            }
            Self::Message(r) => HmacSigError::invalid_request(r),
        }
    }
}

impl Component {
    /// Parses `@method`, `content-type`, `@query-param;name="id"` or the
    /// serialized form `"@query-param";name="id"`.
    pub fn parse(spec: &str) -> Result<Self> {
        let unusable = |why: &str| HmacSigError::unsupported(format!("component {spec:?} {why}"));
        let serialized: Cow<'_, str> = if spec.starts_with('"') {
            Cow::Borrowed(spec)
        } else {
            let (name, params) = spec.find(';').map_or((spec, ""), |i| spec.split_at(i));
            let name = StringRef::from_str(name).map_err(|_| unusable("is not printable ASCII"))?;
            Cow::Owned(format!("{}{params}", sfv::ItemSerializer::new().bare_item(name).finish()))
        };
        let item =
            Parser::new(serialized.as_ref()).parse::<Item>().map_err(|e| unusable(&format!("is not a component identifier: {e}")))?;
        let component = Self { item };
        component.check().map_err(Fault::when_signing)?;
        Ok(component)
    }

    fn from_item(item: Item) -> std::result::Result<Self, Fault> {
        let component = Self { item };
        component.check()?;
        Ok(component)
    }

    pub fn name(&self) -> &str {
        match &self.item.bare_item {
            BareItem::String(s) => s.as_str(),
            _ => "",
        }
    }

    fn flag(&self, key: &str) -> bool {
        self.item.params.get(key).and_then(BareItem::as_boolean) == Some(true)
    }

    fn string_param(&self, key: &str) -> Option<&str> {
        self.item.params.get(key).and_then(|v| v.as_string()).map(StringRef::as_str)
    }

    /// The identifier as it appears in `Signature-Input` and the base.
    pub fn serialized(&self) -> String {
        self.item.serialize()
    }

    /// Name and parameters, ignoring the parameters' order (RFC 9421 section 2).
    fn identity(&self) -> (String, Vec<(String, String)>) {
        let mut params: Vec<(String, String)> =
            self.item.params.iter().map(|(k, v)| (k.as_str().to_owned(), sfv::ItemSerializer::new().bare_item(v).finish())).collect();
        params.sort();
        (self.name().to_owned(), params)
    }

    fn is_content_digest(&self) -> bool {
        self.name() == "content-digest" && self.item.params.keys().all(|k| matches!(k.as_str(), "sf" | "key"))
    }

    /// Checks the identifier alone, without a message.
    fn check(&self) -> std::result::Result<(), Fault> {
        let BareItem::String(name) = &self.item.bare_item else {
            return Err(Fault::Identifier(format!("component identifier {} is not a string", self.serialized())));
        };
        let name = name.as_str();
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(Fault::Identifier(format!("component name {name:?} must be lower case and not empty")));
        }
        for (key, value) in &self.item.params {
            let well_typed = match key.as_str() {
                "req" | "sf" | "bs" => value.as_boolean() == Some(true),
                "key" | "name" => value.as_string().is_some(),
                "tr" => return Err(Fault::Unsupported(format!("component {name:?}: trailer fields (tr) are not supported"))),
                other => return Err(Fault::Identifier(format!("component {name:?} has an unknown parameter {other:?}"))),
            };
            if !well_typed {
                return Err(Fault::Identifier(format!("component {name:?}: parameter {:?} has the wrong type", key.as_str())));
            }
        }
        let has = |k: &str| self.item.params.contains_key(k);
        if name.starts_with('@') {
            if !DERIVED.contains(&name) {
                return Err(Fault::Identifier(format!("{name:?} is not a derived component of RFC 9421")));
            }
            if has("sf") || has("key") || has("bs") {
                return Err(Fault::Identifier(format!("derived component {name:?} takes no sf, key or bs parameter")));
            }
            if (name == "@query-param") != has("name") {
                return Err(Fault::Identifier(format!("only @query-param takes, and it needs, a name parameter (in {name:?})")));
            }
        } else {
            if !is_token(name) {
                return Err(Fault::Identifier(format!("{name:?} is not a header field name")));
            }
            if has("name") {
                return Err(Fault::Identifier(format!("header field {name:?} takes no name parameter")));
            }
            if has("bs") && (has("sf") || has("key")) {
                return Err(Fault::Identifier(format!("component {name:?}: bs cannot be combined with sf or key")));
            }
        }
        Ok(())
    }
}

/// A message to sign or verify: a request, or a response with the request it answers.
#[derive(Debug, Clone, Copy)]
pub struct MessageView<'a> {
    pub headers: &'a [Header],
    pub body: Body<'a>,
    /// `Some` for a response.
    pub status: Option<u16>,
    /// The request itself, or the request a response answers (if known).
    pub request: Option<RequestView<'a>>,
}

impl<'a> MessageView<'a> {
    pub fn request(request: RequestView<'a>) -> Self {
        Self { headers: request.headers, body: request.body, status: None, request: Some(request) }
    }

    fn validate(&self) -> Result<()> {
        if let Some(status) = self.status
            && !(100..=999).contains(&status)
        {
            return Err(HmacSigError::invalid_request(format!("the status {status} is not a three-digit HTTP status")));
        }
        if let Some(request) = self.request {
            request.validate_with(Folding::Allowed)?;
            Target::parse(request.target)?;
        }
        validate_header_lines(self.headers, Folding::Allowed)
    }

    fn is_response(&self) -> bool {
        self.status.is_some()
    }
}

/// The request target's parts as signed: the scheme and authority as sent.
struct Uri<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    /// Whether the target spelled a path (`https://host?q` does not).
    path_given: bool,
    query: Option<&'a str>,
}

impl<'a> Uri<'a> {
    fn of(request: &RequestView<'a>) -> std::result::Result<Self, Fault> {
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
    fn normalized_authority(&self) -> String {
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

fn query_param(query: Option<&str>, name: &str) -> std::result::Result<String, Fault> {
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
fn normalize_line(value: &str) -> String {
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

fn resolve(message: &MessageView<'_>, component: &Component) -> std::result::Result<String, Fault> {
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

/// The signature base and the serialized `@signature-params` inner list.
/// A signature base, with what went into it.
struct Base {
    text: String,
    /// The `@signature-params` inner list, for `Signature-Input`.
    signature_params: InnerList,
    /// Each covered component's value, in order.
    values: Vec<String>,
}

fn signature_base(message: &MessageView<'_>, components: &[Component], params: &Parameters) -> std::result::Result<Base, Fault> {
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

/// The scheme's options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub label: String,
    pub components: Vec<Component>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub nonce: Option<String>,
    pub tag: Option<String>,
    pub include_alg: bool,
    pub content_digest: Option<ContentDigest>,
}

impl Options {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        components: Option<Vec<String>>,
        label: String,
        created: Option<i64>,
        expires: Option<i64>,
        nonce: Option<String>,
        tag: Option<String>,
        include_alg: bool,
        content_digest: Option<ContentDigest>,
    ) -> Result<Self> {
        let components = match components {
            Some(specs) => specs.iter().map(|s| Component::parse(s)).collect::<Result<Vec<_>>>()?,
            None => DEFAULT_COMPONENTS.iter().map(|s| Component::parse(s)).collect::<Result<Vec<_>>>()?,
        };
        let options = Self { label, components, created, expires, nonce, tag, include_alg, content_digest };
        options.parameters("", 0)?;
        if KeyRef::from_str(&options.label).is_err() {
            return Err(HmacSigError::unsupported(format!(
                "rfc9421 label {:?} must be a Structured Field key: lower case letters, digits, '_', '-', '.', '*'",
                options.label
            )));
        }
        let mut seen = Vec::new();
        for c in &options.components {
            if seen.contains(&c.identity()) {
                return Err(HmacSigError::unsupported(format!("rfc9421 component {} is listed twice", c.serialized())));
            }
            seen.push(c.identity());
        }
        Ok(options)
    }

    /// `created`, `keyid`, `alg`, `expires`, `nonce`, `tag`, in that order.
    fn parameters(&self, key_id: &str, now: i64) -> Result<Parameters> {
        let mut params = Parameters::new();
        let key = |k: &str| KeyRef::from_str(k).expect("parameter names are keys").to_owned();
        let integer = |name: &str, v: i64| {
            sfv::Integer::try_from(v)
                .map(BareItem::Integer)
                .map_err(|_| HmacSigError::unsupported(format!("rfc9421 {name} {v} is out of the Structured Field integer range")))
        };
        let string = |name: &str, v: &str| {
            StringRef::from_str(v)
                .map(|s| BareItem::String(s.to_owned()))
                .map_err(|_| HmacSigError::unsupported(format!("rfc9421 {name} {v:?} must be printable ASCII")))
        };
        params.insert(key("created"), integer("created", self.created.unwrap_or(now))?);
        params.insert(key("keyid"), string("keyid", key_id)?);
        if self.include_alg {
            params.insert(key("alg"), string("alg", ALGORITHM)?);
        }
        if let Some(expires) = self.expires {
            params.insert(key("expires"), integer("expires", expires)?);
        }
        if let Some(nonce) = &self.nonce {
            params.insert(key("nonce"), string("nonce", nonce)?);
        }
        if let Some(tag) = &self.tag {
            params.insert(key("tag"), string("tag", tag)?);
        }
        Ok(params)
    }
}

/// How strictly to verify.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Oldest accepted `created`, in seconds before now.
    pub max_age: u32,
    /// Tolerance for `created` in the future, `expires` in the past and `max_age`.
    pub clock_skew: u32,
    /// What every verified signature must cover; `None`: `@method` and
    /// `@target-uri` for a request, `@status` for a response.
    pub required_components: Option<Vec<Component>>,
    /// Verify only the signature with this label.
    pub label: Option<String>,
    /// Verify only signatures whose `tag` parameter is this.
    pub tag: Option<String>,
    /// Accept a body that no signed `Content-Digest` covers.
    pub allow_unsigned_body: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self { max_age: 300, clock_skew: 5, required_components: None, label: None, tag: None, allow_unsigned_body: false }
    }
}

impl Policy {
    pub fn parse_components(specs: Option<Vec<String>>) -> Result<Option<Vec<Component>>> {
        specs.map(|specs| specs.iter().map(|s| Component::parse(s)).collect()).transpose()
    }
}

/// Every line of the field `name`, each normalized as a component value.
fn field_lines(headers: &[Header], name: &str) -> Vec<String> {
    headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)).map(|h| normalize_line(&h.value)).collect()
}

/// The field's lines joined with `", "`; `None` when it is absent.
fn combined(headers: &[Header], name: &str) -> Option<String> {
    let lines = field_lines(headers, name);
    (!lines.is_empty()).then(|| lines.join(", "))
}

/// Collects a dictionary's keys in order, duplicates included.
struct Keys(Vec<String>);

impl<'de> DictionaryVisitor<'de> for Keys {
    type Out = Vec<String>;
    type Error = std::convert::Infallible;

    fn entry(&mut self, key: &'de KeyRef) -> std::result::Result<impl EntryVisitor<'de>, Self::Error> {
        self.0.push(key.as_str().to_owned());
        Ok(Ignored)
    }

    fn finish(self) -> std::result::Result<Self::Out, Self::Error> {
        Ok(self.0)
    }
}

/// Parses a signature dictionary; a label given twice is an error rather
/// than the last one silently winning.
fn parse_signature_dictionary(value: &str, field: &str) -> std::result::Result<Dictionary, String> {
    let keys =
        Parser::new(value).parse_dictionary_with_visitor(Keys(Vec::new())).map_err(|e| format!("{field} is not a dictionary: {e}"))?;
    let dict = Parser::new(value).parse::<Dictionary>().map_err(|e| format!("{field} is not a dictionary: {e}"))?;
    if keys.len() != dict.len() {
        return Err(format!("{field} names a label more than once"));
    }
    Ok(dict)
}

/// The `Signature-Input` and `Signature` dictionaries already in a message.
fn existing_signatures(headers: &[Header]) -> std::result::Result<Option<(Dictionary, Dictionary)>, String> {
    match (combined(headers, SIGNATURE_INPUT_HEADER), combined(headers, SIGNATURE_HEADER)) {
        (None, None) => Ok(None),
        (Some(input), Some(signature)) => {
            let inputs = parse_signature_dictionary(&input, SIGNATURE_INPUT_HEADER)?;
            let signatures = parse_signature_dictionary(&signature, SIGNATURE_HEADER)?;
            let sorted = |d: &Dictionary| {
                let mut keys: Vec<&str> = d.keys().map(|k| k.as_str()).collect();
                keys.sort_unstable();
                keys.join(",")
            };
            if sorted(&inputs) != sorted(&signatures) {
                return Err(format!("{SIGNATURE_INPUT_HEADER} and {SIGNATURE_HEADER} name different labels"));
            }
            Ok(Some((inputs, signatures)))
        }
        (Some(_), None) => Err(format!("the message has {SIGNATURE_INPUT_HEADER} but no {SIGNATURE_HEADER}")),
        (None, Some(_)) => Err(format!("the message has {SIGNATURE_HEADER} but no {SIGNATURE_INPUT_HEADER}")),
    }
}

/// Signs `message`. Returns `Content-Digest` (when the options add one),
/// then `Signature-Input` and `Signature`; signatures already in the message
/// are kept, and the new one is added under its own label.
pub fn sign(message: &MessageView<'_>, options: &Options, key_id: &str, secret: &[u8], now: i64) -> Result<SignedRequest> {
    message.validate()?;
    let mut added = Vec::new();
    let mut components = Cow::Borrowed(&options.components);
    let mut headers = Cow::Borrowed(message.headers);
    if let Some(digest) = options.content_digest {
        if headers.iter().any(|h| h.name.eq_ignore_ascii_case(CONTENT_DIGEST_HEADER)) {
            return Err(HmacSigError::invalid_request(format!(
                "the message already has a {CONTENT_DIGEST_HEADER} header; sign without content_digest to cover it as it is"
            )));
        }
        let value = digest.field_value_of_digest(&message.body.digest(digest, "the rfc9421 Content-Digest")?);
        let header = Header::new(CONTENT_DIGEST_HEADER, value);
        headers.to_mut().push(header.clone());
        added.push(header);
        if !components.iter().any(Component::is_content_digest) {
            components.to_mut().push(Component::parse("content-digest")?);
        }
    }
    let (mut inputs, mut signatures) = existing_signatures(&headers)
        .map_err(|e| HmacSigError::invalid_request(format!("cannot add a signature: {e}")))?
        .unwrap_or_default();
    let label = KeyRef::from_str(&options.label).map_err(|_| HmacSigError::unsupported(format!("bad label {:?}", options.label)))?;
    if inputs.contains_key(label) {
        return Err(HmacSigError::invalid_request(format!("the message already has a signature labelled {:?}", options.label)));
    }
    let params = options.parameters(key_id, now)?;
    let view = MessageView { headers: &headers, ..*message };
    let Base { text: base, signature_params: inner, .. } = signature_base(&view, &components, &params).map_err(Fault::when_signing)?;
    let signature = Algorithm::Sha256.hmac(secret, &[base.as_bytes()]);
    inputs.insert(label.to_owned(), ListEntry::InnerList(inner));
    signatures.insert(label.to_owned(), ListEntry::Item(Item::new(BareItem::ByteSequence(signature.to_vec()))));
    added.push(Header::new(SIGNATURE_INPUT_HEADER, inputs.serialize().unwrap_or_default()));
    added.push(Header::new(SIGNATURE_HEADER, signatures.serialize().unwrap_or_default()));
    Ok(SignedRequest { headers: added, string_to_sign: base.into_bytes(), url: None })
}

/// One signature from the message, parsed and checked for shape.
struct Candidate {
    label: String,
    components: Vec<Component>,
    params: Parameters,
    signature: Vec<u8>,
}

impl Candidate {
    fn int(&self, key: &str) -> Option<i64> {
        self.params.get(key).and_then(BareItem::as_integer).map(i64::from)
    }

    fn string(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(|v| v.as_string()).map(StringRef::as_str)
    }

    fn key_id(&self) -> &str {
        self.string("keyid").unwrap_or_default()
    }
}

/// The signatures the policy selects, in `Signature-Input` order.
fn candidates(headers: &[Header], policy: &Policy) -> Result<Vec<Candidate>> {
    let (inputs, mut signatures) = existing_signatures(headers).map_err(HmacSigError::malformed_authorization)?.ok_or_else(|| {
        HmacSigError::missing_authorization(format!("the message has no {SIGNATURE_INPUT_HEADER} and {SIGNATURE_HEADER}"))
    })?;
    if inputs.is_empty() {
        return Err(HmacSigError::missing_authorization(format!("{SIGNATURE_INPUT_HEADER} is empty")));
    }
    let mut selected = Vec::new();
    for (label, entry) in inputs {
        let label = label.as_str().to_owned();
        let malformed = |why: &str| HmacSigError::malformed_authorization(format!("signature {label:?}: {why}"));
        let ListEntry::InnerList(inner) = entry else { return Err(malformed("its Signature-Input member is not an inner list")) };
        let signature = match signatures.swap_remove(label.as_str()) {
            Some(ListEntry::Item(Item { bare_item: BareItem::ByteSequence(bytes), .. })) => bytes,
            _ => return Err(malformed("its Signature member is not a byte sequence")),
        };
        for (key, value) in &inner.params {
            let ok = match key.as_str() {
                "created" | "expires" => value.as_integer().is_some(),
                "keyid" | "alg" | "nonce" | "tag" => value.as_string().is_some(),
                other => return Err(malformed(&format!("unknown parameter {other:?}"))),
            };
            if !ok {
                return Err(malformed(&format!("parameter {:?} has the wrong type", key.as_str())));
            }
        }
        let components =
            inner.items.into_iter().map(Component::from_item).collect::<std::result::Result<Vec<_>, Fault>>().map_err(|f| {
                match f.when_verifying() {
                    HmacSigError::MalformedAuthorization { reason } => malformed(&reason),
                    other => other,
                }
            })?;
        let candidate = Candidate { label: label.clone(), components, params: inner.params, signature };
        if policy.label.as_ref().is_some_and(|l| *l != candidate.label)
            || policy.tag.as_deref().is_some_and(|t| Some(t) != candidate.string("tag"))
        {
            continue;
        }
        if candidate.string("keyid").is_none() {
            return Err(malformed("it has no keyid parameter"));
        }
        selected.push(candidate);
    }
    if selected.is_empty() {
        return Err(HmacSigError::missing_authorization(match (&policy.label, &policy.tag) {
            (Some(label), _) => format!("the message has no signature labelled {label:?}"),
            (None, Some(tag)) => format!("the message has no signature tagged {tag:?}"),
            (None, None) => "the message has no signature".into(),
        }));
    }
    Ok(selected)
}

/// The key id of the first signature the policy selects.
pub fn key_id(message: &MessageView<'_>, policy: &Policy) -> Result<String> {
    Ok(candidates(message.headers, policy)?.swap_remove(0).key_id().to_owned())
}

fn check_times(candidate: &Candidate, policy: &Policy, now: i64) -> Result<i64> {
    let skew = i64::from(policy.clock_skew);
    let label = &candidate.label;
    let created = candidate.int("created").ok_or_else(|| {
        HmacSigError::malformed_authorization(format!("signature {label:?} has no created parameter, so its age is unknown"))
    })?;
    if created > now.saturating_add(skew) {
        return Err(HmacSigError::future(format!("signature {label:?} was created {} s in the future", created - now)));
    }
    if let Some(expires) = candidate.int("expires")
        && expires < now.saturating_sub(skew)
    {
        return Err(HmacSigError::stale(format!("signature {label:?} expired {} s ago", now - expires)));
    }
    let max_age = i64::from(policy.max_age);
    if created.saturating_add(max_age) < now.saturating_sub(skew) {
        return Err(HmacSigError::stale(format!(
            "signature {label:?} is {} s old; the policy allows {max_age} s",
            now.saturating_sub(created)
        )));
    }
    let until = created.saturating_add(max_age).saturating_add(skew);
    Ok(candidate.int("expires").map_or(until, |e| e.saturating_add(skew).min(until)))
}

/// Verifies the selected signatures made with `key_id`; each must verify.
pub fn verify(message: &MessageView<'_>, policy: &Policy, key_id: &str, secret: &[u8], now: i64) -> Result<Verified> {
    message.validate()?;
    let selected = candidates(message.headers, policy)?;
    let claimed = selected[0].key_id().to_owned();
    let mine: Vec<&Candidate> = selected.iter().filter(|c| c.key_id() == key_id).collect();
    if mine.is_empty() {
        return Err(HmacSigError::unknown_key(&claimed));
    }
    let default_required;
    let required = match &policy.required_components {
        Some(required) => required,
        None => {
            let names: &[&str] = if message.is_response() { &DEFAULT_REQUIRED_FOR_RESPONSES } else { &DEFAULT_REQUIRED_FOR_REQUESTS };
            default_required = names.iter().map(|n| Component::parse(n)).collect::<Result<Vec<_>>>()?;
            &default_required
        }
    };
    let mut valid_until = i64::MAX;
    let mut digests_checked = Vec::new();
    for candidate in &mine {
        valid_until = valid_until.min(check_times(candidate, policy, now)?);
        if let Some(alg) = candidate.string("alg")
            && alg != ALGORITHM
        {
            return Err(HmacSigError::digest_not_allowed(format!(
                "signature {:?} uses {alg:?}; only {ALGORITHM} is accepted",
                candidate.label
            )));
        }
        let Base { text: base, values, .. } =
            signature_base(message, &candidate.components, &candidate.params).map_err(Fault::when_verifying)?;
        if !Algorithm::Sha256.verify(secret, &[base.as_bytes()], &candidate.signature) {
            return Err(HmacSigError::bad_signature(base.as_bytes()));
        }
        let covered: Vec<_> = candidate.components.iter().map(Component::identity).collect();
        if let Some(missing) = required.iter().find(|r| !covered.contains(&r.identity())) {
            return Err(HmacSigError::missing_signed_header(format!(
                "signature {:?} does not cover {}, which the policy requires",
                candidate.label,
                missing.serialized()
            )));
        }
        // The digest value as signed, already resolved for the base.
        for (component, value) in candidate.components.iter().zip(&values).filter(|(c, _)| c.is_content_digest()) {
            crate::body::check_content_digest(value, component.string_param("key"), message.body)?;
            digests_checked.push(candidate.label.clone());
        }
    }
    let has_digest_field = message.headers.iter().any(|h| h.name.eq_ignore_ascii_case(CONTENT_DIGEST_HEADER));
    if (!message.body.is_empty() || has_digest_field)
        && !policy.allow_unsigned_body
        && let Some(uncovered) = mine.iter().find(|c| !digests_checked.contains(&c.label))
    {
        return Err(HmacSigError::body_mismatch(format!(
            "signature {:?} does not cover a Content-Digest, so the {}-byte body is not signed",
            uncovered.label,
            message.body.len()
        )));
    }
    Ok(Verified {
        key_id: key_id.to_owned(),
        signature: format!("{}:{}", mine[0].label, BASE64.encode(&mine[0].signature)),
        expires_at: Some(valid_until),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    const B25_SECRET: &str = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";
    const CREATED: i64 = 1_618_884_473;

    fn test_request() -> Request {
        Request {
            method: "POST".into(),
            target: "/foo?param=Value&Pet=dog".into(),
            headers: vec![
                Header::new("Host", "example.com"),
                Header::new("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
                Header::new("Content-Type", "application/json"),
                Header::new(
                    "Content-Digest",
                    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
                ),
                Header::new("Content-Length", "18"),
            ],
            body: br#"{"hello": "world"}"#.to_vec(),
        }
    }

    fn options(components: &[&str], label: &str) -> Options {
        let components = Some(components.iter().map(|s| (*s).to_owned()).collect());
        Options::new(components, label.into(), Some(CREATED), None, None, None, false, None).unwrap()
    }

    fn with(mut r: Request, headers: Vec<Header>) -> Request {
        for h in headers {
            r.headers.retain(|x| !x.name.eq_ignore_ascii_case(&h.name));
            r.headers.push(h);
        }
        r
    }

    #[test]
    fn rfc9421_b25_exactly() {
        let secret = BASE64.decode(B25_SECRET).unwrap();
        let r = test_request();
        let signed = sign(
            &MessageView::request(r.view()),
            &options(&["date", "@authority", "content-type"], "sig-b25"),
            "test-shared-secret",
            &secret,
            0,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(signed.string_to_sign).unwrap(),
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@authority\": example.com\n\"content-type\": application/json\n\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""
        );
        assert_eq!(
            signed.headers,
            vec![
                Header::new(
                    "Signature-Input",
                    "sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""
                ),
                Header::new("Signature", "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"),
            ]
        );
        let signed_request = with(r, signed.headers);
        // B.2.5 covers neither the method, the target nor the body's digest.
        let policy = Policy { required_components: Some(vec![]), allow_unsigned_body: true, ..Policy::default() };
        let v = verify(&MessageView::request(signed_request.view()), &policy, "test-shared-secret", &secret, CREATED + 10).unwrap();
        assert_eq!(v.key_id, "test-shared-secret");
        // The default policy wants @method and @target-uri covered.
        let err =
            verify(&MessageView::request(signed_request.view()), &Policy::default(), "test-shared-secret", &secret, CREATED).unwrap_err();
        assert_eq!(err.kind(), "missing_signed_header");
    }

    #[test]
    fn derived_components_of_b2() {
        let r = test_request();
        let base = |components: &[&str]| {
            let s = sign(&MessageView::request(r.view()), &options(components, "s"), "k", b"x", 0).unwrap();
            String::from_utf8(s.string_to_sign).unwrap().lines().map(str::to_owned).collect::<Vec<_>>()
        };
        let lines =
            base(&["@method", "@path", "@query", "@authority", "@scheme", "@target-uri", "@request-target", "@query-param;name=\"Pet\""]);
        assert_eq!(
            &lines[..8],
            [
                "\"@method\": POST",
                "\"@path\": /foo",
                "\"@query\": ?param=Value&Pet=dog",
                "\"@authority\": example.com",
                "\"@scheme\": https",
                "\"@target-uri\": https://example.com/foo?param=Value&Pet=dog",
                "\"@request-target\": /foo?param=Value&Pet=dog",
                "\"@query-param\";name=\"Pet\": dog",
            ]
        );
    }

    #[test]
    fn an_empty_options_path_stays_empty_in_the_target_uri() {
        let target_uri = |method: &str, target: &str| {
            let r = Request { method: method.into(), target: target.into(), headers: vec![Header::new("Host", "h")], body: vec![] };
            resolve(&MessageView::request(r.view()), &Component::parse("@target-uri").unwrap()).unwrap()
        };
        assert_eq!(target_uri("OPTIONS", "https://example.com"), "https://example.com");
        assert_eq!(target_uri("OPTIONS", "https://example.com?a=/b"), "https://example.com?a=/b");
        assert_eq!(target_uri("OPTIONS", "https://example.com/"), "https://example.com/");
        assert_eq!(target_uri("GET", "https://example.com"), "https://example.com/");
        assert_eq!(target_uri("OPTIONS", "/x"), "https://h/x");
    }

    #[test]
    fn query_params_are_decoded_then_re_encoded() {
        assert_eq!(query_param(Some("a=b+c%20d&e=%7E*&x"), "a").unwrap(), "b%20c%20d");
        assert_eq!(query_param(Some("a=b&e=%7E*"), "e").unwrap(), "%7E*");
        assert_eq!(query_param(Some("a=b&x"), "x").unwrap(), "");
        assert_eq!(query_param(Some("a%20b=1"), "a%20b").unwrap(), "1");
        assert!(matches!(query_param(Some("a=1&a=2"), "a"), Err(Fault::Message(_))));
        assert!(matches!(query_param(None, "a"), Err(Fault::Absent(_))));
    }

    #[test]
    fn authority_drops_default_ports_and_lower_cases() {
        let uri = |target: &str| {
            let r = Request { method: "GET".into(), target: target.into(), headers: vec![], body: vec![] };
            Uri::of(&r.view()).unwrap().normalized_authority()
        };
        assert_eq!(uri("https://Example.COM:443/a"), "example.com");
        assert_eq!(uri("http://example.com:80/a"), "example.com");
        assert_eq!(uri("http://example.com:8080/a"), "example.com:8080");
        assert_eq!(uri("https://user@[::1]:443/"), "[::1]");
        assert_eq!(uri("https://[::1]:8443/"), "[::1]:8443");
    }

    #[test]
    fn header_lines_are_trimmed_unfolded_and_combined() {
        assert_eq!(normalize_line("  a \t"), "a");
        assert_eq!(normalize_line("a \r\n  b"), "a b");
        assert_eq!(normalize_line("a\r\nb"), "a\r\nb");
        let r = Request {
            method: "GET".into(),
            target: "https://example.com/".into(),
            headers: vec![
                Header::new("X-A", " 1 "),
                Header::new("x-a", "2"),
                Header::new("Example-Dict", " a=1,    b=2;x=1;y=2, c=(a   b   c)"),
            ],
            body: vec![],
        };
        let m = MessageView::request(r.view());
        let value = |spec: &str| resolve(&m, &Component::parse(spec).unwrap());
        assert_eq!(value("x-a").unwrap(), "1, 2");
        assert_eq!(value("x-a;bs").unwrap(), ":MQ==:, :Mg==:");
        // RFC 9421 section 2.1.2.
        assert_eq!(value("example-dict;key=\"a\"").unwrap(), "1");
        assert_eq!(value("example-dict;key=\"b\"").unwrap(), "2;x=1;y=2");
        assert_eq!(value("example-dict;key=\"c\"").unwrap(), "(a b c)");
        assert!(matches!(value("example-dict;key=\"d\""), Err(Fault::Absent(_))));
        assert!(matches!(value("example-dict;sf"), Err(Fault::Unsupported(_))));
        assert!(matches!(value("x-missing"), Err(Fault::Absent(_))));
    }

    #[test]
    fn bad_identifiers_are_refused_up_front() {
        for bad in ["Content-Type", "@unknown", "@query-param", "@method;name=\"x\"", "x;bs;sf", "x;tr", "x;foo", "@path;sf", "\"a\" b"] {
            let err = Component::parse(bad).unwrap_err();
            assert_eq!(err.kind(), "unsupported", "{bad}");
        }
        let opts = |label: &str| Options::new(None, label.into(), None, None, None, None, false, None);
        assert_eq!(opts("Sig").unwrap_err().kind(), "unsupported");
        assert!(opts("sig-1").is_ok());
        let twice = Options::new(Some(vec!["@path".into(), "\"@path\"".into()]), "s".into(), None, None, None, None, false, None);
        assert_eq!(twice.unwrap_err().kind(), "unsupported");
    }

    fn sign_and_attach(r: &Request, o: &Options, now: i64) -> Request {
        let s = sign(&MessageView::request(r.view()), o, "client", b"secret", now).unwrap();
        with(r.clone(), s.headers)
    }

    #[test]
    fn verification_refuses_tampering_and_checks_time() {
        let now = 1_700_000_000;
        let mut o = options(&["@method", "@target-uri", "content-type"], "sig1");
        o.created = None;
        o.content_digest = Some(ContentDigest::Sha256);
        let mut r = test_request();
        r.headers.retain(|h| h.name != "Content-Digest");
        let signed = sign_and_attach(&r, &o, now);
        let p = Policy::default();
        let check = |r: &Request, at: i64| verify(&MessageView::request(r.view()), &p, "client", b"secret", at).map(|v| v.key_id);
        assert_eq!(check(&signed, now).unwrap(), "client");
        assert_eq!(check(&signed, now + 305).unwrap(), "client");
        assert_eq!(check(&signed, now + 306).unwrap_err().kind(), "stale");
        assert_eq!(check(&signed, now - 6).unwrap_err().kind(), "future");
        let tampered = with(signed.clone(), vec![Header::new("Content-Type", "text/plain")]);
        assert_eq!(check(&tampered, now).unwrap_err().kind(), "bad_signature");
        let mut body = signed.clone();
        body.body.push(b' ');
        assert_eq!(check(&body, now).unwrap_err().kind(), "body_mismatch");
        let mut moved = signed.clone();
        moved.target = "/bar".into();
        assert_eq!(check(&moved, now).unwrap_err().kind(), "bad_signature");
        let mut gone = signed.clone();
        gone.headers.retain(|h| h.name != "Content-Type");
        let err = check(&gone, now).unwrap_err();
        assert_eq!(
            (err.kind(), err.to_string().as_str()),
            ("bad_signature", "signature does not match: the message has no content-type header")
        );
        assert_eq!(verify(&MessageView::request(signed.view()), &p, "client", b"other", now).unwrap_err().kind(), "bad_signature");
        assert_eq!(verify(&MessageView::request(signed.view()), &p, "someone", b"secret", now).unwrap_err().kind(), "unknown_key");
        let mut unsigned = signed.clone();
        unsigned.headers.retain(|h| !h.name.starts_with("Signature"));
        assert_eq!(check(&unsigned, now).unwrap_err().kind(), "missing_authorization");
        let garbled = with(signed.clone(), vec![Header::new("Signature", "sig1=(")]);
        assert_eq!(check(&garbled, now).unwrap_err().kind(), "malformed_authorization");
    }

    #[test]
    fn a_body_must_be_covered_by_a_digest() {
        let o = options(&["@method", "@target-uri"], "sig1");
        let mut r = test_request();
        r.headers.retain(|h| h.name != "Content-Digest");
        let signed = sign_and_attach(&r, &o, CREATED);
        let check = |p: &Policy| verify(&MessageView::request(signed.view()), p, "client", b"secret", CREATED);
        assert_eq!(check(&Policy::default()).unwrap_err().kind(), "body_mismatch");
        assert!(check(&Policy { allow_unsigned_body: true, ..Policy::default() }).is_ok());
    }

    #[test]
    fn several_signatures_in_one_message() {
        let r = test_request();
        let first = sign_and_attach(&r, &options(&["@method", "@target-uri", "content-digest"], "a"), CREATED);
        let mut second_options = options(&["@method", "@target-uri", "content-digest", "signature;key=\"a\""], "b");
        second_options.tag = Some("proxy".into());
        let both = sign_and_attach(&first, &second_options, CREATED);
        let input = both.view().header_joined("Signature-Input").unwrap();
        assert!(
            input.starts_with("a=(\"@method\" \"@target-uri\" \"content-digest\");created=1618884473;keyid=\"client\", b=("),
            "{input}"
        );
        let m = MessageView::request(both.view());
        assert!(verify(&m, &Policy::default(), "client", b"secret", CREATED).is_ok());
        let only_b = Policy { tag: Some("proxy".into()), ..Policy::default() };
        assert_eq!(verify(&m, &only_b, "client", b"secret", CREATED).unwrap().signature.split(':').next(), Some("b"));
        let none = Policy { label: Some("c".into()), ..Policy::default() };
        assert_eq!(verify(&m, &none, "client", b"secret", CREATED).unwrap_err().kind(), "missing_authorization");
        // The same label twice is refused, whether signing or reading.
        let again = sign(&m, &options(&["@method"], "a"), "client", b"secret", CREATED).unwrap_err();
        assert_eq!(again.kind(), "invalid_request");
        let dup = with(both.clone(), vec![Header::new("Signature-Input", format!("{input}, {input}"))]);
        assert_eq!(
            verify(&MessageView::request(dup.view()), &Policy::default(), "client", b"secret", CREATED).unwrap_err().kind(),
            "malformed_authorization"
        );
    }

    #[test]
    fn responses_sign_status_and_the_request_with_req() {
        let request = test_request();
        let headers = vec![Header::new("Content-Type", "application/json"), Header::new("Content-Length", "23")];
        let response = MessageView {
            headers: &headers,
            body: Body::Bytes(br#"{"message": "good dog"}"#),
            status: Some(200),
            request: Some(request.view()),
        };
        let mut o = options(&["@status", "content-type", "@method;req", "@authority;req"], "sig1");
        o.content_digest = Some(ContentDigest::Sha512);
        let s = sign(&response, &o, "k", b"x", 0).unwrap();
        let base = String::from_utf8(s.string_to_sign).unwrap();
        assert!(base.starts_with("\"@status\": 200\n\"content-type\": application/json\n\"@method\";req: POST\n\"@authority\";req: example.com\n\"content-digest\": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:\n"), "{base}");
        let no_req = options(&["@method"], "s");
        assert_eq!(sign(&response, &no_req, "k", b"x", 0).unwrap_err().kind(), "unsupported");
        assert_eq!(
            sign(&MessageView::request(request.view()), &options(&["@status"], "s"), "k", b"x", 0).unwrap_err().kind(),
            "unsupported"
        );
    }

    #[test]
    fn values_that_cannot_be_signed_are_refused() {
        let mut r = test_request();
        r.headers.push(Header::new("X-Bad", "caf\u{e9}"));
        assert_eq!(sign(&MessageView::request(r.view()), &options(&["x-bad"], "s"), "k", b"x", 0).unwrap_err().kind(), "invalid_request");
        assert_eq!(sign(&MessageView::request(r.view()), &options(&["x-none"], "s"), "k", b"x", 0).unwrap_err().kind(), "invalid_request");
        let mut digest = options(&["@method"], "s");
        digest.content_digest = Some(ContentDigest::Sha256);
        assert_eq!(sign(&MessageView::request(r.view()), &digest, "k", b"x", 0).unwrap_err().kind(), "invalid_request");
        assert_eq!(sign(&MessageView::request(r.view()), &options(&["@method"], "s"), "k\n", b"x", 0).unwrap_err().kind(), "unsupported");
    }
}
