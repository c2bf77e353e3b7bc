package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.lang.ref.WeakReference
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

// Values from tests/conformance/smoke-cases.json (pbh-* and ts-*), as the Rust reference runner signs them.
private const val PBH_GET_AUTH = "client:b8bf1d4a68affab239dfc8cc5955255c93189675" // GET /quotes?limit=5, key "key"
private const val PBH_ROOT_AUTH = "client:194246b47ecd392ade22cdc6deba9b5db3ad837e" // GET /
private const val PBH_POST_SHA256_AUTH = "client:d0df7cc0ee905f243243965ceac6b9a0ab423d200c042a707ee4566664f79125"
private val ORDER = """{"id":7}""".toByteArray()
private const val TS = 1_700_000_000L
private const val TS_SIG = "J8kpYQwb8fQOkLneWVyjSV8EbbwvPKcaHyQdKkGBkVo="
private const val TS_AUTH_LOWER = "HMAC-SHA256 client-1:oMUoK/jIvZM41Z0OiTOkevpRwxtC/HNs3KE3hrWfZNs="
private const val BASE_URL = "https://api.example.com/v1"

private fun failure(block: () -> Unit): HmacSigException = assertThrows<HmacSigException> { block() }

/** path-body-hex `GET /` as the client "client" with secret "key" signs it. */
private fun pbhRoot(auth: String = PBH_ROOT_AUTH) = Request("GET", "/", headersOf("Authorization" to auth), ByteArray(0))

/** ts-verify-base-url: what a server behind a proxy sees of the x-request-signed `POST /v1/orders?id=7`. */
private fun tsServerRequest() = Request(
    "POST",
    "/orders?id=7",
    headersOf(
        "Host" to "orders.internal:8080",
        "X-Request-Timestamp" to "$TS",
        "X-Request-Signature" to TS_SIG,
        "X-Request-Key-Id" to "client-1",
    ),
    ORDER,
)

class NewSchemesSignTest {
    @Test
    fun `path-body-hex signs exactly as the reference runner does`() {
        Scheme.pathBodyHex().use { scheme ->
            assertEquals("path-body-hex", scheme.name)
            Credentials("client", "key").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val signed = signer.sign("GET", "/quotes?limit=5", emptyList())
                    assertEquals(listOf(Header("Authorization", PBH_GET_AUTH)), signed.headers)
                    assertEquals("/quotes?limit=5", signed.stringToSign.toString(Charsets.UTF_8))
                    assertNull(signed.url)
                }
            }
        }
        Scheme.pathBodyHex(digest = "sha256").use { scheme ->
            Credentials("client", "key").use { credentials ->
                val signed = signRequest(
                    scheme,
                    credentials,
                    Request("POST", "https://api.example.com/quotes?", headersOf("Content-Type" to "application/json"), ORDER),
                )
                assertEquals(listOf(Header("Authorization", PBH_POST_SHA256_AUTH)), signed.headers)
                assertEquals("/quotes{\"id\":7}", signed.stringToSign.toString(Charsets.UTF_8))
            }
        }
        val e = failure { Scheme.pathBodyHex("md5") }
        assertEquals(ErrorKind.UNSUPPORTED, e.kind)
        assertEquals("path-body-hex digest \"md5\" is not offered; use sha1 or sha256", e.message)
    }

    @Test
    fun `timestamped signs exactly as the reference runner does, in both header styles`() {
        Scheme.timestamped().use { scheme ->
            assertEquals("timestamped", scheme.name)
            Credentials("client-1", "secret").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val signed = signer.sign("post", "$BASE_URL/orders?id=7", emptyList(), ORDER, now = TS)
                    assertEquals(
                        listOf(
                            Header("X-Request-Timestamp", "1700000000"),
                            Header("X-Request-Signature", TS_SIG),
                            Header("X-Request-Key-Id", "client-1"),
                        ),
                        signed.headers,
                    )
                    assertEquals("POST$BASE_URL/orders?id=71700000000{\"id\":7}", signed.stringToSign.toString(Charsets.UTF_8))
                }
            }
        }
        Scheme.timestamped(HeaderStyle.AUTHORIZATION, lowercaseUrl = true).use { scheme ->
            Credentials("client-1", "secret").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val signed = signer.sign("GET", "HTTPS://API.Example.com/V1/Orders?ID=7", emptyList(), now = TS)
                    assertEquals(listOf(Header("X-Request-Timestamp", "1700000000"), Header("Authorization", TS_AUTH_LOWER)), signed.headers)
                    assertEquals("GEThttps://api.example.com/v1/orders?ID=71700000000", signed.stringToSign.toString(Charsets.UTF_8))
                }
            }
        }
    }
}

