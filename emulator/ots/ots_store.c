/* Ordered row store of Tablestore tables (see emu/ots_store.h).
 *
 * Index choice: a B+tree with 64-way leaves linked both ways, not a skiplist.
 *  - Memory: a leaf costs 8 bytes per row slot (~10 at the fill we get) and
 *    inner nodes are 1/64 of that again; a skiplist with back pointers needs
 *    ~3 pointers plus a level byte per row and one allocation per node.
 *  - Speed: a lookup is ~4 levels of binary search at 1M rows, and a range
 *    scan walks a leaf array (cache-friendly) forward or backward through the
 *    sibling links: O(log n + k) both ways, deterministic (no coin flips, so
 *    runs are repeatable like the rest of the emulator).
 *  - Appends (sorted rows files, auto-increment keys) split a full rightmost
 *    node by moving only the new entry, so bulk loads leave nodes ~100% full
 *    instead of the 50% a middle split would give.
 * Deletion frees a node when it becomes empty but does not merge half-empty
 * neighbours. Every remaining leaf holds at least one row, so a scan of k rows
 * still touches at most k+2 leaves, and the height stays bounded by the peak
 * size of the table. Separators are owned copies of the first key of the right
 * subtree at split time; a stale separator is still a correct bound.
 *
 * Keys: the PK is stored only as a memcmp-comparable encoding; rows are
 * decoded back to typed cells on the way out. Per column:
 *   INF_MIN  -> 00
 *   value    -> 01 + INTEGER: 8 bytes big-endian with the sign bit flipped
 *                    STRING/BINARY: bytes with 00 escaped as 00 FF, then 00 01
 *   INF_MAX  -> 02
 * so memcmp order is the service order of §9.1 (signed integers, unsigned
 * bytes with shorter prefix first, INF bounds) column by column.
 *
 * Rows: one blob per row = header + key + packed cells sorted by column name
 * then timestamp descending; a cell is u32 name id (names interned per table),
 * u8 type, i64 ts, payload. A write rebuilds the blob (rows are small, and a
 * write is O(row size) anyway). Bulk-loaded rows are carved from a per-table
 * slab (no per-row malloc); rows written later are malloc'd; a replaced slab
 * row's bytes are reclaimed when the table is freed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r (gnu11 already defines it) */
#endif
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/buf.h"
#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_int.h"

#define LEAF_MAX 64
#define INNER_MAX 64
#define SLAB_CHUNK (1024 * 1024)

#define SROW_SLAB 0x01

typedef struct srow {
    uint32_t size; /* bytes of the whole blob, header included */
    uint16_t key_len;
    uint8_t flags;
    uint8_t pad;
    uint32_t n_cells;
    /* key bytes, then packed cells */
} srow;

typedef struct bt_node {
    uint16_t n; /* rows (leaf) or children (inner) */
    uint8_t leaf;
} bt_node;

typedef struct bt_leaf {
    bt_node h;
    struct bt_leaf *prev, *next;
    srow *rows[LEAF_MAX];
} bt_leaf;

typedef struct bt_key {
    uint8_t *p;
    size_t len;
} bt_key;

typedef struct bt_inner {
    bt_node h;
    bt_node *child[INNER_MAX];
    bt_key sep[INNER_MAX - 1]; /* sep[i] <= every key of child[i+1] */
} bt_inner;

typedef struct slab_chunk {
    struct slab_chunk *next;
    size_t used, cap;
    uint8_t data[];
} slab_chunk;

struct ots_table {
    ots_table_schema schema; /* points into pk/defined/name below */
    char *name;
    ots_pk_col *pk;
    ots_def_col *defined;
    int64_t created_ms;
    int64_t autoinc_last;

    bt_node *root;
    bt_leaf *first, *last;
    size_t n_rows, row_bytes, n_leaves, n_inner, sep_bytes;
    slab_chunk *slab;

    /* Attribute column names, interned: id -> name; hash -> id + 1. */
    char **names;
    uint32_t *name_lens;
    uint32_t n_names, cap_names;
    uint32_t *hslots;
    uint32_t hcap;

    char *rows_file; /* load provenance for world save */
    int64_t load_ts;
    bool dirty;
    struct ots_instance *inst; /* owner, for the journal's names */
};

struct ots_instance {
    char *name;
    ots_network net;
    struct ots_store *store; /* owner */
    ots_table_t **tables;
    size_t n_tables, cap_tables;
};

struct ots_store {
    char *account_id;
    ots_instance_t **inst;
    size_t n_inst, cap_inst;
};

/* ---- Names of enums ------------------------------------------------------- */

ots_table_options ots_table_options_default(void)
{
    return (ots_table_options){
        .ttl_s = -1, .max_versions = 1, .deviation_s = 86400, .allow_update = true};
}

const char *ots_pk_type_name(ots_pk_type t)
{
    switch (t) {
    case OTS_PK_INTEGER:
        return "INTEGER";
    case OTS_PK_STRING:
        return "STRING";
    case OTS_PK_BINARY:
        return "BINARY";
    }
    return "UNKNOWN";
}

const char *ots_col_type_name(ots_col_type t)
{
    switch (t) {
    case OTS_COL_INTEGER:
        return "INTEGER";
    case OTS_COL_DOUBLE:
        return "DOUBLE";
    case OTS_COL_BOOLEAN:
        return "BOOLEAN";
    case OTS_COL_STRING:
        return "STRING";
    case OTS_COL_BINARY:
        return "BINARY";
    }
    return "UNKNOWN";
}

const char *ots_network_name(ots_network n)
{
    switch (n) {
    case OTS_NET_ANY:
        return "Any";
    case OTS_NET_VPC:
        return "Vpc";
    case OTS_NET_INTERNET:
        return "Internet";
    }
    return "Any";
}

bool ots_pk_type_parse(const char *s, ots_pk_type *out)
{
    static const ots_pk_type all[] = {OTS_PK_INTEGER, OTS_PK_STRING, OTS_PK_BINARY};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!strcmp(s, ots_pk_type_name(all[i]))) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

bool ots_col_type_parse(const char *s, ots_col_type *out)
{
    static const ots_col_type all[] = {OTS_COL_INTEGER, OTS_COL_DOUBLE, OTS_COL_BOOLEAN,
                                       OTS_COL_STRING, OTS_COL_BINARY};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!strcmp(s, ots_col_type_name(all[i]))) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

bool ots_network_parse(const char *s, ots_network *out)
{
    static const ots_network all[] = {OTS_NET_ANY, OTS_NET_VPC, OTS_NET_INTERNET};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!strcmp(s, ots_network_name(all[i]))) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

const char *ots_vtype_name(ots_vtype t)
{
    switch (t) {
    case OTS_VT_INTEGER:
        return "INTEGER";
    case OTS_VT_DOUBLE:
        return "DOUBLE";
    case OTS_VT_BOOLEAN:
        return "BOOLEAN";
    case OTS_VT_STRING:
        return "STRING";
    case OTS_VT_NULL:
        return "NULL";
    case OTS_VT_BINARY:
        return "BINARY";
    case OTS_VT_INF_MIN:
        return "INF_MIN";
    case OTS_VT_INF_MAX:
        return "INF_MAX";
    case OTS_VT_AUTO_INCREMENT:
        return "AUTO_INCREMENT";
    }
    return "UNKNOWN";
}

/* ---- Small helpers ---------------------------------------------------------- */

static bool valid_col_name(const char *s, size_t n)
{
    if (n < 1 || n > EMU_MAX_OTS_NAME_BYTES)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

static bool valid_instance_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 16 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) ||
        s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
    }
    return true;
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static const uint8_t *srow_key(const srow *r)
{
    return (const uint8_t *)(r + 1);
}

