/* Tablestore rows for the console, read straight from the row store, so the
 * page needs no signed Tablestore requests (and no AccessKey).
 *
 *   GET /_emu/tables
 *       {"Accounts":[{"AccountId","Instances":[{"InstanceName","Network",
 *         "Tables":[{"TableName","PrimaryKey":[{"Name","Type"}],
 *                    "DefinedColumns":[{"Name","Type"}],"TimeToLive",
 *                    "MaxVersions","RowCount"}]}]}]}
 *       Schemas and counts only: cheap however many rows the tables hold.
 *
 *   GET /_emu/tables/ACCOUNT/INSTANCE/TABLE/rows?limit=N&start=TOKEN
 *       {"AccountId","InstanceName","TableName","PrimaryKey","DefinedColumns",
 *        "RowCount","Start":TOKEN|null,"Next":TOKEN|null,
 *        "Rows":[{"PrimaryKey":[{"Name","Type","Value"}],
 *                 "Columns":[{"Name","Type","Value","Timestamp"}]}]}
 *       One page of at most N rows (default 50, at most ROWS_PAGE_MAX) in
 *       primary-key order from TOKEN (inclusive; absent = the first row),
 *       the newest version of each column. "Next" is the token of the next
 *       unread row, null at the end; the console keeps the tokens it has
 *       visited to page back. TTL-expired rows are skipped, like GetRange.
 *
 * Values are typed: INTEGER as a decimal string (an int64 does not fit a
 * JavaScript number), DOUBLE as a number (non-finite values as the strings
 * "NaN", "Infinity", "-Infinity"), BOOLEAN as true/false, STRING as a string
 * when it is valid UTF-8 without NUL bytes and otherwise, like BINARY, as
 * Base64 with "Encoding":"base64".
 *
 * TOKEN is opaque to clients: the hex of the primary key in schema order,
 * each value a type byte (PlainBuffer's, tablestore-protocol.md §7.1) then
 * 8 big-endian bytes for INTEGER or a 4-byte big-endian length and the bytes
 * for STRING/BINARY. It is checked against the table's schema on the way
 * back in, so a token of another table is refused, not misread. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emu/admin.h"
#include "emu/crypto.h"
#include "emu/ots_store.h"

#define ROWS_PAGE_DEFAULT 50
#define ROWS_PAGE_MAX 500
/* Expired rows stepped over before a page ends early (its Next still lets
 * the console go on), so one request stays O(page) on the loop. */
#define ROWS_SCAN_CAP 10000

/* --- request parsing ------------------------------------------------------ */

/* Raw value of query parameter `name` (not percent-decoded: limit and start
 * are digits and hex), or {NULL,0}. */
static emu_str query_param(emu_str q, const char *name)
{
    size_t n = strlen(name);
    size_t i = 0;
    while (i < q.len) {
        const char *amp = memchr(q.p + i, '&', q.len - i);
        size_t end = amp ? (size_t)(amp - q.p) : q.len;
        if (end - i > n && q.p[i + n] == '=' && memcmp(q.p + i, name, n) == 0)
            return (emu_str){q.p + i + n + 1, end - i - n - 1};
        i = end + 1;
    }
    return EMU_STR_NULL;
}

static bool segment_ok(emu_str s)
{
    if (s.len == 0 || s.len > EMU_MAX_OTS_NAME_BYTES)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* Splits "/a/b/c[/d]" into at most `cap` segments; returns how many, or 0
 * when a segment is empty or has characters no name may hold. */
static size_t split_path(emu_str rest, emu_str *seg, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < rest.len) {
        if (rest.p[i] != '/' || n == cap)
            return 0;
        i++;
        const char *slash = memchr(rest.p + i, '/', rest.len - i);
        size_t end = slash ? (size_t)(slash - rest.p) : rest.len;
        seg[n] = (emu_str){rest.p + i, end - i};
        if (!segment_ok(seg[n]))
            return 0;
        n++;
        i = end;
    }
    return n;
}

/* --- JSON ----------------------------------------------------------------- */

