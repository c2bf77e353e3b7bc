"""The rfc9421 scheme (RFC 9421 HTTP Message Signatures, hmac-sha256), its policy, and
response signing.

Expected values come from the RFC itself, as transcribed in tests/vectors/rfc9421/:
B.2.5 (the RFC's one hmac-sha256 example, signature and all) and B.2.4 (a signed response;
its algorithm is ECDSA, so only the signature base can be reproduced). Signatures of our own
are checked against Python's hmac over the returned signature base.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pathlib
import time

import pytest

import hmacsig
from hmacsig import (
    ContentDigest,
    Credentials,
    Header,
    HmacSigError,
    Policy,
    ReplayGuard,
    Request,
    Response,
    Scheme,
    Signer,
    Verifier,
)


# The repository's copy of the RFC's facts (tests/vectors/rfc9421/).
VECTORS = pathlib.Path(__file__).resolve().parents[3] / "tests" / "vectors" / "rfc9421"
assert VECTORS.is_dir(), f"tests/vectors/rfc9421 not found at {VECTORS}"
B25 = json.loads((VECTORS / "b25-hmac-sha256.json").read_text())
B2 = json.loads((VECTORS / "b2-test-cases.json").read_text())
B24 = next(c for c in B2["cases"] if c["id"] == "B.2.4")

CREATED = 1618884473
B25_KEY_ID = "test-shared-secret"
B25_SECRET = base64.b64decode(B25["key"]["secret_base64"])
B25_SIGNATURE_INPUT = 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"'
B25_SIGNATURE = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"
B25_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"'
)

RESPONSE_BODY = b'{"message": "good dog"}'
RESPONSE_DIGEST = "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:"
B24_COMPONENTS = ["@status", "content-type", "content-digest", "content-length"]
B24_BASE = (
    '"@status": 200\n'
    '"content-type": application/json\n'
    f'"content-digest": {RESPONSE_DIGEST}\n'
    '"content-length": 23\n'
    '"@signature-params": ("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"'
)

NOW = 1700000000
KEY_ID = "client-1"
SECRET = b"shared-secret-\x00\xff"
BODY = b'{"hello": "world"}'


def pairs(signed):
    return [(h.name, h.value) for h in signed.headers]


def headers(*items):
    return [Header(name=n, value=v) for n, v in items]


def attach(message, signed):
    """The message as sent: the signer's headers set on it, each replacing its namesake."""
    names = {h.name.lower() for h in signed.headers}
    kept = [h for h in message.headers if h.name.lower() not in names]
    if isinstance(message, Response):
        return Response(status=message.status, headers=kept + list(signed.headers), body=message.body)
    return Request(method=message.method, target=message.target, headers=kept + list(signed.headers), body=message.body)


def hmac_b64(secret, signed):
    return base64.b64encode(hmac.new(secret, signed.string_to_sign, hashlib.sha256).digest()).decode()


def b25_request(target=B25["request"]["url_assumed"]):
    """RFC 9421 B.2 test-request."""
    return Request(
        method=B25["request"]["method"],
        target=target,
        headers=headers(*B25["request"]["headers"]),
        body=base64.b64decode(B25["request"]["body_base64"]),
    )


def b25_scheme():
    return Scheme.rfc9421(components=["date", "@authority", "content-type"], label="sig-b25", created=CREATED)


# --- RFC 9421 B.2.5 ------------------------------------------------------------------------


def test_the_vector_files_say_what_these_tests_expect():
    assert B25["expected"]["signature_input_header"] == B25_SIGNATURE_INPUT
    assert B25["expected"]["signature_header"] == B25_SIGNATURE
    assert B25["signature_base"] == B25_BASE
    assert B24["signature_base"] == B24_BASE
    assert B24["covered_component_names"] == B24_COMPONENTS
    assert B2["test_response"]["body_utf8"].encode() == RESPONSE_BODY
    assert len(B25_SECRET) == 64


@pytest.mark.parametrize("target", ["https://example.com/foo?param=Value&Pet=dog", "/foo?param=Value&Pet=dog"], ids=["absolute", "origin"])
def test_b25_hmac_sha256_exactly(target):
    with Signer(b25_scheme(), Credentials(B25_KEY_ID, B25_SECRET)) as signer:
        r = b25_request(target)
        signed = signer.sign(r.method, r.target, r.headers, r.body)
    assert pairs(signed) == [("Signature-Input", B25_SIGNATURE_INPUT), ("Signature", B25_SIGNATURE)]
    assert signed.string_to_sign == B25["signature_base"].encode()
    assert signed.url is None
    # The one-off function and the Request record give the same.
    assert hmacsig.sign_request(b25_scheme(), Credentials(B25_KEY_ID, B25_SECRET), b25_request(target)) == signed


