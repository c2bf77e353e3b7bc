package dev.hmacsig

import com.sun.jna.Native
import com.sun.jna.Pointer
import java.nio.ByteBuffer

/*
 * The raw hot path of Signer.sign (docs/adr/0005-raw-hot-path.md): the core's plain C entry
 * `hmacsig_sign_packed_into` (core/src/raw_abi.rs), which is not in the generated bindings.
 * Even the generated `signPacked` costs tens of microseconds on JNA: a RustCallStatus and four
 * ForeignBytes Structures marshalled by reflection, a cloned handle, and the returned
 * RustBuffer lifted and freed by more calls. This entry takes integers only (the signer's
 * address, each argument's address and length, an output buffer the caller owns), so JNA's
 * direct mapping passes them with no conversion at all.
 */

/**
 * The C entry, bound with JNA direct mapping. Registered by the same name and class loader as
 * the generated `UniffiLib` (whose `findLibraryName` this repeats), so JNA's cache gives both
 * one library instance, loaded once (from the jar's `linux-x86-64/` folder): never a second
 * copy whose code would be handed the first one's signer.
 */
internal object RawEntry {
    init {
        Native.register(RawEntry::class.java, System.getProperty("uniffi.component.hmacsig.libraryOverride") ?: "hmacsig")
    }

    /**
     * Signs with the `Signer` at [signer] (alive for the call); writes the packed SignedRequest
     * to [out] and returns its length when it fits in [outCap], returns the length it needs
     * (writing nothing) when it does not, or -1 when signing failed.
     */
    @JvmStatic
    external fun hmacsig_sign_packed_into(
        signer: Long,
        method: Long,
        methodLen: Long,
        target: Long,
        targetLen: Long,
        headers: Long,
        headersLen: Long,
        body: Long,
        bodyLen: Long,
        now: Long,
        out: Long,
        outCap: Long,
    ): Long

    /** Runs the registration (the `init` above); throws a LinkageError when the symbol is missing. */
    fun load() = Unit
}

/** What [RawEntry.hmacsig_sign_packed_into] returns when signing failed. */
internal const val RAW_FAILED = -1L

/**
 * Whether the raw entry can be used: addresses fit a Long (64-bit pointers) and the library
 * exports the symbol. When not, Signer.sign takes the generated packed call, same results.
 */
internal val rawCallAvailable: Boolean = Native.POINTER_SIZE == 8 &&
    try {
        RawEntry.load()
        true
    } catch (e: LinkageError) {
        false
    }

/** The native address of a direct [buffer]'s first byte (not its position). */
internal fun addressOf(buffer: ByteBuffer): Long = Pointer.nativeValue(Native.getDirectBufferPointer(buffer))

/** A direct buffer and its address, fetched once (a JNI call) rather than per call. */
internal class DirectBytes(capacity: Int) {
    val buffer: ByteBuffer = ByteBuffer.allocateDirect(capacity)
    val address: Long = addressOf(buffer)
    val capacity: Int get() = buffer.capacity()
}
