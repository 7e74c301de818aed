/* Statement coverage (GET /_emu/coverage, include/emu/decision.h).
 *
 * Counters are kept per document identity, not per document pointer: a
 * world reset or checkpoint restore compiles fresh copies of the same
 * policies, and a test suite that resets between tests still wants one
 * report. The identity is (account, type, name, version) for Custom
 * policies, (type, name) for System ones, (account, "Trust", role) for
 * trust policies and a hash of the text for session policies. An entry
 * holds the last document seen under its identity (policy_doc_ref); when a
 * different text shows up under the same identity (UpdateRole, a policy
 * deleted and created again) its counters start over.
 *
 * The hot path maps a document pointer to its entry through a small
 * direct-mapped cache; a hit is valid only while the entry still holds that
 * very document, so a freed and reused address can never inherit counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_decisions_int.h"
#include "emu/admin.h"
#include "emu/str.h"

/* Distinct documents tracked; past it new ones are not counted (the report
 * says so). */
#define COV_MAX_ENTRIES 4096
#define COV_CACHE 256
#define COV_KEY 256

typedef struct cov_entry {
    char key[COV_KEY];
    char account[32];
    const policy_doc_t *doc; /* held */
    size_t n_stmts;
    uint32_t *matched;
    uint32_t *decided;
    uint64_t *principals; /* trust: bit j = principal entry j of the statement was used */
} cov_entry;

struct emu_coverage {
    cov_entry **entries;
    size_t n, cap;
    bool full;
    struct {
        const policy_doc_t *doc;
        cov_entry *e;
    } cache[COV_CACHE];
};

emu_coverage *emu_coverage_new(void)
{
    emu_coverage *c = emu_xmalloc(sizeof *c);
    memset(c, 0, sizeof *c);
    return c;
}

static void entry_free(cov_entry *e)
{
    policy_doc_free((policy_doc_t *)(uintptr_t)e->doc);
    free(e->matched);
    free(e->decided);
    free(e->principals);
    free(e);
}

void emu_coverage_clear(emu_coverage *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        entry_free(c->entries[i]);
    c->n = 0;
    c->full = false;
    memset(c->cache, 0, sizeof c->cache);
}

void emu_coverage_free(emu_coverage *c)
{
    if (!c)
        return;
    emu_coverage_clear(c);
    free(c->entries);
    free(c);
}

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The identity of doc; account is the owner of Custom and Trust documents. */
static void identity(const policy_doc_t *doc, const char *account, char out[COV_KEY])
{
    const char *type = policy_doc_type(doc);
    if (strcmp(type, "System") == 0) {
        snprintf(out, COV_KEY, "System|%s", policy_doc_name(doc));
    } else if (strcmp(type, "Session") == 0 || policy_doc_kind(doc) == POLICY_KIND_SESSION) {
        size_t len;
        const char *text = policy_doc_text(doc, &len);
        snprintf(out, COV_KEY, "Session|%016llx", (unsigned long long)fnv(text, len));
    } else {
        snprintf(out, COV_KEY, "%s|%s|%s|%s", account ? account : "", type, policy_doc_name(doc),
                 policy_doc_version(doc));
    }
}

static bool same_text(const policy_doc_t *a, const policy_doc_t *b)
{
    size_t la, lb;
    const char *ta = policy_doc_text(a, &la), *tb = policy_doc_text(b, &lb);
    return la == lb && memcmp(ta, tb, la) == 0;
}

static void entry_reset(cov_entry *e, const policy_doc_t *doc)
{
    policy_doc_free((policy_doc_t *)(uintptr_t)e->doc);
    e->doc = policy_doc_ref(doc);
    free(e->matched);
    free(e->decided);
    free(e->principals);
    e->n_stmts = policy_doc_statement_count(doc);
    size_t n = e->n_stmts ? e->n_stmts : 1;
    e->matched = calloc(n, sizeof *e->matched);
    e->decided = calloc(n, sizeof *e->decided);
    e->principals = calloc(n, sizeof *e->principals);
    if (!e->matched || !e->decided || !e->principals)
        abort();
}

static cov_entry *find_key(const emu_coverage *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->entries[i]->key, key) == 0)
            return c->entries[i];
    return NULL;
}

