/* The external-table read path, done the way the service does it
 * (maxcompute-external-table.md §4):
 *
 *   1. credentials: LOCATION AK:SK@ → those keys, no STS; else MaxCompute,
 *      working for the project owner B, calls STS AssumeRole on the table's
 *      odps.properties.rolearn (or acs:ram::<B>:role/aliyunodpsdefaultrole);
 *   2. DescribeTable: the primary key, to check the column mapping;
 *   3. ComputeSplitPointsBySize: the splits a real job would read in
 *      parallel (read here one after the other);
 *   4. GetRange over each split, FORWARD, max_versions 1, columns_to_get =
 *      the mapped columns, following next_start_primary_key.
 *
 * Why in-process HTTP requests: every call above is a real signed request
 * (STS: RPC signature V1 with the ServiceCredentials the world gives
 * "odps.aliyuncs.com" in account B, so the caller is the service principal
 * 56789@odps.aliyuncs.com; Tablestore: x-ots-signature with the session's
 * AccessKeyId and x-ots-ststoken) handed to the server's own dispatcher,
 * emu_dispatch, as an emu_exchange built here instead of by `net`. From
 * routing on, nothing differs from a request off the socket: the same
 * authentication, the same authorize phase and policy engine, the same
 * trust-policy check inside AssumeRole, the same decision traces and access
 * log lines (reasons included), the same error bodies, which are parsed
 * back here. Calling handlers or the policy engine directly would have
 * needed a second copy of those rules and could drift from them; only the
 * HTTP byte parser is skipped, which has nothing to say about clouds.
 * The requests run synchronously on the loop, inside the ODPS request that
 * created the instance (DESIGN.md §1: requests run to completion).
 *
 * Departures [I]: the STS/OTS requests say they came over TLS from
 * 127.0.0.1 (acs:SecureTransport true, acs:SourceIp 127.0.0.1); the
 * instance's region must be the world's region, else the host "maps
 * nowhere" and the query fails with the documented timeout text (§5.3,
 * §7.3). Error texts wrap the inner code and message verbatim in the §7
 * proposed shape "ODPS-0010000:System internal error - <component> failed:
 * ErrorCode: <code>, Message: <msg>". */
#include <stdio.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/ots.h"
#include "emu/sig.h"
#include "emu/sts.h"
#include "odps_int.h"
#include "ots.pb-c.h"

#define ODPS_SERVICE "odps.aliyuncs.com"

typedef struct inner_resp {
    int status;
    const uint8_t *body; /* in the caller's arena */
    size_t len;
    const char *request_id; /* x-ots-requestid, or NULL */
} inner_resp;

/* Runs one request through emu_dispatch. The exchange gets its own arena
 * (what `net` would give it); everything kept is copied into `a`. */
static void inner_dispatch(emu_server *s, emu_arena *a, const char *method, const char *target,
                           const emu_http_header *h, size_t nh, const uint8_t *body, size_t blen,
                           inner_resp *out)
{
    emu_exchange x;
    memset(&x, 0, sizeof x);
    x.req.arena = emu_arena_new(64 * 1024);
    x.req.method = emu_str_c(method);
    x.req.target = emu_str_c(target);
    const char *q = strchr(target, '?');
    x.req.path = q ? (emu_str){target, (size_t)(q - target)} : emu_str_c(target);
    x.req.query = q ? emu_str_c(q + 1) : (emu_str){"", 0};
    x.req.headers = h;
    x.req.n_headers = nh;
    x.req.body = body;
    x.req.body_len = blen;
    x.req.tls = true;
    x.req.peer_ip = "127.0.0.1";
    x.start_us = emu_clock_mono_us();
    emu_buf_init(&x.resp.body, EMU_MAX_BODY_BYTES * 2);

    emu_dispatch(s, &x);

    out->status = x.resp.status;
    out->len = x.resp.body.len;
    uint8_t *copy = emu_arena_alloc(a, x.resp.body.len + 1);
    if (x.resp.body.len)
        memcpy(copy, x.resp.body.p, x.resp.body.len);
    copy[x.resp.body.len] = 0;
    out->body = copy;
    emu_str rid = emu_http_resp_get_header(&x.resp, "x-ots-requestid");
    out->request_id = rid.p ? emu_arena_strndup(a, rid.p, rid.len) : NULL;
    emu_buf_dispose(&x.resp.body);
    emu_arena_free(x.req.arena);
}

