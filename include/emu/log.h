/* Logging to stderr: text or one JSON object per line. Module code logs only
 * through emu_log, with the error code first where there is one, and never a
 * secret or a token. */
#ifndef EMU_LOG_H
#define EMU_LOG_H

#include <stdbool.h>

typedef enum emu_log_level {
    EMU_LOG_DEBUG,
    EMU_LOG_INFO,
    EMU_LOG_WARN,
    EMU_LOG_ERROR,
    EMU_LOG_OFF
} emu_log_level;

void emu_log_set_level(emu_log_level lvl);
emu_log_level emu_log_get_level(void);
void emu_log_set_json(bool json);
bool emu_log_is_json(void);
/* Parses "debug|info|warn|error|off". */
bool emu_log_parse_level(const char *s, emu_log_level *out);
bool emu_log_enabled(emu_log_level lvl);

void emu_log(emu_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One access-log line per request (DESIGN: time, request id, service, action,
 * principal, HTTP status, decision, microseconds). Fields may be NULL. */
typedef struct emu_access_entry {
    const char *request_id;
    const char *method;
    const char *path;
    const char *service;
    const char *action;
    const char *principal;
    const char *error_code;
    const char *decision;
    const char *decision_id;
    const char *reason;
    int status;
    unsigned long long micros;
} emu_access_entry;
void emu_log_access(const emu_access_entry *e);

#endif
