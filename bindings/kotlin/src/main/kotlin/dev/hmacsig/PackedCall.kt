package dev.hmacsig

import java.nio.ByteBuffer

/*
 * The packed hot path of Signer.sign (docs/adr/0004-packed-hot-path.md; layouts in
 * core/src/packed.rs): the generated `signPacked` takes four `&[u8]` and an i64 and returns
 * one buffer, where the record call lowers every String, Header and the list into buffers
 * of their own and lifts the SignedRequest back the same way, several times slower on JNA.
 */

/** `now` meaning "the system clock" in the packed call (`hmacsig::packed::SYSTEM_CLOCK`). */
internal const val SYSTEM_CLOCK = Long.MIN_VALUE

/** Largest packed call kept in the per-thread scratch buffers; bigger ones get their own. */
private const val PACKED_SCRATCH_MAX = 64 * 1024

/** Per-thread buffers: the UTF-8 text is encoded into [text], then copied with the body into [direct]. */
private class PackedScratch {
    var text = ByteArray(1024)
    var direct: ByteBuffer = ByteBuffer.allocateDirect(4096)
}

private val packedScratch = ThreadLocal<PackedScratch>()

/**
 * Calls [call] with the packed arguments (method, target, headers as `name NUL value NUL …`,
 * body: direct buffers at position 0, valid during the call only; then `now` or
 * [SYSTEM_CLOCK]) and returns its result, or returns null without calling it when the packed
 * call cannot carry the input: a NUL in a header, a lone surrogate (not UTF-8, which the
 * record call refuses), or [now] equal to the sentinel. [body]'s remaining bytes are
 * passed; a direct buffer without a copy.
 */
internal fun <R : Any> withPackedArgs(
    method: String,
    target: String,
    headers: List<Header>,
    body: ByteBuffer,
    now: Long?,
    call: (ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, Long) -> R,
): R? {
    if (now == SYSTEM_CLOCK) return null
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 for 2).
    var textMax = method.length + target.length + headers.size * 2
    for (header in headers) textMax += header.name.length + header.value.length
    textMax *= 3
    val copiedBody = if (body.isDirect) 0 else body.remaining()

    // Taken out for the call, so a nested call on this thread (a key lookup that signs) gets its own.
    val scratch = packedScratch.get()?.also { packedScratch.set(null) } ?: PackedScratch()
    try {
        if (scratch.text.size < textMax) scratch.text = ByteArray(maxOf(textMax, scratch.text.size * 2))
        val text = scratch.text
        val methodEnd = putUtf8(method, text, 0, allowNul = true)
        if (methodEnd < 0) return null
        val targetEnd = putUtf8(target, text, methodEnd, allowNul = true)
        if (targetEnd < 0) return null
        var headersEnd = targetEnd
        for ((i, header) in headers.withIndex()) {
            if (i > 0) text[headersEnd++] = 0
            headersEnd = putUtf8(header.name, text, headersEnd, allowNul = false)
            if (headersEnd < 0) return null
            text[headersEnd++] = 0
            headersEnd = putUtf8(header.value, text, headersEnd, allowNul = false)
            if (headersEnd < 0) return null
        }

        val size = headersEnd + copiedBody
        val direct = when {
            size <= scratch.direct.capacity() -> scratch.direct
            size <= PACKED_SCRATCH_MAX -> ByteBuffer.allocateDirect(maxOf(size, scratch.direct.capacity() * 2)).also { scratch.direct = it }
            else -> ByteBuffer.allocateDirect(size)
        }
        direct.clear()
        direct.put(text, 0, headersEnd)
        if (copiedBody > 0) direct.put(body.duplicate())
        // slice(): the generated code passes each buffer's base address, so each starts at 0.
        val bodyArg = if (body.isDirect) body.slice() else direct.slice(headersEnd, copiedBody)
        return call(
            direct.slice(0, methodEnd),
            direct.slice(methodEnd, targetEnd - methodEnd),
            direct.slice(targetEnd, headersEnd - targetEnd),
            bodyArg,
            now ?: SYSTEM_CLOCK,
        )
    } finally {
        packedScratch.set(scratch)
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
 * The [SignedRequest] in the packed call's result: `u32 count`, per header `u32 len, name,
 * u32 len, value`, then `u32 url_len + 1` (0 = no URL) and the URL, the rest the
 * string-to-sign; lengths little-endian.
 */
internal fun unpackSigned(buf: ByteArray): SignedRequest {
    var pos = 0
    fun u32(): Int {
        val n = (buf[pos].toInt() and 0xFF) or ((buf[pos + 1].toInt() and 0xFF) shl 8) or
            ((buf[pos + 2].toInt() and 0xFF) shl 16) or ((buf[pos + 3].toInt() and 0xFF) shl 24)
        pos += 4
        return n
    }
    fun text(size: Int): String = String(buf, pos, size, Charsets.UTF_8).also { pos += size }

    val count = u32()
    val headers = ArrayList<Header>(count)
    repeat(count) {
        val name = text(u32())
        headers.add(Header(name, text(u32())))
    }
    val urlSize = u32()
    val url = if (urlSize == 0) null else text(urlSize - 1)
    return SignedRequest(headers, buf.copyOfRange(pos, buf.size), url)
}
