#!/usr/bin/env python3
"""The Python conformance runner: docs/specs/conformance.md over the public `hmacsig` package.

Reads a JSON array of cases (file argument, else stdin), writes a JSON array of results to
stdout, one per case, in order. Logs go to stderr. Exit 0 whenever every case got a result.
The mapping from a case to the API is in tests/conformance/README.md; it uses only what a user
of the installed package would.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import Any, Dict, List, Optional, Tuple

import hmacsig
from hmacsig import (
    ContentDigest,
    Credentials,
    Header,
    HeaderStyle,
    HmacSigError,
    Policy,
    Request,
    Response,
    Scheme,
    SignatureType,
    Signer,
)

HEADER_STYLES = {"x-request": HeaderStyle.X_REQUEST, "authorization": HeaderStyle.AUTHORIZATION}
SIGNATURE_TYPES = {"header": SignatureType.HEADER, "query": SignatureType.QUERY}
CONTENT_DIGESTS = {"sha-256": ContentDigest.SHA256, "sha-512": ContentDigest.SHA512}


class BadCase(Exception):
    """A case the runner cannot decode: reported as `invalid_request`."""

    kind = "invalid_request"

    def __init__(self, why: str) -> None:
        super().__init__(f"unusable case: {why}")


class Unsupported(Exception):
    """Something the runner does not offer (a scheme, an op): reported as `unsupported`."""

    kind = "unsupported"


def show(value: Any) -> str:
    """A JSON value as compact JSON, for messages."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def obj(case: Dict[str, Any], key: str) -> Dict[str, Any]:
    """The object at `key`; anything else reads as an object with no fields (as in the Rust
    runner: a missing field then reports what is missing)."""
    value = case.get(key)
    return value if isinstance(value, dict) else {}


def str_field(o: Dict[str, Any], key: str) -> Optional[str]:
    value = o.get(key)
    if value is None or isinstance(value, str):
        return value
    raise BadCase(f"{key} must be a string, not {show(value)}")


def string_list(o: Dict[str, Any], key: str) -> Optional[List[str]]:
    value = o.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise BadCase(f"{key} must be a list, not {show(value)}")
    if not all(isinstance(v, str) for v in value):
        raise BadCase(f"{key} must hold strings")
    return value


def bool_field(o: Dict[str, Any], key: str) -> bool:
    """A flag: absent or null is false; anything but a JSON boolean is unusable."""
    return bool_or(o, key, False)


def bool_or(o: Dict[str, Any], key: str, default: bool) -> bool:
    """A flag: absent or null is `default`; anything but a JSON boolean is unusable."""
    value = o.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise BadCase(f"{key} must be true or false, not {show(value)}")


def seconds_field(o: Dict[str, Any], key: str, default: int) -> int:
    """A non-negative integer that fits 32 bits, or `default` when absent or null."""
    value = o.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise BadCase(f"{key} must be a non-negative integer")
    return value


def int_field(o: Dict[str, Any], key: str) -> Optional[int]:
    """A JSON integer that fits 64 bits (Unix seconds), or None when absent or null."""
    value = o.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
        raise BadCase(f"{key} must be an integer")
    return value


def content_digest(o: Dict[str, Any], key: str) -> Optional[ContentDigest]:
    """`sha-256` or `sha-512`, or None when absent or null; any other name is `unsupported`."""
    name = str_field(o, key)
    if name is None:
        return None
    digest = CONTENT_DIGESTS.get(name)
    if digest is None:
        raise Unsupported(f"content digest {show(name)} is not offered; use sha-256 or sha-512")
    return digest


def b64(text: str, what: str) -> bytes:
    """Standard base64, canonical only (padding required, no stray bits), like the Rust runner."""
    try:
        data = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError) as e:
        raise BadCase(f"{what}: {e}") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise BadCase(f"{what}: not canonical base64")
    return data


def scheme_name(case: Dict[str, Any]) -> str:
    if "scheme" not in case:
        raise BadCase("no scheme")
    return str_field(obj(case, "scheme"), "name") or ""


