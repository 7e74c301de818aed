/* The MaxCompute REST subset (maxcompute-external-table.md §8) as an
 * emu_service: the calls pyodps makes for execute_sql + open_reader, with
 * the ODPS signature (v2 and v4), the 15-minute Date skew check, projects
 * from the world and XML errors carrying all four of Code, Message,
 * RequestId and HostId. Every response has x-odps-request-id.
 *
 *   decode        the path (with or without the endpoint's "/api") and the
 *                 query name the action (CreateInstance, GetTaskStatus...)
 *   authenticate  Authorization "ODPS ak:sig" or the v4 credential form,
 *                 Date, the key (authorization-sts-token for STS keys),
 *                 the signature, then the skew on the REAL clock
 *   authorize     the project exists (NoSuchProject) and the caller is a
 *                 member. acsemu convention [I]: every principal of the
 *                 project owner's account (root, RAM users, its role
 *                 sessions) is a member with every privilege; anyone else
 *                 gets ODPS-0420095 [4002]. MaxCompute's own ACLs are not
 *                 RAM policies and are not emulated.
 *   execute       instances run their one SQL task to completion inside
 *                 CreateInstance (odps_exec.c), so the first status poll
 *                 already says Terminated (§9.1 tier 0)
 *   tunnel        the instance tunnel (§8.6) is served on this same
 *                 endpoint, without /api: ?service names it, ?downloads
 *                 opens a session on a SELECT's whole held result, and
 *                 ?downloadid&rowrange&data answers the record stream
 *                 (odps_tunnel.c)
 *
 * Instances are not world state (like the decision ring): the last
 * ODPS_MAX_INSTANCES are kept in memory and survive /_emu/reset. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/sig.h"
#include "odps_int.h"

#define ODPS_MAX_SKEW_MS (15LL * 60 * 1000)
#define ODPS_MAX_INSTANCES 1024

static const struct {
    const char *code;
    int status;
} odps_errors[] = {
#define ODPS_ERROR(code, status) {#code, status},
#include "odps_errors.def"
#undef ODPS_ERROR
};

/* ---- instances --------------------------------------------------------------------- */

typedef struct odps_instance {
    char id[40];
    uint64_t seq; /* creation order, for ListInstances */
    char *project;
    char *owner;     /* x-odps-owner */
    char *task_name; /* "AnonymousSQLTask" */
    char *job_xml;   /* the <Job> element, for ?source */
    int64_t start_ms, end_ms;
    odps_task_result result;
    char download_id[40]; /* the tunnel session, once created ("" = none) */
    bool result_dropped;  /* the held result went for ODPS_MAX_HELD_RESULT_BYTES */
} odps_instance;

static odps_instance *instances[ODPS_MAX_INSTANCES];
static size_t next_instance;
static size_t held_bytes; /* every instance's result.rows */

static void instance_free(odps_instance *in)
{
    if (!in)
        return;
    free(in->project);
    free(in->owner);
    free(in->task_name);
    free(in->job_xml);
    if (in->result.rows)
        held_bytes -= in->result.rows->bytes;
    odps_task_result_dispose(&in->result);
    free(in);
}

void odps_service_shutdown(void)
{
    for (size_t i = 0; i < ODPS_MAX_INSTANCES; i++) {
        instance_free(instances[i]);
        instances[i] = NULL;
    }
}

static odps_instance *instance_find(const char *project, const char *id)
{
    for (size_t i = 0; i < ODPS_MAX_INSTANCES; i++)
        if (instances[i] && strcmp(instances[i]->id, id) == 0 &&
            emu_strcasecmp(instances[i]->project, project) == 0)
            return instances[i];
    return NULL;
}

/* Counts the new instance's tunnel result and drops the oldest others'
 * until all of them fit in ODPS_MAX_HELD_RESULT_BYTES (their download
 * sessions then answer StatusConflict). */
static void hold_result(odps_instance *in, size_t slot)
{
    if (!in->result.rows)
        return;
    held_bytes += in->result.rows->bytes;
    for (size_t k = 1; k < ODPS_MAX_INSTANCES && held_bytes > ODPS_MAX_HELD_RESULT_BYTES; k++) {
        odps_instance *old = instances[(slot + k) % ODPS_MAX_INSTANCES];
        if (!old || !old->result.rows)
            continue;
        held_bytes -= old->result.rows->bytes;
        odps_resultset_free(old->result.rows);
        old->result.rows = NULL;
        old->result_dropped = true;
    }
}

/* "20260528031957821g" + 8 lower-case letters/digits, the shape of real ids. */
static void instance_id(char out[40])
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    int64_t ms = emu_clock_real_ms();
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    int n = snprintf(out, 40, "%04d%02d%02d%02d%02d%02d%03dg", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    for (int i = 0; i < 8; i++)
        out[n + i] = alnum[emu_rand_u64() % (sizeof alnum - 1)];
    out[n + 8] = '\0';
}

/* ---- request state ------------------------------------------------------------------ */

typedef struct odps_req {
    bool api_prefix;     /* the path started with /api */
    const char *project; /* from the path, or NULL */
    const char *instance;
    sig_params params;
    world_account *owner; /* the project's account (authorize) */
    odps_project *proj;
    const char *bad_param; /* UnsupportedSubresource: the parameter */
    const char *table;     /* GetTable: the name from the path */
} odps_req;

static odps_req *req_of(emu_call *call)
{
    return call->svc_data;
}

