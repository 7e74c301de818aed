'use strict';
// Tablestore instance network ACLs through the unmodified `tablestore` npm
// package. Instance "vpconly" allows NetworkTypeACL [VPC] and
// NetworkSourceACL [TRUST_PROXY] (the console's "Tablestore console or bound
// VPCs"). The network of a request is the endpoint host the client used:
// a client on the public endpoint <inst>.cn-hangzhou.ots.aliyuncs.com is
// refused with 403 OTSAuthFailed "Request denied by instance ACL policies."
// even as the account's root; the decision record names the network-acl
// layer and the rule, and the simulator and a replay bundle agree. The VPC
// endpoint, the x-acs-emu-source-vpc header and an instance without an ACL
// (also over 127.0.0.1, the world's default network) pass.
const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, run, SRC } = require('../support/emu');
const { lastDenial } = require('../support/denial');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/network_acl.json');
const ROOT = ['LTAInetRoot12345', 'net-secret-root'];
const APP = ['LTAInetApp12345', 'net-secret-app'];
const DENIED = 'Request denied by instance ACL policies.';

// Every host name resolves to the emulator: the SDK connects to 127.0.0.1
// but sends the endpoint's own Host, as it would in the cloud.
const lookup = (host, opts, cb) => (opts && opts.all
  ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
// Test-only origin headers (x-acs-emu-*) go on through an agent, since the
// SDK has no option for extra headers.
class OriginAgent extends http.Agent {
  constructor(headers) { super(); this.extra = headers; }
  addRequest(req, opts) {
    for (const [k, v] of Object.entries(this.extra)) req.setHeader(k, v);
    return super.addRequest(req, opts);
  }
}
const client = (emu, [accessKeyId, secretAccessKey], host, instancename, headers) =>
  new TableStore.Client({ accessKeyId, secretAccessKey, instancename, maxRetries: 0,
    endpoint: host ? `http://${host}:${emu.port}` : emu.base,
    httpOptions: { lookup, ...(headers ? { agent: new OriginAgent(headers) } : {}) } });
const getRow = (c) => c.getRow({ tableName: 't', primaryKey: [{ id: TableStore.Long.fromNumber(1) }], maxVersions: 1 });
const denied = (p) => assert.rejects(p, (e) => {
  assert.strictEqual(e.code, 403, e.message);
  // The Node SDK's message is the raw Error body: code, then message.
  assert.ok(e.message.includes('OTSAuthFailed'), e.message);
  assert.ok(e.message.includes(DENIED), e.message);
  return true;
});

test('network ACLs through the tablestore SDK', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('the public endpoint is refused by a VPC-only instance', async () => {
    await denied(getRow(client(emu, APP, 'vpconly.cn-hangzhou.ots.aliyuncs.com', 'vpconly')));
    const rec = await lastDenial(emu, { principal: APP[0], action: 'ots:GetRow' }, {
      layer: 'network-acl',
      reason: /^network INTERNET is not in the network type ACL \[VPC\] of instance vpconly, and no trusted proxy relayed the request: Request denied by instance ACL policies\.$/ });
    const check = rec.checks[rec.checks.length - 1];
    assert.deepStrictEqual(check.network, { instance: 'vpconly', type: 'INTERNET', trustProxy: false,
      networkTypeACL: ['VPC'], networkSourceACL: ['TRUST_PROXY'], allowed: false });
    // The root of the owning account is no exception; nor is the classic
    // internal endpoint, nor a bare 127.0.0.1 (the world's default network,
    // INTERNET).
    await denied(getRow(client(emu, ROOT, 'vpconly.cn-hangzhou.ots.aliyuncs.com', 'vpconly')));
    await denied(getRow(client(emu, APP, 'vpconly.cn-hangzhou.ots-internal.aliyuncs.com', 'vpconly')));
    await lastDenial(emu, { principal: APP[0], action: 'ots:GetRow' }, { layer: 'network-acl', reason: /^network CLASSIC / });
    await denied(getRow(client(emu, APP, null, 'vpconly')));
  });

  await t.test('the VPC endpoint and an instance without an ACL pass', async () => {
    const r = await getRow(client(emu, APP, 'vpconly.cn-hangzhou.vpc.tablestore.aliyuncs.com', 'vpconly'));
    assert.strictEqual(r.row.primaryKey, undefined);
    await getRow(client(emu, APP, 'open.cn-hangzhou.ots.aliyuncs.com', 'open'));
    await getRow(client(emu, APP, null, 'open'));
  });

  await t.test('test headers name the network, and simulate agrees', async () => {
    const pub = 'vpconly.cn-hangzhou.ots.aliyuncs.com';
    await getRow(client(emu, APP, pub, 'vpconly', { 'x-acs-emu-source-vpc': 'vpc-abc' }));
    await getRow(client(emu, APP, pub, 'vpconly', { 'x-acs-emu-source-network': 'trust-proxy' }));
    await denied(getRow(client(emu, APP, pub, 'vpconly', { 'x-acs-emu-source-network': 'classic' })));
    await assert.rejects(getRow(client(emu, APP, pub, 'vpconly', { 'x-acs-emu-source-network': 'lan' })),
      (e) => e.code === 400 && /x-acs-emu-source-network: lan/.test(e.message));
    const sim = async (body) => (await emu.json('POST', '/_emu/simulate', { principal: 'acs:ram::12345:user/app',
      action: 'ots:GetRow', resource: 'acs:ots:cn-hangzhou:12345:instance/vpconly/table/t', ...body }));
    assert.strictEqual((await sim({ sourceVpc: 'vpc-abc' })).body.decidingLayer, 'identity-policy');
    assert.strictEqual((await sim({ network: 'trust-proxy' })).body.decision, 'Allow');
    const s = (await sim({ network: 'classic' })).body;
    assert.strictEqual(s.decidingLayer, 'network-acl');
    assert.match(s.reason, /^network CLASSIC is not in the network type ACL \[VPC\]/);
    assert.strictEqual((await sim({ network: 'lan' })).status, 400);
  });

  await t.test('the ACL is world state', async () => {
    const w = (await emu.json('GET', '/_emu/world')).body;
    const inst = w.Accounts[0].Tablestore.Instances.find((i) => i.InstanceName === 'vpconly');
    assert.deepStrictEqual(inst.NetworkTypeACL, ['VPC']);
    assert.deepStrictEqual(inst.NetworkSourceACL, ['TRUST_PROXY']);
  });
});

test('acsemu simulate checks the network ACL', async () => {
  const args = ['simulate', '--world', WORLD, '--principal', 'acs:ram::12345:user/app', '--action', 'ots:GetRow',
    '--resource', 'acs:ots:cn-hangzhou:12345:instance/vpconly/table/t'];
  let r = await run(args);
  assert.strictEqual(r.code, 1, r.stderr);
  assert.strictEqual(JSON.parse(r.stdout).decidingLayer, 'network-acl');
  r = await run([...args, '--network', 'vpc']);
  assert.strictEqual(r.code, 0, r.stderr);
  r = await run([...args, '--network', 'lan']);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /not internet, vpc, classic or trust-proxy/);
});
