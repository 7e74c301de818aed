#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "emu/arena.h"
#include "emu/buf.h"
#include "emu/clock.h"
#include "emu/crypto.h"
#include "emu/err.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/str.h"

static void arena_survives_large_and_many(void **state)
{
    (void)state;
    emu_arena *a = emu_arena_new(64);
    char *big = emu_arena_alloc(a, 100000);
    memset(big, 'x', 100000);
    for (int i = 0; i < 1000; i++) {
        char *s = emu_arena_sprintf(a, "item-%d", i);
        assert_string_equal(s, emu_arena_sprintf(a, "item-%d", i));
    }
    emu_arena_reset(a);
    assert_int_equal(emu_arena_used(a), 64);
    emu_arena_free(a);
}

static void buf_respects_cap(void **state)
{
    (void)state;
    emu_buf b;
    emu_buf_init(&b, 8);
    assert_true(emu_buf_puts(&b, "12345678"));
    assert_false(emu_buf_putc(&b, '9'));
    assert_int_equal(b.len, 8);
    emu_buf_consume(&b, 3);
    assert_string_equal(b.p, "45678");
    emu_buf_dispose(&b);

    emu_buf_init(&b, 1024);
    assert_true(emu_buf_xml_escape(&b, "a<b>&\"c'd", 10));
    assert_string_equal(b.p, "a&lt;b&gt;&amp;&quot;c&apos;d");
    emu_buf_dispose(&b);
}

