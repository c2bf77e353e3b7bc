package dev.hmacsig.conformance

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.io.File

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
        assertEquals("scheme \"hawk\" is not offered", byId.getValue("unknown-scheme").getString("message"))
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
    fun `rust debug quoting`() {
        assertEquals("\"a\\\"b\\\\c\\n\\u{1}é\"", rustDebug("a\"b\\c\n\u0001é"))
    }
}
