"""Clock-skew correction in the requests and httpx integrations (opt-in): a server whose clock is
an hour ahead refuses the first request as stale and sends its Date; the client learns the offset,
signs again and sends once more, and signs later requests at the corrected time."""

from __future__ import annotations

import email.utils
import http.server
import threading
import time
from typing import Iterator, List

import httpx
import pytest
import requests

import hmacsig
from hmacsig.httpx import HmacSigAuth as HttpxAuth
from hmacsig.requests import HmacSigAuth as RequestsAuth

AHEAD = 3600
SCHEME = hmacsig.Scheme.api_auth(digest="sha256")


class SkewedServer(http.server.ThreadingHTTPServer):
    """Verifies api-auth with a clock AHEAD seconds ahead of this machine's."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.verifier = hmacsig.Verifier.with_keys(SCHEME, {"client-1": "secret"})
        self.seen: List[int] = []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: SkewedServer = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = int(time.time()) + AHEAD
        try:
            server.verifier.verify(self.command, self.path, list(self.headers.items()), body, now=now)
            status, text = 200, "ok"
        except hmacsig.HmacSigError as e:
            status, text = hmacsig.http_status(e), f"{e.kind}: refused"
        if status == 200 and self.path == "/old":
            status, text = 307, ""
        server.seen.append(status)
        data = text.encode()
        self.send_response(status)
        if status == 307:
            self.send_header("Location", "/orders")
        self.send_header("Date", email.utils.formatdate(now, usegmt=True))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def date_time_string(self, timestamp: object = None) -> str:  # the Date above is the only one
        return email.utils.formatdate(int(time.time()) + AHEAD, usegmt=True)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[SkewedServer]:
    s = SkewedServer()
    thread = threading.Thread(target=s.serve_forever, daemon=True)
    thread.start()
    try:
        yield s
    finally:
        s.shutdown()
        s.server_close()


def url(server: SkewedServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/orders"


def test_requests_learns_the_offset_and_retries_once(server: SkewedServer) -> None:
    with hmacsig.Signer(SCHEME, hmacsig.Credentials("client-1", "secret")) as signer:
        plain = requests.post(url(server), data=b'{"id":1}', auth=RequestsAuth(signer), timeout=5)
        assert (plain.status_code, plain.text) == (403, "stale: refused")
        auth = RequestsAuth(signer, correct_clock_skew=True)
        first = requests.post(url(server), data=b'{"id":2}', auth=auth, timeout=5)
        assert (first.status_code, [r.status_code for r in first.history]) == (200, [403])
        server.seen.clear()
        later = requests.post(url(server), data=b'{"id":3}', auth=auth, timeout=5)
        assert (later.status_code, server.seen) == (200, [200]), "signed at the corrected time: one request"


def test_httpx_learns_the_offset_and_retries_once(server: SkewedServer) -> None:
    with hmacsig.Signer(SCHEME, hmacsig.Credentials("client-1", "secret")) as signer:
        with httpx.Client(auth=HttpxAuth(signer, correct_clock_skew=True)) as client:
            first = client.post(url(server), content=b'{"id":4}')
            assert (first.status_code, [r.status_code for r in first.history]) == (200, [403])
            server.seen.clear()
            assert client.post(url(server), content=b'{"id":5}').status_code == 200
            assert server.seen == [200]
        with httpx.Client(auth=HttpxAuth(signer)) as client:
            assert client.post(url(server), content=b'{"id":6}').status_code == 403, "off by default"


def test_a_refusal_for_another_reason_is_not_retried(server: SkewedServer) -> None:
    with hmacsig.Signer(SCHEME, hmacsig.Credentials("client-1", "wrong")) as signer:
        response = requests.post(url(server), data=b"{}", auth=RequestsAuth(signer, correct_clock_skew=True), timeout=5)
    assert (response.status_code, response.history) == (403, [])
    with pytest.raises(TypeError):
        RequestsAuth(signer, correct_clock_skew="yes")  # type: ignore[arg-type]


def test_the_retry_and_its_redirect_are_signed_at_the_corrected_time(server: SkewedServer) -> None:
    # /old answers a verified request with a 307 to /orders, signed again by the auth.
    old = url(server).replace("/orders", "/old")
    with hmacsig.Signer(SCHEME, hmacsig.Credentials("client-1", "secret")) as signer:
        response = requests.post(old, data=b'{"id":7}', auth=RequestsAuth(signer, correct_clock_skew=True), timeout=5)
        # (requests starts the history of a redirect afresh, the refusal is not in it)
        assert (response.status_code, [r.status_code for r in response.history]) == (200, [307])
        assert server.seen == [403, 307, 200]
        server.seen.clear()
        auth = HttpxAuth(signer, correct_clock_skew=True)
        with httpx.Client(auth=auth, event_hooks=auth.event_hooks, follow_redirects=True) as client:
            response = client.post(old, content=b'{"id":8}')
        assert (response.status_code, [r.status_code for r in response.history]) == (200, [403, 307])
        assert server.seen == [403, 307, 200]
