package dev.hmacsig.okhttp

import dev.hmacsig.ContentDigest
import dev.hmacsig.Credentials
import dev.hmacsig.ErrorKind
import dev.hmacsig.Header
import dev.hmacsig.Policy
import dev.hmacsig.Scheme
import dev.hmacsig.Signer
import dev.hmacsig.Verifier
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.mockwebserver.MockResponse
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

// Redirects followed by OkHttp, against two real servers on loopback (two ports: two hosts to
// a client). The rules of HmacSigInterceptor's KDoc: same host, signed again; another host,
// no signature and its own Host (or signed for it, opted in); after leaving, never signed.

private const val KEY_ID = "client-1"
private const val SECRET = "okhttp-redirect-test-secret"
private val JSON = "application/json".toMediaType()
private val ORDER = """{"id":7,"qty":2}""".toByteArray()

/** The installations that see redirects: both roles (the recommended one), or network only. */
private enum class Installation { BOTH, NETWORK_ONLY }

private fun client(interceptor: HmacSigInterceptor, installation: Installation): OkHttpClient =
    OkHttpClient.Builder()
        .apply { if (installation == Installation.BOTH) addInterceptor(interceptor) }
        .addNetworkInterceptor(interceptor)
        .build()

/**
 * Two verifying servers, [a] and [b]. Either answers `/redirect/STATUS/a|b/REST`, whatever the
 * verdict, with STATUS and `Location` `/REST` on a or b; any other target as a
 * [VerifyingServer] does (200 and the key id, or the refusal).
 */
private class TwoHosts(verifier: Verifier) : AutoCloseable {
    val a = VerifyingServer(verifier, answer = ::redirect)
    val b = VerifyingServer(verifier, answer = ::redirect)

    /** `Host` as a client sends it to [b]. */
    val bHost: String get() = b.baseUrl.removePrefix("http://")

    private fun redirect(r: Received): MockResponse? {
        val (status, host, rest) = Regex("/redirect/(\\d{3})/([ab])(/.*)").matchEntire(r.target)?.destructured ?: return null
        val base = if (host == "a") a.baseUrl else b.baseUrl
        return MockResponse().setResponseCode(status.toInt()).setHeader("Location", base + rest)
    }

    override fun close() {
        a.close()
        b.close()
    }
}

/** Runs [block] with a signer for [scheme], a verifier for the same key and two hosts, closing them all. */
private fun <R> withHosts(scheme: Scheme, policy: Policy? = null, block: (Signer, TwoHosts) -> R): R =
    scheme.use {
        policy.use {
            Credentials(KEY_ID, SECRET).use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    Verifier.withKeys(scheme, mapOf(KEY_ID to SECRET), policy).use { verifier ->
                        TwoHosts(verifier).use { hosts -> block(signer, hosts) }
                    }
                }
            }
        }
    }

private fun OkHttpClient.call(request: Request): Pair<Int, String> = newCall(request).execute().use { it.code to it.body!!.string() }

private fun post(url: String): Request = Request.Builder().url(url).post(ORDER.toRequestBody(JSON)).build()

/** The names of the headers [signer] sets on a POST of [ORDER] that has none of them yet. */
private fun signatureHeaderNames(signer: Signer): List<String> =
    signer.sign("POST", "/orders", listOf(Header("Host", "127.0.0.1:1"), Header("Content-Type", "$JSON")), ORDER, null).headers.map { it.name }

class HmacSigInterceptorRedirectTest {
    @Test
    fun `same host - a 302 is signed again for the GET without body that OkHttp sends`() = withHosts(Scheme.apiAuth(digest = "sha256")) { signer, hosts ->
        for (installation in Installation.values()) {
            val http = client(HmacSigInterceptor(signer), installation)
            assertEquals(200 to KEY_ID, http.call(post("${hosts.a.baseUrl}/redirect/302/a/landed?x=1")), "$installation")
            assertEquals(KEY_ID, hosts.a.next().verdict.getOrThrow())
            val landed = hosts.a.next()
            assertEquals("GET" to "/landed?x=1", landed.method to landed.target)
            assertEquals(0, landed.body.size)
            assertEquals(KEY_ID, landed.verdict.getOrThrow())
        }
    }

    @Test
    fun `same host - a 307 keeps the POST and its body, signed again for the new target`() =
        withHosts(Scheme.rfc9421(contentDigest = ContentDigest.SHA256)) { signer, hosts ->
            for (installation in Installation.values()) {
                val http = client(HmacSigInterceptor(signer), installation)
                assertEquals(200 to KEY_ID, http.call(post("${hosts.a.baseUrl}/redirect/307/a/landed")), "$installation")
                assertEquals(KEY_ID, hosts.a.next().verdict.getOrThrow())
                val landed = hosts.a.next()
                assertEquals("POST" to "/landed", landed.method to landed.target)
                assertArrayEquals(ORDER, landed.body)
                assertEquals(KEY_ID, landed.verdict.getOrThrow())
            }
        }

