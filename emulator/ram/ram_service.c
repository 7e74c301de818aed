/* RAM 2015-05-01 (rpc-api.md §9). Actions are listed in ram_actions.def;
 * any other action answers InvalidAction.NotFound like the real gateway.
 * Authorization is the shared phase (emu/authz.h): this file only says
 * which resource each action targets. */
#include <string.h>

#include "ram_int.h"

/* GetAccountAlias: the caller's own account alias. */
emu_rc ram_get_account_alias(emu_call *call)
{
    world_account *a = ram__account(call);
    if (!a)
        return ram__no_account(call);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "AccountAlias", a->alias);
    call->result = r;
    return EMU_OK;
}

typedef enum ram_res {
    RAM_RES_ANY,
    RAM_RES_USER,
    RAM_RES_USERS,
    RAM_RES_GROUP,
    RAM_RES_GROUPS,
    RAM_RES_ROLE,
    RAM_RES_ROLES,
    RAM_RES_POLICY,
    RAM_RES_POLICIES,
} ram_res;

static const emu_action ram_actions[] = {
#define RAM_ACTION(name, handler, policy_action, flags, res) {#name, handler, policy_action, flags},
#include "ram_actions.def"
#undef RAM_ACTION
};

static const ram_res ram_action_res[] = {
#define RAM_ACTION(name, handler, policy_action, flags, res) RAM_RES_##res,
#include "ram_actions.def"
#undef RAM_ACTION
};

/* The request resource (ram-policy.md §3.3): acs:ram::<uid>:<kind>/<name>,
 * with the region empty (a policy's "acs:ram:*:<uid>:..." matches it
 * because "*" matches the empty segment). A name that names an existing
 * entity is written as stored, so the ARN does not depend on the caller's
 * spelling; role names are lower-cased. A missing name gives "<kind>/" + "*"
 * (the handler then answers MissingParameter if the caller may act). */
static const char *ram_resource(emu_call *call)
{
    const world_account *a = ram__account(call);
    size_t i = (size_t)(call->action - ram_actions);
    if (!a || i >= sizeof ram_action_res / sizeof ram_action_res[0])
        return NULL;
    const char *uid = a->id;
    const char *name;

    switch (ram_action_res[i]) {
    case RAM_RES_USER: {
        name = emu_rpc_param(call, "UserName");
        /* Access-key actions default to the calling user (rpc-api.md §9.3). */
        if ((!name || !*name) && call->principal.kind == EMU_PRINCIPAL_USER &&
            strstr(call->action->name, "AccessKey"))
            name = call->principal.user->name;
        const world_user *u = name && *name ? world_user_find(a, name) : NULL;
        return emu_arena_sprintf(call->arena, "acs:ram::%s:user/%s", uid,
                                 u ? u->name : (name && *name ? name : "*"));
    }
    case RAM_RES_GROUP: {
        name = emu_rpc_param(call, "GroupName");
        const world_group *g = name && *name ? world_group_find(a, name) : NULL;
        return emu_arena_sprintf(call->arena, "acs:ram::%s:group/%s", uid,
                                 g ? g->name : (name && *name ? name : "*"));
    }
    case RAM_RES_ROLE:
        name = emu_rpc_param(call, "RoleName");
        return ram__role_arn(call, a, name && *name ? name : "*");
    case RAM_RES_POLICY: {
        name = emu_rpc_param(call, "PolicyName");
        const char *type = emu_rpc_param(call, "PolicyType");
        /* rpc-api.md §9.2: System policies belong to account "*". */
        if (type && strcmp(type, "System") == 0) {
            const policy_doc_t *d = name && *name ? policy_system_find(name) : NULL;
            return emu_arena_sprintf(call->arena, "acs:ram::*:policy/%s",
                                     d ? policy_doc_name(d) : (name && *name ? name : "*"));
        }
        const world_policy *p = name && *name ? world_policy_find(a, name) : NULL;
        return emu_arena_sprintf(call->arena, "acs:ram::%s:policy/%s", uid,
                                 p ? p->name : (name && *name ? name : "*"));
    }
    case RAM_RES_USERS:
        return emu_arena_sprintf(call->arena, "acs:ram::%s:user/*", uid);
    case RAM_RES_GROUPS:
        return emu_arena_sprintf(call->arena, "acs:ram::%s:group/*", uid);
    case RAM_RES_ROLES:
        return emu_arena_sprintf(call->arena, "acs:ram::%s:role/*", uid);
    case RAM_RES_POLICIES:
        return emu_arena_sprintf(call->arena, "acs:ram::%s:policy/*", uid);
    case RAM_RES_ANY:
        break;
    }
    return NULL;
}

/* The shared phase on the resource above, with the request's tags as
 * condition keys (ram_tag.c). */
static emu_rc ram_authorize(emu_call *call)
{
    return ram__authorize(call, ram_resource(call));
}

/* NUL bytes or invalid UTF-8 in a name break its rule (rpc-api.md §9.2): the
 * same answer as any other forbidden character (ram_errors.def). */
#define RAM_CHARS(param, what)                                                                     \
    {                                                                                              \
        param, "InvalidParameter." what ".InvalidChars",                                           \
            "The parameter - \"" what "\" contains invalid chars."                                 \
    }
static const emu_rpc_param_rule ram_param_rules[] = {
    RAM_CHARS("UserName", "UserName"),     RAM_CHARS("NewUserName", "UserName"),
    RAM_CHARS("GroupName", "GroupName"),   RAM_CHARS("NewGroupName", "GroupName"),
    RAM_CHARS("RoleName", "RoleName"),     RAM_CHARS("NewRoleName", "RoleName"),
    RAM_CHARS("PolicyName", "PolicyName"), {NULL, NULL, NULL},
};
#undef RAM_CHARS

const emu_service emu_ram_service = {
    .name = "ram",
    .decode = emu_rpc_decode,
    .param_rules = ram_param_rules,
    .actions = ram_actions,
    .n_actions = sizeof ram_actions / sizeof ram_actions[0],
    .authenticate = emu_rpc_authenticate,
    /* The shared phase: the owner of every ARN above is the caller's own
     * account (the "*" of a System policy ARN is not digits, so the phase
     * falls back to the caller's account). */
    .authorize = ram_authorize,
    .resource = ram_resource,
    .unknown_action = emu_rpc_unknown_action,
    .render_ok = emu_rpc_render_ok,
    .render_err = emu_rpc_render_err,
    .busy = emu_rpc_busy,
};
