'use strict';
// Tablestore instance policies through the unmodified `tablestore` npm
// package. Instance cap1 of account 12345 carries an instance policy whose
// Deny (Sid WritesFromOfficeVpcOnly) refuses writes from anywhere but
// vpc-office, whoever asks, and whose Allow (Sid PartnerReads) lets account
// 56789 read cap1's tables. A write from the public network is refused with
// 403 OTSNoPermissionAccess even for a user holding AliyunOTSFullAccess and
// for the account's root; the decision record names the instance-policy
// layer and the statement, and the simulator and a replay bundle agree. The
// partner's reads pass (cross-account, its AliyunOTSReadOnlyAccess and the
// instance policy both allow), its reads of another instance do not.
const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, run, SRC } = require('../support/emu');
const { lastDenial } = require('../support/denial');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/instance_policy.json');
const ROOT = ['LTAIipRoot12345', 'ip-secret-root'];
const APP = ['LTAIipApp12345', 'ip-secret-app'];
const PARTNER = ['LTAIipPartner5678', 'ip-secret-partner'];
const NO_PERMISSION = 'You have no permission to access the requested resource, please contact the resource owner';

// Test-only origin header (x-acs-emu-source-vpc) through an agent, since
// the SDK has no option for extra headers.
class OriginAgent extends http.Agent {
  constructor(headers) { super(); this.extra = headers; }
  addRequest(req, opts) {
    for (const [k, v] of Object.entries(this.extra)) req.setHeader(k, v);
    return super.addRequest(req, opts);
  }
}
const client = (emu, [accessKeyId, secretAccessKey], instancename, headers) =>
  new TableStore.Client({ accessKeyId, secretAccessKey, instancename, maxRetries: 0, endpoint: emu.base,
    ...(headers ? { httpOptions: { agent: new OriginAgent(headers) } } : {}) });
const pk = [{ id: TableStore.Long.fromNumber(1) }];
const putRow = (c) => c.putRow({ tableName: 't', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
  primaryKey: pk, attributeColumns: [{ v: 'x' }] });
const getRow = (c) => c.getRow({ tableName: 't', primaryKey: pk, maxVersions: 1 });
const denied = (p) => assert.rejects(p, (e) => {
  assert.strictEqual(e.code, 403, e.message);
  // The Node SDK's message is the raw Error body: code, then message.
  assert.ok(e.message.includes('OTSNoPermissionAccess'), e.message);
  assert.ok(e.message.includes(NO_PERMISSION), e.message);
  return true;
});
const TABLE = 'acs:ots:cn-hangzhou:12345:instance/cap1/table/t';

test('instance policies through the tablestore SDK', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('the Deny refuses writes from outside the office VPC, to everyone', async () => {
    await denied(putRow(client(emu, APP, 'cap1')));
    const rec = await lastDenial(emu, { principal: APP[0], action: 'ots:PutRow' }, {
      layer: 'instance-policy',
      reason: new RegExp(`^explicit deny of ots:PutRow on ${TABLE} in Instance policy cap1 /Statement/0 ` +
        '\\(Sid WritesFromOfficeVpcOnly\\); caller is RAM acs:ram::12345:user/app$') });
    assert.strictEqual(rec.decision, 'ExplicitDeny');
    const check = rec.checks[rec.checks.length - 1];
    assert.strictEqual(check.decidingLayer, 'instance-policy');
    assert.strictEqual(check.decidingStatement.sid, 'WritesFromOfficeVpcOnly');
    assert.strictEqual(check.decidingStatement.policy, 'cap1');
    assert.strictEqual(check.decidingStatement.type, 'Instance');
    // The owner's root is no exception.
    await denied(putRow(client(emu, ROOT, 'cap1')));
    await lastDenial(emu, { principal: ROOT[0], action: 'ots:PutRow' }, { layer: 'instance-policy' });
  });

  await t.test('from the office VPC the write passes', async () => {
    await putRow(client(emu, APP, 'cap1', { 'x-acs-emu-source-vpc': 'vpc-office' }));
    await denied(putRow(client(emu, APP, 'cap1', { 'x-acs-emu-source-vpc': 'vpc-guest' })));
    const r = await getRow(client(emu, APP, 'cap1'));
    assert.strictEqual(r.row.attributes[0].columnValue, 'x');
  });

  await t.test('another account reads through the instance policy, and only there', async () => {
    const r = await getRow(client(emu, PARTNER, 'cap1'));
    assert.strictEqual(r.row.attributes[0].columnValue, 'x');
    await denied(getRow(client(emu, PARTNER, 'other')));
    await lastDenial(emu, { principal: PARTNER[0], action: 'ots:GetRow' }, { layer: 'cross-account-boundary' });
    // Its own policies allow reads only: a write (even from the VPC, which
    // the Deny would let through) stops at its identity policies.
    await denied(putRow(client(emu, PARTNER, 'cap1', { 'x-acs-emu-source-vpc': 'vpc-office' })));
    await lastDenial(emu, { principal: PARTNER[0], action: 'ots:PutRow' }, { layer: 'cross-account-boundary',
      reason: /^the instance policy of .* does not allow RAM acs:ram::56789:user\/partner to ots:PutRow/ });
  });

  await t.test('the instance policy is world state', async () => {
    const w = (await emu.json('GET', '/_emu/world')).body;
    const inst = w.Accounts[0].Tablestore.Instances.find((i) => i.InstanceName === 'cap1');
    assert.strictEqual(inst.InstancePolicy.Statement[1].Sid, 'PartnerReads');
    assert.strictEqual(inst.InstancePolicyVersion, 1);
  });
});

test('acsemu simulate evaluates the instance policy', async () => {
  const args = ['simulate', '--world', WORLD, '--principal', 'acs:ram::12345:user/app', '--action', 'ots:PutRow',
    '--resource', TABLE];
  let r = await run(args);
  assert.strictEqual(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.strictEqual(out.decidingLayer, 'instance-policy');
  r = await run([...args, '--source-vpc', 'vpc-office']);
  assert.strictEqual(r.code, 0, r.stderr);
  assert.strictEqual(JSON.parse(r.stdout).decidingLayer, 'identity-policy');
});
