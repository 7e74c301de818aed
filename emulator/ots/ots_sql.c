/* SQLQuery: Tablestore's SQL over mapping tables.
 *
 * The statement is parsed once, when the call is authorized
 * (odps_sql_parse_tablestore, the SQL subset shared with MaxCompute's SQL
 * tasks), and authorized per statement on the tables it names:
 *   SELECT                 ots:SQLSelect        each table it reads
 *   CREATE TABLE           ots:SQLCreateTable   the table
 *   DROP MAPPING TABLE     ots:SQLDropTable     each table
 *   DESCRIBE, SHOW INDEX   ots:SQLDescribeTable the table
 *   SHOW TABLES            ots:SQLShowTable     the instance
 * ("ots:SQL*" grants them all, as the service documents). A statement that
 * does not parse is authorized as ots:SQLSelect on the instance, then
 * answered with its parse error.
 *
 * A mapping table is the catalog entry CREATE TABLE makes over an existing
 * data table (ots_sqlmap.c). DESCRIBE and SELECT on a data table without
 * one create it, with the table's primary key and predefined columns, as
 * the service does. SELECT reads every row of each mapped table (the
 * newest version of each column, TTL applied; a cell whose type is not the
 * mapping column's reads as NULL) and runs the MaxCompute SELECT engine
 * (emu/odps_sql.h): WHERE, GROUP BY, HAVING, ORDER BY (no LIMIT needed),
 * LIMIT [offset,] n, DISTINCT, joins, subqueries, aggregates and the
 * engine's functions. Search indexes are not consulted: they hold the same
 * rows (they follow every write before it is answered), so the answer is
 * the one the service gives when it picks one.
 *
 * Results are SQLQueryResponse{version: SQL_FLAT_BUFFERS, type, rows} with
 * rows a FlatBuffers SQLResponseColumns (ots_sql_fbs.c); CREATE and DROP
 * answer without rows (the Python SDK would make rows of an empty one
 * forever: it counts rows by the shortest column).
 *
 * Mappings are world state ("SqlMappings": [{"Name", "Ddl"}] under the
 * instance); a call that changes them sets call->changed_world, so a
 * --data-dir sandbox journals it like a write. Errors are
 * OTSParameterInvalid with the service's texts where known ("Table 'instance.name' doesn't exist",
 * "... already exist") and the engine's otherwise, without its ODPS prefix. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "emu/odps_sql.h"
#include "ots_search_int.h"
#include "ots_svc_int.h"

enum {
    ST_SELECT = 1,
    ST_CREATE_TABLE = 2,
    ST_SHOW_TABLE = 3,
    ST_DESCRIBE_TABLE = 4,
    ST_DROP_TABLE = 5,
};

/* What authorization parsed, for the handler (call arena). */
typedef struct sql_call {
    odps_stmt stmt;
    bool parsed;
    emu_err parse_err;
} sql_call;

