"""Binding-layer tests: the Python surface over the Rust core.

The signing logic itself is tested in Rust and by the conformance vectors; these check that the
values cross the FFI intact and that the Python layer is idiomatic. Expected values come from
tests/conformance/smoke-cases.json as the Rust runner signs them.
"""

from __future__ import annotations

import ast
import base64
import email.utils
import gc
import pathlib
import time
import weakref

import pytest

import hmacsig
from hmacsig import Credentials, Header, HmacSigError, Policy, Request, Scheme, Signer

BODY = b'{"order":{"id":7,"qty":2}}'
DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
NOW = 1700000030
HASH = "+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo="
AUTH = "APIAuth-HMAC-SHA256 1044:iQ8Xy+7557bVwTz3HnFH9VZhlMpOkUjI0arvu7p3v3g="
STRING_TO_SIGN = f"POST,application/json,{HASH},/orders?id=7,{DATE}"
HEADERS = [("Content-Type", "application/json"), ("Date", DATE)]


def signer(secret="top-secret", digest="sha256", **scheme):
    return Signer(Scheme.api_auth(digest=digest, **scheme), Credentials("1044", secret))


def pairs(signed):
    return [(h.name, h.value) for h in signed.headers]


def signed_request(target="/orders?id=7", body=BODY, extra=()):
    """The request verify-ok of the smoke cases, as a server receives it."""
    headers = [Header(name=n, value=v) for n, v in HEADERS]
    headers += [Header(name="X-Authorization-Content-SHA256", value=HASH), Header(name="Authorization", value=AUTH)]
    headers += [Header(name=n, value=v) for n, v in extra]
    return Request(method="POST", target=target, headers=headers, body=body)


def verify(request, secret="top-secret", key_id="1044", policy=None, now=NOW):
    return hmacsig.verify_request(Scheme.api_auth(), Credentials(key_id, secret), request, policy, now)


# --- signing -------------------------------------------------------------------------------


def test_sign_gives_the_exact_headers_and_string_to_sign():
    with signer() as s:
        signed = s.sign("POST", "/orders?id=7", HEADERS, BODY, now=NOW)
    assert pairs(signed) == [("X-Authorization-Content-SHA256", HASH), ("Authorization", AUTH)]
    assert signed.string_to_sign == STRING_TO_SIGN.encode()
    assert signed.url is None
    assert isinstance(signed, hmacsig.SignedRequest)


def test_sign_adds_date_from_injected_now_and_signs_extra_headers():
    s = Signer(
        Scheme.api_auth(headers_to_sign=["X-Request-Id"], override_method="delete"),
        Credentials("k", b"\x00\x01\x02\x03\x04"),
    )
    signed = s.sign("GET", "https://api.example.com/a?b=c d", [("X-Request-Id", "r1"), ("x-request-id", "r2")], now=1700000099)
    assert pairs(signed) == [("Date", "Tue, 14 Nov 2023 22:14:59 GMT"), ("Authorization", "APIAuth k:JsF7fBnwXTIh1+l7HHUE6FkPlNY=")]
    assert signed.string_to_sign == b"DELETE,,,/a?b=c%20d,Tue, 14 Nov 2023 22:14:59 GMT,r1, r2"


def test_binary_body_and_empty_secret():
    s = Signer(Scheme.api_auth(digest="sha512"), Credentials("k", ""))
    signed = s.sign("PUT", "/blobs/9", {"Date": DATE}, b"\x00\xff", now=1700000000)
    assert pairs(signed) == [
        ("X-Authorization-Content-SHA256", "But9amnuGeX733SQGNPSq/oEvL0TZdsxLrhtxxaTibg="),
        ("Authorization", "APIAuth-HMAC-SHA512 k:hkNCVy0750Oyi2Lnpma8cXabTjSKZZX3CludSXcsS1CWK1JUALu+DjUwywdV26dIubhUGyzYyhjSPWSRTeUOCQ=="),
    ]


def test_now_defaults_to_the_system_clock():
    before = int(time.time())
    signed = signer().sign("GET", "/")
    after = int(time.time())
    (name, value), _auth = pairs(signed)
    assert name == "Date"
    assert before - 1 <= email.utils.parsedate_to_datetime(value).timestamp() <= after + 1


