"""``asgi_throughput_vs_bare`` of ``cargo xtask bench`` (issue 15 §6), run by xtask in ``target/py-venv``.

Requests per second of a minimal ASGI app under uvicorn with ``hmacsig.asgi.HmacSigMiddleware``
(path-body-hex, keys held by the verifier), against the same app without it, in the same run:

- two uvicorn servers, each its own process (``python -m uvicorn``, 1 worker, ``--http h11
  --loop asyncio``: what the venv has, named so that installing httptools or uvloop changes
  nothing; no access log, ``--log-level warning``, ``--timeout-keep-alive 300`` so that a
  client's connection survives the other server's rounds) on free loopback ports:
  ``bare_app`` and ``hmacsig_app`` below, the same app (it reads the whole body and answers 200
  with the key id it was given, or ``none``);
- the same bounded, closed-loop load on each: ``--clients`` client processes, each with one
  keep-alive connection per server (a raw socket sending each request's pre-built bytes and
  reading the response: ``ClientConnection``), sending POSTs with a small JSON body,
  every one distinct (its own target and body) and signed before any timing; both servers get
  the same signed requests (the bare one ignores the signature);
- after a discarded warm-up, ``--rounds`` rounds per server alternating (ABBA order),
  ``--seconds`` each; a sample is the requests all clients completed in that window / its
  length. xtask divides the medians (``round_ratios`` lists each round's ratio too).

Checks: before timing, an unsigned request to the middleware server gets 401, a tampered body
403, and both servers answer a signed request 200 (``client-1`` from the middleware: it
verified; ``none`` from the bare app); while timing, every response is 200 with that body.

Each case also reports the server's CPU µs per request (``/proc``, 10 ms ticks) and the
clients'. ``client_max``: the same clients against a canned-response server (asyncio, no HTTP
parsing beyond finding the end of each request) for two rounds: what the client side can
generate on this machine when the server costs next to nothing. It should be well above the
bare server's rate, or the bare rate measures the client.

``--profile``: instead, run the middleware server under cProfile for one round of the same load
and print its top functions (cumulative and own time).

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import io
import json
import multiprocessing
import os
import pstats
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional, Tuple, Union

import hmacsig
from hmacsig.asgi import HmacSigMiddleware

KEY_ID = "client-1"
SECRET = "secret"
HERE = os.path.dirname(os.path.abspath(__file__))
APP_MODULE = "asgi_throughput"  # where uvicorn imports the apps from (an experiment may point it elsewhere)
REQUESTS_PER_CLIENT = 4096

# With two CPUs or more, servers run on the first and clients on the others, as if on other
# machines: unpinned, the scheduler moves a server between cores and shares each with clients,
# and runs of the same build differed by up to 0.18 in the ratio (0.77–0.96).
_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
SERVER_CPUS = set(_CPUS[:1]) if len(_CPUS) >= 2 else set()
CLIENT_CPUS = set(_CPUS[1:]) if len(_CPUS) >= 2 else set()


def pin(cpus: set) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)


# ---- the servers' apps (imported by uvicorn as asgi_throughput:bare_app / :hmacsig_app) ----


async def bare_app(scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[MutableMapping[str, Any]]], send: Callable[[MutableMapping[str, Any]], Awaitable[None]]) -> None:
    """The minimal app: reads the whole body, answers 200 ``text/plain`` with the verified key
    id (``none`` without the middleware)."""
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        return
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return
        more = message.get("more_body", False)
    data = scope.get("hmacsig.key_id", "none").encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def verifier() -> hmacsig.Verifier:
    return hmacsig.Verifier.with_keys(hmacsig.Scheme.path_body_hex(), {KEY_ID: SECRET})


hmacsig_app = HmacSigMiddleware(bare_app, verifier())


# ---- requests ----


def body_of(client: int, i: int) -> bytes:
    return json.dumps({"order_id": i, "client": client, "items": [{"sku": "A-1", "qty": 2}], "note": "bench"}, separators=(",", ":")).encode()


def signed_requests(client: int, count: int) -> List[Tuple[str, bytes, Dict[str, str]]]:
    """``count`` distinct signed POSTs for one client: (target, body, headers)."""
    signer = hmacsig.Signer(hmacsig.Scheme.path_body_hex(), hmacsig.Credentials(key_id=KEY_ID, secret=SECRET.encode()))
    out = []
    for i in range(count):
        target = f"/v1/orders?client={client}&n={i}"
        body = body_of(client, i)
        headers = {"Content-Type": "application/json"}
        signed = signer.sign("POST", target, list(headers.items()), body)
        for h in signed.headers:
            headers[h.name] = h.value
        out.append((target, body, headers))
    return out


# ---- client processes ----


def wire_request(target: str, body: bytes, headers: Dict[str, str]) -> bytes:
    """One POST as its bytes on the wire (HTTP/1.1, keep-alive), built before any timing."""
    lines = [f"POST {target} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class ClientConnection:
    """A keep-alive client connection that sends pre-built requests and reads each response
    (status line, headers up to a blank line, then ``Content-Length`` bytes). Deliberately
    cheap (~40 µs of CPU per request, against ~140 µs for ``http.client``): on 2 cores the
    clients compete with the server for CPU, and what they spend lowers both rates alike,
    pulling the ratio towards 1; with cheap clients the server is the bottleneck, as it is when
    its clients run on other machines."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def exchange(self, request: bytes) -> Tuple[bytes, bytes]:
        """Sends ``request``; returns the response's status code and body."""
        self.sock.sendall(request)
        buf = self.buffer
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                head = buf[:end].lower()
                at = head.find(b"\r\ncontent-length:")
                length = int(head[at + 17 : head.find(b"\r\n", at + 2) if head.find(b"\r\n", at + 2) > 0 else None]) if at >= 0 else 0
                if len(buf) >= end + 4 + length:
                    self.buffer = buf[end + 4 + length :]
                    return buf[9:12], buf[end + 4 : end + 4 + length]
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            buf += data

    def close(self) -> None:
        self.sock.close()


