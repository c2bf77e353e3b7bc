"""examples/python/verifying_server.py over real HTTP on the loopback interface.

The server runs in a thread on 127.0.0.1 with an ephemeral port; requests go through
urllib.request (no proxies), each with a timeout; the fixture shuts the server down.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
import threading
import urllib.error
import urllib.request

import pytest

import hmacsig

EXAMPLE = pathlib.Path(__file__).resolve().parents[3] / "examples" / "python" / "verifying_server.py"
TIMEOUT = 10


def load_example():
    spec = importlib.util.spec_from_file_location("verifying_server", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


example = load_example()
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy


def serve(scheme):
    server = example.VerifyingServer(("127.0.0.1", 0), scheme, quiet=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


def stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(TIMEOUT)
    assert not thread.is_alive()


@pytest.fixture
def pbh_server():
    server, thread = serve("path-body-hex")
    yield server
    stop(server, thread)


@pytest.fixture
def ts_server():
    server, thread = serve("timestamped")
    yield server
    stop(server, thread)


def send(server, method, target, headers=(), body=None):
    """Sends one request; returns (status, body text)."""
    request = urllib.request.Request(server.url + target, data=body, method=method, headers=dict(headers))
    try:
        with OPENER.open(request, timeout=TIMEOUT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.read().decode()


def pbh_headers(method, target, body=b"", key_id="quotes-app", secret="s3cr3t-token"):
    with hmacsig.Signer(hmacsig.Scheme.path_body_hex(), hmacsig.Credentials(key_id, secret)) as signer:
        return [(h.name, h.value) for h in signer.sign(method, target, body=body).headers]


def test_signed_get_is_verified(pbh_server):
    assert send(pbh_server, "GET", "/quotes?limit=5", pbh_headers("GET", "/quotes?limit=5")) == (200, "verified: quotes-app\n")


def test_signed_post_with_body_is_verified(pbh_server):
    body = b'{"quote":{"amount":12}}'
    headers = [("Content-Type", "application/json"), *pbh_headers("POST", "/quotes", body, key_id="licensing", secret="another-token")]
    assert send(pbh_server, "POST", "/quotes", headers, body) == (200, "verified: licensing\n")


def test_unsigned_request_is_401(pbh_server):
    assert send(pbh_server, "GET", "/quotes") == (401, "missing_authorization\n")


@pytest.mark.parametrize("value", ["a:b:c", "nocolon", "quotes-app:"])
def test_malformed_authorization_is_401(pbh_server, value):
    status, text = send(pbh_server, "GET", "/quotes", [("Authorization", value)])
    assert (status, text) == (401, "malformed_authorization\n")


def test_unknown_key_is_403(pbh_server):
    headers = pbh_headers("GET", "/quotes", key_id="stranger")
    assert send(pbh_server, "GET", "/quotes", headers) == (403, "unknown_key\n")


def test_wrong_secret_is_403(pbh_server):
    status, text = send(pbh_server, "GET", "/quotes", pbh_headers("GET", "/quotes", secret="guess"))
    assert (status, text) == (403, "bad_signature\n")


def test_tampered_path_is_403(pbh_server):
    headers = pbh_headers("GET", "/quotes?limit=5")
    status, text = send(pbh_server, "GET", "/quotes?limit=500", headers)
    assert (status, text) == (403, "bad_signature\n"), "the refusal holds no string to sign"


def test_tampered_body_is_403(pbh_server):
    headers = pbh_headers("PUT", "/quotes/7", b'{"amount":12}')
    status, text = send(pbh_server, "PUT", "/quotes/7", headers, b'{"amount":99}')
    assert (status, text) == (403, "bad_signature\n")


def test_public_route_passes_unsigned(pbh_server):
    assert send(pbh_server, "GET", "/ping") == (200, "pong: no signature needed\n")
    assert send(pbh_server, "GET", "/ping/deep?x=1") == (200, "pong: no signature needed\n")
    assert send(pbh_server, "GET", "/pingx")[0] == 401


def test_database_outage_is_503_without_details(pbh_server):
    pbh_server.database.available = False
    try:
        status, text = send(pbh_server, "GET", "/quotes", pbh_headers("GET", "/quotes"))
    finally:
        pbh_server.database.available = True
    assert (status, text) == (503, "the client database is unavailable; try again later\n")
    assert send(pbh_server, "GET", "/quotes", pbh_headers("GET", "/quotes"))[0] == 200


def test_clients_added_at_run_time_are_found(pbh_server):
    headers = pbh_headers("GET", "/quotes", key_id="new-client", secret="fresh")
    assert send(pbh_server, "GET", "/quotes", headers)[0] == 403
    pbh_server.database.add("new-client", "fresh")
    assert send(pbh_server, "GET", "/quotes", headers) == (200, "verified: new-client\n")


def test_timestamped_scheme_with_replay_guard(ts_server):
    body = b'{"id":7}'
    with hmacsig.Signer(hmacsig.Scheme.timestamped(), hmacsig.Credentials("quotes-app", "s3cr3t-token")) as signer:
        signed = signer.sign("POST", ts_server.url + "/orders?id=7", body=body)  # now: the system clock
    headers = [(h.name, h.value) for h in signed.headers]
    assert [name for name, _ in headers] == ["X-Request-Timestamp", "X-Request-Signature", "X-Request-Key-Id"]
    assert send(ts_server, "POST", "/orders?id=7", headers, body) == (200, "verified: quotes-app\n")
    status, text = send(ts_server, "POST", "/orders?id=7", headers, body)
    assert (status, text) == (403, "replayed\n")
    assert send(ts_server, "POST", "/orders?id=8", headers, body)[0] == 403
    assert send(ts_server, "POST", "/orders?id=7")[0] == 401


def test_main_rejects_unknown_scheme():
    with pytest.raises(SystemExit):
        example.main(["--scheme", "hawk", "--port", "0"])
    with pytest.raises(ValueError):
        example.VerifyingServer(("127.0.0.1", 0), "hawk")
