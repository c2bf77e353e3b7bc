#!/usr/bin/env node
'use strict';

// Answers `hawk` conformance cases (docs/specs/conformance.md, section `hawk`) with the
// reference implementation, npm `hawk` 9.0.2, through its public API only.
//
//   cd tests/conformance/hawk && npm ci && node oracle.js < cases.json > results.json
//   node oracle.js --lines   (one JSON case per line in, one result per line out)
//
// Input: a JSON array of cases, or of {"case", "expect"} items (the expect is ignored).
// Output: a JSON array of results in the conformance result format, same order.
//
// How a case maps onto hawk:
// - sign, header:   Hawk.client.header(uri, method, {credentials, timestamp: now, nonce, ext,
//                   app, dlg, payload: body, contentType}) -> [["Authorization", header]].
//                   An absolute-form target is passed as the string (hawk parses it with
//                   url.parse); an origin-form target is passed as a parsed-URL object whose
//                   host and port come from the Host header as hawk's server reads it
//                   (Hawk.utils.parseHost), and whose path and query are the target as sent.
// - sign, bewit:    Hawk.uri.getBewit(uri, {credentials, ttlSec: ttl, ext}) with hawk's clock at
//                   `now`; url = target + ("&" or "?") + "bewit=" + bewit; no headers.
// - verify:         Hawk.server.authenticate / Hawk.uri.authenticate on a node-like request
//                   {method, url, headers} with hawk's clock at `now` (Hawk.utils.setTimeFunction),
//                   options {timestampSkewSec, host, port, payload}. An absolute-form target gives
//                   host and port (as the client would sign them); policy host/port replace them.
//                   payload: the body when policy.payload is "require", or when the header
//                   carries hash= (policy "verify", the default); otherwise not given.
// - response (our extension; case.response = {status, headers, body_b64}, case.request = the
//   signed request with its Authorization):
//   sign:   Hawk.server.authenticate(request) for the artifacts, then
//           Hawk.server.header(credentials, artifacts, {ext: scheme.ext, payload, contentType})
//           -> [["Server-Authorization", header]], string_to_sign = the hawk.1.response string.
//   verify: artifacts rebuilt from the request (its Authorization attributes, method, target,
//           host, port), then Hawk.client.authenticate(res, credentials, artifacts,
//           {required: true, payload}) with payload as for request verify.
// Bodies are passed as Buffers, so they are hashed as their bytes.

const Url = require('url');
const Hawk = require('hawk');

const ABSOLUTE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

function header(pairs, name) {
    const n = name.toLowerCase();
    for (const [k, v] of pairs || []) {
        if (String(k).toLowerCase() === n) {
            return v;
        }
    }
    return undefined;
}

// Node's rules for repeated fields: these keep the first, others are joined with ", ".
const SINGLE = new Set(['host', 'authorization', 'content-type', 'content-length', 'user-agent',
    'referer', 'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards',
    'retry-after', 'etag', 'last-modified', 'server', 'age', 'expires', 'proxy-authorization']);

function nodeHeaders(pairs) {
    const out = {};
    for (const [k, v] of pairs || []) {
        const n = String(k).toLowerCase();
        if (!(n in out)) {
            out[n] = String(v);
        }
        else if (!SINGLE.has(n)) {
            out[n] = out[n] + ', ' + v;
        }
    }
    return out;
}

function body(obj) {
    return Buffer.from((obj && obj.body_b64) || '', 'base64');
}

function credentialsOf(c, scheme) {
    const key = c.credentials.secret_b64 !== undefined ? Buffer.from(c.credentials.secret_b64, 'base64') : c.credentials.secret;
    return { id: c.credentials.key_id, key, algorithm: (scheme && scheme.algorithm) || 'sha256' };
}

class CaseError extends Error {
    constructor(kind, message) {
        super(message);
        this.kind = kind;
    }
}

