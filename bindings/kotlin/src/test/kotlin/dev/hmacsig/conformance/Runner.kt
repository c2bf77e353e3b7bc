// The Kotlin conformance runner: a JSON array of cases in (file argument or stdin), a JSON
// array of results out (stdout), one per case, same order. Logs go to stderr only.
// Uses only the public dev.hmacsig API; the case -> API mapping is tests/conformance/README.md,
// and it follows the Rust reference runner (tests/conformance/rust) step for step, so the
// same broken case fails the same way.

package dev.hmacsig.conformance

import dev.hmacsig.ContentDigest
import dev.hmacsig.Credentials
import dev.hmacsig.ErrorKind
import dev.hmacsig.Header
import dev.hmacsig.HeaderStyle
import dev.hmacsig.HmacSigException
import dev.hmacsig.Policy
import dev.hmacsig.Request
import dev.hmacsig.Response
import dev.hmacsig.Scheme
import dev.hmacsig.SignatureType
import dev.hmacsig.Signer
import dev.hmacsig.extractKeyId
import dev.hmacsig.signResponse
import dev.hmacsig.verifyRequest
import dev.hmacsig.verifyResponse
import org.json.JSONArray
import org.json.JSONObject
import org.json.JSONTokener
import java.io.File
import java.io.PrintStream
import java.math.BigInteger
import java.nio.ByteBuffer
import java.nio.charset.CharacterCodingException
import java.nio.charset.CodingErrorAction
import java.util.Base64
import kotlin.system.exitProcess

/** A case the runner cannot decode; reported as `invalid_request`. */
private fun badCase(why: String) = HmacSigException(ErrorKind.INVALID_REQUEST, "unusable case: $why")

private fun unsupported(what: String, name: String?) =
    HmacSigException(ErrorKind.UNSUPPORTED, "$what ${rustDebug(name ?: "")} is not offered")

/** `value[key]` when `value` is an object holding `key` (JSONObject.NULL for a JSON null), else null. */
private fun get(value: Any?, key: String): Any? = (value as? JSONObject)?.opt(key)

private fun isAbsent(v: Any?) = v == null || v == JSONObject.NULL

/** A JSON value as compact JSON text (for messages). */
private fun jsonText(v: Any?): String = if (v == null) "null" else JSONObject.valueToString(v)

private fun strField(obj: Any?, key: String): String? = when (val v = get(obj, key)) {
    null, JSONObject.NULL -> null
    is String -> v
    else -> throw badCase("$key must be a string, not ${jsonText(v)}")
}

private fun stringList(obj: Any?, key: String): List<String>? = when (val v = get(obj, key)) {
    null, JSONObject.NULL -> null
    is JSONArray -> (0 until v.length()).map { i -> v.get(i) as? String ?: throw badCase("$key must hold strings") }
    else -> throw badCase("$key must be a list, not ${jsonText(v)}")
}

/** A JSON integer as a Long, or null when it is not one that fits (a fraction or exponent never is, as in serde_json). */
private fun asLong(v: Any?): Long? = when (v) {
    is Int -> v.toLong()
    is Long -> v
    is BigInteger -> if (v.bitLength() < 64) v.toLong() else null
    else -> null
}

/** A JSON integer that fits 64 bits, or null when absent or null (the Rust runner's `int_field`). */
private fun intField(obj: Any?, key: String): Long? {
    val v = get(obj, key)
    if (isAbsent(v)) return null
    return asLong(v) ?: throw badCase("$key must be an integer")
}

/** Standard base64, padded and canonical (as Rust's `STANDARD` engine demands). */
private fun base64(field: String, text: String): ByteArray {
    val bytes = try {
        Base64.getDecoder().decode(text)
    } catch (e: IllegalArgumentException) {
        throw badCase("$field: ${e.message}")
    }
    if (Base64.getEncoder().encodeToString(bytes) != text) throw badCase("$field: not canonical, padded base64")
    return bytes
}

