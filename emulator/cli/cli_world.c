/* The default world file, and `acsemu world check|import` (cli_int.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include "cli_int.h"
#include "emu/arena.h"
#include "emu/ecs.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/odps.h"
#include "emu/ots_store.h"
#include "emu/resourcemanager.h"
#include "emu/world.h"
#include "emu/world_section.h"

#ifndef ACSEMU_DATADIR
#define ACSEMU_DATADIR "/usr/local/share/acsemu"
#endif

const char *cli_default_world(void)
{
    static char path[PATH_MAX + 64];
    char exe[PATH_MAX];
    size_t n = sizeof exe;
    /* An installed layout, wherever its prefix: <prefix>/bin/acsemu next to
     * <prefix>/share/acsemu/world.json (cmake --install, the .deb, the
     * container image). */
    if (uv_exepath(exe, &n) == 0) {
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, sizeof path, "%s/../share/acsemu/world.json", exe);
            if (access(path, R_OK) == 0)
                return path;
        }
    }
    /* A checkout: scripts/run and the README's examples run from its root. */
    if (access("data/world.json", R_OK) == 0)
        return "data/world.json";
    /* The prefix this binary was built for (a copied binary). */
    snprintf(path, sizeof path, "%s/world.json", ACSEMU_DATADIR);
    if (access(path, R_OK) == 0)
        return path;
    return "data/world.json"; /* the error then names what was looked for */
}

/* ---- reading input files ---------------------------------------------------------------- */

/* Reads a whole file of at most `cap` bytes (NUL-terminated). NULL with a
 * message in err when it cannot be opened or is larger. */
char *cli_read_file(const char *path, size_t cap, size_t *len, emu_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        emu_err_set(err, EMU_E_NOT_FOUND, NULL, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t size = 4096, n = 0, r;
    char *buf = emu_xmalloc(size + 1);
    while ((r = fread(buf + n, 1, size - n, f)) > 0) {
        n += r;
        if (n == size) {
            if (size >= cap) {
                fclose(f);
                free(buf);
                emu_err_set(err, EMU_E_LIMIT, NULL, "%s: larger than %zu bytes", path, cap);
                return NULL;
            }
            size = size * 2 > cap ? cap : size * 2;
            buf = emu_xrealloc(buf, size + 1);
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        emu_err_set(err, EMU_E_INVALID, NULL, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static cJSON *read_json(const char *path, emu_err *err)
{
    size_t len;
    char *text = cli_read_file(path, EMU_MAX_WORLD_BYTES, &len, err);
    if (!text)
        return NULL;
    emu_err perr = {0};
    cJSON *j = emu_json_parse(text, len, &perr);
    free(text);
    if (!j)
        emu_err_set(err, EMU_E_INVALID, NULL, "%s: not valid JSON: %s", path, perr.msg);
    return j;
}

static void register_sections(void)
{
    emu_json_init();
    world_register_section(&ots_world_section);
    world_register_section(&odps_world_section);
    emu_rm_register();
    fed_register();
    ecs_register();
}

/* ---- acsemu world check ------------------------------------------------------------------ */

static int check_main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "Usage: acsemu world check FILE\n"
                "Loads FILE as acsemu would (every check of --world, rows included) without\n"
                "starting a server. Exit 0 valid (a summary on stdout), 1 invalid (the located\n"
                "error on stderr), 2 usage.\n");
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    register_sections();
    world_t *w = NULL;
    emu_err err = {0};
    if (world_load_file(argv[1], &w, &err) != EMU_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    world_stat st[WORLD_MAX_STATS];
    size_t n = world_stats(w, st, WORLD_MAX_STATS);
    printf("%s: valid (region %s", argv[1], world_region(w));
    for (size_t i = 0; i < n; i++)
        printf(", %s %.0f", st[i].name, st[i].value);
    printf(")\n");
    world_free(w);
    return 0;
}

/* ---- acsemu world import ----------------------------------------------------------------- */

/* The account being built from every input file. Errors are printed as
 * "FILE: $.json.path: what is wrong" and counted; the import fails at the
 * end if any was found, so one run reports them all. */
typedef struct importer {
    const char *account; /* --account, else from the first ARN seen */
    cJSON *users, *groups, *policies, *roles, *instances;
    int errors;
} importer;

static void import_err(importer *im, const char *file, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void import_err(importer *im, const char *file, const char *path, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: %s: ", file, path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    im->errors++;
}

/* Field lookup that accepts the API's PascalCase, the SDKs' camelCase and
 * Terraform's snake_case alike: case-insensitive, underscores ignored. */
static bool key_eq(const char *a, const char *b)
{
    for (;;) {
        while (*a == '_')
            a++;
        while (*b == '_')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a++) != tolower((unsigned char)*b++))
            return false;
    }
}

static const cJSON *field(const cJSON *obj, const char *key)
{
    const cJSON *c;
    if (!cJSON_IsObject(obj))
        return NULL;
    cJSON_ArrayForEach(c, obj)
    {
        if (c->string && key_eq(c->string, key))
            return c;
    }
    return NULL;
}

/* The first present string field among `keys` (NULL-terminated); NULL if
 * none. An empty string counts as absent (Terraform writes "" for unset). */
static const char *str_of(const cJSON *obj, const char *const *keys)
{
    for (; *keys; keys++) {
        const cJSON *j = field(obj, *keys);
        if (cJSON_IsString(j) && j->valuestring[0])
            return j->valuestring;
    }
    return NULL;
}
#define STR(obj, ...) str_of((obj), (const char *const[]){__VA_ARGS__, NULL})

static cJSON *find_named(cJSON *arr, const char *key, const char *name)
{
    cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, key);
        if (cJSON_IsString(n) && !strcasecmp(n->valuestring, name))
            return c;
    }
    return NULL;
}

/* The entity `name` of an array, created with just its name when absent. */
static cJSON *entity(cJSON *arr, const char *key, const char *name)
{
    cJSON *e = find_named(arr, key, name);
    if (!e) {
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, key, name);
        cJSON_AddItemToArray(arr, e);
    }
    return e;
}

