/* World ownership, lookups and the AccessKeyId index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/crypto.h"
#include "emu/str.h"
#include "world_int.h"

const world_section *world__sections[WORLD_MAX_SECTIONS];
int world__n_sections;

void world_register_section(const world_section *s)
{
    for (int i = 0; i < world__n_sections; i++)
        if (world__sections[i] == s)
            return;
    if (world__n_sections < WORLD_MAX_SECTIONS)
        world__sections[world__n_sections++] = s;
}

int world_section_index(const char *name)
{
    for (int i = 0; i < world__n_sections; i++)
        if (strcmp(world__sections[i]->name, name) == 0)
            return i;
    return -1;
}

char *world__dup(const char *s)
{
    return s ? emu_xstrdup(s) : NULL;
}

static void refs_free(world_policy_ref *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i].name);
    free(r);
}

static void keys_free(world_access_key *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(k[i].id);
        /* Secrets are wiped, not just freed: the process may dump core. */
        if (k[i].secret)
            memset(k[i].secret, 0, strlen(k[i].secret));
        free(k[i].secret);
    }
    free(k);
}

void world__account_free(world_account *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_users; i++) {
        world_user *u = a->users[i];
        free(u->name);
        free(u->id);
        free(u->display_name);
        free(u->email);
        free(u->mobile_phone);
        free(u->comments);
        keys_free(u->keys, u->n_keys);
        refs_free(u->policies, u->n_policies);
        free(u);
    }
    free(a->users);
    for (size_t i = 0; i < a->n_groups; i++) {
        world_group *g = a->groups[i];
        free(g->name);
        free(g->id);
        free(g->comments);
        refs_free(g->policies, g->n_policies);
        for (size_t k = 0; k < g->n_members; k++)
            free(g->members[k]);
        free(g->members);
        free(g);
    }
    free(a->groups);
    for (size_t i = 0; i < a->n_policies; i++) {
        world_policy *p = a->policies[i];
        free(p->name);
        free(p->description);
        for (size_t v = 0; v < p->n_versions; v++) {
            free(p->versions[v].id);
            free(p->versions[v].document);
        }
        free(p->versions);
        free(p);
    }
    free(a->policies);
    for (size_t i = 0; i < a->n_roles; i++) {
        world_role *r = a->roles[i];
        free(r->name);
        free(r->id);
        free(r->description);
        free(r->trust_document);
        refs_free(r->policies, r->n_policies);
        free(r);
    }
    free(a->roles);
    for (size_t i = 0; i < a->n_service_creds; i++) {
        world_service_cred *s = &a->service_creds[i];
        free(s->service);
        free(s->id);
        if (s->secret)
            memset(s->secret, 0, strlen(s->secret));
        free(s->secret);
    }
    free(a->service_creds);
    keys_free(a->keys, a->n_keys);
    for (int i = 0; i < world__n_sections; i++)
        if (a->sections[i] && world__sections[i]->free)
            world__sections[i]->free(a->sections[i]);
    free(a->id);
    free(a->alias);
    free(a);
}

void world_free(world_t *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_accounts; i++)
        world__account_free(w->accounts[i]);
    free(w->accounts);
    free(w->keys);
    free(w->region);
    free(w->base_dir);
    free(w);
}

const char *world_region(const world_t *w)
{
    return w->region;
}

void world_set_region(world_t *w, const char *region)
{
    free(w->region);
    w->region = emu_xstrdup(region);
}

const char *world_base_dir(const world_t *w)
{
    return w->base_dir;
}

size_t world_account_count(const world_t *w)
{
    return w->n_accounts;
}

world_account *world_account_at(const world_t *w, size_t i)
{
    return i < w->n_accounts ? w->accounts[i] : NULL;
}

world_account *world_account_find(const world_t *w, const char *id)
{
    for (size_t i = 0; i < w->n_accounts; i++)
        if (strcmp(w->accounts[i]->id, id) == 0)
            return w->accounts[i];
    return NULL;
}

#define FIND_BY_NAME(fn, type, arr, n)                                                             \
    type *fn(const world_account *a, const char *name)                                             \
    {                                                                                              \
        for (size_t i = 0; i < a->n; i++)                                                          \
            if (emu_strcasecmp(a->arr[i]->name, name) == 0)                                        \
                return a->arr[i];                                                                  \
        return NULL;                                                                               \
    }

FIND_BY_NAME(world_user_find, world_user, users, n_users)
FIND_BY_NAME(world_group_find, world_group, groups, n_groups)
FIND_BY_NAME(world_policy_find, world_policy, policies, n_policies)
FIND_BY_NAME(world_role_find, world_role, roles, n_roles)

