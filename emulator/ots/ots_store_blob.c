/* Row blobs: one allocation per stored row (ots_store_int.h gives the
 * layout). A write rebuilds the blob: rows are small, and a write is
 * O(row size) anyway. Blobs never change once built, so index leaves of a
 * table and of its checkpoint copies share them, counting references.
 * Bulk-loaded rows are carved from a slab (no per-row malloc); rows written
 * later are malloc'd. A slab blob's bytes come back when the slab goes,
 * with the last table that shares it. */
#include <assert.h>
#include <stdlib.h>

#include "emu/arena.h"
#include "ots_store_int.h"

#define SLAB_CHUNK (1024 * 1024)

static size_t packed_size(const ots_value *v)
{
    switch (v->type) {
    case OTS_VT_INTEGER:
    case OTS_VT_DOUBLE:
        return 13 + 8;
    case OTS_VT_BOOLEAN:
        return 13 + 1;
    default:
        return 13 + 4 + (size_t)v->len;
    }
}

static void *slab_alloc(ots_table_t *t, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!t->slab) {
        t->slab = emu_xcalloc(1, sizeof *t->slab);
        t->slab->refs = 1;
    }
    slab_chunk *head = t->slab->chunks;
    if (!head || head->cap - head->used < n) {
        size_t cap = n > SLAB_CHUNK ? n : SLAB_CHUNK;
        slab_chunk *c = emu_xmalloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = head;
        t->slab->chunks = head = c;
    }
    void *p = head->data + head->used;
    head->used += n;
    return p;
}

void ots__slab_release(ots_table_t *t)
{
    ots__slab *s = t->slab;
    t->slab = NULL;
    if (!s || --s->refs)
        return;
    while (s->chunks) {
        slab_chunk *c = s->chunks;
        s->chunks = c->next;
        free(c);
    }
    free(s);
}

srow *ots__srow_build(ots_table_t *t, const uint8_t *key, size_t klen, const ots__xcell *cells,
                      size_t n, bool slab)
{
    size_t size = sizeof(srow) + klen;
    for (size_t i = 0; i < n; i++)
        size += packed_size(&cells[i].v);
    srow *r = slab ? slab_alloc(t, size) : emu_xmalloc(size);
    r->size = (uint32_t)size;
    r->key_len = (uint16_t)klen;
    r->flags = slab ? SROW_SLAB : 0;
    r->pad = 0;
    r->n_cells = (uint32_t)n;
    r->refs = 0;
    memcpy(r + 1, key, klen);
    uint8_t *p = (uint8_t *)(r + 1) + klen;
    for (size_t i = 0; i < n; i++) {
        const ots__xcell *c = &cells[i];
        memcpy(p, &c->name_id, 4);
        p[4] = (uint8_t)c->v.type;
        memcpy(p + 5, &c->ts, 8);
        p += 13;
        switch (c->v.type) {
        case OTS_VT_INTEGER:
            memcpy(p, &c->v.i, 8);
            p += 8;
            break;
        case OTS_VT_DOUBLE:
            memcpy(p, &c->v.d, 8);
            p += 8;
            break;
        case OTS_VT_BOOLEAN:
            *p++ = c->v.b ? 1 : 0;
            break;
        default:
            memcpy(p, &c->v.len, 4);
            if (c->v.len)
                memcpy(p + 4, c->v.p, c->v.len);
            p += 4 + c->v.len;
            break;
        }
    }
    assert((size_t)(p - (uint8_t *)r) == size);
    return r;
}

const uint8_t *ots__cell_read(const uint8_t *p, ots__xcell *c)
{
    memset(&c->v, 0, sizeof c->v);
    c->name_id = ots__rd32(p);
    c->v.type = (ots_vtype)p[4];
    c->ts = ots__rd64(p + 5);
    p += 13;
    switch (c->v.type) {
    case OTS_VT_INTEGER:
        c->v.i = ots__rd64(p);
        return p + 8;
    case OTS_VT_DOUBLE:
        memcpy(&c->v.d, p, 8);
        return p + 8;
    case OTS_VT_BOOLEAN:
        c->v.b = *p != 0;
        return p + 1;
    default:
        c->v.len = ots__rd32(p);
        c->v.p = p + 4;
        return p + 4 + c->v.len;
    }
}

void ots__srow_unref(srow *r)
{
    assert(r->refs > 0);
    if (--r->refs)
        return;
    if (!(r->flags & SROW_SLAB))
        free(r);
}
