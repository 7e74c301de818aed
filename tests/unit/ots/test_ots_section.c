/* The "Tablestore" world section and the rows loaders: strict load with JSON
 * paths, CSV errors with file:line, save → load round trips, clone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/clock.h"
#include "emu/json.h"
#include "ots_int.h"
#include "ots_test_util.h"

#define JP "$.Accounts[0].Tablestore"

static const char *fixture_dir(void)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", ots_test_fixture_path("x"));
    dir[strlen(dir) - 2] = 0; /* strip "/x" */
    return dir;
}

static cJSON *parse(const char *text)
{
    emu_err err = {0};
    cJSON *j = emu_json_parse(text, strlen(text), &err);
    if (!j)
        fail_msg("bad test JSON: %s", err.msg);
    return j;
}

static ots_store_t *load_fixture(void)
{
    size_t n;
    char *text = ots_test_fixture("world_section.json", &n);
    cJSON *j = parse(text);
    free(text);
    void *state = NULL;
    emu_err err = {0};
    if (ots_world_section.load("1234567890", j, JP, fixture_dir(), &state, &err))
        fail_msg("load: %s", err.msg);
    cJSON_Delete(j);
    return state;
}

static char *rows_text(const ots_table_t *t)
{
    cJSON *j = ots_rows_to_json(t);
    char *s = emu_json_print(j);
    cJSON_Delete(j);
    return s;
}

static void loads_fixture_world(void **state)
{
    (void)state;
    ots_store_t *s = load_fixture();
    emu_arena *a = emu_arena_new(0);
    emu_err err = {0};
    assert_string_equal(ots_store_account_id(s), "1234567890");
    assert_int_equal(ots_store_instance_count(s), 2);
    ots_instance_t *in = ots_section_instance(s, "cap1");
    assert_non_null(in);
    assert_null(ots_section_instance(s, "nope"));
    assert_int_equal(ots_instance_network(ots_section_instance(s, "cap2")), OTS_NET_VPC);
    ots_table_t *vt = ots_store_table_find(in, "vehicle_track");
    assert_int_equal(ots_table_row_count(vt), 4);
    assert_false(ots_table_dirty(vt));

    ots_cell pk[2] = {{.name = EMU_STR_LIT("vid"), .has_value = true},
                      {.name = EMU_STR_LIT("gt"), .has_value = true}};
    pk[0].value.type = pk[1].value.type = OTS_VT_INTEGER;
    pk[0].value.i = 1002;
    pk[1].value.i = 1700000000000;
    ots_row_t r;
    bool found;
    assert_int_equal(ots_store_get(vt, pk, 2, NULL, a, &r, &found, &err), EMU_OK);
    assert_true(found);
    assert_int_equal(r.n_attrs, 3); /* distance and oil_consumption empty → absent */
    assert_true(emu_str_eq_c(r.attrs[2].name, "speed"));
    assert_true(r.attrs[2].value.d == 55.5);

    ots_table_t *users = ots_store_table_find(in, "users");
    assert_int_equal(ots_table_row_count(users), 2);
    assert_int_equal(ots_table_schema_of(users)->opts.max_versions, 3);
    assert_true(ots_table_schema_of(users)->pk[1].auto_increment);
    char *txt = rows_text(users);
    assert_non_null(strstr(txt, "\"avatar\":\"3q2+7w==\""));
    assert_non_null(strstr(txt, "\"seq\":\"9007199254740993\""));
    assert_non_null(strstr(
        txt, "\"nickname\":{\"Type\":\"STRING\",\"Value\":\"bobby\",\"Timestamp\":1735689600000}"));
    free(txt);

    world_stat st[WORLD_MAX_STATS];
    size_t n = ots_world_section.stats(s, st, WORLD_MAX_STATS);
    assert_int_equal(n, 4);
    assert_string_equal(st[0].name, "instances");
    assert_int_equal((int)st[0].value, 2);
    assert_string_equal(st[1].name, "tables");
    assert_int_equal((int)st[1].value, 2);
    assert_string_equal(st[2].name, "rows");
    assert_int_equal((int)st[2].value, 6);
    ots_world_section.free(s);
    emu_arena_free(a);
}

