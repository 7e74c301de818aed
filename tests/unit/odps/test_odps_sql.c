/* The MaxCompute SQL subset (odps_sql.c), external-table validation
 * (odps_table.c), the client PlainBuffer codec (odps_pbuf.c) and the XML
 * bodies (odps_xml.c), without a server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "odps_int.h"

static const char SEED_DDL[] =
    "CREATE EXTERNAL TABLE ads_log_ots_pt_external\n(\nvid bigint,\ngt bigint,\nlongitude double,\n"
    "latitude double,\ndistance double ,\nspeed double,\noil_consumption double\n)\n"
    "STORED BY 'com.aliyun.odps.TableStoreStorageHandler'\nWITH SERDEPROPERTIES (\n"
    "'tablestore.columns.mapping'=':vid, :gt, longitude, latitude, distance, speed, "
    "oil_consumption',\n'tablestore.table.name'='vehicle_track',\n"
    "'odps.properties.rolearn'='acs:ram::12345:role/aliyunodpsroleforotheruser'\n)\n"
    "LOCATION 'tablestore://cap1.cn-hangzhou.ots-internal.aliyuncs.com'\n"
    "USING 'odps-udf-example.jar'\n            ";

static int setup(void **state)
{
    *state = emu_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    emu_arena_free(*state);
    return 0;
}

static emu_rc parse(void **state, const char *sql, odps_script *s, emu_err *err)
{
    memset(err, 0, sizeof *err);
    return odps_sql_parse(sql, strlen(sql), *state, s, err);
}

/* Parses, expects failure, and checks the message contains `want`. */
static void parse_fails(void **state, const char *sql, const char *want)
{
    odps_script s;
    emu_err err;
    assert_int_not_equal(parse(state, sql, &s, &err), EMU_OK);
    if (!strstr(err.msg, want))
        fail_msg("%s\n  gave: %s\n  want: %s", sql, err.msg, want);
}

static void seed_ddl(void **state)
{
    odps_script s;
    emu_err err;
    assert_int_equal(parse(state, SEED_DDL, &s, &err), EMU_OK);
    assert_int_equal(s.stmt.kind, ODPS_STMT_CREATE);
    const odps_create *c = &s.stmt.create;
    assert_string_equal(c->name, "ads_log_ots_pt_external");
    assert_int_equal(c->n_cols, 7);
    assert_string_equal(c->cols[4].name, "distance");
    assert_int_equal(c->cols[6].type, ODPS_T_DOUBLE);
    assert_int_equal(c->n_serde, 3);
    assert_string_equal(c->using_res, "odps-udf-example.jar");
    assert_true(strncmp(s.stmt.text, "CREATE EXTERNAL TABLE ads_log", 29) == 0);
    assert_true(s.stmt.text[strlen(s.stmt.text) - 1] == '\'');

    odps_table_def t;
    assert_int_equal(odps_table_validate(c, *state, &t, &err), EMU_OK);
    assert_string_equal(t.ots_table, "vehicle_track");
    assert_string_equal(t.instance, "cap1");
    assert_string_equal(t.region, "cn-hangzhou");
    assert_string_equal(t.host, "cap1.cn-hangzhou.ots-internal.aliyuncs.com");
    assert_string_equal(t.role_arn, "acs:ram::12345:role/aliyunodpsroleforotheruser");
    assert_true(t.ots_pk[0] && t.ots_pk[1] && !t.ots_pk[2]);
    assert_string_equal(t.ots_cols[6], "oil_consumption");
    assert_null(t.ak_id);
    /* Round trip through the stored text. */
    assert_int_equal(odps_table_from_ddl(s.stmt.text, *state, &t, &err), EMU_OK);
}

