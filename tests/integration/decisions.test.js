'use strict';
// Decision records (issue 8) against the real binary: for every denial kind
// the earlier issues produce, the service's own error, the x-emu-decision
// header, the record's deciding layer and statement, the one-line reason
// (also in the access log line), the replay bundle re-evaluating offline
// to the same decision and reason, and the simulator agreeing with
// enforcement. Then list filters, audit mode, coverage, --decisions 0,
// DecodeDiagnosticMessage and the CLI subcommands.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, run, logged, SRC, tmpdir } = require('../support/emu');
const { client } = require('../support/rpc');
const ots = require('../support/ots');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/decisions.json');
const SECRETS = {
  LTAIemuAccountA12345: 'emu-secret-account-a', LTAIemuAccountB56789: 'emu-secret-account-b',
  LTAIemuNobodyA12345: 'emu-secret-nobody', LTAIemuAlice56789: 'emu-secret-alice',
  LTAIemuCarol56789: 'emu-secret-carol', LTAIemuOdpsFor56789: 'emu-secret-odps-56789',
};
const ROOT_A = 'LTAIemuAccountA12345';
const ROOT_B = 'LTAIemuAccountB56789';
const NOBODY = 'LTAIemuNobodyA12345';
const ALICE = 'LTAIemuAlice56789';
const CAROL = 'LTAIemuCarol56789';
const ODPS_B = 'LTAIemuOdpsFor56789';
const ODPS_ROLE = 'acs:ram::12345:role/aliyunodpsroleforotheruser';
const TABLE_ARN = 'acs:ots:cn-hangzhou:12345:instance/cap1/table/vehicle_track';

// --- Tablestore GetRow, hand-signed by tests/support/ots.js ------------------
const GET_ROW = ots.getRowBody(1, 1);
const getRow = (emu, ak, secret, token) => ots.send(emu, 'GetRow', GET_ROW, { ak, secret, token });
const { pbDecode } = ots;

// Everything a denial must come with. Returns the record.
async function explained(emu, r, want) {
  const id = r.headers['x-emu-decision'];
  assert.match(id || '', /^d-\d+$/, 'x-emu-decision header');
  const rec = (await emu.json('GET', `/_emu/decisions/${id}`)).body;
  assert.strictEqual(rec.id, id);
  assert.strictEqual(rec.outcome, 'deny');
  assert.strictEqual(rec.decision, want.decision || 'ImplicitDeny');
  assert.strictEqual(rec.decidingLayer, want.layer);
  assert.strictEqual(rec.action, want.action);
  if (want.reason) assert.match(rec.reason, want.reason);
  if (want.statement) {
    const s = rec.decidingStatement || rec.closestStatement;
    assert.ok(s, 'a deciding or closest statement');
    for (const [k, v] of Object.entries(want.statement)) assert.deepStrictEqual(s[k], v, k);
  }
  if (want.mismatch) {
    const m = rec.closestStatement.mismatch.find((x) => x.element === want.mismatch.element);
    assert.ok(m, JSON.stringify(rec.closestStatement));
    for (const [k, v] of Object.entries(want.mismatch)) assert.deepStrictEqual(m[k], v, k);
  }
  // The log line names the id and the reason.
  const esc = rec.reason.slice(0, 60).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await logged(emu, new RegExp(`decision=deny decision_id=${id} .*reason=${esc}`));

  // The bundle replays offline to the same decision and reason.
  const bundle = (await emu.json('GET', `/_emu/decisions/${id}/bundle`)).body;
  assert.strictEqual(bundle.decisionId, id);
  assert.ok(!JSON.stringify(bundle).includes('emu-secret'), 'no secrets in the bundle');
  const file = path.join(emu.dir, `${id}.json`);
  fs.writeFileSync(file, JSON.stringify(bundle));
  const rp = await run(['replay', file]);
  assert.strictEqual(rp.code, 1, rp.stderr);
  const replayed = JSON.parse(rp.stdout);
  assert.strictEqual(replayed.decision, rec.decision);
  assert.strictEqual(replayed.reason, rec.reason);
  assert.strictEqual(replayed.sameDecision, true);
  assert.strictEqual(replayed.sameReason, true);

  // The simulator, fed the same request, agrees with enforcement.
  const check = bundle.checks[bundle.checks.length - 1];
  const sim = await emu.json('POST', '/_emu/simulate', {
    principal: rec.principal.arn, action: rec.action, resource: rec.resource, context: rec.context,
    ...(check.sessionPolicy ? { sessionPolicy: check.sessionPolicy.document } : {}),
  });
  assert.strictEqual(sim.status, 200, JSON.stringify(sim.body));
  assert.strictEqual(sim.body.allowed, false);
  assert.strictEqual(sim.body.simulated, true);
  assert.strictEqual(sim.body.decision, rec.decision);
  assert.strictEqual(sim.body.decidingLayer, rec.decidingLayer);
  assert.strictEqual(sim.body.reason, rec.reason);
  return { rec, bundle, file };
}

