package dev.hmacsig.e2e

import dev.hmacsig.Credentials
import dev.hmacsig.Scheme
import dev.hmacsig.Signer
import dev.hmacsig.examples.postOrder
import dev.hmacsig.okhttp.HmacSigInterceptor
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.security.MessageDigest

/** What the client sent, compared with what the server echoes. */
private val BODY = """{"order":{"id":7,"items":["a","b"]},"note":"signé"}""".toByteArray(Charsets.UTF_8)
private val JSON = "application/json".toMediaType()

private fun env(name: String): String =
    System.getenv(name)?.takeIf { it.isNotEmpty() }
        ?: throw AssertionError("$name is not set: this suite needs the servers that `cargo xtask test` starts (tests/e2e/README.md)")

private fun sha256Hex(bytes: ByteArray) = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

/**
 * The client checks of tests/e2e/README.md with OkHttp and [HmacSigInterceptor]: signed
 * requests over real HTTP on 127.0.0.1 to the ASGI server (Python: the crossing), the
 * Kotlin server and the tamper proxy. Tagged `e2e`: not part of `mvn test`; `cargo xtask
 * test` runs it with the servers' environment (xtask/src/kotlin.rs, e2e_clients), and it
 * fails without it.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndTest {
    // Lazy: without the environment each test fails on its own, saying what is missing.
    private val signer = lazy {
        Scheme.apiAuth(digest = "sha256").use { scheme ->
            Credentials(env("HMACSIG_E2E_KEY_ID"), env("HMACSIG_E2E_SECRET")).use { Signer(scheme, it) }
        }
    }
    private val signed by lazy { OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer.value)).build() }
    private val unsigned = OkHttpClient()

    @AfterAll
    fun close() {
        if (signer.isInitialized()) signer.value.close()
    }

    private fun OkHttpClient.call(request: Request): Pair<Int, String> = newCall(request).execute().use { it.code to it.body!!.string() }

    private fun post(baseUrl: String) = Request.Builder().url("$baseUrl/orders?id=7").post(BODY.toRequestBody(JSON)).build()

    private fun get(baseUrl: String) = Request.Builder().url("$baseUrl/quotes?b=2&a=1").build()

    /** A 200 whose echo shows the server verified exactly what was sent. */
    private fun assertEcho(answer: Pair<Int, String>, method: String, target: String, body: ByteArray, contentType: String) {
        assertEquals(200, answer.first, answer.second)
        val echo = JSONObject(answer.second)
        assertEquals(env("HMACSIG_E2E_KEY_ID"), echo.getString("key_id"))
        assertEquals(method, echo.getString("method"))
        assertEquals(target, echo.getString("target"))
        assertEquals(sha256Hex(body), echo.getString("body_sha256"))
        assertEquals(contentType, echo.getString("content_type"))
    }

    private fun assertRefused(answer: Pair<Int, String>, status: Int, kind: String) {
        assertEquals(status, answer.first, answer.second)
        assertTrue(answer.second.startsWith("$kind: "), answer.second)
    }

    /** kong-hmac and hawk, each to its path on the ASGI server (tests/e2e/README.md): signed, verified, refused when the body changes on the way. */
    @Test
    fun `kong-hmac and hawk verify on the ASGI server, and a changed body is refused`() {
        val schemes = mapOf(
            "kong-hmac" to { Scheme.kongHmac(headers = listOf("date", "@request-target", "digest"), digest = true) },
            "hawk" to { Scheme.hawk() },
        )
        for ((name, make) in schemes) {
            make().use { scheme ->
                Credentials(env("HMACSIG_E2E_KEY_ID"), env("HMACSIG_E2E_SECRET")).use { credentials ->
                    Signer(scheme, credentials).use { signer ->
                        val client = OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer)).build()
                        val target = "/$name/orders?id=7&b=2"
                        val request = { base: String -> Request.Builder().url(base + target).post(BODY.toRequestBody(JSON)).build() }
                        assertEcho(client.call(request(env("HMACSIG_E2E_ASGI_URL"))), "POST", target, BODY, "application/json")
                        assertRefused(client.call(request(env("HMACSIG_E2E_TAMPER_URL"))), 403, "body_mismatch")
                        assertRefused(unsigned.call(request(env("HMACSIG_E2E_ASGI_URL"))), 401, "missing_authorization")
                    }
                }
            }
        }
    }

    @Test
    fun `a signed POST verifies on the ASGI server (Python), exactly as sent`() =
        assertEcho(signed.call(post(env("HMACSIG_E2E_ASGI_URL"))), "POST", "/orders?id=7", BODY, "application/json")

    @Test
    fun `a signed GET keeps its query order on the ASGI server`() =
        assertEcho(signed.call(get(env("HMACSIG_E2E_ASGI_URL"))), "GET", "/quotes?b=2&a=1", ByteArray(0), "")

    @Test
    fun `a signed POST verifies on the Kotlin server`() =
        assertEcho(signed.call(post(env("HMACSIG_E2E_KOTLIN_URL"))), "POST", "/orders?id=7", BODY, "application/json")

    @Test
    fun `a signed POST verifies on the Node server (Express)`() =
        assertEcho(signed.call(post(env("HMACSIG_E2E_NODE_URL"))), "POST", "/orders?id=7", BODY, "application/json")

    @Test
    fun `a body changed in flight is refused as body_mismatch`() =
        assertRefused(signed.call(post(env("HMACSIG_E2E_TAMPER_URL"))), 403, "body_mismatch")

    @Test
    fun `a path changed in flight is refused as bad_signature`() =
        assertRefused(signed.call(get(env("HMACSIG_E2E_TAMPER_URL"))), 403, "bad_signature")

    @Test
    fun `an unsigned POST is refused as missing_authorization`() =
        assertRefused(unsigned.call(post(env("HMACSIG_E2E_ASGI_URL"))), 401, "missing_authorization")

    @Test
    fun `the OkHttp example verifies on the ASGI server`() {
        val answer = postOrder(env("HMACSIG_E2E_ASGI_URL"), env("HMACSIG_E2E_KEY_ID"), env("HMACSIG_E2E_SECRET"))
        assertEcho(answer, "POST", "/orders?id=7", """{"id":7}""".toByteArray(), "application/json; charset=utf-8")
    }
}
