package dev.hmacsig.okhttp

import dev.hmacsig.ContentDigest
import dev.hmacsig.Credentials
import dev.hmacsig.ErrorKind
import dev.hmacsig.HmacSigException
import dev.hmacsig.Policy
import dev.hmacsig.Scheme
import dev.hmacsig.SignatureType
import dev.hmacsig.Signer
import dev.hmacsig.Verifier
import okhttp3.Call
import okhttp3.Callback
import okhttp3.Interceptor
import okhttp3.MediaType
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import okio.Buffer
import okio.BufferedSink
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.IOException
import java.security.MessageDigest
import java.util.Base64
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

private const val KEY_ID = "client-1"
private const val SECRET = "okhttp-interceptor-test-secret"
private val JSON = "application/json".toMediaType()
private val ORDER = """{"id":7,"note":"é"}""".toByteArray()

/** Unix seconds of 2023-11-14T22:13:20Z, for the fixed-clock tests. */
private const val NOW = 1_700_000_000L

private fun client(interceptor: HmacSigInterceptor, network: List<Interceptor> = emptyList(), asNetworkInterceptor: Boolean = false): OkHttpClient =
    OkHttpClient.Builder()
        .apply { if (asNetworkInterceptor) addNetworkInterceptor(interceptor) else addInterceptor(interceptor) }
        .apply { network.forEach { addNetworkInterceptor(it) } }
        .build()

/** Runs [block] with a signer for [scheme] and a verifier for the same key, closing all three. */
private fun <R> withKey(scheme: Scheme, policy: Policy? = null, block: (Signer, Verifier) -> R): R =
    scheme.use {
        policy.use {
            Credentials(KEY_ID, SECRET).use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    Verifier.withKeys(scheme, mapOf(KEY_ID to SECRET), policy).use { verifier -> block(signer, verifier) }
                }
            }
        }
    }

private fun OkHttpClient.call(request: Request): Pair<Int, String> = newCall(request).execute().use { it.code to it.body!!.string() }

private fun post(url: String, body: ByteArray = ORDER): Request = Request.Builder().url(url).post(body.toRequestBody(JSON)).build()

private fun get(url: String): Request = Request.Builder().url(url).build()

private fun sha256(bytes: ByteArray): ByteArray = MessageDigest.getInstance("SHA-256").digest(bytes)

/** HMAC-SHA256 of [data] with [SECRET], base64: the signature timestamped and rfc9421 (hmac-sha256) send. */
private fun hmacSha256Base64(data: ByteArray): String {
    val mac = Mac.getInstance("HmacSHA256").apply { init(SecretKeySpec(SECRET.toByteArray(), "HmacSHA256")) }
    return Base64.getEncoder().encodeToString(mac.doFinal(data))
}

/** A network interceptor that changes the request after it was signed, as a broken proxy would. */
private fun tamper(change: (Request) -> Request) = Interceptor { chain -> chain.proceed(change(chain.request())) }

private fun flipLastBodyByte(request: Request): Request {
    val bytes = Buffer().also { request.body!!.writeTo(it) }.readByteArray()
    bytes[bytes.size - 1] = (bytes.last().toInt() xor 1).toByte()
    return request.newBuilder().method(request.method, bytes.toRequestBody(request.body!!.contentType())).build()
}

class HmacSigInterceptorSchemesTest {
    @Test
    fun `api-auth - a POST and a GET verify on the server, exactly as sent`() = withKey(Scheme.apiAuth(digest = "sha256")) { signer, verifier ->
        VerifyingServer(verifier, NOW).use { server ->
            val http = client(HmacSigInterceptor(signer, clock = { NOW }))
            assertEquals(200 to KEY_ID, http.call(post("${server.baseUrl}/orders?id=7")))
            val r = server.next()
            assertEquals("POST", r.method)
            assertEquals("/orders?id=7", r.target)
            assertArrayEquals(ORDER, r.body)
            assertEquals("application/json", r.headers["Content-Type"])
            assertEquals("${ORDER.size}", r.headers["Content-Length"])
            assertEquals("Tue, 14 Nov 2023 22:13:20 GMT", r.headers["Date"])
            assertEquals(Base64.getEncoder().encodeToString(sha256(ORDER)), r.headers["X-Authorization-Content-SHA256"])
            assertTrue(r.headers["Authorization"]!!.startsWith("APIAuth-HMAC-SHA256 $KEY_ID:"), r.headers.toString())
            assertEquals(KEY_ID, r.verdict.getOrThrow())

            assertEquals(200 to KEY_ID, http.call(get("${server.baseUrl}/orders?b=2&a=1")))
            assertEquals("/orders?b=2&a=1", server.next().target)
        }
    }

