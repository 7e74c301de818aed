'use strict';
// Fault injection (include/emu/faults.h, POST/GET/DELETE /_emu/faults):
// each service answers an injected fault with its own wire error (status,
// Code, Message from tablestore-protocol.md §5.2 and rpc-api.md §7); counts
// run down; fractions are deterministic for a seed; principals and actions
// narrow a rule; BatchWriteRow fails only the chosen rows; added latency
// never blocks the loop; bad rules are refused with a message that says why;
// reset and DELETE clear the rules; shutdown does not wait for delays.
const test = require('node:test');
const assert = require('node:assert');
const { start } = require('../support/emu');
const { client } = require('../support/rpc');
const ots = require('../support/ots');

const SECRETS = { LTAIemuAccountA12345: 'emu-secret-account-a', LTAIemuAccountB56789: 'emu-secret-account-b' };
const AK_A = 'LTAIemuAccountA12345';
const AK_B = 'LTAIemuAccountB56789';

let emu, call;
test.before(async () => {
  emu = await start();
  call = client(emu, SECRETS);
});
test.after(async () => { await emu.stop(); });
test.beforeEach(async () => {
  const r = await emu.json('DELETE', '/_emu/faults');
  assert.strictEqual(r.status, 200);
});

const addRules = (body) => emu.json('POST', '/_emu/faults', body);
const putRow = (vid, gt) => ots.send(emu, 'PutRow', ots.putRowBody(vid, gt));
const getRow = (vid, gt) => ots.send(emu, 'GetRow', ots.getRowBody(vid, gt));
const identity = (ak = AK_A) => call(ak, 'GetCallerIdentity', {}, { product: 'sts' });

function otsFails(r, status, code, message) {
  assert.strictEqual(r.status, status, r.raw.toString());
  const e = ots.errorOf(r.raw);
  assert.strictEqual(e.code, code);
  if (message !== undefined) assert.strictEqual(e.message, message);
  assert.ok(r.headers['x-ots-requestid'], 'x-ots-requestid header');
}

test('OTS errors with their real status and message; count runs down', async () => {
  const cases = [
    ['OTSServerBusy', 503, 'Server is busy.'],
    ['OTSQuotaExhausted', 403, 'Too frequent table operations.'],
    ['OTSRowOperationConflict', 409, 'Data is being modified by the other request.'],
    ['OTSTimeout', 503, 'Operation timeout.'],
  ];
  for (const [code, status, message] of cases) {
    const a = await addRules({ service: 'ots', action: 'PutRow', error: code, count: 2 });
    assert.strictEqual(a.status, 200, JSON.stringify(a.body));
    otsFails(await putRow(1, 1), status, code, message);
    // Another action of the same service is not touched.
    assert.strictEqual((await getRow(1, 1)).status, 200);
    otsFails(await putRow(1, 2), status, code, message);
    assert.strictEqual((await putRow(1, 3)).status, 200);
    const g = await emu.json('GET', '/_emu/faults');
    const rule = g.body.rules[0];
    assert.strictEqual(rule.error, code);
    assert.strictEqual(rule.status, status);
    assert.strictEqual(rule.count, 2);
    assert.strictEqual(rule.remaining, 0);
    assert.strictEqual(rule.fired, 2);
    assert.strictEqual(rule.matched, 3);
    await emu.json('DELETE', '/_emu/faults');
  }
});

test('STS Throttling.User and RAM ServiceUnavailable in the RPC error body', async () => {
  await addRules({ rules: [
    { service: 'sts', error: 'Throttling.User', count: 1 },
    { service: 'ram', action: 'ListUsers', error: 'ServiceUnavailable', count: 1 },
  ] });
  let r = await identity();
  assert.strictEqual(r.status, 400);
  assert.strictEqual(r.body.Code, 'Throttling.User');
  assert.strictEqual(r.body.Message, 'Request was denied due to user flow control.');
  assert.match(r.body.RequestId, /^[0-9A-F-]{36}$/);
  assert.ok(r.body.Recommend.includes('Throttling.User'));
  assert.strictEqual((await identity()).status, 200);

  r = await call(AK_A, 'ListUsers');
  assert.strictEqual(r.status, 503);
  assert.strictEqual(r.body.Code, 'ServiceUnavailable');
  assert.strictEqual(r.body.Message, 'The request has failed due to a temporary failure of the server.');
  assert.strictEqual((await call(AK_A, 'ListUsers')).status, 200);

  // XML answers keep the code too; a status override (429) is honoured.
  await addRules({ error: 'Throttling.User', status: 429, count: 1 });
  r = await call(AK_A, 'GetCallerIdentity', {}, { product: 'sts', xml: true });
  assert.strictEqual(r.status, 429);
  assert.match(r.body, /<Code>Throttling.User<\/Code>/);
  // A rule without a service covers every service that knows the code.
  const g = await emu.json('GET', '/_emu/faults');
  assert.strictEqual(g.body.rules.find((x) => x.status === 429).service, 'sts,ram');
});

