/* Fault injection: the rule set, matching, a seeded generator, delayed
 * answers, and the /_emu/faults routes. See include/emu/faults.h for the
 * rule shape and the order rules are tried in.
 *
 * Every code a rule may name is listed once below with its service, HTTP
 * status and message, copied from the spec (tablestore-protocol.md §5.2,
 * rpc-api.md §7); rows marked [inferred] have no spec text. A code the
 * service does not have is refused with 400, so a typo never turns into a
 * fault the real service could not produce. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/admin.h"
#include "emu/faults.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/str.h"

enum { SVC_OTS = 1u << 0, SVC_STS = 1u << 1, SVC_RAM = 1u << 2, SVC_ODPS = 1u << 3 };
#define SVC_RPC (SVC_STS | SVC_RAM)
#define SVC_ALL (SVC_OTS | SVC_RPC | SVC_ODPS)

static const struct {
    const char *name;
    unsigned bit;
} services[] = {{"ots", SVC_OTS}, {"sts", SVC_STS}, {"ram", SVC_RAM}, {"odps", SVC_ODPS}};

typedef struct fault_code {
    const char *code;
    unsigned services;
    int status;
    emu_rc rc;
    const char *message;
} fault_code;

static const fault_code codes[] = {
    /* Tablestore, tablestore-protocol.md §5.2 (the retryable families of
     * the SDKs, §5.3). */
    {"OTSServerBusy", SVC_OTS, 503, EMU_E_INTERNAL, "Server is busy."},
    {"OTSQuotaExhausted", SVC_OTS, 403, EMU_E_LIMIT, "Too frequent table operations."},
    {"OTSRowOperationConflict", SVC_OTS, 409, EMU_E_CONFLICT,
     "Data is being modified by the other request."},
    {"OTSTimeout", SVC_OTS, 503, EMU_E_INTERNAL, "Operation timeout."},
    {"OTSPartitionUnavailable", SVC_OTS, 503, EMU_E_INTERNAL, "The partition is not available."},
    {"OTSServerUnavailable", SVC_OTS, 503, EMU_E_INTERNAL, "Server is not available."},
    {"OTSInternalServerError", SVC_OTS, 500, EMU_E_INTERNAL, "Internal server error."},
    {"OTSNotEnoughCapacityUnit", SVC_OTS, 403, EMU_E_LIMIT,
     "Remaining capacity unit is not enough."},
    {"OTSCapacityUnitExhausted", SVC_OTS, 403, EMU_E_LIMIT, "Capacity unit is not enough."},
    {"OTSTableNotReady", SVC_OTS, 404, EMU_E_NOT_FOUND, "The table is not ready."},
    {"OTSFlowControl", SVC_OTS, 429, EMU_E_LIMIT, "The requests have been throttled."},
    /* RPC, rpc-api.md §7. Throttling.User is "400 or 429" there (§12 leaves
     * it open); 400 as in rpc_errors.def, "status" overrides. */
    {"Throttling.User", SVC_RPC, 400, EMU_E_LIMIT, "Request was denied due to user flow control."},
    {"Throttling", SVC_RPC, 400, EMU_E_LIMIT, "Request was denied due to request throttling."},
    {"ServiceUnavailable", SVC_RPC, 503, EMU_E_INTERNAL,
     "The request has failed due to a temporary failure of the server."},
    {"InternalError", SVC_STS, 500, EMU_E_INTERNAL,
     "STS Server Internal Error happened, please send the RequestId to us."},
    {"InternalError", SVC_RAM, 500, EMU_E_INTERNAL, "An internal error occurred."},
    /* MaxCompute, maxcompute-external-table.md §7.1 (code and ODPS-0010000
     * from the pyodps map; the message text is [inferred]). */
    {"InternalServerError", SVC_ODPS, 500, EMU_E_INTERNAL, "ODPS-0010000:System internal error"},
};

#define N_CODES (sizeof codes / sizeof codes[0])
#define DEFAULT_SEED 0x5eedULL
#define MAX_BATCH_ROWS 256 /* above BatchWriteRow's 200 */

