/* The resource directory as world state: the "ResourceDirectory" section of
 * its management account (load, save, clone, free), the lookups the API
 * uses, and the control levels the authorize phase asks for on every request
 * of a member account's RAM user or role session.
 *
 * World-file shape (every field but Accounts optional):
 *   "ResourceDirectory": {
 *     "ResourceDirectoryId": "rd-…", "RootFolderId": "r-…",
 *     "ControlPolicyStatus": "Enabled" | "Disabled",
 *     "Folders": [{"FolderId": "fd-…", "FolderName": "prod", "ParentFolderId": "r-…"}],
 *     "Accounts": [{"AccountId": "56789", "FolderId": "fd-…", "DisplayName": "b"}],
 *     "ControlPolicies": [{"PolicyId": "cp-…", "PolicyName": "NoRamWrites",
 *                          "Description": "…", "EffectScope": "RAM",
 *                          "PolicyDocument": {...} | "..."}],
 *     "ControlPolicyAttachments": [{"PolicyId": "cp-…", "TargetId": "fd-…"}]}
 * Without ControlPolicyAttachments the System policy FullAliyunAccess is
 * attached to the Root folder, every folder and every member, as the
 * service does when it creates them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/json.h"
#include "emu/str.h"
#include "rm_int.h"

#define FULL_ACCESS_ID "cp-FullAliyunAccess"

static int section_index = -1;

/* ---------------------------------------------------------------------------------------------
 * Lookups
 * ------------------------------------------------------------------------------------------- */

rm_dir *rm__dir_of(const world_t *w, const char *account_id)
{
    if (section_index < 0 || !account_id)
        return NULL;
    const world_account *a = world_account_find(w, account_id);
    return a ? a->sections[section_index] : NULL;
}

rm_dir *rm__dir_with_member(const world_t *w, const char *account_id)
{
    if (section_index < 0 || !account_id)
        return NULL;
    for (size_t i = 0; i < world_account_count(w); i++) {
        rm_dir *d = world_account_at(w, i)->sections[section_index];
        if (d && rm__member_find(d, account_id))
            return d;
    }
    return NULL;
}

rm_folder *rm__folder_find(const rm_dir *d, const char *id)
{
    for (size_t i = 0; d && id && i < d->n_folders; i++)
        if (strcmp(d->folders[i].id, id) == 0)
            return &d->folders[i];
    return NULL;
}

rm_member *rm__member_find(const rm_dir *d, const char *account_id)
{
    for (size_t i = 0; d && account_id && i < d->n_members; i++)
        if (strcmp(d->members[i].account_id, account_id) == 0)
            return &d->members[i];
    return NULL;
}

rm_policy *rm__policy_find(const rm_dir *d, const char *id)
{
    for (size_t i = 0; d && id && i < d->n_policies; i++)
        if (strcmp(d->policies[i].id, id) == 0)
            return &d->policies[i];
    return NULL;
}

bool rm__target_exists(const rm_dir *d, const char *id)
{
    return id && (strcmp(id, d->root_id) == 0 || rm__folder_find(d, id) || rm__member_find(d, id));
}

size_t rm__attach_count(const rm_dir *d, const char *target)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_attach; i++)
        n += strcmp(d->attach[i].target, target) == 0;
    return n;
}

size_t rm__policy_attachments(const rm_dir *d, const char *policy_id)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_attach; i++)
        n += strcmp(d->attach[i].policy_id, policy_id) == 0;
    return n;
}

void rm__attach_add(rm_dir *d, const char *policy_id, const char *target, const policy_doc_t *doc,
                    int64_t now_ms)
{
    d->attach = emu_xrealloc(d->attach, (d->n_attach + 1) * sizeof *d->attach);
    d->attach[d->n_attach++] =
        (rm_attach){emu_xstrdup(policy_id), emu_xstrdup(target), doc, now_ms};
}