static void set_str(cJSON *obj, const char *key, const char *v)
{
    if (!v)
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddStringToObject(obj, key, v);
}

/* Sets tag `key` of a role or policy entity ("Tags": [{"Key", "Value"}], the
 * world file's shape); the world loader checks the tag rules. */
static void put_tag(cJSON *ent, const char *key, const char *value)
{
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(ent, "Tags"), *t;
    if (!cJSON_IsArray(tags)) {
        cJSON_DeleteItemFromObjectCaseSensitive(ent, "Tags");
        tags = cJSON_AddArrayToObject(ent, "Tags");
    }
    cJSON_ArrayForEach(t, tags)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
        if (cJSON_IsString(k) && !strcmp(k->valuestring, key)) {
            set_str(t, "Value", value);
            return;
        }
    }
    t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "Key", key);
    cJSON_AddStringToObject(t, "Value", value);
    cJSON_AddItemToArray(tags, t);
}

/* Terraform's `tags` map of an alicloud_ram_role / alicloud_ram_policy. */
static void put_tf_tags(cJSON *ent, const cJSON *tags)
{
    const cJSON *t, *map = cJSON_IsObject(tags) ? tags : NULL;
    cJSON_ArrayForEach(t, map)
    {
        if (cJSON_IsString(t))
            put_tag(ent, t->string, t->valuestring);
    }
}

/* The account id of an ARN acs:ram::UID:..., remembered as the account
 * when none is set; a second account is an error (one account per import). */
static void note_arn(importer *im, const char *file, const char *path, const char *arn)
{
    static char uid[64];
    if (!arn || strncmp(arn, "acs:ram::", 9) != 0)
        return;
    const char *p = arn + 9, *end = strchr(p, ':');
    if (!end || end == p || (size_t)(end - p) >= sizeof uid)
        return;
    if (!im->account) {
        memcpy(uid, p, (size_t)(end - p));
        uid[end - p] = '\0';
        im->account = uid;
    } else if (strlen(im->account) != (size_t)(end - p) ||
               strncmp(im->account, p, (size_t)(end - p)) != 0) {
        import_err(im, file, path,
                   "ARN %s is in another account than %s (import one account at a time)", arn,
                   im->account);
    }
}

/* A policy document as the API gives it (JSON text) or as an object: checked
 * to be a JSON object, stored as given (the loader takes both). */
static bool put_document(importer *im, const char *file, const char *path, cJSON *dst,
                         const char *key, const cJSON *doc)
{
    if (cJSON_IsString(doc)) {
        emu_err perr = {0};
        cJSON *parsed = emu_json_parse(doc->valuestring, strlen(doc->valuestring), &perr);
        bool ok = cJSON_IsObject(parsed);
        cJSON_Delete(parsed);
        if (!ok) {
            import_err(im, file, path, "the policy document is not a JSON object: %s",
                       parsed ? "another JSON value" : perr.msg);
            return false;
        }
    } else if (!cJSON_IsObject(doc)) {
        import_err(im, file, path, "missing the policy document");
        return false;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(dst, key);
    cJSON_AddItemToObject(dst, key, cJSON_Duplicate(doc, true));
    return true;
}

/* Attaches a policy to a role, user or group (no duplicates). A policy type
 * other than System or Custom is an error. */
static void attach(importer *im, const char *file, const char *path, cJSON *ent, const char *policy,
                   const char *type)
{
    if (!type)
        type = "Custom";
    if (strcasecmp(type, "System") && strcasecmp(type, "Custom")) {
        import_err(im, file, path, "PolicyType \"%s\" is neither System nor Custom", type);
        return;
    }
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(ent, "AttachedPolicies");
    if (!arr)
        arr = cJSON_AddArrayToObject(ent, "AttachedPolicies");
    if (find_named(arr, "PolicyName", policy))
        return;
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "PolicyName", policy);
    cJSON_AddStringToObject(ref, "PolicyType", strcasecmp(type, "System") ? "Custom" : "System");
    cJSON_AddItemToArray(arr, ref);
}