static void locations(void **state)
{
    static const struct {
        const char *loc;
        const char *instance, *ak;
    } ok[] = {
        {"tablestore://cap1.cn-hangzhou.ots-internal.aliyuncs.com/", "cap1", NULL},
        {"tablestore://cap1.cn-hangzhou.ots.aliyuncs.com", "cap1", NULL},
        {"tablestore://cap1.cn-hangzhou.vpc.tablestore.aliyuncs.com", "cap1", NULL},
        {"tablestore://Cap1.cn-hangzhou.tablestore.aliyuncs.com", "cap1", NULL},
        {"tablestore://AK1:SK:x@cap1.cn-hangzhou.ots-internal.aliyuncs.com", "cap1", "AK1"},
        {"tablestore://AK1:SK@cap1. cn-hangzhou.ots-internal.aliyuncs.com", "cap1", "AK1"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "create external table t (a bigint) stored by "
                 "'com.aliyun.odps.TableStoreStorageHandler' with serdeproperties "
                 "('tablestore.columns.mapping'=':a', 'tablestore.table.name'='x') location '%s'",
                 ok[i].loc);
        odps_script s;
        emu_err err;
        odps_table_def t;
        assert_int_equal(parse(state, sql, &s, &err), EMU_OK);
        if (odps_table_validate(&s.stmt.create, *state, &t, &err) != EMU_OK)
            fail_msg("%s: %s", ok[i].loc, err.msg);
        assert_string_equal(t.instance, ok[i].instance);
        if (ok[i].ak)
            assert_string_equal(t.ak_id, ok[i].ak);
    }
    static const char *const bad[] = {"oss://x.cn-hangzhou.ots.aliyuncs.com",
                                      "tablestore://cap1.example.com", "tablestore://cap1",
                                      "tablestore://:sk@cap1.cn-hangzhou.ots.aliyuncs.com",
                                      "tablestore://cap1.cn-hangzhou.ots.aliyuncs.com:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "create external table t (a bigint) stored by "
                 "'com.aliyun.odps.TableStoreStorageHandler' with serdeproperties "
                 "('tablestore.columns.mapping'=':a', 'tablestore.table.name'='x') location '%s'",
                 bad[i]);
        odps_script s;
        emu_err err;
        odps_table_def t;
        assert_int_equal(parse(state, sql, &s, &err), EMU_OK);
        assert_int_equal(odps_table_validate(&s.stmt.create, *state, &t, &err), EMU_E_INVALID);
        assert_non_null(strstr(err.msg, "ODPS-0130071"));
    }
}

static void mapping_rules(void **state)
{
    static const struct {
        const char *cols, *mapping, *want;
    } cases[] = {
        {"a bigint, b double", ":a", "has 1 entries but the table has 2 columns"},
        {"a bigint", ":a, b", "more entries than the table's 1 columns"},
        {"a bigint, b double", "a, b", "names no primary-key column"},
        {"a double, b double", ":a, b", "column a is mapped to Tablestore primary-key column 'a'"},
        {"a bigint, b double", ":a, :a", "mapped twice"},
        {"a bigint, b bigint, c bigint, d bigint, e bigint", ":a, :b, :c, :d, :e",
         "more than 4 primary-key columns"},
        {"a bigint, b double", ":a, 1b", "is not a Tablestore column name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "create external table t (%s) stored by "
                 "'com.aliyun.odps.TableStoreStorageHandler' with serdeproperties "
                 "('tablestore.columns.mapping'='%s', 'tablestore.table.name'='x') location "
                 "'tablestore://i.cn-hangzhou.ots.aliyuncs.com'",
                 cases[i].cols, cases[i].mapping);
        odps_script s;
        emu_err err;
        odps_table_def t;
        assert_int_equal(parse(state, sql, &s, &err), EMU_OK);
        assert_int_equal(odps_table_validate(&s.stmt.create, *state, &t, &err), EMU_E_INVALID);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("%s / %s\n  gave: %s\n  want: %s", cases[i].cols, cases[i].mapping, err.msg,
                     cases[i].want);
    }
    odps_script s;
    emu_err err;
    odps_table_def t;
    /* Missing properties and other handlers. */
    assert_int_equal(parse(state,
                           "create external table t (a bigint) stored by 'x.Handler' location "
                           "'tablestore://i.cn-hangzhou.ots.aliyuncs.com'",
                           &s, &err),
                     EMU_OK);
    assert_int_equal(odps_table_validate(&s.stmt.create, *state, &t, &err), EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "storage handler 'x.Handler' is not supported"));
    assert_int_equal(parse(state,
                           "create external table t (a bigint) stored by "
                           "'com.aliyun.odps.TableStoreStorageHandler' location "
                           "'tablestore://i.cn-hangzhou.ots.aliyuncs.com'",
                           &s, &err),
                     EMU_OK);
    assert_int_equal(odps_table_validate(&s.stmt.create, *state, &t, &err), EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "must give 'tablestore.columns.mapping'"));
}

