package dev.hmacsig.okhttp

import okhttp3.Call
import okhttp3.HttpUrl
import okhttp3.Request
import java.util.Collections
import java.util.WeakHashMap

// The redirect rules of HmacSigInterceptor (see its KDoc): which hop of a call may be signed.
// OkHttp follows a redirect in RetryAndFollowUpInterceptor, after the application
// interceptors and before the network ones, so only the network role sees it; these are
// what that role knows of the call the hop belongs to.

/**
 * Where a hop goes, relative to the call's host: [sameHost] when it goes to the call's
 * scheme, host and port; [mayBeSigned] when it may be signed without
 * `resignCrossHostRedirects`: to the call's host, and no earlier hop of the call left it.
 */
internal class Hop(val sameHost: Boolean, val mayBeSigned: Boolean)

/**
 * Whether [a] and [b] have the same scheme, host and port: as OkHttp decides whether it may
 * reuse a connection, and keep `Authorization` on a redirect.
 */
internal fun sameHost(a: HttpUrl, b: HttpUrl): Boolean = a.scheme == b.scheme && a.host == b.host && a.port == b.port

/**
 * What the application role signed, as a tag of the request it passes on: OkHttp copies a
 * request's tags onto the redirects it makes of it, so every hop of the call carries it to the
 * network role. [signed] is the request as signed, [headerNames] the (lowercase) names of the
 * headers the signer set, which OkHttp copies onto a redirect too. One per signing: a
 * clock-skew retry starts afresh.
 */
internal class SignedCall(val signedBy: HmacSigInterceptor, private val signed: Request, val headerNames: List<String>) {
    /** Set when a hop went to another host: no later hop is signed (but with `resignCrossHostRedirects`). */
    @Volatile
    private var leftHost = false

    /**
     * Whether [hop] is the request that was signed (its first attempt, a retry of it, or a
     * redirect to exactly it): same URL and method, hence the same body, and the call has not
     * been to another host since. It goes as it is.
     */
    fun isSignedRequest(hop: Request): Boolean = !leftHost && hop.url == signed.url && hop.method == signed.method

    /** Where a redirect to [url] goes; remembers when it leaves the call's host. */
    fun nextHop(url: HttpUrl): Hop {
        val same = sameHost(url, signed.url)
        if (!same) leftHost = true
        return Hop(same, same && !leftHost)
    }
}

/**
 * The hops of the calls of a network-only installation, which has no tag to carry state: the
 * call's host is that of its request (`Call.request()`), and the calls a hop took to another
 * host are remembered (weakly: a call that is gone is forgotten).
 */
internal class HopsOfCalls {
    private val leftTheirHost: MutableSet<Call> = Collections.synchronizedSet(Collections.newSetFromMap(WeakHashMap()))

    /** Where a hop of [call] (whose request is for [origin]) to [url] goes. */
    fun next(call: Call, origin: HttpUrl, url: HttpUrl): Hop {
        val same = sameHost(url, origin)
        if (!same) leftTheirHost.add(call)
        return Hop(same, same && call !in leftTheirHost)
    }
}
