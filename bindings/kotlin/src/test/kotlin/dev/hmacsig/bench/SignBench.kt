// The Kotlin measurements of `cargo xtask bench` (BENCHMARKS.md), run by xtask with `java`
// on the jar, the test classes and their dependencies. Prints one JSON object: per case,
// the per-call nanoseconds of each batch (`samples_ns`); batches of all cases are
// interleaved round by round, in rotating order, so drift hits numerators and denominators
// alike. xtask takes the medians and divides.
//
// Cases, on the small request of issue 6 (a POST with a 200-byte JSON body and four
// headers, the same one tests/bench/src/main.rs and tests/bench/python/bench.py build):
// - hmacsig_api_auth_sign: dev.hmacsig.Signer.sign (api-auth, HMAC-SHA256);
// - javax_api_auth_sign: a hand-written api-auth signer on javax.crypto.Mac,
//   java.security.MessageDigest and java.util.Base64, producing the same headers
//   (checked before timing).
//
// With --breakdown, where the time of hmacsig_api_auth_sign goes (same request, same run):
// - generated_packed_sign: Signer.sign through the generated packed call instead of the raw
//   C entry (the path before ADR 0005);
// - record_sign: the generated record call (the path before ADR 0004);
// - raw_entry_only: the C entry alone (inside the Signer's guard) on arguments packed once,
//   its result left unread: the Rust work plus the JNA crossing;
// - raw_entry_empty: the C entry refusing a null signer at once: the JNA crossing alone;
// - unpack_only: reading the SignedRequest out of the entry's result.
// The rest of hmacsig_api_auth_sign is packing the arguments (UTF-8 into a direct buffer).
package dev.hmacsig.bench

import dev.hmacsig.Credentials
import dev.hmacsig.DirectBytes
import dev.hmacsig.Header
import dev.hmacsig.RawEntry
import dev.hmacsig.Scheme
import dev.hmacsig.SignedRequest
import dev.hmacsig.Signer
import dev.hmacsig.unpackSigned
import org.json.JSONArray
import org.json.JSONObject
import java.lang.ref.Reference
import java.security.MessageDigest
import java.time.Instant
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter
import java.util.Base64
import java.util.Locale
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec
import kotlin.system.exitProcess

private const val NOW = 1_700_000_000L // 2023-11-14T22:13:20Z, as the Rust and Python sides
private const val KEY_ID = "AKIDEXAMPLE"
private const val SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" // AWS's documented example secret: not a real key
private const val METHOD = "POST"
private const val TARGET = "/v1/orders?id=42"

private fun smallBody(): ByteArray {
    val head = """{"order_id":42,"customer":"c-1001","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"note":""""
    val tail = """"}"""
    val body = (head + "x".repeat(200 - head.length - tail.length) + tail).toByteArray()
    check(body.size == 200) { "the small body must be 200 bytes, not ${body.size}" }
    return body
}

private val BODY = smallBody()
private val HEADERS = listOf(
    Header("Host", "api.example.com"),
    Header("Content-Type", "application/json"),
    Header("Content-Length", "200"),
    Header("X-Request-Id", "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"),
)

// RFC 7231 IMF-fixdate, always two-digit days (RFC_1123_DATE_TIME drops the leading zero).
private val HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC)

/**
 * api-auth with HMAC-SHA256 (the Ruby gem's format), by hand on the JDK: the headers to add.
 * A new Mac and MessageDigest per call, as a thread-safe signer must (neither is thread-safe).
 */
fun javaxApiAuthSign(key: SecretKeySpec, keyId: String, method: String, target: String, headers: List<Header>, body: ByteArray, now: Long): Map<String, String> {
    val contentType = headers.firstOrNull { it.name.equals("content-type", ignoreCase = true) }?.value ?: ""
    val contentHash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body))
    val date = HTTP_DATE.format(Instant.ofEpochSecond(now))
    val canonical = "${method.uppercase(Locale.ROOT)},$contentType,$contentHash,$target,$date"
    val mac = Mac.getInstance("HmacSHA256")
    mac.init(key)
    val signature = Base64.getEncoder().encodeToString(mac.doFinal(canonical.toByteArray(Charsets.UTF_8)))
    return mapOf(
        "X-Authorization-Content-SHA256" to contentHash,
        "Date" to date,
        "Authorization" to "APIAuth-HMAC-SHA256 $keyId:$signature",
    )
}

private fun SignedRequest.header(name: String): String? = headers.firstOrNull { it.name.equals(name, ignoreCase = true) }?.value

/** Keeps results alive so the JIT cannot drop the calls. */
@Volatile private var sink = 0

private class Case(val name: String, val what: String, val call: () -> Any)

/** Per-call nanoseconds of one batch of [calls] calls. */
private fun batch(calls: Int, case: Case): Double {
    var acc = 0
    val start = System.nanoTime()
    for (i in 0 until calls) acc += case.call().hashCode()
    val took = System.nanoTime() - start
    sink += acc
    return took.toDouble() / calls
}

/** Calls per batch so that one batch takes about [targetNs]. */
private fun calibrate(targetNs: Double, case: Case): Int {
    var calls = 1
    while (true) {
        val took = batch(calls, case) * calls
        if (took >= targetNs / 4) return maxOf(1, (targetNs / (took / calls)).toInt())
        calls *= 4
    }
}

private fun arg(args: Array<String>, name: String, default: Double): Double {
    val i = args.indexOf(name)
    if (i < 0) return default
    return args.getOrNull(i + 1)?.toDoubleOrNull() ?: run {
        System.err.println("hmacsig-bench: $name needs a number")
        exitProcess(2)
    }
}

