//! Where each scheme's signature travels, so that `explain` can take a
//! received signature out of a request and sign the rest again as the
//! verifier will see it: with the time the signature claims, the digest its
//! header names (api-auth), the headers it lists (aws-sigv4, kong-hmac), the
//! URL the server rebuilds (timestamped), the ts, nonce and ext it carries
//! and the host and port the server reads (hawk).

use std::sync::Arc;

use hmacsig::headers::{RFC9421_SIGNATURE, RFC9421_SIGNATURE_INPUT, TIMESTAMPED_KEY_ID, TIMESTAMPED_SIGNATURE, TIMESTAMPED_TIMESTAMP};
use hmacsig::{Header, Request, Scheme, defaults, headers};

use super::dates::amz_date_to_unix;
use super::{Finding, hawk, kong};
use crate::args::{HeaderStyleArg, PolicyArgs, SchemeArgs, SchemeName, SignatureTypeArg};
use crate::commands::request::{header, without};
use crate::error::CliResult;
use crate::options;

/// The received request made ready to sign again.
pub struct Plan {
    /// The scheme to sign with: the arguments', adjusted to what the
    /// received signature says where the verifier follows it.
    pub scheme: Arc<Scheme>,
    pub args: SchemeArgs,
    /// The request without its signature, as the verifier sees it.
    pub request: Request,
    /// Unix seconds the signature claims (else the clock).
    pub now: i64,
    /// What was adjusted or noticed on the way.
    pub notes: Vec<Finding>,
}

const ORIGINAL_URI_NAMES: [&str; 3] = ["X-Original-URI", "X_Original_URI", "HTTP_X_Original_URI"];
const AWS_QUERY_AUTH: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