/** A JSON boolean; absent or null is [default] (the Rust runner's `bool_or`). */
private fun boolOr(obj: Any?, key: String, default: Boolean): Boolean = when (val v = get(obj, key)) {
    null, JSONObject.NULL -> default
    is Boolean -> v
    else -> throw badCase("$key must be true or false, not ${jsonText(v)}")
}

/** A JSON boolean; absent or null is false (the Rust runner's `bool_field`). */
private fun boolField(obj: Any?, key: String): Boolean = boolOr(obj, key, false)

/** A JSON integer in 0..2^32-1, or [default] when absent or null (the Rust runner's `seconds_field`). */
private fun secondsField(obj: Any?, key: String, default: Long): Long {
    val v = get(obj, key)
    if (isAbsent(v)) return default
    return asLong(v)?.takeIf { it in 0..UInt.MAX_VALUE.toLong() } ?: throw badCase("$key must be a non-negative integer")
}

private fun headerStyle(name: String): HeaderStyle = when (name) {
    "x-request" -> HeaderStyle.X_REQUEST
    "authorization" -> HeaderStyle.AUTHORIZATION
    else -> throw HmacSigException(
        ErrorKind.UNSUPPORTED,
        "timestamped header_style ${rustDebug(name)} is not offered; use x-request or authorization",
    )
}

private fun signatureType(name: String): SignatureType = when (name) {
    "header" -> SignatureType.HEADER
    "query" -> SignatureType.QUERY
    else -> throw HmacSigException(
        ErrorKind.UNSUPPORTED,
        "aws-sigv4 signature_type ${rustDebug(name)} is not offered; use header or query",
    )
}

private fun hawkSignatureType(name: String): SignatureType = when (name) {
    "header" -> SignatureType.HEADER
    "bewit" -> SignatureType.QUERY
    else -> throw HmacSigException(
        ErrorKind.UNSUPPORTED,
        "hawk signature_type ${rustDebug(name)} is not offered; use header or bewit",
    )
}

/** `sha-256` or `sha-512`, as the core's `ContentDigest::from_name` reads them. */
private fun contentDigest(name: String): ContentDigest = when (name) {
    "sha-256" -> ContentDigest.SHA256
    "sha-512" -> ContentDigest.SHA512
    else -> throw HmacSigException(
        ErrorKind.UNSUPPORTED,
        "content digest ${rustDebug(name)} is not offered; use sha-256 or sha-512",
    )
}

