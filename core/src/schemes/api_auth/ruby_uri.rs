//! The request-URI field of api-auth, exactly as the gem computes it.
//!
//! The gem runs `URI.parse` (Ruby 3.1's RFC 3986 parser) on the target. An
//! `http`/`https` (or `ws`/`wss`) absolute URI is reduced to its
//! `request_uri`: path (`/` if empty) plus `?query`, with Ruby re-escaping a
//! few characters of the query. Anything else that parses is used verbatim,
//! and the empty string becomes `/`. What Ruby cannot parse is an error
//! (`sign!` and `authentic?` both raise), so it is an error here too.
//! See `docs/specs/api-auth.md`, "REQUEST_URI".

use std::borrow::Cow;

/// The api-auth request-URI field for `target`, or why Ruby would reject it.
pub fn gem_request_uri(target: &str) -> Result<Cow<'_, str>, String> {
    if plain_origin_form(target) { Ok(Cow::Borrowed(target)) } else { parse_request_uri(target) }
}

/// The common case, decided in one pass: `/path[?query]` with a path of plain
/// pchar (no `%`) and a query of ASCII without `%` or `#`. Ruby parses it as a
/// relative reference and the gem uses it verbatim, as [`parse_request_uri`]
/// does (tested to agree).
fn plain_origin_form(target: &str) -> bool {
    let Some(rest) = target.strip_prefix('/') else { return false };
    if rest.starts_with('/') {
        return false; // `//authority...`
    }
    // One pass, by table: path bytes until the first `?`, query bytes after it.
    const PATH: u8 = 1;
    const QUERY: u8 = 2;
    const CLASSES: [u8; 256] = {
        let mut table = [0u8; 256];
        let mut b = 0;
        while b < 128 {
            let c = b as u8;
            let pchar = is_unreserved_or_sub(c) || matches!(c, b':' | b'@' | b'/');
            table[b] = if pchar { PATH } else { 0 } | if c != b'%' && c != b'#' { QUERY } else { 0 };
            b += 1;
        }
        table
    };
    let mut class = PATH;
    let mut ok = true;
    for b in rest.bytes() {
        if b == b'?' && class == PATH {
            class = QUERY;
            continue;
        }
        ok &= CLASSES[usize::from(b)] & class != 0;
    }
    ok
}

/// [`gem_request_uri`] by the full parse.
fn parse_request_uri(target: &str) -> Result<Cow<'_, str>, String> {
    if !target.is_ascii() {
        return Err(format!("the request target {target:?} is not ASCII (Ruby's URI parser rejects it)"));
    }
    let parts = parse_absolute(target)
        .or_else(|| parse_relative(target))
        .ok_or_else(|| format!("the request target {target:?} is not a valid URI (Ruby's URI parser rejects it)"))?;
    if let Some(query) = parts.query {
        // URI::Generic#query= raises on '%' followed by two non-hex characters.
        let q = query.as_bytes();
        if let Some(i) =
            (0..q.len().saturating_sub(2)).find(|&i| q[i] == b'%' && !q[i + 1].is_ascii_hexdigit() && !q[i + 2].is_ascii_hexdigit())
        {
            return Err(format!("the query of {target:?} has an invalid percent escape {:?}", &query[i..i + 3]));
        }
    }
    let is_http = parts.scheme.is_some_and(|s| ["http", "https", "ws", "wss"].iter().any(|h| s.eq_ignore_ascii_case(h)));
    if !is_http {
        return Ok(Cow::Borrowed(if target.is_empty() { "/" } else { target }));
    }
    // URI::HTTP#request_uri. An opaque http URI ("http:x") has no path, so the
    // gem gets nil, which joins into the canonical string as "".
    let Some(path) = parts.path else { return Ok(Cow::Borrowed("")) };
    let mut uri = String::with_capacity(target.len());
    if !path.starts_with('/') {
        uri.push('/');
    }
    uri.push_str(path);
    if let Some(query) = parts.query {
        uri.push('?');
        escape_query_like_ruby(query, &mut uri);
    }
    Ok(Cow::Owned(uri))
}

struct Parts<'a> {
    scheme: Option<&'a str>,
    /// `None` for an opaque URI (`scheme:rootless-path`).
    path: Option<&'a str>,
    query: Option<&'a str>,
}

/// RFC3986_URI: `scheme ":" hier-part ["?" query] ["#" fragment]`.
fn parse_absolute(s: &str) -> Option<Parts<'_>> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut sb = scheme.bytes();
    if !sb.next()?.is_ascii_alphabetic() || !sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
        return None;
    }
    let (rest, query) = split_query_fragment(&s[colon + 1..])?;
    let path = if let Some(after) = rest.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        if !valid_authority(&after[..end]) || !valid_path(&after[end..]) {
            return None;
        }
        Some(&after[end..])
    } else if rest.starts_with('/') || rest.is_empty() {
        if !valid_path(rest) {
            return None;
        }
        Some(rest)
    } else {
        // path-rootless: an opaque URI.
        if !valid_path(rest) {
            return None;
        }
        None
    };
    Some(Parts { scheme: Some(scheme), path, query })
}

/// RFC3986_relative_ref: `relative-part ["?" query] ["#" fragment]`.
fn parse_relative(s: &str) -> Option<Parts<'_>> {
    let (rest, query) = split_query_fragment(s)?;
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        if !valid_authority(&after[..end]) || !valid_path(&after[end..]) {
            return None;
        }
    } else {
        // path-noscheme: the first segment may not hold a ':'.
        let first = rest.split('/').next().unwrap_or("");
        if first.contains(':') || !valid_path(rest) {
            return None;
        }
    }
    Some(Parts { scheme: None, path: Some(rest), query })
}