class VerifierTest {
    @Test
    fun `a Verifier with a key map, bytes or text`() {
        Scheme.pathBodyHex().use { scheme ->
            Verifier.withKeys(scheme, mapOf("client" to "key".toByteArray())).use { verifier ->
                assertEquals("client", verifier.verifyRequest(pbhRoot()))
                assertEquals("client", verifier.verify("GET", "/", headersOf("Authorization" to PBH_ROOT_AUTH)))
                val tampered = failure { verifier.verify("GET", "/?x", headersOf("Authorization" to PBH_ROOT_AUTH)) }
                assertEquals(ErrorKind.BAD_SIGNATURE, tampered.kind)
                assertEquals("/?x", tampered.stringToSign)
                assertEquals(ErrorKind.MALFORMED_AUTHORIZATION, failure { verifier.verifyRequest(pbhRoot("a:b:c")) }.kind)
                val unknown = failure { verifier.verifyRequest(pbhRoot("other:00")) }
                assertEquals(ErrorKind.UNKNOWN_KEY, unknown.kind)
                assertEquals("other", unknown.keyId)
            }
            Verifier.withKeys(scheme, mapOf("client" to "key", "other" to "x")).use { verifier ->
                assertEquals("client", verifier.verifyRequest(pbhRoot()))
                assertEquals("Verifier(path-body-hex, 2 keys)", verifier.toString())
                assertFalse(verifier.toString().contains("key,") || verifier.toString().contains("\"key\""))
            }
        }
        // A POST body (path-body-hex signs it), as a ByteArray and as a ByteBuffer.
        Scheme.pathBodyHex("sha256").use { scheme ->
            Verifier.withKeys(scheme, mapOf("client" to "key")).use { verifier ->
                val headers = headersOf("Authorization" to PBH_POST_SHA256_AUTH)
                assertEquals("client", verifier.verify("POST", "/quotes", headers, ORDER))
                assertEquals("client", verifier.verify("POST", "/quotes", headers, java.nio.ByteBuffer.wrap(ORDER)))
                assertEquals(ErrorKind.BAD_SIGNATURE, failure { verifier.verify("POST", "/quotes", headers, "{}".toByteArray()) }.kind)
            }
        }
    }

    @Test
    fun `a lambda lookup - found, unknown, and throwing becomes KEY_LOOKUP_FAILED`() {
        val calls = AtomicInteger()
        val db = mapOf("client" to "key".toByteArray())
        Scheme.pathBodyHex().use { scheme ->
            Verifier.withLookup(scheme, { keyId ->
                calls.incrementAndGet()
                if (keyId == "down") throw IllegalStateException("db down")
                db[keyId]
            }).use { verifier ->
                assertEquals("client", verifier.verifyRequest(pbhRoot()))
                assertEquals(1, calls.get())

                val unknown = failure { verifier.verifyRequest(pbhRoot("nobody:00")) }
                assertEquals(ErrorKind.UNKNOWN_KEY, unknown.kind)
                assertEquals("nobody", unknown.keyId)
                assertEquals(403, httpStatus(unknown))

                val down = failure { verifier.verifyRequest(pbhRoot("down:00")) }
                assertEquals(ErrorKind.KEY_LOOKUP_FAILED, down.kind)
                assertTrue(down.message.contains("db down"), down.message)
                assertEquals("the key lookup failed: java.lang.IllegalStateException: db down", down.message)
                assertTrue(down.cause is IllegalStateException)
                assertEquals("db down", down.cause!!.message)
                assertEquals(503, httpStatus(down))

                // The next call carries no stale cause, and the verifier still works.
                assertNull(failure { verifier.verifyRequest(pbhRoot("nobody:00")) }.cause)
                assertEquals("client", verifier.verifyRequest(pbhRoot()))
                assertEquals(5, calls.get())
            }
        }
    }

    @Test
    fun `a lookup object, and one throwing an Error, never crash`() {
        val lookup = object : KeyLookup {
            override fun secretFor(keyId: String): ByteArray? = if (keyId == "client") "key".toByteArray() else throw AssertionError("boom")
        }
        Scheme.pathBodyHex().use { scheme ->
            Verifier.withLookup(scheme, lookup).use { verifier ->
                assertEquals("client", verifier.verifyRequest(pbhRoot()))
                val e = failure { verifier.verifyRequest(pbhRoot("x:00")) }
                assertEquals(ErrorKind.KEY_LOOKUP_FAILED, e.kind)
                assertTrue(e.message.contains("boom"), e.message)
                assertTrue(e.cause is AssertionError)
                assertEquals("Verifier(path-body-hex, key lookup)", verifier.toString())
            }
        }
    }

