//! A JavaScript function as the core's [`hmacsig::KeyLookup`]: `Verifier.withLookup`.
//!
//! Contract: the function is called with the key id and returns the secret (text, meaning
//! its UTF-8, or bytes), or `null`/`undefined` for an unknown key id (`unknown_key`, 403).
//! If it throws, or returns a Promise (a verify cannot wait), or anything else, the verify
//! fails with `key_lookup_failed` (503): the server could not check the credentials.

use hmacsig::{KeyLookup, KeyLookupError};
use wasm_bindgen::prelude::*;

use crate::convert::body;

pub struct JsLookup(js_sys::Function);

impl JsLookup {
    pub fn new(function: JsValue) -> Result<Self, JsValue> {
        function
            .dyn_into::<js_sys::Function>()
            .map(Self)
            .map_err(|_| crate::convert::type_error("lookup must be a function (keyId) => secret | null"))
    }
}

// SAFETY: this build targets wasm32 without the `atomics` feature: one thread, the one that
// made the function, ever runs this module, so the function is never sent nor shared across
// threads. (On a target with threads this would not hold; the crate is built for no such
// target, and the core only needs these bounds for its other bindings.)
#[cfg(not(target_feature = "atomics"))]
unsafe impl Send for JsLookup {}
#[cfg(not(target_feature = "atomics"))]
unsafe impl Sync for JsLookup {}

impl KeyLookup for JsLookup {
    fn secret_for(&self, key_id: String) -> Result<Option<Vec<u8>>, KeyLookupError> {
        let failed = |reason: &str| KeyLookupError::Failed { reason: reason.to_owned() };
        let value = self.0.call1(&JsValue::NULL, &JsValue::from_str(&key_id)).map_err(|_| failed("the key lookup threw"))?;
        if value.is_null() || value.is_undefined() {
            return Ok(None);
        }
        if value.has_type::<js_sys::Promise>() {
            return Err(failed("the key lookup returned a Promise; it must return the secret itself"));
        }
        body(value, "a secret").map(Some).map_err(|_| failed("the key lookup returned neither a string nor bytes"))
    }
}
