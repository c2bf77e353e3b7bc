"""Sign requests made with `requests <https://requests.readthedocs.io>`_.

::

    from hmacsig.requests import HmacSigAuth

    with hmacsig.Signer(scheme, hmacsig.Credentials("1044", secret)) as signer:
        requests.post(url, json={"id": 7}, auth=HmacSigAuth(signer))   # or session.auth = ...

``HmacSigAuth`` signs what goes on the wire:

- the **origin-form target** (``/path?query``) exactly as urllib3 writes it on the request
  line, and a **Host** header, set on the request, with the value urllib3 would send (the URL's
  host, its port unless it is the scheme's default). A server sees these two, so schemes that
  sign a URL (timestamped, rfc9421's ``@target-uri``) sign ``https://`` + Host + target, which
  is also what a verifier rebuilds by default. A ``Host`` header you set yourself is kept.
- every header of the prepared request, after requests has added its defaults; nothing is added
  after signing but what urllib3 adds only when absent (``User-Agent``, ``Accept-Encoding``), so
  sign those only when you set them.
- the **body bytes**: a ``str`` body (``data="..."``, ``data={...}``) is encoded as UTF-8; a
  file-like body (``data=open(...)``) or an iterable of chunks is read whole. Such bodies are
  replaced by the bytes that were signed, with ``Content-Length`` set (and no
  ``Transfer-Encoding``), so the bytes sent are the bytes signed. Any other body is a
  ``TypeError``.
- with ``aws-sigv4`` and ``SignatureType.QUERY`` the request URL becomes the presigned URL.

A signature covers one request, and requests follows redirects without calling the auth again:
the redirected request keeps the signed headers (a verifying server refuses it) but not the
``Host`` set here, so it reaches the new location with its own host. Sign each hop yourself
(``allow_redirects=False``) if you need redirects.

Requires ``requests`` (``pip install 'hmacsig[requests]'``).
"""

from __future__ import annotations

from typing import Any, Iterable, List, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

from . import Signer
from ._http import ClockSkew as _ClockSkew
from ._http import check_signer as _check_signer

try:
    # The function urllib3 applies to the target before writing the request line (it
    # upper-cases percent-escapes and encodes characters invalid in a path or query).
    from urllib3.util.url import _encode_target
except ImportError:  # an urllib3 without it sends the target unchanged
    def _encode_target(target: str) -> str:
        return target


__all__ = ["HmacSigAuth"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class HmacSigAuth(AuthBase):
    """A ``requests`` auth that signs each request with ``signer`` (an ``hmacsig.Signer``).

    ``correct_clock_skew=True`` (off by default): when the server refuses a request as ``stale``
    or ``future`` and sends a ``Date``, the offset between its clock and this machine's is learnt,
    the request is signed again at the corrected time and sent once more, and later requests are
    signed at the corrected time too, as the AWS SDKs do."""

    def __init__(self, signer: Signer, *, correct_clock_skew: bool = False) -> None:
        self.signer = _check_signer(signer)
        if not isinstance(correct_clock_skew, bool):
            raise TypeError(f"correct_clock_skew must be a bool, not {type(correct_clock_skew).__name__}")
        self._skew = _ClockSkew() if correct_clock_skew else None

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if r.url is None or r.method is None:
            raise ValueError("HmacSigAuth signs a prepared request with a method and a URL")
        parts = urlsplit(r.url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise ValueError(f"HmacSigAuth signs http and https URLs, not {r.url!r}")
        target = _encode_target(r.path_url)
        host_set_here = "Host" not in r.headers
        if host_set_here:
            r.headers["Host"] = _host_header(parts.netloc, parts.scheme)
        body = _body_bytes(r)
        unsigned = r.copy() if self._skew is not None else None
        self._sign(r, target, body)
        if host_set_here:
            r.register_hook("response", _forget_host_on_redirect)  # type: ignore[no-untyped-call]
        if unsigned is not None:
            r.register_hook("response", lambda response, **kwargs: self._retry_on_skew(response, unsigned, target, body, **kwargs))  # type: ignore[no-untyped-call]
        return r

    def _sign(self, r: requests.PreparedRequest, target: str, body: bytes) -> None:
        """Signs ``r`` (its Host and body already as they will be sent)."""
        assert r.method is not None and r.url is not None
        parts = urlsplit(r.url)
        headers: List[Tuple[str, str]] = [(name, _text(value)) for name, value in r.headers.items()]
        now = None if self._skew is None else self._skew.now()
        signed = self.signer.sign(r.method, target, headers, body, now)
        for header in signed.headers:
            r.headers[header.name] = header.value
        if signed.url is not None:
            # A presigned URL: the signed target, on the same scheme and authority.
            path, _, query = signed.url.partition("?")
            r.url = urlunsplit((parts.scheme, parts.netloc, path, query, ""))

    def _retry_on_skew(
        self, response: requests.Response, unsigned: requests.PreparedRequest, target: str, body: bytes, **kwargs: Any
    ) -> requests.Response:
        """Signs the request again at the server's time and sends it once more, when the server
        refused it for its clock (a response hook; the retry's own hooks do not retry again)."""
        skew = self._skew
        if skew is None or not skew.learn(response.status_code, response.content, response.headers.get("Date")):
            return response
        retry = unsigned.copy()
        self._sign(retry, target, body)
        if response.connection is None:
            return response
        response.close()
        again: requests.Response = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        return again

    def __repr__(self) -> str:
        return f"HmacSigAuth({self.signer!r})"


def _forget_host_on_redirect(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    # requests builds the redirected request from this one (after the hooks ran) and sends it
    # without calling the auth: drop the Host we set so that urllib3 sends the new location's.
    if response.is_redirect and response.request is not None:
        response.request.headers.pop("Host", None)
    return response


def _host_header(netloc: str, scheme: str) -> str:
    """The Host urllib3 sends for a URL: the authority without userinfo, without a trailing dot
    on the host name, and without the port when it is the scheme's default."""
    authority = netloc.rpartition("@")[2]
    if authority.startswith("["):  # [IPv6] or [IPv6]:port
        end = authority.find("]") + 1
        host, port = authority[:end], authority[end + 1 :]
    else:
        host, _, port = authority.partition(":")
        host = host.rstrip(".")
    if port and int(port) != _DEFAULT_PORTS[scheme]:
        return f"{host}:{port}"
    return host


def _text(value: Union[str, bytes]) -> str:
    # requests allows bytes header values; they go on the wire as they are.
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _body_bytes(r: requests.PreparedRequest) -> bytes:
    """The body as it will be sent; a body that is not bytes is replaced by its bytes."""
    body: object = r.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        data = body.encode("utf-8")
    elif isinstance(body, (bytearray, memoryview)):
        data = bytes(body)
    elif callable(getattr(body, "read", None)):
        data = _as_chunk(body.read(), "a file-like body")  # type: ignore[attr-defined]
    elif isinstance(body, Iterable):
        data = b"".join(_as_chunk(chunk, "a body chunk") for chunk in body)
    else:
        raise TypeError(f"HmacSigAuth cannot sign a body of type {type(body).__name__}; pass bytes, str or a file")
    r.body = data
    r.headers.pop("Transfer-Encoding", None)
    r.headers["Content-Length"] = str(len(data))
    # The body can no longer be rewound as a file on a 307/308 redirect: it is bytes now.
    if hasattr(r, "_body_position"):
        r._body_position = None
    return data


def _as_chunk(chunk: object, what: str) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"{what} must give bytes or str, not {type(chunk).__name__}")

