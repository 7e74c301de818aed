'use strict';
// The helper's example: write a row with the official `tablestore` SDK,
// assume the seed role with the official STS SDK, and see a denial explained
// through /_emu/decisions/ID, plus the world builder and per-test restore.
//
// Run: ACSEMU_BIN=/path/to/acsemu ACSEMU_SDK_PATH=/dir/with/node_modules node --test test/
// (acsemu from PATH and the SDKs from the working directory otherwise).
const test = require('node:test');
const assert = require('node:assert');
const { start, World, allowDoc } = require('..');

const sdkPaths = process.env.ACSEMU_SDK_PATH ? [process.env.ACSEMU_SDK_PATH] : [];
const TableStore = require(require.resolve('tablestore', { paths: [...sdkPaths, process.cwd()] }));
const pk = (vid, gt) => [{ vid: TableStore.Long.fromNumber(vid) }, { gt: TableStore.Long.fromNumber(gt) }];

test('the seed world through the official SDKs', async (t) => {
  const emu = await start({ sdkPaths });
  t.after(() => emu.stop());
  await emu.checkpoint('clean');
  t.afterEach(() => emu.restore('clean'));

  await t.test('write a row as account A, read it back', async () => {
    const ots = emu.tablestore(emu.credentials.accountA);
    await ots.putRow({ tableName: 'vehicle_track', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey: pk(424242, 1), attributeColumns: [{ speed: 88.5 }] });
    const r = await ots.getRow({ tableName: 'vehicle_track', primaryKey: pk(424242, 1) });
    assert.strictEqual(r.row.attributes.find((a) => a.columnName === 'speed').columnValue, 88.5);
  });

  await t.test('restore undid the write', async () => {
    const r = await emu.tablestore().getRow({ tableName: 'vehicle_track', primaryKey: pk(424242, 1) });
    assert.deepStrictEqual(r.row, {});
  });

  await t.test('MaxCompute for B assumes the seed role and reads A\'s table with the session', async () => {
    const session = await emu.assumeRole(emu.credentials.odpsForB, emu.seedRoleArn);
    assert.match(session.accessKeyId, /^STS\./);
    const r = await emu.tablestore(session).getRow({ tableName: 'vehicle_track', primaryKey: pk(7, 1700000000000) });
    assert.ok(r.consumed, 'a GetRow answer');
  });

  await t.test('a denied AssumeRole is explained on failure', async () => {
    // etl (a RAM user of B) is not in the role's trust policy: NoPermission.
    // explainFailures appends the decision to the error the test sees.
    let seen;
    await assert.rejects(emu.explainFailures(() => emu.assumeRole(emu.credentials.etl, emu.seedRoleArn)), (err) => {
      seen = err;
      return true;
    });
    assert.match(seen.message, /NoPermission/);
    assert.match(seen.message, /acsemu decision d-\d+: deny sts:AssumeRole on acs:ram::12345:role\/aliyunodpsroleforotheruser/);
    assert.match(seen.message, /principal: acs:ram::56789:user\/etl/);
    assert.match(seen.message, /decided by: (trust-policy|caller-permission-to-assume)/);
    // The same record, straight from /_emu/decisions/ID.
    const [last] = await emu.denials(1);
    const d = await emu.decision(last.id);
    assert.strictEqual(d.outcome, 'deny');
    assert.strictEqual(d.action, 'sts:AssumeRole');
  });

  await t.test('an assertion that fails after a denial names it', async () => {
    const client = emu.tablestore(emu.credentials.accountB); // B's root: nothing in A
    await assert.rejects(emu.explainFailures(async () => {
      const err = await client.getRow({ tableName: 'vehicle_track', primaryKey: pk(1, 1) }).catch((e) => e);
      assert.strictEqual(err.code, 'OK', 'expected the read to succeed');
    }), /expected the read to succeed[\s\S]*acsemu decision d-\d+: deny ots:GetRow on acs:ots:cn-hangzhou:12345:instance\/cap1\/table\/vehicle_track/);
  });
});