static void expect_load_error(const char *json, const char *want)
{
    cJSON *j = parse(json);
    void *state = (void *)1;
    emu_err err = {0};
    emu_rc rc = ots_world_section.load("1", j, JP, fixture_dir(), &state, &err);
    cJSON_Delete(j);
    if (rc == EMU_OK)
        fail_msg("expected error \"%s\"", want);
    assert_null(state);
    if (strcmp(err.msg, want))
        fail_msg("got  \"%s\"\nwant \"%s\"", err.msg, want);
}

#define T0 "{\"Instances\":[{\"InstanceName\":\"cap1\",\"Tables\":["
#define PK2                                                                                        \
    "\"PrimaryKey\":[{\"Name\":\"vid\",\"Type\":\"INTEGER\"},{\"Name\":\"gt\",\"Type\":"           \
    "\"INTEGER\"}]"
#define DEFS                                                                                       \
    "\"DefinedColumns\":[{\"Name\":\"longitude\",\"Type\":\"DOUBLE\"},{\"Name\":\"latitude\","     \
    "\"Type\":\"DOUBLE\"},{\"Name\":\"distance\",\"Type\":\"DOUBLE\"},{\"Name\":\"speed\","        \
    "\"Type\":\"DOUBLE\"},{\"Name\":\"oil_consumption\",\"Type\":\"DOUBLE\"}]"

static void load_errors_have_json_paths(void **state)
{
    (void)state;
    expect_load_error(T0
                      "{\"TableName\":\"t\",\"PrimaryKey\":[{\"Name\":\"a\",\"Type\":\"INTEGER\"},"
                      "{\"Name\":\"b\",\"Type\":\"DOUBLE\"}]}]}]}",
                      JP ".Instances[0].Tables[0].PrimaryKey[1].Type: \"DOUBLE\" is not a primary "
                         "key type (INTEGER, STRING, BINARY)");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 ",\"Foo\":1}]}]}",
                      JP ".Instances[0].Tables[0].Foo: unknown field");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 "},{\"TableName\":\"t\"," PK2 "}]}]}",
                      JP ".Instances[0].Tables[1].TableName: duplicate table name \"t\"");
    expect_load_error("{\"Instances\":[{\"InstanceName\":\"cap1\"},{\"InstanceName\":\"cap1\"}]}",
                      JP ".Instances[1].InstanceName: duplicate instance name \"cap1\"");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 ",\"MaxVersions\":\"1\"}]}]}",
                      JP ".Instances[0].Tables[0].MaxVersions: expected a number");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 ",\"CreateDate\":\"yesterday\"}]}]}",
                      JP ".Instances[0].Tables[0].CreateDate: \"yesterday\" is not an ISO-8601 UTC "
                         "time like 2026-01-01T00:00:00Z");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 ",\"TimeToLive\":0}]}]}",
                      JP ".Instances[0].Tables[0].TimeToLive: TimeToLive cannot be 0 or less than "
                         "-1.");
    expect_load_error(T0 "{\"TableName\":\"t\"}]}]}",
                      JP ".Instances[0].Tables[0].PrimaryKey: missing");
    expect_load_error("{\"Instances\":[{\"InstanceName\":\"cap1\",\"Network\":\"Lan\"}]}", JP
                      ".Instances[0].Network: \"Lan\" is not a network type (Any, Vpc, Internet)");
    expect_load_error("{\"Instances\":{}}", JP ".Instances: expected an array");
    expect_load_error("{\"Instances\":[{\"InstanceName\":\"x\"}]}",
                      JP ".Instances[0].InstanceName: Invalid instance name: x.");
    expect_load_error(T0
                      "{\"TableName\":\"t\",\"PrimaryKey\":[{\"Name\":\"a\",\"Type\":\"INTEGER\","
                      "\"AutoIncrement\":true}]}]}]}",
                      JP ".Instances[0].Tables[0]: First primary key can't be auto increment, "
                         "table: t.");
    expect_load_error(T0 "{\"TableName\":\"vehicle_track\"," PK2 "," DEFS
                         ",\"RowsFile\":\"bad_speed.csv\"}]}]}",
                      JP ".Instances[0].Tables[0].RowsFile: bad_speed.csv:4: field 6 (column "
                         "\"speed\"): expected a DOUBLE");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 ",\"RowsFile\":\"missing.csv\"}]}]}",
                      JP ".Instances[0].Tables[0].RowsFile: missing.csv: cannot open: No such file "
                         "or directory");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 "," DEFS
                         ",\"Rows\":[{\"vid\":1,\"gt\":1,\"speed\":1.5},"
                         "{\"vid\":1,\"gt\":2,\"speed\":\"fast\"}]}]}]}",
                      JP ".Instances[0].Tables[0].Rows[1].speed: not a DOUBLE");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2
                         ",\"Rows\":[{\"vid\":1,\"gt\":1,\"x\":1}]}]}]}",
                      JP ".Instances[0].Tables[0].Rows[0].x: column is not defined; use {\"Type\", "
                         "\"Value\"}");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 ",\"Rows\":[{\"vid\":1,\"gt\":1},{\"vid\":1,"
                         "\"gt\":1}]}]}]}",
                      JP ".Instances[0].Tables[0].Rows[1]: duplicate primary key");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 ",\"Rows\":[{\"vid\":1}]}]}]}",
                      JP ".Instances[0].Tables[0].Rows[0]: primary key column gt is missing");
    expect_load_error(T0 "{\"TableName\":\"t\"," PK2 ",\"Rows\":[],\"RowsFile\":\"x.csv\"}]}]}",
                      JP ".Instances[0].Tables[0]: give RowsFile or Rows, not both");
}

