"""hmacsig: sign and verify HTTP requests with HMAC.

The work happens in the Rust core (the same one the Kotlin and Swift packages use). UniFFI
generates the private module ``hmacsig._ffi`` that builds its objects; every signature and
verdict is then one call into the core's C entry (``hmacsig._call``, docs/ffi.md). This package
is the thin, idiomatic layer over both:

- ``Credentials(key_id, secret)`` takes the secret as ``str`` (its UTF-8 bytes) or any bytes-like
  object; it never shows the secret.
- ``Signer(scheme, credentials).sign(method, target, headers, body, now=None)`` takes headers as a
  dict, ``(name, value)`` pairs or ``Header`` records, and the body as bytes-like, ``str`` or
  ``None``; a ``Signer`` is a context manager that frees the Rust object on exit.
- Schemes: ``Scheme.api_auth(...)``, ``Scheme.path_body_hex(digest="sha1")``,
  ``Scheme.timestamped(header_style=HeaderStyle.X_REQUEST, lowercase_url=False)``,
  ``Scheme.aws_sigv4(region, service, ..., signature_type=SignatureType.HEADER)`` (with
  ``SignatureType.QUERY`` the signed request's ``url`` is the presigned target) and
  ``Scheme.rfc9421(components=None, label="sig1", created=None, expires=None, nonce=None,
  tag=None, include_alg=False, content_digest=None)`` (RFC 9421 HTTP Message Signatures with
  ``hmac-sha256``; ``content_digest=ContentDigest.SHA256`` or ``SHA512`` adds and covers a
  ``Content-Digest`` of the body), ``Scheme.kong_hmac(algorithm="hmac-sha256", headers=None,
  header_name="authorization", http_version="1.1", digest=False)`` (Kong Gateway's
  ``hmac-auth``) and ``Scheme.hawk(algorithm="sha256", nonce=None, ext=None, app=None, dlg=None,
  payload_hash=True, signature_type=SignatureType.HEADER, ttl=60)`` (Hawk; ``QUERY`` makes a
  bewit URL); policies ``Policy.api_auth(...)``, ``Policy.timestamped(...)``,
  ``Policy.aws_sigv4(max_skew=900)``, ``Policy.rfc9421(max_age=300,
  required_components=None, clock_skew=5, label=None, tag=None, allow_unsigned_body=False)``,
  ``Policy.kong_hmac(clock_skew=300, enforce_headers=[], algorithms=None,
  validate_request_body=False)`` and ``Policy.hawk(timestamp_skew=60,
  require_payload_hash=False, host=None, port=None)``.
- Streamed bodies (api-auth, aws-sigv4, rfc9421, kong-hmac): ``signer.sign_stream(method, target, headers,
  body, now=None, algorithm=None, chunk_size=DEFAULT_CHUNK_SIZE)`` hashes a binary file or an
  iterable of bytes-like chunks in constant memory and signs its digest, rewinding a seekable
  file for the upload; piecewise, ``BodyHasher(algorithm=None)`` (``update(chunk)``, ``finish()``
  -> ``BodyDigest``), ``hash_body(body)`` and ``signer.sign_with_body_digest(...)``.
- Responses (rfc9421, hawk): ``sign_response(scheme, credentials, Response(status=200,
  headers=[...], body=b"..."), request=None, now=None)`` and ``verify_response(scheme,
  credentials, response, request=None, policy=None, now=None)``, or ``Signer.sign_response``
  and ``Verifier.verify_response``; ``request`` is the request the response answers, needed
  for rfc9421's components with ``;req`` and always for hawk (its ``Server-Authorization``
  covers the request's).
- Key stores: ``KeyStore.open("sqlite:PATH", master_key=None)`` keeps secrets encrypted (the
  master key from ``HMACSIG_MASTER_KEY``): ``create``, ``rotate`` with a grace period,
  ``revoke``, ``list``, ``rekey``; ``Verifier.with_store(scheme, store)`` verifies with them.
- Servers: ``Verifier.with_keys(scheme, {"key id": secret})`` or
  ``Verifier.with_lookup(scheme, lookup)`` where ``lookup`` is a ``KeyLookup`` subclass or a plain
  function ``key_id -> secret or None``; ``verify(method, target, headers, body, now=None)``
  returns the verified key id. A ``ReplayGuard`` refuses a request seen before; ``http_status``
  gives the HTTP status (401, 403, 503) for an error or its kind.
- Every failure is an ``HmacSigError``: one subclass per kind (``HmacSigError.BadSignature``, ...)
  with ``kind`` (``"bad_signature"``), ``reason`` (also ``str(e)``) and the kind's fields.

``now`` is Unix seconds (``int``); ``None`` means the system clock.

Integrations, each in its own module, importing its framework only when imported:
``hmacsig.requests.HmacSigAuth`` and ``hmacsig.httpx.HmacSigAuth`` sign outgoing requests;
``hmacsig.asgi.HmacSigMiddleware`` (Starlette, FastAPI) and ``hmacsig.wsgi.HmacSigMiddleware``
(Flask) verify incoming ones.
"""

