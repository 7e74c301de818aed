/* STS AssumeRoleWithOIDC (rpc-api.md §8.3; api-sts-2015-04-01-
 * assumerolewithoidc): an anonymous call (no AccessKey signature) whose
 * OIDC token proves the caller.
 *
 * Order of checks:
 *   1. OIDCProviderArn and RoleArn present             MissingParameter
 *      OIDCToken present and not empty                 AuthenticationFail.OIDCToken.Invalid
 *   2. forms: RoleArn, OIDCProviderArn, RoleSessionName, DurationSeconds,
 *      Policy size then grammar                        InvalidParameter.*
 *   3. the provider exists                             AuthenticationFail.NoPermission (401)
 *                                                      "No such OIDC Provider registered."
 *   4. the role exists                                 EntityNotExist.Role (404)
 *      DurationSeconds <= MaxSessionDuration           InvalidParameter.DurationSeconds
 *   5. the token decodes (3 parts, base64url, RS256/384/512, JSON claims)
 *                                                      AuthenticationFail.OIDCToken.Invalid
 *   6. its signature verifies with one of the provider's keys (the one its
 *      "kid" names, when it names one)                 …OIDCToken.InvalidSignature
 *   7. iss == the provider's IssuerUrl                  …OIDCToken.IssuerNotMatch
 *   8. an aud among the provider's ClientIds            …OIDCToken.AudienceNotMatch
 *   9. on the virtual clock: exp present and not past  …OIDCToken.Expired
 *      nbf not in the future, iat not in the future and
 *      not older than IssuanceLimitTime hours           …OIDCToken.Invalid [inferred codes]
 *  10. the role's trust policy allows the Federated principal
 *      acs:ram::<uid>:oidc-provider/<name> with the condition keys
 *      oidc:iss, oidc:aud (every aud of the token), oidc:sub
 *                                                      AuthenticationFail.NoPermission (401)
 *                                                      "There is no permission"
 *  11. mint the session.
 * The order of 3-4 against 5-9 is [inferred]: the cloud's documentation
 * lists the codes, not their order; the provider must be known before its
 * keys can be asked for. Steps 5-9 are authentication, so no --authz mode
 * lifts them; each failure leaves a decision record (layer
 * "federated-token") whose reason names the claim, what the provider
 * expects and what the token presents. Step 10 is a policy decision like
 * AssumeRole's trust check. The token itself is never logged nor recorded. */
#include <stdio.h>
#include <string.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/rpc.h"
#include "sts_int.h"

#define ACTION "sts:AssumeRoleWithOIDC"

/* Parses "acs:ram::<digits>:<kind>/<name>" (kind "oidc-provider" or
 * "saml-provider"). */
