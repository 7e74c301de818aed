/* Tablestore row store: instances, tables and ordered rows of one account.
 *
 * One ots_store_t is the "Tablestore" section state of one account of the
 * world (see ots_world_section below): a list of instances, each holding up
 * to EMU_MAX_OTS_TABLES tables. A table keeps its rows in a B+tree
 * ordered by the primary key exactly as the service orders them
 * (tablestore-protocol.md §9.1): column by column in schema order, INTEGER by
 * signed value, STRING/BINARY by unsigned bytes with the shorter prefix first,
 * INF_MIN before and INF_MAX after every value. Point get/put/delete are
 * O(log n) and a range scan is O(log n + k) in both directions.
 *
 * Values crossing this boundary are "wire rows" (ots_row_t): the same shape
 * that the PlainBuffer codec decodes from and encodes to, so an operation
 * handler is decode → store → encode. Rows handed out by the store live in
 * the caller's arena and stay valid after later writes to the table.
 *
 * Ownership: the store owns instances and tables; lookups return borrowed
 * pointers that stay valid until that instance/table is dropped or the store
 * is freed. Everything runs on the single event-loop thread; there is no
 * locking. Time-dependent behaviour (cell timestamps for cells written without
 * one, TimeToLive visibility, auto-increment values) reads the virtual clock
 * emu_clock_now_ms().
 *
 * Errors: EMU_E_INVALID with the service's message text (§5.2) where the
 * spec gives one. Primary-key mismatches additionally set err->code =
 * "OTSInvalidPK" (the store is Tablestore-only, so it knows the cloud code);
 * everything else leaves code NULL for the handler to choose. */
#ifndef EMU_OTS_STORE_H
#define EMU_OTS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/err.h"
#include "emu/policy.h"
#include "emu/str.h"
#include "emu/world_section.h"

/* ---- Values, cells, rows (PlainBuffer shape, protocol §7.1) ------------- */

/* Variant type bytes exactly as on the wire. */
typedef enum ots_vtype {
    OTS_VT_INTEGER = 0x00,
    OTS_VT_DOUBLE = 0x01,
    OTS_VT_BOOLEAN = 0x02,
    OTS_VT_STRING = 0x03,
    OTS_VT_NULL = 0x06, /* defined by the protocol, never sent */
    OTS_VT_BINARY = 0x07,
    OTS_VT_INF_MIN = 0x09,
    OTS_VT_INF_MAX = 0x0A,
    OTS_VT_AUTO_INCREMENT = 0x0B
} ots_vtype;

typedef struct ots_value {
    ots_vtype type;
    uint32_t len; /* STRING/BINARY: byte count of p */
    union {
        int64_t i;
        double d;
        bool b;
        const uint8_t *p; /* STRING/BINARY bytes, not NUL-terminated */
    };
} ots_value;

/* Update op bytes (TAG_CELL_TYPE, §7.1). OTS_OP_PUT means "no op tag". */
typedef enum ots_op {
    OTS_OP_PUT = 0,
    OTS_OP_DELETE_ALL = 1,
    OTS_OP_DELETE_ONE = 3,
    OTS_OP_INCREMENT = 4
} ots_op;

typedef struct ots_cell {
    emu_str name;
    ots_value value; /* meaningful when has_value */
    int64_t ts;      /* ms since epoch, meaningful when has_ts */
    bool has_value;
    bool has_ts;
    bool has_op;
    uint8_t op; /* raw op byte when has_op (see ots_op) */
} ots_cell;

typedef struct ots_row {
    ots_cell *pk;
    size_t n_pk;
    ots_cell *attrs;
    size_t n_attrs;
    bool delete_marker; /* TAG_DELETE_ROW_MARKER (DeleteRow requests) */
} ots_row_t;

/* ---- Schema -------------------------------------------------------------- */

/* Same numbers as the protobuf enums PrimaryKeyType / DefinedColumnType. */
typedef enum ots_pk_type { OTS_PK_INTEGER = 1, OTS_PK_STRING = 2, OTS_PK_BINARY = 3 } ots_pk_type;
typedef enum ots_col_type {
    OTS_COL_INTEGER = 1,
    OTS_COL_DOUBLE = 2,
    OTS_COL_BOOLEAN = 3,
    OTS_COL_STRING = 4,
    OTS_COL_BINARY = 7
} ots_col_type;

