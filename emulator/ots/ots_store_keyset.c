/* Ordered key sets on the store's copy-on-write B+tree (emu/ots_store.h),
 * and keyed access to a table's rows for the state derived from them.
 *
 * A key set is a table of the store reduced to its index: each key is a
 * row blob without cells, so adds, removals, cursors and copies are the
 * index's own (ots_store_index.c): a copy shares every node until either
 * side writes, which is what makes a checkpoint of derived state O(1). The
 * table is not in any instance, so nothing journals it and nothing lists
 * it. */
#include <assert.h>
#include <stdlib.h>

#include "emu/clock.h"
#include "ots_store_int.h"

struct ots_keyset {
    ots_table_t t; /* only the index fields are used */
};

ots_keyset *ots_keyset_new(void)
{
    return emu_xcalloc(1, sizeof(ots_keyset));
}

ots_keyset *ots_keyset_clone(const ots_keyset *s)
{
    ots_keyset *c = ots_keyset_new();
    ots__ix_copy(&c->t, &s->t);
    c->t.slab = s->t.slab; /* bulk-loaded keys: shared like a table's */
    if (c->t.slab)
        c->t.slab->refs++;
    return c;
}

void ots_keyset_free(ots_keyset *s)
{
    if (!s)
        return;
    ots__ix_release(&s->t);
    ots__slab_release(&s->t);
    free(s);
}

static bool add(ots_keyset *s, const uint8_t *k, size_t n, bool slab)
{
    assert(n <= OTS_KEYSET_KEY_MAX);
    /* One descent: a key already there is replaced by its equal. */
    srow *old = ots__ix_put(&s->t, ots__srow_build(&s->t, k, n, NULL, 0, slab));
    if (old)
        ots__srow_unref(old);
    return !old;
}

bool ots_keyset_add(ots_keyset *s, const uint8_t *k, size_t n)
{
    return add(s, k, n, false);
}

/* Bulk keys: sorted by a 16-byte prefix kept beside the offset, so that
 * most comparisons touch no key bytes; then added in order (each descent
 * follows the last one's path, hot in cache) into the set's slab. */
typedef struct bulk_ent {
    uint8_t pre[16];
    uint32_t off;
    uint32_t len;
} bulk_ent;

static const uint8_t *g_bulk_buf; /* qsort has no context argument */

static int bulk_cmp(const void *x, const void *y)
{
    const bulk_ent *a = x, *b = y;
    int c = memcmp(a->pre, b->pre, sizeof a->pre);
    if (c || (a->len <= sizeof a->pre && b->len <= sizeof b->pre))
        return c ? c : (a->len > b->len) - (a->len < b->len);
    return ots__key_cmp(g_bulk_buf + a->off, a->len, g_bulk_buf + b->off, b->len);
}

void ots_keyset_add_bulk(ots_keyset *s, const uint8_t *buf, const uint32_t *off,
                         const uint32_t *len, size_t n)
{
    bulk_ent *e = emu_xcalloc(n ? n : 1, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        e[i].off = off[i];
        e[i].len = len[i];
        memcpy(e[i].pre, buf + off[i], len[i] < sizeof e[i].pre ? len[i] : sizeof e[i].pre);
    }
    g_bulk_buf = buf;
    qsort(e, n, sizeof *e, bulk_cmp);
    for (size_t i = 0; i < n; i++)
        add(s, buf + e[i].off, e[i].len, true);
    free(e);
}

bool ots_keyset_remove(ots_keyset *s, const uint8_t *k, size_t n)
{
    srow *r = ots__ix_remove(&s->t, k, n);
    if (!r)
        return false;
    ots__srow_unref(r);
    return true;
}

bool ots_keyset_has(const ots_keyset *s, const uint8_t *k, size_t n)
{
    return ots__ix_get(&s->t, k, n) != NULL;
}

size_t ots_keyset_count(const ots_keyset *s)
{
    return s->t.n_rows;
}

size_t ots_keyset_bytes(const ots_keyset *s)
{
    return s->t.row_bytes + ots__ix_bytes(&s->t);
}

void ots_keyset_seek(const ots_keyset *s, const uint8_t *k, size_t n, ots_store_cursor *c)
{
    ots__cur_seek(&s->t, k, n, c);
}

void ots_keyset_seek_last_le(const ots_keyset *s, const uint8_t *k, size_t n, ots_store_cursor *c)
{
    ots__cur_seek_le(&s->t, k, n, c);
}

const uint8_t *ots_keyset_key(const ots_store_cursor *c, size_t *n)
{
    const srow *r = ots__cur_row(c);
    if (!r)
        return NULL;
    *n = r->key_len;
    return ots__srow_key(r);
}

void ots_keyset_next(ots_store_cursor *c)
{
    ots__cur_next(c);
}

void ots_keyset_prev(ots_store_cursor *c)
{
    ots__cur_prev(c);
}

/* ---- Rows by key ------------------------------------------------------------ */

size_t ots_table_key(const ots_table_t *t, const ots_cell *pk, size_t n, uint8_t *out)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    emu_err e = {0};
    if (ots__check_pk(t, pk, n, OTS__PK_POINT, vals, &e))
        return 0;
    return ots__key_encode(vals, n, out);
}

bool ots_store_get_by_key(const ots_table_t *t, const uint8_t *k, size_t klen,
                          const ots_read_opts *opts, emu_arena *a, ots_row_t *out)
{
    const srow *r = ots__ix_get(t, k, klen);
    return r && ots__row_out(t, r, opts, false, emu_clock_now_ms(), a, out);
}

void ots_table_each_row(const ots_table_t *t, ots_row_each_fn fn, void *ud)
{
    emu_arena *a = emu_arena_new(0);
    ots_store_cursor c;
    ots__cur_first(t, &c);
    for (const srow *r; (r = ots__cur_row(&c)); ots__cur_next(&c)) {
        ots_row_t row;
        emu_arena_reset(a);
        ots__row_out(t, r, NULL, true, 0, a, &row);
        fn(ud, ots__srow_key(r), r->key_len, &row);
    }
    emu_arena_free(a);
}
