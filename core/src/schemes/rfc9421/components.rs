//! Component identifiers (RFC 9421 section 2): a lower-case name with
//! parameters, parsed from a caller's spec or from `Signature-Input`, and
//! checked on their own, before any message is looked at.
//!
//! Contract: a [`Component`] that exists passes [`Component::check`]: a known
//! derived name (`@method` ...) or a header field name, with well-typed
//! parameters that make sense for it. [`Fault`] says why a component cannot
//! be resolved; the signing and verifying sides turn it into different error
//! kinds.

use std::borrow::Cow;

use sfv::{BareItem, FieldType as _, Item, Parser, StringRef};

use crate::error::{HmacSigError, Result};
use crate::request::is_token;

const DERIVED: [&str; 9] =
    ["@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query", "@query-param", "@status"];

/// A covered component identifier: a lower-case name with parameters, such
/// as `"content-type"` or `"@query-param";name="id"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub(super) item: Item,
}

/// Why a component could not be resolved; each becomes a different error
/// kind when signing and when verifying.
#[derive(Debug)]
pub(super) enum Fault {
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
    pub(super) fn when_signing(self) -> HmacSigError {
        match self {
            Self::Identifier(r) | Self::Unsupported(r) => HmacSigError::unsupported(r),
            Self::Absent(r) | Self::Message(r) => HmacSigError::invalid_request(r),
        }
    }

    /// Verifying, an absent component means the message is not the one that
    /// was signed: a bad signature, with nothing MACed.
    pub(super) fn when_verifying(self) -> HmacSigError {
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

    pub(super) fn from_item(item: Item) -> std::result::Result<Self, Fault> {
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

    pub(super) fn flag(&self, key: &str) -> bool {
        self.item.params.get(key).and_then(BareItem::as_boolean) == Some(true)
    }

    pub(super) fn string_param(&self, key: &str) -> Option<&str> {
        self.item.params.get(key).and_then(|v| v.as_string()).map(StringRef::as_str)
    }

    /// The identifier as it appears in `Signature-Input` and the base.
    pub fn serialized(&self) -> String {
        self.item.serialize()
    }

    /// Name and parameters, ignoring the parameters' order (RFC 9421 section 2).
    pub(super) fn identity(&self) -> (String, Vec<(String, String)>) {
        let mut params: Vec<(String, String)> =
            self.item.params.iter().map(|(k, v)| (k.as_str().to_owned(), sfv::ItemSerializer::new().bare_item(v).finish())).collect();
        params.sort();
        (self.name().to_owned(), params)
    }

    pub(super) fn is_content_digest(&self) -> bool {
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