/* ---- STS ------------------------------------------------------------------------------ */

typedef struct creds {
    const char *ak, *secret, *token; /* token NULL = long-term key */
} creds;

static void add_param(emu_arena *a, emu_buf *q, const char *k, const char *v)
{
    emu_str ek = sig_pct_encode(a, emu_str_c(k));
    emu_str ev = sig_pct_encode(a, emu_str_c(v));
    if (q->len)
        emu_buf_putc(q, '&');
    emu_buf_append(q, ek.p, ek.len);
    emu_buf_putc(q, '=');
    emu_buf_append(q, ev.p, ev.len);
}

static emu_rc assume_role(emu_server *s, const world_account *owner, const char *arn,
                          const char *session, emu_arena *a, creds *out, emu_err *err)
{
    const world_service_cred *svc = NULL;
    for (size_t i = 0; i < owner->n_service_creds && !svc; i++)
        if (strcmp(owner->service_creds[i].service, ODPS_SERVICE) == 0)
            svc = &owner->service_creds[i];
    if (!svc)
        /* acsemu convention: the service signs its STS call with the keys
         * the world file gives it for this account. */
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "ODPS-0010000:System internal error - STS AssumeRole of %s failed: "
                           "account %s has no ServiceCredentials for " ODPS_SERVICE
                           " in the acsemu world, so MaxCompute cannot call STS for it",
                           arn, owner->id);
    char nonce[37], ts[21];
    emu_rand_uuid(nonce);
    emu_time_iso(emu_clock_real_ms(), ts);
    emu_buf q;
    emu_buf_init(&q, EMU_MAX_URL_BYTES);
    add_param(a, &q, "Action", "AssumeRole");
    add_param(a, &q, "Version", EMU_STS_VERSION);
    add_param(a, &q, "Format", "JSON");
    add_param(a, &q, "AccessKeyId", svc->id);
    add_param(a, &q, "SignatureMethod", "HMAC-SHA1");
    add_param(a, &q, "SignatureVersion", "1.0");
    add_param(a, &q, "SignatureNonce", nonce);
    add_param(a, &q, "Timestamp", ts);
    add_param(a, &q, "RoleArn", arn);
    add_param(a, &q, "RoleSessionName", session);
    add_param(a, &q, "DurationSeconds", "3600");
    sig_params p;
    emu_str sts;
    char sig[SIG_B64_SHA1_LEN + 1];
    emu_err e = {0};
    if (sig_params_parse(a, (emu_str){q.p, q.len}, EMU_STR_NULL, &p, &e) ||
        sig_v1_string_to_sign(a, EMU_STR_LIT("GET"), &p, &sts, &e)) {
        emu_buf_dispose(&q);
        return emu_err_set(err, EMU_E_INTERNAL, NULL,
                           "ODPS-0010000:System internal error - signing AssumeRole: %s", e.msg);
    }
    sig_v1_sign(emu_str_c(svc->secret), sts, sig);
    add_param(a, &q, "Signature", sig);
    char *target = emu_arena_sprintf(a, "/?%s", q.p);
    emu_buf_dispose(&q);

    emu_http_header h[] = {
        {EMU_STR_LIT("host"),
         emu_str_c(emu_arena_sprintf(a, "sts.%s.aliyuncs.com", world_region(s->world)))},
        {EMU_STR_LIT("user-agent"), EMU_STR_LIT("acsemu-odps")},
    };
    inner_resp r;
    inner_dispatch(s, a, "GET", target, h, 2, NULL, 0, &r);

    cJSON *j = cJSON_ParseWithLength((const char *)r.body, r.len);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "Credentials");
    const char *ak = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "AccessKeyId"));
    const char *sk = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "AccessKeySecret"));
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "SecurityToken"));
    emu_rc rc = EMU_OK;
    if (r.status == 200 && ak && sk && tok) {
        out->ak = emu_arena_strdup(a, ak);
        out->secret = emu_arena_strdup(a, sk);
        out->token = emu_arena_strdup(a, tok);
    } else {
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "Code"));
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "Message"));
        const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "RequestId"));
        rc = emu_err_set(err, r.status == 403 ? EMU_E_DENIED : EMU_E_INVALID, NULL,
                         "ODPS-0010000:System internal error - STS AssumeRole of %s as "
                         "%s@" ODPS_SERVICE " failed: ErrorCode: %s, Message: %s, RequestId: %s",
                         arn, owner->id, code ? code : "?", msg ? msg : "?", rid ? rid : "?");
    }
    cJSON_Delete(j);
    return rc;
}

