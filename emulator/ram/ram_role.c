/* RAM roles: CreateRole, GetRole, UpdateRole, DeleteRole, ListRoles
 * (rpc-api.md §9.3).
 *
 * Role names compare case-insensitively and keep the caller's spelling; the
 * ARN carries the lower-cased name (§9.2). The trust policy is compiled on
 * every change and kept next to its text (world_role.trust), so AssumeRole
 * never parses. */
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ram_int.h"

static cJSON *role_json(emu_call *call, const world_account *a, const world_role *r, bool doc,
                        bool updated)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "RoleId", r->id);
    cJSON_AddStringToObject(o, "RoleName", r->name);
    cJSON_AddStringToObject(o, "Arn", ram__role_arn(call, a, r->name));
    cJSON_AddStringToObject(o, "Description", r->description);
    if (doc)
        cJSON_AddStringToObject(o, "AssumeRolePolicyDocument", r->trust_document);
    cJSON_AddNumberToObject(o, "MaxSessionDuration", r->max_session_duration);
    cJSON_AddStringToObject(o, "CreateDate", ram__date(call, r->create_ms));
    if (updated)
        cJSON_AddStringToObject(o, "UpdateDate", ram__date(call, r->update_ms));
    return o;
}

static emu_rc find_role(emu_call *call, world_account **a, world_role **r)
{
    const char *name;
    emu_rc rc;
    *a = ram__account(call);
    if (!*a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "RoleName", &name)))
        return rc;
    *r = world_role_find(*a, name);
    if (!*r)
        return ram__fail(call, RAM_ERR_ROLE_NOT_EXIST);
    return EMU_OK;
}

/* MaxSessionDuration: 3600-43200 seconds (rpc-api.md §9.3). */
static emu_rc session_duration(emu_call *call, const char *param, int dflt, int *out)
{
    const char *v = emu_rpc_param(call, param);
    *out = dflt;
    if (!v || !*v)
        return EMU_OK;
    if (strlen(v) > 6 || strspn(v, "0123456789") != strlen(v))
        return ram__bad_param(call, param);
    int n = atoi(v);
    if (n < 3600 || n > 43200)
        return ram__bad_param(call, param);
    *out = n;
    return EMU_OK;
}

/* Compiles a trust policy; labels it with the role name for traces. */
static emu_rc compile_trust(emu_call *call, const char *text, const char *role, policy_doc_t **out)
{
    emu_rc rc = ram__compile(call, text, POLICY_KIND_TRUST, RAM_ERR_ROLE_TRUST_LENGTH, out);
    if (rc == EMU_OK)
        policy_doc_set_label(*out, role, "Trust", NULL);
    return rc;
}

emu_rc ram_create_role(emu_call *call)
{
    world_account *a = ram__account(call);
    const char *name, *doc, *desc = emu_rpc_param(call, "Description");
    policy_doc_t *trust = NULL;
    ram_tag_kv tags[EMU_MAX_RAM_TAGS];
    size_t n_tags;
    int msd;
    emu_rc rc;

    if (!a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "RoleName", &name)) ||
        (rc = ram__check_role_name(call, name)) ||
        (rc = emu_rpc_require(call, "AssumeRolePolicyDocument", &doc)) ||
        (rc = ram__check_text(call, "Description", desc, RAM_MAX_DESCRIPTION)) ||
        (rc = session_duration(call, "MaxSessionDuration", 3600, &msd)) ||
        (rc = ram__tags_param(call, tags, &n_tags)))
        return rc;
    if (world_role_find(a, name))
        return ram__fail(call, RAM_ERR_ROLE_EXISTS);
    if (a->n_roles >= RAM_MAX_ROLES)
        return ram__fail(call, RAM_ERR_ROLE_LIMIT);
    if ((rc = compile_trust(call, doc, name, &trust)))
        return rc;

    world_role *r = emu_xcalloc(1, sizeof *r);
    r->name = emu_xstrdup(name);
    r->id = emu_xmalloc(20);
    world_make_id(a->id, "role", name, 19, r->id);
    r->description = emu_xstrdup(desc ? desc : "");
    r->max_session_duration = msd;
    r->trust_document = emu_xstrdup(doc);
    r->trust = trust;
    r->create_ms = r->update_ms = emu_clock_now_ms();
    ram__apply_tags(call, &r->tags, tags, n_tags); /* at most 20: always fits */
    ram__push((void ***)&a->roles, &a->n_roles, r);

    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "Role", role_json(call, a, r, true, false));
    call->result = res;
    return EMU_OK;
}

