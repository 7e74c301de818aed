/* Policy attachments: AttachPolicyTo{User,Group,Role},
 * DetachPolicyFrom{User,Group,Role}, ListPoliciesFor{User,Group,Role},
 * ListEntitiesForPolicy (rpc-api.md §9.3).
 *
 * An attachment is a (PolicyName, PolicyType) reference on the entity; the
 * authorize phase resolves it on every request, so attaching or detaching
 * changes what the entity may do from the next request on. */
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/str.h"
#include "ram_int.h"

typedef enum entity_kind { ENT_USER, ENT_GROUP, ENT_ROLE } entity_kind;

/* One entity's attachment list, with the errors of its kind. */
typedef struct target {
    world_policy_ref **refs;
    size_t *n;
    ram_err exists, not_attached, limit;
} target;

static emu_rc find_target(emu_call *call, world_account *a, entity_kind kind, target *t)
{
    static const char *const param[] = {"UserName", "GroupName", "RoleName"};
    const char *name;
    emu_rc rc = emu_rpc_require(call, param[kind], &name);
    if (rc)
        return rc;
    switch (kind) {
    case ENT_USER: {
        world_user *u = world_user_find(a, name);
        if (!u)
            return ram__fail(call, RAM_ERR_USER_NOT_EXIST);
        *t = (target){&u->policies, &u->n_policies, RAM_ERR_USER_POLICY_EXISTS,
                      RAM_ERR_USER_POLICY_NOT_EXIST, RAM_ERR_USER_POLICY_LIMIT};
        break;
    }
    case ENT_GROUP: {
        world_group *g = world_group_find(a, name);
        if (!g)
            return ram__fail(call, RAM_ERR_GROUP_NOT_EXIST);
        *t = (target){&g->policies, &g->n_policies, RAM_ERR_GROUP_POLICY_EXISTS,
                      RAM_ERR_GROUP_POLICY_NOT_EXIST, RAM_ERR_GROUP_POLICY_LIMIT};
        break;
    }
    case ENT_ROLE: {
        world_role *r = world_role_find(a, name);
        if (!r)
            return ram__fail(call, RAM_ERR_ROLE_NOT_EXIST);
        *t = (target){&r->policies, &r->n_policies, RAM_ERR_ROLE_POLICY_EXISTS,
                      RAM_ERR_ROLE_POLICY_NOT_EXIST, RAM_ERR_ROLE_POLICY_LIMIT};
        break;
    }
    }
    return EMU_OK;
}

/* PolicyType + PolicyName → the policy's stored name. A System name with
 * PolicyType=Custom (or the reverse) is EntityNotExist.Policy (rpc-api.md
 * §9.3). */
static emu_rc find_policy(emu_call *call, const world_account *a, bool *system, const char **name)
{
    const char *given;
    emu_rc rc;
    if ((rc = ram__policy_type(call, true, system, NULL)) ||
        (rc = emu_rpc_require(call, "PolicyName", &given)))
        return rc;
    if (*system) {
        const policy_doc_t *d = policy_system_find(given);
        if (!d)
            return ram__fail(call, RAM_ERR_POLICY_NOT_EXIST);
        *name = policy_doc_name(d);
    } else {
        const world_policy *p = world_policy_find(a, given);
        if (!p)
            return ram__fail(call, RAM_ERR_POLICY_NOT_EXIST);
        *name = p->name;
    }
    return EMU_OK;
}

static long ref_index(const target *t, const char *name, bool system)
{
    for (size_t i = 0; i < *t->n; i++)
        if ((*t->refs)[i].system == system && emu_strcasecmp((*t->refs)[i].name, name) == 0)
            return (long)i;
    return -1;
}

static emu_rc attach(emu_call *call, entity_kind kind)
{
    world_account *a = ram__account(call);
    target t;
    bool system;
    const char *name;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = find_target(call, a, kind, &t)) || (rc = find_policy(call, a, &system, &name)))
        return rc;
    if (ref_index(&t, name, system) >= 0)
        return ram__fail(call, t.exists);
    /* rpc-api.md §9.3: 5 Custom and 20 System policies per entity. */
    size_t same = 0;
    for (size_t i = 0; i < *t.n; i++)
        same += (*t.refs)[i].system == system;
    if (same >= (system ? RAM_MAX_SYSTEM_ATTACHED : RAM_MAX_CUSTOM_ATTACHED))
        return ram__fail(call, t.limit);
    *t.refs = emu_xrealloc(*t.refs, (*t.n + 1) * sizeof **t.refs);
    world_policy_ref *r = &(*t.refs)[(*t.n)++];
    r->name = emu_xstrdup(name);
    r->system = system;
    r->attach_ms = emu_clock_now_ms();
    return EMU_OK;
}

