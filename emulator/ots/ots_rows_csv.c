/* Rows files: CSV (RowsFile) and inline JSON rows (Rows) of a world file,
 * plus the JSON export used by world save.
 *
 * CSV contract:
 *  - RFC 4180 style: comma separated, LF or CRLF line ends, optional UTF-8
 *    BOM, fields may be double-quoted ("" is a quote; quoted fields may hold
 *    commas and line breaks). Empty lines are skipped.
 *  - The first record names the columns: each must be a PK or defined column
 *    of the table, no duplicates, and every PK and defined column must appear
 *    (any order). Every later record must have exactly that many fields.
 *  - Cells parse per column type: INTEGER decimal int64, DOUBLE (strtod, finite),
 *    BOOLEAN true/false (any case), STRING raw bytes, BINARY base64. An empty
 *    attribute cell is an absent attribute; a quoted empty STRING/BINARY cell
 *    ("") is an empty value. An empty PK cell is an error.
 *  - Errors name the file as written in the world file, the 1-based line
 *    where the record starts, the 1-based field and what was expected:
 *    `data/vehicle_track.csv:17: field 5 (column "speed"): expected a DOUBLE`.
 *    They never quote the file: a RowsFile that names the wrong file (a
 *    .env, a key) must not end up in a terminal or a CI log.
 * Speed: the file is read in one go and parsed in place; rows go straight
 * into the table's slab through ots__store_load_row with cells pre-sorted by
 * name, so a 1M-row load does no per-row malloc. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu/clock.h"
#include "emu/crypto.h"
#include "emu/limits.h"
#include "ots_int.h"

#define MAX_COLS (EMU_MAX_OTS_PK_COLUMNS + EMU_MAX_OTS_DEFINED_COLUMNS)

typedef struct csv_col {
    int pk_index;      /* >= 0: PK column position in the schema */
    ots_col_type type; /* attribute: declared type */
    ots_pk_type pk_type;
    const char *name;
    uint32_t name_id; /* attribute: interned id */
} csv_col;

typedef struct csv_field {
    const char *p;
    size_t len;
    bool quoted;
    bool has_escape; /* contains "" that must be collapsed */
} csv_field;

typedef struct csv_reader {
    const char *p, *end;
    size_t line; /* line of the next byte */
} csv_reader;

/* Reads one record into f[0..*n); returns false at end of input. Fields stay
 * in the text (escapes collapsed later). *bad set on a malformed quote. */
static bool csv_record(csv_reader *r, csv_field *f, size_t max, size_t *n, size_t *too_many,
                       bool *bad)
{
    *n = 0;
    *too_many = 0;
    *bad = false;
    if (r->p >= r->end)
        return false;
    for (;;) {
        csv_field fld = {r->p, 0, false, false};
        if (r->p < r->end && *r->p == '"') {
            fld.quoted = true;
            const char *s = ++r->p;
            for (;;) {
                if (r->p >= r->end) {
                    *bad = true;
                    return true;
                }
                if (*r->p == '"') {
                    if (r->p + 1 < r->end && r->p[1] == '"') {
                        fld.has_escape = true;
                        r->p += 2;
                        continue;
                    }
                    break;
                }
                if (*r->p == '\n')
                    r->line++;
                r->p++;
            }
            fld.p = s;
            fld.len = (size_t)(r->p - s);
            r->p++; /* closing quote */
            if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                *bad = true;
                return true;
            }
        } else {
            const char *s = r->p;
            while (r->p < r->end && *r->p != ',' && *r->p != '\n')
                r->p++;
            fld.len = (size_t)(r->p - s);
            if (fld.len && s[fld.len - 1] == '\r' && (r->p >= r->end || *r->p == '\n'))
                fld.len--;
        }
        if (*n < max)
            f[(*n)++] = fld;
        else
            (*too_many)++;
        if (r->p < r->end && *r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')
            r->p++;
        if (r->p >= r->end)
            return true;
        if (*r->p == '\n') {
            r->p++;
            r->line++;
            return true;
        }
        r->p++; /* ',' */
    }
}

