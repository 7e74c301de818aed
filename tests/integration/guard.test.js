'use strict';
// The admin plane (/_emu/) against browsers and other hosts: Host names
// (DNS rebinding), Origin (CSRF), Content-Type of state-changing calls, and
// the --admin-token. The cloud APIs keep answering whatever Host an SDK
// sends. tests/browser/hostile.test.js replays the attacks from a real page.
const test = require('node:test');
const assert = require('node:assert');
const { start, run, logged } = require('../support/emu');
const { v1Path } = require('../support/sign');

const AK = 'LTAIemuAccountA12345';
const SECRET = 'emu-secret-account-a';
const TOKEN = 'tok-0123456789abcdef';

function errOf(r) {
  return JSON.parse(r.body).error || {};
}

async function clockOffset(emu) {
  return (await emu.json('GET', '/_emu/clock')).body.offset_ms;
}

test('Host: only this machine\'s names reach the admin API', async () => {
  const emu = await start();
  try {
    const P = emu.port;
    // A DNS-rebinding page: same socket, its own name in Host.
    for (const host of [`evil.example:${P}`, 'evil.example', `0.0.0.0:${P}`, `127.0.0.1.evil.example:${P}`,
      `localhost.evil.example:${P}`, `evil.localhost.example:${P}`, `2130706433:${P}`, `127.1:${P}`,
      `[::ffff:127.0.0.1]:${P}`, `localhost:${P}x`, `localhost:`]) {
      const r = await emu.request('GET', '/_emu/world', undefined, { host });
      assert.strictEqual(r.status, 403, `Host ${host}: ${r.body}`);
      assert.strictEqual(errOf(r).code, 'ForbiddenHost');
      assert.match(errOf(r).message, /--allow-host/);
      assert.doesNotMatch(r.body, /AccessKeySecret|emu-secret/);
    }
    const reset = await emu.request('POST', '/_emu/clock', '{"advance_seconds":3600}',
      { host: `evil.example:${P}`, 'content-type': 'application/json' });
    assert.strictEqual(reset.status, 403);
    assert.strictEqual(await clockOffset(emu), 0);
    // Unknown admin paths say nothing more.
    assert.strictEqual((await emu.request('GET', '/_emu/nope', undefined, { host: 'evil.example' })).status, 403);

    for (const host of [`127.0.0.1:${P}`, `localhost:${P}`, `LOCALHOST:${P}`, `console.localhost:${P}`,
      `a.b-c.localhost:${P}`, `127.0.0.2:${P}`, `127.255.255.254:${P}`, `[::1]:${P}`, 'localhost']) {
      const r = await emu.request('GET', '/_emu/world', undefined, { host });
      assert.strictEqual(r.status, 200, `Host ${host}: ${r.body}`);
    }
    // The cloud APIs answer the names SDKs send.
    const rpc = await emu.request('GET', v1Path('GetCallerIdentity', '2015-04-01', AK, SECRET), undefined,
      { host: `sts.cn-hangzhou.aliyuncs.com:${P}` });
    assert.strictEqual(rpc.status, 200, rpc.body);
    assert.match(rpc.body, /"AccountId":"12345"/);
  } finally {
    await emu.stop();
  }
});

test('--allow-host and ACSEMU_ALLOW_HOST add names', async () => {
  let emu = await start({ args: ['--allow-host', 'devbox.test', '--allow-host', 'acsemu'] });
  try {
    for (const [host, status] of [['devbox.test', 200], [`DEVBOX.test:${emu.port}`, 200], [`acsemu:${emu.port}`, 200],
      [`x.devbox.test:${emu.port}`, 403], [`evil.example:${emu.port}`, 403]]) {
      assert.strictEqual((await emu.request('GET', '/_emu/health', undefined, { host })).status, status, host);
    }
  } finally {
    await emu.stop();
  }
  emu = await start({ env: { ACSEMU_ALLOW_HOST: 'a.test,b.test' } });
  try {
    assert.strictEqual((await emu.request('GET', '/_emu/health', undefined, { host: 'b.test' })).status, 200);
    assert.strictEqual((await emu.request('GET', '/_emu/health', undefined, { host: 'c.test' })).status, 403);
  } finally {
    await emu.stop();
  }
  const bad = await run(['--allow-host', 'devbox.test:8780', '--port', '0']);
  assert.strictEqual(bad.code, 2);
  assert.match(bad.stderr, /--allow-host: "devbox.test:8780": give the host name without a port/);
});

