/* CRC8 and PlainBuffer against the worked bytes of tablestore-protocol.md §7
 * and the Node-encoder vectors of ots-test-vectors.json, plus rejection of
 * damaged input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/crc8.h"
#include "ots_int.h"
#include "ots_test_util.h"

/* §7.3 worked example: vid=1, gt=1000, longitude=120.5, latitude=30.25. */
static const char *WORKED =
    "75000000 01"
    "03 04 03000000 766964 05 09000000 00 0100000000000000 0a bc"
    "03 04 02000000 6774 05 09000000 00 e803000000000000 0a c2"
    "02"
    "03 04 09000000 6c6f6e676974756465 05 09000000 01 0000000000205e40 0a e2"
    "03 04 08000000 6c61746974756465 05 09000000 01 0000000000403e40 0a 75"
    "09 2a";

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

static ots_cell int_cell(const char *name, int64_t v)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true};
    c.value.type = OTS_VT_INTEGER;
    c.value.i = v;
    return c;
}

static ots_cell dbl_cell(const char *name, double v)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true};
    c.value.type = OTS_VT_DOUBLE;
    c.value.d = v;
    return c;
}

static void crc8_check_value(void **state)
{
    (void)state;
    assert_int_equal(emu_crc8(0, "123456789", 9), 0xF4);
    /* §7.3 trace of the vid cell. */
    uint8_t c = emu_crc8(0, "vid", 3);
    assert_int_equal(c, 0x69);
    c = emu_crc8_byte(c, 0x00);
    assert_int_equal(c, 0x18);
    c = emu_crc8_u64(c, 1);
    assert_int_equal(c, 0xBC);
    uint8_t row = 0;
    const uint8_t cells[] = {0xBC, 0xC2, 0xE2, 0x75, 0x00};
    row = emu_crc8(row, cells, sizeof cells);
    assert_int_equal(row, 0x2A);
}

/* The bit-at-a-time definition (§7.2), against which every table entry is
 * checked: each byte value at each of the eight sliced positions, from
 * several starting values, and the byte-wise tail. */
static uint8_t crc8_bitwise(uint8_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
    }
    return crc;
}

static void crc8_tables_match_definition(void **state)
{
    (void)state;
    const uint8_t starts[] = {0x00, 0x01, 0x80, 0xA5, 0xFF};
    for (size_t s = 0; s < sizeof starts; s++)
        for (int pos = 0; pos < 8; pos++)
            for (int v = 0; v < 256; v++) {
                uint8_t b[11] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB};
                b[pos] = (uint8_t)v;
                for (size_t n = 7; n <= sizeof b; n++)
                    assert_int_equal(emu_crc8(starts[s], b, n), crc8_bitwise(starts[s], b, n));
                uint64_t u = 0;
                for (int k = 7; k >= 0; k--)
                    u = u << 8 | b[k];
                assert_int_equal(emu_crc8_u64(starts[s], u), crc8_bitwise(starts[s], b, 8));
                assert_int_equal(emu_crc8_byte(starts[s], (uint8_t)v),
                                 crc8_bitwise(starts[s], &b[pos], 1));
            }
}

static void encode_matches_worked_example(void **state)
{
    emu_arena *a = *state;
    ots_cell pk[] = {int_cell("vid", 1), int_cell("gt", 1000)};
    ots_cell at[] = {dbl_cell("longitude", 120.5), dbl_cell("latitude", 30.25)};
    ots_row_t row = {pk, 2, at, 2, false};
    size_t n, want_len;
    uint8_t *want = ots_test_unhex(WORKED, &want_len);
    uint8_t *got = ots_plainbuffer_encode_row(&row, a, &n);
    assert_int_equal(n, 118);
    assert_int_equal(want_len, 118);
    assert_memory_equal(got, want, n);
    free(want);
}

