/* The Tablestore instance API, 2016-06-20 (ots.<region>.aliyuncs.com, RPC
 * product "Ots", signature V1 or V3), as the older SDKs
 * (aliyun-python-sdk-ots, aliyun-java-sdk-ots, alibaba-cloud-sdk-go
 * services/ots) and Terraform's alicloud provider call it: InsertInstance,
 * GetInstance, ListInstance, UpdateInstance, DeleteInstance,
 * ListClusterType, InsertTags, DeleteTags, ListTags. Parameters are the
 * SDKs' query parameters (tags as TagInfo.N.TagKey / TagInfo.N.TagValue);
 * answers have the SDKs' shapes (GetInstanceResponse.InstanceInfo,
 * ListInstanceResponse.InstanceInfos.InstanceInfo[], ...), in JSON or
 * XML as Format asks.
 *
 * It is the same world as 2020-12-09 (ots_instance_int.h): an instance made
 * here is seen by GetInstance 2020-12-09 and serves the data plane at once.
 * Each call is authorized as ots:<Action> with the 2016-06-20 action name
 * (ots:InsertInstance, ots:ListInstance, ...: RAM's actions for this
 * version are the API names [inferred]) on the instance ARN, as
 * 2020-12-09 does.
 *
 * The VPC binding calls (BindInstance2Vpc, UnbindInstance2Vpc,
 * ListVpcInfoByInstance, ListVpcInfoByVpc) are answered with the
 * not-supported error naming them: acsemu's network model has the
 * instance's network type and source ACLs and the request's source VPC, but
 * no VPC attachments with their own endpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/ots.h"
#include "emu/rpc.h"
#include "emu/str.h"
#include "emu/world.h"
#include "ots_instance_int.h"

/* One more than an instance may hold, so that too many is seen. */
#define TAGS_CAP (EMU_MAX_OTS_INSTANCE_TAGS + 1)

/* TagInfo.N.TagKey / TagInfo.N.TagValue, N = 1, 2, ... until the first N
 * with neither. A value without its key is kept with a NULL key (refused
 * by the tag rules). */
static size_t tag_infos(emu_call *call, ots__inst_tag *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 1; n < cap; i++) {
        char kname[40], vname[40];
        snprintf(kname, sizeof kname, "TagInfo.%zu.TagKey", i);
        snprintf(vname, sizeof vname, "TagInfo.%zu.TagValue", i);
        const char *k = emu_rpc_param(call, kname), *v = emu_rpc_param(call, vname);
        if (!k && !v)
            break;
        out[n++] = (ots__inst_tag){k, v ? v : ""};
    }
    return n;
}

/* PageSize (1-100, default 10 [inferred]) and PageNum (from 1). */
static emu_rc paging(emu_call *call, long *size, long *num)
{
    const char *ps = emu_rpc_param(call, "PageSize"), *pn = emu_rpc_param(call, "PageNum");
    char *end = NULL;
    *size = ps ? strtol(ps, &end, 10) : 10;
    if (ps && (end == ps || *end || *size < 1 || *size > 100))
        return ots__inst_fail(call, INST_ERR_BAD_PAGE_V1, ps);
    *num = pn ? strtol(pn, &end, 10) : 1;
    if (pn && (end == pn || *end || *num < 1 || *num > 100000))
        return ots__inst_fail(call, INST_ERR_BAD_PAGE_V1, pn);
    return EMU_OK;
}

static void add_paging(cJSON *r, size_t total, long size, long num)
{
    cJSON_AddNumberToObject(r, "TotalCount", (double)total);
    cJSON_AddNumberToObject(r, "PageNum", (double)num);
    cJSON_AddNumberToObject(r, "PageSize", (double)size);
}

static bool has_tags(const ots_instance_t *in, const ots__inst_tag *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < ots_instance_tag_count(in) && !found; j++) {
            const char *v, *k = ots_instance_tag_at(in, j, &v);
            found = tags[i].key && !strcmp(k, tags[i].key) &&
                    (!tags[i].value[0] || !strcmp(v, tags[i].value));
        }
        if (!found)
            return false;
    }
    return true;
}

