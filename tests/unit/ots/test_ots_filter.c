/* Tablestore filters (tablestore-protocol.md §8) and the capacity-unit
 * arithmetic (§9.7) of the service layer: decoding the Node SDK's own bytes,
 * validation texts, single-column semantics (types, pass-if-missing, latest
 * version only), composites, column pagination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ots_svc_int.h"

static int setup(void **state)
{
    *state = emu_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    emu_arena_free(*state);
    return 0;
}

static ots_cell dcell(const char *name, double d, int64_t ts)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true, .has_ts = true, .ts = ts};
    c.value.type = OTS_VT_DOUBLE;
    c.value.d = d;
    return c;
}

static ots_cell icell(const char *name, int64_t i, int64_t ts)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true, .has_ts = true, .ts = ts};
    c.value.type = OTS_VT_INTEGER;
    c.value.i = i;
    return c;
}

static ots_cell scell(const char *name, const char *s, int64_t ts)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true, .has_ts = true, .ts = ts};
    c.value.type = OTS_VT_STRING;
    c.value.p = (const uint8_t *)s;
    c.value.len = (uint32_t)strlen(s);
    return c;
}

static ots_row_t row_of(ots_cell *attrs, size_t n)
{
    ots_row_t r = {NULL, 0, attrs, n, false};
    return r;
}

/* Serialized Filter wrapping a SingleColumnValueFilter. */
static ProtobufCBinaryData single(emu_arena *a, Ots__ComparatorType cmp, const char *col,
                                  const ots_value *v, bool filter_if_missing, bool latest)
{
    Ots__SingleColumnValueFilter s = OTS__SINGLE_COLUMN_VALUE_FILTER__INIT;
    Ots__Filter f = OTS__FILTER__INIT;
    s.comparator = cmp;
    s.column_name = (char *)(uintptr_t)col;
    if (v)
        s.column_value.data = ots_plainbuffer_encode_variant(v, a, &s.column_value.len);
    s.filter_if_missing = filter_if_missing;
    s.latest_version_only = latest;
    f.type = OTS__FILTER_TYPE__FT_SINGLE_COLUMN_VALUE;
    f.filter.data = ots_pb_pack(&s, a, &f.filter.len);
    ProtobufCBinaryData out;
    out.data = ots_pb_pack(&f, a, &out.len);
    return out;
}

static ProtobufCBinaryData composite(emu_arena *a, Ots__LogicalOperator op,
                                     const ProtobufCBinaryData *subs, size_t n)
{
    Ots__CompositeColumnValueFilter c = OTS__COMPOSITE_COLUMN_VALUE_FILTER__INIT;
    Ots__Filter f = OTS__FILTER__INIT;
    c.combinator = op;
    c.n_sub_filters = n;
    c.sub_filters = emu_arena_alloc(a, (n + 1) * sizeof *c.sub_filters);
    for (size_t i = 0; i < n; i++) {
        emu_err err = {0};
        c.sub_filters[i] =
            ots_pb_unpack(&ots__filter__descriptor, subs[i].data, subs[i].len, a, &err);
        assert_non_null(c.sub_filters[i]);
    }
    f.type = OTS__FILTER_TYPE__FT_COMPOSITE_COLUMN_VALUE;
    f.filter.data = ots_pb_pack(&c, a, &f.filter.len);
    ProtobufCBinaryData out;
    out.data = ots_pb_pack(&f, a, &out.len);
    return out;
}

static ProtobufCBinaryData pagination(emu_arena *a, int32_t offset, int32_t limit)
{
    Ots__ColumnPaginationFilter p = OTS__COLUMN_PAGINATION_FILTER__INIT;
    Ots__Filter f = OTS__FILTER__INIT;
    p.offset = offset;
    p.limit = limit;
    f.type = OTS__FILTER_TYPE__FT_COLUMN_PAGINATION;
    f.filter.data = ots_pb_pack(&p, a, &f.filter.len);
    ProtobufCBinaryData out;
    out.data = ots_pb_pack(&f, a, &out.len);
    return out;
}

static ots_filter *decode_ok(emu_arena *a, ProtobufCBinaryData b)
{
    ots_filter *f = NULL;
    emu_err err = {0};
    if (ots_filter_decode(b.data, b.len, a, &f, &err))
        fail_msg("decode: %s", err.msg);
    return f;
}

static void decode_fails(emu_arena *a, ProtobufCBinaryData b, const char *msg)
{
    ots_filter *f = NULL;
    emu_err err = {0};
    assert_int_equal(ots_filter_decode(b.data, b.len, a, &f, &err), EMU_E_INVALID);
    assert_string_equal(err.code, "OTSParameterInvalid");
    assert_string_equal(err.msg, msg);
}

