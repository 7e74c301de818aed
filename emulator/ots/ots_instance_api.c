/* The Tablestore instance API, 2020-12-09 (tablestore.<region>.aliyuncs.com):
 * ROA paths under /v2/openapi/ signed with ACS3-HMAC-SHA256 (the x-acs-action
 * and x-acs-version headers route them, as the official SDKs and Terraform
 * send them): CreateInstance, GetInstance, ListInstances, UpdateInstance,
 * DeleteInstance, UpdateInstancePolicy, DeleteInstancePolicy,
 * CheckInstancePolicy, TagResources, UntagResources, ListTagResources. GET requests
 * carry their parameters in the query, POST requests in a JSON body.
 *
 * Each call is authorized as ots:<Action> on the instance's ARN,
 * acs:ots:<region>:<caller's account>:instance/<lower-case name> (ListInstances:
 * instance/ followed by a wildcard). An instance belongs to the caller's account; its name is
 * unique across the region (it is a DNS name), and a created instance serves
 * the data plane at once. Error codes and texts the documentation does not
 * give are marked [inferred] in ots_instance_errors.def. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/ots.h"
#include "emu/ots_store.h"
#include "emu/rpc.h"
#include "emu/str.h"
#include "emu/world.h"
#include "ots_instance_int.h"

static const struct {
    const char *code;
    emu_rc rc;
    int status;
    const char *msg;
} inst_errors[] = {
#define INST_ERROR(id, code, rc, status, msg) {code, rc, status, msg},
#include "ots_instance_errors.def"
#undef INST_ERROR
};

/* The table's texts are static and take one %s. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
emu_rc ots__inst_fail(emu_call *call, ots__inst_err id, const char *name)
{
    emu_err_set(&call->err, inst_errors[id].rc, inst_errors[id].code, inst_errors[id].msg,
                name ? name : "");
    call->err.status = inst_errors[id].status;
    return inst_errors[id].rc;
}
#pragma GCC diagnostic pop

/* The JSON body of a POST, parsed (the caller deletes it), or NULL. Bodies
 * are small (the RPC body cap), so each reader parses its own copy rather
 * than keep a tree past the call. */
static cJSON *body_json(const emu_call *call)
{
    const emu_http_req *req = call->req;
    if (!req->body_len ||
        !emu_str_istarts(emu_http_req_header(req, "content-type"), "application/json"))
        return NULL;
    emu_err perr = {0};
    cJSON *b = emu_json_parse((const char *)req->body, req->body_len, &perr);
    if (b && !cJSON_IsObject(b)) {
        cJSON_Delete(b);
        b = NULL;
    }
    return b;
}

static emu_rc inst_decode(emu_call *call)
{
    emu_rc rc = emu_rpc_decode(call);
    if (rc)
        return rc;
    if (call->req->body_len &&
        emu_str_istarts(emu_http_req_header(call->req, "content-type"), "application/json")) {
        cJSON *b = body_json(call);
        if (!b) {
            emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter",
                        "The request body is not a JSON object.");
            call->err.status = 400;
            return EMU_E_INVALID;
        }
        cJSON_Delete(b);
    }
    return EMU_OK;
}

/* A string parameter from the JSON body (POST) or the query (GET), in the
 * arena; numbers in the body are given as text. */
const char *ots__inst_arg(const emu_call *call, const char *name)
{
    cJSON *b = body_json(call);
    const cJSON *j = b ? cJSON_GetObjectItemCaseSensitive(b, name) : NULL;
    const char *out = NULL;
    if (j && cJSON_IsString(j)) {
        out = emu_arena_strdup(call->arena, j->valuestring);
    } else if (j && cJSON_IsNumber(j)) {
        out = emu_arena_sprintf(call->arena, "%.0f", j->valuedouble);
    } else if (!j) {
        out = emu_rpc_param(call, name);
    }
    cJSON_Delete(b);
    return out;
}

emu_rc ots__inst_need(emu_call *call, const char *name, const char **out)
{
    *out = ots__inst_arg(call, name);
    if (*out && **out)
        return EMU_OK;
    emu_err_set(&call->err, EMU_E_INVALID, "MissingParameter",
                "The input parameter \"%s\" that is mandatory for processing this request is "
                "not supplied.",
                name);
    call->err.status = 400;
    return EMU_E_INVALID;
}