private fun scheme(case: JSONObject): Scheme {
    if (!case.has("scheme")) throw badCase("no scheme")
    val scheme = case.get("scheme")
    val policy = if (case.opt("op") == "verify") case.opt("policy") else null
    return when (val name = strField(scheme, "name")) {
        "api-auth" -> {
            val headersToSign = stringList(policy, "headers_to_sign") ?: stringList(scheme, "headers_to_sign") ?: emptyList()
            val overrideMethod = strField(policy, "override_method") ?: strField(scheme, "override_method")
            Scheme.apiAuth(strField(scheme, "digest") ?: "sha1", headersToSign, overrideMethod)
        }
        "path-body-hex" -> Scheme.pathBodyHex(strField(scheme, "digest") ?: "sha1")
        "timestamped" -> {
            val style = headerStyle(strField(scheme, "header_style") ?: "x-request")
            Scheme.timestamped(style, boolField(scheme, "lowercase_url"))
        }
        "aws-sigv4" -> {
            // The Rust runner's order: signature_type, then region, service and the rest in argument order.
            val type = signatureType(strField(scheme, "signature_type") ?: "header")
            fun required(key: String) = strField(scheme, key) ?: throw badCase("aws-sigv4 needs $key")
            val region = required("region")
            val service = required("service")
            val sessionToken = strField(scheme, "session_token")
            val omitSessionToken = boolField(scheme, "omit_session_token")
            val normalize = boolOr(scheme, "normalize", true)
            val doubleUriEncode = boolOr(scheme, "double_uri_encode", true)
            val signBody = boolField(scheme, "sign_body")
            val expires = secondsField(scheme, "expires", 3600)
            Scheme.awsSigv4(region, service, sessionToken, omitSessionToken, normalize, doubleUriEncode, signBody, type, expires)
        }
        "rfc9421" -> {
            // Decoded in argument order, as in the Rust runner.
            val components = stringList(scheme, "components")
            val label = strField(scheme, "label") ?: "sig1"
            val created = intField(scheme, "created")
            val expires = intField(scheme, "expires")
            val nonce = strField(scheme, "nonce")
            val tag = strField(scheme, "tag")
            val includeAlg = boolField(scheme, "include_alg")
            val digest = strField(scheme, "content_digest")?.let(::contentDigest)
            Scheme.rfc9421(components, label, created, expires, nonce, tag, includeAlg, digest)
        }
        "kong-hmac" -> {
            // Decoded in argument order, as in the Rust runner.
            val algorithm = strField(scheme, "algorithm") ?: "hmac-sha256"
            val headers = stringList(scheme, "headers")
            val headerName = strField(scheme, "header_name") ?: "authorization"
            val httpVersion = strField(scheme, "http_version") ?: "1.1"
            val digest = boolField(scheme, "digest")
            Scheme.kongHmac(algorithm, headers, headerName, httpVersion, digest)
        }
        "hawk" -> {
            // Fields in order (as every runner reads them): the first bad one is reported.
            val algorithm = strField(scheme, "algorithm") ?: "sha256"
            val nonce = strField(scheme, "nonce")
            val ext = strField(scheme, "ext")
            val app = strField(scheme, "app")
            val dlg = strField(scheme, "dlg")
            val payloadHash = boolOr(scheme, "payload_hash", true)
            val type = hawkSignatureType(strField(scheme, "signature_type") ?: "header")
            val ttl = secondsField(scheme, "ttl", 60)
            Scheme.hawk(algorithm, nonce, ext, app, dlg, payloadHash, type, ttl)
        }
        else -> throw unsupported("scheme", name)
    }
}

private fun policy(case: JSONObject): Policy? {
    val policy = case.opt("policy")
    if (isAbsent(policy)) return null
    return when (val name = strField(case.opt("scheme"), "name")) {
        "api-auth" -> {
            val clockSkew = secondsField(policy, "clock_skew", 900)
            // Lenient, as in the Rust runner: a non-boolean api-auth flag is false.
            fun flag(key: String) = get(policy, key) as? Boolean ?: false
            Policy.apiAuth(clockSkew, strField(policy, "digest"), flag("trust_original_uri"), flag("allow_unsigned_body"))
        }
        // path-body-hex has no policy options; any policy in the case is ignored.
        "path-body-hex" -> null
        "aws-sigv4" -> Policy.awsSigv4(secondsField(policy, "max_skew", 900))
        "timestamped" -> Policy.timestamped(
            secondsField(policy, "max_age", 300),
            secondsField(policy, "max_future", 5),
            strField(policy, "public_base_url"),
            boolField(policy, "trust_forwarded"),
        )
        "rfc9421" -> Policy.rfc9421(
            secondsField(policy, "max_age", 300),
            stringList(policy, "required_components"),
            secondsField(policy, "clock_skew", 5),
            strField(policy, "label"),
            strField(policy, "tag"),
            boolField(policy, "allow_unsigned_body"),
        )
        "kong-hmac" -> Policy.kongHmac(
            secondsField(policy, "clock_skew", 300),
            stringList(policy, "enforce_headers") ?: emptyList(),
            stringList(policy, "algorithms"),
            boolField(policy, "validate_request_body"),
        )
        "hawk" -> {
            // Fields in order (as every runner reads them): the first bad one is reported.
            val timestampSkew = secondsField(policy, "timestamp_skew", 60)
            val requirePayloadHash = when (val payload = strField(policy, "payload") ?: "verify") {
                "verify" -> false
                "require" -> true
                else -> throw HmacSigException(
                    ErrorKind.UNSUPPORTED,
                    "hawk payload ${rustDebug(payload)} is not offered; use verify or require",
                )
            }
            val host = strField(policy, "host")
            val port = get(policy, "port").let { v ->
                if (isAbsent(v)) null else asLong(v)?.takeIf { it in 0..UShort.MAX_VALUE.toLong() } ?: throw badCase("port must be an integer in 0..65535")
            }
            Policy.hawk(timestampSkew, requirePayloadHash, host, port?.toInt())
        }
        else -> throw unsupported("scheme", name)
    }
}

