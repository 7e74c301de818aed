/* IMS 2019-08-15 over RPC (ims.aliyuncs.com): the OIDC providers of the
 * caller's account, as the aliyunsdkims request classes send them
 * (CreateOIDCProvider: OIDCProviderName, IssuerUrl, ClientIds, Fingerprints,
 * Description, IssuanceLimitTime; UpdateOIDCProvider: OIDCProviderName,
 * ClientIds, NewDescription, IssuanceLimitTime) and the shape of
 * GetOIDCProvider's answer {"OIDCProvider": {Arn, OIDCProviderName,
 * Description, IssuerUrl, ClientIds, Fingerprints, IssuanceLimitTime,
 * CreateDate, UpdateDate}} with the lists comma-separated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/fed.h"
#include "emu/ims.h"
#include "emu/json.h"
#include "emu/rpc.h"

typedef enum ims_err {
#define IMS_ERROR(id, code, rc, status, msg) IMS_ERR_##id,
#include "ims_errors.def"
#undef IMS_ERROR
} ims_err;

static const struct {
    const char *code;
    emu_rc rc;
    int status;
    const char *msg;
} ims_errors[] = {
#define IMS_ERROR(id, code, rc, status, msg) {code, rc, status, msg},
#include "ims_errors.def"
#undef IMS_ERROR
};

/* Fills call->err from row id; `detail` (or NULL) follows the message. */
static emu_rc ims_fail(emu_call *call, ims_err id, const char *detail)
{
    if (detail)
        emu_err_set(&call->err, ims_errors[id].rc, ims_errors[id].code, "%s: %s.",
                    ims_errors[id].msg, detail);
    else
        emu_err_set(&call->err, ims_errors[id].rc, ims_errors[id].code, "%s", ims_errors[id].msg);
    call->err.status = ims_errors[id].status;
    return ims_errors[id].rc;
}

static const char *optional(const emu_call *call, const char *name)
{
    const char *v = emu_rpc_param(call, name);
    return v && *v ? v : NULL;
}

static const char *account_of(const emu_call *call)
{
    return call->principal.account_id;
}

static const char *provider_arn(emu_call *call, const char *name)
{
    return emu_arena_concat(call->arena, "acs:ram::", account_of(call), ":oidc-provider/", name,
                            NULL);
}

/* acs:ram::<uid>:oidc-provider/<name> (the stored spelling when it exists),
 * "oidc-provider/" + "*" for ListOIDCProviders or a missing name. */
static const char *ims_resource(emu_call *call)
{
    const char *name = optional(call, "OIDCProviderName");
    if (!account_of(call))
        return NULL;
    if (strstr(call->action->name, "SAMLProvider")) {
        const char *sn = optional(call, "SAMLProviderName");
        const fed_saml_provider *sp = sn ? fed_saml_find(call->world, account_of(call), sn) : NULL;
        return emu_arena_concat(call->arena, "acs:ram::", account_of(call), ":saml-provider/",
                                sp   ? sp->name
                                : sn ? sn
                                     : "*",
                                NULL);
    }
    const fed_oidc_provider *p = name ? fed_oidc_find(call->world, account_of(call), name) : NULL;
    return provider_arn(call, p ? p->name : name ? name : "*");
}

static const char *joined(emu_arena *a, char *const *v, size_t n)
{
    const char *s = "";
    for (size_t i = 0; i < n; i++)
        s = emu_arena_concat(a, s, i ? "," : "", v[i], NULL);
    return s;
}

static const char *date(emu_call *call, int64_t ms)
{
    char *d = emu_arena_alloc(call->arena, 21);
    emu_time_iso(ms, d);
    return d;
}

static cJSON *provider_json(emu_call *call, const fed_oidc_provider *p)
{
    cJSON *o = cJSON_CreateObject();
    emu_json_add_str_ref(o, "Arn", provider_arn(call, p->name));
    emu_json_add_str_ref(o, "OIDCProviderName", p->name);
    emu_json_add_str_ref(o, "Description", p->description ? p->description : "");
    emu_json_add_str_ref(o, "IssuerUrl", p->issuer_url);
    emu_json_add_str_ref(o, "ClientIds", joined(call->arena, p->client_ids, p->n_client_ids));
    emu_json_add_str_ref(o, "Fingerprints",
                         joined(call->arena, p->fingerprints, p->n_fingerprints));
    cJSON_AddNumberToObject(o, "IssuanceLimitTime", p->issuance_limit_hours);
    emu_json_add_str_ref(o, "CreateDate", date(call, p->create_ms));
    emu_json_add_str_ref(o, "UpdateDate", date(call, p->update_ms));
    return o;
}

