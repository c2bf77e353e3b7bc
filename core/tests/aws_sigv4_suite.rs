//! The aws-c-auth SigV4 suite (`tests/vectors/aws-sigv4/aws-c-auth/v4/`, 38
//! cases), header and query signing: string to sign, signature and presigned
//! URL byte for byte, then the signed request verifies.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hmacsig::{Credentials, Header, Policy, Request, Scheme, SignatureType, Signer, verify_request};
use serde_json::Value;

fn suite_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/aws-sigv4/aws-c-auth/v4");
    assert!(dir.is_dir(), "the SigV4 suite is missing at {}", dir.display());
    dir
}

/// `request.txt`: request line, `Name:value` lines (folded lines start with
/// whitespace and stay part of the value), a blank line, the body.
pub fn parse_request(text: &str) -> Request {
    let (head, body) = text.split_once("\n\n").unwrap_or((text.trim_end_matches('\n'), ""));
    let mut lines = head.split('\n');
    let request_line = lines.next().unwrap();
    let method = request_line.split(' ').next().unwrap().to_owned();
    let target = request_line[method.len() + 1..request_line.rfind(" HTTP/").unwrap()].to_owned();
    let mut headers: Vec<Header> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.value.push('\n');
            last.value.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push(Header::new(name, value));
        }
    }
    Request { method, target, headers, body: body.as_bytes().to_vec() }
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn aws_c_auth_suite_header_and_query() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite_dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert_eq!(cases.len(), 38);
    let now = 1_440_938_160; // 2015-08-30T12:36:00Z
    let mut failures = Vec::new();
    let (mut compared, mut verified_count) = (0, 0);
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let context: Value = serde_json::from_str(&read(dir, "context.json")).unwrap();
        assert_eq!(context["timestamp"], "2015-08-30T12:36:00Z");
        let creds = &context["credentials"];
        let credentials = Arc::new(Credentials::new(
            creds["access_key_id"].as_str().unwrap().into(),
            creds["secret_access_key"].as_str().unwrap().as_bytes().to_vec(),
        ));
        let request = parse_request(&read(dir, "request.txt"));
        for (kind, signature_type) in [("header", SignatureType::Header), ("query", SignatureType::Query)] {
            let scheme = Scheme::aws_sigv4(
                context["region"].as_str().unwrap().into(),
                context["service"].as_str().unwrap().into(),
                creds["token"].as_str().map(str::to_owned),
                context["omit_session_token"].as_bool().unwrap_or(false),
                context["normalize"].as_bool().unwrap(),
                true,
                context["sign_body"].as_bool().unwrap(),
                Some(signature_type),
                context["expiration_in_seconds"].as_u64().unwrap() as u32,
            )
            .unwrap();
            let signed = Signer::new(scheme.clone(), credentials.clone()).sign_request(request.clone(), Some(now)).unwrap();
            let sts = String::from_utf8(signed.string_to_sign.clone()).unwrap();
            let expected_sts = read(dir, &format!("{kind}-string-to-sign.txt"));
            let expected_sig = read(dir, &format!("{kind}-signature.txt"));
            compared += 1;
            if sts != expected_sts {
                failures.push(format!("{name} {kind}: string to sign\n{sts}\n--- expected\n{expected_sts}"));
                continue;
            }
            let signed_request = read(dir, &format!("{kind}-signed-request.txt"));
            let mut verify_request_value = request.clone();
            match signature_type {
                SignatureType::Header => {
                    let auth = &signed.headers.last().unwrap().value;
                    if !auth.ends_with(&format!("Signature={expected_sig}")) {
                        failures.push(format!("{name} header: {auth} does not end with {expected_sig}"));
                    }
                    // The signed request file lists the added headers in order.
                    let added: Vec<String> = signed.headers.iter().map(|h| format!("{}:{}", h.name, h.value)).collect();
                    let expected_tail: Vec<&str> = signed_request
                        .split("\n\n")
                        .next()
                        .unwrap()
                        .lines()
                        .rev()
                        .take(added.len())
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    if added != expected_tail {
                        failures.push(format!("{name} header: added {added:?}, expected {expected_tail:?}"));
                    }
                    verify_request_value.headers.extend(signed.headers.clone());
                }
                SignatureType::Query => {
                    let line = signed_request.lines().next().unwrap();
                    let url = &line[request.method.len() + 1..line.rfind(" HTTP/").unwrap()];
                    if signed.url.as_deref() != Some(url) {
                        failures.push(format!("{name} query: url {:?}\nexpected {url:?}", signed.url));
                    }
                    verify_request_value.target = signed.url.clone().unwrap();
                }
            }
            if context["omit_session_token"].as_bool() != Some(true) {
                let verified =
                    verify_request(scheme.clone(), credentials.clone(), verify_request_value, Some(Policy::aws_sigv4(900)), Some(now + 60));
                verified_count += 1;
                if verified.as_deref() != Ok("AKIDEXAMPLE") {
                    failures.push(format!("{name} {kind}: verify gave {verified:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of 76 failed:\n{}", failures.len(), failures.join("\n\n"));
    assert_eq!((compared, verified_count), (76, 74), "every case signed both ways; all but post-sts-header-after verified");
}