test('principal narrows a rule: ARN, account id or AccessKeyId', async () => {
  const me = (await identity(AK_B)).body;
  for (const principal of [me.Arn, '56789', AK_B]) {
    await addRules({ service: 'sts', principal, error: 'Throttling.User' });
    assert.strictEqual((await identity(AK_A)).status, 200, principal);
    assert.strictEqual((await identity(AK_B)).body.Code, 'Throttling.User', principal);
    await emu.json('DELETE', '/_emu/faults');
  }
});

test('a fraction is deterministic for a seed', async () => {
  async function pattern(seed) {
    await emu.json('DELETE', '/_emu/faults');
    await addRules({ seed, rules: [{ service: 'ots', action: 'GetRow', error: 'OTSServerBusy', fraction: 0.5 }] });
    let s = '';
    for (let i = 0; i < 32; i++) s += (await getRow(1, 1)).status === 503 ? 'x' : '.';
    return s;
  }
  const a = await pattern(7);
  const b = await pattern(7);
  const c = await pattern(8);
  assert.strictEqual(a, b);
  assert.notStrictEqual(a, c);
  assert.match(a, /x/);
  assert.match(a, /\./);
  const g = await emu.json('GET', '/_emu/faults');
  assert.strictEqual(g.body.seed, 8);
  assert.strictEqual(g.body.rules[0].matched, 32);
  assert.strictEqual(g.body.rules[0].fired, [...c].filter((ch) => ch === 'x').length);
});

test('partial BatchWriteRow: chosen rows fail with the given error, others are written', async () => {
  await addRules({ service: 'ots', error: 'OTSRowOperationConflict', rows: [1, 3], count: 1 });
  const rows = [[900, 1], [900, 2], [900, 3], [900, 4], [900, 5]];
  const r = await ots.send(emu, 'BatchWriteRow', ots.batchWriteBody(rows));
  assert.strictEqual(r.status, 200, r.raw.toString());
  const res = ots.batchWriteResult(r.raw)[0].rows;
  assert.deepStrictEqual(res.map((x) => x.ok), [true, false, true, false, true]);
  assert.strictEqual(res[1].code, 'OTSRowOperationConflict');
  assert.strictEqual(res[1].message, 'Data is being modified by the other request.');
  // Failed rows were not written; the others were.
  const present = async (vid, gt) => {
    const g = await getRow(vid, gt);
    assert.strictEqual(g.status, 200);
    return (ots.pbDecode(g.raw)[2] || [Buffer.alloc(0)])[0].length > 0;
  };
  assert.strictEqual(await present(900, 1), true);
  assert.strictEqual(await present(900, 2), false);
  assert.strictEqual(await present(900, 4), false);
  // count: 1 → the next batch is whole.
  const again = ots.batchWriteResult((await ots.send(emu, 'BatchWriteRow', ots.batchWriteBody(rows))).raw)[0].rows;
  assert.deepStrictEqual(again.map((x) => x.ok), [true, true, true, true, true]);

  // row_fraction with a seed is repeatable.
  async function frac() {
    await emu.json('DELETE', '/_emu/faults');
    await addRules({ seed: 3, rules: [{ error: 'OTSServerBusy', row_fraction: 0.5 }] });
    const rr = await ots.send(emu, 'BatchWriteRow', ots.batchWriteBody(rows.map(([, gt]) => [901, gt]).concat(
      [[901, 6], [901, 7], [901, 8], [901, 9], [901, 10]])));
    return ots.batchWriteResult(rr.raw)[0].rows.map((x) => (x.ok ? '.' : x.code)).join(' ');
  }
  const f1 = await frac();
  assert.strictEqual(await frac(), f1);
  assert.match(f1, /OTSServerBusy/);
  assert.match(f1, /\./);
});

test('latency answers late without blocking the loop', async () => {
  await addRules({ service: 'ots', action: 'GetRow', delay_ms: 400, count: 1 });
  const t0 = Date.now();
  const slow = getRow(1, 1).then((r) => ({ r, ms: Date.now() - t0 }));
  await new Promise((res) => setTimeout(res, 50));
  // Other clients are served meanwhile.
  const t1 = Date.now();
  assert.strictEqual((await emu.request('GET', '/_emu/health')).status, 200);
  assert.strictEqual((await identity()).status, 200);
  assert.strictEqual((await getRow(1, 2)).status, 200); // count spent
  assert.ok(Date.now() - t1 < 300, `other requests took ${Date.now() - t1} ms`);
  const { r, ms } = await slow;
  assert.strictEqual(r.status, 200);
  assert.ok(ms >= 390, `delayed answer after ${ms} ms`);

  // An error can be delayed too (a realistic OTSTimeout).
  await addRules({ service: 'ots', action: 'PutRow', error: 'OTSTimeout', delay_ms: 150, count: 1 });
  const t2 = Date.now();
  otsFails(await putRow(2, 1), 503, 'OTSTimeout', 'Operation timeout.');
  assert.ok(Date.now() - t2 >= 140);
});

