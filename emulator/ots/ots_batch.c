/* BatchGetRow and BatchWriteRow (tablestore-protocol.md §6.5, §9.6).
 *
 * Request-level problems (no rows, too many rows, a table named twice, a
 * table entry without rows, bad per-table read options, too much data)
 * fail the whole request with 400. Everything about one row (its PK, its
 * condition, a table that does not exist [?: §9.6 leaves whole-request 404
 * open; every SDK handles per-row errors]) is answered in that row's
 * `error` with is_ok = false while the request answers 200. Responses are
 * positional: tables[i].rows[j] answers request tables[i].rows[j].
 *
 * Rows are applied one after the other, in request order, each on its
 * own: not atomic, even with Java's is_atomic (acsemu departure). */
#include <string.h>

#include "emu/faults.h"
#include "ots_svc_int.h"

static Ots__Error *row_error(emu_call *call, const emu_err *e)
{
    Ots__Error *err = emu_arena_alloc(call->arena, sizeof *err);
    ots__error__init(err);
    /* Go dereferences both code and message (§6.1). */
    err->code = emu_arena_strdup(call->arena, e->code ? e->code : ots_default_code(e->rc));
    err->message = emu_arena_strdup(call->arena, e->msg);
    return err;
}

static emu_rc check_table_names(emu_call *call, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                                "Duplicated table name: %s.", names[i]);
    return EMU_OK;
}

