/* STS sessions: the token store (rpc-api.md §8.1), with two hash indexes
 * (AccessKeyId, token) over one array, and their world-file form.
 *
 * World-file shape (top-level "Sessions", beside "Accounts"); field names
 * follow AssumeRole's response where one exists:
 *   {"AccessKeyId": "STS.…", "AccessKeySecret": "…", "SecurityToken": "CAIS…",
 *    "AccountId": "12345", "RoleName": "ots-reader", "RoleId": "3…",
 *    "RoleSessionName": "s1", "SourceArn": "acs:ram::56789:user/etl",
 *    "Policy": "{…}", "CreateDate": "…Z", "Expiration": "…Z"}
 * SourceArn, Policy, RoleId and CreateDate are optional. A session whose
 * role no longer exists still loads (export → load must give the same
 * state); authentication refuses it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/clock.h"
#include "emu/str.h"
#include "world_int.h"

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void wipe_free(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

void world__session_free(world_session *s)
{
    if (!s)
        return;
    free(s->access_key_id);
    /* Secrets and tokens are wiped, not just freed (core dumps). */
    wipe_free(s->secret);
    wipe_free(s->token);
    free(s->account_id);
    free(s->role_name);
    free(s->role_id);
    free(s->session_name);
    free(s->source_arn);
    free(s->policy);
    free(s);
}

static void table_put(size_t *t, size_t cap, const char *k, size_t idx)
{
    size_t mask = cap - 1, i = hash(k, strlen(k)) & mask;
    while (t[i])
        i = (i + 1) & mask;
    t[i] = idx + 1;
}

/* Rebuilds both indexes; called after removals and when growing. */
static void reindex(world_t *w, size_t want)
{
    size_t cap = 16;
    while (cap < want * 2 + 1)
        cap *= 2;
    free(w->session_by_key);
    free(w->session_by_token);
    w->session_by_key = emu_xcalloc(cap, sizeof *w->session_by_key);
    w->session_by_token = emu_xcalloc(cap, sizeof *w->session_by_token);
    w->sessions_cap = cap;
    for (size_t i = 0; i < w->n_sessions; i++) {
        table_put(w->session_by_key, cap, w->sessions[i]->access_key_id, i);
        table_put(w->session_by_token, cap, w->sessions[i]->token, i);
    }
}

static const world_session *lookup(const world_t *w, const size_t *t, bool by_token, const char *k,
                                   size_t len)
{
    if (!w->sessions_cap || !k)
        return NULL;
    size_t mask = w->sessions_cap - 1, i = hash(k, len) & mask;
    while (t[i]) {
        const world_session *s = w->sessions[t[i] - 1];
        const char *have = by_token ? s->token : s->access_key_id;
        if (strlen(have) == len && memcmp(have, k, len) == 0)
            return s;
        i = (i + 1) & mask;
    }
    return NULL;
}

const world_session *world_session_find(const world_t *w, const char *access_key_id, size_t len)
{
    return lookup(w, w->session_by_key, false, access_key_id, len);
}

const world_session *world_session_find_token(const world_t *w, const char *token, size_t len)
{
    return lookup(w, w->session_by_token, true, token, len);
}

size_t world_session_count(const world_t *w)
{
    return w->n_sessions;
}

const world_session *world_session_at(const world_t *w, size_t i)
{
    return i < w->n_sessions ? w->sessions[i] : NULL;
}

/* When world_session_expire may drop s: past its expiry, if acsemu minted
 * it; never otherwise (session_min_expire is the least of these). */
static int64_t gc_at(const world_session *s)
{
    return s->collectable ? s->expire_ms : INT64_MAX;
}

