/* The SQL subset acsemu runs, shared by MaxCompute's SQL tasks and
 * Tablestore's SQLQuery: the tokenizer and recursive-descent parser
 * (odps_sql.c) and the SELECT engine (odps_query.c). Pure: text in, AST in
 * an arena, rows from the caller's callback, a typed result out; no world,
 * no I/O. It is the library emu_odps_sql (core only), which the MaxCompute
 * service (emulator/odps) and the Tablestore service (emulator/ots) link.
 *
 * Errors are ODPS-style texts in err->msg ("ODPS-0130161:[1,8] Parse
 * exception - ..."); Tablestore's SQLQuery rewords them (ots_sql.c). */
#ifndef EMU_ODPS_SQL_H
#define EMU_ODPS_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/buf.h"
#include "emu/err.h"
#include "emu/limits.h"

/* ---- limits (emulator choices) ------------------------------------------- */

#define ODPS_MAX_SQL_BYTES (256 * 1024) /* one task's query text */
#define ODPS_MAX_COLUMNS 256            /* columns of a table, items of a SELECT */
#define ODPS_MAX_SETS 64                /* leading SET statements */
#define ODPS_MAX_EXPR_DEPTH 64          /* nesting of expressions and subqueries */
#define ODPS_MAX_JOIN_SOURCES 16        /* tables of one FROM, branches of a UNION ALL */
#define ODPS_MAX_JOIN_PAIRS 20000000    /* row pairs of a join without an equality */
#define ODPS_MAX_READ_ROWS 2000000      /* rows one query may read, and its result rows */

/* ---- values ----------------------------------------------------------------- */

typedef enum odps_type {
    ODPS_T_NULL = 0, /* the type of the NULL literal; a value of any column */
    ODPS_T_BIGINT,
    ODPS_T_DOUBLE,
    ODPS_T_STRING,
    ODPS_T_BOOLEAN,
    ODPS_T_BINARY,
    ODPS_T_DATETIME, /* milliseconds since the epoch (query results only) */
} odps_type;

/* "bigint", "double", ... (lower case, as result descriptors spell them). */
const char *odps_type_name(odps_type t);

typedef struct odps_value {
    odps_type type; /* ODPS_T_NULL = SQL NULL */
    uint32_t len;   /* STRING/BINARY byte count */
    union {
        int64_t i; /* BIGINT; DATETIME: ms since the epoch */
        double d;
        bool b;
        const char *s; /* STRING/BINARY bytes (not NUL-terminated in general) */
    };
} odps_value;

/* ---- SQL AST (odps_sql.c) ------------------------------------------------------ */

typedef enum odps_expr_kind {
    ODPS_X_COLUMN,
    ODPS_X_LITERAL,
    ODPS_X_CMP,     /* l op r */
    ODPS_X_AND,     /* l AND r */
    ODPS_X_OR,      /* l OR r */
    ODPS_X_NOT,     /* NOT l */
    ODPS_X_ISNULL,  /* l IS [NOT] NULL */
    ODPS_X_AGG,     /* count/sum/avg/min/max([DISTINCT] l), count(*) with l NULL */
    ODPS_X_ARITH,   /* l arith r: + - * / % */
    ODPS_X_NEG,     /* -l */
    ODPS_X_FUNC,    /* name(args) */
    ODPS_X_CASE,    /* CASE [l] WHEN args[2k] THEN args[2k+1] ... [ELSE r] END */
    ODPS_X_CAST,    /* CAST(l AS cast_to) */
    ODPS_X_IN,      /* l [NOT] IN (args) */
    ODPS_X_BETWEEN, /* l [NOT] BETWEEN args[0] AND args[1] */
    ODPS_X_LIKE,    /* l [NOT] LIKE r */
} odps_expr_kind;

typedef enum odps_cmp { ODPS_EQ, ODPS_NE, ODPS_LT, ODPS_LE, ODPS_GT, ODPS_GE } odps_cmp;
typedef enum odps_agg { ODPS_COUNT, ODPS_SUM, ODPS_AVG, ODPS_MIN, ODPS_MAX } odps_agg;

