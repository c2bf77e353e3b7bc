//! Signing: adds one signature, under its own label, to those a message
//! already has.

use std::borrow::Cow;

use sfv::{BareItem, FieldType as _, Item, KeyRef, ListEntry};

use super::components::{Component, Fault};
use super::fields::existing_signatures;
use super::message::MessageView;
use super::values::{Base, signature_base};
use super::{CONTENT_DIGEST_HEADER, Options, SIGNATURE_HEADER, SIGNATURE_INPUT_HEADER};
use crate::error::{HmacSigError, Result};
use crate::mac::Algorithm;
use crate::request::Header;
use crate::signed::SignedRequest;

/// Signs `message`. Returns `Content-Digest` (when the options add one),
/// then `Signature-Input` and `Signature`; signatures already in the message
/// are kept, and the new one is added under its own label.
pub fn sign(message: &MessageView<'_>, options: &Options, key_id: &str, secret: &[u8], now: i64) -> Result<SignedRequest> {
    message.validate()?;
    let mut added = Vec::new();
    let mut components = Cow::Borrowed(&options.components);
    let mut headers = Cow::Borrowed(message.headers);
    if let Some(digest) = options.content_digest {
        if headers.iter().any(|h| h.name.eq_ignore_ascii_case(CONTENT_DIGEST_HEADER)) {
            return Err(HmacSigError::invalid_request(format!(
                "the message already has a {CONTENT_DIGEST_HEADER} header; sign without content_digest to cover it as it is"
            )));
        }
        let value = digest.field_value_of_digest(&message.body.digest(digest, "the rfc9421 Content-Digest")?);
        let header = Header::new(CONTENT_DIGEST_HEADER, value);
        headers.to_mut().push(header.clone());
        added.push(header);
        if !components.iter().any(Component::is_content_digest) {
            components.to_mut().push(Component::parse("content-digest")?);
        }
    }
    let (mut inputs, mut signatures) = existing_signatures(&headers)
        .map_err(|e| HmacSigError::invalid_request(format!("cannot add a signature: {e}")))?
        .unwrap_or_default();
    let label = KeyRef::from_str(&options.label).map_err(|_| HmacSigError::unsupported(format!("bad label {:?}", options.label)))?;
    if inputs.contains_key(label) {
        return Err(HmacSigError::invalid_request(format!("the message already has a signature labelled {:?}", options.label)));
    }
    let params = options.parameters(key_id, now)?;
    let view = MessageView { headers: &headers, ..*message };
    let Base { text: base, signature_params: inner, .. } = signature_base(&view, &components, &params).map_err(Fault::when_signing)?;
    let signature = Algorithm::Sha256.hmac(secret, &[base.as_bytes()]);
    inputs.insert(label.to_owned(), ListEntry::InnerList(inner));
    signatures.insert(label.to_owned(), ListEntry::Item(Item::new(BareItem::ByteSequence(signature.to_vec()))));
    added.push(Header::new(SIGNATURE_INPUT_HEADER, inputs.serialize().unwrap_or_default()));
    added.push(Header::new(SIGNATURE_HEADER, signatures.serialize().unwrap_or_default()));
    Ok(SignedRequest { headers: added, string_to_sign: base.into_bytes(), url: None })
}
