/* ECS instances as world state: the "ECS" section of an account (load,
 * save, clone, free) and the lookup the metadata service uses.
 *
 * World-file shape (DescribeInstances' field names):
 *   "ECS": {"Instances": [{
 *     "InstanceId": "i-bp1app000000000001", "InstanceName": "app",
 *     "RegionId": "cn-hangzhou", "PrivateIpAddress": "127.0.0.1",
 *     "RamRoleName": "ecs-app",
 *     "MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "enabled"}}]}
 * RamRoleName names a role of the same account (the cloud attaches only
 * those; AttachInstanceRamRole). It is looked up when the metadata service
 * is asked (a section loads before it could see the account's roles, and
 * RAM may delete the role later): a role that is not there gets the
 * metadata service's 404 with the reason. PrivateIpAddress is how the metadata service tells
 * instances apart (ecs_instance_for_peer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/ecs.h"
#include "emu/json.h"
#include "emu/str.h"

typedef struct ecs_set {
    ecs_instance **v;
    size_t n;
} ecs_set;

static int section_index = -1;

void ecs_register(void)
{
    world_register_section(&ecs_world_section);
    section_index = world_section_index(ecs_world_section.name);
}

static ecs_set *set_of(const world_account *a)
{
    return a && section_index >= 0 ? a->sections[section_index] : NULL;
}

size_t ecs_instance_count(const world_t *w, const char *account_id)
{
    ecs_set *s = set_of(world_account_find(w, account_id));
    return s ? s->n : 0;
}

ecs_instance *ecs_instance_at(const world_t *w, const char *account_id, size_t i)
{
    ecs_set *s = set_of(world_account_find(w, account_id));
    return s && i < s->n ? s->v[i] : NULL;
}

ecs_instance *ecs_instance_for_peer(const world_t *w, const char *peer_ip, world_account **owner,
                                    bool *ambiguous)
{
    ecs_instance *by_ip = NULL, *fallback = NULL;
    world_account *ip_owner = NULL, *fb_owner = NULL;
    size_t n_ip = 0, n_fb = 0;
    for (size_t i = 0, na = world_account_count(w); i < na; i++) {
        world_account *a = world_account_at(w, i);
        ecs_set *s = set_of(a);
        for (size_t k = 0; s && k < s->n; k++) {
            ecs_instance *in = s->v[k];
            if (!in->private_ip) {
                fallback = in;
                fb_owner = a;
                n_fb++;
            } else if (peer_ip && strcmp(in->private_ip, peer_ip) == 0) {
                by_ip = in;
                ip_owner = a;
                n_ip++;
            }
        }
    }
    *ambiguous = n_ip > 1 || (n_ip == 0 && n_fb > 1);
    if (*ambiguous)
        return NULL;
    *owner = by_ip ? ip_owner : fb_owner;
    return by_ip ? by_ip : fallback;
}

/* --- section hooks ----------------------------------------------------------- */

static void instance_free(ecs_instance *in)
{
    if (!in)
        return;
    free(in->id);
    free(in->name);
    free(in->region);
    free(in->private_ip);
    free(in->role_name);
    free(in->session_key_id);
    free(in);
}

static void set_free(void *state)
{
    ecs_set *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        instance_free(s->v[i]);
    free(s->v);
    free(s);
}

static char *dup_or_null(const char *s)
{
    return s ? emu_xstrdup(s) : NULL;
}

static void *set_clone(const void *state)
{
    const ecs_set *s = state;
    if (!s)
        return NULL;
    ecs_set *c = emu_xcalloc(1, sizeof *c);
    c->v = emu_xcalloc(s->n ? s->n : 1, sizeof *c->v);
    for (size_t i = 0; i < s->n; i++) {
        const ecs_instance *p = s->v[i];
        ecs_instance *q = emu_xcalloc(1, sizeof *q);
        q->id = emu_xstrdup(p->id);
        q->name = dup_or_null(p->name);
        q->region = dup_or_null(p->region);
        q->private_ip = dup_or_null(p->private_ip);
        q->role_name = dup_or_null(p->role_name);
        q->session_key_id = dup_or_null(p->session_key_id);
        q->tokens_required = p->tokens_required;
        q->endpoint_disabled = p->endpoint_disabled;
        c->v[c->n++] = q;
    }
    return c;
}

