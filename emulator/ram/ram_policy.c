/* RAM permission policies and their versions: CreatePolicy, GetPolicy,
 * DeletePolicy, ListPolicies, UpdatePolicyDescription, CreatePolicyVersion,
 * GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion,
 * SetDefaultPolicyVersion (rpc-api.md §9.3).
 *
 * System policies are the built-in ones (policy_system_*, the catalog in
 * data/system-policies/): read-only, their current version only. Custom policies belong to the
 * account and keep up to five versions; each version is compiled when it is created and kept
 * compiled (world_policy_version.compiled), labelled (name, "Custom", "vN") so a trace names it. A
 * bad document never reaches the world: it is refused with MalformedPolicyDocument and the engine's
 * JSON location. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "emu/str.h"
#include "ram_int.h"

static emu_rc find_custom(emu_call *call, world_account **a, world_policy **p)
{
    const char *name;
    emu_rc rc;
    *a = ram__account(call);
    if (!*a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "PolicyName", &name)))
        return rc;
    *p = world_policy_find(*a, name);
    if (!*p)
        return ram__fail(call, RAM_ERR_POLICY_NOT_EXIST);
    return EMU_OK;
}

/* PolicyName + PolicyType → one System document (*sys) or one Custom policy
 * (*p). */
static emu_rc find_any(emu_call *call, world_account **a, world_policy **p, size_t *sys)
{
    const char *name;
    bool system;
    emu_rc rc;
    *a = ram__account(call);
    *p = NULL;
    if (!*a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "PolicyName", &name)) ||
        (rc = ram__policy_type(call, true, &system, NULL)))
        return rc;
    if (system) {
        for (size_t i = 0; i < policy_system_count(); i++) {
            if (emu_strcasecmp(policy_doc_name(policy_system_at(i)), name) == 0) {
                *sys = i;
                return EMU_OK;
            }
        }
        return ram__fail(call, RAM_ERR_POLICY_NOT_EXIST);
    }
    *p = world_policy_find(*a, name);
    if (!*p)
        return ram__fail(call, RAM_ERR_POLICY_NOT_EXIST);
    return EMU_OK;
}

static size_t attachment_total(const world_account *a, const char *name, bool system)
{
    ram_attach_count c = ram__count_attachments(a, name, system);
    return c.users + c.groups + c.roles;
}

static cJSON *system_json(emu_call *call, const world_account *a, size_t i, bool full)
{
    const policy_doc_t *d = policy_system_at(i);
    const policy_system_info *in = policy_system_info_at(i);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "PolicyName", in->name);
    cJSON_AddStringToObject(o, "PolicyType", "System");
    cJSON_AddStringToObject(o, "Description", in->description);
    cJSON_AddStringToObject(o, "DefaultVersion", in->version);
    cJSON_AddNumberToObject(o, "AttachmentCount", (double)attachment_total(a, in->name, true));
    cJSON_AddStringToObject(o, "CreateDate", in->create_date);
    cJSON_AddStringToObject(o, "UpdateDate", in->update_date);
    if (full)
        cJSON_AddStringToObject(o, "PolicyDocument", ram__doc_text(d));
    (void)call;
    return o;
}

static cJSON *custom_json(emu_call *call, const world_account *a, const world_policy *p,
                          bool counts, bool full)
{
    const world_policy_version *dv = &p->versions[p->default_version];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "PolicyName", p->name);
    cJSON_AddStringToObject(o, "PolicyType", "Custom");
    cJSON_AddStringToObject(o, "Description", p->description);
    cJSON_AddStringToObject(o, "DefaultVersion", dv->id);
    if (counts)
        cJSON_AddNumberToObject(o, "AttachmentCount", (double)attachment_total(a, p->name, false));
    cJSON_AddStringToObject(o, "CreateDate", ram__date(call, p->create_ms));
    if (counts)
        cJSON_AddStringToObject(o, "UpdateDate", ram__date(call, p->update_ms));
    if (full)
        cJSON_AddStringToObject(o, "PolicyDocument", dv->document);
    return o;
}

static cJSON *version_json(emu_call *call, const world_policy *p, size_t v, bool doc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "VersionId", p->versions[v].id);
    cJSON_AddBoolToObject(o, "IsDefaultVersion", v == p->default_version);
    if (doc)
        cJSON_AddStringToObject(o, "PolicyDocument", p->versions[v].document);
    cJSON_AddStringToObject(o, "CreateDate", ram__date(call, p->versions[v].create_ms));
    return o;
}