def client_main(index: int, pipe: Connection, ports: Dict[str, int]) -> None:
    """One client: signs its requests, then on each ``(server, start, stop)`` command sends them
    in turn over its keep-alive connection to that server from ``start`` until ``stop``
    (``time.monotonic``, shared by processes) and answers with the count completed."""
    pin(CLIENT_CPUS)
    requests = [wire_request(*r) for r in signed_requests(index, REQUESTS_PER_CLIENT)]
    conns = {name: ClientConnection(port) for name, port in ports.items()}
    expected = {name: (b"client-1" if name == "hmacsig" else b"none") for name in ports}
    expected["canned"] = b"none"
    position = 0
    pipe.send("ready")
    while True:
        command = pipe.recv()
        if command is None:
            break
        result: Union[Tuple[int, int, Optional[str], float], str]
        try:
            result, position = client_round(command, conns[command[0]], expected[command[0]], requests, position)
        except Exception:  # the parent raises it, with the client's traceback
            result = traceback.format_exc()
        pipe.send(result)
    for conn in conns.values():
        conn.close()


def client_round(command: Tuple[str, float, float], conn: ClientConnection, want: bytes, requests: List[bytes], position: int) -> Tuple[Tuple[int, int, Optional[str], float], int]:
    """One round of one client: (completed, bad, the first bad response, CPU seconds), and
    where the next round starts in ``requests``."""
    _, start, stop = command
    count = bad = 0
    first_bad = None
    cpu = time.process_time()
    now = time.monotonic()
    if start > now:
        time.sleep(start - now)
    while True:
        request = requests[position]
        position = (position + 1) % REQUESTS_PER_CLIENT
        status, data = conn.exchange(request)
        if time.monotonic() > stop:
            break
        count += 1
        if status != b"200" or data != want:
            bad += 1
            first_bad = first_bad or f"{status!r} {data[:200]!r}"
    cpu = time.process_time() - cpu
    return (count, bad, first_bad, cpu), position


