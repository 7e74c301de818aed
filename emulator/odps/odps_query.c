/* The SELECT engine of the MaxCompute SQL subset (issue 16 item 5): FROM
 * with INNER/LEFT JOIN ... ON and subqueries, WHERE, GROUP BY expressions
 * with HAVING, aggregates anywhere in the select list (count/sum/avg/min/
 * max, DISTINCT inside), DISTINCT rows, ORDER BY, LIMIT, UNION ALL; the
 * expressions users write on vehicle_track-style data (arithmetic, CASE,
 * IF, COALESCE, CAST, IN, BETWEEN, LIKE, the common string, math and date
 * functions). Relations are materialized in the task's arena, one operator
 * after the other.
 *
 * Semantics chosen (MaxCompute's documented behaviour where it is known,
 * else noted [I]):
 *   - three-valued logic; a comparison or arithmetic with NULL is NULL;
 *   - BIGINT op BIGINT stays BIGINT for + - * % (wrapping), '/' is DOUBLE;
 *     division or modulo by zero is NULL [I];
 *   - DATETIME values are milliseconds since the epoch, shown and taken
 *     apart in the project's time zone, Asia/Shanghai (UTC+8, MaxCompute's
 *     default) [I: acsemu has no other zone; SET odps.sql.timezone to
 *     anything else fails the task];
 *   - NULLs sort first ascending, last descending; groups come out in key
 *     order [I];
 *   - equi-joins (ON a.x = b.y [AND ...]) sort the right side and search
 *     it; other ON conditions compare every pair, up to
 *     ODPS_MAX_JOIN_PAIRS;
 *   - a CAST that cannot convert gives NULL. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/odps_sql.h"
#include "emu/str.h"

#define TZ_MS (8LL * 3600 * 1000) /* Asia/Shanghai */
#define DAY_MS (86400LL * 1000)

/* ---- values --------------------------------------------------------------------------- */

static bool numeric(odps_type t)
{
    return t == ODPS_T_BIGINT || t == ODPS_T_DOUBLE;
}

static double as_double(const odps_value *v)
{
    return v->type == ODPS_T_BIGINT ? (double)v->i : v->d;
}

/* Total order on two non-NULL values of comparable types. */
static int cmp_values(const odps_value *a, const odps_value *b)
{
    if ((a->type == ODPS_T_BIGINT && b->type == ODPS_T_BIGINT) ||
        (a->type == ODPS_T_DATETIME && b->type == ODPS_T_DATETIME))
        return (a->i > b->i) - (a->i < b->i);
    if (numeric(a->type) && numeric(b->type)) {
        double x = as_double(a), y = as_double(b);
        return (x > y) - (x < y);
    }
    if (a->type == ODPS_T_BOOLEAN)
        return (int)a->b - (int)b->b;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->s, b->s, n) : 0;
    if (c)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* NULL-aware order: NULL first. */
static int cmp_nullable(const odps_value *a, const odps_value *b)
{
    if (a->type == ODPS_T_NULL || b->type == ODPS_T_NULL)
        return (a->type != ODPS_T_NULL) - (b->type != ODPS_T_NULL);
    return cmp_values(a, b);
}

static bool comparable(odps_type a, odps_type b)
{
    return a == ODPS_T_NULL || b == ODPS_T_NULL || a == b || (numeric(a) && numeric(b));
}

static odps_value vnull(void)
{
    return (odps_value){0};
}

static odps_value vint(int64_t i)
{
    return (odps_value){.type = ODPS_T_BIGINT, .i = i};
}

static odps_value vdouble(double d)
{
    return (odps_value){.type = ODPS_T_DOUBLE, .d = d};
}

static odps_value vbool(bool b)
{
    return (odps_value){.type = ODPS_T_BOOLEAN, .b = b};
}

static odps_value vstr(const char *s, size_t len)
{
    return (odps_value){.type = ODPS_T_STRING, .s = s, .len = (uint32_t)len};
}

/* ---- civil time (days from 1970-01-01, proleptic Gregorian) ------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

typedef struct civil {
    int64_t y;
    unsigned mo, d, h, mi, s, ms;
} civil;

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static civil to_civil(int64_t ms)
{
    civil c;
    int64_t local = ms + TZ_MS;
    int64_t z = floor_div(local, DAY_MS);
    int64_t rem = local - z * DAY_MS;
    c.h = (unsigned)(rem / 3600000);
    c.mi = (unsigned)(rem / 60000 % 60);
    c.s = (unsigned)(rem / 1000 % 60);
    c.ms = (unsigned)(rem % 1000);
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    c.d = doy - (153 * mp + 2) / 5 + 1;
    c.mo = mp < 10 ? mp + 3 : mp - 9;
    c.y = (int64_t)yoe + era * 400 + (c.mo <= 2);
    return c;
}

static int64_t from_civil(const civil *c)
{
    return days_from_civil(c->y, c->mo, c->d) * DAY_MS + (int64_t)c->h * 3600000 +
           (int64_t)c->mi * 60000 + (int64_t)c->s * 1000 + c->ms - TZ_MS;
}

void odps_datetime_text(int64_t ms, char out[32])
{
    civil c = to_civil(ms);
    snprintf(out, 32, "%04lld-%02u-%02u %02u:%02u:%02u", (long long)c.y, c.mo, c.d, c.h, c.mi, c.s);
}

/* 'yyyy-mm-dd[ hh:mi:ss]' (or the to_date format's same fields). */
static bool parse_datetime(const char *s, size_t len, int64_t *out)
{
    civil c = {0};
    unsigned v[6] = {0};
    size_t i = 0;
    int f = 0;
    for (; f < 6 && i < len; f++) {
        size_t start = i;
        unsigned n = 0;
        while (i < len && isdigit((unsigned char)s[i]) && i - start < (f ? 2 : 4))
            n = n * 10 + (unsigned)(s[i++] - '0');
        if (i == start)
            return false;
        v[f] = n;
        if (i < len && (s[i] == '-' || s[i] == ' ' || s[i] == ':' || s[i] == 'T' || s[i] == '/'))
            i++;
    }
    if (i != len || f < 3 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
        v[4] > 59 || v[5] > 59)
        return false;
    c.y = v[0];
    c.mo = v[1];
    c.d = v[2];
    c.h = v[3];
    c.mi = v[4];
    c.s = v[5];
    *out = from_civil(&c);
    return true;
}

/* The unit of datetrunc/dateadd/datediff: 0 year, 1 month, 2 day, 3
 * hour, 4 minute, 5 second; -1 unknown. */
static int date_unit(const odps_value *v)
{
    static const struct {
        const char *name;
        int unit;
    } units[] = {{"yyyy", 0},   {"year", 0}, {"mm", 1},    {"month", 1}, {"mon", 1},
                 {"dd", 2},     {"day", 2},  {"hh", 3},    {"hour", 3},  {"mi", 4},
                 {"minute", 4}, {"ss", 5},   {"second", 5}};
    if (v->type != ODPS_T_STRING)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == v->len && strncasecmp(units[i].name, v->s, v->len) == 0)
            return units[i].unit;
    return -1;
}

static int64_t trunc_to(int64_t ms, int unit)
{
    civil c = to_civil(ms);
    c.ms = 0;
    if (unit < 5)
        c.s = 0;
    if (unit < 4)
        c.mi = 0;
    if (unit < 3)
        c.h = 0;
    if (unit < 2)
        c.d = 1;
    if (unit < 1)
        c.mo = 1;
    return from_civil(&c);
}

static int64_t add_months(int64_t ms, int64_t n)
{
    civil c = to_civil(ms);
    int64_t m = (int64_t)c.mo - 1 + n;
    c.y += floor_div(m, 12);
    c.mo = (unsigned)(m - floor_div(m, 12) * 12) + 1;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (c.y % 4 == 0 && c.y % 100 != 0) || c.y % 400 == 0;
    unsigned last = mdays[c.mo - 1] + (c.mo == 2 && leap);
    if (c.d > last)
        c.d = last;
    return from_civil(&c);
}

/* to_char(datetime, format): yyyy mm dd hh mi ss (case-insensitive), the
 * rest copied. */
static odps_value format_datetime(emu_arena *a, int64_t ms, const odps_value *fmt)
{
    civil c = to_civil(ms);
    size_t cap = (size_t)fmt->len * 2 + 8, n = 0;
    char *out = emu_arena_alloc(a, cap);
    for (uint32_t i = 0; i < fmt->len && n + 5 < cap;) {
        const char *p = fmt->s + i;
        size_t left = fmt->len - i;
        if (left >= 4 && strncasecmp(p, "yyyy", 4) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%04lld", (long long)c.y);
            i += 4;
            continue;
        }
        static const char *const two[] = {"mm", "dd", "hh", "mi", "ss"};
        unsigned vals[] = {c.mo, c.d, c.h, c.mi, c.s};
        bool done = false;
        for (int k = 0; k < 5 && !done; k++)
            if (left >= 2 && strncasecmp(p, two[k], 2) == 0) {
                n += (size_t)snprintf(out + n, cap - n, "%02u", vals[k]);
                i += 2;
                done = true;
            }
        if (!done)
            out[n++] = fmt->s[i++];
    }
    return vstr(out, n);
}

/* ---- functions ------------------------------------------------------------------------ */

typedef enum fn_id {
    F_CONCAT,
    F_SUBSTR,
    F_LENGTH,
    F_UPPER,
    F_LOWER,
    F_TRIM,
    F_LTRIM,
    F_RTRIM,
    F_REPLACE,
    F_ROUND,
    F_ABS,
    F_FLOOR,
    F_CEIL,
    F_SQRT,
    F_POW,
    F_IF,
    F_COALESCE,
    F_NVL,
    F_FROM_UNIXTIME,
    F_UNIX_TIMESTAMP,
    F_TO_CHAR,
    F_TO_DATE,
    F_DATETRUNC,
    F_DATEADD,
    F_DATEDIFF,
    F_GETDATE,
    F_YEAR,
    F_MONTH,
    F_DAY,
    F_HOUR,
    F_GREATEST,
    F_LEAST,
} fn_id;