static void expect_csv_error(const char *csv, const char *want)
{
    ots_store_t *s = ots_store_new(NULL);
    ots_instance_t *in;
    emu_err err = {0};
    assert_int_equal(ots_store_instance_create(s, "cap1", OTS_NET_ANY, &in, &err), EMU_OK);
    ots_pk_col pk[] = {{"vid", OTS_PK_INTEGER, false}, {"name", OTS_PK_STRING, false}};
    ots_def_col def[] = {
        {"speed", OTS_COL_DOUBLE}, {"ok", OTS_COL_BOOLEAN}, {"raw", OTS_COL_BINARY}};
    ots_table_schema sc = {"t", pk, 2, def, 3, ots_table_options_default()};
    ots_table_t *t;
    assert_int_equal(ots_store_table_create(in, &sc, &t, &err), EMU_OK);
    emu_rc rc = ots_rows_load_csv_text(t, csv, strlen(csv), "data/t.csv", 1, &err);
    if (!want) {
        if (rc)
            fail_msg("unexpected: %s", err.msg);
    } else if (rc == EMU_OK || strcmp(err.msg, want)) {
        fail_msg("got  \"%s\"\nwant \"%s\"", rc ? err.msg : "(ok)", want);
    }
    ots_store_free(s);
}

static void csv_errors_have_lines(void **state)
{
    (void)state;
    expect_csv_error("vid,name,speed,ok,raw\n1,a,1.5,true,AAE=\n2,b,2,FALSE,\n", NULL);
    expect_csv_error("vid,name,speed,ok,raw\r\n1,\"a,\"\"b\"\"\nc\",1.5,true,\r\n\r\n", NULL);
    expect_csv_error("vid,name,speed,ok,raw\n1,a,1.5,true,AAE=\n2,b,2,true\n",
                     "data/t.csv:3: expected 5 columns, found 4");
    expect_csv_error("vid,name,speed,ok,raw,extra\n",
                     "data/t.csv:1: field 6 of the header is neither a primary key nor a defined "
                     "column of table t; expected one of: vid, name, speed, ok, raw");
    expect_csv_error("vid,name,speed,ok\n", "data/t.csv:1: column \"raw\" is missing");
    expect_csv_error("vid,name,speed,ok,vid\n", "data/t.csv:1: duplicate column \"vid\"");
    expect_csv_error("vid,name,speed,ok,raw\n\n,a,1,true,\n",
                     "data/t.csv:3: column \"vid\": empty primary key value");
    expect_csv_error("vid,name,speed,ok,raw\n12x,a,1,true,\n",
                     "data/t.csv:2: field 1 (column \"vid\"): expected an INTEGER");
    expect_csv_error("vid,name,speed,ok,raw\n99999999999999999999,a,1,true,\n",
                     "data/t.csv:2: field 1 (column \"vid\"): expected an INTEGER");
    expect_csv_error("vid,name,speed,ok,raw\n1,a,1,yes,\n",
                     "data/t.csv:2: field 4 (column \"ok\"): expected a BOOLEAN (true or false)");
    expect_csv_error("vid,name,speed,ok,raw\n1,a,1,true,@@\n",
                     "data/t.csv:2: field 5 (column \"raw\"): expected BINARY (base64)");
    expect_csv_error("vid,name,speed,ok,raw\n1,a,nan,true,\n",
                     "data/t.csv:2: field 3 (column \"speed\"): expected a DOUBLE");
    expect_csv_error("vid,name,speed,ok,raw\n1,a,1,true,\n1,a,2,true,\n",
                     "data/t.csv:3: duplicate primary key");
    expect_csv_error("vid,name,speed,ok,raw\n1,\"a,1,true,\n",
                     "data/t.csv:2: malformed quoted field");
    expect_csv_error("", "data/t.csv:1: missing header row");
}

