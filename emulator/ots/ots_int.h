/* Tablestore module internals shared by the files of emulator/ots/ (and by
 * the module's unit tests, fuzz harnesses and benchmark): CRC8, the
 * PlainBuffer codec, the rows-file loaders and a few store hooks the loaders
 * use. Not a module boundary: other modules include emu/ots_store.h only. */
#ifndef EMU_OTS_INT_H
#define EMU_OTS_INT_H

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/err.h"
#include "emu/ots_store.h"

/* ---- protobuf-c glue (ots_pb.c) ------------------------------------------ */

/* Unpacks a message of type desc (e.g. &ots__get_row_request__descriptor,
 * from the generated "ots.pb-c.h") with every allocation in `a`; never free
 * the result. A malformed body or a missing required field gives NULL and
 * EMU_E_INVALID "Parse PBMessage from RawString failed." (protocol §3.3). */
void *ots_pb_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                    emu_arena *a, emu_err *err);
/* Packs any generated message into `a`; *len may be 0 (empty responses). */
uint8_t *ots_pb_pack(const void *msg, emu_arena *a, size_t *len);

/* ---- PlainBuffer (ots_plainbuffer.c, protocol §7) ---------------------------- */

#define OTS_PB_HEADER 0x75u

/* Decodes one request row from buf[0..len): header, one row, row checksum.
 * Bytes after the row checksum must all be 0x00 (the Node SDK pads, §7.4).
 * Cell and row checksums are verified. On EMU_OK *out lives in `a` (names
 * and byte values point into `a`, not into buf). Any malformed byte gives
 * EMU_E_INVALID with "offset N: ..." in err->msg. Never reads past len. */
emu_rc ots_plainbuffer_decode_row(const uint8_t *buf, size_t len, emu_arena *a, ots_row_t *out,
                                  emu_err *err);
/* Decodes a multi-row buffer (GetRange `rows`: header once, rows back to
 * back). len 0 gives zero rows. Trailing zero padding is tolerated. */
emu_rc ots_plainbuffer_decode_rows(const uint8_t *buf, size_t len, emu_arena *a, ots_row_t **rows,
                                   size_t *n_rows, emu_err *err);

/* Exact encoded size of header + rows (0 rows: 0 bytes). */
size_t ots_plainbuffer_size(const ots_row_t *rows, size_t n_rows);
/* Encodes header + rows into `a` and returns the bytes (*len set). n_rows 0
 * gives len 0 (what GetRange sends for an empty page). Every cell gets its
 * checksum; cells carry exactly the fields they have (has_value, has_op,
 * has_ts), so the same function writes requests and responses. Byte-identical
 * to the Node SDK's encoder for the worked example of §7.3 (without the Node
 * padding). The caller must not pass values the wire cannot express (names or
 * byte values longer than UINT32_MAX); that is asserted. */
uint8_t *ots_plainbuffer_encode_rows(const ots_row_t *rows, size_t n_rows, emu_arena *a,
                                     size_t *len);
static inline uint8_t *ots_plainbuffer_encode_row(const ots_row_t *row, emu_arena *a, size_t *len)
{
    return ots_plainbuffer_encode_rows(row, 1, a, len);
}

/* Filter operand "variant" (§7.6): type byte + payload, no 0x05/vlen wrapper.
 * Decoded byte values point into `buf`. */
emu_rc ots_plainbuffer_decode_variant(const uint8_t *buf, size_t len, ots_value *out, emu_err *err);
uint8_t *ots_plainbuffer_encode_variant(const ots_value *v, emu_arena *a, size_t *len);

/* ---- Rows loaders (ots_rows_csv.c) ------------------------------------------ */

/* Loads CSV rows (header row of column names = the PK columns plus the
 * defined columns, any order) into t. `shown` is the path used in messages
 * ("data/vehicle_track.csv:17: column \"speed\": \"abc\" is not a DOUBLE").
 * Cells parse per column type: INTEGER decimal int64, DOUBLE, BOOLEAN
 * true/false, STRING raw, BINARY base64; an empty attribute cell means the
 * attribute is absent. Cells get timestamp `ts` (the caller's load time, so
 * that save can recognise untouched cells). On error the table may hold the
 * rows before the bad line (callers drop the table). */
emu_rc ots_rows_load_csv_file(ots_table_t *t, const char *path, const char *shown, int64_t ts,
                              emu_err *err);
