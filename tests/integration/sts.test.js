'use strict';
// STS AssumeRole (rpc-api.md §7, §8.1; ram-policy.md §3.4, §5.4, §6) on the
// fixture world tests/fixtures/worlds/sts.json: every parameter error with
// its exact status, Code and Message; the decision cases of ram-policy.md
// §6 (trust principals of every form, the caller's own permission, explicit
// denies, conditions); session policies; role chaining; what the access
// log says about a refusal.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, logged, SRC } = require('../support/emu');
const { client } = require('../support/rpc');
const { v1Path } = require('../support/sign');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/sts.json');
const SECRETS = {
  LTAIstsRootA12345: 'sts-secret-root-a', LTAIstsRootB56789: 'sts-secret-root-b',
  LTAIstsAlice56789: 'sts-secret-alice', LTAIstsCarol56789: 'sts-secret-carol',
  LTAIstsNobody56789: 'sts-secret-nobody', LTAIstsBob56789: 'sts-secret-bob',
  LTAIstsDave56789: 'sts-secret-dave', LTAIstsOdpsFor56789: 'sts-secret-odps-56789',
  LTAIstsOdpsFor12345: 'sts-secret-odps-12345',
};
const ALICE = 'LTAIstsAlice56789';
const SVC_B = 'LTAIstsOdpsFor56789';
const ARN = (name) => `acs:ram::12345:role/${name}`;
const DENIED = 'You are not authorized to do this action. You should be authorized by RAM.';

function fails(r, status, code, message) {
  assert.strictEqual(r.status, status, JSON.stringify(r.body));
  assert.strictEqual(r.body.Code, code, JSON.stringify(r.body));
  if (message !== undefined) assert.strictEqual(r.body.Message, message);
  assert.match(r.body.RequestId, /^[0-9A-F-]{36}$/);
  return r.body;
}

function ok(r) {
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  assert.ok(!('Code' in r.body));
  return r.body;
}