class Clients:
    def __init__(self, n: int, ports: Dict[str, int]) -> None:
        ctx = multiprocessing.get_context("fork")
        self.pipes = []
        self.procs = []
        for i in range(n):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=client_main, args=(i, theirs, ports), daemon=True)
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)
        for pipe in self.pipes:
            assert pipe.recv() == "ready"

    def run(self, name: str, seconds: float) -> Tuple[float, int, Optional[str], float]:
        """All clients on server ``name`` for ``seconds``: requests/s, bad responses, the first
        bad one, client CPU seconds per request."""
        start = time.monotonic() + 0.05
        for pipe in self.pipes:
            pipe.send((name, start, start + seconds))
        results = [pipe.recv() for pipe in self.pipes]
        for r in results:
            if isinstance(r, str):
                raise RuntimeError(f"a client failed on {name}:\n{r}")
        count = sum(r[0] for r in results)
        bad = sum(r[1] for r in results)
        first_bad = next((r[2] for r in results if r[2]), None)
        cpu = sum(r[3] for r in results)
        return count / seconds, bad, first_bad, cpu / max(count, 1)

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for proc in self.procs:
            proc.join(5)


# ---- servers ----


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def uvicorn_server(app: str, port: int, profile: Optional[str] = None) -> subprocess.Popen[bytes]:
    args = [sys.executable]
    if profile:
        args += ["-m", "cProfile", "-o", profile]
    args += ["-m", "uvicorn", "--app-dir", HERE, f"{APP_MODULE}:{app}", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", "1", "--timeout-keep-alive", "300", "--http", "h11", "--loop", "asyncio", "--no-access-log", "--log-level", "warning"]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return started(args, port, env)


def started(args: List[str], port: int, env: Optional[Dict[str, str]] = None) -> subprocess.Popen[bytes]:
    """A server process (its stderr in a temporary file, shown if it fails to start), once it
    accepts connections on ``port``."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, preexec_fn=lambda: pin(SERVER_CPUS))
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.seek(0)
            raise RuntimeError(f"{' '.join(args)} did not start (exit {proc.poll()}): {log.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (``/proc``; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully (and cProfile writes its file)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Canned(asyncio.Protocol):
    """Answers every request with the same 200 response: finds the end of the headers and the
    Content-Length, nothing more."""

    RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\nnone"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15 : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None]) if at >= 0 else 0
            if len(buf) < end + 4 + length:
                break
            buf = buf[end + 4 + length :]
            self.transport.write(self.RESPONSE)  # type: ignore[attr-defined]
        self.buffer = buf


def canned_main(port: int) -> None:
    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Canned, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    asyncio.run(serve())


def canned_server(port: int) -> subprocess.Popen[bytes]:
    return started([sys.executable, os.path.abspath(__file__), "--canned-server", str(port)], port)


# ---- checks ----


def one(port: int, target: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", target, body, headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def checks(ports: Dict[str, int]) -> Dict[str, Any]:
    target, body, headers = signed_requests(99, 1)[0]
    unsigned = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    out = {
        "hmacsig_signed": one(ports["hmacsig"], target, body, headers),
        "bare_signed": one(ports["bare"], target, body, headers),
        "hmacsig_unsigned": one(ports["hmacsig"], target, body, unsigned),
        "hmacsig_tampered_body": one(ports["hmacsig"], target, body.replace(b"bench", b"bencH"), headers),
    }
    assert out["hmacsig_signed"] == (200, b"client-1"), out
    assert out["bare_signed"] == (200, b"none"), out
    assert out["hmacsig_unsigned"][0] == 401, out
    assert out["hmacsig_tampered_body"][0] == 403, out
    return {k: f"{status} {data.decode(errors='replace')}" for k, (status, data) in out.items()}


# ---- main ----


def profile_run(clients: int, seconds: float, top: int) -> Dict[str, Any]:
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"asgi_throughput.{os.getpid()}.prof")
    port = free_port()
    server = uvicorn_server("hmacsig_app", port, profile=path)
    try:
        group = Clients(clients, {"hmacsig": port})
        try:
            group.run("hmacsig", 0.5)
            rps, bad, first_bad, _ = group.run("hmacsig", seconds)
        finally:
            group.close()
    finally:
        stop_server(server)
    assert bad == 0, first_bad
    out: Dict[str, Any] = {"rps_under_cprofile": round(rps, 1)}
    for sort in ("cumulative", "tottime"):
        text = io.StringIO()
        pstats.Stats(path, stream=text).strip_dirs().sort_stats(sort).print_stats(top)
        out[f"top_by_{sort}"] = [line for line in text.getvalue().splitlines() if line.strip()]
    os.unlink(path)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="rounds of each server (interleaved)")
    parser.add_argument("--seconds", type=float, default=1.5, help="length of one round")
    parser.add_argument("--clients", type=int, default=4, help="client processes, one keep-alive connection each")
    parser.add_argument("--profile", action="store_true", help="profile the middleware server instead (cProfile)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--canned-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.canned_server:
        canned_main(args.canned_server)
        return 0
    if args.profile:
        print(json.dumps(profile_run(args.clients, args.seconds, args.top), indent=1))
        return 0

    ports = {"bare": free_port(), "hmacsig": free_port(), "canned": free_port()}
    servers = [uvicorn_server("bare_app", ports["bare"]), uvicorn_server("hmacsig_app", ports["hmacsig"]), canned_server(ports["canned"])]
    try:
        checked = checks(ports)
        group = Clients(args.clients, ports)
        try:
            samples: Dict[str, List[float]] = {"bare": [], "hmacsig": [], "canned": []}
            client_cpu: Dict[str, List[float]] = {"bare": [], "hmacsig": [], "canned": []}
            server_cpu: Dict[str, List[float]] = {"bare": [], "hmacsig": []}
            pids = {"bare": servers[0].pid, "hmacsig": servers[1].pid}
            for name in ("bare", "hmacsig"):  # warm-up, discarded
                group.run(name, min(args.seconds, 0.5))
            for r in range(args.rounds):
                order = ("bare", "hmacsig") if r % 2 == 0 else ("hmacsig", "bare")
                for name in order:
                    before = cpu_seconds(pids[name])
                    rps, bad, first_bad, cpu = group.run(name, args.seconds)
                    server_cpu[name].append((cpu_seconds(pids[name]) - before) / max(rps * args.seconds, 1))
                    assert bad == 0, f"{name}: {bad} responses were not 200 with the expected body, first: {first_bad}"
                    samples[name].append(round(rps, 1))
                    client_cpu[name].append(cpu)
            for _ in range(2):
                rps, bad, first_bad, cpu = group.run("canned", args.seconds)
                assert bad == 0, f"canned: {first_bad}"
                samples["canned"].append(round(rps, 1))
                client_cpu["canned"].append(cpu)
        finally:
            group.close()
    finally:
        for server in servers:
            stop_server(server)

    def us(xs: List[float]) -> float:
        return round(statistics.median(xs) * 1e6, 1)

    load = (
        f"{args.clients} client processes, one keep-alive raw-socket connection each (pre-built requests), closed loop, "
        f"distinct pre-signed path-body-hex POSTs ({len(body_of(0, 0))}-byte JSON body), {args.seconds} s rounds"
    )
    out = {
        "hmacsig_asgi": {
            "what": f"uvicorn (1 worker, h11, asyncio) + HmacSigMiddleware(Verifier.with_keys(path_body_hex)) + minimal app; {load}",
            "samples_rps": samples["hmacsig"],
            "server_cpu_us_per_request": us(server_cpu["hmacsig"]),
            "client_cpu_us_per_request": us(client_cpu["hmacsig"]),
        },
        "bare_asgi": {
            "what": f"uvicorn (1 worker, h11, asyncio) + the same minimal app, no middleware; {load}",
            "samples_rps": samples["bare"],
            "server_cpu_us_per_request": us(server_cpu["bare"]),
            "client_cpu_us_per_request": us(client_cpu["bare"]),
        },
        "client_max": {
            "what": f"the same clients against a canned-response asyncio server (no HTTP parsing); {load}",
            "samples_rps": samples["canned"],
            "client_cpu_us_per_request": us(client_cpu["canned"]),
        },
        "round_ratios": [round(h / b, 3) for h, b in zip(samples["hmacsig"], samples["bare"])],
        "checks": checked,
        "server": {
            "uvicorn": __import__("uvicorn").__version__,
            "h11": __import__("h11").__version__,
            "python": sys.version.split()[0],
            "cores": os.cpu_count(),
        },
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