    @Test
    fun `a lookup may sign and verify on the same thread without disturbing the outer call`() {
        Scheme.pathBodyHex("sha256").use { scheme ->
            Credentials("inner", "k2").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    Verifier.withLookup(scheme, { keyId ->
                        // Reuses this thread's scratch body buffer if the outer verify did not take it out.
                        signer.sign("POST", "/other", emptyList(), ByteArray(300) { 'z'.code.toByte() })
                        if (keyId == "client") "key".toByteArray() else null
                    }).use { verifier ->
                        assertEquals("client", verifier.verify("POST", "/quotes", headersOf("Authorization" to PBH_POST_SHA256_AUTH), ORDER))
                    }
                }
            }
        }
    }

    @Test
    fun `a lookup that closes its own verifier fails the request instead of deadlocking`() {
        Scheme.pathBodyHex().use { scheme ->
            var self: Verifier? = null
            Verifier.withLookup(scheme, { self!!.close(); "key".toByteArray() }).use { verifier ->
                self = verifier
                val e = failure { verifier.verifyRequest(pbhRoot()) }
                assertEquals(ErrorKind.KEY_LOOKUP_FAILED, e.kind)
                assertTrue(e.cause is IllegalStateException)
                assertFalse(verifier.isClosed)
            }
        }
    }

    @Test
    fun `one Verifier with a lookup verifies from many threads`() {
        Scheme.pathBodyHex().use { scheme ->
            Verifier.withLookup(scheme, { keyId -> if (keyId == "client") "key".toByteArray() else throw IllegalStateException("no $keyId") }).use { verifier ->
                val pool = Executors.newFixedThreadPool(8)
                val results = (0 until 400).map { i ->
                    pool.submit<String> {
                        if (i % 2 == 0) {
                            verifier.verifyRequest(pbhRoot())
                        } else {
                            val e = failure { verifier.verifyRequest(pbhRoot("k$i:00")) }
                            assertEquals("no k$i", e.cause!!.message)
                            e.kind.code
                        }
                    }
                }.map { it.get(30, TimeUnit.SECONDS) }
                pool.shutdown()
                assertEquals(200, results.count { it == "client" })
                assertEquals(200, results.count { it == "key_lookup_failed" })
            }
        }
    }

    @Test
    fun `a ReplayGuard makes the second identical request REPLAYED`() {
        Scheme.timestamped().use { scheme ->
            ReplayGuard(capacity = 100, defaultTtl = 60).use { guard ->
                Policy.timestamped(publicBaseUrl = BASE_URL).use { policy ->
                    Verifier.withKeys(scheme, mapOf("client-1" to "secret"), policy, guard).use { verifier ->
                        assertTrue(guard.isEmpty())
                        assertEquals("client-1", verifier.verifyRequest(tsServerRequest(), now = TS + 1))
                        val e = failure { verifier.verifyRequest(tsServerRequest(), now = TS + 2) }
                        assertEquals(ErrorKind.REPLAYED, e.kind)
                        assertEquals("this signature from key id \"client-1\" was already used", e.message)
                        assertEquals(403, httpStatus(e))
                        assertEquals(1L, guard.size)
                        assertFalse(guard.isEmpty())
                        // Once its window (timestamp + max_age 300) is over it is stale, not replayed.
                        assertEquals(ErrorKind.STALE, failure { verifier.verifyRequest(tsServerRequest(), now = TS + 301) }.kind)
                    }
                }
            }
        }
        // path-body-hex has no timestamp: the guard remembers for its default TTL.
        Scheme.pathBodyHex().use { scheme ->
            ReplayGuard().use { guard ->
                Verifier.withLookup(scheme, { "key".toByteArray() }, replayGuard = guard).use { verifier ->
                    assertEquals("client", verifier.verifyRequest(pbhRoot(), now = 1_000))
                    assertEquals(ErrorKind.REPLAYED, failure { verifier.verifyRequest(pbhRoot(), now = 1_899) }.kind)
                    assertEquals("client", verifier.verifyRequest(pbhRoot(), now = 1_900))
                }
            }
        }
    }

    @Test
    fun `ReplayGuard check on its own, with ranges checked`() {
        ReplayGuard(capacity = 10, defaultTtl = 60).use { guard ->
            guard.check("k", "sig", expiresAt = 1_000, now = 900)
            assertEquals(ErrorKind.REPLAYED, failure { guard.check("k", "sig", expiresAt = 1_000, now = 950) }.kind)
            guard.check("other", "sig", expiresAt = 1_000, now = 950)
            assertEquals(2L, guard.size)
            guard.check("k", "sig", expiresAt = 1_100, now = 1_000) // the first one expired
            assertEquals("ReplayGuard(size=1)", guard.toString())
        }
        assertEquals(ErrorKind.UNSUPPORTED, failure { ReplayGuard(capacity = 0) }.kind)
        assertThrows<IllegalArgumentException> { ReplayGuard(capacity = -1) }
        assertThrows<IllegalArgumentException> { ReplayGuard(defaultTtl = 1L shl 32) }
    }

    @Test
    fun `Policy timestamped with publicBaseUrl, forwarded headers, and the clock window`() {
        Scheme.timestamped().use { scheme ->
            val keys = mapOf("client-1" to "secret")
            Policy.timestamped(publicBaseUrl = BASE_URL).use { policy ->
                Verifier.withKeys(scheme, keys, policy).use { verifier ->
                    assertEquals("client-1", verifier.verifyRequest(tsServerRequest(), now = TS + 1))
                    assertEquals("client-1", verifier.verifyRequest(tsServerRequest(), now = TS + 300))
                    assertEquals(
                        "the request's timestamp is 301 s old; the policy allows 300 s",
                        failure { verifier.verifyRequest(tsServerRequest(), now = TS + 301) }.message,
                    )
                    assertEquals(
                        "the request's timestamp is 10 s in the future; the policy allows 5 s",
                        failure { verifier.verifyRequest(tsServerRequest(), now = TS - 10) }.message,
                    )
                }
                // The one-off call takes the same policy.
                Credentials("client-1", "secret").use { credentials ->
                    assertEquals("client-1", verifyRequest(scheme, credentials, tsServerRequest(), policy, now = TS + 1))
                }
            }
            // Without it the server rebuilds https://orders.internal:8080/orders?id=7.
            Verifier.withKeys(scheme, keys).use { verifier ->
                val e = failure { verifier.verifyRequest(tsServerRequest(), now = TS + 1) }
                assertEquals(ErrorKind.BAD_SIGNATURE, e.kind)
                assertEquals("POSThttps://orders.internal:8080/orders?id=71700000000{\"id\":7}", e.stringToSign)
            }
            Policy.timestamped(maxAge = 0, maxFuture = 0, trustForwarded = true).use { policy ->
                Verifier.withKeys(scheme, keys, policy).use { verifier ->
                    val forwarded = tsServerRequest().let {
                        Request(it.method, "/v1/orders?id=7", it.headers + headersOf("X-Forwarded-Proto" to "https", "X-Forwarded-Host" to "api.example.com"), it.body)
                    }
                    assertEquals("client-1", verifier.verifyRequest(forwarded, now = TS))
                    assertEquals(ErrorKind.STALE, failure { verifier.verifyRequest(forwarded, now = TS + 1) }.kind)
                }
            }
        }
        val bad = failure { Policy.timestamped(publicBaseUrl = "not a url") }
        assertEquals(ErrorKind.UNSUPPORTED, bad.kind)
        assertEquals("public_base_url \"not a url\" is not an absolute URL", bad.message)
        assertThrows<IllegalArgumentException> { Policy.timestamped(maxAge = -1) }
        assertThrows<IllegalArgumentException> { Policy.timestamped(maxFuture = 1L shl 32) }
        Policy.timestamped(maxAge = 4_294_967_295L, maxFuture = 4_294_967_295L).close()
    }

    @Test
    fun `a policy of another scheme is refused when the verifier is built`() {
        Scheme.pathBodyHex().use { scheme ->
            Policy.timestamped().use { policy ->
                val e = failure { Verifier.withKeys(scheme, mapOf("client" to "key"), policy) }
                assertEquals(ErrorKind.UNSUPPORTED, e.kind)
                assertEquals("a timestamped policy cannot verify the path-body-hex scheme", e.message)
            }
        }
    }

    @Test
    fun `httpStatus maps every kind to 401, 403 or 503`() {
        assertEquals(401, httpStatus(ErrorKind.MISSING_AUTHORIZATION))
        assertEquals(401, httpStatus(ErrorKind.MALFORMED_AUTHORIZATION))
        assertEquals(401, httpStatus(ErrorKind.INVALID_REQUEST))
        assertEquals(401, httpStatus(ErrorKind.UNSUPPORTED))
        for (kind in listOf(
            ErrorKind.UNKNOWN_KEY, ErrorKind.BAD_SIGNATURE, ErrorKind.STALE, ErrorKind.FUTURE, ErrorKind.BODY_MISMATCH,
            ErrorKind.DIGEST_NOT_ALLOWED, ErrorKind.MISSING_SIGNED_HEADER, ErrorKind.REPLAYED,
        )) {
            assertEquals(403, httpStatus(kind), kind.code)
        }
        assertEquals(503, httpStatus(ErrorKind.KEY_LOOKUP_FAILED))
        Scheme.pathBodyHex().use { scheme ->
            Verifier.withKeys(scheme, mapOf("client" to "key")).use { verifier ->
                assertEquals(401, httpStatus(failure { verifier.verify("GET", "/", emptyList()) }))
                assertEquals(403, httpStatus(failure { verifier.verifyRequest(pbhRoot("client:00")) }))
            }
        }
    }
}

