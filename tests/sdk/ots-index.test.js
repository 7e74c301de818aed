'use strict';
// Tablestore secondary indexes through the unmodified `tablestore` npm
// package: its own test/globalIndex.test.js (run in this process by
// tests/support/mocha.js, configured only through the environment its
// samples/client.js reads),
// its index samples, then the semantics: the index key layout (index keys,
// then the table's PK), maintenance by PutRow / UpdateRow / DeleteRow /
// BatchWriteRow and TTL expiry, sparse rows, include_base_data, reads by GetRow /
// GetRange / BatchGetRow on the index name, the service's limits and
// errors, and indexes surviving a checkpoint restore and a world reload.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, reloaded, tmpdir, SRC } = require('../support/emu');
const mocha = require('../support/mocha');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const PKG = path.dirname(require.resolve('tablestore/package.json'));
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const toNum = (v) => (v && typeof v.toNumber === 'function' ? v.toNumber() : v);
const keyOf = (row) => row.primaryKey.map((c) => [c.name, toNum(c.value)]);
const attrsOf = (row) => Object.fromEntries((row.attributes || []).map((a) => [a.columnName, toNum(a.columnValue)]));

// Runs one of the SDK's samples in this process (they require
// samples/client.js, which reads the environment once) and collects what
// it prints until `lines` results ("success:" / "error:") are out.
async function sample(file, lines) {
  const out = [];
  const log = console.log;
  let wake;
  console.log = (...a) => { out.push(a.join(' ')); if (wake) wake(); };
  try {
    require(path.join(PKG, 'samples', file));
    const until = Date.now() + 20000;
    while (out.filter((l) => /^(success|error):/.test(l)).length < lines && Date.now() < until) {
      await new Promise((r) => { wake = r; setTimeout(r, 50); });
    }
  } finally {
    console.log = log;
  }
  return out.join('\n');
}

async function rejects(p, status, code, text) {
  await assert.rejects(p, (e) => {
    assert.strictEqual(e.code, status, e.message);
    assert.ok(e.message.includes(code), `${code} in ${JSON.stringify(e.message)}`);
    if (text) assert.ok(e.message.includes(text), `${text} in ${JSON.stringify(e.message)}`);
    return true;
  });
}

