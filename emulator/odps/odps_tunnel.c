/* The instance tunnel's record stream (maxcompute-external-table.md §8.6):
 * the results acsemu holds for it, the encoder the download answers with,
 * and a decoder (for tests, the fuzzer and the upload side).
 *
 * Wire format, as pyodps 0.13 reads it (odps/tunnel/io/reader.py,
 * odps/tunnel/checksum.py, odps/tunnel/wireconstants.py) and the Java SDK's
 * ProtobufRecordStreamReader: protobuf fields numbered by column position
 * from 1, NULLs omitted, a per-record CRC-32C ending each record (field
 * 33553408), then the record count (field 33554430, zig-zag) and the CRC of
 * the record CRCs (field 33554431). The record CRC covers each field number
 * as 4 little-endian bytes followed by the value as the checksum class
 * writes it: int64 LE for BIGINT, the 8 bytes of the double, one byte 0/1
 * for BOOLEAN, the raw bytes of STRING/BINARY. The optional metrics block
 * (field 33554176) is never written and not accepted by the decoder. */
#include <stdlib.h>
#include <string.h>

#include "emu/crc32c.h"
#include "odps_int.h"

#define TUNNEL_END_RECORD 33553408u
#define TUNNEL_META_COUNT 33554430u
#define TUNNEL_META_CHECKSUM 33554431u

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_BYTES = 2 };

/* ---- held results ------------------------------------------------------------------ */

cJSON *odps_schema_json(size_t n_cols, const char *const *names, const odps_type *types,
                        const char *const *comments)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *cols = cJSON_AddArrayToObject(s, "columns");
    for (size_t c = 0; c < n_cols; c++) {
        cJSON *col = cJSON_CreateObject();
        cJSON_AddStringToObject(col, "name", names[c]);
        odps_type t = types[c] == ODPS_T_NULL ? ODPS_T_STRING : types[c];
        cJSON_AddStringToObject(col, "type", odps_type_name(t));
        cJSON_AddStringToObject(col, "comment", comments && comments[c] ? comments[c] : "");
        cJSON_AddBoolToObject(col, "isNullable", true);
        cJSON_AddItemToArray(cols, col);
    }
    cJSON_AddArrayToObject(s, "partitionKeys");
    return s;
}

/* ---- encoder ------------------------------------------------------------------------- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static uint32_t crc_u32(uint32_t crc, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return emu_crc32c(crc, b, 4);
}

static uint32_t crc_u64(uint32_t crc, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return emu_crc32c(crc, b, 8);
}

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* One field (tag, value) into tmp; returns its length and folds the
 * field into *crc. Strings are appended by the caller after the prefix. */
static size_t encode_field(uint8_t *tmp, uint32_t field, const odps_value *v, odps_type t,
                           uint32_t *crc)
{
    size_t n = 0;
    *crc = crc_u32(*crc, field);
    switch (t) {
    case ODPS_T_BIGINT:
    case ODPS_T_DATETIME: /* milliseconds, as pyodps's read_sint64 */
        n += put_varint(tmp, (uint64_t)field << 3 | WT_VARINT);
        n += put_varint(tmp + n, zigzag(v->i));
        *crc = crc_u64(*crc, (uint64_t)v->i);
        break;
    case ODPS_T_DOUBLE: {
        uint64_t u = double_bits(v->d);
        n += put_varint(tmp, (uint64_t)field << 3 | WT_FIXED64);
        for (int i = 0; i < 8; i++)
            tmp[n++] = (uint8_t)(u >> (8 * i));
        *crc = crc_u64(*crc, u);
        break;
    }
    case ODPS_T_BOOLEAN: {
        uint8_t b = v->b ? 1 : 0;
        n += put_varint(tmp, (uint64_t)field << 3 | WT_VARINT);
        tmp[n++] = b;
        *crc = emu_crc32c(*crc, &b, 1);
        break;
    }
    default: /* STRING, BINARY: the bytes follow */
        n += put_varint(tmp, (uint64_t)field << 3 | WT_BYTES);
        n += put_varint(tmp + n, v->len);
        *crc = emu_crc32c(*crc, v->s, v->len);
        break;
    }
    return n;
}

