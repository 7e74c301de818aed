/* Protobuf messages (generated from emulator/ots/ots.proto) against the
 * request bodies the Node SDK sent and the response vectors the SDKs accept
 * (ots-test-vectors.json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ots.pb-c.h"
#include "ots_int.h"
#include "ots_test_util.h"

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

static const ProtobufCMessageDescriptor *request_desc(const char *op)
{
    static const struct {
        const char *op;
        const ProtobufCMessageDescriptor *d;
    } map[] = {
        {"CreateTable", &ots__create_table_request__descriptor},
        {"ListTable", &ots__list_table_request__descriptor},
        {"DescribeTable", &ots__describe_table_request__descriptor},
        {"DeleteTable", &ots__delete_table_request__descriptor},
        {"PutRow", &ots__put_row_request__descriptor},
        {"GetRow", &ots__get_row_request__descriptor},
        {"GetRange", &ots__get_range_request__descriptor},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].op, op))
            return map[i].d;
    return NULL;
}

/* Every captured smoke-test and extra request decodes with its message type,
 * every PlainBuffer inside decodes, and re-packing gives the same bytes. */
static void captured_requests_decode(void **state)
{
    emu_arena *a = *state;
    const cJSON *v = ots_test_vectors();
    const cJSON *lists[] = {
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "smoke_test_requests"),
                                         "requests"),
        cJSON_GetObjectItemCaseSensitive(v, "requests_extra"),
    };
    int count = 0;
    for (size_t l = 0; l < 2; l++) {
        for (const cJSON *r = lists[l]->child; r; r = r->next) {
            const char *line = cJSON_GetObjectItemCaseSensitive(r, "request_line")->valuestring;
            char op[64];
            assert_int_equal(sscanf(line, "POST /%63[A-Za-z] ", op), 1);
            const ProtobufCMessageDescriptor *d = request_desc(op);
            assert_non_null(d);
            size_t n, m;
            uint8_t *body =
                ots_test_unhex(cJSON_GetObjectItemCaseSensitive(r, "body_hex")->valuestring, &n);
            emu_err err = {0};
            ProtobufCMessage *msg = ots_pb_unpack(d, body, n, a, &err);
            if (!msg)
                fail_msg("%s: %s", op, err.msg);
            uint8_t *again = ots_pb_pack(msg, a, &m);
            assert_int_equal(m, n);
            assert_memory_equal(again, body, n);
            ots_row_t row;
            if (!strcmp(op, "PutRow")) {
                Ots__PutRowRequest *p = (Ots__PutRowRequest *)msg;
                assert_string_equal(p->table_name, "vehicle_track");
                assert_int_equal(ots_plainbuffer_decode_row(p->row.data, p->row.len, a, &row, &err),
                                 EMU_OK);
                assert_int_equal(p->condition->row_existence,
                                 OTS__ROW_EXISTENCE_EXPECTATION__IGNORE);
            } else if (!strcmp(op, "GetRange")) {
                Ots__GetRangeRequest *g = (Ots__GetRangeRequest *)msg;
                assert_true(g->has_limit);
                assert_int_equal(ots_plainbuffer_decode_row(g->inclusive_start_primary_key.data,
                                                            g->inclusive_start_primary_key.len, a,
                                                            &row, &err),
                                 EMU_OK);
                assert_int_equal(ots_plainbuffer_decode_row(g->exclusive_end_primary_key.data,
                                                            g->exclusive_end_primary_key.len, a,
                                                            &row, &err),
                                 EMU_OK);
            } else if (!strcmp(op, "GetRow")) {
                Ots__GetRowRequest *g = (Ots__GetRowRequest *)msg;
                assert_int_equal(g->max_versions, 1);
                assert_int_equal(ots_plainbuffer_decode_row(g->primary_key.data, g->primary_key.len,
                                                            a, &row, &err),
                                 EMU_OK);
            } else if (!strcmp(op, "CreateTable")) {
                Ots__CreateTableRequest *c = (Ots__CreateTableRequest *)msg;
                assert_string_equal(c->table_meta->table_name, "vehicle_track");
                assert_int_equal(c->table_meta->n_primary_key, 2);
                assert_string_equal(c->table_meta->primary_key[0]->name, "vid");
                assert_int_equal(c->table_meta->primary_key[0]->type,
                                 OTS__PRIMARY_KEY_TYPE__INTEGER);
                assert_int_equal(c->table_options->time_to_live, -1);
                assert_int_equal(c->table_options->max_versions, 1);
            }
            free(body);
            count++;
        }
    }
    assert_int_equal(count, 16);
}

static void *unpack_hex(emu_arena *a, const ProtobufCMessageDescriptor *d, const char *name)
{
    size_t n;
    uint8_t *b = ots_test_unhex(ots_test_vec("more_request_bodies_node_encoder", name), &n);
    emu_err err = {0};
    void *m = ots_pb_unpack(d, b, n, a, &err);
    if (!m)
        fail_msg("%s: %s", name, err.msg);
    free(b);
    return m;
}

