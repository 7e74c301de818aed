/* Tablestore service glue: decode, authenticate, authorize, render
 * (include/emu/ots.h has the overview; tablestore-protocol.md §3–§5).
 *
 * Check order follows §3.3: method (405) and body size (413) in decode;
 * then required headers, x-ots-date format, AccessKeyId/STS token, body
 * MD5, signature, clock skew, instance in authenticate; an operation the
 * emulator does not implement is answered after authentication (step 10),
 * and the protobuf body is parsed after that (step 11), in the authorize
 * hook, because the resource ARN needs the table name from the body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emu/auth.h"
#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/log.h"
#include "emu/sig.h"
#include "ots_svc_int.h"

#define OTS_MAX_SKEW_MS (15LL * 60 * 1000)

static const emu_action ots_actions[] = {
#define OTS_ACTION(name, handler, msg, flags) {#name, handler, "ots:" #name, flags},
#include "ots_actions.def"
#undef OTS_ACTION
};

/* Request message of each action, parallel to ots_actions. */
static const ProtobufCMessageDescriptor *const ots_request_desc[] = {
#define OTS_ACTION(name, handler, msg, flags) &ots__##msg##__descriptor,
#include "ots_actions.def"
#undef OTS_ACTION
};

static const struct {
    const char *code;
    int status;
} ots_errors[] = {
#define OTS_ERROR(code, status) {#code, status},
#include "ots_errors.def"
#undef OTS_ERROR
};

/* ---- shared helpers ------------------------------------------------------------ */

emu_rc ots_fail(emu_err *err, emu_rc rc, const char *code, const char *fmt, ...)
{
    va_list ap;
    char m[EMU_ERR_MSG_MAX];
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    emu_err_set(err, rc, code, "%s", m);
    return rc;
}

int ots_error_status(const char *code)
{
    if (!code)
        return 0;
    for (size_t i = 0; i < sizeof ots_errors / sizeof ots_errors[0]; i++)
        if (strcmp(ots_errors[i].code, code) == 0)
            return ots_errors[i].status;
    return 0;
}

const char *ots_default_code(emu_rc rc)
{
    switch (rc) {
    case EMU_E_NOT_FOUND:
        return "OTSObjectNotExist";
    case EMU_E_EXISTS:
        return "OTSObjectAlreadyExist";
    case EMU_E_LIMIT:
        return "OTSQuotaExhausted";
    case EMU_E_AUTH:
        return "OTSAuthFailed";
    case EMU_E_DENIED:
        return "OTSNoPermissionAccess";
    case EMU_E_CONFLICT:
        return "OTSRowOperationConflict";
    case EMU_E_INTERNAL:
        return "OTSInternalServerError";
    default:
        return "OTSParameterInvalid";
    }
}

emu_rc ots_find_table(const emu_call *call, const char *name, ots_table_t **out, emu_err *err)
{
    const ots_req *r = ots_req_of(call);
    ots_index_lag_flush(call); /* delayed global-index changes now due */
    *out = name ? ots_store_table_find(r->instance, name) : NULL;
    if (!*out)
        return ots_fail(err, EMU_E_NOT_FOUND, "OTSObjectNotExist", OTS_ERR_TABLE_MISSING);
    return EMU_OK;
}

int32_t ots_cu(size_t bytes)
{
    size_t n = (bytes + OTS_CU_BYTES - 1) / OTS_CU_BYTES;
    return n > INT32_MAX ? INT32_MAX : (int32_t)n;
}

Ots__ConsumedCapacity *ots_consumed(emu_arena *a, int32_t read, int32_t write)
{
    Ots__ConsumedCapacity *c = emu_arena_alloc(a, sizeof *c);
    Ots__CapacityUnit *cu = emu_arena_alloc(a, sizeof *cu);
    ots__consumed_capacity__init(c);
    ots__capacity_unit__init(cu);
    cu->has_read = cu->has_write = 1;
    cu->read = read;
    cu->write = write;
    c->capacity_unit = cu;
    return c;
}

static size_t value_size(const ots_value *v)
{
    switch (v->type) {
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        return v->len;
    case OTS_VT_BOOLEAN:
        return 1;
    default:
        return 8;
    }
}

