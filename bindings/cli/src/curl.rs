//! What `sign` prints for curl: header lines for `curl -H @-`, or a whole
//! command that sends exactly what was signed.
//!
//! curl changes requests unless told not to: `-d` adds `Content-Type:
//! application/x-www-form-urlencoded` and strips line breaks from `@file`;
//! the path's `../` and `./` are resolved; `[]{}` in the URL are globs. So the
//! command uses `--path-as-is --globoff`, sends the body with `--data-binary`
//! (a file) or `--data-raw` (text) or through `printf` (other bytes), and
//! names every header it must not add (`Name:` sends none; `Name;` sends an
//! empty value).

use hmacsig::Header;

use crate::input::{Body, BodySource};

/// One line per header, curl's way: `Name: value`, `Name;` for an empty
/// value, then `Name:` for each header that must not be sent.
pub fn header_lines(headers: &[Header], suppressed: &[String]) -> Vec<String> {
    let sent = headers.iter().map(|h| if h.value.is_empty() { format!("{};", h.name) } else { format!("{}: {}", h.name, h.value) });
    sent.chain(suppressed.iter().map(|name| format!("{name}:"))).collect()
}

/// A POSIX shell command running curl with `lines` as headers.
pub fn command(method: &str, url: &str, lines: &[String], body: Option<&Body>) -> String {
    let mut words: Vec<String> = vec!["curl --path-as-is --globoff".to_owned()];
    words.push(if method == "HEAD" { "--head".to_owned() } else { format!("-X {}", quote(method)) });
    words.extend(lines.iter().map(|line| format!("-H {}", quote(line))));
    let mut pipe = None;
    match body {
        None => {}
        Some(Body { source: BodySource::File(path), .. }) => {
            words.push(format!("--data-binary {}", quote(&format!("@{}", path.display()))));
        }
        Some(Body { bytes, .. }) => match std::str::from_utf8(bytes) {
            Ok(text) if text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r')) => {
                words.push(format!("--data-raw {}", quote(text)));
            }
            _ => {
                pipe = Some(format!("printf {} | ", printf_format(bytes)));
                words.push("--data-binary @-".to_owned());
            }
        },
    }
    words.push(quote(url));
    format!("{}{}", pipe.unwrap_or_default(), words.join(" \\\n  "))
}

/// `s` as one shell word: bare when it is plainly safe, else single-quoted.
pub fn quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !s.is_empty() && s.chars().all(plain) { s.to_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// A quoted `printf` format that prints exactly `bytes` (octal escapes for
/// everything but plain printable ASCII).
fn printf_format(bytes: &[u8]) -> String {
    let mut out = String::from("'");
    for &b in bytes {
        match b {
            b'%' => out.push_str("%%"),
            b'\\' | b'\'' => out.push_str(&format!("\\{b:03o}")),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_the_shell() {
        assert_eq!(quote("POST"), "POST");
        assert_eq!(quote("Date: Tue, 14 Nov"), "'Date: Tue, 14 Nov'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        for s in ["a'b\"c$d`e\\f\ng", "x[1]=$(id)", "'"] {
            let out = std::process::Command::new("sh").arg("-c").arg(format!("printf %s {}", quote(s))).output().unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), s);
        }
    }

    #[test]
    fn printf_reproduces_any_bytes() {
        let bytes: Vec<u8> = (0..=255).collect();
        let out = std::process::Command::new("sh").arg("-c").arg(format!("printf {}", printf_format(&bytes))).output().unwrap();
        assert_eq!(out.stdout, bytes);
    }

    #[test]
    fn lines_use_curls_spelling_for_empty_and_absent() {
        let lines = header_lines(&[Header::new("A", "1"), Header::new("X-Empty", "")], &["Content-Type".into()]);
        assert_eq!(lines, ["A: 1", "X-Empty;", "Content-Type:"]);
    }

    #[test]
    fn commands_pick_the_body_form() {
        let text = Body { bytes: b"a\nb".to_vec(), source: BodySource::Stdin };
        assert_eq!(
            command("POST", "http://h/x", &["A: 1".into()], Some(&text)),
            "curl --path-as-is --globoff \\\n  -X POST \\\n  -H 'A: 1' \\\n  --data-raw 'a\nb' \\\n  http://h/x"
        );
        let binary = Body { bytes: vec![0, 1], source: BodySource::Inline };
        assert!(command("PUT", "http://h/", &[], Some(&binary)).starts_with("printf '\\000\\001' | curl"));
        let file = Body { bytes: vec![], source: BodySource::File("my body.json".into()) };
        assert!(command("POST", "http://h/", &[], Some(&file)).contains("--data-binary '@my body.json'"));
        assert!(command("HEAD", "http://h/", &[], None).contains("--head"));
    }
}
