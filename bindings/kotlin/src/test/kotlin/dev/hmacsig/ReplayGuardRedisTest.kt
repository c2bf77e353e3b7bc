package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

// ReplayGuard.redis against a real redis-server this test starts on loopback (Debian's;
// cargo xtask test installs it): two verifiers with their own guards, like two servers of a
// fleet, refuse a request the other accepted; a Redis that is down fails closed (503).

class ReplayGuardRedisTest {
    @Test
    fun `two servers share one guard in Redis`() = withRedisServer { url ->
        Scheme.timestamped().use { scheme ->
            val now = System.currentTimeMillis() / 1000
            val host = headersOf("Host" to "a.example")
            val headers = Credentials("client-1", "secret").use { c ->
                Signer(scheme, c).use { host + it.sign("POST", "/orders", host, "{}".toByteArray(), now).headers }
            }
            val servers = List(2) { Verifier.withKeys(scheme, mapOf("client-1" to "secret"), replayGuard = ReplayGuard.redis(url, namespace = "orders")) }
            try {
                assertEquals("client-1", servers[0].verify("POST", "/orders", headers, "{}".toByteArray(), now))
                val replayed = assertThrows<HmacSigException> { servers[1].verify("POST", "/orders", headers, "{}".toByteArray(), now) }
                assertEquals(ErrorKind.REPLAYED, replayed.kind)
            } finally {
                servers.forEach { it.close() }
            }
            ReplayGuard.redis(url, namespace = "orders").use { assertEquals(1L, it.size) }
        }
    }

    @Test
    fun `a Redis that is down fails closed unless told otherwise`() {
        val nobody = "redis://127.0.0.1:1/"
        ReplayGuard.redis(nobody).use { guard ->
            assertEquals(ErrorKind.KEY_LOOKUP_FAILED, assertThrows<HmacSigException> { guard.check("k", "sig") }.kind)
        }
        ReplayGuard.redis(nobody, failOpen = true).use { it.check("k", "sig") }
    }
}