function escape(s) { return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'); }

function setup(emu) {
  const tokens = {};
  const call = client(emu, SECRETS, tokens);
  const assume = (ak, params, opts = {}) => call(ak, 'AssumeRole', params, { product: 'sts', ...opts });
  // Assumes and registers the credentials so `call` can sign with them.
  async function session(ak, role, extra = {}) {
    const b = ok(await assume(ak, { RoleArn: ARN(role), RoleSessionName: 's-' + role, ...extra }));
    const c = b.Credentials;
    SECRETS[c.AccessKeyId] = c.AccessKeySecret;
    tokens[c.AccessKeyId] = c.SecurityToken;
    return c.AccessKeyId;
  }
  const whoami = (ak) => call(ak, 'GetCallerIdentity', {}, { product: 'sts' });
  return { call, assume, session, whoami, tokens };
}

test('AssumeRole: parameters', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const { assume } = setup(emu);
  const good = { RoleArn: ARN('cross-reader'), RoleSessionName: 'params' };

  await t.test('MissingParameter for RoleArn and RoleSessionName', async () => {
    fails(await assume(ALICE, { RoleSessionName: 'x1' }), 400, 'MissingParameter',
      'The input parameter "RoleArn" that is mandatory for processing this request is not supplied.');
    fails(await assume(ALICE, { RoleArn: ARN('cross-reader') }), 400, 'MissingParameter',
      'The input parameter "RoleSessionName" that is mandatory for processing this request is not supplied.');
  });

  await t.test('InvalidParameter.RoleArn', async () => {
    for (const bad of ['acs:ram::abc:role/x', 'acs:ram::12345:user/x', 'arn:aws:iam::12345:role/x',
      'acs:ram::12345:role/', 'acs:ram::12345:role/a b', 'acs:ram:cn:12345:role/x', 'ACS:RAM::12345:role/x',
      'acs:ram::12345:role/' + 'r'.repeat(65), 'acs:ram:::role/x']) {
      fails(await assume(ALICE, { ...good, RoleArn: bad }), 400, 'InvalidParameter.RoleArn',
        'The parameter RoleArn is wrongly formed.');
    }
  });

  await t.test('InvalidParameter.RoleSessionName: 2-64 of [A-Za-z0-9.@_-]', async () => {
    for (const bad of ['a', 'x'.repeat(65), 'bad name', 'bad/name', 'bad:name', 'ünï']) {
      fails(await assume(ALICE, { ...good, RoleSessionName: bad }), 400, 'InvalidParameter.RoleSessionName',
        'The parameter RoleSessionName is wrongly formed.');
    }
    for (const fine of ['ab', 'x'.repeat(64), 'a.b@c_d-E9']) ok(await assume(ALICE, { ...good, RoleSessionName: fine }));
  });

  await t.test('InvalidParameter.DurationSeconds: 900..MaxSessionDuration', async () => {
    const msg = 'The Min/Max value of DurationSeconds is 15min/1hr.';
    for (const bad of ['899', '0', '-900', 'abc', '1e4', ' 900', '7201', '99999999999']) {
      fails(await assume(ALICE, { ...good, DurationSeconds: bad }), 400, 'InvalidParameter.DurationSeconds', msg);
    }
    // alice-only has the default MaxSessionDuration 3600 (ram-policy.md §6 case 17).
    fails(await assume(ALICE, { RoleArn: ARN('alice-only'), RoleSessionName: 'dd', DurationSeconds: '3601' }), 400,
      'InvalidParameter.DurationSeconds', msg);
    const clock = (await emu.json('GET', '/_emu/clock')).body.now_ms;
    for (const [d, secs] of [['900', 900], ['7200', 7200], [undefined, 3600]]) {
      const p = { ...good };
      if (d) p.DurationSeconds = d;
      const exp = ok(await assume(ALICE, p)).Credentials.Expiration;
      assert.match(exp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const delta = (Date.parse(exp) - clock) / 1000;
      assert.ok(delta > secs - 5 && delta <= secs + 1, `${d}: ${exp} is ${delta}s away`);
    }
  });

  await t.test('InvalidParameter.ExternalId', async () => {
    for (const bad of ['a', 'x'.repeat(1225), 'bad id', 'bad!', 'a"b']) {
      fails(await assume(ALICE, { ...good, ExternalId: bad }), 400, 'InvalidParameter.ExternalId',
        'The parameter ExternalId is wrongly formed.');
    }
    ok(await assume(ALICE, { ...good, ExternalId: 'a_b+c=d,e.f@g:h/i-j' }));
  });

  await t.test('InvalidParameter.PolicySize and .PolicyGrammar', async () => {
    const big = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:GetRole',
      Resource: 'acs:ram:*:12345:role/' + 'x'.repeat(2000) }] });
    assert.ok(big.length > 2048);
    fails(await assume(ALICE, { ...good, Policy: big }), 400, 'InvalidParameter.PolicySize',
      'The size of Policy must be smaller than 2048 bytes.');
    for (const bad of ['not json', '{"Version":"1"}', '{"Version":"2","Statement":[]}',
      JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:GetRole' }] }),
      JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:GetRole', Resource: '*',
        Principal: { RAM: ['acs:ram::56789:root'] } }] })]) {
      fails(await assume(ALICE, { ...good, Policy: bad }), 400, 'InvalidParameter.PolicyGrammar',
        'The parameter Policy has not passed grammar check.');
    }
  });

  await t.test('EntityNotExist.Role (404), role names case-insensitive', async () => {
    const msg = 'The specified Role not exists .';
    fails(await assume(ALICE, { ...good, RoleArn: ARN('nosuchrole') }), 404, 'EntityNotExist.Role', msg);
    fails(await assume(ALICE, { ...good, RoleArn: 'acs:ram::99999:role/cross-reader' }), 404, 'EntityNotExist.Role', msg);
    const b = ok(await assume(ALICE, { ...good, RoleArn: ARN('Cross-READER') }));
    assert.strictEqual(b.AssumedRoleUser.Arn, 'acs:ram::12345:role/cross-reader/params');
  });

  await t.test('parameter errors come before the permission check', async () => {
    fails(await assume('LTAIstsNobody56789', { ...good, RoleArn: ARN('nosuchrole') }), 404, 'EntityNotExist.Role');
    fails(await assume('LTAIstsRootB56789', { ...good, DurationSeconds: '1' }), 400, 'InvalidParameter.DurationSeconds');
  });

  await t.test('XML errors and XML success (Format=XML)', async () => {
    const e = await assume(ALICE, { ...good, RoleArn: ARN('nosuchrole') }, { xml: true });
    assert.strictEqual(e.status, 404);
    assert.strictEqual(e.headers['content-type'], 'text/xml;charset=utf-8');
    assert.match(e.body, /<Error>.*<Code>EntityNotExist\.Role<\/Code><Message>The specified Role not exists \.<\/Message>/s);
    const r = await assume(ALICE, good, { xml: true });
    assert.strictEqual(r.status, 200, r.body);
    assert.match(r.body, /^<\?xml version="1.0" encoding="UTF-8"\?><AssumeRoleResponse><RequestId>[0-9A-F-]+<\/RequestId>/);
    assert.match(r.body, /<AssumedRoleUser><Arn>acs:ram::12345:role\/cross-reader\/params<\/Arn><AssumedRoleId>\d+:params<\/AssumedRoleId><\/AssumedRoleUser>/);
    assert.match(r.body, /<Credentials><AccessKeyId>STS\.[A-Za-z0-9]+<\/AccessKeyId><AccessKeySecret>[A-Za-z0-9]+<\/AccessKeySecret><SecurityToken>CAIS[^<]+<\/SecurityToken><Expiration>[0-9T:-]+Z<\/Expiration><\/Credentials>/);
  });

  await t.test('POST with a form body (the credentials provider layout)', async () => {
    ok(await assume(ALICE, good, { post: true }));
  });
});