typedef enum ots_network { OTS_NET_ANY, OTS_NET_VPC, OTS_NET_INTERNET } ots_network;

typedef struct ots_pk_col {
    const char *name;
    ots_pk_type type;
    bool auto_increment;
} ots_pk_col;

typedef struct ots_def_col {
    const char *name;
    ots_col_type type;
} ots_def_col;

typedef struct ots_table_options {
    int32_t ttl_s;        /* TimeToLive seconds, -1 = forever */
    int32_t max_versions; /* >= 1 */
    int64_t deviation_s;  /* deviation_cell_version_in_sec, default 86400 */
    bool allow_update;    /* default true */
    /* Local transactions allowed (CreateTable's enable_local_txn, the world
     * file's EnableLocalTxn); default false, as the service. */
    bool local_txn;
    /* Stream: retention hours (1-168); 0 = no stream. stream_enabled_ms is
     * when it was turned on (virtual clock): the stream id and
     * DescribeTable's last_enable_time come from it. */
    int32_t stream_expiration_h;
    int64_t stream_enabled_ms;
    /* Reserved throughput (CreateTable / UpdateTable): capacity units, and
     * when UpdateTable last raised or lowered one (virtual ms; 0 = never:
     * DescribeTable's last_increase_time is then the creation). Kept and
     * answered only; nothing is throttled. */
    int32_t cu_read, cu_write;
    int64_t cu_increased_ms, cu_decreased_ms;
} ots_table_options;

typedef struct ots_table_schema {
    const char *name;
    const ots_pk_col *pk;
    size_t n_pk;
    const ots_def_col *defined;
    size_t n_defined;
    ots_table_options opts;
} ots_table_schema;

/* Defaults for ots_table_options: TTL -1, 1 version, 86400 s, updates on. */
ots_table_options ots_table_options_default(void);

/* Names: "INTEGER", "STRING", "BINARY" / "INTEGER", "DOUBLE", "BOOLEAN",
 * "STRING", "BINARY" / "Any", "Vpc", "Internet". Parsers return false for an
 * unknown (case-sensitive) name. Static strings. */
const char *ots_pk_type_name(ots_pk_type t);
const char *ots_col_type_name(ots_col_type t);
const char *ots_network_name(ots_network n);
bool ots_pk_type_parse(const char *s, ots_pk_type *out);
bool ots_col_type_parse(const char *s, ots_col_type *out);
bool ots_network_parse(const char *s, ots_network *out);
/* "INTEGER", "DOUBLE", ..., "INF_MIN": for messages. */
const char *ots_vtype_name(ots_vtype t);

/* ---- Store, instances, tables --------------------------------------------- */

typedef struct ots_store ots_store_t;
typedef struct ots_instance ots_instance_t;
typedef struct ots_table ots_table_t;

/* New empty per-account state; account_id is copied (may be NULL). The caller
 * owns the result: ots_store_free. */
ots_store_t *ots_store_new(const char *account_id);
void ots_store_free(ots_store_t *s);
/* Copy for checkpoints: instances, tables, rows, auto-increment counters,
 * load provenance. O(instances + tables), whatever the row count: the copy
 * shares each table's rows with s copy-on-write (a write to either copies
 * only the index path it changes), so memory grows only with what changes
 * afterwards, and freeing either gives back what only it held. Write
 * observers are not copied. */
ots_store_t *ots_store_clone(const ots_store_t *s);
const char *ots_store_account_id(const ots_store_t *s);

/* Creates an instance. Returns EMU_E_INVALID for a bad name (3–16 chars
 * [A-Za-z0-9-], starts with a letter, no trailing '-'), EMU_E_EXISTS for a
 * duplicate. *out (may be NULL) is borrowed. */
emu_rc ots_store_instance_create(ots_store_t *s, const char *name, ots_network net,
                                 ots_instance_t **out, emu_err *err);
