//! `hmacsig._ffi._native`: the Python layer's way into the core, a CPython
//! extension entry in the same library (docs/adr/0014-python-native-entry.md).
//!
//! - `call(op, object, counts, text, body, secret, now)` is [`super::hmacsig_call`]
//!   with Python objects (the same `Call::answer` underneath): `bytes` read in
//!   place, the result returned as one object.
//! - `verify_received(object, method, target, headers, body)` is the same
//!   call, [`super::OP_VERIFY`], for the request form an ASGI server gives on
//!   every request: the method a `str`, the target `bytes`, the headers a
//!   `list` of `(bytes, bytes)` pairs. It builds the text the Python layer
//!   would (each byte as its latin-1 character, fields NUL-separated, as
//!   `received_request_text` does), here, without a Python object per field.
//!
//! Either answers the key id as a `str`, any other result (a signed request,
//! or a typed error for the layer to raise) as the encoded `bytes` of
//! docs/ffi.md, or a negative `int`: [`super::CLOSED`], [`super::BAD_CALL`], or a
//! code for an argument of the wrong type. Through ctypes, converting the
//! arguments and building the text in Python cost more than the core's whole
//! verify.
//!
//! The CPython functions are looked up with `dlsym` in the running
//! interpreter when Python imports the module: the library links to no
//! libpython, and loads anywhere. Only the wheel has this entry (feature
//! `python`).

use std::cell::RefCell;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use super::codec::Counts;
use super::{BAD_CALL, Call, OP_VERIFY, SYSTEM_CLOCK};

/// A CPython object, never looked into.
type Object = c_void;
type FastCall = unsafe extern "C" fn(*mut Object, *const *mut Object, isize) -> *mut Object;

/// Answers for an argument of the wrong type, in place of a raised exception:
/// the layer raises its own.
const METHOD_NOT_TEXT: i64 = -10;
const HEADERS_NOT_PAIRS: i64 = -11;
const NOT_BYTES: i64 = -12;

/// Buffers past this size are let go after a call (a large body's result).
const KEPT_CAPACITY: usize = 1 << 16;
/// Room in the result beyond the inputs' sizes, as the Python layer gives.
const ROOM: usize = 2048;

// CPython's stable layouts (Include/moduleobject.h, methodobject.h).
#[repr(C)]
struct ModuleDefBase {
    refcnt: isize,
    ty: *mut c_void,
    init: *const c_void,
    index: isize,
    copy: *mut Object,
}

#[repr(C)]
struct MethodDef {
    name: *const c_char,
    meth: Option<FastCall>,
    flags: c_int,
    doc: *const c_char,
}

#[repr(C)]
struct ModuleDef {
    base: ModuleDefBase,
    name: *const c_char,
    doc: *const c_char,
    size: isize,
    methods: *mut MethodDef,
    slots: *mut c_void,
    traverse: *const c_void,
    clear: *const c_void,
    free: *const c_void,
}

const METH_FASTCALL: c_int = 0x80;
/// `PYTHON_ABI_VERSION`: the stable ABI's, which every CPython 3 accepts without a warning.
const ABI_VERSION: c_int = 3;

static mut METHODS: [MethodDef; 3] = [
    MethodDef {
        name: c"call".as_ptr(),
        meth: Some(call),
        flags: METH_FASTCALL,
        doc: c"call(op, object, counts, text, body, secret, now): hmacsig_call's result (docs/ffi.md)".as_ptr(),
    },
    MethodDef {
        name: c"verify_received".as_ptr(),
        meth: Some(verify_received),
        flags: METH_FASTCALL,
        doc: c"verify_received(verifier_id, method, target, headers, body): the key id (str), the core's encoded error (bytes), or a negative code (int)".as_ptr(),
    },
    MethodDef { name: null(), meth: None, flags: 0, doc: null() },
];

static mut MODULE: ModuleDef = ModuleDef {
    base: ModuleDefBase { refcnt: 1, ty: null_mut(), init: null(), index: 0, copy: null_mut() },
    name: c"hmacsig._ffi._native".as_ptr(),
    doc: c"hmacsig's entry for the Python layer (core/src/ffi/python.rs)".as_ptr(),
    size: -1,
    methods: &raw mut METHODS as *mut MethodDef,
    slots: null_mut(),
    traverse: null(),
    clear: null(),
    free: null(),
};

