'use strict';
// MaxCompute external tables over Tablestore across accounts, end to end
// (issue 7; maxcompute-external-table.md): B's etl user creates the seed's
// external table through the ODPS REST API and SELECTs from it; acsemu, as
// MaxCompute working for B, assumes A's role and reads vehicle_track with
// the session's credentials. Then the classic mistakes, without restarting.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { start, logged, SRC, BIN } = require('../support/emu');
const { client } = require('../support/rpc');
const odps = require('../support/odps');

const ETL = { ak: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl', project: 'b_project' };
const ROOT_A = 'LTAIemuAccountA12345';
const SECRETS = { [ROOT_A]: 'emu-secret-account-a', LTAIemuEtlUser56789: 'emu-secret-etl' };
const ROLE = 'AliyunODPSRoleForOtherUser';
const POLICY = 'AliyunODPSRolePolicyForOtherUser';
const STS_DENIED = 'You are not authorized to do this action. You should be authorized by RAM.';
const OTS_DENIED = 'You have no permission to access the requested resource, please contact the resource owner';

const { SEED_DDL } = odps;

const ddl = (name, { mapping, table = 'vehicle_track', role = "'odps.properties.rolearn'='acs:ram::12345:role/aliyunodpsroleforotheruser',", location = 'cap1.cn-hangzhou.ots-internal.aliyuncs.com', cols } = {}) => `
CREATE EXTERNAL TABLE IF NOT EXISTS ${name} (${cols || 'vid bigint, gt bigint, speed double'})
STORED BY 'com.aliyun.odps.TableStoreStorageHandler'
WITH SERDEPROPERTIES (${role}
 'tablestore.columns.mapping'='${mapping || ':vid, :gt, speed'}', 'tablestore.table.name'='${table}')
LOCATION 'tablestore://${location}'`;

// data/vehicle_track.csv as numbers.
function seedRows() {
  const lines = fs.readFileSync(path.join(SRC, 'data/vehicle_track.csv'), 'utf8').trim().split('\n');
  const names = lines[0].split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], Number(v)])));
}

const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function ok(r) {
  assert.strictEqual(r.status, 'Success', r.text);
  return r;
}

function failed(r, re) {
  assert.strictEqual(r.status, 'Failed', `expected a failed task, got: ${r.text && r.text.slice(0, 300)}`);
  assert.strictEqual(r.format, 'text');
  assert.match(r.text, re);
  return r;
}

function errorXml(r, status, code, msgRe) {
  assert.strictEqual(r.status, status, r.body);
  assert.ok(r.headers['x-odps-request-id'], 'x-odps-request-id');
  for (const f of ['Code', 'Message', 'RequestId', 'HostId']) assert.notStrictEqual(odps.xmlText(r.body, f), undefined, `${f} in ${r.body}`);
  assert.strictEqual(odps.xmlText(r.body, 'Code'), code);
  assert.strictEqual(odps.xmlText(r.body, 'RequestId'), r.headers['x-odps-request-id']);
  if (msgRe) assert.match(odps.xmlText(r.body, 'Message'), msgRe);
}

