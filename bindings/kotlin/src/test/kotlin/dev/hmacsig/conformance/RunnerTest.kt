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
    fun `rust debug quoting`() {
        assertEquals("\"a\\\"b\\\\c\\n\\u{1}é\"", rustDebug("a\"b\\c\n\u0001é"))
    }
}
