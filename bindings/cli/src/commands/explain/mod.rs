//! `hmacsig explain`: the string to sign as this library computes it and,
//! given a received signature, whether it matches and what differs.
//!
//! How: the received signature is taken out of the request, and the rest is
//! signed again as the verifier sees it ([`wire`]). That gives the expected
//! signature; the core's verifier gives the verdict on the request as
//! received, and on the re-signed one (whose signature is right by
//! construction) the problems that are not the signature: body, clock, policy.
//! Then single changes are tried until one reproduces the received signature
//! ([`guesses`]), and the client's string to sign, when given, is diffed.

mod dates;
mod guesses;
mod hawk;
mod kong;
mod wire;

use std::fmt::Write as _;
use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmacsig::headers::API_AUTH_CONTENT_HASH;
use hmacsig::{BodyDigest, ContentDigest, Header, HmacSigError, Request, SignedRequest, extract_key_id, sign_request};

use super::Output;
use super::request::{describe, header, replace_headers};
use crate::args::{ExplainArgs, SchemeName};
use crate::error::{CliError, CliResult, EXIT_REFUSED, kind_and_reason};
use crate::http::parse_request;
use crate::input::{normalize_url, read_file, read_stdin};
use crate::options;
use crate::text::{Diff, diff, first_difference, lines, visible, visible_column};

/// One thing explain found: `topic` names what differs (`body`, `date`,
/// `content-type`, `key id`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub topic: &'static str,
    pub text: String,
}

impl Finding {
    pub fn new(topic: &'static str, text: impl Into<String>) -> Self {
        Self { topic, text: text.into() }
    }
}

