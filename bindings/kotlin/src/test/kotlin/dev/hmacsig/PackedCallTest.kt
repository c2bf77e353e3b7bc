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
import java.util.Random
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

// Signer.sign takes the packed hot path (core/src/packed.rs) through the raw C entry
// (core/src/raw_abi.rs, RawCall.kt) when it can, the generated packed call when the entry
// fails or is unavailable, and the record call when the packed layout cannot carry the input:
// all must give the same result, or the same typed error.

private const val NOW = 1_700_000_000L
private const val TARGET = "/v1/orders?b=2&a=1"
private val SCHEMES: Map<String, () -> Scheme> = mapOf(
    "api-auth" to { Scheme.apiAuth(digest = "sha256", headersToSign = listOf("X-Request-Id")) },
    "api-auth-sha1" to { Scheme.apiAuth() },
    "path-body-hex" to { Scheme.pathBodyHex(digest = "sha256") },
    "timestamped" to { Scheme.timestamped() },
    "aws-sigv4" to { Scheme.awsSigv4("us-east-1", "s3", signBody = true) },
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

/** Whether [Signer.sign] takes the packed call for these inputs (it signs, or throws the core's error). */
private fun Signer.packs(method: String, target: String, headers: List<Header>, now: Long?): Boolean =
    try {
        withAddress { s, address -> signPacked(s, address, method, target, headers, ByteBuffer.allocate(0), now) } != null
    } catch (e: HmacSigException) {
        true
    }

private fun assertSame(expected: SignedRequest, actual: SignedRequest?, what: String = "") {
    requireNotNull(actual) { "no result $what" }
    assertEquals(expected.headers, actual.headers, what)
    assertArrayEquals(expected.stringToSign, actual.stringToSign, what)
    assertEquals(expected.url, actual.url, what)
}

/** The result of [call], or its typed error as (kind, message). */
private fun outcome(call: () -> SignedRequest?): Any? =
    try {
        call()?.let { Triple(it.headers, String(it.stringToSign, Charsets.ISO_8859_1), it.url) }
    } catch (e: HmacSigException) {
        e.kind to e.message
    }

/** A random request, often odd: lower-case or empty methods, absolute targets, non-ASCII text, bad header values. */
private class RandomRequest(rng: Random) {
    private fun Random.pick(vararg options: String) = options[nextInt(options.size)]
    private fun Random.word(min: Int, max: Int): String {
        val alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%+é✓"
        return String(CharArray(min + nextInt(max - min + 1)) { alphabet[nextInt(alphabet.length)] })
    }

    val method = rng.pick("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "get", "post", "")
    val target = buildString {
        if (rng.nextInt(3) == 0) append("https://").append(rng.pick("api", "s3", "b")).append(".example.com")
        repeat(1 + rng.nextInt(3)) { append('/').append(rng.word(1, 8)) }
        if (rng.nextBoolean()) {
            append('?')
            append((0..rng.nextInt(3)).joinToString("&") { "${rng.word(1, 5)}=${rng.word(0, 6)}" })
        }
        if (rng.nextInt(25) == 0) append(' ') // refused by the core
    }
    val headers = buildList {
        add(Header("Host", "api.example.com"))
        if (rng.nextBoolean()) add(Header("X-Request-Id", rng.word(0, 12)))
        if (rng.nextBoolean()) add(Header("Content-Type", rng.pick("application/json", "text/plain; charset=utf-8", "")))
        repeat(rng.nextInt(3)) { add(Header("X-" + rng.word(1, 6).filter { it.isLetterOrDigit() && it.code < 0x80 }.ifEmpty { "A" }, rng.word(0, 10))) }
        if (rng.nextInt(20) == 0) add(Header("X-Bad", "line\nbreak"))
        if (rng.nextInt(20) == 0) add(Header("", "no name"))
        shuffle(rng)
    }
    val body = ByteArray(if (rng.nextBoolean()) rng.nextInt(300) else 0).also(rng::nextBytes)
    val direct = rng.nextInt(4) == 0

    fun bodyBuffer(): ByteBuffer = if (direct) ByteBuffer.allocateDirect(body.size).put(body).flip() else ByteBuffer.wrap(body)

    override fun toString() = "$method $target $headers (${body.size} body bytes${if (direct) ", direct" else ""})"
}

class PackedCallTest {
    @Test
    fun `the raw entry is bound on this platform`() {
        // Else Signer.sign silently takes the slower generated call: results alike, the point lost.
        assertTrue(rawCallAvailable)
    }

    @Test
    fun `raw, generated packed and record calls agree over random requests for every scheme`() {
        val rng = Random(0x5eed_7a3L)
        var (errors, cases) = 0 to 0
        for (scheme in SCHEMES.keys) signer(scheme) { signer ->
            repeat(120) { case ->
                val r = RandomRequest(rng)
                val what = "$scheme case $case: $r"
                val record = outcome { signer.signWithRecords(r.method, r.target, r.headers, r.body, NOW) }
                val raw = outcome { signer.sign(r.method, r.target, r.headers, r.bodyBuffer(), NOW) }
                val generated = outcome { signer.signWithGeneratedPacked(r.method, r.target, r.headers, r.body, NOW) }
                assertEquals(record, raw, what)
                assertEquals(record, generated, what)
                if (record is Pair<*, *>) errors++
                cases++
            }
        }
        // Both outcomes were exercised; an error is the fallback from the raw entry to the generated call.
        assertTrue(errors in 1 until cases, "$errors errors in $cases cases")
    }

    @Test
    fun `the binding passes every argument where the entry expects it`() {
        signer("aws-sigv4-query") { signer ->
            val method = "PUT".toByteArray()
            val target = "/bucket/ké y?x=1".toByteArray()
            val headers = "Host\u0000s3.amazonaws.com\u0000X-Amz-Meta-A\u0000b".toByteArray()
            val body = ByteArray(77) { (it * 3).toByte() }
            val input = DirectBytes(1024)
            input.buffer.put(method).put(target).put(headers).put(body)
            val expected = signer.withAddress { s, _ ->
                val b = input.buffer
                s.signPacked(b.slice(0, 3), b.slice(3, target.size), b.slice(3 + target.size, headers.size), b.slice(3 + target.size + headers.size, 77), NOW)
            }
            val call = { out: DirectBytes, cap: Int ->
                signer.withAddress { _, address ->
                    val a = input.address
                    RawEntry.hmacsig_sign_packed_into(
                        address, a, 3, a + 3, target.size.toLong(), a + 3 + target.size, headers.size.toLong(),
                        a + 3 + target.size + headers.size, 77, NOW, out.address, cap.toLong(),
                    )
                }
            }
            // Too small by one: the size it needs back, nothing written.
            val small = DirectBytes(expected.size)
            small.buffer.put(0, ByteArray(expected.size) { 0x55 })
            assertEquals(expected.size.toLong(), call(small, expected.size - 1))
            assertTrue((0 until expected.size).all { small.buffer.get(it) == 0x55.toByte() })
            assertEquals(expected.size.toLong(), call(small, expected.size))
            assertArrayEquals(expected, ByteArray(expected.size).also { small.buffer.get(0, it) })
            val url = requireNotNull(unpackSigned(expected).url)
            assertTrue(url.startsWith("/bucket/ké y?x=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&"), url)
        }
    }

    @Test
    fun `refused input is the entry's failure, then the generated call's typed error`() {
        signer("api-auth") { signer ->
            val input = DirectBytes(64)
            input.buffer.put("GET/\u0000".toByteArray()) // a header list "\u0000": an empty name and value
            val out = DirectBytes(4096)
            val n = signer.withAddress { _, address ->
                RawEntry.hmacsig_sign_packed_into(address, input.address, 3, input.address + 3, 1, input.address + 4, 1, 0, 0, NOW, out.address, 4096)
            }
            assertEquals(RAW_FAILED, n)
            val e = assertThrows<HmacSigException> { signer.sign("GET", "/", headersOf("" to ""), now = NOW) }
            assertEquals(ErrorKind.INVALID_REQUEST, e.kind)
            assertEquals(assertThrows<HmacSigException> { signer.signWithRecords("GET", "/", headersOf("" to ""), ByteArray(0), NOW) }.message, e.message)
        }
    }

    @Test
    fun `packed equals record for every scheme and body`() {
        for (scheme in SCHEMES.keys) signer(scheme) { signer ->
            assertTrue(signer.packs("POST", TARGET, HEADERS, NOW))
            for (body in BODIES) {
                val packed = signer.sign("POST", TARGET, HEADERS, body, now = NOW)
                assertSame(signer.signWithRecords("POST", TARGET, HEADERS, body, NOW), packed)
                assertSame(packed, signer.signWithGeneratedPacked("POST", TARGET, HEADERS, body, NOW))
                // The ByteBuffer overloads, heap (a slice with an offset) and direct, take it too.
                val heap = ByteBuffer.wrap(byteArrayOf(8, 8) + body + byteArrayOf(8), 2, body.size).slice()
                assertSame(packed, signer.sign("POST", TARGET, HEADERS, heap, now = NOW))
                val direct = ByteBuffer.allocateDirect(body.size + 3).put(byteArrayOf(9, 9, 9)).put(body).flip().position(3)
                assertSame(packed, signer.sign("POST", TARGET, HEADERS, direct, now = NOW))
                assertEquals(3, direct.position(), "the body buffer is not consumed")
                assertSame(packed, signer.sign("POST", TARGET, HEADERS, direct.asReadOnlyBuffer(), now = NOW))
                assertSame(packed, signer.sign("POST", TARGET, HEADERS, direct.slice().position(0), now = NOW))
                val sliced = ByteBuffer.allocateDirect(body.size + 8).position(5).put(body).flip().position(5).slice()
                assertSame(packed, signer.sign("POST", TARGET, HEADERS, sliced, now = NOW)) // an address 5 bytes in
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
            // rfc9421 refuses to cover a non-ASCII value: the same error through every call.
            val bad = HEADERS + Header("X-Id", "naïve")
            val packed = assertThrows<HmacSigException> { signer.sign("POST", TARGET, bad, BODIES[1], now = NOW) }
            val record = assertThrows<HmacSigException> { signer.signWithRecords("POST", TARGET, bad, BODIES[1], NOW) }
            val generated = assertThrows<HmacSigException> { signer.signWithGeneratedPacked("POST", TARGET, bad, BODIES[1], NOW) }
            assertEquals(ErrorKind.INVALID_REQUEST, packed.kind)
            assertEquals(record.message, packed.message)
            assertEquals(record.message, generated.message)
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
        signer("api-auth") { signer ->
            assertEquals(listOf(false, false, true, true), cases.map { signer.packs("GET", "/", it, NOW) })
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
        signer("api-auth") { signer ->
            assertEquals(false, signer.packs("GET", "/\uD800", emptyList(), NOW))
            assertEquals(false, signer.packs("GET", "/", headersOf("X" to "\uDC00x"), NOW))
            assertEquals(false, signer.packs("GET", "/", emptyList(), Long.MIN_VALUE))
            assertEquals(true, signer.packs("GET", "/", emptyList(), null))
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
            val direct = ByteBuffer.allocateDirect(body.size).put(body).flip()
            assertSame(signer.signWithRecords("PUT", "/big", headers, body, NOW), signer.sign("PUT", "/big", headers, direct, now = NOW))
            // And the small path still works after.
            assertSame(signer.signWithRecords("GET", "/", HEADERS, BODIES[1], NOW), signer.sign("GET", "/", HEADERS, BODIES[1], now = NOW))
        }
    }

    @Test
    fun `a result bigger than the output buffer grows it and signs again`() {
        // rfc9421 covering every header: the signature base and Signature-Input grow with them.
        for ((count, past) in listOf(150 to 4096, 3000 to 64 * 1024)) {
            val names = (1..count).map { "x-covered-$it" }
            val headers = headersOf("Host" to "api.example.com") + names.map { Header(it, "value-$it") }
            Scheme.rfc9421(components = listOf("@method") + names).use { s -> Credentials("k-1", "secret").use { c -> Signer(s, c) } }.use { signer ->
                val signed = signer.sign("POST", TARGET, headers, BODIES[1], now = NOW)
                val record = signer.signWithRecords("POST", TARGET, headers, BODIES[1], NOW)
                assertSame(record, signed, "$count covered headers")
                // Past the first output buffer (4 KiB), then past what a thread keeps (64 KiB).
                val size = signed.stringToSign.size + signed.headers.sumOf { it.name.length + it.value.length }
                assertTrue(size > past, "$count covered headers: $size bytes")
            }
            // And a small request still signs after, on this thread's grown buffers.
            signer("api-auth") { small ->
                assertSame(small.signWithRecords("GET", "/", HEADERS, BODIES[1], NOW), small.sign("GET", "/", HEADERS, BODIES[1], now = NOW))
            }
        }
    }

    @Test
    fun `a nested sign from the caller's own header list gets its own buffers`() {
        signer("api-auth") { signer ->
            val expectedInner = signer.sign("GET", "/inner", HEADERS, BODIES[2], now = NOW)
            var inner: SignedRequest? = null
            // A List whose iteration signs on the same thread, mid-packing of the outer call.
            val signingList = object : AbstractList<Header>() {
                override val size get() = HEADERS.size
                override fun get(index: Int): Header {
                    if (index == 1 && inner == null) inner = signer.sign("GET", "/inner", HEADERS, BODIES[2], now = NOW)
                    return HEADERS[index]
                }
            }
            val outer = signer.sign("POST", TARGET, signingList, BODIES[1], now = NOW)
            assertSame(expectedInner, inner)
            assertSame(signer.signWithRecords("POST", TARGET, HEADERS, BODIES[1], NOW), outer)
        }
    }

    @Test
    fun `concurrent signing from several threads gives each thread its own result`() {
        signer("aws-sigv4") { signer ->
            val requests = (0 until 64).map { i -> Triple("/objects/$i?part=${i * 7}", headersOf("Host" to "s3.amazonaws.com", "X-Amz-Meta-I" to "$i"), ByteArray(i * 5) { i.toByte() }) }
            val expected = requests.map { (t, h, b) -> signer.signWithRecords("PUT", t, h, b, NOW) }
            val pool = Executors.newFixedThreadPool(6)
            val start = CountDownLatch(1)
            try {
                val futures = (0 until 6).map { worker ->
                    pool.submit<Int> {
                        start.await()
                        var checked = 0
                        repeat(300) { k ->
                            val i = (k * 13 + worker * 5) % requests.size
                            val (t, h, b) = requests[i]
                            assertSame(expected[i], signer.sign("PUT", t, h, b, now = NOW), "worker $worker request $i")
                            checked++
                        }
                        checked
                    }
                }
                start.countDown()
                assertEquals(6 * 300, futures.sumOf { it.get(60, TimeUnit.SECONDS) })
            } finally {
                pool.shutdownNow()
            }
        }
    }

    @Test
    fun `a closed signer refuses, and a close while others sign waits for their calls`() {
        val scheme = Scheme.apiAuth(digest = "sha256")
        val credentials = Credentials("k-1", "secret")
        val signer = Signer(scheme, credentials)
        scheme.close()
        credentials.close()
        val expected = signer.signWithRecords("POST", TARGET, HEADERS, BODIES[2], NOW)
        val pool = Executors.newFixedThreadPool(4)
        try {
            val started = CountDownLatch(4)
            val futures = (0 until 4).map {
                pool.submit<Int> {
                    started.countDown()
                    var signed = 0
                    while (true) {
                        val result = try {
                            signer.sign("POST", TARGET, HEADERS, BODIES[2], now = NOW)
                        } catch (e: IllegalStateException) {
                            assertEquals("this Signer has been closed", e.message)
                            return@submit signed
                        }
                        assertSame(expected, result)
                        signed++
                    }
                    @Suppress("UNREACHABLE_CODE")
                    signed
                }
            }
            started.await()
            Thread.sleep(50)
            signer.close()
            assertTrue(futures.sumOf { it.get(60, TimeUnit.SECONDS) } > 0)
        } finally {
            pool.shutdownNow()
        }
        assertTrue(signer.isClosed)
        val e = assertThrows<IllegalStateException> { signer.sign("GET", "/", emptyList(), now = NOW) }
        assertEquals("this Signer has been closed", e.message)
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
        // Only the first `size` bytes are the result (the rest of a reused buffer is not).
        assertArrayEquals(byteArrayOf('s'.code.toByte()), unpackSigned(buf + byteArrayOf(1, 2), buf.size - 2).stringToSign)
        val empty = unpackSigned(ByteArray(8))
        assertEquals(emptyList<Header>(), empty.headers)
        assertNull(empty.url)
        assertArrayEquals(ByteArray(0), empty.stringToSign)
    }
}
