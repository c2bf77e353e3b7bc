@file:JvmName("HmacSig")

package dev.hmacsig

import java.io.InputStream
import java.nio.ByteBuffer
import java.nio.channels.ReadableByteChannel
import java.util.concurrent.locks.ReentrantReadWriteLock
import kotlin.concurrent.read
import kotlin.concurrent.write
import dev.hmacsig.ffi.ContentDigest as FfiContentDigest
import dev.hmacsig.ffi.Credentials as FfiCredentials
import dev.hmacsig.ffi.HeaderStyle as FfiHeaderStyle
import dev.hmacsig.ffi.Policy as FfiPolicy
import dev.hmacsig.ffi.Response as FfiResponse
import dev.hmacsig.ffi.Scheme as FfiScheme
import dev.hmacsig.ffi.SignatureType as FfiSignatureType
import dev.hmacsig.ffi.Signer as FfiSigner

/*
 * hmacsig: sign and verify HTTP requests with HMAC.
 *
 * A thin layer over the UniFFI-generated `dev.hmacsig.ffi` package: Kotlin defaults,
 * ByteArray bodies, one exception type (HmacSigException with an ErrorKind), and
 * closeable objects that refuse use after close instead of touching freed native memory.
 */

/** One header field line. Names compare case-insensitively; values are kept verbatim. */
typealias Header = dev.hmacsig.ffi.Header

/** An HTTP request to sign or verify: method, target as sent, ordered headers, body bytes. */
typealias Request = dev.hmacsig.ffi.Request

/**
 * The result of signing: `headers` to set on the request (replacing any of the same name),
 * in order; `stringToSign`, the exact bytes that were MACed; `url` for query-signing schemes.
 */
typealias SignedRequest = dev.hmacsig.ffi.SignedRequest

/**
 * An HTTP response to sign or verify with the rfc9421 scheme ([signResponse],
 * [verifyResponse]): the [status] code (100..999 for the core; outside 0..65535 it is an
 * IllegalArgumentException), ordered [headers] where a name may repeat, and the [body]
 * bytes (empty when there is none). Two responses are equal when their status, headers and
 * body bytes are.
 */
data class Response @JvmOverloads constructor(val status: Int, val headers: List<Header>, val body: ByteArray = ByteArray(0)) {
    init {
        require(status in 0..UShort.MAX_VALUE.toInt()) { "status must be 0..${UShort.MAX_VALUE}, not $status" }
    }

    internal fun toFfi(): FfiResponse = FfiResponse(status.toUShort(), headers, body)

    override fun equals(other: Any?): Boolean =
        this === other || (other is Response && status == other.status && headers == other.headers && body.contentEquals(other.body))

    override fun hashCode(): Int = (status * 31 + headers.hashCode()) * 31 + body.contentHashCode()

    override fun toString(): String = "Response(status=$status, headers=$headers, body=${body.size} bytes)"
}

/** Headers from `name to value` pairs, in order. */
fun headersOf(vararg pairs: Pair<String, String>): List<Header> = pairs.map { (name, value) -> Header(name, value) }

/**
 * Owns one generated object: calls run under a read lock and refuse a closed object;
 * [close] takes the write lock, so a native object is never freed while a call uses it.
 */
internal class Owned<T : AutoCloseable>(internal val inner: T, private val what: String) {
    internal val lock = ReentrantReadWriteLock()

    @Volatile
    var closed = false
        private set

    // Inline: no lambda object per call on the hot paths (Signer.sign).
    inline fun <R> with(block: (T) -> R): R = lock.read {
        if (closed) refuseClosed()
        block(inner)
    }

    internal fun refuseClosed(): Nothing = throw IllegalStateException("this $what has been closed")

    fun close() {
        // A call on this thread holds the read lock (a key lookup closing its own Verifier):
        // taking the write lock here would wait for ourselves forever.
        check(lock.readHoldCount == 0) { "this $what cannot be closed from inside one of its own calls" }
        lock.write {
            if (!closed) {
                closed = true
                inner.close()
            }
        }
    }

    /** [block] with the inner object of [owned], or with null when [owned] is null. */
    companion object {
        fun <T : AutoCloseable, R> withOptional(owned: Owned<T>?, block: (T?) -> R): R =
            if (owned == null) block(null) else owned.with(block)
    }
}

/** Where the timestamped scheme puts the signature ([Scheme.timestamped]). */
enum class HeaderStyle(internal val ffi: FfiHeaderStyle) {
    /** `X-Request-Timestamp`, `X-Request-Signature` and (for a non-empty key id) `X-Request-Key-Id`. */
    X_REQUEST(FfiHeaderStyle.X_REQUEST),

