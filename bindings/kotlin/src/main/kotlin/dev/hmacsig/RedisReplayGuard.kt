package dev.hmacsig

import dev.hmacsig.ffi.ReplayGuard as FfiReplayGuard

/*
 * The replay guard a fleet shares, in Redis (docs/server.md). A server feature: this file is
 * left out of Android's client-only classes (docs/packaging.md), so it is an extension of
 * ReplayGuard's companion rather than a member.
 */

/**
 * A guard in Redis at [url] (`redis://host:port/db`), shared by every server that uses the same
 * Redis and [namespace]: a request accepted by one is refused as replayed by all. When Redis
 * cannot be reached it refuses with [ErrorKind.KEY_LOOKUP_FAILED] (503) unless [failOpen].
 * [defaultTtl] as for the in-memory guard.
 */
@JvmOverloads
fun ReplayGuard.Companion.redis(url: String, namespace: String = "hmacsig", failOpen: Boolean = false, defaultTtl: Long = 900): ReplayGuard {
    val max = UInt.MAX_VALUE.toLong()
    require(defaultTtl in 0..max) { "defaultTtl must be 0..$max seconds, not $defaultTtl" }
    return ReplayGuard(translated { FfiReplayGuard.redis(url, namespace, failOpen, defaultTtl.toUInt()) })
}
