/* HTTP request handling end to end: raw bytes → request assembler →
 * dispatch (every service, the admin API included) → serialized responses.
 * The world is the test fixture, loaded once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu/admin.h"
#include "emu/clock.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/log.h"
#include "emu/net.h"
#include "emu/odps.h"
#include "emu/ots_store.h"
#include "emu/ram.h"
#include "emu/sts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static emu_server server;

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
    emu_dispatch_add_rpc(&server, &emu_sts_service, EMU_STS_VERSION);
    emu_dispatch_add_rpc(&server, &emu_ram_service, EMU_RAM_VERSION);
    server.admin = &emu_admin_service;
    if (world_load_file(EMU_SOURCE_DIR "/tests/fixtures/worlds/basic.json", &server.world, &err)) {
        fprintf(stderr, "fuzz_http: %s\n", err.msg);
        abort();
    }
    server.pristine = world_clone(server.world);
    server.world_path = "fixture";
    server.version = "fuzz";
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
    return 0;
}
