/* Policy evaluation (ram-policy.md §4, §5).
 *
 * Contract: evaluation reads compiled documents and a caller-filled context
 * and never allocates. Everything that needed parsing on the policy side was
 * parsed by the compiler; request values (numbers, dates, IPs) are parsed on
 * the stack. The optional trace is a fixed-size struct; when it fills up,
 * recording stops (trace->truncated) but the decision is still computed over
 * every statement.
 *
 * Semantics worth knowing:
 *  - explicit Deny beats Allow beats implicit deny, across every document of
 *    one evaluation, independent of order (§5.1);
 *  - actions match case-insensitively, resources case-sensitively except the
 *    role-name part of RAM role ARNs (§3.2, §3.3);
 *  - a condition key missing from the request fails positive operators and
 *    satisfies negated ones (§4.1 [inferred]);
 *  - a request key with several values: a positive operator holds when any
 *    request value matches any policy value; a negated operator holds when no
 *    request value matches any policy value [inferred: single-valued keys are
 *    the documented case, this keeps both readings of "matches none"];
 *  - a request value that does not parse for a typed operator (Numeric*,
 *    Date*, Bool, IpAddress) matches nothing, and makes a negated operator
 *    fail rather than succeed [inferred: garbage in the context must never
 *    open access through a negation]. */
#include <string.h>

#include "policy_int.h"

/* ------------------------------------------------------------------------------------------- */
/* Trace recording: bounded appends, never allocate. */

static policy_trace_eval *trace_eval(policy_trace *t, policy_layer layer, const policy_ctx *ctx)
{
    if (!t)
        return NULL;
    if (t->n_evals == POLICY_TRACE_MAX_EVALS) {
        t->truncated = true;
        return NULL;
    }
    policy_trace_eval *e = &t->evals[t->n_evals++];
    memset(e, 0, sizeof *e);
    e->layer = layer;
    e->action = ctx->action;
    e->resource = ctx->resource;
    e->principal = ctx->principal;
    e->decider_stmt = -1;
    e->closest_stmt = -1;
    e->closest_trace = -1;
    e->first_doc = (uint16_t)t->n_docs;
    return e;
}

static policy_trace_doc *trace_doc(policy_trace *t, policy_trace_eval *e, const policy_doc_t *doc)
{
    if (!t || !e)
        return NULL;
    if (t->n_docs == POLICY_TRACE_MAX_DOCS) {
        t->truncated = true;
        return NULL;
    }
    policy_trace_doc *d = &t->docs[t->n_docs++];
    memset(d, 0, sizeof *d);
    d->doc = doc;
    d->eval = (uint16_t)(e - t->evals);
    d->first_stmt = (uint16_t)t->n_stmts;
    e->n_docs++;
    return d;
}

static policy_trace_stmt *trace_stmt(policy_trace *t, policy_trace_doc *d)
{
    if (!t || !d)
        return NULL;
    if (t->n_stmts == POLICY_TRACE_MAX_STMTS) {
        t->truncated = true;
        return NULL;
    }
    policy_trace_stmt *s = &t->stmts[t->n_stmts++];
    memset(s, 0, sizeof *s);
    s->doc = (uint16_t)(d - t->docs);
    s->first_cond = (uint16_t)t->n_conds;
    d->n_stmts++;
    return s;
}

static policy_trace_cond *trace_cond(policy_trace *t, policy_trace_stmt *s)
{
    if (!t || !s)
        return NULL;
    if (t->n_conds == POLICY_TRACE_MAX_CONDS) {
        t->truncated = true;
        return NULL;
    }
    policy_trace_cond *c = &t->conds[t->n_conds++];
    memset(c, 0, sizeof *c);
    s->n_conds++;
    return c;
}

