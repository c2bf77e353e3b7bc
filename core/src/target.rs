//! Request targets: origin-form (`/path?query`) or absolute-form
//! (`scheme://authority/path?query`), split without decoding or normalizing.
//! The one target parser of the schemes but api-auth, which follows Ruby's
//! own rules (`schemes/api_auth/ruby_uri.rs`): rfc9421, timestamped and path-body-hex
//! [`Target::parse`] (only what can be sent), aws-sigv4 [`Target::split`]
//! (AWS's suites sign raw spaces and UTF-8 in targets).

use crate::error::{HmacSigError, Result};

/// The parts of a request target, borrowed from it verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// `https`, for an absolute-form target.
    pub scheme: Option<&'a str>,
    /// `host[:port]`, for an absolute-form target.
    pub authority: Option<&'a str>,
    /// The path; `/` when an absolute-form target has none.
    pub path: &'a str,
    /// What follows `?`, if there is a `?` (possibly empty).
    pub query: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// Splits `target`. A fragment (`#...`) is never sent, so it is refused,
    /// and so are spaces and control characters, which cannot be on the wire.
    pub fn parse(target: &'a str) -> Result<Self> {
        if target.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'#') {
            return Err(HmacSigError::invalid_request(format!(
                "the request target {target:?} contains a space, a control character or a fragment"
            )));
        }
        Self::split(target)
    }

    /// Splits `target` into its parts, whatever characters they hold.
    pub fn split(target: &'a str) -> Result<Self> {
        let (before_query, query) = match target.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (target, None),
        };
        if before_query.starts_with('/') {
            return Ok(Self { scheme: None, authority: None, path: before_query, query });
        }
        let bad = || HmacSigError::invalid_request(format!("the request target {target:?} is neither /path nor scheme://host/path"));
        let (scheme, rest) = before_query.split_once("://").ok_or_else(bad)?;
        let mut sb = scheme.bytes();
        if !sb.next().is_some_and(|b| b.is_ascii_alphabetic()) || !sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return Err(bad());
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(bad());
        }
        Ok(Self { scheme: Some(scheme), authority: Some(authority), path, query })
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn splits_both_forms_verbatim() {
        assert_eq!(Target::parse("/a/%7E?x=1&y").unwrap(), Target { scheme: None, authority: None, path: "/a/%7E", query: Some("x=1&y") });
        assert_eq!(
            Target::parse("HTTPS://Api.Example.com:8443?q").unwrap(),
            Target { scheme: Some("HTTPS"), authority: Some("Api.Example.com:8443"), path: "/", query: Some("q") }
        );
        assert_eq!(Target::parse("/a?").unwrap().query, Some(""));
    }

    #[test]
    fn split_keeps_raw_characters_that_parse_refuses() {
        let raw = "/example space/ሴ?a b=1";
        assert_eq!(Target::split(raw).unwrap(), Target { scheme: None, authority: None, path: "/example space/ሴ", query: Some("a b=1") });
        assert_eq!(Target::parse(raw).unwrap_err().kind(), "invalid_request");
        for t in ["", "a/b", "https:///x", "1x://h/"] {
            assert_eq!(Target::split(t).unwrap_err().kind(), "invalid_request", "{t}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_sent() {
        for t in ["/a b", "/a#f", "", "a/b", "https:///x", "1x://h/", "/a\n"] {
            assert_eq!(Target::parse(t).unwrap_err().kind(), "invalid_request", "{t}");
        }
    }
}
