/* Routing and the fixed phases. See include/emu/dispatch.h.
 *
 * Routing order (DESIGN.md §1): /_emu/ → admin; /latest/ → the ECS
 * metadata service; ODPS paths → odps; a POST
 * to /<Operation> carrying x-ots-* headers → ots; a request with an Action
 * (parameter or x-acs-action) → the RPC product chosen by Version, else by
 * the Host's first label. Anything else gets a 404 that says what acsemu
 * serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/auth.h"
#include "emu/clock.h"
#include "emu/faults.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/rpc.h"

const char *emu_principal_kind_name(emu_principal_kind k)
{
    switch (k) {
    case EMU_PRINCIPAL_ROOT:
        return "root";
    case EMU_PRINCIPAL_USER:
        return "user";
    case EMU_PRINCIPAL_SESSION:
        return "assumed-role";
    case EMU_PRINCIPAL_SERVICE:
        return "service";
    default:
        return "none";
    }
}

void emu_dispatch_add_rpc(emu_server *s, const emu_service *svc, const char *version)
{
    if (s->n_rpc == EMU_MAX_SERVICES) { /* a build error, not a user's: say so at start */
        fprintf(stderr, "acsemu: more than %d RPC products; raise EMU_MAX_SERVICES\n",
                EMU_MAX_SERVICES);
        abort();
    }
    s->rpc[s->n_rpc] = svc;
    s->rpc_versions[s->n_rpc++] = version;
}

const emu_action *emu_dispatch_find_action(const emu_service *svc, const char *name)
{
    if (!name)
        return NULL;
    /* First letters differ for most of a table: no call for those. */
    for (size_t i = 0; i < svc->n_actions; i++)
        if (svc->actions[i].name[0] == name[0] && strcmp(svc->actions[i].name, name) == 0)
            return &svc->actions[i];
    return NULL;
}

void emu_server_set_world(emu_server *s, world_t *w)
{
    world_free(s->world);
    s->world = w;
    s->world_gen++;
}

emu_rc emu_server_load_pristine(emu_server *s, emu_err *err)
{
    if (s->pristine)
        return EMU_OK;
    emu_rc rc = world_load_file(s->world_path, &s->pristine, err);
    if (rc == EMU_OK && s->region)
        world_set_region(s->pristine, s->region);
    return rc;
}

static bool has_ots_headers(const emu_http_req *req)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (emu_str_istarts(req->headers[i].name, "x-ots-"))
            return true;
    return false;
}

static bool is_ots_operation_path(emu_str path)
{
    if (path.len < 2 || path.p[0] != '/' || path.p[1] < 'A' || path.p[1] > 'Z')
        return false;
    for (size_t i = 1; i < path.len; i++) {
        char c = path.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static bool raw_has_param(emu_str s, const char *name)
{
    size_t n = strlen(name);
    const char *p = s.p, *end = s.p + s.len;
    while (p && p < end) {
        if ((size_t)(end - p) > n && memcmp(p, name, n) == 0 && p[n] == '=')
            return true;
        p = memchr(p, '&', (size_t)(end - p));
        if (p)
            p++;
    }
    return false;
}

static bool looks_rpc(const emu_http_req *req)
{
    if (raw_has_param(req->query, "Action") || emu_http_req_header(req, "x-acs-action").p)
        return true;
    emu_str ct = emu_http_req_header(req, "content-type");
    return emu_str_istarts(ct, "application/x-www-form-urlencoded") &&
           raw_has_param((emu_str){(const char *)req->body, req->body_len}, "Action");
}

static const emu_service *route(emu_server *s, const emu_http_req *req)
{
    emu_str path = req->path;
    if (emu_str_starts(path, "/_emu/") || emu_str_eq_c(path, "/_emu"))
        return s->admin;
    if (s->metadata && (emu_str_starts(path, "/latest/") || emu_str_eq_c(path, "/latest")))
        return s->metadata;
    if (s->odps && (emu_str_starts(path, "/api/") || emu_str_eq_c(path, "/api") ||
                    emu_str_starts(path, "/projects")))
        return s->odps;
    if (s->ots && is_ots_operation_path(path) && has_ots_headers(req))
        return s->ots;
    if (looks_rpc(req))
        return s->n_rpc ? s->rpc[0] : NULL; /* emu_rpc_decode picks the product */
    return NULL;
}

static void not_routed(emu_call *call)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "RequestId", call->request_id);
    cJSON_AddStringToObject(o, "Code", "NotFound");
    /* The products as registered, so the list never goes stale. */
    const emu_server *s = call->server;
    char rpc[512];
    size_t n = 0;
    for (size_t i = 0; i < s->n_rpc && n < sizeof rpc; i++) {
        int k = snprintf(rpc + n, sizeof rpc - n, "%s%s %s", i ? ", " : "", s->rpc[i]->name,
                         s->rpc_versions[i]);
        n += k > 0 ? (size_t)k : 0;
    }
    cJSON_AddStringToObject(
        o, "Message",
        emu_arena_sprintf(call->arena,
                          "acsemu did not recognise this request. It serves: RPC (%s) with an "
                          "Action parameter, Tablestore POST /<Operation> with x-ots-* headers, "
                          "MaxCompute under /api, and the admin API under /_emu/.",
                          n ? rpc : "none"));
    char *text = emu_json_print_to_arena(call->arena, o);
    cJSON_Delete(o);
    emu_http_resp_set(call->resp, call->arena, 404, "application/json;charset=utf-8", text,
                      strlen(text));
}