static emu_rc answer(emu_call *call, const fed_oidc_provider *p)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "OIDCProvider", provider_json(call, p));
    call->result = r;
    return EMU_OK;
}

/* Parses a comma-separated list parameter, checking every entry. */
static emu_rc list_param(emu_call *call, const char *text, size_t cap,
                         const char *(*problem)(const char *), ims_err id, char ***out, size_t *n)
{
    int k = fed_split_list(text, out, cap);
    if (k < 0) {
        char why[80];
        snprintf(why, sizeof why, "at most %zu comma-separated entries, none empty", cap);
        return ims_fail(call, id, why);
    }
    *n = (size_t)k;
    for (size_t i = 0; i < *n; i++) {
        const char *why = problem((*out)[i]);
        if (why) {
            fed_free_list(*out, *n);
            *out = NULL;
            *n = 0;
            return ims_fail(call, id, why);
        }
    }
    return EMU_OK;
}

/* IssuanceLimitTime: hours, 1-168 (default 12). */
static emu_rc limit_param(emu_call *call, const char *text, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < 1 || v > 168)
        return ims_fail(call, IMS_ERR_LIMIT_TIME, "hours, a whole number 1-168");
    *out = (int)v;
    return EMU_OK;
}

static emu_rc description_param(emu_call *call, const char *text)
{
    return strlen(text) > 256 ? ims_fail(call, IMS_ERR_DESCRIPTION, "at most 256 characters")
                              : EMU_OK;
}

static emu_rc ims_create_oidc_provider(emu_call *call)
{
    const char *name, *url, *why;
    emu_rc rc;
    if ((rc = emu_rpc_require(call, "OIDCProviderName", &name)) ||
        (rc = emu_rpc_require(call, "IssuerUrl", &url)))
        return rc;
    const char *client_ids = optional(call, "ClientIds");
    const char *fingerprints = optional(call, "Fingerprints");
    const char *desc = optional(call, "Description");
    const char *limit = optional(call, "IssuanceLimitTime");
    if ((why = fed_oidc_name_problem(name)))
        return ims_fail(call, IMS_ERR_NAME, why);
    if ((why = fed_oidc_issuer_problem(url)))
        return ims_fail(call, IMS_ERR_ISSUER, why);
    /* [inferred] The console requires both lists; the API marks them
     * optional but a provider without a client id can accept no token. */
    if (!client_ids)
        return ims_fail(call, IMS_ERR_CLIENT_IDS, "at least one client id is required");
    if (desc && (rc = description_param(call, desc)))
        return rc;

    fed_oidc_provider *p = emu_xcalloc(1, sizeof *p);
    p->issuance_limit_hours = 12;
    if ((rc = list_param(call, client_ids, FED_MAX_CLIENT_IDS, fed_oidc_client_id_problem,
                         IMS_ERR_CLIENT_IDS, &p->client_ids, &p->n_client_ids)) ||
        (fingerprints &&
         (rc = list_param(call, fingerprints, FED_MAX_FINGERPRINTS, fed_oidc_fingerprint_problem,
                          IMS_ERR_FINGERPRINTS, &p->fingerprints, &p->n_fingerprints))) ||
        (limit && (rc = limit_param(call, limit, &p->issuance_limit_hours))))
        goto fail;
    if (fed_oidc_find(call->world, account_of(call), name)) {
        rc = ims_fail(call, IMS_ERR_EXISTS, NULL);
        goto fail;
    }
    p->name = emu_xstrdup(name);
    p->issuer_url = emu_xstrdup(url);
    p->description = desc ? emu_xstrdup(desc) : NULL;
    if (!p->fingerprints)
        p->fingerprints = emu_xcalloc(1, sizeof *p->fingerprints);
    p->create_ms = p->update_ms = emu_clock_now_ms() / 1000 * 1000;
    if (fed_oidc_add(call->world, account_of(call), p) != EMU_OK) {
        rc = ims_fail(call, IMS_ERR_LIMIT, NULL);
        goto fail;
    }
    return answer(call, p);
fail:
    fed_oidc_provider_free(p);
    return rc;
}

static emu_rc find(emu_call *call, fed_oidc_provider **p)
{
    const char *name;
    emu_rc rc = emu_rpc_require(call, "OIDCProviderName", &name);
    if (rc)
        return rc;
    *p = fed_oidc_find(call->world, account_of(call), name);
    return *p ? EMU_OK : ims_fail(call, IMS_ERR_NOT_EXIST, NULL);
}

static emu_rc ims_get_oidc_provider(emu_call *call)
{
    fed_oidc_provider *p;
    emu_rc rc = find(call, &p);
    return rc ? rc : answer(call, p);
}

