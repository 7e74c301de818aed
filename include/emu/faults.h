/* Fault injection (admin_faults.c): rules that make the next N calls, or a
 * fraction of calls, of a service/action/principal fail with one of that
 * service's own retryable errors, fail chosen rows of a Tablestore
 * BatchWriteRow, or answer late. Tests use it to exercise SDK retry and
 * timeout paths against an emulator that is otherwise never busy.
 *
 * The admin API (all JSON):
 *
 *   POST   /_emu/faults      adds rules: one rule object, or
 *                            {"seed": 42, "rules": [rule, ...]}
 *   GET    /_emu/faults      {"seed": N, "rules": [rule + id, remaining,
 *                            matched, fired]}
 *   DELETE /_emu/faults      removes every rule (POST /_emu/reset does too)
 *   DELETE /_emu/faults/ID   removes one rule
 *
 * A rule (every key optional except that it must do something):
 *
 *   {"service": "ots",            ots | sts | ram | odps | "*" (default:
 *                                 the services that know `error`, else *)
 *    "action": "PutRow",          exact API name or "*" (default)
 *    "principal": "*",            principal ARN, account id or AccessKeyId
 *                                 (exact; ARNs case-insensitive), or "*"
 *    "error": "OTSServerBusy",    a code of that service (table below)
 *    "status": 429,               override of the code's HTTP status
 *    "message": "...",            override of the code's message
 *    "count": 3,                  fire for the next 3 matching calls only
 *    "fraction": 0.25,            fire for each matching call with this
 *                                 probability (seeded, deterministic)
 *    "delay_ms": 200,             answer this much later (0..60000)
 *    "rows": [0, 2],              BatchWriteRow: these rows (0-based over the
 *    "row_fraction": 0.5,         request, table after table) or this share
 *                                 of rows fail with `error`, the others are
 *                                 written and the request answers 200
 *    "index_lag_ms": 2000}        Tablestore (service "ots"): the call's
 *                                 changes reach the tables' global indexes
 *                                 this much virtual time later (eventual
 *                                 consistency; ots_index_lag.c)
 *
 * Rules are tried in the order they were added. The first one that fires
 * with an error (or a batch failure) decides; the delays of every rule that
 * fires add up. Faults apply after authentication (where the cloud
 * throttles, rpc-api.md §5) and before authorization; the admin API is never
 * faulted. A delayed call runs when it arrives and only its answer waits, on
 * a uv_timer: the loop never sleeps, and no borrowed world pointer outlives
 * its request. */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "emu/dispatch.h"

#define EMU_MAX_FAULT_RULES 64
#define EMU_MAX_FAULT_DELAY_MS 60000
#define EMU_MAX_FAULT_INDEX_LAG_MS 86400000 /* a day of virtual time */

typedef struct emu_faults emu_faults;

/* What dispatch and the Tablestore batch handler call (emu_server's
 * fault_hooks); NULL hooks = no fault injection (fuzz harnesses). */
struct emu_fault_hooks {
    /* After authentication: returns EMU_OK to go on, with *delay_ms set when
     * the answer must wait, or an rc with call->err filled with the
     * service's own error (code, status, message). A firing batch rule is
     * remembered in call->fault for batch_row. */
    emu_rc (*check)(emu_call *call, unsigned *delay_ms);
    /* BatchWriteRow: whether row `index` (0-based over the request) fails;
     * if so fills err with the rule's Tablestore error. */
    bool (*batch_row)(emu_call *call, size_t index, emu_err *err);
    /* Sends x with emu_net_respond after ms milliseconds, from a timer. */
    void (*delay)(emu_server *s, emu_exchange *x, unsigned ms);
};

extern const emu_fault_hooks emu_fault_hooks_default;

/* The rule set of one server; timers run on `loop`. Caller owns it. */
emu_faults *emu_faults_new(uv_loop_t *loop);
/* Frees the rules. Call after the loop stopped (no delayed answer is left
 * then: each one keeps the loop alive until it is sent). NULL is fine. */
void emu_faults_free(emu_faults *f);
/* Removes every rule and restores the default seed (POST /_emu/reset,
 * DELETE /_emu/faults). NULL is fine. */
void emu_faults_clear(emu_faults *f);
/* Sends every delayed answer now (shutdown must not wait for them). */
void emu_faults_flush(emu_faults *f);

/* Adds the /_emu/faults routes (before emu_admin_console_register). */
void emu_faults_register_routes(void);

#endif
