/* Strict world-file loader.
 *
 * Contract: every object accepts exactly the documented keys; every value has
 * the documented JSON type; names follow RAM's rules and are unique within
 * their account (case-insensitively); AccessKeyIds are unique across the
 * world. The first problem stops the load with its JSON location, e.g.
 *   $.Accounts[1].Roles[0].RoleName: "bad name!" contains invalid characters
 * and nothing stays allocated. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/clock.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/str.h"
#include "world_int.h"

#define PATH_MAXLEN 256

typedef struct loader {
    emu_err *err;
    world_t *w;
    const char *base_dir;
    bool skip_sections; /* world_clone copies section state itself */
} loader;

static emu_rc bad(loader *L, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static emu_rc bad(loader *L, const char *path, const char *fmt, ...)
{
    char msg[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return emu_err_set(L->err, EMU_E_INVALID, NULL, "%s: %s", path, msg);
}

/* Rejects keys not in `allowed` (NULL-terminated) and, since cJSON keeps
 * duplicates, keys given twice. */
static emu_rc check_keys(loader *L, const cJSON *obj, const char *path, const char *const *allowed,
                         const char *const *extra)
{
    if (!cJSON_IsObject(obj))
        return bad(L, path, "must be an object, not %s", emu_json_type_name(obj));
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, c->string) == 0;
        for (const char *const *a = extra; a && *a && !ok; a++)
            ok = strcmp(*a, c->string) == 0;
        if (!ok) {
            char list[256] = "";
            size_t n = 0;
            for (const char *const *a = allowed; *a; a++)
                n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s",
                                      a == allowed ? "" : ", ", *a);
            return bad(L, path, "unknown field \"%s\" (expected one of: %s)", c->string, list);
        }
        for (const cJSON *d = c->next; d; d = d->next)
            if (strcmp(c->string, d->string) == 0)
                return bad(L, path, "field \"%s\" given twice", c->string);
    }
    return EMU_OK;
}

static emu_rc get_str(loader *L, const cJSON *obj, const char *key, const char *path, bool required,
                      size_t max, const char **out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!j) {
        if (required)
            return bad(L, path, "missing required field \"%s\"", key);
        return EMU_OK;
    }
    if (!cJSON_IsString(j))
        return bad(L, path, "\"%s\" must be a string, not %s", key, emu_json_type_name(j));
    if (max && strlen(j->valuestring) > max)
        return bad(L, path, "\"%s\" is longer than %zu characters", key, max);
    *out = j->valuestring;
    return EMU_OK;
}

static emu_rc get_array(loader *L, const cJSON *obj, const char *key, const char *path,
                        const cJSON **out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!j)
        return EMU_OK;
    if (!cJSON_IsArray(j))
        return bad(L, path, "\"%s\" must be an array, not %s", key, emu_json_type_name(j));
    *out = j;
    return EMU_OK;
}

static emu_rc get_date(loader *L, const cJSON *obj, const char *key, const char *path, int64_t *out)
{
    const char *s;
    emu_rc rc = get_str(L, obj, key, path, false, 64, &s);
    if (rc || !s)
        return rc;
    if (!emu_time_parse_iso(s, strlen(s), true, out))
        return bad(L, path, "\"%s\": \"%s\" is not an ISO-8601 UTC time like 2026-01-01T00:00:00Z",
                   key, s);
    return EMU_OK;
}

/* RAM name rules (rpc-api.md §9.2). */
static bool name_ok(const char *s, const char *extra_chars)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra_chars, c)))
            return false;
    }
    return true;
}

static emu_rc get_name(loader *L, const cJSON *obj, const char *key, const char *path, size_t max,
                       const char *extra, const char **out)
{
    emu_rc rc = get_str(L, obj, key, path, true, 0, out);
    if (rc)
        return rc;
    if (strlen(*out) > max)
        return bad(L, path, "%s \"%s\" is longer than %zu characters", key, *out, max);
    if (!name_ok(*out, extra))
        return bad(L, path,
                   "%s \"%s\" contains invalid characters (letters, digits and \"%s\" allowed)",
                   key, *out, extra);
    return EMU_OK;
}

static bool key_id_ok(const char *s)
{
    return name_ok(s, ".-_") && strlen(s) <= 128;
}

/* A policy document given as an object or as a JSON string: validated as a
 * JSON object and kept as text. Grammar is checked by the policy engine. */
