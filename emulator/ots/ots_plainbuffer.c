/* PlainBuffer rows (tablestore-protocol.md §7): decoder and encoder.
 *
 * Accepted form (little-endian integers throughout):
 *
 *   buffer := u32 0x75 row+            (decode_row: exactly one row, then only
 *                                       0x00 padding — Node over-allocates, §7.4)
 *   row    := [0x01 cell+] [0x02 cell+] [0x08] [0x0B u32 n bytes[n]] 0x09 crc
 *   cell   := 0x03 0x04 u32 n name[n] [0x05 u32 vlen value] [0x06 op]
 *             [0x07 i64 ts] 0x0A crc
 *   value  := type byte + payload whose size must agree with vlen exactly
 *
 * Element order inside a cell is fixed, as the SDK encoders write it. Cell
 * CRC covers name, type+payload, ts, then the op byte (the op is fed after
 * the ts although it precedes it on the wire, §7.2); the row CRC chains the
 * cell CRCs in wire order plus one delete-marker byte. Both are verified.
 *
 * Structural checks, plus one about text: cell names and STRING values must
 * be well-formed UTF-8 (they are text on the wire, §7.3, and go back out in
 * protobuf strings and JSON exports), else OTSParameterInvalid naming the
 * offset. Whether a PK may hold INF_MIN, whether an op type is allowed, or
 * whether names follow the naming rules is the store's and the handlers'
 * business. A section tag must be followed by at least one cell (the
 * grammar's cell+; no SDK writes an empty section). The stream extension
 * (0x0B, §7.7) is skipped with bounds checks; it is not covered by the row
 * CRC.
 *
 * Safety: every read is preceded by a length check against the bytes left;
 * counts are capped (EMU_MAX_OTS_CELLS_PER_ROW cells per row) and all output
 * goes to the caller's arena, so hostile input costs at most O(len) memory. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emu/crc8.h"
#include "emu/limits.h"
#include "emu/str.h"
#include "ots_int.h"

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
    TAG_EXTENSION = 0x0B,
};

typedef struct reader {
    const uint8_t *b;
    size_t len;
    size_t pos;
    emu_arena *a;
    emu_err *err;
} reader;

static emu_rc fail(reader *r, size_t at, const char *what)
{
    return emu_err_set(r->err, EMU_E_INVALID, NULL, "PlainBuffer offset %zu: %s", at, what);
}

static emu_rc need(reader *r, size_t n, const char *what)
{
    if (r->len - r->pos < n) {
        char m[160];
        snprintf(m, sizeof m, "truncated %s (need %zu bytes, %zu left)", what, n, r->len - r->pos);
        return fail(r, r->pos, m);
    }
    return EMU_OK;
}

static uint32_t rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_u64(const uint8_t *p)
{
    return (uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32;
}

static bool peek(const reader *r, uint8_t tag)
{
    return r->pos < r->len && r->b[r->pos] == tag;
}

/* Whether p[0..n), a name or STRING value at offset `at`, is UTF-8; fills
 * r->err when not. */
static bool utf8_ok(reader *r, const uint8_t *p, size_t n, size_t at, const char *what)
{
    size_t bad = emu_utf8_bad_at(p, n);
    if (bad == n)
        return true;
    char m[128];
    snprintf(m, sizeof m, "%s is not valid UTF-8 (byte 0x%02x)", what, p[bad]);
    fail(r, at + bad, m);
    return false;
}

/* Parses the value payload b[0..vlen) (type byte first) into *v and feeds
 * type + payload into the cell CRC. at = offset of b for messages. */
