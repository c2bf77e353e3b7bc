package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

// Values from the sigv4-* cases of tests/conformance/smoke-cases.json, as the Rust reference
// runner signs and verifies them (the aws-c-auth suite's credentials and date).
private const val KEY_ID = "AKIDEXAMPLE"
private const val SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
private const val NOW = 1_440_938_160L // 2015-08-30T12:36:00Z
private const val AMZ_DATE = "20150830T123600Z"
private const val HOST = "example.amazonaws.com"
private const val SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
private const val VANILLA_AUTH =
    "AWS4-HMAC-SHA256 Credential=$SCOPE, SignedHeaders=host;x-amz-date, " +
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

private fun sigv4Failure(block: () -> Unit): HmacSigException = assertThrows<HmacSigException> { block() }

/** The request of sigv4-verify-*: GET / as sigv4-get-vanilla signed it. */
private val vanillaSigned = Request(
    "GET",
    "/",
    headersOf("Host" to HOST, "X-Amz-Date" to AMZ_DATE, "Authorization" to VANILLA_AUTH),
    ByteArray(0),
)

private fun <R> withSigner(scheme: Scheme, block: (Signer) -> R): R =
    scheme.use { s -> Credentials(KEY_ID, SECRET).use { c -> Signer(s, c).use(block) } }

class AwsSigV4Test {
    @Test
    fun `header signing gives the exact Authorization (sigv4-get-vanilla)`() {
        withSigner(Scheme.awsSigv4("us-east-1", "service")) { signer ->
            val signed = signer.sign("GET", "/", headersOf("Host" to HOST), now = NOW)
            assertEquals(listOf(Header("X-Amz-Date", AMZ_DATE), Header("Authorization", VANILLA_AUTH)), signed.headers)
            assertEquals(
                "AWS4-HMAC-SHA256\n$AMZ_DATE\n20150830/us-east-1/service/aws4_request\n" +
                    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
                signed.stringToSign.toString(Charsets.UTF_8),
            )
            assertNull(signed.url)
        }
    }

    @Test
    fun `query signing gives the exact presigned url (sigv4-get-vanilla-query)`() {
        withSigner(Scheme.awsSigv4("us-east-1", "service", signatureType = SignatureType.QUERY)) { signer ->
            val signed = signer.sign("GET", "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1", headersOf("Host" to HOST), now = NOW)
            assertEquals(emptyList<Header>(), signed.headers)
            assertEquals(
                "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
                    "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request" +
                    "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600" +
                    "&X-Amz-Signature=c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787",
                signed.url,
            )
            // The presigned target verifies, inside its window and not after it.
            Scheme.awsSigv4("us-east-1", "service").use { scheme ->
                Credentials(KEY_ID, SECRET).use { credentials ->
                    val presigned = Request("GET", signed.url!!, headersOf("Host" to HOST), ByteArray(0))
                    assertEquals(KEY_ID, verifyRequest(scheme, credentials, presigned, now = NOW + 3600))
                    val e = sigv4Failure { verifyRequest(scheme, credentials, presigned, now = NOW + 3601) }
                    assertEquals(ErrorKind.STALE, e.kind)
                }
            }
        }
    }

    @Test
    fun `session token and signBody add signed headers (sigv4-token-sign-body)`() {
        withSigner(Scheme.awsSigv4("us-east-1", "service", sessionToken = "tok/en+=", signBody = true)) { signer ->
            val signed = signer.sign(
                "POST",
                "/",
                headersOf("Host" to HOST, "Content-Type" to "application/x-www-form-urlencoded"),
                "Param1=value1".toByteArray(),
                now = NOW,
            )
            assertEquals(
                listOf(
                    Header("X-Amz-Security-Token", "tok/en+="),
                    Header("X-Amz-Date", AMZ_DATE),
                    Header("x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
                    Header(
                        "Authorization",
                        "AWS4-HMAC-SHA256 Credential=$SCOPE, " +
                            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, " +
                            "Signature=b30d0fc2363e5da71effecd3dc8b4fbc05539fc76766e29b808d3d29582f8212",
                    ),
                ),
                signed.headers,
            )
            assertNull(signed.url)
        }
    }

    @Test
    fun `verifies with Policy awsSigv4, and a request past maxSkew is stale (sigv4-verify-ok, -stale)`() {
        Scheme.awsSigv4("us-east-1", "service").use { scheme ->
            assertEquals("aws-sigv4", scheme.name)
            Credentials(KEY_ID, SECRET).use { credentials ->
                assertEquals(KEY_ID, verifyRequest(scheme, credentials, vanillaSigned, now = NOW + 60))
                assertEquals(KEY_ID, extractKeyId(scheme, vanillaSigned))
                Policy.awsSigv4().use { policy ->
                    assertEquals(KEY_ID, verifyRequest(scheme, credentials, vanillaSigned, policy, now = NOW + 60))
                    assertEquals(KEY_ID, verifyRequest(scheme, credentials, vanillaSigned, policy, now = NOW + 900))
                    val stale = sigv4Failure { verifyRequest(scheme, credentials, vanillaSigned, policy, now = NOW + 901) }
                    assertEquals(ErrorKind.STALE, stale.kind)
                    assertEquals("the signature from $AMZ_DATE expired 1 s ago", stale.message)
                    val future = sigv4Failure { verifyRequest(scheme, credentials, vanillaSigned, policy, now = NOW - 901) }
                    assertEquals(ErrorKind.FUTURE, future.kind)
                }
                Policy.awsSigv4(maxSkew = 901).use { policy ->
                    assertEquals(KEY_ID, verifyRequest(scheme, credentials, vanillaSigned, policy, now = NOW + 901))
                }
            }
        }
    }

    @Test
    fun `a wrong region is refused as a bad signature (sigv4-verify-wrong-region)`() {
        Scheme.awsSigv4("eu-west-1", "service").use { scheme ->
            Credentials(KEY_ID, SECRET).use { credentials ->
                val e = sigv4Failure { verifyRequest(scheme, credentials, vanillaSigned, now = NOW) }
                assertEquals(ErrorKind.BAD_SIGNATURE, e.kind)
                assertEquals(
                    "the credential scope 20150830/us-east-1/service/aws4_request is not for 20150830/eu-west-1/service/aws4_request",
                    e.message,
                )
            }
        }
    }

    @Test
    fun `options are range-checked before native code, then validated by the core`() {
        assertThrows<IllegalArgumentException> { Policy.awsSigv4(maxSkew = -1) }
        assertThrows<IllegalArgumentException> { Policy.awsSigv4(maxSkew = 1L shl 32) }
        Policy.awsSigv4(maxSkew = 4_294_967_295L).close()
        assertThrows<IllegalArgumentException> { Scheme.awsSigv4("us-east-1", "s3", expires = -1) }
        assertThrows<IllegalArgumentException> { Scheme.awsSigv4("us-east-1", "s3", expires = 1L shl 32) }
        for (e in listOf(
            sigv4Failure { Scheme.awsSigv4("us-east-1", "s3", expires = 0) },
            sigv4Failure { Scheme.awsSigv4("us-east-1", "s3", expires = 604_801) },
            sigv4Failure { Scheme.awsSigv4("", "s3") },
            sigv4Failure { Scheme.awsSigv4("us-east-1", "s3/x") },
        )) {
            assertEquals(ErrorKind.UNSUPPORTED, e.kind, e.message)
            assertTrue(e.message.startsWith("aws-sigv4 "), e.message)
        }
        Scheme.awsSigv4("us-east-1", "s3", signatureType = SignatureType.QUERY, expires = 604_800).close()
    }
}
