@file:JvmName("E2eServer")

package dev.hmacsig.e2e

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import dev.hmacsig.Header
import dev.hmacsig.HmacSigException
import dev.hmacsig.Scheme
import dev.hmacsig.Verifier
import dev.hmacsig.httpStatus
import dev.hmacsig.refusalBody
import org.json.JSONObject
import java.net.InetSocketAddress
import java.security.MessageDigest
import java.util.concurrent.Executors
import kotlin.system.exitProcess

/**
 * The Kotlin verifying server of the end-to-end tests (tests/e2e/README.md): a JDK
 * HttpServer on 127.0.0.1:PORT (0: any free port) that verifies api-auth (sha256, default
 * policy) with the Kotlin [Verifier] and the key in HMACSIG_E2E_KEY_ID / HMACSIG_E2E_SECRET.
 * Prints `listening on http://127.0.0.1:PORT` once it accepts connections.
 */
fun main(args: Array<String>) {
    val port = args.singleOrNull()?.toIntOrNull()?.takeIf { it in 0..65535 }
    val keyId = System.getenv("HMACSIG_E2E_KEY_ID")
    val secret = System.getenv("HMACSIG_E2E_SECRET")
    if (port == null || keyId.isNullOrEmpty() || secret.isNullOrEmpty()) {
        System.err.println("usage: E2eServer PORT, with HMACSIG_E2E_KEY_ID and HMACSIG_E2E_SECRET set")
        exitProcess(2)
    }
    val verifier = Scheme.apiAuth(digest = "sha256").use { Verifier.withKeys(it, mapOf(keyId to secret)) }
    val server = HttpServer.create(InetSocketAddress("127.0.0.1", port), 64)
    server.createContext("/") { exchange ->
        try {
            answer(exchange, verifier)
        } catch (e: Exception) {
            System.err.println("e2e server: ${exchange.requestMethod} ${exchange.requestURI}: $e")
            runCatching { reply(exchange, 500, "text/plain; charset=utf-8", "internal error: $e") }
        } finally {
            exchange.close()
        }
    }
    // The tamper proxy and several clients may call at once; the Verifier is thread-safe.
    server.executor = Executors.newFixedThreadPool(4)
    server.start()
    println("listening on http://127.0.0.1:${server.address.port}")
    System.out.flush()
}

private fun answer(exchange: HttpExchange, verifier: Verifier) {
    val method = exchange.requestMethod
    // The request target exactly as on the request line (URI keeps its original text).
    val target = exchange.requestURI.toString()
    val body = exchange.requestBody.readAllBytes()
    if (method == "GET" && target == "/health") return reply(exchange, 200, "text/plain", "ok")

    // HttpServer folds repeated lines into one name's list (in order); the name's case is
    // its own, which the Verifier ignores.
    val headers = exchange.requestHeaders.flatMap { (name, values) -> values.map { Header(name, it) } }
    try {
        val keyId = verifier.verify(method, target, headers, body)
        val echo = JSONObject()
            .put("key_id", keyId)
            .put("method", method)
            .put("target", target)
            .put("body_sha256", MessageDigest.getInstance("SHA-256").digest(body).joinToString("") { "%02x".format(it) })
            .put("content_type", exchange.requestHeaders.getFirst("Content-Type") ?: "")
        reply(exchange, 200, "application/json", echo.toString())
    } catch (e: HmacSigException) {
        // The kind and a fixed sentence, never the message (docs/server.md, "Refusals").
        reply(exchange, httpStatus(e), "text/plain; charset=utf-8", refusalBody(e))
    }
}

private fun reply(exchange: HttpExchange, status: Int, contentType: String, text: String) {
    val bytes = text.toByteArray(Charsets.UTF_8)
    exchange.responseHeaders.set("Content-Type", contentType)
    exchange.sendResponseHeaders(status, if (bytes.isEmpty()) -1 else bytes.size.toLong())
    exchange.responseBody.write(bytes)
}
