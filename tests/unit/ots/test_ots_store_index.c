/* The persistent index (ots_store_index.c) and copies of tables: a copy
 * shares every node until a write, a write copies one path, each version
 * keeps its own rows, and dropping versions in any order frees exactly what
 * they alone held (the ASan build's leak check runs over this file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_store_int.h"
#include "ots_test_util.h"

enum { KEYS = 6000, VERSIONS = 4 };

typedef struct ifx {
    emu_arena *a;
    ots_store_t *s;
    ots_table_t *t;
} ifx;

static const ots_pk_col pk_cols[] = {{"k", OTS_PK_INTEGER, false}};

static int setup(void **state)
{
    ifx *f = calloc(1, sizeof *f);
    emu_err err = {0};
    ots_instance_t *in;
    f->a = emu_arena_new(0);
    f->s = ots_store_new("1234567890");
    emu_clock_set_ms(1735689600000);
    assert_int_equal(ots_store_instance_create(f->s, "cap1", OTS_NET_ANY, &in, &err), EMU_OK);
    ots_table_schema s = {.name = "t", .pk = pk_cols, .n_pk = 1};
    s.opts = ots_table_options_default();
    assert_int_equal(ots_store_table_create(in, &s, &f->t, &err), EMU_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    ifx *f = *state;
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

static ots_table_t *table_of(ots_store_t *s)
{
    return ots_store_table_find(ots_store_instance_find(s, "cap1"), "t");
}

/* Row k gets v = value (0 = delete). */
static void set(ifx *f, ots_table_t *t, int64_t k, int64_t value)
{
    emu_err err = {0};
    ots_cell pk = icell("k", k);
    if (!value) {
        assert_int_equal(ots_store_delete(t, &pk, 1, NULL, &err), EMU_OK);
        return;
    }
    ots_cell at = icell("v", value);
    ots_row_t row = {&pk, 1, &at, 1, false};
    assert_int_equal(ots_store_put(t, &row, f->a, NULL, &err), EMU_OK);
}

/* The table holds exactly ref[k] != 0 for every k, in order both ways. */
static void check(ifx *f, const ots_table_t *t, const int64_t *ref)
{
    size_t n = 0;
    for (int k = 0; k < KEYS; k++)
        n += ref[k] != 0;
    assert_int_equal(ots_table_row_count(t), n);
    for (int dir = 0; dir < 2; dir++) {
        ots_cell lo = {.name = emu_str_c("k"), .has_value = true};
        ots_cell hi = lo;
        lo.value.type = OTS_VT_INF_MIN;
        hi.value.type = OTS_VT_INF_MAX;
        ots_store_iter it;
        emu_err err = {0};
        assert_int_equal(
            ots_store_range_open(t, dir ? &hi : &lo, 1, dir ? &lo : &hi, 1, dir, f->a, &it, &err),
            EMU_OK);
        int k = dir ? KEYS - 1 : 0;
        ots_row_t r;
        while (ots_store_range_next(&it, NULL, f->a, &r) == OTS_ITER_ROW) {
            while (k >= 0 && k < KEYS && !ref[k])
                k += dir ? -1 : 1;
            assert_true(k >= 0 && k < KEYS);
            assert_int_equal(r.pk[0].value.i, k);
            assert_int_equal(r.attrs[0].value.i, ref[k]);
            k += dir ? -1 : 1;
        }
        while (k >= 0 && k < KEYS && !ref[k])
            k += dir ? -1 : 1;
        assert_true(k < 0 || k >= KEYS); /* nothing left out */
        emu_arena_reset(f->a);
    }
}

/* A copy shares the whole tree; one write copies one root-to-leaf path and
 * leaves the copy as it was; dropping the copy leaves nothing shared. */