void rm__attach_remove(rm_dir *d, size_t i)
{
    free(d->attach[i].policy_id);
    free(d->attach[i].target);
    memmove(&d->attach[i], &d->attach[i + 1], (d->n_attach - i - 1) * sizeof *d->attach);
    d->n_attach--;
}

emu_rc rm__compile(const char *text, size_t len, const char *name, policy_doc_t **out, emu_err *err)
{
    *out = NULL;
    if (len > EMU_MAX_CONTROL_POLICY_BYTES)
        return emu_err_set(err, EMU_E_LIMIT, NULL,
                           "the policy document has more than %d characters",
                           EMU_MAX_CONTROL_POLICY_BYTES);
    emu_rc rc = policy_compile(text, len, POLICY_KIND_PERMISSION, out, err);
    if (rc == EMU_OK)
        policy_doc_set_label(*out, name, "Custom", "v1");
    return rc;
}

char *rm__make_id(const char *master, const char *kind, const char *name, const char *prefix)
{
    char digits[24];
    world_make_id(master, kind, name, 16, digits);
    size_t n = strlen(prefix);
    char *out = emu_xmalloc(n + 17);
    memcpy(out, prefix, n);
    memcpy(out + n, digits, 17);
    return out;
}

/* ---------------------------------------------------------------------------------------------
 * The control levels (emu_authz_control_fn): allocation-free, every request
 * ------------------------------------------------------------------------------------------- */

static size_t level(const rm_dir *d, const char *target, policy_control_level *lv,
                    const policy_doc_t **docs, size_t room)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_attach && n < room; i++)
        if (d->attach[i].doc && strcmp(d->attach[i].target, target) == 0)
            docs[n++] = d->attach[i].doc;
    *lv = (policy_control_level){target, docs, n};
    return n;
}

static size_t control_levels(const world_t *w, const char *account_id, policy_control_level *levels,
                             size_t cap, const policy_doc_t **docs, size_t doc_cap)
{
    const rm_dir *d = rm__dir_with_member(w, account_id);
    if (!d || !d->control_enabled || strcmp(d->master, account_id) == 0)
        return 0; /* the management account is never bounded */
    const rm_member *m = rm__member_find(d, account_id);
    size_t n = 0, used = 0;
    const char *node = m->account_id;
    const char *parent = m->folder;
    while (node && n < cap) {
        used += level(d, node, &levels[n], docs + used, doc_cap - used);
        n++;
        if (!parent)
            break;
        node = parent;
        const rm_folder *f = rm__folder_find(d, parent);
        parent = f ? f->parent : NULL; /* the Root folder has no parent */
    }
    return n;
}

void emu_rm_register(void)
{
    world_register_section(&rm_world_section);
    section_index = world_section_index(rm_world_section.name);
    emu_authz_set_control_source(control_levels);
}

/* ---------------------------------------------------------------------------------------------
 * Section hooks
 * ------------------------------------------------------------------------------------------- */

static void rm_free(void *state)
{
    rm_dir *d = state;
    if (!d)
        return;
    for (size_t i = 0; i < d->n_folders; i++) {
        free(d->folders[i].id);
        free(d->folders[i].name);
        free(d->folders[i].parent);
    }
    for (size_t i = 0; i < d->n_members; i++) {
        free(d->members[i].account_id);
        free(d->members[i].folder);
        free(d->members[i].display_name);
    }
    for (size_t i = 0; i < d->n_policies; i++) {
        rm_policy *p = &d->policies[i];
        free(p->id);
        free(p->name);
        free(p->description);
        free(p->effect_scope);
        free(p->document);
        policy_doc_free(p->doc);
    }
    for (size_t i = 0; i < d->n_attach; i++) {
        free(d->attach[i].policy_id);
        free(d->attach[i].target);
    }
    free(d->folders);
    free(d->members);
    free(d->policies);
    free(d->attach);
    free(d->id);
    free(d->root_id);
    free(d->master);
    free(d);
}

static char *dup_or_null(const char *s)
{
    return s ? emu_xstrdup(s) : NULL;
}

