/* Secondary indexes (global and local) built above the store's public API.
 *
 * An index is a hidden store table named like the index: its primary key is
 * the index's key columns followed by the base table's PK columns that are
 * not among them (the service's layout), its defined columns are the
 * index's attribute columns. Reads (GetRow, GetRange, BatchGetRow on the
 * index name) therefore need nothing special, and the index's rows share
 * the store's checkpoints, journal and snapshots.
 *
 * What an index is (its base table, key and attribute columns, type) lives
 * in a registry here, keyed by instance: the store is opaque and is being
 * reshaped by other work, so the Tablestore world section (ots_section.c)
 * copies and forgets the registry entries when it clones and frees a store,
 * and saves them under the base table ("Indexes") — index rows are not
 * saved: a loaded world rebuilds them from the base rows.
 *
 * Maintenance: after every write of a base row the service layer hands the
 * row as it was and as it is now (newest versions) to ots_index_apply,
 * which deletes the old index row and puts the new one. A base row lacking
 * any index key column is not in that index (sparse indexes, as the
 * service). Everything runs on the loop thread. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/limits.h"
#include "ots_int.h"

typedef struct idx_inst {
    const ots_instance_t *in;
    ots_index_def **defs;
    size_t n, cap;
} idx_inst;

static idx_inst *g_inst;
static size_t g_n, g_cap;

static idx_inst *inst_of(const ots_instance_t *in, bool create)
{
    for (size_t i = 0; i < g_n; i++)
        if (g_inst[i].in == in)
            return &g_inst[i];
    if (!create)
        return NULL;
    if (g_n == g_cap) {
        g_cap = g_cap ? g_cap * 2 : 8;
        g_inst = emu_xrealloc(g_inst, g_cap * sizeof *g_inst);
    }
    g_inst[g_n] = (idx_inst){in, NULL, 0, 0};
    return &g_inst[g_n++];
}

static char **dup_list(char *const *v, size_t n)
{
    char **out = emu_xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = emu_xstrdup(v[i]);
    return out;
}

static ots_index_def *def_dup(const ots_index_def *d)
{
    ots_index_def *c = emu_xcalloc(1, sizeof *c);
    c->name = emu_xstrdup(d->name);
    c->base = emu_xstrdup(d->base);
    c->keys = dup_list(d->keys, d->n_keys);
    c->n_keys = d->n_keys;
    c->attrs = dup_list(d->attrs, d->n_attrs);
    c->n_attrs = d->n_attrs;
    c->local = d->local;
    c->sync = d->sync;
    return c;
}

static void def_free(ots_index_def *d)
{
    for (size_t i = 0; i < d->n_keys; i++)
        free(d->keys[i]);
    for (size_t i = 0; i < d->n_attrs; i++)
        free(d->attrs[i]);
    free(d->keys);
    free(d->attrs);
    free(d->name);
    free(d->base);
    free(d);
}

static void inst_add(const ots_instance_t *in, ots_index_def *d)
{
    idx_inst *e = inst_of(in, true);
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->defs = emu_xrealloc(e->defs, e->cap * sizeof *e->defs);
    }
    e->defs[e->n++] = d;
}

static void inst_forget(const ots_instance_t *in)
{
    for (size_t i = 0; i < g_n; i++) {
        if (g_inst[i].in != in)
            continue;
        for (size_t k = 0; k < g_inst[i].n; k++)
            def_free(g_inst[i].defs[k]);
        free(g_inst[i].defs);
        g_inst[i] = g_inst[--g_n];
        if (!g_n) {
            free(g_inst);
            g_inst = NULL;
            g_cap = 0;
        }
        return;
    }
}

void ots_index_clone_store(const ots_store_t *from, const ots_store_t *to)
{
    size_t n = ots_store_instance_count(from);
    for (size_t i = 0; i < n && i < ots_store_instance_count(to); i++) {
        const idx_inst *e = inst_of(ots_store_instance_at(from, i), false);
        const ots_instance_t *tin = ots_store_instance_at(to, i);
        for (size_t k = 0; e && k < e->n; k++) {
            inst_add(tin, def_dup(e->defs[k]));
            e = inst_of(ots_store_instance_at(from, i), false); /* g_inst may move */
        }
    }
}

void ots_index_forget_store(const ots_store_t *s)
{
    for (size_t i = 0; s && i < ots_store_instance_count(s); i++)
        inst_forget(ots_store_instance_at(s, i));
}