class VerifierLifetimeTest {
    @Test
    fun `use closes Verifier and ReplayGuard, and closed ones are refused`() {
        val guard = ReplayGuard()
        val verifier = Scheme.pathBodyHex().use { scheme -> Verifier.withKeys(scheme, mapOf("client" to "key"), replayGuard = guard) }
        guard.use { assertTrue(it.isEmpty()) }
        assertTrue(guard.isClosed)
        assertEquals("this ReplayGuard has been closed", assertThrows<IllegalStateException> { guard.check("k", "s") }.message)
        assertThrows<IllegalStateException> { guard.size }
        assertEquals("ReplayGuard(closed)", guard.toString())
        verifier.use {
            // Still works: it holds its own references to the scheme and the guard.
            assertEquals("client", it.verifyRequest(pbhRoot(), now = 1))
            assertEquals(ErrorKind.REPLAYED, failure { it.verifyRequest(pbhRoot(), now = 2) }.kind)
        }
        assertTrue(verifier.isClosed)
        assertEquals("this Verifier has been closed", assertThrows<IllegalStateException> { verifier.verifyRequest(pbhRoot()) }.message)
        assertThrows<IllegalStateException> { verifier.verify("GET", "/", emptyList()) }
        verifier.close() // twice is fine
        assertTrue(verifier.toString().endsWith(", closed)"))
    }

