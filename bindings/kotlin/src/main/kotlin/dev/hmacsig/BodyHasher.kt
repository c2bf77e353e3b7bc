package dev.hmacsig

import java.io.FileInputStream
import java.io.InputStream
import java.nio.Buffer
import java.nio.ByteBuffer
import java.nio.channels.ReadableByteChannel
import java.util.Objects
import dev.hmacsig.ffi.BodyDigest as FfiBodyDigest
import dev.hmacsig.ffi.BodyHasher as FfiBodyHasher

/*
 * Streaming bodies: hash a large upload chunk by chunk in constant memory, then sign its
 * digest (Signer.signWithBodyDigest, Signer.signStream) instead of holding it in memory.
 */

/**
 * The digest of a whole body and its [length] in bytes, from a [BodyHasher]; what
 * [Signer.signWithBodyDigest] signs in place of the body. [digest] is the raw hash
 * (32 bytes for SHA-256, 64 for SHA-512; signing a hand-built one of another size is
 * [ErrorKind.INVALID_REQUEST]). Two digests are equal when their algorithm, bytes and
 * length are. Not secret: it is what the request carries (base64 or hex).
 */
class BodyDigest(val algorithm: ContentDigest, digest: ByteArray, val length: Long) {
    init {
        require(length >= 0) { "length must not be negative, not $length" }
    }

    private val bytes = digest.copyOf()

    /** The raw digest (a copy). */
    val digest: ByteArray get() = bytes.copyOf()

    internal fun toFfi(): FfiBodyDigest = FfiBodyDigest(algorithm.ffi, bytes, length.toULong())

    override fun equals(other: Any?): Boolean =
        this === other || (other is BodyDigest && algorithm == other.algorithm && length == other.length && bytes.contentEquals(other.bytes))

    override fun hashCode(): Int = (algorithm.hashCode() * 31 + bytes.contentHashCode()) * 31 + length.hashCode()

    override fun toString(): String = "BodyDigest($algorithm, ${bytes.joinToString("") { "%02x".format(it) }}, length=$length)"

    internal companion object {
        fun fromFfi(d: FfiBodyDigest): BodyDigest =
            // A body of more than 2^63 - 1 bytes cannot have been streamed.
            BodyDigest(ContentDigest.fromFfi(d.algorithm), d.digest, d.length.toLong())
    }
}

/**
 * Hashes a body incrementally in constant memory: [update] with each chunk in order (bytes,
 * buffers, or a whole stream or channel), then [finish] once for its [BodyDigest]. After
 * [finish], [update] and [finish] are [ErrorKind.INVALID_REQUEST]. [algorithm]: SHA-256
 * (api-auth, aws-sigv4 and kong-hmac need it) or SHA-512 (an rfc9421 scheme with
 * `contentDigest = ContentDigest.SHA512`); [Signer.bodyHasher] picks the one its scheme
 * signs. Calls are serialised, so one hasher may be shared between threads, but the
 * chunks of a body must arrive in order. Close it (or `use {}`) when done.
 */
class BodyHasher @JvmOverloads constructor(val algorithm: ContentDigest = ContentDigest.SHA256) : AutoCloseable {
    private val owned = Owned(FfiBodyHasher(algorithm.ffi), "BodyHasher")

    /** Direct memory for chunks that are not in a direct buffer already (the FFI reads only those). */
    private var scratch: ByteBuffer? = null

    val isClosed: Boolean get() = owned.closed

    /** Hashes [length] bytes of [chunk] from [offset] (empty chunks are fine). */
    @JvmOverloads
    @Synchronized
    fun update(chunk: ByteArray, offset: Int = 0, length: Int = chunk.size - offset) {
        Objects.checkFromIndexSize(offset, length, chunk.size)
        if (length == 0) return hash(EMPTY)
        // Piece by piece through one bounded buffer: a large array is never copied whole.
        val buf = scratch(minOf(length, DEFAULT_CHUNK_SIZE))
        var at = offset
        while (at < offset + length) {
            val n = minOf(offset + length - at, buf.capacity())
            buf.asBuffer.clear()
            buf.put(chunk, at, n).asBuffer.flip()
            hash(buf)
            at += n
        }
    }

    /**
     * Hashes [chunk]'s remaining bytes and moves its position to its limit, as
     * `MessageDigest.update(ByteBuffer)` does. A direct buffer is hashed in place, without a copy.
     */
    @Synchronized
    fun update(chunk: ByteBuffer) {
        if (chunk.isDirect || !chunk.hasRemaining()) {
            // slice(): the FFI passes the buffer's base address, so start it at the position.
            hash(if (chunk.hasRemaining()) chunk.slice() else EMPTY)
            chunk.asBuffer.position(chunk.limit())
            return
        }
        val buf = scratch(minOf(chunk.remaining(), DEFAULT_CHUNK_SIZE))
        while (chunk.hasRemaining()) {
            val piece = chunk.duplicate()
            piece.asBuffer.limit(piece.position() + minOf(piece.remaining(), buf.capacity()))
            buf.asBuffer.clear()
            buf.put(piece).asBuffer.flip()
            hash(buf)
            chunk.asBuffer.position(piece.position())
        }
    }

