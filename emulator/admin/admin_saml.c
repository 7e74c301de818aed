/* acsemu as a SAML test IdP (the keys are fed_issuer_key's, as the OIDC
 * test issuers'):
 *
 *   POST /_emu/saml/assertion   mints a signed SAMLResponse
 *        {"issuer": "https://idp.example.com", "subject": "alice@example.com",
 *         "roles": ["acs:ram::UID:role/NAME,acs:ram::UID:saml-provider/P"],
 *         "audience": "urn:alibaba:cloudcomputing", "lifetime": 300,
 *         "sessionName": "alice"}
 *        → {"SAMLAssertion": base64, "issuer", "metadata": base64 metadata}
 *   GET  /_emu/saml/metadata?issuer=URL   the IdP's metadata XML
 *
 * The assertion is in the answer only, never in a log line. */
#include <string.h>

#include "emu/admin.h"
#include "emu/clock.h"
#include "emu/crypto.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/sig.h"

static const char *str_field(const cJSON *body, const char *name, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    if (!v)
        return dflt;
    return cJSON_IsString(v) && *v->valuestring && strlen(v->valuestring) <= 1024 ? v->valuestring
                                                                                  : NULL;
}

static emu_rc saml_assertion(emu_call *call, emu_str rest)
{
    (void)rest;
    cJSON *body = emu_admin_body(call);
    if (!body)
        return EMU_OK;
    emu_rc rc;
    fed_saml_mint_req r = {0};
    const char *roles[FED_MAX_SAML_VALUES];
    r.issuer = str_field(body, "issuer", NULL);
    r.subject = str_field(body, "subject", NULL);
    r.audience = str_field(body, "audience", "urn:alibaba:cloudcomputing");
    r.recipient = str_field(body, "recipient", "https://signin.aliyun.com/saml-role/sso");
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(body, "sessionName");
    const cJSON *jroles = cJSON_GetObjectItemCaseSensitive(body, "roles");
    const cJSON *life = cJSON_GetObjectItemCaseSensitive(body, "lifetime");
    if (!r.issuer || !r.subject || !r.audience || !r.recipient || (sn && !cJSON_IsString(sn))) {
        rc = emu_admin_error(call, 400, "InvalidParameter",
                             "\"issuer\" (the IdP's entityID) and \"subject\" (NameID) are "
                             "required strings; \"audience\", \"recipient\", \"sessionName\" "
                             "are optional strings");
        goto out;
    }
    if (!cJSON_IsArray(jroles) || cJSON_GetArraySize(jroles) < 1 ||
        cJSON_GetArraySize(jroles) > FED_MAX_SAML_VALUES) {
        rc = emu_admin_error(call, 400, "InvalidParameter",
                             "\"roles\" is an array of 1-%d strings "
                             "\"acs:ram::UID:role/NAME,acs:ram::UID:saml-provider/PROVIDER\"",
                             FED_MAX_SAML_VALUES);
        goto out;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, jroles)
    {
        if (!cJSON_IsString(e) || strlen(e->valuestring) > 1024) {
            rc = emu_admin_error(call, 400, "InvalidParameter", "\"roles\" entries are strings");
            goto out;
        }
        roles[r.n_roles++] = e->valuestring;
    }
    r.roles = roles;
    r.session_name = sn ? sn->valuestring : NULL;
    r.lifetime_s = 300;
    if (life) {
        if (!cJSON_IsNumber(life) || life->valuedouble < -86400.0 * 366 ||
            life->valuedouble > 86400.0 * 366) {
            rc = emu_admin_error(call, 400, "InvalidParameter",
                                 "\"lifetime\" is seconds, at most a year (negative for an "
                                 "already expired assertion)");
            goto out;
        }
        r.lifetime_s = (int64_t)life->valuedouble;
    }
    if (!fed_issuer_key(r.issuer, true, NULL)) {
        rc = emu_admin_error(call, 409, "LimitExceeded",
                             "acsemu signs for at most %d issuers per process", FED_MAX_ISSUERS);
        goto out;
    }
    r.now_ms = emu_clock_now_ms() / 1000 * 1000;
    char *assertion = fed_saml_mint(&r, call->arena);
    char *md = fed_saml_idp_metadata(r.issuer, call->arena);
    if (!assertion || !md) {
        rc = emu_admin_error(call, 500, "InternalError", "signing failed");
        goto out;
    }
    char *md64 = emu_arena_alloc(call->arena, (strlen(md) + 2) / 3 * 4 + 1);
    md64[emu_base64_encode((const uint8_t *)md, strlen(md), md64)] = 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SAMLAssertion", assertion);
    cJSON_AddStringToObject(o, "issuer", r.issuer);
    cJSON_AddStringToObject(o, "metadata", md64);
    rc = emu_admin_json(call, 200, o);
out:
    cJSON_Delete(body);
    return rc;
}

static emu_rc saml_metadata(emu_call *call, emu_str rest)
{
    (void)rest;
    sig_params q;
    emu_err err = {0};
    if (sig_params_parse(call->arena, call->req->query, (emu_str){0}, &q, &err) != EMU_OK)
        return emu_admin_error(call, 400, "InvalidParameter", "%s", err.msg);
    emu_str v = sig_params_get(&q, "issuer");
    if (!v.p)
        return emu_admin_error(call, 400, "InvalidParameter",
                               "GET /_emu/saml/metadata?issuer=URL (an issuer POST "
                               "/_emu/saml/assertion signed for)");
    const char *issuer = emu_arena_strndup(call->arena, v.p, v.len);
    char *md = fed_saml_idp_metadata(issuer, call->arena);
    if (!md)
        return emu_admin_error(call, 404, "NotFound",
                               "acsemu holds no key for issuer %.200s (POST "
                               "/_emu/saml/assertion with that issuer makes one)",
                               issuer);
    emu_http_resp_set(call->resp, call->arena, 200, "application/samlmetadata+xml", md, strlen(md));
    emu_http_resp_header(call->resp, call->arena, "X-Content-Type-Options", "nosniff");
    return EMU_OK;
}

void emu_admin_saml_register(void)
{
    static const emu_admin_route routes[] = {
        {"POST", "/_emu/saml/assertion", saml_assertion},
        {"GET", "/_emu/saml/metadata", saml_metadata},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        emu_admin_add_route(&routes[i]);
}
