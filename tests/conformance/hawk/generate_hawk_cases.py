#!/usr/bin/env python3
"""Hawk conformance cases whose expectations come from npm hawk 9.0.2 itself (oracle.js),
cross-checked with PyPI mohawk 1.1.0 (mohawk_oracle.py), not from hmacsig.

Regenerate (Node 20 and Python 3.11; nothing is installed into the repository's git):

    cd tests/conformance/hawk && npm ci                    # hawk 9.0.2, pinned by package-lock.json
    python3 -m venv /tmp/mohawk-venv && /tmp/mohawk-venv/bin/pip install mohawk==1.1.0
    python3 generate_hawk_cases.py [--seed 9] [--requests 450] [--mohawk-python /tmp/mohawk-venv/bin/python]
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

The parts: this file has the command line, `generate` (answers, expectations, the file, the
summary) and `--check`; hawk_case_builder.py builds the cases (on hawk_random_requests.py's
random pieces); hawk_oracles.py runs the two oracles and holds the expectation and 'either' rules.
"""
import argparse, collections, json, os, sys

from hawk_case_builder import CaseBuilder
from hawk_oracles import (HERE, answer_summary, compare_sign, disagreement_cause, either_reason, expectation,
                          hawk_answers, mohawk_answers)

OUT = os.path.join(HERE, 'hawk-oracle-cases.json')


def generate(args):
    g = CaseBuilder(args.seed, args.requests)
    g.build()
    cases = []
    for i, (label, c) in enumerate(g.cases, 1):
        c = dict({'id': 'hawk-oracle/%04d-%s' % (i, label)}, **c)
        cases.append((label, c))
    plain = [c for _, c in cases]
    H = hawk_answers(plain)
    M = mohawk_answers(args.mohawk_python, plain)
    items, stats, disagree, either_n = [], collections.Counter(), collections.defaultdict(list), collections.Counter()
    for (label, c), h, m in zip(cases, H, M):
        e = expectation(label, c, h)
        why = either_reason(label, c, h, m)
        if why:
            e = {'ok': None, 'why': why, 'hawk': {k: v for k, v in expectation(label, c, h).items()}}
            either_n[label] += 1
        else:
            if c['op'] == 'sign':
                d = compare_sign(h, m)
            else:
                d = [] if h['ok'] == m['ok'] and (h['ok'] or h['error'] == m['error']) else ['verdict' if h['ok'] != m['ok'] else 'kind']
            if d:
                e['mohawk'] = answer_summary(m) if 'verdict' in d or 'kind' in d else 'differs: ' + ', '.join(d)
                disagree[(disagreement_cause(label, c, h, m, d), tuple(d))].append(c['id'] + ': hawk ' + answer_summary(h) + ' | mohawk ' + answer_summary(m))
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
    H = hawk_answers([it['case'] for it in items])
    bad = 0
    for it, h in zip(items, H):
        e = it['expect']
        want = e.get('hawk', e) if e.get('ok') is None else e
        probs = []
        if want.get('ok') is not None and h['ok'] != want['ok']:
            probs.append('verdict %s, hawk now %s' % (want['ok'], answer_summary(h)))
        elif h['ok']:
            if 'headers' in want and {k.lower(): v for k, v in h.get('headers', [])} != want['headers']:
                probs.append('headers')
            for k in ('string_to_sign', 'url', 'key_id'):
                if k in want and want[k] != h.get(k):
                    probs.append(k)
        elif 'error' in want and want['error'] != h['error']:
            probs.append('error %s, hawk now %s' % (want['error'], answer_summary(h)))
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
