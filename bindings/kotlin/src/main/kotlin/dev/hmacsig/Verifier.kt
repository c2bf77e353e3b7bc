package dev.hmacsig

import java.lang.ref.Reference
import java.lang.ref.WeakReference
import java.nio.ByteBuffer
import dev.hmacsig.ffi.KeyLookup as FfiKeyLookup
import dev.hmacsig.ffi.KeyLookupException as FfiKeyLookupException
import dev.hmacsig.ffi.ReplayGuard as FfiReplayGuard
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
 * The generated interface over a [KeyLookup]. The native verifier keeps this adapter in
 * the generated handle map (a GC root) until it is freed, so the adapter holds the lookup
 * only weakly: the [Verifier] holds it strongly. A lookup that refers back to its Verifier
 * therefore forms no cycle through native code, and both are collected together.
 */
internal class LookupAdapter(lookup: KeyLookup) : FfiKeyLookup {
    private val lookup = WeakReference(lookup)

    /** What the lookup threw during the current call on this thread, to attach as the cause. */
    val thrown = ThreadLocal<Throwable>()

    override fun secretFor(keyId: String): ByteArray? {
        val target = lookup.get() ?: throw FfiKeyLookupException.Failed("the key lookup is gone: its Verifier was collected")
        return try {
            target.secretFor(keyId)
        } catch (e: Throwable) {
            // Every Throwable: the generated callback catches only Exceptions, and an Error
            // escaping into JNA would leave the native call without a result.
            thrown.set(e)
            throw FfiKeyLookupException.Failed(e.toString())
        }
    }
}

/**
 * Verifies requests for a server: a scheme, a policy, where secrets come from (an
 * in-memory map, [withKeys], or your [KeyLookup], [withLookup]) and optionally a
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
 */
class Verifier private constructor(
    inner: FfiVerifier,
    private val description: String,
    /** Held strongly here; the adapter that the native side holds refers to it weakly. */
    private val lookup: KeyLookup?,
    private val adapter: LookupAdapter?,
) : AutoCloseable {
    private val owned = Owned(inner, "Verifier")

    val isClosed: Boolean get() = owned.closed

    /**
     * Verifies a request given as parts; returns the verified key id. [now] is Unix seconds
     * (the system clock when null). Throws [HmacSigException] saying why it does not verify.
     */
    @JvmOverloads
    fun verify(method: String, target: String, headers: List<Header>, body: ByteArray = ByteArray(0), now: Long? = null): String =
        call { v -> withDirect(body) { buf -> v.verify(method, target, headers, buf, now) } }

    /** As [verify], with the body's remaining bytes; a direct buffer is passed without a copy. */
    @JvmOverloads
    fun verify(method: String, target: String, headers: List<Header>, body: ByteBuffer, now: Long? = null): String =
        call { v -> withDirect(body) { buf -> v.verify(method, target, headers, buf, now) } }

    /** Verifies a [Request]; returns the verified key id. [now] is Unix seconds (the system clock when null). */
    @JvmOverloads
    fun verifyRequest(request: Request, now: Long? = null): String = call { v -> v.verifyRequest(request, now) }

    private fun <R> call(block: (FfiVerifier) -> R): R = owned.with { v ->
        try {
            translated { block(v) }
        } catch (e: HmacSigException) {
            val cause = adapter?.thrown?.get()
            throw if (e.kind == ErrorKind.KEY_LOOKUP_FAILED && cause != null) {
                HmacSigException(e.kind, e.message, e.keyId, e.stringToSign, cause)
            } else {
                e
            }
        } finally {
            adapter?.thrown?.remove()
            // The adapter sees the lookup only weakly: keep it (through this) alive for the call.
            Reference.reachabilityFence(this)
        }
    }

    override fun close() = owned.close()

    override fun toString(): String = "Verifier($description${if (isClosed) ", closed" else ""})"

    companion object {
        /** A verifier whose secrets are in [keys] (key id -> secret bytes), copied now. */
        @JvmStatic
        @JvmOverloads
        fun withKeys(scheme: Scheme, keys: Map<String, ByteArray>, policy: Policy? = null, replayGuard: ReplayGuard? = null): Verifier =
            build(scheme, policy, replayGuard, "${keys.size} keys", null, null) { s, p, g -> FfiVerifier.withKeys(s, keys, p, g) }

        /** A verifier whose secrets are text (key id -> secret); their UTF-8 bytes are the keys, as for api-auth. */
        @JvmStatic
        @JvmOverloads
        @JvmName("withTextKeys")
        fun withKeys(scheme: Scheme, keys: Map<String, String>, policy: Policy? = null, replayGuard: ReplayGuard? = null): Verifier {
            val bytes: Map<String, ByteArray> = keys.mapValues { (_, secret) -> secret.toByteArray(Charsets.UTF_8) }
            return withKeys(scheme, bytes, policy, replayGuard)
        }

        /**
         * A verifier that asks [lookup] for each request's secret (a lambda works:
         * `Verifier.withLookup(scheme, { keyId -> db.secretFor(keyId) })`).
         */
        @JvmStatic
        @JvmOverloads
        fun withLookup(scheme: Scheme, lookup: KeyLookup, policy: Policy? = null, replayGuard: ReplayGuard? = null): Verifier {
            val adapter = LookupAdapter(lookup)
            return build(scheme, policy, replayGuard, "key lookup", lookup, adapter) { s, p, g -> FfiVerifier.withLookup(s, adapter, p, g) }
        }

        private fun build(
            scheme: Scheme,
            policy: Policy?,
            replayGuard: ReplayGuard?,
            keys: String,
            lookup: KeyLookup?,
            adapter: LookupAdapter?,
            make: (dev.hmacsig.ffi.Scheme, dev.hmacsig.ffi.Policy?, FfiReplayGuard?) -> FfiVerifier,
        ): Verifier = scheme.owned.with { s ->
            Owned.withOptional(policy?.owned) { p ->
                Owned.withOptional(replayGuard?.owned) { g ->
                    val description = "${s.name()}, $keys${if (g != null) ", replay guard" else ""}"
                    Verifier(translated { make(s, p, g) }, description, lookup, adapter)
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
class ReplayGuard @JvmOverloads constructor(capacity: Long = 100_000, defaultTtl: Long = 900) : AutoCloseable {
    init {
        val max = UInt.MAX_VALUE.toLong()
        require(capacity in 0..max) { "capacity must be 0..$max, not $capacity" }
        require(defaultTtl in 0..max) { "defaultTtl must be 0..$max seconds, not $defaultTtl" }
    }

    internal val owned = Owned(translated { FfiReplayGuard(capacity.toUInt(), defaultTtl.toUInt()) }, "ReplayGuard")

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
