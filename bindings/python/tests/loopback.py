"""Real servers on 127.0.0.1 for the integration tests, each in a thread on an ephemeral port.

- ``VerifyingServer``: a standard-library HTTP server, independent of the middlewares, that
  records every request exactly as it arrived (request line, header lines, body bytes) and
  verifies it with a ``hmacsig.Verifier``. It answers ``200`` with JSON (the key id, the target
  and headers as received, the body's SHA-256) or the refusal ``<kind>: <reason>``.
- ``UvicornThread``: an ASGI app under uvicorn.
- ``WerkzeugThread``: a WSGI app under Werkzeug's server (what ``flask run`` uses).
- ``redis_server``: a real ``redis-server`` process (Debian's; ``cargo xtask test`` installs it),
  without persistence, yielding its ``redis://`` URL.

Every server is stopped by its context manager; nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import contextlib
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import hmacsig

TIMEOUT = 10


@dataclass
class Received:
    """One request as the server read it off the socket."""

    method: str
    target: str
    headers: List[Tuple[str, str]]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None


@dataclass
class Route:
    """A canned answer for a path (e.g. a redirect), instead of verifying."""

    status: int
    headers: Dict[str, str] = field(default_factory=dict)


class VerifyingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, verifier: Optional[hmacsig.Verifier]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.verifier = verifier
        self.received: List[Received] = []
        self.routes: Dict[str, Route] = {}
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def last(self) -> Received:
        assert self.received, "the server received nothing"
        return self.received[-1]

    def __enter__(self) -> "VerifyingServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(TIMEOUT)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: VerifyingServer

    def do_GET(self) -> None:
        body = self._read_body()
        received = Received(self.command, self.path, list(self.headers.items()), body)
        self.server.received.append(received)
        route = self.server.routes.get(self.path.partition("?")[0])
        if route is not None:
            self._reply(route.status, "text/plain", b"", route.headers)
            return
        if self.server.verifier is None:
            self._reply(200, "text/plain", b"not verified")
            return
        try:
            key_id = self.server.verifier.verify(self.command, self.path, received.headers, body)
        except hmacsig.HmacSigError as e:
            self._reply(hmacsig.http_status(e), "text/plain", f"{e.kind}: {e}".encode())
            return
        answer = {"key_id": key_id, "target": self.path, "body_sha256": hashlib.sha256(body).hexdigest()}
        self._reply(200, "application/json", json.dumps(answer).encode())

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _reply(self, status: int, content_type: str, data: bytes, headers: Optional[Dict[str, str]] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _wait(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not start within {TIMEOUT} s")
        time.sleep(0.02)


class UvicornThread:
    """``with UvicornThread(app) as server:`` serves ``app`` on ``server.url``."""

    def __init__(self, app: object, **config: object) -> None:
        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        options: Dict[str, object] = {"lifespan": "off", "log_level": "warning", "access_log": False}
        options.update(config)
        self.server = uvicorn.Server(uvicorn.Config(app, **options))  # type: ignore[arg-type]
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "UvicornThread":
        self._thread.start()
        _wait(lambda: self.server.started or not self._thread.is_alive(), "uvicorn")
        assert self.server.started, "uvicorn failed to start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(TIMEOUT)
        self._socket.close()


class WerkzeugThread:
    """``with WerkzeugThread(wsgi_app) as server:`` serves it on ``server.url``."""

    def __init__(self, app: object) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def __enter__(self) -> "WerkzeugThread":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(TIMEOUT)


# --- The seven schemes, as the integration tests sign and verify them -------------------------

SCHEMES: Dict[str, Callable[[], hmacsig.Scheme]] = {
    "api-auth": lambda: hmacsig.Scheme.api_auth(digest="sha256"),
    "path-body-hex": lambda: hmacsig.Scheme.path_body_hex(),
    # Signs https:// + Host + target; the verifier's default rebuilds the same URL.
    "timestamped": lambda: hmacsig.Scheme.timestamped(),
    "aws-sigv4": lambda: hmacsig.Scheme.aws_sigv4("us-east-1", "execute-api", sign_body=True),
    "rfc9421": lambda: hmacsig.Scheme.rfc9421(
        components=["@method", "@authority", "@target-uri"], content_digest=hmacsig.ContentDigest.SHA256
    ),
    # The body covered: a signed Digest, checked by the verifier's policy (POLICIES).
    "kong-hmac": lambda: hmacsig.Scheme.kong_hmac(headers=["date", "@request-target", "digest"], digest=True),
    # Signs the absolute URL (Scheme.signs_absolute_url); the middlewares verify scheme://Host/target.
    "hawk": lambda: hmacsig.Scheme.hawk(ext="integration"),
}

# Verifier policies other than a scheme's defaults.
POLICIES: Dict[str, Callable[[], hmacsig.Policy]] = {
    "kong-hmac": lambda: hmacsig.Policy.kong_hmac(validate_request_body=True),
}

KEY_ID = "client-7"
SECRET = "s3cr3t-for-tests"


def signer_for(scheme_name: str, secret: str = SECRET, key_id: str = KEY_ID) -> hmacsig.Signer:
    return hmacsig.Signer(SCHEMES[scheme_name](), hmacsig.Credentials(key_id, secret))


def verifier_for(scheme_name: str, **options: object) -> hmacsig.Verifier:
    if scheme_name in POLICIES:
        options.setdefault("policy", POLICIES[scheme_name]())
    return hmacsig.Verifier.with_keys(SCHEMES[scheme_name](), {KEY_ID: SECRET}, **options)  # type: ignore[arg-type]


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Starts redis-server on a free loopback port, yields its URL, and kills it afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/"
    finally:
        server.kill()
        server.wait()