static emu_rc fail(emu_call *call, emu_rc rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static emu_rc fail(emu_call *call, emu_rc rc, const char *code, const char *fmt, ...)
{
    char m[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    emu_err_set(&call->err, rc, code, "%s", m);
    return rc;
}

static bool has_param(emu_call *call, const char *name)
{
    return sig_params_find(&req_of(call)->params, name) != NULL;
}

/* A query parameter's decoded value as a C string in the arena (NULL when
 * absent; "" when it has no value). */
static const char *param(emu_call *call, const char *name)
{
    const sig_param *p = sig_params_find(&req_of(call)->params, name);
    return p ? emu_arena_strndup(call->arena, p->value.p ? p->value.p : "", p->value.len) : NULL;
}

/* ---- decode ------------------------------------------------------------------------- */

/* Query parameters each route takes besides its sub-resource. A request
 * naming anything else asks for a sub-resource acsemu does not serve: it
 * is answered with a 400 naming it, never with another call's answer. */
static const char *const P_PROJECT[] = {"properties", NULL};
static const char *const P_LIST[] = {"status",  "daterange", "onlyowner",  "maxitems",
                                     "jobname", "marker",    "quotaIndex", NULL};
static const char *const P_INSTANCE[] = {"instancestatus",
                                         "taskstatus",
                                         "result",
                                         "source",
                                         "instanceprogress",
                                         "instancesummary",
                                         "detail",
                                         "instancedetail",
                                         "downloadid",
                                         "downloads",
                                         "taskname",
                                         "subquery_id",
                                         "rowrange",
                                         "data",
                                         "columns",
                                         "arrow",
                                         "raw_size",
                                         "quotaName",
                                         "instance_tunnel_limit_enabled",
                                         NULL};
static const char *const P_TUNNEL[] = {"service", "quotaName", NULL};
static const char *const P_TABLES[] = {"expectmarker", "name",        "owner",    "type", "marker",
                                       "maxitems",     "curr_schema", "extended", NULL};
static const char *const P_TABLE[] = {"extended", "curr_schema", NULL};
static const char *const P_NONE[] = {NULL};

/* The first query parameter neither `allowed` nor common to every call
 * (curr_project, signed x-odps-* parameters), or NULL. */
static const char *unexpected_param(emu_call *call, const char *const *allowed)
{
    const sig_params *ps = &req_of(call)->params;
    for (size_t i = 0; i < ps->n; i++) {
        emu_str n = ps->v[i].name;
        bool ok = emu_str_eq_c(n, "curr_project") || emu_str_istarts(n, "x-odps-");
        for (const char *const *a = allowed; !ok && *a; a++)
            ok = emu_str_eq_c(n, *a);
        if (!ok)
            return emu_arena_strndup(call->arena, n.p, n.len > 64 ? 64 : n.len);
    }
    return NULL;
}

/* Splits the path after the optional /api into at most 5 segments. */
static size_t segments(emu_arena *a, emu_str path, const char **seg, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < path.len && n < cap) {
        while (i < path.len && path.p[i] == '/')
            i++;
        size_t start = i;
        while (i < path.len && path.p[i] != '/')
            i++;
        if (i > start)
            seg[n++] = emu_arena_strndup(a, path.p + start, i - start);
    }
    while (i < path.len && path.p[i] == '/')
        i++;
    return i < path.len ? cap + 1 : n; /* cap + 1: too deep for any route */
}

static emu_rc odps_decode(emu_call *call)
{
    const emu_http_req *req = call->req;
    odps_req *r = emu_arena_zalloc(call->arena, sizeof *r);
    emu_str path = req->path;
    const char *seg[6];
    call->svc_data = r;
    call->action_name = "Unknown";
    if (emu_str_starts(path, "/api/") || emu_str_eq_c(path, "/api")) {
        r->api_prefix = true;
        path = (emu_str){path.p + 4, path.len - 4};
    }
    emu_err e = {0};
    if (sig_params_parse(call->arena, req->query, EMU_STR_NULL, &r->params, &e) != EMU_OK)
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - bad query string: %s", e.msg);
    size_t n = segments(call->arena, path, seg, 5);
    const char *m = emu_arena_strndup(call->arena, req->method.p, req->method.len);
    bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0, put = strcmp(m, "PUT") == 0;
    const char *act = NULL;
    const char *const *allowed = NULL;

    if (n == 2 && !strcmp(seg[0], "logview") && !strcmp(seg[1], "host"))
        act = get ? "GetLogviewHost" : NULL;
    else if (n == 2 && !strcmp(seg[0], "webconsole") && !strcmp(seg[1], "host"))
        act = get ? "GetWebconsoleHost" : NULL;
    else if (n == 1 && !strcmp(seg[0], "tenants"))
        act = get ? "GetTenant" : NULL;
    else if (n >= 2 && !strcmp(seg[0], "projects")) {
        r->project = seg[1];
        if (n == 2)
            act = get ? "GetProject" : NULL, allowed = P_PROJECT;
        else if (n == 3 && !strcmp(seg[2], "instances"))
            act = post  ? "CreateInstance"
                  : get ? "ListInstances"
                        : NULL,
            allowed = post ? P_NONE : P_LIST;
        else if (n == 3 && !strcmp(seg[2], "tunnel"))
            act = get ? "GetTunnelService" : NULL, allowed = P_TUNNEL;
        else if (n == 3 && !strcmp(seg[2], "tables"))
            act = get ? "ListTables" : NULL, allowed = P_TABLES;
        else if (n == 4 && !strcmp(seg[2], "tables")) {
            r->table = seg[3];
            act = get ? "GetTable" : NULL, allowed = P_TABLE;
        } else if (n == 3 && !strcmp(seg[2], "logs"))
            act = put ? "PutLogs" : NULL;
        else if (n == 3 && !strcmp(seg[2], "authorization"))
            act = !post                                  ? NULL
                  : has_param(call, "sign_bearer_token") ? "GetLogviewToken"
                                                         : "RunSecurityQuery";
        else if (n == 4 && !strcmp(seg[2], "instances")) {
            r->instance = seg[3];
            allowed = P_INSTANCE;
            if (post && has_param(call, "downloads"))
                act = "CreateDownloadSession";
            else if (put)
                act = "StopInstance";
            else if (!get)
                act = NULL;
            else if (has_param(call, "downloadid"))
                act = has_param(call, "data") ? "DownloadData" : "GetDownloadSession";
            else if (has_param(call, "result"))
                act = "GetInstanceResult";
            else if (has_param(call, "source"))
                act = "GetInstanceSource";
            else if (has_param(call, "taskstatus"))
                act = "GetTaskStatus";
            else if (has_param(call, "instanceprogress"))
                act = "GetInstanceProgress";
            else if (has_param(call, "instancesummary"))
                act = "GetTaskSummary";
            else if (has_param(call, "detail") || has_param(call, "instancedetail"))
                act = "GetTaskDetail";
            else if (has_param(call, "instancestatus"))
                act = "GetInstanceStatus";
            else
                act = "GetInstance";
        }
    }
    if (act && allowed && !strcmp(act, "StopInstance"))
        allowed = P_NONE;
    if (act && allowed && (r->bad_param = unexpected_param(call, allowed)))
        act = "UnsupportedSubresource";
    call->action_name =
        act ? act
            : emu_arena_sprintf(call->arena, "%s %.*s", m,
                                (int)(req->path.len > 200 ? 200 : req->path.len), req->path.p);
    return EMU_OK;
}

/* ---- authenticate ---------------------------------------------------------------------- */

static emu_rc authenticate(emu_call *call)
{
    const emu_http_req *req = call->req;
    emu_str authz = emu_http_req_header(req, "authorization");
    sig_odps_auth auth;
    emu_err e = {0};
    if (!authz.p || sig_odps_parse_auth(authz, &auth, &e) != EMU_OK)
        return fail(call, EMU_E_AUTH, "AuthorizationRequired",
                    "ODPS-0410050:Invalid credentials - the Authorization header is invalid or "
                    "missing%s%s",
                    authz.p ? ": " : "", authz.p ? e.msg : "");
    emu_str date = emu_str_trim(emu_http_req_header(req, "date"));
    int64_t date_ms = 0;
    if (!date.p || !emu_time_parse_http(date.p, date.len, &date_ms))
        return fail(call, EMU_E_AUTH, "AuthorizationRequired",
                    "ODPS-0410050:Invalid credentials - the Date header is invalid or missing "
                    "(RFC 1123, e.g. Sat, 28 Nov 2026 03:25:50 GMT)");
    emu_str token = emu_str_trim(emu_http_req_header(req, "authorization-sts-token"));
    auth_failure why = AUTH_OK;
    if (auth_resolve(call->world, auth.access_key_id, token, emu_clock_now_ms(), call->arena,
                     &call->principal, &why, &e) != EMU_OK) {
        call->reason = auth_failure_name(why);
        if (why == AUTH_KEY_NOT_FOUND)
            return fail(call, EMU_E_AUTH, "InvalidParameter",
                        "ODPS-0410051:Invalid credentials - accessKeyId not found");
        return fail(call, EMU_E_AUTH, "InvalidParameter", "ODPS-0410051:Invalid credentials - %s",
                    e.msg);
    }
    emu_str sts;
    emu_rc rc =
        sig_odps_verify(call->arena, req, &auth, emu_str_c(call->principal.secret), &sts, &e);
    if (rc == EMU_E_AUTH) {
        /* The server's string to sign helps a client author diff theirs
         * [I: the real message stops after "does not match"]. */
        fail(call, EMU_E_AUTH, "SignatureNotMatch",
             "ODPS-0410042:Invalid signature value - User signature does not match; acsemu "
             "string to sign: ");
        call->err.msg_tail = sts.p;
        return EMU_E_AUTH;
    }
    if (rc)
        return fail(call, EMU_E_AUTH, "AuthorizationRequired",
                    "ODPS-0410050:Invalid credentials - %s", e.msg);
    int64_t skew =
        call->server && call->server->max_skew_ms ? call->server->max_skew_ms : ODPS_MAX_SKEW_MS;
    int64_t now = emu_clock_real_ms();
    if (date_ms - now > skew || now - date_ms > skew) {
        char de[25], ne[25];
        emu_time_iso_ms(date_ms, de);
        emu_time_iso_ms(now, ne);
        return fail(call, EMU_E_AUTH, "RequestTimeTooSkewd",
                    "ODPS-0410031:Authentication request expired - the expire time interval "
                    "exceeds the max limitation: %lld, max_interval_date:%lld,expire_date:%s,"
                    "now_date:%s",
                    (long long)skew, (long long)skew, de, ne);
    }
    return EMU_OK;
}

/* Not one of the §8.4 calls: authenticated first, like every other call. */
static emu_rc odps_unknown_action(emu_call *call)
{
    emu_rc rc = emu_dispatch_authenticate(call);
    if (rc)
        return rc;
    return fail(call, EMU_E_UNSUPPORTED, "NoSuchObject",
                "acsemu does not implement %s of the MaxCompute REST API (it serves the calls "
                "pyodps makes for execute_sql and open_reader)",
                call->action_name);
}

/* ---- authorize --------------------------------------------------------------------------- */

/* The caller as MaxCompute names members (odps_acl.c): ALIYUN$<account>
 * for a root, RAM$<account>:<user> for a RAM user, RAM$<account>:role/<role>
 * for a role's sessions. */
static const char *member_name(emu_call *call)
{
    const emu_principal *p = &call->principal;
    world_account *a = p->account_id ? world_account_find(call->world, p->account_id) : NULL;
    const char *alias = a && a->alias ? a->alias : p->account_id ? p->account_id : "";
    if (p->kind == EMU_PRINCIPAL_USER && p->user)
        return emu_arena_sprintf(call->arena, "RAM$%s:%s", alias, p->user->name);
    if (p->kind == EMU_PRINCIPAL_SESSION && p->role)
        return emu_arena_sprintf(call->arena, "RAM$%s:role/%s", alias, p->role->name);
    if (p->kind == EMU_PRINCIPAL_ROOT)
        return emu_arena_sprintf(call->arena, "ALIYUN$%s", alias);
    return emu_arena_sprintf(call->arena, "%s", p->arn ? p->arn : "anonymous");
}

static bool is_project_owner(emu_call *call)
{
    const odps_req *r = req_of(call);
    return call->principal.kind == EMU_PRINCIPAL_ROOT && call->principal.account_id &&
           strcmp(call->principal.account_id, r->owner->id) == 0;
}

static const char *acl_resource(emu_call *call, const char *table)
{
    const odps_req *r = req_of(call);
    return table ? emu_arena_sprintf(call->arena, "acs:odps:*:projects/%s/tables/%s", r->proj->name,
                                     table)
                 : emu_arena_sprintf(call->arena, "acs:odps:*:projects/%s", r->proj->name);
}

/* One decision of the permission model (layer maxcompute-acl), recorded
 * with its reason and, for replay, everything it looked at. */
static emu_rc acl_note(emu_call *call, odps_check check, const char *table, uint32_t priv, bool ok)
{
    odps_req *r = req_of(call);
    const char *who = member_name(call);
    const char *action = check == ODPS_CHECK_MEMBER ? "odps:Member"
                         : check == ODPS_CHECK_MANAGER
                             ? "odps:Grant"
                             : emu_arena_sprintf(call->arena, "odps:%s", odps_priv_name(priv));
    const char *reason = ok ? NULL
                            : odps__acl_reason(call->arena, check, who, call->principal.arn,
                                               r->proj->name, r->owner->id, table, priv);
    cJSON *in = odps__acl_input(r->proj, r->owner->id, is_project_owner(call), who,
                                call->principal.arn, table);
    char *text = cJSON_PrintUnformatted(in);
    const char *input = text ? emu_arena_strdup(call->arena, text) : NULL;
    cJSON_free(text);
    cJSON_Delete(in);
    return emu_authz_note_rule(call, action, acl_resource(call, table), r->owner->id, ok,
                               POLICY_LAYER_MAXCOMPUTE_ACL, reason, input);
}

/* One privilege of the permission model, decided and recorded. The owner
 * holds all; members what odps_acl.c grants. */
static bool acl_allow(emu_call *call, const char *table, uint32_t priv)
{
    odps_req *r = req_of(call);
    bool ok = is_project_owner(call) || odps__acl_allowed(r->proj, member_name(call), table, priv);
    return acl_note(call, ODPS_CHECK_PRIVILEGE, table, priv, ok) == EMU_OK;
}

/* Membership: the owner, or a member added with ADD USER. */
static bool member_allow(emu_call *call)
{
    odps_req *r = req_of(call);
    bool ok = is_project_owner(call) || odps__acl_member(r->proj, member_name(call));
    return acl_note(call, ODPS_CHECK_MEMBER, NULL, 0, ok) == EMU_OK;
}

/* Managing the project's security: the owner or a member of role admin. */
static bool is_manager(emu_call *call)
{
    return is_project_owner(call) || odps__acl_admin(req_of(call)->proj, member_name(call));
}

static bool exec_allow(void *ud, const char *table, uint32_t priv)
{
    return acl_allow(ud, table, priv);
}

static emu_rc no_privilege(emu_call *call, const char *table, uint32_t priv)
{
    return fail(call, EMU_E_DENIED, "NoPermission",
                "ODPS-0420095: Access Denied - Authorization Failed [4019], You have NO "
                "privilege 'odps:%s' on {%s}. --->Tips: Principal:%s",
                odps_priv_name(priv), acl_resource(call, table), member_name(call));
}

/* Membership, then the privilege each REST call needs (MaxCompute's ACL:
 * Read for the project itself, List to list its objects, CreateInstance to
 * run a task, Describe for a table's metadata); reading an instance and its
 * results needs membership only. */
static emu_rc odps_authorize(emu_call *call)
{
    odps_req *r = req_of(call);
    if (!r->project)
        return EMU_OK;
    r->proj = odps__project_lookup(call->world, r->project, &r->owner);
    if (!r->proj)
        return fail(call, EMU_E_NOT_FOUND, "NoSuchProject",
                    "ODPS-0420111:Project not found - project '%.100s' does not exist", r->project);
    if (!member_allow(call))
        return fail(call, EMU_E_DENIED, "NoPermission",
                    "ODPS-0420095: Access Denied - Authorization Failed [4002], You don't exist "
                    "in project %s.",
                    r->proj->name);
    const char *act = call->action_name;
    uint32_t priv = !strcmp(act, "GetProject")       ? ODPS_PRIV_READ
                    : !strcmp(act, "ListTables")     ? ODPS_PRIV_LIST
                    : !strcmp(act, "ListInstances")  ? ODPS_PRIV_LIST
                    : !strcmp(act, "CreateInstance") ? ODPS_PRIV_CREATEINSTANCE
                    : !strcmp(act, "GetTable")       ? ODPS_PRIV_DESCRIBE
                                                     : 0;
    const char *table = priv == ODPS_PRIV_DESCRIBE ? r->table : NULL;
    if (table && !odps__table_find(r->proj, table))
        priv = 0; /* GetTable answers NoSuchTable first */
    if (priv && !acl_allow(call, table, priv))
        return no_privilege(call, table, priv);
    return EMU_OK;
}

/* ---- responses ------------------------------------------------------------------------------ */

static void xml_ok(emu_call *call, int status, emu_buf *b)
{
    emu_http_resp_set(call->resp, call->arena, status, "application/xml", b->p, b->len);
    emu_buf_dispose(b);
}

static void xml_start(emu_buf *b)
{
    emu_buf_init(b, EMU_MAX_BODY_BYTES * 2);
    emu_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

static void xml_elem(emu_buf *b, const char *name, const char *text)
{
    emu_buf_printf(b, "<%s>", name);
    emu_buf_xml_escape(b, text, strlen(text));
    emu_buf_printf(b, "</%s>", name);
}

static const char *owner_name(emu_call *call)
{
    const emu_principal *p = &call->principal;
    world_account *a = world_account_find(call->world, p->account_id);
    const char *alias = a && a->alias ? a->alias : p->account_id;
    if (p->kind == EMU_PRINCIPAL_USER)
        return emu_arena_sprintf(call->arena, "RAM$%s:%s", alias, p->display_name);
    if (p->kind == EMU_PRINCIPAL_SESSION)
        return emu_arena_sprintf(call->arena, "RAM$%s:%s", alias, p->display_name);
    return emu_arena_sprintf(call->arena, "ALIYUN$%s", alias);
}

static void http_date(emu_call *call, const char *name, int64_t ms)
{
    char d[30];
    emu_time_http(ms, d);
    emu_http_resp_header(call->resp, call->arena, name, d);
}

/* ---- handlers ----------------------------------------------------------------------------------
 */

static emu_rc get_logview_host(emu_call *call)
{
    /* Only used to print logview links (§8.4 #1). */
    static const char url[] = "http://logview.odps.aliyun.com";
    emu_http_resp_set(call->resp, call->arena, 200, "text/plain", url, sizeof url - 1);
    return EMU_OK;
}

static emu_rc not_here(emu_call *call)
{
    /* webconsole host, tenants (schema probe), logview tokens: 404
     * NoSuchObject, which pyodps ignores (§8.4 #2, #3). */
    return fail(call, EMU_E_NOT_FOUND, "NoSuchObject",
                "ODPS-0420111:Object not found - %s is not available in acsemu", call->action_name);
}

static emu_rc put_logs(emu_call *call)
{
    emu_http_resp_set(call->resp, call->arena, 200, NULL, "", 0);
    return EMU_OK;
}

static const char *project_owner(emu_call *call)
{
    const world_account *o = req_of(call)->owner;
    return emu_arena_sprintf(call->arena, "ALIYUN$%s", o->alias ? o->alias : o->id);
}

/* GetProject: the fields pyodps's Project model reads (odps/models/
 * project.py), and in headers what its reload() requires: x-odps-owner,
 * x-odps-creation-time and Last-Modified. The creation time is the
 * project's CreateTime in the world; nothing modifies a project. */
static emu_rc get_project(emu_call *call)
{
    odps_req *r = req_of(call);
    const char *owner = project_owner(call);
    char created[30];
    emu_time_http(r->proj->create_ms, created);
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, "<Project>");
    xml_elem(&b, "Name", r->proj->name);
    xml_elem(&b, "Type", "managed");
    xml_elem(&b, "Comment", "");
    xml_elem(&b, "State", "AVAILABLE");
    xml_elem(&b, "ProjectGroupName", "");
    xml_elem(&b, "Owner", owner);
    xml_elem(&b, "SuperAdministrator", owner);
    xml_elem(&b, "CreationTime", created);
    xml_elem(&b, "LastModifiedTime", created);
    xml_elem(&b, "Region", world_region(call->world));
    emu_buf_puts(&b, "<Properties><Property><Name>odps.sql.type.system.odps2</Name>"
                     "<Value>true</Value></Property></Properties>");
    emu_buf_puts(&b, "</Project>");
    xml_ok(call, 200, &b);
    emu_http_resp_header(call->resp, call->arena, "x-odps-owner", owner);
    http_date(call, "x-odps-creation-time", r->proj->create_ms);
    http_date(call, "Last-Modified", r->proj->create_ms);
    return EMU_OK;
}

static emu_rc unsupported_subresource(emu_call *call)
{
    odps_req *r = req_of(call);
    return fail(call, EMU_E_UNSUPPORTED, "InvalidArgument",
                "ODPS-0420411:Invalid argument - '%s' is not a parameter or sub-resource acsemu "
                "serves for this MaxCompute resource (%.200s); acsemu implements the calls of "
                "pyodps's execute_sql, open_reader, the DB-API, projects, tables and instances",
                r->bad_param,
                call->req->path.len < 200
                    ? emu_arena_strndup(call->arena, call->req->path.p, call->req->path.len)
                    : "path");
}

/* ---- the instance tunnel (§8.6) ------------------------------------------------------- */

static emu_rc get_tunnel_service(emu_call *call)
{
    /* The tunnel is served on this same endpoint: the answer is the
     * host[:port] the client reached, without a scheme (the client keeps
     * the service's) and without /api (tunnel paths have none). */
    emu_str host = emu_http_req_header(call->req, "host");
    if (!host.p || !host.len || host.len > 255)
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - the request has no usable Host header, so "
                    "acsemu cannot name its tunnel endpoint; pass tunnel_endpoint to the client");
    emu_http_resp_set(call->resp, call->arena, 200, "text/plain", host.p, host.len);
    return EMU_OK;
}

