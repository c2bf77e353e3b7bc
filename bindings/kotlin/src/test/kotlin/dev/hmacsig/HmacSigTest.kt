package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.ByteBuffer
import java.util.Base64
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

// Values from tests/conformance/smoke-cases.json, as the Rust reference runner signs them.
private const val DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
private const val NOW = 1_700_000_030L
private val BODY = """{"order":{"id":7,"qty":2}}""".toByteArray()
private const val HASH = "+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo="
private const val AUTH = "APIAuth-HMAC-SHA256 1044:iQ8Xy+7557bVwTz3HnFH9VZhlMpOkUjI0arvu7p3v3g="
private const val STRING_TO_SIGN = "POST,application/json,$HASH,/orders?id=7,$DATE"

private fun signedRequest(target: String = "/orders?id=7", body: ByteArray = BODY) = Request(
    "POST",
    target,
    headersOf(
        "content-type" to "application/json",
        "date" to DATE,
        "x-authorization-content-sha256" to HASH,
        "authorization" to AUTH,
    ),
    body,
)

private fun failure(block: () -> Unit): HmacSigException = assertThrows<HmacSigException> { block() }

class NativeLibraryTest {
    @Test
    fun `loads libhmacsig from the classpath resource, with no library path`() {
        assertNull(System.getProperty("jna.library.path"))
        assertNull(System.getProperty("uniffi.component.hmacsig.libraryOverride"))
        assertNotNull(javaClass.classLoader.getResource("linux-x86-64/libhmacsig.so"))
        assertEquals(88, generateSecret().length) // a native call works
        // JNA found it as a classpath resource: mapped in place from target/classes/linux-x86-64/
        // (or extracted from a jar to a jna*.tmp file), never from cargo's target/release.
        val maps = java.io.File("/proc/self/maps").readLines().map { it.substringAfterLast(' ') }.filter { "hmacsig" in it }.toSet()
        assertTrue(maps.all { it.endsWith("/linux-x86-64/libhmacsig.so") }, maps.toString())
    }
}

