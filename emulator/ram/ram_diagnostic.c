/* DecodeDiagnosticMessage: turns the EncodedDiagnosticMessage of an
 * AccessDeniedDetail back into its explanation.
 *
 * Response shape from the official model (@alicloud/ram20150501
 * DecodeDiagnosticMessageResponseBody): {RequestId, DecodedDiagnosticMessage:
 * {AuthAction, AuthConditions[{ConditionKey, ConditionValues[]}],
 * AuthPrincipal{AuthPrincipalDisplayName, AuthPrincipalOwnerId,
 * AuthPrincipalType}, AuthResource, ExplicitDeny, MatchedPolicies[
 * {AttachedEntityType, AttachedScope, Effect, PolicyIdentifier, PolicyType,
 * PolicyVersion}], NoPermissionPolicyType}}. acsemu adds EmuDecisionId and
 * EmuReason (SDK models ignore unknown fields).
 *
 * [inferred] Who may decode: the model does not say; acsemu answers for
 * messages about principals of the caller's own account and treats any
 * other text as an invalid parameter. */
#include <string.h>

#include "ram_int.h"

emu_rc ram_decode_diagnostic_message(emu_call *call)
{
    const char *text;
    emu_rc rc = emu_rpc_require(call, "EncodedDiagnosticMessage", &text);
    if (rc)
        return rc;
    cJSON *msg = emu_authz_diagnostic_decode(text);
    const cJSON *p = msg ? cJSON_GetObjectItemCaseSensitive(msg, "AuthPrincipal") : NULL;
    const char *owner =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "AuthPrincipalOwnerId"));
    if (!owner || !call->principal.account_id || strcmp(owner, call->principal.account_id) != 0) {
        cJSON_Delete(msg);
        return ram__bad_param(call, "EncodedDiagnosticMessage");
    }
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "DecodedDiagnosticMessage", msg);
    call->result = r;
    return EMU_OK;
}
