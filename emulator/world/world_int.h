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
};

extern const world_section *world__sections[WORLD_MAX_SECTIONS];
extern int world__n_sections;

void world__account_free(world_account *a);
emu_rc world__load(const cJSON *doc, const char *label, const char *base_dir, bool skip_sections,
                   world_t **out, emu_err *err);
/* Exports RAM entities only (with_sections false) or everything. */
cJSON *world__export(const world_t *w, bool with_sections);
char *world__dup(const char *s);

#endif
