/* The ordered row store: PK ordering (§9.1), range scans both ways with
 * limits and paging (§9.5), versions, MaxVersions and TTL on the virtual
 * clock, update ops, auto-increment, validation, clone independence, and a
 * randomized check of the B+tree against a sorted reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/clock.h"
#include "ots_int.h"
#include "ots_test_util.h"

typedef struct fx {
    emu_arena *a;
    ots_store_t *s;
    ots_instance_t *in;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->a = emu_arena_new(0);
    f->s = ots_store_new("1234567890");
    emu_err err = {0};
    assert_int_equal(ots_store_instance_create(f->s, "cap1", OTS_NET_ANY, &f->in, &err), EMU_OK);
    emu_clock_set_ms(1735689600000); /* 2025-01-01; runs on with the real clock */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ots_store_free(f->s);
    emu_arena_free(f->a);
    free(f);
    emu_clock_reset();
    return 0;
}

static ots_cell icell(const char *name, int64_t v)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true};
    c.value.type = OTS_VT_INTEGER;
    c.value.i = v;
    return c;
}

static ots_cell scell(const char *name, const char *p, size_t n, ots_vtype t)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true};
    c.value.type = t;
    c.value.p = (const uint8_t *)p;
    c.value.len = (uint32_t)n;
    return c;
}

static ots_cell special(const char *name, ots_vtype t)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true};
    c.value.type = t;
    return c;
}

static ots_table_t *make_table(fx *f, const char *name, const ots_pk_col *pk, size_t n_pk,
                               int32_t ttl, int32_t maxv)
{
    ots_table_schema s = {.name = name, .pk = pk, .n_pk = n_pk};
    s.opts = ots_table_options_default();
    s.opts.ttl_s = ttl;
    s.opts.max_versions = maxv;
    ots_table_t *t;
    emu_err err = {0};
    if (ots_store_table_create(f->in, &s, &t, &err))
        fail_msg("create %s: %s", name, err.msg);
    return t;
}

static void put(fx *f, ots_table_t *t, ots_cell *pk, size_t n_pk, ots_cell *at, size_t n_at)
{
    ots_row_t row = {pk, n_pk, at, n_at, false};
    emu_err err = {0};
    if (ots_store_put(t, &row, f->a, NULL, &err))
        fail_msg("put: %s", err.msg);
}

/* Collects all rows of a full scan in either direction. */
static size_t scan_all(fx *f, ots_table_t *t, bool backward, ots_row_t *out, size_t max)
{
    const ots_table_schema *s = ots_table_schema_of(t);
    ots_cell lo[4], hi[4];
    for (size_t i = 0; i < s->n_pk; i++) {
        lo[i] = special(s->pk[i].name, OTS_VT_INF_MIN);
        hi[i] = special(s->pk[i].name, OTS_VT_INF_MAX);
    }
    ots_store_iter it;
    emu_err err = {0};
    assert_int_equal(ots_store_range_open(t, backward ? hi : lo, s->n_pk, backward ? lo : hi,
                                          s->n_pk, backward, f->a, &it, &err),
                     EMU_OK);
    size_t n = 0;
    ots_row_t r;
    ots_iter_rc rc;
    while ((rc = ots_store_range_next(&it, NULL, f->a, &r)) != OTS_ITER_END) {
        if (rc == OTS_ITER_ROW && n < max)
            out[n] = r;
        if (rc == OTS_ITER_ROW)
            n++;
    }
    return n;
}

/* Signed integers, bytewise strings with shorter prefix first (also across
 * embedded NULs), binary as unsigned bytes. */