static void add_member(cJSON *user, const char *group)
{
    cJSON *groups = cJSON_GetObjectItemCaseSensitive(user, "Groups");
    if (!groups)
        groups = cJSON_AddArrayToObject(user, "Groups");
    cJSON *g;
    cJSON_ArrayForEach(g, groups)
    {
        if (cJSON_IsString(g) && !strcasecmp(g->valuestring, group))
            return;
    }
    cJSON_AddItemToArray(groups, cJSON_CreateString(group));
}

/* ---- aliyun CLI / API output --------------------------------------------------------------- */

/* "role:NAME=FILE" and friends name the entity an answer is about when the
 * answer itself does not (ListPoliciesForRole, GetPolicyVersion,
 * DescribeTable). */
typedef struct subject {
    const char *kind; /* "role", "user", "group", "policy", "instance" or NULL */
    char name[256];
    const char *file;
} subject;

static void import_role(importer *im, const char *file, const cJSON *r)
{
    const char *name = STR(r, "RoleName");
    if (!name) {
        import_err(im, file, "$.Role.RoleName", "missing");
        return;
    }
    note_arn(im, file, "$.Role.Arn", STR(r, "Arn"));
    cJSON *role = entity(im->roles, "RoleName", name);
    set_str(role, "Description", STR(r, "Description"));
    const cJSON *msd = field(r, "MaxSessionDuration");
    if (cJSON_IsNumber(msd)) {
        cJSON_DeleteItemFromObjectCaseSensitive(role, "MaxSessionDuration");
        cJSON_AddNumberToObject(role, "MaxSessionDuration", msd->valuedouble);
    }
    put_document(im, file, "$.Role.AssumeRolePolicyDocument", role, "AssumeRolePolicyDocument",
                 field(r, "AssumeRolePolicyDocument"));
}

static void import_policy(importer *im, const char *file, const cJSON *p, const cJSON *version)
{
    const char *name = STR(p, "PolicyName");
    if (!name) {
        import_err(im, file, "$.Policy.PolicyName", "missing");
        return;
    }
    const char *type = STR(p, "PolicyType");
    if (type && !strcasecmp(type, "System"))
        return; /* built in: attachments name it, nothing to define */
    cJSON *pol = entity(im->policies, "PolicyName", name);
    set_str(pol, "Description", STR(p, "Description"));
    if (version)
        put_document(im, file, "$.DefaultPolicyVersion.PolicyDocument", pol, "PolicyDocument",
                     field(version, "PolicyDocument"));
}

static void import_policy_list(importer *im, const char *file, const cJSON *list,
                               const subject *sub)
{
    const cJSON *items = field(list, "Policy");
    if (!cJSON_IsArray(items)) {
        import_err(im, file, "$.Policies.Policy", "expected the list of policies");
        return;
    }
    if (!sub->kind || !strcmp(sub->kind, "policy") || !strcmp(sub->kind, "instance")) {
        import_err(im, file, "$.Policies",
                   "a ListPoliciesFor{Role,User,Group} answer does not name its entity: give it "
                   "as role:NAME=%s, user:NAME=%s or group:NAME=%s",
                   file, file, file);
        return;
    }
    cJSON *arr = !strcmp(sub->kind, "role")   ? im->roles
                 : !strcmp(sub->kind, "user") ? im->users
                                              : im->groups;
    const char *key = !strcmp(sub->kind, "role")   ? "RoleName"
                      : !strcmp(sub->kind, "user") ? "UserName"
                                                   : "GroupName";
    cJSON *ent = entity(arr, key, sub->name);
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, items)
    {
        char path[64];
        snprintf(path, sizeof path, "$.Policies.Policy[%d]", i++);
        const char *pname = STR(it, "PolicyName");
        if (!pname) {
            import_err(im, file, path, "missing PolicyName");
            continue;
        }
        attach(im, file, path, ent, pname, STR(it, "PolicyType"));
    }
}

static void import_user(importer *im, const char *file, const char *path, const cJSON *u)
{
    const char *name = STR(u, "UserName");
    if (!name) {
        import_err(im, file, path, "missing UserName");
        return;
    }
    cJSON *user = entity(im->users, "UserName", name);
    set_str(user, "DisplayName", STR(u, "DisplayName"));
    set_str(user, "Email", STR(u, "Email"));
    set_str(user, "MobilePhone", STR(u, "MobilePhone", "Mobile"));
    set_str(user, "Comments", STR(u, "Comments"));
}

static void import_list(importer *im, const char *file, const cJSON *list, const char *item,
                        bool users)
{
    const cJSON *items = field(list, item);
    char path[64];
    if (!cJSON_IsArray(items)) {
        snprintf(path, sizeof path, "$.%ss.%s", item, item);
        import_err(im, file, path, "expected a list");
        return;
    }
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, items)
    {
        snprintf(path, sizeof path, "$.%ss.%s[%d]", item, item, i++);
        if (users) {
            import_user(im, file, path, it);
        } else {
            const char *name = STR(it, "GroupName");
            if (!name)
                import_err(im, file, path, "missing GroupName");
            else
                set_str(entity(im->groups, "GroupName", name), "Comments", STR(it, "Comments"));
        }
    }
}