static uint8_t *srow_cells(srow *r)
{
    return (uint8_t *)(r + 1) + r->key_len;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static int64_t rd64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ---- Key encoding ------------------------------------------------------------ */

size_t ots__key_encode(const ots_value *pk, size_t n, uint8_t *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        const ots_value *v = &pk[i];
        switch (v->type) {
        case OTS_VT_INF_MIN:
            *p++ = 0x00;
            break;
        case OTS_VT_INF_MAX:
            *p++ = 0x02;
            break;
        case OTS_VT_INTEGER: {
            uint64_t u = (uint64_t)v->i ^ 0x8000000000000000ull;
            *p++ = 0x01;
            for (int b = 7; b >= 0; b--)
                *p++ = (uint8_t)(u >> (8 * b));
            break;
        }
        default: /* STRING / BINARY, checked by the caller */
            *p++ = 0x01;
            for (uint32_t j = 0; j < v->len; j++) {
                *p++ = v->p[j];
                if (!v->p[j])
                    *p++ = 0xFF;
            }
            *p++ = 0x00;
            *p++ = 0x01;
            break;
        }
    }
    assert((size_t)(p - out) <= OTS__KEY_MAX);
    return (size_t)(p - out);
}

/* Decodes a stored key back into PK cells (names from the schema, bytes
 * copied into the arena). Keys come only from ots__key_encode. */
static void key_decode(const ots_table_t *t, const uint8_t *k, size_t klen, emu_arena *a,
                       ots_cell *out)
{
    const uint8_t *p = k, *end = k + klen;
    (void)end; /* only asserted */
    for (size_t i = 0; i < t->schema.n_pk; i++) {
        ots_cell *c = &out[i];
        memset(c, 0, sizeof *c);
        c->name = emu_str_c(emu_arena_strdup(a, t->pk[i].name));
        c->has_value = true;
        assert(p < end);
        uint8_t tag = *p++;
        if (tag == 0x00) {
            c->value.type = OTS_VT_INF_MIN;
            continue;
        }
        if (tag == 0x02) {
            c->value.type = OTS_VT_INF_MAX;
            continue;
        }
        if (t->pk[i].type == OTS_PK_INTEGER) {
            uint64_t u = 0;
            for (int b = 0; b < 8; b++)
                u = u << 8 | *p++;
            c->value.type = OTS_VT_INTEGER;
            c->value.i = (int64_t)(u ^ 0x8000000000000000ull);
            continue;
        }
        c->value.type = t->pk[i].type == OTS_PK_STRING ? OTS_VT_STRING : OTS_VT_BINARY;
        /* First pass sizes the value, second copies it unescaped. */
        size_t n = 0;
        const uint8_t *q = p;
        while (!(q[0] == 0x00 && q[1] == 0x01)) {
            q += q[0] == 0x00 ? 2 : 1;
            n++;
        }
        uint8_t *dst = emu_arena_alloc(a, n + 1);
        for (size_t j = 0; j < n; j++) {
            dst[j] = *p;
            p += *p == 0x00 ? 2 : 1;
        }
        dst[n] = 0;
        p += 2;
        c->value.p = dst;
        c->value.len = (uint32_t)n;
    }
}

/* ---- PK validation ------------------------------------------------------------- */

enum pk_mode { PK_POINT, PK_PUT, PK_WRITE, PK_RANGE };

static emu_rc pk_fail(emu_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static emu_rc pk_fail(emu_err *err, const char *fmt, ...)
{
    char m[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    emu_rc rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s", m);
    if (err)
        err->code = "OTSInvalidPK";
    return rc;
}

/* Checks pk against the schema and copies the values into vals. */
static emu_rc check_pk(const ots_table_t *t, const ots_cell *pk, size_t n, enum pk_mode mode,
                       ots_value *vals, emu_err *err)
{
    char in[32], meta[32];
    if (n != t->schema.n_pk) {
        snprintf(in, sizeof in, "%zu", n);
        snprintf(meta, sizeof meta, "%zu", t->schema.n_pk);
        return pk_fail(err, "Validate PK size fail. Input: %s, Meta: %s.", in, meta);
    }
    for (size_t i = 0; i < n; i++) {
        const ots_cell *c = &pk[i];
        const ots_pk_col *col = &t->pk[i];
        if (!emu_str_eq_c(c->name, col->name)) {
            char nm[EMU_MAX_OTS_NAME_BYTES + 1];
            size_t l = c->name.len < sizeof nm - 1 ? c->name.len : sizeof nm - 1;
            memcpy(nm, c->name.p, l);
            nm[l] = 0;
            return pk_fail(err, "Validate PK name fail. Input: %s, Meta: %s.", nm, col->name);
        }
        if (!c->has_value)
            return pk_fail(err, "Validate PK value fail. Column: %s has no value.", col->name);
        ots_vtype vt = c->value.type;
        if (vt == OTS_VT_INF_MIN || vt == OTS_VT_INF_MAX) {
            if (mode != PK_RANGE) /* ParameterLegalityTest (Java SDK) */
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "VT_%s is an invalid type for the primary key.",
                                   ots_vtype_name(vt));
        } else if (vt == OTS_VT_AUTO_INCREMENT) {
            if (mode == PK_POINT || mode == PK_RANGE)
                return pk_fail(err, "PKAutoIncr can't be used for read operations.");
            if (mode == PK_WRITE)
                return pk_fail(err, "PKAutoIncr can only be used in PutRow (column %s).",
                               col->name);
            if (!col->auto_increment)
                return pk_fail(err, "Primary key column %s is not AUTO_INCREMENT.", col->name);
        } else {
            ots_vtype want = col->type == OTS_PK_INTEGER  ? OTS_VT_INTEGER
                             : col->type == OTS_PK_STRING ? OTS_VT_STRING
                                                          : OTS_VT_BINARY;
            if (vt != want) /* the service's VT_ names (Java SDK's tests) */
                return pk_fail(err, "Validate PK type fail. Input: VT_%s, Meta: VT_%s.",
                               vt == OTS_VT_BINARY ? "BLOB" : ots_vtype_name(vt),
                               want == OTS_VT_BINARY ? "BLOB" : ots_vtype_name(want));
            if ((vt == OTS_VT_STRING || vt == OTS_VT_BINARY) &&
                c->value.len > EMU_MAX_OTS_PK_VALUE_BYTES)
                return emu_err_set(
                    err, EMU_E_INVALID, NULL,
                    "The length of primary key column: '%s' exceeds the MaxLength:%d "
                    "with CurrentLength:%" PRIu32 ".",
                    col->name, EMU_MAX_OTS_PK_VALUE_BYTES, c->value.len);
        }
        vals[i] = c->value;
    }
    return EMU_OK;
}

/* ---- Names dictionary ------------------------------------------------------------ */

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static bool name_lookup(const ots_table_t *t, const char *s, size_t n, uint32_t *id)
{
    if (!t->hcap)
        return false;
    for (uint32_t i = name_hash(s, n) & (t->hcap - 1);; i = (i + 1) & (t->hcap - 1)) {
        uint32_t slot = t->hslots[i];
        if (!slot)
            return false;
        if (t->name_lens[slot - 1] == n && !memcmp(t->names[slot - 1], s, n)) {
            *id = slot - 1;
            return true;
        }
    }
}

static void hash_insert(ots_table_t *t, uint32_t id)
{
    uint32_t i = name_hash(t->names[id], t->name_lens[id]) & (t->hcap - 1);
    while (t->hslots[i])
        i = (i + 1) & (t->hcap - 1);
    t->hslots[i] = id + 1;
}

uint32_t ots__name_intern(ots_table_t *t, const char *name, size_t len)
{
    uint32_t id;
    if (name_lookup(t, name, len, &id))
        return id;
    if (t->n_names == t->cap_names) {
        t->cap_names = t->cap_names ? t->cap_names * 2 : 16;
        t->names = emu_xrealloc(t->names, t->cap_names * sizeof *t->names);
        t->name_lens = emu_xrealloc(t->name_lens, t->cap_names * sizeof *t->name_lens);
    }
    id = t->n_names++;
    t->names[id] = emu_xstrndup(name, len);
    t->name_lens[id] = (uint32_t)len;
    if ((t->n_names + 1) * 2 > t->hcap) { /* keep load <= 1/2 */
        free(t->hslots);
        t->hcap = t->hcap ? t->hcap * 2 : 32;
        t->hslots = emu_xcalloc(t->hcap, sizeof *t->hslots);
        for (uint32_t i = 0; i < t->n_names; i++)
            hash_insert(t, i);
    } else {
        hash_insert(t, id);
    }
    return id;
}

const char *ots__name_of(const ots_table_t *t, uint32_t id, size_t *len)
{
    assert(id < t->n_names);
    if (len)
        *len = t->name_lens[id];
    return t->names[id];
}

static int name_cmp(const ots_table_t *t, uint32_t a, uint32_t b)
{
    if (a == b)
        return 0;
    return key_cmp((const uint8_t *)t->names[a], t->name_lens[a], (const uint8_t *)t->names[b],
                   t->name_lens[b]);
}

/* ---- Row blobs -------------------------------------------------------------------- */

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
    if (!t->slab || t->slab->cap - t->slab->used < n) {
        size_t cap = n > SLAB_CHUNK ? n : SLAB_CHUNK;
        slab_chunk *c = emu_xmalloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = t->slab;
        t->slab = c;
    }
    void *p = t->slab->data + t->slab->used;
    t->slab->used += n;
    return p;
}