struct emu_fault_rule {
    unsigned id;
    unsigned services; /* SVC_* bits */
    char *action;      /* NULL = any */
    char *principal;   /* NULL = any */
    const char *code;  /* static (codes[]); NULL = no error */
    int status;
    char *message;     /* heap; NULL with no error */
    int64_t count;     /* as given; -1 = not limited */
    int64_t remaining; /* -1 = not limited */
    double fraction;   /* of matching calls; 1 = all */
    unsigned delay_ms;
    unsigned index_lag_ms;              /* Tablestore global indexes follow late */
    bool batch;                         /* rows or row_fraction given */
    uint64_t rows[MAX_BATCH_ROWS / 64]; /* chosen row indexes */
    double row_fraction;                /* < 0 = rows[] decides */
    uint64_t matched, fired;
};
typedef struct emu_fault_rule fault_rule;

typedef struct fault_delay {
    uv_timer_t timer;
    emu_exchange *x; /* NULL once answered */
    emu_faults *owner;
    struct fault_delay *prev, *next;
} fault_delay;

struct emu_faults {
    uv_loop_t *loop;
    fault_rule rules[EMU_MAX_FAULT_RULES];
    size_t n_rules;
    unsigned next_id;
    uint64_t seed;
    uint64_t state; /* splitmix64 */
    fault_delay *delays;
    size_t n_delays;
};

/* --- the generator ----------------------------------------------------------
 * splitmix64: its own stream, so fault decisions neither disturb nor depend
 * on the ids and keys drawn from emu_rand (--seed keeps those repeatable). */

