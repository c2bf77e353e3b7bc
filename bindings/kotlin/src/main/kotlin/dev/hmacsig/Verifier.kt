package dev.hmacsig

import java.nio.ByteBuffer
import dev.hmacsig.ffi.Policy as FfiPolicy
import dev.hmacsig.ffi.ReplayGuard as FfiReplayGuard
import dev.hmacsig.ffi.Scheme as FfiScheme
import dev.hmacsig.ffi.Verifier as FfiVerifier

/**
 * Where a [Verifier] finds the secret for a key id: your database, a cache, a vault.
 * Return null for an unknown key id (the request is refused with [ErrorKind.UNKNOWN_KEY]).
 * Anything it throws refuses the request with [ErrorKind.KEY_LOOKUP_FAILED] (HTTP 503),
 * with what was thrown as the cause; it never crashes the server. Called on the thread
 * that calls [Verifier.verify], possibly from many threads at once.
 */
fun interface KeyLookup {
    fun secretFor(keyId: String): ByteArray?
}

/**
 * Verifies requests for a server: a scheme, a policy, where secrets come from (an
 * in-memory map, [withKeys], an encrypted [KeyStore], [withStore], or your [KeyLookup],
 * [withLookup]) and optionally a
 * [ReplayGuard]. Thread-safe; build one and share it. Close it (or `use {}` it) when done;
 * the scheme, policy and guard it was built from may be closed independently.
 *
 * ```kotlin
 * Verifier.withLookup(scheme, { keyId -> db.secretFor(keyId) }, policy, guard).use { verifier ->
 *     try {
 *         val keyId = verifier.verify(method, target, headers, body)
 *     } catch (e: HmacSigException) {
 *         respond(httpStatus(e), e.message)
 *     }
 * }
 * ```
 *
 * With a [KeyLookup] a verify is two calls into the core: the key id the request claims (a
 * request without one gets that error), then the verification with the secret the lookup
 * found. The native side never calls back into the JVM, and holds no reference to the lookup.
 */
class Verifier private constructor(
    inner: FfiVerifier,
    private val description: String,
    private val lookup: KeyLookup?,
) : AutoCloseable {
    private val owned = Owned(inner, "Verifier")

    /** How the core's one call path names this verifier (CoreCall.kt: the one lifetime rule). */
    private val id: Long = CoreCall.verifierId(inner)

    val isClosed: Boolean get() = owned.closed

    /**
     * Verifies a request given as parts; returns the verified key id. [now] is Unix seconds
     * (the system clock when null). Throws [HmacSigException] saying why it does not verify.
     */
    @JvmOverloads
    fun verify(method: String, target: String, headers: List<Header>, body: ByteArray = ByteArray(0), now: Long? = null): String {
        if (owned.closed) owned.refuseClosed()
        return CoreCall.session { call ->
            call.request(method, target, headers)
            call.body(body)
            verified(call, CoreCall.VERIFY, now)
        }
    }

    /** As [verify], with the body's remaining bytes; a direct buffer is read in place, and not consumed. */
    @JvmOverloads
    fun verify(method: String, target: String, headers: List<Header>, body: ByteBuffer, now: Long? = null): String {
        if (owned.closed) owned.refuseClosed()
        return CoreCall.session { call ->
            call.request(method, target, headers)
            call.body(body)
            verified(call, CoreCall.VERIFY, now)
        }
    }

    /** Verifies a [Request]; returns the verified key id. [now] is Unix seconds (the system clock when null). */
    @JvmOverloads
    fun verifyRequest(request: Request, now: Long? = null): String = verify(request.method, request.target, request.headers, request.body, now)

    /**
     * Verifies a signed [response] (rfc9421, or hawk's `Server-Authorization`); returns the
     * verified key id. [request] is the request it answers (rfc9421: for `;req` components;
     * hawk: always, with the `Authorization` it sent). [now] is Unix seconds (the system clock
     * when null). Throws [HmacSigException] saying why it does not verify.
     */
    @JvmOverloads
    fun verifyResponse(response: Response, request: Request? = null, now: Long? = null): String {
        if (owned.closed) owned.refuseClosed()
        return CoreCall.session { call ->
            call.response(response, request)
            call.body(response.body)
            verified(call, CoreCall.VERIFY_RESPONSE, now)
        }
    }

    /** The key id [request] claims, not verified ([extractKeyId]). */
    internal fun claimedKeyId(request: Request): String {
        if (owned.closed) owned.refuseClosed()
        return CoreCall.session { call ->
            call.request(request.method, request.target, request.headers)
            call.body(request.body)
            call.keyId(CoreCall.KEY_ID, id, null, this)
        }
    }

    /** [op] (VERIFY or VERIFY_RESPONSE) on the message in [call]: with the lookup's secret when there is a lookup. */
    private fun verified(call: CoreCall.Scratch, op: Int, now: Long?): String {
        val lookup = lookup ?: return call.keyId(op, id, now, this)
        // Held open for the lookup: a close on another thread waits for it, and a lookup that
        // closes its own verifier fails (Owned.close) instead of deadlocking.
        return owned.with {
            val claimed = call.keyId(if (op == CoreCall.VERIFY) CoreCall.KEY_ID else CoreCall.RESPONSE_KEY_ID, id, now, this)
            val secret = try {
                lookup.secretFor(claimed)
            } catch (e: Throwable) {
                throw HmacSigException(ErrorKind.KEY_LOOKUP_FAILED, "the key lookup failed: $e", cause = e)
            }
            call.keyIdWithSecret(op, id, secret, now, this)
        }
    }

    override fun close() = owned.close()

    override fun toString(): String = "Verifier($description${if (isClosed) ", closed" else ""})"

    companion object {
        /** A verifier whose secrets are in [keys] (key id -> secret bytes), copied now. */
        @JvmStatic
        @JvmOverloads
        fun withKeys(scheme: Scheme, keys: Map<String, ByteArray>, policy: Policy? = null, replayGuard: ReplayGuard? = null): Verifier =
            build(scheme, policy, replayGuard, "${keys.size} keys", null) { s, p, g -> FfiVerifier.withKeys(s, keys, p, g) }

        /** A verifier whose secrets are text (key id -> secret); their UTF-8 bytes are the keys, as for api-auth. */
        @JvmStatic
        @JvmOverloads
        @JvmName("withTextKeys")
        fun withKeys(scheme: Scheme, keys: Map<String, String>, policy: Policy? = null, replayGuard: ReplayGuard? = null): Verifier {
            val bytes: Map<String, ByteArray> = keys.mapValues { (_, secret) -> secret.toByteArray(Charsets.UTF_8) }
            return withKeys(scheme, bytes, policy, replayGuard)
        }

        /**
         * A verifier for messages signed with [credentials] alone: a client checking its
         * server's signed responses, or a one-off check ([verifyRequest], [verifyResponse]).
         */
        @JvmStatic
        @JvmOverloads
        fun withCredentials(scheme: Scheme, credentials: Credentials, policy: Policy? = null, replayGuard: ReplayGuard? = null): Verifier =
            credentials.owned.with { c ->
                build(scheme, policy, replayGuard, "key id ${credentials.keyId}", null) { s, p, g -> FfiVerifier.withCredentials(s, c, p, g) }
            }

        /**
         * A verifier that asks [lookup] for each request's secret (a lambda works:
         * `Verifier.withLookup(scheme, { keyId -> db.secretFor(keyId) })`).
         */
        @JvmStatic
        @JvmOverloads
        fun withLookup(scheme: Scheme, lookup: KeyLookup, policy: Policy? = null, replayGuard: ReplayGuard? = null): Verifier =
            build(scheme, policy, replayGuard, "key lookup", lookup) { s, p, g -> FfiVerifier.withCallerSecrets(s, p, g) }

        // withStore (KeyStore.kt) is a server feature: it lives with the key store, in a file
        // that Android's client-only classes leave out (docs/packaging.md).

        internal fun build(
            scheme: Scheme,
            policy: Policy?,
            replayGuard: ReplayGuard?,
            keys: String,
            lookup: KeyLookup?,
            make: (FfiScheme, FfiPolicy?, FfiReplayGuard?) -> FfiVerifier,
        ): Verifier = scheme.owned.with { s ->
            Owned.withOptional(policy?.owned) { p ->
                Owned.withOptional(replayGuard?.owned) { g ->
                    val description = "${s.name()}, $keys${if (g != null) ", replay guard" else ""}"
                    Verifier(translated { make(s, p, g) }, description, lookup)
                }
            }
        }
    }
}