typedef struct odps_expr odps_expr;
struct odps_expr {
    odps_expr_kind kind;
    int line, col;     /* 1-based position of the expression's first token */
    const char *name;  /* COLUMN, FUNC: lower-cased name */
    const char *qual;  /* COLUMN: the table or alias of qual.name, or NULL */
    odps_value lit;    /* LITERAL */
    odps_cmp cmp;      /* CMP */
    odps_agg agg;      /* AGG */
    bool distinct;     /* AGG: count(DISTINCT l) ... */
    bool negated;      /* ISNULL: IS NOT NULL; IN, BETWEEN, LIKE: NOT */
    char arith;        /* ARITH: '+', '-', '*', '/', '%' */
    odps_type cast_to; /* CAST */
    odps_expr *l, *r;
    odps_expr **args; /* FUNC, CASE, IN, BETWEEN */
    size_t n_args;
    /* Filled by semantic analysis (odps_query.c). */
    int index;      /* COLUMN: input column; AGG: accumulator slot; FUNC: function */
    odps_type type; /* result type */
};

typedef struct odps_select_item {
    odps_expr *e;      /* NULL for '*' */
    const char *alias; /* lower-cased, or NULL */
} odps_select_item;

typedef struct odps_order_item {
    odps_expr *e;
    bool desc;
} odps_order_item;

typedef struct odps_select odps_select;

typedef enum odps_join { ODPS_JOIN_NONE, ODPS_JOIN_INNER, ODPS_JOIN_LEFT } odps_join;

/* One item of FROM: a table or a subquery, joined to the ones before it. */
typedef struct odps_source {
    const char *project, *table; /* a table (lower-cased), else NULL */
    odps_select *sub;            /* a subquery, else NULL */
    const char *alias;
    int line, col;
    odps_join join; /* NONE for the first source */
    odps_expr *on;
} odps_source;

struct odps_select {
    bool distinct;
    odps_select_item *items;
    size_t n_items;
    odps_source *from; /* n_from >= 1 */
    size_t n_from;
    const char *project; /* the first source's "p" of FROM p.t, or NULL */
    const char *table;   /* the first source's table (NULL for a subquery) */
    int table_line, table_col;
    odps_expr *where;
    odps_expr **group;
    size_t n_group;
    odps_expr *having;
    odps_order_item *order;
    size_t n_order;
    int order_line, order_col;
    bool has_limit;
    int64_t limit;
    int64_t offset;         /* Tablestore's LIMIT [offset,] n / LIMIT n OFFSET m */
    odps_select *union_all; /* the next SELECT of a UNION ALL chain */
    int union_line, union_col;
};

typedef struct odps_kv {
    const char *key;
    const char *value;
    int line, col;
} odps_kv;

typedef struct odps_coldef {
    const char *name; /* lower-cased */
    odps_type type;
    const char *type_text; /* Tablestore: the type as written, lower-cased ("varchar(1024)") */
    const char *raw;       /* Tablestore: the name as written */
    const char *comment;
    int line, col;
} odps_coldef;

typedef struct odps_create {
    bool if_not_exists;
    const char *name; /* lower-cased */
    odps_coldef *cols;
    size_t n_cols;
    const char *handler;
    int handler_line, handler_col;
    odps_kv *serde;
    size_t n_serde;
    const char *location;
    int location_line, location_col;
    const char *using_res; /* accepted and ignored (spec §3 step 7) */
    odps_kv *tblprops;
    size_t n_tblprops;
    bool has_lifecycle;
    int64_t lifecycle;
    /* Tablestore's CREATE TABLE (a mapping): the name as written, the
     * PRIMARY KEY columns (lower-cased, in order) and ENGINE options. */
    const char *raw_name;
    const char **pk;
    size_t n_pk;
    odps_kv *engine; /* ENGINE = 'x', ENGINE_ATTRIBUTE = '...', ... (keys lower-cased) */
    size_t n_engine;
} odps_create;

