'use strict';
// The console's server side without a browser: the embedded page and its
// assets (content types, CSP), and the rows endpoint the page reads
// (GET /_emu/tables, GET /_emu/tables/A/I/T/rows): typed values, paging
// through a whole table, and refusals of bad limits, tokens and names.
// tests/browser/console.test.js drives the page itself in Chromium.
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, tmpdir, SRC } = require('../support/emu');

const ROWS = '/_emu/tables/12345/cap1/vehicle_track/rows';

test('console assets', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());

  await t.test('GET /_emu/ is the page, with a strict CSP', async () => {
    const r = await emu.request('GET', '/_emu/');
    assert.strictEqual(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/html; charset=utf-8/);
    const csp = r.headers['content-security-policy'];
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'",
      "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), `${d} in ${csp}`);
    assert.strictEqual(r.headers['x-content-type-options'], 'nosniff');
    assert.match(r.body, /<script src="\/_emu\/console\/console.js" defer><\/script>/);
    // No inline script or style for the CSP to refuse.
    assert.doesNotMatch(r.body, /<script>|<style|style="/);
  });

  await t.test('assets are the files of emulator/admin/console, byte for byte', async () => {
    for (const [name, type] of [['console.js', /^text\/javascript/], ['console.css', /^text\/css/],
      ['index.html', /^text\/html/]]) {
      const r = await emu.request('GET', `/_emu/console/${name}`);
      assert.strictEqual(r.status, 200, name);
      assert.match(r.headers['content-type'], type);
      assert.ok(r.raw.equals(fs.readFileSync(path.join(SRC, 'emulator/admin/console', name))), name);
    }
  });

  await t.test('unknown files and paths answer 404 in the admin shape', async () => {
    for (const p of ['/_emu/console/nope.js', '/_emu/console/../admin.c', '/_emu/nope']) {
      const r = await emu.json('GET', p);
      assert.strictEqual(r.status, 404, p);
      assert.strictEqual(r.body.error.code, 'NotFound');
    }
  });
});

test('rows endpoint on the seed world', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());

  await t.test('GET /_emu/tables lists schemas and row counts, no rows', async () => {
    const r = await emu.json('GET', '/_emu/tables');
    assert.strictEqual(r.status, 200);
    const [a, b] = r.body.Accounts;
    assert.strictEqual(a.AccountId, '12345');
    assert.deepStrictEqual(b, { AccountId: '56789', Instances: [] });
    const tb = a.Instances[0].Tables[0];
    assert.strictEqual(a.Instances[0].InstanceName, 'cap1');
    assert.strictEqual(tb.TableName, 'vehicle_track');
    assert.strictEqual(tb.RowCount, 10000);
    assert.deepStrictEqual(tb.PrimaryKey, [{ Name: 'vid', Type: 'INTEGER' }, { Name: 'gt', Type: 'INTEGER' }]);
    assert.strictEqual(tb.DefinedColumns.length, 5);
    assert.strictEqual(tb.Rows, undefined);
  });

  await t.test('pages cover the table once, in primary-key order', async () => {
    let start = null;
    let n = 0;
    let prev = null;
    for (let pages = 0; pages < 30; pages++) {
      const r = await emu.json('GET', `${ROWS}?limit=500${start ? `&start=${start}` : ''}`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.body.Start, start);
      for (const row of r.body.Rows) {
        const key = row.PrimaryKey.map((c) => BigInt(c.Value));
        if (prev) assert.ok(key[0] > prev[0] || (key[0] === prev[0] && key[1] > prev[1]), 'ascending');
        prev = key;
        n++;
      }
      start = r.body.Next;
      if (!start) break;
    }
    assert.strictEqual(n, 10000);
  });

  await t.test('values are typed; the first row matches the CSV', async () => {
    const r = await emu.json('GET', `${ROWS}?limit=1`);
    const [row] = r.body.Rows;
    assert.deepStrictEqual(row.PrimaryKey, [
      { Name: 'vid', Type: 'INTEGER', Value: '1' }, { Name: 'gt', Type: 'INTEGER', Value: '1793491308000' }]);
    const byName = Object.fromEntries(row.Columns.map((c) => [c.Name, c]));
    assert.strictEqual(byName.longitude.Type, 'DOUBLE');
    assert.strictEqual(byName.longitude.Value, 120.193541);
    assert.strictEqual(byName.oil_consumption.Value, 0.0222);
    assert.strictEqual(typeof byName.speed.Timestamp, 'number');
    assert.ok(r.body.Next);
  });

  await t.test('bad limits, tokens and names are refused', async () => {
    for (const q of ['limit=0', 'limit=501', 'limit=x', 'limit=', 'limit=99999999999999999999']) {
      const r = await emu.json('GET', `${ROWS}?${q}`);
      assert.strictEqual(r.status, 400, q);
      assert.strictEqual(r.body.error.code, 'InvalidLimit', q);
    }
    const first = await emu.json('GET', `${ROWS}?limit=1`);
    const tok = first.body.Next;
    for (const bad of ['zz', '0', tok.slice(0, -2), tok + '00', '03' + tok.slice(2), 'x'.repeat(40000)]) {
      // Past the URL cap, net answers before the admin API sees it.
      const r = await emu.request('GET', `${ROWS}?start=${bad}`);
      assert.ok(r.status === 400 || r.status === 414 || r.status === 431, `${bad.slice(0, 20)}: ${r.status}`);
      if (r.status === 400) assert.strictEqual(JSON.parse(r.body).error.code, 'InvalidToken');
    }
    for (const [p, code] of [['/_emu/tables/99999/cap1/vehicle_track/rows', 'NoSuchAccount'],
      ['/_emu/tables/12345/nope/vehicle_track/rows', 'NoSuchInstance'],
      ['/_emu/tables/12345/cap1/nope/rows', 'NoSuchTable'],
      ['/_emu/tables/12345/cap1/vehicle_track', 'NotFound'],
      ['/_emu/tables/12345/cap1//rows', 'NotFound'],
      ['/_emu/tables/12345/cap1/vehicle_track/rows/x', 'NotFound'],
      ['/_emu/tables/12%2F/cap1/vehicle_track/rows', 'NotFound']]) {
      const r = await emu.json('GET', p);
      assert.strictEqual(r.status, 404, p);
      assert.strictEqual(r.body.error.code, code, p);
    }
  });
});

