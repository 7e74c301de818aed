'use strict';
// acsemu world import (aliyun CLI/API answers, a Terraform state) and
// acsemu world check: the imported worlds load, their policies decide as
// deployed (acsemu simulate), and bad input gets located errors with
// nothing written.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { run, start, SRC } = require('../support/emu');

const F = (name) => path.join(SRC, 'tests/fixtures/import', name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'acsemu-import-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TABLE = 'acs:ots:cn-hangzhou:12345:instance/cap1/table/vehicle_track';
async function simulate(world, principal, action, resource) {
  const r = await run(['simulate', '--world', world, '--principal', principal, '--action', action,
    ...(resource ? ['--resource', resource] : [])]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return { allowed: r.code === 0, record: JSON.parse(r.stdout) };
}

test('import aliyun CLI / API answers', async (t) => {
  const out = path.join(tmp, 'api.json');
  const r = await run(['world', 'import', '--access-key', 'LTAIimport12345:import-secret', '--out', out,
    F('get-role.json'), F('get-policy.json'),
    `role:AliyunODPSRoleForOtherUser=${F('list-policies-for-role.json')}`,
    F('list-users.json'), `user:auditor=${F('list-policies-for-user.json')}`,
    `instance:cap1=${F('describe-table.json')}`, `instance:logs=${F('describe-table-sdk.json')}`,
    F('list-tag-resources.json')]);
  assert.strictEqual(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote .*api\.json \(account 12345\)/);
  const w = JSON.parse(fs.readFileSync(out, 'utf8'));
  const a = w.Accounts[0];
  assert.strictEqual(a.AccountId, '12345', 'the account comes from the role ARN');
  assert.deepStrictEqual(a.AccessKeys, [{ AccessKeyId: 'LTAIimport12345', AccessKeySecret: 'import-secret' }]);
  const role = a.Roles[0];
  assert.strictEqual(role.RoleName, 'AliyunODPSRoleForOtherUser');
  assert.strictEqual(role.MaxSessionDuration, 3600);
  assert.deepStrictEqual(JSON.parse(role.AssumeRolePolicyDocument).Statement[0].Principal, { Service: ['56789@odps.aliyuncs.com'] });
  assert.deepStrictEqual(role.AttachedPolicies, [{ PolicyName: 'OdpsReadsCap1', PolicyType: 'Custom' },
    { PolicyName: 'AliyunOTSReadOnlyAccess', PolicyType: 'System' }]);
  assert.deepStrictEqual(a.Policies.map((p) => p.PolicyName), ['OdpsReadsCap1'], 'System policies are built in, not copied');
  // RAM ListTagResources: the tags of roles and policies.
  assert.deepStrictEqual(role.Tags, [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'data' }]);
  assert.deepStrictEqual(a.Policies[0].Tags, [{ Key: 'owner', Value: 'platform' }]);
  assert.deepStrictEqual(a.Users.map((u) => u.UserName), ['ops', 'auditor']);
  assert.deepStrictEqual(a.Users[1].AttachedPolicies, [{ PolicyName: 'AliyunOTSReadOnlyAccess', PolicyType: 'System' }]);
  const [cap1, logs] = a.Tablestore.Instances;
  assert.deepStrictEqual(cap1.Tables[0], { TableName: 'vehicle_track',
    PrimaryKey: [{ Name: 'vid', Type: 'INTEGER' }, { Name: 'gt', Type: 'INTEGER' }],
    DefinedColumns: [{ Name: 'speed', Type: 'DOUBLE' }], TimeToLive: -1, MaxVersions: 1, DeviationCellVersionInSec: 86400 });
  // The SDK's camelCase answer with protobuf enum numbers.
  assert.deepStrictEqual(logs.Tables[0], { TableName: 'events',
    PrimaryKey: [{ Name: 'id', Type: 'STRING' }, { Name: 'seq', Type: 'INTEGER', AutoIncrement: true }],
    DefinedColumns: [{ Name: 'payload', Type: 'BINARY' }, { Name: 'ok', Type: 'BOOLEAN' }], TimeToLive: 86400, MaxVersions: 3 });

  await t.test('the imported policies decide as deployed', async () => {
    const role = 'acs:ram::12345:role/aliyunodpsroleforotheruser';
    assert.strictEqual((await simulate(out, role, 'ots:GetRange', TABLE)).allowed, true);
    assert.strictEqual((await simulate(out, role, 'ots:PutRow', TABLE)).allowed, false);
    // MaxCompute of the role's own account is not in the trust policy.
    assert.strictEqual((await simulate(out, '12345@odps.aliyuncs.com', 'sts:AssumeRole', role)).allowed, false);
    assert.strictEqual((await simulate(out, 'acs:ram::12345:user/auditor', 'ots:GetRow', TABLE)).allowed, true);
    assert.strictEqual((await simulate(out, 'acs:ram::12345:user/ops', 'ots:GetRow', TABLE)).allowed, false);
  });

  await t.test('acsemu serves it', async () => {
    const emu = await start({ world: out });
    t.after(() => emu.stop());
    const h = (await emu.json('GET', '/_emu/health')).body;
    assert.strictEqual(h.accounts, 1);
    assert.strictEqual(h.tables, 2);
    assert.strictEqual(h.roles, 1);
  });
});

test('import a Terraform state', async () => {
  const out = path.join(tmp, 'tf.json');
  const r = await run(['world', 'import', F('terraform.tfstate'), '--out', out]);
  assert.strictEqual(r.code, 0, r.stderr);
  const a = JSON.parse(fs.readFileSync(out, 'utf8')).Accounts[0];
  assert.strictEqual(a.AccountId, '12345');
  assert.deepStrictEqual(a.Users, [{ UserName: 'ci', DisplayName: 'CI', Comments: 'CI jobs', Groups: ['readers'],
    AccessKeys: [{ AccessKeyId: 'LTAItfCiKey0001', AccessKeySecret: 'tf-ci-secret', Status: 'Active' }] }]);
  assert.deepStrictEqual(a.Groups, [{ GroupName: 'readers', AttachedPolicies: [{ PolicyName: 'ReadCap1', PolicyType: 'Custom' }] }]);
  assert.strictEqual(a.Roles[0].RoleName, 'OdpsReader');
  assert.deepStrictEqual(a.Roles[0].Tags, [{ Key: 'env', Value: 'prod' }]);
  assert.deepStrictEqual(a.Roles[0].AttachedPolicies, [{ PolicyName: 'ReadCap1', PolicyType: 'Custom' }]);
  assert.deepStrictEqual(a.Tablestore.Instances[0].Tables[0].DefinedColumns,
    [{ Name: 'speed', Type: 'DOUBLE' }, { Name: 'note', Type: 'STRING' }]);
  assert.strictEqual(a.Tablestore.Instances[0].Network, 'Any');
  // The user reads through its group's policy; the state's key works.
  assert.strictEqual((await simulate(out, 'acs:ram::12345:user/ci', 'ots:GetRow', TABLE)).allowed, true);
  assert.strictEqual((await simulate(out, 'acs:ram::12345:user/ci', 'ots:PutRow', TABLE)).allowed, false);
  const chk = await run(['world', 'check', out]);
  assert.strictEqual(chk.code, 0, chk.stderr);
  assert.match(chk.stdout, /valid \(region cn-hangzhou, accounts 1, users 1, groups 1, roles 1, policies 1/);
});

test('located errors, nothing written', async (t) => {
  const out = path.join(tmp, 'bad.json');
  await t.test('a broken Terraform state', async () => {
    const r = await run(['world', 'import', '--out', out, F('bad-policy.tfstate')]);
    assert.strictEqual(r.code, 1);
    const file = F('bad-policy.tfstate');
    assert.ok(r.stderr.includes(`${file}: $.resources[0].instances[0].attributes.policy_document: the policy document is not a JSON object: `), r.stderr);
    assert.ok(r.stderr.includes(`${file}: $.resources[1].instances[0].attributes.primary_key[0]: type is not a primary key type (INTEGER, STRING, BINARY)`), r.stderr);
    assert.match(r.stderr, /Ghost: attaches Custom policy Missing, which no input defines/);
    assert.match(r.stderr, /Ghost: role without its trust policy/);
    assert.match(r.stderr, /no ARN in the inputs names the account: give --account UID/);
    assert.match(r.stderr, /6 errors, nothing written/);
    assert.strictEqual(fs.existsSync(out), false);
  });
  await t.test('answers that do not name their subject', async () => {
    const r = await run(['world', 'import', '--account', '12345', F('list-policies-for-role.json'), F('describe-table.json')]);
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /list-policies-for-role\.json: \$\.Policies: a ListPoliciesFor\{Role,User,Group\} answer does not name its entity: give it as role:NAME=/);
    assert.match(r.stderr, /describe-table\.json: \$\.TableMeta: a DescribeTable answer does not name its instance: give it as instance:NAME=/);
    assert.strictEqual(r.stdout, '');
  });
  await t.test('not JSON, not an answer, missing file, usage', async () => {
    const junk = path.join(tmp, 'junk.json');
    fs.writeFileSync(junk, '{"Role": ');
    const other = path.join(tmp, 'other.json');
    fs.writeFileSync(other, '{"RequestId": "x", "Instances": {}}');
    let r = await run(['world', 'import', '--account', '1', junk, other, path.join(tmp, 'absent.json')]);
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /junk\.json: not valid JSON/);
    assert.match(r.stderr, /other\.json: \$: not an answer acsemu can import/);
    assert.match(r.stderr, /absent\.json: cannot open/);
    r = await run(['world', 'import']);
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /no input files/);
    r = await run(['world', 'import', '--bogus', 'x', F('get-role.json')]);
    assert.strictEqual(r.code, 2);
    r = await run(['world', 'import', '--help']);
    assert.strictEqual(r.code, 0);
    assert.match(r.stdout, /Terraform state/);
  });
});

test('world check', async () => {
  let r = await run(['world', 'check', path.join(SRC, 'data/world.json')]);
  assert.strictEqual(r.code, 0, r.stderr);
  assert.match(r.stdout, /data\/world\.json: valid \(region cn-hangzhou, accounts 2, .*rows 10000/);
  const bad = path.join(tmp, 'bad-world.json');
  fs.writeFileSync(bad, JSON.stringify({ Accounts: [{ AccountId: '1', Roles: [{ RoleName: 'x' }] }] }));
  r = await run(['world', 'check', bad]);
  assert.strictEqual(r.code, 1);
  assert.strictEqual(r.stderr.trim(), `${bad}: $.Accounts[0].Roles[0]: missing required field "AssumeRolePolicyDocument"`);
  r = await run(['world', 'check']);
  assert.strictEqual(r.code, 2);
  r = await run(['world']);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /acsemu world check FILE/);
});