bool odps_tunnel_encode(const odps_resultset *rs, size_t start, size_t count, const size_t *cols,
                        size_t n_cols, emu_buf *out)
{
    uint8_t tmp[32];
    uint32_t crccrc = 0;
    for (size_t r = start; r < start + count; r++) {
        const odps_value *row = &rs->v[r * rs->n_cols];
        uint32_t crc = 0;
        for (size_t k = 0; k < n_cols; k++) {
            const odps_value *v = &row[cols[k]];
            if (v->type == ODPS_T_NULL)
                continue;
            odps_type t = rs->types[cols[k]];
            size_t n = encode_field(tmp, (uint32_t)(k + 1), v, t, &crc);
            if (!emu_buf_append(out, tmp, n))
                return false;
            if ((t == ODPS_T_STRING || t == ODPS_T_BINARY) && !emu_buf_append(out, v->s, v->len))
                return false;
        }
        size_t n = put_varint(tmp, (uint64_t)TUNNEL_END_RECORD << 3 | WT_VARINT);
        n += put_varint(tmp + n, crc);
        if (!emu_buf_append(out, tmp, n))
            return false;
        crccrc = crc_u32(crccrc, crc);
    }
    size_t n = put_varint(tmp, (uint64_t)TUNNEL_META_COUNT << 3 | WT_VARINT);
    n += put_varint(tmp + n, zigzag((int64_t)count));
    n += put_varint(tmp + n, (uint64_t)TUNNEL_META_CHECKSUM << 3 | WT_VARINT);
    n += put_varint(tmp + n, crccrc);
    return emu_buf_append(out, tmp, n);
}

