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

/* Writes s as a JSON string body (without quotes). Control bytes are
 * escaped; bytes >= 0x80 pass through (the text is ours or already UTF-8). */
static void json_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

/* Writes s for a text line: control bytes and DEL as \n, \r, \t or \xNN,
 * a backslash doubled (so "\n" in a line always means an escaped byte).
 * With `word`, a space is \x20 too: the access line separates its fields
 * with spaces, and an Action of "Foo principal=x" must stay one field.
 * Bytes >= 0x80 pass through, as in json_escape. */
static void text_escape_as(FILE *f, const char *s, bool word)
{
    static const char hex[] = "0123456789abcdef";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\')
            fputs("\\\\", f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f || (word && c == ' '))
            fprintf(f, "\\x%c%c", hex[c >> 4], hex[c & 15]);
        else
            fputc(c, f);
    }
}

static void text_escape(FILE *f, const char *s)
{
    text_escape_as(f, s, false);
}

void emu_log(emu_log_level lvl, const char *fmt, ...)
{
    char ts[25];
    char msg[2048];
    va_list ap;

    if (!emu_log_enabled(lvl))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emu_time_iso_ms(emu_clock_real_ms(), ts);
    if (as_json) {
        fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, names[lvl]);
        json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s %-5s ", ts, names[lvl]);
        text_escape(stderr, msg);
        fputc('\n', stderr);
    }
}

static void field(FILE *f, bool *first, const char *k, const char *v)
{
    if (!v)
        return;
    fprintf(f, "%s\"%s\":\"", *first ? "" : ",", k);
    json_escape(f, v);
    fputc('"', f);
    *first = false;
}

/* " key=value" of a text access line; a NULL value is "-". Only the last
 * field (reason) is free text with spaces. */
static void text_field(FILE *f, const char *key, const char *v)
{
    fprintf(f, " %s", key);
    if (v)
        text_escape_as(f, v, strcmp(key, "reason=") != 0);
    else
        fputc('-', f);
}

void emu_log_access(const emu_access_entry *e)
{
    char ts[25];
    if (!emu_log_enabled(EMU_LOG_INFO))
        return;
    emu_time_iso_ms(emu_clock_real_ms(), ts);
    if (as_json) {
        bool first = true;
        fputc('{', stderr);
        field(stderr, &first, "time", ts);
        field(stderr, &first, "level", "info");
        field(stderr, &first, "request_id", e->request_id);
        field(stderr, &first, "method", e->method);
        field(stderr, &first, "path", e->path);
        field(stderr, &first, "service", e->service);
        field(stderr, &first, "action", e->action);
        field(stderr, &first, "principal", e->principal);
        fprintf(stderr, ",\"status\":%d", e->status);
        field(stderr, &first, "code", e->error_code);
        field(stderr, &first, "decision", e->decision);
        field(stderr, &first, "decision_id", e->decision_id);
        field(stderr, &first, "reason", e->reason);
        fprintf(stderr, ",\"us\":%llu}\n", e->micros);
        return;
    }
    /* Error code first, so logs can be counted by code (STYLE.md §7).
     * Every field that can carry request data goes through text_escape. */
    fprintf(stderr, "%s %s", ts, e->error_code ? "ERR " : "OK");
    text_escape_as(stderr, e->error_code, true);
    text_field(stderr, "", e->request_id);
    text_field(stderr, "", e->service);
    text_field(stderr, "", e->action);
    text_field(stderr, "", e->method);
    text_field(stderr, "principal=", e->principal);
    fprintf(stderr, " status=%d", e->status);
    text_field(stderr, "decision=", e->decision);
    if (e->decision_id)
        text_field(stderr, "decision_id=", e->decision_id);
    fprintf(stderr, " us=%llu", e->micros);
    if (e->reason)
        text_field(stderr, "reason=", e->reason);
    fputc('\n', stderr);
}