static emu_rc get_document(loader *L, const cJSON *obj, const char *key, const char *path,
                           bool required, char **out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!j) {
        if (required)
            return bad(L, path, "missing required field \"%s\"", key);
        return EMU_OK;
    }
    if (cJSON_IsObject(j)) {
        *out = emu_json_print(j);
    } else if (cJSON_IsString(j)) {
        emu_err perr = {0};
        cJSON *doc = emu_json_parse(j->valuestring, strlen(j->valuestring), &perr);
        if (!doc)
            return bad(L, path, "\"%s\" is not valid JSON: %s", key, perr.msg);
        bool is_obj = cJSON_IsObject(doc);
        cJSON_Delete(doc);
        if (!is_obj)
            return bad(L, path, "\"%s\" must be a JSON object", key);
        *out = emu_xstrdup(j->valuestring);
    } else {
        return bad(L, path, "\"%s\" must be an object or a JSON string, not %s", key,
                   emu_json_type_name(j));
    }
    if (strlen(*out) > EMU_MAX_POLICY_BYTES) {
        free(*out);
        *out = NULL;
        return bad(L, path, "\"%s\" is longer than %d characters", key, EMU_MAX_POLICY_BYTES);
    }
    return EMU_OK;
}

/* Compiles a document with the policy engine, so a world file is held to the
 * grammar the RAM API enforces. The error reads
 *   $.Accounts[0].Policies[0].PolicyDocument: $.Statement[0].Effect: ...
 * (the world location, then the engine's location inside the document). */
static emu_rc compile_doc(loader *L, const char *text, policy_kind kind, const char *path,
                          const char *key, policy_doc_t **out)
{
    emu_err perr = {0};
    char kp[PATH_MAXLEN];
    if (policy_compile(text, strlen(text), kind, out, &perr) == EMU_OK)
        return EMU_OK;
    snprintf(kp, sizeof kp, "%s.%s", path, key);
    return bad(L, kp, "%s", perr.msg);
}

static emu_rc load_keys(loader *L, const cJSON *arr, const char *path, world_access_key **out,
                        size_t *n_out)
{
    static const char *const allowed[] = {"AccessKeyId", "AccessKeySecret", "Status", "CreateDate",
                                          NULL};
    size_t n = (size_t)cJSON_GetArraySize(arr);
    world_access_key *keys = emu_xcalloc(n, sizeof *keys);
    char p[PATH_MAXLEN];
    emu_rc rc = EMU_OK;
    size_t i = 0;

    *out = keys;
    for (const cJSON *k = arr->child; k; k = k->next, i++) {
        const char *id, *secret, *status;
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        *n_out = i;
        if ((rc = check_keys(L, k, p, allowed, NULL)) ||
            (rc = get_str(L, k, "AccessKeyId", p, true, 128, &id)) ||
            (rc = get_str(L, k, "AccessKeySecret", p, true, 256, &secret)) ||
            (rc = get_str(L, k, "Status", p, false, 16, &status)))
            return rc;
        if (!key_id_ok(id))
            return bad(L, p, "AccessKeyId \"%s\" must be 1-128 letters, digits, '.', '-' or '_'",
                       id);
        if (!*secret)
            return bad(L, p, "AccessKeySecret must not be empty");
        if (status && strcmp(status, "Active") && strcmp(status, "Inactive"))
            return bad(L, p, "Status \"%s\" must be Active or Inactive", status);
        keys[i].id = emu_xstrdup(id);
        keys[i].secret = emu_xstrdup(secret);
        keys[i].active = !status || strcmp(status, "Active") == 0;
        keys[i].create_ms = emu_clock_now_ms();
        *n_out = i + 1;
        if ((rc = get_date(L, k, "CreateDate", p, &keys[i].create_ms)))
            return rc;
    }
    *n_out = n;
    return EMU_OK;
}

static emu_rc load_refs(loader *L, const cJSON *arr, const char *path, world_policy_ref **out,
                        size_t *n_out)
{
    static const char *const allowed[] = {"PolicyName", "PolicyType", "AttachDate", NULL};
    size_t n = (size_t)cJSON_GetArraySize(arr);
    world_policy_ref *refs = emu_xcalloc(n, sizeof *refs);
    char p[PATH_MAXLEN];
    emu_rc rc;
    size_t i = 0;

    *out = refs;
    *n_out = 0;
    for (const cJSON *r = arr->child; r; r = r->next, i++) {
        const char *name, *type;
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        if ((rc = check_keys(L, r, p, allowed, NULL)) ||
            (rc = get_name(L, r, "PolicyName", p, 128, "-", &name)) ||
            (rc = get_str(L, r, "PolicyType", p, true, 16, &type)))
            return rc;
        if (strcmp(type, "System") && strcmp(type, "Custom"))
            return bad(L, p, "PolicyType \"%s\" must be System or Custom", type);
        if (strcmp(type, "System") == 0 && !policy_system_find(name))
            return bad(L, p, "no System policy \"%s\" (acsemu knows %zu built-in ones)", name,
                       policy_system_count());
        for (size_t k = 0; k < i; k++)
            if (emu_strcasecmp(refs[k].name, name) == 0 &&
                refs[k].system == (strcmp(type, "System") == 0))
                return bad(L, p, "policy %s \"%s\" attached twice", type, name);
        refs[i].name = emu_xstrdup(name);
        refs[i].system = strcmp(type, "System") == 0;
        refs[i].attach_ms = emu_clock_now_ms();
        *n_out = i + 1;
        if ((rc = get_date(L, r, "AttachDate", p, &refs[i].attach_ms)))
            return rc;
    }
    return EMU_OK;
}

