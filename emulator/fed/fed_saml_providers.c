/* SAML providers as world state: the "SAMLProviders" section of an account
 * (load, save, clone, free) and the lookups IMS and STS use. Field checks
 * and IdP metadata reading are in fed_saml.c; names follow the OIDC
 * providers' rules (fed_oidc_name_problem). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/fed.h"
#include "emu/str.h"
#include "fed_set.h"

typedef fed_set saml_set;
_Static_assert(offsetof(fed_saml_provider, name) == 0, "fed_set reads the name first");

static int section_index = -1;

static saml_set *set_of(const world_t *w, const char *account_id, bool create)
{
    return fed_set_of(w, &section_index, fed_saml_section.name, account_id, create);
}

static void provider_free(void *p)
{
    fed_saml_provider_free(p);
}

size_t fed_saml_count(const world_t *w, const char *account_id)
{
    saml_set *s = set_of(w, account_id, false);
    return s ? s->n : 0;
}

fed_saml_provider *fed_saml_at(const world_t *w, const char *account_id, size_t i)
{
    saml_set *s = set_of(w, account_id, false);
    return s && i < s->n ? s->v[i] : NULL;
}

fed_saml_provider *fed_saml_find(const world_t *w, const char *account_id, const char *name)
{
    return fed_set_find(set_of(w, account_id, false), name);
}

emu_rc fed_saml_add(world_t *w, const char *account_id, fed_saml_provider *p)
{
    return fed_set_add(set_of(w, account_id, true), p);
}

bool fed_saml_remove(world_t *w, const char *account_id, const char *name)
{
    return fed_set_remove(set_of(w, account_id, false), name, provider_free);
}

void fed_saml_provider_free(fed_saml_provider *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->description);
    free(p->metadata);
    free(p->entity_id);
    for (size_t i = 0; i < p->n_keys; i++)
        fed_key_free(p->keys[i]);
    free(p->keys);
    free(p);
}

static void set_free(void *state)
{
    saml_set *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        fed_saml_provider_free(s->v[i]);
    free(s->v);
    free(s);
}

static void *set_clone(const void *state)
{
    const saml_set *s = state;
    if (!s)
        return NULL;
    saml_set *c = emu_xcalloc(1, sizeof *c);
    c->v = emu_xcalloc(s->n ? s->n : 1, sizeof *c->v);
    for (size_t i = 0; i < s->n; i++) {
        const fed_saml_provider *p = s->v[i];
        fed_saml_provider *q = emu_xcalloc(1, sizeof *q);
        *q = *p;
        q->name = emu_xstrdup(p->name);
        q->description = p->description ? emu_xstrdup(p->description) : NULL;
        q->metadata = emu_xstrdup(p->metadata);
        q->entity_id = emu_xstrdup(p->entity_id);
        q->keys = emu_xcalloc(p->n_keys ? p->n_keys : 1, sizeof *q->keys);
        for (size_t k = 0; k < p->n_keys; k++) {
            q->keys[k] = p->keys[k];
            fed_key_ref(q->keys[k]); /* keys never change: share them */
        }
        c->v[c->n++] = q;
    }
    return c;
}

static cJSON *set_save(const void *state)
{
    const saml_set *s = state;
    if (!s || !s->n)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < s->n; i++) {
        const fed_saml_provider *p = s->v[i];
        cJSON *o = cJSON_CreateObject();
        char d[21];
        cJSON_AddStringToObject(o, "SAMLProviderName", p->name);
        if (p->description)
            cJSON_AddStringToObject(o, "Description", p->description);
        cJSON_AddStringToObject(o, "EncodedSAMLMetadataDocument", p->metadata);
        emu_time_iso(p->create_ms, d);
        cJSON_AddStringToObject(o, "CreateDate", d);
        emu_time_iso(p->update_ms, d);
        cJSON_AddStringToObject(o, "UpdateDate", d);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static size_t set_stats(const void *state, world_stat *out, size_t cap)
{
    const saml_set *s = state;
    if (cap < 1)
        return 0;
    out[0] = (world_stat){"saml_providers", s ? (double)s->n : 0};
    return 1;
}

static emu_rc load_one(const cJSON *o, const char *where, fed_saml_provider *p, emu_err *err)
{
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "SAMLProviderName"));
    const char *md =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "EncodedSAMLMetadataDocument"));
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "Description"));
    const char *why;
    if (!cJSON_IsObject(o))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: must be an object", where);
    if ((why = fed_oidc_name_problem(name)))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.SAMLProviderName: %s", where, why);
    p->name = emu_xstrdup(name);
    if (!md)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.EncodedSAMLMetadataDocument: the IdP metadata XML, base64, is "
                           "required",
                           where);
    if ((why = fed_saml_metadata_read(p, md)))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.EncodedSAMLMetadataDocument: %s", where,
                           why);
    if (desc)
        p->description = emu_xstrdup(desc);
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
    if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) > FED_MAX_PROVIDERS)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.SAMLProviders: must be an array of at most %d providers", jpath,
                           FED_MAX_PROVIDERS);
    saml_set *s = emu_xcalloc(1, sizeof *s);
    s->v = emu_xcalloc((size_t)cJSON_GetArraySize(j) + 1, sizeof *s->v);
    const cJSON *o;
    cJSON_ArrayForEach(o, j)
    {
        char w[300];
        snprintf(w, sizeof w, "%s.SAMLProviders[%zu]", jpath, s->n);
        fed_saml_provider *p = emu_xcalloc(1, sizeof *p);
        emu_rc rc = load_one(o, w, p, err);
        if (rc == EMU_OK && fed_set_find(s, p->name))
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.SAMLProviderName: \"%s\" is already used", w, p->name);
        if (rc) {
            fed_saml_provider_free(p);
            set_free(s);
            return rc;
        }
        s->v[s->n++] = p;
    }
    *state = s;
    return EMU_OK;
}

const world_section fed_saml_section = {
    .name = "SAMLProviders",
    .load = set_load,
    .save = set_save,
    .clone = set_clone,
    .free = set_free,
    .stats = set_stats,
};
