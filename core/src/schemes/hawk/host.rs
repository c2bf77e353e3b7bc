//! Host and port as hawk 9 reads them, on each side.
//!
//! - A server reads `Host` with `new URL("http://" + host)` (WHATWG URL):
//!   [`from_host_header`] gives the same host name (lower-cased, IPv4 in
//!   dotted decimal, IPv6 compressed in brackets, user info dropped) and
//!   port (its number, 80 when absent), or `None` where hawk answers
//!   `Invalid Host header`. Non-ASCII names are refused here (HTTP sends
//!   them as punycode; hawk would convert them).
//! - A client reads an absolute URL with Node's legacy `url.parse`:
//!   [`from_url`] gives the lower-cased host (an IPv6 literal without its
//!   brackets) and the port as written, else 80 for `http` and 443 otherwise.

use std::net::Ipv6Addr;

/// Longest `Host` hawk reads.
const MAX_LENGTH: usize = 4096;

/// WHATWG's forbidden domain code points (besides non-ASCII, refused apart).
fn forbidden(b: u8) -> bool {
    b <= 0x20 || b == 0x7f || b"#%/:<>?@[\\]^|".contains(&b)
}

/// `(host, port)` of a `Host` value, as hawk's server takes them.
pub fn from_host_header(value: &str) -> Option<(String, String)> {
    if value.len() > MAX_LENGTH || value.contains('/') {
        return None;
    }
    // The URL parser drops tabs and newlines anywhere and spaces or controls at the end.
    let input: String = value.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let input = input.trim_end_matches(|c: char| c <= ' ');
    // The authority ends at `?`, `#` or `\` (`/` was refused above).
    let authority = input.split(['?', '#', '\\']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (inside, rest) = v6.split_once(']')?;
            let host = format!("[{}]", ipv6(inside)?);
            (host, if rest.is_empty() { None } else { Some(rest.strip_prefix(':')?) })
        }
        None => {
            let (name, port) = match host_port.split_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (host_port, None),
            };
            (domain(name)?, port)
        }
    };
    let port = match port.filter(|p| !p.is_empty()) {
        None => 80,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.trim_start_matches('0').parse::<u32>().unwrap_or(0),
        Some(_) => return None,
    };
    if port > 65_535 {
        return None;
    }
    Some((host, port.to_string()))
}

/// A domain or IPv4 host, as the WHATWG host parser gives it.
fn domain(name: &str) -> Option<String> {
    if name.is_empty() || !name.is_ascii() {
        return None;
    }
    let decoded = percent_decode(name)?;
    let lower = decoded.to_ascii_lowercase();
    if lower.bytes().any(forbidden) {
        return None;
    }
    let mut labels: Vec<&str> = lower.split('.').collect();
    if labels.len() > 1 && labels.last() == Some(&"") {
        labels.pop();
    }
    let last = labels.last().copied().unwrap_or("");
    let ends_in_number = (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())) || ipv4_number(last).is_some();
    if !ends_in_number {
        return Some(lower);
    }
    ipv4(&labels)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| char::from(*b).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().filter(|s| s.is_ascii())
}

/// One part of an IPv4 address: decimal, `0x` hex or `0` octal.
fn ipv4_number(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
        (hex, 16)
    } else if part.len() > 1 && part.starts_with('0') {
        (&part[1..], 8)
    } else {
        (part, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    if digits.len() > 20 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

fn ipv4(labels: &[&str]) -> Option<String> {
    if labels.is_empty() || labels.len() > 4 {
        return None;
    }
    let numbers: Vec<u64> = labels.iter().map(|l| ipv4_number(l)).collect::<Option<_>>()?;
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|&n| n > 255) || *last >= 256u64.pow(5 - numbers.len() as u32) {
        return None;
    }
    let address = init.iter().enumerate().fold(*last, |acc, (i, &n)| acc + n * 256u64.pow(3 - i as u32));
    let b = (address as u32).to_be_bytes();
    Some(format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]))
}

/// An IPv6 address serialized as WHATWG does: lower-case hex pieces, the
/// first longest run of two or more zero pieces written `::`.
fn ipv6(text: &str) -> Option<String> {
    let pieces = text.parse::<Ipv6Addr>().ok()?.segments();
    let mut best = (0, 0);
    let mut i = 0;
    while i < 8 {
        let run = pieces[i..].iter().take_while(|&&p| p == 0).count();
        if run > best.1 {
            best = (i, run);
        }
        i += run.max(1);
    }
    let hex = |ps: &[u16]| ps.iter().map(|p| format!("{p:x}")).collect::<Vec<_>>().join(":");
    Some(if best.1 >= 2 { format!("{}::{}", hex(&pieces[..best.0]), hex(&pieces[best.0 + best.1..])) } else { hex(&pieces) })
}

/// `(host, port)` of an absolute URL's authority, as `url.parse` gives them
/// to hawk's client; `None` when it is not `host[:port]`.
pub fn from_url(scheme: &str, authority: &str) -> Option<(String, String)> {
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let default = if scheme.eq_ignore_ascii_case("http") { "80" } else { "443" };
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, rest) = v6.split_once(']')?;
            (host, if rest.is_empty() { "" } else { rest.strip_prefix(':')? })
        }
        None => authority.rsplit_once(':').unwrap_or((authority, "")),
    };
    if host.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((host.to_lowercase(), if port.is_empty() { default } else { port }.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(v: &str) -> Option<(String, String)> {
        from_host_header(v)
    }

    fn pair(h: &str, p: &str) -> Option<(String, String)> {
        Some((h.to_owned(), p.to_owned()))
    }

    #[test]
    fn reads_host_as_the_url_standard() {
        assert_eq!(server("Example.COM:8080"), pair("example.com", "8080"));
        assert_eq!(server("example.com"), pair("example.com", "80"));
        assert_eq!(server("example.com:"), pair("example.com", "80"));
        assert_eq!(server("example.com:0443"), pair("example.com", "443"));
        assert_eq!(server("example.com:80"), pair("example.com", "80"));
        assert_eq!(server("user:pw@example.com:81"), pair("example.com", "81"));
        assert_eq!(server("example.com."), pair("example.com.", "80"));
        assert_eq!(server("[0:0::1]:8080"), pair("[::1]", "8080"));
        assert_eq!(server("[2001:db8:0:0:1:0:0:1]"), pair("[2001:db8::1:0:0:1]", "80"));
        assert_eq!(server("127.1"), pair("127.0.0.1", "80"));
        assert_eq!(server("0x7f.0.0.1:9"), pair("127.0.0.1", "9"));
        assert_eq!(server("example.com "), pair("example.com", "80"));
    }

    #[test]
    fn refuses_what_hawk_refuses() {
        for bad in [
            "",
            "a/b",
            "example.com:99999",
            "example.com:abc",
            "exa mple.com",
            " example.com",
            "[::1",
            "256.0.0.1",
            "1.2.3.4.5",
            "caf\u{e9}.com",
        ] {
            assert_eq!(server(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reads_urls_as_url_parse() {
        assert_eq!(from_url("http", "Example.com"), pair("example.com", "80"));
        assert_eq!(from_url("https", "example.com"), pair("example.com", "443"));
        assert_eq!(from_url("https", "example.com:0443"), pair("example.com", "0443"));
        assert_eq!(from_url("http", "[::1]:8080"), pair("::1", "8080"));
        assert_eq!(from_url("http", "u@h:1"), pair("h", "1"));
        assert_eq!(from_url("http", "h:x"), None);
    }
}
