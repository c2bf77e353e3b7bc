"""The typed errors: the generated ``HmacSigError``, ``KeyLookupError`` and ``KeyStoreError``
classes, given a readable message, ``HmacSigError`` its conformance ``kind``, and all the public
module's name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

__all__ = ["HmacSigError", "KeyLookupError", "KeyStoreError"]

_PUBLIC_MODULE = "hmacsig"

if TYPE_CHECKING:
    # What type checkers see. The generated module builds these classes dynamically (a base
    # class with the variants attached afterwards), which checkers cannot follow.
    # tests/test_hmacsig.py and tests/test_verifier.py check that these lists match the generated
    # variants.

    class HmacSigError(Exception):
        """Why a request could not be signed, verified, or read; one subclass per kind."""

        kind: ClassVar[str]
        """The conformance kind, e.g. ``"bad_signature"``."""
        reason: str
        """The complete, human-readable message (also ``str(e)``)."""

        class InvalidRequest(HmacSigError): ...

        class MissingAuthorization(HmacSigError): ...

        class MalformedAuthorization(HmacSigError): ...

        class UnknownKey(HmacSigError):
            key_id: str

        class BadSignature(HmacSigError):
            string_to_sign: str
            """What the server MACed (lossy UTF-8), to compare with the client's."""

        class Stale(HmacSigError): ...

        class Future(HmacSigError): ...

        class BodyMismatch(HmacSigError): ...

        class DigestNotAllowed(HmacSigError): ...

        class MissingSignedHeader(HmacSigError): ...

        class Replayed(HmacSigError): ...

        class Unsupported(HmacSigError): ...

        class KeyLookupFailed(HmacSigError):
            """The server's key lookup failed (its fault, not the client's): HTTP 503."""

    class KeyLookupError(Exception):
        """What a ``KeyLookup`` raises when it cannot answer (e.g. its database is down)."""

        reason: str
        """Why (also ``str(e)``)."""

        class Failed(KeyLookupError):
            def __init__(self, reason: str) -> None: ...

    class KeyStoreError(Exception):
        """Why a key store operation failed; one subclass per cause."""

        reason: str
        """Why (also ``str(e)``)."""

        class MasterKey(KeyStoreError):
            """The master key is missing, malformed, or not the store's."""

        class Storage(KeyStoreError):
            """The database failed or cannot be reached."""

        class NotFound(KeyStoreError):
            """No such key id (or version)."""

        class AlreadyExists(KeyStoreError):
            """``create`` of a key id the store already has."""

        class InvalidInput(KeyStoreError):
            """A store URL, key id or argument that cannot be used."""

else:
    from ._ffi import HmacSigError, KeyLookupError, KeyStoreError

# The generated exceptions pass a field dump (`reason='...'`) to Exception, so str(e) would read
# as that dump. The Rust `reason` is already a complete sentence: make it the message, and give
# every kind its conformance name. We patch the generated classes (never the generated file) so
# that the classes the bindings raise are the ones users catch.


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _error_str(self: BaseException) -> str:
    reason = getattr(self, "reason", None)
    return reason if isinstance(reason, str) else Exception.__str__(self)


def _error_repr(self: BaseException) -> str:
    fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
    return f"{type(self).__qualname__}({fields})"


def _patch_errors(base: type, with_kind: bool) -> None:
    base.__str__ = _error_str  # type: ignore[assignment,method-assign]
    if with_kind:
        base.kind = ""  # type: ignore[attr-defined]
    for name, cls in list(vars(base).items()):
        if isinstance(cls, type) and issubclass(cls, base):
            if with_kind:
                cls.kind = _snake(name)  # type: ignore[attr-defined]
            cls.__repr__ = _error_repr  # type: ignore[assignment,method-assign]
            # Tracebacks then name the class as users import it: hmacsig.HmacSigError.Stale.
            cls.__module__ = _PUBLIC_MODULE
            cls.__qualname__ = f"{base.__name__}.{name}"
    base.__module__ = _PUBLIC_MODULE


_patch_errors(HmacSigError, with_kind=True)
_patch_errors(KeyLookupError, with_kind=False)  # not a conformance kind
_patch_errors(KeyStoreError, with_kind=False)
