/* The MaxCompute SQL subset acsemu runs (maxcompute-external-table.md §5.1,
 * §9.2): tokenizer and recursive-descent parser. Pure: text in, AST in the
 * arena out, no I/O, no world.
 *
 * Contract:
 *   script  := { SET key '=' value ';' } [ statement ] [ ';' ]
 *   statement :=
 *       CREATE EXTERNAL TABLE [IF NOT EXISTS] name '(' coldef {',' coldef} ')'
 *         [COMMENT 'text'] STORED BY 'class' [WITH SERDEPROPERTIES '(' kv {',' kv} ')']
 *         LOCATION 'url' [USING 'res'] [TBLPROPERTIES '(' kv {',' kv} ')'] [LIFECYCLE n]
 *     | DROP TABLE [IF EXISTS] [project '.'] name
 *     | SHOW TABLES
 *     | DESC | DESCRIBE [EXTENDED] [project '.'] name
 *     | SELECT ('*' | item {',' item}) FROM [project '.'] name [WHERE cond]
 *         [GROUP BY column {',' column}] [ORDER BY expr [ASC|DESC] {...}] [LIMIT n]
 *     | INSERT (INTO | OVERWRITE) [TABLE] [project '.'] name ['(' column {',' column} ')']
 *         (select | VALUES '(' literal {',' literal} ')' {',' '(' ... ')'})
 *   item    := expr [[AS] alias]
 *   cond    := cond OR cond | cond AND cond | NOT cond | '(' cond ')'
 *            | operand cmp operand | operand IS [NOT] NULL
 *   cmp     := '=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>='
 *   operand := column | literal | agg '(' ('*' | column) ')' | '(' cond ')'
 *   literal := integer | decimal | 'string' | "string" | TRUE | FALSE | NULL
 *
 * SET lines are scanned as raw text (key up to '=', value up to ';'), so
 * values the tokenizer would not accept (pyodps copies arbitrary hints)
 * pass. `--` comments run to the end of the line; block comments are
 * accepted too. The first construct outside the subset stops the parse
 * with a message naming it (JOIN, UNION, DISTINCT, HAVING, INSERT, a
 * function other than the five aggregates, arithmetic, ...). INSERT's
 * VALUES take literals only (a signed number, a string, TRUE/FALSE, NULL).
 *
 * Positions are 1-based [line,col] of the offending token, the way
 * MaxCompute prints them. Note the deliberate strictness of §5.1: a
 * missing comma between two SERDEPROPERTIES entries is a parse error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/odps_sql.h"
#include "emu/str.h"

typedef enum tkind { T_EOF, T_IDENT, T_QIDENT, T_NUMBER, T_STRING, T_PUNCT } tkind;

typedef struct tok {
    tkind kind;
    const char *p; /* raw text */
    size_t len;
    int line, col;
    const char *str; /* IDENT/QIDENT: lower-cased name; STRING: decoded */
    size_t str_len;
} tok;

typedef struct parser {
    const char *src;
    size_t len;
    emu_arena *a;
    emu_err *err;
    tok *toks;
    size_t n, pos;
    int depth;
    bool tablestore; /* odps_sql_parse_tablestore: its LIMIT forms */
} parser;

static const char SUBSET[] =
    "supported: SET, CREATE EXTERNAL TABLE, DROP TABLE, SHOW TABLES, DESC, SELECT "
    "columns/count/sum/avg/min/max FROM one table [WHERE] [GROUP BY] [ORDER BY] [LIMIT], and "
    "INSERT INTO/OVERWRITE a table with such a SELECT or VALUES";

