//! `hmacsig sign`: the headers a request must carry, or a curl command.

use hmacsig::sign_request;

use super::Output;
use super::request::{describe, header, replace_headers};
use crate::args::{SchemeName, SignArgs, SignatureTypeArg};
use crate::error::{CliError, CliResult};
use crate::input::{has_scheme, normalize_url};
use crate::{curl, options};

/// Signs the request and prints, by default, one header per line (the
/// user's `-H` ones, then the signature's, replacing same-named ones), plus
/// `Content-Type:` when a body goes without one so curl adds none; with a
/// presigned URL (aws-sigv4 query) or a bewit (hawk query), that URL; with
/// `--curl`, a command.
pub fn run(args: SignArgs) -> CliResult<Output> {
    let scheme = options::scheme(&args.scheme)?;
    let url = normalize_url(&args.url)?;
    if args.curl && !has_scheme(&url) {
        return Err(CliError::usage("--curl needs an absolute http:// or https:// URL"));
    }
    let described = describe(&args.request, &url)?;
    if args.scheme.scheme == SchemeName::Hawk
        && args.scheme.signature_type == Some(SignatureTypeArg::Query)
        && !matches!(described.request.method.as_str(), "GET" | "HEAD")
    {
        // The core would sign it as GET: a bewit carries no method or body.
        return Err(CliError::usage(format!(
            "a hawk bewit authorizes GET and HEAD only, not {}: leave out -X and -d",
            described.request.method
        )));
    }
    let (credentials, _) = options::credentials(&args.key)?;
    let signed = sign_request(scheme, credentials, described.request.clone(), args.now).map_err(|e| CliError::input_from(&e))?;
    if let Some(path) = &args.save_string_to_sign {
        std::fs::write(path, &signed.string_to_sign)
            .map_err(|e| CliError::input(format!("cannot write the string to sign to {}: {e}", path.display())))?;
    }
    let headers = replace_headers(&described.request.headers, &signed.headers);
    let mut suppressed = described.suppressed;
    let names_content_type = |name: &String| name.eq_ignore_ascii_case("Content-Type");
    if described.body.is_some() && header(&headers, "Content-Type").is_none() && !suppressed.iter().any(names_content_type) {
        suppressed.push("Content-Type".to_owned());
    }
    let lines = curl::header_lines(&headers, &suppressed);
    let stdout = if args.curl {
        let target = signed.url.as_deref().unwrap_or(&url);
        format!("{}\n", curl::command(&described.request.method, target, &lines, described.body.as_ref()))
    } else if let Some(presigned) = &signed.url {
        format!("{presigned}\n")
    } else {
        lines.iter().map(|l| format!("{l}\n")).collect()
    };
    Ok(Output::ok(stdout))
}
