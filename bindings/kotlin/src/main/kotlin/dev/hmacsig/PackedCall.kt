package dev.hmacsig

import java.lang.ref.Reference
import java.nio.ByteBuffer
import dev.hmacsig.ffi.Signer as FfiSigner

/*
 * The packed hot path of Signer.sign (docs/adr/0004-packed-hot-path.md; layouts in
 * core/src/packed.rs): method, target, headers as `name NUL value NUL …` and body go in as flat
 * bytes, the SignedRequest comes back as one buffer. The record call instead lowers every
 * String, Header and the list into buffers of their own and lifts the result back the same
 * way, several times slower on JNA. The call itself is the raw C entry (RawCall.kt) when it is
 * available, else the generated `signPacked`.
 */

/** `now` meaning "the system clock" in the packed call (`hmacsig::packed::SYSTEM_CLOCK`). */
internal const val SYSTEM_CLOCK = Long.MIN_VALUE

/** Largest buffers a thread keeps between calls; a bigger call gets buffers of its own. */
private const val SCRATCH_MAX = 64 * 1024

/** The raw entry's output buffer is grown and the call repeated at most this many times. */
private const val RAW_TRIES = 4

/** Text and body past this many bytes take the record call (the packed buffers' sizes are Ints). */
private const val PACKED_MAX = Int.MAX_VALUE - 64L

/**
 * Per-thread buffers: the UTF-8 text is encoded into [text] and copied with a heap body into
 * [input]; the core writes the result into [output], which is copied into [result] to be read.
 */
private class PackedScratch {
    /** In use by a call on this thread; a nested call (from a caller's own List) makes its own. */
    var busy = false
    var text = ByteArray(1024)
    var input = DirectBytes(4096)
    var output = DirectBytes(4096)
    var result = ByteArray(1024)
}

private val packedScratch = ThreadLocal.withInitial(::PackedScratch)

/** This buffer when it holds [size] bytes, else a bigger one, handed to [keep] unless it is past SCRATCH_MAX. */
private inline fun DirectBytes.atLeast(size: Int, keep: (DirectBytes) -> Unit): DirectBytes = when {
    size <= capacity -> this
    size <= SCRATCH_MAX -> DirectBytes(maxOf(size, minOf(capacity * 2, SCRATCH_MAX))).also(keep)
    else -> DirectBytes(size)
}

/**
 * Signs through the packed call with [signer] (whose core address is [address]; the caller
 * holds [signer] open for the call): the raw C entry when [raw], falling back to the generated
 * `signPacked` when the entry reports a failure (that call throws the typed error). Returns
 * null without signing when the packed layout cannot carry the input: a NUL in a header, a
 * lone surrogate (not UTF-8, which the record call refuses), or [now] equal to the sentinel;
 * the caller takes the record call, which gives the same result or the same error. [body]'s
 * remaining bytes are signed; a direct buffer is passed without a copy and is not consumed.
 */
internal fun signPacked(
    signer: FfiSigner,
    address: Long,
    method: String,
    target: String,
    headers: List<Header>,
    body: ByteBuffer,
    now: Long?,
    raw: Boolean = rawCallAvailable,
): SignedRequest? {
    if (now == SYSTEM_CLOCK) return null
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 for 2).
    var chars = method.length.toLong() + target.length + headers.size * 2L
    for (header in headers) chars += header.name.length + header.value.length
    val bodySize = body.remaining()
    val heapBody = if (body.isDirect) 0 else bodySize
    if (chars * 3 + heapBody > PACKED_MAX) return null
    val textMax = (chars * 3).toInt()

    val kept = packedScratch.get()
    val scratch = if (kept.busy) PackedScratch() else kept
    scratch.busy = true
    try {
        val text = when {
            textMax <= scratch.text.size -> scratch.text
            textMax <= SCRATCH_MAX -> ByteArray(maxOf(textMax, minOf(scratch.text.size * 2, SCRATCH_MAX))).also { scratch.text = it }
            else -> ByteArray(textMax)
        }
        val methodEnd = putUtf8(method, text, 0, allowNul = true)
        if (methodEnd < 0) return null
        val targetEnd = putUtf8(target, text, methodEnd, allowNul = true)
        if (targetEnd < 0) return null
        var headersEnd = targetEnd
        var first = true
        for (header in headers) {
            if (!first) text[headersEnd++] = 0
            first = false
            headersEnd = putUtf8(header.name, text, headersEnd, allowNul = false)
            if (headersEnd < 0) return null
            text[headersEnd++] = 0
            headersEnd = putUtf8(header.value, text, headersEnd, allowNul = false)
            if (headersEnd < 0) return null
        }

        val input = scratch.input.atLeast(headersEnd + heapBody) { scratch.input = it }
        val buffer = input.buffer
        buffer.clear()
        buffer.put(text, 0, headersEnd)
        if (heapBody > 0) buffer.put(body.duplicate())
        val clock = now ?: SYSTEM_CLOCK

        if (raw) {
            val bodyAddress = if (body.isDirect) addressOf(body) + body.position() else input.address + headersEnd
            var output = scratch.output
            for (attempt in 1..RAW_TRIES) {
                val n = RawEntry.hmacsig_sign_packed_into(
                    address,
                    input.address, methodEnd.toLong(),
                    input.address + methodEnd, (targetEnd - methodEnd).toLong(),
                    input.address + targetEnd, (headersEnd - targetEnd).toLong(),
                    bodyAddress, bodySize.toLong(),
                    clock,
                    output.address, output.capacity.toLong(),
                )
                // The addresses are of these buffers: keep them alive until the entry returned.
                Reference.reachabilityFence(input)
                Reference.reachabilityFence(body)
                if (n < 0 || n > Int.MAX_VALUE) break // RAW_FAILED: the generated call below
                val size = n.toInt()
                if (size <= output.capacity) {
                    val result = when {
                        size <= scratch.result.size -> scratch.result
                        size <= SCRATCH_MAX -> ByteArray(maxOf(size, minOf(scratch.result.size * 2, SCRATCH_MAX))).also { scratch.result = it }
                        else -> ByteArray(size)
                    }
                    output.buffer.get(0, result, 0, size)
                    return unpackSigned(result, size)
                }
                // Too small: the entry wrote nothing and said how much it needs.
                output = output.atLeast(size) { scratch.output = it }
            }
        }
        // The generated call: when the raw entry is unavailable, or failed (then this throws the typed error).
        val bodyArg = if (body.isDirect) body.slice() else buffer.slice(headersEnd, heapBody)
        return unpackSigned(
            translated {
                signer.signPacked(
                    buffer.slice(0, methodEnd),
                    buffer.slice(methodEnd, targetEnd - methodEnd),
                    buffer.slice(targetEnd, headersEnd - targetEnd),
                    bodyArg,
                    clock,
                )
            },
        )
    } finally {
        scratch.busy = false
    }
}

