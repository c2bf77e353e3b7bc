package dev.hmacsig.conformance

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

private const val B25_SECRET = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="

private fun hmacSha1Base64(secret: String, text: String): String =
    java.util.Base64.getEncoder().encodeToString(
        javax.crypto.Mac.getInstance("HmacSHA1").apply { init(javax.crypto.spec.SecretKeySpec(secret.toByteArray(), "HmacSHA1")) }
            .doFinal(text.toByteArray()),
    )

class RunnerTest {
    private fun run(json: String): List<JSONObject> = results(JSONArray(json)).let { a -> (0 until a.length()).map { a.getJSONObject(it) } }

    @Test
    fun `smoke cases give one result per case, in order`() {
        val file = File("../../tests/conformance/smoke-cases.json")
        val cases = JSONArray(file.readText())
        val out = results(cases)
        assertEquals(cases.length(), out.length())
        for (i in 0 until cases.length()) assertEquals(cases.getJSONObject(i).get("id"), out.getJSONObject(i).get("id"))
        val first = out.getJSONObject(0)
        assertEquals(true, first.get("ok"))
        assertEquals(
            "[[\"X-Authorization-Content-SHA256\",\"+9VWFNZaxcbDWtypZo3SCQHSAU8VcVJvqCN3zDlgKWo=\"]," +
                "[\"Authorization\",\"APIAuth-HMAC-SHA256 1044:iQ8Xy+7557bVwTz3HnFH9VZhlMpOkUjI0arvu7p3v3g=\"]]",
            first.getJSONArray("headers").toString(),
        )
        val byId = (0 until out.length()).associate { out.getJSONObject(it).let { r -> r.getString("id") to r } }
        assertEquals("1044", byId.getValue("verify-ok").getString("key_id"))
        assertEquals("stale", byId.getValue("verify-stale-policy").getString("error"))
        assertEquals("scheme \"frobnicate\" is not offered", byId.getValue("unknown-scheme").getString("message"))
        assertEquals("op \"frobnicate\" is not offered", byId.getValue("unknown-op").getString("message"))
    }

    @Test
    fun `cases the runner cannot decode are invalid_request, and never stop the run`() {
        val r = run(
            """[
              7,
              {"id": "no-scheme", "op": "sign", "request": {"method": "GET", "target": "/"}, "credentials": {"key_id": "k", "secret": "s"}},
              {"id": "unpadded", "op": "sign", "scheme": {"name": "api-auth"}, "request": {"method": "GET", "target": "/", "body_b64": "AP8"}, "credentials": {"key_id": "k", "secret": "s"}},
              {"id": "pair", "op": "sign", "scheme": {"name": "api-auth"}, "request": {"method": "GET", "target": "/", "headers": [["a"]]}, "credentials": {"key_id": "k", "secret": "s"}},
              {"id": "float-now", "op": "sign", "scheme": {"name": "api-auth"}, "request": {"method": "GET", "target": "/"}, "credentials": {"key_id": "k", "secret": "s"}, "now": 1.5},
              {"id": "neg-skew", "op": "verify", "scheme": {"name": "api-auth"}, "request": {"method": "GET", "target": "/"}, "credentials": {"key_id": "k", "secret": "s"}, "policy": {"clock_skew": -1}},
              {"id": "no-secret", "op": "sign", "scheme": {"name": "api-auth"}, "request": {"method": "GET", "target": "/"}, "credentials": {"key_id": "k"}},
              {"id": "b64-secret", "op": "sign", "scheme": {"name": "api-auth"}, "request": {"method": "GET", "target": "/"}, "credentials": {"key_id": "k", "secret": "ignored", "secret_b64": "AAECAwQ="}, "now": 1700000099},
              {"id": "last", "op": "key_id", "scheme": {"name": "api-auth"}, "request": {"method": "GET", "target": "/", "headers": [["Authorization", "APIAuth 9:x"]]}}
            ]""",
        )
        assertEquals(9, r.size)
        assertEquals(JSONObject.NULL, r[0].get("id"))
        assertEquals("op \"\" is not offered", r[0].getString("message"))
        assertEquals("unusable case: no scheme", r[1].getString("message"))
        for (i in 1..6) assertEquals("invalid_request", r[i].getString("error"), r[i].toString())
        assertEquals("unusable case: a header must be a [name, value] pair of strings, not [\"a\"]", r[3].getString("message"))
        assertEquals("unusable case: credentials need secret or secret_b64", r[6].getString("message"))
        assertEquals("APIAuth k:L9EK2c2JA0vuSvnIyvlnx5dogNE=", r[7].getJSONArray("headers").getJSONArray(1).getString(1))
        assertEquals("9", r[8].getString("key_id"))
    }

