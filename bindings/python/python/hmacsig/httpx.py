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

Redirects. A signature covers one request, and httpx (since 0.15) runs the auth once per
``send``, *before* it follows redirects: a redirect it follows (``follow_redirects=True``) is built
from the request sent (``Client._build_redirect_request``: a 301/302/303 turns it into a ``GET``
without body, a 307/308 keeps method and body, ``Authorization`` is dropped for another origin)
and sent without the auth seeing it. What does see every request a client sends, redirects
included, is a client's ``request`` event hook, so the auth brings one::

    auth = HmacSigAuth(signer)
    httpx.Client(auth=auth, follow_redirects=True, event_hooks=auth.event_hooks)
    httpx.AsyncClient(auth=auth, follow_redirects=True, event_hooks=auth.async_event_hooks)

With the hook, for each redirect the signature of the request before is taken off, then:

- a redirect to the **same origin** (scheme, host and port) is signed again for its new target,
  method and body;
- a redirect to **another origin** goes out without any header the signing set (``Authorization``,
  ``Date``, ``X-Amz-*``, ``Signature``, ``Signature-Input``, ``Content-Digest`` …), with the
  ``Host`` httpx sets for the new origin. Once a redirect has left the origin, nothing further in
  that chain is signed, even a redirect back: the other host chose it.
- ``HmacSigAuth(signer, resign_cross_host_redirects=True)`` (off by default) signs a redirect to
  another origin for that origin, trusting wherever the server sends the client with a valid
  signature.