/* Borrowed; NULL when absent. Instances keep creation order. */
ots_instance_t *ots_store_instance_find(const ots_store_t *s, const char *name);
size_t ots_store_instance_count(const ots_store_t *s);
ots_instance_t *ots_store_instance_at(const ots_store_t *s, size_t i);
const char *ots_instance_name(const ots_instance_t *in);
ots_network ots_instance_network(const ots_instance_t *in);

/* The instance's network ACL (UpdateInstance NetworkTypeACL /
 * NetworkSourceACL): bits as POLICY_NET_* / POLICY_NETSRC_* (emu/policy.h);
 * has_* false = the list is absent, which allows every network / source. */
typedef struct ots_net_acl {
    bool has_types, has_sources;
    uint8_t types, sources;
} ots_net_acl;
ots_net_acl ots_instance_acl(const ots_instance_t *in);
void ots_instance_set_acl(ots_instance_t *in, const ots_net_acl *acl);
/* The instance policy (a POLICY_KIND_RESOURCE document; world field
 * "InstancePolicy", UpdateInstancePolicy), or NULL; *version (may be NULL)
 * receives its PolicyVersion. The document lives until the policy is
 * replaced or the instance freed (a checkpoint's clone holds it too). */
const policy_doc_t *ots_instance_policy(const ots_instance_t *in, int64_t *version);
/* Replaces the instance policy; takes ownership of doc (NULL removes it). */
void ots_instance_set_policy(ots_instance_t *in, policy_doc_t *doc, int64_t version);

/* Removes an instance that holds no tables (the service's rule: tables go
 * first). EMU_E_NOT_FOUND / EMU_E_CONFLICT (tables left) with err->msg;
 * code left NULL. Pointers to the instance are invalid afterwards. */
emu_rc ots_store_instance_delete(ots_store_t *s, const char *name, emu_err *err);

/* What the instance API reports about an instance: strings live as long as
 * the instance (or until the next set). */
typedef struct ots_instance_info {
    const char *description; /* "" when none */
    const char *cluster;     /* "SSD" | "HYBRID" */
    int64_t create_ms;       /* virtual clock; 0 = unknown */
} ots_instance_info;
ots_instance_info ots_instance_info_of(const ots_instance_t *in);
/* NULL / 0 arguments leave that field as it is; cluster is "SSD" unless
 * "HYBRID". Strings are copied. */
void ots_instance_set_info(ots_instance_t *in, const char *description, const char *cluster,
                           int64_t create_ms);
/* Instance tags (TagKey/TagValue), at most EMU_MAX_OTS_INSTANCE_TAGS, in
 * insertion order. tag_at returns the key (NULL past the end) and the value
 * in *value; set replaces a key's value or appends (false when full);
 * remove says whether the key was there. Strings are copied. */
size_t ots_instance_tag_count(const ots_instance_t *in);
const char *ots_instance_tag_at(const ots_instance_t *in, size_t i, const char **value);
bool ots_instance_tag_set(ots_instance_t *in, const char *key, const char *value);
bool ots_instance_tag_remove(ots_instance_t *in, const char *key);
/* The tags as policy condition keys, acs:ResourceTag/<key> = value, into
 * out[cap] (strings owned by the instance, valid until its tags change).
 * No allocation: the data plane's authorization calls it. Returns the
 * count. */
size_t ots_instance_tag_ckeys(const ots_instance_t *in, policy_ckey *out, size_t cap);
/* The network (a POLICY_NET_* bit) a request to one of the store's
 * instances counts as when its Host names no endpoint (127.0.0.1,
 * localhost): the section's "DefaultNetwork", INTERNET unless set. */
uint8_t ots_store_default_network(const ots_store_t *s);
void ots_store_set_default_network(ots_store_t *s, uint8_t net);

/* Creates a table from `schema` (deep-copied). Validates like CreateTable
 * (§9.2, texts of §5.2): name, 1–4 PK columns, duplicate names, auto-increment
 * rules, 0–32 defined columns, TTL (-1 or > 0) and max versions (>= 1).
 * Returns EMU_E_INVALID, EMU_E_EXISTS ("Requested table already exists.") or
 * EMU_E_LIMIT ("Number of tables exceeded the quota."). */