static void save_load_round_trip(void **state)
{
    (void)state;
    ots_store_t *s = load_fixture();
    emu_arena *a = emu_arena_new(0);
    emu_err err = {0};

    /* Unchanged RowsFile table: exported as an absolute RowsFile. */
    cJSON *saved = ots_world_section.save(s);
    const cJSON *t0 = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(saved, "Instances"), 0),
                            "Tables"),
        0);
    const cJSON *rf = cJSON_GetObjectItem(t0, "RowsFile");
    assert_non_null(rf);
    assert_int_equal(rf->valuestring[0], '/');
    assert_null(cJSON_GetObjectItem(t0, "Rows"));
    void *again = NULL;
    assert_int_equal(ots_world_section.load("1234567890", saved, JP, "/nonexistent", &again, &err),
                     EMU_OK);
    ots_table_t *vt = ots_store_table_find(ots_section_instance(s, "cap1"), "vehicle_track");
    ots_table_t *vt2 = ots_store_table_find(ots_section_instance(again, "cap1"), "vehicle_track");
    char *x = rows_text(vt), *y = rows_text(vt2);
    assert_string_equal(x, y);
    free(x);
    free(y);
    ots_world_section.free(again);
    cJSON_Delete(saved);

    /* Change it: a new undeclared column with two versions, a new row, a
     * deletion. Now it is exported inline and reloads equal. */
    ots_cell pk[2] = {{.name = EMU_STR_LIT("vid"), .has_value = true},
                      {.name = EMU_STR_LIT("gt"), .has_value = true}};
    pk[0].value.type = pk[1].value.type = OTS_VT_INTEGER;
    pk[0].value.i = 1001;
    pk[1].value.i = 1700000000000;
    ots_cell at[2] = {{.name = EMU_STR_LIT("note"), .has_value = true, .has_ts = true, .ts = 10},
                      {.name = EMU_STR_LIT("note"), .has_value = true, .has_ts = true, .ts = 20}};
    at[0].value.type = at[1].value.type = OTS_VT_STRING;
    at[0].value.p = (const uint8_t *)"old";
    at[0].value.len = 3;
    at[1].value.p = (const uint8_t *)"new";
    at[1].value.len = 3;
    ots_row_t row = {pk, 2, at, 2, false};
    ots_table_options o = ots_table_options_default();
    o.max_versions = 2;
    assert_int_equal(ots_table_set_options(vt, &o, &err), EMU_OK);
    assert_int_equal(ots_store_update(vt, &row, a, NULL, &err), EMU_OK);
    pk[0].value.i = -5;
    pk[1].value.i = 0;
    assert_int_equal(ots_store_delete(vt, pk, 2, NULL, &err), EMU_OK);
    pk[0].value.i = 77;
    row = (ots_row_t){pk, 2, NULL, 0, false};
    assert_int_equal(ots_store_put(vt, &row, a, NULL, &err), EMU_OK);
    assert_true(ots_table_dirty(vt));
    ots_table_set_created_ms(vt, 1767225600000); /* 2026-01-01T00:00:00Z */

    saved = ots_world_section.save(s);
    t0 = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(saved, "Instances"), 0),
                            "Tables"),
        0);
    assert_null(cJSON_GetObjectItem(t0, "RowsFile"));
    assert_non_null(cJSON_GetObjectItem(t0, "Rows"));
    assert_int_equal(cJSON_GetObjectItem(t0, "MaxVersions")->valueint, 2);
    assert_string_equal(cJSON_GetObjectItem(t0, "CreateDate")->valuestring, "2026-01-01T00:00:00Z");
    /* Through text, as the world file would be. */
    char *text = emu_json_print(saved);
    cJSON_Delete(saved);
    cJSON *reparsed = parse(text);
    free(text);
    again = NULL;
    assert_int_equal(
        ots_world_section.load("1234567890", reparsed, JP, "/nonexistent", &again, &err), EMU_OK);
    cJSON_Delete(reparsed);
    for (size_t i = 0; i < 2; i++) {
        const char *name = i ? "users" : "vehicle_track";
        ots_table_t *p = ots_store_table_find(ots_section_instance(s, "cap1"), name);
        ots_table_t *q = ots_store_table_find(ots_section_instance(again, "cap1"), name);
        assert_int_equal(ots_table_row_count(p), ots_table_row_count(q));
        x = rows_text(p);
        y = rows_text(q);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    assert_non_null(ots_section_instance(again, "cap2"));
    /* The creation time survives (a restarted --data-dir sandbox). */
    assert_int_equal(ots_table_created_ms(ots_store_table_find(ots_section_instance(again, "cap1"),
                                                               "vehicle_track")),
                     1767225600000);
    ots_world_section.free(again);
    ots_world_section.free(s);
    emu_arena_free(a);
}

