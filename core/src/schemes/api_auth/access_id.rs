//! The key id a request claims, found as the gem's `ApiAuth.access_id`
//! finds it: loosely, to look up a secret. Verifying then parses
//! `Authorization` strictly.

use std::borrow::Cow;

use crate::error::{HmacSigError, Result};
use crate::request::RequestView;

/// The key id, as the gem's `ApiAuth.access_id` extracts it: the first match of
/// `/APIAuth(?:-HMAC-(MD5|SHA(?:1|224|256|384|512)?))? ([^:]+):(.+)$/`,
/// unanchored. Use it to look up a secret; `verify` then parses strictly.
/// Borrowed from the request when it has one `Authorization` header.
pub fn key_id<'a>(request: &RequestView<'a>) -> Result<Cow<'a, str>> {
    let value = request
        .header_cow("Authorization")
        .ok_or_else(|| HmacSigError::missing_authorization("the request has no Authorization header"))?;
    let malformed = |value: &str| HmacSigError::malformed_authorization(format!("no api-auth key id in Authorization {value:?}"));
    match value {
        Cow::Borrowed(value) => gem_access_id(value).map(Cow::Borrowed).ok_or_else(|| malformed(value)),
        Cow::Owned(value) => gem_access_id(&value).map(|id| Cow::Owned(id.to_owned())).ok_or_else(|| malformed(&value)),
    }
}

/// The gem's regex, by hand: Ruby tries each start position leftmost-first,
/// the optional label before its absence, `SHA` + suffix before bare `SHA`.
pub(super) fn gem_access_id(value: &str) -> Option<&str> {
    const LABELS: &[&str] = &["MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA"];
    // Start positions, first to last. The common value starts with the match:
    // tried first, before any substring searcher is set up.
    let at_start = value.starts_with("APIAuth").then_some(0);
    let later = || value.match_indices("APIAuth").map(|(i, _)| i).filter(|&i| i > 0);
    let try_at = |start: usize| {
        let after = &value[start + "APIAuth".len()..];
        let labelled = after.strip_prefix("-HMAC-").into_iter().flat_map(|l| LABELS.iter().filter_map(move |label| l.strip_prefix(label)));
        labelled.chain(std::iter::once(after)).find_map(|rest| {
            let rest = rest.strip_prefix(' ')?;
            let colon = rest.find(':')?;
            // `(.+)$`: at least one character before the end of the line.
            let sig = &rest[colon + 1..];
            (colon > 0 && !sig.is_empty() && !sig.starts_with('\n')).then(|| &rest[..colon])
        })
    };
    at_start.and_then(try_at).or_else(|| later().find_map(try_at))
}
