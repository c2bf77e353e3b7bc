"""Verify signed requests in an ASGI application (Starlette, FastAPI, any ASGI framework).

::

    from hmacsig.asgi import HmacSigMiddleware, verified_key_id

    app = FastAPI()
    app.add_middleware(HmacSigMiddleware, verifier=verifier, pass_paths=["/health"])

    @app.post("/orders")
    async def create_order(key_id: str = Depends(verified_key_id)) -> dict[str, str]:
        return {"client": key_id}

For each HTTP request whose path is not a pass path, the middleware reads the whole body (up
to ``max_body_bytes``, else ``413``), verifies the method, the target as received
(``raw_path`` and ``?query_string``; never ``X-Forwarded-*``; for ``hawk``, which signs the
URL, ``scope["scheme"]://Host`` before it, so port 443 on TLS as hawk's server), the headers
and the body with the ``Verifier``, and then:

- refused: answers ``hmacsig.http_status(error)`` (401 no usable credentials, 403 refused,
  503 the key lookup failed) with a ``text/plain`` body ``<kind>: <fixed sentence>``, e.g.
  ``bad_signature: the signature does not match``; the application is not called. The body
  tells the client the kind and nothing more; the diagnosis (the core's reason, with the
  server's string to sign for ``bad_signature``) goes to the ``hmacsig`` logger at DEBUG, a
  failed key lookup's at ERROR. ``expose_string_to_sign=True`` puts the reason in the body
  (development only).
- verified: calls the application with the key id in ``scope["hmacsig.key_id"]`` (and in
  Starlette's ``request.state.hmacsig_key_id``) and the body replayed from memory.

Pass paths (seed 000's ``pass``) go through unsigned and carry no key id. They are exact paths
compared with the path the application routes on (percent-decoded, ``root_path`` removed).

WebSocket handshakes are verified too (a ``GET`` with an empty body); a refused one is answered
with its status and body where the server offers the ``websocket.http.response`` extension, and
closed with code 1008 (the server answers 403) where it does not. Lifespan messages pass
through.

The verifier runs on the event loop: it is fast with in-memory keys (``Verifier.with_keys``); a
``KeyLookup`` that queries a database should be quick or cached.

Standard library only; ``verified_key_id`` is typed for Starlette's ``HTTPConnection`` so that
FastAPI injects the request into it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, Collection, List, MutableMapping, Optional, Tuple
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
)

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection
else:
    try:
        # FastAPI injects the request into a dependency whose parameter has this type.
        from starlette.requests import HTTPConnection
    except ImportError:  # plain ASGI, no Starlette: the accessor takes anything with a scope
        HTTPConnection = Any

__all__ = ["HmacSigMiddleware", "KEY_ID", "request_target", "verified_key_id"]

_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_ASGIApp = Callable[[_Scope, _Receive, _Send], Awaitable[None]]

_STATE_KEY = "hmacsig_key_id"
"""The name under ``scope["state"]`` (Starlette's ``request.state``) of the verified key id."""


class HmacSigMiddleware:
    """ASGI middleware verifying every request with ``verifier`` (an ``hmacsig.Verifier``).

    ``pass_paths``: exact paths let through unsigned (``["/health"]``). ``max_body_bytes``: the
    largest body read and verified (default 1 MiB); a larger one is answered ``413``.
    ``expose_string_to_sign``: answer a refusal with the core's reason (for ``bad_signature``,
    the server's string to sign: its rebuilt URL and, for some schemes, the body) instead of
    a fixed sentence; for development and conformance debugging only, never on a server
    untrusted clients can reach.
    """

    def __init__(
        self,
        app: _ASGIApp,
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

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        # Every step of an HTTP request runs on the server's one event loop, so this path is kept
        # short: one coroutine, the headers as the bytes the server gave (no text per header), the
        # common one-message body taken as it is (ADR 0014 measures each step).
        kind = scope["type"]
        if kind not in ("http", "websocket") or (self.pass_paths and _route_path(scope) in self.pass_paths):
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            await self._websocket(scope, receive, send)
            return
        headers = scope.get("headers", [])
        if type(headers) is not list:
            headers = list(headers)
        declared = b""
        try:
            for name, value in headers:
                if name == b"content-length":
                    declared = value
                    break
        except (TypeError, ValueError):
            raise TypeError("ASGI headers must be (bytes, bytes) pairs") from None
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _answer(send, 413, _body_too_large(self.max_body_bytes))
            return
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body"):
            body = message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await _answer(send, 413, _body_too_large(self.max_body_bytes))
                return
        else:
            body = await self._rest_of_body(message, receive, send)
            if body is None:
                return
        try:
            key_id = self.verifier._verify_received(scope["method"], self._target(scope, headers), headers, body)
        except HmacSigError as e:
            await _answer(send, *_refusal(e, self.expose_string_to_sign))
            return
        _set_key_id(scope, key_id)
        await self.app(scope, _Replay(body, receive), send)

    def _target(self, scope: _Scope, headers: Any) -> bytes:
        target = _received_target(scope)
        return _absolute_target(scope, headers, target) if self.verifier._signs_absolute_url else target

    async def _rest_of_body(self, message: _Message, receive: _Receive, send: _Send) -> Optional[bytes]:
        """The body from ``message`` on, when it comes in more than one message; ``None`` when
        the client left or the body is too large (answered ``413``)."""
        chunks: List[bytes] = []
        size = 0
        while True:
            if message["type"] == "http.disconnect":
                return None  # the client left before sending its body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _answer(send, 413, _body_too_large(self.max_body_bytes))
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
            message = await receive()

    async def _websocket(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        try:
            headers = scope.get("headers", [])
            key_id = self.verifier._verify_received("GET", self._target(scope, headers), headers, b"")
        except HmacSigError as e:
            status, text = _refusal(e, self.expose_string_to_sign)
            message = await receive()  # websocket.connect, before any answer
            if message["type"] != "websocket.connect":
                return
            if "websocket.http.response" in scope.get("extensions", {}):
                data = text.encode("utf-8")
                await send({"type": "websocket.http.response.start", "status": status, "headers": _text_headers(data)})
                await send({"type": "websocket.http.response.body", "body": data})
            else:
                # A close reason is at most 123 bytes of UTF-8.
                reason = text.encode("utf-8")[:120].decode("utf-8", "ignore")
                await send({"type": "websocket.close", "code": 1008, "reason": reason})
            return
        _set_key_id(scope, key_id)
        await self.app(scope, receive, send)


class _Replay:
    """The application's ``receive``: the body read for verifying, once, then the server's
    (``http.disconnect``, when the client leaves)."""

    __slots__ = ("body", "receive")

    def __init__(self, body: bytes, receive: _Receive) -> None:
        self.body: Optional[bytes] = body
        self.receive = receive

    async def __call__(self) -> _Message:
        body = self.body
        if body is None:
            return await self.receive()
        self.body = None
        return {"type": "http.request", "body": body, "more_body": False}


def verified_key_id(request: HTTPConnection) -> str:
    """The key id the middleware verified for this request (a Starlette/FastAPI ``Request`` or
    ``WebSocket``, or anything with an ASGI ``scope``); a FastAPI dependency as it is:
    ``key_id: str = Depends(verified_key_id)``.

    Raises ``LookupError`` when there is none: the middleware is not installed, or the path is
    a pass path."""
    key_id = request.scope.get(KEY_ID)
    if not isinstance(key_id, str):
        raise LookupError("no verified key id: is HmacSigMiddleware installed, and is this path not a pass path?")
    return key_id


def _absolute_target(scope: _Scope, headers: Any, target: bytes) -> bytes:
    """``scheme://Host`` + ``target``, the URL hawk verifies (``Scheme.signs_absolute_url``):
    the scheme the connection has, as hawk's server takes port 443 on TLS. Without a ``Host``,
    the target alone (which the verifier refuses)."""
    host = next((value for name, value in headers if name.lower() == b"host"), None)
    if not host:
        return target
    return str(scope.get("scheme", "http")).encode("ascii") + b"://" + bytes(host) + target


def request_target(scope: _Scope) -> str:
    """The request target as the client sent it: ``raw_path`` and ``?query_string`` (what the
    middleware verifies), each byte as its latin-1 character. Without ``raw_path``, the
    percent-encoded ``path``."""
    return _received_target(scope).decode("latin-1")


def _received_target(scope: _Scope) -> bytes:
    raw_path = scope.get("raw_path")
    if not (isinstance(raw_path, bytes) and raw_path):
        raw_path = quote(scope["path"], safe="/!$&'()*+,;=:@~").encode("ascii")
    query: bytes = scope.get("query_string", b"")
    return raw_path + b"?" + query if query else raw_path


def _route_path(scope: _Scope) -> str:
    # What Starlette routes on: `path` without the `root_path` a mount or proxy prefix adds.
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


def _set_key_id(scope: _Scope, key_id: str) -> None:
    scope[KEY_ID] = key_id
    # Starlette's request.state reads (and creates) this dict; the server copies it per request.
    state = scope.get("state")
    if state is None:
        scope["state"] = state = {}
    state[_STATE_KEY] = key_id


def _text_headers(data: bytes) -> List[Tuple[bytes, bytes]]:
    return [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(data)).encode("ascii"))]


async def _answer(send: _Send, status: int, text: str) -> None:
    data = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": _text_headers(data)})
    await send({"type": "http.response.body", "body": data})
