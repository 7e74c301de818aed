/* Fuzz harness: the Tablestore service behind a valid signature. The first
 * byte picks the operation (same order as fuzz_ots_pb.c, so its corpus
 * seeds this one; 13 is SQLQuery, 14 and 15 are CreateIndex and DropIndex,
 * 16-18 the local transaction calls, 19-22 the stream calls, 23-28 the
 * search index calls and Search, 29 and 30 ComputeSplits and ParallelScan,
 * and above them an operation acsemu does not implement),
 * the rest is the protobuf body. With the high bit set, the request runs
 * with a local transaction open: the harness first starts one on t, id 1
 * (random numbers reseeded, so its id is always the same and a seed can
 * carry it in transaction_id; FUZZ_SHOW=1 prints the responses). The harness signs the request with
 * account A's root key (MD5 and x-ots-signature computed here), so every input passes
 * authentication and authorization and reaches the handlers: hostile
 * bodies exercise the operation code, not just the signature check, which
 * the end-to-end fuzz_http harness mostly stops at.
 *
 * World: account A (12345, root key only) with instance cap1 holding
 * vehicle_track(vid, gt INTEGER, defined name STRING, 3 rows, index
 * vt_by_name keyed by name, so that every write maintains an index, and
 * search index vt_search over name, speed, note (Text, highlighting on),
 * pos (GeoPoint) and parts (two Nested levels), so that Search inputs reach
 * the query decoder, evaluator, nested objects, inner hits and highlighter) and
 * t(id INTEGER, 3 versions, local transactions on, a stream: id
 * t_1700000000000),
 * restored before every input so an input's outcome never depends on the
 * ones before it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/net.h"
#include "emu/ots.h"
#include "emu/ots_store.h"
#include "emu/sig.h"
#include "ots_search_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static emu_server server;

static const char *const ops[] = {
    "CreateTable",
    "ListTable",
    "DescribeTable",
    "UpdateTable",
    "DeleteTable",
    "GetRow",
    "PutRow",
    "UpdateRow",
    "DeleteRow",
    "GetRange",
    "BatchGetRow",
    "BatchWriteRow",
    "ComputeSplitPointsBySize",
    "SQLQuery",
    "CreateIndex",
    "DropIndex",
    "StartLocalTransaction",
    "CommitTransaction",
    "AbortTransaction",
    "ListStream",
    "DescribeStream",
    "GetShardIterator",
    "GetStreamRecord",
    "CreateSearchIndex",
    "DescribeSearchIndex",
    "ListSearchIndex",
    "UpdateSearchIndex",
    "DeleteSearchIndex",
    "Search",
    "ComputeSplits",
    "ParallelScan",
    "BulkImport", /* not implemented: "Unsupported operation" */
};
#define N_OPS (sizeof ops / sizeof ops[0])
#define DATE "2025-01-01T00:00:00.000Z"
#define WORLD                                                                                      \
    "{\"Region\": \"cn-hangzhou\", \"Accounts\": [{\"AccountId\": \"12345\", \"AccessKeys\": "     \
    "[{\"AccessKeyId\": \"LTAIemuAccountA12345\", \"AccessKeySecret\": "                           \
    "\"emu-secret-account-a\"}]}]}"

