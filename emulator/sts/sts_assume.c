/* STS AssumeRole (rpc-api.md §8.1, ram-policy.md §5.4).
 *
 * Order of checks, as the spec suggests (§5.4 step 0 "[inferred order]"):
 *   1. RoleArn and RoleSessionName present          MissingParameter
 *   2. RoleArn form, RoleSessionName form,
 *      DurationSeconds numeric and >= 900, ExternalId form,
 *      Policy size then grammar                     InvalidParameter.*
 *   3. the role exists (account and name, name case-insensitive)
 *                                                   EntityNotExist.Role (404)
 *   4. DurationSeconds <= the role's MaxSessionDuration
 *                                                   InvalidParameter.DurationSeconds
 *   5. authorization: root refused, then the caller's own sts:AssumeRole
 *      AND the trust policy                         NoPermission (403)
 *   6. mint the session into the world's token store.
 *
 * The action row carries EMU_ACT_NO_AUTHZ: the generic authorize phase runs
 * before the handler and would have to decide on a role it has not looked
 * up yet, so the handler asks emu_authz_check itself (DESIGN.md §1: "a
 * handler that needs a second decision asks authorize again"). */
#include <string.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/rpc.h"
#include "sts_int.h"

static const struct {
    const char *code;
    emu_rc rc;
    int status;
    const char *msg;
} sts_errors[] = {
#define STS_ERROR(id, code, rc, status, msg) {code, rc, status, msg},
#include "sts_errors.def"
#undef STS_ERROR
};

emu_rc sts__fail(emu_call *call, sts_err id)
{
    emu_err_set(&call->err, sts_errors[id].rc, sts_errors[id].code, "%s", sts_errors[id].msg);
    call->err.status = sts_errors[id].status;
    return sts_errors[id].rc;
}

char *sts__lower_dup(emu_arena *a, const char *s)
{
    char *d = emu_arena_strdup(a, s);
    for (char *p = d; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + ('a' - 'A'));
    return d;
}

emu_rc sts__assume_authorize(emu_call *call, const world_account *a, const world_role *role,
                             const char *external_id)
{
    const char *ext_values[1] = {external_id};
    policy_ckey ext_key = {"sts:ExternalId", ext_values, 1};
    emu_authz_req req = {
        .action = "sts:AssumeRole",
        .resource = emu_arena_concat(call->arena, "acs:ram::", a->id, ":role/",
                                     sts__lower_dup(call->arena, role->name), NULL),
        .resource_account = a->id,
        .keys = external_id ? &ext_key : NULL,
        .n_keys = external_id ? 1 : 0,
        .trust = role->trust,
    };

    /* The reason names the trust policy's refusal too when both sides
     * refused (emu_authz_reason). */
    emu_rc rc = emu_authz_check(call, &req);
    if (rc == EMU_E_DENIED) {
        /* §5.4 step 5: the same answer whichever side refused; the reason
         * stays in the log and the trace. */
        call->denial = NULL;
        return rc;
    }
    if (rc)
        return rc;
    /* --authz audit/off still never lets root assume a role: that is a
     * precondition, not a policy decision (§5.4 step 0). */
    if (call->principal.kind == EMU_PRINCIPAL_ROOT || call->principal.kind == EMU_PRINCIPAL_NONE) {
        if (!call->reason)
            call->reason = "Roles may not be assumed by root accounts.";
        return sts__fail(call, STS_ERR_ROOT_CALLER);
    }
    return EMU_OK;
}

/* Validates Policy (a session policy): size first, then grammar. The text
 * is compiled only to check it; authorization compiles it again, once,
 * into its session-policy cache. */
emu_rc sts__check_session_policy(emu_call *call, const char *text)
{
    policy_doc_t *doc = NULL;
    emu_err perr = {0};
    emu_rc rc = policy_compile(text, strlen(text), POLICY_KIND_SESSION, &doc, &perr);
    policy_doc_free(doc);
    if (rc == EMU_OK)
        return EMU_OK;
    /* The wire message is fixed; the engine's location goes to the log. */
    call->reason = emu_arena_strdup(call->arena, perr.msg);
    return sts__fail(call, rc == EMU_E_LIMIT ? STS_ERR_POLICY_SIZE : STS_ERR_POLICY_GRAMMAR);
}

/* An optional parameter; an empty value counts as absent (SDKs that model
 * optional fields never send them, form encoders may send "X="). */
const char *sts__optional(const emu_call *call, const char *name)
{
    const char *v = emu_rpc_param(call, name);
    return v && *v ? v : NULL;
}

