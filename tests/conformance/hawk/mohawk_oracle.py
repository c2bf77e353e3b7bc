#!/usr/bin/env python3
"""Answers `hawk` conformance cases with PyPI mohawk 1.1.0, the cross-check for oracle.js.

    python3 -m venv /tmp/mohawk-venv && /tmp/mohawk-venv/bin/pip install mohawk==1.1.0
    /tmp/mohawk-venv/bin/python tests/conformance/hawk/mohawk_oracle.py < cases.json > results.json

Same contract as oracle.js: a JSON array of cases (or of {"case", "expect"} items) on stdin
or as the first argument, a JSON array of results on stdout.

Mapping onto mohawk's public API:
- sign, header: Sender(credentials, url, method, content=body, content_type, nonce, ext, app, dlg,
  always_hash_content=payload_hash, _timestamp=now); the URL is the absolute-form target, or
  "http://" + Host + target for an origin-form one.
- sign, bewit: mohawk.bewit.get_bewit(Resource(url, method="GET", nonce="", timestamp=now+ttl, ext)).
- verify: Receiver(credentials_map, Authorization, url, method, content, content_type,
  accept_untrusted_content = policy.payload != "require", timestamp_skew_in_seconds) with
  mohawk's clock at `now`; policy host/port rebuild the URL. Bewit: check_bewit(url, lookup, now)
  (mohawk leaves the method and a second Authorization to its caller; this oracle does not add
  those checks, so it reports mohawk's own answer).
- response sign: Receiver(...) for the request, then .respond(content, content_type,
  always_hash_content=payload_hash, ext). Response verify: a Sender rebuilt from the request's
  Authorization attributes, then .accept_response(Server-Authorization, content, content_type,
  accept_untrusted_content = policy.payload != "require").
The string_to_sign is what mohawk MACed (mohawk.util.normalize_string, observed).
"""
import base64, json, logging, re, sys
from urllib.parse import urlsplit

from mohawk import Receiver, Sender, exc, util, base
from mohawk.base import Resource
from mohawk.bewit import get_bewit, check_bewit

logging.disable(logging.WARNING)  # mohawk warns on every request that no seen_nonce is set

NOW = [0]
base.utc_now = lambda offset_in_seconds=0.0: int(NOW[0] + offset_in_seconds)
util.utc_now = base.utc_now

LAST = {}
_normalize = util.normalize_string
def _capture(mac_type, resource, content_hash):
    s = _normalize(mac_type, resource, content_hash)
    LAST[mac_type] = s
    return s
util.normalize_string = _capture

ABSOLUTE = re.compile(r'^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*)(.*)$', re.S)


class CaseError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def header(pairs, name):
    for k, v in pairs or []:
        if k.lower() == name.lower():
            return v
    return None


def body(obj):
    return base64.b64decode((obj or {}).get('body_b64') or '')


def creds_of(c):
    cr = c['credentials']
    key = base64.b64decode(cr['secret_b64']) if 'secret_b64' in cr else cr['secret']
    return {'id': cr['key_id'], 'key': key, 'algorithm': (c.get('scheme') or {}).get('algorithm') or 'sha256'}


def bracket(h):
    return '[' + h + ']' if ':' in h and not h.startswith('[') else h


def url_of(req, policy=None):
    """The absolute URL mohawk is given for this request."""
    target = req['target']
    policy = policy or {}
    m = ABSOLUTE.match(target)
    if m:
        if 'host' not in policy and 'port' not in policy:
            return target
        u = urlsplit(target)
        host = policy.get('host', u.hostname)
        port = policy.get('port', u.port or (80 if u.scheme.lower() == 'http' else 443))
        rest = m.group(3)
        return '%s://%s:%s%s' % (u.scheme, bracket(host), port, rest)
    hh = header(req['headers'], 'host')
    if 'host' in policy and 'port' in policy:
        return 'http://%s:%s%s' % (bracket(policy['host']), policy['port'], target)
    if hh is None:
        raise CaseError('invalid_request', 'origin-form target without Host')
    if 'host' in policy or 'port' in policy:
        u = urlsplit('http://' + hh)
        host = policy.get('host', u.hostname)
        port = policy.get('port', u.port or 80)
        return 'http://%s:%s%s' % (bracket(host), port, target)
    return 'http://' + hh + target


def map_error(e, c):
    msg = '%s: %s' % (type(e).__name__, e)
    if isinstance(e, CaseError):
        return e.kind, str(e)
    if isinstance(e, exc.MissingAuthorization):
        return 'missing_authorization', msg
    if isinstance(e, exc.CredentialsLookupError):
        return 'unknown_key', msg
    if isinstance(e, exc.MacMismatch):
        return 'bad_signature', msg
    if isinstance(e, exc.MisComputedContentHash):
        return 'body_mismatch', msg
    if isinstance(e, exc.AlreadyProcessed):
        return 'replayed', msg
    if isinstance(e, exc.TokenExpired):
        m = re.search(r'timestamp (\S+) has expired; it was compared to (\S+)', str(e))
        if m and 'bewit' not in str(e):
            return ('stale' if int(m.group(1)) < int(m.group(2)) else 'future'), msg
        return 'stale', msg
    if isinstance(e, exc.InvalidBewit):
        if 'no bewit data found' in str(e):
            return 'missing_authorization', msg
        return 'malformed_authorization', msg
    if isinstance(e, exc.BadHeaderValue):
        return 'malformed_authorization', msg
    if isinstance(e, exc.HawkFail):
        if 'Unknown scheme' in str(e):
            return 'missing_authorization', msg
        return 'malformed_authorization', msg
    if isinstance(e, exc.MissingContent):
        return 'invalid_request', msg
    if isinstance(e, ValueError) and re.match(r'Port |Invalid IPv6 URL', str(e)):
        return 'invalid_request', msg
    if isinstance(e, (KeyError, ValueError, UnicodeError)):
        return 'malformed_authorization' if c.get('op') == 'verify' else 'invalid_request', msg
    return 'invalid_request', 'unmapped mohawk error: ' + msg