/* Serialises key + cells (already sorted) into a new blob. */
static srow *srow_build(ots_table_t *t, const uint8_t *key, size_t klen, const ots__xcell *cells,
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
    memcpy(r + 1, key, klen);
    uint8_t *p = srow_cells(r);
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
    t->row_bytes += size;
    return r;
}

/* Reads the packed cell at p into *c (bytes point into the blob). */
static const uint8_t *cell_read(const uint8_t *p, ots__xcell *c)
{
    memset(&c->v, 0, sizeof c->v);
    c->name_id = rd32(p);
    c->v.type = (ots_vtype)p[4];
    c->ts = rd64(p + 5);
    p += 13;
    switch (c->v.type) {
    case OTS_VT_INTEGER:
        c->v.i = rd64(p);
        return p + 8;
    case OTS_VT_DOUBLE:
        memcpy(&c->v.d, p, 8);
        return p + 8;
    case OTS_VT_BOOLEAN:
        c->v.b = *p != 0;
        return p + 1;
    default:
        c->v.len = rd32(p);
        c->v.p = p + 4;
        return p + 4 + c->v.len;
    }
}

static void srow_free(ots_table_t *t, srow *r)
{
    t->row_bytes -= r->size;
    if (!(r->flags & SROW_SLAB))
        free(r);
}

/* ---- B+tree ----------------------------------------------------------------------- */