static void line_col(const char *src, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (src[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static emu_rc fail_at(parser *p, int line, int col, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static emu_rc fail_at(parser *p, int line, int col, const char *kind, const char *fmt, ...)
{
    char m[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return emu_err_set(p->err, EMU_E_INVALID, NULL, "%s:[%d,%d] %s", kind, line, col, m);
}

emu_rc odps__semantic_error(emu_err *err, int line, int col, const char *fmt, ...)
{
    char m[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return emu_err_set(err, EMU_E_INVALID, NULL,
                       "ODPS-0130071:[%d,%d] Semantic analysis exception - %s", line, col, m);
}

#define PARSE_EX "ODPS-0130161"
#define SEMANTIC_EX "ODPS-0130071"

/* ---- tokenizer -------------------------------------------------------------- */

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char)c >= 0x80;
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char *lower_dup(emu_arena *a, const char *s, size_t n)
{
    char *d = emu_arena_strndup(a, s, n);
    for (size_t i = 0; i < n; i++)
        if (d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] + 32);
    return d;
}

/* Skips blanks and comments from *i; false on an unterminated block
 * comment (its start in *bad). */
static bool skip_blank(const char *s, size_t len, size_t *i, size_t *bad)
{
    for (;;) {
        while (*i < len && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' || s[*i] == '\n' ||
                            s[*i] == '\f' || s[*i] == '\v'))
            (*i)++;
        if (*i + 1 < len && s[*i] == '-' && s[*i + 1] == '-') {
            while (*i < len && s[*i] != '\n')
                (*i)++;
            continue;
        }
        if (*i + 1 < len && s[*i] == '/' && s[*i + 1] == '*') {
            size_t start = *i;
            *i += 2;
            while (*i + 1 < len && !(s[*i] == '*' && s[*i + 1] == '/'))
                (*i)++;
            if (*i + 1 >= len) {
                *bad = start;
                return false;
            }
            *i += 2;
            continue;
        }
        return true;
    }
}

static emu_rc lex_string(parser *p, size_t *i, tok *t)
{
    char q = p->src[*i];
    size_t j = *i + 1;
    char *out = emu_arena_alloc(p->a, p->len - *i + 1);
    size_t n = 0;
    while (j < p->len && p->src[j] != q) {
        char c = p->src[j];
        if (c == '\\' && j + 1 < p->len) {
            j++;
            switch (p->src[j]) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case '0':
                c = '\0';
                break;
            default:
                c = p->src[j];
                break;
            }
        }
        out[n++] = c;
        j++;
    }
    if (j >= p->len)
        return fail_at(p, t->line, t->col, PARSE_EX,
                       "Parse exception - unterminated string literal");
    out[n] = '\0';
    t->kind = T_STRING;
    t->str = out;
    t->str_len = n;
    *i = j + 1;
    return EMU_OK;
}

static emu_rc tokenize(parser *p, size_t from)
{
    size_t cap = 64, i = from, bad = 0;
    int line = 1, col = 1;
    size_t at = 0; /* offset line/col were computed for */
    line_col(p->src, from, &line, &col);
    at = from;
    p->toks = emu_arena_alloc(p->a, cap * sizeof *p->toks);
    p->n = 0;
    for (;;) {
        if (!skip_blank(p->src, p->len, &i, &bad)) {
            int l, c;
            line_col(p->src, bad, &l, &c);
            return fail_at(p, l, c, PARSE_EX, "Parse exception - unterminated comment");
        }
        /* Advance line/col incrementally from the previous token. */
        for (; at < i; at++) {
            if (p->src[at] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        if (p->n + 1 >= cap) {
            tok *grown = emu_arena_alloc(p->a, 2 * cap * sizeof *grown);
            memcpy(grown, p->toks, p->n * sizeof *grown);
            p->toks = grown;
            cap *= 2;
        }
        tok *t = &p->toks[p->n];
        memset(t, 0, sizeof *t);
        t->line = line;
        t->col = col;
        t->p = p->src + i;
        if (i >= p->len) {
            t->kind = T_EOF;
            p->n++;
            return EMU_OK;
        }
        char c = p->src[i];
        size_t start = i;
        emu_rc rc;
        if (is_ident_start(c)) {
            while (i < p->len && is_ident_char(p->src[i]))
                i++;
            t->kind = T_IDENT;
            t->str = lower_dup(p->a, p->src + start, i - start);
            t->str_len = i - start;
        } else if (c == '`') {
            size_t j = i + 1;
            while (j < p->len && p->src[j] != '`')
                j++;
            if (j >= p->len || j == i + 1)
                return fail_at(p, line, col, PARSE_EX,
                               "Parse exception - unterminated or empty `quoted` identifier");
            t->kind = T_QIDENT;
            t->str = lower_dup(p->a, p->src + i + 1, j - i - 1);
            t->str_len = j - i - 1;
            i = j + 1;
        } else if (is_digit(c) || (c == '.' && i + 1 < p->len && is_digit(p->src[i + 1]))) {
            while (i < p->len && is_digit(p->src[i]))
                i++;
            if (i < p->len && p->src[i] == '.') {
                i++;
                while (i < p->len && is_digit(p->src[i]))
                    i++;
            }
            if (i < p->len && (p->src[i] == 'e' || p->src[i] == 'E')) {
                size_t j = i + 1;
                if (j < p->len && (p->src[j] == '+' || p->src[j] == '-'))
                    j++;
                if (j < p->len && is_digit(p->src[j])) {
                    while (j < p->len && is_digit(p->src[j]))
                        j++;
                    i = j;
                }
            }
            if (i < p->len && is_ident_char(p->src[i]))
                return fail_at(p, line, col, PARSE_EX, "Parse exception - malformed number '%.*s'",
                               (int)(i - start + 1 > 40 ? 40 : i - start + 1), p->src + start);
            t->kind = T_NUMBER;
        } else if (c == '\'' || c == '"') {
            if ((rc = lex_string(p, &i, t)))
                return rc;
        } else {
            static const char *const two[] = {"<=", ">=", "<>", "!=", "==", NULL};
            t->kind = T_PUNCT;
            i++;
            for (const char *const *s = two; *s; s++)
                if (start + 1 < p->len && p->src[start] == (*s)[0] && p->src[start + 1] == (*s)[1])
                    i = start + 2;
            if (!strchr("(),;=<>*.-+/%!", c))
                return fail_at(p, line, col, PARSE_EX,
                               "Parse exception - unexpected character '%c'",
                               (c >= 32 && c < 127) ? c : '?');
        }
        t->len = i - start;
        p->n++;
    }
}

/* ---- token helpers ------------------------------------------------------------ */

static tok *peek(parser *p)
{
    return &p->toks[p->pos];
}

static tok *peek2(parser *p)
{
    return &p->toks[p->pos + 1 < p->n ? p->pos + 1 : p->n - 1];
}

static tok *next(parser *p)
{
    tok *t = &p->toks[p->pos];
    if (t->kind != T_EOF)
        p->pos++;
    return t;
}

static bool is_kw(const tok *t, const char *kw)
{
    return t->kind == T_IDENT && strcmp(t->str, kw) == 0;
}

static bool is_punct(const tok *t, const char *s)
{
    return t->kind == T_PUNCT && t->len == strlen(s) && memcmp(t->p, s, t->len) == 0;
}

static bool accept_kw(parser *p, const char *kw)
{
    if (!is_kw(peek(p), kw))
        return false;
    next(p);
    return true;
}

static bool accept_punct(parser *p, const char *s)
{
    if (!is_punct(peek(p), s))
        return false;
    next(p);
    return true;
}

/* The token as a message shows it: 'text' or <EOF>. */
static const char *shown(parser *p, const tok *t)
{
    if (t->kind == T_EOF)
        return "<EOF>";
    return emu_arena_sprintf(p->a, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->p);
}

static emu_rc expected(parser *p, const char *what)
{
    tok *t = peek(p);
    return fail_at(p, t->line, t->col, PARSE_EX,
                   "Parse exception - mismatched input %s expecting %s", shown(p, t), what);
}

static const char TS_SUBSET[] =
    "supported: CREATE TABLE (a mapping), DROP MAPPING TABLE, SHOW TABLES, SHOW INDEX, DESCRIBE, "
    "SELECT";

static emu_rc unsupported(parser *p, const tok *t, const char *what)
{
    return fail_at(p, t->line, t->col, PARSE_EX,
                   "Parse exception - %s is not supported by acsemu's SQL subset (%s)", what,
                   p->tablestore ? TS_SUBSET : SUBSET);
}

static emu_rc expect_kw(parser *p, const char *kw)
{
    if (accept_kw(p, kw))
        return EMU_OK;
    char up[32];
    size_t i = 0;
    for (; kw[i] && i < sizeof up - 1; i++)
        up[i] = (char)(kw[i] >= 'a' && kw[i] <= 'z' ? kw[i] - 32 : kw[i]);
    up[i] = '\0';
    return expected(p, up);
}

static emu_rc expect_punct(parser *p, const char *s)
{
    if (accept_punct(p, s))
        return EMU_OK;
    return expected(p, emu_arena_sprintf(p->a, "'%s'", s));
}

/* Words that end a clause, so they are never taken for names or aliases. */
static bool is_reserved(const char *w)
{
    static const char *const r[] = {
        "select",  "from",    "where",  "group",    "order",  "by",      "limit",      "having",
        "join",    "inner",   "left",   "right",    "full",   "cross",   "outer",      "on",
        "union",   "and",     "or",     "not",      "is",     "null",    "true",       "false",
        "as",      "asc",     "desc",   "distinct", "all",    "between", "in",         "like",
        "rlike",   "case",    "when",   "then",     "else",   "end",     "distribute", "sort",
        "cluster", "lateral", "window", "over",     "create", "drop",    "table",      "insert",
        "with",    NULL};
    for (const char *const *k = r; *k; k++)
        if (strcmp(w, *k) == 0)
            return true;
    return false;
}

static emu_rc name(parser *p, const char **out, tok **at)
{
    tok *t = peek(p);
    if (t->kind == T_QIDENT || (t->kind == T_IDENT && !is_reserved(t->str))) {
        next(p);
        *out = t->str;
        if (at)
            *at = t;
        return EMU_OK;
    }
    return expected(p, "an identifier");
}

/* [project '.'] table */
static emu_rc table_name(parser *p, const char **project, const char **table, tok **at)
{
    emu_rc rc = name(p, table, at);
    if (rc)
        return rc;
    *project = NULL;
    if (accept_punct(p, ".")) {
        *project = *table;
        rc = name(p, table, NULL);
    }
    return rc;
}

static emu_rc string_lit(parser *p, const char **out, tok **at)
{
    tok *t = peek(p);
    if (t->kind != T_STRING)
        return expected(p, "a string literal");
    next(p);
    *out = t->str;
    if (at)
        *at = t;
    return EMU_OK;
}

static emu_rc int_lit(parser *p, int64_t *out)
{
    tok *t = peek(p);
    if (t->kind != T_NUMBER)
        return expected(p, "an integer");
    char buf[32];
    if (t->len >= sizeof buf)
        return fail_at(p, t->line, t->col, PARSE_EX, "Parse exception - number too long");
    memcpy(buf, t->p, t->len);
    buf[t->len] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end || errno)
        return fail_at(p, t->line, t->col, PARSE_EX,
                       "Parse exception - %s is not an integer in range", shown(p, t));
    next(p);
    *out = v;
    return EMU_OK;
}

/* ---- expressions -------------------------------------------------------------------- */

static odps_expr *new_expr(parser *p, odps_expr_kind k, const tok *at)
{
    odps_expr *e = emu_arena_zalloc(p->a, sizeof *e);
    e->kind = k;
    e->line = at->line;
    e->col = at->col;
    e->index = -1;
    return e;
}

static emu_rc parse_or(parser *p, odps_expr **out);

/* Grows an arena array by one element (small lists: copying is fine). */
static void *push(emu_arena *a, void *arr, size_t n, size_t size)
{
    void *grown = emu_arena_alloc(a, (n + 1) * size);
    if (n)
        memcpy(grown, arr, n * size);
    return grown;
}

static emu_rc check_count(parser *p, size_t n, size_t cap, const char *what)
{
    if (n < cap)
        return EMU_OK;
    tok *t = peek(p);
    return emu_err_set(p->err, EMU_E_LIMIT, NULL, "%s:[%d,%d] Parse exception - more than %zu %s",
                       PARSE_EX, t->line, t->col, cap, what);
}

static emu_rc parse_number(parser *p, const tok *t, bool neg, odps_expr *e)
{
    char buf[64];
    if (t->len + 2 >= sizeof buf)
        return fail_at(p, t->line, t->col, PARSE_EX, "Parse exception - number too long");
    size_t n = 0;
    if (neg)
        buf[n++] = '-';
    memcpy(buf + n, t->p, t->len);
    buf[n + t->len] = '\0';
    bool is_int =
        !memchr(t->p, '.', t->len) && !memchr(t->p, 'e', t->len) && !memchr(t->p, 'E', t->len);
    char *end;
    errno = 0;
    if (is_int) {
        long long v = strtoll(buf, &end, 10);
        if (errno)
            return fail_at(p, t->line, t->col, SEMANTIC_EX,
                           "Semantic analysis exception - number %s is out of BIGINT range", buf);
        e->lit.type = ODPS_T_BIGINT;
        e->lit.i = v;
    } else {
        e->lit.type = ODPS_T_DOUBLE;
        e->lit.d = strtod(buf, &end);
    }
    return EMU_OK;
}

static bool agg_name(const char *w, odps_agg *out)
{
    static const char *const names[] = {"count", "sum", "avg", "min", "max"};
    for (int i = 0; i < 5; i++)
        if (strcmp(w, names[i]) == 0) {
            *out = (odps_agg)i;
            return true;
        }
    return false;
}

/* A type name of CAST (the column types, and DATETIME). */
static bool type_name(const char *w, odps_type *out)
{
    static const struct {
        const char *name;
        odps_type t;
    } types[] = {{"bigint", ODPS_T_BIGINT}, {"double", ODPS_T_DOUBLE},
                 {"string", ODPS_T_STRING}, {"boolean", ODPS_T_BOOLEAN},
                 {"binary", ODPS_T_BINARY}, {"datetime", ODPS_T_DATETIME},
                 {"int", ODPS_T_BIGINT},    {"float", ODPS_T_DOUBLE}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(w, types[i].name) == 0) {
            *out = types[i].t;
            return true;
        }
    return false;
}

/* Appends to a growing expression list (doubling). */
static void args_push(parser *p, odps_expr ***v, size_t *n, size_t *cap, odps_expr *e)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        odps_expr **grown = emu_arena_alloc(p->a, *cap * sizeof *grown);
        if (*n)
            memcpy(grown, *v, *n * sizeof *grown);
        *v = grown;
    }
    (*v)[(*n)++] = e;
}

/* '(' expr {',' expr} ')' after the '(' was taken; empty lists allowed
 * when `empty`. */
static emu_rc expr_list(parser *p, odps_expr ***v, size_t *n, bool empty)
{
    size_t cap = 0;
    emu_rc rc;
    *v = NULL;
    *n = 0;
    if (empty && accept_punct(p, ")"))
        return EMU_OK;
    do {
        if ((rc = check_count(p, *n, ODPS_MAX_COLUMNS, "arguments")))
            return rc;
        odps_expr *e;
        if ((rc = parse_or(p, &e)))
            return rc;
        args_push(p, v, n, &cap, e);
    } while (accept_punct(p, ","));
    return expect_punct(p, ")");
}

static emu_rc parse_case(parser *p, tok *t, odps_expr **out)
{
    emu_rc rc;
    size_t cap = 0;
    odps_expr *e = new_expr(p, ODPS_X_CASE, t);
    if (!is_kw(peek(p), "when") && (rc = parse_or(p, &e->l)))
        return rc;
    if (!is_kw(peek(p), "when"))
        return expected(p, "WHEN");
    while (accept_kw(p, "when")) {
        odps_expr *w, *th;
        if ((rc = check_count(p, e->n_args, 2 * ODPS_MAX_COLUMNS, "WHEN branches")) ||
            (rc = parse_or(p, &w)) || (rc = expect_kw(p, "then")) || (rc = parse_or(p, &th)))
            return rc;
        args_push(p, &e->args, &e->n_args, &cap, w);
        args_push(p, &e->args, &e->n_args, &cap, th);
    }
    if (accept_kw(p, "else") && (rc = parse_or(p, &e->r)))
        return rc;
    if ((rc = expect_kw(p, "end")))
        return rc;
    *out = e;
    return EMU_OK;
}

static emu_rc parse_primary(parser *p, odps_expr **out)
{
    tok *t = peek(p);
    emu_rc rc;
    odps_agg agg;

    if (accept_punct(p, "(")) {
        if (is_kw(peek(p), "select"))
            return unsupported(p, peek(p), "a subquery in an expression");
        if ((rc = parse_or(p, out)))
            return rc;
        return expect_punct(p, ")");
    }
    if (t->kind == T_NUMBER) {
        odps_expr *e = new_expr(p, ODPS_X_LITERAL, t);
        if ((rc = parse_number(p, next(p), false, e)))
            return rc;
        *out = e;
        return EMU_OK;
    }
    if (t->kind == T_STRING) {
        odps_expr *e = new_expr(p, ODPS_X_LITERAL, t);
        next(p);
        e->lit.type = ODPS_T_STRING;
        e->lit.s = t->str;
        e->lit.len = (uint32_t)t->str_len;
        *out = e;
        return EMU_OK;
    }
    if (is_kw(t, "true") || is_kw(t, "false")) {
        odps_expr *e = new_expr(p, ODPS_X_LITERAL, t);
        next(p);
        e->lit.type = ODPS_T_BOOLEAN;
        e->lit.b = is_kw(t, "true");
        *out = e;
        return EMU_OK;
    }
    if (is_kw(t, "null")) {
        odps_expr *e = new_expr(p, ODPS_X_LITERAL, t);
        next(p);
        e->lit.type = ODPS_T_NULL;
        *out = e;
        return EMU_OK;
    }
    if (is_kw(t, "case")) {
        next(p);
        return parse_case(p, t, out);
    }
    if (is_kw(t, "cast") && is_punct(peek2(p), "(")) {
        next(p);
        next(p);
        odps_expr *e = new_expr(p, ODPS_X_CAST, t);
        if ((rc = parse_or(p, &e->l)) || (rc = expect_kw(p, "as")))
            return rc;
        tok *tt = peek(p);
        if (tt->kind != T_IDENT || !type_name(tt->str, &e->cast_to))
            return unsupported(
                p, tt,
                emu_arena_sprintf(p->a, "CAST to %.*s", (int)(tt->len > 40 ? 40 : tt->len), tt->p));
        next(p);
        if ((rc = expect_punct(p, ")")))
            return rc;
        *out = e;
        return EMU_OK;
    }
    if (t->kind == T_IDENT && is_punct(peek2(p), "(")) {
        next(p);
        next(p);
        if (agg_name(t->str, &agg)) {
            odps_expr *e = new_expr(p, ODPS_X_AGG, t);
            e->agg = agg;
            if (accept_kw(p, "distinct"))
                e->distinct = true;
            else
                accept_kw(p, "all");
            if (!e->distinct && accept_punct(p, "*")) {
                if (agg != ODPS_COUNT)
                    return fail_at(p, t->line, t->col, PARSE_EX,
                                   "Parse exception - '*' is only allowed in count(*)");
            } else if ((rc = parse_or(p, &e->l))) {
                return rc;
            }
            if ((rc = expect_punct(p, ")")))
                return rc;
            if (is_kw(peek(p), "over"))
                return unsupported(p, peek(p), "a window function (OVER)");
            *out = e;
            return EMU_OK;
        }
        odps_expr *e = new_expr(p, ODPS_X_FUNC, t);
        e->name = t->str;
        if ((rc = expr_list(p, &e->args, &e->n_args, true)))
            return rc;
        if (is_kw(peek(p), "over"))
            return unsupported(p, peek(p), "a window function (OVER)");
        *out = e;
        return EMU_OK;
    }
    if (t->kind == T_QIDENT || (t->kind == T_IDENT && !is_reserved(t->str))) {
        next(p);
        odps_expr *e = new_expr(p, ODPS_X_COLUMN, t);
        e->name = t->str;
        if (accept_punct(p, ".")) {
            tok *c = peek(p);
            if (c->kind != T_QIDENT && c->kind != T_IDENT)
                return expected(p, "a column name after '.'");
            next(p);
            e->qual = t->str;
            e->name = c->str;
        }
        *out = e;
        return EMU_OK;
    }
    return expected(p, "an expression");
}

static emu_rc parse_unary(parser *p, odps_expr **out)
{
    tok *t = peek(p);
    emu_rc rc;
    if (is_punct(t, "-") || is_punct(t, "+")) {
        next(p);
        if (peek(p)->kind == T_NUMBER && is_punct(t, "-")) {
            odps_expr *e = new_expr(p, ODPS_X_LITERAL, t);
            if ((rc = parse_number(p, next(p), true, e)))
                return rc;
            *out = e;
            return EMU_OK;
        }
        if (++p->depth > ODPS_MAX_EXPR_DEPTH)
            return fail_at(p, t->line, t->col, PARSE_EX, "Parse exception - expression too deep");
        odps_expr *e = new_expr(p, ODPS_X_NEG, t);
        rc = parse_unary(p, &e->l);
        p->depth--;
        *out = is_punct(t, "-") ? e : e->l;
        return rc;
    }
    return parse_primary(p, out);
}

static emu_rc parse_binary(parser *p, odps_expr **out, const char *ops,
                           emu_rc (*sub)(parser *, odps_expr **))
{
    emu_rc rc = sub(p, out);
    while (rc == EMU_OK) {
        tok *t = peek(p);
        if (t->kind != T_PUNCT || t->len != 1 || !strchr(ops, t->p[0]))
            break;
        next(p);
        odps_expr *e = new_expr(p, ODPS_X_ARITH, t);
        e->line = (*out)->line;
        e->col = (*out)->col;
        e->arith = t->p[0];
        e->l = *out;
        rc = sub(p, &e->r);
        *out = e;
    }
    return rc;
}

static emu_rc parse_mul(parser *p, odps_expr **out)
{
    return parse_binary(p, out, "*/%", parse_unary);
}

static emu_rc parse_add(parser *p, odps_expr **out)
{
    return parse_binary(p, out, "+-", parse_mul);
}

static bool cmp_op(const tok *t, odps_cmp *out)
{
    static const struct {
        const char *s;
        odps_cmp c;
    } ops[] = {{"=", ODPS_EQ}, {"==", ODPS_EQ}, {"!=", ODPS_NE}, {"<>", ODPS_NE},
               {"<", ODPS_LT}, {"<=", ODPS_LE}, {">", ODPS_GT},  {">=", ODPS_GE}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (is_punct(t, ops[i].s)) {
            *out = ops[i].c;
            return true;
        }
    return false;
}

static emu_rc parse_predicate(parser *p, odps_expr **out)
{
    emu_rc rc;
    odps_expr *l;
    tok *start = peek(p);
    if ((rc = parse_add(p, &l)))
        return rc;
    tok *t = peek(p);
    odps_cmp op;
    bool neg = false;
    if (cmp_op(t, &op)) {
        next(p);
        odps_expr *e = new_expr(p, ODPS_X_CMP, start);
        e->cmp = op;
        e->l = l;
        if ((rc = parse_add(p, &e->r)))
            return rc;
        *out = e;
        return EMU_OK;
    }
    if (is_kw(t, "is")) {
        next(p);
        odps_expr *e = new_expr(p, ODPS_X_ISNULL, start);
        e->negated = accept_kw(p, "not");
        if ((rc = expect_kw(p, "null")))
            return rc;
        e->l = l;
        *out = e;
        return EMU_OK;
    }
    if (is_kw(t, "not") && (is_kw(peek2(p), "in") || is_kw(peek2(p), "like") ||
                            is_kw(peek2(p), "between") || is_kw(peek2(p), "rlike"))) {
        next(p);
        neg = true;
        t = peek(p);
    }
    if (accept_kw(p, "in")) {
        odps_expr *e = new_expr(p, ODPS_X_IN, start);
        e->negated = neg;
        e->l = l;
        if ((rc = expect_punct(p, "(")))
            return rc;
        if (is_kw(peek(p), "select"))
            return unsupported(p, peek(p), "IN with a subquery");
        if ((rc = expr_list(p, &e->args, &e->n_args, false)))
            return rc;
        *out = e;
        return EMU_OK;
    }
    if (accept_kw(p, "between")) {
        odps_expr *e = new_expr(p, ODPS_X_BETWEEN, start);
        e->negated = neg;
        e->l = l;
        e->args = emu_arena_zalloc(p->a, 2 * sizeof *e->args);
        e->n_args = 2;
        if ((rc = parse_add(p, &e->args[0])) || (rc = expect_kw(p, "and")) ||
            (rc = parse_add(p, &e->args[1])))
            return rc;
        *out = e;
        return EMU_OK;
    }
    if (accept_kw(p, "like")) {
        odps_expr *e = new_expr(p, ODPS_X_LIKE, start);
        e->negated = neg;
        e->l = l;
        if ((rc = parse_add(p, &e->r)))
            return rc;
        *out = e;
        return EMU_OK;
    }
    if (is_kw(t, "rlike") || is_kw(t, "regexp"))
        return unsupported(p, t, "the RLIKE predicate");
    *out = l;
    return EMU_OK;
}

static emu_rc parse_not(parser *p, odps_expr **out)
{
    tok *t = peek(p);
    if (is_kw(t, "not")) {
        next(p);
        if (++p->depth > ODPS_MAX_EXPR_DEPTH)
            return fail_at(p, t->line, t->col, PARSE_EX, "Parse exception - expression too deep");
        odps_expr *e = new_expr(p, ODPS_X_NOT, t);
        emu_rc rc = parse_not(p, &e->l);
        p->depth--;
        *out = e;
        return rc;
    }
    return parse_predicate(p, out);
}

static emu_rc parse_and(parser *p, odps_expr **out)
{
    emu_rc rc = parse_not(p, out);
    while (rc == EMU_OK && is_kw(peek(p), "and")) {
        tok *t = next(p);
        odps_expr *e = new_expr(p, ODPS_X_AND, t);
        e->line = (*out)->line;
        e->col = (*out)->col;
        e->l = *out;
        rc = parse_not(p, &e->r);
        *out = e;
    }
    return rc;
}

static emu_rc parse_or(parser *p, odps_expr **out)
{
    tok *t = peek(p);
    if (++p->depth > ODPS_MAX_EXPR_DEPTH)
        return fail_at(p, t->line, t->col, PARSE_EX, "Parse exception - expression too deep");
    emu_rc rc = parse_and(p, out);
    while (rc == EMU_OK && is_kw(peek(p), "or")) {
        tok *o = next(p);
        odps_expr *e = new_expr(p, ODPS_X_OR, o);
        e->line = (*out)->line;
        e->col = (*out)->col;
        e->l = *out;
        rc = parse_and(p, &e->r);
        *out = e;
    }
    p->depth--;
    return rc;
}

/* ---- statements ------------------------------------------------------------------------ */

static emu_rc parse_select(parser *p, odps_select *s);

/* [project '.'] table [[AS] alias] | '(' select ')' [AS] alias */
static emu_rc parse_source(parser *p, odps_source *src)
{
    emu_rc rc;
    tok *t = peek(p);
    src->line = t->line;
    src->col = t->col;
    if (accept_punct(p, "(")) {
        if ((rc = expect_kw(p, "select")))
            return rc;
        if (++p->depth > ODPS_MAX_EXPR_DEPTH)
            return fail_at(p, t->line, t->col, PARSE_EX, "Parse exception - query too deep");
        src->sub = emu_arena_zalloc(p->a, sizeof *src->sub);
        rc = parse_select(p, src->sub);
        p->depth--;
        if (rc || (rc = expect_punct(p, ")")))
            return rc;
    } else if ((rc = table_name(p, &src->project, &src->table, NULL))) {
        return rc;
    }
    t = peek(p);
    if (accept_kw(p, "as")) {
        if ((rc = name(p, &src->alias, NULL)))
            return rc;
    } else if (t->kind == T_QIDENT || (t->kind == T_IDENT && !is_reserved(t->str))) {
        src->alias = next(p)->str;
    }
    if (src->sub && !src->alias)
        return fail_at(p, t->line, t->col, PARSE_EX,
                       "Parse exception - a subquery in FROM needs an alias");
    return EMU_OK;
}

static emu_rc parse_from(parser *p, odps_select *s)
{
    emu_rc rc;
    odps_source src = {0};
    if ((rc = parse_source(p, &src)))
        return rc;
    s->from = push(p->a, s->from, s->n_from, sizeof *s->from);
    s->from[s->n_from++] = src;
    s->project = src.project;
    s->table = src.table;
    s->table_line = src.line;
    s->table_col = src.col;
    for (;;) {
        tok *t = peek(p);
        odps_join kind;
        if (is_punct(t, ","))
            return unsupported(p, t, "selecting from several tables with ',' (use JOIN ... ON)");
        if (is_kw(t, "right") || is_kw(t, "full") || is_kw(t, "cross") || is_kw(t, "natural"))
            return unsupported(p, t, emu_arena_sprintf(p->a, "%s JOIN", t->str));
        if (is_kw(t, "lateral"))
            return unsupported(p, t, "LATERAL VIEW");
        if (accept_kw(p, "left")) {
            accept_kw(p, "outer");
            if (is_kw(peek(p), "semi") || is_kw(peek(p), "anti"))
                return unsupported(p, peek(p),
                                   emu_arena_sprintf(p->a, "LEFT %s JOIN", peek(p)->str));
            kind = ODPS_JOIN_LEFT;
        } else if (accept_kw(p, "inner") || is_kw(t, "join")) {
            kind = ODPS_JOIN_INNER;
        } else {
            return EMU_OK;
        }
        if ((rc = expect_kw(p, "join")) ||
            (rc = check_count(p, s->n_from, ODPS_MAX_JOIN_SOURCES, "joined tables")))
            return rc;
        odps_source j = {.join = kind};
        if ((rc = parse_source(p, &j)))
            return rc;
        if (!is_kw(peek(p), "on"))
            return expected(p, "ON (acsemu runs joins with a condition)");
        next(p);
        if ((rc = parse_or(p, &j.on)))
            return rc;
        s->from = push(p->a, s->from, s->n_from, sizeof *s->from);
        s->from[s->n_from++] = j;
    }
}

/* One SELECT after its keyword, without UNION. */
static emu_rc parse_select_body(parser *p, odps_select *s)
{
    emu_rc rc;
    tok *t = peek(p);
    if (accept_kw(p, "distinct"))
        s->distinct = true;
    else
        accept_kw(p, "all");
    if (accept_punct(p, "*")) {
        s->items = emu_arena_zalloc(p->a, sizeof *s->items);
        s->n_items = 1;
    } else {
        do {
            if ((rc = check_count(p, s->n_items, ODPS_MAX_COLUMNS, "select items")))
                return rc;
            odps_select_item it = {0};
            if (is_punct(peek(p), "*"))
                return unsupported(p, peek(p), "'*' together with other select items");
            if ((peek(p)->kind == T_IDENT || peek(p)->kind == T_QIDENT) &&
                is_punct(peek2(p), ".") && p->pos + 2 < p->n && is_punct(&p->toks[p->pos + 2], "*"))
                return unsupported(p, peek(p), "alias.* in the select list");
            if ((rc = parse_or(p, &it.e)))
                return rc;
            if (accept_kw(p, "as")) {
                if ((rc = name(p, &it.alias, NULL)))
                    return rc;
            } else if (peek(p)->kind == T_QIDENT ||
                       (peek(p)->kind == T_IDENT && !is_reserved(peek(p)->str))) {
                it.alias = next(p)->str;
            }
            s->items = push(p->a, s->items, s->n_items, sizeof *s->items);
            s->items[s->n_items++] = it;
        } while (accept_punct(p, ","));
    }
    if ((rc = expect_kw(p, "from")) || (rc = parse_from(p, s)))
        return rc;
    if (accept_kw(p, "where")) {
        if ((rc = parse_or(p, &s->where)))
            return rc;
    }
    if (accept_kw(p, "group")) {
        if ((rc = expect_kw(p, "by")))
            return rc;
        do {
            if ((rc = check_count(p, s->n_group, ODPS_MAX_COLUMNS, "GROUP BY keys")))
                return rc;
            odps_expr *e;
            if ((rc = parse_or(p, &e)))
                return rc;
            s->group = push(p->a, s->group, s->n_group, sizeof *s->group);
            s->group[s->n_group++] = e;
        } while (accept_punct(p, ","));
    }
    if (accept_kw(p, "having")) {
        if ((rc = parse_or(p, &s->having)))
            return rc;
    }
    t = peek(p);
    if (is_kw(t, "distribute") || is_kw(t, "sort") || is_kw(t, "cluster"))
        return unsupported(p, t, emu_arena_sprintf(p->a, "%.*s BY", (int)t->len, t->p));
    if (is_kw(t, "window"))
        return unsupported(p, t, "WINDOW");
    if (is_kw(t, "order")) {
        s->order_line = t->line;
        s->order_col = t->col;
        next(p);
        if ((rc = expect_kw(p, "by")))
            return rc;
        do {
            if ((rc = check_count(p, s->n_order, ODPS_MAX_COLUMNS, "ORDER BY keys")))
                return rc;
            odps_order_item o = {0};
            if ((rc = parse_or(p, &o.e)))
                return rc;
            if (accept_kw(p, "desc"))
                o.desc = true;
            else
                accept_kw(p, "asc");
            s->order = push(p->a, s->order, s->n_order, sizeof *s->order);
            s->order[s->n_order++] = o;
        } while (accept_punct(p, ","));
    }
    if (accept_kw(p, "limit")) {
        tok *lt = peek(p);
        if ((rc = int_lit(p, &s->limit)))
            return rc;
        if (s->limit < 0)
            return fail_at(p, lt->line, lt->col, PARSE_EX, "Parse exception - negative LIMIT");
        s->has_limit = true;
        if (p->tablestore && accept_punct(p, ",")) {
            s->offset = s->limit;
            lt = peek(p);
            if ((rc = int_lit(p, &s->limit)))
                return rc;
        } else if (p->tablestore && accept_kw(p, "offset")) {
            lt = peek(p);
            if ((rc = int_lit(p, &s->offset)))
                return rc;
        } else if (accept_punct(p, ",")) {
            return unsupported(p, lt, "LIMIT with an offset");
        }
        if (s->limit < 0 || s->offset < 0)
            return fail_at(p, lt->line, lt->col, PARSE_EX, "Parse exception - negative LIMIT");
    }
    return EMU_OK;
}

/* select_body { UNION ALL SELECT select_body } */
static emu_rc parse_select(parser *p, odps_select *s)
{
    emu_rc rc = parse_select_body(p, s);
    size_t n = 1;
    while (rc == EMU_OK && is_kw(peek(p), "union")) {
        tok *t = next(p);
        if (!accept_kw(p, "all"))
            return unsupported(p, peek(p)->kind == T_EOF ? t : peek(p),
                               "UNION without ALL (UNION [DISTINCT])");
        if ((rc = expect_kw(p, "select")) ||
            (rc = check_count(p, n++, ODPS_MAX_JOIN_SOURCES, "UNION ALL branches")))
            return rc;
        s->union_all = emu_arena_zalloc(p->a, sizeof *s->union_all);
        s->union_line = t->line;
        s->union_col = t->col;
        s = s->union_all;
        rc = parse_select_body(p, s);
    }

    return rc;
}

static emu_rc parse_kvs(parser *p, odps_kv **out, size_t *n)
{
    emu_rc rc;
    if ((rc = expect_punct(p, "(")))
        return rc;
    do {
        if ((rc = check_count(p, *n, ODPS_MAX_COLUMNS, "properties")))
            return rc;
        odps_kv kv = {0};
        tok *at = NULL;
        if ((rc = string_lit(p, &kv.key, &at)))
            return rc;
        kv.line = at->line;
        kv.col = at->col;
        if ((rc = expect_punct(p, "=")) || (rc = string_lit(p, &kv.value, NULL)))
            return rc;
        *out = push(p->a, *out, *n, sizeof **out);
        (*out)[(*n)++] = kv;
    } while (accept_punct(p, ","));
    return expect_punct(p, ")");
}

static emu_rc parse_type(parser *p, odps_coldef *c)
{
    static const struct {
        const char *name;
        odps_type t;
    } types[] = {{"bigint", ODPS_T_BIGINT},
                 {"double", ODPS_T_DOUBLE},
                 {"string", ODPS_T_STRING},
                 {"boolean", ODPS_T_BOOLEAN},
                 {"binary", ODPS_T_BINARY}};
    tok *t = peek(p);
    if (t->kind != T_IDENT)
        return expected(p, "a column type");
    next(p);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(t->str, types[i].name) == 0) {
            c->type = types[i].t;
            return EMU_OK;
        }
    return fail_at(p, t->line, t->col, SEMANTIC_EX,
                   "Semantic analysis exception - column type %.*s is not supported by acsemu's "
                   "Tablestore external tables (supported: BIGINT, DOUBLE, STRING, BOOLEAN, "
                   "BINARY)",
                   (int)(t->len > 40 ? 40 : t->len), t->p);
}

static emu_rc parse_create(parser *p, odps_create *c)
{
    emu_rc rc;
    tok *t = peek(p);
    if (!accept_kw(p, "external")) {
        if (is_kw(t, "table"))
            return unsupported(p, t,
                               "CREATE TABLE (only CREATE EXTERNAL TABLE ... STORED BY "
                               "'com.aliyun.odps.TableStoreStorageHandler')");
        if (t->kind == T_IDENT)
            return unsupported(p, t, emu_arena_sprintf(p->a, "CREATE %.*s", (int)t->len, t->p));
        return expected(p, "EXTERNAL");
    }
    if ((rc = expect_kw(p, "table")))
        return rc;
    if (accept_kw(p, "if")) {
        if ((rc = expect_kw(p, "not")) || (rc = expect_kw(p, "exists")))
            return rc;
        c->if_not_exists = true;
    }
    const char *project;
    if ((rc = table_name(p, &project, &c->name, NULL)))
        return rc;
    if (project)
        return unsupported(p, peek(p), "creating a table in another project");
    t = peek(p);
    if (is_kw(t, "like") || is_kw(t, "as"))
        return unsupported(p, t,
                           emu_arena_sprintf(p->a, "CREATE TABLE ... %.*s", (int)t->len, t->p));
    if ((rc = expect_punct(p, "(")))
        return rc;
    do {
        if ((rc = check_count(p, c->n_cols, ODPS_MAX_COLUMNS, "columns")))
            return rc;
        odps_coldef col = {0};
        tok *at = NULL;
        if ((rc = name(p, &col.name, &at)))
            return rc;
        col.line = at->line;
        col.col = at->col;
        if ((rc = parse_type(p, &col)))
            return rc;
        if (is_punct(peek(p), "<"))
            return unsupported(p, peek(p), "a complex column type");
        if (accept_kw(p, "comment") && (rc = string_lit(p, &col.comment, NULL)))
            return rc;
        for (size_t i = 0; i < c->n_cols; i++)
            if (strcmp(c->cols[i].name, col.name) == 0)
                return fail_at(p, col.line, col.col, SEMANTIC_EX,
                               "Semantic analysis exception - column %s is defined twice",
                               col.name);
        c->cols = push(p->a, c->cols, c->n_cols, sizeof *c->cols);
        c->cols[c->n_cols++] = col;
    } while (accept_punct(p, ","));
    if ((rc = expect_punct(p, ")")))
        return rc;
    const char *ignored;
    if (accept_kw(p, "comment") && (rc = string_lit(p, &ignored, NULL)))
        return rc;
    t = peek(p);
    if (is_kw(t, "partitioned"))
        return unsupported(p, t, "PARTITIONED BY on a Tablestore external table");
    if (is_kw(t, "clustered") || is_kw(t, "range"))
        return unsupported(p, t, "clustering on a Tablestore external table");
    if (is_kw(t, "row"))
        return unsupported(p, t, "ROW FORMAT");
    if ((rc = expect_kw(p, "stored")) || (rc = expect_kw(p, "by")))
        return rc;
    tok *ht = NULL;
    if ((rc = string_lit(p, &c->handler, &ht)))
        return rc;
    c->handler_line = ht->line;
    c->handler_col = ht->col;
    if (accept_kw(p, "with")) {
        if ((rc = expect_kw(p, "serdeproperties")) || (rc = parse_kvs(p, &c->serde, &c->n_serde)))
            return rc;
    }
    if ((rc = expect_kw(p, "location")))
        return rc;
    tok *lt = NULL;
    if ((rc = string_lit(p, &c->location, &lt)))
        return rc;
    c->location_line = lt->line;
    c->location_col = lt->col;
    if (accept_kw(p, "using") && (rc = string_lit(p, &c->using_res, NULL)))
        return rc;
    if (accept_kw(p, "tblproperties") && (rc = parse_kvs(p, &c->tblprops, &c->n_tblprops)))
        return rc;
    if (accept_kw(p, "lifecycle")) {
        if ((rc = int_lit(p, &c->lifecycle)))
            return rc;
        c->has_lifecycle = true;
    }
    return EMU_OK;
}

/* INSERT (INTO | OVERWRITE) [TABLE] t [(cols)] (SELECT ... | VALUES (...), ...) */
static emu_rc parse_insert(parser *p, odps_insert *in)
{
    emu_rc rc;
    if (accept_kw(p, "overwrite"))
        in->overwrite = true;
    else if ((rc = expect_kw(p, "into")))
        return rc;
    accept_kw(p, "table");
    tok *at;
    if ((rc = table_name(p, &in->project, &in->table, &at)))
        return rc;
    in->table_line = at->line;
    in->table_col = at->col;
    if (is_kw(peek(p), "partition"))
        return unsupported(p, peek(p), "PARTITION (Tablestore external tables have none)");
    if (accept_punct(p, "(")) {
        do {
            if ((rc = check_count(p, in->n_cols, ODPS_MAX_COLUMNS, "insert columns")))
                return rc;
            const char *c;
            if ((rc = name(p, &c, &at)))
                return rc;
            in->cols = push(p->a, in->cols, in->n_cols, sizeof *in->cols);
            in->col_line = push(p->a, in->col_line, in->n_cols, sizeof *in->col_line);
            in->col_col = push(p->a, in->col_col, in->n_cols, sizeof *in->col_col);
            in->cols[in->n_cols] = c;
            in->col_line[in->n_cols] = at->line;
            in->col_col[in->n_cols++] = at->col;
        } while (accept_punct(p, ","));
        if ((rc = expect_punct(p, ")")))
            return rc;
    }
    tok *t = peek(p);
    if (accept_kw(p, "select")) {
        in->has_query = true;
        return parse_select(p, &in->query);
    }
    if (!accept_kw(p, "values"))
        return expected(p, "SELECT or VALUES");
    in->values_line = t->line;
    in->values_col = t->col;
    size_t cap = 0;
    do {
        if ((rc = expect_punct(p, "(")))
            return rc;
        size_t n = 0;
        do {
            if ((rc = check_count(p, n, ODPS_MAX_COLUMNS, "values in a row")))
                return rc;
            odps_expr *e;
            tok *vt = peek(p);
            if ((rc = parse_unary(p, &e)))
                return rc;
            if (e->kind != ODPS_X_LITERAL)
                return unsupported(p, vt, "an expression other than a literal in VALUES");
            size_t at_v = in->n_rows * in->n_vals + n;
            if (at_v == cap) { /* doubling: VALUES lists can be long */
                cap = cap ? cap * 2 : 16;
                odps_expr **grown = emu_arena_alloc(p->a, cap * sizeof *grown);
                if (at_v)
                    memcpy(grown, in->values, at_v * sizeof *grown);
                in->values = grown;
            }
            in->values[at_v] = e;
            n++;
        } while (accept_punct(p, ","));
        if ((rc = expect_punct(p, ")")))
            return rc;
        if (in->n_rows && n != in->n_vals)
            return fail_at(p, t->line, t->col, SEMANTIC_EX,
                           "Semantic analysis exception - VALUES rows have %zu and %zu values", n,
                           in->n_vals);
        in->n_vals = n;
        in->n_rows++;
    } while (accept_punct(p, ","));
    return EMU_OK;
}

static emu_rc parse_statement(parser *p, odps_stmt *s)
{
    tok *t = peek(p);
    emu_rc rc;
    s->line = t->line;
    s->col = t->col;
    if (t->kind != T_IDENT)
        return expected(p, "a statement");
    next(p);
    if (strcmp(t->str, "select") == 0) {
        s->kind = ODPS_STMT_SELECT;
        return parse_select(p, &s->select);
    }
    if (strcmp(t->str, "insert") == 0) {
        s->kind = ODPS_STMT_INSERT;
        return parse_insert(p, &s->insert);
    }
    if (strcmp(t->str, "create") == 0) {
        s->kind = ODPS_STMT_CREATE;
        return parse_create(p, &s->create);
    }
    if (strcmp(t->str, "drop") == 0) {
        tok *k = peek(p);
        if (!accept_kw(p, "table")) {
            if (k->kind == T_IDENT)
                return unsupported(p, k, emu_arena_sprintf(p->a, "DROP %.*s", (int)k->len, k->p));
            return expected(p, "TABLE");
        }
        s->kind = ODPS_STMT_DROP;
        if (accept_kw(p, "if") && (rc = expect_kw(p, "exists")))
            return rc;
        s->if_exists =
            p->toks[p->pos - 1].kind == T_IDENT && strcmp(p->toks[p->pos - 1].str, "exists") == 0;
        return table_name(p, &s->project, &s->name, NULL);
    }
    if (strcmp(t->str, "show") == 0) {
        tok *k = peek(p);
        if (!accept_kw(p, "tables")) {
            if (k->kind == T_IDENT)
                return unsupported(p, k, emu_arena_sprintf(p->a, "SHOW %.*s", (int)k->len, k->p));
            return expected(p, "TABLES");
        }
        s->kind = ODPS_STMT_SHOW_TABLES;
        if (is_kw(peek(p), "in") || is_kw(peek(p), "like"))
            return unsupported(p, peek(p), "SHOW TABLES with IN or LIKE");
        return EMU_OK;
    }
    if (strcmp(t->str, "desc") == 0 || strcmp(t->str, "describe") == 0) {
        s->kind = ODPS_STMT_DESC;
        accept_kw(p, "extended");
        if (is_kw(peek(p), "table") && peek2(p)->kind != T_EOF && !is_punct(peek2(p), ";"))
            next(p);
        return table_name(p, &s->project, &s->name, NULL);
    }
    return unsupported(p, t, emu_arena_sprintf(p->a, "the %.*s statement", (int)t->len, t->p));
}

/* ---- SET lines ----------------------------------------------------------------------------- */

static bool word_at(const char *s, size_t len, size_t i, const char *w)
{
    size_t n = strlen(w);
    if (len - i < n + 1)
        return false;
    for (size_t k = 0; k < n; k++) {
        char c = s[i + k];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != w[k])
            return false;
    }
    char after = s[i + n];
    return after == ' ' || after == '\t' || after == '\n' || after == '\r';
}

