'use strict';
// AssumeRoleWithSAML through the official @alicloud/sts20150401 client
// (anonymous, as the SDK sends it), then an official SDK call made with the
// credentials it returns; and a failure as the SDK surfaces it.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { start, SRC } = require('../support/emu');
const { client } = require('../support/rpc');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/saml.json');
const PROVIDER = 'acs:ram::12345:saml-provider/idp';
const ROLE = 'acs:ram::12345:role/saml-dev';
const IDP = 'https://idp.example.com/saml';

test('@alicloud/sts20150401 assumeRoleWithSAML', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const mint = async (extra) => {
    const r = await emu.json('POST', '/_emu/saml/assertion', { issuer: IDP, subject: 'alice@example.com',
      roles: [`${ROLE},${PROVIDER}`], sessionName: 'alice', ...extra });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const first = await mint({});
  const c = await client(emu, { LTAIsamlRoot12345: 'saml-secret-root' })('LTAIsamlRoot12345',
    'CreateSAMLProvider', { SAMLProviderName: 'idp', EncodedSAMLMetadataDocument: first.metadata },
    { version: '2019-08-15' });
  assert.strictEqual(c.status, 200, JSON.stringify(c.body));
  const anon = new Sts.default(new $OpenApiUtil.Config({ endpoint: `127.0.0.1:${emu.port}`,
    protocol: 'http', regionId: 'cn-hangzhou' }));

  await t.test('credentials, then GetCallerIdentity with them', async () => {
    const r = await anon.assumeRoleWithSAML(new Sts.AssumeRoleWithSAMLRequest({
      SAMLProviderArn: PROVIDER, roleArn: ROLE, SAMLAssertion: first.SAMLAssertion, durationSeconds: 900 }));
    const cr = r.body.credentials;
    assert.match(cr.accessKeyId, /^STS\./);
    assert.strictEqual(r.body.SAMLAssertionInfo.issuer, IDP);
    assert.strictEqual(r.body.SAMLAssertionInfo.subject, 'alice@example.com');
    const sts = new Sts.default(new $OpenApiUtil.Config({ accessKeyId: cr.accessKeyId,
      accessKeySecret: cr.accessKeySecret, securityToken: cr.securityToken,
      endpoint: `127.0.0.1:${emu.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
    const who = await sts.getCallerIdentity();
    assert.strictEqual(who.body.arn, 'acs:ram::12345:assumed-role/saml-dev/alice');
  });

  await t.test('an expired assertion reaches the SDK with the service error', async () => {
    const old = await mint({ lifetime: -60 });
    await assert.rejects(anon.assumeRoleWithSAML(new Sts.AssumeRoleWithSAMLRequest({
      SAMLProviderArn: PROVIDER, roleArn: ROLE, SAMLAssertion: old.SAMLAssertion })),
    (e) => e.code === 'AuthenticationFail.SAMLAssertion.Expired' && e.statusCode === 401);
  });
});
