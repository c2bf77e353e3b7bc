"""KeyStore and Verifier.with_store (issue 15): secrets encrypted at rest, rotation with a grace
period, revocation, a wrong master key refused with the file left as it was."""

from __future__ import annotations

import base64
import pathlib

import pytest

import hmacsig
from hmacsig import KeyState, KeyStore, KeyStoreError, Scheme, Signer, Verifier

MASTER = base64.b64encode(bytes(range(32))).decode()
OTHER = base64.b64encode(bytes(range(1, 33))).decode()
NOW = 1_700_000_000
SCHEME = Scheme.api_auth(digest="sha256")


def signed(key_id: str, secret: str, now: int = NOW) -> list[tuple[str, str]]:
    with Signer(SCHEME, hmacsig.Credentials(key_id, secret)) as signer:
        result = signer.sign("POST", "/orders", [("Host", "api.example.com")], b'{"id":7}', now=now)
    return [("Host", "api.example.com"), *((h.name, h.value) for h in result.headers)]


@pytest.fixture
def store_url(tmp_path: pathlib.Path) -> str:
    return f"sqlite:{tmp_path / 'keys.db'}"


def test_create_verify_rotate_and_the_grace_period(store_url: str) -> None:
    store = KeyStore.open(store_url, master_key=MASTER)
    assert isinstance(store, KeyStore) and repr(store) == "KeyStore(<secrets sealed>)"
    first = store.create("client-1")
    assert len(first) == 88
    verifier = Verifier.with_store(SCHEME, store)
    assert verifier.verify("POST", "/orders", signed("client-1", first), b'{"id":7}', now=NOW) == "client-1"
    second = store.rotate("client-1", 600, now=NOW)
    for secret in (first, second):
        assert verifier.verify("POST", "/orders", signed("client-1", secret, NOW + 5), b'{"id":7}', now=NOW + 5) == "client-1"
    late = NOW + 601
    with pytest.raises(hmacsig.HmacSigError.BadSignature):
        verifier.verify("POST", "/orders", signed("client-1", first, late), b'{"id":7}', now=late)
    assert verifier.verify("POST", "/orders", signed("client-1", second, late), b'{"id":7}', now=late) == "client-1"
    listed = store.list(now=NOW + 5)
    assert [(k.key_id, k.version, k.state) for k in listed] == [("client-1", 2, KeyState.ACTIVE), ("client-1", 1, KeyState.EXPIRING)]
    assert first not in repr(listed) and second not in repr(listed)
    with pytest.raises(KeyStoreError.AlreadyExists):
        store.create("client-1")


def test_revoke_and_unknown_keys(store_url: str) -> None:
    store = KeyStore.open(store_url, master_key=MASTER)
    secret = store.create("client-1")
    verifier = Verifier.with_store(SCHEME, store)
    store.revoke("client-1")
    with pytest.raises(hmacsig.HmacSigError.UnknownKey):
        verifier.verify("POST", "/orders", signed("client-1", secret), b'{"id":7}', now=NOW)
    with pytest.raises(KeyStoreError.NotFound) as info:
        store.revoke("nobody")
    assert str(info.value).startswith("no live secret of key id")


def test_the_master_key_comes_from_the_environment(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMACSIG_MASTER_KEY", MASTER)
    store = KeyStore.open(store_url)
    store.create("client-1")
    monkeypatch.delenv("HMACSIG_MASTER_KEY")
    with pytest.raises(KeyStoreError.MasterKey, match="HMACSIG_MASTER_KEY"):
        KeyStore.open(store_url)


def test_a_wrong_master_key_changes_nothing(store_url: str, tmp_path: pathlib.Path) -> None:
    KeyStore.open(store_url, master_key=MASTER).create("client-1")
    before = (tmp_path / "keys.db").read_bytes()
    with pytest.raises(KeyStoreError.MasterKey, match="does not open"):
        KeyStore.open(store_url, master_key=OTHER)
    assert (tmp_path / "keys.db").read_bytes() == before
    with pytest.raises(KeyStoreError.InvalidInput):
        KeyStore.open("mysql://localhost/keys", master_key=MASTER)
    with pytest.raises(TypeError):
        KeyStore.open(store_url, master_key=bytes(32))  # type: ignore[arg-type]


def test_no_secret_is_stored_in_clear(store_url: str, tmp_path: pathlib.Path) -> None:
    store = KeyStore.open(store_url, master_key=MASTER)
    secrets = [store.create("a"), store.rotate("a", 60)]
    del store
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in secrets:
        for form in (secret.encode(), base64.b64decode(secret)[:16], secret.encode().hex().encode(), base64.b64encode(secret.encode())):
            assert form not in stored


def test_rekey(store_url: str) -> None:
    store = KeyStore.open(store_url, master_key=MASTER)
    secret = store.create("client-1")
    store.rekey(OTHER)
    with pytest.raises(KeyStoreError.MasterKey):
        KeyStore.open(store_url, master_key=MASTER)
    reopened = KeyStore.open(store_url, master_key=OTHER)
    verifier = Verifier.with_store(SCHEME, reopened)
    assert verifier.verify("POST", "/orders", signed("client-1", secret), b'{"id":7}', now=NOW) == "client-1"
