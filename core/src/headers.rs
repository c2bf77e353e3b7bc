//! The names of the headers the schemes write and read, for tools that take
//! a signature out of a request or show what it covers (such as the command
//! line's `explain`). Signing and verifying need none of them.
//!
//! Names are spelled as the schemes write them; header names compare
//! case-insensitively.

use crate::schemes::{api_auth, hawk, kong_hmac, rfc9421, timestamped};

/// api-auth: the base64 SHA-256 of the body, `X-Authorization-Content-SHA256`
/// (added on signing for methods with a body, when absent).
pub const API_AUTH_CONTENT_HASH: &str = api_auth::CONTENT_HASH_HEADER;

/// timestamped: the Unix seconds signed, `X-Request-Timestamp`.
pub const TIMESTAMPED_TIMESTAMP: &str = timestamped::TIMESTAMP_HEADER;

/// timestamped with [`HeaderStyle::XRequest`](crate::HeaderStyle::XRequest):
/// the signature, `X-Request-Signature`.
pub const TIMESTAMPED_SIGNATURE: &str = timestamped::SIGNATURE_HEADER;

/// timestamped with [`HeaderStyle::XRequest`](crate::HeaderStyle::XRequest):
/// the key id, `X-Request-Key-Id`.
pub const TIMESTAMPED_KEY_ID: &str = timestamped::KEY_ID_HEADER;

/// rfc9421: each signature's covered components and parameters, by label,
/// `Signature-Input`.
pub const RFC9421_SIGNATURE_INPUT: &str = rfc9421::SIGNATURE_INPUT_HEADER;

/// rfc9421: each signature, by label, `Signature`.
pub const RFC9421_SIGNATURE: &str = rfc9421::SIGNATURE_HEADER;

/// The body's digest (RFC 9530), `Content-Digest`: rfc9421 adds it and
/// covers it when signing with a `content_digest`.
pub const CONTENT_DIGEST: &str = rfc9421::CONTENT_DIGEST_HEADER;

/// kong-hmac: the body's SHA-256, `Digest: SHA-256=<base64>` (added with
/// the `digest` option; checked with `validate_request_body`).
pub const KONG_HMAC_DIGEST: &str = kong_hmac::DIGEST_HEADER;

/// hawk: the server's signature on a response, `Server-Authorization`.
pub const HAWK_SERVER_AUTHORIZATION: &str = hawk::SERVER_AUTHORIZATION_HEADER;