/* --- the world ------------------------------------------------------------------ */

ots_store_t *ots__inst_store(emu_call *call, bool create)
{
    int idx = world_section_index(ots_world_section.name);
    world_account *a =
        idx >= 0 ? world_account_find(call->world, call->principal.account_id) : NULL;
    if (!a)
        return NULL;
    if (!a->sections[idx] && create)
        a->sections[idx] = ots_store_new(a->id);
    return a->sections[idx];
}

/* The caller's instance of that name (names are case-insensitive). */
ots_instance_t *ots__inst_find(emu_call *call, const char *name)
{
    ots_store_t *s = ots__inst_store(call, false);
    for (size_t i = 0; s && i < ots_store_instance_count(s); i++) {
        ots_instance_t *in = ots_store_instance_at(s, i);
        if (emu_strcasecmp(ots_instance_name(in), name) == 0)
            return in;
    }
    return NULL;
}

static bool name_taken(emu_call *call, const char *name)
{
    int idx = world_section_index(ots_world_section.name);
    for (size_t i = 0; idx >= 0 && i < world_account_count(call->world); i++) {
        ots_store_t *s = world_account_at(call->world, i)->sections[idx];
        for (size_t j = 0; s && j < ots_store_instance_count(s); j++)
            if (emu_strcasecmp(ots_instance_name(ots_store_instance_at(s, j)), name) == 0)
                return true;
    }
    return false;
}

emu_rc ots__inst_own(emu_call *call, ots_instance_t **out)
{
    const char *name;
    emu_rc rc = ots__inst_need(call, "InstanceName", &name);
    if (rc)
        return rc;
    *out = ots__inst_find(call, name);
    return *out ? EMU_OK : ots__inst_fail(call, INST_ERR_NOT_FOUND, name);
}

/* CreateInstance's naming rules (2020-12-09 documentation): letters,
 * digits and '-', a letter first, no '-' last, 3-16 characters, and none of
 * the words ali, ay, ots, taobao, admin. */