static const struct fn {
    const char *name;
    fn_id id;
    unsigned min, max;
} FUNCS[] = {
    {"concat", F_CONCAT, 1, ODPS_MAX_COLUMNS},
    {"substr", F_SUBSTR, 2, 3},
    {"substring", F_SUBSTR, 2, 3},
    {"length", F_LENGTH, 1, 1},
    {"upper", F_UPPER, 1, 1},
    {"toupper", F_UPPER, 1, 1},
    {"lower", F_LOWER, 1, 1},
    {"tolower", F_LOWER, 1, 1},
    {"trim", F_TRIM, 1, 1},
    {"ltrim", F_LTRIM, 1, 1},
    {"rtrim", F_RTRIM, 1, 1},
    {"replace", F_REPLACE, 3, 3},
    {"round", F_ROUND, 1, 2},
    {"abs", F_ABS, 1, 1},
    {"floor", F_FLOOR, 1, 1},
    {"ceil", F_CEIL, 1, 1},
    {"ceiling", F_CEIL, 1, 1},
    {"sqrt", F_SQRT, 1, 1},
    {"pow", F_POW, 2, 2},
    {"power", F_POW, 2, 2},
    {"if", F_IF, 3, 3},
    {"coalesce", F_COALESCE, 1, ODPS_MAX_COLUMNS},
    {"nvl", F_NVL, 2, 2},
    {"from_unixtime", F_FROM_UNIXTIME, 1, 1},
    {"unix_timestamp", F_UNIX_TIMESTAMP, 1, 1},
    {"to_char", F_TO_CHAR, 1, 2},
    {"to_date", F_TO_DATE, 1, 2},
    {"datetrunc", F_DATETRUNC, 2, 2},
    {"dateadd", F_DATEADD, 3, 3},
    {"datediff", F_DATEDIFF, 2, 3},
    {"getdate", F_GETDATE, 0, 0},
    {"year", F_YEAR, 1, 1},
    {"month", F_MONTH, 1, 1},
    {"day", F_DAY, 1, 1},
    {"hour", F_HOUR, 1, 1},
    {"greatest", F_GREATEST, 1, ODPS_MAX_COLUMNS},
    {"least", F_LEAST, 1, ODPS_MAX_COLUMNS},
};

static const char FUNC_LIST[] =
    "concat, substr, length, upper, lower, trim, ltrim, rtrim, replace, round, abs, floor, "
    "ceil, sqrt, pow, if, coalesce, nvl, from_unixtime, unix_timestamp, to_char, to_date, "
    "datetrunc, dateadd, datediff, getdate, year, month, day, hour, greatest, least";

/* ---- semantic analysis ------------------------------------------------------------------- */

typedef struct rel {
    size_t n_cols, n_rows;
    const char **quals, **names;
    odps_type *types;
    odps_value *v; /* n_rows * n_cols */
} rel;

typedef struct scope {
    const rel *in;
    odps_expr **aggs; /* accumulator slots */
    size_t n_aggs, cap_aggs;
    bool allow_agg, in_agg;
    emu_arena *a;
    emu_err *err;
} scope;

#define SEM(e, ...) odps__semantic_error(sc->err, (e)->line, (e)->col, __VA_ARGS__)

static const char *const cmp_text[] = {"=", "!=", "<", "<=", ">", ">="};
static const char *const agg_text[] = {"count", "sum", "avg", "min", "max"};

static emu_rc resolve(scope *sc, odps_expr *e);

/* The common type of CASE/IF/COALESCE branches. */
static emu_rc unify(scope *sc, const odps_expr *at, odps_type *acc, odps_type t, const char *what)
{
    if (t == ODPS_T_NULL || *acc == t)
        return EMU_OK;
    if (*acc == ODPS_T_NULL) {
        *acc = t;
        return EMU_OK;
    }
    if (numeric(*acc) && numeric(t)) {
        *acc = ODPS_T_DOUBLE;
        return EMU_OK;
    }
    return SEM(at, "%s has values of types %s and %s", what, odps_type_name(*acc),
               odps_type_name(t));
}

static emu_rc want(scope *sc, const odps_expr *arg, bool ok, const char *fn, const char *what)
{
    if (ok || arg->type == ODPS_T_NULL)
        return EMU_OK;
    return SEM(arg, "function %s needs %s, not %s", fn, what, odps_type_name(arg->type));
}

static emu_rc resolve_func(scope *sc, odps_expr *e)
{
    const struct fn *f = NULL;
    for (size_t i = 0; i < sizeof FUNCS / sizeof FUNCS[0] && !f; i++)
        if (strcmp(FUNCS[i].name, e->name) == 0)
            f = &FUNCS[i];
    if (!f)
        return SEM(e, "function %s is not supported by acsemu's SQL subset (functions: %s)",
                   e->name, FUNC_LIST);
    if (e->n_args < f->min || e->n_args > f->max)
        return SEM(e, "function %s takes %u%s%s argument%s, not %zu", e->name, f->min,
                   f->max == f->min ? "" : " to ",
                   f->max == f->min             ? ""
                   : f->max == ODPS_MAX_COLUMNS ? "n"
                                                : emu_arena_sprintf(sc->a, "%u", f->max),
                   f->max == 1 ? "" : "s", e->n_args);
    emu_rc rc;
    for (size_t i = 0; i < e->n_args; i++)
        if ((rc = resolve(sc, e->args[i])))
            return rc;
    e->index = (int)f->id;
    odps_expr **x = e->args;
    odps_type t0 = e->n_args ? x[0]->type : ODPS_T_NULL;
    switch (f->id) {
    case F_CONCAT:
        e->type = ODPS_T_STRING;
        return EMU_OK;
    case F_SUBSTR:
        if ((rc = want(sc, x[0], t0 == ODPS_T_STRING, e->name, "a STRING")) ||
            (rc = want(sc, x[1], x[1]->type == ODPS_T_BIGINT, e->name, "a BIGINT start")) ||
            (e->n_args == 3 &&
             (rc = want(sc, x[2], x[2]->type == ODPS_T_BIGINT, e->name, "a BIGINT length"))))
            return rc;
        e->type = ODPS_T_STRING;
        return EMU_OK;
    case F_LENGTH:
        e->type = ODPS_T_BIGINT;
        return want(sc, x[0], t0 == ODPS_T_STRING, e->name, "a STRING");
    case F_UPPER:
    case F_LOWER:
    case F_TRIM:
    case F_LTRIM:
    case F_RTRIM:
    case F_REPLACE:
        e->type = ODPS_T_STRING;
        for (size_t i = 0; i < e->n_args; i++)
            if ((rc = want(sc, x[i], x[i]->type == ODPS_T_STRING, e->name, "STRING arguments")))
                return rc;
        return EMU_OK;
    case F_ROUND:
        if (e->n_args == 2 &&
            (rc = want(sc, x[1], x[1]->type == ODPS_T_BIGINT, e->name, "a BIGINT precision")))
            return rc;
        e->type = t0 == ODPS_T_BIGINT ? ODPS_T_BIGINT : ODPS_T_DOUBLE;
        return want(sc, x[0], numeric(t0), e->name, "a number");
    case F_ABS:
        e->type = t0 == ODPS_T_BIGINT ? ODPS_T_BIGINT : ODPS_T_DOUBLE;
        return want(sc, x[0], numeric(t0), e->name, "a number");
    case F_FLOOR:
    case F_CEIL:
        e->type = ODPS_T_BIGINT;
        return want(sc, x[0], numeric(t0), e->name, "a number");
    case F_SQRT:
    case F_POW:
        e->type = ODPS_T_DOUBLE;
        for (size_t i = 0; i < e->n_args; i++)
            if ((rc = want(sc, x[i], numeric(x[i]->type), e->name, "numbers")))
                return rc;
        return EMU_OK;
    case F_IF:
        if ((rc = want(sc, x[0], t0 == ODPS_T_BOOLEAN, e->name, "a BOOLEAN condition")))
            return rc;
        e->type = ODPS_T_NULL;
        if ((rc = unify(sc, e, &e->type, x[1]->type, "IF")) ||
            (rc = unify(sc, e, &e->type, x[2]->type, "IF")))
            return rc;
        return EMU_OK;
    case F_COALESCE:
    case F_NVL:
    case F_GREATEST:
    case F_LEAST:
        e->type = ODPS_T_NULL;
        for (size_t i = 0; i < e->n_args; i++)
            if ((rc = unify(sc, e, &e->type, x[i]->type, e->name)))
                return rc;
        return EMU_OK;
    case F_FROM_UNIXTIME:
        e->type = ODPS_T_DATETIME;
        return want(sc, x[0], numeric(t0), e->name, "seconds as a number");
    case F_UNIX_TIMESTAMP:
    case F_YEAR:
    case F_MONTH:
    case F_DAY:
    case F_HOUR:
        e->type = ODPS_T_BIGINT;
        return want(sc, x[0], t0 == ODPS_T_DATETIME || t0 == ODPS_T_STRING, e->name, "a DATETIME");
    case F_TO_CHAR:
        e->type = ODPS_T_STRING;
        if (e->n_args == 2)
            return want(sc, x[1], x[1]->type == ODPS_T_STRING, e->name, "a STRING format");
        return EMU_OK;
    case F_TO_DATE:
        e->type = ODPS_T_DATETIME;
        return want(sc, x[0], t0 == ODPS_T_STRING, e->name, "a STRING");
    case F_DATETRUNC:
    case F_DATEADD:
    case F_DATEDIFF:
        e->type = f->id == F_DATEDIFF ? ODPS_T_BIGINT : ODPS_T_DATETIME;
        if ((rc = want(sc, x[0], t0 == ODPS_T_DATETIME || t0 == ODPS_T_STRING, e->name,
                       "a DATETIME")))
            return rc;
        if (f->id == F_DATEADD &&
            (rc = want(sc, x[1], x[1]->type == ODPS_T_BIGINT, e->name, "a BIGINT delta")))
            return rc;
        if (f->id == F_DATEDIFF &&
            (rc = want(sc, x[1], x[1]->type == ODPS_T_DATETIME || x[1]->type == ODPS_T_STRING,
                       e->name, "DATETIME arguments")))
            return rc;
        {
            odps_expr *u = x[e->n_args - 1];
            if (f->id == F_DATEDIFF && e->n_args == 2)
                return EMU_OK; /* days */
            if (u->kind != ODPS_X_LITERAL || date_unit(&u->lit) < 0)
                return SEM(u,
                           "function %s needs a unit literal: 'yyyy', 'mm', 'dd', 'hh', "
                           "'mi' or 'ss'",
                           e->name);
        }
        return EMU_OK;
    case F_GETDATE:
        e->type = ODPS_T_DATETIME;
        return EMU_OK;
    }
    return EMU_OK;
}

