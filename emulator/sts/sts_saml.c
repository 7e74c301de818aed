/* STS AssumeRoleWithSAML (api-sts-2015-04-01-assumerolewithsaml): an
 * anonymous call whose signed SAMLResponse proves the caller.
 *
 * Order of checks (as AssumeRoleWithOIDC's, sts_oidc.c):
 *   1. SAMLProviderArn, RoleArn, SAMLAssertion present   MissingParameter
 *   2. forms: RoleArn, SAMLProviderArn, DurationSeconds, Policy; the
 *      assertion 4-100,000 characters                   InvalidParameter.*
 *   3. the provider exists                               AuthenticationFail.NoPermission
 *   4. the role exists; DurationSeconds <= its maximum   EntityNotExist.Role / …Duration
 *   5. base64, XML (no DTD), one Assertion in a Response …SAMLAssertion.Invalid
 *   6. the enveloped signature (fed_saml_verify)         …SAMLAssertion.InvalidSignature
 *   7. Issuer == the metadata's entityID                 …SAMLAssertion.IssuerNotMatch
 *   8. an Audience is urn:alibaba:cloudcomputing[:international]
 *                                                        …SAMLAssertion.AudienceNotMatch
 *   9. Conditions NotBefore/NotOnOrAfter and SubjectConfirmationData
 *      NotOnOrAfter on the virtual clock                 …SAMLAssertion.Expired
 *  10. a Role attribute value "RoleArn,SAMLProviderArn" naming this role
 *      and provider; RoleSessionName attribute well formed
 *                                                        …SAMLAssertion.RoleNotMatch
 *  11. the role's trust policy: Federated principal acs:ram::<uid>:saml-
 *      provider/<name>, keys saml:iss, saml:sub, saml:sub_type,
 *      saml:recipient, saml:aud                          AuthenticationFail.NoPermission
 * The SAML codes are [inferred] in the OIDC codes' style. Failures leave a
 * decision record naming the check, expected vs presented; the assertion
 * itself is never logged nor recorded. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/rpc.h"
#include "emu/str.h"
#include "sts_int.h"

#define ACTION "sts:AssumeRoleWithSAML"

static bool audience_ok(const char *s)
{
    return strcmp(s, "urn:alibaba:cloudcomputing") == 0 ||
           strcmp(s, "urn:alibaba:cloudcomputing:international") == 0;
}

/* "acs:ram::1:role/x,acs:ram::1:saml-provider/y" names role_arn and provider? */
static bool role_value_matches(const char *v, const char *role_arn, const char *provider_arn)
{
    const char *comma = strchr(v, ',');
    if (!comma)
        return false;
    size_t rl = (size_t)(comma - v);
    return strlen(role_arn) == rl && strncasecmp(v, role_arn, rl) == 0 &&
           emu_strcasecmp(comma + 1, provider_arn) == 0;
}