static void select_forms(void **state)
{
    odps_script s;
    emu_err err;
    assert_int_equal(parse(state,
                           "set odps.sql.type.system.odps2=true;\nSET a.b = c d ;\n"
                           "-- a comment\nSELECT vid, count(*) AS n, avg(speed) s2 FROM "
                           "b_project.T1 WHERE vid = 7 and (gt >= -3.5e2 or not speed is null) "
                           "GROUP BY vid ORDER BY n DESC, vid LIMIT 10;;",
                           &s, &err),
                     EMU_OK);
    assert_int_equal(s.n_sets, 2);
    assert_string_equal(s.sets[0].key, "odps.sql.type.system.odps2");
    assert_string_equal(s.sets[1].value, "c d");
    const odps_select *q = &s.stmt.select;
    assert_int_equal(s.stmt.kind, ODPS_STMT_SELECT);
    assert_int_equal(q->n_items, 3);
    assert_string_equal(q->items[1].alias, "n");
    assert_string_equal(q->items[2].alias, "s2");
    assert_int_equal(q->items[1].e->kind, ODPS_X_AGG);
    assert_null(q->items[1].e->l);
    assert_string_equal(q->project, "b_project");
    assert_string_equal(q->table, "t1");
    assert_int_equal(q->where->kind, ODPS_X_AND);
    assert_int_equal(q->where->r->kind, ODPS_X_OR);
    assert_int_equal(q->where->r->l->r->lit.type, ODPS_T_DOUBLE);
    assert_true(q->where->r->l->r->lit.d == -350.0);
    assert_int_equal(q->where->r->r->kind, ODPS_X_NOT);
    assert_int_equal(q->n_group, 1);
    assert_int_equal(q->n_order, 2);
    assert_true(q->order[0].desc);
    assert_true(q->has_limit);
    assert_int_equal(q->limit, 10);

    assert_int_equal(parse(state, "select * from t", &s, &err), EMU_OK);
    assert_null(s.stmt.select.items[0].e);
    assert_int_equal(parse(state, "select `select` from t where a <> 'x''' ", &s, &err),
                     EMU_E_INVALID); /* '' is not an escape: an extra string */
    assert_int_equal(parse(state, "select `select` from t where a <> 'it\\'s'", &s, &err), EMU_OK);
    assert_string_equal(s.stmt.select.items[0].e->name, "select");
    assert_string_equal(s.stmt.select.where->r->lit.s, "it's");
    assert_int_equal(parse(state, "SHOW TABLES;", &s, &err), EMU_OK);
    assert_int_equal(s.stmt.kind, ODPS_STMT_SHOW_TABLES);
    assert_int_equal(parse(state, "describe extended p.t", &s, &err), EMU_OK);
    assert_int_equal(s.stmt.kind, ODPS_STMT_DESC);
    assert_string_equal(s.stmt.project, "p");
    assert_string_equal(s.stmt.name, "t");
    assert_int_equal(parse(state, "drop table if exists T", &s, &err), EMU_OK);
    assert_true(s.stmt.if_exists);
    assert_string_equal(s.stmt.name, "t");
    assert_int_equal(parse(state, "drop table t", &s, &err), EMU_OK);
    assert_false(s.stmt.if_exists);
    assert_int_equal(parse(state, "set x=1;", &s, &err), EMU_OK);
    assert_int_equal(s.stmt.kind, ODPS_STMT_NONE);
    assert_int_equal(parse(state, "  /* c */ ", &s, &err), EMU_OK);
}

