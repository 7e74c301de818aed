/* Replay of a write-ahead log: arbitrary bytes read as framed records
 * (persist__read) and applied to a small world (persist__apply), the way
 * start-up replays a data dir. Every record that reads back whole goes
 * through its decoder: META (world JSON), SESSION, ROWS (row images). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/json.h"
#include "emu/log.h"
#include "emu/odps.h"
#include "emu/ots_store.h"
#include "emu/world.h"
#include "persist_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The world the corpus was recorded against (tests/fuzz/corpus/persist_log
 * comes from acsemu runs on this world). */
static const char base_world[] =
    "{\"Region\":\"cn-hangzhou\",\"Accounts\":[{\"AccountId\":\"12345\",\"AccountAlias\":\"a\","
    "\"AccessKeys\":[{\"AccessKeyId\":\"LTAIpersistFuzz1\",\"AccessKeySecret\":\"s\"}],"
    "\"Roles\":[{\"RoleName\":\"r\",\"AssumeRolePolicyDocument\":{\"Version\":\"1\","
    "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":"
    "{\"RAM\":[\"acs:ram::12345:root\"]}}]}}],"
    "\"Tablestore\":{\"Instances\":[{\"InstanceName\":\"cap1\",\"Tables\":[{\"TableName\":\"t\","
    "\"PrimaryKey\":[{\"Name\":\"id\",\"Type\":\"INTEGER\"},{\"Name\":\"s\",\"Type\":\"STRING\"}],"
    "\"MaxVersions\":3}]}]}}]}";

static cJSON *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    emu_err err = {0};
    (void)argc;
    (void)argv;
    emu_log_set_level(EMU_LOG_OFF);
    emu_json_init();
    world_register_section(&ots_world_section);
    world_register_section(&odps_world_section);
    base = emu_json_parse(base_world, strlen(base_world), &err);
    return base ? 0 : 1;
}

/* Mutations rarely keep a checksum right, so each input is also replayed
 * with every checksum recomputed: the decoders behind the framing get the
 * mutated payloads. */
static void fix_checksums(uint8_t *p, size_t size)
{
    size_t off = 0;
    while (size - off >= PERSIST_HEADER_BYTES) {
        uint32_t len, crc;
        memcpy(&len, p + off, 4);
        if (len > size - off - PERSIST_HEADER_BYTES)
            return;
        crc = persist__crc32c(0, p + off + 8, 1 + (size_t)len);
        memcpy(p + off + 4, &crc, 4);
        off += PERSIST_HEADER_BYTES + len;
    }
}

static void replay(const uint8_t *data, size_t size)
{
    emu_err err = {0};
    persist_state st = {.label = "fuzz"};
    size_t off = 0;

    if (world_load_json(base, "base", "/nonexistent", &st.world, &err) != EMU_OK)
        abort();
    while (off < size) {
        persist_rec r;
        const char *why;
        if (!persist__read(data, size, off, &r, &why)) {
            (void)persist__valid_after(data, size, off + 1);
            break;
        }
        if (r.type == PERSIST_META || r.type == PERSIST_SESSION || r.type == PERSIST_ROWS)
            (void)persist__apply(&st, &r, &err);
        off = r.end;
    }
    cJSON_Delete(world_export(st.world));
    world_free(st.world);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed = malloc(size ? size : 1);
    replay(data, size);
    memcpy(fixed, data, size);
    fix_checksums(fixed, size);
    replay(fixed, size);
    free(fixed);
    return 0;
}