def test_b25_verifies_with_a_policy_that_asks_for_what_it_covers():
    request = attach(b25_request(), hmacsig.sign_request(b25_scheme(), Credentials(B25_KEY_ID, B25_SECRET), b25_request()))
    creds = Credentials(B25_KEY_ID, B25_SECRET)
    # B.2.5 covers neither the method, the target nor the Content-Digest.
    lenient = Policy.rfc9421(required_components=["date", "@authority"], allow_unsigned_body=True)
    assert hmacsig.verify_request(Scheme.rfc9421(), creds, request, lenient, CREATED + 10) == B25_KEY_ID
    assert hmacsig.extract_key_id(Scheme.rfc9421(), request) == B25_KEY_ID
    with pytest.raises(HmacSigError.MissingSignedHeader) as info:
        hmacsig.verify_request(Scheme.rfc9421(), creds, request, None, CREATED + 10)
    assert str(info.value) == 'signature "sig-b25" does not cover "@method", which the policy requires'
    with pytest.raises(HmacSigError.BodyMismatch):
        hmacsig.verify_request(Scheme.rfc9421(), creds, request, Policy.rfc9421(required_components=[]), CREATED)
    with pytest.raises(HmacSigError.Stale):
        hmacsig.verify_request(Scheme.rfc9421(), creds, request, lenient, CREATED + 306)


# --- responses: RFC 9421 B.2.4 -------------------------------------------------------------


def b24_response(*extra):
    return Response(status=200, headers=headers(("Content-Type", "application/json"), ("Content-Length", "23"), *extra), body=RESPONSE_BODY)


def test_b24_response_signature_base():
    # The response of B.2.4 with its Content-Digest (the correct one, see the vectors' README).
    response = b24_response(("Content-Digest", RESPONSE_DIGEST))
    scheme = Scheme.rfc9421(components=B24_COMPONENTS, label="sig-b24", created=CREATED)
    creds = Credentials("test-key-ecc-p256", SECRET)
    signed = hmacsig.sign_response(scheme, creds, response)
    assert signed.string_to_sign == B24["signature_base"].encode()
    assert pairs(signed) == [
        ("Signature-Input", B24["signature_input_header"]),
        ("Signature", f"sig-b24=:{hmac_b64(SECRET, signed)}:"),
    ]
    # Verified as it is sent; the default response policy wants @status covered.
    sent = attach(response, signed)
    assert hmacsig.verify_response(scheme, creds, sent, now=CREATED + 1) == "test-key-ecc-p256"
    assert hmacsig.verify_response(Scheme.rfc9421(), creds, sent, None, Policy.rfc9421(max_age=60), CREATED + 60) == "test-key-ecc-p256"
    with pytest.raises(HmacSigError.BadSignature) as info:
        hmacsig.verify_response(scheme, creds, Response(status=404, headers=sent.headers, body=sent.body), now=CREATED)
    assert info.value.string_to_sign.startswith('"@status": 404\n')
    with pytest.raises(HmacSigError.BodyMismatch):
        hmacsig.verify_response(scheme, creds, Response(status=200, headers=sent.headers, body=b'{"message": "bad dog"}'), now=CREATED)


def test_response_content_digest_added_by_the_scheme_gives_the_same_base():
    scheme = Scheme.rfc9421(components=B24_COMPONENTS, label="sig-b24", created=CREATED, content_digest=ContentDigest.SHA512)
    signed = hmacsig.sign_response(scheme, Credentials("test-key-ecc-p256", SECRET), b24_response(), now=NOW)
    assert [name for name, _ in pairs(signed)] == ["Content-Digest", "Signature-Input", "Signature"]
    assert signed.headers[0].value == RESPONSE_DIGEST
    assert signed.string_to_sign == B24_BASE.encode()
    assert hmacsig.verify_response(scheme, Credentials("test-key-ecc-p256", SECRET), attach(b24_response(), signed), now=CREATED) == "test-key-ecc-p256"


