/* The RPC request style shared by STS and RAM (rpc-api.md §2.5, §5, §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/auth.h"
#include "emu/authz.h"
#include "emu/buf.h"
#include "emu/clock.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/log.h"
#include "emu/rpc.h"
#include "emu/str.h"

static const struct {
    const char *code;
    int status;
} rpc_errors[] = {
#define RPC_ERROR(code, status) {code, status},
#include "rpc_errors.def"
#undef RPC_ERROR
};

int emu_rpc_status(const char *code)
{
    if (!code)
        return 0;
    for (size_t i = 0; i < sizeof rpc_errors / sizeof rpc_errors[0]; i++)
        if (strcmp(rpc_errors[i].code, code) == 0)
            return rpc_errors[i].status;
    return 0;
}

/* Whether s holds text a C string and a JSON export can keep. */
static bool text_ok(emu_str s)
{
    return !memchr(s.p, 0, s.len) && emu_utf8_bad_at(s.p, s.len) == s.len;
}

/* A parameter name for a message: bytes outside printable ASCII as \xNN. */
static const char *printable(emu_arena *a, emu_str s)
{
    char *out = emu_arena_alloc(a, s.len * 4 + 1), *o = out;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            *o++ = (char)c;
        else
            o += sprintf(o, "\\x%02X", c);
    }
    *o = '\0';
    return out;
}

/* The gateway reads parameters as text (see emu_rpc_decode in emu/rpc.h). */
static emu_rc check_text(emu_call *call, const rpc_request *r, const emu_rpc_param_rule *rules)
{
    for (size_t i = 0; i < r->params.n; i++) {
        const sig_param *p = &r->params.v[i];
        bool name_ok = text_ok(p->name);
        if (name_ok && text_ok(p->value))
            continue;
        for (const emu_rpc_param_rule *k = rules; name_ok && k && k->param; k++) {
            if (emu_str_eq_c(p->name, k->param)) {
                emu_err_set(&call->err, EMU_E_INVALID, k->code, "%s", k->message);
                call->err.status = 400;
                return EMU_E_INVALID;
            }
        }
        return emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter",
                           "The specified parameter \"%s\" is not valid.",
                           printable(call->arena, p->name));
    }
    return EMU_OK;
}

emu_rc emu_rpc_decode(emu_call *call)
{
    const emu_http_req *req = call->req;
    emu_server *s = call->server;
    rpc_request *r = emu_arena_zalloc(call->arena, sizeof *r);
    emu_str ct = emu_http_req_header(req, "content-type");
    emu_str body = EMU_STR_NULL;
    bool bad_ctype = false;
    emu_err perr = {0};

    call->svc_data = r;
    if (req->body_len) {
        if (sig_is_form_content_type(ct))
            body = (emu_str){(const char *)req->body, req->body_len};
        else
            bad_ctype = !emu_str_istarts(ct, "application/json");
    }
    /* One parser for routing, handlers and the V1 signature, so what is
     * signed is exactly what the handler reads. */
    emu_rc rc = sig_params_parse(call->arena, req->query, body, &r->params, &perr);
    r->query_only = body.p == NULL;
    if (rc == EMU_E_LIMIT)
        return emu_err_set(&call->err, EMU_E_LIMIT, "InvalidParameter",
                           "More than %d request parameters.", EMU_MAX_PARAMS);
    if (rc)
        return emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter",
                           "The request contains a malformed percent-encoding (%s).", perr.msg);
    const char *fmt = emu_rpc_param(call, "Format");
    r->xml = fmt && emu_strcasecmp(fmt, "XML") == 0;
    if (bad_ctype)
        return emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter.ContentType",
                           "The ContentType request header must be either "
                           "\"application/json\" or \"application/x-www-form-urlencoded\".");
    r->action = emu_rpc_param(call, "Action");
    if (!r->action) {
        emu_str h = emu_http_req_header(req, "x-acs-action");
        if (h.p)
            r->action = emu_arena_strndup(call->arena, h.p, h.len);
    }
    r->version = emu_rpc_param(call, "Version");
    if (!r->version) {
        emu_str h = emu_http_req_header(req, "x-acs-version");
        if (h.p)
            r->version = emu_arena_strndup(call->arena, h.p, h.len);
    }
    r->v3 = emu_http_req_header(req, "authorization").p != NULL;
    call->action_name = r->action;

    /* Pick the product by Version (DESIGN.md §1: the same port serves STS and
     * RAM, so Version decides, not Host). */
    const emu_service *svc = NULL;
    for (size_t i = 0; r->version && i < s->n_rpc; i++)
        if (strcmp(s->rpc_versions[i], r->version) == 0)
            svc = s->rpc[i];
    if (!svc) {
        /* Render the error as the product the Host names, else the first. */
        emu_str host = emu_http_req_header(req, "host");
        call->svc = s->rpc[0];
        for (size_t i = 0; i < s->n_rpc; i++) {
            size_t n = strlen(s->rpc[i]->name);
            if (host.len > n && emu_str_istarts(host, s->rpc[i]->name) &&
                (host.p[n] == '.' || host.p[n] == '-'))
                call->svc = s->rpc[i];
        }
        return emu_err_set(&call->err, EMU_E_INVALID, "InvalidVersion",
                           "Specified parameter Version is not valid.");
    }
    call->svc = svc;
    if ((rc = check_text(call, r, svc->param_rules)))
        return rc;
    if (!r->action)
        return emu_err_set(&call->err, EMU_E_INVALID, "MissingParameter",
                           "The input parameter \"Action\" that is mandatory for processing "
                           "this request is not supplied.");
    return EMU_OK;
}

