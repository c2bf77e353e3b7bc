"""A fleet end to end (issue 15): two verifying server PROCESSES share one PostgreSQL key store and
one Redis replay guard, and nothing else. A request one accepted is refused as replayed by the
other; a key rotated through a third store is accepted by both.

This module starts its own throwaway servers on loopback, for the module only, and stops them
whatever happens:

- a PostgreSQL cluster made with ``initdb`` in a temporary folder and run as Debian's
  ``postgres`` user (PostgreSQL refuses to run as root; ``runuser`` needs root: CI and
  ``cargo xtask test`` run as root, and xtask installs Debian's ``postgresql``);
- a ``redis-server`` (Debian's; xtask installs it);
- two uvicorn processes of ``fleet_server.py`` (``hmacsig.asgi.HmacSigMiddleware`` over
  ``Verifier.with_store(..., replay_guard=ReplayGuard.redis(...))``), each opening its own
  ``KeyStore`` and guard from the environment, the master key in ``HMACSIG_MASTER_KEY``.

Requests are signed here (api-auth, sha256) and written with ``http.client`` header by header,
so that a replay is the very same bytes sent to another process. Without root or PostgreSQL the
module fails with the reason; it never skips.
"""

from __future__ import annotations

import base64
import glob
import http.client
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pytest

import hmacsig
from hmacsig import Credentials, KeyStore, Scheme, Signer

HERE = pathlib.Path(__file__).resolve().parent
MASTER = base64.b64encode(bytes(range(7, 39))).decode()
NAMESPACE = "fleet-e2e"
KEY_ID = "client-1"
SCHEME = Scheme.api_auth(digest="sha256")
START_TIMEOUT = 15