emu_rc ots_store_table_create(ots_instance_t *in, const ots_table_schema *schema, ots_table_t **out,
                              emu_err *err);
/* Drops a table and all its rows; EMU_E_NOT_FOUND ("Requested table does not
 * exist.") when absent. Pointers to it become invalid. */
emu_rc ots_store_table_drop(ots_instance_t *in, const char *name, emu_err *err);
/* Borrowed; NULL when absent. Tables keep creation order. */
ots_table_t *ots_store_table_find(const ots_instance_t *in, const char *name);
size_t ots_store_table_count(const ots_instance_t *in);
ots_table_t *ots_store_table_at(const ots_instance_t *in, size_t i);

/* The table's own copy of its schema; valid while the table lives. */
const ots_table_schema *ots_table_schema_of(const ots_table_t *t);
/* UpdateTable: replaces the options after validating them (as above). New
 * limits apply to reads at once and to stored versions on the next write. */
emu_rc ots_table_set_options(ots_table_t *t, const ots_table_options *opts, emu_err *err);
/* Virtual-clock creation time (ms). */
int64_t ots_table_created_ms(const ots_table_t *t);
/* A creation time kept elsewhere (the world file's CreateDate). */
void ots_table_set_created_ms(ots_table_t *t, int64_t ms);
/* Stored rows (expired rows included until they are next written). */
size_t ots_table_row_count(const ots_table_t *t);
/* Approximate heap bytes of rows plus index (the health endpoint's number). */
size_t ots_table_bytes(const ots_table_t *t);
/* True once any write (put/update/delete) touched the table after load. */
bool ots_table_dirty(const ots_table_t *t);

/* ---- Rows ------------------------------------------------------------------ */

/* What to return of a row (GetRow / GetRange / BatchGetRow, §9.4). */
typedef struct ots_read_opts {
    /* Newest versions per column to return; 0 = every version (only
     * sensible together with a time range). */
    int32_t max_versions;
    bool has_time_range; /* versions with start_ts <= ts < end_ts */
    int64_t start_ts, end_ts;
    /* columns_to_get; n_columns == 0 means all columns. With a list, a row
     * with none of the listed attribute columns counts as absent unless a
     * PK column name is listed too (§9.4). */
    const emu_str *columns;
    size_t n_columns;
    emu_str start_column, end_column; /* [start, end) by name; p == NULL = open */
} ots_read_opts;

/* Reads one row. pk must be the full primary key in schema order with
 * concrete values. On EMU_OK, *found tells whether a visible row exists; if
 * so *out holds the PK cells and the visible attribute cells (sorted by
 * name, newest version first, every cell with its timestamp), all copied
 * into `a`. opts may be NULL: every live version of every column.
 * EMU_E_INVALID (code OTSInvalidPK) for a PK that does not match the
 * schema. */
emu_rc ots_store_get(const ots_table_t *t, const ots_cell *pk, size_t n_pk,
                     const ots_read_opts *opts, emu_arena *a, ots_row_t *out, bool *found,
                     emu_err *err);
/* Whether a visible row with this PK exists (row-existence conditions). */
emu_rc ots_store_exists(const ots_table_t *t, const ots_cell *pk, size_t n_pk, bool *exists,
                        emu_err *err);

/* PutRow: replaces the whole row with row->attrs (values required, no op
 * types; a cell without timestamp gets the virtual now). A PK cell of the
 * auto-increment column may hold OTS_VT_AUTO_INCREMENT: the store assigns a
 * value that increases monotonically per table. Keeps at most max_versions
 * newest versions per column. If pk_out is not NULL it receives the final PK
 * (arena `a`, which is also used as scratch and must not be NULL). */
emu_rc ots_store_put(ots_table_t *t, const ots_row_t *row, emu_arena *a, ots_row_t *pk_out,
                     emu_err *err);