static emu_rc resolve_column(scope *sc, odps_expr *e)
{
    const rel *in = sc->in;
    int found = -1;
    for (size_t i = 0; i < in->n_cols; i++) {
        if (strcmp(in->names[i], e->name) != 0 ||
            (e->qual && (!in->quals[i] || strcmp(in->quals[i], e->qual) != 0)))
            continue;
        if (found >= 0)
            return SEM(e, "column reference %s is ambiguous: qualify it with a table alias",
                       e->name);
        found = (int)i;
    }
    if (found < 0) {
        if (e->qual)
            return SEM(e, "column %s.%s cannot be resolved", e->qual, e->name);
        return SEM(e, "column %s cannot be resolved", e->name);
    }
    e->index = found;
    e->type = in->types[found];
    return EMU_OK;
}

static emu_rc resolve(scope *sc, odps_expr *e)
{
    emu_rc rc;
    switch (e->kind) {
    case ODPS_X_COLUMN:
        return resolve_column(sc, e);
    case ODPS_X_LITERAL:
        e->type = e->lit.type;
        return EMU_OK;
    case ODPS_X_CMP:
        if ((rc = resolve(sc, e->l)) || (rc = resolve(sc, e->r)))
            return rc;
        if (!comparable(e->l->type, e->r->type))
            return SEM(e, "invalid operand types %s and %s for '%s'", odps_type_name(e->l->type),
                       odps_type_name(e->r->type), cmp_text[e->cmp]);
        e->type = ODPS_T_BOOLEAN;
        return EMU_OK;
    case ODPS_X_AND:
    case ODPS_X_OR:
    case ODPS_X_NOT:
        if ((rc = resolve(sc, e->l)) || (e->r && (rc = resolve(sc, e->r))))
            return rc;
        if ((e->l->type != ODPS_T_BOOLEAN && e->l->type != ODPS_T_NULL) ||
            (e->r && e->r->type != ODPS_T_BOOLEAN && e->r->type != ODPS_T_NULL))
            return SEM(e, "%s needs BOOLEAN operands",
                       e->kind == ODPS_X_AND  ? "AND"
                       : e->kind == ODPS_X_OR ? "OR"
                                              : "NOT");
        e->type = ODPS_T_BOOLEAN;
        return EMU_OK;
    case ODPS_X_ISNULL:
        if ((rc = resolve(sc, e->l)))
            return rc;
        e->type = ODPS_T_BOOLEAN;
        return EMU_OK;
    case ODPS_X_ARITH:
        if ((rc = resolve(sc, e->l)) || (rc = resolve(sc, e->r)))
            return rc;
        if ((!numeric(e->l->type) && e->l->type != ODPS_T_NULL) ||
            (!numeric(e->r->type) && e->r->type != ODPS_T_NULL))
            return SEM(e, "invalid operand types %s and %s for '%c'", odps_type_name(e->l->type),
                       odps_type_name(e->r->type), e->arith);
        e->type = e->arith != '/' && e->l->type != ODPS_T_DOUBLE && e->r->type != ODPS_T_DOUBLE
                      ? ODPS_T_BIGINT
                      : ODPS_T_DOUBLE;
        return EMU_OK;
    case ODPS_X_NEG:
        if ((rc = resolve(sc, e->l)))
            return rc;
        if (!numeric(e->l->type) && e->l->type != ODPS_T_NULL)
            return SEM(e, "invalid operand type %s for unary '-'", odps_type_name(e->l->type));
        e->type = e->l->type == ODPS_T_DOUBLE ? ODPS_T_DOUBLE : ODPS_T_BIGINT;
        return EMU_OK;
    case ODPS_X_IN:
    case ODPS_X_BETWEEN:
        if ((rc = resolve(sc, e->l)))
            return rc;
        for (size_t i = 0; i < e->n_args; i++) {
            if ((rc = resolve(sc, e->args[i])))
                return rc;
            if (!comparable(e->l->type, e->args[i]->type))
                return SEM(e->args[i], "invalid operand types %s and %s for %s",
                           odps_type_name(e->l->type), odps_type_name(e->args[i]->type),
                           e->kind == ODPS_X_IN ? "IN" : "BETWEEN");
        }
        e->type = ODPS_T_BOOLEAN;
        return EMU_OK;
    case ODPS_X_LIKE:
        if ((rc = resolve(sc, e->l)) || (rc = resolve(sc, e->r)))
            return rc;
        if ((e->l->type != ODPS_T_STRING && e->l->type != ODPS_T_NULL) ||
            (e->r->type != ODPS_T_STRING && e->r->type != ODPS_T_NULL))
            return SEM(e, "LIKE needs STRING operands, not %s and %s", odps_type_name(e->l->type),
                       odps_type_name(e->r->type));
        e->type = ODPS_T_BOOLEAN;
        return EMU_OK;
    case ODPS_X_CASE:
        if (e->l && (rc = resolve(sc, e->l)))
            return rc;
        e->type = ODPS_T_NULL;
        for (size_t i = 0; i < e->n_args; i += 2) {
            odps_expr *w = e->args[i];
            if ((rc = resolve(sc, w)) || (rc = resolve(sc, e->args[i + 1])))
                return rc;
            if (e->l ? !comparable(e->l->type, w->type)
                     : w->type != ODPS_T_BOOLEAN && w->type != ODPS_T_NULL)
                return SEM(w, "WHEN of CASE %s, not %s",
                           e->l ? "must compare with the CASE operand" : "needs a BOOLEAN",
                           odps_type_name(w->type));
            if ((rc = unify(sc, e, &e->type, e->args[i + 1]->type, "CASE")))
                return rc;
        }
        if (e->r && ((rc = resolve(sc, e->r)) || (rc = unify(sc, e, &e->type, e->r->type, "CASE"))))
            return rc;
        return EMU_OK;
    case ODPS_X_CAST:
        if ((rc = resolve(sc, e->l)))
            return rc;
        e->type = e->cast_to;
        return EMU_OK;
    case ODPS_X_FUNC:
        return resolve_func(sc, e);
    case ODPS_X_AGG:
        if (!sc->allow_agg)
            return SEM(e, "aggregate function %s is not allowed here", agg_text[e->agg]);
        if (sc->in_agg)
            return SEM(e, "aggregate function %s cannot be nested in another aggregate",
                       agg_text[e->agg]);
        if (e->l) {
            sc->in_agg = true;
            rc = resolve(sc, e->l);
            sc->in_agg = false;
            if (rc)
                return rc;
        }
        if ((e->agg == ODPS_SUM || e->agg == ODPS_AVG) && !numeric(e->l->type) &&
            e->l->type != ODPS_T_NULL)
            return SEM(e, "function %s cannot take a %s argument", agg_text[e->agg],
                       odps_type_name(e->l->type));
        e->type = e->agg == ODPS_COUNT ? ODPS_T_BIGINT
                  : e->agg == ODPS_AVG ? ODPS_T_DOUBLE
                                       : e->l->type;
        if (e->type == ODPS_T_NULL)
            e->type = ODPS_T_DOUBLE;
        if (sc->n_aggs == sc->cap_aggs) {
            sc->cap_aggs = sc->cap_aggs ? sc->cap_aggs * 2 : 8;
            odps_expr **g = emu_arena_alloc(sc->a, sc->cap_aggs * sizeof *g);
            if (sc->n_aggs)
                memcpy(g, sc->aggs, sc->n_aggs * sizeof *g);
            sc->aggs = g;
        }
        e->index = (int)sc->n_aggs;
        sc->aggs[sc->n_aggs++] = e;
        return EMU_OK;
    }
    return EMU_OK;
}

/* ---- evaluation ------------------------------------------------------------------------ */

typedef struct ectx {
    const odps_value *row;
    const odps_value *aggv; /* the group's aggregate results */
    emu_arena *a;
    int64_t now_ms;
} ectx;

static odps_value ev(const odps_expr *e, const ectx *c);

static bool truth(const odps_value *v, bool *isnull)
{
    *isnull = v->type == ODPS_T_NULL;
    return !*isnull && v->b;
}

/* LIKE with % and _ ('\' escapes the next character), bytewise. */
static bool like(const char *s, size_t n, const char *p, size_t m)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < n) {
        if (pi < m && p[pi] == '\\' && pi + 1 < m && p[pi + 1] == s[si]) {
            pi += 2;
            si++;
        } else if (pi < m && p[pi] == '%') {
            star_p = ++pi;
            star_s = si;
        } else if (pi < m && (p[pi] == '_' || (p[pi] == s[si] && p[pi] != '\\'))) {
            pi++;
            si++;
        } else if (star_p != (size_t)-1) {
            pi = star_p;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < m && p[pi] == '%')
        pi++;
    return pi == m;
}

