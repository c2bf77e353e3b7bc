//! Hawk's response authentication: the server signs its response in
//! `Server-Authorization` (hawk's `server.header`), and the client checks it
//! (hawk's `client.authenticate`).
//!
//! ```text
//! Server-Authorization: Hawk mac="…"[, hash="…"][, ext="…"]
//! normalized = the request's, with "hawk.1.response", the response's hash and ext
//! ```
//!
//! Contract: the header is hawk's for the same request and response; the
//! MAC covers the request's ts, nonce, method, resource, host, port, app and
//! dlg, with the response's payload hash (of its body and `Content-Type`)
//! and `ext`. Verifying needs `Server-Authorization` (a client that asks
//! for response authentication wants it), then the payload hash as for
//! requests. Responses are not replayed against the client, so they carry
//! no replay key.

use std::borrow::Cow;

use super::{Artifacts, Options, Policy, authorization, check_payload, first, header, location, payload_hash};
use crate::error::{HmacSigError, Result};
use crate::mac::constant_time_eq;
use crate::request::{Header, RequestView};
use crate::schemes::rfc9421::MessageView;
use crate::signed::{SignedRequest, Verified};

/// The response header that carries the server's MAC.
pub const SERVER_AUTHORIZATION_HEADER: &str = "Server-Authorization";

/// The request a response answers, which its MAC covers.
fn answered<'a>(response: &MessageView<'a>) -> Result<RequestView<'a>> {
    response.request.ok_or_else(|| {
        HmacSigError::invalid_request("a Hawk response is signed over the request it answers; pass that request, with its Authorization")
    })
}

/// The request's artifacts, for `credentials`' key id.
fn request_artifacts<'a>(request: &RequestView<'a>, policy: Option<&'a Policy>, key_id: &str) -> Result<Artifacts<'a>> {
    request.validate()?;
    let attributes = authorization(request)?;
    let id = attributes.required("id")?;
    if id != key_id {
        return Err(HmacSigError::unknown_key(id));
    }
    let (resource, host, port) = location(request, policy)?;
    Ok(Artifacts {
        ts: Cow::Borrowed(attributes.required("ts")?),
        nonce: Cow::Borrowed(attributes.required("nonce")?),
        method: Cow::Borrowed(request.method),
        resource,
        host,
        port,
        app: attributes.get("app").map(Cow::Borrowed),
        dlg: attributes.get("dlg").map(Cow::Borrowed),
        ..Artifacts::default()
    })
}

pub fn sign_response(response: &MessageView<'_>, options: &Options, key_id: &str, secret: &[u8]) -> Result<SignedRequest> {
    crate::request::validate_header_lines(response.headers, crate::request::Folding::Refused)?;
    let request = answered(response)?;
    let mut artifacts = request_artifacts(&request, None, key_id)?;
    if options.payload_hash {
        artifacts.hash = Some(Cow::Owned(payload_hash(options.algorithm, first(response.headers, "Content-Type"), &response.body)?));
    }
    artifacts.ext = options.ext.as_deref().map(Cow::Borrowed);
    let (normalized, mac) = artifacts.mac("response", options.algorithm, secret);
    let mut value = format!("Hawk mac=\"{mac}\"");
    if let Some(hash) = &artifacts.hash {
        header::push_attribute(&mut value, "hash", hash);
    }
    if let Some(ext) = &artifacts.ext {
        header::push_attribute(&mut value, "ext", ext);
    }
    Ok(SignedRequest { headers: vec![Header::new(SERVER_AUTHORIZATION_HEADER, value)], string_to_sign: normalized.into_bytes(), url: None })
}

pub fn verify_response(
    response: &MessageView<'_>,
    options: &Options,
    policy: &Policy,
    key_id: &str,
    secret: &[u8],
) -> Result<Verified<'static>> {
    crate::request::validate_header_lines(response.headers, crate::request::Folding::Refused)?;
    let request = answered(response)?;
    let mut artifacts = request_artifacts(&request, Some(policy), key_id)?;
    let value = first(response.headers, SERVER_AUTHORIZATION_HEADER)
        .ok_or_else(|| HmacSigError::missing_authorization("the response has no Server-Authorization header"))?;
    let attributes = header::parse(value, header::RESPONSE_ATTRIBUTES, "Server-Authorization")?;
    let sent_mac = attributes.required("mac")?;
    artifacts.hash = attributes.get("hash").map(Cow::Borrowed);
    artifacts.ext = attributes.get("ext").map(Cow::Borrowed);
    let (normalized, mac) = artifacts.mac("response", options.algorithm, secret);
    if !constant_time_eq(mac.as_bytes(), sent_mac.as_bytes()) {
        return Err(HmacSigError::bad_signature(normalized.as_bytes()));
    }
    check_payload(attributes.get("hash"), options.algorithm, first(response.headers, "Content-Type"), &response.body, policy, "response")?;
    Ok(Verified { key_id: Cow::Owned(key_id.to_owned()), replay_key: None, expires_at: None })
}
