'use strict';
// The Tablestore smoke flow as a node:test, with the
// unmodified `tablestore` npm package: DeleteTable → CreateTable → ListTable →
// DescribeTable → 3 × PutRow → GetRow (present, missing) → GetRange FORWARD
// → GetRange BACKWARD with paging → DeleteTable. Run once with account A's
// root key and once with an STS session of a role in A (x-ots-ststoken).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, SRC } = require('../support/emu');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const TABLE = 'vehicle_track';
const ROWS = [
  { vid: 1001, gt: 1700000000000, longitude: 120.1551, latitude: 30.2741, distance: 12.5, speed: 60.25, oil_consumption: 7.5 },
  { vid: 1001, gt: 1700000060000, longitude: 120.1602, latitude: 30.2799, distance: 13.75, speed: 58.5, oil_consumption: 7.25 },
  { vid: 1002, gt: 1700000000000, longitude: 121.4737, latitude: 31.2304, distance: 3.0, speed: 35.0, oil_consumption: 6.0 },
];
const DOUBLE_COLS = ['longitude', 'latitude', 'distance', 'speed', 'oil_consumption'];

const toNum = (v) => (v && typeof v.toNumber === 'function' ? v.toNumber() : v);
function rowToObj(row) {
  const o = {};
  for (const pk of row.primaryKey || []) o[pk.name] = toNum(pk.value);
  for (const a of row.attributes || []) o[a.columnName] = toNum(a.columnValue);
  return o;
}
const sameRow = (got, want) => got.vid === want.vid && got.gt === want.gt &&
  DOUBLE_COLS.every((c) => got[c] === want[c]);

async function smoke(client) {
  await client.deleteTable({ tableName: TABLE }).catch(() => {});
  await client.createTable({
    tableMeta: { tableName: TABLE, primaryKey: [{ name: 'vid', type: 'INTEGER' }, { name: 'gt', type: 'INTEGER' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  const list = await client.listTable({});
  assert.ok(list.tableNames.includes(TABLE));
  const d = await client.describeTable({ tableName: TABLE });
  assert.strictEqual(d.tableMeta.primaryKey.map((p) => p.name + ':' + p.type).join(','), 'vid:1,gt:1');

  for (const row of ROWS) {
    const r = await client.putRow({
      tableName: TABLE,
      condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey: [{ vid: Long.fromNumber(row.vid) }, { gt: Long.fromNumber(row.gt) }],
      attributeColumns: DOUBLE_COLS.map((c) => ({ [c]: row[c] })),
    });
    assert.ok(r.consumed.capacityUnit.write >= 1);
  }
  let g = await client.getRow({
    tableName: TABLE, primaryKey: [{ vid: Long.fromNumber(1001) }, { gt: Long.fromNumber(1700000060000) }], maxVersions: 1,
  });
  assert.ok(sameRow(rowToObj(g.row), ROWS[1]));
  g = await client.getRow({ tableName: TABLE, primaryKey: [{ vid: Long.fromNumber(9999) }, { gt: Long.fromNumber(1) }], maxVersions: 1 });
  assert.strictEqual(g.row.primaryKey, undefined);

  const fwd = await client.getRange({
    tableName: TABLE, direction: TableStore.Direction.FORWARD,
    inclusiveStartPrimaryKey: [{ vid: TableStore.INF_MIN }, { gt: TableStore.INF_MIN }],
    exclusiveEndPrimaryKey: [{ vid: TableStore.INF_MAX }, { gt: TableStore.INF_MAX }],
    maxVersions: 1, limit: 100,
  });
  assert.strictEqual(fwd.rows.length, 3);
  assert.ok(fwd.rows.map(rowToObj).every((r, i) => sameRow(r, ROWS[i])));
  assert.strictEqual(fwd.nextStartPrimaryKey, null);

  let startKey = [{ vid: TableStore.INF_MAX }, { gt: TableStore.INF_MAX }];
  const all = [];
  let pages = 0;
  while (startKey && pages < 5) {
    const r = await client.getRange({
      tableName: TABLE, direction: TableStore.Direction.BACKWARD,
      inclusiveStartPrimaryKey: startKey,
      exclusiveEndPrimaryKey: [{ vid: TableStore.INF_MIN }, { gt: TableStore.INF_MIN }],
      maxVersions: 1, limit: 2,
    });
    pages++;
    all.push(...r.rows.map(rowToObj));
    startKey = r.nextStartPrimaryKey ? r.nextStartPrimaryKey.map((c) => ({ [c.name]: c.value })) : null;
  }
  assert.strictEqual(pages, 2);
  assert.ok(all.length === 3 && all.every((g2, i) => sameRow(g2, ROWS[2 - i])));
  await client.deleteTable({ tableName: TABLE });
  const after = await client.listTable({});
  assert.ok(!after.tableNames.includes(TABLE));
}

test('ots-smoke flow through the official Node SDK', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const base = { endpoint: emu.base, instancename: 'cap1', maxRetries: 0 };

  await t.test("with account A's root AccessKey", async () => {
    await smoke(new TableStore.Client({ ...base, accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a' }));
  });

  await t.test('with an STS session of a role in A (x-ots-ststoken)', async () => {
    await emu.json('POST', '/_emu/reset');
    await smoke(new TableStore.Client({ ...base, accessKeyId: 'STS.emuOtsAdminSession001',
      secretAccessKey: 'emu-sts-secret-admin', stsToken: 'CAIS-emu-ots-admin-token' }));
    assert.match(emu.stderr, /ots PutRow POST principal=acs:ram::12345:assumed-role\/OtsAdminForB\/b-admin status=200/i);
  });
});