/* ---- Tablestore ---------------------------------------------------------------------- */

typedef struct rctx {
    emu_server *s;
    emu_arena *a;
    const odps_table_def *t;
    creds cr;
    ProtobufCAllocator alloc;
    bool writing; /* errors of BatchWriteRow read as the §7.3 write failure */
} rctx;

static void *pb_alloc(void *ud, size_t n)
{
    return emu_arena_alloc(ud, n ? n : 1);
}

static void pb_free(void *ud, void *p)
{
    (void)ud;
    (void)p; /* arena memory */
}

static void wire_date(char out[32])
{
    int64_t us = emu_clock_real_us();
    char iso[21];
    emu_time_iso(us / 1000, iso);
    /* "2026-11-28T03:19:28Z" → "2026-11-28T03:19:28.123Z" */
    snprintf(out, 32, "%.19s.%03dZ", iso, (int)((us / 1000) % 1000));
}

/* The text a failed write ends the task with (§7.3, the documented one). */
static emu_rc write_failed(emu_err *err, emu_rc rc, const char *rid, const char *code,
                           const char *msg)
{
    return emu_err_set(err, rc, NULL,
                       "ODPS-0010000:System internal error - Output to TableStore failed with "
                       "exception:TableStore BatchWrite request id %s failed with error code %s "
                       "and message:%s",
                       rid ? rid : "?", code ? code : "?", msg ? msg : "");
}

/* One Tablestore operation. On success *resp is the unpacked answer (in
 * the arena); on an error answer err->msg is the §7 text. */
static emu_rc ots_call(rctx *c, const char *op, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *resp_desc, void **resp, emu_err *err)
{
    size_t blen = protobuf_c_message_get_packed_size(req);
    uint8_t *body = emu_arena_alloc(c->a, blen + 1);
    protobuf_c_message_pack(req, body);
    char date[32], md5[25], sig[SIG_B64_SHA1_LEN + 1];
    wire_date(date);
    sig_ots_content_md5(body, blen, md5);
    emu_http_header h[10];
    size_t n = 0;
    h[n++] = (emu_http_header){EMU_STR_LIT("host"), emu_str_c(c->t->host)};
    h[n++] = (emu_http_header){EMU_STR_LIT("x-ots-date"), emu_str_c(emu_arena_strdup(c->a, date))};
    h[n++] = (emu_http_header){EMU_STR_LIT("x-ots-apiversion"), EMU_STR_LIT(EMU_OTS_API_VERSION)};
    h[n++] = (emu_http_header){EMU_STR_LIT("x-ots-accesskeyid"), emu_str_c(c->cr.ak)};
    h[n++] = (emu_http_header){EMU_STR_LIT("x-ots-instancename"), emu_str_c(c->t->instance)};
    h[n++] =
        (emu_http_header){EMU_STR_LIT("x-ots-contentmd5"), emu_str_c(emu_arena_strdup(c->a, md5))};
    if (c->cr.token)
        h[n++] = (emu_http_header){EMU_STR_LIT("x-ots-ststoken"), emu_str_c(c->cr.token)};
    emu_str sts;
    emu_err e = {0};
    if (sig_ots_string_to_sign(c->a, emu_str_c(op), h, n, &sts, &e))
        return emu_err_set(err, EMU_E_INTERNAL, NULL,
                           "ODPS-0010000:System internal error - signing %s: %s", op, e.msg);
    sig_ots_sign(emu_str_c(c->cr.secret), sts, sig);
    h[n++] =
        (emu_http_header){EMU_STR_LIT("x-ots-signature"), emu_str_c(emu_arena_strdup(c->a, sig))};

    inner_resp r;
    inner_dispatch(c->s, c->a, "POST", emu_arena_sprintf(c->a, "/%s", op), h, n, body, blen, &r);
    if (r.status == 200) {
        *resp = protobuf_c_message_unpack(resp_desc, &c->alloc, r.len, r.body);
        if (*resp)
            return EMU_OK;
        return emu_err_set(err, EMU_E_INTERNAL, NULL,
                           "ODPS-0010000:System internal error - TableStore %s answered a body "
                           "that is not a %s",
                           op, resp_desc->name);
    }
    Ots__Error *oe = ots__error__unpack(&c->alloc, r.len, r.body);
    const char *code = oe && oe->code ? oe->code : "?";
    emu_rc rc = strcmp(code, "OTSNoPermissionAccess") == 0 ? EMU_E_DENIED
                : strcmp(code, "OTSObjectNotExist") == 0   ? EMU_E_NOT_FOUND
                : r.status == 403                          ? EMU_E_AUTH
                                                           : EMU_E_INVALID;
    if (c->writing)
        return write_failed(err, rc, r.request_id, code, oe ? oe->message : NULL);
    return emu_err_set(err, rc, NULL,
                       "ODPS-0010000:System internal error - TableStore %s on %s of instance %s "
                       "failed: ErrorCode: %s, Message: %s, RequestId: %s",
                       op, c->t->ots_table, c->t->instance, code,
                       oe && oe->message ? oe->message : "", r.request_id ? r.request_id : "?");
}

