//! The `hmac username="…", algorithm="…", headers="…", signature="…"` header:
//! what Kong's regular expression captures, then what hmacsig accepts.
//!
//! Contract: [`kong_match`] captures exactly what Kong 3.10's
//! `retrieve_hmac_fields` captures (PCRE `\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"`,
//! unanchored, greedy), so the verifier picks the header Kong picks.
//! [`Fields::parse`] then refuses what `docs/schemes/kong-hmac.md` lists as
//! stricter than Kong: text around the parameters, a missing space after
//! `hmac`, quotes inside values, empty names or two spaces between them.

use crate::error::{HmacSigError, Result};

/// The four values Kong's expression captures, borrowed from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Captures<'a> {
    pub username: &'a str,
    pub algorithm: &'a str,
    pub headers: &'a str,
    pub signature: &'a str,
    /// What precedes `hmac`, and whether whitespace follows it.
    prefix: &'a str,
    spaced: bool,
    /// What follows the signature's closing quote.
    suffix: &'a str,
}

/// PCRE `\s` (space, tab, LF, VT, FF, CR).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn skip_spaces(s: &str, mut i: usize) -> usize {
    while s.as_bytes().get(i).is_some_and(|&b| is_space(b)) {
        i += 1;
    }
    i
}

/// One `name="(.+)"` level of Kong's expression, after the level before it
/// ended at some position: `best[k]` is the greedy end of this level's
/// capture when it starts at `k`, the last position `e >= k` where the
/// capture can end with the rest of the expression still matching (PCRE
/// backtracks to exactly that: the longest capture first). Built right to
/// left in one pass, so a header full of `",` costs linear time, not the
/// backtracking's powers of its length.
struct Level {
    best: Vec<Option<usize>>,
}

impl Level {
    /// `ends(e)`: whether a capture may end at `e` (its closing text there,
    /// and the rest of the expression matching after it).
    fn new(len: usize, ends: impl Fn(usize) -> bool) -> Self {
        let mut best = vec![None; len + 1];
        for k in (0..len).rev() {
            best[k] = if ends(k) { Some(k) } else { best[k + 1] };
        }
        Self { best }
    }

    /// Where a capture of at least one byte starting at `start` ends.
    fn end(&self, start: usize) -> Option<usize> {
        self.best.get(start + 1).copied().flatten()
    }
}

/// `\s*<opening>` at `i`: where the capture after it starts.
fn opening(value: &str, i: usize, opening: &str) -> Option<usize> {
    let j = skip_spaces(value, i);
    value.get(j..)?.starts_with(opening).then_some(j + opening.len())
}

/// What Kong's expression captures in `value`, or `None` when it does not match.
pub fn kong_match(value: &str) -> Option<Captures<'_>> {
    // `.` matches any byte but LF: nothing is captured past the first line.
    let line = value.split('\n').next().unwrap_or("");
    let bytes = line.as_bytes();
    let len = bytes.len();
    let closes = |e: usize| bytes[e..].starts_with(b"\",");
    let last_quote = bytes.iter().rposition(|&b| b == b'"');
    let signature = |i: usize| opening(line, i, "signature=\"").and_then(|s| last_quote.filter(|&q| q > s).map(|q| (s, q)));
    let headers = Level::new(len, |e| closes(e) && signature(e + 2).is_some());
    let headers_at = |i: usize| opening(line, i, "headers=\"").and_then(|s| headers.end(s).map(|e| (s, e)));
    let algorithm = Level::new(len, |e| closes(e) && headers_at(e + 2).is_some());
    let algorithm_at = |i: usize| opening(line, i, "algorithm=\"").and_then(|s| algorithm.end(s).map(|e| (s, e)));
    let username = Level::new(len, |e| closes(e) && algorithm_at(e + 2).is_some());
    for at in 0..len {
        if !(bytes[at..].starts_with(b"hmac") || bytes[at..].starts_with(b"Hmac")) {
            continue;
        }
        let Some(user_start) = opening(line, at + 4, "username=\"") else { continue };
        let Some(user_end) = username.end(user_start) else { continue };
        // Each level matched when its `Level` was built: these cannot fail.
        let (alg_start, alg_end) = algorithm_at(user_end + 2)?;
        let (headers_start, headers_end) = headers_at(alg_end + 2)?;
        let (sig_start, sig_end) = signature(headers_end + 2)?;
        return Some(Captures {
            username: &line[user_start..user_end],
            algorithm: &line[alg_start..alg_end],
            headers: &line[headers_start..headers_end],
            signature: &line[sig_start..sig_end],
            prefix: &value[..at],
            spaced: skip_spaces(line, at + 4) > at + 4,
            suffix: &value[sig_end + 1..],
        });
    }
    None
}

