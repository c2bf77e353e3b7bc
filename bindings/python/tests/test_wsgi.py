"""hmacsig.wsgi.HmacSigMiddleware in a Flask app under Werkzeug's server, over real HTTP on
127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import socket

import pytest
import requests
from flask import Flask, request

import hmacsig
from hmacsig.requests import HmacSigAuth
from hmacsig.wsgi import HmacSigMiddleware, request_target, verified_key_id
from loopback import KEY_ID, TIMEOUT, WerkzeugThread, signer_for, verifier_for

ORDER = {"item": "book", "qty": 2}
LIMIT = 64


def make_app(verifier: hmacsig.Verifier, forget_raw_target: bool = False) -> Flask:
    app = Flask(__name__)

    @app.get("/health")
    def health() -> str:
        return "ok"

    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE"])
    def echo(path: str) -> dict:
        body = request.get_data()
        return {
            "key_id": verified_key_id(request.environ),
            "method": request.method,
            "target": request_target(request.environ),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "content_type": request.headers.get("Content-Type", ""),
        }

    wsgi_app = HmacSigMiddleware(app.wsgi_app, verifier, pass_paths=["/health"], max_body_bytes=LIMIT)
    if forget_raw_target:
        # A server that does not give the raw target: the middleware rebuilds it from PATH_INFO.
        def without_raw_target(environ, start_response):
            environ.pop("RAW_URI", None)
            environ.pop("REQUEST_URI", None)
            return wsgi_app(environ, start_response)

        app.wsgi_app = without_raw_target  # type: ignore[method-assign]
    else:
        app.wsgi_app = wsgi_app  # type: ignore[method-assign]
    return app


@pytest.fixture(scope="module")
def server():
    with WerkzeugThread(make_app(verifier_for("api-auth"))) as running:
        yield running


@pytest.fixture
def session():
    with requests.Session() as s:
        s.trust_env = False
        yield s


def signed(scheme: str = "api-auth", **kwargs) -> HmacSigAuth:
    return HmacSigAuth(signer_for(scheme, **kwargs))


def test_signed_post_reaches_the_handler_with_key_id_and_body(server, session):
    response = session.post(f"{server.url}/orders?b=2&a=1", json=ORDER, auth=signed(), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "key_id": KEY_ID,
        "method": "POST",
        "target": "/orders?b=2&a=1",
        "body_sha256": hashlib.sha256(json.dumps(ORDER).encode()).hexdigest(),
        "content_type": "application/json",
    }


def test_target_is_the_raw_uri(server, session):
    response = session.get(f"{server.url}/a%2Fb/c%20d?y=%7Cx&b=2&a=1", auth=signed(), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.json()["target"] == "/a%2Fb/c%20d?y=%7Cx&b=2&a=1"


def test_pass_path_goes_through_unsigned(server, session):
    response = session.get(f"{server.url}/health", timeout=TIMEOUT)
    assert (response.status_code, response.text) == (200, "ok")
    for path in ("/health/", "/healthz", "/Health"):
        assert session.get(f"{server.url}{path}", timeout=TIMEOUT).status_code == 401, path


def test_unsigned_request_is_401_with_a_short_text_body(server, session):
    response = session.post(f"{server.url}/orders", json=ORDER, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == "missing_authorization: the request carries no credentials"


def test_wrong_secret_is_403_bad_signature(server, session):
    response = session.post(f"{server.url}/orders", json=ORDER, auth=signed(secret="wrong"), timeout=TIMEOUT)
    assert response.status_code == 403
    # The kind and a fixed sentence: no string to sign (tests/test_refusals.py has every kind).
    assert response.text == "bad_signature: the signature does not match"


def test_unknown_key_is_403(server, session):
    response = session.post(f"{server.url}/orders", json=ORDER, auth=signed(key_id="nobody"), timeout=TIMEOUT)
    assert response.status_code == 403
    assert response.text.startswith("unknown_key: ")


def test_body_changed_after_signing_is_403_body_mismatch(server, session):
    prepared = requests.Request("POST", f"{server.url}/orders", data=b'{"qty":2}', headers={"Content-Type": "application/json"}).prepare()
    signed()(prepared)
    prepared.body = b'{"qty":3}'
    response = session.send(prepared, timeout=TIMEOUT)
    assert response.status_code == 403
    assert response.text.startswith("body_mismatch: ")


def test_body_over_the_limit_is_413_and_at_the_limit_verifies(server, session):
    response = session.post(f"{server.url}/upload", data=b"x" * (LIMIT + 1), auth=signed(), timeout=TIMEOUT)
    assert response.status_code == 413
    assert response.text == f"the request body is larger than {LIMIT} bytes"
    response = session.post(f"{server.url}/upload", data=b"x" * LIMIT, auth=signed(), timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def raw_exchange(server, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.server.port), timeout=TIMEOUT) as s:
        s.sendall(data)
        answer = b""
        while part := s.recv(4096):
            answer += part
    return answer


def test_chunked_signed_body_verifies(server):
    body = b'{"a":1}'
    with signer_for("api-auth") as signer:
        headers = signer.sign("PUT", "/upload", {"Content-Type": "application/json"}, body).headers
    head = "".join(f"{h.name}: {h.value}\r\n" for h in headers)
    answer = raw_exchange(
        server,
        f"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{head}"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
        + b"3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert hashlib.sha256(body).hexdigest().encode() in answer


def test_chunked_body_over_the_limit_is_413(server):
    chunk = b"y" * 40
    answer = raw_exchange(
        server,
        b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2
        + b"0\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 413 "), answer


def test_target_rebuilt_from_path_info_without_a_raw_target(session):
    with WerkzeugThread(make_app(verifier_for("path-body-hex"), forget_raw_target=True)) as running:
        response = session.get(f"{running.url}/caf%C3%A9/a%20b?q=%7C1&b=2&a=1", auth=signed("path-body-hex"), timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        assert response.json()["target"] == "/caf%C3%A9/a%20b?q=%7C1&b=2&a=1"


@pytest.mark.parametrize("scheme", ["path-body-hex", "timestamped", "aws-sigv4", "rfc9421", "kong-hmac", "hawk"])
def test_other_schemes(scheme, session):
    with WerkzeugThread(make_app(verifier_for(scheme))) as running:
        response = session.post(f"{running.url}/orders?b=2&a=1", json=ORDER, auth=signed(scheme), timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        assert response.json()["key_id"] == KEY_ID
        assert session.post(f"{running.url}/orders", json=ORDER, timeout=TIMEOUT).status_code == 401


def test_failed_key_lookup_is_503_without_details(session, caplog):
    def lookup(key_id: str) -> str:
        raise ConnectionError("database at db.internal:5432 is down")

    verifier = hmacsig.Verifier.with_lookup(hmacsig.Scheme.api_auth(digest="sha256"), lookup)
    with WerkzeugThread(make_app(verifier)) as running, caplog.at_level(logging.ERROR, logger="hmacsig"):
        response = session.post(f"{running.url}/orders", json=ORDER, auth=signed(), timeout=TIMEOUT)
    assert response.status_code == 503
    assert response.text == "key_lookup_failed: the server could not check the credentials, try again later"
    assert any("db.internal" in r.getMessage() for r in caplog.records)


def call(middleware, environ):
    """Calls a WSGI app directly; returns (status, headers, body)."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    body = b"".join(middleware(environ, start_response))
    return answer["status"], answer["headers"], body


def test_bad_content_length_is_400():
    def app(environ, start_response):
        raise AssertionError("not reached")

    middleware = HmacSigMiddleware(app, verifier_for("api-auth"))
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/x", "CONTENT_LENGTH": "12abc", "wsgi.input": io.BytesIO(b"")}
    status, headers, body = call(middleware, environ)
    assert status == "400 Bad Request"
    assert body == b"invalid_request: the Content-Length is not a number"
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/x", "CONTENT_LENGTH": "10", "wsgi.input": io.BytesIO(b"short")}
    status, headers, body = call(middleware, environ)
    assert status == "400 Bad Request"
    assert body == b"invalid_request: the body is shorter than its Content-Length"


def test_verified_key_id_without_the_middleware_is_a_lookup_error():
    with pytest.raises(LookupError, match="no verified key id"):
        verified_key_id({})


def test_options_are_checked():
    with pytest.raises(TypeError, match="takes an hmacsig.Verifier"):
        HmacSigMiddleware(lambda e, s: [], object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="starting with '/'"):
        HmacSigMiddleware(lambda e, s: [], verifier_for("api-auth"), pass_paths=[""])