    @Test
    fun `path-body-hex - a POST and a GET verify`() = withKey(Scheme.pathBodyHex(digest = "sha256")) { signer, verifier ->
        VerifyingServer(verifier).use { server ->
            val http = client(HmacSigInterceptor(signer))
            assertEquals(200 to KEY_ID, http.call(post("${server.baseUrl}/orders?id=7")))
            assertTrue(server.next().headers["Authorization"]!!.matches(Regex("$KEY_ID:[0-9a-f]{64}")))
            assertEquals(200 to KEY_ID, http.call(get("${server.baseUrl}/quotes?limit=5&after=x")))
            assertEquals("/quotes?limit=5&after=x", server.next().target)
        }
    }

    @Test
    fun `timestamped - a POST and a GET verify on a server with the default policy`() =
        withKey(Scheme.timestamped(), Policy.timestamped()) { signer, verifier ->
            VerifyingServer(verifier, NOW).use { server ->
                val http = client(HmacSigInterceptor(signer, clock = { NOW }))
                assertEquals(200 to KEY_ID, http.call(post("${server.baseUrl}/orders?id=7")))
                val r = server.next()
                assertEquals("$NOW", r.headers["X-Request-Timestamp"])
                assertEquals(KEY_ID, r.headers["X-Request-Key-Id"])
                assertEquals(200 to KEY_ID, http.call(get("${server.baseUrl}/orders?b=2&a=1")))
                assertEquals("/orders?b=2&a=1", server.next().target)
            }
        }

    @Test
    fun `aws-sigv4 - header signature covers Host, Content-Type and Content-Length as sent`() =
        withKey(Scheme.awsSigv4("us-east-1", "execute-api", signBody = true), Policy.awsSigv4()) { signer, verifier ->
            VerifyingServer(verifier, NOW).use { server ->
                val http = client(HmacSigInterceptor(signer, clock = { NOW }))
                assertEquals(200 to KEY_ID, http.call(post("${server.baseUrl}/orders?id=7")))
                val r = server.next()
                assertEquals("127.0.0.1:${server.baseUrl.substringAfterLast(':')}", r.headers["Host"])
                val auth = r.headers["Authorization"]!!
                assertTrue(auth.startsWith("AWS4-HMAC-SHA256 Credential=$KEY_ID/20231114/us-east-1/execute-api/aws4_request, "), auth)
                assertTrue("SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date," in auth, auth)
                assertEquals(200 to KEY_ID, http.call(get("${server.baseUrl}/orders?b=2&a=1")))
                assertEquals("/orders?b=2&a=1", server.next().target)
            }
        }

    @Test
    fun `aws-sigv4 - a presigned scheme moves the signature into the query, which OkHttp sends as signed`() =
        withKey(Scheme.awsSigv4("us-east-1", "s3", normalize = false, doubleUriEncode = false, signatureType = SignatureType.QUERY)) { signer, verifier ->
            VerifyingServer(verifier, NOW).use { server ->
                val http = client(HmacSigInterceptor(signer, clock = { NOW }))
                assertEquals(200 to KEY_ID, http.call(get("${server.baseUrl}/bucket/key.txt?b=2&a=1")))
                val r = server.next()
                assertTrue(r.target.startsWith("/bucket/key.txt?b=2&a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=$KEY_ID%2F20231114%2F"), r.target)
                assertTrue(Regex("&X-Amz-Signature=[0-9a-f]{64}$").containsMatchIn(r.target), r.target)
                assertNull(r.headers["Authorization"])
            }
        }

