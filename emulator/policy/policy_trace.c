/* Explaining decisions: the one-line reason (no allocation, written into a
 * caller buffer) and the JSON rendering for GET /_emu/decisions/ID (allocates;
 * off the hot path). Both read only the trace, the documents it points at and
 * the borrowed context strings. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy_int.h"

const char *policy_decision_name(policy_decision d)
{
    switch (d) {
    case POLICY_ALLOW:
        return "Allow";
    case POLICY_EXPLICIT_DENY:
        return "ExplicitDeny";
    case POLICY_IMPLICIT_DENY:
        break;
    }
    return "ImplicitDeny";
}

const char *policy_layer_name(policy_layer l)
{
    switch (l) {
    case POLICY_LAYER_IDENTITY:
        return "identity";
    case POLICY_LAYER_SESSION:
        return "session";
    case POLICY_LAYER_TRUST:
        return "trust";
    case POLICY_LAYER_CROSS_ACCOUNT:
        return "cross-account";
    case POLICY_LAYER_ROOT_RULE:
        return "root";
    case POLICY_LAYER_CONTROL:
        return "control";
    case POLICY_LAYER_MAXCOMPUTE_ACL:
        return "maxcompute-acl";
    case POLICY_LAYER_FEDERATED_TOKEN:
        return "federated-token";
    case POLICY_LAYER_NETWORK_ACL:
        return "network";
    case POLICY_LAYER_INSTANCE_POLICY:
        return "instance-policy";
    case POLICY_LAYER_NONE:
        break;
    }
    return "none";
}

const char *policy_caller_name(policy_caller c)
{
    switch (c) {
    case POLICY_CALLER_ROOT:
        return "root";
    case POLICY_CALLER_USER:
        return "user";
    case POLICY_CALLER_ROLE_SESSION:
        return "role-session";
    case POLICY_CALLER_SERVICE:
        return "service";
    }
    return "unknown";
}

static const char *principal_type_name(policy_principal_type t)
{
    switch (t) {
    case POLICY_PRINCIPAL_RAM:
        return "RAM";
    case POLICY_PRINCIPAL_SERVICE:
        return "Service";
    case POLICY_PRINCIPAL_FEDERATED:
        return "Federated";
    case POLICY_PRINCIPAL_NONE:
        break;
    }
    return "none";
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* ------------------------------------------------------------------------------------------- */
/* Bounded line writer: keeps counting past the end so the caller learns the
 * full length, like snprintf. */

typedef struct line {
    char *out;
    size_t cap;
    size_t len;
} line;

