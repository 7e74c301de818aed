/* The authorize phase (see include/emu/authz.h for the contract).
 *
 * The hot path is: gather borrowed document pointers into a stack array,
 * fill a policy_ctx whose strings live on the stack or in the arena, call
 * policy_authorize with the call's trace. Nothing is parsed here; the only
 * allocation is the trace itself (once per call, from the arena) and the
 * reason text of a denial. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/crypto.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/log.h"
#include "emu/str.h"

/* User: 25 attachments (5 Custom + 20 System, rpc-api.md §9.3 limits) plus
 * 5 groups of 25 each. A world file may exceed the API limits; documents
 * past the cap are dropped with a warning rather than overflowing. */
#define AUTHZ_MAX_DOCS 160
/* Global keys plus a service's or a simulation's own. */
#define AUTHZ_MAX_KEYS 64

/* --- session policies ------------------------------------------------------
 * The STS token carries the session policy as text. Compiling it on every
 * request would parse on the hot path, so compiled documents are kept in a
 * small cache keyed by the exact text: a hit compares the text byte for
 * byte, so a stale entry can never be used for a different policy. */

#define SESSION_CACHE_SLOTS 64

typedef struct session_slot {
    uint64_t hash;
    uint64_t last_use;
    policy_doc_t *doc;
} session_slot;

static session_slot session_cache[SESSION_CACHE_SLOTS];
static uint64_t session_tick;

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The compiled session policy for `text`, or NULL when it does not compile
 * (STS validated it when the session was issued, so that is a world file
 * with a bad Sessions entry). */
static const policy_doc_t *session_doc(const char *text)
{
    size_t len = strlen(text);
    uint64_t h = fnv1a(text, len);
    session_slot *victim = &session_cache[0];

    for (size_t i = 0; i < SESSION_CACHE_SLOTS; i++) {
        session_slot *s = &session_cache[i];
        if (s->doc && s->hash == h) {
            size_t have_len;
            const char *have = policy_doc_text(s->doc, &have_len);
            if (have_len == len && memcmp(have, text, len) == 0) {
                s->last_use = ++session_tick;
                return s->doc;
            }
        }
        if (!s->doc || (victim->doc && s->last_use < victim->last_use))
            victim = s;
    }
    emu_err err = {0};
    policy_doc_t *doc = NULL;
    if (policy_compile(text, len, POLICY_KIND_SESSION, &doc, &err) != EMU_OK) {
        emu_log(EMU_LOG_WARN, "ERR MalformedPolicyDocument: session policy: %s", err.msg);
        return NULL;
    }
    policy_doc_set_label(doc, "session", "Session", NULL);
    policy_doc_free(victim->doc);
    victim->doc = doc;
    victim->hash = h;
    victim->last_use = ++session_tick;
    return doc;
}

void emu_authz_shutdown(void)
{
    for (size_t i = 0; i < SESSION_CACHE_SLOTS; i++) {
        policy_doc_free(session_cache[i].doc);
        session_cache[i].doc = NULL;
    }
}

/* --- documents ------------------------------------------------------------ */

static emu_authz_control_fn control_source;

void emu_authz_set_control_source(emu_authz_control_fn fn)
{
    control_source = fn;
}

static emu_authz_network_fn network_source;

void emu_authz_set_network_source(emu_authz_network_fn fn)
{
    network_source = fn;
}

static const emu_authz_rule_model *rule_models[EMU_AUTHZ_MAX_RULE_MODELS];
static size_t n_rule_models;

void emu_authz_add_rule_model(const emu_authz_rule_model *m)
{
    for (size_t i = 0; i < n_rule_models; i++)
        if (rule_models[i] == m)
            return;
    if (n_rule_models < EMU_AUTHZ_MAX_RULE_MODELS)
        rule_models[n_rule_models++] = m;
}

const emu_authz_rule_model *emu_authz_rule_model_for(const char *action)
{
    for (size_t i = 0; action && i < n_rule_models; i++)
        if (emu_str_istarts(emu_str_c(action), rule_models[i]->action_prefix))
            return rule_models[i];
    return NULL;
}

const emu_authz_rule_model *emu_authz_rule_model_of(policy_layer layer)
{
    for (size_t i = 0; i < n_rule_models; i++)
        if (rule_models[i]->layer == layer)
            return rule_models[i];
    return NULL;
}

