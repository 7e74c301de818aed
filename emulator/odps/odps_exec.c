/* Runs one SQL task (maxcompute-external-table.md §5, §8.7, §9.2):
 * leading SETs become session flags, then DDL against the project's
 * metadata, SHOW TABLES / DESC as text, and SELECT as: semantic analysis
 * against the external table's columns, the read path (odps_read.c), then
 * filter → group/aggregate → project → order → limit → CSV, in memory.
 *
 * Semantics chosen for the subset (MaxCompute's documented behaviour
 * where it is known, else noted):
 *   - three-valued logic: a comparison with NULL is NULL, WHERE keeps only
 *     TRUE rows;
 *   - BIGINT and DOUBLE compare numerically; STRING/BINARY by bytes;
 *     comparing other mixed types is a semantic error (odps2 type system);
 *   - NULLs sort first ascending, last descending (MaxCompute: NULL is the
 *     smallest value);
 *   - ORDER BY needs LIMIT unless `set odps.sql.validate.orderby.limit=
 *     false` (MaxCompute's default check);
 *   - an aggregate query without GROUP BY gives one row even over no rows
 *     (count 0, other aggregates NULL); groups come out in key order [I:
 *     unspecified in MaxCompute];
 *   - unnamed result columns are _c<position>, 0-based [I];
 *   - the CSV channel keeps ODPS_CSV_MAX_RECORDS records and then says
 *     SelectResultStatus TRUNCATED (§8.7). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/json.h"
#include "emu/log.h"
#include "odps_int.h"

/* ---- results -------------------------------------------------------------------- */

static void set_text(odps_task_result *out, bool ok, const char *text)
{
    out->ok = ok;
    free(out->text);
    out->text = emu_xstrdup(text);
    out->text_len = strlen(text);
}

void odps_task_result_dispose(odps_task_result *r)
{
    free(r->text);
    free(r->descriptor);
    odps_resultset_free(r->rows);
    free(r->input);
    memset(r, 0, sizeof *r);
}

static emu_rc table_not_found(emu_err *err, int line, int col, const char *project,
                              const char *name)
{
    return emu_err_set(err, EMU_E_NOT_FOUND, NULL,
                       "ODPS-0130131:[%d,%d] Table not found - table %s.%s cannot be resolved",
                       line, col, project, name);
}

/* The permission model's check for one statement: false with the
 * ODPS-0420095 [4019] text in `out` when the caller lacks `priv`. */
static bool privileged(odps_exec_ctx *ctx, const char *table, uint32_t priv, odps_task_result *out)
{
    if (!ctx->allow || ctx->allow(ctx->allow_ud, table, priv))
        return true;
    char m[EMU_ERR_MSG_MAX];
    if (table)
        snprintf(m, sizeof m,
                 "ODPS-0420095: Access Denied - Authorization Failed [4019], You have NO "
                 "privilege 'odps:%s' on {acs:odps:*:projects/%s/tables/%s}. Context ID:%s. "
                 "--->Tips: Principal:%s; grant it with: GRANT %s ON TABLE %s TO USER %s",
                 odps_priv_name(priv), ctx->project->name, table, ctx->instance_id, ctx->who,
                 odps_priv_name(priv), table, ctx->who);
    else
        snprintf(m, sizeof m,
                 "ODPS-0420095: Access Denied - Authorization Failed [4019], You have NO "
                 "privilege 'odps:%s' on {acs:odps:*:projects/%s}. Context ID:%s. --->Tips: "
                 "Principal:%s; grant it with: GRANT %s ON PROJECT %s TO USER %s",
                 odps_priv_name(priv), ctx->project->name, ctx->instance_id, ctx->who,
                 odps_priv_name(priv), ctx->project->name, ctx->who);
    set_text(out, false, m);
    return false;
}

/* ---- values ------------------------------------------------------------------------ */

static bool numeric(odps_type t)
{
    return t == ODPS_T_BIGINT || t == ODPS_T_DOUBLE;
}