/* FNV-1a: the key index holds a few hundred entries at most. */
static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void index_put(world_t *w, const char *id, const world_key_ref *ref)
{
    size_t mask = w->keys_cap - 1;
    size_t i = hash(id, strlen(id)) & mask;
    while (w->keys[i].id)
        i = (i + 1) & mask;
    w->keys[i].id = id;
    w->keys[i].ref = *ref;
}

void world_reindex(world_t *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->n_accounts; i++) {
        world_account *a = w->accounts[i];
        n += a->n_keys + a->n_service_creds;
        for (size_t u = 0; u < a->n_users; u++)
            n += a->users[u]->n_keys;
    }
    size_t cap = 16;
    while (cap < n * 2 + 1)
        cap *= 2;
    free(w->keys);
    w->keys = emu_xcalloc(cap, sizeof *w->keys);
    w->keys_cap = cap;
    for (size_t i = 0; i < w->n_accounts; i++) {
        world_account *a = w->accounts[i];
        for (size_t k = 0; k < a->n_keys; k++) {
            world_key_ref r = {WORLD_KEY_ROOT, a, NULL, NULL, a->keys[k].secret, a->keys[k].active};
            index_put(w, a->keys[k].id, &r);
        }
        for (size_t u = 0; u < a->n_users; u++) {
            world_user *usr = a->users[u];
            for (size_t k = 0; k < usr->n_keys; k++) {
                world_key_ref r = {WORLD_KEY_USER,     a, usr, NULL, usr->keys[k].secret,
                                   usr->keys[k].active};
                index_put(w, usr->keys[k].id, &r);
            }
        }
        for (size_t s = 0; s < a->n_service_creds; s++) {
            world_key_ref r = {WORLD_KEY_SERVICE,          a,   NULL, &a->service_creds[s],
                               a->service_creds[s].secret, true};
            index_put(w, a->service_creds[s].id, &r);
        }
    }
}

bool world_key_find(const world_t *w, const char *id, size_t id_len, world_key_ref *out)
{
    if (!w->keys_cap)
        return false;
    size_t mask = w->keys_cap - 1;
    size_t i = hash(id, id_len) & mask;
    while (w->keys[i].id) {
        if (strlen(w->keys[i].id) == id_len && memcmp(w->keys[i].id, id, id_len) == 0) {
            *out = w->keys[i].ref;
            return true;
        }
        i = (i + 1) & mask;
    }
    return false;
}

void world_make_id(const char *account, const char *kind, const char *name, size_t digits,
                   char *out)
{
    uint8_t h[EMU_SHA256_LEN];
    char buf[512];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s:%s:", account, kind);
    /* Names compare case-insensitively, so the id does too. */
    for (const char *p = name; *p && n < sizeof buf - 1; p++)
        buf[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    emu_sha256(buf, n, h);
    for (size_t i = 0; i < digits; i++) {
        unsigned v = h[i % EMU_SHA256_LEN] + (unsigned)(i / EMU_SHA256_LEN) * 7;
        out[i] = (char)('0' + (i == 0 ? 1 + v % 9 : v % 10));
    }
    out[digits] = '\0';
}

void world_stats(const world_t *w, cJSON *obj)
{
    size_t users = 0, roles = 0, policies = 0, groups = 0;
    for (size_t i = 0; i < w->n_accounts; i++) {
        users += w->accounts[i]->n_users;
        roles += w->accounts[i]->n_roles;
        policies += w->accounts[i]->n_policies;
        groups += w->accounts[i]->n_groups;
    }
    cJSON_AddNumberToObject(obj, "accounts", (double)w->n_accounts);
    cJSON_AddNumberToObject(obj, "users", (double)users);
    cJSON_AddNumberToObject(obj, "groups", (double)groups);
    cJSON_AddNumberToObject(obj, "roles", (double)roles);
    cJSON_AddNumberToObject(obj, "policies", (double)policies);
    /* Each account's section reports its own numbers; sum them. */
    for (int s = 0; s < world__n_sections; s++) {
        if (!world__sections[s]->stats)
            continue;
        for (size_t i = 0; i < w->n_accounts; i++) {
            if (!w->accounts[i]->sections[s])
                continue;
            cJSON *tmp = cJSON_CreateObject();
            world__sections[s]->stats(w->accounts[i]->sections[s], tmp);
            for (cJSON *c = tmp->child; c; c = c->next) {
                if (!cJSON_IsNumber(c))
                    continue;
                cJSON *have = cJSON_GetObjectItemCaseSensitive(obj, c->string);
                if (have)
                    cJSON_SetNumberValue(have, have->valuedouble + c->valuedouble);
                else
                    cJSON_AddNumberToObject(obj, c->string, c->valuedouble);
            }
            cJSON_Delete(tmp);
        }
    }
}
