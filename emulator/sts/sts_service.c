/* STS 2015-04-01 (rpc-api.md §8): the service vtable, the action table and
 * GetCallerIdentity. AssumeRole is in sts_assume.c. */
#include <string.h>

#include "emu/authz.h"
#include "emu/rpc.h"
#include "emu/sts.h"
#include "sts_int.h"

/* GetCallerIdentity: authenticated, no permission check (rpc-api.md §8.2). */
emu_rc sts_get_caller_identity(emu_call *call)
{
    const emu_principal *p = &call->principal;
    cJSON *r = cJSON_CreateObject();

    switch (p->kind) {
    case EMU_PRINCIPAL_ROOT:
        /* [inferred from docs text] Account shape. */
        cJSON_AddStringToObject(r, "IdentityType", "Account");
        cJSON_AddStringToObject(r, "AccountId", p->account_id);
        cJSON_AddStringToObject(r, "UserId", p->account_id);
        cJSON_AddStringToObject(r, "PrincipalId", p->account_id);
        cJSON_AddStringToObject(r, "Arn", p->arn);
        break;
    case EMU_PRINCIPAL_USER:
        cJSON_AddStringToObject(r, "IdentityType", "RAMUser");
        cJSON_AddStringToObject(r, "AccountId", p->account_id);
        cJSON_AddStringToObject(r, "UserId", p->user->id);
        cJSON_AddStringToObject(r, "PrincipalId", p->user->id);
        cJSON_AddStringToObject(r, "Arn", p->arn);
        break;
    case EMU_PRINCIPAL_SESSION:
        cJSON_AddStringToObject(r, "IdentityType", "AssumedRoleUser");
        cJSON_AddStringToObject(r, "AccountId", p->account_id);
        cJSON_AddStringToObject(r, "RoleId", p->role->id);
        cJSON_AddStringToObject(
            r, "PrincipalId",
            emu_arena_sprintf(call->arena, "%s:%s", p->role->id, p->session_name));
        cJSON_AddStringToObject(r, "Arn", p->arn);
        break;
    default:
        /* A cloud service's own keys: shaped like the account it works for,
         * with the service principal as Arn (acsemu-specific; the real
         * service never exposes its keys). */
        cJSON_AddStringToObject(r, "IdentityType", "Service");
        cJSON_AddStringToObject(r, "AccountId", p->account_id);
        cJSON_AddStringToObject(r, "PrincipalId", p->arn);
        cJSON_AddStringToObject(r, "Arn", p->arn);
        break;
    }
    call->result = r;
    return EMU_OK;
}

static const emu_action sts_actions[] = {
#define STS_ACTION(name, handler, policy_action, flags) {#name, handler, policy_action, flags},
#include "sts_actions.def"
#undef STS_ACTION
};

const emu_service emu_sts_service = {
    .name = "sts",
    .decode = emu_rpc_decode,
    .actions = sts_actions,
    .n_actions = sizeof sts_actions / sizeof sts_actions[0],
    .authenticate = emu_rpc_authenticate,
    /* Every STS action is EMU_ACT_NO_AUTHZ: GetCallerIdentity has no check,
     * AssumeRole takes its decision in the handler (sts_assume.c). */
    .authorize = emu_authz_phase,
    .unknown_action = emu_rpc_unknown_action,
    .render_ok = emu_rpc_render_ok,
    .render_err = emu_rpc_render_err,
};
