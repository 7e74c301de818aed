'use strict';
// The newest denial matching the filters, fully explained and cross-checked:
// GET /_emu/decisions finds it, its decidingLayer is the expected one, its
// bundle replays offline (acsemu replay) to the same decision and reason, and
// POST /_emu/simulate with the same principal, action, resource and context
// agrees. Returns the full record.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { run } = require('./emu');

async function lastDenial(emu, filters, want) {
  const q = new URLSearchParams({ denied: '1', limit: '1', ...filters }).toString();
  const l = (await emu.json('GET', `/_emu/decisions?${q}`)).body;
  assert.strictEqual(l.count, 1, JSON.stringify(l));
  const rec = (await emu.json('GET', `/_emu/decisions/${l.decisions[0].id}`)).body;
  assert.strictEqual(rec.decidingLayer, want.layer);
  if (want.reason) assert.match(rec.reason, want.reason);
  const bundle = (await emu.json('GET', `/_emu/decisions/${rec.id}/bundle`)).body;
  const file = path.join(emu.dir, `${rec.id}.json`);
  fs.writeFileSync(file, JSON.stringify(bundle));
  const r = await run(['replay', file]);
  assert.strictEqual(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.strictEqual(out.sameDecision, true);
  assert.strictEqual(out.sameReason, true);
  const check = bundle.checks[bundle.checks.length - 1];
  const sim = (await emu.json('POST', '/_emu/simulate', { principal: rec.principal.arn, action: rec.action,
    resource: rec.resource, context: rec.context,
    ...(check.sessionPolicy ? { sessionPolicy: check.sessionPolicy.document } : {}),
    ...(check.network ? { network: check.network.trustProxy ? 'trust-proxy' : check.network.type.toLowerCase(),
      ...(check.network.sourceVpc ? { sourceVpc: check.network.sourceVpc } : {}) } : {}) })).body;
  assert.strictEqual(sim.decision, rec.decision);
  assert.strictEqual(sim.decidingLayer, rec.decidingLayer);
  assert.strictEqual(sim.reason, rec.reason);
  return rec;
}

module.exports = { lastDenial };