static bool name_ok(const char *s)
{
    static const char *const banned[] = {"ali", "ay", "ots", "taobao", "admin"};
    size_t n = strlen(s);
    if (n < 3 || n > 16 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z') || s[n - 1] == '-')
        return false;
    char low[17];
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
        low[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    low[n] = '\0';
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        if (strstr(low, banned[i]))
            return false;
    return true;
}

static emu_rc acl_lists(emu_call *call, const cJSON *b, ots_net_acl *acl, bool *set);

/* NetworkTypeACL / NetworkSourceACL: JSON arrays in the body, or the
 * legacy Network (NORMAL = all, VPC, VPC_CONSOLE = VPC + the console).
 * *set reports whether the request named any of them. */
emu_rc ots__inst_read_acl(emu_call *call, ots_net_acl *acl, bool *set)
{
    const char *net = ots__inst_arg(call, "Network");
    *set = false;
    if (net) {
        *set = true;
        if (!strcmp(net, "NORMAL"))
            *acl = (ots_net_acl){0};
        else if (!strcmp(net, "VPC"))
            *acl = (ots_net_acl){true, false, POLICY_NET_VPC, 0};
        else if (!strcmp(net, "VPC_CONSOLE"))
            *acl = (ots_net_acl){true, true, POLICY_NET_VPC, POLICY_NETSRC_TRUST_PROXY};
        else
            return ots__inst_fail(call, INST_ERR_BAD_NETWORK, net);
    }
    cJSON *b = body_json(call);
    emu_rc rc = acl_lists(call, b, acl, set);
    cJSON_Delete(b);
    return rc;
}

static emu_rc acl_lists(emu_call *call, const cJSON *b, ots_net_acl *acl, bool *set)
{
    static const char *const types[] = {"INTERNET", "VPC", "CLASSIC"};
    const cJSON *t = b ? cJSON_GetObjectItemCaseSensitive(b, "NetworkTypeACL") : NULL;
    const cJSON *src = b ? cJSON_GetObjectItemCaseSensitive(b, "NetworkSourceACL") : NULL;
    if (t) {
        *set = true;
        acl->has_types = true;
        acl->types = 0;
        const cJSON *x, *arr = cJSON_IsArray(t) ? t : NULL;
        cJSON_ArrayForEach(x, arr)
        {
            size_t k = 0;
            while (k < 3 && !(cJSON_IsString(x) && !strcmp(x->valuestring, types[k])))
                k++;
            if (k == 3)
                return ots__inst_fail(call, INST_ERR_BAD_ACL, "NetworkTypeACL");
            acl->types |= (uint8_t)(1u << k);
        }
        if (!cJSON_IsArray(t))
            return ots__inst_fail(call, INST_ERR_BAD_ACL, "NetworkTypeACL");
    }
    if (src) {
        *set = true;
        acl->has_sources = true;
        acl->sources = 0;
        const cJSON *x;
        if (!cJSON_IsArray(src))
            return ots__inst_fail(call, INST_ERR_BAD_ACL, "NetworkSourceACL");
        cJSON_ArrayForEach(x, src)
        {
            if (!cJSON_IsString(x) || strcmp(x->valuestring, "TRUST_PROXY") != 0)
                return ots__inst_fail(call, INST_ERR_BAD_ACL, "NetworkSourceACL");
            acl->sources |= POLICY_NETSRC_TRUST_PROXY;
        }
    }
    return EMU_OK;
}

/* A Policy parameter compiled as an instance policy (4 KB). */
static emu_rc read_policy(emu_call *call, const ots_instance_t *in, const char *text,
                          policy_doc_t **out)
{
    emu_err perr = {0};
    if (policy_compile(text, strlen(text), POLICY_KIND_RESOURCE, out, &perr) != EMU_OK) {
        emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter.Policy",
                    "The instance policy is not valid: %s", perr.msg); /* [inferred] */
        call->err.status = 400;
        return EMU_E_INVALID;
    }
    policy_doc_set_label(*out, ots_instance_name(in), "Instance", NULL);
    return EMU_OK;
}

/* --- rendering -------------------------------------------------------------------- */

static cJSON *acl_array(uint8_t bits, bool sources)
{
    static const char *const types[] = {"INTERNET", "VPC", "CLASSIC"};
    cJSON *a = cJSON_CreateArray();
    for (size_t k = 0; k < (sources ? 1 : 3); k++)
        if (bits & (1u << k))
            cJSON_AddItemToArray(a, cJSON_CreateString(sources ? "TRUST_PROXY" : types[k]));
    return a;
}

/* GetInstance's fields (ListInstances' entries are the same minus the
 * policy and ACLs). */
static cJSON *instance_json(emu_call *call, const ots_instance_t *in, bool full)
{
    ots_instance_info info = ots_instance_info_of(in);
    ots_net_acl acl = ots_instance_acl(in);
    char when[21];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "InstanceName", ots_instance_name(in));
    cJSON_AddStringToObject(o, "AliasName", ots_instance_name(in));
    cJSON_AddStringToObject(o, "RegionId", world_region(call->world));
    cJSON_AddStringToObject(o, "UserId", call->principal.account_id);
    cJSON_AddStringToObject(o, "InstanceDescription", info.description);
    cJSON_AddStringToObject(o, "InstanceSpecification", info.cluster);
    cJSON_AddStringToObject(o, "StorageType", info.cluster);
    cJSON_AddStringToObject(o, "PaymentType", "PayAsYouGo");
    cJSON_AddStringToObject(o, "InstanceStatus", "normal");
    emu_time_iso(info.create_ms ? info.create_ms : emu_clock_now_ms(), when);
    cJSON_AddStringToObject(o, "CreateTime", when);
    cJSON_AddStringToObject(o, "Network",
                            !acl.has_types    ? "NORMAL"
                            : acl.has_sources ? "VPC_CONSOLE"
                                              : "VPC");
    cJSON_AddNumberToObject(o, "TableQuota", EMU_MAX_OTS_TABLES);
    cJSON *tags = cJSON_AddArrayToObject(o, "Tags");
    for (size_t i = 0; i < ots_instance_tag_count(in); i++) {
        const char *v, *k = ots_instance_tag_at(in, i, &v);
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "Key", k);
        cJSON_AddStringToObject(t, "Value", v);
        cJSON_AddItemToArray(tags, t);
    }
    if (!full)
        return o;
    cJSON_AddItemToObject(
        o, "NetworkTypeACL",
        acl.has_types
            ? acl_array(acl.types, false)
            : acl_array(POLICY_NET_INTERNET | POLICY_NET_VPC | POLICY_NET_CLASSIC, false));
    cJSON_AddItemToObject(o, "NetworkSourceACL",
                          acl.has_sources ? acl_array(acl.sources, true)
                                          : acl_array(POLICY_NETSRC_TRUST_PROXY, true));
    int64_t version;
    const policy_doc_t *pol = ots_instance_policy(in, &version);
    size_t len;
    cJSON_AddStringToObject(o, "Policy", pol ? policy_doc_text(pol, &len) : "");
    cJSON_AddNumberToObject(o, "PolicyVersion", (double)version);
    return o;
}