static emu_rc parse_sets(parser *p, odps_script *out, size_t *rest)
{
    size_t i = 0, bad = 0;
    for (;;) {
        if (!skip_blank(p->src, p->len, &i, &bad)) {
            int l, c;
            line_col(p->src, bad, &l, &c);
            return fail_at(p, l, c, PARSE_EX, "Parse exception - unterminated comment");
        }
        if (!word_at(p->src, p->len, i, "set"))
            break;
        int line, col;
        line_col(p->src, i, &line, &col);
        size_t start = i + 3;
        const char *semi = memchr(p->src + start, ';', p->len - start);
        size_t end = semi ? (size_t)(semi - p->src) : p->len;
        const char *eq = memchr(p->src + start, '=', end - start);
        if (!eq)
            return fail_at(p, line, col, PARSE_EX, "Parse exception - SET needs key=value");
        emu_str key = emu_str_trim((emu_str){p->src + start, (size_t)(eq - p->src) - start});
        emu_str val = emu_str_trim((emu_str){eq + 1, end - (size_t)(eq + 1 - p->src)});
        while (key.len && (key.p[key.len - 1] == '\n' || key.p[key.len - 1] == '\r'))
            key.len--;
        while (val.len && (val.p[val.len - 1] == '\n' || val.p[val.len - 1] == '\r'))
            val.len--;
        if (!key.len)
            return fail_at(p, line, col, PARSE_EX, "Parse exception - SET needs a key");
        if (out->n_sets >= ODPS_MAX_SETS)
            return emu_err_set(p->err, EMU_E_LIMIT, NULL,
                               "%s:[%d,%d] Parse exception - more than %d SET statements", PARSE_EX,
                               line, col, ODPS_MAX_SETS);
        odps_kv kv = {emu_arena_strndup(p->a, key.p, key.len),
                      emu_arena_strndup(p->a, val.p, val.len), line, col};
        out->sets = push(p->a, out->sets, out->n_sets, sizeof *out->sets);
        out->sets[out->n_sets++] = kv;
        i = semi ? end + 1 : end;
    }
    *rest = i;
    return EMU_OK;
}