/* Total order on two non-NULL values of comparable types. */
static int cmp_values(const odps_value *a, const odps_value *b)
{
    if (a->type == ODPS_T_BIGINT && b->type == ODPS_T_BIGINT)
        return (a->i > b->i) - (a->i < b->i);
    if (numeric(a->type) && numeric(b->type)) {
        double x = a->type == ODPS_T_BIGINT ? (double)a->i : a->d;
        double y = b->type == ODPS_T_BIGINT ? (double)b->i : b->d;
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

/* ---- semantic analysis ------------------------------------------------------------------- */

static const char *const cmp_text[] = {"=", "!=", "<", "<=", ">", ">="};
static const char *const agg_text[] = {"count", "sum", "avg", "min", "max"};

typedef struct plan {
    const odps_table_def *t;
    odps_expr **aggs; /* slots */
    size_t n_aggs;
    bool aggregate;
    /* Output columns: n_out visible, then hidden ORDER BY keys. */
    odps_expr **out;
    const char **names;
    size_t n_out, n_all;
    int *order_col; /* per ORDER BY item: index into the extended output */
} plan;

static emu_rc resolve(plan *p, odps_expr *e, bool allow_agg, emu_arena *a, emu_err *err)
{
    emu_rc rc;
    switch (e->kind) {
    case ODPS_X_COLUMN:
        for (size_t i = 0; i < p->t->n_cols; i++)
            if (strcmp(p->t->cols[i].name, e->name) == 0) {
                e->index = (int)i;
                e->type = p->t->cols[i].type;
                return EMU_OK;
            }
        return odps__semantic_error(err, e->line, e->col, "column %s cannot be resolved", e->name);
    case ODPS_X_LITERAL:
        e->type = e->lit.type;
        return EMU_OK;
    case ODPS_X_CMP:
        if ((rc = resolve(p, e->l, false, a, err)) || (rc = resolve(p, e->r, false, a, err)))
            return rc;
        if (e->l->type != ODPS_T_NULL && e->r->type != ODPS_T_NULL &&
            !(numeric(e->l->type) && numeric(e->r->type)) && e->l->type != e->r->type)
            return odps__semantic_error(
                err, e->line, e->col, "invalid operand types %s and %s for '%s'",
                odps_type_name(e->l->type), odps_type_name(e->r->type), cmp_text[e->cmp]);
        e->type = ODPS_T_BOOLEAN;
        return EMU_OK;
    case ODPS_X_AND:
    case ODPS_X_OR:
    case ODPS_X_NOT:
        if ((rc = resolve(p, e->l, false, a, err)) ||
            (e->r && (rc = resolve(p, e->r, false, a, err))))
            return rc;
        if ((e->l->type != ODPS_T_BOOLEAN && e->l->type != ODPS_T_NULL) ||
            (e->r && e->r->type != ODPS_T_BOOLEAN && e->r->type != ODPS_T_NULL))
            return odps__semantic_error(err, e->line, e->col, "%s needs BOOLEAN operands",
                                        e->kind == ODPS_X_AND  ? "AND"
                                        : e->kind == ODPS_X_OR ? "OR"
                                                               : "NOT");
        e->type = ODPS_T_BOOLEAN;
        return EMU_OK;
    case ODPS_X_ISNULL:
        if ((rc = resolve(p, e->l, false, a, err)))
            return rc;
        e->type = ODPS_T_BOOLEAN;
        return EMU_OK;
    case ODPS_X_AGG:
        if (!allow_agg)
            return odps__semantic_error(
                err, e->line, e->col,
                "aggregate function %s is not allowed here (only as a whole select item)",
                agg_text[e->agg]);
        if (e->l && (rc = resolve(p, e->l, false, a, err)))
            return rc;
        if ((e->agg == ODPS_SUM || e->agg == ODPS_AVG) && !numeric(e->l->type))
            return odps__semantic_error(err, e->line, e->col,
                                        "function %s cannot take a %s argument", agg_text[e->agg],
                                        odps_type_name(e->l->type));
        e->type = e->agg == ODPS_COUNT ? ODPS_T_BIGINT
                  : e->agg == ODPS_AVG ? ODPS_T_DOUBLE
                                       : e->l->type;
        if (e->type == ODPS_T_NULL)
            e->type = ODPS_T_DOUBLE;
        odps_expr **g = emu_arena_alloc(a, (p->n_aggs + 1) * sizeof *g);
        if (p->n_aggs)
            memcpy(g, p->aggs, p->n_aggs * sizeof *g);
        g[p->n_aggs] = e;
        e->index = (int)p->n_aggs++;
        p->aggs = g;
        return EMU_OK;
    }
    return EMU_OK;
}

static odps_expr *column_expr(emu_arena *a, const odps_table_def *t, size_t i, int line, int col)
{
    odps_expr *e = emu_arena_zalloc(a, sizeof *e);
    e->kind = ODPS_X_COLUMN;
    e->name = t->cols[i].name;
    e->index = (int)i;
    e->type = t->cols[i].type;
    e->line = line;
    e->col = col;
    return e;
}

static bool setting_false(const odps_script *s, const char *key)
{
    bool v = false;
    for (size_t i = 0; i < s->n_sets; i++)
        if (strcmp(s->sets[i].key, key) == 0)
            v = emu_strcasecmp(s->sets[i].value, "false") == 0;
    return v;
}

static emu_rc analyze(const odps_script *script, odps_select *s, const odps_table_def *t,
                      emu_arena *a, plan *p, emu_err *err)
{
    emu_rc rc;
    memset(p, 0, sizeof *p);
    p->t = t;
    bool star = s->n_items == 1 && !s->items[0].e;
    size_t n = star ? t->n_cols : s->n_items;
    size_t extra = s->n_order;
    p->out = emu_arena_zalloc(a, (n + extra + 1) * sizeof *p->out);
    p->names = emu_arena_zalloc(a, (n + extra + 1) * sizeof *p->names);
    for (size_t i = 0; i < n; i++) {
        if (star) {
            p->out[i] = column_expr(a, t, i, s->table_line, s->table_col);
            p->names[i] = t->cols[i].name;
            continue;
        }
        odps_expr *e = s->items[i].e;
        if ((rc = resolve(p, e, true, a, err)))
            return rc;
        p->out[i] = e;
        p->names[i] = s->items[i].alias          ? s->items[i].alias
                      : e->kind == ODPS_X_COLUMN ? e->name
                                                 : emu_arena_sprintf(a, "_c%zu", i);
    }
    p->n_out = p->n_all = n;
    if (s->where && (rc = resolve(p, s->where, false, a, err)))
        return rc;
    if (s->where && s->where->type != ODPS_T_BOOLEAN && s->where->type != ODPS_T_NULL)
        return odps__semantic_error(err, s->where->line, s->where->col,
                                    "WHERE needs a BOOLEAN condition, not %s",
                                    odps_type_name(s->where->type));
    for (size_t i = 0; i < s->n_group; i++)
        if ((rc = resolve(p, s->group[i], false, a, err)))
            return rc;
    p->aggregate = p->n_aggs > 0 || s->n_group > 0;
    if (p->aggregate) {
        if (star)
            return odps__semantic_error(err, s->table_line, s->table_col,
                                        "SELECT * cannot be used with GROUP BY or aggregates");
        for (size_t i = 0; i < n; i++) {
            odps_expr *e = p->out[i];
            if (e->kind == ODPS_X_AGG || e->kind == ODPS_X_LITERAL)
                continue;
            bool keyed = false;
            for (size_t k = 0; k < s->n_group && !keyed; k++)
                keyed = e->kind == ODPS_X_COLUMN && s->group[k]->index == e->index;
            if (!keyed)
                return odps__semantic_error(
                    err, e->line, e->col,
                    "expression not in aggregate function or GROUP BY key : %s",
                    e->kind == ODPS_X_COLUMN ? e->name : p->names[i]);
        }
    }
    if (s->n_order && !s->has_limit && !setting_false(script, "odps.sql.validate.orderby.limit"))
        return odps__semantic_error(err, s->order_line, s->order_col,
                                    "ORDER BY must be used with a LIMIT clause, please set "
                                    "odps.sql.validate.orderby.limit=false to use it");
    p->order_col = emu_arena_zalloc(a, (s->n_order + 1) * sizeof *p->order_col);
    for (size_t k = 0; k < s->n_order; k++) {
        odps_expr *e = s->order[k].e;
        int found = -1;
        if (e->kind == ODPS_X_COLUMN)
            for (size_t i = 0; i < n && found < 0; i++)
                if (strcmp(p->names[i], e->name) == 0)
                    found = (int)i;
        if (found < 0 && p->aggregate)
            return odps__semantic_error(
                err, e->line, e->col,
                "ORDER BY key must be a column of the select list in an aggregate query");
        if (found < 0) {
            if ((rc = resolve(p, e, false, a, err)))
                return rc;
            p->out[p->n_all] = e;
            p->names[p->n_all] = "";
            found = (int)p->n_all++;
        }
        p->order_col[k] = found;
    }
    return EMU_OK;
}

/* ---- evaluation -------------------------------------------------------------------------- */

enum { TV_FALSE, TV_TRUE, TV_NULL };

static int eval_bool(const odps_expr *e, const odps_value *row);

static odps_value eval_value(const odps_expr *e, const odps_value *row)
{
    odps_value v = {0};
    switch (e->kind) {
    case ODPS_X_COLUMN:
        return row[e->index];
    case ODPS_X_LITERAL:
        return e->lit;
    default: {
        int b = eval_bool(e, row);
        if (b != TV_NULL) {
            v.type = ODPS_T_BOOLEAN;
            v.b = b == TV_TRUE;
        }
        return v;
    }
    }
}

static int eval_bool(const odps_expr *e, const odps_value *row)
{
    switch (e->kind) {
    case ODPS_X_CMP: {
        odps_value l = eval_value(e->l, row), r = eval_value(e->r, row);
        if (l.type == ODPS_T_NULL || r.type == ODPS_T_NULL)
            return TV_NULL;
        int c = cmp_values(&l, &r);
        bool res = false;
        switch (e->cmp) {
        case ODPS_EQ:
            res = c == 0;
            break;
        case ODPS_NE:
            res = c != 0;
            break;
        case ODPS_LT:
            res = c < 0;
            break;
        case ODPS_LE:
            res = c <= 0;
            break;
        case ODPS_GT:
            res = c > 0;
            break;
        case ODPS_GE:
            res = c >= 0;
            break;
        }
        return res ? TV_TRUE : TV_FALSE;
    }
    case ODPS_X_AND: {
        int l = eval_bool(e->l, row);
        if (l == TV_FALSE)
            return TV_FALSE;
        int r = eval_bool(e->r, row);
        if (r == TV_FALSE)
            return TV_FALSE;
        return l == TV_NULL || r == TV_NULL ? TV_NULL : TV_TRUE;
    }
    case ODPS_X_OR: {
        int l = eval_bool(e->l, row);
        if (l == TV_TRUE)
            return TV_TRUE;
        int r = eval_bool(e->r, row);
        if (r == TV_TRUE)
            return TV_TRUE;
        return l == TV_NULL || r == TV_NULL ? TV_NULL : TV_FALSE;
    }
    case ODPS_X_NOT: {
        int l = eval_bool(e->l, row);
        return l == TV_NULL ? TV_NULL : l == TV_TRUE ? TV_FALSE : TV_TRUE;
    }
    case ODPS_X_ISNULL: {
        bool isnull = eval_value(e->l, row).type == ODPS_T_NULL;
        return isnull != e->negated ? TV_TRUE : TV_FALSE;
    }
    default: {
        odps_value v = eval_value(e, row);
        if (v.type == ODPS_T_NULL)
            return TV_NULL;
        return v.b ? TV_TRUE : TV_FALSE;
    }
    }
}

typedef struct acc {
    int64_t count;
    int64_t isum;
    double dsum;
    odps_value best;
} acc;

static void acc_add(const odps_expr *agg, acc *c, const odps_value *row)
{
    if (!agg->l) { /* count(*) */
        c->count++;
        return;
    }
    odps_value v = eval_value(agg->l, row);
    if (v.type == ODPS_T_NULL)
        return;
    c->count++;
    switch (agg->agg) {
    case ODPS_SUM:
    case ODPS_AVG:
        if (v.type == ODPS_T_BIGINT) {
            c->isum = (int64_t)((uint64_t)c->isum + (uint64_t)v.i); /* wraps, no UB */
            c->dsum += (double)v.i;
        } else {
            c->dsum += v.d;
        }
        break;
    case ODPS_MIN:
    case ODPS_MAX:
        if (c->count == 1 ||
            (agg->agg == ODPS_MIN ? cmp_values(&v, &c->best) < 0 : cmp_values(&v, &c->best) > 0))
            c->best = v;
        break;
    default:
        break;
    }
}

static odps_value acc_result(const odps_expr *agg, const acc *c)
{
    odps_value v = {0};
    if (agg->agg == ODPS_COUNT) {
        v.type = ODPS_T_BIGINT;
        v.i = c->count;
        return v;
    }
    if (!c->count)
        return v;
    switch (agg->agg) {
    case ODPS_SUM:
        v.type = agg->type;
        if (agg->type == ODPS_T_BIGINT)
            v.i = c->isum;
        else
            v.d = c->dsum;
        return v;
    case ODPS_AVG:
        v.type = ODPS_T_DOUBLE;
        v.d = c->dsum / (double)c->count;
        return v;
    default:
        return c->best;
    }
}

/* qsort context (single-threaded loop: a file-static is enough). */
static const odps_value *sort_rows;
static size_t sort_width;
static const int *sort_cols;
static const bool *sort_desc;
static size_t sort_n;

static int cmp_idx(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    for (size_t k = 0; k < sort_n; k++) {
        int c = cmp_nullable(&sort_rows[a * sort_width + (size_t)sort_cols[k]],
                             &sort_rows[b * sort_width + (size_t)sort_cols[k]]);
        if (c)
            return sort_desc && sort_desc[k] ? -c : c;
    }
    return (a > b) - (a < b); /* stable */
}

static void sort_index(size_t *idx, size_t n, const odps_value *rows, size_t width, const int *cols,
                       const bool *desc, size_t n_cols)
{
    sort_rows = rows;
    sort_width = width;
    sort_cols = cols;
    sort_desc = desc;
    sort_n = n_cols;
    if (n > 1)
        qsort(idx, n, sizeof *idx, cmp_idx);
}

/* Runs a SELECT to its whole, ordered, limited result (heap; the caller
 * frees it), or NULL with the task's error text in `out`. */
static odps_resultset *select_rows(odps_exec_ctx *ctx, const odps_script *script, odps_select *s,
                                   odps_task_result *out)
{
    emu_arena *a = ctx->arena;
    emu_err err = {0};
    odps_table_def def;
    plan p;
    odps_ext_table *et = odps__table_find(ctx->project, s->table);
    if (s->project && emu_strcasecmp(s->project, ctx->project->name) != 0)
        et = NULL;
    if (!et) {
        table_not_found(&err, s->table_line, s->table_col,
                        s->project ? s->project : ctx->project->name, s->table);
        set_text(out, false, err.msg);
        return NULL;
    }
    if (!privileged(ctx, et->name, ODPS_PRIV_SELECT, out))
        return NULL;
    if (odps_table_from_ddl(et->ddl, a, &def, &err) != EMU_OK ||
        analyze(script, s, &def, a, &p, &err) != EMU_OK) {
        set_text(out, false, err.msg);
        return NULL;
    }
    char input[512];
    snprintf(input, sizeof input, "%s.%s", ctx->project->name, def.name);
    out->input = emu_xstrdup(input);
    odps_rowset rs;
    if (odps_read_table(ctx->server, ctx->owner, &def, ctx->instance_id, a, &rs, &out->timings,
                        &err) != EMU_OK) {
        set_text(out, false, err.msg);
        return NULL;
    }

    uint64_t t0 = emu_clock_mono_us();
    /* Filter. */
    size_t *idx = emu_arena_alloc(a, (rs.n_rows + 1) * sizeof *idx);
    size_t n = 0;
    for (size_t r = 0; r < rs.n_rows; r++)
        if (!s->where || eval_bool(s->where, &rs.v[r * rs.n_cols]) == TV_TRUE)
            idx[n++] = r;

    /* Project (and aggregate) into the extended output rows. */
    size_t w = p.n_all;
    odps_value *o;
    size_t n_out_rows = 0;
    if (p.aggregate) {
        int *gcols = emu_arena_alloc(a, (s->n_group + 1) * sizeof *gcols);
        for (size_t k = 0; k < s->n_group; k++)
            gcols[k] = s->group[k]->index;
        sort_index(idx, n, rs.v, rs.n_cols, gcols, NULL, s->n_group);
        o = emu_arena_alloc(a, (n + 1) * w * sizeof *o);
        acc *accs = emu_arena_alloc(a, (p.n_aggs + 1) * sizeof *accs);
        size_t i = 0;
        do {
            size_t j = i;
            memset(accs, 0, (p.n_aggs + 1) * sizeof *accs);
            while (j < n) {
                if (j > i) {
                    size_t pair[2] = {idx[i], idx[j]};
                    bool same = true;
                    for (size_t k = 0; k < s->n_group && same; k++)
                        same = cmp_nullable(&rs.v[pair[0] * rs.n_cols + (size_t)gcols[k]],
                                            &rs.v[pair[1] * rs.n_cols + (size_t)gcols[k]]) == 0;
                    if (!same)
                        break;
                }
                for (size_t g = 0; g < p.n_aggs; g++)
                    acc_add(p.aggs[g], &accs[g], &rs.v[idx[j] * rs.n_cols]);
                j++;
            }
            if (j == i && s->n_group) /* no rows and GROUP BY: no groups */
                break;
            odps_value *row = &o[n_out_rows * w];
            const odps_value *first = j > i ? &rs.v[idx[i] * rs.n_cols] : NULL;
            for (size_t c = 0; c < w; c++) {
                const odps_expr *e = p.out[c];
                if (e->kind == ODPS_X_AGG)
                    row[c] = acc_result(e, &accs[e->index]);
                else if (e->kind == ODPS_X_LITERAL)
                    row[c] = e->lit;
                else
                    row[c] = first ? eval_value(e, first) : (odps_value){0};
            }
            n_out_rows++;
            i = j;
        } while (i < n);
    } else {
        o = emu_arena_alloc(a, (n + 1) * w * sizeof *o);
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < w; c++)
                o[r * w + c] = eval_value(p.out[c], &rs.v[idx[r] * rs.n_cols]);
        n_out_rows = n;
    }

    /* Order and limit. */
    size_t *ord = emu_arena_alloc(a, (n_out_rows + 1) * sizeof *ord);
    for (size_t r = 0; r < n_out_rows; r++)
        ord[r] = r;
    if (s->n_order) {
        bool *desc = emu_arena_alloc(a, s->n_order * sizeof *desc);
        for (size_t k = 0; k < s->n_order; k++)
            desc[k] = s->order[k].desc;
        sort_index(ord, n_out_rows, o, w, p.order_col, desc, s->n_order);
    }
    size_t keep = n_out_rows;
    if (s->has_limit && (uint64_t)s->limit < keep)
        keep = (size_t)s->limit;
    /* The whole result for the instance tunnel (§8.6), the capped CSV for
     * ?result (§8.7). */
    odps_type *types = emu_arena_alloc(a, (p.n_out + 1) * sizeof *types);
    for (size_t c = 0; c < p.n_out; c++)
        types[c] = p.out[c]->type;
    odps_resultset *all =
        odps_resultset_copy(p.n_out, (const char *const *)p.names, types, o, w, ord, keep);
    out->timings.eval_us += emu_clock_mono_us() - t0;
    return all;
}

static void run_select(odps_exec_ctx *ctx, const odps_script *script, odps_select *s,
                       odps_task_result *out)
{
    odps_resultset *all = select_rows(ctx, script, s, out);
    if (!all)
        return;
    uint64_t t0 = emu_clock_mono_us();
    size_t keep = all->n_rows, nc = all->n_cols;
    bool truncated = keep > ODPS_CSV_MAX_RECORDS;
    if (truncated)
        keep = ODPS_CSV_MAX_RECORDS;

    /* Render. */
    emu_buf b;
    emu_buf_init(&b, EMU_MAX_BODY_BYTES);
    for (size_t c = 0; c < nc; c++) {
        odps_value nm = {
            .type = ODPS_T_STRING, .s = all->names[c], .len = (uint32_t)strlen(all->names[c])};
        if (c)
            emu_buf_putc(&b, ',');
        odps_csv_value(&b, &nm);
    }
    emu_buf_putc(&b, '\n');
    bool overflow = false;
    for (size_t r = 0; r < keep && !overflow; r++) {
        for (size_t c = 0; c < nc; c++) {
            if (c)
                emu_buf_putc(&b, ',');
            odps_csv_value(&b, &all->v[r * nc + c]);
        }
        overflow = !emu_buf_putc(&b, '\n');
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "IsSelect", true);
    cJSON *cols = cJSON_AddArrayToObject(cJSON_AddObjectToObject(d, "Schema"), "Columns");
    for (size_t c = 0; c < nc; c++) {
        cJSON *col = cJSON_CreateObject();
        cJSON_AddStringToObject(col, "Name", all->names[c]);
        cJSON_AddStringToObject(col, "Type", odps_type_name(all->types[c]));
        cJSON_AddItemToArray(cols, col);
    }
    if (truncated || overflow)
        cJSON_AddStringToObject(d, "SelectResultStatus", "TRUNCATED");
    out->timings.eval_us += emu_clock_mono_us() - t0;
    if (overflow) {
        cJSON_Delete(d);
        emu_buf_dispose(&b);
        odps_resultset_free(all);
        set_text(out, false,
                 "ODPS-0010000:System internal error - the result is larger than acsemu's CSV "
                 "result channel holds; add a LIMIT");
        return;
    }
    out->ok = true;
    out->is_select = true;
    out->text = emu_buf_take(&b, &out->text_len);
    if (!out->text) {
        out->text = emu_xstrdup("");
        out->text_len = 0;
    }
    out->descriptor = emu_json_print(d);
    out->rows = all;
    cJSON_Delete(d);
}

static bool wrong_project(odps_exec_ctx *ctx, const char *project)
{
    return project && emu_strcasecmp(project, ctx->project->name) != 0;
}

/* ---- INSERT (§5.5) ---------------------------------------------------------------------- */

/* A source value into a column of type `to`: the same type, NULL, or
 * BIGINT widened to DOUBLE (the implicit conversion MaxCompute's odps2
 * type system makes on INSERT); anything else is a semantic error [I]. */
static bool insert_cast(odps_value *v, odps_type to)
{
    if (v->type == to || v->type == ODPS_T_NULL)
        return true;
    if (v->type == ODPS_T_BIGINT && to == ODPS_T_DOUBLE) {
        double d = (double)v->i;
        v->type = ODPS_T_DOUBLE;
        v->d = d;
        return true;
    }
    return false;
}

static void run_insert(odps_exec_ctx *ctx, const odps_script *script, odps_insert *in,
                       odps_task_result *out)
{
    emu_arena *a = ctx->arena;
    emu_err err = {0};
    odps_table_def def;
    odps_ext_table *et =
        wrong_project(ctx, in->project) ? NULL : odps__table_find(ctx->project, in->table);
    if (!et) {
        table_not_found(&err, in->table_line, in->table_col,
                        in->project ? in->project : ctx->project->name, in->table);
        set_text(out, false, err.msg);
        return;
    }
    if (!privileged(ctx, et->name, ODPS_PRIV_UPDATE, out))
        return;
    if (odps_table_from_ddl(et->ddl, a, &def, &err) != EMU_OK) {
        set_text(out, false, err.msg);
        return;
    }

    /* Target columns: the list, else every column in order. */
    size_t nt = in->n_cols ? in->n_cols : def.n_cols;
    size_t *target = emu_arena_alloc(a, (nt + 1) * sizeof *target);
    bool *given = emu_arena_zalloc(a, def.n_cols + 1);
    for (size_t i = 0; i < nt; i++) {
        size_t j = i;
        if (in->n_cols) {
            for (j = 0; j < def.n_cols && strcmp(def.cols[j].name, in->cols[i]) != 0; j++)
                ;
            if (j == def.n_cols || given[j]) {
                odps__semantic_error(&err, in->col_line[i], in->col_col[i],
                                     j == def.n_cols ? "column %s cannot be resolved in table %s"
                                                     : "column %s is given twice for table %s",
                                     in->cols[i], def.name);
                set_text(out, false, err.msg);
                return;
            }
        }
        target[i] = j;
        given[j] = true;
    }
    for (size_t j = 0; j < def.n_cols; j++)
        if (def.ots_pk[j] && !given[j]) {
            /* [I] MaxCompute would write NULL, which no Tablestore row key can hold. */
            odps__semantic_error(&err, in->table_line, in->table_col,
                                 "column %s maps Tablestore primary-key column '%s' of %s and "
                                 "must be given a value",
                                 def.cols[j].name, def.ots_cols[j], def.name);
            set_text(out, false, err.msg);
            return;
        }

    /* Source rows: VALUES literals or a SELECT's whole result. */
    odps_resultset *src = NULL;
    size_t n_rows, n_src;
    int line = in->values_line, col = in->values_col;
    if (in->has_query) {
        if (!(src = select_rows(ctx, script, &in->query, out)))
            return;
        n_rows = src->n_rows;
        n_src = src->n_cols;
        line = in->query.table_line;
        col = in->query.table_col;
    } else {
        n_rows = in->n_rows;
        n_src = in->n_vals;
    }
    if (n_src != nt) {
        odps__semantic_error(&err, line, col,
                             "the query gives %zu columns but INSERT into %s expects %zu", n_src,
                             def.name, nt);
        goto fail;
    }
    odps_value *rows = emu_arena_zalloc(a, (n_rows * def.n_cols + 1) * sizeof *rows);
    for (size_t r = 0; r < n_rows; r++)
        for (size_t c = 0; c < nt; c++) {
            odps_value v = src ? src->v[r * n_src + c] : in->values[r * n_src + c]->lit;
            const odps_coldef *cd = &def.cols[target[c]];
            if (src && v.type != ODPS_T_NULL && src->types[c] != v.type)
                v.type = src->types[c];
            if (!insert_cast(&v, cd->type)) {
                odps__semantic_error(&err, line, col,
                                     "cannot insert a %s value into column %s of type %s",
                                     odps_type_name(v.type), cd->name, odps_type_name(cd->type));
                goto fail;
            }
            if (v.type == ODPS_T_NULL && def.ots_pk[target[c]]) {
                snprintf(err.msg, sizeof err.msg,
                         "ODPS-0010000:System internal error - Output to TableStore failed with "
                         "exception:row %zu has NULL for primary-key column '%s'",
                         r + 1, def.ots_cols[target[c]]);
                goto fail;
            }
            rows[r * def.n_cols + target[c]] = v;
        }
    out->timings.rows_read = 0;
    if (odps_write_table(ctx->server, ctx->owner, &def, ctx->instance_id, a, rows, n_rows,
                         &out->timings, &err) != EMU_OK)
        goto fail;
    odps_resultset_free(src);
    set_text(out, true, "");
    return;
fail:
    odps_resultset_free(src);
    set_text(out, false, err.msg);
}

/* ---- DDL and metadata ------------------------------------------------------------------------ */

static void run_create(odps_exec_ctx *ctx, const odps_stmt *st, odps_task_result *out)
{
    emu_err err = {0};
    odps_table_def def;
    if (odps_table_validate(&st->create, ctx->arena, &def, &err) != EMU_OK) {
        set_text(out, false, err.msg);
        return;
    }
    if (!privileged(ctx, NULL, ODPS_PRIV_CREATETABLE, out))
        return;
    if (odps__table_find(ctx->project, def.name)) {
        if (st->create.if_not_exists) {
            set_text(out, true, "OK");
            return;
        }
        char m[EMU_ERR_MSG_MAX];
        snprintf(m, sizeof m,
                 "ODPS-0130211:[%d,%d] Table or view already exists - table %s.%s already exists",
                 st->line, st->col, ctx->project->name, def.name);
        set_text(out, false, m);
        return;
    }
    if (odps__table_add(ctx->project, def.name, st->text, emu_clock_now_ms(), ctx->who, &err) !=
        EMU_OK) {
        char m[EMU_ERR_MSG_MAX];
        snprintf(m, sizeof m, "ODPS-0010000:System internal error - %s", err.msg);
        set_text(out, false, m);
        return;
    }
    set_text(out, true, "OK");
}

static void run_drop(odps_exec_ctx *ctx, const odps_stmt *st, odps_task_result *out)
{
    emu_err err = {0};
    if (!wrong_project(ctx, st->project) && odps__table_find(ctx->project, st->name) &&
        !privileged(ctx, st->name, ODPS_PRIV_DROP, out))
        return;
    if (!wrong_project(ctx, st->project) && odps__table_drop(ctx->project, st->name)) {
        set_text(out, true, "OK");
        return;
    }
    if (st->if_exists) {
        set_text(out, true, "OK");
        return;
    }
    table_not_found(&err, st->line, st->col, st->project ? st->project : ctx->project->name,
                    st->name);
    set_text(out, false, err.msg);
}

static void run_show(odps_exec_ctx *ctx, odps_task_result *out)
{
    if (!privileged(ctx, NULL, ODPS_PRIV_LIST, out))
        return;
    emu_buf b;
    emu_buf_init(&b, EMU_MAX_BODY_BYTES);
    for (size_t i = 0; i < ctx->project->n_tables; i++)
        emu_buf_printf(&b, "%s:%s\n",
                       odps__table_owner(ctx->owner, &ctx->project->tables[i], ctx->arena),
                       ctx->project->tables[i].name);
    out->ok = true;
    out->text = emu_buf_take(&b, &out->text_len);
    if (!out->text) {
        out->text = emu_xstrdup("");
        out->text_len = 0;
    }
}

/* One "| text ... |" line of the DESC box, 84 columns wide. */
static void box_line(emu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void box_line(emu_buf *b, const char *fmt, ...)
{
    char m[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    emu_buf_printf(b, "| %-82s |\n", m);
}

static void box_rule(emu_buf *b)
{
    emu_buf_puts(
        b,
        "+------------------------------------------------------------------------------------+\n");
}

static void run_desc(odps_exec_ctx *ctx, const odps_stmt *st, odps_task_result *out)
{
    emu_err err = {0};
    odps_ext_table *et =
        wrong_project(ctx, st->project) ? NULL : odps__table_find(ctx->project, st->name);
    odps_table_def def;
    if (!et) {
        table_not_found(&err, st->line, st->col, st->project ? st->project : ctx->project->name,
                        st->name);
        set_text(out, false, err.msg);
        return;
    }
    if (!privileged(ctx, et->name, ODPS_PRIV_DESCRIBE, out))
        return;
    if (odps_table_from_ddl(et->ddl, ctx->arena, &def, &err) != EMU_OK) {
        set_text(out, false, err.msg);
        return;
    }
    char when[21];
    emu_time_iso(et->create_ms, when);
    when[10] = ' ';
    when[19] = '\0';
    emu_buf b;
    emu_buf_init(&b, EMU_MAX_BODY_BYTES);
    box_rule(&b);
    box_line(&b, "Owner:                    %s", odps__table_owner(ctx->owner, et, ctx->arena));
    box_line(&b, "Project:                  %s", ctx->project->name);
    box_line(&b, "TableComment:");
    box_rule(&b);
    box_line(&b, "CreateTime:               %s", when);
    box_line(&b, "LastDDLTime:              %s", when);
    box_line(&b, "LastModifiedTime:         %s", when);
    box_rule(&b);
    box_line(&b, "ExternalTable:            YES");
    box_line(&b, "StorageHandler:           com.aliyun.odps.TableStoreStorageHandler");
    /* The AK:SK@ form's keys are not shown. */
    box_line(&b, "Location:                 tablestore://%s%s", def.ak_id ? "***:***@" : "",
             def.host);
    box_line(&b, "TableStoreTable:          %s", def.ots_table);
    if (def.role_arn)
        box_line(&b, "RoleArn:                  %s", def.role_arn);
    box_rule(&b);
    box_line(&b, "Native Columns:");
    box_rule(&b);
    box_line(&b, "%-16s| %-11s| %-6s| %s", "Field", "Type", "Label", "Comment");
    box_rule(&b);
    for (size_t i = 0; i < def.n_cols; i++)
        box_line(&b, "%-16s| %-11s| %-6s| %s", def.cols[i].name, odps_type_name(def.cols[i].type),
                 "", def.cols[i].comment ? def.cols[i].comment : "");
    box_rule(&b);
    out->ok = true;
    out->text = emu_buf_take(&b, &out->text_len);
}

void odps_exec_sql(odps_exec_ctx *ctx, const char *sql, size_t len, odps_task_result *out)
{
    uint64_t t0 = emu_clock_mono_us();
    odps_script script;
    emu_err err = {0};
    memset(out, 0, sizeof *out);
    if (odps_acl_is_statement(sql, len)) {
        /* Security statements in an SQL task, as odpscmd and DataWorks
         * send them; pyodps uses POST /projects/p/authorization. */
        emu_buf b;
        emu_buf_init(&b, EMU_MAX_BODY_BYTES);
        if (odps_acl_run(ctx->project, ctx->who, ctx->is_owner || ctx->is_admin,
                         emu_arena_strndup(ctx->arena, sql, len), false, ctx->arena, &b,
                         &err) != EMU_OK) {
            emu_buf_dispose(&b);
            set_text(out, false, err.msg);
            goto done;
        }
        out->ok = true;
        out->text = emu_buf_take(&b, &out->text_len);
        if (!out->text) {
            out->text = emu_xstrdup("");
            out->text_len = 0;
        }
        goto done;
    }
    if (odps_sql_parse(sql, len, ctx->arena, &script, &err) != EMU_OK) {
        set_text(out, false, err.msg);
        goto done;
    }
    switch (script.stmt.kind) {
    case ODPS_STMT_NONE:
        set_text(out, true, "OK");
        break;
    case ODPS_STMT_CREATE:
        run_create(ctx, &script.stmt, out);
        break;
    case ODPS_STMT_DROP:
        run_drop(ctx, &script.stmt, out);
        break;
    case ODPS_STMT_SHOW_TABLES:
        run_show(ctx, out);
        break;
    case ODPS_STMT_DESC:
        run_desc(ctx, &script.stmt, out);
        break;
    case ODPS_STMT_SELECT:
        run_select(ctx, &script, &script.stmt.select, out);
        break;
    case ODPS_STMT_INSERT:
        run_insert(ctx, &script, &script.stmt.insert, out);
        break;
    }
done:
    out->timings.total_us = emu_clock_mono_us() - t0;
}
