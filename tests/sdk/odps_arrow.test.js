'use strict';
// The instance tunnel's Arrow answer (issue 16 item 1: "Arrow when the
// client asks for it"), read the way pyodps's TunnelArrowReader reads it
// (odps/tunnel/io/reader.py, ArrowStreamReader): the u32 BE chunk size,
// chunks each followed by its CRC-32C, the last, shorter one followed by
// the CRC-32C of everything; the client puts the Arrow schema it derives
// from the session's ODPS schema (odps/tunnel/io/types.py) in front of the
// bytes and hands the stream to an Arrow reader. The reader here is Apache
// Arrow's own JavaScript library, so the batches must be real Arrow IPC.
const test = require('node:test');
const assert = require('node:assert');
const arrow = require('apache-arrow');
const { start } = require('../support/emu');
const odps = require('../support/odps');

const ETL = { ak: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl', project: 'b_project' };

// pyodps's ODPS -> Arrow type mapping.
const ARROW_TYPE = {
  bigint: () => new arrow.Int64(),
  double: () => new arrow.Float64(),
  string: () => new arrow.Utf8(),
  binary: () => new arrow.Binary(),
  boolean: () => new arrow.Bool(),
  datetime: () => new arrow.TimestampMillisecond(),
};

// ArrowStreamReader._fill_next_buffer, with its checksum rules.
function unchunk(raw) {
  const size = raw.readUInt32BE(0);
  const parts = [];
  let at = 4;
  let all = 0;
  for (;;) {
    const b = raw.subarray(at, at + size + 4);
    at += b.length;
    if (b.length === 0) break;
    assert.ok(b.length >= 4, 'a chunk shorter than its checksum');
    const data = b.subarray(0, b.length - 4);
    all = odps.CRC32C(all, data);
    if (b.length < size + 4) {
      assert.strictEqual(b.readUInt32BE(b.length - 4), all >>> 0, 'the stream checksum');
      parts.push(data);
      break;
    }
    assert.strictEqual(b.readUInt32BE(b.length - 4), odps.CRC32C(0, data) >>> 0, 'a chunk checksum');
    parts.push(data);
  }
  assert.strictEqual(at, raw.length, 'nothing after the last chunk');
  return Buffer.concat(parts);
}

function readArrow(session, raw) {
  const fields = session.Schema.columns.map((c) => new arrow.Field(c.name, ARROW_TYPE[c.type](), true));
  const schema = new arrow.Schema(fields);
  // The schema message alone: an empty table's stream without its end marker.
  const head = Buffer.from(arrow.tableToIPC(new arrow.Table(schema), 'stream'));
  assert.deepStrictEqual([...head.subarray(head.length - 8)], [255, 255, 255, 255, 0, 0, 0, 0]);
  return arrow.tableFromIPC(Buffer.concat([head.subarray(0, head.length - 8), unchunk(raw)]));
}

const plain = (v) => (typeof v === 'bigint' ? Number(v) : v);

test('instance tunnel: Arrow record batches that Apache Arrow reads, equal to the records', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const b = odps.session(emu, ETL);
  assert.strictEqual((await b.sql(odps.SEED_DDL)).status, 'Success');

  await t.test('every result type, NULLs and a row range', async () => {
    const q = await b.sql("SELECT vid, gt, speed, vid > 50 AS big, CONCAT('v', vid) AS tag, IF(speed > 30, speed, NULL) AS fast, IF(speed > 50, NULL, 'x') AS maybe FROM ads_log_ots_pt_external WHERE vid < 20 ORDER BY vid, gt LIMIT 300");
    assert.strictEqual(q.status, 'Success', q.text);
    const records = await odps.tunnelRead(emu, ETL, q.id);
    assert.strictEqual(records.count, 300);
    const a = await odps.tunnelRead(emu, ETL, q.id, { arrow: true });
    assert.strictEqual(a.data.status, 200, a.data.body);
    assert.strictEqual(a.data.headers['odps-tunnel-record-count'], '300');
    const table = readArrow(a.session, a.data.raw);
    assert.strictEqual(table.numRows, 300);
    assert.deepStrictEqual(table.schema.fields.map((f) => f.name), ['vid', 'gt', 'speed', 'big', 'tag', 'fast', 'maybe']);
    const rows = table.toArray().map((r) => table.schema.fields.map((f) => plain(r[f.name])));
    const nulls = records.rows.map((r) => r.map((v) => (v === undefined ? null : v)));
    assert.deepStrictEqual(rows, nulls);
    assert.ok(rows.some((r) => r[5] === null) && rows.some((r) => r[5] !== null), 'the NULL column has both');
    assert.ok(rows.some((r) => r[6] === null) && rows.some((r) => r[6] === 'x'), 'a NULL string and a string');

    // A range and a column subset, as pyodps asks when it pages.
    const part = await odps.tunnelRead(emu, ETL, q.id, { arrow: true, start: 290, count: 10, columns: 'tag,speed' });
    const pt = readArrow({ Schema: { columns: ['tag', 'speed'].map((n) => part.session.Schema.columns.find((c) => c.name === n)) } }, part.data.raw);
    assert.deepStrictEqual(pt.toArray().map((r) => [r.tag, r.speed]), records.rows.slice(290).map((r) => [r[4], r[2]]));
  });

  await t.test('DATETIME is timestamp[ms]', async () => {
    const q = await b.sql('SELECT gt, FROM_UNIXTIME(gt) AS t FROM ads_log_ots_pt_external ORDER BY gt LIMIT 5');
    assert.strictEqual(q.status, 'Success', q.text);
    const a = await odps.tunnelRead(emu, ETL, q.id, { arrow: true });
    assert.deepStrictEqual(a.session.Schema.columns.map((c) => c.type), ['bigint', 'datetime']);
    const table = readArrow(a.session, a.data.raw);
    assert.strictEqual(String(table.schema.fields[1].type), 'Timestamp<MILLISECOND>');
    const rows = table.toArray().map((r) => [Number(r.gt), Number(r.t)]);
    assert.strictEqual(rows.length, 5);
    for (const [gt, ms] of rows) assert.strictEqual(ms, gt * 1000);
  });

  await t.test('more than one chunk, and an empty range', async () => {
    const q = await b.sql('SELECT vid, gt, speed FROM ads_log_ots_pt_external');
    assert.strictEqual(q.status, 'Success', q.text);
    const a = await odps.tunnelRead(emu, ETL, q.id, { arrow: true });
    assert.ok(a.data.raw.length > 2 * 65536, `${a.data.raw.length} bytes: several chunks`);
    const table = readArrow(a.session, a.data.raw);
    assert.strictEqual(table.numRows, a.session.RecordCount);
    assert.ok(table.numRows >= 10000);
    const none = await odps.tunnelRead(emu, ETL, q.id, { arrow: true, start: 5, count: 0 });
    assert.strictEqual(readArrow(none.session, none.data.raw).numRows, 0);
  });
});
