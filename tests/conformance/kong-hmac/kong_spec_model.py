"""This generator's model of the spec's kong-hmac signer and verifier (docs: conformance.md,
section `kong-hmac`), what the generator's cases are checked against besides Kong.

- HTTP dates: imf / rfc850 / asctime format a time in RFC 9110's three forms, parse_http_date
  reads any of them (None when it is no valid date).
- Signing: string_to_sign (header names, @request-target, request-line), mac, spec_sign (the
  headers the signer adds and the string it signs).
- Verifying: parse_auth (strict, or lenient: what the spec lets a verifier accept beyond Kong),
  strict_b64, spec_verify (every check evaluated, with the failing ones and their error kinds).
"""
import base64, calendar, hashlib, hmac, re, time

ALGS = ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"]
WDAY = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WDAY_LONG = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def imf(t):
    g = time.gmtime(t)
    return f"{WDAY[g.tm_wday]}, {g.tm_mday:02d} {MONTHS[g.tm_mon - 1]} {g.tm_year} {g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d} GMT"


def rfc850(t):
    g = time.gmtime(t)
    return f"{WDAY_LONG[g.tm_wday]}, {g.tm_mday:02d}-{MONTHS[g.tm_mon - 1]}-{g.tm_year % 100:02d} {g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d} GMT"


def asctime(t):
    g = time.gmtime(t)
    return f"{WDAY[g.tm_wday]} {MONTHS[g.tm_mon - 1]} {g.tm_mday:2d} {g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d} {g.tm_year}"


_T = r"(\d\d):(\d\d):(\d\d)"
_M = "(" + "|".join(MONTHS) + ")"
HTTP_DATE = [
    (re.compile(r"^(?:%s), (\d\d) %s (\d{4}) %s GMT$" % ("|".join(WDAY), _M, _T)), "imf"),
    (re.compile(r"^(?:%s), (\d\d)-%s-(\d\d) %s GMT$" % ("|".join(WDAY_LONG), _M, _T)), "rfc850"),
    (re.compile(r"^(?:%s) %s ([ \d]\d) %s (\d{4})$" % ("|".join(WDAY), _M, _T)), "asctime"),
]


def parse_http_date(s):
    """RFC 9110 HTTP-date, the three forms; the weekday must be a day name (not checked against the date)."""
    for rx, form in HTTP_DATE:
        m = rx.match(s)
        if not m:
            continue
        if form == "asctime":
            mon, day, hh, mi, ss, year = m.groups()
        else:
            day, mon, year, hh, mi, ss = m.groups()
        day, year, hh, mi, ss = int(day), int(year), int(hh), int(mi), int(ss)
        if form == "rfc850":
            year += 2000 if year < 70 else 1900
        mon = MONTHS.index(mon) + 1
        if hh > 23 or mi > 59 or ss > 59 or day < 1 or day > calendar.monthrange(year, mon)[1]:
            return None
        return calendar.timegm((year, mon, day, hh, mi, ss))
    return None


def first_header(headers, name):
    for n, v in headers:
        if n.lower() == name.lower():
            return v
    return None


def path_and_query(target):
    if target.startswith("/"):
        return target
    rest = target.split("://", 1)[1]
    i = rest.find("/")
    return rest[i:] if i >= 0 else ""


def string_to_sign(method, target, headers, names, http_version):
    lines = []
    pq = path_and_query(target)
    for n in names:
        if n == "@request-target":
            lines.append(f"@request-target: {method.lower()} {pq}")
        elif n == "request-line":
            lines.append(f"{method} {pq} HTTP/{http_version}")
        else:
            v = first_header(headers, n)
            lines.append(f"{n}:" if v is None else f"{n}: {v}")
    return "\n".join(lines)


def mac(alg, secret, s):
    return base64.b64encode(hmac.new(secret, s.encode("utf-8", "surrogateescape"), alg[5:]).digest()).decode()


def secret_bytes(creds):
    return base64.b64decode(creds["secret_b64"]) if "secret_b64" in creds else creds["secret"].encode()


