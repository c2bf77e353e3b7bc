//! hmacsig for JavaScript: the core built to WebAssembly with wasm-bindgen, for Node ≥ 20
//! and browsers (npm package `hmacsig`, `bindings/wasm/js/`).
//!
//! Contract: every class and function here calls the same core the other languages call,
//! with the same schemes, defaults and error kinds; nothing of a scheme is written again.
//! Options come as one object per scheme or policy (`options.rs`); headers as
//! `[name, value]` pairs (or an object); bodies as `Uint8Array` or text (its UTF-8); `now`
//! as Unix seconds (`undefined`: the clock). A refusal throws an `Error` whose `name` is
//! `HmacSigError`, with `kind` (`bad_signature`, ...) and `reason`; `js/index.js` turns it
//! into an instance of its `HmacSigError` class.

mod convert;
mod lookup;
mod options;
mod streaming;

use std::collections::HashMap;
use std::sync::Arc;

use hmacsig::{Credentials, Request, Response};
use wasm_bindgen::prelude::*;

use convert::{body, error, from_js, headers, now, signed, type_error};
use options::{PolicyOptions, SchemeOptions};

/// How to sign: `new Scheme({ name: "api-auth", digest: "sha256" })`.
#[wasm_bindgen]
pub struct Scheme {
    inner: Arc<hmacsig::Scheme>,
}

#[wasm_bindgen]
impl Scheme {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Scheme, JsValue> {
        let options: SchemeOptions = from_js(options, "scheme options", options::SCHEME_FIELDS)?;
        Ok(Scheme { inner: options.build().map_err(error)? })
    }

    /// The scheme's name, as the conformance cases spell it (`api-auth`).
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name()
    }

    /// Whether an HTTP client signs the absolute URL (hawk) rather than the origin-form target.
    #[wasm_bindgen(getter, js_name = signsAbsoluteUrl)]
    pub fn signs_absolute_url(&self) -> bool {
        self.inner.signs_absolute_url()
    }
}

/// How strictly to verify: `new Policy({ name: "api-auth", clockSkew: 300 })`.
#[wasm_bindgen]
pub struct Policy {
    inner: Arc<hmacsig::Policy>,
}

#[wasm_bindgen]
impl Policy {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Policy, JsValue> {
        let options: PolicyOptions = from_js(options, "policy options", options::POLICY_FIELDS)?;
        Ok(Policy { inner: options.build().map_err(error)? })
    }
}

fn credentials(key_id: String, secret: JsValue) -> Result<Arc<Credentials>, JsValue> {
    Ok(Arc::new(Credentials::new(key_id, body(secret, "secret")?)))
}

/// Signs requests with one scheme and key: `new Signer(scheme, keyId, secret)`.
#[wasm_bindgen]
pub struct Signer {
    inner: hmacsig::Signer,
}

/// The HTTP status for an error kind: 401 no usable credentials, 403 refused, 503 the key
/// lookup failed (the same table as every language's middleware).
#[wasm_bindgen(js_name = httpStatus)]
pub fn http_status(kind: &str) -> u16 {
    hmacsig::http_status(kind)
}

#[wasm_bindgen]
impl Signer {
    #[wasm_bindgen(constructor)]
    pub fn new(scheme: &Scheme, key_id: String, secret: JsValue) -> Result<Signer, JsValue> {
        Ok(Signer { inner: hmacsig::Signer::new(scheme.inner.clone(), credentials(key_id, secret)?) })
    }

    /// Signs a request: what `index.js`'s `Signer.sign` calls, with one string each way
    /// (each string crossing wasm-bindgen costs about half a microsecond, ADR 0009): the
    /// headers packed as `name\0value\0…` (`count` pairs), the result packed by
    /// `convert::pack_signed`.
    #[wasm_bindgen(js_name = signPacked)]
    pub fn sign_packed(
        &self,
        method: String,
        target: String,
        packed: String,
        count: u32,
        body_in: JsValue,
        now_in: JsValue,
    ) -> Result<String, JsValue> {
        let body = body(body_in, "body")?;
        let headers = convert::unpack_headers(&packed, count).map_err(error)?;
        let result = self.inner.sign(method, target, headers, &body, now(now_in)?).map_err(error)?;
        Ok(convert::pack_signed(&result))
    }

