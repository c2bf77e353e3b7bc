//! The `hmacsig` binary, driven as a user would: sign, verify, explain,
//! keygen, every error path, and curl sending exactly what was signed.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Capture, SECRET_VAR, hmacsig, raw_request, sent_lines, sh};
use hmacsig::{ContentDigest, Credentials, Header, Request, Scheme, SignatureType, sign_request};
use serde_json::Value;

const SECRET: &str = "top-secret";
const NOW: &str = "1700000000";
const BODY: &str = r#"{"order":{"id":7,"qty":2}}"#;

/// One scheme, as CLI flags and as the core's constructor.
struct SchemeCase {
    flags: &'static [&'static str],
    scheme: fn() -> Arc<Scheme>,
}

fn schemes() -> Vec<SchemeCase> {
    vec![
        SchemeCase {
            flags: &["--scheme", "api-auth", "--digest", "sha256"],
            scheme: || Scheme::api_auth("sha256".into(), vec![], None).unwrap(),
        },
        SchemeCase {
            flags: &["--scheme", "api-auth", "--sign-header", "X-Request-Id", "--override-method", "PUT"],
            scheme: || Scheme::api_auth("sha1".into(), vec!["X-Request-Id".into()], Some("PUT".into())).unwrap(),
        },
        SchemeCase {
            flags: &["--scheme", "path-body-hex", "--digest", "sha256"],
            scheme: || Scheme::path_body_hex("sha256".into()).unwrap(),
        },
        SchemeCase { flags: &["--scheme", "timestamped"], scheme: || Scheme::timestamped(None, false) },
        SchemeCase {
            flags: &["--scheme", "timestamped", "--header-style", "authorization", "--lowercase-url"],
            scheme: || Scheme::timestamped(Some(hmacsig::HeaderStyle::Authorization), true),
        },
        SchemeCase {
            flags: &["--scheme", "aws-sigv4", "--region", "us-east-1", "--service", "execute-api", "--sign-body"],
            scheme: || Scheme::aws_sigv4("us-east-1".into(), "execute-api".into(), None, false, true, true, true, None, 3600).unwrap(),
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
        },
    ]
}

/// `hmacsig sign <flags> --key-id k1 --secret-env … --now NOW -X POST -H … -d BODY URL`.
fn sign(flags: &[&str], extra: &[&str], url: &str) -> common::Run {
    let mut args = vec!["sign"];
    args.extend(flags);
    args.extend(["--key-id", "k1", "--secret-env", SECRET_VAR, "--now", NOW, "-X", "POST"]);
    args.extend(["-H", "Content-Type: application/json", "-H", "Host: api.example.com", "-H", "X-Request-Id: req-1", "-d", BODY]);
    args.extend(extra);
    args.push(url);
    hmacsig(&args, Some(SECRET), b"")
}

const URL: &str = "https://api.example.com/orders?id=7";

#[test]
fn sign_prints_the_cores_headers_for_every_scheme() {
    for case in schemes() {
        let out = sign(case.flags, &[], URL);
        let request = Request {
            method: "POST".into(),
            target: URL.into(),
            headers: vec![
                Header::new("Content-Type", "application/json"),
                Header::new("Host", "api.example.com"),
                Header::new("X-Request-Id", "req-1"),
            ],
            body: BODY.as_bytes().to_vec(),
        };
        let credentials = Arc::new(Credentials::new("k1".into(), SECRET.as_bytes().to_vec()));
        let signed = sign_request((case.scheme)(), credentials, request.clone(), Some(NOW.parse().unwrap())).unwrap();
        let mut expected: Vec<String> = request
            .headers
            .iter()
            .filter(|h| !signed.headers.iter().any(|s| s.name.eq_ignore_ascii_case(&h.name)))
            .chain(&signed.headers)
            .map(|h| format!("{}: {}", h.name, h.value))
            .collect();
        expected.push(String::new());
        assert_eq!(out.ok(), expected.join("\n"), "{:?}", case.flags);
    }
}