test('AssumeRole: who may assume what (ram-policy.md §6)', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const { call, assume, session, whoami } = setup(emu);
  const tryAs = (ak, role, extra = {}) => assume(ak, { RoleArn: ARN(role), RoleSessionName: 'case', ...extra });
  const refused = async (ak, role, extra, reason) => {
    fails(await tryAs(ak, role, extra), 403, 'NoPermission', DENIED);
    if (reason) await logged(emu, reason);
  };

  await t.test('1: trust RAM root of 56789, alice has AliyunSTSAssumeRoleAccess → credentials', async () => {
    const b = ok(await tryAs(ALICE, 'cross-reader'));
    assert.match(b.Credentials.AccessKeyId, /^STS\.[A-Za-z0-9]{20,28}$/);
    assert.match(b.Credentials.AccessKeySecret, /^[A-Za-z0-9]{30,44}$/);
    assert.match(b.Credentials.SecurityToken, /^CAIS[A-Za-z0-9+/=]+$/);
    assert.strictEqual(b.AssumedRoleUser.Arn, 'acs:ram::12345:role/cross-reader/case');
    const role = ok(await call('LTAIstsRootA12345', 'GetRole', { RoleName: 'cross-reader' })).Role;
    assert.strictEqual(b.AssumedRoleUser.AssumedRoleId, `${role.RoleId}:case`);
    assert.ok(!('AccessDeniedDetail' in b));
    const ak = await session(ALICE, 'cross-reader');
    const who = ok(await whoami(ak));
    assert.deepStrictEqual({ ...who, RequestId: undefined }, {
      RequestId: undefined, IdentityType: 'AssumedRoleUser', AccountId: '12345', RoleId: role.RoleId,
      PrincipalId: `${role.RoleId}:s-cross-reader`, Arn: 'acs:ram::12345:assumed-role/cross-reader/s-cross-reader',
    });
  });

  await t.test('2: no sts:AssumeRole permission → NoPermission, no AccessDeniedDetail', async () => {
    const b = fails(await tryAs('LTAIstsNobody56789', 'cross-reader'), 403, 'NoPermission', DENIED);
    assert.ok(!('AccessDeniedDetail' in b), 'the caller must not learn which side refused');
    await logged(emu, /ERR NoPermission .*sts AssumeRole .*principal=acs:ram::56789:user\/nobody .*decision=deny .*reason=no identity policy allows sts:AssumeRole on acs:ram::12345:role\/cross-reader/);
  });

  await t.test('3: trust names another account', async () => {
    await refused(ALICE, 'wrong-account', {},
      /reason=trust policy of acs:ram::12345:role\/wrong-account allows RAM acs:ram::99999:root; caller is RAM acs:ram::56789:user\/alice/);
  });

  await t.test('4: trust names one user: carol refused, alice allowed', async () => {
    await refused('LTAIstsCarol56789', 'alice-only', {}, /allows RAM acs:ram::56789:user\/alice; caller is RAM acs:ram::56789:user\/carol/);
    ok(await tryAs(ALICE, 'alice-only'));
  });

  await t.test('bare UID principal counts as the account root form', async () => {
    ok(await tryAs(ALICE, 'bare-uid'));
  });

  await t.test('5/6: a service-only trust refuses RAM users, admits the service', async () => {
    await refused(ALICE, 'AliyunODPSRoleForOtherUser', {},
      /principal=acs:ram::56789:user\/alice .*reason=trust policy of acs:ram::12345:role\/aliyunodpsroleforotheruser allows service 56789@odps.aliyuncs.com; caller is RAM acs:ram::56789:user\/alice/);
    // Neither the identity nor the trust side admits nobody: the log says both.
    await refused('LTAIstsNobody56789', 'AliyunODPSRoleForOtherUser', {},
      /principal=acs:ram::56789:user\/nobody .*reason=no identity policy allows sts:AssumeRole .*; and trust policy of acs:ram::12345:role\/aliyunodpsroleforotheruser allows service 56789@odps.aliyuncs.com; caller is RAM acs:ram::56789:user\/nobody/);
    const b = ok(await tryAs(SVC_B, 'AliyunODPSRoleForOtherUser'));
    assert.strictEqual(b.AssumedRoleUser.Arn, 'acs:ram::12345:role/aliyunodpsroleforotheruser/case');
  });

  await t.test('7: the "1xxxx" placeholder left in the trust policy', async () => {
    await refused(SVC_B, 'odps-placeholder', {},
      /reason=trust policy of acs:ram::12345:role\/odps-placeholder allows service 1xxxx@odps.aliyuncs.com; caller is 56789@odps.aliyuncs.com/);
  });

  await t.test('8/9: a bare service name means the role\'s own account', async () => {
    await refused(SVC_B, 'odps-same-account', {}, /allows service odps.aliyuncs.com; caller is 56789@odps.aliyuncs.com/);
    ok(await tryAs('LTAIstsOdpsFor12345', 'odps-same-account'));
  });

  await t.test('a service needs no identity policy, but is refused by RAM trust forms', async () => {
    await refused(SVC_B, 'cross-reader', {}, /allows RAM acs:ram::56789:root; caller is 56789@odps.aliyuncs.com/);
  });

  await t.test('10: root keys are refused with their own message', async () => {
    for (const root of ['LTAIstsRootB56789', 'LTAIstsRootA12345']) {
      fails(await tryAs(root, 'cross-reader'), 403, 'NoPermission', 'Roles may not be assumed by root accounts.');
    }
    await logged(emu, /principal=acs:ram::12345:root .*reason=Roles may not be assumed by root accounts\./);
  });

  await t.test('11/12: the caller\'s own policy must allow this role; a Deny wins', async () => {
    await refused('LTAIstsBob56789', 'cross-reader', {},
      /principal=acs:ram::56789:user\/bob .*reason=no identity policy allows sts:AssumeRole on acs:ram::12345:role\/cross-reader \(closest Custom policy AssumeOtherRoleOnly/);
    await refused('LTAIstsDave56789', 'cross-reader', {},
      /principal=acs:ram::56789:user\/dave .*reason=explicit deny of sts:AssumeRole on acs:ram::12345:role\/cross-reader in Custom policy DenyAssumeInA/);
  });

  await t.test('13: an explicit Deny in the trust policy', async () => {
    await refused(ALICE, 'no-alice', {}, /reason=explicit deny of sts:AssumeRole in trust policy of acs:ram::12345:role\/no-alice/);
    ok(await tryAs('LTAIstsCarol56789', 'no-alice'));
  });

  await t.test('15: ExternalId reaches the trust condition as sts:ExternalId', async () => {
    await refused(ALICE, 'ext-id', {}, /condition StringEquals sts:ExternalId \[abcd1234\] failed: key missing/);
    await refused(ALICE, 'ext-id', { ExternalId: 'wrong-id' }, /condition StringEquals sts:ExternalId \[abcd1234\] failed: request has \[wrong-id\]/);
    ok(await tryAs(ALICE, 'ext-id', { ExternalId: 'abcd1234' }));
  });

  await t.test('16: acs:SecureTransport in the trust policy: HTTP refused, HTTPS admitted', async () => {
    await refused(ALICE, 'tls-only', {}, /condition Bool acs:SecureTransport \[true\] failed: request has \[false\]/);
    const p = v1Path('AssumeRole', '2015-04-01', ALICE, SECRETS[ALICE], { RoleArn: ARN('tls-only'), RoleSessionName: 'tls' });
    const r = await emu.https('GET', p);
    assert.strictEqual(r.status, 200, r.body);
    assert.strictEqual(JSON.parse(r.body).AssumedRoleUser.Arn, 'acs:ram::12345:role/tls-only/tls');
  });

  await t.test('35: role chaining through a role principal', async () => {
    // alice herself is not trusted by chain-target; a session of "hop" is.
    await refused(ALICE, 'chain-target', {}, /allows RAM acs:ram::56789:role\/hop; caller is RAM acs:ram::56789:user\/alice/);
    const hop = ok(await assume(ALICE, { RoleArn: 'acs:ram::56789:role/hop', RoleSessionName: 'hop1' }));
    const c = hop.Credentials;
    SECRETS[c.AccessKeyId] = c.AccessKeySecret;
    const chained = client(emu, SECRETS, { [c.AccessKeyId]: c.SecurityToken });
    const b = ok(await chained(c.AccessKeyId, 'AssumeRole', { RoleArn: ARN('chain-target'), RoleSessionName: 'hop2' },
      { product: 'sts' }));
    assert.strictEqual(b.AssumedRoleUser.Arn, 'acs:ram::12345:role/chain-target/hop2');
    SECRETS[b.Credentials.AccessKeyId] = b.Credentials.AccessKeySecret;
    const second = client(emu, SECRETS, { [b.Credentials.AccessKeyId]: b.Credentials.SecurityToken });
    const who = ok(await second(b.Credentials.AccessKeyId, 'GetCallerIdentity', {}, { product: 'sts' }));
    assert.strictEqual(who.Arn, 'acs:ram::12345:assumed-role/chain-target/hop2');
    await logged(emu, /OK .*sts AssumeRole .*principal=acs:ram::56789:assumed-role\/hop\/hop1 status=200 decision=allow/);
  });

  await t.test('chaining needs the first role\'s own sts:AssumeRole, and its session policy\'s', async () => {
    // no-assume is trusted like hop, but holds no sts:AssumeRole permission.
    const na = ok(await assume(ALICE, { RoleArn: 'acs:ram::56789:role/no-assume', RoleSessionName: 'na' }));
    SECRETS[na.Credentials.AccessKeyId] = na.Credentials.AccessKeySecret;
    const c1 = client(emu, SECRETS, { [na.Credentials.AccessKeyId]: na.Credentials.SecurityToken });
    fails(await c1(na.Credentials.AccessKeyId, 'AssumeRole', { RoleArn: ARN('chain-target'), RoleSessionName: 'x2' },
      { product: 'sts' }), 403, 'NoPermission', DENIED);
    // hop with a session policy that does not allow sts:AssumeRole.
    const pol = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:Get*', Resource: '*' }] });
    const hp = ok(await assume(ALICE, { RoleArn: 'acs:ram::56789:role/hop', RoleSessionName: 'narrow', Policy: pol }));
    SECRETS[hp.Credentials.AccessKeyId] = hp.Credentials.AccessKeySecret;
    const c2 = client(emu, SECRETS, { [hp.Credentials.AccessKeyId]: hp.Credentials.SecurityToken });
    fails(await c2(hp.Credentials.AccessKeyId, 'AssumeRole', { RoleArn: ARN('chain-target'), RoleSessionName: 'x3' },
      { product: 'sts' }), 403, 'NoPermission', DENIED);
    await logged(emu, /principal=acs:ram::56789:assumed-role\/hop\/narrow .*reason=no session policy allows sts:AssumeRole on acs:ram::12345:role\/chain-target/);
  });

  await t.test('session policy: effective permissions are the intersection', async () => {
    // cross-reader holds AliyunRAMReadOnlyAccess.
    const full = await session(ALICE, 'cross-reader');
    ok(await call(full, 'ListRoles'));
    ok(await call(full, 'GetRole', { RoleName: 'alice-only' }));
    const only = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:GetRole', Resource: '*' }] });
    const narrow = await session(ALICE, 'cross-reader', { RoleSessionName: 'narrow', Policy: only });
    ok(await call(narrow, 'GetRole', { RoleName: 'alice-only' }));
    const d = fails(await call(narrow, 'ListRoles'), 403, 'NoPermission', 'You are not authorized to do this action.');
    assert.strictEqual(d.AccessDeniedDetail.PolicyType, 'SessionPolicy');
    assert.strictEqual(d.AccessDeniedDetail.AuthPrincipalType, 'AssumedRoleUser');
    // A session policy never widens the role: ram:* still cannot write.
    const wide = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:*', Resource: '*' }] });
    const w = await session(ALICE, 'cross-reader', { RoleSessionName: 'wide', Policy: wide });
    ok(await call(w, 'ListRoles'));
    fails(await call(w, 'CreateUser', { UserName: 'nope' }), 403, 'NoPermission');
  });

  await t.test('the caller\'s identity as GetCallerIdentity shows it, for every principal kind', async () => {
    assert.strictEqual(ok(await whoami(ALICE)).IdentityType, 'RAMUser');
    assert.strictEqual(ok(await whoami('LTAIstsRootB56789')).IdentityType, 'Account');
    assert.strictEqual(ok(await whoami(SVC_B)).Arn, '56789@odps.aliyuncs.com');
  });
});