static void *rm_clone(const void *state)
{
    const rm_dir *s = state;
    if (!s)
        return NULL;
    rm_dir *d = emu_xcalloc(1, sizeof *d);
    d->id = emu_xstrdup(s->id);
    d->root_id = emu_xstrdup(s->root_id);
    d->master = emu_xstrdup(s->master);
    d->control_enabled = s->control_enabled;
    d->create_ms = s->create_ms;
    d->folders = emu_xcalloc(s->n_folders + 1, sizeof *d->folders);
    for (size_t i = 0; i < s->n_folders; i++, d->n_folders++)
        d->folders[i] = (rm_folder){emu_xstrdup(s->folders[i].id), emu_xstrdup(s->folders[i].name),
                                    emu_xstrdup(s->folders[i].parent), s->folders[i].create_ms};
    d->members = emu_xcalloc(s->n_members + 1, sizeof *d->members);
    for (size_t i = 0; i < s->n_members; i++, d->n_members++)
        d->members[i] =
            (rm_member){emu_xstrdup(s->members[i].account_id), emu_xstrdup(s->members[i].folder),
                        dup_or_null(s->members[i].display_name), s->members[i].join_ms};
    d->policies = emu_xcalloc(s->n_policies + 1, sizeof *d->policies);
    for (size_t i = 0; i < s->n_policies; i++, d->n_policies++) {
        const rm_policy *p = &s->policies[i];
        /* Compiled documents are immutable: the copy holds the same one. */
        d->policies[i] = (rm_policy){emu_xstrdup(p->id),
                                     emu_xstrdup(p->name),
                                     emu_xstrdup(p->description),
                                     emu_xstrdup(p->effect_scope),
                                     emu_xstrdup(p->document),
                                     (policy_doc_t *)(uintptr_t)policy_doc_ref(p->doc),
                                     p->create_ms,
                                     p->update_ms};
    }
    d->attach = emu_xcalloc(s->n_attach + 1, sizeof *d->attach);
    for (size_t i = 0; i < s->n_attach; i++, d->n_attach++)
        d->attach[i] =
            (rm_attach){emu_xstrdup(s->attach[i].policy_id), emu_xstrdup(s->attach[i].target),
                        s->attach[i].doc, s->attach[i].attach_ms};
    return d;
}

static void add_date(cJSON *o, const char *key, int64_t ms)
{
    char when[21];
    emu_time_iso(ms, when);
    cJSON_AddStringToObject(o, key, when);
}

static cJSON *rm_save(const void *state)
{
    const rm_dir *d = state;
    if (!d)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ResourceDirectoryId", d->id);
    cJSON_AddStringToObject(o, "RootFolderId", d->root_id);
    cJSON_AddStringToObject(o, "ControlPolicyStatus", d->control_enabled ? "Enabled" : "Disabled");
    add_date(o, "CreateTime", d->create_ms);
    cJSON *fs = cJSON_AddArrayToObject(o, "Folders");
    for (size_t i = 0; i < d->n_folders; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "FolderId", d->folders[i].id);
        cJSON_AddStringToObject(f, "FolderName", d->folders[i].name);
        cJSON_AddStringToObject(f, "ParentFolderId", d->folders[i].parent);
        add_date(f, "CreateTime", d->folders[i].create_ms);
        cJSON_AddItemToArray(fs, f);
    }
    cJSON *ms = cJSON_AddArrayToObject(o, "Accounts");
    for (size_t i = 0; i < d->n_members; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "AccountId", d->members[i].account_id);
        cJSON_AddStringToObject(m, "FolderId", d->members[i].folder);
        if (d->members[i].display_name)
            cJSON_AddStringToObject(m, "DisplayName", d->members[i].display_name);
        add_date(m, "JoinTime", d->members[i].join_ms);
        cJSON_AddItemToArray(ms, m);
    }
    cJSON *ps = cJSON_AddArrayToObject(o, "ControlPolicies");
    for (size_t i = 0; i < d->n_policies; i++) {
        const rm_policy *p = &d->policies[i];
        cJSON *pj = cJSON_CreateObject();
        cJSON_AddStringToObject(pj, "PolicyId", p->id);
        cJSON_AddStringToObject(pj, "PolicyName", p->name);
        cJSON_AddStringToObject(pj, "Description", p->description);
        cJSON_AddStringToObject(pj, "EffectScope", p->effect_scope);
        cJSON_AddStringToObject(pj, "PolicyDocument", p->document);
        add_date(pj, "CreateDate", p->create_ms);
        add_date(pj, "UpdateDate", p->update_ms);
        cJSON_AddItemToArray(ps, pj);
    }
    cJSON *as = cJSON_AddArrayToObject(o, "ControlPolicyAttachments");
    for (size_t i = 0; i < d->n_attach; i++) {
        cJSON *aj = cJSON_CreateObject();
        cJSON_AddStringToObject(aj, "PolicyId", d->attach[i].policy_id);
        cJSON_AddStringToObject(aj, "TargetId", d->attach[i].target);
        add_date(aj, "AttachDate", d->attach[i].attach_ms);
        cJSON_AddItemToArray(as, aj);
    }
    return o;
}