size_t ots_row_data_size(const ots_row_t *row, bool versioned)
{
    size_t n = 0;
    for (size_t i = 0; i < row->n_pk; i++)
        n += row->pk[i].name.len + (row->pk[i].has_value ? value_size(&row->pk[i].value) : 0);
    for (size_t i = 0; i < row->n_attrs; i++) {
        const ots_cell *c = &row->attrs[i];
        n += c->name.len + (c->has_value ? value_size(&c->value) : 0) + (versioned ? 8 : 0);
    }
    return n;
}

bool ots_table_versioned(const ots_table_t *t)
{
    const ots_table_schema *s = ots_table_schema_of(t);
    return s->opts.max_versions > 1 || s->opts.ttl_s != -1;
}

/* ---- decode -------------------------------------------------------------------- */

static emu_rc ots_decode(emu_call *call)
{
    const emu_http_req *req = call->req;
    ots_req *r = emu_arena_zalloc(call->arena, sizeof *r);

    call->svc_data = r;
    /* Routing guarantees "/" + an alphanumeric name. */
    r->op = emu_arena_strndup(call->arena, req->path.p + 1, req->path.len - 1);
    call->action_name = r->op;
    if (!emu_str_eq_c(req->method, "POST"))
        return ots_fail(&call->err, EMU_E_INVALID, "OTSMethodNotAllowed",
                        "OTSMethodNotAllowedOnly POST method for requests is supported.");
    if (req->body_len > OTS_MAX_BODY_BYTES)
        return ots_fail(&call->err, EMU_E_LIMIT, "OTSRequestBodyTooLarge",
                        "The size of POST data is too large.");
    return EMU_OK;
}

/* ---- authenticate ------------------------------------------------------------------ */

static emu_rc auth_failed(emu_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static emu_rc auth_failed(emu_call *call, const char *fmt, ...)
{
    va_list ap;
    char m[EMU_ERR_MSG_MAX];
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return ots_fail(&call->err, EMU_E_AUTH, "OTSAuthFailed", "%s", m);
}

static emu_rc missing_header(emu_call *call, const char *name)
{
    return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid", "Missing header: %s.", name);
}

static bool host_has(emu_str host, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= host.len; i++)
        if (strncasecmp(host.p + i, needle, n) == 0)
            return true;
    return false;
}

/* The network a request came over (the instance's network ACL checks it),
 * from the endpoint host name the client used:
 *   <inst>.<region>.ots.aliyuncs.com            INTERNET (public endpoint)
 *   <inst>.<region>.ots-internal.aliyuncs.com   CLASSIC  (classic internal)
 *   <inst>.<region>.vpc.tablestore.aliyuncs.com VPC
 * anything else (127.0.0.1, <inst>.localhost) counts as the owner's
 * DefaultNetwork (type 0 here, filled in by the ACL source). For tests the
 * emulator-only headers x-acs-emu-source-network (internet | vpc | classic |
 * trust-proxy) and x-acs-emu-source-vpc (vpc-…, implies vpc) override the
 * host. The MaxCompute external-table path sends its LOCATION host
 * (usually ots-internal: CLASSIC) and is not a trusted proxy [inferred:
 * UpdateInstance documents TRUST_PROXY as the console's gateway, and an
 * instance ACL other than "all networks" fails MaxCompute's reads with
 * "Request denied by instance ACL policies."]. */
static emu_rc request_network(emu_call *call, ots_req *r)
{
    const emu_http_req *req = call->req;
    policy_network *n = &r->net;
    memset(n, 0, sizeof *n);
    emu_str host = emu_http_req_header(req, "host");
    if (host_has(host, ".ots-internal."))
        n->type = POLICY_NET_CLASSIC;
    else if (host_has(host, ".vpc.tablestore."))
        n->type = POLICY_NET_VPC;
    else if (host_has(host, ".ots."))
        n->type = POLICY_NET_INTERNET;
    emu_str h = emu_str_trim(emu_http_req_header(req, "x-acs-emu-source-network"));
    if (h.p && !policy_network_origin_parse(h.p, h.len, n))
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Invalid x-acs-emu-source-network: %.*s (internet, vpc, classic or "
                        "trust-proxy).",
                        (int)(h.len > 32 ? 32 : h.len), h.p);
    emu_str v = emu_str_trim(emu_http_req_header(req, "x-acs-emu-source-vpc"));
    if (v.p && v.len) {
        if (v.len > 64)
            return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                            "Invalid x-acs-emu-source-vpc: longer than 64 bytes.");
        n->source_vpc = emu_arena_strndup(call->arena, v.p, v.len);
        if (!h.p)
            n->type = POLICY_NET_VPC;
    }
    return EMU_OK;
}

