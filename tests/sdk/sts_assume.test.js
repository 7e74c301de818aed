'use strict';
// AssumeRole through the official clients, unmodified (rpc-api.md §2, §8.1,
// §10): @alicloud/sts20150401 in its default V3 mode and in V1 mode,
// @alicloud/pop-core (GET and POST), the @alicloud/credentials RAM-role-ARN
// provider over HTTPS (its only transport), and the flow of
// tests/fixtures/examples/sts-assume.js (the reference example script).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const RPCClient = require('@alicloud/pop-core');
const TableStore = require('tablestore');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { start, SRC } = require('../support/emu');

const SEED = path.join(SRC, 'data/world.json');
const EXAMPLE_WORLD = path.join(SRC, 'tests/fixtures/worlds/sts_example.json');
const EXAMPLE = path.join(SRC, 'tests/fixtures/examples/sts-assume.js');
const ROLE_ARN = 'acs:ram::12345:role/aliyunodpsroleforotheruser';
const SVC = { id: 'LTAIemuOdpsFor56789', secret: 'emu-secret-odps-56789' };
const ETL = { id: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl' };

function tea(emu, cred, mode) {
  const cfg = { accessKeyId: cred.id, accessKeySecret: cred.secret, endpoint: `127.0.0.1:${emu.port}`,
    protocol: 'http', regionId: 'cn-hangzhou' };
  if (cred.token) cfg.securityToken = cred.token;
  if (mode === 'v1') cfg.signatureAlgorithm = 'v2';
  return new Sts.default(new $OpenApiUtil.Config(cfg));
}

function pop(emu, cred) {
  return new RPCClient({ accessKeyId: cred.id, accessKeySecret: cred.secret, securityToken: cred.token,
    endpoint: emu.base, apiVersion: '2015-04-01' });
}

test('AssumeRole with @alicloud/sts20150401 and @alicloud/pop-core', async (t) => {
  const emu = await start({ world: SEED });
  t.after(() => emu.stop());

  for (const mode of ['v3', 'v1']) {
    await t.test(`sts20150401 ${mode}: assumeRole, then getCallerIdentity with the session`, async () => {
      const r = await tea(emu, SVC, mode).assumeRole(new Sts.AssumeRoleRequest({
        roleArn: ROLE_ARN, roleSessionName: `sdk-${mode}`, durationSeconds: 1800 }));
      assert.strictEqual(r.statusCode, 200);
      const c = r.body.credentials;
      assert.match(c.accessKeyId, /^STS\./);
      assert.match(c.securityToken, /^CAIS/);
      assert.match(c.expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.strictEqual(r.body.assumedRoleUser.arn, `${ROLE_ARN}/sdk-${mode}`);
      assert.match(r.body.assumedRoleUser.assumedRoleId, new RegExp(`^\\d+:sdk-${mode}$`));
      const who = await tea(emu, { id: c.accessKeyId, secret: c.accessKeySecret, token: c.securityToken }, mode)
        .getCallerIdentity();
      assert.strictEqual(who.body.identityType, 'AssumedRoleUser');
      assert.strictEqual(who.body.arn, `acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/sdk-${mode}`);
      assert.strictEqual(who.body.accountId, '12345');
    });

    await t.test(`sts20150401 ${mode}: refusals surface as ClientError with the cloud's code`, async () => {
      await assert.rejects(tea(emu, ETL, mode).assumeRole(new Sts.AssumeRoleRequest({
        roleArn: ROLE_ARN, roleSessionName: 'etl' })), (e) => {
        assert.strictEqual(e.code, 'NoPermission');
        assert.strictEqual(e.statusCode, 403);
        assert.match(e.message, /You are not authorized to do this action\. You should be authorized by RAM\./);
        return true;
      });
      await assert.rejects(tea(emu, SVC, mode).assumeRole(new Sts.AssumeRoleRequest({
        roleArn: 'acs:ram::12345:role/nosuchrole', roleSessionName: 'x1' })), (e) => {
        assert.strictEqual(e.code, 'EntityNotExist.Role');
        assert.strictEqual(e.statusCode, 404);
        return true;
      });
      await assert.rejects(tea(emu, SVC, mode).assumeRole(new Sts.AssumeRoleRequest({
        roleArn: ROLE_ARN, roleSessionName: 'x1', durationSeconds: 7200 })), (e) => {
        assert.strictEqual(e.code, 'InvalidParameter.DurationSeconds');
        return true;
      });
    });
  }

  await t.test('sts20150401 v3: a session policy travels in the query and is checked', async () => {
    const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ots:GetRange',
      Resource: 'acs:ots:*:12345:instance/cap1/table/vehicle_track' }] });
    const r = await tea(emu, SVC, 'v3').assumeRole(new Sts.AssumeRoleRequest({
      roleArn: ROLE_ARN, roleSessionName: 'with-policy', policy }));
    assert.match(r.body.credentials.accessKeyId, /^STS\./);
    await assert.rejects(tea(emu, SVC, 'v3').assumeRole(new Sts.AssumeRoleRequest({
      roleArn: ROLE_ARN, roleSessionName: 'bad-policy', policy: '{"Version":"1","Statement":"x"}' })),
    (e) => e.code === 'InvalidParameter.PolicyGrammar');
  });

  for (const method of ['GET', 'POST']) {
    await t.test(`pop-core ${method}: AssumeRole, then GetCallerIdentity with securityToken`, async () => {
      const r = await pop(emu, SVC).request('AssumeRole', { RoleArn: ROLE_ARN, RoleSessionName: `pop-${method}` },
        { method });
      assert.match(r.Credentials.AccessKeyId, /^STS\./);
      assert.strictEqual(r.AssumedRoleUser.Arn, `${ROLE_ARN}/pop-${method}`);
      const c = r.Credentials;
      const who = await pop(emu, { id: c.AccessKeyId, secret: c.AccessKeySecret, token: c.SecurityToken })
        .request('GetCallerIdentity', {}, { method });
      assert.strictEqual(who.Arn, `acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/pop-${method}`);
    });
  }

  await t.test('pop-core: root keys are refused with their own message', async () => {
    await assert.rejects(pop(emu, { id: 'LTAIemuAccountB56789', secret: 'emu-secret-account-b' })
      .request('AssumeRole', { RoleArn: ROLE_ARN, RoleSessionName: 'root' }, { method: 'POST' }), (e) => {
      assert.strictEqual(e.code, 'NoPermission');
      assert.match(e.message, /^Roles may not be assumed by root accounts\./);
      return true;
    });
  });
});

