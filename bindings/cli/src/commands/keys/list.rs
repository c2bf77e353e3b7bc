//! `hmacsig keys list`: a table (dates RFC 3339, UTC) or JSON; never a secret.

use hmacsig::{KeyInfo, KeyState};

use super::{MASTER_KEY_ENV, open, store_error};
use crate::args::ListArgs;
use crate::commands::Output;
use crate::error::CliResult;

pub fn run(args: ListArgs) -> CliResult<Output> {
    let store = open(&args.store, false)?;
    let keys = store.list(args.now).map_err(|e| store_error(&e, MASTER_KEY_ENV))?;
    Ok(Output::ok(if args.json { json(&keys) } else { table(&keys) }))
}

fn state(state: KeyState) -> &'static str {
    match state {
        KeyState::Active => "Active",
        KeyState::Expiring => "Expiring",
        KeyState::Expired => "Expired",
        KeyState::Revoked => "Revoked",
    }
}

/// One row a secret, columns aligned; `-` for no expiry.
fn table(keys: &[KeyInfo]) -> String {
    let header = ["KEY ID", "VERSION", "CREATED", "EXPIRES", "STATE"].map(str::to_owned);
    let rows: Vec<[String; 5]> = std::iter::once(header)
        .chain(keys.iter().map(|k| {
            [
                k.key_id.clone(),
                k.version.to_string(),
                rfc3339(k.created_at),
                k.expires_at.map_or_else(|| "-".to_owned(), rfc3339),
                state(k.state).to_owned(),
            ]
        }))
        .collect();
    let mut widths = [0usize; 5];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A JSON array of objects with the core's `KeyInfo` fields (Unix seconds).
fn json(keys: &[KeyInfo]) -> String {
    let number = |n: Option<i64>| n.map_or_else(|| "null".to_owned(), |n| n.to_string());
    let objects: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                r#"  {{"key_id": {}, "version": {}, "created_at": {}, "expires_at": {}, "revoked_at": {}, "state": "{}"}}"#,
                json_string(&k.key_id),
                k.version,
                k.created_at,
                number(k.expires_at),
                number(k.revoked_at),
                state(k.state)
            )
        })
        .collect();
    if objects.is_empty() { "[]\n".to_owned() } else { format!("[\n{}\n]\n", objects.join(",\n")) }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (Howard Hinnant's civil_from_days).
fn rfc3339(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn tables_align_and_json_escapes() {
        let key = |key_id: &str, version, expires_at, state| KeyInfo {
            key_id: key_id.into(),
            version,
            created_at: 1_700_000_000,
            expires_at,
            revoked_at: None,
            state,
        };
        let keys = [key("client-a", 2, None, KeyState::Active), key("client-a", 1, Some(1_700_000_600), KeyState::Expiring)];
        assert_eq!(
            table(&keys),
            "KEY ID    VERSION  CREATED               EXPIRES               STATE\n\
             client-a  2        2023-11-14T22:13:20Z  -                     Active\n\
             client-a  1        2023-11-14T22:13:20Z  2023-11-14T22:23:20Z  Expiring\n"
        );
        assert_eq!(json(&[]), "[]\n");
        assert_eq!(
            json(&[key("a\"b\\\u{1}", 1, None, KeyState::Revoked)]),
            "[\n  {\"key_id\": \"a\\\"b\\\\\\u0001\", \"version\": 1, \"created_at\": 1700000000, \"expires_at\": null, \
             \"revoked_at\": null, \"state\": \"Revoked\"}\n]\n"
        );
    }
}