static emu_rc ok(emu_call *call, cJSON *r)
{
    call->result = r ? r : cJSON_CreateObject();
    return EMU_OK;
}

/* --- handlers ----------------------------------------------------------------------- */

/* The tags a 2020-12-09 request gives in its JSON body's Tags array. */
static size_t body_tags(emu_call *call, ots__inst_tag *out, size_t cap)
{
    cJSON *b = body_json(call);
    const cJSON *tags = b ? cJSON_GetObjectItemCaseSensitive(b, "Tags") : NULL, *t;
    size_t n = 0;
    if (!cJSON_IsArray(tags))
        tags = NULL;
    cJSON_ArrayForEach(t, tags)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
        if (n == cap)
            break;
        out[n].key = cJSON_IsString(k) ? emu_arena_strdup(call->arena, k->valuestring) : NULL;
        out[n].value = cJSON_IsString(v) ? emu_arena_strdup(call->arena, v->valuestring)
                       : v               ? NULL /* not a string: refused */
                                         : "";
        n++;
    }
    cJSON_Delete(b);
    return n;
}

/* One more than the instance may hold, so that too many is seen. */
#define TAGS_CAP (EMU_MAX_OTS_INSTANCE_TAGS + 1)

static bool tags_ok(const ots__inst_tag *tags, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!tags[i].key || !tags[i].key[0] || strlen(tags[i].key) > 128 || !tags[i].value ||
            strlen(tags[i].value) > 128)
            return false;
    return true;
}

emu_rc ots__inst_tag_set(emu_call *call, ots_instance_t *in, const ots__inst_tag *tags, size_t n)
{
    if (!tags_ok(tags, n))
        return ots__inst_fail(call, INST_ERR_BAD_TAG, "Tags");
    for (size_t i = 0; i < n; i++)
        if (!ots_instance_tag_set(in, tags[i].key, tags[i].value))
            return ots__inst_fail(call, INST_ERR_TAG_QUOTA, ots_instance_name(in));
    return EMU_OK;
}

emu_rc ots__inst_create(emu_call *call, const char *name, const char *cluster,
                        const char *description, const ots__inst_tag *tags, size_t n_tags)
{
    emu_rc rc;
    if (!name_ok(name))
        return ots__inst_fail(call, INST_ERR_BAD_NAME, name);
    if (strcmp(cluster, "SSD") != 0 && strcmp(cluster, "HYBRID") != 0)
        return ots__inst_fail(call, INST_ERR_BAD_CLUSTER, cluster);
    if (!tags_ok(tags, n_tags))
        return ots__inst_fail(call, INST_ERR_BAD_TAG, "Tags");
    if (n_tags > EMU_MAX_OTS_INSTANCE_TAGS)
        return ots__inst_fail(call, INST_ERR_TAG_QUOTA, name);
    if (name_taken(call, name))
        return ots__inst_fail(call, INST_ERR_EXISTS, name);
    ots_net_acl acl = {0};
    bool acl_set;
    if ((rc = ots__inst_read_acl(call, &acl, &acl_set)))
        return rc;
    ots_store_t *s = ots__inst_store(call, true);
    if (!s)
        return ots__inst_fail(call, INST_ERR_NOT_FOUND, name); /* can't happen: caller's account */
    if (ots_store_instance_count(s) >= EMU_MAX_OTS_INSTANCES)
        return ots__inst_fail(call, INST_ERR_QUOTA, name);
    const char *ptext = ots__inst_arg(call, "Policy");
    ots_instance_t *in;
    emu_err e = {0};
    if (ots_store_instance_create(s, name, OTS_NET_ANY, &in, &e))
        return ots__inst_fail(call, INST_ERR_BAD_NAME, name);
    policy_doc_t *pol = NULL;
    if (ptext && *ptext && (rc = read_policy(call, in, ptext, &pol))) {
        ots_store_instance_delete(s, name, &e);
        return rc;
    }
    ots_instance_set_acl(in, &acl);
    ots_instance_set_policy(in, pol, pol ? 1 : 0);
    ots_instance_set_info(in, description, cluster, emu_clock_now_ms());
    return ots__inst_tag_set(call, in, tags, n_tags); /* checked above: cannot fail */
}

