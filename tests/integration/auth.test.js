'use strict';
// Request authentication of the RPC front (rpc-api.md §3-§7): every refusal
// with its HTTP status, Code and exact Message, STS session tokens against
// the virtual clock, the replay cache, and that no secret or token is ever
// logged.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, raw, run, SRC, tmpdir } = require('../support/emu');
const { signV1, v1Params, v1Path, toQuery, signV3, isoNow, nonce } = require('../support/sign');

const BASIC = path.join(SRC, 'tests/fixtures/worlds/basic.json');
const STS = '2015-04-01';
const ROOT_A = ['LTAIemuAccountA12345', 'emu-secret-account-a'];
const ETL = ['LTAIemuEtlUser56789', 'emu-secret-etl'];
const SESS = { ak: 'STS.EmuSessionKeyAAAA0001', secret: 'emu-session-secret-0001', token: 'CAISZW11LXNlc3Npb24tdG9rZW4tMDAwMQ==' };
const SESS2 = { ak: 'STS.EmuSessionKeyBBBB0002', secret: 'emu-session-secret-0002', token: 'CAISZW11LXNlc3Npb24tdG9rZW4tMDAwMg==' };
const GONE = { ak: 'STS.EmuSessionKeyCCCC0003', secret: 'emu-session-secret-0003', token: 'CAISZW11LXNlc3Npb24tdG9rZW4tMDAwMw==' };

const MISMATCH = 'Specified signature is not matched with our calculation. server string to sign is:';