static cJSON *system_version_json(size_t i)
{
    const policy_system_info *in = policy_system_info_at(i);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "VersionId", in->version);
    cJSON_AddBoolToObject(o, "IsDefaultVersion", true);
    cJSON_AddStringToObject(o, "PolicyDocument", ram__doc_text(policy_system_at(i)));
    cJSON_AddStringToObject(o, "CreateDate", in->update_date);
    return o;
}

/* Compiles a permission document for version `vid` of policy `name`. */
static emu_rc compile_version(emu_call *call, const char *text, const char *name, const char *vid,
                              policy_doc_t **out)
{
    emu_rc rc = ram__compile(call, text, POLICY_KIND_PERMISSION, RAM_ERR_POLICY_DOC_LENGTH, out);
    if (rc == EMU_OK)
        policy_doc_set_label(*out, name, "Custom", vid);
    return rc;
}

emu_rc ram_create_policy(emu_call *call)
{
    world_account *a = ram__account(call);
    const char *name, *doc, *desc = emu_rpc_param(call, "Description");
    policy_doc_t *compiled = NULL;
    ram_tag_kv tags[EMU_MAX_RAM_TAGS];
    size_t n_tags;
    emu_rc rc;

    if (!a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "PolicyName", &name)) ||
        (rc = ram__check_policy_name(call, name)) ||
        (rc = emu_rpc_require(call, "PolicyDocument", &doc)) ||
        (rc = ram__check_text(call, "Description", desc, RAM_MAX_DESCRIPTION)) ||
        (rc = ram__tags_param(call, tags, &n_tags)))
        return rc;
    /* A Custom policy may not take a System policy's name either: attach
     * calls would become ambiguous to a reader [inferred]. */
    if (world_policy_find(a, name) || policy_system_find(name))
        return ram__fail(call, RAM_ERR_POLICY_EXISTS);
    if (a->n_policies >= RAM_MAX_POLICIES)
        return ram__fail(call, RAM_ERR_POLICY_LIMIT);
    if ((rc = compile_version(call, doc, name, "v1", &compiled)))
        return rc;

    world_policy *p = emu_xcalloc(1, sizeof *p);
    p->name = emu_xstrdup(name);
    p->description = emu_xstrdup(desc ? desc : "");
    p->create_ms = p->update_ms = emu_clock_now_ms();
    p->versions = emu_xcalloc(1, sizeof *p->versions);
    p->n_versions = 1;
    p->versions[0].id = emu_xstrdup("v1");
    p->versions[0].document = emu_xstrdup(doc);
    p->versions[0].create_ms = p->create_ms;
    p->versions[0].compiled = compiled;
    p->default_version = 0;
    p->next_version = 2;
    ram__apply_tags(call, &p->tags, tags, n_tags); /* at most 20: always fits */
    ram__push((void ***)&a->policies, &a->n_policies, p);

    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "Policy", custom_json(call, a, p, false, false));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_get_policy(emu_call *call)
{
    world_account *a;
    world_policy *p;
    size_t sys = 0;
    emu_rc rc = find_any(call, &a, &p, &sys);
    if (rc)
        return rc;
    cJSON *r = cJSON_CreateObject();
    if (p) {
        cJSON_AddItemToObject(r, "Policy", custom_json(call, a, p, true, true));
        cJSON_AddItemToObject(r, "DefaultPolicyVersion",
                              version_json(call, p, p->default_version, true));
    } else {
        cJSON_AddItemToObject(r, "Policy", system_json(call, a, sys, true));
        cJSON_AddItemToObject(r, "DefaultPolicyVersion", system_version_json(sys));
    }
    call->result = r;
    return EMU_OK;
}

emu_rc ram_update_policy_description(emu_call *call)
{
    world_account *a;
    world_policy *p;
    const char *desc = emu_rpc_param(call, "NewDescription");
    emu_rc rc = find_custom(call, &a, &p);
    if (rc || (rc = ram__check_text(call, "NewDescription", desc, RAM_MAX_DESCRIPTION)))
        return rc;
    free(p->description);
    p->description = emu_xstrdup(desc ? desc : "");
    p->update_ms = emu_clock_now_ms();
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "Policy", custom_json(call, a, p, true, false));
    call->result = r;
    return EMU_OK;
}