    @Test
    fun `rfc9421 with Content-Digest - a POST and a GET verify on a server with the default policy`() {
        val scheme = Scheme.rfc9421(listOf("@method", "@target-uri", "content-type"), contentDigest = ContentDigest.SHA256)
        withKey(scheme, Policy.rfc9421()) { signer, verifier ->
            VerifyingServer(verifier, NOW).use { server ->
                val http = client(HmacSigInterceptor(signer, clock = { NOW }))
                assertEquals(200 to KEY_ID, http.call(post("${server.baseUrl}/orders?id=7")))
                val r = server.next()
                assertEquals("sha-256=:${Base64.getEncoder().encodeToString(sha256(ORDER))}:", r.headers["Content-Digest"])
                assertEquals(
                    """sig1=("@method" "@target-uri" "content-type" "content-digest");created=$NOW;keyid="$KEY_ID"""",
                    r.headers["Signature-Input"],
                )
            }
        }
        // The default components (@method, @authority, @target-uri) for a GET with a query.
        withKey(Scheme.rfc9421(contentDigest = ContentDigest.SHA256)) { signer, verifier ->
            VerifyingServer(verifier).use { server ->
                assertEquals(200 to KEY_ID, client(HmacSigInterceptor(signer)).call(get("${server.baseUrl}/orders?b=2&a=1")))
                assertEquals("/orders?b=2&a=1", server.next().target)
            }
        }
    }
}

/**
 * The rule every client integration follows: it signs the origin-form target and the `Host`
 * it sends, so timestamped and rfc9421 cover `https://` + Host + target even over plain
 * http, which is the URL a server with the default policy rebuilds.
 */
class HmacSigInterceptorTargetRuleTest {
    @Test
    fun `timestamped over plain http signs https + Host + target, and a default Verifier accepts it`() =
        withKey(Scheme.timestamped()) { signer, verifier ->
            VerifyingServer(verifier, NOW).use { server ->
                assertTrue(server.baseUrl.startsWith("http://"))
                assertEquals(200 to KEY_ID, client(HmacSigInterceptor(signer, clock = { NOW })).call(post("${server.baseUrl}/orders?b=2&a=1")))
                val r = server.next()
                assertEquals(KEY_ID, r.verdict.getOrThrow())
                assertEquals("/orders?b=2&a=1", r.target)
                val host = r.headers["Host"]!!
                assertEquals(server.baseUrl.removePrefix("http://"), host)
                // The string to sign, rebuilt independently: METHOD URL TIMESTAMP BODY.
                val stringToSign = "POST" + "https://$host/orders?b=2&a=1" + "$NOW"
                assertEquals(hmacSha256Base64(stringToSign.toByteArray() + ORDER), r.headers["X-Request-Signature"])
            }
        }

    @Test
    fun `rfc9421 over plain http signs https + Host + target, and a default Verifier accepts it`() =
        withKey(Scheme.rfc9421(listOf("@method", "@target-uri", "@scheme", "@authority"))) { signer, verifier ->
            VerifyingServer(verifier, NOW).use { server ->
                assertEquals(200 to KEY_ID, client(HmacSigInterceptor(signer, clock = { NOW })).call(get("${server.baseUrl}/orders?b=2&a=1")))
                val r = server.next()
                assertEquals(KEY_ID, r.verdict.getOrThrow())
                assertEquals("/orders?b=2&a=1", r.target)
                val host = r.headers["Host"]!!
                assertEquals(server.baseUrl.removePrefix("http://"), host)
                val params = """("@method" "@target-uri" "@scheme" "@authority");created=$NOW;keyid="$KEY_ID""""
                assertEquals("sig1=$params", r.headers["Signature-Input"])
                // The signature base (RFC 9421 section 2.5), rebuilt independently.
                val base = listOf(
                    "\"@method\": GET",
                    "\"@target-uri\": https://$host/orders?b=2&a=1",
                    "\"@scheme\": https",
                    "\"@authority\": $host",
                    "\"@signature-params\": $params",
                ).joinToString("\n")
                assertEquals("sig1=:${hmacSha256Base64(base.toByteArray())}:", r.headers["Signature"])
            }
        }
}

