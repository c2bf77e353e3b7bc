"""What the client and server integrations share (private): the refusal a server sends, the
pass-path set, and small header helpers. Standard library only."""

from __future__ import annotations

import email.utils
import logging
import time
from http import HTTPStatus
from typing import Any, Collection, FrozenSet, Mapping, MutableMapping, Optional, Tuple

from . import HmacSigError, SignedRequest, Signer, Verifier, http_status

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


REFUSALS: Mapping[str, str] = {
    "invalid_request": "the request cannot be verified as sent",
    "missing_authorization": "the request carries no credentials",
    "malformed_authorization": "the credentials header cannot be read",
    "unknown_key": "the key id is not known",
    "bad_signature": "the signature does not match",
    "stale": "the request is too old",
    "future": "the request is dated too far in the future",
    "body_mismatch": "the body does not match what was signed",
    "digest_not_allowed": "the algorithm is not accepted",
    "missing_signed_header": "a required header is missing or not signed",
    "replayed": "this request was already received",
    "unsupported": "the request uses an option the server does not support",
    "key_lookup_failed": "the server could not check the credentials, try again later",
}
"""The fixed sentence a refusal's body gives for each kind: the client learns the kind and
nothing about the request (no string to sign, no body, no echo of its headers)."""

_REFUSED = "the request was refused"
"""The sentence for a kind missing from ``REFUSALS`` (a kind newer than this table)."""

LOGGED_CHARS = 2000
"""How much of the core's reason (which holds the string to sign for ``bad_signature``) the
``hmacsig`` logger gets."""


def check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return value


def _clipped(text: str) -> str:
    if len(text) <= LOGGED_CHARS:
        return text
    return f"{text[:LOGGED_CHARS]}... ({len(text) - LOGGED_CHARS} more characters)"


def refusal(error: HmacSigError, expose_string_to_sign: bool = False) -> Tuple[int, str]:
    """The status and ``text/plain`` body for a refused request: ``<kind>: <fixed sentence>``.

    The diagnosis (the kind and the core's reason, which for ``bad_signature`` holds the
    server's string to sign) goes to the ``hmacsig`` logger at DEBUG, clipped to
    ``LOGGED_CHARS``. A failed key lookup (503) is the server's fault: it is logged at ERROR
    and the client always gets the fixed sentence. With ``expose_string_to_sign`` (development
    only) the body of a 401/403 is ``<kind>: <reason>`` instead."""
    status = http_status(error)
    kind = error.kind
    sentence = f"{kind}: {REFUSALS.get(kind, _REFUSED)}"
    if status >= 500:
        log.error("hmacsig: %s: %s", kind, _clipped(str(error)))
        return status, sentence
    if log.isEnabledFor(logging.DEBUG):
        log.debug("hmacsig: refused %d %s: %s", status, kind, _clipped(str(error)))
    if expose_string_to_sign:
        return status, f"{kind}: {error}"
    return status, sentence


def body_too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class ClockSkew:
    """The clock-skew correction of the client integrations (opt-in, as the AWS SDKs do it): when
    a server refuses a request as ``stale`` or ``future`` (its body starts with the kind) and
    answers with a ``Date``, the offset between that ``Date`` and this machine's clock is learnt
    and the request is signed again and sent once more. Later requests are signed at the corrected
    time. Thread-safe enough: the offset is one int, replaced whole."""

    __slots__ = ("offset",)

    def __init__(self) -> None:
        self.offset = 0
        """Seconds to add to this machine's clock when signing."""

    def now(self) -> Optional[int]:
        """``now`` for ``Signer.sign``: ``None`` (the system clock) until an offset is learnt."""
        return None if self.offset == 0 else int(time.time()) + self.offset

    def learn(self, status: int, body: bytes, date: Optional[str]) -> bool:
        """Learns the offset from a refusal; ``True`` when the request is worth signing again."""
        if status not in (401, 403) or date is None or not body.startswith((b"stale:", b"future:", b"stale\n", b"future\n")):
            return False
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        offset = int(round(server - time.time()))
        if offset == self.offset:
            return False  # the clock was not the problem
        self.offset = offset
        return True


# --- What a client integration set on a request, to take it off again (redirects) -------------

Added = Tuple[Tuple[str, Optional[Any], str], ...]
"""The headers an auth set on a request: each name, the value it replaced (``None`` when the
header was absent) and the value set."""

DEFAULT_PORTS: Mapping[str, int] = {"http": 80, "https": 443}

Origin = Tuple[str, str, Optional[int]]
"""scheme, host, port (the default port when the URL gives none): a redirect whose target has
another origin goes to another host."""


def origin(scheme: str, host: str, port: Optional[int]) -> Origin:
    scheme = scheme.lower()
    return scheme, host.lower().rstrip("."), port if port is not None else DEFAULT_PORTS.get(scheme)


def apply_signature(headers: MutableMapping[str, Any], signed: SignedRequest) -> Added:
    """Sets the headers of ``signed`` on ``headers`` (each replacing any of the same name) and
    returns what was set, for ``remove_signature``."""
    added = []
    for header in signed.headers:
        added.append((header.name, headers.get(header.name), header.value))
        headers[header.name] = header.value
    return tuple(added)


def remove_signature(headers: MutableMapping[str, Any], added: Added) -> None:
    """Takes off what ``apply_signature`` (or an auth) set, where a header still holds the value
    set: a header that was absent is removed, one that was replaced gets its value back. A header
    the client has dropped since (both drop ``Authorization`` when a redirect leaves the origin)
    or given another value stays as it is."""
    for name, before, value in reversed(added):
        if headers.get(name) == value:
            if before is None:
                del headers[name]
            else:
                headers[name] = before
