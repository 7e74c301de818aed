/* RAM tags: TagResources, UntagResources and ListTagResources on roles and
 * custom policies (RAM 2015-05-01), the Tag parameter of CreateRole and
 * CreatePolicy, and the condition keys a request's tags become.
 *
 * Limits, as the API reference gives them: a request names at most 50
 * resources and 20 tags (or tag keys); a key is at most 128 characters, a
 * value at most 256; a resource holds at most 20 tags (world_tag_validate,
 * EMU_MAX_RAM_TAGS). The reference lists no error codes for these calls:
 * ram_errors.def answers with the tag service family's [inferred].
 *
 * Authorization. The tags of the role or policy a request acts on are
 * acs:ResourceTag/<key> for every ram:* action on it and for sts:AssumeRole
 * on the role (emu_authz_check reads them from the world, so simulate and
 * replay see them too). The tags a request asks for are acs:RequestTag/<key>
 * and their keys acs:TagKeys (CreateRole, CreatePolicy, TagResources; the
 * keys of UntagResources as acs:TagKeys). The reference lists the tag calls
 * under "All Resources"; acsemu checks them once per named role or policy,
 * on its ARN, so that Resource and acs:ResourceTag statements apply to them
 * as to the other calls on the entity (a "*" statement matches either way)
 * [inferred]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/json.h"
#include "emu/limits.h"
#include "ram_int.h"

/* --- parameters ------------------------------------------------------------------------ */

/* The SDKs send a list two ways: the current ones (style "json") as one
 * parameter holding a JSON array ("ResourceNames": "[\"r1\",\"r2\"]",
 * "Tag": "[{\"Key\":\"env\",\"Value\":\"dev\"}]"), older ones (pop-core, the
 * CLI) flat ("ResourceNames.1", "Tag.1.Key", "Tag.1.Value"). Both are read. */
static cJSON *json_list(emu_call *call, const char *param, emu_rc *rc)
{
    const char *j = emu_rpc_param(call, param);
    *rc = EMU_OK;
    if (!j || !*j)
        return NULL;
    emu_err e = {0};
    cJSON *a = emu_json_parse(j, strlen(j), &e);
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        *rc = ram__bad_param(call, param);
    }
    return a;
}

emu_rc ram__names_param(emu_call *call, const char *param, size_t cap, ram_err too_many,
                        const char **out, size_t *n)
{
    emu_rc rc;
    cJSON *a = json_list(call, param, &rc);
    *n = 0;
    if (rc)
        return rc;
    if (a) {
        const cJSON *x;
        cJSON_ArrayForEach(x, a)
        {
            if (!cJSON_IsString(x) || !x->valuestring[0]) {
                rc = ram__bad_param(call, param);
                break;
            }
            if (*n == cap) {
                rc = ram__fail(call, too_many);
                break;
            }
            out[(*n)++] = emu_arena_strdup(call->arena, x->valuestring);
        }
        cJSON_Delete(a);
        return rc;
    }
    for (size_t i = 1;; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.%zu", param, i);
        const char *v = emu_rpc_param(call, name);
        if (!v)
            break;
        if (!*v)
            return ram__bad_param(call, name);
        if (*n == cap)
            return ram__fail(call, too_many);
        out[(*n)++] = v;
    }
    return EMU_OK;
}

static emu_rc check_tag(emu_call *call, const char *key, const char *value)
{
    switch (world_tag_validate(key, value)) {
    case WORLD_TAG_OK:
        return EMU_OK;
    case WORLD_TAG_VALUE_LONG:
    case WORLD_TAG_VALUE_URL:
        return ram__fail(call, RAM_ERR_TAG_VALUE);
    default:
        return ram__fail(call, RAM_ERR_TAG_KEY);
    }
}

