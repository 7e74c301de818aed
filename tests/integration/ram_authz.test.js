'use strict';
// The authorize phase as RAM callers see it (DESIGN.md §3, ram-policy.md
// §5): root, RAM users with their own and their groups' policies, role
// sessions with a session policy, explicit denies, changes taking effect on
// the next request, and the audit / off modes.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, logged, SRC } = require('../support/emu');
const { client } = require('../support/rpc');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/ram.json');
const SECRETS = {
  LTAIramRootA12345: 'ram-secret-root-a', LTAIramAuditor12345: 'ram-secret-auditor',
  LTAIramAlice12345: 'ram-secret-alice', LTAIramBoss12345: 'ram-secret-boss',
  LTAIramBuilder12345: 'ram-secret-builder', LTAIramEtl56789: 'ram-secret-etl',
  'STS.ramOpsListOnly': 'ram-secret-sts-list', 'STS.ramOpsFull': 'ram-secret-sts-full',
};
const TOKENS = { 'STS.ramOpsListOnly': 'CAISramOpsListOnlyToken', 'STS.ramOpsFull': 'CAISramOpsFullToken' };
const TRUST = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole',
  Principal: { RAM: ['acs:ram::12345:root'] } }] });
const ROOT = 'LTAIramRootA12345';

function denied(r, action, extra = {}) {
  assert.strictEqual(r.status, 403, JSON.stringify(r.body));
  assert.strictEqual(r.body.Code, 'NoPermission');
  assert.strictEqual(r.body.Message, 'You are not authorized to do this action.');
  const d = r.body.AccessDeniedDetail;
  assert.strictEqual(d.AuthAction, action);
  for (const [k, v] of Object.entries(extra)) assert.strictEqual(d[k], v, k);
  return d;
}

