/* Single-row operations: GetRow, PutRow, UpdateRow, DeleteRow
 * (tablestore-protocol.md §6.4, §9.3, §9.4, §9.7), and the read and write
 * steps BatchGetRow / BatchWriteRow reuse per row.
 *
 * A write goes: decode the PlainBuffer row → shape checks for its type
 * (delete marker, cells, op types) → limits → auto-increment rules →
 * timestamp window → row-existence and column condition against the
 * current row → store → return content. Nothing is changed until every
 * check has passed, so a failed row in a batch leaves no trace.
 *
 * Limits: more than OTS_MAX_WRITE_COLUMNS attribute cells in one write →
 * OTSParameterInvalid "The number of attribute columns exceeds the limit,
 * limit count: 1024, column count: N." (the Java SDK's own
 * RestrictedItemTest; a batch fails whole); more than OTS_MAX_ROW_DATA_BYTES
 * of row data in one write → OTSOutOfRowSizeLimit [inferred choice]. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emu/clock.h"
#include "ots_svc_int.h"

static uint8_t empty_bytes[1];

static ProtobufCBinaryData no_bytes(void)
{
    return (ProtobufCBinaryData){0, empty_bytes};
}

/* ---- read spec ------------------------------------------------------------------ */

static emu_rc bad(emu_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static emu_rc bad(emu_err *err, const char *fmt, ...)
{
    va_list ap;
    char m[EMU_ERR_MSG_MAX];
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid", "%s", m);
}

static bool ts_in_range(int64_t ts)
{
    return ts >= 0 && ts < INT64_MAX / 1000;
}

emu_rc ots_read_spec_init(emu_call *call, char **columns, size_t n_columns,
                          const Ots__TimeRange *tr, bool has_max, int32_t max_versions,
                          const char *start_column, const char *end_column, bool has_filter,
                          ProtobufCBinaryData filter, ots_read_spec *out, emu_err *err)
{
    memset(out, 0, sizeof *out);
    /* GetRow and GetRange say less than BatchGetRow (the Java SDK's own
     * ParameterLegalityTest, testNotSetVersionOptionsInGetOperations). */
    const char *no_version = call->action_name && !strcmp(call->action_name, "BatchGetRow")
                                 ? "No version condition is specified while querying row."
                                 : "No version condition is specified.";
    if (n_columns > OTS_MAX_COLUMNS_TO_GET)
        return bad(err,
                   "The number of columns from the request exceeds the limit, limit count: %d, "
                   "column count: %zu.",
                   OTS_MAX_COLUMNS_TO_GET, n_columns);
    if (!has_max && !tr)
        return bad(err, "%s", no_version);
    if (has_max && max_versions <= 0)
        return bad(err,
                   "Invalid max versions: %" PRId32 " . Reason: Max versions must be positive.",
                   max_versions);
    out->opts.max_versions = has_max ? max_versions : 0;
    if (tr) {
        /* The Node SDK always sends max_versions (default 1), also next to
         * a specific time, so both are accepted together [departure from
         * the §5.2 text "cannot be given at the same time"]. */
        if (tr->has_specific_time) {
            if (!ts_in_range(tr->specific_time))
                return bad(err, "Timestamp must be in range [0, INT64_MAX/1000).");
            out->opts.has_time_range = true;
            out->opts.start_ts = tr->specific_time;
            out->opts.end_ts = tr->specific_time + 1;
        } else if (tr->has_start_time != tr->has_end_time) {
            return bad(err, "Start and end time must be given at the same time.");
        } else if (tr->has_start_time) {
            if (!ts_in_range(tr->start_time) || !ts_in_range(tr->end_time))
                return bad(err, "Timestamp must be in range [0, INT64_MAX/1000).");
            out->opts.has_time_range = true;
            out->opts.start_ts = tr->start_time;
            out->opts.end_ts = tr->end_time;
        } else if (!has_max) {
            return bad(err, "%s", no_version);
        }
    }
    if (n_columns) {
        emu_str *cols = emu_arena_alloc(call->arena, n_columns * sizeof *cols);
        for (size_t i = 0; i < n_columns; i++)
            cols[i] = emu_str_c(columns[i]);
        out->opts.columns = cols;
        out->opts.n_columns = n_columns;
    }
    if (start_column && *start_column)
        out->opts.start_column = emu_str_c(start_column);
    if (end_column && *end_column)
        out->opts.end_column = emu_str_c(end_column);
    if (has_filter && filter.len)
        return ots_filter_decode(filter.data, filter.len, call->arena, &out->filter, err);
    return EMU_OK;
}

bool ots_read_apply(const ots_read_spec *spec, ots_row_t *row)
{
    if (!spec->filter)
        return true;
    if (!ots_filter_match(spec->filter, row))
        return false;
    ots_filter_paginate(spec->filter, row);
    return true;
}

/* ---- one read ---------------------------------------------------------------------- */

emu_rc ots_row_read(emu_call *call, const ots_table_t *t, ProtobufCBinaryData pk,
                    const ots_read_spec *spec, ots_row_result *out, emu_err *err)
{
    ots_row_t key, row;
    bool found = false;
    emu_rc rc;

    memset(out, 0, sizeof *out);
    if ((rc = ots_plainbuffer_decode_row(pk.data, pk.len, call->arena, &key, err)))
        return rc;
    if ((rc = ots_store_get(t, key.pk, key.n_pk, &spec->opts, call->arena, &row, &found, err)))
        return rc;
    if (found)
        found = ots_index_row_visible(ots_req_of(call)->instance, t, &row, call->arena) &&
                ots_read_apply(spec, &row);
    out->has_row = true;
    if (!found) {
        out->read_cu = 1; /* an absent row still costs one read (§9.7) */
        out->row = no_bytes();
        return EMU_OK;
    }
    int32_t cu = ots_cu(ots_row_data_size(&row, ots_table_versioned(t)));
    out->read_cu = cu ? cu : 1;
    out->row.data = ots_plainbuffer_encode_row(&row, call->arena, &out->row.len);
    return EMU_OK;
}

/* ---- one write ------------------------------------------------------------------------ */

static const char *expect_name(int e)
{
    switch (e) {
    case OTS__ROW_EXISTENCE_EXPECTATION__IGNORE:
        return "IGNORE";
    case OTS__ROW_EXISTENCE_EXPECTATION__EXPECT_EXIST:
        return "EXPECT_EXIST";
    default:
        return "EXPECT_NOT_EXIST";
    }
}

/* The version window of a written timestamp (§9.1):
 * [now − min(deviation, TTL), now + deviation). */
static emu_rc check_timestamps(const ots_table_t *t, const ots_row_t *row, emu_err *err)
{
    const ots_table_options *o = &ots_table_schema_of(t)->opts;
    int64_t now = emu_clock_now_ms();
    int64_t dev = o->deviation_s > INT64_MAX / 2000 ? INT64_MAX / 2 : o->deviation_s * 1000;
    int64_t back = dev;
    if (o->ttl_s != -1 && (int64_t)o->ttl_s * 1000 < back)
        back = (int64_t)o->ttl_s * 1000;
    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        if (!c->has_ts || (c->has_op && c->op != OTS_OP_INCREMENT))
            continue; /* deletes name existing versions; no window applies */
        if (!ts_in_range(c->ts))
            return bad(err, "Timestamp must be in range [0, INT64_MAX/1000).");
        if (c->ts < now - back || c->ts >= now + dev)
            return bad(err, "Invalid timestamp. Cell:%.*s.", (int)c->name.len, c->name.p);
    }
    return EMU_OK;
}

