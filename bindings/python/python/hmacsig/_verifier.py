"""The server side: key lookups, ``ReplayGuard``, ``Verifier``, ``http_status``, and the one-off
verifying functions. Every verdict is one call into the core (``_call``); with a key lookup, two:
the key id the request claims, then the verdict with the secret the lookup found. The lookup runs
here, in Python, between the two: the core never calls back into Python."""

from __future__ import annotations

import abc
from typing import Callable, Mapping, Optional, Sequence, Tuple, Union

from . import _call, _ffi
from ._call import OP_KEY_ID, OP_RESPONSE_KEY_ID, OP_VERIFY, OP_VERIFY_RESPONSE, call, clock, received_request_text, request_text, response_text, verify_received
from ._errors import HmacSigError, KeyLookupError
from ._ffi import Policy, Request, Response, Scheme
from ._objects import BytesLike, Closeable, Headers, Secret, as_bytes, as_secret, plain_headers
from ._signer import response_parts

__all__ = [
    "CallableKeyLookup",
    "KeyLookup",
    "LookupFunction",
    "ReplayGuard",
    "Verifier",
    "extract_key_id",
    "http_status",
    "verify_request",
    "verify_response",
]

LookupFunction = Callable[[str], Optional[Secret]]
"""A plain key lookup: the secret for a key id (bytes-like or ``str``), or ``None`` if unknown."""


class KeyLookup(abc.ABC):
    """Where a server finds the secret for a key id (its own database): subclass it and
    implement ``secret_for``. Return ``None`` for an unknown key id; raise
    ``KeyLookupError.Failed(reason)`` (or any exception) when it cannot answer."""

    @abc.abstractmethod
    def secret_for(self, key_id: str) -> Optional[Secret]:
        """The secret of ``key_id`` (bytes-like, or ``str`` meaning its UTF-8 bytes), or ``None``."""


class CallableKeyLookup(KeyLookup):
    """A ``KeyLookup`` over a plain function ``key_id -> secret or None``.

    ``Verifier.with_lookup`` takes such a function directly; this class is for code that wants
    a ``KeyLookup`` object. A secret may be bytes-like or ``str`` (its UTF-8 bytes). Whatever
    the function raises makes verification fail with ``HmacSigError.KeyLookupFailed``.
    """

    def __init__(self, lookup: LookupFunction) -> None:
        if not callable(lookup):
            raise TypeError(f"a key lookup must be callable, not {type(lookup).__name__}")
        self._lookup = lookup

    def secret_for(self, key_id: str) -> Optional[Secret]:
        return self._lookup(key_id)

    def __repr__(self) -> str:
        return f"CallableKeyLookup({self._lookup!r})"


def _lookup_function(lookup: Union[KeyLookup, LookupFunction]) -> LookupFunction:
    if isinstance(lookup, KeyLookup):
        return lookup.secret_for
    if callable(lookup):
        return lookup
    raise TypeError(f"a key lookup must be a KeyLookup or a function, not {type(lookup).__name__}")


def _secret(lookup: LookupFunction, key_id: str) -> Optional[bytes]:
    """What ``lookup`` answers for ``key_id``, as bytes. Whatever it raises, but for what is not
    an ``Exception`` (``KeyboardInterrupt``, ``SystemExit``: not a verdict), becomes
    ``HmacSigError.KeyLookupFailed`` (503) caused by it."""
    try:
        secret = lookup(key_id)
        return None if secret is None else as_secret(secret, "the secret a key lookup returns")
    except Exception as e:
        if isinstance(e, KeyLookupError.Failed):
            reason = e.reason
        else:
            reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        raise HmacSigError.KeyLookupFailed(f"the key lookup failed: {reason}") from e


class ReplayGuard(_ffi.ReplayGuard):
    """Remembers accepted signatures until their window closes and refuses a second use.

    ``ReplayGuard(capacity=100000, default_ttl=900)``; share one per server (thread-safe) and
    pass it to ``Verifier.with_keys``/``with_lookup``. ``len(guard)`` is how many signatures it
    remembers now; a guard is always truthy, even when empty.
    """

    def __len__(self) -> int:
        return self.len()

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"ReplayGuard(remembered={self.len()})"