static emu_rc check_assertion(emu_call *call, const char *assertion, const fed_saml_provider *p,
                              const char *role_arn, const char *provider_arn, const char *account,
                              fed_saml *s)
{
    emu_arena *a = call->arena;
    char why[256];
    fed_saml_fault f =
        fed_saml_verify(assertion, strlen(assertion), (const fed_key *const *)p->keys, p->n_keys, a,
                        s, why, sizeof why);
    if (f)
        return sts__token_fail(
            call, ACTION, f == FED_SAML_MALFORMED ? STS_ERR_SAML_INVALID : STS_ERR_SAML_SIGNATURE,
            role_arn, account, emu_arena_strdup(a, why), NULL);
    if (!s->issuer || strcmp(s->issuer, p->entity_id) != 0)
        return sts__token_fail(call, ACTION, STS_ERR_SAML_ISSUER, role_arn, account,
                               emu_arena_concat(a, "Issuer: expected \"", p->entity_id,
                                                "\" (entityID of ", p->name,
                                                "'s metadata), assertion presents \"",
                                                s->issuer ? s->issuer : "(none)", "\"", NULL),
                               NULL);
    bool aud = false;
    const char *auds = "";
    for (size_t i = 0; i < s->n_audiences; i++) {
        aud = aud || audience_ok(s->audiences[i]);
        auds = emu_arena_concat(a, auds, i ? ", " : "", "\"", s->audiences[i], "\"", NULL);
    }
    if (!aud)
        return sts__token_fail(call, ACTION, STS_ERR_SAML_AUDIENCE, role_arn, account,
                               emu_arena_concat(a,
                                                "Audience: expected "
                                                "\"urn:alibaba:cloudcomputing\", assertion "
                                                "presents [",
                                                auds, "]", NULL),
                               NULL);
    int64_t now = emu_clock_now_ms();
    const char *now_s = sts__iso(a, now / 1000);
    if (!s->has_not_on_or_after && !s->has_scd_not_on_or_after)
        return sts__token_fail(call, ACTION, STS_ERR_SAML_INVALID, role_arn, account,
                               "NotOnOrAfter: the assertion has none (Conditions or "
                               "SubjectConfirmationData) [inferred code]",
                               NULL);
    if ((s->has_not_on_or_after && now >= s->not_on_or_after) ||
        (s->has_scd_not_on_or_after && now >= s->scd_not_on_or_after))
        return sts__token_fail(
            call, ACTION, STS_ERR_SAML_EXPIRED, role_arn, account,
            emu_arena_concat(a, "NotOnOrAfter: assertion valid until ",
                             sts__iso(a, (s->has_not_on_or_after && now >= s->not_on_or_after
                                              ? s->not_on_or_after
                                              : s->scd_not_on_or_after) /
                                             1000),
                             "; virtual clock is ", now_s, NULL),
            NULL);
    if (s->has_not_before && now < s->not_before)
        return sts__token_fail(call, ACTION, STS_ERR_SAML_INVALID, role_arn, account,
                               emu_arena_concat(a, "NotBefore: assertion valid from ",
                                                sts__iso(a, s->not_before / 1000),
                                                "; virtual clock is ", now_s, " [inferred code]",
                                                NULL),
                               NULL);
    bool role_ok = false;
    for (size_t i = 0; i < s->n_roles && !role_ok; i++)
        role_ok = role_value_matches(s->roles[i], role_arn, provider_arn);
    if (!role_ok)
        return sts__token_fail(call, ACTION, STS_ERR_SAML_ROLE, role_arn, account,
                               emu_arena_concat(a, "Role attribute: expected a value \"", role_arn,
                                                ",", provider_arn, "\"; the assertion has ",
                                                emu_arena_sprintf(a, "%zu", s->n_roles),
                                                " Role value(s), none matching", NULL),
                               NULL);
    if (s->session_name && !sts__valid_session_name(s->session_name))
        return sts__token_fail(call, ACTION, STS_ERR_SAML_INVALID, role_arn, account,
                               "RoleSessionName attribute: not 2-64 of [A-Za-z0-9.@_-] "
                               "[inferred code]",
                               NULL);
    return EMU_OK;
}

