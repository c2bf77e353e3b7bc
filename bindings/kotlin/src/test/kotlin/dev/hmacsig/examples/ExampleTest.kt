package dev.hmacsig.examples

import dev.hmacsig.Scheme
import dev.hmacsig.Verifier
import dev.hmacsig.okhttp.VerifyingServer
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** examples/kotlin/SignedOkHttpCall.kt (the README's quick start) against a verifying server. */
class ExampleTest {
    @Test
    fun `the OkHttp example's call verifies on the server as sent`() {
        val verifier = Scheme.apiAuth(digest = "sha256").use { Verifier.withKeys(it, mapOf("example-client" to "example-secret")) }
        verifier.use {
            VerifyingServer(verifier).use { server ->
                assertEquals(200 to "example-client", postOrder(server.baseUrl, "example-client", "example-secret"))
                val r = server.next()
                assertEquals("/orders?id=7", r.target)
                assertEquals("application/json; charset=utf-8", r.headers["Content-Type"])
                assertArrayEquals("""{"id":7}""".toByteArray(), r.body)

                // The wrong secret: the server refuses it, and the example reports what it said.
                val (status, answer) = postOrder(server.baseUrl, "example-client", "another-secret")
                assertEquals(403, status)
                assertEquals("bad_signature", answer.substringBefore(':'))
            }
        }
    }
}
