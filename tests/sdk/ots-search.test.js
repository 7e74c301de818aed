'use strict';
// Tablestore search indexes through the unmodified `tablestore` npm
// package: its own test/search_old.test.js and test/search.test.js (run in
// this process by tests/support/mocha.js, configured only through the
// environment its samples/client.js reads), then the semantics with exact
// answers: every query type on a small table, sorting, pages and next
// tokens, columns to get, the index following PutRow / UpdateRow /
// DeleteRow / BatchWriteRow, a checkpoint restore giving back the index
// with the rows, DeleteTable taking its indexes, authorization per
// operation and the service's errors, indexes in world files and across a
// --data-dir restart.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const TableStore = require('tablestore');
const { start, reloaded, tmpdir, SRC } = require('../support/emu');
const mocha = require('../support/mocha');

const Long = TableStore.Long;
const WORLD = path.join(SRC, 'tests/fixtures/worlds/ots.json');
const PKG = path.dirname(require.resolve('tablestore/package.json'));
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const QT = TableStore.QueryType;
const toNum = (v) => (v && typeof v.toNumber === 'function' ? v.toNumber() : v);

async function rejects(p, status, code, text) {
  await assert.rejects(p, (e) => {
    assert.strictEqual(e.code, status, e.message);
    assert.ok(e.message.includes(code), `${code} in ${JSON.stringify(e.message)}`);
    if (text) assert.ok(e.message.includes(text), `${text} in ${JSON.stringify(e.message)}`);
    return true;
  });
}

