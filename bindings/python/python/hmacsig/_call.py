"""The one call path into the core: every sign, verify and key id read goes through the C entry
``hmacsig_call`` (docs/ffi.md, docs/adr/0007-one-call-path.md), reached through the core's own
CPython entry, ``hmacsig._ffi._native``, in the library the generated module already loaded
(docs/adr/0014-python-native-entry.md).

UniFFI still builds the objects; a generated method call would cost tens of microseconds in
UniFFI's own machinery (a buffer per argument, a cloned handle, a returned buffer to free), and a
ctypes call to the entry more than the core's whole verify in converting its arguments. The
native entry reads ``bytes`` in place and answers with one object: the key id as a ``str``,
any other result (a signed request, or a typed error) as its encoded ``bytes``, or a negative
``int`` (a closed object, a malformed call).

Lifetime, the one rule: the core names objects by ids from ``object_id`` (got once per object,
from a cloned UniFFI handle), never by address. Its table holds weak references, so a call keeps
its object alive while it runs, and an id whose object is gone answers ``CLOSED``: the caller
raises ``ValueError`` ("this Signer is closed").
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import platform
import struct
from itertools import chain
from typing import Any, List, NoReturn, Optional, Sequence, Tuple

from ._errors import HmacSigError
from ._ffi import Header, InternalError, SignedRequest
from ._objects import header_pairs
from ._ffi.hmacsig import _UniffiLib

__all__ = [
    "OP_KEY_ID",
    "OP_RESPONSE_KEY_ID",
    "OP_SIGN",
    "OP_SIGN_RESPONSE",
    "OP_VERIFY",
    "OP_VERIFY_RESPONSE",
    "call",
    "clock",
    "decode",
    "object_id",
    "request_text",
    "response_text",
    "verify_received",
]

OP_SIGN = 1
OP_SIGN_RESPONSE = 2
OP_VERIFY = 3
OP_VERIFY_RESPONSE = 4
OP_KEY_ID = 5
OP_RESPONSE_KEY_ID = 6

_CLOSED = -1
_BAD_CALL = -2
SYSTEM_CLOCK = -(2**63)
"""``now`` meaning "the system clock"."""

_u64 = ctypes.c_uint64


def _declare(name: str, argtypes: Tuple[Any, ...], restype: Any) -> Any:
    # Indexing gives a function object of our own: the CDLL's cached attribute keeps its default
    # argument types for anyone else.
    entry = _UniffiLib[name]
    entry.argtypes = argtypes
    entry.restype = restype
    return entry


_ids = {
    "Signer": _declare("hmacsig_signer_id", (_u64,), _u64),
    "Verifier": _declare("hmacsig_verifier_id", (_u64,), _u64),
}


def _load_native() -> Any:
    # The same file, opened again by the import machinery, is the same library: ids stay valid.
    loader = importlib.machinery.ExtensionFileLoader("hmacsig._ffi._native", _UniffiLib._name)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    try:
        return importlib.util.module_from_spec(spec)
    except (ImportError, SystemError) as e:
        # The entry looks up CPython's own functions; another interpreter has none of them.
        raise ImportError(f"hmacsig needs CPython 3.9 or later ({platform.python_implementation()} cannot load its core's entry: {e})") from None


_native = _load_native()
_call = _native.call
_verify_received = _native.verify_received

# The native entry's codes for an argument of the wrong type (core/src/ffi/python.rs).
_METHOD_NOT_TEXT, _HEADERS_NOT_PAIRS, _NOT_BYTES = -10, -11, -12


def object_id(inner: Any) -> int:
    """The core's id for a generated ``Signer`` or ``Verifier``."""
    ident: int = _ids[type(inner).__name__](inner._uniffi_clone_handle())
    if not ident:
        raise InternalError(f"the core gave no id for this {type(inner).__name__}")
    return ident


# --- In: the message text ------------------------------------------------------------------

