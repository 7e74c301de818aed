/* The providers of one kind (OIDC, SAML) an account holds: a world
 * section's state, a list of pointers to structs whose first member is
 * `char *name` (checked where each kind is defined), names compared
 * case-insensitively as IMS does. */
#ifndef EMU_FED_SET_H
#define EMU_FED_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "emu/err.h"
#include "emu/world.h"

typedef struct fed_set {
    void **v;
    size_t n;
} fed_set;

/* The account's set in the world section named `section` (its index
 * cached in *index); created empty when `create`. NULL without account. */
fed_set *fed_set_of(const world_t *w, int *index, const char *section, const char *account_id,
                    bool create);
void *fed_set_find(const fed_set *s, const char *name);
/* EMU_E_LIMIT past FED_MAX_PROVIDERS. */
emu_rc fed_set_add(fed_set *s, void *p);
/* Frees the named provider with free_fn and closes the gap. */
bool fed_set_remove(fed_set *s, const char *name, void (*free_fn)(void *));

#endif