    @Test
    fun `path-body-hex and timestamped options are decoded as the Rust runner's bool_field and seconds_field`() {
        val scheme = """"scheme": {"name": "timestamped"}"""
        val rest = """"request": {"method": "GET", "target": "/", "headers": [["Host", "h"]]}, "credentials": {"key_id": "k", "secret": "s"}"""
        val r = run(
            """[
              {"id": "lc-text", "op": "sign", "scheme": {"name": "timestamped", "lowercase_url": "yes"}, $rest, "now": 1},
              {"id": "style", "op": "sign", "scheme": {"name": "timestamped", "header_style": "cookie", "lowercase_url": "yes"}, $rest, "now": 1},
              {"id": "age-neg", "op": "verify", $scheme, $rest, "policy": {"max_age": -1}},
              {"id": "age-float", "op": "verify", $scheme, $rest, "policy": {"max_age": 1.0}},
              {"id": "future-big", "op": "verify", $scheme, $rest, "policy": {"max_future": 4294967296}},
              {"id": "forwarded-text", "op": "verify", $scheme, $rest, "policy": {"trust_forwarded": "true"}},
              {"id": "style-auth", "op": "sign", "scheme": {"name": "timestamped", "header_style": "authorization", "lowercase_url": null}, $rest, "now": 1},
              {"id": "pbh-policy-ignored", "op": "verify", "scheme": {"name": "path-body-hex"}, "request": {"method": "GET", "target": "/", "headers": [["Authorization", "client:194246b47ecd392ade22cdc6deba9b5db3ad837e"]]}, "credentials": {"key_id": "client", "secret": "key"}, "policy": {"max_age": -1}}
            ]""",
        )
        assertEquals("unusable case: lowercase_url must be true or false, not \"yes\"", r[0].getString("message"))
        assertEquals("timestamped header_style \"cookie\" is not offered; use x-request or authorization", r[1].getString("message"))
        assertEquals("unsupported", r[1].getString("error"))
        for (i in 2..4) assertEquals("invalid_request", r[i].getString("error"), r[i].toString())
        assertEquals("unusable case: max_age must be a non-negative integer", r[2].getString("message"))
        assertEquals("unusable case: max_future must be a non-negative integer", r[4].getString("message"))
        assertEquals("unusable case: trust_forwarded must be true or false, not \"true\"", r[5].getString("message"))
        assertEquals("HMAC-SHA256 k:", r[6].getJSONArray("headers").getJSONArray(1).getString(1).substring(0, 14))
        assertEquals("client", r[7].getString("key_id"))
    }

