"""One verifying server of the fleet test (test_fleet.py), run as its own process:

    HMACSIG_FLEET_NAME=a HMACSIG_FLEET_STORE=postgres://... HMACSIG_FLEET_REDIS=redis://... \\
    HMACSIG_FLEET_NAMESPACE=fleet HMACSIG_MASTER_KEY=... \\
        python -m uvicorn --app-dir bindings/python/tests fleet_server:app --port PORT

Each process opens its own ``KeyStore`` (PostgreSQL; the master key from
``HMACSIG_MASTER_KEY``, as a deployment would give it) and its own ``ReplayGuard.redis``, and
verifies api-auth (sha256) with ``hmacsig.asgi.HmacSigMiddleware``: what two servers of a
fleet share is the database and Redis, nothing in memory.

``GET /health`` passes unsigned (``ok``); any other path must be signed and answers JSON
``{"server", "pid", "key_id"}``; a refusal is the middleware's ``<kind>: <fixed sentence>``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Awaitable, Callable, MutableMapping

import hmacsig
from hmacsig.asgi import KEY_ID, HmacSigMiddleware

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

NAME = os.environ["HMACSIG_FLEET_NAME"]

store = hmacsig.KeyStore.open(os.environ["HMACSIG_FLEET_STORE"])
guard = hmacsig.ReplayGuard.redis(os.environ["HMACSIG_FLEET_REDIS"], namespace=os.environ["HMACSIG_FLEET_NAMESPACE"])
verifier = hmacsig.Verifier.with_store(hmacsig.Scheme.api_auth(digest="sha256"), store, replay_guard=guard)


async def echo(scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/health":
        data = b"ok"
    else:
        data = json.dumps({"server": NAME, "pid": os.getpid(), "key_id": scope[KEY_ID]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": data})


app = HmacSigMiddleware(echo, verifier, pass_paths=["/health"])
