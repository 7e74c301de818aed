/* Internals of the Tablestore row store (emu/ots_store.h), shared by its
 * files and nothing else:
 *
 *   ots_store.c          instances, tables, the store; clone for checkpoints
 *   ots_store_key.c      memcmp-comparable PK encoding, PK validation
 *   ots_store_names.c    per-table dictionary of attribute column names
 *   ots_store_blob.c     row blobs (one packed allocation per row), slabs
 *   ots_store_index.c    the ordered index: B+tree of row blobs, cursors
 *   ots_store_versions.c versions and TTL: visibility, projection, merging
 *   ots_store_rows.c     point reads and writes, the write observer
 *   ots_store_scan.c     range scans (GetRange)
 *   ots_store_keyset.c   ordered key sets for derived state, rows by key
 *   ots_store_image.c    row images and the journal (persistence)
 *
 * A new feature of the store (secondary indexes, streams, search) gets its
 * own ots_store_<feature>.c next to these and hooks in through the write
 * observer (ots_table_add_observer) rather than through the write path. */
#ifndef EMU_OTS_STORE_INT_H
#define EMU_OTS_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "emu/limits.h"
#include "ots_int.h"

/* ---- Row blobs (ots_store_blob.c) ------------------------------------------ */

#define SROW_SLAB 0x01 /* carved from the table's slab: no free() of its own */

/* One stored row: this header, the key bytes, then packed cells sorted by
 * column name, newest version first. A cell is u32 name id (ots_store_names.c),
 * u8 type (ots_vtype), i64 ts, payload: 8 bytes INTEGER/DOUBLE, 1 byte
 * BOOLEAN, u32 len + bytes STRING/BINARY. Native byte order. A blob never
 * changes once built: a write builds a new one. */
typedef struct srow {
    uint32_t size; /* bytes of the whole blob, header included */
    uint16_t key_len;
    uint8_t flags;
    uint8_t pad;
    uint32_t n_cells;
    uint32_t refs; /* index leaves holding the blob */
    /* key bytes, then packed cells */
} srow;

typedef struct slab_chunk {
    struct slab_chunk *next;
    size_t used, cap;
    uint8_t data[];
} slab_chunk;

/* Chunks that bulk-loaded blobs are carved from. Shared (refs) by a table
 * and its copies, freed with the last of them. */
typedef struct ots__slab {
    uint32_t refs;
    slab_chunk *chunks;
} ots__slab;

/* ---- Names dictionary (ots_store_names.c) ------------------------------------- */

/* Attribute column names, interned: id -> name; hash -> id + 1. Append-only,
 * so a table and its copies share one dictionary (refs): an id means the same
 * name in each of them, and a copy never sees ids it did not store. */
typedef struct ots__names {
    uint32_t refs;
    char **names;
    uint32_t *lens;
    uint32_t n, cap;
    uint32_t *hslots;
    uint32_t hcap;
} ots__names;

/* ---- Tables, instances, the store (ots_store.c) -------------------------------- */

typedef struct bt_node bt_node;

struct ots_table {
    ots_table_schema schema; /* points into pk/defined/name below */
    char *name;
    ots_pk_col *pk;
    ots_def_col *defined;
    int64_t created_ms;
    int64_t autoinc_last;

    /* The ordered index (ots_store_index.c). */
    bt_node *root;
    uint32_t height; /* levels; 0 = empty */
    size_t n_rows, row_bytes, n_leaves, n_inner, sep_bytes;
    ots__slab *slab;
    ots__names *names;

    struct {
        ots_row_observer_fn fn;
        void *ud;
    } observers[EMU_MAX_OTS_TABLE_OBSERVERS];
    uint8_t n_observers;

    char *rows_file; /* load provenance for world save */
    int64_t load_ts;
    bool dirty;
    struct ots_instance *inst; /* owner, for the journal's names */
};

