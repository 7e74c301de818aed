/* Search index calls: CreateSearchIndex, DescribeSearchIndex,
 * ListSearchIndex, UpdateSearchIndex, DeleteSearchIndex and Search
 * (ots_search_int.h).
 *
 * A query is evaluated bottom-up into a set of documents: an array of row
 * keys in key order (the primary-key order Search returns by default),
 * each with a score. Leaves are walks of the index's postings between two
 * seek keys (Term, Terms, Range, Prefix, Wildcard with a literal prefix,
 * Exists, Match tokens); Bool merges sorted sets. Only Geo queries and
 * must_not without positive clauses look at every posting of a field or
 * every document. Keys point into the postings' own blobs, which no write
 * can change during the call.
 *
 * Texts marked [inferred] follow the service's style where no SDK test
 * pins them down. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_search_q.h"

#define NOT_EXIST "OTSObjectNotExist"

emu_rc sq_bad(emu_err *err, const char *fmt, ...)
{
    va_list ap;
    char m[EMU_ERR_MSG_MAX];
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid", "%s", m);
}

emu_rc sq_unsupported(emu_err *err, const char *what)
{
    return ots_fail(err, EMU_E_UNSUPPORTED, "OTSParameterInvalid", "%s is not supported by acsemu.",
                    what);
}

static emu_rc find_index(emu_call *call, const char *table, const char *name, ots_table_t **t,
                         ots_search_def **d)
{
    ots_req *r = ots_req_of(call);
    emu_rc rc = ots_find_table(call, table ? table : "", t, &call->err);
    if (rc)
        return rc;
    *d = name ? ots_search_find(r->instance, table, name) : NULL;
    if (!*d) /* [inferred] text */
        return ots_fail(&call->err, EMU_E_NOT_FOUND, NOT_EXIST, "Index [%s] does not exist.",
                        name ? name : "");
    return EMU_OK;
}

#define RESPOND(call, type, lower)                                                                 \
    do {                                                                                           \
        Ots__##type *resp_ = emu_arena_alloc((call)->arena, sizeof *resp_);                        \
        ots__##lower##__init(resp_);                                                               \
        ots_req_of(call)->resp = &resp_->base;                                                     \
    } while (0)

/* ---- Management ----------------------------------------------------------------- */

emu_rc ots_create_search_index(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__CreateSearchIndexRequest *m = r->msg;
    ots_table_t *t;
    emu_rc rc = ots_find_table(call, m->table_name, &t, &call->err);
    if (rc)
        return rc;
    const Ots__IndexSchema *schema = m->schema;
    if (m->source_index_name) { /* a reindex: the source's schema unless given */
        ots_search_def *src = ots_search_find(r->instance, m->table_name, m->source_index_name);
        if (!src)
            return ots_fail(&call->err, EMU_E_NOT_FOUND, NOT_EXIST, "Index [%s] does not exist.",
                            m->source_index_name);
        if (!schema)
            schema = ots__index_schema__unpack(NULL, src->schema_len, src->schema);
    }
    int32_t ttl = m->has_time_to_live ? m->time_to_live : -1;
    rc = ots_search_create(r->instance, t, m->index_name, schema, ttl, &call->err);
    if (schema && schema != m->schema)
        ots__index_schema__free_unpacked((Ots__IndexSchema *)schema, NULL);
    if (rc)
        return rc;
    RESPOND(call, CreateSearchIndexResponse, create_search_index_response);
    return EMU_OK;
}

emu_rc ots_delete_search_index(emu_call *call)
{
    const Ots__DeleteSearchIndexRequest *m = ots_req_of(call)->msg;
    ots_table_t *t;
    ots_search_def *d;
    emu_rc rc = find_index(call, m->table_name, m->index_name, &t, &d);
    if (rc)
        return rc;
    ots_search_drop(ots_req_of(call)->instance, d);
    RESPOND(call, DeleteSearchIndexResponse, delete_search_index_response);
    return EMU_OK;
}

emu_rc ots_update_search_index(emu_call *call)
{
    const Ots__UpdateSearchIndexRequest *m = ots_req_of(call)->msg;
    ots_table_t *t;
    ots_search_def *d;
    emu_rc rc = find_index(call, m->table_name, m->index_name, &t, &d);
    if (rc)
        return rc;
    if (m->has_time_to_live) {
        if (m->time_to_live != -1 && m->time_to_live < 86400)
            return sq_bad(&call->err, "time_to_live must be -1 or at least 86400 seconds.");
        d->ttl_s = m->time_to_live;
    }
    RESPOND(call, UpdateSearchIndexResponse, update_search_index_response);
    return EMU_OK;
}

emu_rc ots_list_search_index(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__ListSearchIndexRequest *m = r->msg;
    if (m->table_name) {
        ots_table_t *t;
        emu_rc rc = ots_find_table(call, m->table_name, &t, &call->err);
        if (rc)
            return rc;
    }
    size_t n = ots_search_list(r->instance, m->table_name, NULL, 0);
    ots_search_def **defs = emu_arena_alloc(call->arena, (n + 1) * sizeof *defs);
    ots_search_list(r->instance, m->table_name, defs, n);
    Ots__ListSearchIndexResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__list_search_index_response__init(resp);
    resp->indices = emu_arena_alloc(call->arena, (n + 1) * sizeof *resp->indices);
    for (size_t i = 0; i < n; i++) {
        Ots__IndexInfo *ii = emu_arena_alloc(call->arena, sizeof *ii);
        ots__index_info__init(ii);
        ii->table_name = defs[i]->table;
        ii->index_name = defs[i]->name;
        resp->indices[i] = ii;
    }
    resp->n_indices = n;
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_describe_search_index(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__DescribeSearchIndexRequest *m = r->msg;
    ots_table_t *t;
    ots_search_def *d;
    emu_rc rc = find_index(call, m->table_name, m->index_name, &t, &d);
    if (rc)
        return rc;
    emu_arena *a = call->arena;
    Ots__DescribeSearchIndexResponse *resp = emu_arena_alloc(a, sizeof *resp);
    ots__describe_search_index_response__init(resp);
    /* The schema as created: unpacked into the arena's lifetime by copying
     * the bytes there and letting protobuf-c allocate from it. */
    resp->schema =
        ots_pb_unpack(&ots__index_schema__descriptor, d->schema, d->schema_len, a, &call->err);
    if (!resp->schema)
        return EMU_E_INTERNAL;
    /* The service names the default order: without an IndexSort it answers
     * PrimaryKeySort ascending, or no sorter on an index with Nested fields
     * (the Python SDK's own search_index_test). */
    if (!resp->schema->index_sort) {
        Ots__Sort *so = emu_arena_alloc(a, sizeof *so);
        ots__sort__init(so);
        if (!ots_search_has_nested(d)) {
            Ots__Sorter *st = emu_arena_alloc(a, sizeof *st);
            Ots__PrimaryKeySort *pks = emu_arena_alloc(a, sizeof *pks);
            ots__sorter__init(st);
            ots__primary_key_sort__init(pks);
            pks->has_order = true;
            pks->order = OTS__SORT_ORDER__SORT_ORDER_ASC;
            st->pk_sort = pks;
            so->sorter = emu_arena_alloc(a, sizeof *so->sorter);
            so->sorter[0] = st;
            so->n_sorter = 1;
        }
        resp->schema->index_sort = so;
    }
    Ots__SyncStat *ss = emu_arena_alloc(a, sizeof *ss);
    ots__sync_stat__init(ss);
    ss->has_sync_phase = ss->has_current_sync_timestamp = true;
    ss->sync_phase = OTS__SYNC_PHASE__SP_INCR;                 /* in step with every write */
    ss->current_sync_timestamp = emu_clock_now_ms() * 1000000; /* ns, as the service */
    resp->sync_stat = ss;
    Ots__MeteringInfo *mi = emu_arena_alloc(a, sizeof *mi);
    ots__metering_info__init(mi);
    mi->has_storage_size = mi->has_row_count = mi->has_reserved_read_cu = mi->has_timestamp = true;
    mi->storage_size = (int64_t)ots_keyset_bytes(d->post);
    mi->row_count = (int64_t)ots_table_row_count(t);
    mi->timestamp = emu_clock_now_ms() / 1000;
    resp->metering_info = mi;
    resp->has_create_time = resp->has_time_to_live = true;
    resp->create_time = d->created_ms * 1000; /* us */
    resp->time_to_live = d->ttl_s;
    Ots__IndexStatus *st = emu_arena_alloc(a, sizeof *st);
    ots__index_status__init(st);
    st->has_status = true;
    st->status = OTS__INDEX_STATUS_ENUM__IS_RUNNING;
    resp->index_status = st;
    r->resp = &resp->base;
    return EMU_OK;
}

/* ---- Document sets ------------------------------------------------------------------ */

static void dpush(qctx *q, dset *s, const uint8_t *k, size_t len, float score)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        sdoc *nd = emu_xrealloc(s->d, nc * sizeof *nd);
        s->d = nd;
        s->cap = nc;
    }
    s->d[s->n++] = (sdoc){k, (uint32_t)len, score};
    (void)q;
}

void sq_dfree(dset *s)
{
    free(s->d);
    *s = (dset){0};
}

int sq_kcmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al < bl ? -1 : al > bl);
}

int sq_doc_cmp(const void *x, const void *y)
{
    const sdoc *a = x, *b = y;
    return sq_kcmp(a->k, a->len, b->k, b->len);
}

/* Sorts by key and merges duplicates (scores add up). */
static void dnorm(dset *s)
{
    if (s->n < 2)
        return;
    qsort(s->d, s->n, sizeof *s->d, sq_doc_cmp);
    size_t o = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (o && !sq_doc_cmp(&s->d[o - 1], &s->d[i]))
            s->d[o - 1].score += s->d[i].score;
        else
            s->d[o++] = s->d[i];
    }
    s->n = o;
}

static void dand(dset *a, dset *b)
{
    size_t i = 0, j = 0, o = 0;
    while (i < a->n && j < b->n) {
        int c = sq_doc_cmp(&a->d[i], &b->d[j]);
        if (c < 0)
            i++;
        else if (c > 0)
            j++;
        else {
            a->d[o] = a->d[i++];
            a->d[o++].score += b->d[j++].score;
        }
    }
    a->n = o;
    sq_dfree(b);
}

static void dminus(dset *a, dset *b)
{
    size_t i = 0, j = 0, o = 0;
    while (i < a->n) {
        int c = j < b->n ? sq_doc_cmp(&a->d[i], &b->d[j]) : -1;
        if (c < 0)
            a->d[o++] = a->d[i++];
        else if (c > 0)
            j++;
        else
            i++;
    }
    a->n = o;
    sq_dfree(b);
}

/* ---- Walking postings ------------------------------------------------------------- */

/* Calls each on every posting of field f whose encoded value starts at or
 * after lo and is below hi (hi NULL: the end of the field), with the value
 * and the document key. */
emu_rc sq_walk(qctx *q, const ots_sfield *f, const uint8_t *lo, size_t lol, const uint8_t *hi,
               size_t hil, each_fn fn, void *ud)
{
    uint16_t id = f ? f->id : 0;
    uint8_t start[2 + 2 * EMU_MAX_OTS_SEARCH_TERM_BYTES + 32];
    if (lol > sizeof start - 2)
        lol = sizeof start - 2;
    start[0] = (uint8_t)(id >> 8);
    start[1] = (uint8_t)id;
    if (lol) /* (lo is NULL for a whole field) */
        memcpy(start + 2, lo, lol);
    ots_store_cursor c;
    ots_keyset_seek(q->def->post, start, 2 + lol, &c);
    size_t kl;
    for (const uint8_t *k; (k = ots_keyset_key(&c, &kl)); ots_keyset_next(&c)) {
        if (kl < 2 || k[0] != (uint8_t)(id >> 8) || k[1] != (uint8_t)id)
            break;
        if (hi && sq_kcmp(k + 2, kl - 2, hi, hil) >= 0)
            break;
        if (++q->work > EMU_MAX_OTS_SEARCH_SCAN)
            return ots_fail(q->err, EMU_E_LIMIT, "OTSParameterInvalid",
                            "The query visits more than %d index entries; narrow it.",
                            EMU_MAX_OTS_SEARCH_SCAN); /* emulator cap */
        size_t vl = f ? ots_search_value_len(f->type, k + 2, kl - 2) : 0;
        if (f && !vl)
            continue;
        if (!fn(ud, k + 2, vl, k + 2 + vl, kl - 2 - vl))
            break;
    }
    return EMU_OK;
}

typedef struct collect {
    qctx *q;
    dset *out;
    float score;
    /* optional value filter */
    bool (*keep)(void *ud, const uint8_t *v, size_t vl);
    void *keep_ud;
} collect;

static bool collect_one(void *ud, const uint8_t *v, size_t vl, const uint8_t *doc, size_t dl)
{
    collect *c = ud;
    if (c->keep && !c->keep(c->keep_ud, v, vl))
        return true;
    dpush(c->q, c->out, doc, dl, c->score);
    return true;
}

/* Every posting whose value is exactly the encoded value v. */
static emu_rc term_docs(qctx *q, const ots_sfield *f, const uint8_t *v, size_t vl, float score,
                        dset *out)
{
    uint8_t hi[2 * EMU_MAX_OTS_SEARCH_TERM_BYTES + 32];
    if (vl + 1 > sizeof hi)
        return EMU_OK;
    memcpy(hi, v, vl);
    /* The first key past every "v + doc" key: v followed by 0xFF...: doc
     * keys never start with more than 8 bytes of 0xFF, so append 9. */
    memset(hi + vl, 0xFF, 9);
    collect c = {q, out, score, NULL, NULL};
    return sq_walk(q, f, v, vl, hi, vl + 9, collect_one, &c);
}

/* ---- Query values ------------------------------------------------------------------- */

/* The encoded form of a query variant for field f; 0 when the value cannot
 * be a value of f (the query then matches nothing). */
/* A query's STRING value as a number: the service reads "900" as 900 on a
 * Long or Double field (the Python SDK's own search_index_test). */
static bool str_number(const ots_value *v, bool integer, ots_value *out)
{
    char buf[64], *end;
    if (v->type != OTS_VT_STRING || !v->len || v->len >= sizeof buf)
        return false;
    memcpy(buf, v->p, v->len);
    buf[v->len] = '\0';
    errno = 0;
    if (integer) {
        long long i = strtoll(buf, &end, 10);
        *out = (ots_value){.type = OTS_VT_INTEGER, .i = i};
    } else {
        double d = strtod(buf, &end);
        *out = (ots_value){.type = OTS_VT_DOUBLE, .d = d};
    }
    return !*end && !errno && !isspace((unsigned char)buf[0]);
}

static size_t enc_query_value(qctx *q, const ots_sfield *f, const ots_value *v, uint8_t *out,
                              bool terminate)
{
    ots_value n;
    switch (f->type) {
    case OTS_SF_LONG:
        if (v->type == OTS_VT_INTEGER)
            return ots_search_enc_i64(v->i, out);
        if (v->type == OTS_VT_DOUBLE)
            return ots_search_enc_i64((int64_t)v->d, out);
        if (str_number(v, true, &n))
            return ots_search_enc_i64(n.i, out);
        return 0;
    case OTS_SF_DATE: {
        int64_t ms;
        if (v->type == OTS_VT_INTEGER)
            return ots_search_enc_i64(v->i, out);
        if (v->type == OTS_VT_STRING && ots_search_date_parse(f, (const char *)v->p, v->len, &ms))
            return ots_search_enc_i64(ms, out);
        return 0;
    }
    case OTS_SF_DOUBLE:
        if (v->type == OTS_VT_DOUBLE || v->type == OTS_VT_INTEGER)
            return ots_search_enc_f64(v->type == OTS_VT_DOUBLE ? v->d : (double)v->i, out);
        if (str_number(v, false, &n))
            return ots_search_enc_f64(n.d, out);
        return 0;
    case OTS_SF_BOOLEAN:
        if (v->type != OTS_VT_BOOLEAN)
            return 0;
        out[0] = v->b;
        return 1;
    case OTS_SF_KEYWORD:
    case OTS_SF_TEXT:
        if (v->type != OTS_VT_STRING || v->len > EMU_MAX_OTS_SEARCH_TERM_BYTES)
            return 0;
        return ots_search_enc_str(v->p, v->len, terminate, out);
    default:
        (void)q;
        return 0;
    }
}

emu_rc sq_field_of(qctx *q, const char *name, const ots_sfield **f)
{
    *f = name ? ots_search_field(q->def, name) : NULL;
    if (!*f) /* [inferred] text */
        return sq_bad(q->err, "field:%s is not found in index schema.", name ? name : "");
    return EMU_OK;
}

emu_rc sq_variant(qctx *q, ProtobufCBinaryData b, ots_value *v)
{
    emu_err e = {0};
    if (ots_plainbuffer_decode_variant(b.data, b.len, v, &e))
        return sq_bad(q->err, "Invalid query value: %s", e.msg);
    return EMU_OK;
}

/* ---- Leaves ------------------------------------------------------------------------------ */

static emu_rc all_docs(qctx *q, dset *out)
{
    collect c = {q, out, 1.0f, NULL, NULL};
    return sq_walk(q, NULL, NULL, 0, NULL, 0, collect_one, &c);
}

static emu_rc q_term(qctx *q, const char *field, const ProtobufCBinaryData *terms, size_t n,
                     dset *out)
{
    const ots_sfield *f;
    emu_rc rc = sq_field_of(q, field, &f);
    for (size_t i = 0; !rc && i < n; i++) {
        ots_value v;
        uint8_t enc[2 * EMU_MAX_OTS_SEARCH_TERM_BYTES + 16];
        if ((rc = sq_variant(q, terms[i], &v)))
            break;
        size_t el = enc_query_value(q, f, &v, enc, true);
        if (el)
            rc = term_docs(q, f, enc, el, 1.0f, out);
    }
    dnorm(out);
    return rc;
}

typedef struct range_hi {
    const uint8_t *v;
    size_t n;
    bool incl;
} range_hi;

static bool range_keep(void *ud, const uint8_t *v, size_t vl)
{
    const range_hi *h = ud;
    if (!h->v)
        return true;
    int c = sq_kcmp(v, vl, h->v, h->n);
    return c < 0 || (c == 0 && h->incl);
}