    @Test
    fun `closed schemes, policies and guards are refused when building a Verifier`() {
        val closedScheme = Scheme.pathBodyHex().also { it.close() }
        val closedPolicy = Policy.timestamped().also { it.close() }
        val closedGuard = ReplayGuard().also { it.close() }
        Scheme.timestamped().use { scheme ->
            assertEquals("this Scheme has been closed", assertThrows<IllegalStateException> { Verifier.withKeys(closedScheme, mapOf("a" to "b")) }.message)
            assertEquals("this Policy has been closed", assertThrows<IllegalStateException> { Verifier.withKeys(scheme, mapOf("a" to "b"), closedPolicy) }.message)
            assertEquals(
                "this ReplayGuard has been closed",
                assertThrows<IllegalStateException> { Verifier.withLookup(scheme, { null }, replayGuard = closedGuard) }.message,
            )
        }
    }

    /** A verifier whose lookup refers back to it, with every strong reference dropped; returns a weak one to the lookup. */
    private fun abandonedCycle(): WeakReference<KeyLookup> {
        val lookup = object : KeyLookup {
            var verifier: Verifier? = null
            override fun secretFor(keyId: String): ByteArray? = if (verifier != null) "key".toByteArray() else null
        }
        val scheme = Scheme.pathBodyHex()
        lookup.verifier = Verifier.withLookup(scheme, lookup)
        scheme.close()
        assertEquals("client", lookup.verifier!!.verifyRequest(pbhRoot()))
        return WeakReference(lookup)
    }

    @Test
    fun `a lookup that refers to its own verifier is still garbage-collected (no cycle through native code)`() {
        val weak = abandonedCycle()
        var tries = 0
        while (weak.get() != null && tries++ < 100) {
            System.gc()
            Thread.sleep(20)
        }
        assertNull(weak.get(), "the lookup and its verifier were kept alive by the native side")
    }

    @Test
    fun `the exception of a failed lookup is the public one`() {
        Scheme.pathBodyHex().use { scheme ->
            Verifier.withLookup(scheme, { throw java.io.IOException("timeout") }).use { verifier ->
                val e = failure { verifier.verifyRequest(pbhRoot()) }
                assertSame(HmacSigException::class.java, e.javaClass)
                assertEquals("HmacSigException(key_lookup_failed): the key lookup failed: java.io.IOException: timeout", e.toString())
            }
        }
    }
}