pub fn run(args: ExplainArgs) -> CliResult<Output> {
    let flags_scheme = options::scheme(&args.scheme)?;
    let policy = options::policy(&args.scheme, &args.policy)?;
    let (credentials, secret) = options::credentials(&args.key)?;
    let key_id = args.key.key_id.as_str();
    let clock = options::now_or_clock(args.now);
    let mut notes = Vec::new();
    let mut request = if args.raw {
        let raw = parse_request(&read_stdin("the request")?).map_err(|e| CliError::input(format!("malformed request: {e}")))?;
        notes.extend(raw.notes.into_iter().map(|n| Finding::new("input", n)));
        raw.request
    } else {
        let url = args.url.as_deref().ok_or_else(|| CliError::usage("give the URL, or --raw with a request on stdin"))?;
        describe(&args.request, &normalize_url(url)?)?.request
    };
    if let Some(value) = &args.authorization {
        request.headers = replace_headers(&request.headers, &[Header::new("Authorization", value.clone())]);
    }
    let theirs = args.their_string_to_sign.as_deref().map(|p| read_file(p, "client's string to sign")).transpose()?;

    let plan = wire::plan(&args.scheme, &args.policy, &request, clock)?;
    notes.extend(plan.notes.iter().cloned());
    let ours =
        sign_request(plan.scheme.clone(), credentials, plan.request.clone(), Some(plan.now)).map_err(|e| CliError::input_from(&e))?;
    let ours_target = ours.url.clone().unwrap_or_else(|| plan.request.target.clone());
    let resigned = Request {
        method: plan.request.method.clone(),
        target: ours_target.clone(),
        headers: replace_headers(&plan.request.headers, &ours.headers),
        body: plan.request.body.clone(),
    };
    let expected = wire::signature_in(&plan.args, &ours.headers, &ours_target).unwrap_or_default();
    let received_request = match &args.signature {
        Some(signature) => Some(with_signature(&resigned, &expected, signature)),
        None => wire::signature_in(&plan.args, &request.headers, &request.target).is_some().then(|| request.clone()),
    };
    let received = received_request.as_ref().and_then(|r| wire::signature_in(&plan.args, &r.headers, &r.target));
    let verifier = options::verifier(flags_scheme.clone(), policy, key_id, &secret)?;
    let verdict = received_request.as_ref().map(|r| verifier.verify_request(r.clone(), Some(clock)));
    let besides = verifier.verify_request(resigned, Some(clock));

    let mut out = String::new();
    let _ = writeln!(out, "scheme: {}, key id {key_id:?}", args.scheme.scheme.as_str());
    let _ = writeln!(
        out,
        "request: {} {} ({} header{}, {}-byte body)",
        request.method,
        visible(request.target.as_bytes()),
        request.headers.len(),
        if request.headers.len() == 1 { "" } else { "s" },
        request.body.len()
    );
    let fields = match args.scheme.scheme {
        SchemeName::ApiAuth => api_auth_fields(&plan, &ours),
        SchemeName::Hawk => hawk::fields(&ours.string_to_sign),
        _ => None,
    };
    write_string_to_sign(&mut out, &ours.string_to_sign, fields.as_deref());
    let _ = writeln!(out, "\nsignature headers:");
    for h in &ours.headers {
        let _ = writeln!(out, "  {}: {}", h.name, visible(h.value.as_bytes()));
    }
    if ours.headers.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    if let Some(url) = &ours.url {
        let what = if args.scheme.scheme == SchemeName::Hawk { "bewit URL" } else { "presigned URL" };
        let _ = writeln!(out, "{what}:\n  {}", visible(url.as_bytes()));
    }
    let _ = writeln!(out, "\nexpected signature: {expected}");

    let mut findings = Vec::new();
    // A Hawk MAC covers the hash the request carries: one that is not its body's explains a different MAC.
    let hash_finding = match (&args.scheme.scheme, &received_request) {
        (SchemeName::Hawk, Some(r)) => hawk::hash_finding(r, &ours),
        _ => None,
    };
    let signature_matches = received.as_deref() == Some(expected.as_str());
    match (&received, &received_request) {
        (Some(received), Some(received_request)) => {
            let _ = writeln!(
                out,
                "received signature: {} ({})",
                visible(received.as_bytes()),
                if signature_matches { "matches" } else { "DIFFERS" }
            );
            match verdict.as_ref().expect("a received request is verified") {
                Ok(k) => {
                    let _ = writeln!(out, "verify: ok, key id {k:?}");
                }
                Err(e) => {
                    let _ = writeln!(out, "verify: {}", kind_and_reason(e));
                }
            }
            if let Ok(claimed) = extract_key_id(flags_scheme, received_request.clone())
                && claimed != key_id
            {
                findings.push(Finding::new(
                    "key id",
                    format!("the request names key id {claimed:?} but --key-id is {key_id:?}: a server would use {claimed:?}'s secret"),
                ));
            }
            let refused_unsigned = match verdict.as_ref() {
                // Refused before anything was MACed: an AWS scope for another region or service.
                Some(Err(HmacSigError::BadSignature { string_to_sign, reason })) if string_to_sign.is_empty() => Some(reason.clone()),
                _ => None,
            };
            if let Some(reason) = refused_unsigned {
                findings.push(Finding::new("scope", reason));
            } else if !signature_matches {
                let guessed = guesses::matching(&plan, key_id, &secret, received);
                if guessed.is_empty() && hash_finding.is_none() {
                    findings.push(covered_fields(&args.scheme.scheme, &plan, &besides));
                }
                findings.extend(guessed);
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "received signature: none (give --signature, --authorization, the signature headers with -H, or --raw with a signed request)"
            );
        }
    }
    if let Err(e) = &besides {
        findings.push(besides_signature(&args.scheme.scheme, &plan, e));
    }
    findings.extend(hash_finding);

    // The verifier's own string to sign, when it refused the signature.
    let verifiers = match &verdict {
        Some(Err(HmacSigError::BadSignature { string_to_sign, .. })) if !string_to_sign.is_empty() => Some(string_to_sign.as_bytes()),
        _ => None,
    };
    let mut diffs = String::new();
    if let Some(v) = verifiers
        && v != ours.string_to_sign.as_slice()
    {
        let _ = writeln!(diffs, "\nthe verifier's string to sign differs from the one above (- above, + the verifier's):");
        write_diff(&mut diffs, &ours.string_to_sign, v, fields.as_deref());
        findings.push(Finding::new(
            "string to sign",
            "the verifier reads what to cover from the request, and it is not what these options sign (diff below)",
        ));
    }
    let mut theirs_differ = false;
    if let Some(theirs) = &theirs {
        let (reference, reference_fields) = match verifiers {
            Some(v) => (v, if v == ours.string_to_sign.as_slice() { fields.as_deref() } else { None }),
            None => (ours.string_to_sign.as_slice(), fields.as_deref()),
        };
        theirs_differ = reference != theirs.as_slice();
        let _ = writeln!(diffs, "\nthe client's string to sign (- this library's, + the client's):");
        if theirs_differ {
            write_diff(&mut diffs, reference, theirs, reference_fields);
            let text = if theirs.strip_suffix(b"\n") == Some(reference) {
                "the client's ends with a line break this library's does not have (added when it was saved?)".to_owned()
            } else {
                let at = first_difference(reference, theirs).unwrap_or(0);
                let field = reference_fields.and_then(|f| f.iter().find(|(_, r)| r.contains(&at) || r.end == at)).map(|(n, _)| n.as_str());
                match field {
                    Some(field) => format!("the client's differs from byte {at}, in the {field} field (diff below)"),
                    None => format!("the client's differs from byte {at} (diff below)"),
                }
            };
            findings.push(Finding::new("string to sign", text));
        } else {
            let _ = writeln!(diffs, "  identical");
        }
    }

    if findings.is_empty() && received.is_some() && verdict.as_ref().is_some_and(|v| v.is_ok()) {
        let _ = writeln!(out, "\nwhat differs: nothing, the request verifies");
    } else if !findings.is_empty() {
        let _ = writeln!(out, "\nwhat differs:");
        for f in &findings {
            let _ = writeln!(out, "  - {}: {}", f.topic, f.text);
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for n in &notes {
            let _ = writeln!(out, "  - {}: {}", n.topic, n.text);
        }
    }
    out.push_str(&diffs);

    // A request that verifies is fine even when these options would sign it
    // differently (rfc9421 reads what to cover from the request).
    let refused = match &verdict {
        Some(v) => v.is_err(),
        None => theirs_differ,
    };
    Ok(Output { stdout: out, stderr: String::new(), code: if refused { EXIT_REFUSED } else { 0 } })
}

/// Names as a list to read: `date, @request-target`.
fn list(names: &[String]) -> String {
    if names.is_empty() { "nothing".to_owned() } else { names.join(", ") }
}

/// `resigned` with `signature` where the expected signature was.
fn with_signature(resigned: &Request, expected: &str, signature: &str) -> Request {
    let mut r = resigned.clone();
    if expected.is_empty() {
        return r;
    }
    for h in &mut r.headers {
        h.value = h.value.replace(expected, signature);
    }
    r.target = r.target.replace(expected, signature);
    r
}

/// What the refusal of a correctly signed copy of the request says about it.
fn besides_signature(scheme: &SchemeName, plan: &wire::Plan, e: &HmacSigError) -> Finding {
    let topic = match e.kind() {
        "body_mismatch" => "body",
        "stale" | "future" if matches!(scheme, SchemeName::ApiAuth | SchemeName::KongHmac) => "date",
        "stale" | "future" => "time",
        "digest_not_allowed" => "algorithm",
        "missing_signed_header" => "headers",
        _ => "request",
    };
    let text = match (scheme, header(&plan.request.headers, API_AUTH_CONTENT_HASH)) {
        (SchemeName::ApiAuth, Some(sent)) if e.kind() == "body_mismatch" => format!(
            "{API_AUTH_CONTENT_HASH} is {sent:?} but the {}-byte body hashes to {:?}: the body changed after signing, or the client \
             hashed other bytes (curl -d @file strips line breaks: send files with --data-binary)",
            plan.request.body.len(),
            content_hash(&plan.request.body)
        ),
        _ if e.kind() == "body_mismatch" && e.reason().contains("does not match") => {
            format!("{} (the body changed after signing, or the client hashed other bytes)", kind_and_reason(e))
        }
        _ if e.kind() == "body_mismatch" => kind_and_reason(e),
        (SchemeName::Hawk, _) if matches!(e.kind(), "stale" | "future") => format!(
            "apart from the signature, the request is refused: {}: the client's clock is off (hawk clients correct it from the ts \
             of the server's WWW-Authenticate answer), or widen --timestamp-skew",
            kind_and_reason(e)
        ),
        (SchemeName::KongHmac, _) if matches!(e.kind(), "stale" | "future") => format!(
            "apart from the signature, the request is refused: {}: the client's clock or its X-Date/Date is off, or widen --clock-skew",
            kind_and_reason(e)
        ),
        _ => format!("apart from the signature, the request is refused: {}", kind_and_reason(e)),
    };
    Finding::new(topic, text)
}

/// The body's base64 SHA-256, as api-auth's content-hash header carries it.
fn content_hash(body: &[u8]) -> String {
    BASE64.encode(BodyDigest::of(ContentDigest::Sha256, body).digest)
}

/// When no single change explains a different signature: what it covers.
fn covered_fields(scheme: &SchemeName, plan: &wire::Plan, besides: &Result<String, HmacSigError>) -> Finding {
    let body_ok = besides.as_ref().err().is_none_or(|e| e.kind() != "body_mismatch")
        && header(&plan.request.headers, API_AUTH_CONTENT_HASH).is_some();
    let covered = match scheme {
        SchemeName::ApiAuth => {
            let mut c = "the method, Content-Type, content hash, request URI and Date".to_owned();
            if !plan.args.sign_headers.is_empty() {
                c = format!("{c}, and {}", plan.args.sign_headers.join(", "));
            }
            c
        }
        SchemeName::PathBodyHex => "the path, query and (POST, PUT, PATCH) body".to_owned(),
        SchemeName::Timestamped => "the method, URL, timestamp and body".to_owned(),
        SchemeName::AwsSigv4 => "the method, path, query, signed headers, payload hash, date and scope".to_owned(),
        SchemeName::Rfc9421 => "the components and parameters in Signature-Input".to_owned(),
        SchemeName::KongHmac => kong::covered(plan),
        SchemeName::Hawk => hawk::covered(plan),
    };
    let body = if body_ok && *scheme == SchemeName::ApiAuth { " The body matches its hash." } else { "" };
    Finding::new(
        "string to sign",
        format!(
            "the signature covers {covered}.{body} One of them, or the secret, differs from what the client signed; \
             give the client's string to sign with --their-string-to-sign FILE to see which"
        ),
    )
}

fn write_string_to_sign(out: &mut String, sts: &[u8], fields: Option<&[(String, Range<usize>)]>) {
    let count = lines(sts).len();
    let _ = writeln!(out, "\nstring to sign ({} bytes, {count} line{}):", sts.len(), if count == 1 { "" } else { "s" });
    for line in lines(sts) {
        let _ = writeln!(out, "  | {}", visible(line));
    }
    if let Some(fields) = fields {
        let width = fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, range) in fields {
            let value = &sts[range.clone()];
            let shown = if value.is_empty() { "(empty)".to_owned() } else { visible(value) };
            let _ = writeln!(out, "    {name:width$}  {shown}");
        }
    }
}

