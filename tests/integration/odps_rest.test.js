'use strict';
// MaxCompute projects, tables and instance sub-resources (issue 16 items 2
// and 3): the calls and fields pyodps's get_project/exist_project,
// get_table/exist_table/list_tables, list_instances, get_task_summary and
// get_task_detail2 read, made with the test signer; SHOW TABLES, DESC and
// the REST metadata agree; and a 400 naming any sub-resource acsemu does
// not serve, never a 200 with another call's answer.
const test = require('node:test');
const assert = require('node:assert');
const { start } = require('../support/emu');
const odps = require('../support/odps');

const ETL = { ak: 'LTAIemuEtlUser56789', secret: 'emu-secret-etl', project: 'b_project' };
const etl = { ak: ETL.ak, secret: ETL.secret, params: { curr_project: 'b_project' } };
const base = '/api/projects/b_project';
const get = (emu, path, params = {}) => odps.call(emu, 'GET', path, { ...etl, params: { ...etl.params, ...params } });

function errorXml(r, status, code, msgRe) {
  assert.strictEqual(r.status, status, r.body);
  for (const f of ['Code', 'Message', 'RequestId', 'HostId']) assert.notStrictEqual(odps.xmlText(r.body, f), undefined, `${f} in ${r.body}`);
  assert.strictEqual(odps.xmlText(r.body, 'Code'), code);
  if (msgRe) assert.match(odps.xmlText(r.body, 'Message'), msgRe);
}

const all = (xml, tag) => [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]);

