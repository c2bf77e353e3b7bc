"""The end-to-end ASGI server of tests/e2e/README.md: a FastAPI app that verifies api-auth
(sha256) with hmacsig.asgi.HmacSigMiddleware and echoes what it verified; paths under
``/kong-hmac/`` verify kong-hmac (a signed ``Digest``, checked) and under ``/hawk/`` hawk.

    HMACSIG_E2E_KEY_ID=e2e-client HMACSIG_E2E_SECRET=... \\
        python -m uvicorn --app-dir tests/e2e/python asgi_server:app --host 127.0.0.1 --port 8000

``GET /health`` passes unsigned (``ok``); any other path must be signed, and answers JSON
``{"key_id", "method", "target", "body_sha256", "content_type"}``; a refusal is the middleware's
``<kind>: <fixed sentence>`` with 401 or 403.
"""

import hashlib
import os
from typing import Any, Dict, Optional

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse

import hmacsig
from hmacsig.asgi import HmacSigMiddleware, request_target, verified_key_id


def key_from_env() -> Dict[str, str]:
    """The one key the server accepts: HMACSIG_E2E_KEY_ID, HMACSIG_E2E_SECRET (its UTF-8 bytes)."""
    try:
        return {os.environ["HMACSIG_E2E_KEY_ID"]: os.environ["HMACSIG_E2E_SECRET"]}
    except KeyError as missing:
        raise SystemExit(f"asgi_server: set {missing.args[0]} (see tests/e2e/README.md)") from None


echo_app = FastAPI()


def verified(scheme: hmacsig.Scheme, policy: Optional[hmacsig.Policy] = None) -> HmacSigMiddleware:
    verifier = hmacsig.Verifier.with_keys(scheme, key_from_env(), policy=policy)
    return HmacSigMiddleware(echo_app, verifier=verifier, pass_paths=["/health"])


# The first path segment picks the scheme (the echo app sees the whole path).
BY_PREFIX = {
    "/kong-hmac/": verified(hmacsig.Scheme.kong_hmac(), hmacsig.Policy.kong_hmac(validate_request_body=True)),
    "/hawk/": verified(hmacsig.Scheme.hawk()),
}
API_AUTH = verified(hmacsig.Scheme.api_auth(digest="sha256"))


async def app(scope: Any, receive: Any, send: Any) -> None:
    path = scope.get("path", "") if scope["type"] in ("http", "websocket") else ""
    chosen = next((verifying for prefix, verifying in BY_PREFIX.items() if path.startswith(prefix)), API_AUTH)
    await chosen(scope, receive, send)


@echo_app.get("/health", response_class=PlainTextResponse)
def health() -> str:
    return "ok"


@echo_app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def echo(request: Request, key_id: str = Depends(verified_key_id)) -> Dict[str, str]:
    body = await request.body()
    return {
        "key_id": key_id,
        "method": request.method,
        "target": request_target(request.scope),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "content_type": request.headers.get("content-type", ""),
    }
