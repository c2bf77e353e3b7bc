"""Bodies hashed chunk by chunk, in constant memory: ``BodyHasher``, ``hash_body``."""

from __future__ import annotations

import io
from typing import Iterable, Optional, Protocol, Union

from . import _ffi
from ._ffi import BodyDigest, ContentDigest
from ._objects import BytesLike, Closeable

__all__ = ["DEFAULT_CHUNK_SIZE", "BinaryReader", "BodyHasher", "StreamedBody", "hash_body"]

DEFAULT_CHUNK_SIZE = 1 << 20
"""How many bytes ``hash_body`` and ``Signer.sign_stream`` read from a file at a time: enough
that the call into Rust per chunk costs nothing next to hashing it, little enough to keep memory
flat."""

# The generated zero-copy `&[u8]` argument (BodyHasher.update) passes its length as a 32-bit
# signed int, which ctypes wraps silently: a longer `bytes` would hash other bytes than given.
_FFI_MAX_BYTES = (1 << 31) - 1
# How much BodyHasher.update copies at a time from a chunk it cannot pass as it is.
_COPY_PIECE = 1 << 20


class BinaryReader(Protocol):
    """A binary file object as ``hash_body`` reads it: ``open(path, "rb")``, ``io.BytesIO``, ..."""

    def read(self, size: int, /) -> bytes: ...


StreamedBody = Union[BinaryReader, Iterable[BytesLike], BytesLike]
"""A body read once to be hashed: a binary file object, an iterable of bytes-like chunks, or
bytes-like (one chunk)."""


def _chunk_type_error(chunk: object) -> TypeError:
    if isinstance(chunk, str) or isinstance(chunk, io.TextIOBase):
        return TypeError("a streamed body must be bytes, not text: open the file in binary mode ('rb') or encode the text")
    return TypeError(f"a body chunk must be bytes, bytearray or memoryview, not {type(chunk).__name__}")


class BodyHasher(Closeable[_ffi.BodyHasher]):
    """Hashes a body chunk by chunk, in constant memory, for ``Signer.sign_with_body_digest``:
    ``update(chunk)`` with each chunk in order, then ``finish()`` once for the ``BodyDigest``
    (``algorithm``, the raw ``digest``, the ``length`` in bytes).

    ``algorithm``: ``None`` means ``ContentDigest.SHA256``, what api-auth and aws-sigv4 need; an
    rfc9421 scheme needs the one its ``content_digest`` names. Once finished, the hasher is spent:
    ``update`` and ``finish`` raise ``HmacSigError.InvalidRequest``. Like ``Signer``, a context
    manager whose ``close()`` frees the Rust object.
    """

    __slots__ = ()

    def __init__(self, algorithm: Optional[ContentDigest] = None) -> None:
        if algorithm is not None and not isinstance(algorithm, ContentDigest):
            raise TypeError(f"algorithm must be a ContentDigest or None, not {type(algorithm).__name__}")
        self._inner = _ffi.BodyHasher(algorithm)

    def update(self, chunk: BytesLike) -> None:
        """Hashes the next chunk (an empty one is fine). Rust reads a ``bytes`` chunk in place;
        a ``bytearray`` or ``memoryview`` is copied, a megabyte at a time."""
        inner = self._live()
        if isinstance(chunk, bytes) and len(chunk) <= _FFI_MAX_BYTES:
            inner.update(chunk)
            return
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise _chunk_type_error(chunk)
        view = memoryview(chunk)
        if not view.c_contiguous:
            view = memoryview(view.tobytes())
        view = view.cast("B")  # bytes, whatever the item format or shape
        for start in range(0, len(view), _COPY_PIECE):
            inner.update(view[start : start + _COPY_PIECE].tobytes())

    def finish(self) -> BodyDigest:
        """The digest and length of everything hashed. Call it once."""
        return self._live().finish()

    def __repr__(self) -> str:
        return "BodyHasher(<closed>)" if self._inner is None else "BodyHasher()"


def hash_body(
    body: StreamedBody, algorithm: Optional[ContentDigest] = None, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> BodyDigest:
    """The ``BodyDigest`` of a body, reading it once in constant memory.

    ``body`` is a binary file object (read ``chunk_size`` bytes at a time to its end; a seekable
    one is then put back where it was, ready to be sent), an iterable of bytes-like chunks (a
    generator is used up: make another to send the body) or bytes-like. ``algorithm`` is as
    ``BodyHasher`` takes it.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
        raise ValueError(f"chunk_size must be a positive int, not {chunk_size!r}")
    with BodyHasher(algorithm) as hasher:
        if isinstance(body, (bytes, bytearray, memoryview)):
            hasher.update(body)
        elif isinstance(body, (str, io.TextIOBase)):
            raise _chunk_type_error(body)
        elif callable(getattr(body, "read", None)):
            _hash_file(hasher, body, chunk_size)  # type: ignore[arg-type]
        elif isinstance(body, Iterable):
            for chunk in body:
                hasher.update(chunk)
        else:
            raise TypeError(
                "a streamed body must be a binary file, an iterable of bytes-like chunks or bytes-like, "
                f"not {type(body).__name__}"
            )
        return hasher.finish()


def _hash_file(hasher: BodyHasher, file: BinaryReader, chunk_size: int) -> None:
    start = _position(file)
    try:
        while True:
            chunk = file.read(chunk_size)
            if chunk is None:  # a non-blocking raw stream with nothing ready
                raise ValueError("the file had no data ready (non-blocking); pass a blocking binary file")
            if not chunk:
                return
            hasher.update(chunk)
    finally:
        if start is not None:
            file.seek(start)  # type: ignore[attr-defined]


def _position(file: object) -> Optional[int]:
    """Where a seekable file is, to put it back there after hashing; ``None`` if it cannot seek."""
    try:
        if getattr(file, "seekable")():
            position: int = getattr(file, "tell")()
            return position
    except (AttributeError, OSError, ValueError):
        pass
    return None
