"""One Signer and one Verifier (with a ReplayGuard) shared by 8 threads, 200,000 operations
each (the C entry runs without the GIL, so the threads do overlap in the core): no error,
every signature identical to the one signed on a single thread, every signed request
accepted exactly once however the threads race, and every other try refused as replayed."""

from __future__ import annotations

import threading
from typing import List

import hmacsig
from hmacsig import Credentials, ReplayGuard, Scheme, Signer, Verifier

THREADS = 8
OPERATIONS = 200_000
REQUESTS = 4_000
NOW = 1_700_000_000
SCHEME = Scheme.api_auth(digest="sha256")


def request(i: int) -> tuple:
    return "POST", f"/orders/{i}?n={i % 97}", [("Content-Type", "application/json"), ("X-Seq", str(i))], f'{{"id":{i}}}'.encode()


def test_shared_signer_and_verifier_agree_with_one_thread_and_catch_every_replay_once() -> None:
    signer = Signer(SCHEME, Credentials("key-1", b"concurrency-secret"))
    verifier = Verifier.with_keys(SCHEME, {"key-1": b"concurrency-secret"}, replay_guard=ReplayGuard(capacity=2 * REQUESTS))
    requests = [request(i) for i in range(REQUESTS)]
    expected = [[(h.name, h.value) for h in signer.sign(*r, now=NOW).headers] for r in requests]
    signed = [(m, t, h + e, b) for (m, t, h, b), e in zip(requests, expected)]
    accepted = [0] * REQUESTS
    replayed = [0] * THREADS
    failures: List[str] = []
    lock = threading.Lock()

    def work(t: int) -> None:
        try:
            operations = 0
            for k in range(REQUESTS):
                i = (k + t * REQUESTS // THREADS) % REQUESTS
                again = [(h.name, h.value) for h in signer.sign(*requests[i], now=NOW).headers]
                assert again == expected[i], f"thread {t}: request {i} signed differently"
                try:
                    assert verifier.verify(*signed[i], now=NOW + 1) == "key-1"
                    with lock:
                        accepted[i] += 1
                except hmacsig.HmacSigError.Replayed:
                    replayed[t] += 1
                operations += 2
            for n in range(OPERATIONS - operations):
                try:
                    verifier.verify(*signed[n % REQUESTS], now=NOW + 1)
                    raise AssertionError(f"thread {t}: request {n % REQUESTS} accepted twice")
                except hmacsig.HmacSigError.Replayed:
                    replayed[t] += 1
        except BaseException as e:  # reported by the main thread
            failures.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert accepted == [1] * REQUESTS
    assert sum(replayed) == THREADS * (OPERATIONS - REQUESTS) - REQUESTS