struct ots_instance {
    char *name;
    ots_network net;
    ots_net_acl acl;
    policy_doc_t *policy;   /* instance policy (POLICY_KIND_RESOURCE), or NULL */
    int64_t policy_version; /* UpdateInstancePolicy's PolicyVersion */
    char *description;      /* NULL = none */
    const char *cluster;    /* "SSD" | "HYBRID" (static) */
    int64_t create_ms;      /* virtual clock; 0 = unknown (loaded without CreateTime) */
    char **tag_keys, **tag_values;
    char **tag_ckeys; /* "acs:ResourceTag/<key>", for policy contexts */
    size_t n_tags;
    struct ots_store *store; /* owner */
    ots_table_t **tables;
    size_t n_tables, cap_tables;
};

struct ots_store {
    char *account_id;
    uint8_t default_net; /* 0 = INTERNET */
    ots_instance_t **inst;
    size_t n_inst, cap_inst;
};

/* ---- Small helpers ------------------------------------------------------------- */

/* Byte order with the shorter prefix first (keys, names). */
static inline int ots__key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static inline const uint8_t *ots__srow_key(const srow *r)
{
    return (const uint8_t *)(r + 1);
}

static inline const uint8_t *ots__srow_cells(const srow *r)
{
    return (const uint8_t *)(r + 1) + r->key_len;
}

static inline uint32_t ots__rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline int64_t ots__rd64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ---- Keys and PK validation (ots_store_key.c) ------------------------------------ */

enum ots__pk_mode { OTS__PK_POINT, OTS__PK_PUT, OTS__PK_WRITE, OTS__PK_RANGE };

/* Checks pk against t's schema for the use `mode` names (which placeholders
 * are allowed) and copies the values into vals. EMU_E_INVALID with the
 * service's text; code "OTSInvalidPK" for a mismatch. */
emu_rc ots__check_pk(const ots_table_t *t, const ots_cell *pk, size_t n, enum ots__pk_mode mode,
                     ots_value *vals, emu_err *err);
/* Decodes a stored key (made by ots__key_encode) into t's n_pk PK cells,
 * names and bytes copied into `a`. */
void ots__key_decode(const ots_table_t *t, const uint8_t *k, size_t klen, emu_arena *a,
                     ots_cell *out);
/* Column names: 1..255 bytes of [A-Za-z0-9_], not starting with a digit. */
bool ots__valid_col_name(const char *s, size_t n);

/* ---- Names (ots_store_names.c) ------------------------------------------------------ */

ots__names *ots__names_new(void);
/* Takes one more reference / drops one (freeing at zero). */
ots__names *ots__names_ref(ots__names *d);
void ots__names_unref(ots__names *d);
/* Finds an interned name without adding it. */
bool ots__name_lookup(const ots_table_t *t, const char *s, size_t n, uint32_t *id);
/* Orders two ids by their names (cells of a row are sorted this way). */
int ots__name_cmp(const ots_table_t *t, uint32_t a, uint32_t b);
/* Heap bytes of the dictionary (health numbers). */
size_t ots__names_bytes(const ots__names *d);

/* ---- Blobs (ots_store_blob.c) ------------------------------------------------------- */

/* Serialises key + cells (already sorted by name, newest first) into a new
 * blob with refs = 0: malloc'd, or carved from t's slab when `slab`. */
srow *ots__srow_build(ots_table_t *t, const uint8_t *key, size_t klen, const ots__xcell *cells,
                      size_t n, bool slab);
/* Reads the packed cell at p into *c (bytes point into the blob); returns the
 * next cell. */
const uint8_t *ots__cell_read(const uint8_t *p, ots__xcell *c);
/* Drops one reference to r; at zero a malloc'd blob is freed (a slab blob's
 * bytes go back with the slab). */
void ots__srow_unref(srow *r);
/* Drops t's reference to its slab. */
void ots__slab_release(ots_table_t *t);

/* ---- The ordered index (ots_store_index.c) ------------------------------------------- */

