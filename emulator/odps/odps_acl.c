/* MaxCompute's own permission model (issue 16 item 6): project members,
 * roles and ACL grants, kept in the project's world state, and the
 * security statements that change them (pure: no server, no I/O).
 *
 * What the service does, as far as acsemu models it [MaxCompute "Users and
 * permissions" docs; I where marked]:
 *   - the project owner (the owner account's root, "ALIYUN$<alias>") holds
 *     every privilege and alone runs the security statements, with the
 *     members of the built-in role admin;
 *   - anyone else must be a member (ADD USER); a non-member is told it does
 *     not exist in the project (ODPS-0420095 [4002]);
 *   - a member holds the privileges granted to it or to a role it has, on
 *     the project (Read, Write, List, CreateTable, CreateInstance,
 *     CreateFunction, CreateResource, All) and on tables (Describe, Select,
 *     Alter, Update, Drop, All), and everything on the tables it created.
 *     Otherwise "You have NO privilege 'odps:Select' on {acs:odps:*:projects/
 *     p/tables/t}" (ODPS-0420095 [4019]).
 * Member names are MaxCompute's: "ALIYUN$<account alias or uid>" for an
 * account, "RAM$<alias>:<user>" for a RAM user, "RAM$<alias>:role/<role>"
 * for a RAM role's sessions; compared case-insensitively.
 *
 * World shape (under a project): "Users": ["RAM$account-b:etl"],
 * "Roles": [{"Name": "readers", "Users": [...]}], "Grants": [{"User" or
 * "Role": name, "Table": t (absent = the project), "Privileges": [...]}]. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/str.h"
#include "odps_int.h"

static const struct {
    const char *name;
    uint32_t bit;
    bool table; /* a table privilege (else a project one) */
} privs[] = {
    {"Read", ODPS_PRIV_READ, false},
    {"Write", ODPS_PRIV_WRITE, false},
    {"List", ODPS_PRIV_LIST, false},
    {"CreateTable", ODPS_PRIV_CREATETABLE, false},
    {"CreateInstance", ODPS_PRIV_CREATEINSTANCE, false},
    {"CreateFunction", ODPS_PRIV_CREATEFUNCTION, false},
    {"CreateResource", ODPS_PRIV_CREATERESOURCE, false},
    {"Describe", ODPS_PRIV_DESCRIBE, true},
    {"Select", ODPS_PRIV_SELECT, true},
    {"Alter", ODPS_PRIV_ALTER, true},
    {"Update", ODPS_PRIV_UPDATE, true},
    {"Drop", ODPS_PRIV_DROP, true},
};
#define N_PRIVS (sizeof privs / sizeof privs[0])

const char *odps_priv_name(uint32_t bit)
{
    for (size_t i = 0; i < N_PRIVS; i++)
        if (privs[i].bit == bit)
            return privs[i].name;
    return "All";
}

/* The privilege named `s[0..n)` for a project (table=false) or a table:
 * its bit, ODPS_PRIV_ALL for "All", 0 when unknown there. */
static uint32_t priv_bit(const char *s, size_t n, bool table)
{
    if (emu_str_ieq_c((emu_str){s, n}, "all"))
        return table ? ODPS_PRIV_TABLE_ALL : ODPS_PRIV_PROJECT_ALL;
    for (size_t i = 0; i < N_PRIVS; i++)
        if (privs[i].table == table && emu_str_ieq_c((emu_str){s, n}, privs[i].name))
            return privs[i].bit;
    return 0;
}

/* ---- state ------------------------------------------------------------------------- */

static char **list_add(char **v, size_t *n, const char *s)
{
    v = emu_xrealloc(v, (*n + 1) * sizeof *v);
    v[(*n)++] = emu_xstrdup(s);
    return v;
}

static long list_find(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (emu_strcasecmp(v[i], s) == 0)
            return (long)i;
    return -1;
}

static void list_del(char **v, size_t *n, size_t i)
{
    free(v[i]);
    memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof *v);
    (*n)--;
}

static void list_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void odps__acl_dispose(odps_acl *acl)
{
    list_free(acl->users, acl->n_users);
    for (size_t i = 0; i < acl->n_roles; i++) {
        free(acl->roles[i].name);
        list_free(acl->roles[i].users, acl->roles[i].n_users);
    }
    free(acl->roles);
    for (size_t i = 0; i < acl->n_grants; i++) {
        free(acl->grants[i].grantee);
        free(acl->grants[i].table);
    }
    free(acl->grants);
    memset(acl, 0, sizeof *acl);
}

static odps_role *role_find(const odps_acl *acl, const char *name)
{
    for (size_t i = 0; i < acl->n_roles; i++)
        if (emu_strcasecmp(acl->roles[i].name, name) == 0)
            return &acl->roles[i];
    return NULL;
}