static emu_rc find_instance(emu_call *call, odps_instance **out);

/* The instance whose result the tunnel can serve: a SELECT that succeeded
 * and whose result acsemu still holds. Anything else answers the way the
 * service does for it: InstanceTypeNotSupported for DDL and failed tasks,
 * which pyodps takes as "read ?result instead". */
static emu_rc tunnel_instance(emu_call *call, odps_instance **out)
{
    emu_rc rc = find_instance(call, out);
    if (rc)
        return rc;
    const odps_instance *in = *out;
    if (!in->result.ok || !in->result.is_select)
        return fail(call, EMU_E_UNSUPPORTED, "InstanceTypeNotSupported",
                    "ODPS-0420111:Instance type not supported - instance %s has no SELECT "
                    "result to download (%s); read its result through ?result",
                    in->id, in->result.ok ? "not a SELECT" : "the task failed");
    if (in->result_dropped)
        return fail(call, EMU_E_EXISTS, "StatusConflict",
                    "The download session is expired - acsemu no longer holds the result of "
                    "instance %s (it keeps the newest results up to %llu MB in all); run the "
                    "query again",
                    in->id, (unsigned long long)(ODPS_MAX_HELD_RESULT_BYTES >> 20));
    return EMU_OK;
}

static void download_session_json(emu_call *call, const odps_instance *in, int status)
{
    const odps_resultset *rs = in->result.rows;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "DownloadID", in->download_id);
    cJSON_AddStringToObject(d, "Status", "normal");
    cJSON_AddNumberToObject(d, "RecordCount", (double)rs->n_rows);
    cJSON_AddItemToObject(d, "Schema", odps_schema_json(rs->n_cols, rs->names, rs->types, NULL));
    cJSON_AddStringToObject(d, "QuotaName", "");
    cJSON_AddBoolToObject(d, "SupportReadByRawSize", false);
    char *text = emu_json_print(d);
    cJSON_Delete(d);
    emu_http_resp_set(call->resp, call->arena, status, "application/json", text, strlen(text));
    free(text);
}

