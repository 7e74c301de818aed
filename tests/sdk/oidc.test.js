'use strict';
// @alicloud/credentials' OIDC provider, unmodified, configured the way ACK
// RRSA and CI systems configure it: ALIBABA_CLOUD_ROLE_ARN,
// ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE in the
// environment, only the STS endpoint pointed at acsemu (HTTPS, its CA
// trusted through NODE_EXTRA_CA_CERTS, hence a child process). The token
// comes from acsemu's test issuer; the credentials it returns then make an
// official SDK call (@alicloud/sts20150401 GetCallerIdentity).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { start, SRC } = require('../support/emu');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/oidc.json');

const CHILD = `
const Credential = require('@alicloud/credentials');
const cred = new Credential.default(new Credential.Config({
  type: 'oidc_role_arn', stsEndpoint: '127.0.0.1:' + process.argv[1] }));
cred.getCredential().then(
  (c) => console.log(JSON.stringify({ ok: true, id: c.accessKeyId, secret: c.accessKeySecret,
    token: c.securityToken })),
  (e) => console.log(JSON.stringify({ ok: false, message: String(e && e.message) })));
`;

function provider(emu, env) {
  const r = spawnSync(process.execPath, ['-e', CHILD, String(emu.port)], {
    cwd: __dirname, encoding: 'utf8', timeout: 20000,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: emu.info.ca_file, ...env },
  });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function mint(emu, body) {
  const r = await emu.json('POST', '/_emu/oidc/token', body);
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

test('@alicloud/credentials OIDC provider from the environment', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const file = path.join(emu.dir, 'oidc-token');
  const env = {
    ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::12345:role/rrsa-app',
    ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::12345:oidc-provider/ack-rrsa-c0123',
    ALIBABA_CLOUD_OIDC_TOKEN_FILE: file,
    ALIBABA_CLOUD_ROLE_SESSION_NAME: 'rrsa-pod',
  };

  await t.test('RRSA: credentials, then GetCallerIdentity with them', async () => {
    fs.writeFileSync(file, await mint(emu, {
      issuer: 'https://oidc-ack-cn-hangzhou.oss-cn-hangzhou-internal.aliyuncs.com/c0123',
      subject: 'system:serviceaccount:default:app', audience: 'sts.aliyuncs.com' }));
    const c = provider(emu, env);
    assert.ok(c.ok, c.message);
    assert.match(c.id, /^STS\./);
    const sts = new Sts.default(new $OpenApiUtil.Config({ accessKeyId: c.id, accessKeySecret: c.secret,
      securityToken: c.token, endpoint: `127.0.0.1:${emu.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
    const who = await sts.getCallerIdentity();
    assert.strictEqual(who.body.arn, 'acs:ram::12345:assumed-role/rrsa-app/rrsa-pod');
  });

  await t.test('GitHub Actions: the same provider, another role', async () => {
    fs.writeFileSync(file, await mint(emu, { issuer: 'https://token.actions.githubusercontent.com',
      subject: 'repo:acme/app:ref:refs/heads/main', audience: 'sts.aliyuncs.com' }));
    const c = provider(emu, { ...env, ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::12345:role/gh-deploy',
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::12345:oidc-provider/github' });
    assert.ok(c.ok, c.message);
  });

  await t.test('failures reach the application with the cloud\'s code', async () => {
    fs.writeFileSync(file, await mint(emu, { issuer: 'https://token.actions.githubusercontent.com',
      subject: 'repo:acme/app:ref:refs/heads/main', audience: 'sts.aliyuncs.com', lifetime: -60 }));
    const c = provider(emu, { ...env, ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::12345:role/gh-deploy',
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::12345:oidc-provider/github' });
    assert.strictEqual(c.ok, false);
    assert.match(c.message, /get sts token failed with OIDC: .*"Code":"AuthenticationFail\.OIDCToken\.Expired"/);
    const w = provider(emu, { ...env, ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::12345:oidc-provider/nope' });
    assert.match(w.message, /"Code":"AuthenticationFail\.NoPermission".*No such OIDC Provider registered\./);
  });
});
