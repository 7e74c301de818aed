'use strict';
// The malformed-input matrix (issue 9, item 4): truncated and oversized
// bodies, bad chunk sizes, header floods, non-UTF-8, huge numbers, deeply
// nested JSON (admin bodies, RPC policy documents), protobuf with wrong wire
// types, PlainBuffer with bad CRCs. Each case asserts the status and the
// error code of the service that answers, then that a fresh connection is
// served by every service. Framing errors (chunk sizes, header floods,
// declared sizes over the cap, bodies that never arrive) are found by the
// HTTP layer; it answers 400/408/413/431 and closes. When the header block
// arrived, Tablestore requests get Tablestore's protobuf Error
// (OTSRequestBodyTooLarge for 413); anything else gets a short text body. Runs under ASan in CI (ctest integration).
const test = require('node:test');
const assert = require('node:assert');
const { start, raw } = require('../support/emu');
const { client } = require('../support/rpc');
const ots = require('../support/ots');

const AK = 'LTAIemuAccountA12345';
const SECRETS = { [AK]: 'emu-secret-account-a' };

let emu, call;
test.before(async () => {
  // Short header/body timeouts so a body that never comes is answered fast, yet
  // long enough that a 9 MB body sent on a loaded machine is not cut first.
  emu = await start({ args: ['--header-timeout', '2500'] });
  call = client(emu, SECRETS);
});
test.after(async () => { await emu.stop(); });

// Every service answers on a fresh connection.
async function healthy() {
  assert.strictEqual((await emu.request('GET', '/_emu/health')).status, 200, 'admin');
  const g = await ots.send(emu, 'GetRow', ots.getRowBody(1, 1));
  assert.strictEqual(g.status, 200, 'ots: ' + g.raw.toString());
  const r = await call(AK, 'GetCallerIdentity', {}, { product: 'sts' });
  assert.strictEqual(r.status, 200, 'sts: ' + JSON.stringify(r.body));
}

function otsErr(r, status, code, re) {
  assert.strictEqual(r.status, status, r.raw.toString('latin1'));
  const e = ots.errorOf(r.raw);
  assert.strictEqual(e.code, code);
  if (re) assert.match(e.message, re);
}

function rpcErr(r, status, code, re) {
  assert.strictEqual(r.status, status, JSON.stringify(r.body));
  assert.strictEqual(r.body.Code, code, JSON.stringify(r.body));
  assert.match(r.body.RequestId, /^[0-9A-F-]{36}$/);
  if (re) assert.match(r.body.Message, re);
}

async function adminErr(p, body, status, code, re) {
  const r = await emu.request('POST', p, body, { 'content-type': 'application/json' });
  assert.strictEqual(r.status, status, r.body);
  const j = JSON.parse(r.body);
  assert.strictEqual(j.error.code, code);
  if (re) assert.match(j.error.message, re);
}

// A raw exchange answered by the HTTP layer: status, then closed.
// (A server that closes with unread bytes in its socket sends a reset, not
// a FIN: `rst` accepts that.) When the header block was complete, the
// service it names answers in its own format: `otsCode` is the Tablestore
// error code expected in a protobuf Error, else the answer is plain text.
async function framing(bytes, status, ms = 2000, rst = false, otsCode = null) {
  const r = await raw(emu.port, bytes, ms);
  assert.match(r.text, new RegExp(`^HTTP/1\\.1 ${status} `), JSON.stringify(r.text.slice(0, 200)));
  if (!rst) assert.ok(r.closed, 'connection closed after a framing error');
  const head = r.text.slice(0, r.text.indexOf('\r\n\r\n'));
  if (otsCode) {
    assert.match(head, /\r\nx-ots-requestid: /i);
    assert.strictEqual(ots.errorOf(Buffer.from(r.text.slice(head.length + 4), 'latin1')).code, otsCode);
  } else {
    assert.match(head, /\r\nContent-Type: text\/plain/i);
  }
}

