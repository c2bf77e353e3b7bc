package dev.hmacsig

import dev.hmacsig.ffi.HmacSigException as FfiException

/**
 * The kind of an [HmacSigException]. [code] is the kind's name in the conformance contract
 * (`bad_signature`, ...), the same in every language hmacsig ships for.
 */
enum class ErrorKind(val code: String) {
    /** The request itself is unusable: a bad target, method, header or date text. */
    INVALID_REQUEST("invalid_request"),

    /** No signature header at all. */
    MISSING_AUTHORIZATION("missing_authorization"),

    /** A signature header is present but cannot be parsed. */
    MALFORMED_AUTHORIZATION("malformed_authorization"),

    /** The server has no secret for this key id ([HmacSigException.keyId]). */
    UNKNOWN_KEY("unknown_key"),

    /** The signature does not match ([HmacSigException.stringToSign] is what the server MACed). */
    BAD_SIGNATURE("bad_signature"),

    /** The request's timestamp is older than the policy allows. */
    STALE("stale"),

    /** The request's timestamp is further in the future than the policy allows. */
    FUTURE("future"),

    /** The body does not match its signed hash or digest, or is not covered. */
    BODY_MISMATCH("body_mismatch"),

    /** The algorithm is not one the policy accepts (MD5 never is). */
    DIGEST_NOT_ALLOWED("digest_not_allowed"),

    /** A header that must be signed is absent or unsigned. */
    MISSING_SIGNED_HEADER("missing_signed_header"),

    /** This signature was already seen inside its validity window. */
    REPLAYED("replayed"),

    /** An option or algorithm this library does not offer. */
    UNSUPPORTED("unsupported"),

    /**
     * The server's [KeyLookup] threw (the database is down, ...): the server's fault, not
     * the client's ([httpStatus] 503). What it threw is the exception's cause. Never a
     * conformance result: conformance cases carry their secret.
     */
    KEY_LOOKUP_FAILED("key_lookup_failed");

    override fun toString(): String = code

    companion object {
        /** The kind whose [code] is [code], or `null`. */
        @JvmStatic
        fun fromCode(code: String): ErrorKind? = entries.firstOrNull { it.code == code }
    }
}

/**
 * Every failure of hmacsig: why a request could not be signed, verified or read.
 *
 * [message] is the core's complete, human-readable sentence. [keyId] is set for
 * [ErrorKind.UNKNOWN_KEY], [stringToSign] for [ErrorKind.BAD_SIGNATURE] (the text the
 * server MACed, to compare with the client's; empty when the request was refused before
 * anything was MACed, such as an AWS credential scope for another region). No field ever
 * holds secret key material.
 */
class HmacSigException(
    val kind: ErrorKind,
    override val message: String,
    val keyId: String? = null,
    val stringToSign: String? = null,
    cause: Throwable? = null,
) : Exception(message, cause) {
    override fun toString(): String = "HmacSigException($kind): $message"
}

/** The public exception for a generated one. */
internal fun FfiException.toPublic(): HmacSigException = when (this) {
    is FfiException.InvalidRequest -> HmacSigException(ErrorKind.INVALID_REQUEST, reason)
    is FfiException.MissingAuthorization -> HmacSigException(ErrorKind.MISSING_AUTHORIZATION, reason)
    is FfiException.MalformedAuthorization -> HmacSigException(ErrorKind.MALFORMED_AUTHORIZATION, reason)
    is FfiException.UnknownKey -> HmacSigException(ErrorKind.UNKNOWN_KEY, reason, keyId = keyId)
    is FfiException.BadSignature -> HmacSigException(ErrorKind.BAD_SIGNATURE, reason, stringToSign = stringToSign)
    is FfiException.Stale -> HmacSigException(ErrorKind.STALE, reason)
    is FfiException.Future -> HmacSigException(ErrorKind.FUTURE, reason)
    is FfiException.BodyMismatch -> HmacSigException(ErrorKind.BODY_MISMATCH, reason)
    is FfiException.DigestNotAllowed -> HmacSigException(ErrorKind.DIGEST_NOT_ALLOWED, reason)
    is FfiException.MissingSignedHeader -> HmacSigException(ErrorKind.MISSING_SIGNED_HEADER, reason)
    is FfiException.Replayed -> HmacSigException(ErrorKind.REPLAYED, reason)
    is FfiException.Unsupported -> HmacSigException(ErrorKind.UNSUPPORTED, reason)
    is FfiException.KeyLookupFailed -> HmacSigException(ErrorKind.KEY_LOOKUP_FAILED, reason)
}

/** Runs a generated call, turning its exception into the public one. */
internal inline fun <T> translated(block: () -> T): T =
    try {
        block()
    } catch (e: FfiException) {
        throw e.toPublic()
    }
