package dev.hmacsig

import dev.hmacsig.okhttp.VerifyingServer
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request.Builder
import okhttp3.RequestBody.Companion.asRequestBody
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.ByteArrayInputStream
import java.io.FileInputStream
import java.io.InputStream
import java.lang.management.BufferPoolMXBean
import java.lang.management.ManagementFactory
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.Channels
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import java.util.Base64
import java.util.HexFormat
import java.util.concurrent.CompletableFuture
import kotlin.random.Random

private const val NOW = 1_700_000_000L
private val HEADERS = headersOf("Host" to "api.example.com", "Date" to "Tue, 14 Nov 2023 22:13:20 GMT", "X-Request-Id" to "r-1")
private val hex = HexFormat.of()

private fun failure(block: () -> Unit): HmacSigException = assertThrows<HmacSigException> { block() }

private fun javaDigest(algorithm: ContentDigest, body: ByteArray): ByteArray =
    MessageDigest.getInstance(if (algorithm == ContentDigest.SHA256) "SHA-256" else "SHA-512").digest(body)

/** Equal signing results: the same headers, bytes signed and URL (`stringToSign` is an array). */
private fun assertSameSigned(expected: SignedRequest, actual: SignedRequest, what: String) {
    assertEquals(expected.headers, actual.headers, what)
    assertArrayEquals(expected.stringToSign, actual.stringToSign, what)
    assertEquals(expected.url, actual.url, what)
}

/** A signer for [scheme] (closed with it by the caller's `use`). */
private fun <R> signing(scheme: Scheme, block: (Signer) -> R): R =
    scheme.use { Credentials("key-1", "streaming-secret").use { c -> Signer(scheme, c).use(block) } }

/** Every scheme that signs a hash of the body, with the digest algorithm it needs. */
private fun digestSchemes(): List<Pair<String, () -> Scheme>> = listOf(
    "api-auth sha256" to { Scheme.apiAuth(digest = "sha256", headersToSign = listOf("X-Request-Id")) },
    "api-auth sha1" to { Scheme.apiAuth() },
    "aws-sigv4" to { Scheme.awsSigv4("us-east-1", "s3", normalize = false, doubleUriEncode = false) },
    "aws-sigv4 signBody" to { Scheme.awsSigv4("us-east-1", "s3", sessionToken = "session", signBody = true) },
    "aws-sigv4 query" to { Scheme.awsSigv4("us-east-1", "s3", signBody = true, signatureType = SignatureType.QUERY) },
    "rfc9421 sha-256" to { Scheme.rfc9421(listOf("@method", "@target-uri", "x-request-id"), contentDigest = ContentDigest.SHA256) },
    "rfc9421 sha-512" to { Scheme.rfc9421(listOf("@method", "@target-uri", "x-request-id"), contentDigest = ContentDigest.SHA512) },
    "rfc9421 without content digest" to { Scheme.rfc9421(includeAlg = true) },
)

/** Bodies around the edges: empty, one byte, hash blocks, and more than one 1 MiB chunk. */
private val BODIES: List<ByteArray> = listOf(0, 1, 63, 64, 200, 4096 + 17, (1 shl 20) + 3).map { Random(it).nextBytes(it) }

/**
 * Ways to feed [body] to a hasher: each must give the digest of the whole. Small pieces for
 * the small bodies; the 1 MiB one in pieces of up to an eighth of it (keeping the test fast).
 */
private val FEEDS: List<Pair<String, (BodyHasher, ByteArray) -> Unit>> = listOf(
    "whole array" to { h, b -> h.update(b) },
    "slices of random sizes with empty ones between" to { h, b ->
        val rng = Random(b.size)
        var at = 0
        while (at < b.size) {
            val n = minOf(b.size - at, 1 + rng.nextInt(maxOf(300, b.size / 8)))
            h.update(b, at, n)
            h.update(b, at, 0)
            h.update(ByteArray(0))
            at += n
        }
    },
    "heap buffer" to { h, b ->
        val buf = ByteBuffer.wrap(b)
        h.update(buf)
        assertEquals(0, buf.remaining(), "the buffer is consumed")
    },
    "direct buffers not at position 0" to { h, b ->
        val direct = ByteBuffer.allocateDirect(b.size + 10)
        direct.position(10)
        direct.put(b)
        direct.position(10)
        val half = direct.duplicate().limit(10 + b.size / 2)
        h.update(half)
        direct.position(half.position())
        h.update(direct)
        assertEquals(0, direct.remaining())
    },
    "input stream, small chunks" to { h, b ->
        assertEquals(b.size.toLong(), h.update(ByteArrayInputStream(b), chunkSize = if (b.size < 10_000) 7 else 65_537))
    },
    "input stream, default chunks" to { h, b -> assertEquals(b.size.toLong(), h.update(ByteArrayInputStream(b))) },
    "channel, 1000-byte chunks" to { h, b -> assertEquals(b.size.toLong(), h.update(Channels.newChannel(ByteArrayInputStream(b)), 1000)) },
)