const otsHead = (op, extra = '') => `POST /${op} HTTP/1.1\r\nHost: cap1.localhost\r\nx-ots-apiversion: 2015-12-31\r\n${extra}`;
const PUT = ots.putRowBody(7, 7);
const otsRaw = (body) => ots.send(emu, 'PutRow', body);
const withRow = (row) => Buffer.concat([ots.pbString(1, ots.TABLE), ots.pbBytes(2, row), ots.IGNORE]);

const cases = [
  // --- HTTP framing ------------------------------------------------------------
  ['bad chunk size', () => framing(otsHead('PutRow') + 'Transfer-Encoding: chunked\r\n\r\nzz\r\n', 400,
    2000, false, 'OTSParameterInvalid')],
  ['chunk size past 2^64', () => framing(otsHead('PutRow') + 'Transfer-Encoding: chunked\r\n\r\n' +
    'f'.repeat(40) + '\r\nabc\r\n', 400, 2000, false, 'OTSParameterInvalid')],
  ['chunked body over the 8 MB cap', () => framing(Buffer.concat([Buffer.from(otsHead('PutRow') +
    'Transfer-Encoding: chunked\r\n\r\nffffffff\r\n'), Buffer.alloc(9 * 1024 * 1024, 0x41)]), 413, 4000, true,
    'OTSRequestBodyTooLarge')],
  ['header flood: 150 headers', () => {
    let h = '';
    for (let i = 0; i < 150; i++) h += `x-ots-h${i}: v\r\n`;
    return framing(otsHead('GetRow') + h + '\r\n', 431);
  }],
  ['header flood: one 70 KB header', () => framing(otsHead('GetRow') + `x-big: ${'x'.repeat(70 * 1024)}\r\n\r\n`, 431)],
  ['declared body over the cap', () => framing(otsHead('PutRow') + 'Content-Length: 999999999\r\n\r\n', 413,
    2000, false, 'OTSRequestBodyTooLarge')],
  ['RPC body over the cap: plain text (no RPC code for it)', () => framing('POST /?Action=GetCallerIdentity&' +
    'Version=2015-04-01 HTTP/1.1\r\nHost: sts.localhost\r\nContent-Length: 999999999\r\n\r\n', 413)],
  ['Content-Length that is not a number', () => framing(otsHead('PutRow') + 'Content-Length: 12abc\r\n\r\n', 400)],
  ['truncated body, never finished', () => framing(otsHead('PutRow') + 'Content-Length: 100\r\n\r\n' +
    PUT.subarray(0, 20).toString('latin1'), 408, 8000, false, 'OTSParameterInvalid')],
  ['truncated body, client hangs up', async () => {
    const r = await raw(emu.port, Buffer.concat([Buffer.from(otsHead('PutRow') + 'Content-Length: 100\r\n\r\n'),
      PUT.subarray(0, 20)]), 50);
    assert.strictEqual(r.text, '');
  }],

  // --- Tablestore: protobuf Error with the service's code ----------------------
  ['OTS truncated protobuf', async () => otsErr(await otsRaw(PUT.subarray(0, PUT.length - 7)), 400,
    'OTSParameterInvalid', /Parse PBMessage/)],
  ['OTS wrong wire type (table_name as varint)', async () => otsErr(await otsRaw(Buffer.concat([ots.pbInt(1, 5),
    PUT.subarray(PUT.indexOf(0x12))])), 400, 'OTSParameterInvalid', /Parse PBMessage/)],
  ['OTS wrong wire type (row as fixed64)', async () => otsErr(await otsRaw(Buffer.concat([ots.pbString(1, ots.TABLE),
    Buffer.from([0x11, 1, 2, 3, 4, 5, 6, 7, 8]), ots.IGNORE])), 400, 'OTSParameterInvalid')],
  ['OTS 11-byte varint', async () => otsErr(await ots.send(emu, 'GetRow', Buffer.concat([ots.getRowBody(1, 1),
    Buffer.from([0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])), 400, 'OTSParameterInvalid')],
  ['OTS huge max_versions', async () => otsErr(await ots.send(emu, 'GetRow', Buffer.concat([ots.pbString(1, ots.TABLE),
    ots.pbBytes(2, ots.plainRow(ots.pk(1, 1))), ots.pbInt(5, 1n << 62n)])), 400, 'OTSParameterInvalid', /max versions/)],
  ['OTS huge INTEGER primary key', async () => {
    const r = await ots.send(emu, 'GetRow', Buffer.concat([ots.pbString(1, ots.TABLE),
      ots.pbBytes(2, ots.plainRow([['vid', (1n << 63n) - 1n], ['gt', -(1n << 63n)]])), ots.pbInt(5, 1)]));
    assert.strictEqual(r.status, 200); // a valid (absent) key: extremes are values, not errors
  }],
  ['PlainBuffer bad row CRC', async () => otsErr(await otsRaw(withRow(ots.plainRow(ots.pk(1, 1), [['speed', 1.5]],
    { badCrc: true }))), 400, 'OTSParameterInvalid', /checksum/)],
  ['PlainBuffer bad cell CRC', async () => {
    const row = ots.plainRow(ots.pk(1, 1), [['speed', 1.5]]);
    const i = row.indexOf(Buffer.from([0x0a]), row.indexOf(Buffer.from('vid')) + 3); // first cell checksum tag
    row[i + 1] ^= 0xff;
    otsErr(await otsRaw(withRow(row)), 400, 'OTSParameterInvalid', /checksum/);
  }],
  ['PlainBuffer truncated', async () => otsErr(await otsRaw(withRow(ots.plainRow(ots.pk(1, 1)).subarray(0, 17))), 400,
    'OTSParameterInvalid')],
  ['PlainBuffer name length past the end', async () => {
    const row = ots.plainRow(ots.pk(1, 1));
    row.writeUInt32LE(0x7fffffff, 7); // first cell's name length
    otsErr(await otsRaw(withRow(row)), 400, 'OTSParameterInvalid');
  }],
  ['OTS non-UTF-8 table name', async () => otsErr(await otsRaw(Buffer.concat([ots.pbBytes(1, Buffer.from([0xff, 0xfe])),
    ots.pbBytes(2, ots.plainRow(ots.pk(1, 1))), ots.IGNORE])), 404, 'OTSObjectNotExist')],
  ['OTS body over the service limit (6 MB)', async () => otsErr(await otsRaw(Buffer.alloc(6 * 1024 * 1024, 1)), 413,
    'OTSRequestBodyTooLarge')],

  // --- RPC (STS, RAM): JSON error body with Code ------------------------------------
  ['RPC non-UTF-8 parameter', async () => rpcErr(await call(AK, 'CreateUser',
    { UserName: Buffer.from([0xff, 0xfe, 0x41]).toString('latin1') }), 400, 'InvalidParameter.UserName.InvalidChars')],
  ['RPC huge number (MaxItems)', async () => rpcErr(await call(AK, 'ListUsers', { MaxItems: '1' + '0'.repeat(40) }), 400,
    'InvalidParameter')],
  ['RPC huge number (DurationSeconds)', async () => rpcErr(await call(AK, 'AssumeRole', {
    RoleArn: 'acs:ram::12345:role/x', RoleSessionName: 'session-1', DurationSeconds: '9'.repeat(30),
  }, { product: 'sts' }), 400, 'InvalidParameter.DurationSeconds')],
  ['RPC deeply nested policy document', async () => rpcErr(await call(AK, 'CreatePolicy', {
    PolicyName: 'deep', PolicyDocument: '{"Version":"1","Statement":' + '['.repeat(2000) + ']'.repeat(2000) + '}',
  }, { post: true }), 400, 'MalformedPolicyDocument', /nested deeper/)],
  ['RPC policy document over the size cap', async () => rpcErr(await call(AK, 'CreatePolicy', {
    PolicyName: 'big', PolicyDocument: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"${'a'.repeat(7000)}","Resource":"*"}]}`,
  }, { post: true }), 400, 'InvalidParameter.PolicyDocument.Length')],
  ['RPC non-UTF-8 policy document', async () => rpcErr(await call(AK, 'CreatePolicy', {
    PolicyName: 'nu', PolicyDocument: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:\xff\xfe","Resource":"*"}]}',
  }, { post: true }), 400, 'MalformedPolicyDocument')],
  ['RPC truncated policy document', async () => rpcErr(await call(AK, 'CreatePolicy', {
    PolicyName: 'cut', PolicyDocument: '{"Version":"1","Statement":[{"Effect":"Allow","Act',
  }, { post: true }), 400, 'MalformedPolicyDocument')],
  ['RPC malformed percent-encoding', async () => {
    const r = await emu.request('GET', '/?Action=ListUsers&Version=2015-05-01&X=%4');
    rpcErr({ status: r.status, body: JSON.parse(r.body) }, 400, 'InvalidParameter', /percent/);
  }],
  ['RPC body of the wrong content type', async () => {
    const r = await emu.request('POST', '/?Action=ListUsers&Version=2015-05-01', '<x/>', { 'content-type': 'text/xml' });
    rpcErr({ status: r.status, body: JSON.parse(r.body) }, 400, 'InvalidParameter.ContentType');
  }],
  ['RPC parameter flood', async () => {
    const q = Array.from({ length: 400 }, (_, i) => `P${i}=1`).join('&');
    const r = await emu.request('GET', `/?Action=ListUsers&Version=2015-05-01&${q}`);
    rpcErr({ status: r.status, body: JSON.parse(r.body) }, 400, 'InvalidParameter', /parameters/);
  }],

  // --- admin API: {"error": {code, message}} --------------------------------------------
  ['admin deeply nested JSON', () => adminErr('/_emu/clock', '['.repeat(100000), 400, 'MalformedJSON', /nested deeper/)],
  ['admin deeply nested fault rules', () => adminErr('/_emu/faults', '{"rules":' + '['.repeat(70) + ']'.repeat(70) + '}',
    400, 'MalformedJSON')],
  ['admin truncated JSON', () => adminErr('/_emu/faults', '{"rules":[{"error":"OTSServ', 400, 'MalformedJSON')],
  ['admin body over 1 MB', () => adminErr('/_emu/clock', `{"a":"${'x'.repeat(1100 * 1024)}"}`, 413, 'BodyTooLarge')],
  ['admin huge number', () => adminErr('/_emu/clock', `{"advance_seconds":${'9'.repeat(400)}}`, 400, 'InvalidClockRequest')],
  ['admin non-UTF-8 in a fault rule', () => adminErr('/_emu/faults',
    Buffer.from('{"action":"\xff\xfe","error":"OTSServerBusy"}', 'latin1'), 400, 'InvalidFaultRule', /UTF-8/)],
  ['admin huge count in a fault rule', () => adminErr('/_emu/faults', '{"error":"OTSServerBusy","count":1e300}', 400,
    'InvalidFaultRule', /count/)],

  // --- MaxCompute: XML error ---------------------------------------------------------------
  ['ODPS request without credentials', async () => {
    const r = await emu.request('GET', '/api/projects/%FF%FE');
    assert.strictEqual(r.status, 401);
    assert.match(r.body, /<Code>AuthorizationRequired<\/Code>/);
  }],
];

for (const [name, fn] of cases) {
  test(name, async () => {
    await fn();
    await healthy();
  });
}

test('no rule or row was left behind by the bad input', async () => {
  assert.deepStrictEqual((await emu.json('GET', '/_emu/faults')).body.rules, []);
  const g = await ots.send(emu, 'GetRow', ots.getRowBody(7, 7));
  assert.strictEqual(g.status, 200);
  assert.strictEqual((ots.pbDecode(g.raw)[2] || [Buffer.alloc(0)])[0].length, 0);
});