void policy_trace_init(policy_trace *t)
{
    /* Only the header needs clearing; entries are initialised on append. */
    t->decision = POLICY_IMPLICIT_DENY;
    t->layer = POLICY_LAYER_NONE;
    t->rule = NULL;
    t->caller = POLICY_CALLER_USER;
    t->caller_account = NULL;
    t->resource_account = NULL;
    t->has_caller = false;
    t->truncated = false;
    t->has_network = false;
    t->n_evals = t->n_docs = t->n_stmts = t->n_conds = 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Conditions */

static const char *const *find_key(const policy_ctx *ctx, const char *key, size_t *n)
{
    emu_str k = emu_str_c(key);
    for (size_t i = 0; i < ctx->n_keys; i++) {
        const policy_ckey *ck = &ctx->keys[i];
        if (ck->key && ck->n_values > 0 && emu_str_ieq(emu_str_c(ck->key), k)) {
            *n = ck->n_values;
            return ck->values;
        }
    }
    *n = 0;
    return NULL;
}

/* A request value parsed for the operator's type. */
typedef struct req_val {
    const char *s;
    size_t len;
    union {
        double num;
        int64_t ms;
        bool b;
        pol_ip ip;
    } u;
} req_val;

static bool parse_req(pol_vtype type, const char *s, req_val *rv)
{
    rv->s = s;
    rv->len = strlen(s);
    switch (type) {
    case POL_VT_STRING:
        return true;
    case POL_VT_NUMBER:
        return policy__parse_number(s, rv->len, &rv->u.num);
    case POL_VT_DATE:
        return policy__parse_date(s, rv->len, &rv->u.ms);
    case POL_VT_BOOL:
        return policy__parse_bool(s, rv->len, &rv->u.b);
    case POL_VT_IP:
        /* The request carries an address, not a block. */
        return policy__parse_ip(s, rv->len, false, &rv->u.ip);
    }
    return false; /* can't happen */
}

/* Positive comparison "request value OP policy value"; negated operators use
 * their positive counterpart and the caller inverts. */
static bool compare(pol_op op, const req_val *rv, const pol_val *pv)
{
    switch (op) {
    case POL_OP_STRING_EQUALS:
    case POL_OP_STRING_NOT_EQUALS:
        return rv->len == pv->len && memcmp(rv->s, pv->text, rv->len) == 0;
    case POL_OP_STRING_EQUALS_IC:
    case POL_OP_STRING_NOT_EQUALS_IC:
        return emu_str_ieq((emu_str){rv->s, rv->len}, (emu_str){pv->text, pv->len});
    case POL_OP_STRING_LIKE:
    case POL_OP_STRING_NOT_LIKE:
        return policy__glob(pv->text, pv->len, rv->s, rv->len, SIZE_MAX);
    case POL_OP_NUM_EQ:
    case POL_OP_NUM_NE:
        return rv->u.num == pv->u.num;
    case POL_OP_NUM_LT:
        return rv->u.num < pv->u.num;
    case POL_OP_NUM_LE:
        return rv->u.num <= pv->u.num;
    case POL_OP_NUM_GT:
        return rv->u.num > pv->u.num;
    case POL_OP_NUM_GE:
        return rv->u.num >= pv->u.num;
    case POL_OP_DATE_EQ:
    case POL_OP_DATE_NE:
        return rv->u.ms == pv->u.ms;
    case POL_OP_DATE_LT:
        return rv->u.ms < pv->u.ms;
    case POL_OP_DATE_LE:
        return rv->u.ms <= pv->u.ms;
    case POL_OP_DATE_GT:
        return rv->u.ms > pv->u.ms;
    case POL_OP_DATE_GE:
        return rv->u.ms >= pv->u.ms;
    case POL_OP_BOOL:
        return rv->u.b == pv->u.b;
    case POL_OP_IP:
    case POL_OP_NOT_IP:
        return policy__ip_in(&pv->u.ip, &rv->u.ip);
    case POL_OP_COUNT:
        break;
    }
    return false; /* can't happen */
}

static bool eval_cond(const pol_cond *cd, const policy_ctx *ctx, policy_trace_cond *tc)
{
    const pol_opinfo *oi = &policy__ops[cd->op];
    size_t n;
    const char *const *vals = find_key(ctx, cd->key, &n);
    bool any = false, bad = false, result;

    if (!vals) {
        result = oi->negated;
    } else {
        for (size_t i = 0; i < n && !any; i++) {
            req_val rv;
            if (!vals[i] || !parse_req(oi->type, vals[i], &rv)) {
                bad = true;
                continue;
            }
            for (size_t j = 0; j < cd->n_vals && !any; j++)
                any = compare(cd->op, &rv, &cd->vals[j]);
        }
        result = oi->negated ? (!any && !bad) : any;
    }
    if (tc) {
        tc->op = oi->name;
        tc->key = cd->key;
        tc->expected = cd->texts;
        tc->n_expected = cd->n_vals;
        tc->actual = vals;
        tc->n_actual = n;
        tc->bad_value = bad;
        tc->result = result;
    }
    return result;
}

/* ------------------------------------------------------------------------------------------- */
/* Statements */

static bool action_matches(const pol_stmt *st, const char *action)
{
    bool any = false;
    size_t alen = action ? strlen(action) : 0;
    for (size_t i = 0; action && i < st->n_actions && !any; i++)
        any = policy__glob(st->actions[i].p, st->actions[i].len, action, alen, 0);
    return st->not_action ? (action && !any) : any;
}

static bool resource_matches(const pol_stmt *st, const char *res)
{
    bool any = false;
    size_t rlen = res ? strlen(res) : 0;
    size_t fold = res ? policy__role_fold_from(res, rlen) : SIZE_MAX;
    for (size_t i = 0; res && i < st->n_resources && !any; i++)
        any = policy__glob(st->resources[i].p, st->resources[i].len, res, rlen, fold);
    return st->not_resource ? (res && !any) : any;
}

static bool principal_matches(const pol_stmt *st, const policy_ctx *ctx, emu_str owner)
{
    for (size_t i = 0; i < st->n_princs; i++)
        if (policy__principal_match(&st->princs[i], &ctx->principal, owner))
            return true;
    return false;
}

static bool resource_principal_matches(const pol_stmt *st, const policy_ctx *ctx, emu_str owner)
{
    for (size_t i = 0; i < st->n_princs; i++)
        if (policy__resource_principal_match(&st->princs[i], &ctx->principal, owner))
            return true;
    return false;
}

/* Owner account of the resource: explicit, else the ARN's 4th field. */
static emu_str owner_account(const policy_ctx *ctx)
{
    if (ctx->resource_account)
        return emu_str_c(ctx->resource_account);
    const char *r = ctx->resource;
    if (!r || strncmp(r, "acs:", 4) != 0)
        return EMU_STR_NULL;
    const char *p = r;
    for (int field = 0; field < 3; field++) {
        p = strchr(p, ':');
        if (!p)
            return EMU_STR_NULL;
        p++;
    }
    const char *end = strchr(p, ':');
    return end ? (emu_str){p, (size_t)(end - p)} : EMU_STR_NULL;
}

static inline policy_tri tri(bool b)
{
    return b ? POLICY_TRI_YES : POLICY_TRI_NO;
}

/* Evaluates statement st and returns whether it applies; *score ranks the
 * matched parts (action, resource/principal, condition block) for the
 * "closest statement" of an implicit deny. */
static bool eval_stmt(const policy_doc_t *doc, const pol_stmt *st, const policy_ctx *ctx,
                      emu_str owner, policy_trace *t, policy_trace_stmt *ts, int *score)
{
    bool act = action_matches(st, ctx->action);
    bool target, who = true;
    bool conds = true;

    if (doc->kind == POLICY_KIND_TRUST) {
        target = principal_matches(st, ctx, owner);
    } else {
        target = resource_matches(st, ctx->resource);
        /* A resource policy names both: the resource and who may act on it. */
        if (doc->kind == POLICY_KIND_RESOURCE)
            who = resource_principal_matches(st, ctx, owner);
    }
    /* Conditions are evaluated, all of them (no short-circuit, so the trace
     * shows every one), only for a statement about the requested action: for
     * any other statement the action alone says why it does not apply, and
     * skipping its conditions keeps large policy sets cheap (a 20-policy,
     * condition-heavy set spends most of its time there otherwise). */
    if (act) {
        for (size_t i = 0; i < st->n_conds; i++)
            if (!eval_cond(&st->conds[i], ctx, trace_cond(t, ts)))
                conds = false;
    }
    /* Weighted so that a statement about the right action is "closer" than
     * one about another action whose resource happens to match. */
    *score = 4 * (int)act + 2 * (int)target + (int)who + (int)(act && conds);
    if (ts) {
        ts->sid = st->sid;
        ts->deny = st->deny;
        ts->action = tri(act);
        ts->resource = doc->kind == POLICY_KIND_TRUST ? POLICY_TRI_NA : tri(target);
        ts->principal = doc->kind == POLICY_KIND_TRUST      ? tri(target)
                        : doc->kind == POLICY_KIND_RESOURCE ? tri(who)
                                                            : POLICY_TRI_NA;
        ts->condition = st->n_conds && act ? tri(conds) : POLICY_TRI_NA;
        ts->applies = act && target && who && conds;
    }
    return act && target && who && conds;
}

policy_result policy_eval(const policy_doc_t *const *docs, size_t n_docs, const policy_ctx *ctx,
                          policy_layer layer, policy_trace *trace)
{
    policy_result r = {POLICY_IMPLICIT_DENY, layer, NULL, -1};
    const policy_doc_t *allow_doc = NULL;
    int allow_stmt = -1;
    const policy_doc_t *close_doc = NULL;
    int close_stmt = -1, close_trace = -1, close_score = -1;
    emu_str owner = owner_account(ctx);
    policy_trace_eval *te = trace_eval(trace, layer, ctx);

    for (size_t d = 0; d < n_docs; d++) {
        const policy_doc_t *doc = docs[d];
        if (!doc)
            continue;
        policy_trace_doc *td = trace_doc(trace, te, doc);
        bool doc_allow = false, doc_deny = false;
        for (size_t s = 0; s < doc->n_stmts; s++) {
            const pol_stmt *st = &doc->stmts[s];
            policy_trace_stmt *ts = trace_stmt(trace, td);
            int score;
            if (ts)
                ts->index = (uint16_t)s;
            bool applies = eval_stmt(doc, st, ctx, owner, trace, ts, &score);
            if (applies && st->deny) {
                doc_deny = true;
                if (r.decision != POLICY_EXPLICIT_DENY) {
                    r.decision = POLICY_EXPLICIT_DENY;
                    r.doc = doc;
                    r.stmt = (int)s;
                }
            } else if (applies) {
                doc_allow = true;
                if (!allow_doc) {
                    allow_doc = doc;
                    allow_stmt = (int)s;
                }
            } else if (!st->deny && score > close_score) {
                close_score = score;
                close_doc = doc;
                close_stmt = (int)s;
                close_trace = ts ? (int)(ts - trace->stmts) : -1;
            }
        }
        if (td)
            td->decision = doc_deny    ? POLICY_EXPLICIT_DENY
                           : doc_allow ? POLICY_ALLOW
                                       : POLICY_IMPLICIT_DENY;
    }
    if (r.decision != POLICY_EXPLICIT_DENY && allow_doc) {
        r.decision = POLICY_ALLOW;
        r.doc = allow_doc;
        r.stmt = allow_stmt;
    }
    if (te) {
        te->decision = r.decision;
        te->decider_doc = r.doc;
        te->decider_stmt = r.stmt;
        if (r.decision == POLICY_IMPLICIT_DENY) {
            te->closest_doc = close_doc;
            te->closest_stmt = close_stmt;
            te->closest_trace = close_trace;
        }
    }
    if (trace) {
        trace->decision = r.decision;
        trace->layer = layer;
    }
    return r;
}

/* ------------------------------------------------------------------------------------------- */
/* Layered decisions (§5.2-§5.4) */

static policy_result finish(policy_trace *t, policy_result r, const char *rule)
{
    if (t) {
        t->decision = r.decision;
        t->layer = r.layer;
        t->rule = rule;
    }
    return r;
}

static void trace_caller(policy_trace *t, const policy_authz *in)
{
    if (!t)
        return;
    t->has_caller = true;
    t->caller = in->caller;
    t->caller_account = in->caller_account;
    t->resource_account = in->resource_account;
}

static bool same_account(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Rule texts; policy_trace_reason expands them with the accounts. */
static const char RULE_ROOT_OWN[] = "root may do anything on its own account";
static const char RULE_ROOT_OTHER[] = "root has no rights on another account's resources";
static const char RULE_CROSS[] =
    "identity policies only grant access within the caller's own account";
static const char RULE_SERVICE[] = "a service principal holds no identity policies";
static const char RULE_ROOT_ASSUME[] = "Roles may not be assumed by root accounts.";
static const char RULE_NO_TRUST[] = "the role has no trust policy";
static const char RULE_NETWORK[] = "Request denied by instance ACL policies.";
static const char RULE_CROSS_RP[] =
    "another account's instance opens only to principals its instance policy allows";

bool policy_network_allows(const policy_network *n)
{
    if (!n->has_type_acl || (n->type_acl & n->type))
        return true;
    return n->trust_proxy && (!n->has_source_acl || (n->source_acl & POLICY_NETSRC_TRUST_PROXY));
}

/* The control levels, from the caller's account up to Root: at each level
 * an applying Deny is final, and without an applying Allow the request is
 * refused at that level. ALLOW when every level passed (or there are none). */
static policy_result control_eval(const policy_authz *in, policy_trace *trace)
{
    policy_result r = {POLICY_ALLOW, POLICY_LAYER_CONTROL, NULL, -1};
    for (size_t i = 0; i < in->n_control; i++) {
        const policy_control_level *lv = &in->control[i];
        size_t before = trace ? trace->n_evals : 0;
        r = policy_eval(lv->docs, lv->n_docs, in->ctx, POLICY_LAYER_CONTROL, trace);
        if (trace && trace->n_evals > before)
            trace->evals[trace->n_evals - 1].scope = lv->target;
        if (r.decision != POLICY_ALLOW)
            return r;
    }
    return r;
}

/* The resource's own policy (a Tablestore instance policy), with the caller
 * as the principal its statements name. The context is copied (on the
 * stack) so the other layers' evaluations keep theirs without a principal. */
static policy_result resource_eval(const policy_authz *in, policy_trace *trace)
{
    policy_ctx rctx = *in->ctx;
    rctx.principal = in->presented;
    return policy_eval(&in->resource_policy, 1, &rctx, POLICY_LAYER_INSTANCE_POLICY, trace);
}

/* Users and role sessions facing a resource policy. Documented (Tablestore
 * "Authentication process", "Use instance policies"): the session policy is
 * checked first and must allow; an instance policy's Deny has the highest
 * priority after that. [inferred] (RAM's rules for resource-based policies,
 * which Tablestore's pages do not spell out): within the owner's account an
 * Allow in either the identity policies or the instance policy grants;
 * across accounts the instance policy must allow the caller and the
 * caller's identity policies must allow the other account's resource. */
static policy_result user_with_resource_policy(const policy_authz *in, bool same,
                                               policy_trace *trace, const char **rule)
{
    policy_result sess = {POLICY_ALLOW, POLICY_LAYER_SESSION, NULL, -1};
    policy_result id, rp;

    if (in->caller == POLICY_CALLER_ROLE_SESSION && in->session)
        sess = policy_eval(&in->session, 1, in->ctx, POLICY_LAYER_SESSION, trace);
    id = policy_eval(in->identity, in->n_identity, in->ctx, POLICY_LAYER_IDENTITY, trace);
    rp = resource_eval(in, trace);
    if (sess.decision == POLICY_EXPLICIT_DENY)
        return sess;
    if (rp.decision == POLICY_EXPLICIT_DENY)
        return rp;
    if (id.decision == POLICY_EXPLICIT_DENY)
        return id;
    if (sess.decision != POLICY_ALLOW)
        return sess;
    if (same)
        return id.decision == POLICY_ALLOW || rp.decision != POLICY_ALLOW ? id : rp;
    if (rp.decision != POLICY_ALLOW) {
        *rule = RULE_CROSS_RP;
        return (policy_result){POLICY_IMPLICIT_DENY, POLICY_LAYER_CROSS_ACCOUNT, NULL, -1};
    }
    return id.decision == POLICY_ALLOW ? rp : id;
}

policy_result policy_authorize(const policy_authz *in, policy_trace *trace)
{
    policy_result r = {POLICY_IMPLICIT_DENY, POLICY_LAYER_NONE, NULL, -1};
    policy_result sess = {POLICY_ALLOW, POLICY_LAYER_SESSION, NULL, -1};
    policy_result rp = {POLICY_IMPLICIT_DENY, POLICY_LAYER_INSTANCE_POLICY, NULL, -1};
    policy_result id;
    const char *rule = NULL;

    trace_caller(trace, in);
    /* The instance's network ACL comes before any policy: Tablestore refuses
     * the request while authenticating it (OTSAuthFailed). */
    if (in->network) {
        if (trace) {
            trace->has_network = true;
            trace->network = *in->network;
        }
        if (!policy_network_allows(in->network)) {
            r.decision = POLICY_EXPLICIT_DENY;
            r.layer = POLICY_LAYER_NETWORK_ACL;
            return finish(trace, r, RULE_NETWORK);
        }
    }
    switch (in->caller) {
    case POLICY_CALLER_ROOT:
        /* [inferred] An instance policy's Deny binds the owner's root too
         * ("the highest priority during authorization"); its Allow opens
         * the instance to another account's root, which has no identity
         * policies to pass. */
        if (in->resource_policy && (rp = resource_eval(in, trace)).decision == POLICY_EXPLICIT_DENY)
            return finish(trace, rp, NULL);
        if (same_account(in->caller_account, in->resource_account)) {
            r.decision = POLICY_ALLOW;
            r.layer = POLICY_LAYER_ROOT_RULE;
            return finish(trace, r, RULE_ROOT_OWN);
        }
        if (rp.decision == POLICY_ALLOW)
            return finish(trace, rp, NULL);
        r.layer = POLICY_LAYER_CROSS_ACCOUNT;
        return finish(trace, r, RULE_ROOT_OTHER);
    case POLICY_CALLER_SERVICE:
        /* [inferred] A service principal named by an instance policy gets
         * what the policy says; otherwise §5.3: a service obtains rights
         * only by assuming a role. */
        if (in->resource_policy && (rp = resource_eval(in, trace)).decision != POLICY_IMPLICIT_DENY)
            return finish(trace, rp, NULL);
        r.layer = POLICY_LAYER_IDENTITY;
        return finish(trace, r, RULE_SERVICE);
    case POLICY_CALLER_USER:
    case POLICY_CALLER_ROLE_SESSION:
        break;
    }
    /* Control policies come first and only bound what follows. */
    if (in->n_control && (r = control_eval(in, trace)).decision != POLICY_ALLOW)
        return finish(trace, r, NULL);
    r = (policy_result){POLICY_IMPLICIT_DENY, POLICY_LAYER_NONE, NULL, -1};
    bool same = !in->resource_account || same_account(in->caller_account, in->resource_account);
    if (in->resource_policy) {
        r = user_with_resource_policy(in, same, trace, &rule);
        return finish(trace, r, rule);
    }
    /* §5.3, case 27: a Resource "*" policy in account B never opens account
     * A. A NULL resource_account means "no owner" and skips the boundary. */
    if (!same) {
        r.layer = POLICY_LAYER_CROSS_ACCOUNT;
        return finish(trace, r, RULE_CROSS);
    }
    if (in->caller == POLICY_CALLER_ROLE_SESSION && in->session)
        sess = policy_eval(&in->session, 1, in->ctx, POLICY_LAYER_SESSION, trace);
    id = policy_eval(in->identity, in->n_identity, in->ctx, POLICY_LAYER_IDENTITY, trace);

    /* Explicit deny anywhere wins; then the session policy must allow (it
     * only narrows, §5.5); then the identity decision stands. */
    if (sess.decision == POLICY_EXPLICIT_DENY)
        r = sess;
    else if (id.decision == POLICY_EXPLICIT_DENY)
        r = id;
    else if (sess.decision != POLICY_ALLOW)
        r = sess;
    else
        r = id;
    return finish(trace, r, NULL);
}

policy_result policy_assume_role(const policy_authz *in, policy_trace *trace)
{
    policy_result r = {POLICY_IMPLICIT_DENY, POLICY_LAYER_NONE, NULL, -1};
    policy_result sess = {POLICY_ALLOW, POLICY_LAYER_SESSION, NULL, -1};
    policy_result id = {POLICY_ALLOW, POLICY_LAYER_IDENTITY, NULL, -1};
    policy_result tr = {POLICY_IMPLICIT_DENY, POLICY_LAYER_TRUST, NULL, -1};
    const char *rule = NULL;

    trace_caller(trace, in);
    if (in->caller == POLICY_CALLER_ROOT) {
        /* §5.3/§5.4 step 0, case 10. Reported as an explicit refusal. */
        r.decision = POLICY_EXPLICIT_DENY;
        r.layer = POLICY_LAYER_ROOT_RULE;
        return finish(trace, r, RULE_ROOT_ASSUME);
    }
    if (in->caller != POLICY_CALLER_SERVICE && in->n_control &&
        (r = control_eval(in, trace)).decision != POLICY_ALLOW)
        return finish(trace, r, NULL);
    r = (policy_result){POLICY_IMPLICIT_DENY, POLICY_LAYER_NONE, NULL, -1};
    if (in->caller != POLICY_CALLER_SERVICE) {
        /* Decision A (steps 1-2): the caller's own right to sts:AssumeRole
         * on the role ARN; identity policies may name another account's
         * role here (that is the point of cross-account roles). */
        if (in->caller == POLICY_CALLER_ROLE_SESSION && in->session)
            sess = policy_eval(&in->session, 1, in->ctx, POLICY_LAYER_SESSION, trace);
        id = policy_eval(in->identity, in->n_identity, in->ctx, POLICY_LAYER_IDENTITY, trace);
    }
    /* Decision B (step 3): the trust policy with the caller as principal. */
    if (in->trust)
        tr = policy_eval(&in->trust, 1, in->ctx, POLICY_LAYER_TRUST, trace);
    else
        rule = RULE_NO_TRUST;

    /* Step 4: both must allow; any explicit deny wins. */
    if (sess.decision == POLICY_EXPLICIT_DENY)
        r = sess;
    else if (id.decision == POLICY_EXPLICIT_DENY)
        r = id;
    else if (tr.decision == POLICY_EXPLICIT_DENY)
        r = tr;
    else if (sess.decision != POLICY_ALLOW)
        r = sess;
    else if (id.decision != POLICY_ALLOW)
        r = id;
    else
        r = tr; /* ALLOW with the trust statement, or the trust-side implicit deny */
    return finish(trace, r, r.layer == POLICY_LAYER_TRUST ? rule : NULL);
}
