//! A body too large to hold, hashed as it streams: `BodyHasher` (chunks in, a `BodyDigest`
//! out) and `Signer.signWithBodyDigest`, the core's own (`hmacsig::BodyHasher`), for the
//! schemes that sign a body's digest (api-auth, aws-sigv4, rfc9421, kong-hmac).

use std::sync::Arc;

use hmacsig::ContentDigest;
use wasm_bindgen::prelude::*;

use crate::Signer;
use crate::convert::{body, error, headers, now, signed};

/// `new BodyHasher(algorithm?)`: `"sha-256"` (default) or `"sha-512"`.
#[wasm_bindgen]
pub struct BodyHasher {
    inner: Arc<hmacsig::BodyHasher>,
}

#[wasm_bindgen]
impl BodyHasher {
    #[wasm_bindgen(constructor)]
    pub fn new(algorithm: Option<String>) -> Result<BodyHasher, JsValue> {
        let algorithm = algorithm.as_deref().map(ContentDigest::from_name).transpose().map_err(error)?;
        Ok(BodyHasher { inner: hmacsig::BodyHasher::new(algorithm) })
    }

    /// Hashes the next chunk (`Uint8Array`, `ArrayBuffer` or text, its UTF-8).
    pub fn update(&self, chunk: JsValue) -> Result<(), JsValue> {
        self.inner.update(&body(chunk, "chunk")?).map_err(error)
    }

    /// The digest of every chunk; the hasher is then spent (`invalid_request` after).
    pub fn finish(&self) -> Result<BodyDigest, JsValue> {
        Ok(BodyDigest { inner: self.inner.finish().map_err(error)? })
    }
}

/// The digest of a whole body and its length, from `BodyHasher.finish()`.
#[wasm_bindgen]
pub struct BodyDigest {
    inner: hmacsig::BodyDigest,
}

#[wasm_bindgen]
impl BodyDigest {
    /// `"sha-256"` or `"sha-512"`.
    #[wasm_bindgen(getter)]
    pub fn algorithm(&self) -> String {
        self.inner.algorithm.name().to_owned()
    }

    /// The raw digest.
    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> Vec<u8> {
        self.inner.digest.clone()
    }

    /// How many bytes were hashed.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> f64 {
        self.inner.length as f64
    }
}

#[wasm_bindgen]
impl Signer {
    /// Signs a request whose body was hashed chunk by chunk: the same headers as `sign` with
    /// the whole body (api-auth, aws-sigv4, rfc9421, kong-hmac; others are `unsupported`).
    #[wasm_bindgen(js_name = signWithBodyDigest)]
    pub fn sign_with_body_digest(
        &self,
        method: String,
        target: String,
        headers_in: JsValue,
        digest: &BodyDigest,
        now_in: JsValue,
    ) -> Result<JsValue, JsValue> {
        let result =
            self.inner.sign_with_body_digest(method, target, headers(headers_in)?, digest.inner.clone(), now(now_in)?).map_err(error)?;
        signed(&result)
    }
}
