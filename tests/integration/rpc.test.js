'use strict';
// The RPC front (STS/RAM): routing by Version, unknown actions, the caller's
// identity, JSON and XML errors.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, SRC } = require('../support/emu');
const { signV1, v1Params, v1Path, toQuery } = require('../support/sign');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/basic.json');

test('rpc', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const q = (params) => '/?' + new URLSearchParams(params).toString();
  // Every caller signs (signature V1, rpc-api.md §3) with its own secret.
  const SECRETS = {
    LTAIemuAccountA12345: 'emu-secret-account-a', LTAIemuEtlUser56789: 'emu-secret-etl',
    LTAIemuAccountB56789: 'emu-secret-account-b', LTAIemuOffA12345: 'emu-secret-off',
  };
  const signed = (action, version, ak, extra) => v1Path(action, version, ak, SECRETS[ak] || 'x', extra);

  await t.test('unknown action answers InvalidAction.NotFound', async () => {
    const r = await emu.json('GET', signed('FlyToTheMoon', '2015-05-01', 'LTAIemuAccountA12345'));
    assert.strictEqual(r.status, 404);
    assert.strictEqual(r.body.Code, 'InvalidAction.NotFound');
    assert.strictEqual(r.body.Message, 'Specified api is not found, please check your url and method.');
    assert.match(r.body.RequestId, /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    assert.ok('HostId' in r.body && 'Recommend' in r.body);
  });

  await t.test('XML errors when Format=XML', async () => {
    const r = await emu.request('GET', q({ Action: 'Nope', Version: '2015-04-01', Format: 'XML', AccessKeyId: 'x' }));
    assert.strictEqual(r.status, 404);
    assert.strictEqual(r.headers['content-type'], 'text/xml;charset=utf-8');
    assert.match(r.body, /^<\?xml version="1.0" encoding="UTF-8"\?><Error><RequestId>/);
    assert.match(r.body, /<Code>InvalidAction.NotFound<\/Code>/);
  });

  await t.test('wrong version answers InvalidVersion', async () => {
    const r = await emu.json('GET', signed('GetCallerIdentity', '2099-01-01', 'LTAIemuAccountA12345'));
    assert.strictEqual(r.status, 400);
    assert.strictEqual(r.body.Code, 'InvalidVersion');
  });

  await t.test('GetCallerIdentity shapes for root and RAM user', async () => {
    const root = await emu.json('GET', signed('GetCallerIdentity', '2015-04-01', 'LTAIemuAccountA12345'));
    assert.strictEqual(root.status, 200);
    assert.strictEqual(root.body.IdentityType, 'Account');
    assert.strictEqual(root.body.Arn, 'acs:ram::12345:root');
    assert.ok(!('Code' in root.body));
    const user = await emu.json('GET', signed('GetCallerIdentity', '2015-04-01', 'LTAIemuEtlUser56789'));
    assert.strictEqual(user.body.IdentityType, 'RAMUser');
    assert.strictEqual(user.body.Arn, 'acs:ram::56789:user/etl');
    assert.strictEqual(user.body.AccountId, '56789');
    assert.match(user.body.UserId, /^\d{16}$/);
  });

  await t.test('unknown and inactive keys are refused with their codes', async () => {
    const unknown = await emu.json('GET', signed('GetCallerIdentity', '2015-04-01', 'LTAInobody'));
    assert.strictEqual(unknown.status, 404);
    assert.strictEqual(unknown.body.Code, 'InvalidAccessKeyId.NotFound');
    const off = await emu.json('GET', signed('GetCallerIdentity', '2015-04-01', 'LTAIemuOffA12345'));
    assert.strictEqual(off.status, 400);
    assert.strictEqual(off.body.Code, 'InvalidAccessKeyId.Inactive');
  });

  await t.test('form bodies carry parameters too', async () => {
    const { params } = signV1(v1Params('GetCallerIdentity', '2015-04-01', 'LTAIemuAccountB56789'),
      'emu-secret-account-b', 'POST');
    const r = await emu.request('POST', '/', toQuery(params),
      { 'content-type': 'application/x-www-form-urlencoded' });
    assert.strictEqual(r.status, 200);
    assert.strictEqual(JSON.parse(r.body).Arn, 'acs:ram::56789:root');
  });

  await t.test('a body of another content type is refused', async () => {
    const r = await emu.request('POST', q({ Action: 'GetCallerIdentity', Version: '2015-04-01' }), '<x/>', { 'content-type': 'text/xml' });
    assert.strictEqual(r.status, 400);
    assert.strictEqual(JSON.parse(r.body).Code, 'InvalidParameter.ContentType');
  });
});