#[test]
fn presigned_aws_prints_the_cores_url() {
    let flags = [
        "--scheme",
        "aws-sigv4",
        "--region",
        "eu-west-1",
        "--service",
        "s3",
        "--signature-type",
        "query",
        "--expires",
        "600",
        "--no-normalize",
        "--no-double-uri-encode",
    ];
    let mut args = vec!["sign"];
    args.extend(flags);
    args.extend(["--key-id", "AKIDEXAMPLE", "--secret-env", SECRET_VAR, "--now", NOW, "https://bucket.s3.amazonaws.com/a%20b.txt?x=1"]);
    let out = hmacsig(&args, Some(SECRET), b"");
    let scheme =
        Scheme::aws_sigv4("eu-west-1".into(), "s3".into(), None, false, false, false, false, Some(SignatureType::Query), 600).unwrap();
    let request =
        Request { method: "GET".into(), target: "https://bucket.s3.amazonaws.com/a%20b.txt?x=1".into(), headers: vec![], body: vec![] };
    let credentials = Arc::new(Credentials::new("AKIDEXAMPLE".into(), SECRET.as_bytes().to_vec()));
    let url = sign_request(scheme, credentials, request, Some(1_700_000_000)).unwrap().url.unwrap();
    assert_eq!(out.ok(), format!("{url}\n"));
    assert!(url.contains("X-Amz-Expires=600") && url.contains("X-Amz-Signature="));
}

/// The gem's own signing vectors (tests/vectors/api-auth) that curl-style
/// arguments can express: a path target and headers set as plain fields.
#[test]
fn sign_matches_the_gem_vectors() {
    let path = common::vectors_dir().join("api-auth/vectors.json");
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let dir = tempdir("vectors");
    let mut checked = 0;
    for case in vectors["sign"].as_array().unwrap() {
        let (input, output) = (&case["input"], &case["output"]);
        let plain = input["uri_kind"] == "path"
            && input["raw_headers"].as_array().unwrap().is_empty()
            && input["extra_fields"].as_array().unwrap().is_empty()
            && input["body_via"] != "body_stream";
        if output.is_null() || !plain {
            continue;
        }
        if input["secret"] == "" {
            // The gem signs with an empty key; the CLI refuses an empty secret
            // variable as the misconfiguration it almost always is.
            let out = hmacsig(&["sign", "--scheme", "api-auth", "--key-id", "k", "--secret-env", SECRET_VAR, "/"], Some(""), b"");
            assert_eq!(out.code, 3, "{out:?}");
            continue;
        }
        let mut args: Vec<String> =
            ["sign", "--scheme", "api-auth", "--key-id", input["access_id"].as_str().unwrap(), "--secret-env", SECRET_VAR]
                .map(String::from)
                .to_vec();
        args.extend(["--now".into(), input["clock_at_sign"].to_string(), "-X".into(), input["method"].as_str().unwrap().into()]);
        let options = &input["sign_options"];
        if let Some(d) = options["digest"].as_str() {
            args.extend(["--digest".into(), d.into()]);
        }
        for h in options["headers_to_sign"].as_array().into_iter().flatten() {
            args.extend(["--sign-header".into(), h.as_str().unwrap().into()]);
        }
        if let Some(m) = options["override_http_method"].as_str() {
            args.extend(["--override-method".into(), m.into()]);
        }
        for pair in input["headers"].as_array().unwrap() {
            let (name, value) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap().trim());
            // Net::HTTP strips values; an empty one is sent as curl's `Name;`.
            args.extend(["-H".into(), if value.is_empty() { format!("{name};") } else { format!("{name}: {value}") }]);
        }
        if let Some(body) = input["body_b64"].as_str() {
            let file = dir.join(format!("{}.body", case["id"].as_str().unwrap()));
            std::fs::write(&file, BASE64.decode(body).unwrap()).unwrap();
            args.extend(["-d".into(), format!("@{}", file.display())]);
        }
        args.push(input["uri"].as_str().unwrap().into());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = hmacsig(&argv, input["secret"].as_str(), b"");
        if options["digest"].as_str().is_some_and(|d| d.eq_ignore_ascii_case("md5")) {
            // The gem signs with MD5; this library never does.
            assert_eq!(out.code, 2, "{out:?}");
            assert!(out.stderr.contains("unsupported: api-auth digest"));
            continue;
        }
        let stdout = out.ok();
        for (name, value) in output["headers_added"].as_object().unwrap() {
            let value = value.as_str().unwrap();
            assert!(
                stdout.lines().any(|l| l.split_once(": ").is_some_and(|(n, v)| n.eq_ignore_ascii_case(name) && v == value)),
                "{}: expected {name}: {value} in\n{stdout}",
                case["id"]
            );
        }
        checked += 1;
    }
    assert!(checked >= 80, "only {checked} vectors were usable");
}

