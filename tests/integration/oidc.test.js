'use strict';
// OIDC federation on tests/fixtures/worlds/oidc.json: IMS 2019-08-15's OIDC
// providers (Create/Get/List/Update/Delete), acsemu as its own test issuer
// (POST /_emu/oidc/token, discovery, JWKS), and STS AssumeRoleWithOIDC —
// anonymous, every check with the cloud's code and status, the decision
// record naming the failing claim, and no token in any log line.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, SRC } = require('../support/emu');
const { client } = require('../support/rpc');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/oidc.json');
const ROOT = 'LTAIoidcRoot12345';
const READER = 'LTAIoidcReader12345';
const SECRETS = { [ROOT]: 'oidc-secret-root', [READER]: 'oidc-secret-reader' };
const GH = 'https://token.actions.githubusercontent.com';
const RRSA = 'https://oidc-ack-cn-hangzhou.oss-cn-hangzhou-internal.aliyuncs.com/c0123';
const GH_ARN = 'acs:ram::12345:oidc-provider/github';
const RRSA_ARN = 'acs:ram::12345:oidc-provider/ack-rrsa-c0123';
const MAIN = 'repo:acme/app:ref:refs/heads/main';

async function mint(emu, body) {
  const r = await emu.json('POST', '/_emu/oidc/token', body);
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

// The anonymous call, as @alicloud/credentials sends it: common parameters
// in the query, the rest as a form body, no signature.
async function assume(emu, params) {
  const q = new URLSearchParams({ Action: 'AssumeRoleWithOIDC', Version: '2015-04-01', Format: 'JSON',
    Timestamp: new Date().toISOString() });
  const r = await emu.request('POST', '/?' + q, new URLSearchParams(params).toString(),
    { 'content-type': 'application/x-www-form-urlencoded' });
  return { status: r.status, headers: r.headers, body: JSON.parse(r.body) };
}

function fails(r, status, code, message) {
  assert.strictEqual(r.status, status, JSON.stringify(r.body));
  assert.strictEqual(r.body.Code, code, JSON.stringify(r.body));
  if (message !== undefined) assert.strictEqual(r.body.Message, message);
  return r;
}

async function record(emu, r) {
  const id = r.headers['x-emu-decision'];
  assert.ok(id, 'a decision record');
  return (await emu.json('GET', `/_emu/decisions/${id}`)).body;
}

test('IMS OIDC providers', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const call = client(emu, SECRETS);
  const ims = (ak, action, params) => call(ak, action, params, { version: '2019-08-15' });

  await t.test('Get and List show the world file\'s providers', async () => {
    const g = await ims(ROOT, 'GetOIDCProvider', { OIDCProviderName: 'github' });
    assert.strictEqual(g.status, 200, JSON.stringify(g.body));
    assert.deepStrictEqual(g.body.OIDCProvider, {
      Arn: GH_ARN, OIDCProviderName: 'github', Description: 'GitHub Actions', IssuerUrl: GH,
      ClientIds: 'sts.aliyuncs.com', Fingerprints: '6938fd4d98bab03faadb97b34396831e3780aea1',
      IssuanceLimitTime: 12, CreateDate: '2026-01-01T00:00:00Z', UpdateDate: '2026-01-01T00:00:00Z',
    });
    const l = await ims(ROOT, 'ListOIDCProviders', { MaxItems: '1' });
    assert.strictEqual(l.body.OIDCProviders.OIDCProvider.length, 1);
    assert.strictEqual(l.body.IsTruncated, true);
    const l2 = await ims(ROOT, 'ListOIDCProviders', { Marker: l.body.Marker });
    assert.deepStrictEqual(l2.body.OIDCProviders.OIDCProvider.map((p) => p.OIDCProviderName), ['ack-rrsa-c0123']);
    assert.strictEqual(l2.body.IsTruncated, false);
  });

  await t.test('Create, Update, Delete, with their errors', async () => {
    const c = await ims(ROOT, 'CreateOIDCProvider', { OIDCProviderName: 'gitlab', IssuerUrl: 'https://gitlab.com',
      ClientIds: 'sts.aliyuncs.com,other', Fingerprints: 'b3dd7606d2b5a8b4a13771dbecc9ee1cecafa38a',
      Description: 'GitLab CI' });
    assert.strictEqual(c.status, 200, JSON.stringify(c.body));
    assert.strictEqual(c.body.OIDCProvider.Arn, 'acs:ram::12345:oidc-provider/gitlab');
    assert.strictEqual(c.body.OIDCProvider.ClientIds, 'sts.aliyuncs.com,other');
    assert.strictEqual(c.body.OIDCProvider.IssuanceLimitTime, 12);
    fails(await ims(ROOT, 'CreateOIDCProvider', { OIDCProviderName: 'GitLab', IssuerUrl: 'https://gitlab.com',
      ClientIds: 'x' }), 409, 'EntityAlreadyExists.OIDCProvider');
    fails(await ims(ROOT, 'CreateOIDCProvider', { OIDCProviderName: 'x', IssuerUrl: 'ftp://a', ClientIds: 'x' }),
      400, 'InvalidParameter.IssuerUrl');
    fails(await ims(ROOT, 'CreateOIDCProvider', { OIDCProviderName: 'y', IssuerUrl: 'https://a',
      ClientIds: 'x', Fingerprints: 'abc' }), 400, 'InvalidParameter.Fingerprints');
    fails(await ims(ROOT, 'CreateOIDCProvider', { OIDCProviderName: 'bad name', IssuerUrl: 'https://a',
      ClientIds: 'x' }), 400, 'InvalidParameter.OIDCProviderName');
    fails(await ims(ROOT, 'CreateOIDCProvider', { OIDCProviderName: 'z', ClientIds: 'x' }), 400, 'MissingParameter');
    const u = await ims(ROOT, 'UpdateOIDCProvider', { OIDCProviderName: 'gitlab', ClientIds: 'only',
      NewDescription: 'changed', IssuanceLimitTime: '3' });
    assert.strictEqual(u.status, 200, JSON.stringify(u.body));
    assert.strictEqual(u.body.OIDCProvider.ClientIds, 'only');
    assert.strictEqual(u.body.OIDCProvider.Description, 'changed');
    assert.strictEqual(u.body.OIDCProvider.IssuanceLimitTime, 3);
    fails(await ims(ROOT, 'UpdateOIDCProvider', { OIDCProviderName: 'gitlab', IssuanceLimitTime: '169' }),
      400, 'InvalidParameter.IssuanceLimitTime');
    assert.strictEqual((await ims(ROOT, 'DeleteOIDCProvider', { OIDCProviderName: 'gitlab' })).status, 200);
    fails(await ims(ROOT, 'GetOIDCProvider', { OIDCProviderName: 'gitlab' }), 404, 'EntityNotExist.OIDCProvider');
    fails(await ims(ROOT, 'TagOIDCProvider', {}), 404, 'InvalidAction.NotFound');
  });

  await t.test('RAM policies authorize IMS as ram:<Action>', async () => {
    assert.strictEqual((await ims(READER, 'GetOIDCProvider', { OIDCProviderName: 'github' })).status, 200);
    const r = fails(await ims(READER, 'CreateOIDCProvider', { OIDCProviderName: 'nope', IssuerUrl: 'https://a',
      ClientIds: 'x' }), 403, 'NoPermission');
    assert.strictEqual(r.body.AccessDeniedDetail.AuthAction, 'ram:CreateOIDCProvider');
  });

  await t.test('GET /_emu/world exports the providers; a reset brings the file\'s back', async () => {
    const w = (await emu.json('GET', '/_emu/world')).body;
    assert.deepStrictEqual(w.Accounts[0].OIDCProviders.map((p) => p.OIDCProviderName), ['github', 'ack-rrsa-c0123']);
  });
});

