/* Client-side PlainBuffer (tablestore-protocol.md §7) for the external-table
 * read and write paths: encode range bounds and UpdateRow changes, decode
 * the rows GetRange returns.
 *
 * This is deliberately a second, independent implementation (the server's
 * codec is private to the ots module, ots_int.h): the read path behaves as
 * a Tablestore client, and a client that shares the server's codec would
 * hide a codec bug instead of tripping over it. Only the CRC-8 primitive
 * (emu/crc8.h) is shared; unit tests pin it to the spec's check value and
 * worked bytes. It accepts exactly what a
 * GetRange or ComputeSplitPointsBySize answer holds: header 0x75, rows of
 * [0x01 cells] [0x02 cells] [0x08] 0x09 crc, cells of 0x03 0x04 name
 * [0x05 value] [0x06 op] [0x07 ts] 0x0A crc; both CRC-8s are verified. */
#include <stdio.h>
#include <string.h>

#include "emu/crc8.h"
#include "odps_int.h"

enum {
    TAG_ROW_PK = 0x01,
    TAG_ROW_DATA = 0x02,
    TAG_CELL = 0x03,
    TAG_CELL_NAME = 0x04,
    TAG_CELL_VALUE = 0x05,
    TAG_CELL_TYPE = 0x06,
    TAG_CELL_TIMESTAMP = 0x07,
    TAG_DELETE_ROW_MARKER = 0x08,
    TAG_ROW_CHECKSUM = 0x09,
    TAG_CELL_CHECKSUM = 0x0A,
    HEADER = 0x75,
};

static void put_u32(uint8_t **w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *(*w)++ = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t **w, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *(*w)++ = (uint8_t)(v >> (8 * i));
}

static size_t value_len(const odps_pcell *c)
{
    switch (c->vtype) {
    case 0:
    case 1:
        return 9;
    case 2:
        return 2;
    case 3:
    case 7:
        return 5 + c->len;
    default:
        return 1;
    }
}

/* One cell: name, [value], [op], checksum; returns its CRC. */
static uint8_t put_cell(uint8_t **wp, const odps_pcell *c)
{
    uint8_t *w = *wp, crc = 0;
    *w++ = TAG_CELL;
    *w++ = TAG_CELL_NAME;
    put_u32(&w, (uint32_t)c->name_len);
    memcpy(w, c->name, c->name_len);
    w += c->name_len;
    crc = emu_crc8(crc, c->name, c->name_len);
    if (c->op != ODPS_PCELL_DELETE_ALL) {
        *w++ = TAG_CELL_VALUE;
        put_u32(&w, (uint32_t)value_len(c));
        uint8_t *from = w;
        *w++ = c->vtype;
        if (c->vtype == 0)
            put_u64(&w, (uint64_t)c->i);
        else if (c->vtype == 1) {
            uint64_t bits;
            memcpy(&bits, &c->d, sizeof bits);
            put_u64(&w, bits);
        } else if (c->vtype == 2)
            *w++ = c->b ? 1 : 0;
        else if (c->vtype == 3 || c->vtype == 7) {
            put_u32(&w, c->len);
            memcpy(w, c->s, c->len);
            w += c->len;
        }
        crc = emu_crc8(crc, from, (size_t)(w - from));
    } else {
        uint8_t op = ODPS_PCELL_DELETE_ALL;
        *w++ = TAG_CELL_TYPE;
        *w++ = op;
        crc = emu_crc8(crc, &op, 1);
    }
    *w++ = TAG_CELL_CHECKSUM;
    *w++ = crc;
    *wp = w;
    return crc;
}

static size_t cell_size(const odps_pcell *c)
{
    return 1 + 5 + c->name_len + 5 + value_len(c) + 2 + 2;
}

uint8_t *odps_pbuf_encode_row(const odps_pcell *pk, size_t n_pk, const odps_pcell *attrs,
                              size_t n_attrs, emu_arena *a, size_t *len)
{
    size_t size = 4 + 1 + 1 + 2;
    for (size_t i = 0; i < n_pk; i++)
        size += cell_size(&pk[i]);
    for (size_t i = 0; i < n_attrs; i++)
        size += cell_size(&attrs[i]);
    uint8_t *buf = emu_arena_alloc(a, size), *w = buf;
    uint8_t row_crc = 0, crc;
    put_u32(&w, HEADER);
    *w++ = TAG_ROW_PK;
    for (size_t i = 0; i < n_pk; i++) {
        crc = put_cell(&w, &pk[i]);
        row_crc = emu_crc8(row_crc, &crc, 1);
    }
    if (n_attrs) {
        *w++ = TAG_ROW_DATA;
        for (size_t i = 0; i < n_attrs; i++) {
            crc = put_cell(&w, &attrs[i]);
            row_crc = emu_crc8(row_crc, &crc, 1);
        }
    }
    uint8_t zero = 0;
    row_crc = emu_crc8(row_crc, &zero, 1); /* no delete marker */
    *w++ = TAG_ROW_CHECKSUM;
    *w++ = row_crc;
    *len = (size_t)(w - buf);
    return buf;
}

uint8_t *odps_pbuf_encode_pk(const odps_pcell *pk, size_t n, emu_arena *a, size_t *len)
{
    return odps_pbuf_encode_row(pk, n, NULL, 0, a, len);
}

typedef struct rd {
    const uint8_t *b;
    size_t len, pos;
    emu_arena *a;
    emu_err *err;
} rd;

static emu_rc bad(rd *r, const char *what)
{
    return emu_err_set(r->err, EMU_E_INVALID, NULL, "PlainBuffer offset %zu: %s", r->pos, what);
}

