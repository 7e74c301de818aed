/* Column filters and conditions (tablestore-protocol.md §8).
 *
 * A serialized Filter is {type, bytes of the message of that type}; the
 * composite one nests further Filters. Decoding builds a small tree in the
 * call arena, validated once, so evaluating it per row allocates nothing.
 *
 * Semantics, per §8:
 *   - single column: compare the column's value with the operand in the
 *     type's natural order (signed integers, numeric doubles, false < true,
 *     strings and binaries bytewise with the shorter prefix first). With
 *     latest_version_only only the newest version counts, else any version
 *     that matches makes the row match. An absent column passes when
 *     filter_if_missing is false. EXIST / NOT_EXIST (Java only) test
 *     presence. Different types never match [?: the spec leaves it open].
 *   - composite: NOT (exactly one sub-filter), AND / OR (two or more).
 *   - column pagination: never removes a row; it trims the attribute
 *     columns of each returned row (ots_filter_paginate). Inside a composite
 *     it counts as true.
 * The row given is what the read returned (after columns_to_get, versions
 * and time range), so a filter only sees requested columns, as on the
 * service. */
#include <string.h>

#include "ots_svc_int.h"

struct ots_filter {
    Ots__FilterType type;
    /* single column */
    Ots__ComparatorType cmp;
    emu_str column;
    ots_value operand;
    bool filter_if_missing;
    bool latest_only;
    /* composite */
    Ots__LogicalOperator op;
    ots_filter **subs;
    size_t n_subs;
    /* pagination */
    int32_t offset, limit;
};

static emu_rc broken(emu_err *err)
{
    return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid", "Deserialize filter failed.");
}

static emu_rc decode(const uint8_t *buf, size_t len, emu_arena *a, int depth, ots_filter **out,
                     emu_err *err)
{
    emu_err perr = {0};
    if (depth > OTS_MAX_FILTER_DEPTH)
        return broken(err);
    Ots__Filter *m = ots_pb_unpack(&ots__filter__descriptor, buf, len, a, &perr);
    if (!m)
        return broken(err);
    ots_filter *f = emu_arena_zalloc(a, sizeof *f);
    f->type = m->type;
    switch (m->type) {
    case OTS__FILTER_TYPE__FT_SINGLE_COLUMN_VALUE: {
        Ots__SingleColumnValueFilter *s = ots_pb_unpack(
            &ots__single_column_value_filter__descriptor, m->filter.data, m->filter.len, a, &perr);
        if (!s || s->comparator < OTS__COMPARATOR_TYPE__CT_EQUAL ||
            s->comparator > OTS__COMPARATOR_TYPE__CT_NOT_EXIST)
            return broken(err);
        f->cmp = s->comparator;
        f->column = emu_str_c(s->column_name);
        f->filter_if_missing = s->filter_if_missing;
        f->latest_only = s->latest_version_only;
        if (f->cmp != OTS__COMPARATOR_TYPE__CT_EXIST &&
            f->cmp != OTS__COMPARATOR_TYPE__CT_NOT_EXIST) {
            if (ots_plainbuffer_decode_variant(s->column_value.data, s->column_value.len,
                                               &f->operand, &perr))
                return broken(err);
            switch (f->operand.type) {
            case OTS_VT_INTEGER:
            case OTS_VT_DOUBLE:
            case OTS_VT_BOOLEAN:
            case OTS_VT_STRING:
            case OTS_VT_BINARY:
                break;
            default:
                return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                                "data format is invalid, unknown variant type occured.");
            }
        }
        break;
    }
    case OTS__FILTER_TYPE__FT_COMPOSITE_COLUMN_VALUE: {
        Ots__CompositeColumnValueFilter *c =
            ots_pb_unpack(&ots__composite_column_value_filter__descriptor, m->filter.data,
                          m->filter.len, a, &perr);
        if (!c)
            return broken(err);
        f->op = c->combinator;
        if (f->op == OTS__LOGICAL_OPERATOR__LO_NOT) {
            if (c->n_sub_filters != 1)
                return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                                "Invalid NOT operator: the number of sub-filters must be 1.");
        } else if (f->op == OTS__LOGICAL_OPERATOR__LO_AND ||
                   f->op == OTS__LOGICAL_OPERATOR__LO_OR) {
            /* The documented text says "must be 2"; the SDKs send any
             * number >= 2 and the service accepts them (§5.2). */
            if (c->n_sub_filters < 2)
                return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                                "Invalid AND/OR operator: the number of sub-filters must be 2.");
        } else {
            return broken(err);
        }
        f->n_subs = c->n_sub_filters;
        f->subs = emu_arena_alloc(a, f->n_subs * sizeof *f->subs);
        for (size_t i = 0; i < f->n_subs; i++) {
            /* Re-pack the nested Filter: protobuf-c unpacked it already, but
             * the tree code takes bytes so that depth is counted in one
             * place. Sub-filters are small. */
            size_t n;
            uint8_t *b = ots_pb_pack(c->sub_filters[i], a, &n);
            emu_rc rc = decode(b, n, a, depth + 1, &f->subs[i], err);
            if (rc)
                return rc;
        }
        break;
    }
    case OTS__FILTER_TYPE__FT_COLUMN_PAGINATION: {
        Ots__ColumnPaginationFilter *p = ots_pb_unpack(&ots__column_pagination_filter__descriptor,
                                                       m->filter.data, m->filter.len, a, &perr);
        if (!p)
            return broken(err);
        if (p->limit <= 0)
            return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                            "Limit in ColumnPaginationFilter must be greater than 0.");
        if (p->offset < 0)
            return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                            "Offset in ColumnPaginationFilter must be greater than or equal to 0.");
        f->offset = p->offset;
        f->limit = p->limit;
        break;
    }
    default:
        return broken(err);
    }
    *out = f;
    return EMU_OK;
}

