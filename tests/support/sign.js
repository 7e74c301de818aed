'use strict';
// Request signing for tests, written from the spec (rpc-api.md §3, §4)
// with Node's crypto only, so integration tests do not depend on an SDK.
const crypto = require('node:crypto');

// rpc-api.md §3.1: encodeURIComponent plus ! ' ( ) * escaped.
function pct(s) {
  return encodeURIComponent(String(s)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function canonicalQuery(params) {
  return Object.keys(params).filter((k) => k !== 'Signature').sort()
    .map((k) => `${pct(k)}=${pct(params[k])}`).join('&');
}

function nonce() { return crypto.randomBytes(16).toString('hex'); }
function isoNow(offsetMs = 0) { return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

// V1: returns { params (with Signature), stringToSign }.
function signV1(params, secret, method = 'GET') {
  const sts = `${method}&%2F&${pct(canonicalQuery(params))}`;
  const sig = crypto.createHmac('sha1', secret + '&').update(sts).digest('base64');
  return { params: { ...params, Signature: sig }, stringToSign: sts };
}

// The common V1 parameters of an RPC call, ready for signV1.
function v1Params(action, version, ak, extra = {}) {
  return {
    Action: action, Version: version, Format: 'JSON', AccessKeyId: ak,
    SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: nonce(),
    Timestamp: isoNow(), ...extra,
  };
}

function toQuery(params) {
  return Object.keys(params).map((k) => `${pct(k)}=${pct(params[k])}`).join('&');
}

// A signed V1 GET path: '/?...'.
function v1Path(action, version, ak, secret, extra = {}) {
  return '/?' + toQuery(signV1(v1Params(action, version, ak, extra), secret, 'GET').params);
}

// V3 (ACS3-HMAC-SHA256). Returns the headers to send (lower-case names).
function signV3({ method = 'POST', host, query = {}, body = '', headers = {}, ak, secret, action, version,
  date = isoNow(), nonceValue = crypto.randomBytes(32).toString('hex') }) {
  const h = {
    host,
    'x-acs-action': action,
    'x-acs-version': version,
    'x-acs-date': date,
    'x-acs-signature-nonce': nonceValue,
    'x-acs-content-sha256': crypto.createHash('sha256').update(body).digest('hex'),
    ...headers,
  };
  const names = Object.keys(h).map((k) => k.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  const canonHeaders = names.map((n) => `${n}:${String(lower[n]).trim()}\n`).join('');
  const cq = Object.keys(query).sort().map((k) => `${pct(k)}=${pct(query[k])}`).join('&');
  const creq = [method, '/', cq, canonHeaders, names.join(';'), lower['x-acs-content-sha256']].join('\n');
  const sts = 'ACS3-HMAC-SHA256\n' + crypto.createHash('sha256').update(creq).digest('hex');
  const sig = crypto.createHmac('sha256', secret).update(sts).digest('hex');
  return {
    headers: { ...lower, authorization: `ACS3-HMAC-SHA256 Credential=${ak},SignedHeaders=${names.join(';')},Signature=${sig}` },
    path: '/' + (Object.keys(query).length ? '?' + toQuery(query) : ''),
    stringToSign: sts,
  };
}

module.exports = { pct, canonicalQuery, signV1, v1Params, v1Path, toQuery, signV3, nonce, isoNow };