static emu_rc shape(const ots_table_t *t, Ots__OperationType type, const ots_row_t *row,
                    emu_err *err)
{
    switch (type) {
    case OTS__OPERATION_TYPE__PUT:
        if (row->delete_marker)
            return bad(err,
                       "Invalid request of put/update row: unexpected RowDeleteMarker in request.");
        break;
    case OTS__OPERATION_TYPE__UPDATE:
        if (row->delete_marker)
            return bad(err,
                       "Invalid request of put/update row: unexpected RowDeleteMarker in request.");
        if (!row->n_attrs)
            return bad(err, "Invalid update row request: missing cells in request.");
        if (!ots_table_schema_of(t)->opts.allow_update)
            /* [inferred] text: the spec only says UpdateRow is refused. */
            return bad(err, "UpdateRow is not allowed on table %s: allow_update is false.",
                       ots_table_schema_of(t)->name);
        break;
    case OTS__OPERATION_TYPE__DELETE:
        if (!row->delete_marker)
            return bad(err, "Invalid request of delete row: missing RowDeleteMarker in request.");
        if (row->n_attrs)
            return bad(err, "Invalid delete row request: unexpected cells in request.");
        break;
    default:
        return bad(err, "The type of row in batch write operation is invalid.");
    }
    /* The service refuses an attribute named like a PK column with 400
     * OTSParameterInvalid (issue 18) [inferred text: the CreateTable one]. */
    const ots_table_schema *s = ots_table_schema_of(t);
    for (size_t i = 0; i < row->n_attrs; i++)
        for (size_t k = 0; k < s->n_pk; k++)
            if (emu_str_eq_c(row->attrs[i].name, s->pk[k].name))
                return bad(err, "Duplicated attribute column name with primary key column: %s.",
                           s->pk[k].name);
    if (ots_row_data_size(row, false) > OTS_MAX_ROW_DATA_BYTES)
        return ots_fail(err, EMU_E_INVALID, "OTSOutOfRowSizeLimit",
                        "The total data size of columns in one row exceeded the limit.");
    return EMU_OK;
}