#define GROW(arr, n) (arr) = emu_xrealloc((arr), ((n) + 1) * sizeof *(arr))

/* "Tags": [{"Key": "env", "Value": "dev"}, ...] on a role or custom
 * policy: the RAM TagResources rules (world_tag_validate), unique keys, at
 * most EMU_MAX_RAM_TAGS. */
static emu_rc load_tags(loader *L, const cJSON *j, const char *p, world_tags *out)
{
    static const char *const tallowed[] = {"Key", "Value", NULL};
    static const char *const why[] = {
        [WORLD_TAG_KEY_EMPTY] = "Key must not be empty",
        [WORLD_TAG_KEY_LONG] = "Key is longer than 128 characters",
        [WORLD_TAG_KEY_RESERVED] = "Key must not start with \"aliyun\" or \"acs:\"",
        [WORLD_TAG_KEY_URL] = "Key must not contain http:// or https://",
        [WORLD_TAG_VALUE_LONG] = "Value is longer than 256 characters",
        [WORLD_TAG_VALUE_URL] = "Value must not contain http:// or https://"};
    const cJSON *tags, *t;
    char tp[PATH_MAXLEN];
    emu_rc rc;
    int i = 0;
    if ((rc = get_array(L, j, "Tags", p, &tags)) || !tags)
        return rc;
    cJSON_ArrayForEach(t, tags)
    {
        const char *k, *v;
        snprintf(tp, sizeof tp, "%s.Tags[%d]", p, i++);
        if (!cJSON_IsObject(t))
            return bad(L, tp, "must be an object {\"Key\": ..., \"Value\": ...}");
        if ((rc = check_keys(L, t, tp, tallowed, NULL)) ||
            (rc = get_str(L, t, "Key", tp, true, 0, &k)) ||
            (rc = get_str(L, t, "Value", tp, false, 0, &v)))
            return rc;
        world_tag_check c = world_tag_validate(k, v);
        if (c != WORLD_TAG_OK)
            return bad(L, tp, "%s", why[c]);
        if (world_tags_find(out, k))
            return bad(L, tp, "duplicate Key \"%s\"", k);
        if (!world_tags_set(out, k, v ? v : ""))
            return bad(L, tp, "more than %d tags", EMU_MAX_RAM_TAGS);
    }
    return EMU_OK;
}