    @Test
    fun `another host - a redirect goes without the signature headers and with that host's own Host`() {
        val schemes = listOf(
            { Scheme.apiAuth(digest = "sha256") } to null,
            { Scheme.timestamped() } to null,
            { Scheme.rfc9421(listOf("@method", "@target-uri"), contentDigest = ContentDigest.SHA256) } to null,
            { Scheme.awsSigv4("us-east-1", "execute-api", signBody = true) } to { Policy.awsSigv4() },
        )
        for ((scheme, policy) in schemes) {
            withHosts(scheme(), policy?.invoke()) { signer, hosts ->
                val names = signatureHeaderNames(signer)
                for (installation in Installation.values()) {
                    for (status in listOf(302, 307)) {
                        val context = "$signer, $installation, $status"
                        val http = client(HmacSigInterceptor(signer), installation)
                        assertEquals(401, http.call(post("${hosts.a.baseUrl}/redirect/$status/b/landed")).first, context)
                        val first = hosts.a.next()
                        assertEquals(KEY_ID, first.verdict.getOrThrow(), context)
                        assertTrue(names.all { first.headers[it] != null }, "$context: the first request had ${first.headers}")

                        val landed = hosts.b.next()
                        assertEquals("/landed", landed.target, context)
                        assertEquals(if (status == 307) "POST" else "GET", landed.method, context)
                        for (name in names) assertNull(landed.headers[name], "$context: $name reached the other host")
                        assertEquals(hosts.bHost, landed.headers["Host"], context)
                        assertTrue(landed.verdict.isFailure, context)
                    }
                }
            }
        }
    }

    @Test
    fun `another host - with resignCrossHostRedirects the redirect is signed for that host`() =
        withHosts(Scheme.timestamped()) { signer, hosts ->
            for (installation in Installation.values()) {
                val http = client(HmacSigInterceptor(signer, resignCrossHostRedirects = true), installation)
                assertEquals(200 to KEY_ID, http.call(post("${hosts.a.baseUrl}/redirect/307/b/landed")), "$installation")
                assertEquals(KEY_ID, hosts.a.next().verdict.getOrThrow())
                val landed = hosts.b.next()
                assertEquals(hosts.bHost, landed.headers["Host"])
                assertArrayEquals(ORDER, landed.body)
                assertEquals(KEY_ID, landed.verdict.getOrThrow())
            }
        }

    @Test
    fun `once a redirect left the host, a redirect back to it is not signed, unless opted in`() =
        withHosts(Scheme.apiAuth(digest = "sha256")) { signer, hosts ->
            val bounce = "${hosts.a.baseUrl}/redirect/302/b/redirect/307/a/landed"
            for (installation in Installation.values()) {
                val http = client(HmacSigInterceptor(signer), installation)
                assertEquals(401, http.call(post(bounce)).first, "$installation")
                assertEquals(KEY_ID, hosts.a.next().verdict.getOrThrow())
                assertEquals(ErrorKind.MISSING_AUTHORIZATION, hosts.b.next().refusal.kind)
                val back = hosts.a.next()
                assertEquals("/landed", back.target)
                assertEquals(ErrorKind.MISSING_AUTHORIZATION, back.refusal.kind)

                val optedIn = client(HmacSigInterceptor(signer, resignCrossHostRedirects = true), installation)
                assertEquals(200 to KEY_ID, optedIn.call(post(bounce)), "$installation")
                assertEquals(KEY_ID, hosts.a.next().verdict.getOrThrow())
                assertEquals(KEY_ID, hosts.b.next().verdict.getOrThrow())
                assertEquals(KEY_ID, hosts.a.next().verdict.getOrThrow())
            }
        }

    @Test
    fun `as an application interceptor alone a redirect is not signed again, but gets the new host's Host`() =
        withHosts(Scheme.apiAuth(digest = "sha256")) { signer, hosts ->
            // OkHttp follows redirects after the application interceptors: this one sees none.
            val http = OkHttpClient.Builder().addInterceptor(HmacSigInterceptor(signer)).build()
            assertEquals(403, http.call(post("${hosts.a.baseUrl}/redirect/307/a/landed")).first)
            assertEquals(KEY_ID, hosts.a.next().verdict.getOrThrow())
            assertEquals(ErrorKind.BAD_SIGNATURE, hosts.a.next().refusal.kind)

            // The signing's Host is left for OkHttp to set (the same value), so OkHttp sets the
            // new host's on a redirect; OkHttp itself drops Authorization for another host.
            assertEquals(401, http.call(post("${hosts.a.baseUrl}/redirect/307/b/landed")).first)
            assertEquals(KEY_ID, hosts.a.next().verdict.getOrThrow())
            val landed = hosts.b.next()
            assertEquals(hosts.bHost, landed.headers["Host"])
            assertNull(landed.headers["Authorization"])
        }
}