/** The --breakdown cases (see the top of this file); [expected] is what Signer.sign gives. */
private fun breakdown(signer: Signer, expected: SignedRequest): List<Case> {
    val method = METHOD.toByteArray()
    val target = TARGET.toByteArray()
    val headers = HEADERS.joinToString("\u0000") { "${it.name}\u0000${it.value}" }.toByteArray()
    val input = DirectBytes(4096)
    input.buffer.put(method).put(target).put(headers).put(BODY)
    val output = DirectBytes(4096)
    val a = input.address
    val rawOnly = {
        signer.withAddress { _, address ->
            RawEntry.hmacsig_sign_packed_into(
                address, a, method.size.toLong(), a + method.size, target.size.toLong(),
                a + method.size + target.size, headers.size.toLong(),
                a + method.size + target.size + headers.size, BODY.size.toLong(),
                NOW, output.address, output.capacity.toLong(),
            )
        }.also { Reference.reachabilityFence(input) } // only its address is used above
    }
    val size = rawOnly().toInt()
    val result = ByteArray(size).also { output.buffer.get(0, it) }
    for (other in listOf(unpackSigned(result), signer.signWithGeneratedPacked(METHOD, TARGET, HEADERS, BODY, NOW)!!, signer.signWithRecords(METHOD, TARGET, HEADERS, BODY, NOW))) {
        if (other.headers != expected.headers || !other.stringToSign.contentEquals(expected.stringToSign)) {
            System.err.println("hmacsig-bench: a breakdown case signs differently: ${other.headers} != ${expected.headers}")
            exitProcess(1)
        }
    }
    return listOf(
        Case("generated_packed_sign", "Signer.sign through the generated packed call (signPacked) instead of the raw C entry") {
            signer.signWithGeneratedPacked(METHOD, TARGET, HEADERS, BODY, NOW)!!
        },
        Case("record_sign", "the generated record call (Signer.sign(String, String, List<Header>, ...))") {
            signer.signWithRecords(METHOD, TARGET, HEADERS, BODY, NOW)
        },
        Case("raw_entry_only", "hmacsig_sign_packed_into alone, arguments packed once, result not read") { rawOnly() },
        Case("unpack_only", "the SignedRequest read out of the entry's result") { unpackSigned(result, size) },
        Case("raw_entry_empty", "the C entry refusing a null signer at once: the JNA crossing alone") {
            RawEntry.hmacsig_sign_packed_into(0, a, 1, a, 1, a, 1, a, 1, NOW, output.address, 4096)
        },
    )
}

fun main(args: Array<String>) {
    val rounds = arg(args, "--rounds", 31.0).toInt().coerceAtLeast(1)
    val batchMs = arg(args, "--batch-ms", 20.0)
    val warmupMs = arg(args, "--warmup-ms", 2000.0)

    val signer = Signer(Scheme.apiAuth(digest = "sha256"), Credentials(KEY_ID, SECRET))
    val key = SecretKeySpec(SECRET.toByteArray(Charsets.UTF_8), "HmacSHA256")

    // Same output before any timing: the denominator does the same job.
    val ours = signer.sign(METHOD, TARGET, HEADERS, BODY, NOW)
    val theirs = javaxApiAuthSign(key, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW)
    for ((name, value) in theirs) {
        val our = ours.header(name)
        if (our != value) {
            System.err.println("hmacsig-bench: javax $name \"$value\" != hmacsig \"$our\"")
            exitProcess(1)
        }
    }

    val cases = listOf(
        Case(
            "hmacsig_api_auth_sign",
            "dev.hmacsig.Signer.sign (api-auth, HMAC-SHA256) of the small request, headers as a List<Header>",
        ) { signer.sign(METHOD, TARGET, HEADERS, BODY, NOW) },
        Case(
            "javax_api_auth_sign",
            "hand-written api-auth HMAC-SHA256 signer (javax.crypto.Mac, MessageDigest SHA-256, java.util.Base64, DateTimeFormatter), same headers",
        ) { javaxApiAuthSign(key, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW) },
    ) + if ("--breakdown" in args) breakdown(signer, ours) else emptyList()

    // JIT warm-up: each case alone for warmupMs, so both reach compiled code before timing.
    for (case in cases) {
        val until = System.nanoTime() + (warmupMs * 1e6).toLong()
        while (System.nanoTime() < until) batch(1000, case)
    }
    val calls = cases.associate { it.name to calibrate(batchMs * 1e6, it) }
    for (case in cases) batch(calls.getValue(case.name), case) // warm-up batch, discarded
    val samples = cases.associate { it.name to ArrayList<Double>() }
    for (round in 0 until rounds) {
        for (k in cases.indices) {
            val case = cases[(round + k) % cases.size]
            samples.getValue(case.name).add(batch(calls.getValue(case.name), case))
        }
    }

    val out = JSONObject()
    for (case in cases) {
        out.put(
            case.name,
            JSONObject()
                .put("what", case.what)
                .put("calls_per_batch", calls.getValue(case.name))
                .put("samples_ns", JSONArray(samples.getValue(case.name))),
        )
    }
    out.put("checks", JSONObject().put("javax_same_headers", true))
    out.put(
        "java",
        "${System.getProperty("java.vm.name")} ${System.getProperty("java.runtime.version")}",
    )
    out.put("sink", sink)
    signer.close()
    println(out.toString())
}