emu_rc ots_rows_load_csv_text(ots_table_t *t, const char *text, size_t len, const char *shown,
                              int64_t ts, emu_err *err);
/* Loads an inline JSON array of row objects (world "Rows"). Errors read
 * "[3].speed: ..." relative to the array; the caller prefixes the path. A
 * value is a scalar of the declared column type (INTEGER as a JSON integer or
 * a decimal string, BINARY as base64), or for any column an object
 * {"Type": "DOUBLE", "Value": 1.5, "Timestamp": ms} or an array of such
 * objects (several versions); undeclared columns need the object form.
 * Versions without "Timestamp" get `ts`. A duplicate PK is an error. */
emu_rc ots_rows_load_json(ots_table_t *t, const cJSON *rows, int64_t ts, emu_err *err);
/* Exports every stored row (expired cells included) in the form accepted by
 * ots_rows_load_json. Scalars are used where the column is declared with the
 * same type and has one version stamped at load time; else objects with
 * timestamps. Caller owns the result. */
cJSON *ots_rows_to_json(const ots_table_t *t);

/* ---- Store hooks for the loaders (ots_store*.c, see ots_store_int.h)
 * -------------------------------- */

/* One attribute version in store terms: interned name id + value + ts. */
typedef struct ots__xcell {
    uint32_t name_id;
    int64_t ts;
    ots_value v;
} ots__xcell;

/* Interns an attribute column name in t's dictionary; returns its id. */
uint32_t ots__name_intern(ots_table_t *t, const char *name, size_t len);
const char *ots__name_of(const ots_table_t *t, uint32_t id, size_t *len);
/* Memcmp-comparable key of a full PK (values only, validated by caller);
 * writes at most OTS__KEY_MAX bytes to out and returns the length. */
#define OTS__KEY_MAX (EMU_MAX_OTS_PK_COLUMNS * (2 + 2 * EMU_MAX_OTS_PK_VALUE_BYTES + 2))
size_t ots__key_encode(const ots_value *pk, size_t n, uint8_t *out);
/* Bulk-load insert: cells must be sorted by name (then ts descending) and
 * free of duplicates; the row is carved from the table's slab. EMU_E_EXISTS
 * when the key is already stored. Does not mark the table dirty. */
emu_rc ots__store_load_row(ots_table_t *t, const uint8_t *key, size_t key_len,
                           const ots__xcell *cells, size_t n, emu_err *err);
/* Raises the auto-increment counter to at least v (loaded explicit values),
 * so generated values never collide with loaded ones. */
void ots__autoinc_seen(ots_table_t *t, int64_t v);
/* Validates one attribute value against the table's declared column type (if
 * any) and the value rules (no INF/AUTO/NULL, finite doubles, size caps). */
emu_rc ots__check_attr(const ots_table_t *t, emu_str name, const ots_value *v, emu_err *err);
/* Load provenance for world save: the absolute rows file (NULL = none), the
 * virtual time used as the timestamp of loaded cells; clears dirty. */
void ots__table_set_loaded(ots_table_t *t, const char *abs_rows_file, int64_t load_ts);
/* Moves rows, interned names, the auto-increment counter, creation time and
 * load provenance of src into dst, a table just made from a schema (the
 * section's adopt hook); src is left empty. */
void ots__table_adopt_rows(ots_table_t *dst, ots_table_t *src);
const char *ots__table_rows_file(const ots_table_t *t);
int64_t ots__table_load_ts(const ots_table_t *t);
/* Looks up a defined column by name; NULL when not defined. */
const ots_def_col *ots__defined_col(const ots_table_t *t, const char *name, size_t len);

/* Iterates all stored rows in key order with every stored cell (no TTL or
 * version filtering) for export; returns false at the end. *started starts
 * false. Row contents are in `a`. */
bool ots__scan_all(const ots_table_t *t, ots_store_cursor *c, bool *started, emu_arena *a,
                   ots_row_t *out);

/* ---- Secondary indexes (ots_index.c) ------------------------------------------ */

/* The service's quota (Java SDK SecondaryIndexTest). */
#define OTS_MAX_INDEXES_PER_TABLE 5

/* One index as CreateTable / CreateIndex give it: the index's own key
 * columns (PK or defined columns of the base table, in order) and its
 * attribute columns (defined columns). Its table's PK is the keys followed
 * by the base PK columns not among them. */
typedef struct ots_index_def {
    char *name, *base;
    char **keys;
    size_t n_keys;
    char **attrs;
    size_t n_attrs;
    bool local; /* IT_LOCAL_INDEX */
    bool sync;  /* IUM_SYNC_INDEX */
} ots_index_def;