/* ---- mapping check --------------------------------------------------------------------- */

static bool pk_type_ok(odps_type t, Ots__PrimaryKeyType k)
{
    return (t == ODPS_T_BIGINT && k == OTS__PRIMARY_KEY_TYPE__INTEGER) ||
           (t == ODPS_T_STRING && k == OTS__PRIMARY_KEY_TYPE__STRING) ||
           (t == ODPS_T_BINARY && k == OTS__PRIMARY_KEY_TYPE__BINARY);
}

static const char *pk_type_name(Ots__PrimaryKeyType k)
{
    return k == OTS__PRIMARY_KEY_TYPE__INTEGER  ? "INTEGER"
           : k == OTS__PRIMARY_KEY_TYPE__STRING ? "STRING"
                                                : "BINARY";
}

static emu_rc check_mapping(const odps_table_def *t, const Ots__TableMeta *m, emu_err *err)
{
#define MAPPING_ERR(...)                                                                           \
    emu_err_set(err, EMU_E_INVALID, NULL,                                                          \
                "ODPS-0130071:[0,0] Semantic analysis exception - " __VA_ARGS__)
    for (size_t i = 0; i < m->n_primary_key; i++) {
        const Ots__PrimaryKeySchema *pk = m->primary_key[i];
        size_t j = 0;
        while (j < t->n_cols && strcmp(t->ots_cols[j], pk->name) != 0)
            j++;
        if (j == t->n_cols || !t->ots_pk[j])
            return MAPPING_ERR("primary-key column '%s' of Tablestore table '%s' must be mapped "
                               "as ':%s' in tablestore.columns.mapping of %s",
                               pk->name, t->ots_table, pk->name, t->name);
        if (!pk_type_ok(t->cols[j].type, pk->type))
            return MAPPING_ERR("column %s is %s but Tablestore primary-key column '%s' is %s",
                               t->cols[j].name, odps_type_name(t->cols[j].type), pk->name,
                               pk_type_name(pk->type));
    }
    for (size_t j = 0; j < t->n_cols; j++) {
        if (!t->ots_pk[j])
            continue;
        bool found = false;
        for (size_t i = 0; i < m->n_primary_key && !found; i++)
            found = strcmp(m->primary_key[i]->name, t->ots_cols[j]) == 0;
        if (!found)
            return MAPPING_ERR("':%s' in tablestore.columns.mapping of %s is not a primary-key "
                               "column of Tablestore table '%s'",
                               t->ots_cols[j], t->name, t->ots_table);
    }
    return EMU_OK;
#undef MAPPING_ERR
}

/* ---- rows -------------------------------------------------------------------------------- */

static const odps_pcell *find_cell(const odps_pcell *cells, size_t n, const char *name,
                                   size_t name_len)
{
    for (size_t i = 0; i < n; i++)
        if (cells[i].name_len == name_len && memcmp(cells[i].name, name, name_len) == 0)
            return &cells[i];
    return NULL;
}