test('acsemu as a test issuer: discovery, JWKS, minted tokens', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const d = (await emu.json('GET', '/_emu/oidc/.well-known/openid-configuration')).body;
  assert.strictEqual(d.issuer, `http://127.0.0.1:${emu.port}/_emu/oidc`);
  assert.strictEqual(d.jwks_uri, `${d.issuer}/jwks`);
  const m = await mint(emu, { subject: 'me', audience: ['a', 'b'], lifetime: 600, claims: { email: 'x@y' } });
  assert.strictEqual(m.issuer, d.issuer);
  const jwks = (await emu.json('GET', '/_emu/oidc/jwks')).body;
  assert.strictEqual(jwks.keys[0].kid, m.kid);
  assert.strictEqual(jwks.keys[0].kty, 'RSA');
  // The token verifies with the published key (Node's own crypto).
  const crypto = require('node:crypto');
  const [h, p, s] = m.token.split('.');
  const key = crypto.createPublicKey({ key: jwks.keys[0], format: 'jwk' });
  assert.ok(crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  assert.deepStrictEqual([claims.iss, claims.sub, claims.aud, claims.email, claims.exp - claims.iat],
    [d.issuer, 'me', ['a', 'b'], 'x@y', 600]);
  // A named issuer and a foreign one.
  const named = (await emu.json('GET', '/_emu/oidc/team1/.well-known/openid-configuration')).body;
  assert.strictEqual(named.issuer, `${d.issuer}/team1`);
  await mint(emu, { issuer: GH, subject: MAIN, audience: 'sts.aliyuncs.com' });
  const gh = await emu.json('GET', `/_emu/oidc/jwks?issuer=${encodeURIComponent(GH)}`);
  assert.strictEqual(gh.status, 200);
  assert.strictEqual((await emu.json('GET', `/_emu/oidc/jwks?issuer=${encodeURIComponent('https://none')}`)).status, 404);
  assert.strictEqual((await emu.json('POST', '/_emu/oidc/token', { audience: 'a' })).status, 400);
  assert.strictEqual((await emu.json('POST', '/_emu/oidc/token', { subject: 's' })).status, 400);
});