    /** `X-Request-Timestamp` and `Authorization: HMAC-SHA256 <key_id>:<signature>`. */
    AUTHORIZATION(FfiHeaderStyle.AUTHORIZATION),
}

/** Where the aws-sigv4 scheme puts the signature ([Scheme.awsSigv4]). */
enum class SignatureType(internal val ffi: FfiSignatureType) {
    /** `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` (and `X-Amz-Date`). */
    HEADER(FfiSignatureType.HEADER),

    /**
     * A presigned URL ([SignedRequest.url]): `X-Amz-Algorithm`, `-Credential`, `-Date`,
     * `-SignedHeaders`, `-Expires` (and `-Security-Token`) and `X-Amz-Signature` in the query.
     */
    QUERY(FfiSignatureType.QUERY),
}

/**
 * The `Content-Digest` (RFC 9530) an rfc9421 scheme adds and covers ([Scheme.rfc9421]);
 * verifying accepts these two only.
 */
enum class ContentDigest(internal val ffi: FfiContentDigest) {
    /** `sha-256`: `Content-Digest: sha-256=:<base64 SHA-256 of the body>:`. */
    SHA256(FfiContentDigest.SHA256),

    /** `sha-512`: `Content-Digest: sha-512=:<base64 SHA-512 of the body>:`. */
    SHA512(FfiContentDigest.SHA512),
    ;

    internal companion object {
        fun fromFfi(ffi: FfiContentDigest): ContentDigest = entries.first { it.ffi == ffi }
    }
}

/** `seconds` as a UInt, or IllegalArgumentException naming [what] when it is outside 0..4294967295. */
private fun seconds(what: String, seconds: Long): UInt {
    require(seconds in 0..UInt.MAX_VALUE.toLong()) { "$what must be 0..${UInt.MAX_VALUE} seconds, not $seconds" }
    return seconds.toUInt()
}

