'use strict';
// Crash safety of --data-dir (emu/persist.h): write load against acsemu,
// SIGKILL at seeded random moments, restart, and check that every write
// whose response arrived survived (deleted rows stay deleted) and that
// start-up succeeds every time. Used by scripts/crash-test (the full run)
// and tests/integration/persist.test.js (a few kills).
//
// Writers own disjoint keys of the seed table vehicle_track (vid >= 900000,
// beyond the seed rows) and run one request at a time, so the order of the
// writes to a key is known: after a kill, a key holds the result of its last
// acknowledged write, or of the one in flight at the kill. One more writer
// creates RAM users (CreateUser) the same way.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const ots = require('./ots');
const { client } = require('./rpc');

const SRC = process.env.EMU_SOURCE_DIR || path.resolve(__dirname, '../..');
const ACCOUNT = '12345';
const TABLE = 'vehicle_track';
const VID0 = 900000;

// mulberry32: small, seeded, repeatable.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// DeleteRow's primary key: a PlainBuffer row with the delete marker (0x08),
// which the row checksum covers as a 1 (tablestore-protocol.md §7.1). The
// cells are cut out of one-cell rows that ots.plainRow encodes.
function deleteRowBody(pk, table = TABLE) {
  const parts = [ots.u32(0x75), Buffer.from([0x01])];
  let crc = 0;
  for (const c of pk) {
    const one = ots.plainRow([c]);
    const cell = one.subarray(5, one.length - 2);
    parts.push(cell);
    crc = ots.CRC8[crc ^ cell[cell.length - 1]];
  }
  parts.push(Buffer.from([0x08, 0x09, ots.CRC8[crc ^ 1]]));
  return Buffer.concat([ots.pbString(1, table), ots.pbBytes(2, Buffer.concat(parts)), ots.IGNORE]);
}

// UpdateRow with PUT cells (no op tag): adds a version at "now".
// pk and attrs as for ots.plainRow.
const updateRowBody = (pk, attrs, table = TABLE) =>
  Buffer.concat([ots.pbString(1, table), ots.pbBytes(2, ots.plainRow(pk, attrs)), ots.IGNORE]);

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(port, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: p, agent,
      headers: { ...headers, 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, raw: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function otsCall(port, op, body) {
  return post(port, '/' + op, body, { host: 'cap1.localhost', ...ots.signed(op, body) });
}

function getJson(port, p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    }).on('error', reject);
  });
}

// Starts acsemu on `dir` and resolves once the ready file appears; rejects
// if it exits first (a failed start-up is a test failure).
async function startEmu(bin, dir, extra = []) {
  const ready = path.join(dir, `ready-${process.pid}-${Date.now()}.json`);
  const world = path.join(SRC, 'data/world.json');
  const args = ['--port', '0', '--ready-file', ready, '--world', world, '--data-dir', path.join(dir, 'data'),
    '--log-level', 'warn', ...extra];
  const env = { ...process.env };
  env.ACSEMU_STATE_DIR = env.ACSEMU_STATE_DIR || path.join(os.tmpdir(), `acsemu-test-state-${process.getuid()}`);
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const t0 = process.hrtime.bigint();
  for (;;) {
    if (fs.existsSync(ready)) break;
    const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 5))]);
    if (done) throw new Error(`start-up failed ${JSON.stringify(done)}:\n${stderr}`);
  }
  const info = JSON.parse(fs.readFileSync(ready, 'utf8'));
  fs.rmSync(ready, { force: true });
  return { child, port: info.port, exited, startMs: Number(process.hrtime.bigint() - t0) / 1e6, get stderr() { return stderr; } };
}

function sanitizerCheck(emu) {
  if (/AddressSanitizer|runtime error:|LeakSanitizer/.test(emu.stderr)) throw new Error('sanitizer report:\n' + emu.stderr);
}