class SignTest {
    @Test
    fun `signs exactly as the reference runner does`() {
        Scheme.apiAuth(digest = "sha256").use { scheme ->
            Credentials("1044", "top-secret").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val signed = signer.sign(
                        "POST",
                        "/orders?id=7",
                        headersOf("Content-Type" to "application/json", "Date" to DATE),
                        BODY,
                        now = NOW,
                    )
                    assertEquals(
                        listOf(Header("X-Authorization-Content-SHA256", HASH), Header("Authorization", AUTH)),
                        signed.headers,
                    )
                    assertEquals(STRING_TO_SIGN, signed.stringToSign.toString(Charsets.UTF_8))
                    assertNull(signed.url)
                    assertEquals("1044", signer.keyId)
                }
            }
        }
    }

    @Test
    fun `injected now sets the Date header, with override method, headers to sign and byte secrets`() {
        Scheme.apiAuth(headersToSign = listOf("X-Request-Id"), overrideMethod = "delete").use { scheme ->
            Credentials("k", byteArrayOf(0, 1, 2, 3, 4)).use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val signed = signer.sign(
                        "GET",
                        "https://api.example.com/a?b=c d",
                        headersOf("X-Request-Id" to "r1", "x-request-id" to "r2"),
                        now = 1_700_000_099,
                    )
                    assertEquals(
                        listOf(Header("Date", "Tue, 14 Nov 2023 22:14:59 GMT"), Header("Authorization", "APIAuth k:JsF7fBnwXTIh1+l7HHUE6FkPlNY=")),
                        signed.headers,
                    )
                    assertEquals("DELETE,,,/a?b=c%20d,Tue, 14 Nov 2023 22:14:59 GMT,r1, r2", signed.stringToSign.toString(Charsets.UTF_8))
                    val later = signer.sign("GET", "/", emptyList(), now = 1_700_000_100)
                    assertEquals(Header("Date", "Tue, 14 Nov 2023 22:15:00 GMT"), later.headers[0])
                }
            }
        }
    }

    @Test
    fun `without now the system clock dates the request`() {
        Scheme.apiAuth().use { scheme ->
            Credentials("k", "s").use { credentials ->
                val before = System.currentTimeMillis() / 1000
                val signed = signRequest(scheme, credentials, Request("GET", "/", emptyList(), ByteArray(0)))
                val date = signed.headers.single { it.name == "Date" }.value
                val sent = java.time.ZonedDateTime.parse(date, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond()
                assertTrue(sent in before - 1..System.currentTimeMillis() / 1000 + 1, "$date vs $before")
                // ... and it verifies against the clock, too.
                val request = Request("GET", "/", signed.headers, ByteArray(0))
                assertEquals("k", verifyRequest(scheme, credentials, request))
            }
        }
    }

    @Test
    fun `ByteArray and String secrets give the same signature`() {
        Scheme.apiAuth().use { scheme ->
            val request = Request("PUT", "/x", headersOf("Date" to DATE), "body".toByteArray())
            val text = Credentials("id", "sécret").use { signRequest(scheme, it, request, NOW) }
            val bytes = Credentials("id", "sécret".toByteArray(Charsets.UTF_8)).use { signRequest(scheme, it, request, NOW) }
            val other = Credentials("id", "secret").use { signRequest(scheme, it, request, NOW) }
            assertEquals(text.headers, bytes.headers)
            assertNotEquals(text.headers, other.headers)
        }
    }

    @Test
    fun `Signer sign, Signer signRequest and signRequest agree, and a ByteBuffer body is read from its position`() {
        Scheme.apiAuth(digest = "sha512").use { scheme ->
            Credentials("k", "s").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val headers = headersOf("Date" to DATE)
                    val flat = signer.sign("PUT", "/blobs/9", headers, byteArrayOf(0, -1), NOW)
                    assertEquals(flat, signer.signRequest(Request("PUT", "/blobs/9", headers, byteArrayOf(0, -1)), NOW).copy(stringToSign = flat.stringToSign))
                    val once = signRequest(scheme, credentials, Request("PUT", "/blobs/9", headers, byteArrayOf(0, -1)), NOW)
                    assertEquals(flat.headers, once.headers)
                    assertTrue(flat.stringToSign.contentEquals(once.stringToSign))

                    val direct = ByteBuffer.allocateDirect(8).put(byteArrayOf(9, 9, 9, 0, -1)).flip()
                    direct.position(3)
                    assertEquals(flat.headers, signer.sign("PUT", "/blobs/9", headers, direct, NOW).headers)
                    assertEquals(3, direct.position(), "the caller's buffer is left as it was")
                    val heap = ByteBuffer.wrap(byteArrayOf(7, 0, -1)).position(1)
                    assertEquals(flat.headers, signer.sign("PUT", "/blobs/9", headers, heap, NOW).headers)
                }
            }
        }
    }

    @Test
    fun `a big body (past the scratch buffer) signs like the one-off call`() {
        val body = ByteArray(200_000) { (it % 251).toByte() }
        Scheme.apiAuth().use { scheme ->
            Credentials("k", "s").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val a = signer.sign("POST", "/up", headersOf("Date" to DATE), body, NOW)
                    val b = signRequest(scheme, credentials, Request("POST", "/up", headersOf("Date" to DATE), body), NOW)
                    assertEquals(a.headers, b.headers)
                }
            }
        }
    }

    @Test
    fun `one Signer signs from many threads`() {
        Scheme.apiAuth(digest = "sha256").use { scheme ->
            Credentials("1044", "top-secret").use { credentials ->
                Signer(scheme, credentials).use { signer ->
                    val pool = Executors.newFixedThreadPool(4)
                    val results = (1..200).map {
                        pool.submit<String> {
                            signer.sign("POST", "/orders?id=7", headersOf("Content-Type" to "application/json", "Date" to DATE), BODY, NOW).headers[1].value
                        }
                    }.map { it.get(30, TimeUnit.SECONDS) }
                    pool.shutdown()
                    assertEquals(setOf(AUTH), results.toSet())
                }
            }
        }
    }
}

class VerifyTest {
    @Test
    fun `verifies and returns the key id`() {
        Scheme.apiAuth().use { scheme ->
            Credentials("1044", "top-secret").use { credentials ->
                assertEquals("1044", verifyRequest(scheme, credentials, signedRequest(), now = NOW))
                Policy.apiAuth(clockSkew = 60, digest = "SHA256").use { policy ->
                    assertEquals("1044", verifyRequest(scheme, credentials, signedRequest(), policy, NOW))
                }
            }
        }
    }

