//! The refusal table: every kind of `hmacsig::HmacSigError` has its own fixed sentence, the
//! status the core gives it, and a body that carries nothing of the request.

use std::collections::HashSet;

use bytes::Bytes;
use hmacsig::{HmacSigError, http_status};
use hmacsig_tower::{refusal, sentence};
use http::Response;
use http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, Full};

/// One error of every kind, each with a reason holding a secret-looking marker. The match is
/// exhaustive: a new kind in the core fails to compile here until it is added (and given a
/// sentence).
fn every_kind() -> Vec<HmacSigError> {
    let reason = || "REASON-MARKER POST\n/orders?id=7\nbody-bytes".to_string();
    let errors = vec![
        HmacSigError::InvalidRequest { reason: reason() },
        HmacSigError::MissingAuthorization { reason: reason() },
        HmacSigError::MalformedAuthorization { reason: reason() },
        HmacSigError::UnknownKey { reason: reason(), key_id: "KEYID-MARKER".into() },
        HmacSigError::BadSignature { reason: reason(), string_to_sign: "STS-MARKER".into() },
        HmacSigError::Stale { reason: reason() },
        HmacSigError::Future { reason: reason() },
        HmacSigError::BodyMismatch { reason: reason() },
        HmacSigError::DigestNotAllowed { reason: reason() },
        HmacSigError::MissingSignedHeader { reason: reason() },
        HmacSigError::Replayed { reason: reason() },
        HmacSigError::Unsupported { reason: reason() },
        HmacSigError::KeyLookupFailed { reason: reason() },
    ];
    for error in &errors {
        match error {
            HmacSigError::InvalidRequest { .. }
            | HmacSigError::MissingAuthorization { .. }
            | HmacSigError::MalformedAuthorization { .. }
            | HmacSigError::UnknownKey { .. }
            | HmacSigError::BadSignature { .. }
            | HmacSigError::Stale { .. }
            | HmacSigError::Future { .. }
            | HmacSigError::BodyMismatch { .. }
            | HmacSigError::DigestNotAllowed { .. }
            | HmacSigError::MissingSignedHeader { .. }
            | HmacSigError::Replayed { .. }
            | HmacSigError::Unsupported { .. }
            | HmacSigError::KeyLookupFailed { .. } => {}
        }
    }
    errors
}

fn text(response: Response<Full<Bytes>>) -> String {
    // A Full body is ready at once: no runtime needed.
    let body = response.into_body();
    let mut future = std::pin::pin!(body.collect());
    let collected = match future.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(collected) => collected.expect("a Full body does not fail"),
        std::task::Poll::Pending => panic!("a Full body is ready at once"),
    };
    String::from_utf8(collected.to_bytes().to_vec()).expect("UTF-8")
}

#[test]
fn every_kind_has_its_own_sentence() {
    let errors = every_kind();
    assert_eq!(errors.len(), 13);
    let kinds: HashSet<&str> = errors.iter().map(HmacSigError::kind).collect();
    assert_eq!(kinds.len(), 13, "13 distinct kinds");
    let sentences: HashSet<&str> = kinds.iter().map(|kind| sentence(kind)).collect();
    assert_eq!(sentences.len(), 13, "13 distinct sentences");
    assert!(!sentences.contains(sentence("a_kind_from_the_future")), "no kind falls back to the generic sentence");
}

#[test]
fn the_table_is_the_agreed_one() {
    let table = [
        ("invalid_request", "the request cannot be verified as sent"),
        ("missing_authorization", "the request carries no credentials"),
        ("malformed_authorization", "the credentials header cannot be read"),
        ("unknown_key", "the key id is not known"),
        ("bad_signature", "the signature does not match"),
        ("stale", "the request is too old"),
        ("future", "the request is dated too far in the future"),
        ("body_mismatch", "the body does not match what was signed"),
        ("digest_not_allowed", "the algorithm is not accepted"),
        ("missing_signed_header", "a required header is missing or not signed"),
        ("replayed", "this request was already received"),
        ("unsupported", "the request uses an option the server does not support"),
        ("key_lookup_failed", "the server could not check the credentials, try again later"),
    ];
    for (kind, expected) in table {
        assert_eq!(sentence(kind), expected, "{kind}");
    }
    assert_eq!(sentence("a_kind_from_the_future"), "the request was refused");
}

#[test]
fn a_refusal_has_the_core_status_and_only_kind_and_sentence() {
    for error in every_kind() {
        let kind = error.kind();
        let response = refusal(&error, false);
        assert_eq!(response.status().as_u16(), http_status(kind), "{kind}");
        assert!([401, 403, 503].contains(&response.status().as_u16()), "{kind}");
        assert_eq!(response.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
        let body = text(response);
        assert_eq!(body, format!("{kind}: {}", sentence(kind)));
        for marker in ["REASON-MARKER", "KEYID-MARKER", "STS-MARKER", "/orders", "body-bytes"] {
            assert!(!body.contains(marker), "{kind}: {body:?} leaks {marker}");
        }
    }
}

#[test]
fn exposing_the_string_to_sign_shows_the_reason_except_for_a_server_fault() {
    for error in every_kind() {
        let kind = error.kind();
        let body = text(refusal(&error, true));
        if kind == "key_lookup_failed" {
            assert_eq!(body, format!("{kind}: {}", sentence(kind)), "a 503 never shows the reason");
        } else {
            assert_eq!(body, format!("{kind}: {}", error.reason()));
        }
    }
}
