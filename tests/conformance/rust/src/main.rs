//! Reads a JSON array of conformance cases (file argument or stdin), writes a
//! JSON array of results to stdout. Uses only the `hmacsig` public API.
//! The mapping from case to API is in `tests/conformance/README.md`.

use std::io::Read;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmacsig::{ContentDigest, Credentials, Header, HeaderStyle, HmacSigError, Policy, Request, Response, Scheme, SignatureType, Signer};
use serde_json::{Map, Value, json};

/// A case the runner cannot decode; reported as `invalid_request`.
fn bad_case(why: impl Into<String>) -> HmacSigError {
    HmacSigError::InvalidRequest { reason: format!("unusable case: {}", why.into()) }
}

fn str_field<'a>(obj: &'a Value, key: &str) -> Result<Option<&'a str>, HmacSigError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(bad_case(format!("{key} must be a string, not {other}"))),
    }
}

fn string_list(obj: &Value, key: &str) -> Result<Option<Vec<String>>, HmacSigError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| bad_case(format!("{key} must hold strings"))))
            .collect::<Result<_, _>>()
            .map(Some),
        Some(other) => Err(bad_case(format!("{key} must be a list, not {other}"))),
    }
}

fn scheme(case: &Value) -> Result<Arc<Scheme>, HmacSigError> {
    let scheme = case.get("scheme").ok_or_else(|| bad_case("no scheme"))?;
    let policy = case.get("policy").filter(|_| case["op"] == "verify").unwrap_or(&Value::Null);
    match str_field(scheme, "name")? {
        Some("api-auth") => {
            let headers_to_sign = match string_list(policy, "headers_to_sign")? {
                Some(h) => h,
                None => string_list(scheme, "headers_to_sign")?.unwrap_or_default(),
            };
            let override_method = match str_field(policy, "override_method")? {
                Some(m) => Some(m),
                None => str_field(scheme, "override_method")?,
            };
            Scheme::api_auth(str_field(scheme, "digest")?.unwrap_or("sha1").to_owned(), headers_to_sign, override_method.map(str::to_owned))
        }
        Some("path-body-hex") => Scheme::path_body_hex(str_field(scheme, "digest")?.unwrap_or("sha1").to_owned()),
        Some("timestamped") => {
            let style = HeaderStyle::from_name(str_field(scheme, "header_style")?.unwrap_or("x-request"))?;
            Ok(Scheme::timestamped(Some(style), bool_field(scheme, "lowercase_url")?))
        }
        Some("aws-sigv4") => {
            let required = |key: &str| str_field(scheme, key)?.map(str::to_owned).ok_or_else(|| bad_case(format!("aws-sigv4 needs {key}")));
            let signature_type = match str_field(scheme, "signature_type")?.unwrap_or("header") {
                "header" => SignatureType::Header,
                "query" => SignatureType::Query,
                other => {
                    return Err(HmacSigError::Unsupported {
                        reason: format!("aws-sigv4 signature_type {other:?} is not offered; use header or query"),
                    });
                }
            };
            Scheme::aws_sigv4(
                required("region")?,
                required("service")?,
                str_field(scheme, "session_token")?.map(str::to_owned),
                bool_field(scheme, "omit_session_token")?,
                bool_or(scheme, "normalize", true)?,
                bool_or(scheme, "double_uri_encode", true)?,
                bool_field(scheme, "sign_body")?,
                Some(signature_type),
                seconds_field(scheme, "expires", 3600)?,
            )
        }
        Some("rfc9421") => Scheme::rfc9421(
            string_list(scheme, "components")?,
            str_field(scheme, "label")?.unwrap_or("sig1").to_owned(),
            int_field(scheme, "created")?,
            int_field(scheme, "expires")?,
            str_field(scheme, "nonce")?.map(str::to_owned),
            str_field(scheme, "tag")?.map(str::to_owned),
            bool_field(scheme, "include_alg")?,
            str_field(scheme, "content_digest")?.map(ContentDigest::from_name).transpose()?,
        ),
        Some("kong-hmac") => Scheme::kong_hmac(
            str_field(scheme, "algorithm")?.unwrap_or("hmac-sha256").to_owned(),
            string_list(scheme, "headers")?,
            str_field(scheme, "header_name")?.unwrap_or("authorization").to_owned(),
            str_field(scheme, "http_version")?.unwrap_or("1.1").to_owned(),
            bool_field(scheme, "digest")?,
        ),
        Some("hawk") => {
            // Fields in order (as every runner reads them): the first bad one is reported.
            let text = |key: &str| str_field(scheme, key).map(|v| v.map(str::to_owned));
            let algorithm = str_field(scheme, "algorithm")?.unwrap_or("sha256").to_owned();
            let (nonce, ext, app, dlg) = (text("nonce")?, text("ext")?, text("app")?, text("dlg")?);
            let payload_hash = bool_or(scheme, "payload_hash", true)?;
            let signature_type = match str_field(scheme, "signature_type")?.unwrap_or("header") {
                "header" => SignatureType::Header,
                "bewit" => SignatureType::Query,
                other => {
                    return Err(HmacSigError::Unsupported {
                        reason: format!("hawk signature_type {other:?} is not offered; use header or bewit"),
                    });
                }
            };
            let ttl = seconds_field(scheme, "ttl", 60)?;
            Scheme::hawk(algorithm, nonce, ext, app, dlg, payload_hash, Some(signature_type), ttl)
        }
        other => Err(HmacSigError::Unsupported { reason: format!("scheme {:?} is not offered", other.unwrap_or("")) }),
    }
}