static void clone_and_empty_section(void **state)
{
    (void)state;
    ots_store_t *s = load_fixture();
    ots_store_t *c = ots_world_section.clone(s);
    ots_instance_t *in = ots_section_instance(s, "cap1");
    emu_err err = {0};
    assert_int_equal(ots_store_table_drop(in, "vehicle_track", &err), EMU_OK);
    assert_null(ots_store_table_find(in, "vehicle_track"));
    ots_table_t *ct = ots_store_table_find(ots_section_instance(c, "cap1"), "vehicle_track");
    assert_non_null(ct);
    assert_int_equal(ots_table_row_count(ct), 4);
    /* The clone keeps the load provenance: still exported as RowsFile. */
    cJSON *saved = ots_world_section.save(c);
    char *text = emu_json_print(saved);
    assert_non_null(strstr(text, "\"RowsFile\":\"/"));
    free(text);
    cJSON_Delete(saved);
    ots_world_section.free(s);
    ots_world_section.free(c);

    void *empty = NULL;
    assert_int_equal(ots_world_section.load("1", NULL, JP, NULL, &empty, &err), EMU_OK);
    assert_non_null(empty);
    assert_null(ots_world_section.save(empty));
    ots_world_section.free(empty);
    assert_string_equal(ots_world_section.name, "Tablestore");
}

int ots_test_section(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_fixture_world),     cmocka_unit_test(load_errors_have_json_paths),
        cmocka_unit_test(csv_errors_have_lines),   cmocka_unit_test(save_load_round_trip),
        cmocka_unit_test(clone_and_empty_section),
    };
    return cmocka_run_group_tests_name("ots_section", tests, NULL, NULL);
}
