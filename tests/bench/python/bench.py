"""The Python measurements of ``cargo xtask bench`` (run by xtask in ``target/py-venv``).

Prints one JSON object: per case, the per-call nanoseconds of each batch (``samples_ns``);
batches of all cases are interleaved round by round, in rotating order, so that drift hits
numerators and denominators alike. xtask takes the medians and divides (BENCHMARKS.md).

Cases, all on the small request of issue 6 (a POST with a 200-byte JSON body and four headers,
the same one ``tests/bench/src/main.rs`` builds):

- ``hmacsig_api_auth_sign``: ``hmacsig.Signer.sign`` (api-auth, HMAC-SHA256);
- ``stdlib_api_auth_sign``: a hand-written api-auth signer on ``hmac``, ``hashlib``, ``base64``
  that produces the same headers (checked before timing);
- ``hmacsig_kong_sign`` / ``stdlib_kong_sign``: kong-hmac (HMAC-SHA256 over ``date`` and
  ``@request-target``, a ``Date`` added), by hmacsig and by hand on ``hmac``, ``base64`` and
  ``email.utils`` (the same headers, checked before timing);
- ``hmacsig_hawk_sign`` / ``stdlib_hawk_sign``: hawk (SHA-256, payload hash, a given nonce), by
  hmacsig and by hand on ``hmac``, ``hashlib`` and ``base64`` (the same ``Authorization``, checked
  before timing);
- ``hmacsig_sigv4_sign``: ``hmacsig.Signer.sign`` (aws-sigv4);
- ``botocore_add_auth``: ``botocore.auth.SigV4Auth.add_auth`` on the same request (same signature
  at a fixed time, checked before timing);
- ``awscrt_sigv4_sign``: ``awscrt.auth.aws_sign_request`` (AWS's C signer, aws-c-auth) on an
  ``awscrt.http.HttpRequest`` of the same request, built per call as a user would (same
  signature, checked before timing);
- ``hmacsig_api_auth_verify``: ``hmacsig.Verifier.verify`` (``with_keys``) of the signed request;
- ``hmacsig_api_auth_verify_lookup``: the same with ``Verifier.with_lookup`` over a Python
  function (one call for the key id, the lookup in Python, one call for the verdict);
- ``stdlib_api_auth_verify``: a hand-written api-auth verifier on ``hmac``, ``hashlib`` and
  ``base64`` with the same Python key lookup: parse ``Authorization``, look the secret up, check
  the body hash, rebuild the string, ``hmac.compare_digest``. It checks less than hmacsig (no
  ``Date`` window, no header validation), so it is the harder baseline;
- ``call_api_auth_sign``: the C entry ``hmacsig_call`` alone (through ``hmacsig._call``) with the
  text encoded once, its result decoded: so ``hmacsig_api_auth_sign`` minus this is the layer's
  own argument handling.

``profile`` lists where ``hmacsig.Signer.sign`` spends its time (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import base64
import io
import cProfile
import datetime
import email.utils
import gc
import hashlib
import hmac
import json
import pstats
import sys
import time
from typing import Callable
from unittest import mock

import awscrt.auth
import awscrt.http
import botocore.auth
import botocore.awsrequest
import botocore.credentials

import hmacsig
from hmacsig import _call

NOW = 1_700_000_000  # 2023-11-14T22:13:20Z, as the Rust side
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # AWS's documented example secret: not a real key
METHOD = "POST"
TARGET = "/v1/orders?id=42"
HOST = "api.example.com"
REGION = "us-east-1"
SERVICE = "execute-api"


def small_body() -> bytes:
    head = '{"order_id":42,"customer":"c-1001","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"note":"'
    tail = '"}'
    body = (head + "x" * (200 - len(head) - len(tail)) + tail).encode()
    assert len(body) == 200
    return body


BODY = small_body()
HEADERS = [
    ("Host", HOST),
    ("Content-Type", "application/json"),
    ("Content-Length", "200"),
    ("X-Request-Id", "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"),
]


def stdlib_api_auth_sign(
    secret: bytes, key_id: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes, now: int
) -> dict[str, str]:
    """api-auth with HMAC-SHA256 (the Ruby gem's format), by hand: the headers to add."""
    content_type = ""
    for name, value in headers:
        if name.lower() == "content-type":
            content_type = value
            break
    content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
    date = email.utils.formatdate(now, usegmt=True)
    canonical = f"{method.upper()},{content_type},{content_hash},{target},{date}"
    signature = base64.b64encode(hmac.digest(secret, canonical.encode(), "sha256")).decode()
    return {
        "X-Authorization-Content-SHA256": content_hash,
        "Date": date,
        "Authorization": f"APIAuth-HMAC-SHA256 {key_id}:{signature}",
    }


def stdlib_api_auth_verify(
    lookup: Callable[[str], bytes | None], method: str, target: str, headers: list[tuple[str, str]], body: bytes
) -> str:
    """api-auth HMAC-SHA256 verified by hand: the key id, or ValueError."""
    fields = {name.lower(): value for name, value in headers}
    scheme, _, credentials = fields.get("authorization", "").partition(" ")
    key_id, _, signature = credentials.rpartition(":")
    secret = lookup(key_id)
    if scheme != "APIAuth-HMAC-SHA256" or secret is None:
        raise ValueError("unknown key or scheme")
    content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
    if fields.get("x-authorization-content-sha256") != content_hash:
        raise ValueError("body mismatch")
    canonical = f"{method.upper()},{fields.get('content-type', '')},{content_hash},{target},{fields.get('date', '')}"
    expected = base64.b64encode(hmac.digest(secret, canonical.encode(), "sha256")).decode()
    if not hmac.compare_digest(expected, signature):
        raise ValueError("bad signature")
    return key_id


def stdlib_kong_sign(secret: bytes, key_id: str, method: str, target: str, now: int) -> dict[str, str]:
    """kong-hmac with hmac-sha256 over ``date`` and ``@request-target``, by hand."""
    date = email.utils.formatdate(now, usegmt=True)
    signing = f"date: {date}\n@request-target: {method.lower()} {target}"
    signature = base64.b64encode(hmac.digest(secret, signing.encode(), "sha256")).decode()
    authorization = f'hmac username="{key_id}", algorithm="hmac-sha256", headers="date @request-target", signature="{signature}"'
    return {"Date": date, "Authorization": authorization}


def stdlib_hawk_sign(
    secret: bytes, key_id: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes, now: int, nonce: str
) -> dict[str, str]:
    """hawk with SHA-256 and a payload hash, by hand (host and port from ``Host``)."""
    fields = {name.lower(): value for name, value in headers}
    host, _, port = fields["host"].partition(":")
    content_type = fields.get("content-type", "").split(";")[0].strip().lower()
    payload = hashlib.sha256(b"hawk.1.payload\n" + content_type.encode() + b"\n" + body + b"\n").digest()
    payload_hash = base64.b64encode(payload).decode()
    normalized = f"hawk.1.header\n{now}\n{nonce}\n{method.upper()}\n{target}\n{host.lower()}\n{port or 80}\n{payload_hash}\n\n"
    mac = base64.b64encode(hmac.digest(secret, normalized.encode(), "sha256")).decode()
    return {"Authorization": f'Hawk id="{key_id}", ts="{now}", nonce="{nonce}", hash="{payload_hash}", mac="{mac}"'}


def header(signed: hmacsig.SignedRequest, name: str) -> str:
    return next(h.value for h in signed.headers if h.name.lower() == name.lower())


def cases() -> tuple[dict[str, tuple[str, Callable[[], object]]], dict[str, object]]:
    creds = hmacsig.Credentials(KEY_ID, SECRET)
    api_auth = hmacsig.Signer(hmacsig.Scheme.api_auth("sha256"), creds)
    sigv4 = hmacsig.Signer(hmacsig.Scheme.aws_sigv4(REGION, SERVICE), creds)
    kong = hmacsig.Signer(hmacsig.Scheme.kong_hmac(), creds)
    hawk = hmacsig.Signer(hmacsig.Scheme.hawk(nonce="bench-nonce"), creds)
    secret = SECRET.encode()
    for name, value in stdlib_kong_sign(secret, KEY_ID, METHOD, TARGET, NOW).items():
        got = header(kong.sign(METHOD, TARGET, HEADERS, BODY, NOW), name)
        assert got == value, f"stdlib kong {name} {value!r} != hmacsig {got!r}"
    ours_hawk = header(hawk.sign(METHOD, TARGET, HEADERS, BODY, NOW), "Authorization")
    theirs_hawk = stdlib_hawk_sign(secret, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW, "bench-nonce")["Authorization"]
    assert ours_hawk == theirs_hawk, f"stdlib hawk {theirs_hawk!r} != hmacsig {ours_hawk!r}"

    # Same output before any timing: the denominators do the same job.
    ours = api_auth.sign(METHOD, TARGET, HEADERS, BODY, NOW)
    theirs = stdlib_api_auth_sign(secret, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW)
    for name, value in theirs.items():
        assert header(ours, name) == value, f"stdlib {name} {value!r} != hmacsig {header(ours, name)!r}"

    boto_auth = botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY_ID, SECRET), SERVICE, REGION)
    boto_request = botocore.awsrequest.AWSRequest(method=METHOD, url=f"https://{HOST}{TARGET}", headers=dict(HEADERS), data=BODY)
    fixed = datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=fixed):
        boto_auth.add_auth(boto_request)
    boto_authorization = boto_request.headers["Authorization"]
    our_authorization = header(sigv4.sign(METHOD, TARGET, HEADERS, BODY, NOW), "Authorization")
    boto_signature = boto_authorization.rsplit("Signature=", 1)[1]
    assert our_authorization.endswith("Signature=" + boto_signature), f"{our_authorization} vs {boto_authorization}"

    crt_credentials = awscrt.auth.AwsCredentialsProvider.new_static(KEY_ID, SECRET)
    crt_config = awscrt.auth.AwsSigningConfig(
        algorithm=awscrt.auth.AwsSigningAlgorithm.V4,
        signature_type=awscrt.auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=crt_credentials,
        region=REGION,
        service=SERVICE,
        date=datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc),
    )

    def crt_sign() -> awscrt.http.HttpRequest:
        request = awscrt.http.HttpRequest(METHOD, TARGET, awscrt.http.HttpHeaders(HEADERS), body_stream=io.BytesIO(BODY))
        signed: awscrt.http.HttpRequest = awscrt.auth.aws_sign_request(request, crt_config).result()
        return signed

    crt_authorization = dict(crt_sign().headers)["Authorization"]
    assert crt_authorization == our_authorization, f"{our_authorization} vs awscrt {crt_authorization}"

    keys = {KEY_ID: secret}
    sent = [*HEADERS, *((h.name, h.value) for h in ours.headers)]
    verifier = hmacsig.Verifier.with_keys(hmacsig.Scheme.api_auth("sha256"), keys)
    looked_up = hmacsig.Verifier.with_lookup(hmacsig.Scheme.api_auth("sha256"), keys.get)
    assert verifier.verify(METHOD, TARGET, sent, BODY, NOW) == looked_up.verify(METHOD, TARGET, sent, BODY, NOW) == KEY_ID
    assert stdlib_api_auth_verify(keys.get, METHOD, TARGET, sent, BODY) == KEY_ID
    tampered = BODY[:-2] + b"y}"
    for refuse in (lambda: stdlib_api_auth_verify(keys.get, METHOD, TARGET, sent, tampered),):
        try:
            refuse()
            raise AssertionError("the stdlib verifier accepted a tampered body")
        except ValueError:
            pass

    text, counts = _call.request_text(METHOD, TARGET, HEADERS)
    signer_id = api_auth._id
    assert _call.call(_call.OP_SIGN, signer_id, counts, text, BODY, None, NOW, "Signer") == ours

    timed: dict[str, tuple[str, Callable[[], object]]] = {
        "hmacsig_api_auth_sign": (
            "hmacsig.Signer.sign (api-auth, HMAC-SHA256) of the small request, headers as (name, value) pairs",
            lambda: api_auth.sign(METHOD, TARGET, HEADERS, BODY, NOW),
        ),
        "stdlib_api_auth_sign": (
            "hand-written api-auth HMAC-SHA256 signer (hmac.digest, hashlib.sha256, base64, email.utils.formatdate), same headers",
            lambda: stdlib_api_auth_sign(secret, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW),
        ),
        "hmacsig_kong_sign": (
            "hmacsig.Signer.sign (kong-hmac hmac-sha256, date and @request-target) of the small request",
            lambda: kong.sign(METHOD, TARGET, HEADERS, BODY, NOW),
        ),
        "stdlib_kong_sign": (
            "hand-written kong-hmac hmac-sha256 signer (hmac.digest, base64, email.utils.formatdate), same headers",
            lambda: stdlib_kong_sign(secret, KEY_ID, METHOD, TARGET, NOW),
        ),
        "hmacsig_hawk_sign": (
            "hmacsig.Signer.sign (hawk sha256, payload hash, given nonce) of the small request",
            lambda: hawk.sign(METHOD, TARGET, HEADERS, BODY, NOW),
        ),
        "stdlib_hawk_sign": (
            "hand-written hawk sha256 signer (hashlib.sha256, hmac.digest, base64), same Authorization",
            lambda: stdlib_hawk_sign(secret, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW, "bench-nonce"),
        ),
        "hmacsig_sigv4_sign": (
            "hmacsig.Signer.sign (aws-sigv4, header signature) of the small request",
            lambda: sigv4.sign(METHOD, TARGET, HEADERS, BODY, NOW),
        ),
        "botocore_add_auth": (
            f"botocore {botocore.__version__} SigV4Auth.add_auth on an AWSRequest of the same request (same signature)",
            lambda: boto_auth.add_auth(boto_request),
        ),
        "awscrt_sigv4_sign": (
            f"awscrt {awscrt.__version__} auth.aws_sign_request (aws-c-auth) on an HttpRequest of the same request, built per call (same signature)",
            crt_sign,
        ),
        "hmacsig_api_auth_verify": (
            "hmacsig.Verifier.verify (with_keys, api-auth HMAC-SHA256) of the signed small request",
            lambda: verifier.verify(METHOD, TARGET, sent, BODY, NOW),
        ),
        "hmacsig_api_auth_verify_lookup": (
            "hmacsig.Verifier.verify (with_lookup over dict.get, api-auth HMAC-SHA256) of the signed small request",
            lambda: looked_up.verify(METHOD, TARGET, sent, BODY, NOW),
        ),
        "stdlib_api_auth_verify": (
            "hand-written api-auth HMAC-SHA256 verifier (dict.get lookup, hashlib.sha256, hmac.digest, base64, hmac.compare_digest; no Date window)",
            lambda: stdlib_api_auth_verify(keys.get, METHOD, TARGET, sent, BODY),
        ),
        "call_api_auth_sign": (
            "the C entry hmacsig_call (api-auth sign) through hmacsig._call with the text encoded once, result decoded",
            lambda: _call.call(_call.OP_SIGN, signer_id, counts, text, BODY, None, NOW, "Signer"),
        ),
    }
    checks = {
        "stdlib_same_headers": True,
        "stdlib_kong_same_headers": True,
        "stdlib_hawk_same_authorization": True,
        "botocore_same_signature": True,
        "botocore": botocore.__version__,
        "awscrt_same_signature": True,
        "awscrt": awscrt.__version__,
        "verifiers_same_key_id": True,
    }
    return timed, checks