/* Tablestore types as names, from a name in any case or the protobuf enum
 * number (PrimaryKeyType 1-3; DefinedColumnType 1-4, 7 for BLOB). */
static const char *ots_type(const cJSON *t, bool pk)
{
    static const char *const pk_names[] = {NULL, "INTEGER", "STRING", "BINARY"};
    static const char *const col_names[] = {NULL,     "INTEGER", "DOUBLE", "BOOLEAN",
                                            "STRING", NULL,      NULL,     "BINARY"};
    if (cJSON_IsNumber(t)) {
        int n = (int)t->valuedouble;
        if (pk)
            return n >= 1 && n <= 3 ? pk_names[n] : NULL;
        return n >= 1 && n <= 7 ? col_names[n] : NULL;
    }
    if (!cJSON_IsString(t))
        return NULL;
    const char *v = t->valuestring;
    if (!strcasecmp(v, "INTEGER"))
        return "INTEGER";
    if (!strcasecmp(v, "STRING"))
        return "STRING";
    if (!strcasecmp(v, "BINARY") || (!pk && !strcasecmp(v, "BLOB")))
        return "BINARY";
    if (!pk && !strcasecmp(v, "DOUBLE"))
        return "DOUBLE";
    if (!pk && !strcasecmp(v, "BOOLEAN"))
        return "BOOLEAN";
    return NULL;
}

static cJSON *instance(importer *im, const char *name)
{
    cJSON *in = entity(im->instances, "InstanceName", name);
    if (!cJSON_GetObjectItemCaseSensitive(in, "Tables"))
        cJSON_AddArrayToObject(in, "Tables");
    return in;
}

/* Columns [{name, type}] of a table: primary key (pk) or defined columns. */
static cJSON *ots_columns(importer *im, const char *file, const char *path, const cJSON *cols,
                          bool pk)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *c;
    int i = 0;
    cJSON_ArrayForEach(c, cols)
    {
        char p[256];
        snprintf(p, sizeof p, "%s[%d]", path, i++);
        const char *name = STR(c, "name");
        const cJSON *tj = field(c, "type");
        const char *type = ots_type(tj, pk);
        if (!name || !type) {
            import_err(im, file, p, "%s",
                       !name ? "missing the column name"
                       : pk  ? "type is not a primary key type (INTEGER, STRING, BINARY)"
                             : "type is not a column type (INTEGER, DOUBLE, BOOLEAN, STRING, "
                               "BINARY)");
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Name", name);
        cJSON_AddStringToObject(o, "Type", type);
        const cJSON *opt = field(c, "option");
        const cJSON *ai = field(c, "auto_increment");
        if (pk &&
            (cJSON_IsTrue(ai) ||
             (opt && ((cJSON_IsString(opt) && !strcasecmp(opt->valuestring, "AUTO_INCREMENT")) ||
                      (cJSON_IsNumber(opt) && opt->valuedouble == 1)))))
            cJSON_AddTrueToObject(o, "AutoIncrement");
        cJSON_AddItemToArray(out, o);
    }
    return out;
}

/* A table: the schema (PK, defined columns) and options of DescribeTable or
 * of Terraform's alicloud_ots_table. */
static void add_table(importer *im, const char *file, const char *path, const char *inst,
                      const char *name, const cJSON *pk, const cJSON *defined, const cJSON *ttl,
                      const cJSON *maxv, const cJSON *dev)
{
    char p[256];
    if (!cJSON_IsArray(pk) || cJSON_GetArraySize(pk) == 0) {
        snprintf(p, sizeof p, "%s.primary_key", path);
        import_err(im, file, p, "missing the primary key");
        return;
    }
    cJSON *tables = cJSON_GetObjectItemCaseSensitive(instance(im, inst), "Tables");
    if (find_named(tables, "TableName", name)) {
        import_err(im, file, path, "table %s of instance %s is given twice", name, inst);
        return;
    }
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "TableName", name);
    snprintf(p, sizeof p, "%s.primary_key", path);
    cJSON_AddItemToObject(t, "PrimaryKey", ots_columns(im, file, p, pk, true));
    if (cJSON_IsArray(defined) && cJSON_GetArraySize(defined) > 0) {
        snprintf(p, sizeof p, "%s.defined_column", path);
        cJSON_AddItemToObject(t, "DefinedColumns", ots_columns(im, file, p, defined, false));
    }
    if (cJSON_IsNumber(ttl))
        cJSON_AddNumberToObject(t, "TimeToLive", ttl->valuedouble);
    if (cJSON_IsNumber(maxv))
        cJSON_AddNumberToObject(t, "MaxVersions", maxv->valuedouble);
    /* Terraform keeps this one as a string. */
    double devs = cJSON_IsNumber(dev)   ? dev->valuedouble
                  : cJSON_IsString(dev) ? strtod(dev->valuestring, NULL)
                                        : 0;
    if (devs > 0)
        cJSON_AddNumberToObject(t, "DeviationCellVersionInSec", devs);
    cJSON_AddItemToArray(tables, t);
}

