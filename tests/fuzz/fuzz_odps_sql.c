/* Fuzzes the MaxCompute SQL subset parser (odps_sql.c), the validation of
 * CREATE EXTERNAL TABLE (odps_table.c) and the SELECT engine
 * (odps_query.c) over a small in-memory table with NULLs. Invariants
 * checked: a statement that validates also validates again from its
 * stored text, the way the world section reloads it; a SELECT either
 * fails with a message or gives a result whose shape is consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "odps_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const odps_coldef COLS[] = {
    {.name = "vid", .type = ODPS_T_BIGINT},   {.name = "gt", .type = ODPS_T_BIGINT},
    {.name = "speed", .type = ODPS_T_DOUBLE}, {.name = "name", .type = ODPS_T_STRING},
    {.name = "ok", .type = ODPS_T_BOOLEAN},
};
#define NC (sizeof COLS / sizeof COLS[0])

static emu_rc fake_table(void *ud, const odps_source *src, odps_table_def *def, odps_rowset *rows,
                         emu_err *err)
{
    emu_arena *a = ud;
    if (src->table && strcmp(src->table, "nope") == 0)
        return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "ODPS-0130131: no such table");
    memset(def, 0, sizeof *def);
    def->name = src->table;
    def->cols = COLS;
    def->n_cols = NC;
    static const int64_t vid[] = {1, 2, 2, -3, INT64_MIN, 0};
    static const double speed[] = {27.5, -1.0, 1e308, 0.0, -0.0, 3.25};
    static const char *const name[] = {"a", "", "b,c", "%_\\", "xyz", "2026-01-02 03:04:05"};
    size_t n = sizeof vid / sizeof vid[0];
    odps_value *v = emu_arena_zalloc(a, n * NC * sizeof *v);
    for (size_t r = 0; r < n; r++) {
        odps_value *row = &v[r * NC];
        row[0] = (odps_value){.type = ODPS_T_BIGINT, .i = vid[r]};
        if (r != 2)
            row[1] = (odps_value){.type = ODPS_T_BIGINT, .i = 1793491308000 + (int64_t)r};
        if (r != 3)
            row[2] = (odps_value){.type = ODPS_T_DOUBLE, .d = speed[r]};
        if (r != 4)
            row[3] =
                (odps_value){.type = ODPS_T_STRING, .s = name[r], .len = (uint32_t)strlen(name[r])};
        if (r != 5)
            row[4] = (odps_value){.type = ODPS_T_BOOLEAN, .b = r % 2};
    }
    rows->v = v;
    rows->n_rows = n;
    rows->n_cols = NC;
    return EMU_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a = emu_arena_new(0);
    odps_script s;
    emu_err err = {0};
    if (odps_sql_parse((const char *)data, size, a, &s, &err) == EMU_OK) {
        if (s.stmt.kind == ODPS_STMT_CREATE) {
            odps_table_def t;
            if (odps_table_validate(&s.stmt.create, a, &t, &err) == EMU_OK) {
                odps_table_def again;
                if (odps_table_from_ddl(s.stmt.text, a, &again, &err) != EMU_OK ||
                    again.n_cols != t.n_cols || strcmp(again.name, t.name) != 0)
                    abort();
            }
        } else if (s.stmt.kind == ODPS_STMT_SELECT) {
            odps_query_env env = {
                .script = &s, .a = a, .now_ms = 1793491308000, .read_table = fake_table, .ud = a};
            emu_err qe = {0};
            odps_resultset *rs = odps_query_run(&env, &s.stmt.select, &qe);
            if (!rs && !qe.msg[0])
                abort(); /* a failure always says why */
            if (rs && rs->n_cols == 0)
                abort();
            odps_resultset_free(rs);
        }
    }
    emu_arena_free(a);
    return 0;
}
