'use strict';
// The global budget for buffered request bodies (issue 15 item 4): slow
// clients that hold large bodies open cannot make the server buffer without
// bound. Past --max-buffered-bytes a new body is read and dropped, and the
// request gets its service's own busy error (Tablestore OTSServerBusy, RPC
// ServiceUnavailable, MaxCompute ServiceUnavailable, all 503) on a
// connection that stays usable; once the held bodies drain, bodies are
// served again and nothing of the budget leaks.
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const { start } = require('../support/emu');
const ots = require('../support/ots');
const odps = require('../support/odps');

const BUDGET = 1000000;
const HELD = 450000; // two held bodies take 900,000 of the budget
const BIG = 200000; // more than what is left, less than the budget
const ETL = { ak: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl', params: { curr_project: 'b_project' } };

// A client that sends its headers and the first byte of a HELD-byte body,
// then waits. finish() sends the rest and resolves with the status line.
async function holder(port) {
  const s = net.connect(port, '127.0.0.1');
  let text = '';
  s.on('data', (d) => { text += d.toString('latin1'); });
  s.on('error', () => {});
  await new Promise((r, j) => { s.once('connect', r); s.once('error', j); });
  s.write(`POST /?Format=JSON HTTP/1.1\r\nHost: sts.aliyuncs.com\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${HELD}\r\n\r\nA`);
  return {
    s,
    async finish() {
      s.write('=' + 'x'.repeat(HELD - 2));
      const end = Date.now() + 5000;
      while (!/^HTTP\/1\.1 \d+/.test(text) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      s.destroy();
      return Number((/^HTTP\/1\.1 (\d+)/.exec(text) || [])[1]);
    },
  };
}

const bigRpc = (emu, headers = {}) => emu.request('POST', '/?Format=JSON',
  'Action=GetCallerIdentity&Padding=' + 'x'.repeat(BIG),
  { host: 'sts.aliyuncs.com', 'content-type': 'application/x-www-form-urlencoded', ...headers });
const bigPut = (vid) => ots.putRowBody(vid, 1, [['blob', 'b'.repeat(BIG)]]);

test('buffered request bodies: past the budget, each service answers its own busy error', async (t) => {
  const emu = await start({ args: ['--max-buffered-bytes', String(BUDGET), '--log-level', 'warn'] });
  t.after(() => emu.stop());

  const held = [await holder(emu.port), await holder(emu.port)];
  // Both holders' headers are in (their Content-Length is reserved then).
  await new Promise((r) => setTimeout(r, 200));

  // Tablestore: OTSServerBusy 503, a protobuf Error, a request id.
  const o = await ots.send(emu, 'PutRow', bigPut(900001));
  assert.strictEqual(o.status, 503);
  assert.deepStrictEqual(ots.errorOf(o.raw), { code: 'OTSServerBusy', message: 'Server is busy.' });
  assert.ok(o.headers['x-ots-requestid'], 'an x-ots-requestid');

  // RPC (STS here): ServiceUnavailable 503 in the JSON the query asks for;
  // a chunked body is counted as it arrives and refused the same way.
  for (const extra of [{}, { 'transfer-encoding': 'chunked' }]) {
    const r = await bigRpc(emu, extra);
    assert.strictEqual(r.status, 503, r.body);
    const e = JSON.parse(r.body);
    assert.strictEqual(e.Code, 'ServiceUnavailable');
    assert.ok(e.RequestId && e.Message, r.body);
  }

  // MaxCompute: ServiceUnavailable 503, its XML error.
  const m = await odps.call(emu, 'POST', '/api/projects/b_project/instances',
    { ...ETL, contentType: 'application/xml', body: odps.instanceXml('SELECT 1;' + ' '.repeat(BIG)) });
  assert.strictEqual(m.status, 503, m.body);
  assert.strictEqual(odps.xmlText(m.body, 'Code'), 'ServiceUnavailable');

  // The admin API: its JSON error.
  const a = await emu.request('POST', '/_emu/clock', JSON.stringify({ advance_seconds: 1, pad: 'p'.repeat(BIG) }),
    { 'content-type': 'application/json' });
  assert.strictEqual(a.status, 503, a.body);
  assert.strictEqual(JSON.parse(a.body).error.code, 'ServiceUnavailable');

  // Nothing was executed: the row is not there, the clock did not move.
  const g = await ots.send(emu, 'GetRow', ots.getRowBody(900001, 1));
  assert.strictEqual(g.status, 200);
  assert.ok(!g.raw.includes(Buffer.from('blob')), 'the refused PutRow wrote nothing');
  assert.strictEqual((await emu.json('GET', '/_emu/clock')).body.offset_ms, 0);

  // Small bodies still fit, and requests without one are served meanwhile.
  assert.strictEqual((await ots.send(emu, 'PutRow', ots.putRowBody(900002, 1))).status, 200);
  assert.strictEqual((await emu.request('GET', '/_emu/health')).status, 200);

  // The holders drain: one finishes its body (answered), one goes away.
  assert.ok((await held[0].finish()) > 0, 'the held request is answered');
  held[1].s.destroy();
  await new Promise((r) => setTimeout(r, 200));

  // Large bodies are served again, one after another: 10 x 200 KB is twice
  // the budget, so a share that was not given back would show here.
  for (let i = 0; i < 10; i++) {
    const p = await ots.send(emu, 'PutRow', bigPut(900010 + i));
    assert.strictEqual(p.status, 200, `PutRow ${i}: ${ots.errorOf(p.raw).code}`);
    assert.notStrictEqual((await bigRpc(emu)).status, 503, `RPC ${i}`);
  }
  const h = (await emu.json('GET', '/_emu/health')).body;
  assert.strictEqual(h.status, 'ready');
});

test('--max-buffered-bytes: bad values are refused with the range', async () => {
  const { run } = require('../support/emu');
  for (const v of ['0', '-1', 'lots', String(2 ** 40 + 1)]) {
    const r = await run(['--max-buffered-bytes', v, '--port', '0']);
    assert.strictEqual(r.code, 2, v);
    assert.match(r.stderr, /--max-buffered-bytes: .* is not a number of bytes/);
  }
});
