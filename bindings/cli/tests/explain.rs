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

#[test]
fn explain_finds_a_kong_path_its_request_line_and_date() {
    let flags = &["--scheme", "kong-hmac"];
    // Signed for /orders, sent to /orders?id=7.
    let path_only = sent_lines(sign(flags, &[], "https://api.example.com/orders").ok());
    let out = explain_raw(flags, &[], &raw_request("POST", "/orders?id=7", &path_only, BODY.as_bytes(), "\r\n"));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("verify: bad_signature: "), "{}", out.stdout);
    assert!(out.stdout.contains("  | @request-target: post /orders?id=7\n"), "{}", out.stdout);
    assert!(out.stdout.contains("  - request uri: the received signature matches the target without its query ?id=7"), "{}", out.stdout);

    // The client's request line said HTTP/1.1; this verifier writes 2.0.
    let line = &["--scheme", "kong-hmac", "--cover", "date", "--cover", "request-line"];
    let lines = sent_lines(sign(line, &[], URL).ok());
    let out = explain_raw(
        &["--scheme", "kong-hmac", "--http-version", "2.0"],
        &[],
        &raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), "\r\n"),
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("  - request line: the received signature matches request-line with HTTP/1.1: the client signed the version it sent, and this verifier writes HTTP/2.0; give --http-version 1.1"),
        "{}",
        out.stdout
    );

    // The Date sent is 2 s later than the one signed, in Proxy-Authorization.
    let proxy = &["--scheme", "kong-hmac", "--header-name", "proxy-authorization"];
    let lines: Vec<String> = sent_lines(sign(proxy, &[], URL).ok()).iter().map(|l| l.replace("22:13:20", "22:13:22")).collect();
    let out = explain_raw(flags, &[], &raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), "\r\n"));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("  Proxy-Authorization: hmac username=\"k1\""), "{}", out.stdout);
    assert!(
        out.stdout.contains(r#"  - date: the received signature matches Date "Tue, 14 Nov 2023 22:13:20 GMT", 2 s earlier"#),
        "{}",
        out.stdout
    );
    // And a request that verifies says so.
    let good = sent_lines(sign(proxy, &[], URL).ok());
    let out = explain_raw(flags, &[], &raw_request("POST", "/orders?id=7", &good, BODY.as_bytes(), "\r\n"));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("what differs: nothing, the request verifies"), "{}", out.stdout);
}

#[test]
fn explain_finds_the_port_a_hawk_client_signed_behind_a_proxy() {
    let flags = &["--scheme", "hawk"];
    // Signed for https://api.example.com (443); the server behind the TLS terminator sees Host: api.example.com (80).
    let lines = sent_lines(sign(&["--scheme", "hawk", "--nonce", "n1", "--ext", "e"], &[], URL).ok());
    let raw = raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), "\r\n");
    let out = explain_raw(flags, &[], &raw);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("    port      80\n") && out.stdout.contains("    nonce     n1\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "  - host: the received signature matches host api.example.com and port 443: the client signed the URL it called, and the \
             request reached this server as api.example.com:80 (behind a proxy or TLS terminator); verify with --port 443"
        ),
        "{}",
        out.stdout
    );
    let out = explain_raw(&[flags, &["--port", "443"][..]].concat(), &[], &raw);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("(matches)") && out.stdout.contains("what differs: nothing, the request verifies"), "{}", out.stdout);
    // A changed body: the MAC covers the payload hash the request carries.
    let changed = raw_request("POST", "/orders?id=7", &lines, br#"{"order":{"id":7,"qty":9}}"#, "\r\n");
    let out = explain_raw(&[flags, &["--port", "443"][..]].concat(), &[], &changed);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("verify: body_mismatch: "), "{}", out.stdout);
    assert!(out.stdout.contains("  - body: the request's payload hash "), "{}", out.stdout);
    // A clock too far off.
    let out = explain_raw(&[flags, &["--port", "443", "--timestamp-skew", "0"][..]].concat(), &[], &raw);
    assert!(out.stdout.contains("  - time: apart from the signature, the request is refused: stale: "), "{}", out.stdout);
}

#[test]
fn explain_reads_a_hawk_bewit() {
    let args = ["--scheme", "hawk", "--key-id", "k1", "--secret-env", SECRET_VAR];
    let url = hmacsig(&[&["sign"][..], &args, &["--signature-type", "query", "--ext", "x", "--now", NOW, URL]].concat(), Some(SECRET), b"");
    let url = url.ok().trim_end().to_owned();
    let target = url.strip_prefix("https://api.example.com").unwrap();
    let raw = raw_request("GET", target, &["Host: api.example.com".to_owned()], b"", "\r\n");
    let out = explain_raw(&["--scheme", "hawk", "--port", "443"], &[], &raw);
    assert_eq!(out.code, 1, "no --signature-type query: a verifier looks for Authorization");
    assert!(
        out.stdout.contains("  - bewit: the request carries a bewit: a verifier takes it only with --signature-type query"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("(matches)") && out.stdout.contains("    exp       1700000060\n"), "{}", out.stdout);
    let out = explain_raw(&["--scheme", "hawk", "--port", "443", "--signature-type", "query"], &[], &raw);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("bewit URL:\n  ") && out.stdout.contains("/orders?id=7&bewit="), "{}", out.stdout);
}
