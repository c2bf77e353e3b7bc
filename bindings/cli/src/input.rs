//! Reading what the user gives: secrets, bodies, `-H` headers, the URL, stdin.
//! Every failure here is an input error (exit 3) or a usage error (exit 2),
//! with one line that names the variable, file or argument, never a secret.

use std::io::Read;
use std::path::{Path, PathBuf};

use hmacsig::Header;

use crate::args::SecretArgs;
use crate::error::{CliError, CliResult};

/// The secret's bytes: the variable's text, or the file's bytes minus one
/// trailing line break (editors add one). Empty secrets are refused.
pub fn read_secret(args: &SecretArgs) -> CliResult<Vec<u8>> {
    let secret = match (&args.secret_env, &args.secret_file) {
        (Some(var), _) => env_text(var, "secret")?.into_bytes(),
        (None, Some(path)) => {
            let mut bytes = read_file(path, "secret file")?;
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
            }
            if bytes.is_empty() {
                return Err(CliError::input(format!("the secret file {} is empty", path.display())));
            }
            bytes
        }
        (None, None) => return Err(CliError::usage("give --secret-env VAR or --secret-file PATH")),
    };
    Ok(secret)
}

/// The text of environment variable `var`, which holds a `what` (never shown).
pub fn env_text(var: &str, what: &str) -> CliResult<String> {
    match std::env::var(var) {
        Ok(value) if value.is_empty() => Err(CliError::input(format!("the environment variable {var} (the {what}) is empty"))),
        Ok(value) => Ok(value),
        Err(std::env::VarError::NotPresent) => Err(CliError::input(format!("the environment variable {var} (the {what}) is not set"))),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(CliError::input(format!("the environment variable {var} (the {what}) is not UTF-8 text")))
        }
    }
}

pub fn read_file(path: &Path, what: &str) -> CliResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| CliError::input(format!("cannot read the {what} {}: {e}", path.display())))
}

pub fn read_stdin(what: &str) -> CliResult<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).map_err(|e| CliError::input(format!("cannot read {what} on stdin: {e}")))?;
    Ok(bytes)
}

/// Where a body came from; `--curl` sends it the same way when it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySource {
    Inline,
    File(PathBuf),
    Stdin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub source: BodySource,
}

/// `-d DATA`, `-d @FILE` or `-d @-`, read byte for byte.
pub fn read_body(data: &str) -> CliResult<Body> {
    Ok(match data.strip_prefix('@') {
        Some("-") => Body { bytes: read_stdin("the body")?, source: BodySource::Stdin },
        Some(path) => Body { bytes: read_file(Path::new(path), "body file")?, source: BodySource::File(PathBuf::from(path)) },
        None => Body { bytes: data.as_bytes().to_vec(), source: BodySource::Inline },
    })
}

/// Whether `url` starts with `scheme://`.
pub fn has_scheme(url: &str) -> bool {
    url.split_once("://").is_some_and(|(s, _)| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
}

/// One `-H` argument, with curl's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderArg {
    /// `Name: value`, or `Name;` for an empty value.
    Send(Header),
    /// `Name:`: send no such header (and stop curl adding its own).
    Suppress(String),
}

/// Parses `-H`: `Name: value` (surrounding blanks dropped), `Name;`, `Name:`.
pub fn parse_header_arg(arg: &str) -> CliResult<HeaderArg> {
    let bad =
        |why: &str| CliError::usage(format!("-H {arg:?} {why}; write 'Name: value' ('Name;' for an empty value, 'Name:' to send none)"));
    let (name, value) = match arg.split_once(':') {
        Some((name, value)) => (name, Some(value.trim_matches([' ', '\t']))),
        None => match arg.strip_suffix(';') {
            Some(name) => (name, None),
            None => return Err(bad("has no ':'")),
        },
    };
    if !is_token(name) {
        return Err(bad("does not start with a header name"));
    }
    Ok(match value {
        None => HeaderArg::Send(Header::new(name, "")),
        Some("") => HeaderArg::Suppress(name.to_owned()),
        Some(value) => HeaderArg::Send(Header::new(name, value)),
    })
}

/// RFC 9110 `token`, for header names.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The target to sign, as curl will send it: an `http(s)://` URL with an
/// empty path gets `/` (curl sends `/`), a fragment is refused (curl never
/// sends one), another `scheme://` is refused, and anything else
/// (`/path?query`, the gem's relative targets) is a request target kept
/// verbatim, for the scheme to judge.
pub fn normalize_url(url: &str) -> CliResult<String> {
    if url.contains('#') {
        return Err(CliError::usage(format!("the URL {url:?} has a fragment (#...), which is never sent; remove it")));
    }
    let lower = url.to_ascii_lowercase();
    let Some(scheme_len) = ["http://", "https://"].iter().find(|p| lower.starts_with(**p)).map(|p| p.len()) else {
        if has_scheme(url) {
            return Err(CliError::usage(format!("the URL {url:?} must be http:// or https:// (or a request target such as /path?query)")));
        }
        return Ok(url.to_owned());
    };
    let rest = &url[scheme_len..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    if authority_end == 0 {
        return Err(CliError::usage(format!("the URL {url:?} has no host")));
    }
    Ok(if rest[authority_end..].starts_with('/') {
        url.to_owned()
    } else {
        format!("{}/{}", &url[..scheme_len + authority_end], &rest[authority_end..])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_args_follow_curl() {
        assert_eq!(
            parse_header_arg("Content-Type:  application/json ").unwrap(),
            HeaderArg::Send(Header::new("Content-Type", "application/json"))
        );
        assert_eq!(parse_header_arg("X-Empty;").unwrap(), HeaderArg::Send(Header::new("X-Empty", "")));
        assert_eq!(parse_header_arg("Content-Type:").unwrap(), HeaderArg::Suppress("Content-Type".into()));
        assert_eq!(
            parse_header_arg("Date: Tue, 14 Nov 2023 22:13:20 GMT").unwrap(),
            HeaderArg::Send(Header::new("Date", "Tue, 14 Nov 2023 22:13:20 GMT"))
        );
        for bad in ["novalue", "Bad Name: x", ": x", ""] {
            assert_eq!(parse_header_arg(bad).unwrap_err().code, crate::error::EXIT_USAGE, "{bad}");
        }
    }

    #[test]
    fn urls_are_what_curl_sends() {
        assert_eq!(normalize_url("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080/");
        assert_eq!(normalize_url("http://h?a=1").unwrap(), "http://h/?a=1");
        assert_eq!(normalize_url("HTTPS://h/x?y").unwrap(), "HTTPS://h/x?y");
        assert_eq!(normalize_url("/orders?id=7").unwrap(), "/orders?id=7");
        assert!(normalize_url("http://h/x#frag").is_err());
        assert!(normalize_url("ftp://h/x").is_err());
        assert_eq!(normalize_url("a/relative?c").unwrap(), "a/relative?c");
        assert_eq!(normalize_url("/a?to=https://x").unwrap(), "/a?to=https://x");
        assert!(normalize_url("http:///x").is_err());
    }
}
