//! Hawk's `Authorization` / `Server-Authorization` attributes, read as npm
//! `hawk` 9 reads them (`lib/utils.js`, `parseAuthorizationHeader`) and
//! written as its client writes them.
//!
//! Contract: [`parse`] accepts exactly the headers hawk's parser accepts:
//! `^(\w+)(?:\s+(.*))?$`, a scheme name equal to `Hawk` ignoring case, then
//! attributes `(\w+)="([^"\\]*)"\s*(?:,\s*|$)` covering the rest, each a
//! known name at most once, each value of hawk's allowed characters. `\s`
//! is JavaScript's (Unicode spaces included), `\w` ASCII.

use crate::error::{HmacSigError, Result};

/// Longest header hawk reads (`limits.maxMatchLength`).
pub const MAX_LENGTH: usize = 4096;

/// Attributes of a request's `Authorization`.
pub const REQUEST_ATTRIBUTES: &[&str] = &["id", "ts", "nonce", "hash", "ext", "mac", "app", "dlg"];
/// Attributes of a response's `Server-Authorization`.
pub const RESPONSE_ATTRIBUTES: &[&str] = &["mac", "ext", "hash"];

/// JavaScript's `\s`.
pub fn is_js_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}')
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A character hawk allows in an attribute value (`attributeValueRegex`).
pub fn is_value_char(b: u8) -> bool {
    is_word(b) || b" !#$%&'()*+,-./:;<=>?@[]^`{|}~".contains(&b)
}

/// Whether `value` may travel as an attribute: not empty, allowed characters only.
pub fn is_value(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(is_value_char)
}

/// Parsed attributes, in the order they came.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attributes<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Attributes<'a> {
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// An attribute that must be present (`Missing attributes` otherwise).
    pub fn required(&self, name: &str) -> Result<&'a str> {
        self.get(name).ok_or_else(|| HmacSigError::malformed_authorization(format!("the Hawk header has no {name} attribute")))
    }
}

fn trim_js_start(s: &str) -> &str {
    s.trim_start_matches(is_js_space)
}

/// The attributes of `header` (`field` names it, for errors), of which only
/// `known` are allowed. Another scheme is `MissingAuthorization`: it carries
/// no Hawk credentials.
pub fn parse<'a>(header: &'a str, known: &[&str], field: &str) -> Result<Attributes<'a>> {
    let malformed = |why: &str| HmacSigError::malformed_authorization(format!("{field}: {why}"));
    if header.len() > MAX_LENGTH {
        return Err(malformed("longer than 4096 bytes"));
    }
    // `.` stops at line terminators: they cannot be in the match.
    if header.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return Err(malformed("a line break"));
    }
    let scheme_len = header.bytes().take_while(|&b| is_word(b)).count();
    let (scheme, rest) = header.split_at(scheme_len);
    let attributes = trim_js_start(rest);
    if scheme.is_empty() || (attributes.len() == rest.len() && !rest.is_empty()) {
        return Err(malformed("not `<scheme> <attributes>`"));
    }
    if !scheme.eq_ignore_ascii_case("hawk") {
        return Err(HmacSigError::missing_authorization(format!("{field} is not a Hawk header")));
    }
    if attributes.is_empty() {
        return Err(malformed("no attributes"));
    }
    let mut parsed = Attributes::default();
    let mut s = attributes;
    while !s.is_empty() {
        let name_len = s.bytes().take_while(|&b| is_word(b)).count();
        let (name, after) = s.split_at(name_len);
        let value_and_rest = after.strip_prefix("=\"").filter(|_| !name.is_empty()).ok_or_else(|| malformed("not name=\"value\""))?;
        let value_len = value_and_rest.find(['"', '\\']).ok_or_else(|| malformed("an unterminated value"))?;
        let (value, after) = value_and_rest.split_at(value_len);
        let after = after.strip_prefix('"').ok_or_else(|| malformed("a backslash in a value"))?;
        let after = trim_js_start(after);
        s = match after.strip_prefix(',') {
            Some(next) => trim_js_start(next),
            None if after.is_empty() => after,
            None => return Err(malformed("attributes not separated by commas")),
        };
        if !known.contains(&name) {
            return Err(malformed(&format!("unknown attribute {name:?}")));
        }
        if !is_value(value) {
            return Err(malformed(&format!("a bad value for {name}")));
        }
        if parsed.get(name).is_some() {
            return Err(malformed(&format!("a repeated attribute {name}")));
        }
        parsed.pairs.push((name, value));
    }
    Ok(parsed)
}

/// `, name="value"` appended to `out`.
pub fn push_attribute(out: &mut String, name: &str, value: &str) {
    out.push_str(", ");
    out.push_str(name);
    out.push_str("=\"");
    out.push_str(value);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(header: &str) -> &'static str {
        parse(header, REQUEST_ATTRIBUTES, "Authorization").map_or_else(|e| e.kind(), |_| "ok")
    }

    #[test]
    fn reads_what_hawk_reads() {
        let a = parse(r#"hawk id="dh37", ts="1353832234",nonce="j4h3g2" ,  mac="6R4r=","#, REQUEST_ATTRIBUTES, "A").unwrap();
        assert_eq!(
            (a.get("id"), a.get("ts"), a.get("nonce"), a.get("mac"), a.get("ext")),
            (Some("dh37"), Some("1353832234"), Some("j4h3g2"), Some("6R4r="), None)
        );
        assert_eq!(kind("HAWK\u{a0}id=\"a\""), "ok");
    }

    #[test]
    fn refuses_what_hawk_refuses() {
        for bad in [
            "Hawk",
            "Hawk ",
            " Hawk id=\"a\"",
            "Hawk id=\"a\" ts=\"1\"",
            "Hawk id=\"a\", id=\"b\"",
            "Hawk id=\"a\", realm=\"b\"",
            "Hawk id=\"\"",
            "Hawk id=\"a\\\"b\"",
            "Hawk id=\"a\u{e9}\"",
            "Hawk id=a",
            "Hawk, id=\"a\"",
        ] {
            assert_eq!(kind(bad), "malformed_authorization", "{bad}");
        }
        assert_eq!(kind("Basic YTpi"), "missing_authorization");
        assert_eq!(kind(&format!("Hawk id=\"{}\"", "a".repeat(MAX_LENGTH))), "malformed_authorization");
    }
}