static void fixture(world_t *w)
{
    static const ots_pk_col vt_pk[] = {{"vid", OTS_PK_INTEGER, false},
                                       {"gt", OTS_PK_INTEGER, false}};
    static const ots_pk_col t_pk[] = {{"id", OTS_PK_INTEGER, false}};
    world_account *a = world_account_find(w, "12345");
    int idx = world_section_index("Tablestore");
    ots_instance_t *in = NULL;
    ots_table_t *vt = NULL;
    emu_err err = {0};
    static const ots_def_col vt_def[] = {{"name", OTS_COL_STRING}};
    static char key_name[] = "name", ix_name[] = "vt_by_name", ix_base[] = "vehicle_track";
    static char *keys[] = {key_name};
    ots_index_def ix = {.name = ix_name, .base = ix_base, .keys = keys, .n_keys = 1};
    ots_table_schema s_vt = {
        .name = "vehicle_track", .pk = vt_pk, .n_pk = 2, .defined = vt_def, .n_defined = 1};
    ots_table_schema s_t = {.name = "t", .pk = t_pk, .n_pk = 1};
    emu_arena *ar = emu_arena_new(0);

    s_vt.opts = s_t.opts = ots_table_options_default();
    s_t.opts.max_versions = 3;
    s_t.opts.local_txn = true;
    s_t.opts.stream_expiration_h = 24;
    s_t.opts.stream_enabled_ms = 1700000000000;
    if (!a || idx < 0 || !a->sections[idx] ||
        ots_store_instance_create(a->sections[idx], "cap1", OTS_NET_ANY, &in, &err) ||
        ots_store_table_create(in, &s_vt, &vt, &err) ||
        ots_store_table_create(in, &s_t, NULL, &err) || ots_index_create(in, vt, &ix, false, &err))
        goto fail;
    /* name, speed, note, pos, then parts (Nested: k Keyword, w Text with
     * highlighting, sub Nested: x Long) for the per-object evaluator and
     * inner hits */
    Ots__FieldSchema fs[9];
    Ots__FieldSchema *fsp[9];
    static const char *const fname[] = {"name", "speed", "note", "pos", "parts",
                                        "k",    "w",     "sub",  "x"};
    static const Ots__FieldType ftype[] = {
        OTS__FIELD_TYPE__FT_KEYWORD,   OTS__FIELD_TYPE__FT_DOUBLE, OTS__FIELD_TYPE__FT_TEXT,
        OTS__FIELD_TYPE__FT_GEO_POINT, OTS__FIELD_TYPE__FT_NESTED, OTS__FIELD_TYPE__FT_KEYWORD,
        OTS__FIELD_TYPE__FT_TEXT,      OTS__FIELD_TYPE__FT_NESTED, OTS__FIELD_TYPE__FT_LONG};
    for (int i = 0; i < 9; i++) {
        ots__field_schema__init(&fs[i]);
        fs[i].field_name = (char *)fname[i];
        fs[i].has_field_type = true;
        fs[i].field_type = ftype[i];
        fs[i].has_enable_highlighting = fs[i].enable_highlighting = i == 2 || i == 6;
        fsp[i] = &fs[i];
    }
    fs[4].n_field_schemas = 3; /* parts: k, w, sub */
    fs[4].field_schemas = &fsp[5];
    fs[7].n_field_schemas = 1; /* sub: x */
    fs[7].field_schemas = &fsp[8];
    Ots__IndexSchema schema = OTS__INDEX_SCHEMA__INIT;
    schema.n_field_schemas = 5;
    schema.field_schemas = fsp;
    if (ots_search_create(in, vt, "vt_search", &schema, -1, &err))
        goto fail;
    for (int64_t i = 1; i <= 3; i++) {
        ots_cell pk[2] = {{.name = emu_str_c("vid"), .has_value = true},
                          {.name = emu_str_c("gt"), .has_value = true}};
        ots_cell at[5] = {{.name = emu_str_c("name"), .has_value = true},
                          {.name = emu_str_c("note"), .has_value = true},
                          {.name = emu_str_c("parts"), .has_value = true},
                          {.name = emu_str_c("pos"), .has_value = true},
                          {.name = emu_str_c("speed"), .has_value = true}};
        static const char parts[] =
            "[{\"k\":\"a\",\"w\":\"red car\",\"sub\":[{\"x\":1},{\"x\":2}]},"
            "{\"k\":\"b\",\"w\":\"blue car\",\"sub\":{\"x\":3}}]";
        pk[0].value.type = pk[1].value.type = OTS_VT_INTEGER;
        pk[0].value.i = i;
        pk[1].value.i = 1000 * i;
        at[0].value.type = OTS_VT_STRING;
        at[0].value.p = (const uint8_t *)"car";
        at[0].value.len = 3;
        at[1].value.type = at[2].value.type = at[3].value.type = OTS_VT_STRING;
        at[1].value.p = (const uint8_t *)"a quick red car";
        at[1].value.len = 15;
        at[2].value.p = (const uint8_t *)parts;
        at[2].value.len = sizeof parts - 1;
        at[3].value.p = (const uint8_t *)(i == 1 ? "30.1,120.1" : "30.2,120.2");
        at[3].value.len = 10;
        at[4].value.type = OTS_VT_DOUBLE;
        at[4].value.d = 10.5 * (double)i;
        ots_row_t row = {pk, 2, at, 5, false};
        if (ots_store_put(vt, &row, ar, NULL, &err) ||
            ots_index_apply(in, vt, NULL, &row, ar, &err))
            goto fail;
    }
    emu_arena_free(ar);
    return;
fail:
    fprintf(stderr, "fuzz_ots_service: fixture: %s\n", err.msg);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    emu_err err = {0};
    (void)argc;
    (void)argv;
    emu_log_set_level(EMU_LOG_OFF);
    emu_json_init();
    emu_rand_seed(1);
    world_register_section(&ots_world_section);
    server.ots = &emu_ots_service;
    cJSON *doc = cJSON_Parse(WORLD);
    if (!doc || world_load_json(doc, "fixture", ".", &server.world, &err)) {
        fprintf(stderr, "fuzz_ots_service: %s\n", err.msg);
        abort();
    }
    cJSON_Delete(doc);
    fixture(server.world);
    server.pristine = world_clone(server.world);
    server.world_path = "fixture";
    server.version = "fuzz";
    server.max_skew_ms = INT64_MAX / 4; /* fixed DATE */
    return 0;
}

