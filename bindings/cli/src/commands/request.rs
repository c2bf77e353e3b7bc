//! A request described the way curl takes it (`-X`, `-H`, `-d`, URL), shared
//! by `sign` and `explain`.

use hmacsig::{Header, Request};

use crate::args::RequestArgs;
use crate::error::CliResult;
use crate::input::{Body, HeaderArg, parse_header_arg, read_body};

/// The request to sign, the headers curl must not add, and the body's source.
#[derive(Debug, Clone)]
pub struct Described {
    pub request: Request,
    pub suppressed: Vec<String>,
    pub body: Option<Body>,
}

/// Builds the request for `target` (already normalized): the method is `-X`,
/// else POST with a body and GET without, as curl chooses.
pub fn describe(args: &RequestArgs, target: &str) -> CliResult<Described> {
    let mut headers = Vec::new();
    let mut suppressed = Vec::new();
    for arg in &args.headers {
        match parse_header_arg(arg)? {
            HeaderArg::Send(h) => headers.push(h),
            HeaderArg::Suppress(name) => suppressed.push(name),
        }
    }
    let body = args.data.as_deref().map(read_body).transpose()?;
    let method = args.method.clone().unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.to_owned());
    let request = Request { method, target: target.to_owned(), headers, body: body.as_ref().map(|b| b.bytes.clone()).unwrap_or_default() };
    Ok(Described { request, suppressed, body })
}

/// `headers` with every one named in `set` replaced by `set`'s, which come last.
pub fn replace_headers(headers: &[Header], set: &[Header]) -> Vec<Header> {
    let mut out: Vec<Header> = headers.iter().filter(|h| !set.iter().any(|s| s.name.eq_ignore_ascii_case(&h.name))).cloned().collect();
    out.extend(set.iter().cloned());
    out
}

/// The first value of header `name`, case-insensitively.
pub fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
}

/// `headers` without those named in `names`.
pub fn without(headers: &[Header], names: &[&str]) -> Vec<Header> {
    headers.iter().filter(|h| !names.iter().any(|n| h.name.eq_ignore_ascii_case(n))).cloned().collect()
}
