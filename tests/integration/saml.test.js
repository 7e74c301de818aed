'use strict';
// SAML federation on tests/fixtures/worlds/saml.json: IMS 2019-08-15's SAML
// providers (Create/Get/List/Update/Delete) from the metadata of acsemu's
// test IdP (POST /_emu/saml/assertion, GET /_emu/saml/metadata), and STS
// AssumeRoleWithSAML — anonymous, each failure with its code, the decision
// record naming the failing check, and no assertion in any log line.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, SRC } = require('../support/emu');
const { client } = require('../support/rpc');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/saml.json');
const ROOT = 'LTAIsamlRoot12345';
const SECRETS = { [ROOT]: 'saml-secret-root' };
const IDP = 'https://idp.example.com/saml';
const PROVIDER = 'acs:ram::12345:saml-provider/idp';
const ROLE = 'acs:ram::12345:role/saml-dev';

async function mint(emu, body) {
  const r = await emu.json('POST', '/_emu/saml/assertion', {
    issuer: IDP, subject: 'alice@example.com', roles: [`${ROLE},${PROVIDER}`],
    sessionName: 'alice', ...body });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function assume(emu, params) {
  const q = new URLSearchParams({ Action: 'AssumeRoleWithSAML', Version: '2015-04-01', Format: 'JSON',
    Timestamp: new Date().toISOString() });
  const r = await emu.request('POST', '/?' + q, new URLSearchParams(params).toString(),
    { 'content-type': 'application/x-www-form-urlencoded' });
  return { status: r.status, headers: r.headers, body: JSON.parse(r.body) };
}

function fails(r, status, code) {
  assert.strictEqual(r.status, status, JSON.stringify(r.body));
  assert.strictEqual(r.body.Code, code, JSON.stringify(r.body));
  return r;
}

async function reason(emu, r) {
  const id = r.headers['x-emu-decision'];
  assert.ok(id, 'a decision record');
  return JSON.stringify((await emu.json('GET', `/_emu/decisions/${id}`)).body);
}

const b64 = (s) => Buffer.from(s).toString('base64');
const unb64 = (s) => Buffer.from(s, 'base64').toString();

test('SAML providers and AssumeRoleWithSAML', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const call = client(emu, SECRETS);
  const ims = (action, params) => call(ROOT, action, params, { version: '2019-08-15' });
  const first = await mint(emu, {});
  const good = { SAMLProviderArn: PROVIDER, RoleArn: ROLE };

  await t.test('IMS: create from the test IdP metadata, get, list, update, errors', async () => {
    const md = await emu.request('GET', '/_emu/saml/metadata?issuer=' + encodeURIComponent(IDP));
    assert.strictEqual(md.status, 200);
    assert.match(md.body, /entityID="https:\/\/idp.example.com\/saml"/);
    assert.strictEqual(b64(md.body), first.metadata);
    const c = await ims('CreateSAMLProvider', { SAMLProviderName: 'idp', Description: 'test IdP',
      EncodedSAMLMetadataDocument: first.metadata });
    assert.strictEqual(c.status, 200, JSON.stringify(c.body));
    assert.strictEqual(c.body.SAMLProvider.Arn, PROVIDER);
    assert.match(c.body.SAMLProvider.CreateDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    fails(await ims('CreateSAMLProvider', { SAMLProviderName: 'idp', EncodedSAMLMetadataDocument: first.metadata }),
      409, 'EntityAlreadyExists.SAMLProvider');
    fails(await ims('CreateSAMLProvider', { SAMLProviderName: 'bad', EncodedSAMLMetadataDocument: b64('<x/>') }),
      400, 'InvalidParameter.EncodedSAMLMetadataDocument');
    fails(await ims('CreateSAMLProvider', { SAMLProviderName: 'b/d', EncodedSAMLMetadataDocument: first.metadata }),
      400, 'InvalidParameter.SAMLProviderName');
    const g = await ims('GetSAMLProvider', { SAMLProviderName: 'idp' });
    assert.strictEqual(g.body.SAMLProvider.Description, 'test IdP');
    assert.strictEqual(g.body.SAMLProvider.EncodedSAMLMetadataDocument, first.metadata);
    const u = await ims('UpdateSAMLProvider', { SAMLProviderName: 'idp', NewDescription: 'renamed' });
    assert.strictEqual(u.body.SAMLProvider.Description, 'renamed');
    const l = await ims('ListSAMLProviders', {});
    assert.deepStrictEqual(l.body.SAMLProviders.SAMLProvider.map((p) => p.SAMLProviderName), ['idp']);
    // paging, as ListOIDCProviders: MaxItems, then Marker from the answer
    const c2 = await ims('CreateSAMLProvider', { SAMLProviderName: 'idp2', EncodedSAMLMetadataDocument: first.metadata });
    assert.strictEqual(c2.status, 200, JSON.stringify(c2.body));
    const p1 = await ims('ListSAMLProviders', { MaxItems: '1' });
    assert.deepStrictEqual([p1.body.SAMLProviders.SAMLProvider.length, p1.body.IsTruncated], [1, true]);
    const p2 = await ims('ListSAMLProviders', { Marker: p1.body.Marker });
    assert.strictEqual(p2.body.IsTruncated, false);
    assert.deepStrictEqual([...p1.body.SAMLProviders.SAMLProvider, ...p2.body.SAMLProviders.SAMLProvider]
      .map((p) => p.SAMLProviderName).sort(), ['idp', 'idp2']);
    fails(await ims('ListSAMLProviders', { MaxItems: '0' }), 400, 'InvalidParameter.MaxItems');
    fails(await ims('ListSAMLProviders', { Marker: 'nope' }), 400, 'InvalidParameter.Marker');
    assert.strictEqual((await ims('DeleteSAMLProvider', { SAMLProviderName: 'idp2' })).status, 200);
    fails(await ims('GetSAMLProvider', { SAMLProviderName: 'nope' }), 404, 'EntityNotExist.SAMLProvider');
    fails(await ims('DeleteSAMLProvider', { SAMLProviderName: 'nope' }), 404, 'EntityNotExist.SAMLProvider');
  });

  await t.test('AssumeRoleWithSAML: happy path, credentials work', async () => {
    const r = await assume(emu, { ...good, SAMLAssertion: first.SAMLAssertion, DurationSeconds: '900' });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.Credentials.AccessKeyId, /^STS\./);
    assert.strictEqual(r.body.AssumedRoleUser.Arn, 'acs:ram::12345:role/saml-dev/alice');
    assert.deepStrictEqual(r.body.SAMLAssertionInfo, {
      SubjectType: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', Subject: 'alice@example.com',
      Recipient: 'https://signin.aliyun.com/saml-role/sso', Issuer: IDP });
  });

  await t.test('failure modes', async () => {
    const xml = unb64(first.SAMLAssertion);
    // Changed content after signing.
    let r = fails(await assume(emu, { ...good, SAMLAssertion: b64(xml.replace('alice@example.com', 'mallory@example.com')) }),
      401, 'AuthenticationFail.SAMLAssertion.InvalidSignature');
    assert.match(await reason(emu, r), /digest/);
    // A bad SignatureValue.
    const sv = xml.match(/<ds:SignatureValue>([^<]+)</)[1];
    const flipped = (sv[10] === 'A' ? 'B' : 'A');
    fails(await assume(emu, { ...good, SAMLAssertion: b64(xml.replace(sv, sv.slice(0, 10) + flipped + sv.slice(11))) }),
      401, 'AuthenticationFail.SAMLAssertion.InvalidSignature');
    // Wrapping: the signed assertion moved into an Extensions-like wrapper and
    // a forged unsigned assertion in its place.
    const asrt = xml.match(/<saml:Assertion[\s\S]*<\/saml:Assertion>/)[0];
    const forged = asrt.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '').replace(/ID="[^"]+"/, 'ID="_forged"')
      .replace('alice@example.com', 'mallory@example.com');
    const wrapped = xml.replace(asrt, `<samlp:Extensions>${asrt}</samlp:Extensions>${forged}`);
    r = fails(await assume(emu, { ...good, SAMLAssertion: b64(wrapped) }), 401, 'AuthenticationFail.SAMLAssertion.InvalidSignature');
    // The signature moved onto the Response, still naming the assertion's ID.
    const sig = xml.match(/<ds:Signature[\s\S]*<\/ds:Signature>/)[0];
    const moved = xml.replace(sig, '').replace('<samlp:Status>', sig + '<samlp:Status>');
    r = fails(await assume(emu, { ...good, SAMLAssertion: b64(moved) }), 401, 'AuthenticationFail.SAMLAssertion.InvalidSignature');
    assert.match(await reason(emu, r), /Reference URI/);
    // Expired on the virtual clock.
    const old = await mint(emu, { lifetime: -10 });
    r = fails(await assume(emu, { ...good, SAMLAssertion: old.SAMLAssertion }), 401, 'AuthenticationFail.SAMLAssertion.Expired');
    assert.match(await reason(emu, r), /NotOnOrAfter/);
    // Wrong audience.
    const aud = await mint(emu, { audience: 'urn:example:other' });
    r = fails(await assume(emu, { ...good, SAMLAssertion: aud.SAMLAssertion }), 401, 'AuthenticationFail.SAMLAssertion.AudienceNotMatch');
    assert.match(await reason(emu, r), /urn:example:other/);
    // Another IdP's key (its metadata is not the provider's).
    const other = await mint(emu, { issuer: 'https://evil.example.com' });
    fails(await assume(emu, { ...good, SAMLAssertion: other.SAMLAssertion }), 401, 'AuthenticationFail.SAMLAssertion.InvalidSignature');
    // Provider missing.
    fails(await assume(emu, { ...good, SAMLProviderArn: 'acs:ram::12345:saml-provider/nope', SAMLAssertion: first.SAMLAssertion }),
      401, 'AuthenticationFail.NoPermission');
    fails(await assume(emu, { ...good, SAMLProviderArn: 'acs:ram::12345:oidc-provider/idp', SAMLAssertion: first.SAMLAssertion }),
      400, 'InvalidParameter.SAMLProviderArn');
    // Role that does not trust the provider (the assertion names it).
    const ot = await mint(emu, { roles: [`acs:ram::12345:role/other,${PROVIDER}`] });
    fails(await assume(emu, { ...good, RoleArn: 'acs:ram::12345:role/other', SAMLAssertion: ot.SAMLAssertion }),
      401, 'AuthenticationFail.NoPermission');
    // Role attribute not naming the role asked for.
    fails(await assume(emu, { ...good, RoleArn: 'acs:ram::12345:role/other', SAMLAssertion: first.SAMLAssertion }),
      401, 'AuthenticationFail.SAMLAssertion.RoleNotMatch');
    // Malformed XML, a DOCTYPE, not base64, oversize.
    fails(await assume(emu, { ...good, SAMLAssertion: b64('<samlp:Response') }), 401, 'AuthenticationFail.SAMLAssertion.Invalid');
    fails(await assume(emu, { ...good, SAMLAssertion: b64('<!DOCTYPE r [<!ENTITY x "y">]>' + xml) }),
      401, 'AuthenticationFail.SAMLAssertion.Invalid');
    fails(await assume(emu, { ...good, SAMLAssertion: '%%%%not base64' }), 401, 'AuthenticationFail.SAMLAssertion.Invalid');
    fails(await assume(emu, { ...good, SAMLAssertion: 'A'.repeat(100001) }), 400, 'InvalidParameter.SAMLAssertion');
    fails(await assume(emu, { RoleArn: ROLE, SAMLAssertion: first.SAMLAssertion }), 400, 'MissingParameter');
  });

  await t.test('no assertion in the log', () => {
    assert.ok(emu.stderr.length > 0, 'the log has lines');
    const sv = unb64(first.SAMLAssertion).match(/<ds:SignatureValue>([^<]+)</)[1];
    assert.ok(!emu.stderr.includes(first.SAMLAssertion.slice(0, 60)), 'an assertion in the log');
    assert.ok(!emu.stderr.includes(sv.slice(0, 40)), 'a signature in the log');
    assert.ok(!emu.stderr.includes('alice@example.com'), 'an assertion subject in the log');
  });
});