// Where the request was sent: {absolute, pathAndQuery, uriObject|uriString, host, port}
function locate(req, policy) {
    const target = req.target;
    const m = ABSOLUTE.exec(target);
    if (m) {
        const parsed = Url.parse(target);
        let rest = m[3];
        if (rest === '' || rest[0] !== '/') {
            rest = '/' + rest;                       // url.parse gives pathname '/' for an empty path
        }
        return {
            absolute: true,
            uri: target,
            pathAndQuery: rest,
            host: parsed.hostname,
            port: parsed.port || (parsed.protocol === 'http:' ? 80 : 443)
        };
    }

    if (target[0] !== '/') {
        throw new CaseError('invalid_request', 'target is neither origin-form nor absolute-form: ' + target);
    }

    const hostHeader = header(req.headers, 'host');
    let host = null;
    if (hostHeader !== undefined) {
        host = Hawk.utils.parseHost({ headers: { host: hostHeader } });
    }

    const q = target.indexOf('?');
    const pathname = q === -1 ? target : target.slice(0, q);
    const search = q === -1 ? '' : target.slice(q);
    const out = { absolute: false, pathAndQuery: target, host: host && host.name, port: host && host.port };
    if (policy) {
        out.host = policy.host || out.host;
        out.port = policy.port || out.port;
    }

    out.uri = { protocol: 'http:', hostname: out.host, port: out.port, pathname, search };
    return out;
}

function setNow(now) {
    const ms = now * 1000;
    Hawk.utils.setTimeFunction(() => ms);
}

function mapError(err, ctx) {
    const msg = (err && err.message) || String(err);
    if (err instanceof CaseError) {
        return [err.kind, msg];
    }

    if (err && err.isMissing) {
        return ['missing_authorization', msg];
    }

    const table = [
        [/^Invalid Host header$/, 'invalid_request'],
        [/^Header length too long$/, 'malformed_authorization'],
        [/^Invalid header syntax$/, 'malformed_authorization'],
        [/^Bad header format$/, 'malformed_authorization'],
        [/^Unknown attribute: /, 'malformed_authorization'],
        [/^Bad attribute value: /, 'malformed_authorization'],
        [/^Duplicate attribute: /, 'malformed_authorization'],
        [/^Missing attributes$/, 'malformed_authorization'],
        [/^Unknown credentials$/, 'unknown_key'],
        [/^Bad mac$/, 'bad_signature'],
        [/^Missing required payload hash$/, 'missing_signed_header'],
        [/^Bad payload hash$/, 'body_mismatch'],
        [/^Invalid nonce$/, 'replayed'],
        [/^Empty bewit$/, 'malformed_authorization'],
        [/^Invalid method$/, 'invalid_request'],
        [/^Multiple authentications$/, 'invalid_request'],
        [/^Resource path exceeds max length$/, 'invalid_request'],
        [/^Invalid bewit encoding$/, 'malformed_authorization'],
        [/^Invalid bewit structure$/, 'malformed_authorization'],
        [/^Missing bewit attributes$/, 'malformed_authorization'],
        [/^Access expired$/, 'stale'],
        // response authentication (Hawk.client.authenticate)
        [/^Missing Server-Authorization header$/, 'missing_authorization'],
        [/^Invalid Server-Authorization header$/, 'malformed_authorization'],
        [/^Bad response mac$/, 'bad_signature'],
        [/^Missing response hash attribute$/, 'missing_signed_header'],
        [/^Bad response payload mac$/, 'body_mismatch'],
        [/^Invalid WWW-Authenticate header$/, 'malformed_authorization'],
        [/^Invalid server timestamp hash$/, 'bad_signature'],
        // signing / configuration
        [/^Invalid argument type$/, 'invalid_request'],
        [/^Invalid inputs$/, 'invalid_request'],
        [/^Invalid credentials$/, 'invalid_request'],
        [/^Unknown algorithm$/, 'invalid_request'],
        [/^Bad attribute value \(/, 'invalid_request']
    ];
    if (/^Stale timestamp$/.test(msg)) {
        const ts = Number(err.artifacts && err.artifacts.ts);
        return [ts * 1000 < ctx.now * 1000 ? 'stale' : 'future', msg];
    }

    for (const [re, kind] of table) {
        if (re.test(msg)) {
            return [kind, msg];
        }
    }

    return ['invalid_request', 'unmapped hawk error: ' + msg];
}

function hasHash(authorization, keys) {
    try {
        return !!Hawk.utils.parseAuthorizationHeader(authorization, keys).hash;
    }
    catch (err) {
        return false;
    }
}

function credentialsFunc(c, creds) {
    return async (id) => (id === c.credentials.key_id ? { id, key: creds.key, algorithm: creds.algorithm } : null);
}

function serverOptions(c, loc, payload, authorization) {
    const policy = c.policy || {};
    const options = { timestampSkewSec: policy.timestamp_skew !== undefined ? policy.timestamp_skew : 60 };
    if (loc.absolute) {
        options.host = loc.host;
        options.port = loc.port;
    }

    if (policy.host !== undefined) {
        options.host = policy.host;
    }

    if (policy.port !== undefined) {
        options.port = policy.port;
    }

    const mode = policy.payload || 'verify';
    if (mode === 'require' || (mode === 'verify' && hasHash(authorization))) {
        options.payload = payload;
    }

    return options;
}

function nodeRequest(req, loc) {
    return { method: req.method, url: loc.pathAndQuery, headers: nodeHeaders(req.headers) };
}

function macOf(headerValue) {
    const m = /(?:^|[\s,])mac="([^"]*)"/.exec(headerValue);
    return m ? m[1] : undefined;
}