static cJSON *set_save(const void *state)
{
    const ecs_set *s = state;
    if (!s || !s->n)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "Instances");
    for (size_t i = 0; i < s->n; i++) {
        const ecs_instance *in = s->v[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "InstanceId", in->id);
        if (in->name)
            cJSON_AddStringToObject(j, "InstanceName", in->name);
        if (in->region)
            cJSON_AddStringToObject(j, "RegionId", in->region);
        if (in->private_ip)
            cJSON_AddStringToObject(j, "PrivateIpAddress", in->private_ip);
        if (in->role_name)
            cJSON_AddStringToObject(j, "RamRoleName", in->role_name);
        cJSON *m = cJSON_AddObjectToObject(j, "MetadataOptions");
        cJSON_AddStringToObject(m, "HttpTokens", in->tokens_required ? "required" : "optional");
        cJSON_AddStringToObject(m, "HttpEndpoint", in->endpoint_disabled ? "disabled" : "enabled");
        cJSON_AddItemToArray(arr, j);
    }
    return o;
}

static size_t set_stats(const void *state, world_stat *out, size_t cap)
{
    const ecs_set *s = state;
    if (cap < 1)
        return 0;
    out[0] = (world_stat){"ecs_instances", s ? (double)s->n : 0};
    return 1;
}

/* --- load -------------------------------------------------------------------- */

/* "i-" then 1-64 lower-case letters and digits (the cloud's ids are
 * "i-" + 20 of them; tests may use shorter ones). */
static const char *id_problem(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 3 || n > 66 || strncmp(s, "i-", 2) != 0)
        return "must be \"i-\" followed by 1-64 lower-case letters and digits";
    for (size_t i = 2; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return "must be \"i-\" followed by 1-64 lower-case letters and digits";
    return NULL;
}

/* A textual IPv4 or IPv6 address, as the connection's peer is written. */
static bool is_ip(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 45)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || s[i] == '.' ||
              s[i] == ':'))
            return false;
    return true;
}

static const char *str_field(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static emu_rc load_options(const cJSON *m, const char *where, ecs_instance *in, emu_err *err)
{
    if (!m)
        return EMU_OK;
    if (!cJSON_IsObject(m))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.MetadataOptions: must be an object",
                           where);
    const cJSON *f;
    cJSON_ArrayForEach(f, m)
    {
        const char *v = cJSON_GetStringValue(f);
        if (!strcmp(f->string, "HttpTokens")) {
            if (!v || (strcmp(v, "optional") && strcmp(v, "required")))
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "%s.MetadataOptions.HttpTokens: \"optional\" or \"required\"",
                                   where);
            in->tokens_required = !strcmp(v, "required");
        } else if (!strcmp(f->string, "HttpEndpoint")) {
            if (!v || (strcmp(v, "enabled") && strcmp(v, "disabled")))
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "%s.MetadataOptions.HttpEndpoint: \"enabled\" or \"disabled\"",
                                   where);
            in->endpoint_disabled = !strcmp(v, "disabled");
        } else {
            return emu_err_set(
                err, EMU_E_INVALID, NULL,
                "%s.MetadataOptions.%s: unknown field (known: HttpTokens, HttpEndpoint)", where,
                f->string);
        }
    }
    return EMU_OK;
}

