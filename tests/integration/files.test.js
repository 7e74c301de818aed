'use strict';
// What acsemu writes outside its answers must not be turned against the
// user: the text log cannot be forged through request data, the ready file
// is never written through a planted symlink, state directories others can
// write are called out, and a world file pointing at the wrong file never
// prints that file's content.
const test = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { start, run, logged, SRC, BIN, tmpdir, STATE_DIR } = require('../support/emu');

test('request data cannot forge a text log line', async () => {
  const emu = await start();
  try {
    const fake = '2026-01-01T00:00:00.000Z OK FORGED sts AssumeRole GET principal=root status=200';
    const q = encodeURIComponent(`Foo\n${fake}\r\n${fake}\tx\x1b[2J\\`);
    const r = await emu.request('GET', `/?Action=${q}&Version=2015-05-01`);
    assert.strictEqual(r.status, 404);
    await logged(emu, /ERR InvalidAction\.NotFound \S+ ram Foo\\n2026-01-01T00:00:00\.000Z\\x20OK\\x20FORGED/);
    assert.doesNotMatch(emu.stderr, /^2026-01-01T00:00:00\.000Z OK FORGED/m);
    assert.doesNotMatch(emu.stderr, /\r|\x1b/);
    // The escapes are the documented ones: \r, \t, \xNN, and a doubled backslash.
    assert.match(emu.stderr, /\\r\\n2026.*\\tx\\x1b\[2J\\\\ GET principal=- status=404/);
    // A space cannot start a field of its own either.
    await emu.request('GET', `/?Action=${encodeURIComponent('Foo principal=acs:ram::1:root')}&Version=2015-05-01`);
    await logged(emu, /ram Foo\\x20principal=acs:ram::1:root GET principal=- status=404/);
  } finally {
    await emu.stop();
  }
});

// Starts acsemu with its own --ready-file; resolves once it is there as a
// file of its own (not the symlink a test may have planted).
function isReadyFile(p) {
  try { return !fs.lstatSync(p).isSymbolicLink(); } catch { return false; }
}

async function startWithReady(ready, extra = [], env = {}) {
  const child = spawn(BIN, ['--port', '0', '--ready-file', ready, '--world', path.join(SRC, 'data/world.json'),
    ...extra], { stdio: ['ignore', 'ignore', 'pipe'], env: { ACSEMU_STATE_DIR: STATE_DIR, ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const until = Date.now() + 20000;
  while (!isReadyFile(ready) && Date.now() < until) {
    if (await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10))])) break;
  }
  return { child, exited, get stderr() { return stderr; } };
}

test('--ready-file never writes through a symlink planted at its temporary name', async () => {
  const dir = tmpdir();
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'precious\n');
  const ready = path.join(dir, 'ready.json');
  // The old temporary name was READY.tmp.PID: plant it for the next pids.
  let last = 0;
  try { last = Number(fs.readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8')); } catch { /* not Linux */ }
  for (let pid = last + 1; pid <= last + 400; pid++) fs.symlinkSync(victim, `${ready}.tmp.${pid}`);
  const emu = await startWithReady(ready);
  try {
    assert.ok(fs.existsSync(ready), emu.stderr);
    assert.strictEqual(fs.readFileSync(victim, 'utf8'), 'precious\n');
    assert.ok(!fs.lstatSync(ready).isSymbolicLink());
    assert.strictEqual(JSON.parse(fs.readFileSync(ready, 'utf8')).event, 'ready');
    // Nothing else was left next to it.
    const extra = fs.readdirSync(dir).filter((f) => !/^ready\.json(\.tmp\.\d+)?$/.test(f) && f !== 'victim.txt');
    assert.deepStrictEqual(extra, []);
  } finally {
    emu.child.kill('SIGTERM');
    assert.strictEqual(await emu.exited, 0, emu.stderr);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--ready-file replaces a symlink at its own name instead of following it', async () => {
  const dir = tmpdir();
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'precious\n');
  const ready = path.join(dir, 'ready.json');
  fs.symlinkSync(victim, ready);
  const emu = await startWithReady(ready);
  try {
    assert.strictEqual(fs.readFileSync(victim, 'utf8'), 'precious\n');
    assert.ok(!fs.lstatSync(ready).isSymbolicLink(), emu.stderr);
  } finally {
    emu.child.kill('SIGTERM');
    assert.strictEqual(await emu.exited, 0, emu.stderr);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a --state-dir or --data-dir that others can write is called out', async () => {
  const dir = tmpdir();
  const state = path.join(dir, 'state');
  const data = path.join(dir, 'data');
  fs.mkdirSync(state, { mode: 0o700 });
  fs.mkdirSync(data, { mode: 0o700 });
  fs.chmodSync(state, 0o777);
  fs.chmodSync(data, 0o770);
  let emu = await start({ env: { ACSEMU_STATE_DIR: state }, args: ['--data-dir', data] });
  try {
    await logged(emu, new RegExp(`warn  --state-dir ${state} can be written by every user \\(mode 777\\)`));
    await logged(emu, new RegExp(`warn  --data-dir ${data} can be written by its group \\(mode 770\\)`));
  } finally {
    await emu.stop();
  }
  // Private again: no warning.
  fs.chmodSync(state, 0o700);
  fs.chmodSync(data, 0o700);
  emu = await start({ env: { ACSEMU_STATE_DIR: state }, args: ['--data-dir', data] });
  try {
    await emu.json('GET', '/_emu/health');
    assert.doesNotMatch(emu.stderr, /can be written|owned by another user/);
  } finally {
    await emu.stop();
  }
  if (process.getuid && process.getuid() === 0) {
    // Root can hand the directory to someone else; that user could swap its files.
    fs.chownSync(data, 65534, 65534);
    emu = await start({ env: { ACSEMU_STATE_DIR: state }, args: ['--data-dir', data] });
    try {
      await logged(emu, new RegExp(`warn  --data-dir ${data} is owned by another user \\(uid 65534, acsemu runs as uid 0\\)`));
    } finally {
      await emu.stop();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

// A world whose vehicle_track table reads `file` with `text` in it.
function worldReading(file, text) {
  const w = JSON.parse(fs.readFileSync(path.join(SRC, 'data/world.json'), 'utf8'));
  const dir = tmpdir();
  w.Accounts[0].Tablestore.Instances[0].Tables[0].RowsFile = file;
  fs.writeFileSync(path.join(dir, 'world.json'), JSON.stringify(w));
  fs.writeFileSync(path.join(dir, file), text);
  return path.join(dir, 'world.json');
}

test('a RowsFile that is not a rows file is named, never printed', async () => {
  const env = 'DATABASE_URL=postgres://admin:hunter2@db/prod\nAPI_KEY=sk-live-0123456789\n';
  let r = await run(['--port', '0', '--world', worldReading('.env', env)]);
  assert.strictEqual(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /hunter2|sk-live|DATABASE_URL/);
  assert.match(r.stderr, /RowsFile: \.env:1: field 1 of the header is neither a primary key nor a defined column of table vehicle_track; expected one of: vid, gt, /);

  // A cell of the wrong type: the place and the type, not the value.
  const csv = 'vid,gt,longitude,latitude,distance,speed,oil_consumption\n1,1,1,1,s3cr3t-token,1,1\n';
  r = await run(['--port', '0', '--world', worldReading('rows.csv', csv)]);
  assert.strictEqual(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /s3cr3t/);
  assert.match(r.stderr, /RowsFile: rows\.csv:2: field 5 \(column "distance"\): expected a DOUBLE/);
});
