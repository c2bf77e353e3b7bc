"""Signer.sign takes the core's C entry hmacsig_sign_packed_into (core/src/raw_abi.rs, through
hmacsig._raw) when it can, the generated packed call (core/src/packed.rs) when the entry refuses
a request or is unavailable, and the record call for inputs the packed layout cannot carry; all
must give the same result, or the same typed error."""

from __future__ import annotations

import base64
import hashlib
import os
import pathlib
import random
import re
import threading

import pytest

import hmacsig
from hmacsig import _ffi, _raw

NOW = 1_700_000_000
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


def record_sign(signer: hmacsig.Signer, method, target, headers, body, now):
    # The generated record call, bypassing the layer's packed paths.
    return signer._inner.sign(method, target, [hmacsig.Header(name=n, value=v) for n, v in headers], body, now)


def outcome(call):
    """What a call gives: its result as a comparable value, or its error's type and message."""
    try:
        signed = call()
    except Exception as e:  # noqa: BLE001 - the point is to compare whatever is raised
        return ("error", type(e), str(e))
    assert type(signed) is hmacsig.SignedRequest and type(signed.string_to_sign) is bytes
    assert all(type(h) is hmacsig.Header for h in signed.headers)
    # repr shows the fields in order: the same record, field for field.
    return ("ok", repr(signed), signed.string_to_sign)


def random_request(rng: random.Random):
    """A request of the kinds Signer.sign sees, a few of them refused by the core."""
    method = rng.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "get"])
    path = "/" + "/".join(rng.choice(["v1", "orders", "ä b", "%2F", "a.b", "~x", ""]) for _ in range(rng.randrange(4)))
    query = "&".join(f"{rng.choice(['id', 'b', 'a', 'q'])}={rng.choice(['7', '', 'x y', 'é'])}" for _ in range(rng.randrange(3)))
    target = path + ("?" + query if query else "")
    if rng.random() < 0.2:
        target = "https://api.example.com" + target
    headers = [("Host", "api.example.com")] if rng.random() < 0.9 else []
    for _ in range(rng.randrange(5)):
        name = rng.choice(["Content-Type", "X-Request-Id", "X-Note", "Accept", "content-type"])
        value = rng.choice(["application/json", "", "naïve ✓", "  spaced  ", "42", "a" * rng.randrange(300)])
        headers.append((name, value))
    if rng.random() < 0.05:
        headers.append(rng.choice([("", "empty name"), ("X-Bad", "line\nbreak"), ("Bad Name", "v")]))
    size = rng.choice([0, 0, 7, 200, rng.randrange(1, 5000), rng.randrange(5000, 70_000)])
    body = rng.randbytes(size)
    return method, target, headers, body


@pytest.fixture
def entry_calls(monkeypatch):
    """Every call of the C entry: its output capacity and result."""
    calls = []
    real = _raw.ENTRY

    def counted(*args):
        n = real(*args)
        calls.append((args[-1], n))
        return n

    monkeypatch.setattr(_raw, "ENTRY", counted)
    return calls


@pytest.fixture
def generated_calls(monkeypatch):
    """Every call of the generated sign_packed."""
    calls = []
    real = _ffi.Signer.sign_packed

    def counted(self, *args):
        calls.append(args)
        return real(self, *args)

    monkeypatch.setattr(_ffi.Signer, "sign_packed", counted)
    return calls