static emu_rc load_policy(loader *L, world_account *a, const cJSON *j, const char *p)
{
    static const char *const allowed[] = {"PolicyName", "Description",    "PolicyDocument",
                                          "Versions",   "DefaultVersion", "CreateDate",
                                          "UpdateDate", "Tags",           NULL};
    static const char *const vallowed[] = {"VersionId", "PolicyDocument", "CreateDate",
                                           "IsDefaultVersion", NULL};
    const char *name, *desc, *defv;
    const cJSON *versions;
    char vp[PATH_MAXLEN];
    emu_rc rc;

    if ((rc = check_keys(L, j, p, allowed, NULL)) ||
        (rc = get_name(L, j, "PolicyName", p, 128, "-", &name)) ||
        (rc = get_str(L, j, "Description", p, false, 1024, &desc)) ||
        (rc = get_array(L, j, "Versions", p, &versions)) ||
        (rc = get_str(L, j, "DefaultVersion", p, false, 16, &defv)))
        return rc;
    if (world_policy_find(a, name))
        return bad(L, p, "PolicyName \"%s\": a policy with this name already exists", name);

    world_policy *pol = emu_xcalloc(1, sizeof *pol);
    GROW(a->policies, a->n_policies);
    a->policies[a->n_policies++] = pol;
    pol->name = emu_xstrdup(name);
    pol->description = emu_xstrdup(desc ? desc : "");
    pol->create_ms = pol->update_ms = emu_clock_now_ms();
    if ((rc = get_date(L, j, "CreateDate", p, &pol->create_ms)) ||
        (rc = get_date(L, j, "UpdateDate", p, &pol->update_ms)) ||
        (rc = load_tags(L, j, p, &pol->tags)))
        return rc;

    bool has_doc = cJSON_GetObjectItemCaseSensitive(j, "PolicyDocument") != NULL;
    if (has_doc == (versions != NULL))
        return bad(L, p, "give either PolicyDocument or Versions");
    if (has_doc) {
        if (defv)
            return bad(L, p, "DefaultVersion goes with Versions");
        pol->versions = emu_xcalloc(1, sizeof *pol->versions);
        pol->n_versions = 1;
        pol->versions[0].id = emu_xstrdup("v1");
        pol->versions[0].create_ms = pol->create_ms;
        pol->next_version = 2;
        if ((rc = get_document(L, j, "PolicyDocument", p, true, &pol->versions[0].document)) ||
            (rc = compile_doc(L, pol->versions[0].document, POLICY_KIND_PERMISSION, p,
                              "PolicyDocument", &pol->versions[0].compiled)))
            return rc;
        policy_doc_set_label(pol->versions[0].compiled, pol->name, "Custom", "v1");
        return EMU_OK;
    }
    size_t n = (size_t)cJSON_GetArraySize(versions);
    if (n == 0 || n > 5)
        return bad(L, p, "Versions must hold 1 to 5 versions");
    pol->versions = emu_xcalloc(n, sizeof *pol->versions);
    bool found_default = false;
    size_t i = 0;
    for (const cJSON *v = versions->child; v; v = v->next, i++) {
        const char *vid;
        const cJSON *isdef;
        snprintf(vp, sizeof vp, "%s.Versions[%zu]", p, i);
        if ((rc = check_keys(L, v, vp, vallowed, NULL)) ||
            (rc = get_str(L, v, "VersionId", vp, true, 16, &vid)))
            return rc;
        int num = 0;
        if (vid[0] != 'v' || sscanf(vid + 1, "%d", &num) != 1 || num < 1 ||
            strspn(vid + 1, "0123456789") != strlen(vid + 1))
            return bad(L, vp, "VersionId \"%s\" must look like v1, v2, ...", vid);
        for (size_t k = 0; k < i; k++)
            if (strcmp(pol->versions[k].id, vid) == 0)
                return bad(L, vp, "VersionId \"%s\" given twice", vid);
        pol->versions[i].id = emu_xstrdup(vid);
        pol->n_versions = i + 1;
        pol->versions[i].create_ms = pol->create_ms;
        if (num >= pol->next_version)
            pol->next_version = num + 1;
        if ((rc = get_date(L, v, "CreateDate", vp, &pol->versions[i].create_ms)) ||
            (rc = get_document(L, v, "PolicyDocument", vp, true, &pol->versions[i].document)) ||
            (rc = compile_doc(L, pol->versions[i].document, POLICY_KIND_PERMISSION, vp,
                              "PolicyDocument", &pol->versions[i].compiled)))
            return rc;
        policy_doc_set_label(pol->versions[i].compiled, pol->name, "Custom", vid);
        isdef = cJSON_GetObjectItemCaseSensitive(v, "IsDefaultVersion");
        if (isdef && !cJSON_IsBool(isdef))
            return bad(L, vp, "IsDefaultVersion must be true or false");
        bool is_default = defv ? strcmp(defv, vid) == 0 : cJSON_IsTrue(isdef);
        if (isdef && defv && cJSON_IsTrue(isdef) != (strcmp(defv, vid) == 0))
            return bad(L, vp, "IsDefaultVersion contradicts DefaultVersion \"%s\"", defv);
        if (is_default) {
            if (found_default)
                return bad(L, vp, "more than one default version");
            found_default = true;
            pol->default_version = i;
        }
    }
    if (!found_default)
        return bad(L, p, "no default version (set DefaultVersion or IsDefaultVersion)");
    return EMU_OK;
}