function ok(r) {
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

test('RAM authorization (enforce)', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const call = client(emu, SECRETS, TOKENS);

  await t.test('root may do anything on its own account', async () => {
    ok(await call(ROOT, 'CreateUser', { UserName: 'by-root' }));
    ok(await call(ROOT, 'DeleteUser', { UserName: 'by-root' }));
  });

  await t.test('AliyunRAMReadOnlyAccess: ListUsers yes, CreateUser no', async () => {
    ok(await call('LTAIramAuditor12345', 'ListUsers'));
    ok(await call('LTAIramAuditor12345', 'GetRole', { RoleName: 'ops' }));
    denied(await call('LTAIramAuditor12345', 'CreateUser', { UserName: 'sneaky' }), 'ram:CreateUser', {
      NoPermissionType: 'ImplicitDeny', AuthPrincipalType: 'SubUser', AuthPrincipalOwnerId: '12345',
      AuthPrincipalDisplayName: 'auditor', PolicyType: 'AccountLevelIdentityBasedPolicy',
    });
    // The access log names the decision and the reason.
    await logged(emu, /ERR NoPermission .* ram CreateUser .*decision=deny .*reason=no identity policy allows ram:CreateUser on acs:ram::12345:user\/sneaky/);
  });

  await t.test('attaching allows on the next request, detaching denies on the next', async () => {
    denied(await call('LTAIramAlice12345', 'CreateRole', { RoleName: 'r1', AssumeRolePolicyDocument: TRUST }),
      'ram:CreateRole');
    ok(await call(ROOT, 'AttachPolicyToUser', { UserName: 'alice', PolicyType: 'System', PolicyName: 'AliyunRAMFullAccess' }));
    ok(await call('LTAIramAlice12345', 'CreateRole', { RoleName: 'r1', AssumeRolePolicyDocument: TRUST }));
    ok(await call(ROOT, 'DetachPolicyFromUser', { UserName: 'alice', PolicyType: 'System', PolicyName: 'AliyunRAMFullAccess' }));
    denied(await call('LTAIramAlice12345', 'DeleteRole', { RoleName: 'r1' }), 'ram:DeleteRole');
    ok(await call(ROOT, 'DeleteRole', { RoleName: 'r1' }));
  });

  await t.test('a group grants, an explicit Deny on the user wins', async () => {
    ok(await call('LTAIramBoss12345', 'CreateUser', { UserName: 'temp' }));
    denied(await call('LTAIramBoss12345', 'DeleteUser', { UserName: 'temp' }), 'ram:DeleteUser',
      { NoPermissionType: 'ExplicitDeny' });
    await logged(emu, /reason=.*DenyDeleteUser/);
    ok(await call(ROOT, 'DeleteUser', { UserName: 'temp' }));
    // Leaving the group takes the grant away.
    ok(await call(ROOT, 'RemoveUserFromGroup', { GroupName: 'admins', UserName: 'boss' }));
    denied(await call('LTAIramBoss12345', 'ListUsers'), 'ram:ListUsers');
    ok(await call(ROOT, 'AddUserToGroup', { GroupName: 'admins', UserName: 'boss' }));
    ok(await call('LTAIramBoss12345', 'ListUsers'));
  });

  await t.test('resources: role ARNs are lower-cased before matching', async () => {
    // CreateRolesOnly allows ram:CreateRole on acs:ram:*:12345:role/app-*.
    ok(await call('LTAIramBuilder12345', 'CreateRole', { RoleName: 'App-Web', AssumeRolePolicyDocument: TRUST }));
    denied(await call('LTAIramBuilder12345', 'CreateRole', { RoleName: 'db-admin', AssumeRolePolicyDocument: TRUST }),
      'ram:CreateRole');
    denied(await call('LTAIramBuilder12345', 'CreateUser', { UserName: 'app-x' }), 'ram:CreateUser');
    ok(await call(ROOT, 'DeleteRole', { RoleName: 'app-web' }));
  });

  await t.test('a new default policy version decides the next request', async () => {
    ok(await call(ROOT, 'CreatePolicy', { PolicyName: 'alice-ram', PolicyDocument: JSON.stringify({ Version: '1',
      Statement: [{ Effect: 'Allow', Action: 'ram:GetUser', Resource: '*' }] }) }));
    ok(await call(ROOT, 'AttachPolicyToUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: 'alice-ram' }));
    denied(await call('LTAIramAlice12345', 'ListGroups'), 'ram:ListGroups');
    ok(await call(ROOT, 'CreatePolicyVersion', { PolicyName: 'alice-ram', SetAsDefault: 'true',
      PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:List*', Resource: '*' }] }) }));
    ok(await call('LTAIramAlice12345', 'ListGroups'));
    ok(await call(ROOT, 'SetDefaultPolicyVersion', { PolicyName: 'alice-ram', VersionId: 'v1' }));
    denied(await call('LTAIramAlice12345', 'ListGroups'), 'ram:ListGroups');
    ok(await call('LTAIramAlice12345', 'GetUser', { UserName: 'alice' }));
    ok(await call(ROOT, 'DetachPolicyFromUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: 'alice-ram' }));
    denied(await call('LTAIramAlice12345', 'GetUser', { UserName: 'alice' }), 'ram:GetUser');
  });

  await t.test('role sessions: role policies intersected with the session policy', async () => {
    ok(await call('STS.ramOpsFull', 'GetRole', { RoleName: 'ops' }));
    ok(await call('STS.ramOpsListOnly', 'ListRoles'));
    denied(await call('STS.ramOpsListOnly', 'GetRole', { RoleName: 'ops' }), 'ram:GetRole', {
      AuthPrincipalType: 'AssumedRoleUser', PolicyType: 'SessionPolicy', AuthPrincipalDisplayName: 'Ops/list-only',
    });
    // Permissions are evaluated live: detaching the role's policy narrows
    // existing sessions (rpc-api.md §8.1).
    ok(await call(ROOT, 'DetachPolicyFromRole', { RoleName: 'Ops', PolicyType: 'System', PolicyName: 'AliyunRAMFullAccess' }));
    denied(await call('STS.ramOpsFull', 'GetRole', { RoleName: 'ops' }), 'ram:GetRole',
      { PolicyType: 'AccountLevelIdentityBasedPolicy' });
    denied(await call('STS.ramOpsListOnly', 'ListRoles'), 'ram:ListRoles');
    ok(await call(ROOT, 'AttachPolicyToRole', { RoleName: 'Ops', PolicyType: 'System', PolicyName: 'AliyunRAMFullAccess' }));
    ok(await call('STS.ramOpsFull', 'GetRole', { RoleName: 'ops' }));
  });

  await t.test('a user of another account works only on its own account', async () => {
    // etl (56789) holds AdministratorAccess: everything on 56789, and RAM
    // calls always act on the caller's own account.
    const r = ok(await call('LTAIramEtl56789', 'ListUsers'));
    assert.deepStrictEqual(r.Users.User.map((u) => u.UserName), ['etl']);
    const e = await call('LTAIramEtl56789', 'GetUser', { UserName: 'alice' });
    assert.strictEqual(e.body.Code, 'EntityNotExist.User');
  });

  await t.test('deleting a role invalidates its sessions', async () => {
    ok(await call(ROOT, 'DetachPolicyFromRole', { RoleName: 'Ops', PolicyType: 'System', PolicyName: 'AliyunRAMFullAccess' }));
    ok(await call(ROOT, 'DeleteRole', { RoleName: 'ops' }));
    const r = await call('STS.ramOpsFull', 'ListUsers');
    assert.strictEqual(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.Code, /^InvalidSecurityToken\./);
    const exp = await emu.json('GET', '/_emu/world');
    assert.ok(!(exp.body.Sessions || []).some((x) => x.RoleName === 'Ops'));
  });

  await t.test('STS GetCallerIdentity stays without a policy check', async () => {
    const r = await call('LTAIramAlice12345', 'GetCallerIdentity', {}, { product: 'sts' });
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.body.Arn, 'acs:ram::12345:user/alice');
  });
});

test('RAM authorization in audit mode allows and records', async (t) => {
  const emu = await start({ world: WORLD, args: ['--authz', 'audit'] });
  t.after(() => emu.stop());
  const call = client(emu, SECRETS, TOKENS);
  const r = await call('LTAIramAuditor12345', 'CreateUser', { UserName: 'audited' });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  assert.strictEqual(r.body.User.UserName, 'audited');
  await logged(emu, /ram CreateUser .*status=200 decision=audit-deny .*reason=no identity policy allows ram:CreateUser/);
  ok(await call('LTAIramAuditor12345', 'ListUsers'));
  await logged(emu, /ram ListUsers .*decision=allow/);
});

test('RAM authorization off skips evaluation', async (t) => {
  const emu = await start({ world: WORLD, args: ['--authz', 'off'] });
  t.after(() => emu.stop());
  const call = client(emu, SECRETS, TOKENS);
  ok(await call('LTAIramAlice12345', 'CreateUser', { UserName: 'anyone' }));
  await logged(emu, /ram CreateUser .*decision=- /);
});
