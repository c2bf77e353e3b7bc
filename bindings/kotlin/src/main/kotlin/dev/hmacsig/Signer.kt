package dev.hmacsig

import java.io.InputStream
import java.nio.ByteBuffer
import java.nio.channels.ReadableByteChannel
import dev.hmacsig.ffi.Signer as FfiSigner

/**
 * Holds a scheme and credentials and signs many requests: the fast path. Thread-safe.
 * Close it (or `use {}` it) when done; the scheme and credentials it was built from may
 * be closed independently. A call running on another thread when it is closed finishes
 * normally; calls made after [close] throw IllegalStateException.
 */
class Signer(scheme: Scheme, credentials: Credentials) : AutoCloseable {
    private val owned: Owned<FfiSigner> =
        scheme.owned.with { s -> credentials.owned.with { c -> Owned(FfiSigner(s, c), "Signer") } }

    /** How the core's one call path names this signer (CoreCall.kt: the one lifetime rule). */
    private val id: Long = CoreCall.signerId(owned.inner)

    private val bodyDigestAlgorithm: ContentDigest? = scheme.bodyDigestAlgorithm

    /** Whether HTTP clients give it the absolute URL (hawk: the host and port the URL names). */
    internal val signsAbsoluteUrl: Boolean = owned.with { it.signsAbsoluteUrl() }

    /** The key id this signer signs with. */
    val keyId: String = credentials.keyId

    val isClosed: Boolean get() = owned.closed

    /**
     * Signs a request given as parts. [now] is Unix seconds (the system clock when null).
     * Returns the headers to set and the string that was signed.
     */
    @JvmOverloads
    fun sign(method: String, target: String, headers: List<Header>, body: ByteArray = ByteArray(0), now: Long? = null): SignedRequest {
        if (owned.closed) owned.refuseClosed()
        return CoreCall.session { call ->
            call.request(method, target, headers)
            call.body(body)
            call.signed(CoreCall.SIGN, id, now, this)
        }
    }

    /** As [sign], with the body's remaining bytes; a direct buffer is read in place, and not consumed. */
    @JvmOverloads
    fun sign(method: String, target: String, headers: List<Header>, body: ByteBuffer, now: Long? = null): SignedRequest {
        if (owned.closed) owned.refuseClosed()
        return CoreCall.session { call ->
            call.request(method, target, headers)
            call.body(body)
            call.signed(CoreCall.SIGN, id, now, this)
        }
    }

    /** Signs a [Request]. [now] is Unix seconds (the system clock when null). */
    @JvmOverloads
    fun signRequest(request: Request, now: Long? = null): SignedRequest = sign(request.method, request.target, request.headers, request.body, now)

    /**
     * Signs [response] with this signer's rfc9421 or hawk scheme (any other scheme is
     * [ErrorKind.UNSUPPORTED]); [request] is the request it answers: for rfc9421, needed when
     * the scheme covers request components with `;req`; for hawk, always, with the client's
     * `Authorization` (the `Server-Authorization` is signed over it). [now] is Unix seconds
     * (the system clock when null). Returns the headers to set on the response and the
     * string that was signed.
     */
    @JvmOverloads
    fun signResponse(response: Response, request: Request? = null, now: Long? = null): SignedRequest {
        if (owned.closed) owned.refuseClosed()
        return CoreCall.session { call ->
            call.response(response, request)
            call.body(response.body)
            call.signed(CoreCall.SIGN_RESPONSE, id, now, this)
        }
    }

    /**
     * Signs a request whose body is given by its [bodyDigest] (from a [BodyHasher]): byte
     * for byte what [sign] gives with the body itself, for api-auth, aws-sigv4 and kong-hmac
     * (a SHA-256 digest) and rfc9421 (the scheme's `contentDigest` algorithm; any without
     * it). A digest of another algorithm is [ErrorKind.INVALID_REQUEST]; path-body-hex,
     * timestamped and hawk MAC the bytes themselves and refuse it ([ErrorKind.UNSUPPORTED]).
     */
    @JvmOverloads
    fun signWithBodyDigest(method: String, target: String, headers: List<Header>, bodyDigest: BodyDigest, now: Long? = null): SignedRequest {
        val digest = bodyDigest.toFfi()
        return owned.with { translated { it.signWithBodyDigest(method, target, headers, digest, now) } }
    }

    /** A new [BodyHasher] of the algorithm this signer's scheme signs a streamed body with. */
    fun bodyHasher(): BodyHasher = BodyHasher(bodyDigestAlgorithm ?: ContentDigest.SHA256)

    /**
     * Signs a request whose body is [body], read to its end in [chunkSize] pieces (constant
     * memory) and not closed: [signWithBodyDigest] with its digest. Send exactly the bytes
     * that were read, so re-open or rewind the source (a file) to send it; the result's
     * `bodyDigest.length` is its `Content-Length`. A scheme that refuses a digest
     * ([ErrorKind.UNSUPPORTED]) fails before anything is read.
     */
    @JvmOverloads
    fun signStream(
        method: String,
        target: String,
        headers: List<Header>,
        body: InputStream,
        now: Long? = null,
        chunkSize: Int = BodyHasher.DEFAULT_CHUNK_SIZE,
    ): SignedStream = signStreamed(method, target, headers, now) { it.update(body, chunkSize) }

    /** As [signStream], reading the blocking [body] channel (a `FileChannel`: no copy on the JVM side). */
    @JvmOverloads
    fun signStream(
        method: String,
        target: String,
        headers: List<Header>,
        body: ReadableByteChannel,
        now: Long? = null,
        chunkSize: Int = BodyHasher.DEFAULT_CHUNK_SIZE,
    ): SignedStream = signStreamed(method, target, headers, now) { it.update(body, chunkSize) }

    private inline fun signStreamed(method: String, target: String, headers: List<Header>, now: Long?, read: (BodyHasher) -> Unit): SignedStream {
        check(!isClosed) { "this Signer has been closed" }
        // The core's own refusal (and its message), before a large body is read for nothing.
        if (bodyDigestAlgorithm == null) signWithBodyDigest(method, target, headers, EMPTY_SHA256, now)
        val digest = bodyHasher().use { hasher ->
            read(hasher)
            hasher.finish()
        }
        return SignedStream(signWithBodyDigest(method, target, headers, digest, now), digest)
    }

    override fun close() = owned.close()

    override fun toString(): String = "Signer(keyId=$keyId${if (isClosed) ", closed" else ""})"
}

/** SHA-256 of no bytes. (Not `java.util.HexFormat`: JDK 17, above Android API 24.) */
private val EMPTY_SHA256 = BodyDigest(
    ContentDigest.SHA256,
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".chunked(2).map { it.toInt(16).toByte() }.toByteArray(),
    0,
)