size_t ots_index_list(const ots_instance_t *in, const char *base, const ots_index_def **out,
                      size_t cap)
{
    const idx_inst *e = inst_of(in, false);
    size_t n = 0;
    for (size_t k = 0; e && k < e->n; k++)
        if (!strcmp(e->defs[k]->base, base)) {
            if (n < cap)
                out[n] = e->defs[k];
            n++;
        }
    return n;
}

const ots_index_def *ots_index_find(const ots_instance_t *in, const char *name)
{
    const idx_inst *e = inst_of(in, false);
    for (size_t k = 0; e && k < e->n; k++)
        if (!strcmp(e->defs[k]->name, name))
            return e->defs[k];
    return NULL;
}

/* ---- Creation ------------------------------------------------------------ */

static const ots_pk_col *base_pk(const ots_table_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_pk; i++)
        if (!strcmp(s->pk[i].name, name))
            return &s->pk[i];
    return NULL;
}

static const ots_def_col *base_def(const ots_table_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_defined; i++)
        if (!strcmp(s->defined[i].name, name))
            return &s->defined[i];
    return NULL;
}

static bool listed(char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], name))
            return true;
    return false;
}

static emu_rc invalid(emu_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static emu_rc invalid(emu_err *err, const char *fmt, ...)
{
    va_list ap;
    char m[EMU_ERR_MSG_MAX];
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return emu_err_set(err, EMU_E_INVALID, "OTSParameterInvalid", "%s", m);
}

/* Texts marked J come from the Java SDK's functiontest/SecondaryIndexTest;
 * the others are [inferred] in the service's style. */
static emu_rc check_def(const ots_instance_t *in, const ots_table_schema *s, const ots_index_def *d,
                        emu_err *err)
{
    if (d->n_keys < 1 || d->n_keys > 4) /* J */
        return invalid(err, "The number of primary key columns must be in range: [1, 4] in index.");
    if (d->n_attrs > EMU_MAX_OTS_DEFINED_COLUMNS) /* J */
        return invalid(err, "The number of attribute columns must be in range: [0, 32] in index.");
    const ots_index_def *have[OTS_MAX_INDEXES_PER_TABLE];
    if (ots_index_list(in, s->name, have, OTS_MAX_INDEXES_PER_TABLE) >=
        OTS_MAX_INDEXES_PER_TABLE) /* J */
        return invalid(err, "Number of index per table exceeds the quota:%d.",
                       OTS_MAX_INDEXES_PER_TABLE);
    if (s->opts.max_versions != 1)
        return invalid(err, "The max versions of table %s must be 1 to create an index.", s->name);
    if (s->opts.ttl_s != -1 && s->opts.allow_update)
        return invalid(err,
                       "Table %s has a TimeToLive: set allow_update to false before creating an "
                       "index on it.",
                       s->name);
    size_t extra = 0;
    for (size_t i = 0; i < d->n_keys; i++) {
        const char *k = d->keys[i];
        if (listed(d->keys, i, k))
            return invalid(err, "Duplicated primary key name in index: %s.", k);
        if (base_pk(s, k))
            continue;
        const ots_def_col *c = base_def(s, k);
        if (!c)
            return invalid(err,
                           "Column %s of index %s is not a primary key or defined column of "
                           "table %s.",
                           k, d->name, s->name);
        if (c->type == OTS_COL_DOUBLE || c->type == OTS_COL_BOOLEAN)
            return invalid(err, "%s is an invalid type for the primary key in index.",
                           ots_col_type_name(c->type));
    }
    for (size_t i = 0; i < s->n_pk; i++)
        extra += !listed(d->keys, d->n_keys, s->pk[i].name);
    if (d->n_keys + extra > EMU_MAX_OTS_PK_COLUMNS)
        return invalid(err,
                       "acsemu supports at most %d primary key columns in an index table (index "
                       "%s has %zu: its keys plus the table's primary key).",
                       EMU_MAX_OTS_PK_COLUMNS, d->name, d->n_keys + extra);
    for (size_t i = 0; i < d->n_attrs; i++) {
        const char *a = d->attrs[i];
        if (listed(d->attrs, i, a))
            return invalid(err, "Duplicated attribute column name in index: %s.", a);
        if (!base_def(s, a))
            return invalid(err,
                           "Attribute column %s of index %s is not a defined column of table "
                           "%s.",
                           a, d->name, s->name);
        if (listed(d->keys, d->n_keys, a))
            return invalid(err,
                           "Column %s is both a primary key and an attribute column of index "
                           "%s.",
                           a, d->name);
    }
    if (d->local && strcmp(d->keys[0], s->pk[0].name))
        return invalid(err,
                       "The first primary key column of local index %s must be the partition key "
                       "of table %s: %s.",
                       d->name, s->name, s->pk[0].name);
    return EMU_OK;
}

static ots_pk_type key_type(const ots_table_schema *s, const char *name)
{
    const ots_pk_col *p = base_pk(s, name);
    if (p)
        return p->type;
    ots_col_type t = base_def(s, name)->type;
    return t == OTS_COL_INTEGER  ? OTS_PK_INTEGER
           : t == OTS_COL_STRING ? OTS_PK_STRING
                                 : OTS_PK_BINARY;
}

static bool index_row(const ots_table_t *t, const ots_index_def *d, const ots_row_t *row,
                      emu_arena *a, ots_row_t *out);

static int cell_name_cmp(const void *a, const void *b)
{
    const ots_cell *x = a, *y = b;
    size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
    int c = memcmp(x->name.p, y->name.p, n);
    return c ? c : (x->name.len > y->name.len) - (x->name.len < y->name.len);
}

/* Stores the index row of one base row without the journal: the build's
 * rows are derived data, and a journal record for a table that the log
 * creates only with the call's META record (written after the call) could
 * not be replayed; replay rebuilds instead (ots_index_rebuild). */
static emu_rc load_index_row(ots_table_t *t, const ots_index_def *d, const ots_row_t *base_row,
                             emu_arena *a, emu_err *err)
{
    ots_row_t n;
    if (!index_row(t, d, base_row, a, &n))
        return EMU_OK;
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];
    for (size_t i = 0; i < n.n_pk; i++)
        vals[i] = n.pk[i].value;
    size_t klen = ots__key_encode(vals, n.n_pk, key);
    qsort(n.attrs, n.n_attrs, sizeof *n.attrs, cell_name_cmp);
    ots__xcell *x = emu_arena_alloc(a, (n.n_attrs + 1) * sizeof *x);
    for (size_t i = 0; i < n.n_attrs; i++)
        x[i] = (ots__xcell){ots__name_intern(t, n.attrs[i].name.p, n.attrs[i].name.len),
                            n.attrs[i].ts, n.attrs[i].value};
    return ots__store_load_row(t, key, klen, x, n.n_attrs, err);
}