test('projects and instance sub-resources', async (t) => {
  const emu = await start();
  t.after(() => emu.stop());
  const b = odps.session(emu, ETL);

  await t.test('GetProject: owner and creation time in the headers pyodps requires', async () => {
    const r = await get(emu, base);
    assert.strictEqual(r.status, 200, r.body);
    // The seed world's CreateTime (2026-01-15T08:00:00Z), not 1970.
    assert.strictEqual(r.headers['x-odps-owner'], 'ALIYUN$account-b');
    assert.strictEqual(r.headers['x-odps-creation-time'], 'Thu, 15 Jan 2026 08:00:00 GMT');
    assert.strictEqual(r.headers['last-modified'], 'Thu, 15 Jan 2026 08:00:00 GMT');
    for (const [tag, want] of [['Name', 'b_project'], ['Owner', 'ALIYUN$account-b'], ['State', 'AVAILABLE'], ['Type', 'managed'],
      ['CreationTime', 'Thu, 15 Jan 2026 08:00:00 GMT'], ['Region', 'cn-hangzhou']])
      assert.strictEqual(odps.xmlText(r.body, tag), want, tag);
    const all_ = await get(emu, base, { properties: 'all' });
    assert.strictEqual(all_.status, 200);
    // exist_project: a missing project is NoSuchProject (404).
    errorXml(await get(emu, '/api/projects/nope_project'), 404, 'NoSuchProject');
    // The project's time survives export and reset.
    const w = await emu.json('GET', '/_emu/world');
    assert.strictEqual(w.body.Accounts[1].MaxCompute.Projects[0].CreateTime, '2026-01-15T08:00:00Z');
  });

  await t.test('ListInstances pages with Marker and MaxItems, and filters', async () => {
    const ids = [];
    for (const q of ['show tables', 'show tables', 'show tables']) ids.push((await b.sql(q)).id);
    const page = async (params) => {
      const r = await get(emu, `${base}/instances`, params);
      assert.strictEqual(r.status, 200, r.body);
      return { marker: odps.xmlText(r.body, 'Marker'), max: odps.xmlText(r.body, 'MaxItems'), names: all(r.body, 'Name'), body: r.body };
    };
    const whole = await page({});
    assert.deepStrictEqual(whole.names, ids);
    assert.strictEqual(whole.marker, '');
    assert.match(whole.body, /<Instance><Name>[^<]+<\/Name><Owner>RAM\$account-b:etl<\/Owner><StartTime>[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT<\/StartTime><EndTime>[^<]+<\/EndTime><Status>Terminated<\/Status><\/Instance>/);
    const p1 = await page({ maxitems: '2' });
    assert.deepStrictEqual(p1.names, ids.slice(0, 2));
    assert.strictEqual(p1.max, '2');
    assert.strictEqual(p1.marker, ids[2]);
    const p2 = await page({ maxitems: '2', marker: p1.marker });
    assert.deepStrictEqual(p2.names, ids.slice(2));
    assert.strictEqual(p2.marker, '');
    assert.deepStrictEqual((await page({ status: 'Running' })).names, []);
    assert.deepStrictEqual((await page({ status: 'Terminated', onlyowner: 'yes' })).names, ids);
    assert.deepStrictEqual((await page({ daterange: '1:2' })).names, []);
    const now = Math.floor(Date.now() / 1000);
    assert.deepStrictEqual((await page({ daterange: `${now - 600}:` })).names, ids);
    errorXml(await get(emu, `${base}/instances`, { maxitems: '0' }), 400, 'InvalidArgument', /maxitems/);
    errorXml(await get(emu, `${base}/instances`, { status: 'Done' }), 400, 'InvalidArgument', /status/);
    errorXml(await get(emu, `${base}/instances`, { daterange: 'x' }), 400, 'InvalidArgument', /daterange/);
    errorXml(await get(emu, `${base}/instances`, { marker: '20260101000000000gabcdefgh' }), 400, 'InvalidArgument', /marker/);
  });

  await t.test('task summary and detail JSON', async () => {
    assert.strictEqual((await b.sql(odps.SEED_DDL)).status, 'Success');
    const sel = await b.sql('SELECT vid FROM ads_log_ots_pt_external WHERE vid = 3 LIMIT 2');
    const inst = `${base}/instances/${sel.id}`;
    const s = await get(emu, inst, { instancesummary: '', taskname: 'AnonymousSQLTask' });
    assert.strictEqual(s.status, 200, s.body);
    assert.match(s.headers['content-type'], /^application\/json/);
    assert.strictEqual(s.headers['x-odps-task-finalized'], 'true');
    const sj = JSON.parse(s.body);
    assert.deepStrictEqual(JSON.parse(sj.Instance.JsonSummary), { inputs: { 'b_project.ads_log_ots_pt_external': [10000, 0] }, outputs: {} });
    assert.strictEqual(sj.Instance.Summary, 'inputs:\n\tb_project.ads_log_ots_pt_external: 10000 (0 bytes)\noutputs:\n');
    for (const sub of ['detail', 'instancedetail']) {
      const d = await get(emu, inst, { [sub]: '', taskname: 'AnonymousSQLTask' });
      assert.strictEqual(d.status, 200, d.body);
      const dj = JSON.parse(d.body);
      assert.strictEqual(dj.mapReduce.jobs[0].name, 'AnonymousSQLTask');
      assert.strictEqual(dj.mapReduce.jsonSummary, sj.Instance.JsonSummary);
    }
    errorXml(await get(emu, inst, { instancesummary: '', taskname: 'Other' }), 404, 'NoSuchObject', /task 'Other' does not exist/);
    errorXml(await get(emu, inst, { detail: '' }), 404, 'NoSuchObject');
  });

  await t.test('tables: GetTable with the schema JSON, ListTables paging, missing tables', async () => {
    // exist_table before CREATE: NoSuchTable (a NoSuchObject to pyodps).
    assert.strictEqual((await b.sql('DROP TABLE IF EXISTS ads_log_ots_pt_external')).status, 'Success');
    errorXml(await get(emu, `${base}/tables/ads_log_ots_pt_external`), 404, 'NoSuchTable',
      /^ODPS-0130131:Table not found - table b_project\.ads_log_ots_pt_external cannot be resolved$/);
    for (const name of ['ads_log_ots_pt_external', 'zz_speed', 'aa_speed'])
      assert.strictEqual((await b.sql(name === 'ads_log_ots_pt_external' ? odps.SEED_DDL
        : `CREATE EXTERNAL TABLE ${name} (vid bigint COMMENT 'vehicle', gt bigint, speed double) STORED BY 'com.aliyun.odps.TableStoreStorageHandler' WITH SERDEPROPERTIES ('tablestore.columns.mapping'=':vid, :gt, speed', 'tablestore.table.name'='vehicle_track') LOCATION 'tablestore://AK:SK@cap1.cn-hangzhou.ots-internal.aliyuncs.com' LIFECYCLE 7`)).status, 'Success');
    const r = await get(emu, `${base}/tables/ADS_LOG_OTS_PT_EXTERNAL`);
    assert.strictEqual(r.status, 200, r.body);
    assert.strictEqual(odps.xmlText(r.body, 'Name'), 'ads_log_ots_pt_external');
    assert.strictEqual(odps.xmlText(r.body, 'Owner'), 'RAM$account-b:etl'); // its creator
    assert.strictEqual(odps.xmlText(r.body, 'Type'), 'EXTERNAL_TABLE');
    assert.match(odps.xmlText(r.body, 'TableId'), /^[0-9a-f]{32}$/);
    assert.match(r.body, /<Schema format="json"><!\[CDATA\[\{/);
    const created = odps.xmlText(r.body, 'CreationTime');
    const schema = JSON.parse(odps.xmlText(r.body, 'Schema'));
    assert.deepStrictEqual(schema.columns.map((c) => [c.name, c.type, c.isNullable]),
      ['vid', 'gt', 'longitude', 'latitude', 'distance', 'speed', 'oil_consumption'].map((n) => [n, n === 'vid' || n === 'gt' ? 'bigint' : 'double', true]));
    assert.deepStrictEqual(schema.partitionKeys, []);
    assert.strictEqual(schema.owner, 'RAM$account-b:etl');
    assert.strictEqual(schema.createTime, Date.parse(created) / 1000);
    assert.strictEqual(schema.lastDDLTime, schema.createTime);
    assert.strictEqual(schema.isExternal, true);
    assert.strictEqual(schema.storageHandler, 'com.aliyun.odps.TableStoreStorageHandler');
    assert.strictEqual(schema.location, 'tablestore://cap1.cn-hangzhou.ots-internal.aliyuncs.com');
    assert.strictEqual(schema.resources, 'odps-udf-example.jar');
    assert.deepStrictEqual(JSON.parse(schema.serDeProperties), {
      'tablestore.columns.mapping': ':vid, :gt, longitude, latitude, distance, speed, oil_consumption',
      'tablestore.table.name': 'vehicle_track',
      'odps.properties.rolearn': 'acs:ram::12345:role/aliyunodpsroleforotheruser',
    });
    assert.strictEqual(schema.lifecycle, -1);
    // ?extended (pyodps's reload_extend_info) answers the same document.
    const ext = await get(emu, `${base}/tables/ads_log_ots_pt_external`, { extended: '' });
    assert.strictEqual(ext.body, r.body);
    // The AK:SK@ form's keys are never shown; comments and LIFECYCLE are.
    const zz = JSON.parse(odps.xmlText((await get(emu, `${base}/tables/zz_speed`)).body, 'Schema'));
    assert.strictEqual(zz.location, 'tablestore://***:***@cap1.cn-hangzhou.ots-internal.aliyuncs.com');
    assert.strictEqual(zz.columns[0].comment, 'vehicle');
    assert.strictEqual(zz.lifecycle, 7);

    // SHOW TABLES and DESC say the same.
    const show = await b.sql('SHOW TABLES');
    assert.strictEqual(show.text, 'RAM$account-b:etl:ads_log_ots_pt_external\nRAM$account-b:etl:zz_speed\nRAM$account-b:etl:aa_speed\n');
    const desc = (await b.sql('DESC ads_log_ots_pt_external')).text;
    assert.match(desc, /\| Owner: +RAM\$account-b:etl +\|/);
    const iso = new Date(schema.createTime * 1000).toISOString().slice(0, 19).replace('T', ' ');
    assert.match(desc, new RegExp(`\\| CreateTime: +${iso} +\\|`));

    // ListTables: name order, pages of maxitems, prefix/owner/type filters.
    const list = async (params) => {
      const l = await get(emu, `${base}/tables`, { expectmarker: 'true', ...params });
      assert.strictEqual(l.status, 200, l.body);
      return { marker: odps.xmlText(l.body, 'Marker'), names: all(l.body, 'Name'), body: l.body };
    };
    assert.deepStrictEqual((await list({})).names, ['aa_speed', 'ads_log_ots_pt_external', 'zz_speed']);
    const p1 = await list({ maxitems: '2' });
    assert.deepStrictEqual(p1.names, ['aa_speed', 'ads_log_ots_pt_external']);
    assert.strictEqual(p1.marker, 'zz_speed');
    const p2 = await list({ maxitems: '2', marker: p1.marker });
    assert.deepStrictEqual(p2.names, ['zz_speed']);
    assert.strictEqual(p2.marker, '');
    assert.deepStrictEqual((await list({ name: 'a' })).names, ['aa_speed', 'ads_log_ots_pt_external']);
    assert.deepStrictEqual((await list({ owner: 'RAM$account-b:etl' })).names.length, 3);
    assert.deepStrictEqual((await list({ owner: 'ALIYUN$someone' })).names, []);
    assert.deepStrictEqual((await list({ type: 'MANAGED_TABLE' })).names, []);
    assert.match((await list({})).body, /<Table><Name>aa_speed<\/Name><TableId>[0-9a-f]{32}<\/TableId><Owner>RAM\$account-b:etl<\/Owner><CreationTime>/);
    errorXml(await get(emu, `${base}/tables`, { maxitems: 'x' }), 400, 'InvalidArgument', /maxitems/);
    // DROP: gone from every view.
    assert.strictEqual((await b.sql('DROP TABLE zz_speed')).status, 'Success');
    errorXml(await get(emu, `${base}/tables/zz_speed`), 404, 'NoSuchTable');
    assert.deepStrictEqual((await list({})).names, ['aa_speed', 'ads_log_ots_pt_external']);
  });

  await t.test('a sub-resource acsemu does not serve is a 400 naming it, never a 200', async () => {
    const id = (await b.sql('show tables')).id;
    const inst = `${base}/instances/${id}`;
    for (const sub of ['no_such_thing', 'log', 'cached', 'instancequeueinginfo'])
      errorXml(await get(emu, inst, { [sub]: '' }), 400, 'InvalidArgument', new RegExp(`^ODPS-0420411:Invalid argument - '${sub}' is not`));
    // A served sub-resource with an unknown one next to it is still refused.
    errorXml(await get(emu, inst, { instancestatus: '', bogus: '1' }), 400, 'InvalidArgument', /'bogus'/);
    errorXml(await get(emu, base, { extended: '' }), 400, 'InvalidArgument', /'extended'/);
    errorXml(await get(emu, `${base}/instances`, { bogus: '' }), 400, 'InvalidArgument', /'bogus'/);
    errorXml(await get(emu, `${base}/tunnel`, { bogus: '' }), 400, 'InvalidArgument', /'bogus'/);
    errorXml(await odps.call(emu, 'PUT', inst, { ...etl, params: { ...etl.params, priority: '1' }, body: '<Instance/>' }), 400, 'InvalidArgument', /'priority'/);
    // Unsigned is still refused first.
    const anon = await emu.request('GET', `${inst}?no_such_thing`);
    assert.strictEqual(anon.status, 401);
  });
});
