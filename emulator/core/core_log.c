/* stderr logger. Text lines look like
 *   2026-11-28T03:19:28.123Z INFO  message
 * JSON lines are one object each, for log shippers.
 *
 * One event is one line in both formats: request data (an Action of
 * "Foo%0A<fake line>", a path, a principal name) reaches the log, so every
 * field is escaped. JSON uses its own string escapes; text writes \n, \r,
 * \t, \\ and \xNN for the other control bytes (and DEL), so a reader can
 * undo it and a forged line can never start. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/log.h"

static emu_log_level level = EMU_LOG_INFO;
static bool as_json;

static const char *const names[] = {"debug", "info", "warn", "error", "off"};

void emu_log_set_level(emu_log_level lvl)
{
    level = lvl;
}

emu_log_level emu_log_get_level(void)
{
    return level;
}

void emu_log_set_json(bool json)
{
    as_json = json;
}

bool emu_log_is_json(void)
{
    return as_json;
}

bool emu_log_enabled(emu_log_level lvl)
{
    return lvl >= level && lvl != EMU_LOG_OFF;
}

bool emu_log_parse_level(const char *s, emu_log_level *out)
{
    for (int i = 0; i <= EMU_LOG_OFF; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (emu_log_level)i;
            return true;
        }
    }
    return false;
}

/* One log line, built in memory and written with one fwrite: stderr is
 * unbuffered, and a line written piece by piece costs a system call per
 * piece and can interleave with another writer's. Past the capacity the
 * line is cut (and says so), never split. */
typedef struct logline {
    char b[16384];
    size_t n;
    bool cut;
} logline;

static void put(logline *l, const char *s, size_t n)
{
    if (l->cut || n > sizeof l->b - 8 - l->n) {
        l->cut = true;
        return;
    }
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void puts_(logline *l, const char *s)
{
    put(l, s, strlen(s));
}

static void putf(logline *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(logline *l, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Ends the line (newline included) and writes it. */
static void flush_line(logline *l)
{
    if (l->cut) {
        memcpy(l->b + l->n, "...", 3);
        l->n += 3;
    }
    l->b[l->n++] = '\n';
    fwrite(l->b, 1, l->n, stderr);
}

static const char hex[] = "0123456789abcdef";

/* Writes s as a JSON string body (without quotes). Control bytes are
 * escaped; bytes >= 0x80 pass through (the text is ours or already UTF-8). */
static void json_escape(logline *l, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[7] = {'\\', (char)c};
        if (c == '"' || c == '\\') {
            put(l, e, 2);
        } else if (c == '\n') {
            put(l, "\\n", 2);
        } else if (c < 0x20) {
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            put(l, e, 6);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
}

/* Writes s for a text line: control bytes and DEL as \n, \r, \t or \xNN,
 * a backslash doubled (so "\n" in a line always means an escaped byte).
 * With `word`, a space is \x20 too: the access line separates its fields
 * with spaces, and an Action of "Foo principal=x" must stay one field.
 * Bytes >= 0x80 pass through, as in json_escape. */
static void text_escape(logline *l, const char *s, bool word)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\') {
            put(l, "\\\\", 2);
        } else if (c == '\n') {
            put(l, "\\n", 2);
        } else if (c == '\r') {
            put(l, "\\r", 2);
        } else if (c == '\t') {
            put(l, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f || (word && c == ' ')) {
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            put(l, e, 4);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
}

void emu_log(emu_log_level lvl, const char *fmt, ...)
{
    char ts[25];
    char msg[2048];
    logline l;
    va_list ap;

    if (!emu_log_enabled(lvl))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emu_time_iso_ms(emu_clock_real_ms(), ts);
    l.n = 0;
    l.cut = false;
    if (as_json) {
        putf(&l, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, names[lvl]);
        json_escape(&l, msg);
        puts_(&l, "\"}");
    } else {
        putf(&l, "%s %-5s ", ts, names[lvl]);
        text_escape(&l, msg, false);
    }
    flush_line(&l);
}

static void field(logline *l, bool *first, const char *k, const char *v)
{
    if (!v)
        return;
    putf(l, "%s\"%s\":\"", *first ? "" : ",", k);
    json_escape(l, v);
    put(l, "\"", 1);
    *first = false;
}

/* " key=value" of a text access line; a NULL value is "-". Only the last
 * field (reason) is free text with spaces. */
static void text_field(logline *l, const char *key, const char *v)
{
    putf(l, " %s", key);
    if (v)
        text_escape(l, v, strcmp(key, "reason=") != 0);
    else
        put(l, "-", 1);
}

void emu_log_access(const emu_access_entry *e)
{
    char ts[25];
    logline l;
    if (!emu_log_enabled(EMU_LOG_INFO))
        return;
    emu_time_iso_ms(emu_clock_real_ms(), ts);
    l.n = 0;
    l.cut = false;
    if (as_json) {
        bool first = true;
        put(&l, "{", 1);
        field(&l, &first, "time", ts);
        field(&l, &first, "level", "info");
        field(&l, &first, "request_id", e->request_id);
        field(&l, &first, "method", e->method);
        field(&l, &first, "path", e->path);
        field(&l, &first, "service", e->service);
        field(&l, &first, "action", e->action);
        field(&l, &first, "principal", e->principal);
        putf(&l, ",\"status\":%d", e->status);
        field(&l, &first, "code", e->error_code);
        field(&l, &first, "decision", e->decision);
        field(&l, &first, "decision_id", e->decision_id);
        field(&l, &first, "reason", e->reason);
        putf(&l, ",\"us\":%llu}", e->micros);
        flush_line(&l);
        return;
    }
    /* Error code first, so logs can be counted by code (STYLE.md §7).
     * Every field that can carry request data goes through text_escape. */
    putf(&l, "%s %s", ts, e->error_code ? "ERR " : "OK");
    text_escape(&l, e->error_code, true);
    text_field(&l, "", e->request_id);
    text_field(&l, "", e->service);
    text_field(&l, "", e->action);
    text_field(&l, "", e->method);
    text_field(&l, "principal=", e->principal);
    putf(&l, " status=%d", e->status);
    text_field(&l, "decision=", e->decision);
    if (e->decision_id)
        text_field(&l, "decision_id=", e->decision_id);
    putf(&l, " us=%llu", e->micros);
    if (e->reason)
        text_field(&l, "reason=", e->reason);
    flush_line(&l);
}