private fun credentials(case: JSONObject): Credentials {
    if (!case.has("credentials")) throw badCase("no credentials")
    val c = case.get("credentials")
    val keyId = strField(c, "key_id") ?: ""
    val text = strField(c, "secret")
    val b64 = strField(c, "secret_b64")
    return when {
        b64 != null -> Credentials(keyId, base64("secret_b64", b64))
        text != null -> Credentials(keyId, text)
        else -> throw badCase("credentials need secret or secret_b64")
    }
}

/** The `headers` and `body_b64` of a request or response object (the Rust runner's `headers_and_body`). */
private fun headersAndBody(r: Any?): Pair<List<Header>, ByteArray> {
    val headers = when (val h = get(r, "headers")) {
        null, JSONObject.NULL -> emptyList()
        is JSONArray -> (0 until h.length()).map { i ->
            val pair = h.get(i)
            val name = (pair as? JSONArray)?.takeIf { it.length() == 2 }?.get(0) as? String
            val value = (pair as? JSONArray)?.takeIf { it.length() == 2 }?.get(1) as? String
            if (name == null || value == null) throw badCase("a header must be a [name, value] pair of strings, not ${jsonText(pair)}")
            Header(name, value)
        }
        else -> throw badCase("headers must be a list, not ${jsonText(h)}")
    }
    val body = strField(r, "body_b64")?.let { base64("body_b64", it) } ?: ByteArray(0)
    return headers to body
}

private fun request(case: JSONObject): Request {
    if (!case.has("request")) throw badCase("no request")
    val r = case.get("request")
    val (headers, body) = headersAndBody(r)
    val method = strField(r, "method") ?: throw badCase("no method")
    val target = strField(r, "target") ?: throw badCase("no target")
    return Request(method, target, headers, body)
}

/**
 * Our extension for rfc9421 and hawk: a case with `response` signs or verifies that response; its
 * `request`, if any, is the request it answers. Null when the case has no response.
 */
private fun response(case: JSONObject): Pair<Response, Request?>? {
    val r = case.opt("response")
    if (isAbsent(r)) return null
    val status = asLong(get(r, "status"))?.takeIf { it in 0..UShort.MAX_VALUE.toLong() } ?: throw badCase("response.status")
    val (headers, body) = headersAndBody(r)
    val answered = if (isAbsent(case.opt("request"))) null else request(case)
    return Response(status.toInt(), headers, body) to answered
}

private fun now(case: JSONObject): Long? {
    val v = case.opt("now")
    if (isAbsent(v)) return null
    return asLong(v) ?: throw badCase("now must be an integer")
}

/** The bytes as text when they are valid UTF-8, else null. */
private fun utf8(bytes: ByteArray): String? = try {
    Charsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString()
} catch (e: CharacterCodingException) {
    null
}