/* Index of the first row in leaf >= key. */
static int leaf_lower(const bt_leaf *l, const uint8_t *k, size_t klen)
{
    int lo = 0, hi = l->h.n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const srow *r = l->rows[mid];
        if (key_cmp(srow_key(r), r->key_len, k, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Child index of an inner node for key: the number of separators <= key. */
static int inner_child(const bt_inner *in, const uint8_t *k, size_t klen)
{
    int lo = 0, hi = in->h.n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (key_cmp(in->sep[mid].p, in->sep[mid].len, k, klen) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Position of the first row >= key; *leaf NULL when there is none. */
static void bt_lower_bound(const ots_table_t *t, const uint8_t *k, size_t klen, bt_leaf **leaf,
                           int *idx)
{
    bt_node *n = t->root;
    *leaf = NULL;
    *idx = 0;
    if (!n)
        return;
    while (!n->leaf) {
        const bt_inner *in = (const bt_inner *)n;
        n = in->child[inner_child(in, k, klen)];
    }
    bt_leaf *l = (bt_leaf *)n;
    int i = leaf_lower(l, k, klen);
    if (i == l->h.n) {
        l = l->next;
        i = 0;
    }
    *leaf = l;
    *idx = i;
}

static bool bt_find(const ots_table_t *t, const uint8_t *k, size_t klen, bt_leaf **leaf, int *idx)
{
    bt_lower_bound(t, k, klen, leaf, idx);
    if (!*leaf)
        return false;
    const srow *r = (*leaf)->rows[*idx];
    return key_cmp(srow_key(r), r->key_len, k, klen) == 0;
}

static bt_key key_copy(ots_table_t *t, const uint8_t *k, size_t klen)
{
    bt_key c = {emu_xmalloc(klen ? klen : 1), klen};
    memcpy(c.p, k, klen);
    t->sep_bytes += klen;
    return c;
}

static bt_leaf *leaf_new(ots_table_t *t)
{
    bt_leaf *l = emu_xcalloc(1, sizeof *l);
    l->h.leaf = 1;
    t->n_leaves++;
    return l;
}

static bt_inner *inner_new(ots_table_t *t)
{
    bt_inner *in = emu_xcalloc(1, sizeof *in);
    t->n_inner++;
    return in;
}

/* Inserts r (its key is not stored yet) below n. When n splits, returns the
 * new right sibling and sets *sep to its lower bound. */
static bt_node *bt_insert(ots_table_t *t, bt_node *n, srow *r, bt_key *sep)
{
    const uint8_t *k = srow_key(r);
    if (n->leaf) {
        bt_leaf *l = (bt_leaf *)n;
        int pos = leaf_lower(l, k, r->key_len);
        if (l->h.n < LEAF_MAX) {
            memmove(&l->rows[pos + 1], &l->rows[pos], (size_t)(l->h.n - pos) * sizeof(srow *));
            l->rows[pos] = r;
            l->h.n++;
            return NULL;
        }
        srow *tmp[LEAF_MAX + 1];
        memcpy(tmp, l->rows, (size_t)pos * sizeof(srow *));
        tmp[pos] = r;
        memcpy(&tmp[pos + 1], &l->rows[pos], (size_t)(LEAF_MAX - pos) * sizeof(srow *));
        int split = pos == LEAF_MAX ? LEAF_MAX : (LEAF_MAX + 1) / 2;
        bt_leaf *right = leaf_new(t);
        memcpy(l->rows, tmp, (size_t)split * sizeof(srow *));
        l->h.n = (uint16_t)split;
        memcpy(right->rows, &tmp[split], (size_t)(LEAF_MAX + 1 - split) * sizeof(srow *));
        right->h.n = (uint16_t)(LEAF_MAX + 1 - split);
        right->prev = l;
        right->next = l->next;
        if (l->next)
            l->next->prev = right;
        else
            t->last = right;
        l->next = right;
        *sep = key_copy(t, srow_key(right->rows[0]), right->rows[0]->key_len);
        return &right->h;
    }

    bt_inner *in = (bt_inner *)n;
    int ci = inner_child(in, k, r->key_len);
    bt_key up;
    bt_node *right = bt_insert(t, in->child[ci], r, &up);
    if (!right)
        return NULL;
    int nc = in->h.n;
    if (nc < INNER_MAX) {
        memmove(&in->child[ci + 2], &in->child[ci + 1], (size_t)(nc - ci - 1) * sizeof(bt_node *));
        memmove(&in->sep[ci + 1], &in->sep[ci], (size_t)(nc - 1 - ci) * sizeof(bt_key));
        in->child[ci + 1] = right;
        in->sep[ci] = up;
        in->h.n++;
        return NULL;
    }
    bt_node *tc[INNER_MAX + 1];
    bt_key ts[INNER_MAX];
    memcpy(tc, in->child, (size_t)(ci + 1) * sizeof(bt_node *));
    tc[ci + 1] = right;
    memcpy(&tc[ci + 2], &in->child[ci + 1], (size_t)(INNER_MAX - ci - 1) * sizeof(bt_node *));
    memcpy(ts, in->sep, (size_t)ci * sizeof(bt_key));
    ts[ci] = up;
    memcpy(&ts[ci + 1], &in->sep[ci], (size_t)(INNER_MAX - 1 - ci) * sizeof(bt_key));
    /* Children 0..split-1 stay; separator split-1 moves up. */
    int split = ci + 1 == INNER_MAX ? INNER_MAX : (INNER_MAX + 1) / 2;
    bt_inner *rn = inner_new(t);
    memcpy(in->child, tc, (size_t)split * sizeof(bt_node *));
    memcpy(in->sep, ts, (size_t)(split - 1) * sizeof(bt_key));
    in->h.n = (uint16_t)split;
    memcpy(rn->child, &tc[split], (size_t)(INNER_MAX + 1 - split) * sizeof(bt_node *));
    memcpy(rn->sep, &ts[split], (size_t)(INNER_MAX - split) * sizeof(bt_key));
    rn->h.n = (uint16_t)(INNER_MAX + 1 - split);
    *sep = ts[split - 1];
    return &rn->h;
}

static void tree_insert(ots_table_t *t, srow *r)
{
    if (!t->root) {
        bt_leaf *l = leaf_new(t);
        l->rows[0] = r;
        l->h.n = 1;
        t->root = &l->h;
        t->first = t->last = l;
    } else {
        bt_key sep;
        bt_node *right = bt_insert(t, t->root, r, &sep);
        if (right) {
            bt_inner *root = inner_new(t);
            root->child[0] = t->root;
            root->child[1] = right;
            root->sep[0] = sep;
            root->h.n = 2;
            t->root = &root->h;
        }
    }
    t->n_rows++;
}

static void sep_free(ots_table_t *t, bt_key *k)
{
    t->sep_bytes -= k->len;
    free(k->p);
}

/* Removes the row with key k below n into *removed. Returns true when n became
 * empty (and was freed). */
static bool bt_remove(ots_table_t *t, bt_node *n, const uint8_t *k, size_t klen, srow **removed)
{
    if (n->leaf) {
        bt_leaf *l = (bt_leaf *)n;
        int i = leaf_lower(l, k, klen);
        if (i == l->h.n || key_cmp(srow_key(l->rows[i]), l->rows[i]->key_len, k, klen))
            return false;
        *removed = l->rows[i];
        memmove(&l->rows[i], &l->rows[i + 1], (size_t)(l->h.n - i - 1) * sizeof(srow *));
        if (--l->h.n)
            return false;
        if (l->prev)
            l->prev->next = l->next;
        else
            t->first = l->next;
        if (l->next)
            l->next->prev = l->prev;
        else
            t->last = l->prev;
        free(l);
        t->n_leaves--;
        return true;
    }
    bt_inner *in = (bt_inner *)n;
    int ci = inner_child(in, k, klen);
    if (!bt_remove(t, in->child[ci], k, klen, removed))
        return false;
    int nc = in->h.n;
    /* Drop the child and the separator on its left (or, for child 0, the one
     * on its right: child 1 inherits this node's lower bound). */
    if (nc > 1) {
        int si = ci > 0 ? ci - 1 : 0;
        sep_free(t, &in->sep[si]);
        memmove(&in->sep[si], &in->sep[si + 1], (size_t)(nc - 2 - si) * sizeof(bt_key));
    }
    memmove(&in->child[ci], &in->child[ci + 1], (size_t)(nc - ci - 1) * sizeof(bt_node *));
    if (--in->h.n)
        return false;
    free(in);
    t->n_inner--;
    return true;
}

static srow *tree_remove(ots_table_t *t, const uint8_t *k, size_t klen)
{
    srow *removed = NULL;
    if (!t->root)
        return NULL;
    if (bt_remove(t, t->root, k, klen, &removed)) {
        t->root = NULL;
        t->first = t->last = NULL;
    }
    /* Shrink the height while the root has a single child. */
    while (t->root && !t->root->leaf && t->root->n == 1) {
        bt_inner *old = (bt_inner *)t->root;
        t->root = old->child[0];
        free(old);
        t->n_inner--;
    }
    if (removed)
        t->n_rows--;
    return removed;
}

static void bt_free(ots_table_t *t, bt_node *n)
{
    if (n->leaf) {
        bt_leaf *l = (bt_leaf *)n;
        for (int i = 0; i < l->h.n; i++)
            srow_free(t, l->rows[i]);
        free(l);
        return;
    }
    bt_inner *in = (bt_inner *)n;
    for (int i = 0; i < in->h.n; i++)
        bt_free(t, in->child[i]);
    for (int i = 0; i + 1 < in->h.n; i++)
        free(in->sep[i].p);
    free(in);
}

static bt_node *bt_clone(ots_table_t *dst, const bt_node *n, bt_leaf **prev)
{
    if (n->leaf) {
        const bt_leaf *l = (const bt_leaf *)n;
        bt_leaf *c = leaf_new(dst);
        c->h.n = l->h.n;
        for (int i = 0; i < l->h.n; i++) {
            srow *r = slab_alloc(dst, l->rows[i]->size);
            memcpy(r, l->rows[i], l->rows[i]->size);
            r->flags |= SROW_SLAB;
            dst->row_bytes += r->size;
            c->rows[i] = r;
        }
        c->prev = *prev;
        if (*prev)
            (*prev)->next = c;
        else
            dst->first = c;
        *prev = c;
        dst->last = c;
        return &c->h;
    }
    const bt_inner *in = (const bt_inner *)n;
    bt_inner *c = inner_new(dst);
    c->h.n = in->h.n;
    for (int i = 0; i < in->h.n; i++)
        c->child[i] = bt_clone(dst, in->child[i], prev);
    for (int i = 0; i + 1 < in->h.n; i++)
        c->sep[i] = key_copy(dst, in->sep[i].p, in->sep[i].len);
    return &c->h;
}

/* ---- Tables ---------------------------------------------------------------------------- */

static void table_free(ots_table_t *t)
{
    if (!t)
        return;
    if (t->root)
        bt_free(t, t->root);
    while (t->slab) {
        slab_chunk *c = t->slab;
        t->slab = c->next;
        free(c);
    }
    for (uint32_t i = 0; i < t->n_names; i++)
        free(t->names[i]);
    free(t->names);
    free(t->name_lens);
    free(t->hslots);
    for (size_t i = 0; i < t->schema.n_pk; i++)
        free((char *)t->pk[i].name);
    for (size_t i = 0; i < t->schema.n_defined; i++)
        free((char *)t->defined[i].name);
    free(t->pk);
    free(t->defined);
    free(t->name);
    free(t->rows_file);
    free(t);
}

static emu_rc check_options(const ots_table_options *o, emu_err *err)
{
    if (o->ttl_s == 0 || o->ttl_s < -1)
        return emu_err_set(err, EMU_E_INVALID, NULL, "TimeToLive cannot be 0 or less than -1.");
    if (o->max_versions <= 0)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "The maximum versions cannot be less than or equal to 0.");
    if (o->deviation_s <= 0)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "DeviationCellVersionInSec must be greater than 0.");
    return EMU_OK;
}

static emu_rc check_schema(const ots_table_schema *s, emu_err *err)
{
    if (!s->name || !valid_col_name(s->name, strlen(s->name)))
        return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid table name: %s.",
                           s->name ? s->name : "");
    if (s->n_pk < 1 || s->n_pk > EMU_MAX_OTS_PK_COLUMNS)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "The number of primary key columns must be in range: [1, 4].");
    size_t n_auto = 0;
    for (size_t i = 0; i < s->n_pk; i++) {
        const ots_pk_col *c = &s->pk[i];
        if (!c->name || !valid_col_name(c->name, strlen(c->name)))
            return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid column name: %s.",
                               c->name ? c->name : "");
        if (c->type != OTS_PK_INTEGER && c->type != OTS_PK_STRING && c->type != OTS_PK_BINARY)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%d is an invalid type for the primary key.", (int)c->type);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->pk[j].name, c->name))
                return emu_err_set(err, EMU_E_INVALID, NULL, "Duplicated primary key name: '%s'.",
                                   c->name);
        if (c->auto_increment) {
            if (c->type != OTS_PK_INTEGER)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "AUTO_INCREMENT primary key must be integer.");
            if (i == 0)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "First primary key can't be auto increment, table: %s.",
                                   s->name);
            if (++n_auto > 1)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "AUTO_INCREMENT primary key count must <= 1.");
        }
    }
    if (s->n_defined > EMU_MAX_OTS_DEFINED_COLUMNS)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "The number of defined columns must be in range: [0, 32].");
    for (size_t i = 0; i < s->n_defined; i++) {
        const ots_def_col *c = &s->defined[i];
        if (!c->name || !valid_col_name(c->name, strlen(c->name)))
            return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid column name: %s.",
                               c->name ? c->name : "");
        ots_col_type ct = c->type;
        if (ct != OTS_COL_INTEGER && ct != OTS_COL_DOUBLE && ct != OTS_COL_BOOLEAN &&
            ct != OTS_COL_STRING && ct != OTS_COL_BINARY)
            return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid type of defined column: %s.",
                               c->name);
        for (size_t j = 0; j < s->n_pk; j++)
            if (!strcmp(s->pk[j].name, c->name))
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "Duplicated attribute column name with primary key column: %s.",
                                   c->name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->defined[j].name, c->name))
                return emu_err_set(err, EMU_E_INVALID, NULL, "Duplicated defined column name: %s.",
                                   c->name);
    }
    return check_options(&s->opts, err);
}

