/* Fuzzes the MaxCompute SQL subset parser (odps_sql.c) and, for CREATE
 * EXTERNAL TABLE, the validation (odps_table.c). Invariant checked: a
 * statement that validates also validates again from its stored text, the
 * way the world section reloads it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "odps_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a = emu_arena_new(0);
    odps_script s;
    emu_err err = {0};
    if (odps_sql_parse((const char *)data, size, a, &s, &err) == EMU_OK &&
        s.stmt.kind == ODPS_STMT_CREATE) {
        odps_table_def t;
        if (odps_table_validate(&s.stmt.create, a, &t, &err) == EMU_OK) {
            odps_table_def again;
            if (odps_table_from_ddl(s.stmt.text, a, &again, &err) != EMU_OK ||
                again.n_cols != t.n_cols || strcmp(again.name, t.name) != 0)
                abort();
        }
    }
    emu_arena_free(a);
    return 0;
}
