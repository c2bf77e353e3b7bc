"""What a refusal tells the client (issue 15 §4): the ASGI and WSGI middlewares answer
``<kind>: <fixed sentence>``, never the string to sign, the body, the core's reason or an echo
of a header; the diagnosis goes to the ``hmacsig`` logger; ``expose_string_to_sign=True``
brings the core's reason back for development.

Each middleware is called in-process (an ASGI call, a WSGI call), so that any header, target
and body can be sent as they are."""

from __future__ import annotations

import asyncio
import io
import logging
import pathlib
import re
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import pytest

import hmacsig
from hmacsig import HmacSigError
from hmacsig import asgi as hmacsig_asgi
from hmacsig import wsgi as hmacsig_wsgi
from hmacsig._http import LOGGED_CHARS, REFUSALS
from loopback import KEY_ID, SCHEMES, SECRET, signer_for, verifier_for

Headers = List[Tuple[str, str]]

HOST = "api.forwarded-host.test"
TARGET = "/orders/target-marker?id=7&note=query-marker"
BODY = b'{"card":"4111 1111 1111 1111","note":"body-marker"}'

SENTENCES = {
    "invalid_request": "invalid_request: the request cannot be verified as sent",
    "missing_authorization": "missing_authorization: the request carries no credentials",
    "malformed_authorization": "malformed_authorization: the credentials header cannot be read",
    "unknown_key": "unknown_key: the key id is not known",
    "bad_signature": "bad_signature: the signature does not match",
    "stale": "stale: the request is too old",
    "future": "future: the request is dated too far in the future",
    "body_mismatch": "body_mismatch: the body does not match what was signed",
    "digest_not_allowed": "digest_not_allowed: the algorithm is not accepted",
    "missing_signed_header": "missing_signed_header: a required header is missing or not signed",
    "replayed": "replayed: this request was already received",
    "unsupported": "unsupported: the request uses an option the server does not support",
    "key_lookup_failed": "key_lookup_failed: the server could not check the credentials, try again later",
}


class Reply(NamedTuple):
    status: int
    content_type: str
    text: str


# --- The two middlewares, called in-process --------------------------------------------------


def _app_not_called(*args: object) -> None:
    raise AssertionError("the application was called for a refused request")


async def _asgi_app(scope: object, receive: object, send: object) -> None:
    _app_not_called()


def call_asgi(verifier: hmacsig.Verifier, method: str, target: str, headers: Headers, body: bytes, **options: object) -> Reply:
    middleware = hmacsig_asgi.HmacSigMiddleware(_asgi_app, verifier, **options)  # type: ignore[arg-type]
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers],
    }
    sent: List[Dict[str, object]] = []

    async def receive() -> Dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Dict[str, object]) -> None:
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    start, data = sent
    assert start["type"] == "http.response.start" and data["type"] == "http.response.body"
    fields = dict(start["headers"])  # type: ignore[arg-type]
    text = data["body"].decode("utf-8")  # type: ignore[attr-defined]
    assert fields[b"content-length"] == str(len(data["body"])).encode()  # type: ignore[arg-type]
    return Reply(start["status"], fields[b"content-type"].decode(), text)  # type: ignore[arg-type]