/* The text of a value, as CAST(x AS STRING) and concat() give it. */
static odps_value text_of(emu_arena *a, const odps_value *v)
{
    if (v->type == ODPS_T_STRING || v->type == ODPS_T_NULL)
        return *v;
    if (v->type == ODPS_T_BINARY)
        return vstr(v->s, v->len);
    emu_buf b;
    emu_buf_init(&b, 64);
    odps_csv_value(&b, v);
    char *s = emu_arena_strndup(a, b.p ? b.p : "", b.len);
    size_t n = b.len;
    emu_buf_dispose(&b);
    return vstr(s, n);
}

static odps_value cast_to(emu_arena *a, odps_value v, odps_type t)
{
    if (v.type == ODPS_T_NULL || v.type == t)
        return v;
    char buf[64];
    switch (t) {
    case ODPS_T_STRING:
        return text_of(a, &v);
    case ODPS_T_BIGINT:
        if (v.type == ODPS_T_DOUBLE)
            return isfinite(v.d) && fabs(v.d) < 9.2e18 ? vint((int64_t)v.d) : vnull();
        if (v.type == ODPS_T_BOOLEAN)
            return vint(v.b);
        if (v.type == ODPS_T_DATETIME)
            return vint(v.i);
        if (v.type == ODPS_T_STRING && v.len && v.len < sizeof buf) {
            memcpy(buf, v.s, v.len);
            buf[v.len] = '\0';
            char *end;
            long long n = strtoll(buf, &end, 10);
            if (*end == '\0')
                return vint(n);
            double d = strtod(buf, &end);
            if (*end == '\0' && isfinite(d) && fabs(d) < 9.2e18)
                return vint((int64_t)d);
        }
        return vnull();
    case ODPS_T_DOUBLE:
        if (v.type == ODPS_T_BIGINT)
            return vdouble((double)v.i);
        if (v.type == ODPS_T_BOOLEAN)
            return vdouble(v.b);
        if (v.type == ODPS_T_STRING && v.len && v.len < sizeof buf) {
            memcpy(buf, v.s, v.len);
            buf[v.len] = '\0';
            char *end;
            double d = strtod(buf, &end);
            if (*end == '\0')
                return vdouble(d);
        }
        return vnull();
    case ODPS_T_BOOLEAN:
        if (numeric(v.type))
            return vbool(as_double(&v) != 0);
        if (v.type == ODPS_T_STRING)
            return v.len == 4 && strncasecmp(v.s, "true", 4) == 0    ? vbool(true)
                   : v.len == 5 && strncasecmp(v.s, "false", 5) == 0 ? vbool(false)
                                                                     : vnull();
        return vnull();
    case ODPS_T_DATETIME: {
        int64_t ms;
        if (v.type == ODPS_T_STRING && parse_datetime(v.s, v.len, &ms))
            return (odps_value){.type = ODPS_T_DATETIME, .i = ms};
        if (v.type == ODPS_T_BIGINT)
            return (odps_value){.type = ODPS_T_DATETIME, .i = v.i};
        return vnull();
    }
    case ODPS_T_BINARY:
        if (v.type == ODPS_T_STRING)
            return (odps_value){.type = ODPS_T_BINARY, .s = v.s, .len = v.len};
        return vnull();
    default:
        return vnull();
    }
}

static bool as_datetime(const odps_value *v, int64_t *ms)
{
    if (v->type == ODPS_T_DATETIME) {
        *ms = v->i;
        return true;
    }
    return v->type == ODPS_T_STRING && parse_datetime(v->s, v->len, ms);
}

static odps_value arith(char op, odps_value l, odps_value r)
{
    if (l.type == ODPS_T_NULL || r.type == ODPS_T_NULL)
        return vnull();
    if (op != '/' && l.type == ODPS_T_BIGINT && r.type == ODPS_T_BIGINT) {
        uint64_t a = (uint64_t)l.i, b = (uint64_t)r.i;
        switch (op) {
        case '+':
            return vint((int64_t)(a + b));
        case '-':
            return vint((int64_t)(a - b));
        case '*':
            return vint((int64_t)(a * b));
        default: /* '%' */
            if (!r.i)
                return vnull();
            return vint(r.i == -1 ? 0 : l.i % r.i);
        }
    }
    double x = as_double(&l), y = as_double(&r);
    switch (op) {
    case '+':
        return vdouble(x + y);
    case '-':
        return vdouble(x - y);
    case '*':
        return vdouble(x * y);
    case '/':
        return y == 0 ? vnull() : vdouble(x / y);
    default:
        return y == 0 ? vnull() : vdouble(fmod(x, y));
    }
}

static odps_value trim(const odps_value *v, bool left, bool right)
{
    size_t b = 0, e = v->len;
    while (left && b < e && isspace((unsigned char)v->s[b]))
        b++;
    while (right && e > b && isspace((unsigned char)v->s[e - 1]))
        e--;
    return vstr(v->s + b, e - b);
}

static odps_value call(const odps_expr *e, const ectx *c)
{
    odps_value a[3] = {{0}};
    for (size_t i = 0; i < e->n_args && i < 3; i++)
        a[i] = ev(e->args[i], c);
    fn_id id = (fn_id)e->index;
    /* Functions that look at NULLs themselves. */
    switch (id) {
    case F_IF: {
        bool isnull;
        return cast_to(c->a, truth(&a[0], &isnull) ? a[1] : a[2], e->type);
    }
    case F_COALESCE:
    case F_NVL:
        for (size_t i = 0; i < e->n_args; i++) {
            odps_value v = i < 3 ? a[i] : ev(e->args[i], c);
            if (v.type != ODPS_T_NULL)
                return cast_to(c->a, v, e->type);
        }
        return vnull();
    case F_GREATEST:
    case F_LEAST: {
        odps_value best = vnull();
        for (size_t i = 0; i < e->n_args; i++) {
            odps_value v = i < 3 ? a[i] : ev(e->args[i], c);
            if (v.type == ODPS_T_NULL)
                return vnull();
            if (i == 0 ||
                (id == F_GREATEST ? cmp_values(&v, &best) > 0 : cmp_values(&v, &best) < 0))
                best = v;
        }
        return cast_to(c->a, best, e->type);
    }
    case F_CONCAT: {
        size_t total = 0;
        odps_value *parts = emu_arena_alloc(c->a, e->n_args * sizeof *parts);
        for (size_t i = 0; i < e->n_args; i++) {
            odps_value v = i < 3 ? a[i] : ev(e->args[i], c);
            if (v.type == ODPS_T_NULL)
                return vnull();
            parts[i] = text_of(c->a, &v);
            total += parts[i].len;
        }
        char *s = emu_arena_alloc(c->a, total + 1);
        size_t n = 0;
        for (size_t i = 0; i < e->n_args; i++) {
            if (parts[i].len)
                memcpy(s + n, parts[i].s, parts[i].len);
            n += parts[i].len;
        }
        return vstr(s, n);
    }
    case F_GETDATE:
        return (odps_value){.type = ODPS_T_DATETIME, .i = c->now_ms};
    default:
        break;
    }
    for (size_t i = 0; i < e->n_args && i < 3; i++)
        if (a[i].type == ODPS_T_NULL)
            return vnull();
    int64_t ms, ms2;
    switch (id) {
    case F_SUBSTR: {
        int64_t len = a[0].len, start = a[1].i;
        int64_t from = start > 0 ? start - 1 : start < 0 ? len + start : 0;
        if (from < 0)
            from = 0;
        if (from > len)
            from = len;
        int64_t n = e->n_args == 3 ? a[2].i : len - from;
        if (n < 0)
            n = 0;
        if (n > len - from)
            n = len - from;
        return vstr(a[0].s + from, (size_t)n);
    }
    case F_LENGTH:
        return vint(a[0].len);
    case F_UPPER:
    case F_LOWER: {
        char *s = emu_arena_alloc(c->a, a[0].len + 1);
        for (uint32_t i = 0; i < a[0].len; i++)
            s[i] = (char)(id == F_UPPER ? toupper((unsigned char)a[0].s[i])
                                        : tolower((unsigned char)a[0].s[i]));
        return vstr(s, a[0].len);
    }
    case F_TRIM:
        return trim(&a[0], true, true);
    case F_LTRIM:
        return trim(&a[0], true, false);
    case F_RTRIM:
        return trim(&a[0], false, true);
    case F_REPLACE: {
        if (!a[1].len)
            return a[0];
        emu_buf b;
        emu_buf_init(&b, EMU_MAX_BODY_BYTES);
        for (uint32_t i = 0; i < a[0].len;) {
            if (i + a[1].len <= a[0].len && memcmp(a[0].s + i, a[1].s, a[1].len) == 0) {
                emu_buf_append(&b, a[2].s, a[2].len);
                i += a[1].len;
            } else {
                emu_buf_putc(&b, a[0].s[i++]);
            }
        }
        odps_value v = vstr(emu_arena_strndup(c->a, b.p ? b.p : "", b.len), b.len);
        emu_buf_dispose(&b);
        return v;
    }
    case F_ROUND: {
        int64_t d = e->n_args == 2 ? a[1].i : 0;
        if (a[0].type == ODPS_T_BIGINT)
            return a[0];
        if (d > 15 || d < -15)
            return d > 0 ? a[0] : vdouble(0);
        double scale = pow(10.0, (double)d);
        return vdouble(round(a[0].d * scale) / scale);
    }
    case F_ABS:
        return a[0].type == ODPS_T_BIGINT
                   ? vint(a[0].i < 0 ? (int64_t)(0 - (uint64_t)a[0].i) : a[0].i)
                   : vdouble(fabs(a[0].d));
    case F_FLOOR:
    case F_CEIL: {
        if (a[0].type == ODPS_T_BIGINT)
            return a[0];
        double d = id == F_FLOOR ? floor(a[0].d) : ceil(a[0].d);
        return isfinite(d) && fabs(d) < 9.2e18 ? vint((int64_t)d) : vnull();
    }
    case F_SQRT:
        return as_double(&a[0]) < 0 ? vnull() : vdouble(sqrt(as_double(&a[0])));
    case F_POW:
        return vdouble(pow(as_double(&a[0]), as_double(&a[1])));
    case F_FROM_UNIXTIME: {
        double s = as_double(&a[0]);
        if (!isfinite(s) || fabs(s) > 2.5e14)
            return vnull();
        return (odps_value){.type = ODPS_T_DATETIME, .i = (int64_t)s * 1000};
    }
    case F_UNIX_TIMESTAMP:
        return as_datetime(&a[0], &ms) ? vint(floor_div(ms, 1000)) : vnull();
    case F_YEAR:
    case F_MONTH:
    case F_DAY:
    case F_HOUR: {
        if (!as_datetime(&a[0], &ms))
            return vnull();
        civil t = to_civil(ms);
        return vint(id == F_YEAR ? t.y : id == F_MONTH ? t.mo : id == F_DAY ? t.d : t.h);
    }
    case F_TO_CHAR:
        if (a[0].type == ODPS_T_DATETIME && e->n_args == 2)
            return format_datetime(c->a, a[0].i, &a[1]);
        return text_of(c->a, &a[0]);
    case F_TO_DATE:
        return parse_datetime(a[0].s, a[0].len, &ms)
                   ? (odps_value){.type = ODPS_T_DATETIME, .i = ms}
                   : vnull();
    case F_DATETRUNC:
        return as_datetime(&a[0], &ms)
                   ? (odps_value){.type = ODPS_T_DATETIME, .i = trunc_to(ms, date_unit(&a[1]))}
                   : vnull();
    case F_DATEADD: {
        if (!as_datetime(&a[0], &ms))
            return vnull();
        int u = date_unit(&a[2]);
        static const int64_t unit_ms[] = {0, 0, DAY_MS, 3600000, 60000, 1000};
        int64_t r = u <= 1 ? add_months(ms, u == 0 ? a[1].i * 12 : a[1].i)
                           : (int64_t)((uint64_t)ms + (uint64_t)a[1].i * (uint64_t)unit_ms[u]);
        return (odps_value){.type = ODPS_T_DATETIME, .i = r};
    }
    case F_DATEDIFF: {
        if (!as_datetime(&a[0], &ms) || !as_datetime(&a[1], &ms2))
            return vnull();
        int u = e->n_args == 3 ? date_unit(&a[2]) : 2;
        if (u <= 1) {
            civil x = to_civil(ms), y = to_civil(ms2);
            int64_t months = (x.y - y.y) * 12 + (int64_t)x.mo - (int64_t)y.mo;
            return vint(u == 0 ? x.y - y.y : months);
        }
        static const int64_t unit_ms[] = {0, 0, DAY_MS, 3600000, 60000, 1000};
        return vint(floor_div(trunc_to(ms, u), unit_ms[u]) -
                    floor_div(trunc_to(ms2, u), unit_ms[u]));
    }
    default:
        return vnull();
    }
}

