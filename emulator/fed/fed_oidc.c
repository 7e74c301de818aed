/* OIDC providers as world state: the "OIDCProviders" section of an account
 * (load, save, clone, free), the lookups IMS and STS use, and the checks of
 * their fields.
 *
 * World-file shape (the IMS GetOIDCProvider fields; ClientIds and
 * Fingerprints as arrays or as IMS's comma-separated strings):
 *   "OIDCProviders": [{
 *     "OIDCProviderName": "github", "Description": "…",
 *     "IssuerUrl": "https://token.actions.githubusercontent.com",
 *     "ClientIds": ["sts.aliyuncs.com"], "Fingerprints": ["6938fd4d…"],
 *     "IssuanceLimitTime": 12,
 *     "CreateDate": "2026-01-01T00:00:00Z", "UpdateDate": "…",
 *     "JWKS": {"keys": [{"kty": "RSA", "kid": "…", "n": "…", "e": "AQAB"}]}}]
 * "JWKS" is acsemu's own field: the cloud fetches the issuer's keys from
 * its discovery document, acsemu never goes online, so a provider verifies
 * tokens with the keys given here and with the key acsemu holds for its
 * IssuerUrl as a test issuer (fed_key.c). Fingerprints are kept and shown
 * but check nothing: there is no TLS connection to the issuer to compare
 * them with [acsemu departure]. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/str.h"
#include "fed_set.h"

typedef fed_set oidc_set;
_Static_assert(offsetof(fed_oidc_provider, name) == 0, "fed_set reads the name first");

static int section_index = -1;

void fed_register(void)
{
    world_register_section(&fed_oidc_section);
    section_index = world_section_index(fed_oidc_section.name);
    world_register_section(&fed_saml_section);
}

/* --- field checks ------------------------------------------------------------ */

const char *fed_oidc_name_problem(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 128)
        return "must be 1-128 characters";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-'))
            return "may contain only letters, digits, '.' and '-'";
    }
    return NULL;
}

const char *fed_oidc_issuer_problem(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 255)
        return "must be at most 255 characters";
    /* [inferred] The cloud requires https (it fetches the keys over TLS);
     * acsemu also takes http:// for its own issuer on a plain port. */
    if (!emu_str_starts(emu_str_c(s), "https://") && !emu_str_starts(emu_str_c(s), "http://"))
        return "must start with https://";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return "must not contain blanks or control characters";
    return NULL;
}

const char *fed_oidc_client_id_problem(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 128)
        return "must be 1-128 characters";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == ',' || (unsigned char)s[i] >= 0x7f)
            return "must be printable ASCII without ',' or blanks";
    return NULL;
}

const char *fed_oidc_fingerprint_problem(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n != 40)
        return "must be 40 hexadecimal digits (the SHA-1 of the issuer's certificate)";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return "must be 40 hexadecimal digits (the SHA-1 of the issuer's certificate)";
    }
    return NULL;
}

int fed_split_list(const char *s, char ***out, size_t cap)
{
    *out = NULL;
    size_t n = 0;
    char **v = emu_xcalloc(cap ? cap : 1, sizeof *v);
    const char *p = s;
    while (p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || n == cap) {
            fed_free_list(v, n);
            return -1;
        }
        v[n] = emu_xcalloc(1, len + 1);
        memcpy(v[n++], p, len);
        p = comma ? comma + 1 : NULL;
    }
    *out = v;
    return (int)n;
}

void fed_free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* --- lookups ----------------------------------------------------------------- */

static oidc_set *set_of(const world_t *w, const char *account_id, bool create)
{
    return fed_set_of(w, &section_index, fed_oidc_section.name, account_id, create);
}

static void provider_free(void *p)
{
    fed_oidc_provider_free(p);
}

size_t fed_oidc_count(const world_t *w, const char *account_id)
{
    oidc_set *s = set_of(w, account_id, false);
    return s ? s->n : 0;
}