class HmacSigInterceptorWireTest {
    @Test
    fun `a String body whose media type has no charset verifies with the charset OkHttp adds`() {
        val scheme = Scheme.rfc9421(listOf("@method", "@target-uri", "content-type"), contentDigest = ContentDigest.SHA256)
        withKey(scheme) { signer, verifier ->
            VerifyingServer(verifier).use { server ->
                val request = Request.Builder().url("${server.baseUrl}/notes").post("""{"text":"héllo"}""".toRequestBody(JSON)).build()
                assertEquals(200 to KEY_ID, client(HmacSigInterceptor(signer)).call(request))
                val r = server.next()
                assertEquals("application/json; charset=utf-8", r.headers["Content-Type"])
                assertArrayEquals("""{"text":"héllo"}""".toByteArray(Charsets.UTF_8), r.body)
            }
        }
    }

    @Test
    fun `the Content-Type signed is the body's, which OkHttp sends over the request's own`() =
        withKey(Scheme.apiAuth(digest = "sha256")) { signer, verifier ->
            VerifyingServer(verifier).use { server ->
                val http = client(HmacSigInterceptor(signer))
                val overridden = Request.Builder().url("${server.baseUrl}/orders").header("Content-Type", "text/plain").post(ORDER.toRequestBody(JSON)).build()
                assertEquals(200 to KEY_ID, http.call(overridden))
                assertEquals("application/json", server.next().headers["Content-Type"])
                // A body with no media type: the request's header is sent, and signed.
                val untyped = Request.Builder().url("${server.baseUrl}/orders").header("Content-Type", "text/csv").put("a,b".toByteArray().toRequestBody(null)).build()
                assertEquals(200 to KEY_ID, http.call(untyped))
                assertEquals("text/csv", server.next().headers["Content-Type"])
            }
        }

    @Test
    fun `query order, repeats, encoding and an empty query are kept`() = withKey(Scheme.pathBodyHex()) { signer, verifier ->
        VerifyingServer(verifier).use { server ->
            val http = client(HmacSigInterceptor(signer))
            for (target in listOf("/search?b=2&a=1&a=0&q=x%20y+z&e=&flag", "/search?", "/a%2Fb/c?z=%E2%9C%93")) {
                assertEquals(200 to KEY_ID, http.call(get("${server.baseUrl}$target")), target)
                assertEquals(target, server.next().target)
            }
        }
    }

    @Test
    fun `a one-shot body is read once and sent as signed`() = withKey(Scheme.apiAuth(digest = "sha256")) { signer, verifier ->
        VerifyingServer(verifier).use { server ->
            var writes = 0
            val oneShot = object : RequestBody() {
                override fun contentType(): MediaType = JSON
                override fun isOneShot() = true
                override fun writeTo(sink: BufferedSink) {
                    check(++writes == 1) { "a one-shot body written twice" }
                    sink.write(ORDER)
                }
            }
            assertEquals(200 to KEY_ID, client(HmacSigInterceptor(signer)).call(Request.Builder().url("${server.baseUrl}/upload").post(oneShot).build()))
            assertArrayEquals(ORDER, server.next().body)
            assertEquals(1, writes)
        }
    }

    @Test
    fun `sign() gives the request as it will be sent`() = withKey(Scheme.apiAuth(digest = "sha256")) { signer, _ ->
        val signed = HmacSigInterceptor(signer, clock = { NOW }).sign(post("http://example.com/orders?id=7"))
        assertEquals("example.com", signed.header("Host"))
        assertEquals("application/json", signed.header("Content-Type"))
        assertEquals("${ORDER.size}", signed.header("Content-Length"))
        assertEquals("Tue, 14 Nov 2023 22:13:20 GMT", signed.header("Date"))
        assertEquals(1, signed.headers.values("Authorization").size)
        assertArrayEquals(ORDER, Buffer().also { signed.body!!.writeTo(it) }.readByteArray())
        // IPv6 and non-default ports, as OkHttp writes Host.
        assertEquals("[::1]:8443", HmacSigInterceptor(signer).sign(get("https://[::1]:8443/")).header("Host"))
        assertEquals("example.com", HmacSigInterceptor(signer).sign(get("https://example.com:443/")).header("Host"))
    }
}

class HmacSigInterceptorRefusalTest {
    @Test
    fun `a body changed after signing is refused as body_mismatch`() = withKey(Scheme.apiAuth(digest = "sha256")) { signer, verifier ->
        VerifyingServer(verifier).use { server ->
            val http = client(HmacSigInterceptor(signer), network = listOf(tamper(::flipLastBodyByte)))
            val (status, text) = http.call(post("${server.baseUrl}/orders"))
            assertEquals(403, status)
            assertEquals("body_mismatch: the body does not match what was signed", text)
            assertEquals(ErrorKind.BODY_MISMATCH, server.next().refusal.kind)
        }
    }

