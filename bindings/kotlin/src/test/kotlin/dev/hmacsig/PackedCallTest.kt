package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.ByteBuffer
import java.nio.charset.CharacterCodingException

// Signer.sign takes the packed hot path (core/src/packed.rs) when it can, and the record call
// otherwise; both must give the same result, or the same typed error.

private const val NOW = 1_700_000_000L
private const val TARGET = "/v1/orders?b=2&a=1"
private val SCHEMES: Map<String, () -> Scheme> = mapOf(
    "api-auth" to { Scheme.apiAuth(digest = "sha256", headersToSign = listOf("X-Request-Id")) },
    "timestamped" to { Scheme.timestamped() },
    "aws-sigv4-query" to { Scheme.awsSigv4("us-east-1", "s3", signatureType = SignatureType.QUERY) },
    "rfc9421" to { Scheme.rfc9421(contentDigest = ContentDigest.SHA512) },
)
private val HEADERS = headersOf(
    "Host" to "api.example.com",
    "Content-Type" to "application/json",
    "X-Request-Id" to "",
    "X-Note" to "naïve ✓ 𝄞",
)
private val BODIES = listOf(ByteArray(0), """{"id":7}""".toByteArray(), ByteArray(256) { it.toByte() })

private fun <R> signer(scheme: String, block: (Signer) -> R): R =
    SCHEMES.getValue(scheme)().use { s -> Credentials("k-1", "secret").use { c -> Signer(s, c).use(block) } }

/** Whether [Signer.sign] takes the packed call for these inputs (the call itself is not made). */
private fun packs(method: String, target: String, headers: List<Header>, now: Long?): Boolean =
    withPackedArgs(method, target, headers, ByteBuffer.allocate(0), now) { _, _, _, _, _ -> Unit } != null

private fun assertSame(expected: SignedRequest, actual: SignedRequest) {
    assertEquals(expected.headers, actual.headers)
    assertArrayEquals(expected.stringToSign, actual.stringToSign)
    assertEquals(expected.url, actual.url)
}

class PackedCallTest {
    @Test
    fun `packed equals record for every scheme and body`() {
        assertTrue(packs("POST", TARGET, HEADERS, NOW))
        for (scheme in SCHEMES.keys) signer(scheme) { signer ->
            for (body in BODIES) {
                val packed = signer.sign("POST", TARGET, HEADERS, body, now = NOW)
                assertSame(signer.signWithRecords("POST", TARGET, HEADERS, body, NOW), packed)
                // The ByteBuffer overloads, heap and direct, take it too.
                assertSame(packed, signer.sign("POST", TARGET, HEADERS, ByteBuffer.wrap(body), now = NOW))
                val direct = ByteBuffer.allocateDirect(body.size + 3).put(byteArrayOf(9, 9, 9)).put(body).flip().position(3)
                assertSame(packed, signer.sign("POST", TARGET, HEADERS, direct, now = NOW))
                assertEquals(3, direct.position(), "the body buffer is not consumed")
            }
        }
    }

    @Test
    fun `the signed values are the core's, and a covered non-ASCII value its typed error`() {
        val scheme = Scheme.rfc9421(components = listOf("@method", "x-id", "content-digest"), contentDigest = ContentDigest.SHA512)
        scheme.use { s -> Credentials("k-1", "secret").use { c -> Signer(s, c) } }.use { signer ->
            val signed = signer.sign("POST", TARGET, HEADERS + Header("X-Id", "42"), BODIES[1], now = NOW)
            assertEquals(listOf("content-digest", "signature-input", "signature"), signed.headers.map { it.name.lowercase() })
            assertTrue(signed.headers[0].value.startsWith("sha-512=:"), signed.headers[0].value)
            val text = String(signed.stringToSign, Charsets.UTF_8)
            assertTrue(text.startsWith("\"@method\": POST\n\"x-id\": 42\n\"content-digest\": sha-512=:"), text)
            assertNull(signed.url)
            // rfc9421 refuses to cover a non-ASCII value: the same error through both calls.
            val bad = HEADERS + Header("X-Id", "naïve")
            val packed = assertThrows<HmacSigException> { signer.sign("POST", TARGET, bad, BODIES[1], now = NOW) }
            val record = assertThrows<HmacSigException> { signer.signWithRecords("POST", TARGET, bad, BODIES[1], NOW) }
            assertEquals(ErrorKind.INVALID_REQUEST, packed.kind)
            assertEquals(record.message, packed.message)
        }
    }

