/* Point reads and writes of the row store (GetRow, PutRow, UpdateRow,
 * DeleteRow, tablestore-protocol §9.3-9.4), the bulk-load insert the rows
 * loaders use, and the change notification every write ends with: the
 * persistence journal and the table's write observer. */
#include <assert.h>
#include <inttypes.h>
#include <math.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_store_int.h"

bool ots_table_add_observer(ots_table_t *t, ots_row_observer_fn fn, void *ud)
{
    if (t->n_observers == EMU_MAX_OTS_TABLE_OBSERVERS)
        return false;
    t->observers[t->n_observers].fn = fn;
    t->observers[t->n_observers++].ud = ud;
    return true;
}

void ots_table_remove_observer(ots_table_t *t, ots_row_observer_fn fn, void *ud)
{
    for (uint8_t i = 0; i < t->n_observers; i++)
        if (t->observers[i].fn == fn && t->observers[i].ud == ud) {
            memmove(&t->observers[i], &t->observers[i + 1],
                    (size_t)(t->n_observers - i - 1) * sizeof t->observers[0]);
            t->n_observers--;
            return;
        }
}

void ots__row_changed(ots_table_t *t, const uint8_t *key, size_t klen, const srow *old_row,
                      const srow *new_row, bool journal)
{
    if (journal)
        ots__journal_row(t, key, klen, new_row);
    if (!t->n_observers)
        return;
    /* Observers see whole stored rows (every version, expired ones too), in
     * a scratch arena that lives for the call only. */
    emu_arena *a = emu_arena_new(0);
    ots_row_t o, n;
    if (old_row)
        ots__row_out(t, old_row, NULL, true, 0, a, &o);
    if (new_row)
        ots__row_out(t, new_row, NULL, true, 0, a, &n);
    for (uint8_t i = 0; i < t->n_observers; i++)
        t->observers[i].fn(t->observers[i].ud, t, old_row ? &o : NULL, new_row ? &n : NULL);
    emu_arena_free(a);
}

emu_rc ots_store_get(const ots_table_t *t, const ots_cell *pk, size_t n_pk,
                     const ots_read_opts *opts, emu_arena *a, ots_row_t *out, bool *found,
                     emu_err *err)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];

    *found = false;
    emu_rc rc = ots__check_pk(t, pk, n_pk, OTS__PK_POINT, vals, err);
    if (rc)
        return rc;
    size_t klen = ots__key_encode(vals, n_pk, key);
    const srow *r = ots__ix_get(t, key, klen);
    if (r)
        *found = ots__row_out(t, r, opts, false, emu_clock_now_ms(), a, out);
    return EMU_OK;
}

emu_rc ots_store_exists(const ots_table_t *t, const ots_cell *pk, size_t n_pk, bool *exists,
                        emu_err *err)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];

    *exists = false;
    emu_rc rc = ots__check_pk(t, pk, n_pk, OTS__PK_POINT, vals, err);
    if (rc)
        return rc;
    size_t klen = ots__key_encode(vals, n_pk, key);
    const srow *r = ots__ix_get(t, key, klen);
    if (!r)
        return EMU_OK;
    if (!r->n_cells) {
        *exists = true;
        return EMU_OK;
    }
    int64_t now = emu_clock_now_ms();
    const uint8_t *p = ots__srow_cells(r);
    for (uint32_t c = 0; c < r->n_cells && !*exists; c++) {
        ots__xcell x;
        p = ots__cell_read(p, &x);
        *exists = ots__cell_alive(t, x.ts, now);
    }
    return EMU_OK;
}

emu_rc ots__check_attr(const ots_table_t *t, emu_str name, const ots_value *v, emu_err *err)
{
    (void)t;
    switch (v->type) {
    case OTS_VT_INTEGER:
    case OTS_VT_BOOLEAN:
        return EMU_OK;
    case OTS_VT_DOUBLE:
        if (isnan(v->d))
            return emu_err_set(err, EMU_E_INVALID, NULL, "NaN can't be set to double value.");
        if (isinf(v->d))
            return emu_err_set(err, EMU_E_INVALID, NULL, "Infinity can't be set to double value.");
        return EMU_OK;
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        if (v->len > EMU_MAX_OTS_VALUE_BYTES)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "The length of attribute column: '%.*s' exceeds the MaxLength:%d "
                               "with CurrentLength:%" PRIu32 ".",
                               (int)name.len, name.p, EMU_MAX_OTS_VALUE_BYTES, v->len);
        return EMU_OK;
    default:
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s can't be used as the value of column %.*s.", ots_vtype_name(v->type),
                           (int)name.len, name.p);
    }
}

static emu_rc check_attr_name(emu_str name, emu_err *err)
{
    if (!ots__valid_col_name(name.p, name.len))
        return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid column name: %.*s.",
                           (int)(name.len > 255 ? 255 : name.len), name.p);
    return EMU_OK;
}