def _text(first: str, second: Optional[str], headers: Any) -> Tuple[bytes, int]:
    """The UTF-8 text of ``first[, second], name, value, …`` and its field count. ``headers`` is
    ``None``, a ``dict`` or a re-readable sequence (``plain_headers``); the common case, ``str``
    pairs, takes one comprehension and one join, and anything else (``Header`` records, or an
    error to name) goes through ``header_pairs``."""
    lead = [first] if second is None else [first, second]
    items: Any = headers.items() if type(headers) is dict else (headers or ())
    try:
        fields = [*lead, *(field for name, value in items for field in (name, value))]
        text = "\0".join(fields)
    except (TypeError, ValueError):
        fields = [*lead, *(field for pair in header_pairs(headers) for field in pair)]
        text = "\0".join(fields)
    try:
        return text.encode(), len(fields)
    except UnicodeEncodeError:
        raise HmacSigError.InvalidRequest("the method, target or headers are not valid UTF-8") from None


def _text_of(what: str, value: object) -> str:
    if type(value) is not str:
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    return value


def request_text(method: object, target: object, headers: Any) -> Tuple[bytes, int]:
    """A request as the entry takes it: the text and its field count."""
    return _text(_text_of("method", method), _text_of("target", target), headers)


def received_request_text(method: str, target: bytes, headers: Sequence[Tuple[bytes, bytes]]) -> Tuple[bytes, int]:
    """A request as an ASGI server received it (the target and the header names and values as
    bytes) as the entry takes it. Each byte reads as its latin-1 character, as WSGI and the
    ``str`` path do; ASCII, the usual case, is its own UTF-8 and goes as it is, in one join
    (no text per header: a server pays for every step here on every request)."""
    if type(headers) is not list:
        headers = list(headers)
    try:
        lead = (method.encode(), target)
    except (AttributeError, UnicodeEncodeError):
        raise HmacSigError.InvalidRequest("the method is not valid UTF-8 text") from None
    try:
        fields = (*lead, *chain.from_iterable(headers))
        received = b"\0".join(fields)
    except TypeError:
        raise TypeError("ASGI headers must be (bytes, bytes) pairs") from None
    if len(fields) != 2 + 2 * len(headers):
        raise TypeError("ASGI headers must be (bytes, bytes) pairs")
    if not received.isascii():
        received = received.decode("latin-1").encode()
    return received, len(fields)


def response_text(status: object, headers: Any, request: Optional[Tuple[object, object, Any]]) -> Tuple[bytes, int]:
    """A response (and the request it answers, if any) as the entry takes it: the text and
    ``counts`` (the request's field count in the high 32 bits)."""
    if isinstance(status, bool) or not isinstance(status, int):
        raise TypeError(f"a status must be an int, not {type(status).__name__}")
    text, counts = _text(str(status), None, headers)
    if request is not None:
        request_bytes, request_counts = request_text(*request)
        text += b"\0" + request_bytes
        counts |= request_counts << 32
    return text, counts


def clock(now: Optional[int]) -> int:
    """``now`` as the entry takes it."""
    if now is None:
        return SYSTEM_CLOCK
    if type(now) is int and SYSTEM_CLOCK < now < 2**63:
        return now
    if isinstance(now, bool) or not isinstance(now, int):
        raise TypeError(f"now must be an int (Unix seconds) or None, not {type(now).__name__}")
    raise HmacSigError.InvalidRequest(f"now ({now}) is outside the range of a 64-bit Unix time")


# --- The call ------------------------------------------------------------------------------


def call(op: int, ident: int, counts: int, text: bytes, body: bytes, secret: Optional[bytes], now: int, owner: str) -> Any:
    """One op: a ``SignedRequest`` or a key id, or its typed ``HmacSigError`` raised. ``owner``
    names the object for the error a closed one raises."""
    answer = _call(op, ident, counts, text, body, secret, now)
    if type(answer) is str:
        return answer
    if type(answer) is bytes:
        return decode(answer)
    _refused(answer, owner)


