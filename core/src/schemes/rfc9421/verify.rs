//! Verification: the signatures a policy selects (by label or tag) and made
//! with the verifying key id must all verify, be fresh, cover what the
//! policy requires, and cover the body with a matching `Content-Digest`.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sfv::{BareItem, Item, ListEntry, Parameters, StringRef};

use super::components::{Component, Fault};
use super::fields::existing_signatures;
use super::message::MessageView;
use super::values::{Base, signature_base};
use super::{
    ALGORITHM, CONTENT_DIGEST_HEADER, DEFAULT_REQUIRED_FOR_REQUESTS, DEFAULT_REQUIRED_FOR_RESPONSES, Policy, SIGNATURE_HEADER,
    SIGNATURE_INPUT_HEADER,
};
use crate::error::{HmacSigError, Result};
use crate::mac::Algorithm;
use crate::request::Header;
use crate::signed::Verified;

/// One signature from the message, parsed and checked for shape.
struct Candidate {
    label: String,
    components: Vec<Component>,
    params: Parameters,
    signature: Vec<u8>,
}

impl Candidate {
    fn int(&self, key: &str) -> Option<i64> {
        self.params.get(key).and_then(BareItem::as_integer).map(i64::from)
    }

    fn string(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(|v| v.as_string()).map(StringRef::as_str)
    }

    fn key_id(&self) -> &str {
        self.string("keyid").unwrap_or_default()
    }
}

/// The signatures the policy selects, in `Signature-Input` order.
fn candidates(headers: &[Header], policy: &Policy) -> Result<Vec<Candidate>> {
    let (inputs, mut signatures) = existing_signatures(headers).map_err(HmacSigError::malformed_authorization)?.ok_or_else(|| {
        HmacSigError::missing_authorization(format!("the message has no {SIGNATURE_INPUT_HEADER} and {SIGNATURE_HEADER}"))
    })?;
    if inputs.is_empty() {
        return Err(HmacSigError::missing_authorization(format!("{SIGNATURE_INPUT_HEADER} is empty")));
    }
    let mut selected = Vec::new();
    for (label, entry) in inputs {
        let label = label.as_str().to_owned();
        let malformed = |why: &str| HmacSigError::malformed_authorization(format!("signature {label:?}: {why}"));
        let ListEntry::InnerList(inner) = entry else { return Err(malformed("its Signature-Input member is not an inner list")) };
        let signature = match signatures.swap_remove(label.as_str()) {
            Some(ListEntry::Item(Item { bare_item: BareItem::ByteSequence(bytes), .. })) => bytes,
            _ => return Err(malformed("its Signature member is not a byte sequence")),
        };
        for (key, value) in &inner.params {
            let ok = match key.as_str() {
                "created" | "expires" => value.as_integer().is_some(),
                "keyid" | "alg" | "nonce" | "tag" => value.as_string().is_some(),
                other => return Err(malformed(&format!("unknown parameter {other:?}"))),
            };
            if !ok {
                return Err(malformed(&format!("parameter {:?} has the wrong type", key.as_str())));
            }
        }
        let components =
            inner.items.into_iter().map(Component::from_item).collect::<std::result::Result<Vec<_>, Fault>>().map_err(|f| {
                match f.when_verifying() {
                    HmacSigError::MalformedAuthorization { reason } => malformed(&reason),
                    other => other,
                }
            })?;
        let candidate = Candidate { label: label.clone(), components, params: inner.params, signature };
        if policy.label.as_ref().is_some_and(|l| *l != candidate.label)
            || policy.tag.as_deref().is_some_and(|t| Some(t) != candidate.string("tag"))
        {
            continue;
        }
        if candidate.string("keyid").is_none() {
            return Err(malformed("it has no keyid parameter"));
        }
        selected.push(candidate);
    }
    if selected.is_empty() {
        return Err(HmacSigError::missing_authorization(match (&policy.label, &policy.tag) {
            (Some(label), _) => format!("the message has no signature labelled {label:?}"),
            (None, Some(tag)) => format!("the message has no signature tagged {tag:?}"),
            (None, None) => "the message has no signature".into(),
        }));
    }
    Ok(selected)
}

/// The key id of the first signature the policy selects.
pub fn key_id(message: &MessageView<'_>, policy: &Policy) -> Result<String> {
    Ok(candidates(message.headers, policy)?.swap_remove(0).key_id().to_owned())
}