/* emu_authz_network_fn: the ACL and the instance policy of the instance an
 * acs:ots:<region>:<uid>:instance/<name>[/...] ARN names. No allocation. */
static bool network_source(const world_t *w, const char *resource, policy_network *net,
                           emu_authz_instance *out)
{
    out->policy = NULL;
    out->n_tags = 0;
    static const char pfx[] = "acs:ots:";
    char uid[32], name[64];
    if (!resource || strncmp(resource, pfx, sizeof pfx - 1) != 0)
        return false;
    const char *region = resource + sizeof pfx - 1;
    const char *c1 = strchr(region, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || (size_t)(c2 - c1 - 1) >= sizeof uid || strncmp(c2 + 1, "instance/", 9) != 0)
        return false;
    memcpy(uid, c1 + 1, (size_t)(c2 - c1 - 1));
    uid[c2 - c1 - 1] = '\0';
    const char *nm = c2 + 10;
    size_t nl = strcspn(nm, "/");
    if (!nl || nl >= sizeof name)
        return false;
    memcpy(name, nm, nl);
    name[nl] = '\0';
    int idx = world_section_index("Tablestore");
    world_account *a = idx >= 0 ? world_account_find(w, uid) : NULL;
    ots_store_t *s = a ? a->sections[idx] : NULL;
    ots_instance_t *in = s ? ots_section_instance(s, name) : NULL;
    if (!in)
        return false;
    ots_net_acl acl = ots_instance_acl(in);
    net->instance = ots_instance_name(in);
    net->has_type_acl = acl.has_types;
    net->type_acl = acl.types;
    net->has_source_acl = acl.has_sources;
    net->source_acl = acl.sources;
    if (!net->type)
        net->type = ots_store_default_network(s);
    out->policy = ots_instance_policy(in, NULL);
    out->n_tags = ots_instance_tag_ckeys(in, out->tags, out->cap);
    return true;
}

void emu_ots_register_authz(void)
{
    emu_authz_set_network_source(network_source);
}

/* The instance named by a Host of the forms the service's DNS uses,
 * "<instance>.<region>.ots.aliyuncs.com" / "...ots-internal.aliyuncs.com",
 * or the local "<instance>.localhost" (DESIGN.md §1). Port stripped. */
static emu_str instance_from_host(emu_str host)
{
    emu_str none = EMU_STR_NULL;
    const char *dot = host.p ? memchr(host.p, '.', host.len) : NULL;
    if (!dot || dot == host.p)
        return none;
    emu_str rest = {dot, host.len - (size_t)(dot - host.p)};
    const char *colon = memchr(rest.p, ':', rest.len);
    if (colon)
        rest.len = (size_t)(colon - rest.p);
    bool ots = host_has(rest, ".ots.") || host_has(rest, ".ots-internal.") ||
               host_has(rest, ".vpc.tablestore.");
    if (!ots && !emu_str_ieq_c(rest, ".localhost"))
        return none;
    return (emu_str){host.p, (size_t)(dot - host.p)};
}

static emu_rc auth_error(emu_call *call, auth_failure why)
{
    switch (why) {
    case AUTH_KEY_INACTIVE:
        return auth_failed(call, "The AccessKeyID is disabled.");
    /* [inferred] §5.2 lists no texts for STS tokens; these name the
     * problem in the service's style. */
    case AUTH_TOKEN_MISSING:
        return auth_failed(call, "The STS token is missing.");
    case AUTH_TOKEN_MALFORMED:
        return auth_failed(call, "The STS token is invalid.");
    case AUTH_TOKEN_MISMATCH:
        return auth_failed(call, "The STS token does not match the AccessKeyID.");
    case AUTH_TOKEN_EXPIRED:
        return auth_failed(call, "The STS token has expired.");
    case AUTH_OK:
    case AUTH_KEY_NOT_FOUND:
        break;
    }
    return auth_failed(call, "The AccessKeyID does not exist.");
}

