"""Send signed requests with httpx (hmacsig.httpx.HmacSigAuth), sync and async, and print the answers.

Start fastapi_app.py or flask_app.py first, then:
    python examples/python/httpx_client.py [BASE_URL]       # default http://127.0.0.1:8000
The key is HMACSIG_KEY_ID / HMACSIG_SECRET from the environment (the examples' demo key if unset).
"""

import asyncio
import os
import sys

import httpx

import hmacsig
from hmacsig.httpx import HmacSigAuth

base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
credentials = hmacsig.Credentials(
    os.environ.get("HMACSIG_KEY_ID", "demo-client"), os.environ.get("HMACSIG_SECRET", "demo-secret")
)


def post_order(auth: HmacSigAuth) -> httpx.Response:
    with httpx.Client(auth=auth, timeout=10) as client:
        return client.post(f"{base_url}/orders?id=7", json={"item": "book", "qty": 2})


async def list_orders(auth: HmacSigAuth) -> httpx.Response:
    async with httpx.AsyncClient(auth=auth, timeout=10) as client:
        return await client.get(f"{base_url}/orders?b=2&a=1")


with hmacsig.Signer(hmacsig.Scheme.api_auth(digest="sha256"), credentials) as signer:
    auth = HmacSigAuth(signer)
    responses = [post_order(auth), asyncio.run(list_orders(auth))]
for response in responses:
    print(response.status_code, response.text)
sys.exit(0 if all(r.is_success for r in responses) else 1)