/* The row stored under key, or NULL. */
srow *ots__ix_get(const ots_table_t *t, const uint8_t *k, size_t klen);
/* Stores r (refs taken by the index) under its key; returns the row it
 * replaces (the caller may read it, then ots__srow_unref it) or NULL. */
srow *ots__ix_put(ots_table_t *t, srow *r);
/* Removes the row under key from the index and returns it (still
 * referenced: ots__srow_unref when done) or NULL. */
srow *ots__ix_remove(ots_table_t *t, const uint8_t *k, size_t klen);
/* The row with the greatest key, NULL when empty. */
const srow *ots__ix_last(const ots_table_t *t);
/* Releases every node (and the index's references to rows). */
void ots__ix_release(ots_table_t *t);
/* Makes dst (empty) hold the same rows as src. */
void ots__ix_copy(ots_table_t *dst, const ots_table_t *src);
/* Heap bytes of nodes and separators of this version of the index. */
size_t ots__ix_bytes(const ots_table_t *t);
/* What a walk of the whole tree finds (O(n): tests and diagnostics only):
 * nodes, nodes also reachable from another copy (refs > 1 on the way down),
 * and rows whose blob another leaf holds too. */
typedef struct ots__ix_stats {
    size_t nodes, shared_nodes, shared_rows;
} ots__ix_stats;
ots__ix_stats ots__ix_count(const ots_table_t *t);

/* Cursors (ots_store_cursor in emu/ots_store.h): a root-to-leaf path. Any
 * write to the table invalidates them. */
void ots__cur_seek(const ots_table_t *t, const uint8_t *k, size_t klen, ots_store_cursor *c);
void ots__cur_seek_le(const ots_table_t *t, const uint8_t *k, size_t klen, ots_store_cursor *c);
void ots__cur_first(const ots_table_t *t, ots_store_cursor *c);
/* The row under the cursor, NULL past either end. */
srow *ots__cur_row(const ots_store_cursor *c);
void ots__cur_next(ots_store_cursor *c);
void ots__cur_prev(ots_store_cursor *c);

/* ---- Versions and TTL (ots_store_versions.c) ------------------------------------------- */

/* Whether a version stamped ts is still alive at `now` under t's TTL. */
bool ots__cell_alive(const ots_table_t *t, int64_t ts, int64_t now);
/* Projects a stored row into *out (copied into `a`). raw = every stored cell,
 * no TTL, no options (export, observers). Returns false when the row is not
 * visible (every cell expired, or nothing of columns_to_get). */
bool ots__row_out(const ots_table_t *t, const srow *r, const ots_read_opts *o, bool raw,
                  int64_t now, emu_arena *a, ots_row_t *out);

#define OTS__DEAD UINT32_MAX /* name id of a cell deleted by an update op */

/* One version being written, with its write order: later wins on equal
 * (name, ts). */
typedef struct ots__wcell {
    ots__xcell c;
    uint32_t ord;
} ots__wcell;

/* Sorts w, dedupes (same name and ts: the later write wins), drops expired
 * and deleted cells, trims each column to max_versions and stores the row
 * under key (a row left with only expired cells is removed). Notifies
 * ots__row_changed. */
void ots__finish_row(ots_table_t *t, const uint8_t *key, size_t klen, ots__wcell *w, size_t n,
                     int64_t now, emu_arena *a);

/* ---- Change notification (ots_store_rows.c, ots_store_image.c) ----------------------------- */

/* A stored row changed from old_row to new_row (either NULL: inserted or
 * removed). Runs the journal (when `journal`) and the table's observer. */
void ots__row_changed(ots_table_t *t, const uint8_t *key, size_t klen, const srow *old_row,
                      const srow *new_row, bool journal);
/* The process-wide journal (ots_store_set_journal): image of the new row. */
void ots__journal_row(const ots_table_t *t, const uint8_t *key, size_t klen, const srow *r);

#endif