def test_the_entry_is_declared_on_the_generated_modules_library():
    assert _raw.ENTRY is not None
    assert _raw.ENTRY.argtypes is not None and len(_raw.ENTRY.argtypes) == 12
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        inner, address = signer._hot
        assert inner is signer._inner and address == inner.address() != 0


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_the_c_entry_equals_the_record_call_over_random_requests(scheme, entry_calls, generated_calls):
    rng = random.Random(f"raw {scheme}")
    refused = 0
    with hmacsig.Signer(SCHEMES[scheme](), hmacsig.Credentials("key-1", "raw-secret")) as signer:
        for case in range(120):
            method, target, headers, body = random_request(rng)
            entry_calls.clear()
            generated_calls.clear()
            ours = outcome(lambda: signer.sign(method, target, headers, body, now=NOW))
            assert ours == outcome(lambda: record_sign(signer, method, target, headers, body, NOW)), f"case {case}"
            assert len(entry_calls) == 1, f"case {case}: the C entry signs each request once"
            if ours[0] == "ok":
                assert generated_calls == []
            else:
                refused += 1  # the entry says -1, the generated call brings the typed error
                assert entry_calls[0][1] == -1 and len(generated_calls) == 1
    assert refused >= 1, "some random requests are refused, exercising the error path"


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_without_the_entry_the_generated_packed_call_gives_the_same(scheme, monkeypatch, generated_calls):
    monkeypatch.setattr(_raw, "ENTRY", None)
    rng = random.Random(f"generated {scheme}")
    with hmacsig.Signer(SCHEMES[scheme](), hmacsig.Credentials("key-1", "raw-secret")) as signer:
        assert signer._hot[1] == 0, "no entry: no address taken"
        for case in range(40):
            method, target, headers, body = random_request(rng)
            generated_calls.clear()
            ours = outcome(lambda: signer.sign(method, target, headers, body, now=NOW))
            assert ours == outcome(lambda: record_sign(signer, method, target, headers, body, NOW)), f"case {case}"
            assert len(generated_calls) == 1


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("body", [b"", b'{"id":7}', bytes(range(256))])
def test_packed_equals_record(scheme, body):
    assert hmacsig._pack_call("POST", "/v1/orders?b=2&a=1", HEADERS, NOW) is not None  # the packed path is taken
    with hmacsig.Signer(SCHEMES[scheme](), hmacsig.Credentials("k-1", "secret")) as signer:
        packed = signer.sign("POST", "/v1/orders?b=2&a=1", HEADERS, body, now=NOW)
        assert packed == record_sign(signer, "POST", "/v1/orders?b=2&a=1", HEADERS, body, NOW)
        assert repr(packed) == repr(record_sign(signer, "POST", "/v1/orders?b=2&a=1", HEADERS, body, NOW))


def test_every_header_form_packs_the_same():
    forms = [
        HEADERS,
        tuple(HEADERS),
        dict(HEADERS),
        [hmacsig.Header(name=n, value=v) for n, v in HEADERS],
        [HEADERS[0], hmacsig.Header(name=HEADERS[1][0], value=HEADERS[1][1]), *HEADERS[2:]],
        iter(HEADERS),
        (pair for pair in HEADERS),
        [list(pair) for pair in HEADERS],
    ]
    packed = "\0".join(f for pair in HEADERS for f in pair).encode()
    for form in forms:
        if not isinstance(form, (dict, list, tuple)):
            form = hmacsig._header_pairs(form)  # as sign() does first
        assert hmacsig._packed_headers(form) == packed, form
    with hmacsig.Signer(SCHEMES["api-auth sha1"](), hmacsig.Credentials("k", "s")) as signer:
        expected = record_sign(signer, "PUT", "/x", HEADERS, b"body", NOW)
        records = [hmacsig.Header(name=n, value=v) for n, v in HEADERS]
        for form in [HEADERS, dict(HEADERS), iter(HEADERS), (p for p in HEADERS), records]:
            assert signer.sign("PUT", "/x", form, b"body", now=NOW) == expected


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


def test_presigned_url_comes_back():
    with hmacsig.Signer(SCHEMES["aws-sigv4 query"](), hmacsig.Credentials("AKID", "secret")) as signer:
        signed = signer.sign("GET", "/bucket/key", [("Host", "s3.amazonaws.com")], b"", now=NOW)
        assert signed.url is not None and signed.url.startswith("/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&")
        assert signed == record_sign(signer, "GET", "/bucket/key", [("Host", "s3.amazonaws.com")], b"", NOW)


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Bad", "a\0b")],  # a NUL: the record call reports it
        [("X-Bad\0", "v")],
        [("", "")],  # an empty name: the C entry refuses, the generated packed call reports it
        [("X-Bad", "line\nbreak")],
    ],
)
def test_bad_headers_give_the_record_calls_error(headers):
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        with pytest.raises(hmacsig.HmacSigError.InvalidRequest) as packed:
            signer.sign("GET", "/", headers, b"", now=NOW)
        with pytest.raises(_ffi.HmacSigError.InvalidRequest) as record:
            record_sign(signer, "GET", "/", headers, b"", NOW)
        assert str(packed.value) == str(record.value)