static bool has_auto_increment(const ots_row_t *row)
{
    for (size_t i = 0; i < row->n_pk; i++)
        if (row->pk[i].has_value && row->pk[i].value.type == OTS_VT_AUTO_INCREMENT)
            return true;
    return false;
}

/* Row existence and column condition against the current row (§9.3). */
static emu_rc check_condition(emu_call *call, const ots_table_t *t, const ots_row_t *row,
                              int expect, const ots_filter *f, int32_t *read_cu, emu_err *err)
{
    bool found = false;
    ots_row_t cur = {0};
    emu_rc rc;

    if (expect == OTS__ROW_EXISTENCE_EXPECTATION__IGNORE && !f)
        return EMU_OK;
    if (f)
        rc = ots_store_get(t, row->pk, row->n_pk, NULL, call->arena, &cur, &found, err);
    else
        rc = ots_store_exists(t, row->pk, row->n_pk, &found, err);
    if (rc)
        return rc;
    ots_row_t pk_only = {row->pk, row->n_pk, NULL, 0, false};
    int32_t cu = ots_cu(ots_row_data_size(&pk_only, false));
    *read_cu = cu ? cu : 1;
    if ((expect == OTS__ROW_EXISTENCE_EXPECTATION__EXPECT_EXIST && !found) ||
        (expect == OTS__ROW_EXISTENCE_EXPECTATION__EXPECT_NOT_EXIST && found) ||
        (f && !ots_filter_match(f, found ? &cur : &pk_only)))
        return ots_fail(err, EMU_E_CONFLICT, "OTSConditionCheckFail", OTS_ERR_CONDITION);
    return EMU_OK;
}

/* RT_AFTER_MODIFY: the PK plus the newest version of each named column as
 * it is after the write (§9.4; the service fills values for INCREMENT
 * columns, acsemu for any named column that exists). */
static emu_rc after_modify(emu_call *call, const ots_table_t *t, const ots_row_t *pk,
                           const Ots__ReturnContent *ret, ots_row_t *out, emu_err *err)
{
    ots_read_opts o = {0};
    bool found = false;
    *out = *pk;
    if (!ret->n_return_column_names)
        return EMU_OK;
    emu_str *cols = emu_arena_alloc(call->arena, ret->n_return_column_names * sizeof *cols);
    for (size_t i = 0; i < ret->n_return_column_names; i++)
        cols[i] = emu_str_c(ret->return_column_names[i]);
    o.max_versions = 1;
    o.columns = cols;
    o.n_columns = ret->n_return_column_names;
    ots_row_t got;
    emu_rc rc = ots_store_get(t, pk->pk, pk->n_pk, &o, call->arena, &got, &found, err);
    if (rc == EMU_OK && found)
        *out = got;
    return rc;
}

