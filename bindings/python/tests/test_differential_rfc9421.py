"""Differential test of rfc9421 (hmac-sha256) against the PyPI library http-message-signatures.

Hypothesis makes random messages and signature parameters, derandomized (the same ones on
every run). Each is signed by the library and by hmacsig with the same key, time and
parameters: both must fail, or both give the same ``Signature-Input``, ``Signature`` and
``Content-Digest``. Then each side verifies what the other signed, and both refuse the
message once a covered header has changed. A difference is shrunk to a small message.

The messages mix schemes and hosts in any case, default and explicit ports, encoded paths,
queries with repeated and empty parameters, repeated headers, dictionary fields with
whitespace, components the message lacks, every parameter (``created``, ``expires``,
``nonce``, ``tag``, ``alg``), unusual labels, and ``Content-Digest`` over the body.
"""

from __future__ import annotations

import datetime
import types
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import http_message_signatures as hms
from http_message_signatures import signatures as hms_signatures
from http_message_signatures.algorithms import HMAC_SHA256
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import hmacsig
from hmacsig import ContentDigest, Credentials, HmacSigError, Policy, Scheme, Signer, Verifier

SECRET = b"shared-secret-\x00\xff"
EXAMPLES = 1500
DIGESTS = {"sha-256": ContentDigest.SHA256, "sha-512": ContentDigest.SHA512}


class Headers:
    """The header interface the library reads and writes, over ordered (name, value) pairs."""

    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        self.pairs = [list(p) for p in pairs]

    def items(self) -> List[Tuple[str, str]]:
        return [(n, v) for n, v in self.pairs]

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(n for n, _ in self.pairs))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self.pairs)

    def __setitem__(self, name: str, value: str) -> None:
        self.pairs = [p for p in self.pairs if p[0].lower() != name.lower()] + [[name, value]]

    def __delitem__(self, name: str) -> None:
        self.pairs = [p for p in self.pairs if p[0].lower() != name.lower()]


class Message:
    def __init__(self, method: str, url: str, headers: List[Tuple[str, str]]) -> None:
        self.method, self.url, self.headers = method, url, Headers(headers)


# The library reads the clock for max_age; fixed at NOW[0] while it verifies.
NOW = [0]


class _FixedClock(datetime.datetime):
    @classmethod
    def now(cls, tz: Optional[datetime.tzinfo] = None) -> "_FixedClock":  # type: ignore[override]
        return cls.fromtimestamp(NOW[0], tz or datetime.timezone.utc)


hms_signatures.datetime = types.SimpleNamespace(datetime=_FixedClock, timedelta=datetime.timedelta, timezone=datetime.timezone)  # type: ignore[attr-defined]


@dataclass
class Case:
    method: str
    url: str
    headers: List[Tuple[str, str]]
    body: bytes
    components: List[str]
    label: str
    key_id: str
    created: int
    expires: Optional[int]
    nonce: Optional[str]
    tag: Optional[str]
    include_alg: bool
    digest: Optional[str]


@st.composite
def cases(draw: Any) -> Case:
    host = draw(st.sampled_from(["example.com", "Api.Example.COM", "127.0.0.1", "[::1]"]))
    port = draw(st.sampled_from(["", "", ":443", ":80", ":8443", ":0443"]))
    path = draw(st.sampled_from(["/", "/foo", "/a/b%2Fc/", "/caf%C3%A9", "/x;y", "/~user/file.txt", "/a%20b"]))
    params = draw(st.lists(st.sampled_from(["a=1", "a=2", "Pet=dog", "b=c+d", "d=%20e", "f", "empty=", "k=%7E*", "q=caf%C3%A9", "x=a%2Bb"]), max_size=4))
    query = draw(st.sampled_from([None, "", "&".join(params)]))
    url = f"{draw(st.sampled_from(['https', 'http', 'HTTPS']))}://{host}{port}{path}" + ("" if query is None else "?" + query)
    headers = [
        ("Host", (host + port).lower() if draw(st.booleans()) else host + port),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", draw(st.sampled_from(["application/json", "  text/plain ; charset=utf-8 "]))),
    ]
    multi = draw(st.booleans())
    if multi:
        headers += [("X-Multi", " one "), ("x-multi", "two,  three")]
    dictionary = draw(st.sampled_from([None, "a=1, b=2;x=1;y=2, c=(a   b c)", 'a=?0, b, c="s"']))
    if dictionary:
        headers.append(("X-Dict", dictionary))
    candidates = ["@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query", "content-type", "date", "host"]
    candidates += ["x-multi", '"x-multi";bs'] if multi else []
    candidates += ['"x-dict";key="a"', '"x-dict";key="c"'] if dictionary else []
    candidates += [f'"@query-param";name="{p.split("=")[0]}"' for p in params if query]
    candidates += ['"@query-param";name="absent"', "x-absent", '"x-dict";key="zz"']
    components = draw(st.lists(st.sampled_from(list(dict.fromkeys(candidates))), max_size=6, unique=True))
    created = 1_700_000_000 + draw(st.integers(0, 1000))
    return Case(
        method=draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
        url=url,
        headers=headers,
        body=draw(st.sampled_from([b"", b'{"hello": "world"}', bytes(range(40))])),
        components=components,
        label=draw(st.sampled_from(["sig1", "pyhms", "sig-b25", "a.b*c"])),
        key_id=draw(st.sampled_from(["client-1", "test-shared-secret", "k"])),
        created=created,
        expires=draw(st.sampled_from([None, created + 60, created + 600])),
        nonce=draw(st.sampled_from([None, "n-1", "n-77"])),
        tag=draw(st.sampled_from([None, "app"])),
        include_alg=draw(st.booleans()),
        digest=draw(st.sampled_from([None, None, "sha-256", "sha-512"])),
    )