static emu_rc detach(emu_call *call, entity_kind kind)
{
    world_account *a = ram__account(call);
    target t;
    bool system;
    const char *name;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = find_target(call, a, kind, &t)) || (rc = find_policy(call, a, &system, &name)))
        return rc;
    long i = ref_index(&t, name, system);
    if (i < 0)
        return ram__fail(call, t.not_attached);
    free((*t.refs)[i].name);
    ram__remove_at(*t.refs, t.n, sizeof **t.refs, (size_t)i);
    return EMU_OK;
}

/* Policies.Policy[]{PolicyName,PolicyType,Description,DefaultVersion,AttachDate}. */
static emu_rc list_for(emu_call *call, entity_kind kind)
{
    world_account *a = ram__account(call);
    target t;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = find_target(call, a, kind, &t)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Policies"), "Policy");
    for (size_t i = 0; i < *t.n; i++) {
        const world_policy_ref *ref = &(*t.refs)[i];
        const char *desc = "", *dv = "v1";
        if (ref->system) {
            for (size_t s = 0; s < policy_system_count(); s++)
                if (emu_strcasecmp(policy_doc_name(policy_system_at(s)), ref->name) == 0)
                    desc = policy_system_description(s);
        } else {
            const world_policy *p = world_policy_find(a, ref->name);
            if (p) {
                desc = p->description;
                dv = p->versions[p->default_version].id;
            }
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "PolicyName", ref->name);
        cJSON_AddStringToObject(o, "PolicyType", ref->system ? "System" : "Custom");
        cJSON_AddStringToObject(o, "Description", desc);
        cJSON_AddStringToObject(o, "DefaultVersion", dv);
        cJSON_AddStringToObject(o, "AttachDate", ram__date(call, ref->attach_ms));
        cJSON_AddItemToArray(list, o);
    }
    call->result = r;
    return EMU_OK;
}

emu_rc ram_attach_policy_to_user(emu_call *call)
{
    return attach(call, ENT_USER);
}

emu_rc ram_attach_policy_to_group(emu_call *call)
{
    return attach(call, ENT_GROUP);
}

emu_rc ram_attach_policy_to_role(emu_call *call)
{
    return attach(call, ENT_ROLE);
}

emu_rc ram_detach_policy_from_user(emu_call *call)
{
    return detach(call, ENT_USER);
}

emu_rc ram_detach_policy_from_group(emu_call *call)
{
    return detach(call, ENT_GROUP);
}

emu_rc ram_detach_policy_from_role(emu_call *call)
{
    return detach(call, ENT_ROLE);
}

emu_rc ram_list_policies_for_user(emu_call *call)
{
    return list_for(call, ENT_USER);
}

emu_rc ram_list_policies_for_group(emu_call *call)
{
    return list_for(call, ENT_GROUP);
}

emu_rc ram_list_policies_for_role(emu_call *call)
{
    return list_for(call, ENT_ROLE);
}

static const world_policy_ref *attached(const world_policy_ref *refs, size_t n, const char *name,
                                        bool system)
{
    for (size_t i = 0; i < n; i++)
        if (refs[i].system == system && emu_strcasecmp(refs[i].name, name) == 0)
            return &refs[i];
    return NULL;
}

emu_rc ram_list_entities_for_policy(emu_call *call)
{
    world_account *a = ram__account(call);
    bool system;
    const char *name;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = find_policy(call, a, &system, &name)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON *users = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Users"), "User");
    cJSON *groups = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Groups"), "Group");
    cJSON *roles = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Roles"), "Role");
    for (size_t i = 0; i < a->n_users; i++) {
        const world_user *u = a->users[i];
        const world_policy_ref *ref = attached(u->policies, u->n_policies, name, system);
        if (!ref)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "UserName", u->name);
        cJSON_AddStringToObject(o, "UserId", u->id);
        cJSON_AddStringToObject(o, "DisplayName", u->display_name);
        cJSON_AddStringToObject(o, "AttachDate", ram__date(call, ref->attach_ms));
        cJSON_AddItemToArray(users, o);
    }
    for (size_t i = 0; i < a->n_groups; i++) {
        const world_group *g = a->groups[i];
        const world_policy_ref *ref = attached(g->policies, g->n_policies, name, system);
        if (!ref)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "GroupName", g->name);
        cJSON_AddStringToObject(o, "Comments", g->comments);
        cJSON_AddStringToObject(o, "AttachDate", ram__date(call, ref->attach_ms));
        cJSON_AddItemToArray(groups, o);
    }
    for (size_t i = 0; i < a->n_roles; i++) {
        const world_role *ro = a->roles[i];
        const world_policy_ref *ref = attached(ro->policies, ro->n_policies, name, system);
        if (!ref)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "RoleName", ro->name);
        cJSON_AddStringToObject(o, "RoleId", ro->id);
        cJSON_AddStringToObject(o, "Arn", ram__role_arn(call, a, ro->name));
        cJSON_AddStringToObject(o, "Description", ro->description);
        cJSON_AddStringToObject(o, "AttachDate", ram__date(call, ref->attach_ms));
        cJSON_AddItemToArray(roles, o);
    }
    call->result = r;
    return EMU_OK;
}