    @Test
    fun `aws-sigv4 options are decoded in the Rust runner's order, with bool_or and seconds_field`() {
        val rest = """"request": {"method": "GET", "target": "/", "headers": [["Host", "example.amazonaws.com"]]}, """ +
            """"credentials": {"key_id": "AKIDEXAMPLE", "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}, "now": 1440938160"""
        val rs = """"region": "us-east-1", "service": "service""""
        val r = run(
            """[
              {"id": "type-first", "op": "sign", "scheme": {"name": "aws-sigv4", "signature_type": "cookie"}, $rest},
              {"id": "no-service", "op": "sign", "scheme": {"name": "aws-sigv4", "region": "r"}, $rest},
              {"id": "region-number", "op": "sign", "scheme": {"name": "aws-sigv4", "region": 5}, $rest},
              {"id": "normalize-text", "op": "sign", "scheme": {"name": "aws-sigv4", $rs, "normalize": "no", "expires": -1}, $rest},
              {"id": "expires-neg", "op": "sign", "scheme": {"name": "aws-sigv4", $rs, "expires": -1}, $rest},
              {"id": "expires-zero", "op": "sign", "scheme": {"name": "aws-sigv4", $rs, "expires": 0}, $rest},
              {"id": "skew-float", "op": "verify", "scheme": {"name": "aws-sigv4", $rs}, $rest, "policy": {"max_skew": 1.0}},
              {"id": "nulls-are-defaults", "op": "sign", "scheme": {"name": "aws-sigv4", $rs, "normalize": null, "double_uri_encode": null, "signature_type": null, "expires": null}, $rest},
              {"id": "query", "op": "sign", "scheme": {"name": "aws-sigv4", $rs, "signature_type": "query", "expires": 60}, $rest}
            ]""",
        )
        assertEquals("unsupported", r[0].getString("error"))
        assertEquals("aws-sigv4 signature_type \"cookie\" is not offered; use header or query", r[0].getString("message"))
        assertEquals("unusable case: aws-sigv4 needs service", r[1].getString("message"))
        assertEquals("unusable case: region must be a string, not 5", r[2].getString("message"))
        assertEquals("unusable case: normalize must be true or false, not \"no\"", r[3].getString("message"))
        assertEquals("unusable case: expires must be a non-negative integer", r[4].getString("message"))
        for (i in 1..4) assertEquals("invalid_request", r[i].getString("error"), r[i].toString())
        assertEquals("unsupported", r[5].getString("error"), r[5].toString()) // the core's 1..604800
        assertEquals("unusable case: max_skew must be a non-negative integer", r[6].getString("message"))
        assertEquals(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, " +
                "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            r[7].getJSONArray("headers").getJSONArray(1).getString(1),
        )
        assertEquals(false, r[7].has("url"))
        assertEquals(0, r[8].getJSONArray("headers").length())
        assertEquals(true, r[8].getString("url").startsWith("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&"), r[8].toString())
        assertEquals(true, "&X-Amz-Expires=60&" in r[8].getString("url"), r[8].toString())
    }

