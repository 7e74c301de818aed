/* CREATE EXTERNAL TABLE validation (maxcompute-external-table.md §5.2-§5.4).
 *
 * Everything here is metadata: MaxCompute does not contact Tablestore at
 * CREATE (§9.2 [I]); the mapping is checked against the real table schema
 * at query time by the read path (DescribeTable). Messages follow the
 * ODPS-0130071 "Semantic analysis exception" form of §7.1; their wording
 * is ours ([I]: the real texts are not published). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "odps_int.h"

#define HANDLER "com.aliyun.odps.TableStoreStorageHandler"

static const odps_kv *prop(const odps_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return &kv[i];
    return NULL;
}

static char *lower(emu_arena *a, const char *s, size_t n)
{
    char *d = emu_arena_strndup(a, s, n);
    for (size_t i = 0; i < n; i++)
        if (d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] + 32);
    return d;
}

static bool ots_name_ok(const char *s, size_t n)
{
    if (!n || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i && c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* "tablestore://[AK:SK@]<instance>.<region>.<suffix>[/]" (§5.3). */
static emu_rc parse_location(const odps_create *c, emu_arena *a, odps_table_def *t, emu_err *err)
{
    static const char scheme[] = "tablestore://";
    static const char *const suffixes[] = {"ots-internal.aliyuncs.com", "ots.aliyuncs.com",
                                           "vpc.tablestore.aliyuncs.com", "tablestore.aliyuncs.com",
                                           NULL};
    const char *loc = c->location;
    int l = c->location_line, k = c->location_col;
    if (strncmp(loc, scheme, sizeof scheme - 1) != 0)
        return odps__semantic_error(err, l, k, "LOCATION '%.100s' must start with tablestore://",
                                    loc);
    const char *host = loc + sizeof scheme - 1;
    const char *at = strrchr(host, '@');
    if (at) {
        const char *colon = memchr(host, ':', (size_t)(at - host));
        if (!colon || colon == host || colon + 1 == at)
            return odps__semantic_error(
                err, l, k, "LOCATION credentials must be <AccessKeyId>:<AccessKeySecret>@<host>");
        t->ak_id = emu_arena_strndup(a, host, (size_t)(colon - host));
        t->ak_secret = emu_arena_strndup(a, colon + 1, (size_t)(at - colon - 1));
        host = at + 1;
    }
    size_t n = strlen(host);
    if (n && host[n - 1] == '/')
        n--;
    /* One doc rendering has a stray blank before the region (§2); hosts
     * never contain blanks, so drop them. */
    char *h = emu_arena_alloc(a, n + 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (host[i] != ' ')
            h[m++] = host[i];
    h[m] = '\0';
    h = lower(a, h, m);
    const char *d1 = strchr(h, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || d1 == h || !d2 || d2 == d1 + 1 || strchr(h, '/') || strchr(h, ':'))
        return odps__semantic_error(
            err, l, k,
            "LOCATION host '%.100s' must be <instance>.<region>.ots-internal.aliyuncs.com "
            "(or .ots.aliyuncs.com, .vpc.tablestore.aliyuncs.com, "
            ".tablestore.aliyuncs.com)",
            h);
    bool known = false;
    for (const char *const *s = suffixes; *s && !known; s++)
        known = strcmp(d2 + 1, *s) == 0;
    if (!known)
        return odps__semantic_error(
            err, l, k,
            "LOCATION host '%.100s' is not a Tablestore endpoint (suffix must be "
            "ots-internal.aliyuncs.com, ots.aliyuncs.com, vpc.tablestore.aliyuncs.com or "
            "tablestore.aliyuncs.com)",
            h);
    t->host = h;
    t->instance = emu_arena_strndup(a, h, (size_t)(d1 - h));
    t->region = emu_arena_strndup(a, d1 + 1, (size_t)(d2 - d1 - 1));
    return EMU_OK;
}

static emu_rc parse_mapping(const odps_create *c, const odps_kv *kv, emu_arena *a,
                            odps_table_def *t, emu_err *err)
{
    const char *s = kv->value;
    size_t n = 0, n_pk = 0;
    t->ots_cols = emu_arena_zalloc(a, (c->n_cols + 1) * sizeof *t->ots_cols);
    t->ots_pk = emu_arena_zalloc(a, (c->n_cols + 1) * sizeof *t->ots_pk);
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
                       s[len - 1] == '\r'))
            len--;
        bool pk = len && s[0] == ':';
        const char *nm = pk ? s + 1 : s;
        size_t nl = pk ? len - 1 : len;
        if (!ots_name_ok(nm, nl))
            return odps__semantic_error(
                err, kv->line, kv->col,
                "tablestore.columns.mapping entry %zu '%.*s' is not a Tablestore column "
                "name (':name' for a primary-key column, 'name' for an attribute)",
                n + 1, (int)(len > 64 ? 64 : len), s);
        if (n == c->n_cols)
            return odps__semantic_error(
                err, kv->line, kv->col,
                "tablestore.columns.mapping has more entries than the table's %zu columns",
                c->n_cols);
        for (size_t i = 0; i < n; i++)
            if (strlen(t->ots_cols[i]) == nl && memcmp(t->ots_cols[i], nm, nl) == 0)
                return odps__semantic_error(
                    err, kv->line, kv->col,
                    "Tablestore column '%.*s' is mapped twice in tablestore.columns.mapping",
                    (int)nl, nm);
        t->ots_cols[n] = emu_arena_strndup(a, nm, nl);
        t->ots_pk[n] = pk;
        if (pk) {
            const odps_coldef *col = &c->cols[n];
            if (++n_pk > 4)
                return odps__semantic_error(
                    err, kv->line, kv->col,
                    "tablestore.columns.mapping names more than 4 primary-key columns");
            if (col->type != ODPS_T_BIGINT && col->type != ODPS_T_STRING &&
                col->type != ODPS_T_BINARY)
                return odps__semantic_error(
                    err, col->line, col->col,
                    "column %s is mapped to Tablestore primary-key column '%s' but has "
                    "type %s (primary keys are BIGINT, STRING or BINARY)",
                    col->name, t->ots_cols[n], odps_type_name(col->type));
        }
        n++;
        if (!end)
            break;
        s = end + 1;
    }
    if (n != c->n_cols)
        return odps__semantic_error(
            err, kv->line, kv->col,
            "tablestore.columns.mapping has %zu entries but the table has %zu columns "
            "(one entry per column, in column order)",
            n, c->n_cols);
    if (!n_pk)
        return odps__semantic_error(
            err, kv->line, kv->col,
            "tablestore.columns.mapping names no primary-key column (':name'); every "
            "Tablestore primary-key column must be mapped");
    return EMU_OK;
}

