'use strict';
// Checkpoints are copy-on-write: a restore gives back exactly the rows of
// the moment it was taken (changed, deleted and new rows alike), a deleted
// checkpoint is gone, and their number is capped (--max-checkpoints, 409).
// That DELETE frees what the checkpoint held is checked by the ASan run
// (leak check at exit) and by the unit tests of the persistent index; the
// memory figures are in scripts/bench.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, run, SRC } = require('../support/emu');
const ots = require('../support/ots');
const { deleteRowBody } = require('../support/crash');

const BASIC = path.join(SRC, 'tests/fixtures/worlds/basic.json');

// A page of seed rows from (vid, gt) through the admin rows API:
// Map "vid/gt" -> speed (null when the row has no speed).
async function rowsFrom(emu, vid, gt, limit) {
  const token = Buffer.alloc(18);
  token.writeUInt8(0, 0);
  token.writeBigInt64BE(BigInt(vid), 1);
  token.writeUInt8(0, 9);
  token.writeBigInt64BE(BigInt(gt), 10);
  const r = await emu.json('GET', `/_emu/tables/12345/cap1/vehicle_track/rows?limit=${limit}&start=${token.toString('hex')}`);
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  const rows = new Map();
  for (const row of r.body.Rows) {
    const speed = row.Columns.find((c) => c.Name === 'speed');
    rows.set(row.PrimaryKey.map((c) => c.Value).join('/'), speed ? speed.Value : null);
  }
  return { rows, count: r.body.RowCount };
}

async function otsOk(emu, op, body) {
  const r = await ots.send(emu, op, body);
  assert.strictEqual(r.status, 200, `${op}: ${ots.errorOf(r.raw).message}`);
}

test('a restore gives back the rows of its checkpoint, and DELETE drops it', async () => {
  const emu = await start();
  try {
    const before = await rowsFrom(emu, 1, 0, 5);
    assert.strictEqual(before.rows.size, 5);
    const [firstKey, firstSpeed] = [...before.rows][0];
    const [vid, gt] = firstKey.split('/');

    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/seed')).status, 200);
    // After it: overwrite a row, delete one, add one.
    await otsOk(emu, 'PutRow', ots.putRowBody(vid, gt, [['speed', 99.5]]));
    const [delKey] = [...before.rows][1];
    await otsOk(emu, 'DeleteRow', deleteRowBody(ots.pk(...delKey.split('/'))));
    await otsOk(emu, 'PutRow', ots.putRowBody(1, 1, [['speed', 7.5]])); // before every seed gt
    const changed = await rowsFrom(emu, 1, 0, 5);
    assert.strictEqual(changed.rows.get(firstKey), 99.5);
    assert.strictEqual(changed.rows.get('1/1'), 7.5);
    assert.ok(!changed.rows.has(delKey));
    assert.strictEqual(changed.count, before.count);

    // A second checkpoint of the changed state, then restore the first.
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/changed')).status, 200);
    const r = await emu.json('POST', '/_emu/checkpoints/seed/restore');
    assert.strictEqual(r.status, 200);
    const back = await rowsFrom(emu, 1, 0, 5);
    assert.deepStrictEqual([...back.rows], [...before.rows]);
    assert.strictEqual(back.rows.get(firstKey), firstSpeed);
    assert.strictEqual(back.count, before.count);

    // Writes after a restore do not leak into the checkpoint restored from.
    await otsOk(emu, 'PutRow', ots.putRowBody(vid, gt, [['speed', 1.25]]));
    await emu.json('POST', '/_emu/checkpoints/seed/restore');
    assert.strictEqual((await rowsFrom(emu, 1, 0, 5)).rows.get(firstKey), firstSpeed);
    await emu.json('POST', '/_emu/checkpoints/changed/restore');
    assert.strictEqual((await rowsFrom(emu, 1, 0, 5)).rows.get(firstKey), 99.5);

    // DELETE drops it (the other one still restores); reset gives the seed.
    assert.strictEqual((await emu.json('DELETE', '/_emu/checkpoints/seed')).status, 200);
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/seed/restore')).status, 404);
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/changed/restore')).status, 200);
    assert.strictEqual((await emu.json('POST', '/_emu/reset')).status, 200);
    assert.deepStrictEqual([...(await rowsFrom(emu, 1, 0, 5)).rows], [...before.rows]);
  } finally {
    await emu.stop();
  }
});

test('at most 64 checkpoints by default: the 65th is a 409 that says what to do', async () => {
  const emu = await start({ world: BASIC });
  try {
    for (let i = 0; i < 64; i++) {
      const r = await emu.json('POST', `/_emu/checkpoints/c${i}`);
      assert.strictEqual(r.status, 200, `checkpoint ${i}: ${JSON.stringify(r.body)}`);
    }
    const full = await emu.json('POST', '/_emu/checkpoints/one-more');
    assert.strictEqual(full.status, 409);
    assert.strictEqual(full.body.error.code, 'TooManyCheckpoints');
    assert.match(full.body.error.message, /all 64 checkpoints/);
    assert.match(full.body.error.message, /--max-checkpoints/);
    assert.match(full.body.error.message, /DELETE \/_emu\/checkpoints\/NAME/);
    // Saving over an existing name still works at the cap, and so does a new
    // one once another is deleted.
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/c0')).status, 200);
    assert.strictEqual((await emu.json('DELETE', '/_emu/checkpoints/c1')).status, 200);
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/one-more')).status, 200);
    const list = await emu.json('GET', '/_emu/checkpoints');
    assert.strictEqual(list.body.max, 64);
    assert.strictEqual(list.body.checkpoints.length, 64);
  } finally {
    await emu.stop();
  }
});

test('--max-checkpoints and ACSEMU_MAX_CHECKPOINTS set the cap', async () => {
  const world = BASIC;
  const emu = await start({ world, args: ['--max-checkpoints', '2'] });
  try {
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/a')).status, 200);
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/b')).status, 200);
    const full = await emu.json('POST', '/_emu/checkpoints/c');
    assert.strictEqual(full.status, 409);
    assert.match(full.body.error.message, /all 2 checkpoints/);
  } finally {
    await emu.stop();
  }
  const env = await start({ world, env: { ACSEMU_MAX_CHECKPOINTS: '1' } });
  try {
    assert.strictEqual((await env.json('POST', '/_emu/checkpoints/a')).status, 200);
    assert.strictEqual((await env.json('POST', '/_emu/checkpoints/b')).status, 409);
  } finally {
    await env.stop();
  }
  const bad = await run(['--max-checkpoints', '0']);
  assert.strictEqual(bad.code, 2);
  assert.match(bad.stderr, /--max-checkpoints: "0" is not a number of checkpoints \(1-4096\)/);
});