emu_rc odps_sql_parse(const char *text, size_t len, emu_arena *a, odps_script *out, emu_err *err)
{
    parser p = {.src = text, .len = len, .a = a, .err = err};
    size_t rest = 0;
    emu_rc rc;

    memset(out, 0, sizeof *out);
    if (len > ODPS_MAX_SQL_BYTES)
        return emu_err_set(err, EMU_E_LIMIT, NULL,
                           "%s:[1,1] Parse exception - the query is longer than %d bytes", PARSE_EX,
                           ODPS_MAX_SQL_BYTES);
    if (len && memchr(text, '\0', len))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s:[1,1] Parse exception - NUL byte in the query", PARSE_EX);
    if ((rc = parse_sets(&p, out, &rest)))
        return rc;
    if ((rc = tokenize(&p, rest)))
        return rc;
    if (peek(&p)->kind == T_EOF) {
        out->stmt.kind = ODPS_STMT_NONE;
        return EMU_OK;
    }
    const tok *first = peek(&p);
    if ((rc = parse_statement(&p, &out->stmt)))
        return rc;
    const tok *last = peek(&p);
    out->stmt.text = emu_arena_strndup(a, first->p, (size_t)(last->p - first->p));
    /* Trim the text's trailing blanks (the next token's leading ones). */
    char *st = (char *)out->stmt.text;
    size_t sl = strlen(st);
    while (sl &&
           (st[sl - 1] == ' ' || st[sl - 1] == '\n' || st[sl - 1] == '\t' || st[sl - 1] == '\r'))
        st[--sl] = '\0';
    while (accept_punct(&p, ";"))
        ; /* clients append ';' (pyodps), users often too */
    tok *t = peek(&p);
    if (t->kind != T_EOF) {
        if (p.toks[p.pos - 1].kind == T_PUNCT && p.toks[p.pos - 1].p[0] == ';')
            return fail_at(&p, t->line, t->col, PARSE_EX,
                           "Parse exception - acsemu runs one statement per SQL task (after any "
                           "leading SET statements); found more after ';'");
        return fail_at(&p, t->line, t->col, PARSE_EX,
                       "Parse exception - extraneous input %s expecting <EOF>", shown(&p, t));
    }
    return EMU_OK;
}