// The basic fixture plus three STS sessions that expire in an hour of the
// virtual clock: two of an existing role, one of a role that is gone.
function worldWithSessions() {
  const w = JSON.parse(fs.readFileSync(BASIC, 'utf8'));
  const exp = new Date(Date.now() + 3600e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const base = { AccountId: '12345', RoleName: 'AliyunODPSRoleForOtherUser', SourceArn: 'acs:ram::56789:user/etl', Expiration: exp };
  w.Sessions = [
    { ...base, AccessKeyId: SESS.ak, AccessKeySecret: SESS.secret, SecurityToken: SESS.token, RoleSessionName: 'etl-1' },
    { ...base, AccessKeyId: SESS2.ak, AccessKeySecret: SESS2.secret, SecurityToken: SESS2.token, RoleSessionName: 'etl-2',
      Policy: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ots:GetRow","Resource":"*"}]}' },
    { ...base, AccessKeyId: GONE.ak, AccessKeySecret: GONE.secret, SecurityToken: GONE.token, RoleName: 'deleted-role', RoleSessionName: 'old' },
  ];
  const file = path.join(tmpdir(), 'world.json');
  fs.writeFileSync(file, JSON.stringify(w));
  return file;
}

test('RPC authentication', async (t) => {
  const world = worldWithSessions();
  const emu = await start({ world, args: ['--log-level', 'debug'] });
  t.after(() => emu.stop());
  const get = async (p, headers) => {
    const r = await emu.request('GET', p, undefined, headers);
    return { status: r.status, headers: r.headers, text: r.body, body: r.body.startsWith('{') ? JSON.parse(r.body) : null };
  };
  const expectErr = (r, status, code, message) => {
    assert.strictEqual(r.body && r.body.Code, code, r.text);
    assert.strictEqual(r.status, status);
    if (message instanceof RegExp) assert.match(r.body.Message, message);
    else if (message !== undefined) assert.strictEqual(r.body.Message, message);
  };
  const v1 = (ak, secret, extra, action = 'GetCallerIdentity') => v1Path(action, STS, ak, secret, extra);

  await t.test('a correctly signed V1 call passes', async () => {
    const r = await get(v1(...ETL));
    assert.strictEqual(r.status, 200, r.text);
    assert.strictEqual(r.body.Arn, 'acs:ram::56789:user/etl');
  });

  await t.test('each missing common parameter is named', async () => {
    for (const name of ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp']) {
      const { params } = signV1(v1Params('GetCallerIdentity', STS, ETL[0]), ETL[1]);
      delete params[name];
      const r = await get('/?' + toQuery(params));
      expectErr(r, 400, 'MissingParameter',
        `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
    }
  });

  await t.test('duplicated Signature or AccessKeyId is refused', async () => {
    const { params } = signV1(v1Params('GetCallerIdentity', STS, ETL[0]), ETL[1]);
    const q = toQuery(params);
    let r = await get(`/?${q}&Signature=${encodeURIComponent(params.Signature)}`);
    expectErr(r, 400, 'InvalidParameter', 'The specified parameter "Signature" is not valid.');
    r = await get(`/?${q}&AccessKeyId=LTAIemuAccountA12345`);
    expectErr(r, 400, 'InvalidParameter', 'The specified parameter "AccessKeyId" is not valid.');
    // Query and form body together count too.
    const resp = await emu.request('POST', `/?AccessKeyId=${ETL[0]}`, q, { 'content-type': 'application/x-www-form-urlencoded' });
    expectErr({ status: resp.status, body: JSON.parse(resp.body), text: resp.body }, 400, 'InvalidParameter',
      'The specified parameter "AccessKeyId" is not valid.');
  });

  await t.test('wrong secret (V1): the message ends with the server string-to-sign', async () => {
    const signedParams = signV1(v1Params('GetCallerIdentity', STS, ETL[0]), 'not-the-secret');
    const r = await get('/?' + toQuery(signedParams.params));
    expectErr(r, 400, 'SignatureDoesNotMatch', MISMATCH + signedParams.stringToSign);
  });

  await t.test('wrong secret (V1, XML): same error as XML', async () => {
    const { params } = signV1(v1Params('GetCallerIdentity', STS, ETL[0], { Format: 'XML' }), 'nope');
    const r = await emu.request('GET', '/?' + toQuery(params));
    assert.strictEqual(r.status, 400);
    assert.strictEqual(r.headers['content-type'], 'text/xml;charset=utf-8');
    assert.match(r.body, /<Code>SignatureDoesNotMatch<\/Code><Message>Specified signature is not matched with our calculation\. server string to sign is:GET&amp;%2F&amp;/);
  });

  await t.test('wrong secret (V3): the message ends with the V3 string-to-sign', async () => {
    const s = signV3({ host: `127.0.0.1:${emu.port}`, ak: ETL[0], secret: 'wrong', action: 'GetCallerIdentity', version: STS });
    const resp = await emu.request('POST', s.path, undefined, s.headers);
    const body = JSON.parse(resp.body);
    assert.strictEqual(resp.status, 400);
    assert.strictEqual(body.Code, 'SignatureDoesNotMatch');
    assert.strictEqual(body.Message, MISMATCH + s.stringToSign);
    const ok = signV3({ host: `127.0.0.1:${emu.port}`, ak: ETL[0], secret: ETL[1], action: 'GetCallerIdentity', version: STS,
      query: { Note: "a b*c~d!e'f(g)h+i/j中" } });
    const r2 = await emu.request('POST', ok.path, undefined, ok.headers);
    assert.strictEqual(r2.status, 200, r2.body);
  });

  await t.test('V3 with a form body: the query alone is signed, the body by its hash', async () => {
    const form = 'Note=from+the+body&Extra=1';
    const sign = (query) => signV3({ host: `127.0.0.1:${emu.port}`, ak: ETL[0], secret: ETL[1], action: 'GetCallerIdentity',
      version: STS, query, body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    // The same name in query and body: the body's value wins for the
    // handler, but the canonical query still holds the query's value.
    const s = sign({ Note: 'from the query' });
    const r = await emu.request('POST', s.path, form, s.headers);
    assert.strictEqual(r.status, 200, r.body);
    // Signing the body's parameters as if they were in the query fails.
    const wrong = sign({ Note: 'from the body', Extra: '1' });
    const r2 = await emu.request('POST', s.path, form, wrong.headers);
    assert.strictEqual(JSON.parse(r2.body).Code, 'SignatureDoesNotMatch', r2.body);
  });

  await t.test('old, future and malformed timestamps', async () => {
    for (const off of [-16 * 60e3, 16 * 60e3]) {
      const r = await get(v1(...ETL, { Timestamp: isoNow(off) }));
      expectErr(r, 400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    }
    assert.strictEqual((await get(v1(...ETL, { Timestamp: isoNow(-14 * 60e3) }))).status, 200);
    for (const bad of ['2025/01/01 00:00:00', 'yesterday', '2025-01-01T00:00:00', '2025-13-01T00:00:00Z']) {
      const r = await get(v1(...ETL, { Timestamp: bad }));
      expectErr(r, 400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    }
    const s = signV3({ host: `127.0.0.1:${emu.port}`, ak: ETL[0], secret: ETL[1], action: 'GetCallerIdentity', version: STS,
      date: 'Mon, 01 Jan 2025 00:00:00 GMT' });
    const resp = await emu.request('POST', s.path, undefined, s.headers);
    assert.strictEqual(resp.status, 400);
    assert.strictEqual(JSON.parse(resp.body).Code, 'InvalidTimeStamp.Format');
  });

  await t.test('unknown and inactive keys', async () => {
    expectErr(await get(v1('LTAInobody', 'x')), 404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    expectErr(await get(v1('LTAIemuOffA12345', 'emu-secret-off')), 400, 'InvalidAccessKeyId.Inactive', 'Specified access key is disabled.');
  });

  await t.test('a replayed nonce is refused; a forged request does not burn it', async () => {
    const n = nonce();
    const forged = signV1(v1Params('GetCallerIdentity', STS, ETL[0], { SignatureNonce: n }), 'forger');
    expectErr(await get('/?' + toQuery(forged.params)), 400, 'SignatureDoesNotMatch');
    const p = v1(...ETL, { SignatureNonce: n });
    assert.strictEqual((await get(p)).status, 200);
    expectErr(await get(p), 400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    // The same nonce under another key is a different pair.
    assert.strictEqual((await get(v1(...ROOT_A, { SignatureNonce: n }))).status, 200);
    // V3 too.
    const s = signV3({ host: `127.0.0.1:${emu.port}`, ak: ETL[0], secret: ETL[1], action: 'GetCallerIdentity', version: STS });
    assert.strictEqual((await emu.request('POST', s.path, undefined, s.headers)).status, 200);
    const again = await emu.request('POST', s.path, undefined, s.headers);
    assert.strictEqual(again.status, 400);
    assert.strictEqual(JSON.parse(again.body).Code, 'SignatureNonceUsed');
  });

  await t.test('STS session credentials: V1 and V3', async () => {
    const r = await get(v1(SESS.ak, SESS.secret, { SecurityToken: SESS.token }));
    assert.strictEqual(r.status, 200, r.text);
    assert.strictEqual(r.body.IdentityType, 'AssumedRoleUser');
    assert.strictEqual(r.body.Arn, 'acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/etl-1');
    assert.match(r.body.PrincipalId, /^\d+:etl-1$/);
    const s = signV3({ host: `127.0.0.1:${emu.port}`, ak: SESS2.ak, secret: SESS2.secret, action: 'GetCallerIdentity', version: STS,
      headers: { 'x-acs-security-token': SESS2.token, 'x-acs-accesskey-id': SESS2.ak } });
    const r3 = await emu.request('POST', s.path, undefined, s.headers);
    assert.strictEqual(r3.status, 200, r3.body);
    assert.match(JSON.parse(r3.body).Arn, /assumed-role\/aliyunodpsroleforotheruser\/etl-2$/);
  });

  await t.test('token problems', async () => {
    expectErr(await get(v1(SESS.ak, SESS.secret)), 400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.');
    expectErr(await get(v1(SESS.ak, SESS.secret, { SecurityToken: SESS2.token })), 400,
      'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.');
    expectErr(await get(v1(ETL[0], ETL[1], { SecurityToken: SESS.token })), 400, 'InvalidSecurityToken.MismatchWithAccessKey');
    const tampered = SESS.token.slice(0, -3) + 'A==';
    expectErr(await get(v1(SESS.ak, SESS.secret, { SecurityToken: tampered })), 400,
      'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed.');
    // A session whose role was deleted stops working.
    expectErr(await get(v1(GONE.ak, GONE.secret, { SecurityToken: GONE.token })), 400, 'InvalidSecurityToken.Malformed');
    // Wrong session secret: signature mismatch, not a token error.
    expectErr(await get(v1(SESS.ak, 'nope', { SecurityToken: SESS.token })), 400, 'SignatureDoesNotMatch');
  });

  await t.test('sessions are world state: exported, checkpointed, reset', async () => {
    const w = await emu.json('GET', '/_emu/world');
    assert.deepStrictEqual(w.body.Sessions.map((s) => s.AccessKeyId), [SESS.ak, SESS2.ak, GONE.ak]);
    assert.strictEqual(w.body.Sessions[1].Policy.includes('ots:GetRow'), true);
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/before-expiry')).status, 200);
  });

  await t.test('tokens expire on the virtual clock', async () => {
    let r = await emu.json('POST', '/_emu/clock', { advance_seconds: 3601 });
    assert.strictEqual(r.status, 200);
    expectErr(await get(v1(SESS.ak, SESS.secret, { SecurityToken: SESS.token })), 400,
      'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
    // Request signatures still use the real clock: long-term keys work.
    assert.strictEqual((await get(v1(...ETL))).status, 200);
    r = await emu.json('POST', '/_emu/clock', { reset: true });
    assert.strictEqual((await get(v1(SESS.ak, SESS.secret, { SecurityToken: SESS.token }))).status, 200);
  });

  await t.test('malformed, unsupported and huge Authorization headers', async () => {
    const base = { 'x-acs-action': 'GetCallerIdentity', 'x-acs-version': STS };
    let r = await get('/', { ...base, authorization: 'ACS3-HMAC-SHA256 garbage' });
    expectErr(r, 400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    r = await get('/', { ...base, authorization: `ACS3-HMAC-SM3 Credential=${ETL[0]},SignedHeaders=host,Signature=${'0'.repeat(64)}` });
    expectErr(r, 400, 'InvalidSignatureMethod');
    r = await get('/', { ...base, authorization: `ACS3-HMAC-SHA256 Credential=${'A'.repeat(20000)},SignedHeaders=host,Signature=${'0'.repeat(64)}` });
    expectErr(r, 400, 'IncompleteSignature');
    // Beyond the header cap the HTTP layer answers 431 before closing.
    const big = await raw(emu.port, `GET /?Action=GetCallerIdentity HTTP/1.1\r\nHost: x\r\nAuthorization: ACS3-HMAC-SHA256 ${'B'.repeat(70000)}\r\n\r\n`);
    assert.match(big.text, /^HTTP\/1.1 431 /);
    // A header present but not signed.
    const s = signV3({ host: `127.0.0.1:${emu.port}`, ak: ETL[0], secret: ETL[1], action: 'GetCallerIdentity', version: STS });
    const partial = { ...s.headers, authorization: s.headers.authorization.replace(/SignedHeaders=[^,]*/, 'SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-signature-nonce;x-acs-version') };
    expectErr(await get(s.path, partial), 400, 'IncompleteSignature');
  });

  await t.test('nothing secret reaches the log', async () => {
    const log = emu.stderr;
    assert.ok(log.length > 0);
    for (const secret of [ETL[1], ROOT_A[1], SESS.secret, SESS.token, SESS2.token, SESS2.secret, 'emu-secret-off']) {
      assert.ok(!log.includes(secret), `log contains ${secret}`);
    }
  });
});

// issue 15: after 540,000 signed requests a 33-second-old captured request
// of another account replayed, its nonce evicted from the bounded cache.
// Evicting now raises a floor: anything signed at or before the newest
// forgotten request is refused, so a replay is never accepted. --nonce-cache
// makes the cache small enough to fill here.
test('a full replay cache never lets a forgotten request replay (--nonce-cache)', async (t) => {
  const emu = await start({ world: BASIC, args: ['--nonce-cache', '64'] });
  t.after(() => emu.stop());
  const get = async (p) => {
    const r = await emu.request('GET', p);
    return { status: r.status, text: r.body, body: r.body.startsWith('{') ? JSON.parse(r.body) : {} };
  };
  const at = (ms) => new Date(ms).toISOString(); // with milliseconds (rpc-api.md §5)
  const t0 = Date.now();
  // Account A's calls, captured by an attacker: V1 and V3, 33 s old.
  const captured = v1Path('GetCallerIdentity', STS, ...ROOT_A, { Timestamp: isoNow(-33e3) });
  const captured3 = signV3({ host: `127.0.0.1:${emu.port}`, ak: ROOT_A[0], secret: ROOT_A[1],
    action: 'GetCallerIdentity', version: STS, date: isoNow(-33e3) });
  assert.strictEqual((await get(captured)).status, 200);
  assert.strictEqual((await emu.request('POST', captured3.path, undefined, captured3.headers)).status, 200);
  // Another account's traffic fills the cache (64 nonces) well past its size.
  let last;
  for (let i = 0; i < 100; i++) {
    last = v1Path('GetCallerIdentity', STS, ...ETL, { Timestamp: at(t0 - 30e3 + i * 100) });
    const r = await get(last);
    assert.strictEqual(r.status, 200, r.text);
  }
  // Both replays are refused as too old, with the gateway's own error.
  for (const r of [await get(captured),
    await emu.request('POST', captured3.path, undefined, captured3.headers).then((x) => ({ status: x.status, body: JSON.parse(x.body) }))]) {
    assert.strictEqual(r.status, 400, JSON.stringify(r.body));
    assert.strictEqual(r.body.Code, 'InvalidTimeStamp.Expired');
    assert.strictEqual(r.body.Message, 'Specified time stamp or date value is expired.');
  }
  // A nonce still remembered is a replay as before; fresh requests pass.
  const again = await get(last);
  assert.strictEqual(again.body.Code, 'SignatureNonceUsed', again.text);
  assert.strictEqual((await get(v1Path('GetCallerIdentity', STS, ...ROOT_A))).status, 200);
  // The shrinking window is logged once (at most once a minute).
  const warns = emu.stderr.match(/replay cache full \(64 nonces\): requests signed at or before \S+Z \(\d+s before the newest\) are refused with InvalidTimeStamp\.Expired/g) || [];
  assert.strictEqual(warns.length, 1, emu.stderr);
});

test('--nonce-cache is documented and checked', async () => {
  const help = await run(['--help']);
  assert.match(help.stdout, /--nonce-cache N/);
  const r = await run(['--nonce-cache', '10']);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /--nonce-cache: "10" is not a number of nonces \(64-16777216\)/);
});

test('a sessions world: export loads back to the same state', async () => {
  const world = worldWithSessions();
  const a = await start({ world });
  const exported = (await a.json('GET', '/_emu/world')).body;
  await a.stop();
  const file = path.join(tmpdir(), 'exported.json');
  fs.writeFileSync(file, JSON.stringify(exported));
  const b = await start({ world: file });
  try {
    assert.deepStrictEqual((await b.json('GET', '/_emu/world')).body, exported);
    const r = await b.request('GET', v1Path('GetCallerIdentity', STS, SESS.ak, SESS.secret, { SecurityToken: SESS.token }));
    assert.strictEqual(r.status, 200, r.body);
  } finally {
    await b.stop();
  }
});
