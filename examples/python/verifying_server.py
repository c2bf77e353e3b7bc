#!/usr/bin/env python3
"""A small HTTP server that verifies signed requests with hmacsig (standard library only).

It follows the Sinatra filter of seed 000: every request must carry ``Authorization:
<key_id>:<hex signature>`` over its path, query and (for POST, PUT and PATCH) body, except
routes whose first path segment is listed in ``PUBLIC_ROUTES`` (the filter's ``pass``).
The secrets live in ``ClientDatabase``, the example's stand-in for a real user table,
which ``hmacsig.Verifier`` asks through the ``hmacsig.KeyLookup`` interface.

Answers, all ``text/plain``:

- 200 with the verified key id;
- 401 (no usable credentials) or 403 (credentials refused) with the error message;
- 503 when the client database is down (its details go to the log, not to the client).

Run it and send it a signed request::

    python examples/python/verifying_server.py --port 8080
    python - <<'EOF'
    import urllib.request, hmacsig
    signer = hmacsig.Signer(hmacsig.Scheme.path_body_hex(), hmacsig.Credentials("quotes-app", "s3cr3t-token"))
    signed = signer.sign("GET", "/quotes?limit=5")
    request = urllib.request.Request("http://127.0.0.1:8080/quotes?limit=5", headers={h.name: h.value for h in signed.headers})
    print(urllib.request.urlopen(request).read().decode())
    EOF

``--scheme timestamped`` uses the timestamped scheme instead (seed 001: ``X-Request-*``
headers, the full URL signed, a 300 s window), with a replay guard; the client then signs
the absolute URL, ``http://127.0.0.1:8080/quotes?limit=5``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Mapping, Optional, Sequence, cast
from urllib.parse import urlsplit

import hmacsig

DEFAULT_SCHEME = "path-body-hex"
"""``path-body-hex`` (seed 000) or ``timestamped`` (seed 001)."""

SCHEMES = ("path-body-hex", "timestamped")

PUBLIC_ROUTES = frozenset({"ping"})
"""First path segments that pass unsigned (``/ping``, ``/ping/...``)."""

DEMO_CLIENTS: Mapping[str, str] = {"quotes-app": "s3cr3t-token", "licensing": "another-token"}
"""The clients the example's database starts with: public key id -> secret token."""

MAX_BODY = 1 << 20
"""Largest request body read, in bytes."""


class ClientDatabase(hmacsig.KeyLookup):
    """Where the server keeps its clients' secrets: an in-memory table here, a real
    database in production (where the secrets would be stored encrypted, as the seed says).

    ``secret_for`` returns ``None`` for an unknown client; it raises when the table cannot
    be read (``available = False`` simulates an outage), which the verifier reports as
    ``key_lookup_failed`` (503), never as a client error.
    """

    def __init__(self, clients: Mapping[str, str]) -> None:
        self._clients: Dict[str, str] = dict(clients)
        self._lock = threading.Lock()
        self.available = True

    def add(self, key_id: str, secret: str) -> None:
        with self._lock:
            self._clients[key_id] = secret

    def secret_for(self, key_id: str) -> Optional[bytes]:
        if not self.available:
            raise ConnectionError("the client database is unavailable")
        with self._lock:
            secret = self._clients.get(key_id)
        return None if secret is None else secret.encode("utf-8")


class VerifyingServer(ThreadingHTTPServer):
    """An HTTP server that holds one ``hmacsig.Verifier`` for all its threads."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        scheme: str = DEFAULT_SCHEME,
        clients: Mapping[str, str] = DEMO_CLIENTS,
        public_base_url: Optional[str] = None,
        quiet: bool = False,
    ) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
        super().__init__(address, VerifyingHandler)
        self.quiet = quiet
        self.database = ClientDatabase(clients)
        self.scheme_name = scheme
        self.public_base_url: Optional[str] = None
        if scheme == "path-body-hex":
            # No timestamp, so no replay window: the seed's scheme, as it is.
            self.verifier = hmacsig.Verifier.with_lookup(hmacsig.Scheme.path_body_hex(), self.database)
        else:
            # The server rebuilds the URL the client signed from this base and the request
            # target; by default the address it listens on.
            host, port = self.server_address[:2]
            self.public_base_url = public_base_url or f"http://{host!s}:{port}"
            self.verifier = hmacsig.Verifier.with_lookup(
                hmacsig.Scheme.timestamped(),
                self.database,
                policy=hmacsig.Policy.timestamped(public_base_url=self.public_base_url),
                replay_guard=hmacsig.ReplayGuard(),
            )

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class VerifyingHandler(BaseHTTPRequestHandler):
    server_version = "hmacsig-example/1"

    def do_GET(self) -> None:
        self.handle_request()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def handle_request(self) -> None:
        server = cast(VerifyingServer, self.server)
        body = self.read_body()
        if body is None:
            return
        path = urlsplit(self.path).path
        segments = path.split("/")
        if len(segments) > 1 and segments[1] in PUBLIC_ROUTES:
            self.reply(200, "pong: no signature needed")
            return
        try:
            key_id = server.verifier.verify(self.command, self.path, self.headers.items(), body)
        except hmacsig.HmacSigError as e:
            status = hmacsig.http_status(e)
            if status >= 500:
                # The client did nothing wrong; the details are for the operator.
                self.log_error("key lookup failed: %s", e)
                self.reply(status, "the client database is unavailable; try again later")
            else:
                # The client learns the kind of refusal, never the server's diagnosis (the
                # string to sign holds the rebuilt URL and, for some schemes, the body).
                self.log_message("refused: %s: %s", e.kind, e)
                self.reply(status, e.kind)
            return
        self.reply(200, f"verified: {key_id}")

    def read_body(self) -> Optional[bytes]:
        """The request body, or ``None`` after answering a request whose body cannot be read."""
        if "Transfer-Encoding" in self.headers:
            self.reply(411, "send a Content-Length, not a chunked body")
            return None
        length_text = self.headers.get("Content-Length", "0").strip()
        if not length_text.isdigit():
            self.reply(400, "bad Content-Length")
            return None
        length = int(length_text)
        if length > MAX_BODY:
            self.reply(413, "the body is too large")
            return None
        return self.rfile.read(length)

    def reply(self, status: int, text: str) -> None:
        data = (text + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        if not cast(VerifyingServer, self.server).quiet:
            super().log_message(format, *args)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on, 0 for any (default: %(default)s)")
    parser.add_argument("--scheme", choices=SCHEMES, default=DEFAULT_SCHEME, help="signing scheme (default: %(default)s)")
    parser.add_argument("--public-base-url", help="timestamped: the URL clients sign (default: the listening address)")
    args = parser.parse_args(argv)
    with VerifyingServer((args.host, args.port), args.scheme, public_base_url=args.public_base_url) as server:
        print(f"{server.scheme_name} server on {server.url}; clients: {', '.join(DEMO_CLIENTS)}", file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
