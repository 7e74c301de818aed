/* Range scans of the row store (GetRange, tablestore-protocol §9.5): a
 * cursor over the ordered index that stops at the end key, in either
 * direction. O(log n) to open, O(1) amortised per row after that. */
#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_store_int.h"

emu_rc ots_store_range_open(const ots_table_t *t, const ots_cell *start, size_t n_start,
                            const ots_cell *end, size_t n_end, bool backward, emu_arena *a,
                            ots_store_iter *it, emu_err *err)
{
    ots_value sv[EMU_MAX_OTS_PK_COLUMNS], ev[EMU_MAX_OTS_PK_COLUMNS];
    uint8_t sk[OTS__KEY_MAX];
    emu_rc rc;

    memset(it, 0, sizeof *it);
    if ((rc = ots__check_pk(t, start, n_start, OTS__PK_RANGE, sv, err)))
        return rc;
    if ((rc = ots__check_pk(t, end, n_end, OTS__PK_RANGE, ev, err)))
        return rc;
    size_t slen = ots__key_encode(sv, n_start, sk);
    uint8_t *ek = emu_arena_alloc(a, OTS__KEY_MAX);
    size_t elen = ots__key_encode(ev, n_end, ek);
    int c = ots__key_cmp(sk, slen, ek, elen);
    if (!backward && c >= 0)
        return emu_err_set(err, EMU_E_INVALID, NULL, "Begin key must less than end key in FORWARD");
    if (backward && c <= 0)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "Begin key must more than end key in BACKWARD");
    it->t = t;
    it->backward = backward;
    it->end_key = ek;
    it->end_len = elen;
    /* FORWARD starts at the first row >= start, BACKWARD at the last row
     * <= start (start is inclusive both ways). */
    if (backward)
        ots__cur_seek_le(t, sk, slen, &it->cur);
    else
        ots__cur_seek(t, sk, slen, &it->cur);
    return EMU_OK;
}

/* The row at the cursor if it is still inside the range, else NULL. */
static const srow *iter_row(const ots_store_iter *it)
{
    const srow *r = ots__cur_row(&it->cur);
    if (!r)
        return NULL;
    int c = ots__key_cmp(ots__srow_key(r), r->key_len, it->end_key, it->end_len);
    if (it->backward ? c <= 0 : c >= 0)
        return NULL;
    return r;
}

ots_iter_rc ots_store_range_next(ots_store_iter *it, const ots_read_opts *opts, emu_arena *a,
                                 ots_row_t *out)
{
    const srow *r = iter_row(it);
    if (!r) {
        it->cur.depth = 0;
        return OTS_ITER_END;
    }
    if (it->backward)
        ots__cur_prev(&it->cur);
    else
        ots__cur_next(&it->cur);
    it->scanned++;
    return ots__row_out(it->t, r, opts, false, emu_clock_now_ms(), a, out) ? OTS_ITER_ROW
                                                                           : OTS_ITER_SKIP;
}

bool ots_store_range_peek_pk(const ots_store_iter *it, emu_arena *a, ots_row_t *pk_out)
{
    const srow *r = iter_row(it);
    if (!r)
        return false;
    memset(pk_out, 0, sizeof *pk_out);
    pk_out->n_pk = it->t->schema.n_pk;
    pk_out->pk = emu_arena_alloc(a, pk_out->n_pk * sizeof *pk_out->pk);
    ots__key_decode(it->t, ots__srow_key(r), r->key_len, a, pk_out->pk);
    return true;
}
