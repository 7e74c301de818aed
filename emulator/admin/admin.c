/* /_emu/ admin API. Handlers build their JSON answer directly (render_ok
 * just sends what the handler set); errors are {"error":{code,message}}. */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/admin.h"
#include "emu/clock.h"
#include "emu/faults.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/log.h"

#define MAX_ROUTES 32

static emu_admin_route extra_routes[MAX_ROUTES];
static size_t n_extra_routes;

void emu_admin_add_route(const emu_admin_route *r)
{
    if (n_extra_routes < MAX_ROUTES)
        extra_routes[n_extra_routes++] = *r;
}

emu_rc emu_admin_json(emu_call *call, int status, cJSON *j)
{
    call->resp->status = status;
    emu_http_resp_header(call->resp, call->arena, "Content-Type", "application/json");
    emu_buf_reset(&call->resp->body);
    emu_json_write(&call->resp->body, j);
    emu_buf_putc(&call->resp->body, '\n');
    cJSON_Delete(j);
    return EMU_OK;
}

emu_rc emu_admin_error(emu_call *call, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->err.msg, sizeof call->err.msg, fmt, ap);
    va_end(ap);
    call->err.code = code;
    call->err.status = status;
    call->err.rc = status == 404 ? EMU_E_NOT_FOUND : EMU_E_INVALID;
    return call->err.rc;
}

cJSON *emu_admin_body(emu_call *call)
{
    emu_err err = {0};
    if (call->req->body_len == 0)
        return cJSON_CreateObject();
    if (call->req->body_len > EMU_MAX_ADMIN_BODY_BYTES) {
        emu_admin_error(call, 413, "BodyTooLarge", "admin request bodies are limited to %d bytes",
                        EMU_MAX_ADMIN_BODY_BYTES);
        return NULL;
    }
    cJSON *j = emu_json_parse((const char *)call->req->body, call->req->body_len, &err);
    if (!j) {
        emu_admin_error(call, 400, "MalformedJSON", "request body: %s", err.msg);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        emu_admin_error(call, 400, "MalformedJSON", "request body must be a JSON object");
        return NULL;
    }
    return j;
}

/* --- decode: (method, path) → action ----------------------------------- */

typedef struct admin_req {
    emu_str rest; /* path after the matched prefix */
    const emu_admin_route *route;
} admin_req;