emu_rc ram__tags_param(emu_call *call, ram_tag_kv *out, size_t *n)
{
    emu_rc rc;
    cJSON *a = json_list(call, "Tag", &rc);
    *n = 0;
    if (rc)
        return rc;
    if (a) {
        const cJSON *t;
        cJSON_ArrayForEach(t, a)
        {
            const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
            if (!cJSON_IsString(k) || (v && !cJSON_IsNull(v) && !cJSON_IsString(v))) {
                rc = ram__fail(call, !cJSON_IsString(k) ? RAM_ERR_TAG_KEY : RAM_ERR_TAG_VALUE);
                break;
            }
            const char *vs = cJSON_IsString(v) ? v->valuestring : "";
            if ((rc = check_tag(call, k->valuestring, vs)))
                break;
            if (*n == EMU_MAX_RAM_TAGS) {
                rc = ram__fail(call, RAM_ERR_TAG_TOO_MANY);
                break;
            }
            out[*n].key = emu_arena_strdup(call->arena, k->valuestring);
            out[(*n)++].value = emu_arena_strdup(call->arena, vs);
        }
        cJSON_Delete(a);
        return rc;
    }
    for (size_t i = 1;; i++) {
        char kn[32], vn[32];
        snprintf(kn, sizeof kn, "Tag.%zu.Key", i);
        snprintf(vn, sizeof vn, "Tag.%zu.Value", i);
        const char *k = emu_rpc_param(call, kn), *v = emu_rpc_param(call, vn);
        if (!k && !v)
            break;
        /* A value needs its key (the tag service's rule). */
        if ((rc = check_tag(call, k ? k : "", v ? v : "")))
            return rc;
        if (*n == EMU_MAX_RAM_TAGS)
            return ram__fail(call, RAM_ERR_TAG_TOO_MANY);
        out[*n].key = k;
        out[(*n)++].value = v ? v : "";
    }
    return EMU_OK;
}

/* ResourceType: "role" or "policy" (custom policies). */
static emu_rc resource_type(emu_call *call, bool *role)
{
    const char *t;
    emu_rc rc = emu_rpc_require(call, "ResourceType", &t);
    if (rc)
        return rc;
    if (strcmp(t, "role") != 0 && strcmp(t, "policy") != 0)
        return ram__fail(call, RAM_ERR_TAG_RESOURCE_TYPE);
    *role = t[0] == 'r';
    return EMU_OK;
}

/* The tags of a role or custom policy, or its EntityNotExist error. */
static emu_rc tags_of(emu_call *call, world_account *a, bool role, const char *name,
                      world_tags **out, const char **stored)
{
    if (role) {
        world_role *r = world_role_find(a, name);
        if (!r)
            return ram__fail(call, RAM_ERR_ROLE_NOT_EXIST);
        *out = &r->tags;
        *stored = r->name;
    } else {
        world_policy *p = world_policy_find(a, name);
        if (!p)
            return ram__fail(call, RAM_ERR_POLICY_NOT_EXIST);
        *out = &p->tags;
        *stored = p->name;
    }
    return EMU_OK;
}

/* Would adding kv[0..n) pass the per-resource quota? */
static bool fits(const world_tags *t, const ram_tag_kv *kv, size_t n)
{
    size_t total = t->n;
    for (size_t i = 0; i < n; i++) {
        bool dup = world_tags_find(t, kv[i].key) != NULL;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(kv[j].key, kv[i].key) == 0;
        total += !dup;
    }
    return total <= EMU_MAX_RAM_TAGS;
}

emu_rc ram__apply_tags(emu_call *call, world_tags *t, const ram_tag_kv *kv, size_t n)
{
    if (!fits(t, kv, n))
        return ram__fail(call, RAM_ERR_TAG_LIMIT);
    for (size_t i = 0; i < n; i++)
        world_tags_set(t, kv[i].key, kv[i].value);
    return EMU_OK;
}

cJSON *ram__tags_json(const world_tags *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "Tag");
    for (size_t i = 0; i < t->n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "TagKey", t->v[i].key);
        cJSON_AddStringToObject(e, "TagValue", t->v[i].value);
        cJSON_AddItemToArray(list, e);
    }
    return o;
}

bool ram__tags_match(const world_tags *t, const ram_tag_kv *filter, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const world_tag *g = world_tags_find(t, filter[i].key);
        /* [inferred] a filter tag without a value matches any value. */
        if (!g || (filter[i].value[0] && strcmp(g->value, filter[i].value) != 0))
            return false;
    }
    return true;
}

/* --- the calls ------------------------------------------------------------------------- */