/* UpdateRow: applies cell ops to the row, creating it if absent: PUT adds or
 * overwrites the version at ts (now if none), DELETE_ONE removes the version
 * at ts, DELETE_ALL removes the column, INCREMENT adds an INTEGER to the
 * newest visible version (absent = 0). A row left with no columns still
 * exists; deletes alone on an absent row do not create it. Auto-increment
 * placeholders are refused. */
emu_rc ots_store_update(ots_table_t *t, const ots_row_t *row, emu_arena *a, ots_row_t *pk_out,
                        emu_err *err);
/* DeleteRow: removes the row; *existed (may be NULL) tells whether it was
 * there. Absent rows are not an error. */
emu_rc ots_store_delete(ots_table_t *t, const ots_cell *pk, size_t n_pk, bool *existed,
                        emu_err *err);

/* ---- Write observer --------------------------------------------------------- */

/* Called after every change of a stored row of one table, with the whole
 * stored row before and after (every version, expired ones included; PK
 * cells, then attribute cells sorted by name, newest first): old_row NULL
 * for a row that did not exist, new_row NULL for a removed row. Both live
 * in a scratch arena freed when the call returns. It runs for PutRow,
 * UpdateRow, DeleteRow (also through batches), a write whose every version
 * had expired (the row goes), and applied row images (persistence replay);
 * not for the rows a world file or rows file loads (build derived state
 * from a scan after load). The callback must not write to t. This is the
 * hook for state derived from rows (secondary indexes, streams, search):
 * each lives in its own file and registers here. */
typedef void (*ots_row_observer_fn)(void *ud, ots_table_t *t, const ots_row_t *old_row,
                                    const ots_row_t *new_row);
/* Adds an observer (fn, ud) to t; observers run in the order added. false
 * when t has EMU_MAX_OTS_TABLE_OBSERVERS already. ud is borrowed. Not
 * copied by ots_store_clone: whoever registers one registers it again on a
 * copied table. */
bool ots_table_add_observer(ots_table_t *t, ots_row_observer_fn fn, void *ud);
/* Removes the observer (fn, ud) if t has it. */
void ots_table_remove_observer(ots_table_t *t, ots_row_observer_fn fn, void *ud);

/* ---- Range scans ------------------------------------------------------------ */

/* Deepest index a table can have (the tree's height grows by one only when
 * ~32 times the splits of the level below have happened: unreachable). */
#define OTS_STORE_MAX_DEPTH 16

/* A position in a table's index: the path from the root to a row. Opaque
 * fields; embed it by value. depth 0 = past the end. */
typedef struct ots_store_cursor {
    void *node[OTS_STORE_MAX_DEPTH];
    uint16_t pos[OTS_STORE_MAX_DEPTH];
    uint8_t depth;
} ots_store_cursor;

/* Cursor over a table. Opaque fields; embed it by value. Any write to the
 * table invalidates an open iterator. */
typedef struct ots_store_iter {
    const ots_table_t *t;
    ots_store_cursor cur;
    bool backward;
    const uint8_t *end_key; /* in the arena given to ots_store_range_open */
    size_t end_len;
    size_t scanned; /* stored rows stepped over so far (visible or not) */
} ots_store_iter;

/* Opens [start, end) FORWARD or (end, start] BACKWARD (GetRange, §9.5). Both
 * keys are full-width PKs whose values may be INF_MIN/INF_MAX. Returns
 * EMU_E_INVALID for a PK that does not match the schema (code OTSInvalidPK),
 * for start >= end in FORWARD ("Begin key must less than end key in
 * FORWARD.") and start <= end in BACKWARD. */
emu_rc ots_store_range_open(const ots_table_t *t, const ots_cell *start, size_t n_start,
                            const ots_cell *end, size_t n_end, bool backward, emu_arena *a,
                            ots_store_iter *it, emu_err *err);

typedef enum ots_iter_rc {
    OTS_ITER_END,  /* range exhausted */
    OTS_ITER_ROW,  /* *out holds a row (as ots_store_get) */
    OTS_ITER_SKIP, /* a stored row was stepped over: expired or projected away */
} ots_iter_rc;

/* Advances by one stored row. Callers count OTS_ITER_ROW against `limit`
 * and may stop after `scanned` grows large, then ask for the next key. */