static emu_rc inst_create(emu_call *call)
{
    const char *name, *cluster;
    ots__inst_tag tags[TAGS_CAP];
    emu_rc rc;
    if ((rc = ots__inst_need(call, "InstanceName", &name)) ||
        (rc = ots__inst_need(call, "ClusterType", &cluster)))
        return rc;
    size_t n = body_tags(call, tags, TAGS_CAP);
    rc = ots__inst_create(call, name, cluster, ots__inst_arg(call, "InstanceDescription"), tags, n);
    return rc ? rc : ok(call, NULL);
}

static emu_rc inst_get(emu_call *call)
{
    ots_instance_t *in;
    emu_rc rc = ots__inst_own(call, &in);
    return rc ? rc : ok(call, instance_json(call, in, true));
}

static emu_rc inst_list(emu_call *call)
{
    const char *max = ots__inst_arg(call, "MaxResults"), *token = ots__inst_arg(call, "NextToken");
    const char *only = ots__inst_arg(call, "InstanceName");
    char *end;
    long m = max ? strtol(max, &end, 10) : 50;
    long from = token && *token ? strtol(token, &end, 10) : 0;
    if (m < 1 || m > 200 || from < 0)
        return ots__inst_fail(call, INST_ERR_BAD_PAGE, max ? max : token);
    ots_store_t *s = ots__inst_store(call, false);
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(r, "Instances");
    size_t n = 0, shown = 0;
    for (size_t i = 0; s && i < ots_store_instance_count(s); i++) {
        const ots_instance_t *in = ots_store_instance_at(s, i);
        if (only && *only && emu_strcasecmp(only, ots_instance_name(in)) != 0)
            continue;
        if (n >= (size_t)from && shown < (size_t)m) {
            cJSON_AddItemToArray(list, instance_json(call, in, false));
            shown++;
        }
        n++;
    }
    cJSON_AddNumberToObject(r, "TotalCount", (double)n);
    if ((size_t)from + shown < n) {
        char next[24];
        snprintf(next, sizeof next, "%zu", (size_t)from + shown);
        cJSON_AddStringToObject(r, "NextToken", next);
    } else {
        cJSON_AddStringToObject(r, "NextToken", "");
    }
    return ok(call, r);
}

static emu_rc inst_update(emu_call *call)
{
    ots_instance_t *in;
    emu_rc rc = ots__inst_own(call, &in);
    if (rc)
        return rc;
    ots_net_acl acl = ots_instance_acl(in);
    bool acl_set;
    if ((rc = ots__inst_read_acl(call, &acl, &acl_set)))
        return rc;
    if (acl_set)
        ots_instance_set_acl(in, &acl);
    ots_instance_set_info(in, ots__inst_arg(call, "InstanceDescription"), NULL, 0);
    return ok(call, NULL);
}

emu_rc ots__inst_delete(emu_call *call)
{
    ots_instance_t *in;
    emu_rc rc = ots__inst_own(call, &in);
    if (rc)
        return rc;
    emu_err e = {0};
    char *name = emu_arena_strdup(call->arena, ots_instance_name(in));
    if (ots_store_table_count(in))
        return ots__inst_fail(call, INST_ERR_NOT_EMPTY, name);
    if (ots_store_instance_delete(ots__inst_store(call, false), name, &e))
        return ots__inst_fail(call, INST_ERR_NOT_FOUND, name);
    return EMU_OK;
}

