//! Secrets: `hmacsig keygen`, a secret read from a file, and no secret in
//! any output.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::cases::{NOW, SECRET, tempdir};
use common::{SECRET_VAR, hmacsig, raw_request, sent_lines};

#[test]
fn keygen_prints_a_fresh_88_character_secret() {
    let a = hmacsig(&["keygen"], None, b"").ok().to_owned();
    let b = hmacsig(&["keygen"], None, b"").ok().to_owned();
    let key = a.strip_suffix('\n').unwrap();
    assert_eq!(key.len(), 88);
    assert!(key.ends_with("==") && BASE64.decode(key).unwrap().len() == 64, "{key}");
    assert_ne!(a, b);
}

#[test]
fn a_secret_file_signs_like_the_variable() {
    let file = tempdir("secret-file").join("secret");
    std::fs::write(&file, format!("{SECRET}\r\n")).unwrap();
    let common = ["--scheme", "api-auth", "--key-id", "k1", "--now", NOW, "http://h/x"];
    let from_file = hmacsig(&[&["sign", "--secret-file", file.to_str().unwrap()][..], &common].concat(), None, b"");
    let from_env = hmacsig(&[&["sign", "--secret-env", SECRET_VAR][..], &common].concat(), Some(SECRET), b"");
    assert_eq!(from_file.ok(), from_env.ok());
    let both =
        hmacsig(&[&["sign", "--secret-env", SECRET_VAR, "--secret-file", file.to_str().unwrap()][..], &common].concat(), Some(SECRET), b"");
    assert_eq!(both.code, 2, "one source only: {both:?}");
}

#[test]
fn the_secret_never_appears_in_any_output() {
    let secret = "Sup3r-Secret-Value-42";
    let encoded = BASE64.encode(secret);
    let flags = ["--scheme", "api-auth", "--key-id", "k1", "--secret-env", SECRET_VAR];
    let signed = hmacsig(&[&["sign"][..], &flags, &["--now", NOW, "-d", "x", "http://h/p"]].concat(), Some(secret), b"");
    let raw = raw_request("POST", "/p", &sent_lines(signed.ok()), b"y", "\r\n");
    let runs = [
        signed,
        hmacsig(&[&["sign"][..], &flags, &["--curl", "-d", "x", "http://h/p"]].concat(), Some(secret), b""),
        hmacsig(&[&["verify"][..], &flags, &["--now", NOW]].concat(), Some(secret), &raw),
        hmacsig(&[&["explain"][..], &flags, &["--now", NOW, "--raw"]].concat(), Some(secret), &raw),
        hmacsig(&[&["explain"][..], &flags, &["--signature", "AAAA", "http://h/p"]].concat(), Some(secret), b""),
        hmacsig(&[&["sign"][..], &flags, &["-X", "PURGE", "http://h/p"]].concat(), Some(secret), b""),
        hmacsig(&[&["explain"][..], &flags, &["--raw"]].concat(), Some(secret), b"garbage"),
        hmacsig(
            &["explain", "--scheme", "kong-hmac", "--key-id", "k1", "--secret-env", SECRET_VAR, "--signature", "AAAA", "http://h/p"],
            Some(secret),
            b"",
        ),
        hmacsig(
            &["explain", "--scheme", "hawk", "--key-id", "k1", "--secret-env", SECRET_VAR, "--signature", "AAAA", "http://h/p"],
            Some(secret),
            b"",
        ),
        hmacsig(
            &["sign", "--scheme", "hawk", "--signature-type", "query", "--key-id", "k1", "--secret-env", SECRET_VAR, "http://h/p"],
            Some(secret),
            b"",
        ),
    ];
    for run in runs {
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(secret) && !text.contains(&encoded), "the secret leaked: {text}");
        }
    }
}