/* {"TagInfo": [{"TagKey", "TagValue"}, ...]} */
static cJSON *tag_infos_json(const ots_instance_t *in, const ots__inst_tag *only, size_t n_only)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "TagInfo");
    for (size_t i = 0; i < ots_instance_tag_count(in); i++) {
        const char *v, *k = ots_instance_tag_at(in, i, &v);
        ots__inst_tag t = {k, v};
        if (n_only) {
            bool want = false;
            for (size_t j = 0; j < n_only && !want; j++)
                want = only[j].key && !strcmp(only[j].key, k) &&
                       (!only[j].value[0] || !strcmp(only[j].value, v));
            if (!want)
                continue;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "TagKey", t.key);
        cJSON_AddStringToObject(e, "TagValue", t.value);
        cJSON_AddItemToArray(list, e);
    }
    return o;
}

static emu_rc ok(emu_call *call, cJSON *r)
{
    call->result = r ? r : cJSON_CreateObject();
    return EMU_OK;
}

/* --- handlers ----------------------------------------------------------------------- */

static emu_rc ots_insert_instance(emu_call *call)
{
    const char *name, *cluster;
    ots__inst_tag tags[TAGS_CAP];
    emu_rc rc;
    if ((rc = ots__inst_need(call, "InstanceName", &name)) ||
        (rc = ots__inst_need(call, "ClusterType", &cluster)))
        return rc;
    size_t n = tag_infos(call, tags, TAGS_CAP);
    rc = ots__inst_create(call, name, cluster, emu_rpc_param(call, "Description"), tags, n);
    return rc ? rc : ok(call, NULL);
}

/* GetInstanceResponse.InstanceInfo: the fields the 2016-06-20 SDKs read.
 * Status 1 is "running" (Terraform waits for it); ReadCapacity and
 * WriteCapacity are the reserved throughput acsemu does not model (0)
 * [inferred]. */
static emu_rc ots_get_instance(emu_call *call)
{
    ots_instance_t *in;
    emu_rc rc = ots__inst_own(call, &in);
    if (rc)
        return rc;
    ots_instance_info info = ots_instance_info_of(in);
    ots_net_acl acl = ots_instance_acl(in);
    char when[21];
    emu_time_iso(info.create_ms ? info.create_ms : emu_clock_now_ms(), when);
    cJSON *r = cJSON_CreateObject();
    cJSON *o = cJSON_AddObjectToObject(r, "InstanceInfo");
    cJSON_AddStringToObject(o, "InstanceName", ots_instance_name(in));
    cJSON_AddStringToObject(o, "UserId", call->principal.account_id);
    cJSON_AddStringToObject(o, "Network",
                            !acl.has_types    ? "NORMAL"
                            : acl.has_sources ? "VPC_CONSOLE"
                                              : "VPC");
    cJSON_AddNumberToObject(o, "Status", 1);
    cJSON_AddNumberToObject(o, "WriteCapacity", 0);
    cJSON_AddNumberToObject(o, "ReadCapacity", 0);
    cJSON_AddStringToObject(o, "Description", info.description);
    cJSON_AddStringToObject(o, "CreateTime", when);
    cJSON_AddStringToObject(o, "ClusterType", info.cluster);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "Quota"), "EntityQuota", EMU_MAX_OTS_TABLES);
    cJSON_AddItemToObject(o, "TagInfos", tag_infos_json(in, NULL, 0));
    return ok(call, r);
}

/* ListInstanceResponse: the caller's instances (those with every TagInfo
 * given), a page at a time; Timestamp is the creation time. */
static emu_rc ots_list_instance(emu_call *call)
{
    long size, num;
    ots__inst_tag tags[TAGS_CAP];
    emu_rc rc = paging(call, &size, &num);
    if (rc)
        return rc;
    size_t nt = tag_infos(call, tags, TAGS_CAP);
    ots_store_t *s = ots__inst_store(call, false);
    cJSON *r = cJSON_CreateObject();
    cJSON *infos = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(infos, "InstanceInfo");
    size_t n = 0, from = (size_t)(num - 1) * (size_t)size;
    for (size_t i = 0; s && i < ots_store_instance_count(s); i++) {
        const ots_instance_t *in = ots_store_instance_at(s, i);
        if (!has_tags(in, tags, nt))
            continue;
        if (n >= from && n < from + (size_t)size) {
            char when[21];
            ots_instance_info info = ots_instance_info_of(in);
            emu_time_iso(info.create_ms ? info.create_ms : emu_clock_now_ms(), when);
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "InstanceName", ots_instance_name(in));
            cJSON_AddStringToObject(e, "Timestamp", when);
            cJSON_AddItemToArray(list, e);
        }
        n++;
    }
    add_paging(r, n, size, num);
    cJSON_AddItemToObject(r, "InstanceInfos", infos);
    return ok(call, r);
}

