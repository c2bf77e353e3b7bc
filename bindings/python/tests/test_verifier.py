"""The path-body-hex and timestamped schemes, and the server side: Verifier, KeyLookup,
ReplayGuard, http_status.

Expected signatures are the Rust runner's results on tests/conformance/smoke-cases.json
(`pbh-*` and `ts-*` cases).
"""

from __future__ import annotations

import ast
import concurrent.futures
import pathlib
import threading

import pytest

import hmacsig
from hmacsig import (
    CallableKeyLookup,
    Credentials,
    HeaderStyle,
    HmacSigError,
    KeyLookup,
    KeyLookupError,
    Policy,
    ReplayGuard,
    Request,
    Scheme,
    Signer,
    Verifier,
    http_status,
)

NOW = 1700000000
ORDER = b'{"id":7}'

# pbh-verify-ok: HMAC-SHA1("key", "/") for key id "client".
PBH_ROOT = "client:194246b47ecd392ade22cdc6deba9b5db3ad837e"
# pbh-sign-get
PBH_QUOTES = "client:b8bf1d4a68affab239dfc8cc5955255c93189675"
# ts-sign-x-request
TS_SIGNATURE = "J8kpYQwb8fQOkLneWVyjSV8EbbwvPKcaHyQdKkGBkVo="
TS_HEADERS = [("X-Request-Timestamp", "1700000000"), ("X-Request-Signature", TS_SIGNATURE), ("X-Request-Key-Id", "client-1")]
BASE_URL = "https://api.example.com/v1"


def pairs(signed):
    return [(h.name, h.value) for h in signed.headers]


def pbh(key_id="client", secret="key", digest="sha1"):
    return Signer(Scheme.path_body_hex(digest=digest), Credentials(key_id, secret))


def pbh_get(target="/quotes?limit=5", key_id="client", secret="key"):
    """A GET signed with path-body-hex, as the server receives it: (method, target, headers)."""
    with pbh(key_id, secret) as s:
        return "GET", target, pairs(s.sign("GET", target))


def ts_server_request():
    """ts-verify-base-url: what the server behind the proxy receives."""
    return ("POST", "/orders?id=7", [("Host", "orders.internal:8080"), *TS_HEADERS], ORDER)


# --- signing with the new schemes ---------------------------------------------------------


def test_path_body_hex_signs_path_and_query():
    signed = pbh().sign("GET", "/quotes?limit=5")
    assert pairs(signed) == [("Authorization", PBH_QUOTES)]
    assert signed.string_to_sign == b"/quotes?limit=5"
    assert signed.url is None


def test_path_body_hex_sha256_signs_the_post_body_not_the_empty_query():
    signed = pbh(digest="sha256").sign("POST", "https://api.example.com/quotes?", {"Content-Type": "application/json"}, ORDER)
    assert pairs(signed) == [("Authorization", "client:d0df7cc0ee905f243243965ceac6b9a0ab423d200c042a707ee4566664f79125")]
    assert signed.string_to_sign == b'/quotes{"id":7}'


def test_path_body_hex_binary_body():
    signed = pbh().sign("PUT", "/b", body=bytearray(b"\x00\xff"))
    assert pairs(signed) == [("Authorization", "client:eaadd6d8bb09ec97d4e0fee0d96f7d88b293d656")]
    assert signed.string_to_sign == b"/b\x00\xff"


def test_path_body_hex_refusals():
    with pytest.raises(HmacSigError.Unsupported, match='path-body-hex digest "md5" is not offered; use sha1 or sha256'):
        Scheme.path_body_hex(digest="md5")
    with pytest.raises(HmacSigError.InvalidRequest, match="cannot contain ':'"):
        pbh(key_id="a:b").sign("GET", "/")


def test_timestamped_x_request_headers():
    with Signer(Scheme.timestamped(), Credentials("client-1", "secret")) as s:
        signed = s.sign("post", "https://api.example.com/v1/orders?id=7", body=ORDER, now=NOW)
    assert pairs(signed) == TS_HEADERS
    assert signed.string_to_sign == b'POSThttps://api.example.com/v1/orders?id=71700000000{"id":7}'


