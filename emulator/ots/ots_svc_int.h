/* Internals shared by the Tablestore service files (ots_service.c,
 * ots_table.c, ots_row.c, ots_range.c, ots_batch.c, ots_filter.c, ots_txn.c,
 * ots_stream.c) and
 * their unit tests. Not a module boundary: other modules include emu/ots.h.
 *
 * Flow of one call: ots_service.c decodes and authenticates, parses the
 * protobuf request into ots_req.msg and authorizes; a handler reads
 * ots_req.msg, works on ots_req.instance and leaves its response message in
 * ots_req.resp (allocated in the call arena); render packs it. Handlers
 * report errors through call->err with the cloud code already set
 * (ots_fail), so the renderer only looks up the status. */
#ifndef EMU_OTS_SVC_INT_H
#define EMU_OTS_SVC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/dispatch.h"
#include "emu/odps_sql.h"
#include "emu/ots.h"
#include "emu/policy.h"
#include "ots.pb-c.h"
#include "ots_int.h"
#include "ots_search.pb-c.h"

/* emu_action.flags bit: the resource is the instance, not a table
 * (ListTable, CreateTable). */
#define OTS_INSTANCE_LEVEL (1u << 8)

/* Service limits (tablestore-protocol.md §3.3, §9.5, §9.6, §9.8). */
#define OTS_MAX_BODY_BYTES (5 * 1024 * 1024)
#define OTS_MAX_ROW_DATA_BYTES (4 * 1024 * 1024) /* PutRow / UpdateRow data */
#define OTS_MAX_WRITE_COLUMNS 1024               /* attribute cells per write */
#define OTS_MAX_COLUMNS_TO_GET 1024              /* the service's observed limit */
#define OTS_RANGE_MAX_ROWS 5000
#define OTS_RANGE_MAX_BYTES (4 * 1024 * 1024)
/* Stored rows one GetRange may step over before it answers with a
 * next_start_primary_key (rows hidden by a filter or TTL still cost a scan;
 * the service also returns short pages, §9.5). Emulator choice. */
#define OTS_RANGE_SCAN_CAP 100000
#define OTS_BATCH_GET_MAX_ROWS 100
#define OTS_BATCH_WRITE_MAX_ROWS 200
#define OTS_BATCH_WRITE_MAX_BYTES (4 * 1024 * 1024)
#define OTS_CU_BYTES 4096
/* Filter nesting depth accepted (emulator choice; the SDKs build shallow
 * trees). Deeper → "Deserialize filter failed.". */
#define OTS_MAX_FILTER_DEPTH 32

#define OTS_ERR_TABLE_MISSING "Requested table does not exist."
#define OTS_ERR_CONDITION "Condition check failed."

/* The decoded request, call->svc_data. Strings live in the call arena. */
typedef struct ots_req {
    const char *op;               /* path without '/': "GetRow" */
    void *msg;                    /* the unpacked request message */
    const ProtobufCMessage *resp; /* the handler's answer; NULL = empty body */
    world_account *owner;         /* the account that owns the instance */
    ots_store_t *store;           /* owner's Tablestore state */
    ots_instance_t *instance;
    const char *instance_name;
    emu_str ak;         /* x-ots-accesskeyid as sent (trimmed) */
    emu_str sign_key;   /* response signing key; p NULL = don't sign */
    policy_network net; /* the network the request came over (request_network) */
    void *sql;          /* SQLQuery: the statement parsed when authorizing (ots_sql.c) */
} ots_req;

static inline ots_req *ots_req_of(const emu_call *call)
{
    return call->svc_data;
}

