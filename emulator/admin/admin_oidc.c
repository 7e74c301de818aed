/* acsemu as its own OIDC test issuer (emu/fed.h keeps the keys):
 *
 *   POST /_emu/oidc/token      mints a signed token (RS256)
 *        {"issuer": URL, "subject": "repo:org/app:ref:refs/heads/main",
 *         "audience": "sts.aliyuncs.com" | [...], "lifetime": 3600,
 *         "claims": {...}}
 *        → {"token", "issuer", "kid", "issuedAt", "expiresAt"}
 *   GET  /_emu/oidc[/NAME]/.well-known/openid-configuration   discovery
 *   GET  /_emu/oidc[/NAME]/jwks                               its JWKS
 *   GET  /_emu/oidc/jwks?issuer=URL                           JWKS of any issuer acsemu signs for
 *
 * The issuer defaults to this server's own URL, scheme://Host/_emu/oidc
 * (or /_emu/oidc/NAME with "name"); any other URL ("https://token.actions.
 * githubusercontent.com", an RRSA-shaped one) plays that IdP. Times are on
 * the virtual clock, as STS checks them. The token is in the answer only:
 * never in a log line. */
#include <string.h>

#include "emu/admin.h"
#include "emu/clock.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/sig.h"

#define WELL_KNOWN "/.well-known/openid-configuration"

