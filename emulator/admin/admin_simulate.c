/* The simulator and replay (include/emu/decision.h).
 *
 * Both answer "what would enforcement decide" with enforcement's own code:
 * a scratch call goes through emu_authz_check, which records into a
 * private ring of one, and the record renders like any other. Offline
 * replay of a bundle has no world to look principals up in, so it calls the
 * engine (policy_authorize / policy_assume_role) with exactly the documents
 * and context the bundle carries, and words the reason with the same
 * emu_authz_reason.
 *
 *   POST /_emu/simulate {"principal": ARN, "action": A, "resource": ARN,
 *                        "context": {"acs:SourceIp": "10.1.2.3", ...},
 *                        "policy": {...} | "...", "sessionPolicy": ...,
 *                        "network": "internet|vpc|classic|trust-proxy", "sourceVpc": "vpc-…"} */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin_decisions_int.h"
#include "emu/admin.h"
#include "emu/clock.h"
#include "emu/limits.h"
#include "emu/str.h"

/* ---------------------------------------------------------------------------------------------
 * Scratch calls
 * ------------------------------------------------------------------------------------------- */

void admin__scratch_init(dec_scratch *s, world_t *w, emu_arena *arena)
{
    memset(s, 0, sizeof *s);
    s->server.world = w;
    s->server.authz = EMU_AUTHZ_ENFORCE;
    s->server.decision_hooks = &emu_decision_hooks_default;
    s->server.decisions = emu_decisions_new(1);
    s->call.server = &s->server;
    s->call.world = w;
    s->call.arena = arena;
    emu_rand_uuid(s->call.request_id);
}

void admin__scratch_dispose(dec_scratch *s)
{
    emu_decisions_free(s->server.decisions);
    s->server.decisions = NULL;
}

/* "acs:ram::<uid>:<rest>" → uid and rest (slices), else false. */
static bool split_ram_arn(const char *arn, emu_str *uid, const char **rest)
{
    const char *pfx = "acs:ram::";
    if (strncmp(arn, pfx, strlen(pfx)) != 0)
        return false;
    const char *u = arn + strlen(pfx);
    const char *colon = strchr(u, ':');
    if (!colon || colon == u)
        return false;
    *uid = (emu_str){u, (size_t)(colon - u)};
    *rest = colon + 1;
    return true;
}

emu_rc admin__resolve_principal(world_t *w, const char *arn, emu_arena *arena, emu_principal *p,
                                emu_err *err)
{
    emu_str uid;
    const char *rest;
    memset(p, 0, sizeof *p);

    const char *at = strchr(arn, '@');
    if (at && strncmp(arn, "acs:", 4) != 0) {
        /* "<uid>@<service>": a cloud service acting for that account. */
        char *acct = emu_arena_strndup(arena, arn, (size_t)(at - arn));
        if (!*acct || strspn(acct, "0123456789") != strlen(acct) || !at[1])
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "principal \"%.100s\": a service is <uid>@<service>", arn);
        if (!world_account_find(w, acct))
            return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "no account %.40s in the world", acct);
        p->kind = EMU_PRINCIPAL_SERVICE;
        p->account_id = acct;
        p->service = emu_arena_strdup(arena, at + 1);
        p->arn = emu_arena_strdup(arena, arn);
        p->display_name = p->arn;
        return EMU_OK;
    }
    if (!split_ram_arn(arn, &uid, &rest))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "principal \"%.100s\" is not acs:ram::<uid>:root|user/<name>|"
                           "assumed-role/<role>/<session>|role/<role> or <uid>@<service>",
                           arn);
    char *acct = emu_arena_strndup(arena, uid.p, uid.len);
    world_account *a = world_account_find(w, acct);
    if (!a)
        return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "no account %.40s in the world", acct);
    p->account_id = a->id;
    if (strcmp(rest, "root") == 0) {
        p->kind = EMU_PRINCIPAL_ROOT;
        p->arn = emu_arena_sprintf(arena, "acs:ram::%s:root", a->id);
        p->display_name = a->alias ? a->alias : a->id;
        p->access_key_id = a->n_keys ? a->keys[0].id : NULL;
        return EMU_OK;
    }
    if (strncmp(rest, "user/", 5) == 0) {
        world_user *u = world_user_find(a, rest + 5);
        if (!u)
            return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "no user %.64s in account %s", rest + 5,
                               a->id);
        p->kind = EMU_PRINCIPAL_USER;
        p->user = u;
        p->arn = emu_arena_sprintf(arena, "acs:ram::%s:user/%s", a->id, u->name);
        p->display_name = u->name;
        p->access_key_id = u->n_keys ? u->keys[0].id : NULL;
        return EMU_OK;
    }
    const char *role_part = NULL, *session = "simulated";
    if (strncmp(rest, "assumed-role/", 13) == 0)
        role_part = rest + 13;
    else if (strncmp(rest, "role/", 5) == 0)
        role_part = rest + 5;
    if (!role_part)
        return emu_err_set(err, EMU_E_INVALID, NULL, "principal \"%.100s\": unknown kind", arn);
    const char *slash = strchr(role_part, '/');
    char *role_name = emu_arena_strndup(arena, role_part,
                                        slash ? (size_t)(slash - role_part) : strlen(role_part));
    if (slash && slash[1])
        session = emu_arena_strdup(arena, slash + 1);
    world_role *r = world_role_find(a, role_name);
    if (!r)
        return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "no role %.64s in account %s", role_name,
                           a->id);
    p->kind = EMU_PRINCIPAL_SESSION;
    p->role = r;
    p->session_name = session;
    p->arn = emu_arena_sprintf(arena, "acs:ram::%s:assumed-role/%s/%s", a->id, r->name, session);
    p->display_name = emu_arena_sprintf(arena, "%s/%s", r->name, session);
    return EMU_OK;
}