static void copy_shares_until_written(void **state)
{
    ifx *f = *state;
    static int64_t ref[KEYS], old[KEYS];
    for (int k = 0; k < KEYS; k++) {
        ref[k] = k + 1;
        set(f, f->t, k, ref[k]);
        emu_arena_reset(f->a);
    }
    ots__ix_stats st = ots__ix_count(f->t);
    assert_true(st.nodes > 90); /* 6000 rows: ~94 leaves + inner nodes */
    assert_int_equal(st.shared_nodes, 0);

    ots_store_t *cp = ots_store_clone(f->s);
    ots_table_t *ct = table_of(cp);
    ots__ix_stats cs = ots__ix_count(ct);
    assert_int_equal(cs.nodes, st.nodes);
    assert_int_equal(cs.shared_nodes, st.nodes); /* the very same nodes */
    assert_int_equal(ots_table_bytes(ct), ots_table_bytes(f->t));

    memcpy(old, ref, sizeof ref);
    set(f, f->t, 4321, 777);
    ref[4321] = 777;
    st = ots__ix_count(f->t);
    /* The live tree owns the copied path only: root .. leaf. */
    assert_int_equal(st.nodes - st.shared_nodes, f->t->height);
    assert_int_equal(ots__ix_count(ct).shared_nodes, st.shared_nodes);
    check(f, f->t, ref);
    check(f, ct, old);

    ots_store_free(cp);
    st = ots__ix_count(f->t);
    assert_int_equal(st.shared_nodes, 0);
    assert_int_equal(st.shared_rows, 0);
    check(f, f->t, ref);
}

/* Several versions written independently (the live table, copies of it and
 * a copy of a copy), compared with reference arrays after every phase, then
 * dropped in an order unlike the one they were made in. */
static void versions_stay_apart(void **state)
{
    ifx *f = *state;
    static int64_t ref[VERSIONS][KEYS];
    ots_store_t *st[VERSIONS] = {f->s};
    ots_table_t *t[VERSIONS] = {f->t};
    uint64_t x = 0x9E3779B97F4A7C15ull;

    for (int v = 0; v < VERSIONS; v++) {
        if (v) {
            /* Copy of the live store, or for the last one a copy of a copy. */
            st[v] = ots_store_clone(st[v == VERSIONS - 1 ? v - 1 : 0]);
            t[v] = table_of(st[v]);
            memcpy(ref[v], ref[v == VERSIONS - 1 ? v - 1 : 0], sizeof ref[v]);
        }
        /* Random puts and deletes on every version made so far. */
        for (int w = 0; w <= v; w++) {
            for (int i = 0; i < 3000; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                int k = (int)(x % KEYS);
                int64_t value = (x >> 32) % 4 ? (int64_t)(x >> 40) + 1 : 0;
                set(f, t[w], k, value);
                ref[w][k] = value;
                emu_arena_reset(f->a);
            }
        }
        for (int w = 0; w <= v; w++)
            check(f, t[w], ref[w]);
    }
    /* Drop 2, then 1 (the parent of 3), and 3 still reads as before. */
    ots_store_free(st[2]);
    ots_store_free(st[1]);
    check(f, t[3], ref[3]);
    check(f, t[0], ref[0]);
    ots_store_free(st[3]);
    ots__ix_stats s0 = ots__ix_count(t[0]);
    assert_int_equal(s0.shared_nodes, 0);
    assert_int_equal(s0.shared_rows, 0);
    check(f, t[0], ref[0]);
}

/* Bulk-loaded rows sit in a slab that copies share: the original can go
 * first and the copy still reads its rows. Names interned later by the live
 * table do not disturb the copy. */
static void slab_and_names_outlive_the_original(void **state)
{
    ifx *f = *state;
    emu_err err = {0};
    for (int k = 0; k < 500; k++) {
        ots_value v = {.type = OTS_VT_INTEGER, .i = k};
        uint8_t key[OTS__KEY_MAX];
        size_t klen = ots__key_encode(&v, 1, key);
        ots__xcell c = {.name_id = ots__name_intern(f->t, "v", 1), .ts = 1, .v = v};
        c.v.i = k + 1;
        assert_int_equal(ots__store_load_row(f->t, key, klen, &c, 1, &err), EMU_OK);
    }
    ots_store_t *cp = ots_store_clone(f->s);
    ots_table_t *ct = table_of(cp);
    ots_cell pk = icell("k", 7);
    ots_cell at[] = {icell("v", 8), icell("zzz_new_name", 1)};
    ots_row_t row = {&pk, 1, at, 2, false};
    assert_int_equal(ots_store_put(f->t, &row, f->a, NULL, &err), EMU_OK);
    /* The original goes (a restore frees the live world like this). */
    ots_store_free(f->s);
    f->s = cp;
    bool found;
    ots_row_t r;
    assert_int_equal(ots_store_get(ct, &pk, 1, NULL, f->a, &r, &found, &err), EMU_OK);
    assert_true(found);
    assert_int_equal(r.n_attrs, 1);
    assert_int_equal(r.attrs[0].value.i, 8);
    assert_int_equal(ots_table_row_count(ct), 500);
}