def test_an_error_from_the_scheme_is_the_record_calls(entry_calls, generated_calls):
    # path-body-hex refuses a key id with ':' when signing: the C entry says -1, the generated
    # packed call raises the typed error.
    with hmacsig.Signer(SCHEMES["path-body-hex"](), hmacsig.Credentials("a:b", "s")) as signer:
        ours = outcome(lambda: signer.sign("POST", "/x", HEADERS, b"{}", now=NOW))
        assert ours[:2] == ("error", hmacsig.HmacSigError.InvalidRequest), ours
        assert ours == outcome(lambda: record_sign(signer, "POST", "/x", HEADERS, b"{}", NOW))
        assert [n for _, n in entry_calls] == [-1] and len(generated_calls) == 1


def test_text_that_is_not_utf8_is_refused_as_before():
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        with pytest.raises(UnicodeEncodeError):
            signer.sign("GET", "/\ud800", [], b"", now=NOW)
        with pytest.raises(UnicodeEncodeError):
            signer.sign("GET", "/", [("X-A", "\udc80")], b"", now=NOW)


@pytest.mark.parametrize("now", [2**63, -(2**63) - 1, 2**64 + NOW, True, -(2**63), 2**63 - 1, -1, 0])
def test_every_now_gives_what_the_record_call_gives(now):
    # Out of i64 range (ctypes would wrap it), a bool, or the clock sentinel: the record call.
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        assert outcome(lambda: signer.sign("GET", "/", HEADERS, b"", now=now)) == outcome(
            lambda: record_sign(signer, "GET", "/", HEADERS, b"", now)
        )


def test_now_none_is_the_system_clock():
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        for _ in range(3):  # the two calls may straddle a second
            if signer.sign("GET", "/", [], b"") == record_sign(signer, "GET", "/", [], b"", None):
                return
        pytest.fail("now=None did not sign at the system time")


def test_a_result_larger_than_the_buffer_is_signed_again_into_a_larger_one(monkeypatch, entry_calls):
    # The first buffer is sized from the inputs; make it too small so that the entry asks for more.
    monkeypatch.setattr(_raw, "_free", [])
    monkeypatch.setattr(_raw, "_FIRST_CAPACITY", 16)
    monkeypatch.setattr(_raw, "_ROOM", -len(b"/a" + b"xyz" + hmacsig._packed_headers(HEADERS)))  # 16 bytes
    for scheme in sorted(SCHEMES):
        with hmacsig.Signer(SCHEMES[scheme](), hmacsig.Credentials("key-1", "grow")) as signer:
            _raw._free.clear()
            entry_calls.clear()
            signed = signer.sign("PUT", "/a", HEADERS, b"xyz", now=NOW)
            assert signed == record_sign(signer, "PUT", "/a", HEADERS, b"xyz", NOW), scheme
            (small, needed), (grown, written) = entry_calls
            assert small < needed == written <= grown, (scheme, entry_calls)
            assert [capacity for _, _, capacity in _raw._free] == [grown], "the larger buffer is kept"
            entry_calls.clear()
            assert signer.sign("PUT", "/a", HEADERS, b"xyz", now=NOW) == signed
            assert entry_calls == [(grown, written)], "and used the next time"


