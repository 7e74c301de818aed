/* Primary keys of the row store: the memcmp-comparable key encoding and the
 * validation of request PKs against a table's schema.
 *
 * Keys: the PK is stored only as this encoding; rows are decoded back to
 * typed cells on the way out. Per column:
 *   INF_MIN  -> 00
 *   value    -> 01 + INTEGER: 8 bytes big-endian with the sign bit flipped
 *                    STRING/BINARY: bytes with 00 escaped as 00 FF, then 00 01
 *   INF_MAX  -> 02
 * so memcmp order is the service order of tablestore-protocol §9.1 (signed
 * integers, unsigned bytes with shorter prefix first, INF bounds) column by
 * column. */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "emu/limits.h"
#include "ots_store_int.h"

bool ots__valid_col_name(const char *s, size_t n)
{
    if (n < 1 || n > EMU_MAX_OTS_NAME_BYTES)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

size_t ots__key_encode(const ots_value *pk, size_t n, uint8_t *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        const ots_value *v = &pk[i];
        switch (v->type) {
        case OTS_VT_INF_MIN:
            *p++ = 0x00;
            break;
        case OTS_VT_INF_MAX:
            *p++ = 0x02;
            break;
        case OTS_VT_INTEGER: {
            uint64_t u = (uint64_t)v->i ^ 0x8000000000000000ull;
            *p++ = 0x01;
            for (int b = 7; b >= 0; b--)
                *p++ = (uint8_t)(u >> (8 * b));
            break;
        }
        default: /* STRING / BINARY, checked by the caller */
            *p++ = 0x01;
            for (uint32_t j = 0; j < v->len; j++) {
                *p++ = v->p[j];
                if (!v->p[j])
                    *p++ = 0xFF;
            }
            *p++ = 0x00;
            *p++ = 0x01;
            break;
        }
    }
    assert((size_t)(p - out) <= OTS__KEY_MAX);
    return (size_t)(p - out);
}

/* Keys come only from ots__key_encode, so the decoder only asserts. */
void ots__key_decode(const ots_table_t *t, const uint8_t *k, size_t klen, emu_arena *a,
                     ots_cell *out)
{
    const uint8_t *p = k, *end = k + klen;
    (void)end; /* only asserted */
    for (size_t i = 0; i < t->schema.n_pk; i++) {
        ots_cell *c = &out[i];
        memset(c, 0, sizeof *c);
        c->name = emu_str_c(emu_arena_strdup(a, t->pk[i].name));
        c->has_value = true;
        assert(p < end);
        uint8_t tag = *p++;
        if (tag == 0x00) {
            c->value.type = OTS_VT_INF_MIN;
            continue;
        }
        if (tag == 0x02) {
            c->value.type = OTS_VT_INF_MAX;
            continue;
        }
        if (t->pk[i].type == OTS_PK_INTEGER) {
            uint64_t u = 0;
            for (int b = 0; b < 8; b++)
                u = u << 8 | *p++;
            c->value.type = OTS_VT_INTEGER;
            c->value.i = (int64_t)(u ^ 0x8000000000000000ull);
            continue;
        }
        c->value.type = t->pk[i].type == OTS_PK_STRING ? OTS_VT_STRING : OTS_VT_BINARY;
        /* First pass sizes the value, second copies it unescaped. */
        size_t n = 0;
        const uint8_t *q = p;
        while (!(q[0] == 0x00 && q[1] == 0x01)) {
            q += q[0] == 0x00 ? 2 : 1;
            n++;
        }
        uint8_t *dst = emu_arena_alloc(a, n + 1);
        for (size_t j = 0; j < n; j++) {
            dst[j] = *p;
            p += *p == 0x00 ? 2 : 1;
        }
        dst[n] = 0;
        p += 2;
        c->value.p = dst;
        c->value.len = (uint32_t)n;
    }
}

static emu_rc pk_fail(emu_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static emu_rc pk_fail(emu_err *err, const char *fmt, ...)
{
    char m[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    emu_rc rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s", m);
    if (err)
        err->code = "OTSInvalidPK";
    return rc;
}

/* Checks pk against the schema and copies the values into vals. */
emu_rc ots__check_pk(const ots_table_t *t, const ots_cell *pk, size_t n, enum ots__pk_mode mode,
                     ots_value *vals, emu_err *err)
{
    char in[32], meta[32];
    if (n != t->schema.n_pk) {
        snprintf(in, sizeof in, "%zu", n);
        snprintf(meta, sizeof meta, "%zu", t->schema.n_pk);
        return pk_fail(err, "Validate PK size fail. Input: %s, Meta: %s.", in, meta);
    }
    for (size_t i = 0; i < n; i++) {
        const ots_cell *c = &pk[i];
        const ots_pk_col *col = &t->pk[i];
        if (!emu_str_eq_c(c->name, col->name)) {
            char nm[EMU_MAX_OTS_NAME_BYTES + 1];
            size_t l = c->name.len < sizeof nm - 1 ? c->name.len : sizeof nm - 1;
            memcpy(nm, c->name.p, l);
            nm[l] = 0;
            return pk_fail(err, "Validate PK name fail. Input: %s, Meta: %s.", nm, col->name);
        }
        if (!c->has_value)
            return pk_fail(err, "Validate PK value fail. Column: %s has no value.", col->name);
        ots_vtype vt = c->value.type;
        if (vt == OTS_VT_INF_MIN || vt == OTS_VT_INF_MAX) {
            if (mode != OTS__PK_RANGE) /* ParameterLegalityTest (Java SDK) */
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "VT_%s is an invalid type for the primary key.",
                                   ots_vtype_name(vt));
        } else if (vt == OTS_VT_AUTO_INCREMENT) {
            if (mode == OTS__PK_POINT || mode == OTS__PK_RANGE)
                return pk_fail(err, "PKAutoIncr can't be used for read operations.");
            if (mode == OTS__PK_WRITE)
                return pk_fail(err, "PKAutoIncr can only be used in PutRow (column %s).",
                               col->name);
            if (!col->auto_increment)
                return pk_fail(err, "Primary key column %s is not AUTO_INCREMENT.", col->name);
        } else {
            ots_vtype want = col->type == OTS_PK_INTEGER  ? OTS_VT_INTEGER
                             : col->type == OTS_PK_STRING ? OTS_VT_STRING
                                                          : OTS_VT_BINARY;
            if (vt != want) /* the service's VT_ names (Java SDK's tests) */
                return pk_fail(err, "Validate PK type fail. Input: VT_%s, Meta: VT_%s.",
                               vt == OTS_VT_BINARY ? "BLOB" : ots_vtype_name(vt),
                               want == OTS_VT_BINARY ? "BLOB" : ots_vtype_name(want));
            if ((vt == OTS_VT_STRING || vt == OTS_VT_BINARY) &&
                c->value.len > EMU_MAX_OTS_PK_VALUE_BYTES)
                return emu_err_set(
                    err, EMU_E_INVALID, NULL,
                    "The length of primary key column: '%s' exceeds the MaxLength:%d "
                    "with CurrentLength:%" PRIu32 ".",
                    col->name, EMU_MAX_OTS_PK_VALUE_BYTES, c->value.len);
        }
        vals[i] = c->value;
    }
    return EMU_OK;
}