def test_timestamped_authorization_style_and_lowercase_url():
    scheme = Scheme.timestamped(header_style=HeaderStyle.AUTHORIZATION, lowercase_url=True)
    signed = Signer(scheme, Credentials("client-1", "secret")).sign("GET", "HTTPS://API.Example.com/V1/Orders?ID=7", now=NOW)
    assert pairs(signed) == [
        ("X-Request-Timestamp", "1700000000"),
        ("Authorization", "HMAC-SHA256 client-1:oMUoK/jIvZM41Z0OiTOkevpRwxtC/HNs3KE3hrWfZNs="),
    ]
    assert signed.string_to_sign == b"GEThttps://api.example.com/v1/orders?ID=71700000000"


def test_timestamped_origin_form_uses_host_and_an_empty_key_id_sends_none():
    signed = Signer(Scheme.timestamped(HeaderStyle.X_REQUEST), Credentials("", "secret")).sign("GET", "/x", [("Host", "api.example.com:8443")], now=NOW)
    assert pairs(signed) == [("X-Request-Timestamp", "1700000000"), ("X-Request-Signature", "rkx8Yly+SilZHIILplecqIZddE7ZxbJ0d1WwAyHr2fk=")]
    assert signed.string_to_sign == b"GEThttps://api.example.com:8443/x1700000000"


def test_header_style_enum():
    assert [s.name for s in HeaderStyle] == ["X_REQUEST", "AUTHORIZATION"]
    assert Scheme.timestamped().name() == Scheme.timestamped(header_style=HeaderStyle.AUTHORIZATION).name() == "timestamped"
    assert Scheme.path_body_hex().name() == "path-body-hex"


# --- Verifier with keys in memory ---------------------------------------------------------


@pytest.mark.parametrize("secret", ["key", b"key", bytearray(b"key"), memoryview(b"xkey")[1:]])
def test_verifier_with_keys_accepts_text_or_bytes_like_secrets(secret):
    v = Verifier.with_keys(Scheme.path_body_hex(), {"client": secret, "other": "x"})
    assert v.verify("GET", "/", [("Authorization", PBH_ROOT)]) == "client"


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": PBH_ROOT}, [("Authorization", PBH_ROOT)], [hmacsig.Header(name="authorization", value=PBH_ROOT)]],
    ids=["dict", "pairs", "records"],
)
def test_verifier_takes_headers_like_sign(headers):
    assert Verifier.with_keys(Scheme.path_body_hex(), {"client": "key"}).verify("GET", "/", headers) == "client"


@pytest.mark.parametrize("body", [ORDER, ORDER.decode(), bytearray(ORDER), memoryview(ORDER)])
def test_verifier_takes_bodies_like_sign(body):
    with pbh() as s:
        signed = s.sign("PUT", "/orders/7", body=ORDER)
    assert Verifier.with_keys(Scheme.path_body_hex(), {"client": "key"}).verify("PUT", "/orders/7", pairs(signed), body) == "client"


def test_verifier_refusals_are_typed():
    v = Verifier.with_keys(Scheme.path_body_hex(), {"client": "key"})
    method, target, headers = pbh_get()
    assert v.verify(method, target, headers) == "client"
    with pytest.raises(HmacSigError.BadSignature) as info:
        v.verify(method, "/quotes?limit=6", headers)
    assert info.value.string_to_sign == "/quotes?limit=6"
    with pytest.raises(HmacSigError.MissingAuthorization):
        v.verify(method, target)
    with pytest.raises(HmacSigError.MalformedAuthorization, match='Authorization "a:b:c" is not <key_id>:<signature>'):
        v.verify(method, target, {"Authorization": "a:b:c"})
    with pytest.raises(HmacSigError.UnknownKey) as unknown:
        v.verify(*pbh_get(key_id="nobody"))
    assert unknown.value.key_id == "nobody"
    assert str(unknown.value) == 'no secret is known for key id "nobody"'