test('seed scenario: B queries A\'s Tablestore through an external table', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const b = odps.session(emu, ETL);
  const ram = client(emu, SECRETS);
  const rows = seedRows();

  await t.test('the seed DDL verbatim, SHOW TABLES, DESC', async () => {
    const r = ok(await b.sql(SEED_DDL));
    assert.strictEqual(r.format, 'text');
    assert.strictEqual(r.text, 'OK');
    assert.match(r.location, new RegExp(`^http://127\\.0\\.0\\.1:${emu.port}/api/projects/b_project/instances/\\d{17}g[a-z0-9]{8}$`));
    assert.match(r.taskStatus, /<Task Type="SQL"><Name>AnonymousSQLTask<\/Name><StartTime>.*GMT<\/StartTime><EndTime>.*GMT<\/EndTime><Status>Success<\/Status><\/Task>/);
    assert.match(r.source, /^<\?xml[^>]*>\n<Job><Priority>9<\/Priority><Tasks><SQL><Name>AnonymousSQLTask/);
    assert.ok(r.source.includes('CREATE EXTERNAL TABLE ads_log_ots_pt_external'));
    ok(await b.sql(SEED_DDL.replace('CREATE EXTERNAL TABLE', 'CREATE EXTERNAL TABLE IF NOT EXISTS')));
    failed(await b.sql(SEED_DDL), /^ODPS-0130211:\[1,1\] Table or view already exists - table b_project\.ads_log_ots_pt_external already exists$/);
    // The creator owns the table (MaxCompute's ACL model).
    assert.strictEqual(ok(await b.sql('show tables')).text, 'RAM$account-b:etl:ads_log_ots_pt_external\n');
    const d = ok(await b.sql('desc ads_log_ots_pt_external')).text;
    assert.match(d, /\| oil_consumption +\| double +\|/);
    assert.match(d, /RoleArn: +acs:ram::12345:role\/aliyunodpsroleforotheruser/);
    // The table is world state: exported with the world.
    const w = (await emu.json('GET', '/_emu/world')).body;
    const b56789 = w.Accounts.find((a) => a.AccountId === '56789');
    assert.strictEqual(b56789.MaxCompute.Projects[0].Tables[0].Name, 'ads_log_ots_pt_external');
    assert.ok(b56789.MaxCompute.Projects[0].Tables[0].Ddl.startsWith('CREATE EXTERNAL TABLE ads_log_ots_pt_external'));
  });

  await t.test('SELECT vid, gt, speed ... WHERE vid = 7 ORDER BY gt LIMIT 5 is the CSV\'s rows', async () => {
    const r = ok(await b.sql('SELECT vid, gt, speed FROM ads_log_ots_pt_external WHERE vid = 7 ORDER BY gt LIMIT 5'));
    assert.strictEqual(r.format, 'csv');
    assert.deepStrictEqual(r.descriptor, { IsSelect: true, Schema: { Columns: [
      { Name: 'vid', Type: 'bigint' }, { Name: 'gt', Type: 'bigint' }, { Name: 'speed', Type: 'double' }] } });
    assert.deepStrictEqual(r.columns, ['vid', 'gt', 'speed']);
    const want = rows.filter((x) => x.vid === 7).sort((x, y) => x.gt - y.gt).slice(0, 5);
    assert.strictEqual(want.length, 5);
    assert.deepStrictEqual(r.rows.map((x) => x.map(Number)), want.map((x) => [x.vid, x.gt, x.speed]));
    // The service principal did the reading: the access log has B's
    // MaxCompute assuming A's role and the session's GetRange.
    await logged(emu, /OK \S+ sts AssumeRole GET principal=56789@odps.aliyuncs.com status=200 decision=allow/);
    await logged(emu, new RegExp(`OK \\S+ ots GetRange POST principal=acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/${r.id} status=200 decision=allow`));
  });

  await t.test('an aggregate per vehicle matches the CSV', async () => {
    const r = ok(await b.sql(`SELECT vid, count(*) AS n, avg(speed) AS avg_speed, sum(oil_consumption) oil,
      min(gt) AS first_gt, max(distance) AS longest FROM ads_log_ots_pt_external
      WHERE speed > 20 AND (vid < 40 OR vid >= 90) GROUP BY vid ORDER BY avg_speed DESC LIMIT 1000`));
    assert.deepStrictEqual(r.columns, ['vid', 'n', 'avg_speed', 'oil', 'first_gt', 'longest']);
    assert.deepStrictEqual(r.descriptor.Schema.Columns.map((c) => c.Type), ['bigint', 'bigint', 'double', 'double', 'bigint', 'double']);
    const groups = new Map();
    for (const x of rows) {
      if (!(x.speed > 20 && (x.vid < 40 || x.vid >= 90))) continue;
      const g = groups.get(x.vid) || { n: 0, speed: 0, oil: 0, first: Infinity, longest: -Infinity };
      g.n++; g.speed += x.speed; g.oil += x.oil_consumption; g.first = Math.min(g.first, x.gt); g.longest = Math.max(g.longest, x.distance);
      groups.set(x.vid, g);
    }
    const want = [...groups.entries()].map(([vid, g]) => [vid, g.n, g.speed / g.n, g.oil, g.first, g.longest])
      .sort((x, y) => y[2] - x[2]);
    assert.strictEqual(r.rows.length, want.length);
    r.rows.forEach((row, i) => {
      const got = row.map(Number);
      assert.strictEqual(got[0], want[i][0]);
      assert.strictEqual(got[1], want[i][1]);
      assert.ok(close(got[2], want[i][2]) && close(got[3], want[i][3]), `${row} vs ${want[i]}`);
      assert.strictEqual(got[4], want[i][4]);
      assert.strictEqual(got[5], want[i][5]);
    });
    // Without GROUP BY: one row.
    const all = ok(await b.sql('select count(*), count(speed), sum(vid) from ads_log_ots_pt_external'));
    assert.deepStrictEqual(all.columns, ['_c0', '_c1', '_c2']);
    assert.deepStrictEqual(all.rows, [[String(rows.length), String(rows.length), String(rows.reduce((s, x) => s + x.vid, 0))]]);
  });

  await t.test('SELECT * over the whole table', async () => {
    const r = ok(await b.sql('select * from ads_log_ots_pt_external'));
    assert.strictEqual(r.rows.length, rows.length);
    assert.strictEqual(r.descriptor.SelectResultStatus, undefined);
    assert.deepStrictEqual(r.columns, ['vid', 'gt', 'longitude', 'latitude', 'distance', 'speed', 'oil_consumption']);
    const byKey = new Map(rows.map((x) => [`${x.vid}/${x.gt}`, x]));
    for (const row of r.rows) {
      const x = byKey.get(`${row[0]}/${row[1]}`);
      assert.ok(x, row.join());
      assert.deepStrictEqual(row.slice(2).map(Number), [x.longitude, x.latitude, x.distance, x.speed, x.oil_consumption]);
    }
    assert.strictEqual(r.timings.rows_read, rows.length);
    assert.ok(r.timings.get_range_calls >= 2, JSON.stringify(r.timings));
  });

  await t.test("trust policy naming A's own UID: the STS text, and the log names both principals", async () => {
    const trust = (p) => JSON.stringify({ Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: [p] } }], Version: '1' });
    const u = await ram(ROOT_A, 'UpdateRole', { RoleName: ROLE, NewAssumeRolePolicyDocument: trust('12345@odps.aliyuncs.com') });
    assert.strictEqual(u.status, 200, JSON.stringify(u.body));
    const r = failed(await b.sql('SELECT vid, gt, speed FROM ads_log_ots_pt_external WHERE vid = 7 ORDER BY gt LIMIT 5'),
      /^ODPS-0010000:System internal error - STS AssumeRole of acs:ram::12345:role\/aliyunodpsroleforotheruser as 56789@odps.aliyuncs.com failed: ErrorCode: NoPermission, Message: /);
    assert.ok(r.text.includes(STS_DENIED), r.text);
    await logged(emu, /ERR NoPermission \S+ sts AssumeRole GET principal=56789@odps.aliyuncs.com status=403 decision=deny .*reason=trust policy of acs:ram::12345:role\/aliyunodpsroleforotheruser allows service 12345@odps.aliyuncs.com; caller is 56789@odps.aliyuncs.com/);
    const back = await ram(ROOT_A, 'UpdateRole', { RoleName: ROLE, NewAssumeRolePolicyDocument: trust('56789@odps.aliyuncs.com') });
    assert.strictEqual(back.status, 200);
    ok(await b.sql('select count(*) from ads_log_ots_pt_external'));
  });

  await t.test('ots:GetRange removed from the policy: OTSNoPermissionAccess; restored: works', async () => {
    const actions = ['ots:ListTable', 'ots:DescribeTable', 'ots:GetRow', 'ots:PutRow', 'ots:UpdateRow', 'ots:DeleteRow',
      'ots:BatchGetRow', 'ots:BatchWriteRow', 'ots:ComputeSplitPointsBySize'];
    const doc = (a) => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: a, Resource: '*' }] });
    const v = await ram(ROOT_A, 'CreatePolicyVersion', { PolicyName: POLICY, PolicyDocument: doc(actions), SetAsDefault: 'true' });
    assert.strictEqual(v.status, 200, JSON.stringify(v.body));
    const r = failed(await b.sql('select * from ads_log_ots_pt_external limit 3'),
      /^ODPS-0010000:System internal error - TableStore GetRange on vehicle_track of instance cap1 failed: ErrorCode: OTSNoPermissionAccess, Message: /);
    assert.ok(r.text.includes(OTS_DENIED));
    await logged(emu, /ERR OTSNoPermissionAccess \S+ ots GetRange POST principal=acs:ram::12345:assumed-role\/aliyunodpsroleforotheruser\/\S+ status=403 decision=deny/);
    const back = await ram(ROOT_A, 'CreatePolicyVersion', { PolicyName: POLICY, PolicyDocument: doc([...actions, 'ots:GetRange']), SetAsDefault: 'true' });
    assert.strictEqual(back.status, 200, JSON.stringify(back.body));
    assert.strictEqual(ok(await b.sql('select * from ads_log_ots_pt_external limit 3')).rows.length, 3);
  });

  await t.test('policy detached: OTSNoPermissionAccess; attached again: works', async () => {
    const args = { RoleName: ROLE, PolicyType: 'Custom', PolicyName: POLICY };
    assert.strictEqual((await ram(ROOT_A, 'DetachPolicyFromRole', args)).status, 200);
    failed(await b.sql('select count(*) from ads_log_ots_pt_external'), /ErrorCode: OTSNoPermissionAccess/);
    assert.strictEqual((await ram(ROOT_A, 'AttachPolicyToRole', args)).status, 200);
    const r = ok(await b.sql('select count(*) from ads_log_ots_pt_external'));
    assert.deepStrictEqual(r.rows, [[String(rows.length)]]);
  });

  await t.test('missing Tablestore table, bad mapping, AK:SK@ LOCATION, default role', async () => {
    ok(await b.sql(ddl('no_such', { table: 'no_such_table' })));
    failed(await b.sql('select * from no_such limit 1'), /ErrorCode: OTSObjectNotExist, Message: Requested table does not exist\./);
    // Not every PK column mapped with ':': found at query time, after DescribeTable.
    ok(await b.sql(ddl('bad_map', { mapping: ':vid, gt, speed' })));
    failed(await b.sql('select * from bad_map limit 1'), /^ODPS-0130071:\[0,0\] Semantic analysis exception - primary-key column 'gt' of Tablestore table 'vehicle_track' must be mapped as ':gt'/);
    // Wrong entry count: refused at CREATE.
    failed(await b.sql(ddl('short_map', { mapping: ':vid, :gt' })), /^ODPS-0130071:\[\d+,\d+\] Semantic analysis exception - tablestore.columns.mapping has 2 entries but the table has 3 columns/);
    failed(await b.sql(ddl('bad_loc', { location: 'cap1.example.com' })), /ODPS-0130071.*is not a Tablestore endpoint/);
    failed(await b.sql(ddl('pk_double', { cols: 'vid double, gt bigint, speed double' })), /column vid is mapped to Tablestore primary-key column 'vid' but has type double/);
    // The AccessKey form: A's own keys, no STS.
    ok(await b.sql(ddl('with_keys', { role: '', location: 'LTAIemuAccountA12345:emu-secret-account-a@cap1.cn-hangzhou.ots.aliyuncs.com' })));
    const k = ok(await b.sql('select vid, speed from with_keys where vid = 3 and gt > 0 limit 2'));
    assert.strictEqual(k.rows.length, 2);
    assert.strictEqual(k.timings.assume_us, 0);
    assert.doesNotMatch(ok(await b.sql('desc with_keys')).text, /emu-secret-account-a/);
    // No rolearn: B's default role, which the seed does not have.
    ok(await b.sql(ddl('default_role', { role: '' })));
    failed(await b.sql('select * from default_role limit 1'),
      /STS AssumeRole of acs:ram::56789:role\/aliyunodpsdefaultrole as 56789@odps.aliyuncs.com failed: ErrorCode: EntityNotExist.Role/);
    // Another region's endpoint maps nowhere.
    ok(await b.sql(ddl('far', { location: 'cap1.cn-shanghai.ots-internal.aliyuncs.com' })));
    failed(await b.sql('select * from far limit 1'), /^ODPS-0010000:System internal error - std::exception:Message: a timeout was reached/);
  });

  await t.test('the SQL subset: errors name what is unsupported', async () => {
    failed(await b.sql('select * from nope'), /^ODPS-0130131:\[1,15\] Table not found - table b_project\.nope cannot be resolved$/);
    failed(await b.sql('select a.vid from ads_log_ots_pt_external a join x b on a.vid = b.vid'), /^ODPS-0130131:\[1,50\] Table not found - table b_project\.x cannot be resolved$/);
    failed(await b.sql('select vid from ads_log_ots_pt_external join x'), /ODPS-0130161:\[1,47\] Parse exception - mismatched input ';' expecting ON \(acsemu runs joins with a condition\)/);
    failed(await b.sql('update ads_log_ots_pt_external set speed = 1'), /ODPS-0130161:\[1,1\] Parse exception - the update statement is not supported/);
    failed(await b.sql('select vid from ads_log_ots_pt_external right join ads_log_ots_pt_external b on vid = b.vid'), /right JOIN is not supported by acsemu's SQL subset/);
    failed(await b.sql("select vid + 'x' from ads_log_ots_pt_external"), /invalid operand types bigint and string for '\+'/);
    failed(await b.sql('select vid, speed from ads_log_ots_pt_external group by vid'), /expression not in aggregate function or GROUP BY key : speed/);
    failed(await b.sql('select vid from ads_log_ots_pt_external order by vid'), /ORDER BY must be used with a LIMIT clause/);
    failed(await b.sql('select nope from ads_log_ots_pt_external'), /^ODPS-0130071:\[1,8\] Semantic analysis exception - column nope cannot be resolved$/);
    failed(await b.sql("select vid from ads_log_ots_pt_external where vid = 'x'"), /invalid operand types bigint and string for '='/);
    failed(await b.sql('select upper(vid) from ads_log_ots_pt_external'), /function upper needs STRING arguments, not bigint/);
    failed(await b.sql('select md5(vid) from ads_log_ots_pt_external'), /function md5 is not supported by acsemu's SQL subset \(functions: concat, /);
    failed(await b.sql('select from'), /Parse exception - mismatched input 'from' expecting an expression/);
    // SET + ORDER BY without LIMIT when the check is off; NULL handling; OR.
    const r = ok(await b.sql(`set odps.sql.validate.orderby.limit=false;
      SET odps.sql.type.system.odps2=true;
      select vid, gt from ads_log_ots_pt_external where (vid = 2 or vid = 1) and gt is not null and not speed is null order by vid desc, gt`));
    assert.strictEqual(r.rows.length, 200);
    assert.deepStrictEqual(r.rows[0].map(Number), [2, rows.filter((x) => x.vid === 2).map((x) => x.gt).sort((a, c) => a - c)[0]]);
    assert.strictEqual(ok(await b.sql("select count(*) from ads_log_ots_pt_external where vid = null")).rows[0][0], '0');
  });

  await t.test('DROP TABLE, and reset forgets tables', async () => {
    ok(await b.sql('drop table bad_map'));
    failed(await b.sql('drop table bad_map'), /Table not found - table b_project\.bad_map cannot be resolved/);
    ok(await b.sql('drop table if exists bad_map'));
    assert.doesNotMatch(ok(await b.sql('show tables')).text, /bad_map/);
    assert.strictEqual((await emu.json('POST', '/_emu/reset')).status, 200);
    assert.strictEqual(ok(await b.sql('show tables')).text, '');
  });
});