/// Splits off `?query` (anything but '#') and checks `#fragment`.
fn split_query_fragment(s: &str) -> Option<(&str, Option<&str>)> {
    let (before_fragment, fragment) = match s.find('#') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if let Some(f) = fragment
        && !valid_chars(f, |b| is_unreserved_or_sub(b) || matches!(b, b':' | b'@' | b'/' | b'?'))
    {
        return None;
    }
    Some(match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    })
}

/// `/`-separated segments of pchar (`%hh`, unreserved, sub-delims, ':', '@').
fn valid_path(p: &str) -> bool {
    valid_chars(p, |b| is_unreserved_or_sub(b) || matches!(b, b':' | b'@' | b'/'))
}

/// `[userinfo "@"] host [":" port]` with Ruby's character classes.
fn valid_authority(a: &str) -> bool {
    let (userinfo, hostport) = match a.find('@') {
        Some(i) => (Some(&a[..i]), &a[i + 1..]),
        None => (None, a),
    };
    if let Some(u) = userinfo
        && !valid_chars(u, |b| is_unreserved_or_sub(b) || b == b':')
    {
        return false;
    }
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let Some(close) = inner.find(']') else { return false };
        let literal = &inner[..close];
        let ok = if let Some(future) = literal.strip_prefix('v').or_else(|| literal.strip_prefix('V')) {
            future.split_once('.').is_some_and(|(ver, rest)| {
                !ver.is_empty()
                    && ver.bytes().all(|b| b.is_ascii_hexdigit())
                    && !rest.is_empty()
                    && rest.bytes().all(|b| is_unreserved_or_sub(b) || b == b':')
            })
        } else {
            literal.contains(':') && literal.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        };
        if !ok {
            return false;
        }
        (&inner[..0], &inner[close + 1..])
    } else {
        match hostport.find(':') {
            Some(i) => (&hostport[..i], &hostport[i..]),
            None => (hostport, ""),
        }
    };
    if !valid_chars(host, is_unreserved_or_sub) {
        return false;
    }
    match port.strip_prefix(':') {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => port.is_empty(),
    }
}

const fn is_unreserved_or_sub(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
}

/// Every byte satisfies `allowed`, except `%` which must start `%hh`.
fn valid_chars(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return false;
            }
            i += 3;
        } else if allowed(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// URI::Generic#query=: every byte outside `[!$-&(-;=?-_a-~]` that does not
/// start a `%hh` escape becomes `%XX`.
fn escape_query_like_ruby(query: &str, out: &mut String) {
    let b = query.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let starts_escape = c == b'%' && i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
        let kept = matches!(c, b'!' | b'$'..=b'&' | b'('..=b';' | b'=' | b'?'..=b'_' | b'a'..=b'~');
        if starts_escape || kept {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::gem_request_uri as uri;

    #[test]
    fn the_one_pass_case_agrees_with_the_full_parse() {
        // Random targets over the characters that matter to either path.
        let alphabet = ["/", "?", "%", "#", ":", "@", "a", "Z", "0", "-", "~", "=", "&", " ", "\"", "[", "é", "%41", "//", "+", ","];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut plain = 0;
        for _ in 0..50_000 {
            let len = (next() % 12) as usize;
            let mut target: String = if next() % 4 == 0 { String::new() } else { "/".into() };
            for _ in 0..len {
                target.push_str(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            if super::plain_origin_form(&target) {
                plain += 1;
            }
            assert_eq!(uri(&target), super::parse_request_uri(&target), "{target:?}");
        }
        assert!(plain > 1_000, "the one-pass case was taken only {plain} times");
    }

    #[test]
    fn origin_form_is_verbatim() {
        for t in [
            "/resource.xml?foo=bar&bar=foo",
            "/a%20B?q=%e2%9c%93",
            "/a?filter[name]=x",
            "/a?",
            "a/relative?c",
            "/a?redirect_to=https://www.example.com",
            "/q?x=%",
            "/q?x=a b",
            "/p#frag",
            "//x/y",
            "*",
        ] {
            assert_eq!(uri(t).as_deref(), Ok(t), "{t}");
        }
        assert_eq!(uri("").as_deref(), Ok("/"));
    }

    #[test]
    fn http_absolute_form_reduces_to_request_uri() {
        assert_eq!(uri("https://google.com/").as_deref(), Ok("/"));
        assert_eq!(uri("https://google.com").as_deref(), Ok("/"));
        assert_eq!(uri("https://user:pw@example.com/x").as_deref(), Ok("/x"));
        assert_eq!(uri("https://example.com/p#frag").as_deref(), Ok("/p"));
        assert_eq!(uri("HTTP://h:8080?x=1").as_deref(), Ok("/?x=1"));
        assert_eq!(uri("https://h/q?x=a b&y=\"<'>`").as_deref(), Ok("/q?x=a%20b&y=%22%3C%27%3E%60"));
        assert_eq!(uri("https://[::1]:443/v6").as_deref(), Ok("/v6"));
    }

    #[test]
    fn other_schemes_are_verbatim() {
        assert_eq!(uri("mailto:x@y").as_deref(), Ok("mailto:x@y"));
        assert_eq!(uri("ftp://h/x?y").as_deref(), Ok("ftp://h/x?y"));
    }

    #[test]
    fn ruby_rejections() {
        for t in ["/a b", "/q?x=日本", "/{id}", "/a^b", "/a?b=%zz", "/q?x=🙂", "/a%2", "/a%zz", "https://exa mple.com/", "1a:b", "/p#a b"]
        {
            assert!(uri(t).is_err(), "{t}");
        }
        assert!(uri("/a?b=%z1").is_ok());
    }
}
