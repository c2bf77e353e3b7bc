//! `hmacsig explain`: what it finds when a received request does not
//! verify (a changed body, content type, path, key id, secret or AWS
//! scope), and what it shows when there is no signature.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::cases::{BODY, NOW, SECRET, URL, explain_raw, sign, tempdir};
use common::{SECRET_VAR, hmacsig, raw_request, sent_lines};

#[test]
fn explain_pinpoints_a_changed_body() {
    let flags = &["--scheme", "api-auth", "--digest", "sha256"];
    let lines = sent_lines(sign(flags, &[], URL).ok());
    let out = explain_raw(flags, &[], &raw_request("POST", "/orders?id=7", &lines, br#"{"order":{"id":7,"qty":9}}"#, "\r\n"));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("(matches)"), "the signature itself is fine: {}", out.stdout);
    assert!(out.stdout.contains("verify: body_mismatch: "));
    let body = out.stdout.lines().find(|l| l.starts_with("  - body: ")).expect("a body finding");
    assert!(body.contains("X-Authorization-Content-SHA256 is \"+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=\""), "{body}");
    assert!(body.contains("the 26-byte body hashes to"), "{body}");
}

#[test]
fn explain_pinpoints_a_changed_content_type() {
    let flags = &["--scheme", "api-auth", "--digest", "sha256"];
    let client = tempdir("content-type").join("client.sts");
    let client_flag = client.to_str().unwrap();
    let lines = sent_lines(sign(flags, &["--save-string-to-sign", client_flag], URL).ok());
    let changed: Vec<String> = lines.iter().map(|l| l.replace("application/json", "text/plain")).collect();
    let out = explain_raw(
        flags,
        &["--their-string-to-sign", client_flag],
        &raw_request("POST", "/orders?id=7", &changed, BODY.as_bytes(), "\r\n"),
    );
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("(DIFFERS)"));
    assert!(
        out.stdout.contains(r#"  - content-type: the received signature matches Content-Type "application/json": the client signed that, and it became "text/plain" after signing"#),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("  - string to sign: the client's differs from byte 5, in the content-type field"), "{}", out.stdout);
    assert!(out.stdout.contains("  - POST,text/plain,") && out.stdout.contains("  + POST,application/json,"));
    assert!(out.stdout.contains("         ^ from byte 5, in the content-type field"), "{}", out.stdout);
}

#[test]
fn explain_spots_the_content_type_curl_adds() {
    // Signed without a Content-Type, sent with `curl -d`, which adds one.
    let flags = &["--scheme", "api-auth", "--digest", "sha256"];
    let out = hmacsig(
        &[
            "sign",
            "--scheme",
            "api-auth",
            "--digest",
            "sha256",
            "--key-id",
            "k1",
            "--secret-env",
            SECRET_VAR,
            "--now",
            NOW,
            "-d",
            BODY,
            URL,
        ],
        Some(SECRET),
        b"",
    );
    let mut lines = sent_lines(out.ok());
    assert!(out.stdout.ends_with("Content-Type:\n"), "the headers tell curl to add no Content-Type: {}", out.stdout);
    lines.push("Content-Type: application/x-www-form-urlencoded".into());
    let out = explain_raw(flags, &[], &raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), "\r\n"));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains(
            r#"  - content-type: the received signature matches the request without its Content-Type "application/x-www-form-urlencoded""#
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn explain_pinpoints_a_changed_path() {
    let flags = &["--scheme", "api-auth", "--digest", "sha256"];
    let client = tempdir("path").join("client.sts");
    let client_flag = client.to_str().unwrap();
    let lines = sent_lines(sign(flags, &["--save-string-to-sign", client_flag], URL).ok());
    let out =
        explain_raw(flags, &["--their-string-to-sign", client_flag], &raw_request("POST", "/ordersx?id=7", &lines, BODY.as_bytes(), "\n"));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("verify: bad_signature: "));
    assert!(out.stdout.contains("  - string to sign: the client's differs from byte 74, in the request uri field"), "{}", out.stdout);
    // A query added after signing is found without the client's string.
    let path_only = sent_lines(sign(flags, &[], "https://api.example.com/orders").ok());
    let out = explain_raw(flags, &[], &raw_request("POST", "/orders?id=7", &path_only, BODY.as_bytes(), "\n"));
    assert!(out.stdout.contains("  - request uri: the received signature matches the target without its query ?id=7"), "{}", out.stdout);
}

#[test]
fn explain_without_a_signature_shows_the_string_to_sign_escaped() {
    let out = hmacsig(
        &[
            "explain",
            "--scheme",
            "timestamped",
            "--key-id",
            "k1",
            "--secret-env",
            SECRET_VAR,
            "--now",
            NOW,
            "-d",
            "a\tb\u{1}\u{a0}",
            "https://h/x",
        ],
        Some(SECRET),
        b"",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("  | POSThttps://h/x1700000000a\\tb\\x01\\u{00a0}\n"), "{}", out.stdout);
    assert!(out.stdout.contains("received signature: none"));
    assert!(out.stdout.contains("  X-Request-Timestamp: 1700000000\n"));
}

#[test]
fn explain_compares_a_given_signature_and_names_the_key_id() {
    let flags =
        ["--scheme", "api-auth", "--key-id", "k1", "--secret-env", SECRET_VAR, "--now", NOW, "-H", "Date: Tue, 14 Nov 2023 22:13:20 GMT"];
    let mut args = vec!["explain"];
    args.extend(flags);
    args.extend(["http://h/x"]);
    let expected = hmacsig(&args, Some(SECRET), b"").ok().lines().find_map(|l| l.strip_prefix("expected signature: ")).unwrap().to_owned();
    let mut with = args.clone();
    with.splice(1..1, ["--signature", expected.as_str()]);
    let out = hmacsig(&with, Some(SECRET), b"");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("(matches)") && out.stdout.contains("what differs: nothing, the request verifies"), "{}", out.stdout);

    let authorization = format!("APIAuth other:{expected}");
    let mut other = args.clone();
    other.splice(1..1, ["--authorization", authorization.as_str()]);
    let out = hmacsig(&other, Some(SECRET), b"");
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains(r#"  - key id: the request names key id "other" but --key-id is "k1""#), "{}", out.stdout);
}

#[test]
fn explain_guesses_a_decoded_secret() {
    let secret = BASE64.encode(b"sixteen byte key");
    let sign_args = ["sign", "--scheme", "path-body-hex", "--key-id", "k1", "--secret-env", SECRET_VAR, "http://h/x?y=1"];
    // A client that (wrongly) decoded the secret signs with the decoded bytes.
    let decoded = String::from_utf8(BASE64.decode(&secret).unwrap()).unwrap();
    let lines = sent_lines(hmacsig(&sign_args, Some(&decoded), b"").ok());
    let out = hmacsig(
        &["explain", "--scheme", "path-body-hex", "--key-id", "k1", "--secret-env", SECRET_VAR, "--raw"],
        Some(&secret),
        &raw_request("GET", "/x?y=1", &lines, b"", "\r\n"),
    );
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("  - secret: the received signature matches the secret base64-decoded"), "{}", out.stdout);
    assert!(!out.stdout.contains(&secret) && !out.stdout.contains(&decoded));
}

#[test]
fn explain_names_an_aws_scope_for_another_region() {
    let flags = |region: &'static str| ["--scheme", "aws-sigv4", "--region", region, "--service", "s3"];
    let lines = sent_lines(sign(&flags("us-east-1"), &[], URL).ok());
    let out = explain_raw(&flags("eu-west-1"), &[], &raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), "\r\n"));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("  - scope: the credential scope 20231114/us-east-1/s3/aws4_request is not for 20231114/eu-west-1/s3/aws4_request"),
        "{}",
        out.stdout
    );
}
