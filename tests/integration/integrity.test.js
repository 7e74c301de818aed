'use strict';
// Input that must never be stored as given (issue 15 item 10): a NUL in a
// name (nul%00user once created "nul"), invalid UTF-8 in an RPC parameter or
// a Tablestore STRING value, STS sessions that outlive their expiry in the
// world, and clock moves whose dates no export can be read back with.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { start } = require('../support/emu');
const { client } = require('../support/rpc');
const { pct, v1Params } = require('../support/sign');
const ots = require('../support/ots');

const ROOT_A = 'LTAIemuAccountA12345';
const SECRETS = {
  LTAIemuAccountA12345: 'emu-secret-account-a', LTAIemuOdpsFor56789: 'emu-secret-odps-56789',
};

// A signed V1 GET whose parameters in `raw` are sent percent-encoded as
// given (bytes that are not UTF-8, %00), signed over the same bytes.
function rawV1Path(action, version, params, raw) {
  const p = v1Params(action, version, ROOT_A, params);
  const enc = (k) => `${pct(k)}=${k in raw ? raw[k] : pct(p[k])}`;
  const keys = [...Object.keys(p), ...Object.keys(raw)].filter((k, i, a) => a.indexOf(k) === i).sort();
  const q = keys.map(enc).join('&');
  const sig = crypto.createHmac('sha1', SECRETS[ROOT_A] + '&').update(`GET&%2F&${pct(q)}`).digest('base64');
  return `/?${q}&Signature=${pct(sig)}`;
}

async function rpcRaw(emu, action, params, raw) {
  const r = await emu.request('GET', rawV1Path(action, '2015-05-01', params, raw));
  return { status: r.status, body: JSON.parse(r.body) };
}

async function userNames(call) {
  const r = await call(ROOT_A, 'ListUsers');
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body.Users.User.map((u) => u.UserName);
}

test('RAM names: NUL and invalid UTF-8 are refused, nothing is created', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const call = client(emu, SECRETS);
  const before = await userNames(call);

  for (const [raw, what] of [['nul%00user', 'NUL'], ['nul%FFuser', 'a byte that is not UTF-8'],
    ['%C3%28x', 'a broken UTF-8 sequence'], ['nul%00', 'a trailing NUL']]) {
    const r = await rpcRaw(emu, 'CreateUser', {}, { UserName: raw });
    assert.strictEqual(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
    assert.strictEqual(r.body.Code, 'InvalidParameter.UserName.InvalidChars', what);
    assert.strictEqual(r.body.Message, 'The parameter - "UserName" contains invalid chars.');
  }
  // The RAM name rule's own forbidden characters get the same answer.
  const sp = await call(ROOT_A, 'CreateUser', { UserName: 'nul user' });
  assert.strictEqual(sp.status, 400);
  assert.strictEqual(sp.body.Code, 'InvalidParameter.UserName.InvalidChars');
  // A parameter without a rule of its own: the gateway's InvalidParameter.
  const dn = await rpcRaw(emu, 'CreateUser', { UserName: 'valid-name' }, { DisplayName: 'caf%E9' });
  assert.strictEqual(dn.status, 400, JSON.stringify(dn.body));
  assert.strictEqual(dn.body.Code, 'InvalidParameter');
  assert.strictEqual(dn.body.Message, 'The specified parameter "DisplayName" is not valid.');
  // A role name too.
  const role = await rpcRaw(emu, 'CreateRole', { AssumeRolePolicyDocument: '{}' }, { RoleName: 'r%00x' });
  assert.strictEqual(role.body.Code, 'InvalidParameter.RoleName.InvalidChars');

  assert.deepStrictEqual(await userNames(call), before, 'no user was created');
  for (const name of ['nul', 'valid-name']) {
    assert.strictEqual((await call(ROOT_A, 'GetUser', { UserName: name })).status, 404, name);
  }
  assert.ok(!JSON.stringify((await emu.json('GET', '/_emu/world')).body).includes('"nul'), 'nothing in the world');
});

