'use strict';
// The Tablestore instance API (2020-12-09, ROA under /v2/openapi/) through
// the official @alicloud/openapi-core client, signing with ACS3-HMAC-SHA256
// exactly as @alicloud/tablestore20201209 and Terraform do. An instance
// created through the API serves the data plane (the `tablestore` SDK) at
// once; its instance policy is set, read and removed through the API and
// enforced on the data plane; calls are authorized as ots:<Action> on the
// instance's ARN.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { $OpenApiUtil, default: OpenApi } = require('@alicloud/openapi-core');
const { RuntimeOptions } = require('@darabonba/typescript');
const { start, SRC } = require('../support/emu');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/instance_policy.json');
const APP = ['LTAIipApp12345', 'ip-secret-app'];
const PARTNER = ['LTAIipPartner5678', 'ip-secret-partner'];
const BUILDER = ['LTAIipBuilder1234', 'ip-secret-builder'];
const GETS = new Set(['GetInstance', 'ListInstances']);

const api = (emu, [accessKeyId, accessKeySecret]) => {
  const c = new OpenApi(new $OpenApiUtil.Config({ accessKeyId, accessKeySecret, endpoint: `127.0.0.1:${emu.port}`,
    protocol: 'http', autoretry: false }));
  return async (action, args = {}) => {
    const get = GETS.has(action);
    const params = new $OpenApiUtil.Params({ action, version: '2020-12-09', protocol: 'HTTP',
      pathname: `/v2/openapi/${action.toLowerCase()}`, method: get ? 'GET' : 'POST', authType: 'AK',
      style: 'ROA', reqBodyType: 'json', bodyType: 'json' });
    const req = new $OpenApiUtil.OpenApiRequest(get ? { query: args } : { body: args });
    return (await c.callApi(params, req, new RuntimeOptions({ autoretry: false, maxAttempts: 0 }))).body;
  };
};
const fails = (p, status, code) => assert.rejects(p, (e) => {
  assert.strictEqual(e.statusCode, status, e.message);
  assert.strictEqual(e.code, code, e.message);
  return true;
});
const ots = (emu, [accessKeyId, secretAccessKey], instancename) =>
  new TableStore.Client({ accessKeyId, secretAccessKey, instancename, endpoint: emu.base, maxRetries: 0 });
const pk = [{ id: TableStore.Long.fromNumber(1) }];
const putRow = (c) => c.putRow({ tableName: 't', primaryKey: pk, attributeColumns: [{ v: 'x' }],
  condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null) });
const DENY_WRITES = JSON.stringify({ Version: '1', Statement: [{ Sid: 'NoWrites', Effect: 'Deny', Principal: ['*'],
  Action: ['ots:PutRow'], Resource: ['acs:ots:*:12345:instance/made1/table/*'] }] });