    @Test
    fun `extractKeyId reads the claimed key id`() {
        Scheme.apiAuth().use { scheme ->
            assertEquals("1044", extractKeyId(scheme, Request("GET", "/", headersOf("Authorization" to "Corporate APIAuth 1044:x"), ByteArray(0))))
        }
    }

    @Test
    fun `generated secrets are 88 characters, fresh each time, and usable as text keys`() {
        val a = generateSecret()
        val b = generateSecret()
        assertEquals(88, a.length)
        assertTrue(a.endsWith("=="))
        assertNotEquals(a, b)
        assertEquals(64, Base64.getDecoder().decode(a).size)
        Scheme.apiAuth().use { scheme ->
            Credentials("gen", a).use { credentials ->
                val signed = signRequest(scheme, credentials, Request("GET", "/", emptyList(), ByteArray(0)), NOW)
                assertEquals("gen", verifyRequest(scheme, credentials, Request("GET", "/", signed.headers, ByteArray(0)), now = NOW))
            }
        }
    }
}

class ErrorTest {
    private val scheme = Scheme.apiAuth()
    private val credentials = Credentials("1044", "top-secret")

    @Test
    fun `bad signature carries what the server signed`() {
        val e = failure { verifyRequest(scheme, credentials, signedRequest(target = "/orders?id=8"), now = NOW) }
        assertEquals(ErrorKind.BAD_SIGNATURE, e.kind)
        val signed = "POST,application/json,$HASH,/orders?id=8,$DATE"
        assertEquals(signed, e.stringToSign)
        assertEquals("signature does not match; the server signed \"$signed\"", e.message)
        assertNull(e.keyId)
    }

    @Test
    fun `unknown key carries the claimed key id`() {
        val e = Credentials("7", "top-secret").use { other -> failure { verifyRequest(scheme, other, signedRequest(), now = NOW) } }
        assertEquals(ErrorKind.UNKNOWN_KEY, e.kind)
        assertEquals("1044", e.keyId)
        assertEquals("no secret is known for key id \"1044\"", e.message)
    }

    @Test
    fun `stale and future against the policy`() {
        Policy.apiAuth(clockSkew = 60).use { policy ->
            val stale = failure { verifyRequest(scheme, credentials, signedRequest(), policy, NOW + 60) }
            assertEquals(ErrorKind.STALE, stale.kind)
            assertEquals("the request's Date is 90 s old; the policy allows less than 60 s", stale.message)
            val future = failure { verifyRequest(scheme, credentials, signedRequest(), policy, NOW - 100) }
            assertEquals(ErrorKind.FUTURE, future.kind)
            assertEquals("the request's Date is 70 s in the future; the policy allows less than 60 s", future.message)
        }
    }

    @Test
    fun `body mismatch, digest not allowed, missing and malformed authorization`() {
        assertEquals(ErrorKind.BODY_MISMATCH, failure { verifyRequest(scheme, credentials, signedRequest(body = "{}".toByteArray()), now = NOW) }.kind)
        Policy.apiAuth(digest = "sha1").use { sha1Only ->
            val e = failure { verifyRequest(scheme, credentials, signedRequest(), sha1Only, NOW) }
            assertEquals(ErrorKind.DIGEST_NOT_ALLOWED, e.kind)
            assertTrue(e.message.startsWith("this server accepts only"), e.message)
        }
        val missing = failure { verifyRequest(scheme, credentials, Request("GET", "/", emptyList(), ByteArray(0)), now = NOW) }
        assertEquals(ErrorKind.MISSING_AUTHORIZATION, missing.kind)
        assertEquals("the request has no Authorization header", missing.message)
        val malformed = failure { extractKeyId(scheme, Request("GET", "/", headersOf("Authorization" to "Bearer abc"), ByteArray(0))) }
        assertEquals(ErrorKind.MALFORMED_AUTHORIZATION, malformed.kind)
        assertEquals("no api-auth key id in Authorization \"Bearer abc\"", malformed.message)
    }