test('Origin: only acsemu\'s own pages may call it from a browser', async () => {
  const emu = await start();
  try {
    const P = emu.port;
    const j = { 'content-type': 'application/json' };
    for (const origin of [`http://127.0.0.1:${P + 1}`, 'null', 'http://evil.example', `http://localhost:${P}`,
      `file://`, `http://127.0.0.1:${P}.evil.example`]) {
      const r = await emu.request('POST', '/_emu/clock', '{"advance_seconds":3600}', { ...j, origin });
      assert.strictEqual(r.status, 403, `Origin ${origin}: ${r.body}`);
      assert.strictEqual(errOf(r).code, 'ForbiddenOrigin');
      const w = await emu.request('GET', '/_emu/world', undefined, { origin });
      assert.strictEqual(w.status, 403);
    }
    assert.strictEqual(await clockOffset(emu), 0);
    // Fetch metadata without Origin: a cross-site subresource is refused,
    // following a link to the console is not.
    const sub = await emu.request('GET', '/_emu/world', undefined,
      { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' });
    assert.strictEqual(sub.status, 403);
    const nav = await emu.request('GET', '/_emu/', undefined,
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' });
    assert.strictEqual(nav.status, 200);
    // The page's own origin is fine.
    const own = await emu.request('POST', '/_emu/clock', '{"advance_seconds":60}',
      { ...j, origin: `http://127.0.0.1:${P}`, 'sec-fetch-site': 'same-origin' });
    assert.strictEqual(own.status, 200, own.body);
    assert.strictEqual(await clockOffset(emu), 60000);
  } finally {
    await emu.stop();
  }
});

test('calls that change state need Content-Type: application/json', async () => {
  const emu = await start();
  try {
    await emu.json('POST', '/_emu/checkpoints/keep');
    const calls = [['POST', '/_emu/reset'], ['POST', '/_emu/clock', '{"advance_seconds":3600}'],
      ['POST', '/_emu/checkpoints/evil'], ['POST', '/_emu/checkpoints/keep/restore'],
      ['DELETE', '/_emu/checkpoints/keep'], ['POST', '/_emu/faults', '{"error":"OTSServerBusy","count":5}'],
      ['DELETE', '/_emu/decisions']];
    for (const [method, p, body] of calls) {
      for (const ct of [undefined, 'text/plain', 'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x', 'application/jsonx', 'text/json']) {
        const r = await emu.request(method, p, body, ct ? { 'content-type': ct } : {});
        assert.strictEqual(r.status, 415, `${method} ${p} ${ct}: ${r.body}`);
        assert.strictEqual(errOf(r).code, 'UnsupportedMediaType');
      }
    }
    assert.strictEqual(await clockOffset(emu), 0);
    const cps = (await emu.json('GET', '/_emu/checkpoints')).body.checkpoints.map((c) => c.name);
    assert.deepStrictEqual(cps, ['keep']);
    assert.deepStrictEqual((await emu.json('GET', '/_emu/faults')).body.rules, []);
    const ok = await emu.request('POST', '/_emu/clock', '{"advance_seconds":5}',
      { 'content-type': 'Application/JSON; charset=utf-8' });
    assert.strictEqual(ok.status, 200, ok.body);
  } finally {
    await emu.stop();
  }
});

test('--admin-token: admin calls need the bearer token; it is never logged', async () => {
  const emu = await start({ args: ['--admin-token', TOKEN, '--log-level', 'debug'] });
  try {
    for (const auth of [undefined, 'Bearer wrong-token-000', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer ']) {
      const r = await emu.request('GET', '/_emu/world', undefined, auth ? { authorization: auth } : {});
      assert.strictEqual(r.status, 401, `${auth}: ${r.body}`);
      assert.strictEqual(errOf(r).code, 'Unauthorized');
      assert.match(r.headers['www-authenticate'], /^Bearer /);
      const p = await emu.request('POST', '/_emu/reset', undefined,
        { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) });
      assert.strictEqual(p.status, 401);
    }
    const good = { authorization: `Bearer ${TOKEN}` };
    assert.strictEqual((await emu.request('GET', '/_emu/world', undefined, good)).status, 200);
    assert.strictEqual((await emu.request('POST', '/_emu/clock', '{"advance_seconds":1}',
      { ...good, 'content-type': 'application/json' })).status, 200);
    // Health probes and the console's own files need no token.
    assert.strictEqual((await emu.request('GET', '/_emu/health')).status, 200);
    assert.strictEqual((await emu.request('GET', '/_emu/')).status, 200);
    assert.strictEqual((await emu.request('GET', '/_emu/console/console.js')).status, 200);
    // Host and Origin rules still come first.
    assert.strictEqual((await emu.request('GET', '/_emu/world', undefined, { ...good, host: 'evil.example' })).status, 403);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!emu.stderr.includes(TOKEN), 'the token is in the log');
  } finally {
    await emu.stop();
  }
  // From the environment too.
  const env = await start({ env: { ACSEMU_ADMIN_TOKEN: TOKEN } });
  try {
    assert.strictEqual((await env.request('GET', '/_emu/world')).status, 401);
    assert.strictEqual((await env.request('GET', '/_emu/world', undefined, { authorization: `Bearer ${TOKEN}` })).status, 200);
  } finally {
    await env.stop();
  }
});

test('a non-loopback --bind needs an admin token and warns', async () => {
  const r = await run(['--bind', '0.0.0.0', '--port', '0']);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /--bind 0\.0\.0\.0 is not a loopback address.*--admin-token TOKEN or ACSEMU_ADMIN_TOKEN/s);
  assert.strictEqual(r.stdout, '');
  const short = await run(['--admin-token', 'short', '--port', '0']);
  assert.strictEqual(short.code, 2);
  assert.match(short.stderr, /--admin-token: the token must be at least 8 characters/);
  assert.ok(!short.stderr.includes('short\n') && !/"short"/.test(short.stderr));

  const emu = await start({ args: ['--bind', '0.0.0.0'], env: { ACSEMU_ADMIN_TOKEN: TOKEN } });
  try {
    await logged(emu, /warn  listening on 0\.0\.0\.0, which other machines can reach/);
    assert.strictEqual((await emu.request('GET', '/_emu/world')).status, 401);
    assert.strictEqual((await emu.request('GET', '/_emu/world', undefined, { authorization: `Bearer ${TOKEN}` })).status, 200);
    // 0.0.0.0 is no name for this machine in a Host.
    assert.strictEqual((await emu.request('GET', '/_emu/world', undefined,
      { authorization: `Bearer ${TOKEN}`, host: `0.0.0.0:${emu.port}` })).status, 403);
    assert.ok(!emu.stderr.includes(TOKEN));
  } finally {
    await emu.stop();
  }
});
