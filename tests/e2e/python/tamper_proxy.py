"""The end-to-end tamper proxy of tests/e2e/README.md: forwards each HTTP/1.1 request to the
upstream server after changing exactly one thing, and relays the answer.

    python tests/e2e/python/tamper_proxy.py --port 8001 --upstream http://127.0.0.1:8000

- a request with a body: the low bit of the body's last byte is flipped (length unchanged; in a
  chunked body, the last byte of the last data chunk);
- a request without one: ``x`` is appended to the path (before any ``?``);
- ``/health`` is forwarded unchanged, so the proxy can be health-checked through.

Everything else (request line, header lines, framing) is forwarded byte for byte; responses are
relayed byte for byte. Keep-alive connections are kept, one upstream connection per client
connection. Standard library only; listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

HEAD_LIMIT = 64 * 1024
UNTOUCHED_PATHS = frozenset({"/health"})


class Head:
    """A request or status line and its header lines, as received."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        lines = raw[:-4].split(b"\r\n")
        self.start = lines[0]
        self.headers: List[Tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            self.headers.append((name.strip().lower(), value.strip()))

    def get(self, name: bytes) -> Optional[bytes]:
        for n, v in self.headers:
            if n == name:
                return v
        return None

    def chunked(self) -> bool:
        return b"chunked" in (self.get(b"transfer-encoding") or b"").lower()

    def content_length(self) -> int:
        value = self.get(b"content-length")
        return int(value) if value is not None else 0

    def closes(self) -> bool:
        return (self.get(b"connection") or b"").lower() == b"close"


async def read_head(reader: asyncio.StreamReader) -> Optional[Head]:
    """The next head, or None when the peer closed between messages."""
    try:
        return Head(await reader.readuntil(b"\r\n\r\n"))
    except asyncio.IncompleteReadError as e:
        if e.partial:
            raise
        return None


async def read_chunked(reader: asyncio.StreamReader) -> Tuple[bytes, Optional[int]]:
    """A chunked body as received (framing included), and the offset of its last data byte."""
    raw = b""
    last: Optional[int] = None
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip(), 16)
        raw += size_line
        if size == 0:
            while True:  # trailers, up to the empty line
                line = await reader.readuntil(b"\r\n")
                raw += line
                if line == b"\r\n":
                    return raw, last
        raw += await reader.readexactly(size)
        last = len(raw) - 1
        raw += await reader.readexactly(2)


async def read_body(reader: asyncio.StreamReader, head: Head) -> Tuple[bytes, Optional[int]]:
    """A request body as received, and the offset of its last byte (None when empty)."""
    if head.chunked():
        return await read_chunked(reader)
    body = await reader.readexactly(head.content_length())
    return body, (len(body) - 1 if body else None)


def tamper(head: Head, body: bytes, last: Optional[int]) -> Tuple[bytes, bytes]:
    method, target, version = head.start.split(b" ", 2)
    if target.split(b"?", 1)[0].decode("latin-1") in UNTOUCHED_PATHS:
        return head.raw, body
    if last is not None:
        flipped = bytes([body[last] ^ 1])
        return head.raw, body[:last] + flipped + body[last + 1 :]
    path, question, query = target.partition(b"?")
    request_line = b" ".join([method, path + b"x" + question + query, version])
    return request_line + head.raw[len(head.start) :], body


async def relay_response(upstream: asyncio.StreamReader, client: asyncio.StreamWriter, method: bytes) -> bool:
    """Relays one final response; returns whether the connection must close after it."""
    while True:
        head = await read_head(upstream)
        if head is None:
            return True
        status = int(head.start.split(b" ")[1])
        if 100 <= status < 200:
            continue  # interim answers (100 Continue) were given to the client by the proxy
        client.write(head.raw)
        if method == b"HEAD" or status in (204, 304):
            pass
        elif head.chunked():
            client.write((await read_chunked(upstream))[0])
        elif head.get(b"content-length") is not None:
            client.write(await upstream.readexactly(head.content_length()))
        else:
            client.write(await upstream.read())  # delimited by the connection's end
            await client.drain()
            return True
        await client.drain()
        return head.closes()


async def serve_connection(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter, upstream_host: str, upstream_port: int) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(upstream_host, upstream_port, limit=HEAD_LIMIT)
    except OSError as e:
        text = f"tamper_proxy: upstream unreachable: {e}".encode()
        client_writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(text), text))
        await client_writer.drain()
        client_writer.close()
        return
    try:
        while True:
            head = await read_head(client_reader)
            if head is None:
                return
            if (head.get(b"expect") or b"").lower() == b"100-continue":
                client_writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await client_writer.drain()
            body, last = await read_body(client_reader, head)
            new_head, new_body = tamper(head, body, last)
            upstream_writer.write(new_head + new_body)
            await upstream_writer.drain()
            method = head.start.split(b" ", 1)[0]
            if await relay_response(upstream_reader, client_writer, method) or head.closes():
                return
    except (asyncio.IncompleteReadError, ConnectionError, ValueError) as e:
        print(f"tamper_proxy: connection dropped: {type(e).__name__}: {e}", file=sys.stderr)
    finally:
        for writer in (upstream_writer, client_writer):
            writer.close()


async def main_async(port: int, upstream: str) -> None:
    parts = urlsplit(upstream)
    if parts.scheme != "http" or parts.hostname is None:
        raise SystemExit(f"tamper_proxy: --upstream must be an http:// URL, not {upstream!r}")
    upstream_host, upstream_port = parts.hostname, parts.port or 80

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_connection(reader, writer, upstream_host, upstream_port)

    server = await asyncio.start_server(on_client, "127.0.0.1", port, limit=HEAD_LIMIT)
    bound = server.sockets[0].getsockname()[1]
    print(f"tamper_proxy: http://127.0.0.1:{bound} -> {upstream}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Forward requests to UPSTREAM after changing one byte or the path.")
    parser.add_argument("--port", type=int, required=True, help="port to listen on, on 127.0.0.1 (0: any)")
    parser.add_argument("--upstream", required=True, help="the server to forward to, http://127.0.0.1:PORT")
    args = parser.parse_args(argv)
    try:
        asyncio.run(main_async(args.port, args.upstream))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
