/* Table metadata as MaxCompute's REST API shows it: the schema JSON inside
 * GET /projects/p/tables/t and the rows of the table list, read from the
 * DDL the table was created with, so that the REST calls, SHOW TABLES and
 * DESC (odps_exec.c) show the same owner, times, columns and external-table
 * properties.
 *
 * Field names are those pyodps's TableSchema model reads (odps/models/
 * table.py): columns/partitionKeys, comment, owner, createTime,
 * lastModifiedTime and lastDDLTime in Unix seconds, isVirtualView,
 * isExternal, lifecycle, size, recordNum, location, storageHandler,
 * resources, and serDeProperties, tableProperties and Reserved as JSON
 * texts. acsemu knows neither the size nor the record count of an external
 * table (the rows live in Tablestore): size 0, recordNum -1, as the service
 * shows for external tables [I]. The AK:SK@ part of a LOCATION is never
 * shown, as in DESC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "odps_int.h"

/* The owner every metadata view shows: the member who created the table,
 * or for tables of a world file without "Owner" the project's account. */
const char *odps__table_owner(const world_account *owner, const odps_ext_table *t, emu_arena *a)
{
    if (t && t->owner)
        return t->owner;
    return emu_arena_sprintf(a, "ALIYUN$%s", owner->alias ? owner->alias : owner->id);
}

static char *kv_json(const odps_kv *kv, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < n; i++)
        cJSON_AddStringToObject(o, kv[i].key, kv[i].value ? kv[i].value : "");
    char *text = emu_json_print(o);
    cJSON_Delete(o);
    return text;
}

static void add_text(cJSON *o, const char *name, char *text)
{
    cJSON_AddStringToObject(o, name, text);
    free(text);
}

emu_rc odps__table_meta(const odps_project *p, const world_account *owner, const odps_ext_table *t,
                        emu_arena *a, cJSON **out, emu_err *err)
{
    odps_script script;
    odps_table_def def;
    emu_rc rc = odps_sql_parse(t->ddl, strlen(t->ddl), a, &script, err);
    if (!rc && script.stmt.kind != ODPS_STMT_CREATE)
        rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "table %s: stored DDL is not a CREATE",
                         t->name); /* can't happen: load and CREATE check it */
    if (!rc)
        rc = odps_table_validate(&script.stmt.create, a, &def, err);
    if (rc)
        return rc;
    const odps_create *c = &script.stmt.create;
    const char **names = emu_arena_alloc(a, (def.n_cols + 1) * sizeof *names);
    const char **comments = emu_arena_alloc(a, (def.n_cols + 1) * sizeof *comments);
    odps_type *types = emu_arena_alloc(a, (def.n_cols + 1) * sizeof *types);
    for (size_t i = 0; i < def.n_cols; i++) {
        names[i] = def.cols[i].name;
        types[i] = def.cols[i].type;
        comments[i] = def.cols[i].comment;
    }
    cJSON *j = odps_schema_json(def.n_cols, names, types, comments);
    double secs = (double)(t->create_ms / 1000);
    cJSON_AddStringToObject(j, "tableName", t->name);
    cJSON_AddStringToObject(j, "projectName", p->name);
    cJSON_AddStringToObject(j, "comment", "");
    cJSON_AddStringToObject(j, "owner", odps__table_owner(owner, t, a));
    cJSON_AddNumberToObject(j, "createTime", secs);
    cJSON_AddNumberToObject(j, "lastModifiedTime", secs);
    cJSON_AddNumberToObject(j, "lastDDLTime", secs);
    cJSON_AddBoolToObject(j, "isVirtualView", false);
    cJSON_AddBoolToObject(j, "isExternal", true);
    cJSON_AddNumberToObject(j, "lifecycle", c->has_lifecycle ? (double)c->lifecycle : -1);
    cJSON_AddNumberToObject(j, "size", 0);
    cJSON_AddNumberToObject(j, "recordNum", -1);
    cJSON_AddStringToObject(
        j, "location",
        emu_arena_sprintf(a, "tablestore://%s%s", def.ak_id ? "***:***@" : "", def.host));
    cJSON_AddStringToObject(j, "storageHandler", c->handler);
    cJSON_AddStringToObject(j, "resources", c->using_res ? c->using_res : "");
    add_text(j, "serDeProperties", kv_json(c->serde, c->n_serde));
    add_text(j, "tableProperties", kv_json(c->tblprops, c->n_tblprops));
    cJSON *reserved = cJSON_CreateObject();
    cJSON_AddStringToObject(reserved, "Transactional", "false");
    cJSON_AddStringToObject(reserved, "StoredAs", "");
    char *rtext = emu_json_print(reserved);
    cJSON_Delete(reserved);
    add_text(j, "Reserved", rtext);
    *out = j;
    return EMU_OK;
}
