/* The decision ring and its admin endpoints (include/emu/decision.h).
 *
 * Recording happens on every authorized request, so it copies only what
 * rendering needs later and renders nothing: the used entries of the
 * call's policy_trace (evals, docs, statements, conditions), each check's
 * inputs, and holds on the documents. Strings the trace borrowed from the
 * caller's stack (action, resource, context values) are re-pointed at the
 * record's own copies. Rendering rebuilds a policy_trace from the copy and
 * hands it to the engine's own renderers (policy_trace_reason,
 * policy_trace_to_json), so the explanation is the engine's, not a second
 * opinion.
 *
 *   GET    /_emu/decisions?denied=1&would_deny=1&principal=&action=&service=&limit=N
 *   GET    /_emu/decisions/<id>
 *   GET    /_emu/decisions/<id>/bundle
 *   DELETE /_emu/decisions */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_decisions_int.h"
#include "emu/admin.h"
#include "emu/clock.h"
#include "emu/log.h"
#include "emu/str.h"

struct emu_decisions {
    emu_decision *slots;
    size_t cap;
    uint64_t total;  /* records ever made; the newest has seq == total */
    uint64_t oldest; /* seq of the oldest record still held (clear moves it) */
};

/* First chunk of a slot's arena: a GetRow record needs about 1 KiB. */
#define SLOT_ARENA_BYTES 2048

/* ---------------------------------------------------------------------------------------------
 * The ring
 * ------------------------------------------------------------------------------------------- */

emu_decisions *emu_decisions_new(size_t capacity)
{
    emu_decisions *r = emu_xmalloc(sizeof *r);
    memset(r, 0, sizeof *r);
    if (capacity > EMU_DECISIONS_MAX)
        capacity = EMU_DECISIONS_MAX;
    r->cap = capacity;
    r->oldest = 1;
    if (capacity) {
        /* calloc: untouched slots cost no resident memory. */
        r->slots = calloc(capacity, sizeof *r->slots);
        if (!r->slots)
            abort(); /* out of memory aborts (STYLE.md §6) */
    }
    return r;
}

/* Drops the holds a check took on its documents. */
static void check_release(dec_check *c)
{
    for (size_t k = 0; k < c->n_identity; k++)
        policy_doc_free((policy_doc_t *)(uintptr_t)c->identity[k]);
    policy_doc_free((policy_doc_t *)(uintptr_t)c->session);
    policy_doc_free((policy_doc_t *)(uintptr_t)c->trust);
    policy_doc_free((policy_doc_t *)(uintptr_t)c->instance_policy);
    for (size_t l = 0; l < c->n_control; l++)
        for (size_t k = 0; k < c->control[l].n_docs; k++)
            policy_doc_free((policy_doc_t *)(uintptr_t)c->control[l].docs[k]);
}

static void release(emu_decision *d)
{
    for (size_t i = 0; i < d->n_checks; i++)
        check_release(&d->checks[i]);
    /* Only what a new record relies on being empty; slot_open and the
     * hook write the rest. */
    d->seq = 0;
    d->n_checks = 0;
    d->checks_truncated = false;
    d->evals = NULL;
    d->docs = NULL;
    d->stmts = NULL;
    d->conds = NULL;
    d->n_evals = d->n_docs = d->n_stmts = d->n_conds = 0;
    d->truncated = false;
    d->reason = NULL;
    d->status = 0;
    d->error_code = NULL;
    if (d->arena)
        emu_arena_reset(d->arena);
}

void emu_decisions_clear(emu_decisions *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].seq)
            release(&r->slots[i]);
    r->oldest = r->total + 1;
}

void emu_decisions_free(emu_decisions *r)
{
    if (!r)
        return;
    emu_decisions_clear(r);
    for (size_t i = 0; i < r->cap; i++)
        emu_arena_free(r->slots[i].arena);
    free(r->slots);
    free(r);
}

size_t emu_decisions_capacity(const emu_decisions *r)
{
    return r ? r->cap : 0;
}

uint64_t emu_decisions_total(const emu_decisions *r)
{
    return r ? r->total : 0;
}

size_t emu_decisions_count(const emu_decisions *r)
{
    if (!r || !r->cap || r->total < r->oldest)
        return 0;
    uint64_t n = r->total - r->oldest + 1;
    return n > r->cap ? r->cap : (size_t)n;
}

static const emu_decision *by_seq(const emu_decisions *r, uint64_t seq)
{
    if (!r || !r->cap || seq == 0 || seq > r->total || seq < r->oldest)
        return NULL;
    const emu_decision *d = &r->slots[(seq - 1) % r->cap];
    return d->seq == seq ? d : NULL;
}

const emu_decision *emu_decisions_at(const emu_decisions *r, size_t i)
{
    if (i >= emu_decisions_count(r))
        return NULL;
    return by_seq(r, r->total - i);
}

const emu_decision *emu_decisions_find(const emu_decisions *r, const char *id)
{
    if (!id || strncmp(id, "d-", 2) != 0 || !id[2] ||
        strspn(id + 2, "0123456789") != strlen(id + 2))
        return NULL;
    return by_seq(r, strtoull(id + 2, NULL, 10));
}

/* ---------------------------------------------------------------------------------------------
 * Recording (the hot path)
 * ------------------------------------------------------------------------------------------- */

static const char *rdup(emu_arena *a, const char *s)
{
    return s ? emu_arena_strdup(a, s) : NULL;
}

/* Copies strings into a record once each. The same borrowed pointer shows
 * up several times per call (the caller's account is also the resource
 * account, the AccessKeyId and source IP are also context values), and the
 * constant strings of the context need no copy at all: recording is on
 * every request's path, so it copies as little as it can. The copies made
 * are found again by pointer in a small direct-mapped table (a miss only
 * copies once more). */
#define SPOOL_SLOTS 32 /* a power of two */

typedef struct spool {
    emu_arena *a;
    const char *src[SPOOL_SLOTS];
    const char *dst[SPOOL_SLOTS];
} spool;

static inline void spool_init(spool *sp, emu_arena *a)
{
    sp->a = a;
    memset(sp->src, 0, sizeof sp->src);
}