static emu_rc parse_value(reader *r, const uint8_t *b, uint32_t vlen, size_t at, ots_value *v,
                          uint8_t *crc)
{
    char m[128];
    if (vlen < 1)
        return fail(r, at, "empty cell value");
    memset(v, 0, sizeof *v);
    v->type = (ots_vtype)b[0];
    uint32_t want;
    switch (b[0]) {
    case OTS_VT_INTEGER:
    case OTS_VT_DOUBLE:
        want = 9;
        break;
    case OTS_VT_BOOLEAN:
        want = 2;
        break;
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        if (vlen < 5)
            return fail(r, at, "string/binary value shorter than its length prefix");
        want = 5 + rd_u32(b + 1);
        if (want < 5) /* the u32 length wrapped around */
            return fail(r, at + 1, "string/binary length overflows");
        break;
    case OTS_VT_INF_MIN:
    case OTS_VT_INF_MAX:
    case OTS_VT_AUTO_INCREMENT:
    case OTS_VT_NULL:
        want = 1;
        break;
    default:
        snprintf(m, sizeof m, "unknown variant type 0x%02x", b[0]);
        return fail(r, at, m);
    }
    if (want != vlen) {
        snprintf(m, sizeof m,
                 "value length %" PRIu32 " does not match its type (%s needs %" PRIu32 ")", vlen,
                 ots_vtype_name(v->type), want);
        return fail(r, at, m);
    }
    *crc = emu_crc8_byte(*crc, b[0]);
    switch (b[0]) {
    case OTS_VT_INTEGER:
        v->i = (int64_t)rd_u64(b + 1);
        *crc = emu_crc8(*crc, b + 1, 8);
        break;
    case OTS_VT_DOUBLE: {
        uint64_t bits = rd_u64(b + 1);
        memcpy(&v->d, &bits, sizeof v->d);
        *crc = emu_crc8(*crc, b + 1, 8);
        break;
    }
    case OTS_VT_BOOLEAN:
        if (b[1] > 1)
            return fail(r, at + 1, "boolean byte is neither 0 nor 1");
        v->b = b[1] != 0;
        *crc = emu_crc8_byte(*crc, b[1]);
        break;
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        v->len = vlen - 5;
        if (v->type == OTS_VT_STRING && !utf8_ok(r, b + 5, v->len, at + 5, "STRING value"))
            return EMU_E_INVALID;
        /* Copied (NUL-terminated) so the row outlives the request bytes. */
        v->p = (const uint8_t *)emu_arena_strndup(r->a, (const char *)b + 5, v->len);
        *crc = emu_crc8(*crc, b + 1, vlen - 1);
        break;
    default:
        break;
    }
    return EMU_OK;
}

static emu_rc parse_cell(reader *r, ots_cell *c, uint8_t *cell_crc)
{
    emu_rc rc;
    uint8_t crc = 0;
    size_t start = r->pos;
    char m[128];

    memset(c, 0, sizeof *c);
    r->pos++; /* TAG_CELL, checked by the caller */
    if ((rc = need(r, 5, "cell name")))
        return rc;
    if (r->b[r->pos] != TAG_CELL_NAME) {
        snprintf(m, sizeof m, "expected cell name tag 0x04, found 0x%02x", r->b[r->pos]);
        return fail(r, r->pos, m);
    }
    uint32_t nlen = rd_u32(r->b + r->pos + 1);
    r->pos += 5;
    if ((rc = need(r, nlen, "cell name")))
        return rc;
    if (!utf8_ok(r, r->b + r->pos, nlen, r->pos, "cell name"))
        return EMU_E_INVALID;
    c->name.p = emu_arena_strndup(r->a, (const char *)r->b + r->pos, nlen);
    c->name.len = nlen;
    crc = emu_crc8(crc, r->b + r->pos, nlen);
    r->pos += nlen;

    if (peek(r, TAG_CELL_VALUE)) {
        if ((rc = need(r, 5, "cell value")))
            return rc;
        uint32_t vlen = rd_u32(r->b + r->pos + 1);
        r->pos += 5;
        if ((rc = need(r, vlen, "cell value")))
            return rc;
        if ((rc = parse_value(r, r->b + r->pos, vlen, r->pos, &c->value, &crc)))
            return rc;
        c->has_value = true;
        r->pos += vlen;
    }
    if (peek(r, TAG_CELL_TYPE)) {
        if ((rc = need(r, 2, "cell op type")))
            return rc;
        c->has_op = true;
        c->op = r->b[r->pos + 1];
        r->pos += 2;
    }
    if (peek(r, TAG_CELL_TIMESTAMP)) {
        if ((rc = need(r, 9, "cell timestamp")))
            return rc;
        c->has_ts = true;
        c->ts = (int64_t)rd_u64(r->b + r->pos + 1);
        crc = emu_crc8(crc, r->b + r->pos + 1, 8);
        r->pos += 9;
    }
    if (c->has_op)
        crc = emu_crc8_byte(crc, c->op);
    if ((rc = need(r, 2, "cell checksum")))
        return rc;
    if (r->b[r->pos] != TAG_CELL_CHECKSUM) {
        snprintf(m, sizeof m, "expected cell checksum tag 0x0a, found 0x%02x (cell at %zu)",
                 r->b[r->pos], start);
        return fail(r, r->pos, m);
    }
    if (r->b[r->pos + 1] != crc) {
        snprintf(m, sizeof m, "cell checksum mismatch: got 0x%02x, computed 0x%02x",
                 r->b[r->pos + 1], crc);
        return fail(r, r->pos, m);
    }
    r->pos += 2;
    *cell_crc = crc;
    return EMU_OK;
}