emu_rc world_session_add(world_t *w, const world_session *s, const world_session **out,
                         emu_err *err)
{
    world_key_ref ref;

    if (out)
        *out = NULL;
    if (!s->access_key_id || !s->secret || !s->token || !s->account_id || !s->role_name ||
        !s->session_name || !*s->secret || !*s->token)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "a session needs AccessKeyId, AccessKeySecret, SecurityToken, "
                           "AccountId, RoleName and RoleSessionName");
    if (strncmp(s->access_key_id, "STS.", 4) != 0 || !s->access_key_id[4])
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "session AccessKeyId \"%s\" does not start with \"STS.\"",
                           s->access_key_id);
    size_t klen = strlen(s->access_key_id);
    if (world_session_find(w, s->access_key_id, klen) ||
        world_key_find(w, s->access_key_id, klen, &ref))
        return emu_err_set(err, EMU_E_EXISTS, NULL, "AccessKeyId \"%s\" is already in use",
                           s->access_key_id);
    /* Never echo a token into a message. */
    if (world_session_find_token(w, s->token, strlen(s->token)))
        return emu_err_set(err, EMU_E_EXISTS, NULL, "SecurityToken of session %s is already in use",
                           s->access_key_id);

    world_session *c = emu_xcalloc(1, sizeof *c);
    c->access_key_id = emu_xstrdup(s->access_key_id);
    c->secret = emu_xstrdup(s->secret);
    c->token = emu_xstrdup(s->token);
    c->account_id = emu_xstrdup(s->account_id);
    c->role_name = emu_xstrdup(s->role_name);
    c->role_id = world__dup(s->role_id);
    c->session_name = emu_xstrdup(s->session_name);
    c->source_arn = world__dup(s->source_arn);
    c->policy = world__dup(s->policy);
    c->create_ms = s->create_ms;
    c->expire_ms = s->expire_ms;
    c->collectable = s->collectable;
    if (!w->n_sessions || gc_at(c) < w->session_min_expire)
        w->session_min_expire = gc_at(c);
    /* Grow the array by doubling (n is a power of two or zero when full). */
    if ((w->n_sessions & (w->n_sessions - 1)) == 0)
        w->sessions = emu_xrealloc(w->sessions,
                                   (w->n_sessions ? w->n_sessions * 2 : 4) * sizeof *w->sessions);
    w->sessions[w->n_sessions++] = c;
    if (w->n_sessions * 2 + 1 > w->sessions_cap) {
        reindex(w, w->n_sessions * 2);
    } else {
        table_put(w->session_by_key, w->sessions_cap, c->access_key_id, w->n_sessions - 1);
        table_put(w->session_by_token, w->sessions_cap, c->token, w->n_sessions - 1);
    }
    if (out)
        *out = c;
    return EMU_OK;
}

/* Removes the sessions `drop` selects, keeping the order of the others. */
static size_t remove_where(world_t *w, bool (*drop)(const world_session *, const void *),
                           const void *ud)
{
    size_t kept = 0, gone = 0;
    for (size_t i = 0; i < w->n_sessions; i++) {
        if (drop(w->sessions[i], ud)) {
            world__session_free(w->sessions[i]);
            gone++;
        } else {
            if (!kept || gc_at(w->sessions[i]) < w->session_min_expire)
                w->session_min_expire = gc_at(w->sessions[i]);
            w->sessions[kept++] = w->sessions[i];
        }
    }
    w->n_sessions = kept;
    if (gone) {
        /* Keep the array size a power of two for world_session_add. */
        size_t cap = 4;
        while (cap < kept)
            cap *= 2;
        if (kept)
            w->sessions = emu_xrealloc(w->sessions, cap * sizeof *w->sessions);
        reindex(w, kept);
    }
    return gone;
}

static bool expired_before(const world_session *s, const void *ud)
{
    return s->collectable && s->expire_ms < *(const int64_t *)ud;
}

size_t world_session_expire(world_t *w, int64_t before_ms)
{
    /* Called on every AssumeRole: a scan only when something is due. */
    if (!w->n_sessions || w->session_min_expire >= before_ms)
        return 0;
    return remove_where(w, expired_before, &before_ms);
}

typedef struct role_key {
    const char *account_id, *role_name;
} role_key;

static bool of_role(const world_session *s, const void *ud)
{
    const role_key *k = ud;
    return strcmp(s->account_id, k->account_id) == 0 &&
           emu_strcasecmp(s->role_name, k->role_name) == 0;
}

size_t world_session_revoke_role(world_t *w, const char *account_id, const char *role_name)
{
    role_key k = {account_id, role_name};
    return remove_where(w, of_role, &k);
}