def test_response_covering_its_request_with_req():
    scheme = Scheme.rfc9421(components=["@status", "@method;req", "@authority;req"], created=NOW, content_digest=ContentDigest.SHA256)
    creds = Credentials(KEY_ID, SECRET)
    request = b25_request()
    signed = hmacsig.sign_response(scheme, creds, b24_response(), request, NOW)
    digest = "sha-256=:" + base64.b64encode(hashlib.sha256(RESPONSE_BODY).digest()).decode() + ":"
    assert signed.string_to_sign.decode() == (
        '"@status": 200\n"@method";req: POST\n"@authority";req: example.com\n'
        f'"content-digest": {digest}\n'
        '"@signature-params": ("@status" "@method";req "@authority";req "content-digest");created=1700000000;keyid="client-1"'
    )
    assert pairs(signed)[2] == ("Signature", f"sig1=:{hmac_b64(SECRET, signed)}:")
    sent = attach(b24_response(), signed)
    assert hmacsig.verify_response(scheme, creds, sent, request=request, now=NOW) == KEY_ID
    # Another request: the signature no longer matches.
    other = Request(method="GET", target=request.target, headers=request.headers, body=b"")
    with pytest.raises(HmacSigError.BadSignature):
        hmacsig.verify_response(scheme, creds, sent, request=other, now=NOW)
    # Without the request, ;req components cannot be resolved.
    with pytest.raises(HmacSigError.InvalidRequest) as info:
        hmacsig.sign_response(scheme, creds, b24_response(), now=NOW)
    assert str(info.value) == "@method needs the request this response answers"
    # A request-only component without ;req is not offered for a response, nor @status for a request.
    with pytest.raises(HmacSigError.Unsupported):
        hmacsig.sign_response(Scheme.rfc9421(components=["@method"]), creds, b24_response(), request, NOW)
    with pytest.raises(HmacSigError.Unsupported):
        hmacsig.sign_request(Scheme.rfc9421(components=["@status"]), creds, request, NOW)


def test_response_objects_sign_and_verify_as_the_functions_do():
    scheme = Scheme.rfc9421(components=["@status", "@method;req"], created=NOW, content_digest=ContentDigest.SHA256)
    creds = Credentials(KEY_ID, SECRET)
    request = b25_request()
    with Signer(scheme, creds) as signer:
        signed = signer.sign_response(b24_response(), request, NOW)
    assert signed == hmacsig.sign_response(scheme, creds, b24_response(), request, NOW)
    sent = attach(b24_response(), signed)
    with Verifier.with_credentials(scheme, creds) as verifier:
        assert verifier.verify_response(sent, request, NOW) == KEY_ID
        with pytest.raises(HmacSigError.BadSignature):
            verifier.verify_response(sent, Request(method="GET", target=request.target, headers=request.headers, body=b""), NOW)
    # A server holding many keys verifies a client's signed response the same way.
    guard = hmacsig.ReplayGuard()
    with Verifier.with_keys(scheme, {KEY_ID: SECRET, "other": b"x"}, replay_guard=guard) as verifier:
        assert verifier.verify_response(sent, request, NOW) == KEY_ID
        with pytest.raises(HmacSigError.Replayed):
            verifier.verify_response(sent, request, NOW)
    with Verifier.with_lookup(scheme, {KEY_ID: SECRET}.get) as verifier:
        assert verifier.verify_response(sent, request, NOW) == KEY_ID


def test_only_rfc9421_and_hawk_sign_responses():
    for scheme in (Scheme.api_auth(), Scheme.path_body_hex(), Scheme.timestamped(), Scheme.kong_hmac()):
        with pytest.raises(HmacSigError.Unsupported) as info:
            hmacsig.sign_response(scheme, Credentials(KEY_ID, SECRET), b24_response())
        assert str(info.value) == f"the {scheme.name()} scheme signs requests only, not responses (rfc9421 and hawk sign responses)"
        with pytest.raises(HmacSigError.Unsupported):
            hmacsig.verify_response(scheme, Credentials(KEY_ID, SECRET), b24_response())


def test_response_records():
    r = b24_response()
    assert r == Response(status=200, headers=headers(("Content-Type", "application/json"), ("Content-Length", "23")), body=RESPONSE_BODY)
    assert repr(Response(status=204, headers=[], body=b"")) == "Response(status=204, headers=[], body=b'')"
    for status in (70000, 99, -1):
        with pytest.raises(hmacsig.HmacSigError.InvalidRequest, match="status"):
            hmacsig.sign_response(Scheme.rfc9421(), Credentials(KEY_ID, SECRET), Response(status=status, headers=[], body=b""))