ots_iter_rc ots_store_range_next(ots_store_iter *it, const ots_read_opts *opts, emu_arena *a,
                                 ots_row_t *out);
/* The PK of the next unread stored row (next_start_primary_key), PK cells
 * only, in `a`. Returns false when the range is exhausted. */
bool ots_store_range_peek_pk(const ots_store_iter *it, emu_arena *a, ots_row_t *pk_out);

/* ---- Ordered key sets (ots_store_keyset.c) ---------------------------------- */

/* A set of byte strings in memcmp order (a shorter prefix first), on the
 * same copy-on-write B+tree as rows: state derived from rows (search
 * indexes) keeps its ordered structures here, so that a copy for a
 * checkpoint is O(1) and shares everything until either side writes.
 * Keys are at most OTS_KEYSET_KEY_MAX bytes. */
#define OTS_KEYSET_KEY_MAX 65535
typedef struct ots_keyset ots_keyset;
ots_keyset *ots_keyset_new(void);
ots_keyset *ots_keyset_clone(const ots_keyset *s);
void ots_keyset_free(ots_keyset *s);
/* Adds k; false when it was there already. */
bool ots_keyset_add(ots_keyset *s, const uint8_t *k, size_t n);
/* Adds n keys at once (key i: len[i] bytes at buf + off[i]), sorted first:
 * building a set from many keys in any order. Their memory comes back when
 * the set and every copy of it are freed. */
void ots_keyset_add_bulk(ots_keyset *s, const uint8_t *buf, const uint32_t *off,
                         const uint32_t *len, size_t n);
/* Removes k; false when it was not there. */
bool ots_keyset_remove(ots_keyset *s, const uint8_t *k, size_t n);
bool ots_keyset_has(const ots_keyset *s, const uint8_t *k, size_t n);
size_t ots_keyset_count(const ots_keyset *s);
/* Heap bytes of keys and nodes of this version (shared ones included). */
size_t ots_keyset_bytes(const ots_keyset *s);
/* Cursors: at the first key >= k, or the last key <= k. Any change of the
 * set invalidates them. ots_keyset_key is NULL past either end. */
void ots_keyset_seek(const ots_keyset *s, const uint8_t *k, size_t n, ots_store_cursor *c);
void ots_keyset_seek_last_le(const ots_keyset *s, const uint8_t *k, size_t n, ots_store_cursor *c);
const uint8_t *ots_keyset_key(const ots_store_cursor *c, size_t *n);
void ots_keyset_next(ots_store_cursor *c);
void ots_keyset_prev(ots_store_cursor *c);

/* ---- Rows by key ------------------------------------------------------------ */

/* The store's memcmp-ordered key of a full, concrete PK of t (rows are in
 * this order); 0 when pk does not fit t's schema. out holds OTS_STORE_KEY_MAX. */
#define OTS_STORE_KEY_MAX (EMU_MAX_OTS_PK_COLUMNS * (2 + 2 * EMU_MAX_OTS_PK_VALUE_BYTES + 2))
size_t ots_table_key(const ots_table_t *t, const ots_cell *pk, size_t n, uint8_t *out);
/* ots_store_get by such a key: false when no visible row. */
bool ots_store_get_by_key(const ots_table_t *t, const uint8_t *k, size_t klen,
                          const ots_read_opts *opts, emu_arena *a, ots_row_t *out);
/* Every stored row of t in key order, raw (every version, as observers see
 * them), with its key; both valid during the call. */
typedef void (*ots_row_each_fn)(void *ud, const uint8_t *key, size_t klen, const ots_row_t *row);
void ots_table_each_row(const ots_table_t *t, ots_row_each_fn fn, void *ud);

/* ---- Row images (persistence, emu/persist.h) ------------------------------- */

