package dev.hmacsig

import com.sun.jna.Memory
import com.sun.jna.Native
import com.sun.jna.Pointer
import java.nio.Buffer
import java.nio.ByteBuffer
import java.nio.CharBuffer
import java.nio.charset.CharsetEncoder
import dev.hmacsig.ffi.HmacSigException as FfiException
import dev.hmacsig.ffi.Signer as FfiSigner
import dev.hmacsig.ffi.Verifier as FfiVerifier

/**
 * The one call path into the core (docs/ffi.md): every hot operation (sign, sign a response,
 * verify, verify a response, the claimed key id) is one call of the C entry `hmacsig_call`,
 * bound with JNA direct mapping. UniFFI only builds the objects.
 *
 * In: the message as one UTF-8 text of NUL-separated fields (the JDK's encoder; a lone
 * surrogate is its `MalformedInputException`), `counts` its field count (a response's answered
 * request in the high 32 bits), the body read in place. Out: a tagged result in a per-thread
 * direct buffer; one that does not fit is fetched with `hmacsig_call_result`, never by calling
 * the op again. Signing and verifying errors come back in that same result and are raised
 * here as the generated error of their kind, then the public [HmacSigException].
 *
 * **The one lifetime rule.** A [Signer] or [Verifier] is named to the core only by the id
 * `hmacsig_signer_id` / `hmacsig_verifier_id` gave for a cloned UniFFI handle of it, once, at
 * construction; never by an address. The core's table holds the object weakly, and each call
 * holds it for its own duration: closing (or collecting) the object on another thread while
 * calls run is therefore safe. Those calls finish with it, and every later call with the id
 * returns CLOSED, raised as the layer's `IllegalStateException("this Signer has been closed")`.
 * No lock is taken around a call; the caller keeps its own object reachable until the call
 * returned ([keepAlive], what `Reference.reachabilityFence` does, which Android has only from
 * API 28), so that the collector cannot close it mid-call.
 *
 * Android: this layer stays within API 24, the AAR's minSdk (pom.xml checks the bytecode with
 * animal-sniffer): no `reachabilityFence`, `ThreadLocal.withInitial` or absolute bulk
 * `ByteBuffer.get`/`put`; the buffers' positions are set through `java.nio.Buffer` ([Region]).
 *
 * Buffers are per thread ([Scratch]); a call made on the same thread while one is running (from
 * a caller's own `List`, or a key lookup that signs) takes fresh ones.
 */
internal object CoreCall {
    const val SIGN = 1
    const val SIGN_RESPONSE = 2
    const val VERIFY = 3
    const val VERIFY_RESPONSE = 4
    const val KEY_ID = 5
    const val RESPONSE_KEY_ID = 6

    private const val CLOSED = -1L
    private const val SYSTEM_CLOCK = Long.MIN_VALUE

    private const val TAG_SIGNED = 0
    private const val TAG_KEY_ID = 1
    private const val TAG_ERROR = 2

    /** Largest buffers a thread keeps between calls; bigger calls get temporary ones. */
    const val SCRATCH_MAX = 64 * 1024

    /**
     * Registered by the same name and class loader as the generated `UniffiLib` (whose
     * `findLibraryName` this repeats), so JNA's cache gives both one library instance: never a
     * second copy whose table would not know the first one's ids.
     */
    init {
        Native.register(CoreCall::class.java, System.getProperty("uniffi.component.hmacsig.libraryOverride") ?: "hmacsig")
    }

    @JvmStatic
    private external fun hmacsig_call(
        op: Int,
        obj: Long,
        counts: Long,
        text: Long,
        textLen: Long,
        body: Long,
        bodyLen: Long,
        secret: Long,
        secretLen: Long,
        now: Long,
        out: Long,
        outCap: Long,
    ): Long

    @JvmStatic
    private external fun hmacsig_call_result(out: Long, outCap: Long): Long

    @JvmStatic
    private external fun hmacsig_signer_id(clonedHandle: Long): Long

    @JvmStatic
    private external fun hmacsig_verifier_id(clonedHandle: Long): Long