test('every denial kind is explained, replayed and simulated alike', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const tokens = {};
  const call = client(emu, SECRETS, tokens);
  const sts = (ak, action, params = {}) => call(ak, action, params, { product: 'sts' });
  const assume = (ak, role, extra = {}) => sts(ak, 'AssumeRole', { RoleArn: `acs:ram::12345:role/${role}`, RoleSessionName: 's1', ...extra });

  await t.test('wrong trust UID (UpdateRole to 12345@odps.aliyuncs.com)', async () => {
    const doc = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['12345@odps.aliyuncs.com'] } }] });
    const u = await call(ROOT_A, 'UpdateRole', { RoleName: 'AliyunODPSRoleForOtherUser', NewAssumeRolePolicyDocument: doc });
    assert.strictEqual(u.status, 200, JSON.stringify(u.body));
    const r = await sts(ODPS_B, 'AssumeRole', { RoleArn: ODPS_ROLE, RoleSessionName: 'odps' });
    assert.strictEqual(r.status, 403);
    assert.strictEqual(r.body.Code, 'NoPermission');
    assert.strictEqual(r.body.Message, 'You are not authorized to do this action. You should be authorized by RAM.');
    const { rec } = await explained(emu, r, {
      layer: 'trust-policy', action: 'sts:AssumeRole',
      reason: /^trust policy of acs:ram::12345:role\/aliyunodpsroleforotheruser allows service 12345@odps\.aliyuncs\.com; caller is 56789@odps\.aliyuncs\.com$/,
      statement: { policy: 'AliyunODPSRoleForOtherUser', type: 'Trust', pointer: '/Statement/0', index: 0 },
      mismatch: { element: 'Principal', expected: { Service: ['12345@odps.aliyuncs.com'] }, actual: { type: 'Service', value: '56789@odps.aliyuncs.com' } },
    });
    assert.strictEqual(rec.principal.type, 'service');
    assert.strictEqual(rec.principal.accessKeyId, ODPS_B);
    // Put it back for the rest.
    const back = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['56789@odps.aliyuncs.com'] } }] });
    await call(ROOT_A, 'UpdateRole', { RoleName: 'AliyunODPSRoleForOtherUser', NewAssumeRolePolicyDocument: back });
    // The record still renders the trust document that decided, now replaced.
    const again = (await emu.json('GET', `/_emu/decisions/${rec.id}`)).body;
    assert.strictEqual(again.reason, rec.reason);
  });

  await t.test('missing caller permission (carol has no sts:AssumeRole)', async () => {
    const r = await assume(CAROL, 'OtsReaderForB');
    assert.strictEqual(r.status, 403);
    const { rec } = await explained(emu, r, {
      layer: 'caller-permission-to-assume', action: 'sts:AssumeRole',
      reason: /^no identity policy allows sts:AssumeRole on acs:ram::12345:role\/otsreaderforb \(the caller has no policies\)$/,
    });
    assert.strictEqual(rec.principal.arn, 'acs:ram::56789:user/carol');
  });

  await t.test('root-only rule (root of 56789 calls AssumeRole)', async () => {
    const r = await assume(ROOT_B, 'OtsReaderForB');
    assert.strictEqual(r.status, 403);
    assert.strictEqual(r.body.Message, 'Roles may not be assumed by root accounts.');
    await explained(emu, r, {
      decision: 'ExplicitDeny', layer: 'root-only-rule', action: 'sts:AssumeRole',
      reason: /Roles may not be assumed by root accounts\. \(caller is the root of account 56789\)/,
    });
  });

  await t.test('condition false (IpAddress acs:SourceIp 10.0.0.0/8, request from 127.0.0.1)', async () => {
    const r = await assume(ALICE, 'office-only');
    assert.strictEqual(r.status, 403);
    await explained(emu, r, {
      layer: 'trust-policy', action: 'sts:AssumeRole', reason: /condition IpAddress acs:SourceIp \[10\.0\.0\.0\/8\] failed: request has \[127\.0\.0\.1\]/,
      mismatch: { element: 'Condition', operator: 'IpAddress', key: 'acs:SourceIp', expected: ['10.0.0.0/8'], actual: ['127.0.0.1'], missing: false },
    });
  });

  await t.test('condition key missing (StringEquals sts:ExternalId, none sent)', async () => {
    const r = await assume(ALICE, 'partner');
    assert.strictEqual(r.status, 403);
    await explained(emu, r, {
      layer: 'trust-policy', action: 'sts:AssumeRole', reason: /sts:ExternalId \[abcd1234\] failed: key missing from the request/,
      mismatch: { element: 'Condition', key: 'sts:ExternalId', actual: null, missing: true },
    });
    const ok = await assume(ALICE, 'partner', { ExternalId: 'abcd1234' });
    assert.strictEqual(ok.status, 200, JSON.stringify(ok.body));
    // Allowed requests carry a record too, naming the statement that allowed.
    const rec = (await emu.json('GET', `/_emu/decisions/${ok.headers['x-emu-decision']}`)).body;
    assert.strictEqual(rec.outcome, 'allow');
    assert.strictEqual(rec.decidingLayer, 'trust-policy');
    assert.strictEqual(rec.decidingStatement.policy, 'partner');
  });

  await t.test('missing ots action (RAM user without Tablestore permission: GetRow)', async () => {
    const r = await getRow(emu, NOBODY, SECRETS[NOBODY]);
    assert.strictEqual(r.status, 403);
    const m = pbDecode(r.raw);
    assert.strictEqual(m[1][0].toString(), 'OTSNoPermissionAccess');
    const detail = pbDecode(m[3][0]);
    assert.strictEqual(detail[1][0].toString(), 'ots:GetRow');
    assert.ok(detail[7], 'encoded_diagnostic_message');
    await explained(emu, r, {
      layer: 'identity-policy', action: 'ots:GetRow',
      reason: new RegExp(`^no identity policy allows ots:GetRow on ${TABLE_ARN} \\(the caller has no policies\\)$`),
    });
  });

  await t.test('cross-account without a role (alice of 56789 reads 12345 directly)', async () => {
    const r = await getRow(emu, ALICE, SECRETS[ALICE]);
    assert.strictEqual(r.status, 403);
    await explained(emu, r, {
      layer: 'cross-account-boundary', action: 'ots:GetRow',
      reason: /^user of account 56789 cannot use its identity policies on resources of account 12345; cross-account access needs a role$/,
    });
  });

  await t.test('session policy narrower than the role', async () => {
    const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ots:GetRow', Resource: 'acs:ots:*:12345:instance/cap1/table/other' }] });
    const a = await assume(ALICE, 'OtsReaderForB', { Policy: policy });
    assert.strictEqual(a.status, 200, JSON.stringify(a.body));
    const c = a.body.Credentials;
    const r = await getRow(emu, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken);
    assert.strictEqual(r.status, 403);
    const { rec } = await explained(emu, r, {
      layer: 'session-policy', action: 'ots:GetRow', reason: /^no session policy allows ots:GetRow/,
      mismatch: { element: 'Resource', expected: 'acs:ots:*:12345:instance/cap1/table/other', actual: TABLE_ARN },
    });
    assert.strictEqual(rec.principal.type, 'assumed-role');
    assert.strictEqual(rec.principal.role, 'acs:ram::12345:role/otsreaderforb');
    assert.strictEqual(rec.principal.sourcePrincipal, 'acs:ram::56789:user/alice');
    assert.strictEqual(rec.principal.sessionName, 's1');
  });

  await t.test('RAM denial: AccessDeniedDetail, EncodedDiagnosticMessage, DecodeDiagnosticMessage', async () => {
    const r = await call(NOBODY, 'CreateUser', { UserName: 'x' });
    assert.strictEqual(r.status, 403);
    const det = r.body.AccessDeniedDetail;
    assert.strictEqual(det.AuthAction, 'ram:CreateUser');
    assert.strictEqual(det.NoPermissionType, 'ImplicitDeny');
    assert.match(det.EncodedDiagnosticMessage, /^AQ/);
    const { rec } = await explained(emu, r, { layer: 'identity-policy', action: 'ram:CreateUser' });
    const d = await call(ROOT_A, 'DecodeDiagnosticMessage', { EncodedDiagnosticMessage: det.EncodedDiagnosticMessage });
    assert.strictEqual(d.status, 200, JSON.stringify(d.body));
    const m = d.body.DecodedDiagnosticMessage;
    assert.strictEqual(m.AuthAction, 'ram:CreateUser');
    assert.strictEqual(m.AuthResource, 'acs:ram::12345:user/x');
    assert.strictEqual(m.ExplicitDeny, false);
    assert.strictEqual(m.NoPermissionPolicyType, 'AccountLevelIdentityBasedPolicy');
    assert.deepStrictEqual(m.AuthPrincipal, { AuthPrincipalDisplayName: 'nobody', AuthPrincipalOwnerId: '12345', AuthPrincipalType: 'SubUser' });
    assert.ok(m.AuthConditions.some((c) => c.ConditionKey === 'acs:SourceIp' && c.ConditionValues[0] === '127.0.0.1'));
    assert.strictEqual(m.EmuDecisionId, rec.id);
    assert.strictEqual(m.EmuReason, rec.reason);
    // Another account's root cannot read it; garbage is an invalid parameter.
    const other = await call(ROOT_B, 'DecodeDiagnosticMessage', { EncodedDiagnosticMessage: det.EncodedDiagnosticMessage });
    assert.strictEqual(other.status, 400);
    assert.strictEqual(other.body.Code, 'InvalidParameter');
    const junk = await call(ROOT_A, 'DecodeDiagnosticMessage', { EncodedDiagnosticMessage: 'AQEAAAAA' });
    assert.strictEqual(junk.body.Code, 'InvalidParameter');
  });

  await t.test('list filters: denied, principal, action, limit', async () => {
    let l = (await emu.json('GET', '/_emu/decisions?denied=1&principal=acs:ram::56789:user/alice&action=sts:AssumeRole')).body;
    assert.strictEqual(l.count, 2);
    assert.ok(l.decisions.every((d) => d.outcome === 'deny' && d.action === 'sts:AssumeRole'));
    assert.ok(l.decisions[0].id > l.decisions[1].id || Number(l.decisions[0].id.slice(2)) > Number(l.decisions[1].id.slice(2)), 'newest first');
    l = (await emu.json('GET', '/_emu/decisions?denied=1&limit=1')).body;
    assert.strictEqual(l.count, 1);
    assert.strictEqual(l.capacity, 1000);
    l = (await emu.json('GET', `/_emu/decisions?principal=${ALICE}&action=GetRow`)).body;
    assert.strictEqual(l.count, 1);
    assert.strictEqual(l.decisions[0].decidingLayer, 'cross-account-boundary');
    l = (await emu.json('GET', '/_emu/decisions?principal=acs:ram::12345:role/otsreaderforb')).body;
    assert.ok(l.count >= 1);
    assert.strictEqual((await emu.json('GET', '/_emu/decisions?limit=0')).status, 400);
    assert.strictEqual((await emu.json('GET', '/_emu/decisions/d-99999')).status, 404);
    assert.strictEqual((await emu.json('GET', '/_emu/decisions/nope/bundle')).status, 404);
  });

  await t.test('coverage: statements matched and decided, trust principals never used', async () => {
    const c = (await emu.json('GET', '/_emu/coverage')).body;
    const partner = c.policies.find((p) => p.role === 'acs:ram::12345:role/partner');
    assert.strictEqual(partner.statements[0].matched, 1);
    assert.strictEqual(partner.statements[0].decided, 1);
    assert.ok(c.trustPrincipalsNeverUsed.some((u) => u.role === 'acs:ram::12345:role/partner' && u.principal.value === 'acs:ram::99999:root'));
    assert.ok(!c.trustPrincipalsNeverUsed.some((u) => u.role === 'acs:ram::12345:role/partner' && u.principal.value === 'acs:ram::56789:root'));
    assert.ok(c.summary.statements > 0);
    assert.strictEqual((await emu.json('DELETE', '/_emu/coverage')).status, 200);
  });

  await t.test('DELETE /_emu/decisions empties the ring', async () => {
    assert.strictEqual((await emu.json('DELETE', '/_emu/decisions')).status, 200);
    assert.strictEqual((await emu.json('GET', '/_emu/decisions')).body.count, 0);
  });
});