static const char *vtype_name(uint8_t v)
{
    switch (v) {
    case 0:
        return "INTEGER";
    case 1:
        return "DOUBLE";
    case 2:
        return "BOOLEAN";
    case 3:
        return "STRING";
    case 7:
        return "BINARY";
    default:
        return "unknown";
    }
}

/* Converts one Tablestore value to the declared type (§5.4): exact types,
 * plus the widening INTEGER→DOUBLE and DOUBLE→BIGINT casts the open Hive
 * sibling allows. false = mismatch. */
static bool convert(const odps_pcell *c, odps_type t, odps_value *v)
{
    memset(v, 0, sizeof *v);
    switch (t) {
    case ODPS_T_BIGINT:
        if (c->vtype == 0) {
            v->i = c->i;
        } else if (c->vtype == 1 && c->d >= -9.2e18 && c->d <= 9.2e18) {
            v->i = (int64_t)c->d;
        } else {
            return false;
        }
        break;
    case ODPS_T_DOUBLE:
        if (c->vtype == 1)
            v->d = c->d;
        else if (c->vtype == 0)
            v->d = (double)c->i;
        else
            return false;
        break;
    case ODPS_T_STRING:
    case ODPS_T_BINARY:
        if (c->vtype != 3 && c->vtype != 7)
            return false;
        if (t == ODPS_T_STRING && c->vtype != 3)
            return false;
        v->s = c->s;
        v->len = c->len;
        break;
    case ODPS_T_BOOLEAN:
        if (c->vtype != 2)
            return false;
        v->b = c->b;
        break;
    default:
        return false;
    }
    v->type = t;
    return true;
}

typedef struct rowbuf {
    odps_value *v;
    size_t n, cap, n_cols;
} rowbuf;

static emu_rc add_rows(rctx *c, const odps_prow *rows, size_t n, rowbuf *rb, emu_err *err)
{
    const odps_table_def *t = c->t;
    if (rb->n + n > ODPS_MAX_READ_ROWS)
        return emu_err_set(err, EMU_E_LIMIT, NULL,
                           "ODPS-0010000:System internal error - acsemu reads at most %d rows per "
                           "query from Tablestore",
                           ODPS_MAX_READ_ROWS);
    if (rb->n + n > rb->cap) {
        size_t cap = rb->cap ? rb->cap : 1024;
        while (cap < rb->n + n)
            cap *= 2;
        odps_value *g = emu_arena_alloc(c->a, cap * t->n_cols * sizeof *g);
        if (rb->n)
            memcpy(g, rb->v, rb->n * t->n_cols * sizeof *g);
        rb->v = g;
        rb->cap = cap;
    }
    for (size_t r = 0; r < n; r++) {
        odps_value *out = &rb->v[(rb->n + r) * t->n_cols];
        for (size_t j = 0; j < t->n_cols; j++) {
            const char *nm = t->ots_cols[j];
            size_t nl = strlen(nm);
            const odps_pcell *cell = t->ots_pk[j]
                                         ? find_cell(rows[r].pk, rows[r].n_pk, nm, nl)
                                         : find_cell(rows[r].attrs, rows[r].n_attrs, nm, nl);
            memset(&out[j], 0, sizeof out[j]);
            if (!cell || cell->vtype == 0xFF)
                continue; /* missing attribute → NULL (§5.4) */
            if (!convert(cell, t->cols[j].type, &out[j])) {
                if (t->permissive) {
                    memset(&out[j], 0, sizeof out[j]);
                    continue;
                }
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "ODPS-0010000:System internal error - Tablestore column '%s' "
                                   "holds a %s value that cannot be read as %s column %s "
                                   "(tablestore.read.mode is strict)",
                                   nm, vtype_name(cell->vtype), odps_type_name(t->cols[j].type),
                                   t->cols[j].name);
            }
        }
    }
    rb->n += n;
    return EMU_OK;
}

/* Bound of the scan: the split point's leading cells, the rest padded
 * with `fill` (INF_MIN for a split start, as the SDKs pad split points). */
