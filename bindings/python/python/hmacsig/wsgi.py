"""Verify signed requests in a WSGI application (Flask, Django, any WSGI framework).

::

    from hmacsig.wsgi import HmacSigMiddleware, verified_key_id

    app = Flask(__name__)
    app.wsgi_app = HmacSigMiddleware(app.wsgi_app, verifier, pass_paths=["/health"])

    @app.post("/orders")
    def create_order() -> dict[str, str]:
        return {"client": verified_key_id(request.environ)}

For each request whose path is not a pass path, the middleware reads the body
(``CONTENT_LENGTH`` bytes of ``wsgi.input``, or up to its end when the server sets
``wsgi.input_terminated``; over ``max_body_bytes`` it answers ``413``), verifies the method, the
target as received (for ``hawk``, which signs the URL, ``wsgi.url_scheme://Host`` before it),
the headers and the body with the ``Verifier``, and then:

- refused: answers ``hmacsig.http_status(error)`` (401, 403, 503) with a ``text/plain`` body
  ``<kind>: <fixed sentence>`` (``bad_signature: the signature does not match``); the
  application is not called. The body tells the client the kind and nothing more; the
  diagnosis (the core's reason, with the server's string to sign for ``bad_signature``) goes
  to the ``hmacsig`` logger at DEBUG, a failed key lookup's at ERROR.
  ``expose_string_to_sign=True`` puts the reason in the body (development only).
- verified: calls the application with the key id in ``environ["hmacsig.key_id"]`` and the body
  in a fresh ``wsgi.input`` (``CONTENT_LENGTH`` set to its length).

The target is the server's ``RAW_URI`` or ``REQUEST_URI`` (Werkzeug, Gunicorn, uWSGI and
mod_wsgi give the request line's target as received); without either it is rebuilt from
``SCRIPT_NAME`` + ``PATH_INFO``, percent-encoded again, and ``QUERY_STRING``, which cannot tell
``%2F`` from ``/``. ``X-Forwarded-*`` headers are never used. Headers are rebuilt from the
``HTTP_*`` keys, ``CONTENT_TYPE`` and ``CONTENT_LENGTH`` (an empty one is taken as absent); a
header sent twice arrives joined by the server. Note that the standard library's
``wsgiref.simple_server`` invents ``CONTENT_TYPE: text/plain`` for requests without one, which
breaks schemes that sign the content type.

Pass paths (seed 000's ``pass``) go through unsigned and carry no key id; they are exact paths
compared with ``PATH_INFO``, the path the application routes on.

Standard library only.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Collection, Iterable, List, Mapping, Tuple, Union
from urllib.parse import quote

from . import HmacSigError, Verifier
from ._http import (
    DEFAULT_MAX_BODY_BYTES as _DEFAULT_MAX_BODY_BYTES,
    KEY_ID,
    body_too_large as _body_too_large,
    check_flag as _check_flag,
    check_max_body_bytes as _check_max_body_bytes,
    check_verifier as _check_verifier,
    pass_path_set as _pass_path_set,
    refusal as _refusal,
    status_line as _status_line,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["HmacSigMiddleware", "KEY_ID", "request_target", "verified_key_id"]


class HmacSigMiddleware:
    """WSGI middleware verifying every request with ``verifier`` (an ``hmacsig.Verifier``).

    ``pass_paths``: exact paths let through unsigned (``["/health"]``). ``max_body_bytes``: the
    largest body read and verified (default 1 MiB); a larger one is answered ``413``.
    ``expose_string_to_sign``: answer a refusal with the core's reason (for ``bad_signature``,
    the server's string to sign: its rebuilt URL and, for some schemes, the body) instead of
    a fixed sentence; for development and conformance debugging only, never on a server
    untrusted clients can reach.
    """

    def __init__(
        self,
        app: WSGIApplication,
        verifier: Verifier,
        *,
        pass_paths: Collection[str] = (),
        max_body_bytes: int = _DEFAULT_MAX_BODY_BYTES,
        expose_string_to_sign: bool = False,
    ) -> None:
        self.app = app
        self.verifier = _check_verifier(verifier)
        self.pass_paths = _pass_path_set(pass_paths)
        self.max_body_bytes = _check_max_body_bytes(max_body_bytes)
        self.expose_string_to_sign = _check_flag("expose_string_to_sign", expose_string_to_sign)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if _route_path(environ) in self.pass_paths:
            return self.app(environ, start_response)
        body = _read_body(environ, self.max_body_bytes)
        if isinstance(body, tuple):
            return _answer(start_response, *body)
        try:
            target = request_target(environ)
            if self.verifier._signs_absolute_url and isinstance(environ.get("HTTP_HOST"), str):
                # hawk verifies the URL: the scheme the connection has (port 443 on TLS) and Host.
                target = f"{environ.get('wsgi.url_scheme', 'http')}://{environ['HTTP_HOST']}{target}"
            key_id = self.verifier.verify(environ["REQUEST_METHOD"], target, _headers(environ), body)
        except HmacSigError as e:
            return _answer(start_response, *_refusal(e, self.expose_string_to_sign))
        environ[KEY_ID] = key_id
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)


def verified_key_id(environ: Mapping[str, object]) -> str:
    """The key id the middleware verified for this request (Flask: ``request.environ``).

    Raises ``LookupError`` when there is none: the middleware is not installed, or the path is
    a pass path."""
    key_id = environ.get(KEY_ID)
    if not isinstance(key_id, str):
        raise LookupError("no verified key id: is HmacSigMiddleware installed, and is this path not a pass path?")
    return key_id


def request_target(environ: Mapping[str, object]) -> str:
    """The request target as the client sent it (what the middleware verifies): ``RAW_URI`` or
    ``REQUEST_URI`` when the server gives one, else ``SCRIPT_NAME`` + ``PATH_INFO``
    percent-encoded and ``?QUERY_STRING``."""
    for key in ("RAW_URI", "REQUEST_URI"):
        raw = environ.get(key)
        if isinstance(raw, str) and raw:
            return raw
    path = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
    # WSGI strings are the received bytes decoded as latin-1.
    path = quote(path.encode("latin-1"), safe="/!$&'()*+,;=:@~") or "/"
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def _route_path(environ: Mapping[str, object]) -> str:
    path = environ.get("PATH_INFO", "")
    if not isinstance(path, str):
        return "/"
    return path.encode("latin-1").decode("utf-8", "replace") or "/"


def _headers(environ: Mapping[str, object]) -> List[Tuple[str, str]]:
    headers = []
    for key, value in environ.items():
        if not isinstance(value, str):
            continue
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").title(), value))
    return headers


def _read_body(environ: WSGIEnvironment, limit: int) -> Union[bytes, Tuple[int, str]]:
    """The body, or the status and text to answer instead."""
    stream = environ["wsgi.input"]
    length_text = str(environ.get("CONTENT_LENGTH") or "").strip()
    if length_text:
        if not length_text.isdigit():
            return 400, "invalid_request: the Content-Length is not a number"
        length = int(length_text)
        if length > limit:
            return 413, _body_too_large(limit)
        chunks: List[bytes] = []
        remaining = length
        while remaining > 0:
            chunk = stream.read(remaining)
            if not chunk:
                return 400, "invalid_request: the body is shorter than its Content-Length"
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    if environ.get("wsgi.input_terminated"):
        # The server ends the stream (e.g. a chunked body): read to its end, within the limit.
        chunks = []
        size = 0
        while True:
            chunk = stream.read(min(1 << 16, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return 413, _body_too_large(limit)
    return b""  # WSGI gives no body without a length


def _answer(start_response: StartResponse, status: int, text: str) -> List[bytes]:
    data = text.encode("utf-8")
    start_response(
        _status_line(status),
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]
