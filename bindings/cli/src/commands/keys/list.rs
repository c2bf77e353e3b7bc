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
    let rows: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| {
            serde_json::json!({
                "key_id": k.key_id,
                "version": k.version,
                "created_at": k.created_at,
                "expires_at": k.expires_at,
                "revoked_at": k.revoked_at,
                "state": state(k.state),
            })
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("JSON values serialize") + "\n"
}

/// Unix seconds as RFC 3339 UTC (`humantime`); a time before 1970, which no
/// store writes, as its number.
fn rfc3339(unix: i64) -> String {
    match u64::try_from(unix) {
        Ok(secs) => humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).to_string(),
        Err(_) => unix.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "-1");
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
        let one: serde_json::Value = serde_json::from_str(&json(&[key("a\"b\\\u{1}", 1, None, KeyState::Revoked)])).unwrap();
        assert_eq!(
            one,
            serde_json::json!([{"key_id": "a\"b\\\u{1}", "version": 1, "created_at": 1_700_000_000, "expires_at": null, "revoked_at": null, "state": "Revoked"}])
        );
    }
}