void emu_rpc_busy(emu_call *call)
{
    /* Decoded for the answer's shape only (Format, Version from the query);
     * whatever it says about the missing body is replaced below. */
    (void)emu_rpc_decode(call);
    memset(&call->err, 0, sizeof call->err);
    emu_err_set(&call->err, EMU_E_INTERNAL, "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.");
    call->err.status = 503;
}

const char *emu_rpc_param(const emu_call *call, const char *name)
{
    const rpc_request *r = call->svc_data;
    if (!r)
        return NULL;
    /* sig_params values are NUL-terminated copies in the arena. */
    const sig_param *p = sig_params_find(&r->params, name);
    return p ? p->value.p : NULL;
}

static emu_rc missing(emu_call *call, const char *name)
{
    return emu_err_set(&call->err, EMU_E_INVALID, "MissingParameter",
                       "The input parameter \"%s\" that is mandatory for processing this "
                       "request is not supplied.",
                       name);
}

emu_rc emu_rpc_require(emu_call *call, const char *name, const char **out)
{
    *out = emu_rpc_param(call, name);
    if (*out && **out)
        return EMU_OK;
    return missing(call, name);
}

emu_rc emu_rpc_unknown_action(emu_call *call)
{
    return emu_err_set(&call->err, EMU_E_UNSUPPORTED, "InvalidAction.NotFound",
                       "Specified api is not found, please check your url and method.");
}

/* --- authentication (rpc-api.md §3-§5, §7) -------------------------------- */

#define RPC_MAX_SKEW_MS (15LL * 60 * 1000)

static emu_rc invalid_param(emu_call *call, const char *name)
{
    return emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter",
                       "The specified parameter \"%s\" is not valid.", name);
}

static emu_rc incomplete_signature(emu_call *call)
{
    return emu_err_set(&call->err, EMU_E_AUTH, "IncompleteSignature",
                       "The request signature does not conform to Aliyun standards.");
}

