'use strict';
// ALIBABA_CLOUD_CREDENTIALS_URI: an application configured with only that
// variable (no AccessKey anywhere) runs unmodified through
// @alicloud/credentials' default chain, which reads acsemu's credentials URI
// (GET /_emu/credentials/ACCOUNT/ROLE); the session it returns then makes an
// official SDK call. Failures and the admin guard are checked on the route.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { start, SRC, tmpdir } = require('../support/emu');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/oidc.json');

const CHILD = `
const Credential = require('@alicloud/credentials');
new Credential.default().getCredential().then(
  (c) => console.log(JSON.stringify({ ok: true, id: c.accessKeyId, secret: c.accessKeySecret,
    token: c.securityToken, type: c.type })),
  (e) => console.log(JSON.stringify({ ok: false, message: String(e && e.message) })));
`;

function app(uri) {
  // Nothing but the URI: no AccessKey variables, an empty HOME (no profile).
  const env = { PATH: process.env.PATH, HOME: tmpdir(), ALIBABA_CLOUD_CREDENTIALS_URI: uri };
  const r = spawnSync(process.execPath, ['-e', CHILD], { cwd: __dirname, encoding: 'utf8', timeout: 20000, env });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

test('@alicloud/credentials with only ALIBABA_CLOUD_CREDENTIALS_URI', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('a session of the role in the path, usable with an official SDK', async () => {
    const c = app(`${emu.base}/_emu/credentials/12345/gh-deploy`);
    assert.ok(c.ok, c.message);
    assert.match(c.id, /^STS\./);
    const sts = new Sts.default(new $OpenApiUtil.Config({ accessKeyId: c.id, accessKeySecret: c.secret,
      securityToken: c.token, endpoint: `127.0.0.1:${emu.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
    const who = await sts.getCallerIdentity();
    assert.strictEqual(who.body.arn, 'acs:ram::12345:assumed-role/gh-deploy/credentials-uri');
  });

  await t.test('an unknown role reaches the application as an error', () => {
    const c = app(`${emu.base}/_emu/credentials/12345/nosuchrole`);
    assert.strictEqual(c.ok, false);
    assert.match(c.message, /httpStatus: 404.*EntityNotExist\.Role/);
  });

  await t.test('the route: JSON shape, duration, and the admin guard', async () => {
    const r = await emu.json('GET', '/_emu/credentials/12345/rrsa-app?duration=900');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.body.Code, 'Success');
    assert.strictEqual(Date.parse(r.body.Expiration) - Date.parse(r.body.LastUpdated) <= 900000, true);
    const bad = await emu.json('GET', '/_emu/credentials/12345/rrsa-app?duration=99999');
    assert.deepStrictEqual([bad.status, bad.body.Code], [400, 'InvalidParameter.DurationSeconds']);
    assert.strictEqual((await emu.json('GET', '/_emu/credentials/12345')).status, 404);
    const foreign = await emu.request('GET', '/_emu/credentials/12345/rrsa-app', undefined,
      { origin: 'https://evil.example' });
    assert.strictEqual(foreign.status, 403);
    assert.doesNotMatch(foreign.body, /STS\./);
  });
});