test('rows endpoint: every value type, string keys, undeclared columns', async (t) => {
  const dir = tmpdir();
  const world = path.join(dir, 'world.json');
  fs.writeFileSync(world, JSON.stringify({
    Region: 'cn-hangzhou',
    Accounts: [{
      AccountId: '12345',
      Tablestore: {
        Instances: [{
          InstanceName: 'kinds1',
          Tables: [{
            TableName: 'kinds',
            PrimaryKey: [{ Name: 'name', Type: 'STRING' }, { Name: 'blob', Type: 'BINARY' }],
            DefinedColumns: [{ Name: 'flag', Type: 'BOOLEAN' }, { Name: 'n', Type: 'INTEGER' },
              { Name: 'd', Type: 'DOUBLE' }, { Name: 's', Type: 'STRING' }],
            Rows: [
              { name: 'b', blob: 'AAE=', flag: true, n: '9007199254740993', d: 1.5, s: 'héllo <b>x</b>' },
              { name: 'a', blob: '', flag: false, n: -1, extra: { Type: 'STRING', Value: 'more' } },
              { name: 'c', blob: '/w==' },
            ],
          }],
        }],
      },
    }],
  }));
  const emu = await start({ world });
  t.after(async () => { await emu.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  const r = await emu.json('GET', '/_emu/tables/12345/kinds1/kinds/rows?limit=2');
  assert.strictEqual(r.status, 200);
  const [a, b] = r.body.Rows;
  assert.deepStrictEqual(a.PrimaryKey, [{ Name: 'name', Type: 'STRING', Value: 'a' },
    { Name: 'blob', Type: 'BINARY', Value: '', Encoding: 'base64' }]);
  const cols = (row) => Object.fromEntries(row.Columns.map((c) => [c.Name, [c.Type, c.Value, c.Encoding]]));
  assert.deepStrictEqual(cols(a), { extra: ['STRING', 'more', undefined], flag: ['BOOLEAN', false, undefined],
    n: ['INTEGER', '-1', undefined] });
  assert.deepStrictEqual(b.PrimaryKey[1], { Name: 'blob', Type: 'BINARY', Value: 'AAE=', Encoding: 'base64' });
  // int64 beyond 2^53 stays exact as a decimal string; markup is just text.
  assert.deepStrictEqual(cols(b), { d: ['DOUBLE', 1.5, undefined], flag: ['BOOLEAN', true, undefined],
    n: ['INTEGER', '9007199254740993', undefined], s: ['STRING', 'héllo <b>x</b>', undefined] });

  // A STRING/BINARY key round-trips through the page token.
  assert.ok(r.body.Next);
  const next = await emu.json('GET', `/_emu/tables/12345/kinds1/kinds/rows?start=${r.body.Next}`);
  assert.deepStrictEqual(next.body.Rows.map((x) => x.PrimaryKey[0].Value), ['c']);
  assert.strictEqual(next.body.Next, null);
  // A token of vehicle_track (INTEGER keys) is not a token of this table.
  const vt = '00000000000000000100000001a1946a7840';
  const bad = await emu.json('GET', `/_emu/tables/12345/kinds1/kinds/rows?start=${vt}`);
  assert.strictEqual(bad.status, 400);
  assert.strictEqual(bad.body.error.code, 'InvalidToken');
});