def test_verify_request_record():
    method, target, headers = pbh_get()
    request = Request(method=method, target=target, headers=[hmacsig.Header(name=n, value=v) for n, v in headers], body=b"")
    assert Verifier.with_keys(Scheme.path_body_hex(), {"client": b"key"}).verify_request(request) == "client"


def test_timestamped_verifier_with_public_base_url():
    policy = Policy.timestamped(max_age=300, max_future=5, public_base_url=BASE_URL)
    v = Verifier.with_keys(Scheme.timestamped(), {"client-1": "secret"}, policy=policy)
    assert v.verify(*ts_server_request(), now=NOW + 1) == "client-1"
    with pytest.raises(HmacSigError.Stale, match="the request's timestamp is 301 s old; the policy allows 300 s"):
        v.verify(*ts_server_request(), now=NOW + 301)
    with pytest.raises(HmacSigError.Future, match="the request's timestamp is 10 s in the future; the policy allows 5 s"):
        v.verify(*ts_server_request(), now=NOW - 10)
    # Without the base URL the server rebuilds https://orders.internal:8080/orders?id=7.
    plain = Verifier.with_keys(Scheme.timestamped(), {"client-1": "secret"})
    with pytest.raises(HmacSigError.BadSignature, match="orders.internal:8080"):
        plain.verify(*ts_server_request(), now=NOW)


def test_timestamped_policy_checks_its_base_url():
    with pytest.raises(HmacSigError.Unsupported, match='public_base_url "not a url" is not an absolute URL'):
        Policy.timestamped(public_base_url="not a url")


def test_a_policy_of_another_scheme_is_refused_when_the_verifier_is_built():
    with pytest.raises(HmacSigError.Unsupported) as e:
        Verifier.with_keys(Scheme.path_body_hex(), {"client": "key"}, policy=Policy.timestamped())
    assert str(e.value) == "a timestamped policy cannot verify the path-body-hex scheme"
    with pytest.raises(HmacSigError.Unsupported):
        Verifier.with_lookup(Scheme.path_body_hex(), lambda key_id: None, policy=Policy.timestamped())


@pytest.mark.parametrize("keys", [{"client": None}, {"client": 1}, {1: b"key"}, [("client", "key")]])
def test_verifier_with_keys_rejects_bad_keys(keys):
    with pytest.raises(TypeError):
        Verifier.with_keys(Scheme.path_body_hex(), keys)


def test_verifier_lifetime():
    with pytest.raises(TypeError, match="with_keys"):
        Verifier()
    with Verifier.with_keys(Scheme.path_body_hex(), {"client": "key"}) as v:
        assert repr(v) == "Verifier(scheme='path-body-hex', keys=in memory)"
    assert v.closed and repr(v) == "Verifier(<closed>)"
    with pytest.raises(ValueError, match="closed"):
        v.verify(*pbh_get())
    v.close()


# --- key lookups ----------------------------------------------------------------------------


class Db(KeyLookup):
    """A server's own key store."""

    def __init__(self):
        self.asked = []

    def secret_for(self, key_id):
        self.asked.append(key_id)
        if key_id == "down":
            raise ValueError("db down")
        if key_id == "refused":
            raise KeyLookupError.Failed("db refused the query")
        return b"key" if key_id == "client" else None


def db_function(key_id):
    if key_id == "down":
        raise ValueError("db down")
    return {"client": "key"}.get(key_id)


LOOKUPS = {
    "subclass": Db,
    "function": lambda: db_function,
    "callable-adapter": lambda: CallableKeyLookup(db_function),
}


@pytest.fixture(params=sorted(LOOKUPS))
def looked_up(request):
    return Verifier.with_lookup(Scheme.path_body_hex(), LOOKUPS[request.param]())


def test_lookup_found(looked_up):
    assert looked_up.verify(*pbh_get()) == "client"