/** How to sign: a scheme and its options. Immutable; share one across threads. Close it when done. */
class Scheme private constructor(
    inner: FfiScheme,
    /** The digest it signs a streamed body with; null for the schemes that MAC the body bytes. */
    internal val bodyDigestAlgorithm: ContentDigest?,
) : AutoCloseable {
    internal val owned = Owned(inner, "Scheme")

    /**
     * The scheme's name, as the conformance cases spell it (`api-auth`, `path-body-hex`,
     * `timestamped`, `aws-sigv4`, `rfc9421`).
     */
    val name: String get() = owned.with { it.name() }

    val isClosed: Boolean get() = owned.closed

    override fun close() = owned.close()

    override fun toString(): String = if (isClosed) "Scheme(closed)" else "Scheme($name)"

    companion object {
        /**
         * api-auth (Ruby gem 2.5). [digest]: `sha1` (header `APIAuth`), `sha224`, `sha256`,
         * `sha384` or `sha512` (header `APIAuth-HMAC-SHA256` ...). [headersToSign]: extra
         * header values to sign, in order. [overrideMethod]: the method to sign instead of
         * the request's. An unknown digest is [ErrorKind.UNSUPPORTED].
         */
        @JvmStatic
        @JvmOverloads
        fun apiAuth(digest: String = "sha1", headersToSign: List<String> = emptyList(), overrideMethod: String? = null): Scheme =
            Scheme(translated { FfiScheme.apiAuth(digest, headersToSign, overrideMethod) }, ContentDigest.SHA256)

        /**
         * path-body-hex (the Sinatra filter): `Authorization: <key_id>:<hex>` over the path,
         * `?query` when not empty, and the body of POST, PUT and PATCH. [digest]: `sha1` or
         * `sha256`; anything else is [ErrorKind.UNSUPPORTED]. It has no [Policy].
         */
        @JvmStatic
        @JvmOverloads
        fun pathBodyHex(digest: String = "sha1"): Scheme = Scheme(translated { FfiScheme.pathBodyHex(digest) }, null)

        /**
         * timestamped (the C#/Node scheme): base64 HMAC-SHA256 over METHOD, the full URL, the
         * Unix timestamp and the body. [headerStyle]: where the signature goes.
         * [lowercaseUrl]: lower-case scheme, host and path (not the query) before signing.
         * Verify it with [Policy.timestamped].
         */
        @JvmStatic
        @JvmOverloads
        fun timestamped(headerStyle: HeaderStyle = HeaderStyle.X_REQUEST, lowercaseUrl: Boolean = false): Scheme =
            Scheme(translated { FfiScheme.timestamped(headerStyle.ffi, lowercaseUrl) }, null)

        /**
         * AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for [region] and [service] (non-empty,
         * without `/` or spaces, else [ErrorKind.UNSUPPORTED]). [sessionToken]: temporary
         * credentials' token, sent as `X-Amz-Security-Token` (added unsigned when
         * [omitSessionToken]). [normalize] and [doubleUriEncode]: path handling (S3 wants
         * neither). [signBody]: add and sign `x-amz-content-sha256`. [signatureType]:
         * [SignatureType.HEADER], or [SignatureType.QUERY] for a presigned URL
         * ([SignedRequest.url]) valid [expires] seconds (1..604800, else
         * [ErrorKind.UNSUPPORTED]; outside 0..4294967295 it is an IllegalArgumentException).
         * Verify it with [Policy.awsSigv4].
         */
        @JvmStatic
        @JvmOverloads
        fun awsSigv4(
            region: String,
            service: String,
            sessionToken: String? = null,
            omitSessionToken: Boolean = false,
            normalize: Boolean = true,
            doubleUriEncode: Boolean = true,
            signBody: Boolean = false,
            signatureType: SignatureType = SignatureType.HEADER,
            expires: Long = 3600,
        ): Scheme {
            val expiresSeconds = seconds("expires", expires)
            return Scheme(
                translated {
                    FfiScheme.awsSigv4(
                        region,
                        service,
                        sessionToken,
                        omitSessionToken,
                        normalize,
                        doubleUriEncode,
                        signBody,
                        signatureType.ffi,
                        expiresSeconds,
                    )
                },
                ContentDigest.SHA256,
            )
        }

        /**
         * RFC 9421 HTTP Message Signatures with `hmac-sha256`: adds `Signature-Input` and
         * `Signature` (and `Content-Digest` with [contentDigest]). Sign a request as any other
         * scheme, a response with [signResponse].
         *
         * - [components]: what to cover, in order, as lower-case identifiers such as
         *   `@method`, `@target-uri`, `content-type`, `@query-param;name="id"`, or for a
         *   response `@status` and the request's `@method;req` (null: `@method`, `@authority`,
         *   `@target-uri`). An unknown or upper-case one, or one listed twice, is
         *   [ErrorKind.UNSUPPORTED] here, before anything is signed.
         * - [label]: the signature's name in both headers, a Structured Field key (lower case).
         * - [created]: Unix seconds (null: the signing time); [expires]: Unix seconds, or none.
         * - [nonce], [tag]: signed parameters, when not null.
         * - [includeAlg]: add `alg="hmac-sha256"`.
         * - [contentDigest]: add a `Content-Digest` of the body and cover it (needed for the
         *   default [Policy.rfc9421] to accept a body).
         *
         * Verify it with [Policy.rfc9421]; the signed headers are set on the message by the
         * caller, replacing any of the same name.
         */
        @JvmStatic
        @JvmOverloads
        fun rfc9421(
            components: List<String>? = null,
            label: String = "sig1",
            created: Long? = null,
            expires: Long? = null,
            nonce: String? = null,
            tag: String? = null,
            includeAlg: Boolean = false,
            contentDigest: ContentDigest? = null,
        ): Scheme = Scheme(
            translated { FfiScheme.rfc9421(components, label, created, expires, nonce, tag, includeAlg, contentDigest?.ffi) },
            contentDigest ?: ContentDigest.SHA256,
        )
    }
}

/** How strictly to verify. Immutable; share one across threads. Close it when done. */
class Policy private constructor(inner: FfiPolicy) : AutoCloseable {
    internal val owned = Owned(inner, "Policy")

    val isClosed: Boolean get() = owned.closed

    override fun close() = owned.close()

    override fun toString(): String = if (isClosed) "Policy(closed)" else "Policy"