def scheme(case: Dict[str, Any]) -> Scheme:
    name = scheme_name(case)
    s = obj(case, "scheme")
    policy = obj(case, "policy") if case.get("op") == "verify" else {}
    if name == "api-auth":
        headers_to_sign = string_list(policy, "headers_to_sign")
        if headers_to_sign is None:
            headers_to_sign = string_list(s, "headers_to_sign") or []
        override_method = str_field(policy, "override_method")
        if override_method is None:
            override_method = str_field(s, "override_method")
        digest = str_field(s, "digest")
        return Scheme.api_auth(
            digest="sha1" if digest is None else digest,
            headers_to_sign=headers_to_sign,
            override_method=override_method,
        )
    if name == "path-body-hex":
        digest = str_field(s, "digest")
        return Scheme.path_body_hex(digest="sha1" if digest is None else digest)
    if name == "timestamped":
        style_name = str_field(s, "header_style")
        if style_name is None:
            style_name = "x-request"
        style = HEADER_STYLES.get(style_name)
        if style is None:
            raise Unsupported(f"timestamped header_style {show(style_name)} is not offered; use x-request or authorization")
        return Scheme.timestamped(header_style=style, lowercase_url=bool_field(s, "lowercase_url"))
    if name == "aws-sigv4":
        # The same order of checks as the Rust runner: signature_type first, then the
        # arguments in order (keyword arguments are evaluated left to right).
        type_name = str_field(s, "signature_type")
        if type_name is None:
            type_name = "header"
        signature_type = SIGNATURE_TYPES.get(type_name)
        if signature_type is None:
            raise Unsupported(f"aws-sigv4 signature_type {show(type_name)} is not offered; use header or query")

        def required(key: str) -> str:
            value = str_field(s, key)
            if value is None:
                raise BadCase(f"aws-sigv4 needs {key}")
            return value

        return Scheme.aws_sigv4(
            region=required("region"),
            service=required("service"),
            session_token=str_field(s, "session_token"),
            omit_session_token=bool_field(s, "omit_session_token"),
            normalize=bool_or(s, "normalize", True),
            double_uri_encode=bool_or(s, "double_uri_encode", True),
            sign_body=bool_field(s, "sign_body"),
            signature_type=signature_type,
            expires=seconds_field(s, "expires", 3600),
        )
    if name == "rfc9421":
        # Keyword arguments are evaluated in order, as the Rust runner reads the fields.
        label = str_field(s, "label")
        return Scheme.rfc9421(
            components=string_list(s, "components"),
            label="sig1" if label is None else label,
            created=int_field(s, "created"),
            expires=int_field(s, "expires"),
            nonce=str_field(s, "nonce"),
            tag=str_field(s, "tag"),
            include_alg=bool_field(s, "include_alg"),
            content_digest=content_digest(s, "content_digest"),
        )
    if name == "kong-hmac":
        algorithm = str_field(s, "algorithm")
        headers = string_list(s, "headers")
        header_name = str_field(s, "header_name")
        http_version = str_field(s, "http_version")
        return Scheme.kong_hmac(
            algorithm="hmac-sha256" if algorithm is None else algorithm,
            headers=headers,
            header_name="authorization" if header_name is None else header_name,
            http_version="1.1" if http_version is None else http_version,
            digest=bool_field(s, "digest"),
        )
    if name == "hawk":
        algorithm = str_field(s, "algorithm")
        nonce, ext, app, dlg = (str_field(s, k) for k in ("nonce", "ext", "app", "dlg"))
        payload_hash = bool_or(s, "payload_hash", True)
        kind = str_field(s, "signature_type")
        if kind is None or kind == "header":
            signature_type = SignatureType.HEADER
        elif kind == "bewit":
            signature_type = SignatureType.QUERY
        else:
            raise Unsupported(f"hawk signature_type {show(kind)} is not offered; use header or bewit")
        return Scheme.hawk(
            algorithm="sha256" if algorithm is None else algorithm,
            nonce=nonce,
            ext=ext,
            app=app,
            dlg=dlg,
            payload_hash=payload_hash,
            signature_type=signature_type,
            ttl=seconds_field(s, "ttl", 60),
        )
    raise Unsupported(f"scheme {show(name)} is not offered")