def test_lookup_unknown_key(looked_up):
    with pytest.raises(HmacSigError.UnknownKey) as info:
        looked_up.verify(*pbh_get(key_id="stranger"))
    assert info.value.kind == "unknown_key"
    assert http_status(info.value) == 403


def test_lookup_raising_becomes_key_lookup_failed(looked_up):
    with pytest.raises(HmacSigError.KeyLookupFailed) as info:
        looked_up.verify(*pbh_get(key_id="down"))
    e = info.value
    assert e.kind == "key_lookup_failed"
    assert str(e) == "the key lookup failed: ValueError: db down"
    assert isinstance(e.__cause__, ValueError) and str(e.__cause__) == "db down"
    assert http_status(e) == 503
    # Nothing broke: the next request is served.
    assert looked_up.verify(*pbh_get()) == "client"


def test_lookup_asked_with_the_request_key_id():
    db = Db()
    v = Verifier.with_lookup(Scheme.path_body_hex(), db)
    v.verify(*pbh_get())
    with pytest.raises(HmacSigError.UnknownKey):
        v.verify(*pbh_get(key_id="x"))
    assert db.asked == ["client", "x"]
    assert repr(v).startswith("Verifier(scheme='path-body-hex', keys=<")


def test_key_lookup_error_keeps_its_reason():
    v = Verifier.with_lookup(Scheme.path_body_hex(), Db())
    with pytest.raises(HmacSigError.KeyLookupFailed, match="^the key lookup failed: db refused the query$") as info:
        v.verify(*pbh_get(key_id="refused"))
    assert isinstance(info.value.__cause__, KeyLookupError.Failed)
    e = KeyLookupError.Failed("db down")
    assert (str(e), e.reason, repr(e)) == ("db down", "db down", "KeyLookupError.Failed(reason='db down')")
    assert isinstance(e, KeyLookupError) and not isinstance(e, HmacSigError)


def test_type_checking_declaration_of_key_lookup_error():
    tree = ast.parse(pathlib.Path(hmacsig._errors.__file__).read_text())
    declared = {
        node.name
        for block in ast.walk(tree)
        if isinstance(block, ast.ClassDef) and block.name == "KeyLookupError"
        for node in block.body
        if isinstance(node, ast.ClassDef)
    }
    generated = {n for n, c in vars(KeyLookupError).items() if isinstance(c, type) and issubclass(c, KeyLookupError)}
    assert declared == generated == {"Failed"}


@pytest.mark.parametrize("returned", [1, "", b"", bytearray(b"key")], ids=["int", "empty-str", "empty-bytes", "bytearray"])
def test_lookup_results_are_converted_or_refused(returned):
    v = Verifier.with_lookup(Scheme.path_body_hex(), lambda key_id: returned)
    if isinstance(returned, int):
        with pytest.raises(HmacSigError.KeyLookupFailed, match="TypeError: the secret a key lookup returns must be bytes"):
            v.verify(*pbh_get())
    elif returned:
        assert v.verify(*pbh_get()) == "client"
    else:
        with pytest.raises(HmacSigError.BadSignature):  # an empty secret is a secret
            v.verify(*pbh_get())


def test_lookup_interrupt_is_not_a_verdict():
    def interrupted(key_id):
        if key_id == "ctrl-c":
            raise KeyboardInterrupt
        return "key"

    v = Verifier.with_lookup(Scheme.path_body_hex(), interrupted)
    with pytest.raises(KeyboardInterrupt):
        v.verify(*pbh_get(key_id="ctrl-c"))
    assert v.verify(*pbh_get()) == "client"


def test_with_lookup_rejects_non_lookups():
    with pytest.raises(TypeError):
        Verifier.with_lookup(Scheme.path_body_hex(), {"client": "key"})
    with pytest.raises(TypeError):
        CallableKeyLookup("not callable")


