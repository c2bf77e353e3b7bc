package dev.hmacsig.okhttp

import dev.hmacsig.Header
import dev.hmacsig.HmacSigException
import dev.hmacsig.Verifier
import dev.hmacsig.httpStatus
import dev.hmacsig.refusalBody
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
}

/**
 * A real HTTP server on 127.0.0.1 (OkHttp's MockWebServer) that verifies every request with
 * [verifier] as a server does, given what it received: the method, the origin-form target of
 * the request line, the headers and the body ([now]: the verifying time, null the system
 * clock). It answers 200 with the key id, or `status(kind)` with `kind: <fixed sentence>`
 * ([refusalBody]; the refusal itself is [Received.refusal]). [answer] may replace that answer,
 * whatever the verdict (a redirect, say).
 */
class VerifyingServer(
    private val verifier: Verifier,
    private val now: Long? = null,
    private val answer: (Received) -> MockResponse? = { null },
) : AutoCloseable {
    private val server = MockWebServer()
    private val received = LinkedBlockingQueue<Received>()

    init {
        server.dispatcher = object : Dispatcher() {
            override fun dispatch(request: RecordedRequest): MockResponse {
                val method = request.method!!
                val target = request.path!!
                val body = request.body.readByteArray()
                val headers = request.headers.map { (name, value) -> Header(name, value) }
                val verdict = runCatching { verifier.verify(method, target, headers, body, now) }
                val r = Received(method, target, request.headers, body, verdict)
                received.add(r)
                return answer(r) ?: verdict.fold(
                    { keyId -> MockResponse().setBody(keyId) },
                    { e ->
                        if (e is HmacSigException) {
                            MockResponse().setResponseCode(httpStatus(e)).setBody(refusalBody(e))
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

    /** How many requests the server received. */
    val requestCount: Int get() = server.requestCount

    /** The next request the server received (waits up to 10 s). */
    fun next(): Received = received.poll(10, TimeUnit.SECONDS) ?: throw AssertionError("the server received no request")

    override fun close() = server.shutdown()
}