static void import_describe_table(importer *im, const char *file, const cJSON *doc,
                                  const subject *sub)
{
    const cJSON *meta = field(doc, "table_meta");
    const cJSON *opts = field(doc, "table_options");
    const char *name = STR(meta, "table_name");
    if (!sub->kind || strcmp(sub->kind, "instance")) {
        import_err(im, file, "$.TableMeta",
                   "a DescribeTable answer does not name its instance: give it as "
                   "instance:NAME=%s",
                   file);
        return;
    }
    if (!name) {
        import_err(im, file, "$.TableMeta.TableName", "missing");
        return;
    }
    add_table(im, file, "$.TableMeta", sub->name, name, field(meta, "primary_key"),
              field(meta, "defined_column"), field(opts, "time_to_live"),
              field(opts, "max_versions"), field(opts, "deviation_cell_version_in_sec"));
}

/* One aliyun CLI / API answer, recognized by its top-level fields. */
/* RAM ListTagResources (`aliyun ram ListTagResources --ResourceType role`):
 * each row tags its role or policy. */
static void import_tags(importer *im, const char *file, const cJSON *rows)
{
    const cJSON *r;
    int i = 0;
    cJSON_ArrayForEach(r, rows)
    {
        char p[64];
        snprintf(p, sizeof p, "$.TagResources[%d]", i++);
        const char *type = STR(r, "ResourceType"), *name = STR(r, "ResourceName");
        const char *key = STR(r, "TagKey"), *value = STR(r, "TagValue");
        if (!type || !name || !key || (strcmp(type, "role") && strcmp(type, "policy"))) {
            import_err(im, file, p,
                       "not a RAM tag (ResourceType role or policy, ResourceName, TagKey): "
                       "only RAM ListTagResources answers are imported");
            return;
        }
        cJSON *ent = type[0] == 'r' ? entity(im->roles, "RoleName", name)
                                    : entity(im->policies, "PolicyName", name);
        put_tag(ent, key, value ? value : "");
    }
}

static void import_api(importer *im, const char *file, const cJSON *doc, const subject *sub)
{
    const cJSON *j;
    if ((j = field(doc, "Role")) && cJSON_IsObject(j)) {
        import_role(im, file, j);
    } else if ((j = field(doc, "Policy")) && cJSON_IsObject(j)) {
        import_policy(im, file, j, field(doc, "DefaultPolicyVersion"));
    } else if ((j = field(doc, "PolicyVersion")) && cJSON_IsObject(j)) {
        if (!sub->kind || strcmp(sub->kind, "policy")) {
            import_err(im, file, "$.PolicyVersion",
                       "a GetPolicyVersion answer does not name its policy: give it as "
                       "policy:NAME=%s",
                       file);
            return;
        }
        const cJSON *isdef = field(j, "IsDefaultVersion");
        if (isdef && !cJSON_IsTrue(isdef)) {
            fprintf(stderr, "%s: not the default version of %s: skipped\n", file, sub->name);
            return;
        }
        put_document(im, file, "$.PolicyVersion.PolicyDocument",
                     entity(im->policies, "PolicyName", sub->name), "PolicyDocument",
                     field(j, "PolicyDocument"));
    } else if ((j = field(doc, "Policies")) && cJSON_IsObject(j)) {
        import_policy_list(im, file, j, sub);
    } else if ((j = field(doc, "Users")) && cJSON_IsObject(j)) {
        import_list(im, file, j, "User", true);
    } else if ((j = field(doc, "User")) && cJSON_IsObject(j)) {
        import_user(im, file, "$.User", j);
    } else if ((j = field(doc, "Groups")) && cJSON_IsObject(j)) {
        import_list(im, file, j, "Group", false);
    } else if ((j = field(doc, "TagResources")) && cJSON_IsArray(j)) {
        import_tags(im, file, j);
    } else if (field(doc, "table_meta")) {
        import_describe_table(im, file, doc, sub);
    } else {
        import_err(im, file, "$",
                   "not an answer acsemu can import (GetRole, GetPolicy, GetPolicyVersion, "
                   "ListPoliciesForRole/User/Group, ListUsers, GetUser, ListGroups, "
                   "ListTagResources, DescribeTable) nor a Terraform state");
    }
}

/* ---- Terraform state ---------------------------------------------------------------------- */