static uint64_t next_u64(emu_faults *f)
{
    uint64_t z = (f->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double next_unit(emu_faults *f)
{
    return (double)(next_u64(f) >> 11) * (1.0 / 9007199254740992.0);
}

/* --- rule set ----------------------------------------------------------------- */

static void rule_dispose(fault_rule *r)
{
    free(r->action);
    free(r->principal);
    free(r->message);
    memset(r, 0, sizeof *r);
}

emu_faults *emu_faults_new(uv_loop_t *loop)
{
    emu_faults *f = emu_xcalloc(1, sizeof *f);
    f->loop = loop;
    f->next_id = 1;
    f->seed = f->state = DEFAULT_SEED;
    return f;
}

void emu_faults_clear(emu_faults *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_rules; i++)
        rule_dispose(&f->rules[i]);
    f->n_rules = 0;
    f->seed = f->state = DEFAULT_SEED;
}

void emu_faults_free(emu_faults *f)
{
    if (!f)
        return;
    /* Each delay keeps the loop alive until it fires, so none is left once
     * uv_run returned. */
    if (f->delays)
        emu_log(EMU_LOG_WARN, "faults: %zu delayed answers never sent", f->n_delays);
    emu_faults_clear(f);
    free(f);
}

/* --- matching ------------------------------------------------------------------- */

static unsigned service_bit(const emu_service *svc)
{
    for (size_t i = 0; svc && i < sizeof services / sizeof services[0]; i++)
        if (strcmp(svc->name, services[i].name) == 0)
            return services[i].bit;
    return 0;
}

static bool principal_matches(const char *want, const emu_principal *p)
{
    if (!want)
        return true;
    return (p->arn && emu_strcasecmp(want, p->arn) == 0) ||
           (p->account_id && strcmp(want, p->account_id) == 0) ||
           (p->access_key_id && strcmp(want, p->access_key_id) == 0);
}

static bool rule_matches(const fault_rule *r, unsigned svc, const emu_call *call)
{
    if (!(r->services & svc))
        return false;
    if (r->action && (!call->action_name || strcmp(r->action, call->action_name) != 0))
        return false;
    return principal_matches(r->principal, &call->principal);
}

/* Counts the match and decides whether the rule fires this time: one draw
 * of the generator per match for a fractional rule, so the same sequence of
 * calls after the same seed fires the same way. */
static bool rule_fires(emu_faults *f, fault_rule *r)
{
    r->matched++;
    if (r->remaining == 0)
        return false;
    if (r->fraction < 1.0 && next_unit(f) >= r->fraction)
        return false;
    if (r->remaining > 0)
        r->remaining--;
    r->fired++;
    return true;
}

static emu_rc fault_check(emu_call *call, unsigned *delay_ms)
{
    emu_faults *f = call->server->faults;
    unsigned svc = service_bit(call->svc);
    const fault_rule *decided = NULL;
    unsigned long delay = 0;

    if (!f || !f->n_rules || !svc)
        return EMU_OK;
    for (size_t i = 0; i < f->n_rules; i++) {
        fault_rule *r = &f->rules[i];
        bool decides = r->code != NULL;
        /* Once an error decided, only delay-only rules are still tried, so
         * later error rules keep their counts. */
        if ((decides && decided) || !rule_matches(r, svc, call))
            continue;
        if (!rule_fires(f, r))
            continue;
        delay += r->delay_ms;
        call->index_lag_ms += r->index_lag_ms;
        if (decides)
            decided = r;
    }
    *delay_ms = delay > EMU_MAX_FAULT_DELAY_MS ? EMU_MAX_FAULT_DELAY_MS : (unsigned)delay;
    if (!decided)
        return EMU_OK;
    if (decided->batch) {
        /* Partial failure: the request goes on; ots_batch.c asks per row. */
        call->fault = decided;
        return EMU_OK;
    }
    const fault_code *c = NULL;
    for (size_t i = 0; i < N_CODES && !c; i++)
        if (strcmp(codes[i].code, decided->code) == 0 && (codes[i].services & svc))
            c = &codes[i];
    emu_rc rc = c ? c->rc : EMU_E_INTERNAL;
    emu_err_set(&call->err, rc, decided->code, "%s", decided->message);
    call->err.status = decided->status;
    emu_log(EMU_LOG_DEBUG, "FAULT %s injected by rule f%u into %s %s", decided->code, decided->id,
            call->svc->name, call->action_name ? call->action_name : "-");
    return rc;
}

static bool fault_batch_row(emu_call *call, size_t index, emu_err *err)
{
    emu_faults *f = call->server->faults;
    const fault_rule *r = call->fault;
    bool fail;

    if (!f || !r || !r->batch)
        return false;
    if (r->row_fraction >= 0)
        fail = next_unit(f) < r->row_fraction;
    else
        fail = index < MAX_BATCH_ROWS && (r->rows[index / 64] >> (index % 64) & 1);
    if (fail) {
        emu_err_set(err, EMU_E_CONFLICT, r->code, "%s", r->message);
        err->status = r->status;
    }
    return fail;
}

/* --- delayed answers ------------------------------------------------------------ */

static void delay_closed(uv_handle_t *h)
{
    free(h->data);
}

static void delay_unlink(fault_delay *d)
{
    emu_faults *f = d->owner;
    if (d->prev)
        d->prev->next = d->next;
    else
        f->delays = d->next;
    if (d->next)
        d->next->prev = d->prev;
    f->n_delays--;
}

static void delay_send(fault_delay *d)
{
    emu_exchange *x = d->x;
    d->x = NULL;
    delay_unlink(d);
    uv_close((uv_handle_t *)&d->timer, delay_closed);
    /* The connection may have gone meanwhile: net keeps its memory until
     * this call and then only frees it. */
    emu_net_respond(x);
}

static void on_delay(uv_timer_t *t)
{
    delay_send(t->data);
}

static void fault_delay_answer(emu_server *s, emu_exchange *x, unsigned ms)
{
    emu_faults *f = s->faults;
    if (!f) {
        emu_net_respond(x);
        return;
    }
    fault_delay *d = emu_xcalloc(1, sizeof *d);
    d->x = x;
    d->owner = f;
    d->next = f->delays;
    if (f->delays)
        f->delays->prev = d;
    f->delays = d;
    f->n_delays++;
    uv_timer_init(f->loop, &d->timer);
    d->timer.data = d;
    uv_timer_start(&d->timer, on_delay, ms, 0);
}

void emu_faults_flush(emu_faults *f)
{
    while (f && f->delays) {
        uv_timer_stop(&f->delays->timer);
        delay_send(f->delays);
    }
}

const emu_fault_hooks emu_fault_hooks_default = {
    .check = fault_check,
    .batch_row = fault_batch_row,
    .delay = fault_delay_answer,
};

/* --- parsing a rule ---------------------------------------------------------------
 * Strict: an unknown key, a wrong type or an out-of-range value is a 400
 * naming the rule and the key, so "probabilty" never silently means "always". */

static const char *const rule_keys[] = {"service",  "action",  "principal",    "error",
                                        "status",   "message", "count",        "fraction",
                                        "delay_ms", "rows",    "row_fraction", "index_lag_ms"};

static bool known_key(const char *k)
{
    for (size_t i = 0; i < sizeof rule_keys / sizeof rule_keys[0]; i++)
        if (strcmp(rule_keys[i], k) == 0)
            return true;
    return false;
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF): rule strings are echoed by GET, which must stay valid JSON. */
static bool utf8_valid(const unsigned char *p)
{
    while (*p) {
        unsigned c = *p++;
        int n = c < 0x80             ? 0
                : (c & 0xe0) == 0xc0 ? 1
                : (c & 0xf0) == 0xe0 ? 2
                : (c & 0xf8) == 0xf0 ? 3
                                     : -1;
        if (n < 0 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4))
            return false;
        unsigned cp = c & (0x3fu >> n);
        for (int i = 0; i < n; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (*p & 0x3fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
    }
    return true;
}

/* A string member or "*" (→ NULL). Returns false with err set on a bad type. */
static bool opt_string(const cJSON *o, const char *key, const char *where, char **out, emu_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (!v)
        return true;
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > 1024 ||
        !utf8_valid((const unsigned char *)v->valuestring)) {
        emu_err_set(err, EMU_E_INVALID, NULL,
                    "%s.%s: expected a non-empty UTF-8 string of at most 1024 bytes", where, key);
        return false;
    }
    if (strcmp(v->valuestring, "*") != 0)
        *out = emu_xstrdup(v->valuestring);
    return true;
}

static bool opt_number(const cJSON *o, const char *key, const char *where, double lo, double hi,
                       bool integer, double *out, emu_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return true;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi || (integer && v->valuedouble != floor(v->valuedouble))) {
        emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: expected %s from %g to %g", where, key,
                    integer ? "an integer" : "a number", lo, hi);
        return false;
    }
    *out = v->valuedouble;
    return true;
}