#[test]
fn signed_requests_verify_through_raw_http() {
    for case in schemes() {
        let lines = sent_lines(sign(case.flags, &[], URL).ok());
        for eol in ["\r\n", "\n"] {
            let raw = raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), eol);
            let out = verify(case.flags, &raw, "1700000001");
            assert_eq!((out.code, out.stdout.as_str()), (0, "ok: key id k1\n"), "{:?} {eol:?}: {}", case.flags, out.stderr);
        }
    }
}

fn verify(flags: &[&str], raw: &[u8], now: &str) -> common::Run {
    let mut args = vec!["verify"];
    args.extend(flags);
    args.extend(["--key-id", "k1", "--secret-env", SECRET_VAR, "--now", now]);
    hmacsig(&args, Some(SECRET), raw)
}

#[test]
fn tampered_requests_are_refused_with_their_kind() {
    let flags = &["--scheme", "api-auth", "--digest", "sha256"];
    let lines = sent_lines(sign(flags, &[], URL).ok());
    let refused = |raw: Vec<u8>, now: &str, kind: &str| {
        let out = verify(flags, &raw, now);
        assert_eq!(out.code, 1, "{kind}: {out:?}");
        assert!(out.stdout.starts_with(&format!("{kind}: ")), "{kind}: {}", out.stdout);
        assert!(!out.stderr.contains("panicked"));
    };
    refused(raw_request("POST", "/orders?id=7", &lines, br#"{"order":{"id":7,"qty":9}}"#, "\r\n"), "1700000001", "body_mismatch");
    refused(raw_request("POST", "/orders?id=8", &lines, BODY.as_bytes(), "\r\n"), "1700000001", "bad_signature");
    refused(raw_request("POST", "/orders?id=7", &lines, BODY.as_bytes(), "\r\n"), "1700000900", "stale");
    let unsigned: Vec<String> = lines.iter().filter(|l| !l.starts_with("Authorization")).cloned().collect();
    refused(raw_request("POST", "/orders?id=7", &unsigned, BODY.as_bytes(), "\r\n"), "1700000001", "missing_authorization");
    let other_key: Vec<String> = lines.iter().map(|l| l.replace(" k1:", " k2:")).collect();
    refused(raw_request("POST", "/orders?id=7", &other_key, BODY.as_bytes(), "\r\n"), "1700000001", "unknown_key");
    let bad = verify(flags, &raw_request("POST", "/orders?id=8", &lines, BODY.as_bytes(), "\r\n"), "1700000001");
    assert!(bad.stderr.contains("hmacsig explain --raw"), "a bad signature points at explain: {}", bad.stderr);
}

/// `hmacsig explain --raw` over a request; `extra` after the key flags.
fn explain_raw(flags: &[&str], extra: &[&str], raw: &[u8]) -> common::Run {
    let mut args = vec!["explain"];
    args.extend(flags);
    args.extend(["--key-id", "k1", "--secret-env", SECRET_VAR, "--now", "1700000001", "--raw"]);
    args.extend(extra);
    hmacsig(&args, Some(SECRET), raw)
}

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
fn keygen_prints_a_fresh_88_character_secret() {
    let a = hmacsig(&["keygen"], None, b"").ok().to_owned();
    let b = hmacsig(&["keygen"], None, b"").ok().to_owned();
    let key = a.strip_suffix('\n').unwrap();
    assert_eq!(key.len(), 88);
    assert!(key.ends_with("==") && BASE64.decode(key).unwrap().len() == 64, "{key}");
    assert_ne!(a, b);
}

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
            "--clock-skew applies to api-auth and aws-sigv4 and rfc9421 only",
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
    ];
    for run in runs {
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(secret) && !text.contains(&encoded), "the secret leaked: {text}");
        }
    }
}