/* One alicloud_ram_* / alicloud_ots_* resource instance's attributes. */
static void import_tf_resource(importer *im, const char *file, const char *path, const char *type,
                               const cJSON *a)
{
    char p[256];
#define NEED(var, ...)                                                                             \
    const char *var = STR(a, __VA_ARGS__);                                                         \
    if (!var) {                                                                                    \
        snprintf(p, sizeof p, "%s.%s", path, #var);                                                \
        import_err(im, file, p, "missing in %s", type);                                            \
        return;                                                                                    \
    }
    if (!strcmp(type, "alicloud_ram_user")) {
        NEED(name, "user_name", "name");
        cJSON *u = entity(im->users, "UserName", name);
        set_str(u, "DisplayName", STR(a, "display_name"));
        set_str(u, "Email", STR(a, "email"));
        set_str(u, "MobilePhone", STR(a, "mobile"));
        set_str(u, "Comments", STR(a, "comments"));
    } else if (!strcmp(type, "alicloud_ram_group")) {
        NEED(name, "group_name", "name");
        set_str(entity(im->groups, "GroupName", name), "Comments", STR(a, "comments"));
    } else if (!strcmp(type, "alicloud_ram_policy")) {
        NEED(name, "policy_name", "name");
        cJSON *pol = entity(im->policies, "PolicyName", name);
        set_str(pol, "Description", STR(a, "description"));
        const cJSON *doc = field(a, "policy_document");
        if (!cJSON_IsString(doc) || !doc->valuestring[0])
            doc = field(a, "document");
        snprintf(p, sizeof p, "%s.policy_document", path);
        put_document(im, file, p, pol, "PolicyDocument", doc);
        put_tf_tags(pol, field(a, "tags"));
    } else if (!strcmp(type, "alicloud_ram_role")) {
        NEED(name, "role_name", "name");
        note_arn(im, file, path, STR(a, "arn"));
        cJSON *role = entity(im->roles, "RoleName", name);
        set_str(role, "Description", STR(a, "description"));
        const cJSON *msd = field(a, "max_session_duration");
        if (cJSON_IsNumber(msd) && msd->valuedouble > 0)
            cJSON_AddNumberToObject(role, "MaxSessionDuration", msd->valuedouble);
        const cJSON *doc = field(a, "assume_role_policy_document");
        if (!cJSON_IsString(doc) || !doc->valuestring[0])
            doc = field(a, "document");
        snprintf(p, sizeof p, "%s.assume_role_policy_document", path);
        put_document(im, file, p, role, "AssumeRolePolicyDocument", doc);
        put_tf_tags(role, field(a, "tags"));
    } else if (!strcmp(type, "alicloud_ram_role_policy_attachment") ||
               !strcmp(type, "alicloud_ram_user_policy_attachment") ||
               !strcmp(type, "alicloud_ram_group_policy_attachment")) {
        NEED(policy_name, "policy_name");
        cJSON *ent;
        if (type[13] == 'r') {
            NEED(role_name, "role_name");
            ent = entity(im->roles, "RoleName", role_name);
        } else if (type[13] == 'u') {
            NEED(user_name, "user_name");
            ent = entity(im->users, "UserName", user_name);
        } else {
            NEED(group_name, "group_name");
            ent = entity(im->groups, "GroupName", group_name);
        }
        attach(im, file, path, ent, policy_name, STR(a, "policy_type"));
    } else if (!strcmp(type, "alicloud_ram_group_membership") ||
               !strcmp(type, "alicloud_ram_user_group_attachment")) {
        NEED(group_name, "group_name");
        entity(im->groups, "GroupName", group_name);
        const char *one = STR(a, "user_name");
        if (one)
            add_member(entity(im->users, "UserName", one), group_name);
        const cJSON *names = field(a, "user_names"), *n;
        cJSON_ArrayForEach(n, names)
        {
            if (cJSON_IsString(n))
                add_member(entity(im->users, "UserName", n->valuestring), group_name);
        }
    } else if (!strcmp(type, "alicloud_ram_access_key")) {
        NEED(user_name, "user_name");
        const char *id = STR(a, "id"), *secret = STR(a, "secret");
        if (!id || !secret) {
            fprintf(stderr, "%s: %s: access key of %s without a plain secret (pgp_key?): skipped\n",
                    file, path, user_name);
            return;
        }
        cJSON *u = entity(im->users, "UserName", user_name);
        cJSON *keys = cJSON_GetObjectItemCaseSensitive(u, "AccessKeys");
        if (!keys)
            keys = cJSON_AddArrayToObject(u, "AccessKeys");
        cJSON *k = cJSON_CreateObject();
        cJSON_AddStringToObject(k, "AccessKeyId", id);
        cJSON_AddStringToObject(k, "AccessKeySecret", secret);
        const char *status = STR(a, "status");
        cJSON_AddStringToObject(k, "Status",
                                status && !strcasecmp(status, "Inactive") ? "Inactive" : "Active");
        cJSON_AddItemToArray(keys, k);
    } else if (!strcmp(type, "alicloud_ots_instance")) {
        NEED(name, "name", "instance_name");
        cJSON *in = instance(im, name);
        const char *by = STR(a, "accessed_by");
        const char *net = !by || !strcasecmp(by, "Any") ? "Any" : "Vpc"; /* Vpc, ConsoleOrVpc */
        set_str(in, "Network", net);
    } else if (!strcmp(type, "alicloud_ots_table")) {
        NEED(instance_name, "instance_name");
        NEED(table_name, "table_name");
        add_table(im, file, path, instance_name, table_name, field(a, "primary_key"),
                  field(a, "defined_column"), field(a, "time_to_live"), field(a, "max_version"),
                  field(a, "deviation_cell_version_in_sec"));
    } else {
        fprintf(stderr, "%s: %s: %s is not imported: skipped\n", file, path, type);
    }
#undef NEED
}

static void import_tfstate(importer *im, const char *file, const cJSON *doc)
{
    const cJSON *res = field(doc, "resources"), *r;
    if (!cJSON_IsArray(res)) {
        import_err(im, file, "$.resources", "expected the list of resources");
        return;
    }
    int i = 0;
    cJSON_ArrayForEach(r, res)
    {
        char path[128];
        int at = i++;
        const char *mode = STR(r, "mode"), *type = STR(r, "type");
        if (!type || (mode && strcmp(mode, "managed")))
            continue; /* data sources describe, they do not deploy */
        if (strncmp(type, "alicloud_ram_", 13) && strncmp(type, "alicloud_ots_", 13))
            continue;
        const cJSON *insts = field(r, "instances"), *in;
        int k = 0;
        cJSON_ArrayForEach(in, insts)
        {
            snprintf(path, sizeof path, "$.resources[%d].instances[%d].attributes", at, k++);
            const cJSON *attrs = field(in, "attributes");
            if (!cJSON_IsObject(attrs))
                import_err(im, file, path, "missing");
            else
                import_tf_resource(im, file, path, type, attrs);
        }
    }
}

/* ---- the import command ---------------------------------------------------------------------- */

/* What the loader would refuse, said in the importer's terms: a role without
 * its trust policy, a Custom policy attached but never defined. */
static void check_complete(importer *im)
{
    cJSON *e;
    cJSON_ArrayForEach(e, im->roles)
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(e, "RoleName")->valuestring;
        if (!cJSON_GetObjectItemCaseSensitive(e, "AssumeRolePolicyDocument"))
            import_err(im, "(import)", name,
                       "role without its trust policy: add the GetRole answer (or the "
                       "alicloud_ram_role resource)");
    }
    cJSON_ArrayForEach(e, im->policies)
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(e, "PolicyName")->valuestring;
        if (!cJSON_GetObjectItemCaseSensitive(e, "PolicyDocument"))
            import_err(im, "(import)", name,
                       "Custom policy without its document: add the GetPolicy answer (it carries "
                       "DefaultPolicyVersion) or policy:%s=<GetPolicyVersion answer>",
                       name);
    }
    cJSON *arrays[] = {im->roles, im->users, im->groups};
    const char *keys[] = {"RoleName", "UserName", "GroupName"};
    for (int i = 0; i < 3; i++) {
        cJSON_ArrayForEach(e, arrays[i])
        {
            cJSON *ref;
            cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(e, "AttachedPolicies"))
            {
                const char *pn = cJSON_GetObjectItemCaseSensitive(ref, "PolicyName")->valuestring;
                const char *pt = cJSON_GetObjectItemCaseSensitive(ref, "PolicyType")->valuestring;
                if (!strcmp(pt, "Custom") && !find_named(im->policies, "PolicyName", pn))
                    import_err(im, "(import)",
                               cJSON_GetObjectItemCaseSensitive(e, keys[i])->valuestring,
                               "attaches Custom policy %s, which no input defines: add its "
                               "GetPolicy answer (or the alicloud_ram_policy resource)",
                               pn);
            }
        }
    }
}