# --- round trip, tampering, construction errors ----------------------------------------------

ROUND_TRIP_COMPONENTS = ["@method", "@target-uri", "content-type"]


def round_trip_scheme(**options):
    return Scheme.rfc9421(components=ROUND_TRIP_COMPONENTS, content_digest=ContentDigest.SHA256, **options)


def signed_post(target="https://api.example.com/orders?id=7", now=NOW, **options):
    request = Request(method="POST", target=target, headers=headers(("Content-Type", "application/json")), body=BODY)
    signed = hmacsig.sign_request(round_trip_scheme(**options), Credentials(KEY_ID, SECRET), request, now)
    return attach(request, signed), signed


def test_round_trip_with_a_sha256_content_digest():
    request, signed = signed_post()
    digest = "sha-256=:" + base64.b64encode(hashlib.sha256(BODY).digest()).decode() + ":"
    assert signed.string_to_sign.decode() == (
        '"@method": POST\n'
        '"@target-uri": https://api.example.com/orders?id=7\n'
        '"content-type": application/json\n'
        f'"content-digest": {digest}\n'
        '"@signature-params": ("@method" "@target-uri" "content-type" "content-digest");created=1700000000;keyid="client-1"'
    )
    assert pairs(signed) == [
        ("Content-Digest", digest),
        ("Signature-Input", 'sig1=("@method" "@target-uri" "content-type" "content-digest");created=1700000000;keyid="client-1"'),
        ("Signature", f"sig1=:{hmac_b64(SECRET, signed)}:"),
    ]
    creds = Credentials(KEY_ID, SECRET)
    assert hmacsig.verify_request(round_trip_scheme(), creds, request, None, NOW) == KEY_ID
    assert hmacsig.verify_request(Scheme.rfc9421(), creds, request, Policy.rfc9421(), NOW + 305) == KEY_ID


def _verify(request, now=NOW, policy=None, secret=SECRET, key_id=KEY_ID):
    return hmacsig.verify_request(round_trip_scheme(), Credentials(key_id, secret), request, policy, now)


def _changed(request, **fields):
    values = dict(method=request.method, target=request.target, headers=request.headers, body=request.body)
    values.update(fields)
    return Request(**values)


TAMPERING = [
    ("body changed", lambda r: _changed(r, body=BODY + b" "), {}, "body_mismatch", HmacSigError.BodyMismatch),
    (
        "header changed",
        lambda r: _changed(r, headers=[Header(name=h.name, value="text/plain") if h.name == "Content-Type" else h for h in r.headers]),
        {},
        "bad_signature",
        HmacSigError.BadSignature,
    ),
    ("target changed", lambda r: _changed(r, target="https://api.example.com/orders?id=8"), {}, "bad_signature", HmacSigError.BadSignature),
    ("method changed", lambda r: _changed(r, method="PUT"), {}, "bad_signature", HmacSigError.BadSignature),
    ("too old", lambda r: r, {"now": NOW + 306}, "stale", HmacSigError.Stale),
    ("older than max_age", lambda r: r, {"now": NOW + 66, "policy": Policy.rfc9421(max_age=60)}, "stale", HmacSigError.Stale),
    ("from the future", lambda r: r, {"now": NOW - 6}, "future", HmacSigError.Future),
    ("wrong secret", lambda r: r, {"secret": b"other"}, "bad_signature", HmacSigError.BadSignature),
    ("another key id", lambda r: r, {"key_id": "client-2"}, "unknown_key", HmacSigError.UnknownKey),
    (
        "unsigned",
        lambda r: _changed(r, headers=[h for h in r.headers if not h.name.startswith("Signature")]),
        {},
        "missing_authorization",
        HmacSigError.MissingAuthorization,
    ),
    (
        "garbled",
        lambda r: _changed(r, headers=[Header(name="Signature", value="sig1=(") if h.name == "Signature" else h for h in r.headers]),
        {},
        "malformed_authorization",
        HmacSigError.MalformedAuthorization,
    ),
    (
        "not covering what the policy requires",
        lambda r: r,
        {"policy": Policy.rfc9421(required_components=["@method", "@authority"])},
        "missing_signed_header",
        HmacSigError.MissingSignedHeader,
    ),
]


@pytest.mark.parametrize("tamper,call,kind,cls", [t[1:] for t in TAMPERING], ids=[t[0] for t in TAMPERING])
def test_tampering_gives_its_error_kind(tamper, call, kind, cls):
    request, _ = signed_post()
    with pytest.raises(HmacSigError) as info:
        _verify(tamper(request), **call)
    assert type(info.value) is cls
    assert info.value.kind == kind