static void list_codes(char *buf, size_t n, unsigned svc)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < N_CODES && used < n; i++) {
        if (!(codes[i].services & svc))
            continue;
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            if ((codes[j].services & svc) && strcmp(codes[j].code, codes[i].code) == 0)
                dup = true;
        if (!dup)
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", codes[i].code);
    }
}

static const char *service_names(unsigned bits, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof services / sizeof services[0] && used < n; i++)
        if (bits & services[i].bit)
            used +=
                (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "", services[i].name);
    return buf;
}

static emu_rc parse_rule(const cJSON *o, const char *where, fault_rule *r, emu_err *err)
{
    char *svc_name = NULL;
    double status = 0, count = -1, fraction = 1, delay = 0, row_fraction = -1, lag = 0;
    const cJSON *it;

    memset(r, 0, sizeof *r);
    r->row_fraction = -1;
    if (!cJSON_IsObject(o))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: a rule must be a JSON object", where);
    cJSON_ArrayForEach(it, o)
    {
        if (!known_key(it->string))
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s: unknown key \"%.64s\"; a rule takes service, action, "
                               "principal, error, status, message, count, fraction, delay_ms, "
                               "rows, row_fraction, index_lag_ms",
                               where, it->string);
    }
    if (!opt_string(o, "service", where, &svc_name, err) ||
        !opt_string(o, "action", where, &r->action, err) ||
        !opt_string(o, "principal", where, &r->principal, err) ||
        !opt_number(o, "status", where, 400, 599, true, &status, err) ||
        !opt_number(o, "count", where, 1, 1e12, true, &count, err) ||
        !opt_number(o, "fraction", where, 0, 1, false, &fraction, err) ||
        !opt_number(o, "delay_ms", where, 0, EMU_MAX_FAULT_DELAY_MS, true, &delay, err) ||
        !opt_number(o, "row_fraction", where, 0, 1, false, &row_fraction, err) ||
        !opt_number(o, "index_lag_ms", where, 0, EMU_MAX_FAULT_INDEX_LAG_MS, true, &lag, err))
        goto fail;

    r->services = SVC_ALL;
    if (svc_name) {
        r->services = 0;
        for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
            if (strcmp(svc_name, services[i].name) == 0)
                r->services = services[i].bit;
        if (!r->services) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "%s.service: unknown service \"%.64s\"; one of ots, sts, ram, odps, *",
                        where, svc_name);
            goto fail;
        }
    }

    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    const fault_code *c = NULL;
    if (e) {
        unsigned known = 0;
        if (!cJSON_IsString(e)) {
            emu_err_set(err, EMU_E_INVALID, NULL, "%s.error: expected an error code string", where);
            goto fail;
        }
        for (size_t i = 0; i < N_CODES; i++)
            if (strcmp(codes[i].code, e->valuestring) == 0 && (codes[i].services & r->services)) {
                known |= codes[i].services & r->services;
                if (!c)
                    c = &codes[i];
            }
        if (!c) {
            char list[512];
            list_codes(list, sizeof list, r->services);
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "%s.error: unknown error code \"%.64s\" for service %s; known: %s", where,
                        e->valuestring, svc_name ? svc_name : "*", list);
            goto fail;
        }
        /* "service" left out: the rule covers the services that know the
         * code (Throttling.User → sts and ram). */
        r->services = known;
        r->code = c->code;
        r->status = status ? (int)status : c->status;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");
        if (m && (!cJSON_IsString(m) || strlen(m->valuestring) > 400 ||
                  !utf8_valid((const unsigned char *)m->valuestring))) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "%s.message: expected a UTF-8 string of at most 400 bytes", where);
            goto fail;
        }
        /* InternalError differs between STS and RAM: a rule over both keeps
         * the first text unless the caller gives one. */
        r->message = emu_xstrdup(m ? m->valuestring : c->message);
    } else if (cJSON_GetObjectItemCaseSensitive(o, "status") ||
               cJSON_GetObjectItemCaseSensitive(o, "message")) {
        emu_err_set(err, EMU_E_INVALID, NULL, "%s: status and message need an error", where);
        goto fail;
    }

    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(o, "rows");
    if (rows || row_fraction >= 0) {
        if (rows && row_fraction >= 0) {
            emu_err_set(err, EMU_E_INVALID, NULL, "%s: give rows or row_fraction, not both", where);
            goto fail;
        }
        if (!c || !(c->services & SVC_OTS)) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "%s: a partial BatchWriteRow failure needs a Tablestore error "
                        "(\"error\": \"OTSRowOperationConflict\", say)",
                        where);
            goto fail;
        }
        if (r->action && strcmp(r->action, "BatchWriteRow") != 0) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "%s: rows and row_fraction apply to BatchWriteRow, not %.64s", where,
                        r->action);
            goto fail;
        }
        if (!r->action)
            r->action = emu_xstrdup("BatchWriteRow");
        r->services = SVC_OTS;
        r->batch = true;
        r->row_fraction = row_fraction;
        if (rows) {
            const cJSON *ix;
            if (!cJSON_IsArray(rows) || !cJSON_GetArraySize(rows)) {
                emu_err_set(err, EMU_E_INVALID, NULL,
                            "%s.rows: expected a non-empty array of row indexes", where);
                goto fail;
            }
            cJSON_ArrayForEach(ix, rows)
            {
                if (!cJSON_IsNumber(ix) || ix->valuedouble < 0 ||
                    ix->valuedouble >= MAX_BATCH_ROWS ||
                    ix->valuedouble != floor(ix->valuedouble)) {
                    emu_err_set(err, EMU_E_INVALID, NULL,
                                "%s.rows: each index must be an integer from 0 to %d", where,
                                MAX_BATCH_ROWS - 1);
                    goto fail;
                }
                size_t k = (size_t)ix->valuedouble;
                r->rows[k / 64] |= 1ULL << (k % 64);
            }
        }
    }
    if (lag && (r->services & ~(unsigned)SVC_OTS)) {
        emu_err_set(err, EMU_E_INVALID, NULL,
                    "%s: index_lag_ms delays Tablestore global indexes: give \"service\": \"ots\"",
                    where);
        goto fail;
    }
    if (!r->code && !delay && !lag) {
        emu_err_set(err, EMU_E_INVALID, NULL,
                    "%s: a rule must do something: give error, delay_ms, index_lag_ms, or rows "
                    "with error",
                    where);
        goto fail;
    }
    r->index_lag_ms = (unsigned)lag;
    r->count = (int64_t)count;
    r->remaining = r->count;
    r->fraction = fraction;
    r->delay_ms = (unsigned)delay;
    free(svc_name);
    return EMU_OK;
