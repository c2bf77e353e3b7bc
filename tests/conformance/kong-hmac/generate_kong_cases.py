"""kong-hmac conformance cases answered by Kong's own hmac-auth plugin code.

Each case is signed by this generator's model of the spec's signer (kong_spec_model.py; docs:
conformance.md, section `kong-hmac`), then, for verify cases, optionally tampered with, and put to an
oracle that runs Kong's `kong/plugins/hmac-auth/access.lua` unchanged. `expect.ok` is
Kong's verdict, except where the spec's "Stricter than Kong" / "may also accept" lists
allow either verdict: then `ok` is null, `kong_ok` is Kong's verdict and `why` names the
rule. `error` is the kind Kong's refusal maps to, given only when the request fails one
check (per the model of the spec's verifier). Sign cases carry `headers` and
`string_to_sign`; each was checked against Kong's create_hash and Kong accepted it.
Cases where Kong and the spec's text disagree outside those lists are not written: they
are printed (and written with --divergences FILE) for review.

Regenerate:

    python3 tests/conformance/kong-hmac/generate_kong_cases.py [SEED [COUNT]] [--divergences FILE] [--out FILE]
        # SEED defaults to 1, COUNT to 3000; writes tests/conformance/kong-hmac/kong-oracle-cases.json
        # (or --out FILE), prints a summary

The oracle (not part of this repo, and no Kong code is copied here) and the protocol spoken
with it are described in kong_oracle_client.py; the spec's signer and verifier as modelled here
are in kong_spec_model.py. This file makes the random requests, tampers with them, and decides
each case's expectation from Kong's answer and the model's.

Not run by CI: the fixture is committed.
"""
import base64, copy, hashlib, json, os, random, re, sys, time
from collections import Counter

from kong_oracle_client import kong_hash, kong_verify
from kong_spec_model import (ALGS, asctime, first_header, imf, mac, parse_auth, parse_http_date, rfc850, secret_bytes, spec_sign,
                             spec_verify, string_to_sign)

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- random requests

