/* Fuzzes MaxCompute's security statements (odps_acl.c): the input, split
 * at newlines, is run statement by statement as the project owner against
 * a project with one table, answering text and JSON. Invariant checked:
 * the members, roles and grants it leaves save to world JSON and load back
 * to the same counts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "odps_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a = emu_arena_new(0);
    char name[] = "b_project";
    odps_project p = {.name = name};
    emu_err err = {0};
    odps__table_add(&p, "t", "CREATE EXTERNAL TABLE t (vid bigint)", 0, "RAM$a:etl", &err);
    char *text = emu_arena_strndup(a, (const char *)data, size);
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!odps_acl_is_statement(line, strlen(line)))
            continue;
        for (int json = 0; json < 2; json++) {
            emu_buf out;
            emu_buf_init(&out, 1 << 20);
            odps_acl_run(&p, "ALIYUN$a", true, line, json, a, &out, &err);
            emu_buf_dispose(&out);
        }
    }
    cJSON *j = cJSON_CreateObject();
    odps__acl_save(&p.acl, j);
    odps_acl again = {0};
    if (odps__acl_load(&again, j, "$", &err) != EMU_OK || again.n_users != p.acl.n_users ||
        again.n_roles != p.acl.n_roles)
        abort();
    cJSON_Delete(j);
    odps__acl_dispose(&again);
    odps__acl_dispose(&p.acl);
    for (size_t i = 0; i < p.n_tables; i++) {
        free(p.tables[i].name);
        free(p.tables[i].ddl);
        free(p.tables[i].owner);
    }
    free(p.tables);
    emu_arena_free(a);
    return 0;
}