/* --- load ----------------------------------------------------------------------------------- */

typedef struct loader {
    const char *jpath;
    emu_err *err;
    emu_rc rc;
} loader;

static bool fail(loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(loader *l, const char *fmt, ...)
{
    char msg[sizeof l->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l->rc = emu_err_set(l->err, EMU_E_INVALID, NULL, "%s.%s", l->jpath, msg);
    return false;
}

/* Only the named fields; strings where given. */
static bool fields(loader *l, const cJSON *o, const char *where, const char *const *known)
{
    if (!cJSON_IsObject(o))
        return fail(l, "%s: must be an object", where);
    for (const cJSON *c = o->child; c; c = c->next) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], c->string) != 0)
            k++;
        if (!known[k])
            return fail(l, "%s: unknown field \"%s\"", where, c->string);
        if (strcmp(c->string, "PolicyDocument") != 0 && !cJSON_IsString(c))
            return fail(l, "%s.%s: must be a string", where, c->string);
    }
    return true;
}

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static bool date(loader *l, const cJSON *o, const char *k, const char *where, int64_t *ms)
{
    const char *s = str(o, k);
    *ms = emu_clock_now_ms();
    if (s && !emu_time_parse_iso(s, strlen(s), false, ms))
        return *where ? fail(l, "%s.%s: not an ISO-8601 UTC time", where, k)
                      : fail(l, "%s: not an ISO-8601 UTC time", k);
    return true;
}

static bool load_folders(loader *l, rm_dir *d, const cJSON *arr)
{
    static const char *const known[] = {"FolderId", "FolderName", "ParentFolderId", "CreateTime",
                                        NULL};
    char where[64];
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > EMU_MAX_RD_FOLDERS)
        return fail(l, "Folders: more than %d folders", EMU_MAX_RD_FOLDERS);
    d->folders = emu_xcalloc(n + 1, sizeof *d->folders);
    const cJSON *f;
    cJSON_ArrayForEach(f, arr)
    {
        snprintf(where, sizeof where, "Folders[%zu]", d->n_folders);
        if (!fields(l, f, where, known))
            return false;
        const char *id = str(f, "FolderId"), *name = str(f, "FolderName");
        const char *parent = str(f, "ParentFolderId");
        if (!id || strncmp(id, "fd-", 3) != 0 || !id[3])
            return fail(l, "%s.FolderId: needs an id starting with \"fd-\"", where);
        if (!name || !*name || strlen(name) > 24)
            return fail(l, "%s.FolderName: 1 to 24 characters", where);
        if (rm__folder_find(d, id))
            return fail(l, "%s.FolderId: \"%s\" given twice", where, id);
        if (parent && strcmp(parent, d->root_id) != 0 && !rm__folder_find(d, parent))
            return fail(l,
                        "%s.ParentFolderId: no folder \"%s\" before it (list parents first; the "
                        "Root folder is \"%s\")",
                        where, parent, d->root_id);
        int64_t ms;
        if (!date(l, f, "CreateTime", where, &ms))
            return false;
        /* Depth: the Root folder's children are level 1. */
        size_t depth = 1;
        for (const rm_folder *p = rm__folder_find(d, parent); p; p = rm__folder_find(d, p->parent))
            depth++;
        if (depth > EMU_MAX_FOLDER_DEPTH)
            return fail(l, "%s: folders nest at most %d levels below the Root folder", where,
                        EMU_MAX_FOLDER_DEPTH);
        d->folders[d->n_folders++] = (rm_folder){emu_xstrdup(id), emu_xstrdup(name),
                                                 emu_xstrdup(parent ? parent : d->root_id), ms};
    }
    return true;
}

