'use strict';
// The console page (/_emu/) in headless Chromium: Debian's /usr/bin/chromium
// driven by playwright-core from tests/sdk (never a downloaded browser).
// Starts acsemu with the seed world on --port 0, checks that the page shows
// the world (accounts, the cross-account role and its Service principal, the
// vehicle_track table and its rows with paging), that no secret reaches the
// page, and that a denied request shows up in the live decisions list with
// its reason and opens its explanation.
//
// EMU_SCREENSHOT_DIR=DIR saves PNGs of the page for a look during
// development (never committed).
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, SRC } = require('../support/emu');
const { CHROMIUM, launch } = require('../support/chromium');
const { client } = require('../support/rpc');

const SHOTS = process.env.EMU_SCREENSHOT_DIR;

// The seed's rows in primary-key order (vid, gt), as the store keeps them.
function seedRows() {
  const lines = fs.readFileSync(path.join(SRC, 'data/vehicle_track.csv'), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
  rows.sort((a, b) => Number(a.vid) - Number(b.vid) || Number(a.gt) - Number(b.gt));
  return { head, rows };
}


async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

// Text of the rows grid: one array of cell texts per row.
function gridText(page) {
  return page.$$eval('#rows table.rows tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
}

test('console page in headless Chromium', { timeout: 120000 }, async (t) => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  const emu = await start();
  const browser = await launch({ viewport: { width: 1280, height: 800 } });
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A 404 from the decisions endpoint is expected while it does not exist.
    if (m.type() === 'error' && !/404/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  t.after(async () => {
    await browser.close();
    await emu.stop();
  });

  await t.test('served by acsemu with a strict CSP', async () => {
    const r = await page.goto(`${emu.base}/_emu/`);
    assert.strictEqual(r.status(), 200);
    const h = r.headers();
    assert.match(h['content-type'], /^text\/html/);
    assert.match(h['content-security-policy'], /default-src 'none'/);
    assert.match(h['content-security-policy'], /script-src 'self'/);
    assert.strictEqual(h['x-content-type-options'], 'nosniff');
    const js = await emu.request('GET', '/_emu/console/console.js');
    assert.strictEqual(js.status, 200);
    assert.match(js.headers['content-type'], /^text\/javascript/);
    const css = await emu.request('GET', '/_emu/console/console.css');
    assert.match(css.headers['content-type'], /^text\/css/);
    assert.strictEqual((await emu.request('GET', '/_emu/console/nope.js')).status, 404);
    assert.strictEqual((await emu.request('GET', '/_emu/nope')).status, 404);
  });

  await t.test('shows both accounts', async () => {
    const tabs = page.locator('#accounts [role="tab"]');
    await tabs.first().waitFor();
    const text = await tabs.allTextContents();
    assert.ok(text.some((s) => s.includes('12345')), text.join('|'));
    assert.ok(text.some((s) => s.includes('56789')), text.join('|'));
    assert.strictEqual(await page.getAttribute('#tab-12345', 'aria-selected'), 'true');
  });

  await t.test('shows the role and its Service trust principal, highlighted', async () => {
    const role = page.locator('tr[data-role="AliyunODPSRoleForOtherUser"]');
    await role.waitFor();
    const chip = role.locator('.chip.svc[data-principal="56789@odps.aliyuncs.com"]');
    assert.strictEqual(await chip.count(), 1);
    assert.match(await chip.textContent(), /Service\s*56789@odps\.aliyuncs\.com/);
    // The policy's default version, pretty-printed.
    const pol = page.locator('details[data-policy="AliyunODPSRolePolicyForOtherUser"] pre');
    assert.match(await pol.textContent(), /\n {6}"Action": \[\n {8}"ots:ListTable"/);
  });

  const { head, rows } = seedRows();
  const expectRow = (cells, row) => {
    // Columns: vid, gt (PK) then the defined columns in schema order, which
    // is the CSV's order.
    assert.strictEqual(cells.length, head.length);
    head.forEach((name, i) => assert.strictEqual(Number(cells[i]), Number(row[name]),
      `${name}: ${cells[i]} vs ${row[name]}`));
  };

  await t.test('shows vehicle_track and a page of its rows', async () => {
    await page.locator('button[data-table="vehicle_track"][aria-pressed="true"]').waitFor();
    await page.locator('#rows table.rows tbody tr').first().waitFor();
    const headers = await page.$$eval('#rows table.rows thead th', (ths) =>
      ths.map((th) => th.firstChild.textContent));
    assert.deepStrictEqual(headers, head);
    const grid = await gridText(page);
    assert.strictEqual(grid.length, 50);
    grid.forEach((cells, i) => expectRow(cells, rows[i]));
    assert.match(await page.textContent('#rows-range'), /rows 1–50 of 10000/);
    await shot(page, 'console-world');
  });

  await t.test('pages forward and back', async () => {
    await page.click('button[aria-label="Next page of rows"]');
    await page.waitForFunction(() => /rows 51–100/.test(document.querySelector('#rows-range')?.textContent));
    (await gridText(page)).forEach((cells, i) => expectRow(cells, rows[50 + i]));
    await page.click('button[aria-label="Previous page of rows"]');
    await page.waitForFunction(() => /rows 1–50 /.test(document.querySelector('#rows-range')?.textContent));
    expectRow((await gridText(page))[0], rows[0]);
  });

  await t.test('account tabs work from the keyboard; keys by id only', async () => {
    await page.focus('#tab-12345');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('#tab-56789')?.getAttribute('aria-selected') === 'true');
    assert.strictEqual(await page.evaluate(() => document.activeElement.id), 'tab-56789');
    const panel = await page.textContent('#account');
    assert.match(panel, /etl/);
    assert.match(panel, /LTAIemuEtlUser56789/);
    assert.match(panel, /LTAIemuOdpsFor56789/);
    await shot(page, 'console-account-b');
    // No secret of the world may reach the DOM.
    const html = await page.content();
    assert.doesNotMatch(html, /emu-secret/);
  });

  await t.test('data is rendered as text, never as markup', async () => {
    // B's root creates a user and a policy whose texts are markup.
    const call = client(emu, { LTAIemuAccountB56789: 'emu-secret-account-b' });
    const evil = '<img src=x onerror="window.__xss=1">';
    const u = await call('LTAIemuAccountB56789', 'CreateUser', { UserName: 'markup', DisplayName: evil });
    assert.strictEqual(u.status, 200);
    const p = await call('LTAIemuAccountB56789', 'CreatePolicy', {
      PolicyName: 'markup', Description: '<script>window.__xss=2</script>',
      PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:Get*', Resource: '*' }] }),
    });
    assert.strictEqual(p.status, 200);
    // Its RAM tags show as chips, their text literal too.
    const tg = await call('LTAIemuAccountB56789', 'TagResources', { ResourceType: 'policy',
      'ResourceNames.1': 'markup', 'Tag.1.Key': 'owner', 'Tag.1.Value': '<b>data</b>' });
    assert.strictEqual(tg.status, 200, JSON.stringify(tg.body));
    await page.click('#reload');
    await page.locator('details[data-policy="markup"]').waitFor();
    assert.strictEqual(await page.textContent('details[data-policy="markup"] .chip[data-tag="owner"]'),
      'tagowner=<b>data</b>');
    const panel = await page.textContent('#account');
    assert.ok(panel.includes(evil), 'the display name shows literally');
    assert.ok(panel.includes('<script>window.__xss=2</script>'));
    assert.strictEqual(await page.locator('#account img, #account script').count(), 0);
    assert.strictEqual(await page.evaluate(() => window.__xss), undefined);
    assert.doesNotMatch(await page.content(), /emu-secret/);
    await page.click('#tab-12345');
  });

  await t.test('a denial appears in the live list and explains itself', async (st) => {
    const list = await emu.json('GET', '/_emu/decisions?limit=1');
    if (list.status === 404) {
      // The endpoint belongs to emulator/admin/admin_decisions.c. If that
      // file exists the endpoint must answer: a 404 then means a route
      // (for example the console's catch-all /_emu/) shadows it.
      assert.ok(!fs.existsSync(path.join(SRC, 'emulator/admin/admin_decisions.c')),
        'admin_decisions.c exists but GET /_emu/decisions answers 404');
      await page.waitForFunction(() => /No decisions endpoint/.test(
        document.querySelector('#decisions-status')?.textContent));
      st.skip('GET /_emu/decisions is not implemented yet (404): the page says so; ' +
        'decision assertions skipped');
      return;
    }
    assert.strictEqual(list.status, 200);

    // B's RAM user etl has no policies: CreateUser is an implicit deny.
    const call = client(emu, { LTAIemuEtlUser56789: 'emu-secret-etl' });
    const r = await call('LTAIemuEtlUser56789', 'CreateUser', { UserName: 'console-test' });
    assert.strictEqual(r.status, 403);
    const id = r.headers['x-emu-decision'];
    assert.ok(id, 'denial carries x-emu-decision');
    const rec = await emu.json('GET', `/_emu/decisions/${encodeURIComponent(id)}`);
    assert.strictEqual(rec.status, 200);
    const reason = rec.body.reason;
    assert.ok(reason, 'the record has a one-line reason');

    const item = page.locator(`#decisions button[data-id="${id}"]`);
    await item.waitFor({ timeout: 10000 });
    assert.match(await item.getAttribute('class'), /\bdeny\b/);
    assert.match(await item.textContent(), /ram:CreateUser/);
    assert.strictEqual((await item.locator('.reason').textContent()).trim(), reason);
    await shot(page, 'console-decisions');

    await item.click();
    const dlg = page.locator('dialog#explain');
    await dlg.waitFor({ state: 'visible' });
    await page.waitForFunction(() => !/Loading the full record/.test(
      document.querySelector('#explain-body')?.textContent));
    assert.strictEqual((await page.textContent('#explain-reason')).trim(), reason);
    const text = await dlg.textContent();
    assert.match(text, /Deciding layer/);
    assert.match(text, /identity/);
    assert.match(text, /ram:CreateUser/);
    assert.doesNotMatch(text, /emu-secret/);
    await shot(page, 'console-explain');
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'hidden' });
    assert.strictEqual(await page.evaluate(() => document.activeElement?.dataset?.id), id,
      'focus returns to the decision');
  });

  await t.test('no script errors or CSP violations', () => {
    assert.deepStrictEqual(problems, []);
  });
});
