"""A Flask app that verifies signed requests (hmacsig.wsgi.HmacSigMiddleware).

    python examples/python/flask_app.py                     # serves http://127.0.0.1:8000
GET /health passes unsigned; everything else must be signed with the key HMACSIG_KEY_ID /
HMACSIG_SECRET from the environment (the examples' demo key if unset).
"""

import os
from typing import Any, Dict

from flask import Flask, request

import hmacsig
from hmacsig.wsgi import HmacSigMiddleware, verified_key_id

verifier = hmacsig.Verifier.with_keys(
    hmacsig.Scheme.api_auth(digest="sha256"),
    {os.environ.get("HMACSIG_KEY_ID", "demo-client"): os.environ.get("HMACSIG_SECRET", "demo-secret")},
)
app = Flask(__name__)
app.wsgi_app = HmacSigMiddleware(app.wsgi_app, verifier, pass_paths=["/health"])  # type: ignore[method-assign]


@app.get("/health")
def health() -> Dict[str, str]:
    return {"status": "ok"}


@app.post("/orders")
def create_order() -> Dict[str, Any]:
    return {"key_id": verified_key_id(request.environ), "order": request.get_json()}


@app.get("/orders")
def list_orders() -> Dict[str, Any]:
    return {"key_id": verified_key_id(request.environ), "query": request.query_string.decode()}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8000)
