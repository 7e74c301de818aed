/* STS module-private declarations: the handlers named in sts_actions.def,
 * the error table and the pure parameter checks of AssumeRole (split out
 * so tests/unit/sts can test them without a server). */
#ifndef EMU_STS_INT_H
#define EMU_STS_INT_H

#include <stdbool.h>

#include "emu/dispatch.h"

typedef enum sts_err {
#define STS_ERROR(id, code, rc, status, msg) STS_ERR_##id,
#include "sts_errors.def"
#undef STS_ERROR
    STS_ERR_COUNT
} sts_err;

/* Fills call->err from the row `id` of sts_errors.def (code, status, exact
 * message) and returns its rc. */
emu_rc sts__fail(emu_call *call, sts_err id);

/* --- AssumeRole parameters (rpc-api.md §8.1), pure functions ------------- */

#define STS_ACCOUNT_MAX 32
#define STS_ROLE_NAME_MAX 64

/* A parsed RoleArn. Both strings are NUL-terminated copies. */
typedef struct sts_role_arn {
    char account[STS_ACCOUNT_MAX + 1];
    char role[STS_ROLE_NAME_MAX + 1];
} sts_role_arn;

/* Parses "acs:ram::<digits>:role/<name>": the prefix exactly (lower case),
 * 1-32 digits, and a role name of 1-64 characters from [A-Za-z0-9.@_-]
 * (rpc-api.md §9.2: RoleName letters, digits, '.', '-', older names '@',
 * ROS '_'). The name keeps its case; lookups ignore it. False on anything
 * else (InvalidParameter.RoleArn). */
bool sts__parse_role_arn(const char *text, sts_role_arn *out);

/* RoleSessionName: 2-64 characters of [A-Za-z0-9.@_-]. */
bool sts__valid_session_name(const char *s);

/* ExternalId: 2-1224 characters of [A-Za-z0-9_+=,.@:/-]. */
bool sts__valid_external_id(const char *s);

/* DurationSeconds: 1-9 decimal digits, nothing else (no sign, no blanks).
 * Range checks (900..MaxSessionDuration) are the caller's. */
bool sts__parse_duration(const char *s, long *out);

/* --- AssumeRole authorization ---------------------------------------------- */

/* Decides whether call->principal may assume `role` of account `a`
 * (ram-policy.md §5.4): one emu_authz_check with the role's trust policy,
 * so the call's trace holds the caller's own sts:AssumeRole decision
 * (session policy, identity policies) and the trust decision, with the
 * caller presented as emu_authz_presented says. `external_id` (or NULL)
 * becomes the condition key sts:ExternalId. A root caller is refused with
 * "Roles may not be assumed by root accounts." whatever --authz says (a
 * precondition, §5.4 step 0). Any other refusal is 403 NoPermission with
 * the same message whichever side refused, and no AccessDeniedDetail (the
 * caller cannot tell which side it was, §5.4 step 5); call->reason names
 * the expected and the presented principal. Returns EMU_OK or
 * EMU_E_DENIED. */
emu_rc sts__assume_authorize(emu_call *call, const world_account *a, const world_role *role,
                             const char *external_id);

/* --- shared by AssumeRole and AssumeRoleWithOIDC ---------------------------- */

/* Role names appear lower-cased in ARNs (rpc-api.md §9.2): a lower-case
 * copy in the arena. */
char *sts__lower_dup(emu_arena *a, const char *s);
/* An optional parameter; an empty value counts as absent. */
const char *sts__optional(const emu_call *call, const char *name);
/* Validates a session Policy: size first, then grammar
 * (InvalidParameter.PolicySize / .PolicyGrammar). */
emu_rc sts__check_session_policy(emu_call *call, const char *text);
/* Issues the session req asks for (now_ms set here; a NULL session_name
 * becomes `prefix` + 16 random base62 characters) and answers its
 * AssumedRoleUser and Credentials in a new object *out, to which the
 * handler may add. STS_ERR_INTERNAL if the store refuses. */
emu_rc sts__issue(emu_call *call, auth_session_request *req, const char *prefix, cJSON **out);
/* Adds AssumedRoleUser and Credentials of session s to the result r. */
void sts__add_session(emu_call *call, cJSON *r, const world_account *a, const world_role *role,
                      const char *session_name, const world_session *s);

/* --- handlers -------------------------------------------------------------- */

emu_rc sts_assume_role(emu_call *call);
emu_rc sts_assume_role_with_oidc(emu_call *call);
emu_rc sts_assume_role_with_saml(emu_call *call);

/* --- shared by AssumeRoleWithOIDC and AssumeRoleWithSAML (sts_oidc.c) ------- */
bool sts__parse_provider_arn(const char *text, const char *kind, char *account, size_t acap,
                             const char **name);
/* A decision record (layer federated-token) with `reason`, then error id
 * (its message replaced by `message` when not NULL). */
emu_rc sts__token_fail(emu_call *call, const char *action, sts_err id, const char *role_arn,
                       const char *account, const char *reason, const char *message);
/* ISO 8601 of epoch seconds, in the arena. */
const char *sts__iso(emu_arena *a, int64_t sec);
emu_rc sts_get_caller_identity(emu_call *call);

#endif
