package dev.hmacsig.okhttp

import dev.hmacsig.ErrorKind
import dev.hmacsig.Header
import dev.hmacsig.HmacSigException
import dev.hmacsig.Signer
import okhttp3.HttpUrl
import okhttp3.Interceptor
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import okio.Buffer
import java.io.IOException

/**
 * Signs every request of an OkHttp client with [signer]. Install it twice, as an application
 * interceptor (which signs each call once) and as a network interceptor (which sees every
 * redirect OkHttp follows, and signs it again or takes the signature off by the rules below):
 *
 * ```kotlin
 * val signing = HmacSigInterceptor(signer)
 * val client = OkHttpClient.Builder().addInterceptor(signing).addNetworkInterceptor(signing).build()
 * ```
 *
 * What is signed is what the server sees, for every scheme: the origin-form target
 * (`/path?query`) exactly as OkHttp writes it on the request line (query order and encoding
 * kept), and the headers as sent. The body is read once and sent as those exact bytes;
 * `Content-Type` (the body's media type, which OkHttp would set at send time, charset
 * included), `Content-Length` and `Host` are set on the request before signing, with the
 * values OkHttp itself would send (a `Host` added so is then left for OkHttp to set, the same
 * value, so that a redirect gets its own host's). timestamped and rfc9421 cover the URL's
 * scheme: the core rebuilds it as `https://` + `Host` + target, as a verifying server does by
 * default, so over plain `http://` too their signature covers `https://…` (a plain-HTTP
 * server that says otherwise, e.g. with `publicBaseUrl`, does not accept it).
 * An aws-sigv4 presigned scheme moves the signature into the URL's query.
 *
 * Headers OkHttp adds later (`Accept-Encoding`, `Connection`, `User-Agent`, `Cookie`) are not
 * signed: a scheme told to cover one of them needs it set on the request first.
 *
 * Redirects (OkHttp follows them by default) never carry a signature to another host. The
 * call's host is the scheme, host and port of the request it signed (installed as a network
 * interceptor only: of the call's request, `Call.request()`). A redirect
 * - to the same host is signed again for its new target, with the method and body OkHttp
 *   sends after it (a 301/302/303 turns a `POST` into a bodyless `GET`, a 307/308 keeps both);
 * - to another host goes without the headers the signer set (`Authorization`, `Date`,
 *   `X-Request-*`, `X-Amz-*`, `Signature`, `Signature-Input`, `Content-Digest`, `Digest`…) and with that
 *   host's own `Host`; once a redirect left the host, no later one is signed, even back to it
 *   (the other host chose where it goes);
 * - with [resignCrossHostRedirects] (off by default) every redirect, to any host, is signed for
 *   where it goes: only for hosts that all trust the same key, since it sends a valid
 *   signature wherever a server redirects the client.
 * As a network interceptor alone it signs every attempt itself, by the same rules. As an
 * application interceptor alone it sees no redirect (OkHttp follows them after it): one is
 * followed with the first request's headers (OkHttp drops `Authorization` for another host,
 * the other signature headers stay), so use it alone only with `followRedirects(false)`.
 *
 * A request the core refuses to sign fails the call with [HmacSigIOException] (OkHttp hands
 * only IOExceptions to `Callback.onFailure`); its [HmacSigIOException.error] is the typed
 * [HmacSigException]. The interceptor does not own [signer]: close it after the client's
 * last call. [clock] gives the signing time in Unix seconds (null: the system clock).
 *
 * [correctClockSkew] (off by default) corrects this machine's clock as the AWS SDKs do: when
 * the server refuses a request with 401 or 403, a body starting with `stale:` or `future:`
 * (the refusal contract `<kind>: <sentence>`) and a `Date` header, the offset between that
 * `Date` and [clock] is learnt and, if it changed, the original request is signed again at
 * the corrected time and sent once more (the refused response is closed). Later requests are
 * signed at the corrected time too. Any other refusal is returned unchanged, and a request is
 * retried at most once. As a network interceptor alone (OkHttp lets one proceed only once)
 * the offset is learnt but the refused response is returned: the next call is corrected.
 */
