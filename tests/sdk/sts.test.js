'use strict';
// Official STS clients, unmodified, against acsemu: @alicloud/pop-core (V1)
// and @alicloud/sts20150401 in its default V3 mode and in V1 mode.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, SRC } = require('../support/emu');
const RPCClient = require('@alicloud/pop-core');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/basic.json');

test('STS GetCallerIdentity through the official SDKs', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('pop-core (signature V1, GET)', async () => {
    const c = new RPCClient({ accessKeyId: 'LTAIemuEtlUser56789', accessKeySecret: 'emu-secret-etl',
      endpoint: emu.base, apiVersion: '2015-04-01' });
    const r = await c.request('GetCallerIdentity', {}, { method: 'GET' });
    assert.strictEqual(r.Arn, 'acs:ram::56789:user/etl');
    assert.strictEqual(r.IdentityType, 'RAMUser');
  });

  await t.test('pop-core (POST form body)', async () => {
    const c = new RPCClient({ accessKeyId: 'LTAIemuAccountA12345', accessKeySecret: 'emu-secret-account-a',
      endpoint: emu.base, apiVersion: '2015-04-01' });
    const r = await c.request('GetCallerIdentity', {}, { method: 'POST' });
    assert.strictEqual(r.Arn, 'acs:ram::12345:root');
  });

  for (const mode of ['v3', 'v1']) {
    await t.test(`@alicloud/sts20150401 (${mode})`, async () => {
      const cfg = { accessKeyId: 'LTAIemuEtlUser56789', accessKeySecret: 'emu-secret-etl',
        endpoint: `127.0.0.1:${emu.port}`, protocol: 'http', regionId: 'cn-hangzhou' };
      if (mode === 'v1') cfg.signatureAlgorithm = 'v2';
      const client = new Sts.default(new $OpenApiUtil.Config(cfg));
      const r = await client.getCallerIdentity();
      assert.strictEqual(r.statusCode, 200);
      assert.strictEqual(r.body.arn, 'acs:ram::56789:user/etl');
      assert.strictEqual(r.body.accountId, '56789');
    });
  }

  await t.test('an unknown key surfaces as InvalidAccessKeyId.NotFound in each client', async () => {
    const pop = new RPCClient({ accessKeyId: 'LTAInobody', accessKeySecret: 'x', endpoint: emu.base, apiVersion: '2015-04-01' });
    await assert.rejects(pop.request('GetCallerIdentity', {}, { method: 'GET' }), (e) => {
      assert.strictEqual(e.code, 'InvalidAccessKeyId.NotFound');
      assert.match(e.message, /^Specified access key is not found\./);
      return true;
    });
    const client = new Sts.default(new $OpenApiUtil.Config({ accessKeyId: 'LTAInobody', accessKeySecret: 'x',
      endpoint: `127.0.0.1:${emu.port}`, protocol: 'http' }));
    await assert.rejects(client.getCallerIdentity(), (e) => {
      assert.strictEqual(e.code, 'InvalidAccessKeyId.NotFound');
      assert.strictEqual(e.statusCode, 404);
      return true;
    });
  });
});