static ots_table_t *table_new(const ots_table_schema *s)
{
    ots_table_t *t = emu_xcalloc(1, sizeof *t);
    t->name = emu_xstrdup(s->name);
    t->pk = emu_xcalloc(s->n_pk, sizeof *t->pk);
    for (size_t i = 0; i < s->n_pk; i++) {
        t->pk[i] = s->pk[i];
        t->pk[i].name = emu_xstrdup(s->pk[i].name);
    }
    t->defined = emu_xcalloc(s->n_defined ? s->n_defined : 1, sizeof *t->defined);
    for (size_t i = 0; i < s->n_defined; i++) {
        t->defined[i] = s->defined[i];
        t->defined[i].name = emu_xstrdup(s->defined[i].name);
    }
    t->schema = (ots_table_schema){t->name, t->pk, s->n_pk, t->defined, s->n_defined, s->opts};
    t->created_ms = emu_clock_now_ms();
    return t;
}

static ots_table_t *table_clone(const ots_table_t *src)
{
    ots_table_t *t = table_new(&src->schema);
    t->created_ms = src->created_ms;
    t->autoinc_last = src->autoinc_last;
    for (uint32_t i = 0; i < src->n_names; i++)
        ots__name_intern(t, src->names[i], src->name_lens[i]);
    if (src->root) {
        bt_leaf *prev = NULL;
        t->root = bt_clone(t, src->root, &prev);
    }
    t->n_rows = src->n_rows;
    t->rows_file = src->rows_file ? emu_xstrdup(src->rows_file) : NULL;
    t->load_ts = src->load_ts;
    t->dirty = src->dirty;
    return t;
}

emu_rc ots_store_table_create(ots_instance_t *in, const ots_table_schema *schema, ots_table_t **out,
                              emu_err *err)
{
    emu_rc rc = check_schema(schema, err);
    if (rc)
        return rc;
    if (ots_store_table_find(in, schema->name))
        return emu_err_set(err, EMU_E_EXISTS, NULL, "Requested table already exists.");
    if (in->n_tables >= EMU_MAX_OTS_TABLES)
        return emu_err_set(err, EMU_E_LIMIT, NULL, "Number of tables exceeded the quota.");
    if (in->n_tables == in->cap_tables) {
        in->cap_tables = in->cap_tables ? in->cap_tables * 2 : 4;
        in->tables = emu_xrealloc(in->tables, in->cap_tables * sizeof *in->tables);
    }
    ots_table_t *t = table_new(schema);
    t->inst = in;
    in->tables[in->n_tables++] = t;
    if (out)
        *out = t;
    return EMU_OK;
}

emu_rc ots_store_table_drop(ots_instance_t *in, const char *name, emu_err *err)
{
    for (size_t i = 0; i < in->n_tables; i++) {
        if (!strcmp(in->tables[i]->name, name)) {
            table_free(in->tables[i]);
            memmove(&in->tables[i], &in->tables[i + 1],
                    (in->n_tables - i - 1) * sizeof *in->tables);
            in->n_tables--;
            return EMU_OK;
        }
    }
    return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "Requested table does not exist.");
}

ots_table_t *ots_store_table_find(const ots_instance_t *in, const char *name)
{
    for (size_t i = 0; i < in->n_tables; i++)
        if (!strcmp(in->tables[i]->name, name))
            return in->tables[i];
    return NULL;
}

size_t ots_store_table_count(const ots_instance_t *in)
{
    return in->n_tables;
}

ots_table_t *ots_store_table_at(const ots_instance_t *in, size_t i)
{
    return i < in->n_tables ? in->tables[i] : NULL;
}

const ots_table_schema *ots_table_schema_of(const ots_table_t *t)
{
    return &t->schema;
}

emu_rc ots_table_set_options(ots_table_t *t, const ots_table_options *opts, emu_err *err)
{
    emu_rc rc = check_options(opts, err);
    if (!rc)
        t->schema.opts = *opts;
    return rc;
}

int64_t ots_table_created_ms(const ots_table_t *t)
{
    return t->created_ms;
}

void ots_table_set_created_ms(ots_table_t *t, int64_t ms)
{
    t->created_ms = ms;
}

size_t ots_table_row_count(const ots_table_t *t)
{
    return t->n_rows;
}

size_t ots_table_bytes(const ots_table_t *t)
{
    size_t names = 0;
    for (uint32_t i = 0; i < t->n_names; i++)
        names += t->name_lens[i] + 1 + sizeof(char *) + sizeof(uint32_t);
    return sizeof *t + t->row_bytes + t->n_leaves * sizeof(bt_leaf) +
           t->n_inner * sizeof(bt_inner) + t->sep_bytes + names + t->hcap * sizeof(uint32_t);
}

bool ots_table_dirty(const ots_table_t *t)
{
    return t->dirty;
}

void ots__table_set_loaded(ots_table_t *t, const char *abs_rows_file, int64_t load_ts)
{
    free(t->rows_file);
    t->rows_file = abs_rows_file ? emu_xstrdup(abs_rows_file) : NULL;
    t->load_ts = load_ts;
    t->dirty = false;
}

void ots__autoinc_seen(ots_table_t *t, int64_t v)
{
    if (v > t->autoinc_last)
        t->autoinc_last = v;
}

const char *ots__table_rows_file(const ots_table_t *t)
{
    return t->rows_file;
}

int64_t ots__table_load_ts(const ots_table_t *t)
{
    return t->load_ts;
}