static void remove_policy(world_account *a, world_policy *p)
{
    for (size_t i = 0; i < a->n_policies; i++) {
        if (a->policies[i] == p) {
            ram__remove_at(a->policies, &a->n_policies, sizeof *a->policies, i);
            break;
        }
    }
    world_policy_free(p);
}

emu_rc ram_delete_policy(emu_call *call)
{
    world_account *a;
    world_policy *p;
    bool cascade;
    emu_rc rc = find_custom(call, &a, &p);
    if (rc || (rc = ram__bool_param(call, "CascadingDelete", false, &cascade)))
        return rc;
    if (!cascade) {
        ram_attach_count c = ram__count_attachments(a, p->name, false);
        if (c.users)
            return ram__fail(call, RAM_ERR_POLICY_DELETE_USER);
        if (c.groups)
            return ram__fail(call, RAM_ERR_POLICY_DELETE_GROUP);
        if (c.roles)
            return ram__fail(call, RAM_ERR_POLICY_DELETE_ROLE);
        if (p->n_versions > 1)
            return ram__fail(call, RAM_ERR_POLICY_DELETE_VERSION);
    } else {
        /* CascadingDelete: detach everywhere, drop every version. */
        ram__detach_everywhere(a, p->name, false);
    }
    remove_policy(a, p);
    return EMU_OK;
}