static odps_value ev(const odps_expr *e, const ectx *c)
{
    bool ln, rn;
    switch (e->kind) {
    case ODPS_X_COLUMN:
        return c->row[e->index];
    case ODPS_X_LITERAL:
        return e->lit;
    case ODPS_X_AGG:
        return c->aggv[e->index];
    case ODPS_X_CMP: {
        odps_value l = ev(e->l, c), r = ev(e->r, c);
        if (l.type == ODPS_T_NULL || r.type == ODPS_T_NULL)
            return vnull();
        int k = cmp_values(&l, &r);
        static const int want_lt[] = {0, 1, 1, 1, 0, 0}, want_eq[] = {1, 0, 0, 1, 0, 1},
                         want_gt[] = {0, 1, 0, 0, 1, 1};
        return vbool(k < 0 ? want_lt[e->cmp] : k == 0 ? want_eq[e->cmp] : want_gt[e->cmp]);
    }
    case ODPS_X_AND: {
        odps_value l = ev(e->l, c);
        bool lv = truth(&l, &ln);
        if (!ln && !lv)
            return vbool(false);
        odps_value r = ev(e->r, c);
        bool rv = truth(&r, &rn);
        if (!rn && !rv)
            return vbool(false);
        return ln || rn ? vnull() : vbool(true);
    }
    case ODPS_X_OR: {
        odps_value l = ev(e->l, c);
        if (truth(&l, &ln))
            return vbool(true);
        odps_value r = ev(e->r, c);
        if (truth(&r, &rn))
            return vbool(true);
        return ln || rn ? vnull() : vbool(false);
    }
    case ODPS_X_NOT: {
        odps_value l = ev(e->l, c);
        bool v = truth(&l, &ln);
        return ln ? vnull() : vbool(!v);
    }
    case ODPS_X_ISNULL:
        return vbool((ev(e->l, c).type == ODPS_T_NULL) != e->negated);
    case ODPS_X_ARITH:
        return arith(e->arith, ev(e->l, c), ev(e->r, c));
    case ODPS_X_NEG: {
        odps_value v = ev(e->l, c);
        if (v.type == ODPS_T_BIGINT)
            return vint((int64_t)(0 - (uint64_t)v.i));
        if (v.type == ODPS_T_DOUBLE)
            return vdouble(-v.d);
        return vnull();
    }
    case ODPS_X_IN: {
        odps_value l = ev(e->l, c);
        if (l.type == ODPS_T_NULL)
            return vnull();
        bool saw_null = false;
        for (size_t i = 0; i < e->n_args; i++) {
            odps_value v = ev(e->args[i], c);
            if (v.type == ODPS_T_NULL)
                saw_null = true;
            else if (cmp_values(&l, &v) == 0)
                return vbool(!e->negated);
        }
        return saw_null ? vnull() : vbool(e->negated);
    }
    case ODPS_X_BETWEEN: {
        odps_value l = ev(e->l, c), lo = ev(e->args[0], c), hi = ev(e->args[1], c);
        if (l.type == ODPS_T_NULL || lo.type == ODPS_T_NULL || hi.type == ODPS_T_NULL)
            return vnull();
        bool in = cmp_values(&l, &lo) >= 0 && cmp_values(&l, &hi) <= 0;
        return vbool(in != e->negated);
    }
    case ODPS_X_LIKE: {
        odps_value l = ev(e->l, c), r = ev(e->r, c);
        if (l.type == ODPS_T_NULL || r.type == ODPS_T_NULL)
            return vnull();
        return vbool(like(l.s, l.len, r.s, r.len) != e->negated);
    }
    case ODPS_X_CASE: {
        odps_value op = e->l ? ev(e->l, c) : vnull();
        for (size_t i = 0; i < e->n_args; i += 2) {
            odps_value w = ev(e->args[i], c);
            bool hit =
                e->l ? op.type != ODPS_T_NULL && w.type != ODPS_T_NULL && cmp_values(&op, &w) == 0
                     : truth(&w, &ln);
            if (hit)
                return cast_to(c->a, ev(e->args[i + 1], c), e->type);
        }
        return e->r ? cast_to(c->a, ev(e->r, c), e->type) : vnull();
    }
    case ODPS_X_CAST:
        return cast_to(c->a, ev(e->l, c), e->cast_to);
    case ODPS_X_FUNC:
        return call(e, c);
    }
    return vnull();
}

static bool where_true(const odps_expr *e, const ectx *c)
{
    odps_value v = ev(e, c);
    return v.type == ODPS_T_BOOLEAN && v.b;
}

/* ---- aggregates --------------------------------------------------------------------------- */

typedef struct acc {
    int64_t count;
    int64_t isum;
    double dsum;
    odps_value best;
} acc;

static void acc_add(const odps_expr *agg, acc *c, const odps_value *v)
{
    if (!agg->l) { /* count(*) */
        c->count++;
        return;
    }
    if (v->type == ODPS_T_NULL)
        return;
    c->count++;
    switch (agg->agg) {
    case ODPS_SUM:
    case ODPS_AVG:
        if (v->type == ODPS_T_BIGINT) {
            c->isum = (int64_t)((uint64_t)c->isum + (uint64_t)v->i); /* wraps, no UB */
            c->dsum += (double)v->i;
        } else {
            c->dsum += v->d;
        }
        break;
    case ODPS_MIN:
    case ODPS_MAX:
        if (c->count == 1 ||
            (agg->agg == ODPS_MIN ? cmp_values(v, &c->best) < 0 : cmp_values(v, &c->best) > 0))
            c->best = *v;
        break;
    default:
        break;
    }
}

static odps_value acc_result(const odps_expr *agg, const acc *c)
{
    if (agg->agg == ODPS_COUNT)
        return vint(c->count);
    if (!c->count)
        return vnull();
    switch (agg->agg) {
    case ODPS_SUM:
        return agg->type == ODPS_T_BIGINT ? vint(c->isum) : vdouble(c->dsum);
    case ODPS_AVG:
        return vdouble(c->dsum / (double)c->count);
    default:
        return c->best;
    }
}

static int cmp_value_ptrs(const void *x, const void *y)
{
    return cmp_nullable(x, y);
}

/* ---- sorting row indexes (qsort context: the loop is single-threaded) ---------------------- */

static const odps_value *sort_rows;
static size_t sort_width;
static const size_t *sort_cols;
static const bool *sort_desc;
static size_t sort_n;

