//! The request model shared by every scheme.
//!
//! A request is what goes on the wire: a method, the request target exactly as
//! sent (origin-form `/path?query` or absolute-form `https://host/path?query`),
//! ordered header field lines where a name may repeat, and the body bytes.
//! Nothing here normalizes: schemes canonicalize what they sign themselves.

use std::borrow::Cow;

use crate::body::Body;
use crate::error::{HmacSigError, Result};

/// One header field line. Names compare case-insensitively; values are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Header {
    /// The field name, e.g. `Content-Type`.
    pub name: String,
    /// The field value, exactly as sent.
    pub value: String,
}

impl Header {
    /// A header line `name: value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

/// An HTTP request to sign or verify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Request {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The request target exactly as sent: origin-form or absolute-form.
    pub target: String,
    /// Header field lines in order; a name may repeat.
    pub headers: Vec<Header>,
    /// The body bytes; empty when there is no body.
    pub body: Vec<u8>,
}

/// An HTTP response to sign or verify (rfc9421, hawk).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Response {
    /// The status code, e.g. `200`.
    pub status: u16,
    /// Header field lines in order; a name may repeat.
    pub headers: Vec<Header>,
    /// The body bytes; empty when there is no body.
    pub body: Vec<u8>,
}

/// A borrowed view of a request: what schemes work on, so that the flat
/// hot-path calls need not build a `Request`.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The request target exactly as sent: origin-form or absolute-form.
    pub target: &'a str,
    /// Header field lines in order; a name may repeat.
    pub headers: &'a [Header],
    /// The body: its bytes, or only their digest (a streamed body).
    pub body: Body<'a>,
}

impl Request {
    /// The request as a [`RequestView`] borrowing it.
    pub fn view(&self) -> RequestView<'_> {
        RequestView { method: &self.method, target: &self.target, headers: &self.headers, body: Body::Bytes(&self.body) }
    }
}

impl<'a> RequestView<'a> {
    /// Every value of the header `name` (case-insensitive), in order.
    pub(crate) fn header_values(&self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }

    /// The header's values joined with `", "`, as most HTTP stacks (Net::HTTP,
    /// Rack) read a repeated field; `None` when the header is absent.
    #[cfg(test)]
    pub(crate) fn header_joined(&self, name: &'a str) -> Option<String> {
        self.header_cow(name).map(Cow::into_owned)
    }