/* Fills the index's rows from every visible base row. */
static emu_rc build(ots_instance_t *in, const ots_table_t *base, const ots_index_def *d,
                    emu_err *err)
{
    const ots_table_schema *s = ots_table_schema_of(base);
    ots_cell lo[EMU_MAX_OTS_PK_COLUMNS], hi[EMU_MAX_OTS_PK_COLUMNS];
    for (size_t i = 0; i < s->n_pk; i++) {
        lo[i] = (ots_cell){.name = emu_str_c(s->pk[i].name), .has_value = true};
        hi[i] = lo[i];
        lo[i].value.type = OTS_VT_INF_MIN;
        hi[i].value.type = OTS_VT_INF_MAX;
    }
    emu_arena *a = emu_arena_new(1 << 16), *row_a = emu_arena_new(1 << 14);
    ots_store_iter it;
    ots_read_opts o = {.max_versions = 1};
    emu_rc rc = ots_store_range_open(base, lo, s->n_pk, hi, s->n_pk, false, a, &it, err);
    ots_row_t row;
    ots_iter_rc ir;
    ots_table_t *t = ots_store_table_find(in, d->name);
    while (!rc && (ir = ots_store_range_next(&it, &o, row_a, &row)) != OTS_ITER_END) {
        if (ir == OTS_ITER_ROW)
            rc = load_index_row(t, d, &row, row_a, err);
        emu_arena_reset(row_a);
    }
    emu_arena_free(row_a);
    emu_arena_free(a);
    return rc;
}