/* The role an AssumeRole resource ARN names, or NULL. */
static world_role *role_of(world_t *w, const char *resource, emu_arena *arena)
{
    emu_str uid;
    const char *rest;
    if (!resource || !split_ram_arn(resource, &uid, &rest) || strncmp(rest, "role/", 5) != 0)
        return NULL;
    world_account *a = world_account_find(w, emu_arena_strndup(arena, uid.p, uid.len));
    return a ? world_role_find(a, rest + 5) : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Simulation
 * ------------------------------------------------------------------------------------------- */

cJSON *emu_decision_simulate(world_t *world, const emu_sim_req *req, bool *allowed, emu_err *err)
{
    emu_arena *arena = emu_arena_new(0);
    dec_scratch s;
    cJSON *out = NULL;

    admin__scratch_init(&s, world, arena);
    /* AssumeRoleWithOIDC: the caller is the Federated principal of an OIDC
     * provider (no RAM identity); the trust policy alone decides, with the
     * token's claims as the context keys oidc:iss, oidc:aud, oidc:sub. */
    bool federated = emu_strcasecmp(req->action, "sts:AssumeRoleWithOIDC") == 0;
    policy_principal fedp = {POLICY_PRINCIPAL_FEDERATED, req->principal};
    if (federated) {
        if (!req->principal || !strstr(req->principal, ":oidc-provider/")) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "sts:AssumeRoleWithOIDC is simulated for an OIDC provider principal "
                        "(acs:ram::<uid>:oidc-provider/<name>), not \"%.100s\"",
                        req->principal ? req->principal : "");
            goto done;
        }
    } else if (admin__resolve_principal(world, req->principal, arena, &s.call.principal, err) !=
               EMU_OK) {
        goto done;
    }
    const emu_authz_rule_model *model = emu_authz_rule_model_for(req->action);
    emu_rc rc = EMU_OK;
    if (model) {
        /* A service's own permission model decides its actions, as on the
         * data plane: its first check (MaxCompute: membership), then the
         * action itself. */
        if (model->first_action && emu_strcasecmp(req->action, model->first_action) != 0)
            rc = model->decide(&s.call, model->first_action, req->resource, err);
        if (rc == EMU_OK)
            rc = model->decide(&s.call, req->action, req->resource, err);
        if (rc != EMU_OK && rc != EMU_E_DENIED)
            goto done;
        goto decided;
    }
    emu_authz_req q = {.action = req->action,
                       .resource = req->resource ? req->resource : "*",
                       .keys = req->keys,
                       .n_keys = req->n_keys,
                       .extra_identity = req->policy,
                       .session_override = req->session_policy};
    policy_network net = {0};
    if (strncasecmp(req->action, "ots:", 4) == 0) {
        /* A Tablestore request comes over some network: the instance's
         * network ACL applies, as on the data plane. */
        if (req->network &&
            !policy_network_origin_parse(req->network, strlen(req->network), &net)) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "network \"%.40s\" is not internet, vpc, classic or trust-proxy",
                        req->network);
            goto done;
        }
        if (req->source_vpc && *req->source_vpc) {
            net.source_vpc = req->source_vpc;
            if (!req->network)
                net.type = POLICY_NET_VPC;
        }
        q.network = &net;
    }
    if (emu_strcasecmp(req->action, "sts:AssumeRole") == 0 || federated) {
        /* As STS does (sts_assume.c): the role must exist, and its trust
         * policy decides with the caller's own permission. */
        world_role *r = role_of(world, req->resource, arena);
        if (!r) {
            emu_err_set(err, EMU_E_NOT_FOUND, NULL,
                        "%s needs an existing role ARN as the resource, not "
                        "\"%.100s\"",
                        req->action, req->resource ? req->resource : "*");
            goto done;
        }
        q.trust = r->trust;
        if (federated) {
            /* As STS does (sts_oidc.c): trust statements say sts:AssumeRole. */
            q.action = "sts:AssumeRole";
            q.presented = &fedp;
        }
        q.resource_account =
            emu_arena_strndup(arena, req->resource + 9, strcspn(req->resource + 9, ":"));
    }
    rc = emu_authz_check(&s.call, &q);
    if (q.trust && rc == EMU_OK && s.call.principal.kind == EMU_PRINCIPAL_ROOT)
        rc = EMU_E_DENIED; /* precondition of STS; the engine said so too */
