'use strict';
// Tablestore streams. The unmodified `tablestore` npm package turns them on
// (its samples/createTable.js, createTable / updateTable with a
// streamSpecification) and reads DescribeTable's stream details, and it
// makes the changes (putRow, updateRow with each column operation,
// deleteRow, batchWriteRow, a local transaction). The Node SDK has no
// stream-reading calls, so ListStream, DescribeStream, GetShardIterator
// and GetStreamRecord go as signed protobuf requests shaped like the Java
// SDK's (ots_internal_api.proto), and each record is decoded here the way
// its PlainBufferCodedInputStream reads one: PK, cells with their
// operation and timestamp, the delete marker, the sequence-info extension,
// and the row checksum, which must match.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, SRC } = require('../support/emu');
const ots = require('../support/ots');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots-txn.json');
const PKG = path.dirname(require.resolve('tablestore/package.json'));
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const { pbString, pbBytes, pbInt, pbDecode, CRC8 } = ots;
const OLD = Date.now() - 60000; // a timestamp within the allowed deviation
const CRED = { ak: 'LTAIemuAccountA12345', secret: 'emu-secret-account-a' };

// One PlainBuffer row with its extension (the Java SDK's reader).
function readRecord(buf) {
  let i = 0;
  const u8 = () => buf[i++];
  const u32 = () => { const v = buf.readUInt32LE(i); i += 4; return v; };
  const i64 = () => { const v = buf.readBigInt64LE(i); i += 8; return v; };
  assert.strictEqual(u32(), 0x75, 'header');
  let tag = u8();
  let rowCrc = 0;
  const crc = (c, bytes) => { for (const b of bytes) c = CRC8[c ^ b]; return c; };
  const cell = () => {
    assert.strictEqual(tag, 0x03);
    tag = u8();
    const out = {};
    let c = 0;
    if (tag === 0x04) { const n = u32(); out.name = buf.subarray(i, i + n).toString(); c = crc(c, buf.subarray(i, i + n)); i += n; tag = u8(); }
    if (tag === 0x05) {
      const n = u32();
      const v = buf.subarray(i, i + n);
      c = crc(c, v);
      i += n;
      const t = v[0];
      out.value = t === 0 ? v.readBigInt64LE(1) : t === 1 ? v.readDoubleLE(1) : t === 2 ? v[1] === 1 : v.subarray(5).toString();
      tag = u8();
    }
    if (tag === 0x07) { const b = buf.subarray(i, i + 8); out.ts = Number(i64()); tag = u8(); out.tsBytes = b; }
    if (tag === 0x06) { out.op = u8(); tag = u8(); }
    if (tag === 0x07 && out.ts === undefined) { const b = buf.subarray(i, i + 8); out.ts = Number(i64()); tag = u8(); out.tsBytes = b; }
    if (out.tsBytes) c = crc(c, out.tsBytes);
    if (out.op !== undefined) c = crc(c, [out.op]);
    assert.strictEqual(tag, 0x0a, 'cell checksum tag');
    assert.strictEqual(u8(), c, `checksum of cell ${out.name}`);
    rowCrc = CRC8[rowCrc ^ c];
    delete out.tsBytes;
    tag = u8();
    return out;
  };
  const rec = { pk: [], cells: [], deleted: false };
  assert.strictEqual(tag, 0x01, 'TAG_ROW_PK');
  tag = u8();
  while (tag === 0x03) rec.pk.push(cell());
  if (tag === 0x02) { tag = u8(); while (tag === 0x03) rec.cells.push(cell()); }
  if (tag === 0x08) { rec.deleted = true; tag = u8(); }
  rowCrc = CRC8[rowCrc ^ (rec.deleted ? 1 : 0)];
  assert.strictEqual(tag, 0x0b, 'TAG_EXTENSION');
  assert.strictEqual(u32(), 24);
  assert.strictEqual(u8(), 0x0c);
  assert.strictEqual(u32(), 19);
  assert.strictEqual(u8(), 0x0d);
  rec.seq = { epoch: u32() };
  assert.strictEqual(u8(), 0x0e);
  rec.seq.ts = Number(i64());
  assert.strictEqual(u8(), 0x0f);
  rec.seq.rowIndex = u32();
  assert.strictEqual(u8(), 0x09, 'TAG_ROW_CHECKSUM');
  assert.strictEqual(u8(), rowCrc, 'row checksum');
  assert.strictEqual(i, buf.length);
  return rec;
}