    @Test
    fun `invalid requests and unsupported options`() {
        Signer(scheme, credentials).use { signer ->
            val target = failure { signer.sign("GET", "/a b", emptyList(), now = NOW) }
            assertEquals(ErrorKind.INVALID_REQUEST, target.kind)
            assertEquals("the request target \"/a b\" is not a valid URI (Ruby's URI parser rejects it)", target.message)
            val header = failure { signer.sign("GET", "/", headersOf("X-A" to "a\r\nX-Evil: 1"), now = NOW) }
            assertEquals(ErrorKind.INVALID_REQUEST, header.kind)
            assertEquals("the value of header \"X-A\" contains CR, LF or NUL", header.message)
        }
        val md5 = failure { Scheme.apiAuth(digest = "md5") }
        assertEquals(ErrorKind.UNSUPPORTED, md5.kind)
        assertEquals("api-auth digest \"md5\" is not offered; use sha1, sha224, sha256, sha384 or sha512 (MD5 is never offered)", md5.message)
        assertEquals(ErrorKind.UNSUPPORTED, failure { Policy.apiAuth(digest = "sha3") }.kind)
    }

    @Test
    fun `the exception is the public one, with a readable message`() {
        val e: Exception = failure { verifyRequest(scheme, credentials, Request("GET", "/", emptyList(), ByteArray(0)), now = NOW) }
        assertEquals(HmacSigException::class.java, e.javaClass)
        assertFalse(e.message!!.startsWith("reason="))
        assertEquals("HmacSigException(missing_authorization): the request has no Authorization header", e.toString())
        assertNull(e.cause)
    }

    @Test
    fun `error kinds are the conformance names`() {
        assertEquals(13, ErrorKind.entries.size)
        for (kind in ErrorKind.entries) {
            assertEquals(kind.name.lowercase(), kind.code)
            assertEquals(kind, ErrorKind.fromCode(kind.code))
        }
        assertNull(ErrorKind.fromCode("nope"))
    }
}

class LifetimeTest {
    @Test
    fun `a closed Signer refuses to sign with a clear exception`() {
        val signer = Scheme.apiAuth().use { scheme -> Credentials("k", "s").use { credentials -> Signer(scheme, credentials) } }
        signer.use {
            // Still usable: it holds its own references to the scheme and credentials.
            assertEquals("k", it.keyId)
            it.sign("GET", "/", emptyList(), now = NOW)
        }
        assertTrue(signer.isClosed)
        val e = assertThrows<IllegalStateException> { signer.sign("GET", "/", emptyList(), now = NOW) }
        assertEquals("this Signer has been closed", e.message)
        signer.close() // closing twice is fine
        assertTrue(signer.toString().contains("closed"))
    }

    @Test
    fun `closed schemes, credentials and policies are refused, not passed to native code`() {
        val scheme = Scheme.apiAuth().also { it.close() }
        val credentials = Credentials("k", "s").also { it.close() }
        val policy = Policy.apiAuth().also { it.close() }
        Scheme.apiAuth().use { open ->
            Credentials("k", "s").use { openCredentials ->
                val request = Request("GET", "/", emptyList(), ByteArray(0))
                assertEquals("this Scheme has been closed", assertThrows<IllegalStateException> { Signer(scheme, openCredentials) }.message)
                assertEquals("this Credentials has been closed", assertThrows<IllegalStateException> { signRequest(open, credentials, request) }.message)
                assertEquals("this Policy has been closed", assertThrows<IllegalStateException> { verifyRequest(open, openCredentials, request, policy) }.message)
                assertThrows<IllegalStateException> { extractKeyId(scheme, request) }
                assertThrows<IllegalStateException> { scheme.name }
            }
        }
    }

    @Test
    fun `toString never shows the secret`() {
        Credentials("1044", "top-secret").use { credentials ->
            assertEquals("Credentials(keyId=1044, secret=<redacted>)", credentials.toString())
            assertFalse(credentials.toString().contains("top-secret"))
            Scheme.apiAuth().use { scheme ->
                Signer(scheme, credentials).use { signer ->
                    assertFalse(signer.toString().contains("top-secret"))
                    assertEquals("Scheme(api-auth)", scheme.toString())
                }
            }
        }
        val bytes = Credentials("k", byteArrayOf(1, 2, 3))
        assertFalse(bytes.toString().contains("[1, 2, 3]"))
        bytes.close()
    }

    @Test
    fun `policy clock skew is range-checked before reaching native code`() {
        assertThrows<IllegalArgumentException> { Policy.apiAuth(clockSkew = -1) }
        assertThrows<IllegalArgumentException> { Policy.apiAuth(clockSkew = 1L shl 32) }
        Policy.apiAuth(clockSkew = 4_294_967_295L).close()
    }
}