    /// Signs a response (rfc9421, hawk) to the request it answers.
    #[wasm_bindgen(js_name = signResponse)]
    #[allow(clippy::too_many_arguments)]
    pub fn sign_response(
        &self,
        status: u16,
        headers_in: JsValue,
        body_in: JsValue,
        request: JsValue,
        now_in: JsValue,
    ) -> Result<JsValue, JsValue> {
        let response = Response { status, headers: headers(headers_in)?, body: body(body_in, "body")? };
        let request = convert::request(request)?;
        signed(&self.inner.sign_response(&response, request.as_ref(), now(now_in)?).map_err(error)?)
    }

    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.inner.key_id()
    }

    /// Whether an HTTP client gives it the absolute URL (hawk) rather than the origin-form target.
    #[wasm_bindgen(getter, js_name = signsAbsoluteUrl)]
    pub fn signs_absolute_url(&self) -> bool {
        self.inner.signs_absolute_url()
    }
}

/// Remembers accepted signatures until their window closes: `new ReplayGuard(capacity, defaultTtl)`.
#[wasm_bindgen]
pub struct ReplayGuard {
    inner: Arc<hmacsig::ReplayGuard>,
}

#[wasm_bindgen]
impl ReplayGuard {
    #[wasm_bindgen(constructor)]
    pub fn new(capacity: Option<u32>, default_ttl: Option<u32>) -> Result<ReplayGuard, JsValue> {
        let guard = hmacsig::ReplayGuard::new(capacity.unwrap_or(100_000), default_ttl.unwrap_or(900)).map_err(error)?;
        Ok(ReplayGuard { inner: Arc::new(guard) })
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.inner.len()
    }
}

/// Verifies requests for a server: `Verifier.withKeys(scheme, { keyId: secret }, policy?, guard?)`.
#[wasm_bindgen]
pub struct Verifier {
    inner: hmacsig::Verifier,
    signs_absolute_url: bool,
}

#[wasm_bindgen]
impl Verifier {
    #[wasm_bindgen(js_name = withKeys)]
    pub fn with_keys(scheme: &Scheme, keys: JsValue, policy: Option<Policy>, guard: Option<ReplayGuard>) -> Result<Verifier, JsValue> {
        let object = keys.dyn_into::<js_sys::Object>().map_err(|_| type_error("keys must be an object { keyId: secret }"))?;
        let mut map = HashMap::new();
        for entry in js_sys::Object::entries(&object).iter() {
            let pair = js_sys::Array::from(&entry);
            let key_id = pair.get(0).as_string().unwrap_or_default();
            map.insert(key_id, body(pair.get(1), "a secret")?);
        }
        let verifier = hmacsig::Verifier::with_keys(scheme.inner.clone(), map, policy.map(|p| p.inner), guard.map(|g| g.inner));
        Ok(Verifier { inner: verifier.map_err(error)?, signs_absolute_url: scheme.inner.signs_absolute_url() })
    }

    /// `Verifier.withLookup(scheme, (keyId) => secret | null, policy?, guard?)`: the secret
    /// looked up per request by a synchronous function (`lookup.rs`); a lookup that throws
    /// makes the verify `key_lookup_failed` (503).
    #[wasm_bindgen(js_name = withLookup)]
    pub fn with_lookup(scheme: &Scheme, lookup: JsValue, policy: Option<Policy>, guard: Option<ReplayGuard>) -> Result<Verifier, JsValue> {
        let lookup = Arc::new(lookup::JsLookup::new(lookup)?);
        let verifier = hmacsig::Verifier::with_lookup(scheme.inner.clone(), lookup, policy.map(|p| p.inner), guard.map(|g| g.inner));
        Ok(Verifier { inner: verifier.map_err(error)?, signs_absolute_url: scheme.inner.signs_absolute_url() })
    }

    /// Whether a server verifies `scheme://Host/target` (hawk) rather than the target as received.
    #[wasm_bindgen(getter, js_name = signsAbsoluteUrl)]
    pub fn signs_absolute_url(&self) -> bool {
        self.signs_absolute_url
    }