def random_request(rng, now):
    method = rng.choice(["GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
    path = rng.choice(["/", "/request", "/v1/orders/7", "/a%20b/c", "/caf%C3%A9/x", "/some%2Fslash//double", "/x;y=1/z",
                       "/~user/file.txt", "/a/./b/../c", "/UPPER/Case"])
    query = rng.choice([None, None, "", "a=1&b=2", "name=foo%20bar", "q=caf%C3%A9&q2=a%2Bb", "k=%7E*&empty=&x",
                        "odd=\"<>{}|\\^`'", "pct=%zz&bad=%", "raw=caf\u00e9", "plus=a+b&eq==&amp=&&", "a=1&a=2&A=3",
                        "slash=/path?inner=1"])
    pq = path + ("" if query is None else "?" + query)
    host = rng.choice(["example.com", "Api.Example.COM", "127.0.0.1:8000", "hmacauth.test"])
    headers = []
    absolute = rng.random() < .2
    target = (rng.choice(["http", "https"]) + "://" + host + pq) if absolute else pq
    if rng.random() < .95:
        headers.append(["Host", host])
    body = b""
    if method in ("POST", "PUT", "PATCH") and rng.random() < .8:
        body = rng.choice([b'{"a":"apple","b":"ball"}', b"hello world", bytes(range(256))[rng.randrange(0, 200):][:40],
                           b"x" * rng.randrange(1, 3000), "caf\u00e9 \u2603".encode()])
    if body:
        headers.append(["Content-Length", str(len(body))])
        headers.append([rng.choice(["Content-Type", "content-type"]), rng.choice(["application/json", "text/plain; charset=utf-8"])])
    for _ in range(rng.choice([0, 0, 1, 2])):
        headers.append([rng.choice(["X-Custom", "x-custom-header", "X-API-Key", "X-Trace-Id", "X-Empty", "Accept"]),
                        rng.choice(["v", "Some Value", "a,b, c", "  inner  spaces", "", "\u00e9t\u00e9", "x=\"q\""]).strip(" ")])
    if rng.random() < .25:
        headers.append(["Content-MD5", rng.choice(["md5", "1B2M2Y8AsgTpgAmY7PhCfg=="])])
    # the request's own date headers
    own = rng.random()
    if own < .3:
        headers.append([rng.choice(["Date", "date", "DATE"]), imf(now - rng.randrange(0, 60))])
    elif own < .4:
        headers.append([rng.choice(["X-Date", "x-date"]), imf(now - rng.randrange(0, 60))])
    elif own < .45:
        headers.append(["Date", imf(now)])
        headers.append(["X-Date", imf(now - 5)])
    rng.shuffle(headers)
    return {"method": method, "target": target, "headers": headers, "body_b64": base64.b64encode(body).decode()}


def random_signed_names(rng, req):
    pool = ["date", "x-date", "@request-target", "request-line", "digest", "content-md5", "host", "content-type",
            "Date", "X-Date", "Content-MD5", "HOST", "x-custom", "X-Custom", "X-API-Key", "x-empty", "x-absent",
            "X-Not-There", "accept", "content-length", "x-trace-id"]
    own = [n for n, _ in req["headers"] if n.lower() not in ("content-length",)]
    choice = rng.random()
    if choice < .1:
        return None  # the default list
    names = rng.sample(pool + own, rng.randint(1, 5))
    out = []
    for n in names:  # one spelling per name: the spec signer spells lines as listed
        if n.lower() not in [o.lower() for o in out]:
            out.append(n)
    return out


def random_scheme(rng, req):
    sch = {"name": "kong-hmac"}
    if rng.random() < .85:
        sch["algorithm"] = rng.choice(ALGS)
    names = random_signed_names(rng, req)
    if names is not None:
        sch["headers"] = names
    if rng.random() < .3:
        sch["header_name"] = rng.choice(["authorization", "proxy-authorization"])
    if rng.random() < .3:
        sch["http_version"] = rng.choice(["1.0", "1.1", "2.0"])
    if rng.random() < .3 and first_header(req["headers"], "digest") is None:
        sch["digest"] = True
        if "headers" in sch and rng.random() < .7 and "digest" not in [n.lower() for n in sch["headers"]]:
            sch["headers"].append(rng.choice(["digest", "Digest"]))
    return sch


# ---------------------------------------------------------------- tampering

FORMAT_TAMPERS = {
    # name: (tags, function(value, rng) -> value)
    "Hmac": ([], lambda v, r: "H" + v[1:]),
    "HMAC": (["A:HMAC in capitals"], lambda v, r: "HMAC" + v[4:]),
    "no-space-after-commas": ([], lambda v, r: v.replace('", ', '",')),
    "extra-spaces-after-commas": ([], lambda v, r: v.replace('", ', '",' + r.choice(["  ", "   ", "\t", " \t "]))),
    "space-before-comma": (["A:a space before a comma"], lambda v, r: v.replace('", ', '" , ', 1)),
    "reordered": ([], lambda v, r: _reorder(v)),
    "missing-param": ([], lambda v, r: _drop_param(v, r)),
    "empty-param": ([], lambda v, r: _empty_param(v, r)),
    "extra-param-end": (["A:an extra parameter", "S:a signature with text after ="], lambda v, r: v + ', nonce="abc"'),
    "extra-param-start": (["A:an extra parameter"], lambda v, r: v.replace("hmac ", 'hmac realm="x", ', 1)),
    "extra-param-middle": (["A:an extra parameter"], lambda v, r: v.replace('", algorithm=', '", nonce="1", algorithm=', 1)),
    "text-before": (["S:text before hmac"], lambda v, r: r.choice(["Foo ", "xyz", "Bearer abc, ", " ,"]) + v),
    "no-space-after-hmac": (["S:no space between hmac and username="], lambda v, r: v.replace("hmac ", "hmac", 1)),
    "text-after": (["S:text after the last quote"], lambda v, r: v + r.choice([" trailing", "x", ";", " , "])),
    "two-spaces-between-names": (["S:two spaces between names"], None),  # handled at signing
    "sig-unpadded": (["S:a signature that is unpadded"], lambda v, r: _sig(v, lambda s: s.rstrip("="))),
    "sig-text-after-pad": (["S:a signature with text after ="], lambda v, r: _sig(v, lambda s: s + "junk" if s.endswith("=") else s)),
    "sig-truncated": ([], lambda v, r: _sig(v, lambda s: s[:-4])),
    "sig-not-base64": ([], lambda v, r: _sig(v, lambda s: s[:6] + "*" + s[7:])),
    "sig-urlsafe": ([], lambda v, r: _sig(v, lambda s: s.replace("+", "-").replace("/", "_"))),
    "sig-flipped": ([], lambda v, r: _sig(v, lambda s: ("B" if s[0] == "A" else "A") + s[1:])),
    "sig-empty": ([], lambda v, r: _sig(v, lambda s: "")),
    "params-uppercase": ([], lambda v, r: v.replace("username=", "Username=")),
    "single-quotes": ([], lambda v, r: v.replace('"', "'")),
}


def _params(v):
    return re.findall(r'(\w+)="([^"]*)"', v)


def _reorder(v):
    ps = _params(v)
    ps = ps[1:2] + ps[0:1] + ps[2:]
    return "hmac " + ", ".join(f'{k}="{x}"' for k, x in ps)


def _drop_param(v, r):
    ps = _params(v)
    del ps[r.randrange(len(ps))]
    return "hmac " + ", ".join(f'{k}="{x}"' for k, x in ps)


def _empty_param(v, r):
    ps = _params(v)
    i = r.randrange(len(ps))
    ps[i] = (ps[i][0], "")
    return "hmac " + ", ".join(f'{k}="{x}"' for k, x in ps)


def _sig(v, f):
    return re.sub(r'signature="([^"]*)"', lambda m: 'signature="' + f(m.group(1)) + '"', v)


def set_header(headers, name, value):
    for h in headers:
        if h[0].lower() == name.lower():
            h[1] = value
            return True
    return False


def date_tags(case, names):
    """S: the only fresh date header is unsigned: next to a stale (or unparsable)
    signed one, or with no date signed at all (the shared vectors' rule E3,
    kong-spec/36: hmacsig takes freshness from a signed date only)."""
    hs, now = case["request"]["headers"], case["now"]
    skew = (case.get("policy") or {}).get("clock_skew", 300)
    lnames = [n.lower() for n in names or []]
    signed_fresh, unsigned_fresh = False, False
    for d in ("x-date", "date"):
        v = first_header(hs, d)
        if v is None:
            continue
        t = parse_http_date(v)
        fresh = t is not None and abs(now - t) <= skew
        if d in lnames and fresh:
            signed_fresh = True
        if d not in lnames and fresh:
            unsigned_fresh = True
    return ["S:the only fresh date header is unsigned (E3)"] if unsigned_fresh and not signed_fresh else []


def body_tags(case, names):
    pol = case.get("policy") or {}
    if pol.get("validate_request_body") and first_header(case["request"]["headers"], "digest") is not None \
            and "digest" not in [n.lower() for n in names or []]:
        return ["S:an unsigned Digest with validate_request_body"]
    return []


# ---------------------------------------------------------------- main

def main():
    args = sys.argv[1:]
    div_path = None
    if "--divergences" in args:
        i = args.index("--divergences")
        div_path = args[i + 1]
        del args[i:i + 2]
    out_path = os.path.join(HERE, "kong-oracle-cases.json")
    if "--out" in args:
        i = args.index("--out")
        out_path = args[i + 1]
        del args[i:i + 2]
    seed = int(args[0]) if len(args) > 0 else 1
    count = int(args[1]) if len(args) > 1 else 3000
    rng = random.Random(seed)
    items, divergences = [], []
    summary = Counter()
    n = 0

    def emit(case, expect, label):
        nonlocal n
        n += 1
        case = dict({"id": f"kong-oracle/{n:04d}-{label}"}, **case)
        items.append({"case": case, "expect": expect})
        op = case["op"]
        if expect.get("ok") is None:
            summary[(op, "null(kong " + str(expect["kong_ok"]).lower() + ")", "")] += 1
        else:
            summary[(op, str(expect["ok"]).lower(), expect.get("error", ""))] += 1

    def diverge(case, what, **kw):
        divergences.append(dict({"what": what, "case": case}, **kw))

    while n < count:
        now = 1700000000 + rng.randrange(0, 10**7)
        req = random_request(rng, now)
        sch = random_scheme(rng, req)
        key_id = rng.choice(["bob", "alice", "Aladdin", "user-1", "k\u00e9y", "a b"])
        creds = {"key_id": key_id, "secret": rng.choice(["secret", "top-secret", "s\u00e9cr\u00e8t", "x" * 70])} \
            if rng.random() < .8 else {"key_id": key_id, "secret_b64": base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.choice([16, 32, 65, 129])))).decode()}
        two_spaces = False
        if "headers" in sch and len(sch["headers"]) >= 2 and rng.random() < .04:
            two_spaces = True
        sign_case = {"op": "sign", "scheme": sch, "request": req, "credentials": creds, "now": now}
        added, sts = spec_sign(sign_case)
        names = sch.get("headers", ["date", "@request-target"])
        hv = sch.get("http_version", "1.1")
        signed_req = copy.deepcopy(req)
        signed_req["headers"] = req["headers"] + [list(h) for h in added]
        # Kong's view of the signed request
        probe = {"op": "verify", "scheme": {"name": "kong-hmac", "http_version": hv}, "request": signed_req,
                 "credentials": creds, "now": now, "policy": {"clock_skew": 2**40}}
        kh = kong_hash(probe, names, sch.get("algorithm", "hmac-sha256"))
        if kh != sts:
            diverge(sign_case, "string_to_sign", spec=sts, kong=kh)
            continue
        ka = kong_verify(probe)
        if ka.get("ok") is not True:
            diverge(sign_case, "kong refuses the spec-signed request", kong=ka)
            continue
        if rng.random() < .3:
            emit(copy.deepcopy(sign_case), {"ok": True, "headers": {h[0].lower(): h[1] for h in added}, "string_to_sign": sts},
                 "sign-" + sch.get("algorithm", "hmac-sha256"))
            continue
        # ---- verify case
        vcase = {"op": "verify", "scheme": {"name": "kong-hmac"}, "request": copy.deepcopy(signed_req),
                 "credentials": copy.deepcopy(creds), "now": now + rng.choice([0, 0, 1, 30, -30, 120])}
        if hv != "1.1" or rng.random() < .1:
            vcase["scheme"]["http_version"] = hv
        pol = {}
        if rng.random() < .3:
            pol["clock_skew"] = rng.choice([1, 30, 300, 900, 3000])
        if rng.random() < .15:
            pol["enforce_headers"] = rng.sample(["date", "x-date", "@request-target", "request-line", "digest", "Date", "content-md5"] + list(names), rng.randint(1, 2))
        if rng.random() < .15:
            pol["algorithms"] = rng.sample(ALGS, rng.randint(1, 3))
        if rng.random() < .2 or sch.get("digest"):
            pol["validate_request_body"] = rng.random() < .8
        if pol:
            vcase["policy"] = pol
        skew = pol.get("clock_skew", 300)
        hs = vcase["request"]["headers"]
        auth_name = added[-1][0]
        tags, labels = [], []
        ntamper = rng.choice([0, 0, 1, 1, 1, 1, 1, 2])
        kinds = rng.sample(["method", "path", "query", "header", "body", "date", "algorithm", "username", "format", "format",
                            "format", "sig", "both-auth", "dup-date", "date-form", "digest", "drop-auth", "secret"], ntamper)
        if "digest" in [x.lower() for x in names] and sch.get("digest") and rng.random() < .4:
            kinds = ["body"]  # a signed Digest that no longer matches the body
            vcase.setdefault("policy", {})["validate_request_body"] = True
        if two_spaces:
            sig_names = " ".join(names).replace(" ", "  ", 1)
            sts2 = string_to_sign(req["method"], req["target"], signed_req["headers"], sig_names.split(" "), hv)
            value = f'hmac username="{key_id}", algorithm="{sch.get("algorithm", "hmac-sha256")}", headers="{sig_names}", signature="{mac(sch.get("algorithm", "hmac-sha256"), secret_bytes(creds), sts2)}"'
            set_header(hs, auth_name, value)
            tags.append("S:two spaces between names")
            labels.append("two-spaces")
        for k in kinds:
            if k in ("algorithm", "username", "format", "sig") and first_header(hs, auth_name) is None:
                continue
            if k == "method":
                vcase["request"]["method"] = rng.choice([m for m in ["GET", "POST", "PUT", "DELETE", "PATCH"] if m != req["method"]])
            elif k == "path":
                t = vcase["request"]["target"]
                i = t.find("?")
                vcase["request"]["target"] = (t + "x") if i < 0 else (t[:i] + "x" + t[i:])
            elif k == "query":
                t = vcase["request"]["target"]
                nt = rng.choice([t + ("&z=1" if "?" in t else "?z=1"), t.split("?")[0],
                                 t[:-1] if t.endswith("?") else t + ("?" if "?" not in t else "&")])
                if nt == t:
                    k = "none"
                vcase["request"]["target"] = nt
            elif k == "header":
                cands = [h for h in hs if h[0].lower() not in ("authorization", "proxy-authorization", "content-length", "host", "date", "x-date")]
                if cands:
                    h = rng.choice(cands)
                    h[1] = h[1] + "x"
                else:
                    k = "none"
            elif k == "body":
                b = base64.b64decode(vcase["request"]["body_b64"] or "")
                nb = rng.choice([b + b"!", b"", b"other"]) if b else rng.choice([b"!", b"{}"])
                vcase["request"]["body_b64"] = base64.b64encode(nb).decode()
                if not set_header(hs, "content-length", str(len(nb))) and nb:
                    hs.append(["Content-Length", str(len(nb))])
            elif k == "date":
                # move the clock to the boundary of the date Kong looks at first
                off = rng.choice([skew, skew + 1, skew - 1, -skew, -skew - 1, -skew + 1, 10 * skew, -10 * skew])
                t0 = parse_http_date(first_header(hs, "x-date") or "") or parse_http_date(first_header(hs, "date") or "") or now
                vcase["now"] = t0 + off
                labels.append(f"now{'+' if off >= 0 else ''}{off}")
            elif k == "algorithm":
                cur = sch.get("algorithm", "hmac-sha256")
                other = rng.choice([a for a in ALGS if a != cur] + ["hmac-md5", "HMAC-SHA256", "sha256"])
                set_header(hs, auth_name, first_header(hs, auth_name).replace(f'algorithm="{cur}"', f'algorithm="{other}"'))
                labels.append(other)
            elif k == "username":
                set_header(hs, auth_name, first_header(hs, auth_name).replace(f'username="{key_id}"', 'username="' + rng.choice(["mallory", key_id.upper() if key_id.upper() != key_id else "x", key_id + " "]) + '"'))
            elif k == "secret":
                vcase["credentials"] = {"key_id": key_id, "secret": "wrong-secret"}
            elif k == "format":
                fk = rng.choice(sorted(x for x in FORMAT_TAMPERS if x != "two-spaces-between-names"))
                ftags, f = FORMAT_TAMPERS[fk]
                set_header(hs, auth_name, f(first_header(hs, auth_name), rng))
                tags += ftags
                labels.append(fk)
            elif k == "sig":
                fk = rng.choice(["sig-unpadded", "sig-text-after-pad", "sig-truncated", "sig-not-base64", "sig-urlsafe", "sig-flipped"])
                ftags, f = FORMAT_TAMPERS[fk]
                v0 = first_header(hs, auth_name)
                v1 = f(v0, rng)
                if v1 == v0:
                    k = "none"
                else:
                    set_header(hs, auth_name, v1)
                    if fk == "sig-unpadded" or (fk == "sig-text-after-pad"):
                        tags += ftags
                labels.append(fk)
            elif k == "both-auth":
                other = "Authorization" if auth_name == "Proxy-Authorization" else "Proxy-Authorization"
                hs.insert(rng.randrange(len(hs) + 1), [other, rng.choice(["garbage", "Basic Ym9iOnNlY3JldA==", 'hmac username="mallory", algorithm="hmac-sha256", headers="date", signature="AAAA"', ""])])
                labels.append("both-" + other.lower())
            elif k == "dup-date":
                dn = rng.choice(["Date", "X-Date"])
                pos = rng.choice(["before", "after"])
                val = rng.choice([imf(now - 10 * skew - 100), "garbage", imf(now)])
                idx = next((i for i, h in enumerate(hs) if h[0].lower() == dn.lower()), None)
                if idx is None:
                    hs.append([dn, val])
                else:
                    hs.insert(idx if pos == "before" else idx + 1, [dn, val])
                labels.append("dup-" + dn.lower() + "-" + pos)
            elif k == "date-form":
                # rewrite the request's date headers in another form (signed value changes unless unsigned)
                form = rng.choice(["rfc850", "asctime", "unparsable", "lowercase-month", "no-gmt", "utc"])
                for h in hs:
                    if h[0].lower() in ("date", "x-date"):
                        t = parse_http_date(h[1])
                        if t is None:
                            continue
                        h[1] = {"rfc850": rfc850, "asctime": asctime}.get(form, imf)(t)
                        if form == "unparsable":
                            h[1] = rng.choice(["wrong date", str(t), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))])
                        elif form == "lowercase-month":
                            h[1] = h[1][:8] + h[1][8:11].lower() + h[1][11:]
                        elif form == "no-gmt":
                            h[1] = h[1][:-4]
                        elif form == "utc":
                            h[1] = h[1][:-3] + "UTC"
                        break
                labels.append(form)
            elif k == "digest":
                b = base64.b64decode(vcase["request"]["body_b64"] or "")
                good = "SHA-256=" + base64.b64encode(hashlib.sha256(b).digest()).decode()
                nd = rng.choice([None, good, "SHA-256=" + base64.b64encode(hashlib.sha256(b + b"x").digest()).decode(), good.lower(), good.rstrip("=")])
                vcase["request"]["headers"] = hs = [h for h in hs if h[0].lower() != "digest"]
                if nd is not None:
                    hs.insert(rng.randrange(len(hs) + 1), ["Digest", nd])
                vcase.setdefault("policy", {})["validate_request_body"] = True
                labels.append("digest-" + ("none" if nd is None else "ok" if nd == good else "bad"))
            elif k == "drop-auth":
                vcase["request"]["headers"] = hs = [h for h in hs if h[0].lower() not in ("authorization", "proxy-authorization")]
            if k not in ("format", "sig", "date", "algorithm", "both-auth", "dup-date", "date-form", "digest"):
                labels.append(k)
        # Kong's verdict and the spec model's
        tags = tags + date_tags(vcase, names) + body_tags(vcase, names)
        tags = list(dict.fromkeys(tags))
        ka = kong_verify(vcase)
        if ka.get("check") == "nginx_rejected":
            diverge(vcase, "nginx refuses the request", kong=ka)
            continue
        if ka.get("check") == "lua_error":
            diverge(vcase, "Kong's code raised", kong=ka)
            continue
        kok = ka["ok"]
        # Kong's create_hash must equal the model's string for the names in the header
        p = parse_auth(first_header(hs, "proxy-authorization"), True) or parse_auth(first_header(hs, "authorization"), True)
        if p is not None and p["names"]:
            spec_s = string_to_sign(vcase["request"]["method"], vcase["request"]["target"], hs, p["names"], vcase["scheme"].get("http_version", "1.1"))
            kong_s = kong_hash(vcase, p["names"], "hmac-sha256")
            if kong_s != spec_s:
                diverge(vcase, "string_to_sign", spec=spec_s, kong=kong_s)
                continue
        strict_ok, strict_fails, _ = spec_verify(vcase, lenient=False)
        lenient_ok, lenient_fails, _ = spec_verify(vcase, lenient=True)
        s_tags = [t[2:] for t in tags if t.startswith("S:")]
        a_tags = [t[2:] for t in tags if t.startswith("A:")]
        expect = {}
        if kok and s_tags:
            expect = {"ok": None, "kong_ok": True, "why": "stricter than Kong: " + "; ".join(s_tags)}
        elif kok:
            if not lenient_ok:
                diverge(vcase, "Kong accepts, the spec's verifier refuses", kong=ka, model=lenient_fails)
                continue
            expect = {"ok": True, "key_id": ka.get("key_id")}
        elif a_tags and lenient_ok:
            expect = {"ok": None, "kong_ok": False, "why": "may also accept: " + "; ".join(a_tags)}
        elif lenient_ok:
            diverge(vcase, "Kong refuses, the spec's verifier accepts", kong=ka, model=[])
            continue
        else:
            expect = {"ok": False}
            kind = ka.get("kind")
            fails = strict_fails if not a_tags else lenient_fails
            if not tags and len(fails) == 1:
                if fails[0][1] != kind or fails[0][0] != ka.get("check"):
                    diverge(vcase, "refusal kind differs", kong=ka, model=fails)
                    continue
                if kind:
                    expect["error"] = kind
        if kok and expect.get("ok") is True and ka.get("key_id") != key_id:
            diverge(vcase, "key_id", kong=ka)
            continue
        label = "-".join(["verify"] + (labels or ["valid"]))
        label = re.sub(r"[^A-Za-z0-9+.-]", "-", label)[:60]
        emit(vcase, expect, label)
    with open(out_path, "w") as out:
        json.dump(items, out, indent=1, ensure_ascii=False)
        out.write("\n")
    if div_path:
        json.dump(divergences, open(div_path, "w"), indent=1, ensure_ascii=False)
    print(f"seed {seed}: {len(items)} cases -> {os.path.relpath(out_path)}")
    for (op, verdict, kind), c in sorted(summary.items()):
        print(f"  {op:6s} {verdict:18s} {kind:24s} {c}")
    why = Counter(it["expect"]["why"] for it in items if "why" in it["expect"])
    for w, c in sorted(why.items()):
        print(f"  why: {w}: {c}")
    print(f"  not written (Kong and the spec's text disagree, or nginx refused): {len(divergences)}")
    for w, c in sorted(Counter(d["what"] for d in divergences).items()):
        print(f"    {w}: {c}")


if __name__ == "__main__":
    main()