emu_rc ots_batch_get_row(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__BatchGetRowRequest *m = r->msg;
    Ots__BatchGetRowResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    size_t total = 0;
    emu_rc rc;

    char **names = emu_arena_alloc(call->arena, (m->n_tables + 1) * sizeof *names);
    for (size_t i = 0; i < m->n_tables; i++) {
        names[i] = m->tables[i]->table_name;
        total += m->tables[i]->n_primary_key;
    }
    /* No table at all is an error; a table entry without rows is answered
     * with no rows (the Python SDK's own row_op_test). */
    if (!m->n_tables)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "No row specified in the request of BatchGetRow.");
    if (total > OTS_BATCH_GET_MAX_ROWS)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Rows count exceeds the upper limit: %d.", OTS_BATCH_GET_MAX_ROWS);
    if ((rc = check_table_names(call, names, m->n_tables)))
        return rc;

    ots__batch_get_row_response__init(resp);
    resp->n_tables = m->n_tables;
    resp->tables = emu_arena_alloc(call->arena, (m->n_tables + 1) * sizeof *resp->tables);
    for (size_t i = 0; i < m->n_tables; i++) {
        const Ots__TableInBatchGetRowRequest *tq = m->tables[i];
        Ots__TableInBatchGetRowResponse *ta = emu_arena_alloc(call->arena, sizeof *ta);
        ots_read_spec spec;
        ots_table_t *t = NULL;
        emu_err terr = {0};

        if ((rc =
                 ots_read_spec_init(call, tq->columns_to_get, tq->n_columns_to_get, tq->time_range,
                                    tq->has_max_versions, tq->max_versions, tq->start_column,
                                    tq->end_column, tq->has_filter, tq->filter, &spec, &call->err)))
            return rc;
        ots_find_table(call, tq->table_name, &t, &terr);
        ots__table_in_batch_get_row_response__init(ta);
        ta->table_name = tq->table_name;
        ta->n_rows = tq->n_primary_key;
        ta->rows = emu_arena_alloc(call->arena, (tq->n_primary_key + 1) * sizeof *ta->rows);
        for (size_t j = 0; j < tq->n_primary_key; j++) {
            Ots__RowInBatchGetRowResponse *ra = emu_arena_alloc(call->arena, sizeof *ra);
            ots_row_result res;
            emu_err e = {0};
            ots__row_in_batch_get_row_response__init(ra);
            if (!t)
                e = terr;
            if (t && ots_row_read(call, t, tq->primary_key[j], &spec, &res, &e) == EMU_OK) {
                ra->is_ok = 1;
                ra->consumed = ots_consumed(call->arena, res.read_cu, 0);
                ra->has_row = 1;
                ra->row = res.row;
            } else {
                ra->is_ok = 0;
                ra->error = row_error(call, &e);
            }
            ta->rows[j] = ra;
        }
        resp->tables[i] = ta;
    }
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_batch_write_row(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__BatchWriteRowRequest *m = r->msg;
    Ots__BatchWriteRowResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    size_t total = 0, bytes = 0;
    emu_rc rc;

    char **names = emu_arena_alloc(call->arena, (m->n_tables + 1) * sizeof *names);
    for (size_t i = 0; i < m->n_tables; i++) {
        names[i] = m->tables[i]->table_name;
        total += m->tables[i]->n_rows;
        for (size_t j = 0; j < m->tables[i]->n_rows; j++) {
            const Ots__RowInBatchWriteRowRequest *rq = m->tables[i]->rows[j];
            bytes += rq->row_change.len;
            if (rq->type < OTS__OPERATION_TYPE__PUT || rq->type > OTS__OPERATION_TYPE__DELETE)
                return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                                "The type of row in batch write operation is invalid.");
        }
    }
    /* A table entry without rows names its table (the SDKs' own tests:
     * Python row_op_test, Java TestBulkImportFunction); a request without
     * any table entry has no row at all. */
    for (size_t i = 0; i < m->n_tables; i++)
        if (!m->tables[i]->n_rows)
            return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                            "No operation is specified for table: '%s'.", names[i]);
    if (!total)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "No row is specified in BatchWriteRow.");
    if (total > OTS_BATCH_WRITE_MAX_ROWS)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Rows count exceeds the upper limit: %d.", OTS_BATCH_WRITE_MAX_ROWS);
    if ((rc = check_table_names(call, names, m->n_tables)))
        return rc;
    /* Every row decoded once, here: too many columns in one row fails the
     * whole request, not that row (the Java SDK's own RestrictedItemTest);
     * a row that does not decode fails alone, below. */
    ots_row_t *change = emu_arena_alloc(call->arena, (total + 1) * sizeof *change);
    emu_rc *decoded = emu_arena_alloc(call->arena, (total + 1) * sizeof *decoded);
    for (size_t i = 0, k = 0; i < m->n_tables; i++)
        for (size_t j = 0; j < m->tables[i]->n_rows; j++, k++) {
            emu_err e = {0};
            decoded[k] = ots_plainbuffer_decode_row(m->tables[i]->rows[j]->row_change.data,
                                                    m->tables[i]->rows[j]->row_change.len,
                                                    call->arena, &change[k], &e);
            if (!decoded[k] && (rc = ots_row_columns_ok(&change[k], &call->err)))
                return rc;
        }
    /* The encoded rows stand in for the data size: the §5.2 text only
     * needs the two numbers. */
    if (bytes > OTS_BATCH_WRITE_MAX_BYTES)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "The total data size of BatchWriteRow request exceeds the limit, limit "
                        "size: %d, data size: %zu.",
                        OTS_BATCH_WRITE_MAX_BYTES, bytes);

    /* A transaction is the request's: an unknown one fails it whole. */
    ots_txn *x = NULL;
    if (m->transaction_id && !(x = ots_txn_get(call, m->transaction_id, &call->err)))
        return call->err.rc;

    /* An injected partial failure (emu/faults.h) picks rows by their index
     * over the whole request; those rows are not written. */
    const emu_fault_hooks *fh = call->fault ? call->server->fault_hooks : NULL;
    size_t row_index = 0, at = 0; /* at: the row's place in change[] */
    ots__batch_write_row_response__init(resp);
    resp->n_tables = m->n_tables;
    resp->tables = emu_arena_alloc(call->arena, (m->n_tables + 1) * sizeof *resp->tables);
    for (size_t i = 0; i < m->n_tables; i++) {
        const Ots__TableInBatchWriteRowRequest *tq = m->tables[i];
        Ots__TableInBatchWriteRowResponse *ta = emu_arena_alloc(call->arena, sizeof *ta);
        ots_table_t *t = NULL;
        emu_err terr = {0};

        ots_find_table(call, tq->table_name, &t, &terr);
        ots__table_in_batch_write_row_response__init(ta);
        ta->table_name = tq->table_name;
        ta->n_rows = tq->n_rows;
        ta->rows = emu_arena_alloc(call->arena, (tq->n_rows + 1) * sizeof *ta->rows);
        for (size_t j = 0; j < tq->n_rows; j++) {
            const Ots__RowInBatchWriteRowRequest *rq = tq->rows[j];
            Ots__RowInBatchWriteRowResponse *ra = emu_arena_alloc(call->arena, sizeof *ra);
            ots_row_result res;
            emu_err e = {0};
            ots__row_in_batch_write_row_response__init(ra);
            bool injected = fh && fh->batch_row(call, row_index++, &e);
            if (!t)
                e = terr;
            ots_table_t *wt = t; /* or the transaction's copy of the partition */
            ots_txn_row written;
            if (t && !injected && x &&
                ots_txn_table(call, x, tq->table_name, rq->row_change, &wt, &written, &e))
                wt = NULL;
            size_t k = at++;
            if (wt && !injected && decoded[k]) /* its error again (the rare path) */
                ots_plainbuffer_decode_row(rq->row_change.data, rq->row_change.len, call->arena,
                                           &change[k], &e);
            if (wt && !injected && !decoded[k] &&
                ots_row_write(call, wt, rq->type, &change[k], rq->condition, rq->return_content,
                              &res, &e) == EMU_OK) {
                if (x)
                    ots_txn_wrote(x, &written);
                ra->is_ok = 1;
                ra->consumed = ots_consumed(call->arena, res.read_cu, res.write_cu);
                ra->has_row = res.has_row;
                ra->row = res.row;
            } else {
                ra->is_ok = 0;
                ra->error = row_error(call, &e);
            }
            ta->rows[j] = ra;
        }
        resp->tables[i] = ta;
    }
    r->resp = &resp->base;
    return EMU_OK;
}
