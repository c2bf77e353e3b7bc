"""What the client and server integrations share (private): the refusal a server sends, the
pass-path set, and small header helpers. Standard library only."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Collection, FrozenSet, Tuple

from . import HmacSigError, Signer, Verifier, http_status

log = logging.getLogger("hmacsig")

DEFAULT_MAX_BODY_BYTES = 1 << 20
"""The largest request body a middleware reads and verifies by default (1 MiB)."""

KEY_ID = "hmacsig.key_id"
"""The ASGI scope / WSGI environ key holding the verified key id."""


def check_signer(signer: object) -> Signer:
    if not isinstance(signer, Signer):
        raise TypeError(f"HmacSigAuth takes an hmacsig.Signer, not {type(signer).__name__}")
    return signer


def check_verifier(verifier: object) -> Verifier:
    if not isinstance(verifier, Verifier):
        raise TypeError(f"HmacSigMiddleware takes an hmacsig.Verifier, not {type(verifier).__name__}")
    return verifier


def check_max_body_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_body_bytes must be a non-negative int, not {value!r}")
    return value


def pass_path_set(pass_paths: Collection[str]) -> FrozenSet[str]:
    """Validates ``pass_paths``: exact paths such as ``/health``, compared with the path the
    application routes on (percent-decoded, without the mount prefix). No prefixes or patterns:
    a prefix such as ``/health/`` would also pass ``/health/../admin`` to a router that does not
    normalise dot segments."""
    if isinstance(pass_paths, str):
        raise TypeError("pass_paths is a collection of paths, not one str: write pass_paths=['/health']")
    paths = frozenset(pass_paths)
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"each pass path must be a str starting with '/', not {path!r}")
    return paths


def refusal(error: HmacSigError) -> Tuple[int, str]:
    """The status and ``text/plain`` body for a refused request: ``<kind>: <reason>``.

    A failed key lookup (503) is the server's fault: its details go to the ``hmacsig`` logger,
    and the client gets a generic reason."""
    status = http_status(error)
    if status >= 500:
        log.error("hmacsig: %s: %s", error.kind, error)
        return status, f"{error.kind}: the key lookup failed; try again later"
    return status, f"{error.kind}: {error}"


def body_too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