def utc(seconds: Optional[int]) -> Optional[datetime.datetime]:
    return None if seconds is None else datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def library_sign(case: Case) -> Optional[Dict[str, str]]:
    """The headers the library adds (``None`` when it refuses)."""
    message = Message(case.method, case.url, case.headers)
    signer = hms.HTTPMessageSigner(signature_algorithm=HMAC_SHA256, key_resolver=hms.MappingKeyResolver(public_keys={}, private_keys={case.key_id: SECRET}))

    class Digest(hms.ContentDigest):
        algorithm = case.digest or "sha-256"

    signer.content_digest_class = Digest  # type: ignore[attr-defined]
    try:
        signer.sign(
            message,
            key_id=case.key_id,
            created=utc(case.created),
            expires=utc(case.expires),
            nonce=case.nonce,
            label=case.label,
            tag=case.tag,
            include_alg=case.include_alg,
            covered_component_ids=case.components,
            body=case.body if case.digest else None,
        )
    except Exception:
        return None
    return {n: v for n, v in message.headers.pairs if n in ("Content-Digest", "Signature-Input", "Signature")}


def scheme(case: Case) -> Scheme:
    return Scheme.rfc9421(
        components=case.components,
        label=case.label,
        created=case.created,
        expires=case.expires,
        nonce=case.nonce,
        tag=case.tag,
        include_alg=case.include_alg,
        content_digest=DIGESTS[case.digest] if case.digest else None,
    )


def library_verifies(case: Case, headers: List[Tuple[str, str]]) -> bool:
    NOW[0] = case.created
    verifier = hms.HTTPMessageVerifier(signature_algorithm=HMAC_SHA256, key_resolver=hms.MappingKeyResolver(public_keys={case.key_id: SECRET}, private_keys={}))
    try:
        # Given a body, the library also wants a covered Content-Digest for it.
        verifier.verify(Message(case.method, case.url, headers), max_age=datetime.timedelta(seconds=300), body=case.body if case.digest else None)
    except Exception:
        return False
    return True


def hmacsig_verdict(case: Case, headers: List[Tuple[str, str]], **policy: Any) -> str:
    """``ok`` or the error kind. By default the policy asks no more than the library does."""
    options: Dict[str, Any] = {"max_age": 300, "required_components": [], "allow_unsigned_body": True, **policy}
    with Verifier.with_keys(scheme(case), {case.key_id: SECRET}, policy=Policy.rfc9421(**options)) as verifier:
        try:
            assert verifier.verify(case.method, case.url, headers, case.body, now=case.created) == case.key_id
            return "ok"
        except HmacSigError as e:
            return e.kind


def hmacsig_verifies(case: Case, headers: List[Tuple[str, str]]) -> bool:
    return hmacsig_verdict(case, headers) == "ok"


def tampered(headers: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    return [(n, v + "x" if n.lower() == "content-type" else v) for n, v in headers]


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_signatures_and_verdicts_match_http_message_signatures(case: Case) -> None:
    theirs = library_sign(case)
    with Signer(scheme(case), Credentials(case.key_id, SECRET)) as signer:
        try:
            signed = signer.sign(case.method, case.url, case.headers, case.body, now=case.created)
        except HmacSigError as refused:
            assert theirs is None, f"{case}: hmacsig refused ({refused.kind}: {refused}), the library signed {theirs}"
            event(f"both refused to sign (hmacsig: {refused.kind})")
            return
    ours = {h.name: h.value for h in signed.headers}
    assert theirs is not None, f"{case}: the library refused, hmacsig signed {ours}"
    assert ours == theirs, f"{case}\nsignature base: {signed.string_to_sign.decode()}"
    event("both signed")
    sent = case.headers + list(ours.items())
    assert hmacsig_verifies(case, sent), f"{case}: hmacsig refused its (and the library's) signature"
    assert library_verifies(case, sent), f"{case}: the library refused the signature"
    # Stricter than the library by default: a body no signed Content-Digest covers is refused.
    if case.body and not case.digest:
        assert hmacsig_verdict(case, sent, allow_unsigned_body=False) == "body_mismatch", case
    if "content-type" in case.components:
        assert not hmacsig_verifies(case, tampered(sent)) and not library_verifies(case, tampered(sent)), case