class BodyHasherTest {
    @Test
    fun `every feed gives the digest and length of the whole body, for both algorithms`() {
        for (algorithm in ContentDigest.entries) {
            for (body in BODIES) {
                val expected = BodyDigest(algorithm, javaDigest(algorithm, body), body.size.toLong())
                for ((how, feed) in FEEDS) {
                    val digest = BodyHasher(algorithm).use { h ->
                        feed(h, body)
                        h.finish()
                    }
                    assertEquals(expected, digest, "$algorithm, ${body.size} bytes, $how")
                    assertEquals(algorithm, digest.algorithm)
                }
            }
        }
    }

    @Test
    fun `the default is sha-256, and a digest reads as what it is`() {
        val digest = BodyHasher().use { it.finish() }
        assertEquals(ContentDigest.SHA256, digest.algorithm)
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex.formatHex(digest.digest))
        assertEquals(0L, digest.length)
        assertEquals("BodyDigest(SHA256, e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, length=0)", digest.toString())
        // The digest is a copy: changing it does not change the BodyDigest.
        digest.digest[0] = 0
        assertEquals(0xe3.toByte(), digest.digest[0])
        assertNotEquals(digest, BodyDigest(ContentDigest.SHA256, digest.digest, 1))
    }

    @Test
    fun `a finished hasher is a typed error, a closed one refuses to be used`() {
        val hasher = BodyHasher()
        hasher.update("abc".toByteArray())
        assertEquals(BodyDigest(ContentDigest.SHA256, javaDigest(ContentDigest.SHA256, "abc".toByteArray()), 3), hasher.finish())
        val update = failure { hasher.update("d".toByteArray()) }
        assertEquals(ErrorKind.INVALID_REQUEST, update.kind)
        assertEquals("this BodyHasher has already finished; use a new one for another body", update.message)
        assertEquals(ErrorKind.INVALID_REQUEST, failure { hasher.update(ByteArray(0)) }.kind)
        assertEquals(ErrorKind.INVALID_REQUEST, failure { hasher.finish() }.kind)
        hasher.close()
        assertTrue(hasher.isClosed)
        assertThrows<IllegalStateException> { hasher.update(ByteArray(1)) }
        assertThrows<IllegalStateException> { hasher.finish() }
        hasher.close() // twice is fine
    }

    @Test
    fun `bad arguments are refused before hashing`() {
        BodyHasher().use { h ->
            assertThrows<IndexOutOfBoundsException> { h.update(ByteArray(4), 3, 2) }
            assertThrows<IndexOutOfBoundsException> { h.update(ByteArray(4), -1) }
            assertThrows<IllegalArgumentException> { h.update(ByteArrayInputStream(ByteArray(1)), chunkSize = 0) }
            assertEquals(0L, h.finish().length)
        }
        assertThrows<IllegalArgumentException> { BodyDigest(ContentDigest.SHA256, ByteArray(32), -1) }
    }

    @Test
    fun `a file stream and a file channel hash the file`(@TempDir dir: Path) {
        val body = Random(9).nextBytes(3 * (1 shl 20) + 5)
        val file = Files.write(dir.resolve("body.bin"), body)
        val expected = BodyDigest(ContentDigest.SHA512, javaDigest(ContentDigest.SHA512, body), body.size.toLong())
        val fromStream = BodyHasher(ContentDigest.SHA512).use { h -> FileInputStream(file.toFile()).use { h.update(it) }; h.finish() }
        val fromChannel = BodyHasher(ContentDigest.SHA512).use { h -> FileChannel.open(file).use { h.update(it, 4096) }; h.finish() }
        val fromNio = BodyHasher(ContentDigest.SHA512).use { h -> Files.newInputStream(file).use { h.update(it, 65536) }; h.finish() }
        assertEquals(expected, fromStream)
        assertEquals(expected, fromChannel)
        assertEquals(expected, fromNio)
    }
}

