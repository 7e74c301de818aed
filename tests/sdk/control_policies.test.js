'use strict';
// Resource Directory control policies through the official @alicloud/pop-core
// RPCClient (ResourceManager 2020-03-31 and RAM 2015-05-01): the management
// account writes a control policy and attaches it to the folder of a member
// account; the member's RAM user, although it holds AdministratorAccess, is
// refused with NoPermission and AccessDeniedDetail.PolicyType ControlPolicy;
// the decision record names the control-policy layer, the statement and the
// folder it is attached to, and the simulator and a replay bundle agree. A
// control policy is a boundary: without FullAliyunAccess on the member's own
// node nothing is allowed. The management account and member roots are not
// bounded.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const RPCClient = require('@alicloud/pop-core');
const { start, run, SRC } = require('../support/emu');
const { lastDenial } = require('../support/denial');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/control.json');
const MASTER = ['LTAIrdMaster12345', 'rd-secret-master'];
const OPS = ['LTAIrdOps12345', 'rd-secret-ops'];
const MEMBER_ROOT = ['LTAIrdMember56789', 'rd-secret-member'];
const DEV = ['LTAIrdDev56789', 'rd-secret-dev'];

const client = (emu, [accessKeyId, accessKeySecret], apiVersion) =>
  new RPCClient({ accessKeyId, accessKeySecret, endpoint: emu.base, apiVersion });
const rm = (emu, k) => client(emu, k, '2020-03-31');
const ram = (emu, k) => client(emu, k, '2015-05-01');
const call = (c, action, params = {}) => c.request(action, params, { method: 'POST' });
const rejects = (p, code) => assert.rejects(p, (e) => {
  assert.strictEqual(e.code, code, e.message);
  return true;
});

