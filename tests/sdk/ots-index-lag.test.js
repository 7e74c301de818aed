'use strict';
// Eventual consistency of global secondary indexes, on demand: a fault rule
// with index_lag_ms makes the writes it matches reach the global indexes
// that much virtual time later (ots_index_lag.c); reads through the
// unmodified `tablestore` npm package see the old index rows until the
// clock passes, local indexes and the table itself follow at once, and an
// index never goes backwards.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, SRC } = require('../support/emu');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);

test('global indexes follow late under an index_lag_ms fault rule', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const c = new TableStore.Client({ accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a', endpoint: emu.base, instancename: 'cap1', maxRetries: 0 });
  await c.createTable({
    tableMeta: {
      tableName: 'lag', primaryKey: [{ name: 'id', type: 'INTEGER' }],
      definedColumn: [{ name: 'user', type: TableStore.DefinedColumnType.DCT_STRING }],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    indexMetas: [{ name: 'lag_by_user', primaryKey: ['user'] },
      { name: 'lag_local', primaryKey: ['id', 'user'], indexType: TableStore.IndexType.IT_LOCAL_INDEX, indexUpdateMode: TableStore.IndexUpdateMode.IUM_SYNC_INDEX }],
  });
  const users = async (index) => (await c.getRange({
    tableName: index, direction: TableStore.Direction.FORWARD, maxVersions: 1,
    inclusiveStartPrimaryKey: index === 'lag_local' ? [{ id: TableStore.INF_MIN }, { user: TableStore.INF_MIN }] : [{ user: TableStore.INF_MIN }, { id: TableStore.INF_MIN }],
    exclusiveEndPrimaryKey: index === 'lag_local' ? [{ id: TableStore.INF_MAX }, { user: TableStore.INF_MAX }] : [{ user: TableStore.INF_MAX }, { id: TableStore.INF_MAX }],
  })).rows.map((r) => r.primaryKey.find((k) => k.name === 'user').value);
  const put = (id, user) => c.putRow({ tableName: 'lag', condition: IGNORE(), primaryKey: [{ id: Long.fromNumber(id) }], attributeColumns: [{ user }] });

  await put(1, 'amy');
  assert.deepStrictEqual(await users('lag_by_user'), ['amy'], 'visible at once by default');

  let r = await emu.json('POST', '/_emu/faults', { service: 'ots', action: 'PutRow', index_lag_ms: 5000 });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  await put(2, 'bob');
  await put(1, 'cat');
  assert.deepStrictEqual(await users('lag_by_user'), ['amy'], 'the global index has not caught up');
  assert.deepStrictEqual(await users('lag_local'), ['cat', 'bob'], 'a local index is synchronous');
  const row = (await c.getRow({ tableName: 'lag', primaryKey: [{ id: Long.fromNumber(1) }], maxVersions: 1 })).row;
  assert.strictEqual(row.attributes[0].columnValue, 'cat', 'the table itself is');

  // Without the rule, a new change still queues behind the waiting ones.
  assert.strictEqual((await emu.json('DELETE', '/_emu/faults')).status, 200);
  await put(3, 'dan');
  assert.deepStrictEqual(await users('lag_by_user'), ['amy'], 'an index never goes backwards');
  await emu.json('POST', '/_emu/clock', { advance_seconds: 5 });
  assert.deepStrictEqual(await users('lag_by_user'), ['bob', 'cat', 'dan']);
  await put(4, 'eve');
  assert.deepStrictEqual(await users('lag_by_user'), ['bob', 'cat', 'dan', 'eve'], 'at once again');

  // The rule's own checks.
  r = await emu.json('POST', '/_emu/faults', { service: 'sts', index_lag_ms: 10 });
  assert.strictEqual(r.status, 400);
  assert.match(JSON.stringify(r.body), /index_lag_ms delays Tablestore global indexes/);
  r = await emu.json('POST', '/_emu/faults', { service: 'ots', index_lag_ms: -1 });
  assert.strictEqual(r.status, 400);
});