static int cmp_idx(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    for (size_t k = 0; k < sort_n; k++) {
        int c = cmp_nullable(&sort_rows[a * sort_width + sort_cols[k]],
                             &sort_rows[b * sort_width + sort_cols[k]]);
        if (c)
            return sort_desc && sort_desc[k] ? -c : c;
    }
    return (a > b) - (a < b); /* stable */
}

static void sort_index(size_t *idx, size_t n, const odps_value *rows, size_t width,
                       const size_t *cols, const bool *desc, size_t n_cols)
{
    sort_rows = rows;
    sort_width = width;
    sort_cols = cols;
    sort_desc = desc;
    sort_n = n_cols;
    if (n > 1)
        qsort(idx, n, sizeof *idx, cmp_idx);
}

/* ---- group validity ------------------------------------------------------------------------ */

static bool expr_equal(const odps_expr *a, const odps_expr *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->n_args != b->n_args)
        return false;
    switch (a->kind) {
    case ODPS_X_COLUMN:
        return a->index == b->index;
    case ODPS_X_LITERAL:
        return a->lit.type == b->lit.type &&
               (a->lit.type == ODPS_T_NULL || cmp_values(&a->lit, &b->lit) == 0);
    case ODPS_X_FUNC:
        if (a->index != b->index)
            return false;
        break;
    default:
        if (a->cmp != b->cmp || a->agg != b->agg || a->arith != b->arith ||
            a->negated != b->negated || a->distinct != b->distinct || a->cast_to != b->cast_to)
            return false;
    }
    for (size_t i = 0; i < a->n_args; i++)
        if (!expr_equal(a->args[i], b->args[i]))
            return false;
    return expr_equal(a->l, b->l) && expr_equal(a->r, b->r);
}

/* In an aggregate query, `e` uses columns only inside aggregates or as
 * GROUP BY keys; the first offending column in *bad. */
static bool group_valid(const odps_expr *e, odps_expr *const *keys, size_t n_keys,
                        const odps_expr **bad)
{
    if (!e || e->kind == ODPS_X_LITERAL || e->kind == ODPS_X_AGG)
        return true;
    for (size_t k = 0; k < n_keys; k++)
        if (expr_equal(e, keys[k]))
            return true;
    if (e->kind == ODPS_X_COLUMN) {
        *bad = e;
        return false;
    }
    for (size_t i = 0; i < e->n_args; i++)
        if (!group_valid(e->args[i], keys, n_keys, bad))
            return false;
    return group_valid(e->l, keys, n_keys, bad) && group_valid(e->r, keys, n_keys, bad);
}

/* ---- FROM and JOIN ----------------------------------------------------------------------------
 */

typedef struct qrun {
    const odps_query_env *env;
    emu_arena *a;
    emu_err *err;
} qrun;

static emu_rc run_select(qrun *q, odps_select *s, rel *out);

static void rel_alloc(emu_arena *a, rel *r, size_t n_cols)
{
    r->n_cols = n_cols;
    r->quals = emu_arena_zalloc(a, (n_cols + 1) * sizeof *r->quals);
    r->names = emu_arena_zalloc(a, (n_cols + 1) * sizeof *r->names);
    r->types = emu_arena_zalloc(a, (n_cols + 1) * sizeof *r->types);
}

static emu_rc load_source(qrun *q, const odps_source *src, rel *out)
{
    emu_rc rc;
    if (src->sub) {
        rel sub;
        if ((rc = run_select(q, src->sub, &sub)))
            return rc;
        *out = sub;
        for (size_t i = 0; i < out->n_cols; i++)
            out->quals[i] = src->alias;
        return EMU_OK;
    }
    odps_table_def def;
    odps_rowset rows;
    if ((rc = q->env->read_table(q->env->ud, src, &def, &rows, q->err)))
        return rc;
    rel_alloc(q->a, out, def.n_cols);
    for (size_t i = 0; i < def.n_cols; i++) {
        out->quals[i] = src->alias ? src->alias : src->table;
        out->names[i] = def.cols[i].name;
        out->types[i] = def.cols[i].type;
    }
    out->v = rows.v;
    out->n_rows = rows.n_rows;
    return EMU_OK;
}

/* The right-side column of an equality `l = r` between the two sides of a
 * join, for the sorted search; -1 if the ON has none. */
static void equi_keys(const odps_expr *on, size_t n_left, size_t *lk, size_t *rk, size_t *n,
                      size_t cap)
{
    if (on->kind == ODPS_X_AND) {
        equi_keys(on->l, n_left, lk, rk, n, cap);
        equi_keys(on->r, n_left, lk, rk, n, cap);
        return;
    }
    if (on->kind != ODPS_X_CMP || on->cmp != ODPS_EQ || on->l->kind != ODPS_X_COLUMN ||
        on->r->kind != ODPS_X_COLUMN || *n == cap)
        return;
    size_t a = (size_t)on->l->index, b = (size_t)on->r->index;
    if (a < n_left && b >= n_left) {
        lk[*n] = a;
        rk[(*n)++] = b - n_left;
    } else if (b < n_left && a >= n_left) {
        lk[*n] = b;
        rk[(*n)++] = a - n_left;
    }
}

static emu_rc join(qrun *q, const odps_source *src, rel *left, const rel *right, rel *out)
{
    emu_arena *a = q->a;
    size_t nl = left->n_cols, nr = right->n_cols, w = nl + nr;
    rel_alloc(a, out, w);
    for (size_t i = 0; i < w; i++) {
        const rel *from = i < nl ? left : right;
        size_t j = i < nl ? i : i - nl;
        out->quals[i] = from->quals[j];
        out->names[i] = from->names[j];
        out->types[i] = from->types[j];
    }
    scope sc = {.in = out, .a = a, .err = q->err};
    emu_rc rc;
    if ((rc = resolve(&sc, src->on)))
        return rc;
    if (src->on->type != ODPS_T_BOOLEAN && src->on->type != ODPS_T_NULL)
        return odps__semantic_error(q->err, src->on->line, src->on->col,
                                    "ON needs a BOOLEAN condition, not %s",
                                    odps_type_name(src->on->type));
    size_t lk[8], rk[8], nk = 0;
    equi_keys(src->on, nl, lk, rk, &nk, 8);
    if (!nk && (double)left->n_rows * (double)right->n_rows > ODPS_MAX_JOIN_PAIRS)
        return emu_err_set(q->err, EMU_E_LIMIT, NULL,
                           "ODPS-0010000:System internal error - acsemu compares at most %d row "
                           "pairs in a join without an equality in ON (%zu x %zu rows)",
                           ODPS_MAX_JOIN_PAIRS, left->n_rows, right->n_rows);
    size_t *ridx = emu_arena_alloc(a, (right->n_rows + 1) * sizeof *ridx);
    for (size_t r = 0; r < right->n_rows; r++)
        ridx[r] = r;
    if (nk)
        sort_index(ridx, right->n_rows, right->v, nr, rk, NULL, nk);

    size_t cap = left->n_rows + 16, n = 0;
    odps_value *rows = emu_arena_alloc(a, cap * w * sizeof *rows);
    odps_value *tmp = emu_arena_alloc(a, w * sizeof *tmp);
    ectx c = {.row = tmp, .a = a, .now_ms = q->env->now_ms};
    for (size_t l = 0; l < left->n_rows; l++) {
        const odps_value *lrow = &left->v[l * nl];
        memcpy(tmp, lrow, nl * sizeof *tmp);
        size_t lo = 0, hi = right->n_rows;
        if (nk) {
            bool null_key = false;
            for (size_t k = 0; k < nk; k++)
                null_key |= lrow[lk[k]].type == ODPS_T_NULL;
            if (null_key) {
                hi = 0;
            } else {
                /* Equal range of the first key by binary search. */
                size_t b = 0, e = right->n_rows;
                while (b < e) {
                    size_t m = b + (e - b) / 2;
                    if (cmp_nullable(&right->v[ridx[m] * nr + rk[0]], &lrow[lk[0]]) < 0)
                        b = m + 1;
                    else
                        e = m;
                }
                lo = b;
                e = right->n_rows;
                while (b < e) {
                    size_t m = b + (e - b) / 2;
                    if (cmp_nullable(&right->v[ridx[m] * nr + rk[0]], &lrow[lk[0]]) <= 0)
                        b = m + 1;
                    else
                        e = m;
                }
                hi = b;
            }
        }
        bool matched = false;
        for (size_t i = lo; i <= hi; i++) {
            bool pad = i == hi;
            if (pad && (matched || src->join != ODPS_JOIN_LEFT))
                break;
            if (!pad) {
                memcpy(tmp + nl, &right->v[ridx[i] * nr], nr * sizeof *tmp);
                if (!where_true(src->on, &c))
                    continue;
                matched = true;
            } else {
                memset(tmp + nl, 0, nr * sizeof *tmp);
            }
            if (n == cap) {
                if (cap >= ODPS_MAX_READ_ROWS)
                    return emu_err_set(q->err, EMU_E_LIMIT, NULL,
                                       "ODPS-0010000:System internal error - a join gives more "
                                       "than %d rows, more than acsemu holds",
                                       ODPS_MAX_READ_ROWS);
                cap *= 2;
                odps_value *grown = emu_arena_alloc(a, cap * w * sizeof *grown);
                memcpy(grown, rows, n * w * sizeof *rows);
                rows = grown;
            }
            memcpy(&rows[n++ * w], tmp, w * sizeof *tmp);
        }
    }
    out->v = rows;
    out->n_rows = n;
    return EMU_OK;
}

static emu_rc from_clause(qrun *q, odps_select *s, rel *out)
{
    emu_rc rc = load_source(q, &s->from[0], out);
    for (size_t i = 1; rc == EMU_OK && i < s->n_from; i++) {
        rel right, joined;
        if ((rc = load_source(q, &s->from[i], &right)) ||
            (rc = join(q, &s->from[i], out, &right, &joined)))
            return rc;
        *out = joined;
    }
    return rc;
}

