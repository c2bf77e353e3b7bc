package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.security.MessageDigest
import java.util.Base64
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

// RFC 9421 Appendix B.1.5 (the shared secret) and B.2 (test-request, test-response), as
// recorded in tests/vectors/rfc9421/b25-hmac-sha256.json and b2-test-cases.json.
private val B25_SECRET: ByteArray =
    Base64.getDecoder().decode("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==")
private const val CREATED = 1_618_884_473L
private const val B2_REQUEST_TARGET = "https://example.com/foo?param=Value&Pet=dog"
private val B2_REQUEST_BODY = """{"hello": "world"}""".toByteArray()
private val B2_REQUEST_HEADERS = headersOf(
    "Host" to "example.com",
    "Date" to "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type" to "application/json",
    "Content-Digest" to "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    "Content-Length" to "18",
)
private val B2_RESPONSE_BODY = """{"message": "good dog"}""".toByteArray()
private const val B2_RESPONSE_DIGEST =
    "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:"

/** The B.2.4 signature base (b2-test-cases.json, case B.2.4, signature_base). */
private const val B24_BASE = "\"@status\": 200\n" +
    "\"content-type\": application/json\n" +
    "\"content-digest\": $B2_RESPONSE_DIGEST\n" +
    "\"content-length\": 23\n" +
    "\"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\""

private fun failure(block: () -> Unit): HmacSigException = assertThrows<HmacSigException> { block() }

private fun hmacSha256Base64(secret: ByteArray, text: String): String =
    Base64.getEncoder().encodeToString(Mac.getInstance("HmacSHA256").apply { init(SecretKeySpec(secret, "HmacSHA256")) }.doFinal(text.toByteArray()))

/** [headers] with [added] set: any header of the same name (case-insensitive) removed, the new one appended. */
private fun withHeaders(headers: List<Header>, added: List<Header>): List<Header> =
    headers.filter { h -> added.none { it.name.equals(h.name, ignoreCase = true) } } + added

private fun Request.with(added: List<Header>) = Request(method, target, withHeaders(headers, added), body)

private fun Response.with(added: List<Header>) = copy(headers = withHeaders(headers, added))

class Rfc9421Test {
    @Test
    fun `RFC 9421 B_2_5 hmac-sha256 exactly, then verified`() {
        val request = Request("POST", B2_REQUEST_TARGET, B2_REQUEST_HEADERS, B2_REQUEST_BODY)
        Scheme.rfc9421(components = listOf("date", "@authority", "content-type"), label = "sig-b25", created = CREATED).use { scheme ->
            assertEquals("rfc9421", scheme.name)
            Credentials("test-shared-secret", B25_SECRET).use { credentials ->
                // now is ignored for the signature: created is fixed.
                val signed = signRequest(scheme, credentials, request, now = 1)
                assertEquals(
                    listOf(
                        Header(
                            "Signature-Input",
                            "sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"",
                        ),
                        Header("Signature", "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"),
                    ),
                    signed.headers,
                )
                assertEquals(
                    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n" +
                        "\"@authority\": example.com\n" +
                        "\"content-type\": application/json\n" +
                        "\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"",
                    signed.stringToSign.toString(Charsets.UTF_8),
                )
                assertNull(signed.url)
                // The Signer object gives the same, from the origin-form target and Host.
                Signer(scheme, credentials).use { signer ->
                    val again = signer.sign("POST", "/foo?param=Value&Pet=dog", B2_REQUEST_HEADERS, B2_REQUEST_BODY, now = 1)
                    assertEquals(signed.headers, again.headers)
                }

                val signedRequest = request.with(signed.headers)
                assertEquals("test-shared-secret", extractKeyId(scheme, signedRequest))
                // B.2.5 covers neither the method, the target nor the body's digest.
                Policy.rfc9421(requiredComponents = emptyList(), allowUnsignedBody = true).use { policy ->
                    assertEquals("test-shared-secret", verifyRequest(scheme, credentials, signedRequest, policy, now = CREATED + 10))
                }
                // The default policy wants @method and @target-uri covered.
                val e = failure { verifyRequest(scheme, credentials, signedRequest, now = CREATED) }
                assertEquals(ErrorKind.MISSING_SIGNED_HEADER, e.kind, e.message)
            }
        }
    }