static emu_rc inst_delete(emu_call *call)
{
    emu_rc rc = ots__inst_delete(call);
    return rc ? rc : ok(call, NULL);
}

/* PolicyVersion [inferred]: the version the caller last read
 * (GetInstance); a stale one is refused, so two writers cannot overwrite
 * each other unseen. The stored version then goes up by one. */
static emu_rc check_version(emu_call *call, const ots_instance_t *in, int64_t *current)
{
    const char *s = ots__inst_arg(call, "PolicyVersion");
    char *end;
    ots_instance_policy(in, current);
    if (!s)
        return EMU_OK;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v != *current)
        return ots__inst_fail(call, INST_ERR_POLICY_VERSION, ots_instance_name(in));
    return EMU_OK;
}

static emu_rc inst_update_policy(emu_call *call)
{
    ots_instance_t *in;
    const char *text;
    int64_t version;
    policy_doc_t *pol = NULL;
    emu_rc rc;
    if ((rc = ots__inst_own(call, &in)) || (rc = ots__inst_need(call, "Policy", &text)) ||
        (rc = check_version(call, in, &version)) || (rc = read_policy(call, in, text, &pol)))
        return rc;
    ots_instance_set_policy(in, pol, version + 1);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "Code", "200");
    cJSON_AddStringToObject(r, "Message", "success");
    return ok(call, r);
}

static emu_rc inst_delete_policy(emu_call *call)
{
    ots_instance_t *in;
    int64_t version;
    emu_rc rc;
    if ((rc = ots__inst_own(call, &in)) || (rc = check_version(call, in, &version)))
        return rc;
    if (!ots_instance_policy(in, NULL))
        return ots__inst_fail(call, INST_ERR_NO_POLICY, ots_instance_name(in));
    ots_instance_set_policy(in, NULL, 0);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "Code", "200");
    cJSON_AddStringToObject(r, "Message", "success");
    return ok(call, r);
}

/* CheckInstancePolicy: compiles Policy as an instance policy of the named
 * instance and stores nothing. The answer's Code and Message are the
 * documentation's sample; a bad policy gets UpdateInstancePolicy's error. */
static emu_rc inst_check_policy(emu_call *call)
{
    ots_instance_t *in;
    const char *text;
    policy_doc_t *pol = NULL;
    emu_rc rc;
    if ((rc = ots__inst_own(call, &in)) || (rc = ots__inst_need(call, "Policy", &text)) ||
        (rc = read_policy(call, in, text, &pol)))
        return rc;
    policy_doc_free(pol);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "Code", "OK");
    cJSON_AddStringToObject(r, "Message", "Verification passed.");
    return ok(call, r);
}

/* TagResources / UntagResources / ListTagResources (ResourceType
 * "INSTANCE", ResourceIds = instance names; the Alibaba Cloud tag API
 * shape). At most EMU_MAX_OTS_INSTANCE_TAGS tags per instance. */
static emu_rc tag_targets(emu_call *call, const cJSON *b, bool required, ots_instance_t **out,
                          size_t cap, size_t *n)
{
    const cJSON *type = b ? cJSON_GetObjectItemCaseSensitive(b, "ResourceType") : NULL;
    const cJSON *ids = b ? cJSON_GetObjectItemCaseSensitive(b, "ResourceIds") : NULL, *x;
    *n = 0;
    if (type && (!cJSON_IsString(type) || emu_strcasecmp(type->valuestring, "INSTANCE") != 0))
        return ots__inst_fail(call, INST_ERR_BAD_RESOURCE_TYPE,
                              cJSON_IsString(type) ? type->valuestring : "?");
    if (!cJSON_IsArray(ids) || !cJSON_GetArraySize(ids)) {
        if (!required)
            return EMU_OK;
        const char *dummy;
        return ots__inst_need(call, "ResourceIds", &dummy);
    }
    cJSON_ArrayForEach(x, ids)
    {
        if (!cJSON_IsString(x))
            return ots__inst_fail(call, INST_ERR_NOT_FOUND, "?");
        ots_instance_t *in = ots__inst_find(call, x->valuestring);
        if (!in)
            return ots__inst_fail(call, INST_ERR_NOT_FOUND, x->valuestring);
        if (*n == cap)
            return ots__inst_fail(call, INST_ERR_BAD_PAGE, "ResourceIds");
        out[(*n)++] = in;
    }
    return EMU_OK;
}

