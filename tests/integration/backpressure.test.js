'use strict';
// Back-pressure (issue 15 item 2): a client that pipelines thousands of
// requests and never reads must not grow the server without bound nor stall
// the other clients. The server stops reading that connection while its
// unsent answers are above the cap (limits.h) and resumes as they drain, so
// once the client reads, it gets every answer, in order.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const { start } = require('../support/emu');

const N = 4000;
// The console script is the largest answer that needs no credentials
// (~37 KB): 4,000 of them are ~150 MB of output when nothing pushes back.
const BIG = '/_emu/console/console.js';
const MARK_EVERY = 100;

function rssKb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Request i: the big script, except every MARK_EVERY-th, a 404 whose message
// names the path, so the order of the answers can be checked.
function attackBytes() {
  const parts = [];
  for (let i = 0; i < N; i++) {
    const p = i % MARK_EVERY === 0 ? `/_emu/mark-${i}` : BIG;
    parts.push(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  }
  return Buffer.from(parts.join(''));
}

// Counts the answers of a stream of HTTP/1.1 responses with Content-Length,
// keeping only the small (marker) bodies.
function responseCounter() {
  let buf = Buffer.alloc(0);
  let skip = 0;
  const st = { count: 0, statuses: {}, marks: [] };
  st.push = (chunk) => {
    if (skip) {
      const n = Math.min(skip, chunk.length);
      skip -= n;
      chunk = chunk.subarray(n);
    }
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (skip) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const status = /^HTTP\/1\.1 (\d+)/.exec(head)[1];
      const len = Number(/content-length:\s*(\d+)/i.exec(head)[1]);
      const body = buf.subarray(end + 4);
      // A marker answer is counted once its body is whole (until then the
      // head is parsed again with the next chunk).
      if (status === '404' && body.length < len) return;
      st.count++;
      st.statuses[status] = (st.statuses[status] || 0) + 1;
      if (status === '404') {
        const m = /mark-(\d+)/.exec(body.subarray(0, len).toString('latin1'));
        st.marks.push(m ? Number(m[1]) : -1);
        buf = body.subarray(len);
      } else if (body.length >= len) {
        buf = body.subarray(len);
      } else {
        skip = len - body.length;
        buf = Buffer.alloc(0);
      }
    }
  };
  return st;
}

function healthOnce(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error('health not answered in 5 s')); }, 5000);
    s.on('data', (d) => {
      text += d;
      if (/\r\n\r\n[\s\S]*"status"/.test(text)) { clearTimeout(timer); s.destroy(); resolve(text); }
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.write('GET /_emu/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
}

async function attack(emu, connect) {
  const pid = emu.child.pid;
  await healthOnce(emu.port); // warm up
  const before = rssKb(pid);
  const s = connect();
  s.on('error', () => {});
  s.pause(); // never read (until told)
  await new Promise((r) => s.once(s instanceof tls.TLSSocket ? 'secureConnect' : 'connect', r));
  s.write(attackBytes());
  // Let the server do everything it is going to do with what it got.
  let peak = before;
  for (let i = 0; i < 20; i++) {
    await sleep(50);
    peak = Math.max(peak, rssKb(pid));
  }
  const h = await healthOnce(emu.port);
  assert.match(h, /^HTTP\/1\.1 200/, 'a second client is served during the attack');
  peak = Math.max(peak, rssKb(pid));
  const growthMb = (peak - before) / 1024;
  assert.ok(growthMb < 40, `RSS grew by ${growthMb.toFixed(1)} MB under the attack (cap 40 MB)`);

  // Now the attacker reads: every answer arrives, in request order.
  const st = responseCounter();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${st.count} of ${N} answers`)), 60000);
    s.on('data', (d) => {
      st.push(d);
      if (st.count === N) { clearTimeout(timer); resolve(); }
    });
    s.resume();
  });
  s.destroy();
  assert.deepStrictEqual(st.statuses, { 200: N - N / MARK_EVERY, 404: N / MARK_EVERY });
  assert.deepStrictEqual(st.marks, Array.from({ length: N / MARK_EVERY }, (_, i) => i * MARK_EVERY));
}

test('back-pressure against a pipelining client that never reads', async (t) => {
  const emu = await start({ args: ['--log-level', 'warn'] });
  t.after(() => emu.stop());

  await t.test('plain HTTP: bounded memory, others served, every answer in order', async () => {
    await attack(emu, () => net.connect(emu.port, '127.0.0.1'));
  });

  await t.test('TLS: the same', async () => {
    const ca = fs.readFileSync(emu.info.ca_file);
    await attack(emu, () => tls.connect({ port: emu.port, host: '127.0.0.1', ca, servername: 'localhost' }));
  });
});
