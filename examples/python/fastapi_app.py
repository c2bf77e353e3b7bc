"""A FastAPI app that verifies signed requests (hmacsig.asgi.HmacSigMiddleware).

    python examples/python/fastapi_app.py                   # serves http://127.0.0.1:8000
    uvicorn --app-dir examples/python fastapi_app:app       # the same, with uvicorn's options
GET /health passes unsigned; everything else must be signed with the key HMACSIG_KEY_ID /
HMACSIG_SECRET from the environment (the examples' demo key if unset).
"""

import os
from typing import Any, Dict

from fastapi import Depends, FastAPI, Request

import hmacsig
from hmacsig.asgi import HmacSigMiddleware, verified_key_id

verifier = hmacsig.Verifier.with_keys(
    hmacsig.Scheme.api_auth(digest="sha256"),
    {os.environ.get("HMACSIG_KEY_ID", "demo-client"): os.environ.get("HMACSIG_SECRET", "demo-secret")},
)
app = FastAPI()
app.add_middleware(HmacSigMiddleware, verifier=verifier, pass_paths=["/health"])


@app.get("/health")
def health() -> Dict[str, str]:
    return {"status": "ok"}


@app.post("/orders")
async def create_order(request: Request, key_id: str = Depends(verified_key_id)) -> Dict[str, Any]:
    return {"key_id": key_id, "order": await request.json()}


@app.get("/orders")
def list_orders(request: Request, key_id: str = Depends(verified_key_id)) -> Dict[str, Any]:
    return {"key_id": key_id, "query": request.url.query}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
