/* GetRange (tablestore-protocol.md §6.5, §9.5).
 *
 * One page: open the store's range iterator (FORWARD [start, end),
 * BACKWARD (end, start]), step through stored rows, keep those the read
 * spec and filter let through, and stop at the first of: the request's
 * limit, OTS_RANGE_MAX_ROWS rows, OTS_RANGE_MAX_BYTES of row data (the row
 * that crosses it is still returned), OTS_RANGE_SCAN_CAP stored rows
 * stepped over, or the end of the range. Unless the range is exhausted the
 * answer carries next_start_primary_key = the PK of the next unread stored
 * row in scan direction, which the client sends back as the next inclusive
 * start; when it is exhausted the field is omitted (Java parses a present
 * empty one and fails, §9.5). O(log n + k) per page. */
#include <string.h>

#include "ots_svc_int.h"

static uint8_t empty_bytes[1];

emu_rc ots_get_range(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__GetRangeRequest *m = r->msg;
    Ots__GetRangeResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots_table_t *t;
    ots_read_spec spec;
    ots_row_t start, end;
    ots_store_iter it;
    emu_rc rc;

    if ((rc = ots_find_table(call, m->table_name, &t, &call->err)))
        return rc;
    if (m->transaction_id) {
        /* The copy holds the partition only, so the range reads no more. */
        ots_txn *x = ots_txn_get(call, m->transaction_id, &call->err);
        if (!x || (rc = ots_txn_table(call, x, m->table_name, m->inclusive_start_primary_key, &t,
                                      NULL, &call->err)))
            return call->err.rc;
    }
    if (m->direction != OTS__DIRECTION__FORWARD && m->direction != OTS__DIRECTION__BACKWARD)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid", "Invalid direction: %d.",
                        (int)m->direction);
    if (m->has_limit && m->limit <= 0)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "The limit must be greater than 0.");
    if ((rc = ots_read_spec_init(call, m->columns_to_get, m->n_columns_to_get, m->time_range,
                                 m->has_max_versions, m->max_versions, m->start_column,
                                 m->end_column, m->has_filter, m->filter, &spec, &call->err)))
        return rc;
    if ((rc = ots_plainbuffer_decode_row(m->inclusive_start_primary_key.data,
                                         m->inclusive_start_primary_key.len, call->arena, &start,
                                         &call->err)) ||
        (rc = ots_plainbuffer_decode_row(m->exclusive_end_primary_key.data,
                                         m->exclusive_end_primary_key.len, call->arena, &end,
                                         &call->err)))
        return rc;
    if ((rc = ots_store_range_open(t, start.pk, start.n_pk, end.pk, end.n_pk,
                                   m->direction == OTS__DIRECTION__BACKWARD, call->arena, &it,
                                   &call->err)))
        return rc;

    size_t limit = OTS_RANGE_MAX_ROWS;
    if (m->has_limit && (size_t)m->limit < limit)
        limit = (size_t)m->limit;
    bool versioned = ots_table_versioned(t);
    size_t cap = limit < 64 ? limit : 64, n = 0, bytes = 0;
    ots_row_t *rows = emu_arena_alloc(call->arena, cap * sizeof *rows);
    bool exhausted = false;
    bool expires = ots_index_expires(r->instance, t); /* an index of a TTL table */
    while (n < limit && bytes < OTS_RANGE_MAX_BYTES && it.scanned < OTS_RANGE_SCAN_CAP) {
        ots_row_t row;
        ots_iter_rc ir = ots_store_range_next(&it, &spec.opts, call->arena, &row);
        if (ir == OTS_ITER_END) {
            exhausted = true;
            break;
        }
        if (ir != OTS_ITER_ROW ||
            (expires && !ots_index_row_visible(r->instance, t, &row, call->arena)) ||
            !ots_read_apply(&spec, &row))
            continue;
        if (n == cap) {
            ots_row_t *grown = emu_arena_alloc(call->arena, 2 * cap * sizeof *rows);
            memcpy(grown, rows, n * sizeof *rows);
            rows = grown;
            cap *= 2;
        }
        rows[n++] = row;
        bytes += ots_row_data_size(&row, versioned);
    }

    ots__get_range_response__init(resp);
    int32_t cu = ots_cu(bytes);
    resp->consumed = ots_consumed(call->arena, cu ? cu : 1, 0);
    if (n)
        resp->rows.data = ots_plainbuffer_encode_rows(rows, n, call->arena, &resp->rows.len);
    else
        resp->rows = (ProtobufCBinaryData){0, empty_bytes};
    ots_row_t next;
    if (!exhausted && ots_store_range_peek_pk(&it, call->arena, &next)) {
        resp->has_next_start_primary_key = 1;
        resp->next_start_primary_key.data =
            ots_plainbuffer_encode_row(&next, call->arena, &resp->next_start_primary_key.len);
    }
    r->resp = &resp->base;
    return EMU_OK;
}
