"""The one call path (hmacsig._call over the core's C entry, docs/ffi.md): the codec against the
core's golden bytes, the forms of input it takes or refuses, results past the buffer, closed
objects and objects closed under running calls, threads, and a body past 2 GiB."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pathlib
import random
import re
import threading

import pytest

import hmacsig
from hmacsig import _call
from hmacsig._ffi import InternalError

NOW = 1_700_000_000
FIXTURE = pathlib.Path(__file__).resolve().parents[3] / "tests" / "vectors" / "ffi" / "codec.json"
SCHEMES = {
    "api-auth sha256": lambda: hmacsig.Scheme.api_auth(digest="sha256"),
    "api-auth sha1": lambda: hmacsig.Scheme.api_auth(headers_to_sign=["X-Request-Id"]),
    "path-body-hex": lambda: hmacsig.Scheme.path_body_hex(digest="sha256"),
    "timestamped": lambda: hmacsig.Scheme.timestamped(),
    "aws-sigv4 header": lambda: hmacsig.Scheme.aws_sigv4("us-east-1", "s3", sign_body=True),
    "aws-sigv4 query": lambda: hmacsig.Scheme.aws_sigv4("us-east-1", "s3", signature_type=hmacsig.SignatureType.QUERY),
    "rfc9421": lambda: hmacsig.Scheme.rfc9421(content_digest=hmacsig.ContentDigest.SHA512),
}
HEADERS = [("Host", "api.example.com"), ("Content-Type", "application/json"), ("X-Request-Id", ""), ("X-Note", "naïve ✓")]


@pytest.fixture(scope="module")
def golden():
    return json.loads(FIXTURE.read_text())


def test_requests_encode_to_the_golden_bytes(golden):
    for case in golden["requests"]:
        text, counts = _call.request_text(case["method"], case["target"], [tuple(h) for h in case["headers"]])
        assert (text.hex(), counts) == (case["text_hex"], case["counts"]), case


def test_responses_encode_to_the_golden_bytes(golden):
    for case in golden["responses"]:
        request = case["request"]
        answered = None if request is None else (request["method"], request["target"], [tuple(h) for h in request["headers"]])
        text, counts = _call.response_text(case["status"], [tuple(h) for h in case["headers"]], answered)
        assert (text.hex(), counts) == (case["text_hex"], case["counts"]), case


def test_results_decode_from_the_golden_bytes(golden):
    assert [cls.kind for cls in _call.ERROR_CLASSES] == golden["kinds"]
    for case in golden["results"]:
        raw = bytes.fromhex(case["bytes_hex"])
        if "signed" in case:
            signed = _call.decode(raw)
            expected = case["signed"]
            assert [(h.name, h.value) for h in signed.headers] == [tuple(h) for h in expected["headers"]]
            assert (signed.url, signed.string_to_sign.hex()) == (expected["url"], expected["string_to_sign_hex"])
            assert type(signed) is hmacsig.SignedRequest and all(type(h) is hmacsig.Header for h in signed.headers)
        elif "key_id" in case:
            assert _call.decode(raw) == case["key_id"]
        else:
            with pytest.raises(hmacsig.HmacSigError) as info:
                _call.decode(raw)
            error, expected = info.value, case["error"]
            assert error.kind == expected["kind"]
            fields = [error.reason, *(getattr(error, f) for f in ("key_id", "string_to_sign") if hasattr(error, f))]
            assert fields == expected["fields"]
            assert str(error) == expected["fields"][0]


def test_every_header_form_signs_the_same():
    records = [hmacsig.Header(name=n, value=v) for n, v in HEADERS]
    forms = [
        HEADERS,
        tuple(HEADERS),
        dict(HEADERS),
        records,
        [HEADERS[0], records[1], *HEADERS[2:]],
        iter(HEADERS),
        (pair for pair in HEADERS),
        [list(pair) for pair in HEADERS],
    ]
    with hmacsig.Signer(SCHEMES["api-auth sha1"](), hmacsig.Credentials("k", "s")) as signer:
        expected = signer.sign("PUT", "/x", HEADERS, b"body", now=NOW)
        assert expected == signer.sign_request(hmacsig.Request(method="PUT", target="/x", headers=records, body=b"body"), now=NOW)
        for form in forms:
            assert signer.sign("PUT", "/x", form, b"body", now=NOW) == expected, form
        for body in (bytearray(b"body"), memoryview(b"body"), "body"):
            assert signer.sign("PUT", "/x", HEADERS, body, now=NOW) == expected


@pytest.mark.parametrize(
    "headers, message",
    [
        ([("X-A", "a", "b")], "a header must be a Header or a (name, value) pair"),
        ([("X-A",)], "a header must be a Header or a (name, value) pair"),
        ([("X-A", 7)], "header names and values must be str"),
        ({"X-A": None}, "header names and values must be str"),
        ([b"ab"], "header names and values must be str"),
        ([7], "a header must be a Header or a (name, value) pair"),
    ],
)
def test_headers_that_are_not_str_pairs_are_type_errors(headers, message):
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        with pytest.raises(TypeError, match=re.escape(message)):
            signer.sign("GET", "/", headers, b"", now=NOW)
        with pytest.raises(TypeError, match="method must be str"):
            signer.sign(b"GET", "/", [], b"", now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("headers", [[("X-A", "a\0b")], [("X-\0A", "a")], [("X-A", "a\0b\0c")]])
def test_a_nul_anywhere_is_a_typed_error_never_a_mis_split(headers):
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        with pytest.raises(hmacsig.HmacSigError.InvalidRequest, match="holds a NUL byte"):
            signer.sign("GET", "/", headers, b"", now=NOW)
        with pytest.raises(hmacsig.HmacSigError.InvalidRequest, match="holds a NUL byte"):
            signer.sign("GET\0", "/", [], b"", now=NOW)


def test_text_that_is_not_utf8_is_a_typed_error():
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        for method, target, headers in [("GET", "/\ud800", []), ("GET", "/", [("X-A", "\udc80")])]:
            with pytest.raises(hmacsig.HmacSigError.InvalidRequest, match="not valid UTF-8"):
                signer.sign(method, target, headers, b"", now=NOW)


@pytest.mark.parametrize("now, error", [(2**63, hmacsig.HmacSigError.InvalidRequest), (-(2**63), hmacsig.HmacSigError.InvalidRequest),
                                        (2**64 + NOW, hmacsig.HmacSigError.InvalidRequest), (True, TypeError), (1.5, TypeError),
                                        ("1", TypeError)])
def test_a_now_that_is_no_64_bit_unix_time_is_refused(now, error):
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        with pytest.raises(error):
            signer.sign("GET", "/", HEADERS, b"", now=now)
        for ok in (2**63 - 1, -1, 0):  # the scheme's own verdict on extreme clocks: typed either way
            try:
                signer.sign("GET", "/", HEADERS, b"", now=ok)
            except hmacsig.HmacSigError:
                pass


def test_now_none_is_the_system_clock():
    with hmacsig.Signer(SCHEMES["timestamped"](), hmacsig.Credentials("k", "s")) as signer:
        import time

        for _ in range(3):  # the two readings may straddle a second
            before = int(time.time())
            signed = signer.sign("GET", "/", [("Host", "api.example.com")], b"")
            if dict((h.name, h.value) for h in signed.headers)["X-Request-Timestamp"] == str(before):
                return
        pytest.fail("now=None did not sign at the system time")


def test_a_result_larger_than_the_buffer_comes_back_whole():
    # The native entry's buffer has room for a body up to 64 KiB. A refused path-body-hex request
    # carries its body twice in the error (the string to sign, and the reason quoting it), so it
    # is larger: the core keeps it and hands it over in a second step, without verifying again
    # (the replay guard would refuse a second verify).
    for size in (300, 60_000, 300_000):
        body = os.urandom(size)
        with hmacsig.Signer(SCHEMES["path-body-hex"](), hmacsig.Credentials("k", "s")) as signer:
            signed = signer.sign("POST", "/up", [], body, now=NOW)
            assert signed.string_to_sign.endswith(body)
        sent = [(h.name, h.value) for h in signed.headers]
        guard = hmacsig.ReplayGuard()
        with hmacsig.Verifier.with_keys(SCHEMES["path-body-hex"](), {"k": "other"}, replay_guard=guard) as verifier:
            with pytest.raises(hmacsig.HmacSigError.BadSignature) as info:
                verifier.verify("POST", "/up", sent, body, now=NOW)
        assert info.value.string_to_sign.endswith(body.decode("utf-8", "replace"))
        assert len(guard) == 0


def test_a_closed_signer_or_verifier_raises_value_error():
    signer = hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s"))
    assert signer.sign("GET", "/", HEADERS, b"", now=NOW).headers
    signer.close()
    with pytest.raises(ValueError, match="this Signer is closed"):
        signer.sign("GET", "/", HEADERS, b"", now=NOW)
    verifier = hmacsig.Verifier.with_keys(SCHEMES["api-auth sha256"](), {"k": "s"})
    verifier.close()
    with pytest.raises(ValueError, match="this Verifier is closed"):
        verifier.verify("GET", "/", HEADERS, b"", now=NOW)


def test_the_native_entry_answers_a_wrong_argument_with_the_layers_error():
    # hmacsig._ffi._native (core/src/ffi/python.rs) returns a code for an argument of the wrong
    # type; the layer raises what its Python path raised. The ASGI form's text is the one
    # received_request_text builds: both verify the same requests.
    verifier = hmacsig.Verifier.with_keys(SCHEMES["api-auth sha256"](), {"k": "s"})
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        signed = signer.sign("POST", "/x?a=1", [("Content-Type", "caf\u00e9")], b"body")
    pairs = [(b"content-type", "caf\u00e9".encode("latin-1"))] + [(h.name.encode(), h.value.encode()) for h in signed.headers]
    target = b"/x?a=1"
    assert verifier._verify_received("POST", target, pairs, b"body") == "k"
    message, counts = _call.received_request_text("POST", target, pairs)
    assert _call.call(_call.OP_VERIFY, verifier._id, counts, message, b"body", None, _call.SYSTEM_CLOCK, "Verifier") == "k"
    with pytest.raises(hmacsig.HmacSigError.BodyMismatch):
        verifier._verify_received("POST", target, pairs, b"bodY")
    with pytest.raises(hmacsig.HmacSigError.InvalidRequest, match="the method is not valid UTF-8 text"):
        verifier._verify_received("\ud800", target, pairs, b"body")
    for headers in ([(b"a", "b")], [(b"a", b"b", b"c")], [(b"a",)], [7]):
        with pytest.raises(TypeError, match=re.escape("ASGI headers must be (bytes, bytes) pairs")):
            verifier._verify_received("POST", target, headers, b"body")
    with pytest.raises(TypeError, match="must be bytes"):
        verifier._verify_received("POST", "/x", pairs, b"body")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be bytes"):
        _call.call(_call.OP_VERIFY, verifier._id, counts, message, bytearray(b"body"), None, _call.SYSTEM_CLOCK, "Verifier")
    with pytest.raises(InternalError, match="malformed call"):
        _call.call(99, verifier._id, counts, message, b"body", None, _call.SYSTEM_CLOCK, "Verifier")
    verifier.close()
    with pytest.raises(ValueError, match="this Verifier is closed"):
        verifier._verify_received("POST", target, pairs, b"body")


def test_a_header_pair_that_calls_in_again_gets_its_answer():
    # Any sequence is a pair; its __getitem__ runs while the native entry builds its text, and
    # may verify on the same thread: that inner call builds a text of its own.
    verifier = hmacsig.Verifier.with_keys(SCHEMES["api-auth sha256"](), {"k": "s"})
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        signed = signer.sign("POST", "/x", [("Content-Type", "text/plain")], b"body")
    pairs = [(b"content-type", b"text/plain")] + [(h.name.encode(), h.value.encode()) for h in signed.headers]
    inner = []

    class Pair:
        def __init__(self, name: bytes, value: bytes) -> None:
            self.fields = (name, value)

        def __len__(self) -> int:
            return 2

        def __getitem__(self, i: int) -> bytes:
            inner.append(verifier._verify_received("POST", b"/x", pairs, b"body"))
            return self.fields[i]

    assert verifier._verify_received("POST", b"/x", [Pair(*p) for p in pairs], b"body") == "k"
    assert inner == ["k"] * (2 * len(pairs))
    verifier.close()


@pytest.mark.parametrize("what", ["Signer", "Verifier"])
def test_closing_under_running_calls_never_crashes(what):
    # Each call holds its object in the core for as long as it runs (docs/ffi.md); a 16 MiB body
    # keeps calls busy while the object is closed and its last reference dropped.
    scheme = SCHEMES["path-body-hex"]()
    body = bytes(16 << 20)
    with hmacsig.Signer(scheme, hmacsig.Credentials("k", "s")) as signer:
        signed = signer.sign("POST", "/up", [], body, now=NOW)
    sent = [(h.name, h.value) for h in signed.headers]
    target = hmacsig.Signer(scheme, hmacsig.Credentials("k", "s")) if what == "Signer" else hmacsig.Verifier.with_keys(scheme, {"k": "s"})
    expected = signed if what == "Signer" else "k"
    results, started = [], threading.Event()

    def call_until_closed():
        while True:
            try:
                if what == "Signer":
                    results.append(target.sign("POST", "/up", [], body, now=NOW))
                else:
                    results.append(target.verify("POST", "/up", sent, body, now=NOW))
            except ValueError:
                return
            started.set()

    threads = [threading.Thread(target=call_until_closed) for _ in range(2)]
    for t in threads:
        t.start()
    assert started.wait(30)
    target.close()
    for t in threads:
        t.join(30)
        assert not t.is_alive()
    assert results and all(r == expected for r in results)


def random_request(rng: random.Random):
    method = rng.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "get"])
    path = "/" + "/".join(rng.choice(["v1", "orders", "ä b", "%2F", "a.b", "~x", ""]) for _ in range(rng.randrange(4)))
    query = "&".join(f"{rng.choice(['id', 'b', 'a', 'q'])}={rng.choice(['7', '', 'x y', 'é'])}" for _ in range(rng.randrange(3)))
    target = path + ("?" + query if query else "")
    headers = [("Host", "api.example.com")] if rng.random() < 0.9 else []
    for _ in range(rng.randrange(4)):
        headers.append((rng.choice(["Content-Type", "X-Request-Id", "Date", "X-Amz-Date"]), rng.choice(["a", "", "text/plain", "x\ny"])))
    return method, target, headers, os.urandom(rng.randrange(200))


def outcome(call):
    try:
        return ("ok", repr(call()))
    except hmacsig.HmacSigError as e:
        return ("error", type(e), str(e))


def test_threads_each_get_their_own_result():
    rng = random.Random("threads")
    signers = {name: hmacsig.Signer(make(), hmacsig.Credentials("key-1", "threads")) for name, make in SCHEMES.items()}
    work = []
    for _ in range(6):
        jobs = []
        for _ in range(120):
            name = rng.choice(sorted(signers))
            method, target, headers, body = random_request(rng)
            expected = outcome(lambda: signers[name].sign(method, target, headers, body, now=NOW))
            jobs.append((name, method, target, headers, body, expected))
        work.append(jobs)
    barrier = threading.Barrier(len(work))
    mismatches: list[object] = []

    def run(jobs):
        barrier.wait()
        for name, method, target, headers, body, expected in jobs:
            got = outcome(lambda: signers[name].sign(method, target, headers, body, now=NOW))
            if got != expected:
                mismatches.append((name, method, target, got, expected))

    threads = [threading.Thread(target=run, args=(jobs,)) for jobs in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert mismatches == []
    for s in signers.values():
        s.close()


def rss_mib() -> float:
    pages = int(pathlib.Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def test_a_body_past_2_gib_is_signed_and_verified_in_place():
    # bytes(n) is allocated zeroed by the OS and never written, so neither it nor reading it
    # costs resident memory: the test needs no 2 GiB of RAM. The entry takes 64-bit lengths.
    size = (1 << 31) + 5
    body = bytes(size)
    before = rss_mib()
    scheme = SCHEMES["api-auth sha256"]()
    with hmacsig.Signer(scheme, hmacsig.Credentials("k", "s")) as signer:
        signed = signer.sign("PUT", "/upload", HEADERS, body, now=NOW)
        digest = hashlib.sha256(body).digest()
        assert signed.headers[0] == hmacsig.Header(name="X-Authorization-Content-SHA256", value=base64.b64encode(digest).decode())
        from_digest = hmacsig.BodyDigest(algorithm=hmacsig.ContentDigest.SHA256, digest=digest, length=size)
        assert signed == signer.sign_with_body_digest("PUT", "/upload", HEADERS, from_digest, now=NOW)
        sent = [*HEADERS, *((h.name, h.value) for h in signed.headers)]
        with hmacsig.Verifier.with_keys(scheme, {"k": "s"}) as verifier:
            assert verifier.verify("PUT", "/upload", sent, body, now=NOW) == "k"
    assert rss_mib() - before < 64