static ProtobufCBinaryData bound(rctx *c, const Ots__TableMeta *m, const odps_prow *point,
                                 uint8_t fill)
{
    odps_pcell cells[EMU_MAX_OTS_PK_COLUMNS];
    size_t n =
        m->n_primary_key < EMU_MAX_OTS_PK_COLUMNS ? m->n_primary_key : EMU_MAX_OTS_PK_COLUMNS;
    for (size_t i = 0; i < n; i++) {
        if (point && i < point->n_pk) {
            cells[i] = point->pk[i];
        } else {
            memset(&cells[i], 0, sizeof cells[i]);
            cells[i].vtype = fill;
        }
        cells[i].name = m->primary_key[i]->name;
        cells[i].name_len = strlen(m->primary_key[i]->name);
    }
    ProtobufCBinaryData d;
    d.data = odps_pbuf_encode_pk(cells, n, c->a, &d.len);
    return d;
}

static emu_rc read_range(rctx *c, ProtobufCBinaryData start, ProtobufCBinaryData end, rowbuf *rb,
                         odps_timings *tm, emu_err *err)
{
    const odps_table_def *t = c->t;
    Ots__GetRangeRequest q;
    ots__get_range_request__init(&q);
    q.table_name = (char *)(uintptr_t)t->ots_table;
    q.direction = OTS__DIRECTION__FORWARD;
    q.has_max_versions = 1;
    q.max_versions = 1;
    q.n_columns_to_get = t->n_cols;
    q.columns_to_get = (char **)(uintptr_t)t->ots_cols;
    q.exclusive_end_primary_key = end;
    for (;;) {
        uint64_t t0 = emu_clock_mono_us();
        q.inclusive_start_primary_key = start;
        Ots__GetRangeResponse *r = NULL;
        emu_rc rc = ots_call(c, "GetRange", &q.base, &ots__get_range_response__descriptor,
                             (void **)&r, err);
        odps_prow *rows = NULL;
        size_t n = 0;
        if (rc == EMU_OK &&
            (rc = odps_pbuf_decode_rows(r->rows.data, r->rows.len, c->a, &rows, &n, err)))
            emu_err_prefix(err, "ODPS-0010000:System internal error - GetRange rows: ");
        if (rc == EMU_OK)
            rc = add_rows(c, rows, n, rb, err);
        tm->range_us += emu_clock_mono_us() - t0;
        tm->range_calls++;
        if (rc)
            return rc;
        if (!r->has_next_start_primary_key || !r->next_start_primary_key.len)
            return EMU_OK;
        start = r->next_start_primary_key;
    }
}

/* Credentials for the table (LOCATION AK:SK@, else AssumeRole of its role
 * or the owner's default role), then DescribeTable and the mapping check:
 * the first steps of both paths. */
static emu_rc open_table(rctx *c, const world_account *owner, const char *session_tag,
                         const Ots__TableMeta **meta_out, odps_timings *tm, emu_err *err)
{
    emu_server *s = c->s;
    emu_arena *a = c->a;
    const odps_table_def *t = c->t;
    emu_rc rc;
    if (strcmp(t->region, world_region(s->world)) != 0)
        /* Not a host of this (single-region) emulator: what an unreachable
         * endpoint looks like (§7.3). */
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "ODPS-0010000:System internal error - std::exception:Message: a "
                           "timeout was reached (acsemu: %s is in region %s, the emulator "
                           "serves %s)",
                           t->host, t->region, world_region(s->world));
    uint64_t t0 = emu_clock_mono_us();
    if (t->ak_id) {
        c->cr = (creds){t->ak_id, t->ak_secret, NULL};
    } else {
        const char *arn =
            t->role_arn ? t->role_arn
                        : emu_arena_sprintf(a, "acs:ram::%s:role/aliyunodpsdefaultrole", owner->id);
        rc = assume_role(s, owner, arn, session_tag, a, &c->cr, err);
        tm->assume_us += emu_clock_mono_us() - t0;
        if (rc)
            return rc;
    }

    t0 = emu_clock_mono_us();
    Ots__DescribeTableRequest dq;
    ots__describe_table_request__init(&dq);
    dq.table_name = (char *)(uintptr_t)t->ots_table;
    Ots__DescribeTableResponse *dr = NULL;
    if ((rc = ots_call(c, "DescribeTable", &dq.base, &ots__describe_table_response__descriptor,
                       (void **)&dr, err)))
        return rc;
    const Ots__TableMeta *meta = dr->table_meta;
    if (!meta || !meta->n_primary_key)
        return emu_err_set(err, EMU_E_INTERNAL, NULL,
                           "ODPS-0010000:System internal error - DescribeTable gave no schema");
    if ((rc = check_mapping(t, meta, err)))
        return rc;
    *meta_out = meta;
    tm->meta_us += emu_clock_mono_us() - t0;
    return EMU_OK;
}