static emu_rc ims_update_oidc_provider(emu_call *call)
{
    fed_oidc_provider *p;
    emu_rc rc = find(call, &p);
    if (rc)
        return rc;
    const char *client_ids = optional(call, "ClientIds");
    const char *desc = optional(call, "NewDescription");
    const char *limit = optional(call, "IssuanceLimitTime");
    char **ids = NULL;
    size_t n_ids = 0;
    int hours = p->issuance_limit_hours;
    if ((desc && (rc = description_param(call, desc))) ||
        (limit && (rc = limit_param(call, limit, &hours))) ||
        (client_ids &&
         (rc = list_param(call, client_ids, FED_MAX_CLIENT_IDS, fed_oidc_client_id_problem,
                          IMS_ERR_CLIENT_IDS, &ids, &n_ids))))
        return rc;
    /* Checked in full before anything changes. */
    if (ids) {
        fed_free_list(p->client_ids, p->n_client_ids);
        p->client_ids = ids;
        p->n_client_ids = n_ids;
    }
    if (desc) {
        free(p->description);
        p->description = emu_xstrdup(desc);
    }
    p->issuance_limit_hours = hours;
    p->update_ms = emu_clock_now_ms() / 1000 * 1000;
    return answer(call, p);
}

static emu_rc ims_delete_oidc_provider(emu_call *call)
{
    fed_oidc_provider *p;
    emu_rc rc = find(call, &p);
    if (rc)
        return rc;
    fed_oidc_remove(call->world, account_of(call), p->name);
    call->result = cJSON_CreateObject();
    return EMU_OK;
}

/* One kind of identity provider, for the list calls. */
typedef struct provider_kind {
    const char *list, *item; /* "OIDCProviders", "OIDCProvider" */
    size_t (*count)(const world_t *w, const char *account_id);
    const char *(*name_at)(const world_t *w, const char *account_id, size_t i);
    cJSON *(*json_at)(emu_call *call, size_t i);
} provider_kind;

/* MaxItems 1-1000 (default 100); Marker is the name of the first provider
 * of the page, as the previous page's answer gave it. */
static emu_rc list_providers(emu_call *call, const provider_kind *k)
{
    const char *max_text = optional(call, "MaxItems");
    const char *marker = optional(call, "Marker");
    const char *acct = account_of(call);
    long max = 100;
    if (max_text) {
        char *end;
        max = strtol(max_text, &end, 10);
        if (*end || end == max_text || max < 1 || max > 1000)
            return ims_fail(call, IMS_ERR_MAX_ITEMS, "a whole number 1-1000");
    }
    size_t n = k->count(call->world, acct), i = 0;
    if (marker) {
        while (i < n && strcmp(k->name_at(call->world, acct, i), marker) != 0)
            i++;
        if (i == n)
            return ims_fail(call, IMS_ERR_MARKER, "not a marker of this list");
    }
    cJSON *r = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, k->list), k->item);
    for (long c = 0; i < n && c < max; i++, c++)
        cJSON_AddItemToArray(arr, k->json_at(call, i));
    cJSON_AddBoolToObject(r, "IsTruncated", i < n);
    if (i < n)
        emu_json_add_str_ref(r, "Marker", k->name_at(call->world, acct, i));
    call->result = r;
    return EMU_OK;
}

static const char *oidc_name_at(const world_t *w, const char *account_id, size_t i)
{
    return fed_oidc_at(w, account_id, i)->name;
}

static cJSON *oidc_json_at(emu_call *call, size_t i)
{
    return provider_json(call, fed_oidc_at(call->world, account_of(call), i));
}

static emu_rc ims_list_oidc_providers(emu_call *call)
{
    static const provider_kind k = {"OIDCProviders", "OIDCProvider", fed_oidc_count, oidc_name_at,
                                    oidc_json_at};
    return list_providers(call, &k);
}

/* --- SAML providers (CreateSAMLProvider: SAMLProviderName,
 * EncodedSAMLMetadataDocument, Description; UpdateSAMLProvider:
 * SAMLProviderName, NewEncodedSAMLMetadataDocument, NewDescription; answers
 * {"SAMLProvider": {Arn, SAMLProviderName, Description,
 * EncodedSAMLMetadataDocument, CreateDate, UpdateDate}}) ------------------- */

static cJSON *saml_json(emu_call *call, const fed_saml_provider *p)
{
    cJSON *o = cJSON_CreateObject();
    emu_json_add_str_ref(o, "Arn",
                         emu_arena_concat(call->arena, "acs:ram::", account_of(call),
                                          ":saml-provider/", p->name, NULL));
    emu_json_add_str_ref(o, "SAMLProviderName", p->name);
    emu_json_add_str_ref(o, "Description", p->description ? p->description : "");
    emu_json_add_str_ref(o, "EncodedSAMLMetadataDocument", p->metadata);
    emu_json_add_str_ref(o, "CreateDate", date(call, p->create_ms));
    emu_json_add_str_ref(o, "UpdateDate", date(call, p->update_ms));
    return o;
}