static emu_rc find_instance(emu_call *call, ots_req *r, emu_str name)
{
    int idx = world_section_index("Tablestore");
    char *n = emu_arena_strndup(call->arena, name.p, name.len);
    r->instance_name = n;
    for (size_t i = 0; idx >= 0 && i < world_account_count(call->world); i++) {
        world_account *a = world_account_at(call->world, i);
        ots_instance_t *in = ots_section_instance(a->sections[idx], n);
        if (in) {
            r->owner = a;
            r->store = a->sections[idx];
            r->instance = in;
            return EMU_OK;
        }
    }
    return auth_failed(call, "The instance is not found.");
}

/* The x-ots-* headers authentication reads, found in one pass over the
 * request (each lookup would scan every header again). */
typedef struct ots_auth_headers {
    emu_str date, apiversion, accesskeyid, instancename, contentmd5, signature, signaturev4,
        ststoken;
} ots_auth_headers;

static void scan_headers(const emu_http_req *req, ots_auth_headers *h)
{
    static const struct {
        emu_str suffix;
        size_t off;
    } known[] = {
        {EMU_STR_LIT("date"), offsetof(ots_auth_headers, date)},
        {EMU_STR_LIT("apiversion"), offsetof(ots_auth_headers, apiversion)},
        {EMU_STR_LIT("accesskeyid"), offsetof(ots_auth_headers, accesskeyid)},
        {EMU_STR_LIT("instancename"), offsetof(ots_auth_headers, instancename)},
        {EMU_STR_LIT("contentmd5"), offsetof(ots_auth_headers, contentmd5)},
        {EMU_STR_LIT("signature"), offsetof(ots_auth_headers, signature)},
        {EMU_STR_LIT("signaturev4"), offsetof(ots_auth_headers, signaturev4)},
        {EMU_STR_LIT("ststoken"), offsetof(ots_auth_headers, ststoken)},
    };
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < req->n_headers; i++) {
        emu_str name = req->headers[i].name;
        if (name.len <= 6 || !emu_str_istarts(name, "x-ots-"))
            continue;
        emu_str rest = {name.p + 6, name.len - 6};
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
            emu_str *slot = (emu_str *)((char *)h + known[k].off);
            if (!slot->p && emu_str_ieq(rest, known[k].suffix)) {
                *slot = req->headers[i].value; /* the first one, as a lookup would */
                break;
            }
        }
    }
}

static emu_rc authenticate(emu_call *call)
{
    const emu_http_req *req = call->req;
    ots_req *r = ots_req_of(call);
    ots_auth_headers hd;
    scan_headers(req, &hd);
    const struct {
        const char *name;
        emu_str value;
    } required[] = {
        {"x-ots-date", hd.date},
        {"x-ots-apiversion", hd.apiversion},
        {"x-ots-accesskeyid", hd.accesskeyid},
        {"x-ots-instancename", hd.instancename},
        {"x-ots-contentmd5", hd.contentmd5},
    };
    emu_str instance = emu_str_trim(hd.instancename);
    emu_err e;
    emu_err_init(&e);
    emu_rc rc;

    if (!instance.p)
        instance = instance_from_host(emu_http_req_header(req, "host"));
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        bool have = required[i].value.p != NULL;
        if (!have && strcmp(required[i].name, "x-ots-instancename") == 0)
            have = instance.len > 0;
        if (!have)
            return missing_header(call, required[i].name);
    }
    if (!hd.signature.p && !hd.signaturev4.p)
        return missing_header(call, "x-ots-signature");

    emu_str date = emu_str_trim(hd.date);
    int64_t date_ms;
    if (!emu_time_parse_iso(date.p, date.len, false, &date_ms))
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Invalid date format: %.*s.", (int)(date.len > 64 ? 64 : date.len), date.p);

    emu_str ak = emu_str_trim(hd.accesskeyid);
    emu_str token = emu_str_trim(hd.ststoken);
    auth_failure why = AUTH_OK;
    if (auth_resolve(call->world, ak, token, emu_clock_now_ms(), call->arena, &call->principal,
                     &why, &e) != EMU_OK) {
        call->reason = auth_failure_name(why);
        return auth_error(call, why);
    }

    if (sig_ots_check_content_md5(req->body, req->body_len, emu_str_trim(hd.contentmd5), &e) !=
        EMU_OK)
        return auth_failed(call, "%s", e.msg);

    sig_ots_result res;
    rc = sig_ots_verify(call->arena, emu_str_c(r->op), req->headers, req->n_headers,
                        emu_str_c(call->principal.secret), &res, &e);
    if (rc == EMU_E_AUTH)
        return auth_failed(call, "Signature mismatch.");
    if (rc)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid", "%s", e.msg);
    /* Only a verified request gets a signed response: an unsigned one
     * learns nothing keyed by the secret. */
    r->ak = ak;
    r->sign_key = res.response_key;
    if ((rc = request_network(call, r)))
        return rc;

    /* Skew on the REAL clock: the virtual one may have been moved for TTL
     * or expiry tests (DESIGN.md §2, protocol §3.3). */
    int64_t skew =
        call->server && call->server->max_skew_ms ? call->server->max_skew_ms : OTS_MAX_SKEW_MS;
    int64_t d = emu_clock_real_ms() - date_ms;
    if (d > skew || d < -skew)
        return auth_failed(call, "Mismatch between system time and x-ots-date: %.*s.",
                           (int)(date.len > 64 ? 64 : date.len), date.p);
    return find_instance(call, r, instance);
}

