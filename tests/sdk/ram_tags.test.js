'use strict';
// RAM tags through the unmodified @alicloud/ram20150501, @alicloud/sts20150401
// and @alicloud/pop-core clients. World ram_tags.json: role dev-app carries
// env=dev, prod-app env=prod; user dev may assume any role but one tagged
// env=prod (an explicit Deny on acs:ResourceTag/env, Sid NoProdRoles) and
// read only roles tagged env=dev; user tagger may tag and create roles only
// with team=data (acs:RequestTag/team). The denials are the ones the cloud
// gives; each decision record names its layer and statement, and the
// simulator and a replay bundle agree (tests/support/denial.js). Then the
// tag API's answers and errors, and tags as world state.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const RPCClient = require('@alicloud/pop-core');
const Ram = require('@alicloud/ram20150501');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { start, run, SRC } = require('../support/emu');
const { lastDenial } = require('../support/denial');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/ram_tags.json');
const ROOT = ['LTAItagRoot12345', 'tag-secret-root'];
const DEV = ['LTAItagDev123456', 'tag-secret-dev'];
const TAGGER = ['LTAItagTagger1234', 'tag-secret-tagger'];
const PROD = 'acs:ram::12345:role/prod-app';
const TRUST = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole',
  Principal: { RAM: ['acs:ram::12345:root'] } }] });

const cfg = (emu, [accessKeyId, accessKeySecret]) => new $OpenApiUtil.Config({ accessKeyId, accessKeySecret,
  endpoint: `127.0.0.1:${emu.port}`, protocol: 'http', regionId: 'cn-hangzhou' });
const ram = (emu, cred) => new Ram.default(cfg(emu, cred));
const sts = (emu, cred) => new Sts.default(cfg(emu, cred));
const rejects = (p, code, status, message) => assert.rejects(p, (e) => {
  assert.strictEqual(e.code, code, e.message);
  assert.strictEqual(e.statusCode, status);
  if (message) assert.match(e.message, message);
  return true;
});
const assume = (emu, cred, role) => sts(emu, cred).assumeRole(new Sts.AssumeRoleRequest({
  roleArn: `acs:ram::12345:role/${role}`, roleSessionName: 'tags' }));
const tagsOf = async (emu, type, name) => (await ram(emu, ROOT).listTagResources(new Ram.ListTagResourcesRequest({
  resourceType: type, resourceNames: [name] }))).body.tagResources.map((t) => `${t.tagKey}=${t.tagValue}`);