static odps_role *role_add(odps_acl *acl, const char *name)
{
    acl->roles = emu_xrealloc(acl->roles, (acl->n_roles + 1) * sizeof *acl->roles);
    odps_role *r = &acl->roles[acl->n_roles++];
    memset(r, 0, sizeof *r);
    r->name = emu_xstrdup(name);
    return r;
}

static odps_grant *grant_find(const odps_acl *acl, const char *grantee, bool role,
                              const char *table)
{
    for (size_t i = 0; i < acl->n_grants; i++) {
        const odps_grant *g = &acl->grants[i];
        if (g->role == role && emu_strcasecmp(g->grantee, grantee) == 0 &&
            (table ? g->table && emu_strcasecmp(g->table, table) == 0 : !g->table))
            return &acl->grants[i];
    }
    return NULL;
}

static void grant_add(odps_acl *acl, const char *grantee, bool role, const char *table,
                      uint32_t bits)
{
    odps_grant *g = grant_find(acl, grantee, role, table);
    if (!g) {
        acl->grants = emu_xrealloc(acl->grants, (acl->n_grants + 1) * sizeof *acl->grants);
        g = &acl->grants[acl->n_grants++];
        *g = (odps_grant){emu_xstrdup(grantee), role, table ? emu_xstrdup(table) : NULL, 0};
    }
    g->privs |= bits;
}

/* Drops the grants of a grantee (a removed user, a dropped role), or of a
 * table (a dropped table). */
static void grants_drop(odps_acl *acl, const char *grantee, bool role, const char *table)
{
    for (size_t i = 0; i < acl->n_grants;) {
        odps_grant *g = &acl->grants[i];
        bool hit = grantee ? g->role == role && emu_strcasecmp(g->grantee, grantee) == 0
                           : g->table && emu_strcasecmp(g->table, table) == 0;
        if (!hit) {
            i++;
            continue;
        }
        free(g->grantee);
        free(g->table);
        memmove(g, g + 1, (acl->n_grants - i - 1) * sizeof *g);
        acl->n_grants--;
    }
}

void odps__acl_table_dropped(odps_acl *acl, const char *table)
{
    grants_drop(acl, NULL, false, table);
}

void odps__acl_clone(odps_acl *to, const odps_acl *from)
{
    memset(to, 0, sizeof *to);
    for (size_t i = 0; i < from->n_users; i++)
        to->users = list_add(to->users, &to->n_users, from->users[i]);
    for (size_t i = 0; i < from->n_roles; i++) {
        odps_role *r = role_add(to, from->roles[i].name);
        for (size_t k = 0; k < from->roles[i].n_users; k++)
            r->users = list_add(r->users, &r->n_users, from->roles[i].users[k]);
    }
    for (size_t i = 0; i < from->n_grants; i++) {
        const odps_grant *g = &from->grants[i];
        grant_add(to, g->grantee, g->role, g->table, g->privs);
    }
}

/* ---- world JSON --------------------------------------------------------------------- */

static emu_rc names_load(const cJSON *arr, const char *jpath, const char *what, char ***v,
                         size_t *n, emu_err *err)
{
    if (!cJSON_IsArray(arr))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: must be an array of names", jpath,
                           what);
    size_t i = 0;
    for (const cJSON *u = arr->child; u; u = u->next, i++) {
        if (!cJSON_IsString(u) || !u->valuestring[0] || strlen(u->valuestring) > 256)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.%s[%zu]: must be a member name such as "
                               "\"RAM$account-b:etl\"",
                               jpath, what, i);
        if (list_find(*v, *n, u->valuestring) < 0)
            *v = list_add(*v, n, u->valuestring);
    }
    return EMU_OK;
}

