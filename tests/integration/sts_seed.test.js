'use strict';
// The seed scenario (data/world.json, maxcompute-external-table.md §3-§4):
// MaxCompute working for account B (service credentials LTAIemuOdpsFor56789)
// assumes A's AliyunODPSRoleForOtherUser because its trust policy names
// 56789@odps.aliyuncs.com. Then the session as a principal: GetCallerIdentity,
// a RAM call, expiry on the virtual clock, the classic wrong-UID mistake,
// B's RAM user and root keys refused, DeleteRole killing the session.
const test = require('node:test');
const assert = require('node:assert');
const { start, logged } = require('../support/emu');
const { client } = require('../support/rpc');

const SECRETS = {
  LTAIemuOdpsFor56789: 'emu-secret-odps-56789', LTAIemuEtlUser56789: 'emu-secret-etl',
  LTAIemuAccountA12345: 'emu-secret-account-a', LTAIemuAccountB56789: 'emu-secret-account-b',
};
const SVC_B = 'LTAIemuOdpsFor56789';
const ROOT_A = 'LTAIemuAccountA12345';
const ROLE = 'AliyunODPSRoleForOtherUser';
const ROLE_ARN = 'acs:ram::12345:role/aliyunodpsroleforotheruser';
const DENIED = 'You are not authorized to do this action. You should be authorized by RAM.';
const trust = (principal) => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole',
  Principal: { Service: [principal] } }] });