test('--authz audit lists would-be denials; --decisions 0 keeps none', async (t) => {
  const audit = await start({ world: WORLD, args: ['--authz', 'audit'] });
  t.after(() => audit.stop());
  const call = client(audit, SECRETS);
  const r = await call(NOBODY, 'CreateUser', { UserName: 'audited' });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  const id = r.headers['x-emu-decision'];
  const l = (await audit.json('GET', '/_emu/decisions?would_deny=1')).body;
  assert.strictEqual(l.count, 1);
  assert.strictEqual(l.decisions[0].id, id);
  assert.strictEqual(l.decisions[0].outcome, 'would-deny');
  assert.strictEqual(l.decisions[0].mode, 'audit');
  assert.strictEqual((await audit.json('GET', '/_emu/decisions?denied=1')).body.count, 0);
  assert.strictEqual((await audit.json('GET', '/_emu/decisions?denied=1&would_deny=1')).body.count, 1);
  await logged(audit, new RegExp(`decision=audit-deny decision_id=${id} .*reason=no identity policy allows ram:CreateUser`));

  const none = await start({ world: WORLD, args: ['--decisions', '0'] });
  t.after(() => none.stop());
  const r0 = await client(none, SECRETS)(NOBODY, 'CreateUser', { UserName: 'x' });
  assert.strictEqual(r0.status, 403);
  assert.strictEqual(r0.headers['x-emu-decision'], undefined);
  assert.ok(r0.body.AccessDeniedDetail.EncodedDiagnosticMessage, 'the diagnostic does not need the ring');
  assert.strictEqual((await none.json('GET', '/_emu/decisions')).body.capacity, 0);
});