emu_rc ram_tag_resources(emu_call *call)
{
    world_account *a = ram__account(call);
    const char *names[EMU_MAX_RAM_TAG_RESOURCES];
    world_tags *targets[EMU_MAX_RAM_TAG_RESOURCES];
    ram_tag_kv kv[EMU_MAX_RAM_TAGS];
    size_t nn, nt;
    bool role;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = resource_type(call, &role)) ||
        (rc = ram__names_param(call, "ResourceNames", EMU_MAX_RAM_TAG_RESOURCES,
                               RAM_ERR_TAG_RESOURCES_TOO_MANY, names, &nn)) ||
        (rc = ram__tags_param(call, kv, &nt)))
        return rc;
    if (!nn)
        return emu_rpc_require(call, "ResourceNames", &names[0]);
    if (!nt)
        return emu_rpc_require(call, "Tag", &names[0]);
    /* All or nothing: every resource exists and has room first. */
    for (size_t i = 0; i < nn; i++) {
        const char *stored;
        if ((rc = tags_of(call, a, role, names[i], &targets[i], &stored)))
            return rc;
        if (!fits(targets[i], kv, nt))
            return ram__fail(call, RAM_ERR_TAG_LIMIT);
    }
    for (size_t i = 0; i < nn; i++)
        ram__apply_tags(call, targets[i], kv, nt);
    call->result = cJSON_CreateObject();
    return EMU_OK;
}

emu_rc ram_untag_resources(emu_call *call)
{
    world_account *a = ram__account(call);
    const char *names[EMU_MAX_RAM_TAG_RESOURCES], *keys[EMU_MAX_RAM_TAGS];
    world_tags *targets[EMU_MAX_RAM_TAG_RESOURCES];
    size_t nn, nk;
    bool role, all;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = resource_type(call, &role)) ||
        (rc = ram__names_param(call, "ResourceNames", EMU_MAX_RAM_TAG_RESOURCES,
                               RAM_ERR_TAG_RESOURCES_TOO_MANY, names, &nn)) ||
        (rc = ram__names_param(call, "TagKeys", EMU_MAX_RAM_TAGS, RAM_ERR_TAG_KEYS_TOO_MANY, keys,
                               &nk)) ||
        (rc = ram__bool_param(call, "All", false, &all)))
        return rc;
    if (!nn)
        return emu_rpc_require(call, "ResourceNames", &names[0]);
    if (!nk && !all)
        return ram__fail(call, RAM_ERR_TAG_KEYS_OR_ALL);
    for (size_t i = 0; i < nn; i++) {
        const char *stored;
        if ((rc = tags_of(call, a, role, names[i], &targets[i], &stored)))
            return rc;
    }
    for (size_t i = 0; i < nn; i++) {
        if (all)
            world_tags_free(targets[i]);
        for (size_t k = 0; !all && k < nk; k++)
            world_tags_remove(targets[i], keys[k]);
    }
    call->result = cJSON_CreateObject();
    return EMU_OK;
}

/* One row per (resource, tag), resources in the account's order; NextToken
 * is the decimal index of the next row (opaque to callers). */
emu_rc ram_list_tag_resources(emu_call *call)
{
    world_account *a = ram__account(call);
    const char *names[EMU_MAX_RAM_TAG_RESOURCES];
    ram_tag_kv filter[EMU_MAX_RAM_TAGS];
    size_t nn, nf;
    bool role;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = resource_type(call, &role)) ||
        (rc = ram__names_param(call, "ResourceNames", EMU_MAX_RAM_TAG_RESOURCES,
                               RAM_ERR_TAG_RESOURCES_TOO_MANY, names, &nn)) ||
        (rc = ram__tags_param(call, filter, &nf)))
        return rc;
    const char *ps = emu_rpc_param(call, "PageSize"), *nt = emu_rpc_param(call, "NextToken");
    size_t page = 100, start = 0; /* the default page [inferred]: the largest allowed */
    if (ps && *ps) {
        if (strlen(ps) > 3 || strspn(ps, "0123456789") != strlen(ps) || atoi(ps) < 1 ||
            atoi(ps) > 100)
            return ram__bad_param(call, "PageSize");
        page = (size_t)atoi(ps);
    }
    if (nt && *nt) {
        if (strlen(nt) > 9 || strspn(nt, "0123456789") != strlen(nt))
            return ram__bad_param(call, "NextToken");
        start = (size_t)atol(nt);
    }
    /* The resources asked for (each must exist), or all of the type. */
    size_t total = nn ? nn : role ? a->n_roles : a->n_policies;
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(r, "TagResources");
    size_t row = 0, shown = 0;
    for (size_t i = 0; i < total; i++) {
        world_tags *t;
        const char *stored;
        if (nn) {
            if ((rc = tags_of(call, a, role, names[i], &t, &stored))) {
                cJSON_Delete(r);
                return rc;
            }
        } else {
            t = role ? &a->roles[i]->tags : &a->policies[i]->tags;
            stored = role ? a->roles[i]->name : a->policies[i]->name;
        }
        if (!ram__tags_match(t, filter, nf))
            continue;
        for (size_t k = 0; k < t->n; k++, row++) {
            if (row < start || shown == page)
                continue;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "ResourceName", stored);
            cJSON_AddStringToObject(e, "ResourceType", role ? "role" : "policy");
            cJSON_AddStringToObject(e, "TagKey", t->v[k].key);
            cJSON_AddStringToObject(e, "TagValue", t->v[k].value);
            cJSON_AddItemToArray(list, e);
            shown++;
        }
    }
    if (start + shown < row) {
        char next[24];
        snprintf(next, sizeof next, "%zu", start + shown);
        cJSON_AddStringToObject(r, "NextToken", next);
    }
    call->result = r;
    return EMU_OK;
}

