package dev.hmacsig

import dev.hmacsig.ffi.KeyInfo as FfiKeyInfo
import dev.hmacsig.ffi.KeyState as FfiKeyState
import dev.hmacsig.ffi.KeyStore as FfiKeyStore
import dev.hmacsig.ffi.KeyStoreException as FfiKeyStoreException
import dev.hmacsig.ffi.Verifier as FfiVerifier

/*
 * A key store for servers (docs/server.md): client secrets kept encrypted at rest, rotated
 * with a grace period, revoked, listed without their secrets. The work is the core's; this
 * is its Kotlin face, verified through with Verifier.withStore.
 */

/** `value` as a UInt, or IllegalArgumentException naming [what] when it is outside 0..4294967295. */
private fun u32(what: String, value: Long, unit: String = ""): UInt {
    require(value in 0..UInt.MAX_VALUE.toLong()) { "$what must be 0..${UInt.MAX_VALUE}$unit, not $value" }
    return value.toUInt()
}

/** The kind of a [KeyStoreException]. */
enum class KeyStoreErrorKind {
    /** The master key is missing, malformed (not 32 bytes of base64), or not the store's. */
    MASTER_KEY,

    /** The database failed or cannot be reached, or a record does not decrypt. */
    STORAGE,

    /** No such key id (or version). */
    NOT_FOUND,

    /** [KeyStore.create] of a key id the store already has. */
    ALREADY_EXISTS,

    /** A store URL, key id or argument that cannot be used. */
    INVALID_INPUT,
}

/**
 * Why a [KeyStore] operation failed. [message] is the core's sentence; it never holds a
 * secret nor the master key.
 */
class KeyStoreException(val kind: KeyStoreErrorKind, override val message: String) : Exception(message) {
    override fun toString(): String = "KeyStoreException($kind): $message"
}

/** The public exception for a generated one. */
internal fun FfiKeyStoreException.toPublic(): KeyStoreException = when (this) {
    is FfiKeyStoreException.MasterKey -> KeyStoreException(KeyStoreErrorKind.MASTER_KEY, reason)
    is FfiKeyStoreException.Storage -> KeyStoreException(KeyStoreErrorKind.STORAGE, reason)
    is FfiKeyStoreException.NotFound -> KeyStoreException(KeyStoreErrorKind.NOT_FOUND, reason)
    is FfiKeyStoreException.AlreadyExists -> KeyStoreException(KeyStoreErrorKind.ALREADY_EXISTS, reason)
    is FfiKeyStoreException.InvalidInput -> KeyStoreException(KeyStoreErrorKind.INVALID_INPUT, reason)
}

/** Runs a generated key store call, turning its exception into the public one. */
private inline fun <T> storeTranslated(block: () -> T): T =
    try {
        block()
    } catch (e: FfiKeyStoreException) {
        throw e.toPublic()
    }

/** Where a secret is in its life ([KeyInfo.state]). */
enum class KeyState(internal val ffi: FfiKeyState) {
    /** Valid, with no end set. */
    ACTIVE(FfiKeyState.ACTIVE),

    /** Valid until [KeyInfo.expiresAt] (a rotation's grace period). */
    EXPIRING(FfiKeyState.EXPIRING),

    /** Past its [KeyInfo.expiresAt]. */
    EXPIRED(FfiKeyState.EXPIRED),

    /** Revoked. */
    REVOKED(FfiKeyState.REVOKED),
    ;

    internal companion object {
        fun fromFfi(ffi: FfiKeyState): KeyState = entries.first { it.ffi == ffi }
    }
}

/**
 * One secret of a key id as [KeyStore.list] shows it: never the secret itself. [version] is
 * 1 for [KeyStore.create], one more for each [KeyStore.rotate]; the dates are Unix seconds
 * ([expiresAt]: when it stops, or stopped, verifying; [revokedAt]: when it was revoked).
 */
data class KeyInfo(
    val keyId: String,
    val version: Long,
    val createdAt: Long,
    val expiresAt: Long?,
    val revokedAt: Long?,
    val state: KeyState,
) {
    internal companion object {
        fun fromFfi(k: FfiKeyInfo): KeyInfo =
            KeyInfo(k.keyId, k.version.toLong(), k.createdAt, k.expiresAt, k.revokedAt, KeyState.fromFfi(k.state))
    }
}