emu_rc odps__acl_load(odps_acl *acl, const cJSON *project, const char *jpath, emu_err *err)
{
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(project, "Users");
    const cJSON *roles = cJSON_GetObjectItemCaseSensitive(project, "Roles");
    const cJSON *grants = cJSON_GetObjectItemCaseSensitive(project, "Grants");
    emu_rc rc;
    char sub[300];
    if (users && (rc = names_load(users, jpath, "Users", &acl->users, &acl->n_users, err)))
        return rc;
    if (roles && !cJSON_IsArray(roles))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Roles: must be an array", jpath);
    size_t i = 0;
    for (const cJSON *r = roles ? roles->child : NULL; r; r = r->next, i++) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "Name");
        const cJSON *ru = cJSON_GetObjectItemCaseSensitive(r, "Users");
        if (!cJSON_IsObject(r) || !cJSON_IsString(name) || !name->valuestring[0] ||
            role_find(acl, name->valuestring))
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.Roles[%zu]: must be {\"Name\": \"role\", \"Users\": [...]} "
                               "with a name given once",
                               jpath, i);
        odps_role *role = role_add(acl, name->valuestring);
        snprintf(sub, sizeof sub, "%s.Roles[%zu]", jpath, i);
        if (ru && (rc = names_load(ru, sub, "Users", &role->users, &role->n_users, err)))
            return rc;
    }
    if (grants && !cJSON_IsArray(grants))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Grants: must be an array", jpath);
    i = 0;
    for (const cJSON *g = grants ? grants->child : NULL; g; g = g->next, i++) {
        const cJSON *user = cJSON_GetObjectItemCaseSensitive(g, "User");
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(g, "Role");
        const cJSON *table = cJSON_GetObjectItemCaseSensitive(g, "Table");
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(g, "Privileges");
        const cJSON *who = user ? user : role;
        if (!cJSON_IsObject(g) || !who || (user && role) || !cJSON_IsString(who) ||
            (table && !cJSON_IsString(table)) || !cJSON_IsArray(ps))
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.Grants[%zu]: must be {\"User\" or \"Role\": name, optional "
                               "\"Table\": name, \"Privileges\": [...]}",
                               jpath, i);
        if (role && !role_find(acl, role->valuestring))
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.Grants[%zu].Role: \"%s\" is not in Roles", jpath, i,
                               role->valuestring);
        uint32_t bits = 0;
        size_t k = 0;
        for (const cJSON *p = ps->child; p; p = p->next, k++) {
            uint32_t b = cJSON_IsString(p)
                             ? priv_bit(p->valuestring, strlen(p->valuestring), table != NULL)
                             : 0;
            if (!b)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "%s.Grants[%zu].Privileges[%zu]: not a %s privilege (%s)", jpath,
                                   i, k, table ? "table" : "project",
                                   table ? "Describe, Select, Alter, Update, Drop, All"
                                         : "Read, Write, List, CreateTable, CreateInstance, "
                                           "CreateFunction, CreateResource, All");
            bits |= b;
        }
        grant_add(acl, who->valuestring, role != NULL, table ? table->valuestring : NULL, bits);
    }
    return EMU_OK;
}

static cJSON *names_json(char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static cJSON *privs_json(uint32_t bits, bool table)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < N_PRIVS; i++)
        if (privs[i].table == table && (bits & privs[i].bit))
            cJSON_AddItemToArray(a, cJSON_CreateString(privs[i].name));
    return a;
}

void odps__acl_save(const odps_acl *acl, cJSON *project)
{
    if (acl->n_users)
        cJSON_AddItemToObject(project, "Users", names_json(acl->users, acl->n_users));
    if (acl->n_roles) {
        cJSON *roles = cJSON_AddArrayToObject(project, "Roles");
        for (size_t i = 0; i < acl->n_roles; i++) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "Name", acl->roles[i].name);
            cJSON_AddItemToObject(r, "Users",
                                  names_json(acl->roles[i].users, acl->roles[i].n_users));
            cJSON_AddItemToArray(roles, r);
        }
    }
    if (acl->n_grants) {
        cJSON *grants = cJSON_AddArrayToObject(project, "Grants");
        for (size_t i = 0; i < acl->n_grants; i++) {
            const odps_grant *g = &acl->grants[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, g->role ? "Role" : "User", g->grantee);
            if (g->table)
                cJSON_AddStringToObject(o, "Table", g->table);
            cJSON_AddItemToObject(o, "Privileges", privs_json(g->privs, g->table != NULL));
            cJSON_AddItemToArray(grants, o);
        }
    }
}

/* ---- decisions ------------------------------------------------------------------------- */

bool odps__acl_member(const odps_project *p, const char *who)
{
    return list_find(p->acl.users, p->acl.n_users, who) >= 0;
}

static bool in_role(const odps_role *r, const char *who)
{
    return list_find(r->users, r->n_users, who) >= 0;
}

/* Granted to `who` or to one of its roles. */
static bool acl_grants(const odps_acl *acl, const char *who, const char *table, uint32_t priv)
{
    for (size_t i = 0; i < acl->n_grants; i++) {
        const odps_grant *g = &acl->grants[i];
        if (!(g->privs & priv) ||
            (table ? !g->table || emu_strcasecmp(g->table, table) != 0 : g->table != NULL))
            continue;
        if (!g->role && emu_strcasecmp(g->grantee, who) == 0)
            return true;
        const odps_role *r = g->role ? role_find(acl, g->grantee) : NULL;
        if (r && in_role(r, who))
            return true;
    }
    return false;
}

/* The member who created `table` in p, or NULL. */
static const char *table_owner(const odps_project *p, const char *table)
{
    const odps_ext_table *t = table ? odps__table_find((odps_project *)(uintptr_t)p, table) : NULL;
    return t ? t->owner : NULL;
}

