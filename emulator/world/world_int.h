#ifndef EMU_WORLD_INT_H
#define EMU_WORLD_INT_H

#include "emu/world.h"

typedef struct world_key_slot {
    const char *id; /* borrowed from the key's owner */
    world_key_ref ref;
} world_key_slot;

struct world {
    char *region;
    char *base_dir;
    world_account **accounts;
    size_t n_accounts;
    world_key_slot *keys; /* open addressing, power-of-two size */
    size_t keys_cap;
    world_session **sessions;
    size_t n_sessions;
    size_t *session_by_key;     /* open addressing: index + 1, 0 = empty */
    size_t *session_by_token;   /* same, keyed by token text */
    size_t sessions_cap;        /* size of both tables (power of two) */
    int64_t session_min_expire; /* earliest expire_ms; valid when n_sessions > 0 */
};

extern const world_section *world__sections[WORLD_MAX_SECTIONS];
extern int world__n_sections;

void world__account_free(world_account *a);
emu_rc world__load(const cJSON *doc, const char *label, const char *base_dir, bool skip_sections,
                   world_t **out, emu_err *err);
/* What world__export includes: RAM entities and sessions only (clone copies
 * sections itself), everything, or everything but bulk data and sessions
 * (persistence's META records). */
typedef enum world_export_mode {
    WORLD_EXPORT_NO_SECTIONS,
    WORLD_EXPORT_ALL,
    WORLD_EXPORT_META
} world_export_mode;
cJSON *world__export(const world_t *w, world_export_mode mode);
char *world__dup(const char *s);
void world__session_free(world_session *s);
/* Loads the top-level "Sessions" array (NULL = none). */
emu_rc world__load_sessions(world_t *w, const cJSON *arr, emu_err *err);
cJSON *world__export_sessions(const world_t *w);

#endif