static emu_rc saml_answer(emu_call *call, const fed_saml_provider *p)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "SAMLProvider", saml_json(call, p));
    call->result = r;
    return EMU_OK;
}

static emu_rc ims_create_saml_provider(emu_call *call)
{
    const char *name, *md, *why;
    emu_rc rc;
    if ((rc = emu_rpc_require(call, "SAMLProviderName", &name)) ||
        (rc = emu_rpc_require(call, "EncodedSAMLMetadataDocument", &md)))
        return rc;
    const char *desc = optional(call, "Description");
    if ((why = fed_oidc_name_problem(name)))
        return ims_fail(call, IMS_ERR_SAML_NAME, why);
    if (desc && (rc = description_param(call, desc)))
        return rc;
    if (fed_saml_find(call->world, account_of(call), name))
        return ims_fail(call, IMS_ERR_SAML_EXISTS, NULL);
    fed_saml_provider *p = emu_xcalloc(1, sizeof *p);
    if ((why = fed_saml_metadata_read(p, md))) {
        fed_saml_provider_free(p);
        return ims_fail(call, IMS_ERR_SAML_METADATA, why);
    }
    p->name = emu_xstrdup(name);
    p->description = desc ? emu_xstrdup(desc) : NULL;
    p->create_ms = p->update_ms = emu_clock_now_ms() / 1000 * 1000;
    if (fed_saml_add(call->world, account_of(call), p) != EMU_OK) {
        fed_saml_provider_free(p);
        return ims_fail(call, IMS_ERR_SAML_LIMIT, NULL);
    }
    return saml_answer(call, p);
}

static emu_rc saml_find(emu_call *call, fed_saml_provider **p)
{
    const char *name;
    emu_rc rc = emu_rpc_require(call, "SAMLProviderName", &name);
    if (rc)
        return rc;
    *p = fed_saml_find(call->world, account_of(call), name);
    return *p ? EMU_OK : ims_fail(call, IMS_ERR_SAML_NOT_EXIST, NULL);
}

static emu_rc ims_get_saml_provider(emu_call *call)
{
    fed_saml_provider *p;
    emu_rc rc = saml_find(call, &p);
    return rc ? rc : saml_answer(call, p);
}

static emu_rc ims_update_saml_provider(emu_call *call)
{
    fed_saml_provider *p;
    emu_rc rc = saml_find(call, &p);
    if (rc)
        return rc;
    const char *md = optional(call, "NewEncodedSAMLMetadataDocument");
    const char *desc = optional(call, "NewDescription");
    const char *why;
    if (desc && (rc = description_param(call, desc)))
        return rc;
    if (md && (why = fed_saml_metadata_read(p, md))) /* changes p only when valid */
        return ims_fail(call, IMS_ERR_SAML_METADATA, why);
    if (desc) {
        free(p->description);
        p->description = emu_xstrdup(desc);
    }
    p->update_ms = emu_clock_now_ms() / 1000 * 1000;
    return saml_answer(call, p);
}

static emu_rc ims_delete_saml_provider(emu_call *call)
{
    fed_saml_provider *p;
    emu_rc rc = saml_find(call, &p);
    if (rc)
        return rc;
    fed_saml_remove(call->world, account_of(call), p->name);
    call->result = cJSON_CreateObject();
    return EMU_OK;
}

static const char *saml_name_at(const world_t *w, const char *account_id, size_t i)
{
    return fed_saml_at(w, account_id, i)->name;
}

static cJSON *saml_json_at(emu_call *call, size_t i)
{
    return saml_json(call, fed_saml_at(call->world, account_of(call), i));
}

static emu_rc ims_list_saml_providers(emu_call *call)
{
    static const provider_kind k = {"SAMLProviders", "SAMLProvider", fed_saml_count, saml_name_at,
                                    saml_json_at};
    return list_providers(call, &k);
}

static const emu_action ims_actions[] = {
#define IMS_ACTION(name, handler, policy_action, flags) {#name, handler, policy_action, flags},
#include "ims_actions.def"
#undef IMS_ACTION
};

const emu_service emu_ims_service = {
    .name = "ims",
    .decode = emu_rpc_decode,
    .actions = ims_actions,
    .n_actions = sizeof ims_actions / sizeof ims_actions[0],
    .authenticate = emu_rpc_authenticate,
    .authorize = emu_authz_phase,
    .resource = ims_resource,
    .unknown_action = emu_rpc_unknown_action,
    .render_ok = emu_rpc_render_ok,
    .render_err = emu_rpc_render_err,
};