static void more_node_bodies(void **state)
{
    emu_arena *a = *state;
    emu_err err = {0};
    ots_row_t row;

    Ots__BatchWriteRowRequest *bw = unpack_hex(a, &ots__batch_write_row_request__descriptor, "bwr");
    assert_int_equal(bw->n_tables, 1);
    assert_int_equal(bw->tables[0]->rows[0]->type, OTS__OPERATION_TYPE__PUT);
    Ots__RowInBatchWriteRowRequest *r0 = bw->tables[0]->rows[0];
    assert_int_equal(
        ots_plainbuffer_decode_row(r0->row_change.data, r0->row_change.len, a, &row, &err), EMU_OK);

    Ots__BatchGetRowRequest *bg = unpack_hex(a, &ots__batch_get_row_request__descriptor, "bgr");
    assert_int_equal(bg->tables[0]->n_primary_key, 2);

    Ots__GetRowRequest *gr = unpack_hex(a, &ots__get_row_request__descriptor, "getrow");
    assert_int_equal(gr->n_columns_to_get, 2);
    assert_string_equal(gr->columns_to_get[1], "b");

    Ots__UpdateRowRequest *up = unpack_hex(a, &ots__update_row_request__descriptor, "update");
    assert_int_equal(up->condition->row_existence, OTS__ROW_EXISTENCE_EXPECTATION__EXPECT_EXIST);

    Ots__DeleteRowRequest *dr = unpack_hex(a, &ots__delete_row_request__descriptor, "delete");
    assert_int_equal(
        ots_plainbuffer_decode_row(dr->primary_key.data, dr->primary_key.len, a, &row, &err),
        EMU_OK);
    assert_true(row.delete_marker);

    /* GetRange with `a > 1.5` (§8): Filter → SingleColumnValueFilter → variant. */
    Ots__GetRangeRequest *gf = unpack_hex(a, &ots__get_range_request__descriptor, "filter");
    assert_true(gf->has_filter);
    Ots__Filter *f =
        ots_pb_unpack(&ots__filter__descriptor, gf->filter.data, gf->filter.len, a, &err);
    assert_non_null(f);
    assert_int_equal(f->type, OTS__FILTER_TYPE__FT_SINGLE_COLUMN_VALUE);
    Ots__SingleColumnValueFilter *sf = ots_pb_unpack(&ots__single_column_value_filter__descriptor,
                                                     f->filter.data, f->filter.len, a, &err);
    assert_non_null(sf);
    assert_int_equal(sf->comparator, OTS__COMPARATOR_TYPE__CT_GREATER_THAN);
    assert_string_equal(sf->column_name, "a");
    ots_value v;
    assert_int_equal(
        ots_plainbuffer_decode_variant(sf->column_value.data, sf->column_value.len, &v, &err),
        EMU_OK);
    assert_true(v.type == OTS_VT_DOUBLE && v.d == 1.5);
    assert_true(sf->latest_version_only);

    Ots__PutRowRequest *cp = unpack_hex(a, &ots__put_row_request__descriptor, "condput");
    assert_true(cp->condition->has_column_condition);
    Ots__DescribeTableRequest *dt =
        unpack_hex(a, &ots__describe_table_request__descriptor, "describe");
    assert_string_equal(dt->table_name, "t");
}

static void expect_packed(emu_arena *a, const void *msg, const char *vec)
{
    size_t n, wn;
    uint8_t *got = ots_pb_pack(msg, a, &n);
    uint8_t *want = ots_test_unhex(ots_test_vec("responses", vec), &wn);
    assert_int_equal(n, wn);
    assert_memory_equal(got, want, n);
    free(want);
}

/* Responses built with the generated structs reproduce the vectors the SDKs
 * accepted (tablestore-sdk-notes.md §4). */
