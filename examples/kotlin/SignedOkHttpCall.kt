@file:JvmName("SignedOkHttpCall")

package dev.hmacsig.examples

import dev.hmacsig.Credentials
import dev.hmacsig.Scheme
import dev.hmacsig.Signer
import dev.hmacsig.okhttp.HmacSigInterceptor
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import kotlin.system.exitProcess

/*
 * Signs an OkHttp call with hmacsig: POSTs {"id":7} to BASE_URL/orders?id=7, signed with
 * api-auth (HMAC-SHA256) by an interceptor, and prints the server's status and answer.
 *
 *   HMACSIG_KEY_ID=... HMACSIG_SECRET=... java -cp CLASSPATH dev.hmacsig.examples.SignedOkHttpCall http://127.0.0.1:8080
 *
 * CLASSPATH: the hmacsig jar (it carries the native library), JNA, kotlin-stdlib, OkHttp and
 * Okio, and this example's classes. `cargo xtask test --lang kotlin` compiles it and runs it
 * so against a verifying server; examples/kotlin/README.md has the command.
 */

fun main(args: Array<String>) {
    val baseUrl = args.singleOrNull()
    val keyId = System.getenv("HMACSIG_KEY_ID")
    val secret = System.getenv("HMACSIG_SECRET") // from the environment: never on a command line
    if (baseUrl == null || keyId.isNullOrEmpty() || secret.isNullOrEmpty()) {
        System.err.println("usage: HMACSIG_KEY_ID=... HMACSIG_SECRET=... SignedOkHttpCall BASE_URL")
        exitProcess(2)
    }
    val (status, answer) = postOrder(baseUrl, keyId, secret)
    println("$status $answer")
    if (status != 200) exitProcess(1)
}

/** The quick start of bindings/kotlin/README.md: the answer's status and body. */
fun postOrder(baseUrl: String, keyId: String, secret: String): Pair<Int, String> =
    Scheme.apiAuth(digest = "sha256").use { scheme ->
        Credentials(keyId, secret).use { credentials ->
            Signer(scheme, credentials).use { signer ->
                val signing = HmacSigInterceptor(signer)
                val client = OkHttpClient.Builder()
                    .addInterceptor(signing) // signs every call of this client
                    .addNetworkInterceptor(signing) // and every redirect it follows, by the redirect rules
                    .build()
                val request = Request.Builder()
                    .url("$baseUrl/orders?id=7")
                    .post("""{"id":7}""".toRequestBody("application/json".toMediaType()))
                    .build()
                client.newCall(request).execute().use { response -> response.code to response.body!!.string() }
            }
        }
    }