emu_rc sts_assume_role(emu_call *call)
{
    const char *arn_text, *session_name;
    sts_role_arn arn;
    long duration = 3600; /* rpc-api.md §8.1 default */
    emu_rc rc;

    if ((rc = emu_rpc_require(call, "RoleArn", &arn_text)) ||
        (rc = emu_rpc_require(call, "RoleSessionName", &session_name)))
        return rc;
    const char *duration_text = sts__optional(call, "DurationSeconds");
    const char *policy = sts__optional(call, "Policy");
    const char *external_id = sts__optional(call, "ExternalId");
    const char *source_identity = sts__optional(call, "SourceIdentity");

    if (!sts__parse_role_arn(arn_text, &arn))
        return sts__fail(call, STS_ERR_ROLE_ARN);
    if (!sts__valid_session_name(session_name))
        return sts__fail(call, STS_ERR_SESSION_NAME);
    if (duration_text && (!sts__parse_duration(duration_text, &duration) || duration < 900))
        return sts__fail(call, STS_ERR_DURATION);
    if (external_id && !sts__valid_external_id(external_id))
        return sts__fail(call, STS_ERR_EXTERNAL_ID);
    if (policy && (rc = sts__check_session_policy(call, policy)))
        return rc;

    world_account *a = world_account_find(call->world, arn.account);
    world_role *role = a ? world_role_find(a, arn.role) : NULL;
    if (!role)
        return sts__fail(call, STS_ERR_ROLE_NOT_EXIST);
    if (duration > role->max_session_duration)
        return sts__fail(call, STS_ERR_DURATION);

    if ((rc = sts__assume_authorize(call, a, role, external_id)))
        return rc;

    auth_session_request sreq = {
        .account = a,
        .role = role,
        .session_name = session_name,
        .source_arn = call->principal.arn,
        .policy = policy,
        .duration_ms = (int64_t)duration * 1000,
    };
    cJSON *r;
    if ((rc = sts__issue(call, &sreq, NULL, &r)))
        return rc;
    /* SourceIdentity: in the newest SDK model, echoed back; its semantics
     * are not documented (rpc-api.md §8.1). */
    if (source_identity)
        emu_json_add_str_ref(r, "SourceIdentity", source_identity);
    call->result = r;
    return EMU_OK;
}

emu_rc sts__issue(emu_call *call, auth_session_request *req, const char *prefix, cJSON **out)
{
    if (!req->session_name) {
        /* [inferred] RoleSessionName is optional for federated calls; the
         * cloud names the session itself. acsemu uses a random name of the
         * allowed form. */
        char rnd[17];
        emu_rand_base62(rnd, 16);
        rnd[16] = 0;
        req->session_name = emu_arena_concat(call->arena, prefix, rnd, NULL);
    }
    req->now_ms = emu_clock_now_ms();
    const world_session *s = NULL;
    emu_err ierr = {0};
    if (auth_session_issue(call->world, req, &s, &ierr) != EMU_OK) {
        /* Cannot happen with a validated request: the store refuses only
         * missing strings and id clashes, which issue retries. */
        emu_log(EMU_LOG_ERROR, "ERR InternalError sts: issuing a session failed: %s", ierr.msg);
        return sts__fail(call, STS_ERR_INTERNAL);
    }
    *out = cJSON_CreateObject();
    sts__add_session(call, *out, req->account, req->role, req->session_name, s);
    return EMU_OK;
}

void sts__add_session(emu_call *call, cJSON *r, const world_account *a, const world_role *role,
                      const char *session_name, const world_session *s)
{
    char expiration[21];
    emu_time_iso(s->expire_ms, expiration);
    cJSON *u = cJSON_AddObjectToObject(r, "AssumedRoleUser");
    /* AssumeRole shows "role/<name>/<session>"; GetCallerIdentity shows the
     * same session as "assumed-role/..." (rpc-api.md §8.1). */
    emu_json_add_str_ref(u, "Arn",
                         emu_arena_concat(call->arena, "acs:ram::", a->id, ":role/",
                                          sts__lower_dup(call->arena, role->name), "/",
                                          session_name, NULL));
    emu_json_add_str_ref(u, "AssumedRoleId",
                         emu_arena_concat(call->arena, role->id, ":", session_name, NULL));
    cJSON *c = cJSON_AddObjectToObject(r, "Credentials");
    emu_json_add_str_ref(c, "AccessKeyId", s->access_key_id);
    emu_json_add_str_ref(c, "AccessKeySecret", s->secret);
    emu_json_add_str_ref(c, "SecurityToken", s->token);
    emu_json_add_str_ref(c, "Expiration", emu_arena_strdup(call->arena, expiration));
}
