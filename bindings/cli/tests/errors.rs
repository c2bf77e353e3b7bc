//! Every error path of the binary: its exit code (2 usage, 3 input) and a
//! one-line message on stderr, never a panic.

mod common;

use common::cases::{SECRET, tempdir};
use common::{SECRET_VAR, hmacsig};

#[test]
fn every_error_has_its_exit_code_and_one_line() {
    let dir = tempdir("errors");
    let missing = dir.join("missing");
    let missing = missing.to_str().unwrap();
    let k = ["--key-id", "k1", "--secret-env", SECRET_VAR];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> { head.iter().chain(&k).chain(tail).map(|s| (*s).to_owned()).collect() };
    let at_missing = format!("@{missing}");
    // argv, the secret, stdin, the exit code, what stderr says.
    type Case<'a> = (Vec<String>, Option<&'a str>, &'a [u8], i32, &'a str);
    let cases: Vec<Case> = vec![
        (with(&["sign", "--scheme", "api-auth"], &["http://h/"]), None, b"", 3, "HMACSIG_TEST_SECRET (the secret) is not set"),
        (with(&["sign", "--scheme", "api-auth"], &["http://h/"]), Some(""), b"", 3, "is empty"),
        (
            vec![
                "sign".into(),
                "--scheme".into(),
                "api-auth".into(),
                "--key-id".into(),
                "k1".into(),
                "--secret-file".into(),
                missing.into(),
                "http://h/".into(),
            ],
            None,
            b"",
            3,
            "cannot read the secret file",
        ),
        (with(&["sign", "--scheme", "api-auth"], &["-d", &at_missing, "http://h/"]), Some(SECRET), b"", 3, "cannot read the body file"),
        (
            with(&["sign", "--scheme", "api-auth", "-X", "PURGE"], &["http://h/"]),
            Some(SECRET),
            b"",
            3,
            "unsupported: api-auth cannot sign method",
        ),
        (with(&["sign", "--scheme", "api-auth"], &["http://h/a b"]), Some(SECRET), b"", 3, "invalid_request: "),
        (with(&["verify", "--scheme", "api-auth"], &[]), Some(SECRET), b"GET /\r\n\r\n", 3, "malformed request: the request line"),
        (with(&["verify", "--scheme", "api-auth"], &[]), Some(SECRET), b"", 3, "malformed request: no HTTP request"),
        (
            with(&["explain", "--scheme", "api-auth", "--raw"], &[]),
            Some(SECRET),
            b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc",
            3,
            "Content-Length says 9",
        ),
        (
            with(&["explain", "--scheme", "api-auth"], &["--their-string-to-sign", missing, "http://h/"]),
            Some(SECRET),
            b"",
            3,
            "cannot read the client's string to sign",
        ),
        (
            with(
                &["sign", "--scheme", "aws-sigv4", "--region", "r", "--service", "s", "--session-token-env", "HMACSIG_TEST_NO_SUCH_VAR"],
                &["http://h/"],
            ),
            Some(SECRET),
            b"",
            3,
            "HMACSIG_TEST_NO_SUCH_VAR (the session token) is not set",
        ),
        (
            with(&["sign", "--scheme", "api-auth", "--region", "x"], &["http://h/"]),
            Some(SECRET),
            b"",
            2,
            "--region applies to aws-sigv4 only, not api-auth",
        ),
        (
            with(&["verify", "--scheme", "path-body-hex", "--clock-skew", "5"], &[]),
            Some(SECRET),
            b"",
            2,
            "--clock-skew applies to api-auth and aws-sigv4 and rfc9421 and kong-hmac and hawk only",
        ),
        (with(&["sign", "--scheme", "aws-sigv4", "--region", "x"], &["http://h/"]), Some(SECRET), b"", 2, "aws-sigv4 needs --service"),
        (
            with(&["sign", "--scheme", "api-auth", "--digest", "md5"], &["http://h/"]),
            Some(SECRET),
            b"",
            2,
            "unsupported: api-auth digest \"md5\"",
        ),
        (with(&["sign", "--scheme", "api-auth", "-H", "no colon"], &["http://h/"]), Some(SECRET), b"", 2, "-H \"no colon\""),
        (with(&["sign", "--scheme", "api-auth", "--curl"], &["/relative"]), Some(SECRET), b"", 2, "--curl needs an absolute"),
        (with(&["sign", "--scheme", "api-auth"], &["http://h/#frag"]), Some(SECRET), b"", 2, "fragment"),
        (with(&["sign", "--scheme", "api-auth"], &["ftp://h/"]), Some(SECRET), b"", 2, "must be http:// or https://"),
        (with(&["sign", "--scheme", "nope"], &["http://h/"]), Some(SECRET), b"", 2, "invalid value 'nope' for '--scheme"),
        (
            vec!["sign".into(), "--scheme".into(), "api-auth".into(), "--key-id".into(), "k1".into(), "http://h/".into()],
            Some(SECRET),
            b"",
            2,
            "--secret-env",
        ),
        (
            with(&["sign", "--scheme", "api-auth", "--no-such-flag"], &["http://h/"]),
            Some(SECRET),
            b"",
            2,
            "unexpected argument '--no-such-flag'",
        ),
        (with(&["explain", "--scheme", "api-auth", "--raw", "-X", "GET"], &[]), Some(SECRET), b"", 2, "cannot be used with"),
        (
            with(&["sign", "--scheme", "kong-hmac", "--algorithm", "hmac-md5"], &["http://h/"]),
            Some(SECRET),
            b"",
            2,
            "unsupported: kong-hmac algorithm \"hmac-md5\" is not offered",
        ),
        (with(&["sign", "--scheme", "hawk", "--algorithm", "sha512"], &["http://h/"]), Some(SECRET), b"", 2, "unsupported: hawk algorithm"),
        (
            with(&["sign", "--scheme", "kong-hmac", "--cover", "bad name"], &["http://h/"]),
            Some(SECRET),
            b"",
            2,
            "kong-hmac cannot sign the name",
        ),
        (
            with(&["sign", "--scheme", "hawk", "--cover", "date"], &["http://h/"]),
            Some(SECRET),
            b"",
            2,
            "--cover applies to kong-hmac only, not hawk",
        ),
        (
            with(&["sign", "--scheme", "kong-hmac", "--ext", "x"], &["http://h/"]),
            Some(SECRET),
            b"",
            2,
            "--ext applies to hawk only, not kong-hmac",
        ),
        (with(&["sign", "--scheme", "hawk", "--dlg", "d"], &["http://h/"]), Some(SECRET), b"", 2, "--dlg needs --app"),
        (with(&["sign", "--scheme", "hawk", "--ext", "a\"b"], &["http://h/"]), Some(SECRET), b"", 2, "cannot travel in a Hawk header"),
        (
            with(&["sign", "--scheme", "hawk", "--signature-type", "query", "-X", "POST"], &["http://h/"]),
            Some(SECRET),
            b"",
            2,
            "a hawk bewit authorizes GET and HEAD only, not POST",
        ),
        (
            with(&["sign", "--scheme", "hawk"], &["/no-host"]),
            Some(SECRET),
            b"",
            3,
            "invalid_request: an origin-form target needs a Host header",
        ),
        (
            with(&["verify", "--scheme", "kong-hmac", "--port", "443"], &[]),
            Some(SECRET),
            b"",
            2,
            "--port applies to hawk only, not kong-hmac",
        ),
        (
            with(&["verify", "--scheme", "hawk", "--allow-algorithm", "hmac-sha1"], &[]),
            Some(SECRET),
            b"",
            2,
            "--allow-algorithm applies to kong-hmac only, not hawk",
        ),
        (
            with(&["verify", "--scheme", "kong-hmac", "--allow-algorithm", "sha1"], &[]),
            Some(SECRET),
            b"",
            2,
            "unsupported: kong-hmac algorithm \"sha1\"",
        ),
        (with(&["verify", "--scheme", "hawk", "--host", "a/b"], &[]), Some(SECRET), b"", 2, "is not a host name"),
        (with(&["verify", "--scheme", "hawk", "--http-version", "3"], &[]), Some(SECRET), b"", 2, "invalid value '3' for '--http-version"),
    ];
    for (args, secret, stdin, code, says) in cases {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = hmacsig(&argv, secret, stdin);
        assert_eq!(out.code, code, "{argv:?}: {out:?}");
        assert!(out.stderr.contains(says), "{argv:?}: stderr {:?} should say {says:?}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{argv:?}");
        if code == 3 {
            assert_eq!(out.stderr.lines().count(), 1, "one line: {:?}", out.stderr);
            assert!(out.stderr.starts_with("hmacsig: "));
        }
    }
}