test('RAM tags: resource tags decide sts:AssumeRole and ram:GetRole', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('a role tagged env=prod is refused by the Deny on acs:ResourceTag/env', async () => {
    const ok = await assume(emu, DEV, 'dev-app');
    assert.match(ok.body.credentials.accessKeyId, /^STS\./);
    await rejects(assume(emu, DEV, 'prod-app'), 'NoPermission', 403,
      /You are not authorized to do this action\. You should be authorized by RAM\./);
    const rec = await lastDenial(emu, { principal: DEV[0], action: 'sts:AssumeRole' }, {
      layer: 'caller-permission-to-assume',
      reason: /^explicit deny of sts:AssumeRole on acs:ram::12345:role\/prod-app in Custom policy DevRolesOnly v1 \/Statement\/1 \(Sid NoProdRoles\)/ });
    assert.strictEqual(rec.decision, 'ExplicitDeny');
    const check = rec.checks[rec.checks.length - 1];
    assert.strictEqual(check.decidingStatement.sid, 'NoProdRoles');
    assert.strictEqual(check.decidingStatement.policy, 'DevRolesOnly');
    // The role's tags are in the recorded context, as the engine saw them.
    const ctx = JSON.stringify(rec.context);
    assert.ok(ctx.includes('acs:ResourceTag/env') && ctx.includes('prod'), ctx);
  });

  await t.test('untagging the role lifts the denial; tagging it again restores it', async () => {
    const c = ram(emu, ROOT);
    await c.untagResources(new Ram.UntagResourcesRequest({ resourceType: 'role', resourceNames: ['prod-app'],
      tagKeys: ['env'] }));
    await assume(emu, DEV, 'prod-app');
    await c.tagResources(new Ram.TagResourcesRequest({ resourceType: 'role', resourceNames: ['Prod-App'],
      tag: [new Ram.TagResourcesRequestTag({ key: 'env', value: 'prod' })] }));
    await rejects(assume(emu, DEV, 'prod-app'), 'NoPermission', 403);
  });

  await t.test('ram:GetRole is allowed on roles tagged env=dev only (RAM evaluates the role\'s tags)', async () => {
    const g = await ram(emu, DEV).getRole(new Ram.GetRoleRequest({ roleName: 'dev-app' }));
    assert.strictEqual(g.body.role.roleName, 'dev-app');
    await rejects(ram(emu, DEV).getRole(new Ram.GetRoleRequest({ roleName: 'prod-app' })), 'NoPermission', 403);
    await lastDenial(emu, { principal: DEV[0], action: 'ram:GetRole' }, { layer: 'identity-policy' });
  });

  await t.test('acs:RequestTag decides TagResources and CreateRole with tags', async () => {
    const c = ram(emu, TAGGER);
    await c.tagResources(new Ram.TagResourcesRequest({ resourceType: 'role', resourceNames: ['dev-app'],
      tag: [new Ram.TagResourcesRequestTag({ key: 'team', value: 'data' })] }));
    await rejects(c.tagResources(new Ram.TagResourcesRequest({ resourceType: 'role', resourceNames: ['dev-app'],
      tag: [new Ram.TagResourcesRequestTag({ key: 'team', value: 'web' })] })), 'NoPermission', 403);
    const rec = await lastDenial(emu, { principal: TAGGER[0], action: 'ram:TagResources' },
      { layer: 'identity-policy' });
    assert.strictEqual(rec.resource, 'acs:ram::12345:role/dev-app');
    assert.ok(JSON.stringify(rec.context).includes('acs:RequestTag/team'));
    await c.createRole(new Ram.CreateRoleRequest({ roleName: 'data-etl', assumeRolePolicyDocument: TRUST,
      tag: [new Ram.CreateRoleRequestTag({ key: 'team', value: 'data' })] }));
    await rejects(c.createRole(new Ram.CreateRoleRequest({ roleName: 'web-etl', assumeRolePolicyDocument: TRUST })),
      'NoPermission', 403);
    assert.deepStrictEqual(await tagsOf(emu, 'role', 'data-etl'), ['team=data']);
  });
});

