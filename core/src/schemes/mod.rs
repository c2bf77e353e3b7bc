//! One module per signing scheme, all over the shared request model.

pub mod api_auth;
mod ruby_uri;