const ots_def_col *ots__defined_col(const ots_table_t *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->schema.n_defined; i++)
        if (strlen(t->defined[i].name) == len && !memcmp(t->defined[i].name, name, len))
            return &t->defined[i];
    return NULL;
}

/* ---- Instances and the store ----------------------------------------------------------- */

ots_store_t *ots_store_new(const char *account_id)
{
    ots_store_t *s = emu_xcalloc(1, sizeof *s);
    s->account_id = account_id ? emu_xstrdup(account_id) : NULL;
    return s;
}

static void instance_free(ots_instance_t *in)
{
    for (size_t i = 0; i < in->n_tables; i++)
        table_free(in->tables[i]);
    free(in->tables);
    free(in->name);
    free(in);
}

void ots_store_free(ots_store_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_inst; i++)
        instance_free(s->inst[i]);
    free(s->inst);
    free(s->account_id);
    free(s);
}

ots_store_t *ots_store_clone(const ots_store_t *s)
{
    ots_store_t *c = ots_store_new(s->account_id);
    c->cap_inst = c->n_inst = s->n_inst;
    c->inst = emu_xcalloc(s->n_inst ? s->n_inst : 1, sizeof *c->inst);
    for (size_t i = 0; i < s->n_inst; i++) {
        const ots_instance_t *src = s->inst[i];
        ots_instance_t *in = emu_xcalloc(1, sizeof *in);
        in->name = emu_xstrdup(src->name);
        in->net = src->net;
        in->store = c;
        in->n_tables = in->cap_tables = src->n_tables;
        in->tables = emu_xcalloc(src->n_tables ? src->n_tables : 1, sizeof *in->tables);
        for (size_t j = 0; j < src->n_tables; j++) {
            in->tables[j] = table_clone(src->tables[j]);
            in->tables[j]->inst = in;
        }
        c->inst[i] = in;
    }
    return c;
}

const char *ots_store_account_id(const ots_store_t *s)
{
    return s->account_id;
}

emu_rc ots_store_instance_create(ots_store_t *s, const char *name, ots_network net,
                                 ots_instance_t **out, emu_err *err)
{
    if (!valid_instance_name(name))
        return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid instance name: %s.", name);
    if (ots_store_instance_find(s, name))
        return emu_err_set(err, EMU_E_EXISTS, NULL, "Instance %s already exists.", name);
    if (s->n_inst >= EMU_MAX_OTS_INSTANCES)
        return emu_err_set(err, EMU_E_LIMIT, NULL, "Number of instances exceeded the quota.");
    if (s->n_inst == s->cap_inst) {
        s->cap_inst = s->cap_inst ? s->cap_inst * 2 : 4;
        s->inst = emu_xrealloc(s->inst, s->cap_inst * sizeof *s->inst);
    }
    ots_instance_t *in = emu_xcalloc(1, sizeof *in);
    in->name = emu_xstrdup(name);
    in->net = net;
    in->store = s;
    s->inst[s->n_inst++] = in;
    if (out)
        *out = in;
    return EMU_OK;
}

ots_instance_t *ots_store_instance_find(const ots_store_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_inst; i++)
        if (!strcmp(s->inst[i]->name, name))
            return s->inst[i];
    return NULL;
}

size_t ots_store_instance_count(const ots_store_t *s)
{
    return s->n_inst;
}

ots_instance_t *ots_store_instance_at(const ots_store_t *s, size_t i)
{
    return i < s->n_inst ? s->inst[i] : NULL;
}

const char *ots_instance_name(const ots_instance_t *in)
{
    return in->name;
}

ots_network ots_instance_network(const ots_instance_t *in)
{
    return in->net;
}

/* ---- Reading rows ------------------------------------------------------------------------ */

static bool cell_alive(const ots_table_t *t, int64_t ts, int64_t now)
{
    int32_t ttl = t->schema.opts.ttl_s;
    return ttl < 0 || ts >= now - (int64_t)ttl * 1000;
}

static bool name_in_list(const ots_table_t *t, uint32_t id, const emu_str *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].len == t->name_lens[id] && !memcmp(list[i].p, t->names[id], list[i].len))
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

/* Projects a stored row into *out. raw = every stored cell, no TTL, no
 * options (export). Returns false when the row is not visible. */
static bool row_out(const ots_table_t *t, srow *r, const ots_read_opts *o, bool raw, int64_t now,
                    emu_arena *a, ots_row_t *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *p = srow_cells(r);
    size_t n_alive = 0, n = 0;
    ots_cell *cells = r->n_cells ? emu_arena_alloc(a, r->n_cells * sizeof *cells) : NULL;
    uint32_t cur = UINT32_MAX;
    int32_t versions = 0;

    for (uint32_t i = 0; i < r->n_cells; i++) {
        ots__xcell x;
        p = cell_read(p, &x);
        if (!raw && !cell_alive(t, x.ts, now))
            continue;
        n_alive++;
        if (!raw && o) {
            if (o->n_columns && !name_in_list(t, x.name_id, o->columns, o->n_columns))
                continue;
            emu_str nm = {t->names[x.name_id], t->name_lens[x.name_id]};
            if (o->start_column.p &&
                key_cmp((const uint8_t *)nm.p, nm.len, (const uint8_t *)o->start_column.p,
                        o->start_column.len) < 0)
                continue;
            if (o->end_column.p &&
                key_cmp((const uint8_t *)nm.p, nm.len, (const uint8_t *)o->end_column.p,
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
        c->name = (emu_str){emu_arena_strndup(a, t->names[x.name_id], t->name_lens[x.name_id]),
                            t->name_lens[x.name_id]};
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
    key_decode(t, srow_key(r), r->key_len, a, out->pk);
    out->attrs = cells;
    out->n_attrs = n;
    return true;
}

emu_rc ots_store_get(const ots_table_t *t, const ots_cell *pk, size_t n_pk,
                     const ots_read_opts *opts, emu_arena *a, ots_row_t *out, bool *found,
                     emu_err *err)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];
    bt_leaf *l;
    int i;

    *found = false;
    emu_rc rc = check_pk(t, pk, n_pk, PK_POINT, vals, err);
    if (rc)
        return rc;
    size_t klen = ots__key_encode(vals, n_pk, key);
    if (bt_find(t, key, klen, &l, &i))
        *found = row_out(t, l->rows[i], opts, false, emu_clock_now_ms(), a, out);
    return EMU_OK;
}

emu_rc ots_store_exists(const ots_table_t *t, const ots_cell *pk, size_t n_pk, bool *exists,
                        emu_err *err)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];
    bt_leaf *l;
    int i;

    *exists = false;
    emu_rc rc = check_pk(t, pk, n_pk, PK_POINT, vals, err);
    if (rc)
        return rc;
    size_t klen = ots__key_encode(vals, n_pk, key);
    if (!bt_find(t, key, klen, &l, &i))
        return EMU_OK;
    srow *r = l->rows[i];
    if (!r->n_cells) {
        *exists = true;
        return EMU_OK;
    }
    int64_t now = emu_clock_now_ms();
    const uint8_t *p = srow_cells(r);
    for (uint32_t c = 0; c < r->n_cells && !*exists; c++) {
        ots__xcell x;
        p = cell_read(p, &x);
        *exists = cell_alive(t, x.ts, now);
    }
    return EMU_OK;
}

/* ---- Writing rows ------------------------------------------------------------------------ */

static void journal_row(const ots_table_t *t, const uint8_t *key, size_t klen, const srow *r);

#define DEAD UINT32_MAX /* name id of a cell deleted by an update op */

typedef struct wcell {
    ots__xcell c;
    uint32_t ord; /* write order: later wins on equal (name, ts) */
} wcell;

