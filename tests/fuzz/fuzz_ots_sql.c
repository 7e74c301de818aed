/* Fuzzes Tablestore's SQLQuery statements: the parser
 * (odps_sql_parse_tablestore), the SELECT engine over a small in-memory
 * mapping table with NULLs, and the FlatBuffers answer (ots_sql_fbs.c).
 * Invariants checked: a CREATE TABLE parses again from its stored text
 * (the mapping catalog keeps only the text) with the same columns; a
 * SELECT either fails with a message or gives a result whose FlatBuffers
 * encoding has the result's column count and row count where a reader
 * finds them, and every offset stays inside the buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ots_svc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const odps_coldef COLS[] = {
    {.name = "pk", .type = ODPS_T_STRING, .raw = "pk"},
    {.name = "n", .type = ODPS_T_BIGINT, .raw = "n"},
    {.name = "d", .type = ODPS_T_DOUBLE, .raw = "d"},
    {.name = "b", .type = ODPS_T_BOOLEAN, .raw = "b"},
    {.name = "bin", .type = ODPS_T_BINARY, .raw = "bin"},
};
#define NC (sizeof COLS / sizeof COLS[0])

static emu_rc fake_table(void *ud, const odps_source *src, odps_table_def *def, odps_rowset *rows,
                         emu_err *err)
{
    emu_arena *a = ud;
    if (src->table && strcmp(src->table, "nope") == 0)
        return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "Table 'i.nope' doesn't exist");
    memset(def, 0, sizeof *def);
    def->name = src->table;
    def->cols = COLS;
    def->n_cols = NC;
    static const char *const pk[] = {"a", "", "b,c", "%_\\", "xyz"};
    static const int64_t n[] = {1, -2, INT64_MAX, INT64_MIN, 0};
    static const double d[] = {0.3, -1.0, 1e308, 0.0, -0.0};
    size_t nr = sizeof n / sizeof n[0];
    odps_value *v = emu_arena_zalloc(a, nr * NC * sizeof *v);
    for (size_t r = 0; r < nr; r++) {
        odps_value *row = &v[r * NC];
        row[0] = (odps_value){.type = ODPS_T_STRING, .s = pk[r], .len = (uint32_t)strlen(pk[r])};
        if (r != 1)
            row[1] = (odps_value){.type = ODPS_T_BIGINT, .i = n[r]};
        if (r != 2)
            row[2] = (odps_value){.type = ODPS_T_DOUBLE, .d = d[r]};
        if (r != 3)
            row[3] = (odps_value){.type = ODPS_T_BOOLEAN, .b = r % 2};
        if (r != 4)
            row[4] =
                (odps_value){.type = ODPS_T_BINARY, .s = pk[r], .len = (uint32_t)strlen(pk[r])};
    }
    rows->v = v;
    rows->n_rows = nr;
    rows->n_cols = NC;
    return EMU_OK;
}

static uint32_t u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads field `id` of the table at t: its position, 0 when absent. */
static size_t field(const uint8_t *b, size_t len, size_t t, int id)
{
    if (t + 4 > len)
        abort();
    size_t vt = t - (size_t)(int32_t)u32(b + t);
    if (vt + 4 > len)
        abort();
    uint16_t vsize = (uint16_t)(b[vt] | b[vt + 1] << 8);
    if ((size_t)(4 + 2 * id + 2) > vsize)
        return 0;
    uint16_t off = (uint16_t)(b[vt + 4 + 2 * id] | b[vt + 5 + 2 * id] << 8);
    if (off && t + off + 4 > len)
        abort();
    return off ? t + off : 0;
}

static void check_fbs(const uint8_t *b, size_t len, size_t n_cols, size_t n_rows)
{
    if (len < 4)
        abort();
    size_t root = u32(b);
    size_t cols = field(b, len, root, 0), count = field(b, len, root, 1);
    if (!cols || !count || count + 8 > len)
        abort();
    uint64_t rc = 0;
    for (int i = 0; i < 8; i++)
        rc |= (uint64_t)b[count + (size_t)i] << (8 * i);
    cols += u32(b + cols);
    if (rc != n_rows || cols + 4 > len || u32(b + cols) != n_cols)
        abort();
    for (size_t c = 0; c < n_cols; c++) {
        size_t slot = cols + 4 + 4 * c;
        if (slot + 4 > len)
            abort();
        size_t col = slot + u32(b + slot);
        size_t vals = field(b, len, col, 2);
        if (!vals)
            abort();
        vals += u32(b + vals);
        size_t nulls = field(b, len, vals, 0);
        if (!nulls)
            abort();
        nulls += u32(b + nulls);
        if (nulls + 4 > len || u32(b + nulls) != n_rows)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a = emu_arena_new(0);
    odps_stmt s;
    emu_err err = {0};
    emu_rc rc = odps_sql_parse_tablestore((const char *)data, size, a, &s, &err);
    if (rc != EMU_OK) {
        if (!err.msg[0])
            abort();
        emu_arena_free(a);
        return 0;
    }
    if (s.kind == ODPS_STMT_CREATE) {
        odps_stmt again;
        emu_err e2 = {0};
        if (odps_sql_parse_tablestore(s.text, strlen(s.text), a, &again, &e2) != EMU_OK ||
            again.kind != ODPS_STMT_CREATE || again.create.n_cols != s.create.n_cols ||
            again.create.n_pk != s.create.n_pk)
            abort();
    }
    if (s.kind == ODPS_STMT_SELECT) {
        odps_query_env env = {.a = a,
                              .now_ms = 1793491308000,
                              .read_table = fake_table,
                              .ud = a,
                              .order_without_limit = true};
        emu_err qe = {0};
        odps_resultset *rs = odps_query_run(&env, &s.select, &qe);
        if (!rs) {
            if (!qe.msg[0])
                abort();
        } else {
            emu_buf b;
            emu_buf_init(&b, 1 << 20);
            if (ots_sql_fbs_encode(rs->n_cols, rs->names, rs->types, rs->v, rs->n_rows, &b))
                check_fbs((const uint8_t *)b.p, b.len, rs->n_cols, rs->n_rows);
            emu_buf_dispose(&b);
            odps_resultset_free(rs);
        }
    }
    emu_arena_free(a);
    return 0;
}