/* ---- Tablestore's SQLQuery statements ------------------------------------------ */

/* The name token as written (backquotes removed). */
static const char *raw_name(parser *p, const tok *t)
{
    if (t->kind == T_QIDENT)
        return emu_arena_strndup(p->a, t->p + 1, t->len - 2);
    return emu_arena_strndup(p->a, t->p, t->len);
}

static emu_rc ts_name(parser *p, const char **lower, const char **raw)
{
    tok *at;
    emu_rc rc = name(p, lower, &at);
    if (rc == EMU_OK && raw)
        *raw = raw_name(p, at);
    return rc;
}

static bool ts_type(const char *w, odps_type *out)
{
    static const struct {
        const char *w;
        odps_type t;
    } m[] = {
        {"bigint", ODPS_T_BIGINT},     {"int", ODPS_T_BIGINT},       {"integer", ODPS_T_BIGINT},
        {"smallint", ODPS_T_BIGINT},   {"tinyint", ODPS_T_BIGINT},   {"mediumint", ODPS_T_BIGINT},
        {"double", ODPS_T_DOUBLE},     {"float", ODPS_T_DOUBLE},     {"varchar", ODPS_T_STRING},
        {"char", ODPS_T_STRING},       {"text", ODPS_T_STRING},      {"tinytext", ODPS_T_STRING},
        {"mediumtext", ODPS_T_STRING}, {"longtext", ODPS_T_STRING},  {"bool", ODPS_T_BOOLEAN},
        {"boolean", ODPS_T_BOOLEAN},   {"varbinary", ODPS_T_BINARY}, {"binary", ODPS_T_BINARY},
        {"blob", ODPS_T_BINARY},       {"tinyblob", ODPS_T_BINARY},  {"mediumblob", ODPS_T_BINARY},
        {"longblob", ODPS_T_BINARY}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (strcmp(w, m[i].w) == 0) {
            *out = m[i].t;
            return true;
        }
    return false;
}

static emu_rc ts_coldef(parser *p, odps_coldef *c)
{
    emu_rc rc;
    tok *at = peek(p);
    c->line = at->line;
    c->col = at->col;
    if ((rc = ts_name(p, &c->name, &c->raw)))
        return rc;
    tok *t = peek(p);
    if (t->kind != T_IDENT)
        return expected(p, "a column type");
    if (!ts_type(t->str, &c->type))
        return fail_at(p, t->line, t->col, PARSE_EX,
                       "Parse exception - column type %s is not supported by acsemu's Tablestore "
                       "SQL (bigint, double, varchar/text types, bool, varbinary/blob types)",
                       shown(p, t));
    next(p);
    const char *text = t->str;
    if (accept_punct(p, "(")) {
        int64_t n1, n2;
        if ((rc = int_lit(p, &n1)))
            return rc;
        text = emu_arena_sprintf(p->a, "%s(%lld", text, (long long)n1);
        if (accept_punct(p, ",")) {
            if ((rc = int_lit(p, &n2)))
                return rc;
            text = emu_arena_sprintf(p->a, "%s,%lld", text, (long long)n2);
        }
        if ((rc = expect_punct(p, ")")))
            return rc;
        text = emu_arena_sprintf(p->a, "%s)", text);
    }
    if (accept_kw(p, "unsigned"))
        text = emu_arena_sprintf(p->a, "%s unsigned", text);
    c->type_text = text;
    for (;;) {
        if (accept_kw(p, "not")) {
            if ((rc = expect_kw(p, "null")))
                return rc;
        } else if (accept_kw(p, "null")) {
        } else if (accept_kw(p, "comment")) {
            if ((rc = string_lit(p, &c->comment, NULL)))
                return rc;
        } else {
            return EMU_OK;
        }
    }
}

static emu_rc ts_create(parser *p, odps_create *c)
{
    emu_rc rc;
    if ((rc = expect_kw(p, "table")))
        return rc;
    if (accept_kw(p, "if")) {
        if ((rc = expect_kw(p, "not")) || (rc = expect_kw(p, "exists")))
            return rc;
        c->if_not_exists = true;
    }
    if ((rc = ts_name(p, &c->name, &c->raw_name)) || (rc = expect_punct(p, "(")))
        return rc;
    do {
        if (accept_kw(p, "primary")) {
            if (c->n_pk)
                return fail_at(p, p->toks[p->pos - 1].line, p->toks[p->pos - 1].col, PARSE_EX,
                               "Parse exception - Multiple primary key defined");
            if ((rc = expect_kw(p, "key")) || (rc = expect_punct(p, "(")))
                return rc;
            do {
                if ((rc = check_count(p, c->n_pk, ODPS_MAX_COLUMNS, "primary key columns")))
                    return rc;
                const char *k;
                if ((rc = name(p, &k, NULL)))
                    return rc;
                c->pk = push(p->a, c->pk, c->n_pk, sizeof *c->pk);
                c->pk[c->n_pk++] = k;
            } while (accept_punct(p, ","));
            if ((rc = expect_punct(p, ")")))
                return rc;
            continue;
        }
        if ((rc = check_count(p, c->n_cols, ODPS_MAX_COLUMNS, "columns")))
            return rc;
        odps_coldef d = {0};
        if ((rc = ts_coldef(p, &d)))
            return rc;
        c->cols = push(p->a, c->cols, c->n_cols, sizeof *c->cols);
        c->cols[c->n_cols++] = d;
    } while (accept_punct(p, ","));
    if ((rc = expect_punct(p, ")")))
        return rc;
    /* Table options: ENGINE='searchindex', ENGINE_ATTRIBUTE='{...}', ... */
    while (peek(p)->kind == T_IDENT) {
        if ((rc = check_count(p, c->n_engine, ODPS_MAX_SETS, "table options")))
            return rc;
        odps_kv kv = {
            .key = next(p)->str, .line = p->toks[p->pos - 1].line, .col = p->toks[p->pos - 1].col};
        accept_punct(p, "=");
        tok *v = peek(p);
        if (v->kind == T_STRING)
            kv.value = emu_arena_strndup(p->a, v->str, v->str_len);
        else if (v->kind == T_IDENT || v->kind == T_QIDENT || v->kind == T_NUMBER)
            kv.value = raw_name(p, v);
        else
            return expected(p, "a table option value");
        next(p);
        c->engine = push(p->a, c->engine, c->n_engine, sizeof *c->engine);
        c->engine[c->n_engine++] = kv;
        accept_punct(p, ",");
    }
    return EMU_OK;
}

static emu_rc ts_statement(parser *p, odps_stmt *s)
{
    tok *t = peek(p);
    emu_rc rc;
    s->line = t->line;
    s->col = t->col;
    if (t->kind != T_IDENT)
        return expected(p, "a statement");
    next(p);
    if (strcmp(t->str, "select") == 0) {
        s->kind = ODPS_STMT_SELECT;
        return parse_select(p, &s->select);
    }
    if (strcmp(t->str, "create") == 0) {
        s->kind = ODPS_STMT_CREATE;
        return ts_create(p, &s->create);
    }
    if (strcmp(t->str, "drop") == 0) {
        if ((rc = expect_kw(p, "mapping")) || (rc = expect_kw(p, "table")))
            return rc;
        s->kind = ODPS_STMT_DROP;
        if (accept_kw(p, "if")) {
            if ((rc = expect_kw(p, "exists")))
                return rc;
            s->if_exists = true;
        }
        do {
            if ((rc = check_count(p, s->n_names, ODPS_MAX_COLUMNS, "tables")))
                return rc;
            const char *lower, *raw;
            if ((rc = ts_name(p, &lower, &raw)))
                return rc;
            s->names = push(p->a, s->names, s->n_names, sizeof *s->names);
            s->names[s->n_names++] = raw;
        } while (accept_punct(p, ","));
        return EMU_OK;
    }
    if (strcmp(t->str, "show") == 0) {
        if (accept_kw(p, "tables")) {
            s->kind = ODPS_STMT_SHOW_TABLES;
            return EMU_OK;
        }
        if (accept_kw(p, "index") || accept_kw(p, "indexes") || accept_kw(p, "keys")) {
            if (!accept_kw(p, "from") && !accept_kw(p, "in"))
                return expected(p, "FROM");
            s->kind = ODPS_STMT_SHOW_INDEX;
            return ts_name(p, &s->name, &s->raw_name);
        }
        tok *k = peek(p);
        if (k->kind == T_IDENT)
            return unsupported(p, k, emu_arena_sprintf(p->a, "SHOW %.*s", (int)k->len, k->p));
        return expected(p, "TABLES or INDEX");
    }
    if (strcmp(t->str, "desc") == 0 || strcmp(t->str, "describe") == 0) {
        s->kind = ODPS_STMT_DESC;
        return ts_name(p, &s->name, &s->raw_name);
    }
    return unsupported(p, t, emu_arena_sprintf(p->a, "the %.*s statement", (int)t->len, t->p));
}

emu_rc odps_sql_parse_tablestore(const char *text, size_t len, emu_arena *a, odps_stmt *out,
                                 emu_err *err)
{
    parser p = {.src = text, .len = len, .a = a, .err = err, .tablestore = true};
    emu_rc rc;
    memset(out, 0, sizeof *out);
    if (len > ODPS_MAX_SQL_BYTES)
        return emu_err_set(err, EMU_E_LIMIT, NULL,
                           "%s:[1,1] Parse exception - the query is longer than %d bytes", PARSE_EX,
                           ODPS_MAX_SQL_BYTES);
    if (len && memchr(text, '\0', len))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s:[1,1] Parse exception - NUL byte in the query", PARSE_EX);
    if ((rc = tokenize(&p, 0)))
        return rc;
    const tok *first = peek(&p);
    if ((rc = ts_statement(&p, out)))
        return rc;
    out->text = emu_arena_strndup(a, first->p, (size_t)(peek(&p)->p - first->p));
    accept_punct(&p, ";");
    tok *t = peek(&p);
    if (t->kind != T_EOF)
        return fail_at(&p, t->line, t->col, PARSE_EX,
                       "Parse exception - extraneous input %s expecting <EOF>", shown(&p, t));
    return EMU_OK;
}

const char *odps_type_name(odps_type t)
{
    switch (t) {
    case ODPS_T_BIGINT:
        return "bigint";
    case ODPS_T_DOUBLE:
        return "double";
    case ODPS_T_STRING:
        return "string";
    case ODPS_T_BOOLEAN:
        return "boolean";
    case ODPS_T_BINARY:
        return "binary";
    case ODPS_T_DATETIME:
        return "datetime";
    default:
        return "void";
    }
}