/// A line diff; under a changed line, a caret at its first different byte.
fn write_diff(out: &mut String, ours: &[u8], theirs: &[u8], fields: Option<&[(String, Range<usize>)]>) {
    let (a, b) = (lines(ours), lines(theirs));
    let d = diff(&a, &b);
    let mut offset = 0;
    let mut i = 0;
    while i < d.len() {
        match d[i] {
            Diff::Both(line) => {
                let _ = writeln!(out, "    {}", visible(line));
                offset += line.len() + 1;
            }
            Diff::Theirs(line) => {
                let _ = writeln!(out, "  + {}", visible(line));
            }
            Diff::Ours(line) => {
                let _ = writeln!(out, "  - {}", visible(line));
                if let Some(Diff::Theirs(other)) = d.get(i + 1) {
                    let _ = writeln!(out, "  + {}", visible(other));
                    let at = first_difference(line, other).unwrap_or(0);
                    let field = fields
                        .and_then(|f| f.iter().find(|(_, r)| r.contains(&(offset + at)) || r.end == offset + at))
                        .map(|(n, _)| format!(", in the {n} field"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "    {}^ from byte {}{field}", " ".repeat(visible_column(line, at)), offset + at);
                    i += 1;
                }
                offset += line.len() + 1;
            }
        }
        i += 1;
    }
}

/// The api-auth canonical string's fields and where each lies, rebuilt from
/// the headers that fed it; `None` if the string does not split that way.
fn api_auth_fields(plan: &wire::Plan, ours: &SignedRequest) -> Option<Vec<(String, Range<usize>)>> {
    let s = std::str::from_utf8(&ours.string_to_sign).ok()?;
    let all = replace_headers(&plan.request.headers, &ours.headers);
    let joined = |names: &[&str]| {
        names.iter().find_map(|n| {
            let values: Vec<&str> = all.iter().filter(|h| h.name.eq_ignore_ascii_case(n)).map(|h| h.value.as_str()).collect();
            (!values.is_empty()).then(|| values.join(", "))
        })
    };
    let method_end = s.find(',')?;
    let mut fields = vec![("method".to_owned(), 0..method_end)];
    let mut pos = method_end + 1;
    for (name, value) in [
        ("content-type", joined(&["Content-Type", "Content_Type", "HTTP_Content_Type"]).unwrap_or_default()),
        ("content hash", joined(&[API_AUTH_CONTENT_HASH]).unwrap_or_default()),
    ] {
        if !s[pos..].starts_with(&format!("{value},")) {
            return None;
        }
        fields.push((name.to_owned(), pos..pos + value.len()));
        pos += value.len() + 1;
    }
    let mut tail = vec![("date".to_owned(), joined(&["Date", "HTTP_Date"]).unwrap_or_default())];
    for name in &plan.args.sign_headers {
        if let Some(v) = joined(&[name.as_str()]).filter(|v| !v.chars().all(char::is_whitespace)) {
            tail.push((format!("header {name}"), v));
        }
    }
    let tail_text: String = tail.iter().map(|(_, v)| format!(",{v}")).collect();
    let uri_end = s.len().checked_sub(tail_text.len()).filter(|&e| e >= pos && s[e..] == tail_text)?;
    fields.push(("request uri".to_owned(), pos..uri_end));
    let mut at = uri_end;
    for (name, value) in tail {
        fields.push((name, at + 1..at + 1 + value.len()));
        at += 1 + value.len();
    }
    Some(fields)
}