/* The Node SDK's bytes for `a > 1.5` (protocol §8): filter_if_missing false,
 * latest_version_only true. */
static void node_filter_bytes(void **state)
{
    emu_arena *a = *state;
    static const uint8_t b[] = {0x08, 0x01, 0x12, 0x14, 0x08, 0x03, 0x12, 0x01,
                                0x61, 0x1a, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x00, 0xf8, 0x3f, 0x20, 0x00, 0x28, 0x01};
    ots_filter *f = decode_ok(a, (ProtobufCBinaryData){sizeof b, (uint8_t *)(uintptr_t)b});
    ots_cell two = dcell("a", 2.0, 1), one = dcell("a", 1.0, 1), other = dcell("b", 9.0, 1);
    ots_cell as_int = icell("a", 2, 1);
    ots_row_t r;
    r = row_of(&two, 1);
    assert_true(ots_filter_match(f, &r));
    r = row_of(&one, 1);
    assert_false(ots_filter_match(f, &r));
    r = row_of(&other, 1);
    assert_true(ots_filter_match(f, &r)); /* missing + filter_if_missing false: passes */
    r = row_of(&as_int, 1);
    assert_false(ots_filter_match(f, &r)); /* INTEGER vs DOUBLE never match */
}

static void single_semantics(void **state)
{
    emu_arena *a = *state;
    ots_value v = {.type = OTS_VT_STRING, .len = 1, .p = (const uint8_t *)"m"};
    /* Versions newest first: "a" (newest) then "z". */
    ots_cell cells[] = {scell("s", "a", 20), scell("s", "z", 10)};
    ots_row_t r = row_of(cells, 2), empty = row_of(NULL, 0);

    ots_filter *latest_gt =
        decode_ok(a, single(a, OTS__COMPARATOR_TYPE__CT_GREATER_THAN, "s", &v, true, true));
    ots_filter *any_gt =
        decode_ok(a, single(a, OTS__COMPARATOR_TYPE__CT_GREATER_THAN, "s", &v, true, false));
    assert_false(ots_filter_match(latest_gt, &r));
    assert_true(ots_filter_match(any_gt, &r));
    assert_false(ots_filter_match(latest_gt, &empty)); /* filter_if_missing: row dropped */

    ots_filter *ne =
        decode_ok(a, single(a, OTS__COMPARATOR_TYPE__CT_NOT_EQUAL, "s", &v, false, true));
    assert_true(ots_filter_match(ne, &r));
    assert_true(ots_filter_match(ne, &empty));
    /* Strings compare bytewise, the shorter prefix first. */
    ots_value ab = {.type = OTS_VT_STRING, .len = 2, .p = (const uint8_t *)"ab"};
    ots_filter *lt =
        decode_ok(a, single(a, OTS__COMPARATOR_TYPE__CT_LESS_THAN, "s", &ab, true, true));
    assert_true(ots_filter_match(lt, &r)); /* "a" < "ab" */

    ots_filter *exist =
        decode_ok(a, single(a, OTS__COMPARATOR_TYPE__CT_EXIST, "s", NULL, false, true));
    ots_filter *not_exist =
        decode_ok(a, single(a, OTS__COMPARATOR_TYPE__CT_NOT_EXIST, "s", NULL, false, true));
    assert_true(ots_filter_match(exist, &r));
    assert_false(ots_filter_match(exist, &empty));
    assert_false(ots_filter_match(not_exist, &r));
    assert_true(ots_filter_match(not_exist, &empty));

    /* Signed integers. */
    ots_value neg = {.type = OTS_VT_INTEGER, .i = -5};
    ots_cell n = icell("n", -7, 1);
    ots_row_t rn = row_of(&n, 1);
    ots_filter *le =
        decode_ok(a, single(a, OTS__COMPARATOR_TYPE__CT_LESS_EQUAL, "n", &neg, true, true));
    assert_true(ots_filter_match(le, &rn));
}

