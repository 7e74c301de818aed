/* Built-in System policies (rpc-api.md §9 "Policy types", ram-policy.md §7)
 * and the System control policies of Resource Directory.
 *
 * The documents are data files in the tree, data/system-policies/NAME.json,
 * exactly as the RAM documentation prints them, with their metadata (version,
 * dates, description, source, whether acsemu inferred them) in
 * data/system-policies/catalog.json. console_embed.cmake turns the directory
 * into a C table at build time (policy_system_files), so the binary needs no
 * file at run time. The catalog is parsed and every document compiled
 * through the ordinary compiler once, on first use; a document that does not
 * compile stops the process (the unit tests compile all of them). */
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

typedef struct sys_entry {
    policy_system_info info;
    policy_doc_t *doc;
} sys_entry;

typedef struct sys_table {
    sys_entry *v;
    size_t n;
} sys_table;

/* Loaded once, kept for the process lifetime (single event-loop thread,
 * STYLE.md §2; the library is not used from other threads). */
static sys_table permission, control;
static bool loaded;

static const policy_embedded_file *file_named(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < policy_system_n_files; i++) {
        const char *f = policy_system_files[i].name;
        if (strncmp(f, name, n) == 0 && strcmp(f + n, ".json") == 0)
            return &policy_system_files[i];
    }
    return NULL;
}

/* can't happen in a built tree: the unit tests load the whole catalog. The
 * library does no I/O, so there is nothing to log to. */
static _Noreturn void broken(void)
{
    abort();
}

static const char *member(const cJSON *o, const char *k, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsString(v))
        return emu_xstrdup(v->valuestring);
    if (required)
        broken();
    return NULL;
}

static void load_list(const cJSON *catalog, const char *key, sys_table *t)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(catalog, key);
    if (!cJSON_IsArray(list))
        broken();
    t->n = (size_t)cJSON_GetArraySize(list);
    t->v = calloc(t->n ? t->n : 1, sizeof *t->v);
    if (!t->v)
        broken();
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        sys_entry *s = &t->v[i++];
        policy_system_info *in = &s->info;
        in->name = member(e, "PolicyName", true);
        in->description = member(e, "Description", true);
        in->version = member(e, "DefaultVersion", false);
        if (!in->version)
            in->version = "v1";
        in->create_date = member(e, "CreateDate", true);
        in->update_date = member(e, "UpdateDate", true);
        in->source = member(e, "Source", true);
        in->policy_id = member(e, "PolicyId", false);
        in->inferred = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "Inferred"));
        const policy_embedded_file *f = file_named(in->name);
        emu_err err;
        emu_err_init(&err);
        if (!f || policy_compile((const char *)f->data, f->len, POLICY_KIND_PERMISSION, &s->doc,
                                 &err) != EMU_OK)
            broken();
        policy_doc_set_label(s->doc, in->name, "System", in->version);
        s->doc->system = true;
    }
}

static void load(void)
{
    if (loaded)
        return;
    const policy_embedded_file *f = file_named("catalog");
    cJSON *catalog = f ? cJSON_ParseWithLength((const char *)f->data, f->len) : NULL;
    if (!catalog)
        broken();
    load_list(catalog, "PermissionPolicies", &permission);
    load_list(catalog, "ControlPolicies", &control);
    cJSON_Delete(catalog);
    loaded = true;
}

static const sys_entry *entry_at(const sys_table *t, size_t i)
{
    load();
    return i < t->n ? &t->v[i] : NULL;
}

static const sys_entry *entry_named(const sys_table *t, const char *name)
{
    load();
    if (!name)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (emu_strcasecmp(t->v[i].info.name, name) == 0 ||
            (t->v[i].info.policy_id && strcmp(t->v[i].info.policy_id, name) == 0))
            return &t->v[i];
    return NULL;
}

size_t policy_system_count(void)
{
    load();
    return permission.n;
}

const policy_doc_t *policy_system_at(size_t i)
{
    const sys_entry *e = entry_at(&permission, i);
    return e ? e->doc : NULL;
}

const policy_system_info *policy_system_info_at(size_t i)
{
    const sys_entry *e = entry_at(&permission, i);
    return e ? &e->info : NULL;
}

const char *policy_system_description(size_t i)
{
    const sys_entry *e = entry_at(&permission, i);
    return e ? e->info.description : NULL;
}

const policy_doc_t *policy_system_find(const char *name)
{
    const sys_entry *e = entry_named(&permission, name);
    return e ? e->doc : NULL;
}

const policy_system_info *policy_system_info_find(const char *name)
{
    const sys_entry *e = entry_named(&permission, name);
    return e ? &e->info : NULL;
}

size_t policy_system_control_count(void)
{
    load();
    return control.n;
}

const policy_doc_t *policy_system_control_at(size_t i, const policy_system_info **info)
{
    const sys_entry *e = entry_at(&control, i);
    if (info)
        *info = e ? &e->info : NULL;
    return e ? e->doc : NULL;
}

const policy_doc_t *policy_system_control_find(const char *name_or_id,
                                               const policy_system_info **info)
{
    const sys_entry *e = entry_named(&control, name_or_id);
    if (info)
        *info = e ? &e->info : NULL;
    return e ? e->doc : NULL;
}