static int wcell_cmp(const void *a, const void *b, void *ctx)
{
    const wcell *x = a, *y = b;
    if (x->c.name_id == DEAD || y->c.name_id == DEAD) /* deleted cells sort last */
        return (x->c.name_id == DEAD) - (y->c.name_id == DEAD);
    int c = name_cmp(ctx, x->c.name_id, y->c.name_id);
    if (c)
        return c;
    if (x->c.ts != y->c.ts)
        return x->c.ts > y->c.ts ? -1 : 1;
    return x->ord > y->ord ? -1 : x->ord < y->ord;
}

/* Sorts, dedupes (same name and ts: the later write wins), drops expired
 * and deleted cells, trims each column to max_versions and stores the row
 * under key (replacing the row at leaf/idx when found). */
static void finish_row(ots_table_t *t, const uint8_t *key, size_t klen, wcell *w, size_t n,
                       int64_t now, emu_arena *a)
{
    qsort_r(w, n, sizeof *w, wcell_cmp, t);
    ots__xcell *keep = emu_arena_alloc(a, (n ? n : 1) * sizeof *keep);
    size_t k = 0, expired = 0;
    uint32_t cur = DEAD;
    int32_t versions = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i].c.name_id == DEAD)
            continue;
        if (!cell_alive(t, w[i].c.ts, now)) {
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
    bt_leaf *l;
    int idx;
    t->dirty = true;
    if (!k && expired) {
        /* Everything written or kept has already expired: the row is gone,
         * as if TTL had removed it (a row that merely lost its columns to
         * deletes stays, §9.1). */
        srow *old = tree_remove(t, key, klen);
        if (old) {
            srow_free(t, old);
            journal_row(t, key, klen, NULL);
        }
        return;
    }
    /* The new blob is built before the old one is freed: keep[] may point
     * into it. */
    srow *r = srow_build(t, key, klen, keep, k, false);
    if (bt_find(t, key, klen, &l, &idx)) {
        srow_free(t, l->rows[idx]);
        l->rows[idx] = r;
    } else {
        tree_insert(t, r);
    }
    journal_row(t, key, klen, r);
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
    if (!valid_col_name(name.p, name.len))
        return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid column name: %.*s.",
                           (int)(name.len > 255 ? 255 : name.len), name.p);
    return EMU_OK;
}