async function signRequest(c) {
    const scheme = c.scheme || {};
    const creds = credentialsOf(c, scheme);
    const req = c.request;
    const loc = locate(req);
    if (!loc.absolute && !loc.host) {
        throw new CaseError('invalid_request', 'origin-form target without a usable Host header');
    }

    setNow(c.now);
    if ((scheme.signature_type || 'header') === 'bewit') {
        const bewit = Hawk.uri.getBewit(loc.uri, { credentials: creds, ttlSec: scheme.ttl, ext: scheme.ext });
        const parts = Buffer.from(bewit, 'base64').toString('binary').split('\\');
        const ext = scheme.ext === null || scheme.ext === undefined ? '' : scheme.ext;
        const u = typeof loc.uri === 'string' ? Url.parse(loc.uri) : loc.uri;
        const resource = u.pathname + (u.search || '');
        const artifacts = { ts: parts[1], nonce: '', method: 'GET', resource, host: u.hostname, port: u.port || (u.protocol === 'http:' ? 80 : 443), ext };
        const sts = Hawk.crypto.generateNormalizedString('bewit', artifacts);
        if (Hawk.crypto.calculateMac('bewit', creds, artifacts) !== parts[2]) {
            throw new Error('oracle bug: rebuilt bewit string does not give hawk\'s mac');
        }

        const url = req.target + (req.target.includes('?') ? '&' : '?') + 'bewit=' + bewit;
        return { ok: true, headers: [], string_to_sign: sts, url };
    }

    const options = { credentials: creds, timestamp: c.now, nonce: scheme.nonce, ext: scheme.ext, app: scheme.app, dlg: scheme.dlg };
    if (scheme.payload_hash !== false) {
        options.payload = body(req);
        options.contentType = header(req.headers, 'content-type');
    }

    const result = Hawk.client.header(loc.uri, req.method, options);
    const sts = Hawk.crypto.generateNormalizedString('header', result.artifacts);
    if (Hawk.crypto.calculateMac('header', creds, result.artifacts) !== macOf(result.header)) {
        throw new Error('oracle bug: rebuilt string does not give hawk\'s mac');
    }

    return { ok: true, headers: [['Authorization', result.header]], string_to_sign: sts };
}

async function verifyRequest(c) {
    const scheme = c.scheme || {};
    const creds = credentialsOf(c, scheme);
    const req = c.request;
    const loc = locate(req);
    const authorization = header(req.headers, 'authorization');
    const options = serverOptions(c, loc, body(req), authorization);
    setNow(c.now);
    let out;
    if ((scheme.signature_type || 'header') === 'bewit') {
        out = await Hawk.uri.authenticate(nodeRequest(req, loc), credentialsFunc(c, creds), { host: options.host, port: options.port });
    }
    else {
        out = await Hawk.server.authenticate(nodeRequest(req, loc), credentialsFunc(c, creds), options);
    }

    return { ok: true, key_id: out.credentials.id };
}

