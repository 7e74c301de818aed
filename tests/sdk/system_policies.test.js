'use strict';
// The System policy catalog (data/system-policies/) through the official
// @alicloud/ram20150501 client: ListPolicies PolicyType=System lists it with
// the documented versions and dates, GetPolicy / GetPolicyVersion return the
// documents as the RAM documentation prints them, and a System policy
// attached with PolicyType=System decides a real request: a user holding
// only AliyunRAMReadOnlyAccess is refused ram:CreateUser, the decision record
// names the identity layer and the System policy's statement, and the
// simulator and a replay bundle agree.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const Ram = require('@alicloud/ram20150501');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { start, SRC } = require('../support/emu');
const { lastDenial } = require('../support/denial');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/decisions.json');
const ROOT = ['LTAIemuAccountA12345', 'emu-secret-account-a'];
const NOBODY = ['LTAIemuNobodyA12345', 'emu-secret-nobody'];
const ram = (emu, [accessKeyId, accessKeySecret]) => new Ram.default(new $OpenApiUtil.Config({
  accessKeyId, accessKeySecret, endpoint: `127.0.0.1:${emu.port}`, protocol: 'http' }));

const CATALOG = ['AdministratorAccess', 'ReadOnlyAccess', 'AliyunRAMFullAccess', 'AliyunRAMReadOnlyAccess',
  'AliyunSTSAssumeRoleAccess', 'AliyunOTSFullAccess', 'AliyunOTSReadOnlyAccess', 'AliyunOTSWriteOnlyAccess',
  'AliyunMaxComputeFullAccess', 'AliyunMaxComputeReadOnlyAccess', 'AliyunResourceManagerFullAccess',
  'AliyunODPSRolePolicy', 'AliyunServiceRolePolicyForOdpsMMS'];

test('System policy catalog through @alicloud/ram20150501', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const root = ram(emu, ROOT);

  await t.test('ListPolicies PolicyType=System lists the catalog with its versions', async () => {
    const l = await root.listPolicies(new Ram.ListPoliciesRequest({ policyType: 'System', maxItems: 100 }));
    const byName = new Map(l.body.policies.policy.map((p) => [p.policyName, p]));
    for (const n of CATALOG) assert.ok(byName.has(n), n);
    assert.ok(l.body.policies.policy.every((p) => p.policyType === 'System'));
    const ro = byName.get('AliyunOTSReadOnlyAccess');
    assert.strictEqual(ro.defaultVersion, 'v2');
    assert.strictEqual(ro.createDate, '2016-01-05T05:45:42Z');
    assert.strictEqual(ro.updateDate, '2019-09-04T07:04:56Z');
  });

  await t.test('GetPolicy and GetPolicyVersion return the documented text', async () => {
    const g = await root.getPolicy(new Ram.GetPolicyRequest({ policyType: 'System', policyName: 'AliyunOTSReadOnlyAccess' }));
    assert.strictEqual(g.body.policy.defaultVersion, 'v2');
    assert.strictEqual(g.body.defaultPolicyVersion.versionId, 'v2');
    const doc = JSON.parse(g.body.defaultPolicyVersion.policyDocument);
    assert.ok(doc.Statement[0].Action.includes('ots:SplitTimeseriesScanTask'));
    const v = await root.getPolicyVersion(new Ram.GetPolicyVersionRequest({ policyType: 'System',
      policyName: 'AliyunMaxComputeReadOnlyAccess', versionId: 'v3' }));
    assert.deepStrictEqual(JSON.parse(v.body.policyVersion.policyDocument).Statement[0].Action,
      ['odps:Get*', 'odps:List*', 'odps:Query*', 'odps:Chat*']);
    await assert.rejects(root.getPolicyVersion(new Ram.GetPolicyVersionRequest({ policyType: 'System',
      policyName: 'AliyunMaxComputeReadOnlyAccess', versionId: 'v1' })), (e) => {
      assert.strictEqual(e.code, 'EntityNotExist.Policy.Version');
      return true;
    });
    await assert.rejects(root.getPolicy(new Ram.GetPolicyRequest({ policyType: 'Custom',
      policyName: 'AliyunOTSReadOnlyAccess' })), (e) => e.code === 'EntityNotExist.Policy');
  });

  await t.test('an attached System policy decides, and the record names its statement', async () => {
    await root.attachPolicyToUser(new Ram.AttachPolicyToUserRequest({ policyType: 'System',
      policyName: 'AliyunRAMReadOnlyAccess', userName: 'nobody' }));
    const me = ram(emu, NOBODY);
    const u = await me.getUser(new Ram.GetUserRequest({ userName: 'nobody' }));
    assert.strictEqual(u.body.user.userName, 'nobody');
    await assert.rejects(me.createUser(new Ram.CreateUserRequest({ userName: 'x' })), (e) => {
      assert.strictEqual(e.code, 'NoPermission');
      assert.strictEqual(e.statusCode, 403);
      return true;
    });
    const rec = await lastDenial(emu, { principal: NOBODY[0], action: 'ram:CreateUser' }, {
      layer: 'identity-policy', reason: /no identity policy allows ram:CreateUser/ });
    const check = rec.checks[rec.checks.length - 1];
    assert.strictEqual(check.closestStatement.policy, 'AliyunRAMReadOnlyAccess');
    assert.strictEqual(check.closestStatement.type, 'System');
    assert.strictEqual(check.closestStatement.version, 'v3');
    assert.strictEqual(check.closestStatement.index, 0);
    // The allowed read was decided by the same System statement.
    const ok = (await emu.json('GET', `/_emu/decisions?principal=${NOBODY[0]}&action=ram:GetUser&limit=1`)).body;
    const okRec = (await emu.json('GET', `/_emu/decisions/${ok.decisions[0].id}`)).body;
    assert.strictEqual(okRec.decision, 'Allow');
    assert.strictEqual(okRec.checks[0].decidingStatement.policy, 'AliyunRAMReadOnlyAccess');
  });
});