    @Test
    fun `rfc9421 scheme and policy fields are decoded as the Rust runner's int_field, string_list and bool_field`() {
        val rest = """"request": {"method": "POST", "target": "/foo?param=Value&Pet=dog", "headers": [["Host", "example.com"], """ +
            """["Date", "Tue, 20 Apr 2021 02:07:55 GMT"], ["Content-Type", "application/json"]]}, """ +
            """"credentials": {"key_id": "test-shared-secret", "secret_b64": "$B25_SECRET"}"""
        val b25 = """"name": "rfc9421", "components": ["date", "@authority", "content-type"], "label": "sig-b25", "created": 1618884473"""
        val r = run(
            """[
              {"id": "b25", "op": "sign", "scheme": {$b25}, $rest, "now": 1},
              {"id": "md5", "op": "sign", "scheme": {"name": "rfc9421", "created": 1, "content_digest": "md5"}, $rest},
              {"id": "created-text", "op": "sign", "scheme": {"name": "rfc9421", "created": "1", "content_digest": "md5"}, $rest},
              {"id": "components-num", "op": "sign", "scheme": {"name": "rfc9421", "components": [1]}, $rest},
              {"id": "alg-text", "op": "sign", "scheme": {"name": "rfc9421", "include_alg": 1}, $rest},
              {"id": "upper", "op": "sign", "scheme": {"name": "rfc9421", "components": ["Content-Type"]}, $rest},
              {"id": "params", "op": "sign", "scheme": {"name": "rfc9421", "components": ["@method"], "label": null, "created": 5, "expires": -5, "nonce": "n", "tag": "t", "include_alg": true, "content_digest": "sha-256"}, $rest, "now": 1},
              {"id": "required-num", "op": "verify", "scheme": {$b25}, $rest, "policy": {"required_components": [5]}},
              {"id": "skew-neg", "op": "verify", "scheme": {$b25}, $rest, "policy": {"clock_skew": -1}},
              {"id": "unsigned-text", "op": "verify", "scheme": {$b25}, $rest, "policy": {"allow_unsigned_body": "true"}}
            ]""",
        )
        assertEquals(
            "[[\"Signature-Input\",\"sig-b25=(\\\"date\\\" \\\"@authority\\\" \\\"content-type\\\");created=1618884473;keyid=\\\"test-shared-secret\\\"\"]," +
                "[\"Signature\",\"sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:\"]]",
            r[0].getJSONArray("headers").toString(),
        )
        assertEquals("unsupported", r[1].getString("error"))
        assertEquals("content digest \"md5\" is not offered; use sha-256 or sha-512", r[1].getString("message"))
        assertEquals("unusable case: created must be an integer", r[2].getString("message"))
        assertEquals("unusable case: components must hold strings", r[3].getString("message"))
        assertEquals("unusable case: include_alg must be true or false, not 1", r[4].getString("message"))
        for (i in 2..4) assertEquals("invalid_request", r[i].getString("error"), r[i].toString())
        assertEquals("unsupported", r[5].getString("error"))
        assertEquals("component name \"Content-Type\" must be lower case and not empty", r[5].getString("message"))
        val headers = r[6].getJSONArray("headers")
        assertEquals("Content-Digest", headers.getJSONArray(0).getString(0))
        assertEquals(
            "sig1=(\"@method\" \"content-digest\");created=5;keyid=\"test-shared-secret\";alg=\"hmac-sha256\";expires=-5;nonce=\"n\";tag=\"t\"",
            headers.getJSONArray(1).getString(1),
        )
        assertEquals("unusable case: required_components must hold strings", r[7].getString("message"))
        assertEquals("unusable case: clock_skew must be a non-negative integer", r[8].getString("message"))
        assertEquals("unusable case: allow_unsigned_body must be true or false, not \"true\"", r[9].getString("message"))
    }