from __future__ import annotations

from typing import Union

from . import _ffi
from ._errors import HmacSigError, KeyLookupError, KeyStoreError
from ._ffi import (
    BodyDigest,
    ContentDigest,
    Header,
    HeaderStyle,
    InternalError,
    Policy,
    Request,
    Response,
    Scheme,
    SignatureType,
    SignedRequest,
    generate_secret,
)
from ._objects import BytesLike as _BytesLike
from ._objects import as_bytes as _as_bytes
from ._signer import Signer, sign_request, sign_response
from ._store import KeyInfo, KeyState, KeyStore
from ._streaming import DEFAULT_CHUNK_SIZE, BodyHasher, hash_body
from ._verifier import (
    CallableKeyLookup,
    KeyLookup,
    ReplayGuard,
    Verifier,
    extract_key_id,
    http_status,
    verify_request,
    verify_response,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BodyDigest",
    "BodyHasher",
    "CallableKeyLookup",
    "ContentDigest",
    "Credentials",
    "Header",
    "HeaderStyle",
    "HmacSigError",
    "InternalError",
    "KeyInfo",
    "KeyLookup",
    "KeyLookupError",
    "KeyState",
    "KeyStore",
    "KeyStoreError",
    "Policy",
    "ReplayGuard",
    "Request",
    "Response",
    "Scheme",
    "SignatureType",
    "SignedRequest",
    "Signer",
    "Verifier",
    "extract_key_id",
    "generate_secret",
    "hash_body",
    "http_status",
    "sign_request",
    "sign_response",
    "verify_request",
    "verify_response",
]

# --- Records -------------------------------------------------------------------------------
# The generated records are @dataclass without field annotations, so their repr is `Header()`
# (and a SignedRequest prints as `headers=[Header(), Header()]`). Give them a field repr.


def _record_repr(self: object) -> str:
    fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
    return f"{type(self).__name__}({fields})"


for _record in (BodyDigest, Header, Request, Response, SignedRequest):
    _record.__repr__ = _record_repr  # type: ignore[method-assign]
    _record.__str__ = _record_repr  # type: ignore[method-assign]
del _record


# --- Credentials ---------------------------------------------------------------------------


class Credentials(_ffi.Credentials):
    """A key id and its secret. The secret stays in the Rust object and is never shown.

    ``secret`` is ``bytes``/``bytearray``/``memoryview``, or ``str`` meaning its UTF-8 bytes
    (api-auth secrets such as ``generate_secret()``'s are used as text).
    """

    def __init__(self, key_id: str, secret: Union[_BytesLike, str]) -> None:
        if not isinstance(key_id, str):
            raise TypeError(f"key_id must be str, not {type(key_id).__name__}")
        if secret is None:
            raise TypeError("secret must be bytes, bytearray, memoryview or str, not None")
        super().__init__(key_id, _as_bytes(secret, "secret"))

    def __repr__(self) -> str:
        return f"Credentials(key_id={self.key_id()!r}, secret=<redacted>)"

    __str__ = __repr__
