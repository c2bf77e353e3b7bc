package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.ByteArrayInputStream
import java.io.InputStream

// kong-hmac: tests/vectors/kong-hmac/kong-spec-cases.json, cases kong-spec/14-get/sign and
// kong-spec/14-get (Kong's plugin test "should pass with GET").
private const val KONG_NOW = 1_700_000_000L
private const val KONG_DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
private const val KONG_SIGNATURE = "1b3GnE0+rwUdVXmi1pXSHWpV9/o="

// hawk: tests/vectors/hawk/readme-examples.json, case header-post-with-payload (hawk's API.md).
private const val HAWK_ID = "dh37fgj492je"
private const val HAWK_KEY = "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn"
private const val HAWK_TS = 1_353_832_234L
private const val HAWK_URL = "http://example.com:8000/resource/1?b=1&a=2"
private val HAWK_BODY = "Thank you for flying Hawk".toByteArray()
private const val HAWK_AUTHORIZATION = "Hawk id=\"dh37fgj492je\", ts=\"1353832234\", nonce=\"j4h3g2\", " +
    "hash=\"Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=\", ext=\"some-app-ext-data\", " +
    "mac=\"aSe1DERmZuRl3pI36/9BdZmnErTw3sNzOOAUlfeKjVw=\""

private fun failure(block: () -> Unit): HmacSigException = assertThrows<HmacSigException> { block() }

private fun <R> hawkSigner(scheme: Scheme, block: (Signer) -> R): R =
    scheme.use { s -> Credentials(HAWK_ID, HAWK_KEY).use { c -> Signer(s, c).use(block) } }

class KongHmacAndHawkTest {
    @Test
    fun `kong-hmac signs Kong's GET exactly, and verifies it`() {
        val headers = headersOf("Host" to "hmacauth.test", "date" to KONG_DATE)
        Scheme.kongHmac(algorithm = "hmac-sha1", headers = listOf("date")).use { scheme ->
            assertEquals("kong-hmac", scheme.name)
            Credentials("bob", "secret").use { credentials ->
                val signed = Signer(scheme, credentials).use { it.sign("GET", "/request", headers, now = KONG_NOW) }
                assertEquals(
                    listOf(
                        Header(
                            "Authorization",
                            "hmac username=\"bob\", algorithm=\"hmac-sha1\", headers=\"date\", signature=\"$KONG_SIGNATURE\"",
                        ),
                    ),
                    signed.headers,
                )
                assertEquals("date: $KONG_DATE", signed.stringToSign.toString(Charsets.UTF_8))
                assertNull(signed.url)
            }
        }
        // Kong's own header (no spaces after the commas), verified with the default scheme.
        val sent = Request(
            "GET",
            "/request",
            headers + Header("authorization", "hmac username=\"bob\",algorithm=\"hmac-sha1\",headers=\"date\",signature=\"$KONG_SIGNATURE\""),
            ByteArray(0),
        )
        Scheme.kongHmac().use { scheme ->
            Credentials("bob", "secret").use { credentials ->
                Policy.kongHmac(clockSkew = 3000).use { policy ->
                    assertEquals("bob", verifyRequest(scheme, credentials, sent, policy, KONG_NOW))
                    // Tampered: the date it signed changed by a second.
                    val tampered = Request(
                        sent.method,
                        sent.target,
                        sent.headers.map { if (it.name == "date") Header("date", "Tue, 14 Nov 2023 22:13:21 GMT") else it },
                        sent.body,
                    )
                    assertEquals(ErrorKind.BAD_SIGNATURE, failure { verifyRequest(scheme, credentials, tampered, policy, KONG_NOW) }.kind)
                    // Kong's default skew (300 s) refuses it an hour later.
                    assertEquals(ErrorKind.STALE, failure { verifyRequest(scheme, credentials, sent, now = KONG_NOW + 3600) }.kind)
                }
                // An algorithm the policy does not accept.
                Policy.kongHmac(clockSkew = 3000, algorithms = listOf("hmac-sha256")).use { policy ->
                    assertEquals(ErrorKind.DIGEST_NOT_ALLOWED, failure { verifyRequest(scheme, credentials, sent, policy, KONG_NOW) }.kind)
                }
            }
        }
    }

