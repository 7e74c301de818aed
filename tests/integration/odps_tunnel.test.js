'use strict';
// The instance tunnel (issue 16 item 1; maxcompute-external-table.md §8.6):
// the exact calls and bytes pyodps's open_reader(), its DB-API and
// to_pandas() depend on, made with the test signer. ?service names this
// endpoint, POST ?downloads opens a session (JSON with DownloadID, Status,
// RecordCount, Schema), GET ?downloadid reloads it, and GET ?downloadid&
// rowrange&data answers the protobuf record stream with its CRC-32C
// checksums, decoded here by an independent reader. No 10,000-row cap; the
// CSV result channel stays for clients that ask for it.
const test = require('node:test');
const assert = require('node:assert');
const { start } = require('../support/emu');
const odps = require('../support/odps');
const ots = require('../support/ots');

const ETL = { ak: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl', project: 'b_project' };
const etl = { ak: ETL.ak, secret: ETL.secret, params: { curr_project: 'b_project' } };

function errorXml(r, status, code, msgRe) {
  assert.strictEqual(r.status, status, r.body);
  for (const f of ['Code', 'Message', 'RequestId', 'HostId']) assert.notStrictEqual(odps.xmlText(r.body, f), undefined, `${f} in ${r.body}`);
  assert.strictEqual(odps.xmlText(r.body, 'Code'), code);
  if (msgRe) assert.match(odps.xmlText(r.body, 'Message'), msgRe);
}

test('instance tunnel: sessions and record streams for SELECT results', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const b = odps.session(emu, ETL);
  assert.strictEqual((await b.sql(odps.SEED_DDL)).status, 'Success');
  const tunnelBase = (id) => `/projects/b_project/instances/${id}`;
  const tcall = (method, id, params, headers = {}) => odps.call(emu, method, tunnelBase(id),
    { ...etl, params: { ...etl.params, ...params }, headers: { 'x-odps-tunnel-version': '6', ...headers } });

  await t.test('typed records equal the CSV result, with the session JSON pyodps parses', async () => {
    const csv = await b.sql('SELECT vid, gt, speed, vid > 50 AS big, \'v\' AS tag FROM ads_log_ots_pt_external WHERE vid = 7 ORDER BY gt LIMIT 5');
    assert.strictEqual(csv.status, 'Success', csv.text);
    const r = await odps.tunnelRead(emu, ETL, csv.id);
    // ?service: host:port without scheme or /api (pyodps prefixes the service's scheme).
    assert.strictEqual(r.service.body, `127.0.0.1:${emu.port}`);
    assert.match(r.created.headers['content-type'], /^application\/json/);
    assert.ok(r.created.headers['x-odps-request-id']);
    const s = r.session;
    assert.match(s.DownloadID, /^[0-9a-z]{32}$/);
    assert.strictEqual(s.Status, 'normal');
    assert.strictEqual(s.RecordCount, 5);
    assert.deepStrictEqual(s.Schema, {
      columns: [['vid', 'bigint'], ['gt', 'bigint'], ['speed', 'double'], ['big', 'boolean'], ['tag', 'string']]
        .map(([name, type]) => ({ name, type, comment: '', isNullable: true })),
      partitionKeys: [],
    });
    assert.strictEqual(r.data.headers['content-type'], 'application/octet-stream');
    assert.strictEqual(r.data.headers['content-encoding'], undefined);
    assert.strictEqual(r.count, 5);
    assert.deepStrictEqual(r.rows, csv.rows.map(([vid, gt, speed]) => [Number(vid), Number(gt), Number(speed), false, 'v']));
    // Session reuse: GET ?downloadid answers the same JSON.
    const again = await tcall('GET', csv.id, { downloadid: s.DownloadID });
    assert.strictEqual(again.status, 200, again.body);
    assert.deepStrictEqual(JSON.parse(again.body), s);
    // A row range and a column subset (fields renumbered from 1).
    const part = await tcall('GET', csv.id, { downloadid: s.DownloadID, rowrange: '(3,2)', data: '', columns: 'speed,vid' });
    assert.strictEqual(part.status, 200, part.body);
    assert.deepStrictEqual(odps.decodeRecords(part.raw, ['double', 'bigint']).rows,
      csv.rows.slice(3).map(([vid, , speed]) => [Number(speed), Number(vid)]));
    // An empty range is a stream with only the trailer.
    const none = await tcall('GET', csv.id, { downloadid: s.DownloadID, rowrange: '(5,0)', data: '' });
    assert.deepStrictEqual(odps.decodeRecords(none.raw, []), { rows: [], count: 0 });
  });

  await t.test('more than 10,000 rows: the tunnel has them all, the CSV says TRUNCATED', async () => {
    const put = await ots.send(emu, 'PutRow', ots.putRowBody(101, 5, [['speed', 1.25]]));
    assert.strictEqual(put.status, 200, put.body);
    const csv = await b.sql('SELECT * FROM ads_log_ots_pt_external');
    assert.strictEqual(csv.status, 'Success');
    assert.strictEqual(csv.descriptor.SelectResultStatus, 'TRUNCATED');
    assert.strictEqual(csv.rows.length, 10000);
    const r = await odps.tunnelRead(emu, ETL, csv.id);
    assert.strictEqual(r.session.RecordCount, 10001);
    assert.strictEqual(r.count, 10001);
    assert.deepStrictEqual(r.rows.slice(0, 10000).map((x) => x.map(String)), csv.rows.map((x) => x.map((v) => String(Number(v)))));
    // The new row: only speed was written, so the other attributes are NULL
    // (omitted from the record, not zero).
    assert.deepStrictEqual(r.rows[10000], [101, 5, null, null, null, 1.25, null]);
  });

  await t.test('the service\'s errors: DDL instances, ranges, columns, ids', async () => {
    const ddl = await b.sql('SHOW TABLES');
    errorXml(await tcall('POST', ddl.id, { downloads: '' }, { 'Content-Length': '0' }), 400, 'InstanceTypeNotSupported', /not a SELECT/);
    const bad = await b.sql('SELECT nope FROM ads_log_ots_pt_external');
    assert.strictEqual(bad.status, 'Failed');
    errorXml(await tcall('POST', bad.id, { downloads: '' }), 400, 'InstanceTypeNotSupported', /the task failed/);
    errorXml(await tcall('POST', '20260101000000000gabcdefgh', { downloads: '' }), 404, 'NoSuchObject');

    const sel = await b.sql('SELECT vid FROM ads_log_ots_pt_external LIMIT 3');
    const created = await tcall('POST', sel.id, { downloads: '' });
    assert.strictEqual(created.status, 201, created.body);
    const id = JSON.parse(created.body).DownloadID;
    for (const range of ['(2,2)', '(4,0)', '(0,-1)', '0,3', '(0,3', '(a,1)', '(0,3) x', '(99999999999999999999,1)'])
      errorXml(await tcall('GET', sel.id, { downloadid: id, rowrange: range, data: '' }), 400, 'InvalidRowRange', /^The specified row range is not valid/);
    errorXml(await tcall('GET', sel.id, { downloadid: id, data: '' }), 400, 'InvalidRowRange');
    errorXml(await tcall('GET', sel.id, { downloadid: id, rowrange: '(0,3)', data: '', columns: 'vid,nope' }), 400, 'InvalidColumnSpec', /'nope'/);
    errorXml(await tcall('GET', sel.id, { downloadid: 'nope', rowrange: '(0,3)', data: '' }), 404, 'NoSuchDownload');
    // A second session replaces the first.
    const second = JSON.parse((await tcall('POST', sel.id, { downloads: '' })).body).DownloadID;
    assert.notStrictEqual(second, id);
    errorXml(await tcall('GET', sel.id, { downloadid: id }), 404, 'NoSuchDownload');
    const ok = await tcall('GET', sel.id, { downloadid: second, rowrange: '(0,3)', data: '' });
    assert.strictEqual(odps.decodeRecords(ok.raw, ['bigint']).count, 3);
    // Signatures are checked on the tunnel path like everywhere else.
    const forged = await odps.call(emu, 'GET', tunnelBase(sel.id), { ...etl, badSignature: true, params: { ...etl.params, downloadid: second } });
    errorXml(forged, 401, 'SignatureNotMatch');
  });
});
