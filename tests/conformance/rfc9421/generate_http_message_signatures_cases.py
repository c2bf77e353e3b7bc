"""RFC 9421 conformance cases whose expectations come from the Python library
http-message-signatures (the reference the issue names), not from hmacsig.

Regenerate (any machine with Python 3.11 and a package registry):

    python3 -m venv /tmp/hms && /tmp/hms/bin/pip install http-message-signatures==3.0.0
    /tmp/hms/bin/python tests/conformance/rfc9421/generate_http_message_signatures_cases.py 1 250 \
        > tests/conformance/rfc9421/http-message-signatures-cases.json

Each case is in the runner format (tests/conformance/README.md) plus an
"expect" object: the library's verdict. Signing: the headers it added and the
signature base, or that it raised. Verifying (a signed request, sometimes
tampered with, as a server sees it, with the library's clock fixed at "now"):
accepted, or refused. `cargo xtask test` checks every language against these.
Not run by CI: the fixture is committed.
"""
import base64, datetime, json, random, sys
import http_message_signatures as hms
from http_message_signatures import signatures as sigmod
from http_message_signatures.algorithms import HMAC_SHA256

class Headers:
    def __init__(self, pairs): self.pairs = [list(p) for p in pairs]
    def items(self): return [tuple(p) for p in self.pairs]
    def __iter__(self): return iter(dict.fromkeys(n for n, _ in self.pairs))
    def __contains__(self, n): return any(k.lower() == n.lower() for k, _ in self.pairs)
    def __setitem__(self, n, v):
        self.pairs = [p for p in self.pairs if p[0].lower() != n.lower()]; self.pairs.append([n, v])
    def __delitem__(self, n): self.pairs = [p for p in self.pairs if p[0].lower() != n.lower()]

class Msg:
    def __init__(self, method, url, headers): self.method, self.url, self.headers = method, url, Headers(headers)

NOW = [0]
class FixedDT(datetime.datetime):
    @classmethod
    def now(cls, tz=None): return datetime.datetime.fromtimestamp(NOW[0], tz or datetime.timezone.utc)
import types
sigmod.datetime = types.SimpleNamespace(datetime=FixedDT, timedelta=datetime.timedelta, timezone=datetime.timezone)

rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
SECRET = b"shared-secret-\x00\xff"
def pick(xs): return rng.choice(xs)

def url():
    scheme = pick(["https", "http", "HTTPS"])
    host = pick(["example.com", "Api.Example.COM", "127.0.0.1", "[::1]"])
    port = pick(["", "", ":443", ":80", ":8443", ":0443"])
    path = pick(["/", "/foo", "/a/b%2Fc/", "/caf%C3%A9", "/x;y", "/~user/file.txt"])
    q = pick([None, "", "param=Value&Pet=dog", "a=b+c&d=%20e&f", "k=%7E*&empty=&x=1", "q=caf%C3%A9&q2=a%2Bb", "name=a&name=b&z=9"])
    return f"{scheme}://{host}{port}{path}" + ("" if q is None else "?" + q), host, port, path, q

