/* The FlatBuffers payload of SQLQuery (SQLQueryResponse.rows, version
 * SQL_FLAT_BUFFERS): one SQLResponseColumns table of the SDKs' sql.fbs,
 * column-major. Debian has no FlatBuffers library for C (libflatbuffers is
 * C++), and the schema is five small tables, so it is written here by hand.
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
 *
 * The buffer is written front to back: a parent (vtable just before its
 * table) first, with its offset slots patched once the children, which
 * follow it, are placed, so every uoffset points forward as the format
 * requires. Little-endian; scalars aligned to their size, vectors' lengths
 * to 4 with 8-byte elements at multiples of 8, tables at multiples of 8. */
#include <stdlib.h>
#include <string.h>

#include "ots_svc_int.h"

enum { DT_LONG = 1, DT_BOOLEAN = 2, DT_DOUBLE = 3, DT_STRING = 4, DT_BINARY = 5 };

typedef struct fb {
    emu_buf b;
    bool full;
} fb;

static void put(fb *f, const void *p, size_t n)
{
    if (!f->full && !emu_buf_append(&f->b, p, n))
        f->full = true;
}

static void put_le(fb *f, uint64_t v, size_t n)
{
    uint8_t x[8];
    for (size_t i = 0; i < n; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    put(f, x, n);
}

/* Zeros until (len + extra) is a multiple of align. */
static void pad(fb *f, size_t align, size_t extra)
{
    static const uint8_t z[8];
    size_t n = (align - (f->b.len + extra) % align) % align;
    put(f, z, n);
}

/* Points the uoffset slot at `slot` to `target` (a later position). */
static void patch(fb *f, size_t slot, size_t target)
{
    if (f->full || slot + 4 > f->b.len)
        return;
    uint32_t d = (uint32_t)(target - slot);
    for (int i = 0; i < 4; i++)
        f->b.p[slot + (size_t)i] = (char)(d >> (8 * i));
}

/* One field of a table being written: an offset (slot patched later), or
 * a scalar of `size` bytes. */
typedef struct field {
    int id;      /* position in the schema's field list */
    size_t size; /* 1, 4 (offsets) or 8 */
    bool offset;
    uint64_t value;
    size_t slot; /* out: where an offset field's uoffset is */
} field;

/* Writes a vtable and its table; returns the table's position. */
static size_t table(fb *f, field *fl, size_t n, int n_ids)
{
    uint16_t at[8] = {0};
    size_t cur = 4; /* after the soffset to the vtable */
    /* Biggest first, each aligned within the (8-aligned) table. */
    for (size_t size = 8; size; size /= 2)
        for (size_t i = 0; i < n; i++)
            if (fl[i].size == size) {
                cur = (cur + size - 1) / size * size;
                at[fl[i].id] = (uint16_t)cur;
                cur += size;
            }
    pad(f, 2, 0);
    size_t vt = f->b.len;
    put_le(f, (uint64_t)(4 + 2 * n_ids), 2);
    put_le(f, cur, 2);
    for (int i = 0; i < n_ids; i++)
        put_le(f, at[i], 2);
    pad(f, 8, 0);
    size_t t = f->b.len;
    put_le(f, (uint64_t)(uint32_t)(int32_t)(t - vt), 4);
    uint8_t *body = emu_xcalloc(1, cur);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < fl[i].size; k++)
            body[at[fl[i].id] + k] = (uint8_t)(fl[i].value >> (8 * k));
    put(f, body + 4, cur - 4);
    free(body);
    for (size_t i = 0; i < n; i++)
        fl[i].slot = t + at[fl[i].id];
    return t;
}

/* A vector's length; its elements follow. Returns the vector's position. */
static size_t vec(fb *f, size_t count, size_t elem)
{
    pad(f, elem > 4 ? elem : 4, 4);
    size_t at = f->b.len;
    put_le(f, count, 4);
    return at;
}

static size_t string(fb *f, const char *s, size_t n)
{
    size_t at = vec(f, n, 1);
    put(f, s, n);
    put(f, "", 1);
    return at;
}

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

static void column_values(fb *f, size_t slot, int dt, const odps_value *v, size_t stride,
                          size_t n_rows)
{
    /* is_nullvalues (id 0) and the typed vector (id 1 long, 2 bool, 3
     * double, 4 string, 5 binary). */
    int id = dt == DT_LONG      ? 1
             : dt == DT_BOOLEAN ? 2
             : dt == DT_DOUBLE  ? 3
             : dt == DT_STRING  ? 4
                                : 5;
    field fl[2] = {{.id = 0, .size = 4, .offset = true}, {.id = id, .size = 4, .offset = true}};
    size_t t = table(f, fl, 2, 7);
    patch(f, slot, t);
    patch(f, fl[0].slot, vec(f, n_rows, 1));
    for (size_t r = 0; r < n_rows; r++)
        put_le(f, v[r * stride].type == ODPS_T_NULL, 1);
    size_t items;
    switch (dt) {
    case DT_LONG:
    case DT_DOUBLE:
        patch(f, fl[1].slot, vec(f, n_rows, 8));
        for (size_t r = 0; r < n_rows; r++) {
            const odps_value *x = &v[r * stride];
            uint64_t bits = 0;
            if (x->type == ODPS_T_BIGINT)
                bits = (uint64_t)x->i;
            else if (x->type == ODPS_T_DOUBLE)
                memcpy(&bits, &x->d, 8);
            put_le(f, bits, 8);
        }
        return;
    case DT_BOOLEAN:
        patch(f, fl[1].slot, vec(f, n_rows, 1));
        for (size_t r = 0; r < n_rows; r++)
            put_le(f, v[r * stride].type == ODPS_T_BOOLEAN && v[r * stride].b, 1);
        return;
    default:
        break;
    }
    items = vec(f, n_rows, 4);
    patch(f, fl[1].slot, items);
    for (size_t r = 0; r < n_rows; r++)
        put_le(f, 0, 4);
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
            patch(f, slot_r, string(f, s, n));
            continue;
        }
        field bv = {.id = 0, .size = 4, .offset = true};
        patch(f, slot_r, table(f, &bv, 1, 1));
        patch(f, bv.slot, vec(f, n, 1));
        put(f, s, n);
    }
}

bool ots_sql_fbs_encode(size_t n_cols, const char *const *names, const odps_type *types,
                        const odps_value *v, size_t n_rows, emu_buf *out)
{
    fb f = {.b = *out};
    put_le(&f, 0, 4); /* the root uoffset */
    field root[2] = {{.id = 0, .size = 4, .offset = true}, {.id = 1, .size = 8, .value = n_rows}};
    patch(&f, 0, table(&f, root, 2, 2));
    size_t cols = vec(&f, n_cols, 4);
    patch(&f, root[0].slot, cols);
    for (size_t c = 0; c < n_cols; c++)
        put_le(&f, 0, 4);
    for (size_t c = 0; c < n_cols && !f.full; c++) {
        int dt = data_type(types[c]);
        field fl[3] = {{.id = 0, .size = 4, .offset = true},
                       {.id = 1, .size = 1, .value = (uint64_t)dt},
                       {.id = 2, .size = 4, .offset = true}};
        patch(&f, cols + 4 + 4 * c, table(&f, fl, 3, 3));
        patch(&f, fl[0].slot, string(&f, names[c], strlen(names[c])));
        column_values(&f, fl[2].slot, dt, v + c, n_cols, n_rows);
    }
    *out = f.b;
    return !f.full;
}
