'use strict';
// A small signed RPC client for integration tests (signature V1 from
// tests/support/sign.js, rpc-api.md §3): call(emu, ak, action, params)
// sends a GET with every parameter in the query and parses the answer.
const { v1Path, signV1, v1Params, toQuery } = require('./sign');

const VERSIONS = { ram: '2015-05-01', sts: '2015-04-01' };

// secrets: AccessKeyId → secret; tokens: AccessKeyId → SecurityToken.
function client(emu, secrets, tokens = {}) {
  async function call(ak, action, params = {}, opts = {}) {
    const version = opts.version || VERSIONS[opts.product || 'ram'];
    const extra = { ...params };
    if (tokens[ak]) extra.SecurityToken = tokens[ak];
    if (opts.xml) extra.Format = 'XML';
    let r;
    if (opts.post) {
      const p = signV1({ ...v1Params(action, version, ak), ...extra }, secrets[ak] || 'x', 'POST').params;
      r = await emu.request('POST', '/', toQuery(p), { 'content-type': 'application/x-www-form-urlencoded' });
    } else {
      r = await emu.request('GET', v1Path(action, version, ak, secrets[ak] || 'x', extra));
    }
    let body = r.body;
    if (!opts.xml) body = r.body.length ? JSON.parse(r.body) : null;
    return { status: r.status, headers: r.headers, body };
  }
  return call;
}

module.exports = { client };
