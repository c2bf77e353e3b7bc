//! Signing like the gem's `sign!`: the content hash (for methods with a
//! body, when absent), a `Date` (when absent) and `Authorization`, written
//! into reusable buffers.

use super::canonical::{canonical_method, write_canonical};
use super::{CONTENT_HASH_HEADER, Options, SIGNED_FIELDS};
use crate::error::{HmacSigError, Result};
use crate::mac::{MacKey, push_base64};
use crate::request::{Header, RequestView};
use crate::signed::SignedRequest;
use crate::time::push_http_date;

/// Whether Net::HTTP's request class for `method` has `REQUEST_HAS_BODY`:
/// the gem adds the content hash only for those.
fn method_has_body(method: &str) -> Result<bool> {
    const WITH_BODY: [&str; 8] = ["POST", "PUT", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "LOCK", "UNLOCK"];
    const WITHOUT_BODY: [&str; 7] = ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "COPY", "MOVE"];
    if WITH_BODY.iter().any(|m| m.eq_ignore_ascii_case(method)) {
        Ok(true)
    } else if WITHOUT_BODY.iter().any(|m| m.eq_ignore_ascii_case(method)) {
        Ok(false)
    } else {
        Err(HmacSigError::unsupported(format!("api-auth cannot sign method {method:?}: the gem only signs Net::HTTP's request classes")))
    }
}

/// Signs like the gem's `sign!`: adds the content hash (for methods with a
/// body, when absent), a `Date` (when absent) and `Authorization`.
pub fn sign(request: &RequestView<'_>, options: &Options, key_id: &str, key: &(impl MacKey + ?Sized), now: i64) -> Result<SignedRequest> {
    let mut out = SignedRequest { headers: Vec::with_capacity(3), string_to_sign: Vec::with_capacity(160), url: None };
    sign_into(request, options, key_id, key, now, &mut out)?;
    Ok(out)
}

/// [`sign`] into `out`, reusing its allocations (its previous contents are
/// only capacity): a caller signing request after request with one `out`
/// allocates nothing once it has grown. On error `out` is left empty.
pub fn sign_into(
    request: &RequestView<'_>,
    options: &Options,
    key_id: &str,
    key: &(impl MacKey + ?Sized),
    now: i64,
    out: &mut SignedRequest,
) -> Result<()> {
    let mut headers = std::mem::take(&mut out.headers);
    out.clear();
    let signed = write_signed(request, options, key_id, key, now, &mut headers, &mut out.string_to_sign);
    headers.truncate(*signed.as_ref().unwrap_or(&0));
    out.headers = headers;
    if signed.is_err() {
        out.string_to_sign.clear();
    }
    signed.map(drop)
}

/// The body of [`sign_into`]: writes the headers to add over `headers` from
/// the start and the canonical string into `string_to_sign`; returns how
/// many headers it wrote.
fn write_signed(
    request: &RequestView<'_>,
    options: &Options,
    key_id: &str,
    key: &(impl MacKey + ?Sized),
    now: i64,
    headers: &mut Vec<Header>,
    string_to_sign: &mut Vec<u8>,
) -> Result<usize> {
    let [preset_hash, preset_date, uri_source, content_type] = request.validated_fields(&SIGNED_FIELDS)?;
    let has_body = method_has_body(request.method)?;
    let mut count = 0;
    let added_hash = preset_hash.is_none() && has_body;
    if added_hash {
        let digest = request.body.sha256("the api-auth content hash")?;
        push_base64(&digest, reuse_header(headers, count, CONTENT_HASH_HEADER));
        count += 1;
    }
    let added_date = preset_date.is_none();
    if added_date {
        push_http_date(now, reuse_header(headers, count, "Date"))?;
        count += 1;
    }
    let hash = preset_hash.as_deref().unwrap_or(if added_hash { &headers[0].value } else { "" });
    let date = preset_date.as_deref().unwrap_or(if added_date { &headers[count - 1].value } else { "" });
    let method = canonical_method(request, options);
    let uri_source = uri_source.as_deref().unwrap_or(request.target);
    let content_type = content_type.as_deref().unwrap_or_default();
    write_canonical(request, &method, content_type, hash, uri_source, date, &options.headers_to_sign, string_to_sign)?;
    let mac = key.hmac(options.algorithm, &[string_to_sign]);
    let authorization = reuse_header(headers, count, "Authorization");
    authorization.reserve(options.label.len() + key_id.len() + 2 + mac.len().div_ceil(3) * 4);
    for part in [&options.label, " ", key_id, ":"] {
        authorization.push_str(part);
    }
    push_base64(&mac, authorization);
    Ok(count + 1)
}

/// Header `at` of `headers`, named `name`, its value emptied for writing;
/// reuses the strings already there.
fn reuse_header<'h>(headers: &'h mut Vec<Header>, at: usize, name: &str) -> &'h mut String {
    if at == headers.len() {
        headers.push(Header::new(name, String::new()));
    }
    let header = &mut headers[at];
    if header.name != name {
        header.name.clear();
        header.name.push_str(name);
    }
    header.value.clear();
    &mut header.value
}