static inline const char *keep(spool *sp, const char *s)
{
    if (!s || emu_authz_static_string(s))
        return s;
    /* Heap and arena strings start 16-byte aligned: the bits above those
     * tell neighbours apart. */
    size_t i = ((uintptr_t)s >> 4) & (SPOOL_SLOTS - 1);
    if (sp->src[i] == s)
        return sp->dst[i];
    size_t len = strlen(s);
    char *d = emu_arena_alloc(sp->a, len + 1);
    memcpy(d, s, len + 1);
    sp->src[i] = s;
    sp->dst[i] = d;
    return d;
}

/* "d-<seq>" without the printf machinery. */
static void format_id(char out[24], uint64_t seq)
{
    out[0] = 'd';
    out[1] = '-';
    out[2 + emu_u64_dec(seq, out + 2)] = '\0';
}

/* The ring is megabytes written round-robin, one record per request, so
 * every record is written to cold memory. Fetch ahead instead of stalling:
 * the slot after next (its header holds the arena pointer the next request
 * reads), and the next slot's arena, whose pointer that fetch brought in
 * one request earlier. */
static void prefetch_range(const void *from, const void *to)
{
    for (const char *p = from; p < (const char *)to; p += 64)
        __builtin_prefetch(p, 1);
}

static void prefetch_ahead(const emu_decisions *r, uint64_t seq)
{
    /* Only the lines a one-check record touches: a blanket fetch of the
     * whole slot filled the CPU's miss buffers and stalled on them. */
    const emu_decision *after = &r->slots[(seq + 1) % r->cap];
    prefetch_range(after, &after->checks[1]);
    prefetch_range(&after->evals, after + 1);
    const emu_decision *next = &r->slots[seq % r->cap];
    if (next->arena)
        emu_arena_prefetch(next->arena, SLOT_ARENA_BYTES / 4);
}

static emu_decision *slot_open(emu_decisions *r, emu_call *call, spool *sp)
{
    uint64_t seq = ++r->total;
    emu_decision *d = &r->slots[(seq - 1) % r->cap];
    prefetch_ahead(r, seq);
    if (d->seq)
        release(d);
    if (!d->arena)
        d->arena = emu_arena_new(SLOT_ARENA_BYTES);
    spool_init(sp, d->arena);
    const emu_principal *p = &call->principal;

    d->seq = seq;
    format_id(d->id, seq);
    d->time_ms = emu_clock_now_ms();
    memcpy(d->request_id, call->request_id, sizeof d->request_id);
    d->service = call->svc ? call->svc->name : NULL;
    d->api = call->action && call->action_name == call->action->name ? call->action->name
                                                                     : keep(sp, call->action_name);
    d->mode = call->server ? call->server->authz : EMU_AUTHZ_ENFORCE;
    d->simulated = false;
    d->pkind = p->kind;
    d->p_arn = keep(sp, p->arn);
    d->p_account = keep(sp, p->account_id);
    d->p_ak = keep(sp, p->access_key_id);
    d->p_display = keep(sp, p->display_name);
    d->p_role = p->role ? keep(sp, p->role->name) : NULL;
    d->p_session = keep(sp, p->session_name);
    d->p_source = keep(sp, p->source_arn);
    d->p_service = keep(sp, p->service);
    d->p_ip = keep(sp, p->source_ip);
    d->p_tls = p->tls;
    return d;
}

/* A string the trace borrowed from the check's context, re-pointed at the
 * check's copy (the common case, no copy) or copied. */
static const char *remap(spool *sp, const char *s, const policy_ctx *ctx, const dec_check *c)
{
    if (!s)
        return NULL;
    if (s == ctx->action)
        return c->action;
    if (s == ctx->resource)
        return c->resource;
    if (s == ctx->principal.value)
        return c->presented.value;
    return keep(sp, s);
}

