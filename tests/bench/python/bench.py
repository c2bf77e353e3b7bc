"""The Python measurements of ``cargo xtask bench`` (run by xtask in ``target/py-venv``).

Prints one JSON object: per case, the per-call nanoseconds of each batch (``samples_ns``);
batches of all cases are interleaved round by round, in rotating order, so that drift hits
numerators and denominators alike. xtask takes the medians and divides (BENCHMARKS.md).

Cases, all on the small request of issue 6 (a POST with a 200-byte JSON body and four headers,
the same one ``tests/bench/src/main.rs`` builds):

- ``hmacsig_api_auth_sign``: ``hmacsig.Signer.sign`` (api-auth, HMAC-SHA256);
- ``stdlib_api_auth_sign``: a hand-written api-auth signer on ``hmac``, ``hashlib``, ``base64``
  that produces the same headers (checked before timing);
- ``hmacsig_sigv4_sign``: ``hmacsig.Signer.sign`` (aws-sigv4);
- ``botocore_add_auth``: ``botocore.auth.SigV4Auth.add_auth`` on the same request (same signature
  at a fixed time, checked before timing);
- ``ffi_api_auth_sign``: the generated ``hmacsig._ffi.Signer.sign`` with prebuilt ``Header``
  records (where the time goes: the hand-written layer vs the FFI crossing);
- ``generated_packed_api_auth_call``: the generated ``sign_packed`` (ADR 0004's hot path) with
  prepacked arguments, its result not unpacked: UniFFI's call machinery plus the Rust work;
- ``raw_api_auth_call``: the C entry ``hmacsig_sign_packed_into`` that ``Signer.sign`` now calls
  (through ctypes, ``hmacsig._raw``) with the same prepacked arguments into a reused buffer:
  ctypes plus the Rust work, so ``hmacsig_api_auth_sign`` minus this is the layer's own packing
  and unpacking.

``profile`` lists where ``hmacsig.Signer.sign`` spends its time (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import base64
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

import botocore.auth
import botocore.awsrequest
import botocore.credentials

import hmacsig
from hmacsig import _ffi, _raw

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


def header(signed: hmacsig.SignedRequest, name: str) -> str:
    return next(h.value for h in signed.headers if h.name.lower() == name.lower())


def cases() -> tuple[dict[str, tuple[str, Callable[[], object]]], dict[str, object]]:
    creds = hmacsig.Credentials(KEY_ID, SECRET)
    api_auth = hmacsig.Signer(hmacsig.Scheme.api_auth("sha256"), creds)
    sigv4 = hmacsig.Signer(hmacsig.Scheme.aws_sigv4(REGION, SERVICE), creds)
    secret = SECRET.encode()

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

    ffi_signer = _ffi.Signer(hmacsig.Scheme.api_auth("sha256"), creds)
    ffi_headers = [hmacsig.Header(name=n, value=v) for n, v in HEADERS]
    assert header(ffi_signer.sign(METHOD, TARGET, ffi_headers, BODY, NOW), "Authorization") == theirs["Authorization"]

    raw_signer = hmacsig.Signer(hmacsig.Scheme.api_auth("sha256"), creds)
    generated, address = raw_signer._hot
    packed = hmacsig._pack_call(METHOD, TARGET, HEADERS, NOW)
    assert packed is not None and _raw.ENTRY is not None and address
    m, t, h, clock = packed
    view, pointer, capacity = _raw._buffer(4096)
    entry = _raw.ENTRY
    n = entry(address, m, len(m), t, len(t), h, len(h), BODY, len(BODY), clock, pointer, capacity)
    assert view[:n].tobytes() == generated.sign_packed(m, t, h, BODY, clock), "the C entry writes what sign_packed returns"
    assert _raw.unpack_signed(view[:n].tobytes()) == ours
    lm, lt, lh, lb = len(m), len(t), len(h), len(BODY)

    timed: dict[str, tuple[str, Callable[[], object]]] = {
        "hmacsig_api_auth_sign": (
            "hmacsig.Signer.sign (api-auth, HMAC-SHA256) of the small request, headers as (name, value) pairs",
            lambda: api_auth.sign(METHOD, TARGET, HEADERS, BODY, NOW),
        ),
        "stdlib_api_auth_sign": (
            "hand-written api-auth HMAC-SHA256 signer (hmac.digest, hashlib.sha256, base64, email.utils.formatdate), same headers",
            lambda: stdlib_api_auth_sign(secret, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW),
        ),
        "hmacsig_sigv4_sign": (
            "hmacsig.Signer.sign (aws-sigv4, header signature) of the small request",
            lambda: sigv4.sign(METHOD, TARGET, HEADERS, BODY, NOW),
        ),
        "botocore_add_auth": (
            f"botocore {botocore.__version__} SigV4Auth.add_auth on an AWSRequest of the same request (same signature)",
            lambda: boto_auth.add_auth(boto_request),
        ),
        "ffi_api_auth_sign": (
            "the generated hmacsig._ffi.Signer.sign (api-auth) with prebuilt Header records: the FFI call alone",
            lambda: ffi_signer.sign(METHOD, TARGET, ffi_headers, BODY, NOW),
        ),
        "generated_packed_api_auth_call": (
            "the generated hmacsig._ffi.Signer.sign_packed (api-auth) with prepacked arguments, result not unpacked",
            lambda: generated.sign_packed(m, t, h, BODY, clock),
        ),
        "raw_api_auth_call": (
            "the C entry hmacsig_sign_packed_into (api-auth) through ctypes with prepacked arguments into a reused buffer, result not unpacked",
            # The default argument keeps the buffer (and the signer) alive as long as the lambda.
            lambda keep=(view, raw_signer): entry(address, m, lm, t, lt, h, lh, BODY, lb, clock, pointer, capacity),
        ),
    }
    checks = {"stdlib_same_headers": True, "botocore_same_signature": True, "botocore": botocore.__version__}
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
