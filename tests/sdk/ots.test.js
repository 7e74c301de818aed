'use strict';
// The Tablestore data plane through the unmodified `tablestore` npm package
// (5.6.5, maxRetries 0): every implemented operation, conditions that pass
// and fail, filters, versions and TTL on the virtual clock, batch partial
// failures, paging the seed's 10,000-row vehicle_track in both directions,
// limits, authentication errors, and authorization (a RAM user holding
// AliyunOTSReadOnlyAccess, an STS session of a read-only role, and the root
// of another account).
//
// Node SDK error shape (protocol §5.3): err.code is the HTTP status and
// err.message is the raw protobuf Error body + " requestId:...", so codes
// and texts are matched inside the message.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const RPCClient = require('@alicloud/pop-core');
const { start, SRC } = require('../support/emu');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const EXIST = (cc = null) => new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, cc);
const NOT_EXIST = () => new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null);
const toNum = (v) => (v && typeof v.toNumber === 'function' ? v.toNumber() : v);
const cu = (c) => ({ read: c.capacityUnit.read, write: c.capacityUnit.write });
const cols = (row) => {
  const o = {};
  for (const a of row.attributes || []) if (!(a.columnName in o)) o[a.columnName] = toNum(a.columnValue);
  return o;
};

// Rejects with the Node SDK shape: numeric status + the code and text in the message.
async function rejects(p, status, code, text) {
  await assert.rejects(p, (e) => {
    assert.strictEqual(e.code, status, e.message);
    assert.ok(e.message.includes(code), `${code} in ${JSON.stringify(e.message)}`);
    if (text) assert.ok(e.message.includes(text), `${text} in ${JSON.stringify(e.message)}`);
    return true;
  });
}

