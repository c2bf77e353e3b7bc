//! What the sign, verify and explain tests share: one request (`SECRET`,
//! `NOW`, `BODY`, `URL`), every scheme as CLI flags next to the core's
//! matching `Scheme`, and runs of `sign`, `verify` and `explain --raw` over
//! them.

use std::sync::Arc;

use hmacsig::{ContentDigest, Scheme};

use super::{Run, SECRET_VAR, hmacsig};

/// The secret every test signs with (in [`SECRET_VAR`]).
pub const SECRET: &str = "top-secret";
/// The signing time, Unix seconds (`--now`).
pub const NOW: &str = "1700000000";
/// The request body.
pub const BODY: &str = r#"{"order":{"id":7,"qty":2}}"#;

/// One scheme, as CLI flags and as the core's constructor.
pub struct SchemeCase {
    pub flags: &'static [&'static str],
    pub scheme: fn() -> Arc<Scheme>,
    /// Policy flags `verify` needs for the request sent to [`URL`] as
    /// `/orders?id=7` with `Host: api.example.com` (hawk: the port 443 the client signed).
    pub verify_flags: &'static [&'static str],
}

pub fn schemes() -> Vec<SchemeCase> {
    vec![
        SchemeCase {
            flags: &["--scheme", "api-auth", "--digest", "sha256"],
            scheme: || Scheme::api_auth("sha256".into(), vec![], None).unwrap(),
            verify_flags: &[],
        },
        SchemeCase {
            flags: &["--scheme", "api-auth", "--sign-header", "X-Request-Id", "--override-method", "PUT"],
            scheme: || Scheme::api_auth("sha1".into(), vec!["X-Request-Id".into()], Some("PUT".into())).unwrap(),
            verify_flags: &[],
        },
        SchemeCase {
            flags: &["--scheme", "path-body-hex", "--digest", "sha256"],
            scheme: || Scheme::path_body_hex("sha256".into()).unwrap(),
            verify_flags: &[],
        },
        SchemeCase { flags: &["--scheme", "timestamped"], scheme: || Scheme::timestamped(None, false), verify_flags: &[] },
        SchemeCase {
            flags: &["--scheme", "timestamped", "--header-style", "authorization", "--lowercase-url"],
            scheme: || Scheme::timestamped(Some(hmacsig::HeaderStyle::Authorization), true),
            verify_flags: &[],
        },
        SchemeCase {
            flags: &["--scheme", "aws-sigv4", "--region", "us-east-1", "--service", "execute-api", "--sign-body"],
            scheme: || Scheme::aws_sigv4("us-east-1".into(), "execute-api".into(), None, false, true, true, true, None, 3600).unwrap(),
            verify_flags: &[],
        },
        SchemeCase {
            flags: &[
                "--scheme",
                "rfc9421",
                "--content-digest",
                "sha-256",
                "--component",
                "@method",
                "--component",
                "@target-uri",
                "--component",
                "content-type",
                "--tag",
                "app",
            ],
            scheme: || {
                let components = ["@method", "@target-uri", "content-type"].map(String::from).to_vec();
                Scheme::rfc9421(Some(components), "sig1".into(), None, None, None, Some("app".into()), false, Some(ContentDigest::Sha256))
                    .unwrap()
            },
            verify_flags: &[],
        },
        SchemeCase {
            flags: &[
                "--scheme",
                "kong-hmac",
                "--algorithm",
                "hmac-sha512",
                "--cover",
                "date",
                "--cover",
                "request-line",
                "--cover",
                "content-type",
                "--cover",
                "digest",
                "--digest-header",
            ],
            scheme: || {
                let names = ["date", "request-line", "content-type", "digest"].map(String::from).to_vec();
                Scheme::kong_hmac("hmac-sha512".into(), Some(names), "authorization".into(), "1.1".into(), true).unwrap()
            },
            verify_flags: &["--validate-request-body", "--enforce-header", "digest"],
        },
        SchemeCase {
            flags: &[
                "--scheme",
                "kong-hmac",
                "--header-name",
                "proxy-authorization",
                "--http-version",
                "2.0",
                "--cover",
                "request-line",
                "--cover",
                "x-date",
            ],
            scheme: || {
                let names = ["request-line", "x-date"].map(String::from).to_vec();
                Scheme::kong_hmac("hmac-sha256".into(), Some(names), "proxy-authorization".into(), "2.0".into(), false).unwrap()
            },
            verify_flags: &["--clock-skew", "10"],
        },
        SchemeCase {
            flags: &["--scheme", "hawk", "--nonce", "n0nce", "--ext", "order 7", "--app", "app-1", "--dlg", "app-2"],
            scheme: || {
                let some = |s: &str| Some(s.to_owned());
                Scheme::hawk("sha256".into(), some("n0nce"), some("order 7"), some("app-1"), some("app-2"), true, None, 60).unwrap()
            },
            verify_flags: &["--port", "443", "--require-payload-hash"],
        },
        SchemeCase {
            flags: &["--scheme", "hawk", "--algorithm", "sha1", "--nonce", "n0nce", "--no-payload-hash"],
            scheme: || Scheme::hawk("sha1".into(), Some("n0nce".into()), None, None, None, false, None, 60).unwrap(),
            verify_flags: &["--host", "api.example.com", "--port", "443", "--timestamp-skew", "5"],
        },
    ]
}

/// `hmacsig sign <flags> --key-id k1 --secret-env … --now NOW -X POST -H … -d BODY URL`.
pub fn sign(flags: &[&str], extra: &[&str], url: &str) -> Run {
    let mut args = vec!["sign"];
    args.extend(flags);
    args.extend(["--key-id", "k1", "--secret-env", SECRET_VAR, "--now", NOW, "-X", "POST"]);
    args.extend(["-H", "Content-Type: application/json", "-H", "Host: api.example.com", "-H", "X-Request-Id: req-1", "-d", BODY]);
    args.extend(extra);
    args.push(url);
    hmacsig(&args, Some(SECRET), b"")
}

/// The request URL.
pub const URL: &str = "https://api.example.com/orders?id=7";

/// `hmacsig verify <flags> --key-id k1 --secret-env … --now <now>` over the raw request `raw`.
pub fn verify(flags: &[&str], raw: &[u8], now: &str) -> Run {
    let mut args = vec!["verify"];
    args.extend(flags);
    args.extend(["--key-id", "k1", "--secret-env", SECRET_VAR, "--now", now]);
    hmacsig(&args, Some(SECRET), raw)
}

/// `hmacsig explain --raw` over a request; `extra` after the key flags.
pub fn explain_raw(flags: &[&str], extra: &[&str], raw: &[u8]) -> Run {
    let mut args = vec!["explain"];
    args.extend(flags);
    args.extend(["--key-id", "k1", "--secret-env", SECRET_VAR, "--now", "1700000001", "--raw"]);
    args.extend(extra);
    hmacsig(&args, Some(SECRET), raw)
}

/// The clock now, Unix seconds, for requests sent to a live server.
pub fn now() -> String {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string()
}

/// A fresh directory under the target dir for one test's files.
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