static emu_rc create_download_session(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = tunnel_instance(call, &in);
    if (rc)
        return rc;
    /* One session per instance: a second POST starts a new one, and the
     * old id stops working, as an expired session would. */
    static const char hex[] = "0123456789abcdef";
    int n = snprintf(in->download_id, sizeof in->download_id, "%.18s", in->id);
    for (int i = n; i < 32; i++)
        in->download_id[i] = hex[emu_rand_u64() % 16];
    in->download_id[32] = '\0';
    download_session_json(call, in, 201);
    return EMU_OK;
}

static emu_rc session_of(emu_call *call, odps_instance **in)
{
    emu_rc rc = tunnel_instance(call, in);
    if (rc)
        return rc;
    const char *id = param(call, "downloadid");
    if (!(*in)->download_id[0] || !id || strcmp(id, (*in)->download_id) != 0)
        return fail(call, EMU_E_NOT_FOUND, "NoSuchDownload",
                    "The download ID you specified does not exist - instance %s has no "
                    "download session '%.64s'; create one with POST ?downloads",
                    (*in)->id, id ? id : "");
    return EMU_OK;
}

static emu_rc get_download_session(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = session_of(call, &in);
    if (rc)
        return rc;
    download_session_json(call, in, 200);
    return EMU_OK;
}

/* ?columns=a,b: indexes into the result, in the order asked. */
static emu_rc tunnel_columns(emu_call *call, const odps_resultset *rs, size_t **cols, size_t *n)
{
    const char *s = param(call, "columns");
    *cols = emu_arena_alloc(call->arena, (ODPS_MAX_COLUMNS + 1) * sizeof **cols);
    *n = 0;
    if (!s || !*s) {
        for (size_t c = 0; c < rs->n_cols; c++)
            (*cols)[(*n)++] = c;
        return EMU_OK;
    }
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        size_t c = 0;
        while (c < rs->n_cols && !emu_str_ieq_c((emu_str){s, len}, rs->names[c]))
            c++;
        if (c == rs->n_cols || *n == ODPS_MAX_COLUMNS)
            return fail(call, EMU_E_INVALID, "InvalidColumnSpec",
                        "The specified columns is not valid - the result has no column '%.*s'",
                        (int)(len > 128 ? 128 : len), s);
        (*cols)[(*n)++] = c;
        s = e ? e + 1 : s + len;
    }
    return EMU_OK;
}