/* The stream record of a write that succeeded (ots_stream.c); a
 * transaction's write waits for its commit. */
static emu_rc stream_note(emu_call *call, ots_table_t *t, Ots__OperationType type,
                          const ots_row_t *row, const ots_row_t *pk, emu_err *err)
{
    ots_read_opts newest = {.max_versions = 1};
    ots_row_t after;
    bool has = false, inc = false;
    emu_rc rc;
    for (size_t i = 0; i < row->n_attrs; i++)
        inc |= row->attrs[i].has_op && row->attrs[i].op == OTS_OP_INCREMENT;
    if (inc && (rc = ots_store_get(t, pk->pk, pk->n_pk, &newest, call->arena, &after, &has, err)))
        return rc;
    size_t len;
    uint8_t *b = ots_stream_encode(call, type, row, pk, has ? &after : NULL, &len);
    int action = type == OTS__OPERATION_TYPE__PUT      ? OTS__ACTION_TYPE__PUT_ROW
                 : type == OTS__OPERATION_TYPE__UPDATE ? OTS__ACTION_TYPE__UPDATE_ROW
                                                       : OTS__ACTION_TYPE__DELETE_ROW;
    if (ots_txn_stream_note(t, action, b, len))
        return EMU_OK;
    return ots_stream_append(call, t, action, b, len, err);
}

emu_rc ots_row_columns_ok(const ots_row_t *row, emu_err *err)
{
    if (row->n_attrs > OTS_MAX_WRITE_COLUMNS)
        return bad(err,
                   "The number of attribute columns exceeds the limit, limit count: %d, column "
                   "count: %zu.",
                   OTS_MAX_WRITE_COLUMNS, row->n_attrs);
    return EMU_OK;
}

emu_rc ots_row_decode(emu_call *call, ProtobufCBinaryData bytes, ots_row_t *row, emu_err *err)
{
    emu_rc rc = ots_plainbuffer_decode_row(bytes.data, bytes.len, call->arena, row, err);
    return rc ? rc : ots_row_columns_ok(row, err);
}