test('RAM tags: the API, its answers and its errors', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const c = ram(emu, ROOT);
  const tag = (names, tags, type = 'role') => c.tagResources(new Ram.TagResourcesRequest({ resourceType: type,
    resourceNames: names, tag: tags.map(([key, value]) => new Ram.TagResourcesRequestTag({ key, value })) }));

  await t.test('TagResources, ListTagResources (paged), UntagResources with All', async () => {
    await tag(['dev-app', 'prod-app'], [['cost', 'c1'], ['tier', 'silver'], ['tier', 'gold']]);
    assert.deepStrictEqual(await tagsOf(emu, 'role', 'prod-app'), ['env=prod', 'team=data', 'cost=c1', 'tier=gold']);
    const p1 = await c.listTagResources(new Ram.ListTagResourcesRequest({ resourceType: 'role', pageSize: 4 }));
    assert.strictEqual(p1.body.tagResources.length, 4);
    assert.deepStrictEqual(Object.keys(p1.body.tagResources[0]).sort(),
      ['resourceName', 'resourceType', 'tagKey', 'tagValue']);
    assert.strictEqual(p1.body.tagResources[0].resourceType, 'role');
    assert.ok(p1.body.nextToken);
    const p2 = await c.listTagResources(new Ram.ListTagResourcesRequest({ resourceType: 'role', pageSize: 4,
      nextToken: p1.body.nextToken }));
    assert.strictEqual(p2.body.tagResources.length, 3);
    assert.strictEqual(p2.body.nextToken, undefined);
    // Tag filter: the resources carrying every given tag.
    const f = await c.listTagResources(new Ram.ListTagResourcesRequest({ resourceType: 'role',
      tag: [new Ram.ListTagResourcesRequestTag({ key: 'team', value: 'data' })] }));
    assert.deepStrictEqual([...new Set(f.body.tagResources.map((r) => r.resourceName))], ['prod-app']);
    await c.untagResources(new Ram.UntagResourcesRequest({ resourceType: 'role', resourceNames: ['prod-app'],
      all: true }));
    assert.deepStrictEqual(await tagsOf(emu, 'role', 'prod-app'), []);
  });

  await t.test('custom policies: CreatePolicy with Tag, ListPolicies shows and filters by tags', async () => {
    await c.createPolicy(new Ram.CreatePolicyRequest({ policyName: 'Tagged', policyDocument: JSON.stringify({
      Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:ListRoles', Resource: '*' }] }),
    tag: [new Ram.CreatePolicyRequestTag({ key: 'owner', value: 'data' })] }));
    await tag(['Tagged'], [['tier', 'gold']], 'policy');
    const l = await c.listPolicies(new Ram.ListPoliciesRequest({ policyType: 'Custom',
      tag: [new Ram.ListPoliciesRequestTag({ key: 'owner' })] }));
    assert.deepStrictEqual(l.body.policies.policy.map((p) => p.policyName), ['DevRolesOnly', 'Tagged']);
    assert.deepStrictEqual(l.body.policies.policy[1].tags.tag.map((x) => [x.tagKey, x.tagValue]),
      [['owner', 'data'], ['tier', 'gold']]);
    const r = await c.listRoles(new Ram.ListRolesRequest({ tag: [new Ram.ListRolesRequestTag({ key: 'env',
      value: 'dev' })] }));
    assert.deepStrictEqual(r.body.roles.role.map((x) => x.roleName), ['dev-app']);
    assert.deepStrictEqual(r.body.roles.role[0].tags.tag.map((x) => x.tagKey), ['env', 'cost', 'tier']);
  });

  await t.test('errors: unknown role or policy, too many tags, reserved and long keys, bad type', async () => {
    await rejects(tag(['no-such-role'], [['a', 'b']]), 'EntityNotExist.Role', 404, /The role does not exist\./);
    await rejects(tag(['NoSuchPolicy'], [['a', 'b']], 'policy'), 'EntityNotExist.Policy', 404);
    // All or nothing: dev-app exists, but the call names a missing role too.
    await rejects(tag(['dev-app', 'ghost'], [['atomic', 'x']]), 'EntityNotExist.Role', 404);
    assert.ok(!(await tagsOf(emu, 'role', 'dev-app')).includes('atomic=x'));
    await rejects(tag(['dev-app'], [['acs:env', 'x']]), 'InvalidParameter.TagKey', 400);
    await rejects(tag(['dev-app'], [['aliyun-x', 'x']]), 'InvalidParameter.TagKey', 400);
    await rejects(tag(['dev-app'], [['k'.repeat(129), 'x']]), 'InvalidParameter.TagKey', 400);
    await rejects(tag(['dev-app'], [['k', 'v'.repeat(257)]]), 'InvalidParameter.TagValue', 400);
    const many = Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']);
    await rejects(tag(['dev-app'], many), 'NumberExceed.Tags', 400);
    // dev-app holds 3 tags (env, cost, tier): 18 more pass the request's
    // limit but not the resource's 20.
    await rejects(tag(['dev-app'], many.slice(0, 18)), 'LimitExceeded.Tag', 409);
    await tag(['dev-app'], many.slice(0, 17));
    assert.strictEqual((await tagsOf(emu, 'role', 'dev-app')).length, 20);
    await rejects(c.untagResources(new Ram.UntagResourcesRequest({ resourceType: 'role',
      resourceNames: ['dev-app'] })), 'InvalidParameter.TagKeyListOrAll', 400);
    await rejects(c.listTagResources(new Ram.ListTagResourcesRequest({ resourceType: 'user' })),
      'InvalidParameter.ResourceType', 400);
    await rejects(c.createRole(new Ram.CreateRoleRequest({ roleName: 'bad-tags', assumeRolePolicyDocument: TRUST,
      tag: [new Ram.CreateRoleRequestTag({ key: 'acs:x', value: '1' })] })), 'InvalidParameter.TagKey', 400);
    await rejects(c.getRole(new Ram.GetRoleRequest({ roleName: 'bad-tags' })), 'EntityNotExist.Role', 404);
  });

  await t.test('pop-core: flat Tag.N.Key / ResourceNames.N parameters', async () => {
    const pop = new RPCClient({ accessKeyId: ROOT[0], accessKeySecret: ROOT[1], endpoint: emu.base,
      apiVersion: '2015-05-01' });
    await pop.request('TagResources', { ResourceType: 'policy', 'ResourceNames.1': 'DevRolesOnly',
      'Tag.1.Key': 'pop', 'Tag.1.Value': 'yes' }, { method: 'POST' });
    assert.deepStrictEqual(await tagsOf(emu, 'policy', 'DevRolesOnly'), ['owner=platform', 'pop=yes']);
    await pop.request('UntagResources', { ResourceType: 'policy', 'ResourceNames.1': 'DevRolesOnly',
      'TagKeys.1': 'pop' }, { method: 'POST' });
    assert.deepStrictEqual(await tagsOf(emu, 'policy', 'DevRolesOnly'), ['owner=platform']);
  });

  await t.test('tags are world state: exported, and a world file round-trips them', async () => {
    const w = (await emu.json('GET', '/_emu/world')).body;
    const role = w.Accounts[0].Roles.find((r) => r.RoleName === 'dev-app');
    assert.strictEqual(role.Tags.length, 20);
    assert.deepStrictEqual(role.Tags[0], { Key: 'env', Value: 'dev' });
    const pol = w.Accounts[0].Policies.find((p) => p.PolicyName === 'Tagged');
    assert.deepStrictEqual(pol.Tags, [{ Key: 'owner', Value: 'data' }, { Key: 'tier', Value: 'gold' }]);
    // A checkpoint keeps them: untag after saving, restore, they are back.
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/tags')).status, 200);
    await c.untagResources(new Ram.UntagResourcesRequest({ resourceType: 'policy', resourceNames: ['Tagged'],
      all: true }));
    assert.deepStrictEqual(await tagsOf(emu, 'policy', 'Tagged'), []);
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/tags/restore')).status, 200);
    assert.deepStrictEqual(await tagsOf(emu, 'policy', 'Tagged'), ['owner=data', 'tier=gold']);
    const fs = require('node:fs');
    const file = path.join(emu.dir, 'exported.json');
    fs.writeFileSync(file, JSON.stringify(w));
    const emu2 = await start({ world: file });
    t.after(() => emu2.stop());
    assert.strictEqual((await tagsOf(emu2, 'role', 'dev-app')).length, 20);
    // The reloaded tags still decide: dev-app (env=dev) is readable by dev,
    // prod-app (its tags all removed above) is not.
    await ram(emu2, DEV).getRole(new Ram.GetRoleRequest({ roleName: 'dev-app' }));
    await rejects(ram(emu2, DEV).getRole(new Ram.GetRoleRequest({ roleName: 'prod-app' })), 'NoPermission', 403);
  });
});

test('acsemu simulate sees a role\'s tags', async () => {
  const args = ['simulate', '--world', WORLD, '--principal', 'acs:ram::12345:user/dev', '--action', 'sts:AssumeRole'];
  let r = await run([...args, '--resource', PROD]);
  assert.strictEqual(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.strictEqual(out.decidingLayer, 'caller-permission-to-assume');
  assert.strictEqual(out.checks[out.checks.length - 1].decidingStatement.sid, 'NoProdRoles');
  r = await run([...args, '--resource', 'acs:ram::12345:role/dev-app']);
  assert.strictEqual(r.code, 0, r.stderr);
  // A request's tags are context keys the simulation is given.
  const tagArgs = ['simulate', '--world', WORLD, '--principal', 'acs:ram::12345:user/tagger', '--action',
    'ram:TagResources', '--resource', 'acs:ram::12345:role/dev-app'];
  r = await run([...tagArgs, '--context', 'acs:RequestTag/team=data']);
  assert.strictEqual(r.code, 0, r.stderr);
  r = await run([...tagArgs, '--context', 'acs:RequestTag/team=web']);
  assert.strictEqual(r.code, 1, r.stderr);
  assert.strictEqual(JSON.parse(r.stdout).decidingLayer, 'identity-policy');
});