/** The result fields of a successful case (after `id` and `ok`). */
private fun runCase(case: JSONObject): List<Pair<String, Any>> = when (val op = case.opt("op") as? String) {
    "sign" -> {
        val response = response(case)
        val signed = scheme(case).use { scheme ->
            credentials(case).use { credentials ->
                if (response != null) {
                    signResponse(scheme, credentials, response.first, response.second, now(case))
                } else {
                    Signer(scheme, credentials).use { signer ->
                        val r = request(case)
                        signer.sign(r.method, r.target, r.headers, r.body, now(case))
                    }
                }
            }
        }
        val out = mutableListOf<Pair<String, Any>>()
        out += "headers" to JSONArray(signed.headers.map { JSONArray(listOf(it.name, it.value)) })
        val text = utf8(signed.stringToSign)
        if (text != null) {
            out += "string_to_sign" to text
        } else {
            out += "string_to_sign_b64" to Base64.getEncoder().encodeToString(signed.stringToSign)
        }
        signed.url?.let { out += "url" to it }
        out
    }
    "verify" -> {
        val response = response(case)
        val keyId = scheme(case).use { scheme ->
            credentials(case).use { credentials ->
                val r = if (response == null) request(case) else null
                val policy = policy(case)
                try {
                    if (response != null) {
                        verifyResponse(scheme, credentials, response.first, response.second, policy, now(case))
                    } else {
                        verifyRequest(scheme, credentials, r!!, policy, now(case))
                    }
                } finally {
                    policy?.close()
                }
            }
        }
        listOf("key_id" to keyId)
    }
    "key_id" -> listOf("key_id" to scheme(case).use { scheme -> extractKeyId(scheme, request(case)) })
    else -> throw unsupported("op", op)
}

/** One result; never throws. */
fun result(case: Any?): JSONObject {
    val obj = case as? JSONObject ?: JSONObject()
    val out = JSONObject()
    out.put("id", obj.opt("id") ?: JSONObject.NULL)
    try {
        val fields = runCase(obj)
        out.put("ok", true)
        for ((k, v) in fields) out.put(k, v)
    } catch (e: HmacSigException) {
        out.put("ok", false)
        out.put("error", e.kind.code)
        out.put("message", e.message)
    } catch (e: Exception) {
        // Not a library error: a bug in the runner or the binding. Report it, keep going.
        System.err.println("hmacsig-conformance: case ${out.opt("id")}: $e")
        out.put("ok", false)
        out.put("error", "internal")
        out.put("message", e.toString())
    }
    return out
}

/** Every case's result, in order. */
fun results(cases: JSONArray): JSONArray = JSONArray((0 until cases.length()).map { result(cases.get(it)) })

fun main(args: Array<String>) {
    val input = try {
        if (args.isNotEmpty()) File(args[0]).readText(Charsets.UTF_8) else System.`in`.readBytes().toString(Charsets.UTF_8)
    } catch (e: Exception) {
        System.err.println("hmacsig-conformance: cannot read cases: $e")
        exitProcess(2)
    }
    val cases = try {
        JSONTokener(input).nextValue() as? JSONArray
    } catch (e: Exception) {
        System.err.println("hmacsig-conformance: the input is not JSON: ${e.message}")
        exitProcess(2)
    } ?: run {
        System.err.println("hmacsig-conformance: the input must be a JSON array of cases")
        exitProcess(2)
    }
    val out = PrintStream(System.out, false, Charsets.UTF_8)
    out.println(results(cases).toString(2))
    out.flush()
}

/** A string as Rust's `{:?}` prints it (quotes and escapes), for messages matching the Rust runner's. */
internal fun rustDebug(s: String): String {
    val sb = StringBuilder("\"")
    var i = 0
    while (i < s.length) {
        val cp = s.codePointAt(i)
        when {
            cp == '"'.code -> sb.append("\\\"")
            cp == '\\'.code -> sb.append("\\\\")
            cp == '\n'.code -> sb.append("\\n")
            cp == '\r'.code -> sb.append("\\r")
            cp == '\t'.code -> sb.append("\\t")
            cp == 0 -> sb.append("\\0")
            cp < 0x20 || cp in 0x7f..0x9f -> sb.append("\\u{").append(Integer.toHexString(cp)).append("}")
            else -> sb.appendCodePoint(cp)
        }
        i += Character.charCount(cp)
    }
    return sb.append('"').toString()
}