/* Validates the PK of a write, fills auto-increment and encodes the key. */
static emu_rc write_key(ots_table_t *t, const ots_row_t *row, enum pk_mode mode, ots_value *vals,
                        uint8_t *key, size_t *klen, int64_t now, emu_err *err)
{
    emu_rc rc = check_pk(t, row->pk, row->n_pk, mode, vals, err);
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
    if ((rc = write_key(t, row, PK_PUT, vals, key, &klen, now, err)))
        return rc;
    wcell *w = emu_arena_alloc(a, (row->n_attrs ? row->n_attrs : 1) * sizeof *w);
    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        w[i].c.name_id = ots__name_intern(t, c->name.p, c->name.len);
        w[i].c.v = c->value;
        w[i].c.ts = c->has_ts ? c->ts : now;
        w[i].ord = (uint32_t)i;
    }
    finish_row(t, key, klen, w, row->n_attrs, now, a);
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

    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        uint8_t op = c->has_op ? c->op : OTS_OP_PUT;
        if ((rc = check_attr_name(c->name, err)))
            return rc;
        switch (op) {
        case OTS_OP_PUT:
        case OTS_OP_INCREMENT:
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
    if ((rc = write_key(t, row, PK_WRITE, vals, key, &klen, now, err)))
        return rc;

    /* Current cells first (ord 0..m-1), then the request's in order. */
    bt_leaf *l;
    int idx;
    srow *old = bt_find(t, key, klen, &l, &idx) ? l->rows[idx] : NULL;
    size_t m = old ? old->n_cells : 0;
    wcell *w = emu_arena_alloc(a, (m + row->n_attrs + 1) * sizeof *w);
    size_t n = 0;
    const uint8_t *p = old ? srow_cells(old) : NULL;
    for (size_t i = 0; i < m; i++, n++) {
        p = cell_read(p, &w[n].c);
        w[n].ord = (uint32_t)n;
    }
    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        uint8_t op = c->has_op ? c->op : OTS_OP_PUT;
        uint32_t id;
        if (op == OTS_OP_DELETE_ONE || op == OTS_OP_DELETE_ALL) {
            if (!name_lookup(t, c->name.p, c->name.len, &id))
                continue;
            for (size_t j = 0; j < n; j++)
                if (w[j].c.name_id == id && (op == OTS_OP_DELETE_ALL || w[j].c.ts == c->ts))
                    w[j].c.name_id = DEAD;
            continue;
        }
        id = ots__name_intern(t, c->name.p, c->name.len);
        ots_value v = c->value;
        if (op == OTS_OP_INCREMENT) {
            /* Base: the newest live version of the column (absent = 0). */
            const ots__xcell *base = NULL;
            for (size_t j = 0; j < n; j++)
                if (w[j].c.name_id == id && cell_alive(t, w[j].c.ts, now) &&
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
    finish_row(t, key, klen, w, n, now, a);
    pk_result(t, vals, a, pk_out);
    return EMU_OK;
}

emu_rc ots_store_delete(ots_table_t *t, const ots_cell *pk, size_t n_pk, bool *existed,
                        emu_err *err)
{
    ots_value vals[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t key[OTS__KEY_MAX];
    emu_rc rc = check_pk(t, pk, n_pk, PK_WRITE, vals, err);
    if (rc)
        return rc;
    size_t klen = ots__key_encode(vals, n_pk, key);
    srow *r = tree_remove(t, key, klen);
    if (existed)
        *existed = r != NULL;
    if (r) {
        srow_free(t, r);
        journal_row(t, key, klen, NULL);
    }
    t->dirty = true;
    return EMU_OK;
}

emu_rc ots__store_load_row(ots_table_t *t, const uint8_t *key, size_t key_len,
                           const ots__xcell *cells, size_t n, emu_err *err)
{
    bt_leaf *l;
    int idx;
    /* Appending in key order is the common case (sorted rows files): compare
     * with the last row first and skip the descent for the duplicate check. */
    if (t->last) {
        const srow *lr = t->last->rows[t->last->h.n - 1];
        int c = key_cmp(srow_key(lr), lr->key_len, key, key_len);
        if (c == 0 || (c > 0 && bt_find(t, key, key_len, &l, &idx)))
            return emu_err_set(err, EMU_E_EXISTS, NULL, "duplicate primary key");
    }
    tree_insert(t, srow_build(t, key, key_len, cells, n, true));
    return EMU_OK;
}

bool ots__scan_all(const ots_table_t *t, void **it, int *idx, emu_arena *a, ots_row_t *out)
{
    bt_leaf *l = *it;
    if (!l) {
        l = t->first;
        *idx = 0;
    }
    if (!l || *idx >= l->h.n)
        return false;
    row_out(t, l->rows[*idx], NULL, true, 0, a, out);
    if (++*idx == l->h.n && l->next) {
        l = l->next;
        *idx = 0;
    }
    *it = l;
    return true;
}

/* ---- Range scans ------------------------------------------------------------------------------
 */

emu_rc ots_store_range_open(const ots_table_t *t, const ots_cell *start, size_t n_start,
                            const ots_cell *end, size_t n_end, bool backward, emu_arena *a,
                            ots_store_iter *it, emu_err *err)
{
    ots_value sv[EMU_MAX_OTS_PK_COLUMNS], ev[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t sk[OTS__KEY_MAX];
    emu_rc rc;

    memset(it, 0, sizeof *it);
    if ((rc = check_pk(t, start, n_start, PK_RANGE, sv, err)))
        return rc;
    if ((rc = check_pk(t, end, n_end, PK_RANGE, ev, err)))
        return rc;
    size_t slen = ots__key_encode(sv, n_start, sk);
    uint8_t *ek = emu_arena_alloc(a, OTS__KEY_MAX);
    size_t elen = ots__key_encode(ev, n_end, ek);
    int c = key_cmp(sk, slen, ek, elen);
    if (!backward && c >= 0)
        return emu_err_set(err, EMU_E_INVALID, NULL, "Begin key must less than end key in FORWARD");
    if (backward && c <= 0)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "Begin key must more than end key in BACKWARD");
    it->t = t;
    it->backward = backward;
    it->end_key = ek;
    it->end_len = elen;

    bt_leaf *l;
    int i;
    bt_lower_bound(t, sk, slen, &l, &i);
    if (backward) {
        /* Last row <= start: the lower bound itself if equal, else the one
         * before it. */
        bool eq = l && key_cmp(srow_key(l->rows[i]), l->rows[i]->key_len, sk, slen) == 0;
        if (!eq) {
            if (!l) {
                l = t->last;
                i = l ? l->h.n - 1 : 0;
            } else if (i > 0) {
                i--;
            } else {
                l = l->prev;
                i = l ? l->h.n - 1 : 0;
            }
        }
    }
    it->leaf = l;
    it->idx = i;
    return EMU_OK;
}

/* The row at the cursor if it is still inside the range, else NULL. */
static srow *iter_row(const ots_store_iter *it)
{
    const bt_leaf *l = it->leaf;
    if (!l)
        return NULL;
    srow *r = l->rows[it->idx];
    int c = key_cmp(srow_key(r), r->key_len, it->end_key, it->end_len);
    if (it->backward ? c <= 0 : c >= 0)
        return NULL;
    return r;
}

ots_iter_rc ots_store_range_next(ots_store_iter *it, const ots_read_opts *opts, emu_arena *a,
                                 ots_row_t *out)
{
    srow *r = iter_row(it);
    if (!r) {
        it->leaf = NULL;
        return OTS_ITER_END;
    }
    bt_leaf *l = it->leaf;
    if (it->backward) {
        if (--it->idx < 0) {
            l = l->prev;
            it->idx = l ? l->h.n - 1 : 0;
        }
    } else if (++it->idx >= l->h.n) {
        l = l->next;
        it->idx = 0;
    }
    it->leaf = l;
    it->scanned++;
    return row_out(it->t, r, opts, false, emu_clock_now_ms(), a, out) ? OTS_ITER_ROW
                                                                      : OTS_ITER_SKIP;
}

bool ots_store_range_peek_pk(const ots_store_iter *it, emu_arena *a, ots_row_t *pk_out)
{
    srow *r = iter_row(it);
    if (!r)
        return false;
    memset(pk_out, 0, sizeof *pk_out);
    pk_out->n_pk = it->t->schema.n_pk;
    pk_out->pk = emu_arena_alloc(a, pk_out->n_pk * sizeof *pk_out->pk);
    key_decode(it->t, srow_key(r), r->key_len, a, pk_out->pk);
    return true;
}

/* ---- Row images and the journal (emu/ots_store.h) --------------------------------------------
 *
 * An image is a blob with names instead of the table-local name ids, so it
 * means the same thing in another process. Writing one costs a copy of the
 * row; applying one costs what a bulk load of the row costs. */

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
    const uint8_t *p = srow_cells((srow *)r);
    for (uint32_t i = 0; i < r->n_cells; i++) {
        ots__xcell c;
        const uint8_t *next = cell_read(p, &c);
        put_u16(b, (uint16_t)t->name_lens[c.name_id]);
        emu_buf_append(b, t->names[c.name_id], t->name_lens[c.name_id]);
        /* type, ts and value are laid out exactly as in the blob */
        emu_buf_append(b, p + 4, (size_t)(next - (p + 4)));
        p = next;
    }
}

static void journal_row(const ots_table_t *t, const uint8_t *key, size_t klen, const srow *r)
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
    for (const bt_leaf *l = t->first; l; l = l->next) {
        for (int i = 0; i < l->h.n; i++) {
            const srow *r = l->rows[i];
            emu_buf_reset(&b);
            image_put(&b, t, srow_key(r), r->key_len, r);
            fn(ud, t, (const uint8_t *)b.p, b.len);
        }
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
    if (!img_take(r, *name_len, name) || !valid_col_name((const char *)*name, *name_len))
        return img_fail(r, "bad column name");
    if (!img_take(r, 9, &q))
        return img_fail(r, "cell cut short");
    memset(&c->v, 0, sizeof c->v);
    c->v.type = (ots_vtype)q[0];
    c->ts = rd64(q + 1);
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
        c->v.len = rd32(q);
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
    int c = key_cmp(pn, pl, n, l);
    return c < 0 || (c == 0 && ts < pts);
}

static void img_store(ots_table_t *t, const uint8_t *key, size_t klen, const ots__xcell *cells,
                      size_t n)
{
    bt_leaf *l;
    int idx;
    const srow *last = t->last ? t->last->rows[t->last->h.n - 1] : NULL;
    t->dirty = true;
    if (!last || key_cmp(srow_key(last), last->key_len, key, klen) < 0) {
        /* Snapshots come in key order: carve from the slab like a load. */
        tree_insert(t, srow_build(t, key, klen, cells, n, true));
        return;
    }
    srow *r = srow_build(t, key, klen, cells, n, false);
    if (bt_find(t, key, klen, &l, &idx)) {
        srow_free(t, l->rows[idx]);
        l->rows[idx] = r;
    } else {
        tree_insert(t, r);
    }
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
        srow *old = tree_remove(t, key, klen);
        if (old)
            srow_free(t, old);
        t->dirty = true;
        return EMU_OK;
    }
    /* A cell takes at least 12 bytes: no count can claim more than fit. */
    if (!img_take(&r, 4, &q) || (n = rd32(q)) > EMU_MAX_OTS_CELLS_PER_ROW ||
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

const char *ots_table_account_id(const ots_table_t *t)
{
    return t->inst && t->inst->store ? t->inst->store->account_id : NULL;
}

const char *ots_table_instance_name(const ots_table_t *t)
{
    return t->inst ? t->inst->name : NULL;
}

int64_t ots_table_autoinc_last(const ots_table_t *t)
{
    return t->autoinc_last;
}

void ots_table_autoinc_raise(ots_table_t *t, int64_t v)
{
    ots__autoinc_seen(t, v);
}

ots_table_origin ots_table_origin_of(const ots_table_t *t)
{
    return (ots_table_origin){t->rows_file, t->load_ts, t->dirty};
}

void ots_table_set_origin(ots_table_t *t, const ots_table_origin *o)
{
    ots__table_set_loaded(t, o->rows_file, o->load_ts);
    t->dirty = o->dirty;
}

void ots__table_adopt_rows(ots_table_t *dst, ots_table_t *src)
{
    ots_table_t keep = *dst;
    /* dst was just created from a schema: no rows, no interned names. */
    assert(!dst->root && !dst->n_names && !dst->slab);
    free(dst->names);
    free(dst->name_lens);
    free(dst->hslots);
    free(dst->rows_file);
    *dst = *src;
    /* The schema and the owner stay dst's own. */
    dst->schema = keep.schema;
    dst->name = keep.name;
    dst->pk = keep.pk;
    dst->defined = keep.defined;
    dst->inst = keep.inst;
    /* src keeps its schema (freed with it) and nothing else. */
    ots_table_t empty = {0};
    empty.schema = src->schema;
    empty.name = src->name;
    empty.pk = src->pk;
    empty.defined = src->defined;
    empty.inst = src->inst;
    *src = empty;
}
