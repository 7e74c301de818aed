#include <stdint.h>
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

/* Whether any of eight bytes is a control byte, '"' or '\\' (the classic
 * has-less / has-zero word tests: exact about whether, not about where). */
static bool word_needs_escape(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs;
}

static bool write_string(emu_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;
    bool ok = emu_buf_putc(b, '"');
    /* Answers carry long plain strings (a SecurityToken is ~600 bytes):
     * skip eight clean bytes at a time, then look closer. */
    const char *end = s + strlen(s);
    for (; *s; s++) {
        while (end - s >= 8) {
            uint64_t x;
            memcpy(&x, s, 8);
            if (word_needs_escape(x))
                break;
            s += 8;
        }
        if (!*s)
            break;
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        ok &= emu_buf_append(b, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"':
            ok &= emu_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            ok &= emu_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            ok &= emu_buf_append(b, "\\n", 2);
            break;
        case '\r':
            ok &= emu_buf_append(b, "\\r", 2);
            break;
        case '\t':
            ok &= emu_buf_append(b, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ok &= emu_buf_append(b, u, 6);
        }
        }
    }
    ok &= emu_buf_append(b, run, (size_t)(s - run));
    return ok && emu_buf_putc(b, '"');
}

void emu_json_add_str_ref(cJSON *obj, const char *key, const char *value)
{
    cJSON_AddItemToObjectCS(obj, key, cJSON_CreateStringReference(value));
}

static bool write_number(emu_buf *b, double d)
{
    char tmp[32];
    int n;
    if (d != d || d - d != 0) /* NaN and infinities are not JSON: cJSON writes null */
        return emu_buf_puts(b, "null");
    if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(long long)d) {
        /* Integral: write the digits directly, no printf. */
        return emu_buf_put_i64(b, (long long)d);
    }
    /* Same rule as cJSON: 15 significant digits when they round-trip. */
    n = snprintf(tmp, sizeof tmp, "%1.15g", d);
    if (strtod(tmp, NULL) != d)
        n = snprintf(tmp, sizeof tmp, "%1.17g", d);
    return emu_buf_append(b, tmp, (size_t)n);
}

bool emu_json_write_members(emu_buf *b, const cJSON *obj)
{
    bool ok = true;
    for (const cJSON *c = obj->child; c; c = c->next) {
        ok &= write_string(b, c->string ? c->string : "");
        ok &= emu_buf_putc(b, ':');
        ok &= emu_json_write(b, c);
        if (c->next)
            ok &= emu_buf_putc(b, ',');
    }
    return ok;
}

bool emu_json_write(emu_buf *b, const cJSON *j)
{
    bool ok = true;
    if (!j)
        return emu_buf_puts(b, "null");
    switch (j->type & 0xff) {
    case cJSON_False:
        return emu_buf_puts(b, "false");
    case cJSON_True:
        return emu_buf_puts(b, "true");
    case cJSON_NULL:
        return emu_buf_puts(b, "null");
    case cJSON_Number:
        return write_number(b, j->valuedouble);
    case cJSON_String:
        return write_string(b, j->valuestring ? j->valuestring : "");
    case cJSON_Raw:
        return emu_buf_puts(b, j->valuestring ? j->valuestring : "null");
    case cJSON_Array:
        ok &= emu_buf_putc(b, '[');
        for (const cJSON *c = j->child; c; c = c->next) {
            ok &= emu_json_write(b, c);
            if (c->next)
                ok &= emu_buf_putc(b, ',');
        }
        return ok && emu_buf_putc(b, ']');
    case cJSON_Object:
        ok &= emu_buf_putc(b, '{');
        ok &= emu_json_write_members(b, j);
        return ok && emu_buf_putc(b, '}');
    default:
        return emu_buf_puts(b, "null");
    }
}

char *emu_json_print(const cJSON *j)
{
    emu_buf b;
    emu_buf_init(&b, (size_t)-1 / 2);
    emu_json_write(&b, j);
    return emu_buf_take(&b, NULL);
}

const char *emu_json_type_name(const cJSON *j)
{
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    return "an invalid value";
}

char *emu_json_print_to_arena(emu_arena *a, const cJSON *j)
{
    char *s = emu_json_print(j);
    char *copy = emu_arena_strdup(a, s);
    free(s);
    return copy;
}