/* An operation the emulator does not implement: authenticate first (the
 * service checks credentials before it looks at the operation, §3.3). */
static emu_rc ots_unknown_action(emu_call *call)
{
    emu_rc rc = emu_dispatch_authenticate(call);
    if (rc)
        return rc;
    return ots_fail(&call->err, EMU_E_UNSUPPORTED, "OTSParameterInvalid",
                    "Unsupported operation: %.200s.", ots_req_of(call)->op);
}

/* ---- authorize ------------------------------------------------------------------------ */

/* acs:ots:<region>:<owner>:instance/<name>[/table/<table>]; without a
 * table the NULL in its place ends the list. */
static const char *resource_arn(const emu_call *call, const char *table)
{
    const ots_req *r = ots_req_of(call);
    return emu_arena_concat(call->arena, "acs:ots:", world_region(call->world), ":", r->owner->id,
                            ":instance/", r->instance_name, table ? "/table/" : NULL, table, NULL);
}

static emu_rc check_as(emu_call *call, const char *table, const char *action)
{
    const ots_req *r = ots_req_of(call);
    emu_authz_req q = {0};
    q.action = action;
    q.resource = resource_arn(call, table);
    q.resource_account = r->owner->id;
    q.network = &r->net;
    emu_rc rc = emu_authz_check(call, &q);
    if (rc == EMU_E_DENIED && call->trace && call->trace->layer == POLICY_LAYER_NETWORK_ACL) {
        /* The instance's network ACL: refused as authentication fails, with
         * no AccessDeniedDetail (the documented error). */
        call->denial = NULL;
        emu_err_set(&call->err, EMU_E_DENIED, "OTSAuthFailed",
                    "Request denied by instance ACL policies.");
        call->err.status = 403;
    } else if (rc == EMU_E_DENIED) {
        emu_err_set(&call->err, EMU_E_DENIED, "OTSNoPermissionAccess",
                    "You have no permission to access the requested resource, please contact "
                    "the resource owner");
        call->err.status = 403;
    }
    return rc;
}

static emu_rc check(emu_call *call, const char *table)
{
    return check_as(call, table, NULL);
}

/* The table_name field of a request message, via the descriptor. */
static const char *msg_table(const ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "table_name");
    if (!f) /* CreateIndex, DropIndex */
        f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "main_table_name");
    if (!f || f->type != PROTOBUF_C_TYPE_STRING)
        return NULL;
    return *(char *const *)(const void *)((const char *)m + f->offset);
}

/* Tables of a batch, each checked once (a batch naming a table twice is
 * refused later, but must not be authorized twice). */
static emu_rc check_tables(emu_call *call, const char *const *names, size_t n)
{
    if (!n)
        return check(call, NULL);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(names[i], names[j]) == 0;
        if (seen)
            continue;
        emu_rc rc = check(call, names[i]);
        if (rc)
            return rc;
    }
    return EMU_OK;
}

