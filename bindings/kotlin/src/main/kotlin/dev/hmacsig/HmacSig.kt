@file:JvmName("HmacSig")

package dev.hmacsig

import java.util.concurrent.locks.ReentrantReadWriteLock
import kotlin.concurrent.read
import kotlin.concurrent.write
import dev.hmacsig.ffi.ContentDigest as FfiContentDigest
import dev.hmacsig.ffi.HeaderStyle as FfiHeaderStyle
import dev.hmacsig.ffi.SignatureType as FfiSignatureType

/*
 * hmacsig: sign and verify HTTP requests with HMAC.
 *
 * A thin layer over the UniFFI-generated `dev.hmacsig.ffi` package: Kotlin defaults,
 * ByteArray bodies, one exception type (HmacSigException with an ErrorKind; the key store
 * has its own, KeyStoreException), and
 * closeable objects that refuse use after close instead of touching freed native memory.
 * Signing and verifying go through one C entry of the core (CoreCall.kt); UniFFI builds the
 * objects. Files: Scheme.kt (Scheme, Policy, Credentials), Signer.kt, Verifier.kt (Verifier,
 * KeyLookup, ReplayGuard), KeyStore.kt (the encrypted key store), BodyHasher.kt (streamed
 * bodies), HmacSigException.kt.
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
 * An HTTP response to sign or verify with the rfc9421 or hawk scheme ([signResponse],
 * [verifyResponse]): the [status] code (100..999 for the core; outside 0..65535 it is an
 * IllegalArgumentException), ordered [headers] where a name may repeat, and the [body]
 * bytes (empty when there is none). Two responses are equal when their status, headers and
 * body bytes are.
 */
data class Response @JvmOverloads constructor(val status: Int, val headers: List<Header>, val body: ByteArray = ByteArray(0)) {
    init {
        require(status in 0..UShort.MAX_VALUE.toInt()) { "status must be 0..${UShort.MAX_VALUE}, not $status" }
    }

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

/** Where the aws-sigv4 and hawk schemes put the signature ([Scheme.awsSigv4], [Scheme.hawk]). */
enum class SignatureType(internal val ffi: FfiSignatureType) {
    /**
     * In headers: aws-sigv4's `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
     * Signature=...` (and `X-Amz-Date`), hawk's `Authorization: Hawk id=..., mac=...`.
     */
    HEADER(FfiSignatureType.HEADER),

    /**
     * A presigned URL ([SignedRequest.url]): for aws-sigv4, `X-Amz-Algorithm`, `-Credential`,
     * `-Date`, `-SignedHeaders`, `-Expires` (and `-Security-Token`) and `X-Amz-Signature` in the
     * query; for hawk, a `bewit` query parameter.
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

/** Signs [request] once. [now] is Unix seconds (the system clock when null). */
@JvmOverloads
fun signRequest(scheme: Scheme, credentials: Credentials, request: Request, now: Long? = null): SignedRequest =
    Signer(scheme, credentials).use { it.signRequest(request, now) }

/**
 * Verifies [request] against the secret the server holds for `credentials.keyId`; returns
 * that key id. [policy] null means the scheme's strict defaults. [now] is Unix seconds
 * (the system clock when null). Throws [HmacSigException] saying why it does not verify.
 */
@JvmOverloads
fun verifyRequest(scheme: Scheme, credentials: Credentials, request: Request, policy: Policy? = null, now: Long? = null): String =
    Verifier.withCredentials(scheme, credentials, policy).use { it.verifyRequest(request, now) }

/**
 * Signs [response] with an rfc9421 or hawk [scheme] (any other scheme is
 * [ErrorKind.UNSUPPORTED]); [request] is the request it answers: for rfc9421, needed when the
 * scheme covers request components with `;req` (`@method;req`, `content-digest;req`); for
 * hawk, always, with the client's `Authorization` (hawk adds `Server-Authorization`, signed
 * over it). [now] is Unix seconds (the system clock when null). Returns the headers to set on
 * the response and the string that was signed ([SignedRequest.stringToSign]).
 */
@JvmOverloads
fun signResponse(scheme: Scheme, credentials: Credentials, response: Response, request: Request? = null, now: Long? = null): SignedRequest =
    Signer(scheme, credentials).use { it.signResponse(response, request, now) }

/**
 * Verifies [response] with an rfc9421 or hawk [scheme] against the secret held for
 * `credentials.keyId`; returns that key id. [request] is the request it answers (rfc9421:
 * for `;req` components; hawk: always, with the `Authorization` it sent). [policy] null
 * means the scheme's defaults ([Policy.rfc9421]: the signature must cover `@status`;
 * [Policy.hawk]). [now] is Unix seconds (the system clock when null). Throws
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
): String = Verifier.withCredentials(scheme, credentials, policy).use { it.verifyResponse(response, request, now) }

/** The key id a request claims, to look its secret up before verifying. Not verified yet. */
fun extractKeyId(scheme: Scheme, request: Request): String =
    Verifier.withLookup(scheme, { null }).use { it.claimedKeyId(request) }

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
