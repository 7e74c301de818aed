/* World loader: arbitrary bytes as a world file; a world that loads must
 * export and load again. */
#include <stdint.h>
#include <stdlib.h>

#include "emu/ecs.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/odps.h"
#include "emu/ots_store.h"
#include "emu/resourcemanager.h"
#include "emu/world.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    emu_log_set_level(EMU_LOG_OFF);
    emu_json_init();
    world_register_section(&ots_world_section);
    world_register_section(&odps_world_section);
    emu_rm_register();
    ecs_register();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_err err = {0};
    world_t *w = NULL;
    cJSON *doc = emu_json_parse((const char *)data, size, &err);
    if (!doc)
        return 0;
    if (world_load_json(doc, "fuzz", "/nonexistent", &w, &err) == EMU_OK) {
        cJSON *exp = world_export(w);
        world_t *again = NULL;
        if (world_load_json(exp, "export", "/nonexistent", &again, &err) != EMU_OK)
            abort(); /* an export that does not load back is a bug */
        world_free(again);
        world_t *copy = world_clone(w);
        world_free(copy);
        cJSON_Delete(exp);
        world_free(w);
    }
    cJSON_Delete(doc);
    return 0;
}