/* Validates the PK of a write, fills auto-increment and encodes the key. */
static emu_rc write_key(ots_table_t *t, const ots_row_t *row, enum ots__pk_mode mode,
                        ots_value *vals, uint8_t *key, size_t *klen, int64_t now, emu_err *err)
{
    emu_rc rc = ots__check_pk(t, row->pk, row->n_pk, mode, vals, err);
    if (rc)
        return rc;
    if (row->n_attrs > EMU_MAX_OTS_CELLS_PER_ROW)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "The number of columns in one row exceeded "
                           "the limit.");
    for (size_t i = 0; i < row->n_pk; i++) {
        if (vals[i].type == OTS_VT_AUTO_INCREMENT) {
            /* Unique and increasing per table (the service promises that per
             * partition key); values look like the service's microsecond
             * stamps. */
            int64_t v = now * 1000;
            if (v <= t->autoinc_last)
                v = t->autoinc_last + 1;
            t->autoinc_last = v;
            vals[i].type = OTS_VT_INTEGER;
            vals[i].i = v;
        }
    }
    *klen = ots__key_encode(vals, row->n_pk, key);
    return EMU_OK;
}

static void pk_result(const ots_table_t *t, const ots_value *vals, emu_arena *a, ots_row_t *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->n_pk = t->schema.n_pk;
    out->pk = emu_arena_zalloc(a, out->n_pk * sizeof *out->pk);
    for (size_t i = 0; i < out->n_pk; i++) {
        ots_cell *c = &out->pk[i];
        c->name = emu_str_c(emu_arena_strdup(a, t->pk[i].name));
        c->has_value = true;
        c->value = vals[i];
        if (vals[i].type == OTS_VT_STRING || vals[i].type == OTS_VT_BINARY)
            c->value.p =
                (const uint8_t *)emu_arena_strndup(a, (const char *)vals[i].p, vals[i].len);
    }
}

emu_rc ots_store_put(ots_table_t *t, const ots_row_t *row, emu_arena *a, ots_row_t *pk_out,
                     emu_err *err)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];
    size_t klen;
    int64_t now = emu_clock_now_ms();
    emu_rc rc;

    /* Validate every cell before the auto-increment counter moves. */
    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        if ((rc = check_attr_name(c->name, err)))
            return rc;
        if (c->has_op)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "OpType cannot be given for column name:%.*s in PutRow.",
                               (int)c->name.len, c->name.p);
        if (!c->has_value)
            return emu_err_set(err, EMU_E_INVALID, NULL, "Column value of %.*s is missing.",
                               (int)c->name.len, c->name.p);
        if ((rc = ots__check_attr(t, c->name, &c->value, err)))
            return rc;
    }
    if ((rc = write_key(t, row, OTS__PK_PUT, vals, key, &klen, now, err)))
        return rc;
    ots__wcell *w = emu_arena_alloc(a, (row->n_attrs ? row->n_attrs : 1) * sizeof *w);
    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        w[i].c.name_id = ots__name_intern(t, c->name.p, c->name.len);
        w[i].c.v = c->value;
        w[i].c.ts = c->has_ts ? c->ts : now;
        w[i].ord = (uint32_t)i;
    }
    ots__finish_row(t, key, klen, w, row->n_attrs, now, a);
    pk_result(t, vals, a, pk_out);
    return EMU_OK;
}