decided:;
    const emu_decision *d = emu_decisions_at(s.server.decisions, 0);
    if (!d) {
        emu_err_set(err, EMU_E_INTERNAL, NULL, "no decision was recorded");
        goto done;
    }
    ((emu_decision *)(uintptr_t)d)->simulated = true;
    *allowed = rc == EMU_OK;
    out = emu_decision_to_json(d, true);
done:
    admin__scratch_dispose(&s);
    emu_arena_free(arena);
    return out;
}

/* ---------------------------------------------------------------------------------------------
 * Replay
 * ------------------------------------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* Context keys of a bundle check, in the arena. */
static size_t bundle_keys(const cJSON *check, emu_arena *a, policy_ckey **out, emu_err *err,
                          size_t index)
{
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(check, "context");
    size_t n = (size_t)cJSON_GetArraySize(ctx), k = 0;
    policy_ckey *keys = emu_arena_alloc(a, (n ? n : 1) * sizeof *keys);
    const cJSON *e;
    cJSON_ArrayForEach(e, ctx)
    {
        const char *key = jstr(e, "key");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(e, "values");
        if (!key || !cJSON_IsArray(vals)) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "$.checks[%zu].context[%zu]: needs key and values", index, k);
            return (size_t)-1;
        }
        size_t nv = (size_t)cJSON_GetArraySize(vals), v = 0;
        const char **vv = emu_arena_alloc(a, (nv ? nv : 1) * sizeof *vv);
        const cJSON *x;
        cJSON_ArrayForEach(x, vals) vv[v++] = cJSON_IsString(x) ? x->valuestring : "";
        keys[k++] = (policy_ckey){key, vv, nv};
    }
    *out = keys;
    return k;
}

/* Compiles a bundle document {name,type,version,kind,document}. */
static emu_rc bundle_doc(const cJSON *dj, policy_kind kind, policy_doc_t **out, emu_err *err,
                         const char *where)
{
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(dj, "document");
    const char *text = jstr(dj, "text");
    emu_err perr = {0};
    emu_rc rc = doc    ? policy_compile_json(doc, kind, out, &perr)
                : text ? policy_compile(text, strlen(text), kind, out, &perr)
                       : emu_err_set(&perr, EMU_E_INVALID, NULL, "no document");
    if (rc)
        return emu_err_set(err, rc, NULL, "%s: %s", where, perr.msg);
    const char *version = jstr(dj, "version");
    policy_doc_set_label(*out, jstr(dj, "name"), jstr(dj, "type"),
                         version && *version ? version : NULL);
    return EMU_OK;
}

static policy_caller caller_of(const char *s)
{
    if (s && strcmp(s, "root") == 0)
        return POLICY_CALLER_ROOT;
    if (s && strcmp(s, "user") == 0)
        return POLICY_CALLER_USER;
    if (s && strcmp(s, "role-session") == 0)
        return POLICY_CALLER_ROLE_SESSION;
    return POLICY_CALLER_SERVICE;
}