    @Test
    fun `a response signs as RFC 9421 B_2_4 does, then verifyResponse round-trips`() {
        val response = Response(
            200,
            headersOf("Content-Type" to "application/json", "Content-Digest" to B2_RESPONSE_DIGEST, "Content-Length" to "23"),
            B2_RESPONSE_BODY,
        )
        val components = listOf("@status", "content-type", "content-digest", "content-length")
        Scheme.rfc9421(components, label = "sig-b24", created = CREATED).use { scheme ->
            Credentials("test-key-ecc-p256", B25_SECRET).use { credentials ->
                val signed = signResponse(scheme, credentials, response, now = CREATED)
                assertEquals(B24_BASE, signed.stringToSign.toString(Charsets.UTF_8))
                assertEquals(
                    listOf(
                        // The B.2.4 Signature-Input exactly; the Signature is our HMAC, not the RFC's ECDSA.
                        Header(
                            "Signature-Input",
                            "sig-b24=(\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\"",
                        ),
                        Header("Signature", "sig-b24=:${hmacSha256Base64(B25_SECRET, B24_BASE)}:"),
                    ),
                    signed.headers,
                )

                val signedResponse = response.with(signed.headers)
                assertEquals("test-key-ecc-p256", verifyResponse(scheme, credentials, signedResponse, now = CREATED + 300))
                Policy.rfc9421(requiredComponents = listOf("@status", "content-length")).use { policy ->
                    assertEquals("test-key-ecc-p256", verifyResponse(scheme, credentials, signedResponse, policy = policy, now = CREATED))
                }
                val changed = failure {
                    verifyResponse(scheme, credentials, signedResponse.copy(body = "{\"message\": \"bad dog\"}".toByteArray()), now = CREATED)
                }
                assertEquals(ErrorKind.BODY_MISMATCH, changed.kind, changed.message)
                val status = failure { verifyResponse(scheme, credentials, signedResponse.copy(status = 201), now = CREATED) }
                assertEquals(ErrorKind.BAD_SIGNATURE, status.kind, status.message)
                assertTrue(status.stringToSign!!.startsWith("\"@status\": 201\n"), status.stringToSign)
                val stale = failure { verifyResponse(scheme, credentials, signedResponse, now = CREATED + 306) }
                assertEquals(ErrorKind.STALE, stale.kind, stale.message)
                Credentials("test-key-ecc-p256", "another secret").use { other ->
                    assertEquals(ErrorKind.BAD_SIGNATURE, failure { verifyResponse(scheme, other, signedResponse, now = CREATED) }.kind)
                }
            }
        }
    }

    @Test
    fun `a response covers its request with req, and that request must be given to verify`() {
        val request = Request("POST", B2_REQUEST_TARGET, B2_REQUEST_HEADERS, B2_REQUEST_BODY)
        val response = Response(200, headersOf("Content-Type" to "application/json"), B2_RESPONSE_BODY)
        val components = listOf("@status", "content-type", "@method;req", "@authority;req")
        Scheme.rfc9421(components, created = CREATED, contentDigest = ContentDigest.SHA512).use { scheme ->
            Credentials("server", "response secret").use { credentials ->
                val signed = signResponse(scheme, credentials, response, request, now = CREATED)
                assertEquals(Header("Content-Digest", B2_RESPONSE_DIGEST), signed.headers[0])
                assertEquals(
                    "\"@status\": 200\n\"content-type\": application/json\n\"@method\";req: POST\n\"@authority\";req: example.com\n" +
                        "\"content-digest\": $B2_RESPONSE_DIGEST\n" +
                        "\"@signature-params\": (\"@status\" \"content-type\" \"@method\";req \"@authority\";req \"content-digest\")" +
                        ";created=1618884473;keyid=\"server\"",
                    signed.stringToSign.toString(Charsets.UTF_8),
                )
                val signedResponse = response.with(signed.headers)
                assertEquals("server", verifyResponse(scheme, credentials, signedResponse, request, now = CREATED))
                val otherMethod = Request("PUT", request.target, request.headers, request.body)
                val e = failure { verifyResponse(scheme, credentials, signedResponse, otherMethod, now = CREATED) }
                assertEquals(ErrorKind.BAD_SIGNATURE, e.kind, e.message)
                val noRequest = failure { verifyResponse(scheme, credentials, signedResponse, now = CREATED) }
                assertEquals(ErrorKind.INVALID_REQUEST, noRequest.kind, noRequest.message)
                // @method without req is no response component.
                Scheme.rfc9421(listOf("@status", "@method")).use { bad ->
                    val u = failure { signResponse(bad, credentials, response, request, now = CREATED) }
                    assertEquals(ErrorKind.UNSUPPORTED, u.kind, u.message)
                }
            }
        }
    }