static emu_rc q_range(qctx *q, const Ots__RangeQuery *m, dset *out)
{
    const ots_sfield *f;
    emu_rc rc = sq_field_of(q, m->field_name, &f);
    if (rc)
        return rc;
    uint8_t lo[2 * EMU_MAX_OTS_SEARCH_TERM_BYTES + 16], hi[sizeof lo];
    size_t lol = 0, hil = 0;
    bool has_hi = false, empty = false;
    ots_value v;
    if (m->has_range_from && m->range_from.len) {
        if ((rc = sq_variant(q, m->range_from, &v)))
            return rc;
        if (v.type != OTS_VT_INF_MIN) {
            lol = enc_query_value(q, f, &v, lo, true);
            empty |= !lol;
        }
    }
    if (m->has_range_to && m->range_to.len) {
        if ((rc = sq_variant(q, m->range_to, &v)))
            return rc;
        if (v.type != OTS_VT_INF_MAX) {
            hil = enc_query_value(q, f, &v, hi, true);
            empty |= !hil;
            has_hi = true;
        }
    }
    if (empty)
        return EMU_OK;
    bool incl_lo = m->has_include_lower && m->include_lower;
    range_hi h = {has_hi ? hi : NULL, hil, m->has_include_upper && m->include_upper};
    collect c = {q, out, 1.0f, range_keep, &h};
    /* the upper bound of the walk: past every key with value <= hi */
    uint8_t stop[sizeof hi + 9];
    if (has_hi) {
        memcpy(stop, hi, hil);
        memset(stop + hil, 0xFF, 9);
    }
    const uint8_t *lo_v = lo;
    uint8_t after[sizeof lo + 9];
    if (lol && !incl_lo) { /* strictly above: start past every key of lo */
        memcpy(after, lo, lol);
        memset(after + lol, 0xFF, 9);
        lo_v = after;
        lol += 9;
    }
    rc = sq_walk(q, f, lo_v, lol, has_hi ? stop : NULL, hil + 9, collect_one, &c);
    dnorm(out);
    return rc;
}

typedef struct glob {
    const uint8_t *pat;
    size_t n;
    const ots_sfield *f;
    uint8_t *buf;
} glob;

static bool glob_match(const uint8_t *p, size_t pn, const uint8_t *s, size_t sn)
{
    size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
    while (si < sn) {
        if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) {
            pi++;
            si++;
        } else if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

static bool glob_keep(void *ud, const uint8_t *v, size_t vl)
{
    glob *g = ud;
    size_t n = ots_search_dec_str(v, vl, g->buf);
    return glob_match(g->pat, g->n, g->buf, n);
}

/* Prefix and Wildcard: a walk over the values starting with the literal
 * prefix (all the field's values for a pattern starting with * or ?). */
static emu_rc q_pattern(qctx *q, const char *field, const char *pat, bool prefix_only, dset *out)
{
    const ots_sfield *f;
    emu_rc rc = sq_field_of(q, field, &f);
    if (rc)
        return rc;
    if (f->type != OTS_SF_KEYWORD && f->type != OTS_SF_TEXT)
        return sq_bad(q->err, "field:%s must be a Keyword or Text field for this query.", f->name);
    size_t pl = pat ? strlen(pat) : 0;
    if (pl > EMU_MAX_OTS_SEARCH_TERM_BYTES)
        return sq_bad(q->err, "The query value is longer than %d bytes.",
                      EMU_MAX_OTS_SEARCH_TERM_BYTES);
    size_t lit = pl;
    if (!prefix_only)
        for (lit = 0; lit < pl && pat[lit] != '*' && pat[lit] != '?'; lit++)
            ;
    uint8_t lo[2 * EMU_MAX_OTS_SEARCH_TERM_BYTES + 16], hi[sizeof lo + 1];
    size_t lol = ots_search_enc_str((const uint8_t *)pat, lit, false, lo);
    /* past every value starting with the prefix: prefix + 0xFF (an escaped
     * string never holds 0xFF right after a non-zero byte... except a real
     * 0xFF byte, which UTF-8 never has) */
    memcpy(hi, lo, lol);
    hi[lol] = 0xFF;
    glob g = {(const uint8_t *)pat, pl, f,
              emu_arena_alloc(q->a, EMU_MAX_OTS_SEARCH_TERM_BYTES + 1)};
    collect c = {q, out, 1.0f, prefix_only ? NULL : glob_keep, &g};
    rc = sq_walk(q, f, lo, lol, hi, lol + 1, collect_one, &c);
    dnorm(out);
    return rc;
}

static emu_rc q_exists(qctx *q, const char *field, dset *out)
{
    const ots_sfield *f;
    emu_rc rc = sq_field_of(q, field, &f);
    if (rc)
        return rc;
    if (f->type == OTS_SF_NESTED) { /* any child present */
        size_t pl = strlen(f->name);
        for (size_t i = 0; !rc && i < q->def->n_f; i++) {
            const ots_sfield *c = &q->def->f[i];
            if (!strncmp(c->name, f->name, pl) && c->name[pl] == '.') {
                collect cc = {q, out, 1.0f, NULL, NULL};
                rc = sq_walk(q, c, NULL, 0, NULL, 0, collect_one, &cc);
            }
        }
    } else {
        collect c = {q, out, 1.0f, NULL, NULL};
        rc = sq_walk(q, f, NULL, 0, NULL, 0, collect_one, &c);
    }
    dnorm(out);
    return rc;
}

/* Match: each query token is a term; a document matches with at least
 * `need` distinct tokens (OR: minimum_should_match, default 1; AND: all).
 * Its score is the number of tokens it has. */
static emu_rc q_match(qctx *q, const Ots__MatchQuery *m, dset *out)
{
    const ots_sfield *f;
    emu_rc rc = sq_field_of(q, m->field_name, &f);
    if (rc)
        return rc;
    const char *text = m->text ? m->text : "";
    emu_str *tok = NULL;
    size_t nt;
    if (f->type == OTS_SF_TEXT) {
        nt = ots_search_tokens(f, text, strlen(text), q->a, &tok);
    } else {
        tok = emu_arena_alloc(q->a, sizeof *tok);
        tok[0] = (emu_str){text, strlen(text)};
        nt = 1;
    }
    /* distinct tokens */
    size_t nd = 0;
    for (size_t i = 0; i < nt; i++) {
        bool dup = false;
        for (size_t j = 0; j < nd && !dup; j++)
            dup = tok[j].len == tok[i].len && !memcmp(tok[j].p, tok[i].p, tok[i].len);
        if (!dup)
            tok[nd++] = tok[i];
    }
    dset all = {0};
    for (size_t i = 0; !rc && i < nd; i++) {
        ots_value v = {
            .type = OTS_VT_STRING, .len = (uint32_t)tok[i].len, .p = (const uint8_t *)tok[i].p};
        if (f->type == OTS_SF_LONG || f->type == OTS_SF_DOUBLE) {
            char *e;
            char *s = emu_arena_strndup(q->a, tok[i].p, tok[i].len);
            double d = strtod(s, &e);
            if (*e)
                continue;
            v = f->type == OTS_SF_LONG ? (ots_value){.type = OTS_VT_INTEGER, .i = (int64_t)d}
                                       : (ots_value){.type = OTS_VT_DOUBLE, .d = d};
        }
        uint8_t enc[2 * EMU_MAX_OTS_SEARCH_TERM_BYTES + 16];
        size_t el = enc_query_value(q, f, &v, enc, true);
        if (!el)
            continue;
        dset one = {0};
        rc = term_docs(q, f, enc, el, 1.0f, &one);
        /* one document counts once per token */
        for (size_t k = 0; k < one.n; k++)
            one.d[k].score = 1.0f;
        dnorm(&one);
        for (size_t k = 0; k < one.n; k++) {
            dpush(q, &all, one.d[k].k, one.d[k].len, 1.0f);
        }
        sq_dfree(&one);
    }
    dnorm(&all); /* score = tokens the document has */
    size_t need = 1;
    if (m->has_operator_ && m->operator_ == OTS__QUERY_OPERATOR__QO_AND)
        need = nd;
    else if (m->has_minimum_should_match && m->minimum_should_match > 0)
        need = (size_t)m->minimum_should_match;
    for (size_t i = 0; i < all.n; i++)
        if (all.d[i].score >= (float)need && nd)
            dpush(q, out, all.d[i].k, all.d[i].len, all.d[i].score);
    sq_dfree(&all);
    return rc;
}

/* MatchPhrase: documents with every token, then the tokens of the
 * document's value checked for the phrase in order. */
static bool has_phrase(const emu_str *doc, size_t nd, const emu_str *ph, size_t np)
{
    for (size_t i = 0; i + np <= nd; i++) {
        size_t k = 0;
        while (k < np && doc[i + k].len == ph[k].len && !memcmp(doc[i + k].p, ph[k].p, ph[k].len))
            k++;
        if (k == np)
            return true;
    }
    return false;
}

static emu_rc q_phrase(qctx *q, const Ots__MatchPhraseQuery *m, dset *out)
{
    const ots_sfield *f;
    emu_rc rc = sq_field_of(q, m->field_name, &f);
    if (rc)
        return rc;
    if (f->type != OTS_SF_TEXT && f->type != OTS_SF_KEYWORD)
        return sq_bad(q->err, "field:%s must be a Text or Keyword field for MatchPhraseQuery.",
                      f->name);
    Ots__MatchQuery mq = OTS__MATCH_QUERY__INIT;
    mq.field_name = m->field_name;
    mq.text = m->text;
    mq.has_operator_ = true;
    mq.operator_ = OTS__QUERY_OPERATOR__QO_AND;
    if (f->type == OTS_SF_KEYWORD) /* the whole value (the Python SDK's own search_index_test) */
        return q_match(q, &mq, out);
    dset cand = {0};
    if ((rc = q_match(q, &mq, &cand))) {
        sq_dfree(&cand);
        return rc;
    }
    const char *text = m->text ? m->text : "";
    emu_str *ph;
    size_t np = ots_search_tokens(f, text, strlen(text), q->a, &ph);
    emu_str col = {f->column, strlen(f->column)};
    ots_read_opts o = {.max_versions = 1, .columns = &col, .n_columns = 1};
    for (size_t i = 0; i < cand.n; i++) {
        ots_row_t row;
        if (!ots_store_get_by_key(q->t, cand.d[i].k, cand.d[i].len, &o, q->a, &row))
            continue;
        ots_value *v;
        size_t nv = ots_search_values(f, &row, q->a, &v);
        bool hit = false;
        for (size_t k = 0; k < nv && !hit; k++) {
            if (v[k].type != OTS_VT_STRING)
                continue;
            if (f->analyzer == OTS_AN_FUZZY) { /* n-grams: the phrase is a substring */
                hit = memmem(v[k].p, v[k].len, text, strlen(text)) != NULL;
                continue;
            }
            emu_str *dt;
            size_t nd = ots_search_tokens(f, (const char *)v[k].p, v[k].len, q->a, &dt);
            hit = has_phrase(dt, nd, ph, np);
        }
        if (hit)
            dpush(q, out, cand.d[i].k, cand.d[i].len, cand.d[i].score);
    }
    sq_dfree(&cand);
    return EMU_OK;
}

/* ---- Geo ------------------------------------------------------------------------------------ */

double sq_haversine_m(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371008.8, rad = M_PI / 180;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(h < 1 ? h : 1));
}

/* Degrees on the service's 32-bit grid (Lucene's LatLonPoint encoding:
 * 2^32 steps over 180 degrees of latitude, 360 of longitude), rounded down
 * or up. A box keeps the points whose cells lie inside it: its lower edges
 * round up, so a point on an edge that is not on the grid is out (the
 * Python SDK's own search_index_test counts 500, not 600, points of a box
 * whose bottom edge is the latitude of 100 of them). */
static int64_t grid(double deg, double span, bool up)
{
    double x = deg / (span / 4294967296.0);
    return (int64_t)(up ? ceil(x) : floor(x));
}

static bool geo_in(const geo *g, double lat, double lon)
{
    switch (g->kind) {
    case 0: {
        int64_t y = grid(lat, 180, false), x = grid(lon, 360, false);
        int64_t lo_x = grid(g->left, 360, true), hi_x = grid(g->right, 360, false);
        return y <= grid(g->top, 180, false) && y >= grid(g->bottom, 180, true) &&
               (g->left <= g->right ? x >= lo_x && x <= hi_x : x >= lo_x || x <= hi_x);
    }
    case 1:
        return sq_haversine_m(g->lat, g->lon, lat, lon) <= g->dist;
    default: { /* ray casting, from the point's grid cell (the Python SDK's own
                * search_index_test: 90 points, not 88) */
        lat = (double)grid(lat, 180, false) * (180.0 / 4294967296.0);
        lon = (double)grid(lon, 360, false) * (360.0 / 4294967296.0);
        bool in = false;
        for (size_t i = 0, j = g->np - 1; i < g->np; j = i++)
            if ((g->plat[i] > lat) != (g->plat[j] > lat) &&
                lon < (g->plon[j] - g->plon[i]) * (lat - g->plat[i]) / (g->plat[j] - g->plat[i]) +
                          g->plon[i])
                in = !in;
        return in;
    }
    }
}

static bool geo_keep(void *ud, const uint8_t *v, size_t vl)
{
    return vl == 16 && geo_in(ud, ots_search_dec_f64(v), ots_search_dec_f64(v + 8));
}

static emu_rc geo_point(qctx *q, const char *s, double *lat, double *lon)
{
    if (!s || !ots_search_geo_parse(s, strlen(s), lat, lon))
        return sq_bad(q->err, "Invalid geo point: '%s', expected 'latitude,longitude'.",
                      s ? s : "");
    return EMU_OK;
}

/* The shape of a GeoBoundingBox, GeoDistance or GeoPolygon query x, and its
 * field. */
static emu_rc geo_of(qctx *q, const Ots__Query *x, const char **field, geo *g)
{
    ProtobufCBinaryData b = x->has_query ? x->query : (ProtobufCBinaryData){0, NULL};
    emu_rc rc = EMU_OK;
    *g = (geo){0};
    if (x->type == OTS__QUERY_TYPE__GEO_BOUNDING_BOX_QUERY) {
        Ots__GeoBoundingBoxQuery *m = UNPACK(q, GeoBoundingBoxQuery, geo_bounding_box_query, b);
        if (!m)
            return EMU_E_INVALID;
        *field = m->field_name;
        g->kind = 0;
        if ((rc = geo_point(q, m->top_left, &g->top, &g->left)))
            return rc;
        return geo_point(q, m->bottom_right, &g->bottom, &g->right);
    }
    if (x->type == OTS__QUERY_TYPE__GEO_DISTANCE_QUERY) {
        Ots__GeoDistanceQuery *m = UNPACK(q, GeoDistanceQuery, geo_distance_query, b);
        if (!m)
            return EMU_E_INVALID;
        *field = m->field_name;
        g->kind = 1;
        g->dist = m->has_distance ? m->distance : 0;
        return geo_point(q, m->center_point, &g->lat, &g->lon);
    }
    Ots__GeoPolygonQuery *m = UNPACK(q, GeoPolygonQuery, geo_polygon_query, b);
    if (!m)
        return EMU_E_INVALID;
    *field = m->field_name;
    if (m->n_points < 3 || m->n_points > EMU_MAX_OTS_SEARCH_TERMS)
        return sq_bad(q->err, "A polygon needs 3 to %d points.", EMU_MAX_OTS_SEARCH_TERMS);
    g->kind = 2;
    g->np = m->n_points;
    g->plat = emu_arena_alloc(q->a, m->n_points * sizeof(double));
    g->plon = emu_arena_alloc(q->a, m->n_points * sizeof(double));
    for (size_t i = 0; !rc && i < m->n_points; i++)
        rc = geo_point(q, m->points[i], &g->plat[i], &g->plon[i]);
    return rc;
}

static emu_rc q_geo(qctx *q, const char *field, geo *g, dset *out)
{
    const ots_sfield *f;
    emu_rc rc = sq_field_of(q, field, &f);
    if (rc)
        return rc;
    if (f->type != OTS_SF_GEO_POINT)
        return sq_bad(q->err, "field:%s must be a GeoPoint field for a geo query.", f->name);
    collect c = {q, out, 1.0f, geo_keep, g};
    rc = sq_walk(q, f, NULL, 0, NULL, 0, collect_one, &c);
    dnorm(out);
    return rc;
}

/* ---- Bool and friends ---------------------------------------------------------------------- */

static emu_rc eval_list(qctx *q, Ots__Query *const *v, size_t n, int depth, dset **out)
{
    *out = emu_arena_zalloc(q->a, (n + 1) * sizeof **out);
    for (size_t i = 0; i < n; i++) {
        emu_rc rc = sq_eval(q, v[i], depth + 1, &(*out)[i]);
        if (rc) {
            for (size_t k = 0; k <= i; k++)
                sq_dfree(&(*out)[k]);
            return rc;
        }
    }
    return EMU_OK;
}

static void free_lists(dset *const *l, const size_t *n, size_t k)
{
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; l[j] && i < n[j]; i++)
            sq_dfree(&l[j][i]);
}

