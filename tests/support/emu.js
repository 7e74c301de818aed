'use strict';
// Starts the built acsemu on an ephemeral port and stops it at the end of a
// test: --port 0 plus --ready-file, never a fixed port. At stop it requires
// exit code 0 and fails on any sanitizer report in stderr.
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const SRC = process.env.EMU_SOURCE_DIR || path.resolve(__dirname, '../..');
const BIN = process.env.ACSEMU_BIN || path.join(SRC, 'build/acsemu');
const STATE_DIR = path.join(os.tmpdir(), `acsemu-test-state-${process.getuid ? process.getuid() : 'u'}`);

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'acsemu-test-'));
}

async function start(opts = {}) {
  const dir = tmpdir();
  const ready = path.join(dir, 'ready.json');
  const world = opts.world || path.join(SRC, 'data/world.json');
  const args = ['--port', '0', '--ready-file', ready, '--world', world, '--seed', '1',
    ...(opts.args || [])];
  // One CA for every test run (never the user's ~/.cache): acsemu locks the
  // state dir, so parallel test files share it safely.
  const env = { ACSEMU_STATE_DIR: STATE_DIR, ...process.env, ...(opts.env || {}) };
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: opts.cwd });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 20000;
  while (!fs.existsSync(ready)) {
    const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 10))]);
    if (done) throw new Error(`acsemu exited early (${JSON.stringify(done)}): ${stderr}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error('acsemu did not become ready: ' + stderr); }
  }
  const info = JSON.parse(fs.readFileSync(ready, 'utf8'));
  const emu = {
    info, port: info.port, base: `http://127.0.0.1:${info.port}`, child, dir,
    get stderr() { return stderr; },
    get stdout() { return stdout; },
    async stop() {
      child.kill('SIGTERM');
      const r = await exited;
      if (/AddressSanitizer|runtime error:|LeakSanitizer/.test(stderr)) {
        throw new Error('sanitizer report:\n' + stderr);
      }
      if (r.code !== 0) throw new Error(`acsemu exit ${JSON.stringify(r)}\n${stderr}`);
      fs.rmSync(dir, { recursive: true, force: true });
      return r;
    },
    request: (method, p, body, headers) => request(info.port, method, p, body, headers),
    // The same request over HTTPS, trusting the CA named by the ready line.
    https: (method, p, body, headers, tlsOpts = {}) => request(info.port, method, p, body, headers,
      { tls: true, ca: info.ca_file && fs.readFileSync(info.ca_file), ...tlsOpts }),
    // Admin calls that change state need Content-Type: application/json,
    // with or without a body; GET and HEAD send none.
    json: async (method, p, body) => {
      const r = await request(info.port, method, p, body === undefined ? undefined : JSON.stringify(body),
        method === 'GET' || method === 'HEAD' ? {} : { 'content-type': 'application/json' });
      return { status: r.status, headers: r.headers, body: r.body.length ? JSON.parse(r.body) : null };
    },
  };
  return emu;
}

// Runs acsemu to completion (for start-up failures and --help).
function run(args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env || {}) }, cwd: opts.cwd });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function request(port, method, p, body, headers = {}, tlsOpts = null) {
  return new Promise((resolve, reject) => {
    const mod = tlsOpts ? require('node:https') : http;
    const { tls: _tls, host = '127.0.0.1', ...rest } = tlsOpts || {};
    const o = { host, port, method, path: p, headers, ...(tlsOpts ? { agent: false, ...rest } : {}) };
    const req = mod.request(o, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, raw: Buffer.concat(chunks), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Sends raw bytes on a fresh TCP connection; resolves with everything the
// server wrote until it closed the connection or `ms` passed.
function raw(port, bytes, ms = 2000) {
  const net = require('node:net');
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    let closed = false;
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('end', () => { closed = true; finish(); });
    s.on('close', finish);
    const timer = setTimeout(finish, ms);
    let done = false;
    function finish() { if (done) return; done = true; clearTimeout(timer); s.destroy(); resolve({ text: Buffer.concat(chunks).toString('latin1'), closed }); }
    s.write(bytes);
  });
}

// The access log reaches stderr a moment after the response: polls the
// started emu's stderr for re (up to 3 s), then asserts it matches.
async function logged(emu, re) {
  const until = Date.now() + 3000;
  while (!re.test(emu.stderr) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  assert.match(emu.stderr, re);
}

// Loads world (a GET /_emu/world export) into a second process, requires
// that process to export the same world, runs fn on it and stops it.
let reloads = 0;
async function reloaded(emu, world, fn = async () => {}) {
  const file = path.join(emu.dir, `export-${++reloads}.json`);
  fs.writeFileSync(file, JSON.stringify(world));
  const emu2 = await start({ world: file });
  try {
    const exp2 = await emu2.json('GET', '/_emu/world');
    assert.deepStrictEqual(exp2.body, world);
    await fn(emu2);
  } finally {
    await emu2.stop();
  }
}

module.exports = { start, run, request, raw, logged, reloaded, SRC, BIN, tmpdir, STATE_DIR };