@pytest.mark.parametrize("body", [BODY, bytearray(BODY), memoryview(BODY), BODY.decode()])
def test_bodies_as_bytes_bytearray_memoryview_or_str_sign_alike(body):
    assert pairs(signer().sign("POST", "/orders?id=7", HEADERS, body, now=NOW))[1] == ("Authorization", AUTH)


@pytest.mark.parametrize("body", [None, b"", "", bytearray(), memoryview(b"")])
def test_no_body_forms_sign_alike(body):
    expected = signer().sign("GET", "/", HEADERS, b"", now=NOW)
    assert signer().sign("GET", "/", HEADERS, body, now=NOW) == expected


def test_non_contiguous_memoryview_body():
    padded = bytes(b for c in BODY for b in (c, 0))
    assert pairs(signer().sign("POST", "/orders?id=7", HEADERS, memoryview(padded)[::2], now=NOW))[1] == ("Authorization", AUTH)


@pytest.mark.parametrize("secret", ["top-secret", b"top-secret", bytearray(b"top-secret"), memoryview(b"top-secret")])
def test_secrets_as_str_or_bytes_like_sign_alike(secret):
    assert pairs(signer(secret=secret).sign("POST", "/orders?id=7", HEADERS, BODY, now=NOW))[1] == ("Authorization", AUTH)


def test_text_secret_is_its_utf8_bytes():
    a = signer(secret="clé").sign("GET", "/", HEADERS, now=NOW)
    b = signer(secret="clé".encode()).sign("GET", "/", HEADERS, now=NOW)
    assert a == b


@pytest.mark.parametrize(
    "headers",
    [
        HEADERS,
        dict(HEADERS),
        [Header(name=n, value=v) for n, v in HEADERS],
        [Header(name="Content-Type", value="application/json"), ("Date", DATE)],
        (list(h) for h in HEADERS),
    ],
    ids=["tuples", "dict", "records", "mixed", "generator-of-lists"],
)
def test_headers_as_dict_pairs_or_records(headers):
    assert pairs(signer().sign("POST", "/orders?id=7", headers, BODY, now=NOW))[1] == ("Authorization", AUTH)


@pytest.mark.parametrize("headers", [[("Date",)], [("Date", 1)], ["Date: x"], [None]])
def test_bad_headers_raise_type_error(headers):
    with pytest.raises(TypeError):
        signer().sign("GET", "/", headers, now=NOW)


@pytest.mark.parametrize("body", [1, [1, 2], object()])
def test_bad_body_raises_type_error(body):
    with pytest.raises(TypeError, match="body must be"):
        signer().sign("GET", "/", HEADERS, body, now=NOW)


def test_sign_request_record_and_function_match_flat_sign():
    request = Request(method="POST", target="/orders?id=7", headers=[Header(name=n, value=v) for n, v in HEADERS], body=BODY)
    flat = signer().sign("POST", "/orders?id=7", HEADERS, BODY, now=NOW)
    assert signer().sign_request(request, now=NOW) == flat
    assert hmacsig.sign_request(Scheme.api_auth(digest="sha256"), Credentials("1044", "top-secret"), request, NOW) == flat


def test_records_print_their_fields():
    assert repr(Header(name="Date", value=DATE)) == f"Header(name='Date', value='{DATE}')"
    signed = signer().sign("POST", "/orders?id=7", HEADERS, BODY, now=NOW)
    assert f"Header(name='Authorization', value='{AUTH}')" in str(signed)


# --- verifying -----------------------------------------------------------------------------


def test_verify_ok_returns_the_key_id():
    assert verify(signed_request()) == "1044"
    assert verify(signed_request(), policy=Policy.api_auth(clock_skew=60, digest="sha256")) == "1044"


def test_sign_then_verify_round_trip_with_system_clock():
    with signer() as s:
        signed = s.sign("POST", "/orders?id=7", {"Content-Type": "application/json"}, BODY)
    request = Request(method="POST", target="/orders?id=7", headers=[Header(name="Content-Type", value="application/json"), *signed.headers], body=BODY)
    assert hmacsig.verify_request(Scheme.api_auth(digest="sha256"), Credentials("1044", b"top-secret"), request) == "1044"