/* Fills err with rc, the cloud code and the formatted message; returns rc. */
emu_rc ots_fail(emu_err *err, emu_rc rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* HTTP status of a Tablestore error code (ots_errors.def); 0 if unknown. */
int ots_error_status(const char *code);
/* The cloud code for a carrier whose code is NULL, by rc. */
const char *ots_default_code(emu_rc rc);

/* The table of the call's instance, or 404 OTSObjectNotExist in err. */
emu_rc ots_find_table(const emu_call *call, const char *name, ots_table_t **out, emu_err *err);

/* Consumed capacity (§9.7): ceil(bytes / 4 KB). */
int32_t ots_cu(size_t bytes);
/* A ConsumedCapacity with both read and write set (Go dereferences both). */
Ots__ConsumedCapacity *ots_consumed(emu_arena *a, int32_t read, int32_t write);
/* The §9.7 data size of a row: PK names + values + attribute names + values
 * (STRING/BINARY byte length, INTEGER/DOUBLE 8, BOOLEAN 1), plus 8 per
 * attribute version when `versioned` (max_versions > 1 or TTL != -1). */
size_t ots_row_data_size(const ots_row_t *row, bool versioned);
bool ots_table_versioned(const ots_table_t *t);

/* ---- filters (ots_filter.c, protocol §8) ----------------------------------- */

typedef struct ots_filter ots_filter;

/* Decodes a serialized Filter (the `filter` field of reads, the
 * Condition.column_condition of writes) into `a`. Validates the tree:
 * unknown types or comparators and undecodable bytes → "Deserialize filter
 * failed."; NOT with other than one sub-filter, AND/OR with fewer than two,
 * pagination limit <= 0 or offset < 0 → the service's texts (§5.2). All
 * errors are EMU_E_INVALID, code OTSParameterInvalid. */
emu_rc ots_filter_decode(const uint8_t *buf, size_t len, emu_arena *a, ots_filter **out,
                         emu_err *err);
/* Whether a row passes (column-value filters; a column pagination filter
 * passes every row). `row` is what a read returns: attributes sorted by name,
 * newest version first. A comparison between values of different types does
 * not match (protocol §8 [?]). */
bool ots_filter_match(const ots_filter *f, const ots_row_t *row);
/* A top-level ColumnPaginationFilter keeps `limit` attribute columns (all
 * versions of each) starting at column `offset`; other filters leave the
 * row alone. */
void ots_filter_paginate(const ots_filter *f, ots_row_t *row);

/* ---- reads (ots_row.c) ------------------------------------------------------ */

/* What GetRow / GetRange / BatchGetRow ask for, validated. */
typedef struct ots_read_spec {
    ots_read_opts opts;
    ots_filter *filter; /* NULL = none */
} ots_read_spec;

/* Builds a read spec from the request fields shared by the read messages
 * (§9.4): "No version condition is specified while querying row." when
 * neither max_versions nor time_range is given, max_versions > 0, time
 * range rules, at most OTS_MAX_COLUMNS_TO_GET columns, the filter. */
emu_rc ots_read_spec_init(emu_call *call, char **columns, size_t n_columns,
                          const Ots__TimeRange *tr, bool has_max, int32_t max_versions,
                          const char *start_column, const char *end_column, bool has_filter,
                          ProtobufCBinaryData filter, ots_read_spec *out, emu_err *err);
/* Applies the spec's filter and pagination to a row a read produced;
 * false = filtered out (treat as absent). */
bool ots_read_apply(const ots_read_spec *spec, ots_row_t *row);

/* Result of one row operation: capacity and the PlainBuffer to return. */
typedef struct ots_row_result {
    int32_t read_cu, write_cu;
    bool has_row;
    ProtobufCBinaryData row; /* in the call arena; len 0 = absent row */
} ots_row_result;

/* GetRow on one PK PlainBuffer (GetRow, BatchGetRow). */
emu_rc ots_row_read(emu_call *call, const ots_table_t *t, ProtobufCBinaryData pk,
                    const ots_read_spec *spec, ots_row_result *out, emu_err *err);
/* One write: type PUT (row like PutRow), UPDATE (UpdateRow cells) or
 * DELETE (PK + delete marker), with its condition and return content.
 * Validates, checks the condition, applies, fills *out. On error nothing
 * changed and err carries the code. */
/* A row change's attribute cells (puts and deletes) within
 * OTS_MAX_WRITE_COLUMNS, with the service's text. */
emu_rc ots_row_columns_ok(const ots_row_t *row, emu_err *err);
/* A row change's PlainBuffer decoded (in the call's arena) and its columns
 * counted: what ots_row_write takes. */
emu_rc ots_row_decode(emu_call *call, ProtobufCBinaryData bytes, ots_row_t *row, emu_err *err);
emu_rc ots_row_write(emu_call *call, ots_table_t *t, Ots__OperationType type, ots_row_t *change,
                     const Ots__Condition *cond, const Ots__ReturnContent *ret, ots_row_result *out,
                     emu_err *err);

/* ---- local transactions (ots_txn.c) --------------------------------------------- */

typedef struct ots_txn ots_txn;

/* The PK of a row written in a transaction (cells in the call arena). */
typedef struct ots_txn_row {
    const ots_cell *pk;
    size_t n_pk;
} ots_txn_row;

/* The open transaction `id` of the call's instance, or NULL with err set:
 * "TransactionID is invalid." (empty or malformed), OTSSessionNotExist
 * (unknown, committed, aborted, timed out, or its table dropped). */
ots_txn *ots_txn_get(emu_call *call, const char *id, emu_err *err);
/* The table an open transaction locks (authorization), NULL if none. */
const char *ots_txn_table_name(emu_call *call, const char *id);
/* The private copy of the partition that x reads and writes, after
 * checking that `table` is x's and that the row (PlainBuffer) is in x's
 * partition. *row (NULL for reads) gets the row's PK for ots_txn_wrote. */
emu_rc ots_txn_table(emu_call *call, ots_txn *x, const char *table, ProtobufCBinaryData bytes,
                     ots_table_t **out, ots_txn_row *row, emu_err *err);
/* Notes a successful write of the row in x: commit writes it back.
 * ots_txn_table refused the write if x had no room for another row. */
void ots_txn_wrote(ots_txn *x, const ots_txn_row *row);
/* OTSRowOperationConflict when a write without a transaction (or a
 * StartLocalTransaction) touches a partition key that an open transaction
 * locks. */
emu_rc ots_txn_check_lock(emu_call *call, const ots_table_t *t, const ots_row_t *row, emu_err *err);

/* Streams of a transaction: the record of a write to x's copy waits for
 * the commit. False when t is no transaction's copy. */
bool ots_txn_stream_note(const ots_table_t *t, int action, const uint8_t *row, size_t len);

/* ---- delayed global indexes (ots_index_lag.c) ------------------------------------- */

/* ots_index_apply for a write whose global-index changes wait lag_ms of
 * virtual time (a fault rule's index_lag_ms; 0 = at once unless earlier
 * changes of that index still wait). */
emu_rc ots_index_apply_lagged(const emu_call *call, ots_instance_t *in, const ots_table_t *base,
                              const ots_row_t *old, const ots_row_t *now, unsigned lag_ms,
                              emu_arena *a, emu_err *err);
/* Applies the delayed changes that are due (every table lookup does). */
void ots_index_lag_flush(const emu_call *call);

/* ---- streams (ots_stream.c) ------------------------------------------------------- */

/* Whether writes to t (a table, or a transaction's copy of one) are
 * recorded. */
bool ots_stream_enabled(const ots_table_t *t);
/* "<table>_<enable time ms>", in `a`. */
const char *ots_stream_id(emu_arena *a, const ots_table_t *t);
/* The record of a successful write, without its sequence info: the PK
 * (pk: the final one), the request's cells with their timestamps
 * (stamped: see ots_row_write), an increment as the put of the value in
 * `after` (the row after the write, newest versions; NULL if none), or the
 * delete marker. In the call arena. */
uint8_t *ots_stream_encode(emu_call *call, Ots__OperationType type, const ots_row_t *req,
                           const ots_row_t *pk, const ots_row_t *after, size_t *len);
/* Appends a record (from ots_stream_encode) to t's stream with the next
 * sequence info. */
emu_rc ots_stream_append(emu_call *call, const ots_table_t *t, int action, const uint8_t *row,
                         size_t len, emu_err *err);
/* Applies a StreamSpecification (NULL: nothing) to *out; cur: the table's
 * options now (NULL for CreateTable). */
emu_rc ots_stream_spec(const Ots__StreamSpecification *spec, const ots_table_options *cur,
                       ots_table_options *out, emu_err *err);
/* DescribeTable's / UpdateTable's stream details of t. */
Ots__StreamDetails *ots_stream_details(emu_call *call, const ots_table_t *t);
/* The table a stream id or a shard iterator (when not NULL) names, for
 * authorization; NULL if none. */
const char *ots_stream_table_name(emu_call *call, const char *stream_id, const char *iterator);

/* ---- handlers (one per operation, ots_actions.def) ---------------------------- */

emu_rc ots_create_table(emu_call *call);
emu_rc ots_list_table(emu_call *call);
emu_rc ots_describe_table(emu_call *call);
emu_rc ots_update_table(emu_call *call);
emu_rc ots_delete_table(emu_call *call);
emu_rc ots_create_index(emu_call *call);
emu_rc ots_drop_index(emu_call *call);
emu_rc ots_start_local_transaction(emu_call *call);
emu_rc ots_commit_transaction(emu_call *call);
emu_rc ots_list_stream(emu_call *call);
emu_rc ots_describe_stream(emu_call *call);
emu_rc ots_get_shard_iterator(emu_call *call);
emu_rc ots_get_stream_record(emu_call *call);
emu_rc ots_abort_transaction(emu_call *call);
emu_rc ots_create_search_index(emu_call *call); /* ots_search_api.c */
emu_rc ots_describe_search_index(emu_call *call);
emu_rc ots_list_search_index(emu_call *call);
emu_rc ots_update_search_index(emu_call *call);
emu_rc ots_delete_search_index(emu_call *call);
emu_rc ots_search(emu_call *call);
emu_rc ots_compute_splits(emu_call *call);
emu_rc ots_parallel_scan(emu_call *call);
emu_rc ots_sql_query(emu_call *call);

/* ---- SQL (ots_sql.c, ots_sql_fbs.c) ------------------------------------------------ */

/* Parses the SQLQuery call's statement (kept for the handler) and names
 * what authorizes it: the policy action and the tables (none: the
 * instance), in the call arena. */
void ots_sql_plan(emu_call *call, const char **action, const char ***tables, size_t *n);
/* Appends the FlatBuffers SQLResponseColumns of a result (n_rows * n_cols
 * values, row-major) to out; false when out's cap is reached. */
bool ots_sql_fbs_encode(size_t n_cols, const char *const *names, const odps_type *types,
                        const odps_value *v, size_t n_rows, emu_buf *out);
emu_rc ots_compute_split_points_by_size(emu_call *call);
emu_rc ots_get_row(emu_call *call);
emu_rc ots_put_row(emu_call *call);
emu_rc ots_update_row(emu_call *call);
emu_rc ots_delete_row(emu_call *call);
emu_rc ots_get_range(emu_call *call);
emu_rc ots_batch_get_row(emu_call *call);
emu_rc ots_batch_write_row(emu_call *call);

#endif