emu_rc ram_get_role(emu_call *call)
{
    world_account *a;
    world_role *r;
    emu_rc rc = find_role(call, &a, &r);
    if (rc)
        return rc;
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "Role", role_json(call, a, r, true, true));
    call->result = res;
    return EMU_OK;
}

emu_rc ram_update_role(emu_call *call)
{
    world_account *a;
    world_role *r;
    const char *doc = emu_rpc_param(call, "NewAssumeRolePolicyDocument");
    const char *desc = emu_rpc_param(call, "NewDescription");
    policy_doc_t *trust = NULL;
    int msd;
    emu_rc rc = find_role(call, &a, &r);
    if (rc || (rc = ram__check_text(call, "NewDescription", desc, RAM_MAX_DESCRIPTION)) ||
        (rc = session_duration(call, "NewMaxSessionDuration", r->max_session_duration, &msd)))
        return rc;
    /* Validate everything before changing anything. */
    if (doc && *doc && (rc = compile_trust(call, doc, r->name, &trust)))
        return rc;
    if (trust) {
        free(r->trust_document);
        r->trust_document = emu_xstrdup(doc);
        policy_doc_free(r->trust);
        r->trust = trust;
    }
    if (desc) {
        free(r->description);
        r->description = emu_xstrdup(desc);
    }
    r->max_session_duration = msd;
    r->update_ms = emu_clock_now_ms();
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "Role", role_json(call, a, r, true, true));
    call->result = res;
    return EMU_OK;
}

emu_rc ram_delete_role(emu_call *call)
{
    world_account *a;
    world_role *r;
    emu_rc rc = find_role(call, &a, &r);
    if (rc)
        return rc;
    if (r->n_policies)
        return ram__fail(call, RAM_ERR_ROLE_DELETE_POLICY);
    for (size_t i = 0; i < a->n_roles; i++) {
        if (a->roles[i] == r) {
            ram__remove_at(a->roles, &a->n_roles, sizeof *a->roles, i);
            break;
        }
    }
    /* rpc-api.md §8.1: deleting a role invalidates its outstanding tokens. */
    world_session_revoke_role(call->world, a->id, r->name);
    if (call->principal.role == r)
        call->principal.role = NULL;
    world_role_free(r);
    return EMU_OK;
}

emu_rc ram_list_roles(emu_call *call)
{
    world_account *a = ram__account(call);
    ram_tag_kv filter[EMU_MAX_RAM_TAGS];
    size_t nf, n = 0;
    ram_page pg;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    /* Tag: only the roles that carry every tag given. */
    if ((rc = ram__tags_param(call, filter, &nf)))
        return rc;
    const world_role **roles = emu_arena_alloc(call->arena, (a->n_roles + 1) * sizeof *roles);
    for (size_t i = 0; i < a->n_roles; i++)
        if (ram__tags_match(&a->roles[i]->tags, filter, nf))
            roles[n++] = a->roles[i];
    if ((rc = ram__page(call, n, &pg)))
        return rc;
    cJSON *res = cJSON_CreateObject();
    ram__page_put(call, res, &pg);
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(res, "Roles"), "Role");
    for (size_t i = pg.start; i < pg.end; i++) {
        const world_role *r = roles[i];
        cJSON *o = role_json(call, a, r, false, true);
        cJSON_AddItemToObject(o, "Tags", ram__tags_json(&r->tags));
        cJSON_AddItemToArray(list, o);
    }
    call->result = res;
    return EMU_OK;
}