def spec_sign(case):
    """The spec's signer: (added headers as [name, value] pairs in order, string to sign)."""
    sch, req = case["scheme"], case["request"]
    alg = sch.get("algorithm", "hmac-sha256")
    names = sch.get("headers", ["date", "@request-target"])
    hname = sch.get("header_name", "authorization")
    hv = sch.get("http_version", "1.1")
    headers = [list(h) for h in req["headers"]]
    lnames = [n.lower() for n in names]
    added = []
    now_date = imf(case["now"])
    for low, canon in (("date", "Date"), ("x-date", "X-Date")):
        if low in lnames and first_header(headers, low) is None:
            added.append([canon, now_date])
    if "date" not in lnames and "x-date" not in lnames and first_header(headers, "date") is None and first_header(headers, "x-date") is None:
        added.append(["Date", now_date])
    if sch.get("digest"):
        body = base64.b64decode(req.get("body_b64") or "")
        added.append(["Digest", "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()])
    sts = string_to_sign(req["method"], req["target"], headers + added, names, hv)
    sig = mac(alg, secret_bytes(case["credentials"]), sts)
    value = f'hmac username="{case["credentials"]["key_id"]}", algorithm="{alg}", headers="{" ".join(names)}", signature="{sig}"'
    added.append(["Proxy-Authorization" if hname == "proxy-authorization" else "Authorization", value])
    return added, sts


STRICT_AUTH = re.compile(r'^hmac username="([^"]+)", algorithm="([^"]+)", headers="([^"]+)", signature="([^"]+)"$')
LENIENT_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


def parse_auth(value, lenient):
    """The spec's header: hmac (or Hmac), the four parameters in order, `,` then any
    whitespace between them (Kong's `,\\s*`), non-empty values, one space between names.
    lenient=True also takes what the spec lets a verifier accept beyond Kong: HMAC in
    capitals, a space before a comma, extra parameters (anywhere; the four still in order)."""
    if value is None:
        return None
    m = re.match(r'^[Hh]mac (username="[^"]+",\s*algorithm="[^"]+",\s*headers="[^"]+",\s*signature="[^"]+")$', value)
    if m:
        params = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
    elif lenient:
        m = re.match(r"^(?i:hmac) (.*)$", value)
        if not m:
            return None
        rest, params, order, pos = m.group(1), {}, [], 0
        for pm in LENIENT_PARAM.finditer(rest):
            if pm.start() != pos:
                return None
            if pm.group(1) in ("username", "algorithm", "headers", "signature"):
                if pm.group(1) in params:
                    return None
                order.append(pm.group(1))
                params[pm.group(1)] = pm.group(2)
            pos = pm.end()
        if pos != len(rest) or order != ["username", "algorithm", "headers", "signature"] or not all(params.values()):
            return None
    else:
        return None
    names = params["headers"].split(" ")
    if "" in names:
        return None
    return {"username": params["username"], "algorithm": params["algorithm"], "names": names, "signature": params["signature"]}


def strict_b64(s):
    if not re.fullmatch(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", s):
        return None
    return base64.b64decode(s)


def spec_verify(case, lenient):
    """The spec's verifier, every check evaluated: (ok, [(check, kind or None), ...] failing, params)."""
    req, pol = case["request"], case.get("policy") or {}
    hs = req["headers"]
    now = case["now"]
    skew = pol.get("clock_skew", 300)
    fails = []
    pa, au = first_header(hs, "proxy-authorization"), first_header(hs, "authorization")
    if pa is None and au is None:
        return False, [("authorization_header", "missing_authorization")], None
    dates = [first_header(hs, "x-date"), first_header(hs, "date")]
    parsed = [parse_http_date(d) for d in dates if d is not None]
    if not any(t is not None and abs(now - t) <= skew for t in parsed):
        sides = ["stale" if t < now else "future" for t in parsed if t is not None]
        kind = sides[0] if parsed and None not in parsed and len(set(sides)) == 1 else None
        fails.append(("date", kind))
    p = parse_auth(pa, lenient) or parse_auth(au, lenient)
    if p is None:
        fails.append(("parse", "malformed_authorization"))
    else:
        enforce = pol.get("enforce_headers") or []
        if any(e not in p["names"] for e in enforce):
            fails.append(("enforce_headers", "missing_signed_header"))
        if p["algorithm"] not in (pol.get("algorithms") or ALGS):
            fails.append(("algorithm", "digest_not_allowed" if p["algorithm"] in ALGS else None))
        if p["username"] != case["credentials"]["key_id"]:
            fails.append(("credential", "unknown_key"))
        elif p["algorithm"] in ALGS:
            got = strict_b64(p["signature"])
            sts = string_to_sign(req["method"], req["target"], hs, p["names"], (case.get("scheme") or {}).get("http_version", "1.1"))
            want = hmac.new(secret_bytes(case["credentials"]), sts.encode("utf-8", "surrogateescape"), p["algorithm"][5:]).digest()
            if got is None:
                fails.append(("signature", None))
            elif not hmac.compare_digest(got, want):
                fails.append(("signature", "bad_signature"))
    if pol.get("validate_request_body"):
        body = base64.b64decode(req.get("body_b64") or "")
        d = first_header(hs, "digest")
        if d is None:
            if body:
                fails.append(("body", None))
        elif d != "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode():
            fails.append(("body", "body_mismatch"))
    return not fails, fails, p
