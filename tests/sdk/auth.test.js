'use strict';
// Authentication as each official client surfaces it: a correct call gets
// through; a wrong secret, an unknown key and an inactive key each get
// their error (rpc-api.md §7) in the shape that client reports.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, SRC } = require('../support/emu');
const RPCClient = require('@alicloud/pop-core');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/basic.json');
const GOOD = { id: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl' };
const CASES = [
  { name: 'wrong secret', id: GOOD.id, secret: 'not-the-secret', code: 'SignatureDoesNotMatch', status: 400,
    message: /^Specified signature is not matched with our calculation\. server string to sign is:/ },
  { name: 'unknown key', id: 'LTAInobody', secret: 'x', code: 'InvalidAccessKeyId.NotFound', status: 404,
    message: /^Specified access key is not found\./ },
  { name: 'inactive key', id: 'LTAIemuOffA12345', secret: 'emu-secret-off', code: 'InvalidAccessKeyId.Inactive', status: 400,
    message: /^Specified access key is disabled\./ },
];

test('authentication through the official RPC clients', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  const pop = (id, secret) => new RPCClient({ accessKeyId: id, accessKeySecret: secret, endpoint: emu.base, apiVersion: '2015-04-01' });
  for (const method of ['GET', 'POST']) {
    await t.test(`pop-core V1 ${method}`, async () => {
      const r = await pop(GOOD.id, GOOD.secret).request('GetCallerIdentity', {}, { method });
      assert.strictEqual(r.Arn, 'acs:ram::56789:user/etl');
      for (const c of CASES) {
        await assert.rejects(pop(c.id, c.secret).request('GetCallerIdentity', {}, { method }), (e) => {
          assert.strictEqual(e.code, c.code, c.name);
          assert.match(e.message, c.message);
          return true;
        });
      }
    });
  }

  // pop-core lets the caller set Timestamp: a stale one is refused.
  await t.test('pop-core with a 20-minute-old Timestamp', async () => {
    const old = new Date(Date.now() - 20 * 60e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await assert.rejects(pop(GOOD.id, GOOD.secret).request('GetCallerIdentity', { Timestamp: old }, { method: 'GET' }), (e) => {
      assert.strictEqual(e.code, 'InvalidTimeStamp.Expired');
      return true;
    });
  });

  for (const mode of ['v3', 'v1']) {
    const sts = (id, secret) => {
      const cfg = { accessKeyId: id, accessKeySecret: secret, endpoint: `127.0.0.1:${emu.port}`, protocol: 'http' };
      if (mode === 'v1') cfg.signatureAlgorithm = 'v2';
      return new Sts.default(new $OpenApiUtil.Config(cfg));
    };
    await t.test(`@alicloud/sts20150401 ${mode}`, async () => {
      const r = await sts(GOOD.id, GOOD.secret).getCallerIdentity();
      assert.strictEqual(r.statusCode, 200);
      assert.strictEqual(r.body.arn, 'acs:ram::56789:user/etl');
      for (const c of CASES) {
        await assert.rejects(sts(c.id, c.secret).getCallerIdentity(), (e) => {
          assert.strictEqual(e.code, c.code, c.name);
          assert.strictEqual(e.statusCode, c.status, c.name);
          assert.match(e.data.Message, c.message);
          return true;
        });
      }
    });
  }

  await t.test('V3 wrong secret: the string-to-sign is the SDK\'s own', async () => {
    const cfg = { accessKeyId: GOOD.id, accessKeySecret: 'wrong', endpoint: `127.0.0.1:${emu.port}`, protocol: 'http' };
    await assert.rejects(new Sts.default(new $OpenApiUtil.Config(cfg)).getCallerIdentity(), (e) => {
      assert.match(e.data.Message, /server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$/);
      return true;
    });
  });
});