static bool has(const rd *r, size_t n)
{
    return r->len - r->pos >= n;
}

static uint32_t u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64(const uint8_t *p)
{
    return (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32;
}

static emu_rc cell(rd *r, odps_pcell *c, uint8_t *out_crc)
{
    uint8_t crc = 0;
    memset(c, 0, sizeof *c);
    r->pos++; /* TAG_CELL */
    if (!has(r, 5) || r->b[r->pos] != TAG_CELL_NAME)
        return bad(r, "expected a cell name");
    uint32_t nl = u32(r->b + r->pos + 1);
    r->pos += 5;
    if (!has(r, nl))
        return bad(r, "truncated cell name");
    c->name = (const char *)r->b + r->pos;
    c->name_len = nl;
    crc = emu_crc8(crc, c->name, nl);
    r->pos += nl;
    c->vtype = 0xFF; /* no value */
    if (has(r, 1) && r->b[r->pos] == TAG_CELL_VALUE) {
        if (!has(r, 5))
            return bad(r, "truncated cell value");
        uint32_t vl = u32(r->b + r->pos + 1);
        r->pos += 5;
        if (vl < 1 || !has(r, vl))
            return bad(r, "truncated cell value");
        const uint8_t *v = r->b + r->pos;
        c->vtype = v[0];
        switch (v[0]) {
        case 0:
        case 1:
            if (vl != 9)
                return bad(r, "bad INTEGER/DOUBLE length");
            c->i = (int64_t)u64(v + 1);
            memcpy(&c->d, &c->i, sizeof c->d);
            break;
        case 2:
            if (vl != 2)
                return bad(r, "bad BOOLEAN length");
            c->b = v[1] != 0;
            break;
        case 3:
        case 7:
            if (vl < 5 || u32(v + 1) != vl - 5)
                return bad(r, "bad STRING/BINARY length");
            c->len = vl - 5;
            c->s = (const char *)v + 5;
            break;
        case 9:
        case 10:
            if (vl != 1)
                return bad(r, "bad INF_MIN/INF_MAX length");
            break;
        default:
            return bad(r, "unknown value type");
        }
        crc = emu_crc8(crc, v, vl);
        r->pos += vl;
    }
    uint8_t op = 0;
    bool has_op = false;
    if (has(r, 2) && r->b[r->pos] == TAG_CELL_TYPE) {
        op = r->b[r->pos + 1];
        has_op = true;
        r->pos += 2;
    }
    if (has(r, 1) && r->b[r->pos] == TAG_CELL_TIMESTAMP) {
        if (!has(r, 9))
            return bad(r, "truncated timestamp");
        crc = emu_crc8(crc, r->b + r->pos + 1, 8);
        r->pos += 9;
    }
    if (has_op)
        crc = emu_crc8(crc, &op, 1);
    if (!has(r, 2) || r->b[r->pos] != TAG_CELL_CHECKSUM)
        return bad(r, "expected a cell checksum");
    if (r->b[r->pos + 1] != crc)
        return bad(r, "cell checksum mismatch");
    r->pos += 2;
    *out_crc = crc;
    return EMU_OK;
}

static emu_rc cells(rd *r, odps_pcell **out, size_t *n, uint8_t *row_crc)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    while (has(r, 1) && r->b[r->pos] == TAG_CELL) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            odps_pcell *g = emu_arena_alloc(r->a, ncap * sizeof *g);
            if (*n)
                memcpy(g, *out, *n * sizeof *g);
            *out = g;
            cap = ncap;
        }
        uint8_t crc = 0;
        emu_rc rc = cell(r, &(*out)[*n], &crc);
        if (rc)
            return rc;
        *row_crc = emu_crc8(*row_crc, &crc, 1);
        (*n)++;
    }
    return EMU_OK;
}

emu_rc odps_pbuf_decode_rows(const uint8_t *buf, size_t len, emu_arena *a, odps_prow **rows,
                             size_t *n, emu_err *err)
{
    rd r = {buf, len, 0, a, err};
    size_t cap = 0;
    emu_rc rc;
    *rows = NULL;
    *n = 0;
    if (!len)
        return EMU_OK;
    if (len < 4 || u32(buf) != HEADER)
        return bad(&r, "bad PlainBuffer header");
    r.pos = 4;
    while (r.pos < len) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            odps_prow *g = emu_arena_alloc(a, ncap * sizeof *g);
            if (*n)
                memcpy(g, *rows, *n * sizeof *g);
            *rows = g;
            cap = ncap;
        }
        odps_prow *row = &(*rows)[*n];
        memset(row, 0, sizeof *row);
        uint8_t crc = 0;
        if (r.b[r.pos] == TAG_ROW_PK) {
            r.pos++;
            if ((rc = cells(&r, &row->pk, &row->n_pk, &crc)))
                return rc;
        }
        if (has(&r, 1) && r.b[r.pos] == TAG_ROW_DATA) {
            r.pos++;
            if ((rc = cells(&r, &row->attrs, &row->n_attrs, &crc)))
                return rc;
        }
        uint8_t marker = 0;
        if (has(&r, 1) && r.b[r.pos] == TAG_DELETE_ROW_MARKER) {
            marker = 1;
            r.pos++;
        }
        crc = emu_crc8(crc, &marker, 1);
        if (!has(&r, 2) || r.b[r.pos] != TAG_ROW_CHECKSUM)
            return bad(&r, "expected a row checksum");
        if (r.b[r.pos + 1] != crc)
            return bad(&r, "row checksum mismatch");
        r.pos += 2;
        (*n)++;
    }
    return EMU_OK;
}