static void pk_ordering(void **state)
{
    fx *f = *state;
    ots_pk_col pk[] = {
        {"i", OTS_PK_INTEGER, false}, {"s", OTS_PK_STRING, false}, {"b", OTS_PK_BINARY, false}};
    ots_table_t *t = make_table(f, "ord", pk, 3, -1, 1);
    struct {
        int64_t i;
        const char *s;
        size_t sl;
        const char *b;
        size_t bl;
    } want[] = {
        {INT64_MIN, "", 0, "", 0},   {-5, "a", 1, "\x00", 1}, {-5, "a", 1, "\x7f", 1},
        {-5, "a", 1, "\x80", 1},     {-5, "a", 1, "\xff", 1}, {-5, "a", 1, "\xff\x00", 2},
        {-5, "a\0", 2, "", 0},       {-5, "a\0b", 3, "", 0},  {-5, "a\x01", 2, "", 0},
        {-5, "ab", 2, "", 0},        {-1, "", 0, "", 0},      {0, "", 0, "", 0},
        {1, "", 0, "", 0},           {255, "", 0, "", 0},     {256, "", 0, "", 0},
        {INT64_MAX, "zz", 2, "", 0},
    };
    size_t n = sizeof want / sizeof want[0];
    /* Insert in a scrambled order. */
    for (size_t k = 0; k < n; k++) {
        size_t j = (k * 7) % n;
        ots_cell c[] = {icell("i", want[j].i), scell("s", want[j].s, want[j].sl, OTS_VT_STRING),
                        scell("b", want[j].b, want[j].bl, OTS_VT_BINARY)};
        put(f, t, c, 3, NULL, 0);
    }
    assert_int_equal(ots_table_row_count(t), n);
    ots_row_t rows[32];
    assert_int_equal(scan_all(f, t, false, rows, 32), n);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(rows[k].pk[0].value.i, want[k].i);
        assert_int_equal(rows[k].pk[1].value.len, want[k].sl);
        assert_memory_equal(rows[k].pk[1].value.p, want[k].s, want[k].sl);
        assert_int_equal(rows[k].pk[2].value.len, want[k].bl);
        assert_memory_equal(rows[k].pk[2].value.p, want[k].b, want[k].bl);
    }
    assert_int_equal(scan_all(f, t, true, rows, 32), n);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(rows[k].pk[0].value.i, want[n - 1 - k].i);
}

static ots_table_t *vt_table(fx *f, int32_t ttl, int32_t maxv)
{
    static const ots_pk_col pk[] = {{"vid", OTS_PK_INTEGER, false}, {"gt", OTS_PK_INTEGER, false}};
    return make_table(f, "vehicle_track", pk, 2, ttl, maxv);
}

/* Range [start, end) forward, (end, start] backward, limits and paging with
 * the next start key, INF bounds in later columns. */