    /// The verified key id (throws `HmacSigError` on a refusal): what `index.js`'s
    /// `Verifier.verify` calls, with the headers packed as `name\0value\0…` (`count` pairs).
    #[wasm_bindgen(js_name = verifyPacked)]
    pub fn verify_packed(
        &self,
        method: String,
        target: String,
        packed: String,
        count: u32,
        body_in: JsValue,
        now_in: JsValue,
    ) -> Result<String, JsValue> {
        let body = body(body_in, "body")?;
        let headers = convert::unpack_headers(&packed, count).map_err(error)?;
        self.inner.verify(method, target, headers, &body, now(now_in)?).map_err(error)
    }

    /// Verifies a signed response (rfc9421, hawk) to `request`.
    #[wasm_bindgen(js_name = verifyResponse)]
    pub fn verify_response(
        &self,
        status: u16,
        headers_in: JsValue,
        body_in: JsValue,
        request: JsValue,
        now_in: JsValue,
    ) -> Result<String, JsValue> {
        let response = Response { status, headers: headers(headers_in)?, body: body(body_in, "body")? };
        let request = convert::request(request)?;
        self.inner.verify_response(&response, request.as_ref(), now(now_in)?).map_err(error)
    }

    /// The key id a request claims (not verified).
    #[wasm_bindgen(js_name = keyId)]
    pub fn key_id(&self, method: String, target: String, headers_in: JsValue) -> Result<String, JsValue> {
        let request = Request { method, target, headers: headers(headers_in)?, body: vec![] };
        self.inner.key_id(&request.view()).map_err(error)
    }
}

/// Verifies one request against one key: the conformance runner's path and a client's check.
#[wasm_bindgen(js_name = verifyRequest)]
pub fn verify_request(
    scheme: &Scheme,
    key_id: String,
    secret: JsValue,
    request: JsValue,
    policy: Option<Policy>,
    now_in: JsValue,
) -> Result<String, JsValue> {
    let request = convert::request(request)?.ok_or_else(|| type_error("request is required"))?;
    hmacsig::verify_request(scheme.inner.clone(), credentials(key_id, secret)?, request, policy.map(|p| p.inner), now(now_in)?)
        .map_err(error)
}

/// Verifies a response against one key (rfc9421, hawk).
#[wasm_bindgen(js_name = verifyResponse)]
#[allow(clippy::too_many_arguments)]
pub fn verify_response(
    scheme: &Scheme,
    key_id: String,
    secret: JsValue,
    response: JsValue,
    request: JsValue,
    policy: Option<Policy>,
    now_in: JsValue,
) -> Result<String, JsValue> {
    let response = convert::response(response)?;
    let request = convert::request(request)?;
    let credentials = credentials(key_id, secret)?;
    hmacsig::verify_response(scheme.inner.clone(), credentials, response, request, policy.map(|p| p.inner), now(now_in)?).map_err(error)
}

/// Signs a response against one key (rfc9421, hawk).
#[wasm_bindgen(js_name = signResponse)]
pub fn sign_response(
    scheme: &Scheme,
    key_id: String,
    secret: JsValue,
    response: JsValue,
    request: JsValue,
    now_in: JsValue,
) -> Result<JsValue, JsValue> {
    let response = convert::response(response)?;
    let request = convert::request(request)?;
    signed(&hmacsig::sign_response(scheme.inner.clone(), credentials(key_id, secret)?, response, request, now(now_in)?).map_err(error)?)
}

/// The key id a request claims, not verified yet.
#[wasm_bindgen(js_name = extractKeyId)]
pub fn extract_key_id(scheme: &Scheme, request: JsValue) -> Result<String, JsValue> {
    let request = convert::request(request)?.ok_or_else(|| type_error("request is required"))?;
    hmacsig::extract_key_id(scheme.inner.clone(), request).map_err(error)
}

/// A new random secret, as the api-auth gem makes them (88 characters of base64).
#[wasm_bindgen(js_name = generateSecret)]
pub fn generate_secret() -> Result<String, JsValue> {
    hmacsig::generate_secret().map_err(error)
}
