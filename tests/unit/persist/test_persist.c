/* Persistence: CRC-32C, record framing, and start-up's reading of a data
 * dir (a torn tail is cut off, damage in the middle is a located error). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/json.h"
#include "emu/log.h"
#include "emu/ots_store.h"
#include "emu/world.h"
#include "persist_int.h"

static const char world_text[] =
    "{\"Accounts\":[{\"AccountId\":\"12345\",\"Tablestore\":{\"Instances\":[{\"InstanceName\":"
    "\"cap1\",\"Tables\":[{\"TableName\":\"t\",\"PrimaryKey\":[{\"Name\":\"id\",\"Type\":"
    "\"INTEGER\"}],\"Rows\":[{\"id\":1,\"v\":{\"Type\":\"STRING\",\"Value\":\"one\"}}]}]}]}}]}";

static world_t *load_world(const char *text)
{
    emu_err err = {0};
    world_t *w = NULL;
    cJSON *doc = emu_json_parse(text, strlen(text), &err);
    assert_non_null(doc);
    assert_int_equal(world_load_json(doc, "t.json", "/tmp", &w, &err), EMU_OK);
    cJSON_Delete(doc);
    return w;
}

static void crc32c_known_vector(void **state)
{
    (void)state;
    assert_int_equal(persist__crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(persist__crc32c(0, "", 0), 0);
    /* Chaining and every tail length of the 8-byte loop give the same. */
    const char *text = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(text);
    uint32_t whole = persist__crc32c(0, text, n);
    assert_int_equal(whole, 0x22620404u);
    for (size_t cut = 0; cut <= n; cut++)
        assert_int_equal(persist__crc32c(persist__crc32c(0, text, cut), text + cut, n - cut),
                         whole);
}

static void frames_read_back(void **state)
{
    (void)state;
    emu_buf b;
    persist_rec r;
    const char *why = NULL;
    emu_buf_init(&b, 1 << 20);
    persist__frame(&b, PERSIST_SWAP, NULL, 0);
    persist__frame(&b, PERSIST_END, "12345678", 8);
    assert_int_equal(b.len, 2 * PERSIST_HEADER_BYTES + 8);
    assert_true(persist__read((const uint8_t *)b.p, b.len, 0, &r, &why));
    assert_int_equal(r.type, PERSIST_SWAP);
    assert_int_equal(r.len, 0);
    assert_true(persist__read((const uint8_t *)b.p, b.len, r.end, &r, &why));
    assert_int_equal(r.type, PERSIST_END);
    assert_memory_equal(r.p, "12345678", 8);
    assert_int_equal(r.end, b.len);
    emu_buf_dispose(&b);
}

static void torn_and_damaged_records(void **state)
{
    (void)state;
    emu_buf b;
    persist_rec r;
    const char *why = NULL;
    emu_buf_init(&b, 1 << 20);
    persist__frame(&b, PERSIST_END, "abcdefgh", 8);
    size_t first = b.len;
    persist__frame(&b, PERSIST_END, "ijklmnop", 8);
    const uint8_t *p = (const uint8_t *)b.p;

    /* Cut inside the header or the payload of the last record. */
    assert_false(persist__read(p, first + 5, first, &r, &why));
    assert_string_equal(why, "record header cut short");
    assert_false(persist__read(p, b.len - 1, first, &r, &why));
    assert_string_equal(why, "record cut short");
    assert_false(persist__valid_after(p, b.len - 1, first + 1));

    /* A flipped payload byte of the first: checksum, and a good record after. */
    b.p[PERSIST_HEADER_BYTES + 2] ^= 0x01;
    assert_false(persist__read(p, b.len, 0, &r, &why));
    assert_string_equal(why, "checksum mismatch");
    assert_true(persist__valid_after(p, b.len, 1));
    b.p[PERSIST_HEADER_BYTES + 2] ^= 0x01;

    /* A length past any sane record. */
    uint32_t huge = 0xFFFFFFF0u;
    memcpy(b.p, &huge, 4);
    assert_false(persist__read(p, b.len, 0, &r, &why));
    assert_string_equal(why, "record length over the limit");
    emu_buf_dispose(&b);
}

static void add_image(void *ud, const ots_table_t *t, const uint8_t *image, size_t len)
{
    (void)t;
    persist__rows_add(ud, image, len);
}

/* A data dir with snapshot 1 of world_text and a log of a META (the world
 * with a user added) and a ROWS record (rows 1 and 2). */