/// The CPython functions the entry uses, from the running interpreter.
struct Api {
    module_create: unsafe extern "C" fn(*mut ModuleDef, c_int) -> *mut Object,
    bytes_as: unsafe extern "C" fn(*mut Object, *mut *mut c_char, *mut isize) -> c_int,
    bytes_from: unsafe extern "C" fn(*const c_char, isize) -> *mut Object,
    str_from: unsafe extern "C" fn(*const c_char, isize) -> *mut Object,
    str_as_utf8: unsafe extern "C" fn(*mut Object, *mut isize) -> *const c_char,
    int_as_u64: unsafe extern "C" fn(*mut Object) -> u64,
    int_as_i64: unsafe extern "C" fn(*mut Object) -> i64,
    none: *mut Object,
    int_from: unsafe extern "C" fn(i64) -> *mut Object,
    list_size: unsafe extern "C" fn(*mut Object) -> isize,
    list_item: unsafe extern "C" fn(*mut Object, isize) -> *mut Object,
    sequence_size: unsafe extern "C" fn(*mut Object) -> isize,
    sequence_item: unsafe extern "C" fn(*mut Object, isize) -> *mut Object,
    dec_ref: unsafe extern "C" fn(*mut Object),
    error_occurred: unsafe extern "C" fn() -> *mut Object,
    error_clear: unsafe extern "C" fn(),
    save_thread: unsafe extern "C" fn() -> *mut c_void,
    restore_thread: unsafe extern "C" fn(*mut c_void),
}

// SAFETY: function addresses and the address of None, used with the GIL held.
unsafe impl Send for Api {}
unsafe impl Sync for Api {}

static API: OnceLock<Api> = OnceLock::new();

unsafe extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

#[cfg(target_vendor = "apple")]
const RTLD_DEFAULT: *mut c_void = -2isize as *mut c_void;
#[cfg(not(target_vendor = "apple"))]
const RTLD_DEFAULT: *mut c_void = null_mut();

/// A function of the running interpreter, or `None` outside CPython.
fn symbol(name: &CStr) -> Option<*mut c_void> {
    // SAFETY: dlsym with a NUL-terminated name; the default search scope.
    let found = unsafe { dlsym(RTLD_DEFAULT, name.as_ptr()) };
    (!found.is_null()).then_some(found)
}

macro_rules! resolve {
    ($($field:ident = $name:literal),* $(,)?) => {
        Some(Api {
            // SAFETY: each symbol is the CPython function of that name, whose
            // signature (the stable ABI's) is the field's type.
            $($field: unsafe { std::mem::transmute::<*mut c_void, _>(symbol($name)?) },)*
        })
    };
}

impl Api {
    #[allow(clippy::missing_transmute_annotations, clippy::useless_transmute)] // each field's type is the annotation; None is data
    fn resolve() -> Option<Api> {
        resolve!(
            module_create = c"PyModule_Create2",
            bytes_as = c"PyBytes_AsStringAndSize",
            bytes_from = c"PyBytes_FromStringAndSize",
            str_from = c"PyUnicode_FromStringAndSize",
            str_as_utf8 = c"PyUnicode_AsUTF8AndSize",
            int_as_u64 = c"PyLong_AsUnsignedLongLong",
            int_as_i64 = c"PyLong_AsLongLong",
            none = c"_Py_NoneStruct",
            int_from = c"PyLong_FromLongLong",
            list_size = c"PyList_Size",
            list_item = c"PyList_GetItem",
            sequence_size = c"PySequence_Size",
            sequence_item = c"PySequence_GetItem",
            dec_ref = c"Py_DecRef",
            error_occurred = c"PyErr_Occurred",
            error_clear = c"PyErr_Clear",
            save_thread = c"PyEval_SaveThread",
            restore_thread = c"PyEval_RestoreThread",
        )
    }

    /// The bytes of a `bytes` object (borrowed from it), or `None` with no error left set.
    ///
    /// # Safety
    /// The GIL is held, `object` is alive, and outlives the slice.
    unsafe fn bytes<'a>(&self, object: *mut Object) -> Option<&'a [u8]> {
        let (mut data, mut len) = (null_mut(), 0);
        // SAFETY: the caller's contract.
        if unsafe { (self.bytes_as)(object, &mut data, &mut len) } != 0 {
            unsafe { (self.error_clear)() };
            return None;
        }
        // SAFETY: CPython gave a buffer of `len` bytes, alive with the object.
        Some(unsafe { std::slice::from_raw_parts(data as *const u8, len as usize) })
    }

