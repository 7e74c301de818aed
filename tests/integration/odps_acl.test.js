'use strict';
// MaxCompute's own permission model (issue 16 item 6): project members,
// roles and ACL grants, changed by security statements (POST
// /projects/p/authorization as pyodps's run_security_query sends them, and
// in SQL tasks), enforced on the REST calls and on each statement of a task,
// with the service's errors and a decision record whose deciding layer is
// maxcompute-acl. The seed world makes etl a member with the project
// privileges the seed flow needs; the tables etl creates are its own.
const test = require('node:test');
const assert = require('node:assert');
const { start } = require('../support/emu');
const { client } = require('../support/rpc');
const odps = require('../support/odps');

const ETL = { ak: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl', project: 'b_project' };
const ROOT_B = { ak: 'LTAIemuAccountB56789', secret: 'emu-secret-account-b', project: 'b_project' };
const base = '/api/projects/b_project';
const TABLE = 'ads_log_ots_pt_external';

function errorXml(r, status, code, msgRe) {
  assert.strictEqual(r.status, status, r.body);
  for (const f of ['Code', 'Message', 'RequestId', 'HostId']) assert.notStrictEqual(odps.xmlText(r.body, f), undefined, `${f} in ${r.body}`);
  assert.strictEqual(odps.xmlText(r.body, 'Code'), code);
  if (msgRe) assert.match(odps.xmlText(r.body, 'Message'), msgRe);
}

// pyodps's run_security_query: JSON answers by default.
async function security(emu, who, query, json = true) {
  const body = `<?xml version="1.0" encoding="utf-8"?>\n<Authorization><Query>${query.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Query>` +
    `<ResponseInJsonFormat>${json}</ResponseInJsonFormat></Authorization>`;
  const r = await odps.call(emu, 'POST', `${base}/authorization`,
    { ak: who.ak, secret: who.secret, params: { curr_project: 'b_project' }, body, contentType: 'application/xml' });
  const result = r.status === 200 ? odps.xmlText(r.body, 'Result') : undefined;
  return { ...r, result, json: json && result !== undefined ? JSON.parse(result) : undefined };
}

async function decision(emu, r, layer, action) {
  const id = r.headers['x-emu-decision'];
  assert.match(id || '', /^d-\d+$/, 'x-emu-decision header');
  const rec = (await emu.json('GET', `/_emu/decisions/${id}`)).body;
  assert.strictEqual(rec.decidingLayer, layer, JSON.stringify(rec));
  if (action) assert.strictEqual(rec.action, action);
  return rec;
}

test('members, roles and grants', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const etl = odps.session(emu, ETL);
  const root = odps.session(emu, ROOT_B);
  const ram = client(emu, { [ROOT_B.ak]: ROOT_B.secret });
  // bob: a RAM user of the owner account, not (yet) a member.
  assert.strictEqual((await ram(ROOT_B.ak, 'CreateUser', { UserName: 'bob' })).status, 200);
  const key = (await ram(ROOT_B.ak, 'CreateAccessKey', { UserName: 'bob' })).body.AccessKey;
  const BOB = { ak: key.AccessKeyId, secret: key.AccessKeySecret, project: 'b_project' };
  const bob = odps.session(emu, BOB);
  const getProject = (who) => odps.call(emu, 'GET', base, { ak: who.ak, secret: who.secret, params: { curr_project: 'b_project' } });

  await t.test('the seed: etl is a member with the grants the seed flow needs', async () => {
    assert.strictEqual((await etl.sql(odps.SEED_DDL)).status, 'Success');
    assert.strictEqual((await etl.sql(`SELECT count(*) FROM ${TABLE}`)).rows[0][0], '10000');
    const who = await security(emu, ETL, 'whoami');
    assert.strictEqual(who.status, 200, who.body);
    assert.deepStrictEqual(who.json, { DisplayName: 'RAM$account-b:etl', Project: 'b_project' });
    const g = await security(emu, ETL, 'show grants');
    assert.deepStrictEqual(g.json, { Roles: [], ACL: { 'acs:odps:*:projects/b_project': ['Read', 'List', 'CreateTable', 'CreateInstance'] } });
    // In an SQL task, as odpscmd sends it: text.
    const w = await etl.sql('whoami');
    assert.strictEqual(w.text, 'Name: RAM$account-b:etl\nProject: b_project\n');
    const allowed = await getProject(ETL);
    await decision(emu, allowed, 'maxcompute-acl', 'odps:Read');
  });

  await t.test('a non-member is told it does not exist in the project', async () => {
    const r = await getProject(BOB);
    errorXml(r, 403, 'NoPermission', /^ODPS-0420095: Access Denied - Authorization Failed \[4002\], You don't exist in project b_project\.$/);
    const rec = await decision(emu, r, 'maxcompute-acl', 'odps:Member');
    assert.match(rec.reason, /RAM\$account-b:bob .* is not a member of MaxCompute project b_project/);
    errorXml(await odps.call(emu, 'POST', `${base}/instances`, { ak: BOB.ak, secret: BOB.secret, params: {}, body: odps.instanceXml('select 1'), contentType: 'application/xml' }), 403, 'NoPermission', /\[4002\]/);
    // Only the owner (or an admin) manages security.
    errorXml(await security(emu, ETL, 'add user RAM$account-b:bob'), 403, 'NoPermission', /NO privilege to manage the security of project b_project/);
  });

  await t.test('ADD USER makes a member; privileges come from grants, with the real error', async () => {
    const add = await security(emu, ROOT_B, 'add user RAM$account-b:bob');
    assert.strictEqual(add.status, 200, add.body);
    assert.strictEqual(add.json, 'OK');
    assert.deepStrictEqual((await security(emu, ROOT_B, 'list users')).json, { Users: ['RAM$account-b:etl', 'RAM$account-b:bob'] });
    errorXml(await security(emu, ROOT_B, 'add user RAM$account-b:bob'), 400, 'InvalidArgument', /already exists/);
    // A member without Read: GetProject names the privilege.
    const r = await getProject(BOB);
    errorXml(r, 403, 'NoPermission', /^ODPS-0420095: Access Denied - Authorization Failed \[4019\], You have NO privilege 'odps:Read' on \{acs:odps:\*:projects\/b_project\}/);
    await decision(emu, r, 'maxcompute-acl', 'odps:Read');
    errorXml(await bob.call('POST', `${base}/instances`, { params: { curr_project: 'b_project' }, body: odps.instanceXml('select 1'), contentType: 'application/xml' }), 403, 'NoPermission', /'odps:CreateInstance'/);
    assert.strictEqual((await security(emu, ROOT_B, 'grant CreateInstance, Read on project b_project to user RAM$account-b:bob')).status, 200);
    assert.strictEqual((await getProject(BOB)).status, 200);
    // A member without Select on the table: the task fails naming it.
    const denied = await bob.sql(`SELECT vid FROM ${TABLE} LIMIT 1`);
    assert.strictEqual(denied.status, 'Failed');
    assert.match(denied.text, new RegExp(`^ODPS-0420095: Access Denied - Authorization Failed \\[4019\\], You have NO privilege 'odps:Select' on \\{acs:odps:\\*:projects/b_project/tables/${TABLE}\\}`));
    assert.match((await bob.sql('SHOW TABLES')).text, /NO privilege 'odps:List' on \{acs:odps:\*:projects\/b_project\}/);
    assert.match((await bob.sql(`DESC ${TABLE}`)).text, /NO privilege 'odps:Describe'/);
    assert.match((await bob.sql(`DROP TABLE ${TABLE}`)).text, /NO privilege 'odps:Drop'/);
    assert.match((await bob.sql(odps.SEED_DDL.replace(TABLE, 'bobs'))).text, /NO privilege 'odps:CreateTable'/);
    // Granted: it works; revoked: denied again.
    assert.strictEqual((await security(emu, ROOT_B, `grant Select, Describe on table ${TABLE} to user RAM$account-b:bob`)).status, 200);
    assert.strictEqual((await bob.sql(`SELECT vid FROM ${TABLE} WHERE vid = 3 LIMIT 1`)).rows[0][0], '3');
    assert.strictEqual((await bob.sql(`DESC ${TABLE}`)).status, 'Success');
    assert.deepStrictEqual((await security(emu, ROOT_B, 'show grants for RAM$account-b:bob')).json.ACL, {
      'acs:odps:*:projects/b_project': ['Read', 'CreateInstance'],
      [`acs:odps:*:projects/b_project/tables/${TABLE}`]: ['Describe', 'Select'],
    });
    assert.strictEqual((await security(emu, ROOT_B, `revoke Select on table ${TABLE} from user RAM$account-b:bob`)).status, 200);
    assert.strictEqual((await bob.sql(`SELECT vid FROM ${TABLE} LIMIT 1`)).status, 'Failed');
    // Someone else's grants are the owner's business.
    errorXml(await security(emu, BOB, 'show grants for RAM$account-b:etl'), 403, 'NoPermission');
  });

  await t.test('roles: CREATE ROLE, grants to the role, GRANT role TO user', async () => {
    for (const q of ['create role readers', `grant Select on table ${TABLE} to role readers`, 'grant readers to RAM$account-b:bob'])
      assert.strictEqual((await security(emu, ROOT_B, q)).status, 200, q);
    assert.deepStrictEqual((await security(emu, ROOT_B, 'list roles')).json, { Roles: ['readers'] });
    assert.strictEqual((await bob.sql(`SELECT vid FROM ${TABLE} WHERE vid = 3 LIMIT 1`)).status, 'Success');
    assert.deepStrictEqual((await security(emu, BOB, 'show grants')).json.Roles, ['readers']);
    assert.strictEqual((await security(emu, ROOT_B, 'revoke readers from RAM$account-b:bob')).status, 200);
    assert.strictEqual((await bob.sql(`SELECT vid FROM ${TABLE} LIMIT 1`)).status, 'Failed');
    // The admin role's members manage security like the owner.
    for (const q of ['create role admin', 'grant admin to RAM$account-b:bob'])
      assert.strictEqual((await security(emu, ROOT_B, q)).status, 200, q);
    assert.strictEqual((await security(emu, BOB, 'grant readers to user RAM$account-b:bob')).status, 200);
    // The errors of bad statements.
    errorXml(await security(emu, ROOT_B, 'grant Select on table nope to user RAM$account-b:bob'), 404, 'NoSuchObject', /Table not found/);
    errorXml(await security(emu, ROOT_B, `grant Fly on table ${TABLE} to user RAM$account-b:bob`), 400, 'InvalidArgument', /'Fly' is not a table privilege/);
    errorXml(await security(emu, ROOT_B, 'grant nope to RAM$account-b:bob'), 404, 'NoSuchObject', /role nope does not exist/);
    errorXml(await security(emu, ROOT_B, 'grant readers to RAM$account-b:nobody'), 404, 'NoSuchObject', /user RAM\$account-b:nobody does not exist/);
    errorXml(await security(emu, ROOT_B, 'install package x.y'), 400, 'InvalidArgument', /does not support the security statement/);
    errorXml(await odps.call(emu, 'POST', `${base}/authorization`, { ak: ROOT_B.ak, secret: ROOT_B.secret, params: {}, body: '<Other/>', contentType: 'application/xml' }), 400, 'InvalidArgument', /Authorization/);
  });

  await t.test('REMOVE USER takes everything away; the world keeps the model; reset restores the seed', async () => {
    assert.strictEqual((await security(emu, ROOT_B, 'remove user RAM$account-b:bob')).status, 200);
    errorXml(await getProject(BOB), 403, 'NoPermission', /\[4002\]/);
    const w = (await emu.json('GET', '/_emu/world')).body.Accounts[1].MaxCompute.Projects[0];
    assert.deepStrictEqual(w.Users, ['RAM$account-b:etl']);
    assert.deepStrictEqual(w.Roles.map((r) => [r.Name, r.Users]), [['readers', []], ['admin', []]]);
    assert.deepStrictEqual(w.Grants, [
      { User: 'RAM$account-b:etl', Privileges: ['Read', 'List', 'CreateTable', 'CreateInstance'] },
      { Role: 'readers', Table: TABLE, Privileges: ['Select'] },
    ]);
    assert.strictEqual(w.Tables[0].Owner, 'RAM$account-b:etl');
    await emu.json('POST', '/_emu/reset');
    const after = (await emu.json('GET', '/_emu/world')).body.Accounts[1].MaxCompute.Projects[0];
    assert.strictEqual(after.Roles, undefined);
    assert.deepStrictEqual(after.Users, ['RAM$account-b:etl']);
    // The owner's root holds everything without grants.
    assert.strictEqual((await root.sql('SHOW TABLES')).status, 'Success');
  });
});

// The simulator and replay decide MaxCompute actions with the service's own
// model (not RAM policies), and a bundle carries what the model looked at.
test('maxcompute-acl decisions: the bundle replays, the simulator agrees', async (t) => {
  const fs = require('node:fs');
  const path = require('node:path');
  const { run } = require('../support/emu');
  const emu = await start();
  t.after(() => emu.stop());
  const ram = client(emu, { [ROOT_B.ak]: ROOT_B.secret });
  assert.strictEqual((await ram(ROOT_B.ak, 'CreateUser', { UserName: 'bob' })).status, 200);
  assert.strictEqual((await ram(ROOT_B.ak, 'CreateUser', { UserName: 'dan' })).status, 200);
  const key = (await ram(ROOT_B.ak, 'CreateAccessKey', { UserName: 'bob' })).body.AccessKey;
  const BOB = { ak: key.AccessKeyId, secret: key.AccessKeySecret, project: 'b_project' };
  assert.strictEqual((await odps.session(emu, ETL).sql(odps.SEED_DDL)).status, 'Success');
  assert.strictEqual((await security(emu, ROOT_B, 'add user RAM$account-b:bob')).status, 200);
  const PROJECT = 'acs:odps:*:projects/b_project';
  const simulate = (principal, action, resource) => emu.json('POST', '/_emu/simulate', { principal, action, resource });

  // Enforced: a member without Read.
  const r = await odps.call(emu, 'GET', base, { ak: BOB.ak, secret: BOB.secret, params: { curr_project: 'b_project' } });
  errorXml(r, 403, 'NoPermission', /NO privilege 'odps:Read'/);
  const rec = await decision(emu, r, 'maxcompute-acl', 'odps:Read');
  const bundle = (await emu.json('GET', `/_emu/decisions/${rec.id}/bundle`)).body;
  assert.ok(!JSON.stringify(bundle).includes(BOB.secret), 'no secrets in the bundle');
  const last = bundle.checks[bundle.checks.length - 1];
  assert.deepStrictEqual(bundle.checks.map((c) => [c.action, c.decision]), [['odps:Member', 'Allow'], ['odps:Read', 'ImplicitDeny']]);
  assert.strictEqual(last.ruleInput.Member, 'RAM$account-b:bob');
  assert.deepStrictEqual(last.ruleInput.Users, ['RAM$account-b:bob']);
  assert.deepStrictEqual(last.ruleInput.Grants, [], 'only the grants that name bob');
  const file = path.join(emu.dir, 'bob.json');
  fs.writeFileSync(file, JSON.stringify(bundle));
  const rp = await run(['replay', file]);
  assert.strictEqual(rp.code, 1, rp.stderr);
  const replayed = JSON.parse(rp.stdout);
  assert.strictEqual(replayed.decidingLayer, 'maxcompute-acl');
  assert.strictEqual(replayed.reason, rec.reason);
  assert.strictEqual(replayed.sameDecision, true);
  assert.strictEqual(replayed.sameReason, true);

  // The simulator: same decision, layer and reason, for members and not.
  const sim = await simulate('acs:ram::56789:user/bob', 'odps:Read', PROJECT);
  assert.strictEqual(sim.status, 200, JSON.stringify(sim.body));
  assert.deepStrictEqual([sim.body.allowed, sim.body.decidingLayer, sim.body.reason], [false, 'maxcompute-acl', rec.reason]);
  const sel = await simulate('acs:ram::56789:user/bob', 'odps:Select', `${PROJECT}/tables/${TABLE}`);
  assert.strictEqual(sel.body.allowed, false);
  assert.match(sel.body.reason, new RegExp(`no privilege Select on ${TABLE} in MaxCompute project b_project`));
  const dan = await simulate('acs:ram::56789:user/dan', 'odps:Select', `${PROJECT}/tables/${TABLE}`);
  assert.strictEqual(dan.body.allowed, false);
  assert.strictEqual(dan.body.action, 'odps:Member');
  assert.match(dan.body.reason, /RAM\$account-b:dan .* is not a member of MaxCompute project b_project/);
  assert.strictEqual((await simulate('acs:ram::56789:user/etl', 'odps:Select', `${PROJECT}/tables/${TABLE}`)).body.allowed, true, 'etl created the table');
  assert.strictEqual((await simulate('acs:ram::56789:root', 'odps:Drop', `${PROJECT}/tables/${TABLE}`)).body.allowed, true, 'the owner holds everything');
  assert.strictEqual((await simulate('acs:ram::56789:user/bob', 'odps:Fly', PROJECT)).status, 400);
  assert.strictEqual((await simulate('acs:ram::56789:user/bob', 'odps:Read', 'acs:odps:*:projects/nope')).status, 404);

  // Granted: the simulator and a replay against the world as it is now say
  // allowed; the bundle alone still says what was true then.
  assert.strictEqual((await security(emu, ROOT_B, 'grant Read on project b_project to user RAM$account-b:bob')).status, 200);
  assert.strictEqual((await simulate('acs:ram::56789:user/bob', 'odps:Read', PROJECT)).body.allowed, true);
  const wfile = path.join(emu.dir, 'now.json');
  fs.writeFileSync(wfile, JSON.stringify((await emu.json('GET', '/_emu/world')).body));
  const now = await run(['replay', '--world', wfile, file]);
  assert.strictEqual(now.code, 0, now.stdout + now.stderr);
  assert.strictEqual(JSON.parse(now.stdout).sameDecision, false);
  assert.strictEqual((await run(['replay', file])).code, 1);
});