pub fn plan(args: &SchemeArgs, policy: &PolicyArgs, received: &Request, clock: i64) -> CliResult<Plan> {
    let mut a = args.clone();
    let mut request = received.clone();
    let mut notes = Vec::new();
    let mut claimed_time = None;
    match args.scheme {
        SchemeName::ApiAuth => {
            if let Some(label) = header(&received.headers, "Authorization").and_then(|v| v.split_once(' ')).map(|(l, _)| l)
                && let Some(digest) = api_auth_digest(label)
            {
                let ours = api_auth_label(args.digest.as_deref().unwrap_or("sha1"));
                if label != ours {
                    notes.push(Finding::new(
                        "algorithm",
                        format!("the request is signed {label}; these options sign {ours}. A verifier uses the request's (unless --accept-digest), so {label} is checked here"),
                    ));
                }
                a.digest = Some(digest);
            }
            request.headers = without(&request.headers, &["Authorization"]);
            if !policy.trust_original_uri && ORIGINAL_URI_NAMES.iter().any(|n| header(&request.headers, n).is_some()) {
                request.headers = without(&request.headers, &ORIGINAL_URI_NAMES);
                notes.push(Finding::new(
                    "request uri",
                    "X-Original-URI is left out: a client signs it instead of the path, but a verifier ignores it unless --trust-original-uri",
                ));
            }
            if header(&request.headers, "Date").is_none() && header(&request.headers, "HTTP_Date").is_none() {
                notes.push(Finding::new("date", format!("the request has no Date header: signed with Date for {clock} (--now or the clock); give the client's with -H 'Date: ...'")));
            }
        }
        SchemeName::PathBodyHex => request.headers = without(&request.headers, &["Authorization"]),
        SchemeName::Timestamped => {
            claimed_time = header(&request.headers, TIMESTAMPED_TIMESTAMP).and_then(|t| t.parse().ok());
            let mut names = vec![TIMESTAMPED_TIMESTAMP, TIMESTAMPED_SIGNATURE, TIMESTAMPED_KEY_ID];
            if args.header_style == Some(HeaderStyleArg::Authorization) {
                names.push("Authorization");
            }
            request.headers = without(&request.headers, &names);
            if request.target.starts_with('/') {
                request.target = timestamped_server_url(&request, policy).unwrap_or(request.target.clone());
            }
        }
        SchemeName::AwsSigv4 => {
            let original_target = request.target.clone();
            let (path, query) = original_target.split_once('?').unwrap_or((&original_target, ""));
            let params: Vec<(&str, &str)> =
                query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
            let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| percent_decode(v));
            let signed_headers = if param("X-Amz-Signature").is_some() {
                claimed_time = param("X-Amz-Date").and_then(|d| amz_date_to_unix(&d));
                a.signature_type = Some(SignatureTypeArg::Query);
                a.expires = param("X-Amz-Expires").and_then(|e| e.parse().ok()).or(a.expires);
                let kept: Vec<String> =
                    params.iter().filter(|(k, _)| !AWS_QUERY_AUTH.contains(k)).map(|(k, v)| format!("{k}={v}")).collect();
                request.target = if kept.is_empty() { path.to_owned() } else { format!("{path}?{}", kept.join("&")) };
                param("X-Amz-SignedHeaders")
            } else {
                claimed_time = header(&request.headers, "X-Amz-Date").and_then(amz_date_to_unix);
                a.signature_type = Some(SignatureTypeArg::Header);
                let listed = header(&request.headers, "Authorization")
                    .and_then(|v| v.split(',').find_map(|part| part.trim().split_once("SignedHeaders=").map(|(_, h)| h.to_owned())));
                let mut names = vec!["Authorization", "X-Amz-Date"];
                if args.session_token_env.is_some() {
                    names.push("X-Amz-Security-Token");
                }
                request.headers = without(&request.headers, &names);
                listed
            };
            if let Some(list) = signed_headers {
                let listed: Vec<&str> = list.split(';').collect();
                request.headers.retain(|h| listed.iter().any(|n| h.name.eq_ignore_ascii_case(n)));
            }
        }
        SchemeName::Rfc9421 => {
            let inputs = header(&request.headers, RFC9421_SIGNATURE_INPUT).unwrap_or("").to_owned();
            let label = args.label.clone().or_else(|| first_member(&inputs).map(str::to_owned));
            if let Some(member) = label.as_deref().and_then(|l| member(&inputs, l)) {
                claimed_time = member.split(';').find_map(|p| p.trim().strip_prefix("created=")).and_then(|c| c.parse().ok());
            }
            a.label = label.or(a.label);
            request.headers = without(&request.headers, &[RFC9421_SIGNATURE_INPUT, RFC9421_SIGNATURE]);
            if a.content_digest.is_some() && header(&request.headers, headers::CONTENT_DIGEST).is_some() {
                // Cover the received Content-Digest as it is, so a changed body shows.
                a.content_digest = None;
                if a.components.is_empty() {
                    a.components = defaults::RFC9421_COMPONENTS.iter().map(|c| (*c).to_owned()).collect();
                }
                a.components.push("content-digest".to_owned());
            }
        }
        SchemeName::KongHmac => claimed_time = kong::plan(&mut a, &mut request, &mut notes, clock),
        SchemeName::Hawk => claimed_time = hawk::plan(&mut a, policy, &mut request, &mut notes),
    }
    let has_signature = signature_in(args, &received.headers, &received.target).is_some();
    // api-auth and kong-hmac say what a missing Date means above; path-body-hex signs no time.
    let dated = !matches!(args.scheme, SchemeName::ApiAuth | SchemeName::PathBodyHex | SchemeName::KongHmac);
    if claimed_time.is_none() && has_signature && dated {
        notes.push(Finding::new("time", format!("the request states no signing time: signed for {clock} (--now or the clock)")));
    }
    let scheme = options::scheme(&a)?;
    Ok(Plan { scheme, args: a, request, now: claimed_time.unwrap_or(clock), notes })
}

/// The signature value a request carries, as the scheme writes it.
pub fn signature_in(args: &SchemeArgs, headers: &[Header], target: &str) -> Option<String> {
    let after_colon = |v: &str| v.rsplit_once(':').map(|(_, s)| s.to_owned()).filter(|s| !s.is_empty());
    match args.scheme {
        SchemeName::ApiAuth | SchemeName::PathBodyHex => header(headers, "Authorization").and_then(after_colon),
        SchemeName::Timestamped => match args.header_style {
            Some(HeaderStyleArg::Authorization) => header(headers, "Authorization").and_then(after_colon),
            _ => header(headers, TIMESTAMPED_SIGNATURE).map(str::to_owned),
        },
        SchemeName::AwsSigv4 => {
            let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
            query.split('&').find_map(|p| p.strip_prefix("X-Amz-Signature=").map(str::to_owned)).or_else(|| {
                header(headers, "Authorization")?.split(',').find_map(|p| p.trim().strip_prefix("Signature=").map(str::to_owned))
            })
        }
        SchemeName::Rfc9421 => {
            let signatures = header(headers, RFC9421_SIGNATURE)?;
            let label = args.label.clone().or_else(|| first_member(signatures).map(str::to_owned))?;
            member(signatures, &label).map(|v| v.trim_matches(':').to_owned())
        }
        SchemeName::KongHmac => kong::signature_in(headers),
        SchemeName::Hawk => hawk::signature_in(headers, target),
    }
}