emu_rc ots_filter_decode(const uint8_t *buf, size_t len, emu_arena *a, ots_filter **out,
                         emu_err *err)
{
    *out = NULL;
    return decode(buf, len, a, 0, out, err);
}

/* <0, 0, >0; *ok false when the types differ (no order between them). */
static int compare(const ots_value *x, const ots_value *y, bool *ok)
{
    *ok = x->type == y->type;
    if (!*ok)
        return 0;
    switch (x->type) {
    case OTS_VT_INTEGER:
        return x->i < y->i ? -1 : x->i > y->i;
    case OTS_VT_DOUBLE:
        return x->d < y->d ? -1 : x->d > y->d;
    case OTS_VT_BOOLEAN:
        return (int)x->b - (int)y->b;
    case OTS_VT_STRING:
    case OTS_VT_BINARY: {
        uint32_t n = x->len < y->len ? x->len : y->len;
        int c = n ? memcmp(x->p, y->p, n) : 0;
        if (c)
            return c;
        return x->len < y->len ? -1 : x->len > y->len;
    }
    default:
        *ok = false;
        return 0;
    }
}

static bool holds(Ots__ComparatorType cmp, int c)
{
    switch (cmp) {
    case OTS__COMPARATOR_TYPE__CT_EQUAL:
        return c == 0;
    case OTS__COMPARATOR_TYPE__CT_NOT_EQUAL:
        return c != 0;
    case OTS__COMPARATOR_TYPE__CT_GREATER_THAN:
        return c > 0;
    case OTS__COMPARATOR_TYPE__CT_GREATER_EQUAL:
        return c >= 0;
    case OTS__COMPARATOR_TYPE__CT_LESS_THAN:
        return c < 0;
    case OTS__COMPARATOR_TYPE__CT_LESS_EQUAL:
        return c <= 0;
    default:
        return false;
    }
}

static bool match_single(const ots_filter *f, const ots_row_t *row)
{
    bool present = false;
    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        if (!emu_str_eq(c->name, f->column) || !c->has_value)
            continue;
        if (f->cmp == OTS__COMPARATOR_TYPE__CT_EXIST)
            return true;
        if (f->cmp == OTS__COMPARATOR_TYPE__CT_NOT_EXIST)
            return false;
        bool ok;
        int r = compare(&c->value, &f->operand, &ok);
        if (ok && holds(f->cmp, r))
            return true;
        /* Versions of a column are newest first: the first one is the
         * latest. */
        if (f->latest_only)
            return false;
        present = true;
    }
    if (present)
        return false;
    if (f->cmp == OTS__COMPARATOR_TYPE__CT_EXIST)
        return false;
    if (f->cmp == OTS__COMPARATOR_TYPE__CT_NOT_EXIST)
        return true;
    return !f->filter_if_missing;
}

bool ots_filter_match(const ots_filter *f, const ots_row_t *row)
{
    if (!f)
        return true;
    switch (f->type) {
    case OTS__FILTER_TYPE__FT_SINGLE_COLUMN_VALUE:
        return match_single(f, row);
    case OTS__FILTER_TYPE__FT_COMPOSITE_COLUMN_VALUE:
        if (f->op == OTS__LOGICAL_OPERATOR__LO_NOT)
            return !ots_filter_match(f->subs[0], row);
        for (size_t i = 0; i < f->n_subs; i++) {
            bool m = ots_filter_match(f->subs[i], row);
            if (f->op == OTS__LOGICAL_OPERATOR__LO_AND && !m)
                return false;
            if (f->op == OTS__LOGICAL_OPERATOR__LO_OR && m)
                return true;
        }
        return f->op == OTS__LOGICAL_OPERATOR__LO_AND;
    default:
        return true;
    }
}

void ots_filter_paginate(const ots_filter *f, ots_row_t *row)
{
    if (!f || f->type != OTS__FILTER_TYPE__FT_COLUMN_PAGINATION)
        return;
    size_t keep = 0, col = 0;
    for (size_t i = 0; i < row->n_attrs; i++) {
        /* Cells of one column are adjacent (sorted by name). */
        if (i > 0 && !emu_str_eq(row->attrs[i].name, row->attrs[i - 1].name))
            col++;
        if (col >= (size_t)f->offset && col - (size_t)f->offset < (size_t)f->limit)
            row->attrs[keep++] = row->attrs[i];
    }
    row->n_attrs = keep;
}