static emu_rc q_bool(qctx *q, const Ots__BoolQuery *m, int depth, dset *out)
{
    dset *l[4] = {NULL};
    const size_t n[4] = {m->n_must_queries, m->n_filter_queries, m->n_should_queries,
                         m->n_must_not_queries};
    Ots__Query *const *src[4] = {m->must_queries, m->filter_queries, m->should_queries,
                                 m->must_not_queries};
    emu_rc rc;
    for (size_t j = 0; j < 4; j++)
        if ((rc = eval_list(q, src[j], n[j], depth, &l[j]))) {
            free_lists(l, n, j); /* eval_list freed its own */
            return rc;
        }
    dset *must = l[0], *filter = l[1], *should = l[2], *mnot = l[3];
    bool positive = m->n_must_queries || m->n_filter_queries;
    dset acc = {0};
    bool have = false;
    for (size_t i = 0; i < m->n_must_queries; i++) {
        if (!have) {
            acc = must[i];
            have = true;
        } else {
            dand(&acc, &must[i]);
        }
    }
    for (size_t i = 0; i < m->n_filter_queries; i++) {
        for (size_t k = 0; k < filter[i].n; k++)
            filter[i].d[k].score = 0; /* filters do not score */
        if (!have) {
            acc = filter[i];
            have = true;
        } else {
            dand(&acc, &filter[i]);
        }
    }
    if (m->n_should_queries) {
        int32_t msm = m->has_minimum_should_match ? m->minimum_should_match : positive ? 0 : 1;
        if (msm > (int32_t)m->n_should_queries) {
            for (size_t i = 0; i < m->n_should_queries; i++)
                sq_dfree(&should[i]);
            sq_dfree(&acc);
            acc = (dset){0};
            have = true;
        } else {
            /* count, per document, the should clauses it matches */
            dset u = {0};
            for (size_t i = 0; i < m->n_should_queries; i++) {
                for (size_t k = 0; k < should[i].n; k++)
                    dpush(q, &u, should[i].d[k].k, should[i].d[k].len, 1.0f);
                sq_dfree(&should[i]);
            }
            dnorm(&u); /* score = clauses matched */
            size_t o = 0;
            for (size_t i = 0; i < u.n; i++)
                if (u.d[i].score >= (float)msm)
                    u.d[o++] = u.d[i];
            u.n = o;
            if (!have) {
                acc = u;
                have = true;
            } else if (msm > 0) {
                dand(&acc, &u);
            } else { /* optional: scores only */
                size_t j = 0;
                for (size_t i = 0; i < acc.n; i++) {
                    while (j < u.n && sq_doc_cmp(&u.d[j], &acc.d[i]) < 0)
                        j++;
                    if (j < u.n && !sq_doc_cmp(&u.d[j], &acc.d[i]))
                        acc.d[i].score += u.d[j].score;
                }
                sq_dfree(&u);
            }
        }
    }
    if (!have && (rc = all_docs(q, &acc))) {
        for (size_t i = 0; i < m->n_must_not_queries; i++)
            sq_dfree(&mnot[i]);
        sq_dfree(&acc);
        return rc;
    }
    for (size_t i = 0; i < m->n_must_not_queries; i++)
        dminus(&acc, &mnot[i]);
    *out = acc;
    return EMU_OK;
}

/* ---- FunctionsScoreQuery, KnnVectorQuery ------------------------------------- */

/* Whether the document with key k is in s (sorted by key). */
static bool in_set(const dset *s, const uint8_t *k, size_t len)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = sq_kcmp(s->d[mid].k, s->d[mid].len, k, len);
        if (!c)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The values of f in a document, in the arena. */
static size_t doc_values(qctx *q, const ots_sfield *f, const sdoc *d, ots_value **v)
{
    emu_str col = {f->column, strlen(f->column)};
    ots_read_opts o = {.max_versions = 1, .columns = &col, .n_columns = 1};
    ots_row_t row;
    if (!ots_store_get_by_key(q->t, d->k, d->len, &o, q->a, &row))
        return 0;
    return ots_search_values(f, &row, q->a, v);
}

double sq_unit_ms(const Ots__DateTimeValue *v)
{
    static const double ms[] = {0,
                                365.2425 * 86400000,
                                91.310625 * 86400000,
                                30.436875 * 86400000,
                                7 * 86400000.0,
                                86400000.0,
                                3600000.0,
                                60000.0,
                                1000.0,
                                1.0};
    if (!v || !v->has_value || !v->has_unit || v->unit < 1 || v->unit > 9)
        return 0;
    return ms[v->unit] * v->value;
}

/* A compiled score function. */
typedef struct sfun {
    const Ots__Function *m;
    dset filter; /* documents it applies to, when it has a filter */
    bool filtered;
    const ots_sfield *f;
    int kind;                          /* 0 field value factor, 1 random, 2 decay */
    double origin, scale, offset, lat; /* decay: numbers, ms or meters; geo origin lat */
} sfun;

static emu_rc sfun_init(qctx *q, const Ots__Function *m, int depth, sfun *out)
{
    emu_rc rc;
    *out = (sfun){.m = m};
    if (m->filter) {
        if ((rc = sq_eval(q, m->filter, depth + 1, &out->filter)))
            return rc;
        out->filtered = true;
    }
    if (m->field_value_factor) {
        out->kind = 0;
        return sq_field_of(q, m->field_value_factor->field_name, &out->f);
    }
    if (m->random) {
        out->kind = 1;
        return EMU_OK;
    }
    if (!m->decay) /* [inferred] texts from here on */
        return sq_bad(q->err, "A function needs one of field_value_factor, random, decay.");
    const Ots__DecayFunction *d = m->decay;
    out->kind = 2;
    if ((rc = sq_field_of(q, d->field_name, &out->f)))
        return rc;
    if (d->has_decay && !(d->decay > 0 && d->decay < 1))
        return sq_bad(q->err, "The decay of a decay function must be in (0, 1).");
    int pt = d->has_param_type ? (int)d->param_type : 0;
    if (pt == OTS__DECAY_FUNC_PARAM_TYPE__DF_NUMERIC_PARAM) {
        Ots__DecayFuncNumericParam *p =
            UNPACK(q, DecayFuncNumericParam, decay_func_numeric_param, d->param);
        if (!p)
            return EMU_E_INVALID;
        out->origin = p->origin, out->scale = p->scale, out->offset = p->offset;
    } else if (pt == OTS__DECAY_FUNC_PARAM_TYPE__DF_DATE_PARAM) {
        Ots__DecayFuncDateParam *p = UNPACK(q, DecayFuncDateParam, decay_func_date_param, d->param);
        if (!p)
            return EMU_E_INVALID;
        int64_t ms = p->origin_long;
        if (p->origin_string &&
            !ots_search_date_parse(out->f, p->origin_string, strlen(p->origin_string), &ms))
            return sq_bad(q->err, "Invalid origin of a date decay function: %s.", p->origin_string);
        out->origin = (double)ms, out->scale = sq_unit_ms(p->scale),
        out->offset = sq_unit_ms(p->offset);
    } else if (pt == OTS__DECAY_FUNC_PARAM_TYPE__DF_GEO_PARAM) {
        Ots__DecayFuncGeoParam *p = UNPACK(q, DecayFuncGeoParam, decay_func_geo_param, d->param);
        if (!p)
            return EMU_E_INVALID;
        if (!p->origin ||
            !ots_search_geo_parse(p->origin, strlen(p->origin), &out->lat, &out->origin))
            return sq_bad(q->err, "Invalid origin of a geo decay function.");
        out->scale = p->scale, out->offset = p->offset;
    } else {
        return sq_bad(q->err, "A decay function needs param_type and param.");
    }
    if (!(out->scale > 0) || out->offset < 0)
        return sq_bad(q->err, "A decay function needs scale > 0 and offset >= 0.");
    return EMU_OK;
}

/* The function's value for a document (weight not applied). */
static double sfun_value(qctx *q, const sfun *fn, const sdoc *d)
{
    ots_value *v;
    size_t n;
    if (fn->kind == 1) { /* random: stable per document */
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < d->len; i++)
            h = (h ^ d->k[i]) * 1099511628211ULL;
        return (double)(h >> 11) / 9007199254740992.0;
    }
    n = doc_values(q, fn->f, d, &v);
    if (fn->kind == 0) {
        const Ots__FieldValueFactorFunction *m = fn->m->field_value_factor;
        double x;
        if (!n || !sq_num_of(fn->f, &v[0], &x)) {
            if (!m->has_missing)
                return 1;
            x = m->missing;
        }
        x *= m->has_factor ? m->factor : 1;
        switch (m->has_modifier ? (int)m->modifier : OTS__FUNCTION_MODIFIER__FM_NONE) {
        case OTS__FUNCTION_MODIFIER__FM_LOG:
            return log10(x);
        case OTS__FUNCTION_MODIFIER__FM_LOG1P:
            return log10(x + 1);
        case OTS__FUNCTION_MODIFIER__FM_LOG2P:
            return log10(x + 2);
        case OTS__FUNCTION_MODIFIER__FM_LN:
            return log(x);
        case OTS__FUNCTION_MODIFIER__FM_LN1P:
            return log1p(x);
        case OTS__FUNCTION_MODIFIER__FM_LN2P:
            return log(x + 2);
        case OTS__FUNCTION_MODIFIER__FM_SQUARE:
            return x * x;
        case OTS__FUNCTION_MODIFIER__FM_SQRT:
            return sqrt(x);
        case OTS__FUNCTION_MODIFIER__FM_RECIPROCAL:
            return 1 / x;
        default:
            return x;
        }
    }
    /* Decay over each value's distance to the origin, then the mode. */
    const Ots__DecayFunction *m = fn->m->decay;
    double decay = m->has_decay ? m->decay : 0.5, best = 0, sum = 0;
    size_t cnt = 0;
    int mode = m->has_multi_value_mode ? (int)m->multi_value_mode : OTS__MULTI_VALUE_MODE__MVM_MIN;
    for (size_t i = 0; i < n; i++) {
        double x, dist;
        if (m->param_type == OTS__DECAY_FUNC_PARAM_TYPE__DF_GEO_PARAM) {
            double lat, lon;
            if (v[i].type != OTS_VT_STRING ||
                !ots_search_geo_parse((const char *)v[i].p, v[i].len, &lat, &lon))
                continue;
            dist = sq_haversine_m(fn->lat, fn->origin, lat, lon);
        } else {
            if (!sq_num_of(fn->f, &v[i], &x))
                continue;
            dist = fabs(x - fn->origin);
        }
        dist = dist > fn->offset ? dist - fn->offset : 0;
        double r;
        if (m->math_function == OTS__DECAY_MATH_FUNCTION__EXP)
            r = exp(log(decay) / fn->scale * dist);
        else if (m->math_function == OTS__DECAY_MATH_FUNCTION__LINEAR) {
            double sl = fn->scale / (1 - decay);
            r = dist < sl ? (sl - dist) / sl : 0;
        } else { /* GAUSS */
            double sigma2 = -fn->scale * fn->scale / (2 * log(decay));
            r = exp(-dist * dist / (2 * sigma2));
        }
        /* MIN / MAX pick the value of the nearest / farthest distance. */
        if (!cnt || (mode == OTS__MULTI_VALUE_MODE__MVM_MIN && r > best) ||
            (mode == OTS__MULTI_VALUE_MODE__MVM_MAX && r < best))
            best = r;
        sum += r;
        cnt++;
    }
    if (!cnt)
        return 1; /* a document without the field is not decayed */
    if (mode == OTS__MULTI_VALUE_MODE__MVM_SUM)
        return sum;
    if (mode == OTS__MULTI_VALUE_MODE__MVM_AVG)
        return sum / (double)cnt;
    return best;
}

static emu_rc q_functions_score(qctx *q, const Ots__FunctionsScoreQuery *m, int depth, dset *out)
{
    emu_rc rc;
    if (!m->n_functions || m->n_functions > 32)
        return sq_bad(q->err, "FunctionsScoreQuery needs 1 to 32 functions."); /* [inferred] */
    sfun *fn = emu_arena_zalloc(q->a, m->n_functions * sizeof *fn);
    size_t nf = 0;
    if (m->query)
        rc = sq_eval(q, m->query, depth + 1, out);
    else
        rc = all_docs(q, out);
    for (; !rc && nf < m->n_functions; nf++)
        rc = sfun_init(q, m->functions[nf], depth, &fn[nf]);
    int sm = m->has_score_mode ? (int)m->score_mode : OTS__FUNCTION_SCORE_MODE__FSM_MULTIPLY;
    int cm = m->has_combine_mode ? (int)m->combine_mode : OTS__FUNCTION_COMBINE_MODE__FCM_MULTIPLY;
    size_t kept = 0;
    for (size_t i = 0; !rc && i < out->n; i++) {
        sdoc *d = &out->d[i];
        double f = 0, wsum = 0;
        size_t hits = 0;
        for (size_t k = 0; k < nf; k++) {
            if (fn[k].filtered && !in_set(&fn[k].filter, d->k, d->len))
                continue;
            double w = fn[k].m->has_weight ? fn[k].m->weight : 1;
            double x = sfun_value(q, &fn[k], d) * w;
            if (!hits || sm == OTS__FUNCTION_SCORE_MODE__FSM_FIRST)
                f = hits ? f : x;
            else if (sm == OTS__FUNCTION_SCORE_MODE__FSM_MAX)
                f = x > f ? x : f;
            else if (sm == OTS__FUNCTION_SCORE_MODE__FSM_MIN)
                f = x < f ? x : f;
            else if (sm == OTS__FUNCTION_SCORE_MODE__FSM_MULTIPLY)
                f *= x;
            else /* SUM, AVG */
                f += x;
            wsum += w;
            hits++;
        }
        if (!hits)
            f = 1;
        else if (sm == OTS__FUNCTION_SCORE_MODE__FSM_AVG && wsum)
            f /= wsum;
        if (m->has_max_score && f > m->max_score)
            f = m->max_score;
        double qs = d->score, s;
        switch (cm) {
        case OTS__FUNCTION_COMBINE_MODE__FCM_AVG:
            s = (qs + f) / 2;
            break;
        case OTS__FUNCTION_COMBINE_MODE__FCM_MAX:
            s = qs > f ? qs : f;
            break;
        case OTS__FUNCTION_COMBINE_MODE__FCM_SUM:
            s = qs + f;
            break;
        case OTS__FUNCTION_COMBINE_MODE__FCM_MIN:
            s = qs < f ? qs : f;
            break;
        case OTS__FUNCTION_COMBINE_MODE__FCM_REPLACE:
            s = f;
            break;
        default:
            s = qs * f;
        }
        if (m->has_min_score && s < m->min_score)
            continue;
        d->score = (float)s;
        out->d[kept++] = *d;
    }
    for (size_t k = 0; k < nf; k++)
        sq_dfree(&fn[k].filter);
    if (rc) {
        sq_dfree(out);
        return rc;
    }
    out->n = kept;
    return EMU_OK;
}

/* "[0.1, 1.2, ...]" → exactly n floats; false otherwise. */
static bool parse_vector(const uint8_t *p, size_t len, float *out, int n)
{
    char buf[64];
    size_t i = 0;
    int k = 0;
    while (i < len && isspace(p[i]))
        i++;
    if (i >= len || p[i++] != '[')
        return false;
    for (;;) {
        while (i < len && isspace(p[i]))
            i++;
        size_t j = i;
        while (j < len && (isdigit(p[j]) || strchr("+-.eE", p[j])))
            j++;
        if (j == i || j - i >= sizeof buf || k >= n)
            return false;
        memcpy(buf, p + i, j - i);
        buf[j - i] = '\0';
        char *end;
        double x = strtod(buf, &end);
        if (*end || !isfinite(x))
            return false;
        out[k++] = (float)x;
        i = j;
        while (i < len && isspace(p[i]))
            i++;
        if (i < len && p[i] == ',') {
            i++;
            continue;
        }
        if (i < len && p[i] == ']') {
            i++;
            break;
        }
        return false;
    }
    while (i < len && isspace(p[i]))
        i++;
    return i == len && k == n;
}

static int knn_cmp(const void *x, const void *y)
{
    const sdoc *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return sq_kcmp(a->k, a->len, b->k, b->len);
}

static int key_cmp(const void *x, const void *y)
{
    const sdoc *a = x, *b = y;
    return sq_kcmp(a->k, a->len, b->k, b->len);
}

/* The top_k documents nearest the query vector (brute force over the
 * filter's documents), scored as the service does: euclidean 1 / (1 + d²),
 * cosine (1 + cos) / 2, dot product (1 + dot) / 2, times the weight. */
static emu_rc q_knn(qctx *q, const Ots__KnnVectorQuery *m, int depth, dset *out)
{
    const ots_sfield *f;
    emu_rc rc;
    if ((rc = sq_field_of(q, m->field_name, &f)))
        return rc;
    if (f->type != OTS_SF_VECTOR) /* [inferred] texts */
        return sq_bad(q->err, "KnnVectorQuery needs a Vector field; field:%s is not one.", f->name);
    if ((int)m->n_float32_query_vector != f->vdim)
        return sq_bad(q->err, "The query vector has %zu dimensions; field:%s has %d.",
                      m->n_float32_query_vector, f->name, f->vdim);
    if (!m->has_top_k || m->top_k <= 0 || m->top_k > EMU_MAX_OTS_SEARCH_LIMIT)
        return sq_bad(q->err, "top_k must be in [1, %d].", EMU_MAX_OTS_SEARCH_LIMIT);
    dset cand = {0};
    if ((rc = m->filter ? sq_eval(q, m->filter, depth + 1, &cand) : all_docs(q, &cand)))
        return rc;
    const float *qv = m->float32_query_vector;
    double qn = 0;
    for (int i = 0; i < f->vdim; i++)
        qn += (double)qv[i] * qv[i];
    float *dv = emu_arena_alloc(q->a, (size_t)f->vdim * sizeof *dv);
    float w = m->has_weight ? m->weight : 1;
    size_t kept = 0;
    for (size_t i = 0; i < cand.n; i++) {
        ots_value *v;
        size_t n = doc_values(q, f, &cand.d[i], &v);
        if (!n || v[0].type != OTS_VT_STRING || !parse_vector(v[0].p, v[0].len, dv, f->vdim))
            continue;
        double dot = 0, dn = 0, d2 = 0, s;
        for (int k = 0; k < f->vdim; k++) {
            dot += (double)qv[k] * dv[k];
            dn += (double)dv[k] * dv[k];
            d2 += ((double)qv[k] - dv[k]) * ((double)qv[k] - dv[k]);
        }
        if (f->vmetric == 1)
            s = qn > 0 && dn > 0 ? (1 + dot / sqrt(qn * dn)) / 2 : 0;
        else if (f->vmetric == 2)
            s = (1 + dot) / 2;
        else
            s = 1 / (1 + d2);
        cand.d[kept] = cand.d[i];
        cand.d[kept++].score = (float)s * w;
    }
    qsort(cand.d, kept, sizeof *cand.d, knn_cmp);
    size_t k = (size_t)m->top_k > q->min_top_k ? (size_t)m->top_k : q->min_top_k;
    cand.n = kept < k ? kept : k;
    qsort(cand.d, cand.n, sizeof *cand.d, key_cmp); /* sets are in key order */
    *out = cand;
    return EMU_OK;
}

static emu_rc q_nested(qctx *q, const Ots__NestedQuery *m, int depth, dset *out);