/* --- world file ------------------------------------------------------------ */

static emu_rc bad(emu_err *err, size_t i, const char *what)
{
    return emu_err_set(err, EMU_E_INVALID, NULL, "$.Sessions[%zu]: %s", i, what);
}

static const char *str_field(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

emu_rc world__load_sessions(world_t *w, const cJSON *arr, emu_err *err)
{
    static const char *const allowed[] = {
        "AccessKeyId",     "AccessKeySecret", "SecurityToken", "AccountId",  "RoleName",   "RoleId",
        "RoleSessionName", "SourceArn",       "Policy",        "CreateDate", "Expiration", NULL};
    char msg[160];
    size_t i = 0;

    if (!arr)
        return EMU_OK;
    if (!cJSON_IsArray(arr))
        return emu_err_set(err, EMU_E_INVALID, NULL, "$: \"Sessions\" must be an array");
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        world_session s = {0};
        if (!cJSON_IsObject(o))
            return bad(err, i, "must be an object");
        for (const cJSON *c = o->child; c; c = c->next) {
            bool ok = false;
            for (const char *const *a = allowed; *a && !ok; a++)
                ok = strcmp(*a, c->string) == 0;
            if (!ok) {
                snprintf(msg, sizeof msg, "unknown field \"%.64s\"", c->string);
                return bad(err, i, msg);
            }
            if (!cJSON_IsString(c)) {
                snprintf(msg, sizeof msg, "\"%s\" must be a string", c->string);
                return bad(err, i, msg);
            }
        }
        s.access_key_id = (char *)str_field(o, "AccessKeyId");
        s.secret = (char *)str_field(o, "AccessKeySecret");
        s.token = (char *)str_field(o, "SecurityToken");
        s.account_id = (char *)str_field(o, "AccountId");
        s.role_name = (char *)str_field(o, "RoleName");
        s.role_id = (char *)str_field(o, "RoleId");
        s.session_name = (char *)str_field(o, "RoleSessionName");
        s.source_arn = (char *)str_field(o, "SourceArn");
        s.policy = (char *)str_field(o, "Policy");
        const char *exp = str_field(o, "Expiration"), *created = str_field(o, "CreateDate");
        if (!exp || !emu_time_parse_iso(exp, strlen(exp), true, &s.expire_ms))
            return bad(err, i,
                       "\"Expiration\" must be an ISO-8601 UTC time like "
                       "2026-01-01T00:00:00Z");
        s.create_ms = s.expire_ms;
        if (created && !emu_time_parse_iso(created, strlen(created), true, &s.create_ms))
            return bad(err, i, "\"CreateDate\" must be an ISO-8601 UTC time");
        if (s.account_id && !world_account_find(w, s.account_id))
            return bad(err, i, "\"AccountId\" names no account of this world");
        emu_err e2 = {0};
        if (world_session_add(w, &s, NULL, &e2) != EMU_OK)
            return bad(err, i, e2.msg);
    }
    return EMU_OK;
}

cJSON *world__export_sessions(const world_t *w)
{
    cJSON *arr = cJSON_CreateArray();
    char date[21];
    for (size_t i = 0; i < w->n_sessions; i++) {
        const world_session *s = w->sessions[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "AccessKeyId", s->access_key_id);
        cJSON_AddStringToObject(o, "AccessKeySecret", s->secret);
        cJSON_AddStringToObject(o, "SecurityToken", s->token);
        cJSON_AddStringToObject(o, "AccountId", s->account_id);
        cJSON_AddStringToObject(o, "RoleName", s->role_name);
        if (s->role_id)
            cJSON_AddStringToObject(o, "RoleId", s->role_id);
        cJSON_AddStringToObject(o, "RoleSessionName", s->session_name);
        if (s->source_arn)
            cJSON_AddStringToObject(o, "SourceArn", s->source_arn);
        if (s->policy)
            cJSON_AddStringToObject(o, "Policy", s->policy);
        emu_time_iso(s->create_ms, date);
        cJSON_AddStringToObject(o, "CreateDate", date);
        emu_time_iso(s->expire_ms, date);
        cJSON_AddStringToObject(o, "Expiration", date);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}