    /// As [`Self::header_joined`], borrowed when the header occurs once.
    pub(crate) fn header_cow(&self, name: &'a str) -> Option<Cow<'a, str>> {
        let mut values = self.header_values(name);
        let first = values.next()?;
        let Some(second) = values.next() else { return Some(Cow::Borrowed(first)) };
        let mut joined = [first, second].join(", ");
        for value in values {
            joined.push_str(", ");
            joined.push_str(value);
        }
        Some(Cow::Owned(joined))
    }

    /// The first of `names` that is present, joined as in [`Self::header_cow`]:
    /// what [`Self::first_headers`] finds, one lookup at a time.
    #[cfg(test)]
    pub(crate) fn first_header_cow(&self, names: &[&'a str]) -> Option<Cow<'a, str>> {
        names.iter().find_map(|name| self.header_cow(name))
    }

    /// [`Self::first_header_cow`] for several lists of names, in one pass over
    /// the headers (a signing hot path reads several fields).
    #[cfg(test)]
    pub(crate) fn first_headers<const N: usize>(&self, lists: &HeaderLists<N>) -> [Option<Cow<'a, str>>; N] {
        let Ok(found) = self.scan(lists, |_| Ok::<(), std::convert::Infallible>(()));
        found
    }

    /// [`Self::validate`] and [`Self::first_headers`] in the same one pass.
    pub(crate) fn validated_fields<const N: usize>(&self, lists: &HeaderLists<N>) -> Result<[Option<Cow<'a, str>>; N]> {
        check_method(self.method)?;
        self.scan(lists, |header| validate_header_lines(std::slice::from_ref(header), Folding::Refused))
    }

    /// One pass over the headers: `check` on each, and the first of each list's names.
    fn scan<const N: usize, E>(
        &self,
        lists: &HeaderLists<N>,
        mut check: impl FnMut(&Header) -> std::result::Result<(), E>,
    ) -> std::result::Result<[Option<Cow<'a, str>>; N], E> {
        // Per list: the rank of the best name seen, the first header with it,
        // and whether that name occurs again (then its values are joined).
        let mut best: [Option<(usize, usize, bool)>; N] = [None; N];
        for (i, header) in self.headers.iter().enumerate() {
            check(header)?;
            let name = header.name.as_bytes();
            if lists.filter >> filter_key(name) & 1 == 0 {
                continue;
            }
            for (slot, names) in lists.lists.iter().enumerate() {
                // Lengths first, inline: most names differ in length.
                let Some(rank) = names.iter().position(|n| n.len() == name.len() && n.as_bytes().eq_ignore_ascii_case(name)) else {
                    continue;
                };
                match &mut best[slot] {
                    Some((r, _, repeated)) if *r == rank => *repeated = true,
                    Some((r, _, _)) if *r < rank => {}
                    other => *other = Some((rank, i, false)),
                }
            }
        }
        let mut found = [const { None }; N];
        for (slot, best) in best.into_iter().enumerate() {
            found[slot] = match best {
                None => None,
                Some((_, i, false)) => Some(Cow::Borrowed(self.headers[i].value.as_str())),
                Some((rank, _, true)) => self.header_cow(lists.lists[slot][rank]),
            };
        }
        Ok(found)
    }

    /// Rejects what cannot be a request on the wire: a method that is not an
    /// RFC 9110 token, header names that are not tokens, and header values with
    /// CR, LF or NUL (they would split or truncate the field line).
    pub(crate) fn validate(&self) -> Result<()> {
        self.validate_with(Folding::Refused)
    }

    /// As [`Self::validate`], optionally accepting obsolete line folding in
    /// values (a line break followed by a space or tab).
    pub(crate) fn validate_with(&self, folding: Folding) -> Result<()> {
        check_method(self.method)?;
        validate_header_lines(self.headers, folding)
    }
}

/// Lists of header names that [`RequestView::first_headers`] looks up in one
/// pass, built once in a `const` with a one-word filter on (length, first
/// letter): most headers match no name, and are skipped without comparing.
#[derive(Debug)]
pub struct HeaderLists<const N: usize> {
    lists: [&'static [&'static str]; N],
    filter: u64,
}

impl<const N: usize> HeaderLists<N> {
    pub const fn new(lists: [&'static [&'static str]; N]) -> Self {
        let mut filter = 0u64;
        let mut l = 0;
        while l < N {
            let mut n = 0;
            while n < lists[l].len() {
                filter |= 1 << filter_key(lists[l][n].as_bytes());
                n += 1;
            }
            l += 1;
        }
        Self { lists, filter }
    }
}

/// The bit of a name in [`HeaderLists`]' filter: equal for names equal up to ASCII case.
const fn filter_key(name: &[u8]) -> u32 {
    let first = if name.is_empty() { 0 } else { name[0].to_ascii_lowercase() as usize };
    ((name.len() * 31 + first) % 64) as u32
}

fn check_method(method: &str) -> Result<()> {
    if is_token(method) { Ok(()) } else { Err(HmacSigError::invalid_request(format!("the method {method:?} is not an HTTP token"))) }
}

/// Rejects header names that are not tokens and values with NUL, or with CR
/// or LF other than (when `folding` allows it) an obsolete line fold.
pub fn validate_header_lines(headers: &[Header], folding: Folding) -> Result<()> {
    for header in headers {
        if !is_token(&header.name) {
            return Err(HmacSigError::invalid_request(format!("the header name {:?} is not an HTTP token", header.name)));
        }
        let v = header.value.as_bytes();
        // The common case, a value with no CR, LF or NUL at all.
        if !has_nul_cr_or_lf(v) {
            continue;
        }
        let byte_ok = |i: usize, b: u8| match (b, folding) {
            (0, _) | (b'\r' | b'\n', Folding::Refused) => false,
            (b'\r', Folding::Allowed) => v.get(i + 1) == Some(&b'\n'),
            (b'\n', Folding::Allowed) => matches!(v.get(i + 1), Some(b' ' | b'\t')),
            _ => true,
        };
        if !v.iter().enumerate().all(|(i, &b)| byte_ok(i, b)) {
            let why = match folding {
                Folding::Refused => "contains CR, LF or NUL",
                Folding::Allowed => "has NUL or a line break that is not a fold",
            };
            return Err(HmacSigError::invalid_request(format!("the value of header {:?} {why}", header.name)));
        }
    }
    Ok(())
}

/// Whether `bytes` holds a NUL, CR or LF: eight bytes at a time (one pass for
/// all three, where three `memchr`s would each pay their set-up on a short value).
fn has_nul_cr_or_lf(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // NUL, LF and CR are all below 14: one test finds any byte below 14 (the
    // classic "has less than" trick), and only a word that has one is looked
    // at byte by byte (tabs and other controls are rare in values).
    let has_control = |x: u64| x.wrapping_sub(ONES * 14) & !x & HIGHS != 0;
    let has_one = |word: &[u8]| word.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n'));
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if has_control(u64::from_le_bytes(word.try_into().expect("eight bytes"))) && has_one(word) {
            return true;
        }
    }
    // The tail: the value's last eight bytes (re-reading some checked ones),
    // or when it is shorter, its bytes shifted into a word of spaces (in a
    // register: a copy into a stack buffer stalls the load that follows).
    let rest = words.remainder();
    let last = match bytes.len().checked_sub(8) {
        _ if rest.is_empty() => return false,
        Some(start) => u64::from_le_bytes(bytes[start..].try_into().expect("eight bytes")),
        None => rest.iter().fold(ONES * u64::from(b' '), |word, &b| word << 8 | u64::from(b)),
    };
    has_control(last) && has_one(rest)
}

/// Whether header values may carry obsolete line folding (RFC 9112 section 5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folding {
    Refused,
    Allowed,
}