test('Tablestore search indexes through the official Node SDK', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const env = {
    accessKeyId: 'LTAIemuAccountA12345', secretAccessKey: 'emu-secret-account-a',
    endpoint: emu.base, instancename: 'cap1',
  };
  const c = new TableStore.Client({ ...env, maxRetries: 0 });
  Object.assign(process.env, env);

  await t.test('the SDK\'s own test/search_old.test.js passes unmodified', async () => {
    const r = await mocha.run([path.join(PKG, 'test/search_old.test.js')]);
    assert.deepStrictEqual([r.pass, r.fail], [28, 0], r.lines.join('\n'));
  });

  await t.test('the SDK\'s own test/search.test.js passes unmodified', async () => {
    const r = await mocha.run([path.join(PKG, 'test/search.test.js')]);
    const ok = r.lines.filter((l) => l.startsWith('ok - ')).map((l) => l.slice(5));
    assert.deepStrictEqual(ok, ['Search Meta create_and_describe_with_ttl_and_reindex_and_update_ttl',
      'Search Query agg_and_group_by', 'Search Query group_by_date_histogram', 'Search Query group_by_geo_grid',
      'Search Query functions_score_query', 'Search Query knn_vector_query', 'Search Query highlight_query',
      'Search Query field_sort_missing_field_query', 'Search Query group_by_composite', 'Search Query collapse test ',
      'Search Query weight', 'ParallelScan compute_splits', 'ParallelScan parallel_scan'], r.lines.join('\n'));
    for (const l of r.lines.filter((x) => x.startsWith('not ok - '))) {
      assert.match(l, /is not supported by acsemu/, l);
    }
  });

  const T = 'shop';
  const pk = (id) => [{ id: Long.fromNumber(id) }];
  const ids = (res) => res.rows.map((row) => toNum(row.primaryKey[0].value));
  const search = (query, more = {}) => c.search({
    tableName: T, indexName: 'shop_idx',
    searchQuery: { offset: 0, limit: 100, getTotalCount: true, query, ...more },
    columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
  });
  const hits = async (query, more) => ids(await search(query, more));

  await t.test('every query type, exactly', async () => {
    await c.createTable({
      tableMeta: { tableName: T, primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const rows = [
      [1, { name: 'red apple', kind: 'fruit', price: 3, weight: 0.5, fresh: true, pos: '30.1,120.1', tags: '["a","b"]', day: '2024-01-02 00:00:00' }],
      [2, { name: 'green apple pie', kind: 'cake', price: 12, weight: 1.25, fresh: false, pos: '30.2,120.2', tags: '["b"]', day: '2024-01-03 00:00:00' }],
      [3, { name: 'banana', kind: 'fruit', price: 2, weight: 0.2, fresh: true, pos: '40.0,116.0', day: '2024-02-01 00:00:00' }],
      [4, { name: 'Apple Juice', kind: 'drink', price: 5, pos: '30.3,120.3', tags: '["c"]' }],
      [5, { kind: 'fruit', price: 7, weight: 2.5 }],
    ];
    for (const [id, cols] of rows) {
      await c.putRow({
        tableName: T, condition: IGNORE(), primaryKey: pk(id),
        attributeColumns: Object.entries(cols).map(([k, v]) => ({ [k]: Number.isInteger(v) && k === 'price' ? Long.fromNumber(v) : v })),
      });
    }
    await c.createSearchIndex({
      tableName: T, indexName: 'shop_idx',
      schema: {
        fieldSchemas: [
          { fieldName: 'name', fieldType: TableStore.FieldType.TEXT, index: true },
          { fieldName: 'kind', fieldType: TableStore.FieldType.KEYWORD, index: true, enableSortAndAgg: true },
          { fieldName: 'price', fieldType: TableStore.FieldType.LONG, index: true, enableSortAndAgg: true },
          { fieldName: 'weight', fieldType: TableStore.FieldType.DOUBLE, index: true, enableSortAndAgg: true },
          { fieldName: 'fresh', fieldType: TableStore.FieldType.BOOLEAN, index: true },
          { fieldName: 'pos', fieldType: TableStore.FieldType.GEO_POINT, index: true },
          { fieldName: 'tags', fieldType: TableStore.FieldType.KEYWORD, index: true, isAnArray: true },
          { fieldName: 'day', fieldType: TableStore.FieldType.DATE, index: true, enableSortAndAgg: true, dateFormats: ['yyyy-MM-dd HH:mm:ss'] },
        ],
      },
    });
    // Built from the rows already there.
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }), [1, 2, 3, 4, 5]);
    assert.deepStrictEqual(await hits({ queryType: QT.TERM_QUERY, query: { fieldName: 'kind', term: 'fruit' } }), [1, 3, 5]);
    assert.deepStrictEqual(await hits({ queryType: QT.TERM_QUERY, query: { fieldName: 'price', term: Long.fromNumber(12) } }), [2]);
    // As the Python SDK's own search_index_test expects of the service: a
    // string term on a Long field is read as the number, and MatchPhrase on
    // a Keyword field matches the whole value.
    assert.deepStrictEqual(await hits({ queryType: QT.TERM_QUERY, query: { fieldName: 'price', term: '12' } }), [2]);
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_PHRASE_QUERY, query: { fieldName: 'kind', text: 'cake' } }), [2]);
    assert.deepStrictEqual(await hits({ queryType: QT.TERM_QUERY, query: { fieldName: 'fresh', term: true } }), [1, 3]);
    assert.deepStrictEqual(await hits({ queryType: QT.TERMS_QUERY, query: { fieldName: 'kind', terms: ['cake', 'drink'] } }), [2, 4]);
    assert.deepStrictEqual(await hits({ queryType: QT.RANGE_QUERY, query: { fieldName: 'price', rangeFrom: Long.fromNumber(3), includeLower: true, rangeTo: Long.fromNumber(7), includeUpper: false } }), [1, 4]);
    assert.deepStrictEqual(await hits({ queryType: QT.RANGE_QUERY, query: { fieldName: 'weight', rangeFrom: 0.5, includeLower: false } }), [2, 5]);
    assert.deepStrictEqual(await hits({ queryType: QT.RANGE_QUERY, query: { fieldName: 'day', rangeFrom: '2024-01-03 00:00:00', includeLower: true } }), [2, 3]);
    assert.deepStrictEqual(await hits({ queryType: QT.PREFIX_QUERY, query: { fieldName: 'kind', prefix: 'fr' } }), [1, 3, 5]);
    assert.deepStrictEqual(await hits({ queryType: QT.WILDCARD_QUERY, query: { fieldName: 'kind', value: '*ink' } }), [4]);
    assert.deepStrictEqual(await hits({ queryType: QT.WILDCARD_QUERY, query: { fieldName: 'kind', value: 'c?ke' } }), [2]);
    assert.deepStrictEqual(await hits({ queryType: QT.EXISTS_QUERY, query: { fieldName: 'name' } }), [1, 2, 3, 4]);
    assert.deepStrictEqual(await hits({ queryType: QT.TERM_QUERY, query: { fieldName: 'tags', term: 'b' } }), [1, 2]);
    // Text: tokens, lower-cased; OR by default, AND or minimum_should_match.
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_QUERY, query: { fieldName: 'name', text: 'APPLE' } }), [1, 2, 4]);
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_QUERY, query: { fieldName: 'name', text: 'apple pie', operator: TableStore.QueryOperator.AND } }), [2]);
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_QUERY, query: { fieldName: 'name', text: 'red juice banana', minimumShouldMatch: 1 } }), [1, 3, 4]);
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_PHRASE_QUERY, query: { fieldName: 'name', text: 'apple pie' } }), [2]);
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_PHRASE_QUERY, query: { fieldName: 'name', text: 'pie apple' } }), []);
    // Bool: must, must_not, filter, should with minimum_should_match.
    const term = (f, v) => ({ queryType: QT.TERM_QUERY, query: { fieldName: f, term: v } });
    assert.deepStrictEqual(await hits({ queryType: QT.BOOL_QUERY, query: { mustQueries: [term('kind', 'fruit')], mustNotQueries: [term('fresh', true)] } }), [5]);
    assert.deepStrictEqual(await hits({ queryType: QT.BOOL_QUERY, query: { filterQueries: [{ queryType: QT.RANGE_QUERY, query: { fieldName: 'price', rangeFrom: Long.fromNumber(3), includeLower: true } }], mustQueries: [{ queryType: QT.MATCH_QUERY, query: { fieldName: 'name', text: 'apple' } }] } }), [1, 2, 4]);
    assert.deepStrictEqual(await hits({ queryType: QT.BOOL_QUERY, query: { shouldQueries: [term('kind', 'cake'), term('tags', 'b'), term('fresh', true)], minimumShouldMatch: 2 } }), [1, 2]);
    assert.deepStrictEqual(await hits({ queryType: QT.BOOL_QUERY, query: { mustNotQueries: [term('kind', 'fruit')] } }), [2, 4]);
    // Geo.
    assert.deepStrictEqual(await hits({ queryType: QT.GEO_DISTANCE_QUERY, query: { fieldName: 'pos', centerPoint: '30.1,120.1', distance: 20000 } }), [1, 2]);
    assert.deepStrictEqual(await hits({ queryType: QT.GEO_BOUNDING_BOX_QUERY, query: { fieldName: 'pos', topLeft: '31,120', bottomRight: '30,120.25' } }), [1, 2]);
    // On the service's 32-bit grid a box's lower edge rounds up: a point on
    // a bottom edge that is not on the grid (30.2) is out, one just inside is in.
    assert.deepStrictEqual(await hits({ queryType: QT.GEO_BOUNDING_BOX_QUERY, query: { fieldName: 'pos', topLeft: '31,120', bottomRight: '30.2,120.25' } }), []);
    assert.deepStrictEqual(await hits({ queryType: QT.GEO_BOUNDING_BOX_QUERY, query: { fieldName: 'pos', topLeft: '31,120', bottomRight: '30.19,120.25' } }), [2]);
    assert.deepStrictEqual(await hits({ queryType: QT.GEO_POLYGON_QUERY, query: { fieldName: 'pos', points: ['39,115', '41,115', '41,117', '39,117'] } }), [3]);
    // Total count without rows.
    const r = await search(term('kind', 'fruit'), { limit: 0 });
    assert.strictEqual(String(r.totalCounts), '3');
    assert.deepStrictEqual(r.rows, []);
  });

  await t.test('sorting, pages with next tokens, columns to get', async () => {
    const byPrice = { sorters: [{ fieldSort: { fieldName: 'price', order: TableStore.SortOrder.SORT_ORDER_DESC } }] };
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }, { sort: byPrice }), [2, 5, 4, 1, 3]);
    const byWeight = { sorters: [{ fieldSort: { fieldName: 'weight', order: TableStore.SortOrder.SORT_ORDER_ASC } }] };
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }, { sort: byWeight }), [3, 1, 2, 5, 4], 'missing values last');
    const byPk = { sorters: [{ primaryKeySort: { order: TableStore.SortOrder.SORT_ORDER_DESC } }] };
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }, { sort: byPk }), [5, 4, 3, 2, 1]);
    const byKindThenPrice = { sorters: [
      { fieldSort: { fieldName: 'kind', order: TableStore.SortOrder.SORT_ORDER_ASC } },
      { fieldSort: { fieldName: 'price', order: TableStore.SortOrder.SORT_ORDER_DESC } }] };
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }, { sort: byKindThenPrice }), [2, 4, 5, 1, 3]);
    // Pages: offset/limit, then next tokens carrying the sort.
    let page = await search({ queryType: QT.MATCH_ALL_QUERY }, { limit: 2, sort: byPrice });
    const seen = ids(page);
    while (page.nextToken && page.nextToken.length) {
      page = await c.search({
        tableName: T, indexName: 'shop_idx',
        searchQuery: { limit: 2, token: page.nextToken, query: { queryType: QT.MATCH_ALL_QUERY } },
        columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
      });
      seen.push(...ids(page));
    }
    assert.deepStrictEqual(seen, [2, 5, 4, 1, 3]);
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }, { offset: 3, limit: 10 }), [4, 5]);
    // Geo distance to the nearest of several origins.
    const byNearest = { sorters: [{ geoDistanceSort: { fieldName: 'pos', points: ['40.0,116.0', '30.3,120.3'], order: TableStore.SortOrder.SORT_ORDER_ASC } }] };
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }, { sort: byNearest }), [3, 4, 2, 1, 5]);
    // IndexSort: hits without a sort come in the index's order; world files keep it.
    await c.createSearchIndex({ tableName: T, indexName: 'by_price', schema: {
      fieldSchemas: [{ fieldName: 'price', fieldType: TableStore.FieldType.LONG, index: true, enableSortAndAgg: true }],
      indexSort: { sorters: [{ fieldSort: { fieldName: 'price', order: TableStore.SortOrder.SORT_ORDER_DESC } }] } } });
    const sortedHits = async (client) => ids(await client.search({ tableName: T, indexName: 'by_price',
      searchQuery: { offset: 0, limit: 10, query: { queryType: QT.MATCH_ALL_QUERY } }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } }));
    assert.deepStrictEqual(await sortedHits(c), [2, 5, 4, 1, 3]);
    const wj = (await emu.json('GET', '/_emu/world')).body.Accounts[0].Tablestore.Instances[0].Tables.find((x) => x.TableName === T);
    assert.deepStrictEqual(wj.SearchIndexes.find((x) => x.IndexName === 'by_price').IndexSort, [{ FieldName: 'price', Order: 'DESC' }]);
    await reloaded(emu, (await emu.json('GET', '/_emu/world')).body, async (emu2) => {
      assert.deepStrictEqual(await sortedHits(new TableStore.Client({ ...env, endpoint: emu2.base, maxRetries: 0 })), [2, 5, 4, 1, 3]);
    });
    await c.deleteSearchIndex({ tableName: T, indexName: 'by_price' });
    await rejects(c.createSearchIndex({ tableName: T, indexName: 'bad_sort', schema: {
      fieldSchemas: [{ fieldName: 'tags', fieldType: TableStore.FieldType.KEYWORD, index: true, isAnArray: true }],
      indexSort: { sorters: [{ fieldSort: { fieldName: 'tags' } }] } } }), 400, 'OTSParameterInvalid', 'IndexSort field:tags must be a sortable, single-valued field');
    // missing_field: where weight is missing (4), price stands in (5 * 1).
    const byWeightElsePrice = { sorters: [{ fieldSort: { fieldName: 'weight', order: TableStore.SortOrder.SORT_ORDER_DESC, missingField: 'price' } }] };
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }, { sort: byWeightElsePrice }), [4, 5, 2, 1, 3]);
    // Collapse: the first hit of each kind, in the sort's order; the total counts every match.
    const col = await search({ queryType: QT.MATCH_ALL_QUERY }, { sort: byPrice, collapse: { fieldName: 'kind' } });
    assert.deepStrictEqual([ids(col), Number(col.totalCounts)], [[2, 5, 4], 5]);
    assert.deepStrictEqual(await hits({ queryType: QT.MATCH_ALL_QUERY }, { collapse: { fieldName: 'kind' }, offset: 1, limit: 1 }), [2]);
    await rejects(search({ queryType: QT.MATCH_ALL_QUERY }, { collapse: { fieldName: 'name' } }), 400, 'OTSParameterInvalid', 'Collapse field:name');
    // ComputeSplits + ParallelScan: one split; pages by next token; a session of another index is refused.
    const splits = await c.computeSplits({ tableName: T, searchIndexSplitsOptions: { indexName: 'shop_idx' } });
    assert.strictEqual(splits.splitsSize, 1);
    const scan = (token, more = {}) => c.parallelScan({
      tableName: T, indexName: 'shop_idx', sessionId: splits.sessionId,
      columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_SPECIFIED, returnNames: ['kind'] },
      scanQuery: { query: { queryType: QT.TERM_QUERY, query: { fieldName: 'kind', term: 'fruit' } }, limit: 2, aliveTime: 30, token, currentParallelId: 0, maxParallel: 1, ...more },
    });
    let sp = await scan(undefined);
    const scanned = ids(sp);
    assert.deepStrictEqual(sp.rows[0].attributes.map((a) => [a.columnName, a.columnValue]), [['kind', 'fruit']]);
    const pages = [sp.rows.length];
    while (sp.nextToken && sp.nextToken.length) {
      sp = await scan(sp.nextToken);
      scanned.push(...ids(sp));
      pages.push(sp.rows.length);
    }
    assert.deepStrictEqual(scanned, [1, 3, 5]);
    assert.deepStrictEqual(pages, [2, 1, 0], 'the last page with rows has a token too; the empty one after it has none');
    // the service's texts (the Python SDK's own parallel_scan_test)
    await rejects(scan(undefined, { maxParallel: 2 }), 400, 'OTSParameterInvalid',
      '[parallel_scan.max_parallel_id] must in (0 ,1], current max_parallel_id is 2');
    await rejects(scan(undefined, { currentParallelId: 101 }), 400, 'OTSParameterInvalid',
      '[parallel_scan.current_parallel_id] must in [0, max_parallel), current max_parallel is 1, current_parallel_id is 101');
    await rejects(c.parallelScan({ tableName: T, indexName: 'shop_idx', sessionId: Buffer.from('acsemu-scan/other/1'), columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
      scanQuery: { query: { queryType: QT.MATCH_ALL_QUERY }, limit: 1, maxParallel: 1, currentParallelId: 0 } }), 400, 'OTSSessionExpired');
    await rejects(c.computeSplits({ tableName: T, searchIndexSplitsOptions: { indexName: 'nosuch' } }), 400, 'OTSMetaNotMatch',
      'search index [nosuch] does not exist');
    await rejects(c.computeSplits({ tableName: 'nosuch', searchIndexSplitsOptions: { indexName: 'shop_idx' } }), 400, 'OTSParameterInvalid',
      'table [nosuch] does not exist');
    // Columns.
    const cols = async (columnToGet) => (await c.search({
      tableName: T, indexName: 'shop_idx', columnToGet,
      searchQuery: { offset: 0, limit: 1, query: { queryType: QT.TERM_QUERY, query: { fieldName: 'price', term: Long.fromNumber(3) } } },
    })).rows[0].attributes.map((a) => a.columnName).sort();
    assert.deepStrictEqual(await cols({ returnType: TableStore.ColumnReturnType.RETURN_NONE }), []);
    assert.deepStrictEqual(await cols({ returnType: TableStore.ColumnReturnType.RETURN_SPECIFIED, returnNames: ['kind', 'price'] }), ['kind', 'price']);
    assert.deepStrictEqual(await cols({ returnType: TableStore.ColumnReturnType.RETURN_ALL }), ['day', 'fresh', 'kind', 'name', 'pos', 'price', 'tags', 'weight']);
  });

  await t.test('aggregations and group-bys, exactly', async () => {
    const AT = TableStore.AggregationType, GT = TableStore.GroupByType;
    const agg = (name, type, body) => ({ name, type, body });
    const r = await c.search({
      tableName: T, indexName: 'shop_idx', columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
      searchQuery: {
        offset: 0, limit: 0, query: { queryType: QT.MATCH_ALL_QUERY },
        aggs: { aggs: [
          agg('avg', AT.AGG_AVG, { fieldName: 'price' }), agg('max', AT.AGG_MAX, { fieldName: 'price' }),
          agg('min', AT.AGG_MIN, { fieldName: 'price' }), agg('sum', AT.AGG_SUM, { fieldName: 'price' }),
          agg('count', AT.AGG_COUNT, { fieldName: 'weight' }), agg('kinds', AT.AGG_DISTINCT_COUNT, { fieldName: 'kind' }),
          agg('p', AT.AGG_PERCENTILES, { fieldName: 'weight', percentiles: [0, 50, 100] }),
          agg('top', AT.AGG_TOP_ROWS, { limit: 2, sort: { sorters: [{ fieldSort: { fieldName: 'price', order: TableStore.SortOrder.SORT_ORDER_DESC } }] } }),
        ] },
        groupBys: { groupBys: [
          { name: 'by_kind', type: GT.GROUP_BY_FIELD, body: { fieldName: 'kind', size: 10, subAggs: { aggs: [agg('s', AT.AGG_SUM, { fieldName: 'price' })] } } },
          { name: 'by_kind_sum', type: GT.GROUP_BY_FIELD, body: { fieldName: 'kind', size: 2, sort: { sorters: [{ subAggSort: { subAggName: 's', order: TableStore.SortOrder.SORT_ORDER_ASC } }] }, subAggs: { aggs: [agg('s', AT.AGG_SUM, { fieldName: 'price' })] } } },
          { name: 'price_ranges', type: GT.GROUP_BY_RANGE, body: { fieldName: 'price', ranges: [{ from: 0, to: 5 }, { from: 5, to: 100 }] } },
          { name: 'filters', type: GT.GROUP_BY_FILTER, body: { filters: [
            { queryType: QT.TERM_QUERY, query: { fieldName: 'kind', term: 'fruit' } },
            { queryType: QT.RANGE_QUERY, query: { fieldName: 'price', rangeFrom: Long.fromNumber(5), includeLower: true } }] } },
          { name: 'hist', type: GT.GROUP_BY_HISTOGRAM, body: { fieldName: 'price', interval: Long.fromNumber(5) } },
          { name: 'near', type: GT.GROUP_BY_GEO_DISTANCE, body: { fieldName: 'pos', origin: { lat: 30.1, lon: 120.1 }, ranges: [{ from: 0, to: 20000 }, { from: 20000 }] } },
        ] },
      },
    });
    const a = Object.fromEntries(r.aggs.aggResults.map((x) => [x.name, x.aggResult]));
    assert.strictEqual(a.avg.value, 5.8);
    assert.deepStrictEqual([a.max.value, a.min.value, a.sum.value], [12, 2, 29]);
    assert.deepStrictEqual([toNum(a.count.value), toNum(a.kinds.value)], [4, 3]);
    assert.deepStrictEqual(a.p.items.map((i) => [i.item.key, i.item.value]), [[0, 0.2], [50, 0.875], [100, 2.5]]);
    assert.deepStrictEqual(a.top.rows.map((row) => toNum(row.primaryKey[0].value)), [2, 5]);
    const g = Object.fromEntries(r.groupBys.groupByResults.map((x) => [x.name, x.groupByResult.items]));
    assert.deepStrictEqual(g.by_kind.map((i) => [i.key, toNum(i.rowCount), i.subAggsResult.aggResults[0].aggResult.value]),
      [['fruit', 3, 12], ['cake', 1, 12], ['drink', 1, 5]]);
    assert.deepStrictEqual(g.by_kind_sum.map((i) => i.key), ['drink', 'cake']);
    assert.deepStrictEqual(g.price_ranges.map((i) => [i.from, i.to, toNum(i.rowCount)]), [[0, 5, 2], [5, 100, 3]]);
    assert.deepStrictEqual(g.filters.map((i) => toNum(i.rowCount)), [3, 3]);
    assert.deepStrictEqual(g.hist.map((i) => [toNum(i.key), toNum(i.value)]), [[0, 2], [5, 2], [10, 1]]);
    assert.deepStrictEqual(g.near.map((i) => toNum(i.rowCount)), [2, 2]);
    // What the Python SDK's own agg_test expects of the service: top rows
    // carry the Search's columns_to_get; percentiles come in ascending order,
    // whole numbers on a Long field; number aggregations refuse other types.
    assert.ok(a.top.rows.every((row) => !row.attributes || row.attributes.length === 0), 'RETURN_NONE: keys only');
    const one = async (ag, columnToGet = { returnType: TableStore.ColumnReturnType.RETURN_NONE }) => (await c.search({
      tableName: T, indexName: 'shop_idx', columnToGet,
      searchQuery: { offset: 0, limit: 0, query: { queryType: QT.MATCH_ALL_QUERY }, aggs: { aggs: [ag] } },
    })).aggs.aggResults[0].aggResult;
    const top = await one(agg('top', AT.AGG_TOP_ROWS, { limit: 1, sort: { sorters: [{ primaryKeySort: { order: TableStore.SortOrder.SORT_ORDER_ASC } }] } }),
      { returnType: TableStore.ColumnReturnType.RETURN_SPECIFIED, returnNames: ['name'] });
    assert.deepStrictEqual(top.rows[0].attributes.map((x) => [x.columnName, x.columnValue]), [['name', 'red apple']]);
    const pct = await one(agg('p', AT.AGG_PERCENTILES, { fieldName: 'price', percentiles: [90, 25] }));
    assert.deepStrictEqual(pct.items.map((i) => [i.item.key, toNum(i.item.value)]), [[25, 3], [90, 10]]);
    await rejects(one(agg('s', AT.AGG_SUM, { fieldName: 'kind' })), 400, 'OTSParameterInvalid',
      'SumAggregation needs a Long, Double or Date field; field:kind is not one.');
    await rejects(one(agg('c', AT.AGG_COUNT, { fieldName: 'name' })), 400, 'OTSParameterInvalid',
      'CountAggregation cannot aggregate field:name of type Text or Nested.');
    // Date histograms (calendar months; days in a time zone; a missing
    // value; min_doc_count; count order) and geohash grids.
    const groupBy = async (gbs) => {
      const x = await c.search({
        tableName: T, indexName: 'shop_idx', searchQuery: { offset: 0, limit: 0, query: { queryType: QT.MATCH_ALL_QUERY }, groupBys: { groupBys: gbs } },
        columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
      });
      return Object.fromEntries(x.groupBys.groupByResults.map((y) => [y.name, y.groupByResult.items]));
    };
    const U = TableStore.DateTimeUnit;
    const dh = await groupBy([
      { name: 'month', type: GT.GROUP_BY_DATE_HISTOGRAM, body: { fieldName: 'day', interval: { value: 1, unit: U.MONTH } } },
      { name: 'day8', type: GT.GROUP_BY_DATE_HISTOGRAM, body: { fieldName: 'day', interval: { value: 1, unit: U.DAY }, timeZone: '+08:00',
        missing: '2024-01-03 12:00:00', minDocCount: 2 } },
      { name: 'week', type: GT.GROUP_BY_DATE_HISTOGRAM, body: { fieldName: 'day', interval: { value: 1, unit: U.WEEK },
        sort: { sorters: [{ rowCountSort: { order: TableStore.SortOrder.SORT_ORDER_ASC } }] } } },
      { name: 'grid', type: GT.GROUP_BY_GEO_GRID, body: { fieldName: 'pos', precision: TableStore.GeoHashPrecision.GHP_156KM_156KM_3, size: 10 } },
      { name: 'grid1', type: GT.GROUP_BY_GEO_GRID, body: { fieldName: 'pos', precision: TableStore.GeoHashPrecision.GHP_5009KM_4992KM_1 } },
    ]);
    const ts = (items) => items.map((i) => [new Date(toNum(i.timeStamp)).toISOString(), toNum(i.rowCount)]);
    assert.deepStrictEqual(ts(dh.month), [['2024-01-01T00:00:00.000Z', 2], ['2024-02-01T00:00:00.000Z', 1]]);
    // +08:00 days: 01-02 00:00Z is 01-02 08:00 there; the two missing rows count on 01-03.
    assert.deepStrictEqual(ts(dh.day8), [['2024-01-02T16:00:00.000Z', 3]]);
    assert.deepStrictEqual(ts(dh.week), [['2024-01-29T00:00:00.000Z', 1], ['2024-01-01T00:00:00.000Z', 2]]);
    assert.deepStrictEqual(dh.grid.map((i) => [i.key, toNum(i.rowCount), i.geoGrid.topLeft.lat, i.geoGrid.topLeft.lon, i.geoGrid.bottomRight.lat, i.geoGrid.bottomRight.lon]),
      [['wtm', 3, 30.9375, 119.53125, 29.53125, 120.9375], ['wx4', 1, 40.78125, 115.3125, 39.375, 116.71875]]);
    assert.deepStrictEqual(dh.grid1.map((i) => [i.key, toNum(i.rowCount)]), [['w', 4]]);
    // A histogram over every document counts from the postings; the same
    // over a query's documents reads rows: both give the same buckets.
    const histOf = async (query) => {
      const x = await c.search({
        tableName: T, indexName: 'shop_idx', columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
        searchQuery: { offset: 0, limit: 0, query, groupBys: { groupBys: [{ name: 'h', type: GT.GROUP_BY_HISTOGRAM,
          body: { fieldName: 'weight', interval: 1, missing: 0.1, sort: { sorters: [{ rowCountSort: { order: TableStore.SortOrder.SORT_ORDER_DESC } }] } } }] } },
      });
      return x.groupBys.groupByResults[0].groupByResult.items.map((i) => [toNum(i.key), toNum(i.value)]);
    };
    const viaPostings = await histOf({ queryType: QT.MATCH_ALL_QUERY });
    assert.deepStrictEqual(viaPostings, [[0, 3], [1, 1], [2, 1]]);
    assert.deepStrictEqual(await histOf({ queryType: QT.BOOL_QUERY, query: { mustNotQueries: [{ queryType: QT.TERM_QUERY, query: { fieldName: 'kind', term: 'nosuch' } }] } }), viaPostings);
    // Composite: key tuples in order, pages by next token.
    const composite = (nextToken) => ({ name: 'comp', type: GT.GROUP_BY_COMPOSITE, body: { size: 2, nextToken, sources: { groupBys: [
      { name: 'k', type: GT.GROUP_BY_FIELD, body: { fieldName: 'kind' } },
      { name: 'p', type: GT.GROUP_BY_HISTOGRAM, body: { fieldName: 'price', interval: Long.fromNumber(5) } }] } } });
    const cx = async (token) => {
      const x = await c.search({
        tableName: T, indexName: 'shop_idx', searchQuery: { offset: 0, limit: 0, query: { queryType: QT.MATCH_ALL_QUERY }, groupBys: { groupBys: [composite(token)] } },
        columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
      });
      return x.groupBys.groupByResults[0].groupByResult;
    };
    const c1 = await cx(undefined);
    assert.deepStrictEqual([c1.sourceNames, c1.items.map((i) => [...i.keys, toNum(i.rowCount)])], [['k', 'p'], [['cake', '10', 1], ['drink', '5', 1]]]);
    const c2 = await cx(c1.nextToken);
    assert.deepStrictEqual([c2.items.map((i) => [...i.keys, toNum(i.rowCount)]), c2.nextToken], [[['fruit', '0', 2], ['fruit', '5', 1]], null]);
    await rejects(groupBy([{ name: 'd', type: GT.GROUP_BY_DATE_HISTOGRAM, body: { fieldName: 'price', interval: { value: 1, unit: U.DAY } } }]),
      400, 'OTSParameterInvalid', 'GroupByDateHistogram needs a Date field');
    await rejects(groupBy([{ name: 'd', type: GT.GROUP_BY_GEO_GRID, body: { fieldName: 'kind', precision: 1 } }]),
      400, 'OTSParameterInvalid', 'GroupByGeoGrid needs a GeoPoint field');
  });

  await t.test('FunctionsScoreQuery and KnnVectorQuery: scores and order, exactly', async () => {
    const V = 'vec';
    await c.createTable({
      tableMeta: { tableName: V, primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const data = [[1, '[0, 0]', 1], [2, '[1, 0]', 2], [3, '[3, 4]', 5], [4, null, 10]];
    for (const [id, v, x] of data) {
      const cols = [{ x }];
      if (v) cols.push({ v }, { vc: v });
      await c.putRow({ tableName: V, condition: IGNORE(), primaryKey: pk(id), attributeColumns: cols });
    }
    const vo = (metricType) => ({ dataType: TableStore.VectorDataType.VD_FLOAT_32, dimension: 2, metricType });
    await c.createSearchIndex({
      tableName: V, indexName: 'vec_idx', schema: { fieldSchemas: [
        { fieldName: 'x', fieldType: TableStore.FieldType.DOUBLE, index: true, enableSortAndAgg: true },
        { fieldName: 'v', fieldType: TableStore.FieldType.VECTOR, index: true, vectorOptions: vo(TableStore.VectorMetricType.VM_EUCLIDEAN) },
        { fieldName: 'vc', fieldType: TableStore.FieldType.VECTOR, index: true, vectorOptions: vo(TableStore.VectorMetricType.VM_COSINE) },
      ] },
    });
    const scored = async (query, limit = 10) => {
      const r = await c.search({ tableName: V, indexName: 'vec_idx', searchQuery: { offset: 0, limit, query },
        columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } });
      return r.rows.map((row, i) => [toNum(row.primaryKey[0].value), Math.round(r.searchHits[i].score * 1e4) / 1e4]);
    };
    const knn = (fieldName, vec, more = {}) => ({ queryType: QT.KNN_VECTOR_QUERY, query: { fieldName, topK: 2, float32QueryVector: vec, ...more } });
    // Euclidean 1 / (1 + d^2); cosine (1 + cos) / 2; best first; a filter and a weight.
    assert.deepStrictEqual(await scored(knn('v', [0, 0]), 2), [[1, 1], [2, 0.5]]);
    // A full KNN page has a token; the page after the last neighbour is
    // empty and has none (the Python SDK's own search_index_test).
    const none = { returnType: TableStore.ColumnReturnType.RETURN_NONE };
    const kp = await c.search({ tableName: V, indexName: 'vec_idx', searchQuery: { offset: 0, limit: 2, query: knn('v', [0, 0]) }, columnToGet: none });
    assert.ok(kp.nextToken && kp.nextToken.length > 0);
    const kp2 = await c.search({ tableName: V, indexName: 'vec_idx', searchQuery: { token: kp.nextToken, limit: 2, query: knn('v', [0, 0]) }, columnToGet: none });
    assert.deepStrictEqual([kp2.rows.length, kp2.nextToken ? kp2.nextToken.length : 0], [0, 0]);
    // "A topK below the limit becomes the limit" (the service's documentation).
    assert.deepStrictEqual((await scored(knn('v', [0, 0]), 10)).map((x) => x[0]), [1, 2, 3]);
    assert.deepStrictEqual(await scored(knn('vc', [1, 0]), 2), [[2, 1], [3, 0.8]]);
    assert.deepStrictEqual(await scored(knn('v', [0, 0], { weight: 2, filter: { queryType: QT.RANGE_QUERY, query: { fieldName: 'x', rangeFrom: 2, includeLower: true } } }), 2),
      [[2, 1], [3, 0.0769]]);
    await rejects(scored(knn('v', [0, 0, 0]), 2), 400, 'OTSParameterInvalid', 'The query vector has 3 dimensions; field:v has 2');
    const fs = (functions, more = {}) => ({ queryType: QT.FUNCTIONS_SCORE_QUERY, query: {
      query: { queryType: QT.MATCH_ALL_QUERY }, functions, ...more } });
    const R = TableStore.FSMCombineMode;
    // field value factor replaces the score: x, then log1p(2x).
    assert.deepStrictEqual(await scored(fs([{ fieldValueFactorFunction: { fieldName: 'x' } }], { combineMode: R.FCM_REPLACE })),
      [[4, 10], [3, 5], [2, 2], [1, 1]]);
    assert.deepStrictEqual(await scored(fs([{ fieldValueFactorFunction: { fieldName: 'x', factor: 2, modifier: TableStore.FunctionModifier.FM_LOG1P } }], { combineMode: R.FCM_REPLACE })),
      [[4, 1.3222], [3, 1.0414], [2, 0.699], [1, 0.4771]]);
    // linear decay from 0 (scale 5, decay 0.5: zero at 10), min_score, a weighted filtered second function summed.
    const decay = { fieldName: 'x', mathFunction: TableStore.MathFunction.LINEAR, decay: 0.5,
      decayParamType: TableStore.DecayFuncParamType.DF_NUMERIC_PARAM, decayParam: { origin: 0, scale: 5, offset: 0 } };
    assert.deepStrictEqual(await scored(fs([{ decayFunction: decay }], { combineMode: R.FCM_REPLACE, minScore: 0.6 })), [[1, 0.9], [2, 0.8]]);
    assert.deepStrictEqual(await scored(fs([{ decayFunction: decay }, { weight: 3, filter: { queryType: QT.TERM_QUERY, query: { fieldName: 'x', term: 5 } },
      fieldValueFactorFunction: { fieldName: 'x' } }], { combineMode: R.FCM_SUM, scoreMode: TableStore.FSMScoreMode.FSM_SUM })),
    [[3, 16.5], [1, 1.9], [2, 1.8], [4, 1]]);
    await c.deleteSearchIndex({ tableName: V, indexName: 'vec_idx' });
    await c.deleteTable({ tableName: V });
  });

  await t.test('FieldSort nested_filter: sorted on the nested objects the filter keeps', async () => {
    const N = 'nest';
    await c.createTable({
      tableMeta: { tableName: N, primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const objs = { 1: [100, 160], 2: [155, 300], 3: [120] };
    for (const [id, v] of Object.entries(objs)) {
      await c.putRow({ tableName: N, condition: IGNORE(), primaryKey: pk(Number(id)),
        attributeColumns: [{ n: JSON.stringify(v.map((x) => ({ nl: x, tag: x > 150 ? 'hi' : 'lo' }))) }] });
    }
    await c.createSearchIndex({ tableName: N, indexName: 'nest_idx', schema: { fieldSchemas: [{
      fieldName: 'n', fieldType: TableStore.FieldType.NESTED, index: true, fieldSchemas: [
        { fieldName: 'nl', fieldType: TableStore.FieldType.LONG, index: true, enableSortAndAgg: true },
        { fieldName: 'tag', fieldType: TableStore.FieldType.KEYWORD, index: true, enableSortAndAgg: true }] }] } });
    const sorted = async (fieldSort) => ids(await c.search({ tableName: N, indexName: 'nest_idx',
      searchQuery: { offset: 0, limit: 10, query: { queryType: QT.MATCH_ALL_QUERY }, sort: { sorters: [{ fieldSort }] } },
      columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } }));
    const asc = { fieldName: 'n.nl', order: TableStore.SortOrder.SORT_ORDER_ASC };
    assert.deepStrictEqual(await sorted(asc), [1, 3, 2], 'every object: minimum 100, 120, 155');
    const range = { queryType: QT.RANGE_QUERY, query: { fieldName: 'n.nl', rangeFrom: Long.fromNumber(150), rangeTo: Long.fromNumber(200), includeLower: true } };
    assert.deepStrictEqual(await sorted({ ...asc, nestedFilter: { path: 'n', filter: range } }), [2, 1, 3], 'kept: 160, 155, none (last)');
    const tagged = { queryType: QT.BOOL_QUERY, query: { mustQueries: [{ queryType: QT.TERM_QUERY, query: { fieldName: 'n.tag', term: 'lo' } }] } };
    assert.deepStrictEqual(await sorted({ ...asc, order: TableStore.SortOrder.SORT_ORDER_DESC, nestedFilter: { path: 'n', filter: tagged } }), [3, 1, 2]);
    assert.deepStrictEqual(await sorted({ ...asc, nestedFilter: { path: 'n', filter: { queryType: QT.MATCH_QUERY, query: { fieldName: 'n.tag', text: 'lo' } } } }),
      [1, 3, 2], 'a Match filter keeps the lo objects: 100, 120, none');
    await rejects(sorted({ ...asc, nestedFilter: { path: 'n', filter: { queryType: QT.GEO_DISTANCE_QUERY, query: { fieldName: 'n.tag', centerPoint: '1,1', distance: 1 } } } }),
      400, 'OTSParameterInvalid', 'field:n.tag must be a GeoPoint field for a geo query.');
    await rejects(sorted({ ...asc, nestedFilter: { path: 'n', filter: { queryType: QT.KNN_VECTOR_QUERY, query: { fieldName: 'n.tag', topK: Long.fromNumber(1), float32QueryVector: [1] } } } }),
      400, 'OTSParameterInvalid', 'Inside a nested query, a query other than Term, Terms, Range, Exists, Prefix, Wildcard, Match, MatchPhrase, Geo, MatchAll, ConstScore, Bool or Nested is not supported by acsemu');
    await c.deleteSearchIndex({ tableName: N, indexName: 'nest_idx' });
    await c.deleteTable({ tableName: N });
  });

  await t.test('NestedQuery: every clause in one object; inner hits with offsets, scores, sorts, pages, highlight, two levels', async () => {
    const N = 'blocks';
    await c.createTable({
      tableMeta: { tableName: N, primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const docs = {
      1: [{ nl: 100, tag: 'lo', t: 'west lake hangzhou', p: '30.1,120.1', k: [{ u: 'shanghai east', x: 1 }, { u: 'beijing', x: 2 }] },
        { nl: 160, tag: 'hi', t: 'hangzhou hangzhou', p: '31,121', k: [{ u: 'hangzhou', x: 3 }] }],
      2: [{ nl: 155, tag: 'hi', t: 'beijing' }, { nl: 300, tag: 'hi', t: 'shanghai' }],
      3: [{ nl: 120, tag: 'lo', t: 'lake' }, { nl: 130, tag: 'lo', t: 'lake' }, { nl: 140, tag: 'lo', t: 'lake' }, { nl: 150, tag: 'lo', t: 'lake view' }],
    };
    for (const [id, v] of Object.entries(docs)) {
      await c.putRow({ tableName: N, condition: IGNORE(), primaryKey: pk(Number(id)), attributeColumns: [{ n: JSON.stringify(v) }] });
    }
    await c.createSearchIndex({ tableName: N, indexName: 'blocks_idx', schema: { fieldSchemas: [{
      fieldName: 'n', fieldType: TableStore.FieldType.NESTED, index: true, fieldSchemas: [
        { fieldName: 'nl', fieldType: TableStore.FieldType.LONG, index: true, enableSortAndAgg: true },
        { fieldName: 'tag', fieldType: TableStore.FieldType.KEYWORD, index: true, enableSortAndAgg: true },
        { fieldName: 't', fieldType: TableStore.FieldType.TEXT, index: true, enableHighlighting: true },
        { fieldName: 'p', fieldType: TableStore.FieldType.GEO_POINT, index: true },
        { fieldName: 'k', fieldType: TableStore.FieldType.NESTED, index: true, fieldSchemas: [
          { fieldName: 'u', fieldType: TableStore.FieldType.TEXT, index: true, enableHighlighting: true },
          { fieldName: 'x', fieldType: TableStore.FieldType.LONG, index: true, enableSortAndAgg: true }] }] }] } });
    const term = (f, v) => ({ queryType: QT.TERM_QUERY, query: { fieldName: f, term: v } });
    const range = (f, from, to) => ({ queryType: QT.RANGE_QUERY, query: { fieldName: f, rangeFrom: Long.fromNumber(from), rangeTo: Long.fromNumber(to), includeLower: true } });
    const match = (f, text) => ({ queryType: QT.MATCH_QUERY, query: { fieldName: f, text } });
    const bool = (q) => ({ queryType: QT.BOOL_QUERY, query: q });
    const nested = (p, query, more = {}) => ({ queryType: QT.NESTED_QUERY, query: { path: p, query, scoreMode: TableStore.ScoreMode.SCORE_MODE_MAX, ...more } });
    const run = (query) => c.search({ tableName: N, indexName: 'blocks_idx',
      searchQuery: { offset: 0, limit: 10, getTotalCount: true, query },
      columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } });
    const found = async (query) => ids(await run(query));

    // An index with Nested fields has no IndexSort: no next token without a sort.
    const page = await c.search({ tableName: N, indexName: 'blocks_idx', searchQuery: { offset: 0, limit: 1, query: { queryType: QT.MATCH_ALL_QUERY } },
      columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } });
    assert.deepStrictEqual([page.rows.length, page.nextToken ? page.nextToken.length : 0], [1, 0]);
    const sortedPage = await c.search({ tableName: N, indexName: 'blocks_idx', searchQuery: { offset: 0, limit: 1, query: { queryType: QT.MATCH_ALL_QUERY },
      sort: { sorters: [{ primaryKeySort: { order: TableStore.SortOrder.SORT_ORDER_ASC } }] } }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } });
    assert.ok(sortedPage.nextToken && sortedPage.nextToken.length > 0, 'with a sort it pages');
    const dn = await c.describeSearchIndex({ tableName: N, indexName: 'blocks_idx' });
    assert.deepStrictEqual(dn.schema.indexSort.sorter, []);
    // Block join: tag lo and nl >= 150 hold in no single object of doc 1 (100 lo, 160 hi).
    assert.deepStrictEqual(await found(nested('n', bool({ mustQueries: [term('n.tag', 'lo'), range('n.nl', 150, 1000)] }))), [3]);
    assert.deepStrictEqual(await found(nested('n', bool({ mustQueries: [term('n.tag', 'hi'), range('n.nl', 0, 200)] }))), [1, 2]);
    // Geo per object: doc 1's lo object is in Hangzhou, its hi object 150 km away.
    const near = { queryType: QT.GEO_DISTANCE_QUERY, query: { fieldName: 'n.p', centerPoint: '30.1,120.1', distance: 20000 } };
    assert.deepStrictEqual(await found(nested('n', bool({ mustQueries: [term('n.tag', 'lo'), near] }))), [1]);
    assert.deepStrictEqual(await found(nested('n', bool({ mustQueries: [term('n.tag', 'hi'), near] }))), []);
    const box = { queryType: QT.GEO_BOUNDING_BOX_QUERY, query: { fieldName: 'n.p', topLeft: '31.5,120.5', bottomRight: '30.5,121.5' } };
    assert.deepStrictEqual(await found(nested('n', bool({ mustQueries: [term('n.tag', 'hi'), box] }))), [1]);
    // must_not per object: an object that is not hi (docs 1 and 3), not "no object is hi".
    assert.deepStrictEqual(await found(nested('n', bool({ mustNotQueries: [term('n.tag', 'hi')] }))), [1, 3]);
    // A deeper level through its own NestedQuery, one object at a time as well.
    assert.deepStrictEqual(await found(nested('n', nested('n.k', bool({ mustQueries: [match('n.k.u', 'shanghai'), range('n.k.x', 1, 2)] })))), [1]);
    assert.deepStrictEqual(await found(nested('n', nested('n.k', bool({ mustQueries: [match('n.k.u', 'shanghai'), range('n.k.x', 2, 9)] })))), []);
    // A field of another level needs its own NestedQuery.
    await rejects(run(nested('n', match('n.k.u', 'shanghai'))), 400, 'OTSParameterInvalid',
      'field:n.k.u must be a field of the objects of nested path:n.');

    // Inner hits: the matching objects, best first then in array order, 3 unless limit says.
    const lake = (ih) => run(nested('n', match('n.t', 'lake view'), { innerHits: ih }));
    const inner = (res, i = 0) => res.searchHits[i].searchInnerHits.get('n').subSearchHits;
    let r = await lake({});
    assert.deepStrictEqual(ids(r), [1, 3]);
    assert.deepStrictEqual(inner(r, 0).map((h) => [h.nestedDocOffset || 0, h.score]), [[0, 1]]);
    assert.deepStrictEqual(inner(r, 1).map((h) => [h.nestedDocOffset || 0, h.score]), [[3, 2], [0, 1], [1, 1]]);
    assert.strictEqual(r.searchHits[1].score, 2, 'SCORE_MODE_MAX');
    r = await lake({ offset: 1, limit: 10, sort: { sorters: [{ docSort: { order: TableStore.SortOrder.SORT_ORDER_DESC } }] } });
    assert.deepStrictEqual(inner(r, 1).map((h) => h.nestedDocOffset || 0), [2, 1, 0]);
    r = await lake({ sort: { sorters: [{ fieldSort: { fieldName: 'n.nl', order: TableStore.SortOrder.SORT_ORDER_DESC } }] },
      highlight: { highlightParameters: [{ fieldName: 'n.t', preTag: '[', postTag: ']' }] } });
    assert.deepStrictEqual(inner(r, 1).map((h) => [h.nestedDocOffset, h.highlightResultItem.highlightFields.get('n.t').fragments]),
      [[3, ['[lake] [view]']], [2, ['[lake]']], [1, ['[lake]']]]);
    // Two levels: each object's own inner hits of the deeper NestedQuery.
    r = await run(nested('n', nested('n.k', match('n.k.u', 'hangzhou shanghai'), { innerHits: {} }), { innerHits: { sort: { sorters: [{ docSort: {} }] } } }));
    assert.deepStrictEqual(ids(r), [1]);
    assert.deepStrictEqual(inner(r).map((h) => [h.nestedDocOffset || 0,
      h.searchInnerHits.get('n.k').subSearchHits.map((k) => [k.nestedDocOffset || 0, k.score])]), [[0, [[0, 1]]], [1, [[0, 1]]]]);
    await rejects(lake({ sort: { sorters: [{ pkSort: {} }] } }), 400, 'OTSParameterInvalid',
      'An inner_hits sorter other than ScoreSort, DocSort or FieldSort is not supported by acsemu');
    await rejects(lake({ highlight: { highlightParameters: [{ fieldName: 'n.k.u' }] } }), 400, 'OTSParameterInvalid',
      'Highlight field:n.k.u must be a field of the objects of nested path:n.');
    await c.deleteSearchIndex({ tableName: N, indexName: 'blocks_idx' });
    await c.deleteTable({ tableName: N });
  });

  await t.test('highlight: fragments around the matched tokens, tags, size, count and order', async () => {
    const H = 'hl';
    await c.createTable({
      tableMeta: { tableName: H, primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const docs = {
      1: 'Hangzhou is a city. The lake of Hangzhou is west of the town, and Shanghai is east of Hangzhou.',
      2: 'Beijing <capital> & Shanghai',
      3: 'nothing here',
    };
    for (const [id, body] of Object.entries(docs)) {
      await c.putRow({ tableName: H, condition: IGNORE(), primaryKey: pk(Number(id)), attributeColumns: [{ body }, { plain: body }] });
    }
    await c.createSearchIndex({ tableName: H, indexName: 'hl_idx', schema: { fieldSchemas: [
      { fieldName: 'body', fieldType: TableStore.FieldType.TEXT, index: true, enableHighlighting: true },
      { fieldName: 'plain', fieldType: TableStore.FieldType.TEXT, index: true }] } });
    const match = (text) => ({ queryType: QT.MATCH_QUERY, query: { fieldName: 'body', text } });
    const hl = async (query, params, encoder) => {
      const r = await c.search({ tableName: H, indexName: 'hl_idx', searchQuery: { offset: 0, limit: 10, query,
        highlight: { highlightEncoder: encoder, highlightParameters: params } },
      columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } });
      return r.searchHits.map((h, i) => [toNum(r.rows[i].primaryKey[0].value),
        h.highlightResultItem ? Object.fromEntries([...h.highlightResultItem.highlightFields].map(([k, v]) => [k, v.fragments])) : null]);
    };
    // Defaults: <em></em>, fragments of 100 characters (the whole sentence here).
    assert.deepStrictEqual(await hl(match('shanghai'), [{ fieldName: 'body' }]), [
      [1, { body: ['Hangzhou is a city. The lake of Hangzhou is west of the town, and <em>Shanghai</em> is east of Hangzhou'] }],
      [2, { body: ['Beijing <capital> & <em>Shanghai</em>'] }]]);
    // About 20 characters around each match (whole words), the best 3 in text order, or the best 2 best first;
    // the Bool's should parts count.
    const q2 = { queryType: QT.BOOL_QUERY, query: { shouldQueries: [match('hangzhou'), match('shanghai east')], minimumShouldMatch: 1 } };
    const p = { fieldName: 'body', preTag: '<b>', postTag: '</b>', fragmentSize: 20 };
    assert.deepStrictEqual(await hl(q2, [{ ...p, numberOfFragments: 3 }]), [
      [1, { body: ['<b>Hangzhou</b> is a city', 'of <b>Hangzhou</b> is west', 'and <b>Shanghai</b> is <b>east</b>'] }],
      [2, { body: ['capital> & <b>Shanghai</b>'] }]]);
    assert.deepStrictEqual((await hl(q2, [{ ...p, numberOfFragments: 2, fragmentsOrder: TableStore.HighlightFragmentOrder.SCORE }]))[0],
      [1, { body: ['and <b>Shanghai</b> is <b>east</b>', '<b>Hangzhou</b> is a city'] }]);
    // number_of_fragments 0: the whole value; HTML_MODE escapes the text, not the tags.
    assert.deepStrictEqual((await hl(match('shanghai'), [{ fieldName: 'body', numberOfFragments: 0 }], TableStore.HighlightEncoder.HTML_MODE))[1],
      [2, { body: ['Beijing &lt;capital&gt; &amp; <em>Shanghai</em>'] }]);
    // A match on another field highlights nothing in this one.
    assert.deepStrictEqual(await hl({ queryType: QT.MATCH_QUERY, query: { fieldName: 'plain', text: 'nothing' } }, [{ fieldName: 'body' }]),
      [[3, { }]]);
    await rejects(hl(match('x'), [{ fieldName: 'plain' }]), 400, 'OTSParameterInvalid', 'Highlight field:plain must be a Text field with enable_highlighting');
    await rejects(hl(match('x'), [{ fieldName: 'body', fragmentSize: 0 }]), 400, 'OTSParameterInvalid', 'fragment_size must be in [1, 10000]');
    await rejects(hl(match('x'), [{ fieldName: 'body', numberOfFragments: 101 }]), 400, 'OTSParameterInvalid', 'number_of_fragments must be in [0, 100]');
    // World files keep enable_highlighting.
    const world = (await emu.json('GET', '/_emu/world')).body;
    const hj = world.Accounts[0].Tablestore.Instances[0].Tables.find((x) => x.TableName === H);
    assert.deepStrictEqual(hj.SearchIndexes[0].FieldSchemas[0],
      { FieldName: 'body', FieldType: 'TEXT', Index: true, EnableHighlighting: true });
    await reloaded(emu, world, async (emu2) => {
      const c2 = new TableStore.Client({ ...env, endpoint: emu2.base, maxRetries: 0 });
      const r = await c2.search({ tableName: H, indexName: 'hl_idx', searchQuery: { offset: 0, limit: 10, query: match('capital'),
        highlight: { highlightParameters: [{ fieldName: 'body' }] } }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } });
      assert.deepStrictEqual(r.searchHits[0].highlightResultItem.highlightFields.get('body').fragments, ['Beijing <<em>capital</em>> & Shanghai']);
    });
    await c.deleteSearchIndex({ tableName: H, indexName: 'hl_idx' });
    await c.deleteTable({ tableName: H });
  });

  await t.test('the index follows every write, and a checkpoint restore gives it back', async () => {
    const fruit = () => hits({ queryType: QT.TERM_QUERY, query: { fieldName: 'kind', term: 'fruit' } });
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/search')).status, 200);
    await c.updateRow({ tableName: T, condition: IGNORE(), primaryKey: pk(1), updateOfAttributeColumns: [{ PUT: [{ kind: 'veg' }] }] });
    await c.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: pk(3) });
    await c.batchWriteRow({ tables: [{ tableName: T, rows: [
      { type: 'PUT', condition: IGNORE(), primaryKey: pk(6), attributeColumns: [{ kind: 'fruit' }] },
      { type: 'UPDATE', condition: IGNORE(), primaryKey: pk(5), attributeColumns: [{ DELETE_ALL: ['kind'] }] },
    ] }] });
    assert.deepStrictEqual(await fruit(), [6]);
    assert.deepStrictEqual(await hits({ queryType: QT.TERM_QUERY, query: { fieldName: 'kind', term: 'veg' } }), [1]);
    assert.strictEqual((await emu.json('POST', '/_emu/checkpoints/search/restore')).status, 200);
    assert.deepStrictEqual(await fruit(), [1, 3, 5]);
    await c.putRow({ tableName: T, condition: IGNORE(), primaryKey: pk(7), attributeColumns: [{ kind: 'fruit' }] });
    assert.deepStrictEqual(await fruit(), [1, 3, 5, 7], 'the restored index follows writes again');
    const d = await c.describeSearchIndex({ tableName: T, indexName: 'shop_idx' });
    assert.strictEqual(d.indexStatus.status, TableStore.IndexStatus.RUNNING);
    assert.strictEqual(d.syncStat.syncPhase, 2, 'INCR: in step with every write');
    assert.strictEqual(d.schema.fieldSchemas.length, 8);
    // No IndexSort given: the service names its default, the primary key ascending.
    assert.deepStrictEqual(d.schema.indexSort.sorter.map((x) => Boolean(x.pkSort)), [true]);
  });

  await t.test('world files keep search indexes; a --data-dir restart keeps index and postings', async () => {
    const world = (await emu.json('GET', '/_emu/world')).body;
    const tj = world.Accounts[0].Tablestore.Instances[0].Tables.find((x) => x.TableName === T);
    assert.deepStrictEqual(tj.SearchIndexes.map((x) => x.IndexName), ['shop_idx']);
    assert.deepStrictEqual(tj.SearchIndexes[0].FieldSchemas.find((f) => f.FieldName === 'day'),
      { FieldName: 'day', FieldType: 'DATE', Index: true, EnableSortAndAgg: true, DateFormats: ['yyyy-MM-dd HH:mm:ss'] });
    await reloaded(emu, world, async (emu2) => {
      const c2 = new TableStore.Client({ ...env, endpoint: emu2.base, maxRetries: 0 });
      const r = await c2.search({ tableName: T, indexName: 'shop_idx', searchQuery: { offset: 0, limit: 10, query: { queryType: QT.TERM_QUERY, query: { fieldName: 'kind', term: 'fruit' } } }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } });
      assert.deepStrictEqual(ids(r), [1, 3, 5, 7], 'built from the rows of the world file');
    });
    const dir = path.join(tmpdir(), 'search-data');
    let e3 = await start({ world: WORLD, args: ['--data-dir', dir] });
    let c3 = new TableStore.Client({ ...env, endpoint: e3.base, maxRetries: 0 });
    await c3.createTable({
      tableMeta: { tableName: 'kept', primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    await c3.putRow({ tableName: 'kept', condition: IGNORE(), primaryKey: pk(1), attributeColumns: [{ k: 'before' }] });
    await c3.createSearchIndex({ tableName: 'kept', indexName: 'kept_idx', schema: { fieldSchemas: [{ fieldName: 'k', fieldType: TableStore.FieldType.KEYWORD }] } });
    await c3.putRow({ tableName: 'kept', condition: IGNORE(), primaryKey: pk(2), attributeColumns: [{ k: 'after' }] });
    const dead = new Promise((resolve) => e3.child.once('exit', resolve));
    e3.child.kill('SIGKILL');
    await dead;
    e3 = await start({ world: WORLD, args: ['--data-dir', dir] });
    c3 = new TableStore.Client({ ...env, endpoint: e3.base, maxRetries: 0 });
    const kept = async (k) => ids(await c3.search({ tableName: 'kept', indexName: 'kept_idx', searchQuery: { offset: 0, limit: 10, query: { queryType: QT.TERM_QUERY, query: { fieldName: 'k', term: k } } }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } }));
    assert.deepStrictEqual([await kept('before'), await kept('after')], [[1], [2]]);
    await c3.putRow({ tableName: 'kept', condition: IGNORE(), primaryKey: pk(3), attributeColumns: [{ k: 'later' }] });
    assert.deepStrictEqual(await kept('later'), [3], 'and follows writes after the restart');
    await e3.stop();
  });

  await t.test('authorized per operation, the service\'s errors, DeleteTable takes the indexes', async () => {
    const ro = new TableStore.Client({ ...env, accessKeyId: 'LTAIemuOtsReaderA12345', secretAccessKey: 'emu-secret-ots-reader', maxRetries: 0 });
    assert.deepStrictEqual(ids(await ro.search({
      tableName: T, indexName: 'shop_idx', searchQuery: { offset: 0, limit: 10, query: { queryType: QT.TERM_QUERY, query: { fieldName: 'kind', term: 'cake' } } },
      columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
    })), [2]);
    const schema = { fieldSchemas: [{ fieldName: 'kind', fieldType: TableStore.FieldType.KEYWORD }] };
    await rejects(ro.createSearchIndex({ tableName: T, indexName: 'i2', schema }), 403, 'OTSNoPermissionAccess');
    await rejects(ro.deleteSearchIndex({ tableName: T, indexName: 'shop_idx' }), 403, 'OTSNoPermissionAccess');
    await rejects(c.createSearchIndex({ tableName: T, indexName: 'shop_idx', schema }), 409, 'OTSObjectAlreadyExist');
    await rejects(c.describeSearchIndex({ tableName: T, indexName: 'nosuch' }), 404, 'OTSObjectNotExist');
    await rejects(c.createSearchIndex({ tableName: 'nosuch', indexName: 'i3', schema }), 404, 'OTSObjectNotExist');
    await rejects(c.createSearchIndex({ tableName: T, indexName: 'i3', schema: { fieldSchemas: [{ fieldName: 'd', fieldType: TableStore.FieldType.DATE }] } }),
      400, 'OTSParameterInvalid', 'date_formats');
    await rejects(search({ queryType: QT.TERM_QUERY, query: { fieldName: 'nosuch', term: 'x' } }), 400, 'OTSParameterInvalid', 'nosuch');
    await rejects(search({ queryType: QT.KNN_VECTOR_QUERY, query: { fieldName: 'kind', topK: 1, float32QueryVector: [1] } }),
      400, 'OTSParameterInvalid', 'KnnVectorQuery needs a Vector field');
    await c.createSearchIndex({ tableName: T, indexName: 'i2', schema });
    assert.deepStrictEqual((await c.listSearchIndex({ tableName: T })).indices.map((i) => i.indexName), ['shop_idx', 'i2']);
    await c.deleteSearchIndex({ tableName: T, indexName: 'i2' });
    assert.deepStrictEqual((await c.listSearchIndex({ tableName: T })).indices.map((i) => i.indexName), ['shop_idx']);
    await c.deleteTable({ tableName: T });
    await c.createTable({
      tableMeta: { tableName: T, primaryKey: [{ name: 'id', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    assert.deepStrictEqual((await c.listSearchIndex({ tableName: T })).indices, [], 'the indexes went with their table');
  });
});