/**
 * An encrypted key store for a server: `KeyStore.open("sqlite:/var/lib/app/keys.db")`.
 *
 * Secrets are sealed with AES-256-GCM under a master key (32 random bytes, base64) that
 * never sits next to the data: `masterKey = null` reads the `HMACSIG_MASTER_KEY`
 * environment variable. A missing or wrong master key is [KeyStoreErrorKind.MASTER_KEY],
 * before anything is read or written. Every failure is a [KeyStoreException].
 *
 * - [create] and [rotate] return the new secret: the only time it is shown. Use it as text
 *   (`Credentials(keyId, secret)`). After a rotation the older secrets stay valid for the
 *   grace period, then expire.
 * - [revoke] ends a key id, or one of its versions, at once.
 * - [list] gives [KeyInfo]s (key id, version, dates, [KeyState]), never secrets.
 * - [rekey] re-encrypts every record under a new master key, in one transaction.
 *
 * Verify with it through [Verifier.withStore]; such a verifier keeps the decrypted secrets
 * of a key id for at most 30 seconds, so changes made by another process are seen within
 * that time, this process's own at once. Thread-safe. Close it (or `use {}` it) when done; a
 * [Verifier] keeps its own reference.
 */
class KeyStore private constructor(inner: FfiKeyStore) : AutoCloseable {
    internal val owned = Owned(inner, "KeyStore")

    /** Creates [keyId] with a new secret, and returns that secret: the only time it is shown. */
    fun create(keyId: String): String = owned.with { storeTranslated { it.create(keyId) } }

    /**
     * Adds a new secret to [keyId] and returns it (shown once); its older live secrets stay
     * valid for [graceSeconds] (0..4294967295, else an IllegalArgumentException), then
     * expire. [now] is Unix seconds (the system clock when null).
     */
    @JvmOverloads
    fun rotate(keyId: String, graceSeconds: Long, now: Long? = null): String {
        val grace = u32("graceSeconds", graceSeconds, " seconds")
        return owned.with { storeTranslated { it.rotate(keyId, grace, now) } }
    }

    /**
     * Revokes [keyId] (every version), or only [version] of it (1..4294967295). Nothing live
     * to revoke is [KeyStoreErrorKind.NOT_FOUND].
     */
    @JvmOverloads
    fun revoke(keyId: String, version: Long? = null) {
        val v = version?.let { u32("version", it) }
        owned.with { storeTranslated { it.revoke(keyId, v) } }
    }

    /** Every secret's key id, version, dates and state at [now] (Unix seconds; null: the system clock); never a secret. */
    @JvmOverloads
    fun list(now: Long? = null): List<KeyInfo> = owned.with { storeTranslated { it.list(now) } }.map { KeyInfo.fromFfi(it) }

    /**
     * Re-encrypts every record under [newMasterKey] (32 bytes, base64), in one transaction;
     * from then on the store opens only with it.
     */
    fun rekey(newMasterKey: String) = owned.with { storeTranslated { it.rekey(newMasterKey) } }

    val isClosed: Boolean get() = owned.closed

    override fun close() = owned.close()

    override fun toString(): String = if (isClosed) "KeyStore(closed)" else "KeyStore(<secrets sealed>)"

    companion object {
        /**
         * Opens the store at [url] (`sqlite:PATH`: a new file becomes a new store) with
         * [masterKey] (32 bytes, base64) or, when null, the `HMACSIG_MASTER_KEY` environment
         * variable. Throws [KeyStoreException]: [KeyStoreErrorKind.MASTER_KEY] for a missing,
         * malformed or wrong master key (the file is left as it was),
         * [KeyStoreErrorKind.INVALID_INPUT] for a URL this build does not open.
         */
        @JvmStatic
        @JvmOverloads
        fun open(url: String, masterKey: String? = null): KeyStore = KeyStore(storeTranslated { FfiKeyStore.open(url, masterKey) })
    }
}

/**
 * A verifier whose secrets are in [store]: for each request, the secrets of its key id that are
 * valid at the verification's `now` (a rotation in progress has two; both verify), decrypted
 * and kept for at most 30 seconds. A key id the store does not have, or whose secrets are all
 * revoked or expired, is [ErrorKind.UNKNOWN_KEY]; a store that fails is
 * [ErrorKind.KEY_LOOKUP_FAILED]. The verifier keeps its own reference to the store: closing
 * [store] does not stop it. (An extension here, not a member of [Verifier]: the key store is a
 * server feature, and this file is left out of Android's client-only classes.)
 */
@JvmOverloads
fun Verifier.Companion.withStore(scheme: Scheme, store: KeyStore, policy: Policy? = null, replayGuard: ReplayGuard? = null): Verifier =
    store.owned.with { k ->
        build(scheme, policy, replayGuard, "key store", null) { s, p, g -> FfiVerifier.withStore(s, k, p, g) }
    }