bool odps__acl_allowed(const odps_project *p, const char *who, const char *table, uint32_t priv)
{
    const char *towner = table_owner(p, table);
    if (towner && emu_strcasecmp(towner, who) == 0)
        return true; /* the creator owns its table */
    return acl_grants(&p->acl, who, table, priv);
}

static bool acl_admin(const odps_acl *acl, const char *who)
{
    const odps_role *r = role_find(acl, "admin");
    return r && in_role(r, who);
}

bool odps__acl_admin(const odps_project *p, const char *who)
{
    return acl_admin(&p->acl, who);
}

/* ---- reasons, and decisions again from a replay bundle ------------------------------ */

const char *odps__acl_reason(emu_arena *a, odps_check check, const char *who, const char *arn,
                             const char *project, const char *owner_account, const char *table,
                             uint32_t priv)
{
    switch (check) {
    case ODPS_CHECK_MEMBER:
        return emu_arena_sprintf(a,
                                 "%s (%s) is not a member of MaxCompute project %s (owner "
                                 "account %s); the owner adds members with ADD USER",
                                 who, arn, project, owner_account);
    case ODPS_CHECK_MANAGER:
        return emu_arena_sprintf(a,
                                 "%s may not manage the security of project %s (not its owner "
                                 "or an admin)",
                                 who, project);
    case ODPS_CHECK_PRIVILEGE:
        break;
    }
    return emu_arena_sprintf(a,
                             "%s has no privilege %s on %s in MaxCompute project %s (neither "
                             "granted to it nor to one of its roles)",
                             who, odps_priv_name(priv), table ? table : "the project", project);
}

cJSON *odps__acl_input(const odps_project *p, const char *owner_account, bool project_owner,
                       const char *who, const char *arn, const char *table)
{
    const odps_acl *acl = &p->acl;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Project", p->name);
    cJSON_AddStringToObject(o, "OwnerAccount", owner_account);
    cJSON_AddStringToObject(o, "Member", who);
    cJSON_AddStringToObject(o, "Principal", arn ? arn : "");
    cJSON_AddBoolToObject(o, "ProjectOwner", project_owner);
    const char *towner = table_owner(p, table);
    if (towner)
        cJSON_AddStringToObject(o, "TableOwner", towner);
    /* Only what concerns `who`: its membership, its roles, and the grants to
     * it or to those roles. */
    cJSON *users = cJSON_AddArrayToObject(o, "Users");
    if (list_find(acl->users, acl->n_users, who) >= 0)
        cJSON_AddItemToArray(users, cJSON_CreateString(who));
    cJSON *roles = cJSON_AddArrayToObject(o, "Roles");
    for (size_t i = 0; i < acl->n_roles; i++)
        if (in_role(&acl->roles[i], who)) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "Name", acl->roles[i].name);
            cJSON_AddItemToObject(r, "Users", names_json((char *const[]){(char *)who}, 1));
            cJSON_AddItemToArray(roles, r);
        }
    cJSON *grants = cJSON_AddArrayToObject(o, "Grants");
    for (size_t i = 0; i < acl->n_grants; i++) {
        const odps_grant *g = &acl->grants[i];
        const odps_role *r = g->role ? role_find(acl, g->grantee) : NULL;
        if (g->role ? !(r && in_role(r, who)) : emu_strcasecmp(g->grantee, who) != 0)
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, g->role ? "Role" : "User", g->grantee);
        if (g->table)
            cJSON_AddStringToObject(x, "Table", g->table);
        cJSON_AddItemToObject(x, "Privileges", privs_json(g->privs, g->table != NULL));
        cJSON_AddItemToArray(grants, x);
    }
    return o;
}

/* "acs:odps:*:projects/<p>[/tables/<t>]": the table, or NULL for the
 * project; false when the ARN is not a MaxCompute one. */
bool odps__acl_resource(const char *arn, emu_arena *a, const char **project, const char **table)
{
    static const char pfx[] = "acs:odps:*:projects/";
    if (!arn || strncmp(arn, pfx, sizeof pfx - 1) != 0 || !arn[sizeof pfx - 1])
        return false;
    const char *p = arn + sizeof pfx - 1;
    const char *slash = strchr(p, '/');
    *project = emu_arena_strndup(a, p, slash ? (size_t)(slash - p) : strlen(p));
    *table = NULL;
    if (!slash)
        return true;
    if (strncmp(slash, "/tables/", 8) != 0 || !slash[8] || strchr(slash + 8, '/'))
        return false;
    *table = emu_arena_strdup(a, slash + 8);
    return true;
}