def test_extract_key_id():
    request = Request(method="GET", target="/", headers=[Header(name="Authorization", value="Corporate APIAuth 1044:x")], body=b"")
    assert hmacsig.extract_key_id(Scheme.api_auth(), request) == "1044"


# --- errors --------------------------------------------------------------------------------

KINDS = {
    "InvalidRequest": "invalid_request",
    "MissingAuthorization": "missing_authorization",
    "MalformedAuthorization": "malformed_authorization",
    "UnknownKey": "unknown_key",
    "BadSignature": "bad_signature",
    "Stale": "stale",
    "Future": "future",
    "BodyMismatch": "body_mismatch",
    "DigestNotAllowed": "digest_not_allowed",
    "MissingSignedHeader": "missing_signed_header",
    "Replayed": "replayed",
    "Unsupported": "unsupported",
    "KeyLookupFailed": "key_lookup_failed",
}


@pytest.mark.parametrize("variant,kind", KINDS.items())
def test_every_error_class_has_its_kind(variant, kind):
    cls = getattr(HmacSigError, variant)
    assert issubclass(cls, HmacSigError) and issubclass(cls, Exception)
    assert cls.kind == kind


def test_type_checking_declaration_lists_every_variant():
    # hmacsig/__init__.py declares the error classes for type checkers by hand.
    tree = ast.parse(pathlib.Path(hmacsig._errors.__file__).read_text())
    declared = {
        node.name
        for block in ast.walk(tree)
        if isinstance(block, ast.ClassDef) and block.name == "HmacSigError"
        for node in block.body
        if isinstance(node, ast.ClassDef)
    }
    generated = {n for n, c in vars(HmacSigError).items() if isinstance(c, type) and issubclass(c, HmacSigError)}
    assert declared == generated == set(KINDS)


def _raise(fn):
    with pytest.raises(HmacSigError) as info:
        fn()
    return info.value


ERROR_CASES = [
    (
        "bad_signature",
        HmacSigError.BadSignature,
        lambda: verify(signed_request(target="/orders?id=8")),
        f'signature does not match; the server signed "{STRING_TO_SIGN.replace("id=7", "id=8")}"',
    ),
    (
        "stale",
        HmacSigError.Stale,
        lambda: verify(signed_request(), policy=Policy.api_auth(clock_skew=60, digest="SHA256"), now=1700000090),
        "the request's Date is 90 s old; the policy allows less than 60 s",
    ),
    (
        "future",
        HmacSigError.Future,
        lambda: verify(signed_request(), now=1700000000 - 900),
        "the request's Date is 900 s in the future; the policy allows less than 900 s",
    ),
    (
        "unknown_key",
        HmacSigError.UnknownKey,
        lambda: verify(signed_request(), key_id="7"),
        'no secret is known for key id "1044"',
    ),
    (
        "body_mismatch",
        HmacSigError.BodyMismatch,
        lambda: verify(signed_request(body=b"{}")),
        f'the body\'s SHA-256 does not match X-Authorization-Content-SHA256: "{HASH}"',
    ),
    (
        "digest_not_allowed",
        HmacSigError.DigestNotAllowed,
        lambda: verify(signed_request(), policy=Policy.api_auth(digest="sha1")),
        "this server accepts only sha1 signatures; the request used sha256",
    ),
    (
        "missing_authorization",
        HmacSigError.MissingAuthorization,
        lambda: verify(Request(method="GET", target="/", headers=[], body=b"")),
        "the request has no Authorization header",
    ),
    (
        "malformed_authorization",
        HmacSigError.MalformedAuthorization,
        lambda: hmacsig.extract_key_id(Scheme.api_auth(), Request(method="GET", target="/", headers=[Header(name="Authorization", value="Bearer abc")], body=b"")),
        'no api-auth key id in Authorization "Bearer abc"',
    ),
    (
        "invalid_request",
        HmacSigError.InvalidRequest,
        lambda: signer().sign("GET", "/a b", now=NOW),
        "the request target \"/a b\" is not a valid URI (Ruby's URI parser rejects it)",
    ),
    (
        "invalid_request",
        HmacSigError.InvalidRequest,
        lambda: signer().sign("GET", "/", [("X-A", "a\r\nX-Evil: 1")], now=NOW),
        'the value of header "X-A" contains CR, LF or NUL',
    ),
    (
        "unsupported",
        HmacSigError.Unsupported,
        lambda: Scheme.api_auth(digest="md5"),
        'api-auth digest "md5" is not offered; use sha1, sha224, sha256, sha384 or sha512 (MD5 is never offered)',
    ),
]