emu_rc ots_row_write(emu_call *call, ots_table_t *t, Ots__OperationType type, ots_row_t *change,
                     const Ots__Condition *cond, const Ots__ReturnContent *ret, ots_row_result *out,
                     emu_err *err)
{
    ots_row_t row = *change, pk_out; /* its cells may get their timestamps below */
    ots_filter *f = NULL;
    int expect = cond ? (int)cond->row_existence : 0;
    emu_rc rc;

    memset(out, 0, sizeof *out);
    if (ots_index_find(ots_req_of(call)->instance, ots_table_schema_of(t)->name))
        /* [inferred] text: index tables are written through their table. */
        return bad(err, "Index table %s cannot be written directly; write table %s.",
                   ots_table_schema_of(t)->name,
                   ots_index_find(ots_req_of(call)->instance, ots_table_schema_of(t)->name)->base);
    /* The live table (not a transaction's copy of a partition). */
    ots_instance_t *in = ots_req_of(call)->instance;
    bool live = ots_store_table_find(in, ots_table_schema_of(t)->name) == t;
    if (live && (rc = ots_txn_check_lock(call, t, &row, err)))
        return rc;
    if (expect < OTS__ROW_EXISTENCE_EXPECTATION__IGNORE ||
        expect > OTS__ROW_EXISTENCE_EXPECTATION__EXPECT_NOT_EXIST)
        return bad(err, "Invalid row-existence expectation: %d.", expect);
    if (cond && cond->has_column_condition && cond->column_condition.len &&
        (rc = ots_filter_decode(cond->column_condition.data, cond->column_condition.len,
                                call->arena, &f, err)))
        return rc;
    if ((rc = shape(t, type, &row, err)))
        return rc;
    if (has_auto_increment(&row)) {
        if (type == OTS__OPERATION_TYPE__DELETE)
            return bad(err, "Invalid row to delete which with pk auto increment.");
        if (expect != OTS__ROW_EXISTENCE_EXPECTATION__IGNORE || f)
            return bad(err, "Invalid expect:%s when modify row with pk auto increment.",
                       expect_name(expect));
    } else if ((rc = check_condition(call, t, &row, expect, f, &out->read_cu, err))) {
        return rc;
    }
    if ((rc = check_timestamps(t, &row, err)))
        return rc;

    /* Secondary indexes: the row before and after the write (§ indexes in
     * ots_index.c). */
    const ots_index_def *idx[1];
    bool indexed = live && ots_index_list(in, ots_table_schema_of(t)->name, idx, 1) > 0;
    ots_row_t old_row;
    bool had_old = false;
    ots_read_opts newest = {.max_versions = 1};
    if (indexed) {
        if ((rc = ots_index_check_write(in, t, &row, err)))
            return rc;
        if (!has_auto_increment(&row) && (rc = ots_store_get(t, row.pk, row.n_pk, &newest,
                                                             call->arena, &old_row, &had_old, err)))
            return rc;
    }

    /* A stream records each put with the timestamp it got: stamp them now. */
    bool streamed = ots_stream_enabled(t);
    int64_t stamp = emu_clock_now_ms();
    for (size_t i = 0; streamed && type != OTS__OPERATION_TYPE__DELETE && i < row.n_attrs; i++)
        if (!row.attrs[i].has_op && !row.attrs[i].has_ts) {
            row.attrs[i].has_ts = true;
            row.attrs[i].ts = stamp;
        }

    ots_row_t pk_only = {row.pk, row.n_pk, NULL, 0, false};
    int32_t wcu;
    switch (type) {
    case OTS__OPERATION_TYPE__PUT:
        rc = ots_store_put(t, &row, call->arena, &pk_out, err);
        wcu = ots_cu(ots_row_data_size(&row, ots_table_versioned(t)));
        break;
    case OTS__OPERATION_TYPE__UPDATE:
        rc = ots_store_update(t, &row, call->arena, &pk_out, err);
        wcu = ots_cu(ots_row_data_size(&row, ots_table_versioned(t)));
        break;
    default:
        rc = ots_store_delete(t, row.pk, row.n_pk, NULL, err);
        pk_out = pk_only;
        wcu = ots_cu(ots_row_data_size(&pk_only, false));
        break;
    }
    if (rc)
        return rc;
    if (indexed) {
        ots_row_t now;
        bool has_now = false;
        if (type != OTS__OPERATION_TYPE__DELETE &&
            (rc = ots_store_get(t, pk_out.pk, pk_out.n_pk, &newest, call->arena, &now, &has_now,
                                err)))
            return rc;
        if ((rc = ots_index_apply_lagged(call, in, t, had_old ? &old_row : NULL,
                                         has_now ? &now : NULL, call->index_lag_ms, call->arena,
                                         err)))
            return rc;
    }
    if (streamed && (rc = stream_note(call, t, type, &row, &pk_out, err)))
        return rc;
    out->write_cu = wcu ? wcu : 1;

    int rt = ret && ret->has_return_type ? (int)ret->return_type : OTS__RETURN_TYPE__RT_NONE;
    if (rt == OTS__RETURN_TYPE__RT_PK ||
        (rt == OTS__RETURN_TYPE__RT_AFTER_MODIFY && type == OTS__OPERATION_TYPE__DELETE)) {
        out->has_row = true;
        out->row.data = ots_plainbuffer_encode_row(&pk_out, call->arena, &out->row.len);
    } else if (rt == OTS__RETURN_TYPE__RT_AFTER_MODIFY) {
        ots_row_t r;
        if ((rc = after_modify(call, t, &pk_out, ret, &r, err)))
            return rc;
        out->has_row = true;
        out->row.data = ots_plainbuffer_encode_row(&r, call->arena, &out->row.len);
    }
    return EMU_OK;
}

