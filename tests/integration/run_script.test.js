'use strict';
// scripts/run: the banner it prints names the endpoint acsemu actually
// serves (from the ready line), not a fixed 8780, and points only inside
// the repository. ACSEMU_BIN makes it run the built binary instead of
// building a release one.
const test = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { SRC } = require('../support/emu');

function get(port, p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

// Starts scripts/run with args; resolves once the banner's "try" line is out.
function runScript(args, env = {}) {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'acsemu-run-'));
  const child = spawn(path.join(SRC, 'scripts/run'), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ACSEMU_STATE_DIR: state, ...env },
  });
  let out = '', err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const banner = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no banner: ' + out + err)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      if (/ {2}try .*\n/.test(out)) { clearTimeout(timer); resolve(out); }
    });
    exited.then((r) => reject(new Error(`scripts/run exited ${JSON.stringify(r)}: ${err}`)));
  });
  return { child, banner, exited, state };
}

for (const [name, args, env] of [
  ['--port 0', ['--port', '0'], {}],
  ['ACSEMU_PORT=0 and a --ready-file of its own', ['--ready-file', null], { ACSEMU_PORT: '0' }],
]) {
  test(`scripts/run ${name}: the banner shows the port in use`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acsemu-run-ready-'));
    const ready = path.join(dir, 'ready.json');
    const r = runScript(args.map((a) => a ?? ready), env);
    t.after(() => { r.child.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
    const out = await r.banner;
    const info = JSON.parse(out.split('\n')[0]);
    assert.strictEqual(info.event, 'ready');
    assert.notStrictEqual(info.port, 8780);
    assert.match(out, new RegExp(`endpoint +http://127\\.0\\.0\\.1:${info.port} `));
    assert.match(out, new RegExp(`try +curl -s http://127\\.0\\.0\\.1:${info.port}/_emu/health`));
    assert.doesNotMatch(out, /8780|shared\//);
    assert.match(out, /docs\/scenario\.md/);
    if (args.includes(null)) assert.deepStrictEqual(JSON.parse(fs.readFileSync(ready, 'utf8')), info);
    const h = await get(info.port, '/_emu/health');
    assert.strictEqual(h.status, 200);
    r.child.kill('SIGTERM');
    assert.deepStrictEqual(await r.exited, { code: 0, signal: null });
    // acsemu removes the ready file it was given when it stops.
    assert.strictEqual(fs.existsSync(ready), false);
    fs.rmSync(r.state, { recursive: true, force: true });
  });
}