static void composites(void **state)
{
    emu_arena *a = *state;
    ots_value one = {.type = OTS_VT_INTEGER, .i = 1}, two = {.type = OTS_VT_INTEGER, .i = 2};
    ProtobufCBinaryData eq1 = single(a, OTS__COMPARATOR_TYPE__CT_EQUAL, "n", &one, true, true);
    ProtobufCBinaryData eq2 = single(a, OTS__COMPARATOR_TYPE__CT_EQUAL, "n", &two, true, true);
    ProtobufCBinaryData both[] = {eq1, eq2};
    ots_cell c = icell("n", 1, 1);
    ots_row_t r = row_of(&c, 1);

    assert_false(
        ots_filter_match(decode_ok(a, composite(a, OTS__LOGICAL_OPERATOR__LO_AND, both, 2)), &r));
    assert_true(
        ots_filter_match(decode_ok(a, composite(a, OTS__LOGICAL_OPERATOR__LO_OR, both, 2)), &r));
    ProtobufCBinaryData three[] = {eq1, eq1, eq1};
    assert_true(
        ots_filter_match(decode_ok(a, composite(a, OTS__LOGICAL_OPERATOR__LO_AND, three, 3)), &r));
    assert_false(
        ots_filter_match(decode_ok(a, composite(a, OTS__LOGICAL_OPERATOR__LO_NOT, &eq1, 1)), &r));

    decode_fails(a, composite(a, OTS__LOGICAL_OPERATOR__LO_NOT, both, 2),
                 "Invalid NOT operator: the number of sub-filters must be 1.");
    decode_fails(a, composite(a, OTS__LOGICAL_OPERATOR__LO_AND, both, 1),
                 "Invalid AND/OR operator: the number of sub-filters must be 2.");

    /* Nesting deeper than OTS_MAX_FILTER_DEPTH is refused, not recursed. */
    ProtobufCBinaryData deep = eq1;
    for (int i = 0; i < OTS_MAX_FILTER_DEPTH + 2; i++)
        deep = composite(a, OTS__LOGICAL_OPERATOR__LO_NOT, &deep, 1);
    decode_fails(a, deep, "Deserialize filter failed.");
}

static void malformed(void **state)
{
    emu_arena *a = *state;
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    decode_fails(a, (ProtobufCBinaryData){sizeof junk, (uint8_t *)(uintptr_t)junk},
                 "Deserialize filter failed.");
    /* A Filter whose inner bytes are not the message its type names. */
    Ots__Filter f = OTS__FILTER__INIT;
    f.type = OTS__FILTER_TYPE__FT_SINGLE_COLUMN_VALUE;
    f.filter = (ProtobufCBinaryData){sizeof junk, (uint8_t *)(uintptr_t)junk};
    ProtobufCBinaryData b;
    b.data = ots_pb_pack(&f, a, &b.len);
    decode_fails(a, b, "Deserialize filter failed.");
    decode_fails(a, pagination(a, 0, 0), "Limit in ColumnPaginationFilter must be greater than 0.");
    decode_fails(a, pagination(a, -1, 5),
                 "Offset in ColumnPaginationFilter must be greater than or equal to 0.");
}

static void paginate(void **state)
{
    emu_arena *a = *state;
    ots_cell cells[] = {icell("a", 1, 2), icell("a", 0, 1), icell("b", 2, 1),
                        icell("c", 3, 2), icell("c", 4, 1), icell("d", 5, 1)};
    ots_row_t r = row_of(cells, 6);
    ots_filter *f = decode_ok(a, pagination(a, 1, 2));
    assert_true(ots_filter_match(f, &r));
    ots_filter_paginate(f, &r);
    assert_int_equal(r.n_attrs, 3); /* b, and both versions of c */
    assert_true(emu_str_eq_c(r.attrs[0].name, "b"));
    assert_true(emu_str_eq_c(r.attrs[1].name, "c"));
    assert_true(emu_str_eq_c(r.attrs[2].name, "c"));
    ots_filter *past = decode_ok(a, pagination(a, 10, 2));
    r = row_of(cells, 6);
    ots_filter_paginate(past, &r);
    assert_int_equal(r.n_attrs, 0);
}

static void capacity_units(void **state)
{
    (void)state;
    ots_cell pk = icell("id", 7, 0);
    ots_cell at[] = {scell("name", "abcd", 1), dcell("d", 1.0, 1)};
    ots_row_t r = {&pk, 1, at, 2, false};
    /* "id" + 8, "name" + 4, "d" + 8. */
    assert_int_equal(ots_row_data_size(&r, false), 2 + 8 + 4 + 4 + 1 + 8);
    assert_int_equal(ots_row_data_size(&r, true), 2 + 8 + 4 + 4 + 1 + 8 + 16);
    assert_int_equal(ots_cu(0), 0);
    assert_int_equal(ots_cu(1), 1);
    assert_int_equal(ots_cu(4096), 1);
    assert_int_equal(ots_cu(4097), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(node_filter_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(single_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(composites, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(paginate, setup, teardown),
        cmocka_unit_test_setup_teardown(capacity_units, setup, teardown),
    };
    return cmocka_run_group_tests_name("ots_svc", tests, NULL, NULL);
}
