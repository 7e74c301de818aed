/* Fuzz harness: the Tablestore service behind a valid signature. The first
 * byte picks the operation (same order as fuzz_ots_pb.c, so its corpus
 * seeds this one; 13 and 16 and above name an unsupported operation, 14
 * and 15 are CreateIndex and DropIndex), the rest is
 * the protobuf body. The harness signs the request with account A's root
 * key (MD5 and x-ots-signature computed here), so every input passes
 * authentication and authorization and reaches the handlers: hostile
 * bodies exercise the operation code, not just the signature check, which
 * the end-to-end fuzz_http harness mostly stops at.
 *
 * World: account A (12345, root key only) with instance cap1 holding
 * vehicle_track(vid, gt INTEGER, defined name STRING, 3 rows, index
 * vt_by_name keyed by name, so that every write maintains an index) and
 * t(id INTEGER, 3 versions),
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
#include "ots_int.h"

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
    if (!a || idx < 0 || !a->sections[idx] ||
        ots_store_instance_create(a->sections[idx], "cap1", OTS_NET_ANY, &in, &err) ||
        ots_store_table_create(in, &s_vt, &vt, &err) ||
        ots_store_table_create(in, &s_t, NULL, &err) || ots_index_create(in, vt, &ix, false, &err))
        goto fail;
    for (int64_t i = 1; i <= 3; i++) {
        ots_cell pk[2] = {{.name = emu_str_c("vid"), .has_value = true},
                          {.name = emu_str_c("gt"), .has_value = true}};
        ots_cell at[2] = {{.name = emu_str_c("name"), .has_value = true},
                          {.name = emu_str_c("speed"), .has_value = true}};
        pk[0].value.type = pk[1].value.type = OTS_VT_INTEGER;
        pk[0].value.i = i;
        pk[1].value.i = 1000 * i;
        at[0].value.type = OTS_VT_STRING;
        at[0].value.p = (const uint8_t *)"car";
        at[0].value.len = 3;
        at[1].value.type = OTS_VT_DOUBLE;
        at[1].value.d = 10.5 * (double)i;
        ots_row_t row = {pk, 2, at, 2, false};
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a;
    emu_buf req, out;
    emu_err err = {0};
    char md5[25], sig[SIG_B64_SHA1_LEN + 1];
    emu_str sts;

    if (!size)
        return 0;
    const char *op = ops[data[0] < N_OPS ? data[0] : 13];
    const uint8_t *body = data + 1;
    size_t len = size - 1;

    a = emu_arena_new(0);
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
    emu_buf_init(&out, 64 * 1024 * 1024);
    emu_net_feed((const uint8_t *)req.p, req.len, emu_dispatch, &server, &out);
    emu_buf_dispose(&out);
    emu_buf_dispose(&req);
    emu_arena_free(a);

    emu_server_set_world(&server, world_clone(server.pristine));
    emu_clock_reset();
    return 0;
}