/**
 * Refuses a signature seen before inside its validity window (a replayed request). Give one
 * to a [Verifier] (share it per server), or call [check] yourself. Memory is bounded: at most
 * [capacity] signatures; when full, expired entries go first, then the one closest to its
 * expiry. [defaultTtl]: seconds to remember a signature whose scheme has no timestamp
 * (path-body-hex). Both 0..4294967295; a capacity of 0 is [ErrorKind.UNSUPPORTED].
 * Thread-safe. Close it (or `use {}` it) when done; a Verifier keeps its own reference.
 */
class ReplayGuard internal constructor(guard: FfiReplayGuard) : AutoCloseable {
    @JvmOverloads
    constructor(capacity: Long = 100_000, defaultTtl: Long = 900) : this(memory(capacity, defaultTtl))

    companion object {
        private fun memory(capacity: Long, defaultTtl: Long): FfiReplayGuard {
            val max = UInt.MAX_VALUE.toLong()
            require(capacity in 0..max) { "capacity must be 0..$max, not $capacity" }
            require(defaultTtl in 0..max) { "defaultTtl must be 0..$max seconds, not $defaultTtl" }
            return translated { FfiReplayGuard(capacity.toUInt(), defaultTtl.toUInt()) }
        }

        // redis (RedisReplayGuard.kt) is a server feature, in a file of its own for the same
        // reason as Verifier.withStore.
    }

    internal val owned = Owned(guard, "ReplayGuard")

    /**
     * Records [signature] (of [keyId]) as seen until [expiresAt] (Unix seconds; null:
     * now + defaultTtl), or throws [HmacSigException] with [ErrorKind.REPLAYED] if it was
     * already seen and has not expired. [now] is Unix seconds (the system clock when null).
     */
    @JvmOverloads
    fun check(keyId: String, signature: String, expiresAt: Long? = null, now: Long? = null) =
        owned.with { translated { it.check(keyId, signature, expiresAt, now) } }

    /** How many signatures are remembered now. */
    val size: Long get() = owned.with { it.len().toLong() }

    /** Whether nothing is remembered. */
    fun isEmpty(): Boolean = owned.with { it.isEmpty() }

    val isClosed: Boolean get() = owned.closed

    override fun close() = owned.close()

    override fun toString(): String = if (isClosed) "ReplayGuard(closed)" else "ReplayGuard(size=$size)"
}