static bool name_ok(emu_str s)
{
    if (s.len == 0 || s.len > 64)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static emu_rc admin_decode(emu_call *call)
{
    const emu_http_req *req = call->req;
    admin_req *ar = emu_arena_zalloc(call->arena, sizeof *ar);
    emu_str path = req->path;
    emu_str m = req->method;
    bool get = emu_str_eq_c(m, "GET") || emu_str_eq_c(m, "HEAD");
    bool post = emu_str_eq_c(m, "POST");

    call->svc_data = ar;
    /* Before anything else, unknown paths included: a page that may not
     * call the admin API learns nothing from it. */
    emu_rc rc = emu_admin_guard_check(call->server->admin_guard, call);
    if (rc)
        return rc;
    if (emu_str_eq_c(path, "/_emu/health") && get)
        call->action_name = "health";
    else if (emu_str_eq_c(path, "/_emu/reset") && post)
        call->action_name = "reset";
    else if (emu_str_eq_c(path, "/_emu/world") && get)
        call->action_name = "world";
    else if (emu_str_eq_c(path, "/_emu/clock") && (get || post))
        call->action_name = get ? "clock_get" : "clock_set";
    else if (emu_str_eq_c(path, "/_emu/checkpoints") && get)
        call->action_name = "checkpoint_list";
    else if (emu_str_starts(path, "/_emu/checkpoints/")) {
        emu_str rest = {path.p + 18, path.len - 18};
        const char *slash = memchr(rest.p, '/', rest.len);
        if (slash &&
            emu_str_eq_c((emu_str){slash, rest.len - (size_t)(slash - rest.p)}, "/restore") &&
            post) {
            ar->rest = (emu_str){rest.p, (size_t)(slash - rest.p)};
            call->action_name = "checkpoint_restore";
        } else if (!slash && post) {
            ar->rest = rest;
            call->action_name = "checkpoint_save";
        } else if (!slash && emu_str_eq_c(m, "DELETE")) {
            ar->rest = rest;
            call->action_name = "checkpoint_delete";
        }
    }
    for (size_t i = 0; !call->action_name && i < n_extra_routes; i++) {
        const emu_admin_route *r = &extra_routes[i];
        if (emu_str_eq_c(m, r->method) && emu_str_starts(path, r->prefix)) {
            size_t n = strlen(r->prefix);
            if (path.len == n || path.p[n] == '/' || r->prefix[n - 1] == '/') {
                ar->route = r;
                ar->rest = (emu_str){path.p + n, path.len - n};
                call->action_name = "route";
            }
        }
    }
    return EMU_OK;
}

static emu_rc admin_unknown(emu_call *call)
{
    return emu_admin_error(
        call, 404, "NotFound",
        "no admin endpoint %.*s %.*s; see GET /_emu/health, POST /_emu/reset, "
        "POST /_emu/checkpoints/NAME[/restore], GET /_emu/world, GET|POST /_emu/clock",
        (int)call->req->method.len, call->req->method.p,
        (int)(call->req->path.len > 200 ? 200 : call->req->path.len), call->req->path.p);
}

/* --- handlers ------------------------------------------------------------ */

/* Health is what harnesses poll: it is written straight into the response
 * buffer, without building a JSON tree (no allocation). */
static void put_num(emu_buf *b, const char *key, double v)
{
    emu_buf_append(b, ",\"", 2);
    emu_buf_puts(b, key);
    emu_buf_append(b, "\":", 2);
    emu_buf_put_i64(b, (long long)v); /* every figure here is a count */
}

static void put_str(emu_buf *b, const char *key, const char *v)
{
    emu_buf_append(b, ",\"", 2);
    emu_buf_puts(b, key);
    emu_buf_append(b, "\":\"", 3);
    emu_buf_puts(b, v);
    emu_buf_putc(b, '"');
}

static emu_rc admin_health(emu_call *call)
{
    emu_server *s = call->server;
    emu_buf *b = &call->resp->body;
    world_stat st[WORLD_MAX_STATS];
    emu_net_stats ns = {0};
    size_t n = world_stats(s->world, st, WORLD_MAX_STATS);
    const char *authz = s->authz == EMU_AUTHZ_ENFORCE ? "enforce"
                        : s->authz == EMU_AUTHZ_AUDIT ? "audit"
                                                      : "off";

    call->resp->status = 200;
    emu_http_resp_header(call->resp, call->arena, "Content-Type", "application/json");
    emu_buf_reset(b);
    /* The version is ours and the region matches [A-Za-z0-9-] (the loader
     * checks it): nothing to escape. */
    emu_buf_puts(b, "{\"status\":\"ready\"");
    put_str(b, "version", s->version);
    put_num(b, "uptime_ms", (double)(emu_clock_mono_ms() - s->start_mono_ms));
    put_str(b, "region", world_region(s->world));
    put_str(b, "authz", authz);
    for (size_t i = 0; i < n; i++)
        put_num(b, st[i].name, st[i].value);
    put_num(b, "requests", (double)s->requests);
    if (s->net) {
        emu_net_get_stats(s->net, &ns);
        put_num(b, "connections", (double)ns.connections_open);
    }
    if (s->tls_ca_file) {
        cJSON *ca = cJSON_CreateString(s->tls_ca_file);
        emu_buf_puts(b, ",\"ca_file\":");
        emu_json_write(b, ca);
        cJSON_Delete(ca);
    }
    emu_buf_puts(b, "}\n");
    return EMU_OK;
}

static emu_rc admin_reset(emu_call *call)
{
    emu_server *s = call->server;
    emu_err err = {0};
    if (emu_server_load_pristine(s, &err))
        return emu_admin_error(call, 500, "WorldFileError", "reset: %s", err.msg);
    emu_server_set_world(s, world_clone(s->pristine));
    emu_clock_reset();
    emu_faults_clear(s->faults);
    emu_log(EMU_LOG_INFO, "world reset to %s", s->world_path);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", "reset");
    cJSON_AddStringToObject(j, "world", s->world_path);
    return emu_admin_json(call, 200, j);
}

static emu_rc admin_world(emu_call *call)
{
    return emu_admin_json(call, 200, world_export(call->server->world));
}

static cJSON *clock_json(void)
{
    char iso[25], real[25];
    cJSON *j = cJSON_CreateObject();
    emu_time_iso_ms(emu_clock_now_ms(), iso);
    emu_time_iso_ms(emu_clock_real_ms(), real);
    cJSON_AddStringToObject(j, "now", iso);
    cJSON_AddNumberToObject(j, "now_ms", (double)emu_clock_now_ms());
    cJSON_AddNumberToObject(j, "offset_ms", (double)emu_clock_offset_ms());
    cJSON_AddStringToObject(j, "real", real);
    return j;
}

static emu_rc admin_clock_get(emu_call *call)
{
    return emu_admin_json(call, 200, clock_json());
}

/* Dates outside years 1970..9999 cannot be written as ISO-8601 that the
 * world loader (and the SDKs) read back, so the clock never goes there. */
static emu_rc clock_in_range(emu_call *call, int64_t ms)
{
    if (ms >= EMU_TIME_MIN_MS && ms <= EMU_TIME_MAX_MS)
        return EMU_OK;
    return emu_admin_error(call, 400, "InvalidClockRequest",
                           "the virtual clock must stay between 1970-01-01T00:00:00Z and "
                           "9999-12-31T23:59:59Z; this move would take it %s",
                           ms < 0 ? "before 1970" : "past the year 9999");
}

static emu_rc admin_clock_set(emu_call *call)
{
    cJSON *b = emu_admin_body(call);
    if (!b)
        return call->err.rc;
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(b, "advance_seconds");
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(b, "set");
    const cJSON *reset = cJSON_GetObjectItemCaseSensitive(b, "reset");
    int given = (adv != NULL) + (set != NULL) + (reset != NULL);
    emu_rc rc = EMU_OK;
    if (given != 1 || cJSON_GetArraySize(b) != 1) {
        rc = emu_admin_error(call, 400, "InvalidClockRequest",
                             "send exactly one of {\"advance_seconds\":N}, "
                             "{\"set\":\"2026-01-01T00:00:00Z\"} or {\"reset\":true}");
    } else if (adv) {
        if (!cJSON_IsNumber(adv) || adv->valuedouble < -1e10 || adv->valuedouble > 1e10)
            rc = emu_admin_error(call, 400, "InvalidClockRequest",
                                 "advance_seconds must be a number of seconds (may be negative)");
        else if (!(rc = clock_in_range(call,
                                       emu_clock_now_ms() + (int64_t)(adv->valuedouble * 1000))))
            emu_clock_advance_ms((int64_t)(adv->valuedouble * 1000));
    } else if (set) {
        int64_t ms;
        if (!cJSON_IsString(set) ||
            !emu_time_parse_iso(set->valuestring, strlen(set->valuestring), true, &ms))
            rc = emu_admin_error(call, 400, "InvalidClockRequest",
                                 "set must be an ISO-8601 time like 2026-01-01T00:00:00Z");
        else if (!(rc = clock_in_range(call, ms)))
            emu_clock_set_ms(ms);
    } else if (!cJSON_IsTrue(reset)) {
        rc = emu_admin_error(call, 400, "InvalidClockRequest", "reset must be true");
    } else {
        emu_clock_reset();
    }
    cJSON_Delete(b);
    if (rc)
        return rc;
    return emu_admin_json(call, 200, clock_json());
}

/* Checkpoints are copy-on-write (ots_store_clone): taking one costs
 * O(accounts + RAM entities + tables), never O(rows), and a checkpoint's
 * memory is what changed after it. Their number is capped (--max-checkpoints)
 * so that growth stays bounded. */
static size_t checkpoint_cap(const emu_server *s)
{
    return s->max_checkpoints ? s->max_checkpoints : EMU_MAX_CHECKPOINTS;
}

static emu_checkpoint *checkpoint_find(emu_server *s, emu_str name)
{
    for (size_t i = 0; i < s->n_checkpoints; i++)
        if (emu_str_eq_c(name, s->checkpoints[i].name))
            return &s->checkpoints[i];
    return NULL;
}

static cJSON *checkpoint_json(const emu_checkpoint *c)
{
    char iso[25];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", c->name);
    emu_time_iso_ms(c->created_ms, iso);
    cJSON_AddStringToObject(j, "created", iso);
    return j;
}

static emu_rc admin_checkpoint_save(emu_call *call)
{
    emu_server *s = call->server;
    const admin_req *ar = call->svc_data;
    if (!name_ok(ar->rest))
        return emu_admin_error(call, 400, "InvalidCheckpointName",
                               "checkpoint names are 1-64 letters, digits, '-', '_' or '.'");
    emu_checkpoint *c = checkpoint_find(s, ar->rest);
    if (!c) {
        size_t cap = checkpoint_cap(s);
        if (s->n_checkpoints >= cap)
            return emu_admin_error(call, 409, "TooManyCheckpoints",
                                   "all %zu checkpoints are in use (the cap, --max-checkpoints); "
                                   "DELETE /_emu/checkpoints/NAME to drop one, or save over an "
                                   "existing name",
                                   cap);
        if (!s->checkpoints)
            s->checkpoints = emu_xcalloc(cap, sizeof *s->checkpoints);
        c = &s->checkpoints[s->n_checkpoints++];
        memset(c, 0, sizeof *c);
        memcpy(c->name, ar->rest.p, ar->rest.len);
    }
    world_free(c->world);
    c->world = world_clone(s->world);
    c->clock_offset_ms = emu_clock_offset_ms();
    c->created_ms = emu_clock_real_ms();
    return emu_admin_json(call, 200, checkpoint_json(c));
}

static emu_rc admin_checkpoint_restore(emu_call *call)
{
    emu_server *s = call->server;
    const admin_req *ar = call->svc_data;
    emu_checkpoint *c = checkpoint_find(s, ar->rest);
    if (!c)
        return emu_admin_error(call, 404, "NoSuchCheckpoint", "no checkpoint named \"%.*s\"",
                               (int)(ar->rest.len > 64 ? 64 : ar->rest.len), ar->rest.p);
    emu_server_set_world(s, world_clone(c->world));
    emu_clock_set_offset_ms(c->clock_offset_ms);
    cJSON *j = checkpoint_json(c);
    cJSON_AddStringToObject(j, "status", "restored");
    return emu_admin_json(call, 200, j);
}

static emu_rc admin_checkpoint_delete(emu_call *call)
{
    emu_server *s = call->server;
    const admin_req *ar = call->svc_data;
    emu_checkpoint *c = checkpoint_find(s, ar->rest);
    if (!c)
        return emu_admin_error(call, 404, "NoSuchCheckpoint", "no checkpoint named \"%.*s\"",
                               (int)(ar->rest.len > 64 ? 64 : ar->rest.len), ar->rest.p);
    world_free(c->world);
    size_t i = (size_t)(c - s->checkpoints);
    memmove(c, c + 1, (s->n_checkpoints - i - 1) * sizeof *c);
    s->n_checkpoints--;
    /* What only this checkpoint held is free now; glibc keeps freed pages
     * in the middle of the heap unless asked, and the point of DELETE is to
     * give the memory back. */
    malloc_trim(0);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", "deleted");
    return emu_admin_json(call, 200, j);
}

static emu_rc admin_checkpoint_list(emu_call *call)
{
    emu_server *s = call->server;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "max", (double)checkpoint_cap(s));
    cJSON *arr = cJSON_AddArrayToObject(j, "checkpoints");
    for (size_t i = 0; i < s->n_checkpoints; i++)
        cJSON_AddItemToArray(arr, checkpoint_json(&s->checkpoints[i]));
    return emu_admin_json(call, 200, j);
}

