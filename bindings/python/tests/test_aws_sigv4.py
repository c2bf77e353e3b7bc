"""The aws-sigv4 scheme (header and presigned-query signing) and its policy.

Expected values are the Rust runner's results on tests/conformance/smoke-cases.json (`sigv4-*`
cases; the credentials and request are the aws-c-auth suite's `get-vanilla`).
"""

from __future__ import annotations

import pytest

import hmacsig
from hmacsig import Credentials, HmacSigError, Policy, Request, Scheme, SignatureType, Signer, Verifier

NOW = 1440938160  # 20150830T123600Z
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
HOST = ("Host", "example.amazonaws.com")
SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

# sigv4-get-vanilla
VANILLA_AUTH = (
    f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
)
VANILLA_SIGNED = [HOST, ("X-Amz-Date", "20150830T123600Z"), ("Authorization", VANILLA_AUTH)]


def pairs(signed):
    return [(h.name, h.value) for h in signed.headers]


def sigv4(region="us-east-1", service="service", **options):
    return Signer(Scheme.aws_sigv4(region, service, **options), Credentials(KEY_ID, SECRET))


def test_header_signing_gives_the_exact_authorization():
    with sigv4() as s:
        signed = s.sign("GET", "/", [HOST], now=NOW)
    assert pairs(signed) == [("X-Amz-Date", "20150830T123600Z"), ("Authorization", VANILLA_AUTH)]
    assert signed.string_to_sign == (
        b"AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        b"bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    )
    assert signed.url is None
    # HEADER is the default.
    explicit = sigv4(signature_type=SignatureType.HEADER).sign("GET", "/", [HOST], now=NOW)
    assert pairs(explicit) == pairs(signed)


def test_query_signing_gives_the_exact_presigned_url():
    with sigv4(signature_type=SignatureType.QUERY) as s:
        signed = s.sign("GET", "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1", [HOST], now=NOW)
    assert signed.url == (
        "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
        "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
        "&X-Amz-Signature=c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787"
    )
    assert signed.headers == []
    assert signed.string_to_sign == (
        b"AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        b"9808d6cdc8245c74e705c68350fc6a62b91778cdd613890e5d177998c02c6f53"
    )


def test_presigned_url_verifies_until_it_expires():
    with sigv4(signature_type=SignatureType.QUERY, expires=60) as s:
        url = s.sign("GET", "/photo", [HOST], now=NOW).url
    assert url is not None and "&X-Amz-Expires=60&" in url
    v = Verifier.with_keys(Scheme.aws_sigv4("us-east-1", "service"), {KEY_ID: SECRET}, policy=Policy.aws_sigv4())
    assert v.verify("GET", url, [HOST], now=NOW + 60) == KEY_ID
    with pytest.raises(HmacSigError.Stale):
        v.verify("GET", url, [HOST], now=NOW + 61)


def test_session_token_and_signed_body_headers():
    scheme = dict(session_token="tok/en+=", sign_body=True)
    with sigv4(**scheme) as s:
        signed = s.sign("POST", "/", [HOST, ("Content-Type", "application/x-www-form-urlencoded")], b"Param1=value1", now=NOW)
    assert pairs(signed) == [
        ("X-Amz-Security-Token", "tok/en+="),
        ("X-Amz-Date", "20150830T123600Z"),
        ("x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
        (
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={SCOPE}, "
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
            "Signature=b30d0fc2363e5da71effecd3dc8b4fbc05539fc76766e29b808d3d29582f8212",
        ),
    ]


def test_s3_style_takes_the_path_as_is_and_adds_host():
    with sigv4(service="s3", normalize=False, double_uri_encode=False) as s:
        signed = s.sign("GET", "https://bucket.s3.amazonaws.com:443/my-object//example//photo.user", now=NOW)
    assert pairs(signed) == [
        ("Host", "bucket.s3.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, "
            "Signature=cd3cc47e51ab1b6c8bad78f8dbf7cf4f9c5d07cae549dc86b8a10d388ce5f5af",
        ),
    ]


def test_verify_ok_and_stale_with_the_policy():
    # sigv4-verify-ok and sigv4-verify-stale
    scheme = Scheme.aws_sigv4("us-east-1", "service")
    request = Request(method="GET", target="/", headers=[hmacsig.Header(name=n, value=v) for n, v in VANILLA_SIGNED], body=b"")
    creds = Credentials(KEY_ID, SECRET)
    policy = Policy.aws_sigv4(max_skew=900)
    assert hmacsig.verify_request(scheme, creds, request, policy, NOW + 60) == KEY_ID
    assert hmacsig.verify_request(scheme, creds, request, None, NOW + 900) == KEY_ID
    assert hmacsig.extract_key_id(scheme, request) == KEY_ID
    with pytest.raises(HmacSigError.Stale) as stale:
        hmacsig.verify_request(scheme, creds, request, policy, NOW + 901)
    assert str(stale.value) == "the signature from 20150830T123600Z expired 1 s ago"
    v = Verifier.with_keys(scheme, {KEY_ID: SECRET}, policy=Policy.aws_sigv4(max_skew=60))
    assert v.verify("GET", "/", VANILLA_SIGNED, now=NOW - 60) == KEY_ID
    with pytest.raises(HmacSigError.Stale):
        v.verify("GET", "/", VANILLA_SIGNED, now=NOW + 61)


def test_wrong_region_is_a_bad_signature():
    # sigv4-verify-wrong-region
    v = Verifier.with_keys(Scheme.aws_sigv4("eu-west-1", "service"), {KEY_ID: SECRET}, policy=Policy.aws_sigv4())
    with pytest.raises(HmacSigError.BadSignature) as info:
        v.verify("GET", "/", VANILLA_SIGNED, now=NOW)
    assert str(info.value) == (
        "the credential scope 20150830/us-east-1/service/aws4_request is not for 20150830/eu-west-1/service/aws4_request"
    )
    assert hmacsig.http_status(info.value) == 403


def test_tampered_request_is_a_bad_signature():
    v = Verifier.with_keys(Scheme.aws_sigv4("us-east-1", "service"), {KEY_ID: SECRET})
    with pytest.raises(HmacSigError.BadSignature):
        v.verify("GET", "/other", VANILLA_SIGNED, now=NOW)


def test_scheme_refusals():
    with pytest.raises(HmacSigError.Unsupported, match="expires must be 1..604800 seconds"):
        Scheme.aws_sigv4("us-east-1", "service", signature_type=SignatureType.QUERY, expires=0)
    with pytest.raises(HmacSigError.Unsupported, match="must be a non-empty name of letters, digits"):
        Scheme.aws_sigv4("", "service")
    with pytest.raises(HmacSigError.Unsupported, match="cannot verify the aws-sigv4 scheme"):
        Verifier.with_keys(Scheme.aws_sigv4("us-east-1", "service"), {KEY_ID: SECRET}, policy=Policy.timestamped())


def test_signature_type_enum():
    assert [t.name for t in SignatureType] == ["HEADER", "QUERY"]
    assert Scheme.aws_sigv4("us-east-1", "service", signature_type=SignatureType.QUERY).name() == "aws-sigv4"