def test_bad_signature_carries_the_servers_signature_base():
    request, signed = signed_post()
    tampered = _changed(request, method="PUT")
    with pytest.raises(HmacSigError.BadSignature) as info:
        _verify(tampered)
    assert info.value.string_to_sign == signed.string_to_sign.decode().replace('"@method": POST', '"@method": PUT')
    assert hmacsig.http_status(info.value) == 403


@pytest.mark.parametrize(
    "options,message",
    [
        ({"components": ["Content-Type"]}, None),
        ({"components": ["@unknown"]}, None),
        ({"components": ["@query-param"]}, None),
        ({"components": ["@path", '"@path"']}, "rfc9421 component \"@path\" is listed twice"),
        ({"label": "Sig"}, None),
        ({"nonce": "caf\u00e9"}, 'rfc9421 nonce "caf\u00e9" must be printable ASCII'),
    ],
    ids=["upper-case", "unknown-derived", "query-param-without-name", "twice", "label", "nonce"],
)
def test_bad_options_are_refused_at_construction(options, message):
    with pytest.raises(HmacSigError.Unsupported) as info:
        Scheme.rfc9421(**options)
    assert info.value.kind == "unsupported"
    assert hmacsig.http_status(info.value) == 401
    if message is not None:
        assert str(info.value) == message


def test_bad_policy_components_are_refused_at_construction():
    with pytest.raises(HmacSigError.Unsupported):
        Policy.rfc9421(required_components=["Content-Type"])
    with pytest.raises(HmacSigError.Unsupported, match="cannot verify the rfc9421 scheme"):
        Verifier.with_keys(Scheme.rfc9421(), {KEY_ID: SECRET}, policy=Policy.timestamped())
    with pytest.raises(HmacSigError.Unsupported, match="a rfc9421 policy cannot verify the api-auth scheme"):
        hmacsig.verify_request(Scheme.api_auth(), Credentials(KEY_ID, SECRET), signed_post()[0], Policy.rfc9421())


# --- defaults and parameters -----------------------------------------------------------------


def test_defaults_sign_method_authority_and_target_uri_as_sig1():
    with Signer(Scheme.rfc9421(), Credentials(KEY_ID, SECRET)) as signer:
        signed = signer.sign("GET", "/quotes?limit=5", {"Host": "api.example.com"}, now=NOW)
    assert pairs(signed) == [
        ("Signature-Input", 'sig1=("@method" "@authority" "@target-uri");created=1700000000;keyid="client-1"'),
        ("Signature", f"sig1=:{hmac_b64(SECRET, signed)}:"),
    ]
    assert signed.string_to_sign.decode().splitlines()[:3] == [
        '"@method": GET',
        '"@authority": api.example.com',
        '"@target-uri": https://api.example.com/quotes?limit=5',
    ]


def test_parameters_are_written_in_order():
    scheme = Scheme.rfc9421(
        components=["@method", '@query-param;name="id"'],
        label="proxy-1",
        created=NOW - 5,
        expires=NOW + 60,
        nonce="n-1",
        tag="app",
        include_alg=True,
    )
    signed = Signer(scheme, Credentials(KEY_ID, SECRET)).sign("DELETE", "https://example.com/a?id=7&x=1", now=NOW)
    assert signed.headers[0].value == (
        'proxy-1=("@method" "@query-param";name="id");created=1699999995;keyid="client-1";alg="hmac-sha256";'
        'expires=1700000060;nonce="n-1";tag="app"'
    )
    assert signed.string_to_sign.decode().splitlines()[1] == '"@query-param";name="id": 7'
    request = Request(method="DELETE", target="https://example.com/a?id=7&x=1", headers=list(signed.headers), body=b"")
    policy = Policy.rfc9421(required_components=["@method"], tag="app")
    assert hmacsig.verify_request(scheme, Credentials(KEY_ID, SECRET), request, policy, NOW + 60) == KEY_ID
    with pytest.raises(HmacSigError.Stale, match="expired"):
        hmacsig.verify_request(scheme, Credentials(KEY_ID, SECRET), request, policy, NOW + 66)
    with pytest.raises(HmacSigError.MissingAuthorization):
        hmacsig.verify_request(scheme, Credentials(KEY_ID, SECRET), request, Policy.rfc9421(required_components=["@method"], tag="web"), NOW)