def test_lookup_from_many_threads():
    calls = []
    lock = threading.Lock()

    def lookup(key_id):
        with lock:
            calls.append(key_id)
        if key_id.endswith("-down"):
            raise ConnectionError(key_id)
        return "key"

    v = Verifier.with_lookup(Scheme.path_body_hex(), lookup)

    def one(i):
        key_id = f"c{i}-down" if i % 3 == 0 else f"c{i}"
        try:
            return v.verify(*pbh_get(target=f"/q/{i}", key_id=key_id))
        except HmacSigError.KeyLookupFailed as e:
            return type(e.__cause__).__name__ + ":" + str(e.__cause__)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(120)))
    assert results == [f"ConnectionError:c{i}-down" if i % 3 == 0 else f"c{i}" for i in range(120)]
    assert len(calls) == 120


# --- replay guard ----------------------------------------------------------------------------


def test_replay_guard_refuses_the_second_identical_request():
    guard = ReplayGuard(capacity=100, default_ttl=60)
    assert len(guard) == 0 and guard.is_empty() and guard
    policy = Policy.timestamped(public_base_url=BASE_URL)
    v = Verifier.with_keys(Scheme.timestamped(), {"client-1": "secret"}, policy=policy, replay_guard=guard)
    assert v.verify(*ts_server_request(), now=NOW + 1) == "client-1"
    with pytest.raises(HmacSigError.Replayed, match='this signature from key id "client-1" was already used') as info:
        v.verify(*ts_server_request(), now=NOW + 2)
    assert info.value.kind == "replayed" and http_status(info.value) == 403
    assert len(guard) == guard.len() == 1 and not guard.is_empty()
    assert repr(guard) == "ReplayGuard(remembered=1)"
    # After its window (timestamp + max_age) the request is stale, not replayed.
    with pytest.raises(HmacSigError.Stale):
        v.verify(*ts_server_request(), now=NOW + 301)


def test_replay_guard_with_path_body_hex_uses_the_default_ttl():
    v = Verifier.with_lookup(Scheme.path_body_hex(), db_function, replay_guard=ReplayGuard(default_ttl=60))
    request = pbh_get()
    assert v.verify(*request, now=1000) == "client"
    with pytest.raises(HmacSigError.Replayed):
        v.verify(*request, now=1059)
    assert v.verify(*request, now=1060) == "client"


def test_replay_guard_check_directly():
    guard = ReplayGuard(capacity=10, default_ttl=60)
    guard.check("k", "sig", expires_at=1000, now=900)
    with pytest.raises(HmacSigError.Replayed):
        guard.check("k", "sig", now=950)
    guard.check("other", "sig", now=950)
    with pytest.raises(HmacSigError.Unsupported, match="capacity of at least 1"):
        ReplayGuard(capacity=0)


# --- HTTP statuses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,status",
    [
        ("missing_authorization", 401),
        ("malformed_authorization", 401),
        ("invalid_request", 401),
        ("unsupported", 401),
        ("no_such_kind", 401),
        ("unknown_key", 403),
        ("bad_signature", 403),
        ("stale", 403),
        ("future", 403),
        ("body_mismatch", 403),
        ("digest_not_allowed", 403),
        ("missing_signed_header", 403),
        ("replayed", 403),
        ("key_lookup_failed", 503),
    ],
)
def test_http_status_of_a_kind(kind, status):
    assert http_status(kind) == status


def test_http_status_of_an_error():
    v = Verifier.with_keys(Scheme.path_body_hex(), {"client": "key"})
    statuses = {}
    for name, request in {
        "unsigned": ("GET", "/", []),
        "malformed": ("GET", "/", [("Authorization", "nocolon")]),
        "tampered": ("GET", "/?x", [("Authorization", PBH_ROOT)]),
    }.items():
        with pytest.raises(HmacSigError) as info:
            v.verify(*request)
        statuses[name] = http_status(info.value)
    assert statuses == {"unsigned": 401, "malformed": 401, "tampered": 403}
    with pytest.raises(TypeError):
        http_status(ValueError("x"))
