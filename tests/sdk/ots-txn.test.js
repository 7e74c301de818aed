'use strict';
// Tablestore local transactions through the unmodified `tablestore` npm
// package: startLocalTransaction / commitTransaction / abortTransaction and
// the transactionId of putRow, updateRow, deleteRow, getRow, getRange and
// batchWriteRow. The lock (one per table + partition key), isolation (a
// transaction's writes are seen by its own reads only, until commit), the
// 60 s lifetime on the virtual clock, authorization and the errors.
//
// Error texts, and where they come from (the Java SDK's
// functiontest/LocalTxnTest.java asserts them against the service):
//   "StartLocalTransaction support only one primary key."      LocalTxnTest
//   "TransactionID is invalid."                                LocalTxnTest
//   "Session not exist or may be timeout." (OTSSessionNotExist) LocalTxnTest
//   "Data is being modified by the other request."
//       (OTSRowOperationConflict)                              LocalTxnTest
//   "Try to call method using explicit transaction on
//    explicit-transaction-disabled table."                    LocalTxnTest
// The Node SDK cannot send CreateTable's enable_local_txn, so the tables
// come from a world file (EnableLocalTxn).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, SRC } = require('../support/emu');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots-txn.json');
const T = 'TransactionTable';
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const EXPECT_NOT_EXIST = () => new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null);
const pk = (a, b) => [{ PK0: Long.fromNumber(a) }, { PK1: b }];
const val = (row) => {
  const c = (row.attributes || []).find((x) => x.columnName === 'value1');
  return c ? c.columnValue : undefined;
};

async function rejects(p, status, code, text) {
  await assert.rejects(p, (e) => {
    assert.strictEqual(e.code, status, e.message);
    assert.ok(e.message.includes(code), `${code} in ${JSON.stringify(e.message)}`);
    if (text) assert.ok(e.message.includes(text), `${text} in ${JSON.stringify(e.message)}`);
    return true;
  });
}

