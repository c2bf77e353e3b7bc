"""kong-hmac and hawk through the Python layer: real values from the references (Kong's
plugin tests, hawk's API.md), refusals as typed errors, responses, bewits and nonces. The
core's own tests and the conformance suites cover the schemes in depth."""

from __future__ import annotations

import pytest

from hmacsig import (
    Credentials,
    Header,
    HmacSigError,
    Policy,
    ReplayGuard,
    Request,
    Response,
    Scheme,
    SignatureType,
    Signer,
    Verifier,
    sign_response,
    verify_request,
    verify_response,
)

KONG_NOW = 1_700_000_000
HAWK_NOW = 1_353_832_234
HAWK_KEY = "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn"


def test_kong_signs_as_kongs_plugin_tests() -> None:
    # tests/vectors/kong-hmac/kong-spec-cases.json, kong-spec/14-get/sign.
    headers = [("Host", "hmacauth.test"), ("date", "Tue, 14 Nov 2023 22:13:20 GMT")]
    with Signer(Scheme.kong_hmac(algorithm="hmac-sha1", headers=["date"]), Credentials("bob", "secret")) as signer:
        signed = signer.sign("GET", "/request", headers, None, now=KONG_NOW)
    assert [(h.name, h.value) for h in signed.headers] == [
        (
            "Authorization",
            'hmac username="bob", algorithm="hmac-sha1", headers="date", signature="1b3GnE0+rwUdVXmi1pXSHWpV9/o="',
        )
    ]
    assert signed.string_to_sign == b"date: Tue, 14 Nov 2023 22:13:20 GMT"


def test_kong_default_scheme_round_trips_and_refuses_with_kinds() -> None:
    scheme = Scheme.kong_hmac()
    assert scheme.name() == "kong-hmac"
    credentials = Credentials("bob", "secret")
    with Signer(scheme, credentials) as signer:
        signed = signer.sign("POST", "/orders?id=7", {"Host": "api.example.com"}, b"{}", now=KONG_NOW)
    assert [h.name for h in signed.headers] == ["Date", "Authorization"]
    request = Request(method="POST", target="/orders?id=7", headers=list(signed.headers), body=b"{}")
    assert verify_request(scheme, credentials, request, None, KONG_NOW + 300) == "bob"
    with pytest.raises(HmacSigError.Stale):
        verify_request(scheme, credentials, request, None, KONG_NOW + 301)
    sha1_only = Policy.kong_hmac(algorithms=["hmac-sha1"])
    with pytest.raises(HmacSigError.DigestNotAllowed):
        verify_request(scheme, credentials, request, sha1_only, KONG_NOW)
    moved = Request(method="POST", target="/orders?id=8", headers=list(signed.headers), body=b"{}")
    with pytest.raises(HmacSigError.BadSignature):
        verify_request(scheme, credentials, moved, None, KONG_NOW)
    with pytest.raises(HmacSigError.Unsupported):
        Scheme.kong_hmac(algorithm="hmac-md5")
    with pytest.raises(HmacSigError.Unsupported):
        Policy.kong_hmac(algorithms=["sha256"])


def test_hawk_signs_as_its_readme() -> None:
    # hawk's API.md payload example (tests/vectors/hawk/readme-examples.json).
    scheme = Scheme.hawk(nonce="j4h3g2", ext="some-app-ext-data")
    with Signer(scheme, Credentials("dh37fgj492je", HAWK_KEY)) as signer:
        signed = signer.sign(
            "POST",
            "http://example.com:8000/resource/1?b=1&a=2",
            {"Content-Type": "text/plain"},
            "Thank you for flying Hawk",
            now=HAWK_NOW,
        )
    assert signed.headers[0].value == (
        'Hawk id="dh37fgj492je", ts="1353832234", nonce="j4h3g2", '
        'hash="Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=", ext="some-app-ext-data", '
        'mac="aSe1DERmZuRl3pI36/9BdZmnErTw3sNzOOAUlfeKjVw="'
    )


def hawk_request(scheme: Scheme, credentials: Credentials) -> Request:
    headers = [Header(name="Host", value="api.example.com"), Header(name="Content-Type", value="application/json")]
    with Signer(scheme, credentials) as signer:
        signed = signer.sign("POST", "/orders", headers, b'{"id":7}', now=HAWK_NOW)
    return Request(method="POST", target="/orders", headers=headers + list(signed.headers), body=b'{"id":7}')


def test_hawk_verifies_with_nonces_responses_and_proxies() -> None:
    scheme, credentials = Scheme.hawk(), Credentials("client-1", "key")
    request = hawk_request(scheme, credentials)
    with Verifier.with_keys(scheme, {"client-1": "key"}, replay_guard=ReplayGuard(capacity=100, default_ttl=60)) as verifier:
        assert verifier.verify_request(request, now=HAWK_NOW) == "client-1"
        with pytest.raises(HmacSigError.Replayed):
            verifier.verify_request(request, now=HAWK_NOW + 1)
    behind_proxy = Request(
        method="POST",
        target="/orders",
        headers=[Header(name="Host", value="orders.internal:8080")] + list(request.headers[1:]),
        body=request.body,
    )
    with pytest.raises(HmacSigError.BadSignature):
        verify_request(scheme, credentials, behind_proxy, None, HAWK_NOW)
    public = Policy.hawk(host="api.example.com", port=80)
    assert verify_request(scheme, credentials, behind_proxy, public, HAWK_NOW) == "client-1"
    response = Response(status=200, headers=[Header(name="Content-Type", value="text/plain")], body=b"ok")
    signed = sign_response(scheme, credentials, response, request, HAWK_NOW)
    assert signed.headers[0].name == "Server-Authorization"
    answered = Response(status=200, headers=list(response.headers) + list(signed.headers), body=b"ok")
    assert verify_response(scheme, credentials, answered, request) == "client-1"
    changed = Response(status=200, headers=answered.headers, body=b"ko")
    with pytest.raises(HmacSigError.BodyMismatch):
        verify_response(scheme, credentials, changed, request)


def test_hawk_bewits_and_bad_options() -> None:
    scheme, credentials = Scheme.hawk(signature_type=SignatureType.QUERY, ttl=120), Credentials("client-1", "key")
    with Signer(scheme, credentials) as signer:
        signed = signer.sign("GET", "/files/report.pdf", {"Host": "files.example.com"}, None, now=HAWK_NOW)
    assert signed.headers == [] and signed.url is not None and signed.url.startswith("/files/report.pdf?bewit=")
    link = Request(method="GET", target=signed.url, headers=[Header(name="Host", value="files.example.com")], body=b"")
    assert verify_request(scheme, credentials, link, None, HAWK_NOW + 119) == "client-1"
    with pytest.raises(HmacSigError.Stale):
        verify_request(scheme, credentials, link, None, HAWK_NOW + 120)
    with pytest.raises(HmacSigError.Unsupported):
        Scheme.hawk(ext='say "hi"')
    with pytest.raises(HmacSigError.Unsupported):
        Scheme.hawk(algorithm="md5")
    with pytest.raises((OverflowError, TypeError, ValueError)):
        Policy.hawk(port=70000)