static void insert_forms(void **state)
{
    odps_script s;
    emu_err err;
    assert_int_equal(
        parse(state, "INSERT OVERWRITE TABLE p.T SELECT a, b FROM u WHERE a > 1", &s, &err),
        EMU_OK);
    const odps_insert *in = &s.stmt.insert;
    assert_int_equal(s.stmt.kind, ODPS_STMT_INSERT);
    assert_true(in->overwrite);
    assert_string_equal(in->project, "p");
    assert_string_equal(in->table, "t");
    assert_int_equal(in->n_cols, 0);
    assert_true(in->has_query);
    assert_string_equal(in->query.table, "u");
    assert_int_equal(in->query.n_items, 2);

    assert_int_equal(parse(state, "insert into t (B, a) values (1, 'x'), (-2.5, null);", &s, &err),
                     EMU_OK);
    in = &s.stmt.insert;
    assert_false(in->overwrite);
    assert_null(in->project);
    assert_int_equal(in->n_cols, 2);
    assert_string_equal(in->cols[0], "b");
    assert_int_equal(in->col_col[1], 19);
    assert_false(in->has_query);
    assert_int_equal(in->n_rows, 2);
    assert_int_equal(in->n_vals, 2);
    assert_int_equal(in->values[1]->lit.type, ODPS_T_STRING);
    assert_true(in->values[2]->lit.d == -2.5);
    assert_int_equal(in->values[3]->lit.type, ODPS_T_NULL);

    /* A long VALUES list (the arena grows by doubling, not per value). */
    char q[64 * 1024];
    size_t n = (size_t)snprintf(q, sizeof q, "insert into t values (0, 0)");
    for (int i = 1; i < 3000; i++)
        n += (size_t)snprintf(q + n, sizeof q - n, ", (%d, %d)", i, -i);
    assert_int_equal(parse(state, q, &s, &err), EMU_OK);
    assert_int_equal(s.stmt.insert.n_rows, 3000);
    assert_int_equal(s.stmt.insert.values[2 * 2999 + 1]->lit.i, -2999);
}

static void unsupported(void **state)
{
    parse_fails(state, "select a from t join u",
                "[1,23] Parse exception - mismatched input <EOF> expecting ON");
    parse_fails(state, "select a from t right join u on t.a = u.a",
                "[1,17] Parse exception - right JOIN is not supported");
    parse_fails(state, "select a from t full outer join u on a = b", "full JOIN is not supported");
    parse_fails(state, "select a from t left semi join u on a = b",
                "LEFT semi JOIN is not supported");
    parse_fails(state, "select a from t, u", "selecting from several tables with ','");
    parse_fails(state, "select a from t\nunion select b from u",
                "[2,7] Parse exception - UNION without ALL");
    parse_fails(state, "select a from (select 1 from t)", "a subquery in FROM needs an alias");
    parse_fails(state, "select a from t where a in (select b from u)", "IN with a subquery");
    parse_fails(state, "select (select 1 from t) from t", "a subquery in an expression");
    parse_fails(state, "select a from t where a rlike 'x'", "the RLIKE predicate");
    parse_fails(state, "select row_number() over (order by a) from t", "a window function (OVER)");
    parse_fails(state, "select cast(a as decimal) from t", "CAST to decimal");
    parse_fails(state, "select t.* from t", "alias.* in the select list");
    parse_fails(state, "insert into t values (a)",
                "an expression other than a literal in VALUES is not supported");
    parse_fails(state, "insert into t partition (ds='1') select a from u", "PARTITION");
    parse_fails(state, "insert t values (1)", "[1,8] Parse exception");
    parse_fails(state, "update t set a = 1", "the update statement is not supported");
    parse_fails(state, "create table t (a bigint)", "CREATE TABLE (only CREATE EXTERNAL TABLE");
    parse_fails(state, "create view v as select 1", "CREATE view is not supported");
    parse_fails(state, "drop view v", "DROP view is not supported");
    parse_fails(state, "show partitions t", "SHOW partitions is not supported");
    parse_fails(state, "select a from t limit 1, 2", "LIMIT with an offset");
    parse_fails(state, "select a from t sort by a", "sort BY is not supported");
    parse_fails(state, "create external table t (a decimal) stored by 'x' location 'y'",
                "ODPS-0130071:[1,28] Semantic analysis exception - column type decimal");
    parse_fails(state, "create external table t (a array<bigint>) stored by 'x' location 'y'",
                "column type array");
    parse_fails(state,
                "create external table t (a bigint) partitioned by (p string) stored by 'x' "
                "location 'y'",
                "PARTITIONED BY");
}