class SignWithBodyDigestTest {
    @Test
    fun `signing a digest or a stream is signing the bytes, for every scheme that hashes the body`() {
        for ((what, scheme) in digestSchemes()) {
            signing(scheme()) { signer ->
                for (method in listOf("PUT", "GET")) {
                    for (body in BODIES) {
                        val expected = signer.sign(method, "/upload?part=1", HEADERS, body, NOW)
                        for ((how, feed) in FEEDS) {
                            val digest = signer.bodyHasher().use { h ->
                                feed(h, body)
                                h.finish()
                            }
                            val signed = signer.signWithBodyDigest(method, "/upload?part=1", HEADERS, digest, NOW)
                            assertSameSigned(expected, signed, "$what $method, ${body.size} bytes, $how")
                        }
                        val streamed = signer.signStream(method, "/upload?part=1", HEADERS, ByteArrayInputStream(body), NOW, chunkSize = 1000)
                        assertSameSigned(expected, streamed.signed, "$what $method, ${body.size} bytes, signStream")
                        assertEquals(body.size.toLong(), streamed.bodyDigest.length)
                        val channel = signer.signStream(method, "/upload?part=1", HEADERS, Channels.newChannel(ByteArrayInputStream(body)), NOW)
                        assertSameSigned(expected, channel.signed, "$what $method, ${body.size} bytes, signStream(channel)")
                    }
                }
            }
        }
    }

    @Test
    fun `the hasher a signer makes is the algorithm its scheme signs`() {
        val algorithms = digestSchemes().map { (_, scheme) -> signing(scheme()) { s -> s.bodyHasher().use { it.algorithm } } }
        assertEquals(listOf(ContentDigest.SHA256, ContentDigest.SHA256, ContentDigest.SHA256, ContentDigest.SHA256, ContentDigest.SHA256, ContentDigest.SHA256, ContentDigest.SHA512, ContentDigest.SHA256), algorithms)
    }

    @Test
    fun `a digest of the wrong algorithm says which one is needed`() {
        val body = "body".toByteArray()
        val sha256 = BodyDigest(ContentDigest.SHA256, javaDigest(ContentDigest.SHA256, body), 4)
        val sha512 = BodyDigest(ContentDigest.SHA512, javaDigest(ContentDigest.SHA512, body), 4)
        for ((scheme, digest, needed) in listOf(
            Triple(Scheme.apiAuth(digest = "sha256"), sha512, "the api-auth content hash needs a sha-256 digest of the body, but a sha-512 digest was given"),
            Triple(Scheme.awsSigv4("us-east-1", "s3"), sha512, "the aws-sigv4 payload hash needs a sha-256 digest"),
            Triple(Scheme.rfc9421(listOf("@method"), contentDigest = ContentDigest.SHA512), sha256, "the rfc9421 Content-Digest needs a sha-512 digest"),
        )) {
            val name = scheme.name
            val e = signing(scheme) { s -> failure { s.signWithBodyDigest("POST", "/upload", HEADERS, digest, NOW) } }
            assertEquals(ErrorKind.INVALID_REQUEST, e.kind, name)
            assertTrue(e.message.startsWith(needed), "$name: ${e.message}")
        }
        // A hand-built digest of the wrong size, even where the digest is not signed.
        val short = BodyDigest(ContentDigest.SHA256, ByteArray(31), 4)
        val e = signing(Scheme.rfc9421()) { s -> failure { s.signWithBodyDigest("POST", "/upload", HEADERS, short, NOW) } }
        assertEquals(ErrorKind.INVALID_REQUEST, e.kind)
        assertEquals("a sha-256 body digest is 32 bytes, not 31", e.message)
    }

    @Test
    fun `schemes that MAC the bytes refuse a digest, and a stream before reading it`() {
        val digest = BodyHasher().use { it.finish() }
        val unread = object : InputStream() {
            override fun read(): Int = throw AssertionError("the stream was read")
        }
        for (scheme in listOf(Scheme.pathBodyHex("sha256"), Scheme.timestamped())) {
            val name = scheme.name
            signing(scheme) { s ->
                val direct = failure { s.signWithBodyDigest("POST", "/upload", HEADERS, digest, NOW) }
                assertEquals(ErrorKind.UNSUPPORTED, direct.kind)
                assertEquals("the $name scheme MACs the body bytes themselves, so it cannot sign from a body digest; pass the body", direct.message)
                val streamed = failure { s.signStream("POST", "/upload", HEADERS, unread, NOW) }
                assertEquals(direct.message, streamed.message)
            }
        }
    }