emu_rc sts_assume_role_with_saml(emu_call *call)
{
    const char *provider_arn, *arn_text, *assertion;
    sts_role_arn arn;
    long duration = 3600;
    emu_rc rc;

    if ((rc = emu_rpc_require(call, "SAMLProviderArn", &provider_arn)) ||
        (rc = emu_rpc_require(call, "RoleArn", &arn_text)) ||
        (rc = emu_rpc_require(call, "SAMLAssertion", &assertion)))
        return rc;
    const char *duration_text = sts__optional(call, "DurationSeconds");
    const char *policy = sts__optional(call, "Policy");
    char account[STS_ACCOUNT_MAX + 1];
    const char *provider_name;
    if (!sts__parse_role_arn(arn_text, &arn))
        return sts__fail(call, STS_ERR_ROLE_ARN);
    if (!sts__parse_provider_arn(provider_arn, "saml-provider", account, sizeof account,
                                 &provider_name) ||
        fed_oidc_name_problem(provider_name))
        return sts__fail(call, STS_ERR_SAML_PROVIDER_ARN);
    size_t alen = strlen(assertion);
    if (alen < 4 || alen > FED_MAX_SAML_ASSERTION_BYTES)
        return sts__fail(call, STS_ERR_SAML_SIZE);
    if (duration_text && (!sts__parse_duration(duration_text, &duration) || duration < 900))
        return sts__fail(call, STS_ERR_DURATION);
    if (policy && (rc = sts__check_session_policy(call, policy)))
        return rc;

    const fed_saml_provider *p = fed_saml_find(call->world, account, provider_name);
    world_account *a = world_account_find(call->world, arn.account);
    world_role *role = a ? world_role_find(a, arn.role) : NULL;
    const char *role_arn = emu_arena_concat(call->arena, "acs:ram::", arn.account, ":role/",
                                            sts__lower_dup(call->arena, arn.role), NULL);
    if (!p) {
        emu_authz_note_refusal(
            call, ACTION, role_arn, arn.account, POLICY_LAYER_FEDERATED_TOKEN,
            emu_arena_concat(call->arena, "no SAML provider ", provider_arn, NULL));
        return sts__fail(call, STS_ERR_SAML_NO_PROVIDER);
    }
    if (!role)
        return sts__fail(call, STS_ERR_ROLE_NOT_EXIST);
    if (duration > role->max_session_duration)
        return sts__fail(call, STS_ERR_DURATION);
    const char *canonical_provider =
        emu_arena_concat(call->arena, "acs:ram::", account, ":saml-provider/", p->name, NULL);

    fed_saml s;
    if ((rc = check_assertion(call, assertion, p, role_arn, canonical_provider, arn.account, &s)))
        return rc;

    const char *iss_v[1] = {s.issuer};
    const char *sub_v[1] = {s.subject ? s.subject : ""};
    const char *type_v[1] = {s.subject_type ? s.subject_type : ""};
    const char *rcp_v[1] = {s.recipient ? s.recipient : ""};
    policy_ckey keys[5] = {{"saml:iss", iss_v, 1},
                           {"saml:sub", sub_v, 1},
                           {"saml:sub_type", type_v, 1},
                           {"saml:recipient", rcp_v, 1},
                           {"saml:aud", s.audiences, s.n_audiences}};
    policy_principal fedp = {POLICY_PRINCIPAL_FEDERATED, canonical_provider};
    emu_authz_req req = {
        .action = "sts:AssumeRole", /* as the documented SAML trust policies say */
        .resource = role_arn,
        .resource_account = a->id,
        .keys = keys,
        .n_keys = 5,
        .trust = role->trust,
        .presented = &fedp,
    };
    rc = emu_authz_check(call, &req);
    if (rc == EMU_E_DENIED) {
        call->denial = NULL;
        return sts__fail(call, STS_ERR_SAML_NO_PERMISSION);
    }
    if (rc)
        return rc;

    auth_session_request sreq = {
        .account = a,
        .role = role,
        .session_name = s.session_name,
        .source_arn = canonical_provider,
        .policy = policy,
        .duration_ms = (int64_t)duration * 1000,
    };
    cJSON *r;
    if ((rc = sts__issue(call, &sreq, "saml-", &r)))
        return rc;
    cJSON *info = cJSON_AddObjectToObject(r, "SAMLAssertionInfo");
    emu_json_add_str_ref(info, "SubjectType", s.subject_type ? s.subject_type : "");
    emu_json_add_str_ref(info, "Subject", s.subject ? s.subject : "");
    emu_json_add_str_ref(info, "Recipient", s.recipient ? s.recipient : "");
    emu_json_add_str_ref(info, "Issuer", s.issuer);
    call->result = r;
    return EMU_OK;
}
