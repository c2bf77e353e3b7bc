"""Differential test of hawk against its reference, npm ``hawk`` 9.0.2, and PyPI ``mohawk`` 1.1.0.

hawk runs in one Node process for the whole test (``tests/conformance/hawk/oracle.js --lines``,
hawk's public API; ``cargo xtask test`` installs it with ``npm ci``). Hypothesis makes random
requests, derandomized (the same ones on every run), and for each:

- hmacsig and hawk sign it with the same credentials, ``ts``, nonce, ``ext``/``app``/``dlg`` and
  payload option: the ``Authorization`` headers (or bewit URLs) and normalized strings must be
  identical;
- hawk verifies what hmacsig signed, and so does hmacsig;
- one change (method, path, query, host, port, body, Content-Type, ``ts`` across the skew,
  nonce, MAC, key) is made, and both must give the same verdict and error kind;
- the server signs a response to it: hmacsig's ``Server-Authorization`` must be hawk's, and
  the client side of each accepts the other's;
- mohawk accepts hmacsig's request and hmacsig accepts mohawk's, where the two references
  agree (docs/schemes/hawk.md lists where they do not: ``;`` in paths, bewit padding, IPv6).

A difference is shrunk to a small request.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import subprocess
import time
from typing import Any, Dict, List, Optional, Tuple

import mohawk
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hmacsig import (
    Credentials,
    Header,
    HmacSigError,
    Policy,
    Request,
    Response,
    Scheme,
    SignatureType,
    Signer,
    sign_response,
    verify_request,
    verify_response,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ORACLE_DIR = os.path.join(ROOT, "tests", "conformance", "hawk")
EXAMPLES = 3000
NOW = 1_700_000_000

# Characters hawk allows in attribute values (ext, app, dlg, nonce, id).
VALUE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&'()*+,-./:;<=>?@[]^_`{|}~"
# Path characters both hawk's client (url.parse) and the server keep as they are.
PATH_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,=:@"


class Hawk:
    """npm hawk, one process: a case in, its result out."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", "oracle.js", "--lines"], cwd=ORACLE_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, case: Dict[str, Any]) -> Dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "hawk's oracle stopped"
        return json.loads(line)

    def close(self) -> None:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.close()  # the oracle ends at the end of its input
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


HAWK: Optional[Hawk] = None


def hawk(case: Dict[str, Any]) -> Dict[str, Any]:
    global HAWK
    if HAWK is None:
        HAWK = Hawk()
        atexit.register(HAWK.close)
    return HAWK.ask(case)


