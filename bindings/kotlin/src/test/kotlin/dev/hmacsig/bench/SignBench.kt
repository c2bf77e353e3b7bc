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
// - hmacsig_api_auth_verify: dev.hmacsig.Verifier.verify (made withKeys, api-auth sha256) of
//   the same request with a 230-byte JSON body and the signed headers, at a fixed now;
// - javax_api_auth_verify: a hand-written api-auth verifier on javax.crypto.Mac doing the same
//   job: the body's SHA-256 into the canonical string, the Date within 900 s, HMAC-SHA256,
//   a constant-time compare, the key from a HashMap. Both must accept the request and give
//   the same key id, and refuse a tampered body (checked before timing).
package dev.hmacsig.bench

import dev.hmacsig.Credentials
import dev.hmacsig.Header
import dev.hmacsig.HmacSigException
import dev.hmacsig.Scheme
import dev.hmacsig.SignedRequest
import dev.hmacsig.Signer
import dev.hmacsig.Verifier
import org.json.JSONArray
import org.json.JSONObject
import java.security.MessageDigest
import java.time.Instant
import java.time.ZonedDateTime
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

/** A 230-byte JSON body for the verify cases. */
private fun verifyBody(): ByteArray {
    val head = """{"order_id":42,"customer":"c-1001","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"total":{"amount":"19.90","currency":"EUR"},"note":""""
    val body = (head + "y".repeat(230 - head.length - 2) + "\"}").toByteArray()
    check(body.size == 230) { "the verify body must be 230 bytes, not ${body.size}" }
    return body
}

/**
 * api-auth with HMAC-SHA256 verified by hand on the JDK: the key id, or a SecurityException.
 * The same job as the Verifier: the body's own hash is signed, the Date is within 900 s.
 */
fun javaxApiAuthVerify(keys: Map<String, SecretKeySpec>, method: String, target: String, headers: List<Header>, body: ByteArray, now: Long): String {
    fun header(name: String) = headers.firstOrNull { it.name.equals(name, ignoreCase = true) }?.value
    val auth = header("authorization")?.removePrefix("APIAuth-HMAC-SHA256 ") ?: throw SecurityException("no Authorization")
    val keyId = auth.substringBeforeLast(':')
    val key = keys[keyId] ?: throw SecurityException("unknown key id $keyId")
    val date = header("date") ?: throw SecurityException("no Date")
    if (Math.abs(now - ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond()) > 900) throw SecurityException("stale")
    val contentHash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body))
    val canonical = "${method.uppercase(Locale.ROOT)},${header("content-type") ?: ""},$contentHash,$target,$date"
    val mac = Mac.getInstance("HmacSHA256")
    mac.init(key)
    val expected = Base64.getEncoder().encode(mac.doFinal(canonical.toByteArray(Charsets.UTF_8)))
    if (!MessageDigest.isEqual(expected, auth.substringAfterLast(':').toByteArray(Charsets.UTF_8))) throw SecurityException("bad signature")
    return keyId
}

private fun fail(message: String): Nothing {
    System.err.println("hmacsig-bench: $message")
    exitProcess(1)
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

    // The verify cases: the small request with a 230-byte body, signed, and both verifiers agreeing.
    val verifyBody = verifyBody()
    val unsigned = HEADERS.map { if (it.name == "Content-Length") Header(it.name, verifyBody.size.toString()) else it }
    val signedHeaders = unsigned + signer.sign(METHOD, TARGET, unsigned, verifyBody, NOW).headers
    val verifier = Scheme.apiAuth(digest = "sha256").use { Verifier.withKeys(it, mapOf(KEY_ID to SECRET)) }
    val javaxKeys = HashMap(mapOf(KEY_ID to key))
    val ourKeyId = verifier.verify(METHOD, TARGET, signedHeaders, verifyBody, NOW)
    val theirKeyId = javaxApiAuthVerify(javaxKeys, METHOD, TARGET, signedHeaders, verifyBody, NOW)
    if (ourKeyId != KEY_ID || theirKeyId != KEY_ID) fail("the verifiers gave key ids $ourKeyId and $theirKeyId, not $KEY_ID")
    val tampered = verifyBody.copyOf().also { it[20] = 'X'.code.toByte() }
    if (runCatching { verifier.verify(METHOD, TARGET, signedHeaders, tampered, NOW) }.exceptionOrNull() !is HmacSigException) fail("hmacsig accepted a tampered body")
    if (runCatching { javaxApiAuthVerify(javaxKeys, METHOD, TARGET, signedHeaders, tampered, NOW) }.exceptionOrNull() !is SecurityException) fail("javax accepted a tampered body")

    val cases = listOf(
        Case(
            "hmacsig_api_auth_sign",
            "dev.hmacsig.Signer.sign (api-auth, HMAC-SHA256) of the small request, headers as a List<Header>",
        ) { signer.sign(METHOD, TARGET, HEADERS, BODY, NOW) },
        Case(
            "javax_api_auth_sign",
            "hand-written api-auth HMAC-SHA256 signer (javax.crypto.Mac, MessageDigest SHA-256, java.util.Base64, DateTimeFormatter), same headers",
        ) { javaxApiAuthSign(key, KEY_ID, METHOD, TARGET, HEADERS, BODY, NOW) },
        Case(
            "hmacsig_api_auth_verify",
            "dev.hmacsig.Verifier.verify (withKeys, api-auth sha256) of the small request with a 230-byte JSON body and its signed headers, fixed now",
        ) { verifier.verify(METHOD, TARGET, signedHeaders, verifyBody, NOW) },
        Case(
            "javax_api_auth_verify",
            "hand-written api-auth HMAC-SHA256 verifier (javax.crypto.Mac, MessageDigest SHA-256 of the body and isEqual, the Date within 900 s, key from a HashMap), same request",
        ) { javaxApiAuthVerify(javaxKeys, METHOD, TARGET, signedHeaders, verifyBody, NOW) },
    )

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
    out.put("checks", JSONObject().put("javax_same_headers", true).put("javax_verify_same_key_id", true))
    out.put(
        "java",
        "${System.getProperty("java.vm.name")} ${System.getProperty("java.runtime.version")}",
    )
    out.put("sink", sink)
    signer.close()
    verifier.close()
    println(out.toString())
}