test('Tablestore secondary indexes through the official Node SDK', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const env = {
    accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a',
    endpoint: emu.base, instancename: 'cap1',
  };
  const c = new TableStore.Client({ ...env, maxRetries: 0 });

  // samples/client.js (used by the SDK's tests and samples) reads these.
  Object.assign(process.env, env);

  await t.test('the SDK\'s own test/globalIndex.test.js passes unmodified', async () => {
    const r = await mocha.run([path.join(PKG, 'test/globalIndex.test.js')]);
    assert.deepStrictEqual([r.pass, r.fail], [8, 0], r.lines.join('\n'));
  });

  await t.test('the SDK\'s index samples run', async () => {
    let r = await sample('createTableWithGlobalIndex.js', 1);
    assert.match(r, /^success:/m, r);
    r = await sample('createGlobalIndex.js', 2);
    assert.strictEqual((r.match(/^success:/gm) || []).length, 2, r);
    // getRowByGlobalIndex.js reads index "index1" keyed (pk2, pk1).
    await c.putRow({ tableName: 'sdkGlobalTest', condition: IGNORE(), primaryKey: [{ pk1: Long.fromNumber(1) }, { pk2: Long.fromNumber(2) }], attributeColumns: [{ col1: Long.fromNumber(7) }] });
    await c.createIndex({ mainTableName: 'sdkGlobalTest', includeBaseData: true, indexMeta: { name: 'index1', primaryKey: ['pk2'], definedColumn: ['col1'] } });
    r = await sample('getRowByGlobalIndex.js', 1);
    assert.match(r, /^success:/m, r);
    const got = JSON.parse(r.replace(/^success:/, ''));
    assert.deepStrictEqual(got.row.primaryKey.map((p) => p.name), ['pk2', 'pk1']);
    r = await sample('deleteGlobalIndex.js', 1);
    assert.match(r, /^success:/m, r);
    const d = await c.describeTable({ tableName: 'sdkGlobalTest' });
    assert.deepStrictEqual(d.indexMetas.map((m) => m.name), ['sdkIndex2', 'noBase', 'hasBase', 'index1']);
    await c.deleteTable({ tableName: 'sdkGlobalTest' });
    const l = await c.listTable({});
    assert.ok(!l.tableNames.includes('index1'), 'the indexes went with their table');
    await rejects(c.getRow({ tableName: 'index1', primaryKey: [{ pk2: Long.fromNumber(2) }, { pk1: Long.fromNumber(1) }] }), 404, 'OTSObjectNotExist');
  });

  const T = 'orders';
  const pk = (shop, id) => [{ shop }, { id: Long.fromNumber(id) }];
  await t.test('key layout and maintenance on every write path', async () => {
    await c.createTable({
      tableMeta: {
        tableName: T, primaryKey: [{ name: 'shop', type: 'STRING' }, { name: 'id', type: 'INTEGER' }],
        definedColumn: [{ name: 'user', type: TableStore.DefinedColumnType.DCT_STRING }, { name: 'amount', type: TableStore.DefinedColumnType.DCT_INTEGER }, { name: 'note', type: TableStore.DefinedColumnType.DCT_STRING }],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
      indexMetas: [{ name: 'by_user', primaryKey: ['user'], definedColumn: ['amount'] }],
    });
    const l = await c.listTable({});
    assert.ok(l.tableNames.includes(T) && !l.tableNames.includes('by_user'), 'ListTable hides index tables');
    await c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s1', 1), attributeColumns: [{ user: 'bob' }, { amount: Long.fromNumber(10) }, { note: 'x' }] });
    await c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s1', 2), attributeColumns: [{ user: 'amy' }, { amount: Long.fromNumber(20) }] });
    await c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s2', 1), attributeColumns: [{ note: 'no user: not indexed' }] });
    await c.batchWriteRow({ tables: [{ tableName: T, rows: [
      { type: 'PUT', condition: IGNORE(), primaryKey: pk('s2', 2), attributeColumns: [{ user: 'bob' }, { amount: Long.fromNumber(5) }] },
      { type: 'UPDATE', condition: IGNORE(), primaryKey: pk('s1', 2), attributeColumns: [{ PUT: [{ user: 'cat' }] }] },
    ] }] });
    const scan = async () => {
      const r = await c.getRange({
        tableName: 'by_user', direction: TableStore.Direction.FORWARD, maxVersions: 1,
        inclusiveStartPrimaryKey: [{ user: TableStore.INF_MIN }, { shop: TableStore.INF_MIN }, { id: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ user: TableStore.INF_MAX }, { shop: TableStore.INF_MAX }, { id: TableStore.INF_MAX }],
      });
      return r.rows.map((row) => [...keyOf(row).map((k) => k[1]), attrsOf(row).amount]);
    };
    assert.deepStrictEqual(await scan(), [['bob', 's1', 1, 10], ['bob', 's2', 2, 5], ['cat', 's1', 2, 20]]);
    const g = await c.getRow({ tableName: 'by_user', primaryKey: [{ user: 'bob' }, { shop: 's1' }, { id: Long.fromNumber(1) }], maxVersions: 1 });
    assert.deepStrictEqual(keyOf(g.row), [['user', 'bob'], ['shop', 's1'], ['id', 1]]);
    assert.deepStrictEqual(attrsOf(g.row), { amount: 10 }, 'only the index\'s attribute columns');
    // UpdateRow moving the key, deleting the key column, DeleteRow, BatchWriteRow DELETE.
    await c.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s1', 1), updateOfAttributeColumns: [{ PUT: [{ user: 'dan' }, { amount: Long.fromNumber(11) }] }] });
    await c.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s2', 2), updateOfAttributeColumns: [{ DELETE_ALL: ['user'] }] });
    await c.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s1', 2) });
    assert.deepStrictEqual(await scan(), [['dan', 's1', 1, 11]]);
    await c.batchWriteRow({ tables: [{ tableName: T, rows: [{ type: 'DELETE', condition: IGNORE(), primaryKey: pk('s1', 1) }] }] });
    assert.deepStrictEqual(await scan(), []);
    // BatchGetRow on the index name.
    await c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s3', 3), attributeColumns: [{ user: 'eve' }, { amount: Long.fromNumber(3) }] });
    const b = await c.batchGetRow({ tables: [{ tableName: 'by_user', maxVersions: 1, primaryKey: [
      [{ user: 'eve' }, { shop: 's3' }, { id: Long.fromNumber(3) }], [{ user: 'zed' }, { shop: 's3' }, { id: Long.fromNumber(3) }]] }] });
    assert.strictEqual(b.tables[0][0].isOk, true);
    assert.deepStrictEqual(attrsOf(b.tables[0][0]), { amount: 3 });
    assert.ok(b.tables[0][1].isOk && !b.tables[0][1].primaryKey, 'absent in the index');
  });

  await t.test('include_base_data, limits and errors', async () => {
    await c.createIndex({ mainTableName: T, includeBaseData: false, indexMeta: { name: 'by_amount_new', primaryKey: ['amount'] } });
    await c.createIndex({ mainTableName: T, includeBaseData: true, indexMeta: { name: 'by_amount_all', primaryKey: ['amount'], definedColumn: ['user'] } });
    const range = (name) => c.getRange({
      tableName: name, direction: TableStore.Direction.FORWARD, maxVersions: 1,
      inclusiveStartPrimaryKey: [{ amount: TableStore.INF_MIN }, { shop: TableStore.INF_MIN }, { id: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ amount: TableStore.INF_MAX }, { shop: TableStore.INF_MAX }, { id: TableStore.INF_MAX }],
    });
    assert.strictEqual((await range('by_amount_new')).rows.length, 0, 'without base data: empty');
    assert.deepStrictEqual((await range('by_amount_all')).rows.map(keyOf),
      [[['amount', 3], ['shop', 's3'], ['id', 3]], [['amount', 5], ['shop', 's2'], ['id', 2]]]);
    const d = await c.describeTable({ tableName: T });
    assert.deepStrictEqual(d.indexMetas.map((m) => [m.name, m.primaryKey, m.definedColumn]),
      [['by_user', ['user'], ['amount']], ['by_amount_new', ['amount'], []], ['by_amount_all', ['amount'], ['user']]]);
    assert.strictEqual(d.indexMetas[0].indexType, TableStore.IndexType.IT_GLOBAL_INDEX);
    // Texts from the Java SDK's functiontest/SecondaryIndexTest.java.
    await rejects(c.createIndex({ mainTableName: T, indexMeta: { name: 'i9', primaryKey: [] } }),
      400, 'OTSParameterInvalid', 'The number of primary key columns must be in range: [1, 4] in index.');
    await rejects(c.createIndex({ mainTableName: T, indexMeta: { name: 'i9', primaryKey: ['user', 'amount', 'note', 'shop', 'id'] } }),
      400, 'OTSParameterInvalid', 'The number of primary key columns must be in range: [1, 4] in index.');
    await c.createIndex({ mainTableName: T, indexMeta: { name: 'i4', primaryKey: ['note'] } });
    await c.createIndex({ mainTableName: T, indexMeta: { name: 'i5', primaryKey: ['id'] } });
    await rejects(c.createIndex({ mainTableName: T, indexMeta: { name: 'i6', primaryKey: ['user'] } }),
      400, 'OTSParameterInvalid', 'Number of index per table exceeds the quota:5.');
    await rejects(c.createIndex({ mainTableName: 'nosuch', indexMeta: { name: 'i7', primaryKey: ['a'] } }),
      404, 'OTSObjectNotExist', 'Requested table does not exist.');
    await rejects(c.dropIndex({ mainTableName: 'nosuch', indexName: 'i4' }),
      404, 'OTSObjectNotExist', 'Requested table does not exist.');
    await rejects(c.dropIndex({ mainTableName: T, indexName: 'nosuch' }), 404, 'OTSObjectNotExist');
    await rejects(c.createIndex({ mainTableName: T, indexMeta: { name: 'i4', primaryKey: ['user'] } }), 400, 'OTSParameterInvalid');
    await c.dropIndex({ mainTableName: T, indexName: 'i4' });
    await rejects(c.createIndex({ mainTableName: T, indexMeta: { name: 'i4', primaryKey: ['nosuchcol'] } }), 400, 'OTSParameterInvalid', 'nosuchcol');
    await rejects(c.createIndex({ mainTableName: T, indexMeta: { name: 'vehicle_track', primaryKey: ['user'] } }),
      409, 'OTSObjectAlreadyExist', 'Requested table already exists.');
    await rejects(c.putRow({ tableName: 'by_user', condition: IGNORE(), primaryKey: [{ user: 'x' }, { shop: 'y' }, { id: Long.fromNumber(1) }], attributeColumns: [{ amount: Long.fromNumber(1) }] }),
      400, 'OTSParameterInvalid', 'cannot be written directly');
    await rejects(c.deleteTable({ tableName: 'by_user' }), 400, 'OTSParameterInvalid', 'DropIndex');
    // Authorized per operation: a RAM user with AliyunOTSReadOnlyAccess reads
    // the index but may not create or drop one.
    const ro = new TableStore.Client({ ...env, accessKeyId: 'LTAIemuOtsReaderA12345', secretAccessKey: 'emu-secret-ots-reader', maxRetries: 0 });
    await rejects(ro.createIndex({ mainTableName: T, indexMeta: { name: 'i8', primaryKey: ['user'] } }), 403, 'OTSNoPermissionAccess');
    await rejects(ro.dropIndex({ mainTableName: T, indexName: 'by_user' }), 403, 'OTSNoPermissionAccess');
    const g = await ro.getRow({ tableName: 'by_user', primaryKey: [{ user: 'eve' }, { shop: 's3' }, { id: Long.fromNumber(3) }], maxVersions: 1 });
    assert.deepStrictEqual(attrsOf(g.row), { amount: 3 });
  });

  await t.test('index rows expire with their base row (TimeToLive)', async () => {
    const meta = (allowUpdate) => ({
      tableMeta: { tableName: 'ttl_t', primaryKey: [{ name: 'id', type: 'INTEGER' }], definedColumn: [{ name: 'k', type: TableStore.DefinedColumnType.DCT_STRING }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: 3600, maxVersions: 1, allowUpdate },
      indexMetas: [{ name: 'ttl_by_k', primaryKey: ['k'] }],
    });
    await rejects(c.createTable(meta(true)), 400, 'OTSParameterInvalid', 'allow_update');
    assert.ok(!(await c.listTable({})).tableNames.includes('ttl_t'), 'a refused index leaves no table');
    await c.createTable(meta(false));
    const key = (k) => [{ k }, { id: Long.fromNumber(1) }];
    const all = async () => (await c.getRange({
      tableName: 'ttl_by_k', direction: TableStore.Direction.FORWARD, maxVersions: 1,
      inclusiveStartPrimaryKey: [{ k: TableStore.INF_MIN }, { id: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }, { id: TableStore.INF_MAX }],
    })).rows.map((row) => keyOf(row)[0][1]);
    await c.putRow({ tableName: 'ttl_t', condition: IGNORE(), primaryKey: [{ id: Long.fromNumber(1) }], attributeColumns: [{ k: 'old' }] });
    assert.ok((await c.getRow({ tableName: 'ttl_by_k', primaryKey: key('old'), maxVersions: 1 })).row.primaryKey);
    await emu.json('POST', '/_emu/clock', { advance_seconds: 7200 });
    assert.ok(!(await c.getRow({ tableName: 'ttl_by_k', primaryKey: key('old'), maxVersions: 1 })).row.primaryKey, 'expired with the base row');
    assert.deepStrictEqual(await all(), []);
    await c.putRow({ tableName: 'ttl_t', condition: IGNORE(), primaryKey: [{ id: Long.fromNumber(1) }], attributeColumns: [{ k: 'new' }] });
    assert.deepStrictEqual(await all(), ['new'], 'the expired row\'s old key does not come back');
    await c.deleteTable({ tableName: 'ttl_t' });
  });

  await t.test('indexes survive a checkpoint restore and a world reload', async () => {
    // Copy-on-write checkpoints share the index tables too: a key moved and
    // a row added after the checkpoint are undone in the index by a restore.
    const byUser = async () => (await c.getRange({
      tableName: 'by_user', direction: TableStore.Direction.FORWARD, maxVersions: 1,
      inclusiveStartPrimaryKey: [{ user: TableStore.INF_MIN }, { shop: TableStore.INF_MIN }, { id: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ user: TableStore.INF_MAX }, { shop: TableStore.INF_MAX }, { id: TableStore.INF_MAX }],
    })).rows.map((row) => keyOf(row).map((k) => k[1]).join('/'));
    const atCheckpoint = await byUser();
    assert.ok(atCheckpoint.includes('eve/s3/3'), JSON.stringify(atCheckpoint));
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/cow')).status, 200);
    await c.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s3', 3), updateOfAttributeColumns: [{ PUT: [{ user: 'zed' }] }] });
    await c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s9', 9), attributeColumns: [{ user: 'ann' }, { amount: Long.fromNumber(9) }] });
    const changed = await byUser();
    assert.ok(changed.includes('zed/s3/3') && changed.includes('ann/s9/9') && !changed.includes('eve/s3/3'), JSON.stringify(changed));
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/cow/restore')).status, 200);
    assert.deepStrictEqual(await byUser(), atCheckpoint);
    assert.strictEqual((await emu.json('DELETE', '/_emu/checkpoints/cow')).status, 200);
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/idx')).status, 200);
    await c.dropIndex({ mainTableName: T, indexName: 'by_user' });
    await c.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: pk('s3', 3) });
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/idx/restore')).status, 200);
    const g = await c.getRow({ tableName: 'by_user', primaryKey: [{ user: 'eve' }, { shop: 's3' }, { id: Long.fromNumber(3) }], maxVersions: 1 });
    assert.deepStrictEqual(attrsOf(g.row), { amount: 3 });
    const world = (await emu.json('GET', '/_emu/world')).body;
    // --data-dir: an index created with the base data survives SIGKILL.
    const dir = path.join(tmpdir(), 'data');
    let e3 = await start({ world: WORLD, args: ['--data-dir', dir] });
    let c3 = new TableStore.Client({ ...env, endpoint: e3.base, maxRetries: 0 });
    await c3.createTable({
      tableMeta: { tableName: 'kept', primaryKey: [{ name: 'id', type: 'INTEGER' }], definedColumn: [{ name: 'k', type: TableStore.DefinedColumnType.DCT_STRING }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    await c3.putRow({ tableName: 'kept', condition: IGNORE(), primaryKey: [{ id: Long.fromNumber(1) }], attributeColumns: [{ k: 'before' }] });
    await c3.createIndex({ mainTableName: 'kept', includeBaseData: true, indexMeta: { name: 'kept_by_k', primaryKey: ['k'] } });
    await c3.putRow({ tableName: 'kept', condition: IGNORE(), primaryKey: [{ id: Long.fromNumber(2) }], attributeColumns: [{ k: 'after' }] });
    const dead = new Promise((resolve) => e3.child.once('exit', resolve));
    e3.child.kill('SIGKILL');
    await dead;
    e3 = await start({ world: WORLD, args: ['--data-dir', dir] });
    c3 = new TableStore.Client({ ...env, endpoint: e3.base, maxRetries: 0 });
    const r3 = await c3.getRange({
      tableName: 'kept_by_k', direction: TableStore.Direction.FORWARD, maxVersions: 1,
      inclusiveStartPrimaryKey: [{ k: TableStore.INF_MIN }, { id: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }, { id: TableStore.INF_MAX }],
    });
    assert.deepStrictEqual(r3.rows.map((row) => keyOf(row)[0][1]), ['after', 'before']);
    await e3.stop();
    await reloaded(emu, world, async (emu2) => {
      const c2 = new TableStore.Client({ ...env, endpoint: emu2.base, maxRetries: 0 });
      const d = await c2.describeTable({ tableName: T });
      assert.strictEqual(d.indexMetas.length, 4);
      const g2 = await c2.getRow({ tableName: 'by_user', primaryKey: [{ user: 'eve' }, { shop: 's3' }, { id: Long.fromNumber(3) }], maxVersions: 1 });
      assert.deepStrictEqual(attrsOf(g2.row), { amount: 3 }, 'rebuilt from the base rows');
    });
  });
});