test('acsemu simulate and acsemu replay --world (no server)', async () => {
  // Simulate agrees with enforcement (carol, no sts:AssumeRole): exit 1.
  let r = await run(['simulate', '--world', WORLD, '--principal', 'acs:ram::56789:user/carol', '--action', 'sts:AssumeRole',
    '--resource', 'acs:ram::12345:role/otsreaderforb', '--context', 'acs:SourceIp=127.0.0.1']);
  assert.strictEqual(r.code, 1, r.stderr);
  const sim = JSON.parse(r.stdout);
  assert.strictEqual(sim.decidingLayer, 'caller-permission-to-assume');
  // A policy file not in the world fixes it (the trust side allows 56789).
  const dir = tmpdir();
  const pol = path.join(dir, 'assume.json');
  fs.writeFileSync(pol, JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }));
  r = await run(['simulate', '--world', WORLD, '--principal', 'acs:ram::56789:user/carol', '--action', 'sts:AssumeRole',
    '--resource', 'acs:ram::12345:role/otsreaderforb', '--policy', pol]);
  assert.strictEqual(r.code, 0, r.stdout + r.stderr);
  assert.strictEqual(JSON.parse(r.stdout).decision, 'Allow');
  // Condition keys from --context.
  r = await run(['simulate', '--world', WORLD, '--principal', 'acs:ram::56789:user/alice', '--action', 'sts:AssumeRole',
    '--resource', 'acs:ram::12345:role/office-only', '--context', 'acs:SourceIp=10.1.2.3']);
  assert.strictEqual(r.code, 0, r.stdout + r.stderr);
  // Usage and lookup errors: exit 2.
  r = await run(['simulate', '--world', WORLD, '--principal', 'acs:ram::56789:user/nobody', '--action', 'ots:GetRow']);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /no user nobody in account 56789/);
  r = await run(['simulate', '--world', WORLD]);
  assert.strictEqual(r.code, 2);
  r = await run(['simulate', '--help']);
  assert.strictEqual(r.code, 0);
  assert.match(r.stdout, /Exit status: 0 allowed, 1 denied/);

  // Record carol's denial, then check a fix with replay --world.
  const emu = await start({ world: WORLD });
  try {
    const call = client(emu, SECRETS);
    const d = await call(CAROL, 'AssumeRole', { RoleArn: 'acs:ram::12345:role/OtsReaderForB', RoleSessionName: 'carol-s' }, { product: 'sts' });
    const bundle = (await emu.json('GET', `/_emu/decisions/${d.headers['x-emu-decision']}/bundle`)).body;
    const file = path.join(dir, 'bundle.json');
    fs.writeFileSync(file, JSON.stringify(bundle));
    r = await run(['replay', '--world', WORLD, file]);
    assert.strictEqual(r.code, 1, r.stderr);
    assert.strictEqual(JSON.parse(r.stdout).sameReason, true);
    const fixed = JSON.parse(fs.readFileSync(WORLD, 'utf8'));
    fixed.Accounts[1].Users[1].AttachedPolicies = [{ PolicyName: 'AliyunSTSAssumeRoleAccess', PolicyType: 'System' }];
    fixed.Accounts[0].Tablestore.Instances[0].Tables[0].RowsFile = path.join(SRC, 'data/vehicle_track.csv');
    const fixedWorld = path.join(dir, 'fixed.json');
    fs.writeFileSync(fixedWorld, JSON.stringify(fixed));
    r = await run(['replay', '--world', fixedWorld, file]);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.strictEqual(out.decision, 'Allow');
    assert.strictEqual(out.sameDecision, false);
    r = await run(['replay', path.join(dir, 'missing.json')]);
    assert.strictEqual(r.code, 2);
  } finally {
    await emu.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