static bool utf8_text_ok(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t k;
        uint32_t cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        /* Overlong forms, surrogates and values past U+10FFFF. */
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

static void add_base64(emu_arena *a, cJSON *o, const uint8_t *p, size_t n)
{
    char *b64 = emu_arena_alloc(a, EMU_BASE64_LEN(n) + 1);
    emu_base64_encode(p, n, b64);
    cJSON_AddStringToObject(o, "Value", b64);
    cJSON_AddStringToObject(o, "Encoding", "base64");
}

/* Adds "Type" and "Value" (and "Encoding" for Base64) of v to o. */
static void add_value(emu_arena *a, cJSON *o, const ots_value *v)
{
    char num[32];
    cJSON_AddStringToObject(o, "Type", ots_vtype_name(v->type));
    switch (v->type) {
    case OTS_VT_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)v->i);
        cJSON_AddStringToObject(o, "Value", num);
        break;
    case OTS_VT_DOUBLE:
        if (isfinite(v->d))
            cJSON_AddNumberToObject(o, "Value", v->d);
        else
            cJSON_AddStringToObject(o, "Value",
                                    isnan(v->d) ? "NaN"
                                    : v->d > 0  ? "Infinity"
                                                : "-Infinity");
        break;
    case OTS_VT_BOOLEAN:
        cJSON_AddBoolToObject(o, "Value", v->b);
        break;
    case OTS_VT_STRING:
        if (utf8_text_ok(v->p, v->len)) {
            char *s = emu_arena_strndup(a, (const char *)v->p, v->len);
            cJSON_AddStringToObject(o, "Value", s);
        } else {
            add_base64(a, o, v->p, v->len);
        }
        break;
    case OTS_VT_BINARY:
        add_base64(a, o, v->p, v->len);
        break;
    default: /* INF_MIN/INF_MAX/AUTO_INCREMENT: never stored in a row */
        cJSON_AddNullToObject(o, "Value");
        break;
    }
}

static cJSON *cells_json(emu_arena *a, const ots_cell *cells, size_t n, bool with_ts)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const ots_cell *c = &cells[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Name", emu_arena_strndup(a, c->name.p, c->name.len));
        if (c->has_value)
            add_value(a, o, &c->value);
        if (with_ts && c->has_ts)
            cJSON_AddNumberToObject(o, "Timestamp", (double)c->ts);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* The table's world-file schema, with DefinedColumns always present (the
 * console lists them) and its row count. */
static void add_schema(cJSON *o, const ots_table_t *t)
{
    ots_section_schema_json(o, t);
    if (!cJSON_GetObjectItemCaseSensitive(o, "DefinedColumns"))
        cJSON_AddArrayToObject(o, "DefinedColumns");
    cJSON_AddNumberToObject(o, "RowCount", (double)ots_table_row_count(t));
}