static bool load_members(loader *l, rm_dir *d, const cJSON *arr)
{
    static const char *const known[] = {"AccountId", "FolderId", "DisplayName", "JoinTime", NULL};
    char where[64];
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > EMU_MAX_RD_ACCOUNTS)
        return fail(l, "Accounts: more than %d members", EMU_MAX_RD_ACCOUNTS);
    d->members = emu_xcalloc(n + 1, sizeof *d->members);
    const cJSON *m;
    cJSON_ArrayForEach(m, arr)
    {
        snprintf(where, sizeof where, "Accounts[%zu]", d->n_members);
        if (!fields(l, m, where, known))
            return false;
        const char *id = str(m, "AccountId"), *folder = str(m, "FolderId");
        if (!id || !*id || strspn(id, "0123456789") != strlen(id) || strlen(id) > 20)
            return fail(l, "%s.AccountId: needs the member's account id (digits)", where);
        if (rm__member_find(d, id))
            return fail(l, "%s.AccountId: \"%s\" given twice", where, id);
        if (folder && strcmp(folder, d->root_id) != 0 && !rm__folder_find(d, folder))
            return fail(l, "%s.FolderId: no folder \"%s\"", where, folder);
        int64_t ms;
        if (!date(l, m, "JoinTime", where, &ms))
            return false;
        d->members[d->n_members++] =
            (rm_member){emu_xstrdup(id), emu_xstrdup(folder ? folder : d->root_id),
                        dup_or_null(str(m, "DisplayName")), ms};
    }
    return true;
}