static const char *const *remap_values(spool *sp, const char *const *v, size_t n,
                                       const policy_ctx *ctx, const dec_check *c)
{
    if (!v)
        return NULL;
    for (size_t i = 0; i < ctx->n_keys && i < c->n_keys; i++)
        if (v == ctx->keys[i].values)
            return c->keys[i].values;
    const char **out = emu_arena_alloc(sp->a, (n ? n : 1) * sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = keep(sp, v[i]);
    return out;
}

static void copy_inputs(spool *sp, dec_check *c, const emu_call *call, const emu_authz_note *n)
{
    emu_arena *a = sp->a;
    const policy_authz *in = n->in;
    const policy_ctx *ctx = in->ctx;

    /* The action usually comes from the action table: static. */
    c->action = call->action && ctx->action == call->action->policy_action ? ctx->action
                                                                           : keep(sp, ctx->action);
    c->resource = keep(sp, ctx->resource);
    c->resource_account =
        keep(sp, ctx->resource_account ? ctx->resource_account : in->resource_account);
    c->caller_account = keep(sp, in->caller_account);
    c->caller = in->caller;
    /* The principal a trust policy, or else an instance policy, saw. */
    const policy_principal *pp =
        ctx->principal.type != POLICY_PRINCIPAL_NONE || !in->resource_policy ? &ctx->principal
                                                                             : &in->presented;
    c->presented.type = pp->type;
    c->presented.value = keep(sp, pp->value);
    c->instance_policy = in->resource_policy ? policy_doc_ref(in->resource_policy) : NULL;
    c->n_keys = ctx->n_keys;
    /* One block for the key array and every value array. */
    size_t nv = 0;
    for (size_t i = 0; i < ctx->n_keys; i++)
        nv += ctx->keys[i].n_values;
    c->keys = emu_arena_alloc(a, ctx->n_keys * sizeof *c->keys + (nv ? nv : 1) * sizeof(char *));
    const char **vals = (const char **)(void *)(c->keys + ctx->n_keys);
    for (size_t i = 0; i < ctx->n_keys; i++) {
        const policy_ckey *k = &ctx->keys[i];
        for (size_t v = 0; v < k->n_values; v++)
            vals[v] = keep(sp, k->values[v]);
        c->keys[i] = (policy_ckey){keep(sp, k->key), vals, k->n_values};
        vals += k->n_values;
    }
    c->n_identity = in->n_identity;
    c->identity = NULL; /* none for a root or service caller */
    if (in->n_identity) {
        c->identity = emu_arena_alloc(a, in->n_identity * sizeof *c->identity);
        for (size_t i = 0; i < in->n_identity; i++)
            c->identity[i] = policy_doc_ref(in->identity[i]);
    }
    c->session = in->session ? policy_doc_ref(in->session) : NULL;
    c->trust = in->trust ? policy_doc_ref(in->trust) : NULL;
    c->n_control = in->n_control;
    c->control = NULL;
    if (in->n_control) {
        c->control = emu_arena_alloc(a, in->n_control * sizeof *c->control);
        for (size_t l = 0; l < in->n_control; l++) {
            const policy_control_level *lv = &in->control[l];
            const policy_doc_t **docs =
                emu_arena_alloc(a, (lv->n_docs ? lv->n_docs : 1) * sizeof *docs);
            for (size_t k = 0; k < lv->n_docs; k++)
                docs[k] = policy_doc_ref(lv->docs[k]);
            c->control[l] = (policy_control_level){keep(sp, lv->target), docs, lv->n_docs};
        }
    }
    c->has_network = in->network != NULL;
    if (in->network) {
        c->network = *in->network;
        c->network.instance = keep(sp, in->network->instance);
        c->network.source_vpc = keep(sp, in->network->source_vpc);
    }
    c->assume = n->assume;
    c->broken_session = n->broken_session;
    c->enforced = n->enforced;
    c->decision = n->res.decision;
    c->layer = n->res.layer;
    c->rule = call->trace ? call->trace->rule : NULL;
    c->reason = n->reason ? emu_arena_strdup(a, n->reason) : NULL;
    c->input = n->input ? emu_arena_strdup(a, n->input) : NULL;
}

/* The record's copy of one trace array at its new length n_new: the first
 * n_old entries from the record (already re-pointed), the rest from the
 * live trace. */
static void *grow(emu_arena *a, void *old, size_t n_old, const void *live, size_t n_new,
                  size_t size)
{
    if (n_new <= n_old)
        return old;
    char *nw = emu_arena_alloc(a, n_new * size);
    if (n_old)
        memcpy(nw, old, n_old * size);
    memcpy(nw + n_old * size, (const char *)live + n_old * size, (n_new - n_old) * size);
    return nw;
}

/* Appends the trace entries this check added, re-pointed. The record's
 * arrays are rebuilt at their new length: one copy for the common single
 * check, a few hundred bytes more for a batch. */
static void copy_trace(emu_decision *d, spool *sp, const dec_check *c, const policy_trace *t,
                       const policy_ctx *ctx)
{
    emu_arena *a = sp->a;
    size_t e0 = d->n_evals, c0 = d->n_conds;
    d->evals = grow(a, d->evals, d->n_evals, t->evals, t->n_evals, sizeof *d->evals);
    d->docs = grow(a, d->docs, d->n_docs, t->docs, t->n_docs, sizeof *d->docs);
    d->stmts = grow(a, d->stmts, d->n_stmts, t->stmts, t->n_stmts, sizeof *d->stmts);
    d->conds = grow(a, d->conds, d->n_conds, t->conds, t->n_conds, sizeof *d->conds);
    for (size_t i = e0; i < t->n_evals; i++) {
        policy_trace_eval *e = &d->evals[i];
        e->action = remap(sp, e->action, ctx, c);
        e->resource = remap(sp, e->resource, ctx, c);
        e->principal.value = remap(sp, e->principal.value, ctx, c);
        e->scope = e->scope ? keep(sp, e->scope) : NULL;
    }
    for (size_t i = c0; i < t->n_conds; i++) {
        policy_trace_cond *tc = &d->conds[i];
        tc->actual = remap_values(sp, tc->actual, tc->n_actual, ctx, c);
    }
    d->n_evals = t->n_evals;
    d->n_docs = t->n_docs;
    d->n_stmts = t->n_stmts;
    d->n_conds = t->n_conds;
    d->truncated = t->truncated;
}

static void hooks_note(emu_call *call, const emu_authz_note *n)
{
    emu_server *s = call->server;
    if (s->coverage)
        emu_coverage_note(s->coverage, call, n);
    if (!s->decisions || !s->decisions->cap || !call->trace)
        return;
    emu_decision *d = call->record;
    spool sp;
    if (!d) {
        d = slot_open(s->decisions, call, &sp);
        call->record = d;
        call->decision_id = d->id;
    } else {
        spool_init(&sp, d->arena);
    }
    dec_check scratch;
    dec_check *c = d->n_checks < DEC_MAX_CHECKS ? &d->checks[d->n_checks] : &scratch;
    memset(c, 0, sizeof *c);
    copy_inputs(&sp, c, call, n);
    c->first_eval = (uint16_t)n->first_eval;
    c->n_evals = (uint16_t)(call->trace->n_evals - n->first_eval);
    copy_trace(d, &sp, c, call->trace, n->in->ctx);
    if (c == &scratch) {
        /* Past the cap: the trace copy above used its strings; the inputs
         * are dropped, so are the holds. */
        check_release(c);
        d->checks_truncated = true;
    } else {
        d->n_checks++;
    }
}

static void hooks_finish(emu_call *call)
{
    emu_decision *d = call->record;
    if (!d)
        return;
    d->status = call->resp ? call->resp->status : 0;
    if (d->status >= 400)
        d->error_code = rdup(d->arena, call->err.code ? call->err.code : emu_rc_name(call->err.rc));
    d->reason = rdup(d->arena, call->reason);
}

const emu_decision_hooks emu_decision_hooks_default = {hooks_note, hooks_finish};

/* ---------------------------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------------------------- */

const char *emu_decision_id(const emu_decision *d)
{
    return d->id;
}

const dec_check *admin__decision_final(const emu_decision *d)
{
    for (size_t i = 0; i < d->n_checks; i++)
        if (d->checks[i].decision != POLICY_ALLOW)
            return &d->checks[i];
    return d->n_checks ? &d->checks[d->n_checks - 1] : NULL;
}

policy_decision emu_decision_result(const emu_decision *d)
{
    const dec_check *c = admin__decision_final(d);
    return c ? c->decision : POLICY_IMPLICIT_DENY;
}

bool emu_decision_denied(const emu_decision *d)
{
    const dec_check *c = admin__decision_final(d);
    return c && c->decision != POLICY_ALLOW && c->enforced;
}

bool emu_decision_would_deny(const emu_decision *d)
{
    const dec_check *c = admin__decision_final(d);
    return c && c->decision != POLICY_ALLOW && !c->enforced;
}

static bool ieq(const char *a, const char *b)
{
    return a && b && emu_strcasecmp(a, b) == 0;
}

bool emu_decision_matches(const emu_decision *d, const char *principal, const char *action)
{
    if (principal && *principal) {
        bool hit = ieq(d->p_arn, principal) || ieq(d->p_ak, principal);
        if (!hit && d->p_role && d->p_account) {
            char role_arn[300];
            snprintf(role_arn, sizeof role_arn, "acs:ram::%s:role/%s", d->p_account, d->p_role);
            hit = ieq(role_arn, principal);
        }
        if (!hit)
            return false;
    }
    if (action && *action) {
        bool hit = ieq(d->api, action);
        for (size_t i = 0; !hit && i < d->n_checks; i++)
            hit = ieq(d->checks[i].action, action);
        if (!hit)
            return false;
    }
    return true;
}

const char *emu_decision_layer_name(policy_layer layer, bool assume)
{
    switch (layer) {
    case POLICY_LAYER_IDENTITY:
        return assume ? "caller-permission-to-assume" : "identity-policy";
    case POLICY_LAYER_SESSION:
        return assume ? "caller-permission-to-assume" : "session-policy";
    case POLICY_LAYER_TRUST:
        return "trust-policy";
    case POLICY_LAYER_CROSS_ACCOUNT:
        return "cross-account-boundary";
    case POLICY_LAYER_ROOT_RULE:
        return "root-only-rule";
    case POLICY_LAYER_CONTROL:
        return "control-policy";
    case POLICY_LAYER_MAXCOMPUTE_ACL:
        return "maxcompute-acl";
    case POLICY_LAYER_FEDERATED_TOKEN:
        return "federated-token";
    case POLICY_LAYER_NETWORK_ACL:
        return "network-acl";
    case POLICY_LAYER_INSTANCE_POLICY:
        return "instance-policy";
    case POLICY_LAYER_NONE:
        break;
    }
    return "none";
}

/* ---------------------------------------------------------------------------------------------
 * Rendering
 * ------------------------------------------------------------------------------------------- */

/* The record's trace as the engine left it after check c (heap; free()). */
static policy_trace *rebuild(const emu_decision *d, const dec_check *c)
{
    policy_trace *t = emu_xmalloc(sizeof *t);
    policy_trace_init(t);
    /* Empty arrays are NULL in the record (rule layers evaluate nothing). */
    if (d->n_evals)
        memcpy(t->evals, d->evals, d->n_evals * sizeof *t->evals);
    if (d->n_docs)
        memcpy(t->docs, d->docs, d->n_docs * sizeof *t->docs);
    if (d->n_stmts)
        memcpy(t->stmts, d->stmts, d->n_stmts * sizeof *t->stmts);
    if (d->n_conds)
        memcpy(t->conds, d->conds, d->n_conds * sizeof *t->conds);
    t->n_evals = c ? (size_t)c->first_eval + c->n_evals : d->n_evals;
    if (t->n_evals > d->n_evals)
        t->n_evals = d->n_evals;
    t->n_docs = d->n_docs;
    t->n_stmts = d->n_stmts;
    t->n_conds = d->n_conds;
    t->truncated = d->truncated;
    if (c) {
        t->decision = c->decision;
        t->layer = c->layer;
        t->rule = c->rule;
        t->caller = c->caller;
        t->caller_account = c->caller_account;
        t->resource_account = c->resource_account;
        t->has_caller = true;
        t->has_network = c->has_network;
        t->network = c->network;
    }
    return t;
}

/* The reason of check c: kept for denials, rendered for allows. */
static char *check_reason(const emu_decision *d, const dec_check *c, emu_arena *a)
{
    if (c->reason)
        return emu_arena_strdup(a, c->reason);
    policy_trace *t = rebuild(d, c);
    char *r = emu_authz_reason(a, t, c->assume, c->broken_session);
    free(t);
    return r;
}

static void add_str(cJSON *o, const char *name, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, name, v);
}