static emu_rc download_data(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = session_of(call, &in);
    if (rc)
        return rc;
    const odps_resultset *rs = in->result.rows;
    const char *range = param(call, "rowrange");
    uint64_t start = 0, count = 0;
    if (!range || !odps_tunnel_parse_range(range, &start, &count) || start > rs->n_rows ||
        count > rs->n_rows - start)
        return fail(call, EMU_E_INVALID, "InvalidRowRange",
                    "The specified row range is not valid - rowrange '%.64s' is not "
                    "(start,count) within the %zu records of instance %s",
                    range ? range : "", rs->n_rows, in->id);
    size_t *cols, n_cols;
    if ((rc = tunnel_columns(call, rs, &cols, &n_cols)))
        return rc;
    emu_buf b;
    emu_buf_init(&b, ODPS_TUNNEL_MAX_ANSWER_BYTES);
    bool arrow = has_param(call, "arrow");
    if (!(arrow ? odps_arrow_encode(rs, (size_t)start, (size_t)count, cols, n_cols,
                                    ODPS_ARROW_CHUNK_BYTES, &b)
                : odps_tunnel_encode(rs, (size_t)start, (size_t)count, cols, n_cols, &b))) {
        emu_buf_dispose(&b);
        return fail(call, EMU_E_LIMIT, "InvalidRowRange",
                    "The specified row range is not valid - records %llu..%llu of instance %s "
                    "are more than acsemu sends in one answer (%d MB); read smaller row ranges",
                    (unsigned long long)start, (unsigned long long)(start + count), in->id,
                    ODPS_TUNNEL_MAX_ANSWER_BYTES >> 20);
    }
    emu_http_resp_set(call->resp, call->arena, 200, "application/octet-stream", b.p, b.len);
    emu_buf_dispose(&b);
    emu_http_resp_header(call->resp, call->arena, "odps-tunnel-record-count",
                         emu_arena_sprintf(call->arena, "%llu", (unsigned long long)count));
    return EMU_OK;
}

static emu_rc create_instance(emu_call *call)
{
    odps_req *r = req_of(call);
    odps_job job;
    emu_err e = {0};
    if (odps_xml_parse_job((const char *)call->req->body, call->req->body_len, call->arena, &job,
                           &e) != EMU_OK)
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - instance body: %s", e.msg);
    if (strcmp(job.task_type, "SQL") != 0)
        return fail(call, EMU_E_UNSUPPORTED, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - task type %.64s is not supported by acsemu "
                    "(only SQL)",
                    job.task_type);
    if (!job.query)
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - the SQL task has no Query");

    odps_instance *in = emu_xcalloc(1, sizeof *in);
    instance_id(in->id);
    in->project = emu_xstrdup(r->proj->name);
    in->owner = emu_xstrdup(owner_name(call));
    in->task_name = emu_xstrdup(job.task_name);
    in->job_xml = emu_xstrdup(job.job_xml ? job.job_xml : "<Job/>");
    in->start_ms = emu_clock_real_ms();
    emu_arena *scratch = emu_arena_new(256 * 1024);
    const char *who = member_name(call);
    odps_exec_ctx ctx = {.server = call->server,
                         .owner = r->owner,
                         .project = r->proj,
                         .instance_id = in->id,
                         .arena = scratch,
                         .who = who,
                         .is_owner = is_project_owner(call),
                         .is_admin = odps__acl_admin(r->proj, who),
                         .allow = exec_allow,
                         .allow_ud = call};
    odps_exec_sql(&ctx, job.query, strlen(job.query), &in->result);
    emu_arena_free(scratch);
    in->end_ms = emu_clock_real_ms();
    const odps_timings *t = &in->result.timings;
    emu_log(in->result.ok ? EMU_LOG_INFO : EMU_LOG_WARN,
            "%s odps instance %s %s: rows_read=%zu assume_us=%llu meta_us=%llu get_range_us=%llu "
            "(%zu calls) eval_us=%llu total_us=%llu%s%.300s",
            in->result.ok ? "OK" : "ERR SQLTaskFailed", in->id,
            in->result.ok ? "Success" : "Failed", t->rows_read, (unsigned long long)t->assume_us,
            (unsigned long long)t->meta_us, (unsigned long long)t->range_us, t->range_calls,
            (unsigned long long)t->eval_us, (unsigned long long)t->total_us,
            in->result.ok ? "" : " ", in->result.ok ? "" : in->result.text);

    in->seq = next_instance;
    size_t slot = next_instance++ % ODPS_MAX_INSTANCES;
    instance_free(instances[slot]);
    instances[slot] = in;
    hold_result(in, slot);

    emu_str host = emu_http_req_header(call->req, "host");
    const char *loc =
        emu_arena_sprintf(call->arena, "%s://%.*s%s/projects/%s/instances/%s",
                          call->req->tls ? "https" : "http", (int)(host.len > 200 ? 200 : host.len),
                          host.p ? host.p : "", r->api_prefix ? "/api" : "", in->project, in->id);
    /* 201 with an empty body: a 200 with a body means "synchronous result"
     * to both SDKs (§8.4 #4). */
    emu_http_resp_set(call->resp, call->arena, 201, NULL, "", 0);
    emu_http_resp_header(call->resp, call->arena, "Location", loc);
    return EMU_OK;
}

static emu_rc find_instance(emu_call *call, odps_instance **out)
{
    odps_req *r = req_of(call);
    *out = instance_find(r->proj->name, r->instance);
    if (!*out)
        return fail(call, EMU_E_NOT_FOUND, "NoSuchObject",
                    "ODPS-0420111:Object not found - instance '%.64s' does not exist in project "
                    "%s",
                    r->instance, r->proj->name);
    return EMU_OK;
}

static void instance_headers(emu_call *call, const odps_instance *in)
{
    emu_http_resp_header(call->resp, call->arena, "x-odps-owner", in->owner);
    http_date(call, "x-odps-start-time", in->start_ms);
    http_date(call, "x-odps-end-time", in->end_ms);
}

static emu_rc get_instance_status(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = find_instance(call, &in);
    if (rc)
        return rc;
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, "<Instance><Status>Terminated</Status></Instance>");
    xml_ok(call, 200, &b);
    instance_headers(call, in);
    return EMU_OK;
}

static void task_xml(emu_buf *b, const odps_instance *in, bool with_result)
{
    char start[30], end[30];
    emu_time_http(in->start_ms, start);
    emu_time_http(in->end_ms, end);
    emu_buf_puts(b, "<Task Type=\"SQL\">");
    xml_elem(b, "Name", in->task_name);
    if (!with_result) {
        xml_elem(b, "StartTime", start);
        xml_elem(b, "EndTime", end);
    } else {
        emu_buf_printf(b, "<Result Format=\"%s\">", in->result.is_select ? "csv" : "text");
        odps_xml_cdata(b, in->result.text, in->result.text_len);
        emu_buf_puts(b, "</Result>");
    }
    xml_elem(b, "Status", in->result.ok ? "Success" : "Failed");
    if (with_result && in->result.descriptor)
        xml_elem(b, "ResultDescriptor", in->result.descriptor);
    emu_buf_puts(b, "</Task>");
}

/* The instance's task list after `open` (its times, or its result). */
static emu_rc tasks_answer(emu_call *call, const char *open, bool with_result, odps_instance **in)
{
    emu_rc rc = find_instance(call, in);
    if (rc)
        return rc;
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, open);
    task_xml(&b, *in, with_result);
    emu_buf_puts(&b, "</Tasks></Instance>");
    xml_ok(call, 200, &b);
    instance_headers(call, *in);
    return EMU_OK;
}

static emu_rc get_task_status(emu_call *call)
{
    odps_instance *in;
    return tasks_answer(call, "<Instance><Status>Terminated</Status><Tasks>", false, &in);
}