    /** The id of [signer] (see the lifetime rule above): once per object. */
    fun signerId(signer: FfiSigner): Long =
        hmacsig_signer_id(signer.uniffiCloneHandle()).also { check(it != 0L) { "the core gave no id for a Signer" } }

    /** The id of [verifier]: once per object. */
    fun verifierId(verifier: FfiVerifier): Long =
        hmacsig_verifier_id(verifier.uniffiCloneHandle()).also { check(it != 0L) { "the core gave no id for a Verifier" } }

    // Not ThreadLocal.withInitial: Android API 26.
    private val scratch = object : ThreadLocal<Scratch>() {
        override fun initialValue() = Scratch()
    }

    /** Used only by [keepAlive], which leaves it null. */
    @Volatile
    private var keptAlive: Any? = null

    /**
     * Keeps [obj] reachable until this point, as `Reference.reachabilityFence(obj)` does (not
     * used: Android has it from API 28 only). Called right after a native call with the objects
     * the call uses: the caller's [Signer] or [Verifier], whose collection would clean up the
     * UniFFI object (its Cleaner), and a caller's direct body buffer, whose collection would free
     * the memory the core reads.
     *
     * Why this keeps it reachable: the JLS (12.6.2) counts writing a reference to an object as an
     * "active use" of it, and an object that has an active use after a point cannot be found
     * unreachable at that point. This write of [obj]'s reference comes after the call, so [obj]
     * is reachable for the whole call. In the compiled code, the write must stay, and after the
     * call: the field is static, so no escape analysis can drop the store, and volatile, a
     * synchronization action that neither HotSpot nor ART removes as a dead store, and that may
     * not move before earlier actions (the call, to the compiler an opaque native method). So the
     * reference is live until the store, kept in a register or stack slot the collector scans at
     * the call. With no use after the call (a plain local) or a plain store the JIT may remove,
     * the collector could reclaim the object while the call runs.
     * Then the field is read back, and cleared when it still holds [obj]: the read is there so
     * that the field is not write-only (a shrinker such as R8 may remove a field nothing reads,
     * and its writes with it); the clearing so that no object stays pinned here (a Signer
     * dropped unclosed is collected as before). Whatever the interleaving of threads, the last
     * thread to write an object reads it back and clears it, so the field ends null.
     */
    @JvmStatic
    fun keepAlive(obj: Any?) {
        if (obj == null) return
        keptAlive = obj
        if (keptAlive === obj) keptAlive = null
    }

    /** [block] with this thread's buffers, or fresh ones when a call on this thread holds them. */
    inline fun <R> session(block: (Scratch) -> R): R {
        val s = acquire()
        try {
            return block(s)
        } finally {
            s.release()
        }
    }

    fun acquire(): Scratch {
        val kept = scratch.get()
        val s = if (kept.busy) Scratch() else kept
        s.busy = true
        return s
    }

    /** `now` as the entry takes it. */
    fun clock(now: Long?): Long {
        if (now == null) return SYSTEM_CLOCK
        if (now == SYSTEM_CLOCK) {
            throw HmacSigException(ErrorKind.INVALID_REQUEST, "now must be Unix seconds, not Long.MIN_VALUE (null means the system clock)")
        }
        return now
    }

    /** The kinds in the order of their codes (docs/ffi.md), as the generated errors. */
    private val KINDS: List<(List<String>) -> FfiException> = listOf(
        { f -> FfiException.InvalidRequest(f[0]) },
        { f -> FfiException.MissingAuthorization(f[0]) },
        { f -> FfiException.MalformedAuthorization(f[0]) },
        { f -> FfiException.UnknownKey(f[0], f.getOrElse(1) { "" }) },
        { f -> FfiException.BadSignature(f[0], f.getOrElse(1) { "" }) },
        { f -> FfiException.Stale(f[0]) },
        { f -> FfiException.Future(f[0]) },
        { f -> FfiException.BodyMismatch(f[0]) },
        { f -> FfiException.DigestNotAllowed(f[0]) },
        { f -> FfiException.MissingSignedHeader(f[0]) },
        { f -> FfiException.Replayed(f[0]) },
        { f -> FfiException.Unsupported(f[0]) },
        { f -> FfiException.KeyLookupFailed(f[0]) },
    )