test('AssumeRoleWithOIDC', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const tokens = [];
  const gh = async (extra = {}) => {
    const m = await mint(emu, { issuer: GH, subject: MAIN, audience: 'sts.aliyuncs.com', ...extra });
    tokens.push(m.token);
    return m.token;
  };
  const ghCall = (token, extra = {}) => assume(emu, { OIDCProviderArn: GH_ARN,
    RoleArn: 'acs:ram::12345:role/gh-deploy', OIDCToken: token, RoleSessionName: 'ci', ...extra });

  await t.test('GitHub Actions style: a session of the role, usable at once', async () => {
    const r = await ghCall(await gh(), { DurationSeconds: '900' });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    assert.strictEqual(r.body.AssumedRoleUser.Arn, 'acs:ram::12345:role/gh-deploy/ci');
    assert.match(r.body.Credentials.AccessKeyId, /^STS\./);
    assert.deepStrictEqual([r.body.OIDCTokenInfo.Subject, r.body.OIDCTokenInfo.Issuer,
      r.body.OIDCTokenInfo.ClientIds], [MAIN, GH, 'sts.aliyuncs.com']);
    const c = r.body.Credentials;
    const call = client(emu, { [c.AccessKeyId]: c.AccessKeySecret }, { [c.AccessKeyId]: c.SecurityToken });
    const who = await call(c.AccessKeyId, 'GetCallerIdentity', {}, { product: 'sts' });
    assert.strictEqual(who.body.Arn, 'acs:ram::12345:assumed-role/gh-deploy/ci');
    const users = await call(c.AccessKeyId, 'ListUsers', {});
    assert.strictEqual(users.status, 200, JSON.stringify(users.body));
  });

  await t.test('RRSA style: a service-account token of the cluster issuer', async () => {
    const m = await mint(emu, { issuer: RRSA, subject: 'system:serviceaccount:default:app',
      audience: 'sts.aliyuncs.com', lifetime: 3600 });
    tokens.push(m.token);
    const r = await assume(emu, { OIDCProviderArn: RRSA_ARN, RoleArn: 'acs:ram::12345:role/rrsa-app',
      OIDCToken: m.token, RoleSessionName: 'pod' });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    const other = await mint(emu, { issuer: RRSA, subject: 'system:serviceaccount:default:other',
      audience: 'sts.aliyuncs.com' });
    tokens.push(other.token);
    const d = fails(await assume(emu, { OIDCProviderArn: RRSA_ARN, RoleArn: 'acs:ram::12345:role/rrsa-app',
      OIDCToken: other.token }), 401, 'AuthenticationFail.NoPermission', 'There is no permission');
    const rec = await record(emu, d);
    assert.match(JSON.stringify(rec), /oidc:sub/);
    assert.match(JSON.stringify(rec), /system:serviceaccount:default:other/);
  });

  await t.test('token format errors', async () => {
    const INV = 'AuthenticationFail.OIDCToken.Invalid';
    fails(await ghCall(''), 401, INV, 'The OIDCToken can not empty.');
    fails(await ghCall('a.b'), 401, INV, "The number of Jwt field should be divided into 3 parts with '.' .");
    fails(await ghCall('a*.b.c'), 401, INV, 'Cannot decode base64 encoded response(format invalided).');
    const hs = [{ alg: 'HS256' }, { sub: 'x' }].map((o) => Buffer.from(JSON.stringify(o)).toString('base64url'));
    fails(await ghCall(`${hs[0]}.${hs[1]}.c2ln`), 401, INV,
      'The algorithm HS256 that be specified in Jwt header is unknown.');
    const bad = [{ alg: 'RS256' }, { aud: 5 }].map((o) => Buffer.from(JSON.stringify(o)).toString('base64url'));
    fails(await ghCall(`${bad[0]}.${bad[1]}.c2ln`), 401, INV,
      'The Jwt content is invalid that cannot be recognized.');
  });

  await t.test('parameters, provider and role', async () => {
    const tok = await gh();
    fails(await assume(emu, { RoleArn: 'acs:ram::12345:role/gh-deploy', OIDCToken: tok }), 400, 'MissingParameter');
    fails(await ghCall(tok, { RoleArn: 'acs:ram::12345:roles/x' }), 400, 'InvalidParameter.RoleArn');
    fails(await ghCall(tok, { DurationSeconds: '600' }), 400, 'InvalidParameter.DurationSeconds');
    fails(await assume(emu, { OIDCProviderArn: 'acs:ram::12345:oidc-provider/none',
      RoleArn: 'acs:ram::12345:role/gh-deploy', OIDCToken: tok }), 401, 'AuthenticationFail.NoPermission',
    'No such OIDC Provider registered.');
    fails(await ghCall(tok, { RoleArn: 'acs:ram::12345:role/none' }), 404, 'EntityNotExist.Role');
  });

  await t.test('signature, iss, aud, with the claim named in the decision record', async () => {
    const tok = await gh();
    const [h, p, s] = tok.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url')), sub: 'repo:evil/x' }))
      .toString('base64url');
    fails(await ghCall(`${h}.${forged}.${s}`), 401, 'AuthenticationFail.OIDCToken.InvalidSignature',
      'OIDC token validate failed: invalid signature.');
    // Signed by another issuer's key: no key of the provider verifies it.
    const other = await mint(emu, { issuer: 'https://idp.example.com', subject: MAIN, audience: 'sts.aliyuncs.com' });
    fails(await ghCall(other.token), 401, 'AuthenticationFail.OIDCToken.InvalidSignature');
    const r = fails(await ghCall(await gh({ claims: { iss: 'https://evil.example.com' } })), 401,
      'AuthenticationFail.OIDCToken.IssuerNotMatch',
      "The issuer in the OIDC Token doesn't match the OIDC Provider registered.");
    let rec = await record(emu, r);
    assert.strictEqual(rec.layer, 'federated-token');
    assert.match(rec.reason, /^iss: expected "https:\/\/token\.actions\.githubusercontent\.com", token presents "https:\/\/evil\.example\.com"$/);
    const a = fails(await ghCall(await gh({ audience: ['api://other', 'x'] })), 401,
      'AuthenticationFail.OIDCToken.AudienceNotMatch', 'Invalid audience.');
    rec = await record(emu, a);
    assert.strictEqual(rec.reason,
      'aud: expected one of ["sts.aliyuncs.com"] (ClientIds of github), token presents ["api://other", "x"]');
  });

  await t.test('exp, nbf and iat on the virtual clock', async () => {
    const tok = await gh({ lifetime: 1000 });
    assert.strictEqual((await ghCall(tok)).status, 200);
    assert.strictEqual((await emu.json('POST', '/_emu/clock', { advance_seconds: 2000 })).status, 200);
    const r = fails(await ghCall(tok), 401, 'AuthenticationFail.OIDCToken.Expired', 'This JsonWebToken is expired.');
    assert.match((await record(emu, r)).reason, /^exp: token expired at .*; virtual clock is /);
    await emu.json('POST', '/_emu/clock', { reset: true });
    const now = Math.floor(Date.now() / 1000);
    fails(await ghCall(await gh({ claims: { nbf: now + 3600 } })), 401, 'AuthenticationFail.OIDCToken.Invalid');
    fails(await ghCall(await gh({ claims: { iat: now + 3600 } })), 401, 'AuthenticationFail.OIDCToken.Invalid');
    // IssuanceLimitTime of the RRSA provider is 1 hour.
    const old = await mint(emu, { issuer: RRSA, subject: 'system:serviceaccount:default:app',
      audience: 'sts.aliyuncs.com', claims: { iat: now - 7200 } });
    tokens.push(old.token);
    const o = fails(await assume(emu, { OIDCProviderArn: RRSA_ARN, RoleArn: 'acs:ram::12345:role/rrsa-app',
      OIDCToken: old.token }), 401, 'AuthenticationFail.OIDCToken.Invalid');
    assert.match((await record(emu, o)).reason, /^iat: .*IssuanceLimitTime of ack-rrsa-c0123/);
  });

  await t.test('the trust policy: wrong branch, and a role without a Federated principal', async () => {
    const r = fails(await ghCall(await gh({ subject: 'repo:acme/app:ref:refs/heads/dev' })), 401,
      'AuthenticationFail.NoPermission', 'There is no permission');
    const rec = await record(emu, r);
    assert.strictEqual(rec.layer, 'trust');
    assert.match(JSON.stringify(rec), /repo:acme\/app:ref:refs\/heads\/dev/);
    fails(await ghCall(await gh(), { RoleArn: 'acs:ram::12345:role/plain' }), 401, 'AuthenticationFail.NoPermission');
  });

  await t.test('/_emu/simulate answers for a Federated principal and the claims', async () => {
    const sim = (sub) => emu.json('POST', '/_emu/simulate', { principal: GH_ARN, action: 'sts:AssumeRoleWithOIDC',
      resource: 'acs:ram::12345:role/gh-deploy',
      context: { 'oidc:iss': GH, 'oidc:aud': ['sts.aliyuncs.com'], 'oidc:sub': sub } });
    const yes = await sim(MAIN);
    assert.strictEqual(yes.status, 200, JSON.stringify(yes.body));
    assert.strictEqual(yes.body.allowed, true);
    const no = await sim('repo:acme/app:ref:refs/heads/dev');
    assert.strictEqual(no.body.allowed, false);
    assert.strictEqual(no.body.decidingLayer, 'trust-policy');
    assert.strictEqual((await emu.json('POST', '/_emu/simulate', { principal: 'acs:ram::12345:root',
      action: 'sts:AssumeRoleWithOIDC', resource: 'acs:ram::12345:role/gh-deploy' })).status, 400);
  });

  await t.test('no token ever reaches the log', () => {
    assert.ok(tokens.length > 5);
    for (const tok of tokens) {
      assert.ok(!emu.stderr.includes(tok.split('.')[2]), 'a token signature in the log');
      assert.ok(!emu.stderr.includes(tok.split('.')[1]), 'a token payload in the log');
    }
  });
});