bool sts__parse_provider_arn(const char *text, const char *kind, char *account, size_t acap,
                             const char **name)
{
    size_t kl = strlen(kind);
    static const char prefix[] = "acs:ram::";
    if (strncmp(text, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *p = text + sizeof prefix - 1;
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    if (n == 0 || n >= acap || p[n] != ':' || strncmp(p + n + 1, kind, kl) != 0 ||
        p[n + 1 + kl] != '/')
        return false;
    memcpy(account, p, n);
    account[n] = 0;
    *name = p + n + kl + 2;
    return fed_oidc_name_problem(*name) == NULL;
}

/* A token check failed: a decision record naming why, then the error. */
emu_rc sts__token_fail(emu_call *call, const char *action, sts_err id, const char *role_arn,
                       const char *account, const char *reason, const char *message)
{
    emu_authz_note_refusal(call, action, role_arn, account, POLICY_LAYER_FEDERATED_TOKEN, reason);
    emu_rc rc = sts__fail(call, id);
    if (message)
        snprintf(call->err.msg, sizeof call->err.msg, "%s", message);
    return rc;
}

/* "[a, b]" of a string list, in the arena, for reasons. */
static const char *list_text(emu_arena *a, const char *const *v, size_t n)
{
    char *s = emu_arena_strdup(a, "[");
    for (size_t i = 0; i < n && strlen(s) < 400; i++)
        s = emu_arena_concat(a, s, i ? ", " : "", "\"", v[i], "\"", NULL);
    return emu_arena_concat(a, s, "]", NULL);
}

const char *sts__iso(emu_arena *a, int64_t sec)
{
    char *d = emu_arena_alloc(a, 21);
    emu_time_iso(sec * 1000, d);
    return d;
}

/* Steps 5-9. On success *t holds the decoded token. */
static emu_rc check_token(emu_call *call, const char *token, const fed_oidc_provider *p,
                          const char *role_arn, const char *account, fed_jwt *t)
{
    emu_arena *a = call->arena;
    char msg[160];
    fed_jwt_fault f = fed_jwt_decode(token, strlen(token), a, t);
    if (f) {
        fed_jwt_message(f, t->alg_name, msg, sizeof msg);
        return sts__token_fail(call, ACTION, STS_ERR_OIDC_INVALID, role_arn, account,
                               emu_arena_concat(a, "OIDC token: ", msg, NULL), msg);
    }

    const fed_key *keys[FED_MAX_KEYS + 1];
    size_t n = fed_oidc_keys(p, keys, FED_MAX_KEYS + 1);
    bool verified = false, kid_known = false;
    for (size_t i = 0; i < n && !verified; i++) {
        if (t->kid && strcmp(t->kid, fed_key_kid(keys[i])) != 0)
            continue;
        kid_known = true;
        verified = fed_key_verify(keys[i], t);
    }
    if (!verified) {
        const char *why =
            n == 0       ? emu_arena_concat(a, "signature: provider ", p->name,
                                            " has no keys (no JWKS in the world file, and acsemu "
                                                  "has not signed for issuer ",
                                            p->issuer_url, ")", NULL)
            : !kid_known ? emu_arena_concat(a, "signature: the token's kid \"", t->kid,
                                            "\" is none of provider ", p->name, "'s keys", NULL)
                         : emu_arena_concat(a, "signature: does not verify with provider ", p->name,
                                            "'s keys (", t->alg_name, ")", NULL);
        return sts__token_fail(call, ACTION, STS_ERR_OIDC_SIGNATURE, role_arn, account, why, NULL);
    }
    if (!t->iss || strcmp(t->iss, p->issuer_url) != 0)
        return sts__token_fail(
            call, ACTION, STS_ERR_OIDC_ISSUER, role_arn, account,
            emu_arena_concat(a, "iss: expected \"", p->issuer_url, "\", token presents ",
                             t->iss ? emu_arena_concat(a, "\"", t->iss, "\"", NULL) : "none", NULL),
            NULL);
    bool aud_ok = false;
    for (size_t i = 0; i < t->n_aud && !aud_ok; i++)
        for (size_t k = 0; k < p->n_client_ids && !aud_ok; k++)
            aud_ok = strcmp(t->aud[i], p->client_ids[k]) == 0;
    if (!aud_ok)
        return sts__token_fail(
            call, ACTION, STS_ERR_OIDC_AUDIENCE, role_arn, account,
            emu_arena_concat(a, "aud: expected one of ",
                             list_text(a, (const char *const *)p->client_ids, p->n_client_ids),
                             " (ClientIds of ", p->name, "), token presents ",
                             list_text(a, t->aud, t->n_aud), NULL),
            NULL);

    int64_t now = emu_clock_now_ms() / 1000;
    const char *now_s = sts__iso(a, now);
    if (!t->has_exp)
        return sts__token_fail(call, ACTION, STS_ERR_OIDC_INVALID, role_arn, account,
                               "exp: the token has no exp claim [inferred code]", NULL);
    if (now >= t->exp)
        return sts__token_fail(call, ACTION, STS_ERR_OIDC_EXPIRED, role_arn, account,
                               emu_arena_concat(a, "exp: token expired at ", sts__iso(a, t->exp),
                                                "; virtual clock is ", now_s, NULL),
                               NULL);
    if (t->has_nbf && now < t->nbf) {
        snprintf(msg, sizeof msg, "The Jwt is not valid before %s.", sts__iso(a, t->nbf));
        return sts__token_fail(call, ACTION, STS_ERR_OIDC_INVALID, role_arn, account,
                               emu_arena_concat(a, "nbf: token valid from ", sts__iso(a, t->nbf),
                                                "; virtual clock is ", now_s, " [inferred code]",
                                                NULL),
                               msg); /* [inferred] text */
    }
    if (t->has_iat && t->iat > now) {
        snprintf(msg, sizeof msg, "The Jwt is issued in the future (iat %s).", sts__iso(a, t->iat));
        return sts__token_fail(call, ACTION, STS_ERR_OIDC_INVALID, role_arn, account,
                               emu_arena_concat(a, "iat: token issued at ", sts__iso(a, t->iat),
                                                ", after the virtual clock ", now_s,
                                                " [inferred code]", NULL),
                               msg); /* [inferred] text */
    }
    if (t->has_iat && now - t->iat > (int64_t)p->issuance_limit_hours * 3600) {
        /* IssuanceLimitTime (hours): how old a token's iat may be. */
        snprintf(msg, sizeof msg,
                 "The Jwt is issued more than %d hours ago (IssuanceLimitTime of the OIDC "
                 "Provider).",
                 p->issuance_limit_hours);
        return sts__token_fail(
            call, ACTION, STS_ERR_OIDC_INVALID, role_arn, account,
            emu_arena_sprintf(a,
                              "iat: token issued at %s, more than %d hours "
                              "(IssuanceLimitTime of %s) before the virtual clock "
                              "%s [inferred code]",
                              sts__iso(a, t->iat), p->issuance_limit_hours, p->name, now_s),
            msg); /* [inferred] text */
    }
    return EMU_OK;
}

emu_rc sts_assume_role_with_oidc(emu_call *call)
{
    const char *provider_arn, *arn_text;
    sts_role_arn arn;
    long duration = 3600;
    emu_rc rc;

    if ((rc = emu_rpc_require(call, "OIDCProviderArn", &provider_arn)) ||
        (rc = emu_rpc_require(call, "RoleArn", &arn_text)))
        return rc;
    const char *token = sts__optional(call, "OIDCToken");
    if (!token) {
        sts__fail(call, STS_ERR_OIDC_INVALID);
        snprintf(call->err.msg, sizeof call->err.msg, "The OIDCToken can not empty.");
        return call->err.rc;
    }
    const char *session_name = sts__optional(call, "RoleSessionName");
    const char *duration_text = sts__optional(call, "DurationSeconds");
    const char *policy = sts__optional(call, "Policy");

    char account[STS_ACCOUNT_MAX + 1];
    const char *provider_name;
    if (!sts__parse_role_arn(arn_text, &arn))
        return sts__fail(call, STS_ERR_ROLE_ARN);
    if (!sts__parse_provider_arn(provider_arn, "oidc-provider", account, sizeof account,
                                 &provider_name))
        return sts__fail(call, STS_ERR_OIDC_PROVIDER_ARN);
    if (session_name && !sts__valid_session_name(session_name))
        return sts__fail(call, STS_ERR_SESSION_NAME);
    if (duration_text && (!sts__parse_duration(duration_text, &duration) || duration < 900))
        return sts__fail(call, STS_ERR_DURATION);
    if (policy && (rc = sts__check_session_policy(call, policy)))
        return rc;

    /* [inferred] The provider must belong to the role's account, as the
     * trust policy's Federated principal names it. */
    const fed_oidc_provider *p = fed_oidc_find(call->world, account, provider_name);
    world_account *a = world_account_find(call->world, arn.account);
    world_role *role = a ? world_role_find(a, arn.role) : NULL;
    const char *role_arn = emu_arena_concat(call->arena, "acs:ram::", arn.account, ":role/",
                                            sts__lower_dup(call->arena, arn.role), NULL);
    if (!p) {
        emu_authz_note_refusal(
            call, ACTION, role_arn, arn.account, POLICY_LAYER_FEDERATED_TOKEN,
            emu_arena_concat(call->arena, "no OIDC provider ", provider_arn, NULL));
        return sts__fail(call, STS_ERR_OIDC_NO_PROVIDER);
    }
    if (!role)
        return sts__fail(call, STS_ERR_ROLE_NOT_EXIST);
    if (duration > role->max_session_duration)
        return sts__fail(call, STS_ERR_DURATION);

    fed_jwt t;
    if ((rc = check_token(call, token, p, role_arn, arn.account, &t)))
        return rc;

    /* Step 10: the trust policy, with the claims as condition keys. */
    const char *canonical_provider =
        emu_arena_concat(call->arena, "acs:ram::", account, ":oidc-provider/", p->name, NULL);
    const char *iss_v[1] = {t.iss};
    const char *sub_v[1] = {t.sub ? t.sub : ""};
    policy_ckey keys[3] = {
        {"oidc:iss", iss_v, 1}, {"oidc:aud", t.aud, t.n_aud}, {"oidc:sub", sub_v, 1}};
    policy_principal fedp = {POLICY_PRINCIPAL_FEDERATED, canonical_provider};
    /* The trust policies the RAM documentation shows for OIDC roles say
     * "Action": "sts:AssumeRole", so that is the action the trust check
     * matches (ram-policy.md §3.4). */
    emu_authz_req req = {
        .action = "sts:AssumeRole",
        .resource = role_arn,
        .resource_account = a->id,
        .keys = keys,
        .n_keys = t.sub ? 3 : 2,
        .trust = role->trust,
        .presented = &fedp,
    };
    rc = emu_authz_check(call, &req);
    if (rc == EMU_E_DENIED) {
        call->denial = NULL;
        return sts__fail(call, STS_ERR_OIDC_NO_PERMISSION);
    }
    if (rc)
        return rc;

    auth_session_request sreq = {
        .account = a,
        .role = role,
        .session_name = session_name,
        .source_arn = canonical_provider,
        .policy = policy,
        .duration_ms = (int64_t)duration * 1000,
    };
    cJSON *r;
    if ((rc = sts__issue(call, &sreq, "oidc-", &r)))
        return rc;
    cJSON *info = cJSON_AddObjectToObject(r, "OIDCTokenInfo");
    emu_json_add_str_ref(info, "Subject", t.sub ? t.sub : "");
    emu_json_add_str_ref(info, "Issuer", t.iss);
    const char *aud = t.n_aud ? t.aud[0] : "";
    for (size_t i = 1; i < t.n_aud; i++)
        aud = emu_arena_concat(call->arena, aud, ",", t.aud[i], NULL);
    emu_json_add_str_ref(info, "ClientIds", aud);
    emu_json_add_str_ref(info, "ExpirationTime", sts__iso(call->arena, t.exp));
    if (t.has_iat)
        emu_json_add_str_ref(info, "IssuanceTime", sts__iso(call->arena, t.iat));
    /* [inferred] text: the cloud reports how it got the issuer's keys. */
    emu_json_add_str_ref(info, "VerificationInfo",
                         "Success: The public key is obtained from the keys acsemu holds for "
                         "the issuer.");
    call->result = r;
    return EMU_OK;
}
