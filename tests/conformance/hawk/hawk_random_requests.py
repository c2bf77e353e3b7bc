"""Seeded random pieces of Hawk requests: tokens, ext/app/dlg text from the allowed character
set, credentials, targets (absolute-form, or origin-form with a Host), bodies and Content-Types,
timestamps. CaseBuilder (hawk_case_builder.py) builds on it; every draw comes from one
random.Random(seed), so the order of the calls is what makes the generated file reproducible.
"""
import random

from hawk_oracles import b64

ALLOWED_PUNCT = "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"
ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'


class RandomRequests:
    def __init__(self, seed):
        self.rng = random.Random(seed)

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
