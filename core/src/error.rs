//! The one public error type.
//!
//! Its variants are the error kinds of the conformance contract
//! (`docs/specs/conformance.md`), so every language reports the same kind
//! for the same bad input. Every variant carries `reason`, a complete,
//! human-readable sentence; `Display` prints exactly that, and the thin
//! per-language layers use it as the exception message.
//!
//! Contract: no variant ever contains secret key material. Request data
//! (header values, the string-to-sign) may appear: it travels in clear on
//! the wire anyway.

/// Why a request could not be signed, verified, or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "ffi", derive(uniffi::Error))]
pub enum HmacSigError {
    /// The request itself is unusable: a bad target, method, header or date text.
    #[error("{reason}")]
    InvalidRequest {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// No signature header at all.
    #[error("{reason}")]
    MissingAuthorization {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// A signature header is present but cannot be parsed.
    #[error("{reason}")]
    MalformedAuthorization {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// The server has no secret for this key id.
    #[error("{reason}")]
    UnknownKey {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
        /// The key id the request names.
        key_id: String,
    },
    /// The signature does not match. `string_to_sign` is what the server
    /// MACed (lossy UTF-8), for comparing with the client's; empty when the
    /// request was refused before anything was MACed (an AWS credential scope
    /// for another region or service).
    #[error("{reason}")]
    BadSignature {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
        /// What the server MACed, as lossy UTF-8; empty when nothing was.
        string_to_sign: String,
    },
    /// The request's timestamp is older than the policy allows.
    #[error("{reason}")]
    Stale {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// The request's timestamp is further in the future than the policy allows.
    #[error("{reason}")]
    Future {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// The body does not match its signed hash or digest, or is not covered.
    #[error("{reason}")]
    BodyMismatch {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// The algorithm is not one the policy accepts (MD5 never is).
    #[error("{reason}")]
    DigestNotAllowed {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// A header that must be signed is absent or unsigned.
    #[error("{reason}")]
    MissingSignedHeader {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// This signature was already seen inside its validity window.
    #[error("{reason}")]
    Replayed {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// An option or algorithm this library does not offer.
    #[error("{reason}")]
    Unsupported {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
    /// The server's key lookup failed (not the client's fault). Not a
    /// conformance kind: conformance cases carry their secret.
    #[error("{reason}")]
    KeyLookupFailed {
        /// Why, as a complete, human-readable sentence (what `Display` prints).
        reason: String,
    },
}

impl HmacSigError {
    /// The conformance-contract name of this error's kind, e.g. `bad_signature`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidRequest { .. } => "invalid_request",
            Self::MissingAuthorization { .. } => "missing_authorization",
            Self::MalformedAuthorization { .. } => "malformed_authorization",
            Self::UnknownKey { .. } => "unknown_key",
            Self::BadSignature { .. } => "bad_signature",
            Self::Stale { .. } => "stale",
            Self::Future { .. } => "future",
            Self::BodyMismatch { .. } => "body_mismatch",
            Self::DigestNotAllowed { .. } => "digest_not_allowed",
            Self::MissingSignedHeader { .. } => "missing_signed_header",
            Self::Replayed { .. } => "replayed",
            Self::Unsupported { .. } => "unsupported",
            Self::KeyLookupFailed { .. } => "key_lookup_failed",
        }
    }

    #[cfg(feature = "ffi")]
    /// Every kind, in the order of the variants: the index is the kind's
    /// code in the language layers' call layout (docs/ffi.md).
    pub(crate) const KINDS: [&'static str; 13] = [
        "invalid_request",
        "missing_authorization",
        "malformed_authorization",
        "unknown_key",
        "bad_signature",
        "stale",
        "future",
        "body_mismatch",
        "digest_not_allowed",
        "missing_signed_header",
        "replayed",
        "unsupported",
        "key_lookup_failed",
    ];

    #[cfg(feature = "ffi")]
    /// This error's code: its kind's index in [`Self::KINDS`].
    pub(crate) fn code(&self) -> u8 {
        let kind = self.kind();
        Self::KINDS.iter().position(|k| *k == kind).expect("every kind is listed") as u8
    }

    #[cfg(feature = "ffi")]
    /// The variant's fields as text, in declaration order: `reason`, then
    /// `key_id` (UnknownKey) or `string_to_sign` (BadSignature).
    pub(crate) fn fields(&self) -> Vec<&str> {
        match self {
            Self::UnknownKey { reason, key_id } => vec![reason, key_id],
            Self::BadSignature { reason, string_to_sign } => vec![reason, string_to_sign],
            other => vec![other.reason()],
        }
    }

    /// The human-readable message (the same text as `Display`).
    pub fn reason(&self) -> &str {
        match self {
            Self::InvalidRequest { reason }
            | Self::MissingAuthorization { reason }
            | Self::MalformedAuthorization { reason }
            | Self::UnknownKey { reason, .. }
            | Self::BadSignature { reason, .. }
            | Self::Stale { reason }
            | Self::Future { reason }
            | Self::BodyMismatch { reason }
            | Self::DigestNotAllowed { reason }
            | Self::MissingSignedHeader { reason }
            | Self::Replayed { reason }
            | Self::Unsupported { reason }
            | Self::KeyLookupFailed { reason } => reason,
        }
    }

    pub(crate) fn invalid_request(reason: impl Into<String>) -> Self {
        Self::InvalidRequest { reason: reason.into() }
    }
    pub(crate) fn missing_authorization(reason: impl Into<String>) -> Self {
        Self::MissingAuthorization { reason: reason.into() }
    }
    pub(crate) fn malformed_authorization(reason: impl Into<String>) -> Self {
        Self::MalformedAuthorization { reason: reason.into() }
    }
    pub(crate) fn unknown_key(key_id: &str) -> Self {
        Self::UnknownKey { reason: format!("no secret is known for key id {key_id:?}"), key_id: key_id.to_owned() }
    }
    pub(crate) fn bad_signature(string_to_sign: &[u8]) -> Self {
        let string_to_sign = String::from_utf8_lossy(string_to_sign).into_owned();
        Self::BadSignature { reason: format!("signature does not match; the server signed {string_to_sign:?}"), string_to_sign }
    }
    pub(crate) fn stale(reason: impl Into<String>) -> Self {
        Self::Stale { reason: reason.into() }
    }
    pub(crate) fn future(reason: impl Into<String>) -> Self {
        Self::Future { reason: reason.into() }
    }
    pub(crate) fn body_mismatch(reason: impl Into<String>) -> Self {
        Self::BodyMismatch { reason: reason.into() }
    }
    pub(crate) fn digest_not_allowed(reason: impl Into<String>) -> Self {
        Self::DigestNotAllowed { reason: reason.into() }
    }
    pub(crate) fn missing_signed_header(reason: impl Into<String>) -> Self {
        Self::MissingSignedHeader { reason: reason.into() }
    }
    pub(crate) fn unsupported(reason: impl Into<String>) -> Self {
        Self::Unsupported { reason: reason.into() }
    }
}

/// A result whose error is an [`HmacSigError`].
pub type Result<T, E = HmacSigError> = std::result::Result<T, E>;

#[cfg(all(test, feature = "ffi"))]
mod tests {
    use super::HmacSigError;

    #[test]
    fn every_kind_has_its_code() {
        for (code, kind) in HmacSigError::KINDS.iter().enumerate() {
            let error = match *kind {
                "unknown_key" => HmacSigError::unknown_key("k"),
                "bad_signature" => HmacSigError::bad_signature(b"sts"),
                "key_lookup_failed" => HmacSigError::KeyLookupFailed { reason: "r".into() },
                "replayed" => HmacSigError::Replayed { reason: "r".into() },
                _ => continue,
            };
            assert_eq!((error.code() as usize, error.kind()), (code, *kind));
        }
        assert_eq!(HmacSigError::invalid_request("r").code(), 0);
        assert_eq!(HmacSigError::unsupported("r").code(), 11);
    }
}