static cJSON *principal_json(const emu_decision *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", emu_principal_kind_name(d->pkind));
    add_str(o, "arn", d->p_arn);
    add_str(o, "accountId", d->p_account);
    add_str(o, "accessKeyId", d->p_ak);
    add_str(o, "displayName", d->p_display);
    if (d->p_role && d->p_account) {
        char buf[300];
        snprintf(buf, sizeof buf, "acs:ram::%s:role/%s", d->p_account, d->p_role);
        for (char *q = buf + strlen("acs:ram::") + strlen(d->p_account) + 6; *q; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q + 32);
        cJSON_AddStringToObject(o, "role", buf);
    }
    add_str(o, "sessionName", d->p_session);
    add_str(o, "sourcePrincipal", d->p_source);
    add_str(o, "service", d->p_service);
    return o;
}

static cJSON *context_json(const dec_check *c)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < c->n_keys; i++) {
        cJSON *vals = cJSON_CreateArray();
        for (size_t v = 0; v < c->keys[i].n_values; v++)
            cJSON_AddItemToArray(
                vals, cJSON_CreateString(c->keys[i].values[v] ? c->keys[i].values[v] : ""));
        cJSON_AddItemToObject(o, c->keys[i].key, vals);
    }
    return o;
}

/* The statement object of a document as written (a new cJSON), or NULL. */
static cJSON *stmt_source(const policy_doc_t *doc, size_t index)
{
    size_t len;
    const char *text = policy_doc_text(doc, &len);
    cJSON *root = cJSON_ParseWithLength(text, len);
    cJSON *out = NULL;
    const cJSON *st = root ? cJSON_GetObjectItemCaseSensitive(root, "Statement") : NULL;
    if (cJSON_IsArray(st))
        st = cJSON_GetArrayItem(st, (int)index);
    if (cJSON_IsObject(st))
        out = cJSON_Duplicate(st, true);
    cJSON_Delete(root);
    return out;
}

static cJSON *stmt_ref(const policy_doc_t *doc, size_t index)
{
    char ptr[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "policy", policy_doc_name(doc));
    cJSON_AddStringToObject(o, "type", policy_doc_type(doc));
    cJSON_AddStringToObject(o, "version", policy_doc_version(doc));
    cJSON_AddNumberToObject(o, "index", (double)index);
    add_str(o, "sid", policy_doc_statement_sid(doc, index));
    cJSON_AddStringToObject(o, "pointer",
                            policy_doc_statement_pointer(doc, index, ptr, sizeof ptr));
    cJSON_AddStringToObject(o, "effect", policy_doc_statement_deny(doc, index) ? "Deny" : "Allow");
    return o;
}