/* scheme://Host/_emu/oidc + suffix, in the arena. */
static const char *own_issuer(emu_call *call, emu_str suffix)
{
    emu_str host = emu_http_req_header(call->req, "host");
    if (host.len == 0 || host.len > 255)
        host = emu_str_c("127.0.0.1");
    return emu_arena_sprintf(call->arena, "%s://%.*s/_emu/oidc%.*s",
                             call->req->tls ? "https" : "http", (int)host.len, host.p,
                             (int)suffix.len, suffix.p);
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static emu_rc oidc_token(emu_call *call, emu_str rest)
{
    (void)rest;
    cJSON *body = emu_admin_body(call);
    if (!body)
        return EMU_OK;
    emu_rc rc = EMU_OK;
    const cJSON *iss = cJSON_GetObjectItemCaseSensitive(body, "issuer");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(body, "subject");
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(body, "audience");
    const cJSON *life = cJSON_GetObjectItemCaseSensitive(body, "lifetime");
    const cJSON *claims = cJSON_GetObjectItemCaseSensitive(body, "claims");
    const char *issuer;
    double lifetime = 3600;

    if ((iss && !cJSON_IsString(iss)) ||
        (name && (!cJSON_IsString(name) || !name_ok(name->valuestring)))) {
        rc = emu_admin_error(call, 400, "InvalidParameter",
                             "\"issuer\" must be a URL string; \"name\" 1-64 of [A-Za-z0-9._-]");
        goto out;
    }
    if (iss) {
        issuer = iss->valuestring;
        const char *why = fed_oidc_issuer_problem(issuer);
        if (why) {
            rc = emu_admin_error(call, 400, "InvalidParameter", "\"issuer\" %s", why);
            goto out;
        }
    } else {
        issuer = name ? own_issuer(call, emu_str_c(emu_arena_concat(call->arena, "/",
                                                                    name->valuestring, NULL)))
                      : own_issuer(call, emu_str_c(""));
    }
    if (!cJSON_IsString(sub) || !*sub->valuestring) {
        rc = emu_admin_error(call, 400, "InvalidParameter",
                             "\"subject\" (the token's sub, e.g. "
                             "\"system:serviceaccount:ns:app\") is required");
        goto out;
    }
    if (!(cJSON_IsString(aud) || cJSON_IsArray(aud))) {
        rc = emu_admin_error(call, 400, "InvalidParameter",
                             "\"audience\" (a string or an array of strings: the provider's "
                             "ClientIds, e.g. \"sts.aliyuncs.com\") is required");
        goto out;
    }
    const cJSON *e;
    const cJSON *aud_list = cJSON_IsArray(aud) ? aud : NULL;
    cJSON_ArrayForEach(e, aud_list)
    {
        if (!cJSON_IsString(e)) {
            rc = emu_admin_error(call, 400, "InvalidParameter",
                                 "\"audience\" entries must be strings");
            goto out;
        }
    }
    if (life) {
        if (!cJSON_IsNumber(life) || life->valuedouble < -86400.0 * 366 ||
            life->valuedouble > 86400.0 * 366) {
            rc = emu_admin_error(call, 400, "InvalidParameter",
                                 "\"lifetime\" is seconds, at most a year (negative for an "
                                 "already expired token)");
            goto out;
        }
        lifetime = life->valuedouble;
    }
    if (claims && !cJSON_IsObject(claims)) {
        rc = emu_admin_error(call, 400, "InvalidParameter",
                             "\"claims\" must be an object of extra claims");
        goto out;
    }
    char *claims_text = claims ? cJSON_PrintUnformatted(claims) : NULL;
    size_t claims_len = claims_text ? strlen(claims_text) : 0;
    cJSON_free(claims_text);
    if (claims_len > FED_MAX_CLAIMS_BYTES) {
        rc = emu_admin_error(call, 400, "InvalidParameter", "\"claims\" is over %d bytes",
                             FED_MAX_CLAIMS_BYTES);
        goto out;
    }

    bool created;
    fed_key *k = fed_issuer_key(issuer, true, &created);
    if (!k) {
        rc = emu_admin_error(call, 409, "LimitExceeded",
                             "acsemu signs for at most %d issuers per process", FED_MAX_ISSUERS);
        goto out;
    }
    int64_t now = emu_clock_now_ms() / 1000;
    int64_t exp = now + (int64_t)lifetime;
    cJSON *hdr = cJSON_CreateObject();
    cJSON_AddStringToObject(hdr, "alg", "RS256");
    cJSON_AddStringToObject(hdr, "typ", "JWT");
    cJSON_AddStringToObject(hdr, "kid", fed_key_kid(k));
    cJSON *pl = claims ? cJSON_Duplicate(claims, true) : cJSON_CreateObject();
    /* issuer/subject/audience fill iss/sub/aud unless "claims" names them:
     * a claim given there on purpose wins (a test of IssuerNotMatch signs
     * with the issuer's key but presents another iss; nbf/iat/exp alike). */
    if (!cJSON_GetObjectItemCaseSensitive(pl, "iss"))
        cJSON_AddStringToObject(pl, "iss", issuer);
    if (!cJSON_GetObjectItemCaseSensitive(pl, "sub"))
        cJSON_AddStringToObject(pl, "sub", sub->valuestring);
    if (!cJSON_GetObjectItemCaseSensitive(pl, "aud"))
        cJSON_AddItemToObject(pl, "aud", cJSON_Duplicate(aud, true));
    if (!cJSON_GetObjectItemCaseSensitive(pl, "iat"))
        cJSON_AddNumberToObject(pl, "iat", (double)now);
    if (!cJSON_GetObjectItemCaseSensitive(pl, "exp"))
        cJSON_AddNumberToObject(pl, "exp", (double)exp);
    char *token = fed_issuer_sign(issuer, hdr, pl, call->arena);
    const cJSON *iat_j = cJSON_GetObjectItemCaseSensitive(pl, "iat");
    const cJSON *exp_j = cJSON_GetObjectItemCaseSensitive(pl, "exp");
    char iat_s[21] = "", exp_s[21] = "";
    if (cJSON_IsNumber(iat_j))
        emu_time_iso((int64_t)iat_j->valuedouble * 1000, iat_s);
    if (cJSON_IsNumber(exp_j))
        emu_time_iso((int64_t)exp_j->valuedouble * 1000, exp_s);
    cJSON_Delete(hdr);
    cJSON_Delete(pl);
    if (!token) {
        rc = emu_admin_error(call, 500, "InternalError", "signing failed");
        goto out;
    }
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "token", token);
    cJSON_AddStringToObject(r, "issuer", issuer);
    cJSON_AddStringToObject(r, "kid", fed_key_kid(k));
    cJSON_AddStringToObject(r, "issuedAt", iat_s);
    cJSON_AddStringToObject(r, "expiresAt", exp_s);
    cJSON_AddStringToObject(r, "jwksUri",
                            iss ? emu_arena_concat(call->arena, own_issuer(call, emu_str_c("")),
                                                   "/jwks?issuer=", issuer, NULL)
                                : emu_arena_concat(call->arena, issuer, "/jwks", NULL));
    rc = emu_admin_json(call, 200, r);
out:
    cJSON_Delete(body);
    return rc;
}

