//! `ngx_parse_http_time` (nginx `src/core/ngx_parse_time.c`), the HTTP-date
//! parser behind Kong's `ngx.parse_http_time`, ported byte for byte.
//!
//! Contract: the same Unix seconds as nginx for every input, or `None` where
//! nginx returns `NGX_ERROR`. nginx is loose, and so is this, on purpose: Kong
//! accepts any date it parses, and so must a verifier that accepts what Kong
//! accepts. It reads the three forms of RFC 9110 (`Tue, 14 Nov 2023 22:13:20
//! GMT`, `Tuesday, 14-Nov-23 22:13:20 GMT`, `Tue Nov 14 22:13:20 2023`) but
//! checks neither the weekday, nor `GMT`, nor most letters of the month, and
//! ignores what follows the seconds (the year, in asctime).

const MDAY: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

#[derive(PartialEq, Eq, Clone, Copy)]
enum Form {
    None,
    Rfc822,
    Rfc850,
    Isoc,
}

/// Unix seconds of `value` as nginx parses it, or `None`.
pub fn parse(value: &str) -> Option<i64> {
    let v = value.as_bytes();
    let end = v.len() as isize;
    // nginx reads a few bytes past a check without testing the end (its
    // length checks make them fall inside the value for the accepted
    // forms); past the end reads as NUL here, which fails every test.
    let at = |p: isize| -> u8 { if (0..end).contains(&p) { v[p as usize] } else { 0 } };
    let digit = |p: isize| at(p).is_ascii_digit();
    let num = |p: isize| i64::from(at(p) - b'0');

    let mut form = Form::None;
    let mut p: isize = 0;
    while p < end {
        if at(p) == b',' {
            break;
        }
        if at(p) == b' ' {
            form = Form::Isoc;
            break;
        }
        p += 1;
    }
    p += 1;
    while p < end && at(p) == b' ' {
        p += 1;
    }
    if end - p < 18 {
        return None;
    }
    let mut day = 0;
    if form != Form::Isoc {
        if !digit(p) || !digit(p + 1) {
            return None;
        }
        day = num(p) * 10 + num(p + 1);
        p += 2;
        match at(p) {
            b' ' => {
                if end - p < 18 {
                    return None;
                }
                form = Form::Rfc822;
            }
            b'-' => form = Form::Rfc850,
            _ => return None,
        }
        p += 1;
    }
    let month: i64 = match at(p) {
        b'J' if at(p + 1) == b'a' => 0,
        b'J' if at(p + 2) == b'n' => 5,
        b'J' => 6,
        b'F' => 1,
        b'M' if at(p + 2) == b'r' => 2,
        b'M' => 4,
        b'A' if at(p + 1) == b'p' => 3,
        b'A' => 7,
        b'S' => 8,
        b'O' => 9,
        b'N' => 10,
        b'D' => 11,
        _ => return None,
    };
    p += 3;
    if (form == Form::Rfc822 && at(p) != b' ') || (form == Form::Rfc850 && at(p) != b'-') {
        return None;
    }
    p += 1;
    let mut year = 0;
    match form {
        Form::Rfc822 => {
            if !(0..4).all(|i| digit(p + i)) {
                return None;
            }
            year = num(p) * 1000 + num(p + 1) * 100 + num(p + 2) * 10 + num(p + 3);
            p += 4;
        }
        Form::Rfc850 => {
            if !digit(p) || !digit(p + 1) {
                return None;
            }
            year = num(p) * 10 + num(p + 1);
            year += if year < 70 { 2000 } else { 1900 };
            p += 2;
        }
        Form::Isoc | Form::None => {}
    }
    if form == Form::Isoc {
        if at(p) == b' ' {
            p += 1;
        }
        if !digit(p) {
            return None;
        }
        day = num(p);
        p += 1;
        if at(p) != b' ' {
            if !digit(p) {
                return None;
            }
            day = day * 10 + num(p);
            p += 1;
        }
        if end - p < 14 {
            return None;
        }
    }
    let two = |p: isize| (digit(p) && digit(p + 1)).then(|| num(p) * 10 + num(p + 1));
    if at(p) != b' ' {
        return None;
    }
    p += 1;
    let hour = two(p)?;
    p += 2;
    if at(p) != b':' {
        return None;
    }
    p += 1;
    let min = two(p)?;
    p += 2;
    if at(p) != b':' {
        return None;
    }
    p += 1;
    let sec = two(p)?;
    if form == Form::Isoc {
        p += 2;
        if at(p) != b' ' {
            return None;
        }
        p += 1;
        if !(0..4).all(|i| digit(p + i)) {
            return None;
        }
        year = num(p) * 1000 + num(p + 1) * 100 + num(p + 2) * 10 + num(p + 3);
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    if day == 29 && month == 1 {
        if (year & 3) != 0 || (year % 100 == 0 && year % 400 != 0) {
            return None;
        }
    } else if day > MDAY[month as usize] {
        return None;
    }
    // Gauss' formula, as nginx: the year starts on March 1, months from 1.
    let (mut month, mut year) = (month, year);
    month -= 1;
    if month <= 0 {
        month += 12;
        year -= 1;
    }
    let days = 365 * year + year / 4 - year / 100 + year / 400 + 367 * month / 12 - 30 + day - 1 - 719_527 + 31 + 28;
    Some(days * 86_400 + hour * 3600 + min * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::parse;

    const T: i64 = 1_700_000_000; // Tue, 14 Nov 2023 22:13:20 GMT

    #[test]
    fn reads_the_three_forms() {
        assert_eq!(parse("Tue, 14 Nov 2023 22:13:20 GMT"), Some(T));
        assert_eq!(parse("Tuesday, 14-Nov-23 22:13:20 GMT"), Some(T));
        assert_eq!(parse("Tue Nov 14 22:13:20 2023"), Some(T));
        assert_eq!(parse("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse("Tue, 29 Feb 2000 00:00:00 GMT"), Some(951_782_400));
    }

    #[test]
    fn is_as_loose_as_nginx() {
        // Weekday, zone and trailing text are not checked; nor the month's other letters.
        assert_eq!(parse("Xyz, 14 Nov 2023 22:13:20 XYZ and more"), Some(T));
        assert_eq!(parse("Tue,    14 Nov 2023 22:13:20"), Some(T));
        assert_eq!(parse("Tue, 14 Nzz 2023 22:13:20 GMT"), Some(T));
        assert_eq!(parse("Tue, 00 Nov 2023 22:13:20 GMT"), Some(T - 14 * 86_400));
    }

    #[test]
    fn refuses_what_nginx_refuses() {
        for bad in [
            "",
            "wrong date",
            "Tue, 14 nov 2023 22:13:20 GMT",
            "Tue, 4 Nov 2023 22:13:20 GMT",
            "Tue, 14 Nov 2023 24:00:00 GMT",
            "Tue, 31 Nov 2023 22:13:20 GMT",
            "Tue, 29 Feb 1900 00:00:00 GMT",
            "14 Nov 2023 22:13:20 GMT",
            "Tue, 14 Nov 2023 22:13",
            "1700000000",
            "Tue Nov 14 22:13:20",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