    /** The signed request in the first [size] bytes of [buf]; the error it holds is thrown. */
    fun decodeSigned(buf: ByteArray, size: Int): SignedRequest {
        if (buf[0].toInt() != TAG_SIGNED) throw unexpected(buf, size)
        val count = u32(buf, 1)
        var at = 5
        val headers = ArrayList<Header>(count)
        repeat(count) {
            val nameLen = u32(buf, at)
            val name = String(buf, at + 4, nameLen, Charsets.UTF_8)
            at += 4 + nameLen
            val valueLen = u32(buf, at)
            headers.add(Header(name, String(buf, at + 4, valueLen, Charsets.UTF_8)))
            at += 4 + valueLen
        }
        val urlLen = u32(buf, at)
        at += 4
        val url = if (urlLen == 0) null else String(buf, at, urlLen - 1, Charsets.UTF_8).also { at += urlLen - 1 }
        return SignedRequest(headers, buf.copyOfRange(at, size), url)
    }

    /** The key id in the first [size] bytes of [buf]; the error it holds is thrown. */
    fun decodeKeyId(buf: ByteArray, size: Int): String {
        if (buf[0].toInt() != TAG_KEY_ID) throw unexpected(buf, size)
        return String(buf, 1, size - 1, Charsets.UTF_8)
    }

    /** The generated error of the kind an error result holds, with its fields. */
    fun decodeError(buf: ByteArray, size: Int): FfiException {
        check(buf[0].toInt() == TAG_ERROR) { "not an error result (tag ${buf[0]})" }
        val make = KINDS.getOrNull(buf[1].toInt() and 0xFF) ?: error("unknown error code ${buf[1]}")
        val count = u32(buf, 2)
        val fields = ArrayList<String>(count)
        var at = 6
        for (i in 0 until count - 1) {
            val len = u32(buf, at)
            fields.add(String(buf, at + 4, len, Charsets.UTF_8))
            at += 4 + len
        }
        fields.add(String(buf, at, size - at, Charsets.UTF_8))
        return make(fields)
    }

    /** The public error of an error result; any other tag is a bug of this layer. */
    private fun unexpected(buf: ByteArray, size: Int): Exception =
        if (size > 0 && buf[0].toInt() == TAG_ERROR) decodeError(buf, size).toPublic() else IllegalStateException("unexpected result tag ${buf[0]}")

    /** The little-endian u32 at [at] (lengths here are below 2^31). */
    private fun u32(buf: ByteArray, at: Int): Int =
        (buf[at].toInt() and 0xFF) or ((buf[at + 1].toInt() and 0xFF) shl 8) or
            ((buf[at + 2].toInt() and 0xFF) shl 16) or ((buf[at + 3].toInt() and 0xFF) shl 24)

    /**
     * A direct buffer and its address: kept by a thread, or temporary (freed at once after the call).
     * Bytes go in and out at its start only through [write] and [read]: relative bulk transfers
     * after `clear()`, called through `java.nio.Buffer` (`ByteBuffer`'s own `clear()` is JDK 9),
     * since the absolute bulk `get`/`put(index, ...)` (JDK 13 and 16) are not in Android API 24.
     * The native side is given [address], never the position.
     */
    class Region private constructor(private val buffer: ByteBuffer, val address: Long, private val memory: Memory?) {
        val capacity: Int get() = buffer.capacity()
        val temporary: Boolean get() = memory != null

        fun free() {
            memory?.close()
        }

        /** The first [length] bytes of [src] into this buffer's start. */
        fun write(src: ByteArray, length: Int) {
            start().put(src, 0, length)
        }

        /** [src]'s remaining bytes into this buffer's start; [src]'s position is left as it was. */
        fun write(src: ByteBuffer) {
            start().put(src.duplicate()) // shares the bytes, with its own position
        }

        /** The first [length] bytes of this buffer into [dst]. */
        fun read(dst: ByteArray, length: Int) {
            start().get(dst, 0, length)
        }

        /** [buffer], its position 0 and its limit its capacity. */
        private fun start(): ByteBuffer {
            val b: Buffer = buffer
            b.clear()
            return buffer
        }