test('ODPS REST: signatures, Date, projects, errors', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const base = '/api/projects/b_project';
  const etl = { ak: ETL.ak, secret: ETL.secret, params: { curr_project: 'b_project' } };

  await t.test('v2 and v4 signatures, with and without /api', async () => {
    const v2 = await odps.call(emu, 'GET', base, etl);
    assert.strictEqual(v2.status, 200, v2.body);
    assert.strictEqual(odps.xmlText(v2.body, 'Name'), 'b_project');
    assert.ok(v2.headers['x-odps-request-id']);
    const v4 = await odps.call(emu, 'GET', base, { ...etl, v4: { region: 'cn-hangzhou' } });
    assert.strictEqual(v4.status, 200, v4.body);
    const bare = await odps.call(emu, 'GET', '/projects/b_project', etl);
    assert.strictEqual(bare.status, 200, bare.body);
    const s = odps.session(emu, { ...ETL, v4: { region: 'cn-hangzhou' }, prefix: '' });
    assert.strictEqual((await s.sql('show tables')).status, 'Success');
  });

  await t.test('authentication failures', async () => {
    errorXml(await odps.call(emu, 'GET', base, { params: etl.params }), 401, 'AuthorizationRequired', /^ODPS-0410050:Invalid credentials - the Authorization header is invalid or missing$/);
    errorXml(await odps.call(emu, 'GET', base, { ...etl, badSignature: true }), 401, 'SignatureNotMatch',
      /^ODPS-0410042:Invalid signature value - User signature does not match; acsemu string to sign: GET\n\n\n.*GMT\nx-odps-user-agent:acsemu-tests\n\/projects\/b_project\?curr_project=b_project$/);
    errorXml(await odps.call(emu, 'GET', base, { ...etl, secret: 'wrong' }), 401, 'SignatureNotMatch');
    errorXml(await odps.call(emu, 'GET', base, { ...etl, ak: 'LTAIunknown' }), 401, 'InvalidParameter', /^ODPS-0410051:Invalid credentials - accessKeyId not found$/);
    const old = new Date(Date.now() - 20 * 60 * 1000).toUTCString();
    errorXml(await odps.call(emu, 'GET', base, { ...etl, date: old }), 403, 'RequestTimeTooSkewd',
      /^ODPS-0410031:Authentication request expired - the expire time interval exceeds the max limitation: 900000, max_interval_date:900000,expire_date:\S+Z,now_date:\S+Z$/);
    errorXml(await odps.call(emu, 'GET', base, { ...etl, date: 'yesterday' }), 401, 'AuthorizationRequired', /Date header/);
    // The signed x-odps-* headers are part of the string to sign.
    const auth = odps.authorization({ method: 'GET', path: base, params: etl.params, ak: ETL.ak, secret: ETL.secret,
      headers: { Date: new Date().toUTCString(), 'x-odps-user-agent': 'one' } });
    const tampered = await emu.request('GET', `${base}?curr_project=b_project`, undefined,
      { Date: new Date().toUTCString(), 'x-odps-user-agent': 'two', Authorization: auth });
    errorXml(tampered, 401, 'SignatureNotMatch');
  });

  await t.test('projects and membership', async () => {
    errorXml(await odps.call(emu, 'GET', '/api/projects/nope_project', etl), 404, 'NoSuchProject', /^ODPS-0420111:Project not found - project 'nope_project' does not exist$/);
    errorXml(await odps.call(emu, 'GET', base, { ...etl, ak: ROOT_A, secret: SECRETS[ROOT_A] }), 403, 'NoPermission',
      /^ODPS-0420095: Access Denied - Authorization Failed \[4002\], You don't exist in project b_project\.$/);
    const root = await odps.call(emu, 'GET', base, { ...etl, ak: 'LTAIemuAccountB56789', secret: 'emu-secret-account-b' });
    assert.strictEqual(root.status, 200);
  });

  await t.test('instances: unknown id, bad bodies, tunnel endpoint, other calls', async () => {
    errorXml(await odps.call(emu, 'GET', `${base}/instances/20260101000000000gabcdefgh`, { ...etl, params: { ...etl.params, taskstatus: '' } }), 404, 'NoSuchObject');
    const post = (body, ct = 'application/xml') => odps.call(emu, 'POST', `${base}/instances`, { ...etl, body, contentType: ct });
    errorXml(await post('<Instance><Job>'), 400, 'InvalidArgument', /^ODPS-0420411:Invalid argument - instance body: malformed XML/);
    errorXml(await post('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Instance/>'), 400, 'InvalidArgument', /DOCTYPE/);
    errorXml(await post('<Instance><Job><Tasks><SQLPlan><Name>p</Name><Query>x</Query></SQLPlan></Tasks></Job></Instance>'), 400, 'InvalidArgument', /task type SQLPlan is not supported/);
    errorXml(await post('<Other/>'), 400, 'InvalidArgument', /root element must be Instance/);
    const tunnel = await odps.call(emu, 'GET', `${base}/tunnel`, { ...etl, params: { ...etl.params, service: '' } });
    assert.strictEqual(tunnel.status, 200, tunnel.body);
    assert.strictEqual(tunnel.body, `127.0.0.1:${emu.port}`); // odps_tunnel.test.js has the rest
    errorXml(await odps.call(emu, 'GET', '/api/tenants', etl), 404, 'NoSuchObject');
    const lv = await odps.call(emu, 'GET', '/api/logview/host', etl);
    assert.strictEqual(lv.status, 200);
    assert.strictEqual((await odps.call(emu, 'PUT', `${base}/logs`, { ...etl, body: '{}' })).status, 200);
    errorXml(await odps.call(emu, 'GET', `${base}/resources`, etl), 404, 'NoSuchObject', /acsemu does not implement GET \/api\/projects\/b_project\/resources/);
    // A failed task still answers 201; the failure is in the result.
    const s = odps.session(emu, ETL);
    const r = await s.sql('select');
    assert.strictEqual(r.status, 'Failed');
    assert.match(r.taskStatus, /<Status>Failed<\/Status>/);
    assert.match(r.text, /^ODPS-0130161:\[1,7\] Parse exception/);
  });
});