/* The HTTP layer dropped this request's body: request bodies held at once
 * were over --max-buffered-bytes. Nothing runs; the service answers its
 * own "busy" error (Tablestore OTSServerBusy, RPC ServiceUnavailable,
 * MaxCompute ServiceUnavailable, all 503), which the SDKs retry. */
static void over_budget(emu_call *call)
{
    emu_server *s = call->server;
    /* Without its body an RPC call whose parameters were in a form body
     * does not look like one: its content type still says what it was. */
    if (!call->svc && s->n_rpc &&
        emu_str_istarts(emu_http_req_header(call->req, "content-type"),
                        "application/x-www-form-urlencoded"))
        call->svc = s->rpc[0];
    if (!call->svc) {
        emu_http_resp_set(call->resp, call->arena, 503, "text/plain; charset=utf-8",
                          "503 Service Unavailable: the server is busy, try again\n", 55);
        return;
    }
    if (call->svc->busy) {
        call->svc->busy(call);
    } else { /* the admin API: its JSON error */
        emu_err_set(&call->err, EMU_E_INTERNAL, "ServiceUnavailable",
                    "request bodies held at once are over --max-buffered-bytes; try again");
        call->err.status = 503;
    }
    call->svc->render_err(call);
}

static void finish(emu_call *call, emu_exchange *x)
{
    if (call->record && call->server->decision_hooks)
        call->server->decision_hooks->finish(call);
    /* The admin API's own traffic (health polls) is debug noise. Nothing
     * below is worth building for a line that is not written. */
    bool admin_ok = call->svc && call->svc == call->server->admin && x->resp.status < 400;
    if (!emu_log_enabled(admin_ok ? EMU_LOG_DEBUG : EMU_LOG_INFO))
        return;
    emu_access_entry e = {0};
    const emu_principal *p = &call->principal;
    e.request_id = call->request_id;
    e.method = emu_arena_strndup(call->arena, x->req.method.p, x->req.method.len);
    e.path = emu_arena_strndup(call->arena, x->req.path.p,
                               x->req.path.len > 200 ? 200 : x->req.path.len);
    e.service = call->svc ? call->svc->name : "-";
    e.action = call->action_name;
    e.principal = p->kind != EMU_PRINCIPAL_NONE && p->arn ? p->arn : "-";
    e.status = x->resp.status;
    e.error_code = x->resp.status >= 400
                       ? (call->err.code ? call->err.code : emu_rc_name(call->err.rc))
                       : NULL;
    e.decision = call->decision;
    e.decision_id = call->decision_id;
    e.reason = call->reason;
    e.micros = emu_clock_mono_us() - x->start_us;
    emu_log_access(&e);
}

emu_rc emu_dispatch_authenticate(emu_call *call)
{
    emu_rc rc = call->svc->authenticate(call);
    if (rc) {
        /* Whatever a failed lookup left behind is not a principal: only
         * the connection facts stay, for the log and the decision record. */
        bool tls = call->principal.tls;
        const char *ip = call->principal.source_ip;
        memset(&call->principal, 0, sizeof call->principal);
        call->principal.tls = tls;
        call->principal.source_ip = ip;
    }
    return rc;
}