/// `sign --curl`, run by sh, sends exactly what was signed: no Content-Type
/// curl would add, `../` and `[]` kept, line breaks and binary bytes intact.
#[test]
fn the_curl_command_sends_what_was_signed() {
    let dir = tempdir("curl");
    std::fs::write(dir.join("body.txt"), "line one\r\nline two\n").unwrap();
    let cases: [(&[&str], &str, &[u8]); 4] = [
        (&["-d", "@body.txt"], "/a/../b?x[1]=2", b""),
        (&["-d", "@-", "-H", "X-Empty;"], "/text", b"{\"a\":\n 1}\n"),
        (&["-d", "@-", "-X", "PUT", "-H", "Content-Type: application/octet-stream"], "/bin", &[0, 1, 2, 255, b'\'', b'%', b'\\']),
        (&["-X", "DELETE"], "/things/1?force=true", b""),
    ];
    for (request_flags, path, stdin) in cases {
        let server = Capture::start(|_| (200, "ok".into()));
        let url = format!("http://{}{path}", server.address);
        let flags = ["--scheme", "api-auth", "--digest", "sha256", "--key-id", "k1", "--secret-env", SECRET_VAR, "--curl"];
        let mut args = vec!["sign"];
        args.extend(flags);
        args.extend(request_flags);
        args.push(&url);
        let mut cmd = std::process::Command::new(common::bin());
        cmd.args(&args).current_dir(&dir).env(SECRET_VAR, SECRET).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin).unwrap();
        let command = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
        let sent = sh(&format!("{} -sS", command.trim_end()), None, Some(&dir));
        assert_eq!(sent.code, 0, "{command}\n{sent:?}");
        let raw = server.request();
        let out = verify(&["--scheme", "api-auth"], &raw, &now());
        assert_eq!(out.stdout, "ok: key id k1\n", "{command}\nsent:\n{}", String::from_utf8_lossy(&raw));
    }
}

/// `sign | curl -H @- --data-binary @file --path-as-is` sends what was signed too.
#[test]
fn the_header_lines_work_with_curl_h_at_stdin() {
    let dir = tempdir("curl-h");
    std::fs::write(dir.join("order.json"), "{\n  \"id\": 7\n}\n").unwrap();
    let server = Capture::start(|_| (200, "ok".into()));
    let url = format!("http://{}/orders/./7?b=2&a=1", server.address);
    let script = format!(
        "hmacsig sign --scheme api-auth --digest sha256 --key-id k1 --secret-env {SECRET_VAR} -X PATCH -d @order.json '{url}' \
         | curl -sS -H @- --data-binary @order.json --path-as-is -X PATCH '{url}'"
    );
    let sent = sh(&script, Some(SECRET), Some(&dir));
    assert_eq!(sent.code, 0, "{sent:?}");
    let raw = server.request();
    assert!(raw.starts_with(b"PATCH /orders/./7?b=2&a=1 HTTP/1.1\r\n"));
    assert!(!String::from_utf8_lossy(&raw).to_ascii_lowercase().contains("content-type"), "curl was told to add none");
    assert_eq!(verify(&["--scheme", "api-auth"], &raw, &now()).stdout, "ok: key id k1\n");
}

fn now() -> String {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string()
}

/// A fresh directory under the target dir for one test's files.
fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
