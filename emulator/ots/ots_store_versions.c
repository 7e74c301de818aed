/* Versions and TTL: which stored versions a read sees (TimeToLive on the
 * virtual clock, max versions, time ranges, columns_to_get, column ranges,
 * tablestore-protocol §9.4), and how a write merges versions into the row it
 * stores (sorted by name then newest first, deduplicated, trimmed to the
 * table's max versions, expired versions dropped). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r (gnu11 already defines it) */
#endif
#include <stdlib.h>

#include "ots_store_int.h"

bool ots__cell_alive(const ots_table_t *t, int64_t ts, int64_t now)
{
    int32_t ttl = t->schema.opts.ttl_s;
    return ttl < 0 || ts >= now - (int64_t)ttl * 1000;
}

static bool name_in_list(const ots_table_t *t, uint32_t id, const emu_str *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].len == t->names->lens[id] &&
            !memcmp(list[i].p, t->names->names[id], list[i].len))
            return true;
    return false;
}

static bool pk_in_list(const ots_table_t *t, const emu_str *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < t->schema.n_pk; j++)
            if (emu_str_eq_c(list[i], t->pk[j].name))
                return true;
    return false;
}

bool ots__row_out(const ots_table_t *t, const srow *r, const ots_read_opts *o, bool raw,
                  int64_t now, emu_arena *a, ots_row_t *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *p = ots__srow_cells(r);
    size_t n_alive = 0, n = 0;
    ots_cell *cells = r->n_cells ? emu_arena_alloc(a, r->n_cells * sizeof *cells) : NULL;
    uint32_t cur = UINT32_MAX;
    int32_t versions = 0;

    for (uint32_t i = 0; i < r->n_cells; i++) {
        ots__xcell x;
        p = ots__cell_read(p, &x);
        if (!raw && !ots__cell_alive(t, x.ts, now))
            continue;
        n_alive++;
        if (!raw && o) {
            if (o->n_columns && !name_in_list(t, x.name_id, o->columns, o->n_columns))
                continue;
            emu_str nm = {t->names->names[x.name_id], t->names->lens[x.name_id]};
            if (o->start_column.p &&
                ots__key_cmp((const uint8_t *)nm.p, nm.len, (const uint8_t *)o->start_column.p,
                             o->start_column.len) < 0)
                continue;
            if (o->end_column.p &&
                ots__key_cmp((const uint8_t *)nm.p, nm.len, (const uint8_t *)o->end_column.p,
                             o->end_column.len) >= 0)
                continue;
            if (o->has_time_range && (x.ts < o->start_ts || x.ts >= o->end_ts))
                continue;
            if (x.name_id != cur) {
                cur = x.name_id;
                versions = 0;
            }
            if (o->max_versions > 0 && versions >= o->max_versions)
                continue;
            versions++;
        }
        ots_cell *c = &cells[n++];
        memset(c, 0, sizeof *c);
        c->name =
            (emu_str){emu_arena_strndup(a, t->names->names[x.name_id], t->names->lens[x.name_id]),
                      t->names->lens[x.name_id]};
        c->value = x.v;
        if (x.v.type == OTS_VT_STRING || x.v.type == OTS_VT_BINARY)
            c->value.p = (const uint8_t *)emu_arena_strndup(a, (const char *)x.v.p, x.v.len);
        c->has_value = true;
        c->has_ts = true;
        c->ts = x.ts;
    }
    /* A row whose every cell expired is gone; a row stored without cells
     * (PK only) stays visible (§9.1). */
    if (!raw && r->n_cells && !n_alive)
        return false;
    if (!raw && o && o->n_columns && !n && !pk_in_list(t, o->columns, o->n_columns))
        return false;
    out->n_pk = t->schema.n_pk;
    out->pk = emu_arena_alloc(a, out->n_pk * sizeof *out->pk);
    ots__key_decode(t, ots__srow_key(r), r->key_len, a, out->pk);
    out->attrs = cells;
    out->n_attrs = n;
    return true;
}

static int ots__wcell_cmp(const void *a, const void *b, void *ctx)
{
    const ots__wcell *x = a, *y = b;
    if (x->c.name_id == OTS__DEAD || y->c.name_id == OTS__DEAD) /* deleted cells sort last */
        return (x->c.name_id == OTS__DEAD) - (y->c.name_id == OTS__DEAD);
    int c = ots__name_cmp(ctx, x->c.name_id, y->c.name_id);
    if (c)
        return c;
    if (x->c.ts != y->c.ts)
        return x->c.ts > y->c.ts ? -1 : 1;
    return x->ord > y->ord ? -1 : x->ord < y->ord;
}

void ots__finish_row(ots_table_t *t, const uint8_t *key, size_t klen, ots__wcell *w, size_t n,
                     int64_t now, emu_arena *a)
{
    qsort_r(w, n, sizeof *w, ots__wcell_cmp, t);
    ots__xcell *keep = emu_arena_alloc(a, (n ? n : 1) * sizeof *keep);
    size_t k = 0, expired = 0;
    uint32_t cur = OTS__DEAD;
    int32_t versions = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i].c.name_id == OTS__DEAD)
            continue;
        if (!ots__cell_alive(t, w[i].c.ts, now)) {
            expired++;
            continue;
        }
        if (k && keep[k - 1].name_id == w[i].c.name_id && keep[k - 1].ts == w[i].c.ts)
            continue; /* older write of the same version */
        if (w[i].c.name_id != cur) {
            cur = w[i].c.name_id;
            versions = 0;
        }
        if (versions >= t->schema.opts.max_versions)
            continue;
        versions++;
        keep[k++] = w[i].c;
    }
    t->dirty = true;
    if (!k && expired) {
        /* Everything written or kept has already expired: the row is gone,
         * as if TTL had removed it (a row that merely lost its columns to
         * deletes stays, §9.1). */
        srow *old = ots__ix_remove(t, key, klen);
        if (old) {
            ots__row_changed(t, key, klen, old, NULL, true);
            ots__srow_unref(old);
        }
        return;
    }
    /* The new blob is built before the old one is released: keep[] may
     * point into it. */
    srow *r = ots__srow_build(t, key, klen, keep, k, false);
    srow *old = ots__ix_put(t, r);
    ots__row_changed(t, key, klen, old, r, true);
    if (old)
        ots__srow_unref(old);
}