static void make_dir(const char *dir, size_t *log_len)
{
    emu_err err = {0};
    char path[512];
    emu_buf b;
    world_t *w = load_world(world_text);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(persist__snapshot_write(dir, 1, 0, w, 0, "t.json", &err), EMU_OK);
    world_free(w);

    /* The same world with a user. */
    char *text = emu_xstrdup(world_text);
    char *at_id = strstr(text, "\"12345\",") + 8;
    size_t n = strlen(text) + 64;
    char *next = emu_xmalloc(n);
    snprintf(next, n, "%.*s\"Users\":[{\"UserName\":\"later\"}],%s", (int)(at_id - text), text,
             at_id);
    w = load_world(next);
    free(text);
    free(next);

    emu_buf_init(&b, 1 << 20);
    persist__put_head(&b, "acsemu-wal", 1, NULL);
    persist__put_meta(&b, w, 5000);
    world_account *a = world_account_at(w, 0);
    ots_table_t *t = ots_store_table_find(ots_section_instance(a->sections[0], "cap1"), "t");
    emu_arena *arena = emu_arena_new(4096);
    ots_cell pk = {
        .name = emu_str_c("id"), .has_value = true, .value = {.type = OTS_VT_INTEGER, .i = 2}};
    ots_row_t row = {.pk = &pk, .n_pk = 1};
    assert_int_equal(ots_store_put(t, &row, arena, NULL, &err), EMU_OK);
    size_t at = persist__rows_open(&b, t);
    ots_table_each_image(t, add_image, &b);
    persist__rows_close(&b, at, 2);
    emu_arena_free(arena);

    snprintf(path, sizeof path, "%s/wal-000001.log", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b.p, 1, b.len, f), b.len);
    fclose(f);
    *log_len = b.len;
    emu_buf_dispose(&b);
    world_free(w);
}

static void rm_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void loads_snapshot_and_log(void **state)
{
    (void)state;
    char dir[] = "/tmp/acsemu-persist-unit-XXXXXX";
    persist_loaded l;
    emu_err err = {0};
    size_t len;
    assert_non_null(mkdtemp(dir));
    rm_dir(dir);
    make_dir(dir, &len);
    assert_int_equal(persist__load_dir(dir, false, &l, &err), EMU_OK);
    assert_int_equal(l.next_lsn, 3);
    assert_int_equal(l.clock_offset_ms, 5000);
    assert_string_equal(l.world_path, "t.json");
    world_account *a = world_account_at(l.world, 0);
    assert_non_null(world_user_find(a, "later"));
    ots_table_t *t = ots_store_table_find(ots_section_instance(a->sections[0], "cap1"), "t");
    assert_int_equal(ots_table_row_count(t), 2);
    world_free(l.world);
    free(l.world_path);
    rm_dir(dir);
}

