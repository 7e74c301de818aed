/* STS 2015-04-01 (rpc-api.md §8): the service vtable, the action table and
 * GetCallerIdentity. AssumeRole is in sts_assume.c. */
#include <string.h>

#include "emu/authz.h"
#include "emu/json.h"
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
        emu_json_add_str_ref(r, "IdentityType", "Account");
        emu_json_add_str_ref(r, "AccountId", p->account_id);
        emu_json_add_str_ref(r, "UserId", p->account_id);
        emu_json_add_str_ref(r, "PrincipalId", p->account_id);
        emu_json_add_str_ref(r, "Arn", p->arn);
        break;
    case EMU_PRINCIPAL_USER:
        emu_json_add_str_ref(r, "IdentityType", "RAMUser");
        emu_json_add_str_ref(r, "AccountId", p->account_id);
        emu_json_add_str_ref(r, "UserId", p->user->id);
        emu_json_add_str_ref(r, "PrincipalId", p->user->id);
        emu_json_add_str_ref(r, "Arn", p->arn);
        break;
    case EMU_PRINCIPAL_SESSION:
        emu_json_add_str_ref(r, "IdentityType", "AssumedRoleUser");
        emu_json_add_str_ref(r, "AccountId", p->account_id);
        emu_json_add_str_ref(r, "RoleId", p->role->id);
        emu_json_add_str_ref(
            r, "PrincipalId",
            emu_arena_concat(call->arena, p->role->id, ":", p->session_name, NULL));
        emu_json_add_str_ref(r, "Arn", p->arn);
        break;
    default:
        /* A cloud service's own keys: shaped like the account it works for,
         * with the service principal as Arn (acsemu-specific; the real
         * service never exposes its keys). */
        emu_json_add_str_ref(r, "IdentityType", "Service");
        emu_json_add_str_ref(r, "AccountId", p->account_id);
        emu_json_add_str_ref(r, "PrincipalId", p->arn);
        emu_json_add_str_ref(r, "Arn", p->arn);
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

/* NUL bytes or invalid UTF-8 break these parameters' forms (rpc-api.md
 * §8.1): the same answers as any other malformed value (sts_errors.def). */
static const emu_rpc_param_rule sts_param_rules[] = {
    {"RoleArn", "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed."},
    {"RoleSessionName", "InvalidParameter.RoleSessionName",
     "The parameter RoleSessionName is wrongly formed."},
    {"ExternalId", "InvalidParameter.ExternalId", "The parameter ExternalId is wrongly formed."},
    {"Policy", "InvalidParameter.PolicyGrammar",
     "The parameter Policy has not passed grammar check."},
    {NULL, NULL, NULL},
};

const emu_service emu_sts_service = {
    .name = "sts",
    .decode = emu_rpc_decode,
    .param_rules = sts_param_rules,
    .actions = sts_actions,
    .n_actions = sizeof sts_actions / sizeof sts_actions[0],
    .authenticate = emu_rpc_authenticate,
    /* Every STS action is EMU_ACT_NO_AUTHZ: GetCallerIdentity has no check,
     * AssumeRole takes its decision in the handler (sts_assume.c). */
    .authorize = emu_authz_phase,
    .unknown_action = emu_rpc_unknown_action,
    .render_ok = emu_rpc_render_ok,
    .render_err = emu_rpc_render_err,
    .busy = emu_rpc_busy,
};