/**
 * Writes [s] as UTF-8 into [out] from [pos] (room checked by the caller) and returns the end,
 * or -1 for a lone surrogate, or for a NUL unless [allowNul].
 */
private fun putUtf8(s: String, out: ByteArray, pos: Int, allowNul: Boolean): Int {
    var at = pos
    var i = 0
    val n = s.length
    // ASCII without NUL, the usual case: one byte per char, one test per char.
    while (i < n) {
        val c = s[i].code
        if (c == 0 || c >= 0x80) break
        out[at++] = c.toByte()
        i++
    }
    while (i < n) {
        val c = s[i++].code
        when {
            c < 0x80 -> {
                if (c == 0 && !allowNul) return -1
                out[at++] = c.toByte()
            }
            c < 0x800 -> {
                out[at++] = (0xC0 or (c shr 6)).toByte()
                out[at++] = (0x80 or (c and 0x3F)).toByte()
            }
            c in 0xD800..0xDBFF && i < n && s[i].code in 0xDC00..0xDFFF -> {
                val cp = 0x10000 + ((c - 0xD800) shl 10) + (s[i++].code - 0xDC00)
                out[at++] = (0xF0 or (cp shr 18)).toByte()
                out[at++] = (0x80 or ((cp shr 12) and 0x3F)).toByte()
                out[at++] = (0x80 or ((cp shr 6) and 0x3F)).toByte()
                out[at++] = (0x80 or (cp and 0x3F)).toByte()
            }
            c in 0xD800..0xDFFF -> return -1
            else -> {
                out[at++] = (0xE0 or (c shr 12)).toByte()
                out[at++] = (0x80 or ((c shr 6) and 0x3F)).toByte()
                out[at++] = (0x80 or (c and 0x3F)).toByte()
            }
        }
    }
    return at
}

/**
 * The [SignedRequest] in the first [size] bytes of [buf], the packed call's result: `u32 count`,
 * per header `u32 len, name, u32 len, value`, then `u32 url_len + 1` (0 = no URL) and the URL,
 * the rest the string-to-sign; lengths little-endian.
 */
internal fun unpackSigned(buf: ByteArray, size: Int = buf.size): SignedRequest {
    val count = u32(buf, 0)
    var pos = 4
    val headers = ArrayList<Header>(count)
    repeat(count) {
        val nameSize = u32(buf, pos)
        val name = String(buf, pos + 4, nameSize, Charsets.UTF_8)
        pos += 4 + nameSize
        val valueSize = u32(buf, pos)
        headers.add(Header(name, String(buf, pos + 4, valueSize, Charsets.UTF_8)))
        pos += 4 + valueSize
    }
    val urlSize = u32(buf, pos)
    pos += 4
    val url = if (urlSize == 0) null else String(buf, pos, urlSize - 1, Charsets.UTF_8).also { pos += urlSize - 1 }
    return SignedRequest(headers, buf.copyOfRange(pos, size), url)
}

/** The little-endian u32 at [at] (lengths here are far below 2^31). */
private fun u32(buf: ByteArray, at: Int): Int =
    (buf[at].toInt() and 0xFF) or ((buf[at + 1].toInt() and 0xFF) shl 8) or
        ((buf[at + 2].toInt() and 0xFF) shl 16) or ((buf[at + 3].toInt() and 0xFF) shl 24)