static emu_rc get_instance_result(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = tasks_answer(call, "<Instance><Tasks>", true, &in);
    if (rc)
        return rc;
    /* acsemu extra for scripts/bench: where the task's time went. */
    const odps_timings *t = &in->result.timings;
    emu_http_resp_header(
        call->resp, call->arena, "x-acsemu-timings",
        emu_arena_sprintf(call->arena,
                          "{\"rows_read\":%zu,\"assume_us\":%llu,\"meta_us\":%llu,"
                          "\"get_range_us\":%llu,\"get_range_calls\":%zu,\"eval_us\":%llu,"
                          "\"total_us\":%llu}",
                          t->rows_read, (unsigned long long)t->assume_us,
                          (unsigned long long)t->meta_us, (unsigned long long)t->range_us,
                          t->range_calls, (unsigned long long)t->eval_us,
                          (unsigned long long)t->total_us));
    return EMU_OK;
}

static emu_rc get_instance_source(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = find_instance(call, &in);
    if (rc)
        return rc;
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, in->job_xml);
    xml_ok(call, 200, &b);
    instance_headers(call, in);
    return EMU_OK;
}

static emu_rc get_instance_progress(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = find_instance(call, &in);
    if (rc)
        return rc;
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, "<Progress></Progress>");
    xml_ok(call, 200, &b);
    return EMU_OK;
}

/* ---- tables ------------------------------------------------------------------------------ */

/* A table id of the shape the service uses (32 hex digits), stable for a
 * table's project, name and creation time. */
static void table_id(const odps_project *p, const odps_ext_table *t, char out[33])
{
    uint64_t h[2] = {1469598103934665603ULL, 1099511628211ULL ^ (uint64_t)t->create_ms};
    for (int k = 0; k < 2; k++) {
        for (const char *c = p->name; *c; c++)
            h[k] = (h[k] ^ (uint8_t)*c) * 1099511628211ULL;
        for (const char *c = t->name; *c; c++)
            h[k] = (h[k] ^ (uint8_t)*c) * 1099511628211ULL;
    }
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

/* The elements a table shows in GetTable and ListTables (pyodps's Table
 * model: Name, TableId, Owner, CreationTime, LastModifiedTime, Type). */
static void table_elems(emu_call *call, emu_buf *b, const odps_ext_table *t)
{
    odps_req *r = req_of(call);
    char id[33], when[30];
    table_id(r->proj, t, id);
    emu_time_http(t->create_ms, when);
    xml_elem(b, "Name", t->name);
    xml_elem(b, "TableId", id);
    xml_elem(b, "Owner", odps__table_owner(r->owner, t, call->arena));
    xml_elem(b, "CreationTime", when);
    xml_elem(b, "LastModifiedTime", when);
    xml_elem(b, "LastDDLTime", when);
    xml_elem(b, "Type", "EXTERNAL_TABLE");
}

/* GetTable (GET /projects/p/tables/t, also ?extended): the table's
 * elements and its schema JSON in <Schema format="json">; a missing table
 * is NoSuchTable (404), which pyodps's exist_table takes as False. */
static emu_rc get_table(emu_call *call)
{
    odps_req *r = req_of(call);
    char *lower = emu_arena_strdup(call->arena, r->table);
    for (char *c = lower; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    const odps_ext_table *t = odps__table_find(r->proj, lower);
    if (!t)
        return fail(call, EMU_E_NOT_FOUND, "NoSuchTable",
                    "ODPS-0130131:Table not found - table %s.%.128s cannot be resolved",
                    r->proj->name, r->table);
    cJSON *schema;
    emu_err e = {0};
    if (odps__table_meta(r->proj, r->owner, t, call->arena, &schema, &e) != EMU_OK)
        return fail(call, EMU_E_INTERNAL, "InternalServerError",
                    "ODPS-0010000:System internal error - %s", e.msg);
    char *json = emu_json_print(schema);
    cJSON_Delete(schema);
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, "<Table>");
    table_elems(call, &b, t);
    emu_buf_puts(&b, "<Schema format=\"json\">");
    odps_xml_cdata(&b, json, strlen(json));
    emu_buf_puts(&b, "</Schema></Table>");
    free(json);
    xml_ok(call, 200, &b);
    return EMU_OK;
}

static int table_name_cmp(const void *x, const void *y)
{
    const odps_ext_table *const *a = x, *const *b = y;
    return strcmp((*a)->name, (*b)->name);
}

/* ListTables (GET /projects/p/tables): pyodps's Tables model reads Marker,
 * MaxItems and Table elements, and asks again with ?marker= until it is
 * empty. Tables come in name order; ?name is a prefix, ?owner and ?type
 * filter; the marker is the name of the first table of the next page. */
static emu_rc list_tables(emu_call *call)
{
    odps_req *r = req_of(call);
    const char *max = param(call, "maxitems"), *marker = param(call, "marker");
    const char *prefix = param(call, "name"), *owner = param(call, "owner");
    const char *type = param(call, "type");
    long long max_items = 1000;
    char *end = NULL;
    if (max && ((max_items = strtoll(max, &end, 10)) < 1 || max_items > 10000 || *end))
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - maxitems '%.32s' is not a number from 1 to "
                    "10000",
                    max);
    const char *me = NULL;
    size_t n = r->proj->n_tables;
    const odps_ext_table **sorted = emu_arena_alloc(call->arena, (n + 1) * sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = &r->proj->tables[i];
    qsort(sorted, n, sizeof *sorted, table_name_cmp);
    emu_buf items;
    emu_buf_init(&items, EMU_MAX_BODY_BYTES);
    const char *next = NULL;
    long long k = 0;
    for (size_t i = 0; i < n && !next; i++) {
        const odps_ext_table *t = sorted[i];
        if ((marker && *marker && strcmp(t->name, marker) < 0) ||
            (prefix && strncmp(t->name, prefix, strlen(prefix)) != 0) ||
            (owner && *owner &&
             emu_strcasecmp(owner, (me = odps__table_owner(r->owner, t, call->arena))) != 0) ||
            (type && *type && strcmp(type, "EXTERNAL_TABLE") != 0))
            continue;
        if (k == max_items) {
            next = t->name;
            break;
        }
        emu_buf_puts(&items, "<Table>");
        table_elems(call, &items, t);
        emu_buf_puts(&items, "</Table>");
        k++;
    }
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, "<Tables>");
    xml_elem(&b, "Marker", next ? next : "");
    emu_buf_printf(&b, "<MaxItems>%lld</MaxItems>", max_items);
    emu_buf_append(&b, items.p, items.len);
    emu_buf_puts(&b, "</Tables>");
    emu_buf_dispose(&items);
    xml_ok(call, 200, &b);
    return EMU_OK;
}

/* ---- security queries --------------------------------------------------------------------- */

/* RunSecurityQuery (POST /projects/p/authorization, pyodps's
 * run_security_query): <Authorization><Query>statement</Query>
 * <ResponseInJsonFormat>true</ResponseInJsonFormat></Authorization>; the
 * answer is 200 <Authorization><Result>...</Result></Authorization>, JSON
 * text when asked for. Statements run to completion (never the 202 of an
 * asynchronous INSTALL PACKAGE). */
static emu_rc run_security_query(emu_call *call)
{
    odps_req *r = req_of(call);
    const char *query = NULL;
    bool json = false;
    emu_err e = {0};
    if (odps_xml_parse_auth_query((const char *)call->req->body, call->req->body_len, call->arena,
                                  &query, &json, &e) != EMU_OK)
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - authorization body: %s", e.msg);
    const char *who = member_name(call);
    bool manager = is_manager(call);
    emu_buf out;
    emu_buf_init(&out, EMU_MAX_BODY_BYTES);
    emu_rc rc = odps_acl_run(r->proj, who, manager, query, json, call->arena, &out, &e);
    if (rc == EMU_E_DENIED) {
        emu_buf_dispose(&out);
        acl_note(call, ODPS_CHECK_MANAGER, NULL, 0, false);
        return fail(call, EMU_E_DENIED, "NoPermission", "%s", e.msg);
    }
    if (rc) {
        emu_buf_dispose(&out);
        return fail(call, rc, rc == EMU_E_NOT_FOUND ? "NoSuchObject" : "InvalidArgument", "%s",
                    e.msg);
    }
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, "<Authorization><Result>");
    emu_buf_xml_escape(&b, out.p ? out.p : "", out.len);
    emu_buf_puts(&b, "</Result></Authorization>");
    emu_buf_dispose(&out);
    xml_ok(call, 200, &b);
    return EMU_OK;
}

