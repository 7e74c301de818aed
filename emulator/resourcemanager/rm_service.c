/* ResourceManager 2020-03-31 over RPC (resourcemanager.aliyuncs.com): the
 * resource directory (GetResourceDirectory, ListAccounts, CreateFolder,
 * MoveAccount) and its control policies (Enable/Disable/
 * GetControlPolicyEnablementStatus, Create/Get/Update/Delete/
 * ListControlPolicies, Attach/DetachControlPolicy,
 * ListControlPolicyAttachmentsForTarget,
 * ListTargetAttachmentsForControlPolicy). Any other action answers the
 * gateway's InvalidAction.NotFound.
 *
 * The directory belongs to its management account; member accounts may read
 * it (GetResourceDirectory) but change nothing. Enabling control policies
 * takes effect at once (the service answers PendingEnable and finishes in the
 * background [inferred: acsemu has no background]). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/rpc.h"
#include "emu/str.h"
#include "rm_int.h"

typedef enum rm_err {
#define RM_ERROR(id, code, rc, status, msg) RM_ERR_##id,
#include "rm_errors.def"
#undef RM_ERROR
    RM_ERR_COUNT
} rm_err;

static const struct {
    const char *code;
    emu_rc rc;
    int status;
    const char *msg;
} rm_errors[] = {
#define RM_ERROR(id, code, rc, status, msg) {code, rc, status, msg},
#include "rm_errors.def"
#undef RM_ERROR
};

static emu_rc rm_fail(emu_call *call, rm_err id)
{
    emu_err_set(&call->err, rm_errors[id].rc, rm_errors[id].code, "%s", rm_errors[id].msg);
    call->err.status = rm_errors[id].status;
    return rm_errors[id].rc;
}

static emu_rc bad_param(emu_call *call, const char *name)
{
    emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter",
                "The specified parameter \"%s\" is not valid.", name);
    call->err.status = 400;
    return EMU_E_INVALID;
}

/* The directory the caller's account manages; members and outsiders get the
 * service's refusal. */
static emu_rc managed(emu_call *call, rm_dir **d)
{
    *d = rm__dir_of(call->world, call->principal.account_id);
    if (*d)
        return EMU_OK;
    return rm__dir_with_member(call->world, call->principal.account_id)
               ? rm_fail(call, RM_ERR_NOT_MANAGEMENT)
               : rm_fail(call, RM_ERR_RD_NOT_EXIST);
}

static const char *date(emu_call *call, int64_t ms)
{
    char *out = emu_arena_alloc(call->arena, 21);
    emu_time_iso(ms, out);
    return out;
}

/* PageNumber (from 1) and PageSize (1-100, default 10). */
static emu_rc paging(emu_call *call, size_t *page, size_t *size)
{
    const char *pn = emu_rpc_param(call, "PageNumber"), *ps = emu_rpc_param(call, "PageSize");
    char *end;
    *page = 1;
    *size = 10;
    if (pn && *pn) {
        unsigned long v = strtoul(pn, &end, 10);
        if (*end || v < 1 || v > 1000000)
            return bad_param(call, "PageNumber");
        *page = v;
    }
    if (ps && *ps) {
        unsigned long v = strtoul(ps, &end, 10);
        if (*end || v < 1 || v > 100)
            return bad_param(call, "PageSize");
        *size = v;
    }
    return EMU_OK;
}

static void page_fields(cJSON *r, size_t total, size_t page, size_t size)
{
    cJSON_AddNumberToObject(r, "TotalCount", (double)total);
    cJSON_AddNumberToObject(r, "PageNumber", (double)page);
    cJSON_AddNumberToObject(r, "PageSize", (double)size);
}

/* ---------------------------------------------------------------------------------------------
 * The directory
 * ------------------------------------------------------------------------------------------- */

