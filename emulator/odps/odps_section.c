/* The MaxCompute section of an account: its projects and, per project, the
 * external tables created through SQL (world state: exported, reset and
 * checkpointed with the world, DESIGN.md §2).
 *
 * World-file shape:
 *   "MaxCompute": {"Projects": [{"Name": "b_project", "CreateTime": "2026-...Z",
 *       "Tables": [{"Name": "t", "CreateTime": "2026-...Z",
 *                   "Ddl": "CREATE EXTERNAL TABLE t (...) STORED BY ..."}]}]}
 * A table is kept as the DDL text it was created with; load parses and
 * validates it again, so a world file cannot hold a table that CREATE
 * would refuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/clock.h"
#include "emu/str.h"
#include "odps_int.h"

typedef struct odps_state {
    odps_project *projects;
    size_t n_projects;
} odps_state;

static void project_dispose(odps_project *p)
{
    for (size_t i = 0; i < p->n_tables; i++) {
        free(p->tables[i].name);
        free(p->tables[i].ddl);
        free(p->tables[i].owner);
    }
    free(p->tables);
    free(p->name);
    odps__acl_dispose(&p->acl);
}

static void odps_free(void *state)
{
    odps_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_projects; i++)
        project_dispose(&s->projects[i]);
    free(s->projects);
    free(s);
}

/* MaxCompute project names: 3-28 characters, a letter first, then letters,
 * digits and underscores. */
static bool project_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 3 || len > 28 || !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z')))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

emu_rc odps__table_add(odps_project *p, const char *name, const char *ddl, int64_t create_ms,
                       const char *owner, emu_err *err)
{
    if (p->n_tables >= ODPS_MAX_TABLES)
        return emu_err_set(err, EMU_E_LIMIT, NULL, "more than %d tables in project %s",
                           ODPS_MAX_TABLES, p->name);
    p->tables = emu_xrealloc(p->tables, (p->n_tables + 1) * sizeof *p->tables);
    p->tables[p->n_tables++] = (odps_ext_table){emu_xstrdup(name), emu_xstrdup(ddl), create_ms,
                                                owner ? emu_xstrdup(owner) : NULL};
    return EMU_OK;
}

bool odps__table_drop(odps_project *p, const char *name)
{
    for (size_t i = 0; i < p->n_tables; i++) {
        if (emu_strcasecmp(p->tables[i].name, name) != 0)
            continue;
        free(p->tables[i].name);
        free(p->tables[i].ddl);
        free(p->tables[i].owner);
        odps__acl_table_dropped(&p->acl, name);
        memmove(&p->tables[i], &p->tables[i + 1], (p->n_tables - i - 1) * sizeof *p->tables);
        p->n_tables--;
        return true;
    }
    return false;
}

odps_ext_table *odps__table_find(odps_project *p, const char *name)
{
    for (size_t i = 0; p && i < p->n_tables; i++)
        if (emu_strcasecmp(p->tables[i].name, name) == 0)
            return &p->tables[i];
    return NULL;
}

