"""What the public classes share: conversions of user input, and the deterministic close of a
generated object."""

from __future__ import annotations

from typing import Any, Generic, Iterable, Mapping, Optional, Tuple, TypeVar, Union

from ._ffi import Header

__all__ = [
    "BytesLike",
    "Closeable",
    "HeaderLike",
    "Headers",
    "Secret",
    "as_bytes",
    "as_secret",
    "header_pairs",
    "plain_headers",
]

BytesLike = Union[bytes, bytearray, memoryview]
"""What a secret or a body may be given as (``str`` too: its UTF-8 bytes)."""

Secret = Union[BytesLike, str]
"""A secret: bytes-like, or ``str`` meaning its UTF-8 bytes."""

HeaderLike = Union[Header, Tuple[str, str]]
Headers = Union[Mapping[str, str], Iterable[HeaderLike]]
"""Headers: a mapping, or ``(name, value)`` pairs / ``Header`` records in order."""


def as_bytes(value: Union[BytesLike, str, None], what: str) -> bytes:
    """``value`` as ``bytes`` (``None`` is empty; ``str`` is its UTF-8)."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, memoryview):
        return value.tobytes()  # also right for non-contiguous views
    raise TypeError(f"{what} must be bytes, bytearray, memoryview or str, not {type(value).__name__}")


def as_secret(value: Secret, what: str) -> bytes:
    """A secret as ``bytes``: unlike a body, never implicitly empty."""
    if value is None:
        raise TypeError(f"{what} must be bytes, bytearray, memoryview or str, not None")
    return as_bytes(value, what)


def header_pairs(headers: Optional[Headers]) -> list[Tuple[str, str]]:
    """``headers`` (a mapping, pairs or ``Header`` records) as checked ``(name, value)`` pairs."""
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for item in items:
        if isinstance(item, Header):
            out.append((item.name, item.value))
            continue
        try:
            name, value = item
        except (TypeError, ValueError):
            raise TypeError(f"a header must be a Header or a (name, value) pair, not {item!r}") from None
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"header names and values must be str, not {item!r}")
        out.append((name, value))
    return out


_PLAIN_HEADERS = (dict, list, tuple)


def plain_headers(headers: Optional[Headers]) -> Any:
    """``headers`` in a form that can be read twice: ``None``, a ``dict``, a list or a tuple as
    given (the cheap common case); anything else (another mapping, an iterator) as checked
    pairs, read once."""
    if headers is None or type(headers) in _PLAIN_HEADERS:
        return headers
    return header_pairs(headers)

_Inner = TypeVar("_Inner")
_Self = TypeVar("_Self", bound="Closeable[Any]")


class Closeable(Generic[_Inner]):
    """Holds a generated object; ``close()`` or leaving a ``with`` block frees its Rust side
    now, after which every call raises ``ValueError``."""

    __slots__ = ("_inner", "__weakref__")

    _inner: Optional[_Inner]

    def _live(self) -> _Inner:
        inner = self._inner
        if inner is None:
            raise self._closed_error()
        return inner

    def _closed_error(self) -> ValueError:
        return ValueError(f"this {type(self).__name__} is closed")

    @property
    def closed(self) -> bool:
        return self._inner is None

    def close(self) -> None:
        """Frees the Rust object now. Idempotent."""
        # The generated object frees its Rust side in __del__, which CPython runs as soon as
        # the last reference goes: this is that last reference.
        self._inner = None

    def __enter__(self: _Self) -> _Self:
        self._live()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