static void decode_worked_example(void **state)
{
    emu_arena *a = *state;
    size_t n;
    uint8_t *b = ots_test_unhex(WORKED, &n);
    ots_row_t row;
    emu_err err = {0};
    assert_int_equal(ots_plainbuffer_decode_row(b, n, a, &row, &err), EMU_OK);
    assert_int_equal(row.n_pk, 2);
    assert_int_equal(row.n_attrs, 2);
    assert_true(emu_str_eq_c(row.pk[1].name, "gt"));
    assert_int_equal(row.pk[1].value.i, 1000);
    assert_true(row.attrs[0].value.d == 120.5);
    assert_false(row.delete_marker);
    free(b);
}

/* Every Node-encoder vector decodes, and re-encoding gives the same bytes up
 * to the Node padding (§7.4). */
static void node_vectors_round_trip(void **state)
{
    emu_arena *a = *state;
    const cJSON *g =
        cJSON_GetObjectItemCaseSensitive(ots_test_vectors(), "plainbuffer_node_encoder");
    int count = 0;
    for (const cJSON *v = g->child; v; v = v->next, count++) {
        size_t n, m;
        uint8_t *b = ots_test_unhex(v->valuestring, &n);
        ots_row_t row;
        emu_err err = {0};
        if (ots_plainbuffer_decode_row(b, n, a, &row, &err) != EMU_OK)
            fail_msg("%s: %s", v->string, err.msg);
        uint8_t *again = ots_plainbuffer_encode_row(&row, a, &m);
        assert_true(m <= n);
        assert_memory_equal(again, b, m);
        for (size_t i = m; i < n; i++)
            assert_int_equal(b[i], 0);
        free(b);
    }
    assert_int_equal(count, 9);
}

static ots_row_t decode_vec(emu_arena *a, const char *name)
{
    size_t n;
    uint8_t *b = ots_test_unhex(ots_test_vec("plainbuffer_node_encoder", name), &n);
    ots_row_t row;
    emu_err err = {0};
    if (ots_plainbuffer_decode_row(b, n, a, &row, &err))
        fail_msg("%s: %s", name, err.msg);
    free(b);
    return row;
}

static void node_vectors_content(void **state)
{
    emu_arena *a = *state;
    ots_row_t r = decode_vec(a, "pk_inf");
    assert_int_equal(r.pk[0].value.type, OTS_VT_INF_MIN);
    assert_int_equal(r.pk[1].value.type, OTS_VT_INF_MAX);

    r = decode_vec(a, "pk_str_bin");
    assert_int_equal(r.pk[0].value.type, OTS_VT_STRING);
    assert_memory_equal(r.pk[0].value.p, "abc", 3);
    assert_int_equal(r.pk[1].value.type, OTS_VT_BINARY);
    assert_int_equal(r.pk[1].value.len, 3);

    r = decode_vec(a, "put_types");
    assert_int_equal(r.n_attrs, 6);
    assert_int_equal(r.attrs[1].value.i, -2);
    assert_true(r.attrs[2].value.b);
    assert_false(r.attrs[3].value.b);
    assert_int_equal(r.attrs[4].value.type, OTS_VT_BINARY);

    r = decode_vec(a, "put_ts");
    assert_true(r.attrs[0].has_ts);
    assert_int_equal(r.attrs[0].ts, 1700000000000);

    r = decode_vec(a, "put_autoinc");
    assert_int_equal(r.pk[1].value.type, OTS_VT_AUTO_INCREMENT);

    r = decode_vec(a, "update_mix");
    assert_int_equal(r.n_attrs, 4);
    assert_false(r.attrs[0].has_op);
    assert_int_equal(r.attrs[1].op, OTS_OP_DELETE_ONE);
    assert_int_equal(r.attrs[1].ts, 1700000000000);
    assert_int_equal(r.attrs[2].op, OTS_OP_DELETE_ALL);
    assert_false(r.attrs[2].has_value);
    assert_int_equal(r.attrs[3].op, OTS_OP_INCREMENT);
    assert_int_equal(r.attrs[3].value.i, 3);

    r = decode_vec(a, "delete_row");
    assert_true(r.delete_marker);
    assert_int_equal(r.n_attrs, 0);
}