    /// An `int` argument as a `u64` / `i64`, or `None` with no error left set.
    ///
    /// # Safety
    /// The GIL is held, and `object` is alive.
    unsafe fn u64(&self, object: *mut Object) -> Option<u64> {
        let n = unsafe { (self.int_as_u64)(object) };
        unsafe { self.checked(n == u64::MAX, n) }
    }

    unsafe fn i64(&self, object: *mut Object) -> Option<i64> {
        let n = unsafe { (self.int_as_i64)(object) };
        unsafe { self.checked(n == -1, n) }
    }

    /// `value`, unless `suspect` and CPython raised (the error cleared).
    unsafe fn checked<T>(&self, suspect: bool, value: T) -> Option<T> {
        if suspect && !unsafe { (self.error_occurred)() }.is_null() {
            unsafe { (self.error_clear)() };
            return None;
        }
        Some(value)
    }

    /// A new `int`.
    fn int(&self, n: i64) -> *mut Object {
        // SAFETY: the GIL is held by the entry's caller.
        unsafe { (self.int_from)(n) }
    }
}

/// The module, when Python imports `hmacsig._ffi._native` from this library.
///
/// # Safety
/// Called by CPython's import machinery, with the GIL held.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInit__native() -> *mut Object {
    let Some(api) = API.get().or_else(|| Api::resolve().map(|api| API.get_or_init(|| api))) else {
        return null_mut(); // not a CPython: the import fails
    };
    // SAFETY: the definition is static, and CPython takes it once per import.
    unsafe { (api.module_create)(&raw mut MODULE, ABI_VERSION) }
}

