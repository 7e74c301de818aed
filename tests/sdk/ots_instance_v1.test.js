'use strict';
// The Tablestore instance API's 2016-06-20 RPC version (product Ots:
// InsertInstance, GetInstance, ListInstance, ...), the one the older SDKs and
// Terraform's alicloud provider call, through the official
// @alicloud/pop-core RPCClient (signature V1). It is the same world as
// 2020-12-09: an instance inserted here is seen by GetInstance 2020-12-09
// and serves the data plane at once. Calls are authorized as ots:<Action>
// (the 2016-06-20 names) on the instance's ARN; a denial is recorded,
// replays and simulates like every other (tests/support/denial.js).
// CheckInstancePolicy (2020-12-09) is tested here too.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const RPCClient = require('@alicloud/pop-core');
const { $OpenApiUtil, default: OpenApi } = require('@alicloud/openapi-core');
const { RuntimeOptions } = require('@darabonba/typescript');
const { start, SRC } = require('../support/emu');
const { lastDenial } = require('../support/denial');
const { client: rpcClient } = require('../support/rpc');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/instance_policy.json');
const APP = ['LTAIipApp12345', 'ip-secret-app'];
const PARTNER = ['LTAIipPartner5678', 'ip-secret-partner'];
const BUILDER = ['LTAIipBuilder1234', 'ip-secret-builder'];

const v1 = (emu, [accessKeyId, accessKeySecret]) => {
  const c = new RPCClient({ accessKeyId, accessKeySecret, endpoint: emu.base, apiVersion: '2016-06-20' });
  // Reads as GET (as Terraform sends them), writes as POST forms.
  return (action, params = {}) => c.request(action, params, { method: /^(Get|List)/.test(action) ? 'GET' : 'POST' });
};
// GetInstance / CheckInstancePolicy 2020-12-09 (ROA, ACS3) as in ots_instance_api.test.js.
const v2 = (emu, [accessKeyId, accessKeySecret]) => {
  const c = new OpenApi(new $OpenApiUtil.Config({ accessKeyId, accessKeySecret, endpoint: `127.0.0.1:${emu.port}`,
    protocol: 'http', autoretry: false }));
  return async (action, args) => {
    const get = action === 'GetInstance';
    const params = new $OpenApiUtil.Params({ action, version: '2020-12-09', protocol: 'HTTP',
      pathname: `/v2/openapi/${action.toLowerCase()}`, method: get ? 'GET' : 'POST', authType: 'AK',
      style: 'ROA', reqBodyType: 'json', bodyType: 'json' });
    const req = new $OpenApiUtil.OpenApiRequest(get ? { query: args } : { body: args });
    return (await c.callApi(params, req, new RuntimeOptions({ autoretry: false, maxAttempts: 0 }))).body;
  };
};
// pop-core keeps the HTTP status in err.entry.response.
const fails = (p, status, code) => assert.rejects(p, (e) => {
  assert.strictEqual(e.code, code, e.message);
  assert.strictEqual(e.entry.response.statusCode, status, e.message);
  return true;
});
const tags = (o) => o.TagInfos.TagInfo.map((t) => `${t.TagKey}=${t.TagValue}`);