fed_oidc_provider *fed_oidc_at(const world_t *w, const char *account_id, size_t i)
{
    oidc_set *s = set_of(w, account_id, false);
    return s && i < s->n ? s->v[i] : NULL;
}

fed_oidc_provider *fed_oidc_find(const world_t *w, const char *account_id, const char *name)
{
    return fed_set_find(set_of(w, account_id, false), name);
}

emu_rc fed_oidc_add(world_t *w, const char *account_id, fed_oidc_provider *p)
{
    return fed_set_add(set_of(w, account_id, true), p);
}

bool fed_oidc_remove(world_t *w, const char *account_id, const char *name)
{
    return fed_set_remove(set_of(w, account_id, false), name, provider_free);
}

void fed_oidc_provider_free(fed_oidc_provider *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->description);
    free(p->issuer_url);
    fed_free_list(p->client_ids, p->n_client_ids);
    fed_free_list(p->fingerprints, p->n_fingerprints);
    for (size_t i = 0; i < p->n_keys; i++)
        fed_key_free(p->keys[i]);
    free(p->keys);
    free(p);
}

size_t fed_oidc_keys(const fed_oidc_provider *p, const fed_key **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_keys && n < cap; i++)
        out[n++] = p->keys[i];
    const fed_key *k = fed_issuer_key(p->issuer_url, false, NULL);
    if (k && n < cap)
        out[n++] = k;
    return n;
}

/* --- section hooks ----------------------------------------------------------- */

static void set_free(void *state)
{
    oidc_set *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        fed_oidc_provider_free(s->v[i]);
    free(s->v);
    free(s);
}

