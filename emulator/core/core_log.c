/* stderr logger. Text lines look like
 *   2026-11-28T03:19:28.123Z INFO  message
 * JSON lines are one object each, for log shippers. */
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
        fprintf(stderr, "%s %-5s %s\n", ts, names[lvl], msg);
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
    /* Error code first, so logs can be counted by code (STYLE.md §7). */
    fprintf(stderr, "%s %s%s%s %s %s %s %s principal=%s status=%d decision=%s%s%s us=%llu%s%s\n",
            ts, e->error_code ? "ERR " : "", e->error_code ? e->error_code : "",
            e->error_code ? "" : "OK", e->request_id ? e->request_id : "-",
            e->service ? e->service : "-", e->action ? e->action : "-", e->method ? e->method : "-",
            e->principal ? e->principal : "-", e->status, e->decision ? e->decision : "-",
            e->decision_id ? " decision_id=" : "", e->decision_id ? e->decision_id : "", e->micros,
            e->reason ? " reason=" : "", e->reason ? e->reason : "");
}
