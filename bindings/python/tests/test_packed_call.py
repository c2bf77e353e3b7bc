"""Signer.sign takes the packed hot path (core/src/packed.rs) when it can, and the record call
otherwise; both must give the same result, or the same typed error."""

import pytest

import hmacsig
from hmacsig import _ffi

NOW = 1_700_000_000
SCHEMES = {
    "api-auth": lambda: hmacsig.Scheme.api_auth(digest="sha256", headers_to_sign=["X-Request-Id"]),
    "timestamped": lambda: hmacsig.Scheme.timestamped(),
    "aws-sigv4-query": lambda: hmacsig.Scheme.aws_sigv4("us-east-1", "s3", signature_type=hmacsig.SignatureType.QUERY),
    "rfc9421": lambda: hmacsig.Scheme.rfc9421(content_digest=hmacsig.ContentDigest.SHA512),
}
HEADERS = [("Host", "api.example.com"), ("Content-Type", "application/json"), ("X-Request-Id", ""), ("X-Note", "naïve ✓")]


def record_sign(signer: hmacsig.Signer, method, target, headers, body, now):
    # The generated record call, bypassing the layer's packed path.
    return signer._inner.sign(method, target, [hmacsig.Header(name=n, value=v) for n, v in headers], body, now)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("body", [b"", b'{"id":7}', bytes(range(256))])
def test_packed_equals_record(scheme, body):
    assert hmacsig._pack_call("POST", "/v1/orders?b=2&a=1", HEADERS, NOW) is not None  # the packed path is taken
    with hmacsig.Signer(SCHEMES[scheme](), hmacsig.Credentials("k-1", "secret")) as signer:
        packed = signer.sign("POST", "/v1/orders?b=2&a=1", HEADERS, body, now=NOW)
        assert packed == record_sign(signer, "POST", "/v1/orders?b=2&a=1", HEADERS, body, NOW)
        assert isinstance(packed.string_to_sign, bytes)


def test_presigned_url_comes_back():
    with hmacsig.Signer(SCHEMES["aws-sigv4-query"](), hmacsig.Credentials("AKID", "secret")) as signer:
        signed = signer.sign("GET", "/bucket/key", [("Host", "s3.amazonaws.com")], b"", now=NOW)
        assert signed.url is not None and signed.url.startswith("/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&")
        assert signed == record_sign(signer, "GET", "/bucket/key", [("Host", "s3.amazonaws.com")], b"", NOW)


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Bad", "a\0b")],  # a NUL: the record call reports it
        [("X-Bad\0", "v")],
        [("", "")],  # an empty name
        [("X-Bad", "line\nbreak")],
    ],
)
def test_bad_headers_give_the_record_calls_error(headers):
    with hmacsig.Signer(SCHEMES["api-auth"](), hmacsig.Credentials("k", "s")) as signer:
        with pytest.raises(hmacsig.HmacSigError.InvalidRequest) as packed:
            signer.sign("GET", "/", headers, b"", now=NOW)
        with pytest.raises(_ffi.HmacSigError.InvalidRequest) as record:
            record_sign(signer, "GET", "/", headers, b"", NOW)
        assert str(packed.value) == str(record.value)


def test_text_that_is_not_utf8_is_refused_as_before():
    with hmacsig.Signer(SCHEMES["api-auth"](), hmacsig.Credentials("k", "s")) as signer:
        with pytest.raises(UnicodeEncodeError):
            signer.sign("GET", "/\ud800", [], b"", now=NOW)


def test_now_none_is_the_system_clock():
    with hmacsig.Signer(SCHEMES["api-auth"](), hmacsig.Credentials("k", "s")) as signer:
        for _ in range(3):  # the two calls may straddle a second
            if signer.sign("GET", "/", [], b"") == record_sign(signer, "GET", "/", [], b"", None):
                return
        pytest.fail("now=None did not sign at the system time")
