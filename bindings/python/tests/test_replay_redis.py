"""ReplayGuard.redis against a real redis-server started here on loopback (Debian's; cargo xtask
test installs it): two verifiers with their own guards, like two workers of one server, refuse a
request the other accepted; a Redis that is down fails closed with 503."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

import hmacsig
from hmacsig import HmacSigError, ReplayGuard, Scheme, Signer, Verifier
from loopback import redis_server


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_two_workers_share_one_guard(redis_url: str) -> None:
    scheme = Scheme.timestamped()
    with Signer(scheme, hmacsig.Credentials("client-1", "secret")) as signer:
        now = int(time.time())
        signed = signer.sign("POST", "/orders", [("Host", "a.example")], b"{}", now=now)
    headers = [("Host", "a.example"), *((h.name, h.value) for h in signed.headers)]
    workers = [
        Verifier.with_keys(scheme, {"client-1": "secret"}, replay_guard=ReplayGuard.redis(redis_url, namespace="orders"))
        for _ in range(2)
    ]
    assert workers[0].verify("POST", "/orders", headers, b"{}", now=now) == "client-1"
    with pytest.raises(HmacSigError.Replayed):
        workers[1].verify("POST", "/orders", headers, b"{}", now=now)
    guard = ReplayGuard.redis(redis_url, namespace="orders")
    assert isinstance(guard, ReplayGuard) and len(guard) == 1


def test_a_redis_that_is_down_fails_closed(redis_url: str) -> None:
    closed = ReplayGuard.redis(redis_url.replace(redis_url.rsplit(":", 1)[1], "1/"), namespace="x")
    with pytest.raises(HmacSigError.KeyLookupFailed) as info:
        closed.check("k", "sig")
    assert hmacsig.http_status(info.value) == 503
    ReplayGuard.redis(redis_url.replace(redis_url.rsplit(":", 1)[1], "1/"), namespace="x", fail_open=True).check("k", "sig")
