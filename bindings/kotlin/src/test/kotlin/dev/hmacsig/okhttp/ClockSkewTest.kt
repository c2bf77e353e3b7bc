package dev.hmacsig.okhttp

import dev.hmacsig.Credentials
import dev.hmacsig.Header
import dev.hmacsig.HmacSigException
import dev.hmacsig.Scheme
import dev.hmacsig.Signer
import dev.hmacsig.Verifier
import dev.hmacsig.httpStatus
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.mockwebserver.Dispatcher
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.mockwebserver.RecordedRequest
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.net.InetAddress
import java.text.SimpleDateFormat
import java.util.Collections
import java.util.Date
import java.util.Locale
import java.util.TimeZone

private const val AHEAD = 3600L
private const val KEY_ID = "client-1"
private const val SECRET = "secret"

/** An HTTP `Date` for Unix seconds [seconds]. */
private fun httpDate(seconds: Long): String =
    SimpleDateFormat("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).apply { timeZone = TimeZone.getTimeZone("GMT") }.format(Date(seconds * 1000))

/**
 * A server whose clock is [AHEAD] seconds ahead of this machine's: it verifies api-auth (sha256)
 * at its time and refuses with `<kind>: refused` and a `Date` at its time. [seen] the statuses
 * it answered.
 */
private class SkewedServer(verifier: Verifier) : AutoCloseable {
    private val server = MockWebServer()
    val seen: MutableList<Int> = Collections.synchronizedList(mutableListOf())

    init {
        server.dispatcher = object : Dispatcher() {
            override fun dispatch(request: RecordedRequest): MockResponse {
                val now = System.currentTimeMillis() / 1000 + AHEAD
                val headers = request.headers.map { (name, value) -> Header(name, value) }
                val (status, text) = try {
                    200 to verifier.verify(request.method!!, request.path!!, headers, request.body.readByteArray(), now)
                } catch (e: HmacSigException) {
                    httpStatus(e) to "${e.kind.code}: refused"
                }
                seen.add(status)
                return MockResponse().setResponseCode(status).setHeader("Date", httpDate(now)).setBody(text)
            }
        }
        server.start(InetAddress.getByName("127.0.0.1"), 0)
    }

    val url: String get() = "http://127.0.0.1:${server.port}/orders"

    override fun close() = server.shutdown()
}

private fun <R> skewed(secret: String = SECRET, block: (Signer, SkewedServer) -> R): R =
    Scheme.apiAuth(digest = "sha256").use { scheme ->
        Credentials(KEY_ID, secret).use { credentials ->
            Signer(scheme, credentials).use { signer ->
                Verifier.withKeys(scheme, mapOf(KEY_ID to SECRET)).use { verifier ->
                    SkewedServer(verifier).use { server -> block(signer, server) }
                }
            }
        }
    }

private fun OkHttpClient.post(url: String, body: String): Pair<Int, String> =
    newCall(Request.Builder().url(url).post(body.toRequestBody("application/json".toMediaType())).build())
        .execute().use { it.code to it.body!!.string() }

class ClockSkewTest {
    @Test
    fun `learns the offset from a stale refusal, retries once, and signs later calls at the corrected time`() = skewed { signer, server ->
        val client = OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer, correctClockSkew = true)).build()
        assertEquals(200 to KEY_ID, client.post(server.url, """{"id":1}"""))
        assertEquals(listOf(403, 200), server.seen.toList(), "one refusal, one retry")
        server.seen.clear()
        assertEquals(200 to KEY_ID, client.post(server.url, """{"id":2}"""))
        assertEquals(listOf(200), server.seen.toList(), "signed at the corrected time: one request")
    }

    @Test
    fun `installed as both application and network interceptor, the call is retried once`() = skewed { signer, server ->
        val signing = HmacSigInterceptor(signer, correctClockSkew = true)
        val client = OkHttpClient.Builder().addInterceptor(signing).addNetworkInterceptor(signing).build()
        assertEquals(200 to KEY_ID, client.post(server.url, """{"id":1}"""))
        assertEquals(listOf(403, 200), server.seen.toList(), "the network role leaves the learning to the application role")
    }

    @Test
    fun `is off by default`() = skewed { signer, server ->
        val client = OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer)).build()
        assertEquals(403 to "stale: refused", client.post(server.url, "{}"))
        assertEquals(listOf(403), server.seen.toList())
    }

    @Test
    fun `a refusal for another reason is not retried`() = skewed(secret = "wrong") { signer, server ->
        val client = OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer, correctClockSkew = true)).build()
        val (status, body) = client.post(server.url, "{}")
        assertEquals(403, status)
        assertEquals(true, !body.startsWith("stale:") && !body.startsWith("future:"), body)
        assertEquals(listOf(403), server.seen.toList())
    }

    @Test
    fun `as a network interceptor the offset is learnt and the next call is corrected`() = skewed { signer, server ->
        val client = OkHttpClient.Builder().addNetworkInterceptor(HmacSigInterceptor(signer, correctClockSkew = true)).build()
        assertEquals(403 to "stale: refused", client.post(server.url, "{}"), "a network interceptor proceeds once")
        assertEquals(200 to KEY_ID, client.post(server.url, "{}"))
        assertEquals(listOf(403, 200), server.seen.toList())
    }
}