static emu_rc admin_route(emu_call *call)
{
    const admin_req *ar = call->svc_data;
    return ar->route->handler(call, ar->rest);
}

static void admin_render_ok(emu_call *call)
{
    (void)call; /* the handler already set the response */
}

static void admin_render_err(emu_call *call)
{
    emu_err *e = &call->err;
    int status = e->status ? e->status : e->rc == EMU_E_NOT_FOUND ? 404 : 400;
    if (!e->code)
        e->code = emu_rc_name(e->rc);
    cJSON *j = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(j, "error");
    cJSON_AddStringToObject(err, "code", e->code);
    cJSON_AddStringToObject(err, "message", e->msg);
    cJSON_AddStringToObject(j, "request_id", call->request_id);
    call->resp->n_headers = 0;
    emu_admin_json(call, status, j);
    if (status == 401)
        emu_http_resp_header(call->resp, call->arena, "WWW-Authenticate",
                             "Bearer realm=\"acsemu admin\"");
}

static const emu_action admin_actions[] = {
    {"health", admin_health, NULL, EMU_ACT_READ},
    {"reset", admin_reset, NULL, EMU_ACT_WRITE},
    {"world", admin_world, NULL, EMU_ACT_READ},
    {"clock_get", admin_clock_get, NULL, EMU_ACT_READ},
    {"clock_set", admin_clock_set, NULL, EMU_ACT_WRITE},
    {"checkpoint_list", admin_checkpoint_list, NULL, EMU_ACT_READ},
    {"checkpoint_save", admin_checkpoint_save, NULL, EMU_ACT_WRITE},
    {"checkpoint_restore", admin_checkpoint_restore, NULL, EMU_ACT_WRITE},
    {"checkpoint_delete", admin_checkpoint_delete, NULL, EMU_ACT_WRITE},
    {"route", admin_route, NULL, 0},
};

const emu_service emu_admin_service = {
    .name = "admin",
    .decode = admin_decode,
    .actions = admin_actions,
    .n_actions = sizeof admin_actions / sizeof admin_actions[0],
    .authenticate = NULL,
    .authorize = NULL,
    .unknown_action = admin_unknown,
    .render_ok = admin_render_ok,
    .render_err = admin_render_err,
};
