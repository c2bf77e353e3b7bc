package dev.hmacsig.okhttp

import dev.hmacsig.Header
import dev.hmacsig.HmacSigException
import dev.hmacsig.httpStatus
import okhttp3.Headers
import okhttp3.mockwebserver.Dispatcher
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.mockwebserver.RecordedRequest
import java.net.InetAddress
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/** One request as the server received it and what verifying it gave (the key id, or the refusal). */
class Received(val method: String, val target: String, val headers: Headers, val body: ByteArray, val verdict: Result<String>) {
    /** The refusal, or an assertion error saying the request verified. */
    val refusal: HmacSigException
        get() = verdict.exceptionOrNull() as? HmacSigException ?: throw AssertionError("expected a refusal, got $verdict")

    /** `Host` and the origin-form target as an absolute `http://` URL: how a plain-HTTP server rebuilds what the client called. */
    val absoluteTarget: String get() = "http://${headers["Host"]}$target"

    val headerList: List<Header> get() = headers.map { (name, value) -> Header(name, value) }
}

/**
 * A real HTTP server on 127.0.0.1 (OkHttp's MockWebServer) that verifies every request
 * with [verify] and answers 200 with the key id, or `status(kind)` with `kind: reason`, as a
 * verifying server does. [answer] may replace the 200 (a redirect, say).
 */
class VerifyingServer(
    private val answer: (Received) -> MockResponse? = { null },
    private val verify: (Received) -> String,
) : AutoCloseable {
    private val server = MockWebServer()
    private val received = LinkedBlockingQueue<Received>()

    init {
        server.dispatcher = object : Dispatcher() {
            override fun dispatch(request: RecordedRequest): MockResponse {
                val unverified = Received(request.method!!, request.path!!, request.headers, request.body.readByteArray(), Result.success(""))
                val verdict = runCatching { verify(unverified) }
                val r = Received(unverified.method, unverified.target, unverified.headers, unverified.body, verdict)
                received.add(r)
                return verdict.fold(
                    { keyId -> answer(r) ?: MockResponse().setBody(keyId) },
                    { e ->
                        if (e is HmacSigException) {
                            MockResponse().setResponseCode(httpStatus(e)).setBody("${e.kind.code}: ${e.message}")
                        } else {
                            MockResponse().setResponseCode(500).setBody(e.toString())
                        }
                    },
                )
            }
        }
        server.start(InetAddress.getByName("127.0.0.1"), 0)
    }

    /** `http://127.0.0.1:PORT`. */
    val baseUrl: String get() = "http://127.0.0.1:${server.port}"

    /** The next request the server received (waits up to 10 s). */
    fun next(): Received = received.poll(10, TimeUnit.SECONDS) ?: throw AssertionError("the server received no request")

    override fun close() = server.shutdown()
}