static emu_rc eval_node(qctx *q, const Ots__Query *query, int depth, dset *out)
{
    if (!query || !query->has_type)
        return sq_bad(q->err, "Query type is required.");
    if (depth > EMU_MAX_OTS_SEARCH_QUERY_DEPTH)
        return sq_bad(q->err, "The query is nested deeper than %d levels.",
                      EMU_MAX_OTS_SEARCH_QUERY_DEPTH);
    ProtobufCBinaryData b = query->has_query ? query->query : (ProtobufCBinaryData){0, NULL};
    emu_rc rc;
    switch (query->type) {
    case OTS__QUERY_TYPE__MATCH_ALL_QUERY:
        return all_docs(q, out);
    case OTS__QUERY_TYPE__TERM_QUERY: {
        Ots__TermQuery *m = UNPACK(q, TermQuery, term_query, b);
        if (!m)
            return EMU_E_INVALID;
        if (!m->has_term)
            return sq_bad(q->err, "TermQuery needs a term.");
        return q_term(q, m->field_name, &m->term, 1, out);
    }
    case OTS__QUERY_TYPE__TERMS_QUERY: {
        Ots__TermsQuery *m = UNPACK(q, TermsQuery, terms_query, b);
        if (!m)
            return EMU_E_INVALID;
        if (!m->n_terms || m->n_terms > EMU_MAX_OTS_SEARCH_TERMS)
            return sq_bad(q->err, "TermsQuery needs 1 to %d terms.", EMU_MAX_OTS_SEARCH_TERMS);
        return q_term(q, m->field_name, m->terms, m->n_terms, out);
    }
    case OTS__QUERY_TYPE__RANGE_QUERY: {
        Ots__RangeQuery *m = UNPACK(q, RangeQuery, range_query, b);
        return m ? q_range(q, m, out) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__PREFIX_QUERY: {
        Ots__PrefixQuery *m = UNPACK(q, PrefixQuery, prefix_query, b);
        return m ? q_pattern(q, m->field_name, m->prefix, true, out) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__WILDCARD_QUERY: {
        Ots__WildcardQuery *m = UNPACK(q, WildcardQuery, wildcard_query, b);
        return m ? q_pattern(q, m->field_name, m->value, false, out) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__EXISTS_QUERY: {
        Ots__ExistsQuery *m = UNPACK(q, ExistsQuery, exists_query, b);
        return m ? q_exists(q, m->field_name, out) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__MATCH_QUERY: {
        Ots__MatchQuery *m = UNPACK(q, MatchQuery, match_query, b);
        if (!m)
            return EMU_E_INVALID;
        rc = q_match(q, m, out);
        return rc;
    }
    case OTS__QUERY_TYPE__MATCH_PHRASE_QUERY: {
        Ots__MatchPhraseQuery *m = UNPACK(q, MatchPhraseQuery, match_phrase_query, b);
        return m ? q_phrase(q, m, out) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__BOOL_QUERY: {
        Ots__BoolQuery *m = UNPACK(q, BoolQuery, bool_query, b);
        return m ? q_bool(q, m, depth, out) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__CONST_SCORE_QUERY: {
        Ots__ConstScoreQuery *m = UNPACK(q, ConstScoreQuery, const_score_query, b);
        if (!m)
            return EMU_E_INVALID;
        if ((rc = sq_eval(q, m->filter, depth + 1, out)))
            return rc;
        for (size_t i = 0; i < out->n; i++)
            out->d[i].score = 1.0f;
        return EMU_OK;
    }
    case OTS__QUERY_TYPE__FUNCTION_SCORE_QUERY: {
        /* The query's documents; the score is the field's value. */
        Ots__FunctionScoreQuery *m = UNPACK(q, FunctionScoreQuery, function_score_query, b);
        if (!m)
            return EMU_E_INVALID;
        if (!m->field_value_factor || !m->field_value_factor->field_name)
            return sq_bad(q->err, "FunctionScoreQuery needs a field value factor.");
        const ots_sfield *f;
        if ((rc = sq_field_of(q, m->field_value_factor->field_name, &f)))
            return rc;
        if ((rc = sq_eval(q, m->query, depth + 1, out)))
            return rc;
        emu_str col = {f->column, strlen(f->column)};
        ots_read_opts o = {.max_versions = 1, .columns = &col, .n_columns = 1};
        for (size_t i = 0; i < out->n; i++) {
            ots_row_t row;
            ots_value *v;
            float s = 0;
            if (ots_store_get_by_key(q->t, out->d[i].k, out->d[i].len, &o, q->a, &row) &&
                ots_search_values(f, &row, q->a, &v))
                s = v[0].type == OTS_VT_INTEGER  ? (float)v[0].i
                    : v[0].type == OTS_VT_DOUBLE ? (float)v[0].d
                                                 : 0;
            out->d[i].score = s;
        }
        return EMU_OK;
    }
    case OTS__QUERY_TYPE__NESTED_QUERY: {
        Ots__NestedQuery *m = UNPACK(q, NestedQuery, nested_query, b);
        return m ? q_nested(q, m, depth, out) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__GEO_BOUNDING_BOX_QUERY:
    case OTS__QUERY_TYPE__GEO_DISTANCE_QUERY:
    case OTS__QUERY_TYPE__GEO_POLYGON_QUERY: {
        geo g;
        const char *field = NULL;
        if ((rc = geo_of(q, query, &field, &g)))
            return rc;
        return q_geo(q, field, &g, out);
    }
    case OTS__QUERY_TYPE__KNN_VECTOR_QUERY: {
        Ots__KnnVectorQuery *m = UNPACK(q, KnnVectorQuery, knn_vector_query, b);
        return m ? q_knn(q, m, depth, out) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__FUNCTIONS_SCORE_QUERY: {
        Ots__FunctionsScoreQuery *m = UNPACK(q, FunctionsScoreQuery, functions_score_query, b);
        return m ? q_functions_score(q, m, depth, out) : EMU_E_INVALID;
    }
    default:
        return sq_bad(q->err, "Invalid query type: %d.", (int)query->type);
    }
}

/* Evaluates query into *out; on an error *out is empty (nothing to free). */
emu_rc sq_eval(qctx *q, const Ots__Query *query, int depth, dset *out)
{
    *out = (dset){0};
    emu_rc rc = eval_node(q, query, depth, out);
    if (rc)
        sq_dfree(out);
    return rc;
}

/* ---- Search ---------------------------------------------------------------------------------- */

/* A next token: "acsemu/1", the offset of the next page, then the Sort of
 * the search (the SDKs send no sort with a token). */
typedef struct sort_key {
    const sdoc *d;
    ots_value *v; /* per sorter: the value (type NULL = missing) */
} sort_key;

static const sorter *g_sorters; /* qsort has no context argument */
static size_t g_n_sorters;

static int val_cmp(const ots_value *a, const ots_value *b)
{
    bool am = a->type == OTS_VT_NULL, bm = b->type == OTS_VT_NULL;
    if (am || bm)
        return am == bm ? 0 : am ? 1 : -1; /* missing last */
    if (a->type == OTS_VT_STRING && b->type == OTS_VT_STRING)
        return sq_kcmp(a->p, a->len, b->p, b->len);
    double x = a->type == OTS_VT_DOUBLE ? a->d : a->type == OTS_VT_BOOLEAN ? a->b : (double)a->i;
    double y = b->type == OTS_VT_DOUBLE ? b->d : b->type == OTS_VT_BOOLEAN ? b->b : (double)b->i;
    if (a->type == OTS_VT_INTEGER && b->type == OTS_VT_INTEGER)
        return a->i < b->i ? -1 : a->i > b->i;
    return x < y ? -1 : x > y;
}

static int sk_cmp(const void *x, const void *y)
{
    const sort_key *a = x, *b = y;
    for (size_t i = 0; i < g_n_sorters; i++) {
        const sorter *s = &g_sorters[i];
        int c;
        if (s->kind == 1)
            c = sq_doc_cmp(a->d, b->d);
        else if (s->kind == 2)
            c = a->d->score < b->d->score ? -1 : a->d->score > b->d->score;
        else {
            c = val_cmp(&a->v[i], &b->v[i]);
            bool am = a->v[i].type == OTS_VT_NULL, bm = b->v[i].type == OTS_VT_NULL;
            if (am || bm) /* missing stays last in either order */
                return c;
        }
        if (c)
            return s->desc ? -c : c;
    }
    return sq_doc_cmp(a->d, b->d);
}

/* ---- Nested objects: queries over one object at a time ------------------------- */

/* A NestedQuery (and a FieldSort's nested_filter) matches an object of its
 * path, not the document: every clause must hold in the same object, as
 * the service's block join does. The query's fields must be fields of
 * those objects (path.child); a deeper level needs a NestedQuery of its
 * own. Checked once before anything runs; [inferred] texts. */
static emu_rc nq_check(qctx *q, const char *path, const Ots__Query *x, int depth)
{
    if (!x || !x->has_type)
        return sq_bad(q->err, "The query of nested path:%s is required.", path);
    if (depth > EMU_MAX_OTS_SEARCH_QUERY_DEPTH)
        return sq_bad(q->err, "The query is nested deeper than %d levels.",
                      EMU_MAX_OTS_SEARCH_QUERY_DEPTH);
    ProtobufCBinaryData b = x->has_query ? x->query : (ProtobufCBinaryData){0, NULL};
    const char *field = NULL;
    switch ((int)x->type) {
    case OTS__QUERY_TYPE__MATCH_ALL_QUERY:
        return EMU_OK;
#define FIELD_OF(type, lower)                                                                      \
    {                                                                                              \
        Ots__##type *m = UNPACK(q, type, lower, b);                                                \
        if (!m)                                                                                    \
            return EMU_E_INVALID;                                                                  \
        field = m->field_name;                                                                     \
        break;                                                                                     \
    }
    case OTS__QUERY_TYPE__TERM_QUERY:
        FIELD_OF(TermQuery, term_query)
    case OTS__QUERY_TYPE__TERMS_QUERY:
        FIELD_OF(TermsQuery, terms_query)
    case OTS__QUERY_TYPE__RANGE_QUERY:
        FIELD_OF(RangeQuery, range_query)
    case OTS__QUERY_TYPE__EXISTS_QUERY:
        FIELD_OF(ExistsQuery, exists_query)
    case OTS__QUERY_TYPE__PREFIX_QUERY:
        FIELD_OF(PrefixQuery, prefix_query)
    case OTS__QUERY_TYPE__WILDCARD_QUERY:
        FIELD_OF(WildcardQuery, wildcard_query)
    case OTS__QUERY_TYPE__MATCH_QUERY:
        FIELD_OF(MatchQuery, match_query)
    case OTS__QUERY_TYPE__MATCH_PHRASE_QUERY:
        FIELD_OF(MatchPhraseQuery, match_phrase_query)
#undef FIELD_OF
    case OTS__QUERY_TYPE__GEO_BOUNDING_BOX_QUERY:
    case OTS__QUERY_TYPE__GEO_DISTANCE_QUERY:
    case OTS__QUERY_TYPE__GEO_POLYGON_QUERY: {
        geo g;
        emu_rc rc = geo_of(q, x, &field, &g);
        if (rc)
            return rc;
        break;
    }
    case OTS__QUERY_TYPE__CONST_SCORE_QUERY: {
        Ots__ConstScoreQuery *m = UNPACK(q, ConstScoreQuery, const_score_query, b);
        return m ? nq_check(q, path, m->filter, depth + 1) : EMU_E_INVALID;
    }
    case OTS__QUERY_TYPE__BOOL_QUERY: {
        Ots__BoolQuery *m = UNPACK(q, BoolQuery, bool_query, b);
        if (!m)
            return EMU_E_INVALID;
        Ots__Query **lists[] = {m->must_queries, m->must_not_queries, m->filter_queries,
                                m->should_queries};
        size_t ns[] = {m->n_must_queries, m->n_must_not_queries, m->n_filter_queries,
                       m->n_should_queries};
        for (int k = 0; k < 4; k++)
            for (size_t i = 0; i < ns[k]; i++) {
                emu_rc rc = nq_check(q, path, lists[k][i], depth + 1);
                if (rc)
                    return rc;
            }
        return EMU_OK;
    }
    case OTS__QUERY_TYPE__NESTED_QUERY: {
        Ots__NestedQuery *m = UNPACK(q, NestedQuery, nested_query, b);
        if (!m)
            return EMU_E_INVALID;
        field = m->path;
        break;
    }
    default:
        return sq_unsupported(q->err, "Inside a nested query, a query other than Term, Terms, "
                                      "Range, Exists, Prefix, Wildcard, Match, MatchPhrase, "
                                      "Geo, MatchAll, ConstScore, Bool or Nested");
    }
    const ots_sfield *f;
    emu_rc rc = sq_field_of(q, field, &f);
    if (rc)
        return rc;
    size_t pl = strlen(path);
    if (strncmp(f->name, path, pl) || f->name[pl] != '.' || strchr(f->name + pl + 1, '.'))
        return sq_bad(q->err, "field:%s must be a field of the objects of nested path:%s.", field,
                      path);
    if ((x->type == OTS__QUERY_TYPE__GEO_BOUNDING_BOX_QUERY ||
         x->type == OTS__QUERY_TYPE__GEO_DISTANCE_QUERY ||
         x->type == OTS__QUERY_TYPE__GEO_POLYGON_QUERY) &&
        f->type != OTS_SF_GEO_POINT)
        return sq_bad(q->err, "field:%s must be a GeoPoint field for a geo query.", f->name);
    if (x->type != OTS__QUERY_TYPE__NESTED_QUERY)
        return EMU_OK;
    const Ots__NestedQuery *m = UNPACK(q, NestedQuery, nested_query, b);
    if (f->type != OTS_SF_NESTED)
        return sq_bad(q->err, "path:%s is not a Nested field.", m->path);
    return nq_check(q, f->name, m->query, depth + 1);
}

static emu_rc nested_filter_of(qctx *q, const ots_sfield *f, const Ots__NestedFilter *nf,
                               const Ots__Query **out)
{
    if (!nf->path || !f->sub || strcmp(nf->path, f->column) ||
        strchr(f->name + strlen(f->column) + 1, '.'))
        return sq_unsupported(q->err, "A nested_filter other than on the sorted field's own "
                                      "first-level nested objects");
    if (!nf->filter)
        return sq_bad(q->err, "nested_filter needs a filter query.");
    emu_rc rc = nq_check(q, nf->path, nf->filter, 0);
    *out = nf->filter;
    return rc;
}

/* One object's value (a JSON element) as field f's number, or its text;
 * false when of no comparable kind. */
static bool obj_value(const ots_sfield *f, const cJSON *e, double *num, const char **str)
{
    *str = NULL;
    if (cJSON_IsNumber(e)) {
        *num = e->valuedouble;
        return f->type == OTS_SF_LONG || f->type == OTS_SF_DOUBLE || f->type == OTS_SF_DATE;
    }
    if (cJSON_IsBool(e)) {
        *num = cJSON_IsTrue(e);
        return f->type == OTS_SF_BOOLEAN;
    }
    if (!cJSON_IsString(e))
        return false;
    int64_t ms;
    if (f->type == OTS_SF_DATE) {
        if (!ots_search_date_parse(f, e->valuestring, strlen(e->valuestring), &ms))
            return false;
        *num = (double)ms;
        return true;
    }
    *str = e->valuestring;
    return f->type == OTS_SF_KEYWORD || f->type == OTS_SF_TEXT;
}

static int bytes_cmp(const char *s, size_t n, const uint8_t *p, size_t len)
{
    int c = memcmp(s, p, n < len ? n : len);
    return c ? c : (n > len) - (n < len);
}

/* A number or string against a query value: <0, 0, >0; 2 when not comparable. */
static int obj_cmp(const ots_sfield *f, double a, const char *s, size_t n, const ots_value *v)
{
    double b;
    if (s)
        return v->type == OTS_VT_STRING ? bytes_cmp(s, n, v->p, v->len) : 2;
    if (v->type == OTS_VT_BOOLEAN)
        b = v->b;
    else if (!sq_num_of(f, v, &b))
        return 2;
    return (a > b) - (a < b);
}

/* What a leaf asks of each value of one field of an object. */
typedef enum ov_op {
    OV_EQ,
    OV_RANGE,
    OV_EXISTS,
    OV_PREFIX,
    OV_GLOB,
    OV_MATCH,
    OV_PHRASE,
    OV_GEO
} ov_op;

typedef struct ovisit {
    qctx *q;
    const ots_sfield *f;
    ov_op op;
    const ots_value *v, *hi; /* EQ: v; RANGE: v..hi (NULL: open) */
    bool incl_lo, incl_hi;
    const char *pat; /* PREFIX, GLOB */
    size_t npat;
    const emu_str *tok; /* MATCH, PHRASE: the query's tokens */
    size_t ntok;
    bool *seen;   /* MATCH: which tokens some value has */
    const geo *g; /* GEO */
} ovisit;

/* The terms of one string value as the postings hold them: a Text value's
 * tokens, any other value whole. */
static size_t value_terms(qctx *q, const ots_sfield *f, const char *s, emu_str **out)
{
    if (f->type == OTS_SF_TEXT)
        return ots_search_tokens(f, s, strlen(s), q->a, out);
    *out = emu_arena_alloc(q->a, sizeof **out);
    (*out)[0] = (emu_str){s, strlen(s)};
    return 1;
}

static bool ov_fn(void *ud, const cJSON *e, size_t idx)
{
    ovisit *o = ud;
    double num = 0;
    const char *s;
    (void)idx;
    if (o->op == OV_EXISTS)
        return !cJSON_IsNull(e);
    if (o->op == OV_GEO) {
        double lat, lon;
        return cJSON_IsString(e) &&
               ots_search_geo_parse(e->valuestring, strlen(e->valuestring), &lat, &lon) &&
               geo_in(o->g, lat, lon);
    }
    if (!obj_value(o->f, e, &num, &s))
        return false;
    if (o->op == OV_RANGE) {
        size_t n = s ? strlen(s) : 0;
        int lo = o->v ? obj_cmp(o->f, num, s, n, o->v) : 1;
        int up = o->hi ? obj_cmp(o->f, num, s, n, o->hi) : -1;
        return lo != 2 && up != 2 && (o->incl_lo ? lo >= 0 : lo > 0) &&
               (o->incl_hi ? up <= 0 : up < 0);
    }
    if (!s) {
        if (o->op == OV_EQ)
            return obj_cmp(o->f, num, NULL, 0, o->v) == 0;
        if (o->op == OV_MATCH) /* numbers match a token that reads as the same number */
            for (size_t i = 0; i < o->ntok; i++) {
                char *end, *t = emu_arena_strndup(o->q->a, o->tok[i].p, o->tok[i].len);
                double d = strtod(t, &end);
                if (!*end && d == num)
                    o->seen[i] = true;
            }
        return false;
    }
    emu_str *t;
    size_t nt = value_terms(o->q, o->f, s, &t);
    switch (o->op) {
    case OV_EQ:
        for (size_t i = 0; i < nt; i++)
            if (o->v->type == OTS_VT_STRING && !bytes_cmp(t[i].p, t[i].len, o->v->p, o->v->len))
                return true;
        return false;
    case OV_PREFIX:
    case OV_GLOB:
        for (size_t i = 0; i < nt; i++)
            if (o->op == OV_PREFIX ? t[i].len >= o->npat && !memcmp(t[i].p, o->pat, o->npat)
                                   : glob_match((const uint8_t *)o->pat, o->npat,
                                                (const uint8_t *)t[i].p, t[i].len))
                return true;
        return false;
    case OV_MATCH:
        for (size_t i = 0; i < o->ntok; i++)
            for (size_t k = 0; k < nt && !o->seen[i]; k++)
                o->seen[i] = t[k].len == o->tok[i].len && !memcmp(t[k].p, o->tok[i].p, t[k].len);
        return false;
    case OV_PHRASE:
        return has_phrase(t, nt, o->tok, o->ntok);
    default:
        return false;
    }
}

/* Visits field `name` (a field of the objects at path) in obj. */
static bool ov_run(ovisit *o, const char *path, const char *name, const cJSON *obj)
{
    o->f = name ? ots_search_field(o->q->def, name) : NULL;
    size_t pl = strlen(path);
    if (!o->f || strncmp(o->f->name, path, pl) || o->f->name[pl] != '.')
        return false;
    return ots_search_obj_each(obj, o->f->name + pl + 1, ov_fn, o);
}

/* The query's distinct tokens under field name's analyzer (the text whole
 * for other fields). */
static size_t query_tokens(qctx *q, const char *name, const char *text, emu_str **out)
{
    const ots_sfield *f = name ? ots_search_field(q->def, name) : NULL;
    text = text ? text : "";
    size_t nt = f ? value_terms(q, f, text, out) : 0, nd = 0;
    for (size_t i = 0; i < nt; i++) {
        bool dup = false;
        for (size_t j = 0; j < nd && !dup; j++)
            dup =
                (*out)[j].len == (*out)[i].len && !memcmp((*out)[j].p, (*out)[i].p, (*out)[i].len);
        if (!dup)
            (*out)[nd++] = (*out)[i];
    }
    return nd;
}

static bool obj_eval(qctx *q, const char *path, const Ots__Query *x, const cJSON *obj, int depth,
                     float *score);

/* The objects of nested field `path` below obj (the column's root when
 * path is the column), each passed to fn with its offset. */
typedef struct nobj {
    const cJSON *o;
    int32_t off;
    float score;
} nobj;

typedef struct nlist {
    nobj *d;
    size_t n, cap;
    emu_arena *a;
} nlist;

static bool nlist_push(void *ud, const cJSON *e, size_t idx)
{
    nlist *l = ud;
    if (!cJSON_IsObject(e))
        return false;
    l->d = emu_arena_grow(l->a, l->d, l->n, &l->cap, sizeof *l->d);
    l->d[l->n++] = (nobj){e, (int32_t)idx, 0};
    return false;
}

/* The objects at nested path `path` below the object at `base` (base NULL:
 * root is the column's parsed value, an array of objects or one object). */
static void objects_at(qctx *q, const char *base, const cJSON *root, const char *path, nlist *l)
{
    *l = (nlist){.a = q->a};
    if (base) {
        ots_search_obj_each(root, path + strlen(base) + 1, nlist_push, l);
        return;
    }
    const char *dot = strchr(path, '.');
    bool arr = cJSON_IsArray(root);
    size_t idx = 0;
    for (const cJSON *e = arr ? root->child : root; e; e = arr ? e->next : NULL, idx++) {
        if (dot)
            ots_search_obj_each(e, dot + 1, nlist_push, l);
        else
            nlist_push(l, e, idx);
    }
}

/* The matching objects of l (scores set, the rest dropped) and the
 * document's score under the query's score mode. */
static bool match_objects(qctx *q, const Ots__NestedQuery *m, const char *path, nlist *l, int depth,
                          float *score)
{
    size_t k = 0;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < l->n; i++) {
        float s = 0;
        q->work++;
        if (!obj_eval(q, path, m->query, l->d[i].o, depth, &s))
            continue;
        l->d[i].score = s;
        l->d[k++] = l->d[i];
        sum += s;
        lo = s < lo ? s : lo;
        hi = s > hi ? s : hi;
    }
    l->n = k;
    if (!k)
        return false;
    /* SCORE_MODE_AVG unless given, as the service documents [inferred] */
    int mode = m->has_score_mode ? (int)m->score_mode : OTS__SCORE_MODE__SCORE_MODE_AVG;
    double s = mode == OTS__SCORE_MODE__SCORE_MODE_NONE    ? 0
               : mode == OTS__SCORE_MODE__SCORE_MODE_MAX   ? hi
               : mode == OTS__SCORE_MODE__SCORE_MODE_MIN   ? lo
               : mode == OTS__SCORE_MODE__SCORE_MODE_TOTAL ? sum
                                                           : sum / (double)k;
    *score = (float)s * (m->has_weight ? m->weight : 1.0f);
    return true;
}

/* Whether the object matches x (checked by nq_check), and its score:
 * Match the query tokens it has, Bool its must clauses' scores plus one per
 * should clause matched, other leaves 1 -- as the document-level query. */
static bool obj_eval(qctx *q, const char *path, const Ots__Query *x, const cJSON *obj, int depth,
                     float *score)
{
    ProtobufCBinaryData b = x->has_query ? x->query : (ProtobufCBinaryData){0, NULL};
    ots_value v, hi;
    ovisit o = {.q = q};
    *score = 1.0f;
    if (depth > EMU_MAX_OTS_SEARCH_QUERY_DEPTH)
        return false;
    switch ((int)x->type) {
    case OTS__QUERY_TYPE__MATCH_ALL_QUERY:
        return true;
    case OTS__QUERY_TYPE__TERM_QUERY: {
        Ots__TermQuery *m = UNPACK(q, TermQuery, term_query, b);
        o.op = OV_EQ;
        o.v = &v;
        return m && m->has_term && !sq_variant(q, m->term, &v) &&
               ov_run(&o, path, m->field_name, obj);
    }
    case OTS__QUERY_TYPE__TERMS_QUERY: {
        Ots__TermsQuery *m = UNPACK(q, TermsQuery, terms_query, b);
        o.op = OV_EQ;
        o.v = &v;
        for (size_t i = 0; m && i < m->n_terms; i++)
            if (!sq_variant(q, m->terms[i], &v) && ov_run(&o, path, m->field_name, obj))
                return true;
        return false;
    }
    case OTS__QUERY_TYPE__RANGE_QUERY: {
        Ots__RangeQuery *m = UNPACK(q, RangeQuery, range_query, b);
        if (!m)
            return false;
        bool has_lo = m->has_range_from && m->range_from.len;
        bool has_hi = m->has_range_to && m->range_to.len;
        if ((has_lo && sq_variant(q, m->range_from, &v)) ||
            (has_hi && sq_variant(q, m->range_to, &hi)))
            return false;
        o.op = OV_RANGE;
        o.v = has_lo ? &v : NULL;
        o.hi = has_hi ? &hi : NULL;
        o.incl_lo = m->has_include_lower && m->include_lower;
        o.incl_hi = m->has_include_upper && m->include_upper;
        return ov_run(&o, path, m->field_name, obj);
    }
    case OTS__QUERY_TYPE__EXISTS_QUERY: {
        Ots__ExistsQuery *m = UNPACK(q, ExistsQuery, exists_query, b);
        o.op = OV_EXISTS;
        return m && ov_run(&o, path, m->field_name, obj);
    }
    case OTS__QUERY_TYPE__PREFIX_QUERY:
    case OTS__QUERY_TYPE__WILDCARD_QUERY: {
        bool prefix = x->type == OTS__QUERY_TYPE__PREFIX_QUERY;
        Ots__PrefixQuery *p = prefix ? UNPACK(q, PrefixQuery, prefix_query, b) : NULL;
        Ots__WildcardQuery *w = prefix ? NULL : UNPACK(q, WildcardQuery, wildcard_query, b);
        if (!p && !w)
            return false;
        o.op = prefix ? OV_PREFIX : OV_GLOB;
        o.pat = prefix ? p->prefix : w->value;
        o.pat = o.pat ? o.pat : "";
        o.npat = strlen(o.pat);
        return ov_run(&o, path, prefix ? p->field_name : w->field_name, obj);
    }
    case OTS__QUERY_TYPE__MATCH_QUERY: {
        Ots__MatchQuery *m = UNPACK(q, MatchQuery, match_query, b);
        emu_str *tok;
        if (!m || !(o.ntok = query_tokens(q, m->field_name, m->text, &tok)))
            return false;
        o.op = OV_MATCH;
        o.tok = tok;
        o.seen = emu_arena_zalloc(q->a, o.ntok * sizeof *o.seen);
        ov_run(&o, path, m->field_name, obj);
        size_t got = 0, need = 1;
        for (size_t i = 0; i < o.ntok; i++)
            got += o.seen[i];
        if (m->has_operator_ && m->operator_ == OTS__QUERY_OPERATOR__QO_AND)
            need = o.ntok;
        else if (m->has_minimum_should_match && m->minimum_should_match > 0)
            need = (size_t)m->minimum_should_match;
        *score = (float)got;
        return got >= need;
    }
    case OTS__QUERY_TYPE__MATCH_PHRASE_QUERY: {
        Ots__MatchPhraseQuery *m = UNPACK(q, MatchPhraseQuery, match_phrase_query, b);
        emu_str *tok;
        if (!m || !m->text)
            return false;
        const ots_sfield *f = ots_search_field(q->def, m->field_name);
        if (!f || !(o.ntok = value_terms(q, f, m->text, &tok)))
            return false;
        o.op = OV_PHRASE;
        o.tok = tok;
        *score = (float)o.ntok;
        return ov_run(&o, path, m->field_name, obj);
    }
    case OTS__QUERY_TYPE__GEO_BOUNDING_BOX_QUERY:
    case OTS__QUERY_TYPE__GEO_DISTANCE_QUERY:
    case OTS__QUERY_TYPE__GEO_POLYGON_QUERY: {
        geo g;
        const char *field = NULL;
        if (geo_of(q, x, &field, &g))
            return false;
        o.op = OV_GEO;
        o.g = &g;
        return ov_run(&o, path, field, obj);
    }
    case OTS__QUERY_TYPE__CONST_SCORE_QUERY: {
        Ots__ConstScoreQuery *m = UNPACK(q, ConstScoreQuery, const_score_query, b);
        float s;
        return m && obj_eval(q, path, m->filter, obj, depth + 1, &s);
    }
    case OTS__QUERY_TYPE__BOOL_QUERY: {
        Ots__BoolQuery *m = UNPACK(q, BoolQuery, bool_query, b);
        float s, total = 0;
        if (!m)
            return false;
        for (size_t i = 0; i < m->n_must_queries; i++) {
            if (!obj_eval(q, path, m->must_queries[i], obj, depth + 1, &s))
                return false;
            total += s;
        }
        for (size_t i = 0; i < m->n_filter_queries; i++)
            if (!obj_eval(q, path, m->filter_queries[i], obj, depth + 1, &s))
                return false;
        for (size_t i = 0; i < m->n_must_not_queries; i++)
            if (obj_eval(q, path, m->must_not_queries[i], obj, depth + 1, &s))
                return false;
        /* Without must or filter clauses one should clause is needed even
         * when minimum_should_match is 0, as at the document level. */
        bool positive = m->n_must_queries || m->n_filter_queries;
        int32_t need = m->has_minimum_should_match ? m->minimum_should_match : 0;
        if (!positive && m->n_should_queries && need < 1)
            need = 1;
        int32_t got = 0;
        for (size_t i = 0; i < m->n_should_queries; i++)
            got += obj_eval(q, path, m->should_queries[i], obj, depth + 1, &s);
        *score = total + (float)got;
        return got >= need;
    }
    case OTS__QUERY_TYPE__NESTED_QUERY: {
        Ots__NestedQuery *m = UNPACK(q, NestedQuery, nested_query, b);
        nlist l;
        if (!m || !m->path)
            return false;
        objects_at(q, path, obj, m->path, &l);
        return match_objects(q, m, m->path, &l, depth + 1, score);
    }
    default:
        return false;
    }
}

typedef struct nfctx {
    qctx *q;
    const char *path;
    const Ots__Query *filter;
} nfctx;

static bool nf_keep(void *ud, const cJSON *obj)
{
    nfctx *c = ud;
    emu_err saved = *c->q->err; /* checked up front: a match never fails the query */
    float s;
    bool r = obj_eval(c->q, c->path, c->filter, obj, 0, &s);
    *c->q->err = saved;
    return r;
}

/* Whether x can match an object without matching any of its leaves at the
 * document level (a must_not somewhere): then the document-level query is
 * no superset of the matching documents. */
static bool has_negation(qctx *q, const Ots__Query *x, int depth)
{
    if (!x || !x->has_type || depth > EMU_MAX_OTS_SEARCH_QUERY_DEPTH)
        return false;
    ProtobufCBinaryData b = x->has_query ? x->query : (ProtobufCBinaryData){0, NULL};
    switch ((int)x->type) {
    case OTS__QUERY_TYPE__BOOL_QUERY: {
        Ots__BoolQuery *m = UNPACK(q, BoolQuery, bool_query, b);
        if (!m || m->n_must_not_queries)
            return true;
        for (size_t i = 0; i < m->n_must_queries; i++)
            if (has_negation(q, m->must_queries[i], depth + 1))
                return true;
        for (size_t i = 0; i < m->n_filter_queries; i++)
            if (has_negation(q, m->filter_queries[i], depth + 1))
                return true;
        for (size_t i = 0; i < m->n_should_queries; i++)
            if (has_negation(q, m->should_queries[i], depth + 1))
                return true;
        return false;
    }
    case OTS__QUERY_TYPE__CONST_SCORE_QUERY: {
        Ots__ConstScoreQuery *m = UNPACK(q, ConstScoreQuery, const_score_query, b);
        return !m || has_negation(q, m->filter, depth + 1);
    }
    case OTS__QUERY_TYPE__NESTED_QUERY: {
        Ots__NestedQuery *m = UNPACK(q, NestedQuery, nested_query, b);
        return !m || has_negation(q, m->query, depth + 1);
    }
    default:
        return false;
    }
}

/* The column's value of document d parsed (NULL when absent or no JSON). */
static cJSON *doc_json(qctx *q, const ots_sfield *f, const uint8_t *k, size_t klen)
{
    emu_str col = {f->column, strlen(f->column)};
    ots_read_opts o = {.max_versions = 1, .columns = &col, .n_columns = 1};
    ots_row_t row;
    if (!ots_store_get_by_key(q->t, k, klen, &o, q->a, &row))
        return NULL;
    for (size_t i = 0; i < row.n_attrs; i++) { /* newest version first */
        const ots_value *v = &row.attrs[i].value;
        if (row.attrs[i].has_value)
            return v->type == OTS_VT_STRING && v->len <= EMU_MAX_OTS_SEARCH_JSON_BYTES
                       ? cJSON_ParseWithLength((const char *)v->p, v->len)
                       : NULL;
    }
    return NULL;
}

static emu_rc ih_check(qctx *q, const char *path, const Ots__InnerHits *ih);

/* NestedQuery: the documents with an object of path that matches the query
 * whole. The document-level query (every clause over all the objects'
 * values) finds the candidates when it is a superset; each candidate's
 * objects are then tried one by one. */
static emu_rc q_nested(qctx *q, const Ots__NestedQuery *m, int depth, dset *out)
{
    const ots_sfield *f;
    emu_rc rc;
    if ((rc = sq_field_of(q, m->path, &f)))
        return rc;
    if (f->type != OTS_SF_NESTED)
        return sq_bad(q->err, "path:%s is not a Nested field.", m->path);
    if ((rc = nq_check(q, f->name, m->query, depth + 1)) ||
        (m->inner_hits && (rc = ih_check(q, f->name, m->inner_hits))))
        return rc;
    dset cand = {0};
    if ((rc = sq_eval(q, m->query, depth + 1, &cand)))
        return rc;
    if (has_negation(q, m->query, 0)) {
        sq_dfree(&cand);
        if ((rc = q_exists(q, f->name, &cand)))
            return rc;
    }
    for (size_t i = 0; i < cand.n; i++) {
        cJSON *j = doc_json(q, f, cand.d[i].k, cand.d[i].len);
        nlist l;
        float s;
        if (!j)
            continue;
        objects_at(q, NULL, j, f->name, &l);
        if (match_objects(q, m, f->name, &l, depth + 1, &s))
            dpush(q, out, cand.d[i].k, cand.d[i].len, s);
        cJSON_Delete(j);
        if (q->work > EMU_MAX_OTS_SEARCH_SCAN) {
            sq_dfree(&cand);
            return ots_fail(q->err, EMU_E_LIMIT, "OTSParameterInvalid",
                            "The query visits more than %d index entries; narrow it.",
                            EMU_MAX_OTS_SEARCH_SCAN); /* emulator cap */
        }
    }
    sq_dfree(&cand);
    return EMU_OK;
}

emu_rc sq_parse_sort(qctx *q, const Ots__Sort *sort, sorter **out, size_t *n)
{
    *n = 0;
    *out = NULL;
    if (!sort || !sort->n_sorter)
        return EMU_OK;
    if (sort->n_sorter > 8)
        return sq_bad(q->err, "At most 8 sorters.");
    sorter *v = emu_arena_zalloc(q->a, sort->n_sorter * sizeof *v);
    for (size_t i = 0; i < sort->n_sorter; i++) {
        const Ots__Sorter *s = sort->sorter[i];
        emu_rc rc;
        if (s->field_sort) {
            v[i].kind = 0;
            if ((rc = sq_field_of(q, s->field_sort->field_name, &v[i].f)))
                return rc;
            if (!v[i].f->sort_agg)
                return sq_bad(q->err, "field:%s must enable enable_sort_and_agg to be sorted on.",
                              v[i].f->name);
            v[i].desc = s->field_sort->has_order &&
                        s->field_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
            v[i].mode = s->field_sort->has_mode ? (int)s->field_sort->mode
                        : v[i].desc             ? OTS__SORT_MODE__SORT_MODE_MAX
                                                : OTS__SORT_MODE__SORT_MODE_MIN;
            if (s->field_sort->has_missing_value && s->field_sort->missing_value.len) {
                if ((rc = sq_variant(q, s->field_sort->missing_value, &v[i].missing)))
                    return rc;
                v[i].has_missing = true;
            }
            if (s->field_sort->missing_field) {
                if ((rc = sq_field_of(q, s->field_sort->missing_field, &v[i].mf)))
                    return rc;
                if (!v[i].mf->sort_agg)
                    return sq_bad(q->err,
                                  "field:%s must enable enable_sort_and_agg to be sorted on.",
                                  v[i].mf->name);
            }
            if (s->field_sort->nested_filter &&
                (rc = nested_filter_of(q, v[i].f, s->field_sort->nested_filter, &v[i].nf)))
                return rc;
        } else if (s->pk_sort) {
            v[i].kind = 1;
            v[i].desc =
                s->pk_sort->has_order && s->pk_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
        } else if (s->score_sort) {
            v[i].kind = 2;
            v[i].desc = !s->score_sort->has_order ||
                        s->score_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
        } else if (s->geo_distance_sort) {
            const Ots__GeoDistanceSort *g = s->geo_distance_sort;
            v[i].kind = 3;
            if ((rc = sq_field_of(q, g->field_name, &v[i].f)))
                return rc;
            if (!g->n_points || g->n_points > EMU_MAX_OTS_SEARCH_TERMS) /* [inferred] */
                return sq_bad(q->err, "GeoDistanceSort needs 1 to %d points.",
                              EMU_MAX_OTS_SEARCH_TERMS);
            v[i].np = g->n_points;
            v[i].plat = emu_arena_alloc(q->a, g->n_points * sizeof(double));
            v[i].plon = emu_arena_alloc(q->a, g->n_points * sizeof(double));
            for (size_t k = 0; k < g->n_points; k++)
                if ((rc = geo_point(q, g->points[k], &v[i].plat[k], &v[i].plon[k])))
                    return rc;
            v[i].desc = g->has_order && g->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
        } else if (s->doc_sort) {
            v[i].kind = 1; /* acsemu's documents are in PK order */
            v[i].desc =
                s->doc_sort->has_order && s->doc_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
        } else {
            return sq_bad(q->err, "A sorter needs one of field_sort, pk_sort, score_sort, "
                                  "geo_distance_sort.");
        }
    }
    *out = v;
    *n = sort->n_sorter;
    return EMU_OK;
}

/* The sort value of one field for one document (mode over array values). */
static ots_value sort_value(qctx *q, const sorter *s, const sdoc *d)
{
    ots_value none = {.type = OTS_VT_NULL};
    emu_str col = {s->f->column, strlen(s->f->column)};
    ots_read_opts o = {.max_versions = 1, .columns = &col, .n_columns = 1};
    ots_row_t row;
    if (!ots_store_get_by_key(q->t, d->k, d->len, &o, q->a, &row))
        row = (ots_row_t){0}; /* no value: missing_field, missing_value */
    ots_value *v;
    nfctx nc = {q, s->f->column, s->nf};
    size_t n = s->nf ? ots_search_values_where(s->f, &row, q->a, &v, nf_keep, &nc)
                     : ots_search_values(s->f, &row, q->a, &v);
    ots_value best = none;
    double sum = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        ots_value x = v[i];
        if (s->kind == 3) {
            double lat, lon;
            if (x.type != OTS_VT_STRING ||
                !ots_search_geo_parse((const char *)x.p, x.len, &lat, &lon))
                continue;
            double dist = INFINITY; /* to the nearest origin point */
            for (size_t k = 0; k < s->np; k++) {
                double dk = sq_haversine_m(s->plat[k], s->plon[k], lat, lon);
                dist = dk < dist ? dk : dist;
            }
            x = (ots_value){.type = OTS_VT_DOUBLE, .d = dist};
        } else if (s->f->type == OTS_SF_DATE && x.type == OTS_VT_STRING) {
            int64_t ms;
            if (!ots_search_date_parse(s->f, (const char *)x.p, x.len, &ms))
                continue;
            x = (ots_value){.type = OTS_VT_INTEGER, .i = ms};
        } else if (s->f->type == OTS_SF_DOUBLE && x.type == OTS_VT_INTEGER) {
            x = (ots_value){.type = OTS_VT_DOUBLE, .d = (double)x.i};
        }
        if (x.type == OTS_VT_DOUBLE || x.type == OTS_VT_INTEGER) {
            sum += x.type == OTS_VT_DOUBLE ? x.d : (double)x.i;
            cnt++;
        }
        int c = best.type == OTS_VT_NULL ? 1 : val_cmp(&x, &best);
        if (best.type == OTS_VT_NULL || (s->mode == OTS__SORT_MODE__SORT_MODE_MAX ? c > 0 : c < 0))
            best = x;
    }
    if (s->mode == OTS__SORT_MODE__SORT_MODE_AVG && cnt)
        best = (ots_value){.type = OTS_VT_DOUBLE, .d = sum / (double)cnt};
    if (best.type == OTS_VT_NULL && s->mf) {
        sorter alt = *s;
        alt.f = s->mf;
        alt.mf = NULL;
        return sort_value(q, &alt, d);
    }
    if (best.type == OTS_VT_NULL && s->has_missing)
        return s->missing;
    return best;
}

/* The columns a hit returns. */
static emu_rc read_opts(qctx *q, const Ots__ColumnsToGet *c, ots_read_opts *o)
{
    *o = (ots_read_opts){.max_versions = 1};
    int rt = c && c->has_return_type ? (int)c->return_type : OTS__COLUMN_RETURN_TYPE__RETURN_NONE;
    const ots_table_schema *s = ots_table_schema_of(q->t);
    emu_str *cols;
    switch (rt) {
    case OTS__COLUMN_RETURN_TYPE__RETURN_ALL:
        return EMU_OK;
    case OTS__COLUMN_RETURN_TYPE__RETURN_SPECIFIED:
        if (!c->n_column_names)
            return sq_bad(q->err, "column_names must not be empty with RETURN_SPECIFIED.");
        if (c->n_column_names > OTS_MAX_COLUMNS_TO_GET)
            return sq_bad(q->err, "Too many column_names: at most %d.", OTS_MAX_COLUMNS_TO_GET);
        cols = emu_arena_alloc(q->a, (c->n_column_names + 1) * sizeof *cols);
        for (size_t i = 0; i < c->n_column_names; i++)
            cols[i] = (emu_str){c->column_names[i], strlen(c->column_names[i])};
        /* the PK is always returned */
        cols[c->n_column_names] = (emu_str){s->pk[0].name, strlen(s->pk[0].name)};
        o->columns = cols;
        o->n_columns = c->n_column_names + 1;
        return EMU_OK;
    case OTS__COLUMN_RETURN_TYPE__RETURN_ALL_FROM_INDEX: {
        cols = emu_arena_alloc(q->a, (q->def->n_f + 1) * sizeof *cols);
        size_t n = 0;
        for (size_t i = 0; i < q->def->n_f; i++)
            if (!q->def->f[i].sub)
                cols[n++] = (emu_str){q->def->f[i].column, strlen(q->def->f[i].column)};
        cols[n++] = (emu_str){s->pk[0].name, strlen(s->pk[0].name)};
        o->columns = cols;
        o->n_columns = n;
        return EMU_OK;
    }
    case OTS__COLUMN_RETURN_TYPE__RETURN_NONE:
        cols = emu_arena_alloc(q->a, sizeof *cols);
        cols[0] = (emu_str){s->pk[0].name, strlen(s->pk[0].name)};
        o->columns = cols;
        o->n_columns = 1;
        return EMU_OK;
    default:
        return sq_bad(q->err, "Invalid return_type: %d.", rt);
    }
}

/* Sorts docs (pointers) in place by the sorters (PK order breaks ties). */
void sq_order_docs(qctx *q, const sorter *sorters, size_t ns, const sdoc **docs, size_t n)
{
    if (!ns || (ns == 1 && sorters[0].kind == 1 && !sorters[0].desc))
        return; /* PK order already */
    sort_key *keys = emu_xcalloc(n ? n : 1, sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        keys[i].d = docs[i];
        keys[i].v = emu_arena_zalloc(q->a, ns * sizeof(ots_value));
        for (size_t k = 0; k < ns; k++)
            keys[i].v[k] = sorters[k].kind == 0 || sorters[k].kind == 3
                               ? sort_value(q, &sorters[k], docs[i])
                               : (ots_value){.type = OTS_VT_NULL};
    }
    g_sorters = sorters;
    g_n_sorters = ns;
    qsort(keys, n, sizeof *keys, sk_cmp);
    for (size_t i = 0; i < n; i++)
        docs[i] = keys[i].d;
    free(keys);
}

bool sq_num_of(const ots_sfield *f, const ots_value *v, double *out)
{
    int64_t ms;
    switch (v->type) {
    case OTS_VT_INTEGER:
        *out = (double)v->i;
        return true;
    case OTS_VT_DOUBLE:
        *out = v->d;
        return true;
    case OTS_VT_STRING:
        if (f->type == OTS_SF_DATE && ots_search_date_parse(f, (const char *)v->p, v->len, &ms)) {
            *out = (double)ms;
            return true;
        }
        return false;
    default:
        return false;
    }
}

/* Keeps, in order, the first document of each value of field f (the
 * first value of an array; documents without one share the empty value);
 * returns how many are kept. */
static size_t collapse_docs(qctx *q, const ots_sfield *f, const sdoc **docs, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    emu_str *seen = emu_xcalloc(cap, sizeof *seen);
    emu_arena *scratch = emu_arena_new(0);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        emu_str col = {f->column, strlen(f->column)};
        ots_read_opts o = {.max_versions = 1, .columns = &col, .n_columns = 1};
        ots_row_t row = {0};
        ots_value *v = NULL;
        size_t nv = 0;
        if (ots_store_get_by_key(q->t, docs[i]->k, docs[i]->len, &o, scratch, &row))
            nv = ots_search_values(f, &row, scratch, &v);
        uint8_t kb[EMU_MAX_OTS_SEARCH_TERM_BYTES + 16];
        size_t kl = 1;
        kb[0] = nv ? (uint8_t)v[0].type : 0xff;
        if (nv && (v[0].type == OTS_VT_STRING || v[0].type == OTS_VT_BINARY)) {
            size_t l =
                v[0].len < EMU_MAX_OTS_SEARCH_TERM_BYTES ? v[0].len : EMU_MAX_OTS_SEARCH_TERM_BYTES;
            memcpy(kb + 1, v[0].p, l);
            kl += l;
        } else if (nv) {
            int64_t x = v[0].type == OTS_VT_BOOLEAN ? v[0].b : v[0].i;
            if (v[0].type == OTS_VT_DOUBLE)
                memcpy(&x, &v[0].d, 8);
            memcpy(kb + 1, &x, 8);
            kl += 8;
        }
        uint64_t h = 1469598103934665603ULL;
        for (size_t k = 0; k < kl; k++)
            h = (h ^ kb[k]) * 1099511628211ULL;
        size_t at = (size_t)h & (cap - 1);
        bool dup = false;
        while (seen[at].p && !dup) {
            dup = seen[at].len == kl && memcmp(seen[at].p, kb, kl) == 0;
            if (!dup)
                at = (at + 1) & (cap - 1);
        }
        if (!dup) {
            seen[at] = (emu_str){emu_arena_strndup(q->a, (const char *)kb, kl), kl};
            docs[kept++] = docs[i];
        }
        emu_arena_reset(scratch);
    }
    emu_arena_free(scratch);
    free(seen);
    return kept;
}

/* The stored rows of a page of documents, as PlainBuffer rows (columns
 * per `ro`); returns their bytes. */
static size_t page_rows(qctx *q, const sdoc *const *page, size_t np, const ots_read_opts *ro,
                        ProtobufCBinaryData *rows, size_t *n_rows)
{
    size_t bytes = 0;
    for (size_t i = 0; i < np; i++) {
        ots_row_t row;
        if (!ots_store_get_by_key(q->t, page[i]->k, page[i]->len, ro, q->a, &row))
            continue; /* (cannot happen: the index follows every write) */
        size_t len;
        uint8_t *pb = ots_plainbuffer_encode_row(&row, q->a, &len);
        bytes += len;
        rows[(*n_rows)++] = (ProtobufCBinaryData){len, pb};
    }
    return bytes;
}

/* "acsemu/1", the position to go on from (4 bytes, big-endian), then the
 * Sort message when there is one. */
static ProtobufCBinaryData next_token(qctx *q, size_t to, const Ots__Sort *sort)
{
    size_t sl = sort ? ots__sort__get_packed_size(sort) : 0;
    const size_t ml = sizeof TOKEN_MAGIC - 1;
    uint8_t *tok = emu_arena_alloc(q->a, ml + 4 + sl + 1);
    memcpy(tok, TOKEN_MAGIC, ml);
    tok[ml] = (uint8_t)(to >> 24);
    tok[ml + 1] = (uint8_t)(to >> 16);
    tok[ml + 2] = (uint8_t)(to >> 8);
    tok[ml + 3] = (uint8_t)to;
    if (sl)
        ots__sort__pack(sort, tok + ml + 4);
    return (ProtobufCBinaryData){ml + 4 + sl, tok};
}

/* ---- Highlight ------------------------------------------------------------------------- */

/* The query's terms per Text field (Match and MatchPhrase tokens under
 * the field's analyzer, Term and Terms strings), gathered from every part
 * of the query a document matches by: Bool must/filter/should, ConstScore,
 * FunctionScore, FunctionsScore (not must_not, not Nested: its fields are
 * inner hits'). */
typedef struct hl_term {
    const ots_sfield *f;
    emu_str t;
} hl_term;

typedef struct hl_terms {
    hl_term *d;
    size_t n;
} hl_terms;

static void hl_add(qctx *q, hl_terms *h, const ots_sfield *f, emu_str t)
{
    if (!h->d)
        h->d = emu_arena_alloc(q->a, EMU_MAX_OTS_SEARCH_TERMS * sizeof *h->d);
    if (h->n < EMU_MAX_OTS_SEARCH_TERMS && t.len)
        h->d[h->n++] = (hl_term){f, t};
}

static void hl_text(qctx *q, hl_terms *h, const char *field, const char *text)
{
    const ots_sfield *f = field ? ots_search_field(q->def, field) : NULL;
    if (!f || f->type != OTS_SF_TEXT || !text)
        return;
    emu_str *tok;
    size_t nt = ots_search_tokens(f, text, strlen(text), q->a, &tok);
    for (size_t i = 0; i < nt; i++)
        hl_add(q, h, f, tok[i]);
}

static void hl_strings(qctx *q, hl_terms *h, const char *field, const ProtobufCBinaryData *t,
                       size_t n)
{
    const ots_sfield *f = field ? ots_search_field(q->def, field) : NULL;
    if (!f || f->type != OTS_SF_TEXT)
        return;
    for (size_t i = 0; i < n; i++) {
        ots_value v;
        emu_err e = {0};
        if (!ots_plainbuffer_decode_variant(t[i].data, t[i].len, &v, &e) && v.type == OTS_VT_STRING)
            hl_add(q, h, f, (emu_str){(const char *)v.p, v.len});
    }
}

static void hl_collect(qctx *q, const Ots__Query *query, int depth, hl_terms *h)
{
    if (!query || !query->has_type || !query->has_query || depth > EMU_MAX_OTS_SEARCH_QUERY_DEPTH)
        return;
    ProtobufCBinaryData b = query->query;
    switch (query->type) {
    case OTS__QUERY_TYPE__MATCH_QUERY: {
        Ots__MatchQuery *m = UNPACK(q, MatchQuery, match_query, b);
        if (m)
            hl_text(q, h, m->field_name, m->text);
        break;
    }
    case OTS__QUERY_TYPE__MATCH_PHRASE_QUERY: {
        Ots__MatchPhraseQuery *m = UNPACK(q, MatchPhraseQuery, match_phrase_query, b);
        if (m)
            hl_text(q, h, m->field_name, m->text);
        break;
    }
    case OTS__QUERY_TYPE__TERM_QUERY: {
        Ots__TermQuery *m = UNPACK(q, TermQuery, term_query, b);
        if (m && m->has_term)
            hl_strings(q, h, m->field_name, &m->term, 1);
        break;
    }
    case OTS__QUERY_TYPE__TERMS_QUERY: {
        Ots__TermsQuery *m = UNPACK(q, TermsQuery, terms_query, b);
        if (m)
            hl_strings(q, h, m->field_name, m->terms, m->n_terms);
        break;
    }
    case OTS__QUERY_TYPE__BOOL_QUERY: {
        Ots__BoolQuery *m = UNPACK(q, BoolQuery, bool_query, b);
        if (!m)
            break;
        for (size_t i = 0; i < m->n_must_queries; i++)
            hl_collect(q, m->must_queries[i], depth + 1, h);
        for (size_t i = 0; i < m->n_filter_queries; i++)
            hl_collect(q, m->filter_queries[i], depth + 1, h);
        for (size_t i = 0; i < m->n_should_queries; i++)
            hl_collect(q, m->should_queries[i], depth + 1, h);
        break;
    }
    case OTS__QUERY_TYPE__CONST_SCORE_QUERY: {
        Ots__ConstScoreQuery *m = UNPACK(q, ConstScoreQuery, const_score_query, b);
        if (m)
            hl_collect(q, m->filter, depth + 1, h);
        break;
    }
    case OTS__QUERY_TYPE__FUNCTION_SCORE_QUERY: {
        Ots__FunctionScoreQuery *m = UNPACK(q, FunctionScoreQuery, function_score_query, b);
        if (m)
            hl_collect(q, m->query, depth + 1, h);
        break;
    }
    case OTS__QUERY_TYPE__FUNCTIONS_SCORE_QUERY: {
        Ots__FunctionsScoreQuery *m = UNPACK(q, FunctionsScoreQuery, functions_score_query, b);
        if (m)
            hl_collect(q, m->query, depth + 1, h);
        break;
    }
    default:
        break;
    }
}

/* One requested field, checked before the query runs. */
typedef struct hl_param {
    const ots_sfield *f;
    const char *pre, *post;
    size_t npre, npost;
    int nfrag;     /* 0: the whole value, highlighted */
    size_t size;   /* characters */
    bool by_score; /* fragments_order SCORE */
} hl_param;

typedef struct hl_spec {
    hl_param p[EMU_MAX_OTS_SEARCH_HL_FIELDS];
    size_t n;
    bool html;
    hl_terms terms;
} hl_spec;

/* Defaults as the service documents them: 5 fragments of 100 characters,
 * <em></em>, in text order. */
static emu_rc hl_parse(qctx *q, const Ots__Highlight *m, hl_spec *s)
{
    if (!m->n_highlight_parameters || m->n_highlight_parameters > EMU_MAX_OTS_SEARCH_HL_FIELDS)
        return sq_bad(q->err, "Highlight needs 1 to %d highlight parameters.",
                      EMU_MAX_OTS_SEARCH_HL_FIELDS); /* [inferred] text */
    s->html = m->has_highlight_encoder && m->highlight_encoder == 2;
    for (size_t i = 0; i < m->n_highlight_parameters; i++) {
        const Ots__HighlightParameter *hp = m->highlight_parameters[i];
        hl_param *p = &s->p[s->n++];
        emu_rc rc = sq_field_of(q, hp->field_name, &p->f);
        if (rc)
            return rc;
        if (p->f->type != OTS_SF_TEXT || !p->f->highlight) /* [inferred] text */
            return sq_bad(q->err,
                          "Highlight field:%s must be a Text field with enable_highlighting.",
                          p->f->name);
        for (size_t j = 0; j < i; j++)
            if (s->p[j].f == p->f)
                return sq_bad(q->err, "Highlight field:%s is given twice.", p->f->name);
        p->pre = hp->pre_tag ? hp->pre_tag : "<em>";
        p->post = hp->post_tag ? hp->post_tag : "</em>";
        p->npre = strlen(p->pre);
        p->npost = strlen(p->post);
        if (p->npre > EMU_MAX_OTS_SEARCH_HL_TAG || p->npost > EMU_MAX_OTS_SEARCH_HL_TAG)
            return sq_bad(q->err, "pre_tag and post_tag must be at most %d bytes.",
                          EMU_MAX_OTS_SEARCH_HL_TAG);
        int nf = hp->has_number_of_fragments ? hp->number_of_fragments : 5;
        int fs = hp->has_fragment_size ? hp->fragment_size : 100;
        if (nf < 0 || nf > EMU_MAX_OTS_SEARCH_HL_FRAGMENTS)
            return sq_bad(q->err, "number_of_fragments must be in [0, %d].",
                          EMU_MAX_OTS_SEARCH_HL_FRAGMENTS);
        if (fs < 1 || fs > EMU_MAX_OTS_SEARCH_HL_FRAGMENT)
            return sq_bad(q->err, "fragment_size must be in [1, %d].",
                          EMU_MAX_OTS_SEARCH_HL_FRAGMENT);
        p->nfrag = nf;
        p->size = (size_t)fs;
        p->by_score = hp->has_fragments_order && hp->fragments_order == 2;
    }
    return EMU_OK;
}

typedef struct hl_frag {
    char *s;
    size_t score, seq;
} hl_frag;

static int frag_by_score(const void *a, const void *b)
{
    const hl_frag *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int frag_by_seq(const void *a, const void *b)
{
    const hl_frag *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static size_t hl_put(char *o, const char *s, size_t n, bool html)
{
    if (!html) {
        memcpy(o, s, n);
        return n;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = s[i] == '&'    ? "&amp;"
                        : s[i] == '<'  ? "&lt;"
                        : s[i] == '>'  ? "&gt;"
                        : s[i] == '"'  ? "&quot;"
                        : s[i] == '\'' ? "&#x27;"
                        : s[i] == '/'  ? "&#x2F;"
                                       : NULL;
        if (e) {
            memcpy(o + k, e, strlen(e));
            k += strlen(e);
        } else {
            o[k++] = s[i];
        }
    }
    return k;
}

/* The fragment text: the bytes from..to with each matched span (merged
 * when they overlap, as n-grams do) between the tags. */
static char *hl_render(qctx *q, const hl_param *p, bool html, const char *text, size_t from,
                       size_t to, const uint32_t *mat, const uint32_t *mspan, size_t nm)
{
    char *o = emu_arena_alloc(q->a, (to - from) * 6 + nm * (p->npre + p->npost) + 1);
    size_t k = 0, at = from;
    for (size_t i = 0; i < nm; i++) {
        size_t s = mat[i], e = (size_t)mat[i] + mspan[i];
        while (i + 1 < nm && mat[i + 1] <= e) { /* overlapping or touching */
            i++;
            if ((size_t)mat[i] + mspan[i] > e)
                e = (size_t)mat[i] + mspan[i];
        }
        if (s < at)
            s = at;
        if (e > to)
            e = to;
        if (s >= e)
            continue;
        k += hl_put(o + k, text + at, s - at, html);
        memcpy(o + k, p->pre, p->npre);
        k += p->npre;
        k += hl_put(o + k, text + s, e - s, html);
        memcpy(o + k, p->post, p->npost);
        k += p->npost;
        at = e;
    }
    k += hl_put(o + k, text + at, to - at, html);
    o[k] = 0;
    return o;
}

static size_t u8_advance(const char *s, size_t at, size_t len, size_t chars)
{
    while (at < len && chars--) {
        at++;
        while (at < len && ((unsigned char)s[at] & 0xC0) == 0x80)
            at++;
    }
    return at;
}

/* Fragments of one value: each starts at a matched token not yet covered,
 * a little before it (at a token start, not before the previous fragment)
 * so the match sits near the middle of fragment_size characters, and ends
 * at the end of the last token that fits. Its score is the matched tokens
 * it holds. p->nfrag 0: the whole value is one fragment. */
static void hl_value(qctx *q, const hl_param *p, const hl_spec *s, const char *text, size_t len,
                     hl_frag *fr, size_t *nfr, size_t cap)
{
    emu_str *tok;
    uint32_t *at, *span;
    size_t nt = ots_search_token_spans(p->f, text, len, q->a, &tok, &at, &span);
    uint32_t *mat = emu_arena_alloc(q->a, (nt + 1) * sizeof *mat);
    uint32_t *msp = emu_arena_alloc(q->a, (nt + 1) * sizeof *msp);
    size_t *mtok = emu_arena_alloc(q->a, (nt + 1) * sizeof *mtok);
    size_t nm = 0;
    for (size_t i = 0; i < nt; i++)
        for (size_t j = 0; j < s->terms.n; j++) {
            const hl_term *t = &s->terms.d[j];
            if (t->f == p->f && t->t.len == tok[i].len && !memcmp(t->t.p, tok[i].p, t->t.len)) {
                mat[nm] = at[i];
                msp[nm] = span[i];
                mtok[nm++] = i;
                break;
            }
        }
    if (!nm || *nfr >= cap)
        return;
    if (p->nfrag == 0) {
        fr[*nfr] = (hl_frag){hl_render(q, p, s->html, text, 0, len, mat, msp, nm), nm, *nfr};
        ++*nfr;
        return;
    }
    size_t prev_end = 0, i = 0;
    while (i < nm && *nfr < cap) {
        size_t ti = mtok[i], mchars = 0;
        for (size_t b = at[ti]; b < (size_t)at[ti] + span[ti]; b = u8_advance(text, b, len, 1))
            mchars++;
        size_t pad = p->size > mchars ? (p->size - mchars) / 2 : 0;
        size_t st = ti;
        while (st > 0 && at[st - 1] >= prev_end && u8_advance(text, at[st - 1], len, pad) >= at[ti])
            st--;
        size_t from = at[st], lim = u8_advance(text, from, len, p->size);
        size_t to = (size_t)at[ti] + span[ti];
        for (size_t k = ti + 1; k < nt && at[k] < lim; k++)
            if ((size_t)at[k] + span[k] > to && (size_t)at[k] + span[k] <= lim)
                to = (size_t)at[k] + span[k];
        /* near the end of the value: fill the fragment with what precedes */
        while (st > 0 && at[st - 1] >= prev_end && u8_advance(text, at[st - 1], len, p->size) >= to)
            st--;
        from = at[st];
        size_t first = i;
        while (i < nm && mat[i] < to)
            i++;
        fr[*nfr] =
            (hl_frag){hl_render(q, p, s->html, text, from, to, mat + first, msp + first, i - first),
                      i - first, *nfr};
        ++*nfr;
        prev_end = to;
    }
}

/* One requested field's highlight over its values: its best
 * number_of_fragments fragments in text order (or best first with SCORE);
 * NULL without a match. */
static Ots__HighlightField *hl_field(qctx *q, const hl_param *p, const hl_spec *s,
                                     const ots_value *v, size_t nv)
{
    enum { CAP = EMU_MAX_OTS_SEARCH_HL_FRAGMENTS * 4 };
    hl_frag *fr = emu_arena_alloc(q->a, CAP * sizeof *fr);
    size_t nfr = 0;
    for (size_t k = 0; k < nv; k++)
        if (v[k].type == OTS_VT_STRING)
            hl_value(q, p, s, (const char *)v[k].p, v[k].len, fr, &nfr, CAP);
    if (!nfr)
        return NULL;
    size_t keep = nfr;
    if (p->nfrag) {
        qsort(fr, nfr, sizeof *fr, frag_by_score);
        keep = nfr < (size_t)p->nfrag ? nfr : (size_t)p->nfrag;
        if (!p->by_score)
            qsort(fr, keep, sizeof *fr, frag_by_seq);
    }
    Ots__HighlightField *hf = emu_arena_alloc(q->a, sizeof *hf);
    ots__highlight_field__init(hf);
    hf->field_name = p->f->name;
    hf->field_fragments = emu_arena_alloc(q->a, keep * sizeof *hf->field_fragments);
    for (size_t k = 0; k < keep; k++)
        hf->field_fragments[hf->n_field_fragments++] = fr[k].s;
    return hf;
}

/* The highlight of one hit: each requested field with a match. */
static Ots__HighlightResult *hl_hit(qctx *q, const hl_spec *s, const uint8_t *key, size_t klen)
{
    Ots__HighlightResult *r = emu_arena_alloc(q->a, sizeof *r);
    ots__highlight_result__init(r);
    r->highlight_fields = emu_arena_alloc(q->a, s->n * sizeof *r->highlight_fields);
    for (size_t i = 0; i < s->n; i++) {
        const hl_param *p = &s->p[i];
        emu_str col = {p->f->column, strlen(p->f->column)};
        ots_read_opts o = {.max_versions = 1, .columns = &col, .n_columns = 1};
        ots_row_t row;
        ots_value *v;
        size_t nv;
        if (!ots_store_get_by_key(q->t, key, klen, &o, q->a, &row) ||
            !(nv = ots_search_values(p->f, &row, q->a, &v)))
            continue;
        Ots__HighlightField *hf = hl_field(q, p, s, v, nv);
        if (hf)
            r->highlight_fields[r->n_highlight_fields++] = hf;
    }
    return r;
}

/* ---- Inner hits --------------------------------------------------------------------- */

/* A NestedQuery's inner_hits: the objects of its path that matched, per
 * hit, each with its offset in its array, its score, its highlight and the
 * inner hits of the NestedQuery nodes inside. Sorted by score, offset
 * (DocSort) or a field of the objects; 3 objects unless limit says. */
typedef struct ih_sorter {
    int kind; /* 0 field, 2 score, 4 doc */
    bool desc;
    const char *rel; /* field: its path inside the object */
    const ots_sfield *f;
} ih_sorter;

static emu_rc ih_sorters(qctx *q, const char *path, const Ots__Sort *sort, ih_sorter *v, size_t *n)
{
    *n = 0;
    if (!sort || !sort->n_sorter) { /* best first, then in array order [inferred] */
        v[(*n)++] = (ih_sorter){.kind = 2, .desc = true};
        v[(*n)++] = (ih_sorter){.kind = 4};
        return EMU_OK;
    }
    if (sort->n_sorter > 8)
        return sq_bad(q->err, "At most 8 sorters.");
    for (size_t i = 0; i < sort->n_sorter; i++) {
        const Ots__Sorter *s = sort->sorter[i];
        ih_sorter *o = &v[(*n)++];
        *o = (ih_sorter){0};
        if (s->score_sort) {
            o->kind = 2;
            o->desc = !s->score_sort->has_order || s->score_sort->order == 1;
        } else if (s->doc_sort) {
            o->kind = 4;
            o->desc = s->doc_sort->has_order && s->doc_sort->order == 1;
        } else if (s->field_sort) {
            emu_rc rc = sq_field_of(q, s->field_sort->field_name, &o->f);
            if (rc)
                return rc;
            size_t pl = strlen(path);
            if (strncmp(o->f->name, path, pl) || o->f->name[pl] != '.' ||
                strchr(o->f->name + pl + 1, '.'))
                return sq_bad(q->err, "field:%s must be a field of the objects of nested path:%s.",
                              o->f->name, path);
            o->rel = o->f->name + pl + 1;
            o->desc = s->field_sort->has_order && s->field_sort->order == 1;
        } else {
            return sq_unsupported(q->err, "An inner_hits sorter other than ScoreSort, DocSort or "
                                          "FieldSort");
        }
    }
    return EMU_OK;
}

static hl_spec *ih_highlight(qctx *q, const char *path, const Ots__Highlight *h, emu_rc *rc)
{
    hl_spec *s = emu_arena_zalloc(q->a, sizeof *s);
    if ((*rc = hl_parse(q, h, s)))
        return NULL;
    size_t pl = strlen(path);
    for (size_t i = 0; i < s->n; i++) {
        const char *name = s->p[i].f->name;
        if (strncmp(name, path, pl) || name[pl] != '.' || strchr(name + pl + 1, '.')) {
            *rc = sq_bad(q->err,
                         "Highlight field:%s must be a field of the objects of nested "
                         "path:%s.",
                         name, path);
            return NULL;
        }
    }
    return s;
}

static emu_rc ih_check(qctx *q, const char *path, const Ots__InnerHits *ih)
{
    ih_sorter v[8];
    size_t n;
    emu_rc rc = EMU_OK;
    if (ih->has_offset && ih->offset < 0)
        return sq_bad(q->err, "inner_hits offset must be >= 0.");
    if (ih->has_limit && (ih->limit < 0 || ih->limit > EMU_MAX_OTS_SEARCH_LIMIT))
        return sq_bad(q->err, "inner_hits limit must be in [0, %d].", EMU_MAX_OTS_SEARCH_LIMIT);
    if ((rc = ih_sorters(q, path, ih->sort, v, &n)))
        return rc;
    if (ih->highlight)
        ih_highlight(q, path, ih->highlight, &rc);
    return rc;
}

/* The first comparable value of a sorter's field in an object. */
typedef struct ih_val {
    const ots_sfield *f;
    double num;
    const char *s;
    bool have;
} ih_val;

static bool ih_first(void *ud, const cJSON *e, size_t idx)
{
    ih_val *v = ud;
    (void)idx;
    return v->have = obj_value(v->f, e, &v->num, &v->s);
}

static const ih_sorter *g_ih;
static size_t g_n_ih;

static int ih_cmp(const void *x, const void *y)
{
    const nobj *a = x, *b = y;
    for (size_t i = 0; i < g_n_ih; i++) {
        const ih_sorter *s = &g_ih[i];
        int c;
        if (s->kind == 2) {
            c = a->score < b->score ? -1 : a->score > b->score;
        } else if (s->kind == 4) {
            c = a->off < b->off ? -1 : a->off > b->off;
        } else {
            ih_val va = {.f = s->f}, vb = {.f = s->f};
            ots_search_obj_each(a->o, s->rel, ih_first, &va);
            ots_search_obj_each(b->o, s->rel, ih_first, &vb);
            if (!va.have || !vb.have) { /* missing last in either order */
                if (va.have != vb.have)
                    return va.have ? -1 : 1;
                continue;
            }
            c = va.s && vb.s ? strcmp(va.s, vb.s) : (va.num > vb.num) - (va.num < vb.num);
        }
        if (c)
            return s->desc ? -c : c;
    }
    return (a->off > b->off) - (a->off < b->off);
}

typedef struct ih_strs {
    qctx *q;
    ots_value *v;
    size_t n, cap;
} ih_strs;

static bool ih_str(void *ud, const cJSON *e, size_t idx)
{
    ih_strs *l = ud;
    (void)idx;
    if (!cJSON_IsString(e))
        return false;
    l->v = emu_arena_grow(l->q->a, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n++] = (ots_value){
        .type = OTS_VT_STRING, .p = (const uint8_t *)e->valuestring, .len = strlen(e->valuestring)};
    return false;
}

/* The highlight of one object. */
static Ots__HighlightResult *ih_hl(qctx *q, const hl_spec *s, const char *path, const cJSON *obj)
{
    Ots__HighlightResult *r = emu_arena_alloc(q->a, sizeof *r);
    ots__highlight_result__init(r);
    r->highlight_fields = emu_arena_alloc(q->a, s->n * sizeof *r->highlight_fields);
    for (size_t i = 0; i < s->n; i++) {
        ih_strs l = {q, NULL, 0, 0};
        ots_search_obj_each(obj, s->p[i].f->name + strlen(path) + 1, ih_str, &l);
        Ots__HighlightField *hf = hl_field(q, &s->p[i], s, l.v, l.n);
        if (hf)
            r->highlight_fields[r->n_highlight_fields++] = hf;
    }
    return r;
}

typedef struct ih_list {
    Ots__SearchInnerHit **d;
    size_t n, cap;
} ih_list;

static void ih_collect(qctx *q, const Ots__Query *x, const char *base, const cJSON *obj,
                       const sdoc *doc, int depth, ih_list *out);

/* The inner hit of NestedQuery m over the objects below obj (base NULL: the
 * document's column). Checked already by q_nested. */
static void ih_one(qctx *q, const Ots__NestedQuery *m, const char *base, const cJSON *obj,
                   const sdoc *doc, int depth, ih_list *out)
{
    const Ots__InnerHits *ih = m->inner_hits;
    const ots_sfield *f = ots_search_field(q->def, m->path);
    cJSON *root = NULL;
    if (!f)
        return;
    if (!base && !(root = doc_json(q, f, doc->k, doc->len)))
        return;
    nlist l;
    float s;
    objects_at(q, base, base ? obj : root, f->name, &l);
    match_objects(q, m, f->name, &l, depth + 1, &s);
    ih_sorter v[8];
    size_t nv;
    emu_rc rc = ih_sorters(q, f->name, ih->sort, v, &nv);
    hl_spec *hl = ih->highlight && !rc ? ih_highlight(q, f->name, ih->highlight, &rc) : NULL;
    if (hl)
        hl_collect(q, m->query, 0, &hl->terms);
    g_ih = v;
    g_n_ih = nv;
    qsort(l.d, l.n, sizeof *l.d, ih_cmp);
    size_t from = ih->has_offset && ih->offset > 0 ? (size_t)ih->offset : 0;
    size_t lim = ih->has_limit ? (size_t)ih->limit : 3;
    from = from < l.n ? from : l.n;
    size_t to = l.n - from < lim ? l.n : from + lim;

    Ots__SearchInnerHit *h = emu_arena_alloc(q->a, sizeof *h);
    ots__search_inner_hit__init(h);
    h->path = f->name;
    h->search_hits = emu_arena_alloc(q->a, (to - from + 1) * sizeof *h->search_hits);
    for (size_t i = from; i < to; i++) {
        Ots__SearchHit *sh = emu_arena_alloc(q->a, sizeof *sh);
        ots__search_hit__init(sh);
        sh->has_score = sh->has_nested_doc_offset = true;
        sh->score = l.d[i].score;
        sh->nested_doc_offset = l.d[i].off;
        if (hl)
            sh->highlight_result = ih_hl(q, hl, f->name, l.d[i].o);
        ih_list sub = {0};
        ih_collect(q, m->query, f->name, l.d[i].o, doc, depth + 1, &sub);
        sh->search_inner_hits = sub.d;
        sh->n_search_inner_hits = sub.n;
        h->search_hits[h->n_search_hits++] = sh;
    }
    out->d = emu_arena_grow(q->a, out->d, out->n, &out->cap, sizeof *out->d);
    out->d[out->n++] = h;
    cJSON_Delete(root);
}

/* The inner hits of the NestedQuery nodes of x that ask for them (not
 * under must_not), for one document or one object. */
static void ih_collect(qctx *q, const Ots__Query *x, const char *base, const cJSON *obj,
                       const sdoc *doc, int depth, ih_list *out)
{
    if (!x || !x->has_type || !x->has_query || depth > EMU_MAX_OTS_SEARCH_QUERY_DEPTH)
        return;
    ProtobufCBinaryData b = x->query;
    switch ((int)x->type) {
    case OTS__QUERY_TYPE__BOOL_QUERY: {
        Ots__BoolQuery *m = UNPACK(q, BoolQuery, bool_query, b);
        if (!m)
            return;
        for (size_t i = 0; i < m->n_must_queries; i++)
            ih_collect(q, m->must_queries[i], base, obj, doc, depth + 1, out);
        for (size_t i = 0; i < m->n_filter_queries; i++)
            ih_collect(q, m->filter_queries[i], base, obj, doc, depth + 1, out);
        for (size_t i = 0; i < m->n_should_queries; i++)
            ih_collect(q, m->should_queries[i], base, obj, doc, depth + 1, out);
        return;
    }
    case OTS__QUERY_TYPE__CONST_SCORE_QUERY: {
        Ots__ConstScoreQuery *m = UNPACK(q, ConstScoreQuery, const_score_query, b);
        if (m)
            ih_collect(q, m->filter, base, obj, doc, depth + 1, out);
        return;
    }
    case OTS__QUERY_TYPE__FUNCTION_SCORE_QUERY: {
        Ots__FunctionScoreQuery *m = UNPACK(q, FunctionScoreQuery, function_score_query, b);
        if (m)
            ih_collect(q, m->query, base, obj, doc, depth + 1, out);
        return;
    }
    case OTS__QUERY_TYPE__FUNCTIONS_SCORE_QUERY: {
        Ots__FunctionsScoreQuery *m = UNPACK(q, FunctionsScoreQuery, functions_score_query, b);
        if (m)
            ih_collect(q, m->query, base, obj, doc, depth + 1, out);
        return;
    }
    case OTS__QUERY_TYPE__NESTED_QUERY: {
        Ots__NestedQuery *m = UNPACK(q, NestedQuery, nested_query, b);
        if (m && m->inner_hits && m->path)
            ih_one(q, m, base, obj, doc, depth, out);
        return;
    }
    default:
        return;
    }
}

emu_rc ots_search(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__SearchRequest *m = r->msg;
    ots_table_t *t;
    ots_search_def *def;
    emu_rc rc = find_index(call, m->table_name, m->index_name, &t, &def);
    if (rc)
        return rc;
    qctx q = {call, call->arena, def, t, &call->err, 0, 0};
    if (!m->has_search_query)
        return sq_bad(&call->err, "search_query is required.");
    Ots__SearchQuery *sq = UNPACK(&q, SearchQuery, search_query, m->search_query);
    if (!sq)
        return EMU_E_INVALID;
    const ots_sfield *collapse = NULL;
    if (sq->collapse && (rc = sq_field_of(&q, sq->collapse->field_name, &collapse)))
        return rc;
    if (collapse && (collapse->type == OTS_SF_TEXT || collapse->type == OTS_SF_NESTED ||
                     collapse->type == OTS_SF_GEO_POINT || collapse->array))
        return sq_bad(&call->err,
                      "Collapse field:%s must be a Long, Double, Keyword, Date or "
                      "Boolean field and not an array.",
                      collapse->name); /* [inferred] text */
    hl_spec *hl = NULL;
    if (sq->highlight) {
        hl = emu_arena_alloc(call->arena, sizeof *hl);
        memset(hl, 0, sizeof *hl);
        if ((rc = hl_parse(&q, sq->highlight, hl)))
            return rc;
    }

    int64_t offset = sq->has_offset ? sq->offset : 0;
    int64_t limit = sq->has_limit ? sq->limit : -1;
    const Ots__Sort *sort = sq->sort;
    if (sq->has_token && sq->token.len) {
        const size_t ml = sizeof TOKEN_MAGIC - 1;
        if (sq->token.len < ml + 4 || memcmp(sq->token.data, TOKEN_MAGIC, ml))
            return sq_bad(&call->err, "Invalid next token."); /* [inferred] text */
        const uint8_t *p = sq->token.data + ml;
        offset =
            (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        ProtobufCBinaryData sb = {sq->token.len - ml - 4, (uint8_t *)p + 4};
        sort = sb.len ? UNPACK(&q, Sort, sort, sb) : NULL;
        if (sb.len && !sort)
            return EMU_E_INVALID;
    } else if (offset < 0) {
        return sq_bad(&call->err, "offset must be >= 0.");
    }
    if (limit < 0)
        limit = sq->has_limit ? 0 : 10;
    if (limit > EMU_MAX_OTS_SEARCH_LIMIT) /* [inferred] text */
        return sq_bad(&call->err, "The limit must be in [0, %d].", EMU_MAX_OTS_SEARCH_LIMIT);
    if (!(sq->has_token && sq->token.len) && offset + limit > EMU_MAX_OTS_SEARCH_WINDOW)
        return sq_bad(&call->err,
                      "The sum of offset and limit must not exceed %d; use the next "
                      "token to read further.",
                      EMU_MAX_OTS_SEARCH_WINDOW);
    sorter *sorters;
    size_t ns;
    if ((rc = sq_parse_sort(&q, sort, &sorters, &ns)))
        return rc;
    /* Scoring queries without a sort come best first, as the service
     * answers them (the SDK's own tests rely on it); others in the index's
     * IndexSort (default: primary key). */
    static const sorter by_score = {.kind = 2, .desc = true};
    if (!ns && sq->query && sq->query->has_type &&
        (sq->query->type == OTS__QUERY_TYPE__FUNCTIONS_SCORE_QUERY ||
         sq->query->type == OTS__QUERY_TYPE__KNN_VECTOR_QUERY)) {
        sorters = (sorter *)&by_score;
        ns = 1;
    } else if (!ns) {
        Ots__IndexSchema *is = ots_pb_unpack(&ots__index_schema__descriptor, def->schema,
                                             def->schema_len, call->arena, &call->err);
        if (is && is->index_sort && (rc = sq_parse_sort(&q, is->index_sort, &sorters, &ns)))
            return rc;
    }
    ots_read_opts ro;
    if ((rc = read_opts(&q, m->columns_to_get, &ro)))
        return rc;

    q.min_top_k = (size_t)limit;
    dset res = {0};
    if (sq->query) {
        if ((rc = sq_eval(&q, sq->query, 0, &res))) {
            if (!call->err.code) /* a protobuf decoding failure */
                call->err.code = "OTSParameterInvalid";
            return rc;
        }
    } else if ((rc = all_docs(&q, &res))) {
        sq_dfree(&res);
        return rc;
    }
    if (hl) /* the query decoded whole: its parts unpack again */
        hl_collect(&q, sq->query, 0, &hl->terms);

    /* Order: PK order already, unless sorted otherwise; then the first
     * document of each collapse value. The total counts every match. */
    size_t total = res.n, n_docs = res.n;
    const sdoc **all = NULL;
    if (collapse || (ns && !(ns == 1 && sorters[0].kind == 1 && !sorters[0].desc))) {
        all = emu_xcalloc(total ? total : 1, sizeof *all);
        for (size_t i = 0; i < total; i++)
            all[i] = &res.d[i];
        sq_order_docs(&q, sorters, ns, all, total);
        if (collapse)
            n_docs = collapse_docs(&q, collapse, all, total);
    }
    size_t from = (size_t)offset < n_docs ? (size_t)offset : n_docs;
    size_t to = from + (size_t)limit < n_docs ? from + (size_t)limit : n_docs;
    const sdoc **page = emu_arena_alloc(call->arena, (to - from + 1) * sizeof *page);
    for (size_t i = from; i < to; i++)
        page[i - from] = all ? all[i] : &res.d[i];
    free(all);

    Ots__SearchResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__search_response__init(resp);
    resp->has_total_hits = resp->has_is_all_succeeded = true;
    resp->total_hits = sq->has_gettotalcount && sq->gettotalcount ? (int64_t)total : -1;
    resp->is_all_succeeded = true;
    size_t np = to - from;
    resp->rows = emu_arena_alloc(call->arena, (np + 1) * sizeof *resp->rows);
    resp->search_hits = emu_arena_alloc(call->arena, (np + 1) * sizeof *resp->search_hits);
    size_t bytes = page_rows(&q, page, np, &ro, resp->rows, &resp->n_rows);
    for (size_t i = 0; i < resp->n_rows; i++) {
        Ots__SearchHit *h = emu_arena_alloc(call->arena, sizeof *h);
        ots__search_hit__init(h);
        h->has_score = true;
        h->score = page[i]->score;
        if (hl)
            h->highlight_result = hl_hit(&q, hl, page[i]->k, page[i]->len);
        ih_list ih = {0};
        ih_collect(&q, sq->query, NULL, NULL, page[i], 0, &ih);
        h->search_inner_hits = ih.d;
        h->n_search_inner_hits = ih.n;
        resp->search_hits[resp->n_search_hits++] = h;
    }
    /* An index with Nested fields has no IndexSort: a search of it without
     * a sort gets no next token (the Python SDK's own search_index_test:
     * 100 of 201 hits, no token). */
    bool nested = !ns && ots_search_has_nested(def);
    /* A KNN search pages like the service's partitions do: a full page has
     * a next token, the page after the last neighbour is empty (the Python
     * SDK's own search_index_test: 100 rows and a token for limit 100)
     * [inferred]. */
    bool knn =
        sq->query && sq->query->has_type && sq->query->type == OTS__QUERY_TYPE__KNN_VECTOR_QUERY;
    if ((to < n_docs || (knn && np == (size_t)limit)) && limit > 0 && to <= UINT32_MAX && !nested) {
        resp->has_next_token = true;
        resp->next_token = next_token(&q, to, sort);
    }
    if ((rc = sq_search_aggs(&q, &res, sq, &ro, resp))) {
        sq_dfree(&res);
        return rc;
    }
    resp->consumed = ots_consumed(call->arena, ots_cu(bytes) ? ots_cu(bytes) : 1, 0);
    sq_dfree(&res);
    r->resp = &resp->base;
    return EMU_OK;
}

/* ---- ComputeSplits, ParallelScan ------------------------------------------------ */

/* One split per index (acsemu's indexes are one partition). The session id
 * names the index and its creation time, so a scan of a recreated index is
 * refused. */
static ProtobufCBinaryData session_of(emu_call *call, const ots_search_def *d)
{
    char *sid =
        emu_arena_sprintf(call->arena, "acsemu-scan/%s/%lld", d->name, (long long)d->created_ms);
    return (ProtobufCBinaryData){strlen(sid), (uint8_t *)sid};
}

emu_rc ots_compute_splits(emu_call *call)
{
    /* Texts and codes as the Python SDK's own parallel_scan_test expects
     * them of the service (not the data plane's OTSObjectNotExist). */
    const Ots__ComputeSplitsRequest *m = ots_req_of(call)->msg;
    ots_req *r = ots_req_of(call);
    if (!m->search_index_splits_options)
        return sq_bad(&call->err, "[search index splits options] must not be null");
    const char *table = m->table_name ? m->table_name : "";
    const char *index = m->search_index_splits_options->index_name;
    if (!ots_store_table_find(r->instance, table))
        return sq_bad(&call->err, "table [%s] does not exist", table);
    ots_search_def *def = index ? ots_search_find(r->instance, table, index) : NULL;
    if (!def)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSMetaNotMatch",
                        "search index [%s] does not exist", index ? index : "");
    Ots__ComputeSplitsResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__compute_splits_response__init(resp);
    resp->has_session_id = resp->has_splits_size = true;
    resp->session_id = session_of(call, def);
    resp->splits_size = 1;
    ots_req_of(call)->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_parallel_scan(emu_call *call)
{
    const Ots__ParallelScanRequest *m = ots_req_of(call)->msg;
    ots_table_t *t;
    ots_search_def *def;
    emu_rc rc = find_index(call, m->table_name, m->index_name, &t, &def);
    if (rc)
        return rc;
    qctx q = {call, call->arena, def, t, &call->err, 0, 0};
    const Ots__ScanQuery *sq = m->scan_query;
    if (!sq) /* [inferred] texts from here on */
        return sq_bad(&call->err, "scan_query is required.");
    ProtobufCBinaryData want = session_of(call, def);
    if (m->has_session_id && m->session_id.len &&
        (m->session_id.len != want.len || memcmp(m->session_id.data, want.data, want.len)))
        return ots_fail(&call->err, EMU_E_INVALID, "OTSSessionExpired",
                        "The session id is invalid or has expired; call ComputeSplits again.");
    /* ComputeSplits gives one split; the texts are the service's (the
     * Python SDK's own parallel_scan_test), "(0 ,1]" included. */
    int32_t max_parallel = sq->has_max_parallel ? sq->max_parallel : 1;
    int32_t id = sq->has_current_parallel_id ? sq->current_parallel_id : 0;
    if (max_parallel <= 0 || max_parallel > 1)
        return sq_bad(&call->err,
                      "[parallel_scan.max_parallel_id] must in (0 ,1], current max_parallel_id is "
                      "%d",
                      max_parallel);
    if (id < 0 || id >= max_parallel)
        return sq_bad(&call->err,
                      "[parallel_scan.current_parallel_id] must in [0, max_parallel), current "
                      "max_parallel is %d, current_parallel_id is %d",
                      max_parallel, id);
    int32_t limit = sq->has_limit ? sq->limit : EMU_MAX_OTS_SEARCH_LIMIT;
    if (limit <= 0 || limit > EMU_MAX_OTS_SCAN_LIMIT)
        return sq_bad(&call->err, "The limit must be in [1, %d].", EMU_MAX_OTS_SCAN_LIMIT);
    if (m->columns_to_get && m->columns_to_get->has_return_type &&
        m->columns_to_get->return_type == OTS__COLUMN_RETURN_TYPE__RETURN_ALL)
        return sq_bad(&call->err, "ParallelScan does not support RETURN_ALL; use "
                                  "RETURN_ALL_FROM_INDEX or RETURN_SPECIFIED.");
    size_t from = 0;
    if (sq->has_token && sq->token.len) {
        const size_t ml = sizeof TOKEN_MAGIC - 1;
        if (sq->token.len != ml + 4 || memcmp(sq->token.data, TOKEN_MAGIC, ml))
            return sq_bad(&call->err, "Invalid next token.");
        const uint8_t *p = sq->token.data + ml;
        from = (size_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    }
    ots_read_opts ro;
    if ((rc = read_opts(&q, m->columns_to_get, &ro)))
        return rc;
    dset res = {0};
    if (sq->query) {
        if ((rc = sq_eval(&q, sq->query, 0, &res))) {
            if (!call->err.code)
                call->err.code = "OTSParameterInvalid";
            return rc;
        }
    } else if ((rc = all_docs(&q, &res))) {
        sq_dfree(&res);
        return rc;
    }
    size_t total = res.n;
    if (from > total)
        from = total;
    size_t to = from + (size_t)limit < total ? from + (size_t)limit : total;
    const sdoc **page = emu_arena_alloc(call->arena, (to - from + 1) * sizeof *page);
    for (size_t i = from; i < to; i++)
        page[i - from] = &res.d[i];
    Ots__ParallelScanResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__parallel_scan_response__init(resp);
    resp->rows = emu_arena_alloc(call->arena, (to - from + 1) * sizeof *resp->rows);
    page_rows(&q, page, to - from, &ro, resp->rows, &resp->n_rows);
    /* Every page with rows carries a token, the last one too; the page
     * after it is empty and has none (the Python SDK's own
     * parallel_scan_test reads 70, 30, then 0 rows of 100). */
    if (to > from && to <= UINT32_MAX) {
        resp->has_next_token = true;
        resp->next_token = next_token(&q, to, NULL);
    }
    sq_dfree(&res);
    ots_req_of(call)->resp = &resp->base;
    return EMU_OK;
}