Without the hook a followed redirect still carries the first request's signature, to whatever
host it goes; the auth then warns (``UserWarning``) when the response comes back. With
``follow_redirects=False`` (httpx's default) nothing more is sent: ``response.next_request``
carries no signature, and sending it through a client with this auth
(``client.send(response.next_request)``) applies the rules above.

Requires ``httpx`` (``pip install 'hmacsig[httpx]'``).
"""

from __future__ import annotations

import warnings
from typing import Any, Awaitable, Callable, Dict, Generator, List, Optional

import httpx

from . import Signer
from ._http import Added as _Added
from ._http import ClockSkew as _ClockSkew
from ._http import Origin as _Origin
from ._http import apply_signature as _apply_signature
from ._http import check_flag as _check_flag
from ._http import check_signer as _check_signer
from ._http import origin as _origin_of
from ._http import remove_signature as _remove_signature

__all__ = ["HmacSigAuth"]

_CHAIN = "hmacsig.chain"
"""The ``request.extensions`` key of a signed request's ``_Chain``."""


class HmacSigAuth(httpx.Auth):
    """An ``httpx`` auth that signs each request with ``signer`` (an ``hmacsig.Signer``);
    for ``httpx.Client`` and ``httpx.AsyncClient`` alike.

    ``correct_clock_skew=True``: see the module's documentation. For redirects, create the client
    with ``event_hooks=auth.event_hooks`` (``auth.async_event_hooks`` for an ``AsyncClient``);
    ``resign_cross_host_redirects=True`` (off by default) signs a redirect to another origin too."""

    requires_request_body = True

    def __init__(self, signer: Signer, *, correct_clock_skew: bool = False, resign_cross_host_redirects: bool = False) -> None:
        self.signer = _check_signer(signer)
        if not isinstance(correct_clock_skew, bool):
            raise TypeError(f"correct_clock_skew must be a bool, not {type(correct_clock_skew).__name__}")
        self._skew = _ClockSkew() if correct_clock_skew else None
        self._resign_cross_host = _check_flag("resign_cross_host_redirects", resign_cross_host_redirects)
        # The refusal's body is read only when it may be a stale/future one.
        self.requires_response_body = correct_clock_skew

    @property
    def event_hooks(self) -> Dict[str, List[Callable[..., Any]]]:
        """``event_hooks`` for an ``httpx.Client``: a ``request`` hook that signs the redirects
        the client follows again, or takes the signature off (a new dict at each call)."""
        return {"request": [self._on_request]}

    @property
    def async_event_hooks(self) -> Dict[str, List[Callable[..., Any]]]:
        """``event_hooks`` for an ``httpx.AsyncClient`` (whose hooks are coroutines)."""
        return {"request": [self._on_request_async]}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        chain = self._chain(request)
        if chain is None:
            chain = _Chain()
            request.extensions = {**request.extensions, _CHAIN: chain}
            signing = True
        else:
            # A request the chain knows: sent again, or a redirect the caller follows with
            # client.send(response.next_request).
            signing = self._take_over(request, chain)
        unsigned, url = list(request.headers.raw), request.url
        self._enter(chain, request, signing)
        response = yield request
        if response.next_request is not None and chain.added:
            # A redirect not followed: whoever sends it, it carries no stale signature.
            _remove_signature(response.next_request.headers, chain.added)
        skew = self._skew
        if signing and skew is not None and skew.learn(response.status_code, response.content, response.headers.get("Date")):
            # Sign the request as it was before signing, at the corrected time, and send it once more.
            request.headers, request.url = httpx.Headers(unsigned), url
            self._enter(chain, request, True)
            yield request
        elif response.history and chain.request is not response.request:
            warnings.warn(
                "httpx followed a redirect of a request signed by HmacSigAuth without the auth's event hooks, so it "
                "carried that request's signature; create the client with event_hooks=auth.event_hooks "
                "(auth.async_event_hooks for an AsyncClient)",
                stacklevel=2,
            )

    def sign(self, request: httpx.Request) -> None:
        """Signs ``request`` in place (its body must have been read)."""
        self._sign(request)

    def _sign(self, request: httpx.Request) -> _Added:
        target = request.url.raw_path.decode("ascii")
        if self.signer._signs_absolute_url:  # hawk: the host and port the URL names
            target = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}{target}"
        # Raw header bytes, as they go on the wire; a server decodes them the same way.
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        now = None if self._skew is None else self._skew.now()
        signed = self.signer.sign(request.method, target, headers, request.content, now)
        added = _apply_signature(request.headers, signed)
        if signed.url is not None and "://" in signed.url:
            request.url = httpx.URL(signed.url)  # a hawk bewit on the absolute URL
        elif signed.url is not None:
            request.url = request.url.copy_with(raw_path=signed.url.encode("ascii"))
        return added

    # --- Redirects ------------------------------------------------------------------------------

    def _chain(self, request: httpx.Request) -> Optional[_Chain]:
        chain = request.extensions.get(_CHAIN)
        return chain if isinstance(chain, _Chain) and chain.auth in (None, self) else None

    def _take_over(self, request: httpx.Request, chain: _Chain) -> bool:
        """Takes the chain's signature off ``request`` (httpx copied it from the request before,
        or it is that request again); ``True`` when ``request`` is to be signed."""
        if chain.added is not None:
            _remove_signature(request.headers, chain.added)
        if chain.request is request:
            request.url = chain.url  # a presigned URL back to the URL given
            return chain.added is not None
        if _origin(request.url) == chain.origin:
            return chain.added is not None or self._resign_cross_host
        return self._resign_cross_host

    def _enter(self, chain: _Chain, request: httpx.Request, signing: bool) -> None:
        chain.auth, chain.request, chain.url, chain.origin = self, request, request.url, _origin(request.url)
        chain.added = self._sign(request) if signing else None

    def _on_request(self, request: httpx.Request) -> None:
        chain = self._chain(request)
        if chain is not None and chain.request is not request:  # a redirect httpx built
            signing = self._take_over(request, chain)
            if signing:
                request.read()  # in memory: the signed request's body, read by httpx for the auth
            self._enter(chain, request, signing)

    async def _on_request_async(self, request: httpx.Request) -> None:
        chain = self._chain(request)
        if chain is not None and chain.request is not request:
            signing = self._take_over(request, chain)
            if signing:
                await request.aread()
            self._enter(chain, request, signing)

    def __repr__(self) -> str:
        return f"HmacSigAuth({self.signer!r})"


class _Chain:
    """A request sent with the auth, then the redirects built from it one after the other: the
    last of them, its origin, its URL before signing, and the headers the auth set on it
    (``added``; ``None`` when it was not signed).

    httpx gives the request it builds for a redirect the extensions of the request before
    (``Client._build_redirect_request``: ``extensions=request.extensions``), so this rides in
    ``request.extensions`` from one to the next: the one thing that ties a redirect to the request
    the auth signed. httpcore and httpx's transports ignore extension keys they do not know."""

    __slots__ = ("auth", "request", "url", "origin", "added")

    def __init__(self) -> None:
        self.auth: Optional[HmacSigAuth] = None
        self.request: Optional[httpx.Request] = None
        self.url: httpx.URL = httpx.URL()
        self.origin: Optional[_Origin] = None
        self.added: Optional[_Added] = None


def _origin(url: httpx.URL) -> _Origin:
    return _origin_of(url.scheme, url.host, url.port)