emu_rc emu_rpc_auth_error(emu_err *err, auth_failure why)
{
    switch (why) {
    case AUTH_KEY_INACTIVE:
        return emu_err_set(err, EMU_E_AUTH, "InvalidAccessKeyId.Inactive",
                           "Specified access key is disabled.");
    case AUTH_TOKEN_MISSING:
        return emu_err_set(err, EMU_E_AUTH, "MissingSecurityToken",
                           "SecurityToken is mandatory for this action.");
    case AUTH_TOKEN_MALFORMED:
        return emu_err_set(err, EMU_E_AUTH, "InvalidSecurityToken.Malformed",
                           "Specified SecurityToken is malformed.");
    case AUTH_TOKEN_MISMATCH:
        return emu_err_set(err, EMU_E_AUTH, "InvalidSecurityToken.MismatchWithAccessKey",
                           "Specified SecurityToken mismatch with the AccessKey.");
    case AUTH_TOKEN_EXPIRED:
        return emu_err_set(err, EMU_E_AUTH, "InvalidSecurityToken.Expired",
                           "Specified SecurityToken is expired.");
    case AUTH_OK:
    case AUTH_KEY_NOT_FOUND:
        break;
    }
    return emu_err_set(err, EMU_E_AUTH, "InvalidAccessKeyId.NotFound",
                       "Specified access key is not found.");
}

static emu_rc expired(emu_call *call)
{
    return emu_err_set(&call->err, EMU_E_INVALID, "InvalidTimeStamp.Expired",
                       "Specified time stamp or date value is expired.");
}

/* Timestamp / x-acs-date: "YYYY-MM-DDThh:mm:ssZ" (a fraction is tolerated,
 * rpc-api.md §5), within 15 minutes of the REAL clock either way
 * (DESIGN.md §2: moving the virtual clock must not break signing). */
static emu_rc check_date(emu_call *call, emu_str ts, int64_t *ts_ms)
{
    int64_t ms;
    if (!emu_time_parse_iso(ts.p, ts.len, false, &ms))
        return emu_err_set(&call->err, EMU_E_INVALID, "InvalidTimeStamp.Format",
                           "Specified time stamp or date value is not well formatted.");
    int64_t skew = call->server->max_skew_ms ? call->server->max_skew_ms : RPC_MAX_SKEW_MS;
    int64_t d = emu_clock_real_ms() - ms;
    if (d > skew || d < -skew)
        return expired(call);
    *ts_ms = ms;
    return EMU_OK;
}

static emu_rc resolve(emu_call *call, emu_str ak, emu_str token)
{
    auth_failure why;
    emu_err e;
    emu_err_init(&e);
    if (auth_resolve(call->world, ak, token, emu_clock_now_ms(), call->arena, &call->principal,
                     &why, &e) == EMU_OK)
        return EMU_OK;
    /* The reason goes to the access log; it never contains the token. */
    call->reason = auth_failure_name(why);
    return emu_rpc_auth_error(&call->err, why);
}

/* Parameters whose repetition would make the caller's identity or the
 * signed text ambiguous. */
static const char *const v1_single[] = {
    "AccessKeyId", "Signature",     "SignatureMethod", "SignatureVersion", "SignatureNonce",
    "Timestamp",   "SecurityToken", "Action",          "Version",          NULL};

static emu_rc auth_v1(emu_call *call, const rpc_request *r, emu_str *ak, emu_str *nonce,
                      int64_t *ts_ms)
{
    static const char *const required[] = {
        "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
        "Timestamp",   NULL};
    emu_rc rc;

    for (const char *const *n = v1_single; *n; n++) {
        const sig_param *p = sig_params_find(&r->params, *n);
        if (p && p->count > 1)
            return invalid_param(call, *n);
    }
    for (const char *const *n = required; *n; n++)
        if (!sig_params_get(&r->params, *n).len)
            return missing(call, *n);
    if (!emu_str_eq_c(sig_params_get(&r->params, "SignatureMethod"), "HMAC-SHA1"))
        return emu_err_set(&call->err, EMU_E_AUTH, "InvalidSignatureMethod",
                           "Specified signature method is not supported.");
    if (!emu_str_eq_c(sig_params_get(&r->params, "SignatureVersion"), "1.0"))
        return incomplete_signature(call);
    if ((rc = check_date(call, sig_params_get(&r->params, "Timestamp"), ts_ms)))
        return rc;
    *ak = sig_params_get(&r->params, "AccessKeyId");
    *nonce = sig_params_get(&r->params, "SignatureNonce");
    if ((rc = resolve(call, *ak, sig_params_get(&r->params, "SecurityToken"))))
        return rc;
    rc = sig_v1_verify(call->arena, call->req->method, &r->params,
                       emu_str_c(call->principal.secret), NULL, &call->err);
    if (rc == EMU_E_AUTH)
        call->err.code = "SignatureDoesNotMatch";
    else if (rc)
        return emu_err_set(&call->err, rc, "InvalidParameter", "%s", call->err.msg);
    return rc;
}