    @Test
    fun `a presigned URL comes back`() {
        signer("aws-sigv4-query") { signer ->
            val headers = headersOf("Host" to "s3.amazonaws.com")
            val signed = signer.sign("GET", "/bucket/key", headers, now = NOW)
            val url = requireNotNull(signed.url) { "no presigned URL" }
            assertTrue(url.startsWith("/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&"), url)
            assertTrue(url.contains("&X-Amz-Signature="), url)
            assertSame(signer.signWithRecords("GET", "/bucket/key", headers, ByteArray(0), NOW), signed)
        }
    }

    @Test
    fun `bad headers give the record call's error`() {
        val cases = listOf(
            headersOf("X-Bad" to "a\u0000b"), // a NUL: the record call reports it
            headersOf("X-Bad\u0000" to "v"),
            headersOf("" to ""), // an empty name
            headersOf("X-Bad" to "line\nbreak"),
        )
        assertEquals(listOf(false, false, true, true), cases.map { packs("GET", "/", it, NOW) })
        signer("api-auth") { signer ->
            for (headers in cases) {
                val packed = assertThrows<HmacSigException> { signer.sign("GET", "/", headers, now = NOW) }
                val record = assertThrows<HmacSigException> { signer.signWithRecords("GET", "/", headers, ByteArray(0), NOW) }
                assertEquals(ErrorKind.INVALID_REQUEST, packed.kind)
                assertEquals(record.kind, packed.kind)
                assertEquals(record.message, packed.message)
            }
        }
    }

    @Test
    fun `text that is not UTF-8 and the clock sentinel take the record call`() {
        assertEquals(false, packs("GET", "/\uD800", emptyList(), NOW))
        assertEquals(false, packs("GET", "/", headersOf("X" to "\uDC00x"), NOW))
        assertEquals(false, packs("GET", "/", emptyList(), Long.MIN_VALUE))
        assertEquals(true, packs("GET", "/", emptyList(), null))
        signer("api-auth") { signer ->
            assertThrows<CharacterCodingException> { signer.sign("GET", "/\uD800", emptyList(), now = NOW) }
            // The core refuses that clock through the record call; the layer reports just that.
            val packed = assertThrows<HmacSigException> { signer.sign("GET", "/", HEADERS, now = Long.MIN_VALUE) }
            val record = assertThrows<HmacSigException> { signer.signWithRecords("GET", "/", HEADERS, ByteArray(0), Long.MIN_VALUE) }
            assertEquals(record.kind, packed.kind)
            assertEquals(record.message, packed.message)
        }
    }

    @Test
    fun `now = null is the system clock`() {
        signer("api-auth") { signer ->
            repeat(3) { // the two calls may straddle a second
                val record = signer.signWithRecords("GET", "/", emptyList(), ByteArray(0), null)
                if (record.headers == signer.sign("GET", "/", emptyList()).headers) return@signer
            }
            fail("now = null did not sign at the system time")
        }
    }

    @Test
    fun `a large body and many headers outgrow the scratch buffers`() {
        val headers = (1..2000).map { Header("X-H$it", "v".repeat(it % 50) + "é") }
        val body = ByteArray(200_000) { (it * 7).toByte() }
        signer("api-auth") { signer ->
            assertSame(signer.signWithRecords("PUT", "/big", headers, body, NOW), signer.sign("PUT", "/big", headers, body, now = NOW))
            // And the small path still works after.
            assertSame(signer.signWithRecords("GET", "/", HEADERS, BODIES[1], NOW), signer.sign("GET", "/", HEADERS, BODIES[1], now = NOW))
        }
    }

    @Test
    fun `the result layout is unpacked as core-src-packed-rs writes it`() {
        val buf = byteArrayOf(2, 0, 0, 0, 4, 0, 0, 0) + "Date".toByteArray() + byteArrayOf(3, 0, 0, 0) + "é".toByteArray() + 'x'.code.toByte() +
            byteArrayOf(13, 0, 0, 0) +
            "Authorization".toByteArray() + byteArrayOf(2, 0, 0, 0, 'y'.code.toByte(), 'z'.code.toByte(), 3, 0, 0, 0) +
            "/u".toByteArray() + byteArrayOf('s'.code.toByte(), 0, 't'.code.toByte())
        val signed = unpackSigned(buf)
        assertEquals(headersOf("Date" to "éx", "Authorization" to "yz"), signed.headers)
        assertEquals("/u", signed.url)
        assertArrayEquals(byteArrayOf('s'.code.toByte(), 0, 't'.code.toByte()), signed.stringToSign)
        val empty = unpackSigned(ByteArray(8))
        assertEquals(emptyList<Header>(), empty.headers)
        assertNull(empty.url)
        assertArrayEquals(ByteArray(0), empty.stringToSign)
    }
}