static cov_entry *entry_for(emu_coverage *c, const policy_doc_t *doc, const char *account)
{
    size_t slot = (size_t)(((uintptr_t)doc >> 4) % COV_CACHE);
    if (c->cache[slot].doc == doc && c->cache[slot].e->doc == doc)
        return c->cache[slot].e;

    char key[COV_KEY];
    identity(doc, account, key);
    cov_entry *e = find_key(c, key);
    if (e) {
        if (e->doc != doc) {
            if (same_text(e->doc, doc)) {
                /* The same policy compiled again (reset): keep counting. */
                policy_doc_free((policy_doc_t *)(uintptr_t)e->doc);
                e->doc = policy_doc_ref(doc);
            } else {
                entry_reset(e, doc);
            }
        }
    } else {
        if (c->n == COV_MAX_ENTRIES) {
            c->full = true;
            return NULL;
        }
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->entries = realloc(c->entries, c->cap * sizeof *c->entries);
            if (!c->entries)
                abort();
        }
        e = calloc(1, sizeof *e);
        if (!e)
            abort();
        snprintf(e->key, sizeof e->key, "%s", key);
        snprintf(e->account, sizeof e->account, "%s", account ? account : "");
        entry_reset(e, doc);
        c->entries[c->n++] = e;
    }
    c->cache[slot].doc = doc;
    c->cache[slot].e = e;
    return e;
}

