'use strict';
// A closed-loop load generator for acsemu (loopback only, bounded counts):
// `connections` keep-alive TCP connections, each with one request in flight,
// send `requests` freshly signed requests drawn from a fixed mix of
// Tablestore and RPC calls, and every answer must be 200 on the connection
// it was sent on. Used by scripts/load (full size) and
// tests/integration/load.test.js (small counts, also under ASan).
//
// Counted as errors: any status other than 200, a malformed answer, a
// connection the server closed or reset before the end (a "dropped"
// connection), and a run that does not finish within `timeoutMs`.
const net = require('node:net');
const fs = require('node:fs');
const ots = require('./ots');
const { v1Path, signV3 } = require('./sign');

const A = { ak: 'LTAIemuAccountA12345', secret: 'emu-secret-account-a' };
const WRITE_KEYS = 500; // PutRow/BatchWriteRow overwrite these rows only: memory stays flat

// The mix: [weight, name, build(port, i) → Buffer]. RPC calls carry a fresh
// nonce each (replay cache), Tablestore calls a fresh date and MD5.
function rpcGet(port, action, version) {
  return Buffer.from(`GET ${v1Path(action, version, A.ak, A.secret)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
}
function rpcV3(port, action, version) {
  const s = signV3({ host: `127.0.0.1:${port}`, ak: A.ak, secret: A.secret, action, version });
  const h = Object.entries(s.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return Buffer.from(`POST ${s.path} HTTP/1.1\r\n${h}content-length: 0\r\n\r\n`);
}
const key = (i) => [100000 + (i % WRITE_KEYS), 1];
const rangeBody = () => {
  const lo = ots.plainRow([['vid', 0n], ['gt', 0n]]);
  const hi = ots.plainRow([['vid', 50n], ['gt', 0n]]);
  // GetRangeRequest: table, direction FORWARD, max_versions 1, limit 10, start, end.
  return Buffer.concat([ots.pbString(1, ots.TABLE), ots.pbInt(2, 0), ots.pbInt(5, 1), ots.pbInt(6, 10),
    ots.pbBytes(7, lo), ots.pbBytes(8, hi)]);
};
const RANGE = rangeBody();

const MIX_ALL = [
  [35, 'ots GetRow', (p, i) => ots.rawRequest('GetRow', ots.getRowBody(1 + (i % 97), 1793491308000 + i))],
  [25, 'ots PutRow', (p, i) => ots.rawRequest('PutRow', ots.putRowBody(...key(i), [['speed', i % 1000 + 0.5]]))],
  [10, 'ots GetRange', () => ots.rawRequest('GetRange', RANGE)],
  [5, 'ots BatchWriteRow', (p, i) => ots.rawRequest('BatchWriteRow',
    ots.batchWriteBody([0, 1, 2, 3, 4].map((k) => key(i * 5 + k))))],
  [10, 'sts GetCallerIdentity V1', (p) => rpcGet(p, 'GetCallerIdentity', '2015-04-01')],
  [5, 'sts GetCallerIdentity V3', (p) => rpcV3(p, 'GetCallerIdentity', '2015-04-01')],
  [5, 'ram ListUsers V1', (p) => rpcGet(p, 'ListUsers', '2015-05-01')],
  [5, 'ram ListRoles V1', (p) => rpcGet(p, 'ListRoles', '2015-05-01')],
];
// LOAD_ONLY=regex narrows the mix (diagnostics: which calls cost memory).
const MIX = process.env.LOAD_ONLY ? MIX_ALL.filter((m) => new RegExp(process.env.LOAD_ONLY).test(m[1])) : MIX_ALL;
const TOTAL_WEIGHT = MIX.reduce((s, m) => s + m[0], 0);

function pick(i) {
  // Deterministic spread: request i takes slot (i * 37) mod total weight.
  let w = (i * 37) % TOTAL_WEIGHT;
  for (const m of MIX) { if (w < m[0]) return m; w -= m[0]; }
  return MIX[0];
}

// The RPC replay cache (emulator/auth/auth_nonce.c) keeps a 16-byte digest
// of every nonce for 30 minutes in an open-addressing set that doubles from
// 256 slots and stays at most half full, up to AUTH_NONCE_MAX_ENTRIES
// (512 Ki, 16 MB in two generations). It is bounded state that grows with
// every fresh signed RPC call, like rows with every PutRow of a new key, so
// the run reports RSS both with and without it.
function nonceCacheKb(n) {
  if (!n) return 0;
  let cap = 256;
  while (n * 2 > cap) cap *= 2;
  return (cap * 16) / 1024;
}

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// One connection: send, wait for the whole answer, repeat.
class Conn {
  constructor(port, run) {
    this.port = port;
    this.run = run;
    this.buf = Buffer.alloc(0);
    this.current = null;
  }

  open() {
    return new Promise((resolve, reject) => {
      this.sock = net.connect(this.port, '127.0.0.1', () => { this.sock.setNoDelay(true); resolve(); });
      this.sock.on('data', (d) => this.onData(d));
      this.sock.on('error', (e) => { if (!this.run.done) this.run.fail(`socket error: ${e.code || e.message}`); reject(e); });
      this.sock.on('close', () => {
        this.dead = true;
        if (this.run.done || this.closing) return;
        this.run.dropped++;
        this.run.fail('connection dropped');
        if (this.current) { this.current = null; this.run.idle(); }
      });
    });
  }

  next() {
    const i = this.run.take();
    if (i < 0) { this.run.idle(); return; }
    const m = pick(i);
    this.current = { kind: m[1], t0: process.hrtime.bigint() };
    this.sock.write(m[2](this.port, i));
  }

  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('latin1');
      const st = /^HTTP\/1\.1 (\d{3})/.exec(head);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!st || !cl) { this.run.fail('malformed answer: ' + head.slice(0, 80)); this.sock.destroy(); return; }
      const total = end + 4 + Number(cl[1]);
      if (this.buf.length < total) return;
      const body = this.buf.subarray(end + 4, total);
      this.buf = this.buf.subarray(total);
      if (/\r\nconnection:\s*close/i.test(head)) { this.run.dropped++; this.run.fail('server closed a keep-alive connection'); }
      this.done(Number(st[1]), body);
    }
  }

  done(status, body) {
    const c = this.current;
    if (!c) { this.run.fail('answer without a request'); return; }
    this.current = null;
    this.run.record(c.kind, status, Number(process.hrtime.bigint() - c.t0) / 1e6, body);
    this.next();
  }
}

// Runs `requests` requests over `connections` connections to acsemu at
// `port` (pid for RSS). warmup: requests sent first on the same connections
// and not counted, after which "before" RSS is taken.
async function runLoad({ port, pid, connections = 100, requests = 5000, warmup = 0, timeoutMs = 600000, log = () => {} }) {
  const run = {
    next: 0, limit: 0, done: false, errors: 0, dropped: 0, firstErrors: [], lat: [], byKind: {},
    active: 0, resolve: null, nonces: 0,
    take() { return this.next < this.limit ? this.next++ : -1; },
    idle() { if (--this.active === 0 && this.resolve) this.resolve(); },
    fail(msg) { this.errors++; if (this.firstErrors.length < 10) this.firstErrors.push(msg); },
    record(kind, status, ms, body) {
      if (this.measure) this.lat.push(ms);
      if (/^(sts|ram) /.test(kind)) this.nonces++;
      const k = (this.byKind[kind] = this.byKind[kind] || { n: 0, errors: 0 });
      k.n++;
      if (status !== 200) {
        k.errors++;
        this.fail(`${kind}: HTTP ${status} ${body.toString('latin1').slice(0, 160)}`);
      }
    },
  };
  const rssIdle = pid ? rssKb(pid) : NaN;
  const conns = [];
  const t0 = Date.now();
  for (let i = 0; i < connections; i += 100) {
    const batch = [];
    for (let k = i; k < Math.min(connections, i + 100); k++) {
      const c = new Conn(port, run);
      conns.push(c);
      batch.push(c.open());
    }
    await Promise.all(batch);
  }
  log(`${connections} connections open in ${Date.now() - t0} ms`);

  async function phase(n, measure) {
    run.measure = measure;
    run.limit += n;
    const live = conns.filter((c) => !c.dead);
    run.active = live.length;
    const finished = new Promise((resolve) => { run.resolve = resolve; if (!live.length) resolve(); });
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    for (const c of live) c.next();
    const r = await Promise.race([finished, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') run.fail(`timed out after ${timeoutMs} ms with ${run.limit - run.next} requests unsent`);
  }

  if (warmup) {
    await phase(warmup, false);
    log(`warm-up: ${warmup} requests`);
  }
  const rssBefore = pid ? rssKb(pid) : NaN;
  const noncesBefore = run.nonces;
  const errorsBefore = run.errors;
  const start = process.hrtime.bigint();
  await phase(requests, true);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  // RSS is read while every connection is still open and idle, like before.
  await new Promise((r) => setTimeout(r, 200));
  const rssAfter = pid ? rssKb(pid) : NaN;
  run.done = true;
  for (const c of conns) { c.closing = true; c.sock.end(); }

  const lat = run.lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
  return {
    connections, requests, warmup, seconds: secs, rps: requests / secs,
    errors: run.errors, warmupErrors: errorsBefore, dropped: run.dropped, firstErrors: run.firstErrors,
    p50: q(0.5), p90: q(0.9), p99: q(0.99), max: lat.length ? lat[lat.length - 1] : NaN,
    rssIdleKb: rssIdle, rssBeforeKb: rssBefore, rssAfterKb: rssAfter,
    rssChange: (rssAfter - rssBefore) / rssBefore,
    nonces: run.nonces,
    nonceCacheGrowthKb: nonceCacheKb(run.nonces) - nonceCacheKb(noncesBefore),
    rssChangeWithoutNonceCache: (rssAfter - rssBefore - (nonceCacheKb(run.nonces) - nonceCacheKb(noncesBefore))) / rssBefore,
    byKind: run.byKind,
  };
}

module.exports = { runLoad, rssKb, nonceCacheKb, MIX };