emu_rc odps_read_table(emu_server *s, const world_account *owner, const odps_table_def *t,
                       const char *session_tag, emu_arena *a, odps_rowset *out, odps_timings *tm,
                       emu_err *err)
{
    rctx c = {.s = s, .a = a, .t = t, .alloc = {pb_alloc, pb_free, a}};
    emu_rc rc;
    memset(out, 0, sizeof *out);
    out->n_cols = t->n_cols;

    const Ots__TableMeta *meta;
    if ((rc = open_table(&c, owner, session_tag, &meta, tm, err)))
        return rc;
    uint64_t t0 = emu_clock_mono_us();
    Ots__ComputeSplitPointsBySizeRequest sq;
    ots__compute_split_points_by_size_request__init(&sq);
    sq.table_name = (char *)(uintptr_t)t->ots_table;
    sq.split_size = 1; /* × 100 MB, the unit of the API */
    Ots__ComputeSplitPointsBySizeResponse *sr = NULL;
    if ((rc = ots_call(&c, "ComputeSplitPointsBySize", &sq.base,
                       &ots__compute_split_points_by_size_response__descriptor, (void **)&sr, err)))
        return rc;
    tm->meta_us += emu_clock_mono_us() - t0;

    rowbuf rb = {.n_cols = t->n_cols};
    ProtobufCBinaryData lo = bound(&c, meta, NULL, 9);
    for (size_t i = 0; i <= sr->n_split_points; i++) {
        ProtobufCBinaryData hi;
        if (i < sr->n_split_points) {
            odps_prow *pt;
            size_t np;
            if ((rc = odps_pbuf_decode_rows(sr->split_points[i].data, sr->split_points[i].len, a,
                                            &pt, &np, err)))
                return rc;
            if (np != 1 || !pt->n_pk)
                return emu_err_set(err, EMU_E_INTERNAL, NULL,
                                   "ODPS-0010000:System internal error - split point %zu is not "
                                   "one primary key",
                                   i);
            hi = bound(&c, meta, pt, 9);
        } else {
            hi = bound(&c, meta, NULL, 10);
        }
        if ((rc = read_range(&c, lo, hi, &rb, tm, err)))
            return rc;
        lo = hi;
    }
    out->v = rb.v;
    out->n_rows = rb.n;
    tm->rows_read = rb.n;
    return EMU_OK;
}

/* ---- the write path (§5.5) ------------------------------------------------------------ */

static odps_pcell value_cell(const char *name, const odps_value *v)
{
    odps_pcell c = {.name = name, .name_len = strlen(name)};
    switch (v->type) {
    case ODPS_T_NULL:
        c.op = ODPS_PCELL_DELETE_ALL; /* [I] as the Hive sibling does (§5.5) */
        break;
    case ODPS_T_BIGINT:
    case ODPS_T_DATETIME: /* not a column type: INSERT's checks keep it out */
        c.vtype = 0;
        c.i = v->i;
        break;
    case ODPS_T_DOUBLE:
        c.vtype = 1;
        c.d = v->d;
        break;
    case ODPS_T_BOOLEAN:
        c.vtype = 2;
        c.b = v->b;
        break;
    case ODPS_T_STRING:
    case ODPS_T_BINARY:
        c.vtype = v->type == ODPS_T_STRING ? 3 : 7;
        c.s = v->s;
        c.len = v->len;
        break;
    }
    return c;
}

/* Sends one BatchWriteRow of UpdateRow changes; a row that fails fails
 * the task with its error. */