class Verifier(Closeable[_ffi.Verifier]):
    """Verifies requests for a server: a scheme, a policy, where secrets come from, and
    optionally a ``ReplayGuard``.

    Build one with ``Verifier.with_keys(scheme, keys)`` or ``Verifier.with_lookup(scheme,
    lookup)`` and share it between threads. Like ``Signer`` it is a context manager;
    ``close()`` frees the Rust object, after which every call raises ``ValueError``.
    """

    # The core's id of the generated object (0 once closed); the lookup, if any.
    __slots__ = ("_id", "_lookup", "_lookup_shown", "_scheme_name", "_signs_absolute_url")

    _id: int
    _lookup: Optional[LookupFunction]
    _lookup_shown: str
    _scheme_name: str
    _signs_absolute_url: bool

    def __init__(self) -> None:
        raise TypeError("use Verifier.with_keys(scheme, keys) or Verifier.with_lookup(scheme, lookup)")

    @classmethod
    def _make(cls, inner: _ffi.Verifier, scheme: Scheme, lookup: Optional[Union[KeyLookup, LookupFunction]]) -> "Verifier":
        self = cls.__new__(cls)
        self._inner = inner
        self._id = _call.object_id(inner)
        self._lookup = None if lookup is None else _lookup_function(lookup)
        self._lookup_shown = "in memory" if lookup is None else repr(lookup)
        self._scheme_name = scheme.name()
        # hawk verifies scheme://Host/target (Scheme.signs_absolute_url): the middlewares build it.
        self._signs_absolute_url = scheme.signs_absolute_url()
        return self

    @classmethod
    def with_keys(
        cls,
        scheme: Scheme,
        keys: Mapping[str, Secret],
        policy: Optional[Policy] = None,
        replay_guard: Optional[_ffi.ReplayGuard] = None,
    ) -> "Verifier":
        """A verifier whose secrets are in ``keys``: key id -> secret (bytes-like, or ``str``
        meaning its UTF-8 bytes). The keys are copied into Rust once. ``policy``: ``None``
        means the scheme's defaults; for rfc9421 its ``label`` or ``tag`` also picks the
        signature whose key id is looked up."""
        if not isinstance(keys, Mapping):
            raise TypeError(f"keys must be a mapping of key id to secret, not {type(keys).__name__}")
        secrets: dict[str, bytes] = {}
        for key_id, secret in keys.items():
            if not isinstance(key_id, str):
                raise TypeError(f"key ids must be str, not {type(key_id).__name__}")
            secrets[key_id] = as_secret(secret, f"the secret of key id {key_id!r}")
        return cls._make(_ffi.Verifier.with_keys(scheme, secrets, policy, replay_guard), scheme, None)

    @classmethod
    def with_lookup(
        cls,
        scheme: Scheme,
        lookup: Union[KeyLookup, LookupFunction],
        policy: Optional[Policy] = None,
        replay_guard: Optional[_ffi.ReplayGuard] = None,
    ) -> "Verifier":
        """A verifier that asks ``lookup`` for each request's secret: a ``KeyLookup``
        subclass (``secret_for(key_id)``) or a plain function ``key_id -> secret or None``.

        Returning ``None`` means an unknown key id (``HmacSigError.UnknownKey``, 403). Raising
        anything (``KeyLookupError.Failed(reason)`` or any exception) makes ``verify`` raise
        ``HmacSigError.KeyLookupFailed`` (503) whose ``__cause__`` is the exception raised.
        """
        _lookup_function(lookup)  # refuse a non-lookup before building anything
        return cls._make(_ffi.Verifier.with_caller_secrets(scheme, policy, replay_guard), scheme, lookup)

    @classmethod
    def with_credentials(
        cls,
        scheme: Scheme,
        credentials: _ffi.Credentials,
        policy: Optional[Policy] = None,
        replay_guard: Optional[_ffi.ReplayGuard] = None,
    ) -> "Verifier":
        """A verifier for messages signed with one key id and secret: a client checking its
        server's signed responses (``verify_response``), or a one-off check."""
        return cls._make(_ffi.Verifier.with_credentials(scheme, credentials, policy, replay_guard), scheme, None)

    @classmethod
    def with_store(
        cls,
        scheme: Scheme,
        store: _ffi.KeyStore,
        policy: Optional[Policy] = None,
        replay_guard: Optional[_ffi.ReplayGuard] = None,
    ) -> "Verifier":
        """A verifier whose secrets are in a ``KeyStore``: a request verifies with any valid secret
        of its key id (both during a rotation's grace period; at most a few are tried, each
        compared in constant time). Decrypted secrets are kept for 30 s. A store that fails
        raises ``HmacSigError.KeyLookupFailed`` (503)."""
        if not isinstance(store, _ffi.KeyStore):
            raise TypeError(f"store must be a KeyStore, not {type(store).__name__}")
        verifier = cls._make(_ffi.Verifier.with_store(scheme, store, policy, replay_guard), scheme, None)
        verifier._lookup_shown = repr(store)
        return verifier

    def _verdict(self, ops: Tuple[int, int], text: Tuple[bytes, int], body: bytes, now: Optional[int]) -> str:
        key_op, verify_op = ops
        message, counts = text
        ident, at = self._id, clock(now)
        lookup = self._lookup
        secret = None
        if lookup is not None:
            secret = _secret(lookup, call(key_op, ident, counts, message, body, None, at, "Verifier"))
        key_id: str = call(verify_op, ident, counts, message, body, secret, at, "Verifier")
        return key_id

    def verify(
        self,
        method: str,
        target: str,
        headers: Optional[Headers] = None,
        body: Union[BytesLike, str, None] = None,
        now: Optional[int] = None,
    ) -> str:
        """Verifies a request given as parts (headers and body as ``Signer.sign`` takes them);
        returns the verified key id or raises ``HmacSigError``.

        ``target`` is the request target as received (``/path?query``); ``now`` is Unix
        seconds, the system clock when ``None``.
        """
        text = request_text(method, target, plain_headers(headers))
        return self._verdict((OP_KEY_ID, OP_VERIFY), text, as_bytes(body, "body"), now)

    def _verify_received(self, method: str, target: bytes, headers: Sequence[Tuple[bytes, bytes]], body: bytes) -> str:
        # For hmacsig.asgi: ``verify`` on what an ASGI server hands over (the target and headers
        # as bytes, which ``verify`` would see decoded as latin-1), now, without a text per header.
        if self._lookup is None:  # keys held by the core: one call, which builds the text too
            return verify_received(self._id, method, target, headers if type(headers) is list else list(headers), body)
        return self._verdict((OP_KEY_ID, OP_VERIFY), received_request_text(method, target, headers), body, None)

    def verify_request(self, request: Request, now: Optional[int] = None) -> str:
        """Verifies a ``Request`` record; returns the verified key id."""
        if not isinstance(request, Request):
            raise TypeError(f"request must be a Request, not {type(request).__name__}")
        return self.verify(request.method, request.target, request.headers, request.body, now)

    def verify_response(self, response: Response, request: Optional[Request] = None, now: Optional[int] = None) -> str:
        """Verifies a signed response (rfc9421) to ``request``; returns the verified key id.
        Without a policy, the signature must cover ``@status``."""
        text = response_text(*response_parts(response, request))
        return self._verdict((OP_RESPONSE_KEY_ID, OP_VERIFY_RESPONSE), text, as_bytes(response.body, "body"), now)

    def key_id(self, method: str, target: str, headers: Optional[Headers] = None) -> str:
        """The key id a request claims (not verified yet), as this verifier reads it."""
        message, counts = request_text(method, target, plain_headers(headers))
        key_id: str = call(OP_KEY_ID, self._id, counts, message, b"", None, clock(None), "Verifier")
        return key_id

    def close(self) -> None:
        self._id = 0
        super().close()

    def __repr__(self) -> str:
        if self._inner is None:
            return "Verifier(<closed>)"
        return f"Verifier(scheme={self._scheme_name!r}, keys={self._lookup_shown})"