emu_rc ots_store_update(ots_table_t *t, const ots_row_t *row, emu_arena *a, ots_row_t *pk_out,
                        emu_err *err)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];
    size_t klen;
    int64_t now = emu_clock_now_ms();
    emu_rc rc;
    bool writes = false; /* a PUT or INCREMENT, not only deletes */

    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        uint8_t op = c->has_op ? c->op : OTS_OP_PUT;
        if ((rc = check_attr_name(c->name, err)))
            return rc;
        switch (op) {
        case OTS_OP_PUT:
        case OTS_OP_INCREMENT:
            writes = true;
            if (!c->has_value)
                return emu_err_set(err, EMU_E_INVALID, NULL, "Column value of %.*s is missing.",
                                   (int)c->name.len, c->name.p);
            if ((rc = ots__check_attr(t, c->name, &c->value, err)))
                return rc;
            if (op == OTS_OP_INCREMENT && c->value.type != OTS_VT_INTEGER)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "The value of increment column %.*s must be INTEGER.",
                                   (int)c->name.len, c->name.p);
            break;
        case OTS_OP_DELETE_ONE:
        case OTS_OP_DELETE_ALL:
            if (c->has_value)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "Column value cannot be given when type is "
                                   "DELETE_ONE_VERSION,DELETE_ALL_VERSION.");
            if (op == OTS_OP_DELETE_ONE && !c->has_ts)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "Timestamp must be given when type is DELETE_ONE_VERSION.");
            if (op == OTS_OP_DELETE_ALL && c->has_ts)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "Timestamp cannot be given when type is DELETE_ALL_VERSION.");
            break;
        default:
            return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid op type %u of column %.*s.", op,
                               (int)c->name.len, c->name.p);
        }
    }
    if ((rc = write_key(t, row, OTS__PK_WRITE, vals, key, &klen, now, err)))
        return rc;

    /* Deletes alone on an absent row leave it absent: nothing is written
     * (the Python SDK's own row_op_test, test_one_delete_in_update and
     * test_all_delete_in_update, read None back). */
    const srow *old = ots__ix_get(t, key, klen);
    if (!old && !writes) {
        pk_result(t, vals, a, pk_out);
        return EMU_OK;
    }
    /* Current cells first (ord 0..m-1), then the request's in order. */
    size_t m = old ? old->n_cells : 0;
    ots__wcell *w = emu_arena_alloc(a, (m + row->n_attrs + 1) * sizeof *w);
    size_t n = 0;
    const uint8_t *p = old ? ots__srow_cells(old) : NULL;
    for (size_t i = 0; i < m; i++, n++) {
        p = ots__cell_read(p, &w[n].c);
        w[n].ord = (uint32_t)n;
    }
    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        uint8_t op = c->has_op ? c->op : OTS_OP_PUT;
        uint32_t id;
        if (op == OTS_OP_DELETE_ONE || op == OTS_OP_DELETE_ALL) {
            if (!ots__name_lookup(t, c->name.p, c->name.len, &id))
                continue;
            for (size_t j = 0; j < n; j++)
                if (w[j].c.name_id == id && (op == OTS_OP_DELETE_ALL || w[j].c.ts == c->ts))
                    w[j].c.name_id = OTS__DEAD;
            continue;
        }
        id = ots__name_intern(t, c->name.p, c->name.len);
        ots_value v = c->value;
        if (op == OTS_OP_INCREMENT) {
            /* Base: the newest live version of the column (absent = 0). */
            const ots__xcell *base = NULL;
            for (size_t j = 0; j < n; j++)
                if (w[j].c.name_id == id && ots__cell_alive(t, w[j].c.ts, now) &&
                    (!base || w[j].c.ts > base->ts || (w[j].c.ts == base->ts)))
                    base = &w[j].c;
            if (base && base->v.type != OTS_VT_INTEGER)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "Column %.*s to increment is not an INTEGER.", (int)c->name.len,
                                   c->name.p);
            v.i = (int64_t)((uint64_t)(base ? base->v.i : 0) + (uint64_t)c->value.i);
        }
        w[n].c.name_id = id;
        w[n].c.v = v;
        w[n].c.ts = c->has_ts ? c->ts : now;
        w[n].ord = (uint32_t)n;
        n++;
    }
    ots__finish_row(t, key, klen, w, n, now, a);
    pk_result(t, vals, a, pk_out);
    return EMU_OK;
}

emu_rc ots_store_delete(ots_table_t *t, const ots_cell *pk, size_t n_pk, bool *existed,
                        emu_err *err)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];
    emu_rc rc = ots__check_pk(t, pk, n_pk, OTS__PK_WRITE, vals, err);
    if (rc)
        return rc;
    size_t klen = ots__key_encode(vals, n_pk, key);
    srow *r = ots__ix_remove(t, key, klen);
    if (existed)
        *existed = r != NULL;
    if (r) {
        ots__row_changed(t, key, klen, r, NULL, true);
        ots__srow_unref(r);
    }
    t->dirty = true;
    return EMU_OK;
}

emu_rc ots__store_load_row(ots_table_t *t, const uint8_t *key, size_t key_len,
                           const ots__xcell *cells, size_t n, emu_err *err)
{
    /* Appending in key order is the common case (sorted rows files): compare
     * with the last row first and skip the descent for the duplicate check. */
    const srow *lr = ots__ix_last(t);
    if (lr) {
        int c = ots__key_cmp(ots__srow_key(lr), lr->key_len, key, key_len);
        if (c == 0 || (c > 0 && ots__ix_get(t, key, key_len)))
            return emu_err_set(err, EMU_E_EXISTS, NULL, "duplicate primary key");
    }
    srow *old = ots__ix_put(t, ots__srow_build(t, key, key_len, cells, n, true));
    assert(!old);
    (void)old;
    return EMU_OK;
}

bool ots__scan_all(const ots_table_t *t, ots_store_cursor *c, bool *started, emu_arena *a,
                   ots_row_t *out)
{
    if (!*started) {
        ots__cur_first(t, c);
        *started = true;
    }
    const srow *r = ots__cur_row(c);
    if (!r)
        return false;
    ots__row_out(t, r, NULL, true, 0, a, out);
    ots__cur_next(c);
    return true;
}
