"""The hot path under ``Signer.sign``: the core's plain C entry ``hmacsig_sign_packed_into``
(core/src/raw_abi.rs) called through ctypes, and the packed result layout (core/src/packed.rs).

The generated ``sign_packed`` spends most of its ~40 µs in UniFFI's own machinery (a
RustCallStatus, a ForeignBytes per argument, a cloned handle, a returned RustBuffer to lift and
free). The C entry takes integers and pointers and writes into a buffer we own; with fixed
``argtypes`` ctypes passes ``bytes`` by pointer, without a copy. It is not in the generated
bindings, so it is declared here, on the library the generated module already loaded.
"""

from __future__ import annotations

import ctypes
import mmap
import struct
from typing import Callable, List, Optional, Tuple, Union

from ._ffi import Header, InternalError, SignedRequest

SYSTEM_CLOCK = -(2**63)
"""``now`` meaning "the system clock" in the packed calls (hmacsig::packed::SYSTEM_CLOCK)."""


def _declare() -> Optional[Callable[..., int]]:
    try:
        from ._ffi.hmacsig import _UniffiLib

        # Indexing gives a function object of our own: the CDLL's cached attribute keeps its
        # default argument types for anyone else.
        entry = _UniffiLib["hmacsig_sign_packed_into"]
    except (ImportError, AttributeError):
        return None  # a library without the entry: Signer.sign takes the generated call
    u64, data = ctypes.c_uint64, ctypes.c_char_p
    entry.argtypes = (u64, data, u64, data, u64, data, u64, data, u64, ctypes.c_int64, ctypes.c_void_p, u64)
    entry.restype = ctypes.c_int64
    return entry  # type: ignore[no-any-return]


ENTRY = _declare()
"""The C entry, or ``None`` when the library lacks it (tests set it to ``None`` too)."""

# An output buffer: a writable view (which pins the memory: a bytearray or mapping with an
# exported view cannot be resized or closed), its address, its capacity.
_Out = Tuple[memoryview, int, int]

_FIRST_CAPACITY = 4096  # the small request's result is ~300 bytes (api-auth), ~500 (aws-sigv4)
_POOLED_CAPACITY = 1 << 16  # larger buffers are used once
_ROOM = 2048  # beyond the inputs' sizes: the signature headers and the string to sign's own text

# Buffers not in use. list.pop and list.append are atomic, so each buffer has one user at a time:
# concurrent threads (the entry runs without the GIL) and a signal handler that signs in the
# middle of a call each take their own. The list holds at most as many as ever signed at once.
_free: List[_Out] = []


def _buffer(size: int) -> _Out:
    if size <= _POOLED_CAPACITY:
        capacity = max(_FIRST_CAPACITY, 1 << (size - 1).bit_length())
        data: Union[bytearray, mmap.mmap] = bytearray(capacity)
    else:
        # Sized for a large body that may come back in the string to sign: an anonymous mapping
        # costs memory only for the pages written, so it is cheap when the body does not.
        capacity = size
        data = mmap.mmap(-1, capacity)
    view = memoryview(data)
    return view, ctypes.addressof(ctypes.c_char.from_buffer(view)), capacity


def sign(address: int, method: bytes, target: bytes, headers: bytes, body: bytes, now: int) -> Optional[SignedRequest]:
    """``Signer::sign_packed`` through the C entry, for the live signer at ``address`` (the
    caller holds it). ``None`` when signing failed: the generated call then gives the typed
    error."""
    entry = ENTRY
    if entry is None:
        return None
    lm, lt, lh, lb = len(method), len(target), len(headers), len(body)
    # path-body-hex and timestamped return the body in the string to sign: a buffer with room
    # for it signs a large body once instead of twice (first to learn the size).
    need = lb + lt + lh + _ROOM
    try:
        out = _free.pop()
    except IndexError:
        out = _buffer(need)
    if out[2] < need:
        out = _buffer(need)
    view, pointer, capacity = out
    n: int = entry(address, method, lm, target, lt, headers, lh, body, lb, now, pointer, capacity)
    while n > capacity:  # nothing written; the result needs n bytes
        view, pointer, capacity = out = _buffer(n)
        n = entry(address, method, lm, target, lt, headers, lh, body, lb, now, pointer, capacity)
    result = view[:n].tobytes() if n >= 0 else None
    if capacity <= _POOLED_CAPACITY:
        _free.append(out)
    return None if result is None else unpack_signed(result)


_u32 = struct.Struct("<I").unpack_from
_new = object.__new__


def unpack_signed(buf: bytes) -> SignedRequest:
    """The ``SignedRequest`` in ``buf``, in the layout of core/src/packed.rs: ``u32 count``, per
    header ``u32 len, name, u32 len, value``, ``u32 url_len + 1`` (0 = no URL) and the URL, then
    the string to sign."""
    # The generated records' __init__ only assigns their fields: assigning them here, in the
    # same order, gives equal objects without a Python call per record.
    (count,) = _u32(buf, 0)
    pos = 4
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
        raise InternalError(f"a packed signed request of {len(buf)} bytes ends at {pos}")
    signed = _new(SignedRequest)
    signed.headers = headers
    signed.string_to_sign = buf[pos:]
    signed.url = url
    return signed