def call_wsgi(verifier: hmacsig.Verifier, method: str, target: str, headers: Headers, body: bytes, **options: object) -> Reply:
    middleware = hmacsig_wsgi.HmacSigMiddleware(_app_not_called, verifier, **options)  # type: ignore[arg-type]
    path, _, query = target.partition("?")
    environ: Dict[str, object] = {
        "REQUEST_METHOD": method,
        "RAW_URI": target,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    answer: Dict[str, object] = {}

    def start_response(status: str, fields: Sequence[Tuple[str, str]], exc_info: object = None) -> None:
        answer["status"], answer["fields"] = status, dict(fields)

    data = b"".join(middleware(environ, start_response))  # type: ignore[arg-type]
    fields = answer["fields"]
    assert fields["Content-Length"] == str(len(data))  # type: ignore[index]
    return Reply(int(str(answer["status"]).split()[0]), fields["Content-Type"], data.decode("utf-8"))  # type: ignore[index]


Call = Callable[..., Reply]


@pytest.fixture(params=["asgi", "wsgi"])
def call(request: pytest.FixtureRequest) -> Call:
    return call_asgi if request.param == "asgi" else call_wsgi


# --- Requests that provoke each kind ----------------------------------------------------------


def signed_headers(
    scheme: str,
    method: str = "POST",
    body: bytes = BODY,
    *,
    url: Optional[str] = None,
    headers: Sequence[Tuple[str, str]] = (),
    secret: str = SECRET,
    key_id: str = KEY_ID,
    now: Optional[int] = None,
) -> Headers:
    """The headers of a request ``scheme`` signs for ``TARGET`` (or ``url``) on ``HOST``."""
    sent = [("Host", HOST), *headers]
    signed = signer_for(scheme, secret=secret, key_id=key_id).sign(method, url or TARGET, sent, body, now=now)
    return [*sent, *((h.name, h.value) for h in signed.headers)]


def core_error(verifier: hmacsig.Verifier, method: str, target: str, headers: Headers, body: bytes) -> HmacSigError:
    with pytest.raises(HmacSigError) as refused:
        verifier.verify(method, target, headers, body)
    return refused.value


def assert_tells_nothing(reply: Reply, *secrets: str) -> None:
    """No 8-character piece of any of ``secrets`` is in the reply."""
    for secret in secrets:
        for i in range(max(1, len(secret) - 7)):
            piece = secret[i : i + 8]
            assert piece not in reply.text, (piece, reply.text)


def test_every_kind_has_a_short_fixed_sentence():
    kinds = {cls.kind for cls in vars(HmacSigError).values() if isinstance(cls, type) and issubclass(cls, HmacSigError)}
    assert len(kinds) == 13
    assert set(REFUSALS) == kinds == set(SENTENCES)
    for kind, sentence in REFUSALS.items():
        assert SENTENCES[kind] == f"{kind}: {sentence}"
        assert len(SENTENCES[kind]) < 100 and '"' not in sentence


@pytest.mark.parametrize("scheme", ["path-body-hex", "timestamped"])
def test_bad_signature_tells_nothing_of_the_body_target_or_string_to_sign(call, scheme, caplog):
    url = f"https://{HOST}{TARGET}" if scheme == "timestamped" else None
    headers = signed_headers(scheme, url=url, secret="not-the-secret")
    verifier = verifier_for(scheme)
    error = core_error(verifier, "POST", TARGET, headers, BODY)
    assert isinstance(error, HmacSigError.BadSignature)
    string_to_sign = error.string_to_sign
    assert "body-marker" in string_to_sign and "target-marker" in string_to_sign  # what must not leak
    with caplog.at_level(logging.DEBUG, logger="hmacsig"):
        reply = call(verifier, "POST", TARGET, headers, BODY)
    assert reply == (403, "text/plain; charset=utf-8", SENTENCES["bad_signature"])
    assert_tells_nothing(reply, BODY.decode(), TARGET, HOST, string_to_sign, *(value for _, value in headers))
    # The diagnosis is in the log, at DEBUG: the kind and the core's reason, string to sign and all.
    [record] = [r for r in caplog.records if r.name == "hmacsig"]
    assert record.levelno == logging.DEBUG
    assert "bad_signature" in record.getMessage() and str(error) in record.getMessage()
    assert "body-marker" in record.getMessage() and "target-marker" in record.getMessage()


def test_a_5000_byte_authorization_is_not_echoed(call, caplog):
    value = "".join(f"{i:05d}" for i in range(1000))  # 5,000 bytes, no ':'
    assert len(value) == 5000
    headers = [("Host", HOST), ("Authorization", value)]
    verifier = verifier_for("path-body-hex")
    assert value in str(core_error(verifier, "GET", TARGET, headers, b""))  # what the core says
    with caplog.at_level(logging.DEBUG, logger="hmacsig"):
        reply = call(verifier, "GET", TARGET, headers, b"")
    assert reply == (401, "text/plain; charset=utf-8", SENTENCES["malformed_authorization"])
    assert len(reply.text.encode("utf-8")) < 120
    assert_tells_nothing(reply, value)
    # The log gets the reason, clipped.
    [record] = [r for r in caplog.records if r.name == "hmacsig"]
    assert record.levelno == logging.DEBUG and "malformed_authorization" in record.getMessage()
    assert value[:1000] in record.getMessage() and value not in record.getMessage()
    assert len(record.getMessage()) < LOGGED_CHARS + 200 and "more characters" in record.getMessage()


def _at(offset: int) -> int:
    return int(time.time()) + offset


def _provoke(kind: str) -> Tuple[hmacsig.Verifier, str, str, Headers, bytes]:
    """A verifier and a request (method, target, headers, body) it refuses with ``kind``."""
    api_auth = verifier_for("api-auth")
    if kind == "missing_authorization":
        return api_auth, "POST", TARGET, [("Host", HOST)], BODY
    if kind == "malformed_authorization":
        return api_auth, "GET", TARGET, [("Host", HOST), ("Authorization", "Bearer header-marker")], b""
    if kind == "unknown_key":
        return api_auth, "POST", TARGET, signed_headers("api-auth", key_id="key-id-marker"), BODY
    if kind == "stale":
        return api_auth, "POST", TARGET, signed_headers("api-auth", now=_at(-3600)), BODY
    if kind == "future":
        return api_auth, "POST", TARGET, signed_headers("api-auth", now=_at(3600)), BODY
    if kind == "body_mismatch":
        return api_auth, "POST", TARGET, signed_headers("api-auth"), BODY.replace(b"4111", b"5111")
    if kind == "invalid_request":
        target = "/orders/target marker"  # a space: not a valid request target
        return api_auth, "GET", target, signed_headers("api-auth", "GET", b""), b""
    if kind == "digest_not_allowed":
        sha256_only = hmacsig.Verifier.with_keys(
            SCHEMES["api-auth"](), {KEY_ID: SECRET}, policy=hmacsig.Policy.api_auth(digest="sha256")
        )
        sha1 = hmacsig.Signer(hmacsig.Scheme.api_auth(digest="sha1"), hmacsig.Credentials(KEY_ID, SECRET))
        headers = [("Host", HOST), *((h.name, h.value) for h in sha1.sign("POST", TARGET, [], BODY).headers)]
        return sha256_only, "POST", TARGET, headers, BODY
    if kind == "missing_signed_header":
        policy = hmacsig.Policy.rfc9421(required_components=["@method", "content-type"])
        verifier = hmacsig.Verifier.with_keys(SCHEMES["rfc9421"](), {KEY_ID: SECRET}, policy=policy)
        headers = signed_headers("rfc9421", url=f"https://{HOST}{TARGET}", headers=[("Content-Type", "application/json")])
        return verifier, "POST", TARGET, headers, BODY
    if kind == "replayed":
        verifier = verifier_for("timestamped", replay_guard=hmacsig.ReplayGuard())
        headers = signed_headers("timestamped", url=f"https://{HOST}{TARGET}")
        assert verifier.verify("POST", TARGET, headers, BODY) == KEY_ID  # the first time
        return verifier, "POST", TARGET, headers, BODY
    raise AssertionError(kind)


PROVOKED = [
    "invalid_request",
    "missing_authorization",
    "malformed_authorization",
    "unknown_key",
    "stale",
    "future",
    "body_mismatch",
    "digest_not_allowed",
    "missing_signed_header",
    "replayed",
]


@pytest.mark.parametrize("kind", PROVOKED)
def test_each_kind_is_its_fixed_sentence(call, kind, caplog):
    verifier, method, target, headers, body = _provoke(kind)
    with caplog.at_level(logging.DEBUG, logger="hmacsig"):
        reply = call(verifier, method, target, headers, body)
    assert reply == (hmacsig.http_status(kind), "text/plain; charset=utf-8", SENTENCES[kind])
    assert_tells_nothing(reply, target, HOST, BODY.decode(), "header-marker", "key-id-marker")
    [record] = [r for r in caplog.records if r.name == "hmacsig"]
    assert record.levelno == logging.DEBUG and f" {kind}: " in record.getMessage()


def test_failed_key_lookup_is_503_and_logged_at_error(call, caplog):
    def lookup(key_id: str) -> str:
        raise ConnectionError("database at db.internal:5432 is down")

    verifier = hmacsig.Verifier.with_lookup(SCHEMES["api-auth"](), lookup)
    headers = signed_headers("api-auth")
    for expose in (False, True):  # the server's trouble is never the client's to read
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="hmacsig"):
            reply = call(verifier, "POST", TARGET, headers, BODY, expose_string_to_sign=expose)
        assert reply == (503, "text/plain; charset=utf-8", SENTENCES["key_lookup_failed"])
        assert "db.internal" not in reply.text
        [record] = [r for r in caplog.records if r.name == "hmacsig"]
        assert record.levelno == logging.ERROR and "db.internal" in record.getMessage()