def test_a_large_result_is_written_once_into_a_buffer_of_its_own(entry_calls):
    # path-body-hex returns the body in the string to sign: a buffer sized for it up front.
    body = random.Random(3).randbytes(300_000)
    with hmacsig.Signer(SCHEMES["path-body-hex"](), hmacsig.Credentials("k", "s")) as signer:
        free_before = len(_raw._free)
        signed = signer.sign("POST", "/upload", HEADERS, body, now=NOW)
        assert signed == record_sign(signer, "POST", "/upload", HEADERS, body, NOW)
        assert signed.string_to_sign == b"/upload" + body
        assert len(entry_calls) == 1 and entry_calls[0][0] >= len(body)
        assert all(capacity <= _raw._POOLED_CAPACITY for _, _, capacity in _raw._free), "not kept"
        assert len(_raw._free) <= max(free_before, 1)


def test_a_closed_signer_raises_value_error():
    signer = hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s"))
    assert signer.sign("GET", "/", HEADERS, b"", now=NOW).headers
    signer.close()
    assert signer._hot is None and signer.closed
    with pytest.raises(ValueError, match="this Signer is closed"):
        signer.sign("GET", "/", HEADERS, b"", now=NOW)


def test_closing_while_another_thread_signs_never_crashes():
    # A call in flight holds the generated object, so its address stays valid; calls after the
    # close raise ValueError.
    signer = hmacsig.Signer(SCHEMES["aws-sigv4 header"](), hmacsig.Credentials("k", "s"))
    expected = signer.sign("PUT", "/x", HEADERS, b"x" * 1000, now=NOW)
    results, started = [], threading.Event()

    def sign_until_closed():
        while True:
            try:
                results.append(signer.sign("PUT", "/x", HEADERS, b"x" * 1000, now=NOW))
            except ValueError:
                return
            started.set()

    threads = [threading.Thread(target=sign_until_closed) for _ in range(4)]
    for t in threads:
        t.start()
    assert started.wait(10)
    signer.close()
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    assert results and all(r == expected for r in results)


def test_concurrent_signing_from_several_threads_gives_each_its_own_result():
    rng = random.Random("threads")
    signers = {name: hmacsig.Signer(make(), hmacsig.Credentials("key-1", "threads")) for name, make in SCHEMES.items()}
    work = []
    for _ in range(8):
        jobs = []
        for _ in range(150):
            name = rng.choice(sorted(signers))
            method, target, headers, body = random_request(rng)
            expected = outcome(lambda: record_sign(signers[name], method, target, headers, body, NOW))
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
    assert len(_raw._free) <= len(work), "at most one buffer per call that was in flight"
    for s in signers.values():
        s.close()


def rss_mib() -> float:
    pages = int(pathlib.Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def test_a_body_past_2_gib_is_signed_in_place_by_the_c_entry():
    # bytes(n) is allocated zeroed by the OS and never written, so neither it nor reading it
    # costs resident memory: the test needs no 2 GiB of RAM. The generated call carries 32-bit
    # lengths; the C entry 64-bit ones, so the body is passed as it is.
    size = (1 << 31) + 5
    body = bytes(size)
    before = rss_mib()
    with hmacsig.Signer(SCHEMES["api-auth sha256"](), hmacsig.Credentials("k", "s")) as signer:
        signed = signer.sign("PUT", "/upload", HEADERS, body, now=NOW)
        digest = hashlib.sha256(body).digest()
        assert signed.headers[0] == hmacsig.Header(name="X-Authorization-Content-SHA256", value=base64.b64encode(digest).decode())
        from_digest = hmacsig.BodyDigest(algorithm=hmacsig.ContentDigest.SHA256, digest=digest, length=size)
        assert signed == signer.sign_with_body_digest("PUT", "/upload", HEADERS, from_digest, now=NOW)
        # Refused for another part: the same typed error as with a small body.
        bad = [*HEADERS, ("X-Bad", "line\nbreak")]
        with pytest.raises(hmacsig.HmacSigError.InvalidRequest) as huge:
            signer.sign("PUT", "/upload", bad, body, now=NOW)
        with pytest.raises(hmacsig.HmacSigError.InvalidRequest) as small:
            signer.sign("PUT", "/upload", bad, b"x", now=NOW)
        assert str(huge.value) == str(small.value)
    assert rss_mib() - before < 64