/* --- page tokens ---------------------------------------------------------- */

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Token of a primary key (see the top of the file), in the arena. */
static char *token_encode(emu_arena *a, const ots_row_t *pk)
{
    size_t n = 0;
    for (size_t i = 0; i < pk->n_pk; i++)
        n += 1 + (pk->pk[i].value.type == OTS_VT_INTEGER ? 8 : 4 + pk->pk[i].value.len);
    uint8_t *bin = emu_arena_alloc(a, n ? n : 1);
    size_t off = 0;
    for (size_t i = 0; i < pk->n_pk; i++) {
        const ots_value *v = &pk->pk[i].value;
        bin[off++] = (uint8_t)v->type;
        if (v->type == OTS_VT_INTEGER) {
            put_be(bin + off, (uint64_t)v->i, 8);
            off += 8;
        } else {
            put_be(bin + off, v->len, 4);
            memcpy(bin + off + 4, v->p, v->len);
            off += 4 + v->len;
        }
    }
    char *hex = emu_arena_alloc(a, 2 * n + 1);
    emu_hex_lower(bin, n, hex);
    return hex;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes a token into full-width PK cells of schema `s` (names from the
 * schema, bytes in the arena). False for anything that is not a token of a
 * key with this schema. */
static bool token_decode(emu_arena *a, emu_str tok, const ots_table_schema *s, ots_cell *out)
{
    size_t cap = s->n_pk * (1 + 4 + EMU_MAX_OTS_PK_VALUE_BYTES);
    if (tok.len == 0 || tok.len % 2 || tok.len / 2 > cap)
        return false;
    size_t n = tok.len / 2;
    uint8_t *bin = emu_arena_alloc(a, n);
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(tok.p[2 * i]), lo = hexval(tok.p[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        bin[i] = (uint8_t)(hi << 4 | lo);
    }
    size_t off = 0;
    for (size_t i = 0; i < s->n_pk; i++) {
        ots_cell *c = &out[i];
        memset(c, 0, sizeof *c);
        c->name = emu_str_c(s->pk[i].name);
        c->has_value = true;
        if (off >= n)
            return false;
        uint8_t type = bin[off++];
        ots_vtype want = s->pk[i].type == OTS_PK_INTEGER  ? OTS_VT_INTEGER
                         : s->pk[i].type == OTS_PK_STRING ? OTS_VT_STRING
                                                          : OTS_VT_BINARY;
        if (type != want)
            return false;
        c->value.type = want;
        if (want == OTS_VT_INTEGER) {
            if (n - off < 8)
                return false;
            c->value.i = (int64_t)get_be(bin + off, 8);
            off += 8;
            continue;
        }
        if (n - off < 4)
            return false;
        uint64_t len = get_be(bin + off, 4);
        off += 4;
        if (len > EMU_MAX_OTS_PK_VALUE_BYTES || n - off < len)
            return false;
        c->value.len = (uint32_t)len;
        c->value.p = bin + off;
        off += len;
    }
    return off == n;
}

/* --- handlers ------------------------------------------------------------- */

/* The account's row store, or NULL when Tablestore is not built in. */
static ots_store_t *account_store(const world_account *acct)
{
    int idx = world_section_index("Tablestore");
    return idx < 0 ? NULL : acct->sections[idx];
}

static emu_rc tables_list(emu_call *call)
{
    const world_t *w = call->server->world;
    cJSON *j = cJSON_CreateObject();
    cJSON *accounts = cJSON_AddArrayToObject(j, "Accounts");
    for (size_t i = 0; i < world_account_count(w); i++) {
        const world_account *acct = world_account_at(w, i);
        const ots_store_t *st = account_store(acct);
        cJSON *ao = cJSON_CreateObject();
        cJSON_AddStringToObject(ao, "AccountId", acct->id);
        cJSON *insts = cJSON_AddArrayToObject(ao, "Instances");
        for (size_t k = 0; st && k < ots_store_instance_count(st); k++) {
            const ots_instance_t *in = ots_store_instance_at(st, k);
            cJSON *io = cJSON_CreateObject();
            cJSON_AddStringToObject(io, "InstanceName", ots_instance_name(in));
            cJSON_AddStringToObject(io, "Network", ots_network_name(ots_instance_network(in)));
            cJSON *tables = cJSON_AddArrayToObject(io, "Tables");
            for (size_t t = 0; t < ots_store_table_count(in); t++) {
                cJSON *to = cJSON_CreateObject();
                add_schema(to, ots_store_table_at(in, t));
                cJSON_AddItemToArray(tables, to);
            }
            cJSON_AddItemToArray(insts, io);
        }
        cJSON_AddItemToArray(accounts, ao);
    }
    return emu_admin_json(call, 200, j);
}

static emu_rc bad_name(emu_call *call)
{
    return emu_admin_error(call, 404, "NotFound",
                           "use GET /_emu/tables or /_emu/tables/ACCOUNT/INSTANCE/TABLE/rows"
                           "?limit=N&start=TOKEN");
}

static emu_rc table_rows(emu_call *call, emu_str account, emu_str instance, emu_str table)
{
    emu_arena *a = call->arena;
    const char *acct_id = emu_arena_strndup(a, account.p, account.len);
    const char *inst_name = emu_arena_strndup(a, instance.p, instance.len);
    const char *table_name = emu_arena_strndup(a, table.p, table.len);
    const world_account *acct = world_account_find(call->server->world, acct_id);
    if (!acct)
        return emu_admin_error(call, 404, "NoSuchAccount", "no account %s", acct_id);
    ots_instance_t *in = ots_section_instance(account_store(acct), inst_name);
    if (!in)
        return emu_admin_error(call, 404, "NoSuchInstance", "account %s has no instance %s",
                               acct_id, inst_name);
    const ots_table_t *t = ots_store_table_find(in, table_name);
    if (!t)
        return emu_admin_error(call, 404, "NoSuchTable",
                               "instance %s of account %s has no table %s", inst_name, acct_id,
                               table_name);

    /* limit: 1..ROWS_PAGE_MAX, plain digits. */
    size_t limit = ROWS_PAGE_DEFAULT;
    emu_str lim = query_param(call->req->query, "limit");
    if (lim.p) {
        limit = 0;
        for (size_t i = 0; i < lim.len && limit <= ROWS_PAGE_MAX; i++) {
            if (lim.p[i] < '0' || lim.p[i] > '9') {
                limit = 0;
                break;
            }
            limit = limit * 10 + (size_t)(lim.p[i] - '0');
        }
        if (limit < 1 || limit > ROWS_PAGE_MAX)
            return emu_admin_error(call, 400, "InvalidLimit", "limit must be 1 to %d",
                                   ROWS_PAGE_MAX);
    }

    /* The range: [start or INF_MIN..., INF_MAX...). */
    const ots_table_schema *s = ots_table_schema_of(t);
    ots_cell *start = emu_arena_zalloc(a, s->n_pk * sizeof *start);
    ots_cell *end = emu_arena_zalloc(a, s->n_pk * sizeof *end);
    emu_str tok = query_param(call->req->query, "start");
    for (size_t i = 0; i < s->n_pk; i++) {
        start[i].name = end[i].name = emu_str_c(s->pk[i].name);
        start[i].has_value = end[i].has_value = true;
        start[i].value.type = OTS_VT_INF_MIN;
        end[i].value.type = OTS_VT_INF_MAX;
    }
    if (tok.p && tok.len && !token_decode(a, tok, s, start))
        return emu_admin_error(call, 400, "InvalidToken",
                               "start is not a page token of table %s; use the Next of a "
                               "previous answer",
                               table_name);

    ots_store_iter it;
    emu_err err = {0};
    if (ots_store_range_open(t, start, s->n_pk, end, s->n_pk, false, a, &it, &err))
        return emu_admin_error(call, 400, "InvalidToken", "start: %s", err.msg);
    ots_read_opts opts = {.max_versions = 1};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "AccountId", acct_id);
    cJSON_AddStringToObject(j, "InstanceName", inst_name);
    add_schema(j, t);
    if (tok.p && tok.len)
        cJSON_AddStringToObject(j, "Start", emu_arena_strndup(a, tok.p, tok.len));
    else
        cJSON_AddNullToObject(j, "Start");
    cJSON *rows = cJSON_CreateArray();
    size_t n = 0;
    bool exhausted = false;
    while (n < limit && it.scanned < ROWS_SCAN_CAP) {
        ots_row_t row;
        ots_iter_rc ir = ots_store_range_next(&it, &opts, a, &row);
        if (ir == OTS_ITER_END) {
            exhausted = true;
            break;
        }
        if (ir != OTS_ITER_ROW)
            continue;
        cJSON *ro = cJSON_CreateObject();
        cJSON_AddItemToObject(ro, "PrimaryKey", cells_json(a, row.pk, row.n_pk, false));
        cJSON_AddItemToObject(ro, "Columns", cells_json(a, row.attrs, row.n_attrs, true));
        cJSON_AddItemToArray(rows, ro);
        n++;
    }
    ots_row_t next;
    if (!exhausted && ots_store_range_peek_pk(&it, a, &next))
        cJSON_AddStringToObject(j, "Next", token_encode(a, &next));
    else
        cJSON_AddNullToObject(j, "Next");
    cJSON_AddItemToObject(j, "Rows", rows);
    return emu_admin_json(call, 200, j);
}

/* GET /_emu/tables[/ACCOUNT/INSTANCE/TABLE/rows]. */
static emu_rc admin_tables(emu_call *call, emu_str rest)
{
    emu_str seg[4];
    if (rest.len == 0 || emu_str_eq_c(rest, "/"))
        return tables_list(call);
    if (split_path(rest, seg, 4) != 4 || !emu_str_eq_c(seg[3], "rows"))
        return bad_name(call);
    return table_rows(call, seg[0], seg[1], seg[2]);
}

void emu_admin_rows_register(void)
{
    static const emu_admin_route tables = {"GET", "/_emu/tables", admin_tables};
    emu_admin_add_route(&tables);
}