static emu_rc load_tables(odps_project *p, const cJSON *tables, const char *jpath, emu_err *err)
{
    if (!cJSON_IsArray(tables))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Tables: must be an array", jpath);
    size_t i = 0;
    emu_arena *a = emu_arena_new(0);
    emu_rc rc = EMU_OK;
    for (const cJSON *t = tables->child; t; t = t->next, i++) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "Name");
        const cJSON *ddl = cJSON_GetObjectItemCaseSensitive(t, "Ddl");
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(t, "CreateTime");
        const cJSON *owner = cJSON_GetObjectItemCaseSensitive(t, "Owner");
        for (const cJSON *f = cJSON_IsObject(t) ? t->child : NULL; f; f = f->next)
            if (strcmp(f->string, "Name") && strcmp(f->string, "Ddl") &&
                strcmp(f->string, "CreateTime") && strcmp(f->string, "Owner")) {
                rc = emu_err_set(err, EMU_E_INVALID, NULL,
                                 "%s.Tables[%zu]: unknown field \"%s\" (expected one of: Name, "
                                 "Ddl, CreateTime, Owner)",
                                 jpath, i, f->string);
                goto out;
            }
        if (!cJSON_IsObject(t) || !cJSON_IsString(name) || !cJSON_IsString(ddl) ||
            (ct && !cJSON_IsString(ct)) || (owner && !cJSON_IsString(owner))) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.Tables[%zu]: must be {\"Name\": ..., \"Ddl\": \"CREATE EXTERNAL "
                             "TABLE ...\"}",
                             jpath, i);
            goto out;
        }
        odps_table_def def;
        emu_err e = {0};
        emu_arena_reset(a);
        if (odps_table_from_ddl(ddl->valuestring, a, &def, &e) != EMU_OK) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s.Tables[%zu].Ddl: %s", jpath, i, e.msg);
            goto out;
        }
        if (emu_strcasecmp(def.name, name->valuestring) != 0) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.Tables[%zu].Name: \"%s\" but the Ddl creates \"%s\"", jpath, i,
                             name->valuestring, def.name);
            goto out;
        }
        if (odps__table_find(p, def.name)) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s.Tables[%zu].Name: \"%s\" given twice",
                             jpath, i, def.name);
            goto out;
        }
        int64_t ms = emu_clock_now_ms();
        if (ct && !emu_time_parse_iso(ct->valuestring, strlen(ct->valuestring), false, &ms)) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.Tables[%zu].CreateTime: not an ISO-8601 UTC time", jpath, i);
            goto out;
        }
        if ((rc = odps__table_add(p, def.name, ddl->valuestring, ms,
                                  owner ? owner->valuestring : NULL, err)))
            goto out;
    }
out:
    emu_arena_free(a);
    return rc;
}

static emu_rc odps_load(const char *account_id, const cJSON *j, const char *jpath,
                        const char *base_dir, void **state, emu_err *err)
{
    odps_state *s = emu_xcalloc(1, sizeof *s);
    (void)account_id;
    (void)base_dir;
    *state = NULL;
    if (!j) {
        *state = s;
        return EMU_OK;
    }
    emu_rc rc = EMU_OK;
    if (!cJSON_IsObject(j)) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s: must be an object", jpath);
        goto fail;
    }
    for (const cJSON *c = j->child; c; c = c->next) {
        if (strcmp(c->string, "Projects") != 0) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s: unknown field \"%s\" (expected one of: Projects)", jpath,
                             c->string);
            goto fail;
        }
    }
    const cJSON *projects = cJSON_GetObjectItemCaseSensitive(j, "Projects");
    if (!projects)
        goto done;
    if (!cJSON_IsArray(projects)) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s: \"Projects\" must be an array", jpath);
        goto fail;
    }
    s->projects = emu_xcalloc((size_t)cJSON_GetArraySize(projects) + 1, sizeof *s->projects);
    size_t i = 0;
    for (const cJSON *p = projects->child; p; p = p->next, i++) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "Name");
        const cJSON *tables = cJSON_GetObjectItemCaseSensitive(p, "Tables");
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(p, "CreateTime");
        int extra = 0;
        for (const char *const *k = (const char *const[]){"Users", "Roles", "Grants", NULL}; *k;
             k++)
            extra += cJSON_GetObjectItemCaseSensitive(p, *k) != NULL;
        if (!cJSON_IsObject(p) ||
            cJSON_GetArraySize(p) != 1 + (tables != NULL) + (ct != NULL) + extra ||
            !cJSON_IsString(name) || (ct && !cJSON_IsString(ct))) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.Projects[%zu]: must be {\"Name\": \"project_name\"} with "
                             "optional \"CreateTime\" (ISO-8601 UTC), \"Tables\", \"Users\", "
                             "\"Roles\" and \"Grants\"",
                             jpath, i);
            goto fail;
        }
        int64_t created = emu_clock_now_ms();
        if (ct && !emu_time_parse_iso(ct->valuestring, strlen(ct->valuestring), false, &created)) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.Projects[%zu].CreateTime: not an ISO-8601 UTC time", jpath, i);
            goto fail;
        }
        if (!project_name_ok(name->valuestring)) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.Projects[%zu].Name: \"%s\" is not a MaxCompute project name "
                             "(3-28 letters, digits or '_', starting with a letter)",
                             jpath, i, name->valuestring);
            goto fail;
        }
        if (odps_project_exists(s, name->valuestring)) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s.Projects[%zu].Name: \"%s\" given twice",
                             jpath, i, name->valuestring);
            goto fail;
        }
        odps_project *pr = &s->projects[s->n_projects++];
        pr->name = emu_xstrdup(name->valuestring);
        pr->create_ms = created;
        char sub[256];
        snprintf(sub, sizeof sub, "%s.Projects[%zu]", jpath, i);
        if (tables && (rc = load_tables(pr, tables, sub, err)))
            goto fail;
        if ((rc = odps__acl_load(&pr->acl, p, sub, err)))
            goto fail;
    }