/* ---- one SELECT ------------------------------------------------------------------------------ */

static bool setting_false(const odps_script *s, const char *key)
{
    bool v = false;
    for (size_t i = 0; s && i < s->n_sets; i++)
        if (strcmp(s->sets[i].key, key) == 0)
            v = emu_strcasecmp(s->sets[i].value, "false") == 0;
    return v;
}

static odps_expr *column_expr(emu_arena *a, const rel *in, size_t i, int line, int col)
{
    odps_expr *e = emu_arena_zalloc(a, sizeof *e);
    e->kind = ODPS_X_COLUMN;
    e->name = in->names[i];
    e->index = (int)i;
    e->type = in->types[i];
    e->line = line;
    e->col = col;
    return e;
}

static const char *expr_text(const odps_expr *e)
{
    return e->kind == ODPS_X_COLUMN ? e->name : "an expression";
}

/* Evaluates the aggregates of one group (rows idx[0..n) of `in`). */
static void group_aggs(const scope *sc, const rel *in, const size_t *idx, size_t n, ectx *c,
                       odps_value *aggv, emu_arena *a)
{
    for (size_t g = 0; g < sc->n_aggs; g++) {
        const odps_expr *agg = sc->aggs[g];
        acc ac = {0};
        if (agg->distinct && agg->l) {
            odps_value *vals = emu_arena_alloc(a, (n + 1) * sizeof *vals);
            for (size_t r = 0; r < n; r++) {
                c->row = &in->v[idx[r] * in->n_cols];
                vals[r] = ev(agg->l, c);
            }
            if (n > 1)
                qsort(vals, n, sizeof *vals, cmp_value_ptrs);
            for (size_t r = 0; r < n; r++)
                if (r == 0 || cmp_nullable(&vals[r], &vals[r - 1]) != 0)
                    acc_add(agg, &ac, &vals[r]);
        } else {
            for (size_t r = 0; r < n; r++) {
                c->row = &in->v[idx[r] * in->n_cols];
                odps_value v = agg->l ? ev(agg->l, c) : vnull();
                acc_add(agg, &ac, &v);
            }
        }
        aggv[g] = acc_result(agg, &ac);
    }
}

static emu_rc run_one(qrun *q, odps_select *s, rel *out)
{
    emu_arena *a = q->a;
    emu_err *err = q->err;
    emu_rc rc;
    rel in;
    if ((rc = from_clause(q, s, &in)))
        return rc;
    scope sc = {.in = &in, .a = a, .err = err};

    if (s->where) {
        if ((rc = resolve(&sc, s->where)))
            return rc;
        if (s->where->type != ODPS_T_BOOLEAN && s->where->type != ODPS_T_NULL)
            return odps__semantic_error(err, s->where->line, s->where->col,
                                        "WHERE needs a BOOLEAN condition, not %s",
                                        odps_type_name(s->where->type));
    }
    for (size_t k = 0; k < s->n_group; k++)
        if ((rc = resolve(&sc, s->group[k])))
            return rc;

    bool star = s->n_items == 1 && !s->items[0].e;
    size_t n = star ? in.n_cols : s->n_items;
    odps_expr **outx = emu_arena_zalloc(a, (n + s->n_order + 1) * sizeof *outx);
    const char **names = emu_arena_zalloc(a, (n + s->n_order + 1) * sizeof *names);
    sc.allow_agg = true;
    for (size_t i = 0; i < n; i++) {
        if (star) {
            outx[i] = column_expr(a, &in, i, s->table_line, s->table_col);
            names[i] = in.names[i];
            continue;
        }
        odps_expr *e = s->items[i].e;
        if ((rc = resolve(&sc, e)))
            return rc;
        outx[i] = e;
        names[i] = s->items[i].alias          ? s->items[i].alias
                   : e->kind == ODPS_X_COLUMN ? e->name
                                              : emu_arena_sprintf(a, "_c%zu", i);
    }
    if (s->having) {
        if ((rc = resolve(&sc, s->having)))
            return rc;
        if (s->having->type != ODPS_T_BOOLEAN && s->having->type != ODPS_T_NULL)
            return odps__semantic_error(err, s->having->line, s->having->col,
                                        "HAVING needs a BOOLEAN condition, not %s",
                                        odps_type_name(s->having->type));
    }
    bool aggregate = sc.n_aggs > 0 || s->n_group > 0 || s->having;

    /* ORDER BY: a select-list name, else an expression (a hidden column). */
    if (s->n_order && !s->has_limit && !q->env->order_without_limit &&
        !setting_false(q->env->script, "odps.sql.validate.orderby.limit"))
        return odps__semantic_error(err, s->order_line, s->order_col,
                                    "ORDER BY must be used with a LIMIT clause, please set "
                                    "odps.sql.validate.orderby.limit=false to use it");
    size_t n_all = n;
    size_t *order_col = emu_arena_zalloc(a, (s->n_order + 1) * sizeof *order_col);
    bool *desc = emu_arena_zalloc(a, s->n_order + 1);
    for (size_t k = 0; k < s->n_order; k++) {
        odps_expr *e = s->order[k].e;
        desc[k] = s->order[k].desc;
        size_t found = SIZE_MAX;
        if (e->kind == ODPS_X_COLUMN && !e->qual)
            for (size_t i = 0; i < n && found == SIZE_MAX; i++)
                if (strcmp(names[i], e->name) == 0)
                    found = i;
        if (found == SIZE_MAX) {
            sc.allow_agg = aggregate;
            if ((rc = resolve(&sc, e)))
                return rc;
            if (s->distinct)
                return odps__semantic_error(err, e->line, e->col,
                                            "ORDER BY key %s must be in the select list of a "
                                            "SELECT DISTINCT",
                                            expr_text(e));
            outx[n_all] = e;
            names[n_all] = "";
            found = n_all++;
        }
        order_col[k] = found;
    }
    if (aggregate) {
        if (star)
            return odps__semantic_error(err, s->table_line, s->table_col,
                                        "SELECT * cannot be used with GROUP BY or aggregates");
        const odps_expr *bad = NULL;
        for (size_t i = 0; i <= n_all; i++) {
            const odps_expr *e = i < n_all ? outx[i] : s->having;
            if (!group_valid(e, s->group, s->n_group, &bad))
                return odps__semantic_error(
                    err, bad->line, bad->col,
                    "expression not in aggregate function or GROUP BY key : %s", bad->name);
        }
    }

    /* Filter. */
    ectx c = {.a = a, .now_ms = q->env->now_ms};
    size_t *idx = emu_arena_alloc(a, (in.n_rows + 1) * sizeof *idx);
    size_t nf = 0;
    for (size_t r = 0; r < in.n_rows; r++) {
        c.row = &in.v[r * in.n_cols];
        if (!s->where || where_true(s->where, &c))
            idx[nf++] = r;
    }

    /* Project (and aggregate) into rows of n_all values. */
    odps_value *o;
    size_t n_out = 0;
    if (aggregate) {
        size_t nk = s->n_group;
        odps_value *keys = emu_arena_alloc(a, (nf * nk + 1) * sizeof *keys);
        size_t *pos = emu_arena_alloc(a, (nf + 1) * sizeof *pos);
        size_t *kcols = emu_arena_alloc(a, (nk + 1) * sizeof *kcols);
        for (size_t k = 0; k < nk; k++)
            kcols[k] = k;
        for (size_t r = 0; r < nf; r++) {
            c.row = &in.v[idx[r] * in.n_cols];
            for (size_t k = 0; k < nk; k++)
                keys[r * nk + k] = ev(s->group[k], &c);
            pos[r] = r;
        }
        sort_index(pos, nf, keys, nk, kcols, NULL, nk);
        size_t *grp = emu_arena_alloc(a, (nf + 1) * sizeof *grp);
        for (size_t r = 0; r < nf; r++)
            grp[r] = idx[pos[r]];
        o = emu_arena_alloc(a, (nf + 1) * n_all * sizeof *o);
        odps_value *aggv = emu_arena_alloc(a, (sc.n_aggs + 1) * sizeof *aggv);
        odps_value *nullrow = emu_arena_zalloc(a, (in.n_cols + 1) * sizeof *nullrow);
        size_t i = 0;
        do {
            size_t j = i + 1;
            while (j < nf) {
                bool same = true;
                for (size_t k = 0; k < nk && same; k++)
                    same = cmp_nullable(&keys[pos[i] * nk + k], &keys[pos[j] * nk + k]) == 0;
                if (!same)
                    break;
                j++;
            }
            if (nf == 0) {
                if (nk)
                    break; /* no rows and GROUP BY: no groups */
                j = 0;
            }
            group_aggs(&sc, &in, grp + i, j - i, &c, aggv, a);
            ectx gc = {.row = j > i ? &in.v[grp[i] * in.n_cols] : nullrow,
                       .aggv = aggv,
                       .a = a,
                       .now_ms = c.now_ms};
            if (!s->having || where_true(s->having, &gc)) {
                for (size_t k = 0; k < n_all; k++)
                    o[n_out * n_all + k] = ev(outx[k], &gc);
                n_out++;
            }
            i = j;
        } while (i < nf);
    } else {
        o = emu_arena_alloc(a, (nf + 1) * n_all * sizeof *o);
        for (size_t r = 0; r < nf; r++) {
            c.row = &in.v[idx[r] * in.n_cols];
            for (size_t k = 0; k < n_all; k++)
                o[r * n_all + k] = ev(outx[k], &c);
        }
        n_out = nf;
    }

    /* DISTINCT, ORDER BY, LIMIT. */
    size_t *ord = emu_arena_alloc(a, (n_out + 1) * sizeof *ord);
    for (size_t r = 0; r < n_out; r++)
        ord[r] = r;
    if (s->distinct) {
        size_t *all = emu_arena_alloc(a, (n + 1) * sizeof *all);
        for (size_t k = 0; k < n; k++)
            all[k] = k;
        sort_index(ord, n_out, o, n_all, all, NULL, n);
        size_t m = 0;
        for (size_t r = 0; r < n_out; r++) {
            bool dup = m > 0;
            for (size_t k = 0; k < n && dup; k++)
                dup = cmp_nullable(&o[ord[r] * n_all + k], &o[ord[m - 1] * n_all + k]) == 0;
            if (!dup)
                ord[m++] = ord[r];
        }
        n_out = m;
    }
    if (s->n_order)
        sort_index(ord, n_out, o, n_all, order_col, desc, s->n_order);
    if (s->offset > 0) {
        size_t skip = (uint64_t)s->offset < n_out ? (size_t)s->offset : n_out;
        ord += skip;
        n_out -= skip;
    }
    if (s->has_limit && (uint64_t)s->limit < n_out)
        n_out = (size_t)s->limit;

    rel_alloc(a, out, n);
    for (size_t k = 0; k < n; k++) {
        out->names[k] = names[k];
        out->types[k] = outx[k]->type;
    }
    out->v = emu_arena_alloc(a, (n_out * n + 1) * sizeof *out->v);
    for (size_t r = 0; r < n_out; r++)
        memcpy(&out->v[r * n], &o[ord[r] * n_all], n * sizeof *o);
    out->n_rows = n_out;
    return EMU_OK;
}

