"""Streamed bodies: BodyHasher, hash_body, Signer.sign_with_body_digest and Signer.sign_stream
give byte for byte what signing the bytes gives, in any chunking; the schemes and digests that
cannot work are typed errors raised before a stream is read; a body over 2 GiB is hashed in
constant memory; the README's streaming upload runs against a loopback server."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import pathlib
import random
import re
import resource
import sys
import time

import pytest

import hmacsig
from hmacsig import BodyDigest, BodyHasher, ContentDigest, Header, HmacSigError, Scheme
from loopback import VerifyingServer

NOW = 1_700_000_000
HEADERS = {"Host": "api.example.com", "Content-Type": "application/octet-stream", "X-Request-Id": "42"}
README = pathlib.Path(__file__).resolve().parents[1] / "README.md"

SCHEMES = {
    "api-auth sha256": (lambda: Scheme.api_auth(digest="sha256", headers_to_sign=["X-Request-Id"]), None),
    "api-auth sha1": (lambda: Scheme.api_auth(), None),
    "aws-sigv4 header": (lambda: Scheme.aws_sigv4("us-east-1", "s3", sign_body=True), None),
    "aws-sigv4 query": (
        lambda: Scheme.aws_sigv4("us-east-1", "s3", sign_body=True, signature_type=hmacsig.SignatureType.QUERY),
        None,
    ),
    "rfc9421 sha-256": (
        lambda: Scheme.rfc9421(components=["@method", "@target-uri"], content_digest=ContentDigest.SHA256),
        ContentDigest.SHA256,
    ),
    "rfc9421 sha-512": (
        lambda: Scheme.rfc9421(components=["@method", "@target-uri"], content_digest=ContentDigest.SHA512),
        ContentDigest.SHA512,
    ),
}

_random = random.Random(0x5EED)
BODIES = [b"", b"x", _random.randbytes(1000), _random.randbytes(200_003)]


def signer(scheme: Scheme) -> hmacsig.Signer:
    return hmacsig.Signer(scheme, hmacsig.Credentials("key-1", "streaming-secret"))


def chunkings(body: bytes):
    """The same body cut several ways, each a fresh iterable: whole, small random pieces with
    empty chunks between (as bytes, bytearray or memoryview), 1-byte chunks for short bodies."""
    yield "whole", [body]
    rng = random.Random(len(body))
    pieces, rest = [], body
    while rest:
        size = rng.choice([0, 1, 63, 64, 65, 4096, 70_000])
        pieces.append(rest[:size])
        rest = rest[size:]
    yield "random sizes", pieces + [b""]
    yield "bytearrays", [bytearray(p) for p in pieces]
    yield "memoryviews", [memoryview(body)[i : i + 777] for i in range(0, len(body), 777)]
    if len(body) <= 1000:
        yield "1-byte chunks", [body[i : i + 1] for i in range(len(body))]


@pytest.mark.parametrize("name", list(SCHEMES))
def test_digest_and_stream_signing_equal_byte_signing(name):
    make, algorithm = SCHEMES[name]
    expected_hash = hashlib.sha512 if algorithm == ContentDigest.SHA512 else hashlib.sha256
    with signer(make()) as s:
        for method in ("POST", "PUT"):
            for body in BODIES:
                from_bytes = s.sign(method, "/upload?part=1", HEADERS, body, now=NOW)
                assert from_bytes.string_to_sign, name
                for how, chunks in chunkings(body):
                    hasher = BodyHasher(algorithm)
                    for chunk in chunks:
                        hasher.update(chunk)
                    digest = hasher.finish()
                    case = f"{name} {method} {len(body)} bytes, {how}"
                    assert digest.algorithm == (algorithm or ContentDigest.SHA256), case
                    assert digest.digest == expected_hash(body).digest(), case
                    assert digest.length == len(body), case
                    assert s.sign_with_body_digest(method, "/upload?part=1", HEADERS, digest, now=NOW) == from_bytes, case
                    streamed = s.sign_stream(method, "/upload?part=1", HEADERS, iter(chunks), now=NOW, algorithm=algorithm)
                    assert streamed == from_bytes, case
                file = io.BytesIO(body)
                streamed = s.sign_stream(method, "/upload?part=1", HEADERS, file, NOW, algorithm=algorithm, chunk_size=4096)
                assert streamed == from_bytes, f"{name} {method} {len(body)} bytes from a file"
                assert file.tell() == 0, "the file is put back at its start, ready to be sent"


def test_the_content_hash_is_the_digest_of_the_stream():
    body = BODIES[3]
    with signer(Scheme.api_auth(digest="sha256")) as s:
        signed = s.sign_stream("POST", "/upload", HEADERS, io.BytesIO(body), now=NOW)
    assert signed.headers[0] == Header(name="X-Authorization-Content-SHA256", value=base64.b64encode(hashlib.sha256(body).digest()).decode())
    with signer(SCHEMES["rfc9421 sha-512"][0]()) as s:
        signed = s.sign_stream("POST", "/upload", HEADERS, [body], now=NOW, algorithm=ContentDigest.SHA512)
    assert signed.headers[0] == Header(name="Content-Digest", value=f"sha-512=:{base64.b64encode(hashlib.sha512(body).digest()).decode()}:")


def test_hash_body_reads_files_from_where_they_are_and_puts_them_back(tmp_path):
    body = BODIES[3]
    path = tmp_path / "body.bin"
    path.write_bytes(body)
    with open(path, "rb") as file:
        file.seek(5)
        digest = hmacsig.hash_body(file, chunk_size=65536)
        assert file.tell() == 5
        assert file.read() == body[5:]
    assert (digest.digest, digest.length) == (hashlib.sha256(body[5:]).digest(), len(body) - 5)
    # Unbuffered, with short reads; and bytes-like given whole.
    with open(path, "rb", buffering=0) as raw:
        assert hmacsig.hash_body(raw, ContentDigest.SHA512, chunk_size=1000).digest == hashlib.sha512(body).digest()
    assert hmacsig.hash_body(bytearray(body)) == hmacsig.hash_body(memoryview(body)) == hmacsig.hash_body([body])
    # A pipe cannot seek: it is read once, to its end.
    read_end, write_end = os.pipe()
    os.write(write_end, b"piped body")
    os.close(write_end)
    with open(read_end, "rb") as pipe:
        assert hmacsig.hash_body(pipe).length == 10
        assert pipe.read() == b""


def test_digest_record_and_hasher_behave_like_the_rest_of_the_layer():
    digest = hmacsig.hash_body(b"abc")
    assert repr(digest) == f"BodyDigest(algorithm={ContentDigest.SHA256!r}, digest={hashlib.sha256(b'abc').digest()!r}, length=3)"
    assert digest == BodyDigest(algorithm=ContentDigest.SHA256, digest=hashlib.sha256(b"abc").digest(), length=3)
    with BodyHasher() as hasher:
        assert repr(hasher) == "BodyHasher()"
        hasher.update(b"abc")
        assert hasher.finish() == digest
    assert hasher.closed and repr(hasher) == "BodyHasher(<closed>)"
    with pytest.raises(ValueError, match="this BodyHasher is closed"):
        hasher.update(b"more")


def test_a_spent_hasher_is_an_invalid_request():
    hasher = BodyHasher(ContentDigest.SHA512)
    hasher.update(b"body")
    assert hasher.finish().length == 4
    with pytest.raises(HmacSigError.InvalidRequest, match="already finished") as update_error:
        hasher.update(b"more")
    assert update_error.value.kind == "invalid_request"
    with pytest.raises(HmacSigError.InvalidRequest, match="already finished"):
        hasher.finish()


@pytest.mark.parametrize("scheme", [Scheme.path_body_hex(digest="sha256"), Scheme.timestamped()])
def test_schemes_that_mac_the_bytes_refuse_before_reading_the_stream(scheme):
    reason = f"the {scheme.name()} scheme MACs the body bytes themselves, so it cannot sign from a body digest; pass the body"
    file = io.BytesIO(b"body")
    with signer(scheme) as s:
        with pytest.raises(HmacSigError.Unsupported) as error:
            s.sign_with_body_digest("POST", "/upload", HEADERS, hmacsig.hash_body(b"body"), now=NOW)
        assert (error.value.kind, str(error.value)) == ("unsupported", reason)
        with pytest.raises(HmacSigError.Unsupported, match="pass the body"):
            s.sign_stream("POST", "/upload", HEADERS, file, now=NOW)
    assert file.tell() == 0, "refused before reading"


def test_a_digest_of_the_wrong_algorithm_says_which_one_is_needed():
    sha512 = hmacsig.hash_body(b"body", ContentDigest.SHA512)
    with signer(Scheme.api_auth(digest="sha256")) as s:
        with pytest.raises(HmacSigError.InvalidRequest) as error:
            s.sign_with_body_digest("POST", "/upload", HEADERS, sha512, now=NOW)
        assert str(error.value).startswith("the api-auth content hash needs a sha-256 digest of the body, but a sha-512 digest was given")
    consumed = []

    def chunks():
        consumed.append(True)
        yield b"body"

    with signer(SCHEMES["rfc9421 sha-512"][0]()) as s:
        with pytest.raises(HmacSigError.InvalidRequest, match="the rfc9421 Content-Digest needs a sha-512 digest"):
            s.sign_stream("POST", "/upload", HEADERS, chunks(), now=NOW)  # algorithm left at SHA-256
    assert consumed == [], "refused before reading"
    short = BodyDigest(algorithm=ContentDigest.SHA256, digest=bytes(31), length=4)
    with signer(Scheme.api_auth(digest="sha256")) as s:
        with pytest.raises(HmacSigError.InvalidRequest, match="^a sha-256 body digest is 32 bytes, not 31$"):
            s.sign_with_body_digest("POST", "/upload", HEADERS, short, now=NOW)


def test_wrong_types_are_type_errors():
    with BodyHasher() as hasher:
        with pytest.raises(TypeError, match="not text: open the file in binary mode"):
            hasher.update("text")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="not int"):
            hasher.update(7)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="algorithm must be a ContentDigest or None, not str"):
        BodyHasher("sha-256")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not text"):
        hmacsig.hash_body(io.StringIO("text"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not text"):
        hmacsig.hash_body("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not text"):
        hmacsig.hash_body(["text"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="a binary file, an iterable of bytes-like chunks or bytes-like, not int"):
        hmacsig.hash_body(7)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size must be a positive int, not 0"):
        hmacsig.hash_body(io.BytesIO(b"x"), chunk_size=0)
    with signer(Scheme.api_auth(digest="sha256")) as s:
        with pytest.raises(TypeError, match="body_digest must be a BodyDigest, not bytes"):
            s.sign_with_body_digest("POST", "/", HEADERS, hashlib.sha256(b"").digest())  # type: ignore[arg-type]


def test_chunks_past_the_ffi_length_limit_are_passed_in_pieces(monkeypatch):
    # The generated call carries a chunk's length as a 32-bit int, which ctypes would wrap: a
    # longer chunk goes in pieces (the limit lowered here to test without 2 GiB of memory).
    monkeypatch.setattr(hmacsig._streaming, "_FFI_MAX_BYTES", 10)
    monkeypatch.setattr(hmacsig._streaming, "_COPY_PIECE", 3)
    body = bytes(range(25))
    for chunk in (body, bytearray(body), memoryview(body), memoryview(bytes(range(50)))[::2]):
        with BodyHasher() as hasher:
            hasher.update(chunk)
            digest = hasher.finish()
        expected = bytes(chunk)
        assert (digest.digest, digest.length) == (hashlib.sha256(expected).digest(), len(expected)), type(chunk)
    # Signing and verifying such a body go through the core's C entry, whose lengths are 64-bit
    # (tests/test_call.py signs and verifies one past 2 GiB): the body in one call, whatever the
    # limit of the generated calls.
    with signer(Scheme.api_auth(digest="sha256")) as s:
        signed = s.sign("POST", "/", HEADERS, body, now=NOW)
        assert signed == s.sign_with_body_digest("POST", "/", HEADERS, hashlib_digest(body), now=NOW)
        sent = {**HEADERS, **{h.name: h.value for h in signed.headers}}
    verifier = hmacsig.Verifier.with_keys(Scheme.api_auth(digest="sha256"), {"key-1": "streaming-secret"})
    assert verifier.verify("POST", "/", sent, body, now=NOW) == "key-1"


def hashlib_digest(body: bytes) -> hmacsig.BodyDigest:
    return hmacsig.BodyDigest(algorithm=hmacsig.ContentDigest.SHA256, digest=hashlib.sha256(body).digest(), length=len(body))


STREAM_BLOCKS = 2048  # of 1 MiB


def rss_mib() -> float:
    """The resident memory of this process now (Linux)."""
    pages = int(pathlib.Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def peak_rss_mib() -> float:
    """The most resident memory this process has had (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
STREAM_TAIL = 12_345  # so that the length is no multiple of the block size


def test_signs_a_2_gib_stream_generated_on_the_fly_in_constant_memory():
    # Four distinct random 1 MiB blocks, in an order that is not periodic in 4, then a short
    # tail: 2 GiB + 12345 bytes, made on the fly from the same few buffers, each chunk given to
    # hashlib (OpenSSL) as it is produced, as the independent reference.
    rng = random.Random(0xB0D1)
    blocks = [rng.randbytes(1 << 20) for _ in range(4)]
    reference = hashlib.sha256()

    samples = []

    def stream():
        for index in range(STREAM_BLOCKS):
            if index % 128 == 0:
                samples.append(rss_mib())
            chunk = blocks[(index * 7 + index // 5) % 4]
            reference.update(chunk)
            yield chunk
        reference.update(blocks[0][:STREAM_TAIL])
        yield blocks[0][:STREAM_TAIL]

    started, rss_before, peak_before = time.perf_counter(), rss_mib(), peak_rss_mib()
    digest = hmacsig.hash_body(stream())
    elapsed, growth = time.perf_counter() - started, max(samples) - rss_before
    # Also after the stream ends (the whole body joined at the end would show here).
    peak_growth = peak_rss_mib() - max(peak_before, rss_before)
    print(f"2 GiB stream hashed (hashlib alongside) in {elapsed:.2f} s; RSS grew {growth:.1f} MiB at most", file=sys.stderr)

    assert digest.length == STREAM_BLOCKS * (1 << 20) + STREAM_TAIL == 2_147_495_993, "past 2**31"
    assert digest.digest == reference.digest(), "BodyHasher and hashlib over the same stream"
    assert len(samples) == 16 and growth < 32, f"the body is never held in memory: {samples}"
    assert peak_growth < 32, f"the peak grew {peak_growth:.1f} MiB"

    # The api-auth content hash carries the digest, and signing with that header already set
    # over an empty body (the header no longer depends on the body) gives the same signature:
    # the signature covers the 2 GiB body's digest.
    content_hash = base64.b64encode(reference.digest()).decode()
    with signer(Scheme.api_auth(digest="sha256")) as s:
        streamed = s.sign_with_body_digest("PUT", "/upload?part=1", HEADERS, digest, now=NOW)
        preset = s.sign("PUT", "/upload?part=1", {**HEADERS, "X-Authorization-Content-SHA256": content_hash}, b"", now=NOW)
    assert streamed.headers[0] == Header(name="X-Authorization-Content-SHA256", value=content_hash)
    assert (streamed.headers[1:], streamed.string_to_sign) == (preset.headers, preset.string_to_sign)
    assert content_hash.encode() in streamed.string_to_sign


def test_the_readme_streaming_upload_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"<!-- run by tests/test_streaming\.py -->\n```python\n(.*?)```\n", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # loopback only
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    body = random.Random(9).randbytes(3 * (1 << 20) + 5)
    path = tmp_path / "db.tar"
    path.write_bytes(body)
    verifier = hmacsig.Verifier.with_keys(Scheme.api_auth(digest="sha256"), {"1044": "top-secret"})
    with VerifyingServer(verifier) as server:
        scope = {"path": str(path), "base_url": server.url}
        exec(compile(blocks[0], "README.md (streaming uploads)", "exec"), scope)
        received = server.last()
    assert scope["response"].status_code == 200, scope["response"].text
    assert scope["response"].json()["key_id"] == "1044"
    assert received.body == body
    assert received.header("Content-Length") == str(len(body))
