'use strict';
// Tablestore SQL (SQLQuery) through the unmodified `tablestore` npm
// package: its own test/sql.test.js (run in this process by
// tests/support/mocha.js, configured only through the environment its
// test/ots_test_utils.js reads), then exact answers: mapping tables (CREATE,
// DROP MAPPING, SHOW TABLES, DESCRIBE, SHOW INDEX, the mapping made for a
// table queried without one), SELECT with WHERE, GROUP BY, HAVING, ORDER
// BY, LIMIT with an offset, aggregates and functions, NULLs and types in
// the FlatBuffers answer, the service's errors, and authorization per
// statement (ots:SQLSelect, ots:SQLCreateTable, ...).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const RPCClient = require('@alicloud/pop-core');
const { start, reloaded, tmpdir, SRC } = require('../support/emu');
const mocha = require('../support/mocha');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const PKG = path.dirname(require.resolve('tablestore/package.json'));
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);

async function rejects(p, status, code, text) {
  await assert.rejects(p, (e) => {
    assert.strictEqual(e.code, status, e.message);
    assert.ok(e.message.includes(code), `${code} in ${JSON.stringify(e.message)}`);
    if (text) assert.ok(e.message.includes(text), `${text} in ${JSON.stringify(e.message)}`);
    return true;
  });
}

// The answer as plain rows: LONG as numbers, BINARY as strings.
function rows(resp) {
  const rs = resp.sqlRows;
  const out = [];
  for (let i = 0; i < rs.rowCount.toFloat64(); i++) {
    const row = [];
    for (let j = 0; j < rs.columnCount; j++) {
      const d = rs.get(i, j);
      if (d && typeof d.toFloat64 === 'function') row.push(d.toFloat64());
      else if (d && typeof d.valueArray === 'function') row.push(Buffer.from(d.valueArray()).toString());
      else row.push(d);
    }
    out.push(row);
  }
  return out;
}
const schema = (resp) => resp.sqlRows.sqlTableMeta.schemas.map((s) => `${s.name}:${s.typeName}`);