bool odps__acl_check_of(const char *action, bool table, odps_check *check, uint32_t *priv)
{
    if (emu_strcasecmp(action, "odps:Member") == 0)
        *check = ODPS_CHECK_MEMBER, *priv = 0;
    else if (emu_strcasecmp(action, "odps:Grant") == 0)
        *check = ODPS_CHECK_MANAGER, *priv = 0;
    else if (emu_str_istarts(emu_str_c(action), "odps:") &&
             (*priv = priv_bit(action + 5, strlen(action + 5), table)) != 0 &&
             emu_strcasecmp(action + 5, "All") != 0)
        *check = ODPS_CHECK_PRIVILEGE;
    else
        return false;
    return true;
}

emu_rc odps_acl_replay(const cJSON *in, const char *action, const char *resource, emu_arena *a,
                       bool *allowed, const char **reason, emu_err *err)
{
    const char *project, *table, *who = cJSON_GetStringValue(cJSON_GetObjectItem(in, "Member"));
    const char *owner = cJSON_GetStringValue(cJSON_GetObjectItem(in, "OwnerAccount"));
    const char *arn = cJSON_GetStringValue(cJSON_GetObjectItem(in, "Principal"));
    const char *towner = cJSON_GetStringValue(cJSON_GetObjectItem(in, "TableOwner"));
    bool powner = cJSON_IsTrue(cJSON_GetObjectItem(in, "ProjectOwner"));
    odps_check check;
    uint32_t priv;
    if (!who || !owner || !arn)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "ruleInput: needs Member, OwnerAccount and Principal");
    if (!odps__acl_resource(resource, a, &project, &table))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "resource \"%.100s\" is not acs:odps:*:projects/<p>[/tables/<t>]",
                           resource);
    if (!odps__acl_check_of(action, table != NULL, &check, &priv))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "\"%.60s\" is not odps:Member, odps:Grant or a MaxCompute %s "
                           "privilege",
                           action, table ? "table" : "project");
    odps_acl acl = {0};
    emu_rc rc = odps__acl_load(&acl, in, "ruleInput", err);
    if (rc == EMU_OK) {
        *allowed =
            powner || (check == ODPS_CHECK_MEMBER ? list_find(acl.users, acl.n_users, who) >= 0
                       : check == ODPS_CHECK_MANAGER
                           ? acl_admin(&acl, who)
                           : (table && towner && emu_strcasecmp(towner, who) == 0) ||
                                 acl_grants(&acl, who, table, priv));
        *reason =
            *allowed ? NULL : odps__acl_reason(a, check, who, arn, project, owner, table, priv);
    }
    odps__acl_dispose(&acl);
    return rc;
}

/* ---- security statements ------------------------------------------------------------------ */

typedef struct words {
    const char *w[40];
    size_t len[40];
    size_t n;
} words;

/* Splits a statement into words: blanks and commas separate, `...`
 * quotes, a trailing ';' is dropped. False past 40 words. */
static bool split(const char *s, words *out)
{
    out->n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ',' || *s == ';')
            s++;
        if (!*s)
            break;
        if (out->n == 40)
            return false;
        if (*s == '`') {
            const char *e = strchr(s + 1, '`');
            if (!e)
                return false;
            out->w[out->n] = s + 1;
            out->len[out->n++] = (size_t)(e - s - 1);
            s = e + 1;
            continue;
        }
        const char *b = s;
        while (*s && !strchr(" \t\n\r,;", *s))
            s++;
        out->w[out->n] = b;
        out->len[out->n++] = (size_t)(s - b);
    }
    return true;
}

static bool is(const words *w, size_t i, const char *kw)
{
    return i < w->n && emu_str_ieq_c((emu_str){w->w[i], w->len[i]}, kw);
}

static char *word(emu_arena *a, const words *w, size_t i)
{
    return emu_arena_strndup(a, w->w[i], w->len[i]);
}

bool odps_acl_is_statement(const char *text, size_t len)
{
    static const char *const first[] = {"whoami", "add",    "remove", "list",
                                        "grant",  "revoke", "show",   NULL};
    emu_str s = emu_str_trim((emu_str){text, len});
    size_t n = 0;
    while (n < s.len && s.p[n] != ' ' && s.p[n] != '\t' && s.p[n] != '\n' && s.p[n] != ';')
        n++;
    emu_str w0 = {s.p, n};
    for (const char *const *f = first; *f; f++)
        if (emu_str_ieq_c(w0, *f)) {
            if (!strcmp(*f, "show")) /* SHOW TABLES is SQL; SHOW GRANTS is security */
                return emu_str_istarts((emu_str){s.p + n, s.len - n}, " grants");
            return true;
        }
    /* CREATE ROLE / DROP ROLE (CREATE TABLE and DROP TABLE are SQL). */
    if (emu_str_ieq_c(w0, "create") || emu_str_ieq_c(w0, "drop")) {
        emu_str rest = emu_str_trim((emu_str){s.p + n, s.len - n});
        return emu_str_istarts(rest, "role ") || emu_str_istarts(rest, "role\t");
    }
    return false;
}

