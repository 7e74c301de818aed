/* World ownership, lookups and the AccessKeyId index. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu/arena.h"
#include "emu/limits.h"
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

void world_user_free(world_user *u)
{
    if (!u)
        return;
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

void world_group_free(world_group *g)
{
    if (!g)
        return;
    free(g->name);
    free(g->id);
    free(g->comments);
    refs_free(g->policies, g->n_policies);
    for (size_t k = 0; k < g->n_members; k++)
        free(g->members[k]);
    free(g->members);
    free(g);
}

void world_policy_free(world_policy *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->description);
    for (size_t v = 0; v < p->n_versions; v++) {
        free(p->versions[v].id);
        free(p->versions[v].document);
        policy_doc_free(p->versions[v].compiled);
    }
    free(p->versions);
    world_tags_free(&p->tags);
    free(p);
}

void world_role_free(world_role *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->id);
    free(r->description);
    free(r->trust_document);
    policy_doc_free(r->trust);
    refs_free(r->policies, r->n_policies);
    world_tags_free(&r->tags);
    free(r);
}

/* --- tags ------------------------------------------------------------------------------ */

const world_tag *world_tags_find(const world_tags *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].key, key) == 0)
            return &t->v[i];
    return NULL;
}

bool world_tags_set(world_tags *t, const char *key, const char *value)
{
    world_tag *have = (world_tag *)(uintptr_t)world_tags_find(t, key);
    if (have) {
        free(have->value);
        have->value = emu_xstrdup(value);
        return true;
    }
    if (t->n >= EMU_MAX_RAM_TAGS)
        return false;
    t->v = emu_xrealloc(t->v, (t->n + 1) * sizeof *t->v);
    world_tag *n = &t->v[t->n++];
    n->key = emu_xstrdup(key);
    n->value = emu_xstrdup(value);
    size_t kl = strlen(key);
    n->ckey = emu_xmalloc(sizeof "acs:ResourceTag/" + kl);
    memcpy(n->ckey, "acs:ResourceTag/", sizeof "acs:ResourceTag/" - 1);
    memcpy(n->ckey + sizeof "acs:ResourceTag/" - 1, key, kl + 1);
    return true;
}

static void tag_free(world_tag *g)
{
    free(g->key);
    free(g->value);
    free(g->ckey);
}

bool world_tags_remove(world_tags *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].key, key) == 0) {
            tag_free(&t->v[i]);
            memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
            t->n--;
            return true;
        }
    return false;
}

