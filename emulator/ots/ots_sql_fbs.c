/* The FlatBuffers payload of SQLQuery (SQLQueryResponse.rows, version
 * SQL_FLAT_BUFFERS): one SQLResponseColumns table of the SDKs' sql.fbs,
 * column-major.
 *
 *   table SQLResponseColumns { columns: [SQLResponseColumn]; row_count: long; }
 *   table SQLResponseColumn  { column_name: string; column_type: DataType (byte);
 *                              column_value: ColumnValues; }
 *   table ColumnValues       { is_nullvalues: [bool]; long_values: [long];
 *                              bool_values: [bool]; double_values: [double];
 *                              string_values: [string]; binary_values: [BytesValue];
 *                              rle_string_values: RLEStringValues; }
 *   table BytesValue         { value: [byte]; }
 *
 * Every column has is_nullvalues and its typed vector with one entry per
 * row (0, false, "" or an empty BytesValue where the value is NULL): the
 * SDKs index both by row (Node lib/sql.js, Python tablestore/flatbuffer).
 * Plain STRING columns; the RLE form is the server's choice and not used.
 * Written with emu/fbs.h. */
#include <stdlib.h>
#include <string.h>

#include "emu/fbs.h"
#include "ots_svc_int.h"

enum { DT_LONG = 1, DT_BOOLEAN = 2, DT_DOUBLE = 3, DT_STRING = 4, DT_BINARY = 5 };

static int data_type(odps_type t)
{
    switch (t) {
    case ODPS_T_BIGINT:
        return DT_LONG;
    case ODPS_T_BOOLEAN:
        return DT_BOOLEAN;
    case ODPS_T_DOUBLE:
        return DT_DOUBLE;
    case ODPS_T_BINARY:
        return DT_BINARY;
    default: /* STRING, DATETIME (as text), NULL */
        return DT_STRING;
    }
}

static void column_values(emu_fbs *f, size_t slot, int dt, const odps_value *v, size_t stride,
                          size_t n_rows)
{
    /* is_nullvalues (id 0) and the typed vector (id 1 long, 2 bool, 3
     * double, 4 string, 5 binary). */
    int id = dt == DT_LONG      ? 1
             : dt == DT_BOOLEAN ? 2
             : dt == DT_DOUBLE  ? 3
             : dt == DT_STRING  ? 4
                                : 5;
    emu_fbs_field fl[2] = {{.id = 0, .size = 4, .offset = true},
                           {.id = id, .size = 4, .offset = true}};
    size_t t = emu_fbs_table(f, fl, 2, 7);
    emu_fbs_patch(f, slot, t);
    emu_fbs_patch(f, fl[0].slot, emu_fbs_vec(f, n_rows, 1));
    for (size_t r = 0; r < n_rows; r++)
        emu_fbs_le(f, v[r * stride].type == ODPS_T_NULL, 1);
    size_t items;
    switch (dt) {
    case DT_LONG:
    case DT_DOUBLE:
        emu_fbs_patch(f, fl[1].slot, emu_fbs_vec(f, n_rows, 8));
        for (size_t r = 0; r < n_rows; r++) {
            const odps_value *x = &v[r * stride];
            uint64_t bits = 0;
            if (x->type == ODPS_T_BIGINT)
                bits = (uint64_t)x->i;
            else if (x->type == ODPS_T_DOUBLE)
                memcpy(&bits, &x->d, 8);
            emu_fbs_le(f, bits, 8);
        }
        return;
    case DT_BOOLEAN:
        emu_fbs_patch(f, fl[1].slot, emu_fbs_vec(f, n_rows, 1));
        for (size_t r = 0; r < n_rows; r++)
            emu_fbs_le(f, v[r * stride].type == ODPS_T_BOOLEAN && v[r * stride].b, 1);
        return;
    default:
        break;
    }
    items = emu_fbs_vec(f, n_rows, 4);
    emu_fbs_patch(f, fl[1].slot, items);
    for (size_t r = 0; r < n_rows; r++)
        emu_fbs_le(f, 0, 4);
    for (size_t r = 0; r < n_rows && !f->full; r++) {
        const odps_value *x = &v[r * stride];
        char dt_text[32];
        const char *s = "";
        size_t n = 0;
        if (x->type == ODPS_T_STRING || x->type == ODPS_T_BINARY) {
            s = x->s;
            n = x->len;
        } else if (x->type == ODPS_T_DATETIME) {
            odps_datetime_text(x->i, dt_text);
            s = dt_text;
            n = strlen(dt_text);
        }
        size_t slot_r = items + 4 + 4 * r;
        if (dt == DT_STRING) {
            emu_fbs_patch(f, slot_r, emu_fbs_string(f, s, n));
            continue;
        }
        emu_fbs_field bv = {.id = 0, .size = 4, .offset = true};
        emu_fbs_patch(f, slot_r, emu_fbs_table(f, &bv, 1, 1));
        emu_fbs_patch(f, bv.slot, emu_fbs_vec(f, n, 1));
        emu_fbs_put(f, s, n);
    }
}

bool ots_sql_fbs_encode(size_t n_cols, const char *const *names, const odps_type *types,
                        const odps_value *v, size_t n_rows, emu_buf *out)
{
    emu_fbs f = {.b = *out, .base = out->len};
    emu_fbs_le(&f, 0, 4); /* the root uoffset */
    emu_fbs_field root[2] = {{.id = 0, .size = 4, .offset = true},
                             {.id = 1, .size = 8, .value = n_rows}};
    emu_fbs_patch(&f, 0, emu_fbs_table(&f, root, 2, 2));
    size_t cols = emu_fbs_vec(&f, n_cols, 4);
    emu_fbs_patch(&f, root[0].slot, cols);
    for (size_t c = 0; c < n_cols; c++)
        emu_fbs_le(&f, 0, 4);
    for (size_t c = 0; c < n_cols && !f.full; c++) {
        int dt = data_type(types[c]);
        emu_fbs_field fl[3] = {{.id = 0, .size = 4, .offset = true},
                               {.id = 1, .size = 1, .value = (uint64_t)dt},
                               {.id = 2, .size = 4, .offset = true}};
        emu_fbs_patch(&f, cols + 4 + 4 * c, emu_fbs_table(&f, fl, 3, 3));
        emu_fbs_patch(&f, fl[0].slot, emu_fbs_string(&f, names[c], strlen(names[c])));
        column_values(&f, fl[2].slot, dt, v + c, n_cols, n_rows);
    }
    *out = f.b;
    return !f.full;
}
