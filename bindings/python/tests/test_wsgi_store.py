"""hmacsig.wsgi.HmacSigMiddleware verifying from a KeyStore (SQLite in a temp dir) with a Redis
replay guard (a redis-server started here on loopback, as in test_replay_redis.py), in a Flask app
under Werkzeug's server over real HTTP on 127.0.0.1 (issue 15)."""

from __future__ import annotations

import base64
import pathlib
from typing import Iterator

import pytest
import requests
from flask import Flask, request

import hmacsig
from hmacsig import KeyStore, ReplayGuard, Scheme, Signer, Verifier
from hmacsig.requests import HmacSigAuth
from hmacsig.wsgi import HmacSigMiddleware, verified_key_id
from loopback import TIMEOUT, WerkzeugThread, redis_server

MASTER = base64.b64encode(bytes(range(3, 35))).decode()
ORDER = {"item": "book", "qty": 2}


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def store_url(tmp_path: pathlib.Path) -> str:
    return f"sqlite:{tmp_path / 'keys.db'}"


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False
        yield s


def scheme() -> Scheme:
    return Scheme.api_auth(digest="sha256")


def make_app(store_url: str, redis_url: str) -> Flask:
    """A Flask app behind the middleware, verifying from the store (opened now) with a Redis guard."""
    verifier = Verifier.with_store(scheme(), KeyStore.open(store_url, master_key=MASTER), replay_guard=ReplayGuard.redis(redis_url, namespace="wsgi"))
    app = Flask(__name__)

    @app.post("/orders")
    def orders() -> dict:
        return {"key_id": verified_key_id(request.environ), "order": request.get_json()}

    app.wsgi_app = HmacSigMiddleware(app.wsgi_app, verifier)  # type: ignore[method-assign]
    return app


def signed_post(url: str, key_id: str, secret: str, order: dict = ORDER) -> requests.PreparedRequest:
    """``POST /orders`` signed once: sending it again sends the very same signature."""
    auth = HmacSigAuth(Signer(scheme(), hmacsig.Credentials(key_id, secret)))
    return requests.Request("POST", f"{url}/orders", json=order, auth=auth).prepare()


def test_store_and_redis_guard_behind_the_wsgi_middleware(store_url: str, redis_url: str, session: requests.Session) -> None:
    first = KeyStore.open(store_url, master_key=MASTER).create("client-1")
    with WerkzeugThread(make_app(store_url, redis_url)) as server, WerkzeugThread(make_app(store_url, redis_url)) as other:
        prepared = signed_post(server.url, "client-1", first)
        response = session.send(prepared, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        assert response.json() == {"key_id": "client-1", "order": ORDER}

        replayed = session.send(prepared, timeout=TIMEOUT)
        assert replayed.status_code == 403
        assert replayed.text.startswith("replayed: "), replayed.text

        # The other server shares the guard in Redis: the same signature is refused there too.
        elsewhere = prepared.copy()
        elsewhere.url = prepared.url.replace(server.url, other.url)
        refused = session.send(elsewhere, timeout=TIMEOUT)
        assert refused.status_code == 403 and refused.text.startswith("replayed: "), refused.text

        unknown = session.send(signed_post(server.url, "nobody", first), timeout=TIMEOUT)
        assert unknown.status_code == 403 and unknown.text.startswith("unknown_key: "), unknown.text

    second = KeyStore.open(store_url, master_key=MASTER).rotate("client-1", 600)
    assert second != first
    # A server that opens the store after the rotation (the cache keeps secrets 30 s).
    with WerkzeugThread(make_app(store_url, redis_url)) as server:
        # The old one during its grace period. Other orders: within one second the same order
        # with the same secret is the same signature, which the guard has already seen.
        for qty, secret in enumerate((second, first), start=3):
            order = {"item": "book", "qty": qty}
            response = session.send(signed_post(server.url, "client-1", secret, order), timeout=TIMEOUT)
            assert response.status_code == 200, response.text
            assert response.json() == {"key_id": "client-1", "order": order}
        wrong = session.send(signed_post(server.url, "client-1", "not-the-secret"), timeout=TIMEOUT)
        assert wrong.status_code == 403 and wrong.text.startswith("bad_signature: "), wrong.text
