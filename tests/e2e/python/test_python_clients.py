"""The end-to-end checks of tests/e2e/README.md for the Python clients: requests
(hmacsig.requests), httpx.Client and httpx.AsyncClient (hmacsig.httpx), and the example client
programs, against the servers `cargo xtask test` starts. Without their environment every test
fails: run through `cargo xtask test`, or start the servers by hand and set the variables."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import pathlib
import subprocess
import sys
from typing import Callable, Dict, Iterator, List, Mapping, NamedTuple, Tuple

import httpx
import pytest
import requests

import hmacsig
import hmacsig.httpx
import hmacsig.requests

ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "python"
ENV = (
    "HMACSIG_E2E_ASGI_URL",
    "HMACSIG_E2E_KOTLIN_URL",
    "HMACSIG_E2E_NODE_URL",
    "HMACSIG_E2E_TAMPER_URL",
    "HMACSIG_E2E_KEY_ID",
    "HMACSIG_E2E_SECRET",
)
TIMEOUT = 30
ORDER = json.dumps({"order": {"id": 7, "qty": 2}, "note": "e2e"}).encode()
JSON = "application/json"


class Answer(NamedTuple):
    status: int
    content_type: str
    text: str

    def json(self) -> Dict[str, str]:
        assert self.status == 200, f"{self.status} {self.text}"
        assert self.content_type.startswith(JSON), self.content_type
        answer: Dict[str, str] = json.loads(self.text)
        return answer


Send = Callable[[str, str, bytes, Mapping[str, str], bool], Answer]
"""send(method, url, body, headers, signed) -> Answer."""


@pytest.fixture(scope="session")
def e2e() -> Dict[str, str]:
    missing = [name for name in ENV if not os.environ.get(name)]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `cargo xtask test` (see tests/e2e/README.md)")
    return {name: os.environ[name] for name in ENV}


@pytest.fixture(scope="session")
def signer(e2e: Dict[str, str]) -> Iterator[hmacsig.Signer]:
    credentials = hmacsig.Credentials(e2e["HMACSIG_E2E_KEY_ID"], e2e["HMACSIG_E2E_SECRET"])
    with hmacsig.Signer(hmacsig.Scheme.api_auth(digest="sha256"), credentials) as s:
        yield s


def requests_sender(signer: hmacsig.Signer) -> Send:
    def send(method: str, url: str, body: bytes, headers: Mapping[str, str], signed: bool) -> Answer:
        with requests.Session() as session:
            session.trust_env = False  # loopback only
            auth = hmacsig.requests.HmacSigAuth(signer) if signed else None
            r = session.request(method, url, data=body or None, headers=dict(headers), auth=auth, timeout=TIMEOUT)
            return Answer(r.status_code, r.headers.get("Content-Type", ""), r.text)

    return send


def httpx_sender(signer: hmacsig.Signer) -> Send:
    def send(method: str, url: str, body: bytes, headers: Mapping[str, str], signed: bool) -> Answer:
        auth = hmacsig.httpx.HmacSigAuth(signer) if signed else None
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
            r = client.request(method, url, content=body or None, headers=dict(headers), auth=auth)
            return Answer(r.status_code, r.headers.get("Content-Type", ""), r.text)

    return send


def httpx_async_sender(signer: hmacsig.Signer) -> Send:
    async def send_async(method: str, url: str, body: bytes, headers: Mapping[str, str], signed: bool) -> Answer:
        auth = hmacsig.httpx.HmacSigAuth(signer) if signed else None
        async with httpx.AsyncClient(trust_env=False, timeout=TIMEOUT) as client:
            r = await client.request(method, url, content=body or None, headers=dict(headers), auth=auth)
            return Answer(r.status_code, r.headers.get("Content-Type", ""), r.text)

    def send(method: str, url: str, body: bytes, headers: Mapping[str, str], signed: bool) -> Answer:
        return asyncio.run(send_async(method, url, body, headers, signed))

    return send


CLIENTS: Dict[str, Callable[[hmacsig.Signer], Send]] = {
    "requests": requests_sender,
    "httpx": httpx_sender,
    "httpx-async": httpx_async_sender,
}


@pytest.fixture(params=list(CLIENTS))
def send(request: pytest.FixtureRequest, signer: hmacsig.Signer) -> Send:
    return CLIENTS[request.param](signer)


def post(send: Send, base_url: str, signed: bool = True) -> Answer:
    return send("POST", f"{base_url}/e2e/orders?id=7", ORDER, {"Content-Type": JSON}, signed)


def get(send: Send, base_url: str) -> Answer:
    return send("GET", f"{base_url}/e2e/items?b=2&a=1", b"", {}, True)


# 1. A signed POST with a JSON body to the ASGI server.
def test_signed_post_to_the_asgi_server(send: Send, e2e: Dict[str, str]) -> None:
    assert post(send, e2e["HMACSIG_E2E_ASGI_URL"]).json() == {
        "key_id": e2e["HMACSIG_E2E_KEY_ID"],
        "method": "POST",
        "target": "/e2e/orders?id=7",
        "body_sha256": hashlib.sha256(ORDER).hexdigest(),
        "content_type": JSON,
    }


# 2. A signed GET with a query string, order kept.
def test_signed_get_with_a_query_to_the_asgi_server(send: Send, e2e: Dict[str, str]) -> None:
    answer = get(send, e2e["HMACSIG_E2E_ASGI_URL"]).json()
    assert answer["target"] == "/e2e/items?b=2&a=1"
    assert answer["key_id"] == e2e["HMACSIG_E2E_KEY_ID"]
    assert answer["body_sha256"] == hashlib.sha256(b"").hexdigest()


# 3. The same POST to the Kotlin server and to the Node server (Express, the npm package's middleware).
@pytest.mark.parametrize("server", ["HMACSIG_E2E_KOTLIN_URL", "HMACSIG_E2E_NODE_URL"])
def test_signed_post_to_the_kotlin_and_node_servers(send: Send, e2e: Dict[str, str], server: str) -> None:
    assert post(send, e2e[server]).json() == {
        "key_id": e2e["HMACSIG_E2E_KEY_ID"],
        "method": "POST",
        "target": "/e2e/orders?id=7",
        "body_sha256": hashlib.sha256(ORDER).hexdigest(),
        "content_type": JSON,
    }


# 4. Through the tamper proxy: a flipped body bit, then a changed path.
def test_tampered_body_is_refused(send: Send, e2e: Dict[str, str]) -> None:
    answer = post(send, e2e["HMACSIG_E2E_TAMPER_URL"])
    assert answer.status == 403, answer
    assert answer.text.startswith("body_mismatch"), answer


def test_tampered_path_is_refused(send: Send, e2e: Dict[str, str]) -> None:
    answer = get(send, e2e["HMACSIG_E2E_TAMPER_URL"])
    assert answer.status == 403, answer
    assert answer.text.startswith("bad_signature"), answer


# 5. An unsigned POST.
def test_unsigned_post_is_refused(send: Send, e2e: Dict[str, str]) -> None:
    answer = post(send, e2e["HMACSIG_E2E_ASGI_URL"], signed=False)
    assert answer.status == 401, answer
    assert answer.text.startswith("missing_authorization"), answer


# 6. kong-hmac and hawk, each to its path on the ASGI server (tests/e2e/README.md, "Schemes"):
# signed, verified, and refused once the body changes on the way (the tamper proxy).
OTHER_SCHEMES: Dict[str, Callable[[], hmacsig.Scheme]] = {
    "kong-hmac": lambda: hmacsig.Scheme.kong_hmac(headers=["date", "@request-target", "digest"], digest=True),
    "hawk": lambda: hmacsig.Scheme.hawk(),
}


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("scheme", list(OTHER_SCHEMES))
def test_kong_hmac_and_hawk_to_the_asgi_server(client: str, scheme: str, e2e: Dict[str, str]) -> None:
    credentials = hmacsig.Credentials(e2e["HMACSIG_E2E_KEY_ID"], e2e["HMACSIG_E2E_SECRET"])
    with hmacsig.Signer(OTHER_SCHEMES[scheme](), credentials) as signer:
        send = CLIENTS[client](signer)
        target = f"/{scheme}/orders?id=7&b=2"
        answer = send("POST", e2e["HMACSIG_E2E_ASGI_URL"] + target, ORDER, {"Content-Type": JSON}, True).json()
        assert answer["key_id"] == e2e["HMACSIG_E2E_KEY_ID"]
        assert answer["target"] == target
        assert answer["body_sha256"] == hashlib.sha256(ORDER).hexdigest()
        tampered = send("POST", e2e["HMACSIG_E2E_TAMPER_URL"] + target, ORDER, {"Content-Type": JSON}, True)
        assert (tampered.status, tampered.text.split(":")[0]) == (403, "body_mismatch"), tampered
        unsigned = send("POST", e2e["HMACSIG_E2E_ASGI_URL"] + target, ORDER, {"Content-Type": JSON}, False)
        assert (unsigned.status, unsigned.text.split(":")[0]) == (401, "missing_authorization"), unsigned


# The example client programs, run as a user runs them, against the ASGI server.
def run_example(name: str, e2e: Dict[str, str]) -> List[Tuple[int, Dict[str, str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMACSIG_")}
    env.update(HMACSIG_KEY_ID=e2e["HMACSIG_E2E_KEY_ID"], HMACSIG_SECRET=e2e["HMACSIG_E2E_SECRET"], NO_PROXY="127.0.0.1")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), e2e["HMACSIG_E2E_ASGI_URL"]],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answers = []
    for line in filter(None, result.stdout.splitlines()):
        status, _, body = line.partition(" ")
        answers.append((int(status), json.loads(body)))
    return answers


@pytest.mark.parametrize("example", ["requests_client", "httpx_client"])
def test_example_client(example: str, e2e: Dict[str, str]) -> None:
    answers = run_example(example, e2e)
    assert answers, "the example printed nothing"
    for status, answer in answers:
        assert status == 200
        assert answer["key_id"] == e2e["HMACSIG_E2E_KEY_ID"]
    assert answers[0][1]["target"] == "/orders?id=7"
    assert answers[0][1]["content_type"] == JSON