def policy(case: Dict[str, Any]) -> Optional[Policy]:
    if case.get("policy") is None:
        return None
    p = obj(case, "policy")
    name = scheme_name(case)
    if name == "api-auth":
        clock_skew = seconds_field(p, "clock_skew", 900)

        def flag(key: str) -> bool:
            # Lenient, as in the Rust runner: anything but `true` is false.
            return p.get(key) is True

        return Policy.api_auth(
            clock_skew=clock_skew,
            digest=str_field(p, "digest"),
            trust_original_uri=flag("trust_original_uri"),
            allow_unsigned_body=flag("allow_unsigned_body"),
        )
    if name == "path-body-hex":
        return None  # no policy options; a policy in the case is ignored
    if name == "aws-sigv4":
        return Policy.aws_sigv4(max_skew=seconds_field(p, "max_skew", 900))
    if name == "timestamped":
        # Keyword arguments are evaluated in order, so the first bad field is reported, as in
        # the Rust runner.
        return Policy.timestamped(
            max_age=seconds_field(p, "max_age", 300),
            max_future=seconds_field(p, "max_future", 5),
            public_base_url=str_field(p, "public_base_url"),
            trust_forwarded=bool_field(p, "trust_forwarded"),
        )
    if name == "rfc9421":
        return Policy.rfc9421(
            max_age=seconds_field(p, "max_age", 300),
            required_components=string_list(p, "required_components"),
            clock_skew=seconds_field(p, "clock_skew", 5),
            label=str_field(p, "label"),
            tag=str_field(p, "tag"),
            allow_unsigned_body=bool_field(p, "allow_unsigned_body"),
        )
    if name == "kong-hmac":
        enforce_headers = string_list(p, "enforce_headers")
        return Policy.kong_hmac(
            clock_skew=seconds_field(p, "clock_skew", 300),
            enforce_headers=[] if enforce_headers is None else enforce_headers,
            algorithms=string_list(p, "algorithms"),
            validate_request_body=bool_field(p, "validate_request_body"),
        )
    if name == "hawk":
        timestamp_skew = seconds_field(p, "timestamp_skew", 60)
        payload = str_field(p, "payload")
        if payload not in (None, "verify", "require"):
            raise Unsupported(f"hawk payload {show(payload)} is not offered; use verify or require")
        host = str_field(p, "host")
        port = p.get("port")
        if port is not None and (type(port) is not int or not 0 <= port <= 65535):
            raise BadCase("port must be an integer in 0..65535")
        return Policy.hawk(timestamp_skew=timestamp_skew, require_payload_hash=payload == "require", host=host, port=port)
    raise Unsupported(f"scheme {show(name)} is not offered")


def credentials(case: Dict[str, Any]) -> Credentials:
    if "credentials" not in case:
        raise BadCase("no credentials")
    c = obj(case, "credentials")
    key_id = str_field(c, "key_id") or ""
    secret = str_field(c, "secret")
    secret_b64 = str_field(c, "secret_b64")
    if secret_b64 is not None:
        return Credentials(key_id, b64(secret_b64, "secret_b64"))
    if secret is not None:
        return Credentials(key_id, secret)
    raise BadCase("credentials need secret or secret_b64")


def headers_and_body(r: Dict[str, Any]) -> Tuple[List[Header], bytes]:
    """The `headers` ([name, value] pairs) and `body_b64` of a request or a response."""
    raw_headers = r.get("headers")
    if raw_headers is None:
        raw_headers = []
    if not isinstance(raw_headers, list):
        raise BadCase(f"headers must be a list, not {show(raw_headers)}")
    headers = []
    for pair in raw_headers:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise BadCase(f"a header must be a [name, value] pair of strings, not {show(pair)}")
        headers.append(Header(name=pair[0], value=pair[1]))
    body_b64 = str_field(r, "body_b64")
    body = b64(body_b64, "body_b64") if body_b64 else b""
    return headers, body


