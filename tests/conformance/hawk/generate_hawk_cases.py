#!/usr/bin/env python3
"""Hawk conformance cases whose expectations come from npm hawk 9.0.2 itself (oracle.js),
cross-checked with PyPI mohawk 1.1.0 (mohawk_oracle.py), not from hmacsig.

Regenerate (Node 20 and Python 3.11; nothing is installed into the repository's git):

    cd tests/conformance/hawk && npm ci                    # hawk 9.0.2, pinned by package-lock.json
    python3 -m venv /tmp/mohawk-venv && /tmp/mohawk-venv/bin/pip install mohawk==1.1.0
    python3 generate_hawk_cases.py [--seed 9] [--requests 560] [--mohawk-python /tmp/mohawk-venv/bin/python]
        # writes hawk-oracle-cases.json next to this file, a summary on stderr

Prove the committed file came from hawk (needs only `npm ci`, no mohawk):

    python3 generate_hawk_cases.py --check [FILE]          # exit 1 if any answer of hawk changed

The file is a list of {"case": <a case of specs/conformance.md>, "expect": {...}}, like
tests/vectors/hawk/sample-cases.json. How it is made:
1. random requests (methods, absolute-form http/https targets with and without ports,
   origin-form targets with a Host with and without port, queries, Content-Types with
   parameters and odd case, empty / text / control-character UTF-8 bodies, sha256/sha1,
   nonce, ext/app/dlg from the allowed character set) are signed by hawk: the `sign` cases;
2. each signed request becomes `verify` cases as a server sees it, mostly tampered with
   (method, path, query, Host, port, body, Content-Type, ts across timestamp_skew both ways
   and exactly on it, nonce, id, mac, secret, algorithm, the header rewritten: scheme case,
   spacing, attribute order, repeated / unknown / empty attributes, quotes and backslashes,
   missing attributes, other schemes, non-integer ts re-MACed, policy host/port, payload
   verify/require);
3. bewit `sign` cases (GET, ttl, ext) and their `verify` cases (expired, exactly at exp,
   POST/HEAD, next to Authorization, tampered, padded, empty, a bewit= item before the real one);
4. response authentication (our extension: case.response) `sign` and `verify` cases.
Every final case is answered by oracle.js (the expectation) and by mohawk_oracle.py. Where they
disagree on the verdict and the spec says either is fine, expect.ok is null with expect.why and
expect.hawk (hawk's own answer, for --check); elsewhere hawk's answer is kept and
expect.mohawk notes mohawk's. For refusals the spec only promises `ok: false` for (another
scheme, a missing required hash, a bewit on a POST or beside Authorization), expect has no
`error`.
"""
import argparse, base64, collections, hashlib, hmac, json, os, random, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'hawk-oracle-cases.json')
ALLOWED_PUNCT = "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"
ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'


def run_oracle(cmd, cases):
    p = subprocess.run(cmd, input=json.dumps(cases).encode(), stdout=subprocess.PIPE, cwd=HERE)
    if p.returncode != 0:
        sys.exit('oracle failed: %s' % ' '.join(cmd))
    out = json.loads(p.stdout)
    assert len(out) == len(cases)
    return out


def hawk(cases):
    return run_oracle(['node', os.path.join(HERE, 'oracle.js')], cases)


def b64(b):
    return base64.b64encode(b).decode()


def hdr(pairs, name):
    for k, v in pairs:
        if k.lower() == name.lower():
            return v
    return None


def parse_attrs(value):
    return dict(re.findall(r'(\w+)="([^"]*)"', value or ''))


def hawk_header(attrs, order=None):
    order = order or ['id', 'ts', 'nonce', 'hash', 'ext', 'mac', 'app', 'dlg']
    return 'Hawk ' + ', '.join('%s="%s"' % (k, attrs[k]) for k in order if k in attrs)


