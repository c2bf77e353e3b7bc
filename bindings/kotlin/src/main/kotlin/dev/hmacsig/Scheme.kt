package dev.hmacsig

import dev.hmacsig.ffi.Credentials as FfiCredentials
import dev.hmacsig.ffi.Policy as FfiPolicy
import dev.hmacsig.ffi.Scheme as FfiScheme

/*
 * What to sign and verify with: a [Scheme] (how), a [Policy] (how strictly to verify) and
 * [Credentials] (a key id and its secret).
 */

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
     * `timestamped`, `aws-sigv4`, `rfc9421`, `kong-hmac`, `hawk`).
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

        /**
         * Kong Gateway's `hmac-auth` plugin: `Authorization: hmac username="<key id>",
         * algorithm="…", headers="…", signature="…"`.
         *
         * - [algorithm]: `hmac-sha1`, `hmac-sha256`, `hmac-sha384` or `hmac-sha512`.
         * - [headers]: the names to sign, in order: header names (lower case),
         *   `@request-target`, `request-line` (null: `date`, `@request-target`); a `Date` or
         *   `X-Date` named and missing is added.
         * - [headerName]: `authorization` or `proxy-authorization`.
         * - [httpVersion]: what `request-line` writes (`1.0`, `1.1`, `2.0`).
         * - [digest]: add `Digest: SHA-256=<base64>` of the body (signed when [headers] names
         *   `digest`).
         *
         * Anything else is [ErrorKind.UNSUPPORTED], before anything is signed. Verify it with
         * [Policy.kongHmac]. A streamed body is signed from its SHA-256 digest.
         */
        @JvmStatic
        @JvmOverloads
        fun kongHmac(
            algorithm: String = "hmac-sha256",
            headers: List<String>? = null,
            headerName: String = "authorization",
            httpVersion: String = "1.1",
            digest: Boolean = false,
        ): Scheme = Scheme(translated { FfiScheme.kongHmac(algorithm, headers, headerName, httpVersion, digest) }, ContentDigest.SHA256)

        /**
         * Hawk (as npm `hawk` 9 signs it): `Authorization: Hawk id="…", ts="…", nonce="…",
         * hash="…", ext="…", mac="…"`. Sign a request as any other scheme, the server's
         * `Server-Authorization` on a response with [signResponse].
         *
         * - [algorithm]: the credential's, `sha256` or `sha1` (for signing and verifying).
         * - [nonce]: the nonce to send (null: a random one per request).
         * - [ext], [app], [dlg]: Hawk's application data, when not null (no `"` or `\`; an
         *   empty [ext] is none).
         * - [payloadHash]: send `hash=` of the body and its `Content-Type`.
         * - [signatureType]: [SignatureType.HEADER], or [SignatureType.QUERY] for a bewit URL
         *   ([SignedRequest.url], for a GET or HEAD) valid [ttl] seconds (at least 1 for a
         *   bewit; outside 0..4294967295 it is an IllegalArgumentException). A verifier reads
         *   what its scheme signs: the header, or with [SignatureType.QUERY] the bewit.
         *
         * A bad option is [ErrorKind.UNSUPPORTED]. Verify it with [Policy.hawk]; a verifier with
         * a [ReplayGuard] refuses a nonce seen before. A body is MACed as bytes, so a streamed
         * one is refused ([ErrorKind.UNSUPPORTED]).
         */
        @JvmStatic
        @JvmOverloads
        fun hawk(
            algorithm: String = "sha256",
            nonce: String? = null,
            ext: String? = null,
            app: String? = null,
            dlg: String? = null,
            payloadHash: Boolean = true,
            signatureType: SignatureType = SignatureType.HEADER,
            ttl: Long = 60,
        ): Scheme {
            val ttlSeconds = seconds("ttl", ttl)
            return Scheme(
                translated { FfiScheme.hawk(algorithm, nonce, ext, app, dlg, payloadHash, signatureType.ffi, ttlSeconds) },
                null,
            )
        }
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

        /**
         * kong-hmac verification, as Kong's plugin settings.
         *
         * - [clockSkew]: most seconds between the signed `X-Date`/`Date` and now (Kong: 300).
         * - [enforceHeaders]: names every signature must list.
         * - [algorithms]: those accepted (null: all four); an unknown name is
         *   [ErrorKind.UNSUPPORTED].
         * - [validateRequestBody]: check `Digest` against the body, and refuse a body without one.
         *
         * Seconds are 0..4294967295, else an IllegalArgumentException.
         */
        @JvmStatic
        @JvmOverloads
        fun kongHmac(
            clockSkew: Long = 300,
            enforceHeaders: List<String> = emptyList(),
            algorithms: List<String>? = null,
            validateRequestBody: Boolean = false,
        ): Policy {
            val skew = seconds("clockSkew", clockSkew)
            return Policy(translated { FfiPolicy.kongHmac(skew, enforceHeaders, algorithms, validateRequestBody) })
        }

        /**
         * hawk verification (requests and responses).
         *
         * - [timestampSkew]: most seconds between `ts` and now, either way (hawk: 60);
         *   0..4294967295, else an IllegalArgumentException.
         * - [requirePayloadHash]: refuse a request (or response) without `hash=`; otherwise a
         *   sent hash is checked and a missing one leaves the body unchecked.
         * - [host], [port]: the host and port the client signed, behind a proxy or TLS
         *   terminator (each replaces the request's). A host that is empty or holds `/` or a
         *   line break is [ErrorKind.UNSUPPORTED]; a port outside 0..65535 is an
         *   IllegalArgumentException.
         */
        @JvmStatic
        @JvmOverloads
        fun hawk(timestampSkew: Long = 60, requirePayloadHash: Boolean = false, host: String? = null, port: Int? = null): Policy {
            val skew = seconds("timestampSkew", timestampSkew)
            require(port == null || port in 0..UShort.MAX_VALUE.toInt()) { "port must be 0..${UShort.MAX_VALUE}, not $port" }
            return Policy(translated { FfiPolicy.hawk(skew, requirePayloadHash, host, port?.toUShort()) })
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