// The speed value of our rows, read back through the admin rows API
// (PK order from vid VID0): Map "vid/gt" -> speed.
async function readRows(port) {
  const rows = new Map();
  const token = Buffer.alloc(18);
  token.writeUInt8(0, 0);
  token.writeBigInt64BE(BigInt(VID0), 1);
  token.writeUInt8(0, 9);
  token.writeBigInt64BE(0n, 10);
  let start = token.toString('hex');
  while (start) {
    const r = await getJson(port, `/_emu/tables/${ACCOUNT}/cap1/${TABLE}/rows?limit=500&start=${start}`);
    if (r.status !== 200) throw new Error('rows API: ' + JSON.stringify(r.body));
    for (const row of r.body.Rows) {
      const key = row.PrimaryKey.map((c) => c.Value).join('/');
      const speed = row.Columns.find((c) => c.Name === 'speed');
      rows.set(key, speed ? speed.Value : null);
    }
    start = r.body.Next;
  }
  return rows;
}

// One writer: keys vid = VID0 + w, gt = 0..keysPer-1. Each key's model is
// { acked: value | undefined (absent), inflight: [value] | null }.
function makeModel(writers, keysPer) {
  const keys = [];
  for (let w = 0; w < writers; w++) for (let g = 0; g < keysPer; g++) keys.push({ vid: VID0 + w, gt: g, w, acked: undefined, inflight: null });
  return keys;
}

async function writerLoop(state, w, rand) {
  const mine = state.keys.filter((k) => k.w === w);
  while (!state.killed) {
    const k = mine[Math.floor(rand() * mine.length)];
    const op = rand();
    const v = ++state.seq + 0.5; // unique, exact in a double
    let body, name, next;
    if (op < 0.45) { name = 'PutRow'; body = ots.putRowBody(k.vid, k.gt, [['speed', v]]); next = v; }
    else if (op < 0.8) { name = 'UpdateRow'; body = updateRowBody(ots.pk(k.vid, k.gt), [['speed', v]]); next = v; }
    else { name = 'DeleteRow'; body = deleteRowBody(ots.pk(k.vid, k.gt)); next = undefined; }
    k.inflight = [next];
    let r;
    try { r = await otsCall(state.port, name, body); } catch { return; } // killed: stays in flight
    if (r.status !== 200) throw new Error(`${name} ${k.vid}/${k.gt}: HTTP ${r.status} ${ots.errorOf(r.raw).message}`);
    k.acked = next;
    k.inflight = null;
    state.acked++;
  }
}

async function userLoop(state, rand) {
  const call = client({ request: (m, p, b, h) => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: state.port, method: m, path: p, agent, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (b !== undefined) req.write(b);
    req.end();
  }) }, { [ots.A.ak]: ots.A.secret });
  // Creates users up to 50 (RAM's limit is 100 per account), then deletes
  // the oldest: acknowledged deletes must stay deleted too.
  while (!state.killed) {
    const del = state.users.length >= 50;
    const name = del ? state.users[0] : `crash-u${++state.userSeq}`;
    state.userInflight = { del, name };
    let r;
    try { r = await call(ots.A.ak, del ? 'DeleteUser' : 'CreateUser', { UserName: name }); } catch { return; }
    if (r.status !== 200) throw new Error(`${del ? 'DeleteUser' : 'CreateUser'} ${name}: ${JSON.stringify(r.body)}`);
    if (del) state.gone.push(state.users.shift());
    else state.users.push(name);
    state.userInflight = null;
    await new Promise((res) => setTimeout(res, 2 + rand() * 10));
  }
}