    @Test
    fun `a path changed after signing is refused as bad_signature`() = withKey(Scheme.apiAuth(digest = "sha256")) { signer, verifier ->
        VerifyingServer(verifier).use { server ->
            val changePath = tamper { it.newBuilder().url(it.url.newBuilder().encodedPath(it.url.encodedPath + "x").build()).build() }
            val http = client(HmacSigInterceptor(signer), network = listOf(changePath))
            // The client reads the kind and nothing more; the server has the string to sign.
            assertEquals(403 to "bad_signature: the signature does not match", http.call(post("${server.baseUrl}/orders")))
            val refusal = server.next().refusal
            assertEquals(ErrorKind.BAD_SIGNATURE, refusal.kind)
            assertTrue(refusal.stringToSign!!.contains(",/ordersx,"), refusal.stringToSign)
        }
    }

    @Test
    fun `rfc9421 - a body changed after signing is refused as body_mismatch`() =
        withKey(Scheme.rfc9421(contentDigest = ContentDigest.SHA512)) { signer, verifier ->
            VerifyingServer(verifier).use { server ->
                val http = client(HmacSigInterceptor(signer), network = listOf(tamper(::flipLastBodyByte)))
                assertEquals(403, http.call(post("${server.baseUrl}/orders")).first)
                assertEquals(ErrorKind.BODY_MISMATCH, server.next().refusal.kind)
            }
        }

    @Test
    fun `an unsigned request is refused as missing_authorization`() = withKey(Scheme.apiAuth(digest = "sha256")) { _, verifier ->
        VerifyingServer(verifier).use { server ->
            val (status, text) = OkHttpClient().call(post("${server.baseUrl}/orders"))
            assertEquals(401, status)
            assertEquals("missing_authorization: the request carries no credentials", text)
        }
    }

    @Test
    fun `a request the core refuses to sign fails the call with a typed IOException`() {
        Scheme.pathBodyHex().use { scheme ->
            Credentials("not:allowed", SECRET).use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    // Its server would verify anything that arrived; nothing should.
                    Verifier.withKeys(scheme, mapOf(KEY_ID to SECRET)).use { verifier ->
                        VerifyingServer(verifier).use { server ->
                            val http = client(HmacSigInterceptor(signer))
                            val sync = assertThrows<HmacSigIOException> { http.call(get("${server.baseUrl}/a")) }
                            assertEquals(ErrorKind.INVALID_REQUEST, sync.kind)
                            assertSame(sync.error, sync.cause)
                            assertTrue("cannot contain ':'" in sync.message!!, sync.message)

                            // Asynchronous calls get it in onFailure (OkHttp passes only IOExceptions there).
                            val failure = CompletableFuture<IOException>()
                            http.newCall(get("${server.baseUrl}/a")).enqueue(object : Callback {
                                override fun onFailure(call: Call, e: IOException) {
                                    failure.complete(e)
                                }

                                override fun onResponse(call: Call, response: Response) {
                                    response.close()
                                    failure.completeExceptionally(AssertionError("got a response"))
                                }
                            })
                            val async = failure.get(10, TimeUnit.SECONDS)
                            assertTrue(async is HmacSigIOException, async.toString())
                            assertEquals(ErrorKind.INVALID_REQUEST, (async as HmacSigIOException).error.kind)
                            assertEquals(0, server.requestCount)
                        }
                    }
                }
            }
        }
    }

    @Test
    fun `a duplex body cannot be signed`() = withKey(Scheme.apiAuth()) { signer, _ ->
        val duplex = object : RequestBody() {
            override fun contentType(): MediaType = JSON
            override fun isDuplex() = true
            override fun writeTo(sink: BufferedSink) = throw AssertionError("must not be read")
        }
        val e = assertThrows<HmacSigException> { HmacSigInterceptor(signer).sign(Request.Builder().url("http://example.com/").post(duplex).build()) }
        assertEquals(ErrorKind.UNSUPPORTED, e.kind)
    }
}