/* Validates d against base (the service's limits and texts) and creates
 * the index table in `in`; with include_base_data, fills it from the base
 * rows. EMU_E_INVALID / EMU_E_EXISTS with the cloud code set. */
emu_rc ots_index_create(ots_instance_t *in, const ots_table_t *base, const ots_index_def *d,
                        bool include_base_data, emu_err *err);
/* Fills the (empty) table of index `name` from its base rows, without the
 * journal (a replayed CreateIndex, see ots_section.c's adopt). */
emu_rc ots_index_rebuild(ots_instance_t *in, const char *name, emu_err *err);
/* Drops an index (its table and its registry entry); no-op when absent. */
void ots_index_drop(ots_instance_t *in, const char *name);
/* The indexes of table `base` in creation order: up to cap into out;
 * returns how many there are. */
size_t ots_index_list(const ots_instance_t *in, const char *base, const ots_index_def **out,
                      size_t cap);
/* The index named `name` (NULL: not an index). */
const ots_index_def *ots_index_find(const ots_instance_t *in, const char *name);
/* Refuses a write whose values could not become index keys (a key value
 * longer than a PK value may be), before the base row changes. */
emu_rc ots_index_check_write(const ots_instance_t *in, const ots_table_t *base,
                             const ots_row_t *row, emu_err *err);
/* A base row changed from old to now (either NULL = absent; both as a read
 * with max_versions 1 returns them): updates every index of base. */
emu_rc ots_index_apply(ots_instance_t *in, const ots_table_t *base, const ots_row_t *old,
                       const ots_row_t *now, emu_arena *a, emu_err *err);
emu_rc ots_index_apply_one(ots_table_t *t, const ots_index_def *d, const ots_table_t *base,
                           const ots_row_t *old, const ots_row_t *now, emu_arena *a, emu_err *err);
/* Whether a row read from table t is visible. Index rows of a base table
 * with a TimeToLive live as long as the base row they came from: the base
 * row must exist and still map to this index key (an expired base row
 * leaves its index rows behind until they are read past). */
bool ots_index_expires(const ots_instance_t *in, const ots_table_t *t); /* t: such an index */
bool ots_index_row_visible(const ots_instance_t *in, const ots_table_t *t, const ots_row_t *row,
                           emu_arena *a);
/* Registry upkeep for the world section: entries of a cloned store (same
 * instance order), and forgetting a store about to be freed. */
void ots_index_clone_store(const ots_store_t *from, const ots_store_t *to);
/* The same for search indexes (ots_search.c): a copy shares each index's
 * postings copy-on-write and observes the copied table. */
void ots_search_clone_store(const ots_store_t *from, const ots_store_t *to);
void ots_search_forget_store(const ots_store_t *s);
/* After the section adopted the rows of old's tables into in's (a replayed
 * metadata record): each search index of in takes the postings of the same
 * index of old, or is built again from its table's rows. */
void ots_search_adopt(ots_instance_t *in, ots_instance_t *old);
/* DeleteTable: the table's search indexes go with it. */
void ots_search_drop_table(const ots_instance_t *in, const char *table);
void ots_index_forget_store(const ots_store_t *s);

/* ---- SQL mapping tables (ots_sqlmap.c) --------------------------------------- */

typedef struct ots_sql_mapping {
    const ots_instance_t *in;
    char *name; /* as created */
    char *ddl;  /* the CREATE TABLE statement as submitted */
} ots_sql_mapping;

/* The mapping of this name (case-insensitive, as SQL names are), or NULL.
 * Valid until the next add or drop. */
const ots_sql_mapping *ots_sqlmap_find(const ots_instance_t *in, const char *name);
/* The instance's mappings (up to cap in out, which may be NULL); returns
 * how many there are. */
size_t ots_sqlmap_list(const ots_instance_t *in, const ots_sql_mapping **out, size_t cap);
/* Adds a mapping (copies); false past EMU_MAX_OTS_SQL_MAPPINGS. The caller
 * checked the name is free. */
bool ots_sqlmap_add(const ots_instance_t *in, const char *name, const char *ddl);
bool ots_sqlmap_drop(const ots_instance_t *in, const char *name);
void ots_sqlmap_clone_store(const ots_store_t *from, const ots_store_t *to);
void ots_sqlmap_forget_store(const ots_store_t *s);

#endif
