'use strict';
// --data-dir (emu/persist.h): a restart, even after SIGKILL, comes back
// with every acknowledged change (RAM entities, STS sessions, the clock,
// tables, rows with their versions, deletes); reset and checkpoint restore
// persist; a torn last write is dropped, damage (in the middle, or a whole
// last record with a bad checksum) stops start-up with a located error and
// --data-dir-repair moves it to damaged-<time>.log; without --data-dir nothing is written;
// and a few seeded SIGKILLs under write load lose nothing.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, run, tmpdir, BIN, SRC, STATE_DIR } = require('../support/emu');
const { client } = require('../support/rpc');
const ots = require('../support/ots');
const { crashTest, deleteRowBody, updateRowBody } = require('../support/crash');

const ROOT = ots.A.ak;
const trust = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole',
  Principal: { RAM: ['acs:ram::12345:root'] } }] });
const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['ram:GetUser', 'sts:AssumeRole'],
  Resource: '*' }] });

function ok(r) {
  assert.strictEqual(r.status, 200, typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  return r.body;
}

async function kill(emu) {
  const exited = new Promise((resolve) => emu.child.once('exit', resolve));
  emu.child.kill('SIGKILL');
  await exited;
  assert.doesNotMatch(emu.stderr, /AddressSanitizer|runtime error:|LeakSanitizer/);
}

// CreateTable `name` (PK id INTEGER) keeping `versions` versions.
function createTableBody(name, versions) {
  const meta = Buffer.concat([ots.pbString(1, name), ots.pbBytes(2, Buffer.concat([ots.pbString(1, 'id'), ots.pbInt(2, 1)]))]);
  const reserved = ots.pbBytes(1, Buffer.concat([ots.pbInt(1, 0), ots.pbInt(2, 0)]));
  const opts = Buffer.concat([ots.pbInt(1, -1), ots.pbInt(2, versions)]);
  return Buffer.concat([ots.pbBytes(1, meta), ots.pbBytes(2, reserved), ots.pbBytes(3, opts)]);
}

const idRow = (id, attrs = []) => Buffer.concat([ots.pbString(1, 'kept'), ots.pbBytes(2, ots.plainRow([['id', BigInt(id)]], attrs)), ots.IGNORE]);

async function otsOk(emu, op, body) {
  const r = await ots.send(emu, op, body);
  assert.strictEqual(r.status, 200, `${op}: ${ots.errorOf(r.raw).message}`);
}

const world = async (emu) => ok(await emu.json('GET', '/_emu/world'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a restart after SIGKILL keeps every acknowledged change', async () => {
  const dir = tmpdir();
  const args = ['--data-dir', path.join(dir, 'data')];
  let emu = await start({ args });
  const secrets = { [ROOT]: ots.A.secret };
  const tokens = {};
  let call = client(emu, secrets, tokens);

  // RAM: a user with an access key and an attached custom policy; a role.
  ok(await call(ROOT, 'CreateUser', { UserName: 'keeper' }));
  const key = ok(await call(ROOT, 'CreateAccessKey', { UserName: 'keeper' })).AccessKey;
  secrets[key.AccessKeyId] = key.AccessKeySecret;
  ok(await call(ROOT, 'CreatePolicy', { PolicyName: 'read-users', PolicyDocument: policy }));
  ok(await call(ROOT, 'AttachPolicyToUser', { PolicyName: 'read-users', PolicyType: 'Custom', UserName: 'keeper' }));
  ok(await call(ROOT, 'CreateRole', { RoleName: 'keeper-role', AssumeRolePolicyDocument: trust }));
  // STS: the user's session, and the clock moved ten minutes on.
  const cred = ok(await call(key.AccessKeyId, 'AssumeRole', { RoleArn: 'acs:ram::12345:role/keeper-role', RoleSessionName: 'kept' },
    { product: 'sts' })).Credentials;
  ok(await emu.json('POST', '/_emu/clock', { advance_seconds: 600 }));
  // Tablestore: a new table with three versions per cell, rows, a delete.
  await otsOk(emu, 'CreateTable', createTableBody('kept', 3));
  for (let id = 1; id <= 3; id++) await otsOk(emu, 'PutRow', idRow(id, [['name', `row${id}`]]));
  for (const v of ['a', 'b']) {
    await sleep(3); // distinct millisecond timestamps: distinct versions
    await otsOk(emu, 'UpdateRow', updateRowBody([['id', 1n]], [['name', v]], 'kept'));
  }
  await otsOk(emu, 'DeleteRow', deleteRowBody([['id', 2n]], 'kept'));
  await otsOk(emu, 'PutRow', ots.putRowBody(7, 7, [['speed', 7.5]]));

  const before = await world(emu);
  const clock = ok(await emu.json('GET', '/_emu/clock'));
  const kept = before.Accounts[0].Tablestore.Instances[0].Tables.find((t) => t.TableName === 'kept');
  assert.strictEqual(kept.Rows.length, 2);
  assert.strictEqual(kept.Rows[0].name.length, 3, JSON.stringify(kept.Rows[0]));
  // Created on the moved clock; the comparison below checks it is kept.
  assert.ok(Date.parse(kept.CreateDate) - Date.now() > 590e3, kept.CreateDate);
  await kill(emu);

  emu = await start({ args });
  assert.match(emu.stderr, /state of snapshot 1 and 1 log\(s\)/);
  call = client(emu, secrets, tokens);
  assert.deepStrictEqual(await world(emu), before);
  const after = ok(await emu.json('GET', '/_emu/clock'));
  assert.ok(Math.abs(after.offset_ms - clock.offset_ms) < 5, `${after.offset_ms} vs ${clock.offset_ms}`);
  // The user's key and policy work, and so do the session's credentials.
  assert.strictEqual(ok(await call(key.AccessKeyId, 'GetUser', { UserName: 'keeper' })).User.UserName, 'keeper');
  secrets[cred.AccessKeyId] = cred.AccessKeySecret;
  tokens[cred.AccessKeyId] = cred.SecurityToken;
  const who = ok(await call(cred.AccessKeyId, 'GetCallerIdentity', {}, { product: 'sts' }));
  assert.match(who.Arn, /assumed-role\/keeper-role\/kept$/);
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('reset and checkpoint restore persist', async () => {
  const dir = tmpdir();
  const args = ['--data-dir', path.join(dir, 'data')];
  let emu = await start({ args });
  let call = client(emu, { [ROOT]: ots.A.secret });
  ok(await call(ROOT, 'CreateUser', { UserName: 'gone-after-reset' }));
  ok(await emu.json('POST', '/_emu/reset'));
  ok(await call(ROOT, 'CreateUser', { UserName: 'in-checkpoint' }));
  ok(await emu.json('POST', '/_emu/checkpoints/c1'));
  ok(await call(ROOT, 'CreateUser', { UserName: 'gone-after-restore' }));
  ok(await emu.json('POST', '/_emu/checkpoints/c1/restore'));
  await kill(emu);

  emu = await start({ args });
  call = client(emu, { [ROOT]: ots.A.secret });
  assert.strictEqual((await call(ROOT, 'GetUser', { UserName: 'gone-after-reset' })).status, 404);
  assert.strictEqual((await call(ROOT, 'GetUser', { UserName: 'gone-after-restore' })).status, 404);
  ok(await call(ROOT, 'GetUser', { UserName: 'in-checkpoint' }));
  // A reset after a restart goes back to the world file (loaded on demand).
  ok(await emu.json('POST', '/_emu/reset'));
  assert.strictEqual((await call(ROOT, 'GetUser', { UserName: 'in-checkpoint' })).status, 404);
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function newestLog(data) {
  return path.join(data, fs.readdirSync(data).filter((f) => f.startsWith('wal-')).sort().pop());
}

test('a torn last write is dropped; damage in the middle stops start-up', async () => {
  const dir = tmpdir();
  const data = path.join(dir, 'data');
  const args = ['--data-dir', data];
  let emu = await start({ args });
  for (let i = 0; i < 3; i++) await otsOk(emu, 'PutRow', ots.putRowBody(800 + i, 1, [['speed', i + 0.5]]));
  await emu.stop();

  // A write cut short: a header promising more bytes than follow.
  const log = newestLog(data);
  const good = fs.readFileSync(log);
  fs.appendFileSync(log, Buffer.from([0x40, 0, 0, 0, 1, 2, 3, 4, 4, 9, 9, 9]));
  emu = await start({ args });
  assert.match(emu.stderr, /dropping a torn last write \(12 bytes at byte \d+/);
  assert.deepStrictEqual(fs.readFileSync(log), good);
  await otsOk(emu, 'GetRow', ots.getRowBody(802, 1));
  await emu.stop();

  // A flipped byte inside the first row record, with good records after it.
  const bad = Buffer.from(good);
  const at = good.indexOf(Buffer.from('vehicle_track')) + 3;
  bad[at] ^= 0x20;
  fs.writeFileSync(log, bad);
  const r = await run(['--port', '0', '--world', path.join(SRC, 'data/world.json'), ...args],
    { env: { ACSEMU_STATE_DIR: STATE_DIR } });
  assert.strictEqual(r.code, 2, r.stderr);
  assert.match(r.stderr, /data\/wal-000001\.log: record 2 at byte \d+: checksum mismatch/);
  fs.rmSync(dir, { recursive: true, force: true });
});

// Offsets of the records of a log ([u32 length][u32 crc][u8 type][payload]).
function records(buf) {
  const offs = [];
  for (let off = 0; off + 9 <= buf.length; off += 9 + buf.readUInt32LE(off)) offs.push(off);
  return offs;
}

test('a flipped bit in the last whole record stops start-up; --data-dir-repair keeps it aside', async () => {
  const dir = tmpdir();
  const data = path.join(dir, 'data');
  const args = ['--data-dir', data];
  let emu = await start({ args });
  for (let i = 0; i < 3; i++) await otsOk(emu, 'PutRow', ots.putRowBody(900 + i, 1, [['speed', i + 0.5]]));
  await emu.stop();

  // One bit of the last record's payload: the record is all there, so its
  // write was acknowledged (row 902); dropping it would lose that write.
  const log = newestLog(data);
  const good = fs.readFileSync(log);
  const offs = records(good);
  const last = offs[offs.length - 1];
  const bad = Buffer.from(good);
  bad[last + 9 + 4] ^= 0x08;
  fs.writeFileSync(log, bad);
  const r = await run(['--port', '0', '--world', path.join(SRC, 'data/world.json'), ...args],
    { env: { ACSEMU_STATE_DIR: STATE_DIR } });
  assert.strictEqual(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`data/wal-000001\\.log: record ${offs.length} at byte ${last}: checksum mismatch`));
  assert.match(r.stderr, /--data-dir-repair/);
  assert.deepStrictEqual(fs.readFileSync(log), bad, 'nothing is cut without --data-dir-repair');

  // --data-dir-repair moves the damaged tail aside, byte for byte, and says so.
  emu = await start({ args: [...args, '--data-dir-repair'] });
  assert.match(emu.stderr, new RegExp(`record ${offs.length} at byte ${last}: checksum mismatch: moved it and the rest of the log \\(${good.length - last} bytes\\) to \\S+/damaged-\\d{8}T\\d{6}Z\\.log`));
  const aside = fs.readdirSync(data).filter((f) => /^damaged-.*\.log$/.test(f));
  assert.strictEqual(aside.length, 1, fs.readdirSync(data).join(' '));
  assert.deepStrictEqual(fs.readFileSync(path.join(data, aside[0])), bad.subarray(last));
  assert.deepStrictEqual(fs.readFileSync(log), good.subarray(0, last));
  await otsOk(emu, 'GetRow', ots.getRowBody(901, 1));
  await emu.stop();
  emu = await start({ args }); // repaired: starts without the flag
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('without --data-dir nothing is written', async () => {
  const dir = tmpdir();
  const home = path.join(dir, 'home');
  const cwd = path.join(dir, 'cwd');
  fs.mkdirSync(home);
  fs.mkdirSync(cwd);
  // The TLS state dir is the only place acsemu writes by default; it is
  // pointed outside `dir` here, as in every test.
  const emu = await start({ cwd, env: { HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') } });
  const call = client(emu, { [ROOT]: ots.A.secret });
  ok(await call(ROOT, 'CreateUser', { UserName: 'ephemeral' }));
  await otsOk(emu, 'PutRow', ots.putRowBody(1, 1));
  ok(await emu.json('POST', '/_emu/reset'));
  await emu.stop();
  assert.deepStrictEqual(fs.readdirSync(cwd), []);
  assert.deepStrictEqual(fs.readdirSync(home), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL under write load loses no acknowledged write (3 kills)', async () => {
  const r = await crashTest({ bin: BIN, kills: 3, seed: 9, writers: 4, keysPer: 8, minMs: 50, maxMs: 250,
    snapshotBytes: 64 * 1024 });
  assert.ok(r.acked > 0);
  assert.ok(r.files.some((f) => f.startsWith('snap-')), r.files.join(' '));
});

test('a second process cannot open the same data dir', async () => {
  const dir = tmpdir();
  const args = ['--data-dir', path.join(dir, 'data')];
  const emu = await start({ args });
  const r = await run(['--port', '0', '--world', path.join(SRC, 'data/world.json'), ...args],
    { env: { ACSEMU_STATE_DIR: STATE_DIR } });
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /in use by another acsemu process/);
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--help names --data-dir', async () => {
  const r = await run(['--help']);
  assert.match(r.stdout, /--data-dir DIR/);
});

test('a committed local transaction is journaled, an open one is not; a stream stays on', async () => {
  const dir = tmpdir();
  const args = ['--data-dir', path.join(dir, 'data')];
  let emu = await start({ args });
  // CreateTable with enable_local_txn (field 8): the Java and Go SDKs' flag.
  await otsOk(emu, 'CreateTable', Buffer.concat([createTableBody('txn', 1), ots.pbInt(8, 1)]));
  // A stream specification (StreamSpecification {enable, 24 hours}) is world state.
  await otsOk(emu, 'CreateTable', Buffer.concat([createTableBody('streamed', 1),
    ots.pbBytes(5, Buffer.concat([ots.pbInt(1, 1), ots.pbInt(2, 24)]))]));
  const begin = async (id) => {
    const r = await ots.send(emu, 'StartLocalTransaction', Buffer.concat([ots.pbString(1, 'txn'), ots.pbBytes(2, ots.plainRow([['id', BigInt(id)]]))]));
    assert.strictEqual(r.status, 200, ots.errorOf(r.raw).message);
    return ots.pbDecode(r.raw)[1][0].toString();
  };
  const putIn = (txn, id, name) => otsOk(emu, 'PutRow', Buffer.concat([ots.pbString(1, 'txn'),
    ots.pbBytes(2, ots.plainRow([['id', BigInt(id)]], [['name', name]])), ots.IGNORE, ots.pbString(5, txn)]));
  const t1 = await begin(1);
  await putIn(t1, 1, 'committed');
  await otsOk(emu, 'CommitTransaction', ots.pbString(1, t1));
  const t2 = await begin(2);
  await putIn(t2, 2, 'open');
  const rows = (w) => w.Accounts[0].Tablestore.Instances[0].Tables.find((t) => t.TableName === 'txn');
  const before = await world(emu);
  assert.deepStrictEqual(rows(before).Rows.map((r) => r.id), [1]);
  assert.strictEqual(rows(before).EnableLocalTxn, true);
  const streamed = before.Accounts[0].Tablestore.Instances[0].Tables.find((t) => t.TableName === 'streamed');
  assert.strictEqual(streamed.StreamExpirationTime, 24);
  assert.match(streamed.StreamEnableTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  await kill(emu);

  emu = await start({ args });
  assert.deepStrictEqual(await world(emu), before);
  // The open transaction died with the process: its lock is gone.
  const r = await ots.send(emu, 'CommitTransaction', ots.pbString(1, t2));
  assert.strictEqual(r.status, 404);
  assert.strictEqual(ots.errorOf(r.raw).code, 'OTSSessionNotExist');
  await putIn(await begin(2), 2, 'again');
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