# --- expose_string_to_sign=True: the AWS-style diagnostics, for development -------------------


@pytest.mark.parametrize("scheme", ["path-body-hex", "timestamped"])
def test_expose_string_to_sign_answers_the_core_reason(call, scheme):
    url = f"https://{HOST}{TARGET}" if scheme == "timestamped" else None
    headers = signed_headers(scheme, url=url, secret="not-the-secret")
    verifier = verifier_for(scheme)
    error = core_error(verifier, "POST", TARGET, headers, BODY)
    reply = call(verifier, "POST", TARGET, headers, BODY, expose_string_to_sign=True)
    assert reply == (403, "text/plain; charset=utf-8", f"bad_signature: {error}")
    assert reply.text.startswith("bad_signature: signature does not match; the server signed ")
    assert "target-marker" in reply.text and "body-marker" in reply.text


@pytest.mark.parametrize("kind", ["malformed_authorization", "stale", "unknown_key"])
def test_expose_string_to_sign_gives_every_kind_its_reason(call, kind):
    verifier, method, target, headers, body = _provoke(kind)
    error = core_error(verifier, method, target, headers, body)
    reply = call(verifier, method, target, headers, body, expose_string_to_sign=True)
    assert reply == (hmacsig.http_status(kind), "text/plain; charset=utf-8", f"{kind}: {error}")