/* Collapses "" escapes into scratch. */
static const char *field_text(const csv_field *f, emu_arena *scratch)
{
    if (!f->has_escape)
        return f->p;
    char *o = emu_arena_alloc(scratch, f->len + 1);
    size_t k = 0;
    for (size_t i = 0; i < f->len; i++) {
        o[k++] = f->p[i];
        if (f->p[i] == '"')
            i++;
    }
    o[k] = 0;
    return o;
}

static size_t field_len(const csv_field *f)
{
    if (!f->has_escape)
        return f->len;
    size_t k = 0;
    for (size_t i = 0; i < f->len; i++, k++)
        if (f->p[i] == '"')
            i++;
    return k;
}

static bool parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n || n - i > 19)
        return false;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Clinger's fast path: a decimal with at most 15 significant digits and at
 * most 22 fraction digits is m / 10^k with m and 10^k exact in a double, so
 * one IEEE division gives the correctly rounded result strtod would. Rows
 * files are full of such numbers ("120.193541"), and glibc's strtod costs
 * ~800 instructions each; anything else falls back to strtod. */
static bool parse_double_fast(const char *s, size_t n, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0, digits = 0, frac = 0;
    bool neg = false, dot = false;
    uint64_t m = 0;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !dot) {
            dot = true;
            continue;
        }
        if (c < '0' || c > '9')
            return false;
        if (m == 0 && c == '0' && !dot)
            continue; /* leading zeros */
        if (++digits > 15)
            return false;
        m = m * 10 + (uint64_t)(c - '0');
        if (dot)
            frac++;
    }
    if (frac > 22 || (dot && n - (neg || s[0] == '+') == 1))
        return false; /* "." alone */
    double d = (double)m / pow10[frac];
    *out = neg ? -d : d;
    return true;
}

static bool parse_double(const char *s, size_t n, double *out)
{
    char buf[128];
    if (parse_double_fast(s, n, out))
        return true;
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (end != buf + n || !isfinite(d) || buf[0] == ' ')
        return false;
    *out = d;
    return true;
}

static bool parse_bool(const char *s, size_t n, bool *out)
{
    if (n == 4 && !strncasecmp(s, "true", 4)) {
        *out = true;
        return true;
    }
    if (n == 5 && !strncasecmp(s, "false", 5)) {
        *out = false;
        return true;
    }
    return false;
}

/* Parses one cell of column type `type` (INTEGER..BINARY as ots_col_type)
 * into v. Returns the type name for the message on failure, NULL on success. */
/* "a, b, c": the primary key and defined column names of the table, for an
 * error that says what a header field should have been. Cut at n bytes. */