class Gen:
    def __init__(self, seed, requests):
        self.rng = random.Random(seed)
        self.requests = requests
        self.cases = []          # (label, case)

    def pick(self, xs):
        return self.rng.choice(xs)

    def chance(self, p):
        return self.rng.random() < p

    # ---------- random pieces ----------
    def token(self, n1, n2, alphabet=ALNUM + '-_'):
        return ''.join(self.pick(alphabet) for _ in range(self.rng.randint(n1, n2)))

    def attr_text(self):
        """A value from the allowed set, with edge characters now and then."""
        kind = self.rng.random()
        if kind < .25:
            return self.pick(['some-app-ext-data', 'a b c', '{json:1}', 'x', '0', 'user=7;scope=read',
                              'a, mac="', 'k=v, id=x', ' leading', 'trailing ', '  ', 'a=b,c=d', '[1,2]', '@me:8080/x?y#z'])\
                .replace('"', "'")
        if kind < .5:
            return ''.join(self.pick(ALLOWED_PUNCT + ' ') for _ in range(self.rng.randint(1, 12)))
        return self.token(1, 24, ALNUM + ALLOWED_PUNCT + ' ')

    def secret(self):
        return self.token(8, 40, ALNUM + ALLOWED_PUNCT)

    def credentials(self):
        c = {'key_id': self.pick(['dh37fgj492je', 'client_a', 'user-7', 'svc:orders', 'a.b@c', '123', 'K~e_y(1)', 'app/key+1'])}
        if self.chance(.05):
            c['secret_b64'] = b64(bytes(self.rng.randrange(256) for _ in range(self.rng.randint(16, 40))))
        else:
            c['secret'] = self.secret()
        return c

    def path_query(self):
        path = self.pick(['/', '/resource/1', '/a%20b', '/caf%C3%A9', '/~user/items', '/@me', '/a/b/c.json',
                          '/x;y', '/v1/items;v=2/list', '/a:b', '/a,b', '/%7Euser/', '/A/B', '/resource/1/',
                          '/path/with!$&()*+,=', '/a//b', '/a/./b/../c'])
        q = self.pick([None, None, None, 'a=1', 'b=1&a=2', 'q=a%20b', 'flag', 'empty=', 'x=1&x=2',
                       'redirect=/a?b', 'a=b=c', '=', 'q=caf%C3%A9&z', 'sort=-name&page[size]=10', 'a=1&bewitx=2'])
        return path + ('' if q is None else '?' + q)

    def where(self):
        """(target, host header or None) for a request."""
        pq = self.path_query()
        r = self.rng.random()
        if r < .45:
            scheme = self.pick(['http', 'https'])
            host = self.pick(['example.com', 'Example.COM', 'api.example.com', 'localhost', '127.0.0.1', 'svc.internal', 'www.example.org'])
            port = self.pick(['', '', '', ':8080', ':8443', ':443', ':80', ':3000'])
            return '%s://%s%s%s' % (scheme, host, port, pq), None
        host = self.pick(['example.com', 'Example.COM', 'api.example.com:8443', 'localhost:8080', '127.0.0.1:3000',
                          'svc.internal', 'example.com:80', 'example.com:443', 'www.example.org', 'EXAMPLE.com:9000'])
        if self.chance(.02):
            host = self.pick(['[::1]:8080', '[::1]', '[2001:db8::1]:443'])
        return pq, host

    def body_ct(self, method):
        body = self.pick([b'', b'', b'{"id":7}', b'Thank you for flying Hawk', 'caf\u00e9 \u2603 \U0001F600'.encode(),
                          b'a=1&b=two+words&c=%26', b'line1\nline2\n', bytes(range(0, 32)) + b'\x7f', b' ',
                          '{"name": "\u00e9 x", "ok": true}'.encode(), b'\n'])
        ct = self.pick([None, None, 'application/json', 'text/plain; charset=utf-8', 'APPLICATION/JSON',
                        'Text/Plain ;charset=UTF-8', ' application/xml ', 'multipart/form-data; boundary=abc',
                        'application/x-www-form-urlencoded', 'text/plain;', ';'])
        return body, ct

    def request(self, method=None, headers_extra=True):
        method = method or self.pick(['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'post'])
        target, host = self.where()
        body, ct = self.body_ct(method)
        headers = []
        if host is not None:
            headers.append([self.pick(['Host', 'host', 'HOST']), host])
        if ct is not None:
            headers.append([self.pick(['Content-Type', 'content-type', 'CONTENT-TYPE']), ct])
        if headers_extra and self.chance(.3):
            headers.insert(self.rng.randint(0, len(headers)), ['X-Request-Id', self.token(8, 16)])
        self.rng.shuffle(headers)
        return {'method': method, 'target': target, 'headers': headers, 'body_b64': b64(body)}

    def now(self):
        return self.rng.randint(1_300_000_000, 1_900_000_000)

    # ---------- the cases ----------
    def add(self, label, case):
        self.cases.append((label, case))

    def build(self):
        signs = []
        for i in range(self.requests):
            scheme = {'name': 'hawk'}
            alg = self.pick([None, 'sha256', 'sha256', 'sha1'])
            if alg:
                scheme['algorithm'] = alg
            scheme['nonce'] = self.pick([self.token(1, 12), self.token(6, 8), self.attr_text().strip() or 'n'])
            if self.chance(.5):
                scheme['ext'] = self.attr_text()
            if self.chance(.15):
                scheme['app'] = self.attr_text()
                if self.chance(.5):
                    scheme['dlg'] = self.attr_text()
            elif self.chance(.02):
                scheme['dlg'] = self.attr_text()          # dlg without app: hawk ignores it
            ph = self.pick([None, None, True, False])
            if ph is not None:
                scheme['payload_hash'] = ph
            case = {'op': 'sign', 'scheme': scheme, 'request': self.request(), 'credentials': self.credentials(), 'now': self.now()}
            signs.append(case)
        bewits = []
        for i in range(self.requests // 5):
            scheme = {'name': 'hawk', 'signature_type': 'bewit', 'ttl': self.pick([1, 60, 300, 3600, 86400, 7])}
            if self.chance(.3):
                scheme['algorithm'] = self.pick(['sha1', 'sha256'])
            if self.chance(.4):
                scheme['ext'] = self.attr_text()
            req = self.request(method='GET', headers_extra=False)
            req['body_b64'] = ''
            req['headers'] = [h for h in req['headers'] if h[0].lower() != 'content-type']
            if self.chance(.08):
                req['target'] += ('&' if '?' in req['target'] else '?') + 'bewit=junk'
            bewits.append({'op': 'sign', 'scheme': scheme, 'request': req, 'credentials': self.credentials(), 'now': self.now()})
        signed = hawk(signs)
        bsigned = hawk(bewits)
        for c, r in zip(signs, signed):
            self.add('sign', c)
            if r['ok']:
                self.verify_cases(c, r)
        for c, r in zip(bewits, bsigned):
            self.add('bewit-sign', c)
            if r['ok']:
                self.bewit_cases(c, r)
        self.response_cases(signs, signed)

    # ----- request verify -----
    def server_view(self, c, auth):
        """The signed request as the server receives it: (request, policy)."""
        req = json.loads(json.dumps(c['request']))
        req['headers'] = req['headers'] + [['Authorization', auth]]
        policy = {}
        m = re.match(r'^(https?)://([^/?#]*)(.*)$', req['target'])
        if m and self.chance(.5):
            # origin-form plus Host, as an origin server sees it; port in the policy when the Host has none
            scheme, authority, rest = m.groups()
            req['target'] = rest or '/'
            req['headers'].insert(0, ['Host', authority])
            if ':' not in authority and scheme == 'https':
                policy['port'] = 443
        return req, policy

    def verify_cases(self, c, r):
        auth = r['headers'][0][1]
        attrs = parse_attrs(auth)
        ts = int(attrs['ts'])
        base_req, base_policy = self.server_view(c, auth)
        vscheme = {'name': 'hawk'}
        if 'algorithm' in c['scheme']:
            vscheme['algorithm'] = c['scheme']['algorithm']
        tampers = ['none'] + self.rng.sample(TAMPERS, 3)
        if 'hash' not in attrs and 'payload-require' not in tampers and not hdr(c['request']['headers'], 'content-type') \
                and not c['request']['body_b64'] and self.chance(.5):
            tampers.append('payload-require')       # the spec's named "either": hawk-js refuses, mohawk accepts
        for t in tampers:
            req = json.loads(json.dumps(base_req))
            policy = dict(base_policy)
            creds = dict(c['credentials'])
            scheme = dict(vscheme)
            now = ts + self.rng.randint(-59, 59)
            label = 'verify-' + t
            set_auth = lambda v: req.__setitem__('headers', [[k, v if k == 'Authorization' else x] for k, x in req['headers']])
            A = dict(attrs)
            if t == 'none':
                pass
            elif t == 'method':
                req['method'] = self.pick([m for m in ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] if m != req['method'].upper()])
            elif t == 'method-case':
                req['method'] = req['method'].lower() if req['method'].isupper() else req['method'].upper()
            elif t == 'path':
                req['target'] = re.sub(r'^([^?]*)', lambda m: m.group(1) + self.pick(['x', '/', '/x', '%20']), req['target'], count=1)
            elif t == 'query':
                tg = req['target']
                req['target'] = self.pick([tg + ('&' if '?' in tg else '?') + 'z=1', tg.split('?')[0] if '?' in tg else tg + '?a=1',
                                           tg.split('?')[0] + '?' + '&'.join(reversed(tg.split('?', 1)[1].split('&'))) if '?' in tg and '&' in tg else tg + '?z'])
                if req['target'] == tg:
                    req['target'] = tg + '&z'
            elif t == 'host':
                if hdr(req['headers'], 'host') is not None:
                    req['headers'] = [[k, 'evil.example.net' + (v[v.rindex(':'):] if ':' in v and not v.endswith(']') else '') if k.lower() == 'host' else v] for k, v in req['headers']]
                else:
                    req['target'] = re.sub(r'^(https?://)[^/:?]*', r'\1evil.example.net', req['target'])
            elif t == 'host-case':
                if hdr(req['headers'], 'host') is not None:
                    req['headers'] = [[k, v.upper() if k.lower() == 'host' else v] for k, v in req['headers']]
                else:
                    req['target'] = re.sub(r'^(https?://[^/?]*)', lambda m: m.group(1).upper(), req['target'])
            elif t == 'port':
                if hdr(req['headers'], 'host') is not None:
                    req['headers'] = [[k, re.sub(r'(:\d+)?$', ':8081', v, count=1) if k.lower() == 'host' else v] for k, v in req['headers']]
                    policy.pop('port', None)
                else:
                    req['target'] = re.sub(r'^(https?://[^/:?]*)(:\d+)?', r'\1:8081', req['target'])
            elif t == 'body':
                b = base64.b64decode(req['body_b64'])
                req['body_b64'] = b64(self.pick([b + b'!', b[:-1] if b else b'x', b.upper() if b.upper() != b else b + b' ']))
            elif t == 'body-empty-to-some':
                req['body_b64'] = b64(b'{}')
            elif t == 'content-type':
                ct = hdr(req['headers'], 'content-type')
                new = self.pick(['text/html', 'application/json; charset=latin1', 'APPLICATION/JSON', (ct or '') + '; x=1', ' ' + (ct or 'text/plain')])
                req['headers'] = [h for h in req['headers'] if h[0].lower() != 'content-type'] + [['Content-Type', new]]
            elif t == 'content-type-drop':
                req['headers'] = [h for h in req['headers'] if h[0].lower() != 'content-type']
            elif t in ('stale', 'future'):
                skew = self.pick([None, None, 10, 600])
                if skew:
                    policy['timestamp_skew'] = skew
                s = skew or 60
                d = self.pick([1, 2, 61, 1000, 86400])
                now = ts + s + d if t == 'stale' else ts - s - d
            elif t in ('skew-edge-ok', 'skew-edge-bad'):
                skew = self.pick([None, 1, 30, 300])
                if skew:
                    policy['timestamp_skew'] = skew
                s = (skew or 60) + (0 if t == 'skew-edge-ok' else 1)
                now = ts + s if self.chance(.5) else ts - s
            elif t == 'nonce':
                A['nonce'] = A['nonce'] + 'x'
                set_auth(hawk_header(A))
            elif t == 'id-unknown':
                creds['key_id'] = creds['key_id'] + '-other'
            elif t == 'id-altered':
                A['id'] = A['id'] + '2'
                set_auth(hawk_header(A))
            elif t == 'mac':
                mac = A['mac']
                i = self.rng.randrange(len(mac) - 1)
                A['mac'] = self.pick([mac[:i] + ('A' if mac[i] != 'A' else 'B') + mac[i + 1:], mac.rstrip('='), mac.lower() if mac.lower() != mac else mac + 'x', mac + '='])
                set_auth(hawk_header(A))
            elif t == 'hash-altered':
                if 'hash' in A:
                    A['hash'] = ('B' if A['hash'][0] != 'B' else 'C') + A['hash'][1:]
                else:
                    A['hash'] = base64.b64encode(hashlib.sha256(b'x').digest()).decode()
                set_auth(hawk_header(A))
            elif t == 'ext-altered':
                A['ext'] = A.get('ext', '') + 'x'
                set_auth(hawk_header(A))
            elif t == 'secret':
                if 'secret' in creds:
                    creds['secret'] = creds['secret'] + 'x'
                else:
                    creds['secret_b64'] = b64(base64.b64decode(creds['secret_b64'])[:-1])
            elif t == 'algorithm':
                scheme['algorithm'] = 'sha1' if scheme.get('algorithm', 'sha256') == 'sha256' else 'sha256'
            elif t == 'scheme-case':
                set_auth(self.pick(['hawk', 'HAWK', 'hAwK']) + auth[4:])
            elif t == 'no-spaces':
                set_auth('Hawk ' + auth[5:].replace('", ', '",'))
            elif t == 'more-spaces':
                set_auth('Hawk ' + auth[5:].replace('", ', self.pick(['",  ', '" , ', '"   ,   ', '",\t'])))
            elif t == 'spaces-after-scheme':
                set_auth('Hawk' + self.pick(['  ', '\t', '   ']) + auth[5:])
            elif t == 'trailing-space':
                set_auth(auth + self.pick([' ', '  ']))
            elif t == 'trailing-comma':
                set_auth(auth + self.pick([',', ', ']))
            elif t == 'leading-comma':
                set_auth('Hawk , ' + auth[5:])
            elif t == 'order':
                keys = list(A)
                self.rng.shuffle(keys)
                set_auth(hawk_header(A, keys))
            elif t == 'repeated':
                k = self.pick(list(A))
                set_auth(auth + ', %s="%s"' % (k, A[k]))
            elif t == 'unknown-attr':
                set_auth(auth + ', ' + self.pick(['foo="bar"', 'tsm="x"', 'error="x"', 'Id="x"', 'ID="%s"' % A['id']]))
            elif t == 'empty-attr':
                k = self.pick(['ext', 'hash', 'app', 'dlg', 'nonce'])
                A[k] = ''
                set_auth(hawk_header(A))
            elif t == 'quote-in-value':
                k = self.pick(['ext', 'id', 'nonce'])
                v = A.get(k, 'x')
                set_auth(hawk_header(dict(A, **{k: v + self.pick(['\\"', '\\\\', '\\'])})))
            elif t == 'unquoted':
                set_auth(auth.replace('ts="%s"' % A['ts'], 'ts=%s' % A['ts']))
            elif t == 'missing-attr':
                k = self.pick(['id', 'ts', 'nonce', 'mac', 'hash', 'ext'])
                A.pop(k, None)
                set_auth(hawk_header(A))
                label = 'verify-missing-' + k
            elif t == 'non-ascii':
                set_auth(hawk_header(dict(A, ext=A.get('ext', '') + '\u00e9')))
            elif t == 'other-scheme':
                set_auth(self.pick(['Basic dXNlcjpwYXNz', 'Bearer abc.def', 'Hawkx ' + auth[5:], 'HMAC ' + auth[5:]]))
            elif t == 'scheme-only':
                set_auth(self.pick(['Hawk', 'Hawk ', 'hawk   ', 'Hawk ,']))
            elif t == 'no-authorization':
                req['headers'] = [h for h in req['headers'] if h[0] != 'Authorization']
            elif t == 'too-long':
                set_auth(hawk_header(dict(A, ext='x' * 4100)))
            elif t == 'odd-ts':
                # a ts that is not a plain integer, MACed correctly
                odd = self.pick([str(ts) + '.0', str(ts) + '.5', '0' + str(ts), ' %d' % ts, '%d ' % ts, '+%d' % ts, '%de0' % (ts // 10) if False else '%.1e' % ts, 'abc', str(ts * 1000), '-%d' % ts])
                A['ts'] = odd
                A['mac'] = self.remac(c, req, policy, A)
                set_auth(hawk_header(A))
                label = 'verify-odd-ts'
            elif t == 'no-host':
                req['headers'] = [h for h in req['headers'] if h[0].lower() != 'host']
                if re.match(r'^https?://', req['target']):
                    req['target'] = re.sub(r'^https?://[^/?]*', '', req['target']) or '/'
                if self.chance(.5):
                    policy.update(self.signed_host_port(c))
                    label = 'verify-no-host-policy'
            elif t == 'bad-host':
                req['headers'] = [h for h in req['headers'] if h[0].lower() != 'host']
                req['target'] = re.sub(r'^https?://[^/?]*', '', req['target']) or '/'
                req['headers'].insert(0, ['Host', self.pick(['a/b', 'example.com:99999', 'example.com:abc', 'exa mple.com', ''])])
            elif t == 'proxy':
                hp = self.signed_host_port(c)
                req['headers'] = [h for h in req['headers'] if h[0].lower() != 'host']
                req['target'] = re.sub(r'^https?://[^/?]*', '', req['target']) or '/'
                req['headers'].insert(0, ['Host', self.pick(['internal.local:9999', '10.0.0.7:8080', 'backend'])])
                policy = {k: v for k, v in policy.items() if k not in ('host', 'port')}
                which = self.pick(['both', 'both', 'host-only', 'port-only', 'wrong'])
                if which == 'both':
                    policy.update(hp)
                elif which == 'host-only':
                    policy['host'] = hp['host']
                elif which == 'port-only':
                    policy['port'] = hp['port']
                else:
                    policy.update({'host': hp['host'], 'port': int(hp['port']) + 1})
                label = 'verify-proxy-' + which
            elif t == 'payload-require':
                policy['payload'] = 'require'
            elif t == 'payload-verify':
                policy['payload'] = 'verify'
            elif t == 'payload-require-tamper':
                policy['payload'] = 'require'
                req['body_b64'] = b64(base64.b64decode(req['body_b64']) + b'!')
            elif t == 'header-name-case':
                req['headers'] = [[self.pick(['authorization', 'AUTHORIZATION']) if k == 'Authorization' else k, v] for k, v in req['headers']]
            elif t == 'two-authorization':
                other = hawk_header(dict(A, mac='AAAA' + A['mac'][4:]))
                if self.chance(.5):
                    req['headers'] = req['headers'] + [['Authorization', other]]
                else:
                    req['headers'] = [['Authorization', other]] + req['headers']
            else:
                raise AssertionError(t)
            case = {'op': 'verify', 'scheme': scheme, 'request': req, 'credentials': creds, 'now': now}
            if policy:
                case['policy'] = policy
            self.add(label, case)

    def signed_host_port(self, c):
        """The host and port the client signed (from its sign case)."""
        req = c['request']
        m = re.match(r'^(https?)://([^/?#]*)', req['target'])
        if m:
            scheme, authority = m.groups()
            host, _, port = authority.rpartition(':') if re.search(r':\d*$', authority) else (authority, '', '')
            return {'host': host.lower(), 'port': int(port) if port else (80 if scheme == 'http' else 443)}
        h = hdr(req['headers'], 'host')
        mm = re.match(r'^(.*?)(?::(\d+))?$', h)
        return {'host': mm.group(1).lower(), 'port': int(mm.group(2)) if mm.group(2) else 80}

    def remac(self, c, req, policy, A):
        """MAC a header with hawk's normalized string (for headers hawk's client cannot make)."""
        hp = self.signed_host_port(c)
        resource = re.sub(r'^https?://[^/?#]*', '', c['request']['target']) or '/'
        s = 'hawk.1.header\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n' % (A['ts'], A['nonce'], c['request']['method'].upper(), resource, hp['host'], hp['port'], A.get('hash', ''))
        s += A.get('ext', '').replace('\\', '\\\\').replace('\n', '\\n') + '\n'
        if A.get('app'):
            s += A['app'] + '\n' + A.get('dlg', '') + '\n'
        cr = c['credentials']
        key = base64.b64decode(cr['secret_b64']) if 'secret_b64' in cr else cr['secret'].encode()
        alg = c['scheme'].get('algorithm', 'sha256')
        return base64.b64encode(hmac.new(key, s.encode(), alg).digest()).decode()

    # ----- bewit verify -----
    def bewit_cases(self, c, r):
        url = r['url']
        exp = c['now'] + c['scheme']['ttl']
        bewit = url.rsplit('bewit=', 1)[1]
        req0 = {'method': 'GET', 'target': url, 'headers': [list(h) for h in c['request']['headers']], 'body_b64': ''}
        base_policy = {}
        m = re.match(r'^(https?)://([^/?#]*)(.*)$', url)
        if m and self.chance(.5):
            scheme, authority, rest = m.groups()
            req0['target'] = rest or '/'
            req0['headers'].insert(0, ['Host', authority])
            if ':' not in authority and scheme == 'https':
                base_policy['port'] = 443
        vscheme = {'name': 'hawk', 'signature_type': 'bewit'}
        if 'algorithm' in c['scheme']:
            vscheme['algorithm'] = c['scheme']['algorithm']
        for t in ['none'] + self.rng.sample(BEWIT_TAMPERS, 3):
            req = json.loads(json.dumps(req0))
            policy = dict(base_policy)
            creds = dict(c['credentials'])
            now = self.rng.randint(c['now'], exp - 1)
            if t == 'none':
                pass
            elif t == 'expired':
                now = exp + self.pick([1, 2, 60, 100000])
            elif t == 'at-exp':
                now = exp
            elif t == 'just-before-exp':
                now = exp - 1
            elif t == 'post':
                req['method'] = self.pick(['POST', 'PUT', 'get'])
            elif t == 'head':
                req['method'] = 'HEAD'
            elif t == 'with-authorization':
                req['headers'].append(['Authorization', 'Hawk id="x", ts="1", nonce="n", mac="m"'])
            elif t == 'tampered':
                i = self.rng.randrange(len(bewit))
                bad = bewit[:i] + ('A' if bewit[i] != 'A' else 'B') + bewit[i + 1:]
                req['target'] = req['target'][:len(req['target']) - len(bewit)] + bad
            elif t == 'padded':
                req['target'] = req['target'] + '=' * ((-len(bewit)) % 4 or 4)
            elif t == 'empty':
                req['target'] = req['target'][:len(req['target']) - len(bewit)]
            elif t == 'not-b64':
                req['target'] = req['target'][:len(req['target']) - len(bewit)] + self.pick(['***', 'a.b', '%3D'])
            elif t == 'three-parts':
                raw = base64.urlsafe_b64encode(('%s\\%d\\mac' % (creds['key_id'], exp)).encode()).decode().rstrip('=')
                req['target'] = req['target'][:len(req['target']) - len(bewit)] + raw
            elif t == 'path':
                req['target'] = re.sub(r'^((?:https?://[^/?]*)?[^?]*)', lambda m: m.group(1) + 'x', req['target'], count=1)
            elif t == 'not-last':
                req['target'] = req['target'] + '&z=1'
            elif t == 'no-bewit':
                req['target'] = req['target'][:len(req['target']) - len(bewit) - len('bewit=') - 1]
                if not req['target'] or req['target'].endswith('://'):
                    req['target'] += '/'
            elif t == 'bewit-first':
                tg = req['target']
                base, q = tg.split('?', 1)
                items = q.split('&')
                if len(items) > 1:
                    req['target'] = base + '?' + '&'.join([items[-1]] + items[:-1])
                else:
                    req['target'] = tg + '&a=1'
            elif t == 'unknown-id':
                creds['key_id'] = creds['key_id'] + '-other'
            elif t == 'secret':
                if 'secret' in creds:
                    creds['secret'] = creds['secret'] + 'x'
                else:
                    creds['secret_b64'] = b64(base64.b64decode(creds['secret_b64'])[:-1])
            elif t == 'host':
                if hdr(req['headers'], 'host') is not None:
                    req['headers'] = [[k, 'evil.example.net' if k.lower() == 'host' else v] for k, v in req['headers']]
                    policy.pop('port', None)
                else:
                    req['target'] = re.sub(r'^(https?://)[^/:?]*', r'\1evil.example.net', req['target'])
            elif t == 'proxy':
                hp = self.signed_host_port(c)
                req['headers'] = [h for h in req['headers'] if h[0].lower() != 'host']
                req['target'] = re.sub(r'^https?://[^/?]*', '', req['target']) or '/'
                req['headers'].insert(0, ['Host', 'internal.local:9999'])
                policy = dict(hp)
            else:
                raise AssertionError(t)
            case = {'op': 'verify', 'scheme': vscheme, 'request': req, 'credentials': creds, 'now': now}
            if policy:
                case['policy'] = policy
            self.add('bewit-verify-' + t, case)

    # ----- response -----
    def response_cases(self, signs, signed):
        pool = [(c, r) for c, r in zip(signs, signed) if r['ok']]
        picks = self.rng.sample(pool, min(len(pool), self.requests // 5))
        rsign = []
        for c, r in picks:
            req, policy = self.server_view(c, r['headers'][0][1])
            body, ct = self.body_ct('GET')
            headers = [['Content-Type', ct]] if ct is not None else []
            if self.chance(.3):
                headers.append(['X-Trace', 'r1'])
            scheme = {'name': 'hawk'}
            if 'algorithm' in c['scheme']:
                scheme['algorithm'] = c['scheme']['algorithm']
            if self.chance(.5):
                scheme['ext'] = self.attr_text()
            if self.chance(.25):
                scheme['payload_hash'] = self.pick([True, False])
            case = {'op': 'sign', 'scheme': scheme, 'request': req, 'credentials': c['credentials'],
                    'now': c['now'] + self.rng.randint(0, 30), 'response': {'status': self.pick([200, 201, 404]), 'headers': headers, 'body_b64': b64(body)}}
            if policy:
                # Behind a proxy (policy host/port): sign_response takes no
                # policy, so these requests are left to the verify cases.
                continue
            rsign.append(case)
        answers = hawk(rsign)
        for c, r in zip(rsign, answers):
            self.add('response-sign', c)
            if not r['ok']:
                continue
            sa = r['headers'][0][1]
            A = parse_attrs(sa)
            for t in ['none'] + self.rng.sample(RESPONSE_TAMPERS, 2):
                v = json.loads(json.dumps(c))
                v['op'] = 'verify'
                v['scheme'] = {k: x for k, x in c['scheme'].items() if k in ('name', 'algorithm')}
                res = v['response']
                res['headers'] = res['headers'] + [['Server-Authorization', sa]]
                def set_sa(val):
                    res['headers'] = [[k, val if k == 'Server-Authorization' else x] for k, x in res['headers']]
                if t == 'none':
                    pass
                elif t == 'body':
                    res['body_b64'] = b64(base64.b64decode(res['body_b64']) + b'!')
                elif t == 'content-type':
                    res['headers'] = [h for h in res['headers'] if h[0].lower() != 'content-type'] + [['Content-Type', 'text/html']]
                elif t == 'mac':
                    set_sa(hawk_header(dict(A, mac='A' + A['mac'][1:] if A['mac'][0] != 'A' else 'B' + A['mac'][1:]), ['mac', 'hash', 'ext']))
                elif t == 'ext':
                    set_sa(hawk_header(dict(A, ext=A.get('ext', '') + 'x'), ['mac', 'hash', 'ext']))
                elif t == 'missing':
                    res['headers'] = [h for h in res['headers'] if h[0] != 'Server-Authorization']
                elif t == 'drop-hash':
                    A2 = dict(A)
                    A2.pop('hash', None)
                    set_sa(hawk_header(A2, ['mac', 'hash', 'ext']))
                elif t == 'require':
                    v['policy'] = dict(v.get('policy', {}), payload='require')
                elif t == 'malformed':
                    set_sa(self.pick(['Hawk mac=x', 'Hawk', 'Hawk mac="a", mac="a"', sa + ', id="x"', sa + ', ext="a", ext="a"']))
                elif t == 'request-tampered':
                    v['request']['method'] = 'DELETE' if v['request']['method'] != 'DELETE' else 'PUT'
                elif t == 'later':
                    v['now'] = v['now'] + self.pick([5, 120, 3600])
                else:
                    raise AssertionError(t)
                self.add('response-verify-' + t, v)


TAMPERS = ['method', 'method-case', 'path', 'query', 'host', 'host-case', 'port', 'body', 'body-empty-to-some', 'content-type',
           'content-type-drop', 'stale', 'future', 'skew-edge-ok', 'skew-edge-bad', 'nonce', 'id-unknown', 'id-altered', 'mac',
           'hash-altered', 'ext-altered', 'secret', 'algorithm', 'scheme-case', 'no-spaces', 'more-spaces', 'spaces-after-scheme',
           'trailing-space', 'trailing-comma', 'leading-comma', 'order', 'repeated', 'unknown-attr', 'empty-attr', 'quote-in-value',
           'unquoted', 'missing-attr', 'non-ascii', 'other-scheme', 'scheme-only', 'no-authorization', 'too-long', 'odd-ts',
           'no-host', 'bad-host', 'proxy', 'payload-require', 'payload-verify', 'payload-require-tamper', 'header-name-case',
           'two-authorization']
BEWIT_TAMPERS = ['expired', 'at-exp', 'just-before-exp', 'post', 'head', 'with-authorization', 'tampered', 'padded', 'empty',
                 'not-b64', 'three-parts', 'path', 'not-last', 'no-bewit', 'bewit-first', 'unknown-id', 'secret', 'host', 'proxy']
RESPONSE_TAMPERS = ['body', 'content-type', 'mac', 'ext', 'missing', 'drop-hash', 'require', 'malformed', 'request-tampered', 'later']

# Refusals for which the spec promises only `ok: false` (no error kind).
def only_ok_false(label, case, h):
    if case['op'] != 'verify' or h['ok']:
        return False
    msg = h.get('message', '')
    return (label in ('verify-other-scheme',) or msg in ('Missing required payload hash', 'Invalid method', 'Multiple authentications',
                                                          'Missing response hash attribute'))


# What JavaScript's Number() reads as a number (else NaN).
JS_NUMBER = re.compile(r'^$|^[+-]?(Infinity|[0-9]+\.?[0-9]*([eE][+-]?[0-9]+)?|\.[0-9]+([eE][+-]?[0-9]+)?)$|^0[xX][0-9a-fA-F]+$|^0[oO][0-7]+$|^0[bB][01]+$')


def either(label, case, h, m):
    """The spec's named 'either' cases, when hawk and mohawk disagree on the verdict,
    and hmacsig's documented refusal of a `ts` that is no number (docs/schemes/hawk.md)."""
    ts = (parse_attrs(hdr(case['request']['headers'], 'authorization') or 'Hawk ') or {}).get('ts') if label == 'verify-odd-ts' else None
    if ts is not None and h['ok'] and not JS_NUMBER.match(ts.strip(' \t')):
        return 'a ts that is no number: hawk reads NaN and never finds it stale; hmacsig refuses it (malformed)'
    if h['ok'] == m['ok']:
        return None
    if label == 'bewit-verify-at-exp' and not h['ok'] and h.get('message') == 'Access expired':
        return 'bewit exactly at exp: hawk-js refuses (exp <= now), mohawk accepts (exp < now is expired)'
    if h.get('message') == 'Missing required payload hash' and not base64.b64decode(case['request'].get('body_b64') or '') \
            and not hdr(case['request']['headers'], 'content-type') and not case.get('response'):
        return 'payload require, no hash=, empty body, no Content-Type: hawk-js refuses, mohawk accepts'
    if label == 'verify-spaces-after-scheme' and h['ok']:
        return 'hawk-js accepts, mohawk refuses (%s)' % m.get('message')
    return None


def compare_sign(h, m):
    """Differences between hawk's and mohawk's signing, ignoring mohawk's attribute order."""
    d = []
    if h['ok'] != m['ok']:
        return ['verdict']
    if not h['ok']:
        return []
    if h.get('string_to_sign') != m.get('string_to_sign'):
        d.append('string_to_sign')
    if h.get('headers'):
        if parse_attrs(h['headers'][0][1]) != parse_attrs(m['headers'][0][1]):
            d.append('header attributes')
    if h.get('url') != m.get('url'):
        d.append('url' + (' (padding only)' if (m.get('url') or '').rstrip('=') == h.get('url') else ''))
    return d


def expect_of(label, case, h):
    if h['ok']:
        e = {'ok': True}
        if case['op'] == 'sign':
            e['headers'] = {k.lower(): v for k, v in h['headers']}
            e['string_to_sign'] = h['string_to_sign']
            if 'url' in h:
                e['url'] = h['url']
        else:
            e['key_id'] = h['key_id']
        return e
    e = {'ok': False}
    if not only_ok_false(label, case, h):
        e['error'] = h['error']
    return e


def cause(label, c, h, m, d):
    """A root cause for a hawk/mohawk disagreement, for the summary."""
    t = c['request']['target']
    hosts = (hdr(c['request']['headers'], 'host') or '') + t
    msg = m.get('message', '')
    if ';' in re.sub(r'^https?://[^/?]*', '', t).split('?')[0]:
        return 'path with ;params: mohawk (urllib urlparse) drops them from the resource'
    if '[' in hosts.split('/')[0] or re.match(r'^https?://\[', t):
        return 'IPv6 literal host'
    if c['scheme'].get('signature_type') == 'bewit' and ('padding' in msg or 'base64' in msg or 'UnicodeDecodeError' in msg or 'binascii' in msg):
        return 'mohawk decodes the bewit with b64decode: unpadded or -/_ base64url fails or is garbled'
    if d == ['url (padding only)']:
        return 'mohawk pads its bewit with ='
    if 'dlg' in c['scheme'] and 'app' not in c['scheme']:
        return 'dlg without app: hawk leaves it out, mohawk sends it (unMACed)'
    return label


def short(r):
    return 'ok' if r['ok'] else '%s (%s)' % (r['error'], r.get('message', ''))


def generate(args):
    g = Gen(args.seed, args.requests)
    g.build()
    cases = []
    for i, (label, c) in enumerate(g.cases, 1):
        c = dict({'id': 'hawk-oracle/%04d-%s' % (i, label)}, **c)
        cases.append((label, c))
    plain = [c for _, c in cases]
    H = hawk(plain)
    M = run_oracle([args.mohawk_python, os.path.join(HERE, 'mohawk_oracle.py')], plain)
    items, stats, disagree, either_n = [], collections.Counter(), collections.defaultdict(list), collections.Counter()
    for (label, c), h, m in zip(cases, H, M):
        e = expect_of(label, c, h)
        why = either(label, c, h, m)
        if why:
            e = {'ok': None, 'why': why, 'hawk': {k: v for k, v in expect_of(label, c, h).items()}}
            either_n[label] += 1
        else:
            if c['op'] == 'sign':
                d = compare_sign(h, m)
            else:
                d = [] if h['ok'] == m['ok'] and (h['ok'] or h['error'] == m['error']) else ['verdict' if h['ok'] != m['ok'] else 'kind']
            if d:
                e['mohawk'] = short(m) if 'verdict' in d or 'kind' in d else 'differs: ' + ', '.join(d)
                disagree[(cause(label, c, h, m, d), tuple(d))].append(c['id'] + ': hawk ' + short(h) + ' | mohawk ' + short(m))
        items.append({'case': c, 'expect': e})
        kind = 'either' if e['ok'] is None else ('ok' if e['ok'] else 'refused:' + e.get('error', '(ok:false only)'))
        stats[(('response-' if 'response' in c else ('bewit-' if c['scheme'].get('signature_type') == 'bewit' else '')) + c['op'], kind)] += 1
    with open(args.out, 'w') as f:
        f.write('[\n' + ',\n'.join(json.dumps(it, ensure_ascii=False) for it in items) + '\n]\n')
    err = sys.stderr
    print('%d cases -> %s (seed %d)' % (len(items), args.out, args.seed), file=err)
    for k in sorted(stats):
        print('  %-18s %-40s %5d' % (k[0], k[1], stats[k]), file=err)
    print('either (spec-named, hawk and mohawk differ): %s' % dict(either_n), file=err)
    print('hawk vs mohawk disagreements kept as hawk (%d cases):' % sum(len(v) for v in disagree.values()), file=err)
    for (label, d), ids in sorted(disagree.items(), key=lambda kv: -len(kv[1])):
        print('  %4d  %s [%s]\n          e.g. %s' % (len(ids), label, ','.join(d), ids[0]), file=err)


def check(args):
    items = json.load(open(args.file))
    H = hawk([it['case'] for it in items])
    bad = 0
    for it, h in zip(items, H):
        e = it['expect']
        want = e.get('hawk', e) if e.get('ok') is None else e
        probs = []
        if want.get('ok') is not None and h['ok'] != want['ok']:
            probs.append('verdict %s, hawk now %s' % (want['ok'], short(h)))
        elif h['ok']:
            if 'headers' in want and {k.lower(): v for k, v in h.get('headers', [])} != want['headers']:
                probs.append('headers')
            for k in ('string_to_sign', 'url', 'key_id'):
                if k in want and want[k] != h.get(k):
                    probs.append(k)
        elif 'error' in want and want['error'] != h['error']:
            probs.append('error %s, hawk now %s' % (want['error'], short(h)))
        if probs:
            bad += 1
            print('%s: %s' % (it['case']['id'], '; '.join(probs)), file=sys.stderr)
    print('%d of %d cases answered differently by hawk now' % (bad, len(items)), file=sys.stderr)
    sys.exit(1 if bad else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, default=9)
    ap.add_argument('--requests', type=int, default=450, help='random requests to sign (about 5.5 cases each)')
    ap.add_argument('--out', default=OUT)
    ap.add_argument('--mohawk-python', default=os.environ.get('MOHAWK_PYTHON', '/tmp/mohawk-venv/bin/python'))
    ap.add_argument('--check', nargs='?', const=OUT, dest='file', help='re-run oracle.js over FILE and fail if any answer changed')
    args = ap.parse_args()
    if args.file:
        check(args)
    else:
        generate(args)


if __name__ == '__main__':
    main()