static void add_nonempty(cJSON *obj, const char *key, cJSON *arr)
{
    if (cJSON_GetArraySize(arr) > 0)
        cJSON_AddItemToObject(obj, key, arr);
    else
        cJSON_Delete(arr);
}

static void import_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: acsemu world import [--account UID] [--region ID] [--access-key ID:SECRET]\n"
        "                           [--out FILE] INPUT...\n"
        "Makes a world file from what you already have, for one account:\n"
        "  - JSON answers saved from the aliyun CLI or the APIs: GetRole, GetPolicy (with\n"
        "    DefaultPolicyVersion), GetUser, ListUsers, ListGroups, ListTagResources (RAM\n"
        "    role and policy tags), and, named with a prefix since the answer does not\n"
        "    name its subject:\n"
        "      role:NAME=FILE | user:NAME=FILE | group:NAME=FILE   "
        "ListPoliciesFor{Role,User,Group}\n"
        "      policy:NAME=FILE                                    GetPolicyVersion (the default "
        "one)\n"
        "      instance:NAME=FILE                                  Tablestore DescribeTable\n"
        "  - a Terraform state file (terraform.tfstate): its alicloud_ram_user, _group,\n"
        "    _policy, _role (with their tags), _{role,user,group}_policy_attachment,\n"
        "    _group_membership, _access_key (with a plain secret) and alicloud_ots_instance,\n"
        "    _table resources.\n"
        "The account is --account, else the one in the inputs' ARNs. --access-key gives the\n"
        "account a root AccessKey (the imported world has none otherwise). The result is\n"
        "checked as --world would load it and written to --out FILE (default stdout).\n"
        "Errors name the input file and the JSON path. Exit 0 written, 1 input errors, 2 usage.\n");
}