    @Test
    fun `a closed signer refuses a stream before reading it`() {
        val signer = Scheme.apiAuth().use { scheme -> Credentials("k", "s").use { Signer(scheme, it) } }
        signer.close()
        val unread = object : InputStream() {
            override fun read(): Int = throw AssertionError("the stream was read")
        }
        assertThrows<IllegalStateException> { signer.signStream("POST", "/", HEADERS, unread) }
        assertThrows<IllegalStateException> { signer.signWithBodyDigest("POST", "/", HEADERS, BodyHasher().use { it.finish() }) }
    }
}

/**
 * The multi-gigabyte stream: [chunks] blocks of 1 MiB of SplitMix64 output (seed 0x5EEDB0D1,
 * little-endian words) whose first 8 bytes are the block's index, little-endian; the same
 * stream as the core's 4 GiB test (core/tests/body_digest.rs). Generated on the fly into one
 * reused block: the body never exists in memory.
 */
private class GeneratedStream(private val chunks: Int) : InputStream() {
    private val block = ByteArray(1 shl 20).also { bytes ->
        val words = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer()
        var state = 0x5EEDB0D1L
        while (words.hasRemaining()) {
            state += 0x9E3779B97F4A7C15uL.toLong()
            var z = state
            z = (z xor (z ushr 30)) * 0xBF58476D1CE4E5B9uL.toLong()
            z = (z xor (z ushr 27)) * 0x94D049BB133111EBuL.toLong()
            words.put(z xor (z ushr 31))
        }
    }
    private val index = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN)
    private var chunk = -1
    private var at = block.size

    override fun read(b: ByteArray, off: Int, len: Int): Int {
        if (len == 0) return 0
        if (at == block.size) {
            if (chunk + 1 == chunks) return -1
            chunk += 1
            index.putLong(0, chunk.toLong())
            at = 0
        }
        val n = minOf(len, block.size - at)
        System.arraycopy(block, at, b, off, n)
        at += n
        return n
    }

    override fun read(): Int {
        val one = ByteArray(1)
        return if (read(one, 0, 1) < 0) -1 else one[0].toInt() and 0xff
    }
}

class MultiGigabyteStreamTest {
    /** SHA-256 of the first 2 GiB of the stream, computed outside the JVM (Python's hashlib). */
    private val twoGibSha256 = "c7a05a50a67d62963e88857273614a583630679bb598d265f86fafc91094fd12"

    @Test
    fun `signs a 2 GiB stream generated on the fly, in constant memory`() {
        val chunks = 2048
        // The independent hash: the JDK's MessageDigest over the same stream, on another core.
        val independent = CompletableFuture.supplyAsync {
            val md = MessageDigest.getInstance("SHA-256")
            val buf = ByteArray(1 shl 20)
            GeneratedStream(chunks).use { s -> while (true) { val n = s.read(buf); if (n < 0) break; md.update(buf, 0, n) } }
            md.digest()
        }
        val body = GeneratedStream(chunks)
        val threads = ManagementFactory.getThreadMXBean() as com.sun.management.ThreadMXBean
        val directPool = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean::class.java).first { it.name == "direct" }
        val heapBefore = threads.currentThreadAllocatedBytes
        val directBefore = directPool.memoryUsed
        val started = System.nanoTime()
        val streamed = signing(Scheme.apiAuth(digest = "sha256")) { signer -> signer.signStream("POST", "/upload?part=1", HEADERS, body, NOW) }
        val seconds = (System.nanoTime() - started) / 1e9
        val heapAllocated = threads.currentThreadAllocatedBytes - heapBefore
        val directAdded = directPool.memoryUsed - directBefore
        println("2 GiB streamed and signed in %.2f s (%.0f MiB/s); heap allocated %d KiB, direct %d KiB".format(seconds, 2048 / seconds, heapAllocated / 1024, directAdded / 1024))

        val digest = streamed.bodyDigest
        assertEquals(2048L shl 20, digest.length, "the length passes Int.MAX_VALUE")
        assertArrayEquals(independent.get(), digest.digest, "BodyHasher and MessageDigest over the same stream")
        assertEquals(twoGibSha256, hex.formatHex(digest.digest), "the stream is the one hashed outside the JVM")
        // Constant memory: one 1 MiB read array and one 1 MiB direct buffer. The heap also sees
        // a few KiB of short-lived JNA call structures per chunk, never a copy of the body.
        assertTrue(heapAllocated < 32L shl 20, "heap allocated while streaming: $heapAllocated bytes")
        assertTrue(directAdded <= 2L shl 20, "direct memory added while streaming: $directAdded bytes")

