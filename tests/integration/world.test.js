'use strict';
// The seed world: it loads with its 10,000 rows, and a broken Tablestore
// section or rows file stops start-up with a located error.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, run, SRC, tmpdir } = require('../support/emu');

const SEED = JSON.parse(fs.readFileSync(path.join(SRC, 'data/world.json'), 'utf8'));
const CSV = fs.readFileSync(path.join(SRC, 'data/vehicle_track.csv'), 'utf8').split('\n').slice(0, 6).join('\n') + '\n';

function seedWith(mutate, csv = CSV) {
  const w = JSON.parse(JSON.stringify(SEED));
  mutate(w);
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'world.json'), JSON.stringify(w, null, 2));
  fs.writeFileSync(path.join(dir, 'vehicle_track.csv'), csv);
  return path.join(dir, 'world.json');
}

test('the seed world loads with 10,000 rows and reports them', async () => {
  const emu = await start();
  try {
    const h = await emu.json('GET', '/_emu/health');
    assert.strictEqual(h.body.accounts, 2);
    assert.strictEqual(h.body.tables, 1);
    assert.strictEqual(h.body.rows, 10000);
    assert.strictEqual(h.body.maxcompute_projects, 1);
    const w = await emu.json('GET', '/_emu/world');
    const t = w.body.Accounts[0].Tablestore.Instances[0].Tables[0];
    assert.strictEqual(t.TableName, 'vehicle_track');
    assert.ok(path.isAbsolute(t.RowsFile), 'unchanged rows export their file');
    assert.deepStrictEqual(t.PrimaryKey.map((c) => c.Name), ['vid', 'gt']);
  } finally {
    await emu.stop();
  }
});

test('checkpoint and reset keep the rows', async () => {
  const emu = await start();
  try {
    await emu.json('POST', '/_emu/checkpoints/seed');
    await emu.json('POST', '/_emu/checkpoints/seed/restore');
    await emu.json('POST', '/_emu/reset');
    const h = await emu.json('GET', '/_emu/health');
    assert.strictEqual(h.body.rows, 10000);
  } finally {
    await emu.stop();
  }
});

const T = '$.Accounts[0].Tablestore.Instances[0].Tables[0]';
const cases = [
  ['a rows-file cell of the wrong type', (w) => {}, CSV + '7,1793491308000,120.1,30.2,abc,1,2\n',
    `${T}.RowsFile: vehicle_track.csv:7: field 5 (column "distance"): expected a DOUBLE`],
  ['a rows-file line with too few columns', (w) => {}, CSV + '7,1793491308000,120.1\n',
    `${T}.RowsFile: vehicle_track.csv:7: expected 7 columns, found 3`],
  ['a DOUBLE primary key', (w) => { w.Accounts[0].Tablestore.Instances[0].Tables[0].PrimaryKey[1].Type = 'DOUBLE'; }, CSV,
    `${T}.PrimaryKey[1].Type: "DOUBLE" is not a primary key type (INTEGER, STRING, BINARY)`],
  ['a missing rows file', (w) => { w.Accounts[0].Tablestore.Instances[0].Tables[0].RowsFile = 'nope.csv'; }, CSV,
    `${T}.RowsFile`],
  ['an unknown table field', (w) => { w.Accounts[0].Tablestore.Instances[0].Tables[0].Shards = 3; }, CSV,
    `${T}.Shards: unknown field`],
  ['a duplicate table', (w) => {
    const ts = w.Accounts[0].Tablestore.Instances[0].Tables; ts.push({ ...ts[0] });
  }, CSV, '$.Accounts[0].Tablestore.Instances[0].Tables[1]'],
];

for (const [name, mutate, csv, expected] of cases) {
  test(`world file: ${name} stops start-up with a located error`, async () => {
    const file = seedWith(mutate, csv);
    const r = await run(['--port', '0', '--world', file]);
    assert.strictEqual(r.code, 2, r.stderr);
    assert.ok(r.stderr.startsWith(`${file}: ${expected}`), r.stderr);
    assert.strictEqual(r.stdout, '');
  });
}
