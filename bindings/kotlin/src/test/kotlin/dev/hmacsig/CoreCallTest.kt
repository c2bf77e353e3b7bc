package dev.hmacsig

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.nio.ByteBuffer
import java.util.HexFormat
import java.util.Random
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import dev.hmacsig.ffi.HmacSigException as FfiException

// The one call path (CoreCall.kt, docs/ffi.md): its codec against the golden bytes of
// tests/vectors/ffi/codec.json, its results against the generated record call that remains
// (signWithBodyDigest, byte for byte what signing the body gives), its buffers, and objects
// closed under running calls.

private const val NOW = 1_700_000_000L
private const val TARGET = "/v1/orders?b=2&a=1"
private val HEX = HexFormat.of()
private val HEADERS = headersOf(
    "Host" to "api.example.com",
    "Content-Type" to "application/json",
    "X-Request-Id" to "",
    "X-Note" to "naïve ✓ 𝄞",
)
private val BODIES = listOf(ByteArray(0), """{"id":7}""".toByteArray(), ByteArray(256) { it.toByte() })

/** The schemes whose signWithBodyDigest equals sign with the body itself. */
private val DIGEST_SCHEMES: Map<String, () -> Scheme> = mapOf(
    "api-auth" to { Scheme.apiAuth(digest = "sha256", headersToSign = listOf("X-Request-Id")) },
    "aws-sigv4" to { Scheme.awsSigv4("us-east-1", "s3", signBody = true) },
    "aws-sigv4-query" to { Scheme.awsSigv4("us-east-1", "s3", signatureType = SignatureType.QUERY) },
    "rfc9421" to { Scheme.rfc9421(contentDigest = ContentDigest.SHA512) },
)

private fun <R> signer(scheme: () -> Scheme, block: (Signer) -> R): R =
    scheme().use { s -> Credentials("k-1", "secret").use { c -> Signer(s, c).use(block) } }

/** What the generated record call gives for the same request: the body as its digest. */
private fun Signer.byDigest(method: String, target: String, headers: List<Header>, body: ByteArray, now: Long): SignedRequest {
    val digest = bodyHasher().use { it.update(body); it.finish() }
    return signWithBodyDigest(method, target, headers, digest, now)
}

private fun assertSame(expected: SignedRequest, actual: SignedRequest, what: String = "") {
    assertEquals(expected.headers, actual.headers, what)
    assertArrayEquals(expected.stringToSign, actual.stringToSign, what)
    assertEquals(expected.url, actual.url, what)
}

/** The result of [call], or its typed error as (kind, message). */
private fun outcome(call: () -> SignedRequest): Any =
    try {
        call().let { Triple(it.headers, HEX.formatHex(it.stringToSign), it.url) }
    } catch (e: HmacSigException) {
        e.kind to e.message
    }

private fun headers(json: JSONArray): List<Header> = (0 until json.length()).map { json.getJSONArray(it).let { h -> Header(h.getString(0), h.getString(1)) } }

private fun JSONObject.list(name: String): List<JSONObject> = getJSONArray(name).let { a -> (0 until a.length()).map { a.getJSONObject(it) } }

class CoreCallCodecTest {
    private val golden = JSONObject(File("../../tests/vectors/ffi/codec.json").readText())

    @Test
    fun `requests and responses encode to the golden text and counts`() {
        for (r in golden.list("requests")) {
            val (text, counts) = CoreCall.session { it.request(r.getString("method"), r.getString("target"), headers(r.getJSONArray("headers"))); it.encoded() }
            assertEquals(r.getString("text_hex"), HEX.formatHex(text), r.toString())
            assertEquals(r.getLong("counts"), counts, r.toString())
        }
        for (r in golden.list("responses")) {
            val request = r.optJSONObject("request")?.let { Request(it.getString("method"), it.getString("target"), headers(it.getJSONArray("headers")), ByteArray(0)) }
            val response = Response(r.getInt("status"), headers(r.getJSONArray("headers")))
            val (text, counts) = CoreCall.session { it.response(response, request); it.encoded() }
            assertEquals(r.getString("text_hex"), HEX.formatHex(text), r.toString())
            assertEquals(r.getLong("counts"), counts, r.toString())
        }
    }