__attribute__((format(printf, 2, 3))) static void put(line *l, const char *fmt, ...)
{
    va_list ap;
    size_t room = l->len < l->cap ? l->cap - l->len : 0;
    va_start(ap, fmt);
    int n = vsnprintf(room ? l->out + l->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n;
}

static void put_label(line *l, const policy_doc_t *doc)
{
    if (doc->name[0])
        put(l, "%s policy %s%s%s", doc->type[0] ? doc->type : "", doc->name,
            doc->version[0] ? " " : "", doc->version);
    else if (doc->kind == POLICY_KIND_SESSION)
        put(l, "session policy");
    else
        put(l, "%s policy",
            doc->kind == POLICY_KIND_TRUST      ? "trust"
            : doc->kind == POLICY_KIND_RESOURCE ? "instance"
                                                : "unnamed");
}

/* "Custom policy X v2 /Statement/1 (Sid s)"; an unnamed trust document is
 * already introduced as "trust policy of <role>", so it gets the pointer only. */
static void put_stmt(line *l, const policy_doc_t *doc, int stmt)
{
    char ptr[32];
    if (doc->name[0] || doc->kind != POLICY_KIND_TRUST) {
        put_label(l, doc);
        put(l, " ");
    }
    put(l, "%s", policy_doc_statement_pointer(doc, (size_t)stmt, ptr, sizeof ptr));
    if (doc->stmts[stmt].sid)
        put(l, " (Sid %s)", doc->stmts[stmt].sid);
}

static void put_list(line *l, const char *const *v, size_t n)
{
    put(l, "[");
    for (size_t i = 0; i < n; i++)
        put(l, "%s%s", i ? ", " : "", nz(v[i]));
    put(l, "]");
}

static void put_patterns(line *l, const pol_pat *p, size_t n)
{
    put(l, "[");
    for (size_t i = 0; i < n; i++)
        put(l, "%s%s", i ? ", " : "", p[i].text);
    put(l, "]");
}

/* "service 12345@odps.aliyuncs.com, RAM acs:ram::56789:root" */
static void put_principals(line *l, const pol_stmt *st)
{
    for (size_t i = 0; i < st->n_princs; i++) {
        const pol_princ *p = &st->princs[i];
        const char *kind = p->type == POLICY_PRINCIPAL_SERVICE     ? "service"
                           : p->type == POLICY_PRINCIPAL_FEDERATED ? "federated"
                                                                   : "RAM";
        put(l, "%s%s %s", i ? ", " : "", kind, p->text);
    }
}

static void put_caller(line *l, const policy_principal *p)
{
    if (p->type == POLICY_PRINCIPAL_NONE || !p->value)
        put(l, "no principal");
    else if (p->type == POLICY_PRINCIPAL_SERVICE)
        put(l, "%s", p->value);
    else
        put(l, "%s %s", principal_type_name(p->type), p->value);
}

/* What did not match in the closest statement of an implicit deny. */
static void put_mismatch(line *l, const policy_trace *t, const policy_trace_eval *e)
{
    const policy_doc_t *doc = e->closest_doc;
    const pol_stmt *st = &doc->stmts[e->closest_stmt];
    const policy_trace_stmt *ts = e->closest_trace >= 0 ? &t->stmts[e->closest_trace] : NULL;
    bool first = true;

    if (!ts)
        return;
    if (ts->action == POLICY_TRI_NO) {
        put(l, ": action %s %s ", nz(e->action),
            st->not_action ? "is excluded by NotAction" : "is not in Action");
        put_patterns(l, st->actions, st->n_actions);
        first = false;
    }
    if (ts->resource == POLICY_TRI_NO) {
        put(l, "%s resource %s %s ", first ? ":" : ";", nz(e->resource),
            st->not_resource ? "is excluded by NotResource" : "is not in Resource");
        put_patterns(l, st->resources, st->n_resources);
        first = false;
    }
    if (ts->principal == POLICY_TRI_NO) {
        put(l, "%s allows ", first ? ":" : ";");
        put_principals(l, st);
        put(l, "; caller is ");
        put_caller(l, &e->principal);
        first = false;
    }
    if (ts->condition == POLICY_TRI_NO) {
        for (size_t i = 0; i < ts->n_conds; i++) {
            const policy_trace_cond *c = &t->conds[ts->first_cond + i];
            if (c->result)
                continue;
            put(l, "%s condition %s %s ", first ? ":" : ";", c->op, c->key);
            put_list(l, c->expected, c->n_expected);
            if (!c->actual) {
                put(l, " failed: key missing from the request");
            } else {
                put(l, " failed: request has ");
                put_list(l, c->actual, c->n_actual);
                if (c->bad_value)
                    put(l, " (not a valid value for the operator)");
            }
            first = false;
        }
    }
}

static const policy_trace_eval *eval_of_layer(const policy_trace *t, policy_layer layer)
{
    for (size_t i = t->n_evals; i-- > 0;)
        if (t->evals[i].layer == layer)
            return &t->evals[i];
    return NULL;
}

/* ---- network ACL ---- */

static const uint8_t NET_BITS[] = {POLICY_NET_INTERNET, POLICY_NET_VPC, POLICY_NET_CLASSIC};

const char *policy_network_type_name(uint8_t bit)
{
    switch (bit) {
    case POLICY_NET_INTERNET:
        return "INTERNET";
    case POLICY_NET_VPC:
        return "VPC";
    case POLICY_NET_CLASSIC:
        return "CLASSIC";
    default:
        return "?";
    }
}

bool policy_network_type_parse(const char *s, size_t len, uint8_t *bit)
{
    for (size_t i = 0; i < sizeof NET_BITS; i++) {
        const char *n = policy_network_type_name(NET_BITS[i]);
        if (len == strlen(n) && strncasecmp(s, n, len) == 0) {
            *bit = NET_BITS[i];
            return true;
        }
    }
    return false;
}

bool policy_network_origin_parse(const char *s, size_t len, policy_network *n)
{
    if (len == 11 && strncasecmp(s, "trust-proxy", 11) == 0) {
        n->type = POLICY_NET_INTERNET;
        n->trust_proxy = true;
        return true;
    }
    n->trust_proxy = false;
    return policy_network_type_parse(s, len, &n->type);
}

size_t policy_network_acl_text(uint8_t bits, bool sources, char *out, size_t cap)
{
    line l = {out, cap, 0};
    if (cap)
        out[0] = '\0';
    put(&l, "[");
    bool first = true;
    if (sources) {
        if (bits & POLICY_NETSRC_TRUST_PROXY)
            put(&l, "TRUST_PROXY");
    } else {
        for (size_t i = 0; i < sizeof NET_BITS; i++)
            if (bits & NET_BITS[i]) {
                put(&l, "%s%s", first ? "" : ", ", policy_network_type_name(NET_BITS[i]));
                first = false;
            }
    }
    put(&l, "]");
    return l.len;
}

/* "network INTERNET is not in the network type ACL [VPC] of instance cap1
 * (and no trusted proxy relayed it)". */
static void reason_network(line *l, const policy_trace *t)
{
    const policy_network *n = &t->network;
    char types[48], srcs[24];
    policy_network_acl_text(n->type_acl, false, types, sizeof types);
    policy_network_acl_text(n->source_acl, true, srcs, sizeof srcs);
    put(l, "network %s", policy_network_type_name(n->type));
    if (n->source_vpc)
        put(l, " (%s)", n->source_vpc);
    put(l, " is not in the network type ACL %s of instance %s", types, nz(n->instance));
    if (!n->trust_proxy)
        put(l, ", and no trusted proxy relayed the request");
    else
        put(l, ", and the network source ACL %s does not allow TRUST_PROXY", srcs);
    put(l, ": %s", nz(t->rule));
}

/* Another account's instance whose instance policy did not allow the
 * caller: name the policy and its closest statement. false when the trace
 * has no instance-policy evaluation. */
static bool reason_cross_rp(line *l, const policy_trace *t)
{
    const policy_trace_eval *e = eval_of_layer(t, POLICY_LAYER_INSTANCE_POLICY);
    if (!e || e->decision == POLICY_ALLOW)
        return false;
    put(l, "the instance policy of %s does not allow ", nz(e->resource));
    put_caller(l, &e->principal);
    put(l, " to %s", nz(e->action));
    if (e->closest_doc) {
        put(l, " (closest ");
        put_stmt(l, e->closest_doc, e->closest_stmt);
        put_mismatch(l, t, e);
        put(l, ")");
    }
    put(l, "; %s of account %s reaches resources of account %s only through it",
        policy_caller_name(t->caller), nz(t->caller_account), nz(t->resource_account));
    return true;
}

static void reason_rule(line *l, const policy_trace *t)
{
    const char *ca = nz(t->caller_account), *ra = nz(t->resource_account);
    switch (t->layer) {
    case POLICY_LAYER_NETWORK_ACL:
        if (t->has_network && t->decision != POLICY_ALLOW)
            reason_network(l, t);
        else
            put(l, "%s", nz(t->rule));
        return;
    case POLICY_LAYER_ROOT_RULE:
        if (t->decision == POLICY_ALLOW)
            put(l, "root of account %s may do anything on its own account", ca);
        else
            put(l, "%s (caller is the root of account %s)", nz(t->rule), ca);
        return;
    case POLICY_LAYER_CROSS_ACCOUNT:
        if (reason_cross_rp(l, t))
            return;
        if (t->has_caller && t->caller == POLICY_CALLER_ROOT)
            put(l, "root of account %s has no rights on resources of account %s", ca, ra);
        else
            put(l,
                "%s of account %s cannot use its identity policies on resources of account %s; "
                "cross-account access needs a role",
                policy_caller_name(t->caller), ca, ra);
        return;
    default:
        put(l, "%s", nz(t->rule));
        return;
    }
}

size_t policy_trace_reason(const policy_trace *t, char *out, size_t cap)
{
    line l = {out, cap, 0};
    const policy_trace_eval *e = eval_of_layer(t, t->layer);

    if (cap)
        out[0] = '\0';
    if (t->layer == POLICY_LAYER_ROOT_RULE || t->layer == POLICY_LAYER_CROSS_ACCOUNT ||
        t->layer == POLICY_LAYER_NETWORK_ACL || (t->rule && !e)) {
        reason_rule(&l, t);
        return l.len;
    }
    if (!e) {
        put(&l, "%s: no evaluation recorded", policy_decision_name(t->decision));
        return l.len;
    }
    bool trust = e->layer == POLICY_LAYER_TRUST;
    if (e->layer == POLICY_LAYER_CONTROL && t->decision != POLICY_ALLOW) {
        /* A control policy bounds the member account: name the directory
         * node whose policies refused. */
        if (t->decision == POLICY_EXPLICIT_DENY && e->decider_doc) {
            put(&l, "explicit deny of %s on %s in ", nz(e->action), nz(e->resource));
            put_stmt(&l, e->decider_doc, e->decider_stmt);
            put(&l, ", a control policy attached to %s", nz(e->scope));
        } else {
            put(&l, "no control policy attached to %s allows %s on %s", nz(e->scope), nz(e->action),
                nz(e->resource));
            if (e->n_docs == 0 && !t->truncated) {
                put(&l, " (no control policy is attached there)");
            } else if (e->closest_doc) {
                put(&l, " (closest ");
                put_stmt(&l, e->closest_doc, e->closest_stmt);
                put_mismatch(&l, t, e);
                put(&l, ")");
            }
        }
        return l.len;
    }
    if (t->decision == POLICY_ALLOW && e->decider_doc) {
        if (trust) {
            put(&l, "trust policy of %s allows ", nz(e->resource));
            put_caller(&l, &e->principal);
            put(&l, " to %s (", nz(e->action));
            put_stmt(&l, e->decider_doc, e->decider_stmt);
            put(&l, ")");
        } else if (e->layer == POLICY_LAYER_INSTANCE_POLICY) {
            put(&l, "instance policy allows ");
            put_caller(&l, &e->principal);
            put(&l, " to %s on %s (", nz(e->action), nz(e->resource));
            put_stmt(&l, e->decider_doc, e->decider_stmt);
            put(&l, ")");
        } else {
            put(&l, "%s allows %s on %s (",
                e->layer == POLICY_LAYER_SESSION ? "session policy" : "identity policy",
                nz(e->action), nz(e->resource));
            put_stmt(&l, e->decider_doc, e->decider_stmt);
            put(&l, ")");
        }
    } else if (t->decision == POLICY_EXPLICIT_DENY && e->decider_doc) {
        if (trust)
            put(&l, "explicit deny of %s in trust policy of %s ", nz(e->action), nz(e->resource));
        else
            put(&l, "explicit deny of %s on %s in ", nz(e->action), nz(e->resource));
        put_stmt(&l, e->decider_doc, e->decider_stmt);
        if (trust || e->layer == POLICY_LAYER_INSTANCE_POLICY) {
            put(&l, "; caller is ");
            put_caller(&l, &e->principal);
        }
    } else if (trust) {
        /* The classic case: the trust policy names someone else. */
        put(&l, "trust policy of %s", nz(e->resource));
        if (e->closest_doc) {
            const pol_stmt *st = &e->closest_doc->stmts[e->closest_stmt];
            const policy_trace_stmt *ts =
                e->closest_trace >= 0 ? &t->stmts[e->closest_trace] : NULL;
            if (ts && ts->principal == POLICY_TRI_NO) {
                put(&l, " allows ");
                put_principals(&l, st);
                put(&l, "; caller is ");
                put_caller(&l, &e->principal);
                if (ts->action == POLICY_TRI_NO)
                    put(&l, "; and action %s is not allowed", nz(e->action));
            } else {
                put(&l, " does not allow ");
                put_caller(&l, &e->principal);
                put(&l, " (closest ");
                put_stmt(&l, e->closest_doc, e->closest_stmt);
                put_mismatch(&l, t, e);
                put(&l, ")");
            }
        } else if (t->rule) {
            put(&l, ": %s", t->rule);
        } else {
            put(&l, " has no Allow statement for ");
            put_caller(&l, &e->principal);
        }
    } else {
        const char *what = e->layer == POLICY_LAYER_SESSION ? "session policy" : "identity policy";
        put(&l, "no %s allows %s on %s", what, nz(e->action), nz(e->resource));
        if (e->n_docs == 0 && !t->truncated) {
            put(&l, " (the caller has no policies)");
        } else if (e->closest_doc) {
            put(&l, " (closest ");
            put_stmt(&l, e->closest_doc, e->closest_stmt);
            put_mismatch(&l, t, e);
            put(&l, ")");
        }
    }
    return l.len;
}

/* ------------------------------------------------------------------------------------------- */
/* JSON */

static void add_tri(cJSON *o, const char *name, policy_tri v)
{
    if (v == POLICY_TRI_NA)
        cJSON_AddNullToObject(o, name);
    else
        cJSON_AddBoolToObject(o, name, v == POLICY_TRI_YES);
}

static cJSON *string_array(const char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(nz(v[i])));
    return a;
}

