@file:JvmName("E2eServer")

package dev.hmacsig.e2e

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import dev.hmacsig.Header
import dev.hmacsig.HmacSigException
import dev.hmacsig.KeyStore
import dev.hmacsig.ReplayGuard
import dev.hmacsig.Scheme
import dev.hmacsig.Verifier
import dev.hmacsig.httpStatus
import dev.hmacsig.redis
import dev.hmacsig.refusalBody
import dev.hmacsig.withStore
import org.json.JSONObject
import java.net.InetSocketAddress
import java.security.MessageDigest
import java.util.concurrent.Executors
import kotlin.system.exitProcess

/**
 * The Kotlin verifying server of the end-to-end tests (tests/e2e/README.md): a JDK
 * HttpServer on 127.0.0.1:PORT (0: any free port) that verifies api-auth (sha256, default
 * policy) with the Kotlin [Verifier] and the key in HMACSIG_E2E_KEY_ID / HMACSIG_E2E_SECRET.
 * With HMACSIG_E2E_STORE_URL set it verifies from that key store instead (opened with
 * HMACSIG_MASTER_KEY, or the store's own lookup of it when unset), and with
 * HMACSIG_E2E_REDIS_URL set it refuses replays through a Redis guard
 * (namespace HMACSIG_E2E_REDIS_NAMESPACE, default `e2e`) shared with any other server on it.
 * Prints `listening on http://127.0.0.1:PORT` once it accepts connections.
 */
fun main(args: Array<String>) {
    val port = args.singleOrNull()?.toIntOrNull()?.takeIf { it in 0..65535 }
    val env = System.getenv()
    val storeUrl = env["HMACSIG_E2E_STORE_URL"]
    if (port == null || (storeUrl.isNullOrEmpty() && (env["HMACSIG_E2E_KEY_ID"].isNullOrEmpty() || env["HMACSIG_E2E_SECRET"].isNullOrEmpty()))) {
        System.err.println("usage: E2eServer PORT, with HMACSIG_E2E_KEY_ID and HMACSIG_E2E_SECRET set (or HMACSIG_E2E_STORE_URL)")
        exitProcess(2)
    }
    val server = startE2eServer(port, e2eVerifier(env))
    println("listening on http://127.0.0.1:${server.address.port}")
    System.out.flush()
}

/**
 * The verifier the server uses, from [env]: the key store at HMACSIG_E2E_STORE_URL (master key
 * HMACSIG_MASTER_KEY) when set, else the one key HMACSIG_E2E_KEY_ID / HMACSIG_E2E_SECRET; with a
 * Redis replay guard when HMACSIG_E2E_REDIS_URL is set.
 */
fun e2eVerifier(env: Map<String, String>): Verifier {
    fun value(name: String) = env[name]?.takeIf { it.isNotEmpty() }
    val guard = value("HMACSIG_E2E_REDIS_URL")?.let { ReplayGuard.redis(it, namespace = value("HMACSIG_E2E_REDIS_NAMESPACE") ?: "e2e") }
    // The verifier keeps what it needs of the guard and the store: it outlives both handles.
    return Scheme.apiAuth(digest = "sha256").use { scheme ->
        val storeUrl = value("HMACSIG_E2E_STORE_URL")
        if (storeUrl != null) {
            KeyStore.open(storeUrl, masterKey = value("HMACSIG_MASTER_KEY")).use { store ->
                Verifier.withStore(scheme, store, replayGuard = guard)
            }
        } else {
            Verifier.withKeys(scheme, mapOf(value("HMACSIG_E2E_KEY_ID")!! to value("HMACSIG_E2E_SECRET")!!), replayGuard = guard)
        }
    }.also { guard?.close() }
}

/** Starts the server on 127.0.0.1:[port] (0: any free port) verifying with [verifier]; stop it with `stop(0)`. */
fun startE2eServer(port: Int, verifier: Verifier): HttpServer {
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
    return server
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