/* Headers that must appear once in a V3 request. */
static const char *const v3_single[] = {"authorization",        "host",
                                        "x-acs-action",         "x-acs-version",
                                        "x-acs-date",           "x-acs-signature-nonce",
                                        "x-acs-content-sha256", "x-acs-security-token",
                                        "x-acs-accesskey-id",   NULL};

static emu_rc auth_v3(emu_call *call, const rpc_request *r, emu_str *ak, emu_str *nonce,
                      int64_t *ts_ms)
{
    const emu_http_req *req = call->req;
    sig_v3_auth auth;
    emu_err perr = {0};
    emu_rc rc;

    for (const char *const *n = v3_single; *n; n++)
        if (emu_http_req_header_count(req, *n) > 1)
            return invalid_param(call, *n);
    rc = sig_v3_parse_auth(call->arena, emu_http_req_header(req, "authorization"), &auth, &perr);
    if (rc == EMU_E_UNSUPPORTED)
        return emu_err_set(&call->err, EMU_E_AUTH, "InvalidSignatureMethod",
                           "Specified signature method is not supported.");
    if (rc)
        return incomplete_signature(call);
    if (r->query_only)
        auth.query = &r->params; /* V3 signs the query alone: parsed once */
    const char *absent = sig_v3_missing_header(&auth, req);
    if (absent) {
        /* Sent but left out of SignedHeaders: the signature is incomplete. */
        if (emu_http_req_header(req, absent).p)
            return incomplete_signature(call);
        return missing(call, absent);
    }
    emu_str date = emu_str_trim(emu_http_req_header(req, "x-acs-date"));
    if ((rc = check_date(call, date, ts_ms)))
        return rc;
    *ak = auth.credential;
    *nonce = emu_str_trim(emu_http_req_header(req, "x-acs-signature-nonce"));
    if (!nonce->len)
        return missing(call, "x-acs-signature-nonce");
    emu_str token = emu_str_trim(emu_http_req_header(req, "x-acs-security-token"));
    if (!token.p)
        token = sig_params_get(&r->params, "SecurityToken");
    if ((rc = resolve(call, *ak, token)))
        return rc;
    rc =
        sig_v3_verify(call->arena, req, &auth, emu_str_c(call->principal.secret), NULL, &call->err);
    if (rc == EMU_E_AUTH)
        call->err.code = "SignatureDoesNotMatch";
    else if (rc)
        return emu_err_set(&call->err, rc, "InvalidParameter", "%s", call->err.msg);
    return rc;
}

emu_rc emu_rpc_authenticate(emu_call *call)
{
    const rpc_request *r = call->svc_data;
    emu_server *s = call->server;
    emu_str ak, nonce;
    int64_t ts_ms = 0;
    emu_rc rc =
        r->v3 ? auth_v3(call, r, &ak, &nonce, &ts_ms) : auth_v1(call, r, &ak, &nonce, &ts_ms);

    if (rc)
        return rc;
    /* Replay check last: only a verified signature may use up a nonce. The
     * window is twice the skew: a request may be signed that far ahead. */
    if (!s->nonces) {
        int64_t skew = s->max_skew_ms ? s->max_skew_ms : RPC_MAX_SKEW_MS;
        s->nonces = auth_nonce_cache_new(s->nonce_cache ? s->nonce_cache : AUTH_NONCE_MAX_ENTRIES,
                                         2 * skew);
    }
    switch (
        auth_nonce_check_and_record(s->nonces, ak, nonce, ts_ms, (int64_t)emu_clock_mono_ms())) {
    case AUTH_NONCE_NEW:
        break;
    case AUTH_NONCE_REPLAY:
        return emu_err_set(&call->err, EMU_E_AUTH, "SignatureNonceUsed",
                           "Specified signature nonce was used already.");
    case AUTH_NONCE_TOO_OLD:
        /* Its nonce may have been forgotten under pressure (emu/auth.h). */
        call->reason = "signed before the replay cache's floor";
        return expired(call);
    }
    return EMU_OK;
}

