/* The instance tunnel's Arrow answer (download with ?arrow): one Arrow IPC
 * record batch for the requested rows, then the end-of-stream marker, in
 * the tunnel's checksummed chunks. The client brings the schema itself:
 * pyodps (odps/tunnel/io/reader.py, ArrowStreamReader) serializes the
 * Arrow schema it derives from the result's ODPS schema and reads the
 * batches after it, so the types here are pyodps's mapping
 * (odps/tunnel/io/types.py): bigint int64, double float64, string utf8,
 * binary binary, boolean bool, datetime timestamp[ms].
 *
 *   message   = 0xFFFFFFFF, int32 LE metadata size, the Message
 *               FlatBuffer (padded to 8), the body
 *   Message   { version: short = V5; header_type: ubyte = RecordBatch;
 *               header: RecordBatch; bodyLength: long }
 *   RecordBatch { length: long; nodes: [FieldNode{length, null_count}];
 *                 buffers: [Buffer{offset, length}] }
 *   body      = per column: the validity bitmap, then the values (8-byte
 *               scalars, or a bitmap for bool), or int32 offsets and the
 *               bytes for utf8/binary; each buffer padded to 8.
 *   chunks    = u32 BE chunk size, then chunks of that many bytes each
 *               followed by the u32 BE CRC-32C of the chunk; the last,
 *               shorter one (possibly empty) is followed by the CRC-32C of
 *               all the bytes instead. */
#include <stdlib.h>
#include <string.h>

#include "emu/crc32c.h"
#include "emu/fbs.h"
#include "odps_int.h"

enum { ARROW_V5 = 4, ARROW_RECORD_BATCH = 3 };

typedef struct arrow_buf {
    uint64_t offset, length;
} arrow_buf;

static bool body_put(emu_buf *body, const void *p, size_t n, arrow_buf *b)
{
    static const uint8_t z[8];
    b->offset = body->len;
    b->length = n;
    return emu_buf_append(body, p, n) && emu_buf_append(body, z, (8 - n % 8) % 8);
}

/* Appends a bitmap of `count` bits (bit r set where want(v[r])) to body. */
static bool bitmap(emu_buf *body, const odps_value *v, size_t stride, size_t count, bool values,
                   arrow_buf *b)
{
    size_t n = (count + 7) / 8;
    uint8_t *m = emu_xcalloc(n ? n : 1, 1);
    for (size_t r = 0; r < count; r++) {
        const odps_value *x = &v[r * stride];
        bool set = values ? x->type == ODPS_T_BOOLEAN && x->b : x->type != ODPS_T_NULL;
        if (set)
            m[r / 8] |= (uint8_t)(1u << (r % 8));
    }
    bool ok = body_put(body, m, n, b);
    free(m);
    return ok;
}

/* The column's buffers into body (2 or 3 of them, into bufs); its null
 * count into *nulls. */
static size_t column(emu_buf *body, odps_type t, const odps_value *v, size_t stride, size_t count,
                     arrow_buf *bufs, uint64_t *nulls, bool *ok)
{
    *nulls = 0;
    for (size_t r = 0; r < count; r++)
        *nulls += v[r * stride].type == ODPS_T_NULL;
    *ok = bitmap(body, v, stride, count, false, &bufs[0]);
    if (t == ODPS_T_BOOLEAN) {
        *ok = *ok && bitmap(body, v, stride, count, true, &bufs[1]);
        return 2;
    }
    if (t == ODPS_T_STRING || t == ODPS_T_BINARY) {
        size_t bytes = 0;
        for (size_t r = 0; r < count; r++)
            if (v[r * stride].type != ODPS_T_NULL)
                bytes += v[r * stride].len;
        if (bytes > INT32_MAX) {
            *ok = false;
            return 3;
        }
        int32_t *off = emu_xcalloc(count + 1, sizeof *off);
        for (size_t r = 0; r < count; r++)
            off[r + 1] =
                off[r] + (int32_t)(v[r * stride].type != ODPS_T_NULL ? v[r * stride].len : 0);
        /* Offsets are little-endian int32 (the IPC format's byte order). */
        *ok = *ok && body_put(body, off, (count + 1) * sizeof *off, &bufs[1]);
        free(off);
        bufs[2].offset = body->len;
        bufs[2].length = bytes;
        for (size_t r = 0; r < count && *ok; r++)
            if (v[r * stride].type != ODPS_T_NULL)
                *ok = emu_buf_append(body, v[r * stride].s, v[r * stride].len);
        static const uint8_t z[8];
        *ok = *ok && emu_buf_append(body, z, (8 - bytes % 8) % 8);
        return 3;
    }
    bufs[1].offset = body->len;
    bufs[1].length = count * 8;
    for (size_t r = 0; r < count && *ok; r++) {
        const odps_value *x = &v[r * stride];
        uint64_t bits = 0;
        if (x->type == ODPS_T_DOUBLE)
            memcpy(&bits, &x->d, 8);
        else if (x->type != ODPS_T_NULL)
            bits = (uint64_t)x->i; /* BIGINT, DATETIME (ms) */
        uint8_t le[8];
        for (int k = 0; k < 8; k++)
            le[k] = (uint8_t)(bits >> (8 * k));
        *ok = emu_buf_append(body, le, 8);
    }
    return 2;
}

