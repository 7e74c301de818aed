'use strict';
// Tablestore service glue against the real binary, with hand-signed raw
// requests (no SDK): the §3.3 authentication order and texts, the §4.2
// response headers and response signature, Host forms for the instance,
// unsupported operations, body limits, protobuf parse errors, and the
// authorization of a principal of another account.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, SRC } = require('../support/emu');
const { A, pbString, pbBytes, pbInt, pbDecode, b64md5, signed, responseAuthorization, errorOf, plainRow, pk } = require('../support/ots');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const B = { ak: 'LTAIemuAccountB56789', secret: 'emu-secret-account-b' };

// Requests are signed by tests/support/ots.js (§3.1), with its options for
// breaking them on purpose; responses must carry the §4.2 signature.
function verifyResponse(r, op, cred) {
  assert.strictEqual(r.headers.authorization, responseAuthorization(r.headers, op, cred));
}

const errOf = (r) => errorOf(r.raw);

async function ots(emu, op, body = Buffer.alloc(0), o = {}) {
  const r = await emu.request(o.method || 'POST', '/' + op, body, signed(op, body, o));
  // Every answer carries the §4.2 headers, success or error.
  assert.strictEqual(r.headers['x-ots-contentmd5'], b64md5(r.raw), op + ' md5');
  assert.match(r.headers['x-ots-requestid'], /^[0-9A-F-]{36}$/);
  assert.match(r.headers['x-ots-date'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.strictEqual(r.headers['x-ots-contenttype'], 'protocol buffer');
  assert.strictEqual(r.headers['content-type'], undefined);
  return r;
}

const tableReq = (name) => pbString(1, name);

test('Tablestore wire protocol against acsemu', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('ListTable: protobuf answer, signed response, real-clock date', async () => {
    const r = await ots(emu, 'ListTable');
    assert.strictEqual(r.status, 200);
    const names = (pbDecode(r.raw)[1] || []).map(String);
    assert.deepStrictEqual(names, ['vehicle_track']);
    verifyResponse(r, 'ListTable', A);
    const skew = Math.abs(Date.parse(r.headers['x-ots-date']) - Date.now());
    assert.ok(skew < 60000, 'x-ots-date on the real clock');
  });

  await t.test('empty batches: a table entry without rows, and no table at all', async () => {
    // BatchWriteRow: the empty table is named; no table entry has no row at all.
    let r = await ots(emu, 'BatchWriteRow', pbBytes(1, pbString(1, 'vehicle_track')));
    assert.deepStrictEqual([r.status, errOf(r).message], [400, "No operation is specified for table: 'vehicle_track'."]);
    r = await ots(emu, 'BatchWriteRow');
    assert.deepStrictEqual([r.status, errOf(r).message], [400, 'No row is specified in BatchWriteRow.']);
    // BatchGetRow: the empty table is answered with no rows; no table entry is the error.
    r = await ots(emu, 'BatchGetRow', pbBytes(1, Buffer.concat([pbString(1, 'vehicle_track'), pbInt(6, 1)])));
    assert.strictEqual(r.status, 200, errOf(r).message);
    const tables = pbDecode(r.raw)[1];
    assert.strictEqual(tables.length, 1);
    assert.strictEqual(pbDecode(tables[0])[1][0].toString(), 'vehicle_track');
    assert.strictEqual(pbDecode(tables[0])[2], undefined, 'no rows');
    r = await ots(emu, 'BatchGetRow');
    assert.deepStrictEqual([r.status, errOf(r).message], [400, 'No row specified in the request of BatchGetRow.']);
  });

  await t.test('no version condition: GetRow and GetRange say less than BatchGetRow (Java ParameterLegalityTest)', async () => {
    const key = plainRow(pk(1, 1));
    let r = await ots(emu, 'GetRow', Buffer.concat([pbString(1, 'vehicle_track'), pbBytes(2, key)]));
    assert.deepStrictEqual([r.status, errOf(r).message], [400, 'No version condition is specified.']);
    r = await ots(emu, 'GetRange', Buffer.concat([pbString(1, 'vehicle_track'), pbInt(2, 0),
      pbBytes(7, plainRow(pk(1, 1))), pbBytes(8, plainRow(pk(2, 1)))]));
    assert.deepStrictEqual([r.status, errOf(r).message], [400, 'No version condition is specified.']);
    r = await ots(emu, 'BatchGetRow', pbBytes(1, Buffer.concat([pbString(1, 'vehicle_track'), pbBytes(2, key)])));
    assert.deepStrictEqual([r.status, errOf(r).message], [400, 'No version condition is specified while querying row.']);
  });

  await t.test('DescribeTable: meta, options, status', async () => {
    const r = await ots(emu, 'DescribeTable', tableReq('vehicle_track'));
    assert.strictEqual(r.status, 200);
    const m = pbDecode(r.raw);
    const meta = pbDecode(m[1][0]);
    assert.strictEqual(meta[1][0].toString(), 'vehicle_track');
    assert.deepStrictEqual(meta[2].map((p) => pbDecode(p)[1][0].toString()), ['vid', 'gt']);
    const opts = pbDecode(m[3][0]);
    assert.strictEqual(BigInt.asIntN(32, opts[1][0]), -1n); // TTL -1 as a 10-byte varint
    assert.strictEqual(opts[2][0], 1n);
    assert.strictEqual(opts[5][0], 86400n);
    assert.strictEqual(m[4][0], 1n); // table_status ACTIVE
    verifyResponse(r, 'DescribeTable', A);
  });

  await t.test('errors of authentication, in the order of §3.3', async () => {
    const cases = [
      [{ omit: ['x-ots-date'] }, 400, 'OTSParameterInvalid', 'Missing header: x-ots-date.'],
      [{ omit: ['x-ots-contentmd5'] }, 400, 'OTSParameterInvalid', 'Missing header: x-ots-contentmd5.'],
      [{ omit: ['x-ots-signature'] }, 400, 'OTSParameterInvalid', 'Missing header: x-ots-signature.'],
      [{ date: 'yesterday' }, 400, 'OTSParameterInvalid', 'Invalid date format: yesterday.'],
      [{ cred: { ak: 'LTAInobody', secret: 'x' } }, 403, 'OTSAuthFailed', 'The AccessKeyID does not exist.'],
      [{ cred: { ak: 'LTAIemuOtsOffA12345', secret: 'emu-secret-ots-off' } }, 403, 'OTSAuthFailed', 'The AccessKeyID is disabled.'],
      [{ md5: b64md5(Buffer.from('other')) }, 403, 'OTSAuthFailed',
        'Mismatch between MD5 value of request body and x-ots-contentmd5 in header.'],
      [{ secret: 'wrong-secret' }, 403, 'OTSAuthFailed', 'Signature mismatch.'],
      // From here on the signature verified: the answer is signed.
      [{ date: '2025-01-01T00:00:00.000Z' }, 403, 'OTSAuthFailed',
        'Mismatch between system time and x-ots-date: 2025-01-01T00:00:00.000Z.', true],
      [{ instance: 'nosuch' }, 403, 'OTSAuthFailed', 'The instance is not found.', true],
    ];
    for (const [o, status, code, message, isSigned] of cases) {
      const r = await ots(emu, 'ListTable', Buffer.alloc(0), o);
      assert.strictEqual(r.status, status, message);
      assert.deepStrictEqual(errOf(r), { code, message });
      // A request whose signature did not verify gets no response signature.
      if (isSigned) verifyResponse(r, 'ListTable', A);
      else assert.strictEqual(r.headers.authorization, undefined, message);
    }
  });

  await t.test('Go-style header case and a Go-style date fraction are accepted', async () => {
    const body = Buffer.alloc(0);
    const h = signed('ListTable', body, { date: new Date().toISOString().replace(/\.\d+Z$/, '.1112Z') });
    const up = {};
    for (const [k, v] of Object.entries(h)) up[k.replace(/(^|-)([a-z])/g, (m, a, c) => a + c.toUpperCase())] = v;
    const r = await emu.request('POST', '/ListTable', body, up);
    assert.strictEqual(r.status, 200);
  });

  await t.test('the instance may come from the Host instead of x-ots-instancename', async () => {
    for (const host of ['cap1.cn-hangzhou.ots-internal.aliyuncs.com', 'cap1.cn-hangzhou.ots.aliyuncs.com', 'cap1.localhost']) {
      const r = await ots(emu, 'ListTable', Buffer.alloc(0), { omit: ['x-ots-instancename'], host });
      assert.strictEqual(r.status, 200, host);
    }
    const r = await ots(emu, 'ListTable', Buffer.alloc(0), { omit: ['x-ots-instancename'], host: '127.0.0.1' });
    assert.deepStrictEqual(errOf(r), { code: 'OTSParameterInvalid', message: 'Missing header: x-ots-instancename.' });
  });

  await t.test('the clock check follows the real clock, not the virtual one', async () => {
    const c = await emu.json('POST', '/_emu/clock', { advance_seconds: 86400 * 3 });
    assert.strictEqual(c.status, 200);
    const r = await ots(emu, 'ListTable');
    assert.strictEqual(r.status, 200);
    await emu.json('POST', '/_emu/clock', { reset: true });
  });

  await t.test('unsupported operations name themselves, after authentication', async () => {
    for (const op of ['BulkImport', 'BulkExport', 'CreateTimeseriesTable']) {
      const r = await ots(emu, op, pbString(1, 'x'));
      assert.strictEqual(r.status, 400);
      assert.deepStrictEqual(errOf(r), { code: 'OTSParameterInvalid', message: `Unsupported operation: ${op}.` });
      verifyResponse(r, op, A);
    }
    const r = await ots(emu, 'BulkImport', Buffer.alloc(0), { secret: 'bad' });
    assert.strictEqual(errOf(r).message, 'Signature mismatch.');
    // Index calls on a missing table: 404, not "Unsupported operation".
    const meta = Buffer.concat([pbString(1, 'ix'), pbString(2, 'a'), pbInt(4, 0), pbInt(5, 0)]);
    for (const [op, body] of [['CreateIndex', Buffer.concat([pbString(1, 'nosuch'), pbBytes(2, meta)])],
      ['DropIndex', Buffer.concat([pbString(1, 'nosuch'), pbString(2, 'ix')])]]) {
      const x = await ots(emu, op, body);
      assert.strictEqual(x.status, 404);
      assert.deepStrictEqual(errOf(x), { code: 'OTSObjectNotExist', message: 'Requested table does not exist.' });
      verifyResponse(x, op, A);
    }
  });

  await t.test('method, body size and protobuf parse errors', async () => {
    let r = await ots(emu, 'ListTable', undefined, { method: 'GET' });
    assert.strictEqual(r.status, 405);
    assert.strictEqual(errOf(r).code, 'OTSMethodNotAllowed');
    const big = Buffer.alloc(5 * 1024 * 1024 + 10, 1);
    r = await ots(emu, 'PutRow', big);
    assert.strictEqual(r.status, 413);
    assert.deepStrictEqual(errOf(r), { code: 'OTSRequestBodyTooLarge', message: 'The size of POST data is too large.' });
    r = await ots(emu, 'DescribeTable', Buffer.from([0xff, 0xff, 0x01]));
    assert.strictEqual(r.status, 400);
    assert.deepStrictEqual(errOf(r), { code: 'OTSParameterInvalid', message: 'Parse PBMessage from RawString failed.' });
    r = await ots(emu, 'DescribeTable', Buffer.alloc(0)); // required table_name missing
    assert.strictEqual(errOf(r).message, 'Parse PBMessage from RawString failed.');
    verifyResponse(r, 'DescribeTable', A);
  });

  await t.test('table errors: 404 and 409 with the service texts', async () => {
    let r = await ots(emu, 'DescribeTable', tableReq('nosuch'));
    assert.strictEqual(r.status, 404);
    assert.deepStrictEqual(errOf(r), { code: 'OTSObjectNotExist', message: 'Requested table does not exist.' });
    // CreateTable vehicle_track again (the §3.1 body of the notes, 57 bytes).
    const create = Buffer.from('0a200a0d76656869636c655f747261636b12070a03766964100112060a026774100112060a04080010001a0d08ffffffffffffffffff011001', 'hex');
    r = await ots(emu, 'CreateTable', create);
    assert.strictEqual(r.status, 409);
    assert.deepStrictEqual(errOf(r), { code: 'OTSObjectAlreadyExist', message: 'Requested table already exists.' });
  });

  await t.test('a principal of another account gets OTSNoPermissionAccess', async () => {
    for (const op of ['ListTable', 'DescribeTable']) {
      const r = await ots(emu, op, op === 'ListTable' ? Buffer.alloc(0) : tableReq('vehicle_track'), { cred: B });
      assert.strictEqual(r.status, 403);
      const m = pbDecode(r.raw);
      assert.strictEqual(m[1][0].toString(), 'OTSNoPermissionAccess');
      assert.strictEqual(m[2][0].toString(),
        'You have no permission to access the requested resource, please contact the resource owner');
      const detail = pbDecode(m[3][0]);
      assert.strictEqual(detail[1][0].toString(), 'ots:' + op);
      assert.strictEqual(detail[3][0].toString(), '56789');
      // Python needs authorization on 403s that are not OTSAuthFailed.
      verifyResponse(r, op, B);
    }
    // B's own instance works for B.
    const r = await ots(emu, 'ListTable', Buffer.alloc(0), { cred: B, instance: 'bcap' });
    assert.strictEqual(r.status, 200);
  });

  await t.test('the access log names the operation and the decision', async () => {
    assert.match(emu.stderr, /ots DescribeTable POST principal=acs:ram::56789:root status=403/);
  });
});
