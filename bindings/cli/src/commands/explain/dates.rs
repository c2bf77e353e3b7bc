//! Dates the schemes send: HTTP-dates (`Tue, 14 Nov 2023 22:13:20 GMT`,
//! kong-hmac's `Date`) and AWS's `YYYYMMDDTHHMMSSZ`, to and from Unix seconds.

use std::time::{Duration, UNIX_EPOCH};

/// Unix seconds of a UTC date and time (Howard Hinnant's days_from_civil).
pub fn unix(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400 + hh * 3600 + mm * 60 + ss
}

/// `YYYYMMDDTHHMMSSZ` as Unix seconds.
pub fn amz_date_to_unix(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    Some(unix(num(0..4)?, num(4..6)?, num(6..8)?, num(9..11)?, num(11..13)?, num(13..15)?))
}

/// An HTTP-date (`Tue, 14 Nov 2023 22:13:20 GMT`) as Unix seconds.
pub fn http_date_to_unix(text: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(text).ok()?;
    time.duration_since(UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok())
}

/// Unix seconds (1970 or later) as an IMF-fixdate.
pub fn unix_to_http_date(t: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(t.max(0).unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(amz_date_to_unix("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(amz_date_to_unix("2015-08-30"), None);
        assert_eq!(http_date_to_unix("Tue, 14 Nov 2023 22:13:20 GMT"), Some(1_700_000_000));
        assert_eq!(unix_to_http_date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(unix_to_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(unix_to_http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        for t in [0, 951_782_400, 1_700_000_000, 4_102_444_799] {
            assert_eq!(http_date_to_unix(&unix_to_http_date(t)), Some(t));
        }
        assert_eq!(http_date_to_unix("Tue, 14 Nov 2023 22:13:20"), None);
    }
}