    @Test
    fun `round trip with a SHA-256 Content-Digest, and what tampering gives`() {
        val now = 1_700_000_000L
        val body = """{"id": 7}""".toByteArray()
        val request = Request("POST", "https://api.example.com/orders?id=7", headersOf("Content-Type" to "application/json"), body)
        val digest = "sha-256=:" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body)) + ":"
        Scheme.rfc9421(listOf("@method", "@target-uri", "content-type"), contentDigest = ContentDigest.SHA256).use { scheme ->
            Credentials("client", "secret").use { credentials ->
                val signed = signRequest(scheme, credentials, request, now)
                val input = "sig1=(\"@method\" \"@target-uri\" \"content-type\" \"content-digest\");created=$now;keyid=\"client\""
                val base = "\"@method\": POST\n\"@target-uri\": https://api.example.com/orders?id=7\n" +
                    "\"content-type\": application/json\n\"content-digest\": $digest\n\"@signature-params\": ${input.removePrefix("sig1=")}"
                assertEquals(base, signed.stringToSign.toString(Charsets.UTF_8))
                assertEquals(
                    listOf(
                        Header("Content-Digest", digest),
                        Header("Signature-Input", input),
                        Header("Signature", "sig1=:${hmacSha256Base64("secret".toByteArray(), base)}:"),
                    ),
                    signed.headers,
                )
                val ok = request.with(signed.headers)
                assertEquals("client", verifyRequest(scheme, credentials, ok, now = now))
                assertEquals("client", verifyRequest(scheme, credentials, ok, now = now + 305))

                val bodyChanged = failure { verifyRequest(scheme, credentials, Request(ok.method, ok.target, ok.headers, body + ' '.code.toByte()), now = now) }
                assertEquals(ErrorKind.BODY_MISMATCH, bodyChanged.kind, bodyChanged.message)
                val headerChanged = failure { verifyRequest(scheme, credentials, ok.with(headersOf("Content-Type" to "text/plain")), now = now) }
                assertEquals(ErrorKind.BAD_SIGNATURE, headerChanged.kind, headerChanged.message)
                assertTrue(headerChanged.stringToSign!!.contains("\"content-type\": text/plain\n"), headerChanged.stringToSign)
                val tooOld = failure { verifyRequest(scheme, credentials, ok, now = now + 306) }
                assertEquals(ErrorKind.STALE, tooOld.kind, tooOld.message)
                val early = failure { verifyRequest(scheme, credentials, ok, now = now - 6) }
                assertEquals(ErrorKind.FUTURE, early.kind, early.message)
                Policy.rfc9421(maxAge = 10, clockSkew = 0).use { strict ->
                    assertEquals(ErrorKind.STALE, failure { verifyRequest(scheme, credentials, ok, strict, now = now + 11) }.kind)
                }
                val unsigned = Request(ok.method, ok.target, ok.headers.filterNot { it.name.startsWith("Signature") }, ok.body)
                assertEquals(ErrorKind.MISSING_AUTHORIZATION, failure { verifyRequest(scheme, credentials, unsigned, now = now) }.kind)
                Credentials("someone", "secret").use { other ->
                    assertEquals(ErrorKind.UNKNOWN_KEY, failure { verifyRequest(scheme, other, ok, now = now) }.kind)
                }
            }
        }
        // An upper-case component is refused when the scheme is built, as are bad labels and policies.
        val upper = failure { Scheme.rfc9421(listOf("@method", "Content-Type")) }
        assertEquals(ErrorKind.UNSUPPORTED, upper.kind)
        assertTrue(upper.message.contains("Content-Type"), upper.message)
        assertEquals(ErrorKind.UNSUPPORTED, failure { Scheme.rfc9421(label = "Sig1") }.kind)
        assertEquals(ErrorKind.UNSUPPORTED, failure { Scheme.rfc9421(listOf("@path", "@path")) }.kind)
        assertEquals(ErrorKind.UNSUPPORTED, failure { Policy.rfc9421(requiredComponents = listOf("Content-Type")) }.kind)
    }

    @Test
    fun `defaults, parameters and range checks`() {
        Scheme.rfc9421(created = 100, expires = 200, nonce = "n-1", tag = "app", includeAlg = true).use { scheme ->
            Credentials("k", "s").use { credentials ->
                val signed = signRequest(scheme, credentials, Request("GET", "https://example.com/a?b=c", emptyList(), ByteArray(0)))
                assertEquals(
                    "sig1=(\"@method\" \"@authority\" \"@target-uri\");created=100;keyid=\"k\";alg=\"hmac-sha256\";expires=200;nonce=\"n-1\";tag=\"app\"",
                    signed.headers.single { it.name == "Signature-Input" }.value,
                )
            }
        }
        // created null: the signing time.
        Scheme.rfc9421().use { scheme ->
            Credentials("k", "s").use { credentials ->
                val signed = signRequest(scheme, credentials, Request("GET", "https://example.com/", emptyList(), ByteArray(0)), now = 12345)
                assertTrue(signed.headers.single { it.name == "Signature-Input" }.value.endsWith(";created=12345;keyid=\"k\""))
                // Responses are rfc9421 only.
                Scheme.apiAuth().use { api ->
                    val e = failure { signResponse(api, credentials, Response(200, emptyList())) }
                    assertEquals(ErrorKind.UNSUPPORTED, e.kind, e.message)
                    assertEquals(ErrorKind.UNSUPPORTED, failure { verifyResponse(api, credentials, Response(200, emptyList())) }.kind)
                }
                assertEquals(ErrorKind.INVALID_REQUEST, failure { signResponse(scheme, credentials, Response(42, emptyList())) }.kind)
                // A policy for another scheme is refused.
                Policy.awsSigv4().use { aws ->
                    val e = failure { verifyResponse(scheme, credentials, Response(200, emptyList()), policy = aws, now = 1) }
                    assertEquals(ErrorKind.UNSUPPORTED, e.kind, e.message)
                }
            }
        }
        assertThrows<IllegalArgumentException> { Response(-1, emptyList()) }
        assertThrows<IllegalArgumentException> { Response(65_536, emptyList()) }
        assertThrows<IllegalArgumentException> { Policy.rfc9421(maxAge = -1) }
        assertThrows<IllegalArgumentException> { Policy.rfc9421(clockSkew = 1L shl 32) }
        Policy.rfc9421(maxAge = 4_294_967_295L, clockSkew = 0, label = "sig1", tag = "app").close()
        // Responses compare by content, body bytes included.
        assertEquals(Response(200, headersOf("A" to "1"), byteArrayOf(1)), Response(200, headersOf("A" to "1"), byteArrayOf(1)))
        assertEquals(Response(200, emptyList()).hashCode(), Response(200, emptyList(), ByteArray(0)).hashCode())
        assertNotEquals(Response(200, emptyList(), byteArrayOf(1)), Response(200, emptyList(), byteArrayOf(2)))
        assertEquals("Response(status=200, headers=[], body=1 bytes)", Response(200, emptyList(), byteArrayOf(1)).toString())
    }

    @Test
    fun `a closed scheme, credentials or policy is refused before native code`() {
        val scheme = Scheme.rfc9421(created = CREATED).also { it.close() }
        Credentials("k", "s").use { credentials ->
            assertThrows<IllegalStateException> { signResponse(scheme, credentials, Response(200, emptyList())) }
            Scheme.rfc9421(listOf("@status")).use { open ->
                val policy = Policy.rfc9421().also { it.close() }
                assertThrows<IllegalStateException> { verifyResponse(open, credentials, Response(200, emptyList()), policy = policy) }
            }
        }
    }

    @Test
    fun `a Verifier verifies rfc9421 requests with an rfc9421 policy`() {
        val now = 1_700_000_000L
        val body = "amount=10".toByteArray()
        val headers = headersOf("Host" to "api.example.com", "Content-Type" to "application/x-www-form-urlencoded")
        Scheme.rfc9421(listOf("@method", "@target-uri", "@query-param;name=\"id\""), contentDigest = ContentDigest.SHA512, tag = "app").use { scheme ->
            val signed = Credentials("client-1", "s3cret").use { c ->
                Signer(scheme, c).use { it.sign("POST", "/pay?id=42", headers, body, now) }
            }
            val signedHeaders = withHeaders(headers, signed.headers)
            Policy.rfc9421(maxAge = 60, requiredComponents = listOf("@method", "@query-param;name=\"id\""), tag = "app").use { policy ->
                Verifier.withKeys(scheme, mapOf("client-1" to "s3cret"), policy, ReplayGuard()).use { verifier ->
                    assertEquals("client-1", verifier.verify("POST", "/pay?id=42", signedHeaders, body, now + 60))
                    // The same signature again is a replay.
                    val replay = failure { verifier.verify("POST", "/pay?id=42", signedHeaders, body, now + 61) }
                    assertEquals(ErrorKind.REPLAYED, replay.kind, replay.message)
                }
                Verifier.withKeys(scheme, mapOf("client-1" to "s3cret"), policy).use { verifier ->
                    assertEquals("client-1", verifier.verifyRequest(Request("POST", "/pay?id=42", signedHeaders, body), now + 60))
                    val moved = failure { verifier.verify("POST", "/pay?id=43", signedHeaders, body, now) }
                    assertEquals(ErrorKind.BAD_SIGNATURE, moved.kind, moved.message)
                    val old = failure { verifier.verify("POST", "/pay?id=42", signedHeaders, body, now + 66) }
                    assertEquals(ErrorKind.STALE, old.kind, old.message)
                    val tampered = failure { verifier.verify("POST", "/pay?id=42", signedHeaders, "amount=99".toByteArray(), now) }
                    assertEquals(ErrorKind.BODY_MISMATCH, tampered.kind, tampered.message)
                }
            }
            // A policy that wants a component the signature lacks.
            Policy.rfc9421(requiredComponents = listOf("content-type")).use { policy ->
                Verifier.withKeys(scheme, mapOf("client-1" to "s3cret"), policy).use { verifier ->
                    val e = failure { verifier.verify("POST", "/pay?id=42", signedHeaders, body, now) }
                    assertEquals(ErrorKind.MISSING_SIGNED_HEADER, e.kind, e.message)
                }
            }
            // A policy selecting another tag finds no signature.
            Policy.rfc9421(tag = "proxy").use { policy ->
                Verifier.withLookup(scheme, { keyId -> if (keyId == "client-1") "s3cret".toByteArray() else null }, policy).use { verifier ->
                    val e = failure { verifier.verify("POST", "/pay?id=42", signedHeaders, body, now) }
                    assertEquals(ErrorKind.MISSING_AUTHORIZATION, e.kind, e.message)
                }
            }
        }
    }
}