for _public in (KeyLookup, CallableKeyLookup, ReplayGuard, Verifier):
    _public.__module__ = "hmacsig"
del _public


def http_status(error: Union[str, HmacSigError]) -> int:
    """The HTTP status for an ``HmacSigError`` or its kind (``"bad_signature"``): 401 when the
    request carries no usable credentials, 403 when they were refused, 503 when the key lookup
    failed. An unknown kind is 401."""
    kind = error.kind if isinstance(error, HmacSigError) else error
    if not isinstance(kind, str):
        raise TypeError(f"http_status takes an HmacSigError or its kind, not {type(error).__name__}")
    return _ffi.http_status(kind)


def verify_request(
    scheme: Scheme,
    credentials: _ffi.Credentials,
    request: Request,
    policy: Optional[Policy] = None,
    now: Optional[int] = None,
) -> str:
    """Verifies a ``Request`` once against ``credentials``; returns its key id. For a server,
    keep a ``Verifier``."""
    with Verifier.with_credentials(scheme, credentials, policy) as verifier:
        return verifier.verify_request(request, now)


def verify_response(
    scheme: Scheme,
    credentials: _ffi.Credentials,
    response: Response,
    request: Optional[Request] = None,
    policy: Optional[Policy] = None,
    now: Optional[int] = None,
) -> str:
    """Verifies a signed response (rfc9421) against ``credentials``; ``request`` is the request
    it answers. Without a policy, the signature must cover ``@status``."""
    with Verifier.with_credentials(scheme, credentials, policy) as verifier:
        return verifier.verify_response(response, request, now)


def extract_key_id(scheme: Scheme, request: Request) -> str:
    """The key id a request claims, to look its secret up before verifying. It is not verified
    yet."""
    if not isinstance(request, Request):
        raise TypeError(f"request must be a Request, not {type(request).__name__}")
    with Verifier._make(_ffi.Verifier.with_caller_secrets(scheme, None, None), scheme, None) as verifier:
        return verifier.key_id(request.method, request.target, request.headers)