/* Parses cells while the next tag is TAG_CELL; chains their CRCs into *row_crc. */
static emu_rc parse_cells(reader *r, ots_cell **out, size_t *n_out, uint8_t *row_crc)
{
    size_t n = 0, cap = 0;
    ots_cell *cells = NULL;
    while (peek(r, TAG_CELL)) {
        if (n == EMU_MAX_OTS_CELLS_PER_ROW)
            return fail(r, r->pos, "too many cells in one row");
        if (n == cap) {
            /* Doubling in the arena wastes at most half; bounded by len. */
            size_t ncap = cap ? cap * 2 : 8;
            ots_cell *nc = emu_arena_alloc(r->a, ncap * sizeof *nc);
            if (n)
                memcpy(nc, cells, n * sizeof *nc);
            cells = nc;
            cap = ncap;
        }
        uint8_t crc = 0;
        emu_rc rc = parse_cell(r, &cells[n], &crc);
        if (rc)
            return rc;
        *row_crc = emu_crc8_byte(*row_crc, crc);
        n++;
    }
    *out = cells;
    *n_out = n;
    return EMU_OK;
}

static emu_rc parse_row(reader *r, ots_row_t *row)
{
    emu_rc rc;
    uint8_t crc = 0;
    char m[128];
    size_t start = r->pos;

    memset(row, 0, sizeof *row);
    if (peek(r, TAG_ROW_PK)) {
        r->pos++;
        if ((rc = parse_cells(r, &row->pk, &row->n_pk, &crc)))
            return rc;
        if (!row->n_pk)
            return fail(r, r->pos, "primary key section without cells");
    }
    if (peek(r, TAG_ROW_DATA)) {
        r->pos++;
        if ((rc = parse_cells(r, &row->attrs, &row->n_attrs, &crc)))
            return rc;
        if (!row->n_attrs)
            return fail(r, r->pos, "attribute section without cells");
    }
    if (peek(r, TAG_DELETE_ROW_MARKER)) {
        r->pos++;
        row->delete_marker = true;
    }
    if (peek(r, TAG_EXTENSION)) {
        if ((rc = need(r, 5, "row extension")))
            return rc;
        uint32_t n = rd_u32(r->b + r->pos + 1);
        r->pos += 5;
        if ((rc = need(r, n, "row extension")))
            return rc;
        r->pos += n;
    }
    crc = emu_crc8_byte(crc, row->delete_marker ? 1 : 0);
    if (r->pos >= r->len)
        return fail(r, r->pos, "row without checksum (Invalid row: missing checksum.)");
    if (r->b[r->pos] != TAG_ROW_CHECKSUM) {
        snprintf(m, sizeof m, "unexpected tag 0x%02x in row starting at %zu", r->b[r->pos], start);
        return fail(r, r->pos, m);
    }
    if ((rc = need(r, 2, "row checksum")))
        return rc;
    if (r->b[r->pos + 1] != crc) {
        snprintf(m, sizeof m, "row checksum mismatch: got 0x%02x, computed 0x%02x",
                 r->b[r->pos + 1], crc);
        return fail(r, r->pos, m);
    }
    r->pos += 2;
    return EMU_OK;
}

static emu_rc parse_header(reader *r)
{
    emu_rc rc = need(r, 4, "header");
    if (rc)
        return rc;
    uint32_t h = rd_u32(r->b);
    if (h != OTS_PB_HEADER) {
        char m[96];
        snprintf(m, sizeof m, "mismatch header, actual: %" PRIu32 ", expect: %u", h, OTS_PB_HEADER);
        return fail(r, 0, m);
    }
    r->pos = 4;
    return EMU_OK;
}

/* Node's padding (§7.4) is zeros; anything else after the last row is junk. */
static emu_rc check_padding(reader *r)
{
    for (size_t i = r->pos; i < r->len; i++) {
        if (r->b[i] != 0) {
            char m[96];
            snprintf(m, sizeof m, "unexpected byte 0x%02x after the row checksum", r->b[i]);
            return fail(r, i, m);
        }
    }
    return EMU_OK;
}

emu_rc ots_plainbuffer_decode_row(const uint8_t *buf, size_t len, emu_arena *a, ots_row_t *out,
                                  emu_err *err)
{
    reader r = {buf, len, 0, a, err};
    emu_rc rc = parse_header(&r);
    if (!rc)
        rc = parse_row(&r, out);
    if (!rc)
        rc = check_padding(&r);
    return rc;
}