typedef struct odps_insert {
    bool overwrite; /* INSERT OVERWRITE (no truncation on Tablestore: §5.5) */
    const char *project, *table;
    int table_line, table_col;
    const char **cols; /* the (column, ...) list, lower-cased; NULL = all */
    int *col_line, *col_col;
    size_t n_cols;
    bool has_query; /* SELECT ... as the source, else VALUES */
    odps_select query;
    odps_expr **values; /* VALUES: n_rows * n_vals literal expressions */
    size_t n_rows, n_vals;
    int values_line, values_col;
} odps_insert;

typedef enum odps_stmt_kind {
    ODPS_STMT_NONE, /* only SET statements */
    ODPS_STMT_CREATE,
    ODPS_STMT_DROP,
    ODPS_STMT_SHOW_TABLES,
    ODPS_STMT_DESC,
    ODPS_STMT_SELECT,
    ODPS_STMT_INSERT,
    ODPS_STMT_SHOW_INDEX, /* Tablestore: SHOW INDEX FROM name */
} odps_stmt_kind;

typedef struct odps_stmt {
    odps_stmt_kind kind;
    int line, col;
    const char *text; /* the statement without its ';' (arena copy) */
    odps_create create;
    odps_select select;
    odps_insert insert;
    const char *name;    /* DROP / DESC: lower-cased table name */
    const char *project; /* DROP / DESC: "p" of p.t, or NULL */
    bool if_exists;      /* DROP */
    const char **names;  /* Tablestore's DROP MAPPING TABLE a, b: every name (as written) */
    size_t n_names;
    const char *raw_name; /* Tablestore: DESC / SHOW INDEX name as written */
} odps_stmt;

typedef struct odps_script {
    odps_kv *sets; /* leading SET key=value, in order */
    size_t n_sets;
    odps_stmt stmt;
} odps_script;

/* Parses a SQL task's text: any number of leading `SET key=value;`, then
 * at most one statement of the subset, an optional ';', then only blanks
 * and comments (`--` to end of line, block comments). Keywords and
 * identifiers are case-insensitive and names are lower-cased; `backquoted`
 * identifiers and '...' / "..." strings with backslash escapes are
 * accepted. Everything lives in `a`; `text` need not be NUL-terminated.
 *
 * Errors (EMU_E_INVALID) carry the task text in err->msg:
 *   "ODPS-0130161:[line,col] Parse exception - <what>" for syntax, and for
 *   anything outside the subset, naming it ("JOIN is not supported by
 *   acsemu's SQL subset ..."); "ODPS-0130071:[line,col] Semantic analysis
 *   exception - ..." for unsupported column types. EMU_E_LIMIT for texts
 *   over ODPS_MAX_SQL_BYTES or lists over the caps above. Never reads past
 *   len; recursion is bounded by ODPS_MAX_EXPR_DEPTH. */
emu_rc odps_sql_parse(const char *text, size_t len, emu_arena *a, odps_script *out, emu_err *err);

/* Parses one statement of Tablestore's SQLQuery (MySQL-flavoured), with
 * the same tokenizer, expressions and SELECT as above, an optional ';' and
 * nothing after it:
 *   CREATE TABLE [IF NOT EXISTS] name '(' name type [NULL | NOT NULL]
 *       [COMMENT 'text'] {',' ...} [',' PRIMARY KEY '(' name {',' name} ')'] ')'
 *       {ENGINE | ENGINE_ATTRIBUTE ... ['='] 'value' | name}
 *   type := name ['(' n [',' n] ')'] [UNSIGNED]: bigint int integer smallint
 *       tinyint mediumint; double float; varchar char text tinytext
 *       mediumtext longtext; bool boolean; varbinary binary blob tinyblob
 *       mediumblob longblob
 *   DROP MAPPING TABLE [IF EXISTS] name {',' name}
 *   SHOW TABLES | SHOW INDEX (FROM | IN) name | DESC | DESCRIBE name
 *   SELECT ... [LIMIT [offset ','] n | LIMIT n OFFSET m]
 * Errors are the texts of odps_sql_parse (no SET lines here). */