static emu_rc bad(emu_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static emu_rc bad(emu_err *err, const char *fmt, ...)
{
    char m[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid", "%s", m);
}

/* The engine's "ODPS-0130161:[l,c] Parse exception - what" as Tablestore
 * words it: "what (line l, column c)". */
static emu_rc reword(emu_err *err, const emu_err *e)
{
    const char *m = e->msg, *pos = strchr(m, '['), *dash = strstr(m, " - ");
    int l = 0, c = 0;
    if (strncmp(m, "ODPS-", 5) == 0 && pos && dash && sscanf(pos, "[%d,%d]", &l, &c) == 2)
        return ots_fail(err, e->rc == EMU_E_LIMIT ? EMU_E_LIMIT : EMU_E_INVALID,
                        "OTSParameterInvalid", "%s (line %d, column %d)", dash + 3, l, c);
    return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid", "%s", m);
}

static emu_rc missing(emu_call *call, const char *name)
{
    return bad(&call->err, "Table '%s.%s' doesn't exist", ots_req_of(call)->instance_name, name);
}

/* ---- authorization ----------------------------------------------------------- */

static void add_table(emu_call *call, const char ***v, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcasecmp((*v)[i], name) == 0)
            return;
    const char **g = emu_arena_alloc(call->arena, (*n + 1) * sizeof *g);
    if (*n)
        memcpy(g, *v, *n * sizeof *g);
    g[(*n)++] = name;
    *v = g;
}

/* The mapping's own spelling of a table a query names in lower case. */
static const char *spelled(emu_call *call, const char *lower)
{
    const ots_sql_mapping *m = ots_sqlmap_find(ots_req_of(call)->instance, lower);
    if (m)
        return emu_arena_strdup(call->arena, m->name);
    ots_instance_t *in = ots_req_of(call)->instance;
    for (size_t i = 0; i < ots_store_table_count(in); i++) {
        const char *t = ots_table_schema_of(ots_store_table_at(in, i))->name;
        if (strcasecmp(t, lower) == 0)
            return t;
    }
    return lower;
}

static void select_tables(emu_call *call, const odps_select *s, const char ***v, size_t *n,
                          int depth)
{
    for (; s && depth < ODPS_MAX_EXPR_DEPTH; s = s->union_all)
        for (size_t i = 0; i < s->n_from; i++) {
            if (s->from[i].sub)
                select_tables(call, s->from[i].sub, v, n, depth + 1);
            else if (s->from[i].table)
                add_table(call, v, n, spelled(call, s->from[i].table));
        }
}

void ots_sql_plan(emu_call *call, const char **action, const char ***tables, size_t *n)
{
    ots_req *r = ots_req_of(call);
    const Ots__SQLQueryRequest *m = r->msg;
    sql_call *sc = emu_arena_zalloc(call->arena, sizeof *sc);
    r->sql = sc;
    *tables = NULL;
    *n = 0;
    *action = "ots:SQLSelect";
    emu_err_init(&sc->parse_err);
    const char *q = m->query ? m->query : "";
    if (odps_sql_parse_tablestore(q, strlen(q), call->arena, &sc->stmt, &sc->parse_err))
        return;
    sc->parsed = true;
    const odps_stmt *s = &sc->stmt;
    switch (s->kind) {
    case ODPS_STMT_SELECT:
        select_tables(call, &s->select, tables, n, 0);
        break;
    case ODPS_STMT_CREATE:
        *action = "ots:SQLCreateTable";
        add_table(call, tables, n, s->create.raw_name);
        break;
    case ODPS_STMT_DROP:
        *action = "ots:SQLDropTable";
        for (size_t i = 0; i < s->n_names; i++)
            add_table(call, tables, n, spelled(call, s->names[i]));
        break;
    case ODPS_STMT_DESC:
    case ODPS_STMT_SHOW_INDEX:
        *action = "ots:SQLDescribeTable";
        add_table(call, tables, n, spelled(call, s->raw_name));
        break;
    default: /* SHOW TABLES */
        *action = "ots:SQLShowTable";
        break;
    }
}

/* ---- mapping tables ------------------------------------------------------------ */

typedef struct mapping {
    const char *name;   /* as created */
    ots_table_t *table; /* the data table */
    const odps_create *def;
} mapping;

static const char *pk_type_text(ots_pk_type t)
{
    return t == OTS_PK_INTEGER  ? "bigint(20)"
           : t == OTS_PK_STRING ? "varchar(1024)"
                                : "varbinary(1024)";
}

static const char *col_type_text(ots_col_type t)
{
    switch (t) {
    case OTS_COL_INTEGER:
        return "bigint(20)";
    case OTS_COL_DOUBLE:
        return "double";
    case OTS_COL_BOOLEAN:
        return "bool";
    case OTS_COL_STRING:
        return "mediumtext";
    default:
        return "mediumblob";
    }
}

/* The CREATE TABLE the service makes for a data table queried without a
 * mapping: its primary key and predefined columns. */
static const char *auto_ddl(emu_call *call, const ots_table_t *t)
{
    const ots_table_schema *s = ots_table_schema_of(t);
    emu_buf b;
    emu_buf_init(&b, 256 * 1024);
    emu_buf_printf(&b, "CREATE TABLE `%s` (", s->name);
    for (size_t i = 0; i < s->n_pk; i++)
        emu_buf_printf(&b, "`%s` %s, ", s->pk[i].name, pk_type_text(s->pk[i].type));
    for (size_t i = 0; i < s->n_defined; i++)
        emu_buf_printf(&b, "`%s` %s, ", s->defined[i].name, col_type_text(s->defined[i].type));
    emu_buf_puts(&b, "PRIMARY KEY(");
    for (size_t i = 0; i < s->n_pk; i++)
        emu_buf_printf(&b, "%s`%s`", i ? ", " : "", s->pk[i].name);
    emu_buf_puts(&b, "))");
    const char *out = emu_arena_strndup(call->arena, b.p, b.len);
    emu_buf_dispose(&b);
    return out;
}

static ots_table_t *data_table(emu_call *call, const char *name)
{
    ots_instance_t *in = ots_req_of(call)->instance;
    ots_table_t *t = ots_store_table_find(in, name);
    for (size_t i = 0; !t && i < ots_store_table_count(in); i++)
        if (strcasecmp(ots_table_schema_of(ots_store_table_at(in, i))->name, name) == 0)
            t = ots_store_table_at(in, i);
    return t && !ots_index_find(in, ots_table_schema_of(t)->name) ? t : NULL;
}

/* The mapping `name` names, made from the data table when there is none
 * (`autocreate`). */
static emu_rc find_mapping(emu_call *call, const char *name, bool autocreate, mapping *out)
{
    ots_instance_t *in = ots_req_of(call)->instance;
    const ots_sql_mapping *m = ots_sqlmap_find(in, name);
    const char *ddl;
    if (m) {
        out->name = emu_arena_strdup(call->arena, m->name);
        ddl = emu_arena_strdup(call->arena, m->ddl);
    } else {
        ots_table_t *t = autocreate ? data_table(call, name) : NULL;
        if (!t)
            return missing(call, name);
        ddl = auto_ddl(call, t);
        out->name = ots_table_schema_of(t)->name;
        if (!ots_sqlmap_add(in, out->name, ddl))
            return ots_fail(&call->err, EMU_E_LIMIT, "OTSQuotaExhausted",
                            "The number of mapping tables exceeds the limit: %d.",
                            EMU_MAX_OTS_SQL_MAPPINGS);
        call->changed_world = true;
    }
    odps_stmt *st = emu_arena_zalloc(call->arena, sizeof *st);
    emu_err e;
    emu_err_init(&e);
    if (odps_sql_parse_tablestore(ddl, strlen(ddl), call->arena, st, &e))
        return reword(&call->err, &e); /* can't happen: it parsed when created */
    out->def = &st->create;
    out->table = data_table(call, out->name);
    if (!out->table)
        return missing(call, out->name);
    return EMU_OK;
}

static bool is_pk(const odps_create *c, const char *lower)
{
    for (size_t i = 0; i < c->n_pk; i++)
        if (strcmp(c->pk[i], lower) == 0)
            return true;
    return false;
}

static emu_rc run_create(emu_call *call, const odps_stmt *s)
{
    ots_instance_t *in = ots_req_of(call)->instance;
    const odps_create *c = &s->create;
    const char *inst = ots_req_of(call)->instance_name;
    ots_table_t *t = data_table(call, c->raw_name);
    for (size_t i = 0; i < c->n_engine; i++)
        if (strcmp(c->engine[i].key, "engine") == 0 && strcasecmp(c->engine[i].value, "tablestore"))
            return ots_fail(&call->err, EMU_E_UNSUPPORTED, "OTSParameterInvalid",
                            "ENGINE='%s' (mapping tables of search indexes) is not supported by "
                            "acsemu; map the data table instead.",
                            c->engine[i].value);
    if (!t)
        return missing(call, c->raw_name);
    if (ots_sqlmap_find(in, c->raw_name)) {
        if (c->if_not_exists)
            return EMU_OK;
        return bad(&call->err, "Table '%s.%s' already exist", inst, c->raw_name);
    }
    const ots_table_schema *ts = ots_table_schema_of(t);
    if (!c->n_pk)
        return bad(&call->err, "The mapping table of '%s.%s' needs a PRIMARY KEY", inst,
                   c->raw_name);
    for (size_t i = 0; i < c->n_cols; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(c->cols[i].name, c->cols[k].name) == 0)
                return bad(&call->err, "Duplicate column name '%s'", c->cols[i].raw);
    bool same = c->n_pk == ts->n_pk;
    for (size_t i = 0; same && i < c->n_pk; i++)
        same = strcasecmp(c->pk[i], ts->pk[i].name) == 0;
    if (!same) {
        emu_buf b;
        emu_buf_init(&b, 256 * 1024);
        for (size_t i = 0; i < ts->n_pk; i++)
            emu_buf_printf(&b, "%s%s", i ? ", " : "", ts->pk[i].name);
        emu_buf_putc(&b, '\0');
        emu_rc rc = bad(&call->err,
                        "The primary key of mapping table '%s' must be the primary key of the "
                        "table, in order: (%s)",
                        c->raw_name, b.p);
        emu_buf_dispose(&b);
        return rc;
    }
    for (size_t i = 0; i < c->n_pk; i++) {
        const odps_coldef *d = NULL;
        for (size_t k = 0; k < c->n_cols && !d; k++)
            if (strcmp(c->cols[k].name, c->pk[i]) == 0)
                d = &c->cols[k];
        if (!d)
            return bad(&call->err, "Key column '%s' doesn't exist in table", c->pk[i]);
        ots_pk_type pt = ts->pk[i].type;
        odps_type want = pt == OTS_PK_INTEGER  ? ODPS_T_BIGINT
                         : pt == OTS_PK_STRING ? ODPS_T_STRING
                                               : ODPS_T_BINARY;
        if (d->type != want)
            return bad(&call->err,
                       "The type of primary key column '%s' does not match the table's %s "
                       "(map it as %s)",
                       d->raw, ots_pk_type_name(pt), pk_type_text(pt));
    }
    if (!ots_sqlmap_add(in, c->raw_name, s->text))
        return ots_fail(&call->err, EMU_E_LIMIT, "OTSQuotaExhausted",
                        "The number of mapping tables exceeds the limit: %d.",
                        EMU_MAX_OTS_SQL_MAPPINGS);
    call->changed_world = true;
    return EMU_OK;
}

static emu_rc run_drop(emu_call *call, const odps_stmt *s)
{
    ots_instance_t *in = ots_req_of(call)->instance;
    for (size_t i = 0; i < s->n_names; i++)
        if (!ots_sqlmap_find(in, s->names[i]) && !s->if_exists)
            return missing(call, s->names[i]);
    for (size_t i = 0; i < s->n_names; i++)
        call->changed_world |= ots_sqlmap_drop(in, s->names[i]);
    return EMU_OK;
}

/* ---- results ------------------------------------------------------------------ */

/* A result being built: n_cols named, typed columns, rows appended. */
typedef struct result {
    size_t n_cols, n_rows, cap;
    const char **names;
    odps_type *types;
    odps_value *v;
    emu_arena *a;
} result;

static void res_init(result *r, emu_arena *a, size_t n_cols, const char *const *names,
                     const odps_type *types)
{
    memset(r, 0, sizeof *r);
    r->a = a;
    r->n_cols = n_cols;
    r->names = emu_arena_alloc(a, n_cols * sizeof *r->names);
    r->types = emu_arena_alloc(a, n_cols * sizeof *r->types);
    memcpy(r->names, names, n_cols * sizeof *names);
    memcpy(r->types, types, n_cols * sizeof *types);
}

static odps_value *res_row(result *r)
{
    if (r->n_rows == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        odps_value *g = emu_arena_alloc(r->a, cap * r->n_cols * sizeof *g);
        if (r->n_rows)
            memcpy(g, r->v, r->n_rows * r->n_cols * sizeof *g);
        r->v = g;
        r->cap = cap;
    }
    odps_value *row = &r->v[r->n_rows++ * r->n_cols];
    memset(row, 0, r->n_cols * sizeof *row);
    return row;
}

static odps_value str(const char *s)
{
    return (odps_value){.type = ODPS_T_STRING, .len = (uint32_t)strlen(s), .s = s};
}

static odps_value lng(int64_t i)
{
    return (odps_value){.type = ODPS_T_BIGINT, .i = i};
}

static emu_rc answer(emu_call *call, int type, const result *res)
{
    Ots__SQLQueryResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__sqlquery_response__init(resp);
    resp->has_version = resp->has_type = 1;
    resp->version = OTS__SQLPAYLOAD_VERSION__SQL_FLAT_BUFFERS;
    resp->type = (Ots__SQLStatementType)type;
    if (res) {
        emu_buf b;
        emu_buf_init(&b, EMU_MAX_OTS_SQL_RESULT_BYTES);
        bool ok = ots_sql_fbs_encode(res->n_cols, res->names, res->types, res->v, res->n_rows, &b);
        if (!ok) {
            emu_buf_dispose(&b);
            return ots_fail(&call->err, EMU_E_LIMIT, "OTSParameterInvalid",
                            "The result of the SQL query is larger than %d bytes; select fewer "
                            "rows or columns (LIMIT).",
                            EMU_MAX_OTS_SQL_RESULT_BYTES);
        }
        resp->has_rows = 1;
        resp->rows.len = b.len;
        resp->rows.data = (uint8_t *)emu_arena_strndup(call->arena, b.p, b.len);
        emu_buf_dispose(&b);
    }
    ots_req_of(call)->resp = &resp->base;
    return EMU_OK;
}

static int cmp_names(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static emu_rc run_show_tables(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    size_t n = ots_sqlmap_list(r->instance, NULL, 0);
    const ots_sql_mapping **ms = emu_arena_alloc(call->arena, (n + 1) * sizeof *ms);
    ots_sqlmap_list(r->instance, ms, n);
    const char **names = emu_arena_alloc(call->arena, (n + 1) * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = emu_arena_strdup(call->arena, ms[i]->name);
    qsort(names, n, sizeof *names, cmp_names);
    const char *col = emu_arena_concat(call->arena, "Tables_in_", r->instance_name, NULL);
    odps_type t = ODPS_T_STRING;
    result res;
    res_init(&res, call->arena, 1, &col, &t);
    for (size_t i = 0; i < n; i++)
        res_row(&res)[0] = str(names[i]);
    return answer(call, ST_SHOW_TABLE, &res);
}

static emu_rc run_describe(emu_call *call, const odps_stmt *s)
{
    mapping m;
    emu_rc rc = find_mapping(call, s->raw_name, true, &m);
    if (rc)
        return rc;
    static const char *const cols[] = {"Field", "Type", "Null", "Key", "Default", "Extra"};
    odps_type types[6];
    for (int i = 0; i < 6; i++)
        types[i] = ODPS_T_STRING;
    result res;
    res_init(&res, call->arena, 6, cols, types);
    for (size_t i = 0; i < m.def->n_cols; i++) {
        const odps_coldef *d = &m.def->cols[i];
        bool pk = is_pk(m.def, d->name);
        odps_value *row = res_row(&res);
        row[0] = str(d->raw);
        row[1] = str(d->type_text);
        row[2] = str(pk ? "NO" : "YES");
        row[3] = str(pk ? "PRI" : "");
        row[4].type = ODPS_T_NULL;
        row[5] = str("");
    }
    return answer(call, ST_DESCRIBE_TABLE, &res);
}

static const char *search_type(ots_sf_type t)
{
    static const char *const n[] = {"",     "LONG",   "DOUBLE",    "BOOLEAN", "KEYWORD",
                                    "TEXT", "NESTED", "GEO_POINT", "DATE",    "VECTOR"};
    return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "";
}

static emu_rc run_show_index(emu_call *call, const odps_stmt *s)
{
    mapping m;
    emu_rc rc = find_mapping(call, s->raw_name, true, &m);
    if (rc)
        return rc;
    static const char *const cols[] = {"Table",        "Non_unique",  "Key_name",
                                       "Seq_in_index", "Column_name", "Is_defined_column",
                                       "Search_type",  "Collation",   "Cardinality",
                                       "Sub_part",     "Packed",      "Null",
                                       "Index_type",   "Comment",     "Index_comment",
                                       "Visible",      "Expression"};
    odps_type types[17];
    for (int i = 0; i < 17; i++)
        types[i] = (i == 1 || i == 3 || i == 8 || i == 9) ? ODPS_T_BIGINT : ODPS_T_STRING;
    result res;
    res_init(&res, call->arena, 17, cols, types);
    for (size_t i = 0; i < m.def->n_pk; i++) {
        odps_value *row = res_row(&res);
        const char *raw = m.def->pk[i];
        for (size_t k = 0; k < m.def->n_cols; k++)
            if (strcmp(m.def->cols[k].name, m.def->pk[i]) == 0)
                raw = m.def->cols[k].raw;
        row[0] = str(m.name), row[1] = lng(0), row[2] = str("PRIMARY");
        row[3] = lng((int64_t)i + 1), row[4] = str(raw), row[5].type = ODPS_T_NULL;
        row[6] = str(""), row[7] = str("A"), row[8] = lng(0), row[9].type = ODPS_T_NULL;
        row[10].type = ODPS_T_NULL, row[11] = str(""), row[12] = str(""), row[13] = str("");
        row[14] = str(""), row[15] = str("YES"), row[16] = str("NULL");
    }
    ots_search_def *defs[EMU_MAX_OTS_SEARCH_INDEXES];
    size_t n = ots_search_list(ots_req_of(call)->instance, ots_table_schema_of(m.table)->name, defs,
                               EMU_MAX_OTS_SEARCH_INDEXES);
    for (size_t k = 0; k < n && k < EMU_MAX_OTS_SEARCH_INDEXES; k++) {
        int64_t seq = 0;
        for (size_t f = 0; f < defs[k]->n_f; f++) {
            const ots_sfield *sf = &defs[k]->f[f];
            if (strchr(sf->name, '.')) /* nested sub-fields: their parent is listed */
                continue;
            odps_value *row = res_row(&res);
            row[0] = str(m.name), row[1] = lng(1);
            row[2] = str(emu_arena_strdup(call->arena, defs[k]->name));
            row[3] = lng(++seq), row[4] = str(emu_arena_strdup(call->arena, sf->name));
            row[5] = str("NO"), row[6] = str(search_type(sf->type)), row[7] = str("A");
            row[8] = lng(0), row[9].type = ODPS_T_NULL, row[10].type = ODPS_T_NULL;
            row[11] = str("YES"), row[12] = str("SearchIndex"), row[13] = str("");
            row[14] = str(""), row[15] = str("YES"), row[16] = str("NULL");
        }
    }
    return answer(call, ST_DESCRIBE_TABLE, &res);
}

/* ---- SELECT -------------------------------------------------------------------- */

typedef struct select_ctx {
    emu_call *call;
    size_t rows_read;
    size_t bytes_read;
} select_ctx;

static bool cell_value(const ots_value *x, odps_type want, odps_value *out)
{
    out->type = ODPS_T_NULL;
    switch (want) {
    case ODPS_T_BIGINT:
        if (x->type != OTS_VT_INTEGER)
            return false;
        *out = lng(x->i);
        return true;
    case ODPS_T_DOUBLE:
        if (x->type != OTS_VT_DOUBLE)
            return false;
        *out = (odps_value){.type = ODPS_T_DOUBLE, .d = x->d};
        return true;
    case ODPS_T_BOOLEAN:
        if (x->type != OTS_VT_BOOLEAN)
            return false;
        *out = (odps_value){.type = ODPS_T_BOOLEAN, .b = x->b};
        return true;
    case ODPS_T_STRING:
    case ODPS_T_BINARY:
        if (x->type != (want == ODPS_T_STRING ? OTS_VT_STRING : OTS_VT_BINARY))
            return false;
        *out = (odps_value){.type = want, .len = x->len, .s = (const char *)x->p};
        return true;
    default:
        return false;
    }
}

static emu_rc read_table(void *ud, const odps_source *src, odps_table_def *def, odps_rowset *rows,
                         emu_err *err)
{
    select_ctx *q = ud;
    emu_call *call = q->call;
    (void)err; /* errors go to call->err, which the handler returns */
    if (src->project && strcmp(src->project, ots_req_of(call)->instance_name) != 0)
        return missing(call, emu_arena_concat(call->arena, src->project, ".", src->table, NULL));
    mapping m;
    emu_rc rc = find_mapping(call, src->table, true, &m);
    if (rc)
        return rc;
    const odps_create *c = m.def;
    memset(def, 0, sizeof *def);
    def->name = m.name;
    def->cols = c->cols;
    def->n_cols = c->n_cols;

    const ots_table_schema *ts = ots_table_schema_of(m.table);
    ots_cell *lo = emu_arena_zalloc(call->arena, (ts->n_pk + 1) * sizeof *lo);
    ots_cell *hi = emu_arena_zalloc(call->arena, (ts->n_pk + 1) * sizeof *hi);
    for (size_t i = 0; i < ts->n_pk; i++) {
        lo[i].name = hi[i].name = emu_str_c(ts->pk[i].name);
        lo[i].has_value = hi[i].has_value = true;
        lo[i].value.type = OTS_VT_INF_MIN;
        hi[i].value.type = OTS_VT_INF_MAX;
    }
    ots_store_iter it;
    if ((rc = ots_store_range_open(m.table, lo, ts->n_pk, hi, ts->n_pk, false, call->arena, &it,
                                   &call->err)))
        return rc;
    /* Each mapping column: the PK position it is, else an attribute. */
    int *pk_at = emu_arena_alloc(call->arena, (c->n_cols + 1) * sizeof *pk_at);
    for (size_t k = 0; k < c->n_cols; k++) {
        pk_at[k] = -1;
        for (size_t i = 0; i < ts->n_pk; i++)
            if (strcasecmp(ts->pk[i].name, c->cols[k].raw) == 0)
                pk_at[k] = (int)i;
    }
    ots_read_opts opts = {.max_versions = 1};
    size_t cap = 0, n = 0;
    odps_value *v = NULL;
    bool versioned = ots_table_versioned(m.table);
    for (;;) {
        ots_row_t row;
        ots_iter_rc ir = ots_store_range_next(&it, &opts, call->arena, &row);
        if (ir == OTS_ITER_END)
            break;
        if (ir != OTS_ITER_ROW)
            continue;
        if (q->rows_read++ >= EMU_MAX_OTS_SQL_READ_ROWS)
            return ots_fail(&call->err, EMU_E_LIMIT, "OTSParameterInvalid",
                            "The SQL query reads more than %d rows; acsemu stops there.",
                            EMU_MAX_OTS_SQL_READ_ROWS);
        q->bytes_read += ots_row_data_size(&row, versioned);
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            odps_value *g = emu_arena_alloc(call->arena, cap * c->n_cols * sizeof *g);
            if (n)
                memcpy(g, v, n * c->n_cols * sizeof *g);
            v = g;
        }
        odps_value *out = &v[n++ * c->n_cols];
        for (size_t k = 0; k < c->n_cols; k++) {
            const ots_value *x = NULL;
            if (pk_at[k] >= 0 && (size_t)pk_at[k] < row.n_pk)
                x = &row.pk[pk_at[k]].value;
            for (size_t j = 0; !x && pk_at[k] < 0 && j < row.n_attrs; j++)
                if (row.attrs[j].has_value && row.attrs[j].name.len == strlen(c->cols[k].raw) &&
                    strncasecmp(row.attrs[j].name.p, c->cols[k].raw, row.attrs[j].name.len) == 0)
                    x = &row.attrs[j].value;
            out[k].type = ODPS_T_NULL;
            if (x)
                cell_value(x, c->cols[k].type, &out[k]);
        }
    }
    rows->v = v;
    rows->n_rows = n;
    rows->n_cols = c->n_cols;
    return EMU_OK;
}

static emu_rc run_select(emu_call *call, odps_stmt *s)
{
    select_ctx q = {.call = call};
    odps_query_env env = {.a = call->arena,
                          .now_ms = emu_clock_now_ms(),
                          .read_table = read_table,
                          .ud = &q,
                          .order_without_limit = true};
    emu_err e;
    emu_err_init(&e);
    odps_resultset *rs = odps_query_run(&env, &s->select, &e);
    if (!rs)
        return call->err.rc ? call->err.rc : reword(&call->err, &e);
    /* Result names as the mapping spells them where they are its columns. */
    result res = {.n_cols = rs->n_cols, .n_rows = rs->n_rows, .v = rs->v, .a = call->arena};
    res.names = emu_arena_alloc(call->arena, (rs->n_cols + 1) * sizeof *res.names);
    res.types = rs->types;
    for (size_t c = 0; c < rs->n_cols; c++) {
        res.names[c] = rs->names[c];
        for (size_t i = 0; i < s->select.n_from; i++) {
            const odps_source *src = &s->select.from[i];
            const ots_sql_mapping *m =
                src->table ? ots_sqlmap_find(ots_req_of(call)->instance, src->table) : NULL;
            if (!m)
                continue;
            odps_stmt st;
            emu_err pe;
            emu_err_init(&pe);
            if (odps_sql_parse_tablestore(m->ddl, strlen(m->ddl), call->arena, &st, &pe))
                continue;
            for (size_t k = 0; k < st.create.n_cols; k++)
                if (strcmp(st.create.cols[k].name, rs->names[c]) == 0)
                    res.names[c] = st.create.cols[k].raw;
        }
    }
    emu_rc rc = answer(call, ST_SELECT, &res);
    odps_resultset_free(rs);
    if (rc)
        return rc;
    Ots__SQLQueryResponse *resp = (Ots__SQLQueryResponse *)ots_req_of(call)->resp;
    const char **tables = NULL;
    size_t n_tables = 0;
    select_tables(call, &s->select, &tables, &n_tables, 0);
    resp->consumes = emu_arena_alloc(call->arena, (n_tables + 1) * sizeof *resp->consumes);
    for (size_t i = 0; i < n_tables; i++) {
        Ots__TableConsumedCapacity *tc = emu_arena_alloc(call->arena, sizeof *tc);
        ots__table_consumed_capacity__init(tc);
        tc->table_name = (char *)tables[i];
        tc->consumed =
            ots_consumed(call->arena, ots_cu(q.bytes_read / (n_tables ? n_tables : 1)), 0);
        resp->consumes[resp->n_consumes++] = tc;
    }
    return EMU_OK;
}

emu_rc ots_sql_query(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__SQLQueryRequest *m = r->msg;
    sql_call *sc = r->sql;
    if (m->has_version && m->version != OTS__SQLPAYLOAD_VERSION__SQL_FLAT_BUFFERS)
        return ots_fail(&call->err, EMU_E_UNSUPPORTED, "OTSParameterInvalid",
                        "SQL payload version %d (SQL_PLAIN_BUFFER) is not supported by acsemu; "
                        "use SQL_FLAT_BUFFERS (2).",
                        (int)m->version);
    if (!sc || !sc->parsed)
        return reword(&call->err, sc ? &sc->parse_err : &call->err);
    odps_stmt *s = &sc->stmt;
    emu_rc rc;
    switch (s->kind) {
    case ODPS_STMT_SELECT:
        return run_select(call, s);
    case ODPS_STMT_CREATE:
        if ((rc = run_create(call, s)))
            return rc;
        return answer(call, ST_CREATE_TABLE, NULL);
    case ODPS_STMT_DROP:
        if ((rc = run_drop(call, s)))
            return rc;
        return answer(call, ST_DROP_TABLE, NULL);
    case ODPS_STMT_SHOW_TABLES:
        return run_show_tables(call);
    case ODPS_STMT_DESC:
        return run_describe(call, s);
    case ODPS_STMT_SHOW_INDEX:
        return run_show_index(call, s);
    default:
        return bad(&call->err, "Unsupported SQL statement");
    }
}
