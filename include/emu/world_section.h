/* Section hooks: how a service keeps its own state inside an account of the
 * world without `world` depending on the service [redis module type methods
 * rdb_load/rdb_save]. The world calls the hooks for each account whose JSON
 * object has the section's key (for example "Tablestore" or "MaxCompute"). */
#ifndef EMU_WORLD_SECTION_H
#define EMU_WORLD_SECTION_H

#include <cjson/cJSON.h>

#include "emu/err.h"

typedef struct world_stat {
    const char *name;
    double value;
} world_stat;

#define WORLD_MAX_STATS 32

typedef struct world_section {
    const char *name; /* JSON key inside an account: "Tablestore" */

    /* Builds the state of one account's section from `j`. `jpath` is the JSON
     * location of j ("$.Accounts[0].Tablestore") for error messages, which
     * must read "<jpath>.Instances[0].Tables[1].TableName: what is wrong".
     * `base_dir` is the directory of the world file (relative RowsFile paths).
     * j may be NULL when the account has no such key (empty state). On error
     * nothing may be left allocated. */
    emu_rc (*load)(const char *account_id, const cJSON *j, const char *jpath, const char *base_dir,
                   void **state, emu_err *err);
    /* Exports the state in the world-file shape; loading the result gives the
     * same state. Returns NULL for "nothing to export". Caller owns it. */
    cJSON *(*save)(const void *state);
    /* Deep copy for checkpoints. */
    void *(*clone)(const void *state);
    void (*free)(void *state);
    /* A few numbers for GET /_emu/health (may be NULL): fills at most cap
     * entries and returns how many. Names are static strings. Called on
     * every health request, so it must not allocate. */
    size_t (*stats)(const void *state, world_stat *out, size_t cap);

    /* Persistence (emu/persist.h), both optional. save_meta exports the
     * state without its bulk data (Tablestore rows): loading the result gives
     * the same settings with empty tables. NULL = save. */
    cJSON *(*save_meta)(const void *state);
    /* Moves the bulk data of every object that `state` and `old_state` both
     * have (same names) from old_state into state, which was just loaded
     * from save_meta's shape. old_state is freed afterwards. */
    void (*adopt)(void *state, void *old_state);
} world_section;

#endif