fail:
    free(svc_name);
    rule_dispose(r);
    return err->rc ? err->rc : EMU_E_INVALID;
}

/* --- the routes --------------------------------------------------------------------- */

static cJSON *rule_json(const fault_rule *r)
{
    char names[64];
    cJSON *o = cJSON_CreateObject();
    char id[16];
    snprintf(id, sizeof id, "f%u", r->id);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(
        o, "service",
        r->services == SVC_ALL ? "*" : service_names(r->services, names, sizeof names));
    cJSON_AddStringToObject(o, "action", r->action ? r->action : "*");
    cJSON_AddStringToObject(o, "principal", r->principal ? r->principal : "*");
    if (r->code) {
        cJSON_AddStringToObject(o, "error", r->code);
        cJSON_AddNumberToObject(o, "status", r->status);
        cJSON_AddStringToObject(o, "message", r->message);
    }
    if (r->count >= 0) {
        cJSON_AddNumberToObject(o, "count", (double)r->count);
        cJSON_AddNumberToObject(o, "remaining", (double)r->remaining);
    } else {
        cJSON_AddNullToObject(o, "count");
        cJSON_AddNullToObject(o, "remaining");
    }
    cJSON_AddNumberToObject(o, "fraction", r->fraction);
    cJSON_AddNumberToObject(o, "delay_ms", r->delay_ms);
    if (r->index_lag_ms)
        cJSON_AddNumberToObject(o, "index_lag_ms", r->index_lag_ms);
    if (r->batch && r->row_fraction >= 0) {
        cJSON_AddNumberToObject(o, "row_fraction", r->row_fraction);
    } else if (r->batch) {
        cJSON *rows = cJSON_AddArrayToObject(o, "rows");
        for (size_t k = 0; k < MAX_BATCH_ROWS; k++)
            if (r->rows[k / 64] >> (k % 64) & 1)
                cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)k));
    }
    cJSON_AddNumberToObject(o, "matched", (double)r->matched);
    cJSON_AddNumberToObject(o, "fired", (double)r->fired);
    return o;
}

