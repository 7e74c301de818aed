/* The admin API under /_emu/: health, reset, checkpoints, world export,
 * virtual clock. JSON in, JSON out. No authentication: acsemu binds to
 * 127.0.0.1 by default and the admin API is for the test harness. */
#ifndef EMU_ADMIN_H
#define EMU_ADMIN_H

#include "emu/dispatch.h"

extern const emu_service emu_admin_service;

/* Admin routes added by later modules (decisions, simulate, faults...). A
 * route matches a method and a path prefix under /_emu/. */
typedef struct emu_admin_route {
    const char *method;
    const char *prefix;                              /* "/_emu/decisions" */
    emu_rc (*handler)(emu_call *call, emu_str rest); /* rest: path after prefix */
} emu_admin_route;
void emu_admin_add_route(const emu_admin_route *r);

/* Helpers for admin handlers: answer with a JSON document (takes ownership
 * of j) or an error {"error":{"code","message"}}. */
emu_rc emu_admin_json(emu_call *call, int status, cJSON *j);
emu_rc emu_admin_error(emu_call *call, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Parses the request body as a JSON object (NULL body → empty object). */
cJSON *emu_admin_body(emu_call *call);

/* The console page (admin_console.c): GET /_emu/ and GET /_emu/console/NAME,
 * static files embedded at build time. Its /_emu/ route is a prefix that
 * catches every GET no earlier route took (answering those with the usual
 * 404), so call this after every other emu_admin_add_route. */
void emu_admin_console_register(void);

/* Tablestore rows for the console, read straight from the store
 * (admin_rows.c): GET /_emu/tables (instances and table schemas of every
 * account, with row counts) and GET /_emu/tables/ACCOUNT/INSTANCE/TABLE/rows
 * ?limit=N&start=TOKEN (one page in primary-key order; the answer's "Next"
 * is the TOKEN of the following page). */
void emu_admin_rows_register(void);

#endif