static void call_init(emu_call *call, emu_server *s, emu_exchange *x)
{
    memset(call, 0, sizeof *call);
    call->req = &x->req;
    call->resp = &x->resp;
    call->arena = x->req.arena;
    call->server = s;
    call->world = s->world;
    call->principal.tls = x->req.tls;
    call->principal.source_ip = x->req.peer_ip;
    emu_rand_uuid(call->request_id);
    s->requests++;
}

bool emu_dispatch_reject(void *ud, emu_exchange *x, int status, const char *why)
{
    emu_server *s = ud;
    emu_call call;
    emu_clock_hold();
    call_init(&call, s, x);
    call.svc = route(s, &x->req);
    bool answered = call.svc && call.svc->framing_error;
    if (answered) {
        call.svc->framing_error(&call, status, why);
        call.svc->render_err(&call);
        finish(&call, x);
    }
    emu_clock_release();
    return answered;
}

void emu_dispatch(void *ud, emu_exchange *x)
{
    emu_server *s = ud;
    emu_call call;
    emu_rc rc = EMU_OK;
    unsigned delay_ms = 0;

    emu_clock_hold();
    call_init(&call, s, x);
    /* STS sessions past their expiry and grace are collected here, lazily
     * on the virtual clock (O(1) unless one is due; emu/auth.h). */
    if (s->world)
        world_session_expire(s->world, emu_clock_now_ms() - AUTH_EXPIRED_SESSION_KEEP_MS);

    call.svc = route(s, &x->req);
    if (x->req.over_budget) {
        over_budget(&call);
        rc = EMU_E_INTERNAL;
        goto out;
    }
    if (!call.svc) {
        not_routed(&call);
        goto out;
    }
    /* Phases. Each one either succeeds or leaves its error in call.err. */
    rc = call.svc->decode ? call.svc->decode(&call) : EMU_OK;
    if (rc == EMU_OK) {
        call.action = emu_dispatch_find_action(call.svc, call.action_name);
        if (!call.action)
            rc = call.svc->unknown_action(&call);
        else /* the same text, static: a decision record need not copy it */
            call.action_name = call.action->name;
    }
    if (rc == EMU_OK && call.svc->authenticate && !(call.action->flags & EMU_ACT_ANONYMOUS))
        rc = emu_dispatch_authenticate(&call);
    /* Injected faults (emu/faults.h) come after authentication, where the
     * cloud throttles (rpc-api.md §5), and before authorization. */
    if (rc == EMU_OK && s->fault_hooks && call.svc != s->admin)
        rc = s->fault_hooks->check(&call, &delay_ms);
    if (rc == EMU_OK && call.svc->authorize && !(call.action->flags & EMU_ACT_NO_AUTHZ))
        rc = call.svc->authorize(&call);
    if (rc == EMU_OK)
        rc = call.action->handler(&call);
    if (rc == EMU_OK) {
        call.svc->render_ok(&call);
    } else {
        if (call.err.rc == EMU_OK)
            emu_err_set(&call.err, rc, NULL, NULL);
        call.svc->render_err(&call);
    }
    /* Every authorized response names its decision record, allowed ones
     * too: "why was this allowed?" is the other half of the question. */
    if (call.decision_id) { /* services leave this header to the dispatcher */
        /* Copied: the ring may reuse the record before a held answer goes. */
        size_t n = strlen(call.decision_id);
        emu_http_resp_header_ref(call.resp, EMU_STR_LIT("x-emu-decision"),
                                 (emu_str){emu_arena_strndup(call.arena, call.decision_id, n), n});
    }
out:
    finish(&call, x);
    if (s->persist_hooks && s->persist_hooks->hold(&call, x, rc, delay_ms)) {
        emu_clock_release();
        return; /* answered once its change is on disk */
    }
    if (delay_ms) {
        /* The call has run; only its answer waits, so nothing borrowed from
         * the world is held across loop turns. */
        emu_clock_release();
        s->fault_hooks->delay(s, x, delay_ms);
        return;
    }
    /* Still held: the answer's Date is the request's instant too. (We are
     * inside the connection's drain, so this does not run the next
     * pipelined request: that one gets its own instant.) */
    emu_net_respond(x);
    emu_clock_release();
}