const policy_doc_t *emu_authz_ref_doc(const world_account *a, const world_policy_ref *ref)
{
    if (ref->system)
        return policy_system_find(ref->name);
    const world_policy *p = world_policy_find(a, ref->name);
    if (!p || p->default_version >= p->n_versions)
        return NULL;
    return p->versions[p->default_version].compiled;
}

static size_t add_refs(const world_account *a, const world_policy_ref *refs, size_t n,
                       const policy_doc_t **out, size_t have, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        const policy_doc_t *d = emu_authz_ref_doc(a, &refs[i]);
        if (!d)
            continue;
        if (have == cap) {
            emu_log(EMU_LOG_WARN, "authz: more than %zu policies apply; the rest are ignored", cap);
            break;
        }
        out[have++] = d;
    }
    return have;
}

size_t emu_authz_user_docs(const world_account *a, const world_user *u, const policy_doc_t **out,
                           size_t cap)
{
    size_t n = add_refs(a, u->policies, u->n_policies, out, 0, cap);
    for (size_t g = 0; g < a->n_groups; g++) {
        const world_group *grp = a->groups[g];
        for (size_t m = 0; m < grp->n_members; m++) {
            if (emu_strcasecmp(grp->members[m], u->name) == 0) {
                n = add_refs(a, grp->policies, grp->n_policies, out, n, cap);
                break;
            }
        }
    }
    return n;
}

size_t emu_authz_role_docs(const world_account *a, const world_role *r, const policy_doc_t **out,
                           size_t cap)
{
    return add_refs(a, r->policies, r->n_policies, out, 0, cap);
}

/* --- the decision --------------------------------------------------------- */

/* The account field of an ARN ("acs:ots:cn-hangzhou:12345:instance/x") when
 * it is all digits, copied into out[cap]; else NULL. */
static const char *arn_account(const char *arn, char *out, size_t cap)
{
    const char *p = arn;
    for (int colons = 0; colons < 3; colons++) {
        p = p ? strchr(p, ':') : NULL;
        if (!p)
            return NULL;
        p++;
    }
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : 0;
    if (!n || n >= cap || strspn(p, "0123456789") < n)
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static const char *principal_type(emu_principal_kind k)
{
    switch (k) {
    case EMU_PRINCIPAL_ROOT:
        return "Account";
    case EMU_PRINCIPAL_USER:
        return "SubUser";
    case EMU_PRINCIPAL_SESSION:
        return "AssumedRoleUser";
    default:
        return "Service";
    }
}

policy_principal emu_authz_presented(const emu_principal *p)
{
    policy_principal pp = {POLICY_PRINCIPAL_RAM, p->arn};
    if (p->kind == EMU_PRINCIPAL_SERVICE)
        pp.type = POLICY_PRINCIPAL_SERVICE;
    else if (p->kind == EMU_PRINCIPAL_NONE || !p->arn)
        pp = (policy_principal){POLICY_PRINCIPAL_NONE, NULL};
    return pp;
}

/* rpc-api.md §7: RAM says "You are not authorized to do this action.", STS
 * appends "You should be authorized by RAM."; a root caller of AssumeRole
 * gets its own text. */
static const char *deny_message(const emu_call *call, const emu_authz_req *req, policy_layer layer)
{
    if (req->trust && layer == POLICY_LAYER_ROOT_RULE)
        return "Roles may not be assumed by root accounts.";
    if (call->svc && strcmp(call->svc->name, "sts") == 0)
        return "You are not authorized to do this action. You should be authorized by RAM.";
    return "You are not authorized to do this action.";
}

/* --- reasons --------------------------------------------------------------- */

char *emu_authz_reason(emu_arena *a, const policy_trace *t, bool assume, bool broken_session)
{
    size_t need = policy_trace_reason(t, NULL, 0);
    char *reason = emu_arena_alloc(a, need + 1);
    policy_trace_reason(t, reason, need + 1);

    /* AssumeRole: the engine reports the first layer that lacked an Allow.
     * When that was the caller's own permission and the trust policy
     * refused as well, say both. The second line comes from a copy of the
     * trace re-pointed at its trust evaluation. */
    if (assume && t->decision != POLICY_ALLOW && t->layer != POLICY_LAYER_TRUST &&
        t->layer != POLICY_LAYER_ROOT_RULE) {
        for (size_t i = t->n_evals; i-- > 0;) {
            if (t->evals[i].layer != POLICY_LAYER_TRUST)
                continue;
            if (t->evals[i].decision == POLICY_ALLOW)
                break;
            policy_trace *copy = emu_xmalloc(sizeof *copy);
            memcpy(copy, t, sizeof *copy);
            copy->decision = t->evals[i].decision;
            copy->layer = POLICY_LAYER_TRUST;
            copy->rule = NULL;
            size_t n = policy_trace_reason(copy, NULL, 0);
            char *line = emu_arena_alloc(a, n + 1);
            policy_trace_reason(copy, line, n + 1);
            free(copy);
            reason = emu_arena_sprintf(a, "%s; and %s", reason, line);
            break;
        }
    }
    if (broken_session)
        reason = emu_arena_sprintf(a, "session policy does not compile; %s", reason);
    return reason;
}

/* --- EncodedDiagnosticMessage ---------------------------------------------------
 * Version prefix 0x01 0x01 (real messages also start "AQE..." in Base64,
 * ram20150501 DecodeDiagnosticMessageRequest example), then compact JSON. */

#define DIAG_MAGIC "\x01\x01"
#define DIAG_MAX_BYTES 8192

static cJSON *diag_policy(const policy_doc_t *doc, int stmt, const char *entity, const char *scope)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "AttachedEntityType", entity);
    cJSON_AddStringToObject(o, "AttachedScope", scope);
    cJSON_AddStringToObject(o, "Effect",
                            policy_doc_statement_deny(doc, (size_t)stmt) ? "Deny" : "Allow");
    cJSON_AddStringToObject(o, "PolicyIdentifier", policy_doc_name(doc));
    cJSON_AddStringToObject(o, "PolicyType", policy_doc_type(doc));
    cJSON_AddStringToObject(o, "PolicyVersion", policy_doc_version(doc));
    return o;
}

