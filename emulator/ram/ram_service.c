/* RAM 2015-05-01 (rpc-api.md §9). Actions are listed in ram_actions.def;
 * any other action answers InvalidAction.NotFound like the real gateway. */
#include "emu/ram.h"
#include "emu/rpc.h"

/* GetAccountAlias: the caller's own account alias. */
static emu_rc ram_get_account_alias(emu_call *call)
{
    world_account *a = world_account_find(call->world, call->principal.account_id);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "AccountAlias", a ? a->alias : "");
    call->result = r;
    return EMU_OK;
}

/* Until the policy engine is wired in, only the root rule is decided here:
 * an account's root may do anything on its own account; every other
 * principal is refused, never silently allowed. */
static emu_rc ram_authorize(emu_call *call)
{
    if (call->principal.kind == EMU_PRINCIPAL_ROOT)
        return EMU_OK;
    return emu_err_set(&call->err, EMU_E_DENIED, "NoPermission",
                       "You are not authorized to do this action. You should be authorized by "
                       "RAM.");
}

static const emu_action ram_actions[] = {
#define RAM_ACTION(name, handler, policy_action, flags) {#name, handler, policy_action, flags},
#include "ram_actions.def"
#undef RAM_ACTION
};

const emu_service emu_ram_service = {
    .name = "ram",
    .decode = emu_rpc_decode,
    .actions = ram_actions,
    .n_actions = sizeof ram_actions / sizeof ram_actions[0],
    .authenticate = emu_rpc_authenticate,
    .authorize = ram_authorize,
    .unknown_action = emu_rpc_unknown_action,
    .render_ok = emu_rpc_render_ok,
    .render_err = emu_rpc_render_err,
};