static emu_rc load_role(loader *L, world_account *a, const cJSON *j, const char *p)
{
    static const char *const allowed[] = {"RoleName",
                                          "RoleId",
                                          "Description",
                                          "MaxSessionDuration",
                                          "CreateDate",
                                          "UpdateDate",
                                          "AttachedPolicies",
                                          "AssumeRolePolicyDocument",
                                          "Arn",
                                          "Tags",
                                          NULL};
    const char *name, *id, *desc;
    const cJSON *attached, *msd;
    char ap[PATH_MAXLEN];
    emu_rc rc;

    if ((rc = check_keys(L, j, p, allowed, NULL)) ||
        (rc = get_name(L, j, "RoleName", p, 64, ".-", &name)) ||
        (rc = get_str(L, j, "RoleId", p, false, 32, &id)) ||
        (rc = get_str(L, j, "Description", p, false, 1024, &desc)) ||
        (rc = get_array(L, j, "AttachedPolicies", p, &attached)))
        return rc;
    if (world_role_find(a, name))
        return bad(L, p,
                   "RoleName \"%s\": a role with this name already exists (role names "
                   "compare case-insensitively)",
                   name);
    world_role *r = emu_xcalloc(1, sizeof *r);
    GROW(a->roles, a->n_roles);
    a->roles[a->n_roles++] = r;
    r->name = emu_xstrdup(name);
    if (id) {
        r->id = emu_xstrdup(id);
    } else {
        r->id = emu_xmalloc(20);
        world_make_id(a->id, "role", name, 19, r->id);
    }
    r->description = emu_xstrdup(desc ? desc : "");
    r->max_session_duration = 3600;
    msd = cJSON_GetObjectItemCaseSensitive(j, "MaxSessionDuration");
    if (msd) {
        if (!cJSON_IsNumber(msd) || msd->valuedouble != (double)(int)msd->valuedouble ||
            msd->valueint < 3600 || msd->valueint > 43200)
            return bad(L, p, "MaxSessionDuration must be an integer from 3600 to 43200");
        r->max_session_duration = msd->valueint;
    }
    r->create_ms = r->update_ms = emu_clock_now_ms();
    if ((rc = get_date(L, j, "CreateDate", p, &r->create_ms)) ||
        (rc = get_date(L, j, "UpdateDate", p, &r->update_ms)) ||
        (rc = get_document(L, j, "AssumeRolePolicyDocument", p, true, &r->trust_document)) ||
        (rc = compile_doc(L, r->trust_document, POLICY_KIND_TRUST, p, "AssumeRolePolicyDocument",
                          &r->trust)))
        return rc;
    policy_doc_set_label(r->trust, r->name, "Trust", NULL);
    if ((rc = load_tags(L, j, p, &r->tags)))
        return rc;
    if (attached) {
        snprintf(ap, sizeof ap, "%s.AttachedPolicies", p);
        if ((rc = load_refs(L, attached, ap, &r->policies, &r->n_policies)))
            return rc;
    }
    return EMU_OK;
}

static emu_rc load_group(loader *L, world_account *a, const cJSON *j, const char *p)
{
    static const char *const allowed[] = {
        "GroupName", "GroupId", "Comments", "CreateDate", "UpdateDate", "AttachedPolicies", NULL};
    const char *name, *id, *comments;
    const cJSON *attached;
    char ap[PATH_MAXLEN];
    emu_rc rc;

    if ((rc = check_keys(L, j, p, allowed, NULL)) ||
        (rc = get_name(L, j, "GroupName", p, 64, "-", &name)) ||
        (rc = get_str(L, j, "GroupId", p, false, 32, &id)) ||
        (rc = get_str(L, j, "Comments", p, false, 1024, &comments)) ||
        (rc = get_array(L, j, "AttachedPolicies", p, &attached)))
        return rc;
    if (world_group_find(a, name))
        return bad(L, p, "GroupName \"%s\": a group with this name already exists", name);
    world_group *g = emu_xcalloc(1, sizeof *g);
    GROW(a->groups, a->n_groups);
    a->groups[a->n_groups++] = g;
    g->name = emu_xstrdup(name);
    if (id) {
        g->id = emu_xstrdup(id);
    } else {
        g->id = emu_xmalloc(20);
        world_make_id(a->id, "group", name, 16, g->id);
    }
    g->comments = emu_xstrdup(comments ? comments : "");
    g->create_ms = g->update_ms = emu_clock_now_ms();
    if ((rc = get_date(L, j, "CreateDate", p, &g->create_ms)) ||
        (rc = get_date(L, j, "UpdateDate", p, &g->update_ms)))
        return rc;
    if (attached) {
        snprintf(ap, sizeof ap, "%s.AttachedPolicies", p);
        if ((rc = load_refs(L, attached, ap, &g->policies, &g->n_policies)))
            return rc;
    }
    return EMU_OK;
}