test('control policies through @alicloud/pop-core', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const master = rm(emu, MASTER);
  let policyId;

  await t.test('the directory and its control policies', async () => {
    const d = await call(master, 'GetResourceDirectory');
    assert.strictEqual(d.ResourceDirectory.RootFolderId, 'r-emu12345');
    assert.strictEqual(d.ResourceDirectory.ControlPolicyStatus, 'Enabled');
    const l = await call(master, 'ListControlPolicies', { PolicyType: 'System' });
    assert.deepStrictEqual(l.ControlPolicies.ControlPolicy.map((p) => p.PolicyName), ['FullAliyunAccess']);
    const c = await call(master, 'CreateControlPolicy', { PolicyName: 'NoUserAdmin', EffectScope: 'RAM',
      Description: 'members may not create RAM users',
      PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Sid: 'NoNewUsers', Effect: 'Deny',
        Action: 'ram:CreateUser', Resource: '*' }] }) });
    policyId = c.ControlPolicy.PolicyId;
    assert.match(policyId, /^cp-/);
    assert.strictEqual(c.ControlPolicy.PolicyType, 'Custom');
    await call(master, 'AttachControlPolicy', { PolicyId: policyId, TargetId: 'fd-prod' });
    const a = await call(master, 'ListControlPolicyAttachmentsForTarget', { TargetId: 'fd-prod' });
    assert.deepStrictEqual(a.ControlPolicyAttachments.ControlPolicyAttachment.map((x) => x.PolicyName).sort(),
      ['FullAliyunAccess', 'NoUserAdmin']);
    const g = await call(master, 'GetControlPolicy', { PolicyId: policyId });
    assert.strictEqual(g.ControlPolicy.AttachmentCount, 1);
    assert.match(g.ControlPolicy.PolicyDocument, /NoNewUsers/);
  });

  await t.test('errors of the service', async () => {
    await rejects(call(rm(emu, DEV), 'CreateControlPolicy', { PolicyName: 'x', EffectScope: 'RAM',
      PolicyDocument: '{}' }), 'OperationNotAllowed.NotManagementAccount');
    await rejects(call(master, 'DeleteControlPolicy', { PolicyId: policyId }), 'DeleteConflict.ControlPolicy.Attachment');
    await rejects(call(master, 'UpdateControlPolicy', { PolicyId: 'cp-FullAliyunAccess', NewPolicyName: 'x' }),
      'NotSupport.SystemControlPolicy');
    await rejects(call(master, 'AttachControlPolicy', { PolicyId: policyId, TargetId: 'fd-nope' }), 'EntityNotExists.Target');
    await rejects(call(master, 'AttachControlPolicy', { PolicyId: policyId, TargetId: 'fd-prod' }),
      'EntityAlreadyExists.ControlPolicyAttachment');
    await rejects(call(master, 'CreateControlPolicy', { PolicyName: 'bad', EffectScope: 'RAM',
      PolicyDocument: '{"Version":"1","Statement":[{"Effect":"Deny"}]}' }), 'MalformedPolicyDocument');
  });

  await t.test('a member RAM user is refused by the folder\'s control policy', async () => {
    const me = ram(emu, DEV);
    await call(me, 'GetUser', { UserName: 'dev' }); // AdministratorAccess still reads
    await assert.rejects(call(me, 'CreateUser', { UserName: 'x' }), (e) => {
      assert.strictEqual(e.code, 'NoPermission');
      assert.strictEqual(e.data.AccessDeniedDetail.PolicyType, 'ControlPolicy');
      assert.strictEqual(e.data.AccessDeniedDetail.NoPermissionType, 'ExplicitDeny');
      assert.strictEqual(e.data.AccessDeniedDetail.AuthAction, 'ram:CreateUser');
      return true;
    });
    const rec = await lastDenial(emu, { principal: DEV[0], action: 'ram:CreateUser' }, {
      layer: 'control-policy', reason: /^explicit deny of ram:CreateUser .*NoUserAdmin.*a control policy attached to fd-prod$/ });
    const check = rec.checks[rec.checks.length - 1];
    assert.strictEqual(check.decidingStatement.policy, 'NoUserAdmin');
    assert.strictEqual(check.decidingStatement.sid, 'NoNewUsers');
    assert.ok(check.evaluations.some((ev) => ev.decidingLayer === 'control-policy' && ev.attachedTo === 'fd-prod'));
    // The member's root and the management account are not bounded.
    await call(ram(emu, MEMBER_ROOT), 'CreateUser', { UserName: 'byroot' });
    await call(master, 'AttachControlPolicy', { PolicyId: policyId, TargetId: 'r-emu12345' });
    await call(ram(emu, OPS), 'CreateUser', { UserName: 'byops' });
  });

  await t.test('a boundary: without an Allow on the member itself nothing passes', async () => {
    await call(master, 'DetachControlPolicy', { PolicyId: 'cp-FullAliyunAccess', TargetId: '56789' });
    await rejects(call(ram(emu, DEV), 'GetUser', { UserName: 'dev' }), 'NoPermission');
    await lastDenial(emu, { principal: DEV[0], action: 'ram:GetUser' }, {
      layer: 'control-policy', reason: /^no control policy attached to 56789 allows ram:GetUser .*\(no control policy is attached there\)$/ });
    // Disabling control policies lifts every boundary.
    assert.strictEqual((await call(master, 'DisableControlPolicy')).EnablementStatus, 'PendingDisable');
    assert.strictEqual((await call(master, 'GetControlPolicyEnablementStatus')).EnablementStatus, 'Disabled');
    await call(ram(emu, DEV), 'CreateUser', { UserName: 'y' });
  });

  await t.test('the directory is world state: exported and reset', async () => {
    const w = (await emu.json('GET', '/_emu/world')).body;
    const rd = w.Accounts.find((a) => a.AccountId === '12345').ResourceDirectory;
    assert.ok(rd.ControlPolicies.some((p) => p.PolicyName === 'NoUserAdmin'));
    assert.strictEqual(rd.ControlPolicyStatus, 'Disabled');
    await emu.json('POST', '/_emu/reset');
    const l = await call(master, 'ListControlPolicies', {});
    assert.strictEqual(l.TotalCount, 1);
  });
});

test('acsemu simulate sees control policies in a world file', async () => {
  const world = path.join(SRC, 'tests/fuzz/corpus/world/resource-directory-attachments.json');
  let r = await run(['simulate', '--world', world, '--principal', 'acs:ram::56789:user/dev', '--action', 'ots:PutRow',
    '--resource', 'acs:ots:cn-hangzhou:56789:instance/i/table/t']);
  assert.strictEqual(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.strictEqual(out.decidingLayer, 'control-policy');
  assert.match(out.reason, /NoWrites .*a control policy attached to fd-prod$/);
  r = await run(['simulate', '--world', world, '--principal', 'acs:ram::56789:user/dev', '--action', 'ots:GetRow',
    '--resource', 'acs:ots:cn-hangzhou:56789:instance/i/table/t']);
  assert.strictEqual(r.code, 0, r.stderr);
  r = await run(['simulate', '--world', path.join(SRC, 'tests/fuzz/corpus/world/resource-directory-bad-target.json'),
    '--principal', 'acs:ram::56789:user/dev', '--action', 'ots:GetRow']);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /ResourceDirectory\.ControlPolicyAttachments\[1\]\.TargetId: "fd-missing" is not/);
});