    /**
     * Reads [input] to its end and hashes it, [chunkSize] bytes at a time (1 MiB by default;
     * fewer, larger chunks mean fewer native calls). Returns the number of bytes read. Does
     * not close [input]. A plain `FileInputStream` is read through its channel straight into
     * native memory.
     */
    @JvmOverloads
    @Synchronized
    fun update(input: InputStream, chunkSize: Int = DEFAULT_CHUNK_SIZE): Long {
        require(chunkSize > 0) { "chunkSize must be positive, not $chunkSize" }
        // A subclass may override read(): only the JDK's own class is read through its channel.
        if (input.javaClass == FileInputStream::class.java) return update((input as FileInputStream).channel, chunkSize)
        val heap = ByteArray(chunkSize)
        val buf = scratch(chunkSize)
        var total = 0L
        while (true) {
            val n = readUpTo(input, heap, chunkSize)
            if (n == 0) return total
            buf.asBuffer.clear()
            buf.put(heap, 0, n).asBuffer.flip()
            hash(buf)
            total += n
        }
    }

    /**
     * Reads the blocking [channel] to its end and hashes it, [chunkSize] bytes at a time,
     * read straight into native memory. Returns the number of bytes read. Does not close it.
     */
    @JvmOverloads
    @Synchronized
    fun update(channel: ReadableByteChannel, chunkSize: Int = DEFAULT_CHUNK_SIZE): Long {
        require(chunkSize > 0) { "chunkSize must be positive, not $chunkSize" }
        val buf = scratch(chunkSize)
        var total = 0L
        var end = false
        while (!end) {
            buf.asBuffer.clear()
            while (buf.hasRemaining()) {
                if (channel.read(buf) < 0) {
                    end = true
                    break
                }
            }
            buf.asBuffer.flip()
            if (buf.hasRemaining()) hash(buf)
            total += buf.remaining()
        }
        return total
    }

    /** The digest and length of everything hashed. Once only: the hasher is then spent. */
    @Synchronized
    fun finish(): BodyDigest {
        scratch = null
        return BodyDigest.fromFfi(owned.with { translated { it.finish() } })
    }

    @Synchronized
    override fun close() {
        scratch = null
        owned.close()
    }

    override fun toString(): String = "BodyHasher($algorithm${if (isClosed) ", closed" else ""})"

    private fun hash(direct: ByteBuffer) = owned.with { translated { it.update(direct) } }

    /** The scratch buffer, with room for at least [size] bytes. */
    private fun scratch(size: Int): ByteBuffer {
        val current = scratch
        if (current != null && current.capacity() >= size) return current
        return ByteBuffer.allocateDirect(size).also { scratch = it }
    }

    companion object {
        /** How much [update] reads and hashes per native call from a stream or channel: 1 MiB. */
        const val DEFAULT_CHUNK_SIZE: Int = 1 shl 20

        private val EMPTY: ByteBuffer = ByteBuffer.allocateDirect(0)
    }
}

/*
 * Within Android API 24, the AAR's minSdk (pom.xml checks it): `ByteBuffer`'s own `clear()`,
 * `flip()`, `position(Int)` and `limit(Int)`, which return a `ByteBuffer`, are JDK 9 and not
 * there, so they are called as `java.nio.Buffer`'s (the same methods, the same buffer);
 * `InputStream.readNBytes` (JDK 9) is not there either.
 */

/** This buffer as a `java.nio.Buffer`, for the position and limit methods Android API 24 has. */
private val ByteBuffer.asBuffer: Buffer get() = this

/**
 * Reads [input] into the first [length] bytes of [dst] until they are full or the stream ends;
 * the number of bytes read (0 at its end). What `input.readNBytes(dst, 0, length)` does.
 */
private fun readUpTo(input: InputStream, dst: ByteArray, length: Int): Int {
    var n = 0
    while (n < length) {
        val read = input.read(dst, n, length - n)
        if (read < 0) break
        n += read
    }
    return n
}

/**
 * What [Signer.signStream] returns: the [signed] headers to set on the request, and the
 * [bodyDigest] of the body that was read (its `length` is the `Content-Length` to send).
 */
data class SignedStream(val signed: SignedRequest, val bodyDigest: BodyDigest)