static emu_rc rm_get_resource_directory(emu_call *call)
{
    rm_dir *d = rm__dir_of(call->world, call->principal.account_id);
    if (!d)
        d = rm__dir_with_member(call->world, call->principal.account_id);
    if (!d)
        return rm_fail(call, RM_ERR_RD_NOT_EXIST);
    const world_account *m = world_account_find(call->world, d->master);
    cJSON *r = cJSON_CreateObject();
    cJSON *o = cJSON_AddObjectToObject(r, "ResourceDirectory");
    cJSON_AddStringToObject(o, "ResourceDirectoryId", d->id);
    cJSON_AddStringToObject(o, "MasterAccountId", d->master);
    cJSON_AddStringToObject(o, "MasterAccountName", m && m->alias ? m->alias : d->master);
    cJSON_AddStringToObject(o, "RootFolderId", d->root_id);
    cJSON_AddStringToObject(o, "CreateTime", date(call, d->create_ms));
    cJSON_AddStringToObject(o, "ControlPolicyStatus", d->control_enabled ? "Enabled" : "Disabled");
    call->result = r;
    return EMU_OK;
}

static emu_rc rm_list_accounts(emu_call *call)
{
    rm_dir *d;
    size_t page, size;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = paging(call, &page, &size)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Accounts"), "Account");
    for (size_t i = (page - 1) * size; i < d->n_members && i < page * size; i++) {
        const rm_member *m = &d->members[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "AccountId", m->account_id);
        cJSON_AddStringToObject(o, "DisplayName",
                                m->display_name ? m->display_name : m->account_id);
        cJSON_AddStringToObject(o, "FolderId", m->folder);
        cJSON_AddStringToObject(o, "ResourceDirectoryId", d->id);
        cJSON_AddStringToObject(o, "JoinMethod", "invited");
        cJSON_AddStringToObject(o, "JoinTime", date(call, m->join_ms));
        cJSON_AddStringToObject(o, "Status", "CreateSuccess");
        cJSON_AddStringToObject(o, "Type", "CloudAccount");
        cJSON_AddItemToArray(list, o);
    }
    page_fields(r, d->n_members, page, size);
    call->result = r;
    return EMU_OK;
}

static bool parent_ok(const rm_dir *d, const char *id)
{
    return strcmp(id, d->root_id) == 0 || rm__folder_find(d, id);
}

static emu_rc rm_create_folder(emu_call *call)
{
    rm_dir *d;
    const char *name;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = emu_rpc_require(call, "FolderName", &name)))
        return rc;
    const char *parent = emu_rpc_param(call, "ParentFolderId");
    if (!parent || !*parent)
        parent = d->root_id;
    if (!*name || strlen(name) > 24)
        return bad_param(call, "FolderName");
    if (!parent_ok(d, parent))
        return rm_fail(call, RM_ERR_FOLDER_NOT_EXIST);
    size_t depth = 1;
    for (const rm_folder *p = rm__folder_find(d, parent); p; p = rm__folder_find(d, p->parent))
        depth++;
    if (depth > EMU_MAX_FOLDER_DEPTH)
        return rm_fail(call, RM_ERR_FOLDER_DEPTH);
    for (size_t i = 0; i < d->n_folders; i++)
        if (!strcmp(d->folders[i].parent, parent) && !strcmp(d->folders[i].name, name))
            return rm_fail(call, RM_ERR_FOLDER_EXISTS);
    if (d->n_folders >= EMU_MAX_RD_FOLDERS)
        return rm_fail(call, RM_ERR_FOLDER_LIMIT);
    char key[96];
    snprintf(key, sizeof key, "%s/%s", parent, name);
    int64_t now = emu_clock_now_ms();
    d->folders = emu_xrealloc(d->folders, (d->n_folders + 1) * sizeof *d->folders);
    rm_folder *f = &d->folders[d->n_folders++];
    *f = (rm_folder){rm__make_id(d->master, "folder", key, "fd-"), emu_xstrdup(name),
                     emu_xstrdup(parent), now};
    /* The service attaches FullAliyunAccess to every new folder. */
    rm__attach_add(d, "cp-FullAliyunAccess", f->id,
                   policy_system_control_find("cp-FullAliyunAccess", NULL), now);
    cJSON *r = cJSON_CreateObject();
    cJSON *o = cJSON_AddObjectToObject(r, "Folder");
    cJSON_AddStringToObject(o, "FolderId", f->id);
    cJSON_AddStringToObject(o, "FolderName", f->name);
    cJSON_AddStringToObject(o, "ParentFolderId", f->parent);
    cJSON_AddStringToObject(o, "CreateTime", date(call, now));
    call->result = r;
    return EMU_OK;
}