fn check_times(candidate: &Candidate, policy: &Policy, now: i64) -> Result<i64> {
    let skew = i64::from(policy.clock_skew);
    let label = &candidate.label;
    let created = candidate.int("created").ok_or_else(|| {
        HmacSigError::malformed_authorization(format!("signature {label:?} has no created parameter, so its age is unknown"))
    })?;
    if created > now.saturating_add(skew) {
        return Err(HmacSigError::future(format!("signature {label:?} was created {} s in the future", created - now)));
    }
    if let Some(expires) = candidate.int("expires")
        && expires < now.saturating_sub(skew)
    {
        return Err(HmacSigError::stale(format!("signature {label:?} expired {} s ago", now - expires)));
    }
    let max_age = i64::from(policy.max_age);
    if created.saturating_add(max_age) < now.saturating_sub(skew) {
        return Err(HmacSigError::stale(format!(
            "signature {label:?} is {} s old; the policy allows {max_age} s",
            now.saturating_sub(created)
        )));
    }
    let until = created.saturating_add(max_age).saturating_add(skew);
    Ok(candidate.int("expires").map_or(until, |e| e.saturating_add(skew).min(until)))
}

/// Verifies the selected signatures made with `key_id`; each must verify.
pub fn verify(message: &MessageView<'_>, policy: &Policy, key_id: &str, secret: &[u8], now: i64) -> Result<Verified<'static>> {
    message.validate()?;
    let selected = candidates(message.headers, policy)?;
    let claimed = selected[0].key_id().to_owned();
    let mine: Vec<&Candidate> = selected.iter().filter(|c| c.key_id() == key_id).collect();
    if mine.is_empty() {
        return Err(HmacSigError::unknown_key(&claimed));
    }
    let default_required;
    let required = match &policy.required_components {
        Some(required) => required,
        None => {
            let names: &[&str] = if message.is_response() { &DEFAULT_REQUIRED_FOR_RESPONSES } else { &DEFAULT_REQUIRED_FOR_REQUESTS };
            default_required = names.iter().map(|n| Component::parse(n)).collect::<Result<Vec<_>>>()?;
            &default_required
        }
    };
    let mut valid_until = i64::MAX;
    let mut digests_checked = Vec::new();
    for candidate in &mine {
        valid_until = valid_until.min(check_times(candidate, policy, now)?);
        if let Some(alg) = candidate.string("alg")
            && alg != ALGORITHM
        {
            return Err(HmacSigError::digest_not_allowed(format!(
                "signature {:?} uses {alg:?}; only {ALGORITHM} is accepted",
                candidate.label
            )));
        }
        let Base { text: base, values, .. } =
            signature_base(message, &candidate.components, &candidate.params).map_err(Fault::when_verifying)?;
        if !Algorithm::Sha256.verify(secret, &[base.as_bytes()], &candidate.signature) {
            return Err(HmacSigError::bad_signature(base.as_bytes()));
        }
        let covered: Vec<_> = candidate.components.iter().map(Component::identity).collect();
        if let Some(missing) = required.iter().find(|r| !covered.contains(&r.identity())) {
            return Err(HmacSigError::missing_signed_header(format!(
                "signature {:?} does not cover {}, which the policy requires",
                candidate.label,
                missing.serialized()
            )));
        }
        // The digest value as signed, already resolved for the base.
        for (component, value) in candidate.components.iter().zip(&values).filter(|(c, _)| c.is_content_digest()) {
            crate::body::check_content_digest(value, component.string_param("key"), message.body)?;
            digests_checked.push(candidate.label.clone());
        }
    }
    let has_digest_field = message.headers.iter().any(|h| h.name.eq_ignore_ascii_case(CONTENT_DIGEST_HEADER));
    if (!message.body.is_empty() || has_digest_field)
        && !policy.allow_unsigned_body
        && let Some(uncovered) = mine.iter().find(|c| !digests_checked.contains(&c.label))
    {
        return Err(HmacSigError::body_mismatch(format!(
            "signature {:?} does not cover a Content-Digest, so the {}-byte body is not signed",
            uncovered.label,
            message.body.len()
        )));
    }
    Ok(Verified {
        key_id: Cow::Owned(key_id.to_owned()),
        replay_key: Some(Cow::Owned(format!("{}:{}", mine[0].label, BASE64.encode(&mine[0].signature)))),
        expires_at: Some(valid_until),
    })
}