Headers = List[Tuple[str, str]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(ready: Callable[[], bool], what: str, process: subprocess.Popen[bytes], log: Optional[pathlib.Path] = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            output = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
            state = f"exited with {process.returncode}" if process.poll() is not None else f"not ready in {START_TIMEOUT} s"
            pytest.fail(f"{what} {state}\n{output}")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


# --- PostgreSQL and Redis, one each for the module ---------------------------------------------


class Postgres:
    def __init__(self, url: str, version: str) -> None:
        self.url, self.version = url, version


def postgres_bin() -> pathlib.Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found:
        pytest.fail("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql (cargo xtask test does)")
    return pathlib.Path(found[-1]).parent


def as_postgres(program: pathlib.Path, *args: str) -> List[str]:
    # PostgreSQL refuses to run as root: as Debian's postgres user.
    return ["runuser", "-u", "postgres", "--", str(program), *args]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    if os.geteuid() != 0:
        pytest.fail(
            "test_fleet.py starts a throwaway PostgreSQL cluster as the postgres user with runuser, which needs root: "
            "run the Python tests as root (CI and `cargo xtask test` do)"
        )
    bin_dir = postgres_bin()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="hmacsig-fleet-pg-"))
    data, log = folder / "data", folder / "postgres.log"
    server: Optional[subprocess.Popen[bytes]] = None
    try:
        shutil.chown(folder, "postgres", "postgres")
        initdb = subprocess.run(
            as_postgres(bin_dir / "initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"),
            capture_output=True,
            text=True,
        )
        assert initdb.returncode == 0, f"initdb failed:\n{initdb.stdout}{initdb.stderr}"
        port = free_port()
        with open(log, "wb") as out:
            server = subprocess.Popen(
                as_postgres(
                    bin_dir / "postgres",
                    *("-D", str(data), "-k", str(folder), "-p", str(port)),
                    *("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"),
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        ready = [str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres"]
        wait_for(lambda: subprocess.run(ready).returncode == 0, "PostgreSQL", server, log)
        # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
        version = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True).stdout.strip()
        version = version.replace("postgres (PostgreSQL)", "PostgreSQL")
        yield Postgres(f"postgres://postgres@127.0.0.1:{port}/postgres", version)
    finally:
        if server is not None:
            # runuser passes no signal on: pg_ctl stops the server itself.
            subprocess.run(as_postgres(bin_dir / "pg_ctl", "-D", str(data), "stop", "-m", "immediate", "-w"), capture_output=True)
            stop(server)
        shutil.rmtree(folder, ignore_errors=True)


class Redis:
    def __init__(self, url: str, version: str) -> None:
        self.url, self.version = url, version


@pytest.fixture(scope="module")
def redis() -> Iterator[Redis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: apt-get install redis-server (cargo xtask test does)")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False

        wait_for(listening, "redis-server", server)
        # "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=..."
        said = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
        version = "Redis " + next((w[2:] for w in said if w.startswith("v=")), " ".join(said))
        yield Redis(f"redis://127.0.0.1:{port}/", version)
    finally:
        stop(server)


@pytest.fixture(scope="module")
def secret(postgres: Postgres) -> str:
    """The first secret of client-1, made through a store of the test process."""
    return KeyStore.open(postgres.url, master_key=MASTER).create(KEY_ID)


# --- Two server processes ----------------------------------------------------------------------


class ServerProcess:
    """``fleet_server.py`` under uvicorn in a process of its own on 127.0.0.1."""

    def __init__(self, name: str, postgres: Postgres, redis: Redis, logs: pathlib.Path) -> None:
        self.name, self.port = name, free_port()
        self.log = logs / f"server-{name}-{self.port}.log"
        env = dict(
            os.environ,
            PYTHONDONTWRITEBYTECODE="1",
            HMACSIG_FLEET_NAME=name,
            HMACSIG_FLEET_STORE=postgres.url,
            HMACSIG_FLEET_REDIS=redis.url,
            HMACSIG_FLEET_NAMESPACE=NAMESPACE,
            HMACSIG_MASTER_KEY=MASTER,
        )
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "fleet_server:app"]
                + ["--host", "127.0.0.1", "--port", str(self.port), "--lifespan", "off", "--log-level", "warning", "--no-access-log"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        def healthy() -> bool:
            try:
                return send(self, "GET", "/health", [("Host", "api.example.com")], b"")[0] == 200
            except OSError:
                return False

        wait_for(healthy, f"server {self.name} (uvicorn fleet_server:app on port {self.port})", self.process, self.log)

    def stop(self) -> None:
        stop(self.process)


class Fleet:
    """Servers ``a`` and ``b``; ``restart()`` replaces both processes (as a deploy would)."""

    def __init__(self, postgres: Postgres, redis: Redis, logs: pathlib.Path) -> None:
        self._args = (postgres, redis, logs)
        self.servers: Dict[str, ServerProcess] = {}
        self.start()

    def start(self) -> None:
        for name in ("a", "b"):
            self.servers[name] = ServerProcess(name, *self._args)
        for server in self.servers.values():  # started together, waited for together
            server.wait_ready()

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    @property
    def a(self) -> ServerProcess:
        return self.servers["a"]

    @property
    def b(self) -> ServerProcess:
        return self.servers["b"]


@pytest.fixture(scope="module")
def fleet(postgres: Postgres, redis: Redis, secret: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    fleet = Fleet(postgres, redis, tmp_path_factory.mktemp("fleet-logs"))
    try:
        yield fleet
    finally:
        fleet.stop()


# --- Requests, byte for byte -------------------------------------------------------------------

_orders = iter(range(1, 1_000_000))


def signed(secret: str) -> Tuple[Headers, bytes]:
    """A signed ``POST /orders`` of client-1 with a body of its own (two requests signed in the
    same second with the same body would carry the same signature)."""
    body = json.dumps({"order": next(_orders)}).encode()
    headers = [("Host", "api.example.com"), ("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    with Signer(SCHEME, Credentials(KEY_ID, secret)) as signer:
        added = [(h.name, h.value) for h in signer.sign("POST", "/orders", headers, body).headers]
    names = {name.lower() for name, _ in added}
    return [h for h in headers if h[0].lower() not in names] + added, body


def send(server: ServerProcess, method: str, target: str, headers: Headers, body: bytes) -> Tuple[int, str]:
    """Sends exactly these header lines and body (no Host, Accept-Encoding or length added)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def post(server: ServerProcess, request: Tuple[Headers, bytes]) -> Tuple[int, str]:
    return send(server, "POST", "/orders", *request)


def accepted_by(server: ServerProcess, request: Tuple[Headers, bytes]) -> None:
    status, text = post(server, request)
    assert status == 200, f"server {server.name}: {status} {text}"
    answer = json.loads(text)
    assert answer["server"] == server.name and answer["pid"] == server.process.pid and answer["key_id"] == KEY_ID


def refused_by(server: ServerProcess, request: Tuple[Headers, bytes], kind: str) -> None:
    status, text = post(server, request)
    assert (status, text.split(":")[0]) == (403, kind), f"server {server.name}: {status} {text}"


# --- The tests ---------------------------------------------------------------------------------


def test_a_request_replayed_to_the_other_process_is_refused(
    fleet: Fleet, secret: str, postgres: Postgres, redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len({fleet.a.process.pid, fleet.b.process.pid, os.getpid()}) == 3
    request = signed(secret)
    accepted_by(fleet.a, request)
    refused_by(fleet.b, request, "replayed")  # the same bytes, the other process
    refused_by(fleet.a, request, "replayed")  # and the first one again
    accepted_by(fleet.b, signed(secret))  # a fresh request goes through either
    accepted_by(fleet.a, signed(secret))
    with capsys.disabled():
        print(
            f"\ntest_fleet: {postgres.version} and {redis.version} ran on loopback; "
            f"server processes a (pid {fleet.a.process.pid}) and b (pid {fleet.b.process.pid}) shared them"
        )


def test_a_rotation_through_a_third_store_reaches_both_processes(fleet: Fleet, secret: str, postgres: Postgres) -> None:
    before = signed(secret)
    accepted_by(fleet.a, before)  # a now holds client-1's secrets in its 30 s cache
    new = KeyStore.open(postgres.url, master_key=MASTER).rotate(KEY_ID, 600)
    assert new != secret
    # A running process sees a change made by another within its cache's 30 s (CACHE_SECONDS,
    # docs/server.md), not at once: rather than wait, restart both, as a deploy would.
    refused_by(fleet.a, signed(new), "bad_signature")
    fleet.restart()
    rotated = signed(new)
    accepted_by(fleet.a, rotated)
    refused_by(fleet.b, rotated, "replayed")
    accepted_by(fleet.b, signed(new))
    # The grace period: the old secret still verifies, on both.
    accepted_by(fleet.a, signed(secret))
    accepted_by(fleet.b, signed(secret))
    # Redis outlived the processes: what the old a accepted, the new b refuses.
    refused_by(fleet.b, before, "replayed")