    @Test
    fun `kong-hmac signs a streamed body from its SHA-256 digest, byte for byte`() {
        val body = ByteArray(100_000) { (it * 7).toByte() }
        val headers = headersOf("Host" to "api.example.com", "Content-Type" to "application/octet-stream")
        Scheme.kongHmac(headers = listOf("date", "@request-target", "digest"), digest = true).use { scheme ->
            Credentials("bob", "secret").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val expected = signer.sign("PUT", "/upload", headers, body, KONG_NOW)
                    assertEquals(listOf("Date", "Digest", "Authorization"), expected.headers.map { it.name })
                    val streamed = signer.signStream("PUT", "/upload", headers, ByteArrayInputStream(body), KONG_NOW, chunkSize = 4096)
                    assertEquals(expected.headers, streamed.signed.headers)
                    assertEquals(body.size.toLong(), streamed.bodyDigest.length)
                    assertEquals(ContentDigest.SHA256, signer.bodyHasher().use { it.algorithm })
                    // And the server checks the Digest against the body.
                    val sent = Request("PUT", "/upload", headers + expected.headers, body)
                    Policy.kongHmac(validateRequestBody = true).use { policy ->
                        assertEquals("bob", verifyRequest(scheme, credentials, sent, policy, KONG_NOW))
                        val changed = Request("PUT", "/upload", sent.headers, body.copyOf().also { it[0] = 1 })
                        assertEquals(ErrorKind.BODY_MISMATCH, failure { verifyRequest(scheme, credentials, changed, policy, KONG_NOW) }.kind)
                    }
                }
            }
        }
    }

    @Test
    fun `hawk signs API_md's POST exactly, and verifies it`() {
        val headers = headersOf("Content-Type" to "text/plain")
        val signed = hawkSigner(Scheme.hawk(nonce = "j4h3g2", ext = "some-app-ext-data")) { signer ->
            assertEquals(HAWK_ID, signer.keyId)
            signer.sign("POST", HAWK_URL, headers, HAWK_BODY, HAWK_TS)
        }
        assertEquals(listOf(Header("Authorization", HAWK_AUTHORIZATION)), signed.headers)
        assertEquals(
            "hawk.1.header\n1353832234\nj4h3g2\nPOST\n/resource/1?b=1&a=2\nexample.com\n8000\n" +
                "Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=\nsome-app-ext-data\n",
            signed.stringToSign.toString(Charsets.UTF_8),
        )
        assertNull(signed.url)
        // The same request in origin form, host and port from Host.
        val sent = Request("POST", "/resource/1?b=1&a=2", headersOf("Host" to "example.com:8000") + headers + signed.headers, HAWK_BODY)
        Scheme.hawk().use { scheme ->
            assertEquals("hawk", scheme.name)
            Credentials(HAWK_ID, HAWK_KEY).use { credentials ->
                assertEquals(HAWK_ID, verifyRequest(scheme, credentials, sent, now = HAWK_TS))
                assertEquals(HAWK_ID, extractKeyId(scheme, sent))
                val changed = Request(sent.method, sent.target, sent.headers, "Thank you for flying Hawk!".toByteArray())
                assertEquals(ErrorKind.BODY_MISMATCH, failure { verifyRequest(scheme, credentials, changed, now = HAWK_TS) }.kind)
                assertEquals(ErrorKind.STALE, failure { verifyRequest(scheme, credentials, sent, now = HAWK_TS + 61) }.kind)
                // Behind a proxy: the policy names the host and port the client signed.
                val proxied = Request(sent.method, sent.target, sent.headers.map { if (it.name == "Host") Header("Host", "internal:9000") else it }, sent.body)
                assertEquals(ErrorKind.BAD_SIGNATURE, failure { verifyRequest(scheme, credentials, proxied, now = HAWK_TS) }.kind)
                Policy.hawk(host = "example.com", port = 8000).use { policy ->
                    assertEquals(HAWK_ID, verifyRequest(scheme, credentials, proxied, policy, HAWK_TS))
                }
                // A request without hash= is accepted unless the policy requires one.
                val unhashed = hawkSigner(Scheme.hawk(payloadHash = false)) { it.sign("POST", HAWK_URL, headers, HAWK_BODY, HAWK_TS) }
                assertTrue("hash=" !in unhashed.headers.single().value)
                val bare = Request("POST", HAWK_URL, headers + unhashed.headers, HAWK_BODY)
                assertEquals(HAWK_ID, verifyRequest(scheme, credentials, bare, now = HAWK_TS))
                Policy.hawk(requirePayloadHash = true).use { policy ->
                    failure { verifyRequest(scheme, credentials, bare, policy, HAWK_TS) }
                }
            }
        }
    }

    @Test
    fun `a hawk bewit URL verifies with a GET, and is stale at its expiry`() {
        val signed = hawkSigner(Scheme.hawk(signatureType = SignatureType.QUERY, ttl = 120)) { signer ->
            signer.sign("GET", HAWK_URL, emptyList(), now = HAWK_TS)
        }
        assertEquals(emptyList<Header>(), signed.headers)
        val url = checkNotNull(signed.url) { "a bewit gives a URL" }
        assertTrue(url.startsWith("http://example.com:8000/resource/1?b=1&a=2&bewit="), url)
        // A bewit is verified by a scheme that verifies bewits (SignatureType.QUERY).
        Scheme.hawk(signatureType = SignatureType.QUERY).use { scheme ->
            Credentials(HAWK_ID, HAWK_KEY).use { credentials ->
                val get = Request("GET", url, emptyList(), ByteArray(0))
                Scheme.hawk().use { headerScheme ->
                    assertEquals(ErrorKind.MISSING_AUTHORIZATION, failure { verifyRequest(headerScheme, credentials, get, now = HAWK_TS) }.kind)
                }
                assertEquals(HAWK_ID, verifyRequest(scheme, credentials, get, now = HAWK_TS + 119))
                assertEquals(ErrorKind.STALE, failure { verifyRequest(scheme, credentials, get, now = HAWK_TS + 120) }.kind)
                // A bewit is for GET and HEAD only.
                failure { verifyRequest(scheme, credentials, Request("POST", url, emptyList(), ByteArray(0)), now = HAWK_TS) }
            }
        }
    }

    @Test
    fun `a hawk response is signed with Server-Authorization over the request it answers`() {
        val headers = headersOf("Content-Type" to "text/plain")
        Scheme.hawk(nonce = "j4h3g2", ext = "some-app-ext-data").use { scheme ->
            Credentials(HAWK_ID, HAWK_KEY).use { credentials ->
                val authorization = Signer(scheme, credentials).use { it.sign("POST", HAWK_URL, headers, HAWK_BODY, HAWK_TS) }.headers
                val request = Request("POST", HAWK_URL, headers + authorization, HAWK_BODY)
                val response = Response(200, headersOf("Content-Type" to "text/plain"), "Some reply".toByteArray())
                val signed = signResponse(scheme, credentials, response, request, HAWK_TS)
                assertEquals(listOf("Server-Authorization"), signed.headers.map { it.name })
                assertTrue(signed.headers.single().value.startsWith("Hawk mac=\""), signed.headers.toString())
                assertTrue(signed.stringToSign.toString(Charsets.UTF_8).startsWith("hawk.1.response\n1353832234\nj4h3g2\nPOST\n"))
                val received = response.copy(headers = response.headers + signed.headers)
                assertEquals(HAWK_ID, verifyResponse(scheme, credentials, received, request, now = HAWK_TS))
                // The Verifier and Signer methods give the same.
                Verifier.withCredentials(scheme, credentials).use { assertEquals(HAWK_ID, it.verifyResponse(received, request, HAWK_TS)) }
                Signer(scheme, credentials).use { assertEquals(signed.headers, it.signResponse(response, request, HAWK_TS).headers) }
                val changed = received.copy(body = "Another reply".toByteArray())
                assertEquals(ErrorKind.BODY_MISMATCH, failure { verifyResponse(scheme, credentials, changed, request, now = HAWK_TS) }.kind)
            }
        }
    }

    @Test
    fun `a verifier with a replay guard refuses the same hawk request twice`() {
        val signed = hawkSigner(Scheme.hawk()) { it.sign("POST", HAWK_URL, headersOf("Content-Type" to "text/plain"), HAWK_BODY, HAWK_TS) }
        val request = Request("POST", HAWK_URL, headersOf("Content-Type" to "text/plain") + signed.headers, HAWK_BODY)
        Scheme.hawk().use { scheme ->
            ReplayGuard().use { guard ->
                Verifier.withKeys(scheme, mapOf(HAWK_ID to HAWK_KEY), replayGuard = guard).use { verifier ->
                    assertEquals(HAWK_ID, verifier.verifyRequest(request, HAWK_TS))
                    assertEquals(ErrorKind.REPLAYED, failure { verifier.verifyRequest(request, HAWK_TS + 1) }.kind)
                    // Another request (a new random nonce) is not a replay.
                    val again = hawkSigner(Scheme.hawk()) { it.sign("POST", HAWK_URL, headersOf("Content-Type" to "text/plain"), HAWK_BODY, HAWK_TS) }
                    val other = Request("POST", HAWK_URL, headersOf("Content-Type" to "text/plain") + again.headers, HAWK_BODY)
                    assertEquals(HAWK_ID, verifier.verifyRequest(other, HAWK_TS))
                }
            }
        }
    }

    @Test
    fun `hawk MACs the body bytes, so it refuses a digest and a stream before reading it`() {
        val unread = object : InputStream() {
            override fun read(): Int = throw AssertionError("the stream was read")
        }
        hawkSigner(Scheme.hawk()) { signer ->
            val direct = failure { signer.signWithBodyDigest("POST", HAWK_URL, emptyList(), BodyHasher().use { it.finish() }, HAWK_TS) }
            assertEquals(ErrorKind.UNSUPPORTED, direct.kind)
            val streamed = failure { signer.signStream("POST", HAWK_URL, emptyList(), unread, HAWK_TS) }
            assertEquals(direct.message, streamed.message)
        }
    }

    @Test
    fun `bad options are typed errors`() {
        for (make in listOf<() -> Any>(
            { Scheme.kongHmac(algorithm = "md5") },
            { Scheme.kongHmac(headerName = "x-auth") },
            { Scheme.kongHmac(httpVersion = "3") },
            { Policy.kongHmac(algorithms = listOf("hmac-md5")) },
            { Scheme.hawk(algorithm = "md5") },
            { Scheme.hawk(ext = "say \"hi\"") },
            { Scheme.hawk(nonce = "back\\slash") },
            { Scheme.hawk(signatureType = SignatureType.QUERY, ttl = 0) },
            { Policy.hawk(host = "") },
        )) {
            assertEquals(ErrorKind.UNSUPPORTED, failure { make() }.kind)
        }
        assertEquals(
            "hawk algorithm \"md5\" is not offered; use sha256 or sha1",
            failure { Scheme.hawk(algorithm = "md5") }.message,
        )
        assertThrows<IllegalArgumentException> { Policy.hawk(port = 70000) }
        assertThrows<IllegalArgumentException> { Policy.hawk(port = -1) }
        assertThrows<IllegalArgumentException> { Policy.hawk(timestampSkew = -1) }
        assertThrows<IllegalArgumentException> { Policy.kongHmac(clockSkew = 1L shl 32) }
        assertThrows<IllegalArgumentException> { Scheme.hawk(ttl = -1) }
        Policy.hawk(port = 65535).close()
        Policy.hawk(port = 0).close()
    }
}