static emu_rc acl_fail(emu_err *err, emu_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static emu_rc acl_fail(emu_err *err, emu_rc rc, const char *fmt, ...)
{
    char m[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return emu_err_set(err, rc, NULL, "%s", m);
}

static void out_text(emu_buf *out, bool json, const char *text)
{
    if (json) {
        cJSON *j = cJSON_CreateString(text);
        char *s = emu_json_print(j);
        emu_buf_puts(out, s);
        free(s);
        cJSON_Delete(j);
    } else {
        emu_buf_puts(out, text);
    }
}

static void show_grants(const odps_project *p, const char *who, bool json, emu_buf *out)
{
    const odps_acl *acl = &p->acl;
    cJSON *j = cJSON_CreateObject();
    cJSON *roles = cJSON_AddArrayToObject(j, "Roles");
    emu_buf text;
    emu_buf_init(&text, EMU_MAX_BODY_BYTES);
    emu_buf_puts(&text, "[roles]\n");
    for (size_t i = 0; i < acl->n_roles; i++)
        if (in_role(&acl->roles[i], who)) {
            cJSON_AddItemToArray(roles, cJSON_CreateString(acl->roles[i].name));
            emu_buf_printf(&text, "%s\n", acl->roles[i].name);
        }
    cJSON *grants = cJSON_AddObjectToObject(j, "ACL");
    emu_buf_puts(&text, "\nAuthorization Type: ACL\n");
    for (size_t i = 0; i < acl->n_grants; i++) {
        const odps_grant *g = &acl->grants[i];
        const odps_role *r = g->role ? role_find(acl, g->grantee) : NULL;
        if (g->role ? !(r && in_role(r, who)) : emu_strcasecmp(g->grantee, who) != 0)
            continue;
        char key[400];
        if (g->table)
            snprintf(key, sizeof key, "acs:odps:*:projects/%s/tables/%s", p->name, g->table);
        else
            snprintf(key, sizeof key, "acs:odps:*:projects/%s", p->name);
        cJSON *list = cJSON_GetObjectItemCaseSensitive(grants, key);
        if (!list)
            list = cJSON_AddArrayToObject(grants, key);
        emu_buf_printf(&text, "[%s%s]\t%s\t|", g->role ? "role/" : "user/", g->grantee, key);
        for (size_t k = 0; k < N_PRIVS; k++)
            if (privs[k].table == (g->table != NULL) && (g->privs & privs[k].bit)) {
                cJSON_AddItemToArray(list, cJSON_CreateString(privs[k].name));
                emu_buf_printf(&text, " %s", privs[k].name);
            }
        emu_buf_putc(&text, '\n');
    }
    if (json) {
        char *s = emu_json_print(j);
        emu_buf_puts(out, s);
        free(s);
    } else {
        emu_buf_append(out, text.p, text.len);
    }
    emu_buf_dispose(&text);
    cJSON_Delete(j);
}

/* `grant|revoke P[, P] on table T|project P to|from [user] X|role R`, from
 * word `i` (the first privilege). */
static emu_rc priv_statement(odps_project *p, const words *w, size_t i, bool grant, emu_arena *a,
                             emu_err *err)
{
    size_t on = i;
    while (on < w->n && !is(w, on, "on"))
        on++;
    if (on == i || on + 2 >= w->n)
        return acl_fail(err, EMU_E_INVALID,
                        "ODPS-0130161:Parse exception - expected %s <privileges> ON TABLE <t> | "
                        "PROJECT <p> %s USER <name> | ROLE <role>",
                        grant ? "GRANT" : "REVOKE", grant ? "TO" : "FROM");
    bool table = is(w, on + 1, "table");
    if (!table && !is(w, on + 1, "project"))
        return acl_fail(err, EMU_E_UNSUPPORTED,
                        "ODPS-0130161:Parse exception - acsemu grants privileges on TABLE and "
                        "PROJECT objects only, not %.*s",
                        (int)w->len[on + 1], w->w[on + 1]);
    char *obj = word(a, w, on + 2);
    if (table && !odps__table_find(p, obj))
        return acl_fail(err, EMU_E_NOT_FOUND,
                        "ODPS-0130131:Table not found - table %s.%s cannot be resolved", p->name,
                        obj);
    if (!table && emu_strcasecmp(obj, p->name) != 0)
        return acl_fail(err, EMU_E_INVALID,
                        "ODPS-0420111:Project not found - project '%s' is not the current "
                        "project %s",
                        obj, p->name);
    size_t k = on + 3;
    if (!is(w, k, grant ? "to" : "from"))
        return acl_fail(err, EMU_E_INVALID, "ODPS-0130161:Parse exception - expected %s after %s",
                        grant ? "TO" : "FROM", obj);
    k++;
    bool role = is(w, k, "role");
    if (role || is(w, k, "user"))
        k++;
    if (k + 1 != w->n)
        return acl_fail(err, EMU_E_INVALID,
                        "ODPS-0130161:Parse exception - expected one grantee name at the end");
    char *who = word(a, w, k);
    if (role ? !role_find(&p->acl, who) : !odps__acl_member(p, who))
        return acl_fail(err, EMU_E_NOT_FOUND,
                        "ODPS-0420111:Object not found - %s %s does not exist in project %s",
                        role ? "role" : "user", who, p->name);
    uint32_t bits = 0;
    for (size_t j = i; j < on; j++) {
        uint32_t b = priv_bit(w->w[j], w->len[j], table);
        if (!b)
            return acl_fail(err, EMU_E_INVALID,
                            "ODPS-0130161:Parse exception - '%.*s' is not a %s privilege (%s)",
                            (int)w->len[j], w->w[j], table ? "table" : "project",
                            table ? "Describe, Select, Alter, Update, Drop, All"
                                  : "Read, Write, List, CreateTable, CreateInstance, "
                                    "CreateFunction, CreateResource, All");
        bits |= b;
    }
    if (grant) {
        grant_add(&p->acl, who, role, table ? obj : NULL, bits);
        return EMU_OK;
    }
    odps_grant *g = grant_find(&p->acl, who, role, table ? obj : NULL);
    if (g)
        g->privs &= ~bits;
    return EMU_OK;
}

emu_rc odps_acl_run(odps_project *p, const char *who, bool manager, const char *text, bool json,
                    emu_arena *a, emu_buf *out, emu_err *err)
{
    words w;
    if (!split(text, &w) || !w.n)
        return acl_fail(err, EMU_E_INVALID,
                        "ODPS-0130161:Parse exception - not a security statement acsemu knows "
                        "(or longer than 40 words)");
    if (is(&w, 0, "whoami") && w.n == 1) {
        if (json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "DisplayName", who);
            cJSON_AddStringToObject(j, "Project", p->name);
            char *s = emu_json_print(j);
            emu_buf_puts(out, s);
            free(s);
            cJSON_Delete(j);
        } else {
            emu_buf_printf(out, "Name: %s\nProject: %s\n", who, p->name);
        }
        return EMU_OK;
    }
    if (is(&w, 0, "show") && is(&w, 1, "grants")) {
        const char *target = who;
        if (is(&w, 2, "for") && w.n == 4)
            target = word(a, &w, 3);
        else if (w.n != 2)
            return acl_fail(err, EMU_E_INVALID,
                            "ODPS-0130161:Parse exception - expected SHOW GRANTS [FOR <name>]");
        if (emu_strcasecmp(target, who) != 0 && !manager)
            return acl_fail(err, EMU_E_DENIED,
                            "ODPS-0420095: Access Denied - Authorization Failed [4019], You have "
                            "NO privilege to show the grants of %s in project %s",
                            target, p->name);
        show_grants(p, target, json, out);
        return EMU_OK;
    }
    if (is(&w, 0, "list") && (is(&w, 1, "users") || is(&w, 1, "roles")) && w.n == 2) {
        bool users = is(&w, 1, "users");
        cJSON *arr = cJSON_CreateArray();
        emu_buf text_out;
        emu_buf_init(&text_out, EMU_MAX_BODY_BYTES);
        size_t n = users ? p->acl.n_users : p->acl.n_roles;
        for (size_t i = 0; i < n; i++) {
            const char *nm = users ? p->acl.users[i] : p->acl.roles[i].name;
            cJSON_AddItemToArray(arr, cJSON_CreateString(nm));
            emu_buf_printf(&text_out, "%s\n", nm);
        }
        if (json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddItemToObject(j, users ? "Users" : "Roles", arr);
            char *s = emu_json_print(j);
            emu_buf_puts(out, s);
            free(s);
            cJSON_Delete(j);
        } else {
            cJSON_Delete(arr);
            emu_buf_append(out, text_out.p, text_out.len);
        }
        emu_buf_dispose(&text_out);
        return EMU_OK;
    }
    /* Everything below changes the project's security: owner and admins. */
    if (!manager)
        return acl_fail(err, EMU_E_DENIED,
                        "ODPS-0420095: Access Denied - Authorization Failed [4019], You have NO "
                        "privilege to manage the security of project %s: only its owner and "
                        "members of its admin role can run %.*s",
                        p->name, (int)w.len[0], w.w[0]);
    if ((is(&w, 0, "add") || is(&w, 0, "remove")) && is(&w, 1, "user") && w.n == 3) {
        char *name = word(a, &w, 2);
        long at = list_find(p->acl.users, p->acl.n_users, name);
        if (is(&w, 0, "add")) {
            if (strncmp(name, "ALIYUN$", 7) != 0 && strncmp(name, "RAM$", 4) != 0)
                return acl_fail(err, EMU_E_INVALID,
                                "ODPS-0130161:Parse exception - '%s' is not a user name: "
                                "ALIYUN$<account> or RAM$<account>:<user> (or :role/<role>)",
                                name);
            if (at >= 0)
                return acl_fail(err, EMU_E_EXISTS,
                                "ODPS-0420111: user %s already exists in project %s", name,
                                p->name);
            p->acl.users = list_add(p->acl.users, &p->acl.n_users, name);
        } else {
            if (at < 0)
                return acl_fail(err, EMU_E_NOT_FOUND,
                                "ODPS-0420111:Object not found - user %s does not exist in "
                                "project %s",
                                name, p->name);
            list_del(p->acl.users, &p->acl.n_users, (size_t)at);
            grants_drop(&p->acl, name, false, NULL);
            for (size_t i = 0; i < p->acl.n_roles; i++) {
                long k = list_find(p->acl.roles[i].users, p->acl.roles[i].n_users, name);
                if (k >= 0)
                    list_del(p->acl.roles[i].users, &p->acl.roles[i].n_users, (size_t)k);
            }
        }
        out_text(out, json, "OK");
        return EMU_OK;
    }
    if ((is(&w, 0, "create") || is(&w, 0, "drop")) && is(&w, 1, "role") && w.n == 3) {
        char *name = word(a, &w, 2);
        odps_role *r = role_find(&p->acl, name);
        if (is(&w, 0, "create")) {
            if (r)
                return acl_fail(err, EMU_E_EXISTS,
                                "ODPS-0420111: role %s already exists in project %s", name,
                                p->name);
            role_add(&p->acl, name);
        } else {
            if (!r)
                return acl_fail(err, EMU_E_NOT_FOUND,
                                "ODPS-0420111:Object not found - role %s does not exist in "
                                "project %s",
                                name, p->name);
            grants_drop(&p->acl, r->name, true, NULL);
            size_t i = (size_t)(r - p->acl.roles);
            free(r->name);
            list_free(r->users, r->n_users);
            memmove(r, r + 1, (p->acl.n_roles - i - 1) * sizeof *r);
            p->acl.n_roles--;
        }
        out_text(out, json, "OK");
        return EMU_OK;
    }
    if (is(&w, 0, "grant") || is(&w, 0, "revoke")) {
        bool grant = is(&w, 0, "grant");
        bool has_on = false;
        for (size_t i = 1; i < w.n; i++)
            has_on = has_on || is(&w, i, "on");
        emu_rc rc;
        if (has_on) {
            if ((rc = priv_statement(p, &w, 1, grant, a, err)))
                return rc;
            out_text(out, json, "OK");
            return EMU_OK;
        }
        /* GRANT role TO [user] name / REVOKE role FROM [user] name. */
        size_t k = 3;
        if (w.n < 4 || !is(&w, 2, grant ? "to" : "from"))
            return acl_fail(err, EMU_E_INVALID,
                            "ODPS-0130161:Parse exception - expected %s <role> %s <user>",
                            grant ? "GRANT" : "REVOKE", grant ? "TO" : "FROM");
        if (is(&w, 3, "user"))
            k = 4;
        if (k + 1 != w.n)
            return acl_fail(err, EMU_E_INVALID,
                            "ODPS-0130161:Parse exception - expected one user name at the end");
        char *rname = word(a, &w, 1), *name = word(a, &w, k);
        odps_role *r = role_find(&p->acl, rname);
        if (!r)
            return acl_fail(err, EMU_E_NOT_FOUND,
                            "ODPS-0420111:Object not found - role %s does not exist in project "
                            "%s",
                            rname, p->name);
        if (!odps__acl_member(p, name))
            return acl_fail(err, EMU_E_NOT_FOUND,
                            "ODPS-0420111:Object not found - user %s does not exist in project "
                            "%s",
                            name, p->name);
        long at = list_find(r->users, r->n_users, name);
        if (grant && at < 0)
            r->users = list_add(r->users, &r->n_users, name);
        if (!grant && at >= 0)
            list_del(r->users, &r->n_users, (size_t)at);
        out_text(out, json, "OK");
        return EMU_OK;
    }
    return acl_fail(err, EMU_E_UNSUPPORTED,
                    "ODPS-0130161:Parse exception - acsemu does not support the security "
                    "statement '%.*s ...' (it supports WHOAMI, ADD/REMOVE USER, LIST USERS, "
                    "CREATE/DROP ROLE, LIST ROLES, GRANT/REVOKE of roles and of privileges on "
                    "tables and the project, SHOW GRANTS)",
                    (int)w.len[0], w.w[0]);
}