@pytest.mark.parametrize("middleware", [hmacsig_asgi.HmacSigMiddleware, hmacsig_wsgi.HmacSigMiddleware])
def test_expose_string_to_sign_is_a_bool(middleware):
    verifier = verifier_for("api-auth")
    assert middleware(_app_not_called, verifier).expose_string_to_sign is False
    assert middleware(_app_not_called, verifier, expose_string_to_sign=True).expose_string_to_sign is True
    for wrong in (1, "yes", None):
        with pytest.raises(TypeError, match="expose_string_to_sign must be True or False"):
            middleware(_app_not_called, verifier, expose_string_to_sign=wrong)


def test_the_readme_table_is_the_refusals():
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (\d{3}) \| ([^|]+) \|$", readme, re.M)
    assert {kind: (int(status), sentence.strip()) for kind, status, sentence in rows} == {
        kind: (hmacsig.http_status(kind), sentence) for kind, sentence in REFUSALS.items()
    }


def test_the_kotlin_test_servers_answer_the_same_sentences():
    root = pathlib.Path(__file__).resolve().parents[3]
    kotlin = (root / "bindings/kotlin/src/test/kotlin/dev/hmacsig/Refusals.kt").read_text(encoding="utf-8")
    rows = re.findall(r'^\s*ErrorKind\.(\w+) -> "([^"]+)"$', kotlin, re.M)
    assert {name.lower(): sentence for name, sentence in rows} == REFUSALS