/* ---- instance lists, summaries, details ----------------------------------------------- */

/* ListInstances (GET /projects/p/instances): pyodps's Instances model
 * (odps/models/instances.py) reads Marker, MaxItems and Instance/{Name,
 * Owner, StartTime, EndTime, Status}, and asks again with ?marker=<Marker>
 * until the marker is empty. Instances come in creation order; the marker
 * is the id of the first instance of the next page. */
static emu_rc list_instances(emu_call *call)
{
    odps_req *r = req_of(call);
    const char *max = param(call, "maxitems"), *marker = param(call, "marker");
    const char *status = param(call, "status"), *only = param(call, "onlyowner");
    const char *range = param(call, "daterange"), *job = param(call, "jobname");
    long long max_items = 1000;
    char *end = NULL;
    if (max && ((max_items = strtoll(max, &end, 10)) < 1 || max_items > 10000 || *end))
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - maxitems '%.32s' is not a number from 1 to "
                    "10000",
                    max);
    if (status && strcmp(status, "Running") && strcmp(status, "Suspended") &&
        strcmp(status, "Terminated"))
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - status '%.32s' is not Running, Suspended or "
                    "Terminated",
                    status);
    long long from_s = 0, to_s = INT64_MAX / 1000;
    if (range) {
        const char *colon = strchr(range, ':');
        bool ok = colon != NULL;
        if (ok && colon > range)
            from_s = strtoll(range, &end, 10), ok = end == colon;
        if (ok && colon[1])
            to_s = strtoll(colon + 1, &end, 10), ok = !*end;
        if (!ok)
            return fail(call, EMU_E_INVALID, "InvalidArgument",
                        "ODPS-0420411:Invalid argument - daterange '%.64s' is not "
                        "<start seconds>:<end seconds>",
                        range);
    }
    const char *me = owner_name(call);
    bool started = !marker || !*marker;
    long long n = 0;
    const odps_instance *next = NULL;
    emu_buf items;
    emu_buf_init(&items, EMU_MAX_BODY_BYTES);
    /* Oldest first: the ring slot after the newest holds the oldest. */
    for (size_t k = 0; k < ODPS_MAX_INSTANCES && !next; k++) {
        const odps_instance *in = instances[(next_instance + k) % ODPS_MAX_INSTANCES];
        if (!in || emu_strcasecmp(in->project, r->proj->name) != 0)
            continue;
        if (!started && strcmp(in->id, marker) != 0)
            continue;
        started = true;
        if ((status && strcmp(status, "Terminated") != 0) ||
            (only && !strcmp(only, "yes") && strcmp(in->owner, me) != 0) ||
            in->start_ms / 1000 < from_s || in->start_ms / 1000 > to_s || (job && *job))
            continue; /* acsemu's instances are all Terminated and have no job name */
        if (n == max_items) {
            next = in;
            break;
        }
        char st[30], et[30];
        emu_time_http(in->start_ms, st);
        emu_time_http(in->end_ms, et);
        emu_buf_puts(&items, "<Instance>");
        xml_elem(&items, "Name", in->id);
        xml_elem(&items, "Owner", in->owner);
        xml_elem(&items, "StartTime", st);
        xml_elem(&items, "EndTime", et);
        xml_elem(&items, "Status", "Terminated");
        emu_buf_puts(&items, "</Instance>");
        n++;
    }
    if (!started) {
        emu_buf_dispose(&items);
        return fail(call, EMU_E_INVALID, "InvalidArgument",
                    "ODPS-0420411:Invalid argument - marker '%.64s' names no instance acsemu "
                    "still holds (it keeps the last %d)",
                    marker, ODPS_MAX_INSTANCES);
    }
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, "<Instances>");
    xml_elem(&b, "Marker", next ? next->id : "");
    emu_buf_printf(&b, "<MaxItems>%lld</MaxItems>", max_items);
    emu_buf_append(&b, items.p, items.len);
    emu_buf_puts(&b, "</Instances>");
    emu_buf_dispose(&items);
    xml_ok(call, 200, &b);
    return EMU_OK;
}

/* The instance and its task named by ?taskname (pyodps always sends it). */
static emu_rc find_task(emu_call *call, odps_instance **in)
{
    emu_rc rc = find_instance(call, in);
    if (rc)
        return rc;
    const char *task = param(call, "taskname");
    if (!task || strcmp(task, (*in)->task_name) != 0)
        return fail(call, EMU_E_NOT_FOUND, "NoSuchObject",
                    "ODPS-0420111:Object not found - task '%.64s' does not exist in instance %s "
                    "(its task is %s)",
                    task ? task : "", (*in)->id, (*in)->task_name);
    return EMU_OK;
}

/* The summary texts of a task [I: the JSON keys are those pyodps's test
 * fixtures show, "inputs" and "outputs"; per input table the records and
 * bytes read; acsemu counts no bytes]. */
static void task_summary(const odps_instance *in, emu_arena *a, char **json, char **text)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *inputs = cJSON_AddObjectToObject(j, "inputs");
    cJSON_AddObjectToObject(j, "outputs");
    const char *t = "inputs:\noutputs:\n";
    if (in->result.input) {
        cJSON *v = cJSON_AddArrayToObject(inputs, in->result.input);
        cJSON_AddItemToArray(v, cJSON_CreateNumber((double)in->result.timings.rows_read));
        cJSON_AddItemToArray(v, cJSON_CreateNumber(0));
        t = emu_arena_sprintf(a, "inputs:\n\t%s: %zu (0 bytes)\noutputs:\n", in->result.input,
                              in->result.timings.rows_read);
    }
    *json = emu_json_print(j);
    cJSON_Delete(j);
    *text = emu_xstrdup(t);
}

static void json_ok(emu_call *call, cJSON *j)
{
    char *text = emu_json_print(j);
    emu_http_resp_set(call->resp, call->arena, 200, "application/json", text, strlen(text));
    free(text);
    cJSON_Delete(j);
}

/* GetTaskSummary (?instancesummary&taskname=): {"Instance": {"JsonSummary":
 * "<JSON text>", "Summary": "<text>"}}, finalized (x-odps-task-finalized)
 * since tasks run to completion. */
static emu_rc get_task_summary(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = find_task(call, &in);
    if (rc)
        return rc;
    char *json, *text;
    task_summary(in, call->arena, &json, &text);
    cJSON *j = cJSON_CreateObject();
    cJSON *i = cJSON_AddObjectToObject(j, "Instance");
    cJSON_AddStringToObject(i, "JsonSummary", json);
    cJSON_AddStringToObject(i, "Summary", text);
    free(json);
    free(text);
    json_ok(call, j);
    emu_http_resp_header(call->resp, call->arena, "x-odps-task-finalized", "true");
    return EMU_OK;
}

/* GetTaskDetail (?detail or ?instancedetail, &taskname=) [I: the layout of
 * the service's detail JSON is not published; acsemu answers the
 * mapReduce/jobs/tasks/instances nesting pyodps's WorkerDetail2 walks, with
 * no workers, since no worker ran]. */