    @Test
    fun `response cases sign and verify the response, with its request when given`() {
        val creds = """"credentials": {"key_id": "test-key-ecc-p256", "secret": "s"}"""
        val scheme = """"scheme": {"name": "rfc9421", "components": ["@status", "content-type", "@method;req"], "created": 1618884473}"""
        val response = """"response": {"status": 200, "headers": [["Content-Type", "application/json"]]}"""
        val request = """"request": {"method": "POST", "target": "https://example.com/foo"}"""
        val signed = run("""[{"id": "s", "op": "sign", $scheme, $creds, $response, $request, "now": 1}]""")[0]
        val base = "\"@status\": 200\n\"content-type\": application/json\n\"@method\";req: POST\n" +
            "\"@signature-params\": (\"@status\" \"content-type\" \"@method\";req);created=1618884473;keyid=\"test-key-ecc-p256\""
        assertEquals(base, signed.getString("string_to_sign"))
        val added = signed.getJSONArray("headers")
        val signedResponse = """"response": {"status": 200, "headers": [["Content-Type", "application/json"], """ +
            """["Signature-Input", ${JSONObject.quote(added.getJSONArray(0).getString(1))}], ["Signature", ${JSONObject.quote(added.getJSONArray(1).getString(1))}]]}"""
        val r = run(
            """[
              {"id": "ok", "op": "verify", $scheme, $creds, $signedResponse, $request, "now": 1618884473},
              {"id": "put", "op": "verify", $scheme, $creds, $signedResponse, "request": {"method": "PUT", "target": "https://example.com/foo"}, "now": 1618884473},
              {"id": "no-request", "op": "verify", $scheme, $creds, $signedResponse, "now": 1618884473},
              {"id": "stale", "op": "verify", $scheme, $creds, $signedResponse, $request, "policy": {"max_age": 10}, "now": 1618884500},
              {"id": "status", "op": "sign", $scheme, $creds, "response": {"status": 65536}, "now": 1},
              {"id": "status-order", "op": "sign", "scheme": {"name": "hawk"}, $creds, "response": {"status": "200"}, "now": 1},
              {"id": "api-auth", "op": "sign", "scheme": {"name": "api-auth"}, $creds, $response, "now": 1}
            ]""",
        )
        assertEquals("test-key-ecc-p256", r[0].getString("key_id"), r[0].toString())
        assertEquals("bad_signature", r[1].getString("error"), r[1].toString())
        assertEquals("@method needs the request this response answers", r[2].getString("message"))
        assertEquals("invalid_request", r[2].getString("error"))
        assertEquals("stale", r[3].getString("error"), r[3].toString())
        // The response is decoded before the scheme, as in the Rust runner.
        for (i in 4..5) assertEquals("unusable case: response.status", r[i].getString("message"), r[i].toString())
        assertEquals("the api-auth scheme signs requests only, not responses (rfc9421 and hawk sign responses)", r[6].getString("message"))
        assertEquals("unsupported", r[6].getString("error"))
    }

