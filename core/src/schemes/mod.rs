//! One module per signing scheme, all over the shared request model.

pub mod api_auth;
pub mod path_body_hex;
mod ruby_uri;
pub mod timestamped;
