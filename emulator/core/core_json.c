#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/json.h"
#include "emu/limits.h"

static void *hook_malloc(size_t n)
{
    return emu_xmalloc(n);
}

void emu_json_init(void)
{
    cJSON_Hooks hooks = {hook_malloc, free};
    cJSON_InitHooks(&hooks);
}

/* Line and column (1-based) of byte offset `off`. */
static void locate(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* cJSON recurses per nesting level; check depth first so hostile input can
 * never get near the stack limit. Strings are skipped so brackets inside them
 * do not count. */
static bool depth_ok(const char *t, size_t len, size_t *bad_off)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > EMU_MAX_JSON_DEPTH) {
                *bad_off = i;
                return false;
            }
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

cJSON *emu_json_parse(const char *text, size_t len, emu_err *err)
{
    size_t bad = 0;
    int line, col;
    const char *end = NULL;

    if (!depth_ok(text, len, &bad)) {
        locate(text, bad, &line, &col);
        emu_err_set(err, EMU_E_INVALID, NULL,
                    "JSON nested deeper than %d levels at line %d column %d", EMU_MAX_JSON_DEPTH,
                    line, col);
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        emu_err_set(err, EMU_E_INVALID, NULL, "JSON text contains a NUL byte");
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!j) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = (at && at >= text && at <= text + len) ? (size_t)(at - text) : 0;
        locate(text, off, &line, &col);
        emu_err_set(err, EMU_E_INVALID, NULL, "malformed JSON at line %d column %d", line, col);
        return NULL;
    }
    /* Only white space may follow the value. */
    for (const char *p = end; p && p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            locate(text, (size_t)(p - text), &line, &col);
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "unexpected text after the JSON value at line %d column %d", line, col);
            cJSON_Delete(j);
            return NULL;
        }
    }
    return j;
}

char *emu_json_print(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s)
        abort(); /* only on out of memory, and our hooks already abort */
    return s;
}

char *emu_json_print_to_arena(emu_arena *a, const cJSON *j)
{
    char *s = emu_json_print(j);
    char *copy = emu_arena_strdup(a, s);
    free(s);
    return copy;
}