/* ---- decoder ----------------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t len, at;
    emu_err *err;
} rd;

static emu_rc bad(rd *r, const char *what)
{
    return emu_err_set(r->err, EMU_E_INVALID, NULL, "tunnel record stream: %s at offset %zu", what,
                       r->at);
}

static emu_rc get_varint(rd *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->at >= r->len)
            return bad(r, "truncated varint");
        uint8_t b = r->p[r->at++];
        if (shift == 63 && b > 1)
            return bad(r, "varint over 64 bits");
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return EMU_OK;
        }
    }
    return bad(r, "varint over 10 bytes");
}

static emu_rc get_u32(rd *r, uint32_t *out)
{
    uint64_t v;
    emu_rc rc = get_varint(r, &v);
    if (rc)
        return rc;
    if (v > UINT32_MAX)
        return bad(r, "checksum over 32 bits");
    *out = (uint32_t)v;
    return EMU_OK;
}

static emu_rc get_tag(rd *r, uint32_t *field, unsigned *wt)
{
    uint64_t t;
    emu_rc rc = get_varint(r, &t);
    if (rc)
        return rc;
    if (t > UINT32_MAX || (t >> 3) == 0)
        return bad(r, "invalid field tag");
    *field = (uint32_t)(t >> 3);
    *wt = (unsigned)(t & 7);
    return EMU_OK;
}

static unsigned wire_type_of(odps_type t)
{
    return t == ODPS_T_DOUBLE                                                  ? WT_FIXED64
           : t == ODPS_T_BIGINT || t == ODPS_T_BOOLEAN || t == ODPS_T_DATETIME ? WT_VARINT
                                                                               : WT_BYTES;
}

static emu_rc get_value(rd *r, odps_type t, odps_value *v, uint32_t *crc)
{
    uint64_t u;
    emu_rc rc;
    switch (t) {
    case ODPS_T_BIGINT:
    case ODPS_T_DATETIME:
        if ((rc = get_varint(r, &u)))
            return rc;
        v->i = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
        *crc = crc_u64(*crc, (uint64_t)v->i);
        break;
    case ODPS_T_DOUBLE:
        if (r->len - r->at < 8)
            return bad(r, "truncated double");
        u = 0;
        for (int i = 0; i < 8; i++)
            u |= (uint64_t)r->p[r->at + (size_t)i] << (8 * i);
        r->at += 8;
        memcpy(&v->d, &u, sizeof u);
        *crc = crc_u64(*crc, u);
        break;
    case ODPS_T_BOOLEAN: {
        if ((rc = get_varint(r, &u)))
            return rc;
        if (u > 1)
            return bad(r, "boolean is not 0 or 1");
        v->b = u == 1;
        uint8_t b = (uint8_t)u;
        *crc = emu_crc32c(*crc, &b, 1);
        break;
    }
    default:
        if ((rc = get_varint(r, &u)))
            return rc;
        if (u > r->len - r->at || u > UINT32_MAX)
            return bad(r, "string length past the end");
        v->s = (const char *)r->p + r->at;
        v->len = (uint32_t)u;
        r->at += (size_t)u;
        *crc = emu_crc32c(*crc, v->s, v->len);
        break;
    }
    v->type = t;
    return EMU_OK;
}

emu_rc odps_tunnel_decode(const uint8_t *buf, size_t len, const odps_type *types, size_t n_cols,
                          emu_arena *a, odps_value **rows, size_t *n_rows, emu_err *err)
{
    rd r = {buf, len, 0, err};
    size_t cap = 64, n = 0;
    odps_value *v = emu_arena_zalloc(a, cap * (n_cols + 1) * sizeof *v);
    uint32_t crc = 0, crccrc = 0;
    bool *seen = emu_arena_zalloc(a, n_cols + 1);
    emu_rc rc;
    *rows = NULL;
    *n_rows = 0;
    for (;;) {
        uint32_t field = 0;
        unsigned wt = 0;
        size_t tag_at = r.at;
        if (r.at >= r.len)
            return bad(&r, "stream ends without its trailer");
        if ((rc = get_tag(&r, &field, &wt)))
            return rc;
        if (field == TUNNEL_END_RECORD) {
            uint32_t want = 0;
            if (wt != WT_VARINT)
                return bad(&r, "record end with a wrong wire type");
            if ((rc = get_u32(&r, &want)))
                return rc;
            if (want != crc)
                return bad(&r, "record checksum mismatch");
            crccrc = crc_u32(crccrc, crc);
            crc = 0;
            memset(seen, 0, n_cols + 1);
            if (++n > ODPS_MAX_READ_ROWS)
                return emu_err_set(err, EMU_E_LIMIT, NULL,
                                   "tunnel record stream: more than %d records",
                                   ODPS_MAX_READ_ROWS);
            if (n == cap) {
                odps_value *bigger = emu_arena_zalloc(a, 2 * cap * (n_cols + 1) * sizeof *v);
                memcpy(bigger, v, cap * (n_cols + 1) * sizeof *v);
                v = bigger;
                cap *= 2;
            }
            continue;
        }
        if (field == TUNNEL_META_COUNT) {
            uint64_t u;
            uint32_t want = 0;
            if (wt != WT_VARINT || (rc = get_varint(&r, &u)))
                return wt != WT_VARINT ? bad(&r, "record count with a wrong wire type") : rc;
            if ((u >> 1 ^ -(u & 1)) != (uint64_t)n || crc != 0)
                return bad(&r, "record count does not match the records");
            if ((rc = get_tag(&r, &field, &wt)))
                return rc;
            if (field != TUNNEL_META_CHECKSUM || wt != WT_VARINT)
                return bad(&r, "record count not followed by the stream checksum");
            if ((rc = get_u32(&r, &want)))
                return rc;
            if (want != crccrc)
                return bad(&r, "stream checksum mismatch");
            if (r.at != r.len)
                return bad(&r, "bytes after the trailer");
            *rows = v;
            *n_rows = n;
            return EMU_OK;
        }
        if (field > n_cols) {
            r.at = tag_at;
            return bad(&r, "field number past the schema");
        }
        odps_type t = types[field - 1];
        if (wt != wire_type_of(t)) {
            r.at = tag_at;
            return bad(&r, "wire type does not match the column type");
        }
        if (seen[field]) {
            r.at = tag_at;
            return bad(&r, "field repeated within a record");
        }
        seen[field] = true;
        crc = crc_u32(crc, field);
        if ((rc = get_value(&r, t, &v[n * n_cols + field - 1], &crc)))
            return rc;
    }
}

bool odps_tunnel_parse_range(const char *s, uint64_t *start, uint64_t *count)
{
    uint64_t v[2] = {0, 0};
    const char *p = s;
    while (*p == ' ')
        p++;
    if (*p++ != '(')
        return false;
    for (int k = 0; k < 2; k++) {
        while (*p == ' ')
            p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9') {
            v[k] = v[k] * 10 + (uint64_t)(*p++ - '0');
            if (v[k] > (1ULL << 53))
                return false;
        }
        while (*p == ' ')
            p++;
        if (*p++ != (k == 0 ? ',' : ')'))
            return false;
    }
    while (*p == ' ')
        p++;
    if (*p)
        return false;
    *start = v[0];
    *count = v[1];
    return true;
}
