package dev.hmacsig

/**
 * The body a test server answers a refused request with (docs/server.md, "Refusals"): the
 * kind and a fixed sentence, the same as the Python middlewares. Never the exception's
 * message, which quotes the client's headers and, for [ErrorKind.BAD_SIGNATURE], holds the
 * server's string to sign (the body and the rebuilt URL, for some schemes). Tests that need
 * the diagnosis read the [HmacSigException] itself.
 */
fun refusalBody(e: HmacSigException): String = "${e.kind.code}: ${refusalSentence(e.kind)}"

/** The fixed sentence for [kind] (bindings/python/python/hmacsig/_http.py has the same). */
fun refusalSentence(kind: ErrorKind): String = when (kind) {
    ErrorKind.INVALID_REQUEST -> "the request cannot be verified as sent"
    ErrorKind.MISSING_AUTHORIZATION -> "the request carries no credentials"
    ErrorKind.MALFORMED_AUTHORIZATION -> "the credentials header cannot be read"
    ErrorKind.UNKNOWN_KEY -> "the key id is not known"
    ErrorKind.BAD_SIGNATURE -> "the signature does not match"
    ErrorKind.STALE -> "the request is too old"
    ErrorKind.FUTURE -> "the request is dated too far in the future"
    ErrorKind.BODY_MISMATCH -> "the body does not match what was signed"
    ErrorKind.DIGEST_NOT_ALLOWED -> "the algorithm is not accepted"
    ErrorKind.MISSING_SIGNED_HEADER -> "a required header is missing or not signed"
    ErrorKind.REPLAYED -> "this request was already received"
    ErrorKind.UNSUPPORTED -> "the request uses an option the server does not support"
    ErrorKind.KEY_LOOKUP_FAILED -> "the server could not check the credentials, try again later"
}