def lookup_for(c, creds):
    def lookup(id):
        if id != c['credentials']['key_id']:
            raise LookupError(id)
        return dict(creds)
    return lookup


def receiver(c, creds):
    req = c['request']
    policy = c.get('policy') or {}
    auth = header(req['headers'], 'authorization')
    ct = header(req['headers'], 'content-type') or ''
    return Receiver(lookup_for(c, creds), auth, url_of(req, policy), req['method'],
                    content=body(req), content_type=ct,
                    accept_untrusted_content=policy.get('payload', 'verify') != 'require',
                    timestamp_skew_in_seconds=policy.get('timestamp_skew', 60))


def answer(c):
    scheme = c.get('scheme') or {}
    if scheme.get('name') != 'hawk':
        return {'ok': False, 'error': 'unsupported', 'message': 'not a hawk case'}
    creds = creds_of(c)
    req = c['request']
    NOW[0] = c['now']
    LAST.clear()
    bewit = scheme.get('signature_type', 'header') == 'bewit'
    resp = c.get('response')
    if c['op'] == 'sign' and resp is None and bewit:
        url = url_of(req)
        res = Resource(url=url, method='GET', credentials=creds, timestamp=c['now'] + scheme['ttl'],
                       nonce='', ext=scheme.get('ext'))
        b = get_bewit(res)
        target = req['target']
        return {'ok': True, 'headers': [], 'string_to_sign': LAST['bewit'],
                'url': target + ('&' if '?' in target else '?') + 'bewit=' + b}
    if c['op'] == 'sign' and resp is None:
        hashed = scheme.get('payload_hash', True) is not False
        kw = {}
        if hashed:
            kw = {'content': body(req), 'content_type': header(req['headers'], 'content-type') or ''}
        s = Sender(creds, url_of(req), req['method'], always_hash_content=hashed, nonce=scheme.get('nonce'),
                   ext=scheme.get('ext'), app=scheme.get('app'), dlg=scheme.get('dlg'), _timestamp=c['now'], **kw)
        return {'ok': True, 'headers': [['Authorization', s.request_header]], 'string_to_sign': LAST['header']}
    if c['op'] == 'verify' and resp is None and bewit:
        if header(req['headers'], 'host') is None and not ABSOLUTE.match(req['target']) and not ('host' in (c.get('policy') or {}) and 'port' in (c.get('policy') or {})):
            raise CaseError('invalid_request', 'no Host')
        check_bewit(url_of(req, c.get('policy')), lookup_for(c, creds), now=c['now'])
        return {'ok': True, 'key_id': c['credentials']['key_id']}
    if c['op'] == 'verify' and resp is None:
        receiver(c, creds)
        return {'ok': True, 'key_id': c['credentials']['key_id']}
    if c['op'] == 'sign':
        r = receiver(c, creds)
        hashed = scheme.get('payload_hash', True) is not False
        kw = {'content': body(resp), 'content_type': header(resp['headers'], 'content-type') or ''} if hashed else {}
        LAST.clear()
        h = r.respond(always_hash_content=hashed, ext=scheme.get('ext'), **kw)
        return {'ok': True, 'headers': [['Server-Authorization', h]], 'string_to_sign': LAST['response']}
    if c['op'] == 'verify':
        policy = c.get('policy') or {}
        try:
            a = util.parse_authorization_header(header(req['headers'], 'authorization'))
            s = Sender(creds, url_of(req, policy), req['method'], always_hash_content=False,
                       nonce=a['nonce'], ext=a.get('ext'), app=a.get('app'), dlg=a.get('dlg'), _timestamp=a['ts'])
        except Exception as e:
            raise CaseError('invalid_request', "the request's Authorization does not give a Sender: %r" % e)
        sa = header(resp['headers'], 'server-authorization')
        if sa is None:
            raise CaseError('missing_authorization', 'no Server-Authorization')
        s.accept_response(sa, content=body(resp), content_type=header(resp['headers'], 'content-type') or '',
                          accept_untrusted_content=policy.get('payload', 'verify') != 'require',
                          timestamp_skew_in_seconds=policy.get('timestamp_skew', 60))
        return {'ok': True, 'key_id': c['credentials']['key_id']}
    return {'ok': False, 'error': 'unsupported', 'message': 'op ' + str(c.get('op'))}


def main():
    data = json.load(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
    out = []
    for item in data:
        c = item.get('case', item)
        try:
            r = answer(c)
        except Exception as e:
            kind, message = map_error(e, c)
            r = {'ok': False, 'error': kind, 'message': message}
        out.append(dict({'id': c.get('id')}, **r))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