static char **list_dup(char *const *v, size_t n)
{
    char **d = emu_xcalloc(n ? n : 1, sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = emu_xstrdup(v[i]);
    return d;
}

static void *set_clone(const void *state)
{
    const oidc_set *s = state;
    if (!s)
        return NULL;
    oidc_set *c = emu_xcalloc(1, sizeof *c);
    c->v = emu_xcalloc(s->n ? s->n : 1, sizeof *c->v);
    for (size_t i = 0; i < s->n; i++) {
        const fed_oidc_provider *p = s->v[i];
        fed_oidc_provider *q = emu_xcalloc(1, sizeof *q);
        *q = *p;
        q->name = emu_xstrdup(p->name);
        q->description = p->description ? emu_xstrdup(p->description) : NULL;
        q->issuer_url = emu_xstrdup(p->issuer_url);
        q->client_ids = list_dup(p->client_ids, p->n_client_ids);
        q->fingerprints = list_dup(p->fingerprints, p->n_fingerprints);
        q->keys = emu_xcalloc(p->n_keys ? p->n_keys : 1, sizeof *q->keys);
        for (size_t k = 0; k < p->n_keys; k++) {
            q->keys[k] = p->keys[k];
            fed_key_ref(q->keys[k]); /* keys never change: share them */
        }
        c->v[c->n++] = q;
    }
    return c;
}

static void add_date(cJSON *o, const char *key, int64_t ms)
{
    char d[21];
    emu_time_iso(ms, d);
    cJSON_AddStringToObject(o, key, d);
}

static cJSON *str_array(char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static cJSON *set_save(const void *state)
{
    const oidc_set *s = state;
    if (!s || !s->n)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < s->n; i++) {
        const fed_oidc_provider *p = s->v[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "OIDCProviderName", p->name);
        if (p->description)
            cJSON_AddStringToObject(o, "Description", p->description);
        cJSON_AddStringToObject(o, "IssuerUrl", p->issuer_url);
        cJSON_AddItemToObject(o, "ClientIds", str_array(p->client_ids, p->n_client_ids));
        cJSON_AddItemToObject(o, "Fingerprints", str_array(p->fingerprints, p->n_fingerprints));
        cJSON_AddNumberToObject(o, "IssuanceLimitTime", p->issuance_limit_hours);
        add_date(o, "CreateDate", p->create_ms);
        add_date(o, "UpdateDate", p->update_ms);
        if (p->n_keys) {
            cJSON *jwks = cJSON_AddObjectToObject(o, "JWKS");
            cJSON *keys = cJSON_AddArrayToObject(jwks, "keys");
            for (size_t k = 0; k < p->n_keys; k++)
                cJSON_AddItemToArray(keys, fed_key_jwk(p->keys[k]));
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static size_t set_stats(const void *state, world_stat *out, size_t cap)
{
    const oidc_set *s = state;
    if (cap < 1)
        return 0;
    out[0] = (world_stat){"oidc_providers", s ? (double)s->n : 0};
    return 1;
}

/* --- load -------------------------------------------------------------------- */

/* ClientIds / Fingerprints: an array of strings or one comma-separated
 * string; every entry checked with `problem`. */
static emu_rc load_list(const cJSON *o, const char *key, const char *where, size_t cap,
                        const char *(*problem)(const char *), char ***out, size_t *n, emu_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = emu_xcalloc(1, sizeof **out);
    *n = 0;
    if (!v)
        return EMU_OK;
    if (cJSON_IsString(v)) {
        free(*out);
        int k = *v->valuestring ? fed_split_list(v->valuestring, out, cap) : 0;
        if (k < 0) {
            *out = emu_xcalloc(1, sizeof **out);
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.%s: at most %zu comma-separated entries, none empty", where, key,
                               cap);
        }
        if (!*out)
            *out = emu_xcalloc(1, sizeof **out);
        *n = (size_t)k;
    } else if (cJSON_IsArray(v)) {
        if ((size_t)cJSON_GetArraySize(v) > cap)
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: at most %zu entries", where, key,
                               cap);
        free(*out);
        *out = emu_xcalloc(cap ? cap : 1, sizeof **out);
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            if (!cJSON_IsString(e))
                return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s[%zu]: must be a string", where,
                                   key, *n);
            (*out)[(*n)++] = emu_xstrdup(e->valuestring);
        }
    } else {
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.%s: must be an array of strings or a comma-separated string", where,
                           key);
    }
    for (size_t i = 0; i < *n; i++) {
        const char *why = problem((*out)[i]);
        if (why)
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s[%zu]: \"%.64s\" %s", where, key, i,
                               (*out)[i], why);
    }
    return EMU_OK;
}