static cJSON *strings_json(const char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i] ? v[i] : ""));
    return a;
}

/* What did not match in statement ts (of eval e): expected vs presented. */
static cJSON *mismatch_json(const policy_trace *t, const policy_trace_stmt *ts,
                            const policy_trace_eval *e)
{
    const policy_doc_t *doc = t->docs[ts->doc].doc;
    cJSON *src = stmt_source(doc, ts->index);
    cJSON *out = cJSON_CreateArray();
    struct {
        policy_tri v;
        const char *a, *b; /* element names */
        const char *actual;
    } parts[] = {{ts->action, "Action", "NotAction", e->action},
                 {ts->resource, "Resource", "NotResource", e->resource}};
    for (size_t i = 0; i < 2; i++) {
        if (parts[i].v != POLICY_TRI_NO)
            continue;
        cJSON *m = cJSON_CreateObject();
        const cJSON *el = src ? cJSON_GetObjectItemCaseSensitive(src, parts[i].a) : NULL;
        const char *name = parts[i].a;
        if (!el && src) {
            el = cJSON_GetObjectItemCaseSensitive(src, parts[i].b);
            name = parts[i].b;
        }
        cJSON_AddStringToObject(m, "element", name);
        cJSON_AddItemToObject(m, "expected", el ? cJSON_Duplicate(el, true) : cJSON_CreateNull());
        cJSON_AddStringToObject(m, "actual", parts[i].actual ? parts[i].actual : "");
        cJSON_AddItemToArray(out, m);
    }
    if (ts->principal == POLICY_TRI_NO) {
        cJSON *m = cJSON_CreateObject();
        const cJSON *el = src ? cJSON_GetObjectItemCaseSensitive(src, "Principal") : NULL;
        cJSON_AddStringToObject(m, "element", "Principal");
        cJSON_AddItemToObject(m, "expected", el ? cJSON_Duplicate(el, true) : cJSON_CreateNull());
        cJSON *p = cJSON_AddObjectToObject(m, "actual");
        cJSON_AddStringToObject(p, "type",
                                e->principal.type == POLICY_PRINCIPAL_SERVICE     ? "Service"
                                : e->principal.type == POLICY_PRINCIPAL_FEDERATED ? "Federated"
                                : e->principal.type == POLICY_PRINCIPAL_RAM       ? "RAM"
                                                                                  : "none");
        cJSON_AddStringToObject(p, "value", e->principal.value ? e->principal.value : "");
        cJSON_AddItemToArray(out, m);
    }
    if (ts->condition == POLICY_TRI_NO) {
        for (size_t i = 0; i < ts->n_conds; i++) {
            const policy_trace_cond *c = &t->conds[ts->first_cond + i];
            if (c->result)
                continue;
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "element", "Condition");
            cJSON_AddStringToObject(m, "operator", c->op);
            cJSON_AddStringToObject(m, "key", c->key);
            cJSON_AddItemToObject(m, "expected", strings_json(c->expected, c->n_expected));
            if (c->actual)
                cJSON_AddItemToObject(m, "actual", strings_json(c->actual, c->n_actual));
            else
                cJSON_AddNullToObject(m, "actual");
            cJSON_AddBoolToObject(m, "missing", !c->actual);
            if (c->bad_value)
                cJSON_AddBoolToObject(m, "badValue", true);
            cJSON_AddItemToArray(out, m);
        }
    }
    cJSON_Delete(src);
    return out;
}

/* How many of a statement's parts matched: the "closest" Allow of a
 * document that did not allow. */
static int score(const policy_trace_stmt *s)
{
    int n = 0;
    policy_tri parts[] = {s->action, s->resource, s->principal, s->condition};
    for (size_t i = 0; i < 4; i++)
        n += parts[i] != POLICY_TRI_NO;
    return n;
}

static cJSON *documents_json(const policy_trace *t, const policy_trace_eval *e)
{
    cJSON *docs = cJSON_CreateArray();
    for (size_t di = e->first_doc; di < (size_t)e->first_doc + e->n_docs && di < t->n_docs; di++) {
        const policy_trace_doc *td = &t->docs[di];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "policy", policy_doc_name(td->doc));
        cJSON_AddStringToObject(o, "type", policy_doc_type(td->doc));
        cJSON_AddStringToObject(o, "version", policy_doc_version(td->doc));
        cJSON_AddStringToObject(o, "decision", policy_decision_name(td->decision));
        const policy_trace_stmt *decider = NULL, *closest = NULL;
        for (size_t si = td->first_stmt;
             si < (size_t)td->first_stmt + td->n_stmts && si < t->n_stmts; si++) {
            const policy_trace_stmt *s = &t->stmts[si];
            if (td->decision == POLICY_EXPLICIT_DENY && s->applies && s->deny && !decider)
                decider = s;
            if (td->decision == POLICY_ALLOW && s->applies && !s->deny && !decider)
                decider = s;
            if (!s->deny && (!closest || score(s) > score(closest)))
                closest = s;
        }
        if (decider)
            cJSON_AddItemToObject(o, "decidingStatement", stmt_ref(td->doc, decider->index));
        else
            cJSON_AddNullToObject(o, "decidingStatement");
        if (!decider && closest) {
            cJSON *c = stmt_ref(td->doc, closest->index);
            cJSON_AddItemToObject(c, "mismatch", mismatch_json(t, closest, e));
            cJSON_AddItemToObject(o, "closestStatement", c);
        }
        cJSON_AddItemToArray(docs, o);
    }
    return docs;
}

static const char *outcome_name(const emu_decision *d)
{
    if (emu_decision_denied(d))
        return "deny";
    if (emu_decision_would_deny(d))
        return "would-deny";
    return emu_decision_result(d) == POLICY_ALLOW ? "allow" : "deny";
}

static const char *mode_name(emu_authz_mode m)
{
    return m == EMU_AUTHZ_AUDIT ? "audit" : m == EMU_AUTHZ_OFF ? "off" : "enforce";
}

static cJSON *doc_json(const policy_doc_t *doc);