/* UpdateInstance: Network (NORMAL / VPC / VPC_CONSOLE) and Description
 * [inferred: the Python SDK sends only Network; the Java SDK also
 * Description]. */
static emu_rc ots_update_instance(emu_call *call)
{
    ots_instance_t *in;
    emu_rc rc = ots__inst_own(call, &in);
    if (rc)
        return rc;
    ots_net_acl acl = ots_instance_acl(in);
    bool set;
    if ((rc = ots__inst_read_acl(call, &acl, &set)))
        return rc;
    if (set)
        ots_instance_set_acl(in, &acl);
    ots_instance_set_info(in, emu_rpc_param(call, "Description"), NULL, 0);
    return ok(call, NULL);
}

static emu_rc ots_delete_instance(emu_call *call)
{
    emu_rc rc = ots__inst_delete(call);
    return rc ? rc : ok(call, NULL);
}

/* ListClusterTypeResponse.ClusterTypeInfos.ClusterType[]: what
 * InsertInstance accepts. */
static emu_rc ots_list_cluster_type(emu_call *call)
{
    static const char *const types[] = {"SSD", "HYBRID"};
    cJSON *r = cJSON_CreateObject();
    cJSON *infos = cJSON_AddObjectToObject(r, "ClusterTypeInfos");
    cJSON_AddItemToObject(infos, "ClusterType", cJSON_CreateStringArray(types, 2));
    return ok(call, r);
}

static emu_rc need_tags(emu_call *call, ots__inst_tag *tags, size_t *n)
{
    *n = tag_infos(call, tags, TAGS_CAP);
    if (*n)
        return EMU_OK;
    const char *dummy;
    return ots__inst_need(call, "TagInfo.1.TagKey", &dummy);
}

static emu_rc ots_insert_tags(emu_call *call)
{
    ots_instance_t *in;
    ots__inst_tag tags[TAGS_CAP];
    size_t n;
    emu_rc rc;
    if ((rc = ots__inst_own(call, &in)) || (rc = need_tags(call, tags, &n)) ||
        (rc = ots__inst_tag_set(call, in, tags, n)))
        return rc;
    return ok(call, NULL);
}

/* DeleteTags: each TagInfo's key, only where the value matches when one is
 * given [inferred]. */
static emu_rc ots_delete_tags(emu_call *call)
{
    ots_instance_t *in;
    ots__inst_tag tags[TAGS_CAP];
    size_t n;
    emu_rc rc;
    if ((rc = ots__inst_own(call, &in)) || (rc = need_tags(call, tags, &n)))
        return rc;
    for (size_t i = 0; i < n; i++)
        if (tags[i].key && has_tags(in, &tags[i], 1))
            ots_instance_tag_remove(in, tags[i].key);
    return ok(call, NULL);
}

/* ListTagsResponse: the instance's tags (those matching a TagInfo given),
 * a page at a time. */