static emu_rc rm_move_account(emu_call *call)
{
    rm_dir *d;
    const char *acct, *dest;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = emu_rpc_require(call, "AccountId", &acct)) ||
        (rc = emu_rpc_require(call, "DestinationFolderId", &dest)))
        return rc;
    rm_member *m = rm__member_find(d, acct);
    if (!m)
        return rm_fail(call, RM_ERR_ACCOUNT_NOT_EXIST);
    if (!parent_ok(d, dest))
        return rm_fail(call, RM_ERR_FOLDER_NOT_EXIST);
    free(m->folder);
    m->folder = emu_xstrdup(dest);
    call->result = cJSON_CreateObject();
    return EMU_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Control policies
 * ------------------------------------------------------------------------------------------- */

static emu_rc set_enabled(emu_call *call, bool on)
{
    rm_dir *d;
    emu_rc rc = managed(call, &d);
    if (rc)
        return rc;
    d->control_enabled = on;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "EnablementStatus", on ? "PendingEnable" : "PendingDisable");
    call->result = r;
    return EMU_OK;
}

static emu_rc rm_enable_control_policy(emu_call *call)
{
    return set_enabled(call, true);
}

static emu_rc rm_disable_control_policy(emu_call *call)
{
    return set_enabled(call, false);
}

static emu_rc rm_get_enablement(emu_call *call)
{
    rm_dir *d;
    emu_rc rc = managed(call, &d);
    if (rc)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "EnablementStatus", d->control_enabled ? "Enabled" : "Disabled");
    call->result = r;
    return EMU_OK;
}

/* One control policy, Custom (p) or System (sys/info), as the API shows it. */
static cJSON *policy_json(emu_call *call, const rm_dir *d, const rm_policy *p,
                          const policy_system_info *sys, bool doc)
{
    cJSON *o = cJSON_CreateObject();
    const char *id = p ? p->id : sys->policy_id;
    cJSON_AddStringToObject(o, "PolicyId", id);
    cJSON_AddStringToObject(o, "PolicyName", p ? p->name : sys->name);
    cJSON_AddStringToObject(o, "Description", p ? p->description : sys->description);
    cJSON_AddStringToObject(o, "PolicyType", p ? "Custom" : "System");
    cJSON_AddStringToObject(o, "EffectScope", "RAM");
    cJSON_AddNumberToObject(o, "AttachmentCount", (double)rm__policy_attachments(d, id));
    if (p) {
        cJSON_AddStringToObject(o, "CreateDate", date(call, p->create_ms));
        cJSON_AddStringToObject(o, "UpdateDate", date(call, p->update_ms));
    } else {
        cJSON_AddStringToObject(o, "CreateDate", sys->create_date);
        cJSON_AddStringToObject(o, "UpdateDate", sys->update_date);
    }
    if (doc) {
        const policy_doc_t *pd = p ? p->doc : policy_system_control_find(id, NULL);
        cJSON_AddStringToObject(o, "PolicyDocument", p ? p->document : policy_doc_text(pd, NULL));
    }
    return o;
}

/* PolicyId → a Custom policy (*p) or a System one (*sys). */
static emu_rc find_policy(emu_call *call, const rm_dir *d, rm_policy **p,
                          const policy_system_info **sys)
{
    const char *id;
    emu_rc rc = emu_rpc_require(call, "PolicyId", &id);
    *p = NULL;
    *sys = NULL;
    if (rc)
        return rc;
    *p = rm__policy_find(d, id);
    if (!*p && !policy_system_control_find(id, sys))
        return rm_fail(call, RM_ERR_POLICY_NOT_EXIST);
    return EMU_OK;
}