/// RFC 9110 `token`: one or more `tchar`.
pub fn is_token(s: &str) -> bool {
    // A fold, not `all`: no branch per byte (names are short, and valid).
    !s.is_empty() && s.bytes().fold(true, |ok, b| ok & TCHAR[usize::from(b)])
}

/// RFC 9110 `tchar`, by byte (a table: header names are checked on every sign).
const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~');
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: Vec<Header>) -> Request {
        Request { method: "GET".into(), target: "/".into(), headers, body: vec![] }
    }

    #[test]
    fn repeated_headers_join_with_comma_space_in_order() {
        let r = req(vec![Header::new("X-A", "1"), Header::new("x-b", "2"), Header::new("x-a", "3")]);
        assert_eq!(r.view().header_joined("X-a").as_deref(), Some("1, 3"));
        assert_eq!(r.view().header_joined("x-c"), None);
    }

    #[test]
    fn first_headers_agrees_with_one_lookup_per_list() {
        let r = req(vec![
            Header::new("content_type", "late-rank"),
            Header::new("Date", "d1"),
            Header::new("Content-Type", "a"),
            Header::new("X-Other", "o"),
            Header::new("DATE", "d2"),
            Header::new("content-type", "b"),
        ]);
        let view = r.view();
        let lists = HeaderLists::new([&["CONTENT-TYPE", "CONTENT_TYPE"], &["DATE", "HTTP_DATE"], &["X-MISSING"], &["CONTENT_TYPE"]]);
        let found = view.first_headers(&lists);
        assert_eq!(found[0].as_deref(), Some("a, b"));
        assert_eq!(found[1].as_deref(), Some("d1, d2"));
        assert_eq!(found[2], None);
        assert_eq!(found[3].as_deref(), Some("late-rank"));
        for (slot, names) in lists.lists.iter().enumerate() {
            assert_eq!(found[slot], view.first_header_cow(names), "list {slot}");
        }
    }

    #[test]
    fn the_word_at_a_time_check_finds_every_nul_cr_and_lf() {
        for len in 0..40 {
            for at in 0..len {
                for bad in [0u8, b'\r', b'\n'] {
                    let mut v: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    v[at] = bad;
                    assert!(has_nul_cr_or_lf(&v), "{bad} at {at} of {len}");
                }
            }
            // Bytes next to the three (and high bytes) are not matches.
            let clean: Vec<u8> = (0..len).map(|i| [1u8, 9, 11, 12, 14, 0x80, 0xff, 0x8d, 0x8a, b' '][i % 10]).collect();
            assert!(!has_nul_cr_or_lf(&clean), "length {len}");
        }
        // Every byte value at every position of short values, against the plain check.
        for len in 1..20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut v = vec![b'\t'; len];
                    v[at] = byte;
                    assert_eq!(has_nul_cr_or_lf(&v), matches!(byte, 0 | b'\r' | b'\n'), "{byte} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn tokens_are_checked_byte_by_byte() {
        for byte in 0..=255u8 {
            let name = [b'X', byte, b'y'];
            let expected = byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte);
            assert_eq!(std::str::from_utf8(&name).is_ok_and(is_token), expected, "{byte}");
        }
        assert!(!is_token(""));
    }

    #[test]
    fn empty_value_is_present() {
        let r = req(vec![Header::new("Date", "")]);
        assert_eq!(r.view().header_joined("date").as_deref(), Some(""));
    }

    #[test]
    fn validation_rejects_field_line_breakers() {
        assert!(req(vec![Header::new("X-A", "a\r\nX-Evil: 1")]).view().validate().is_err());
        assert!(req(vec![Header::new("Bad Name", "v")]).view().validate().is_err());
        let mut r = req(vec![]);
        r.method = "GE T".into();
        assert_eq!(r.view().validate().unwrap_err().kind(), "invalid_request");
        assert!(req(vec![Header::new("Content_Type", "x")]).view().validate().is_ok());
    }

    #[test]
    fn validated_fields_is_validate_then_first_headers() {
        let lists = HeaderLists::new([&["DATE", "HTTP_DATE"], &["CONTENT-TYPE"]]);
        let cases = [
            ("POST", vec![Header::new("Date", "d"), Header::new("content-type", "a"), Header::new("Content-Type", "b")]),
            ("POST", vec![Header::new("Date", "d"), Header::new("X-A", "a\r\nX-Evil: 1")]),
            ("POST", vec![Header::new("Date", "d\0"), Header::new("Bad Name", "v")]),
            ("POST", vec![Header::new("", "v")]),
            ("POST", vec![Header::new("X-Tab", "a\tb"), Header::new("X-Fold", "a\r\n b")]),
            ("GE T", vec![Header::new("Date", "d")]),
            ("GET", vec![]),
        ];
        for (method, headers) in cases {
            let mut r = req(headers);
            r.method = method.into();
            let view = r.view();
            assert_eq!(view.validated_fields(&lists), view.validate().map(|()| view.first_headers(&lists)), "{r:?}");
        }
    }
}
