/* Export in the world-file shape, and deep copies for checkpoints.
 *
 * The export carries every field the loader accepts (ids, dates, versions),
 * so loading it gives the same state: that is what makes GET /_emu/world a
 * way to save a sandbox, and what world_clone builds on. */
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/str.h"
#include "world_int.h"

static void add_date(cJSON *o, const char *key, int64_t ms)
{
    char buf[21];
    emu_time_iso(ms, buf);
    cJSON_AddStringToObject(o, key, buf);
}

static cJSON *keys_json(const world_access_key *k, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "AccessKeyId", k[i].id);
        cJSON_AddStringToObject(o, "AccessKeySecret", k[i].secret);
        cJSON_AddStringToObject(o, "Status", k[i].active ? "Active" : "Inactive");
        add_date(o, "CreateDate", k[i].create_ms);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* "Tags": [{"Key", "Value"}] (world_load's shape), only when there are. */
static void add_tags(cJSON *o, const world_tags *t)
{
    if (!t->n)
        return;
    cJSON *a = cJSON_AddArrayToObject(o, "Tags");
    for (size_t i = 0; i < t->n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Key", t->v[i].key);
        cJSON_AddStringToObject(e, "Value", t->v[i].value);
        cJSON_AddItemToArray(a, e);
    }
}

static cJSON *refs_json(const world_policy_ref *r, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "PolicyName", r[i].name);
        cJSON_AddStringToObject(o, "PolicyType", r[i].system ? "System" : "Custom");
        add_date(o, "AttachDate", r[i].attach_ms);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* Documents are kept as the text the user gave; export them as objects when
 * they parse (they always do: the loader and the RAM API checked them). */
static void add_doc(cJSON *o, const char *key, const char *text)
{
    cJSON *doc = cJSON_Parse(text);
    if (doc)
        cJSON_AddItemToObject(o, key, doc);
    else
        cJSON_AddStringToObject(o, key, text);
}

static cJSON *account_json(const world_account *a, world_export_mode mode)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "AccountId", a->id);
    cJSON_AddStringToObject(o, "AccountAlias", a->alias);
    cJSON_AddItemToObject(o, "AccessKeys", keys_json(a->keys, a->n_keys));

    cJSON *pols = cJSON_AddArrayToObject(o, "Policies");
    for (size_t i = 0; i < a->n_policies; i++) {
        const world_policy *p = a->policies[i];
        cJSON *po = cJSON_CreateObject();
        cJSON_AddStringToObject(po, "PolicyName", p->name);
        cJSON_AddStringToObject(po, "Description", p->description);
        cJSON_AddStringToObject(po, "DefaultVersion", p->versions[p->default_version].id);
        add_date(po, "CreateDate", p->create_ms);
        add_date(po, "UpdateDate", p->update_ms);
        cJSON *vs = cJSON_AddArrayToObject(po, "Versions");
        for (size_t v = 0; v < p->n_versions; v++) {
            cJSON *vo = cJSON_CreateObject();
            cJSON_AddStringToObject(vo, "VersionId", p->versions[v].id);
            add_doc(vo, "PolicyDocument", p->versions[v].document);
            add_date(vo, "CreateDate", p->versions[v].create_ms);
            cJSON_AddItemToArray(vs, vo);
        }
        add_tags(po, &p->tags);
        cJSON_AddItemToArray(pols, po);
    }

    cJSON *groups = cJSON_AddArrayToObject(o, "Groups");
    for (size_t i = 0; i < a->n_groups; i++) {
        const world_group *g = a->groups[i];
        cJSON *go = cJSON_CreateObject();
        cJSON_AddStringToObject(go, "GroupName", g->name);
        cJSON_AddStringToObject(go, "GroupId", g->id);
        cJSON_AddStringToObject(go, "Comments", g->comments);
        add_date(go, "CreateDate", g->create_ms);
        add_date(go, "UpdateDate", g->update_ms);
        cJSON_AddItemToObject(go, "AttachedPolicies", refs_json(g->policies, g->n_policies));
        cJSON_AddItemToArray(groups, go);
    }

    cJSON *users = cJSON_AddArrayToObject(o, "Users");
    for (size_t i = 0; i < a->n_users; i++) {
        const world_user *u = a->users[i];
        cJSON *uo = cJSON_CreateObject();
        cJSON_AddStringToObject(uo, "UserName", u->name);
        cJSON_AddStringToObject(uo, "UserId", u->id);
        cJSON_AddStringToObject(uo, "DisplayName", u->display_name);
        cJSON_AddStringToObject(uo, "Email", u->email);
        cJSON_AddStringToObject(uo, "MobilePhone", u->mobile_phone);
        cJSON_AddStringToObject(uo, "Comments", u->comments);
        add_date(uo, "CreateDate", u->create_ms);
        add_date(uo, "UpdateDate", u->update_ms);
        cJSON_AddItemToObject(uo, "AccessKeys", keys_json(u->keys, u->n_keys));
        cJSON_AddItemToObject(uo, "AttachedPolicies", refs_json(u->policies, u->n_policies));
        cJSON *ug = cJSON_AddArrayToObject(uo, "Groups");
        for (size_t g = 0; g < a->n_groups; g++)
            for (size_t m = 0; m < a->groups[g]->n_members; m++)
                if (emu_strcasecmp(a->groups[g]->members[m], u->name) == 0)
                    cJSON_AddItemToArray(ug, cJSON_CreateString(a->groups[g]->name));
        cJSON_AddItemToArray(users, uo);
    }

    cJSON *roles = cJSON_AddArrayToObject(o, "Roles");
    for (size_t i = 0; i < a->n_roles; i++) {
        const world_role *r = a->roles[i];
        cJSON *ro = cJSON_CreateObject();
        cJSON_AddStringToObject(ro, "RoleName", r->name);
        cJSON_AddStringToObject(ro, "RoleId", r->id);
        cJSON_AddStringToObject(ro, "Description", r->description);
        cJSON_AddNumberToObject(ro, "MaxSessionDuration", r->max_session_duration);
        add_doc(ro, "AssumeRolePolicyDocument", r->trust_document);
        add_date(ro, "CreateDate", r->create_ms);
        add_date(ro, "UpdateDate", r->update_ms);
        cJSON_AddItemToObject(ro, "AttachedPolicies", refs_json(r->policies, r->n_policies));
        add_tags(ro, &r->tags);
        cJSON_AddItemToArray(roles, ro);
    }

    cJSON *svc = cJSON_AddArrayToObject(o, "ServiceCredentials");
    for (size_t i = 0; i < a->n_service_creds; i++) {
        cJSON *so = cJSON_CreateObject();
        cJSON_AddStringToObject(so, "Service", a->service_creds[i].service);
        cJSON_AddStringToObject(so, "AccessKeyId", a->service_creds[i].id);
        cJSON_AddStringToObject(so, "AccessKeySecret", a->service_creds[i].secret);
        cJSON_AddItemToArray(svc, so);
    }

    for (int s = 0; s < world__n_sections && mode != WORLD_EXPORT_NO_SECTIONS; s++) {
        const world_section *sec = world__sections[s];
        if (!a->sections[s])
            continue;
        cJSON *sj = mode == WORLD_EXPORT_META && sec->save_meta ? sec->save_meta(a->sections[s])
                                                                : sec->save(a->sections[s]);
        if (sj)
            cJSON_AddItemToObject(o, world__sections[s]->name, sj);
    }
    return o;
}

