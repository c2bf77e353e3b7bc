"""hmacsig.httpx.HmacSigAuth over real HTTP, with httpx.Client and httpx.AsyncClient: a loopback
server verifies each request exactly as it arrived."""

from __future__ import annotations

import asyncio
import hashlib
import json

import httpx
import pytest

import hmacsig
from hmacsig.httpx import HmacSigAuth
from loopback import KEY_ID, SCHEMES, TIMEOUT, VerifyingServer, signer_for, verifier_for

ORDER = {"item": "book", "qty": 2}


def sync_send(auth, method, url, **kwargs) -> httpx.Response:
    with httpx.Client(auth=auth, trust_env=False, timeout=TIMEOUT) as client:
        return client.request(method, url, **kwargs)


def async_send(auth, method, url, **kwargs) -> httpx.Response:
    async def send() -> httpx.Response:
        async with httpx.AsyncClient(auth=auth, trust_env=False, timeout=TIMEOUT) as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(send())


SENDERS = [pytest.param(sync_send, id="Client"), pytest.param(async_send, id="AsyncClient")]


def echoed(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("send", SENDERS)
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_every_scheme_verifies_a_json_post_with_a_query(scheme, send):
    with VerifyingServer(verifier_for(scheme)) as server, signer_for(scheme) as signer:
        answer = echoed(send(HmacSigAuth(signer), "POST", f"{server.url}/orders?b=2&a=1", json=ORDER))
        received = server.last()
    assert answer["key_id"] == KEY_ID
    assert answer["target"] == "/orders?b=2&a=1"
    assert answer["body_sha256"] == hashlib.sha256(received.body).hexdigest()
    assert json.loads(received.body) == ORDER
    assert received.header("Host") == server.host
    assert received.header("Content-Type") == "application/json"


@pytest.mark.parametrize("send", SENDERS)
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_every_scheme_verifies_a_get_with_params_in_order(scheme, send):
    with VerifyingServer(verifier_for(scheme)) as server, signer_for(scheme) as signer:
        response = send(HmacSigAuth(signer), "GET", f"{server.url}/orders", params=[("b", "2"), ("a", "1")])
        assert echoed(response)["target"] == "/orders?b=2&a=1"


def test_streamed_body_is_read_and_signed():
    def chunks():
        yield b'{"part": '
        yield b"1}"

    with VerifyingServer(verifier_for("rfc9421")) as server, signer_for("rfc9421") as signer:
        echoed(sync_send(HmacSigAuth(signer), "PUT", f"{server.url}/upload", content=chunks()))
        assert server.last().body == b'{"part": 1}'


def test_async_streamed_body_is_read_and_signed():
    async def chunks():
        yield b'{"part": '
        yield b"2}"

    with VerifyingServer(verifier_for("api-auth")) as server, signer_for("api-auth") as signer:
        echoed(async_send(HmacSigAuth(signer), "PUT", f"{server.url}/upload", content=chunks()))
        assert server.last().body == b'{"part": 2}'


@pytest.mark.parametrize("send", SENDERS)
def test_form_and_text_bodies(send):
    with VerifyingServer(verifier_for("api-auth")) as server, signer_for("api-auth") as signer:
        echoed(send(HmacSigAuth(signer), "POST", f"{server.url}/form", data={"q": "a b"}))
        assert server.last().body == b"q=a+b"
        echoed(send(HmacSigAuth(signer), "POST", f"{server.url}/text", content="héllo"))
        assert server.last().body == "héllo".encode()


def test_client_params_merged_with_the_url_query_are_signed_as_sent():
    with VerifyingServer(verifier_for("path-body-hex")) as server, signer_for("path-body-hex") as signer:
        with httpx.Client(auth=HmacSigAuth(signer), trust_env=False, timeout=TIMEOUT, params={"z": "9"}) as client:
            answer = echoed(client.get(f"{server.url}/items?b=2&a=1", params={"c": "é"}))
    assert answer["target"] == server.last().target
    assert server.last().target.startswith("/items?")


def test_target_is_signed_as_httpx_writes_it():
    with VerifyingServer(verifier_for("api-auth")) as server, signer_for("api-auth") as signer:
        answer = echoed(sync_send(HmacSigAuth(signer), "GET", f"{server.url}/a%2fb/c d?y=a b|c"))
    assert answer["target"] == server.last().target


def test_aws_sigv4_presigned_url_replaces_the_request_url():
    scheme = hmacsig.Scheme.aws_sigv4("us-east-1", "s3", signature_type=hmacsig.SignatureType.QUERY, normalize=False, double_uri_encode=False)
    verifier = hmacsig.Verifier.with_keys(scheme, {KEY_ID: "s3-secret"})
    with VerifyingServer(verifier) as server, hmacsig.Signer(scheme, hmacsig.Credentials(KEY_ID, "s3-secret")) as signer:
        echoed(async_send(HmacSigAuth(signer), "GET", f"{server.url}/bucket/key.txt?versionId=3"))
        received = server.last()
    assert "X-Amz-Signature=" in received.target and "versionId=3" in received.target
    assert received.header("Authorization") is None


def test_refused_requests_get_the_servers_verdict():
    with VerifyingServer(verifier_for("timestamped")) as server:
        with signer_for("timestamped", secret="not-the-secret") as wrong:
            response = sync_send(HmacSigAuth(wrong), "POST", f"{server.url}/orders", json=ORDER)
        assert response.status_code == 403
        assert response.text.startswith("bad_signature: ")
        with signer_for("timestamped", key_id="someone-else") as unknown:
            response = sync_send(HmacSigAuth(unknown), "POST", f"{server.url}/orders", json=ORDER)
        assert response.status_code == 403
        assert response.text.startswith("unknown_key: ")


def test_the_auth_takes_a_signer():
    with pytest.raises(TypeError, match="takes an hmacsig.Signer, not str"):
        HmacSigAuth("secret")  # type: ignore[arg-type]