/* §7.3 update-cell byte examples, encoded one cell at a time. */
static void update_cells_match_spec(void **state)
{
    emu_arena *a = *state;
    struct {
        ots_cell c;
        const char *hex;
    } cases[] = {
        {int_cell("p", 5), "03 04 01000000 70 05 09000000 00 0500000000000000 0a a8"},
        {{.name = EMU_STR_LIT("d1"),
          .has_op = true,
          .op = OTS_OP_DELETE_ONE,
          .has_ts = true,
          .ts = 1700000000000},
         "03 04 02000000 6431 06 03 07 0068e5cf8b010000 0a 4a"},
        {{.name = EMU_STR_LIT("d2"), .has_op = true, .op = OTS_OP_DELETE_ALL},
         "03 04 02000000 6432 06 01 0a ba"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ots_row_t row = {NULL, 0, &cases[i].c, 1, false};
        size_t n, wn;
        uint8_t *got = ots_plainbuffer_encode_row(&row, a, &n);
        uint8_t *want = ots_test_unhex(cases[i].hex, &wn);
        assert_int_equal(n, 4 + 1 + wn + 2);
        assert_memory_equal(got + 5, want, wn);
        free(want);
    }
    ots_cell inc = int_cell("n", 3);
    inc.has_op = true;
    inc.op = OTS_OP_INCREMENT;
    ots_row_t row = {NULL, 0, &inc, 1, false};
    size_t n, wn;
    uint8_t *got = ots_plainbuffer_encode_row(&row, a, &n);
    uint8_t *want =
        ots_test_unhex("03 04 01000000 6e 05 09000000 00 0300000000000000 06 04 0a 11", &wn);
    assert_memory_equal(got + 5, want, wn);
    free(want);

    /* DeleteRow body for id=7. */
    ots_cell pk = int_cell("id", 7);
    ots_row_t del = {&pk, 1, NULL, 0, true};
    got = ots_plainbuffer_encode_row(&del, a, &n);
    want = ots_test_unhex(
        "75000000 01 03 04 02000000 6964 05 09000000 00 0700000000000000 0a 60 08 09 f2", &wn);
    assert_int_equal(n, wn);
    assert_memory_equal(got, want, n);
    free(want);
}

static void multi_row_response(void **state)
{
    emu_arena *a = *state;
    size_t n, m;
    uint8_t *b = ots_test_unhex(ots_test_vec("responses", "getrange_rows_plainbuffer"), &n);
    ots_row_t *rows;
    size_t nr;
    emu_err err = {0};
    assert_int_equal(ots_plainbuffer_decode_rows(b, n, a, &rows, &nr, &err), EMU_OK);
    assert_int_equal(nr, 2);
    assert_int_equal(rows[1].pk[1].value.i, 2000);
    assert_true(rows[1].attrs[1].value.d == 31.0);
    assert_int_equal(rows[0].attrs[0].ts, 1735689600000);
    uint8_t *again = ots_plainbuffer_encode_rows(rows, nr, a, &m);
    assert_int_equal(m, n);
    assert_memory_equal(again, b, n);
    /* An empty page is zero bytes both ways. */
    assert_int_equal(ots_plainbuffer_decode_rows(b, 0, a, &rows, &nr, &err), EMU_OK);
    free(b);
    assert_int_equal(nr, 0);
    ots_plainbuffer_encode_rows(NULL, 0, a, &m);
    assert_int_equal(m, 0);
}

static void expect_invalid(emu_arena *a, const uint8_t *b, size_t n, const char *needle)
{
    ots_row_t row;
    emu_err err = {0};
    assert_int_equal(ots_plainbuffer_decode_row(b, n, a, &row, &err), EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "offset"));
    if (needle && !strstr(err.msg, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, err.msg);
}

static void decoder_rejects_damage(void **state)
{
    emu_arena *a = *state;
    size_t n;
    uint8_t *b = ots_test_unhex(WORKED, &n);

    /* Every truncation is rejected, never read past. */
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, b, cut);
        expect_invalid(a, copy, cut, NULL);
        free(copy);
    }
    b[29] ^= 1; /* vid cell CRC */
    expect_invalid(a, b, n, "cell checksum mismatch");
    b[29] ^= 1;
    b[117] ^= 1; /* row CRC */
    expect_invalid(a, b, n, "row checksum mismatch");
    b[117] ^= 1;
    b[0] = 0x76; /* header */
    expect_invalid(a, b, n, "mismatch header");
    b[0] = 0x75;
    b[5] = 0x04; /* TAG_CELL expected */
    expect_invalid(a, b, n, "offset 5");
    b[5] = 0x03;
    b[6] = 0x05; /* TAG_CELL_NAME expected */
    expect_invalid(a, b, n, "name tag");
    b[6] = 0x04;
    b[15] = 0x08; /* vlen 8 for an INTEGER */
    expect_invalid(a, b, n, "does not match its type");
    b[15] = 0x09;
    b[19] = 0x42; /* unknown variant type */
    expect_invalid(a, b, n, "unknown variant type");
    b[19] = 0x00;

    /* Junk after the row (not Node's zero padding). */
    uint8_t *longer = malloc(n + 3);
    memcpy(longer, b, n);
    longer[n] = 0;
    longer[n + 1] = 0;
    longer[n + 2] = 0x75;
    expect_invalid(a, longer, n + 3, "after the row checksum");
    ots_row_t row;
    emu_err err = {0};
    assert_int_equal(ots_plainbuffer_decode_row(longer, n + 2, a, &row, &err), EMU_OK);
    free(longer);

    /* A huge name length must not be trusted. */
    const uint8_t huge[] = {0x75, 0, 0, 0, 0x01, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff, 'x'};
    expect_invalid(a, huge, sizeof huge, "truncated cell name");
    const uint8_t nochk[] = {0x75, 0, 0, 0};
    expect_invalid(a, nochk, sizeof nochk, "missing checksum");
    free(b);
}

