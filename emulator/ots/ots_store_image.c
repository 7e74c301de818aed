/* Row images and the journal (emu/ots_store.h): the self-contained form of
 * one stored row that persistence writes to its log and snapshots, and the
 * checked way back into a table.
 *
 * An image is a blob with names instead of the table-local name ids, so it
 * means the same thing in another process. Writing one costs a copy of the
 * row; applying one costs what a bulk load of the row costs. */
#include <stdlib.h>

#include "emu/buf.h"
#include "emu/limits.h"
#include "ots_store_int.h"

static ots_image_fn journal_fn;
static void *journal_ud;
static emu_buf journal_scratch;

void ots_store_set_journal(ots_image_fn fn, void *ud)
{
    journal_fn = fn;
    journal_ud = ud;
    if (!fn)
        emu_buf_dispose(&journal_scratch);
}

static void put_u16(emu_buf *b, uint16_t v)
{
    emu_buf_append(b, &v, 2);
}

static void put_u32(emu_buf *b, uint32_t v)
{
    emu_buf_append(b, &v, 4);
}

/* Appends the image of key (+ the row r, NULL = deleted) to b. Little-endian
 * hosts only, like the blobs themselves (memcpy of native integers). */
static void image_put(emu_buf *b, const ots_table_t *t, const uint8_t *key, size_t klen,
                      const srow *r)
{
    uint8_t flags = r ? 0 : 1;
    emu_buf_append(b, &flags, 1);
    put_u16(b, (uint16_t)klen);
    emu_buf_append(b, key, klen);
    if (!r)
        return;
    put_u32(b, r->n_cells);
    const uint8_t *p = ots__srow_cells(r);
    for (uint32_t i = 0; i < r->n_cells; i++) {
        ots__xcell c;
        const uint8_t *next = ots__cell_read(p, &c);
        put_u16(b, (uint16_t)t->names->lens[c.name_id]);
        emu_buf_append(b, t->names->names[c.name_id], t->names->lens[c.name_id]);
        /* type, ts and value are laid out exactly as in the blob */
        emu_buf_append(b, p + 4, (size_t)(next - (p + 4)));
        p = next;
    }
}

void ots__journal_row(const ots_table_t *t, const uint8_t *key, size_t klen, const srow *r)
{
    if (!journal_fn)
        return;
    if (!journal_scratch.max)
        emu_buf_init(&journal_scratch, SIZE_MAX - 1);
    emu_buf_reset(&journal_scratch);
    image_put(&journal_scratch, t, key, klen, r);
    journal_fn(journal_ud, t, (const uint8_t *)journal_scratch.p, journal_scratch.len);
}

void ots_table_each_image(const ots_table_t *t, ots_image_fn fn, void *ud)
{
    emu_buf b;
    emu_buf_init(&b, SIZE_MAX - 1);
    ots_store_cursor c;
    for (ots__cur_first(t, &c); ots__cur_row(&c); ots__cur_next(&c)) {
        const srow *r = ots__cur_row(&c);
        emu_buf_reset(&b);
        image_put(&b, t, ots__srow_key(r), r->key_len, r);
        fn(ud, t, (const uint8_t *)b.p, b.len);
    }
    emu_buf_dispose(&b);
}

typedef struct img_reader {
    const uint8_t *base, *p, *end;
    emu_err *err;
} img_reader;

static emu_rc img_fail(img_reader *r, const char *what)
{
    return emu_err_set(r->err, EMU_E_INVALID, NULL, "byte %zu: %s", (size_t)(r->p - r->base), what);
}

static bool img_take(img_reader *r, size_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    *out = r->p;
    r->p += n;
    return true;
}

/* Checks that key is a well-formed stored key of t (what ots__key_encode
 * makes from concrete values) and reports an auto-increment column's value. */
static emu_rc img_key_check(const ots_table_t *t, img_reader *r, const uint8_t *key, size_t klen,
                            int64_t *autoinc)
{
    const uint8_t *p = key, *end = key + klen;
    for (size_t i = 0; i < t->schema.n_pk; i++) {
        if (p == end || *p++ != 0x01)
            return img_fail(r, "primary key does not match the table's schema");
        if (t->pk[i].type == OTS_PK_INTEGER) {
            if (end - p < 8)
                return img_fail(r, "primary key integer cut short");
            uint64_t u = 0;
            for (int b = 0; b < 8; b++)
                u = u << 8 | *p++;
            if (t->pk[i].auto_increment)
                *autoinc = (int64_t)(u ^ 0x8000000000000000ull);
            continue;
        }
        size_t n = 0;
        for (;;) {
            if (p == end)
                return img_fail(r, "primary key string not terminated");
            if (*p++ != 0x00) {
                n++;
                continue;
            }
            if (p == end || (*p != 0xFF && *p != 0x01))
                return img_fail(r, "primary key string badly escaped");
            if (*p++ == 0x01)
                break;
            n++;
        }
        if (n > EMU_MAX_OTS_PK_VALUE_BYTES)
            return img_fail(r, "primary key value too long");
    }
    return p == end ? EMU_OK : img_fail(r, "primary key has extra bytes");
}

