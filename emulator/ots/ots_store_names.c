/* The per-table dictionary of attribute column names. Row blobs store a u32
 * id per cell instead of the name: a table has few distinct names and many
 * cells. The dictionary only grows (ids are never reused), which is what
 * lets a table and its checkpoint copies share one: a copy only ever holds
 * ids that existed when it was taken, and they keep their meaning. Open
 * addressing with linear probing, load <= 1/2. */
#include <assert.h>
#include <stdlib.h>

#include "emu/arena.h"
#include "ots_store_int.h"

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

ots__names *ots__names_new(void)
{
    ots__names *d = emu_xcalloc(1, sizeof *d);
    d->refs = 1;
    return d;
}

ots__names *ots__names_ref(ots__names *d)
{
    d->refs++;
    return d;
}

void ots__names_unref(ots__names *d)
{
    if (!d || --d->refs)
        return;
    for (uint32_t i = 0; i < d->n; i++)
        free(d->names[i]);
    free(d->names);
    free(d->lens);
    free(d->hslots);
    free(d);
}

bool ots__name_lookup(const ots_table_t *t, const char *s, size_t n, uint32_t *id)
{
    const ots__names *d = t->names;
    if (!d->hcap)
        return false;
    for (uint32_t i = name_hash(s, n) & (d->hcap - 1);; i = (i + 1) & (d->hcap - 1)) {
        uint32_t slot = d->hslots[i];
        if (!slot)
            return false;
        if (d->lens[slot - 1] == n && !memcmp(d->names[slot - 1], s, n)) {
            *id = slot - 1;
            return true;
        }
    }
}

static void hash_insert(ots__names *d, uint32_t id)
{
    uint32_t i = name_hash(d->names[id], d->lens[id]) & (d->hcap - 1);
    while (d->hslots[i])
        i = (i + 1) & (d->hcap - 1);
    d->hslots[i] = id + 1;
}

uint32_t ots__name_intern(ots_table_t *t, const char *name, size_t len)
{
    ots__names *d = t->names;
    uint32_t id;
    if (ots__name_lookup(t, name, len, &id))
        return id;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->names = emu_xrealloc(d->names, d->cap * sizeof *d->names);
        d->lens = emu_xrealloc(d->lens, d->cap * sizeof *d->lens);
    }
    id = d->n++;
    d->names[id] = emu_xstrndup(name, len);
    d->lens[id] = (uint32_t)len;
    if ((d->n + 1) * 2 > d->hcap) { /* keep load <= 1/2 */
        free(d->hslots);
        d->hcap = d->hcap ? d->hcap * 2 : 32;
        d->hslots = emu_xcalloc(d->hcap, sizeof *d->hslots);
        for (uint32_t i = 0; i < d->n; i++)
            hash_insert(d, i);
    } else {
        hash_insert(d, id);
    }
    return id;
}

const char *ots__name_of(const ots_table_t *t, uint32_t id, size_t *len)
{
    assert(id < t->names->n);
    if (len)
        *len = t->names->lens[id];
    return t->names->names[id];
}

int ots__name_cmp(const ots_table_t *t, uint32_t a, uint32_t b)
{
    if (a == b)
        return 0;
    const ots__names *d = t->names;
    return ots__key_cmp((const uint8_t *)d->names[a], d->lens[a], (const uint8_t *)d->names[b],
                        d->lens[b]);
}

size_t ots__names_bytes(const ots__names *d)
{
    size_t n = sizeof *d + d->hcap * sizeof(uint32_t);
    for (uint32_t i = 0; i < d->n; i++)
        n += d->lens[i] + 1 + sizeof(char *) + sizeof(uint32_t);
    return n;
}