static int import_main(int argc, char **argv)
{
    const char *account = NULL, *region = "cn-hangzhou", *out = NULL, *root_key = NULL;
    /* Options anywhere; everything else is an input. */
    int n_inputs = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (o[0] != '-' || o[1] != '-') {
            argv[++n_inputs] = argv[i]; /* compacted in place after argv[0] */
            continue;
        }
        if (!strcmp(o, "--help")) {
            import_usage(stdout);
            return 0;
        }
        const char **dst = !strcmp(o, "--account")      ? &account
                           : !strcmp(o, "--region")     ? &region
                           : !strcmp(o, "--out")        ? &out
                           : !strcmp(o, "--access-key") ? &root_key
                                                        : NULL;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "acsemu world import: %s: unknown option or missing value\n\n", o);
            import_usage(stderr);
            return 2;
        }
        *dst = argv[++i];
    }
    if (n_inputs == 0) {
        fprintf(stderr, "acsemu world import: no input files\n\n");
        import_usage(stderr);
        return 2;
    }
    if (root_key && (!strchr(root_key, ':') || root_key[0] == ':' || !strchr(root_key, ':')[1])) {
        fprintf(stderr, "acsemu world import: --access-key wants ID:SECRET\n");
        return 2;
    }
    register_sections();
    importer im = {.account = account,
                   .users = cJSON_CreateArray(),
                   .groups = cJSON_CreateArray(),
                   .policies = cJSON_CreateArray(),
                   .roles = cJSON_CreateArray(),
                   .instances = cJSON_CreateArray()};
    for (int i = 1; i <= n_inputs; i++) {
        subject sub = {.file = argv[i]};
        const char *eq = strchr(argv[i], '='), *colon = strchr(argv[i], ':');
        if (eq && colon && colon < eq) {
            static const char *const kinds[] = {"role", "user", "group", "policy", "instance"};
            for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
                size_t kl = strlen(kinds[k]);
                if ((size_t)(colon - argv[i]) == kl && !strncmp(argv[i], kinds[k], kl))
                    sub.kind = kinds[k];
            }
            size_t nl = (size_t)(eq - colon - 1);
            if (sub.kind && nl > 0 && nl < sizeof sub.name) {
                memcpy(sub.name, colon + 1, nl);
                sub.name[nl] = '\0';
                sub.file = eq + 1;
            } else {
                sub.kind = NULL; /* a file name with ':' and '=' in it */
            }
        }
        emu_err err = {0};
        cJSON *doc = read_json(sub.file, &err);
        if (!doc) {
            fprintf(stderr, "%s\n", err.msg);
            im.errors++;
            continue;
        }
        if (!cJSON_IsObject(doc))
            import_err(&im, sub.file, "$", "expected a JSON object");
        else if (field(doc, "resources") &&
                 (field(doc, "terraform_version") || field(doc, "version")))
            import_tfstate(&im, sub.file, doc);
        else
            import_api(&im, sub.file, doc, &sub);
        cJSON_Delete(doc);
    }
    check_complete(&im);
    if (!im.account) {
        fprintf(stderr, "acsemu world import: no ARN in the inputs names the account: give "
                        "--account UID\n");
        im.errors++;
    }

    cJSON *world = cJSON_CreateObject();
    cJSON_AddStringToObject(world, "Region", region);
    cJSON *acct = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(world, "Accounts"), acct);
    cJSON_AddStringToObject(acct, "AccountId", im.account ? im.account : "");
    if (root_key) {
        const char *c = strchr(root_key, ':');
        char id[256];
        snprintf(id, sizeof id, "%.*s", (int)(c - root_key), root_key);
        cJSON *k = cJSON_CreateObject();
        cJSON_AddStringToObject(k, "AccessKeyId", id);
        cJSON_AddStringToObject(k, "AccessKeySecret", c + 1);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(acct, "AccessKeys"), k);
    }
    add_nonempty(acct, "Users", im.users);
    add_nonempty(acct, "Groups", im.groups);
    add_nonempty(acct, "Policies", im.policies);
    add_nonempty(acct, "Roles", im.roles);
    if (cJSON_GetArraySize(im.instances) > 0) {
        cJSON *ts = cJSON_AddObjectToObject(acct, "Tablestore");
        cJSON_AddItemToObject(ts, "Instances", im.instances);
    } else {
        cJSON_Delete(im.instances);
    }

    int rc = 1;
    if (im.errors) {
        fprintf(stderr, "acsemu world import: %d error%s, nothing written\n", im.errors,
                im.errors == 1 ? "" : "s");
        goto done;
    }
    /* The same load as --world: what is written is a world acsemu starts with. */
    world_t *w = NULL;
    emu_err err = {0};
    if (world_load_json(world, "imported world", ".", &w, &err) != EMU_OK) {
        fprintf(stderr, "acsemu world import: the result does not load: %s\n", err.msg);
        goto done;
    }
    world_free(w);
    char *text = cJSON_Print(world);
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0 || (out && fclose(f) != 0)) {
        fprintf(stderr, "acsemu world import: cannot write %s: %s\n", out ? out : "stdout",
                strerror(errno));
        free(text);
        goto done;
    }
    free(text);
    if (out)
        fprintf(stderr, "acsemu world import: wrote %s (account %s)\n", out, im.account);
    rc = 0;
done:
    cJSON_Delete(world);
    return rc;
}

int cli_world_main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "check"))
        return check_main(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "import"))
        return import_main(argc - 1, argv + 1);
    FILE *f = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(f, "Usage: acsemu world check FILE\n"
               "       acsemu world import [options] INPUT...   (acsemu world import --help)\n");
    return f == stdout ? 0 : 2;
}