static cJSON *check_json(const emu_decision *d, const dec_check *c, emu_arena *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "action", c->action);
    cJSON_AddStringToObject(o, "resource", c->resource);
    add_str(o, "resourceAccount", c->resource_account);
    cJSON_AddStringToObject(o, "caller", policy_caller_name(c->caller));
    add_str(o, "callerAccount", c->caller_account);
    if (c->presented.type != POLICY_PRINCIPAL_NONE) {
        cJSON *p = cJSON_AddObjectToObject(o, "presentedPrincipal");
        cJSON_AddStringToObject(p, "type",
                                c->presented.type == POLICY_PRINCIPAL_SERVICE ? "Service" : "RAM");
        add_str(p, "value", c->presented.value);
    }
    cJSON_AddBoolToObject(o, "assumeRole", c->assume);
    cJSON_AddStringToObject(o, "decision", policy_decision_name(c->decision));
    cJSON_AddStringToObject(o, "layer", policy_layer_name(c->layer));
    cJSON_AddStringToObject(o, "decidingLayer", emu_decision_layer_name(c->layer, c->assume));
    cJSON_AddStringToObject(o, "reason", check_reason(d, c, a));
    if (c->has_network)
        cJSON_AddItemToObject(o, "network", policy_network_json(&c->network));
    if (c->instance_policy)
        cJSON_AddItemToObject(o, "instancePolicy", doc_json(c->instance_policy));
    cJSON_AddItemToObject(o, "context", context_json(c));

    /* The deciding statement, or for an implicit deny the closest one and
     * what did not match, from this check's evaluation of the deciding
     * layer. */
    policy_trace *t = rebuild(d, c);
    const policy_trace_eval *e = NULL;
    for (size_t i = t->n_evals; i-- > c->first_eval;)
        if (t->evals[i].layer == c->layer) {
            e = &t->evals[i];
            break;
        }
    if (e && e->decider_doc && e->decider_stmt >= 0) {
        cJSON_AddItemToObject(o, "decidingStatement",
                              stmt_ref(e->decider_doc, (size_t)e->decider_stmt));
    } else {
        cJSON_AddNullToObject(o, "decidingStatement");
    }
    if (e && c->decision == POLICY_IMPLICIT_DENY && e->closest_doc && e->closest_stmt >= 0) {
        cJSON *cl = stmt_ref(e->closest_doc, (size_t)e->closest_stmt);
        if (e->closest_trace >= 0 && (size_t)e->closest_trace < t->n_stmts)
            cJSON_AddItemToObject(cl, "mismatch", mismatch_json(t, &t->stmts[e->closest_trace], e));
        cJSON_AddItemToObject(o, "closestStatement", cl);
    }
    cJSON *evals = cJSON_AddArrayToObject(o, "evaluations");
    for (size_t i = c->first_eval; i < t->n_evals; i++) {
        const policy_trace_eval *ev = &t->evals[i];
        cJSON *eo = cJSON_CreateObject();
        cJSON_AddStringToObject(eo, "layer", policy_layer_name(ev->layer));
        cJSON_AddStringToObject(eo, "decidingLayer", emu_decision_layer_name(ev->layer, c->assume));
        if (ev->scope)
            cJSON_AddStringToObject(eo, "attachedTo", ev->scope);
        cJSON_AddStringToObject(eo, "decision", policy_decision_name(ev->decision));
        cJSON_AddItemToObject(eo, "documents", documents_json(t, ev));
        cJSON_AddItemToArray(evals, eo);
    }
    free(t);
    return o;
}

cJSON *emu_decision_to_json(const emu_decision *d, bool full)
{
    emu_arena *a = emu_arena_new(4096);
    char when[21];
    const dec_check *fc = admin__decision_final(d);
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", d->id);
    emu_time_iso(d->time_ms, when);
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddNumberToObject(o, "timeMs", (double)d->time_ms);
    if (d->request_id[0])
        cJSON_AddStringToObject(o, "requestId", d->request_id);
    if (d->service)
        cJSON_AddStringToObject(o, "service", d->service);
    else if (fc && strchr(fc->action, ':'))
        cJSON_AddItemToObject(o, "service",
                              cJSON_CreateString(emu_arena_strndup(
                                  a, fc->action, (size_t)(strchr(fc->action, ':') - fc->action))));
    add_str(o, "api", d->api);
    add_str(o, "action", fc ? fc->action : NULL);
    add_str(o, "resource", fc ? fc->resource : NULL);
    cJSON_AddItemToObject(o, "principal", principal_json(d));
    cJSON_AddStringToObject(o, "mode", mode_name(d->mode));
    cJSON_AddStringToObject(o, "decision", policy_decision_name(emu_decision_result(d)));
    cJSON_AddStringToObject(o, "outcome", outcome_name(d));
    cJSON_AddBoolToObject(o, "denied", emu_decision_denied(d));
    cJSON_AddBoolToObject(o, "wouldDeny", emu_decision_would_deny(d));
    if (fc) {
        cJSON_AddStringToObject(o, "layer", policy_layer_name(fc->layer));
        cJSON_AddStringToObject(o, "decidingLayer", emu_decision_layer_name(fc->layer, fc->assume));
        const char *reason =
            d->reason && fc->decision != POLICY_ALLOW ? d->reason : check_reason(d, fc, a);
        cJSON_AddStringToObject(o, "reason", reason);
    }
    if (d->status)
        cJSON_AddNumberToObject(o, "status", d->status);
    add_str(o, "errorCode", d->error_code);
    if (d->simulated)
        cJSON_AddBoolToObject(o, "simulated", true);
    if (full && fc) {
        cJSON_AddItemToObject(o, "context", context_json(fc));
        /* The deciding / closest statement of the deciding check, lifted
         * to the top for the common single-check case. */
        cJSON *cj = check_json(d, fc, a);
        cJSON *ds = cJSON_GetObjectItemCaseSensitive(cj, "decidingStatement");
        cJSON_AddItemToObject(o, "decidingStatement", cJSON_Duplicate(ds, true));
        cJSON *cs = cJSON_GetObjectItemCaseSensitive(cj, "closestStatement");
        if (cs)
            cJSON_AddItemToObject(o, "closestStatement", cJSON_Duplicate(cs, true));
        cJSON_Delete(cj);
        cJSON *checks = cJSON_AddArrayToObject(o, "checks");
        for (size_t i = 0; i < d->n_checks; i++)
            cJSON_AddItemToArray(checks, check_json(d, &d->checks[i], a));
        if (d->checks_truncated)
            cJSON_AddBoolToObject(o, "checksTruncated", true);
        policy_trace *t = rebuild(d, &d->checks[d->n_checks - 1]);
        cJSON_AddItemToObject(o, "trace", policy_trace_to_json(t));
        free(t);
    }
    emu_arena_free(a);
    return o;
}

