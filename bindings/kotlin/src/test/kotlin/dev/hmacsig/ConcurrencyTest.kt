package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicIntegerArray

// One Signer and one Verifier (with a ReplayGuard) shared by 8 threads, 200,000 operations
// each (a sign or a verify is one): no error, every signature identical to the one signed on
// a single thread, every signed request accepted exactly once however the threads race, and
// every other try refused as replayed. The same test as bindings/python/tests/test_concurrency.py.

private const val THREADS = 8
private const val OPERATIONS = 200_000
private const val REQUESTS = 4_000
private const val NOW = 1_700_000_000L
private const val KEY_ID = "key-1"
private val SECRET = "concurrency-secret".toByteArray()

/** The i-th of REQUESTS distinct requests: its target, headers and body all carry i. */
private fun request(i: Int) = Request(
    "POST",
    "/orders/$i?n=${i % 97}",
    headersOf("Content-Type" to "application/json", "X-Seq" to "$i"),
    """{"id":$i}""".toByteArray(),
)

class ConcurrencyTest {
    @Test
    fun `a shared Signer and Verifier agree with one thread and catch every replay once`() {
        Scheme.apiAuth(digest = "sha256").use { scheme ->
            Credentials(KEY_ID, SECRET).use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    ReplayGuard(capacity = 2L * REQUESTS).use { guard ->
                        Verifier.withKeys(scheme, mapOf(KEY_ID to SECRET), replayGuard = guard).use { verifier ->
                            race(signer, verifier)
                        }
                    }
                }
            }
        }
    }

    private fun race(signer: Signer, verifier: Verifier) {
        val requests = List(REQUESTS) { request(it) }
        val expected = requests.map { signer.sign(it.method, it.target, it.headers, it.body, now = NOW).headers }
        val signed = requests.zip(expected) { r, e -> Request(r.method, r.target, r.headers + e, r.body) }
        val accepted = AtomicIntegerArray(REQUESTS)
        // One slot per thread, written by that thread only; join() publishes it.
        val replayed = LongArray(THREADS)
        // Whatever a thread throws (an assertion included) lands here, for the main thread to report.
        val failures = ConcurrentLinkedQueue<String>()

        /** The key id when [verifier] accepts signed request [i], null when it refuses it as replayed; any other error propagates. */
        fun verifyOrReplayed(i: Int): String? = try {
            signed[i].let { verifier.verify(it.method, it.target, it.headers, it.body, now = NOW + 1) }
        } catch (e: HmacSigException) {
            if (e.kind != ErrorKind.REPLAYED) throw e
            null
        }

        fun work(t: Int) {
            try {
                var operations = 0
                for (k in 0 until REQUESTS) {
                    // Each thread starts at its own offset, so threads race for different requests first.
                    val i = (k + t * REQUESTS / THREADS) % REQUESTS
                    val again = requests[i].let { signer.sign(it.method, it.target, it.headers, it.body, now = NOW).headers }
                    assertEquals(expected[i], again, "thread $t: request $i signed differently")
                    when (val keyId = verifyOrReplayed(i)) {
                        null -> replayed[t]++
                        else -> {
                            assertEquals(KEY_ID, keyId)
                            accepted.incrementAndGet(i)
                        }
                    }
                    operations += 2
                }
                for (n in 0 until OPERATIONS - operations) {
                    val keyId = verifyOrReplayed(n % REQUESTS)
                    assertEquals(null, keyId, "thread $t: request ${n % REQUESTS} accepted twice")
                    replayed[t]++
                }
            } catch (e: Throwable) {
                failures.add("thread $t: $e")
            }
        }

        val threads = List(THREADS) { t -> Thread { work(t) } }
        threads.forEach { it.start() }
        threads.forEach { it.join() }
        assertEquals(emptyList<String>(), failures.toList())
        assertEquals(List(REQUESTS) { 1 }, List(REQUESTS) { accepted.get(it) })
        assertEquals(THREADS.toLong() * (OPERATIONS - REQUESTS) - REQUESTS, replayed.sum())
    }
}