def batch(calls: int, f: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    for _ in range(calls):
        f()
    return (time.perf_counter_ns() - start) / calls


def calibrate(target_ns: float, f: Callable[[], object]) -> int:
    for _ in range(20):
        f()
    calls = 1
    while True:
        took = batch(calls, f) * calls
        if took >= target_ns / 4:
            return max(1, int(target_ns / (took / calls)))
        calls *= 4


def profile(f: Callable[[], object], calls: int, top: int) -> list[dict[str, object]]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        f()
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{file.rsplit('/', 1)[-1]}:{line}({func})",
                "calls_per_sign": ncalls / calls,
                "tottime_us_per_sign": tottime / calls * 1e6,
                "cumtime_us_per_sign": cumtime / calls * 1e6,
            }
        )
    rows.sort(key=lambda r: r["tottime_us_per_sign"], reverse=True)  # type: ignore[arg-type, return-value]
    return rows[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--batch-ms", type=float, default=20.0)
    args = parser.parse_args()

    timed, checks = cases()
    calls = {name: calibrate(args.batch_ms * 1e6, f) for name, (_, f) in timed.items()}
    names = list(timed)
    samples: dict[str, list[float]] = {name: [] for name in names}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does, for every case alike
    try:
        for name in names:  # warm-up, discarded
            batch(calls[name], timed[name][1])
        for round_ in range(max(1, args.rounds)):
            for k in range(len(names)):
                name = names[(round_ + k) % len(names)]
                samples[name].append(batch(calls[name], timed[name][1]))
    finally:
        if gc_was_enabled:
            gc.enable()

    out: dict[str, object] = {
        name: {"what": timed[name][0], "calls_per_batch": calls[name], "samples_ns": samples[name]} for name in names
    }
    out["checks"] = checks
    out["python"] = sys.version.split()[0]
    out["profile_hmacsig_api_auth_sign"] = profile(timed["hmacsig_api_auth_sign"][1], 20000, 15)
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