static emu_rc get_task_detail(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = find_task(call, &in);
    if (rc)
        return rc;
    char *json, *text;
    task_summary(in, call->arena, &json, &text);
    cJSON *j = cJSON_CreateObject();
    cJSON *mr = cJSON_AddObjectToObject(j, "mapReduce");
    cJSON *jobs = cJSON_AddArrayToObject(mr, "jobs");
    cJSON *job = cJSON_CreateObject();
    cJSON_AddStringToObject(job, "name", in->task_name);
    cJSON_AddStringToObject(job, "status", in->result.ok ? "Terminated" : "Failed");
    cJSON_AddNumberToObject(job, "startTime", (double)(in->start_ms / 1000));
    cJSON_AddNumberToObject(job, "endTime", (double)(in->end_ms / 1000));
    cJSON_AddArrayToObject(job, "tasks");
    cJSON_AddItemToArray(jobs, job);
    cJSON_AddStringToObject(mr, "jsonSummary", json);
    cJSON_AddStringToObject(mr, "summary", text);
    free(json);
    free(text);
    json_ok(call, j);
    return EMU_OK;
}

static emu_rc stop_instance(emu_call *call)
{
    odps_instance *in;
    emu_rc rc = find_instance(call, &in);
    if (rc)
        return rc;
    /* Already terminated: nothing to stop. */
    emu_http_resp_set(call->resp, call->arena, 200, NULL, "", 0);
    return EMU_OK;
}

static const emu_action odps_actions[] = {
    {"GetLogviewHost", get_logview_host, "odps:GetLogviewHost", EMU_ACT_READ},
    {"GetWebconsoleHost", not_here, "odps:GetWebconsoleHost", EMU_ACT_READ},
    {"GetTenant", not_here, "odps:GetTenant", EMU_ACT_READ},
    {"GetLogviewToken", not_here, "odps:CreateAuthorization", EMU_ACT_WRITE},
    {"RunSecurityQuery", run_security_query, "odps:Grant", EMU_ACT_WRITE},
    {"GetProject", get_project, "odps:Read", EMU_ACT_READ},
    {"PutLogs", put_logs, "odps:PutLogs", EMU_ACT_WRITE},
    {"GetTunnelService", get_tunnel_service, "odps:Read", EMU_ACT_READ},
    {"CreateDownloadSession", create_download_session, "odps:Read", EMU_ACT_READ},
    {"GetDownloadSession", get_download_session, "odps:Read", EMU_ACT_READ},
    {"DownloadData", download_data, "odps:Read", EMU_ACT_READ},
    {"CreateInstance", create_instance, "odps:CreateInstance", EMU_ACT_WRITE},
    {"GetInstance", get_instance_status, "odps:Read", EMU_ACT_READ},
    {"GetInstanceStatus", get_instance_status, "odps:Read", EMU_ACT_READ},
    {"GetTaskStatus", get_task_status, "odps:Read", EMU_ACT_READ},
    {"GetInstanceResult", get_instance_result, "odps:Read", EMU_ACT_READ},
    {"GetInstanceSource", get_instance_source, "odps:Read", EMU_ACT_READ},
    {"GetInstanceProgress", get_instance_progress, "odps:Read", EMU_ACT_READ},
    {"ListInstances", list_instances, "odps:List", EMU_ACT_READ},
    {"ListTables", list_tables, "odps:List", EMU_ACT_READ},
    {"GetTable", get_table, "odps:Describe", EMU_ACT_READ},
    {"GetTaskSummary", get_task_summary, "odps:Read", EMU_ACT_READ},
    {"GetTaskDetail", get_task_detail, "odps:Read", EMU_ACT_READ},
    {"UnsupportedSubresource", unsupported_subresource, "odps:Read", EMU_ACT_READ},
    {"StopInstance", stop_instance, "odps:Write", EMU_ACT_WRITE},
};

/* ---- render --------------------------------------------------------------------------------- */

static void common_headers(emu_call *call)
{
    emu_http_resp_header(call->resp, call->arena, "x-odps-request-id", call->request_id);
    /* net serializes an unallocated empty body with memcpy(NULL, 0). */
    if (!call->resp->body.len)
        emu_buf_append(&call->resp->body, "", 0);
}

static void odps_render_ok(emu_call *call)
{
    common_headers(call);
}

static void odps_render_err(emu_call *call)
{
    const emu_err *e = &call->err;
    const char *code = e->code ? e->code : "InternalServerError";
    int status = e->status;
    for (size_t i = 0; !status && i < sizeof odps_errors / sizeof odps_errors[0]; i++)
        if (strcmp(odps_errors[i].code, code) == 0)
            status = odps_errors[i].status;
    if (!status)
        status = 500;
    emu_str host = emu_http_req_header(call->req, "host");
    emu_buf b;
    xml_start(&b);
    emu_buf_puts(&b, "<Error>");
    xml_elem(&b, "Code", code);
    emu_buf_puts(&b, "<Message>");
    emu_buf_xml_escape(&b, e->msg, strlen(e->msg));
    if (e->msg_tail)
        emu_buf_xml_escape(&b, e->msg_tail, strlen(e->msg_tail));
    emu_buf_puts(&b, "</Message>");
    xml_elem(&b, "RequestId", call->request_id);
    xml_elem(&b, "HostId",
             host.p ? emu_arena_strndup(call->arena, host.p, host.len > 200 ? 200 : host.len)
                    : "acsemu");
    emu_buf_puts(&b, "</Error>");
    call->resp->n_headers = 0;
    xml_ok(call, status, &b);
    common_headers(call);
}

/* Request bodies over --max-buffered-bytes: MaxCompute's common
 * ServiceUnavailable (503, its documented message); pyodps retries 503 on
 * GET/PUT/DELETE (maxcompute-external-table.md). */
static void odps_busy(emu_call *call)
{
    emu_err_set(&call->err, EMU_E_INTERNAL, "ServiceUnavailable",
                "Service is temporarily unavailable, Please try again later.");
    call->err.status = 503;
}

const emu_service emu_odps_service = {
    .name = "odps",
    .decode = odps_decode,
    .actions = odps_actions,
    .n_actions = sizeof odps_actions / sizeof odps_actions[0],
    .authenticate = authenticate,
    .authorize = odps_authorize,
    .resource = NULL,
    .unknown_action = odps_unknown_action,
    .render_ok = odps_render_ok,
    .render_err = odps_render_err,
    .busy = odps_busy,
};

/* ---- the permission model for the simulator and replay ------------------------------- */

/* emu_authz_rule_model.decide: one decision of the model for the scratch
 * call's principal, through the same acl_note as a request. */
static emu_rc odps_decide(emu_call *call, const char *action, const char *resource, emu_err *err)
{
    const char *project, *table;
    odps_check check;
    uint32_t priv;
    if (!odps__acl_resource(resource, call->arena, &project, &table))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "MaxCompute actions are simulated on acs:odps:*:projects/<p> or "
                           "acs:odps:*:projects/<p>/tables/<t>, not \"%.100s\"",
                           resource ? resource : "");
    if (!odps__acl_check_of(action, table != NULL, &check, &priv))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "\"%.60s\" is not odps:Member, odps:Grant or a MaxCompute %s privilege "
                           "(%s)",
                           action, table ? "table" : "project",
                           table ? "Describe, Select, Alter, Update, Drop"
                                 : "Read, Write, List, CreateTable, CreateInstance, "
                                   "CreateFunction, CreateResource");
    odps_req *r = emu_arena_alloc(call->arena, sizeof *r);
    memset(r, 0, sizeof *r);
    r->project = project;
    r->proj = odps__project_lookup(call->world, project, &r->owner);
    if (!r->proj)
        return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "no MaxCompute project %.100s in the world",
                           project);
    r->table = table;
    call->svc_data = r;
    if (check == ODPS_CHECK_MEMBER)
        return member_allow(call) ? EMU_OK : EMU_E_DENIED;
    if (check == ODPS_CHECK_MANAGER)
        return acl_note(call, ODPS_CHECK_MANAGER, NULL, 0, is_manager(call));
    return acl_allow(call, table, priv) ? EMU_OK : EMU_E_DENIED;
}

static const emu_authz_rule_model odps_rule_model = {
    .action_prefix = "odps:",
    .layer = POLICY_LAYER_MAXCOMPUTE_ACL,
    .first_action = "odps:Member",
    .decide = odps_decide,
    .replay = odps_acl_replay,
};

void emu_odps_register_authz(void)
{
    emu_authz_add_rule_model(&odps_rule_model);
}