cJSON *world__export(const world_t *w, world_export_mode mode)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Region", w->region);
    cJSON *accts = cJSON_AddArrayToObject(o, "Accounts");
    for (size_t i = 0; i < w->n_accounts; i++)
        cJSON_AddItemToArray(accts, account_json(w->accounts[i], mode));
    if (w->n_sessions && mode != WORLD_EXPORT_META)
        cJSON_AddItemToObject(o, "Sessions", world__export_sessions(w));
    return o;
}

cJSON *world_export(const world_t *w)
{
    return world__export(w, WORLD_EXPORT_ALL);
}

cJSON *world_export_meta(const world_t *w)
{
    return world__export(w, WORLD_EXPORT_META);
}

world_t *world_clone(const world_t *w)
{
    emu_err err = {0};
    world_t *copy = NULL;
    cJSON *doc = world__export(w, WORLD_EXPORT_NO_SECTIONS);

    /* Our own export always loads; anything else is a bug worth a crash. */
    if (world__load(doc, "clone", w->base_dir, true, &copy, &err) != EMU_OK) {
        emu_log(EMU_LOG_ERROR, "ERR internal: world clone failed: %s", err.msg);
        abort();
    }
    cJSON_Delete(doc);
    for (size_t i = 0; i < w->n_accounts; i++)
        for (int s = 0; s < world__n_sections; s++)
            if (w->accounts[i]->sections[s])
                copy->accounts[i]->sections[s] =
                    world__sections[s]->clone(w->accounts[i]->sections[s]);
    return copy;
}

/* Sessions of roles that `next` no longer has are revoked, as DeleteRole
 * revoked them in the process that wrote the document. */
static void revoke_deleted_roles(world_t *old, const world_t *next)
{
    for (size_t i = 0; i < old->n_accounts; i++) {
        const world_account *oa = old->accounts[i];
        const world_account *na = world_account_find(next, oa->id);
        for (size_t r = 0; r < oa->n_roles; r++)
            if (!na || !world_role_find(na, oa->roles[r]->name))
                world_session_revoke_role(old, oa->id, oa->roles[r]->name);
    }
}

static void swap_sessions(world_t *a, world_t *b)
{
    world_t tmp = *a;
    a->sessions = b->sessions;
    a->n_sessions = b->n_sessions;
    a->session_by_key = b->session_by_key;
    a->session_by_token = b->session_by_token;
    a->sessions_cap = b->sessions_cap;
    b->sessions = tmp.sessions;
    b->n_sessions = tmp.n_sessions;
    b->session_by_key = tmp.session_by_key;
    b->session_by_token = tmp.session_by_token;
    b->sessions_cap = tmp.sessions_cap;
}

emu_rc world_load_successor(const cJSON *doc, const char *label, world_t *old, world_t **out,
                            emu_err *err)
{
    world_t *w = NULL;
    emu_rc rc = world__load(doc, label, old->base_dir, false, &w, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < w->n_accounts; i++) {
        world_account *a = w->accounts[i];
        world_account *oa = world_account_find(old, a->id);
        for (int s = 0; oa && s < world__n_sections; s++)
            if (world__sections[s]->adopt && a->sections[s] && oa->sections[s])
                world__sections[s]->adopt(a->sections[s], oa->sections[s]);
    }
    revoke_deleted_roles(old, w);
    /* A document with sessions of its own keeps them. */
    if (!w->n_sessions)
        swap_sessions(w, old);
    world_free(old);
    *out = w;
    return EMU_OK;
}