        companion object {
            fun kept(capacity: Int): Region = ByteBuffer.allocateDirect(capacity).let { Region(it, addressOf(it), null) }

            fun temporary(capacity: Int): Region = Memory(capacity.toLong()).let { Region(it.getByteBuffer(0, capacity.toLong()), Pointer.nativeValue(it), it) }

            /** [current] when it holds [size] bytes, else a bigger kept one (up to SCRATCH_MAX) or a temporary one. */
            fun atLeast(current: Region, size: Int): Region = when {
                size <= current.capacity -> current
                size <= SCRATCH_MAX -> kept(maxOf(size, minOf(current.capacity * 2, SCRATCH_MAX)))
                else -> temporary(size)
            }
        }
    }

    /** The native address of a direct buffer's first byte (not its position): a JNI call. */
    fun addressOf(buffer: ByteBuffer): Long = Pointer.nativeValue(Native.getDirectBufferPointer(buffer))

    /**
     * A thread's buffers, and the call being made: [request] or [response] encodes the text,
     * [body] places the body, then [signed] or [keyId] calls the entry and decodes the result.
     */
    class Scratch {
        var busy = false
        private val encoder: CharsetEncoder = Charsets.UTF_8.newEncoder() // REPORT on malformed input
        private var chars = CharArray(512)
        private var charLen = 0
        private var bytes = ByteArray(1536)
        private var result = ByteArray(4096)
        private var text = Region.kept(2048)
        private var textLen = 0
        private var counts = 0L
        private var bodyRegion = Region.kept(4096)
        private var out = Region.kept(4096)
        private var secret = Region.kept(128)
        private var bodyAddress = 0L
        private var bodyLen = 0L
        private var bodyRef: Any? = null

        /** Frees temporary buffers, forgets the body and marks the buffers free. */
        fun release() {
            if (text.temporary) text.free().also { text = Region.kept(2048) }
            if (bodyRegion.temporary) bodyRegion.free().also { bodyRegion = Region.kept(4096) }
            if (out.temporary) out.free().also { out = Region.kept(4096) }
            if (chars.size > SCRATCH_MAX) chars = CharArray(512)
            if (bytes.size > SCRATCH_MAX) bytes = ByteArray(1536)
            if (result.size > SCRATCH_MAX) result = ByteArray(4096)
            bodyRef = null
            busy = false
        }

        private fun field(s: String) {
            val need = charLen + s.length + 1
            if (need > chars.size) chars = chars.copyOf(maxOf(need, chars.size * 2))
            if (counts > 0) chars[charLen++] = '\u0000' // between fields
            s.toCharArray(chars, charLen, 0, s.length)
            charLen += s.length
            counts++
        }

        private fun fields(method: String, target: String, headers: List<Header>) {
            field(method)
            field(target)
            for (header in headers) {
                field(header.name)
                field(header.value)
            }
        }

        /** The text of a request. */
        fun request(method: String, target: String, headers: List<Header>) {
            charLen = 0
            counts = 0
            fields(method, target, headers)
            encode()
        }

        /** The text of a response, and of the request it answers when there is one. */
        fun response(response: Response, request: Request?) {
            charLen = 0
            counts = 0
            field(response.status.toString())
            for (header in response.headers) {
                field(header.name)
                field(header.value)
            }
            val own = counts
            if (request != null) fields(request.method, request.target, request.headers)
            counts = own or ((counts - own) shl 32)
            encode()
        }

        /** UTF-8 of the fields into the text buffer, with the JDK's encoder. */
        private fun encode() {
            val max = charLen.toLong() * 3 // UTF-8: at most 3 bytes per UTF-16 unit
            require(max <= Int.MAX_VALUE - 16) { "the method, target and headers are too long (${charLen} chars)" }
            if (max > bytes.size) bytes = ByteArray(max.toInt())
            val into = ByteBuffer.wrap(bytes)
            encoder.reset()
            val r = encoder.encode(CharBuffer.wrap(chars, 0, charLen), into, true)
            // A lone surrogate is no text UTF-8 can carry: a typed error, as the core gives
            // for bytes that are not UTF-8.
            if (r.isError) throw HmacSigException(ErrorKind.INVALID_REQUEST, "the method, target or headers are not valid UTF-8")
            encoder.flush(into)
            textLen = into.position()
            text = Region.atLeast(text, textLen)
            text.write(bytes, textLen)
        }