test('the Tablestore instance API', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const call = api(emu, APP);

  await t.test('CreateInstance, and the data plane serves it at once', async () => {
    const r = await call('CreateInstance', { InstanceName: 'made1', ClusterType: 'SSD',
      InstanceDescription: 'made by the API', Tags: [{ Key: 'env', Value: 'test' }] });
    assert.match(r.RequestId, /^[0-9A-F-]{36}$/);
    const g = await call('GetInstance', { InstanceName: 'made1' });
    assert.strictEqual(g.InstanceName, 'made1');
    assert.strictEqual(g.UserId, '12345');
    assert.strictEqual(g.InstanceDescription, 'made by the API');
    assert.strictEqual(g.InstanceSpecification, 'SSD');
    assert.strictEqual(g.Network, 'NORMAL');
    assert.deepStrictEqual(g.Tags, [{ Key: 'env', Value: 'test' }]);
    assert.strictEqual(g.Policy, '');
    const l = await call('ListInstances', { MaxResults: 2 });
    assert.strictEqual(l.TotalCount, 3);
    assert.deepStrictEqual(l.Instances.map((i) => i.InstanceName), ['cap1', 'other']);
    const l2 = await call('ListInstances', { MaxResults: 2, NextToken: l.NextToken });
    assert.deepStrictEqual(l2.Instances.map((i) => i.InstanceName), ['made1']);
    const c = ots(emu, APP, 'made1');
    await c.createTable({ tableMeta: { tableName: 't', primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
    await putRow(c);
  });

  await t.test('the instance policy, set and removed through the API, binds the data plane', async () => {
    await call('UpdateInstancePolicy', { InstanceName: 'made1', Policy: DENY_WRITES, PolicyVersion: 0 });
    const g = await call('GetInstance', { InstanceName: 'made1' });
    assert.strictEqual(JSON.parse(g.Policy).Statement[0].Sid, 'NoWrites');
    assert.strictEqual(g.PolicyVersion, 1);
    await assert.rejects(putRow(ots(emu, APP, 'made1')), (e) => e.code === 403 && /OTSNoPermissionAccess/.test(e.message));
    const rec = (await emu.json('GET', '/_emu/decisions?denied=1&limit=1&action=ots:PutRow')).body.decisions[0];
    assert.strictEqual(rec.decidingLayer, 'instance-policy');
    // A stale PolicyVersion is refused; the current one removes it.
    await fails(call('DeleteInstancePolicy', { InstanceName: 'made1', PolicyVersion: 0 }), 409, 'InvalidParameter.PolicyVersion');
    await call('DeleteInstancePolicy', { InstanceName: 'made1', PolicyVersion: 1 });
    await putRow(ots(emu, APP, 'made1'));
    await fails(call('UpdateInstancePolicy', { InstanceName: 'made1', Policy: '{"Version":"1"}' }), 400, 'InvalidParameter.Policy');
    // What the API made is world state (saved, checkpointed, journaled).
    const w = (await emu.json('GET', '/_emu/world')).body;
    const inst = w.Accounts[0].Tablestore.Instances.find((i) => i.InstanceName === 'made1');
    assert.strictEqual(inst.Description, 'made by the API');
    assert.deepStrictEqual(inst.Tags, [{ Key: 'env', Value: 'test' }]);
    assert.match(inst.CreateTime, /^\d{4}-\d\d-\d\dT/);
    assert.strictEqual(inst.InstancePolicy, undefined);
  });

  await t.test('UpdateInstance sets the network ACL', async () => {
    await call('UpdateInstance', { InstanceName: 'made1', NetworkTypeACL: ['VPC'], NetworkSourceACL: ['TRUST_PROXY'] });
    const g = await call('GetInstance', { InstanceName: 'made1' });
    assert.strictEqual(g.Network, 'VPC_CONSOLE');
    assert.deepStrictEqual(g.NetworkTypeACL, ['VPC']);
    await assert.rejects(putRow(ots(emu, APP, 'made1')), (e) => e.code === 403 && /instance ACL policies/.test(e.message));
    await call('UpdateInstance', { InstanceName: 'made1', Network: 'NORMAL' });
    await putRow(ots(emu, APP, 'made1'));
  });

  await t.test('errors and authorization', async () => {
    await fails(call('GetInstance', { InstanceName: 'nosuch' }), 404, 'NotFound');
    await fails(call('CreateInstance', { InstanceName: 'cap1', ClusterType: 'SSD' }), 409, 'InstanceAlreadyExist');
    await fails(call('CreateInstance', { InstanceName: 'my-ots-1', ClusterType: 'SSD' }), 400, 'InvalidParameter.InstanceName');
    await fails(call('CreateInstance', { InstanceName: 'made2' }), 400, 'MissingParameter');
    // Another account's read-only user: no ots:CreateInstance, and the
    // decision names the action and the ARN.
    await fails(api(emu, PARTNER)('CreateInstance', { InstanceName: 'made2', ClusterType: 'SSD' }), 403, 'NoPermission');
    const rec = (await emu.json('GET', '/_emu/decisions?denied=1&limit=1&action=ots:CreateInstance')).body.decisions[0];
    assert.strictEqual(rec.resource, 'acs:ots:cn-hangzhou:56789:instance/made2');
    assert.strictEqual(rec.decidingLayer, 'identity-policy');
    // The partner does not see account 12345's instances.
    await fails(api(emu, PARTNER)('GetInstance', { InstanceName: 'made1' }), 404, 'NotFound');
  });

  await t.test('tags: the tag API, acs:ResourceTag on the data plane, acs:RequestTag', async () => {
    await call('TagResources', { ResourceType: 'INSTANCE', ResourceIds: ['made1'], Tags: [{ Key: 'env', Value: 'prod' }] });
    const l = await call('ListTagResources', { ResourceType: 'INSTANCE', ResourceIds: ['made1'] });
    assert.deepStrictEqual(l.TagResources, [{ ResourceId: 'made1', ResourceType: 'INSTANCE', TagKey: 'env', TagValue: 'prod' }]);
    // Writes only to instances tagged env=prod: the instance's tags are
    // acs:ResourceTag/<key> on every data-plane request.
    await call('UpdateInstancePolicy', { InstanceName: 'made1', Policy: JSON.stringify({ Version: '1', Statement: [{
      Sid: 'ProdOnly', Effect: 'Deny', Principal: ['*'], Action: ['ots:PutRow'], Resource: ['acs:ots:*:12345:instance/made1/table/*'],
      Condition: { StringNotEquals: { 'acs:ResourceTag/env': 'prod' } } }] }) });
    await putRow(ots(emu, APP, 'made1'));
    await call('UntagResources', { ResourceType: 'INSTANCE', ResourceIds: ['made1'], TagKeys: ['env'] });
    await assert.rejects(putRow(ots(emu, APP, 'made1')), (e) => e.code === 403 && /OTSNoPermissionAccess/.test(e.message));
    const id = (await emu.json('GET', '/_emu/decisions?denied=1&limit=1&action=ots:PutRow')).body.decisions[0].id;
    const rec = (await emu.json('GET', `/_emu/decisions/${id}`)).body;
    assert.strictEqual(rec.decidingLayer, 'instance-policy');
    assert.strictEqual(rec.checks[0].decidingStatement.sid, 'ProdOnly');
    const g = await call('GetInstance', { InstanceName: 'made1' });
    await call('DeleteInstancePolicy', { InstanceName: 'made1', PolicyVersion: g.PolicyVersion });
    // A policy that requires an owner tag on what its user creates or tags.
    const b = api(emu, BUILDER);
    await fails(b('CreateInstance', { InstanceName: 'made3', ClusterType: 'SSD' }), 403, 'NoPermission');
    const d = (await emu.json('GET', '/_emu/decisions?denied=1&limit=1&action=ots:CreateInstance')).body.decisions[0];
    assert.strictEqual(d.decidingLayer, 'identity-policy');
    await b('CreateInstance', { InstanceName: 'made3', ClusterType: 'SSD', Tags: [{ Key: 'owner', Value: 'builder' }] });
    await fails(b('TagResources', { ResourceType: 'INSTANCE', ResourceIds: ['made3'], Tags: [{ Key: 'owner', Value: 'x' }] }), 403, 'NoPermission');
    await b('DeleteInstance', { InstanceName: 'made3' });
  });

  await t.test('DeleteInstance needs the tables gone first', async () => {
    await fails(call('DeleteInstance', { InstanceName: 'made1' }), 409, 'OperationDenied.InstanceNotEmpty');
    await ots(emu, APP, 'made1').deleteTable({ tableName: 't' });
    await call('DeleteInstance', { InstanceName: 'made1' });
    await fails(call('GetInstance', { InstanceName: 'made1' }), 404, 'NotFound');
    await assert.rejects(putRow(ots(emu, APP, 'made1')), (e) => e.code === 403 && /The instance is not found/.test(e.message));
  });
});
