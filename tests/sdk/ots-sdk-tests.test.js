'use strict';
// The rest of the `tablestore` npm package's own test files, unmodified,
// against acsemu (run in this process by tests/support/mocha.js, configured
// only through the environment its samples/client.js reads):
// test/data_opration.test.js (PutRow then GetRow round trip),
// test/table.test.js (CreateTable with allow_update, DescribeTable,
// DeleteTable), test/long.test.js and test/protocol/plain_buffer.test.js
// (the SDK's own encoders, run here so an upgrade of the pinned SDK that
// changes them shows up). search, search_old, sql and globalIndex run in
// ots-search, ots-sql and ots-index; knowledge_base.test.js needs no server
// and e2e_knowledge_base.js drives the knowledge-base service acsemu does not
// emulate.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, SRC } = require('../support/emu');
const mocha = require('../support/mocha');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const PKG = path.dirname(require.resolve('tablestore/package.json'));

test('the tablestore SDK\'s own data, table and protocol tests pass unmodified', async () => {
  const emu = await start({ world: WORLD });
  try {
    const env = {
      accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a',
      endpoint: emu.base, instancename: 'cap1',
    };
    Object.assign(process.env, env);
    const files = ['test/data_opration.test.js', 'test/table.test.js', 'test/long.test.js',
      'test/protocol/plain_buffer.test.js'];
    const r = await mocha.run(files.map((f) => path.join(PKG, f)));
    assert.deepStrictEqual([r.pass, r.fail], [5, 0], r.lines.join('\n'));
    // data_opration's table is acsemu's, with the row it wrote
    const c = new TableStore.Client({ ...env, maxRetries: 0 });
    const d = await c.describeTable({ tableName: 'dataTestTable' });
    assert.strictEqual(d.tableMeta.tableName, 'dataTestTable');
    const rows = await c.getRange({ tableName: 'dataTestTable', direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ stringPK: TableStore.INF_MIN }, { integerPK: TableStore.INF_MIN }, { binaryPK: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ stringPK: TableStore.INF_MAX }, { integerPK: TableStore.INF_MAX }, { binaryPK: TableStore.INF_MAX }] });
    assert.strictEqual(rows.rows.length, 1);
  } finally {
    await emu.stop();
  }
});
