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
- with ``aws-sigv4`` and ``SignatureType.QUERY`` the request URL becomes the presigned URL (with
  ``hawk``, the bewit URL).
- ``hawk`` signs the absolute URL instead of the target and ``Host`` (``Scheme.signs_absolute_url``),
  as hawk's client does: its MAC covers the host and port the URL names (443 for ``https``).

Redirects (``allow_redirects=True``, requests' default). A signature covers one request, and
requests follows a redirect without calling the auth again: it copies the request it sent, changes
the URL (a 301/302/303 also turns it into a ``GET`` without body; a 307/308 keeps method and
body) and sends the copy. ``HmacSigAuth`` therefore prepares that copy from a response hook, before
requests makes it:

- a redirect to the **same origin** (scheme, host and port) is signed again for its new target,
  method and body;
- a redirect to **another origin** goes out without any header the signing set (``Authorization``,
  ``Date``, ``X-Amz-*``, ``Signature``, ``Signature-Input``, ``Content-Digest`` …) and with the new
  host's own ``Host`` (a ``Host`` you set yourself is dropped too). Once a redirect has left the
  origin, nothing further in that chain is signed, even a redirect back: the other host chose it.
- ``HmacSigAuth(signer, resign_cross_host_redirects=True)`` (off by default) signs a redirect to
  another origin for that origin, trusting wherever the server sends the client with a valid
  signature. requests itself removes an ``Authorization`` header on a redirect to another host
  (``Session.rebuild_auth``), so a scheme that puts its signature there (api-auth,
  path-body-hex, aws-sigv4) cannot be carried; such a redirect is sent unsigned, with a warning.
- with ``allow_redirects=False`` nothing more is sent; ``response.next`` is the redirect, prepared
  as above, for ``session.send(response.next)``.

The request of a redirect response (``response.history[i].request``) is the one requests copies,
so it shows the headers prepared for the next request, not those it was sent with. A presigned
URL (``aws-sigv4`` with ``SignatureType.QUERY``) is not signed again on a redirect: requests takes
the next URL from ``Location``.

Requires ``requests`` (``pip install 'hmacsig[requests]'``).
"""

from __future__ import annotations

import warnings
from typing import Any, Iterable, List, Optional, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

from . import Signer
from ._http import DEFAULT_PORTS as _DEFAULT_PORTS
from ._http import Added as _Added
from ._http import ClockSkew as _ClockSkew
from ._http import Origin as _Origin
from ._http import apply_signature as _apply_signature
from ._http import check_flag as _check_flag
from ._http import check_signer as _check_signer
from ._http import origin as _origin_of
from ._http import remove_signature as _remove_signature

try:
    # The function urllib3 applies to the target before writing the request line (it
    # upper-cases percent-escapes and encodes characters invalid in a path or query).
    from urllib3.util.url import _encode_target
except ImportError:  # an urllib3 without it sends the target unchanged
    def _encode_target(target: str) -> str:
        return target


__all__ = ["HmacSigAuth"]


class HmacSigAuth(AuthBase):
    """A ``requests`` auth that signs each request with ``signer`` (an ``hmacsig.Signer``).

    ``correct_clock_skew=True`` (off by default): when the server refuses a request as ``stale``
    or ``future`` and sends a ``Date``, the offset between its clock and this machine's is learnt,
    the request is signed again at the corrected time and sent once more, and later requests are
    signed at the corrected time too, as the AWS SDKs do.

    Redirects to the same origin are signed again for their new target; redirects to another
    origin go out without the signature, unless ``resign_cross_host_redirects=True`` (off by
    default), which signs them for the new origin (see the module's documentation)."""

    def __init__(self, signer: Signer, *, correct_clock_skew: bool = False, resign_cross_host_redirects: bool = False) -> None:
        self.signer = _check_signer(signer)
        if not isinstance(correct_clock_skew, bool):
            raise TypeError(f"correct_clock_skew must be a bool, not {type(correct_clock_skew).__name__}")
        self._skew = _ClockSkew() if correct_clock_skew else None
        self._resign_cross_host = _check_flag("resign_cross_host_redirects", resign_cross_host_redirects)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if r.url is None or r.method is None:
            raise ValueError("HmacSigAuth signs a prepared request with a method and a URL")
        if urlsplit(r.url).scheme not in _DEFAULT_PORTS:
            raise ValueError(f"HmacSigAuth signs http and https URLs, not {r.url!r}")
        _body_bytes(r)
        chain = _Chain(self)
        chain.sign(r)
        # requests copies a request's hooks onto the requests it builds for redirects, so these
        # run for every response of the chain, redirects and the skew retry included.
        r.register_hook("response", chain.on_response)  # type: ignore[no-untyped-call]
        if self._skew is not None:
            r.register_hook("response", chain.retry_on_skew)  # type: ignore[no-untyped-call]
        return r

    def __repr__(self) -> str:
        return f"HmacSigAuth({self.signer!r})"


class _Chain:
    """A request signed by the auth and the redirects requests builds from it, one after the
    other: what the last of them carries of the auth's (``added``, ``None`` when unsigned).

    requests does not call the auth for a redirect: ``Session.resolve_redirects`` copies the
    request it sent (``response.request``, after the response hooks ran), changes it and sends
    the copy. A response hook is the one point where the auth sees that request before it is
    copied, so on a redirect ``on_response`` takes the signature off it and, when the redirect
    may be signed, builds the next request with requests' own code (``resolve_redirects`` with
    ``yield_requests=True``, as requests builds ``Response.next``), signs that and puts the
    signature on the request about to be copied. The hook cannot tell whether requests will
    follow (``allow_redirects`` is not passed to hooks); either way nothing is sent here."""

    __slots__ = ("auth", "added", "url")

    def __init__(self, auth: HmacSigAuth) -> None:
        self.auth = auth
        self.added: Optional[_Added] = None
        self.url: Optional[str] = None
        """The URL before signing (a presigned URL replaces it)."""

    def sign(self, r: requests.PreparedRequest) -> None:
        """Signs ``r`` as it will be sent (its body already bytes or ``None``), with a ``Host``
        (set here when ``r`` has none), and records what was set."""
        assert r.method is not None and r.url is not None
        parts = urlsplit(r.url)
        added: List[Tuple[str, Optional[Any], str]] = []
        if "Host" not in r.headers:
            host = _host_header(parts.netloc, parts.scheme)
            r.headers["Host"] = host
            added.append(("Host", None, host))
        body = r.body if isinstance(r.body, bytes) else b""
        headers: List[Tuple[str, str]] = [(name, _text(value)) for name, value in r.headers.items()]
        now = None if self.auth._skew is None else self.auth._skew.now()
        target = _encode_target(r.path_url)
        if self.auth.signer._signs_absolute_url:
            target = f"{parts.scheme}://{parts.netloc}{target}"
        signed = self.auth.signer.sign(r.method, target, headers, body, now)
        added.extend(_apply_signature(r.headers, signed))
        self.added, self.url = tuple(added), r.url
        if signed.url is not None and "://" in signed.url:
            r.url = signed.url  # a hawk bewit on the absolute URL
        elif signed.url is not None:
            # A presigned URL: the signed target, on the same scheme and authority.
            path, _, query = signed.url.partition("?")
            r.url = urlunsplit((parts.scheme, parts.netloc, path, query, ""))

    def unsign(self, r: requests.PreparedRequest) -> None:
        if self.added is not None:
            _remove_signature(r.headers, self.added)
        self.added = None

    def on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.is_redirect and response.request is not None:
            self.prepare_redirect(response, response.request, kwargs)
        return response

    def prepare_redirect(self, response: requests.Response, sent: requests.PreparedRequest, kwargs: Any) -> None:
        """Makes ``sent``, which requests copies for the redirect ``response`` asks for, carry
        the signature of that next request, or none."""
        was_signed = self.added is not None
        self.unsign(sent)
        assert sent.url is not None
        # requests' own code builds the next request, as Session.send builds Response.next. A hook
        # has no access to the caller's session, so a bare one stands in; what it leaves out is
        # what the caller's may add from the environment (trust_env: .netrc credentials for the
        # new host, proxy variables), which requests then applies after this hook, as it would
        # anyway. The hook's kwargs are the adapter's (stream, timeout, verify, cert, the proxies
        # resolved for this request), which resolve_redirects takes too.
        with requests.Session() as rules:
            rules.trust_env = False
            next_request: Optional[requests.PreparedRequest] = next(
                rules.resolve_redirects(response, sent, yield_requests=True, **kwargs), None
            )
            if next_request is None or next_request.url is None:
                return
            url = next_request.url
            same_origin = _origin(url) == _origin(sent.url)
            if not same_origin:
                # The next host gets its own Host, the one urllib3 sends for its URL.
                sent.headers.pop("Host", None)
                next_request.headers.pop("Host", None)
            if not (self.auth._resign_cross_host or (was_signed and same_origin)):
                return
            self.sign(next_request)
            added = self.added or ()
            self.added = None
            if next_request.url != url:
                return  # presigned: requests takes the next URL from Location, not from `sent`
            if any(name.lower() == "authorization" for name, _, _ in added) and rules.should_strip_auth(sent.url, url):  # type: ignore[no-untyped-call]
                warnings.warn(
                    "HmacSigAuth(resign_cross_host_redirects=True): requests removes the Authorization header on a "
                    f"redirect to another host, so the redirect to {_origin_text(url)} is sent unsigned",
                    stacklevel=2,
                )
                return
        for name, _, value in added:
            sent.headers[name] = value
        self.added = added

    def retry_on_skew(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """Signs the request again at the server's time and sends it once more, when the server
        refused it for its clock (a response hook; the retry's own hooks do not retry again)."""
        skew, sent = self.auth._skew, response.request
        if skew is None or sent is None or self.added is None or response.connection is None:
            return response
        if not skew.learn(response.status_code, response.content, response.headers.get("Date")):
            return response
        # Signed again in place, not on a copy: should the retry be answered with a redirect,
        # requests builds it from this very request (the one it passed to Session.send).
        self.unsign(sent)
        sent.url = self.url
        self.sign(sent)
        response.close()
        again: requests.Response = response.connection.send(sent, **kwargs)
        again.history.append(response)
        again.request = sent
        if again.is_redirect:  # the hooks do not run for a response of the adapter
            self.prepare_redirect(again, sent, kwargs)
        return again


def _origin(url: str) -> _Origin:
    parts = urlsplit(url)
    return _origin_of(parts.scheme, parts.hostname or "", parts.port)


def _origin_text(url: str) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}"


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

