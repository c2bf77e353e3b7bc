//! Clock and HTTP dates.
//!
//! Time is Unix seconds (`i64`) everywhere: callers may inject it, and it
//! defaults to the system clock.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{HmacSigError, Result};

/// `now` when given, else the system clock.
pub fn now_or_system(now: Option<i64>) -> i64 {
    now.unwrap_or_else(|| match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    })
}

/// Appends the IMF-fixdate (`Tue, 14 Nov 2023 22:13:20 GMT`) of `unix` to
/// `out`, as `httpdate` writes it. The last date written is kept per thread
/// (signers sign many requests a second), as text, so a repeat is one copy.
pub fn push_http_date(unix: i64, out: &mut String) -> Result<()> {
    thread_local! {
        static LAST: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
    }
    LAST.with_borrow_mut(|(at, text)| {
        if *at != unix || text.is_empty() {
            check_date_range(unix)?;
            text.clear();
            // Written in place: no allocation once the text has its 29 bytes.
            let _ = write!(text, "{}", httpdate::HttpDate::from(UNIX_EPOCH + Duration::from_secs(unix.unsigned_abs())));
            *at = unix;
        }
        out.push_str(text);
        Ok(())
    })
}

/// The IMF-fixdate of Unix seconds in 1970..=9999 (`httpdate` panics outside
/// them, so they are checked first). The tests' reference for `push_http_date`.
#[cfg(test)]
fn http_date(unix: i64) -> Result<String> {
    check_date_range(unix)?;
    Ok(httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(unix.unsigned_abs())))
}

/// Dates are written for the years 1970..=9999 only (the four-digit years of
/// IMF-fixdate and SigV4).
fn check_date_range(unix: i64) -> Result<()> {
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    if !(0..=MAX).contains(&unix) {
        return Err(HmacSigError::invalid_request(format!("the clock {unix} is outside the years 1970..9999 a date can express")));
    }
    Ok(())
}

/// `(year, month, day, hour, minute, second)` in UTC of Unix seconds in 1970..=9999.
pub fn utc_fields(unix: i64) -> Result<(i64, i64, i64, i64, i64, i64)> {
    check_date_range(unix)?;
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Civil from days (H. Hinnant), the inverse of `days_from_civil`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Ok((year, month, day, secs / 3600, secs % 3600 / 60, secs % 60))
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const SHORT_DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const LONG_DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Parses an HTTP date the way Ruby's `Time.httpdate` does, which is what the
/// api-auth gem verifies with: IMF-fixdate, RFC 850 and asctime, ASCII
/// case-insensitive, surrounding whitespace allowed, the weekday name checked
/// for form but not for truth. Returns Unix seconds, or `None` when Ruby
/// would raise.
pub fn parse_http_date_ruby(text: &str) -> Option<i64> {
    thread_local! {
        // The last date parsed: a server sees the same Date on every request
        // of the same second.
        static LAST: RefCell<(String, Option<i64>)> = const { RefCell::new((String::new(), None)) };
    }
    LAST.with_borrow_mut(|(last, parsed)| {
        if last.as_str() != text || last.is_empty() {
            *parsed = parse_http_date_ruby_uncached(text);
            last.clear();
            if text.len() <= 64 {
                last.push_str(text);
            }
        }
        *parsed
    })
}

fn parse_http_date_ruby_uncached(text: &str) -> Option<i64> {
    let s = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    // Every form is ASCII (Ruby's patterns match no other byte), and the slicing below is by
    // byte: anything else is no date (a multi-byte character once panicked it; found by
    // fuzz/fuzz_targets/http_dates.rs).
    if !s.is_ascii() {
        return None;
    }
    // Every form is at most 33 bytes: lower-case a copy on the stack.
    let mut buffer = [0u8; 40];
    let lower = buffer.get_mut(..s.len())?;
    lower.copy_from_slice(s.as_bytes());
    lower.make_ascii_lowercase();
    let lower = std::str::from_utf8(lower).ok()?;
    let b = lower.as_bytes();
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if let Some(rest) = strip_day(lower, &SHORT_DAYS).and_then(|r| r.strip_prefix(", ")) {
        let r = rest.as_bytes();
        if r.len() == 24 && r[2] == b' ' && r[6] == b' ' && r[11] == b' ' && &rest[20..] == " gmt" {
            let day = digits(&r[0..2])?;
            let month = month(&rest[3..6])?;
            let year = digits(&r[7..11])?;
            let (h, m, sec) = clock(&r[12..20])?;
            return civil_to_unix(year, month, day, h, m, sec);
        }
        return None;
    }
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    if let Some(rest) = strip_day(lower, &LONG_DAYS).and_then(|r| r.strip_prefix(", ")) {
        let r = rest.as_bytes();
        if r.len() == 22 && r[2] == b'-' && r[6] == b'-' && r[9] == b' ' && &rest[18..] == " gmt" {
            let day = digits(&r[0..2])?;
            let month = month(&rest[3..6])?;
            let yy = digits(&r[7..9])?;
            let year = if yy < 50 { yy + 2000 } else { yy + 1900 };
            let (h, m, sec) = clock(&r[10..18])?;
            return civil_to_unix(year, month, day, h, m, sec);
        }
        return None;
    }
    // asctime: "Sun Nov  6 08:49:37 1994"
    if b.len() == 24 && b[3] == b' ' && b[7] == b' ' && b[10] == b' ' && b[19] == b' ' {
        strip_day(&lower[0..3], &SHORT_DAYS)?;
        let month = month(&lower[4..7])?;
        let day = if b[8] == b' ' { digits(&b[9..10])? } else { digits(&b[8..10])? };
        let (h, m, sec) = clock(&b[11..19])?;
        let year = digits(&b[20..24])?;
        return civil_to_unix(year, month, day, h, m, sec);
    }
    None
}

fn strip_day<'a>(s: &'a str, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| s.strip_prefix(n))
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
}

