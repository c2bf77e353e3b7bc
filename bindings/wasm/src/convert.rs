//! JavaScript values to the core's types and back: headers, bodies, clocks, requests,
//! responses, signed results, and errors.

use base64::Engine as _;
use hmacsig::{Header, HmacSigError, Request, Response, SignedRequest};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// A `TypeError`, as JavaScript throws for an argument of the wrong type.
pub fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// The core's refusal as an `Error` named `HmacSigError`, with `kind` and `reason`.
pub fn error(e: HmacSigError) -> JsValue {
    let js = js_sys::Error::new(&e.to_string());
    js.set_name("HmacSigError");
    let _ = js_sys::Reflect::set(&js, &"kind".into(), &e.kind().into());
    let _ = js_sys::Reflect::set(&js, &"reason".into(), &e.reason().into());
    // What the other languages' errors carry too: for debugging a mismatch on the server
    // (the middleware never sends it to the client).
    match &e {
        HmacSigError::BadSignature { string_to_sign, .. } => {
            let _ = js_sys::Reflect::set(&js, &"stringToSign".into(), &string_to_sign.into());
        }
        HmacSigError::UnknownKey { key_id, .. } => {
            let _ = js_sys::Reflect::set(&js, &"keyId".into(), &key_id.into());
        }
        _ => {}
    }
    js.into()
}

/// Options read with serde; a value of the wrong shape, or a field not in `fields`, is a
/// `TypeError` (a misspelt option is never silently ignored).
pub fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str, fields: &[&str]) -> Result<T, JsValue> {
    if let Some(object) = value.dyn_ref::<js_sys::Object>() {
        for key in js_sys::Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !fields.contains(&key.as_str()) {
                return Err(type_error(&format!("{what}: unknown option {key:?}")));
            }
        }
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| type_error(&format!("{what}: {e}")))
}

/// Headers: `[[name, value], …]`, `[{name, value}, …]`, or an object `{ name: value }`.
pub fn headers(value: JsValue) -> Result<Vec<Header>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(vec![]);
    }
    let text = |v: JsValue, what: &str| v.as_string().ok_or_else(|| type_error(&format!("a header {what} must be a string")));
    if js_sys::Array::is_array(&value) {
        let mut out = Vec::new();
        for item in js_sys::Array::from(&value).iter() {
            if js_sys::Array::is_array(&item) {
                let pair = js_sys::Array::from(&item);
                if pair.length() != 2 {
                    return Err(type_error("a header must be a [name, value] pair"));
                }
                out.push(Header::new(text(pair.get(0), "name")?, text(pair.get(1), "value")?));
            } else {
                let name = js_sys::Reflect::get(&item, &"name".into()).unwrap_or(JsValue::UNDEFINED);
                let value = js_sys::Reflect::get(&item, &"value".into()).unwrap_or(JsValue::UNDEFINED);
                out.push(Header::new(text(name, "name")?, text(value, "value")?));
            }
        }
        return Ok(out);
    }
    let object = value.dyn_into::<js_sys::Object>().map_err(|_| type_error("headers must be pairs or an object"))?;
    js_sys::Object::entries(&object)
        .iter()
        .map(|entry| {
            let pair = js_sys::Array::from(&entry);
            Ok(Header::new(text(pair.get(0), "name")?, text(pair.get(1), "value")?))
        })
        .collect()
}

/// Bytes: a `Uint8Array` (or any typed array view, or `ArrayBuffer`), or text as its UTF-8;
/// `undefined` and `null` are empty.
pub fn body(value: JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(vec![]);
    }
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(js_sys::Uint8Array::new(buffer).to_vec());
    }
    if js_sys::ArrayBuffer::is_view(&value) {
        let view: &js_sys::DataView = value.unchecked_ref();
        return Ok(js_sys::Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset() as u32,
            view.byte_length() as u32,
        )
        .to_vec());
    }
    Err(type_error(&format!("{what} must be a Uint8Array, an ArrayBuffer or a string")))
}