static void syntax_errors(void **state)
{
    parse_fails(state, "select from t",
                "[1,8] Parse exception - mismatched input 'from' expecting "
                "an expression");
    parse_fails(state, "select a from", "mismatched input <EOF> expecting an identifier");
    parse_fails(state, "select a from t; select b from t",
                "[1,18] Parse exception - acsemu runs one statement per SQL task");
    parse_fails(state, "select a from t where", "expecting an expression");
    parse_fails(state, "select 'abc from t", "unterminated string literal");
    parse_fails(state, "select a from t /* x", "unterminated comment");
    parse_fails(state, "select 12ab from t", "malformed number");
    parse_fails(state, "select a from t where a = 99999999999999999999", "out of BIGINT range");
    parse_fails(state, "select a from t where a = 1 a", "extraneous input 'a' expecting <EOF>");
    parse_fails(state, "select a from t @", "unexpected character '@'");
    parse_fails(state, "set novalue;", "SET needs key=value");
    /* §5.1: a missing comma between two SERDEPROPERTIES entries is refused. */
    parse_fails(state,
                "create external table t (a bigint) stored by 'h' with serdeproperties ('a'='b' "
                "'c'='d') location 'l'",
                "mismatched input ''c'' expecting ')'");
    parse_fails(state, "create external table t (a bigint, A string) stored by 'h' location 'l'",
                "column a is defined twice");
    parse_fails(state, "select count(*), sum(*) from t", "'*' is only allowed in count(*)");
    /* Depth cap. */
    char deep[4096];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "select a from t where ");
    for (int i = 0; i < 200; i++)
        deep[n++] = '(';
    deep[n] = '\0';
    parse_fails(state, deep, "expression too deep");
    char nots[4096];
    n = (size_t)snprintf(nots, sizeof nots, "select a from t where ");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(nots + n, sizeof nots - n, "not ");
    parse_fails(state, nots, "expression too deep");
    /* Positions count lines. */
    parse_fails(state, "select a\n  from t\n where b = = 1", "[3,12]");
}

static void pbuf_roundtrip(void **state)
{
    odps_pcell pk[3] = {
        {.name = "vid", .name_len = 3, .vtype = 0, .i = -7},
        {.name = "s", .name_len = 1, .vtype = 3, .s = "abc", .len = 3},
        {.name = "gt", .name_len = 2, .vtype = 9},
    };
    size_t len;
    uint8_t *b = odps_pbuf_encode_pk(pk, 3, *state, &len);
    odps_prow *rows;
    size_t n;
    emu_err err = {0};
    assert_int_equal(odps_pbuf_decode_rows(b, len, *state, &rows, &n, &err), EMU_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].n_pk, 3);
    assert_int_equal(rows[0].pk[0].i, -7);
    assert_int_equal(rows[0].pk[1].len, 3);
    assert_memory_equal(rows[0].pk[1].s, "abc", 3);
    assert_int_equal(rows[0].pk[2].vtype, 9);
    /* Every flipped byte is caught (CRC or structure). */
    for (size_t i = 4; i < len; i++) {
        uint8_t copy[256];
        memcpy(copy, b, len);
        copy[i] ^= 0x01;
        emu_err e = {0};
        emu_rc rc = odps_pbuf_decode_rows(copy, len, *state, &rows, &n, &e);
        if (rc == EMU_OK)
            fail_msg("flipping byte %zu went unnoticed", i);
    }
    assert_int_equal(odps_pbuf_decode_rows(b, 0, *state, &rows, &n, &err), EMU_OK);
    assert_int_equal(n, 0);

    /* An UpdateRow change (the INSERT path): a delete-all cell is the
     * Tablestore protocol's worked bytes; put cells decode back. */
    odps_pcell attrs[3] = {
        {.name = "d2", .name_len = 2, .op = ODPS_PCELL_DELETE_ALL},
        {.name = "x", .name_len = 1, .vtype = 1, .d = 30.25},
        {.name = "ok", .name_len = 2, .vtype = 2, .b = true},
    };
    b = odps_pbuf_encode_row(pk, 1, attrs, 3, *state, &len);
    static const uint8_t del[] = {0x03, 0x04, 0x02, 0x00, 0x00, 0x00,
                                  0x64, 0x32, 0x06, 0x01, 0x0a, 0xba};
    bool found = false;
    for (size_t i = 0; i + sizeof del <= len && !found; i++)
        found = memcmp(b + i, del, sizeof del) == 0;
    assert_true(found);
    assert_int_equal(odps_pbuf_decode_rows(b, len, *state, &rows, &n, &err), EMU_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].n_attrs, 3);
    assert_true(rows[0].attrs[1].d == 30.25);
    assert_int_equal(rows[0].attrs[2].vtype, 2);
    assert_true(rows[0].attrs[2].b);
}