        /** The body: copied into a direct buffer. */
        fun body(body: ByteArray) {
            if (body.isEmpty()) return noBody()
            bodyRegion = Region.atLeast(bodyRegion, body.size)
            bodyRegion.write(body, body.size)
            bodyAddress = bodyRegion.address
            bodyLen = body.size.toLong()
        }

        /** The body's remaining bytes: a direct buffer is read in place, not consumed. */
        fun body(body: ByteBuffer) {
            val n = body.remaining()
            if (n == 0) return noBody()
            if (body.isDirect) {
                bodyAddress = addressOf(body) + body.position()
                bodyRef = body
            } else {
                bodyRegion = Region.atLeast(bodyRegion, n)
                bodyRegion.write(body)
                bodyAddress = bodyRegion.address
            }
            bodyLen = n.toLong()
        }

        private fun noBody() {
            bodyAddress = 0
            bodyLen = 0
        }

        /** Calls [op] on [id]; the result's length, or the closed error naming [owner]. */
        private fun call(op: Int, id: Long, secretAddress: Long, secretLen: Long, now: Long, owner: Any, what: String): Int {
            val n = hmacsig_call(
                op, id, counts, text.address, textLen.toLong(), bodyAddress, bodyLen, secretAddress, secretLen, now, out.address,
                out.capacity.toLong(),
            )
            // The body's buffer, and the object the id names, stay reachable until the entry returned.
            keepAlive(bodyRef)
            keepAlive(owner)
            if (n == CLOSED) throw IllegalStateException("this $what has been closed")
            check(n >= 0) { "hmacsig_call refused the call ($n): a bug in the Kotlin layer" }
            check(n <= Int.MAX_VALUE - 16) { "a result of $n bytes is past what a JVM array holds" }
            val size = n.toInt()
            if (size > out.capacity) {
                // Too large: nothing was written, and the core kept it for this thread.
                out = Region.atLeast(out, size)
                val fetched = hmacsig_call_result(out.address, out.capacity.toLong())
                check(fetched == n) { "hmacsig_call_result gave $fetched, not $n" }
            }
            if (size > result.size) result = ByteArray(if (size <= SCRATCH_MAX) maxOf(size, minOf(result.size * 2, SCRATCH_MAX)) else size)
            out.read(result, size)
            return size
        }

        /** Signs with the signer [id] ([SIGN] or [SIGN_RESPONSE]). */
        fun signed(op: Int, id: Long, now: Long?, owner: Any): SignedRequest {
            val size = call(op, id, 0, 0, clock(now), owner, "Signer")
            return decodeSigned(result, size)
        }

        /** Verifies with, or reads the claimed key id through, the verifier [id]. */
        fun keyId(op: Int, id: Long, now: Long?, owner: Any): String {
            val size = call(op, id, 0, 0, clock(now), owner, "Verifier")
            return decodeKeyId(result, size)
        }

        /** [VERIFY] or [VERIFY_RESPONSE] with the secret a caller's lookup found (null: none, the core says unknown_key). */
        fun keyIdWithSecret(op: Int, id: Long, found: ByteArray?, now: Long?, owner: Any): String {
            if (found == null) return keyId(op, id, now, owner)
            secret = Region.atLeast(secret, found.size)
            secret.write(found, found.size)
            try {
                // Never a null pointer here: an empty secret is a secret.
                val size = call(op, id, secret.address, found.size.toLong(), clock(now), owner, "Verifier")
                return decodeKeyId(result, size)
            } finally {
                secret.write(ByteArray(found.size), found.size) // no secret left in a kept buffer
                if (secret.temporary) secret.free().also { secret = Region.kept(128) }
            }
        }

        /** The text and counts last encoded (the codec test). */
        fun encoded(): Pair<ByteArray, Long> = bytes.copyOf(textLen) to counts
    }
}