impl<'a> Captures<'a> {
    /// The names of `headers`, split on single spaces as Kong splits them
    /// (two spaces make an empty name).
    pub fn names(&self) -> Vec<&'a str> {
        self.headers.split(' ').collect()
    }

    /// hmacsig's stricter reading of what Kong captured (`header` names the
    /// field, for the error): checked after Kong's own checks, so that a
    /// request Kong refuses gets Kong's reason.
    pub fn check_strict(&self, header: &str) -> Result<()> {
        let refuse = |why: &str| Err(HmacSigError::malformed_authorization(format!("{header}: {why}")));
        if !self.prefix.is_empty() {
            return refuse("text before `hmac`");
        }
        if !self.spaced {
            return refuse("no space between `hmac` and `username=`");
        }
        if !self.suffix.is_empty() {
            return refuse("text after the signature's closing quote");
        }
        if [self.username, self.algorithm, self.headers, self.signature].iter().any(|v| v.contains('"')) {
            return refuse("a quote inside a value, or a parameter Kong does not define");
        }
        if self.names().iter().any(|n| n.is_empty()) {
            return refuse("an empty name in `headers` (two spaces, or a space at either end)");
        }
        Ok(())
    }
}

/// The header value the signer writes.
pub fn format(username: &str, algorithm: &str, names: &[String], signature: &str) -> String {
    format!("hmac username=\"{username}\", algorithm=\"{algorithm}\", headers=\"{}\", signature=\"{signature}\"", names.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &str = r#"hmac username="bob", algorithm="hmac-sha1", headers="date", signature="1b3GnE0+rwUdVXmi1pXSHWpV9/o=""#;

    #[test]
    fn captures_as_kong() {
        let c = kong_match(SIGNED).unwrap();
        assert_eq!((c.username, c.algorithm, c.headers, c.signature), ("bob", "hmac-sha1", "date", "1b3GnE0+rwUdVXmi1pXSHWpV9/o="));
        let loose = r#"Hmac username="bob",algorithm="hmac-sha1",  headers="date x",signature="abc=""#;
        assert_eq!(kong_match(loose).unwrap().headers, "date x");
        // Greedy: the signature runs to the last quote, past an extra parameter.
        let extra = r#"hmac username="bob", algorithm="a", headers="date", signature="abc=", realm="x""#;
        assert_eq!(kong_match(extra).unwrap().signature, r#"abc=", realm="x"#);
        // Unanchored: text before is skipped; capitals are not Kong's.
        assert_eq!(kong_match(&format!("\"{SIGNED}")).unwrap().username, "bob");
        assert!(kong_match(&SIGNED.replace("hmac", "HMAC")).is_none());
        assert!(kong_match(&SIGNED.replace(", algorithm", " , algorithm")).is_none());
        assert!(kong_match(r#"hmac username="", algorithm="a", headers="d", signature="s""#).is_none());
        assert!(kong_match("hello").is_none());
    }

    #[test]
    fn stricter_than_kong() {
        let strict = |v: &str| kong_match(v).map(|c| c.check_strict("Authorization").map_err(|e| e.kind()));
        assert_eq!(strict(SIGNED), Some(Ok(())));
        assert_eq!(kong_match(SIGNED).unwrap().names(), vec!["date"]);
        for bad in [
            format!("\"{SIGNED}"),
            SIGNED.replace("hmac ", "hmac"),
            format!("{SIGNED} x"),
            SIGNED.replace("signature=\"1b3GnE0+rwUdVXmi1pXSHWpV9/o=\"", "signature=\"abc=\", realm=\"x\""),
            SIGNED.replace("\"date\"", "\"date  x\""),
            SIGNED.replace("\"date\"", "\"date \""),
        ] {
            assert_eq!(strict(&bad), Some(Err("malformed_authorization")), "{bad}");
        }
    }

    #[test]
    fn formats_as_the_spec() {
        let names = vec!["date".to_owned(), "@request-target".to_owned()];
        assert_eq!(
            format("bob", "hmac-sha256", &names, "c2ln"),
            r#"hmac username="bob", algorithm="hmac-sha256", headers="date @request-target", signature="c2ln""#
        );
    }
}