/* acs:ram::<digits>:role/<name> */
static bool arn_ok(const char *s)
{
    static const char pre[] = "acs:ram::";
    if (strncmp(s, pre, sizeof pre - 1) != 0)
        return false;
    s += sizeof pre - 1;
    const char *d = s;
    while (*s >= '0' && *s <= '9')
        s++;
    return s > d && strncmp(s, ":role/", 6) == 0 && s[6];
}

emu_rc odps_table_validate(const odps_create *c, emu_arena *a, odps_table_def *t, emu_err *err)
{
    static const char *const known[] = {"tablestore.columns.mapping", "tablestore.table.name",
                                        "odps.properties.rolearn",    "tablestore.read.mode",
                                        "tablestore.corrupt.column",  NULL};
    emu_rc rc;
    memset(t, 0, sizeof *t);
    t->name = c->name;
    t->cols = c->cols;
    t->n_cols = c->n_cols;
    if (strcmp(c->handler, HANDLER) != 0)
        return odps__semantic_error(
            err, c->handler_line, c->handler_col,
            "storage handler '%.100s' is not supported by acsemu (only " HANDLER ")", c->handler);
    for (size_t i = 0; i < c->n_serde; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->serde[i].key, c->serde[j].key) == 0)
                return odps__semantic_error(err, c->serde[i].line, c->serde[i].col,
                                            "SERDEPROPERTIES key '%.100s' given twice",
                                            c->serde[i].key);
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(c->serde[i].key, *k) == 0;
        /* The truncated tablestore.timestam... key of the newest docs (§5.2)
         * and other tablestore.* tuning keys are accepted without effect. */
        if (!ok && strncmp(c->serde[i].key, "tablestore.", 11) != 0 &&
            strncmp(c->serde[i].key, "odps.", 5) != 0)
            return odps__semantic_error(err, c->serde[i].line, c->serde[i].col,
                                        "unknown SERDEPROPERTIES key '%.100s' for " HANDLER,
                                        c->serde[i].key);
    }
    const odps_kv *mapping = prop(c->serde, c->n_serde, "tablestore.columns.mapping");
    const odps_kv *table = prop(c->serde, c->n_serde, "tablestore.table.name");
    const odps_kv *role = prop(c->serde, c->n_serde, "odps.properties.rolearn");
    const odps_kv *mode = prop(c->serde, c->n_serde, "tablestore.read.mode");
    if (!mapping)
        return odps__semantic_error(err, c->handler_line, c->handler_col,
                                    "SERDEPROPERTIES must give 'tablestore.columns.mapping'");
    if (!table)
        return odps__semantic_error(err, c->handler_line, c->handler_col,
                                    "SERDEPROPERTIES must give 'tablestore.table.name'");
    if (!ots_name_ok(table->value, strlen(table->value)))
        return odps__semantic_error(err, table->line, table->col,
                                    "tablestore.table.name '%.100s' is not a Tablestore table name",
                                    table->value);
    t->ots_table = table->value;
    if (role) {
        if (!arn_ok(role->value))
            return odps__semantic_error(err, role->line, role->col,
                                        "odps.properties.rolearn '%.200s' is not a role ARN "
                                        "(acs:ram::<uid>:role/<name>)",
                                        role->value);
        t->role_arn = role->value;
    }
    if (mode) {
        if (strcmp(mode->value, "permissive") == 0)
            t->permissive = true;
        else if (strcmp(mode->value, "strict") != 0)
            return odps__semantic_error(err, mode->line, mode->col,
                                        "tablestore.read.mode must be 'strict' or 'permissive'");
    }
    if ((rc = parse_mapping(c, mapping, a, t, err)))
        return rc;
    return parse_location(c, a, t, err);
}

emu_rc odps_table_from_ddl(const char *ddl, emu_arena *a, odps_table_def *out, emu_err *err)
{
    odps_script s;
    emu_rc rc = odps_sql_parse(ddl, strlen(ddl), a, &s, err);
    if (rc)
        return rc;
    if (s.stmt.kind != ODPS_STMT_CREATE)
        return emu_err_set(err, EMU_E_INVALID, NULL, "not a CREATE EXTERNAL TABLE statement");
    return odps_table_validate(&s.stmt.create, a, out, err);
}