done:
    *state = s;
    return EMU_OK;
fail:
    odps_free(s);
    return rc;
}

odps_project *odps__project_find(void *state, const char *name)
{
    odps_state *s = state;
    for (size_t i = 0; s && i < s->n_projects; i++)
        if (emu_strcasecmp(s->projects[i].name, name) == 0)
            return &s->projects[i];
    return NULL;
}

bool odps_project_exists(const void *state, const char *name)
{
    return odps__project_find((void *)(uintptr_t)state, name) != NULL;
}

odps_project *odps__project_lookup(const world_t *w, const char *name, world_account **owner)
{
    int idx = world_section_index(odps_world_section.name);
    for (size_t i = 0; idx >= 0 && i < world_account_count(w); i++) {
        world_account *a = world_account_at(w, i);
        odps_project *p = odps__project_find(a->sections[idx], name);
        if (p) {
            if (owner)
                *owner = a;
            return p;
        }
    }
    return NULL;
}

static cJSON *odps_save(const void *state)
{
    const odps_state *s = state;
    if (!s->n_projects)
        return NULL;
    cJSON *j = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(j, "Projects");
    for (size_t i = 0; i < s->n_projects; i++) {
        const odps_project *pr = &s->projects[i];
        cJSON *p = cJSON_CreateObject();
        char created[21];
        emu_time_iso(pr->create_ms, created);
        cJSON_AddStringToObject(p, "Name", pr->name);
        cJSON_AddStringToObject(p, "CreateTime", created);
        if (pr->n_tables) {
            cJSON *tables = cJSON_AddArrayToObject(p, "Tables");
            for (size_t k = 0; k < pr->n_tables; k++) {
                char when[21];
                cJSON *t = cJSON_CreateObject();
                emu_time_iso(pr->tables[k].create_ms, when);
                cJSON_AddStringToObject(t, "Name", pr->tables[k].name);
                cJSON_AddStringToObject(t, "CreateTime", when);
                if (pr->tables[k].owner)
                    cJSON_AddStringToObject(t, "Owner", pr->tables[k].owner);
                cJSON_AddStringToObject(t, "Ddl", pr->tables[k].ddl);
                cJSON_AddItemToArray(tables, t);
            }
        }
        odps__acl_save(&pr->acl, p);
        cJSON_AddItemToArray(arr, p);
    }
    return j;
}

static void *odps_clone(const void *state)
{
    const odps_state *s = state;
    odps_state *c = emu_xcalloc(1, sizeof *c);
    c->projects = emu_xcalloc(s->n_projects + 1, sizeof *c->projects);
    for (size_t i = 0; i < s->n_projects; i++) {
        const odps_project *from = &s->projects[i];
        odps_project *to = &c->projects[i];
        to->name = emu_xstrdup(from->name);
        to->create_ms = from->create_ms;
        for (size_t k = 0; k < from->n_tables; k++)
            odps__table_add(to, from->tables[k].name, from->tables[k].ddl,
                            from->tables[k].create_ms, from->tables[k].owner, NULL);
        odps__acl_clone(&to->acl, &from->acl);
    }
    c->n_projects = s->n_projects;
    return c;
}

static size_t odps_stats(const void *state, world_stat *out, size_t cap)
{
    const odps_state *s = state;
    size_t tables = 0;
    for (size_t i = 0; i < s->n_projects; i++)
        tables += s->projects[i].n_tables;
    if (cap < 2)
        return 0;
    out[0].name = "maxcompute_projects";
    out[0].value = (double)s->n_projects;
    out[1].name = "maxcompute_tables";
    out[1].value = (double)tables;
    return 2;
}

const world_section odps_world_section = {
    .name = "MaxCompute",
    .load = odps_load,
    .save = odps_save,
    .clone = odps_clone,
    .free = odps_free,
    .stats = odps_stats,
};
