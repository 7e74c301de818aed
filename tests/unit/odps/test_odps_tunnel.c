/* The instance tunnel's record stream (odps_tunnel.c): the bytes pyodps's
 * own writer produces for the same records, the decoder's checks, and
 * rowrange parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "emu/crc32c.h"
#include "odps_int.h"

static const char *const NAMES[] = {"vid", "speed", "ok", "name"};
static const odps_type TYPES[] = {ODPS_T_BIGINT, ODPS_T_DOUBLE, ODPS_T_BOOLEAN, ODPS_T_STRING};

/* pyodps 0.13.1 BaseRecordWriter (odps/tunnel/io/writer.py) for the schema
 * above and the records [7, 27.44, True, "ab"], [-1, None, False, None],
 * then close(): written once with pyodps from source, kept as the
 * reference. */
static const uint8_t PYODPS_STREAM[] = {
    0x08, 0x0e, 0x11, 0x71, 0x3d, 0x0a, 0xd7, 0xa3, 0x70, 0x3b, 0x40, 0x18, 0x01, 0x22,
    0x02, 0x61, 0x62, 0x80, 0xc0, 0xff, 0x7f, 0xd7, 0xe3, 0xbb, 0xde, 0x03, 0x08, 0x01,
    0x18, 0x00, 0x80, 0xc0, 0xff, 0x7f, 0x85, 0x84, 0x90, 0xd4, 0x0c, 0xf0, 0xff, 0xff,
    0x7f, 0x04, 0xf8, 0xff, 0xff, 0x7f, 0xd9, 0xdf, 0xff, 0xe2, 0x06};

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

static odps_resultset *two_rows(void)
{
    odps_value rows[8] = {
        {.type = ODPS_T_BIGINT, .i = 7},      {.type = ODPS_T_DOUBLE, .d = 27.44},
        {.type = ODPS_T_BOOLEAN, .b = true},  {.type = ODPS_T_STRING, .s = "ab", .len = 2},
        {.type = ODPS_T_BIGINT, .i = -1},     {.type = ODPS_T_NULL},
        {.type = ODPS_T_BOOLEAN, .b = false}, {.type = ODPS_T_NULL},
    };
    size_t ord[2] = {0, 1};
    return odps_resultset_copy(4, NAMES, TYPES, rows, 4, ord, 2);
}

static void crc32c_vector(void **state)
{
    (void)state;
    assert_int_equal(emu_crc32c(0, "123456789", 9), 0xE3069283u);
    /* Chained in pieces = in one go. */
    assert_int_equal(emu_crc32c(emu_crc32c(0, "12345", 5), "6789", 4), 0xE3069283u);
}

static void encode_matches_pyodps(void **state)
{
    (void)state;
    odps_resultset *rs = two_rows();
    size_t cols[4] = {0, 1, 2, 3};
    emu_buf b;
    emu_buf_init(&b, 1024);
    assert_true(odps_tunnel_encode(rs, 0, 2, cols, 4, &b));
    assert_int_equal(b.len, sizeof PYODPS_STREAM);
    assert_memory_equal(b.p, PYODPS_STREAM, sizeof PYODPS_STREAM);
    /* Over its cap, the encoder says so instead of truncating. */
    emu_buf small;
    emu_buf_init(&small, 20);
    assert_false(odps_tunnel_encode(rs, 0, 2, cols, 4, &small));
    emu_buf_dispose(&small);
    emu_buf_dispose(&b);
    odps_resultset_free(rs);
}

