//! One module per signing scheme, all over the shared request model.

pub mod api_auth;
pub mod aws_sigv4;
pub mod hawk;
pub mod kong_hmac;
pub mod path_body_hex;
pub mod rfc9421;
pub mod timestamped;
