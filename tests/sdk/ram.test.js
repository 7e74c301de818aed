'use strict';
// The official @alicloud/ram20150501 client, unmodified (default signature
// V3; V1 once), against acsemu: a role's lifecycle, a policy's lifecycle,
// and errors as the SDK surfaces them (e.code, e.statusCode).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, SRC } = require('../support/emu');
const Ram = require('@alicloud/ram20150501');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/ram.json');
const TRUST = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole',
  Principal: { RAM: ['acs:ram::12345:root'] } }] });

function ram(emu, accessKeyId, accessKeySecret, extra = {}) {
  return new Ram.default(new $OpenApiUtil.Config({ accessKeyId, accessKeySecret,
    endpoint: `127.0.0.1:${emu.port}`, protocol: 'http', ...extra }));
}

test('RAM through @alicloud/ram20150501', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const root = ram(emu, 'LTAIramRootA12345', 'ram-secret-root-a');

  await t.test('CreateRole → AttachPolicyToRole → GetRole → ListPoliciesForRole → Detach → DeleteRole', async () => {
    const c = await root.createRole(new Ram.CreateRoleRequest({ roleName: 'SdkRole', assumeRolePolicyDocument: TRUST,
      description: 'from the SDK', maxSessionDuration: 3600 }));
    assert.strictEqual(c.statusCode, 200);
    assert.strictEqual(c.body.role.roleName, 'SdkRole');
    assert.strictEqual(c.body.role.arn, 'acs:ram::12345:role/sdkrole');
    assert.match(c.body.role.roleId, /^\d{19}$/);

    await root.attachPolicyToRole(new Ram.AttachPolicyToRoleRequest({ policyType: 'System',
      policyName: 'AliyunOTSReadOnlyAccess', roleName: 'sdkrole' }));
    const g = await root.getRole(new Ram.GetRoleRequest({ roleName: 'SDKROLE' }));
    assert.strictEqual(g.body.role.assumeRolePolicyDocument, TRUST);
    assert.strictEqual(g.body.role.description, 'from the SDK');
    assert.strictEqual(g.body.role.maxSessionDuration, 3600);
    const l = await root.listPoliciesForRole(new Ram.ListPoliciesForRoleRequest({ roleName: 'SdkRole' }));
    assert.deepStrictEqual(l.body.policies.policy.map((p) => [p.policyName, p.policyType]),
      [['AliyunOTSReadOnlyAccess', 'System']]);

    await assert.rejects(root.deleteRole(new Ram.DeleteRoleRequest({ roleName: 'SdkRole' })), (e) => {
      assert.strictEqual(e.code, 'DeleteConflict.Role.Policy');
      assert.strictEqual(e.statusCode, 409);
      return true;
    });
    await root.detachPolicyFromRole(new Ram.DetachPolicyFromRoleRequest({ policyType: 'System',
      policyName: 'AliyunOTSReadOnlyAccess', roleName: 'SdkRole' }));
    const d = await root.deleteRole(new Ram.DeleteRoleRequest({ roleName: 'SdkRole' }));
    assert.strictEqual(d.statusCode, 200);
    await assert.rejects(root.getRole(new Ram.GetRoleRequest({ roleName: 'SdkRole' })), (e) => {
      assert.strictEqual(e.code, 'EntityNotExist.Role');
      assert.strictEqual(e.statusCode, 404);
      assert.match(e.message, /The role does not exist\./);
      return true;
    });
  });

  await t.test('a policy with versions (signature V1 client)', async () => {
    const v1 = ram(emu, 'LTAIramRootA12345', 'ram-secret-root-a', { signatureAlgorithm: 'v2' });
    const doc = (a) => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: a, Resource: '*' }] });
    const p = await v1.createPolicy(new Ram.CreatePolicyRequest({ policyName: 'sdk-pol', policyDocument: doc('ots:GetRow'),
      description: 'a b*c~d!e\'f(g)h+i/j中' }));
    assert.strictEqual(p.body.policy.defaultVersion, 'v1');
    assert.strictEqual(p.body.policy.description, 'a b*c~d!e\'f(g)h+i/j中');
    const v = await v1.createPolicyVersion(new Ram.CreatePolicyVersionRequest({ policyName: 'sdk-pol',
      policyDocument: doc('ots:*'), setAsDefault: true }));
    assert.deepStrictEqual([v.body.policyVersion.versionId, v.body.policyVersion.isDefaultVersion], ['v2', true]);
    const lv = await root.listPolicyVersions(new Ram.ListPolicyVersionsRequest({ policyName: 'sdk-pol', policyType: 'Custom' }));
    assert.deepStrictEqual(lv.body.policyVersions.policyVersion.map((x) => x.versionId), ['v1', 'v2']);
    await root.deletePolicyVersion(new Ram.DeletePolicyVersionRequest({ policyName: 'sdk-pol', versionId: 'v1' }));
    await root.deletePolicy(new Ram.DeletePolicyRequest({ policyName: 'sdk-pol' }));
  });

  await t.test('errors as the SDK surfaces them', async () => {
    await assert.rejects(root.createPolicy(new Ram.CreatePolicyRequest({ policyName: 'bad',
      policyDocument: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ots:GetRow"}]}' })), (e) => {
      assert.strictEqual(e.code, 'MalformedPolicyDocument');
      assert.strictEqual(e.statusCode, 400);
      return true;
    });
    await assert.rejects(root.createRole(new Ram.CreateRoleRequest({ roleName: 'Ops', assumeRolePolicyDocument: TRUST })),
      (e) => {
        assert.strictEqual(e.code, 'EntityAlreadyExists.Role');
        assert.strictEqual(e.statusCode, 409);
        return true;
      });
    // A RAM user without ram:CreateRole, then with AliyunRAMFullAccess.
    const alice = ram(emu, 'LTAIramAlice12345', 'ram-secret-alice');
    await assert.rejects(alice.createRole(new Ram.CreateRoleRequest({ roleName: 'a-role', assumeRolePolicyDocument: TRUST })),
      (e) => {
        assert.strictEqual(e.code, 'NoPermission');
        assert.strictEqual(e.statusCode, 403);
        assert.strictEqual(e.accessDeniedDetail.AuthAction, 'ram:CreateRole');
        assert.strictEqual(e.accessDeniedDetail.NoPermissionType, 'ImplicitDeny');
        return true;
      });
    await root.attachPolicyToUser(new Ram.AttachPolicyToUserRequest({ policyType: 'System',
      policyName: 'AliyunRAMFullAccess', userName: 'alice' }));
    const r = await alice.createRole(new Ram.CreateRoleRequest({ roleName: 'a-role', assumeRolePolicyDocument: TRUST }));
    assert.strictEqual(r.body.role.arn, 'acs:ram::12345:role/a-role');
  });
});