/* Feeds one signed request for `op` with `body` through the whole stack;
 * the response is appended to `out`. */
static void feed(const char *op, const uint8_t *body, size_t len, emu_buf *out)
{
    emu_arena *a = emu_arena_new(0);
    emu_buf req;
    emu_err err = {0};
    char md5[25], sig[SIG_B64_SHA1_LEN + 1];
    emu_str sts;

    sig_ots_content_md5(body, len, md5);
    emu_http_header h[] = {
        {emu_str_c("x-ots-date"), emu_str_c(DATE)},
        {emu_str_c("x-ots-apiversion"), emu_str_c("2015-12-31")},
        {emu_str_c("x-ots-accesskeyid"), emu_str_c("LTAIemuAccountA12345")},
        {emu_str_c("x-ots-instancename"), emu_str_c("cap1")},
        {emu_str_c("x-ots-contentmd5"), emu_str_c(md5)},
    };
    if (sig_ots_string_to_sign(a, emu_str_c(op), h, sizeof h / sizeof h[0], &sts, &err))
        abort(); /* can't happen: fixed headers */
    sig_ots_sign(emu_str_c("emu-secret-account-a"), sts, sig);

    emu_buf_init(&req, 16 * 1024 * 1024);
    emu_buf_printf(&req, "POST /%s HTTP/1.1\r\nHost: 127.0.0.1\r\n", op);
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        emu_buf_printf(&req, "%s: %s\r\n", h[i].name.p, h[i].value.p);
    emu_buf_printf(&req, "x-ots-signature: %s\r\nContent-Length: %zu\r\n\r\n", sig, len);
    emu_buf_append(&req, body, len);
    emu_net_feed((const uint8_t *)req.p, req.len, emu_dispatch, &server, out);
    emu_buf_dispose(&req);
    emu_arena_free(a);
}

/* StartLocalTransaction {table_name: "t", key: PlainBuffer (id = 1)}. */
static const uint8_t start_txn[] = {0x0a, 0x01, 0x74, 0x12, 0x1f, 0x75, 0x00, 0x00, 0x00,
                                    0x01, 0x03, 0x04, 0x02, 0x00, 0x00, 0x00, 0x69, 0x64,
                                    0x05, 0x09, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x09, 0x82};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    uint8_t k = data[0] & 0x7f;
    const char *op = ops[k < N_OPS ? k : N_OPS - 1];

    emu_buf r;
    emu_buf_init(&r, 64 * 1024 * 1024);
    if (data[0] & 0x80) {
        emu_rand_seed(1);
        feed("StartLocalTransaction", start_txn, sizeof start_txn, &r);
    }
    feed(op, data + 1, size - 1, &r);
    if (getenv("FUZZ_SHOW"))
        fwrite(r.p, 1, r.len, stderr);
    emu_buf_dispose(&r);

    emu_server_set_world(&server, world_clone(server.pristine));
    emu_clock_reset();
    return 0;
}