static emu_rc ots_authorize(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const emu_http_req *req = call->req;
    size_t ai = (size_t)(call->action - ots_actions);

    if (emu_http_req_header(req, "x-ots-request-compress-type").p)
        return ots_fail(&call->err, EMU_E_UNSUPPORTED, "OTSParameterInvalid",
                        "Request compression is not supported by acsemu.");
    r->msg = ots_pb_unpack(ots_request_desc[ai], req->body, req->body_len, call->arena, &call->err);
    if (!r->msg) {
        call->err.code = "OTSParameterInvalid";
        return EMU_E_INVALID;
    }
    /* A transaction's table is its resource (the instance if the id is
     * unknown: the handler then answers OTSSessionNotExist). */
    if (call->action->handler == ots_commit_transaction)
        return check(call,
                     ots_txn_table_name(
                         call, ((const Ots__CommitTransactionRequest *)r->msg)->transaction_id));
    if (call->action->handler == ots_abort_transaction)
        return check(call,
                     ots_txn_table_name(
                         call, ((const Ots__AbortTransactionRequest *)r->msg)->transaction_id));
    /* A stream's table is its resource (the instance when the stream is
     * unknown: the handler then answers with the error). */
    if (call->action->handler == ots_describe_stream)
        return check(call,
                     ots_stream_table_name(
                         call, ((const Ots__DescribeStreamRequest *)r->msg)->stream_id, NULL));
    if (call->action->handler == ots_get_shard_iterator)
        return check(call,
                     ots_stream_table_name(
                         call, ((const Ots__GetShardIteratorRequest *)r->msg)->stream_id, NULL));
    if (call->action->handler == ots_get_stream_record)
        return check(
            call, ots_stream_table_name(
                      call, NULL, ((const Ots__GetStreamRecordRequest *)r->msg)->shard_iterator));
    if (call->action->handler == ots_list_stream)
        return check(call, ((const Ots__ListStreamRequest *)r->msg)->table_name);
    if (call->action->handler == ots_sql_query) {
        const char *action, **tables;
        size_t n;
        ots_sql_plan(call, &action, &tables, &n);
        if (!n)
            return check_as(call, NULL, action);
        for (size_t i = 0; i < n; i++) {
            emu_rc rc = check_as(call, tables[i], action);
            if (rc)
                return rc;
        }
        return EMU_OK;
    }
    if (call->action->flags & OTS_INSTANCE_LEVEL)
        return check(call, NULL);
    if (call->action->handler == ots_batch_get_row) {
        const Ots__BatchGetRowRequest *m = r->msg;
        const char **names = emu_arena_alloc(call->arena, (m->n_tables + 1) * sizeof *names);
        for (size_t i = 0; i < m->n_tables; i++)
            names[i] = m->tables[i]->table_name;
        return check_tables(call, names, m->n_tables);
    }
    if (call->action->handler == ots_batch_write_row) {
        const Ots__BatchWriteRowRequest *m = r->msg;
        const char **names = emu_arena_alloc(call->arena, (m->n_tables + 1) * sizeof *names);
        for (size_t i = 0; i < m->n_tables; i++)
            names[i] = m->tables[i]->table_name;
        return check_tables(call, names, m->n_tables);
    }
    const char *table = msg_table(r->msg);
    return check(call, table ? table : "");
}

/* ---- render ------------------------------------------------------------------------------- */

static void respond(emu_call *call, int status, const uint8_t *body, size_t len)
{
    const ots_req *r = ots_req_of(call);
    emu_http_resp *resp = call->resp;
    emu_arena *a = call->arena;
    /* The values live in the arena, so the headers can point at them. */
    char *md5 = emu_arena_alloc(a, 25), *date = emu_arena_alloc(a, 28);

    emu_http_resp_set(resp, a, status, NULL, body, len);
    sig_ots_content_md5(body, len, md5);
    /* "2025-01-01T00:00:01.123456Z" from the real clock (§4.2: the fraction
     * is mandatory; Python parses %f). */
    emu_time_iso_us(emu_clock_real_us(), date);
    /* In signing order (§4.2), which spares the signer its sort. */
    emu_http_resp_header_ref(resp, EMU_STR_LIT("x-ots-contentmd5"), (emu_str){md5, 24});
    emu_http_resp_header_ref(resp, EMU_STR_LIT("x-ots-contenttype"),
                             EMU_STR_LIT("protocol buffer"));
    emu_http_resp_header_ref(resp, EMU_STR_LIT("x-ots-date"), (emu_str){date, 27});
    size_t idl = sizeof call->request_id - 1; /* the call ends before a delayed answer */
    emu_http_resp_header_ref(resp, EMU_STR_LIT("x-ots-requestid"),
                             (emu_str){emu_arena_strndup(a, call->request_id, idl), idl});
    if (r && r->sign_key.p) {
        emu_str auth;
        emu_err e;
        emu_err_init(&e);
        if (sig_ots_response_authorization(a, emu_str_c(r->op), resp->headers, resp->n_headers,
                                           r->ak, r->sign_key, &auth, &e) == EMU_OK)
            emu_http_resp_header_ref(resp, EMU_STR_LIT("authorization"), auth);
        else
            emu_log(EMU_LOG_WARN, "ERR OTSInternalServerError response signature: %s", e.msg);
    }
}