static emu_rc ots_list_tags(emu_call *call)
{
    ots_instance_t *in;
    long size, num;
    ots__inst_tag tags[TAGS_CAP];
    emu_rc rc;
    if ((rc = ots__inst_own(call, &in)) || (rc = paging(call, &size, &num)))
        return rc;
    size_t nt = tag_infos(call, tags, TAGS_CAP);
    cJSON *infos = tag_infos_json(in, tags, nt);
    cJSON *all = cJSON_GetObjectItemCaseSensitive(infos, "TagInfo");
    size_t total = (size_t)cJSON_GetArraySize(all), from = (size_t)(num - 1) * (size_t)size;
    cJSON *page = cJSON_CreateArray();
    for (size_t i = 0; i < total; i++) {
        cJSON *e = cJSON_DetachItemFromArray(all, 0);
        if (i >= from && i < from + (size_t)size)
            cJSON_AddItemToArray(page, e);
        else
            cJSON_Delete(e);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(infos, "TagInfo", page);
    cJSON *r = cJSON_CreateObject();
    add_paging(r, total, size, num);
    cJSON_AddItemToObject(r, "TagInfos", infos);
    return ok(call, r);
}

/* The VPC attachments (see the top of the file). The instance must exist
 * (NotFound first, as for every call naming one); then the product's
 * "not supported" answer naming the action [inferred code]. */
static emu_rc ots_vpc_unsupported(emu_call *call)
{
    ots_instance_t *in;
    emu_rc rc;
    if (emu_rpc_param(call, "InstanceName") && (rc = ots__inst_own(call, &in)))
        return rc;
    return ots__inst_fail(call, INST_ERR_UNSUPPORTED, call->action_name);
}

/* --- the service ----------------------------------------------------------------------- */

static const emu_action v1_actions[] = {
    {"InsertInstance", ots_insert_instance, "ots:InsertInstance", EMU_ACT_WRITE},
    {"GetInstance", ots_get_instance, "ots:GetInstance", EMU_ACT_READ},
    {"ListInstance", ots_list_instance, "ots:ListInstance", EMU_ACT_READ},
    {"UpdateInstance", ots_update_instance, "ots:UpdateInstance", EMU_ACT_WRITE},
    {"DeleteInstance", ots_delete_instance, "ots:DeleteInstance", EMU_ACT_WRITE},
    {"ListClusterType", ots_list_cluster_type, "ots:ListClusterType", EMU_ACT_READ},
    {"InsertTags", ots_insert_tags, "ots:InsertTags", EMU_ACT_WRITE},
    {"DeleteTags", ots_delete_tags, "ots:DeleteTags", EMU_ACT_WRITE},
    {"ListTags", ots_list_tags, "ots:ListTags", EMU_ACT_READ},
    {"BindInstance2Vpc", ots_vpc_unsupported, "ots:BindInstance2Vpc", EMU_ACT_WRITE},
    {"UnbindInstance2Vpc", ots_vpc_unsupported, "ots:UnbindInstance2Vpc", EMU_ACT_WRITE},
    {"ListVpcInfoByInstance", ots_vpc_unsupported, "ots:ListVpcInfoByInstance", EMU_ACT_READ},
    {"ListVpcInfoByVpc", ots_vpc_unsupported, "ots:ListVpcInfoByVpc", EMU_ACT_READ},
};

static bool lists_all(const emu_call *call)
{
    emu_rc (*h)(emu_call *) = call->action->handler;
    return h == ots_list_instance || h == ots_list_cluster_type ||
           (h == ots_vpc_unsupported && !emu_rpc_param(call, "InstanceName"));
}

/* ots:<Action> on the named instance (the listing calls: on every
 * instance), with InsertInstance's and InsertTags' TagInfo as
 * acs:RequestTag/<key> [inferred, as 2020-12-09 does]. */
static emu_rc v1_authorize(emu_call *call)
{
    ots__inst_tag tags[EMU_MAX_OTS_INSTANCE_TAGS];
    size_t nt = 0;
    if (call->action->handler == ots_insert_instance || call->action->handler == ots_insert_tags)
        nt = tag_infos(call, tags, EMU_MAX_OTS_INSTANCE_TAGS);
    return ots__inst_authorize(call, tags, nt, NULL, 0, lists_all(call));
}

static const char *v1_resource(emu_call *call)
{
    return ots__inst_arn(
        call, call->action && lists_all(call) ? NULL : emu_rpc_param(call, "InstanceName"));
}

const emu_service emu_ots_instance_v1_service = {
    .name = "tablestore", /* the same family as 2020-12-09 (decision records, faults) */
    .decode = emu_rpc_decode,
    .actions = v1_actions,
    .n_actions = sizeof v1_actions / sizeof v1_actions[0],
    .authenticate = emu_rpc_authenticate,
    .authorize = v1_authorize,
    .resource = v1_resource,
    .unknown_action = emu_rpc_unknown_action,
    .render_ok = emu_rpc_render_ok,
    .render_err = emu_rpc_render_err,
};
