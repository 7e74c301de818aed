/* Runs one SQL task (maxcompute-external-table.md §5, §8.7, §9.2):
 * leading SETs become session flags, then DDL against the project's
 * metadata, SHOW TABLES / DESC as text, security statements (odps_acl.c),
 * SELECT through the query engine (odps_query.c, which reads each table
 * with odps_read.c) rendered as CSV and kept whole for the tunnel, and
 * INSERT through the write path (odps_read.c).
 *
 * Task-level choices: ORDER BY needs LIMIT unless `set
 * odps.sql.validate.orderby.limit=false` (MaxCompute's default check);
 * the CSV channel keeps ODPS_CSV_MAX_RECORDS records and then says
 * SelectResultStatus TRUNCATED (§8.7), while the tunnel serves every row. */
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

/* ---- SELECT ----------------------------------------------------------------------------- */

typedef struct reader {
    odps_exec_ctx *ctx;
    odps_task_result *out;
} reader;

/* odps_query_env.read_table: a table of this project, for a member with
 * Select on it, read through the table's role (odps_read.c). */
static emu_rc read_table(void *ud, const odps_source *src, odps_table_def *def, odps_rowset *rows,
                         emu_err *err)
{
    reader *r = ud;
    odps_exec_ctx *ctx = r->ctx;
    odps_ext_table *et = odps__table_find(ctx->project, src->table);
    if (src->project && emu_strcasecmp(src->project, ctx->project->name) != 0)
        et = NULL;
    if (!et)
        return table_not_found(err, src->line, src->col,
                               src->project ? src->project : ctx->project->name, src->table);
    if (!privileged(ctx, et->name, ODPS_PRIV_SELECT, r->out))
        return emu_err_set(err, EMU_E_DENIED, NULL, "%s", r->out->text);
    emu_rc rc;
    if ((rc = odps_table_from_ddl(et->ddl, ctx->arena, def, err)))
        return rc;
    if (!r->out->input) {
        char input[512];
        snprintf(input, sizeof input, "%s.%s", ctx->project->name, def->name);
        r->out->input = emu_xstrdup(input);
    }
    odps_timings tm = {0};
    rc =
        odps_read_table(ctx->server, ctx->owner, def, ctx->instance_id, ctx->arena, rows, &tm, err);
    r->out->timings.assume_us += tm.assume_us;
    r->out->timings.meta_us += tm.meta_us;
    r->out->timings.range_us += tm.range_us;
    r->out->timings.range_calls += tm.range_calls;
    r->out->timings.rows_read += tm.rows_read;
    return rc;
}

/* Runs a SELECT to its whole, ordered, limited result (heap; the caller
 * frees it), or NULL with the task's error text in `out`. */
static odps_resultset *select_rows(odps_exec_ctx *ctx, const odps_script *script, odps_select *s,
                                   odps_task_result *out)
{
    reader r = {ctx, out};
    odps_query_env env = {.script = script,
                          .a = ctx->arena,
                          .now_ms = emu_clock_now_ms(),
                          .read_table = read_table,
                          .ud = &r};
    emu_err err = {0};
    uint64_t t0 = emu_clock_mono_us();
    odps_resultset *all = odps_query_run(&env, s, &err);
    uint64_t spent = emu_clock_mono_us() - t0;
    uint64_t io = out->timings.assume_us + out->timings.meta_us + out->timings.range_us;
    out->timings.eval_us += spent > io ? spent - io : 0;
    if (!all)
        set_text(out, false, err.msg);
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
    case ODPS_STMT_SHOW_INDEX: /* Tablestore's statement only */
        set_text(out, false, "ODPS-0130161:[1,1] Parse exception - SHOW INDEX is not supported");
        break;
    }
done:
    out->timings.total_us = emu_clock_mono_us() - t0;
}
