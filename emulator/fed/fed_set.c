/* Provider sets (fed_set.h). */
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/fed.h"
#include "emu/str.h"
#include "fed_set.h"

fed_set *fed_set_of(const world_t *w, int *index, const char *section, const char *account_id,
                    bool create)
{
    if (*index < 0)
        *index = world_section_index(section);
    if (*index < 0 || !account_id)
        return NULL;
    world_account *a = world_account_find(w, account_id);
    if (!a)
        return NULL;
    if (!a->sections[*index] && create)
        a->sections[*index] = emu_xcalloc(1, sizeof(fed_set));
    return a->sections[*index];
}

static const char *name_of(const void *p)
{
    return *(char *const *)p;
}

void *fed_set_find(const fed_set *s, const char *name)
{
    for (size_t i = 0; s && name && i < s->n; i++)
        if (emu_strcasecmp(name_of(s->v[i]), name) == 0)
            return s->v[i];
    return NULL;
}

emu_rc fed_set_add(fed_set *s, void *p)
{
    if (!s || s->n >= FED_MAX_PROVIDERS)
        return EMU_E_LIMIT;
    s->v = emu_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = p;
    return EMU_OK;
}

bool fed_set_remove(fed_set *s, const char *name, void (*free_fn)(void *))
{
    for (size_t i = 0; s && i < s->n; i++)
        if (emu_strcasecmp(name_of(s->v[i]), name) == 0) {
            free_fn(s->v[i]);
            memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
            s->n--;
            return true;
        }
    return false;
}