    @Test
    fun `kong-hmac and hawk fields are decoded in the Rust runner's order`() {
        val rest = """"request": {"method": "GET", "target": "http://example.com/", "headers": [["Date", "Tue, 14 Nov 2023 22:13:20 GMT"]]}, "credentials": {"key_id": "k", "secret": "s"}"""
        val kong = """"scheme": {"name": "kong-hmac"}"""
        val hawk = """"scheme": {"name": "hawk"}"""
        val r = run(
            """[
              {"id": "unknown", "op": "sign", "scheme": {"name": "frobnicate"}, $rest},
              {"id": "kong-alg-number", "op": "sign", "scheme": {"name": "kong-hmac", "algorithm": 1}, $rest},
              {"id": "kong-headers-text", "op": "sign", "scheme": {"name": "kong-hmac", "headers": "date"}, $rest},
              {"id": "kong-digest-text", "op": "sign", "scheme": {"name": "kong-hmac", "algorithm": "md5", "digest": "yes"}, $rest},
              {"id": "kong-md5", "op": "sign", "scheme": {"name": "kong-hmac", "algorithm": "md5"}, $rest},
              {"id": "kong-skew-neg", "op": "verify", $kong, $rest, "policy": {"clock_skew": -1, "algorithms": ["md5"]}},
              {"id": "kong-policy-md5", "op": "verify", $kong, $rest, "policy": {"algorithms": ["md5"], "validate_request_body": 1}},
              {"id": "kong-sign", "op": "sign", "scheme": {"name": "kong-hmac", "algorithm": "hmac-sha1", "headers": ["date"], "header_name": null}, $rest, "now": 1700000000},
              {"id": "hawk-query", "op": "sign", "scheme": {"name": "hawk", "signature_type": "query"}, $rest},
              {"id": "hawk-hash-text", "op": "sign", "scheme": {"name": "hawk", "payload_hash": "no", "signature_type": "query"}, $rest},
              {"id": "hawk-type-first", "op": "sign", "scheme": {"name": "hawk", "signature_type": "cookie", "ttl": -1}, $rest},
              {"id": "hawk-ttl-big", "op": "sign", "scheme": {"name": "hawk", "ttl": 4294967296}, $rest},
              {"id": "hawk-dlg-number", "op": "sign", "scheme": {"name": "hawk", "ext": "a\"b", "dlg": 5}, $rest},
              {"id": "hawk-skew-first", "op": "verify", $hawk, $rest, "policy": {"payload": "ignore", "timestamp_skew": -1}},
              {"id": "hawk-payload", "op": "verify", $hawk, $rest, "policy": {"payload": "ignore", "port": 1.5}},
              {"id": "hawk-port-big", "op": "verify", $hawk, $rest, "policy": {"port": 65536}},
              {"id": "hawk-port-float", "op": "verify", $hawk, $rest, "policy": {"port": 80.0}},
              {"id": "hawk-host-number", "op": "verify", $hawk, $rest, "policy": {"host": 5, "port": -1}},
              {"id": "hawk-unsigned", "op": "verify", $hawk, $rest, "policy": {"payload": "require", "host": "example.com", "port": 80}},
              {"id": "hawk-bewit", "op": "sign", "scheme": {"name": "hawk", "signature_type": "bewit", "ttl": 60}, $rest, "now": 1}
            ]""",
        )
        assertEquals("scheme \"frobnicate\" is not offered", r[0].getString("message"))
        assertEquals("unusable case: algorithm must be a string, not 1", r[1].getString("message"))
        assertEquals("unusable case: headers must be a list, not \"date\"", r[2].getString("message"))
        assertEquals("unusable case: digest must be true or false, not \"yes\"", r[3].getString("message"))
        assertEquals("unsupported", r[4].getString("error"), r[4].toString())
        assertTrue(r[4].getString("message").startsWith("kong-hmac algorithm \"md5\" is not offered"), r[4].toString())
        assertEquals("unusable case: clock_skew must be a non-negative integer", r[5].getString("message"))
        assertEquals("unusable case: validate_request_body must be true or false, not 1", r[6].getString("message"))
        assertEquals(
            "[[\"Authorization\",\"hmac username=\\\"k\\\", algorithm=\\\"hmac-sha1\\\", headers=\\\"date\\\", signature=\\\"" +
                hmacSha1Base64("s", "date: Tue, 14 Nov 2023 22:13:20 GMT") + "\\\"\"]]",
            r[7].getJSONArray("headers").toString(),
        )
        assertEquals("hawk signature_type \"query\" is not offered; use header or bewit", r[8].getString("message"))
        assertEquals("unsupported", r[8].getString("error"))
        assertEquals("unusable case: payload_hash must be true or false, not \"no\"", r[9].getString("message"))
        assertEquals("hawk signature_type \"cookie\" is not offered; use header or bewit", r[10].getString("message"))
        assertEquals("unusable case: ttl must be a non-negative integer", r[11].getString("message"))
        assertEquals("unusable case: dlg must be a string, not 5", r[12].getString("message"))
        assertEquals("unusable case: timestamp_skew must be a non-negative integer", r[13].getString("message"))
        assertEquals("hawk payload \"ignore\" is not offered; use verify or require", r[14].getString("message"))
        assertEquals("unsupported", r[14].getString("error"))
        for (i in 15..16) assertEquals("unusable case: port must be an integer in 0..65535", r[i].getString("message"), r[i].toString())
        assertEquals("unusable case: host must be a string, not 5", r[17].getString("message"))
        for (i in listOf(1, 2, 3, 5, 6, 9, 11, 12, 13, 15, 16, 17)) assertEquals("invalid_request", r[i].getString("error"), r[i].toString())
        assertEquals("missing_authorization", r[18].getString("error"), r[18].toString())
        assertEquals(0, r[19].getJSONArray("headers").length())
        assertTrue(r[19].getString("url").startsWith("http://example.com/?bewit="), r[19].toString())
    }

    @Test
    fun `rust debug quoting`() {
        assertEquals("\"a\\\"b\\\\c\\n\\u{1}é\"", rustDebug("a\"b\\c\n\u0001é"))
    }
}
