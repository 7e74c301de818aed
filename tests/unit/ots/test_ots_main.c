/* Runs every Tablestore unit-test group (one cmocka executable per module,
 * STYLE.md §9) and shared fixture helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/json.h"
#include "ots_test_util.h"

const char *ots_test_fixture_path(const char *name)
{
    static char path[4096];
    const char *root = getenv("EMU_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fixtures/ots/%s", root ? root : ".", name);
    return path;
}

char *ots_test_fixture(const char *name, size_t *len)
{
    const char *path = ots_test_fixture_path(name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open fixture %s (is EMU_SOURCE_DIR set?)\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    buf[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

uint8_t *ots_test_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex), k = 0;
    uint8_t *out = malloc(n / 2 + 1);
    int hi = -1;
    for (size_t i = 0; i < n; i++) {
        char c = hex[i];
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[k++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    *len = k;
    return out;
}

static cJSON *vectors;

const cJSON *ots_test_vectors(void)
{
    if (!vectors) {
        size_t n;
        char *text = ots_test_fixture("ots-test-vectors.json", &n);
        emu_err err = {0};
        vectors = emu_json_parse(text, n, &err);
        free(text);
        if (!vectors) {
            fprintf(stderr, "vectors: %s\n", err.msg);
            abort();
        }
    }
    return vectors;
}

const char *ots_test_vec(const char *group, const char *name)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(ots_test_vectors(), group);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(g, name);
    if (!cJSON_IsString(v)) {
        fprintf(stderr, "no vector %s.%s\n", group, name);
        abort();
    }
    return v->valuestring;
}

int main(void)
{
    int failed = 0;
    emu_json_init();
    failed += ots_test_plainbuffer();
    failed += ots_test_pb();
    failed += ots_test_store();
    failed += ots_test_store_index();
    failed += ots_test_section();
    cJSON_Delete(vectors);
    return failed ? 1 : 0;
}