def verify_received(ident: int, method: str, target: bytes, headers: List[Tuple[bytes, bytes]], body: bytes) -> str:
    """Verifies a request in the form an ASGI server gives it (``received_request_text``'s
    input, ``headers`` a list), in one call: the core builds the text. The verified key id, or
    the typed error raised."""
    answer = _verify_received(ident, method, target, headers, body)
    if type(answer) is str:
        return answer
    if type(answer) is bytes:
        key_id: str = decode(answer)  # raises the typed error it holds
        return key_id
    _refused(answer, "Verifier")


def _refused(code: int, owner: str) -> NoReturn:
    if code == _CLOSED:
        raise ValueError(f"this {owner} is closed")
    if code == _METHOD_NOT_TEXT:
        raise HmacSigError.InvalidRequest("the method is not valid UTF-8 text")
    if code == _HEADERS_NOT_PAIRS:
        raise TypeError("ASGI headers must be (bytes, bytes) pairs")
    if code == _NOT_BYTES:
        raise TypeError("the text, target, body and secret must be bytes")
    raise InternalError(f"the core refused a malformed call ({code}): a bug in hmacsig")


def decode(result: bytes) -> Any:
    """A result: a ``SignedRequest`` or a key id, or its typed error raised."""
    tag = result[0]
    if tag == 0:
        return _signed(result)
    if tag == 1:
        return result[1:].decode()
    raise _error(result)


# --- Out: results --------------------------------------------------------------------------

_u32 = struct.Struct("<I").unpack_from
_new = object.__new__


def _signed(buf: bytes) -> SignedRequest:
    """The ``SignedRequest`` after the tag byte: ``u32 count``, per header ``u32 len, name, u32
    len, value``, ``u32 url_len + 1`` (0 = no URL) and the URL, then the string to sign."""
    # The generated records' __init__ only assigns their fields: assigning them here, in the
    # same order, gives equal objects without a Python call per record.
    (count,) = _u32(buf, 1)
    pos = 5
    headers = []
    for _ in range(count):
        start = pos + 4
        pos = start + _u32(buf, pos)[0]
        header = _new(Header)
        header.name = buf[start:pos].decode()
        start = pos + 4
        pos = start + _u32(buf, pos)[0]
        header.value = buf[start:pos].decode()
        headers.append(header)
    (size,) = _u32(buf, pos)
    pos += 4
    url = None
    if size:
        url = buf[pos : pos + size - 1].decode()
        pos += size - 1
    if pos > len(buf):
        raise InternalError(f"a signed result of {len(buf)} bytes ends at {pos}")
    signed = _new(SignedRequest)
    signed.headers = headers
    signed.string_to_sign = buf[pos:]
    signed.url = url
    return signed


# The error classes by their code, in docs/ffi.md's order (tests/test_call.py checks it against
# tests/vectors/ffi/codec.json).
ERROR_CLASSES: Tuple[type, ...] = (
    HmacSigError.InvalidRequest,
    HmacSigError.MissingAuthorization,
    HmacSigError.MalformedAuthorization,
    HmacSigError.UnknownKey,
    HmacSigError.BadSignature,
    HmacSigError.Stale,
    HmacSigError.Future,
    HmacSigError.BodyMismatch,
    HmacSigError.DigestNotAllowed,
    HmacSigError.MissingSignedHeader,
    HmacSigError.Replayed,
    HmacSigError.Unsupported,
    HmacSigError.KeyLookupFailed,
)


def _error(buf: bytes) -> BaseException:
    """The typed error after the tag byte: ``u8 code``, ``u32 count``, every field but the last
    as ``u32 len, bytes``, the last as the rest."""
    code = buf[1]
    (count,) = _u32(buf, 2)
    pos = 6
    fields = []
    for _ in range(count - 1):
        start = pos + 4
        pos = start + _u32(buf, pos)[0]
        fields.append(buf[start:pos].decode())
    fields.append(buf[pos:].decode())
    if code >= len(ERROR_CLASSES):
        return InternalError(f"the core sent an error of unknown code {code}: {fields[0]}")
    error: BaseException = ERROR_CLASSES[code](*fields)
    return error