    @Test
    fun `every golden result decodes to what it states`() {
        val kinds = golden.getJSONArray("kinds").let { a -> (0 until a.length()).map { a.getString(it) } }
        var (signed, keyIds, errors) = Triple(0, 0, 0)
        for (r in golden.list("results")) {
            val bytes = HEX.parseHex(r.getString("bytes_hex"))
            // Decoded from a reused buffer: only the first `size` bytes are the result.
            val buf = bytes + byteArrayOf(0x55, 0x55)
            when {
                r.has("signed") -> {
                    val s = r.getJSONObject("signed")
                    val url = if (s.isNull("url")) null else s.getString("url")
                    assertSame(SignedRequest(headers(s.getJSONArray("headers")), HEX.parseHex(s.getString("string_to_sign_hex")), url), CoreCall.decodeSigned(buf, bytes.size), r.toString())
                    signed++
                }
                r.has("key_id") -> {
                    assertEquals(r.getString("key_id"), CoreCall.decodeKeyId(buf, bytes.size))
                    keyIds++
                }
                else -> {
                    val e = r.getJSONObject("error")
                    val fields = e.getJSONArray("fields").let { a -> (0 until a.length()).map { a.getString(it) } }
                    val error = CoreCall.decodeError(buf, bytes.size)
                    val (kind, decoded) = when (error) {
                        is FfiException.UnknownKey -> "unknown_key" to listOf(error.reason, error.keyId)
                        is FfiException.BadSignature -> "bad_signature" to listOf(error.reason, error.stringToSign)
                        else -> error.toPublic().kind.code to listOf(error.toPublic().message)
                    }
                    assertEquals(e.getString("kind"), kind)
                    assertEquals(fields, decoded)
                    // The public error carries the same fields; the signed and key id decoders throw it.
                    val public = assertThrows<HmacSigException> { CoreCall.decodeSigned(buf, bytes.size) }
                    assertEquals(e.getString("kind"), public.kind.code)
                    assertEquals(fields[0], public.message)
                    assertEquals(if (kind == "unknown_key") fields[1] else null, public.keyId)
                    assertEquals(if (kind == "bad_signature") fields[1] else null, public.stringToSign)
                    assertEquals(public.kind, assertThrows<HmacSigException> { CoreCall.decodeKeyId(buf, bytes.size) }.kind)
                    errors++
                }
            }
        }
        assertTrue(signed > 0 && keyIds > 0 && errors > 0, "$signed $keyIds $errors")
        // The codes are the ErrorKinds in the documented order.
        assertEquals(kinds, ErrorKind.entries.map { it.code })
        for ((code, kind) in kinds.withIndex()) {
            val error = CoreCall.decodeError(byteArrayOf(2, code.toByte(), 2, 0, 0, 0, 1, 0, 0, 0, 'r'.code.toByte(), 'x'.code.toByte()), 12)
            assertEquals(kind, error.toPublic().kind.code)
            assertEquals("r", error.toPublic().message)
        }
    }
}

/** A random request, often odd: lower-case or empty methods, absolute targets, non-ASCII text, bad header values. */
private class RandomRequest(rng: Random) {
    private fun Random.pick(vararg options: String) = options[nextInt(options.size)]
    private fun Random.word(min: Int, max: Int): String {
        val alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%+é✓"
        return String(CharArray(min + nextInt(max - min + 1)) { alphabet[nextInt(alphabet.length)] })
    }