/* A SELECT with its UNION ALL branches. */
static emu_rc run_select(qrun *q, odps_select *s, rel *out)
{
    emu_rc rc = run_one(q, s, out);
    if (rc || !s->union_all)
        return rc;
    size_t total = out->n_rows;
    size_t nb = 1;
    rel *branches = emu_arena_alloc(q->a, (ODPS_MAX_JOIN_SOURCES + 1) * sizeof *branches);
    branches[0] = *out;
    for (odps_select *u = s->union_all; u; u = u->union_all) {
        rel *b = &branches[nb];
        if ((rc = run_one(q, u, b)))
            return rc;
        if (b->n_cols != out->n_cols)
            return odps__semantic_error(q->err, s->union_line, s->union_col,
                                        "UNION ALL branches have %zu and %zu columns", out->n_cols,
                                        b->n_cols);
        scope sc = {.a = q->a, .err = q->err};
        odps_expr at = {.line = s->union_line, .col = s->union_col};
        for (size_t k = 0; k < out->n_cols; k++)
            if ((rc = unify(&sc, &at, &out->types[k], b->types[k], "UNION ALL")))
                return rc;
        total += b->n_rows;
        if (total > ODPS_MAX_READ_ROWS)
            return emu_err_set(q->err, EMU_E_LIMIT, NULL,
                               "ODPS-0010000:System internal error - a UNION ALL gives more than "
                               "%d rows, more than acsemu holds",
                               ODPS_MAX_READ_ROWS);
        nb++;
    }
    size_t w = out->n_cols;
    odps_value *v = emu_arena_alloc(q->a, (total * w + 1) * sizeof *v);
    size_t at = 0;
    for (size_t i = 0; i < nb; i++)
        for (size_t r = 0; r < branches[i].n_rows; r++, at++)
            for (size_t k = 0; k < w; k++) {
                odps_value x = branches[i].v[r * w + k];
                v[at * w + k] = out->types[k] == ODPS_T_DOUBLE && x.type == ODPS_T_BIGINT
                                    ? vdouble((double)x.i)
                                    : x;
            }
    out->v = v;
    out->n_rows = total;
    return EMU_OK;
}

odps_resultset *odps_query_run(const odps_query_env *env, odps_select *s, emu_err *err)
{
    const odps_script *sc = env->script;
    for (size_t i = 0; sc && i < sc->n_sets; i++)
        if (strcmp(sc->sets[i].key, "odps.sql.timezone") == 0 &&
            strcmp(sc->sets[i].value, "Asia/Shanghai") != 0) {
            emu_err_set(err, EMU_E_UNSUPPORTED, NULL,
                        "ODPS-0130071:[%d,%d] Semantic analysis exception - odps.sql.timezone=%s "
                        "is not supported: acsemu's MaxCompute runs in Asia/Shanghai, the "
                        "service's default",
                        sc->sets[i].line, sc->sets[i].col, sc->sets[i].value);
            return NULL;
        }
    qrun q = {.env = env, .a = env->a, .err = err};
    rel r;
    if (run_select(&q, s, &r))
        return NULL;
    size_t *ord = emu_arena_alloc(env->a, (r.n_rows + 1) * sizeof *ord);
    for (size_t i = 0; i < r.n_rows; i++)
        ord[i] = i;
    return odps_resultset_copy(r.n_cols, r.names, r.types, r.v, r.n_cols, ord, r.n_rows);
}

/* ---- results and their CSV form ---------------------------------------------- */

odps_resultset *odps_resultset_copy(size_t n_cols, const char *const *names, const odps_type *types,
                                    const odps_value *rows, size_t w, const size_t *ord,
                                    size_t n_rows)
{
    odps_resultset *rs = emu_xcalloc(1, sizeof *rs);
    rs->mem = emu_arena_new(64 * 1024);
    rs->n_cols = n_cols;
    rs->n_rows = n_rows;
    rs->names = emu_arena_alloc(rs->mem, (n_cols + 1) * sizeof *rs->names);
    rs->types = emu_arena_alloc(rs->mem, (n_cols + 1) * sizeof *rs->types);
    for (size_t c = 0; c < n_cols; c++) {
        rs->names[c] = emu_arena_strdup(rs->mem, names[c]);
        rs->types[c] = types[c] == ODPS_T_NULL ? ODPS_T_STRING : types[c];
    }
    rs->v = emu_arena_alloc(rs->mem, (n_rows * n_cols + 1) * sizeof *rs->v);
    for (size_t r = 0; r < n_rows; r++)
        for (size_t c = 0; c < n_cols; c++) {
            odps_value v = rows[ord[r] * w + c];
            if ((v.type == ODPS_T_STRING || v.type == ODPS_T_BINARY) && v.len)
                v.s = emu_arena_strndup(rs->mem, v.s, v.len);
            rs->v[r * n_cols + c] = v;
        }
    rs->bytes = emu_arena_used(rs->mem) + sizeof *rs;
    return rs;
}

void odps_resultset_free(odps_resultset *rs)
{
    if (!rs)
        return;
    emu_arena_free(rs->mem);
    free(rs);
}

/* Fast path of the shortest round-trip form for the common "few decimals"
 * double (27.44, 0.0222): the smallest k <= 9 with d == round(d * 10^k) /
 * 10^k, printed from that integer. Division by an exact power of ten is
 * correctly rounded, so the text reads back as exactly d. Limited to
 * 1e-4 <= |d| < 1e15, where %g also prints fixed notation, so both paths
 * give the same text. false = use snprintf/strtod. */
static bool short_decimal(double d, char out[40])
{
    static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    double a = fabs(d);
    if (!(a >= 1e-4 && a < 1e15))
        return false;
    for (int k = 0; k <= 9; k++) {
        double scaled = d * p10[k];
        if (fabs(scaled) >= 9007199254740992.0) /* 2^53 */
            return false;
        double r = nearbyint(scaled);
        if (r / p10[k] != d)
            continue;
        long long n = (long long)r;
        unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
        char digits[24];
        int len = snprintf(digits, sizeof digits, "%llu", u);
        char *o = out;
        if (n < 0)
            *o++ = '-';
        if (k == 0) {
            memcpy(o, digits, (size_t)len + 1);
            return true;
        }
        int ip = len - k; /* digits before the point */
        if (ip <= 0) {
            *o++ = '0';
            *o++ = '.';
            for (int z = 0; z < -ip; z++)
                *o++ = '0';
            memcpy(o, digits, (size_t)len + 1);
        } else {
            memcpy(o, digits, (size_t)ip);
            o += ip;
            *o++ = '.';
            memcpy(o, digits + ip, (size_t)k + 1);
        }
        return true;
    }
    return false;
}

void odps_csv_value(emu_buf *b, const odps_value *v)
{
    char num[40];
    switch (v->type) {
    case ODPS_T_NULL:
        emu_buf_puts(b, "\\N");
        return;
    case ODPS_T_BIGINT:
        snprintf(num, sizeof num, "%lld", (long long)v->i);
        emu_buf_puts(b, num);
        return;
    case ODPS_T_DOUBLE:
        if (isnan(v->d)) {
            emu_buf_puts(b, "NaN");
            return;
        }
        if (isinf(v->d)) {
            emu_buf_puts(b, v->d > 0 ? "Infinity" : "-Infinity");
            return;
        }
        if (short_decimal(v->d, num)) {
            emu_buf_puts(b, num);
            return;
        }
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(num, sizeof num, "%.*g", prec, v->d);
            if (strtod(num, NULL) == v->d)
                break;
        }
        emu_buf_puts(b, num);
        return;
    case ODPS_T_BOOLEAN:
        emu_buf_puts(b, v->b ? "true" : "false");
        return;
    case ODPS_T_DATETIME:
        odps_datetime_text(v->i, num);
        emu_buf_puts(b, num);
        return;
    default:
        break;
    }
    bool quote = false;
    for (uint32_t i = 0; i < v->len && !quote; i++)
        quote = v->s[i] == ',' || v->s[i] == '"' || v->s[i] == '\n' || v->s[i] == '\r';
    if (!quote) {
        emu_buf_append(b, v->s, v->len);
        return;
    }
    emu_buf_putc(b, '"');
    for (uint32_t i = 0; i < v->len; i++) {
        if (v->s[i] == '"')
            emu_buf_putc(b, '"');
        emu_buf_putc(b, v->s[i]);
    }
    emu_buf_putc(b, '"');
}
