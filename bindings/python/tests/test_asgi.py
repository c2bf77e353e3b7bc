"""hmacsig.asgi.HmacSigMiddleware in a FastAPI app under uvicorn, over real HTTP on 127.0.0.1;
WebSocket handshakes through Starlette's test client."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import socket
from types import SimpleNamespace

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocket

import hmacsig
from hmacsig.asgi import HmacSigMiddleware, request_target, verified_key_id
from hmacsig.httpx import HmacSigAuth
from loopback import KEY_ID, SECRET, TIMEOUT, UvicornThread, signer_for, verifier_for

ORDER = {"item": "book", "qty": 2}
LIMIT = 64


def make_app(verifier: hmacsig.Verifier, lifespan=None, **options) -> FastAPI:
    app = FastAPI(lifespan=lifespan)
    app.add_middleware(HmacSigMiddleware, verifier=verifier, pass_paths=["/health"], max_body_bytes=LIMIT, **options)

    @app.get("/health")
    def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(request: Request, key_id: str = Depends(verified_key_id)) -> dict:
        body = await request.body()
        return {
            "key_id": key_id,
            "state_key_id": request.state.hmacsig_key_id,
            "scope_key_id": request.scope["hmacsig.key_id"],
            "method": request.method,
            "target": request_target(request.scope),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "content_type": request.headers.get("content-type", ""),
        }

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(verified_key_id(websocket))
        await websocket.close()

    return app


@pytest.fixture(scope="module")
def server():
    with UvicornThread(make_app(verifier_for("api-auth"))) as running:
        yield running


@pytest.fixture
def client():
    with httpx.Client(trust_env=False, timeout=TIMEOUT) as c:
        yield c


def signed(scheme: str = "api-auth", **kwargs) -> HmacSigAuth:
    return HmacSigAuth(signer_for(scheme, **kwargs))


def test_signed_post_reaches_the_handler_with_key_id_and_body(server, client):
    response = client.post(f"{server.url}/orders?b=2&a=1", json=ORDER, auth=signed())
    assert response.status_code == 200, response.text
    body = json.dumps(ORDER, separators=(",", ":")).encode()
    assert response.json() == {
        "key_id": KEY_ID,
        "state_key_id": KEY_ID,
        "scope_key_id": KEY_ID,
        "method": "POST",
        "target": "/orders?b=2&a=1",
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "content_type": "application/json",
    }


def test_target_is_the_raw_path_and_query(server, client):
    response = client.get(f"{server.url}/a%2Fb/c%20d?y=%7Cx&b=2&a=1", auth=signed())
    assert response.status_code == 200, response.text
    assert response.json()["target"] == "/a%2Fb/c%20d?y=%7Cx&b=2&a=1"


def test_pass_path_goes_through_unsigned(server, client):
    response = client.get(f"{server.url}/health")
    assert (response.status_code, response.text) == (200, "ok")


def test_pass_paths_are_exact(server, client):
    for path in ("/health/", "/health/live", "/healthz", "/Health", "/health;x"):
        response = client.get(f"{server.url}{path}")
        assert response.status_code == 401, path
        assert response.text.startswith("missing_authorization: ")


def test_unsigned_request_is_401_with_a_short_text_body(server, client):
    response = client.post(f"{server.url}/orders", json=ORDER)
    assert response.status_code == 401
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "missing_authorization: the request carries no credentials"


def test_malformed_authorization_is_401(server, client):
    response = client.get(f"{server.url}/orders", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 401
    assert response.text.startswith("malformed_authorization: ")


def test_wrong_secret_is_403_bad_signature(server, client):
    response = client.post(f"{server.url}/orders", json=ORDER, auth=signed(secret="not-the-secret"))
    assert response.status_code == 403
    # The kind and a fixed sentence: no string to sign (tests/test_refusals.py has every kind).
    assert response.text == "bad_signature: the signature does not match"


def test_unknown_key_is_403(server, client):
    response = client.post(f"{server.url}/orders", json=ORDER, auth=signed(key_id="nobody"))
    assert response.status_code == 403
    assert response.text.startswith("unknown_key: ")


def test_body_changed_after_signing_is_403_body_mismatch(server, client):
    request = client.build_request("POST", f"{server.url}/orders", content=b'{"qty":2}', headers={"Content-Type": "application/json"})
    signed().sign(request)
    tampered = client.build_request("POST", f"{server.url}/orders", content=b'{"qty":3}', headers=dict(request.headers))
    response = client.send(tampered)
    assert response.status_code == 403
    assert response.text.startswith("body_mismatch: ")


def test_target_changed_after_signing_is_403(server, client):
    request = client.build_request("GET", f"{server.url}/orders?a=1&b=2")
    signed().sign(request)
    reordered = client.build_request("GET", f"{server.url}/orders?b=2&a=1", headers=dict(request.headers))
    response = client.send(reordered)
    assert response.status_code == 403
    assert response.text.startswith("bad_signature: ")


def test_body_over_the_limit_is_413_and_at_the_limit_verifies(server, client):
    response = client.post(f"{server.url}/upload", content=b"x" * (LIMIT + 1), auth=signed())
    assert response.status_code == 413
    assert response.text == f"the request body is larger than {LIMIT} bytes"
    response = client.post(f"{server.url}/upload", content=b"x" * LIMIT, auth=signed())
    assert response.status_code == 200, response.text


def test_chunked_body_over_the_limit_is_413(server):
    # No Content-Length: the limit applies while the body is read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
        chunk = b"y" * 40
        s.sendall(
            b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2
            + b"0\r\n\r\n"
        )
        answer = b""
        while part := s.recv(4096):
            answer += part
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_chunked_signed_body_verifies(server, client):
    def chunks():
        yield b'{"a":'
        yield b"1}"

    response = client.put(f"{server.url}/upload", content=chunks(), auth=signed("rfc9421"))
    # The server verifies api-auth: an rfc9421 signature is not an api-auth Authorization.
    assert response.status_code == 401
    response = client.put(f"{server.url}/upload", content=chunks(), auth=signed())
    assert response.status_code == 200, response.text
    assert response.json()["body_sha256"] == hashlib.sha256(b'{"a":1}').hexdigest()


@pytest.mark.parametrize("scheme", ["path-body-hex", "timestamped", "aws-sigv4", "rfc9421", "kong-hmac", "hawk"])
def test_other_schemes(scheme, client):
    with UvicornThread(make_app(verifier_for(scheme))) as running:
        response = client.post(f"{running.url}/orders?b=2&a=1", json=ORDER, auth=signed(scheme))
        assert response.status_code == 200, response.text
        assert response.json()["key_id"] == KEY_ID
        assert client.post(f"{running.url}/orders", json=ORDER).status_code == 401


def test_failed_key_lookup_is_503_without_details(client, caplog):
    def lookup(key_id: str) -> str:
        raise ConnectionError("database at db.internal:5432 is down")

    verifier = hmacsig.Verifier.with_lookup(hmacsig.Scheme.api_auth(digest="sha256"), lookup)
    with UvicornThread(make_app(verifier)) as running, caplog.at_level(logging.ERROR, logger="hmacsig"):
        response = client.post(f"{running.url}/orders", json=ORDER, auth=signed())
    assert response.status_code == 503
    assert response.text == "key_lookup_failed: the server could not check the credentials, try again later"
    assert "db.internal" not in response.text
    assert any("db.internal" in r.getMessage() for r in caplog.records)


def test_lifespan_passes_through():
    events = []

    @contextlib.asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        yield
        events.append("shutdown")

    with UvicornThread(make_app(verifier_for("api-auth"), lifespan=lifespan), lifespan="on"):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


def test_behind_a_proxy_that_strips_a_prefix(client):
    # The client calls /api/..., the proxy forwards /..., uvicorn --root-path /api puts the
    # prefix back: pass paths are the app's own, the verified target is the one the client signed.
    with UvicornThread(make_app(verifier_for("api-auth")), root_path="/api") as running:
        response = client.get(f"{running.url}/health")
        assert (response.status_code, response.text) == (200, "ok")
        with signer_for("api-auth") as signer:
            headers = {h.name: h.value for h in signer.sign("GET", "/api/orders?x=1").headers}
        response = client.get(f"{running.url}/orders?x=1", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["target"] == "/api/orders?x=1"


def test_plain_asgi_app_without_starlette(client):
    async def app(scope, receive, send):
        message = await receive()
        text = f"{scope['hmacsig.key_id']} {len(message['body'])}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": text})

    with UvicornThread(HmacSigMiddleware(app, verifier_for("api-auth"))) as running:
        response = client.post(f"{running.url}/x", content=b"12345", auth=signed())
        assert (response.status_code, response.text) == (200, f"{KEY_ID} 5")


def test_header_bytes_beyond_ascii_verify_as_their_latin1_text(client):
    # On the wire a header value is bytes; a signer that sent "café" as latin-1 signed the text
    # "café", and the middleware reads each byte as its latin-1 character, as WSGI does.
    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": scope["hmacsig.key_id"].encode()})

    with signer_for("api-auth") as signer:
        signed_request = signer.sign("POST", "/notes", {"Content-Type": "text/plain; note=café"}, b"hi")
    headers = {"Content-Type": "text/plain; note=café".encode("latin-1")}
    headers.update({h.name: h.value for h in signed_request.headers})
    with UvicornThread(HmacSigMiddleware(app, verifier_for("api-auth"))) as running:
        response = client.post(f"{running.url}/notes", content=b"hi", headers=headers)
        assert (response.status_code, response.text) == (200, KEY_ID)
        headers["Content-Type"] = "text/plain; note=cafe".encode("latin-1")
        response = client.post(f"{running.url}/notes", content=b"hi", headers=headers)
        assert response.status_code == 403, response.text


@pytest.mark.parametrize("shape", [list, tuple])
def test_headers_as_any_asgi_pairs_verify(shape):
    # ASGI allows any iterable of two-item iterables: uvicorn gives tuples, others lists.
    with signer_for("api-auth") as signer:
        signed_request = signer.sign("POST", "/x?a=1", {"Content-Type": "text/plain"}, b"body")
    pairs = [(b"content-type", b"text/plain")] + [(h.name.lower().encode(), h.value.encode()) for h in signed_request.headers]
    sent = []

    async def app(scope, receive, send):
        sent.append(scope["hmacsig.key_id"])

    async def receive():
        return {"type": "http.request", "body": b"body", "more_body": False}

    async def send(message):
        raise AssertionError(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "raw_path": b"/x", "query_string": b"a=1", "headers": shape(shape(p) for p in pairs)}
    asyncio.run(HmacSigMiddleware(app, verifier_for("api-auth"))(scope, receive, send))
    assert sent == [KEY_ID]


def run_in_process(headers: list, messages: list) -> tuple:
    """The middleware on one request, no server: what the app saw (key id, body) and what was sent."""
    seen, sent, queue = [], [], list(messages)

    async def app(scope, receive, send):
        seen.append((scope["hmacsig.key_id"], (await receive())["body"]))

    async def receive():
        return queue.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "raw_path": b"/x", "query_string": b"a=1", "headers": headers}
    asyncio.run(HmacSigMiddleware(app, verifier_for("api-auth"), max_body_bytes=64)(scope, receive, send))
    return seen, sent


def signed_pairs(extra: int = 0) -> list:
    with signer_for("api-auth") as signer:
        signed_request = signer.sign("POST", "/x?a=1", {"Content-Type": "text/plain"}, b"body")
    pairs = [(b"content-type", b"text/plain")] + [(h.name.lower().encode(), h.value.encode()) for h in signed_request.headers]
    return pairs + [(b"x-extra-%d" % i, b"v") for i in range(extra)]


def test_long_header_lists_and_bodies_in_parts_verify():
    # Short and long header lists, and a body in parts: the native entry builds the text from any of them.
    for extra in (0, 60, 100):
        part = {"type": "http.request", "body": b"bo", "more_body": True}
        seen, sent = run_in_process(signed_pairs(extra), [part, {"type": "http.request", "body": b"dy"}])
        assert (seen, sent) == ([(KEY_ID, b"body")], []), extra
    too_large = [{"type": "http.request", "body": b"x" * 40, "more_body": True}, {"type": "http.request", "body": b"x" * 40}]
    seen, sent = run_in_process(signed_pairs(), too_large)
    assert (seen, sent[0]["status"]) == ([], 413)
    seen, sent = run_in_process(signed_pairs(), [{"type": "http.request", "body": b"bo", "more_body": True}, {"type": "http.disconnect"}])
    assert (seen, sent) == ([], []), "the client left: nothing verified, nothing answered"
    with pytest.raises(TypeError, match=re.escape("ASGI headers must be (bytes, bytes) pairs")):
        run_in_process(signed_pairs() + [(b"x-a", b"a", b"b")], [{"type": "http.request", "body": b"body"}])


def websocket_headers(target: str, secret: str = SECRET) -> dict:
    with signer_for("api-auth", secret=secret) as signer:
        signed_request = signer.sign("GET", target, {"Host": "testserver"})
    return {h.name: h.value for h in signed_request.headers}


def test_websocket_handshake_is_verified():
    app = make_app(verifier_for("api-auth"))
    with TestClient(app) as test_client:
        with test_client.websocket_connect("/ws", headers=websocket_headers("/ws")) as ws:
            assert ws.receive_text() == KEY_ID
        # The test client offers the websocket.http.response extension: a real status and body.
        with pytest.raises(WebSocketDenialResponse) as refused:
            with test_client.websocket_connect("/ws"):
                pass
        assert refused.value.status_code == 401
        assert refused.value.text == "missing_authorization: the request carries no credentials"
        with pytest.raises(WebSocketDenialResponse) as refused:
            with test_client.websocket_connect("/ws", headers=websocket_headers("/ws", secret="wrong")):
                pass
        assert refused.value.status_code == 403
        assert refused.value.text == "bad_signature: the signature does not match"


def run_websocket_refusal(extensions: dict, headers: tuple = (), **options) -> list:
    async def app(scope, receive, send):
        raise AssertionError("not reached")

    sent = []

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "extensions": extensions,
    }
    asyncio.run(HmacSigMiddleware(app, verifier_for("api-auth"), **options)(scope, receive, send))
    return sent


def test_refused_websocket_without_the_extension_is_closed_with_1008():
    [close] = run_websocket_refusal({})
    assert close["type"] == "websocket.close" and close["code"] == 1008
    assert close["reason"].startswith("missing_authorization: ")


def test_websocket_close_reason_fits_in_123_bytes():
    # With expose_string_to_sign the reason quotes the header: clipped to whole UTF-8 characters.
    header = [(b"authorization", "Bearer é".encode("utf-8") * 100)]
    [close] = run_websocket_refusal({}, header, expose_string_to_sign=True)
    assert close["reason"].startswith("malformed_authorization: ")
    assert 100 < len(close["reason"].encode("utf-8")) <= 123
    [close] = run_websocket_refusal({}, header)
    assert close["reason"] == "malformed_authorization: the credentials header cannot be read"


def test_refused_websocket_with_the_extension_gets_status_and_body():
    start, body = run_websocket_refusal({"websocket.http.response": {}})
    assert start["type"] == "websocket.http.response.start" and start["status"] == 401
    assert body["body"] == b"missing_authorization: the request carries no credentials"


def test_verified_key_id_without_the_middleware_is_a_lookup_error():
    with pytest.raises(LookupError, match="no verified key id"):
        verified_key_id(SimpleNamespace(scope={}))  # type: ignore[arg-type]


def test_options_are_checked():
    with pytest.raises(TypeError, match="takes an hmacsig.Verifier"):
        HmacSigMiddleware(lambda *a: None, "verifier")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not one str"):
        HmacSigMiddleware(lambda *a: None, verifier_for("api-auth"), pass_paths="/health")
    with pytest.raises(ValueError, match="starting with '/'"):
        HmacSigMiddleware(lambda *a: None, verifier_for("api-auth"), pass_paths=["health"])
    with pytest.raises(ValueError, match="max_body_bytes"):
        HmacSigMiddleware(lambda *a: None, verifier_for("api-auth"), max_body_bytes=-1)