test('Tablestore through the official Node SDK', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const mk = (ak, secret, extra = {}) => new TableStore.Client({
    accessKeyId: ak, secretAccessKey: secret, endpoint: emu.base, instancename: 'cap1', maxRetries: 0, ...extra,
  });
  const root = mk('LTAIemuAccountA12345', 'emu-secret-account-a');
  const clock = (body) => emu.json('POST', '/_emu/clock', body);
  const T = 'sdk_ops';
  const pk = (id, seq = 1) => [{ id }, { seq: Long.fromNumber(seq) }];

  await t.test('table operations', async () => {
    await root.createTable({
      tableMeta: { tableName: T, primaryKey: [{ name: 'id', type: 'STRING' }, { name: 'seq', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 3 },
    });
    const l = await root.listTable({});
    assert.deepStrictEqual(l.tableNames, ['vehicle_track', T]);
    let d = await root.describeTable({ tableName: T });
    assert.strictEqual(d.tableMeta.tableName, T);
    assert.deepStrictEqual(d.tableMeta.primaryKey.map((p) => [p.name, p.type]), [['id', 2], ['seq', 1]]);
    assert.strictEqual(d.tableOptions.maxVersions, 3);
    assert.strictEqual(d.tableOptions.timeToLive, -1);
    assert.strictEqual(d.tableStatus, 1);
    const u = await root.updateTable({ tableName: T, tableOptions: { maxVersions: 4 } });
    assert.strictEqual(u.tableOptions.maxVersions, 4);
    d = await root.describeTable({ tableName: T });
    assert.strictEqual(d.tableOptions.maxVersions, 4);
    await root.updateTable({ tableName: T, tableOptions: { maxVersions: 3 } });

    await rejects(root.createTable({
      tableMeta: { tableName: T, primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    }), 409, 'OTSObjectAlreadyExist', 'Requested table already exists.');
    await rejects(root.createTable({
      tableMeta: { tableName: 'bad_ttl', primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: 0, maxVersions: 1 },
    }), 400, 'OTSParameterInvalid', 'TimeToLive cannot be 0 or less than -1.');
    await rejects(root.createTable({
      tableMeta: { tableName: 'dup_pk', primaryKey: [{ name: 'a', type: 'STRING' }, { name: 'a', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    }), 400, 'OTSParameterInvalid', "Duplicated primary key name: 'a'.");
    await rejects(root.describeTable({ tableName: 'nosuch' }), 404, 'OTSObjectNotExist', 'Requested table does not exist.');
    await rejects(root.deleteTable({ tableName: 'nosuch' }), 404, 'OTSObjectNotExist');
    await rejects(root.getRow({ tableName: 'nosuch', primaryKey: pk('a') }), 404, 'OTSObjectNotExist');
  });

  await t.test('PutRow / GetRow with every value type, return content', async () => {
    const r = await root.putRow({
      tableName: T, condition: IGNORE(), primaryKey: pk('types'),
      attributeColumns: [{ s: 'text' }, { i: Long.fromNumber(-42) }, { d: 1.25 }, { b: true }, { bin: Buffer.from([0, 1, 2, 255]) }],
      returnContent: { returnType: TableStore.ReturnType.Primarykey },
    });
    assert.deepStrictEqual(cu(r.consumed), { read: 0, write: 1 });
    assert.deepStrictEqual(r.row.primaryKey.map((c) => [c.name, toNum(c.value)]), [['id', 'types'], ['seq', 1]]);
    const g = await root.getRow({ tableName: T, primaryKey: pk('types'), maxVersions: 1 });
    const c = cols(g.row);
    assert.strictEqual(c.s, 'text');
    assert.strictEqual(c.i, -42);
    assert.strictEqual(c.d, 1.25);
    assert.strictEqual(c.b, true);
    assert.deepStrictEqual(Buffer.from(c.bin), Buffer.from([0, 1, 2, 255]));
    assert.ok(g.row.attributes.every((a) => toNum(a.timestamp) > 0), 'every cell carries its timestamp');
    assert.deepStrictEqual(g.row.attributes.map((a) => a.columnName), ['b', 'bin', 'd', 'i', 's']);
    assert.ok(g.consumed.capacityUnit.read >= 1);
    const cg = await root.getRow({ tableName: T, primaryKey: pk('types'), columnsToGet: ['s', 'd'], maxVersions: 1 });
    assert.deepStrictEqual(cg.row.attributes.map((a) => a.columnName), ['d', 's']);
    const none = await root.getRow({ tableName: T, primaryKey: pk('types'), columnsToGet: ['zzz'], maxVersions: 1 });
    assert.strictEqual(none.row.primaryKey, undefined, 'no requested column: treated as absent');
    // PutRow replaces the whole row.
    await root.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('types'), attributeColumns: [{ only: 'one' }] });
    const g2 = await root.getRow({ tableName: T, primaryKey: pk('types'), maxVersions: 1 });
    assert.deepStrictEqual(Object.keys(cols(g2.row)), ['only']);
  });

  await t.test('row existence and column conditions pass and fail', async () => {
    await root.putRow({ tableName: T, condition: NOT_EXIST(), primaryKey: pk('cond'), attributeColumns: [{ n: Long.fromNumber(5) }, { s: 'x' }] });
    await rejects(root.putRow({ tableName: T, condition: NOT_EXIST(), primaryKey: pk('cond'), attributeColumns: [{ n: Long.fromNumber(6) }] }),
      403, 'OTSConditionCheckFail', 'Condition check failed.');
    await rejects(root.putRow({ tableName: T, condition: EXIST(), primaryKey: pk('absent'), attributeColumns: [{ n: Long.fromNumber(6) }] }),
      403, 'OTSConditionCheckFail');
    const ok = await root.putRow({ tableName: T, condition: EXIST(), primaryKey: pk('cond'), attributeColumns: [{ n: Long.fromNumber(7) }, { s: 'x' }] });
    assert.deepStrictEqual(cu(ok.consumed), { read: 1, write: 1 });
    const eq7 = new TableStore.SingleColumnCondition('n', Long.fromNumber(7), TableStore.ComparatorType.EQUAL);
    const eq8 = new TableStore.SingleColumnCondition('n', Long.fromNumber(8), TableStore.ComparatorType.EQUAL);
    await root.updateRow({ tableName: T, condition: EXIST(eq7), primaryKey: pk('cond'), updateOfAttributeColumns: [{ PUT: [{ m: 'seen' }] }] });
    await rejects(root.updateRow({ tableName: T, condition: EXIST(eq8), primaryKey: pk('cond'), updateOfAttributeColumns: [{ PUT: [{ m: 'no' }] }] }),
      403, 'OTSConditionCheckFail');
    await rejects(root.deleteRow({ tableName: T, condition: EXIST(), primaryKey: pk('absent') }), 403, 'OTSConditionCheckFail');
    const g = await root.getRow({ tableName: T, primaryKey: pk('cond'), maxVersions: 1 });
    assert.deepStrictEqual(cols(g.row), { m: 'seen', n: 7, s: 'x' });
  });

  await t.test('UpdateRow: PUT, DELETE one version, DELETE_ALL, INCREMENT, row survives without columns', async () => {
    const now = Date.now();
    await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('upd'),
      updateOfAttributeColumns: [{ PUT: [{ a: 'v1', timestamp: now - 3000 }, { keep: 'k' }] }] });
    await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('upd'),
      updateOfAttributeColumns: [{ PUT: [{ a: 'v2', timestamp: now - 2000 }] }] });
    let g = await root.getRow({ tableName: T, primaryKey: pk('upd'), maxVersions: 3, columnsToGet: ['a'] });
    assert.deepStrictEqual(g.row.attributes.map((a) => a.columnValue), ['v2', 'v1']);
    await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('upd'),
      updateOfAttributeColumns: [{ DELETE: [{ a: Long.fromNumber(now - 2000) }] }] });
    g = await root.getRow({ tableName: T, primaryKey: pk('upd'), maxVersions: 3, columnsToGet: ['a'] });
    assert.deepStrictEqual(g.row.attributes.map((a) => a.columnValue), ['v1']);
    const inc = await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('upd'),
      updateOfAttributeColumns: [{ INCREMENT: [{ cnt: Long.fromNumber(5) }] }],
      returnContent: { returnType: TableStore.ReturnType.AfterModify, returnColumns: ['cnt'] } });
    assert.strictEqual(toNum(inc.row.attributes[0].columnValue), 5);
    const inc2 = await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('upd'),
      updateOfAttributeColumns: [{ INCREMENT: [{ cnt: Long.fromNumber(-2) }] }],
      returnContent: { returnType: TableStore.ReturnType.AfterModify, returnColumns: ['cnt'] } });
    assert.strictEqual(toNum(inc2.row.attributes[0].columnValue), 3);
    await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('upd'),
      updateOfAttributeColumns: [{ DELETE_ALL: ['a', 'keep', 'cnt'] }] });
    g = await root.getRow({ tableName: T, primaryKey: pk('upd'), maxVersions: 1 });
    assert.deepStrictEqual(g.row.primaryKey.map((c) => toNum(c.value)), ['upd', 1], 'the row still exists');
    assert.deepStrictEqual(g.row.attributes, []);
    await root.deleteRow({ tableName: T, condition: EXIST(), primaryKey: pk('upd') });
    g = await root.getRow({ tableName: T, primaryKey: pk('upd'), maxVersions: 1 });
    assert.strictEqual(g.row.primaryKey, undefined);
  });

  await t.test('primary-key mismatches answer OTSInvalidPK with the service texts', async () => {
    await rejects(root.getRow({ tableName: T, primaryKey: [{ id: 'x' }], maxVersions: 1 }),
      400, 'OTSInvalidPK', 'Validate PK size fail. Input: 1, Meta: 2.');
    await rejects(root.putRow({ tableName: T, condition: IGNORE(), primaryKey: [{ seq: Long.fromNumber(1) }, { id: 'x' }], attributeColumns: [{ a: 1 }] }),
      400, 'OTSInvalidPK', 'Validate PK name fail. Input: seq, Meta: id.');
    await rejects(root.putRow({ tableName: T, condition: IGNORE(), primaryKey: [{ id: Long.fromNumber(1) }, { seq: Long.fromNumber(1) }], attributeColumns: [{ a: 1 }] }),
      400, 'OTSInvalidPK', 'Validate PK type fail. Input: VT_INTEGER, Meta: VT_STRING.');
    await rejects(root.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: [{ id: 'x' }, { seq: 'y' }] }),
      400, 'OTSInvalidPK');
  });

  await t.test('versions: max versions, time range, specific time', async () => {
    const now = Date.now();
    for (let i = 4; i >= 1; i--) {
      await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('ver'),
        updateOfAttributeColumns: [{ PUT: [{ v: Long.fromNumber(i), timestamp: now - i * 1000 }] }] });
    }
    // The table keeps 3 versions: the oldest (v=4) was dropped.
    let g = await root.getRow({ tableName: T, primaryKey: pk('ver'), maxVersions: 10 });
    assert.deepStrictEqual(g.row.attributes.map((a) => toNum(a.columnValue)), [1, 2, 3]);
    assert.deepStrictEqual(g.row.attributes.map((a) => toNum(a.timestamp)), [now - 1000, now - 2000, now - 3000]);
    g = await root.getRow({ tableName: T, primaryKey: pk('ver'), maxVersions: 2 });
    assert.deepStrictEqual(g.row.attributes.map((a) => toNum(a.columnValue)), [1, 2]);
    g = await root.getRow({ tableName: T, primaryKey: pk('ver'), maxVersions: 10,
      timeRange: { startTime: now - 3000, endTime: now - 1000 } });
    assert.deepStrictEqual(g.row.attributes.map((a) => toNum(a.columnValue)), [2, 3]);
    g = await root.getRow({ tableName: T, primaryKey: pk('ver'), maxVersions: 10, timeRange: { specificTime: now - 2000 } });
    assert.deepStrictEqual(g.row.attributes.map((a) => toNum(a.columnValue)), [2]);
    // A timestamp outside the table's version window (deviation 86400 s).
    await rejects(root.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('ver2'),
      attributeColumns: [{ v: 1, timestamp: now - 3 * 86400 * 1000 }] }), 400, 'OTSParameterInvalid', 'Invalid timestamp. Cell:v.');
  });

  await t.test('TTL against the virtual clock', async () => {
    await root.createTable({
      tableMeta: { tableName: 'sdk_ttl', primaryKey: [{ name: 'k', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: 600, maxVersions: 1 },
    });
    await root.putRow({ tableName: 'sdk_ttl', condition: IGNORE(), primaryKey: [{ k: 'a' }], attributeColumns: [{ x: 'old' }] });
    let g = await root.getRow({ tableName: 'sdk_ttl', primaryKey: [{ k: 'a' }], maxVersions: 1 });
    assert.strictEqual(cols(g.row).x, 'old');
    await clock({ advance_seconds: 300 });
    await root.putRow({ tableName: 'sdk_ttl', condition: IGNORE(), primaryKey: [{ k: 'b' }], attributeColumns: [{ x: 'new' }] });
    await clock({ advance_seconds: 400 });
    try {
      g = await root.getRow({ tableName: 'sdk_ttl', primaryKey: [{ k: 'a' }], maxVersions: 1 });
      assert.strictEqual(g.row.primaryKey, undefined, 'expired after 700 s');
      const r = await root.getRange({ tableName: 'sdk_ttl', direction: TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: [{ k: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }], maxVersions: 1 });
      assert.deepStrictEqual(r.rows.map((row) => row.primaryKey[0].value), ['b']);
    } finally {
      await clock({ reset: true });
    }
  });

  await t.test('filters: single column, composite, pass-if-missing, latest version, pagination', async () => {
    for (const [id, n, s] of [['f1', 1, 'a'], ['f2', 2, 'b'], ['f3', 3, null], ['f4', 4, 'd']]) {
      const attrs = [{ n: Long.fromNumber(n) }];
      if (s) attrs.push({ s });
      await root.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk(id), attributeColumns: attrs });
    }
    const range = async (columnFilter, extra = {}) => {
      const r = await root.getRange({ tableName: T, direction: TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: [{ id: 'f' }, { seq: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ id: 'g' }, { seq: TableStore.INF_MIN }], maxVersions: 1, columnFilter, ...extra });
      return r.rows.map((row) => row.primaryKey[0].value);
    };
    const C = TableStore.ComparatorType;
    const gt2 = new TableStore.SingleColumnCondition('n', Long.fromNumber(2), C.GREATER_THAN);
    assert.deepStrictEqual(await range(gt2), ['f3', 'f4']);
    const sEqB = new TableStore.SingleColumnCondition('s', 'b', C.EQUAL, true);
    assert.deepStrictEqual(await range(sEqB), ['f2', 'f3'], 'f3 has no s: passes when passIfMissing');
    const sEqBStrict = new TableStore.SingleColumnCondition('s', 'b', C.EQUAL, false);
    assert.deepStrictEqual(await range(sEqBStrict), ['f2']);
    const and = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
    and.addSubCondition(gt2);
    and.addSubCondition(new TableStore.SingleColumnCondition('s', 'd', C.NOT_EQUAL, false));
    assert.deepStrictEqual(await range(and), []);
    const or = new TableStore.CompositeCondition(TableStore.LogicalOperator.OR);
    or.addSubCondition(new TableStore.SingleColumnCondition('n', Long.fromNumber(1), C.EQUAL));
    or.addSubCondition(new TableStore.SingleColumnCondition('s', 'd', C.EQUAL, false));
    assert.deepStrictEqual(await range(or), ['f1', 'f4']);
    const not = new TableStore.CompositeCondition(TableStore.LogicalOperator.NOT);
    not.addSubCondition(or);
    assert.deepStrictEqual(await range(not), ['f2', 'f3']);
    // Different types never match: n is INTEGER, 2.5 is a DOUBLE.
    assert.deepStrictEqual(await range(new TableStore.SingleColumnCondition('n', 2.5, C.LESS_THAN)), []);

    // latest_version_only: an older version matches only when it is off.
    const now = Date.now();
    await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('f5'),
      updateOfAttributeColumns: [{ PUT: [{ n: Long.fromNumber(100), timestamp: now - 5000 }] }] });
    await root.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk('f5'),
      updateOfAttributeColumns: [{ PUT: [{ n: Long.fromNumber(0), timestamp: now - 1000 }] }] });
    const latest = new TableStore.SingleColumnCondition('n', Long.fromNumber(100), C.EQUAL, false, true);
    const any = new TableStore.SingleColumnCondition('n', Long.fromNumber(100), C.EQUAL, false, false);
    assert.deepStrictEqual(await range(latest, { maxVersions: 3 }), []);
    assert.deepStrictEqual(await range(any, { maxVersions: 3 }), ['f5']);

    // Column pagination on a wide row (GetRow).
    await root.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('wide'),
      attributeColumns: ['c0', 'c1', 'c2', 'c3', 'c4'].map((c) => ({ [c]: c })) });
    const g = await root.getRow({ tableName: T, primaryKey: pk('wide'), maxVersions: 1,
      columnFilter: new TableStore.ColumnPaginationFilter(2, 1) });
    assert.deepStrictEqual(g.row.attributes.map((a) => a.columnName), ['c1', 'c2']);
    // A GetRow filter that fails makes the row absent.
    const miss = await root.getRow({ tableName: T, primaryKey: pk('f1'), maxVersions: 1, columnFilter: gt2 });
    assert.strictEqual(miss.row.primaryKey, undefined);
  });

  await t.test('BatchGetRow and BatchWriteRow with per-row failures', async () => {
    const w = await root.batchWriteRow({ tables: [{ tableName: T, rows: [
      { type: 'PUT', condition: IGNORE(), primaryKey: pk('b1'), attributeColumns: [{ x: 'one' }],
        returnContent: { returnType: TableStore.ReturnType.Primarykey } },
      { type: 'PUT', condition: NOT_EXIST(), primaryKey: pk('cond'), attributeColumns: [{ x: 'clash' }] },
      { type: 'UPDATE', condition: IGNORE(), primaryKey: pk('b2'), attributeColumns: [{ PUT: [{ x: 'two' }] }] },
      { type: 'DELETE', condition: IGNORE(), primaryKey: pk('f1') },
      { type: 'PUT', condition: IGNORE(), primaryKey: [{ id: 'bad' }], attributeColumns: [{ x: 'pk' }] },
    ] }, { tableName: 'nosuch', rows: [
      { type: 'PUT', condition: IGNORE(), primaryKey: pk('z'), attributeColumns: [{ x: 'z' }] },
    ] }] });
    assert.deepStrictEqual(w.tables.map((r) => r.isOk), [true, false, true, true, false, false]);
    assert.deepStrictEqual(w.tables.map((r) => r.errorCode),
      [null, 'OTSConditionCheckFail', null, null, 'OTSInvalidPK', 'OTSObjectNotExist']);
    assert.strictEqual(w.tables[1].errorMessage, 'Condition check failed.');
    assert.deepStrictEqual(w.tables[0].primaryKey.map((c) => toNum(c.value)), ['b1', 1]);

    const g = await root.batchGetRow({ tables: [
      { tableName: T, primaryKey: [pk('b1'), pk('b2'), pk('f1'), pk('cond')], maxVersions: 1 },
      { tableName: 'nosuch', primaryKey: [pk('b1')], maxVersions: 1 },
    ] });
    const [mine, other] = g.tables;
    assert.deepStrictEqual(mine.map((r) => r.isOk), [true, true, true, true]);
    assert.deepStrictEqual(mine.map((r) => r.primaryKey && r.primaryKey[0].value), ['b1', 'b2', null, 'cond']);
    assert.strictEqual(cols(mine[0]).x, 'one');
    assert.strictEqual(cols(mine[3]).s, 'x', 'the failed PUT left the row alone');
    assert.strictEqual(other[0].isOk, false);
    assert.strictEqual(other[0].errorCode, 'OTSObjectNotExist');

    await rejects(root.batchWriteRow({ tables: [{ tableName: T, rows: [] }] }), 400, 'OTSParameterInvalid',
      `No operation is specified for table: '${T}'.`);
    await rejects(root.batchWriteRow({ tables: [
      { tableName: T, rows: [{ type: 'PUT', condition: IGNORE(), primaryKey: pk('d1'), attributeColumns: [{ x: 1 }] }] },
      { tableName: T, rows: [{ type: 'PUT', condition: IGNORE(), primaryKey: pk('d2'), attributeColumns: [{ x: 1 }] }] },
    ] }), 400, 'OTSParameterInvalid', `Duplicated table name: ${T}.`);
    const many = Array.from({ length: 101 }, (_, i) => pk('m' + i));
    await rejects(root.batchGetRow({ tables: [{ tableName: T, primaryKey: many, maxVersions: 1 }] }),
      400, 'OTSParameterInvalid', 'Rows count exceeds the upper limit: 100.');
  });

  await t.test('auto-increment primary key', async () => {
    await root.createTable({
      tableMeta: { tableName: 'sdk_auto', primaryKey: [{ name: 'p', type: 'STRING' }, { name: 'id', type: 'INTEGER', option: 'AUTO_INCREMENT' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const d = await root.describeTable({ tableName: 'sdk_auto' });
    assert.strictEqual(d.tableMeta.primaryKey[1].option, 1);
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const r = await root.putRow({ tableName: 'sdk_auto', condition: IGNORE(),
        primaryKey: [{ p: 'x' }, { id: TableStore.PK_AUTO_INCR }], attributeColumns: [{ i: Long.fromNumber(i) }],
        returnContent: { returnType: TableStore.ReturnType.Primarykey } });
      ids.push(toNum(r.row.primaryKey[1].value));
    }
    assert.ok(ids[0] < ids[1] && ids[1] < ids[2], JSON.stringify(ids));
    await rejects(root.putRow({ tableName: 'sdk_auto', condition: NOT_EXIST(),
      primaryKey: [{ p: 'x' }, { id: TableStore.PK_AUTO_INCR }], attributeColumns: [{ i: 1 }] }),
    400, 'OTSParameterInvalid', 'Invalid expect:EXPECT_NOT_EXIST when modify row with pk auto increment.');
  });

  await t.test('limits: columns per write, row size', async () => {
    const wide = Array.from({ length: 1025 }, (_, i) => ({ ['c' + i]: Long.fromNumber(i) }));
    await rejects(root.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('lim'), attributeColumns: wide }),
      400, 'OTSParameterInvalid', 'The number of attribute columns exceeds the limit, limit count: 1024, column count: 1025.');
    const big = 'x'.repeat(1536 * 1024);
    await rejects(root.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk('lim'),
      attributeColumns: [{ a: big }, { b: big }, { c: big }] }),
    400, 'OTSOutOfRowSizeLimit', 'The total data size of columns in one row exceeded the limit.');
    const g = await root.getRow({ tableName: T, primaryKey: pk('lim'), maxVersions: 1 });
    assert.strictEqual(g.row.primaryKey, undefined, 'nothing was written');
  });

  await t.test('GetRange over the 10,000-row vehicle_track, both directions, nothing lost or repeated', async () => {
    for (const [dir, limit] of [[TableStore.Direction.FORWARD, undefined], [TableStore.Direction.BACKWARD, undefined],
      [TableStore.Direction.FORWARD, 777], [TableStore.Direction.BACKWARD, 1234]]) {
      const back = dir === TableStore.Direction.BACKWARD;
      const lo = [{ vid: TableStore.INF_MIN }, { gt: TableStore.INF_MIN }];
      const hi = [{ vid: TableStore.INF_MAX }, { gt: TableStore.INF_MAX }];
      let startKey = back ? hi : lo;
      const keys = [];
      let pages = 0;
      while (startKey) {
        const r = await root.getRange({ tableName: 'vehicle_track', direction: dir, inclusiveStartPrimaryKey: startKey,
          exclusiveEndPrimaryKey: back ? lo : hi, maxVersions: 1, ...(limit ? { limit } : {}) });
        pages++;
        assert.ok(r.rows.length <= (limit || 5000));
        assert.ok(r.consumed.capacityUnit.read >= 1);
        for (const row of r.rows) keys.push(BigInt(toNum(row.primaryKey[0].value)) * 10n ** 13n + BigInt(toNum(row.primaryKey[1].value)));
        startKey = r.nextStartPrimaryKey ? r.nextStartPrimaryKey.map((c) => ({ [c.name]: c.value })) : null;
      }
      assert.strictEqual(keys.length, 10000, `rows (${back ? 'backward' : 'forward'}, limit ${limit})`);
      assert.strictEqual(pages, Math.ceil(10000 / (limit || 5000)));
      for (let i = 1; i < keys.length; i++) assert.ok(back ? keys[i] < keys[i - 1] : keys[i] > keys[i - 1], 'strict order');
    }
    // Exclusive end, inclusive start, with concrete bounds.
    const r = await root.getRange({ tableName: 'vehicle_track', direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ vid: Long.fromNumber(1) }, { gt: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ vid: Long.fromNumber(2) }, { gt: TableStore.INF_MIN }], maxVersions: 1,
      columnsToGet: ['speed'] });
    assert.ok(r.rows.length > 0 && r.rows.every((row) => toNum(row.primaryKey[0].value) === 1));
    assert.ok(r.rows.every((row) => row.attributes.length === 1 && row.attributes[0].columnName === 'speed'));
    assert.strictEqual(r.nextStartPrimaryKey, null);
    await rejects(root.getRange({ tableName: 'vehicle_track', direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ vid: TableStore.INF_MAX }, { gt: TableStore.INF_MAX }],
      exclusiveEndPrimaryKey: [{ vid: TableStore.INF_MIN }, { gt: TableStore.INF_MIN }], maxVersions: 1 }),
    400, 'OTSParameterInvalid', 'Begin key must less than end key in FORWARD');
  });

  await t.test('authentication errors as the Node SDK surfaces them', async () => {
    await rejects(mk('LTAIemuAccountA12345', 'wrong-secret').listTable({}), 403, 'OTSAuthFailed', 'Signature mismatch.');
    await rejects(mk('LTAInobody', 'x').listTable({}), 403, 'OTSAuthFailed', 'The AccessKeyID does not exist.');
    await rejects(mk('LTAIemuOtsOffA12345', 'emu-secret-ots-off').listTable({}), 403, 'OTSAuthFailed', 'The AccessKeyID is disabled.');
    await rejects(mk('STS.emuOtsExpiredSess01', 'emu-sts-secret-old', { stsToken: 'CAIS-emu-ots-expired-token' }).listTable({}),
      403, 'OTSAuthFailed', 'The STS token has expired.');
    await rejects(mk('STS.emuOtsAdminSession001', 'emu-sts-secret-admin').listTable({}), 403, 'OTSAuthFailed');
    await rejects(new TableStore.Client({ accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a',
      endpoint: emu.base, instancename: 'nosuch', maxRetries: 0 }).listTable({}), 403, 'OTSAuthFailed', 'The instance is not found.');
  });

  const readChecks = async (c) => {
    await c.listTable({});
    await c.describeTable({ tableName: 'vehicle_track' });
    const g = await c.getRow({ tableName: 'vehicle_track', primaryKey: [{ vid: Long.fromNumber(1) }, { gt: Long.fromNumber(1793491308000) }], maxVersions: 1 });
    assert.ok(g.row.primaryKey, 'the seed row is readable');
    const r = await c.getRange({ tableName: 'vehicle_track', direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ vid: TableStore.INF_MIN }, { gt: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ vid: TableStore.INF_MAX }, { gt: TableStore.INF_MAX }], maxVersions: 1, limit: 10 });
    assert.strictEqual(r.rows.length, 10);
    await c.batchGetRow({ tables: [{ tableName: 'vehicle_track', primaryKey: [[{ vid: Long.fromNumber(1) }, { gt: Long.fromNumber(1) }]], maxVersions: 1 }] });
  };
  const writeChecks = async (c) => {
    const deny = (p) => rejects(p, 403, 'OTSNoPermissionAccess',
      'You have no permission to access the requested resource, please contact the resource owner');
    const key = [{ vid: Long.fromNumber(1) }, { gt: Long.fromNumber(1793491308000) }];
    await deny(c.putRow({ tableName: 'vehicle_track', condition: IGNORE(), primaryKey: key, attributeColumns: [{ speed: 1 }] }));
    await deny(c.updateRow({ tableName: 'vehicle_track', condition: IGNORE(), primaryKey: key, updateOfAttributeColumns: [{ PUT: [{ speed: 1 }] }] }));
    await deny(c.deleteRow({ tableName: 'vehicle_track', condition: IGNORE(), primaryKey: key }));
    await deny(c.batchWriteRow({ tables: [{ tableName: 'vehicle_track', rows: [{ type: 'DELETE', condition: IGNORE(), primaryKey: key }] }] }));
    await deny(c.deleteTable({ tableName: 'vehicle_track' }));
    await deny(c.createTable({ tableMeta: { tableName: 'x', primaryKey: [{ name: 'k', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } }));
    const g = await root.getRow({ tableName: 'vehicle_track', primaryKey: key, maxVersions: 1 });
    assert.ok(g.row.primaryKey, 'denied writes changed nothing');
  };

  await t.test('a RAM user of A with AliyunOTSReadOnlyAccess: reads pass, writes are denied', async () => {
    const reader = mk('LTAIemuOtsReaderA12345', 'emu-secret-ots-reader');
    await readChecks(reader);
    await writeChecks(reader);
    await rejects(mk('LTAIemuNobodyA12345', 'emu-secret-nobody').listTable({}), 403, 'OTSNoPermissionAccess');
  });

  await t.test('an STS session of a read-only role in A: reads pass, writes are denied', async () => {
    const s = mk('STS.emuOtsReaderSession01', 'emu-sts-secret-reader', { stsToken: 'CAIS-emu-ots-reader-token' });
    await readChecks(s);
    await writeChecks(s);
  });

  await t.test('a session that AssumeRole gave B\'s RAM user for a read-only role of A', async () => {
    const sts = new RPCClient({ accessKeyId: 'LTAIemuEtlUser56789', accessKeySecret: 'emu-secret-etl',
      endpoint: emu.base, apiVersion: '2015-04-01' });
    const r = await sts.request('AssumeRole', { RoleArn: 'acs:ram::12345:role/otsreaderforb', RoleSessionName: 'etl-ots' },
      { method: 'POST' });
    const c = r.Credentials;
    const s = mk(c.AccessKeyId, c.AccessKeySecret, { stsToken: c.SecurityToken });
    await readChecks(s);
    await writeChecks(s);
    await rejects(mk(c.AccessKeyId, c.AccessKeySecret, { stsToken: c.SecurityToken + 'x' }).listTable({}),
      403, 'OTSAuthFailed', 'The STS token is invalid.');
  });

  await t.test('the root of another account without a role is denied', async () => {
    const b = mk('LTAIemuAccountB56789', 'emu-secret-account-b');
    await rejects(b.listTable({}), 403, 'OTSNoPermissionAccess');
    await rejects(b.getRow({ tableName: 'vehicle_track', primaryKey: [{ vid: Long.fromNumber(1) }, { gt: Long.fromNumber(1) }], maxVersions: 1 }),
      403, 'OTSNoPermissionAccess');
    // A RAM user of B holding AliyunOTSFullAccess is still refused on A's instance.
    await rejects(mk('LTAIemuEtlUser56789', 'emu-secret-etl').listTable({}), 403, 'OTSNoPermissionAccess');
  });

  await t.test('DeleteTable removes the table and its rows', async () => {
    await root.deleteTable({ tableName: T });
    await rejects(root.getRow({ tableName: T, primaryKey: pk('b1'), maxVersions: 1 }), 404, 'OTSObjectNotExist');
    const l = await root.listTable({});
    assert.ok(!l.tableNames.includes(T));
  });
});