/* ---------------------------------------------------------------------------------------------
 * Replay bundle
 * ------------------------------------------------------------------------------------------- */

static const char *kind_name(policy_kind k)
{
    return k == POLICY_KIND_TRUST      ? "trust"
           : k == POLICY_KIND_SESSION  ? "session"
           : k == POLICY_KIND_RESOURCE ? "instance"
                                       : "permission";
}

static cJSON *doc_json(const policy_doc_t *doc)
{
    size_t len;
    const char *text = policy_doc_text(doc, &len);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", policy_doc_name(doc));
    cJSON_AddStringToObject(o, "type", policy_doc_type(doc));
    cJSON_AddStringToObject(o, "version", policy_doc_version(doc));
    cJSON_AddStringToObject(o, "kind", kind_name(policy_doc_kind(doc)));
    cJSON *parsed = cJSON_ParseWithLength(text, len);
    /* The document as written (text too, should it ever not be JSON). */
    if (parsed)
        cJSON_AddItemToObject(o, "document", parsed);
    else
        cJSON_AddStringToObject(o, "text", text);
    return o;
}

cJSON *emu_decision_bundle(const emu_decision *d)
{
    emu_arena *a = emu_arena_new(4096);
    char when[21];
    const dec_check *fc = admin__decision_final(d);
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "acsemuBundle", "1");
    cJSON_AddStringToObject(o, "decisionId", d->id);
    emu_time_iso(d->time_ms, when);
    cJSON *clock = cJSON_AddObjectToObject(o, "clock");
    cJSON_AddStringToObject(clock, "virtual", when);
    cJSON_AddNumberToObject(clock, "virtualMs", (double)d->time_ms);
    cJSON_AddStringToObject(o, "mode", mode_name(d->mode));

    /* The request, without credentials: only the AccessKeyId, never the
     * secret, signature or STS token. */
    cJSON *req = cJSON_AddObjectToObject(o, "request");
    add_str(req, "requestId", d->request_id[0] ? d->request_id : NULL);
    add_str(req, "service", d->service);
    add_str(req, "api", d->api);
    add_str(req, "action", fc ? fc->action : NULL);
    add_str(req, "resource", fc ? fc->resource : NULL);
    add_str(req, "sourceIp", d->p_ip);
    cJSON_AddBoolToObject(req, "secureTransport", d->p_tls);

    cJSON *p = principal_json(d);
    /* The chain: who is calling, and for a session who assumed the role. */
    cJSON *chain = cJSON_AddArrayToObject(p, "chain");
    add_str(p, "kind", emu_principal_kind_name(d->pkind));
    if (d->p_arn)
        cJSON_AddItemToArray(chain, cJSON_CreateString(d->p_arn));
    if (d->p_role && d->p_account)
        cJSON_AddItemToArray(chain, cJSON_CreateString(cJSON_GetStringValue(
                                        cJSON_GetObjectItemCaseSensitive(p, "role"))));
    if (d->p_source)
        cJSON_AddItemToArray(chain, cJSON_CreateString(d->p_source));
    cJSON_AddItemToObject(o, "principal", p);

    cJSON *checks = cJSON_AddArrayToObject(o, "checks");
    for (size_t i = 0; i < d->n_checks; i++) {
        const dec_check *c = &d->checks[i];
        cJSON *cj = cJSON_CreateObject();
        cJSON_AddStringToObject(cj, "action", c->action);
        cJSON_AddStringToObject(cj, "resource", c->resource);
        add_str(cj, "resourceAccount", c->resource_account);
        cJSON_AddStringToObject(cj, "caller", policy_caller_name(c->caller));
        add_str(cj, "callerAccount", c->caller_account);
        cJSON_AddBoolToObject(cj, "assumeRole", c->assume);
        if (c->presented.type != POLICY_PRINCIPAL_NONE) {
            cJSON *pp = cJSON_AddObjectToObject(cj, "presentedPrincipal");
            cJSON_AddStringToObject(
                pp, "type", c->presented.type == POLICY_PRINCIPAL_SERVICE ? "Service" : "RAM");
            add_str(pp, "value", c->presented.value);
        }
        cJSON *ctx = cJSON_AddArrayToObject(cj, "context");
        for (size_t k = 0; k < c->n_keys; k++) {
            cJSON *kj = cJSON_CreateObject();
            cJSON_AddStringToObject(kj, "key", c->keys[k].key);
            cJSON_AddItemToObject(kj, "values",
                                  strings_json(c->keys[k].values, c->keys[k].n_values));
            cJSON_AddItemToArray(ctx, kj);
        }
        cJSON *ids = cJSON_AddArrayToObject(cj, "identityPolicies");
        for (size_t k = 0; k < c->n_identity; k++)
            cJSON_AddItemToArray(ids, doc_json(c->identity[k]));
        if (c->session)
            cJSON_AddItemToObject(cj, "sessionPolicy", doc_json(c->session));
        if (c->broken_session)
            cJSON_AddBoolToObject(cj, "brokenSessionPolicy", true);
        if (c->trust)
            cJSON_AddItemToObject(cj, "trustPolicy", doc_json(c->trust));
        if (c->instance_policy)
            cJSON_AddItemToObject(cj, "instancePolicy", doc_json(c->instance_policy));
        if (c->n_control) {
            cJSON *levels = cJSON_AddArrayToObject(cj, "controlPolicies");
            for (size_t l = 0; l < c->n_control; l++) {
                cJSON *lj = cJSON_CreateObject();
                cJSON_AddStringToObject(lj, "attachedTo", c->control[l].target);
                cJSON *docs = cJSON_AddArrayToObject(lj, "policies");
                for (size_t k = 0; k < c->control[l].n_docs; k++)
                    cJSON_AddItemToArray(docs, doc_json(c->control[l].docs[k]));
                cJSON_AddItemToArray(levels, lj);
            }
        }
        if (c->has_network)
            cJSON_AddItemToObject(cj, "network", policy_network_json(&c->network));
        cJSON *input = c->input ? cJSON_Parse(c->input) : NULL;
        if (input)
            cJSON_AddItemToObject(cj, "ruleInput", input);
        cJSON_AddStringToObject(cj, "decision", policy_decision_name(c->decision));
        cJSON_AddStringToObject(cj, "layer", policy_layer_name(c->layer));
        cJSON_AddStringToObject(cj, "reason", check_reason(d, c, a));
        cJSON_AddItemToArray(checks, cj);
    }
    if (d->checks_truncated)
        cJSON_AddBoolToObject(o, "checksTruncated", true);
    cJSON *rec = cJSON_AddObjectToObject(o, "recorded");
    cJSON_AddStringToObject(rec, "decision", policy_decision_name(emu_decision_result(d)));
    if (fc) {
        cJSON_AddStringToObject(rec, "layer", policy_layer_name(fc->layer));
        cJSON_AddStringToObject(rec, "decidingLayer",
                                emu_decision_layer_name(fc->layer, fc->assume));
        cJSON_AddStringToObject(rec, "reason", check_reason(d, fc, a));
    }
    emu_arena_free(a);
    return o;
}