static void column_names(const ots_table_schema *s, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < s->n_pk + s->n_defined && used < n; j++) {
        const char *nm = j < s->n_pk ? s->pk[j].name : s->defined[j - s->n_pk].name;
        int w = snprintf(buf + used, n - used, "%s%s", j ? ", " : "", nm);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static const char *parse_cell(ots_col_type type, const char *s, size_t n, emu_arena *scratch,
                              ots_value *v)
{
    memset(v, 0, sizeof *v);
    switch (type) {
    case OTS_COL_INTEGER:
        v->type = OTS_VT_INTEGER;
        return parse_int64(s, n, &v->i) ? NULL : "an INTEGER";
    case OTS_COL_DOUBLE:
        v->type = OTS_VT_DOUBLE;
        return parse_double(s, n, &v->d) ? NULL : "a DOUBLE";
    case OTS_COL_BOOLEAN:
        v->type = OTS_VT_BOOLEAN;
        return parse_bool(s, n, &v->b) ? NULL : "a BOOLEAN (true or false)";
    case OTS_COL_STRING:
        v->type = OTS_VT_STRING;
        v->p = (const uint8_t *)s;
        v->len = (uint32_t)n;
        return n > EMU_MAX_OTS_VALUE_BYTES ? "a STRING within 2 MB" : NULL;
    case OTS_COL_BINARY: {
        v->type = OTS_VT_BINARY;
        uint8_t *out = emu_arena_alloc(scratch, n / 4 * 3 + 3);
        size_t len;
        if (!emu_base64_decode(s, n, out, n / 4 * 3 + 3, &len))
            return "BINARY (base64)";
        v->p = out;
        v->len = (uint32_t)len;
        return NULL;
    }
    }
    return "a known type";
}

static ots_col_type pk_as_col(ots_pk_type t)
{
    return t == OTS_PK_INTEGER  ? OTS_COL_INTEGER
           : t == OTS_PK_STRING ? OTS_COL_STRING
                                : OTS_COL_BINARY;
}

static void note_autoinc(ots_table_t *t, const ots_value *pk);

emu_rc ots_rows_load_csv_text(ots_table_t *t, const char *text, size_t len, const char *shown,
                              int64_t ts, emu_err *err)
{
    const ots_table_schema *s = ots_table_schema_of(t);
    csv_reader r = {text, text + len, 1};
    csv_field f[MAX_COLS];
    csv_col cols[MAX_COLS];
    size_t n, extra, ncols;
    bool bad;
    emu_rc rc = EMU_OK;
    emu_arena *scratch = emu_arena_new(0);
    int64_t now = ts;
    size_t order[MAX_COLS]; /* attribute columns sorted by name */
    size_t n_attr = 0;

    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        r.p += 3;
    while (r.p < r.end && (*r.p == '\n' || *r.p == '\r')) {
        if (*r.p == '\n')
            r.line++;
        r.p++;
    }
    size_t line = r.line;
    if (!csv_record(&r, f, MAX_COLS, &ncols, &extra, &bad) || bad || extra) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s:%zu: %s", shown, line,
                         bad     ? "malformed quoted field in the header"
                         : extra ? "more columns than the table has"
                                 : "missing header row");
        goto out;
    }
    /* Map header names to schema columns. */
    for (size_t i = 0; i < ncols; i++) {
        const char *nm = field_text(&f[i], scratch);
        size_t nl = field_len(&f[i]);
        csv_col *c = &cols[i];
        c->pk_index = -1;
        c->name = NULL;
        for (size_t j = 0; j < s->n_pk; j++)
            if (strlen(s->pk[j].name) == nl && !memcmp(s->pk[j].name, nm, nl)) {
                c->pk_index = (int)j;
                c->pk_type = s->pk[j].type;
                c->type = pk_as_col(s->pk[j].type);
                c->name = s->pk[j].name;
            }
        const ots_def_col *d = c->name ? NULL : ots__defined_col(t, nm, nl);
        if (d) {
            c->type = d->type;
            c->name = d->name;
            c->name_id = ots__name_intern(t, d->name, strlen(d->name));
            order[n_attr++] = i;
        }
        if (!c->name) {
            char names[512];
            column_names(s, names, sizeof names);
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s:%zu: field %zu of the header is neither a primary key nor a "
                             "defined column of table %s; expected one of: %s",
                             shown, line, i + 1, s->name, names);
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (cols[j].name == c->name) {
                rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s:%zu: duplicate column \"%s\"", shown,
                                 line, c->name);
                goto out;
            }
    }
    if (ncols != s->n_pk + s->n_defined) {
        for (size_t j = 0; j < s->n_pk + s->n_defined; j++) {
            const char *want = j < s->n_pk ? s->pk[j].name : s->defined[j - s->n_pk].name;
            bool found = false;
            for (size_t i = 0; i < ncols; i++)
                found |= cols[i].name == want;
            if (!found) {
                rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s:%zu: column \"%s\" is missing",
                                 shown, line, want);
                goto out;
            }
        }
    }
    /* Cells must reach the store sorted by name (bytewise). */
    for (size_t i = 1; i < n_attr; i++)
        for (size_t j = i; j > 0 && strcmp(cols[order[j - 1]].name, cols[order[j]].name) > 0; j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }

    for (;;) {
        line = r.line;
        if (!csv_record(&r, f, MAX_COLS, &n, &extra, &bad))
            break;
        if (!bad && n == 1 && f[0].len == 0 && !f[0].quoted)
            continue; /* empty line */
        if (bad) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s:%zu: malformed quoted field", shown,
                             line);
            goto out;
        }
        if (n + extra != ncols) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s:%zu: expected %zu columns, found %zu",
                             shown, line, ncols, n + extra);
            goto out;
        }
        ots_value pk[EMU_MAX_OTS_PK_COLUMNS];
        ots_value av[MAX_COLS];
        bool present[MAX_COLS];
        for (size_t i = 0; i < ncols; i++) {
            csv_col *c = &cols[i];
            size_t fl = field_len(&f[i]);
            present[i] =
                fl > 0 || (f[i].quoted && (c->type == OTS_COL_STRING || c->type == OTS_COL_BINARY));
            if (!present[i]) {
                if (c->pk_index >= 0) {
                    rc = emu_err_set(err, EMU_E_INVALID, NULL,
                                     "%s:%zu: column \"%s\": empty primary key value", shown, line,
                                     c->name);
                    goto out;
                }
                continue;
            }
            const char *txt = field_text(&f[i], scratch);
            ots_value *v = c->pk_index >= 0 ? &pk[c->pk_index] : &av[i];
            const char *want = parse_cell(c->type, txt, fl, scratch, v);
            if (!want && c->pk_index >= 0 && c->type != OTS_COL_INTEGER &&
                v->len > EMU_MAX_OTS_PK_VALUE_BYTES)
                want = "a primary key value within 1 KB";
            if (want) {
                rc = emu_err_set(err, EMU_E_INVALID, NULL,
                                 "%s:%zu: field %zu (column \"%s\"): expected %s", shown, line,
                                 i + 1, c->name, want);
                goto out;
            }
        }
        ots__xcell cells[MAX_COLS];
        size_t nc = 0;
        for (size_t k = 0; k < n_attr; k++) {
            size_t i = order[k];
            if (!present[i])
                continue;
            cells[nc].name_id = cols[i].name_id;
            cells[nc].ts = now;
            cells[nc].v = av[i];
            nc++;
        }
        uint8_t key[OTS__KEY_MAX];
        size_t klen = ots__key_encode(pk, s->n_pk, key);
        if ((rc = ots__store_load_row(t, key, klen, cells, nc, err))) {
            emu_err_prefix(err, "%s:%zu: ", shown, line);
            goto out;
        }
        note_autoinc(t, pk);
        emu_arena_reset(scratch);
    }
