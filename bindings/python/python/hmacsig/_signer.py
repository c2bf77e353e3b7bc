"""``Signer`` and the one-off signing functions. Every signature is made by one call into the core
(``_call``); only ``sign_with_body_digest`` takes the generated call, whose cost is nothing next
to hashing the body it stands for."""

from __future__ import annotations

from typing import Optional, Tuple, Union

from . import _call, _ffi
from ._call import OP_SIGN, OP_SIGN_RESPONSE, call, clock, request_text, response_text
from ._ffi import BodyDigest, ContentDigest, Request, Response, Scheme, SignedRequest
from ._objects import BytesLike, Closeable, Headers, as_bytes, header_pairs, plain_headers
from ._streaming import DEFAULT_CHUNK_SIZE, BodyHasher, StreamedBody, hash_body

__all__ = ["Signer", "response_parts", "sign_request", "sign_response"]


class Signer(Closeable[_ffi.Signer]):
    """Holds a scheme and credentials and signs many requests.

    Use it as a context manager (``with Signer(scheme, creds) as signer:``) or call ``close()``
    to free the Rust object deterministically; after that, every call raises ``ValueError``.
    """

    # The core's id of the generated object (``_call``): 0 once closed.
    __slots__ = ("_id", "_signs_absolute_url")

    _id: int

    def __init__(self, scheme: Scheme, credentials: _ffi.Credentials) -> None:
        inner = _ffi.Signer(scheme, credentials)
        self._inner = inner
        self._id = _call.object_id(inner)
        # hawk signs the URL's host and port as the client names them (Scheme.signs_absolute_url):
        # the HTTP integrations pass it the absolute URL.
        self._signs_absolute_url = scheme.signs_absolute_url()

    def close(self) -> None:
        self._id = 0
        super().close()

    def sign(
        self,
        method: str,
        target: str,
        headers: Optional[Headers] = None,
        body: Union[BytesLike, str, None] = None,
        now: Optional[int] = None,
    ) -> SignedRequest:
        """Signs a request given as parts. Returns the headers to set (in order, each replacing
        any header of the same name) and the string that was signed.

        ``target`` is the request target as sent (``/path?query`` or an absolute URL);
        ``now`` is Unix seconds, the system clock when ``None``. A ``bytes`` body is read where
        it is, whatever its size; one that is not in memory is for ``sign_stream``.
        """
        body_bytes = as_bytes(body, "body")
        text, counts = request_text(method, target, plain_headers(headers))
        signed: SignedRequest = call(OP_SIGN, self._id, counts, text, body_bytes, None, clock(now), "Signer")
        return signed

    def sign_request(self, request: Request, now: Optional[int] = None) -> SignedRequest:
        """Signs a ``Request`` record."""
        if not isinstance(request, Request):
            raise TypeError(f"request must be a Request, not {type(request).__name__}")
        return self.sign(request.method, request.target, request.headers, request.body, now)

    def sign_response(self, response: Response, request: Optional[Request] = None, now: Optional[int] = None) -> SignedRequest:
        """Signs a response (rfc9421 only): the headers to set on it, and the signature base.
        ``request`` is the request it answers, needed for components with ``;req``."""
        text, counts = response_text(*response_parts(response, request))
        signed: SignedRequest = call(OP_SIGN_RESPONSE, self._id, counts, text, as_bytes(response.body, "body"), None, clock(now), "Signer")
        return signed

    def sign_with_body_digest(
        self,
        method: str,
        target: str,
        headers: Optional[Headers],
        body_digest: BodyDigest,
        now: Optional[int] = None,
    ) -> SignedRequest:
        """Signs a request whose body is given by its ``BodyDigest`` (from ``BodyHasher`` or
        ``hash_body``): byte for byte what ``sign`` gives with the body itself.

        api-auth and aws-sigv4 need a SHA-256 digest, rfc9421 the algorithm of its
        ``content_digest`` (any when unset); another raises ``HmacSigError.InvalidRequest``.
        path-body-hex and timestamped MAC the body bytes themselves and raise
        ``HmacSigError.Unsupported``.
        """
        if not isinstance(body_digest, BodyDigest):
            raise TypeError(f"body_digest must be a BodyDigest, not {type(body_digest).__name__}")
        return self._live().sign_with_body_digest(method, target, _header_records(headers), body_digest, now)

    def sign_stream(
        self,
        method: str,
        target: str,
        headers: Optional[Headers],
        body: StreamedBody,
        now: Optional[int] = None,
        *,
        algorithm: Optional[ContentDigest] = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> SignedRequest:
        """Signs a request with a large body without holding it in memory: ``hash_body(body,
        algorithm, chunk_size)``, then ``sign_with_body_digest``.

        The body is read here, once; then send exactly those bytes. A seekable file is put back
        where it was, so hand it on to the HTTP client; a generator is used up, so make it again.
        ``algorithm``: ``None`` is SHA-256; an rfc9421 scheme with ``content_digest=
        ContentDigest.SHA512`` needs ``ContentDigest.SHA512``. A scheme or algorithm that cannot
        sign a digest fails before the body is read.
        """
        inner = self._live()
        parts = _header_records(headers)
        # Every error that does not depend on the body's bytes (an unsupported scheme, the wrong
        # algorithm, a bad target) comes from signing the empty body's digest too, and a stream
        # may not be readable twice: fail before reading it.
        with BodyHasher(algorithm) as empty:
            inner.sign_with_body_digest(method, target, parts, empty.finish(), now)
        return inner.sign_with_body_digest(method, target, parts, hash_body(body, algorithm, chunk_size), now)

    def key_id(self) -> str:
        """The key id this signer signs with."""
        return self._live().key_id()

    def __repr__(self) -> str:
        if self._inner is None:
            return "Signer(<closed>)"
        return f"Signer(key_id={self._inner.key_id()!r})"


Signer.__module__ = "hmacsig"


def _header_records(headers: Optional[Headers]) -> list[_ffi.Header]:
    return [_ffi.Header(name=name, value=value) for name, value in header_pairs(headers)]


def response_parts(response: Response, request: Optional[Request]) -> Tuple[object, object, Optional[Tuple[object, object, object]]]:
    if not isinstance(response, Response):
        raise TypeError(f"response must be a Response, not {type(response).__name__}")
    if request is not None and not isinstance(request, Request):
        raise TypeError(f"request must be a Request or None, not {type(request).__name__}")
    answered = None if request is None else (request.method, request.target, plain_headers(request.headers))
    return response.status, plain_headers(response.headers), answered


def sign_request(scheme: Scheme, credentials: _ffi.Credentials, request: Request, now: Optional[int] = None) -> SignedRequest:
    """Signs a ``Request`` once; for many, keep a ``Signer``."""
    with Signer(scheme, credentials) as signer:
        return signer.sign_request(request, now)


def sign_response(
    scheme: Scheme,
    credentials: _ffi.Credentials,
    response: Response,
    request: Optional[Request] = None,
    now: Optional[int] = None,
) -> SignedRequest:
    """Signs a response once (rfc9421 only); ``request`` is the request it answers, needed for
    components with ``;req``."""
    with Signer(scheme, credentials) as signer:
        return signer.sign_response(response, request, now)