static emu_rc load_one(const cJSON *o, const char *where, ecs_instance *in, emu_err *err)
{
    static const char *const known[] = {
        "InstanceId",  "InstanceName",    "RegionId", "PrivateIpAddress",
        "RamRoleName", "MetadataOptions", NULL};
    if (!cJSON_IsObject(o))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: must be an object", where);
    const cJSON *f;
    cJSON_ArrayForEach(f, o)
    {
        size_t k = 0;
        while (known[k] && strcmp(known[k], f->string) != 0)
            k++;
        if (!known[k])
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.%s: unknown field (known: InstanceId, InstanceName, RegionId, "
                               "PrivateIpAddress, RamRoleName, MetadataOptions)",
                               where, f->string);
        if (strcmp(f->string, "MetadataOptions") && !cJSON_IsString(f))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: must be a string", where,
                               f->string);
    }
    const char *why = id_problem(str_field(o, "InstanceId"));
    if (why)
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.InstanceId: %s", where, why);
    in->id = emu_xstrdup(str_field(o, "InstanceId"));
    const char *name = str_field(o, "InstanceName"), *region = str_field(o, "RegionId");
    const char *ip = str_field(o, "PrivateIpAddress"), *role = str_field(o, "RamRoleName");
    if (name && (!*name || strlen(name) > 128))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.InstanceName: 1-128 characters", where);
    if (region && (!*region || strlen(region) > 64))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.RegionId: 1-64 characters", where);
    if (ip && !is_ip(ip))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.PrivateIpAddress: \"%.64s\" is not an IP address", where, ip);
    if (role && (!*role || strlen(role) > 64))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.RamRoleName: 1-64 characters, the name of a role of the account",
                           where);
    in->name = dup_or_null(name);
    in->region = dup_or_null(region);
    in->private_ip = dup_or_null(ip);
    in->role_name = dup_or_null(role);
    return load_options(cJSON_GetObjectItemCaseSensitive(o, "MetadataOptions"), where, in, err);
}

static emu_rc set_load(const char *account_id, const cJSON *j, const char *jpath,
                       const char *base_dir, void **state, emu_err *err)
{
    (void)account_id;
    (void)base_dir;
    *state = NULL;
    if (!j)
        return EMU_OK;
    const char *where = jpath; /* "$.Accounts[0].ECS" */
    if (!cJSON_IsObject(j))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: must be an object {\"Instances\": [...]}",
                           where);
    const cJSON *f;
    cJSON_ArrayForEach(f, j)
    {
        if (strcmp(f->string, "Instances") != 0)
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: unknown field (known: Instances)",
                               where, f->string);
    }
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "Instances");
    if (!arr)
        return EMU_OK;
    if (!cJSON_IsArray(arr))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Instances: must be an array of instances",
                           where);
    if (cJSON_GetArraySize(arr) > ECS_MAX_INSTANCES)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.Instances: at most %d instances per account", where,
                           ECS_MAX_INSTANCES);
    ecs_set *s = emu_xcalloc(1, sizeof *s);
    s->v = emu_xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *s->v);
    const cJSON *o;
    size_t i = 0;
    cJSON_ArrayForEach(o, arr)
    {
        char w[300];
        snprintf(w, sizeof w, "%s.Instances[%zu]", where, i++);
        ecs_instance *in = emu_xcalloc(1, sizeof *in);
        emu_rc rc = load_one(o, w, in, err);
        for (size_t k = 0; rc == EMU_OK && k < s->n; k++)
            if (strcmp(s->v[k]->id, in->id) == 0)
                rc = emu_err_set(err, EMU_E_INVALID, NULL,
                                 "%s.InstanceId: \"%s\" is already used by another instance", w,
                                 in->id);
        if (rc) {
            instance_free(in);
            set_free(s);
            return rc;
        }
        s->v[s->n++] = in;
    }
    *state = s;
    return EMU_OK;
}

const world_section ecs_world_section = {
    .name = "ECS",
    .load = set_load,
    .save = set_save,
    .clone = set_clone,
    .free = set_free,
    .stats = set_stats,
};
