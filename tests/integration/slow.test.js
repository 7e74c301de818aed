'use strict';
// Slow and idle clients: a dribbling client gets 408 and is closed, a body
// that never finishes gets 408, an idle connection is closed, and none of
// them holds up anybody else.
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const path = require('node:path');
const { start, SRC } = require('../support/emu');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/basic.json');

function connect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.received = '';
    s.on('data', (d) => { s.received += d.toString('latin1'); });
    s.ended = new Promise((r) => s.on('close', r));
    s.on('error', () => {});
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('slow clients', async (t) => {
  const emu = await start({ world: WORLD, args: ['--header-timeout', '400', '--idle-timeout', '600'] });
  t.after(() => emu.stop());

  await t.test('headers dribbled past the timeout get 408, others are served meanwhile', async () => {
    const slow = await connect(emu.port);
    const t0 = Date.now();
    slow.write('GET /_emu/health HTTP/1.1\r\n');
    let others = 0;
    for (let i = 0; i < 5; i++) {
      slow.write(`X-Drip-${i}: ${i}\r\n`);
      const h = await emu.json('GET', '/_emu/health');
      assert.strictEqual(h.status, 200);
      others++;
      await sleep(50);
    }
    await slow.ended;
    const waited = Date.now() - t0;
    assert.match(slow.received, /^HTTP\/1\.1 408 Request Timeout/);
    assert.ok(waited >= 350 && waited < 5000, `closed after ${waited} ms`);
    assert.strictEqual(others, 5);
  });

  await t.test('a body that never finishes gets 408', async () => {
    const s = await connect(emu.port);
    s.write('POST /_emu/clock HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"advance');
    await s.ended;
    assert.match(s.received, /^HTTP\/1\.1 408/);
    assert.match(s.received, /body not received in time/);
  });

  await t.test('an idle keep-alive connection is closed quietly', async () => {
    const s = await connect(emu.port);
    s.write('GET /_emu/health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const t0 = Date.now();
    await s.ended;
    const waited = Date.now() - t0;
    assert.match(s.received, /^HTTP\/1\.1 200/);
    assert.strictEqual((s.received.match(/HTTP\/1\.1/g) || []).length, 1, 'no 408 for an idle connection');
    assert.ok(waited >= 500, `closed after ${waited} ms`);
  });

  await t.test('bad timeout options are refused', async () => {
    const { run } = require('../support/emu');
    const r = await run(['--header-timeout', '0']);
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /--header-timeout: "0" is not a number of milliseconds/);
  });
});