emu_rc odps_sql_parse_tablestore(const char *text, size_t len, emu_arena *a, odps_stmt *out,
                                 emu_err *err);

/* ---- external table definitions (odps_table.c) -------------------------------- */

typedef struct odps_table_def {
    const char *name;
    const odps_coldef *cols;
    size_t n_cols;
    const char **ots_cols; /* per column: the Tablestore column it maps to */
    bool *ots_pk;          /* per column: a primary-key column (":name") */
    const char *ots_table;
    const char *role_arn; /* NULL: the project owner's default role (§4) */
    const char *host;     /* LOCATION host, lower case, without AK:SK@ */
    const char *instance; /* first label of host */
    const char *region;   /* second label */
    const char *ak_id;    /* LOCATION AK:SK@ form, else NULL */
    const char *ak_secret;
    bool permissive; /* tablestore.read.mode=permissive */
} odps_table_def;

/* "ODPS-0130071:[line,col] Semantic analysis exception - <fmt>" in err
 * (EMU_E_INVALID), the text MaxCompute's compiler gives; returns the rc. */
emu_rc odps__semantic_error(emu_err *err, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- rows and results ------------------------------------------------------------ */

typedef struct odps_rowset {
    odps_value *v; /* n_rows * n_cols values, row-major */
    size_t n_rows;
    size_t n_cols;
} odps_rowset;

/* A SELECT's whole result, typed, as the instance tunnel serves it (spec
 * §8.6): no 10,000-record cap. Heap: everything lives in `mem`, which the
 * result owns; free with odps_resultset_free. */
typedef struct odps_resultset {
    size_t n_rows, n_cols;
    const char **names; /* lower-cased result column names */
    odps_type *types;   /* never ODPS_T_NULL (an all-NULL column is STRING) */
    odps_value *v;      /* n_rows * n_cols, row-major; strings point into mem */
    size_t bytes;       /* memory held, for ODPS_MAX_HELD_RESULT_BYTES */
    emu_arena *mem;
} odps_resultset;

/* Copies rows ord[0..n_rows) of `rows` (width `w`, the first n_cols
 * values of each are the result) with their strings. */
odps_resultset *odps_resultset_copy(size_t n_cols, const char *const *names, const odps_type *types,
                                    const odps_value *rows, size_t w, const size_t *ord,
                                    size_t n_rows);
void odps_resultset_free(odps_resultset *rs);

/* ---- the SELECT engine (odps_query.c) ------------------------------------------- */

typedef struct odps_query_env {
    const odps_script *script; /* its SETs */
    emu_arena *a;              /* everything of the query lives here */
    int64_t now_ms;            /* getdate(): the virtual clock */
    /* Reads one table source of the project for the query: the caller's
     * privilege, the definition and every row; on failure the task's text
     * in err->msg. */
    emu_rc (*read_table)(void *ud, const odps_source *src, odps_table_def *def, odps_rowset *rows,
                         emu_err *err);
    void *ud;
    bool order_without_limit; /* Tablestore: ORDER BY needs no LIMIT */
} odps_query_env;

/* Runs a SELECT (with its joins, subqueries and UNION ALL branches) to its
 * whole result (heap: free with odps_resultset_free); NULL with the task's
 * error text in err. */
odps_resultset *odps_query_run(const odps_query_env *env, odps_select *s, emu_err *err);

/* "yyyy-mm-dd hh:mi:ss" of a DATETIME in the project's time zone. */
void odps_datetime_text(int64_t ms, char out[32]);

/* ---- CSV (odps_query.c) --------------------------------------------------------- */

/* Appends one value in the result CSV form (§8.7): NULL → \N, booleans
 * true/false, doubles in the shortest form that reads back exactly,
 * strings quoted when they hold ',', '"', CR or LF. */
void odps_csv_value(emu_buf *b, const odps_value *v);

#endif