test('bad rules: 400 with a message that names the problem', async () => {
  const bad = [
    [{ service: 'ots', error: 'OTSNoSuchThing' }, /unknown error code "OTSNoSuchThing" for service ots; known: OTSServerBusy/],
    [{ service: 'sts', error: 'OTSServerBusy' }, /unknown error code "OTSServerBusy" for service sts; known: Throttling.User/],
    [{ service: 'dynamo', error: 'OTSServerBusy' }, /rule.service: unknown service "dynamo"/],
    [{ error: 'OTSServerBusy', probability: 0.5 }, /unknown key "probability"/],
    [{ service: 'ots' }, /a rule must do something/],
    [{ error: 'OTSServerBusy', fraction: 2 }, /rule.fraction: expected a number from 0 to 1/],
    [{ error: 'OTSServerBusy', count: 0 }, /rule.count: expected an integer/],
    [{ delay_ms: 600000 }, /rule.delay_ms/],
    [{ rows: [1] }, /needs a Tablestore error/],
    [{ error: 'Throttling.User', rows: [1] }, /needs a Tablestore error/],
    [{ error: 'OTSServerBusy', action: 'PutRow', rows: [1] }, /apply to BatchWriteRow, not PutRow/],
    [{ error: 'OTSServerBusy', rows: [999] }, /rows: each index/],
    [{ rules: [{ error: 'OTSServerBusy' }, { error: 'Nope' }] }, /rules\[1\].error: unknown error code "Nope"/],
    [{ rules: {} }, /rules: expected an array/],
    [{ seed: -1, rules: [] }, /seed/],
  ];
  for (const [body, re] of bad) {
    const r = await addRules(body);
    assert.strictEqual(r.status, 400, JSON.stringify(body));
    assert.strictEqual(r.body.error.code, 'InvalidFaultRule');
    assert.match(r.body.error.message, re, JSON.stringify(body));
  }
  // Nothing was added by any of them (all or nothing).
  assert.deepStrictEqual((await emu.json('GET', '/_emu/faults')).body.rules, []);
  const r = await emu.request('POST', '/_emu/faults', '{"rules": [', { 'content-type': 'application/json' });
  assert.strictEqual(r.status, 400);
  assert.strictEqual(JSON.parse(r.body).error.code, 'MalformedJSON');
});

test('DELETE one rule, DELETE all, and reset clear rules', async () => {
  const a = await addRules({ rules: [{ error: 'OTSServerBusy' }, { error: 'Throttling.User' }] });
  const ids = a.body.rules.map((x) => x.id);
  assert.deepStrictEqual(ids.length, 2);
  let d = await emu.json('DELETE', `/_emu/faults/${ids[0]}`);
  assert.deepStrictEqual(d.body.rules.map((x) => x.id), [ids[1]]);
  assert.strictEqual((await emu.json('DELETE', '/_emu/faults/f999')).status, 404);
  assert.strictEqual((await identity()).body.Code, 'Throttling.User');
  await emu.json('POST', '/_emu/reset');
  assert.deepStrictEqual((await emu.json('GET', '/_emu/faults')).body.rules, []);
  assert.strictEqual((await identity()).status, 200);
  await addRules({ error: 'OTSServerBusy' });
  d = await emu.json('DELETE', '/_emu/faults');
  assert.deepStrictEqual(d.body.rules, []);
  // The admin API itself is never faulted.
  await addRules({ service: '*', action: '*', delay_ms: 5000 });
  const t = Date.now();
  assert.strictEqual((await emu.request('GET', '/_emu/health')).status, 200);
  assert.ok(Date.now() - t < 1000);
});

test('shutdown sends delayed answers at once', async () => {
  const e2 = await start();
  await e2.json('POST', '/_emu/faults', { service: 'ots', delay_ms: 60000 });
  const pending = ots.send(e2, 'GetRow', ots.getRowBody(1, 1)).catch((err) => ({ err }));
  await new Promise((res) => setTimeout(res, 100));
  const t = Date.now();
  await e2.stop();
  assert.ok(Date.now() - t < 5000, 'stop waited for the delay');
  const r = await pending;
  if (!r.err) assert.strictEqual(r.status, 200);
});