test('Tablestore: a STRING value or column name that is not UTF-8 is refused, nothing is stored', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const bad = Buffer.from([0x6f, 0x6b, 0xff, 0xfe]);
  for (const [label, attrs] of [['a STRING value', [['name', bad]]], ['a column name', [[bad, 1.5]]]]) {
    const r = await ots.send(emu, 'PutRow', ots.putRowBody(770001, 1, attrs));
    assert.strictEqual(r.status, 400, label);
    const e = ots.errorOf(r.raw);
    assert.strictEqual(e.code, 'OTSParameterInvalid', label);
    assert.match(e.message, /UTF-8/, label);
  }
  const g = await ots.send(emu, 'GetRow', ots.getRowBody(770001, 1));
  assert.strictEqual(g.status, 200);
  assert.ok(!g.raw.includes(Buffer.from('name')) && !g.raw.includes(bad), 'no row was stored');
  // Valid UTF-8 beyond ASCII is stored as sent.
  const okRow = await ots.send(emu, 'PutRow', ots.putRowBody(770002, 1, [['name', 'café ☕']]));
  assert.strictEqual(okRow.status, 200);
  assert.ok((await ots.send(emu, 'GetRow', ots.getRowBody(770002, 1))).raw.includes(Buffer.from('café ☕')));
});

test('STS sessions are collected once expired (virtual clock), and their tokens still say Expired', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const tokens = {};
  const secrets = { ...SECRETS };
  const call = client(emu, secrets, tokens);
  const sessions = async () => (await emu.json('GET', '/_emu/world')).body.Sessions || [];
  const r = await call('LTAIemuOdpsFor56789', 'AssumeRole',
    { RoleArn: 'acs:ram::12345:role/aliyunodpsroleforotheruser', RoleSessionName: 'gc', DurationSeconds: 900 },
    { product: 'sts' });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  const c = r.body.Credentials;
  secrets[c.AccessKeyId] = c.AccessKeySecret;
  tokens[c.AccessKeyId] = c.SecurityToken;
  assert.strictEqual((await sessions()).length, 1);

  // Expired but within the 15-minute grace: still in the world.
  assert.strictEqual((await emu.json('POST', '/_emu/clock', { advance_seconds: 900 + 600 })).status, 200);
  assert.strictEqual((await sessions()).length, 1, 'kept during the grace');
  // Past expiry + 15 min: gone from the export and the health counts.
  assert.strictEqual((await emu.json('POST', '/_emu/clock', { advance_seconds: 400 })).status, 200);
  assert.deepStrictEqual(await sessions(), []);
  assert.strictEqual((await emu.json('GET', '/_emu/health')).body.sessions, 0);
  const use = await call(c.AccessKeyId, 'GetCallerIdentity', {}, { product: 'sts' });
  assert.strictEqual(use.status, 400, JSON.stringify(use.body));
  assert.strictEqual(use.body.Code, 'InvalidSecurityToken.Expired');
});

test('the clock stays within 1970..9999, so every export loads', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const refused = async (body, re) => {
    const r = await emu.json('POST', '/_emu/clock', body);
    assert.strictEqual(r.status, 400, JSON.stringify(body));
    assert.strictEqual(r.body.error.code, 'InvalidClockRequest', JSON.stringify(r.body));
    if (re) assert.match(r.body.error.message, re);
  };
  for (const body of [{ advance_seconds: 1e13 }, { advance_seconds: -1e11 }, { set: '+010000-01-01T00:00:00Z' },
    { set: '1969-12-31T23:59:59Z' }, { advance_seconds: 9e15 }]) await refused(body);
  // Moves each within the per-call bound that would still leave 1970..9999.
  await refused({ advance_seconds: -1.8e9 }, /before 1970/);
  let moves = 0;
  for (; moves < 40; moves++) {
    const r = await emu.json('POST', '/_emu/clock', { advance_seconds: 9e9 }); // 285 years
    if (r.status !== 200) break;
  }
  assert.ok(moves >= 27 && moves < 40, `${moves} moves of 285 years from today stayed before 10000`);
  await refused({ advance_seconds: 9e9 }, /past the year 9999/);
  assert.match((await emu.json('GET', '/_emu/clock')).body.now, /^9\d{3}-/);
  // The last moment acsemu can write is allowed; its export loads.
  const edge = await emu.json('POST', '/_emu/clock', { set: '9999-12-31T23:00:00Z' });
  assert.strictEqual(edge.status, 200, JSON.stringify(edge.body));
  const world = (await emu.json('GET', '/_emu/world')).body;
  const file = path.join(emu.dir, 'export.json');
  fs.writeFileSync(file, JSON.stringify(world));
  const again = await start({ world: file });
  try {
    assert.strictEqual((await again.json('GET', '/_emu/health')).body.status, 'ready');
  } finally {
    await again.stop();
  }
});