static bool load_policies(loader *l, rm_dir *d, const cJSON *arr)
{
    static const char *const known[] = {"PolicyId",   "PolicyName", "Description",    "EffectScope",
                                        "CreateDate", "UpdateDate", "PolicyDocument", NULL};
    char where[64];
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > EMU_MAX_RD_CONTROL_POLICIES)
        return fail(l, "ControlPolicies: more than %d policies", EMU_MAX_RD_CONTROL_POLICIES);
    d->policies = emu_xcalloc(n + 1, sizeof *d->policies);
    const cJSON *p;
    cJSON_ArrayForEach(p, arr)
    {
        snprintf(where, sizeof where, "ControlPolicies[%zu]", d->n_policies);
        if (!fields(l, p, where, known))
            return false;
        const char *name = str(p, "PolicyName"), *id = str(p, "PolicyId");
        const char *scope = str(p, "EffectScope");
        const cJSON *doc = cJSON_GetObjectItemCaseSensitive(p, "PolicyDocument");
        if (!name || !*name || strlen(name) > 128)
            return fail(l, "%s.PolicyName: 1 to 128 characters", where);
        if (scope && strcmp(scope, "RAM") != 0)
            return fail(l, "%s.EffectScope: only \"RAM\" is supported", where);
        for (size_t i = 0; i < d->n_policies; i++)
            if (strcmp(d->policies[i].name, name) == 0 || (id && !strcmp(d->policies[i].id, id)))
                return fail(l, "%s: \"%s\" given twice", where,
                            id && !strcmp(d->policies[i].id, id) ? id : name);
        if (policy_system_control_find(name, NULL) || (id && policy_system_control_find(id, NULL)))
            return fail(l, "%s: \"%s\" is a System control policy", where, name);
        char *text = cJSON_IsString(doc)   ? emu_xstrdup(doc->valuestring)
                     : cJSON_IsObject(doc) ? cJSON_PrintUnformatted(doc)
                                           : NULL;
        if (!text)
            return fail(l, "%s.PolicyDocument: must be an object or a JSON string", where);
        policy_doc_t *compiled = NULL;
        emu_err e = {0};
        if (rm__compile(text, strlen(text), name, &compiled, &e) != EMU_OK) {
            free(text);
            return fail(l, "%s.PolicyDocument: %s", where, e.msg);
        }
        int64_t c_ms, u_ms;
        if (!date(l, p, "CreateDate", where, &c_ms) || !date(l, p, "UpdateDate", where, &u_ms)) {
            free(text);
            policy_doc_free(compiled);
            return false;
        }
        const char *descr = str(p, "Description");
        d->policies[d->n_policies++] = (rm_policy){
            id ? emu_xstrdup(id) : rm__make_id(d->master, "control-policy", name, "cp-"),
            emu_xstrdup(name),
            emu_xstrdup(descr ? descr : ""),
            emu_xstrdup("RAM"),
            text,
            compiled,
            c_ms,
            u_ms};
    }
    return true;
}

/* The compiled document of a Custom or System control policy id. */
static const policy_doc_t *policy_doc_of(const rm_dir *d, const char *id)
{
    const rm_policy *p = rm__policy_find(d, id);
    return p ? p->doc : policy_system_control_find(id, NULL);
}

static bool load_attachments(loader *l, rm_dir *d, const cJSON *arr)
{
    static const char *const known[] = {"PolicyId", "TargetId", "AttachDate", NULL};
    char where[64];
    size_t i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, arr)
    {
        snprintf(where, sizeof where, "ControlPolicyAttachments[%zu]", i++);
        if (!fields(l, a, where, known))
            return false;
        const char *pid = str(a, "PolicyId"), *target = str(a, "TargetId");
        const policy_doc_t *doc = pid ? policy_doc_of(d, pid) : NULL;
        if (!doc)
            return fail(l, "%s.PolicyId: no control policy \"%s\"", where, pid ? pid : "");
        if (!rm__target_exists(d, target))
            return fail(l, "%s.TargetId: \"%s\" is not the Root folder, a folder or a member",
                        where, target ? target : "");
        for (size_t k = 0; k < d->n_attach; k++)
            if (!strcmp(d->attach[k].policy_id, pid) && !strcmp(d->attach[k].target, target))
                return fail(l, "%s: attached twice", where);
        if (rm__attach_count(d, target) >= EMU_MAX_CONTROL_POLICIES_PER_TARGET)
            return fail(l, "%s: more than %d control policies on %s", where,
                        EMU_MAX_CONTROL_POLICIES_PER_TARGET, target);
        int64_t ms;
        if (!date(l, a, "AttachDate", where, &ms))
            return false;
        rm__attach_add(d, pid, target, doc, ms);
    }
    return true;
}