#define REPLAY_MAX_DOCS 160

/* Offline: the engine with exactly the bundle's documents and context. */
static cJSON *replay_offline(const cJSON *bundle, bool *allowed, emu_err *err)
{
    emu_arena *a = emu_arena_new(0);
    policy_trace *t = emu_xmalloc(sizeof *t);
    policy_doc_t *owned[REPLAY_MAX_DOCS + 2];
    size_t n_owned = 0;
    /* Control policies of every check; freed with the rest at the end (the
     * trace points at them until it is rendered). */
    policy_doc_t **ctl_owned = NULL;
    size_t n_ctl_owned = 0;
    cJSON *out = NULL, *checks_out = cJSON_CreateArray();
    policy_decision final = POLICY_ALLOW;
    policy_layer final_layer = POLICY_LAYER_NONE;
    bool final_assume = false;
    const char *final_reason = NULL;
    char where[96];

    policy_trace_init(t);
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(bundle, "checks");
    if (!cJSON_IsArray(checks) || !cJSON_GetArraySize(checks)) {
        emu_err_set(err, EMU_E_INVALID, NULL, "$.checks: the bundle has no checks");
        goto fail;
    }
    size_t ci = 0;
    const cJSON *cj;
    cJSON_ArrayForEach(cj, checks)
    {
        policy_ckey *keys = NULL;
        size_t n_keys = bundle_keys(cj, a, &keys, err, ci);
        if (n_keys == (size_t)-1)
            goto fail;
        const cJSON *rin = cJSON_GetObjectItemCaseSensitive(cj, "ruleInput");
        if (rin) {
            /* A service's own permission model: it decides again from the
             * inputs the bundle carries. */
            const char *action = jstr(cj, "action"), *resource = jstr(cj, "resource");
            const emu_authz_rule_model *m = emu_authz_rule_model_for(action);
            bool ok = false;
            const char *why = NULL;
            if (!m || !m->replay || !resource) {
                emu_err_set(err, EMU_E_INVALID, NULL,
                            "$.checks[%zu]: no permission model decides \"%.60s\"", ci,
                            action ? action : "");
                goto fail;
            }
            if (m->replay(rin, action, resource, a, &ok, &why, err)) {
                emu_err_prefix(err, "$.checks[%zu].", ci);
                goto fail;
            }
            policy_decision dec = ok ? POLICY_ALLOW : POLICY_IMPLICIT_DENY;
            const char *reason = ok ? "the service's own permission model allows it" : why;
            cJSON *co = cJSON_CreateObject();
            cJSON_AddStringToObject(co, "action", action);
            cJSON_AddStringToObject(co, "resource", resource);
            cJSON_AddStringToObject(co, "decision", policy_decision_name(dec));
            cJSON_AddStringToObject(co, "layer", policy_layer_name(m->layer));
            cJSON_AddStringToObject(co, "decidingLayer", emu_decision_layer_name(m->layer, false));
            cJSON_AddStringToObject(co, "reason", reason);
            cJSON_AddItemToArray(checks_out, co);
            final = dec;
            final_layer = m->layer;
            final_assume = false;
            final_reason = reason;
            ci++;
            if (!ok)
                break;
            continue;
        }
        const policy_doc_t *ids[REPLAY_MAX_DOCS];
        policy_doc_t *session = NULL, *trust = NULL;
        size_t n_ids = 0;
        const cJSON *dj;
        cJSON_ArrayForEach(dj, cJSON_GetObjectItemCaseSensitive(cj, "identityPolicies"))
        {
            if (n_ids == REPLAY_MAX_DOCS)
                break;
            policy_doc_t *doc = NULL;
            snprintf(where, sizeof where, "$.checks[%zu].identityPolicies[%zu]", ci, n_ids);
            if (bundle_doc(dj, POLICY_KIND_PERMISSION, &doc, err, where))
                goto fail;
            owned[n_owned++] = doc;
            ids[n_ids++] = doc;
        }
        bool broken = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cj, "brokenSessionPolicy"));
        const cJSON *sj = cJSON_GetObjectItemCaseSensitive(cj, "sessionPolicy");
        if (sj) {
            snprintf(where, sizeof where, "$.checks[%zu].sessionPolicy", ci);
            if (bundle_doc(sj, POLICY_KIND_SESSION, &session, err, where))
                goto fail;
            owned[n_owned++] = session;
        }
        const cJSON *tj = cJSON_GetObjectItemCaseSensitive(cj, "trustPolicy");
        bool assume = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cj, "assumeRole"));
        if (tj) {
            snprintf(where, sizeof where, "$.checks[%zu].trustPolicy", ci);
            if (bundle_doc(tj, POLICY_KIND_TRUST, &trust, err, where))
                goto fail;
            owned[n_owned++] = trust;
        }
        policy_doc_t *ipol = NULL;
        const cJSON *ij = cJSON_GetObjectItemCaseSensitive(cj, "instancePolicy");
        if (ij) {
            snprintf(where, sizeof where, "$.checks[%zu].instancePolicy", ci);
            if (bundle_doc(ij, POLICY_KIND_RESOURCE, &ipol, err, where))
                goto fail;
            ctl_owned = emu_xrealloc(ctl_owned, (n_ctl_owned + 1) * sizeof *ctl_owned);
            ctl_owned[n_ctl_owned++] = ipol;
        }
        policy_control_level levels[POLICY_MAX_CONTROL_LEVELS];
        const policy_doc_t *ldocs[POLICY_MAX_CONTROL_LEVELS][EMU_MAX_CONTROL_POLICIES_PER_TARGET];
        size_t n_levels = 0;
        const cJSON *lj;
        cJSON_ArrayForEach(lj, cJSON_GetObjectItemCaseSensitive(cj, "controlPolicies"))
        {
            const cJSON *pols = cJSON_GetObjectItemCaseSensitive(lj, "policies");
            if (n_levels == POLICY_MAX_CONTROL_LEVELS ||
                cJSON_GetArraySize(pols) > EMU_MAX_CONTROL_POLICIES_PER_TARGET) {
                emu_err_set(err, EMU_E_INVALID, NULL,
                            "$.checks[%zu].controlPolicies: more than %d levels of %d policies", ci,
                            POLICY_MAX_CONTROL_LEVELS, EMU_MAX_CONTROL_POLICIES_PER_TARGET);
                goto fail;
            }
            size_t nd = 0;
            cJSON_ArrayForEach(dj, pols)
            {
                policy_doc_t *doc = NULL;
                snprintf(where, sizeof where, "$.checks[%zu].controlPolicies[%zu].policies[%zu]",
                         ci, n_levels, nd);
                if (bundle_doc(dj, POLICY_KIND_PERMISSION, &doc, err, where))
                    goto fail;
                ctl_owned = emu_xrealloc(ctl_owned, (n_ctl_owned + 1) * sizeof *ctl_owned);
                ctl_owned[n_ctl_owned++] = doc;
                ldocs[n_levels][nd++] = doc;
            }
            const char *target = jstr(lj, "attachedTo");
            levels[n_levels] = (policy_control_level){target ? target : "", ldocs[n_levels], nd};
            n_levels++;
        }
        const cJSON *pj = cJSON_GetObjectItemCaseSensitive(cj, "presentedPrincipal");
        policy_ctx ctx = {.action = jstr(cj, "action"),
                          .resource = jstr(cj, "resource"),
                          .resource_account = jstr(cj, "resourceAccount"),
                          .keys = keys,
                          .n_keys = n_keys};
        if (!ctx.action || !ctx.resource) {
            emu_err_set(err, EMU_E_INVALID, NULL, "$.checks[%zu]: needs action and resource", ci);
            goto fail;
        }
        policy_principal presented = {POLICY_PRINCIPAL_NONE, NULL};
        if (pj) {
            const char *type = jstr(pj, "type");
            presented.type = type && strcmp(type, "Service") == 0 ? POLICY_PRINCIPAL_SERVICE
                                                                  : POLICY_PRINCIPAL_RAM;
            presented.value = jstr(pj, "value");
        }
        /* A trust policy sees the caller through the context; an instance
         * policy through policy_authz.presented. */
        if (assume)
            ctx.principal = presented;
        policy_network net;
        const cJSON *nj = cJSON_GetObjectItemCaseSensitive(cj, "network");
        char nerr[96];
        if (nj && !policy_network_from_json(nj, &net, nerr, sizeof nerr)) {
            emu_err_set(err, EMU_E_INVALID, NULL, "$.checks[%zu].%s", ci, nerr);
            goto fail;
        }
        policy_authz in = {.caller = caller_of(jstr(cj, "caller")),
                           .caller_account = jstr(cj, "callerAccount"),
                           .resource_account = ctx.resource_account,
                           .identity = ids,
                           .n_identity = n_ids,
                           .session = session,
                           .trust = trust,
                           .control = levels,
                           .n_control = n_levels,
                           .network = nj ? &net : NULL,
                           .resource_policy = ipol,
                           .presented = presented,
                           .ctx = &ctx};
        if (!in.caller_account)
            in.caller_account = "";
        if (!in.resource_account)
            in.resource_account = in.caller_account;
        policy_result res = assume ? policy_assume_role(&in, t) : policy_authorize(&in, t);
        if (broken && res.decision == POLICY_ALLOW) {
            res.decision = POLICY_IMPLICIT_DENY;
            res.layer = POLICY_LAYER_SESSION;
            t->decision = POLICY_IMPLICIT_DENY;
            t->layer = POLICY_LAYER_SESSION;
        }
        const char *reason = emu_authz_reason(a, t, assume, broken);
        cJSON *co = cJSON_CreateObject();
        cJSON_AddStringToObject(co, "action", ctx.action);
        cJSON_AddStringToObject(co, "resource", ctx.resource);
        cJSON_AddStringToObject(co, "decision", policy_decision_name(res.decision));
        cJSON_AddStringToObject(co, "layer", policy_layer_name(res.layer));
        cJSON_AddStringToObject(co, "decidingLayer", emu_decision_layer_name(res.layer, assume));
        cJSON_AddStringToObject(co, "reason", reason);
        cJSON_AddItemToArray(checks_out, co);
        final = res.decision;
        final_layer = res.layer;
        final_assume = assume;
        final_reason = reason;
        ci++;
        if (res.decision != POLICY_ALLOW)
            break; /* enforcement stops at the first refusal */
    }
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "decision", policy_decision_name(final));
    cJSON_AddStringToObject(out, "layer", policy_layer_name(final_layer));
    cJSON_AddStringToObject(out, "decidingLayer",
                            emu_decision_layer_name(final_layer, final_assume));
    cJSON_AddStringToObject(out, "reason", final_reason ? final_reason : "");
    cJSON_AddItemToObject(out, "checks", checks_out);
    checks_out = NULL;
    cJSON_AddItemToObject(out, "trace", policy_trace_to_json(t));
    *allowed = final == POLICY_ALLOW;
