"""Sign requests made with `httpx <https://www.python-httpx.org>`_, sync or async.

::

    from hmacsig.httpx import HmacSigAuth

    with hmacsig.Signer(scheme, hmacsig.Credentials("1044", secret)) as signer:
        with httpx.Client(auth=HmacSigAuth(signer)) as client:        # or httpx.AsyncClient
            client.post(url, json={"id": 7})

``HmacSigAuth`` signs the request httpx is about to send, as it will be sent: the method, the
target httpx writes on the request line (``request.url.raw_path``), every header (``Host``,
``Content-Type`` and ``Content-Length`` included: httpx sets them when it builds the request and
adds none later) and the body, which httpx reads into memory first
(``requires_request_body``), so streamed and async bodies are signed too. Schemes that sign a URL
(timestamped, rfc9421's ``@target-uri``) thus sign ``https://`` + Host + target, which is what a
verifier rebuilds by default. With ``aws-sigv4`` and ``SignatureType.QUERY`` the request's URL
becomes the presigned one.

``HmacSigAuth(signer, correct_clock_skew=True)`` (off by default) signs a request again, once,
when the server refuses it as ``stale`` or ``future`` and sends a ``Date``: the offset between
the server's clock and this machine's is kept for the requests that follow, as the AWS SDKs do.

A signature covers one request: httpx follows redirects (``follow_redirects=True``) without
calling the auth again, so the redirected request carries the old signature and a verifying
server refuses it.

Requires ``httpx`` (``pip install 'hmacsig[httpx]'``).
"""

from __future__ import annotations

from typing import Generator

import httpx

from . import Signer
from ._http import ClockSkew as _ClockSkew
from ._http import check_signer as _check_signer

__all__ = ["HmacSigAuth"]


class HmacSigAuth(httpx.Auth):
    """An ``httpx`` auth that signs each request with ``signer`` (an ``hmacsig.Signer``);
    for ``httpx.Client`` and ``httpx.AsyncClient`` alike."""

    requires_request_body = True

    def __init__(self, signer: Signer, *, correct_clock_skew: bool = False) -> None:
        self.signer = _check_signer(signer)
        if not isinstance(correct_clock_skew, bool):
            raise TypeError(f"correct_clock_skew must be a bool, not {type(correct_clock_skew).__name__}")
        self._skew = _ClockSkew() if correct_clock_skew else None
        # The refusal's body is read only when it may be a stale/future one.
        self.requires_response_body = correct_clock_skew

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        unsigned, url = list(request.headers.raw), request.url
        self.sign(request)
        response = yield request
        skew = self._skew
        if skew is not None and skew.learn(response.status_code, response.content, response.headers.get("Date")):
            # Sign the request as it was before signing, at the corrected time, and send it once more.
            request.headers, request.url = httpx.Headers(unsigned), url
            self.sign(request)
            yield request

    def sign(self, request: httpx.Request) -> None:
        """Signs ``request`` in place (its body must have been read)."""
        target = request.url.raw_path.decode("ascii")
        # Raw header bytes, as they go on the wire; a server decodes them the same way.
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        now = None if self._skew is None else self._skew.now()
        signed = self.signer.sign(request.method, target, headers, request.content, now)
        for header in signed.headers:
            request.headers[header.name] = header.value
        if signed.url is not None:
            request.url = request.url.copy_with(raw_path=signed.url.encode("ascii"))

    def __repr__(self) -> str:
        return f"HmacSigAuth({self.signer!r})"