test('the Tablestore instance API 2016-06-20 through @alicloud/pop-core', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const call = v1(emu, APP);

  await t.test('InsertInstance; 2020-12-09 and the data plane see it at once', async () => {
    const types = await call('ListClusterType');
    assert.deepStrictEqual(types.ClusterTypeInfos.ClusterType, ['SSD', 'HYBRID']);
    const r = await call('InsertInstance', { InstanceName: 'legacy1', ClusterType: 'HYBRID', Description: 'old SDK',
      Network: 'NORMAL', 'TagInfo.1.TagKey': 'env', 'TagInfo.1.TagValue': 'dev' });
    assert.match(r.RequestId, /^[0-9A-F-]{36}$/);
    const g = (await call('GetInstance', { InstanceName: 'legacy1' })).InstanceInfo;
    assert.strictEqual(g.InstanceName, 'legacy1');
    assert.strictEqual(g.UserId, '12345');
    assert.strictEqual(g.ClusterType, 'HYBRID');
    assert.strictEqual(g.Description, 'old SDK');
    assert.strictEqual(g.Network, 'NORMAL');
    assert.strictEqual(g.Status, 1);
    assert.ok(g.Quota.EntityQuota > 0);
    assert.deepStrictEqual(tags(g), ['env=dev']);
    const n = await v2(emu, APP)('GetInstance', { InstanceName: 'legacy1' });
    assert.strictEqual(n.InstanceSpecification, 'HYBRID');
    assert.strictEqual(n.InstanceDescription, 'old SDK');
    assert.deepStrictEqual(n.Tags, [{ Key: 'env', Value: 'dev' }]);
    const c = new TableStore.Client({ accessKeyId: APP[0], secretAccessKey: APP[1], instancename: 'legacy1',
      endpoint: emu.base, maxRetries: 0 });
    await c.createTable({ tableMeta: { tableName: 't', primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
    assert.deepStrictEqual((await c.listTable({})).tableNames, ['t']);
    await c.deleteTable({ tableName: 't' });
  });

  await t.test('ListInstance pages and filters by tag; XML answers', async () => {
    const all = await call('ListInstance', { PageSize: 2, PageNum: 1 });
    assert.strictEqual(all.TotalCount, 3);
    assert.strictEqual(all.PageSize, 2);
    assert.deepStrictEqual(all.InstanceInfos.InstanceInfo.map((i) => i.InstanceName), ['cap1', 'other']);
    const p2 = await call('ListInstance', { PageSize: 2, PageNum: 2 });
    assert.deepStrictEqual(p2.InstanceInfos.InstanceInfo.map((i) => i.InstanceName), ['legacy1']);
    assert.match(p2.InstanceInfos.InstanceInfo[0].Timestamp, /^\d{4}-\d\d-\d\dT/);
    const byTag = await call('ListInstance', { 'TagInfo.1.TagKey': 'env', 'TagInfo.1.TagValue': 'dev' });
    assert.deepStrictEqual(byTag.InstanceInfos.InstanceInfo.map((i) => i.InstanceName), ['legacy1']);
    const x = await rpcClient(emu, { [APP[0]]: APP[1] })(APP[0], 'GetInstance', { InstanceName: 'legacy1' },
      { version: '2016-06-20', xml: true });
    assert.strictEqual(x.status, 200);
    assert.match(x.body, /<GetInstanceResponse><RequestId>[^<]+<\/RequestId><InstanceInfo><InstanceName>legacy1</);
    assert.match(x.body, /<TagInfos><TagInfo><TagKey>env<\/TagKey><TagValue>dev<\/TagValue><\/TagInfo><\/TagInfos>/);
  });

  await t.test('InsertTags, ListTags, DeleteTags, UpdateInstance', async () => {
    await call('InsertTags', { InstanceName: 'legacy1', 'TagInfo.1.TagKey': 'team', 'TagInfo.1.TagValue': 'a',
      'TagInfo.2.TagKey': 'env', 'TagInfo.2.TagValue': 'prod' });
    const l = await call('ListTags', { InstanceName: 'legacy1' });
    assert.strictEqual(l.TotalCount, 2);
    assert.deepStrictEqual(tags(l).sort(), ['env=prod', 'team=a']);
    const one = await call('ListTags', { InstanceName: 'legacy1', 'TagInfo.1.TagKey': 'team' });
    assert.deepStrictEqual(tags(one), ['team=a']);
    // A value that does not match leaves the tag; the key alone removes it.
    await call('DeleteTags', { InstanceName: 'legacy1', 'TagInfo.1.TagKey': 'env', 'TagInfo.1.TagValue': 'dev' });
    assert.strictEqual((await call('ListTags', { InstanceName: 'legacy1' })).TotalCount, 2);
    await call('DeleteTags', { InstanceName: 'legacy1', 'TagInfo.1.TagKey': 'env' });
    assert.deepStrictEqual(tags(await call('ListTags', { InstanceName: 'legacy1' })), ['team=a']);
    await call('UpdateInstance', { InstanceName: 'legacy1', Network: 'VPC_CONSOLE' });
    assert.strictEqual((await call('GetInstance', { InstanceName: 'legacy1' })).InstanceInfo.Network, 'VPC_CONSOLE');
    const n = await v2(emu, APP)('GetInstance', { InstanceName: 'legacy1' });
    assert.deepStrictEqual(n.NetworkTypeACL, ['VPC']);
    await call('UpdateInstance', { InstanceName: 'legacy1', Network: 'NORMAL' });
  });

  await t.test('errors: not found, duplicate, bad parameters, VPC binding not supported', async () => {
    await fails(call('GetInstance', { InstanceName: 'nosuch' }), 404, 'NotFound');
    await fails(call('InsertInstance', { InstanceName: 'LEGACY1', ClusterType: 'SSD' }), 409, 'InstanceAlreadyExist');
    await fails(call('InsertInstance', { InstanceName: 'ali-1', ClusterType: 'SSD' }), 400, 'InvalidParameter.InstanceName');
    await fails(call('InsertInstance', { InstanceName: 'legacy2', ClusterType: 'FAST' }), 400, 'InvalidParameter.ClusterType');
    await fails(call('InsertInstance', { InstanceName: 'legacy2' }), 400, 'MissingParameter');
    await fails(call('UpdateInstance', { InstanceName: 'legacy1', Network: 'LAN' }), 400, 'InvalidParameter.Network');
    await fails(call('ListInstance', { PageSize: 0 }), 400, 'InvalidParameter');
    await assert.rejects(call('ListInstance', { PageNum: 'x' }), /PageSize 1-100, PageNum 1 or more/);
    await fails(call('InsertTags', { InstanceName: 'legacy1' }), 400, 'MissingParameter');
    await fails(call('BindInstance2Vpc', { InstanceName: 'legacy1', VpcId: 'vpc-1', VirtualSwitchId: 'vsw-1',
      InstanceVpcName: 'legacyvpc', RegionNo: 'cn-hangzhou', Network: 'vpc' }), 400, 'UnsupportedOperation');
    await fails(call('ListVpcInfoByInstance', { InstanceName: 'nosuch' }), 404, 'NotFound');
    await fails(call('CreateInstance', { InstanceName: 'x' }), 404, 'InvalidAction.NotFound');
  });

  await t.test('denials: the identity policy, recorded, replayed and simulated', async () => {
    // A read-only user of another account: no ots:InsertInstance.
    await fails(v1(emu, PARTNER)('InsertInstance', { InstanceName: 'legacy3', ClusterType: 'SSD' }), 403, 'NoPermission');
    const rec = await lastDenial(emu, { action: 'ots:InsertInstance' }, { layer: 'identity-policy' });
    assert.strictEqual(rec.resource, 'acs:ots:cn-hangzhou:56789:instance/legacy3');
    // A Deny statement on ots:InsertInstance unless the request tags owner=builder.
    const b = v1(emu, BUILDER);
    await fails(b('InsertInstance', { InstanceName: 'legacy3', ClusterType: 'SSD' }), 403, 'NoPermission');
    const d = await lastDenial(emu, { action: 'ots:InsertInstance' }, { layer: 'identity-policy' });
    assert.strictEqual(d.checks[0].decidingStatement.sid, 'OwnerTag');
    await b('InsertInstance', { InstanceName: 'legacy3', ClusterType: 'SSD', 'TagInfo.1.TagKey': 'owner',
      'TagInfo.1.TagValue': 'builder' });
    await b('DeleteInstance', { InstanceName: 'legacy3' });
  });

  await t.test('CheckInstancePolicy (2020-12-09) validates without storing', async () => {
    const check = v2(emu, APP);
    const policy = JSON.stringify({ Version: '1', Statement: [{ Sid: 'S', Effect: 'Deny', Principal: ['*'],
      Action: ['ots:PutRow'], Resource: ['acs:ots:*:12345:instance/legacy1/table/*'] }] });
    const r = await check('CheckInstancePolicy', { InstanceName: 'legacy1', Policy: policy });
    assert.deepStrictEqual([r.Code, r.Message], ['OK', 'Verification passed.']);
    assert.strictEqual((await check('GetInstance', { InstanceName: 'legacy1' })).Policy, '');
    await assert.rejects(check('CheckInstancePolicy', { InstanceName: 'legacy1', Policy: '{"Version":"1"}' }),
      (e) => e.code === 'InvalidParameter.Policy' && e.statusCode === 400);
    await assert.rejects(check('CheckInstancePolicy', { InstanceName: 'nosuch', Policy: policy }),
      (e) => e.code === 'NotFound' && e.statusCode === 404);
    await assert.rejects(v2(emu, PARTNER)('CheckInstancePolicy', { InstanceName: 'legacy1', Policy: policy }),
      (e) => e.code === 'NoPermission' && e.statusCode === 403);
  });

  await t.test('DeleteInstance', async () => {
    await call('DeleteInstance', { InstanceName: 'legacy1' });
    await fails(call('GetInstance', { InstanceName: 'legacy1' }), 404, 'NotFound');
    await fails(call('DeleteInstance', { InstanceName: 'legacy1' }), 404, 'NotFound');
  });
});
