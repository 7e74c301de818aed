/* The MaxCompute section of an account: its projects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/odps.h"
#include "emu/str.h"

typedef struct odps_state {
    char **projects;
    size_t n_projects;
} odps_state;

static void odps_free(void *state)
{
    odps_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_projects; i++)
        free(s->projects[i]);
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
        if (!cJSON_IsObject(p) || cJSON_GetArraySize(p) != 1 || !cJSON_IsString(name)) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.Projects[%zu]: must be {\"Name\": \"project_name\"}", jpath, i);
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
        s->projects[s->n_projects++] = emu_xstrdup(name->valuestring);
    }
done:
    *state = s;
    return EMU_OK;
fail:
    odps_free(s);
    return rc;
}

bool odps_project_exists(const void *state, const char *name)
{
    const odps_state *s = state;
    for (size_t i = 0; s && i < s->n_projects; i++)
        if (emu_strcasecmp(s->projects[i], name) == 0)
            return true;
    return false;
}

static cJSON *odps_save(const void *state)
{
    const odps_state *s = state;
    if (!s->n_projects)
        return NULL;
    cJSON *j = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(j, "Projects");
    for (size_t i = 0; i < s->n_projects; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "Name", s->projects[i]);
        cJSON_AddItemToArray(arr, p);
    }
    return j;
}

static void *odps_clone(const void *state)
{
    const odps_state *s = state;
    odps_state *c = emu_xcalloc(1, sizeof *c);
    c->projects = emu_xcalloc(s->n_projects + 1, sizeof *c->projects);
    for (size_t i = 0; i < s->n_projects; i++)
        c->projects[i] = emu_xstrdup(s->projects[i]);
    c->n_projects = s->n_projects;
    return c;
}

static size_t odps_stats(const void *state, world_stat *out, size_t cap)
{
    if (cap < 1)
        return 0;
    out[0].name = "maxcompute_projects";
    out[0].value = (double)((const odps_state *)state)->n_projects;
    return 1;
}

const world_section odps_world_section = {
    .name = "MaxCompute",
    .load = odps_load,
    .save = odps_save,
    .clone = odps_clone,
    .free = odps_free,
    .stats = odps_stats,
};