    companion object {
        /**
         * api-auth verification. [clockSkew]: seconds either side of `Date` (strict
         * bounds), 0..4294967295. [digest]: accept only this digest. [trustOriginalUri]:
         * honour `X-Original-URI` from a trusted proxy. [allowUnsignedBody]: accept a body
         * that no content hash covers (the gem's behaviour).
         */
        @JvmStatic
        @JvmOverloads
        fun apiAuth(
            clockSkew: Long = 900,
            digest: String? = null,
            trustOriginalUri: Boolean = false,
            allowUnsignedBody: Boolean = false,
        ): Policy {
            require(clockSkew in 0..UInt.MAX_VALUE.toLong()) { "clockSkew must be 0..${UInt.MAX_VALUE} seconds, not $clockSkew" }
            return Policy(translated { FfiPolicy.apiAuth(clockSkew.toUInt(), digest, trustOriginalUri, allowUnsignedBody) })
        }

        /**
         * timestamped verification. [maxAge]: oldest accepted timestamp, in seconds before
         * now; [maxFuture]: latest accepted, in seconds after now (both 0..4294967295).
         * [publicBaseUrl]: the URL clients see (`https://api.example.com/v1`), used instead
         * of the request's own scheme, host and base path behind a reverse proxy; one that is
         * not `scheme://host[/base-path]` is [ErrorKind.UNSUPPORTED]. [trustForwarded]: take
         * scheme and host from `X-Forwarded-Proto`/`-Scheme` and `X-Forwarded-Host` (only
         * behind a proxy that sets them).
         */
        @JvmStatic
        @JvmOverloads
        fun timestamped(
            maxAge: Long = 300,
            maxFuture: Long = 5,
            publicBaseUrl: String? = null,
            trustForwarded: Boolean = false,
        ): Policy {
            val max = UInt.MAX_VALUE.toLong()
            require(maxAge in 0..max) { "maxAge must be 0..$max seconds, not $maxAge" }
            require(maxFuture in 0..max) { "maxFuture must be 0..$max seconds, not $maxFuture" }
            return Policy(translated { FfiPolicy.timestamped(maxAge.toUInt(), maxFuture.toUInt(), publicBaseUrl, trustForwarded) })
        }

        /**
         * aws-sigv4 verification. [maxSkew]: most seconds between `X-Amz-Date` and now,
         * either way (AWS: 900), 0..4294967295. A presigned URL is good from
         * `X-Amz-Date - maxSkew` until `X-Amz-Date + X-Amz-Expires`.
         */
        @JvmStatic
        @JvmOverloads
        fun awsSigv4(maxSkew: Long = 900): Policy {
            val skew = seconds("maxSkew", maxSkew)
            return Policy(translated { FfiPolicy.awsSigv4(skew) })
        }

        /**
         * rfc9421 verification (requests and responses).
         *
         * - [maxAge]: oldest accepted `created`, in seconds before now.
         * - [requiredComponents]: what every verified signature must cover (null: `@method`
         *   and `@target-uri` for a request, `@status` for a response; an empty list: nothing).
         *   A bad identifier is [ErrorKind.UNSUPPORTED].
         * - [clockSkew]: tolerance in seconds on `created`, `expires` and [maxAge].
         * - [label], [tag]: verify only the signature with this label, or with this tag
         *   (otherwise every signature made with the verifying key id).
         * - [allowUnsignedBody]: accept a body that no signed, matching `Content-Digest` covers.
         *
         * Seconds are 0..4294967295, else an IllegalArgumentException.
         */
        @JvmStatic
        @JvmOverloads
        fun rfc9421(
            maxAge: Long = 300,
            requiredComponents: List<String>? = null,
            clockSkew: Long = 5,
            label: String? = null,
            tag: String? = null,
            allowUnsignedBody: Boolean = false,
        ): Policy {
            val age = seconds("maxAge", maxAge)
            val skew = seconds("clockSkew", clockSkew)
            return Policy(translated { FfiPolicy.rfc9421(age, requiredComponents, skew, label, tag, allowUnsignedBody) })
        }
    }
}

/**
 * A key id and its secret. The secret is handed to the native core at once and is never
 * kept on the JVM side nor shown by [toString]. Close it when done.
 */
class Credentials(keyId: String, secret: ByteArray) : AutoCloseable {
    /** A text secret: its UTF-8 bytes are the key (api-auth secrets are used as text). */
    constructor(keyId: String, secret: String) : this(keyId, secret.toByteArray(Charsets.UTF_8))

    internal val owned = Owned(FfiCredentials(keyId, secret), "Credentials")

    /** The key id (public: it travels in the request). */
    val keyId: String = keyId

    val isClosed: Boolean get() = owned.closed

    override fun close() = owned.close()

    override fun toString(): String = "Credentials(keyId=$keyId, secret=<redacted>)"
}

/** Largest body copied through the per-thread scratch buffer; bigger ones get their own. */
private const val SCRATCH_MAX = 64 * 1024
private val scratch = ThreadLocal<ByteBuffer>()