static cJSON *stmt_ref(const policy_doc_t *doc, int stmt)
{
    char ptr[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "policy", doc->name);
    cJSON_AddStringToObject(o, "type", doc->type);
    cJSON_AddStringToObject(o, "version", doc->version);
    cJSON_AddStringToObject(o, "pointer",
                            policy_doc_statement_pointer(doc, (size_t)stmt, ptr, sizeof ptr));
    if (doc->stmts[stmt].sid)
        cJSON_AddStringToObject(o, "sid", doc->stmts[stmt].sid);
    return o;
}

static cJSON *principal_json(const policy_principal *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", principal_type_name(p->type));
    cJSON_AddStringToObject(o, "value", nz(p->value));
    return o;
}

static const char *kind_name(policy_kind k)
{
    return k == POLICY_KIND_TRUST      ? "trust"
           : k == POLICY_KIND_SESSION  ? "session"
           : k == POLICY_KIND_RESOURCE ? "instance"
                                       : "permission";
}

static cJSON *stmt_json(const policy_trace *t, const policy_trace_stmt *s)
{
    const policy_doc_t *doc = t->docs[s->doc].doc;
    char ptr[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", s->index);
    cJSON_AddStringToObject(o, "pointer",
                            policy_doc_statement_pointer(doc, s->index, ptr, sizeof ptr));
    if (s->sid)
        cJSON_AddStringToObject(o, "sid", s->sid);
    cJSON_AddStringToObject(o, "effect", s->deny ? "Deny" : "Allow");
    add_tri(o, "action", s->action);
    add_tri(o, "resource", s->resource);
    add_tri(o, "principal", s->principal);
    add_tri(o, "condition", s->condition);
    cJSON_AddBoolToObject(o, "applies", s->applies);
    cJSON *conds = cJSON_AddArrayToObject(o, "conditions");
    for (size_t i = 0; i < s->n_conds; i++) {
        const policy_trace_cond *c = &t->conds[s->first_cond + i];
        cJSON *co = cJSON_CreateObject();
        cJSON_AddStringToObject(co, "operator", c->op);
        cJSON_AddStringToObject(co, "key", c->key);
        cJSON_AddItemToObject(co, "expected", string_array(c->expected, c->n_expected));
        if (c->actual)
            cJSON_AddItemToObject(co, "actual", string_array(c->actual, c->n_actual));
        else
            cJSON_AddNullToObject(co, "actual");
        cJSON_AddBoolToObject(co, "missing", c->actual == NULL);
        if (c->bad_value)
            cJSON_AddBoolToObject(co, "badValue", true);
        cJSON_AddBoolToObject(co, "result", c->result);
        cJSON_AddItemToArray(conds, co);
    }
    return o;
}

cJSON *policy_network_json(const policy_network *n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "instance", nz(n->instance));
    cJSON_AddStringToObject(o, "type", policy_network_type_name(n->type));
    if (n->source_vpc)
        cJSON_AddStringToObject(o, "sourceVpc", n->source_vpc);
    cJSON_AddBoolToObject(o, "trustProxy", n->trust_proxy);
    if (n->has_type_acl) {
        cJSON *a = cJSON_AddArrayToObject(o, "networkTypeACL");
        for (size_t i = 0; i < sizeof NET_BITS; i++)
            if (n->type_acl & NET_BITS[i])
                cJSON_AddItemToArray(a, cJSON_CreateString(policy_network_type_name(NET_BITS[i])));
    }
    if (n->has_source_acl) {
        cJSON *a = cJSON_AddArrayToObject(o, "networkSourceACL");
        if (n->source_acl & POLICY_NETSRC_TRUST_PROXY)
            cJSON_AddItemToArray(a, cJSON_CreateString("TRUST_PROXY"));
    }
    cJSON_AddBoolToObject(o, "allowed", policy_network_allows(n));
    return o;
}

