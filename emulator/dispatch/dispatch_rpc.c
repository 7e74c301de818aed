/* The RPC request style shared by STS and RAM (rpc-api.md §2.5, §5, §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/buf.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/log.h"
#include "emu/rpc.h"

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

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Form-style percent-decoding ('+' is a space). Returns NULL on a malformed
 * escape. */
static char *pct_decode(emu_arena *a, const char *s, size_t n)
{
    char *out = emu_arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
                return NULL;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static emu_rc parse_pairs(emu_call *call, rpc_request *r, emu_str raw)
{
    const char *p = raw.p, *end = raw.p + raw.len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if (stop > p) {
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            const char *nend = eq ? eq : stop;
            if (r->n_params >= EMU_MAX_PARAMS)
                return emu_err_set(&call->err, EMU_E_LIMIT, "InvalidParameter",
                                   "More than %d request parameters.", EMU_MAX_PARAMS);
            char *name = pct_decode(call->arena, p, (size_t)(nend - p));
            char *value = eq ? pct_decode(call->arena, eq + 1, (size_t)(stop - eq - 1))
                             : emu_arena_strdup(call->arena, "");
            if (!name || !value)
                return emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter",
                                   "The request contains a malformed percent-encoding.");
            /* Body after query: a later duplicate replaces the earlier one
             * (rpc-api.md §2.5: prefer the body [inferred]). */
            size_t k;
            for (k = 0; k < r->n_params; k++)
                if (strcmp(r->params[k].name, name) == 0)
                    break;
            r->params[k].name = name;
            r->params[k].value = value;
            if (k == r->n_params)
                r->n_params++;
        }
        p = stop + 1;
    }
    return EMU_OK;
}

emu_rc emu_rpc_decode(emu_call *call)
{
    const emu_http_req *req = call->req;
    emu_server *s = call->server;
    rpc_request *r = emu_arena_zalloc(call->arena, sizeof *r);
    emu_rc rc;

    call->svc_data = r;
    r->params = emu_arena_zalloc(call->arena, EMU_MAX_PARAMS * sizeof *r->params);
    if ((rc = parse_pairs(call, r, req->query)))
        return rc;
    emu_str ct = emu_http_req_header(req, "content-type");
    if (req->body_len) {
        if (emu_str_istarts(ct, "application/x-www-form-urlencoded")) {
            if ((rc = parse_pairs(call, r, (emu_str){(const char *)req->body, req->body_len})))
                return rc;
        } else if (!emu_str_istarts(ct, "application/json")) {
            return emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter.ContentType",
                               "The ContentType request header must be either "
                               "\"application/json\" or \"application/x-www-form-urlencoded\".");
        }
    }
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
    const char *fmt = emu_rpc_param(call, "Format");
    r->xml = fmt && emu_strcasecmp(fmt, "XML") == 0;
    emu_str auth = emu_http_req_header(req, "authorization");
    r->v3 = emu_str_starts(auth, "ACS3-");
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
    if (!r->action)
        return emu_err_set(&call->err, EMU_E_INVALID, "MissingParameter",
                           "The input parameter \"Action\" that is mandatory for processing "
                           "this request is not supplied.");
    return EMU_OK;
}

const char *emu_rpc_param(const emu_call *call, const char *name)
{
    const rpc_request *r = call->svc_data;
    if (!r)
        return NULL;
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}

emu_rc emu_rpc_require(emu_call *call, const char *name, const char **out)
{
    *out = emu_rpc_param(call, name);
    if (*out && **out)
        return EMU_OK;
    return emu_err_set(&call->err, EMU_E_INVALID, "MissingParameter",
                       "The input parameter \"%s\" that is mandatory for processing this "
                       "request is not supplied.",
                       name);
}

emu_rc emu_rpc_unknown_action(emu_call *call)
{
    return emu_err_set(&call->err, EMU_E_UNSUPPORTED, "InvalidAction.NotFound",
                       "Specified api is not found, please check your url and method.");
}

/* Until request signatures are verified (the signatures issue), the caller is
 * identified by its AccessKeyId alone: from the AccessKeyId parameter (V1)
 * or the Credential of an ACS3 Authorization header (V3). The principal it
 * produces is already the real one. */
emu_rc emu_rpc_authenticate(emu_call *call)
{
    const rpc_request *r = call->svc_data;
    const char *ak = emu_rpc_param(call, "AccessKeyId");
    char akbuf[256];
    world_key_ref ref;

    if (!ak && r->v3) {
        emu_str auth = emu_http_req_header(call->req, "authorization");
        const char *c = memmem(auth.p, auth.len, "Credential=", 11);
        if (c) {
            c += 11;
            size_t n = 0;
            while (c + n < auth.p + auth.len && c[n] != ',' && n < sizeof akbuf - 1)
                n++;
            memcpy(akbuf, c, n);
            akbuf[n] = '\0';
            ak = akbuf;
        }
    }
    if (!ak || !*ak)
        return emu_err_set(&call->err, EMU_E_AUTH, "MissingParameter",
                           "The input parameter \"AccessKeyId\" that is mandatory for "
                           "processing this request is not supplied.");
    if (!world_key_find(call->world, ak, strlen(ak), &ref))
        return emu_err_set(&call->err, EMU_E_AUTH, "InvalidAccessKeyId.NotFound",
                           "Specified access key is not found.");
    if (!ref.active)
        return emu_err_set(&call->err, EMU_E_AUTH, "InvalidAccessKeyId.Inactive",
                           "Specified access key is disabled.");
    emu_principal *p = &call->principal;
    p->account_id = ref.account->id;
    p->access_key_id = emu_arena_strdup(call->arena, ak);
    p->secret = ref.secret;
    switch (ref.owner) {
    case WORLD_KEY_ROOT:
        p->kind = EMU_PRINCIPAL_ROOT;
        p->arn = emu_arena_sprintf(call->arena, "acs:ram::%s:root", ref.account->id);
        p->display_name = ref.account->alias;
        break;
    case WORLD_KEY_USER:
        p->kind = EMU_PRINCIPAL_USER;
        p->user = ref.user;
        p->arn =
            emu_arena_sprintf(call->arena, "acs:ram::%s:user/%s", ref.account->id, ref.user->name);
        p->display_name = ref.user->name;
        break;
    case WORLD_KEY_SERVICE:
        p->kind = EMU_PRINCIPAL_SERVICE;
        p->service = ref.service->service;
        p->arn = emu_arena_sprintf(call->arena, "%s@%s", ref.account->id, ref.service->service);
        p->display_name = p->arn;
        break;
    }
    return EMU_OK;
}

/* --- rendering ------------------------------------------------------------ */

static void xml_escape(emu_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            emu_buf_puts(b, "&lt;");
            break;
        case '>':
            emu_buf_puts(b, "&gt;");
            break;
        case '&':
            emu_buf_puts(b, "&amp;");
            break;
        case '"':
            emu_buf_puts(b, "&quot;");
            break;
        default:
            emu_buf_putc(b, *s);
        }
    }
}

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
        xml_escape(b, v->valuestring);
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
        char *text = emu_json_print(body);
        emu_http_resp_set(resp, call->arena, status, "application/json;charset=utf-8", text,
                          strlen(text));
        free(text);
    }
}

void emu_rpc_render_ok(emu_call *call)
{
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
    e->code = code;
    render(call, status, body, "Error");
    cJSON_Delete(body);
}