/* Reads one cell; names point into the image, ids are interned later. */
static emu_rc img_cell(img_reader *r, const uint8_t **name, uint16_t *name_len, ots__xcell *c)
{
    const uint8_t *q;
    if (!img_take(r, 2, &q))
        return img_fail(r, "cell cut short");
    memcpy(name_len, q, 2);
    if (!img_take(r, *name_len, name) || !ots__valid_col_name((const char *)*name, *name_len))
        return img_fail(r, "bad column name");
    if (!img_take(r, 9, &q))
        return img_fail(r, "cell cut short");
    memset(&c->v, 0, sizeof c->v);
    c->v.type = (ots_vtype)q[0];
    c->ts = ots__rd64(q + 1);
    switch (c->v.type) {
    case OTS_VT_INTEGER:
    case OTS_VT_DOUBLE:
        if (!img_take(r, 8, &q))
            return img_fail(r, "cell value cut short");
        memcpy(&c->v.i, q, 8); /* the union's 8 bytes: i or d */
        return EMU_OK;
    case OTS_VT_BOOLEAN:
        if (!img_take(r, 1, &q) || *q > 1)
            return img_fail(r, "bad boolean");
        c->v.b = *q;
        return EMU_OK;
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        if (!img_take(r, 4, &q))
            return img_fail(r, "cell value cut short");
        c->v.len = ots__rd32(q);
        if (c->v.len > EMU_MAX_OTS_VALUE_BYTES || !img_take(r, c->v.len, &c->v.p))
            return img_fail(r, "bad value length");
        return EMU_OK;
    default:
        return img_fail(r, "bad value type");
    }
}

/* Cells must come as the store keeps them: by name, then newest first. */
static bool img_in_order(const uint8_t *pn, uint16_t pl, int64_t pts, const uint8_t *n, uint16_t l,
                         int64_t ts)
{
    int c = ots__key_cmp(pn, pl, n, l);
    return c < 0 || (c == 0 && ts < pts);
}

static void img_store(ots_table_t *t, const uint8_t *key, size_t klen, const ots__xcell *cells,
                      size_t n)
{
    const srow *last = ots__ix_last(t);
    t->dirty = true;
    /* Snapshots come in key order: carve those from the slab like a load. */
    bool append = !last || ots__key_cmp(ots__srow_key(last), last->key_len, key, klen) < 0;
    srow *r = ots__srow_build(t, key, klen, cells, n, append);
    srow *old = ots__ix_put(t, r);
    ots__row_changed(t, key, klen, old, r, false);
    if (old)
        ots__srow_unref(old);
}

typedef struct img_name {
    const uint8_t *p;
    uint16_t len;
} img_name;

/* Reads n cells into cells/names, checking their order. */
static emu_rc img_cells(img_reader *r, uint32_t n, ots__xcell *cells, img_name *names)
{
    for (uint32_t i = 0; i < n; i++) {
        emu_rc rc = img_cell(r, &names[i].p, &names[i].len, &cells[i]);
        if (rc)
            return rc;
        if (i && !img_in_order(names[i - 1].p, names[i - 1].len, cells[i - 1].ts, names[i].p,
                               names[i].len, cells[i].ts))
            return img_fail(r, "cells out of order");
    }
    return r->p == r->end ? EMU_OK : img_fail(r, "extra bytes after the row");
}

emu_rc ots_table_apply_image(ots_table_t *t, const uint8_t *image, size_t len, emu_err *err)
{
    img_reader r = {image, image, image + len, err};
    const uint8_t *q, *key;
    uint16_t klen;
    uint32_t n;
    int64_t autoinc = 0;
    emu_rc rc;

    if (!img_take(&r, 3, &q) || q[0] > 1)
        return img_fail(&r, "bad row header");
    memcpy(&klen, q + 1, 2);
    if (!img_take(&r, klen, &key))
        return img_fail(&r, "key cut short");
    if ((rc = img_key_check(t, &r, key, klen, &autoinc)))
        return rc;
    if (q[0] == 1) {
        if (r.p != r.end)
            return img_fail(&r, "extra bytes after a deleted row");
        srow *old = ots__ix_remove(t, key, klen);
        if (old) {
            ots__row_changed(t, key, klen, old, NULL, false);
            ots__srow_unref(old);
        }
        t->dirty = true;
        return EMU_OK;
    }
    /* A cell takes at least 12 bytes: no count can claim more than fit. */
    if (!img_take(&r, 4, &q) || (n = ots__rd32(q)) > EMU_MAX_OTS_CELLS_PER_ROW ||
        n > (size_t)(r.end - r.p) / 12)
        return img_fail(&r, "bad cell count");
    ots__xcell *cells = emu_xmalloc((n ? n : 1) * sizeof *cells);
    img_name *names = emu_xmalloc((n ? n : 1) * sizeof *names);
    /* Names are interned only once the whole image has checked out, so a
     * bad image leaves the table as it was. */
    if (!(rc = img_cells(&r, n, cells, names))) {
        for (uint32_t i = 0; i < n; i++)
            cells[i].name_id = ots__name_intern(t, (const char *)names[i].p, names[i].len);
        img_store(t, key, klen, cells, n);
        if (autoinc)
            ots__autoinc_seen(t, autoinc);
    }
    free(names);
    free(cells);
    return rc;
}
