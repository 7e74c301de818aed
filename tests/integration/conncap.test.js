'use strict';
// The connection cap (issue 15 item 3): at --max-connections, a new client
// closes the longest-idle keep-alive connection and is served, instead of
// being reset while idle connections hold every slot. Connections with a
// request in progress (slow header senders) are never taken; they are cut
// by the header timeout as before.
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const { start } = require('../support/emu');

const CAP = 16;

// A keep-alive connection that answers GET /_emu/health on demand and
// records whether the server closed it.
async function client(port) {
  const s = net.connect(port, '127.0.0.1');
  const c = { s, closed: false, text: '', waiters: [] };
  s.on('data', (d) => { c.text += d; c.waiters.splice(0).forEach((w) => w()); });
  s.on('error', () => {});
  s.on('close', () => { c.closed = true; c.waiters.splice(0).forEach((w) => w()); });
  await new Promise((r, j) => { s.once('connect', r); s.once('error', j); });
  return c;
}

// One request on c; resolves with the status, or null if the server closed.
async function health(c) {
  c.text = '';
  c.s.write('GET /_emu/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  while (!c.closed && !/\r\n\r\n[\s\S]*\}/.test(c.text)) await new Promise((r) => c.waiters.push(r));
  const m = /^HTTP\/1\.1 (\d+)/.exec(c.text);
  return m ? Number(m[1]) : null;
}

async function until(cond, what, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('connection cap: the longest-idle keep-alive connection makes room', async (t) => {
  const emu = await start({ args: ['--max-connections', String(CAP), '--log-level', 'warn'] });
  t.after(() => emu.stop());

  const conns = [];
  for (let i = 0; i < CAP; i++) {
    const c = await client(emu.port);
    assert.strictEqual(await health(c), 200);
    conns.push(c);
  }
  // conns[0] is used again: now conns[1] has been idle longest.
  assert.strictEqual(await health(conns[0]), 200);

  const late = await client(emu.port);
  assert.strictEqual(await health(late), 200, 'a new client is served at the cap');
  await until(() => conns[1].closed, 'the longest-idle connection to close');
  assert.strictEqual(conns[0].closed, false, 'the recently used connection stays');
  for (let i = 2; i < CAP; i++) assert.strictEqual(conns[i].closed, false, `conns[${i}] stays`);
  assert.strictEqual(await health(conns[0]), 200);

  // Again: the next longest idle (conns[2]) goes, and so on, one per client.
  const later = await client(emu.port);
  assert.strictEqual(await health(later), 200);
  await until(() => conns[2].closed, 'the next longest-idle connection to close');
  for (let i = 3; i < CAP; i++) assert.strictEqual(conns[i].closed, false, `conns[${i}] stays`);
  for (const c of [...conns, late, later]) c.s.destroy();
});

test('connection cap: slow header senders are not taken, the header timeout cuts them', async (t) => {
  const emu = await start({ args: ['--max-connections', String(CAP), '--header-timeout', '1000',
    '--log-level', 'warn'] });
  t.after(() => emu.stop());

  const slow = [];
  for (let i = 0; i < CAP; i++) {
    const c = await client(emu.port);
    c.s.write('GET /_emu/health HTTP/1.1\r\nHost: 12'); // a request begun, never finished
    slow.push(c);
  }
  await new Promise((r) => setTimeout(r, 100));
  const refused = await client(emu.port).catch(() => null);
  if (refused) {
    assert.strictEqual(await health(refused), null, 'no slot while every connection has a request in progress');
    refused.s.destroy();
  }
  for (const c of slow) assert.strictEqual(c.closed, false);

  await until(() => slow.every((c) => c.closed), 'the header timeout to cut the slow senders');
  assert.ok(slow.every((c) => /^HTTP\/1\.1 408/.test(c.text)), 'each got 408');
  const c = await client(emu.port);
  assert.strictEqual(await health(c), 200, 'served once the slow senders are gone');
  c.s.destroy();
});

test('--max-connections is checked', async () => {
  const { run } = require('../support/emu');
  const r = await run(['--max-connections', '0']);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /--max-connections: "0" is not a number of connections/);
});