test('acsemu sql prints a table or CSV through the REST API', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const run = (args) => new Promise((resolve) => {
    const child = spawn(BIN, ['sql', '--endpoint', `${emu.base}/api`, '--project', 'b_project',
      '--access-key-id', ETL.ak, '--access-key-secret', ETL.secret, ...args]);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  let r = await run([SEED_DDL]);
  assert.strictEqual(r.code, 0, r.stderr);
  assert.strictEqual(r.stdout, 'OK\n');
  r = await run(['SELECT vid, gt, speed FROM ads_log_ots_pt_external WHERE vid = 7 ORDER BY gt LIMIT 2']);
  assert.strictEqual(r.code, 0, r.stderr);
  const want = seedRows().filter((x) => x.vid === 7).sort((x, y) => x.gt - y.gt).slice(0, 2);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^\+-+\+-+\+-+\+$/);
  assert.match(lines[1], /^\| vid \| gt +\| speed \|$/);
  assert.match(lines[3], new RegExp(`^\\| 7 +\\| ${want[0].gt} \\| ${want[0].speed} +\\|$`));
  assert.strictEqual(lines.length, 6);
  r = await run(['--csv', 'SELECT vid, gt FROM ads_log_ots_pt_external WHERE vid = 7 ORDER BY gt LIMIT 2']);
  assert.strictEqual(r.stdout, `vid,gt\n7,${want[0].gt}\n7,${want[1].gt}\n`);
  r = await run(['select * from nope']);
  assert.strictEqual(r.code, 1);
  assert.match(r.stderr, /^FAILED: ODPS-0130131/);
  r = await run(['--access-key-secret', 'bad', 'show tables']);
  assert.strictEqual(r.code, 1);
  assert.match(r.stderr, /HTTP 401 SignatureNotMatch/);
});
