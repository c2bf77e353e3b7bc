//! The canonical string the gem signs:
//! `METHOD,CONTENT_TYPE,CONTENT_HASH,REQUEST_URI,DATE[,HDR1_VALUE...]`.
//!
//! Contract: the fields are written as given, never escaped; the request
//! URI is the gem's (`ruby_uri`), and a target Ruby cannot parse is an
//! `invalid_request`.

use std::borrow::Cow;

use super::Options;
use super::ruby_uri::gem_request_uri;
use crate::error::{HmacSigError, Result};
use crate::request::RequestView;

/// Appends the canonical string to `out`. `request_uri_source` is the
/// target, or the `X-Original-URI` value where that is honoured.
#[allow(clippy::too_many_arguments)] // the canonical string's fields, each named
pub(super) fn write_canonical(
    request: &RequestView<'_>,
    method: &str,
    content_type: &str,
    content_hash: &str,
    request_uri_source: &str,
    date: &str,
    headers_to_sign: &[String],
    out: &mut Vec<u8>,
) -> Result<()> {
    let request_uri = gem_request_uri(request_uri_source).map_err(HmacSigError::invalid_request)?;
    out.reserve(8 + method.len() + content_type.len() + content_hash.len() + request_uri.len() + date.len());
    for (i, field) in [method, content_type, content_hash, &request_uri, date].iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(field.as_bytes());
    }
    for name in headers_to_sign {
        // Net::HTTP joins repeated fields with ", "; ActiveSupport's present?
        // skips absent and whitespace-only values.
        if let Some(value) = request.header_cow(name)
            && !value.chars().all(char::is_whitespace)
        {
            out.push(b',');
            out.extend_from_slice(value.as_bytes());
        }
    }
    Ok(())
}

/// The method, upper-cased. Both it and `override_method` are tokens (ASCII).
pub(super) fn canonical_method<'a>(request: &RequestView<'a>, options: &'a Options) -> Cow<'a, str> {
    let method = options.override_method.as_deref().unwrap_or(request.method);
    if method.bytes().any(|b| b.is_ascii_lowercase()) { Cow::Owned(method.to_ascii_uppercase()) } else { Cow::Borrowed(method) }
}