emu_rc ots_plainbuffer_decode_rows(const uint8_t *buf, size_t len, emu_arena *a, ots_row_t **rows,
                                   size_t *n_rows, emu_err *err)
{
    reader r = {buf, len, 0, a, err};
    size_t n = 0, cap = 0;
    ots_row_t *v = NULL;
    emu_rc rc;

    *rows = NULL;
    *n_rows = 0;
    if (len == 0)
        return EMU_OK;
    if ((rc = parse_header(&r)))
        return rc;
    while (r.pos < r.len && r.b[r.pos] != 0) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            ots_row_t *nv = emu_arena_alloc(a, ncap * sizeof *nv);
            if (n)
                memcpy(nv, v, n * sizeof *nv);
            v = nv;
            cap = ncap;
        }
        if ((rc = parse_row(&r, &v[n])))
            return rc;
        n++;
    }
    if ((rc = check_padding(&r)))
        return rc;
    if (n == 0)
        return fail(&r, r.pos, "no row after the header");
    *rows = v;
    *n_rows = n;
    return EMU_OK;
}

/* ---- Encoder -------------------------------------------------------------- */

static size_t value_len(const ots_value *v)
{
    switch (v->type) {
    case OTS_VT_INTEGER:
    case OTS_VT_DOUBLE:
        return 9;
    case OTS_VT_BOOLEAN:
        return 2;
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        return 5 + (size_t)v->len;
    default:
        return 1;
    }
}

static size_t cell_size(const ots_cell *c)
{
    size_t n = 1 + 5 + c->name.len + 2;
    if (c->has_value)
        n += 5 + value_len(&c->value);
    if (c->has_op)
        n += 2;
    if (c->has_ts)
        n += 9;
    return n;
}

static size_t row_size(const ots_row_t *r)
{
    size_t n = 2 + (r->delete_marker ? 1 : 0);
    if (r->n_pk) {
        n++;
        for (size_t i = 0; i < r->n_pk; i++)
            n += cell_size(&r->pk[i]);
    }
    if (r->n_attrs) {
        n++;
        for (size_t i = 0; i < r->n_attrs; i++)
            n += cell_size(&r->attrs[i]);
    }
    return n;
}

size_t ots_plainbuffer_size(const ots_row_t *rows, size_t n_rows)
{
    if (!n_rows)
        return 0;
    size_t n = 4;
    for (size_t i = 0; i < n_rows; i++)
        n += row_size(&rows[i]);
    return n;
}

typedef struct writer {
    uint8_t *p;
} writer;

static void put_u8(writer *w, uint8_t v)
{
    *w->p++ = v;
}

/* Little-endian through a local pointer: a byte store through w->p may
 * alias w itself, which made the compiler reload and store w->p per byte;
 * this way the bytes merge into one store. */
static void put_u32(writer *w, uint32_t v)
{
    uint8_t *p = w->p;
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    w->p = p + 4;
}

static void put_u64(writer *w, uint64_t v)
{
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}

/* Writes type + payload and returns the CRC fed with them. */
static uint8_t put_value_payload(writer *w, const ots_value *v, uint8_t crc)
{
    uint8_t *from = w->p;
    put_u8(w, (uint8_t)v->type);
    switch (v->type) {
    case OTS_VT_INTEGER:
        put_u64(w, (uint64_t)v->i);
        break;
    case OTS_VT_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->d, sizeof bits);
        put_u64(w, bits);
        break;
    }
    case OTS_VT_BOOLEAN:
        put_u8(w, v->b ? 1 : 0);
        break;
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        put_u32(w, v->len);
        if (v->len)
            memcpy(w->p, v->p, v->len);
        w->p += v->len;
        break;
    default:
        break;
    }
    return emu_crc8(crc, from, (size_t)(w->p - from));
}

static uint8_t put_cell(writer *w, const ots_cell *c)
{
    uint8_t crc = 0;
    assert(c->name.len <= UINT32_MAX);
    put_u8(w, TAG_CELL);
    put_u8(w, TAG_CELL_NAME);
    put_u32(w, (uint32_t)c->name.len);
    if (c->name.len)
        memcpy(w->p, c->name.p, c->name.len);
    w->p += c->name.len;
    crc = emu_crc8(crc, c->name.p, c->name.len);
    if (c->has_value) {
        assert(value_len(&c->value) <= UINT32_MAX);
        put_u8(w, TAG_CELL_VALUE);
        put_u32(w, (uint32_t)value_len(&c->value));
        crc = put_value_payload(w, &c->value, crc);
    }
    if (c->has_op) {
        put_u8(w, TAG_CELL_TYPE);
        put_u8(w, c->op);
    }
    if (c->has_ts) {
        put_u8(w, TAG_CELL_TIMESTAMP);
        put_u64(w, (uint64_t)c->ts);
        crc = emu_crc8_u64(crc, (uint64_t)c->ts);
    }
    if (c->has_op)
        crc = emu_crc8_byte(crc, c->op);
    put_u8(w, TAG_CELL_CHECKSUM);
    put_u8(w, crc);
    return crc;
}