bool policy_network_from_json(const cJSON *j, policy_network *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type"));
    if (!cJSON_IsObject(j) || !type || !policy_network_type_parse(type, strlen(type), &out->type)) {
        snprintf(err, cap, "network.type must be INTERNET, VPC or CLASSIC");
        return false;
    }
    out->instance = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "instance"));
    out->source_vpc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "sourceVpc"));
    out->trust_proxy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "trustProxy"));
    const cJSON *ta = cJSON_GetObjectItemCaseSensitive(j, "networkTypeACL");
    const cJSON *sa = cJSON_GetObjectItemCaseSensitive(j, "networkSourceACL");
    const cJSON *x;
    if (ta) {
        out->has_type_acl = true;
        cJSON_ArrayForEach(x, ta)
        {
            uint8_t bit;
            if (!cJSON_IsString(x) ||
                !policy_network_type_parse(x->valuestring, strlen(x->valuestring), &bit)) {
                snprintf(err, cap, "network.networkTypeACL: INTERNET, VPC or CLASSIC only");
                return false;
            }
            out->type_acl |= bit;
        }
    }
    if (sa) {
        out->has_source_acl = true;
        cJSON_ArrayForEach(x, sa)
        {
            if (!cJSON_IsString(x) || strcasecmp(x->valuestring, "TRUST_PROXY") != 0) {
                snprintf(err, cap, "network.networkSourceACL: TRUST_PROXY only");
                return false;
            }
            out->source_acl |= POLICY_NETSRC_TRUST_PROXY;
        }
    }
    if ((ta && !cJSON_IsArray(ta)) || (sa && !cJSON_IsArray(sa))) {
        snprintf(err, cap, "network.networkTypeACL / networkSourceACL must be arrays");
        return false;
    }
    return true;
}

