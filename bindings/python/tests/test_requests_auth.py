"""hmacsig.requests.HmacSigAuth over real HTTP: requests signs, a loopback server verifies the
request exactly as it arrived (origin-form target, Host, the body bytes read off the socket)."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import requests

import hmacsig
from hmacsig.requests import HmacSigAuth
from loopback import KEY_ID, SCHEMES, TIMEOUT, VerifyingServer, signer_for, verifier_for

ORDER = {"item": "book", "qty": 2}


@pytest.fixture
def session():
    with requests.Session() as s:
        s.trust_env = False  # loopback only: no proxies or .netrc from the environment
        yield s


def echoed(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_every_scheme_verifies_a_json_post_with_a_query(scheme, session):
    with VerifyingServer(verifier_for(scheme)) as server, signer_for(scheme) as signer:
        response = session.post(f"{server.url}/orders?b=2&a=1", json=ORDER, auth=HmacSigAuth(signer), timeout=TIMEOUT)
        answer = echoed(response)
        received = server.last()
    body = json.dumps(ORDER).encode()
    assert answer == {"key_id": KEY_ID, "target": "/orders?b=2&a=1", "body_sha256": hashlib.sha256(body).hexdigest()}
    assert received.body == body
    assert received.header("Host") == server.host
    assert received.header("Content-Type") == "application/json"


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_every_scheme_verifies_a_get(scheme, session):
    with VerifyingServer(verifier_for(scheme)) as server, signer_for(scheme) as signer:
        response = session.get(f"{server.url}/orders", params=[("b", "2"), ("a", "1")], auth=HmacSigAuth(signer), timeout=TIMEOUT)
        assert echoed(response)["target"] == "/orders?b=2&a=1"


def test_aws_sigv4_presigned_url_replaces_the_request_url(session):
    scheme = hmacsig.Scheme.aws_sigv4("us-east-1", "s3", signature_type=hmacsig.SignatureType.QUERY, normalize=False, double_uri_encode=False)
    verifier = hmacsig.Verifier.with_keys(scheme, {KEY_ID: "s3-secret"})
    with VerifyingServer(verifier) as server, hmacsig.Signer(scheme, hmacsig.Credentials(KEY_ID, "s3-secret")) as signer:
        response = session.get(f"{server.url}/bucket/key.txt?versionId=3", auth=HmacSigAuth(signer), timeout=TIMEOUT)
        answer = echoed(response)
        received = server.last()
    assert answer["key_id"] == KEY_ID
    assert received.target.startswith("/bucket/key.txt?")
    assert "X-Amz-Signature=" in received.target and "versionId=3" in received.target
    assert received.header("Authorization") is None


def test_target_is_signed_as_urllib3_writes_it(session):
    # requests and urllib3 re-encode the URL (upper-case escapes, spaces, `|`); the signature
    # must cover the request line as sent, not the URL as typed.
    with VerifyingServer(verifier_for("path-body-hex")) as server, signer_for("path-body-hex") as signer:
        response = session.get(f"{server.url}/a%2fb/c d?y=a b|c&x=%7e", auth=HmacSigAuth(signer), timeout=TIMEOUT)
        assert echoed(response)["target"] == "/a%2Fb/c%20d?y=a%20b%7Cc&x=~"


def test_str_body_is_signed_as_the_utf8_bytes_sent(session):
    with VerifyingServer(verifier_for("api-auth")) as server, signer_for("api-auth") as signer:
        response = session.post(f"{server.url}/notes", data="héllo wörld", auth=HmacSigAuth(signer), timeout=TIMEOUT)
        answer = echoed(response)
        received = server.last()
    assert received.body == "héllo wörld".encode()
    assert received.header("Content-Length") == str(len("héllo wörld".encode()))
    assert answer["body_sha256"] == hashlib.sha256("héllo wörld".encode()).hexdigest()


def test_form_body_is_signed(session):
    with VerifyingServer(verifier_for("api-auth")) as server, signer_for("api-auth") as signer:
        response = session.post(f"{server.url}/form", data={"q": "a b", "n": "1"}, auth=HmacSigAuth(signer), timeout=TIMEOUT)
        echoed(response)
        received = server.last()
    assert received.body == b"q=a+b&n=1"
    assert received.header("Content-Type") == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "make_body",
    [
        pytest.param(lambda: io.BytesIO(b'{"file": true}'), id="binary-file"),
        pytest.param(lambda: io.StringIO('{"file": true}'), id="text-file"),
        pytest.param(lambda: (chunk for chunk in [b'{"file"', b": true}"]), id="generator"),
    ],
)
def test_file_and_generator_bodies_are_read_and_sent_as_signed(make_body, session):
    with VerifyingServer(verifier_for("rfc9421")) as server, signer_for("rfc9421") as signer:
        response = session.put(f"{server.url}/upload", data=make_body(), auth=HmacSigAuth(signer), timeout=TIMEOUT)
        echoed(response)
        received = server.last()
    assert received.body == b'{"file": true}'
    assert received.header("Content-Length") == "14"
    assert received.header("Transfer-Encoding") is None  # a generator would have gone chunked


def test_no_content_type_is_added(session):
    with VerifyingServer(verifier_for("api-auth")) as server, signer_for("api-auth") as signer:
        response = session.post(f"{server.url}/raw", data=b"\x00\x01binary", auth=HmacSigAuth(signer), timeout=TIMEOUT)
        echoed(response)
        assert server.last().header("Content-Type") is None


def test_a_host_header_given_by_the_caller_is_kept_and_signed(session):
    # timestamped signs https:// + Host + target, so the Host decides the signature.
    with VerifyingServer(verifier_for("timestamped")) as server, signer_for("timestamped") as signer:
        response = session.get(f"{server.url}/v1/orders", headers={"Host": "api.example.com"}, auth=HmacSigAuth(signer), timeout=TIMEOUT)
        echoed(response)
        assert server.last().header("Host") == "api.example.com"


def test_session_auth_signs_every_request(session):
    with VerifyingServer(verifier_for("timestamped")) as server, signer_for("timestamped") as signer:
        session.auth = HmacSigAuth(signer)
        assert echoed(session.get(f"{server.url}/one", timeout=TIMEOUT))["target"] == "/one"
        assert echoed(session.delete(f"{server.url}/two?x=1", timeout=TIMEOUT))["target"] == "/two?x=1"


def test_refused_requests_get_the_servers_verdict(session):
    with VerifyingServer(verifier_for("api-auth")) as server:
        with signer_for("api-auth", secret="not-the-secret") as wrong:
            response = session.post(f"{server.url}/orders", json=ORDER, auth=HmacSigAuth(wrong), timeout=TIMEOUT)
        assert response.status_code == 403
        assert response.text.startswith("bad_signature: ")
        response = session.post(f"{server.url}/orders", json=ORDER, timeout=TIMEOUT)
        assert response.status_code == 401
        assert response.text.startswith("missing_authorization: ")


def test_unsupported_body_is_a_type_error(session):
    with signer_for("api-auth") as signer:
        request = requests.Request("POST", "http://127.0.0.1:9/x", data=12345, auth=HmacSigAuth(signer))
        with pytest.raises(TypeError, match="cannot sign a body of type int"):
            request.prepare()


def test_the_auth_takes_a_signer():
    with pytest.raises(TypeError, match="takes an hmacsig.Signer, not Credentials"):
        HmacSigAuth(hmacsig.Credentials(KEY_ID, "x"))  # type: ignore[arg-type]


def test_repr_never_shows_the_secret():
    with signer_for("api-auth") as signer:
        text = repr(HmacSigAuth(signer))
    assert KEY_ID in text and "s3cr3t" not in text