out:
    emu_arena_free(scratch);
    return rc;
}

emu_rc ots_rows_load_csv_file(ots_table_t *t, const char *path, const char *shown, int64_t ts,
                              emu_err *err)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    emu_rc rc;
    if (!fp)
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: cannot open: %s", shown, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s: cannot read: %s", shown, strerror(errno));
        goto out;
    }
    long size = ftell(fp);
    if (size < 0 || (long long)size > EMU_MAX_ROWS_FILE_BYTES) {
        rc = emu_err_set(err, EMU_E_LIMIT, NULL, "%s: larger than %lld bytes", shown,
                         (long long)EMU_MAX_ROWS_FILE_BYTES);
        goto out;
    }
    rewind(fp);
    buf = emu_xmalloc((size_t)size + 1);
    if (fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s: short read", shown);
        goto out;
    }
    buf[size] = 0;
    rc = ots_rows_load_csv_text(t, buf, (size_t)size, shown, ts, err);
out:
    free(buf);
    fclose(fp);
    return rc;
}

/* Keeps generated auto-increment values above every loaded one. */
static void note_autoinc(ots_table_t *t, const ots_value *pk)
{
    const ots_table_schema *s = ots_table_schema_of(t);
    for (size_t i = 0; i < s->n_pk; i++)
        if (s->pk[i].auto_increment)
            ots__autoinc_seen(t, pk[i].i);
}

/* ---- JSON rows -------------------------------------------------------------------- */

#define JSON_SAFE_INT 9007199254740992.0 /* 2^53: larger integers go as strings */
#define JSON_SAFE_INT_I 9007199254740992LL

