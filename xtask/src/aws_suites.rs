//! The official SigV4 suites as conformance cases:
//! - aws-c-auth (`tests/vectors/aws-sigv4/aws-c-auth/v4/`): 38 cases, each
//!   signed as a header and as a presigned query (76), with each case's
//!   `context.json` flags; every added header, the string to sign and the URL
//!   byte for byte; then the signed request verifies and a tampered one does not.
//! - botocore (`.../botocore-aws4_testsuite/`): 34 header cases; the string to
//!   sign and the `Authorization` value byte for byte.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::conformance::{Case, Expect};
use crate::util::{Result, vectors_dir};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOW: i64 = 1_440_938_160; // 2015-08-30T12:36:00Z, the suites' clock

/// A parsed `request.txt`: method, raw target, header lines (folded
/// continuation lines stay in the value after `\n`), body.
struct RawRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_request(text: &str) -> Result<RawRequest> {
    let (head, body) = text.split_once("\n\n").unwrap_or((text.trim_end_matches('\n'), ""));
    let mut lines = head.split('\n');
    let line = lines.next().ok_or("empty request file")?;
    let (method, rest) = line.split_once(' ').ok_or("no request line")?;
    let target = &rest[..rest.rfind(" HTTP/").ok_or("no HTTP version")?];
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().ok_or("a continuation line before any header")?;
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').ok_or_else(|| format!("not a header line: {line:?}"))?;
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    Ok(RawRequest { method: method.to_owned(), target: target.to_owned(), headers, body: body.as_bytes().to_vec() })
}

fn request_json(r: &RawRequest) -> Value {
    json!({"method": r.method, "target": r.target, "headers": r.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "body_b64": BASE64.encode(&r.body)})
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| format!("reading {}: {e}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    Ok(out)
}

fn credentials() -> Value {
    json!({"key_id": ACCESS_KEY, "secret": SECRET})
}

fn aws_c_auth(cases: &mut Vec<Case>) -> Result {
    let root = vectors_dir().join("aws-sigv4/aws-c-auth/v4");
    for dir in dirs(&root)? {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let context: Value = serde_json::from_str(&read(&dir.join("context.json"))?).map_err(|e| e.to_string())?;
        if context["timestamp"] != "2015-08-30T12:36:00Z" || context["credentials"]["access_key_id"] != ACCESS_KEY {
            return Err(format!("{name}: unexpected context {context}"));
        }
        let request = parse_request(&read(&dir.join("request.txt"))?)?;
        let omit = context["omit_session_token"].as_bool().unwrap_or(false);
        for kind in ["header", "query"] {
            let scheme = json!({
                "name": "aws-sigv4", "region": context["region"], "service": context["service"],
                "session_token": context["credentials"]["token"], "omit_session_token": omit,
                "normalize": context["normalize"], "double_uri_encode": true, "sign_body": context["sign_body"],
                "signature_type": kind, "expires": context["expiration_in_seconds"],
            });
            let signed = parse_request(&read(&dir.join(format!("{kind}-signed-request.txt")))?)?;
            let string_to_sign = read(&dir.join(format!("{kind}-string-to-sign.txt")))?;
            let (headers, url) = match kind {
                "header" => (signed.headers[request.headers.len()..].to_vec(), None),
                _ => (vec![], Some(signed.target.clone())),
            };
            cases.push(Case {
                json: json!({"id": format!("aws-c-auth/{name}/{kind}"), "op": "sign", "scheme": scheme, "request": request_json(&request),
                    "credentials": credentials(), "now": NOW}),
                expect: Expect::Signed { headers, string_to_sign, url },
            });
            // The signed request verifies a minute later; with a query parameter added it does not.
            // (A token added after signing, in the query, cannot be told from a signed one.)
            if omit && kind == "query" {
                continue;
            }
            let verify = |id: String, request: &RawRequest| json!({"id": id, "op": "verify", "scheme": scheme, "request": request_json(request), "credentials": credentials(), "now": NOW + 60});
            cases
                .push(Case { json: verify(format!("aws-c-auth/{name}/{kind}/verify"), &signed), expect: Expect::KeyId(ACCESS_KEY.into()) });
            // A query parameter, not a path byte: normalization would undo `/x..`.
            let mut tampered = signed;
            tampered.target.push_str(if tampered.target.contains('?') { "&tampered=1" } else { "?tampered=1" });
            cases.push(Case { json: verify(format!("aws-c-auth/{name}/{kind}/tampered"), &tampered), expect: Expect::Refused });
        }
    }
    Ok(())
}

/// Every folder below `root` holding a `<name>.req`.
fn botocore_dirs(root: &Path, out: &mut Vec<PathBuf>) -> Result {
    for dir in dirs(root)? {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if dir.join(format!("{name}.req")).is_file() {
            out.push(dir);
        } else {
            botocore_dirs(&dir, out)?;
        }
    }
    Ok(())
}

fn botocore(cases: &mut Vec<Case>) -> Result {
    let root = vectors_dir().join("aws-sigv4/botocore-aws4_testsuite");
    let mut found = Vec::new();
    botocore_dirs(&root, &mut found)?;
    for dir in found {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let file = |ext: &str| read(&dir.join(format!("{name}.{ext}")));
        let mut request = parse_request(&file("req")?)?;
        let signed = parse_request(&file("sreq")?)?;
        // The suite's requests carry the date (and token) already: the signer sets them.
        let token = signed.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("X-Amz-Security-Token")).map(|(_, v)| v.clone());
        request.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("X-Amz-Date") && !n.eq_ignore_ascii_case("X-Amz-Security-Token"));
        let scheme = json!({"name": "aws-sigv4", "region": "us-east-1", "service": "service", "session_token": token,
            "omit_session_token": name.ends_with("-after")});
        cases.push(Case {
            json: json!({"id": format!("botocore/{name}"), "op": "sign", "scheme": scheme, "request": request_json(&request),
                "credentials": credentials(), "now": NOW}),
            expect: Expect::SignedAuthorization { authorization: file("authz")?, string_to_sign: file("sts")? },
        });
    }
    Ok(())
}

pub fn cases() -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    aws_c_auth(&mut cases)?;
    botocore(&mut cases)?;
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::parse_request;

    #[test]
    fn folded_header_lines_stay_in_their_value() {
        let r = parse_request("GET /a b HTTP/1.1\nHost:h\nMy-Header1:value1\n  value2\n\nbody").unwrap();
        assert_eq!((r.method.as_str(), r.target.as_str(), r.body.as_slice()), ("GET", "/a b", &b"body"[..]));
        assert_eq!(r.headers, vec![("Host".into(), "h".into()), ("My-Header1".into(), "value1\n  value2".into())]);
    }
}