test('Tablestore SQL through the official Node SDK', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const env = {
    accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a',
    endpoint: emu.base, instancename: 'cap1',
  };
  const c = new TableStore.Client({ ...env, maxRetries: 0 });
  Object.assign(process.env, env);
  const sql = (query, client = c) => client.sqlQuery({ query });
  const table = (name, pk) => c.createTable({
    tableMeta: { tableName: name, primaryKey: pk },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
  });

  await t.test('the SDK\'s own test/sql.test.js passes unmodified', async () => {
    // It drops the mapping js_sql before creating it: the state a previous
    // run leaves (a mapping outlives DeleteTable, as in the service).
    await table('js_sql', [{ name: 'pk1', type: 'STRING' }]);
    await sql('create table js_sql (pk1 varchar(1024), primary key(pk1))');
    const r = await mocha.run([path.join(PKG, 'test/sql.test.js')]);
    assert.deepStrictEqual([r.pass, r.fail], [8, 0], r.lines.join('\n'));
  });

  await t.test('mapping tables: CREATE, SHOW TABLES, DESCRIBE, SHOW INDEX, DROP', async () => {
    await table('shop', [{ name: 'id', type: 'INTEGER' }, { name: 'part', type: 'STRING' }]);
    const r = await sql('CREATE TABLE `shop` (`id` bigint(20), `part` varchar(1024), name mediumtext, '
      + 'price double, fresh bool, pic mediumblob, PRIMARY KEY(`id`, `part`));');
    assert.strictEqual(r.type, TableStore.SQLStatementType.SQL_CREATE_TABLE);
    assert.deepStrictEqual([r.sqlRows.columnCount, r.sqlRows.rowCount.toFloat64()], [0, 0]);
    await rejects(sql('create table shop (id bigint, part varchar(1024), primary key(id, part))'),
      400, 'OTSParameterInvalid', "Table 'cap1.shop' already exist");
    await sql('create table if not exists shop (id bigint, part varchar(1024), primary key(id, part))');
    await rejects(sql('create table nosuch (id bigint, primary key(id))'), 400, 'OTSParameterInvalid',
      "Table 'cap1.nosuch' doesn't exist");

    const show = await sql('show tables');
    assert.strictEqual(show.type, TableStore.SQLStatementType.SQL_SHOW_TABLE);
    assert.deepStrictEqual(schema(show), ['Tables_in_cap1:STRING']);
    assert.deepStrictEqual(rows(show), [['js_sql'], ['shop']]);

    const d = await sql('describe shop');
    assert.strictEqual(d.type, TableStore.SQLStatementType.SQL_DESCRIBE_TABLE);
    assert.deepStrictEqual(schema(d), ['Field:STRING', 'Type:STRING', 'Null:STRING', 'Key:STRING', 'Default:STRING', 'Extra:STRING']);
    assert.deepStrictEqual(rows(d), [
      ['id', 'bigint(20)', 'NO', 'PRI', null, ''], ['part', 'varchar(1024)', 'NO', 'PRI', null, ''],
      ['name', 'mediumtext', 'YES', '', null, ''], ['price', 'double', 'YES', '', null, ''],
      ['fresh', 'bool', 'YES', '', null, ''], ['pic', 'mediumblob', 'YES', '', null, ''],
    ]);

    await c.createSearchIndex({
      tableName: 'shop', indexName: 'shop_idx',
      schema: { fieldSchemas: [{ fieldName: 'name', fieldType: TableStore.FieldType.KEYWORD, index: true },
        { fieldName: 'price', fieldType: TableStore.FieldType.DOUBLE, index: true }] },
    });
    const si = await sql('show index in shop');
    assert.strictEqual(schema(si).length, 17);
    assert.deepStrictEqual(rows(si).map((x) => [x[1], x[2], x[3], x[4], x[6], x[12]]), [
      [0, 'PRIMARY', 1, 'id', '', ''], [0, 'PRIMARY', 2, 'part', '', ''],
      [1, 'shop_idx', 1, 'name', 'KEYWORD', 'SearchIndex'], [1, 'shop_idx', 2, 'price', 'DOUBLE', 'SearchIndex'],
    ]);

    await rejects(sql('drop mapping table shop, nothere'), 400, 'OTSParameterInvalid', "Table 'cap1.nothere' doesn't exist");
    assert.deepStrictEqual(rows(await sql('show tables')).length, 2, 'a failed DROP drops nothing');
    await sql('drop mapping table if exists nothere');
    const dr = await sql('DROP MAPPING TABLE shop');
    assert.strictEqual(dr.type, TableStore.SQLStatementType.SQL_DROP_TABLE);
    assert.deepStrictEqual(rows(await sql('show tables')), [['js_sql']]);
    // The data table is untouched; DESCRIBE on it maps its primary key and
    // predefined columns again, as the service does.
    assert.deepStrictEqual(rows(await sql('describe shop')).map((x) => x.slice(0, 4)),
      [['id', 'bigint(20)', 'NO', 'PRI'], ['part', 'varchar(1024)', 'NO', 'PRI']]);
    assert.deepStrictEqual(rows(await sql('show tables')), [['js_sql'], ['shop']]);
    await sql('drop mapping table shop');
    await rejects(sql('create table shop (part varchar(1024), id bigint, primary key(part, id))'), 400,
      'OTSParameterInvalid', 'must be the primary key of the table, in order: (id, part)');
    await rejects(sql('create table shop (id varchar(10), part varchar(1024), primary key(id, part))'), 400,
      'OTSParameterInvalid', "primary key column 'id' does not match the table's INTEGER");
  });

  await t.test('SELECT: WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, aggregates, functions, NULLs', async () => {
    await table('orders', [{ name: 'id', type: 'INTEGER' }]);
    const data = [
      [1, { city: 'hz', amount: 10, price: 1.5, paid: true, note: Buffer.from('n1') }],
      [2, { city: 'hz', amount: 20, price: 2.5, paid: false }],
      [3, { city: 'sh', amount: 5, price: 0.5, paid: true }],
      [4, { city: 'bj', amount: 7 }],
      [5, { city: 'sh', amount: 'oops' }], // a STRING where the mapping has bigint: NULL
      [6, {}],
    ];
    for (const [id, cols] of data) {
      await c.putRow({
        tableName: 'orders', condition: IGNORE(), primaryKey: [{ id: Long.fromNumber(id) }],
        attributeColumns: Object.entries(cols).map(([k, v]) => ({ [k]: typeof v === 'number' && Number.isInteger(v) ? Long.fromNumber(v) : v })),
      });
    }
    await sql('create table orders (id bigint, city mediumtext, amount bigint, price double, paid bool, note mediumblob, primary key(id))');

    const all = await sql('select * from orders where amount > 5 order by id');
    assert.strictEqual(all.type, TableStore.SQLStatementType.SQL_SELECT);
    assert.deepStrictEqual(schema(all), ['id:LONG', 'city:STRING', 'amount:LONG', 'price:DOUBLE', 'paid:BOOLEAN', 'note:BINARY']);
    assert.deepStrictEqual(rows(all), [[1, 'hz', 10, 1.5, true, 'n1'], [2, 'hz', 20, 2.5, false, null], [4, 'bj', 7, null, null, null]]);
    assert.ok(all.consumes.length === 1 && all.consumes[0].tableName === 'orders', JSON.stringify(all.consumes));

    const g = await sql('select city, count(*) as n, sum(amount) as total, avg(price) as p, max(amount) m from orders '
      + 'where city is not null group by city having count(*) >= 1 order by total desc');
    assert.deepStrictEqual(schema(g), ['city:STRING', 'n:LONG', 'total:LONG', 'p:DOUBLE', 'm:LONG']);
    assert.deepStrictEqual(rows(g), [['hz', 2, 30, 2, 20], ['bj', 1, 7, null, 7], ['sh', 2, 5, 0.5, 5]]);

    assert.deepStrictEqual(rows(await sql('select id from orders order by id desc limit 1, 2')), [[5], [4]]);
    assert.deepStrictEqual(rows(await sql('select id from orders order by id limit 2 offset 3')), [[4], [5]]);
    assert.deepStrictEqual(rows(await sql('select count(*), count(amount), count(distinct city) from orders')), [[6, 4, 3]]);
    assert.deepStrictEqual(rows(await sql("select id, upper(city), amount * 2 + 1, concat(city, '-', id) from orders where id in (1, 3) or city like 'b%' order by id")),
      [[1, 'HZ', 21, 'hz-1'], [3, 'SH', 11, 'sh-3'], [4, 'BJ', 15, 'bj-4']]);
    assert.deepStrictEqual(rows(await sql('select id from orders where paid = true and price between 1 and 2')), [[1]]);
    assert.deepStrictEqual(rows(await sql('select id from orders where amount is null order by id')), [[5], [6]]);
    // A data table without a mapping: SELECT maps it first.
    await table('bare', [{ name: 'k', type: 'STRING' }]);
    await c.putRow({ tableName: 'bare', condition: IGNORE(), primaryKey: [{ k: 'a' }], attributeColumns: [{ v: Long.fromNumber(1) }] });
    assert.deepStrictEqual(rows(await sql('select * from bare')), [['a']]);
  });

  await t.test('the service\'s errors', async () => {
    await rejects(sql('select nope from orders'), 400, 'OTSParameterInvalid', 'column nope cannot be resolved');
    await rejects(sql('select * from nothere'), 400, 'OTSParameterInvalid', "Table 'cap1.nothere' doesn't exist");
    await rejects(sql('selec 1'), 400, 'OTSParameterInvalid', 'the selec statement is not supported by acsemu');
    await rejects(sql('select * from orders; select 1'), 400, 'OTSParameterInvalid', "extraneous input 'select'");
    await rejects(sql('insert into orders values (1)'), 400, 'OTSParameterInvalid', 'the insert statement is not supported by acsemu');
    await rejects(sql("create table o2 (id bigint, primary key(id)) engine='searchindex'"), 400, 'OTSParameterInvalid',
      "ENGINE='searchindex' (mapping tables of search indexes) is not supported by acsemu");
    await rejects(sql('create table orders (id json, primary key(id))'), 400, 'OTSParameterInvalid', "column type 'json' is not supported");
    await assert.rejects(c.sqlQuery({ query: 'show tables', version: 1 }), /SQL payload version only support/);
  });

  await t.test('mappings are world state: world files, checkpoints, a --data-dir restart', async () => {
    const world = (await emu.json('GET', '/_emu/world')).body;
    const maps = world.Accounts[0].Tablestore.Instances[0].SqlMappings;
    assert.deepStrictEqual(maps.map((m) => m.Name).sort(), ['bare', 'js_sql', 'orders']);
    assert.match(maps.find((m) => m.Name === 'orders').Ddl, /^create table orders \(id bigint, city mediumtext/);
    await reloaded(emu, world, async (emu2) => {
      const c2 = new TableStore.Client({ ...env, endpoint: emu2.base, maxRetries: 0 });
      assert.deepStrictEqual(rows(await c2.sqlQuery({ query: 'show tables' })), [['bare'], ['js_sql'], ['orders']]);
    });
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/sql')).status, 200);
    await sql('drop mapping table bare');
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/sql/restore')).status, 200);
    assert.deepStrictEqual(rows(await sql('show tables')), [['bare'], ['js_sql'], ['orders']]);
    const dir = path.join(tmpdir(), 'sql-data');
    let e3 = await start({ world: WORLD, args: ['--data-dir', dir] });
    let c3 = new TableStore.Client({ ...env, endpoint: e3.base, maxRetries: 0 });
    await c3.createTable({ tableMeta: { tableName: 'kept', primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
    await c3.sqlQuery({ query: 'create table kept (id bigint, v mediumtext, primary key(id))' });
    const dead = new Promise((resolve) => e3.child.once('exit', resolve));
    e3.child.kill('SIGKILL');
    await dead;
    e3 = await start({ world: WORLD, args: ['--data-dir', dir] });
    c3 = new TableStore.Client({ ...env, endpoint: e3.base, maxRetries: 0 });
    assert.deepStrictEqual(rows(await c3.sqlQuery({ query: 'describe kept' })).map((x) => x[0]), ['id', 'v']);
    await c3.sqlQuery({ query: 'drop mapping table kept' });
    await e3.stop();
  });

  await t.test('authorized per statement: ots:SQLSelect, ots:SQLCreateTable, ots:SQLShowTable ...', async () => {
    const nobody = new TableStore.Client({ ...env, accessKeyId: 'LTAIemuNobodyA12345', secretAccessKey: 'emu-secret-nobody', maxRetries: 0 });
    await rejects(sql('select * from orders', nobody), 403, 'OTSNoPermissionAccess');
    const ram = new RPCClient({ accessKeyId: env.accessKeyId, accessKeySecret: env.secretAccessKey, endpoint: emu.base, apiVersion: '2015-05-01' });
    const doc = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['ots:SQLSelect', 'ots:SQLDescribeTable'], Resource: 'acs:ots:*:*:instance/cap1/table/orders' }] });
    await ram.request('CreatePolicy', { PolicyName: 'sql-orders', PolicyDocument: doc }, { method: 'POST' });
    await ram.request('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'sql-orders', UserName: 'nobody' }, { method: 'POST' });
    assert.deepStrictEqual(rows(await sql('select count(*) from orders', nobody)), [[6]]);
    assert.strictEqual(rows(await sql('describe orders', nobody)).length, 6);
    await rejects(sql('select * from js_sql', nobody), 403, 'OTSNoPermissionAccess');
    await rejects(sql('select * from orders o join js_sql j on o.city = j.pk1', nobody), 403, 'OTSNoPermissionAccess');
    await rejects(sql('show tables', nobody), 403, 'OTSNoPermissionAccess');
    await rejects(sql('drop mapping table orders', nobody), 403, 'OTSNoPermissionAccess');
    await rejects(sql('create table orders (id bigint, primary key(id))', nobody), 403, 'OTSNoPermissionAccess');
    assert.deepStrictEqual(rows(await sql('show tables')), [['bare'], ['js_sql'], ['orders']], 'nothing was dropped');
  });
});