static emu_rc json_scalar(const cJSON *j, ots_col_type type, emu_arena *a, ots_value *v,
                          const char *where, emu_err *err)
{
    memset(v, 0, sizeof *v);
    switch (type) {
    case OTS_COL_INTEGER:
        v->type = OTS_VT_INTEGER;
        if (cJSON_IsNumber(j) && j->valuedouble == floor(j->valuedouble) &&
            fabs(j->valuedouble) <= JSON_SAFE_INT) {
            v->i = (int64_t)j->valuedouble;
            return EMU_OK;
        }
        if (cJSON_IsString(j) && parse_int64(j->valuestring, strlen(j->valuestring), &v->i))
            return EMU_OK;
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s: not an INTEGER (a JSON integer up to 2^53 or a decimal string)",
                           where);
    case OTS_COL_DOUBLE:
        v->type = OTS_VT_DOUBLE;
        if (!cJSON_IsNumber(j))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s: not a DOUBLE", where);
        v->d = j->valuedouble;
        return EMU_OK;
    case OTS_COL_BOOLEAN:
        v->type = OTS_VT_BOOLEAN;
        if (!cJSON_IsBool(j))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s: not a BOOLEAN", where);
        v->b = cJSON_IsTrue(j);
        return EMU_OK;
    case OTS_COL_STRING:
        v->type = OTS_VT_STRING;
        if (!cJSON_IsString(j))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s: not a STRING", where);
        v->p = (const uint8_t *)j->valuestring;
        v->len = (uint32_t)strlen(j->valuestring);
        return EMU_OK;
    case OTS_COL_BINARY: {
        v->type = OTS_VT_BINARY;
        if (!cJSON_IsString(j))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s: not a BINARY (base64 string)", where);
        size_t n = strlen(j->valuestring), len;
        uint8_t *out = emu_arena_alloc(a, n / 4 * 3 + 3);
        if (!emu_base64_decode(j->valuestring, n, out, n / 4 * 3 + 3, &len))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s: not valid base64", where);
        v->p = out;
        v->len = (uint32_t)len;
        return EMU_OK;
    }
    }
    return emu_err_set(err, EMU_E_INVALID, NULL, "%s: unknown type", where);
}

/* One version object {"Type","Value","Timestamp"}; declared may be NULL. */
static emu_rc json_version(const cJSON *o, const ots_def_col *declared, emu_arena *a, ots_cell *c,
                           const char *where, emu_err *err)
{
    const cJSON *ty = NULL, *val = NULL, *ts = NULL;
    ots_col_type type;
    char w[256];
    if (!cJSON_IsObject(o))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: expected an object with Type and Value",
                           where);
    for (const cJSON *k = o->child; k; k = k->next) {
        if (!strcmp(k->string, "Type"))
            ty = k;
        else if (!strcmp(k->string, "Value"))
            val = k;
        else if (!strcmp(k->string, "Timestamp"))
            ts = k;
        else
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: unknown field", where, k->string);
    }
    if (ty) {
        if (!cJSON_IsString(ty) || !ots_col_type_parse(ty->valuestring, &type))
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.Type: not a column type (INTEGER, DOUBLE, BOOLEAN, STRING, "
                               "BINARY)",
                               where);
        if (declared && declared->type != type)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.Type: %s but the column is defined as %s", where,
                               ty->valuestring, ots_col_type_name(declared->type));
    } else if (declared) {
        type = declared->type;
    } else {
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Type: missing (column is not defined)",
                           where);
    }
    if (!val)
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Value: missing", where);
    snprintf(w, sizeof w, "%s.Value", where);
    emu_rc rc = json_scalar(val, type, a, &c->value, w, err);
    if (rc)
        return rc;
    c->has_value = true;
    if (ts) {
        if (!cJSON_IsNumber(ts) || ts->valuedouble != floor(ts->valuedouble) ||
            ts->valuedouble < 0 || ts->valuedouble > JSON_SAFE_INT)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.Timestamp: not a millisecond timestamp", where);
        c->has_ts = true;
        c->ts = (int64_t)ts->valuedouble;
    }
    return EMU_OK;
}