function ok(r) {
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

function fails(r, status, code, message) {
  assert.strictEqual(r.status, status, JSON.stringify(r.body));
  assert.strictEqual(r.body.Code, code);
  if (message !== undefined) assert.strictEqual(r.body.Message, message);
  return r.body;
}

test('seed scenario: MaxCompute of B assumes the role in A', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const tokens = {};
  const call = client(emu, SECRETS, tokens);
  const sts = (ak, action, params = {}) => call(ak, action, params, { product: 'sts' });
  const assume = (ak, name = 'odps-seed') => sts(ak, 'AssumeRole', { RoleArn: ROLE_ARN, RoleSessionName: name });
  async function session(name) {
    const c = ok(await assume(SVC_B, name)).Credentials;
    SECRETS[c.AccessKeyId] = c.AccessKeySecret;
    tokens[c.AccessKeyId] = c.SecurityToken;
    return c;
  }
  const clock = async (body) => assert.strictEqual((await emu.json('POST', '/_emu/clock', body)).status, 200);

  await t.test('the service credentials of B get temporary credentials', async () => {
    const now = (await emu.json('GET', '/_emu/clock')).body.now_ms;
    const b = ok(await assume(SVC_B));
    const roleId = ok(await call(ROOT_A, 'GetRole', { RoleName: ROLE })).Role.RoleId;
    assert.deepStrictEqual(b.AssumedRoleUser, { Arn: `${ROLE_ARN}/odps-seed`, AssumedRoleId: `${roleId}:odps-seed` });
    assert.deepStrictEqual(Object.keys(b.Credentials), ['AccessKeyId', 'AccessKeySecret', 'SecurityToken', 'Expiration']);
    assert.match(b.Credentials.AccessKeyId, /^STS\.[0-9A-Za-z]+$/);
    assert.match(b.Credentials.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const d = (Date.parse(b.Credentials.Expiration) - now) / 1000;
    assert.ok(d > 3595 && d <= 3601, `Expiration ${b.Credentials.Expiration} is ${d}s from the virtual now`);
    await logged(emu, /OK \S+ sts AssumeRole GET principal=56789@odps.aliyuncs.com status=200 decision=allow/);
  });

  await t.test('the session is a principal: GetCallerIdentity and RAM see the assumed role', async () => {
    const c = await session('odps-who');
    const roleId = ok(await call(ROOT_A, 'GetRole', { RoleName: ROLE })).Role.RoleId;
    const who = ok(await sts(c.AccessKeyId, 'GetCallerIdentity'));
    assert.strictEqual(who.IdentityType, 'AssumedRoleUser');
    assert.strictEqual(who.AccountId, '12345');
    assert.strictEqual(who.RoleId, roleId);
    assert.strictEqual(who.PrincipalId, `${roleId}:odps-who`);
    assert.strictEqual(who.Arn, 'acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/odps-who');
    // The role grants only ots:*: a RAM call authenticates, then is refused.
    const r = fails(await call(c.AccessKeyId, 'ListRoles'), 403, 'NoPermission');
    assert.strictEqual(r.AccessDeniedDetail.AuthPrincipalType, 'AssumedRoleUser');
    assert.strictEqual(r.AccessDeniedDetail.AuthPrincipalDisplayName, `${ROLE}/odps-who`);
  });

  await t.test('the token expires on the virtual clock', async () => {
    const c = await session('odps-expiry');
    await clock({ advance_seconds: 3500 });
    ok(await sts(c.AccessKeyId, 'GetCallerIdentity'));
    await clock({ advance_seconds: 200 });
    fails(await sts(c.AccessKeyId, 'GetCallerIdentity'), 400, 'InvalidSecurityToken.Expired',
      'Specified SecurityToken is expired.');
    fails(await call(c.AccessKeyId, 'GetRole', { RoleName: ROLE }), 400, 'InvalidSecurityToken.Expired');
    await clock({ reset: true });
  });

  await t.test('POST /_emu/clock advance 3700 expires a fresh session', async () => {
    const c = await session('odps-3700');
    await clock({ advance_seconds: 3700 });
    fails(await sts(c.AccessKeyId, 'GetCallerIdentity'), 400, 'InvalidSecurityToken.Expired');
    await clock({ reset: true });
  });

  await t.test("B's RAM user etl cannot assume it: not a service, not permitted", async () => {
    fails(await assume('LTAIemuEtlUser56789'), 403, 'NoPermission', DENIED);
    await logged(emu, new RegExp('ERR NoPermission \\S+ sts AssumeRole GET principal=acs:ram::56789:user/etl .*' +
      'reason=no identity policy allows sts:AssumeRole on acs:ram::12345:role/aliyunodpsroleforotheruser .*' +
      '; and trust policy of acs:ram::12345:role/aliyunodpsroleforotheruser allows service ' +
      '56789@odps.aliyuncs.com; caller is RAM acs:ram::56789:user/etl'));
  });

  await t.test('root keys are refused', async () => {
    for (const root of ['LTAIemuAccountB56789', ROOT_A]) {
      fails(await assume(root), 403, 'NoPermission', 'Roles may not be assumed by root accounts.');
    }
  });

  await t.test("the classic mistake: A's own UID in the service principal", async () => {
    ok(await call(ROOT_A, 'UpdateRole', { RoleName: ROLE, NewAssumeRolePolicyDocument: trust('12345@odps.aliyuncs.com') }));
    fails(await assume(SVC_B, 'odps-wrong-uid'), 403, 'NoPermission', DENIED);
    await logged(emu, /principal=56789@odps.aliyuncs.com status=403 decision=deny .*reason=trust policy of acs:ram::12345:role\/aliyunodpsroleforotheruser allows service 12345@odps.aliyuncs.com; caller is 56789@odps.aliyuncs.com/);
    ok(await call(ROOT_A, 'UpdateRole', { RoleName: ROLE, NewAssumeRolePolicyDocument: trust('56789@odps.aliyuncs.com') }));
    ok(await assume(SVC_B, 'odps-fixed'));
  });

  await t.test('DeleteRole ends its sessions', async () => {
    const c = await session('odps-doomed');
    ok(await sts(c.AccessKeyId, 'GetCallerIdentity'));
    ok(await call(ROOT_A, 'DetachPolicyFromRole', { RoleName: ROLE, PolicyType: 'Custom',
      PolicyName: 'AliyunODPSRolePolicyForOtherUser' }));
    ok(await call(ROOT_A, 'DeleteRole', { RoleName: ROLE }));
    const r = await sts(c.AccessKeyId, 'GetCallerIdentity');
    assert.strictEqual(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.Code, /^InvalidSecurityToken\./);
    fails(await assume(SVC_B), 404, 'EntityNotExist.Role', 'The specified Role not exists .');
    // Re-creating the role does not revive the old token.
    ok(await call(ROOT_A, 'CreateRole', { RoleName: ROLE, AssumeRolePolicyDocument: trust('56789@odps.aliyuncs.com') }));
    assert.strictEqual((await sts(c.AccessKeyId, 'GetCallerIdentity')).status, 400);
    assert.strictEqual((await emu.json('POST', '/_emu/reset')).status, 200);
  });
});