    val method = rng.pick("GET", "POST", "PUT", "PATCH", "DELETE", "get", "post", "")
    val target = buildString {
        if (rng.nextInt(3) == 0) append("https://").append(rng.pick("api", "s3", "b")).append(".example.com")
        repeat(1 + rng.nextInt(3)) { append('/').append(rng.word(1, 8)) }
        if (rng.nextBoolean()) append('?').append((0..rng.nextInt(3)).joinToString("&") { "${rng.word(1, 5)}=${rng.word(0, 6)}" })
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

class CoreCallTest {
    @Test
    fun `the entry and the generated record call agree over random requests`() {
        val rng = Random(0x5eed_7a3L)
        var (errors, cases) = 0 to 0
        for ((name, scheme) in DIGEST_SCHEMES) signer(scheme) { signer ->
            repeat(120) { case ->
                val r = RandomRequest(rng)
                val what = "$name case $case: $r"
                val record = outcome { signer.byDigest(r.method, r.target, r.headers, r.body, NOW) }
                assertEquals(record, outcome { signer.sign(r.method, r.target, r.headers, r.bodyBuffer(), NOW) }, what)
                assertEquals(record, outcome { signer.signRequest(Request(r.method, r.target, r.headers, r.body), NOW) }, what)
                if (record is Pair<*, *>) errors++
                cases++
            }
        }
        assertTrue(errors in 1 until cases, "$errors errors in $cases cases")
    }

    @Test
    fun `every body form signs the same, and a direct buffer is read in place`() {
        for (scheme in DIGEST_SCHEMES.values) signer(scheme) { signer ->
            for (body in BODIES) {
                val expected = signer.byDigest("POST", TARGET, HEADERS, body, NOW)
                assertSame(expected, signer.sign("POST", TARGET, HEADERS, body, now = NOW))
                val heap = ByteBuffer.wrap(byteArrayOf(8, 8) + body + byteArrayOf(8), 2, body.size).slice()
                assertSame(expected, signer.sign("POST", TARGET, HEADERS, heap, now = NOW))
                assertSame(expected, signer.sign("POST", TARGET, HEADERS, heap.asReadOnlyBuffer(), now = NOW))
                val direct = ByteBuffer.allocateDirect(body.size + 3).put(byteArrayOf(9, 9, 9)).put(body).flip().position(3)
                assertSame(expected, signer.sign("POST", TARGET, HEADERS, direct, now = NOW))
                assertEquals(3, direct.position(), "the body buffer is not consumed")
                assertSame(expected, signer.sign("POST", TARGET, HEADERS, direct.asReadOnlyBuffer(), now = NOW))
                val sliced = ByteBuffer.allocateDirect(body.size + 8).position(5).put(body).flip().position(5).slice()
                assertSame(expected, signer.sign("POST", TARGET, HEADERS, sliced, now = NOW)) // an address 5 bytes in
            }
        }
    }

    @Test
    fun `a large body and many headers outgrow the thread's buffers, and small calls work after`() {
        val headers = (1..2000).map { Header("X-H$it", "v".repeat(it % 50) + "é") }
        val body = ByteArray(200_000) { (it * 7).toByte() }
        signer(DIGEST_SCHEMES.getValue("api-auth")) { signer ->
            val expected = signer.byDigest("PUT", "/big", headers, body, NOW)
            assertSame(expected, signer.sign("PUT", "/big", headers, body, now = NOW))
            assertSame(expected, signer.sign("PUT", "/big", headers, ByteBuffer.allocateDirect(body.size).put(body).flip(), now = NOW))
            assertSame(signer.byDigest("GET", "/", HEADERS, BODIES[1], NOW), signer.sign("GET", "/", HEADERS, BODIES[1], now = NOW))
        }
    }

    @Test
    fun `a result larger than the output buffer is fetched, not signed again`() {
        // rfc9421 covering every header: the signature base and Signature-Input grow with them.
        for ((count, past) in listOf(150 to 4096, 3000 to 64 * 1024)) {
            val names = (1..count).map { "x-covered-$it" }
            val headers = headersOf("Host" to "api.example.com") + names.map { Header(it, "value-$it") }
            signer({ Scheme.rfc9421(components = listOf("@method") + names) }) { signer ->
                val signed = signer.sign("POST", TARGET, headers, BODIES[1], now = NOW)
                assertSame(signer.byDigest("POST", TARGET, headers, BODIES[1], NOW), signed, "$count covered headers")
                val size = signed.stringToSign.size + signed.headers.sumOf { it.name.length + it.value.length }
                assertTrue(size > past, "$count covered headers: $size bytes")
            }
        }
        // A bad signature whose string to sign holds a 100 kB body: an error result past the buffer.
        Scheme.pathBodyHex("sha256").use { scheme ->
            ReplayGuard().use { guard ->
                Verifier.withKeys(scheme, mapOf("k" to "s"), replayGuard = guard).use { verifier ->
                    val body = ByteArray(100_000) { 'x'.code.toByte() }
                    val e = assertThrows<HmacSigException> { verifier.verify("POST", "/up", headersOf("Authorization" to "k:00"), body, NOW) }
                    assertEquals(ErrorKind.BAD_SIGNATURE, e.kind)
                    assertTrue(e.stringToSign!!.endsWith("x".repeat(100_000)))
                }
            }
        }
    }

    @Test
    fun `input the layout cannot carry is refused, typed or by the JDK's encoder`() {
        signer(DIGEST_SCHEMES.getValue("api-auth")) { signer ->
            // A NUL in a field: more fields than declared, refused by the core, never mis-split.
            for (headers in listOf(headersOf("X-Bad" to "a\u0000b"), headersOf("X-Bad\u0000" to "v"))) {
                val e = assertThrows<HmacSigException> { signer.sign("GET", "/", headers, now = NOW) }
                assertEquals(ErrorKind.INVALID_REQUEST, e.kind)
                assertEquals("a method, target, status or header holds a NUL byte, which HTTP does not allow", e.message)
            }
            assertEquals(ErrorKind.INVALID_REQUEST, assertThrows<HmacSigException> { signer.sign("GET\u0000", "/", emptyList(), now = NOW) }.kind)
            // A lone surrogate is no text UTF-8 can carry; Long.MIN_VALUE is the entry's "system clock".
            for (bad in listOf<() -> Unit>(
                { signer.sign("GET", "/\uD800", emptyList(), now = NOW) },
                { signer.sign("GET", "/", headersOf("X" to "\uDC00x"), now = NOW) },
                { signer.sign("GET", "/", emptyList(), now = Long.MIN_VALUE) },
            )) {
                assertEquals(ErrorKind.INVALID_REQUEST, assertThrows<HmacSigException> { bad() }.kind)
            }
            // And the thread's buffers still work.
            assertSame(signer.byDigest("GET", "/", HEADERS, BODIES[2], NOW), signer.sign("GET", "/", HEADERS, BODIES[2], now = NOW))
        }
    }

    @Test
    fun `now = null is the system clock`() {
        signer(DIGEST_SCHEMES.getValue("api-auth")) { signer ->
            repeat(3) { // the two calls may straddle a second
                val clock = signer.sign("GET", "/", emptyList()).headers
                if (clock == signer.sign("GET", "/", emptyList(), now = System.currentTimeMillis() / 1000).headers) return@signer
            }
            fail("now = null did not sign at the system time")
        }
    }

    @Test
    fun `a nested sign from the caller's own header list gets its own buffers`() {
        signer(DIGEST_SCHEMES.getValue("api-auth")) { signer ->
            val expectedInner = signer.sign("GET", "/inner", HEADERS, BODIES[2], now = NOW)
            var inner: SignedRequest? = null
            val signingList = object : AbstractList<Header>() {
                override val size get() = HEADERS.size
                override fun get(index: Int): Header {
                    if (index == 1 && inner == null) inner = signer.sign("GET", "/inner", HEADERS, BODIES[2], now = NOW)
                    return HEADERS[index]
                }
            }
            val outer = signer.sign("POST", TARGET, signingList, BODIES[1], now = NOW)
            assertSame(expectedInner, inner!!)
            assertSame(signer.sign("POST", TARGET, HEADERS, BODIES[1], now = NOW), outer)
        }
    }

    @Test
    fun `concurrent signing from several threads gives each thread its own result`() {
        signer(DIGEST_SCHEMES.getValue("aws-sigv4")) { signer ->
            val requests = (0 until 64).map { i -> Triple("/objects/$i?part=${i * 7}", headersOf("Host" to "s3.amazonaws.com", "X-Amz-Meta-I" to "$i"), ByteArray(i * 5) { i.toByte() }) }
            val expected = requests.map { (t, h, b) -> signer.byDigest("PUT", t, h, b, NOW) }
            val pool = Executors.newFixedThreadPool(6)
            try {
                val futures = (0 until 6).map { worker ->
                    pool.submit<Int> {
                        repeat(300) { k ->
                            val i = (k * 13 + worker * 5) % requests.size
                            val (t, h, b) = requests[i]
                            assertSame(expected[i], signer.sign("PUT", t, h, b, now = NOW), "worker $worker request $i")
                        }
                        300
                    }
                }
                assertEquals(6 * 300, futures.sumOf { it.get(60, TimeUnit.SECONDS) })
            } finally {
                pool.shutdownNow()
            }
        }
    }

    @Test
    fun `responses sign and verify through the entry, with and without a lookup`() {
        Scheme.rfc9421(listOf("@status", "content-type", "@method;req"), contentDigest = ContentDigest.SHA256).use { scheme ->
            Credentials("server", "s3cret").use { credentials ->
                val request = Request("POST", "/orders", headersOf("Host" to "api.example.com"), ByteArray(0))
                val response = Response(201, headersOf("Content-Type" to "text/plain"), "made".toByteArray())
                val signed = Signer(scheme, credentials).use { it.signResponse(response, request, NOW) }
                assertSame(signed, signResponse(scheme, credentials, response, request, NOW))
                val received = response.copy(headers = response.headers + signed.headers)
                Verifier.withCredentials(scheme, credentials).use { assertEquals("server", it.verifyResponse(received, request, NOW)) }
                Verifier.withLookup(scheme, { if (it == "server") "s3cret".toByteArray() else null }).use { verifier ->
                    assertEquals("server", verifier.verifyResponse(received, request, NOW))
                    val other = Request("GET", "/orders", request.headers, ByteArray(0))
                    assertEquals(ErrorKind.BAD_SIGNATURE, assertThrows<HmacSigException> { verifier.verifyResponse(received, other, NOW) }.kind)
                }
                Verifier.withLookup(scheme, { ByteArray(0) }).use { verifier ->
                    // An empty secret is a secret (a non-null pointer): a bad signature, not an unknown key.
                    assertEquals(ErrorKind.BAD_SIGNATURE, assertThrows<HmacSigException> { verifier.verifyResponse(received, request, NOW) }.kind)
                }
            }
        }
    }

    @Test
    fun `a lookup verifier reports a missing key id as the core does, without asking the lookup`() {
        Scheme.apiAuth().use { scheme ->
            Verifier.withLookup(scheme, { fail("the lookup was asked") }).use { verifier ->
                val e = assertThrows<HmacSigException> { verifier.verify("GET", "/", emptyList(), now = NOW) }
                assertEquals(ErrorKind.MISSING_AUTHORIZATION, e.kind)
                assertEquals("the request has no Authorization header", e.message)
            }
        }
    }
}

class CoreCallLifetimeTest {
    /**
     * Closes [owner] from this thread while two threads call [call] in a loop: each call returns
     * [expected] or throws the closed error, never anything else, and the process never crashes.
     */
    private fun <T> closeUnderRunningCalls(owner: AutoCloseable, what: String, expected: T, call: () -> T) {
        val pool = Executors.newFixedThreadPool(2)
        try {
            val started = CountDownLatch(2)
            val futures = (0 until 2).map {
                pool.submit<Int> {
                    started.countDown()
                    var done = 0
                    while (true) {
                        val result = try {
                            call()
                        } catch (e: IllegalStateException) {
                            assertEquals("this $what has been closed", e.message)
                            return@submit done
                        }
                        assertEquals(expected, result)
                        done++
                    }
                    @Suppress("UNREACHABLE_CODE")
                    done
                }
            }
            started.await()
            Thread.sleep(30)
            owner.close()
            futures.forEach { it.get(60, TimeUnit.SECONDS) }
        } finally {
            pool.shutdownNow()
        }
    }

    @Test
    fun `a Signer closed under running calls finishes them, then refuses`() {
        val body = ByteArray(32 shl 20) { 7 }
        val direct = ByteBuffer.allocateDirect(body.size).put(body).flip()
        repeat(2) { round ->
            val signer = Scheme.pathBodyHex("sha256").use { s -> Credentials("k-1", "secret").use { c -> Signer(s, c) } }
            val expected = signer.sign("POST", "/up", emptyList(), body, NOW).headers
            // A heap body (copied per call) in one round, a direct one (read in place) in the other.
            closeUnderRunningCalls(signer, "Signer", expected) {
                if (round == 0) signer.sign("POST", "/up", emptyList(), body, NOW).headers else signer.sign("POST", "/up", emptyList(), direct, NOW).headers
            }
            assertTrue(signer.isClosed)
            assertEquals("this Signer has been closed", assertThrows<IllegalStateException> { signer.sign("GET", "/", emptyList(), now = NOW) }.message)
        }
    }

    @Test
    fun `a Verifier closed under running calls finishes them, then refuses`() {
        val body = ByteArray(32 shl 20) { 7 }
        val auth = Scheme.pathBodyHex("sha256").use { s -> Credentials("k-1", "secret").use { c -> signRequest(s, c, Request("POST", "/up", emptyList(), body), NOW) } }
        val verifier = Scheme.pathBodyHex("sha256").use { Verifier.withKeys(it, mapOf("k-1" to "secret")) }
        closeUnderRunningCalls(verifier, "Verifier", "k-1") { verifier.verify("POST", "/up", auth.headers, body, NOW) }
        assertEquals("this Verifier has been closed", assertThrows<IllegalStateException> { verifier.verify("POST", "/up", auth.headers, body, NOW) }.message)
    }

    @Test
    fun `a closed signer refuses at once, and closing twice is fine`() {
        val signer = Scheme.apiAuth().use { s -> Credentials("k", "s").use { c -> Signer(s, c) } }
        signer.close()
        signer.close()
        assertEquals("this Signer has been closed", assertThrows<IllegalStateException> { signer.signResponse(Response(200, emptyList())) }.message)
    }
}
