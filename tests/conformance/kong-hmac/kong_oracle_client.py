"""The client for the kong-hmac oracle: Kong's own hmac-auth code answering one case per HTTP request.

kong_verify(case) asks Kong's verdict on a case's request; kong_hash(case, names, algorithm)
asks for the string Kong's create_hash signs for those header names (None if Kong gives none).

The oracle (not part of this repo, and no Kong code is copied here): Debian 12's nginx
with its Lua module running Kong's access.lua, taken straight from a checkout of
github.com/Kong/kong (the cases were made with commit 22246ef28c16, whose hmac-auth
access.lua is 3.10's; 3.9.3 differs only in using penlight's split, same results):

    apt-get install -y --no-install-recommends nginx-light libnginx-mod-http-lua \\
        lua-resty-core lua-resty-lrucache lua-cjson
    # copy from the Kong checkout, into the oracle's own folder (outside this repo):
    #   kong/plugins/hmac-auth/access.lua kong/tools/{string,sha256,http,table}.lua kong/constants.lua
    # nginx.conf: worker_processes 1; underscores_in_headers on; client_body_buffer_size 8k
    #   (Kong's defaults); lua_package_path "<stubs>/?.lua;<kong>/?.lua;;";
    #   init_by_lua loads access.lua after stubbing the Kong PDK: kong.request.get_header
    #   = Kong's kong.tools.http.get_header (ngx.var.http_*, then ngx.req.get_headers()
    #   first value), get_method = ngx.req.get_method, get_path_with_query =
    #   ngx.var.request_uri, get_http_version = the case's http_version, get_raw_body as
    #   Kong's; kong.db credentials = the case's key_id/secret; ngx.time = the case's now;
    #   resty.openssl.mac/digest = libcrypto HMAC/SHA over FFI. ngx.re.gmatch,
    #   ngx.parse_http_time, ngx.decode_base64 and ngx.hmac_sha1 are nginx's own.
    #   create_hash is reached through debug.getupvalue from the module's execute.

The protocol spoken here: the case's request is sent as a real HTTP request (method,
target bytes, headers in order, body; Content-Length added when there is a body and no
such header; HTTP/1.1 when there is a Host header, else HTTP/1.0) to 127.0.0.1:$ORACLE_PORT
(default 18089) with one more header, X-Kong-Oracle-Ctl: base64 of JSON
{"op": "verify"|"hash", "now", "policy", "http_version", "credentials": [{"key_id",
"secret_b64"}], "headers": [...] and "algorithm" for "hash"}, which the oracle removes
before Kong's code runs. It answers JSON: for "verify" {"ok", "check" (the step that
refused: authorization_header, date, parse, enforce_headers, algorithm, credential,
signature, body), "kind" (the mapped error kind, absent for refusals without one),
"key_id", "signing_strings_b64"}; for "hash" {"ok", "signing_string_b64"}. A non-200
answer means nginx itself refused the request (Kong never saw it).
"""
import base64, json, os, re, socket

PORT = int(os.environ.get("ORACLE_PORT", "18089"))


def _ask_oracle(case, op, **extra):
    req = case["request"]
    creds = case.get("credentials") or {}
    secret_b64 = creds.get("secret_b64") or base64.b64encode((creds.get("secret") or "").encode()).decode()
    ctl = {"op": op, "now": case.get("now"), "policy": case.get("policy") or {},
           "http_version": (case.get("scheme") or {}).get("http_version", "1.1"),
           "credentials": [{"key_id": creds["key_id"], "secret_b64": secret_b64}], "key_id": creds["key_id"]}
    ctl.update(extra)
    body = base64.b64decode(req.get("body_b64") or "")
    names = [n.lower() for n, _ in req["headers"]]
    data = f"{req['method']} {req['target']} {'HTTP/1.1' if 'host' in names else 'HTTP/1.0'}\r\n".encode()
    for n, v in req["headers"]:
        data += n.encode() + b": " + v.encode() + b"\r\n"
    if body and "content-length" not in names:
        data += b"Content-Length: %d\r\n" % len(body)
    data += b"X-Kong-Oracle-Ctl: " + base64.b64encode(json.dumps(ctl).encode()) + b"\r\n\r\n" + body
    with socket.create_connection(("127.0.0.1", PORT), timeout=30) as s:
        s.sendall(data)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    head = buf.partition(b"\r\n\r\n")[0].decode("latin-1")
    status = int(head.split(" ")[1])
    # the answer comes in a header too (HEAD responses have no body)
    m = re.search(r"(?im)^x-oracle-answer: *(\S+)", head)
    if status != 200 or not m:
        return {"ok": False, "check": "nginx_rejected", "nginx_status": status}
    return json.loads(base64.b64decode(m.group(1)))


def kong_verify(case):
    return _ask_oracle(case, "verify")


def kong_hash(case, names, algorithm):
    a = _ask_oracle(case, "hash", headers=list(names), algorithm=algorithm)
    if not a.get("ok") or a.get("signing_string_b64") is None:
        return None
    return base64.b64decode(a["signing_string_b64"]).decode("utf-8", "surrogateescape")