emu_rc ots_rows_load_json(ots_table_t *t, const cJSON *rows, int64_t ts, emu_err *err)
{
    const ots_table_schema *s = ots_table_schema_of(t);
    emu_arena *a = emu_arena_new(0);
    emu_rc rc = EMU_OK;
    int64_t now = ts;
    char where[EMU_MAX_OTS_NAME_BYTES + 64];
    int idx = 0;

    if (!cJSON_IsArray(rows)) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, ": expected an array of row objects");
        goto out;
    }
    if (cJSON_GetArraySize(rows) > EMU_MAX_OTS_JSON_ROWS) {
        rc = emu_err_set(err, EMU_E_LIMIT, NULL, ": more than %d rows", EMU_MAX_OTS_JSON_ROWS);
        goto out;
    }
    for (const cJSON *o = rows->child; o; o = o->next, idx++) {
        emu_arena_reset(a);
        if (!cJSON_IsObject(o)) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "[%d]: expected an object", idx);
            goto out;
        }
        int n = cJSON_GetArraySize(o);
        ots_row_t row = {0};
        row.pk = emu_arena_zalloc(a, s->n_pk * sizeof *row.pk);
        row.attrs = emu_arena_zalloc(a, (size_t)(n ? n : 1) * 8 * sizeof *row.attrs);
        size_t cap_attrs = (size_t)(n ? n : 1) * 8;
        row.n_pk = s->n_pk;
        for (const cJSON *k = o->child; k; k = k->next) {
            snprintf(where, sizeof where, "[%d].%s", idx, k->string);
            size_t pki = SIZE_MAX;
            for (size_t j = 0; j < s->n_pk; j++)
                if (!strcmp(s->pk[j].name, k->string))
                    pki = j;
            if (pki != SIZE_MAX) {
                ots_cell *c = &row.pk[pki];
                c->name = emu_str_c(s->pk[pki].name);
                c->has_value = true;
                if ((rc = json_scalar(k, pk_as_col(s->pk[pki].type), a, &c->value, where, err)))
                    goto out;
                continue;
            }
            if (cJSON_IsNull(k))
                continue; /* absent attribute */
            const ots_def_col *d = ots__defined_col(t, k->string, strlen(k->string));
            const cJSON *versions = cJSON_IsArray(k) ? k : NULL;
            int nv = versions ? cJSON_GetArraySize(versions) : 1;
            if (row.n_attrs + (size_t)nv > cap_attrs) {
                size_t ncap = (row.n_attrs + (size_t)nv) * 2;
                ots_cell *na = emu_arena_zalloc(a, ncap * sizeof *na);
                memcpy(na, row.attrs, row.n_attrs * sizeof *na);
                row.attrs = na;
                cap_attrs = ncap;
            }
            if (!versions && !cJSON_IsObject(k)) {
                if (!d) {
                    rc = emu_err_set(err, EMU_E_INVALID, NULL,
                                     "%s: column is not defined; use {\"Type\", \"Value\"}", where);
                    goto out;
                }
                ots_cell *c = &row.attrs[row.n_attrs++];
                c->name = emu_str_c(k->string);
                c->has_value = true;
                if ((rc = json_scalar(k, d->type, a, &c->value, where, err)))
                    goto out;
                continue;
            }
            int vi = 0;
            for (const cJSON *v = versions ? versions->child : k; v;
                 v = versions ? v->next : NULL, vi++) {
                char w2[sizeof where + 16];
                if (versions)
                    snprintf(w2, sizeof w2, "%s[%d]", where, vi);
                else
                    snprintf(w2, sizeof w2, "%s", where);
                ots_cell *c = &row.attrs[row.n_attrs++];
                c->name = emu_str_c(k->string);
                if ((rc = json_version(v, d, a, c, w2, err)))
                    goto out;
            }
        }
        for (size_t j = 0; j < s->n_pk; j++)
            if (!row.pk[j].has_value) {
                rc = emu_err_set(err, EMU_E_INVALID, NULL, "[%d]: primary key column %s is missing",
                                 idx, s->pk[j].name);
                goto out;
            }
        for (size_t j = 0; j < row.n_attrs; j++)
            if (!row.attrs[j].has_ts) {
                row.attrs[j].has_ts = true;
                row.attrs[j].ts = now;
            }
        bool exists = false;
        if (!(rc = ots_store_exists(t, row.pk, row.n_pk, &exists, err)) && exists)
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "duplicate primary key");
        if (!rc)
            rc = ots_store_put(t, &row, a, NULL, err);
        if (rc) {
            emu_err_prefix(err, "[%d]: ", idx);
            goto out;
        }
        ots_value pkv[EMU_MAX_OTS_PK_COLUMNS];
        for (size_t j = 0; j < s->n_pk; j++)
            pkv[j] = row.pk[j].value;
        note_autoinc(t, pkv);
    }
