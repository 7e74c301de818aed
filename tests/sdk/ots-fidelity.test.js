'use strict';
// Error texts of the Tablestore data plane checked against what the
// official SDKs' own test suites assert the real service answers. Each case
// names its source; acsemu's texts must match them byte for byte (the
// Python SDK compares messages with ==). Sources:
//   PY-ROW   aliyun-tablestore-python-sdk tests/row_op_test.py
//   PY-TABLE aliyun-tablestore-python-sdk tests/table_operation_test.py
//   J-PARAM  aliyun-tablestore-java-sdk functiontest/ParameterLegalityTest.java
//   J-BULK   aliyun-tablestore-java-sdk functiontest (BulkImport, INVALID_PK)
//   J-RANGE  aliyun-tablestore-java-sdk functiontest (GetRange begin/end)
//   J-LIMIT  aliyun-tablestore-java-sdk functiontest/RestrictedItemTest.java
//   ISSUE18  observed on the service, text inferred (acsemu issue 18)
// The Node SDK puts the raw Error body into err.message, so the test pulls
// the message text out of it and compares it whole.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, logged, SRC } = require('../support/emu');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const EXIST = () => new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, null);

// The protobuf Error body in the Node SDK's message: 0x0a len code 0x12 len text.
function parseError(e) {
  const m = Buffer.from(e.message.replace(/ requestId:.*$/s, ''), 'latin1');
  const out = {};
  let i = 0;
  while (i < m.length) {
    const f = m[i] >> 3;
    let n = 0, s = 0, b;
    i++;
    do { b = m[i++]; n |= (b & 0x7f) << s; s += 7; } while (b & 0x80);
    const v = Buffer.from(m.subarray(i, i + n).toString('latin1'), 'latin1').toString();
    i += n;
    if (f === 1) out.code = v;
    if (f === 2) out.message = v;
  }
  return out;
}

async function exact(p, status, code, text, source) {
  await assert.rejects(p, (e) => {
    const got = parseError(e);
    assert.strictEqual(e.code, status, `${source}: ${e.message}`);
    assert.strictEqual(got.code, code, source);
    assert.strictEqual(got.message, text, source);
    return true;
  });
}