static emu_rc document_param(emu_call *call, const char *param, const char *name, char **text,
                             policy_doc_t **doc)
{
    const char *t;
    emu_rc rc = emu_rpc_require(call, param, &t);
    if (rc)
        return rc;
    emu_err e = {0};
    if ((rc = rm__compile(t, strlen(t), name, doc, &e)) != EMU_OK) {
        if (rc == EMU_E_LIMIT)
            return rm_fail(call, RM_ERR_POLICY_LENGTH);
        emu_err_set(&call->err, EMU_E_INVALID, "MalformedPolicyDocument",
                    "The policy document is malformed: %s", e.msg);
        call->err.status = 400;
        return EMU_E_INVALID;
    }
    *text = emu_xstrdup(t);
    return EMU_OK;
}

static bool name_taken(const rm_dir *d, const char *name, const rm_policy *self)
{
    if (policy_system_control_find(name, NULL))
        return true;
    for (size_t i = 0; i < d->n_policies; i++)
        if (&d->policies[i] != self && strcmp(d->policies[i].name, name) == 0)
            return true;
    return false;
}

static emu_rc rm_create_control_policy(emu_call *call)
{
    rm_dir *d;
    const char *name, *scope;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = emu_rpc_require(call, "PolicyName", &name)) ||
        (rc = emu_rpc_require(call, "EffectScope", &scope)))
        return rc;
    if (strcmp(scope, "RAM") != 0)
        return rm_fail(call, RM_ERR_EFFECT_SCOPE);
    if (!*name || strlen(name) > 128)
        return bad_param(call, "PolicyName");
    if (name_taken(d, name, NULL))
        return rm_fail(call, RM_ERR_POLICY_EXISTS);
    if (d->n_policies >= EMU_MAX_RD_CONTROL_POLICIES)
        return rm_fail(call, RM_ERR_POLICY_LIMIT);
    char *text;
    policy_doc_t *doc;
    if ((rc = document_param(call, "PolicyDocument", name, &text, &doc)))
        return rc;
    const char *descr = emu_rpc_param(call, "Description");
    int64_t now = emu_clock_now_ms();
    d->policies = emu_xrealloc(d->policies, (d->n_policies + 1) * sizeof *d->policies);
    rm_policy *p = &d->policies[d->n_policies++];
    *p = (rm_policy){rm__make_id(d->master, "control-policy", name, "cp-"),
                     emu_xstrdup(name),
                     emu_xstrdup(descr ? descr : ""),
                     emu_xstrdup("RAM"),
                     text,
                     doc,
                     now,
                     now};
    /* Attachments point at documents, not at array slots: the realloc above
     * moved no document. */
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "ControlPolicy", policy_json(call, d, p, NULL, false));
    call->result = r;
    return EMU_OK;
}

static emu_rc rm_get_control_policy(emu_call *call)
{
    rm_dir *d;
    rm_policy *p;
    const policy_system_info *sys;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = find_policy(call, d, &p, &sys)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "ControlPolicy", policy_json(call, d, p, sys, true));
    call->result = r;
    return EMU_OK;
}

static emu_rc rm_update_control_policy(emu_call *call)
{
    rm_dir *d;
    rm_policy *p;
    const policy_system_info *sys;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = find_policy(call, d, &p, &sys)))
        return rc;
    if (!p)
        return rm_fail(call, RM_ERR_POLICY_SYSTEM);
    const char *name = emu_rpc_param(call, "NewPolicyName");
    const char *descr = emu_rpc_param(call, "NewDescription");
    const char *doc_text = emu_rpc_param(call, "NewPolicyDocument");
    if (name && *name) {
        if (strlen(name) > 128)
            return bad_param(call, "NewPolicyName");
        if (name_taken(d, name, p))
            return rm_fail(call, RM_ERR_POLICY_EXISTS);
    }
    char *text = NULL;
    policy_doc_t *doc = NULL;
    const char *label = name && *name ? name : p->name;
    if (doc_text && *doc_text &&
        (rc = document_param(call, "NewPolicyDocument", label, &text, &doc)))
        return rc;
    if (!doc && name && *name) {
        /* A new name relabels the document: compile it again under it. */
        emu_err e = {0};
        if (rm__compile(p->document, strlen(p->document), label, &doc, &e) != EMU_OK)
            abort(); /* it compiled when it was stored */
        text = emu_xstrdup(p->document);
    }
    if (doc) {
        for (size_t i = 0; i < d->n_attach; i++)
            if (strcmp(d->attach[i].policy_id, p->id) == 0)
                d->attach[i].doc = doc;
        policy_doc_free(p->doc); /* decision records keep their own hold */
        free(p->document);
        p->doc = doc;
        p->document = text;
    }
    if (name && *name) {
        free(p->name);
        p->name = emu_xstrdup(name);
    }
    if (descr) {
        free(p->description);
        p->description = emu_xstrdup(descr);
    }
    p->update_ms = emu_clock_now_ms();
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "ControlPolicy", policy_json(call, d, p, NULL, false));
    call->result = r;
    return EMU_OK;
}