fn int_field(obj: &Value, key: &str) -> Result<Option<i64>, HmacSigError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| bad_case(format!("{key} must be an integer"))),
    }
}

fn bool_field(obj: &Value, key: &str) -> Result<bool, HmacSigError> {
    bool_or(obj, key, false)
}

fn bool_or(obj: &Value, key: &str, default: bool) -> Result<bool, HmacSigError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(bad_case(format!("{key} must be true or false, not {other}"))),
    }
}

/// A non-negative integer that fits u32, or `default` when absent.
fn seconds_field(obj: &Value, key: &str, default: u32) -> Result<u32, HmacSigError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad_case(format!("{key} must be a non-negative integer"))),
    }
}

fn policy(case: &Value) -> Result<Option<Arc<Policy>>, HmacSigError> {
    let Some(policy) = case.get("policy").filter(|p| !p.is_null()) else { return Ok(None) };
    match str_field(&case["scheme"], "name")? {
        Some("api-auth") => {
            let clock_skew = seconds_field(policy, "clock_skew", 900)?;
            let flag = |key: &str| policy.get(key).and_then(Value::as_bool).unwrap_or(false);
            Policy::api_auth(
                clock_skew,
                str_field(policy, "digest")?.map(str::to_owned),
                flag("trust_original_uri"),
                flag("allow_unsigned_body"),
            )
            .map(Some)
        }
        // path-body-hex has no policy options.
        Some("path-body-hex") => Ok(None),
        Some("aws-sigv4") => Ok(Some(Policy::aws_sigv4(seconds_field(policy, "max_skew", 900)?))),
        Some("timestamped") => Policy::timestamped(
            seconds_field(policy, "max_age", 300)?,
            seconds_field(policy, "max_future", 5)?,
            str_field(policy, "public_base_url")?.map(str::to_owned),
            bool_field(policy, "trust_forwarded")?,
        )
        .map(Some),
        Some("rfc9421") => Policy::rfc9421(
            seconds_field(policy, "max_age", 300)?,
            string_list(policy, "required_components")?,
            seconds_field(policy, "clock_skew", 5)?,
            str_field(policy, "label")?.map(str::to_owned),
            str_field(policy, "tag")?.map(str::to_owned),
            bool_field(policy, "allow_unsigned_body")?,
        )
        .map(Some),
        Some("kong-hmac") => Policy::kong_hmac(
            seconds_field(policy, "clock_skew", 300)?,
            string_list(policy, "enforce_headers")?.unwrap_or_default(),
            string_list(policy, "algorithms")?,
            bool_field(policy, "validate_request_body")?,
        )
        .map(Some),
        Some("hawk") => {
            // Fields in order (as every runner reads them): the first bad one is reported.
            let timestamp_skew = seconds_field(policy, "timestamp_skew", 60)?;
            let require_payload_hash = match str_field(policy, "payload")?.unwrap_or("verify") {
                "verify" => false,
                "require" => true,
                other => {
                    return Err(HmacSigError::Unsupported {
                        reason: format!("hawk payload {other:?} is not offered; use verify or require"),
                    });
                }
            };
            let host = str_field(policy, "host")?.map(str::to_owned);
            let port = match policy.get("port") {
                None | Some(Value::Null) => None,
                Some(v) => {
                    Some(v.as_u64().and_then(|p| u16::try_from(p).ok()).ok_or_else(|| bad_case("port must be an integer in 0..65535"))?)
                }
            };
            Policy::hawk(timestamp_skew, require_payload_hash, host, port).map(Some)
        }
        other => Err(HmacSigError::Unsupported { reason: format!("scheme {:?} is not offered", other.unwrap_or("")) }),
    }
}

fn credentials(case: &Value) -> Result<Arc<Credentials>, HmacSigError> {
    let c = case.get("credentials").ok_or_else(|| bad_case("no credentials"))?;
    let key_id = str_field(c, "key_id")?.unwrap_or("").to_owned();
    let secret = match (str_field(c, "secret")?, str_field(c, "secret_b64")?) {
        (_, Some(b64)) => BASE64.decode(b64).map_err(|e| bad_case(format!("secret_b64: {e}")))?,
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, None) => return Err(bad_case("credentials need secret or secret_b64")),
    };
    Ok(Arc::new(Credentials::new(key_id, secret)))
}

