/* HTTP request handling end to end: raw bytes → request assembler →
 * dispatch (every service, the admin API included) → serialized responses.
 * The world is the test fixture, loaded once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu/admin.h"
#include "emu/clock.h"
#include "emu/ecs.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/log.h"
#include "emu/net.h"
#include "emu/odps.h"
#include "emu/ots.h"
#include "emu/ots_store.h"
#include "emu/ram.h"
#include "emu/sts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static emu_server server;

/* basic.json has no Tablestore: give account A the instance and tables the
 * OTS corpus (signed with A's root key) talks to, so inputs reach the
 * Tablestore decoders and handlers, not just "The instance is not found.". */
static void add_ots_fixture(world_t *w)
{
    static const ots_pk_col vt_pk[] = {{"vid", OTS_PK_INTEGER, false},
                                       {"gt", OTS_PK_INTEGER, false}};
    static const ots_pk_col t_pk[] = {{"id", OTS_PK_INTEGER, false}};
    world_account *a = world_account_find(w, "12345");
    int idx = world_section_index("Tablestore");
    ots_instance_t *in = NULL;
    emu_err err = {0};
    ots_table_schema vt = {.name = "vehicle_track", .pk = vt_pk, .n_pk = 2};
    ots_table_schema t = {.name = "t", .pk = t_pk, .n_pk = 1};

    vt.opts = t.opts = ots_table_options_default();
    t.opts.max_versions = 3;
    if (!a || idx < 0 || !a->sections[idx] ||
        ots_store_instance_create(a->sections[idx], "cap1", OTS_NET_ANY, &in, &err) ||
        ots_store_table_create(in, &vt, NULL, &err) || ots_store_table_create(in, &t, NULL, &err)) {
        fprintf(stderr, "fuzz_http: Tablestore fixture: %s\n", err.msg);
        abort();
    }
}

/* And ECS instances for the metadata service (one per metadata mode), so
 * inputs reach its token and credential paths. */
static void add_ecs_fixture(world_t *w)
{
    static const char doc[] = "{\"Instances\": [{\"InstanceId\": \"i-fuzz1\", \"RamRoleName\": "
                              "\"AliyunODPSRoleForOtherUser\"},"
                              "{\"InstanceId\": \"i-fuzz2\", \"PrivateIpAddress\": \"127.0.0.2\","
                              "\"RamRoleName\": \"AliyunODPSRoleForOtherUser\", "
                              "\"MetadataOptions\": {\"HttpTokens\": \"required\"}}]}";
    world_account *a = world_account_find(w, "12345");
    int idx = world_section_index(ecs_world_section.name);
    emu_err err = {0};
    cJSON *j = cJSON_Parse(doc);
    if (!a || idx < 0 || !j ||
        ecs_world_section.load(a->id, j, "$.ECS", ".", &a->sections[idx], &err)) {
        fprintf(stderr, "fuzz_http: ECS fixture: %s\n", err.msg);
        abort();
    }
    cJSON_Delete(j);
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
    world_register_section(&odps_world_section);
    ecs_register();
    emu_dispatch_add_rpc(&server, &emu_sts_service, EMU_STS_VERSION);
    emu_dispatch_add_rpc(&server, &emu_ram_service, EMU_RAM_VERSION);
    server.ots = &emu_ots_service;
    server.odps = &emu_odps_service;
    server.admin = &emu_admin_service;
    server.metadata = &emu_ecs_metadata_service;
    if (world_load_file(EMU_SOURCE_DIR "/tests/fixtures/worlds/basic.json", &server.world, &err)) {
        fprintf(stderr, "fuzz_http: %s\n", err.msg);
        abort();
    }
    add_ots_fixture(server.world);
    add_ecs_fixture(server.world);
    server.pristine = world_clone(server.world);
    server.world_path = "fixture";
    server.version = "fuzz";
    /* The corpus is signed with fixed dates: accept any date, so inputs reach
     * the signature and nonce checks. */
    server.max_skew_ms = INT64_MAX / 4;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_buf out;
    emu_buf_init(&out, 64 * 1024 * 1024);
    emu_net_feed(data, size, emu_dispatch, &server, &out);
    emu_buf_dispose(&out);
    /* Keep state from leaking between inputs (clock moves, checkpoints). */
    emu_clock_reset();
    for (size_t i = 0; i < server.n_checkpoints; i++)
        world_free(server.checkpoints[i].world);
    server.n_checkpoints = 0;
    if (server.nonces)
        auth_nonce_cache_clear(server.nonces);
    return 0;
}