        // The header carrying the digest comes first; signing an empty body with that header
        // already set (kept as is, and no longer depending on the body) signs the same, so the
        // signature covers the 2 GiB body's digest.
        val base64 = Base64.getEncoder().encodeToString(digest.digest)
        assertEquals(Header("X-Authorization-Content-SHA256", base64), streamed.signed.headers[0])
        val preset = signing(Scheme.apiAuth(digest = "sha256")) { signer ->
            signer.sign("POST", "/upload?part=1", HEADERS + Header("X-Authorization-Content-SHA256", base64), ByteArray(0), NOW)
        }
        assertEquals(preset.headers, streamed.signed.headers.drop(1))
        assertArrayEquals(preset.stringToSign, streamed.signed.stringToSign)
        assertTrue(base64 in String(streamed.signed.stringToSign), "the signed string holds the digest")

        // The same digest signs aws-sigv4's payload hash the same way.
        signing(Scheme.awsSigv4("us-east-1", "s3", signBody = true)) { signer ->
            val sigv4 = signer.signWithBodyDigest("POST", "/upload?part=1", HEADERS, digest, NOW)
            assertTrue(Header("x-amz-content-sha256", twoGibSha256) in sigv4.headers, sigv4.headers.toString())
            val presetSigv4 = signer.sign("POST", "/upload?part=1", HEADERS + Header("x-amz-content-sha256", twoGibSha256), ByteArray(0), NOW)
            assertEquals(presetSigv4.headers.first { it.name == "Authorization" }, sigv4.headers.first { it.name == "Authorization" })
        }
    }
}

/** The README's "Streaming uploads" block, run against a verifying server (real HTTP on 127.0.0.1). */
class StreamingReadmeTest {
    @Test
    fun `the README's streamed upload verifies on the server, for every scheme that hashes the body`(@TempDir dir: Path) {
        val content = Random(5).nextBytes(3 * (1 shl 20) + 7)
        val file = Files.write(dir.resolve("backup.tar"), content)
        // Not the presigned URL (its signature is in the query, not the headers), nor rfc9421
        // without a Content-Digest (a default policy refuses a body no signature covers).
        for ((what, newScheme) in digestSchemes().filter { (what, _) -> "query" !in what && "without" !in what }) {
            newScheme().use { scheme ->
                Verifier.withKeys(scheme, mapOf("key-1" to "streaming-secret")).use { verifier ->
                    VerifyingServer(verifier).use { server ->
                        val baseUrl = server.baseUrl
                        val host = baseUrl.removePrefix("http://")
                        val code = Credentials("key-1", "streaming-secret").use { credentials ->
                            Signer(scheme, credentials).use { signer ->
                                // README: streaming uploads
                                val headers = headersOf("Host" to host, "Content-Type" to "application/x-tar", "X-Request-Id" to "r-1")
                                val signed = FileChannel.open(file).use { body ->
                                    signer.signStream("PUT", "/backups/1", headers, body).signed // reads the file once, 1 MiB at a time
                                }
                                val request = Builder()
                                    .url("$baseUrl/backups/1")
                                    .put(file.toFile().asRequestBody("application/x-tar".toMediaType())) // sends the same file
                                    .apply { (headers + signed.headers).forEach { header(it.name, it.value) } }
                                    .build()
                                OkHttpClient().newCall(request).execute().use { response -> response.code }
                                // end README
                            }
                        }
                        val received = server.next()
                        assertEquals(200, code, "$what: ${received.verdict}")
                        assertEquals("key-1", received.verdict.getOrThrow())
                        assertArrayEquals(content, received.body)
                    }
                }
            }
        }
    }

    @Test
    fun `the README shows the code this test runs`() {
        val source = Files.readAllLines(Path.of("src/test/kotlin/dev/hmacsig/StreamingTest.kt"))
        val start = source.indexOfFirst { it.trim() == "// README: streaming uploads" }
        val end = source.indexOfFirst { it.trim() == "// end README" }
        val indent = source[start].indexOf('/')
        val tested = source.subList(start + 1, end).map { it.drop(indent) }
        val readme = Files.readAllLines(Path.of("README.md"))
        val section = readme.indexOfFirst { it == "## Streaming uploads" }
        val open = readme.subList(section, readme.size).indexOfFirst { it == "```kotlin" } + section
        val close = readme.subList(open + 1, readme.size).indexOfFirst { it == "```" } + open + 1
        assertEquals(tested, readme.subList(open + 1, close))
    }
}