static emu_rc write_batch(rctx *c, Ots__RowInBatchWriteRowRequest **rows, size_t n,
                          odps_timings *tm, emu_err *err)
{
    Ots__TableInBatchWriteRowRequest tq;
    ots__table_in_batch_write_row_request__init(&tq);
    tq.table_name = (char *)(uintptr_t)c->t->ots_table;
    tq.rows = rows;
    tq.n_rows = n;
    Ots__TableInBatchWriteRowRequest *tables[1] = {&tq};
    Ots__BatchWriteRowRequest q;
    ots__batch_write_row_request__init(&q);
    q.tables = tables;
    q.n_tables = 1;
    Ots__BatchWriteRowResponse *r = NULL;
    uint64_t t0 = emu_clock_mono_us();
    emu_rc rc = ots_call(c, "BatchWriteRow", &q.base, &ots__batch_write_row_response__descriptor,
                         (void **)&r, err);
    tm->range_us += emu_clock_mono_us() - t0;
    tm->range_calls++;
    if (rc)
        return rc;
    for (size_t i = 0; i < r->n_tables; i++)
        for (size_t j = 0; j < r->tables[i]->n_rows; j++) {
            const Ots__RowInBatchWriteRowResponse *row = r->tables[i]->rows[j];
            if (row->is_ok)
                continue;
            const Ots__Error *e = row->error;
            return write_failed(err, EMU_E_INVALID, "(row of a BatchWriteRow)",
                                e && e->code ? e->code : "?", e ? e->message : NULL);
        }
    return EMU_OK;
}

emu_rc odps_write_table(emu_server *s, const world_account *owner, const odps_table_def *t,
                        const char *session_tag, emu_arena *a, const odps_value *rows,
                        size_t n_rows, odps_timings *tm, emu_err *err)
{
    rctx c = {.s = s, .a = a, .t = t, .alloc = {pb_alloc, pb_free, a}};
    emu_rc rc;
    const Ots__TableMeta *meta;
    if ((rc = open_table(&c, owner, session_tag, &meta, tm, err)))
        return rc;
    c.writing = true;

    /* The table's primary key in its own order, as columns of `rows`. */
    size_t n_pk = meta->n_primary_key;
    size_t *pk_col = emu_arena_alloc(a, n_pk * sizeof *pk_col);
    for (size_t i = 0; i < n_pk; i++)
        for (size_t j = 0; j < t->n_cols; j++)
            if (t->ots_pk[j] && strcmp(t->ots_cols[j], meta->primary_key[i]->name) == 0)
                pk_col[i] = j; /* check_mapping made sure there is one */
    size_t n_attr = t->n_cols - n_pk;

    Ots__Condition ignore;
    ots__condition__init(&ignore);
    ignore.row_existence = OTS__ROW_EXISTENCE_EXPECTATION__IGNORE;
    Ots__RowInBatchWriteRowRequest **batch =
        emu_arena_alloc(a, ODPS_WRITE_BATCH_ROWS * sizeof *batch);
    size_t n = 0, bytes = 0;
    odps_pcell *pk = emu_arena_alloc(a, (n_pk + 1) * sizeof *pk);
    odps_pcell *attrs = emu_arena_alloc(a, (n_attr + 1) * sizeof *attrs);
    for (size_t r = 0; r < n_rows; r++) {
        const odps_value *row = &rows[r * t->n_cols];
        for (size_t i = 0; i < n_pk; i++)
            pk[i] = value_cell(t->ots_cols[pk_col[i]], &row[pk_col[i]]);
        size_t k = 0;
        for (size_t j = 0; j < t->n_cols; j++)
            if (!t->ots_pk[j])
                attrs[k++] = value_cell(t->ots_cols[j], &row[j]);
        Ots__RowInBatchWriteRowRequest *rq = emu_arena_alloc(a, sizeof *rq);
        ots__row_in_batch_write_row_request__init(rq);
        rq->type = OTS__OPERATION_TYPE__UPDATE;
        rq->condition = &ignore;
        rq->row_change.data = odps_pbuf_encode_row(pk, n_pk, attrs, k, a, &rq->row_change.len);
        if (n &&
            (n == ODPS_WRITE_BATCH_ROWS || bytes + rq->row_change.len > ODPS_WRITE_BATCH_BYTES)) {
            if ((rc = write_batch(&c, batch, n, tm, err)))
                return rc;
            n = bytes = 0;
        }
        batch[n++] = rq;
        bytes += rq->row_change.len;
    }
    if (n && (rc = write_batch(&c, batch, n, tm, err)))
        return rc;
    tm->rows_read = n_rows;
    return EMU_OK;
}