def request(case: Dict[str, Any]) -> Request:
    if "request" not in case:
        raise BadCase("no request")
    r = obj(case, "request")
    headers, body = headers_and_body(r)
    method = str_field(r, "method")
    if method is None:
        raise BadCase("no method")
    target = str_field(r, "target")
    if target is None:
        raise BadCase("no target")
    return Request(method=method, target=target, headers=headers, body=body)


def response(case: Dict[str, Any]) -> Optional[Tuple[Response, Optional[Request]]]:
    """Our extension for rfc9421: a case with `response` signs or verifies that response; its
    `request`, if any, is the request it answers (for components with `;req`)."""
    if case.get("response") is None:
        return None
    r = obj(case, "response")
    status = r.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 0 <= status <= 0xFFFF:
        raise BadCase("response.status")
    headers, body = headers_and_body(r)
    answered = None if case.get("request") is None else request(case)
    return Response(status=status, headers=headers, body=body), answered


def now(case: Dict[str, Any]) -> Optional[int]:
    value = case.get("now")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
        raise BadCase("now must be an integer")
    return value


def run_case(case: Dict[str, Any]) -> Dict[str, Any]:
    op = case.get("op")
    if op == "sign":
        message = response(case)
        if message is not None:
            resp, answered = message
            signed = hmacsig.sign_response(scheme(case), credentials(case), resp, answered, now(case))
        else:
            with Signer(scheme(case), credentials(case)) as signer:
                r = request(case)
                signed = signer.sign(r.method, r.target, r.headers, r.body, now(case))
        out: Dict[str, Any] = {"headers": [[h.name, h.value] for h in signed.headers]}
        try:
            out["string_to_sign"] = signed.string_to_sign.decode("utf-8")
        except UnicodeDecodeError:
            out["string_to_sign_b64"] = base64.b64encode(signed.string_to_sign).decode("ascii")
        if signed.url is not None:
            out["url"] = signed.url
        return out
    if op == "verify":
        message = response(case)
        if message is not None:
            resp, answered = message
            key_id = hmacsig.verify_response(scheme(case), credentials(case), resp, answered, policy(case), now(case))
        else:
            key_id = hmacsig.verify_request(scheme(case), credentials(case), request(case), policy(case), now(case))
        return {"key_id": key_id}
    if op == "key_id":
        return {"key_id": hmacsig.extract_key_id(scheme(case), request(case))}
    raise Unsupported(f"op {show(op if isinstance(op, str) else '')} is not offered")


def result(case: Any) -> Dict[str, Any]:
    # A case that is not an object reads as one with no fields (no op: `unsupported`), as in
    # the Rust runner.
    case = case if isinstance(case, dict) else {}
    out: Dict[str, Any] = {"id": case.get("id")}
    try:
        fields = run_case(case)
    except (HmacSigError, BadCase, Unsupported) as e:
        out.update(ok=False, error=e.kind, message=str(e))
    except hmacsig.InternalError as e:
        # A Rust panic: a bug, never an expected result. Reported under a kind no case expects.
        print(f"runner: case {show(out['id'])}: internal error: {e}", file=sys.stderr)
        out.update(ok=False, error="internal", message=str(e))
    except Exception as e:  # noqa: BLE001 - one bad case never stops the run
        # Case data the API refuses before Rust sees it (e.g. a lone surrogate in a string).
        print(f"runner: case {show(out['id'])}: {type(e).__name__}: {e}", file=sys.stderr)
        out.update(ok=False, error="invalid_request", message=f"unusable case: {type(e).__name__}: {e}")
    else:
        out["ok"] = True
        out.update(fields)
    return out


def main(argv: List[str]) -> int:
    try:
        if len(argv) > 1:
            with open(argv[1], "rb") as f:
                raw = f.read()
        else:
            raw = sys.stdin.buffer.read()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        print(f"runner: cannot read cases: {e}", file=sys.stderr)
        return 2
    try:
        cases = json.loads(text)
    except ValueError as e:
        print(f"runner: the input is not JSON: {e}", file=sys.stderr)
        return 2
    if not isinstance(cases, list):
        print("runner: the input must be a JSON array of cases", file=sys.stderr)
        return 2
    results = [result(case) for case in cases]
    # UTF-8 whatever the locale says, like the other runners.
    sys.stdout.buffer.write((json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
