/* The ECS instance metadata service (http://100.100.100.200/latest/...), as
 * far as the SDKs' ECS RAM-role credential providers read it:
 *
 *   PUT /latest/api/token                   a metadata token (hardened
 *       X-aliyun-ecs-metadata-token-ttl-seconds: 1-21600    mode, IMDSv2)
 *   GET /latest/meta-data/ram/security-credentials/       the role's name
 *   GET /latest/meta-data/ram/security-credentials/ROLE   its credentials:
 *       {"AccessKeyId": "STS.…", "AccessKeySecret": "…", "SecurityToken":
 *        "CAIS…", "Expiration": "…Z", "LastUpdated": "…Z", "Code": "Success"}
 * plus the items a program asks about itself: meta-data/ (the list),
 * instance-id, region-id, private-ipv4 (when the world gives one),
 * instance/instance-name, ram/.
 *
 * Which instance is asking: the caller's address (ecs_instance_for_peer),
 * as the cloud knows an instance by its network. A GET carrying
 * X-aliyun-ecs-metadata-token must carry a valid one for that instance
 * (else 401); without one it is answered only when the instance's
 * MetadataOptions.HttpTokens is "optional" (normal mode), else 401.
 * Tokens are HMAC-SHA256 over (instance id, expiry on the virtual clock)
 * with a key drawn from OpenSSL at start-up, so they need no store and
 * nobody can make one without the process; compared in constant time.
 *
 * Credentials: the instance's role, looked up now (RAM may have deleted it),
 * must trust the ECS service: its trust policy is asked like AssumeRole's
 * with the Service principal "<uid>@ecs.aliyuncs.com" presented (a decision
 * record, x-emu-decision). The session is real (auth_session_issue), named
 * after the instance id, assumed by acs:ecs:<region>:<uid>:instance/<id>,
 * valid 6 hours, and handed out again until less than an hour is left, as
 * the cloud refreshes instance credentials ahead of their expiry.
 *
 * Protection: requests must pass the admin guard's browser checks (Host a
 * name of this machine or the --metadata-listen address, no foreign Origin;
 * emu_admin_guard_web), so no DNS-rebinding page reads credentials, and a
 * token PUT that came through a proxy (X-Forwarded-For) is refused.
 *
 * Errors are text/plain, "STATUS - Reason" and a sentence saying what to do
 * [inferred: the cloud's bodies are not documented]. Statuses follow the
 * hardened-mode protocol: 400 for a missing or bad TTL, 401 for a missing,
 * expired or foreign token where one is needed, 403 for a disabled
 * endpoint or a proxied token request, 404 for what the instance has not
 * (no role, another role, unknown item), 405 for the wrong method. Sessions
 * minted here are not journaled by --data-dir [limitation], like those of
 * the credentials URI. Secrets and tokens are never logged. */
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu/admin.h"
#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/crypto.h"
#include "emu/ecs.h"
#include "emu/json.h"
#include "emu/log.h"

#define SESSION_SECONDS 21600 /* [inferred] instance credentials last 6 hours */
#define REUSE_MIN_MS (3600 * 1000)
#define TOKEN_MAC_BYTES 24
#define TOKEN_RAW_BYTES (8 + TOKEN_MAC_BYTES)
#define TOKEN_TEXT_MAX 64

typedef struct md_req {
    ecs_instance *instance;
    world_account *owner;
    emu_str item; /* path after /latest/meta-data/ */
} md_req;

/* --- errors ------------------------------------------------------------------ */

static emu_rc md_fail(emu_call *call, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static emu_rc md_fail(emu_call *call, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->err.msg, sizeof call->err.msg, fmt, ap);
    va_end(ap);
    call->err.rc = status == 404                    ? EMU_E_NOT_FOUND
                   : status == 401 || status == 403 ? EMU_E_DENIED
                                                    : EMU_E_INVALID;
    call->err.status = status;
    call->err.code = status == 400   ? "BadRequest"
                     : status == 401 ? "Unauthorized"
                     : status == 403 ? "Forbidden"
                     : status == 404 ? "NotFound"
                     : status == 405 ? "MethodNotAllowed"
                                     : "InternalError";
    return call->err.rc;
}

static void md_render_err(emu_call *call)
{
    emu_err *e = &call->err;
    int status = e->status ? e->status : 500;
    const char *text =
        emu_arena_sprintf(call->arena, "%d - %s\n%s\n", status, emu_http_reason(status), e->msg);
    call->resp->n_headers = 0;
    emu_http_resp_set(call->resp, call->arena, status, "text/plain; charset=utf-8", text,
                      strlen(text));
}

static void md_render_ok(emu_call *call)
{
    (void)call; /* the handler set the response */
}

static void text(emu_call *call, const char *body)
{
    emu_http_resp_set(call->resp, call->arena, 200, "text/plain", body, strlen(body));
}