#define TAG_MAX_TARGETS 50

static emu_rc inst_tag(emu_call *call)
{
    ots_instance_t *targets[TAG_MAX_TARGETS];
    ots__inst_tag tags[TAGS_CAP];
    size_t n;
    cJSON *b = body_json(call);
    emu_rc rc = tag_targets(call, b, true, targets, TAG_MAX_TARGETS, &n);
    cJSON_Delete(b);
    size_t nt = body_tags(call, tags, TAGS_CAP);
    if (!rc && !nt) {
        const char *dummy;
        rc = ots__inst_need(call, "Tags", &dummy);
    }
    for (size_t i = 0; !rc && i < n; i++)
        rc = ots__inst_tag_set(call, targets[i], tags, nt);
    return rc ? rc : ok(call, NULL);
}

static emu_rc inst_untag(emu_call *call)
{
    ots_instance_t *targets[TAG_MAX_TARGETS];
    size_t n;
    cJSON *b = body_json(call);
    const cJSON *keys = b ? cJSON_GetObjectItemCaseSensitive(b, "TagKeys") : NULL, *k;
    const cJSON *all = b ? cJSON_GetObjectItemCaseSensitive(b, "All") : NULL;
    emu_rc rc = tag_targets(call, b, true, targets, TAG_MAX_TARGETS, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        if (cJSON_IsTrue(all)) {
            while (ots_instance_tag_count(targets[i]))
                ots_instance_tag_remove(targets[i], ots_instance_tag_at(targets[i], 0, NULL));
            continue;
        }
        const cJSON *klist = cJSON_IsArray(keys) ? keys : NULL;
        cJSON_ArrayForEach(k, klist)
        {
            if (cJSON_IsString(k))
                ots_instance_tag_remove(targets[i], k->valuestring);
        }
    }
    cJSON_Delete(b);
    return rc ? rc : ok(call, NULL);
}

static emu_rc inst_list_tags(emu_call *call)
{
    ots_instance_t *targets[TAG_MAX_TARGETS];
    size_t n;
    cJSON *b = body_json(call);
    emu_rc rc = tag_targets(call, b, false, targets, TAG_MAX_TARGETS, &n);
    cJSON_Delete(b);
    if (rc)
        return rc;
    ots_store_t *s = ots__inst_store(call, false);
    if (!n) /* every instance of the caller */
        for (size_t i = 0; s && i < ots_store_instance_count(s) && n < TAG_MAX_TARGETS; i++)
            targets[n++] = ots_store_instance_at(s, i);
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(r, "TagResources");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ots_instance_tag_count(targets[i]); j++) {
            const char *v, *k = ots_instance_tag_at(targets[i], j, &v);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "ResourceId", ots_instance_name(targets[i]));
            cJSON_AddStringToObject(o, "ResourceType", "INSTANCE");
            cJSON_AddStringToObject(o, "TagKey", k);
            cJSON_AddStringToObject(o, "TagValue", v);
            cJSON_AddItemToArray(list, o);
        }
    cJSON_AddStringToObject(r, "NextToken", "");
    return ok(call, r);
}

/* --- the service ----------------------------------------------------------------------- */