static void put_row(writer *w, const ots_row_t *r)
{
    uint8_t crc = 0;
    if (r->n_pk) {
        put_u8(w, TAG_ROW_PK);
        for (size_t i = 0; i < r->n_pk; i++)
            crc = emu_crc8_byte(crc, put_cell(w, &r->pk[i]));
    }
    if (r->n_attrs) {
        put_u8(w, TAG_ROW_DATA);
        for (size_t i = 0; i < r->n_attrs; i++)
            crc = emu_crc8_byte(crc, put_cell(w, &r->attrs[i]));
    }
    if (r->delete_marker)
        put_u8(w, TAG_DELETE_ROW_MARKER);
    crc = emu_crc8_byte(crc, r->delete_marker ? 1 : 0);
    put_u8(w, TAG_ROW_CHECKSUM);
    put_u8(w, crc);
}

uint8_t *ots_plainbuffer_encode_rows(const ots_row_t *rows, size_t n_rows, emu_arena *a,
                                     size_t *len)
{
    size_t n = ots_plainbuffer_size(rows, n_rows);
    /* One spare byte so an empty page still gets a valid pointer. */
    uint8_t *buf = emu_arena_alloc(a, n + 1);
    writer w = {buf};
    if (n_rows) {
        put_u32(&w, OTS_PB_HEADER);
        for (size_t i = 0; i < n_rows; i++)
            put_row(&w, &rows[i]);
    }
    assert((size_t)(w.p - buf) == n);
    *len = n;
    return buf;
}

/* ---- Variant (filters, §7.6) ------------------------------------------------ */

emu_rc ots_plainbuffer_decode_variant(const uint8_t *buf, size_t len, ots_value *out, emu_err *err)
{
    memset(out, 0, sizeof *out);
    if (len < 1)
        return emu_err_set(err, EMU_E_INVALID, NULL, "variant offset 0: empty value");
    out->type = (ots_vtype)buf[0];
    size_t want;
    switch (buf[0]) {
    case OTS_VT_INTEGER:
    case OTS_VT_DOUBLE:
        want = 9;
        break;
    case OTS_VT_BOOLEAN:
        want = 2;
        break;
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        if (len < 5)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "variant offset 1: truncated length of a string/binary value");
        want = 5 + (size_t)rd_u32(buf + 1);
        break;
    case OTS_VT_NULL:
        want = 1;
        break;
    default:
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "variant offset 0: unknown variant type 0x%02x", buf[0]);
    }
    if (want != len)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "variant offset 0: length %zu does not match its type (%s needs %zu)",
                           len, ots_vtype_name(out->type), want);
    switch (buf[0]) {
    case OTS_VT_INTEGER:
        out->i = (int64_t)rd_u64(buf + 1);
        break;
    case OTS_VT_DOUBLE: {
        uint64_t bits = rd_u64(buf + 1);
        memcpy(&out->d, &bits, sizeof out->d);
        break;
    }
    case OTS_VT_BOOLEAN:
        if (buf[1] > 1)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "variant offset 1: boolean byte is neither 0 nor 1");
        out->b = buf[1] != 0;
        break;
    case OTS_VT_STRING:
    case OTS_VT_BINARY:
        out->len = (uint32_t)(len - 5);
        out->p = buf + 5;
        if (out->type == OTS_VT_STRING && emu_utf8_bad_at(out->p, out->len) != out->len)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "variant offset %zu: STRING value is not valid UTF-8",
                               5 + emu_utf8_bad_at(out->p, out->len));
        break;
    default:
        break;
    }
    return EMU_OK;
}

uint8_t *ots_plainbuffer_encode_variant(const ots_value *v, emu_arena *a, size_t *len)
{
    size_t n = value_len(v);
    uint8_t *buf = emu_arena_alloc(a, n);
    writer w = {buf};
    put_value_payload(&w, v, 0);
    *len = n;
    return buf;
}