/* --- rendering ------------------------------------------------------------ */

static void xml_value(emu_buf *b, const cJSON *v);

/* An array under key K becomes repeated <K> elements (rpc-api.md §6.1:
 * {"Roles":{"Role":[...]}} → <Roles><Role/>...<Role/></Roles>). */
static void xml_member(emu_buf *b, const char *key, const cJSON *v)
{
    if (cJSON_IsArray(v)) {
        for (const cJSON *c = v->child; c; c = c->next)
            xml_member(b, key, c);
        return;
    }
    emu_buf_printf(b, "<%s>", key);
    xml_value(b, v);
    emu_buf_printf(b, "</%s>", key);
}

static void xml_value(emu_buf *b, const cJSON *v)
{
    char num[64];
    if (cJSON_IsObject(v)) {
        for (const cJSON *c = v->child; c; c = c->next)
            xml_member(b, c->string, c);
    } else if (cJSON_IsString(v)) {
        emu_buf_xml_escape(b, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsBool(v)) {
        emu_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        if (v->valuedouble == (double)(long long)v->valuedouble)
            snprintf(num, sizeof num, "%lld", (long long)v->valuedouble);
        else
            snprintf(num, sizeof num, "%.17g", v->valuedouble);
        emu_buf_puts(b, num);
    }
}

/* Can't happen: response bodies are capped far above anything RPC answers
 * hold; a 500 rather than a truncated body. */
static void answer_too_large(emu_http_resp *resp)
{
    resp->status = 500;
    emu_buf_reset(&resp->body);
}

static void render(emu_call *call, int status, cJSON *body, const char *root)
{
    const rpc_request *r = call->svc_data;
    emu_http_resp *resp = call->resp;

    emu_http_resp_header(resp, call->arena, "x-acs-request-id", call->request_id);
    if (r && r->xml) {
        emu_buf b;
        emu_buf_init(&b, EMU_MAX_BODY_BYTES);
        emu_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        xml_member(&b, root, body);
        /* Exactly this content type: the tea SDK parses XML errors only then
         * (rpc-api.md §6.2). */
        emu_http_resp_set(resp, call->arena, status, "text/xml;charset=utf-8", b.p, b.len);
        emu_buf_dispose(&b);
    } else {
        emu_http_resp_set(resp, call->arena, status, "application/json;charset=utf-8", NULL, 0);
        if (!emu_json_write(&resp->body, body))
            answer_too_large(resp);
    }
}

/* JSON answers are written straight from the handler's result: RequestId
 * first, then its fields in the handler's order (no re-parented tree). */
static void render_ok_json(emu_call *call, const cJSON *result)
{
    emu_http_resp *resp = call->resp;
    emu_buf *b = &resp->body;
    emu_http_resp_header(resp, call->arena, "x-acs-request-id", call->request_id);
    emu_http_resp_set(resp, call->arena, 200, "application/json;charset=utf-8", NULL, 0);
    bool ok = emu_buf_append(b, "{\"RequestId\":\"", 14) && emu_buf_puts(b, call->request_id) &&
              emu_buf_putc(b, '"');
    if (result && result->child)
        ok = ok && emu_buf_putc(b, ',') && emu_json_write_members(b, result);
    if (!ok || !emu_buf_putc(b, '}'))
        answer_too_large(resp);
}

void emu_rpc_render_ok(emu_call *call)
{
    const rpc_request *r = call->svc_data;
    if (!(r && r->xml)) {
        render_ok_json(call, call->result);
        cJSON_Delete(call->result);
        call->result = NULL;
        return;
    }
    cJSON *result = call->result ? call->result : cJSON_CreateObject();
    cJSON *body = cJSON_CreateObject();
    /* RequestId first, then the action's fields in the handler's order. */
    cJSON_AddStringToObject(body, "RequestId", call->request_id);
    while (result->child) {
        cJSON *c = cJSON_DetachItemViaPointer(result, result->child);
        cJSON_AddItemToObject(body, c->string, c);
    }
    cJSON_Delete(result);
    call->result = NULL;
    const char *action = call->action_name ? call->action_name : "Unknown";
    char root[160];
    snprintf(root, sizeof root, "%sResponse", action);
    render(call, 200, body, root);
    cJSON_Delete(body);
}

void emu_rpc_render_err(emu_call *call)
{
    const rpc_request *r = call->svc_data;
    emu_err *e = &call->err;
    const char *code = e->code;
    int status = e->status;

    if (call->result) {
        cJSON_Delete(call->result);
        call->result = NULL;
    }
    if (!code) {
        switch (e->rc) {
        case EMU_E_NOT_FOUND:
            code = "InvalidParameter";
            break;
        case EMU_E_DENIED:
            code = "NoPermission";
            break;
        case EMU_E_UNSUPPORTED:
            code = "InvalidAction.NotFound";
            break;
        case EMU_E_INTERNAL:
            code = "InternalError";
            break;
        default:
            code = "InvalidParameter";
            break;
        }
    }
    if (!status)
        status = emu_rpc_status(code);
    if (!status) {
        switch (e->rc) {
        case EMU_E_NOT_FOUND:
            status = 404;
            break;
        case EMU_E_EXISTS:
        case EMU_E_LIMIT:
        case EMU_E_CONFLICT:
            status = 409;
            break;
        case EMU_E_DENIED:
            status = 403;
            break;
        case EMU_E_INTERNAL:
            status = 500;
            break;
        default:
            status = 400;
        }
    }
    emu_str host = emu_http_req_header(call->req, "host");
    const char *product = r && r->product ? r->product : (call->svc ? call->svc->name : "");
    char prod[16];
    snprintf(prod, sizeof prod, "%s", product);
    if (prod[0] >= 'a' && prod[0] <= 'z')
        prod[0] = (char)(prod[0] - 32);

    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "RequestId", call->request_id);
    cJSON_AddStringToObject(body, "HostId",
                            host.p ? emu_arena_strndup(call->arena, host.p, host.len) : "");
    cJSON_AddStringToObject(body, "Code", code);
    char *msg = e->msg_tail ? emu_arena_sprintf(call->arena, "%s%s", e->msg, e->msg_tail) : e->msg;
    cJSON_AddStringToObject(body, "Message", msg);
    cJSON_AddStringToObject(body, "Recommend",
                            emu_arena_sprintf(call->arena,
                                              "https://api.aliyun.com/troubleshoot?q=%s&product=%s"
                                              "&requestId=%s",
                                              code, prod, call->request_id));
    /* Authorization failures carry AccessDeniedDetail (rpc-api.md §6.2); the
     * tea SDK copies it into error.accessDeniedDetail. */
    if (call->denial) {
        const emu_authz_denial *d = call->denial;
        cJSON *det = cJSON_AddObjectToObject(body, "AccessDeniedDetail");
        cJSON_AddStringToObject(det, "PolicyType", d->policy_type);
        cJSON_AddStringToObject(det, "AuthPrincipalOwnerId", d->principal_owner_id);
        cJSON_AddStringToObject(det, "AuthPrincipalType", d->principal_type);
        cJSON_AddStringToObject(det, "AuthPrincipalDisplayName", d->principal_name);
        cJSON_AddStringToObject(det, "NoPermissionType", d->no_permission_type);
        cJSON_AddStringToObject(det, "AuthAction", d->auth_action);
        if (d->encoded_diagnostic_message)
            cJSON_AddStringToObject(det, "EncodedDiagnosticMessage", d->encoded_diagnostic_message);
    }
    e->code = code;
    render(call, status, body, "Error");
    cJSON_Delete(body);
}