/* ---- handlers ---------------------------------------------------------------------------- */

/* With a transaction id: the transaction's copy of the partition instead of
 * the table (*x, row: for ots_txn_wrote). */
static emu_rc txn_table(emu_call *call, const char *id, const char *table,
                        ProtobufCBinaryData bytes, ots_table_t **t, ots_txn **x, ots_txn_row *row)
{
    if (!(*x = ots_txn_get(call, id, &call->err)))
        return call->err.rc;
    return ots_txn_table(call, *x, table, bytes, t, row, &call->err);
}

emu_rc ots_get_row(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__GetRowRequest *m = r->msg;
    Ots__GetRowResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots_table_t *t;
    ots_read_spec spec;
    ots_row_result res;
    emu_rc rc;

    if ((rc = ots_find_table(call, m->table_name, &t, &call->err)))
        return rc;
    ots_txn *x;
    if (m->transaction_id &&
        (rc = txn_table(call, m->transaction_id, m->table_name, m->primary_key, &t, &x, NULL)))
        return rc;
    if ((rc = ots_read_spec_init(call, m->columns_to_get, m->n_columns_to_get, m->time_range,
                                 m->has_max_versions, m->max_versions, m->start_column,
                                 m->end_column, m->has_filter, m->filter, &spec, &call->err)))
        return rc;
    if ((rc = ots_row_read(call, t, m->primary_key, &spec, &res, &call->err)))
        return rc;
    ots__get_row_response__init(resp);
    resp->consumed = ots_consumed(call->arena, res.read_cu, 0);
    resp->row = res.row;
    r->resp = &resp->base;
    return EMU_OK;
}

/* PutRow, UpdateRow and DeleteRow share one response shape. */
static emu_rc write_one(emu_call *call, const char *table, Ots__OperationType type,
                        ProtobufCBinaryData row, const Ots__Condition *cond,
                        const Ots__ReturnContent *ret, const char *txn)
{
    ots_req *r = ots_req_of(call);
    Ots__PutRowResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots_table_t *t;
    ots_row_result res;
    emu_rc rc;

    if ((rc = ots_find_table(call, table, &t, &call->err)))
        return rc;
    ots_txn *x = NULL;
    ots_txn_row written;
    if (txn && (rc = txn_table(call, txn, table, row, &t, &x, &written)))
        return rc;
    ots_row_t change;
    if ((rc = ots_row_decode(call, row, &change, &call->err)) ||
        (rc = ots_row_write(call, t, type, &change, cond, ret, &res, &call->err)))
        return rc;
    if (x)
        ots_txn_wrote(x, &written);
    /* PutRowResponse, UpdateRowResponse and DeleteRowResponse have the same
     * fields and numbers (§6.4); packing one serves all three. */
    ots__put_row_response__init(resp);
    resp->consumed = ots_consumed(call->arena, res.read_cu, res.write_cu);
    resp->has_row = res.has_row;
    resp->row = res.has_row ? res.row : no_bytes();
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_put_row(emu_call *call)
{
    const Ots__PutRowRequest *m = ots_req_of(call)->msg;
    return write_one(call, m->table_name, OTS__OPERATION_TYPE__PUT, m->row, m->condition,
                     m->return_content, m->transaction_id);
}

emu_rc ots_update_row(emu_call *call)
{
    const Ots__UpdateRowRequest *m = ots_req_of(call)->msg;
    return write_one(call, m->table_name, OTS__OPERATION_TYPE__UPDATE, m->row_change, m->condition,
                     m->return_content, m->transaction_id);
}

emu_rc ots_delete_row(emu_call *call)
{
    const Ots__DeleteRowRequest *m = ots_req_of(call)->msg;
    return write_one(call, m->table_name, OTS__OPERATION_TYPE__DELETE, m->primary_key, m->condition,
                     m->return_content, m->transaction_id);
}