test('Tablestore error texts match the official SDKs\' tests', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const c = new TableStore.Client({
    accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a',
    endpoint: emu.base, instancename: 'cap1', maxRetries: 0,
  });
  const T = 'fidelity';
  await c.createTable({
    tableMeta: { tableName: T, primaryKey: [{ name: 'PK0', type: 'INTEGER' }, { name: 'PK1', type: 'STRING' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  const pk = (a, b) => [{ PK0: Long.fromNumber(a) }, { PK1: b }];

  await t.test('primary-key checks', async () => {
    await exact(c.getRow({ tableName: T, primaryKey: [{ PK0: 'x' }, { PK1: 'y' }], maxVersions: 1 }),
      400, 'OTSInvalidPK', 'Validate PK type fail. Input: VT_STRING, Meta: VT_INTEGER.', 'J-BULK');
    await exact(c.putRow({ tableName: T, condition: IGNORE(), primaryKey: [{ PK0: Long.fromNumber(1) }, { PK1: Buffer.from('b') }], attributeColumns: [{ a: 1 }] }),
      400, 'OTSInvalidPK', 'Validate PK type fail. Input: VT_BLOB, Meta: VT_STRING.', 'J-PARAM');
    await exact(c.getRow({ tableName: T, primaryKey: [{ PK1: 'y' }, { PK0: Long.fromNumber(1) }], maxVersions: 1 }),
      400, 'OTSInvalidPK', 'Validate PK name fail. Input: PK1, Meta: PK0.', 'PY-ROW');
    await exact(c.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: [{ PK0: Long.fromNumber(1) }] }),
      400, 'OTSInvalidPK', 'Validate PK size fail. Input: 1, Meta: 2.', 'PY-ROW');
    await exact(c.putRow({ tableName: T, condition: IGNORE(), primaryKey: [{ PK0: TableStore.INF_MIN }, { PK1: 'a' }], attributeColumns: [{ a: 1 }] }),
      400, 'OTSParameterInvalid', 'VT_INF_MIN is an invalid type for the primary key.', 'J-PARAM');
    await exact(c.getRow({ tableName: T, primaryKey: [{ PK0: TableStore.INF_MAX }, { PK1: 'a' }], maxVersions: 1 }),
      400, 'OTSParameterInvalid', 'VT_INF_MAX is an invalid type for the primary key.', 'J-PARAM');
    await exact(c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk(1, 'x'.repeat(1025)), attributeColumns: [{ a: 1 }] }),
      400, 'OTSParameterInvalid', "The length of primary key column: 'PK1' exceeds the MaxLength:1024 with CurrentLength:1025.", 'J-PARAM');
    // The access log carries the code the client got, not an internal one.
    await logged(emu, /ERR OTSParameterInvalid \S+ ots PutRow /);
    assert.doesNotMatch(emu.stderr, /ERR E_[A-Z_]+ /);
  });

  await t.test('attribute columns', async () => {
    await exact(c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk(1, 'a'), attributeColumns: [{ attr: 'x'.repeat(2 * 1024 * 1024 + 1) }] }),
      400, 'OTSParameterInvalid', "The length of attribute column: 'attr' exceeds the MaxLength:2097152 with CurrentLength:2097153.", 'J-PARAM');
    await exact(c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk(1, 'a'), attributeColumns: [{ PK1: 'shadow' }] }),
      400, 'OTSParameterInvalid', 'Duplicated attribute column name with primary key column: PK1.', 'ISSUE18');
    await exact(c.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk(1, 'a'), updateOfAttributeColumns: [{ PUT: [{ PK0: Long.fromNumber(3) }] }] }),
      400, 'OTSParameterInvalid', 'Duplicated attribute column name with primary key column: PK0.', 'ISSUE18');
    const g = await c.getRow({ tableName: T, primaryKey: pk(1, 'a'), maxVersions: 1 });
    assert.strictEqual(g.row.primaryKey, undefined, 'the refused writes left nothing');
  });

  await t.test('deletes alone do not create a row; a PutRow row outlives its columns (PY-ROW)', async () => {
    const del = (k, cols) => c.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk(k, 'd'),
      updateOfAttributeColumns: [{ DELETE_ALL: cols }] });
    const has = async (k) => (await c.getRow({ tableName: T, primaryKey: pk(k, 'd'), maxVersions: 1 })).row.primaryKey !== undefined;
    await del(70, ['Col0']); // test_one_delete_in_update
    await del(71, Array.from({ length: 128 }, (_, i) => `Col${i}`)); // test_all_delete_in_update
    assert.deepStrictEqual([await has(70), await has(71)], [false, false]);
    await c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk(72, 'd'), attributeColumns: [{ Col0: 'x' }] });
    await del(72, ['Col0']);
    assert.strictEqual(await has(72), true, 'only DeleteRow removes a written row');
  });

  await t.test('reserved throughput is kept: CreateTable, UpdateTable, DescribeTable, the world (PY-TABLE)', async () => {
    const R = 'cu_kept';
    await c.createTable({
      tableMeta: { tableName: R, primaryKey: [{ name: 'PK0', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 1, write: 2 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const cu = async () => {
      const d = (await c.describeTable({ tableName: R })).reservedThroughputDetails;
      const t = d.lastDecreaseTime;
      return [d.capacityUnit.read, d.capacityUnit.write, Number(t && t.toNumber ? t.toNumber() : t || 0) > 0];
    };
    assert.deepStrictEqual(await cu(), [1, 2, false]);
    const u = await c.updateTable({ tableName: R, reservedThroughput: { capacityUnit: { read: 3, write: 2 } }, tableOptions: {} });
    assert.deepStrictEqual([u.reservedThroughputDetails.capacityUnit.read, u.reservedThroughputDetails.capacityUnit.write], [3, 2]);
    await c.updateTable({ tableName: R, reservedThroughput: { capacityUnit: { read: 3, write: 0 } }, tableOptions: {} });
    assert.deepStrictEqual(await cu(), [3, 0, true]);
    const w = await emu.json('GET', '/_emu/world');
    const saved = JSON.stringify(w.body).match(/"TableName":"cu_kept"[^]*?"ReservedThroughput":(\{[^}]*\})/);
    assert.ok(saved, 'the world keeps it');
    assert.deepStrictEqual(JSON.parse(saved[1]), { Read: 3, Write: 0 });
    await exact(c.updateTable({ tableName: R, reservedThroughput: { capacityUnit: { read: -1, write: 0 } }, tableOptions: {} }),
      400, 'OTSParameterInvalid', 'The reserved read and write capacity units must be between 0 and 100000.', 'inferred');
    await c.deleteTable({ tableName: R });
  });

  await t.test('limits of one write: columns per row, rows per batch (J-LIMIT)', async () => {
    const cols = Array.from({ length: 1025 }, (_, i) => ({ [`attr_${i}`]: Long.fromNumber(i) }));
    const TOO_MANY = 'The number of attribute columns exceeds the limit, limit count: 1024, column count: 1025.';
    await exact(c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk(80, 'l'), attributeColumns: cols }),
      400, 'OTSParameterInvalid', TOO_MANY, 'J-LIMIT');
    await exact(c.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk(80, 'l'),
      updateOfAttributeColumns: [{ DELETE_ALL: cols.map((x) => Object.keys(x)[0]) }] }), 400, 'OTSParameterInvalid', TOO_MANY, 'J-LIMIT');
    // in a batch the whole request fails, not that row
    await exact(c.batchWriteRow({ tables: [{ tableName: T, rows: [
      { type: 'PUT', condition: IGNORE(), primaryKey: pk(81, 'l'), attributeColumns: [{ a: 1 }] },
      { type: 'PUT', condition: IGNORE(), primaryKey: pk(80, 'l'), attributeColumns: cols }] }] }),
    400, 'OTSParameterInvalid', TOO_MANY, 'J-LIMIT');
    const g = await c.getRow({ tableName: T, primaryKey: pk(81, 'l'), maxVersions: 1 });
    assert.strictEqual(g.row.primaryKey, undefined, 'nothing of the refused batch was written');
    const rows = Array.from({ length: 201 }, (_, i) => ({ type: 'PUT', condition: IGNORE(), primaryKey: pk(1000 + i, 'l'), attributeColumns: [{ a: 1 }] }));
    await exact(c.batchWriteRow({ tables: [{ tableName: T, rows }] }), 400, 'OTSParameterInvalid',
      'Rows count exceeds the upper limit: 200.', 'J-LIMIT');
  });

  await t.test('conditions, ranges, batches, tables', async () => {
    await exact(c.updateRow({ tableName: T, condition: EXIST(), primaryKey: pk(9, 'none'), updateOfAttributeColumns: [{ PUT: [{ Col0: 'XXXX' }] }] }),
      403, 'OTSConditionCheckFail', 'Condition check failed.', 'PY-ROW');
    await exact(c.getRange({
      tableName: T, direction: TableStore.Direction.FORWARD, maxVersions: 1,
      inclusiveStartPrimaryKey: pk(90, 'a'), exclusiveEndPrimaryKey: pk(10, 'a'),
    }), 400, 'OTSParameterInvalid', 'Begin key must less than end key in FORWARD', 'PY-ROW, J-RANGE');
    await exact(c.getRange({
      tableName: T, direction: TableStore.Direction.BACKWARD, maxVersions: 1,
      inclusiveStartPrimaryKey: pk(10, 'a'), exclusiveEndPrimaryKey: pk(90, 'a'),
    }), 400, 'OTSParameterInvalid', 'Begin key must more than end key in BACKWARD', 'PY-ROW');
    // a table entry without rows is answered with none; no table at all is the error
    // (the Python SDK's own row_op_test: test_no_item_in_batch_ops, test_no_table_in_batch_ops)
    const empty = await c.batchGetRow({ tables: [{ tableName: T, primaryKey: [], maxVersions: 1 }] });
    assert.deepStrictEqual(empty.tables, [[]]);
    await exact(c.batchGetRow({ tables: [] }),
      400, 'OTSParameterInvalid', 'No row specified in the request of BatchGetRow.', 'PY-ROW');
    await exact(c.describeTable({ tableName: 'nosuch' }),
      404, 'OTSObjectNotExist', 'Requested table does not exist.', 'PY-TABLE');
    await exact(c.createTable({
      tableMeta: { tableName: T, primaryKey: [{ name: 'PK0', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    }), 409, 'OTSObjectAlreadyExist', 'Requested table already exists.', 'PY-TABLE');
    await exact(c.createTable({
      tableMeta: { tableName: 'dup', primaryKey: [{ name: 'PK0', type: 'INTEGER' }, { name: 'PK0', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    }), 400, 'OTSParameterInvalid', "Duplicated primary key name: 'PK0'.", 'PY-TABLE');
  });
});