static void decode_roundtrip(void **state)
{
    emu_err err = {0};
    odps_value *v;
    size_t n;
    assert_int_equal(
        odps_tunnel_decode(PYODPS_STREAM, sizeof PYODPS_STREAM, TYPES, 4, *state, &v, &n, &err),
        EMU_OK);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].i, 7);
    assert_true(v[1].d == 27.44);
    assert_true(v[2].b);
    assert_int_equal(v[3].len, 2);
    assert_memory_equal(v[3].s, "ab", 2);
    assert_int_equal(v[4].i, -1);
    assert_int_equal(v[5].type, ODPS_T_NULL);
    assert_int_equal(v[6].type, ODPS_T_BOOLEAN);
    assert_false(v[6].b);
    assert_int_equal(v[7].type, ODPS_T_NULL);

    /* A subset of columns, renumbered from 1, decodes with its own types. */
    odps_resultset *rs = two_rows();
    size_t cols[2] = {3, 0};
    odps_type sub[2] = {ODPS_T_STRING, ODPS_T_BIGINT};
    emu_buf b;
    emu_buf_init(&b, 1024);
    assert_true(odps_tunnel_encode(rs, 1, 1, cols, 2, &b));
    assert_int_equal(odps_tunnel_decode((const uint8_t *)b.p, b.len, sub, 2, *state, &v, &n, &err),
                     EMU_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].type, ODPS_T_NULL);
    assert_int_equal(v[1].i, -1);
    emu_buf_dispose(&b);
    odps_resultset_free(rs);
}

static void decode_rejects(void **state, const uint8_t *p, size_t len, const char *want)
{
    emu_err err = {0};
    odps_value *v;
    size_t n;
    assert_int_equal(odps_tunnel_decode(p, len, TYPES, 4, *state, &v, &n, &err), EMU_E_INVALID);
    if (!strstr(err.msg, want))
        fail_msg("'%s' does not contain '%s'", err.msg, want);
}

static void decode_checks(void **state)
{
    uint8_t s[sizeof PYODPS_STREAM];
    /* Every prefix is a truncated stream. */
    for (size_t len = 0; len < sizeof PYODPS_STREAM; len++)
        decode_rejects(state, PYODPS_STREAM, len, "offset");
    /* A flipped value byte breaks the record checksum. */
    memcpy(s, PYODPS_STREAM, sizeof s);
    s[1] ^= 0x02;
    decode_rejects(state, s, sizeof s, "record checksum mismatch");
    /* A flipped record checksum breaks the stream checksum... */
    memcpy(s, PYODPS_STREAM, sizeof s);
    s[21] ^= 0x01;
    decode_rejects(state, s, sizeof s, "record checksum mismatch");
    /* ...a wrong count, a wrong wire type, a field past the schema. */
    memcpy(s, PYODPS_STREAM, sizeof s);
    s[43] = 0x06;
    decode_rejects(state, s, sizeof s, "record count does not match");
    memcpy(s, PYODPS_STREAM, sizeof s);
    s[0] = 0x0a;
    decode_rejects(state, s, sizeof s, "wire type does not match");
    memcpy(s, PYODPS_STREAM, sizeof s);
    s[0] = 0x28;
    decode_rejects(state, s, sizeof s, "field number past the schema");
    uint8_t extra[sizeof PYODPS_STREAM + 1];
    memcpy(extra, PYODPS_STREAM, sizeof PYODPS_STREAM);
    extra[sizeof PYODPS_STREAM] = 0;
    decode_rejects(state, extra, sizeof extra, "bytes after the trailer");
    const uint8_t twice[] = {0x08, 0x0e, 0x08, 0x0e};
    decode_rejects(state, twice, sizeof twice, "field repeated");
    const uint8_t longvar[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    decode_rejects(state, longvar, sizeof longvar, "varint over 64 bits");
    const uint8_t strlen_past[] = {0x22, 0x09, 0x61};
    decode_rejects(state, strlen_past, sizeof strlen_past, "string length past the end");
}

static void rowranges(void **state)
{
    (void)state;
    uint64_t s, c;
    assert_true(odps_tunnel_parse_range("(0,10)", &s, &c));
    assert_true(s == 0 && c == 10);
    assert_true(odps_tunnel_parse_range(" ( 5 , 7 ) ", &s, &c));
    assert_true(s == 5 && c == 7);
    const char *bad[] = {"",
                         "(",
                         "()",
                         "(1)",
                         "(1,)",
                         "(,1)",
                         "(-1,2)",
                         "1,2",
                         "(1,2",
                         "(1,2)x",
                         "(9007199254740993,1)",
                         "(1;2)",
                         "(0x1,2)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (odps_tunnel_parse_range(bad[i], &s, &c))
            fail_msg("accepted '%s'", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_vector),
        cmocka_unit_test(encode_matches_pyodps),
        cmocka_unit_test_setup_teardown(decode_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(decode_checks, setup, teardown),
        cmocka_unit_test(rowranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