fail:
    cJSON_Delete(checks_out);
    for (size_t i = 0; i < n_owned; i++)
        policy_doc_free(owned[i]);
    for (size_t i = 0; i < n_ctl_owned; i++)
        policy_doc_free(ctl_owned[i]);
    free(ctl_owned);
    free(t);
    emu_arena_free(a);
    return out;
}

/* Against a world: the principal looked up there, every check through
 * emu_authz_check with the bundle's context. */
static cJSON *replay_world(const cJSON *bundle, world_t *w, bool *allowed, emu_err *err)
{
    emu_arena *a = emu_arena_new(0);
    dec_scratch s;
    cJSON *out = NULL;
    policy_doc_t *session = NULL;

    admin__scratch_init(&s, w, a);
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(bundle, "principal");
    const char *arn = jstr(pj, "arn");
    if (!arn) {
        emu_err_set(err, EMU_E_INVALID, NULL, "$.principal.arn: missing");
        goto done;
    }
    if (admin__resolve_principal(w, arn, a, &s.call.principal, err) != EMU_OK)
        goto done;
    const char *sn = jstr(pj, "sessionName");
    if (sn && s.call.principal.kind == EMU_PRINCIPAL_SESSION)
        s.call.principal.session_name = sn;
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(bundle, "checks");
    if (!cJSON_IsArray(checks) || !cJSON_GetArraySize(checks)) {
        emu_err_set(err, EMU_E_INVALID, NULL, "$.checks: the bundle has no checks");
        goto done;
    }
    emu_rc rc = EMU_OK;
    size_t ci = 0;
    const cJSON *cj;
    cJSON_ArrayForEach(cj, checks)
    {
        policy_ckey *keys = NULL;
        size_t n_keys = bundle_keys(cj, a, &keys, err, ci);
        if (n_keys == (size_t)-1)
            goto done;
        /* Session policies live in the STS token, not in the world: the
         * bundle's is used. */
        const cJSON *sj = cJSON_GetObjectItemCaseSensitive(cj, "sessionPolicy");
        if (sj && !session && s.call.principal.kind == EMU_PRINCIPAL_SESSION) {
            char where[64];
            snprintf(where, sizeof where, "$.checks[%zu].sessionPolicy", ci);
            if (bundle_doc(sj, POLICY_KIND_SESSION, &session, err, where))
                goto done;
        }
        emu_authz_req q = {.action = jstr(cj, "action"),
                           .resource = jstr(cj, "resource"),
                           .resource_account = jstr(cj, "resourceAccount"),
                           .keys = keys,
                           .n_keys = n_keys,
                           .session_override = session};
        if (!q.action || !q.resource) {
            emu_err_set(err, EMU_E_INVALID, NULL, "$.checks[%zu]: needs action and resource", ci);
            goto done;
        }
        const emu_authz_rule_model *m = emu_authz_rule_model_for(q.action);
        if (m) {
            /* The service's own model, against the world as it is now. */
            rc = m->decide(&s.call, q.action, q.resource, err);
            if (rc != EMU_OK && rc != EMU_E_DENIED) {
                emu_err_prefix(err, "$.checks[%zu]: ", ci);
                goto done;
            }
            ci++;
            if (rc)
                break;
            continue;
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cj, "assumeRole"))) {
            world_role *r = role_of(w, q.resource, a);
            if (!r) {
                emu_err_set(err, EMU_E_NOT_FOUND, NULL,
                            "$.checks[%zu]: role %.100s is not in the world", ci, q.resource);
                goto done;
            }
            q.trust = r->trust;
        }
        rc = emu_authz_check(&s.call, &q);
        ci++;
        if (rc)
            break;
    }
    const emu_decision *d = emu_decisions_at(s.server.decisions, 0);
    if (!d) {
        emu_err_set(err, EMU_E_INTERNAL, NULL, "no decision was recorded");
        goto done;
    }
    *allowed = rc == EMU_OK;
    out = emu_decision_to_json(d, true);