static void ots_render_ok(emu_call *call)
{
    const ots_req *r = ots_req_of(call);
    size_t len = 0;
    uint8_t *body = r->resp ? ots_pb_pack(r->resp, call->arena, &len) : NULL;
    respond(call, 200, body, len);
}

/* protobuf-c wants char *; our strings are const (static or arena). */
static char *sdup(emu_call *call, const char *s)
{
    return emu_arena_strdup(call->arena, s ? s : "");
}

/* The HTTP layer stopped reading the body (declared over its cap, broken
 * chunking, too slow): Tablestore's own codes (protocol §3.3, §8). */
static void ots_framing_error(emu_call *call, int status, const char *why)
{
    if (status == 413)
        ots_fail(&call->err, EMU_E_LIMIT, "OTSRequestBodyTooLarge",
                 "The size of POST data is too large.");
    else
        ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid", "Malformed request: %s.", why);
    call->err.status = status;
}

/* Request bodies over --max-buffered-bytes: the code the SDKs retry
 * (protocol §5.2, §5.3), with the cloud's message. */
static void ots_busy(emu_call *call)
{
    ots_fail(&call->err, EMU_E_INTERNAL, "OTSServerBusy", "Server is busy.");
    call->err.status = 503;
}

static void ots_render_err(emu_call *call)
{
    emu_err *e = &call->err;
    const char *code = e->code ? e->code : ots_default_code(e->rc);
    e->code = code; /* the access log names the code the client got */
    int status = e->status ? e->status : ots_error_status(code);
    Ots__Error err = OTS__ERROR__INIT;
    Ots__AccessDeniedDetail det = OTS__ACCESS_DENIED_DETAIL__INIT;

    if (!status)
        status = e->rc == EMU_E_INTERNAL ? 500 : 400;
    err.code = sdup(call, code);
    err.message = emu_arena_sprintf(call->arena, "%s%s", e->msg, e->msg_tail ? e->msg_tail : "");
    if (call->denial) {
        /* Java turns the detail into TableStoreNoPermissionException; all
         * six required strings must be present (§5.1). */
        const emu_authz_denial *d = call->denial;
        det.auth_action = sdup(call, d->auth_action);
        det.auth_principal_type = sdup(call, d->principal_type);
        det.auth_principal_owner_id = sdup(call, d->principal_owner_id);
        det.auth_principal_display_name = sdup(call, d->principal_name);
        det.policy_type = sdup(call, d->policy_type);
        det.no_permission_type = sdup(call, d->no_permission_type);
        if (d->encoded_diagnostic_message)
            det.encoded_diagnostic_message = sdup(call, d->encoded_diagnostic_message);
        err.access_denied_detail = &det;
    }
    size_t len;
    uint8_t *body = ots_pb_pack(&err, call->arena, &len);
    respond(call, status, body, len);
}

const emu_service emu_ots_service = {
    .name = "ots",
    .decode = ots_decode,
    .actions = ots_actions,
    .n_actions = sizeof ots_actions / sizeof ots_actions[0],
    .authenticate = authenticate,
    .authorize = ots_authorize,
    .resource = NULL,
    .unknown_action = ots_unknown_action,
    .render_ok = ots_render_ok,
    .render_err = ots_render_err,
    .framing_error = ots_framing_error,
    .busy = ots_busy,
};