// After a restart: every key must hold its acked value or its in-flight
// one; the model then takes what is there. Users: every acked one exists.
async function verify(state, round) {
  const rows = await readRows(state.port);
  for (const k of state.keys) {
    const key = `${k.vid}/${k.gt}`;
    const have = rows.has(key) ? rows.get(key) : undefined;
    rows.delete(key);
    const ok = have === k.acked || (k.inflight && have === k.inflight[0]);
    if (!ok) throw new Error(`round ${round}: ${key} holds ${have}, expected ${k.acked}` + (k.inflight ? ` or ${k.inflight[0]}` : ''));
    k.acked = have;
    k.inflight = null;
  }
  if (rows.size) throw new Error(`round ${round}: unexpected rows ${[...rows.keys()].slice(0, 5)}`);
  const call = client({ request: (m, p) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: state.port, path: p, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    }).on('error', reject);
  }) }, { [ots.A.ak]: ots.A.secret });
  // The user written when the kill came first: either outcome is fine.
  const f = state.userInflight;
  if (f) {
    const there = (await call(ots.A.ak, 'GetUser', { UserName: f.name })).status === 200;
    if (f.del && !there) state.gone.push(state.users.shift());
    if (!f.del && there) state.users.push(f.name);
    state.userInflight = null;
  }
  for (const u of state.users) {
    const r = await call(ots.A.ak, 'GetUser', { UserName: u });
    if (r.status !== 200) throw new Error(`round ${round}: acknowledged user ${u} is gone`);
  }
  for (const u of state.gone.slice(-50)) {
    const r = await call(ots.A.ak, 'GetUser', { UserName: u });
    if (r.status !== 404) throw new Error(`round ${round}: deleted user ${u} is back`);
  }
}

// Runs `kills` rounds; resolves with figures. opts: bin, kills, seed,
// writers, keysPer, minMs/maxMs (time to the kill), snapshotBytes, log.
async function crashTest(opts) {
  const rand = rng(opts.seed || 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acsemu-crash-'));
  const writers = opts.writers || 8;
  const state = { keys: makeModel(writers, opts.keysPer || 16), seq: 0, acked: 0, users: [], gone: [], userSeq: 0,
    userInflight: null, killed: false, port: 0 };
  const extra = ['--snapshot-bytes', String(opts.snapshotBytes || 256 * 1024)];
  const log = opts.log || (() => {});
  const starts = [];
  let emu;
  try {
    for (let round = 1; round <= opts.kills; round++) {
      emu = await startEmu(opts.bin, dir, extra);
      starts.push(emu.startMs);
      state.port = emu.port;
      if (round > 1) await verify(state, round);
      state.killed = false;
      const loops = [];
      for (let w = 0; w < writers; w++) loops.push(writerLoop(state, w, rng(opts.seed * 1000 + round * 100 + w)));
      loops.push(userLoop(state, rng(opts.seed * 7 + round)));
      const wait = (opts.minMs || 30) + rand() * ((opts.maxMs || 400) - (opts.minMs || 30));
      const failed = Promise.all(loops).then(() => null, (e) => e);
      const early = await Promise.race([failed, new Promise((r) => setTimeout(() => r(null), wait))]);
      if (early) throw early;
      state.killed = true;
      emu.child.kill('SIGKILL');
      await emu.exited;
      sanitizerCheck(emu);
      const err = await failed;
      if (err) throw err;
      log(`round ${round}: killed after ${wait.toFixed(0)} ms, ${state.acked} writes acknowledged so far, start-up ${emu.startMs.toFixed(1)} ms`);
      agent.destroy();
    }
    emu = await startEmu(opts.bin, dir, extra);
    state.port = emu.port;
    await verify(state, opts.kills + 1);
    emu.child.kill('SIGTERM');
    const r = await emu.exited;
    sanitizerCheck(emu);
    if (r.code !== 0) throw new Error(`final stop: exit ${JSON.stringify(r)}\n${emu.stderr}`);
    emu = null;
    return { kills: opts.kills, acked: state.acked, users: state.users.length + state.gone.length, files: fs.readdirSync(path.join(dir, 'data')),
      startMsMedian: starts.sort((a, b) => a - b)[Math.floor(starts.length / 2)] };
  } finally {
    if (emu) emu.child.kill('SIGKILL');
    agent.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { crashTest, deleteRowBody, updateRowBody, rng, readRows, startEmu };