static emu_rc load_user(loader *L, world_account *a, const cJSON *j, const char *p)
{
    static const char *const allowed[] = {
        "UserName",    "UserId",           "DisplayName", "Email",
        "MobilePhone", "Comments",         "CreateDate",  "UpdateDate",
        "AccessKeys",  "AttachedPolicies", "Groups",      NULL};
    const char *name, *id, *dn, *email, *phone, *comments;
    const cJSON *keys, *attached, *groups;
    char sp[PATH_MAXLEN];
    emu_rc rc;

    if ((rc = check_keys(L, j, p, allowed, NULL)) ||
        (rc = get_name(L, j, "UserName", p, 64, "._-", &name)) ||
        (rc = get_str(L, j, "UserId", p, false, 32, &id)) ||
        (rc = get_str(L, j, "DisplayName", p, false, 128, &dn)) ||
        (rc = get_str(L, j, "Email", p, false, 128, &email)) ||
        (rc = get_str(L, j, "MobilePhone", p, false, 32, &phone)) ||
        (rc = get_str(L, j, "Comments", p, false, 128, &comments)) ||
        (rc = get_array(L, j, "AccessKeys", p, &keys)) ||
        (rc = get_array(L, j, "AttachedPolicies", p, &attached)) ||
        (rc = get_array(L, j, "Groups", p, &groups)))
        return rc;
    if (world_user_find(a, name))
        return bad(L, p, "UserName \"%s\": a user with this name already exists", name);
    world_user *u = emu_xcalloc(1, sizeof *u);
    GROW(a->users, a->n_users);
    a->users[a->n_users++] = u;
    u->name = emu_xstrdup(name);
    if (id) {
        u->id = emu_xstrdup(id);
    } else {
        u->id = emu_xmalloc(20);
        world_make_id(a->id, "user", name, 16, u->id);
    }
    u->display_name = emu_xstrdup(dn ? dn : name);
    u->email = emu_xstrdup(email ? email : "");
    u->mobile_phone = emu_xstrdup(phone ? phone : "");
    u->comments = emu_xstrdup(comments ? comments : "");
    u->create_ms = u->update_ms = emu_clock_now_ms();
    if ((rc = get_date(L, j, "CreateDate", p, &u->create_ms)) ||
        (rc = get_date(L, j, "UpdateDate", p, &u->update_ms)))
        return rc;
    if (keys) {
        snprintf(sp, sizeof sp, "%s.AccessKeys", p);
        if ((rc = load_keys(L, keys, sp, &u->keys, &u->n_keys)))
            return rc;
        if (u->n_keys > 2)
            return bad(L, sp, "a RAM user has at most 2 AccessKeys");
    }
    if (attached) {
        snprintf(sp, sizeof sp, "%s.AttachedPolicies", p);
        if ((rc = load_refs(L, attached, sp, &u->policies, &u->n_policies)))
            return rc;
    }
    if (groups) {
        size_t i = 0;
        for (const cJSON *g = groups->child; g; g = g->next, i++) {
            snprintf(sp, sizeof sp, "%s.Groups[%zu]", p, i);
            if (!cJSON_IsString(g))
                return bad(L, sp, "must be a group name (string)");
            world_group *grp = world_group_find(a, g->valuestring);
            if (!grp)
                return bad(L, sp, "no group \"%s\" in this account (Groups[] lists GroupName)",
                           g->valuestring);
            for (size_t k = 0; k < grp->n_members; k++)
                if (emu_strcasecmp(grp->members[k], name) == 0)
                    return bad(L, sp, "group \"%s\" listed twice", g->valuestring);
            GROW(grp->members, grp->n_members);
            grp->members[grp->n_members++] = emu_xstrdup(name);
        }
        if (i > 5)
            return bad(L, p, "a RAM user can be in at most 5 groups");
    }
    return EMU_OK;
}

static emu_rc load_service_creds(loader *L, world_account *a, const cJSON *arr, const char *path)
{
    static const char *const allowed[] = {"Service", "AccessKeyId", "AccessKeySecret", NULL};
    char p[PATH_MAXLEN];
    emu_rc rc;
    size_t i = 0;
    size_t n = (size_t)cJSON_GetArraySize(arr);

    a->service_creds = emu_xcalloc(n, sizeof *a->service_creds);
    for (const cJSON *s = arr->child; s; s = s->next, i++) {
        const char *svc, *id, *secret;
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        if ((rc = check_keys(L, s, p, allowed, NULL)) ||
            (rc = get_str(L, s, "Service", p, true, 128, &svc)) ||
            (rc = get_str(L, s, "AccessKeyId", p, true, 128, &id)) ||
            (rc = get_str(L, s, "AccessKeySecret", p, true, 256, &secret)))
            return rc;
        size_t sl = strlen(svc);
        if (sl <= strlen(".aliyuncs.com") || strcmp(svc + sl - 13, ".aliyuncs.com") != 0 ||
            !name_ok(svc, ".-"))
            return bad(L, p, "Service \"%s\" must be a service name such as odps.aliyuncs.com",
                       svc);
        if (!key_id_ok(id))
            return bad(L, p, "AccessKeyId \"%s\" must be 1-128 letters, digits, '.', '-' or '_'",
                       id);
        a->service_creds[i].service = emu_xstrdup(svc);
        a->service_creds[i].id = emu_xstrdup(id);
        a->service_creds[i].secret = emu_xstrdup(secret);
        a->n_service_creds = i + 1;
    }
    return EMU_OK;
}