static cJSON *jwks_of(const fed_key *k)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(j, "keys");
    if (k)
        cJSON_AddItemToArray(keys, fed_key_jwk(k));
    return j;
}

/* GET /_emu/oidc…: discovery documents and key sets. */
static emu_rc oidc_get(emu_call *call, emu_str rest)
{
    size_t wl = sizeof WELL_KNOWN - 1;
    bool discovery = rest.len >= wl && memcmp(rest.p + rest.len - wl, WELL_KNOWN, wl) == 0;
    bool jwks = !discovery && rest.len >= 5 && memcmp(rest.p + rest.len - 5, "/jwks", 5) == 0;
    if (!discovery && !jwks)
        return emu_admin_error(call, 404, "NotFound",
                               "OIDC test issuer: GET /_emu/oidc[/NAME]" WELL_KNOWN
                               ", GET /_emu/oidc[/NAME]/jwks, POST /_emu/oidc/token");
    emu_str base = {rest.p, rest.len - (discovery ? wl : 5)};
    if (base.len && !name_ok(emu_arena_strndup(call->arena, base.p + 1, base.len - 1)))
        return emu_admin_error(call, 404, "NotFound", "no such OIDC test issuer");
    const char *issuer = own_issuer(call, base);
    if (jwks && base.len == 0 && call->req->query.len) {
        /* ?issuer=URL: the keys of any issuer acsemu signs for. */
        sig_params q;
        emu_err err = {0};
        if (sig_params_parse(call->arena, call->req->query, (emu_str){0}, &q, &err) != EMU_OK)
            return emu_admin_error(call, 400, "InvalidParameter", "%s", err.msg);
        emu_str v = sig_params_get(&q, "issuer");
        if (v.p) {
            issuer = emu_arena_strndup(call->arena, v.p, v.len);
            const fed_key *k = fed_issuer_key(issuer, false, NULL);
            if (!k)
                return emu_admin_error(call, 404, "NotFound",
                                       "acsemu holds no key for issuer %.200s (POST "
                                       "/_emu/oidc/token with that issuer makes one)",
                                       issuer);
            return emu_admin_json(call, 200, jwks_of(k));
        }
    }
    if (jwks)
        return emu_admin_json(call, 200, jwks_of(fed_issuer_key(issuer, true, NULL)));
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "issuer", issuer);
    cJSON_AddStringToObject(d, "jwks_uri", emu_arena_concat(call->arena, issuer, "/jwks", NULL));
    cJSON *a = cJSON_AddArrayToObject(d, "response_types_supported");
    cJSON_AddItemToArray(a, cJSON_CreateString("id_token"));
    a = cJSON_AddArrayToObject(d, "subject_types_supported");
    cJSON_AddItemToArray(a, cJSON_CreateString("public"));
    a = cJSON_AddArrayToObject(d, "id_token_signing_alg_values_supported");
    cJSON_AddItemToArray(a, cJSON_CreateString("RS256"));
    a = cJSON_AddArrayToObject(d, "claims_supported");
    static const char *const claims[] = {"iss", "sub", "aud", "exp", "iat", "nbf"};
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(claims[i]));
    return emu_admin_json(call, 200, d);
}

void emu_admin_oidc_register(void)
{
    static const emu_admin_route routes[] = {
        {"POST", "/_emu/oidc/token", oidc_token},
        {"GET", "/_emu/oidc", oidc_get},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        emu_admin_add_route(&routes[i]);
}