static emu_rc list(emu_call *call, int status)
{
    emu_faults *f = call->server->faults;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", f ? (double)f->seed : (double)DEFAULT_SEED);
    cJSON *rules = cJSON_AddArrayToObject(j, "rules");
    for (size_t i = 0; f && i < f->n_rules; i++)
        cJSON_AddItemToArray(rules, rule_json(&f->rules[i]));
    cJSON_AddNumberToObject(j, "delayed", f ? (double)f->n_delays : 0);
    return emu_admin_json(call, status, j);
}

static emu_rc no_faults(emu_call *call)
{
    return emu_admin_error(call, 404, "NotFound", "fault injection is not enabled in this server");
}

static emu_rc faults_get(emu_call *call, emu_str rest)
{
    if (rest.len)
        return emu_admin_error(call, 404, "NotFound", "no admin endpoint GET /_emu/faults%.*s",
                               (int)(rest.len > 64 ? 64 : rest.len), rest.p);
    return list(call, 200);
}

static emu_rc faults_post(emu_call *call, emu_str rest)
{
    emu_faults *f = call->server->faults;
    fault_rule parsed[EMU_MAX_FAULT_RULES];
    size_t n = 0;
    emu_err err = {0};
    emu_rc rc = EMU_OK;
    cJSON *b;

    if (!f)
        return no_faults(call);
    if (rest.len)
        return emu_admin_error(call, 404, "NotFound", "no admin endpoint POST /_emu/faults%.*s",
                               (int)(rest.len > 64 ? 64 : rest.len), rest.p);
    b = emu_admin_body(call);
    if (!b)
        return call->err.rc;
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(b, "rules");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(b, "seed");
    if (seed &&
        (!cJSON_IsNumber(seed) || seed->valuedouble < 0 || seed->valuedouble > 9007199254740991.0 ||
         seed->valuedouble != floor(seed->valuedouble))) {
        rc = emu_admin_error(call, 400, "InvalidFaultRule",
                             "seed: expected an integer from 0 to 2^53-1");
        goto out;
    }
    if (rules || (seed && cJSON_GetArraySize(b) == 1)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, b)
        {
            if (strcmp(it->string, "rules") != 0 && strcmp(it->string, "seed") != 0) {
                rc = emu_admin_error(call, 400, "InvalidFaultRule",
                                     "unknown key \"%.64s\" next to rules; put rule keys inside "
                                     "the rules array",
                                     it->string);
                goto out;
            }
        }
        if (rules && !cJSON_IsArray(rules)) {
            rc = emu_admin_error(call, 400, "InvalidFaultRule",
                                 "rules: expected an array of rule objects");
            goto out;
        }
        const cJSON *r;
        size_t i = 0;
        cJSON_ArrayForEach(r, rules)
        {
            char where[32];
            snprintf(where, sizeof where, "rules[%zu]", i++);
            if (f->n_rules + n >= EMU_MAX_FAULT_RULES) {
                rc = emu_admin_error(call, 400, "InvalidFaultRule",
                                     "at most %d fault rules at once", EMU_MAX_FAULT_RULES);
                goto out;
            }
            if (parse_rule(r, where, &parsed[n], &err)) {
                rc = emu_admin_error(call, 400, "InvalidFaultRule", "%s", err.msg);
                goto out;
            }
            n++;
        }
    } else {
        if (f->n_rules >= EMU_MAX_FAULT_RULES) {
            rc = emu_admin_error(call, 400, "InvalidFaultRule", "at most %d fault rules at once",
                                 EMU_MAX_FAULT_RULES);
            goto out;
        }
        if (parse_rule(b, "rule", &parsed[0], &err)) {
            rc = emu_admin_error(call, 400, "InvalidFaultRule", "%s", err.msg);
            goto out;
        }
        n = 1;
    }
    /* All or nothing: only a body whose every rule parsed changes the set. */
    if (seed)
        f->seed = f->state = (uint64_t)seed->valuedouble;
    for (size_t i = 0; i < n; i++) {
        parsed[i].id = f->next_id++;
        f->rules[f->n_rules++] = parsed[i];
        emu_log(EMU_LOG_INFO, "fault rule f%u added: %s on %s %s", parsed[i].id,
                parsed[i].code ? parsed[i].code : "delay", parsed[i].action ? "" : "any action",
                parsed[i].action ? parsed[i].action : "");
    }
    n = 0;
    rc = list(call, 200);