test('Tablestore streams through the official Node SDK and the stream calls', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const env = { accessKeyId: CRED.ak, secretAccessKey: CRED.secret, endpoint: emu.base, instancename: 'cap1' };
  const c = new TableStore.Client({ ...env, maxRetries: 0 });
  Object.assign(process.env, env);
  const call = async (op, body, status = 200) => {
    const r = await ots.send(emu, op, body, CRED);
    assert.strictEqual(r.status, status, `${op}: ${JSON.stringify(ots.errorOf(r.raw))}`);
    return r.status === 200 ? pbDecode(r.raw) : ots.errorOf(r.raw);
  };
  const streamOf = async (table) => {
    const l = await call('ListStream', pbString(1, table));
    return pbDecode(l[1][0])[1][0].toString();
  };
  const iterator = async (id) => {
    const d = await call('DescribeStream', pbString(1, id));
    const shard = pbDecode(d[6][0])[1][0].toString();
    return (await call('GetShardIterator', Buffer.concat([pbString(1, id), pbString(2, shard)])))[1][0].toString();
  };
  const records = async (it, limit) => {
    const r = await call('GetStreamRecord', Buffer.concat([pbString(1, it), ...(limit ? [pbInt(2, limit)] : [])]));
    return {
      next: r[2][0].toString(),
      more: r[4][0] === 1n,
      recs: (r[1] || []).map((b) => { const m = pbDecode(b); return { action: Number(m[1][0]), ...readRecord(m[2][0]) }; }),
    };
  };

  await t.test('the SDK\'s samples/createTable.js turns a stream on; DescribeTable shows it', async () => {
    const out = [];
    const log = console.log;
    let done;
    const finished = new Promise((r) => { done = r; });
    console.log = (...a) => { out.push(a.join(' ')); done(); };
    try {
      require(path.join(PKG, 'samples', 'createTable.js'));
      await Promise.race([finished, new Promise((r) => setTimeout(r, 20000))]);
    } finally {
      console.log = log;
    }
    assert.match(out.join('\n'), /^success:/, out.join('\n'));
    const d = await c.describeTable({ tableName: 'sampleTable' });
    assert.strictEqual(d.streamDetails.enableStream, true);
    assert.strictEqual(d.streamDetails.expirationTime, 24);
    assert.match(d.streamDetails.streamId, /^sampleTable_\d+$/);
    assert.strictEqual(await streamOf('sampleTable'), d.streamDetails.streamId);
  });

  await t.test('every change is a record: put, update with each column operation, delete', async () => {
    await c.createTable({
      tableMeta: { tableName: 'st', primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 3 },
      streamSpecification: { enableStream: true, expirationTime: 2 },
    });
    const id = await streamOf('st');
    let it = await iterator(id);
    assert.deepStrictEqual((await records(it)).recs, [], 'a new stream is empty');
    const key = [{ id: Long.fromNumber(1) }];
    await c.putRow({ tableName: 'st', condition: IGNORE(), primaryKey: key, attributeColumns: [{ name: 'a' }, { n: Long.fromNumber(5) }, { gone: 'x' }, { old: 'v', timestamp: Long.fromNumber(OLD) }] });
    await c.updateRow({
      tableName: 'st', condition: IGNORE(), primaryKey: key,
      updateOfAttributeColumns: [{ PUT: [{ name: 'b' }] }, { DELETE: [{ old: Long.fromNumber(OLD) }] }, { DELETE_ALL: ['gone'] }, { INCREMENT: [{ n: Long.fromNumber(2) }] }],
    });
    await c.deleteRow({ tableName: 'st', condition: IGNORE(), primaryKey: key });
    const got = await records(it);
    assert.strictEqual(got.more, false);
    const [put, upd, del] = got.recs;
    assert.deepStrictEqual(got.recs.map((r) => r.action), [1, 2, 3], 'PUT_ROW, UPDATE_ROW, DELETE_ROW');
    assert.deepStrictEqual(put.pk, [{ name: 'id', value: 1n }]);
    const byName = (r) => Object.fromEntries(r.cells.map((x) => [x.name, x]));
    const p = byName(put);
    assert.deepStrictEqual(Object.keys(p).sort(), ['gone', 'n', 'name', 'old']);
    assert.strictEqual(p.name.value, 'a');
    assert.strictEqual(p.old.ts, OLD, 'an explicit timestamp is kept');
    assert.ok(Math.abs(p.name.ts - Date.now()) < 60000, 'a put without timestamp gets the time it was written');
    const u = byName(upd);
    assert.strictEqual(u.name.value, 'b');
    assert.strictEqual(u.name.op, undefined, 'a put has no operation byte');
    assert.deepStrictEqual([u.old.op, u.old.ts], [3, OLD], 'DELETE_ONE_VERSION with its timestamp');
    assert.deepStrictEqual([u.gone.op, u.gone.ts, u.gone.value], [1, undefined, undefined], 'DELETE_ALL_VERSION');
    assert.strictEqual(u.n.value, 7n, 'an increment is recorded as the value it produced');
    assert.strictEqual(del.deleted, true);
    assert.deepStrictEqual(del.cells, []);
    // Sequence info: increasing (timestamp, row index).
    const seq = got.recs.map((r) => [r.seq.ts, r.seq.rowIndex]);
    for (let k = 1; k < seq.length; k++) assert.ok(seq[k][0] > seq[k - 1][0] || (seq[k][0] === seq[k - 1][0] && seq[k][1] > seq[k - 1][1]), JSON.stringify(seq));
    // The next iterator goes on from there; a limit pages with may_more_record.
    it = got.next;
    assert.deepStrictEqual((await records(it)).recs, []);
    await c.batchWriteRow({ tables: [{ tableName: 'st', rows: [1, 2, 3].map((k) => ({ type: 'PUT', condition: IGNORE(), primaryKey: [{ id: Long.fromNumber(k) }], attributeColumns: [{ v: k }] })) }] });
    const page = await records(it, 2);
    assert.deepStrictEqual([page.recs.length, page.more], [2, true]);
    const rest = await records(page.next, 2);
    assert.deepStrictEqual([rest.recs.length, rest.more, rest.recs[0].pk[0].value], [1, false, 3n]);
  });

  await t.test('a local transaction\'s writes reach the stream when it commits, not before', async () => {
    await c.updateTable({ tableName: 'TransactionTable', tableOptions: {}, streamSpecification: { enableStream: true, expirationTime: 24 } });
    const it = await iterator(await streamOf('TransactionTable'));
    const txn = (await c.startLocalTransaction({ tableName: 'TransactionTable', primaryKey: [{ PK0: Long.fromNumber(9) }] })).transactionId;
    await c.putRow({ tableName: 'TransactionTable', condition: IGNORE(), primaryKey: [{ PK0: Long.fromNumber(9) }, { PK1: 'x' }], attributeColumns: [{ v: 'in txn' }], transactionId: txn });
    assert.deepStrictEqual((await records(it)).recs, []);
    await c.commitTransaction({ transactionId: txn });
    const got = await records(it);
    assert.deepStrictEqual(got.recs.map((r) => [r.action, r.pk[1].value, r.cells[0].value]), [[1, 'x', 'in txn']]);
  });

  await t.test('records expire on the virtual clock; a stream can be turned off', async () => {
    const id = await streamOf('st');
    const it = await iterator(id);
    assert.ok((await records(it)).recs.length > 0);
    await emu.json('POST', '/_emu/clock', { advance_seconds: 2 * 3600 + 1 });
    const e = await call('GetStreamRecord', pbString(1, it), 400);
    assert.strictEqual(e.code, 'OTSTrimmedDataAccess');
    assert.deepStrictEqual((await records(await iterator(id))).recs, [], 'a new iterator starts after the trimmed records');
    await emu.json('POST', '/_emu/clock', { reset: true });
    await rejectsCode(c.updateTable({ tableName: 'st', tableOptions: {}, streamSpecification: { enableStream: true, expirationTime: 5 } }), 'OTSParameterInvalid');
    await c.updateTable({ tableName: 'st', tableOptions: {}, streamSpecification: { enableStream: false } });
    assert.strictEqual((await c.describeTable({ tableName: 'st' })).streamDetails.enableStream, false);
    assert.strictEqual((await call('ListStream', pbString(1, 'st')))[1], undefined);
    assert.strictEqual((await call('DescribeStream', pbString(1, id), 404)).code, 'OTSObjectNotExist');
    assert.strictEqual((await call('GetStreamRecord', pbString(1, it), 400)).message, 'Invalid shard iterator.');
  });

  await t.test('errors and authorization', async () => {
    await rejectsCode(c.createTable({
      tableMeta: { tableName: 'bad', primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
      streamSpecification: { enableStream: true, expirationTime: 169 },
    }), 'OTSParameterInvalid');
    assert.strictEqual((await call('GetStreamRecord', pbString(1, 'garbage'), 400)).message, 'Invalid shard iterator.');
    assert.strictEqual((await call('ListStream', pbString(1, 'nosuch'), 404)).code, 'OTSObjectNotExist');
    // A read-only user (AliyunOTSReadOnlyAccess) may read a stream:
    // ots:ListStream, ots:DescribeStream, ots:GetShardIterator and
    // ots:GetStreamRecord are reads.
    const reader = { ak: 'LTAIemuOtsReaderA12345', secret: 'emu-secret-ots-reader' };
    const r = await ots.send(emu, 'ListStream', pbString(1, 'sampleTable'), reader);
    assert.strictEqual(r.status, 200);
  });
});

async function rejectsCode(p, code) {
  await assert.rejects(p, (e) => { assert.ok(e.message.includes(code), e.message); return true; });
}