@pytest.mark.parametrize("kind,cls,call,message", ERROR_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)])
def test_errors_arrive_as_their_subclass_with_a_readable_message(kind, cls, call, message):
    e = _raise(call)
    assert type(e) is cls
    assert e.kind == kind
    assert str(e) == message
    assert e.reason == message
    assert "reason=" not in str(e)
    assert repr(e).startswith(f"HmacSigError.{cls.__name__}(reason=")


def test_error_fields_stay_available():
    e = _raise(lambda: verify(signed_request(target="/orders?id=8")))
    assert e.string_to_sign == STRING_TO_SIGN.replace("id=7", "id=8")
    e = _raise(lambda: verify(signed_request(), key_id="7"))
    assert e.key_id == "1044"


def test_errors_can_be_caught_by_subclass():
    with pytest.raises(HmacSigError.Stale):
        verify(signed_request(), now=NOW + 3600)


def test_internal_error_is_exported():
    assert issubclass(hmacsig.InternalError, Exception)
    assert not issubclass(hmacsig.InternalError, HmacSigError)


# --- objects, lifetime, secrets --------------------------------------------------------------


def test_signer_context_manager_frees_the_rust_object():
    with signer() as s:
        assert s.key_id() == "1044"
        inner = weakref.ref(s._inner)
        assert not s.closed
    gc.collect()
    assert inner() is None
    assert s.closed
    assert repr(s) == "Signer(<closed>)"
    with pytest.raises(ValueError, match="closed"):
        s.sign("GET", "/", now=NOW)
    with pytest.raises(ValueError, match="closed"):
        s.key_id()
    with pytest.raises(ValueError, match="closed"):
        with s:
            pass
    s.close()  # idempotent


def test_signer_frees_on_exception_and_close():
    with pytest.raises(HmacSigError.InvalidRequest):
        with signer() as s:
            s.sign("GET", "/a b", now=NOW)
    assert s.closed
    t = signer()
    t.close()
    assert t.closed


def test_credentials_never_show_the_secret():
    c = Credentials("1044", "top-secret")
    assert c.key_id() == "1044"
    for shown in (repr(c), str(c), repr(signer())):
        assert "top-secret" not in shown
    assert repr(c) == "Credentials(key_id='1044', secret=<redacted>)"


@pytest.mark.parametrize("secret", [None, 1, ["a"]])
def test_credentials_reject_non_bytes_secrets(secret):
    with pytest.raises(TypeError):
        Credentials("1044", secret)


def test_generate_secret():
    a, b = hmacsig.generate_secret(), hmacsig.generate_secret()
    assert len(a) == 88 and a.endswith("==") and a != b
    assert len(base64.b64decode(a, validate=True)) == 64
    s = Signer(Scheme.api_auth(), Credentials("k", a))
    assert s.sign("GET", "/", now=NOW).headers[1].value.startswith("APIAuth k:")


def test_public_names():
    for name in ("Scheme", "Policy", "Header", "Request", "SignedRequest", "sign_request", "verify_request",
                 "extract_key_id", "generate_secret", "Signer", "Credentials", "HmacSigError",
                 "HeaderStyle", "SignatureType", "Verifier", "KeyLookup", "KeyLookupError", "CallableKeyLookup", "ReplayGuard",
                 "http_status", "ContentDigest", "Response", "sign_response", "verify_response"):
        assert name in hmacsig.__all__ and hasattr(hmacsig, name)
