"""The two Hawk oracles and the rules that turn their answers into a case's `expect`.

- hawk_answers / mohawk_answers: run oracle.js (npm hawk 9.0.2, the expectation) or
  mohawk_oracle.py (PyPI mohawk 1.1.0, the cross-check) over a list of cases, one answer each.
- b64, header_value, parse_attrs, hawk_header: the small pieces of header text both the case
  builder and the rules read or write.
- expectation, only_ok_false, either_reason: what a case expects from hawk's answer, where the
  spec only promises `ok: false`, and where the spec names a hawk/mohawk disagreement as
  "either" (`expect.ok` null).
- compare_sign, disagreement_cause, answer_summary: how hawk's and mohawk's answers differ, for
  `expect.mohawk` and the generator's summary.
"""
import base64, json, os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_oracle(cmd, cases):
    p = subprocess.run(cmd, input=json.dumps(cases).encode(), stdout=subprocess.PIPE, cwd=HERE)
    if p.returncode != 0:
        sys.exit('oracle failed: %s' % ' '.join(cmd))
    out = json.loads(p.stdout)
    assert len(out) == len(cases)
    return out


def hawk_answers(cases):
    return run_oracle(['node', os.path.join(HERE, 'oracle.js')], cases)


def mohawk_answers(python, cases):
    return run_oracle([python, os.path.join(HERE, 'mohawk_oracle.py')], cases)


def b64(b):
    return base64.b64encode(b).decode()


def header_value(pairs, name):
    for k, v in pairs:
        if k.lower() == name.lower():
            return v
    return None


def parse_attrs(value):
    return dict(re.findall(r'(\w+)="([^"]*)"', value or ''))


def hawk_header(attrs, order=None):
    order = order or ['id', 'ts', 'nonce', 'hash', 'ext', 'mac', 'app', 'dlg']
    return 'Hawk ' + ', '.join('%s="%s"' % (k, attrs[k]) for k in order if k in attrs)


# Refusals for which the spec promises only `ok: false` (no error kind).
def only_ok_false(label, case, h):
    if case['op'] != 'verify' or h['ok']:
        return False
    msg = h.get('message', '')
    return (label in ('verify-other-scheme',) or msg in ('Missing required payload hash', 'Invalid method', 'Multiple authentications',
                                                          'Missing response hash attribute'))


# What JavaScript's Number() reads as a number (else NaN).
JS_NUMBER = re.compile(r'^$|^[+-]?(Infinity|[0-9]+\.?[0-9]*([eE][+-]?[0-9]+)?|\.[0-9]+([eE][+-]?[0-9]+)?)$|^0[xX][0-9a-fA-F]+$|^0[oO][0-7]+$|^0[bB][01]+$')


def either_reason(label, case, h, m):
    """The spec's named 'either' cases, when hawk and mohawk disagree on the verdict,
    and hmacsig's documented refusal of a `ts` that is no number (docs/schemes/hawk.md)."""
    ts = (parse_attrs(header_value(case['request']['headers'], 'authorization') or 'Hawk ') or {}).get('ts') if label == 'verify-odd-ts' else None
    if ts is not None and h['ok'] and not JS_NUMBER.match(ts.strip(' \t')):
        return 'a ts that is no number: hawk reads NaN and never finds it stale; hmacsig refuses it (malformed)'
    if h['ok'] == m['ok']:
        return None
    if label == 'bewit-verify-at-exp' and not h['ok'] and h.get('message') == 'Access expired':
        return 'bewit exactly at exp: hawk-js refuses (exp <= now), mohawk accepts (exp < now is expired)'
    if h.get('message') == 'Missing required payload hash' and not base64.b64decode(case['request'].get('body_b64') or '') \
            and not header_value(case['request']['headers'], 'content-type') and not case.get('response'):
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


def expectation(label, case, h):
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


def disagreement_cause(label, c, h, m, d):
    """A root cause for a hawk/mohawk disagreement, for the summary."""
    t = c['request']['target']
    hosts = (header_value(c['request']['headers'], 'host') or '') + t
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


def answer_summary(r):
    return 'ok' if r['ok'] else '%s (%s)' % (r['error'], r.get('message', ''))