typedef struct seen {
    int calls;
    int64_t old_v, new_v; /* -1 = row absent */
} seen;

static void observe(void *ud, ots_table_t *t, const ots_row_t *o, const ots_row_t *n)
{
    seen *s = ud;
    (void)t;
    s->calls++;
    s->old_v = o ? o->attrs[0].value.i : -1;
    s->new_v = n ? n->attrs[0].value.i : -1;
}

/* The write observer sees every change with the rows before and after;
 * copies do not carry it. */
static void observer_sees_changes(void **state)
{
    ifx *f = *state;
    seen s = {0};
    seen s2 = {0};
    assert_true(ots_table_add_observer(f->t, observe, &s));
    assert_true(ots_table_add_observer(f->t, observe, &s2));
    set(f, f->t, 1, 10);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.old_v, -1);
    assert_int_equal(s.new_v, 10);
    set(f, f->t, 1, 11);
    assert_int_equal(s.old_v, 10);
    assert_int_equal(s.new_v, 11);
    set(f, f->t, 1, 0);
    assert_int_equal(s.calls, 3);
    assert_int_equal(s.old_v, 11);
    assert_int_equal(s.new_v, -1);
    set(f, f->t, 1, 0); /* nothing to delete: no change */
    assert_int_equal(s.calls, 3);
    assert_int_equal(s2.calls, 3); /* every observer, each write */
    ots_table_remove_observer(f->t, observe, &s2);
    set(f, f->t, 1, 4);
    assert_int_equal(s.calls, 4);
    assert_int_equal(s2.calls, 3);
    ots_store_t *cp = ots_store_clone(f->s);
    set(f, table_of(cp), 2, 5);
    assert_int_equal(s.calls, 4);
    ots_store_free(cp);
}

/* Key sets: ordered, duplicates refused, cursors seek the first key >= k,
 * and a clone is independent of its original on either side's writes. */
static void keyset_orders_and_copies(void **state)
{
    (void)state;
    ots_keyset *s = ots_keyset_new();
    char k[16];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(k, sizeof k, "k%04d", (i * 7) % 1000);
        assert_true(ots_keyset_add(s, (const uint8_t *)k, (size_t)n));
    }
    assert_false(ots_keyset_add(s, (const uint8_t *)"k0007", 5));
    assert_int_equal(ots_keyset_count(s), 1000);
    ots_keyset *c = ots_keyset_clone(s);
    assert_true(ots_keyset_remove(s, (const uint8_t *)"k0500", 5));
    assert_false(ots_keyset_remove(s, (const uint8_t *)"k0500", 5));
    assert_true(ots_keyset_add(c, (const uint8_t *)"k", 1));
    assert_int_equal(ots_keyset_count(s), 999);
    assert_int_equal(ots_keyset_count(c), 1001);
    assert_true(ots_keyset_has(c, (const uint8_t *)"k0500", 5));
    assert_false(ots_keyset_has(s, (const uint8_t *)"k", 1));
    ots_store_cursor cur;
    size_t n;
    ots_keyset_seek(s, (const uint8_t *)"k0499x", 6, &cur);
    const uint8_t *p = ots_keyset_key(&cur, &n);
    assert_non_null(p);
    assert_memory_equal(p, "k0501", 5); /* k0500 is gone from s only */
    ots_keyset_seek(c, (const uint8_t *)"", 0, &cur);
    p = ots_keyset_key(&cur, &n);
    assert_int_equal(n, 1); /* "k" sorts before "k0000" */
    int walked = 0;
    for (; ots_keyset_key(&cur, &n); ots_keyset_next(&cur))
        walked++;
    assert_int_equal(walked, 1001);
    ots_keyset_free(s);
    ots_keyset_free(c);
}

int ots_test_store_index(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(copy_shares_until_written, setup, teardown),
        cmocka_unit_test_setup_teardown(versions_stay_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(slab_and_names_outlive_the_original, setup, teardown),
        cmocka_unit_test_setup_teardown(observer_sees_changes, setup, teardown),
        cmocka_unit_test(keyset_orders_and_copies),
    };
    return cmocka_run_group_tests_name("ots_store_index", tests, NULL, NULL);
}