/// Unix seconds: an integer number (or a BigInt), or `undefined` for the clock, read here
/// with `Date.now()` (the core's system clock does not exist on `wasm32-unknown-unknown`).
pub fn now(value: JsValue) -> Result<Option<i64>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Some((js_sys::Date::now() / 1000.0).floor() as i64));
    }
    if let Some(n) = value.as_f64()
        && n.fract() == 0.0
        && n.abs() <= 9_007_199_254_740_991.0
    {
        return Ok(Some(n as i64));
    }
    if value.is_bigint()
        && let Ok(n) = i64::try_from(value)
    {
        return Ok(Some(n));
    }
    Err(type_error("now must be an integer number of Unix seconds"))
}

fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `{ method, target, headers, body }`, or `undefined`.
pub fn request(value: JsValue) -> Result<Option<Request>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let text = |name: &str| field(&value, name).as_string().ok_or_else(|| type_error(&format!("request.{name} must be a string")));
    Ok(Some(Request {
        method: text("method")?,
        target: text("target")?,
        headers: headers(field(&value, "headers"))?,
        body: body(field(&value, "body"), "request.body")?,
    }))
}

/// `{ status, headers, body }`.
pub fn response(value: JsValue) -> Result<Response, JsValue> {
    let status = field(&value, "status").as_f64().filter(|s| s.fract() == 0.0 && (0.0..=65535.0).contains(s));
    let status = status.ok_or_else(|| type_error("response.status must be an integer"))? as u16;
    Ok(Response { status, headers: headers(field(&value, "headers"))?, body: body(field(&value, "body"), "response.body")? })
}

/// `{ headers: [[name, value], …], stringToSign: Uint8Array, url? }`.
pub fn signed(result: &SignedRequest) -> Result<JsValue, JsValue> {
    let out = js_sys::Object::new();
    let headers: js_sys::Array =
        result.headers.iter().map(|h| js_sys::Array::of2(&h.name.clone().into(), &h.value.clone().into())).collect();
    js_sys::Reflect::set(&out, &"headers".into(), &headers)?;
    js_sys::Reflect::set(&out, &"stringToSign".into(), &js_sys::Uint8Array::from(result.string_to_sign.as_slice()))?;
    if let Some(url) = &result.url {
        js_sys::Reflect::set(&out, &"url".into(), &url.clone().into())?;
    }
    Ok(out.into())
}

/// Headers packed by `index.js` as `name\0value\0…`: `count` pairs. NUL cannot be in a
/// header (the core refuses it), so a count that does not match is a NUL inside one.
pub fn unpack_headers(packed: &str, count: u32) -> Result<Vec<Header>, HmacSigError> {
    if count == 0 {
        return Ok(vec![]);
    }
    let fields: Vec<&str> = packed.split('\0').collect();
    if fields.len() != 2 * count as usize {
        return Err(HmacSigError::InvalidRequest { reason: "a header name or value contains NUL".into() });
    }
    Ok(fields.chunks_exact(2).map(|pair| Header::new(pair[0], pair[1])).collect())
}

/// A signed result as one string for `index.js`: `url\0count\0name\0value\0…\0` then
/// `t` and the string to sign as text, or `b` and its base64 when it is not UTF-8. URLs
/// and headers hold no NUL (the core refuses them); the string to sign, last, may.
pub fn pack_signed(result: &SignedRequest) -> String {
    let mut out = String::with_capacity(
        64 + result.string_to_sign.len() + result.headers.iter().map(|h| h.name.len() + h.value.len() + 2).sum::<usize>(),
    );
    out.push_str(result.url.as_deref().unwrap_or(""));
    out.push('\0');
    out.push_str(&result.headers.len().to_string());
    out.push('\0');
    for header in &result.headers {
        out.push_str(&header.name);
        out.push('\0');
        out.push_str(&header.value);
        out.push('\0');
    }
    match std::str::from_utf8(&result.string_to_sign) {
        Ok(text) => {
            out.push('t');
            out.push_str(text);
        }
        Err(_) => {
            out.push('b');
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(&result.string_to_sign));
        }
    }
    out
}