class HmacSigInterceptor @JvmOverloads constructor(
    private val signer: Signer,
    private val clock: (() -> Long)? = null,
    private val correctClockSkew: Boolean = false,
    private val resignCrossHostRedirects: Boolean = false,
) : Interceptor {
    /** Seconds added to [clock] when signing: learnt from refusals with [correctClockSkew]. */
    @Volatile
    private var offset = 0L

    /** Where the calls of a network-only installation went: it has no application role to tag them. */
    private val hopsOfCalls = HopsOfCalls()

    @Throws(IOException::class)
    override fun intercept(chain: Interceptor.Chain): Response =
        // Only a network interceptor's chain has a connection.
        if (chain.connection() == null) interceptCall(chain) else interceptHop(chain)

    /** As an application interceptor: signs the call's request (once more after a clock-skew refusal). */
    private fun interceptCall(chain: Interceptor.Chain): Response {
        val request = chain.request()
        val (unsigned, body) = signing { prepare(request) }
        val response = chain.proceed(signing { signCall(request, unsigned, body) })
        if (!correctClockSkew || !learn(response)) return response
        response.close()
        return chain.proceed(signing { signCall(request, unsigned, body) })
    }

    /**
     * [unsigned] (the call's [request] prepared) signed, tagged with what was signed for the
     * network role, and without the `Host` signing added: OkHttp's BridgeInterceptor sets the
     * same value, and sets the new host's on a redirect OkHttp makes from this request.
     */
    private fun signCall(request: Request, unsigned: Request, body: ByteArray): Request {
        val signed = signPrepared(unsigned, body)
        val builder = signed.request.newBuilder().tag(SignedCall::class.java, SignedCall(this, signed.request, signed.headerNames))
        if (request.header("Host") == null) builder.removeHeader("Host")
        return builder.build()
    }

    /**
     * As a network interceptor: a hop of a call the application role signed goes as signed, or
     * as a redirect by the rules of the class; a call it did not sign (installed as a network
     * interceptor only) has every hop signed here by the same rules.
     */
    private fun interceptHop(chain: Interceptor.Chain): Response {
        val hop = chain.request()
        val call = hop.tag(SignedCall::class.java)?.takeIf { it.signedBy === this }
        if (call != null) {
            if (call.isSignedRequest(hop)) return chain.proceed(hop)
            // The application role learns from the final answer, and may retry.
            return chain.proceed(signing { hopToSend(hop, call.nextHop(hop.url), call.headerNames) })
        }
        val origin = chain.call().request().url
        // Its redirects are made from the request before this interceptor: nothing to take off.
        val response = chain.proceed(signing { hopToSend(hop, hopsOfCalls.next(chain.call(), origin, hop.url), emptyList()) })
        if (correctClockSkew) learn(response)
        return response
    }

    /**
     * The request to send for [hop], which goes to [where]: without the headers named
     * [signedNames] (those the first signing set, which OkHttp copied onto a redirect), with
     * the new host's `Host` when it goes to another host, and signed when the rules allow.
     */
    private fun hopToSend(hop: Request, where: Hop, signedNames: List<String>): Request {
        val builder = hop.newBuilder()
        for (name in signedNames) builder.removeHeader(name)
        if (!where.sameHost) builder.header("Host", hostHeader(hop.url))
        val stripped = builder.build()
        if (!resignCrossHostRedirects && !where.mayBeSigned) return stripped
        val (unsigned, body) = prepare(stripped)
        return signPrepared(unsigned, body).request
    }

    /** [block]'s result; the core's refusal to sign as the IOException OkHttp needs. */
    private inline fun <T> signing(block: () -> T): T = try {
        block()
    } catch (e: HmacSigException) {
        throw HmacSigIOException(e)
    }

    /** The signing time: null (the system clock) until an offset is learnt. */
    private fun now(): Long? {
        val skew = offset
        val local = clock?.invoke()
        return if (skew == 0L) local else (local ?: (System.currentTimeMillis() / 1000)) + skew
    }

    /**
     * Learns the clock offset from a refusal for the request's time (401/403, body `stale:` or
     * `future:`, a `Date`); true when it changed, so the request is worth signing again.
     */
    private fun learn(response: Response): Boolean {
        if (response.code != 401 && response.code != 403) return false
        val server = response.headers.getDate("Date") ?: return false
        val head = response.peekBody(7).string()
        if (!head.startsWith("stale:") && !head.startsWith("future:")) return false
        val localMillis = clock?.invoke()?.let { it * 1000 } ?: System.currentTimeMillis()
        val learnt = Math.round((server.time - localMillis) / 1000.0)
        if (learnt == offset) return false // the clock was not the problem
        offset = learnt
        return true
    }

    /**
     * [request] as it will be sent, signed (at the corrected time once [correctClockSkew] learnt
     * an offset): the signature headers set (replacing any of the
     * same name), the body as bytes, and `Content-Type`, `Content-Length` and `Host` explicit.
     * Throws [HmacSigException] when the core refuses to sign it, IOException when its body
     * cannot be read.
     */
    @Throws(HmacSigException::class, IOException::class)
    fun sign(request: Request): Request = prepare(request).let { (unsigned, body) -> signPrepared(unsigned, body).request }

    /**
     * [request] as it will be sent, not yet signed: its body read once into bytes (a one-shot
     * body allows no second read; a retry signs these bytes again), `Content-Type`,
     * `Content-Length` and `Host` explicit. Returns the request and its body bytes.
     */
    private fun prepare(request: Request): Pair<Request, ByteArray> {
        val builder = request.newBuilder()
        val original = request.body
        var body = ByteArray(0)
        if (original != null) {
            if (original.isDuplex()) {
                throw HmacSigException(ErrorKind.UNSUPPORTED, "a duplex request body is still being written while the response arrives: it cannot be signed")
            }
            // Read once (a one-shot body allows no second read) and send these bytes.
            body = Buffer().also { original.writeTo(it) }.readByteArray()
            val mediaType = original.contentType()
            // OkHttp's BridgeInterceptor sets these from the body at send time, replacing
            // what the request says: set the same values now, so they are what is signed.
            if (mediaType != null) builder.header("Content-Type", mediaType.toString())
            builder.header("Content-Length", body.size.toString()).removeHeader("Transfer-Encoding")
            builder.method(request.method, body.toRequestBody(mediaType))
        }
        if (request.header("Host") == null) builder.header("Host", hostHeader(request.url))
        return builder.build() to body
    }

    /** A request as signed, and the names of the headers the signer set on it. */
    private class Signed(val request: Request, val headerNames: List<String>)

    /** [unsigned] (from [prepare], [body] its bytes) signed at [now]. */
    private fun signPrepared(unsigned: Request, body: ByteArray): Signed {
        val builder = unsigned.newBuilder()
        // hawk signs the URL's host and port as the client names them (443 for https).
        val target = if (signer.signsAbsoluteUrl) absoluteForm(unsigned.url) else originForm(unsigned.url)
        val headers = unsigned.headers.map { (name, value) -> Header(name, value) }
        val signed = signer.sign(unsigned.method, target, headers, body, now())

        val names = signed.headers.map { it.name.lowercase() }.distinct()
        for (name in names) builder.removeHeader(name)
        for (header in signed.headers) builder.addHeader(header.name, header.value)
        signed.url?.let { builder.url(presignedUrl(unsigned.url, it)) }
        return Signed(builder.build(), names)
    }

    /** The URL of a presigned target (a hawk bewit: an absolute URL), refused unless OkHttp would send it exactly so. */
    private fun presignedUrl(original: HttpUrl, signedTarget: String): HttpUrl {
        val url = original.resolve(signedTarget)
        val absolute = url != null && signedTarget.contains("://")
        val sent = url?.let { if (absolute) absoluteForm(it) else originForm(it) }
        if (url == null || sent != signedTarget) {
            throw HmacSigException(ErrorKind.INVALID_REQUEST, "OkHttp would send the presigned target $signedTarget as ${sent ?: "nothing (it does not parse)"}")
        }
        return url
    }

    override fun toString(): String = "HmacSigInterceptor($signer)"
}

/**
 * A request that could not be signed, as OkHttp needs it: an IOException. [error] is the
 * typed reason ([HmacSigException.kind], message), also the [cause].
 */
class HmacSigIOException(val error: HmacSigException) : IOException("cannot sign the request: ${error.kind.code}: ${error.message}", error) {
    /** The error kind, `error.kind`. */
    val kind: ErrorKind get() = error.kind
}

/** `/path?query` as OkHttp writes it on the request line (an empty query keeps its `?`). */
internal fun originForm(url: HttpUrl): String = url.encodedPath + (url.encodedQuery?.let { "?$it" } ?: "")

/** `scheme://Host` + the origin-form target: the URL as hawk's client signs it. */
internal fun absoluteForm(url: HttpUrl): String = "${url.scheme}://${hostHeader(url)}${originForm(url)}"

/** The `Host` header OkHttp sends: the host (an IPv6 one in brackets), `:port` unless the scheme's default. */
internal fun hostHeader(url: HttpUrl): String {
    val host = if (':' in url.host) "[${url.host}]" else url.host
    return if (url.port == HttpUrl.defaultPort(url.scheme)) host else "$host:${url.port}"
}