fn month(s: &str) -> Option<i64> {
    MONTHS.iter().position(|m| *m == s).map(|i| i as i64 + 1)
}

fn clock(b: &[u8]) -> Option<(i64, i64, i64)> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..8])?))
}

/// Ruby's `Time.utc` ranges: day 1..31 (a day past the month's end rolls
/// over), hour 0..24 (24 only as 24:00:00), minute 0..59, second 0..60.
fn civil_to_unix(year: i64, month: i64, day: i64, h: i64, m: i64, s: i64) -> Option<i64> {
    if !(1..=31).contains(&day) || !(0..=24).contains(&h) || !(0..=59).contains(&m) || !(0..=60).contains(&s) {
        return None;
    }
    if h == 24 && (m != 0 || s != 0) {
        return None;
    }
    Some(days_from_civil(year, month, 1) * 86_400 + (day - 1) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_700_000_000; // Tue, 14 Nov 2023 22:13:20 GMT

    #[test]
    fn the_cache_writes_what_it_computed() {
        for unix in [0, 1, T, T + 1, T, 951_782_400, 253_402_300_799] {
            for _ in 0..2 {
                let mut pushed = String::from("Date: ");
                push_http_date(unix, &mut pushed).unwrap();
                assert_eq!(pushed, format!("Date: {}", http_date(unix).unwrap()), "{unix}");
            }
        }
        assert_eq!(http_date(253_402_300_799).unwrap(), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(http_date(951_782_400).unwrap(), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn formats_imf_fixdate() {
        assert_eq!(http_date(T).unwrap(), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(http_date(-1).err().unwrap().kind(), "invalid_request");
        assert!(http_date(i64::MAX).is_err());
        let mut out = String::new();
        assert!(push_http_date(-1, &mut out).is_err());
        assert!(push_http_date(i64::MIN, &mut out).is_err());
        assert_eq!(out, "");
    }

    #[test]
    fn parses_the_three_forms_like_ruby() {
        assert_eq!(parse_http_date_ruby("Tue, 14 Nov 2023 22:13:20 GMT"), Some(T));
        assert_eq!(parse_http_date_ruby("  tue, 14 NOV 2023 22:13:20 gmt \n"), Some(T));
        assert_eq!(parse_http_date_ruby("Mon, 14 Nov 2023 22:13:20 GMT"), Some(T), "weekday not checked");
        assert_eq!(parse_http_date_ruby("Tuesday, 14-Nov-23 22:13:20 GMT"), Some(T));
        assert_eq!(parse_http_date_ruby("Tue Nov 14 22:13:20 2023"), Some(T));
        assert_eq!(parse_http_date_ruby("Thu Jan  1 00:00:00 1970"), Some(0));
    }

    #[test]
    fn rejects_what_ruby_rejects() {
        for bad in [
            "Tue, 14 Nov 2023 22:13:20 +0000",
            "Tue, 14 Nov 2023 22:13:20 UTC",
            "2023-11-14T22:13:20Z",
            "Tue, 4 Nov 2023 22:13:20 GMT",
            "Tue, 14 Nov 2023 25:13:20 GMT",
            "",
            "Tue, 32 Nov 2023 22:13:20 GMT",
        ] {
            assert_eq!(parse_http_date_ruby(bad), None, "{bad}");
        }
    }

    /// Found by fuzz/fuzz_targets/http_dates.rs: a multi-byte character where a form slices
    /// by byte panicked (a server reading such a Date header would have).
    #[test]
    fn non_ascii_dates_are_no_date_and_never_panic() {
        for bad in [
            "monday, \n\n-<\0\n-<, \t\n\x0cn\n\t\u{105490}\0\0",
            "Sunday, 06-Nov-94 08:49:3\u{e9} GMT",
            "Sunday, 06-N\u{f6}v-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GM\u{1f600}",
            "Sun Nov  6 08:49:37 199\u{e9}",
            "T\u{fc}e, 14 Nov 2023 22:13:20 GMT",
        ] {
            assert_eq!(parse_http_date_ruby(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn day_past_month_end_rolls_over_like_time_utc() {
        assert_eq!(parse_http_date_ruby("Fri, 31 Nov 2023 00:00:00 GMT"), parse_http_date_ruby("Fri, 01 Dec 2023 00:00:00 GMT"));
    }

    #[test]
    fn the_parse_cache_answers_as_the_parse_does() {
        let texts = [
            "Tue, 14 Nov 2023 22:13:20 GMT",
            "Tue, 14 Nov 2023 22:13:20 GMT",
            "not a date",
            "not a date",
            "",
            "Tue, 14 Nov 2023 22:13:21 GMT",
        ];
        for text in texts.iter().chain(texts.iter().rev()) {
            assert_eq!(parse_http_date_ruby(text), parse_http_date_ruby_uncached(text), "{text:?}");
        }
        let long = format!("{} {}", "x".repeat(70), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(parse_http_date_ruby(&long), None);
        assert_eq!(parse_http_date_ruby(&long), None, "a text too long to keep is parsed again");
    }
}