test('a world from the builder, reset between tests', async (t) => {
  const world = new World()
    .account('111', { accessKeyId: 'LTAIowner111', accessKeySecret: 'owner-secret' })
    .policy('111', 'ReadOnly', allowDoc(['ots:GetRow', 'ots:GetRange', 'ots:DescribeTable']))
    .user('111', 'reader', { accessKeyId: 'LTAIreader111', accessKeySecret: 'reader-secret', policies: ['ReadOnly'] })
    .role('111', 'Writer', { trust: { ram: 'acs:ram::111:root' }, policies: [{ PolicyName: 'AliyunOTSFullAccess', PolicyType: 'System' }] })
    .policy('111', 'MayAssume', allowDoc('sts:AssumeRole', 'acs:ram::111:role/writer'))
    .user('111', 'ci', { accessKeyId: 'LTAIci111', accessKeySecret: 'ci-secret', policies: ['MayAssume'] })
    .table('111', 'inst1', 'events', [['id', 'STRING']], { columns: [['n', 'INTEGER']] });
  const emu = await start({ world, sdkPaths });
  t.after(() => emu.stop());
  const creds = emu.credentials;
  assert.deepStrictEqual(Object.keys(creds).sort(), ['111', '111/ci', '111/reader']);

  await t.test('reader may read, not write', async () => {
    const ots = emu.tablestore(creds['111/reader'], { instance: 'inst1' });
    const err = await ots.putRow({ tableName: 'events', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey: [{ id: 'a' }], attributeColumns: [{ n: TableStore.Long.fromNumber(1) }] }).catch((e) => e);
    assert.strictEqual(err.code, 403);
    const [d] = await emu.denials(1);
    assert.strictEqual(d.action, 'ots:PutRow');
  });

  await t.test('ci assumes Writer and writes; reset forgets it', async () => {
    const session = await emu.assumeRole(creds['111/ci'], 'acs:ram::111:role/writer');
    const ots = emu.tablestore(session, { instance: 'inst1' });
    await ots.putRow({ tableName: 'events', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey: [{ id: 'a' }], attributeColumns: [{ n: TableStore.Long.fromNumber(1) }] });
    assert.strictEqual((await emu.health()).sessions, 1);
    await emu.reset();
    const h = await emu.health();
    assert.strictEqual(h.sessions, 0);
    assert.strictEqual(h.rows, 0);
  });
});

test('start() says how to get acsemu when there is none', async () => {
  await assert.rejects(start({ bin: '/nonexistent/acsemu' }), /ENOENT|acsemu exited|spawn/);
  const saved = { PATH: process.env.PATH, ACSEMU_BIN: process.env.ACSEMU_BIN };
  process.env.PATH = '/nonexistent';
  delete process.env.ACSEMU_BIN;
  try {
    await assert.rejects(start(), /acsemu not found: install the acsemu package/);
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.ACSEMU_BIN !== undefined) process.env.ACSEMU_BIN = saved.ACSEMU_BIN;
  }
});

test('attach to a running acsemu (ACSEMU_ENDPOINT, as with a CI service)', async (t) => {
  const owner = await start({ sdkPaths });
  t.after(() => owner.stop());
  process.env.ACSEMU_ENDPOINT = owner.endpoint;
  let emu;
  try {
    emu = await start({ sdkPaths });
  } finally {
    delete process.env.ACSEMU_ENDPOINT;
  }
  assert.strictEqual(emu.child, null);
  assert.strictEqual(emu.endpoint, owner.endpoint);
  await emu.checkpoint('attached');
  const session = await emu.assumeRole(emu.credentials.odpsForB);
  assert.match(session.accessKeyId, /^STS\./);
  assert.strictEqual((await owner.health()).sessions, 1);
  await emu.restore('attached');
  assert.strictEqual((await owner.health()).sessions, 0);
  await emu.stop();
  assert.strictEqual((await owner.health()).status, 'ready', 'stop() of an attached emulator leaves it running');
  await assert.rejects(start({ endpoint: 'http://127.0.0.1:1' }), /does not answer \/_emu\/health/);
});
