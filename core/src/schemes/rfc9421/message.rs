//! The message signed or verified: a request, or a response with the
//! request it answers.
//!
//! Contract: [`MessageView::validate`] refuses what no signature base can be
//! built from (a status outside 100..=999, header lines or a target that do
//! not parse); obsolete line folding in field values is allowed.

use crate::body::Body;
use crate::error::{HmacSigError, Result};
use crate::request::{Folding, Header, RequestView, validate_header_lines};
use crate::target::Target;

/// A message to sign or verify: a request, or a response with the request it answers.
#[derive(Debug, Clone, Copy)]
pub struct MessageView<'a> {
    pub headers: &'a [Header],
    pub body: Body<'a>,
    /// `Some` for a response.
    pub status: Option<u16>,
    /// The request itself, or the request a response answers (if known).
    pub request: Option<RequestView<'a>>,
}

impl<'a> MessageView<'a> {
    pub fn request(request: RequestView<'a>) -> Self {
        Self { headers: request.headers, body: request.body, status: None, request: Some(request) }
    }

    pub(super) fn validate(&self) -> Result<()> {
        if let Some(status) = self.status
            && !(100..=999).contains(&status)
        {
            return Err(HmacSigError::invalid_request(format!("the status {status} is not a three-digit HTTP status")));
        }
        if let Some(request) = self.request {
            request.validate_with(Folding::Allowed)?;
            Target::parse(request.target)?;
        }
        validate_header_lines(self.headers, Folding::Allowed)
    }

    pub(super) fn is_response(&self) -> bool {
        self.status.is_some()
    }
}