static void torn_tail_is_cut(void **state)
{
    (void)state;
    char dir[] = "/tmp/acsemu-persist-unit-XXXXXX", path[600];
    persist_loaded l;
    emu_err err = {0};
    size_t len;
    struct stat st;
    assert_non_null(mkdtemp(dir));
    rm_dir(dir);
    make_dir(dir, &len);
    snprintf(path, sizeof path, "%s/wal-000001.log", dir);
    FILE *f = fopen(path, "ab");
    fwrite("\x30\x00\x00\x00torn", 1, 8, f);
    fclose(f);
    assert_int_equal(persist__load_dir(dir, false, &l, &err), EMU_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((size_t)st.st_size, len);
    assert_int_equal(l.next_lsn, 3);
    world_free(l.world);
    free(l.world_path);
    rm_dir(dir);
}

static void damage_in_the_middle_is_located(void **state)
{
    (void)state;
    char dir[] = "/tmp/acsemu-persist-unit-XXXXXX", path[600], want[700];
    persist_loaded l;
    emu_err err = {0};
    size_t len;
    assert_non_null(mkdtemp(dir));
    rm_dir(dir);
    make_dir(dir, &len);
    snprintf(path, sizeof path, "%s/wal-000001.log", dir);
    FILE *f = fopen(path, "r+b");
    uint8_t h[PERSIST_HEADER_BYTES];
    uint32_t head_len;
    assert_int_equal(fread(h, 1, sizeof h, f), sizeof h);
    memcpy(&head_len, h, 4);
    long meta = (long)(PERSIST_HEADER_BYTES + head_len);
    fseek(f, meta + PERSIST_HEADER_BYTES + 3, SEEK_SET); /* inside the META payload */
    fputc('#', f);
    fclose(f);
    assert_int_equal(persist__load_dir(dir, false, &l, &err), EMU_E_INVALID);
    snprintf(want, sizeof want, "%s: record 2 at byte %ld: checksum mismatch (", path, meta);
    assert_memory_equal(err.msg, want, strlen(want));
    rm_dir(dir);
}

/* Flips a bit in the payload of the last record of wal-000001.log and
 * returns the offset of that record. */
static size_t damage_last(const char *dir, size_t len, char *path, size_t cap)
{
    uint8_t *p = emu_xmalloc(len);
    size_t off = 0, last = 0;
    snprintf(path, cap, "%s/wal-000001.log", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fread(p, 1, len, f), len);
    while (off < len) {
        uint32_t n;
        memcpy(&n, p + off, 4);
        last = off;
        off += PERSIST_HEADER_BYTES + n;
    }
    assert_int_equal(off, len);
    fseek(f, (long)(last + PERSIST_HEADER_BYTES + 1), SEEK_SET);
    fputc(p[last + PERSIST_HEADER_BYTES + 1] ^ 0x04, f);
    fclose(f);
    free(p);
    return last;
}

/* A complete last record with a bad checksum was written whole, so it may
 * have been acknowledged: damage, not a torn write. Nothing is cut. */
static void damaged_last_record_stops(void **state)
{
    (void)state;
    char dir[] = "/tmp/acsemu-persist-unit-XXXXXX", path[600], want[700];
    persist_loaded l;
    emu_err err = {0};
    size_t len;
    struct stat st;
    assert_non_null(mkdtemp(dir));
    rm_dir(dir);
    make_dir(dir, &len);
    size_t last = damage_last(dir, len, path, sizeof path);
    assert_int_equal(persist__load_dir(dir, false, &l, &err), EMU_E_INVALID);
    snprintf(want, sizeof want, "%s: record 3 at byte %zu: checksum mismatch (", path, last);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_non_null(strstr(err.msg, "--data-dir-repair"));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((size_t)st.st_size, len);
    rm_dir(dir);
}

/* --data-dir-repair: the damaged tail goes to damaged-<time>.log, byte for
 * byte, and the load goes on without it. */
static void repair_sets_damage_aside(void **state)
{
    (void)state;
    char dir[] = "/tmp/acsemu-persist-unit-XXXXXX", path[600], aside[900];
    persist_loaded l;
    emu_err err = {0};
    size_t len;
    struct stat st;
    assert_non_null(mkdtemp(dir));
    rm_dir(dir);
    make_dir(dir, &len);
    size_t last = damage_last(dir, len, path, sizeof path);
    FILE *f = fopen(path, "rb");
    uint8_t *tail = emu_xmalloc(len - last);
    fseek(f, (long)last, SEEK_SET);
    assert_int_equal(fread(tail, 1, len - last, f), len - last);
    fclose(f);

    assert_int_equal(persist__load_dir(dir, true, &l, &err), EMU_OK);
    assert_int_equal(l.next_lsn, 2); /* the META only */
    world_account *a = world_account_at(l.world, 0);
    assert_non_null(world_user_find(a, "later"));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((size_t)st.st_size, last);

    DIR *d = opendir(dir);
    struct dirent *e;
    aside[0] = '\0';
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "damaged-", 8))
            snprintf(aside, sizeof aside, "%s/%s", dir, e->d_name);
    closedir(d);
    assert_true(aside[0]);
    f = fopen(aside, "rb");
    assert_non_null(f);
    uint8_t *kept = emu_xmalloc(len - last + 1);
    assert_int_equal(fread(kept, 1, len - last + 1, f), len - last);
    fclose(f);
    assert_memory_equal(kept, tail, len - last);
    free(kept);
    free(tail);
    world_free(l.world);
    free(l.world_path);
    rm_dir(dir);
}

int main(void)
{
    emu_log_set_level(EMU_LOG_OFF);
    emu_json_init();
    world_register_section(&ots_world_section);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_known_vector),
        cmocka_unit_test(frames_read_back),
        cmocka_unit_test(torn_and_damaged_records),
        cmocka_unit_test(loads_snapshot_and_log),
        cmocka_unit_test(torn_tail_is_cut),
        cmocka_unit_test(damage_in_the_middle_is_located),
        cmocka_unit_test(damaged_last_record_stops),
        cmocka_unit_test(repair_sets_damage_aside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
