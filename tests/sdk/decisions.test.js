'use strict';
// Denials as the official SDKs see them, and their explanation in acsemu:
// @alicloud/sts20150401 (wrong trust UID, root caller), tablestore (GetRow
// without permission, across accounts, through a narrower session policy),
// @alicloud/ram20150501 (AccessDeniedDetail.EncodedDiagnosticMessage, then
// DecodeDiagnosticMessage through the SDK's own response model). Each
// denial is then found in GET /_emu/decisions, its bundle replays to the
// same decision and reason, and POST /_emu/simulate agrees.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const Sts = require('@alicloud/sts20150401');
const Ram = require('@alicloud/ram20150501');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { start, SRC } = require('../support/emu');
const { lastDenial } = require('../support/denial');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/decisions.json');
const K = {
  rootA: ['LTAIemuAccountA12345', 'emu-secret-account-a'], rootB: ['LTAIemuAccountB56789', 'emu-secret-account-b'],
  nobody: ['LTAIemuNobodyA12345', 'emu-secret-nobody'], alice: ['LTAIemuAlice56789', 'emu-secret-alice'],
  odps: ['LTAIemuOdpsFor56789', 'emu-secret-odps-56789'],
};

const cfg = (emu, [id, secret], token) => new $OpenApiUtil.Config({ accessKeyId: id, accessKeySecret: secret,
  securityToken: token, endpoint: `127.0.0.1:${emu.port}`, protocol: 'http', regionId: 'cn-hangzhou' });
const sts = (emu, k, token) => new Sts.default(cfg(emu, k, token));
const ram = (emu, k) => new Ram.default(cfg(emu, k));
const ots = (emu, [id, secret], token) => new TableStore.Client({ accessKeyId: id, secretAccessKey: secret,
  stsToken: token, endpoint: emu.base, instancename: 'cap1', maxRetries: 0 });
const getRow = (c) => c.getRow({ tableName: 'vehicle_track',
  primaryKey: [{ vid: TableStore.Long.fromNumber(1) }, { gt: TableStore.Long.fromNumber(1) }] });

test('SDK denials are explained by acsemu', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('sts20150401: wrong trust UID, then the root-only rule', async () => {
    const root = ram(emu, K.rootA);
    await root.updateRole(new Ram.UpdateRoleRequest({ roleName: 'AliyunODPSRoleForOtherUser',
      newAssumeRolePolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole',
        Principal: { Service: ['12345@odps.aliyuncs.com'] } }] }) }));
    const req = new Sts.AssumeRoleRequest({ roleArn: 'acs:ram::12345:role/aliyunodpsroleforotheruser', roleSessionName: 'odps' });
    await assert.rejects(sts(emu, K.odps).assumeRole(req), (e) => {
      assert.strictEqual(e.code, 'NoPermission');
      assert.strictEqual(e.statusCode, 403);
      return true;
    });
    await lastDenial(emu, { principal: '56789@odps.aliyuncs.com', action: 'sts:AssumeRole' }, {
      layer: 'trust-policy', reason: /allows service 12345@odps\.aliyuncs\.com; caller is 56789@odps\.aliyuncs\.com$/,
    });
    await assert.rejects(sts(emu, K.rootB).assumeRole(new Sts.AssumeRoleRequest({
      roleArn: 'acs:ram::12345:role/otsreaderforb', roleSessionName: 'root' })), (e) => {
      assert.strictEqual(e.code, 'NoPermission');
      assert.match(e.message, /Roles may not be assumed by root accounts\./);
      return true;
    });
    await lastDenial(emu, { principal: 'acs:ram::56789:root' }, { layer: 'root-only-rule' });
  });

  await t.test('tablestore: no permission, across accounts, narrower session policy', async () => {
    await assert.rejects(getRow(ots(emu, K.nobody)), (e) => {
      assert.strictEqual(e.code, 403);
      assert.ok(e.message.includes('OTSNoPermissionAccess'), e.message);
      return true;
    });
    await lastDenial(emu, { principal: 'acs:ram::12345:user/nobody', action: 'ots:GetRow' },
      { layer: 'identity-policy', reason: /\(the caller has no policies\)$/ });

    await assert.rejects(getRow(ots(emu, K.alice)), (e) => e.code === 403);
    await lastDenial(emu, { principal: 'acs:ram::56789:user/alice', action: 'GetRow' }, { layer: 'cross-account-boundary' });

    const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ots:GetRow',
      Resource: 'acs:ots:*:12345:instance/cap1/table/other' }] });
    const a = await sts(emu, K.alice).assumeRole(new Sts.AssumeRoleRequest({
      roleArn: 'acs:ram::12345:role/OtsReaderForB', roleSessionName: 'narrow', policy }));
    const c = a.body.credentials;
    await assert.rejects(getRow(ots(emu, [c.accessKeyId, c.accessKeySecret], c.securityToken)), (e) => e.code === 403);
    const rec = await lastDenial(emu, { principal: 'acs:ram::12345:role/otsreaderforb', action: 'ots:GetRow' },
      { layer: 'session-policy', reason: /^no session policy allows ots:GetRow/ });
    assert.strictEqual(rec.principal.sourcePrincipal, 'acs:ram::56789:user/alice');
    // The role itself allows GetRow: without the session policy it passes.
    const plain = await sts(emu, K.alice).assumeRole(new Sts.AssumeRoleRequest({
      roleArn: 'acs:ram::12345:role/OtsReaderForB', roleSessionName: 'plain' }));
    const p = plain.body.credentials;
    const row = await getRow(ots(emu, [p.accessKeyId, p.accessKeySecret], p.securityToken));
    assert.ok(row.consumed);
  });

  await t.test('ram20150501: EncodedDiagnosticMessage decodes through the SDK model', async () => {
    let detail;
    await assert.rejects(ram(emu, K.nobody).createUser(new Ram.CreateUserRequest({ userName: 'x' })), (e) => {
      assert.strictEqual(e.code, 'NoPermission');
      detail = e.accessDeniedDetail;
      return true;
    });
    assert.strictEqual(detail.AuthAction, 'ram:CreateUser');
    assert.strictEqual(detail.AuthPrincipalType, 'SubUser');
    const d = await ram(emu, K.rootA).decodeDiagnosticMessage(new Ram.DecodeDiagnosticMessageRequest({
      encodedDiagnosticMessage: detail.EncodedDiagnosticMessage }));
    const m = d.body.decodedDiagnosticMessage;
    assert.strictEqual(m.authAction, 'ram:CreateUser');
    assert.strictEqual(m.authResource, 'acs:ram::12345:user/x');
    assert.strictEqual(m.explicitDeny, false);
    assert.strictEqual(m.noPermissionPolicyType, 'AccountLevelIdentityBasedPolicy');
    assert.strictEqual(m.authPrincipal.authPrincipalDisplayName, 'nobody');
    assert.strictEqual(m.authPrincipal.authPrincipalOwnerId, '12345');
    assert.ok(m.authConditions.some((x) => x.conditionKey === 'acs:AccessId' && x.conditionValues[0] === K.nobody[0]));
    await lastDenial(emu, { principal: K.nobody[0], action: 'ram:CreateUser' }, { layer: 'identity-policy' });
  });
});
