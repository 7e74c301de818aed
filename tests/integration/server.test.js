'use strict';
// The HTTP front: keep-alive, pipelining, chunked bodies, caps, bad input,
// graceful shutdown. Every assertion is on what a client sees.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, raw, SRC } = require('../support/emu');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/basic.json');

test('server', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('health reports ready with counts', async () => {
    const r = await emu.json('GET', '/_emu/health');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.body.status, 'ready');
    assert.strictEqual(r.body.accounts, 2);
    assert.strictEqual(r.body.users, 2);
    assert.strictEqual(r.body.roles, 1);
    assert.strictEqual(typeof r.body.uptime_ms, 'number');
    assert.match(r.body.version, /^\d+\.\d+\.\d+$/);
  });

  await t.test('ready line names port and pid', async () => {
    assert.strictEqual(emu.info.event, 'ready');
    assert.strictEqual(emu.info.pid, emu.child.pid);
    assert.ok(emu.info.port > 0);
    const line = JSON.parse(emu.stdout.trim().split('\n')[0]);
    assert.deepStrictEqual(line, emu.info);
  });

  await t.test('pipelined requests are answered in order on one connection', async () => {
    const req = (p) => `GET ${p} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    const r = await raw(emu.port, req('/_emu/clock') + req('/_emu/nope') + req('/_emu/health') +
      'GET /_emu/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    const statuses = [...r.text.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => m[1]);
    assert.deepStrictEqual(statuses, ['200', '404', '200', '200']);
    assert.ok(r.text.indexOf('"now"') < r.text.indexOf('NotFound'));
    assert.ok(r.closed, 'Connection: close honoured');
  });

  await t.test('chunked request bodies are accepted', async () => {
    const body = '{"advance_seconds":0}';
    const r = await raw(emu.port, 'POST /_emu/clock HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n' +
      'Connection: close\r\n\r\n' + body.length.toString(16) + '\r\n' + body + '\r\n0\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 200/);
    assert.match(r.text, /"offset_ms"/);
  });

  await t.test('malformed request gets 400 and the connection is closed', async () => {
    const r = await raw(emu.port, 'GARBAGE\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 400 Bad Request/);
    assert.ok(r.closed);
    const h = await emu.json('GET', '/_emu/health');
    assert.strictEqual(h.status, 200, 'the server keeps serving others');
  });

  await t.test('bad chunk size gets 400', async () => {
    const r = await raw(emu.port, 'POST /_emu/clock HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    assert.match(r.text, /^HTTP\/1\.1 400/);
    assert.ok(r.closed);
  });

  await t.test('oversized header block gets 431', async () => {
    const big = 'x'.repeat(70 * 1024);
    const r = await raw(emu.port, `GET /_emu/health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${big}\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 431/);
    assert.ok(r.closed);
  });

  await t.test('too many headers gets 431', async () => {
    let h = '';
    for (let i = 0; i < 150; i++) h += `X-H${i}: v\r\n`;
    const r = await raw(emu.port, `GET /_emu/health HTTP/1.1\r\nHost: localhost\r\n${h}\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 431/);
  });

  await t.test('too long URL gets 414', async () => {
    const r = await raw(emu.port, `GET /?${'a'.repeat(40 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 414/);
    assert.ok(r.closed);
  });

  await t.test('declared body over the cap gets 413 before it is sent', async () => {
    const r = await raw(emu.port, 'POST /_emu/clock HTTP/1.1\r\nHost: localhost\r\nContent-Length: 999999999\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 413/);
    assert.ok(r.closed);
  });

  await t.test('unrouted request says what acsemu serves', async () => {
    const r = await emu.json('GET', '/nothing/here');
    assert.strictEqual(r.status, 404);
    assert.strictEqual(r.body.Code, 'NotFound');
    assert.match(r.body.Message, /Tablestore/);
    // every registered RPC product with its version, not a list kept by hand
    for (const p of ['sts 2015-04-01', 'ram 2015-05-01', 'resourcemanager 2020-03-31', 'ims 2019-08-15', 'tablestore 2020-12-09']) {
      assert.ok(r.body.Message.includes(p), `${p} in ${r.body.Message}`);
    }
  });

  await t.test('random bytes never crash the server', async () => {
    let seed = 7;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return seed; };
    for (let i = 0; i < 30; i++) {
      const b = Buffer.alloc(1 + (rnd() % 600));
      for (let k = 0; k < b.length; k++) b[k] = rnd() & 0xff;
      await raw(emu.port, b, 300);
    }
    const h = await emu.json('GET', '/_emu/health');
    assert.strictEqual(h.status, 200);
  });
});

test('SIGTERM finishes and exits 0', async () => {
  const emu = await start({ world: WORLD });
  const inflight = emu.json('GET', '/_emu/health');
  const r = await inflight;
  assert.strictEqual(r.status, 200);
  const res = await emu.stop();
  assert.strictEqual(res.code, 0);
});
