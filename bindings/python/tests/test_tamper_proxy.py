"""tests/e2e/python/tamper_proxy.py (used by the end-to-end phase) changes exactly one thing:
run as its CLI in front of a recording server on 127.0.0.1."""

from __future__ import annotations

import pathlib
import socket
import subprocess
import sys

import pytest

from loopback import TIMEOUT, VerifyingServer

PROXY = pathlib.Path(__file__).resolve().parents[3] / "tests" / "e2e" / "python" / "tamper_proxy.py"


@pytest.fixture(scope="module")
def upstream():
    with VerifyingServer(None) as server:  # records, answers 200 "not verified"
        yield server


@pytest.fixture(scope="module")
def proxy(upstream):
    process = subprocess.Popen(
        [sys.executable, str(PROXY), "--port", "0", "--upstream", upstream.url],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stderr.readline()  # "tamper_proxy: http://127.0.0.1:PORT -> ..."
        assert line.startswith("tamper_proxy: http://127.0.0.1:"), line
        yield int(line.split(":")[3].split()[0])
    finally:
        process.terminate()
        process.wait(TIMEOUT)
        process.stderr.close()


def exchange(port: int, *requests: bytes) -> bytes:
    """Sends the requests on one connection (the last with Connection: close); returns all answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        for request in requests:
            s.sendall(request)
        answer = b""
        while part := s.recv(65536):
            answer += part
    return answer


def test_body_last_byte_low_bit_flipped(proxy, upstream):
    answer = exchange(
        proxy,
        b"POST /orders?id=7 HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nX-Sig: abc\r\n"
        b"Content-Length: 9\r\nConnection: close\r\n\r\n{\"id\":7}a",
    )
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"not verified")
    received = upstream.last()
    assert (received.method, received.target, received.body) == ("POST", "/orders?id=7", b'{"id":7}`')
    assert received.headers == [
        ("Host", "h"),
        ("Content-Type", "application/json"),
        ("X-Sig", "abc"),
        ("Content-Length", "9"),
        ("Connection", "close"),
    ]


def test_empty_body_gets_x_appended_to_the_path(proxy, upstream):
    exchange(proxy, b"GET /items?b=2&a=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert upstream.last().target == "/itemsx?b=2&a=1"
    exchange(proxy, b"DELETE /items HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert upstream.last().target == "/itemsx"


def test_chunked_body_flips_the_last_data_byte(proxy, upstream):
    exchange(
        proxy,
        b"PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    )
    assert (upstream.last().target, upstream.last().body) == ("/up", b"abcdd")


def test_health_is_forwarded_unchanged(proxy, upstream):
    exchange(proxy, b"GET /health HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert upstream.last().target == "/health"


def test_keep_alive_and_expect_continue(proxy, upstream):
    answer = exchange(
        proxy,
        b"POST /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
        b"GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")
    assert answer.count(b"HTTP/1.1 200 ") == 2
    assert [(r.target, r.body) for r in upstream.received[-2:]] == [("/a", b"hh"), ("/bx", b"")]
