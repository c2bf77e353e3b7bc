"""Send a signed POST with requests (hmacsig.requests.HmacSigAuth) and print the answer.

Start fastapi_app.py or flask_app.py first, then:
    python examples/python/requests_client.py [BASE_URL]    # default http://127.0.0.1:8000
The key is HMACSIG_KEY_ID / HMACSIG_SECRET from the environment (the examples' demo key if unset).
"""

import os
import sys

import requests

import hmacsig
from hmacsig.requests import HmacSigAuth

base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
credentials = hmacsig.Credentials(
    os.environ.get("HMACSIG_KEY_ID", "demo-client"), os.environ.get("HMACSIG_SECRET", "demo-secret")
)

with hmacsig.Signer(hmacsig.Scheme.api_auth(digest="sha256"), credentials) as signer:
    response = requests.post(
        f"{base_url}/orders?id=7", json={"item": "book", "qty": 2}, auth=HmacSigAuth(signer), timeout=10
    )
print(response.status_code, response.text)
sys.exit(0 if response.ok else 1)