/**
 * Runs [block] with [bytes] in a direct buffer at position 0 (the generated `&[u8]`
 * argument needs one). The per-thread scratch buffer is taken out for the call, so a
 * nested call on the same thread (a key lookup that signs or verifies, run from inside
 * [Verifier.verify]) gets a buffer of its own instead of overwriting this one.
 */
internal fun <R> withDirect(bytes: ByteArray, block: (ByteBuffer) -> R): R {
    if (bytes.size > SCRATCH_MAX) return block(ByteBuffer.allocateDirect(bytes.size).put(bytes).flip())
    var buf = scratch.get()
    scratch.set(null)
    if (buf == null || buf.capacity() < bytes.size) buf = ByteBuffer.allocateDirect(maxOf(bytes.size, 4096))
    buf.clear()
    buf.put(bytes)
    buf.flip()
    try {
        return block(buf)
    } finally {
        scratch.set(buf)
    }
}

/** [block] with [body]'s remaining bytes as a direct buffer at position 0; a direct one is passed without a copy. */
internal fun <R> withDirect(body: ByteBuffer, block: (ByteBuffer) -> R): R =
    // slice(): the generated code passes the buffer's base address, so start it at 0.
    if (body.isDirect) block(body.slice()) else withDirect(ByteArray(body.remaining()).also { body.duplicate().get(it) }, block)

/**
 * Holds a scheme and credentials and signs many requests: the fast path. Thread-safe.
 * Close it (or `use {}` it) when done; the scheme and credentials it was built from may
 * be closed independently.
 */
class Signer(scheme: Scheme, credentials: Credentials) : AutoCloseable {
    private val owned: Owned<FfiSigner> =
        scheme.owned.with { s -> credentials.owned.with { c -> Owned(FfiSigner(s, c), "Signer") } }

    /**
     * The core signer's address, for the raw entry (RawCall.kt): valid while [owned] is open,
     * so passed only inside `owned.with {}`, which a close waits for.
     */
    private val address: Long = owned.with { it.address().toLong() }

    private val bodyDigestAlgorithm: ContentDigest? = scheme.bodyDigestAlgorithm

    /** The key id this signer signs with. */
    val keyId: String = credentials.keyId

    val isClosed: Boolean get() = owned.closed

    /**
     * Signs a request given as parts. [now] is Unix seconds (the system clock when null).
     * Returns the headers to set and the string that was signed.
     */
    @JvmOverloads
    fun sign(method: String, target: String, headers: List<Header>, body: ByteArray = ByteArray(0), now: Long? = null): SignedRequest =
        sign(method, target, headers, ByteBuffer.wrap(body), now)

    /** As [sign], with the body's remaining bytes; a direct buffer is passed without a copy. */
    @JvmOverloads
    fun sign(method: String, target: String, headers: List<Header>, body: ByteBuffer, now: Long? = null): SignedRequest =
        owned.with { signer ->
            // The packed call (PackedCall.kt) when it can carry the input; otherwise the record
            // call, which gives the same result or the same error.
            signPacked(signer, address, method, target, headers, body, now)
                ?: withDirect(body) { buf -> translated { signer.sign(method, target, headers, buf, now) } }
        }

    /** [sign] through the generated packed call, never the raw entry: the fallback, for tests and the bench. */
    internal fun signWithGeneratedPacked(method: String, target: String, headers: List<Header>, body: ByteArray, now: Long?): SignedRequest? =
        owned.with { signer -> signPacked(signer, address, method, target, headers, ByteBuffer.wrap(body), now, raw = false) }

    /** Calls [block] with the generated signer and its core address, open for the call (tests and the bench). */
    internal fun <R> withAddress(block: (FfiSigner, Long) -> R): R = owned.with { block(it, address) }

    /** [sign] through the generated record call alone: the fallback, and what tests compare the packed call with. */
    internal fun signWithRecords(method: String, target: String, headers: List<Header>, body: ByteArray, now: Long?): SignedRequest =
        owned.with { signer -> withDirect(body) { buf -> translated { signer.sign(method, target, headers, buf, now) } } }

    /** Signs a [Request]. [now] is Unix seconds (the system clock when null). */
    @JvmOverloads
    fun signRequest(request: Request, now: Long? = null): SignedRequest = owned.with { translated { it.signRequest(request, now) } }