/// The digest option that gives an api-auth label (`APIAuth` is `sha1`,
/// `APIAuth-HMAC-SHA1` is `SHA1`: the gem tells them apart).
fn api_auth_digest(label: &str) -> Option<String> {
    match label {
        "APIAuth" => Some("sha1".into()),
        "APIAuth-HMAC-SHA1" => Some("SHA1".into()),
        _ => {
            let d = label.strip_prefix("APIAuth-HMAC-")?;
            ["SHA224", "SHA256", "SHA384", "SHA512"].contains(&d).then(|| d.to_ascii_lowercase())
        }
    }
}

/// The label the digest option signs with, as `Scheme::api_auth` documents
/// it: `APIAuth` for exactly `sha1`, else `APIAuth-HMAC-<DIGEST>`.
fn api_auth_label(digest: &str) -> String {
    if digest == "sha1" { "APIAuth".to_owned() } else { format!("APIAuth-HMAC-{}", digest.to_uppercase()) }
}

/// The URL a timestamped server rebuilds, when the policy says how.
fn timestamped_server_url(request: &Request, policy: &PolicyArgs) -> Option<String> {
    if let Some(base) = &policy.public_base_url {
        return Some(format!("{}{}", base.trim_end_matches('/'), request.target));
    }
    if !policy.trust_forwarded {
        return None;
    }
    let first = |name: &str| header(&request.headers, name).and_then(|v| v.split(',').next()).map(str::trim).filter(|v| !v.is_empty());
    let scheme = first("X-Forwarded-Proto").or_else(|| first("X-Forwarded-Scheme")).unwrap_or("https");
    let host = first("X-Forwarded-Host").or_else(|| header(&request.headers, "Host"))?;
    Some(format!("{scheme}://{host}{}", request.target))
}

/// The name of a Structured Field Dictionary's first member.
fn first_member(dictionary: &str) -> Option<&str> {
    dictionary.split('=').next().map(str::trim).filter(|l| !l.is_empty())
}

/// The value of member `label` in a dictionary of inner lists or byte
/// sequences (good enough for finding a signature; the core parses strictly).
fn member<'a>(dictionary: &'a str, label: &str) -> Option<&'a str> {
    let mut rest = dictionary;
    loop {
        let (name, value) = rest.trim_start_matches([' ', ',']).split_once('=')?;
        let end = match value.as_bytes().first() {
            Some(b'(') => value.find(')').map(|close| close + value[close..].find(',').unwrap_or(value.len() - close))?,
            Some(b':') => value[1..].find(':').map(|close| close + 2)?,
            _ => value.find(',').unwrap_or(value.len()),
        };
        if name.trim() == label {
            return Some(&value[..end]);
        }
        rest = &value[end..];
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_members() {
        let inputs = r#"sig1=("@method" "@target-uri");created=1618884473;keyid="k", sig2=("@status");created=5"#;
        assert_eq!(first_member(inputs), Some("sig1"));
        assert_eq!(member(inputs, "sig1"), Some(r#"("@method" "@target-uri");created=1618884473;keyid="k""#));
        assert_eq!(member(inputs, "sig2"), Some(r#"("@status");created=5"#));
        assert_eq!(member("sig1=:YWJj:, x=:ZA==:", "x"), Some(":ZA==:"));
        assert_eq!(member("sig1=:YWJj:", "nope"), None);
    }

    #[test]
    fn labels_and_dates() {
        assert_eq!(api_auth_digest("APIAuth").as_deref(), Some("sha1"));
        assert_eq!(api_auth_digest("APIAuth-HMAC-SHA256").as_deref(), Some("sha256"));
        assert_eq!(api_auth_digest("APIAuth-HMAC-MD5"), None);
        assert_eq!(api_auth_label("SHA1"), "APIAuth-HMAC-SHA1");
        assert_eq!(percent_decode("host%3Bx-amz-date"), "host;x-amz-date");
    }
}