/* A row image is the stored form of one row after a write, self-contained
 * so that it can be applied to a table again (a write-ahead log, a
 * snapshot). Little-endian:
 *   u8 flags (1 = the row is deleted), u16 key_len, key (the store's
 *   memcmp-comparable PK encoding, see ots_store_key.c),
 *   then unless deleted: u32 n_cells and per cell (sorted by name, newest
 *   version first): u16 name_len, name, u8 type (ots_vtype), i64 ts, and
 *   the value: 8 bytes INTEGER/DOUBLE, 1 byte BOOLEAN, u32 len + bytes
 *   STRING/BINARY.
 * Every stored cell is in it (expired versions too), so applying it gives
 * back exactly the stored row. */
typedef void (*ots_image_fn)(void *ud, const ots_table_t *t, const uint8_t *image, size_t len);

/* Process-wide journal: fn runs after every put/update/delete that changed a
 * stored row of any table, with the row's image (valid during the call).
 * NULL stops it and frees the scratch buffer. */
void ots_store_set_journal(ots_image_fn fn, void *ud);
/* Calls fn with the image of every stored row of t, in key order. */
void ots_table_each_image(const ots_table_t *t, ots_image_fn fn, void *ud);
/* Stores (or, for a deleted image, removes) the row of an image. The bytes
 * come from disk, so everything is checked: the key against t's schema,
 * names, types, lengths, cell order and caps. EMU_E_INVALID with "byte N:
 * what is wrong" leaves t unchanged. */
emu_rc ots_table_apply_image(ots_table_t *t, const uint8_t *image, size_t len, emu_err *err);
/* The account id and instance name that t belongs to (NULL for a table not
 * in a store). Valid while t lives. */
const char *ots_table_account_id(const ots_table_t *t);
const char *ots_table_instance_name(const ots_table_t *t);
/* The last auto-increment value handed out (0 = none), and raising it: a
 * replayed table must never reuse a value a deleted row had. */
int64_t ots_table_autoinc_last(const ots_table_t *t);
void ots_table_autoinc_raise(ots_table_t *t, int64_t v);
/* Load provenance, which world save uses: an unchanged table loaded from a
 * rows file is saved as that RowsFile, and cells stamped at load time as
 * plain values. Replay restores it after the rows (which mark t dirty). */
typedef struct ots_table_origin {
    const char *rows_file; /* absolute; NULL = none */
    int64_t load_ts;
    bool dirty; /* written since loaded */
} ots_table_origin;
ots_table_origin ots_table_origin_of(const ots_table_t *t);
void ots_table_set_origin(ots_table_t *t, const ots_table_origin *o);

/* ---- World section ----------------------------------------------------------- */

/* The "Tablestore" section hooks (ots_section.c). The state pointer the world
 * keeps for an account is an ots_store_t *; handlers find their instance with
 * ots_section_instance(state, name). World-file shape:
 *
 *   "Tablestore": {"DefaultNetwork": "INTERNET",
 *     "Instances": [{"InstanceName": "cap1", "Network": "Any",
 *     "NetworkTypeACL": ["VPC"], "NetworkSourceACL": ["TRUST_PROXY"],
 *     "InstancePolicy": {"Version": "1", "Statement": [{"Effect": "Deny",
 *       "Principal": ["*"], "Action": ["ots:*"], "Resource": ["acs:ots:*:*:instance/cap1*"],
 *       "Condition": {"NotIpAddress": {"acs:SourceIp": ["10.0.0.0/8"]}}}]},
 *     "InstancePolicyVersion": 1,
 *     "Tables": [{"TableName": "vehicle_track",
 *                 "PrimaryKey": [{"Name": "vid", "Type": "INTEGER"}, ...],
 *                 "DefinedColumns": [{"Name": "speed", "Type": "DOUBLE"}],
 *                 "TimeToLive": -1, "MaxVersions": 1,
 *                 "RowsFile": "data/vehicle_track.csv"   (or "Rows": [{...}])}]}]}
 */
extern const world_section ots_world_section;

/* Borrowed instance of a section state (NULL state or unknown name: NULL). */
ots_instance_t *ots_section_instance(void *state, const char *instance_name);
/* Adds t's schema and options to `o` in the world-file shape above
 * (TableName, PrimaryKey, DefinedColumns when there are any, TimeToLive,
 * MaxVersions, and the other options where they differ from the default). */
void ots_section_schema_json(cJSON *o, const ots_table_t *t);

#endif