typedef emu_rc (*entity_loader)(loader *, world_account *, const cJSON *, const char *);

static emu_rc load_each(loader *L, world_account *a, const cJSON *acct, const char *key,
                        const char *path, entity_loader fn)
{
    const cJSON *arr;
    char p[PATH_MAXLEN];
    emu_rc rc;
    size_t i = 0;
    if ((rc = get_array(L, acct, key, path, &arr)) || !arr)
        return rc;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        snprintf(p, sizeof p, "%s.%s[%zu]", path, key, i);
        if ((rc = fn(L, a, e, p)))
            return rc;
    }
    return EMU_OK;
}

/* Custom policy references must name a policy of the same account. */
static emu_rc check_refs(loader *L, world_account *a, const world_policy_ref *refs, size_t n,
                         const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (!refs[i].system && !world_policy_find(a, refs[i].name))
            return bad(L, path, "AttachedPolicies[%zu]: no Custom policy \"%s\" in this account", i,
                       refs[i].name);
    return EMU_OK;
}

static emu_rc load_account(loader *L, const cJSON *j, const char *p, world_account **out)
{
    static const char *const allowed[] = {
        "AccountId", "AccountAlias", "AccessKeys",         "Users", "Groups",
        "Policies",  "Roles",        "ServiceCredentials", NULL};
    const char *extra[WORLD_MAX_SECTIONS + 1] = {0};
    const char *id, *alias;
    const cJSON *keys, *svc;
    char sp[PATH_MAXLEN];
    emu_rc rc;

    for (int s = 0; s < world__n_sections; s++)
        extra[s] = world__sections[s]->name;
    *out = NULL;
    if ((rc = check_keys(L, j, p, allowed, extra)) ||
        (rc = get_str(L, j, "AccountId", p, true, 32, &id)) ||
        (rc = get_str(L, j, "AccountAlias", p, false, 64, &alias)) ||
        (rc = get_array(L, j, "AccessKeys", p, &keys)) ||
        (rc = get_array(L, j, "ServiceCredentials", p, &svc)))
        return rc;
    if (!*id || strspn(id, "0123456789") != strlen(id))
        return bad(L, p, "AccountId \"%s\" must be digits", id);
    if (world_account_find(L->w, id))
        return bad(L, p, "AccountId \"%s\" given twice", id);

    world_account *a = emu_xcalloc(1, sizeof *a);
    *out = a;
    a->id = emu_xstrdup(id);
    a->alias = emu_xstrdup(alias ? alias : id);
    if (keys) {
        snprintf(sp, sizeof sp, "%s.AccessKeys", p);
        if ((rc = load_keys(L, keys, sp, &a->keys, &a->n_keys)))
            return rc;
    }
    /* Policies and groups first: users and roles refer to them. */
    if ((rc = load_each(L, a, j, "Policies", p, load_policy)) ||
        (rc = load_each(L, a, j, "Groups", p, load_group)) ||
        (rc = load_each(L, a, j, "Users", p, load_user)) ||
        (rc = load_each(L, a, j, "Roles", p, load_role)))
        return rc;
    if (svc) {
        snprintf(sp, sizeof sp, "%s.ServiceCredentials", p);
        if ((rc = load_service_creds(L, a, svc, sp)))
            return rc;
    }
    for (size_t i = 0; i < a->n_users; i++) {
        snprintf(sp, sizeof sp, "%s.Users[%zu]", p, i);
        if ((rc = check_refs(L, a, a->users[i]->policies, a->users[i]->n_policies, sp)))
            return rc;
    }
    for (size_t i = 0; i < a->n_groups; i++) {
        snprintf(sp, sizeof sp, "%s.Groups[%zu]", p, i);
        if ((rc = check_refs(L, a, a->groups[i]->policies, a->groups[i]->n_policies, sp)))
            return rc;
    }
    for (size_t i = 0; i < a->n_roles; i++) {
        snprintf(sp, sizeof sp, "%s.Roles[%zu]", p, i);
        if ((rc = check_refs(L, a, a->roles[i]->policies, a->roles[i]->n_policies, sp)))
            return rc;
    }
    for (int s = 0; s < world__n_sections && !L->skip_sections; s++) {
        const cJSON *sj = cJSON_GetObjectItemCaseSensitive(j, world__sections[s]->name);
        snprintf(sp, sizeof sp, "%s.%s", p, world__sections[s]->name);
        if ((rc = world__sections[s]->load(a->id, sj, sp, L->base_dir, &a->sections[s], L->err)))
            return rc;
    }
    return EMU_OK;
}