const char *ots__inst_arn(emu_call *call, const char *name)
{
    char *low = emu_arena_strdup(call->arena, !name || !*name ? "*" : name);
    for (char *c = low; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    return emu_arena_concat(call->arena, "acs:ots:", world_region(call->world), ":",
                            call->principal.account_id ? call->principal.account_id : "",
                            ":instance/", low, NULL);
}

/* The instance ARN the call is authorized on: the caller's account, the
 * name lower-cased as Tablestore's Resource elements spell it. */
static const char *inst_resource(emu_call *call)
{
    bool list = call->action &&
                (call->action->handler == inst_list || call->action->handler == inst_list_tags);
    return ots__inst_arn(call, list ? NULL : ots__inst_arg(call, "InstanceName"));
}

static const emu_action inst_actions[] = {
    {"CreateInstance", inst_create, "ots:CreateInstance", EMU_ACT_WRITE},
    {"GetInstance", inst_get, "ots:GetInstance", EMU_ACT_READ},
    {"ListInstances", inst_list, "ots:ListInstances", EMU_ACT_READ},
    {"UpdateInstance", inst_update, "ots:UpdateInstance", EMU_ACT_WRITE},
    {"DeleteInstance", inst_delete, "ots:DeleteInstance", EMU_ACT_WRITE},
    {"UpdateInstancePolicy", inst_update_policy, "ots:UpdateInstancePolicy", EMU_ACT_WRITE},
    {"DeleteInstancePolicy", inst_delete_policy, "ots:DeleteInstancePolicy", EMU_ACT_WRITE},
    {"CheckInstancePolicy", inst_check_policy, "ots:CheckInstancePolicy", EMU_ACT_READ},
    {"TagResources", inst_tag, "ots:TagResources", EMU_ACT_WRITE},
    {"UntagResources", inst_untag, "ots:UntagResources", EMU_ACT_WRITE},
    {"ListTagResources", inst_list_tags, "ots:ListTagResources", EMU_ACT_READ},
};

emu_rc ots__inst_authorize(emu_call *call, const ots__inst_tag *tags, size_t n_tags,
                           const char *const *names, size_t n_names, bool all)
{
    policy_ckey keys[EMU_MAX_OTS_INSTANCE_TAGS];
    size_t nk = 0;
    for (size_t i = 0; i < n_tags && nk < EMU_MAX_OTS_INSTANCE_TAGS; i++) {
        if (!tags[i].key)
            continue;
        const char **vals = emu_arena_alloc(call->arena, sizeof *vals);
        vals[0] = tags[i].value ? tags[i].value : "";
        keys[nk++] = (policy_ckey){
            emu_arena_concat(call->arena, "acs:RequestTag/", tags[i].key, NULL), vals, 1};
    }
    emu_authz_req q = {.action = call->action->policy_action, .keys = keys, .n_keys = nk};
    if (!n_names) {
        q.resource = ots__inst_arn(call, all ? NULL : ots__inst_arg(call, "InstanceName"));
        return emu_authz_check(call, &q);
    }
    for (size_t i = 0; i < n_names; i++) {
        q.resource = ots__inst_arn(call, names[i]);
        emu_rc rc = emu_authz_check(call, &q);
        if (rc)
            return rc;
    }
    return EMU_OK;
}

/* The authorize phase: ots:<Action> on each instance the call names (the
 * tag calls name several in ResourceIds), with the tags it asks for as
 * acs:RequestTag/<key> condition keys (CreateInstance, TagResources), as
 * the tag service documents them. */
static emu_rc inst_authorize(emu_call *call)
{
    ots__inst_tag tags[EMU_MAX_OTS_INSTANCE_TAGS];
    size_t nt = 0;
    const char *names[TAG_MAX_TARGETS];
    size_t nn = 0;
    emu_rc (*h)(emu_call *) = call->action->handler;
    if (h == inst_create || h == inst_tag)
        nt = body_tags(call, tags, EMU_MAX_OTS_INSTANCE_TAGS);
    if (h == inst_tag || h == inst_untag || h == inst_list_tags) {
        cJSON *b = body_json(call);
        const cJSON *ids = b ? cJSON_GetObjectItemCaseSensitive(b, "ResourceIds") : NULL, *x;
        if (!cJSON_IsArray(ids))
            ids = NULL;
        cJSON_ArrayForEach(x, ids)
        {
            if (cJSON_IsString(x) && nn < TAG_MAX_TARGETS)
                names[nn++] = emu_arena_strdup(call->arena, x->valuestring);
        }
        cJSON_Delete(b);
    }
    return ots__inst_authorize(call, tags, nt, names, nn, h == inst_list || h == inst_list_tags);
}

const emu_service emu_ots_instance_service = {
    .name = "tablestore",
    .decode = inst_decode,
    .actions = inst_actions,
    .n_actions = sizeof inst_actions / sizeof inst_actions[0],
    .authenticate = emu_rpc_authenticate,
    .authorize = inst_authorize,
    .resource = inst_resource,
    .unknown_action = emu_rpc_unknown_action,
    .render_ok = emu_rpc_render_ok,
    .render_err = emu_rpc_render_err,
};