fn headers_and_body(r: &Value) -> Result<(Vec<Header>, Vec<u8>), HmacSigError> {
    let headers = match r.get("headers") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(pairs)) => pairs
            .iter()
            .map(|p| match p.as_array().map(Vec::as_slice) {
                Some([Value::String(n), Value::String(v)]) => Ok(Header::new(n.clone(), v.clone())),
                _ => Err(bad_case(format!("a header must be a [name, value] pair of strings, not {p}"))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => Err(bad_case(format!("headers must be a list, not {other}")))?,
    };
    let body = match str_field(r, "body_b64")? {
        None => vec![],
        Some(b64) => BASE64.decode(b64).map_err(|e| bad_case(format!("body_b64: {e}")))?,
    };
    Ok((headers, body))
}

fn request(case: &Value) -> Result<Request, HmacSigError> {
    let r = case.get("request").ok_or_else(|| bad_case("no request"))?;
    let (headers, body) = headers_and_body(r)?;
    Ok(Request {
        method: str_field(r, "method")?.ok_or_else(|| bad_case("no method"))?.to_owned(),
        target: str_field(r, "target")?.ok_or_else(|| bad_case("no target"))?.to_owned(),
        headers,
        body,
    })
}

/// Our extension for rfc9421: a case with `response` signs or verifies that
/// response; its `request`, if any, is the request it answers.
fn response(case: &Value) -> Result<Option<(Response, Option<Request>)>, HmacSigError> {
    let Some(r) = case.get("response").filter(|r| !r.is_null()) else { return Ok(None) };
    let status = r.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()).ok_or_else(|| bad_case("response.status"))?;
    let (headers, body) = headers_and_body(r)?;
    let answered = case.get("request").filter(|r| !r.is_null()).map(|_| request(case)).transpose()?;
    Ok(Some((Response { status, headers, body }, answered)))
}

fn now(case: &Value) -> Result<Option<i64>, HmacSigError> {
    match case.get("now") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| bad_case("now must be an integer")),
    }
}

fn run_case(case: &Value) -> Result<Map<String, Value>, HmacSigError> {
    let mut out = Map::new();
    match case.get("op").and_then(Value::as_str) {
        Some("sign") => {
            let signed = match response(case)? {
                Some((response, answered)) => hmacsig::sign_response(scheme(case)?, credentials(case)?, response, answered, now(case)?)?,
                None => {
                    let signer = Signer::new(scheme(case)?, credentials(case)?);
                    let r = request(case)?;
                    signer.sign(r.method, r.target, r.headers, &r.body, now(case)?)?
                }
            };
            out.insert("headers".into(), signed.headers.iter().map(|h| json!([h.name, h.value])).collect());
            match String::from_utf8(signed.string_to_sign) {
                Ok(text) => out.insert("string_to_sign".into(), text.into()),
                Err(e) => out.insert("string_to_sign_b64".into(), BASE64.encode(e.as_bytes()).into()),
            };
            if let Some(url) = signed.url {
                out.insert("url".into(), url.into());
            }
        }
        Some("verify") => {
            let key_id = match response(case)? {
                Some((response, answered)) => {
                    hmacsig::verify_response(scheme(case)?, credentials(case)?, response, answered, policy(case)?, now(case)?)?
                }
                None => hmacsig::verify_request(scheme(case)?, credentials(case)?, request(case)?, policy(case)?, now(case)?)?,
            };
            out.insert("key_id".into(), key_id.into());
        }
        Some("key_id") => {
            let key_id = hmacsig::extract_key_id(scheme(case)?, request(case)?)?;
            out.insert("key_id".into(), key_id.into());
        }
        other => return Err(HmacSigError::Unsupported { reason: format!("op {:?} is not offered", other.unwrap_or("")) }),
    }
    Ok(out)
}

fn result(case: &Value) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), case.get("id").cloned().unwrap_or(Value::Null));
    match run_case(case) {
        Ok(fields) => {
            out.insert("ok".into(), true.into());
            out.extend(fields);
        }
        Err(e) => {
            out.insert("ok".into(), false.into());
            out.insert("error".into(), e.kind().into());
            out.insert("message".into(), e.to_string().into());
        }
    }
    Value::Object(out)
}

fn main() -> std::process::ExitCode {
    let mut input = String::new();
    let read = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(&path).map(|s| input = s),
        None => std::io::stdin().read_to_string(&mut input).map(drop),
    };
    if let Err(e) = read {
        eprintln!("hmacsig-conformance: cannot read cases: {e}");
        return std::process::ExitCode::from(2);
    }
    let cases: Vec<Value> = match serde_json::from_str(&input) {
        Ok(Value::Array(cases)) => cases,
        Ok(_) => {
            eprintln!("hmacsig-conformance: the input must be a JSON array of cases");
            return std::process::ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("hmacsig-conformance: the input is not JSON: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let results: Vec<Value> = cases.iter().map(result).collect();
    println!("{}", serde_json::to_string_pretty(&Value::Array(results)).expect("JSON values serialize"));
    std::process::ExitCode::SUCCESS
}