static void xml_bodies(void **state)
{
    static const char body[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Instance><Job><Priority>1</Priority><Tasks>"
        "<SQL><Name>AnonymousSQLTask</Name><Config><Property><Name>uuid</Name><Value>u</Value>"
        "</Property><Property><Name>settings</Name><Value>{\"a\": \"b\"}</Value></Property>"
        "</Config><Query><![CDATA[select 1 < 2 & 3;]]></Query></SQL></Tasks>"
        "<DAG><RunMode>Sequence</RunMode></DAG></Job></Instance>";
    odps_job j;
    emu_err err = {0};
    assert_int_equal(odps_xml_parse_job(body, sizeof body - 1, *state, &j, &err), EMU_OK);
    assert_string_equal(j.task_type, "SQL");
    assert_string_equal(j.task_name, "AnonymousSQLTask");
    assert_string_equal(j.query, "select 1 < 2 & 3;");
    assert_string_equal(j.settings, "{\"a\": \"b\"}");
    assert_int_equal(j.priority, 1);
    assert_true(strncmp(j.job_xml, "<Job><Priority>1</Priority>", 27) == 0);
    static const char *const bad[] = {
        "",
        "<Instance>",
        "<Instance/>",
        "<Instance><Job/></Instance>",
        "<Instance><Job><Tasks/></Job></Instance>",
        "<Instance><Job><Tasks><SQL><Query>x</Query></SQL></Tasks></Job></Instance>",
        "<!DOCTYPE i [<!ENTITY e \"x\">]><Instance><Job><Tasks><SQL><Name>&e;</Name></SQL>"
        "</Tasks></Job></Instance>",
        "<Instance><Job><Tasks><SQL><Name>a</Name></SQL><SQL><Name>b</Name></SQL></Tasks></Job>"
        "</Instance>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(odps_xml_parse_job(bad[i], strlen(bad[i]), *state, &j, &err),
                         EMU_E_INVALID);

    emu_buf b;
    emu_buf_init(&b, 1024);
    odps_xml_cdata(&b, "a]]>b", 5);
    assert_string_equal(b.p, "<![CDATA[a]]]]><![CDATA[>b]]>");
    emu_buf_reset(&b);
    emu_buf_xml_escape(&b, "<&'\">", 5);
    assert_string_equal(b.p, "&lt;&amp;&apos;&quot;&gt;");
    emu_buf_dispose(&b);

    static const char result[] =
        "<?xml version=\"1.0\"?><Instance><Tasks><Task Type=\"SQL\"><Name>T</Name>"
        "<Result Format=\"csv\"><![CDATA[a\n1\n]]></Result><Status>Success</Status>"
        "<ResultDescriptor>{}</ResultDescriptor></Task></Tasks></Instance>";
    odps_xml_result r;
    assert_int_equal(odps_xml_parse_result(result, sizeof result - 1, *state, &r, &err), EMU_OK);
    assert_string_equal(r.format, "csv");
    assert_string_equal(r.text, "a\n1\n");
    assert_string_equal(r.status, "Success");
}

static void csv_values(void **state)
{
    (void)state;
    emu_buf b;
    emu_buf_init(&b, 1024);
    odps_value v[] = {
        {.type = ODPS_T_NULL},
        {.type = ODPS_T_BIGINT, .i = -42},
        {.type = ODPS_T_DOUBLE, .d = 27.44},
        {.type = ODPS_T_DOUBLE, .d = 0.1 + 0.2},
        {.type = ODPS_T_BOOLEAN, .b = true},
        {.type = ODPS_T_STRING, .s = "a,\"b\"", .len = 5},
        {.type = ODPS_T_DOUBLE, .d = 0.0222},
        {.type = ODPS_T_DOUBLE, .d = -120.193541},
        {.type = ODPS_T_DOUBLE, .d = 1e-5},
        {.type = ODPS_T_DOUBLE, .d = 3.0},
        {.type = ODPS_T_DOUBLE, .d = 1e300},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (i)
            emu_buf_putc(&b, '|');
        odps_csv_value(&b, &v[i]);
    }
    assert_string_equal(b.p, "\\N|-42|27.44|0.30000000000000004|true|\"a,\"\"b\"\"\"|0.0222|"
                             "-120.193541|1e-05|3|1e+300");
    emu_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(seed_ddl, setup, teardown),
        cmocka_unit_test_setup_teardown(locations, setup, teardown),
        cmocka_unit_test_setup_teardown(mapping_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(insert_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(select_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(pbuf_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(xml_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_values, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