/* Which entity a matched policy came from (DecodeDiagnosticMessage
 * AttachedEntityType): the user itself or one of its groups; the role. */
static const char *diag_entity(const emu_principal *p, const policy_doc_t *doc)
{
    if (p->kind == EMU_PRINCIPAL_SESSION)
        return strcmp(policy_doc_type(doc), "Session") == 0 ? "Session" : "RamRole";
    if (p->kind == EMU_PRINCIPAL_USER && p->user) {
        for (size_t i = 0; i < p->user->n_policies; i++)
            if (emu_strcasecmp(p->user->policies[i].name, policy_doc_name(doc)) == 0)
                return "RamUser";
        return "RamGroup";
    }
    return "RamUser";
}

static const char *diag_encode(emu_call *call, const policy_ctx *ctx, const emu_authz_denial *d,
                               const policy_result *res, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "AuthAction", d->auth_action);
    cJSON_AddStringToObject(o, "AuthResource", ctx->resource);
    cJSON *p = cJSON_AddObjectToObject(o, "AuthPrincipal");
    cJSON_AddStringToObject(p, "AuthPrincipalDisplayName", d->principal_name);
    cJSON_AddStringToObject(p, "AuthPrincipalOwnerId", d->principal_owner_id);
    cJSON_AddStringToObject(p, "AuthPrincipalType", d->principal_type);
    cJSON_AddBoolToObject(o, "ExplicitDeny", res->decision == POLICY_EXPLICIT_DENY);
    cJSON_AddStringToObject(o, "NoPermissionPolicyType", d->policy_type);
    cJSON *conds = cJSON_AddArrayToObject(o, "AuthConditions");
    for (size_t i = 0; i < ctx->n_keys; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "ConditionKey", ctx->keys[i].key);
        cJSON *vals = cJSON_AddArrayToObject(c, "ConditionValues");
        for (size_t v = 0; v < ctx->keys[i].n_values; v++)
            cJSON_AddItemToArray(
                vals, cJSON_CreateString(ctx->keys[i].values[v] ? ctx->keys[i].values[v] : ""));
        cJSON_AddItemToArray(conds, c);
    }
    /* Matched policies: what decided an explicit deny; an implicit deny
     * matched nothing. */
    cJSON *pols = cJSON_AddArrayToObject(o, "MatchedPolicies");
    if (res->doc && res->stmt >= 0 && res->layer == POLICY_LAYER_CONTROL) {
        /* [inferred] a control policy is attached to a directory node: the
         * member account or a folder (the trace's last control level). */
        const char *scope = "";
        for (size_t i = call->trace ? call->trace->n_evals : 0; i-- > 0;)
            if (call->trace->evals[i].layer == POLICY_LAYER_CONTROL) {
                scope = call->trace->evals[i].scope ? call->trace->evals[i].scope : "";
                break;
            }
        cJSON_AddItemToArray(pols,
                             diag_policy(res->doc, res->stmt, "ResourceDirectoryTarget", scope));
    } else if (res->doc && res->stmt >= 0) {
        cJSON_AddItemToArray(pols, diag_policy(res->doc, res->stmt,
                                               diag_entity(&call->principal, res->doc), "Account"));
    }
    if (call->decision_id)
        cJSON_AddStringToObject(o, "EmuDecisionId", call->decision_id);
    cJSON_AddStringToObject(o, "EmuReason", reason ? reason : "");

    char *json = emu_json_print(o);
    cJSON_Delete(o);
    size_t n = strlen(json);
    if (n > DIAG_MAX_BYTES - 2) {
        /* A context this large is a world-file oddity: keep the message a
         * header-sized string by dropping the details. */
        free(json);
        return NULL;
    }
    uint8_t *raw = emu_arena_alloc(call->arena, n + 2);
    memcpy(raw, DIAG_MAGIC, 2);
    memcpy(raw + 2, json, n);
    free(json);
    char *out = emu_arena_alloc(call->arena, EMU_BASE64_LEN(n + 2) + 1);
    emu_base64_encode(raw, n + 2, out);
    return out;
}