/* --- authorization --------------------------------------------------------------------- */

/* acs:RequestTag/<key> for each tag and acs:TagKeys for all their keys,
 * into keys[] (EMU_MAX_RAM_TAGS + 1), in the call arena. */
static size_t request_keys(emu_call *call, const ram_tag_kv *kv, size_t n, const char **tag_keys,
                           policy_ckey *keys)
{
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        const char **v = emu_arena_alloc(call->arena, sizeof *v);
        v[0] = kv[i].value;
        keys[nk++] =
            (policy_ckey){emu_arena_concat(call->arena, "acs:RequestTag/", kv[i].key, NULL), v, 1};
        tag_keys[i] = kv[i].key;
    }
    if (n)
        keys[nk++] = (policy_ckey){"acs:TagKeys", tag_keys, n};
    return nk;
}

emu_rc ram__authorize(emu_call *call, const char *resource)
{
    emu_rc (*h)(emu_call *) = call->action ? call->action->handler : NULL;
    policy_ckey keys[EMU_MAX_RAM_TAGS + 1];
    const char **tag_keys = emu_arena_alloc(call->arena, EMU_MAX_RAM_TAGS * sizeof *tag_keys);
    emu_authz_req q = {.resource = resource, .keys = keys};
    /* A parameter that does not parse adds no keys here; the handler then
     * answers its error to a caller who may call. */
    emu_err saved = call->err;
    if (h == ram_create_role || h == ram_create_policy || h == ram_tag_resources) {
        ram_tag_kv kv[EMU_MAX_RAM_TAGS];
        size_t n;
        if (ram__tags_param(call, kv, &n) == EMU_OK)
            q.n_keys = request_keys(call, kv, n, tag_keys, keys);
    } else if (h == ram_untag_resources) {
        size_t n;
        if (ram__names_param(call, "TagKeys", EMU_MAX_RAM_TAGS, RAM_ERR_TAG_KEYS_TOO_MANY, tag_keys,
                             &n) == EMU_OK &&
            n)
            keys[q.n_keys++] = (policy_ckey){"acs:TagKeys", tag_keys, n};
    }
    if (h != ram_tag_resources && h != ram_untag_resources && h != ram_list_tag_resources) {
        call->err = saved;
        return emu_authz_check(call, &q);
    }
    /* The tag calls: once per named role or policy. */
    const world_account *a = ram__account(call);
    const char *t = emu_rpc_param(call, "ResourceType");
    bool role = t && strcmp(t, "role") == 0;
    const char *names[EMU_MAX_RAM_TAG_RESOURCES];
    size_t nn = 0;
    if (ram__names_param(call, "ResourceNames", EMU_MAX_RAM_TAG_RESOURCES,
                         RAM_ERR_TAG_RESOURCES_TOO_MANY, names, &nn) != EMU_OK)
        nn = 0;
    call->err = saved;
    if (!a || !t || (!role && strcmp(t, "policy") != 0) || !nn) {
        q.resource =
            a ? emu_arena_sprintf(call->arena, "acs:ram::%s:%s/*", a->id, role ? "role" : "policy")
              : NULL;
        return emu_authz_check(call, &q);
    }
    for (size_t i = 0; i < nn; i++) {
        if (role) {
            q.resource = ram__role_arn(call, a, names[i]);
        } else {
            const world_policy *p = world_policy_find(a, names[i]);
            q.resource = emu_arena_sprintf(call->arena, "acs:ram::%s:policy/%s", a->id,
                                           p ? p->name : names[i]);
        }
        emu_rc rc = emu_authz_check(call, &q);
        if (rc)
            return rc;
    }
    return EMU_OK;
}