static emu_rc load_one(const cJSON *o, const char *where, fed_oidc_provider *p, emu_err *err)
{
    static const char *const known[] = {
        "OIDCProviderName",  "Description", "IssuerUrl",  "ClientIds", "Fingerprints",
        "IssuanceLimitTime", "CreateDate",  "UpdateDate", "Arn",       "GmtCreate",
        "GmtModified",       "JWKS",        NULL};
    if (!cJSON_IsObject(o))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: must be an object", where);
    const cJSON *f;
    cJSON_ArrayForEach(f, o)
    {
        size_t k = 0;
        while (known[k] && strcmp(known[k], f->string) != 0)
            k++;
        if (!known[k])
            return emu_err_set(
                err, EMU_E_INVALID, NULL,
                "%s.%s: unknown field (known: OIDCProviderName, IssuerUrl, ClientIds, "
                "Fingerprints, Description, IssuanceLimitTime, CreateDate, "
                "UpdateDate, JWKS)",
                where, f->string);
    }
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "OIDCProviderName"));
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "IssuerUrl"));
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "Description"));
    const char *why;
    if ((why = fed_oidc_name_problem(name)))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.OIDCProviderName: %s", where, why);
    p->name = emu_xstrdup(name);
    if ((why = fed_oidc_issuer_problem(url)))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.IssuerUrl: %s", where, why);
    p->issuer_url = emu_xstrdup(url);
    if (desc)
        p->description = emu_xstrdup(desc);
    emu_rc rc = load_list(o, "ClientIds", where, FED_MAX_CLIENT_IDS, fed_oidc_client_id_problem,
                          &p->client_ids, &p->n_client_ids, err);
    if (rc)
        return rc;
    rc = load_list(o, "Fingerprints", where, FED_MAX_FINGERPRINTS, fed_oidc_fingerprint_problem,
                   &p->fingerprints, &p->n_fingerprints, err);
    if (rc)
        return rc;
    if (!p->n_client_ids)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.ClientIds: at least one client id (the audience tokens carry)",
                           where);
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(o, "IssuanceLimitTime");
    p->issuance_limit_hours = 12;
    if (lim) {
        if (!cJSON_IsNumber(lim) || lim->valuedouble < 1 || lim->valuedouble > 168 ||
            lim->valuedouble != (int)lim->valuedouble)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.IssuanceLimitTime: hours, a whole number 1-168", where);
        p->issuance_limit_hours = (int)lim->valuedouble;
    }
    p->create_ms = p->update_ms = emu_clock_now_ms() / 1000 * 1000;
    const char *keys[2] = {"CreateDate", "UpdateDate"};
    int64_t *ms[2] = {&p->create_ms, &p->update_ms};
    for (int i = 0; i < 2; i++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
        if (d && (!cJSON_IsString(d) ||
                  !emu_time_parse_iso(d->valuestring, strlen(d->valuestring), false, ms[i])))
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.%s: an ISO 8601 UTC date (2026-01-01T00:00:00Z)", where,
                               keys[i]);
    }
    const cJSON *jwks = cJSON_GetObjectItemCaseSensitive(o, "JWKS");
    if (jwks) {
        char jp[256];
        fed_key *tmp[FED_MAX_KEYS];
        snprintf(jp, sizeof jp, "%s.JWKS", where);
        if ((rc = fed_jwks_read(jwks, jp, tmp, &p->n_keys, err)))
            return rc;
        p->keys = emu_xcalloc(p->n_keys ? p->n_keys : 1, sizeof *p->keys);
        memcpy(p->keys, tmp, p->n_keys * sizeof *tmp);
    }
    return EMU_OK;
}

static emu_rc set_load(const char *account_id, const cJSON *j, const char *jpath,
                       const char *base_dir, void **state, emu_err *err)
{
    (void)account_id;
    (void)base_dir;
    *state = NULL;
    if (!j)
        return EMU_OK;
    char where[256];
    snprintf(where, sizeof where, "%s.OIDCProviders", jpath);
    if (!cJSON_IsArray(j))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: must be an array of providers", where);
    if (cJSON_GetArraySize(j) > FED_MAX_PROVIDERS)
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: at most %d providers per account", where,
                           FED_MAX_PROVIDERS);
    oidc_set *s = emu_xcalloc(1, sizeof *s);
    s->v = emu_xcalloc((size_t)cJSON_GetArraySize(j) + 1, sizeof *s->v);
    const cJSON *o;
    size_t i = 0;
    cJSON_ArrayForEach(o, j)
    {
        char w[300];
        snprintf(w, sizeof w, "%s[%zu]", where, i++);
        fed_oidc_provider *p = emu_xcalloc(1, sizeof *p);
        emu_rc rc = load_one(o, w, p, err);
        if (rc == EMU_OK && fed_set_find(s, p->name))
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.OIDCProviderName: \"%s\" is already used by another provider", w,
                             p->name);
        if (rc) {
            fed_oidc_provider_free(p);
            set_free(s);
            return rc;
        }
        s->v[s->n++] = p;
    }
    *state = s;
    return EMU_OK;
}

const world_section fed_oidc_section = {
    .name = "OIDCProviders",
    .load = set_load,
    .save = set_save,
    .clone = set_clone,
    .free = set_free,
    .stats = set_stats,
};