static void responses_match_vectors(void **state)
{
    emu_arena *a = *state;
    Ots__CapacityUnit cu = OTS__CAPACITY_UNIT__INIT;
    cu.has_read = cu.has_write = true;
    cu.read = 0;
    cu.write = 1;
    Ots__ConsumedCapacity cc = OTS__CONSUMED_CAPACITY__INIT;
    cc.capacity_unit = &cu;

    Ots__PutRowResponse put = OTS__PUT_ROW_RESPONSE__INIT;
    put.consumed = &cc;
    expect_packed(a, &put, "putrow_resp");

    cu.read = 1;
    cu.write = 0;
    Ots__GetRowResponse get = OTS__GET_ROW_RESPONSE__INIT;
    get.consumed = &cc;
    expect_packed(a, &get, "getrow_resp_missing");

    char *names[] = {(char *)"vehicle_track", (char *)"other"};
    Ots__ListTableResponse lt = OTS__LIST_TABLE_RESPONSE__INIT;
    lt.n_table_names = 2;
    lt.table_names = names;
    expect_packed(a, &lt, "listtable_resp");

    Ots__Error e = OTS__ERROR__INIT;
    e.code = (char *)"OTSObjectNotExist";
    e.message = (char *)"Requested table does not exist.";
    expect_packed(a, &e, "error_404");

    /* DescribeTable. */
    Ots__PrimaryKeySchema pk1 = OTS__PRIMARY_KEY_SCHEMA__INIT, pk2 = OTS__PRIMARY_KEY_SCHEMA__INIT;
    pk1.name = (char *)"vid";
    pk1.type = OTS__PRIMARY_KEY_TYPE__INTEGER;
    pk2.name = (char *)"gt";
    pk2.type = OTS__PRIMARY_KEY_TYPE__INTEGER;
    Ots__PrimaryKeySchema *pks[] = {&pk1, &pk2};
    Ots__TableMeta meta = OTS__TABLE_META__INIT;
    meta.table_name = (char *)"vehicle_track";
    meta.n_primary_key = 2;
    meta.primary_key = pks;
    Ots__CapacityUnit rcu = OTS__CAPACITY_UNIT__INIT;
    rcu.has_read = rcu.has_write = true;
    Ots__ReservedThroughputDetails rtd = OTS__RESERVED_THROUGHPUT_DETAILS__INIT;
    rtd.capacity_unit = &rcu;
    rtd.last_increase_time = 1735689600;
    Ots__TableOptions opt = OTS__TABLE_OPTIONS__INIT;
    opt.has_time_to_live = opt.has_max_versions = opt.has_deviation_cell_version_in_sec = true;
    opt.time_to_live = -1;
    opt.max_versions = 1;
    opt.deviation_cell_version_in_sec = 86400;
    Ots__DescribeTableResponse dt = OTS__DESCRIBE_TABLE_RESPONSE__INIT;
    dt.table_meta = &meta;
    dt.reserved_throughput_details = &rtd;
    dt.table_options = &opt;
    dt.table_status = OTS__TABLE_STATUS__ACTIVE;
    expect_packed(a, &dt, "describe_resp");

    /* GetRange page: rows + next start key, PlainBuffer inside protobuf. */
    size_t n;
    uint8_t *rows = ots_test_unhex(ots_test_vec("responses", "getrange_rows_plainbuffer"), &n);
    ots_row_t *decoded;
    size_t nr;
    emu_err err = {0};
    assert_int_equal(ots_plainbuffer_decode_rows(rows, n, a, &decoded, &nr, &err), EMU_OK);
    Ots__GetRangeResponse gr = OTS__GET_RANGE_RESPONSE__INIT;
    cu.read = 1;
    cu.write = 0;
    gr.consumed = &cc;
    gr.rows.data = ots_plainbuffer_encode_rows(decoded, nr, a, &gr.rows.len);
    ots_cell next[2] = {{.name = EMU_STR_LIT("vid"), .has_value = true},
                        {.name = EMU_STR_LIT("gt"), .has_value = true}};
    next[0].value.type = OTS_VT_INTEGER;
    next[0].value.i = 2;
    next[1].value.type = OTS_VT_INTEGER;
    next[1].value.i = 0;
    ots_row_t next_row = {next, 2, NULL, 0, false};
    gr.has_next_start_primary_key = true;
    gr.next_start_primary_key.data =
        ots_plainbuffer_encode_row(&next_row, a, &gr.next_start_primary_key.len);
    expect_packed(a, &gr, "getrange_resp");
    free(rows);
}

static void missing_required_field_is_rejected(void **state)
{
    emu_arena *a = *state;
    emu_err err = {0};
    /* DescribeTableRequest without table_name. */
    assert_null(
        ots_pb_unpack(&ots__describe_table_request__descriptor, (const uint8_t *)"", 0, a, &err));
    assert_int_equal(err.rc, EMU_E_INVALID);
    assert_string_equal(err.msg, "Parse PBMessage from RawString failed.");
    /* Truncated length-delimited field. */
    const uint8_t bad[] = {0x0a, 0x0d, 'v', 'e'};
    assert_null(ots_pb_unpack(&ots__describe_table_request__descriptor, bad, sizeof bad, a, &err));
    /* ListTable's request is empty and decodes from zero bytes. */
    assert_non_null(
        ots_pb_unpack(&ots__list_table_request__descriptor, (const uint8_t *)"", 0, a, &err));
    /* Unknown fields are skipped (Java sends extras, §6.1). */
    const uint8_t extra[] = {0x0a, 0x01, 't', 0xf8, 0x01, 0x01};
    Ots__DescribeTableRequest *d =
        ots_pb_unpack(&ots__describe_table_request__descriptor, extra, sizeof extra, a, &err);
    assert_non_null(d);
    assert_string_equal(d->table_name, "t");
}

int ots_test_pb(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(captured_requests_decode, setup, teardown),
        cmocka_unit_test_setup_teardown(more_node_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(responses_match_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_required_field_is_rejected, setup, teardown),
    };
    return cmocka_run_group_tests_name("ots_pb", tests, NULL, NULL);
}
