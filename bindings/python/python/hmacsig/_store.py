"""``KeyStore``: client secrets kept encrypted at rest for a server (docs/server.md). The work is
the core's; this is its idiomatic face: ``KeyStore.open(url, master_key=None)``."""

from __future__ import annotations

from typing import Optional

from . import _ffi
from ._ffi import KeyInfo, KeyState

__all__ = ["KeyInfo", "KeyState", "KeyStore"]


class KeyStore(_ffi.KeyStore):
    """An encrypted key store: ``KeyStore.open("sqlite:/var/lib/app/keys.db")``.

    Secrets are sealed with AES-256-GCM under a master key (32 random bytes, base64) that never
    sits next to the data: ``master_key=None`` reads ``HMACSIG_MASTER_KEY``. A wrong or missing
    master key raises ``KeyStoreError.MasterKey`` before anything is read or written.

    - ``create(key_id)`` and ``rotate(key_id, grace_seconds)`` return the new secret: the only
      time it is shown. After a rotation the older secrets stay valid for ``grace_seconds``.
    - ``revoke(key_id, version=None)`` ends a key id, or one of its secrets, at once.
    - ``list()`` gives ``KeyInfo`` records (key id, version, dates, ``KeyState``), never secrets.
    - ``rekey(new_master_key)`` re-encrypts every record under a new master key, atomically.

    Verify with it through ``Verifier.with_store(scheme, store)``.
    """

    @classmethod
    def open(cls, url: str, master_key: Optional[str] = None) -> "KeyStore":  # type: ignore[override]
        """Opens the store at ``url`` (``sqlite:PATH``; a new file becomes a new store)."""
        if not isinstance(url, str):
            raise TypeError(f"url must be str, not {type(url).__name__}")
        if master_key is not None and not isinstance(master_key, str):
            raise TypeError(f"master_key must be the base64 text of 32 bytes, or None, not {type(master_key).__name__}")
        store = super().open(url, master_key)
        assert isinstance(store, KeyStore)  # the generated constructor makes an instance of cls
        return store

    def __repr__(self) -> str:
        return "KeyStore(<secrets sealed>)"


for _public in (KeyStore, KeyInfo, KeyState):
    _public.__module__ = "hmacsig"
del _public