static emu_rc rm_load(const char *account_id, const cJSON *j, const char *jpath,
                      const char *base_dir, void **state, emu_err *err)
{
    static const char *const known[] = {"ResourceDirectoryId",
                                        "RootFolderId",
                                        "ControlPolicyStatus",
                                        "CreateTime",
                                        "Folders",
                                        "Accounts",
                                        "ControlPolicies",
                                        "ControlPolicyAttachments",
                                        NULL};
    (void)base_dir;
    *state = NULL;
    if (!j)
        return EMU_OK; /* no directory */
    loader l = {jpath, err, EMU_OK};
    rm_dir *d = emu_xcalloc(1, sizeof *d);
    d->master = emu_xstrdup(account_id);
    if (!cJSON_IsObject(j)) {
        l.rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s: must be an object", jpath);
        goto bad;
    }
    for (const cJSON *c = j->child; c; c = c->next) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], c->string) != 0)
            k++;
        if (!known[k]) {
            l.rc =
                emu_err_set(err, EMU_E_INVALID, NULL, "%s: unknown field \"%s\"", jpath, c->string);
            goto bad;
        }
        bool is_list = k >= 4;
        if (is_list ? !cJSON_IsArray(c) : !cJSON_IsString(c)) {
            l.rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: must be %s", jpath, c->string,
                               is_list ? "an array" : "a string");
            goto bad;
        }
    }
    const char *id = str(j, "ResourceDirectoryId"), *root = str(j, "RootFolderId");
    const char *status = str(j, "ControlPolicyStatus");
    d->id = id ? emu_xstrdup(id) : rm__make_id(account_id, "resource-directory", "", "rd-");
    d->root_id = root ? emu_xstrdup(root) : rm__make_id(account_id, "root-folder", "", "r-");
    if (strncmp(d->root_id, "r-", 2) != 0) {
        l.rc =
            emu_err_set(err, EMU_E_INVALID, NULL, "%s.RootFolderId: must start with \"r-\"", jpath);
        goto bad;
    }
    if (status && strcmp(status, "Enabled") && strcmp(status, "Disabled")) {
        l.rc = emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.ControlPolicyStatus: \"Enabled\" or \"Disabled\"", jpath);
        goto bad;
    }
    d->control_enabled = status && strcmp(status, "Enabled") == 0;
    if (!date(&l, j, "CreateTime", "", &d->create_ms))
        goto bad;
    const cJSON *empty = NULL;
    const cJSON *folders = cJSON_GetObjectItemCaseSensitive(j, "Folders");
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(j, "Accounts");
    const cJSON *policies = cJSON_GetObjectItemCaseSensitive(j, "ControlPolicies");
    const cJSON *attach = cJSON_GetObjectItemCaseSensitive(j, "ControlPolicyAttachments");
    if (!load_folders(&l, d, folders ? folders : empty) ||
        !load_members(&l, d, members ? members : empty) ||
        !load_policies(&l, d, policies ? policies : empty))
        goto bad;
    if (rm__member_find(d, account_id)) {
        l.rc = emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.Accounts: the management account %s is not a member", jpath,
                           account_id);
        goto bad;
    }
    if (attach) {
        if (!load_attachments(&l, d, attach))
            goto bad;
    } else {
        /* The service attaches FullAliyunAccess to every node it creates. */
        const policy_doc_t *full = policy_system_control_find(FULL_ACCESS_ID, NULL);
        rm__attach_add(d, FULL_ACCESS_ID, d->root_id, full, d->create_ms);
        for (size_t i = 0; i < d->n_folders; i++)
            rm__attach_add(d, FULL_ACCESS_ID, d->folders[i].id, full, d->folders[i].create_ms);
        for (size_t i = 0; i < d->n_members; i++)
            rm__attach_add(d, FULL_ACCESS_ID, d->members[i].account_id, full,
                           d->members[i].join_ms);
    }
    *state = d;
    return EMU_OK;
bad:
    rm_free(d);
    return l.rc ? l.rc : EMU_E_INVALID;
}

static size_t rm_stats(const void *state, world_stat *out, size_t cap)
{
    const rm_dir *d = state;
    if (cap < 2)
        return 0;
    out[0] = (world_stat){"rdMembers", d ? (double)d->n_members : 0};
    out[1] = (world_stat){"controlPolicies", d ? (double)d->n_policies : 0};
    return 2;
}

const world_section rm_world_section = {
    .name = "ResourceDirectory",
    .load = rm_load,
    .save = rm_save,
    .clone = rm_clone,
    .free = rm_free,
    .stats = rm_stats,
};