cJSON *policy_trace_to_json(const policy_trace *t)
{
    char reason[1024];
    cJSON *root = cJSON_CreateObject();

    cJSON_AddStringToObject(root, "decision", policy_decision_name(t->decision));
    cJSON_AddStringToObject(root, "layer", policy_layer_name(t->layer));
    policy_trace_reason(t, reason, sizeof reason);
    cJSON_AddStringToObject(root, "reason", reason);
    if (t->rule)
        cJSON_AddStringToObject(root, "rule", t->rule);
    if (t->has_caller) {
        cJSON *c = cJSON_AddObjectToObject(root, "caller");
        cJSON_AddStringToObject(c, "kind", policy_caller_name(t->caller));
        cJSON_AddStringToObject(c, "account", nz(t->caller_account));
        cJSON_AddStringToObject(root, "resourceAccount", nz(t->resource_account));
    }
    if (t->has_network)
        cJSON_AddItemToObject(root, "network", policy_network_json(&t->network));
    cJSON_AddBoolToObject(root, "truncated", t->truncated);
    cJSON *evals = cJSON_AddArrayToObject(root, "evaluations");
    for (size_t i = 0; i < t->n_evals; i++) {
        const policy_trace_eval *e = &t->evals[i];
        cJSON *eo = cJSON_CreateObject();
        cJSON_AddStringToObject(eo, "layer", policy_layer_name(e->layer));
        if (e->scope)
            cJSON_AddStringToObject(eo, "attachedTo", e->scope);
        cJSON_AddStringToObject(eo, "action", nz(e->action));
        cJSON_AddStringToObject(eo, "resource", nz(e->resource));
        if (e->principal.type != POLICY_PRINCIPAL_NONE)
            cJSON_AddItemToObject(eo, "principal", principal_json(&e->principal));
        cJSON_AddStringToObject(eo, "decision", policy_decision_name(e->decision));
        if (e->decider_doc)
            cJSON_AddItemToObject(eo, "decidingStatement",
                                  stmt_ref(e->decider_doc, e->decider_stmt));
        if (e->closest_doc)
            cJSON_AddItemToObject(eo, "closestStatement",
                                  stmt_ref(e->closest_doc, e->closest_stmt));
        cJSON *docs = cJSON_AddArrayToObject(eo, "documents");
        for (size_t d = e->first_doc; d < (size_t)e->first_doc + e->n_docs; d++) {
            const policy_trace_doc *td = &t->docs[d];
            cJSON *dj = cJSON_CreateObject();
            cJSON_AddStringToObject(dj, "name", td->doc->name);
            cJSON_AddStringToObject(dj, "type", td->doc->type);
            cJSON_AddStringToObject(dj, "version", td->doc->version);
            cJSON_AddStringToObject(dj, "kind", kind_name(td->doc->kind));
            cJSON_AddStringToObject(dj, "decision", policy_decision_name(td->decision));
            cJSON *stmts = cJSON_AddArrayToObject(dj, "statements");
            for (size_t s = td->first_stmt; s < (size_t)td->first_stmt + td->n_stmts; s++)
                cJSON_AddItemToArray(stmts, stmt_json(t, &t->stmts[s]));
            cJSON_AddItemToArray(docs, dj);
        }
        cJSON_AddItemToArray(evals, eo);
    }
    return root;
}