out:
    for (size_t i = 0; i < n; i++)
        rule_dispose(&parsed[i]);
    cJSON_Delete(b);
    return rc;
}

static emu_rc faults_delete(emu_call *call, emu_str rest)
{
    emu_faults *f = call->server->faults;
    if (!f)
        return no_faults(call);
    if (!rest.len) {
        emu_faults_clear(f);
        return list(call, 200);
    }
    /* "/f3": one rule. */
    for (size_t i = 0; i < f->n_rules; i++) {
        char want[20];
        snprintf(want, sizeof want, "/f%u", f->rules[i].id);
        if (emu_str_eq_c(rest, want)) {
            rule_dispose(&f->rules[i]);
            memmove(&f->rules[i], &f->rules[i + 1], (f->n_rules - i - 1) * sizeof f->rules[0]);
            f->n_rules--;
            return list(call, 200);
        }
    }
    return emu_admin_error(call, 404, "NotFound", "no fault rule %.*s",
                           (int)(rest.len > 64 ? 63 : rest.len - 1), rest.p + 1);
}

void emu_faults_register_routes(void)
{
    static const emu_admin_route routes[] = {
        {"GET", "/_emu/faults", faults_get},
        {"POST", "/_emu/faults", faults_post},
        {"DELETE", "/_emu/faults", faults_delete},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        emu_admin_add_route(&routes[i]);
}