/* ---------------------------------------------------------------------------------------------
 * Endpoints
 * ------------------------------------------------------------------------------------------- */

/* The decoded value of query parameter `name`, in the arena, or NULL. */
static const char *query_param(emu_call *call, const char *name)
{
    emu_str q = call->req->query;
    size_t n = strlen(name);
    const char *p = q.p, *end = q.p + q.len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) >= n && memcmp(p, name, n) == 0 && (p + n == stop || p[n] == '=')) {
            const char *v = p + n == stop ? stop : p + n + 1;
            char *out = emu_arena_alloc(call->arena, (size_t)(stop - v) + 1);
            size_t o = 0;
            for (const char *s = v; s < stop; s++) {
                if (*s == '+') {
                    out[o++] = ' ';
                } else if (*s == '%' && stop - s > 2) {
                    char hex[3] = {s[1], s[2], 0};
                    out[o++] = (char)strtol(hex, NULL, 16);
                    s += 2;
                } else {
                    out[o++] = *s;
                }
            }
            out[o] = '\0';
            return out;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

static bool flag(emu_call *call, const char *name)
{
    const char *v = query_param(call, name);
    return v && (!*v || strcmp(v, "1") == 0 || emu_strcasecmp(v, "true") == 0);
}

static emu_rc list(emu_call *call)
{
    emu_decisions *r = call->server->decisions;
    bool denied = flag(call, "denied"), would = flag(call, "would_deny");
    const char *principal = query_param(call, "principal");
    const char *action = query_param(call, "action");
    const char *service = query_param(call, "service");
    const char *limit_s = query_param(call, "limit");
    long limit = 100;
    if (limit_s) {
        char *end;
        limit = strtol(limit_s, &end, 10);
        if (!*limit_s || *end || limit < 1)
            return emu_admin_error(call, 400, "InvalidParameter",
                                   "limit must be a positive integer, not \"%.40s\"", limit_s);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "decisions");
    size_t n = emu_decisions_count(r), shown = 0;
    for (size_t i = 0; i < n && (long)shown < limit; i++) {
        const emu_decision *d = emu_decisions_at(r, i);
        if (!d)
            continue;
        /* denied=1 and would_deny=1 together: either kind. */
        if ((denied || would) &&
            !((denied && emu_decision_denied(d)) || (would && emu_decision_would_deny(d))))
            continue;
        if (service && *service && !ieq(d->service, service))
            continue;
        if (!emu_decision_matches(d, principal, action))
            continue;
        cJSON_AddItemToArray(arr, emu_decision_to_json(d, false));
        shown++;
    }
    cJSON_AddNumberToObject(o, "count", (double)shown);
    cJSON_AddNumberToObject(o, "held", (double)n);
    cJSON_AddNumberToObject(o, "capacity", (double)emu_decisions_capacity(r));
    cJSON_AddNumberToObject(o, "total", (double)emu_decisions_total(r));
    return emu_admin_json(call, 200, o);
}

static emu_rc decisions_get(emu_call *call, emu_str rest)
{
    if (!rest.len || emu_str_eq_c(rest, "/"))
        return list(call);
    if (rest.p[0] != '/')
        return emu_admin_error(call, 404, "NotFound", "no such admin endpoint");
    emu_str id = {rest.p + 1, rest.len - 1};
    bool bundle = false;
    const char *slash = memchr(id.p, '/', id.len);
    if (slash) {
        emu_str tail = {slash, id.len - (size_t)(slash - id.p)};
        if (!emu_str_eq_c(tail, "/bundle"))
            return emu_admin_error(call, 404, "NotFound", "no such admin endpoint");
        bundle = true;
        id.len = (size_t)(slash - id.p);
    }
    char *ids = emu_arena_strndup(call->arena, id.p, id.len > 40 ? 40 : id.len);
    const emu_decision *d = emu_decisions_find(call->server->decisions, ids);
    if (!d)
        return emu_admin_error(call, 404, "DecisionNotFound",
                               "no decision %s (unknown, or the ring of %zu has moved on; "
                               "see --decisions)",
                               ids, emu_decisions_capacity(call->server->decisions));
    return emu_admin_json(call, 200,
                          bundle ? emu_decision_bundle(d) : emu_decision_to_json(d, true));
}

static emu_rc decisions_delete(emu_call *call, emu_str rest)
{
    if (rest.len && !emu_str_eq_c(rest, "/"))
        return emu_admin_error(call, 404, "NotFound", "only the whole ring can be cleared");
    emu_decisions_clear(call->server->decisions);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "cleared", true);
    return emu_admin_json(call, 200, o);
}

emu_rc admin__simulate_route(emu_call *call, emu_str rest);
emu_rc admin__coverage_get(emu_call *call, emu_str rest);
emu_rc admin__coverage_delete(emu_call *call, emu_str rest);

void emu_decision_register_routes(void)
{
    static const emu_admin_route routes[] = {
        {"GET", "/_emu/decisions", decisions_get},
        {"DELETE", "/_emu/decisions", decisions_delete},
        {"POST", "/_emu/simulate", admin__simulate_route},
        {"GET", "/_emu/coverage", admin__coverage_get},
        {"DELETE", "/_emu/coverage", admin__coverage_delete},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        emu_admin_add_route(&routes[i]);
}
