'use strict';
// Admin API: reset, checkpoints, world export, virtual clock.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, reloaded, SRC } = require('../support/emu');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/basic.json');

test('admin API', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('clock advances, sets and resets', async () => {
    const before = (await emu.json('GET', '/_emu/clock')).body;
    const adv = await emu.json('POST', '/_emu/clock', { advance_seconds: 3600 });
    assert.strictEqual(adv.status, 200);
    assert.ok(adv.body.now_ms - before.now_ms >= 3600 * 1000);
    assert.ok(adv.body.offset_ms >= 3600 * 1000 - 5);
    const set = await emu.json('POST', '/_emu/clock', { set: '2030-01-02T03:04:05Z' });
    assert.strictEqual(set.status, 200);
    assert.match(set.body.now, /^2030-01-02T03:04:0[5-9]/);
    const bad = await emu.json('POST', '/_emu/clock', { set: 'tomorrow' });
    assert.strictEqual(bad.status, 400);
    assert.strictEqual(bad.body.error.code, 'InvalidClockRequest');
    const two = await emu.json('POST', '/_emu/clock', { set: '2030-01-02T03:04:05Z', advance_seconds: 1 });
    assert.strictEqual(two.status, 400);
    const reset = await emu.json('POST', '/_emu/clock', { reset: true });
    assert.ok(Math.abs(reset.body.offset_ms) < 5);
  });

  await t.test('malformed admin JSON is a 400 with a location', async () => {
    const r = await emu.request('POST', '/_emu/clock', '{"advance_seconds": ', { 'content-type': 'application/json' });
    assert.strictEqual(r.status, 400);
    assert.match(JSON.parse(r.body).error.message, /line 1 column/);
  });

  await t.test('world export loads back into the same state', async () => {
    const exp = await emu.json('GET', '/_emu/world');
    assert.strictEqual(exp.status, 200);
    const a = exp.body.Accounts.find((x) => x.AccountId === '12345');
    assert.strictEqual(a.Roles[0].RoleName, 'AliyunODPSRoleForOtherUser');
    assert.deepStrictEqual(a.Roles[0].AssumeRolePolicyDocument.Statement[0].Principal.Service, ['56789@odps.aliyuncs.com']);
    assert.match(a.Roles[0].RoleId, /^\d{19}$/);
    await reloaded(emu, exp.body);
  });

  await t.test('checkpoints save and restore the clock and the world', async () => {
    const save = await emu.json('POST', '/_emu/checkpoints/before-test');
    assert.strictEqual(save.status, 200);
    assert.strictEqual(save.body.name, 'before-test');
    await emu.json('POST', '/_emu/clock', { advance_seconds: 7200 });
    const list = await emu.json('GET', '/_emu/checkpoints');
    assert.deepStrictEqual(list.body.checkpoints.map((c) => c.name), ['before-test']);
    const restore = await emu.json('POST', '/_emu/checkpoints/before-test/restore');
    assert.strictEqual(restore.status, 200);
    assert.strictEqual(restore.body.status, 'restored');
    const clock = await emu.json('GET', '/_emu/clock');
    assert.ok(Math.abs(clock.body.offset_ms) < 5);
    const missing = await emu.json('POST', '/_emu/checkpoints/nope/restore');
    assert.strictEqual(missing.status, 404);
    assert.strictEqual(missing.body.error.code, 'NoSuchCheckpoint');
    const badname = await emu.json('POST', '/_emu/checkpoints/has%20space');
    assert.strictEqual(badname.status, 400);
    const del = await emu.json('DELETE', '/_emu/checkpoints/before-test');
    assert.strictEqual(del.status, 200);
  });

  await t.test('reset returns to the loaded world and clock', async () => {
    await emu.json('POST', '/_emu/clock', { advance_seconds: 99 });
    const r = await emu.json('POST', '/_emu/reset');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.body.status, 'reset');
    const clock = await emu.json('GET', '/_emu/clock');
    assert.ok(Math.abs(clock.body.offset_ms) < 5);
  });

  await t.test('unknown admin endpoint is a 404 that lists the endpoints', async () => {
    const r = await emu.json('GET', '/_emu/nothing');
    assert.strictEqual(r.status, 404);
    assert.match(r.body.error.message, /\/_emu\/health/);
  });
});