test('seed scenario end to end: the session reads vehicle_track through tablestore', async (t) => {
  const emu = await start({ world: SEED });
  t.after(() => emu.stop());
  const r = await tea(emu, SVC, 'v3').assumeRole(new Sts.AssumeRoleRequest({
    roleArn: ROLE_ARN, roleSessionName: 'odps-read' }));
  const c = r.body.credentials;
  const ots = new TableStore.Client({ endpoint: emu.base, instancename: 'cap1', maxRetries: 0,
    accessKeyId: c.accessKeyId, secretAccessKey: c.accessKeySecret, stsToken: c.securityToken });
  const all = [{ vid: TableStore.INF_MIN }, { gt: TableStore.INF_MIN }];
  const end = [{ vid: TableStore.INF_MAX }, { gt: TableStore.INF_MAX }];

  await t.test('DescribeTable and GetRange with x-ots-ststoken', async () => {
    const d = await ots.describeTable({ tableName: 'vehicle_track' });
    assert.deepStrictEqual(d.tableMeta.primaryKey.map((p) => p.name), ['vid', 'gt']);
    const g = await ots.getRange({ tableName: 'vehicle_track', direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: all, exclusiveEndPrimaryKey: end, maxVersions: 1, limit: 5 });
    assert.strictEqual(g.rows.length, 5);
  });

  await t.test('the role grants ten ots actions, not CreateTable', async () => {
    await assert.rejects(ots.createTable({
      tableMeta: { tableName: 'nope', primaryKey: [{ name: 'a', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    }), (e) => e.code === 403 && /OTSNoPermissionAccess/.test(e.message));
  });

  await t.test('past Expiration on the virtual clock Tablestore refuses the token', async () => {
    await emu.json('POST', '/_emu/clock', { advance_seconds: 3700 });
    await assert.rejects(ots.describeTable({ tableName: 'vehicle_track' }), (e) => /OTSAuthFailed/.test(e.message));
    await emu.json('POST', '/_emu/clock', { reset: true });
  });
});

// The provider only speaks HTTPS and Node reads NODE_EXTRA_CA_CERTS once at
// start-up, so it runs in a child process. The child takes credentials,
// asks again (cache), moves the virtual clock with the admin API, asks
// again, and prints what it got.
const CHILD = `
const http = require('node:http');
const Credentials = require('@alicloud/credentials');
const [port, id, secret, duration, advance] = process.argv.slice(1);
function clock(seconds) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ advance_seconds: Number(seconds) });
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/_emu/clock',
      headers: { 'content-type': 'application/json' } }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  const provider = Credentials.RAMRoleARNCredentialsProvider.builder()
    .withCredentialsProvider(Credentials.StaticAKCredentialsProvider.builder()
      .withAccessKeyId(id).withAccessKeySecret(secret).build())
    .withRoleArn('${ROLE_ARN}')
    .withRoleSessionName('provider')
    .withDurationSeconds(Number(duration))
    .withStsEndpoint('127.0.0.1:' + port)
    .build();
  const cred = new Credentials.default(null, provider);
  const pick = (c) => ({ id: c.accessKeyId, secret: c.accessKeySecret, token: c.securityToken,
    type: c.type, providerName: c.providerName });
  const first = pick(await cred.getCredential());
  const again = pick(await cred.getCredential());
  await clock(advance);
  const later = pick(await cred.getCredential());
  console.log(JSON.stringify({ ok: true, first, again, later }));
})().catch((e) => console.log(JSON.stringify({ ok: false, message: String(e && e.message) })));
`;

function provider(emu, cred, duration, advance) {
  const r = spawnSync(process.execPath, ['-e', CHILD, String(emu.port), cred.id, cred.secret, String(duration),
    String(advance)], {
    cwd: __dirname, encoding: 'utf8', timeout: 30000,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: emu.info.ca_file },
  });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

test('@alicloud/credentials RAM-role-ARN provider over HTTPS', async (t) => {
  const emu = await start({ world: SEED });
  t.after(() => emu.stop());
  assert.ok(emu.info.ca_file, 'the ready line names the CA file');
  const whoami = (c) => tea(emu, c, 'v3').getCallerIdentity();

  await t.test('default 3600 s: credentials are cached across calls', async () => {
    const r = provider(emu, SVC, 3600, 0);
    assert.ok(r.ok, r.message);
    assert.match(r.first.id, /^STS\./);
    assert.match(String(r.first.providerName || r.first.type), /^ram_role_arn/);
    assert.strictEqual(r.again.id, r.first.id);
    assert.strictEqual(r.later.id, r.first.id);
    assert.strictEqual((await whoami(r.first)).body.arn,
      'acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/provider');
    // It went over TLS: the access log has the provider's AssumeRole.
    for (let i = 0; i < 50 && !/AssumeRole POST/.test(emu.stderr); i++) await new Promise((res) => setTimeout(res, 20));
    assert.match(emu.stderr, /sts AssumeRole POST principal=56789@odps.aliyuncs.com status=200/);
  });

  await t.test('900 s sessions: past expiry on the virtual clock, the provider fetches new ones', async () => {
    // A 900 s session is inside the provider's 15-minute stale window from
    // the start (rpc-api.md §10.3), so each getCredential re-runs AssumeRole;
    // the clock moves 1000 s between the second and the third call.
    const r = provider(emu, SVC, 900, 1000);
    assert.ok(r.ok, r.message);
    assert.notStrictEqual(r.again.id, r.first.id);
    assert.notStrictEqual(r.later.id, r.again.id);
    await assert.rejects(whoami(r.again), (e) => e.code === 'InvalidSecurityToken.Expired' && e.statusCode === 400);
    assert.strictEqual((await whoami(r.later)).body.identityType, 'AssumedRoleUser');
    await emu.json('POST', '/_emu/clock', { reset: true });
  });

  await t.test('a refusal reaches the application as the provider\'s error with acsemu\'s message', async () => {
    const r = provider(emu, ETL, 3600, 0);
    assert.strictEqual(r.ok, false);
    assert.match(r.message, /NoPermission/);
    assert.match(r.message, /You are not authorized to do this action/);
  });
});

test('tests/fixtures/examples/sts-assume.js runs against acsemu',
  async (t) => {
    const emu = await start({ world: EXAMPLE_WORLD });
    t.after(() => emu.stop());
    const run = (env) => spawnSync(process.execPath, [EXAMPLE], {
      cwd: __dirname, encoding: 'utf8', timeout: 30000,
      env: { ...process.env, EMULATOR_PORT: String(emu.port), SDK_PATH: __dirname, ...env },
    });
    for (const [name, env] of [
      ['V3, provider through the plain-HTTP shim', {}],
      ['V1 signature', { EMULATOR_SIGNATURE: 'v1' }],
      ['provider over HTTPS', { EMULATOR_STS_TLS: '1', NODE_EXTRA_CA_CERTS: emu.info.ca_file }],
      ['service credentials of B', { AK_ID: SVC.id, AK_SECRET: SVC.secret, ROLE_SESSION_NAME: 'odps-example' }],
    ]) {
      await t.test(name, () => {
        const r = run(env);
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.doesNotMatch(r.stderr, /FAILED/);
        assert.match(r.stdout, /"AccessKeyId": "STS\./);
        assert.match(r.stdout, /GetCallerIdentity with the temporary credentials: .*"identityType":"AssumedRoleUser"/);
        assert.match(r.stdout, /assumed-role\/aliyunodpsroleforotheruser\//);
      });
    }
  });