cases = []
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 300):
    u, host, port, path, q = url()
    method = pick(["GET", "POST", "PUT", "DELETE"])
    headers = [["Host", (host + port).lower() if rng.random() < .5 else host + port],
               ["Date", "Tue, 20 Apr 2021 02:07:55 GMT"],
               ["Content-Type", pick(["application/json", "  text/plain ; charset=utf-8 "])]]
    if rng.random() < .5: headers += [["X-Multi", " one "], ["x-multi", "two,  three"]]
    if rng.random() < .4: headers += [["X-Dict", pick(["a=1, b=2;x=1;y=2, c=(a   b c)", "a=?0, b, c=\"s\""])]]
    body = pick([b"", b'{"hello": "world"}', bytes(range(256))[:40]])
    comps = ["@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query", "content-type", "date", "host"]
    if "X-Multi" in [h[0] for h in headers]:
        comps += ["x-multi", '"x-multi";bs']
    if "X-Dict" in [h[0] for h in headers]:
        comps += ['"x-dict";key="a"', '"x-dict";key="c"']
    for pair in (q or "").split("&"):
        if pair and rng.random() < .5:
            comps.append('"@query-param";name="%s"' % pair.split("=")[0])
    if rng.random() < .1:  # sometimes a component the message lacks
        comps += [pick(['"@query-param";name="absent"', "x-absent", '"x-dict";key="zz"'])]
    comps = list(dict.fromkeys(comps))
    chosen = rng.sample(comps, rng.randint(0, 6))
    digest = pick([None, None, "sha-256", "sha-512"])
    created = 1_700_000_000 + rng.randint(0, 1000)
    expires = pick([None, None, created + 60, created + 600])
    nonce = pick([None, "n-" + str(rng.randint(0, 99999))])
    tag = pick([None, "app"])
    include_alg = rng.random() < .5
    label = pick(["sig1", "pyhms", "sig-b25", "a.b*c"])
    key_id = pick(["client-1", "test-shared-secret", "k"])
    scheme = {"name": "rfc9421", "components": chosen, "label": label, "created": created, "include_alg": include_alg}
    if expires: scheme["expires"] = expires
    if nonce: scheme["nonce"] = nonce
    if tag: scheme["tag"] = tag
    if digest: scheme["content_digest"] = digest
    # Our cases: absolute target for signing.
    req = {"method": method, "target": u, "headers": headers, "body_b64": base64.b64encode(body).decode()}
    creds = {"key_id": key_id, "secret_b64": base64.b64encode(SECRET).decode()}
    msg = Msg(method, u, [list(h) for h in headers])
    class Cls(hms.ContentDigest): algorithm = digest or "sha-256"
    signer = hms.HTTPMessageSigner(signature_algorithm=HMAC_SHA256, key_resolver=hms.MappingKeyResolver(public_keys={}, private_keys={key_id: SECRET}))
    signer.content_digest_class = Cls
    expect = {}
    try:
        prepared = signer.prepare(msg, key_id=key_id, created=datetime.datetime.fromtimestamp(created, datetime.timezone.utc),
            expires=datetime.datetime.fromtimestamp(expires, datetime.timezone.utc) if expires else None, nonce=nonce, label=label, tag=tag,
            include_alg=include_alg, covered_component_ids=[c if c.startswith('"') else c for c in chosen], body=body if digest else None)
        sig = HMAC_SHA256(private_key=SECRET).sign(prepared.signature_base)
        signer.apply(msg, prepared, sig)
        added = [p for p in msg.headers.pairs if p[0] in ("Content-Digest", "Signature-Input", "Signature")]
        expect = {"ok": True, "headers": added, "string_to_sign": prepared.signature_base.decode()}
    except Exception as e:
        expect = {"ok": False, "lib_error": f"{type(e).__name__}: {e}"}
    cases.append({"id": f"hms-sign-{i}", "op": "sign", "scheme": scheme, "request": req, "credentials": creds, "now": created, "expect": expect})
    if not expect["ok"]:
        continue
    # Verify: origin-form target as a server sees it, maybe tampered.
    signed_headers = [list(h) for h in msg.headers.pairs]
    vreq = dict(req, headers=signed_headers)
    tamper = pick(["none", "none", "none", "header", "body", "method", "path", "query", "drop", "late", "early", "sig"])
    vmsg = Msg(method, u, [list(h) for h in signed_headers]); vbody = body
    if tamper == "header":
        vreq["headers"] = [[n, v + "x" if n.lower() == "content-type" else v] for n, v in signed_headers]
    elif tamper == "body":
        vbody = body + b"!"
    elif tamper == "method":
        vreq["method"] = "PATCH"
    elif tamper == "path":
        vreq["target"] = u.split("://")[0] + "://" + host + port + path + "z" + ("" if q is None else "?" + q)
    elif tamper == "query":
        vreq["target"] = vreq["target"] + ("&" if q else "?") + "extra=1"
    elif tamper == "drop":
        vreq["headers"] = [h for h in signed_headers if h[0].lower() != "date"]
    elif tamper == "sig":
        vreq["headers"] = [[n, v.replace(":", ":AAAA", 1) if n == "Signature" else v] for n, v in signed_headers]
    vreq["body_b64"] = base64.b64encode(vbody).decode()
    if u.startswith("https://") and headers[0][1] == host + port and rng.random() < .6:
        vreq["target"] = vreq["target"][len("https://" + host + port):] or "/"
        vmsg_url = vmsg_url_of = None
    vmsg = Msg(vreq["method"], vreq["target"] if "://" in vreq["target"] else "https://" + host + port + vreq["target"], vreq["headers"])
    now = created + (400 if tamper == "late" else -60 if tamper == "early" else rng.randint(0, 200))
    NOW[0] = now
    required = rng.sample([c for c in chosen], min(len(chosen), rng.randint(0, 2)))
    verifier = hms.HTTPMessageVerifier(signature_algorithm=HMAC_SHA256, key_resolver=hms.MappingKeyResolver(public_keys={key_id: SECRET}, private_keys={}))
    try:
        verifier.verify(vmsg, max_age=datetime.timedelta(seconds=300), require_components=required, body=vbody)
        vexpect = {"ok": True, "key_id": key_id}
    except Exception as e:
        vexpect = {"ok": False, "lib_error": f"{type(e).__name__}: {e}"}
    cases.append({"id": f"hms-verify-{i}-{tamper}", "op": "verify", "scheme": scheme, "request": vreq, "credentials": creds, "now": now,
                  "policy": {"max_age": 300, "required_components": required}, "expect": vexpect})
json.dump({"generator": "generate_http_message_signatures_cases.py " + " ".join(sys.argv[1:]),
           "library": "http-message-signatures " + __import__("importlib.metadata").metadata.version("http-message-signatures"),
           "cases": cases}, sys.stdout, indent=1)
print()
