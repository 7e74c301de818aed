'use strict';
// INSERT INTO / INSERT OVERWRITE into a Tablestore external table (issue 16
// item 4): MaxCompute working for B assumes the table's role in A and writes
// with BatchWriteRow (UPDATE changes) under the session's credentials,
// authorized like any client; the service's errors when the role may not
// write, when the caller lacks odps:Update, and for what does not fit.
const test = require('node:test');
const assert = require('node:assert');
const { start, logged } = require('../support/emu');
const { client } = require('../support/rpc');
const odps = require('../support/odps');

const ETL = { ak: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl', project: 'b_project' };
const ROOT_A = 'LTAIemuAccountA12345';
const ROOT_B = { ak: 'LTAIemuAccountB56789', secret: 'emu-secret-account-b', project: 'b_project' };
const POLICY = 'AliyunODPSRolePolicyForOtherUser';
const ROLE_ARN = 'acs:ram::12345:role/aliyunodpsroleforotheruser';

const ddl = (name, mapping, cols) => `CREATE EXTERNAL TABLE ${name} (${cols})
STORED BY 'com.aliyun.odps.TableStoreStorageHandler'
WITH SERDEPROPERTIES ('odps.properties.rolearn'='${ROLE_ARN}',
 'tablestore.columns.mapping'='${mapping}', 'tablestore.table.name'='vehicle_track')
LOCATION 'tablestore://cap1.cn-hangzhou.ots-internal.aliyuncs.com'`;

function ok(r) {
  assert.strictEqual(r.status, 'Success', r.text);
  return r;
}

function failed(r, re) {
  assert.strictEqual(r.status, 'Failed', `expected a failed task, got: ${r.text && r.text.slice(0, 300)}`);
  assert.match(r.text, re);
  return r;
}

test('INSERT into a Tablestore external table through the role', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const b = odps.session(emu, ETL);
  const ram = client(emu, { [ROOT_A]: 'emu-secret-account-a', [ROOT_B.ak]: ROOT_B.secret });
  // speed only, and a wider view of the same Tablestore table.
  ok(await b.sql(ddl('track_speed', ':vid, :gt, speed', 'vid bigint, gt bigint, speed double')));
  ok(await b.sql(ddl('track_wide', ':vid, :gt, speed, longitude, note',
    'vid bigint, gt bigint, speed double, longitude double, note string')));
  const count = async () => Number(ok(await b.sql('select count(*) from track_speed')).rows[0][0]);
  const before = await count();

  await t.test('INSERT INTO ... VALUES adds rows; SELECT reads them back', async () => {
    const r = ok(await b.sql('INSERT INTO track_speed VALUES (900, 1, 12.5), (900, 2, -3), (901, 1, NULL)'));
    assert.strictEqual(r.text, '');
    // (901, 1, NULL) is an UpdateRow whose only change deletes speed: on an
    // absent row that writes nothing, as Tablestore does (the Python SDK's
    // own row_op_test), so the row does not appear.
    assert.strictEqual(await count(), before + 2);
    const got = ok(await b.sql('select vid, gt, speed from track_speed where vid >= 900 order by vid, gt limit 10'));
    // BIGINT -3 was widened to the DOUBLE column.
    assert.deepStrictEqual(got.rows, [['900', '1', '12.5'], ['900', '2', '-3']]);
    await logged(emu, /OK \S+ ots BatchWriteRow POST principal=acs:ram::12345:assumed-role\/aliyunodpsroleforotheruser\/\S+ status=200/);
  });

  await t.test('update semantics: unmapped columns of a touched row stay; NULL deletes the mapped one', async () => {
    const first = ok(await b.sql('select vid, gt, speed, longitude from track_wide where vid = 1 order by gt limit 1')).rows[0];
    assert.notStrictEqual(first[3], null);
    ok(await b.sql(`insert into table track_speed (gt, vid, speed) values (${first[1]}, 1, 99.25)`));
    const after = ok(await b.sql(`select vid, gt, speed, longitude from track_wide where vid = 1 and gt = ${first[1]} limit 1`)).rows[0];
    assert.deepStrictEqual(after, ['1', first[1], '99.25', first[3]]);
    ok(await b.sql(`insert into track_wide (vid, gt, note) values (1, ${first[1]}, 'checked')`));
    const again = ok(await b.sql(`select speed, longitude, note from track_wide where vid = 1 and gt = ${first[1]} limit 1`)).rows[0];
    assert.deepStrictEqual(again, [null, null, 'checked']);
  });

  await t.test('INSERT OVERWRITE ... SELECT touches only the rows it writes (no truncation)', async () => {
    const n = await count();
    ok(await b.sql('INSERT OVERWRITE TABLE track_speed SELECT vid, gt, speed FROM track_speed WHERE vid = 900'));
    assert.strictEqual(await count(), n);
    ok(await b.sql('insert overwrite track_wide (vid, gt, note) select vid, gt, \'copied\' from track_speed where vid = 2'));
    const notes = ok(await b.sql('select count(*) from track_wide where note = \'copied\'')).rows[0][0];
    const vid2 = ok(await b.sql('select count(*) from track_speed where vid = 2')).rows[0][0];
    assert.ok(Number(vid2) > 0);
    assert.strictEqual(notes, vid2);
  });

  await t.test('a role that may not write: the task fails with the BatchWrite error', async () => {
    const doc = (a) => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: a, Resource: '*' }] });
    const read = ['ots:DescribeTable', 'ots:GetRange', 'ots:ComputeSplitPointsBySize'];
    assert.strictEqual((await ram(ROOT_A, 'CreatePolicyVersion', { PolicyName: POLICY, PolicyDocument: doc(read), SetAsDefault: 'true' })).status, 200);
    failed(await b.sql('insert into track_speed values (902, 1, 1.0)'),
      /^ODPS-0010000:System internal error - Output to TableStore failed with exception:TableStore BatchWrite request id \S+ failed with error code OTSNoPermissionAccess and message:You have no permission to access the requested resource/);
    await logged(emu, /ERR OTSNoPermissionAccess \S+ ots BatchWriteRow POST principal=acs:ram::12345:assumed-role\/aliyunodpsroleforotheruser\/\S+ status=403 decision=deny/);
    // Reading still works; nothing was written.
    assert.strictEqual(ok(await b.sql('select count(*) from track_speed where vid = 902')).rows[0][0], '0');
    assert.strictEqual((await ram(ROOT_A, 'CreatePolicyVersion', { PolicyName: POLICY, PolicyDocument: doc([...read, 'ots:BatchWriteRow']), SetAsDefault: 'true' })).status, 200);
    ok(await b.sql('insert into track_speed values (902, 1, 1.0)'));
  });

  await t.test('a member without odps:Update on the table is refused before any write', async () => {
    const root = odps.session(emu, ROOT_B);
    ok(await root.sql(ddl('owner_only', ':vid, :gt, speed', 'vid bigint, gt bigint, speed double')));
    failed(await b.sql('insert into owner_only values (903, 1, 1.0)'),
      /^ODPS-0420095: Access Denied - Authorization Failed \[4019\], You have NO privilege 'odps:Update' on \{acs:odps:\*:projects\/b_project\/tables\/owner_only\}/);
    assert.strictEqual(ok(await b.sql('select count(*) from track_speed where vid = 903')).rows[0][0], '0');
  });

  await t.test('what does not fit: the compiler\'s errors, nothing written', async () => {
    const n = await count();
    failed(await b.sql('insert into nope values (1, 2, 3.0)'), /^ODPS-0130131:\[1,13\] Table not found - table b_project\.nope cannot be resolved$/);
    failed(await b.sql('insert into track_speed values (1, 2)'), /^ODPS-0130071:\[1,25\] Semantic analysis exception - the query gives 2 columns but INSERT into track_speed expects 3$/);
    failed(await b.sql("insert into track_speed values (1, 'x', 1.0)"), /^ODPS-0130071:.* cannot insert a string value into column gt of type bigint$/);
    failed(await b.sql('insert into track_speed (vid, speed) values (1, 1.0)'), /^ODPS-0130071:.* column gt maps Tablestore primary-key column 'gt' of track_speed and must be given a value$/);
    failed(await b.sql('insert into track_speed (vid, gt, gt) values (1, 1, 1)'), /^ODPS-0130071:\[1,35\] Semantic analysis exception - column gt is given twice/);
    failed(await b.sql('insert into track_speed (vid, gt, spd) values (1, 1, 1)'), /^ODPS-0130071:\[1,35\] Semantic analysis exception - column spd cannot be resolved/);
    failed(await b.sql('insert into track_speed values (NULL, 1, 1.0)'), /^ODPS-0010000:System internal error - Output to TableStore failed with exception:row 1 has NULL for primary-key column 'vid'$/);
    failed(await b.sql('insert into track_speed values (1, 1, speed)'), /^ODPS-0130161:.*an expression other than a literal in VALUES/);
    failed(await b.sql('insert into track_speed partition (ds=\'1\') values (1, 1, 1.0)'), /^ODPS-0130161:.*PARTITION/);
    failed(await b.sql('insert into track_speed values (1, 1, 1.0), (2, 2)'), /^ODPS-0130071:.*VALUES rows have 2 and 3 values/);
    assert.strictEqual(await count(), n);
  });

  await t.test('more rows than one batch: 450 rows in three BatchWriteRow calls', async () => {
    const vals = Array.from({ length: 450 }, (_, i) => `(7000, ${i}, ${i}.5)`).join(', ');
    const r = ok(await b.sql(`insert into track_speed values ${vals}`));
    assert.strictEqual(r.timings && r.timings.get_range_calls, 3, JSON.stringify(r.timings));
    assert.strictEqual(ok(await b.sql('select count(*), sum(gt) from track_speed where vid = 7000')).rows[0].join(), `450,${449 * 450 / 2}`);
  });
});