cJSON *emu_authz_diagnostic_decode(const char *text)
{
    size_t len = text ? strlen(text) : 0;
    if (len < 4 || len > EMU_BASE64_LEN(DIAG_MAX_BYTES))
        return NULL;
    uint8_t *raw = emu_xmalloc(len);
    size_t n = 0;
    cJSON *o = NULL;
    if (emu_base64_decode(text, len, raw, len, &n) && n > 2 && memcmp(raw, DIAG_MAGIC, 2) == 0) {
        emu_err err = {0};
        o = emu_json_parse((const char *)raw + 2, n - 2, &err);
        if (o && !cJSON_IsObject(o)) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    free(raw);
    return o;
}

/* --- the decision ---------------------------------------------------------------- */

/* The constant strings of every context (global key names, Bool values),
 * in one object so that emu_authz_static_string is a range check. */
const emu_authz_strings emu_authz_consts = {
    "acs:CurrentTime", "acs:SecureTransport",  "acs:MFAPresent", "acs:SourceIp", "acs:AccessId",
    "acs:SourceVpc",   "ots:IsFromTrustProxy", "true",           "false"};
#define K_TIME emu_authz_consts.current_time
#define K_TLS emu_authz_consts.secure_transport
#define K_MFA emu_authz_consts.mfa_present
#define K_IP emu_authz_consts.source_ip
#define K_AK emu_authz_consts.access_id
#define K_VPC emu_authz_consts.source_vpc
#define K_PROXY emu_authz_consts.trust_proxy
#define V_TRUE emu_authz_consts.v_true
#define V_FALSE emu_authz_consts.v_false

emu_rc emu_authz_check(emu_call *call, const emu_authz_req *req)
{
    const emu_principal *p = &call->principal;
    const policy_doc_t *docs[AUTHZ_MAX_DOCS];
    const policy_doc_t *session = NULL;
    policy_control_level levels[POLICY_MAX_CONTROL_LEVELS];
    const policy_doc_t *ctl_docs[POLICY_MAX_CONTROL_LEVELS * EMU_MAX_CONTROL_POLICIES_PER_TARGET];
    policy_authz in = {0};
    policy_network net;
    char acct_buf[32];
    char now[21];

    if (call->server && call->server->authz == EMU_AUTHZ_OFF)
        return EMU_OK;

    const char *action = req->action    ? req->action
                         : call->action ? call->action->policy_action
                                        : "";
    const char *resource = req->resource ? req->resource : "*";
    const char *caller_account = p->account_id ? p->account_id : "";
    const char *resource_account = req->resource_account;
    if (!resource_account)
        resource_account = arn_account(resource, acct_buf, sizeof acct_buf);
    if (!resource_account)
        resource_account = caller_account;

    /* Global condition keys (ram-policy.md §4.3), then the service's own.
     * The value arrays live in this scope, as long as ctx. */
    emu_time_iso(emu_clock_now_ms(), now);
    const char *v_now[1] = {now};
    const char *v_tls[1] = {p->tls ? V_TRUE : V_FALSE};
    const char *v_mfa[1] = {V_FALSE};
    const char *v_ip[1] = {p->source_ip};
    const char *v_ak[1] = {p->access_key_id};
    policy_ckey keys[AUTHZ_MAX_KEYS];
    size_t n_keys = 0;
    keys[n_keys++] = (policy_ckey){K_TIME, v_now, 1};
    keys[n_keys++] = (policy_ckey){K_TLS, v_tls, 1};
    keys[n_keys++] = (policy_ckey){K_MFA, v_mfa, 1};
    if (p->source_ip)
        keys[n_keys++] = (policy_ckey){K_IP, v_ip, 1};
    if (p->access_key_id)
        keys[n_keys++] = (policy_ckey){K_AK, v_ak, 1};
    /* A Tablestore request: where it came from, for instance policies
     * (acs:SourceVpc, ots:IsFromTrustProxy, Tablestore "Instance policy"). */
    const char *v_vpc[1] = {req->network ? req->network->source_vpc : NULL};
    const char *v_proxy[1] = {req->network && req->network->trust_proxy ? V_TRUE : V_FALSE};
    if (v_vpc[0])
        keys[n_keys++] = (policy_ckey){K_VPC, v_vpc, 1};
    if (req->network)
        keys[n_keys++] = (policy_ckey){K_PROXY, v_proxy, 1};
    /* The instance a Tablestore request reaches: its network ACL, policy
     * and tags (acs:ResourceTag/<key>, as global as the keys above: a
     * simulation's context may pin them). */
    policy_ckey tag_keys[EMU_MAX_OTS_INSTANCE_TAGS];
    emu_authz_instance inst = {.tags = tag_keys, .cap = EMU_MAX_OTS_INSTANCE_TAGS};
    bool have_net = false;
    if (req->network && network_source) {
        net = *req->network;
        have_net = network_source(call->world, resource, &net, &inst);
        for (size_t i = 0; i < inst.n_tags && n_keys < AUTHZ_MAX_KEYS; i++)
            keys[n_keys++] = tag_keys[i];
    }
    /* A RAM role or custom policy the request acts on (ram:* on the role or
     * policy, sts:AssumeRole on the role): its tags, the same way. RAM
     * documents acs:ResourceTag but not which of its actions see it: every
     * action on the tagged resource does [inferred]. */
    n_keys +=
        world_ram_resource_tags(call->world, resource, keys + n_keys, AUTHZ_MAX_KEYS - n_keys);
    size_t n_global = n_keys;
    for (size_t i = 0; i < req->n_keys; i++) {
        size_t k = 0;
        while (k < n_global && emu_strcasecmp(keys[k].key, req->keys[i].key) != 0)
            k++;
        if (k < n_global)
            keys[k] = req->keys[i];
        else if (n_keys < AUTHZ_MAX_KEYS)
            keys[n_keys++] = req->keys[i];
    }
    policy_ctx ctx = {.action = action,
                      .resource = resource,
                      .resource_account = resource_account,
                      .keys = keys,
                      .n_keys = n_keys};
    if (req->trust)
        ctx.principal = req->presented ? *req->presented : emu_authz_presented(p);

    in.caller_account = caller_account;
    in.resource_account = resource_account;
    if (have_net)
        in.network = &net;
    in.ctx = &ctx;
    in.identity = docs;
    const world_account *a = p->account_id ? world_account_find(call->world, p->account_id) : NULL;
    bool broken_session = false;
    switch (p->kind) {
    case EMU_PRINCIPAL_ROOT:
        in.caller = POLICY_CALLER_ROOT;
        break;
    case EMU_PRINCIPAL_USER:
        in.caller = POLICY_CALLER_USER;
        if (a && p->user)
            in.n_identity = emu_authz_user_docs(a, p->user, docs, AUTHZ_MAX_DOCS - 1);
        break;
    case EMU_PRINCIPAL_SESSION:
        in.caller = POLICY_CALLER_ROLE_SESSION;
        if (a && p->role)
            in.n_identity = emu_authz_role_docs(a, p->role, docs, AUTHZ_MAX_DOCS - 1);
        if (req->session_override) {
            session = req->session_override;
        } else if (p->session_policy) {
            session = session_doc(p->session_policy);
            /* A session policy that does not compile allows nothing:
             * dropping it would widen the session to the whole role. */
            broken_session = !session;
        }
        in.session = session;
        break;
    default:
        /* Service principals and anything unauthenticated hold no identity
         * policies: the engine answers IMPLICIT_DENY. */
        in.caller = POLICY_CALLER_SERVICE;
        break;
    }
    /* A member account's RAM users and role sessions are bounded by the
     * directory's control policies (never its root, nor a service). */
    if (control_source &&
        (in.caller == POLICY_CALLER_USER || in.caller == POLICY_CALLER_ROLE_SESSION)) {
        in.n_control =
            control_source(call->world, caller_account, levels, POLICY_MAX_CONTROL_LEVELS, ctl_docs,
                           sizeof ctl_docs / sizeof ctl_docs[0]);
        in.control = levels;
    }
    /* A Tablestore request: the instance's network ACL (every caller). */
    /* ... and its instance policy, with the caller as the principal. */
    if (inst.policy) {
        in.resource_policy = inst.policy;
        in.presented = emu_authz_presented(p);
    }
    if (req->extra_identity && in.caller != POLICY_CALLER_ROOT &&
        in.caller != POLICY_CALLER_SERVICE)
        docs[in.n_identity++] = req->extra_identity;

    if (!call->trace) {
        call->trace = emu_arena_alloc(call->arena, sizeof *call->trace);
        policy_trace_init(call->trace);
    }
    size_t first_eval = call->trace->n_evals;
    in.trust = req->trust;
    policy_result res =
        req->trust ? policy_assume_role(&in, call->trace) : policy_authorize(&in, call->trace);
    if (broken_session && res.decision == POLICY_ALLOW) {
        res.decision = POLICY_IMPLICIT_DENY;
        res.layer = POLICY_LAYER_SESSION;
        call->trace->decision = POLICY_IMPLICIT_DENY;
        call->trace->layer = POLICY_LAYER_SESSION;
    }
    bool audit = call->server && call->server->authz == EMU_AUTHZ_AUDIT;
    emu_authz_note note = {.in = &in,
                           .res = res,
                           .assume = req->trust != NULL,
                           .broken_session = broken_session,
                           .enforced = res.decision != POLICY_ALLOW && !audit,
                           .first_eval = first_eval};

    if (res.decision == POLICY_ALLOW) {
        /* A later allow must not hide an earlier would-be denial (audit
         * mode lets a batch go on after one). */
        if (!call->decision || strcmp(call->decision, "audit-deny") != 0)
            call->decision = "allow";
        if (call->server && call->server->decision_hooks)
            call->server->decision_hooks->note(call, &note);
        return EMU_OK;
    }

    char *reason = emu_authz_reason(call->arena, call->trace, req->trust != NULL, broken_session);
    note.reason = reason;
    if (audit) {
        /* Audit: record what enforce would have refused, then let it pass.
         * The first would-be denial stays the call's reason. */
        if (!call->decision || strcmp(call->decision, "audit-deny") != 0)
            call->reason = reason;
        call->decision = "audit-deny";
        if (call->server && call->server->decision_hooks)
            call->server->decision_hooks->note(call, &note);
        return EMU_OK;
    }
    call->reason = reason;
    call->decision = "deny";
    if (call->server && call->server->decision_hooks)
        call->server->decision_hooks->note(call, &note);

    emu_authz_denial *d = emu_arena_zalloc(call->arena, sizeof *d);
    d->no_permission_type = res.decision == POLICY_EXPLICIT_DENY ? "ExplicitDeny" : "ImplicitDeny";
    d->auth_action = emu_arena_strdup(call->arena, action);
    d->principal_type = principal_type(p->kind);
    d->principal_owner_id = caller_account;
    d->principal_name = p->display_name ? p->display_name : (p->arn ? p->arn : "");
    /* [inferred] rpc-api.md §6.2 shows AccountLevelIdentityBasedPolicy; a
     * session-policy denial is named after its layer, a trust-policy one
     * AssumeRolePolicy (ram20150501 DecodeDiagnosticMessage's
     * NoPermissionPolicyType values). */
    /* [inferred] An instance-policy denial: ResourceBasedPolicy, RAM's
     * name for the kind of policy it is. */
    d->policy_type = res.layer == POLICY_LAYER_SESSION   ? "SessionPolicy"
                     : res.layer == POLICY_LAYER_TRUST   ? "AssumeRolePolicy"
                     : res.layer == POLICY_LAYER_CONTROL ? "ControlPolicy"
                     : res.layer == POLICY_LAYER_INSTANCE_POLICY
                         ? "ResourceBasedPolicy"
                         : "AccountLevelIdentityBasedPolicy";
    d->encoded_diagnostic_message = diag_encode(call, &ctx, d, &res, reason);
    call->denial = d;
    emu_err_set(&call->err, EMU_E_DENIED, "NoPermission", "%s", deny_message(call, req, res.layer));
    call->err.status = 403;
    return EMU_E_DENIED;
}

emu_rc emu_authz_phase(emu_call *call)
{
    emu_authz_req req = {0};
    req.action = call->action ? call->action->policy_action : NULL;
    if (call->svc && call->svc->resource)
        req.resource = call->svc->resource(call);
    return emu_authz_check(call, &req);
}

/* A decision of a service's own permission model, recorded like a policy
 * decision (see emu/authz.h): MaxCompute's project ACL. No documents are
 * evaluated; the trace carries the layer and the rule text. */
static emu_rc note_rule(emu_call *call, const char *action, const char *resource,
                        const char *resource_account, bool allowed, policy_layer layer,
                        const char *reason, const char *input, bool forced)
{
    const emu_principal *p = &call->principal;
    if (!forced && call->server && call->server->authz == EMU_AUTHZ_OFF)
        return EMU_OK;
    policy_ctx ctx = {.action = action, .resource = resource, .resource_account = resource_account};
    policy_authz in = {.caller_account = p->account_id ? p->account_id : "",
                       .resource_account = resource_account,
                       .ctx = &ctx};
    in.caller = p->kind == EMU_PRINCIPAL_ROOT      ? POLICY_CALLER_ROOT
                : p->kind == EMU_PRINCIPAL_USER    ? POLICY_CALLER_USER
                : p->kind == EMU_PRINCIPAL_SESSION ? POLICY_CALLER_ROLE_SESSION
                                                   : POLICY_CALLER_SERVICE;
    if (!call->trace) {
        call->trace = emu_arena_alloc(call->arena, sizeof *call->trace);
        policy_trace_init(call->trace);
    }
    policy_trace *t = call->trace;
    t->decision = allowed ? POLICY_ALLOW : POLICY_IMPLICIT_DENY;
    t->layer = layer;
    /* The trace's rule must be static (decision records keep the pointer);
     * the call's own reason carries the details. */
    t->rule = forced    ? "the federated token failed a check (see the reason)"
              : allowed ? "the service's own permission model allows it"
                        : "the service's own permission model denies it (see the reason)";
    t->caller = in.caller;
    t->caller_account = in.caller_account;
    t->resource_account = resource_account;
    t->has_caller = true;
    bool audit = !forced && call->server && call->server->authz == EMU_AUTHZ_AUDIT;
    emu_authz_note note = {.in = &in,
                           .res = {t->decision, layer, NULL, -1},
                           .enforced = !allowed && !audit,
                           .first_eval = t->n_evals,
                           .reason = allowed ? NULL : reason,
                           .input = input};
    if (allowed) {
        if (!call->decision || strcmp(call->decision, "audit-deny") != 0)
            call->decision = "allow";
    } else if (audit) {
        if (!call->decision || strcmp(call->decision, "audit-deny") != 0)
            call->reason = reason;
        call->decision = "audit-deny";
    } else {
        call->reason = reason;
        call->decision = "deny";
    }
    if (call->server && call->server->decision_hooks)
        call->server->decision_hooks->note(call, &note);
    return allowed || audit ? EMU_OK : EMU_E_DENIED;
}

emu_rc emu_authz_note_rule(emu_call *call, const char *action, const char *resource,
                           const char *resource_account, bool allowed, policy_layer layer,
                           const char *reason, const char *input)
{
    return note_rule(call, action, resource, resource_account, allowed, layer, reason, input,
                     false);
}

void emu_authz_note_refusal(emu_call *call, const char *action, const char *resource,
                            const char *resource_account, policy_layer layer, const char *reason)
{
    note_rule(call, action, resource, resource_account, false, layer, reason, NULL, true);
}