def test_created_defaults_to_the_system_clock():
    before = int(time.time())
    signed = Signer(Scheme.rfc9421(), Credentials(KEY_ID, SECRET)).sign("GET", "https://example.com/")
    after = int(time.time())
    created = int(signed.headers[0].value.split(";created=")[1].split(";")[0])
    assert before <= created <= after


def test_content_digest_enum():
    assert [d.name for d in ContentDigest] == ["SHA256", "SHA512"]
    assert Scheme.rfc9421(content_digest=ContentDigest.SHA512).name() == "rfc9421"
    with pytest.raises((TypeError, ValueError)):
        Scheme.rfc9421(content_digest="sha-256")


# --- servers: Verifier ---------------------------------------------------------------------


def test_verifier_with_keys_and_an_rfc9421_policy():
    policy = Policy.rfc9421(max_age=60, required_components=["@method", "@target-uri", "content-digest"], clock_skew=0)
    scheme = Scheme.rfc9421()
    with Verifier.with_keys(scheme, {KEY_ID: SECRET, "other": "x"}, policy=policy) as verifier:
        request, _ = signed_post()
        assert verifier.verify_request(request, now=NOW + 60) == KEY_ID
        assert verifier.verify(request.method, request.target, [(h.name, h.value) for h in request.headers], request.body, now=NOW) == KEY_ID
        with pytest.raises(HmacSigError.Stale) as stale:
            verifier.verify_request(request, now=NOW + 61)
        assert str(stale.value) == 'signature "sig1" is 61 s old; the policy allows 60 s'
        with pytest.raises(HmacSigError.BodyMismatch):
            verifier.verify_request(_changed(request, body=b"{}"), now=NOW)
        with pytest.raises(HmacSigError.BadSignature):
            verifier.verify_request(_changed(request, target="https://api.example.com/orders?id=8"), now=NOW)
        unsigned = _changed(request, headers=headers(("Content-Type", "application/json")))
        by_nobody = hmacsig.sign_request(round_trip_scheme(), Credentials("nobody", SECRET), unsigned, NOW)
        with pytest.raises(HmacSigError.UnknownKey) as info:
            verifier.verify_request(attach(unsigned, by_nobody), now=NOW)
        assert info.value.key_id == "nobody"
        assert hmacsig.http_status(info.value) == 403
    assert verifier.closed


def test_verifier_picks_the_signature_by_label_and_refuses_replays():
    first, _ = signed_post()
    proxy = Scheme.rfc9421(components=["@method", "@target-uri", "content-digest", 'signature;key="sig1"'], label="proxy", created=NOW)
    both = attach(first, hmacsig.sign_request(proxy, Credentials("proxy-key", "proxy-secret"), first))
    assert [h.name for h in both.headers].count("Signature") == 1
    by_label = Verifier.with_keys(Scheme.rfc9421(), {"proxy-key": "proxy-secret"}, policy=Policy.rfc9421(label="proxy"))
    assert by_label.verify_request(both, now=NOW) == "proxy-key"
    with pytest.raises(HmacSigError.UnknownKey):
        # Without a label the first signature's key id is looked up.
        Verifier.with_keys(Scheme.rfc9421(), {"proxy-key": "proxy-secret"}).verify_request(both, now=NOW)
    guard = ReplayGuard(100, 300)
    v = Verifier.with_keys(Scheme.rfc9421(), {KEY_ID: SECRET}, policy=Policy.rfc9421(label="sig1"), replay_guard=guard)
    assert v.verify_request(both, now=NOW) == KEY_ID
    with pytest.raises(HmacSigError.Replayed):
        v.verify_request(both, now=NOW + 1)
    assert len(guard) == 1


def test_verifier_with_a_lookup():
    request, _ = signed_post()
    asked = []

    def lookup(key_id):
        asked.append(key_id)
        return SECRET if key_id == KEY_ID else None

    v = Verifier.with_lookup(Scheme.rfc9421(), lookup, policy=Policy.rfc9421(max_age=600))
    assert v.verify_request(request, now=NOW + 400) == KEY_ID
    assert asked == [KEY_ID]
    assert repr(v).startswith("Verifier(scheme='rfc9421', keys=")


def test_public_names():
    for name in ("ContentDigest", "Response", "sign_response", "verify_response"):
        assert name in hmacsig.__all__ and hasattr(hmacsig, name)
    assert hmacsig.Response is Response and hmacsig.ContentDigest is ContentDigest