/* --- tokens ------------------------------------------------------------------ */

static uint8_t token_key[32];
static bool token_key_set;

static void token_mac(const char *instance_id, const uint8_t exp[8], uint8_t out[TOKEN_MAC_BYTES])
{
    if (!token_key_set) {
        if (RAND_bytes(token_key, sizeof token_key) != 1)
            emu_rand_bytes(token_key, sizeof token_key); /* never expected */
        token_key_set = true;
    }
    uint8_t msg[8 + 128];
    size_t n = strlen(instance_id);
    if (n > 128)
        n = 128;
    memcpy(msg, exp, 8);
    memcpy(msg + 8, instance_id, n);
    uint8_t mac[EMU_SHA256_LEN];
    emu_hmac_sha256(token_key, sizeof token_key, msg, 8 + n, mac);
    memcpy(out, mac, TOKEN_MAC_BYTES);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* NULL when `tok` is a live token of `instance_id`, else why not. */
static const char *token_problem(emu_str tok, const char *instance_id)
{
    uint8_t raw[TOKEN_RAW_BYTES + 4];
    size_t n = 0;
    if (tok.len == 0 || tok.len > TOKEN_TEXT_MAX ||
        !emu_base64_decode(tok.p, tok.len, raw, sizeof raw, &n) || n != TOKEN_RAW_BYTES)
        return "The X-aliyun-ecs-metadata-token is not a token this metadata service issued";
    uint8_t want[TOKEN_MAC_BYTES];
    token_mac(instance_id, raw, want);
    if (!emu_ct_equal(want, sizeof want, raw + 8, TOKEN_MAC_BYTES))
        return "The X-aliyun-ecs-metadata-token was not issued to this instance";
    if ((int64_t)get_u64(raw) <= emu_clock_now_ms())
        return "The X-aliyun-ecs-metadata-token has expired: PUT /latest/api/token for a new one";
    return NULL;
}

/* --- decode ------------------------------------------------------------------ */

static emu_rc md_decode(emu_call *call)
{
    const emu_http_req *req = call->req;
    md_req *r = emu_arena_zalloc(call->arena, sizeof *r);
    call->svc_data = r;
    const char *why = emu_admin_guard_web(call->server->admin_guard, req);
    if (why)
        return md_fail(call, 403, "The metadata service refused this request: %s.", why);

    emu_str path = req->path;
    bool get = emu_str_eq_c(req->method, "GET") || emu_str_eq_c(req->method, "HEAD");
    bool put = emu_str_eq_c(req->method, "PUT");
    static const char md[] = "/latest/meta-data";
    if (emu_str_eq_c(path, "/latest/api/token")) {
        if (!put)
            return md_fail(call, 405, "Ask for a metadata token with PUT /latest/api/token.");
        call->action_name = "GetMetadataToken";
    } else if (emu_str_starts(path, md) &&
               (path.len == sizeof md - 1 || path.p[sizeof md - 1] == '/')) {
        if (!get)
            return md_fail(call, 405, "Metadata items are read with GET.");
        r->item = path.len > sizeof md ? (emu_str){path.p + sizeof md, path.len - sizeof md}
                                       : (emu_str){"", 0};
        call->action_name = emu_str_starts(r->item, "ram/security-credentials/")
                                ? "GetRoleCredentials"
                                : "GetMetadataItem";
    } else if (emu_str_eq_c(path, "/latest") || emu_str_eq_c(path, "/latest/")) {
        if (!get)
            return md_fail(call, 405, "Metadata items are read with GET.");
        call->action_name = "GetMetadataItem";
        r->item = (emu_str){"..", 2};
    } else {
        return md_fail(call, 404,
                       "acsemu's metadata service serves /latest/api/token and "
                       "/latest/meta-data/ (instance-id, region-id, private-ipv4, "
                       "ram/security-credentials/ROLE).");
    }

    bool ambiguous = false;
    r->instance = ecs_instance_for_peer(call->world, req->peer_ip, &r->owner, &ambiguous);
    if (!r->instance)
        return md_fail(call, 404,
                       ambiguous ? "Several instances of the world claim the caller's address %s: "
                                   "give each instance its own PrivateIpAddress."
                                 : "No instance of the world is at the caller's address %s: "
                                   "declare one under an account's \"ECS\": {\"Instances\": "
                                   "[...]} with that PrivateIpAddress (or none, to answer every "
                                   "caller).",
                       req->peer_ip ? req->peer_ip : "-");
    if (r->instance->endpoint_disabled)
        return md_fail(call, 403,
                       "Metadata access is disabled for instance %s (its MetadataOptions."
                       "HttpEndpoint is \"disabled\").",
                       r->instance->id);
    if (put)
        return EMU_OK;
    emu_str tok = emu_http_req_header(req, "x-aliyun-ecs-metadata-token");
    if (tok.p) {
        const char *bad = token_problem(tok, r->instance->id);
        if (bad)
            return md_fail(call, 401, "%s.", bad);
    } else if (r->instance->tokens_required) {
        return md_fail(call, 401,
                       "Instance %s accepts metadata requests in security hardening mode only "
                       "(MetadataOptions.HttpTokens \"required\"): PUT /latest/api/token with "
                       "X-aliyun-ecs-metadata-token-ttl-seconds, then send the token as "
                       "X-aliyun-ecs-metadata-token.",
                       r->instance->id);
    }
    return EMU_OK;
}

static emu_rc md_unknown(emu_call *call)
{
    return md_fail(call, 404, "No such metadata item.");
}

/* --- actions ----------------------------------------------------------------- */

static emu_rc md_token(emu_call *call)
{
    const md_req *r = call->svc_data;
    if (emu_http_req_header(call->req, "x-forwarded-for").p)
        return md_fail(call, 403,
                       "A metadata token request that went through a proxy (X-Forwarded-For) is "
                       "refused: ask from the instance itself.");
    emu_str ttl = emu_http_req_header(call->req, "x-aliyun-ecs-metadata-token-ttl-seconds");
    long secs = 0;
    bool ok = ttl.p && ttl.len > 0 && ttl.len <= 5;
    for (size_t i = 0; ok && i < ttl.len; i++) {
        ok = ttl.p[i] >= '0' && ttl.p[i] <= '9';
        secs = secs * 10 + (ttl.p[i] - '0');
    }
    if (!ok || secs < 1 || secs > ECS_METADATA_TOKEN_MAX_TTL)
        return md_fail(call, 400,
                       "Missing or invalid X-aliyun-ecs-metadata-token-ttl-seconds: the token's "
                       "lifetime in seconds, 1-%d.",
                       ECS_METADATA_TOKEN_MAX_TTL);
    uint8_t raw[TOKEN_RAW_BYTES];
    put_u64(raw, (uint64_t)(emu_clock_now_ms() + secs * 1000));
    token_mac(r->instance->id, raw, raw + 8);
    char *tok = emu_arena_alloc(call->arena, TOKEN_TEXT_MAX);
    size_t n = emu_base64_encode(raw, sizeof raw, tok);
    tok[n] = 0;
    text(call, tok);
    emu_http_resp_header(call->resp, call->arena, "X-aliyun-ecs-metadata-token-ttl-seconds",
                         emu_arena_sprintf(call->arena, "%ld", secs));
    return EMU_OK;
}

static emu_rc md_item(emu_call *call)
{
    const md_req *r = call->svc_data;
    const ecs_instance *in = r->instance;
    emu_str it = r->item;
    const char *v = NULL;
    if (emu_str_eq_c(it, ".."))
        v = "meta-data";
    else if (it.len == 0)
        v = in->private_ip ? "instance-id\ninstance/\nprivate-ipv4\nram/\nregion-id"
                           : "instance-id\ninstance/\nram/\nregion-id";
    else if (emu_str_eq_c(it, "instance-id"))
        v = in->id;
    else if (emu_str_eq_c(it, "region-id"))
        v = in->region ? in->region : world_region(call->world);
    else if (emu_str_eq_c(it, "private-ipv4"))
        v = in->private_ip;
    else if (emu_str_eq_c(it, "instance/") || emu_str_eq_c(it, "instance"))
        v = in->name ? "instance-name" : "";
    else if (emu_str_eq_c(it, "instance/instance-name"))
        v = in->name;
    else if (emu_str_eq_c(it, "ram/") || emu_str_eq_c(it, "ram"))
        v = "security-credentials/";
    if (!v)
        return md_fail(call, 404, "Instance %s has no metadata item \"%.*s\".", in->id,
                       (int)(it.len > 100 ? 100 : it.len), it.p);
    text(call, v);
    return EMU_OK;
}

/* The session to hand out for the instance's role: the last one while it
 * has more than an hour left, else a new one. */
static const world_session *session_for(emu_call *call, ecs_instance *in, world_account *a,
                                        const world_role *role)
{
    int64_t now = emu_clock_now_ms();
    if (in->session_key_id) {
        const world_session *s =
            world_session_find(call->world, in->session_key_id, strlen(in->session_key_id));
        if (s && s->role_id && strcmp(s->role_id, role->id) == 0 &&
            strcmp(s->account_id, a->id) == 0 && s->expire_ms - now > REUSE_MIN_MS)
            return s;
    }
    const char *region = in->region ? in->region : world_region(call->world);
    auth_session_request sreq = {
        .account = a,
        .role = role,
        .session_name = in->id,
        .source_arn = emu_arena_concat(call->arena, "acs:ecs:", region, ":", a->id, ":instance/",
                                       in->id, NULL),
        .now_ms = now,
        .duration_ms = (int64_t)SESSION_SECONDS * 1000,
    };
    const world_session *s = NULL;
    emu_err ierr = {0};
    if (auth_session_issue(call->world, &sreq, &s, &ierr) != EMU_OK) {
        emu_log(EMU_LOG_ERROR, "ERR InternalError ecs-metadata: issuing a session failed: %s",
                ierr.msg);
        return NULL;
    }
    free(in->session_key_id);
    in->session_key_id = emu_xstrdup(s->access_key_id);
    return s;
}

static emu_rc md_credentials(emu_call *call)
{
    md_req *r = call->svc_data;
    ecs_instance *in = r->instance;
    emu_str name = {r->item.p + 25, r->item.len - 25}; /* after ram/security-credentials/ */
    if (!in->role_name)
        return md_fail(call, 404,
                       "Instance %s has no RAM role attached: give it a \"RamRoleName\" in the "
                       "world.",
                       in->id);
    if (name.len == 0) {
        text(call, in->role_name);
        return EMU_OK;
    }
    if (name.len != strlen(in->role_name) || strncasecmp(name.p, in->role_name, name.len) != 0)
        return md_fail(call, 404, "Instance %s has the RAM role \"%s\", not \"%.*s\".", in->id,
                       in->role_name, (int)(name.len > 64 ? 64 : name.len), name.p);
    world_role *role = world_role_find(r->owner, in->role_name);
    if (!role)
        return md_fail(call, 404,
                       "The RAM role \"%s\" of instance %s is not in account %s (deleted?): "
                       "create it again, or attach another.",
                       in->role_name, in->id, r->owner->id);

    const char *role_arn = emu_arena_concat(call->arena, "acs:ram::", r->owner->id, ":role/",
                                            emu_arena_strdup(call->arena, role->name), NULL);
    for (char *p = strstr(role_arn, ":role/") + 6; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    policy_principal ecs = {POLICY_PRINCIPAL_SERVICE,
                            emu_arena_concat(call->arena, r->owner->id, "@ecs.aliyuncs.com", NULL)};
    emu_authz_req areq = {
        .action = "sts:AssumeRole",
        .resource = role_arn,
        .resource_account = r->owner->id,
        .trust = role->trust,
        .presented = &ecs,
    };
    emu_rc rc = emu_authz_check(call, &areq);
    if (rc == EMU_E_DENIED) {
        call->denial = NULL;
        call->resp->n_headers = 0;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "Code", "InvalidRamRole.NotEcsRole");
        cJSON_AddStringToObject(
            j, "Message",
            emu_arena_sprintf(call->arena,
                              "The role %s does not trust ECS: its trust policy must allow "
                              "the Service ecs.aliyuncs.com to sts:AssumeRole (%s).",
                              role_arn, call->reason ? call->reason : "denied"));
        char *body = emu_json_print_to_arena(call->arena, j);
        cJSON_Delete(j);
        emu_http_resp_set(call->resp, call->arena, 403, "application/json", body, strlen(body));
        return EMU_OK; /* answered */
    }
    if (rc)
        return rc;

    const world_session *s = session_for(call, in, r->owner, role);
    if (!s)
        return md_fail(call, 500, "Issuing the role's session failed.");
    char exp[21], upd[21];
    emu_time_iso(s->expire_ms, exp);
    emu_time_iso(s->create_ms, upd);
    cJSON *j = cJSON_CreateObject();
    emu_json_add_str_ref(j, "AccessKeyId", s->access_key_id);
    emu_json_add_str_ref(j, "AccessKeySecret", s->secret);
    emu_json_add_str_ref(j, "Expiration", exp);
    emu_json_add_str_ref(j, "SecurityToken", s->token);
    emu_json_add_str_ref(j, "LastUpdated", upd);
    emu_json_add_str_ref(j, "Code", "Success");
    char *body = emu_json_print_to_arena(call->arena, j);
    cJSON_Delete(j);
    emu_http_resp_set(call->resp, call->arena, 200, "text/plain", body, strlen(body));
    return EMU_OK;
}

static const emu_action md_actions[] = {
    {"GetMetadataToken", md_token, NULL, EMU_ACT_READ},
    {"GetMetadataItem", md_item, NULL, EMU_ACT_READ},
    {"GetRoleCredentials", md_credentials, NULL, EMU_ACT_READ},
};

const emu_service emu_ecs_metadata_service = {
    .name = "ecs-metadata",
    .decode = md_decode,
    .actions = md_actions,
    .n_actions = sizeof md_actions / sizeof md_actions[0],
    .authenticate = NULL,
    .authorize = NULL,
    .unknown_action = md_unknown,
    .render_ok = md_render_ok,
    .render_err = md_render_err,
};