/* The record batch message (prefix, metadata, body) into msg. */
static bool batch(const odps_resultset *rs, size_t start, size_t count, const size_t *cols,
                  size_t n_cols, emu_buf *msg)
{
    emu_buf body;
    emu_buf_init(&body, msg->max);
    arrow_buf *bufs = emu_xcalloc(3 * n_cols + 1, sizeof *bufs);
    uint64_t *nulls = emu_xcalloc(n_cols + 1, sizeof *nulls);
    size_t n_bufs = 0;
    bool ok = true;
    for (size_t k = 0; k < n_cols && ok; k++)
        n_bufs += column(&body, rs->types[cols[k]], &rs->v[start * rs->n_cols + cols[k]],
                         rs->n_cols, count, &bufs[n_bufs], &nulls[k], &ok);

    static const uint8_t prefix[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    size_t at = msg->len;
    ok = ok && emu_buf_append(msg, prefix, sizeof prefix);
    emu_fbs f = {.b = *msg, .base = msg->len, .full = !ok};
    emu_fbs_le(&f, 0, 4); /* the root uoffset */
    emu_fbs_field m[4] = {{.id = 0, .size = 2, .value = ARROW_V5},
                          {.id = 1, .size = 1, .value = ARROW_RECORD_BATCH},
                          {.id = 2, .size = 4, .offset = true},
                          {.id = 3, .size = 8, .value = body.len}};
    emu_fbs_patch(&f, 0, emu_fbs_table(&f, m, 4, 4));
    emu_fbs_field rb[3] = {{.id = 0, .size = 8, .value = count},
                           {.id = 1, .size = 4, .offset = true},
                           {.id = 2, .size = 4, .offset = true}};
    emu_fbs_patch(&f, m[2].slot, emu_fbs_table(&f, rb, 3, 3));
    emu_fbs_patch(&f, rb[1].slot, emu_fbs_vec(&f, n_cols, 16));
    for (size_t k = 0; k < n_cols; k++) {
        emu_fbs_le(&f, count, 8);
        emu_fbs_le(&f, nulls[k], 8);
    }
    emu_fbs_patch(&f, rb[2].slot, emu_fbs_vec(&f, n_bufs, 16));
    for (size_t i = 0; i < n_bufs; i++) {
        emu_fbs_le(&f, bufs[i].offset, 8);
        emu_fbs_le(&f, bufs[i].length, 8);
    }
    emu_fbs_pad(&f, 8, 0);
    *msg = f.b;
    ok = !f.full;
    if (ok) {
        uint32_t meta = (uint32_t)(msg->len - at - 8);
        for (int i = 0; i < 4; i++)
            msg->p[at + 4 + (size_t)i] = (char)(meta >> (8 * i));
        ok = emu_buf_append(msg, body.p, body.len) && emu_buf_append(msg, prefix, sizeof prefix);
    }
    free(bufs);
    free(nulls);
    emu_buf_dispose(&body);
    return ok;
}

static bool put_be32(emu_buf *out, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return emu_buf_append(out, b, 4);
}

bool odps_arrow_encode(const odps_resultset *rs, size_t start, size_t count, const size_t *cols,
                       size_t n_cols, size_t chunk, emu_buf *out)
{
    emu_buf msg;
    emu_buf_init(&msg, out->max);
    bool ok = batch(rs, start, count, cols, n_cols, &msg) && put_be32(out, (uint32_t)chunk);
    uint32_t all = 0;
    size_t at = 0;
    for (; ok; at += chunk) {
        size_t n = msg.len - at < chunk ? msg.len - at : chunk;
        ok = emu_buf_append(out, msg.p + at, n);
        all = emu_crc32c(all, msg.p + at, n);
        if (n < chunk) {
            ok = ok && put_be32(out, all);
            break;
        }
        ok = ok && put_be32(out, emu_crc32c(0, msg.p + at, n));
    }
    emu_buf_dispose(&msg);
    return ok;
}