test('Tablestore local transactions through the official Node SDK', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const opts = { endpoint: emu.base, instancename: 'cap1', maxRetries: 0 };
  const c = new TableStore.Client({ accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a', ...opts });
  // tablestore 5.6.5 decodes AbortTransaction's (empty) response as an
  // AbortTransactionRequest, whose transaction_id is required, so its
  // abortTransaction rejects after the service aborted, against the cloud
  // too. The abort itself is checked through its effects.
  const abort = (transactionId, client = c) => client.abortTransaction({ transactionId }).then(
    () => assert.fail('the SDK decodes the response as a request'),
    (e) => { if (!/missing required 'transactionId'/.test(e.message)) throw e; });
  const begin = async (key = 1) => (await c.startLocalTransaction({ tableName: T, primaryKey: [{ PK0: Long.fromNumber(key) }] })).transactionId;
  const get = async (a, b, transactionId) => (await c.getRow({ tableName: T, primaryKey: pk(a, b), maxVersions: 1, transactionId })).row;
  const put = (a, b, v, transactionId, condition = IGNORE()) => c.putRow({ tableName: T, condition, primaryKey: pk(a, b), attributeColumns: [{ value1: v }], transactionId });
  const range = async (a, transactionId) => (await c.getRange({
    tableName: T, direction: TableStore.Direction.FORWARD, maxVersions: 1, transactionId,
    inclusiveStartPrimaryKey: [{ PK0: Long.fromNumber(a) }, { PK1: TableStore.INF_MIN }],
    exclusiveEndPrimaryKey: [{ PK0: Long.fromNumber(a) }, { PK1: TableStore.INF_MAX }],
  })).rows.map((r) => [r.primaryKey[1].value, val(r)]);

  await t.test('writes are seen inside the transaction only, until commit', async () => {
    const id = await begin();
    assert.match(id, /^\S+$/);
    assert.strictEqual(val(await get(1, 'transaction', id)), 'seeded', 'reads in a transaction see committed rows');
    await put(1, 'a', 'in-txn', id);
    await c.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk(1, 'transaction'), updateOfAttributeColumns: [{ PUT: [{ value1: 'updated' }] }], transactionId: id });
    assert.strictEqual(val(await get(1, 'a', id)), 'in-txn');
    assert.strictEqual(await get(1, 'a').then((r) => r.primaryKey), undefined, 'invisible outside before commit');
    assert.strictEqual(val(await get(1, 'transaction')), 'seeded');
    // Conditions are checked against the transaction's own view.
    await rejects(put(1, 'a', 'again', id, EXPECT_NOT_EXIST()), 403, 'OTSConditionCheckFail');
    assert.deepStrictEqual(await range(1, id), [['a', 'in-txn'], ['transaction', 'updated']]);
    assert.deepStrictEqual(await range(1), [['transaction', 'seeded']]);
    await c.commitTransaction({ transactionId: id });
    assert.deepStrictEqual(await range(1), [['a', 'in-txn'], ['transaction', 'updated']]);
    await rejects(c.commitTransaction({ transactionId: id }), 404, 'OTSSessionNotExist', 'Session not exist or may be timeout.');
  });

  await t.test('abort discards; deletes and batch writes are transactional too', async () => {
    let id = await begin();
    await c.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: pk(1, 'a'), transactionId: id });
    await c.batchWriteRow({
      transactionId: id,
      tables: [{ tableName: T, rows: [
        { type: 'PUT', condition: IGNORE(), primaryKey: pk(1, 'b'), attributeColumns: [{ value1: 'batch' }] },
        { type: 'PUT', condition: IGNORE(), primaryKey: pk(2, 'x'), attributeColumns: [{ value1: 'other partition' }] },
      ] }],
    }).then((r) => {
      assert.strictEqual(r.tables[0].isOk, true);
      assert.strictEqual(r.tables[1].isOk, false, 'a row of another partition is refused');
      assert.strictEqual(r.tables[1].errorCode, 'OTSParameterInvalid');
    });
    assert.deepStrictEqual(await range(1, id), [['b', 'batch'], ['transaction', 'updated']]);
    await abort(id);
    assert.deepStrictEqual(await range(1), [['a', 'in-txn'], ['transaction', 'updated']]);
    await rejects(abort(id), 404, 'OTSSessionNotExist');

    id = await begin();
    await c.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: pk(1, 'a'), transactionId: id });
    await c.commitTransaction({ transactionId: id });
    assert.deepStrictEqual(await range(1), [['transaction', 'updated']]);
  });

  await t.test('the lock: one transaction per partition key; other writers conflict, readers do not', async () => {
    const id = await begin();
    await rejects(begin(), 409, 'OTSRowOperationConflict', 'Data is being modified by the other request.');
    await rejects(put(1, 'c', 'outside'), 409, 'OTSRowOperationConflict', 'Data is being modified by the other request.');
    const b = await c.batchWriteRow({ tables: [{ tableName: T, rows: [{ type: 'PUT', condition: IGNORE(), primaryKey: pk(1, 'c'), attributeColumns: [{ value1: 'x' }] }] }] });
    assert.strictEqual(b.tables[0].errorCode, 'OTSRowOperationConflict');
    assert.strictEqual(val(await get(1, 'transaction')), 'updated', 'a read is not blocked');
    // Another partition is free, also for a transaction of its own.
    await put(2, 'free', 'yes');
    const id2 = await begin(2);
    await abort(id2);
    await abort(id);
    await put(1, 'c', 'after abort');
  });

  await t.test('a transaction lives 60 s of virtual time, then its lock is gone', async () => {
    const id = await begin();
    await put(1, 'late', 'never', id);
    await emu.json('POST', '/_emu/clock', { advance_seconds: 59 });
    assert.strictEqual(val(await get(1, 'late', id)), 'never');
    await emu.json('POST', '/_emu/clock', { advance_seconds: 1 });
    await rejects(put(1, 'late', 'x', id), 404, 'OTSSessionNotExist', 'Session not exist or may be timeout.');
    await rejects(c.commitTransaction({ transactionId: id }), 404, 'OTSSessionNotExist');
    assert.strictEqual(await get(1, 'late').then((r) => r.primaryKey), undefined);
    await put(1, 'late', 'unlocked');
  });

  await t.test('errors of the service', async () => {
    await rejects(c.startLocalTransaction({ tableName: T, primaryKey: pk(1, 'a') }), 400, 'OTSParameterInvalid', 'StartLocalTransaction support only one primary key.');
    await rejects(c.startLocalTransaction({ tableName: '', primaryKey: [{ PK0: Long.fromNumber(1) }] }), 400, 'OTSParameterInvalid', "Invalid table name: ''.");
    await rejects(c.startLocalTransaction({ tableName: 'plain', primaryKey: [{ id: 'k' }] }), 400, 'OTSParameterInvalid',
      'Try to call method using explicit transaction on explicit-transaction-disabled table.');
    await rejects(c.startLocalTransaction({ tableName: 'nope', primaryKey: [{ id: 'k' }] }), 404, 'OTSObjectNotExist');
    await rejects(c.startLocalTransaction({ tableName: T, primaryKey: [{ PK0: 'one' }] }), 400, 'OTSParameterInvalid', 'Validate PK type fail. Input: VT_STRING, Meta: VT_INTEGER.');
    await rejects(c.commitTransaction({ transactionId: '' }), 400, 'OTSParameterInvalid', 'TransactionID is invalid.');
    await rejects(abort(''), 400, 'OTSParameterInvalid', 'TransactionID is invalid.');
    // A transaction id is never ignored: unknown ids fail every operation.
    const ghost = '0123456789ABCDEF0123456789ABCDEF';
    await rejects(put(1, 'g', 'x', ghost), 404, 'OTSSessionNotExist');
    await rejects(get(1, 'transaction', ghost), 404, 'OTSSessionNotExist');
    await rejects(range(1, ghost), 404, 'OTSSessionNotExist');
    await rejects(c.batchWriteRow({ transactionId: ghost, tables: [{ tableName: T, rows: [{ type: 'PUT', condition: IGNORE(), primaryKey: pk(1, 'g'), attributeColumns: [{ value1: 'x' }] }] }] }), 404, 'OTSSessionNotExist');
    // A transaction is bound to its table and partition key.
    const id = await begin();
    await rejects(put(2, 'x', 'y', id), 400, 'OTSParameterInvalid');
    await rejects(get(2, 'other', id), 400, 'OTSParameterInvalid');
    await rejects(c.putRow({ tableName: 'plain', condition: IGNORE(), primaryKey: [{ id: 'k' }], attributeColumns: [{ v: 1 }], transactionId: id }), 400, 'OTSParameterInvalid');
    await abort(id);
  });

  await t.test('authorized per operation: ots:StartLocalTransaction is not read-only', async () => {
    const reader = new TableStore.Client({ accessKeyId: 'LTAIemuOtsReaderA12345', secretAccessKey: 'emu-secret-ots-reader', ...opts });
    await rejects(reader.startLocalTransaction({ tableName: T, primaryKey: [{ PK0: Long.fromNumber(1) }] }), 403, 'OTSNoPermissionAccess');
    const id = await begin();
    await rejects(reader.commitTransaction({ transactionId: id }), 403, 'OTSNoPermissionAccess');
    await rejects(abort(id, reader), 403, 'OTSNoPermissionAccess');
    const row = (await reader.getRow({ tableName: T, primaryKey: pk(1, 'transaction'), maxVersions: 1, transactionId: id })).row;
    assert.strictEqual(val(row), 'updated', 'a reader may read in a transaction');
    await abort(id);
  });

  await t.test('a world reset ends open transactions', async () => {
    const id = await begin();
    assert.strictEqual((await emu.json('POST', '/_emu/reset')).status, 200);
    await rejects(c.commitTransaction({ transactionId: id }), 404, 'OTSSessionNotExist');
    await put(1, 'after-reset', 'ok');
  });
});