static void range_scans_and_paging(void **state)
{
    fx *f = *state;
    ots_table_t *t = vt_table(f, -1, 1);
    for (int v = 1; v <= 5; v++)
        for (int g = 0; g < 4; g++) {
            ots_cell pk[] = {icell("vid", v), icell("gt", g * 1000)};
            ots_cell at[] = {icell("x", v * 10 + g)};
            put(f, t, pk, 2, at, 1);
        }
    emu_err err = {0};
    ots_store_iter it;
    ots_row_t r;
    /* vid=2,gt=INF_MIN .. vid=4,gt=INF_MIN → 8 rows of vid 2 and 3. */
    ots_cell s[] = {icell("vid", 2), special("gt", OTS_VT_INF_MIN)};
    ots_cell e[] = {icell("vid", 4), special("gt", OTS_VT_INF_MIN)};
    assert_int_equal(ots_store_range_open(t, s, 2, e, 2, false, f->a, &it, &err), EMU_OK);
    int n = 0;
    while (ots_store_range_next(&it, NULL, f->a, &r) == OTS_ITER_ROW) {
        assert_int_equal(r.pk[0].value.i, 2 + n / 4);
        assert_int_equal(r.attrs[0].value.i, (2 + n / 4) * 10 + n % 4);
        n++;
    }
    assert_int_equal(n, 8);

    /* Exact start inclusive, exact end exclusive. */
    ots_cell s2[] = {icell("vid", 1), icell("gt", 3000)};
    ots_cell e2[] = {icell("vid", 2), icell("gt", 2000)};
    assert_int_equal(ots_store_range_open(t, s2, 2, e2, 2, false, f->a, &it, &err), EMU_OK);
    n = 0;
    while (ots_store_range_next(&it, NULL, f->a, &r) == OTS_ITER_ROW)
        n++;
    assert_int_equal(n, 3); /* (1,3000) (2,0) (2,1000) */

    /* BACKWARD from vid=3,gt=INF_MAX down to vid=1,gt=INF_MAX, pages of 3. */
    ots_cell bs[] = {icell("vid", 3), special("gt", OTS_VT_INF_MAX)};
    ots_cell be[] = {icell("vid", 1), special("gt", OTS_VT_INF_MAX)};
    int64_t seen[16];
    int total = 0, pages = 0;
    ots_cell *start = bs;
    for (;;) {
        assert_int_equal(ots_store_range_open(t, start, 2, be, 2, true, f->a, &it, &err), EMU_OK);
        int got = 0;
        while (got < 3 && ots_store_range_next(&it, NULL, f->a, &r) == OTS_ITER_ROW) {
            seen[total++] = r.pk[0].value.i * 10000 + r.pk[1].value.i;
            got++;
        }
        pages++;
        ots_row_t next;
        if (!ots_store_range_peek_pk(&it, f->a, &next))
            break;
        start = next.pk;
    }
    assert_int_equal(total, 8);
    assert_int_equal(pages, 3);
    for (int k = 1; k < total; k++)
        assert_true(seen[k] < seen[k - 1]);
    assert_int_equal(seen[0], 3 * 10000 + 3000);
    assert_int_equal(seen[7], 2 * 10000 + 0);

    /* Backward start at an exact stored key is inclusive. */
    ots_cell bx[] = {icell("vid", 5), icell("gt", 0)};
    ots_cell bmin[] = {special("vid", OTS_VT_INF_MIN), special("gt", OTS_VT_INF_MIN)};
    assert_int_equal(ots_store_range_open(t, bx, 2, bmin, 2, true, f->a, &it, &err), EMU_OK);
    assert_int_equal(ots_store_range_next(&it, NULL, f->a, &r), OTS_ITER_ROW);
    assert_int_equal(r.pk[0].value.i, 5);
    assert_int_equal(r.pk[1].value.i, 0);

    /* Direction violations and equal keys. */
    assert_int_equal(ots_store_range_open(t, e, 2, s, 2, false, f->a, &it, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "Begin key must less than end key in FORWARD");
    assert_int_equal(ots_store_range_open(t, s, 2, s, 2, false, f->a, &it, &err), EMU_E_INVALID);
    assert_int_equal(ots_store_range_open(t, s, 2, e, 2, true, f->a, &it, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "Begin key must more than end key in BACKWARD");
    /* Empty table range and a range past the end. */
    ots_cell far[] = {icell("vid", 100), special("gt", OTS_VT_INF_MIN)};
    ots_cell farther[] = {icell("vid", 200), special("gt", OTS_VT_INF_MIN)};
    assert_int_equal(ots_store_range_open(t, far, 2, farther, 2, false, f->a, &it, &err), EMU_OK);
    assert_int_equal(ots_store_range_next(&it, NULL, f->a, &r), OTS_ITER_END);
    assert_false(ots_store_range_peek_pk(&it, f->a, &r));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Randomized inserts/deletes against a sorted reference: exercises leaf and
 * inner splits, empty-node removal and root collapse. */
static void btree_matches_reference(void **state)
{
    fx *f = *state;
    static const ots_pk_col pk[] = {{"k", OTS_PK_INTEGER, false}};
    ots_table_t *t = make_table(f, "rand", pk, 1, -1, 1);
    enum { N = 30000 };
    int64_t *ref = malloc(N * sizeof *ref);
    bool *live = calloc(N, sizeof *live);
    uint64_t x = 88172645463325252ull;
    size_t n_live = 0;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ref[i] = (int64_t)(x % 2000000) - 1000000 + (int64_t)i * 3000000; /* unique */
        ots_cell c = icell("k", ref[i]);
        put(f, t, &c, 1, NULL, 0);
        live[i] = true;
        n_live++;
        emu_arena_reset(f->a);
    }
    /* Delete two thirds, including whole runs so leaves empty out. */
    emu_err err = {0};
    for (int i = 0; i < N; i++) {
        if (i % 3 == 0 || (i > 10000 && i < 20000)) {
            ots_cell c = icell("k", ref[i]);
            bool existed;
            assert_int_equal(ots_store_delete(t, &c, 1, &existed, &err), EMU_OK);
            assert_true(existed);
            live[i] = false;
            n_live--;
        }
    }
    ots_cell c = icell("k", ref[0]);
    bool existed;
    assert_int_equal(ots_store_delete(t, &c, 1, &existed, &err), EMU_OK);
    assert_false(existed);
    assert_int_equal(ots_table_row_count(t), n_live);
    int64_t *sorted = malloc(n_live * sizeof *sorted);
    size_t k = 0;
    for (int i = 0; i < N; i++)
        if (live[i])
            sorted[k++] = ref[i];
    qsort(sorted, n_live, sizeof *sorted, cmp_i64);
    ots_row_t *rows = malloc(n_live * sizeof *rows);
    assert_int_equal(scan_all(f, t, false, rows, n_live), n_live);
    for (size_t i = 0; i < n_live; i++)
        assert_int_equal(rows[i].pk[0].value.i, sorted[i]);
    assert_int_equal(scan_all(f, t, true, rows, n_live), n_live);
    for (size_t i = 0; i < n_live; i++)
        assert_int_equal(rows[i].pk[0].value.i, sorted[n_live - 1 - i]);
    /* Point lookups. */
    for (int i = 0; i < N; i += 97) {
        ots_cell q = icell("k", ref[i]);
        ots_row_t r;
        bool found;
        assert_int_equal(ots_store_get(t, &q, 1, NULL, f->a, &r, &found, &err), EMU_OK);
        assert_int_equal(found, live[i]);
    }
    /* Delete everything: the tree empties and is usable again. */
    for (size_t i = 0; i < n_live; i++) {
        ots_cell q = icell("k", sorted[i]);
        assert_int_equal(ots_store_delete(t, &q, 1, NULL, &err), EMU_OK);
    }
    assert_int_equal(ots_table_row_count(t), 0);
    assert_int_equal(scan_all(f, t, false, rows, n_live), 0);
    put(f, t, &c, 1, NULL, 0);
    assert_int_equal(ots_table_row_count(t), 1);
    free(rows);
    free(sorted);
    free(ref);
    free(live);
}

static ots_row_t get_row(fx *f, ots_table_t *t, ots_cell *pk, size_t n, const ots_read_opts *o,
                         bool *found)
{
    ots_row_t r = {0};
    emu_err err = {0};
    if (ots_store_get(t, pk, n, o, f->a, &r, found, &err))
        fail_msg("get: %s", err.msg);
    return r;
}

static void versions_and_max_versions(void **state)
{
    fx *f = *state;
    ots_table_t *t = vt_table(f, -1, 3);
    ots_cell pk[] = {icell("vid", 1), icell("gt", 1)};
    for (int v = 1; v <= 5; v++) {
        ots_cell at = icell("speed", v);
        at.has_ts = true;
        at.ts = 1735689600000 - 1000 * (6 - v); /* increasing */
        put(f, t, pk, 2, NULL, 0);              /* put replaces: start empty... */
        ots_row_t row = {pk, 2, &at, 1, false};
        emu_err err = {0};
        assert_int_equal(ots_store_update(t, &row, f->a, NULL, &err), EMU_OK);
        /* ...so only one version survives each round; now keep adding. */
    }
    for (int v = 1; v <= 4; v++) {
        ots_cell at = icell("speed", 100 + v);
        at.has_ts = true;
        at.ts = 1735689600000 + v;
        ots_row_t row = {pk, 2, &at, 1, false};
        emu_err err = {0};
        assert_int_equal(ots_store_update(t, &row, f->a, NULL, &err), EMU_OK);
    }
    bool found;
    ots_read_opts o = {.max_versions = 0};
    ots_row_t r = get_row(f, t, pk, 2, &o, &found);
    assert_true(found);
    assert_int_equal(r.n_attrs, 3); /* MaxVersions 3 on write */
    assert_int_equal(r.attrs[0].value.i, 104);
    assert_int_equal(r.attrs[2].value.i, 102);
    o.max_versions = 1;
    r = get_row(f, t, pk, 2, &o, &found);
    assert_int_equal(r.n_attrs, 1);
    assert_int_equal(r.attrs[0].ts, 1735689600004);
    /* Time range [ts+2, ts+4). */
    o = (ots_read_opts){.max_versions = 0,
                        .has_time_range = true,
                        .start_ts = 1735689600002,
                        .end_ts = 1735689600004};
    r = get_row(f, t, pk, 2, &o, &found);
    assert_int_equal(r.n_attrs, 2);
    assert_int_equal(r.attrs[0].value.i, 103);
    /* Same timestamp twice in one put: the later cell wins. */
    ots_cell twice[] = {icell("a", 1), icell("a", 2)};
    twice[0].has_ts = twice[1].has_ts = true;
    twice[0].ts = twice[1].ts = 5;
    ots_cell pk2[] = {icell("vid", 2), icell("gt", 2)};
    put(f, t, pk2, 2, twice, 2);
    r = get_row(f, t, pk2, 2, NULL, &found);
    assert_int_equal(r.n_attrs, 1);
    assert_int_equal(r.attrs[0].value.i, 2);
}

static void ttl_on_virtual_clock(void **state)
{
    fx *f = *state;
    ots_table_t *t = vt_table(f, 10, 1);
    ots_cell pk[] = {icell("vid", 1), icell("gt", 1)};
    ots_cell at[] = {icell("speed", 60)};
    put(f, t, pk, 2, at, 1);
    ots_cell pk_only[] = {icell("vid", 2), icell("gt", 2)};
    put(f, t, pk_only, 2, NULL, 0);
    bool found, exists;
    emu_err err = {0};
    get_row(f, t, pk, 2, NULL, &found);
    assert_true(found);
    /* The virtual clock keeps running with the real one: leave slack. */
    emu_clock_advance_ms(9000);
    get_row(f, t, pk, 2, NULL, &found);
    assert_true(found);
    emu_clock_advance_ms(2000);
    get_row(f, t, pk, 2, NULL, &found);
    assert_false(found);
    assert_int_equal(ots_store_exists(t, pk, 2, &exists, &err), EMU_OK);
    assert_false(exists);
    /* Expired rows are skipped by scans; a PK-only row stays. */
    ots_row_t rows[4];
    assert_int_equal(scan_all(f, t, false, rows, 4), 1);
    assert_int_equal(rows[0].pk[0].value.i, 2);
    /* A write with an old timestamp is invisible at once. */
    at[0].has_ts = true;
    at[0].ts = emu_clock_now_ms() - 20000;
    put(f, t, pk, 2, at, 1);
    get_row(f, t, pk, 2, NULL, &found);
    assert_false(found);
}

static void update_ops(void **state)
{
    fx *f = *state;
    ots_table_t *t = vt_table(f, -1, 5);
    ots_cell pk[] = {icell("vid", 7), icell("gt", 7)};
    emu_err err = {0};
    bool found;

    /* UpdateRow creates the row; INCREMENT starts from 0. */
    ots_cell c1[] = {icell("n", 3), icell("p", 1), icell("q", 1)};
    c1[0].has_op = true;
    c1[0].op = OTS_OP_INCREMENT;
    c1[1].has_ts = true;
    c1[1].ts = 100;
    ots_row_t row = {pk, 2, c1, 3, false};
    assert_int_equal(ots_store_update(t, &row, f->a, NULL, &err), EMU_OK);
    ots_cell c2[] = {icell("n", 4), icell("p", 2)};
    c2[0].has_op = true;
    c2[0].op = OTS_OP_INCREMENT;
    c2[1].has_ts = true;
    c2[1].ts = 200;
    row = (ots_row_t){pk, 2, c2, 2, false};
    emu_clock_advance_ms(1);
    assert_int_equal(ots_store_update(t, &row, f->a, NULL, &err), EMU_OK);
    ots_read_opts o = {.max_versions = 1};
    ots_row_t r = get_row(f, t, pk, 2, &o, &found);
    assert_int_equal(r.n_attrs, 3);
    assert_true(emu_str_eq_c(r.attrs[0].name, "n"));
    assert_int_equal(r.attrs[0].value.i, 7);

    /* DELETE_ONE p@200, DELETE_ALL q. */
    ots_cell d[] = {{.name = EMU_STR_LIT("p"),
                     .has_op = true,
                     .op = OTS_OP_DELETE_ONE,
                     .has_ts = true,
                     .ts = 200},
                    {.name = EMU_STR_LIT("q"), .has_op = true, .op = OTS_OP_DELETE_ALL},
                    {.name = EMU_STR_LIT("zz"), .has_op = true, .op = OTS_OP_DELETE_ALL}};
    row = (ots_row_t){pk, 2, d, 3, false};
    assert_int_equal(ots_store_update(t, &row, f->a, NULL, &err), EMU_OK);
    o.max_versions = 0;
    r = get_row(f, t, pk, 2, &o, &found);
    assert_int_equal(r.n_attrs, 3); /* n@2 versions, p@100 */
    assert_true(emu_str_eq_c(r.attrs[2].name, "p"));
    assert_int_equal(r.attrs[2].ts, 100);

    /* Deleting every column leaves the row in place (§9.1). */
    ots_cell all[] = {{.name = EMU_STR_LIT("n"), .has_op = true, .op = OTS_OP_DELETE_ALL},
                      {.name = EMU_STR_LIT("p"), .has_op = true, .op = OTS_OP_DELETE_ALL}};
    row = (ots_row_t){pk, 2, all, 2, false};
    assert_int_equal(ots_store_update(t, &row, f->a, NULL, &err), EMU_OK);
    r = get_row(f, t, pk, 2, NULL, &found);
    assert_true(found);
    assert_int_equal(r.n_attrs, 0);

    /* Rejections with the service texts. */
    ots_cell bad = {.name = EMU_STR_LIT("x"), .has_op = true, .op = OTS_OP_DELETE_ONE};
    row = (ots_row_t){pk, 2, &bad, 1, false};
    assert_int_equal(ots_store_update(t, &row, f->a, NULL, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "Timestamp must be given when type is DELETE_ONE_VERSION.");
    ots_cell withop = icell("x", 1);
    withop.has_op = true;
    withop.op = OTS_OP_DELETE_ALL;
    row = (ots_row_t){pk, 2, &withop, 1, false};
    assert_int_equal(ots_store_put(t, &row, f->a, NULL, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "OpType cannot be given for column name:x in PutRow.");
    ots_cell nan = {.name = EMU_STR_LIT("d"), .has_value = true};
    nan.value.type = OTS_VT_DOUBLE;
    nan.value.d = 0.0 / 0.0;
    row = (ots_row_t){pk, 2, &nan, 1, false};
    assert_int_equal(ots_store_put(t, &row, f->a, NULL, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "NaN can't be set to double value.");

    /* Delete row. */
    bool existed;
    assert_int_equal(ots_store_delete(t, pk, 2, &existed, &err), EMU_OK);
    assert_true(existed);
    get_row(f, t, pk, 2, NULL, &found);
    assert_false(found);
}

static void columns_to_get(void **state)
{
    fx *f = *state;
    ots_table_t *t = vt_table(f, -1, 1);
    ots_cell pk[] = {icell("vid", 1), icell("gt", 1)};
    ots_cell at[] = {icell("a", 1), icell("b", 2), icell("c", 3)};
    put(f, t, pk, 2, at, 3);
    bool found;
    emu_str want[] = {EMU_STR_LIT("c"), EMU_STR_LIT("a")};
    ots_read_opts o = {.max_versions = 1, .columns = want, .n_columns = 2};
    ots_row_t r = get_row(f, t, pk, 2, &o, &found);
    assert_true(found);
    assert_int_equal(r.n_attrs, 2);
    assert_true(emu_str_eq_c(r.attrs[0].name, "a"));
    emu_str none[] = {EMU_STR_LIT("zz")};
    o.columns = none;
    o.n_columns = 1;
    get_row(f, t, pk, 2, &o, &found);
    assert_false(found);
    emu_str pkname[] = {EMU_STR_LIT("zz"), EMU_STR_LIT("vid")};
    o.columns = pkname;
    o.n_columns = 2;
    r = get_row(f, t, pk, 2, &o, &found);
    assert_true(found);
    assert_int_equal(r.n_attrs, 0);
    /* [b, c) by name. */
    o = (ots_read_opts){
        .max_versions = 1, .start_column = EMU_STR_LIT("b"), .end_column = EMU_STR_LIT("c")};
    r = get_row(f, t, pk, 2, &o, &found);
    assert_int_equal(r.n_attrs, 1);
    assert_true(emu_str_eq_c(r.attrs[0].name, "b"));
}

static void auto_increment(void **state)
{
    fx *f = *state;
    static const ots_pk_col pk[] = {{"part", OTS_PK_STRING, false}, {"id", OTS_PK_INTEGER, true}};
    ots_table_t *t = make_table(f, "auto", pk, 2, -1, 1);
    emu_err err = {0};
    int64_t last = 0;
    for (int i = 0; i < 5; i++) {
        ots_cell c[] = {scell("part", "p", 1, OTS_VT_STRING), special("id", OTS_VT_AUTO_INCREMENT)};
        ots_row_t row = {c, 2, NULL, 0, false}, out;
        assert_int_equal(ots_store_put(t, &row, f->a, &out, &err), EMU_OK);
        assert_int_equal(out.pk[1].value.type, OTS_VT_INTEGER);
        assert_true(out.pk[1].value.i > last);
        last = out.pk[1].value.i;
    }
    assert_int_equal(ots_table_row_count(t), 5);
    /* Not allowed in reads or updates, nor on a plain column. */
    ots_cell c[] = {scell("part", "p", 1, OTS_VT_STRING), special("id", OTS_VT_AUTO_INCREMENT)};
    ots_row_t r;
    bool found;
    assert_int_equal(ots_store_get(t, c, 2, NULL, f->a, &r, &found, &err), EMU_E_INVALID);
    assert_string_equal(err.code, "OTSInvalidPK");
    ots_row_t row = {c, 2, NULL, 0, false};
    assert_int_equal(ots_store_update(t, &row, f->a, NULL, &err), EMU_E_INVALID);
    ots_cell c2[] = {special("part", OTS_VT_AUTO_INCREMENT), icell("id", 1)};
    row = (ots_row_t){c2, 2, NULL, 0, false};
    assert_int_equal(ots_store_put(t, &row, f->a, NULL, &err), EMU_E_INVALID);
}

static void pk_validation(void **state)
{
    fx *f = *state;
    ots_table_t *t = vt_table(f, -1, 1);
    emu_err err = {0};
    ots_row_t r;
    bool found;
    ots_cell one[] = {icell("vid", 1)};
    assert_int_equal(ots_store_get(t, one, 1, NULL, f->a, &r, &found, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "Validate PK size fail. Input: 1, Meta: 2.");
    assert_string_equal(err.code, "OTSInvalidPK");
    ots_cell name[] = {icell("vid", 1), icell("gx", 1)};
    assert_int_equal(ots_store_get(t, name, 2, NULL, f->a, &r, &found, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "Validate PK name fail. Input: gx, Meta: gt.");
    ots_cell type[] = {icell("vid", 1), scell("gt", "x", 1, OTS_VT_STRING)};
    assert_int_equal(ots_store_get(t, type, 2, NULL, f->a, &r, &found, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "Validate PK type fail. Input: VT_STRING, Meta: VT_INTEGER.");
    ots_cell inf[] = {icell("vid", 1), special("gt", OTS_VT_INF_MAX)};
    assert_int_equal(ots_store_get(t, inf, 2, NULL, f->a, &r, &found, &err), EMU_E_INVALID);

    /* Table creation rules (§9.2). */
    ots_pk_col bad_auto[] = {{"a", OTS_PK_INTEGER, true}};
    ots_table_schema s = {
        .name = "x", .pk = bad_auto, .n_pk = 1, .opts = ots_table_options_default()};
    assert_int_equal(ots_store_table_create(f->in, &s, NULL, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "First primary key can't be auto increment, table: x.");
    ots_pk_col dup[] = {{"a", OTS_PK_INTEGER, false}, {"a", OTS_PK_STRING, false}};
    s.pk = dup;
    s.n_pk = 2;
    assert_int_equal(ots_store_table_create(f->in, &s, NULL, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "Duplicated primary key name: 'a'.");
    s.n_pk = 1;
    s.name = "1bad";
    assert_int_equal(ots_store_table_create(f->in, &s, NULL, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "Invalid table name: 1bad.");
    s.name = "vehicle_track";
    assert_int_equal(ots_store_table_create(f->in, &s, NULL, &err), EMU_E_EXISTS);
    s.name = "ok";
    s.opts.ttl_s = 0;
    assert_int_equal(ots_store_table_create(f->in, &s, NULL, &err), EMU_E_INVALID);
    assert_string_equal(err.msg, "TimeToLive cannot be 0 or less than -1.");
    s.opts = ots_table_options_default();
    s.opts.max_versions = 0;
    assert_int_equal(ots_store_table_create(f->in, &s, NULL, &err), EMU_E_INVALID);
    /* Drop and list. */
    assert_int_equal(ots_store_table_count(f->in), 1);
    assert_int_equal(ots_store_table_drop(f->in, "nope", &err), EMU_E_NOT_FOUND);
    assert_int_equal(ots_store_table_drop(f->in, "vehicle_track", &err), EMU_OK);
    assert_int_equal(ots_store_table_count(f->in), 0);
    /* Instances. */
    assert_int_equal(ots_store_instance_create(f->s, "cap1", OTS_NET_VPC, NULL, &err),
                     EMU_E_EXISTS);
    assert_int_equal(ots_store_instance_create(f->s, "9cap", OTS_NET_VPC, NULL, &err),
                     EMU_E_INVALID);
    assert_int_equal(ots_store_instance_create(f->s, "cap-", OTS_NET_VPC, NULL, &err),
                     EMU_E_INVALID);
    assert_int_equal(ots_store_instance_create(f->s, "cap2", OTS_NET_VPC, NULL, &err), EMU_OK);
    assert_int_equal(ots_store_instance_count(f->s), 2);
    assert_int_equal(ots_instance_network(ots_store_instance_find(f->s, "cap2")), OTS_NET_VPC);
}

static void clone_is_independent(void **state)
{
    fx *f = *state;
    ots_table_t *t = vt_table(f, -1, 2);
    for (int i = 0; i < 500; i++) {
        ots_cell pk[] = {icell("vid", i), icell("gt", 0)};
        ots_cell at[] = {scell("s", "hello", 5, OTS_VT_STRING), icell("n", i)};
        put(f, t, pk, 2, at, 2);
    }
    ots_store_t *c = ots_store_clone(f->s);
    ots_table_t *ct = ots_store_table_find(ots_store_instance_find(c, "cap1"), "vehicle_track");
    assert_non_null(ct);
    assert_ptr_not_equal(ct, t);
    /* Change the original: delete, overwrite, drop another table. */
    emu_err err = {0};
    ots_cell pk0[] = {icell("vid", 0), icell("gt", 0)};
    assert_int_equal(ots_store_delete(t, pk0, 2, NULL, &err), EMU_OK);
    ots_cell pk1[] = {icell("vid", 1), icell("gt", 0)};
    ots_cell at[] = {icell("n", 999)};
    put(f, t, pk1, 2, at, 1);
    assert_int_equal(ots_table_row_count(t), 499);
    assert_int_equal(ots_table_row_count(ct), 500);
    bool found;
    ots_row_t r = get_row(f, ct, pk1, 2, NULL, &found);
    assert_true(found);
    assert_int_equal(r.n_attrs, 2);
    assert_int_equal(r.attrs[0].value.i, 1);
    assert_memory_equal(r.attrs[1].value.p, "hello", 5);
    /* And the clone can be written and freed on its own. */
    put(f, ct, pk0, 2, at, 1);
    ots_store_free(c);
    r = get_row(f, t, pk1, 2, NULL, &found);
    assert_int_equal(r.attrs[0].value.i, 999);
}

int ots_test_store(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pk_ordering, setup, teardown),
        cmocka_unit_test_setup_teardown(range_scans_and_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(btree_matches_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(versions_and_max_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(ttl_on_virtual_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(update_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(columns_to_get, setup, teardown),
        cmocka_unit_test_setup_teardown(auto_increment, setup, teardown),
        cmocka_unit_test_setup_teardown(pk_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(clone_is_independent, setup, teardown),
    };
    return cmocka_run_group_tests_name("ots_store", tests, NULL, NULL);
}