def text(alphabet: str, min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


@st.composite
def requests(draw: st.DrawFn) -> Dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get"]))
    host = draw(st.sampled_from(["example.com", "API.Example.com", "svc.internal", "127.0.0.1", "a-b.c.d"]))
    port = draw(st.one_of(st.none(), st.sampled_from([80, 443, 8000, 8443]), st.integers(1, 65535)))
    segments = draw(st.lists(st.one_of(text(PATH_CHARS, 0, 8), st.sampled_from(["%20", "caf%C3%A9", ".", ".."])), max_size=4))
    path = "/" + "/".join(segments)
    query = draw(st.one_of(st.none(), text(PATH_CHARS + "?/", 1, 16)))
    resource = path + ("?" + query if query is not None else "")
    form = draw(st.sampled_from(["origin", "http", "https"]))
    authority = host + (":%d" % port if port is not None else "")
    headers: List[List[str]] = []
    if form == "origin":
        target = resource
        headers.append(["Host", authority])
    else:
        target = "%s://%s%s" % (form, authority, resource)
    content_type = draw(st.one_of(st.none(), st.sampled_from(["application/json", "Text/Plain; charset=UTF-8", " text/html ;q=1", ""])))
    if content_type is not None:
        headers.append(["Content-Type", content_type])
    body = draw(st.one_of(st.just(b""), st.binary(max_size=40), st.text(max_size=20).map(lambda t: t.encode())))
    scheme: Dict[str, Any] = {"name": "hawk", "nonce": draw(text(VALUE_CHARS, 1, 10))}
    for key in ("algorithm", "ext", "app", "dlg"):
        value = draw(st.one_of(st.none(), st.sampled_from(["sha1", "sha256"]) if key == "algorithm" else text(VALUE_CHARS, 1, 14)))
        if value is not None:
            scheme[key] = value
    if draw(st.booleans()):
        scheme["payload_hash"] = draw(st.booleans())
    key_id = draw(text(VALUE_CHARS.replace(" ", ""), 1, 10))
    secret = draw(text("".join(chr(c) for c in range(33, 127)), 1, 24))
    return {
        "op": "sign",
        "scheme": scheme,
        "request": {"method": method, "target": target, "headers": headers, "body_b64": base64.b64encode(body).decode()},
        "credentials": {"key_id": key_id, "secret": secret},
        "now": NOW,
    }


def hmacsig_scheme(s: Dict[str, Any]) -> Scheme:
    return Scheme.hawk(
        algorithm=s.get("algorithm", "sha256"),
        nonce=s.get("nonce"),
        ext=s.get("ext"),
        app=s.get("app"),
        dlg=s.get("dlg"),
        payload_hash=s.get("payload_hash", True),
        signature_type=SignatureType.QUERY if s.get("signature_type") == "bewit" else SignatureType.HEADER,
        ttl=s.get("ttl", 60),
    )


def as_request(r: Dict[str, Any]) -> Request:
    return Request(
        method=r["method"],
        target=r["target"],
        headers=[Header(name=n, value=v) for n, v in r["headers"]],
        body=base64.b64decode(r.get("body_b64") or ""),
    )


def mine(case: Dict[str, Any]) -> Dict[str, Any]:
    """hmacsig's answer to a case, in the oracle's result format."""
    c = Credentials(case["credentials"]["key_id"], case["credentials"]["secret"])
    scheme = hmacsig_scheme(case["scheme"])
    policy = Policy.hawk(**case["policy"]) if case.get("policy") else None
    try:
        if case["op"] == "sign" and "response" in case:
            r = case["response"]
            response = Response(status=r["status"], headers=[Header(name=n, value=v) for n, v in r["headers"]], body=base64.b64decode(r["body_b64"]))
            signed = sign_response(scheme, c, response, as_request(case["request"]), case["now"])
        elif case["op"] == "sign":
            r = case["request"]
            with Signer(scheme, c) as signer:
                signed = signer.sign(r["method"], r["target"], r["headers"], base64.b64decode(r["body_b64"]), now=case["now"])
        elif "response" in case:
            r = case["response"]
            response = Response(status=r["status"], headers=[Header(name=n, value=v) for n, v in r["headers"]], body=base64.b64decode(r["body_b64"]))
            return {"ok": True, "key_id": verify_response(scheme, c, response, as_request(case["request"]), policy, case["now"])}
        else:
            return {"ok": True, "key_id": verify_request(scheme, c, as_request(case["request"]), policy, case["now"])}
    except HmacSigError as e:
        return {"ok": False, "error": e.kind}
    out: Dict[str, Any] = {"ok": True, "headers": [[h.name, h.value] for h in signed.headers], "string_to_sign": signed.string_to_sign.decode()}
    if signed.url is not None:
        out["url"] = signed.url
    return out


def same(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    keys = ("ok", "headers", "string_to_sign", "url", "key_id", "error")
    return {k: a.get(k) for k in keys} == {k: b.get(k) for k in keys}


def with_header(case: Dict[str, Any], name: str, value: str) -> Dict[str, Any]:
    out = json.loads(json.dumps(case))
    out["request"]["headers"] = [h for h in out["request"]["headers"] if h[0].lower() != name.lower()] + [[name, value]]
    return out


TAMPERS = ["none", "method", "path", "query", "host", "port", "body", "content-type", "stale", "future", "nonce", "mac", "key"]


def tampered(case: Dict[str, Any], how: str) -> Dict[str, Any]:
    v = json.loads(json.dumps(case))
    v["op"] = "verify"
    r = v["request"]
    auth = next(value for name, value in r["headers"] if name == "Authorization")
    if how == "method":
        r["method"] = "PUT" if r["method"] != "PUT" else "POST"
    elif how == "path":
        r["target"] = r["target"].replace("/", "/x/", 1) if r["target"].startswith("/") else r["target"] + "x"
    elif how == "query":
        r["target"] += "&z=1" if "?" in r["target"] else "?z=1"
    elif how in ("host", "port"):
        v["policy"] = {"host": "other.example"} if how == "host" else {"port": 1}
    elif how == "body":
        r["body_b64"] = base64.b64encode(base64.b64decode(r["body_b64"]) + b"!").decode()
    elif how == "content-type":
        r["headers"] = [h for h in r["headers"] if h[0] != "Content-Type"] + [["Content-Type", "text/x-other"]]
    elif how in ("stale", "future"):
        v["now"] += 61 if how == "stale" else -61
    elif how == "nonce":
        v = with_header(v, "Authorization", auth.replace('nonce="', 'nonce="n', 1))
    elif how == "mac":
        v = with_header(v, "Authorization", auth.replace('mac="', 'mac="A', 1))
    elif how == "key":
        v["credentials"]["secret"] += "x"
    return v


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(requests(), st.sampled_from(TAMPERS), st.booleans())
def test_hmacsig_signs_and_verifies_as_hawk(case: Dict[str, Any], how: str, bewit: bool) -> None:
    if bewit:
        case["scheme"].update(signature_type="bewit", ttl=60)
        case["request"]["method"] = "GET"
    theirs, ours = hawk(case), mine(case)
    assert same(ours, theirs), (case, ours, theirs)
    event("signed" if ours["ok"] else "both refused to sign: %s" % ours.get("error"))
    if not ours["ok"]:
        return
    if bewit:
        verify = json.loads(json.dumps(case))
        verify["op"], verify["request"]["target"] = "verify", ours["url"]
        for v in (verify, dict(verify, now=NOW + 60)):
            assert same(mine(v), hawk(v)), v
        return
    signed = with_header(case, "Authorization", ours["headers"][0][1])
    v = tampered(signed, how)
    theirs, ours = hawk(v), mine(v)
    assert same(ours, theirs), (v, ours, theirs)
    event("%s: %s" % (how, "accepted" if ours["ok"] else ours["error"]))
    if how == "none":
        response = dict(signed, op="sign", response={"status": 200, "headers": [["Content-Type", "text/plain"]], "body_b64": "b2s="})
        theirs, ours = hawk(response), mine(response)
        assert same(ours, theirs), (response, ours, theirs)
        answered = json.loads(json.dumps(response))
        answered["op"] = "verify"
        answered["response"]["headers"].append(ours["headers"][0])
        assert mine(answered)["ok"] and hawk(answered)["ok"], answered


def mohawk_url(case: Dict[str, Any]) -> str:
    r = case["request"]
    if not r["target"].startswith("/"):
        return r["target"]
    host = next(v for n, v in r["headers"] if n == "Host")
    return "http://%s%s" % (host, r["target"])


@settings(max_examples=1000, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(requests())
def test_mohawk_and_hmacsig_accept_each_other(case: Dict[str, Any]) -> None:
    r, s = case["request"], case["scheme"]
    if ";" in r["target"] or r["target"].endswith("?") or "dlg" in s and "app" not in s:
        event("skipped: where mohawk differs from hawk (docs/schemes/hawk.md)")
        return
    now = int(time.time())
    case["now"] = now
    credentials = {"id": case["credentials"]["key_id"], "key": case["credentials"]["secret"], "algorithm": s.get("algorithm", "sha256")}
    body = base64.b64decode(r["body_b64"])
    content_type = next((v for n, v in r["headers"] if n == "Content-Type"), "")
    signed = mine(case)
    assert signed["ok"], signed
    receiver = mohawk.Receiver(
        lambda _id: credentials,
        signed["headers"][0][1],
        mohawk_url(case),
        r["method"],
        content=body if s.get("payload_hash", True) else "",
        content_type=content_type,
        accept_untrusted_content=not s.get("payload_hash", True),
    )
    assert receiver.resource.nonce == s["nonce"]
    sender = mohawk.Sender(
        credentials,
        mohawk_url(case),
        r["method"],
        content=body,
        content_type=content_type,
        nonce=s["nonce"],
        ext=s.get("ext"),
        app=s.get("app"),
        dlg=s.get("dlg"),
        always_hash_content=True,
    )
    theirs = with_header(case, "Authorization", sender.request_header)
    theirs["op"] = "verify"
    assert mine(theirs) == {"ok": True, "key_id": case["credentials"]["key_id"]}, (theirs, sender.request_header)
