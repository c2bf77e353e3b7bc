"""The end-to-end skewed server of tests/e2e/README.md: verifies api-auth (sha256) with hmacsig at
a clock AHEAD (3600) seconds ahead of this machine's, so that a client's clock-skew correction is
tested over real HTTP.

    HMACSIG_E2E_KEY_ID=e2e-client HMACSIG_E2E_SECRET=... \\
        python tests/e2e/python/skewed_server.py --port 8002

- ``GET /health`` passes unsigned: ``200``, body ``ok``.
- Any other path is verified at the skewed clock, whatever the method: ``200`` with body ``ok``,
  or ``http_status(e)`` with body ``<kind>: refused`` (a client signing at the machine's clock
  gets ``403`` ``stale: refused``). Bodies are ``text/plain; charset=utf-8``.
- Every answer has exactly one ``Date``, at the skewed clock: what a client learns its offset from.
- Every answer to a verified path carries ``X-Seen``: the statuses this server has answered for
  that path (the target without its query), oldest first, this answer's last, joined by ``,``
  (``403,200``). A test reads what the server saw from its last answer, with no second
  endpoint; a path of its own (a fresh UUID in it) keeps it apart from other tests and runs.

Standard library and hmacsig only; listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import email.utils
import http.server
import os
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence

import hmacsig

AHEAD = 3600
SCHEME = hmacsig.Scheme.api_auth(digest="sha256")


def key_from_env() -> Dict[str, str]:
    """The one key the server accepts: HMACSIG_E2E_KEY_ID, HMACSIG_E2E_SECRET (its UTF-8 bytes)."""
    try:
        return {os.environ["HMACSIG_E2E_KEY_ID"]: os.environ["HMACSIG_E2E_SECRET"]}
    except KeyError as missing:
        raise SystemExit(f"skewed_server: set {missing.args[0]} (see tests/e2e/README.md)") from None


def skewed_now() -> int:
    return int(time.time()) + AHEAD


class SkewedServer(http.server.ThreadingHTTPServer):
    """Verifies at the skewed clock and records the statuses it answered, per path."""

    def __init__(self, port: int, keys: Dict[str, str]) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.verifier = hmacsig.Verifier.with_keys(SCHEME, keys)
        self.seen: Dict[str, List[int]] = {}
        self.seen_lock = threading.Lock()  # ThreadingHTTPServer answers each connection on its own thread

    def record(self, path: str, status: int) -> str:
        """Appends `status` to what `path` saw; returns the X-Seen value after it."""
        with self.seen_lock:
            statuses = self.seen.setdefault(path, [])
            statuses.append(status)
            return ",".join(str(s) for s in statuses)


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 with Content-Length on every answer: URLSession may keep the connection.
    protocol_version = "HTTP/1.1"

    def answer(self) -> None:
        server: SkewedServer = self.server  # type: ignore[assignment]
        body = self.read_body()
        path = self.path.split("?", 1)[0]
        if self.command == "GET" and path == "/health":
            self.reply(200, "ok", None)
            return
        now = skewed_now()
        try:
            server.verifier.verify(self.command, self.path, list(self.headers.items()), body, now=now)
            status, text = 200, "ok"
        except hmacsig.HmacSigError as e:
            status, text = hmacsig.http_status(e), f"{e.kind}: refused"
        self.reply(status, text, server.record(path, status))

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()  # the CRLF after the chunk

    def reply(self, status: int, text: str, seen: Optional[str]) -> None:
        data = text.encode()
        self.send_response(status)  # adds Server and the one Date (date_time_string below)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if seen is not None:
            self.send_header("X-Seen", seen)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = answer

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        """The Date of every answer: the skewed clock, never the machine's."""
        return email.utils.formatdate(skewed_now(), usegmt=True)

    def log_message(self, format: str, *args: object) -> None:
        print(f"skewed_server: {self.address_string()} {format % args}", file=sys.stderr, flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=f"Verify api-auth (sha256) at a clock {AHEAD} s ahead of this machine's.")
    parser.add_argument("--port", type=int, required=True, help="port to listen on, on 127.0.0.1 (0: any)")
    args = parser.parse_args(argv)
    server = SkewedServer(args.port, key_from_env())
    print(f"skewed_server: http://127.0.0.1:{server.server_address[1]}, {AHEAD} s ahead", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