/* Every AccessKeyId (root, user, service) names one principal. */
static emu_rc check_unique_keys(loader *L)
{
    world_t *w = L->w;
    size_t total = 0;
    for (size_t i = 0; i < w->n_accounts; i++) {
        world_account *a = w->accounts[i];
        total += a->n_keys + a->n_service_creds;
        for (size_t u = 0; u < a->n_users; u++)
            total += a->users[u]->n_keys;
    }
    const char **ids = emu_xcalloc(total + 1, sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; i < w->n_accounts; i++) {
        world_account *a = w->accounts[i];
        for (size_t k = 0; k < a->n_keys; k++)
            ids[n++] = a->keys[k].id;
        for (size_t k = 0; k < a->n_service_creds; k++)
            ids[n++] = a->service_creds[k].id;
        for (size_t u = 0; u < a->n_users; u++)
            for (size_t k = 0; k < a->users[u]->n_keys; k++)
                ids[n++] = a->users[u]->keys[k].id;
    }
    emu_rc rc = EMU_OK;
    for (size_t i = 0; i < n && !rc; i++)
        for (size_t k = i + 1; k < n && !rc; k++)
            if (strcmp(ids[i], ids[k]) == 0)
                rc = bad(L, "$",
                         "AccessKeyId \"%s\" is used twice (every key names one "
                         "principal)",
                         ids[i]);
    free(ids);
    return rc;
}

emu_rc world__load(const cJSON *doc, const char *label, const char *base_dir, bool skip_sections,
                   world_t **out, emu_err *err)
{
    static const char *const allowed[] = {"Region", "Accounts", "Sessions", NULL};
    loader L = {err, NULL, base_dir ? base_dir : ".", skip_sections};
    const char *region;
    const cJSON *accounts;
    char p[PATH_MAXLEN];
    emu_rc rc;

    *out = NULL;
    L.w = emu_xcalloc(1, sizeof *L.w);
    L.w->base_dir = emu_xstrdup(L.base_dir);
    if ((rc = check_keys(&L, doc, "$", allowed, NULL)) ||
        (rc = get_str(&L, doc, "Region", "$", false, 64, &region)) ||
        (rc = get_array(&L, doc, "Accounts", "$", &accounts)))
        goto fail;
    if (region && !name_ok(region, "-")) {
        rc = bad(&L, "$", "Region \"%s\" is not a region id like cn-hangzhou", region);
        goto fail;
    }
    L.w->region = emu_xstrdup(region ? region : "cn-hangzhou");
    if (!accounts || cJSON_GetArraySize(accounts) == 0) {
        rc = bad(&L, "$", "Accounts must list at least one account");
        goto fail;
    }
    size_t i = 0;
    for (const cJSON *a = accounts->child; a; a = a->next, i++) {
        world_account *acct;
        snprintf(p, sizeof p, "$.Accounts[%zu]", i);
        rc = load_account(&L, a, p, &acct);
        if (acct) {
            GROW(L.w->accounts, L.w->n_accounts);
            L.w->accounts[L.w->n_accounts++] = acct;
        }
        if (rc)
            goto fail;
    }
    if ((rc = check_unique_keys(&L)))
        goto fail;
    world_reindex(L.w);
    /* Sessions last: they name accounts and must not reuse a long-term key. */
    if ((rc = world__load_sessions(L.w, cJSON_GetObjectItemCaseSensitive(doc, "Sessions"), err)))
        goto fail;
    *out = L.w;
    return EMU_OK;
fail:
    if (label)
        emu_err_prefix(err, "%s: ", label);
    world_free(L.w);
    return rc;
}

emu_rc world_load_json(const cJSON *doc, const char *label, const char *base_dir, world_t **out,
                       emu_err *err)
{
    return world__load(doc, label, base_dir, false, out, err);
}

emu_rc world_load_file(const char *path, world_t **out, emu_err *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    cJSON *doc = NULL;
    emu_rc rc;

    *out = NULL;
    if (!f)
        return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "%s: cannot open: %s", path,
                           strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n > EMU_MAX_WORLD_BYTES) {
        fclose(f);
        return emu_err_set(err, EMU_E_LIMIT, NULL, "%s: larger than %d bytes", path,
                           EMU_MAX_WORLD_BYTES);
    }
    text = emu_xmalloc((size_t)n + 1);
    if (fread(text, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(text);
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: read error", path);
    }
    fclose(f);
    doc = emu_json_parse(text, (size_t)n, err);
    free(text);
    if (!doc) {
        emu_err_prefix(err, "%s: ", path);
        return EMU_E_INVALID;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    char real[PATH_MAX];
    if (realpath(dir, real))
        snprintf(dir, sizeof dir, "%s", real);
    rc = world_load_json(doc, path, dir, out, err);
    cJSON_Delete(doc);
    return rc;
}
