"""examples/python: the FastAPI and Flask apps served on 127.0.0.1, and the requests and httpx
client programs run against each of them as a user runs them (``python CLIENT.py BASE_URL``)."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest
import requests

from loopback import TIMEOUT, UvicornThread, WerkzeugThread

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples" / "python"
DEMO_KEY_ID = "demo-client"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["fastapi_app", "flask_app"])
def server(request):
    app = load(request.param).app
    running = UvicornThread(app) if request.param == "fastapi_app" else WerkzeugThread(app)
    with running:
        yield running


def run_client(name: str, base_url: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HMACSIG_")}
    environment.update(env, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), base_url],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )


def answers(output: str) -> list:
    """Each printed line is ``STATUS BODY``."""
    out = []
    for line in filter(None, output.splitlines()):  # Flask ends its JSON with a newline
        status, _, body = line.partition(" ")
        out.append((int(status), json.loads(body) if body.startswith("{") else body))
    return out


def test_requests_client(server):
    result = run_client("requests_client", server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert answers(result.stdout) == [(200, {"key_id": DEMO_KEY_ID, "order": {"item": "book", "qty": 2}})]


def test_httpx_client(server):
    result = run_client("httpx_client", server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert answers(result.stdout) == [
        (200, {"key_id": DEMO_KEY_ID, "order": {"item": "book", "qty": 2}}),
        (200, {"key_id": DEMO_KEY_ID, "query": "b=2&a=1"}),
    ]


@pytest.mark.parametrize("client", ["requests_client", "httpx_client"])
def test_clients_with_a_wrong_secret_are_refused(server, client):
    result = run_client(client, server.url, HMACSIG_SECRET="not-the-demo-secret")
    assert result.returncode == 1
    status, body = answers(result.stdout)[0]
    assert status == 403 and body.startswith("bad_signature: ")


def test_health_is_public_and_orders_are_not(server):
    with requests.Session() as session:
        session.trust_env = False
        assert session.get(f"{server.url}/health", timeout=TIMEOUT).json() == {"status": "ok"}
        response = session.post(f"{server.url}/orders", json={}, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.text.startswith("missing_authorization: ")