emu_rc ots_index_create(ots_instance_t *in, const ots_table_t *base, const ots_index_def *d,
                        bool include_base_data, emu_err *err)
{
    const ots_table_schema *s = ots_table_schema_of(base);
    emu_rc rc;
    if ((rc = check_def(in, s, d, err)))
        return rc;
    if (ots_store_table_find(in, d->name))
        return emu_err_set(err, EMU_E_EXISTS, "OTSObjectAlreadyExist",
                           "Requested table already exists.");
    ots_pk_col pk[EMU_MAX_OTS_PK_COLUMNS];
    ots_def_col def[EMU_MAX_OTS_DEFINED_COLUMNS];
    size_t n = 0;
    for (size_t i = 0; i < d->n_keys; i++)
        pk[n++] = (ots_pk_col){d->keys[i], key_type(s, d->keys[i]), false};
    for (size_t i = 0; i < s->n_pk; i++)
        if (!listed(d->keys, d->n_keys, s->pk[i].name))
            pk[n++] = (ots_pk_col){s->pk[i].name, s->pk[i].type, false};
    for (size_t i = 0; i < d->n_attrs; i++)
        def[i] = (ots_def_col){d->attrs[i], base_def(s, d->attrs[i])->type};
    ots_table_schema is = {.name = d->name,
                           .pk = pk,
                           .n_pk = n,
                           .defined = def,
                           .n_defined = d->n_attrs,
                           .opts = s->opts};
    is.opts.allow_update = true;
    is.opts.stream_expiration_h = 0; /* an index has no stream, nor transactions */
    is.opts.stream_enabled_ms = 0;
    is.opts.local_txn = false;
    ots_table_t *t;
    if ((rc = ots_store_table_create(in, &is, &t, err)))
        return rc;
    ots_table_set_created_ms(t, ots_table_created_ms(base));
    inst_add(in, def_dup(d));
    if (include_base_data && (rc = build(in, base, d, err))) {
        ots_index_drop(in, d->name);
        return rc;
    }
    return EMU_OK;
}

emu_rc ots_index_rebuild(ots_instance_t *in, const char *name, emu_err *err)
{
    const ots_index_def *d = ots_index_find(in, name);
    const ots_table_t *base = d ? ots_store_table_find(in, d->base) : NULL;
    return base && ots_store_table_find(in, name) ? build(in, base, d, err) : EMU_OK;
}

void ots_index_drop(ots_instance_t *in, const char *name)
{
    idx_inst *e = inst_of(in, false);
    for (size_t k = 0; e && k < e->n; k++) {
        if (strcmp(e->defs[k]->name, name))
            continue;
        emu_err ignored = {0};
        ots_store_table_drop(in, name, &ignored);
        def_free(e->defs[k]);
        memmove(&e->defs[k], &e->defs[k + 1], (e->n - k - 1) * sizeof *e->defs);
        e->n--;
        return;
    }
}

/* ---- Maintenance ----------------------------------------------------------- */

static const ots_cell *cell_named(const ots_row_t *row, const char *name)
{
    for (size_t i = 0; i < row->n_pk; i++)
        if (emu_str_eq_c(row->pk[i].name, name))
            return &row->pk[i];
    for (size_t i = 0; i < row->n_attrs; i++) /* newest version first */
        if (emu_str_eq_c(row->attrs[i].name, name))
            return &row->attrs[i];
    return NULL;
}

/* The index row of a base row (newest versions); false when the base row
 * lacks one of the index's key columns (it is not in the index). */
static bool index_row(const ots_table_t *t, const ots_index_def *d, const ots_row_t *row,
                      emu_arena *a, ots_row_t *out)
{
    const ots_table_schema *is = ots_table_schema_of(t);
    memset(out, 0, sizeof *out);
    out->pk = emu_arena_alloc(a, is->n_pk * sizeof *out->pk);
    for (size_t i = 0; i < is->n_pk; i++) {
        const ots_cell *c = cell_named(row, is->pk[i].name);
        if (!c || !c->has_value)
            return false;
        out->pk[i] =
            (ots_cell){.name = emu_str_c(is->pk[i].name), .value = c->value, .has_value = true};
    }
    out->n_pk = is->n_pk;
    out->attrs = emu_arena_alloc(a, (d->n_attrs + 1) * sizeof *out->attrs);
    for (size_t i = 0; i < d->n_attrs; i++) {
        const ots_cell *c = cell_named(row, d->attrs[i]);
        if (c && c->has_value)
            out->attrs[out->n_attrs++] = *c;
    }
    return true;
}