done:
    policy_doc_free(session);
    admin__scratch_dispose(&s);
    emu_arena_free(a);
    return out;
}

cJSON *emu_decision_replay(const cJSON *bundle, world_t *world, bool *allowed, emu_err *err)
{
    *allowed = false;
    if (!cJSON_IsObject(bundle) || !jstr(bundle, "acsemuBundle")) {
        emu_err_set(err, EMU_E_INVALID, NULL,
                    "$: not an acsemu replay bundle (GET /_emu/decisions/ID/bundle)");
        return NULL;
    }
    cJSON *out =
        world ? replay_world(bundle, world, allowed, err) : replay_offline(bundle, allowed, err);
    if (!out)
        return NULL;
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(bundle, "recorded");
    const char *rd = jstr(rec, "decision"), *rr = jstr(rec, "reason");
    cJSON_AddStringToObject(out, "replayedAgainst", world ? "world" : "bundle");
    if (jstr(bundle, "decisionId"))
        cJSON_AddStringToObject(out, "decisionId", jstr(bundle, "decisionId"));
    cJSON *r = cJSON_AddObjectToObject(out, "recorded");
    cJSON_AddStringToObject(r, "decision", rd ? rd : "");
    cJSON_AddStringToObject(r, "reason", rr ? rr : "");
    const char *nd = jstr(out, "decision"), *nr = jstr(out, "reason");
    cJSON_AddBoolToObject(out, "sameDecision", rd && nd && strcmp(rd, nd) == 0);
    cJSON_AddBoolToObject(out, "sameReason", rr && nr && strcmp(rr, nr) == 0);
    return out;
}