thread_local! {
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `bytes` as the entry's text takes it: each byte its latin-1 character, in UTF-8.
fn push_latin1(text: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.is_ascii() {
        return text.extend_from_slice(bytes);
    }
    for &b in bytes {
        if b < 0x80 {
            text.push(b);
        } else {
            text.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
        }
    }
}

/// `call(op, object, counts, text, body, secret, now)`.
unsafe extern "C" fn call(_module: *mut Object, args: *const *mut Object, nargs: isize) -> *mut Object {
    let api = API.get().expect("the module exists only once the API is resolved");
    if nargs != 7 {
        return api.int(BAD_CALL);
    }
    // SAFETY: CPython passes `nargs` live arguments, and holds the GIL.
    let args = unsafe { std::slice::from_raw_parts(args, 7) };
    // SAFETY: live arguments, the GIL held.
    let ints = unsafe { (api.u64(args[0]), api.u64(args[1]), api.u64(args[2]), api.i64(args[6])) };
    let (Some(op), Some(object), Some(counts), Some(now)) = ints else {
        return api.int(BAD_CALL);
    };
    let Ok(op) = u32::try_from(op) else { return api.int(BAD_CALL) };
    // SAFETY: the objects are alive for the call; bytes are immutable.
    let (Some(text), Some(body)) = (unsafe { api.bytes(args[3]) }, unsafe { api.bytes(args[4]) }) else {
        return api.int(NOT_BYTES);
    };
    let secret = match args[5] == api.none {
        true => None,
        false => match unsafe { api.bytes(args[5]) } {
            Some(secret) => Some(secret),
            None => return api.int(NOT_BYTES),
        },
    };
    let now = (now != SYSTEM_CLOCK).then_some(now);
    with_out(|out| run(api, out, Call { op, object, counts: Counts::from_packed(counts), text, body, secret, now }))
}

/// `verify_received(object, method, target, headers, body)`.
unsafe extern "C" fn verify_received(_module: *mut Object, args: *const *mut Object, nargs: isize) -> *mut Object {
    let api = API.get().expect("the module exists only once the API is resolved");
    if nargs != 5 {
        return api.int(BAD_CALL);
    }
    // SAFETY: CPython passes `nargs` live arguments, and holds the GIL.
    let args = unsafe { std::slice::from_raw_parts(args, 5) };
    let Some(object) = (unsafe { api.u64(args[0]) }) else { return api.int(BAD_CALL) };
    let mut method_len = 0;
    let method = unsafe { (api.str_as_utf8)(args[1], &mut method_len) };
    if method.is_null() {
        unsafe { (api.error_clear)() };
        return api.int(METHOD_NOT_TEXT);
    }
    // SAFETY: UTF-8 kept by the str object, which the call holds.
    let method = unsafe { std::slice::from_raw_parts(method as *const u8, method_len as usize) };
    let (Some(target), Some(body)) = (unsafe { api.bytes(args[2]) }, unsafe { api.bytes(args[4]) }) else {
        return api.int(NOT_BYTES);
    };
    // A header pair may be any sequence, whose `__getitem__` may call in again on this thread
    // while the kept text is in use: that call takes a text of its own.
    TEXT.with(|kept| match kept.try_borrow_mut() {
        Ok(mut text) => verify_text(api, &mut text, args[3], object, method, target, body),
        Err(_) => verify_text(api, &mut Vec::new(), args[3], object, method, target, body),
    })
}

/// `verify_received`'s text built in `text`, then the call.
fn verify_text(api: &Api, text: &mut Vec<u8>, headers: *mut Object, object: u64, method: &[u8], target: &[u8], body: &[u8]) -> *mut Object {
    text.clear();
    text.extend_from_slice(method);
    text.push(0);
    push_latin1(text, target);
    // SAFETY: the GIL is held; the list and its items are alive for the call.
    let Some(pairs) = (unsafe { push_headers(api, text, headers) }) else {
        return api.int(HEADERS_NOT_PAIRS);
    };
    let call = Call { op: OP_VERIFY, object, counts: Counts::from_packed(2 + 2 * pairs as u64), text, body, secret: None, now: None };
    let answer = with_out(|out| run(api, out, call));
    if text.capacity() > KEPT_CAPACITY {
        *text = Vec::new();
    }
    answer
}

/// `f` on this thread's kept result buffer, or on a new one while that is in use.
fn with_out(f: impl FnOnce(&mut Vec<u8>) -> *mut Object) -> *mut Object {
    OUT.with(|kept| match kept.try_borrow_mut() {
        Ok(mut out) => f(&mut out),
        Err(_) => f(&mut Vec::new()),
    })
}

/// Appends `\0name\0value` per pair of the list `headers`; the number of pairs.
///
/// # Safety
/// The GIL is held, and `headers` is alive.
unsafe fn push_headers(api: &Api, text: &mut Vec<u8>, headers: *mut Object) -> Option<usize> {
    let count = unsafe { (api.list_size)(headers) };
    if count < 0 {
        unsafe { (api.error_clear)() };
        return None;
    }
    for i in 0..count {
        // SAFETY: a borrowed item of a live list, within its size.
        let pair = unsafe { (api.list_item)(headers, i) };
        if unsafe { (api.sequence_size)(pair) } != 2 {
            unsafe { (api.error_clear)() };
            return None;
        }
        for j in 0..2 {
            // SAFETY: a new reference, released below once its bytes are copied.
            let field = unsafe { (api.sequence_item)(pair, j) };
            if field.is_null() {
                unsafe { (api.error_clear)() };
                return None;
            }
            let bytes = unsafe { api.bytes(field) };
            if let Some(bytes) = bytes {
                text.push(0);
                push_latin1(text, bytes);
            }
            unsafe { (api.dec_ref)(field) };
            bytes?;
        }
    }
    Some(count as usize)
}

/// The call, without the GIL; its answer as a Python object.
fn run(api: &Api, out: &mut Vec<u8>, call: Call<'_>) -> *mut Object {
    // path-body-hex and timestamped return the body in the string to sign: room for a body up to
    // the kept size takes one call; a larger result is kept by the core, and fetched once sized.
    let body_room = if call.body.len() <= KEPT_CAPACITY { call.body.len() } else { 0 };
    let need = call.text.len() + body_room + ROOM;
    if out.len() < need {
        out.resize(need, 0);
    }
    // SAFETY: the GIL is released around a call that touches no Python object
    // (the inputs are immutable bytes the caller holds), and taken back.
    let state = unsafe { (api.save_thread)() };
    let mut n = call.answer(out);
    if n > out.len() as i64 {
        out.resize(n as usize, 0);
        // SAFETY: `out` is writable for its length.
        n = unsafe { super::hmacsig_call_result(out.as_mut_ptr(), out.len() as u64) };
    }
    unsafe { (api.restore_thread)(state) };
    let answer = match usize::try_from(n) {
        Err(_) => api.int(n),
        // SAFETY: the GIL is held again; the result is `n` bytes of `out`.
        Ok(n) if n > 0 && out[0] == 1 => unsafe { (api.str_from)(out[1..n].as_ptr() as *const c_char, (n - 1) as isize) },
        Ok(n) => unsafe { (api.bytes_from)(out.as_ptr() as *const c_char, n as isize) },
    };
    if out.len() > KEPT_CAPACITY {
        *out = Vec::new();
    }
    answer
}
