package dev.hmacsig.e2e

import dev.hmacsig.Credentials
import dev.hmacsig.KeyStore
import dev.hmacsig.Scheme
import dev.hmacsig.Signer
import dev.hmacsig.okhttp.HmacSigInterceptor
import dev.hmacsig.withRedisServer
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.Base64

// The Kotlin e2e server (E2eServer.kt) verifying from a key store (SQLite in a temp dir) with a
// Redis replay guard (a redis-server this test starts on loopback, as ReplayGuardRedisTest does),
// over real HTTP on 127.0.0.1 with OkHttp and HmacSigInterceptor (issue 15): a signed request is
// accepted, the same request replayed is refused, and a second server on the same Redis refuses
// it too.

private val MASTER = Base64.getEncoder().encodeToString(ByteArray(32) { (it * 7).toByte() })
private val BODY = """{"order":7}""".toByteArray()

class E2eServerStoreTest {
    @TempDir
    lateinit var dir: Path

    private fun OkHttpClient.post(baseUrl: String): Pair<Int, String> {
        val request = Request.Builder().url("$baseUrl/orders?id=7").post(BODY.toRequestBody("application/json".toMediaType())).build()
        return newCall(request).execute().use { it.code to it.body!!.string() }
    }

    @Test
    fun `verifies from the key store and refuses replays across servers through Redis`() = withRedisServer { redisUrl ->
        val storeUrl = "sqlite:${dir.resolve("keys.db")}"
        val secret = KeyStore.open(storeUrl, masterKey = MASTER).use { it.create("client-1") }
        val env = mapOf(
            "HMACSIG_E2E_STORE_URL" to storeUrl,
            "HMACSIG_MASTER_KEY" to MASTER,
            "HMACSIG_E2E_REDIS_URL" to redisUrl,
        )
        val verifiers = List(2) { e2eVerifier(env) }
        val servers = verifiers.map { startE2eServer(0, it) }
        try {
            val (first, second) = servers.map { "http://127.0.0.1:${it.address.port}" }
            // A fixed signing time: every call sends the very same signature.
            val now = System.currentTimeMillis() / 1000
            val signer = Scheme.apiAuth(digest = "sha256").use { scheme -> Credentials("client-1", secret).use { Signer(scheme, it) } }
            signer.use {
                val client = OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer, clock = { now })).build()

                val accepted = client.post(first)
                assertEquals(200, accepted.first, accepted.second)
                val echo = JSONObject(accepted.second)
                assertEquals("client-1", echo.getString("key_id"))
                assertEquals("/orders?id=7", echo.getString("target"))

                for (url in listOf(first, second)) {
                    val replayed = client.post(url)
                    assertEquals(403, replayed.first, replayed.second)
                    assertTrue(replayed.second.startsWith("replayed: "), replayed.second)
                }

                // A fresh signature (another second) is still accepted, by the other server too.
                val later = OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer, clock = { now + 1 })).build()
                assertEquals(200, later.post(second).first)
            }
        } finally {
            servers.forEach { it.stop(0) }
            verifiers.forEach { it.close() }
        }
    }

    @Test
    fun `without the store variables the server keeps its one in-memory key`() {
        val verifier = e2eVerifier(mapOf("HMACSIG_E2E_KEY_ID" to "client-1", "HMACSIG_E2E_SECRET" to "s3cret"))
        val server = startE2eServer(0, verifier)
        try {
            val signer = Scheme.apiAuth(digest = "sha256").use { scheme -> Credentials("client-1", "s3cret").use { Signer(scheme, it) } }
            signer.use {
                val client = OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer)).build()
                val answer = client.post("http://127.0.0.1:${server.address.port}")
                assertEquals(200, answer.first, answer.second)
                assertEquals("client-1", JSONObject(answer.second).getString("key_id"))
            }
        } finally {
            server.stop(0)
            verifier.close()
        }
    }
}
