//! Reading a raw HTTP/1.1 request, as captured off the wire or typed in.
//!
//! Contract: optional blank lines, the request line `METHOD SP TARGET SP
//! HTTP/1.x`, header field lines, a blank line, then the body: exactly
//! `Content-Length` bytes when that header is present (anything after it is
//! reported and ignored), else everything that follows. Lines end in CRLF or
//! LF. A line starting with a space or tab continues the previous field (an
//! obsolete fold, kept with its line break so the scheme decides whether to
//! accept it). `Transfer-Encoding` is refused: give the decoded body with
//! `Content-Length`. Names and values must be UTF-8.

use hmacsig::{Header, Request};

/// A parsed request and notes about input that was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    pub request: Request,
    pub notes: Vec<String>,
}

/// Parses `raw`; the error is one line saying what is wrong and where.
pub fn parse_request(raw: &[u8]) -> Result<RawRequest, String> {
    let mut lines = Lines { raw, pos: 0 };
    let request_line = loop {
        match lines.next() {
            None => return Err("no HTTP request: the input is empty or has no request line".into()),
            Some(([], _)) => continue,
            Some((line, _)) => break text(line, "the request line")?,
        }
    };
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(format!("the request line {request_line:?} is not `METHOD TARGET HTTP/1.1`"));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || target.is_empty() {
        return Err(format!("the request line {request_line:?} is not `METHOD TARGET HTTP/1.1`"));
    }
    let mut headers: Vec<Header> = Vec::new();
    loop {
        let Some((line, ending)) = lines.next() else {
            return Err("the headers never end: a blank line must follow them".into());
        };
        if line.is_empty() {
            break;
        }
        let number = headers.len() + 1;
        let line = text(line, &format!("header line {number}"))?;
        if line.starts_with([' ', '\t']) {
            let previous = headers.last_mut().ok_or_else(|| format!("the first header line {line:?} starts with a blank"))?;
            previous.value.push_str(ending);
            previous.value.push_str(line.trim_end_matches([' ', '\t']));
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| format!("the header line {line:?} has no ':'"))?;
        if name.is_empty() || name.ends_with([' ', '\t']) {
            return Err(format!("the header line {line:?} has no name, or a blank before its ':'"));
        }
        headers.push(Header::new(name, value.trim_matches([' ', '\t'])));
    }
    let rest = &raw[lines.pos..];
    let mut notes = Vec::new();
    if headers.iter().any(|h| h.name.eq_ignore_ascii_case("Transfer-Encoding")) {
        return Err("Transfer-Encoding is not supported: give the decoded body with a Content-Length".into());
    }
    let body = match content_length(&headers)? {
        None => rest.to_vec(),
        Some(length) if rest.len() < length => {
            return Err(format!("the body has {} bytes but Content-Length says {length}", rest.len()));
        }
        Some(length) => {
            if rest.len() > length {
                notes.push(format!("ignored {} bytes after the {length}-byte body (Content-Length)", rest.len() - length));
            }
            rest[..length].to_vec()
        }
    };
    Ok(RawRequest { request: Request { method: method.into(), target: target.into(), headers, body }, notes })
}

/// The one Content-Length (repeats must agree), if any.
fn content_length(headers: &[Header]) -> Result<Option<usize>, String> {
    let mut found: Option<usize> = None;
    for h in headers.iter().filter(|h| h.name.eq_ignore_ascii_case("Content-Length")) {
        let n = (!h.value.is_empty() && h.value.bytes().all(|b| b.is_ascii_digit()))
            .then(|| h.value.parse::<usize>().ok())
            .flatten()
            .ok_or_else(|| format!("Content-Length {:?} is not a number of bytes", h.value))?;
        if found.is_some_and(|f| f != n) {
            return Err("the request has two different Content-Length values".into());
        }
        found = Some(n);
    }
    Ok(found)
}

fn text<'a>(line: &'a [u8], what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(line).map_err(|_| format!("{what} is not UTF-8 text"))
}

/// Lines up to the blank line, each without its CRLF or LF.
struct Lines<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Lines<'a> {
    /// The next line and the line ending it had; `None` at the end of input
    /// (a last line without a line ending does not count: headers need one).
    fn next(&mut self) -> Option<(&'a [u8], &'static str)> {
        let rest = &self.raw[self.pos..];
        let end = rest.iter().position(|&b| b == b'\n')?;
        self.pos += end + 1;
        match rest[..end].strip_suffix(b"\r") {
            Some(line) => Some((line, "\r\n")),
            None => Some((&rest[..end], "\n")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_request_with_content_length() {
        let raw = b"POST /orders?id=7 HTTP/1.1\r\nHost: api.example.com\r\nContent-Type:  application/json \r\nContent-Length: 2\r\n\r\n{}";
        let r = parse_request(raw).unwrap();
        assert_eq!((r.request.method.as_str(), r.request.target.as_str()), ("POST", "/orders?id=7"));
        assert_eq!(r.request.headers[1], Header::new("Content-Type", "application/json"));
        assert_eq!(r.request.body, b"{}");
        assert!(r.notes.is_empty());
    }

    #[test]
    fn lf_request_body_is_the_rest_and_extra_bytes_are_noted() {
        let r = parse_request(b"\nGET / HTTP/1.0\nA: 1\n\nline1\r\nline2").unwrap();
        assert_eq!(r.request.body, b"line1\r\nline2");
        let r = parse_request(b"PUT /x HTTP/1.1\nContent-Length: 3\n\nabc\n").unwrap();
        assert_eq!((r.request.body.as_slice(), r.notes.len()), (&b"abc"[..], 1));
    }

    #[test]
    fn folds_are_kept_for_the_scheme_to_judge() {
        let r = parse_request(b"GET / HTTP/1.1\r\nX-A: one\r\n  two \r\n\r\n").unwrap();
        assert_eq!(r.request.headers[0].value, "one\r\n  two");
    }

    #[test]
    fn malformed_requests_say_why() {
        for (raw, says) in [
            (&b""[..], "empty"),
            (b"GET /\r\n\r\n", "request line"),
            (b"GET / HTTP/2\r\n\r\n", "request line"),
            (b"GET / HTTP/1.1\r\nHost: x\r\n", "never end"),
            (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", "no ':'"),
            (b"GET / HTTP/1.1\r\nName : x\r\n\r\n", "blank before"),
            (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc", "Content-Length says 5"),
            (b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", "not a number"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding"),
            (b"GET / HTTP/1.1\r\nX: \xff\r\n\r\n", "UTF-8"),
        ] {
            let e = parse_request(raw).unwrap_err();
            assert!(e.contains(says), "{e:?} should say {says:?}");
        }
    }
}