    /**
     * Signs a request whose body is given by its [bodyDigest] (from a [BodyHasher]): byte
     * for byte what [sign] gives with the body itself, for api-auth and aws-sigv4 (a SHA-256
     * digest) and rfc9421 (the scheme's `contentDigest` algorithm; any without it). A digest
     * of another algorithm is [ErrorKind.INVALID_REQUEST]; path-body-hex and timestamped MAC
     * the bytes themselves and refuse it ([ErrorKind.UNSUPPORTED]).
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

/** SHA-256 of no bytes. */
private val EMPTY_SHA256 = BodyDigest(
    ContentDigest.SHA256,
    java.util.HexFormat.of().parseHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    0,
)

/** Signs [request] once. [now] is Unix seconds (the system clock when null). */
@JvmOverloads
fun signRequest(scheme: Scheme, credentials: Credentials, request: Request, now: Long? = null): SignedRequest =
    scheme.owned.with { s ->
        credentials.owned.with { c -> translated { dev.hmacsig.ffi.signRequest(s, c, request, now) } }
    }

/**
 * Verifies [request] against the secret the server holds for `credentials.keyId`; returns
 * that key id. [policy] null means the scheme's strict defaults. [now] is Unix seconds
 * (the system clock when null). Throws [HmacSigException] saying why it does not verify.
 */
@JvmOverloads
fun verifyRequest(scheme: Scheme, credentials: Credentials, request: Request, policy: Policy? = null, now: Long? = null): String =
    scheme.owned.with { s ->
        credentials.owned.with { c ->
            if (policy == null) {
                translated { dev.hmacsig.ffi.verifyRequest(s, c, request, null, now) }
            } else {
                policy.owned.with { p -> translated { dev.hmacsig.ffi.verifyRequest(s, c, request, p, now) } }
            }
        }
    }

/**
 * Signs [response] with an rfc9421 [scheme] (any other scheme is [ErrorKind.UNSUPPORTED]);
 * [request] is the request it answers, needed when the scheme covers request components
 * with `;req` (`@method;req`, `content-digest;req`). [now] is Unix seconds (the system
 * clock when null). Returns the headers to set on the response and the signature base
 * ([SignedRequest.stringToSign]).
 */
@JvmOverloads
fun signResponse(scheme: Scheme, credentials: Credentials, response: Response, request: Request? = null, now: Long? = null): SignedRequest {
    val ffiResponse = response.toFfi()
    return scheme.owned.with { s ->
        credentials.owned.with { c -> translated { dev.hmacsig.ffi.signResponse(s, c, ffiResponse, request, now) } }
    }
}

/**
 * Verifies [response] with an rfc9421 [scheme] against the secret held for
 * `credentials.keyId`; returns that key id. [request] is the request it answers (for
 * `;req` components). [policy] null means [Policy.rfc9421] defaults: the signature must
 * cover `@status`. [now] is Unix seconds (the system clock when null). Throws
 * [HmacSigException] saying why it does not verify.
 */
@JvmOverloads
fun verifyResponse(
    scheme: Scheme,
    credentials: Credentials,
    response: Response,
    request: Request? = null,
    policy: Policy? = null,
    now: Long? = null,
): String {
    val ffiResponse = response.toFfi()
    return scheme.owned.with { s ->
        credentials.owned.with { c ->
            Owned.withOptional(policy?.owned) { p ->
                translated { dev.hmacsig.ffi.verifyResponse(s, c, ffiResponse, request, p, now) }
            }
        }
    }
}

/** The key id a request claims, to look its secret up before verifying. Not verified yet. */
fun extractKeyId(scheme: Scheme, request: Request): String =
    scheme.owned.with { s -> translated { dev.hmacsig.ffi.extractKeyId(s, request) } }

/**
 * A new random secret as the api-auth gem makes them: 88 base64 characters. Use it as
 * text: `Credentials(keyId, secret)` with the String.
 */
fun generateSecret(): String = translated { dev.hmacsig.ffi.generateSecret() }

/**
 * The HTTP status to answer a request refused with [kind], the same for every scheme:
 * 401 when the request carries no usable credentials (missing or malformed authorization,
 * invalid request, unsupported), 403 when credentials were presented and refused (unknown
 * key, bad signature, stale, future, body mismatch, digest not allowed, missing signed
 * header, replayed), 503 when the server's key lookup failed.
 */
fun httpStatus(kind: ErrorKind): Int = dev.hmacsig.ffi.httpStatus(kind.code).toInt()

/** The HTTP status to answer a request refused with [e]: `httpStatus(e.kind)`. */
fun httpStatus(e: HmacSigException): Int = httpStatus(e.kind)