/* ---------------------------------------------------------------------------------------------
 * POST /_emu/simulate
 * ------------------------------------------------------------------------------------------- */

/* A document given inline as an object or as JSON text. */
static emu_rc body_doc(emu_call *call, const cJSON *v, policy_kind kind, policy_doc_t **out,
                       const char *name)
{
    emu_err perr = {0};
    emu_rc rc = cJSON_IsObject(v) ? policy_compile_json(v, kind, out, &perr)
                : cJSON_IsString(v)
                    ? policy_compile(v->valuestring, strlen(v->valuestring), kind, out, &perr)
                    : emu_err_set(&perr, EMU_E_INVALID, NULL,
                                  "must be a policy document object or its text");
    if (rc)
        return emu_admin_error(call, 400, "MalformedPolicyDocument", "%s: %s", name, perr.msg);
    policy_doc_set_label(*out, kind == POLICY_KIND_SESSION ? "session" : "simulated",
                         kind == POLICY_KIND_SESSION ? "Session" : "Custom", NULL);
    return EMU_OK;
}

emu_rc admin__simulate_route(emu_call *call, emu_str rest);

emu_rc admin__simulate_route(emu_call *call, emu_str rest)
{
    if (rest.len && !emu_str_eq_c(rest, "/"))
        return emu_admin_error(call, 404, "NotFound", "no such admin endpoint");
    cJSON *body = emu_admin_body(call);
    if (!body)
        return call->err.rc;
    policy_doc_t *policy = NULL, *session = NULL;
    emu_rc rc = EMU_OK;
    const char *principal = jstr(body, "principal"), *action = jstr(body, "action");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(body, "context");
    size_t n_keys = 0;
    policy_ckey *keys = NULL;

    if (!principal || !action) {
        rc = emu_admin_error(call, 400, "MissingParameter",
                             "simulate needs \"principal\" and \"action\" (and usually "
                             "\"resource\")");
        goto out;
    }
    if (ctx && !cJSON_IsObject(ctx)) {
        rc = emu_admin_error(call, 400, "InvalidParameter",
                             "context must be an object of key: value or key: [values]");
        goto out;
    }
    keys = emu_arena_alloc(call->arena, ((size_t)cJSON_GetArraySize(ctx) + 1) * sizeof *keys);
    const cJSON *k;
    cJSON_ArrayForEach(k, ctx)
    {
        size_t nv = cJSON_IsArray(k) ? (size_t)cJSON_GetArraySize(k) : 1, v = 0;
        const char **vals = emu_arena_alloc(call->arena, (nv ? nv : 1) * sizeof *vals);
        const cJSON *x;
        if (cJSON_IsArray(k)) {
            cJSON_ArrayForEach(x, k) vals[v++] =
                emu_arena_strdup(call->arena, cJSON_IsString(x) ? x->valuestring
                                              : cJSON_IsTrue(x) ? "true"
                                                                : "false");
        } else if (cJSON_IsString(k)) {
            vals[v++] = emu_arena_strdup(call->arena, k->valuestring);
        } else if (cJSON_IsBool(k)) {
            vals[v++] = cJSON_IsTrue(k) ? "true" : "false";
        } else if (cJSON_IsNumber(k)) {
            vals[v++] = emu_arena_sprintf(call->arena, "%g", k->valuedouble);
        } else {
            rc = emu_admin_error(call, 400, "InvalidParameter",
                                 "context.%.64s: must be a string, boolean, number or array",
                                 k->string);
            goto out;
        }
        keys[n_keys++] = (policy_ckey){emu_arena_strdup(call->arena, k->string), vals, v};
    }
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(body, "policy");
    if (pj && (rc = body_doc(call, pj, POLICY_KIND_PERMISSION, &policy, "policy")))
        goto out;
    const cJSON *sj = cJSON_GetObjectItemCaseSensitive(body, "sessionPolicy");
    if (sj && (rc = body_doc(call, sj, POLICY_KIND_SESSION, &session, "sessionPolicy")))
        goto out;

    emu_sim_req req = {.principal = principal,
                       .action = action,
                       .resource = jstr(body, "resource"),
                       .keys = keys,
                       .n_keys = n_keys,
                       .policy = policy,
                       .session_policy = session,
                       .network = jstr(body, "network"),
                       .source_vpc = jstr(body, "sourceVpc")};
    emu_err err = {0};
    bool allowed = false;
    cJSON *rec = emu_decision_simulate(call->world, &req, &allowed, &err);
    if (!rec) {
        rc = emu_admin_error(call, err.rc == EMU_E_NOT_FOUND ? 404 : 400,
                             err.rc == EMU_E_NOT_FOUND ? "NotFound" : "InvalidParameter", "%s",
                             err.msg);
        goto out;
    }
    cJSON_AddBoolToObject(rec, "allowed", allowed);
    rc = emu_admin_json(call, 200, rec);
out:
    policy_doc_free(policy);
    policy_doc_free(session);
    cJSON_Delete(body);
    return rc;
}