async function signResponse(c) {
    const scheme = c.scheme || {};
    const creds = credentialsOf(c, scheme);
    const req = c.request;
    const loc = locate(req);
    const options = serverOptions(c, loc, body(req), header(req.headers, 'authorization'));
    setNow(c.now);
    const { artifacts } = await Hawk.server.authenticate(nodeRequest(req, loc), credentialsFunc(c, creds), options);
    const res = c.response;
    const hopts = { ext: scheme.ext };
    if (scheme.payload_hash !== false) {
        hopts.payload = body(res);
        hopts.contentType = header(res.headers, 'content-type');
    }

    const value = Hawk.server.header(creds, artifacts, hopts);
    const a = Object.assign({}, artifacts, { ext: scheme.ext });
    delete a.mac;
    a.hash = hopts.payload !== undefined ? Hawk.crypto.calculatePayloadHash(hopts.payload, creds.algorithm, hopts.contentType) : undefined;
    const sts = Hawk.crypto.generateNormalizedString('response', a);
    if (Hawk.crypto.calculateMac('response', creds, a) !== macOf(value)) {
        throw new Error('oracle bug: rebuilt response string does not give hawk\'s mac');
    }

    return { ok: true, headers: [['Server-Authorization', value]], string_to_sign: sts };
}

async function verifyResponse(c) {
    const scheme = c.scheme || {};
    const creds = credentialsOf(c, scheme);
    const req = c.request;
    const loc = locate(req, c.policy);
    const authorization = header(req.headers, 'authorization');
    let attrs;
    try {
        attrs = Hawk.utils.parseAuthorizationHeader(authorization);
    }
    catch (err) {
        throw new CaseError('invalid_request', 'the request\'s Authorization does not parse: ' + err.message);
    }

    let host = loc.host;
    let port = loc.port;
    const policy = c.policy || {};
    if (policy.host !== undefined) {
        host = policy.host;
    }

    if (policy.port !== undefined) {
        port = policy.port;
    }

    if (!host || !port) {
        throw new CaseError('invalid_request', 'no host/port for the request');
    }

    const artifacts = {
        method: req.method, host, port, resource: loc.pathAndQuery,
        ts: attrs.ts, nonce: attrs.nonce, hash: attrs.hash, ext: attrs.ext, app: attrs.app, dlg: attrs.dlg, id: attrs.id
    };
    const res = { statusCode: c.response.status, headers: nodeHeaders(c.response.headers) };
    const options = { required: true };
    const mode = policy.payload || 'verify';
    if (mode === 'require' || (mode === 'verify' && hasHash(res.headers['server-authorization'], ['mac', 'ext', 'hash']))) {
        options.payload = body(c.response);
    }

    setNow(c.now);
    Hawk.client.authenticate(res, creds, artifacts, options);
    return { ok: true, key_id: c.credentials.key_id };
}

async function answer(c) {
    try {
        if (!c.scheme || c.scheme.name !== 'hawk') {
            return { ok: false, error: 'unsupported', message: 'not a hawk case' };
        }

        if (c.op === 'sign') {
            return await (c.response ? signResponse(c) : signRequest(c));
        }

        if (c.op === 'verify') {
            return await (c.response ? verifyResponse(c) : verifyRequest(c));
        }

        return { ok: false, error: 'unsupported', message: 'op ' + c.op };
    }
    catch (err) {
        if (/^oracle bug/.test(err.message)) {
            throw err;
        }

        const [kind, message] = mapError(err, c);
        return { ok: false, error: kind, message };
    }
}

// `--lines`: one case per input line, one result per output line, as they come (a test keeps
// one process for all its cases).
async function lines() {
    const rl = require('readline').createInterface({ input: process.stdin, terminal: false });
    for await (const line of rl) {
        if (!line.trim()) {
            continue;
        }
        const c = JSON.parse(line);
        const r = await answer(c.case || c);
        process.stdout.write(JSON.stringify(Object.assign({ id: c.id }, r)) + '\n');
    }
}

async function main() {
    if (process.argv[2] === '--lines') {
        return lines();
    }
    const chunks = [];
    const file = process.argv[2];
    const text = file ? require('fs').readFileSync(file, 'utf8') : await new Promise((resolve) => {
        process.stdin.on('data', (d) => chunks.push(d));
        process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    const input = JSON.parse(text);
    const out = [];
    for (const item of input) {
        const c = item.case || item;
        const r = await answer(c);
        out.push(Object.assign({ id: c.id }, r));
    }

    process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
});