static bool same_key(const ots_row_t *x, const ots_row_t *y)
{
    ots_value vx[EMU_MAX_OTS_PK_COLUMNS], vy[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t kx[OTS__KEY_MAX], ky[OTS__KEY_MAX];
    for (size_t i = 0; i < x->n_pk; i++) {
        vx[i] = x->pk[i].value;
        vy[i] = y->pk[i].value;
    }
    size_t lx = ots__key_encode(vx, x->n_pk, kx), ly = ots__key_encode(vy, y->n_pk, ky);
    return lx == ly && memcmp(kx, ky, lx) == 0;
}

emu_rc ots_index_apply_one(ots_table_t *t, const ots_index_def *d, const ots_table_t *base,
                           const ots_row_t *old, const ots_row_t *now, emu_arena *a, emu_err *err)
{
    (void)base;
    ots_row_t o, n;
    bool have_old = old && index_row(t, d, old, a, &o);
    bool have_new = now && index_row(t, d, now, a, &n);
    emu_rc rc = EMU_OK;
    if (have_old && !(have_new && same_key(&o, &n)))
        rc = ots_store_delete(t, o.pk, o.n_pk, NULL, err);
    if (!rc && have_new)
        rc = ots_store_put(t, &n, a, NULL, err);
    return rc;
}

emu_rc ots_index_apply(ots_instance_t *in, const ots_table_t *base, const ots_row_t *old,
                       const ots_row_t *now, emu_arena *a, emu_err *err)
{
    const ots_index_def *defs[OTS_MAX_INDEXES_PER_TABLE];
    size_t n = ots_index_list(in, ots_table_schema_of(base)->name, defs, OTS_MAX_INDEXES_PER_TABLE);
    for (size_t i = 0; i < n && i < OTS_MAX_INDEXES_PER_TABLE; i++) {
        ots_table_t *t = ots_store_table_find(in, defs[i]->name);
        emu_rc rc = t ? ots_index_apply_one(t, defs[i], base, old, now, a, err) : EMU_OK;
        if (rc)
            return rc;
    }
    return EMU_OK;
}

emu_rc ots_index_check_write(const ots_instance_t *in, const ots_table_t *base,
                             const ots_row_t *row, emu_err *err)
{
    const ots_index_def *defs[OTS_MAX_INDEXES_PER_TABLE];
    size_t n = ots_index_list(in, ots_table_schema_of(base)->name, defs, OTS_MAX_INDEXES_PER_TABLE);
    for (size_t i = 0; i < n && i < OTS_MAX_INDEXES_PER_TABLE; i++)
        for (size_t k = 0; k < defs[i]->n_keys; k++)
            for (size_t c = 0; c < row->n_attrs; c++) {
                const ots_cell *x = &row->attrs[c];
                if (!x->has_value || !emu_str_eq_c(x->name, defs[i]->keys[k]))
                    continue;
                if ((x->value.type == OTS_VT_STRING || x->value.type == OTS_VT_BINARY) &&
                    x->value.len > EMU_MAX_OTS_PK_VALUE_BYTES)
                    return invalid(err,
                                   "The length of primary key column: '%s' exceeds the "
                                   "MaxLength:%d with CurrentLength:%u in index %s.",
                                   defs[i]->keys[k], EMU_MAX_OTS_PK_VALUE_BYTES,
                                   (unsigned)x->value.len, defs[i]->name);
            }
    return EMU_OK;
}

bool ots_index_expires(const ots_instance_t *in, const ots_table_t *t)
{
    const ots_index_def *d = ots_index_find(in, ots_table_schema_of(t)->name);
    const ots_table_t *base = d ? ots_store_table_find(in, d->base) : NULL;
    return base && ots_table_schema_of(base)->opts.ttl_s != -1;
}

bool ots_index_row_visible(const ots_instance_t *in, const ots_table_t *t, const ots_row_t *row,
                           emu_arena *a)
{
    if (!ots_index_expires(in, t))
        return true;
    const ots_index_def *d = ots_index_find(in, ots_table_schema_of(t)->name);
    const ots_table_t *base = ots_store_table_find(in, d->base);
    const ots_table_schema *bs = ots_table_schema_of(base);
    ots_cell pk[EMU_MAX_OTS_PK_COLUMNS];
    for (size_t i = 0; i < bs->n_pk; i++) {
        const ots_cell *c = cell_named(row, bs->pk[i].name);
        if (!c)
            return false;
        pk[i] = *c;
    }
    ots_read_opts o = {.max_versions = 1};
    ots_row_t cur, want;
    bool found = false;
    emu_err e = {0};
    if (ots_store_get(base, pk, bs->n_pk, &o, a, &cur, &found, &e) || !found)
        return false; /* the base row expired: so did its index rows */
    return index_row(t, d, &cur, a, &want) && same_key(&want, row);
}