void world_tags_free(world_tags *t)
{
    for (size_t i = 0; i < t->n; i++)
        tag_free(&t->v[i]);
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

/* Lengths in characters (UTF-8 code points), as the API counts them. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

world_tag_check world_tag_validate(const char *key, const char *value)
{
    if (!key || !*key)
        return WORLD_TAG_KEY_EMPTY;
    if (chars(key) > 128)
        return WORLD_TAG_KEY_LONG;
    if (strncasecmp(key, "aliyun", 6) == 0 || strncasecmp(key, "acs:", 4) == 0)
        return WORLD_TAG_KEY_RESERVED;
    if (strstr(key, "http://") || strstr(key, "https://"))
        return WORLD_TAG_KEY_URL;
    if (value && chars(value) > 256)
        return WORLD_TAG_VALUE_LONG;
    if (value && (strstr(value, "http://") || strstr(value, "https://")))
        return WORLD_TAG_VALUE_URL;
    return WORLD_TAG_OK;
}

/* "acs:ram:<region>:<uid>:<kind>/<name>": the kind is "role" or "policy";
 * System policies ("acs:ram::*:policy/...") have no account and no tags. */
size_t world_ram_resource_tags(const world_t *w, const char *arn, policy_ckey *out, size_t cap)
{
    if (!w || !arn || strncmp(arn, "acs:ram:", 8) != 0)
        return 0;
    const char *region_end = strchr(arn + 8, ':');
    if (!region_end)
        return 0;
    const char *uid = region_end + 1, *uid_end = strchr(uid, ':');
    char acct[32];
    if (!uid_end || uid_end == uid || (size_t)(uid_end - uid) >= sizeof acct)
        return 0;
    memcpy(acct, uid, (size_t)(uid_end - uid));
    acct[uid_end - uid] = '\0';
    const char *res = uid_end + 1;
    const world_tags *tags = NULL;
    const world_account *a = world_account_find(w, acct);
    if (!a)
        return 0;
    if (strncmp(res, "role/", 5) == 0) {
        const world_role *r = world_role_find(a, res + 5);
        tags = r ? &r->tags : NULL;
    } else if (strncmp(res, "policy/", 7) == 0) {
        const world_policy *p = world_policy_find(a, res + 7);
        tags = p ? &p->tags : NULL;
    }
    size_t n = 0;
    for (size_t i = 0; tags && i < tags->n && n < cap; i++)
        out[n++] = (policy_ckey){tags->v[i].ckey, (const char *const *)&tags->v[i].value, 1};
    return n;
}

void world__account_free(world_account *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_users; i++)
        world_user_free(a->users[i]);
    free(a->users);
    for (size_t i = 0; i < a->n_groups; i++)
        world_group_free(a->groups[i]);
    free(a->groups);
    for (size_t i = 0; i < a->n_policies; i++)
        world_policy_free(a->policies[i]);
    free(a->policies);
    for (size_t i = 0; i < a->n_roles; i++)
        world_role_free(a->roles[i]);
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
    for (size_t i = 0; i < w->n_sessions; i++)
        world__session_free(w->sessions[i]);
    free(w->sessions);
    free(w->session_by_key);
    free(w->session_by_token);
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
    char buf[512];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s:%s:", account, kind);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    /* Names compare case-insensitively, so the id does too. */
    for (const char *p = name; *p && n < sizeof buf - 1; p++)
        buf[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    /* Ids need to be stable, not secret: FNV-1a, then splitmix64 per digit
     * (no OpenSSL at start-up). */
    uint64_t h = hash(buf, n);
    for (size_t i = 0; i < digits; i++) {
        uint64_t z = (h += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        out[i] = (char)('0' + (i == 0 ? 1 + z % 9 : z % 10));
    }
    out[digits] = '\0';
}

static size_t stat_add(world_stat *out, size_t n, size_t cap, const char *name, double v)
{
    /* Names are static strings, so the same counter of another account
     * is almost always the same pointer: look for that first. */
    for (size_t i = 0; i < n; i++) {
        if (out[i].name == name) {
            out[i].value += v;
            return n;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (out[i].name[0] == name[0] && strcmp(out[i].name, name) == 0) {
            out[i].value += v;
            return n;
        }
    }
    if (n < cap) {
        out[n].name = name;
        out[n].value = v;
        n++;
    }
    return n;
}

size_t world_stats(const world_t *w, world_stat *out, size_t cap)
{
    size_t users = 0, roles = 0, policies = 0, groups = 0, n = 0;
    for (size_t i = 0; i < w->n_accounts; i++) {
        users += w->accounts[i]->n_users;
        roles += w->accounts[i]->n_roles;
        policies += w->accounts[i]->n_policies;
        groups += w->accounts[i]->n_groups;
    }
    const world_stat own[] = {
        {"accounts", (double)w->n_accounts}, {"users", (double)users},
        {"groups", (double)groups},          {"roles", (double)roles},
        {"policies", (double)policies},      {"sessions", (double)w->n_sessions},
    };
    for (; n < sizeof own / sizeof own[0] && n < cap; n++)
        out[n] = own[n];
    /* Each account's section reports its own numbers; sum them by name. */
    for (int s = 0; s < world__n_sections; s++) {
        if (!world__sections[s]->stats)
            continue;
        for (size_t i = 0; i < w->n_accounts; i++) {
            world_stat tmp[WORLD_MAX_STATS];
            if (!w->accounts[i]->sections[s])
                continue;
            size_t k = world__sections[s]->stats(w->accounts[i]->sections[s], tmp, WORLD_MAX_STATS);
            for (size_t t = 0; t < k; t++)
                n = stat_add(out, n, cap, tmp[t].name, tmp[t].value);
        }
    }
    return n;
}