void emu_coverage_note(emu_coverage *c, const emu_call *call, const emu_authz_note *n)
{
    const policy_trace *t = call->trace;
    if (!t)
        return;
    for (size_t ei = n->first_eval; ei < t->n_evals; ei++) {
        const policy_trace_eval *ev = &t->evals[ei];
        bool trust = ev->layer == POLICY_LAYER_TRUST;
        /* Custom identity documents belong to the caller's account; the
         * trust policy to the role's. */
        const char *account = trust ? n->in->resource_account : n->in->caller_account;
        for (size_t di = ev->first_doc; di < (size_t)ev->first_doc + ev->n_docs && di < t->n_docs;
             di++) {
            const policy_trace_doc *td = &t->docs[di];
            cov_entry *e = entry_for(c, td->doc, account);
            if (!e)
                continue;
            for (size_t si = td->first_stmt;
                 si < (size_t)td->first_stmt + td->n_stmts && si < t->n_stmts; si++) {
                const policy_trace_stmt *s = &t->stmts[si];
                if (s->index >= e->n_stmts)
                    continue;
                if (s->applies)
                    e->matched[s->index]++;
                if (ev->decider_doc == td->doc && ev->decider_stmt == (int)s->index)
                    e->decided[s->index]++;
                if (trust && s->principal == POLICY_TRI_YES) {
                    size_t np = policy_doc_principal_count(td->doc, s->index);
                    for (size_t j = 0; j < np && j < 64; j++)
                        if (policy_doc_principal_match(td->doc, s->index, j, &ev->principal,
                                                       n->in->resource_account))
                            e->principals[s->index] |= 1ULL << j;
                }
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Report
 * ------------------------------------------------------------------------------------------- */

static const char *kind_name(policy_kind k)
{
    return k == POLICY_KIND_TRUST      ? "trust"
           : k == POLICY_KIND_SESSION  ? "session"
           : k == POLICY_KIND_RESOURCE ? "instance"
                                       : "permission";
}

/* One document's statements with their counts (zero when e is NULL or
 * counted another text). */
static cJSON *doc_report(const policy_doc_t *doc, const cov_entry *e, const char *account,
                         const char *role_arn, bool in_world, cJSON *unused, size_t *never)
{
    char ptr[32];
    cJSON *o = cJSON_CreateObject();
    if (e && e->doc != doc && !same_text(e->doc, doc))
        e = NULL;
    if (account && *account)
        cJSON_AddStringToObject(o, "account", account);
    cJSON_AddStringToObject(o, "policy", policy_doc_name(doc));
    cJSON_AddStringToObject(o, "type", policy_doc_type(doc));
    cJSON_AddStringToObject(o, "version", policy_doc_version(doc));
    cJSON_AddStringToObject(o, "kind", kind_name(policy_doc_kind(doc)));
    if (role_arn)
        cJSON_AddStringToObject(o, "role", role_arn);
    cJSON_AddBoolToObject(o, "inWorld", in_world);
    cJSON *stmts = cJSON_AddArrayToObject(o, "statements");
    size_t ns = policy_doc_statement_count(doc);
    for (size_t i = 0; i < ns; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "index", (double)i);
        cJSON_AddStringToObject(s, "pointer",
                                policy_doc_statement_pointer(doc, i, ptr, sizeof ptr));
        const char *sid = policy_doc_statement_sid(doc, i);
        if (sid)
            cJSON_AddStringToObject(s, "sid", sid);
        cJSON_AddStringToObject(s, "effect", policy_doc_statement_deny(doc, i) ? "Deny" : "Allow");
        uint32_t m = e && i < e->n_stmts ? e->matched[i] : 0;
        uint32_t d = e && i < e->n_stmts ? e->decided[i] : 0;
        cJSON_AddNumberToObject(s, "matched", m);
        cJSON_AddNumberToObject(s, "decided", d);
        if (!m)
            (*never)++;
        size_t np = policy_doc_principal_count(doc, i);
        if (np) {
            cJSON *pa = cJSON_AddArrayToObject(s, "principals");
            for (size_t j = 0; j < np; j++) {
                policy_principal_type pt = POLICY_PRINCIPAL_NONE;
                const char *text = policy_doc_principal_at(doc, i, j, &pt);
                bool used = e && i < e->n_stmts && j < 64 && (e->principals[i] >> j & 1);
                cJSON *pj = cJSON_CreateObject();
                cJSON_AddStringToObject(pj, "type",
                                        pt == POLICY_PRINCIPAL_SERVICE     ? "Service"
                                        : pt == POLICY_PRINCIPAL_FEDERATED ? "Federated"
                                                                           : "RAM");
                cJSON_AddStringToObject(pj, "value", text ? text : "");
                cJSON_AddBoolToObject(pj, "used", used);
                cJSON_AddItemToArray(pa, pj);
                if (!used && unused && !policy_doc_statement_deny(doc, i)) {
                    cJSON *u = cJSON_CreateObject();
                    if (role_arn)
                        cJSON_AddStringToObject(u, "role", role_arn);
                    cJSON_AddStringToObject(u, "pointer",
                                            policy_doc_statement_pointer(doc, i, ptr, sizeof ptr));
                    cJSON_AddItemToObject(u, "principal", cJSON_Duplicate(pj, true));
                    cJSON_AddItemToArray(unused, u);
                }
            }
        }
        cJSON_AddItemToArray(stmts, s);
    }
    return o;
}

static bool attached_anywhere(const world_t *w, const char *system_name)
{
    for (size_t ai = 0; ai < world_account_count(w); ai++) {
        const world_account *a = world_account_at(w, ai);
        for (size_t i = 0; i < a->n_users; i++)
            for (size_t k = 0; k < a->users[i]->n_policies; k++)
                if (a->users[i]->policies[k].system &&
                    emu_strcasecmp(a->users[i]->policies[k].name, system_name) == 0)
                    return true;
        for (size_t i = 0; i < a->n_groups; i++)
            for (size_t k = 0; k < a->groups[i]->n_policies; k++)
                if (a->groups[i]->policies[k].system &&
                    emu_strcasecmp(a->groups[i]->policies[k].name, system_name) == 0)
                    return true;
        for (size_t i = 0; i < a->n_roles; i++)
            for (size_t k = 0; k < a->roles[i]->n_policies; k++)
                if (a->roles[i]->policies[k].system &&
                    emu_strcasecmp(a->roles[i]->policies[k].name, system_name) == 0)
                    return true;
    }
    return false;
}

static void mark(const emu_coverage *c, const cov_entry *e, bool *reported)
{
    for (size_t i = 0; e && i < c->n; i++)
        if (c->entries[i] == e)
            reported[i] = true;
}

cJSON *emu_coverage_to_json(const emu_coverage *c, const world_t *w)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *docs = cJSON_AddArrayToObject(o, "policies");
    cJSON *unused = cJSON_CreateArray();
    char key[COV_KEY];
    size_t never = 0, total = 0;
    bool *reported = calloc(c->n ? c->n : 1, sizeof *reported);
    if (!reported)
        abort();

#define REPORT(doc, acct, role, e)                                                                 \
    do {                                                                                           \
        cJSON_AddItemToArray(docs, doc_report(doc, e, acct, role, true, unused, &never));          \
        total += policy_doc_statement_count(doc);                                                  \
    } while (0)

    for (size_t ai = 0; ai < world_account_count(w); ai++) {
        const world_account *a = world_account_at(w, ai);
        for (size_t pi = 0; pi < a->n_policies; pi++) {
            const world_policy *p = a->policies[pi];
            for (size_t v = 0; v < p->n_versions; v++) {
                const policy_doc_t *doc = p->versions[v].compiled;
                if (!doc)
                    continue;
                identity(doc, a->id, key);
                cov_entry *e = find_key(c, key);
                mark(c, e, reported);
                REPORT(doc, a->id, NULL, e);
            }
        }
        for (size_t ri = 0; ri < a->n_roles; ri++) {
            const world_role *r = a->roles[ri];
            if (!r->trust)
                continue;
            char role_arn[300];
            snprintf(role_arn, sizeof role_arn, "acs:ram::%s:role/%s", a->id, r->name);
            for (char *q = role_arn + strlen("acs:ram::") + strlen(a->id) + 6; *q; q++)
                if (*q >= 'A' && *q <= 'Z')
                    *q = (char)(*q + 32);
            identity(r->trust, a->id, key);
            cov_entry *e = find_key(c, key);
            mark(c, e, reported);
            REPORT(r->trust, a->id, role_arn, e);
        }
    }
    for (size_t i = 0; i < policy_system_count(); i++) {
        const policy_doc_t *doc = policy_system_at(i);
        identity(doc, NULL, key);
        cov_entry *e = find_key(c, key);
        if (!e && !attached_anywhere(w, policy_doc_name(doc)))
            continue;
        mark(c, e, reported);
        REPORT(doc, NULL, NULL, e);
    }
#undef REPORT
    /* Counted but no longer in the world: session policies, deleted
     * policies and versions, replaced trust policies. */
    for (size_t i = 0; i < c->n; i++) {
        if (reported[i])
            continue;
        const cov_entry *e = c->entries[i];
        cJSON_AddItemToArray(docs, doc_report(e->doc, e, e->account, NULL, false, NULL, &never));
        total += policy_doc_statement_count(e->doc);
    }
    free(reported);
    cJSON_AddItemToObject(o, "trustPrincipalsNeverUsed", unused);
    cJSON *sum = cJSON_AddObjectToObject(o, "summary");
    cJSON_AddNumberToObject(sum, "statements", (double)total);
    cJSON_AddNumberToObject(sum, "neverMatched", (double)never);
    cJSON_AddNumberToObject(sum, "trustPrincipalsNeverUsed", (double)cJSON_GetArraySize(unused));
    if (c->full)
        cJSON_AddBoolToObject(sum, "truncated", true);
    return o;
}

/* --- routes ---------------------------------------------------------------------------------- */

emu_rc admin__coverage_get(emu_call *call, emu_str rest);
emu_rc admin__coverage_delete(emu_call *call, emu_str rest);

emu_rc admin__coverage_get(emu_call *call, emu_str rest)
{
    if (rest.len && !emu_str_eq_c(rest, "/"))
        return emu_admin_error(call, 404, "NotFound", "no such admin endpoint");
    if (!call->server->coverage)
        return emu_admin_error(call, 404, "NotFound", "coverage is not kept by this server");
    return emu_admin_json(call, 200, emu_coverage_to_json(call->server->coverage, call->world));
}

emu_rc admin__coverage_delete(emu_call *call, emu_str rest)
{
    if (rest.len && !emu_str_eq_c(rest, "/"))
        return emu_admin_error(call, 404, "NotFound", "no such admin endpoint");
    emu_coverage_clear(call->server->coverage);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "cleared", true);
    return emu_admin_json(call, 200, o);
}