static emu_rc rm_delete_control_policy(emu_call *call)
{
    rm_dir *d;
    rm_policy *p;
    const policy_system_info *sys;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = find_policy(call, d, &p, &sys)))
        return rc;
    if (!p)
        return rm_fail(call, RM_ERR_POLICY_SYSTEM);
    if (rm__policy_attachments(d, p->id))
        return rm_fail(call, RM_ERR_POLICY_IN_USE);
    free(p->id);
    free(p->name);
    free(p->description);
    free(p->effect_scope);
    free(p->document);
    policy_doc_free(p->doc);
    size_t i = (size_t)(p - d->policies);
    memmove(p, p + 1, (d->n_policies - i - 1) * sizeof *p);
    d->n_policies--;
    call->result = cJSON_CreateObject();
    return EMU_OK;
}

static emu_rc rm_list_control_policies(emu_call *call)
{
    rm_dir *d;
    size_t page, size;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = paging(call, &page, &size)))
        return rc;
    const char *type = emu_rpc_param(call, "PolicyType");
    if (type && *type && strcmp(type, "System") && strcmp(type, "Custom"))
        return bad_param(call, "PolicyType");
    bool sys = !type || !*type || !strcmp(type, "System");
    bool custom = !type || !*type || !strcmp(type, "Custom");
    size_t n_sys = sys ? policy_system_control_count() : 0;
    size_t total = n_sys + (custom ? d->n_policies : 0);
    cJSON *r = cJSON_CreateObject();
    cJSON *list =
        cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "ControlPolicies"), "ControlPolicy");
    for (size_t i = (page - 1) * size; i < total && i < page * size; i++) {
        const policy_system_info *info = NULL;
        if (i < n_sys)
            policy_system_control_at(i, &info);
        cJSON_AddItemToArray(
            list, policy_json(call, d, i < n_sys ? NULL : &d->policies[i - n_sys], info, false));
    }
    page_fields(r, total, page, size);
    call->result = r;
    return EMU_OK;
}

static emu_rc attach_args(emu_call *call, rm_dir **d, rm_policy **p, const policy_system_info **sys,
                          const char **target)
{
    emu_rc rc;
    if ((rc = managed(call, d)) || (rc = find_policy(call, *d, p, sys)) ||
        (rc = emu_rpc_require(call, "TargetId", target)))
        return rc;
    if (!rm__target_exists(*d, *target))
        return rm_fail(call, RM_ERR_TARGET_NOT_EXIST);
    return EMU_OK;
}

static long attachment(const rm_dir *d, const char *policy_id, const char *target)
{
    for (size_t i = 0; i < d->n_attach; i++)
        if (!strcmp(d->attach[i].policy_id, policy_id) && !strcmp(d->attach[i].target, target))
            return (long)i;
    return -1;
}

static emu_rc rm_attach_control_policy(emu_call *call)
{
    rm_dir *d;
    rm_policy *p;
    const policy_system_info *sys;
    const char *target;
    emu_rc rc = attach_args(call, &d, &p, &sys, &target);
    if (rc)
        return rc;
    const char *id = p ? p->id : sys->policy_id;
    if (attachment(d, id, target) >= 0)
        return rm_fail(call, RM_ERR_ATTACH_EXISTS);
    if (rm__attach_count(d, target) >= EMU_MAX_CONTROL_POLICIES_PER_TARGET)
        return rm_fail(call, RM_ERR_ATTACH_LIMIT);
    rm__attach_add(d, id, target, p ? p->doc : policy_system_control_find(id, NULL),
                   emu_clock_now_ms());
    call->result = cJSON_CreateObject();
    return EMU_OK;
}