static void base64_round_trip_and_rejects(void **state)
{
    (void)state;
    char out[64];
    uint8_t dec[64];
    size_t n;
    emu_base64_encode((const uint8_t *)"ab", 2, out);
    assert_string_equal(out, "YWI=");
    assert_true(emu_base64_decode("YWI=", 4, dec, sizeof dec, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(dec, "ab", 2);
    assert_false(emu_base64_decode("YW=I", 4, dec, sizeof dec, &n));
    assert_false(emu_base64_decode("YWI", 3, dec, sizeof dec, &n));
    assert_false(emu_base64_decode("YWJj", 4, dec, 2, &n));
}

static void md5_of_empty_body_matches_ots(void **state)
{
    (void)state;
    uint8_t d[16];
    char b64[32];
    emu_md5("", 0, d);
    emu_base64_encode(d, 16, b64);
    /* tablestore-protocol.md §2: empty body → 1B2M2Y8AsgTpgAmY7PhCfg== */
    assert_string_equal(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
}

static void hmac_sha1_vector(void **state)
{
    (void)state;
    uint8_t mac[20];
    char b64[32];
    /* rpc-api.md §3.3 V1-1 */
    const char *sts =
        "GET&%2F&AccessKeyId%3DLTAI5tEmulatorB56789%26Action%3DGetCallerIdentity%26"
        "Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D00000000-0000-"
        "4000-8000-000000000001%26SignatureVersion%3D1.0%26Timestamp%3D2025-01-01T00%"
        "253A00%253A00Z%26Version%3D2015-04-01";
    emu_hmac_sha1("emulator-secret-b&", 18, sts, strlen(sts), mac);
    emu_base64_encode(mac, 20, b64);
    assert_string_equal(b64, "uzhTkI68iNKLZIdc67HKo+H1cqE=");
}

static void hmac_long_key_and_cache(void **state)
{
    (void)state;
    uint8_t key[80], mac[20], mac2[32];
    char hex[65];
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    memset(key, 0xaa, sizeof key);
    /* RFC 2202 test case 6 (key longer than a block is hashed first). */
    emu_hmac_sha1(key, sizeof key, msg, strlen(msg), mac);
    emu_hex_lower(mac, 20, hex);
    assert_string_equal(hex, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
    /* RFC 4231 test case 2, twice: the second call comes from the key cache. */
    for (int i = 0; i < 2; i++) {
        emu_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac2);
        emu_hex_lower(mac2, 32, hex);
        assert_string_equal(hex,
                            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
    /* More distinct keys than cache slots still give right answers. */
    for (int i = 0; i < 40; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", i);
        emu_hmac_sha1(k, strlen(k), "m", 1, mac);
    }
    emu_hmac_sha1(key, sizeof key, msg, strlen(msg), mac);
    emu_hex_lower(mac, 20, hex);
    assert_string_equal(hex, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

static void ct_equal(void **state)
{
    (void)state;
    assert_true(emu_ct_equal("abc", 3, "abc", 3));
    assert_false(emu_ct_equal("abc", 3, "abd", 3));
    assert_false(emu_ct_equal("abc", 3, "ab", 2));
}

static void iso_dates(void **state)
{
    (void)state;
    int64_t ms;
    char out[32];
    assert_true(emu_time_parse_iso("2025-01-01T00:00:00Z", 20, false, &ms));
    assert_int_equal(ms, 1735689600000LL);
    /* Go SDK's odd fraction (tablestore-protocol.md §2). */
    assert_true(emu_time_parse_iso("2025-12-25T15:04:05.12253Z", 26, false, &ms));
    assert_int_equal(ms % 1000, 122);
    assert_false(emu_time_parse_iso("2025-13-01T00:00:00Z", 20, false, &ms));
    assert_false(emu_time_parse_iso("2025-02-30T00:00:00Z", 20, false, &ms));
    assert_false(emu_time_parse_iso("2025-01-01 00:00:00Z", 20, false, &ms));
    assert_false(emu_time_parse_iso("2025-01-01T00:00:00", 19, false, &ms));
    assert_true(emu_time_parse_iso("2025-01-01T08:00:00+08:00", 25, true, &ms));
    assert_int_equal(ms, 1735689600000LL);
    emu_time_iso_ms(1735689600123LL, out);
    assert_string_equal(out, "2025-01-01T00:00:00.123Z");
    emu_time_http(1735689600000LL, out);
    assert_string_equal(out, "Wed, 01 Jan 2025 00:00:00 GMT");
    assert_true(emu_time_parse_http("Wed, 01 Jan 2025 00:00:00 GMT", 29, &ms));
    assert_int_equal(ms, 1735689600000LL);
    /* The calendar arithmetic (no gmtime_r) at its edges: leap days, the
     * century rules, before the epoch, microseconds. */
    emu_time_iso(1709164800000LL, out);
    assert_string_equal(out, "2024-02-29T00:00:00Z");
    emu_time_iso(4107542399000LL, out);
    assert_string_equal(out, "2100-02-28T23:59:59Z");
    emu_time_iso(4107542400000LL, out);
    assert_string_equal(out, "2100-03-01T00:00:00Z");
    emu_time_iso(951782400000LL, out);
    assert_string_equal(out, "2000-02-29T00:00:00Z");
    emu_time_iso_ms(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    emu_time_http(-86400000LL, out);
    assert_string_equal(out, "Wed, 31 Dec 1969 00:00:00 GMT");
    emu_time_http(1795824000000LL, out);
    assert_string_equal(out, "Sat, 28 Nov 2026 00:00:00 GMT");
    emu_time_iso_us(1735689600123456LL, out);
    assert_string_equal(out, "2025-01-01T00:00:00.123456Z");
    emu_time_iso_us(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
}

/* The formatter keeps the text of the last second it formatted: against
 * gmtime_r across second boundaries, runs within one second, dates before
 * the epoch, and two instants an hour apart in turn (an answer's date and
 * a session's expiry). */
static void iso_dates_match_gmtime(void **state)
{
    (void)state;
    char got[21], want[21];
    struct tm tm;
    int64_t ms = -86400000LL * 400;
    for (int i = 0; i < 200000; i++) {
        ms += i % 3 ? 1 : 997 + (int64_t)(i % 7) * 86400000LL;
        for (int twice = 0; twice < 1 + (i % 5 == 0); twice++) {
            int64_t t = twice ? ms + 3600000 : ms;
            emu_time_iso(t, got);
            time_t sec = (time_t)(t >= 0 ? t / 1000 : (t - 999) / 1000);
            gmtime_r(&sec, &tm);
            strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
            if (strcmp(got, want) != 0)
                fail_msg("%lld: %s, want %s", (long long)t, got, want);
        }
    }
    /* Any int64 (a cell timestamp) formats without overflow; years past
     * 9999 are clamped. */
    emu_time_iso(INT64_MIN, got);
    emu_time_iso(INT64_MAX, got);
    assert_int_equal(strlen(got), 20);
}

static void virtual_clock_moves(void **state)
{
    (void)state;
    int64_t before = emu_clock_now_ms();
    emu_clock_advance_ms(3600 * 1000);
    assert_true(emu_clock_now_ms() - before >= 3600 * 1000);
    emu_clock_reset();
    assert_true(emu_clock_now_ms() - emu_clock_real_ms() < 1000);
}

/* A held clock reads one instant (nested holds included) while the virtual
 * offset still applies; released, it runs on. */
static void held_clock_is_one_instant(void **state)
{
    (void)state;
    emu_clock_hold();
    int64_t t = emu_clock_real_us();
    emu_clock_hold();
    struct timespec pause = {0, 3 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(emu_clock_real_us(), t);
    assert_int_equal(emu_clock_real_ms(), t / 1000);
    emu_clock_advance_ms(5000);
    assert_int_equal(emu_clock_now_ms(), t / 1000 + 5000);
    emu_clock_reset();
    emu_clock_release();
    assert_int_equal(emu_clock_real_us(), t);
    emu_clock_release();
    emu_clock_release(); /* unbalanced: harmless */
    assert_true(emu_clock_real_us() - t >= 3000);
}

static void seeded_rand_is_repeatable(void **state)
{
    (void)state;
    char a[37], b[37];
    emu_rand_seed(42);
    emu_rand_uuid(a);
    emu_rand_seed(42);
    emu_rand_uuid(b);
    assert_string_equal(a, b);
    assert_int_equal(a[14], '4');
}

static void json_rejects_depth_and_trailing(void **state)
{
    (void)state;
    emu_err err = {0};
    char deep[EMU_MAX_JSON_DEPTH * 2 + 4];
    size_t n = 0;
    for (int i = 0; i < EMU_MAX_JSON_DEPTH + 1; i++)
        deep[n++] = '[';
    assert_null(emu_json_parse(deep, n, &err));
    assert_non_null(strstr(err.msg, "nested"));
    assert_null(emu_json_parse("{} x", 4, &err));
    assert_non_null(strstr(err.msg, "line 1 column 4"));
    cJSON *j = emu_json_parse("{\"a\":1}\n", 8, &err);
    assert_non_null(j);
    cJSON_Delete(j);
}

/* The string writer skips clean words eight bytes at a time: every byte
 * value, at every offset of a string longer than two words, must come back
 * unchanged through a parse. */
static void json_write_escapes_every_byte(void **state)
{
    (void)state;
    emu_err err = {0};
    for (int v = 1; v < 256; v++)
        for (size_t at = 0; at < 21; at++) {
            char text[22];
            memset(text, 'k', 21);
            text[21] = '\0';
            text[at] = (char)v;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "s", text);
            emu_buf b;
            emu_buf_init(&b, 1024);
            assert_true(emu_json_write(&b, o));
            cJSON *back = emu_json_parse(b.p, b.len, &err);
            assert_non_null(back);
            assert_string_equal(cJSON_GetObjectItem(back, "s")->valuestring, text);
            cJSON_Delete(back);
            cJSON_Delete(o);
            emu_buf_dispose(&b);
        }
}

static void str_helpers(void **state)
{
    (void)state;
    assert_true(emu_str_ieq_c(EMU_STR_LIT("RoleName"), "rolename"));
    /* A NUL inside the slice where the C string ends must not read on past
     * the C string (a fuzzer found it: header names are raw bytes). */
    static const char with_nul[] = {'x', '\0', 'y', 'z'};
    assert_false(emu_str_ieq_c((emu_str){with_nul, sizeof with_nul}, "x"));
    assert_false(emu_str_ieq_c(EMU_STR_LIT("ab"), "abc"));
    assert_false(emu_str_ieq_c(EMU_STR_LIT("abc"), "ab"));
    assert_true(emu_str_istarts(EMU_STR_LIT("X-Ots-Date"), "x-ots-"));
    emu_str t = emu_str_trim(EMU_STR_LIT("  a b \t"));
    assert_true(emu_str_eq_c(t, "a b"));
    assert_int_equal(emu_strcasecmp("ABC", "abc"), 0);
}

/* emu_str_ieq and emu_ascii_lower8 work on eight bytes at a time: every
 * pair of byte values, in the word part and in the tail, must agree with
 * the byte-wise ASCII definition (0xC1 and 0xE1 are not a case pair). */
/* Decimal digits two at a time, against printf, at every length and at
 * the ends of the ranges; emu_buf_put_i64 on top of it, signs included. */
static void decimal_digits_match_printf(void **state)
{
    (void)state;
    char got[21], want[32];
    uint64_t v = 0;
    for (int i = 0; i < 2000; i++) {
        v = i < 200 ? (uint64_t)i : v * 3 + (uint64_t)i;
        for (uint64_t x = v ? v - 1 : 0; x <= v + 1; x++) {
            size_t n = emu_u64_dec(x, got);
            got[n] = '\0';
            snprintf(want, sizeof want, "%llu", (unsigned long long)x);
            assert_string_equal(got, want);
        }
    }
    got[emu_u64_dec(UINT64_MAX, got)] = '\0';
    assert_string_equal(got, "18446744073709551615");
    emu_buf b;
    emu_buf_init(&b, 1024);
    const long long vals[] = {0, -1, 9, -10, 99, 100, -123456789, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        emu_buf_reset(&b);
        assert_true(emu_buf_put_i64(&b, vals[i]));
        snprintf(want, sizeof want, "%lld", vals[i]);
        assert_string_equal(b.p, want);
    }
    emu_buf_dispose(&b);
}

static void str_ieq_matches_bytewise(void **state)
{
    (void)state;
    for (int x = 0; x < 256; x++)
        for (int y = 0; y < 256; y++) {
            unsigned char lx = (unsigned char)(x >= 'A' && x <= 'Z' ? x + 32 : x);
            unsigned char ly = (unsigned char)(y >= 'A' && y <= 'Z' ? y + 32 : y);
            bool want = lx == ly;
            char a[11] = "X-Ots-Date", b[11] = "x-ots-date";
            a[3] = (char)x; /* in the first word */
            b[3] = (char)y;
            assert_int_equal(emu_str_ieq((emu_str){a, 10}, (emu_str){b, 10}), want);
            a[3] = b[3] = 'o';
            a[9] = (char)x; /* in the byte-wise tail */
            b[9] = (char)y;
            assert_int_equal(emu_str_ieq((emu_str){a, 10}, (emu_str){b, 10}), want);
        }
    for (int x = 0; x < 256; x++) {
        uint64_t w = (uint64_t)x << 40 | 0x4142005A5B406061ULL; /* x in byte 5 */
        uint64_t l = emu_ascii_lower8(w);
        for (int k = 0; k < 8; k++) {
            unsigned char c = (unsigned char)(w >> (8 * k));
            unsigned char want = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            assert_int_equal((unsigned char)(l >> (8 * k)), want);
        }
    }
}

int main(void)
{
    emu_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_survives_large_and_many),
        cmocka_unit_test(buf_respects_cap),
        cmocka_unit_test(base64_round_trip_and_rejects),
        cmocka_unit_test(md5_of_empty_body_matches_ots),
        cmocka_unit_test(hmac_sha1_vector),
        cmocka_unit_test(hmac_long_key_and_cache),
        cmocka_unit_test(ct_equal),
        cmocka_unit_test(iso_dates),
        cmocka_unit_test(iso_dates_match_gmtime),
        cmocka_unit_test(decimal_digits_match_printf),
        cmocka_unit_test(virtual_clock_moves),
        cmocka_unit_test(held_clock_is_one_instant),
        cmocka_unit_test(seeded_rand_is_repeatable),
        cmocka_unit_test(json_rejects_depth_and_trailing),
        cmocka_unit_test(json_write_escapes_every_byte),
        cmocka_unit_test(str_helpers),
        cmocka_unit_test(str_ieq_matches_bytewise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
