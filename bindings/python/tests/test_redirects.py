"""Redirects never carry a signature to another host (issue 16 §8), with requests, httpx.Client and
httpx.AsyncClient over real HTTP: two verifying servers on loopback, A and B (127.0.0.1 on two
ports: two origins as far as a client is concerned). A answers /old with a redirect, to a path of
its own or to B; each records the requests exactly as they arrived.

- same origin: the redirect is signed again for its new target, method and body, A verifies it;
- another origin: B receives none of the headers the signing set, and its own Host;
- another origin with resign_cross_host_redirects=True: B verifies the redirect;
- allow_redirects=False / follow_redirects=False: nothing more is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Set, Tuple

import httpx
import pytest
import requests

import hmacsig
from hmacsig.httpx import HmacSigAuth as HttpxAuth
from hmacsig.requests import HmacSigAuth as RequestsAuth
from loopback import KEY_ID, SCHEMES, TIMEOUT, Received, Route, VerifyingServer, signer_for, verifier_for

BODY = b'{"item": "book", "qty": 2}'
HEADERS = {"Content-Type": "application/json"}
TURNS_INTO_GET = {301: True, 302: True, 303: True, 307: False, 308: False}


@dataclass
class Answer:
    status: int
    text: str
    history: List[int]


def via_requests(auth: RequestsAuth, url: str) -> Answer:
    with requests.Session() as session:
        session.trust_env = False
        response = session.post(url, data=BODY, headers=HEADERS, auth=auth, timeout=TIMEOUT)
        return Answer(response.status_code, response.text, [r.status_code for r in response.history])


def via_httpx(auth: HttpxAuth, url: str) -> Answer:
    with httpx.Client(auth=auth, event_hooks=auth.event_hooks, follow_redirects=True, trust_env=False, timeout=TIMEOUT) as client:
        response = client.post(url, content=BODY, headers=HEADERS)
        return Answer(response.status_code, response.text, [r.status_code for r in response.history])


def via_httpx_async(auth: HttpxAuth, url: str) -> Answer:
    async def send() -> Answer:
        async with httpx.AsyncClient(
            auth=auth, event_hooks=auth.async_event_hooks, follow_redirects=True, trust_env=False, timeout=TIMEOUT
        ) as client:
            response = await client.post(url, content=BODY, headers=HEADERS)
            return Answer(response.status_code, response.text, [r.status_code for r in response.history])

    return asyncio.run(send())


# client name -> (the auth class, a POST of BODY that follows redirects)
CLIENTS: Dict[str, Tuple[Callable[..., object], Callable[..., Answer]]] = {
    "requests": (RequestsAuth, via_requests),
    "httpx": (HttpxAuth, via_httpx),
    "httpx-async": (HttpxAuth, via_httpx_async),
}


def post(client: str, scheme: str, url: str, **options: bool) -> Answer:
    make_auth, send = CLIENTS[client]
    with signer_for(scheme) as signer:
        return send(make_auth(signer, **options), url)


def signature_headers(scheme: str) -> Set[str]:
    """Every header name the signer sets for a POST with a body or a GET without (lower case)."""
    names: Set[str] = set()
    with signer_for(scheme) as signer:
        for method, body in (("POST", BODY), ("GET", b"")):
            signed = signer.sign(method, "/new", [("Host", "127.0.0.1:1"), *HEADERS.items()], body)
            names.update(header.name.lower() for header in signed.headers)
    assert names
    return names


@contextlib.contextmanager
def servers(scheme: str) -> Iterator[Tuple[VerifyingServer, VerifyingServer]]:
    with VerifyingServer(verifier_for(scheme)) as a, VerifyingServer(verifier_for(scheme)) as b:
        yield a, b


def assert_unsigned(received: Received, scheme: str, host: str) -> None:
    sent = {name.lower() for name, _ in received.headers}
    assert not sent & signature_headers(scheme), f"signature headers went to {host}: {sent & signature_headers(scheme)}"
    assert received.header("Host") == host


def assert_redirected_as(received: Received, status: int) -> None:
    if TURNS_INTO_GET[status]:
        assert (received.method, received.body, received.header("Content-Length")) == ("GET", b"", None)
    else:
        assert (received.method, received.body) == ("POST", BODY)


@pytest.mark.parametrize("status", [302, 303, 307])
@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("client", list(CLIENTS))
def test_a_redirect_to_the_same_origin_is_signed_for_its_new_target(client, scheme, status):
    with VerifyingServer(verifier_for(scheme)) as a:
        a.routes["/old"] = Route(status, {"Location": "/new?page=2"})
        answer = post(client, scheme, f"{a.url}/old")
        assert (answer.status, answer.history) == (200, [status]), answer.text
        assert [r.target for r in a.received] == ["/old", "/new?page=2"]
        assert_redirected_as(a.last(), status)
        assert a.last().header("Host") == a.host


@pytest.mark.parametrize("client", list(CLIENTS))
def test_each_redirect_of_a_chain_on_the_same_origin_is_signed(client):
    with VerifyingServer(verifier_for("rfc9421")) as a:
        a.routes["/one"] = Route(307, {"Location": "/two"})
        a.routes["/two"] = Route(301, {"Location": f"{a.url}/three"})
        answer = post(client, "rfc9421", f"{a.url}/one")
        assert (answer.status, answer.history) == (200, [307, 301]), answer.text
        assert [(r.method, r.target) for r in a.received] == [("POST", "/one"), ("POST", "/two"), ("GET", "/three")]


@pytest.mark.parametrize("client", list(CLIENTS))
def test_a_cookie_set_by_the_redirect_is_signed_with_it(client):
    # aws-sigv4 signs every header sent, Cookie included: the redirect is signed as the client
    # sends it, with the cookie the redirect response set.
    with VerifyingServer(verifier_for("aws-sigv4")) as a:
        a.routes["/old"] = Route(302, {"Location": "/new", "Set-Cookie": "visit=7; Path=/"})
        answer = post(client, "aws-sigv4", f"{a.url}/old")
        assert (answer.status, answer.history) == (200, [302]), answer.text
        assert a.last().header("Cookie") == "visit=7"
        assert "cookie" in a.last().header("Authorization").lower()


@pytest.mark.parametrize("status", [302, 307])
@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("client", list(CLIENTS))
def test_a_redirect_to_another_origin_carries_no_signature(client, scheme, status):
    with servers(scheme) as (a, b):
        a.routes["/old"] = Route(status, {"Location": f"{b.url}/new"})
        answer = post(client, scheme, f"{a.url}/old")
        assert (answer.status, answer.history) == (401, [status])
        assert answer.text.startswith("missing_authorization: ")
        assert a.last().header("Host") == a.host
        assert [r.target for r in b.received] == ["/new"]
        assert_unsigned(b.last(), scheme, b.host)
        assert_redirected_as(b.last(), status)


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("scheme", ["api-auth", "rfc9421"])
def test_once_a_redirect_left_the_origin_a_redirect_back_is_not_signed(client, scheme):
    # B, not the caller, chose the request sent back to A.
    with servers(scheme) as (a, b):
        a.routes["/old"] = Route(307, {"Location": f"{b.url}/bounce"})
        b.routes["/bounce"] = Route(307, {"Location": f"{a.url}/admin"})
        answer = post(client, scheme, f"{a.url}/old")
        assert (answer.status, answer.history) == (401, [307, 307])
        assert a.last().target == "/admin"
        assert_unsigned(a.last(), scheme, a.host)


@pytest.mark.parametrize("status", [302, 307])
@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("client", ["httpx", "httpx-async"])
def test_httpx_signs_a_redirect_to_another_origin_when_asked(client, scheme, status):
    with servers(scheme) as (a, b):
        a.routes["/old"] = Route(status, {"Location": f"{b.url}/new"})
        answer = post(client, scheme, f"{a.url}/old", resign_cross_host_redirects=True)
        assert (answer.status, answer.history) == (200, [status]), answer.text
        assert b.last().header("Host") == b.host
        assert_redirected_as(b.last(), status)


@pytest.mark.parametrize("status", [303, 308])
@pytest.mark.parametrize("scheme", ["rfc9421", "timestamped"])
def test_requests_signs_a_redirect_to_another_origin_when_asked(scheme, status):
    with servers(scheme) as (a, b):
        a.routes["/old"] = Route(status, {"Location": f"{b.url}/new"})
        answer = post("requests", scheme, f"{a.url}/old", resign_cross_host_redirects=True)
        assert (answer.status, answer.history) == (200, [status]), answer.text
        assert b.last().header("Host") == b.host
        assert_redirected_as(b.last(), status)


@pytest.mark.parametrize("scheme", ["api-auth", "path-body-hex", "aws-sigv4"])
def test_requests_cannot_carry_an_authorization_signature_to_another_origin(scheme):
    # requests drops Authorization on a redirect to another host (Session.rebuild_auth); the rest
    # of such a signature is useless, so none of it is sent, and the caller is told.
    with servers(scheme) as (a, b):
        a.routes["/old"] = Route(307, {"Location": f"{b.url}/new"})
        with pytest.warns(UserWarning, match="removes the Authorization header"):
            answer = post("requests", scheme, f"{a.url}/old", resign_cross_host_redirects=True)
        assert answer.status == 401
        assert_unsigned(b.last(), scheme, b.host)


@pytest.mark.parametrize("scheme", ["api-auth", "rfc9421"])
def test_requests_without_following_sends_nothing_more(scheme):
    with servers(scheme) as (a, b), signer_for(scheme) as signer, requests.Session() as session:
        session.trust_env = False
        auth = RequestsAuth(signer)
        a.routes["/away"] = Route(307, {"Location": f"{b.url}/new"})
        a.routes["/here"] = Route(302, {"Location": "/new"})
        away = session.post(f"{a.url}/away", data=BODY, headers=HEADERS, auth=auth, allow_redirects=False, timeout=TIMEOUT)
        here = session.post(f"{a.url}/here", data=BODY, headers=HEADERS, auth=auth, allow_redirects=False, timeout=TIMEOUT)
        assert (away.status_code, here.status_code) == (307, 302)
        assert ([r.target for r in a.received], b.received) == (["/away", "/here"], [])
        # Response.next: the redirect as requests would send it, unsigned for B, signed for A.
        assert away.next is not None and here.next is not None
        assert not {name.lower() for name in away.next.headers} & signature_headers(scheme)
        followed = session.send(here.next, timeout=TIMEOUT)
        assert followed.status_code == 200, followed.text
        assert (a.last().method, a.last().target) == ("GET", "/new")


@pytest.mark.parametrize("scheme", ["api-auth", "rfc9421"])
@pytest.mark.parametrize("hooks", [True, False], ids=["hooks", "no-hooks"])
def test_httpx_without_following_sends_nothing_more(scheme, hooks):
    with servers(scheme) as (a, b), signer_for(scheme) as signer:
        auth = HttpxAuth(signer)
        a.routes["/away"] = Route(307, {"Location": f"{b.url}/new"})
        a.routes["/here"] = Route(303, {"Location": "/new"})
        event_hooks = auth.event_hooks if hooks else None
        with httpx.Client(auth=auth, event_hooks=event_hooks, trust_env=False, timeout=TIMEOUT) as client:
            away = client.post(f"{a.url}/away", content=BODY, headers=HEADERS)
            here = client.post(f"{a.url}/here", content=BODY, headers=HEADERS, follow_redirects=False)
            assert (away.status_code, here.status_code) == (307, 303)
            assert ([r.target for r in a.received], b.received) == (["/away", "/here"], [])
            # next_request carries no signature, whoever sends it; sent with the auth, the rules apply.
            assert away.next_request is not None and here.next_request is not None
            for redirect in (away.next_request, here.next_request):
                assert not {name.lower() for name in redirect.headers} & signature_headers(scheme)
            followed = client.send(here.next_request)
            assert followed.status_code == 200, followed.text
            assert (a.last().method, a.last().target) == ("GET", "/new")
            assert client.send(away.next_request).status_code == 401
            assert_unsigned(b.last(), scheme, b.host)


def test_httpx_warns_when_it_followed_a_redirect_without_the_hooks():
    with VerifyingServer(verifier_for("api-auth")) as a, signer_for("api-auth") as signer:
        a.routes["/old"] = Route(302, {"Location": "/new"})
        with httpx.Client(auth=HttpxAuth(signer), follow_redirects=True, trust_env=False, timeout=TIMEOUT) as client:
            with pytest.warns(UserWarning, match="without the auth's event hooks"):
                response = client.post(f"{a.url}/old", content=BODY, headers=HEADERS)
        assert response.status_code == 403  # signed for POST /old, not GET /new
        assert response.text.startswith("bad_signature: ")


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_a_presigned_url_on_a_redirect(client):
    # httpx's hook presigns the redirect's URL; requests takes it from Location as it is.
    scheme = hmacsig.Scheme.aws_sigv4("us-east-1", "s3", signature_type=hmacsig.SignatureType.QUERY, normalize=False, double_uri_encode=False)
    with VerifyingServer(hmacsig.Verifier.with_keys(scheme, {KEY_ID: "s3-secret"})) as a:
        a.routes["/old"] = Route(302, {"Location": "/bucket/new.txt"})
        with hmacsig.Signer(scheme, hmacsig.Credentials(KEY_ID, "s3-secret")) as signer:
            if client == "requests":
                response = requests.get(f"{a.url}/old", auth=RequestsAuth(signer), timeout=TIMEOUT)
                assert (response.status_code, a.last().target) == (401, "/bucket/new.txt")
            else:
                auth = HttpxAuth(signer)
                with httpx.Client(auth=auth, event_hooks=auth.event_hooks, follow_redirects=True, trust_env=False) as c:
                    response = c.get(f"{a.url}/old")
                assert response.status_code == 200, response.text
                assert a.last().target.startswith("/bucket/new.txt?") and "X-Amz-Signature=" in a.last().target


@pytest.mark.parametrize("auth", [RequestsAuth, HttpxAuth])
def test_the_option_is_a_bool(auth):
    with signer_for("api-auth") as signer, pytest.raises(TypeError, match="resign_cross_host_redirects"):
        auth(signer, resign_cross_host_redirects="yes")