static void variant_examples(void **state)
{
    emu_arena *a = *state;
    struct {
        ots_value v;
        const char *hex;
    } cases[] = {
        {{.type = OTS_VT_DOUBLE, .d = 1.5}, "01 000000000000f83f"},
        {{.type = OTS_VT_STRING, .len = 1, .p = (const uint8_t *)"x"}, "03 01000000 78"},
        {{.type = OTS_VT_INTEGER, .i = 5}, "00 0500000000000000"},
        {{.type = OTS_VT_BOOLEAN, .b = true}, "02 01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n, wn;
        uint8_t *want = ots_test_unhex(cases[i].hex, &wn);
        uint8_t *got = ots_plainbuffer_encode_variant(&cases[i].v, a, &n);
        assert_int_equal(n, wn);
        assert_memory_equal(got, want, n);
        ots_value back;
        emu_err err = {0};
        assert_int_equal(ots_plainbuffer_decode_variant(want, wn, &back, &err), EMU_OK);
        assert_int_equal(back.type, cases[i].v.type);
        assert_int_equal(ots_plainbuffer_decode_variant(want, wn - 1, &back, &err), EMU_E_INVALID);
        free(want);
    }
}

int ots_test_plainbuffer(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc8_check_value),
        cmocka_unit_test(crc8_tables_match_definition),
        cmocka_unit_test_setup_teardown(encode_matches_worked_example, setup, teardown),
        cmocka_unit_test_setup_teardown(decode_worked_example, setup, teardown),
        cmocka_unit_test_setup_teardown(node_vectors_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(node_vectors_content, setup, teardown),
        cmocka_unit_test_setup_teardown(update_cells_match_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(multi_row_response, setup, teardown),
        cmocka_unit_test_setup_teardown(decoder_rejects_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(variant_examples, setup, teardown),
    };
    return cmocka_run_group_tests_name("ots_plainbuffer", tests, NULL, NULL);
}