out:
    emu_arena_free(a);
    return rc;
}

static cJSON *json_int(int64_t v)
{
    if (v <= JSON_SAFE_INT_I && v >= -JSON_SAFE_INT_I)
        return cJSON_CreateNumber((double)v);
    char b[32];
    snprintf(b, sizeof b, "%" PRId64, v);
    return cJSON_CreateString(b);
}

static cJSON *json_value(const ots_value *v)
{
    switch (v->type) {
    case OTS_VT_INTEGER:
        return json_int(v->i);
    case OTS_VT_DOUBLE:
        return cJSON_CreateNumber(v->d);
    case OTS_VT_BOOLEAN:
        return cJSON_CreateBool(v->b);
    case OTS_VT_STRING: {
        char *s = emu_xstrndup((const char *)v->p, v->len);
        cJSON *j = cJSON_CreateString(s);
        free(s);
        return j;
    }
    default: {
        char *b = emu_xmalloc(EMU_BASE64_LEN(v->len) + 1);
        emu_base64_encode(v->p, v->len, b);
        cJSON *j = cJSON_CreateString(b);
        free(b);
        return j;
    }
    }
}

static ots_col_type vt_as_col(ots_vtype t)
{
    switch (t) {
    case OTS_VT_INTEGER:
        return OTS_COL_INTEGER;
    case OTS_VT_DOUBLE:
        return OTS_COL_DOUBLE;
    case OTS_VT_BOOLEAN:
        return OTS_COL_BOOLEAN;
    case OTS_VT_STRING:
        return OTS_COL_STRING;
    default:
        return OTS_COL_BINARY;
    }
}

cJSON *ots_rows_to_json(const ots_table_t *t)
{
    cJSON *arr = cJSON_CreateArray();
    emu_arena *a = emu_arena_new(0);
    ots_store_cursor cur;
    bool started = false;
    ots_row_t row;
    int64_t load_ts = ots__table_load_ts(t);

    while (ots__scan_all(t, &cur, &started, a, &row)) {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < row.n_pk; i++)
            cJSON_AddItemToObject(o, row.pk[i].name.p, json_value(&row.pk[i].value));
        /* Cells come grouped by name, newest first. */
        for (size_t i = 0; i < row.n_attrs;) {
            size_t j = i;
            while (j < row.n_attrs && emu_str_eq(row.attrs[j].name, row.attrs[i].name))
                j++;
            const ots_cell *c = &row.attrs[i];
            const ots_def_col *d = ots__defined_col(t, c->name.p, c->name.len);
            if (j - i == 1 && d && d->type == vt_as_col(c->value.type) && c->ts == load_ts) {
                cJSON_AddItemToObject(o, c->name.p, json_value(&c->value));
            } else {
                cJSON *vs = j - i > 1 ? cJSON_CreateArray() : NULL;
                for (size_t k = i; k < j; k++) {
                    cJSON *v = cJSON_CreateObject();
                    cJSON_AddStringToObject(v, "Type",
                                            ots_col_type_name(vt_as_col(row.attrs[k].value.type)));
                    cJSON_AddItemToObject(v, "Value", json_value(&row.attrs[k].value));
                    cJSON_AddItemToObject(v, "Timestamp", json_int(row.attrs[k].ts));
                    if (vs)
                        cJSON_AddItemToArray(vs, v);
                    else
                        vs = v;
                }
                cJSON_AddItemToObject(o, c->name.p, vs);
            }
            i = j;
        }
        cJSON_AddItemToArray(arr, o);
        emu_arena_reset(a);
    }
    emu_arena_free(a);
    return arr;
}