static emu_rc rm_detach_control_policy(emu_call *call)
{
    rm_dir *d;
    rm_policy *p;
    const policy_system_info *sys;
    const char *target;
    emu_rc rc = attach_args(call, &d, &p, &sys, &target);
    if (rc)
        return rc;
    long i = attachment(d, p ? p->id : sys->policy_id, target);
    if (i < 0)
        return rm_fail(call, RM_ERR_ATTACH_NOT_EXIST);
    rm__attach_remove(d, (size_t)i);
    call->result = cJSON_CreateObject();
    return EMU_OK;
}

static cJSON *attachment_json(emu_call *call, const rm_dir *d, const rm_attach *a, bool target)
{
    const rm_policy *p = rm__policy_find(d, a->policy_id);
    const policy_system_info *sys = NULL;
    if (!p)
        policy_system_control_find(a->policy_id, &sys);
    cJSON *o = cJSON_CreateObject();
    if (target) {
        cJSON_AddStringToObject(o, "TargetId", a->target);
        cJSON_AddStringToObject(o, "TargetType",
                                rm__member_find(d, a->target)        ? "Account"
                                : strcmp(a->target, d->root_id) == 0 ? "Root"
                                                                     : "Folder");
    } else {
        cJSON_AddStringToObject(o, "PolicyId", a->policy_id);
        cJSON_AddStringToObject(o, "PolicyName", p ? p->name : sys ? sys->name : "");
        cJSON_AddStringToObject(o, "PolicyType", p ? "Custom" : "System");
        cJSON_AddStringToObject(o, "Description", p ? p->description : sys ? sys->description : "");
    }
    cJSON_AddStringToObject(o, "AttachDate", date(call, a->attach_ms));
    return o;
}

static emu_rc rm_list_attachments_for_target(emu_call *call)
{
    rm_dir *d;
    const char *target;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = emu_rpc_require(call, "TargetId", &target)))
        return rc;
    if (!rm__target_exists(d, target))
        return rm_fail(call, RM_ERR_TARGET_NOT_EXIST);
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "ControlPolicyAttachments"),
                                         "ControlPolicyAttachment");
    for (size_t i = 0; i < d->n_attach; i++)
        if (strcmp(d->attach[i].target, target) == 0)
            cJSON_AddItemToArray(list, attachment_json(call, d, &d->attach[i], false));
    call->result = r;
    return EMU_OK;
}

static emu_rc rm_list_targets_for_policy(emu_call *call)
{
    rm_dir *d;
    rm_policy *p;
    const policy_system_info *sys;
    size_t page, size;
    emu_rc rc;
    if ((rc = managed(call, &d)) || (rc = find_policy(call, d, &p, &sys)) ||
        (rc = paging(call, &page, &size)))
        return rc;
    const char *id = p ? p->id : sys->policy_id;
    cJSON *r = cJSON_CreateObject();
    cJSON *list =
        cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "TargetAttachments"), "TargetAttachment");
    size_t n = 0;
    for (size_t i = 0; i < d->n_attach; i++) {
        if (strcmp(d->attach[i].policy_id, id) != 0)
            continue;
        if (n >= (page - 1) * size && n < page * size)
            cJSON_AddItemToArray(list, attachment_json(call, d, &d->attach[i], true));
        n++;
    }
    page_fields(r, n, page, size);
    call->result = r;
    return EMU_OK;
}

/* ---------------------------------------------------------------------------------------------
 * The service
 * ------------------------------------------------------------------------------------------- */

static const emu_action rm_actions[] = {
#define RM_ACTION(name, handler, policy_action, flags) {#name, handler, policy_action, flags},
#include "rm_actions.def"
#undef RM_ACTION
};

const emu_service emu_rm_service = {
    .name = "resourcemanager",
    .decode = emu_rpc_decode,
    .actions = rm_actions,
    .n_actions = sizeof rm_actions / sizeof rm_actions[0],
    .authenticate = emu_rpc_authenticate,
    .authorize = emu_authz_phase,
    .unknown_action = emu_rpc_unknown_action,
    .render_ok = emu_rpc_render_ok,
    .render_err = emu_rpc_render_err,
};