emu_rc ram_list_policies(emu_call *call)
{
    world_account *a = ram__account(call);
    ram_tag_kv filter[EMU_MAX_RAM_TAGS];
    size_t nf;
    bool system, typed;
    ram_page pg;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = ram__policy_type(call, false, &system, &typed)) ||
        (rc = ram__tags_param(call, filter, &nf)))
        return rc;
    /* System policies first (stable built-in order), then Custom ones in
     * creation order. Tag: only the policies that carry every tag given (a
     * System policy carries none). */
    size_t n_sys = (!typed || system) && !nf ? policy_system_count() : 0;
    size_t n_custom = 0;
    const world_policy **custom =
        emu_arena_alloc(call->arena, (a->n_policies + 1) * sizeof *custom);
    for (size_t i = 0; (!typed || !system) && i < a->n_policies; i++)
        if (ram__tags_match(&a->policies[i]->tags, filter, nf))
            custom[n_custom++] = a->policies[i];
    if ((rc = ram__page(call, n_sys + n_custom, &pg)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    ram__page_put(call, r, &pg);
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Policies"), "Policy");
    for (size_t i = pg.start; i < pg.end; i++) {
        if (i < n_sys)
            cJSON_AddItemToArray(list, system_json(call, a, i, false));
        else {
            const world_policy *p = custom[i - n_sys];
            cJSON *o = custom_json(call, a, p, true, false);
            cJSON_AddItemToObject(o, "Tags", ram__tags_json(&p->tags));
            cJSON_AddItemToArray(list, o);
        }
    }
    call->result = r;
    return EMU_OK;
}

/* VersionId "v<digits>" (rpc-api.md §9.1), else VersionId.Format. */
static emu_rc version_param(emu_call *call, const char **vid)
{
    emu_rc rc = emu_rpc_require(call, "VersionId", vid);
    if (rc)
        return rc;
    const char *v = *vid;
    if (v[0] != 'v' || !v[1] || strspn(v + 1, "0123456789") != strlen(v + 1) || strlen(v) > 12)
        return ram__fail(call, RAM_ERR_VERSION_ID_FORMAT);
    return EMU_OK;
}

static emu_rc find_version(emu_call *call, const world_policy *p, size_t *index)
{
    const char *vid;
    emu_rc rc = version_param(call, &vid);
    if (rc)
        return rc;
    for (size_t i = 0; i < p->n_versions; i++) {
        if (strcmp(p->versions[i].id, vid) == 0) {
            *index = i;
            return EMU_OK;
        }
    }
    return ram__fail(call, RAM_ERR_POLICY_VERSION_NOT_EXIST);
}

static void drop_version(world_policy *p, size_t i)
{
    free(p->versions[i].id);
    free(p->versions[i].document);
    policy_doc_free(p->versions[i].compiled);
    ram__remove_at(p->versions, &p->n_versions, sizeof *p->versions, i);
    if (p->default_version > i)
        p->default_version--;
}

emu_rc ram_create_policy_version(emu_call *call)
{
    world_account *a;
    world_policy *p;
    const char *doc, *rotate = emu_rpc_param(call, "RotateStrategy");
    bool set_default;
    policy_doc_t *compiled = NULL;
    emu_rc rc = find_custom(call, &a, &p);
    if (rc || (rc = emu_rpc_require(call, "PolicyDocument", &doc)) ||
        (rc = ram__bool_param(call, "SetAsDefault", false, &set_default)))
        return rc;
    bool rotating = rotate && strcmp(rotate, "DeleteOldestNonDefaultVersionWhenLimitExceeded") == 0;
    if (rotate && *rotate && !rotating && strcmp(rotate, "None") != 0)
        return ram__bad_param(call, "RotateStrategy");
    if (p->n_versions >= RAM_MAX_VERSIONS && !rotating)
        return ram__fail(call, RAM_ERR_POLICY_VERSION_LIMIT);

    char vid[16];
    snprintf(vid, sizeof vid, "v%d", p->next_version);
    if ((rc = compile_version(call, doc, p->name, vid, &compiled)))
        return rc;
    if (p->n_versions >= RAM_MAX_VERSIONS) {
        /* Rotate: the oldest version that is not the default goes. Versions
         * are kept in creation order, so that is the first non-default. */
        size_t oldest = p->default_version == 0 ? 1 : 0;
        drop_version(p, oldest);
    }
    p->versions = emu_xrealloc(p->versions, (p->n_versions + 1) * sizeof *p->versions);
    world_policy_version *v = &p->versions[p->n_versions];
    v->id = emu_xstrdup(vid);
    v->document = emu_xstrdup(doc);
    v->create_ms = emu_clock_now_ms();
    v->compiled = compiled;
    if (set_default)
        p->default_version = p->n_versions;
    p->n_versions++;
    p->next_version++;
    p->update_ms = v->create_ms;

    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "PolicyVersion", version_json(call, p, p->n_versions - 1, true));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_get_policy_version(emu_call *call)
{
    world_account *a;
    world_policy *p;
    size_t sys = 0, v;
    const char *vid;
    emu_rc rc = find_any(call, &a, &p, &sys);
    if (rc)
        return rc;
    cJSON *r;
    if (!p) {
        if ((rc = version_param(call, &vid)))
            return rc;
        /* Only the current version of a System policy is kept. */
        if (strcmp(vid, policy_system_info_at(sys)->version) != 0)
            return ram__fail(call, RAM_ERR_POLICY_VERSION_NOT_EXIST);
        r = cJSON_CreateObject();
        cJSON_AddItemToObject(r, "PolicyVersion", system_version_json(sys));
    } else {
        if ((rc = find_version(call, p, &v)))
            return rc;
        r = cJSON_CreateObject();
        cJSON_AddItemToObject(r, "PolicyVersion", version_json(call, p, v, true));
    }
    call->result = r;
    return EMU_OK;
}

emu_rc ram_list_policy_versions(emu_call *call)
{
    world_account *a;
    world_policy *p;
    size_t sys = 0;
    emu_rc rc = find_any(call, &a, &p, &sys);
    if (rc)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON *list =
        cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "PolicyVersions"), "PolicyVersion");
    if (!p) {
        cJSON_AddItemToArray(list, system_version_json(sys));
    } else {
        for (size_t i = 0; i < p->n_versions; i++)
            cJSON_AddItemToArray(list, version_json(call, p, i, true));
    }
    call->result = r;
    return EMU_OK;
}

emu_rc ram_delete_policy_version(emu_call *call)
{
    world_account *a;
    world_policy *p;
    size_t v;
    emu_rc rc = find_custom(call, &a, &p);
    if (rc || (rc = find_version(call, p, &v)))
        return rc;
    if (v == p->default_version)
        return ram__fail(call, RAM_ERR_POLICY_DELETE_DEFAULT);
    drop_version(p, v);
    p->update_ms = emu_clock_now_ms();
    return EMU_OK;
}

emu_rc ram_set_default_policy_version(emu_call *call)
{
    world_account *a;
    world_policy *p;
    size_t v;
    emu_rc rc = find_custom(call, &a, &p);
    if (rc || (rc = find_version(call, p, &v)))
        return rc;
    /* Takes effect on the next request: authorization reads the default
     * version's compiled document. */
    p->default_version = v;
    p->update_ms = emu_clock_now_ms();
    return EMU_OK;
}
