/* Aggregations and group-bys of a Search (ots_search_q.h): avg, max, min,
 * sum, count, distinct count, percentiles and top rows; group-bys by field,
 * range, filter, geo distance, histogram, date histogram, geohash grid and
 * composite, each with sub-aggregations and sub-group-bys, computed from
 * the rows of the matching documents. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_search_q.h"

/* ---- Aggregations and group-bys ---------------------------------------------------------- */

/* Everything here reads each document's values from its row: O(documents)
 * row reads per aggregation (acsemu keeps no column store). Rows are read
 * into a scratch arena reset per document. */

#define PACK(a, lower, m, out)                                                                     \
    do {                                                                                           \
        size_t len_ = ots__##lower##__get_packed_size(m);                                          \
        uint8_t *buf_ = emu_arena_alloc((a), len_ + 1);                                            \
        ots__##lower##__pack((m), buf_);                                                           \
        (out) = (ProtobufCBinaryData){len_, buf_};                                                 \
    } while (0)

typedef struct aggctx {
    qctx *q;
    const ots_read_opts *ro; /* the Search's columns_to_get: what top rows return */
    emu_arena *scratch;
    /* The top level's documents are every document of the index (a
     * MatchAll or no query): a histogram may count from the postings. */
    bool all;
} aggctx;

/* The values of f in one document (in the scratch arena). */
static size_t doc_vals(aggctx *c, const ots_sfield *f, const sdoc *d, ots_value **v)
{
    emu_str col = {f->column, strlen(f->column)};
    ots_read_opts o = {.max_versions = 1, .columns = &col, .n_columns = 1};
    ots_row_t row;
    emu_arena_reset(c->scratch);
    if (!ots_store_get_by_key(c->q->t, d->k, d->len, &o, c->scratch, &row))
        return 0;
    return ots_search_values(f, &row, c->scratch, v);
}

/* The numbers of f over docs (missing: `missing` when set), in `a`. */
static size_t numbers(aggctx *c, const ots_sfield *f, const sdoc *const *docs, size_t n,
                      const ots_value *missing, double **out)
{
    size_t cnt = 0, cap = 64;
    double *v = emu_xcalloc(cap, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        ots_value *x;
        size_t nx = doc_vals(c, f, docs[i], &x);
        size_t got = 0;
        for (size_t k = 0; k <= nx; k++) {
            double d;
            const ots_value *y = k < nx ? &x[k] : (!got && missing ? missing : NULL);
            if (!y || !sq_num_of(f, y, &d))
                continue;
            if (cnt == cap)
                v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
            v[cnt++] = d;
            got++;
        }
    }
    *out = v;
    return cnt;
}

static int dbl_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static int str_cmp(const void *x, const void *y)
{
    const emu_str *a = x, *b = y;
    return sq_kcmp((const uint8_t *)a->p, a->len, (const uint8_t *)b->p, b->len);
}

/* A value as group key text: strings as they are, numbers in decimal. */
static emu_str key_text(emu_arena *a, const ots_sfield *f, const ots_value *v)
{
    double d;
    if (v->type == OTS_VT_STRING && f->type != OTS_SF_DATE)
        return (emu_str){emu_arena_strndup(a, (const char *)v->p, v->len), v->len};
    if (v->type == OTS_VT_BOOLEAN)
        return v->b ? EMU_STR_LIT("true") : EMU_STR_LIT("false");
    if (v->type == OTS_VT_INTEGER || (f->type == OTS_SF_DATE && sq_num_of(f, v, &d))) {
        char *s = emu_arena_sprintf(a, "%lld",
                                    (long long)(v->type == OTS_VT_INTEGER ? v->i : (int64_t)d));
        return (emu_str){s, strlen(s)};
    }
    if (v->type == OTS_VT_DOUBLE) {
        char *s = emu_arena_sprintf(a, "%.17g", v->d);
        return (emu_str){s, strlen(s)};
    }
    return (emu_str){NULL, 0};
}

static emu_rc missing_of(qctx *q, bool has, ProtobufCBinaryData b, ots_value *v, bool *set)
{
    *set = has && b.len;
    return *set ? sq_variant(q, b, v) : EMU_OK;
}

static emu_rc gbs_eval(aggctx *c, const sdoc *const *docs, size_t n, const Ots__GroupBys *g,
                       int depth, Ots__GroupBysResult **out);

/* The field types an aggregation takes, as the Python SDK's own agg_test
 * expects the service to check them: avg, max, min, sum and percentiles
 * numbers (Long, Double; Date [inferred]), count and distinct count
 * anything but Text. [inferred] texts. */
static emu_rc agg_field_ok(qctx *q, int type, const ots_sfield *f)
{
    static const char *const names[] = {"",      "Avg",           "Max",     "Min",        "Sum",
                                        "Count", "DistinctCount", "TopRows", "Percentiles"};
    bool number = f->type == OTS_SF_LONG || f->type == OTS_SF_DOUBLE || f->type == OTS_SF_DATE;
    if ((type == 5 || type == 6) && (f->type == OTS_SF_TEXT || f->type == OTS_SF_NESTED))
        return sq_bad(q->err, "%sAggregation cannot aggregate field:%s of type Text or Nested.",
                      names[type], f->name);
    if (type != 5 && type != 6 && !number)
        return sq_bad(q->err,
                      "%sAggregation needs a Long, Double or Date field; field:%s is not one.",
                      names[type], f->name);
    return EMU_OK;
}

static emu_rc aggs_eval(aggctx *c, const sdoc *const *docs, size_t n, const Ots__Aggregations *aggs,
                        int depth, Ots__AggregationsResult **out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    *out = NULL;
    if (!aggs || !aggs->n_aggs)
        return EMU_OK;
    if (depth > EMU_MAX_OTS_SEARCH_QUERY_DEPTH || aggs->n_aggs > EMU_MAX_OTS_SEARCH_AGGS)
        return sq_bad(q->err, "Too many or too deeply nested aggregations (at most %d).",
                      EMU_MAX_OTS_SEARCH_AGGS);
    Ots__AggregationsResult *r = emu_arena_alloc(a, sizeof *r);
    ots__aggregations_result__init(r);
    r->agg_results = emu_arena_alloc(a, aggs->n_aggs * sizeof *r->agg_results);
    for (size_t i = 0; i < aggs->n_aggs; i++) {
        const Ots__Aggregation *ag = aggs->aggs[i];
        ProtobufCBinaryData body = ag->has_body ? ag->body : (ProtobufCBinaryData){0, NULL};
        Ots__AggregationResult *ar = emu_arena_alloc(a, sizeof *ar);
        ots__aggregation_result__init(ar);
        ar->name = ag->name ? ag->name : (char *)"";
        ar->has_type = ag->has_type;
        ar->type = ag->type;
        ar->has_agg_result = true;
        emu_rc rc;
        int type = ag->has_type ? ag->type : 0;
        if (type >= 1 && type <= 6) {
            Ots__FieldAggregation *m = UNPACK(q, FieldAggregation, field_aggregation, body);
            const ots_sfield *f;
            ots_value miss;
            bool has_miss;
            if (!m)
                return EMU_E_INVALID;
            if ((rc = sq_field_of(q, m->field_name, &f)) ||
                (rc = missing_of(q, m->has_missing, m->missing, &miss, &has_miss)))
                return rc;
            if ((rc = agg_field_ok(q, type, f)))
                return rc;
            if (type == 6 || (type == 5 && f->type != OTS_SF_LONG && f->type != OTS_SF_DOUBLE &&
                              f->type != OTS_SF_DATE)) {
                /* values as text: count, or count the distinct ones */
                size_t cnt = 0, cap = 64;
                emu_str *v = emu_xcalloc(cap, sizeof *v);
                for (size_t k = 0; k < n; k++) {
                    ots_value *x;
                    size_t nx = doc_vals(c, f, docs[k], &x);
                    for (size_t j = 0; j < nx || (!nx && has_miss && j == 0); j++) {
                        emu_str t = key_text(a, f, j < nx ? &x[j] : &miss);
                        if (!t.p)
                            continue;
                        if (cnt == cap)
                            v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
                        v[cnt++] = t;
                    }
                }
                size_t distinct = 0;
                if (type == 6) {
                    qsort(v, cnt, sizeof *v, str_cmp);
                    for (size_t k = 0; k < cnt; k++)
                        distinct += !k || str_cmp(&v[k - 1], &v[k]);
                }
                free(v);
                Ots__CountAggregationResult cr = OTS__COUNT_AGGREGATION_RESULT__INIT;
                cr.has_value = true;
                cr.value = (int64_t)(type == 6 ? distinct : cnt);
                PACK(a, count_aggregation_result, &cr, ar->agg_result);
            } else {
                double *v;
                size_t cnt = numbers(c, f, docs, n, has_miss ? &miss : NULL, &v);
                double acc = type == 2 ? -INFINITY : type == 3 ? INFINITY : 0;
                for (size_t k = 0; k < cnt; k++)
                    acc = type == 2 ? fmax(acc, v[k]) : type == 3 ? fmin(acc, v[k]) : acc + v[k];
                free(v);
                if (type == 5) {
                    Ots__CountAggregationResult cr = OTS__COUNT_AGGREGATION_RESULT__INIT;
                    cr.has_value = true;
                    cr.value = (int64_t)cnt;
                    PACK(a, count_aggregation_result, &cr, ar->agg_result);
                } else {
                    Ots__DoubleAggregationResult dr = OTS__DOUBLE_AGGREGATION_RESULT__INIT;
                    dr.has_value = true;
                    dr.value = type == 1 ? (cnt ? acc / (double)cnt : NAN) : acc;
                    PACK(a, double_aggregation_result, &dr, ar->agg_result);
                }
            }
        } else if (type == 7) {
            Ots__TopRowsAggregation *m = UNPACK(q, TopRowsAggregation, top_rows_aggregation, body);
            if (!m)
                return EMU_E_INVALID;
            int32_t lim = m->has_limit ? m->limit : 1;
            if (lim < 1 || lim > 100)
                return sq_bad(q->err, "TopRowsAggregation limit must be in [1, 100].");
            sorter *sorters;
            size_t ns;
            if ((rc = sq_parse_sort(q, m->sort, &sorters, &ns)))
                return rc;
            const sdoc **tmp = emu_xcalloc(n ? n : 1, sizeof *tmp);
            memcpy(tmp, docs, n * sizeof *tmp);
            sq_order_docs(q, sorters, ns, tmp, n);
            Ots__TopRowsAggregationResult tr = OTS__TOP_ROWS_AGGREGATION_RESULT__INIT;
            size_t k = n < (size_t)lim ? n : (size_t)lim;
            tr.rows = emu_arena_alloc(a, (k + 1) * sizeof *tr.rows);
            for (size_t j = 0; j < k; j++) {
                ots_row_t row;
                size_t len;
                if (!ots_store_get_by_key(q->t, tmp[j]->k, tmp[j]->len, c->ro, a, &row))
                    continue;
                uint8_t *pb = ots_plainbuffer_encode_row(&row, a, &len);
                tr.rows[tr.n_rows++] = (ProtobufCBinaryData){len, pb};
            }
            free(tmp);
            PACK(a, top_rows_aggregation_result, &tr, ar->agg_result);
        } else if (type == 8) {
            Ots__PercentilesAggregation *m =
                UNPACK(q, PercentilesAggregation, percentiles_aggregation, body);
            const ots_sfield *f;
            ots_value miss;
            bool has_miss;
            if (!m)
                return EMU_E_INVALID;
            if ((rc = sq_field_of(q, m->field_name, &f)) ||
                (rc = missing_of(q, m->has_missing, m->missing, &miss, &has_miss)))
                return rc;
            if (m->n_percentiles > 100)
                return sq_bad(q->err, "At most 100 percentiles.");
            if ((rc = agg_field_ok(q, type, f)))
                return rc;
            /* answered in ascending order of the percentile, whatever the
             * request's order (the Python SDK's own agg_test) */
            double *ps = emu_arena_alloc(a, (m->n_percentiles + 1) * sizeof *ps);
            memcpy(ps, m->percentiles, m->n_percentiles * sizeof *ps);
            qsort(ps, m->n_percentiles, sizeof *ps, dbl_cmp);
            double *v;
            size_t cnt = numbers(c, f, docs, n, has_miss ? &miss : NULL, &v);
            qsort(v, cnt, sizeof *v, dbl_cmp);
            Ots__PercentilesAggregationResult pr = OTS__PERCENTILES_AGGREGATION_RESULT__INIT;
            pr.percentiles_aggregation_items =
                emu_arena_alloc(a, (m->n_percentiles + 1) * sizeof(void *));
            for (size_t j = 0; j < m->n_percentiles; j++) {
                double p = ps[j];
                if (!(p >= 0 && p <= 100)) {
                    free(v);
                    return sq_bad(q->err, "A percentile must be in [0, 100].");
                }
                Ots__PercentilesAggregationItem *it = emu_arena_alloc(a, sizeof *it);
                ots__percentiles_aggregation_item__init(it);
                it->has_key = it->has_value = true;
                it->key = p;
                /* linear between the closest ranks */
                double val = NAN;
                if (cnt) {
                    double rank = p / 100 * (double)(cnt - 1);
                    size_t lo = (size_t)floor(rank), hi = (size_t)ceil(rank);
                    val = v[lo] + (v[hi] - v[lo]) * (rank - (double)lo);
                }
                /* A Long or Date field answers whole numbers, cut toward
                 * zero (the Python SDK's own agg_test: 49 for the median of
                 * 0..99, 0 between -1 and 0) [inferred]. */
                ots_value dv = {.type = OTS_VT_DOUBLE, .d = val};
                if ((f->type == OTS_SF_LONG || f->type == OTS_SF_DATE) && isfinite(val))
                    dv = (ots_value){.type = OTS_VT_INTEGER, .i = (int64_t)val};
                size_t len;
                uint8_t *vb = ots_plainbuffer_encode_variant(&dv, a, &len);
                it->value = (ProtobufCBinaryData){len, vb};
                pr.percentiles_aggregation_items[pr.n_percentiles_aggregation_items++] = it;
            }
            free(v);
            PACK(a, percentiles_aggregation_result, &pr, ar->agg_result);
        } else {
            return sq_bad(q->err, "Invalid aggregation type: %d.", type);
        }
        r->agg_results[r->n_agg_results++] = ar;
    }
    *out = r;
    return EMU_OK;
}

/* A bucket: its documents (in key order), sub-aggregations and group-bys. */
static emu_rc bucket_subs(aggctx *c, const sdoc *const *docs, size_t n, const Ots__Aggregations *sa,
                          const Ots__GroupBys *sg, int depth, Ots__AggregationsResult **ar,
                          Ots__GroupBysResult **gr)
{
    aggctx sub = *c;
    sub.all = false; /* a bucket's documents */
    emu_rc rc = aggs_eval(&sub, docs, n, sa, depth + 1, ar);
    return rc ? rc : gbs_eval(&sub, docs, n, sg, depth + 1, gr);
}

typedef struct kd {
    emu_str key;
    double num;
    size_t doc; /* index into docs */
} kd;

static int kd_cmp(const void *x, const void *y)
{
    const kd *a = x, *b = y;
    int c = str_cmp(&a->key, &b->key);
    return c ? c : (a->doc > b->doc) - (a->doc < b->doc);
}

/* A bucket of a field group-by, with what its sorters compare. */
typedef struct fbucket {
    emu_str key;
    size_t n;
    Ots__GroupByFieldResultItem *item;
    double *sub; /* per sorter: the sub-aggregation's value (sub_agg_sort) */
} fbucket;

static const Ots__GroupBySort *g_gsort;

static int fb_cmp(const void *x, const void *y)
{
    const fbucket *a = x, *b = y;
    for (size_t i = 0; g_gsort && i < g_gsort->n_sorters; i++) {
        const Ots__GroupBySorter *s = g_gsort->sorters[i];
        int c = 0;
        bool desc;
        if (s->group_key_sort) {
            c = str_cmp(&a->key, &b->key);
            desc = s->group_key_sort->has_order &&
                   s->group_key_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
        } else if (s->sub_agg_sort) {
            c = a->sub[i] < b->sub[i] ? -1 : a->sub[i] > b->sub[i];
            desc = s->sub_agg_sort->has_order &&
                   s->sub_agg_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
        } else {
            c = (a->n > b->n) - (a->n < b->n);
            desc = !s->row_count_sort || !s->row_count_sort->has_order ||
                   s->row_count_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
        }
        if (c)
            return desc ? -c : c;
    }
    if (a->n != b->n && (!g_gsort || !g_gsort->n_sorters))
        return a->n > b->n ? -1 : 1; /* default: most rows first */
    return str_cmp(&a->key, &b->key);
}

/* The value of sub-aggregation `name` of a bucket (a single-value one). */
static emu_rc sub_value(qctx *q, const Ots__AggregationsResult *r, const char *name, double *out)
{
    for (size_t i = 0; r && name && i < r->n_agg_results; i++) {
        const Ots__AggregationResult *ar = r->agg_results[i];
        if (!ar->name || strcmp(ar->name, name))
            continue;
        if (ar->type >= 1 && ar->type <= 4) {
            Ots__DoubleAggregationResult *m =
                UNPACK(q, DoubleAggregationResult, double_aggregation_result, ar->agg_result);
            if (m)
                *out = m->value;
            return m ? EMU_OK : EMU_E_INVALID;
        }
        if (ar->type == 5 || ar->type == 6) {
            Ots__CountAggregationResult *m =
                UNPACK(q, CountAggregationResult, count_aggregation_result, ar->agg_result);
            if (m)
                *out = (double)m->value;
            return m ? EMU_OK : EMU_E_INVALID;
        }
        break;
    }
    return sq_bad(q->err, "SubAggSort: no single-value sub-aggregation named [%s].",
                  name ? name : "");
}

static emu_rc gb_field(aggctx *c, const sdoc *const *docs, size_t n, const Ots__GroupByField *m,
                       int depth, ProtobufCBinaryData *out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    const ots_sfield *f;
    emu_rc rc;
    if ((rc = sq_field_of(q, m->field_name, &f)))
        return rc;
    int32_t size = m->has_size ? m->size : 10;
    if (size < 1 || size > 2000)
        return sq_bad(q->err, "GroupByField size must be in [1, 2000].");
    size_t ns = m->sort ? m->sort->n_sorters : 0;
    size_t cnt = 0, cap = 64;
    kd *v = emu_xcalloc(cap, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        ots_value *x;
        size_t nx = doc_vals(c, f, docs[i], &x);
        for (size_t j = 0; j < nx; j++) {
            emu_str t = key_text(a, f, &x[j]);
            if (!t.p)
                continue;
            if (cnt == cap)
                v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
            v[cnt++] = (kd){t, 0, i};
        }
    }
    qsort(v, cnt, sizeof *v, kd_cmp);
    size_t nb = 0;
    fbucket *b = emu_xcalloc(cnt + 1, sizeof *b);
    const sdoc **sub = emu_xcalloc(n ? n : 1, sizeof *sub);
    for (size_t i = 0; i < cnt && !rc;) {
        size_t j = i, k = 0;
        for (; j < cnt && !str_cmp(&v[j].key, &v[i].key); j++)
            if (!k || sub[k - 1] != docs[v[j].doc]) /* a document once per key */
                sub[k++] = docs[v[j].doc];
        if (!m->has_min_doc_count || (int64_t)k >= m->min_doc_count) {
            Ots__GroupByFieldResultItem *it = emu_arena_alloc(a, sizeof *it);
            ots__group_by_field_result_item__init(it);
            it->key = emu_arena_strndup(a, v[i].key.p, v[i].key.len);
            it->has_row_count = true;
            it->row_count = (int64_t)k;
            rc = bucket_subs(c, sub, k, m->sub_aggs, m->sub_group_bys, depth, &it->sub_aggs_result,
                             &it->sub_group_bys_result);
            fbucket *fb = &b[nb++];
            *fb = (fbucket){v[i].key, k, it, emu_arena_zalloc(a, (ns + 1) * sizeof(double))};
            for (size_t s = 0; s < ns && !rc; s++)
                if (m->sort->sorters[s]->sub_agg_sort)
                    rc = sub_value(q, it->sub_aggs_result,
                                   m->sort->sorters[s]->sub_agg_sort->sub_agg_name, &fb->sub[s]);
        }
        i = j;
    }
    free(sub);
    free(v);
    if (rc) {
        free(b);
        return rc;
    }
    g_gsort = m->sort;
    qsort(b, nb, sizeof *b, fb_cmp);
    Ots__GroupByFieldResult r = OTS__GROUP_BY_FIELD_RESULT__INIT;
    r.group_by_field_result_items = emu_arena_alloc(a, (nb + 1) * sizeof(void *));
    for (size_t i = 0; i < nb && i < (size_t)size; i++)
        r.group_by_field_result_items[r.n_group_by_field_result_items++] = b[i].item;
    free(b);
    PACK(a, group_by_field_result, &r, *out);
    return EMU_OK;
}

/* Range and geo-distance buckets: documents with a value in [from, to). */
static emu_rc gb_ranges(aggctx *c, const sdoc *const *docs, size_t n, const char *field,
                        Ots__Range *const *ranges, size_t nr, const Ots__GeoPoint *origin,
                        const Ots__Aggregations *sa, const Ots__GroupBys *sg, int depth,
                        ProtobufCBinaryData *out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    const ots_sfield *f;
    emu_rc rc;
    if ((rc = sq_field_of(q, field, &f)))
        return rc;
    if (!nr || nr > 1000)
        return sq_bad(q->err, "A range group-by needs 1 to 1000 ranges.");
    if (origin && f->type != OTS_SF_GEO_POINT)
        return sq_bad(q->err, "field:%s must be a GeoPoint field for GroupByGeoDistance.", f->name);
    /* one number per value and document: the value, or the distance */
    size_t cnt = 0, cap = 64;
    kd *v = emu_xcalloc(cap, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        ots_value *x;
        size_t nx = doc_vals(c, f, docs[i], &x);
        for (size_t j = 0; j < nx; j++) {
            double d, lat, lon;
            if (origin) {
                if (x[j].type != OTS_VT_STRING ||
                    !ots_search_geo_parse((const char *)x[j].p, x[j].len, &lat, &lon))
                    continue;
                d = sq_haversine_m(origin->lat, origin->lon, lat, lon);
            } else if (!sq_num_of(f, &x[j], &d)) {
                continue;
            }
            if (cnt == cap)
                v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
            v[cnt++] = (kd){{NULL, 0}, d, i};
        }
    }
    Ots__GroupByRangeResult r = OTS__GROUP_BY_RANGE_RESULT__INIT;
    r.group_by_range_result_items = emu_arena_alloc(a, (nr + 1) * sizeof(void *));
    const sdoc **sub = emu_xcalloc(n ? n : 1, sizeof *sub);
    for (size_t i = 0; i < nr && !rc; i++) {
        double from = ranges[i]->has_from ? ranges[i]->from : -INFINITY;
        double to = ranges[i]->has_to ? ranges[i]->to : INFINITY;
        size_t k = 0;
        for (size_t j = 0; j < cnt; j++)
            if (v[j].num >= from && v[j].num < to && (!k || sub[k - 1] != docs[v[j].doc]))
                sub[k++] = docs[v[j].doc];
        Ots__GroupByRangeResultItem *it = emu_arena_alloc(a, sizeof *it);
        ots__group_by_range_result_item__init(it);
        it->has_from = it->has_to = it->has_row_count = true;
        it->from = from;
        it->to = to;
        it->row_count = (int64_t)k;
        rc = bucket_subs(c, sub, k, sa, sg, depth, &it->sub_aggs_result, &it->sub_group_bys_result);
        r.group_by_range_result_items[r.n_group_by_range_result_items++] = it;
    }
    free(sub);
    free(v);
    if (!rc)
        PACK(a, group_by_range_result, &r, *out);
    return rc;
}

static emu_rc gb_filter(aggctx *c, const sdoc *const *docs, size_t n, const Ots__GroupByFilter *m,
                        int depth, ProtobufCBinaryData *out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    emu_rc rc = EMU_OK;
    if (!m->n_filters || m->n_filters > 1000)
        return sq_bad(q->err, "GroupByFilter needs 1 to 1000 filters.");
    Ots__GroupByFilterResult r = OTS__GROUP_BY_FILTER_RESULT__INIT;
    r.group_by_filter_result_items = emu_arena_alloc(a, (m->n_filters + 1) * sizeof(void *));
    const sdoc **sub = emu_xcalloc(n ? n : 1, sizeof *sub);
    for (size_t i = 0; i < m->n_filters && !rc; i++) {
        dset fs;
        if ((rc = sq_eval(q, m->filters[i], depth + 1, &fs)))
            break;
        size_t k = 0, j = 0;
        for (size_t x = 0; x < n; x++) { /* docs and fs are both in key order */
            while (j < fs.n && sq_doc_cmp(&fs.d[j], docs[x]) < 0)
                j++;
            if (j < fs.n && !sq_doc_cmp(&fs.d[j], docs[x]))
                sub[k++] = docs[x];
        }
        sq_dfree(&fs);
        Ots__GroupByFilterResultItem *it = emu_arena_alloc(a, sizeof *it);
        ots__group_by_filter_result_item__init(it);
        it->has_row_count = true;
        it->row_count = (int64_t)k;
        rc = bucket_subs(c, sub, k, m->sub_aggs, m->sub_group_bys, depth, &it->sub_aggs_result,
                         &it->sub_group_bys_result);
        r.group_by_filter_result_items[r.n_group_by_filter_result_items++] = it;
    }
    free(sub);
    if (!rc)
        PACK(a, group_by_filter_result, &r, *out);
    return rc;
}

static int num_kd_cmp(const void *x, const void *y)
{
    const kd *a = x, *b = y;
    if (a->num != b->num)
        return a->num < b->num ? -1 : 1;
    return (a->doc > b->doc) - (a->doc < b->doc);
}

/* How a histogram maps a value to its bucket's key: a number interval and
 * offset, or (date) a DateTimeUnit interval of `count` units, shifted by
 * offset_ms, in a time zone tz_ms east of UTC. */
typedef struct hkey {
    bool date;
    double interval, offset;
    int unit, count;
    int64_t offset_ms, tz_ms;
} hkey;

static double bucket_key(const hkey *h, double d)
{
    if (!h->date)
        return floor((d - h->offset) / h->interval) * h->interval + h->offset;
    static const int64_t unit_ms[] = {0,          0,         0,       0,      7 * 86400000LL,
                                      86400000LL, 3600000LL, 60000LL, 1000LL, 1LL};
    int64_t ms = (int64_t)d - h->offset_ms + h->tz_ms, start;
    if (h->unit >= OTS__DATE_TIME_UNIT__WEEK) {
        int64_t w = unit_ms[h->unit] * h->count;
        /* Weeks start on Monday: the epoch was a Thursday. */
        int64_t base = h->unit == OTS__DATE_TIME_UNIT__WEEK ? -3 * 86400000LL : 0;
        int64_t k = ms - base;
        start = (k >= 0 ? k / w : -((-k + w - 1) / w)) * w + base;
    } else { /* months, quarters, years: calendar arithmetic in UTC after the shift */
        time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
        struct tm tm;
        gmtime_r(&secs, &tm);
        int months = h->unit == OTS__DATE_TIME_UNIT__YEAR           ? 12 * h->count
                     : h->unit == OTS__DATE_TIME_UNIT__QUARTER_YEAR ? 3 * h->count
                                                                    : h->count;
        int64_t idx = (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
        idx = (idx >= 0 ? idx / months : -((-idx + months - 1) / months)) * months;
        struct tm b = {.tm_year = (int)(idx / 12) - 1900, .tm_mon = (int)(idx % 12), .tm_mday = 1};
        start = (int64_t)timegm(&b) * 1000;
    }
    return (double)(start + h->offset_ms - h->tz_ms);
}

typedef struct hbucket {
    double key;
    int64_t count;
    Ots__AggregationsResult *aggs;
    Ots__GroupBysResult *gbs;
} hbucket;

/* Orders buckets (ascending keys) by `sort`'s first sorter: key, or row
 * count with keys ascending among equals. */
static void hist_order(hbucket *b, size_t m, const Ots__GroupBySort *sort)
{
    bool desc = false, by_count = false;
    if (sort && sort->n_sorters) {
        const Ots__GroupBySorter *s = sort->sorters[0];
        by_count = s->row_count_sort != NULL;
        desc = by_count ? s->row_count_sort->has_order &&
                              s->row_count_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC
                        : s->group_key_sort && s->group_key_sort->has_order &&
                              s->group_key_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC;
    }
    if (by_count) { /* stable: keys stay ascending among equal counts */
        for (size_t i = 1; i < m; i++)
            for (size_t j = i;
                 j > 0 && (desc ? b[j].count > b[j - 1].count : b[j].count < b[j - 1].count); j--) {
                hbucket t = b[j];
                b[j] = b[j - 1];
                b[j - 1] = t;
            }
    } else if (desc) {
        for (size_t i = 0; i < m / 2; i++) {
            hbucket t = b[i];
            b[i] = b[m - 1 - i];
            b[m - 1 - i] = t;
        }
    }
}

typedef struct hcount {
    const ots_sfield *f;
    const hkey *h;
    double lo, hi;
    hbucket *b;
    size_t n, cap;
    size_t seen; /* documents with a value */
    emu_arena *a;
} hcount;

static void hcount_add(hcount *c, double key, int64_t k)
{
    size_t i = c->n;
    while (i > 0 && c->b[i - 1].key > key)
        i--;
    if (i > 0 && c->b[i - 1].key == key) {
        c->b[i - 1].count += k;
        return;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        hbucket *g = emu_arena_alloc(c->a, (cap + 1) * sizeof *g);
        if (c->n)
            memcpy(g, c->b, c->n * sizeof *g);
        c->b = g;
        c->cap = cap;
    }
    memmove(&c->b[i + 1], &c->b[i], (c->n - i) * sizeof *c->b);
    c->b[i] = (hbucket){key, k, NULL, NULL};
    c->n++;
}

static bool hcount_one(void *ud, const uint8_t *v, size_t vl, const uint8_t *doc, size_t dl)
{
    hcount *c = ud;
    (void)vl, (void)doc, (void)dl;
    double d = c->f->type == OTS_SF_LONG ? (double)ots_search_dec_i64(v) : ots_search_dec_f64(v);
    c->seen++;
    if (!(d >= c->lo && d < c->hi))
        return true;
    double key = bucket_key(c->h, d);
    /* Postings come in value order: keys only grow (the last bucket, mostly). */
    if (c->n && c->b[c->n - 1].key == key)
        c->b[c->n - 1].count++;
    else
        hcount_add(c, key, 1);
    return true;
}

/* hist_buckets for every document of the index, without sub-aggregations,
 * over a single-valued Long or Double field: one walk of the field's
 * postings (value order) instead of a row read per document. */
static emu_rc hist_postings(aggctx *c, size_t n, const ots_sfield *f, const hkey *h,
                            const ots_value *miss, double lo, double hi, bool has_min,
                            int64_t min_doc_count, const Ots__GroupBySort *sort, hbucket **out,
                            size_t *nb)
{
    hcount hc = {.f = f, .h = h, .lo = lo, .hi = hi, .a = c->q->a};
    emu_rc rc = sq_walk(c->q, f, NULL, 0, NULL, 0, hcount_one, &hc);
    if (rc)
        return rc;
    double d;
    if (miss && hc.seen < n && sq_num_of(f, miss, &d) && d >= lo && d < hi)
        hcount_add(&hc, bucket_key(h, d), (int64_t)(n - hc.seen));
    size_t m = 0;
    for (size_t i = 0; i < hc.n; i++)
        if (!has_min || hc.b[i].count >= min_doc_count)
            hc.b[m++] = hc.b[i];
    hist_order(hc.b, m, sort);
    *out = hc.b;
    *nb = m;
    return EMU_OK;
}

/* The buckets of a histogram over the values of f in docs (a document
 * without one counts under `miss` when set), values in [lo, hi), at least
 * min_doc_count documents each, in the order of `sort`'s first sorter
 * (key, or row count with keys ascending among equals), with their
 * sub-aggregations. *out in the arena. */
static emu_rc hist_buckets(aggctx *c, const sdoc *const *docs, size_t n, const ots_sfield *f,
                           const hkey *h, const ots_value *miss, double lo, double hi, bool has_min,
                           int64_t min_doc_count, const Ots__GroupBySort *sort,
                           const Ots__Aggregations *sa, const Ots__GroupBys *sg, int depth,
                           hbucket **out, size_t *nb)
{
    qctx *q = c->q;
    emu_rc rc = EMU_OK;
    double d;
    if (c->all && !(sa && sa->n_aggs) && !(sg && sg->n_group_bys) && !f->array && !f->sub &&
        (f->type == OTS_SF_LONG || f->type == OTS_SF_DOUBLE))
        return hist_postings(c, n, f, h, miss, lo, hi, has_min, min_doc_count, sort, out, nb);
    size_t cnt = 0, cap = 64;
    kd *v = emu_xcalloc(cap, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        ots_value *x;
        size_t nx = doc_vals(c, f, docs[i], &x);
        for (size_t j = 0; j <= nx; j++) {
            const ots_value *y = j < nx ? &x[j] : (!nx ? miss : NULL);
            if (!y || !sq_num_of(f, y, &d) || d < lo || d >= hi)
                continue;
            if (cnt == cap)
                v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
            v[cnt++] = (kd){{NULL, 0}, bucket_key(h, d), i};
        }
    }
    qsort(v, cnt, sizeof *v, num_kd_cmp);
    hbucket *b = emu_arena_alloc(q->a, (cnt + 1) * sizeof *b);
    size_t m = 0;
    const sdoc **sub = emu_xcalloc(n ? n : 1, sizeof *sub);
    for (size_t i = 0; i < cnt && !rc;) {
        size_t j = i, k = 0;
        for (; j < cnt && v[j].num == v[i].num; j++)
            if (!k || sub[k - 1] != docs[v[j].doc])
                sub[k++] = docs[v[j].doc];
        if (!has_min || (int64_t)k >= min_doc_count) {
            b[m] = (hbucket){v[i].num, (int64_t)k, NULL, NULL};
            rc = bucket_subs(c, sub, k, sa, sg, depth, &b[m].aggs, &b[m].gbs);
            m++;
        }
        i = j;
    }
    free(sub);
    free(v);
    if (rc)
        return rc;
    hist_order(b, m, sort);
    *out = b;
    *nb = m;
    return EMU_OK;
}

/* A FieldRange's bounds as numbers of f (open where absent). */
static emu_rc range_of(qctx *q, const ots_sfield *f, const Ots__FieldRange *r, double *lo,
                       double *hi)
{
    emu_rc rc = EMU_OK;
    ots_value x;
    double d;
    *lo = -INFINITY;
    *hi = INFINITY;
    if (!r)
        return EMU_OK;
    if (r->has_min && r->min.len && (rc = sq_variant(q, r->min, &x)) == EMU_OK &&
        sq_num_of(f, &x, &d))
        *lo = d;
    if (!rc && r->has_max && r->max.len && (rc = sq_variant(q, r->max, &x)) == EMU_OK &&
        sq_num_of(f, &x, &d))
        *hi = d;
    return rc;
}

static emu_rc gb_histogram(aggctx *c, const sdoc *const *docs, size_t n,
                           const Ots__GroupByHistogram *m, int depth, ProtobufCBinaryData *out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    const ots_sfield *f;
    ots_value iv, off = {.type = OTS_VT_INTEGER, .i = 0}, miss;
    bool has_miss;
    emu_rc rc;
    hkey h = {0};
    if ((rc = sq_field_of(q, m->field_name, &f)))
        return rc;
    if (m->sort && m->sort->n_sorters && m->sort->sorters[0]->sub_agg_sort)
        return sq_unsupported(q->err, "SubAggSort of GroupByHistogram");
    if (!m->has_interval || (rc = sq_variant(q, m->interval, &iv)) ||
        !sq_num_of(f, &iv, &h.interval) || !(h.interval > 0))
        return rc ? rc : sq_bad(q->err, "GroupByHistogram needs an interval > 0.");
    if (m->has_offset && m->offset.len &&
        ((rc = sq_variant(q, m->offset, &off)) || !sq_num_of(f, &off, &h.offset)))
        return rc ? rc : sq_bad(q->err, "Invalid GroupByHistogram offset.");
    if ((rc = missing_of(q, m->has_missing, m->missing, &miss, &has_miss)))
        return rc;
    double lo, hi;
    hbucket *b;
    size_t nb;
    if ((rc = range_of(q, f, m->field_range, &lo, &hi)) ||
        (rc = hist_buckets(c, docs, n, f, &h, has_miss ? &miss : NULL, lo, hi, m->has_min_doc_count,
                           m->min_doc_count, m->sort, m->sub_aggs, m->sub_group_bys, depth, &b,
                           &nb)))
        return rc;
    Ots__GroupByHistogramResult r = OTS__GROUP_BY_HISTOGRAM_RESULT__INIT;
    r.group_by_histogram_items = emu_arena_alloc(a, (nb + 1) * sizeof(void *));
    for (size_t i = 0; i < nb; i++) {
        Ots__GroupByHistogramItem *it = emu_arena_alloc(a, sizeof *it);
        ots__group_by_histogram_item__init(it);
        ots_value kv = iv.type == OTS_VT_INTEGER && off.type == OTS_VT_INTEGER
                           ? (ots_value){.type = OTS_VT_INTEGER, .i = (int64_t)b[i].key}
                           : (ots_value){.type = OTS_VT_DOUBLE, .d = b[i].key};
        size_t len;
        uint8_t *kb = ots_plainbuffer_encode_variant(&kv, a, &len);
        it->has_key = it->has_value = true;
        it->key = (ProtobufCBinaryData){len, kb};
        it->value = b[i].count;
        it->sub_aggs_result = b[i].aggs;
        it->sub_group_bys_result = b[i].gbs;
        r.group_by_histogram_items[r.n_group_by_histogram_items++] = it;
    }
    PACK(a, group_by_histogram_result, &r, *out);
    return EMU_OK;
}

/* "+08:00", "-05:30", "Z" or "" → ms east of UTC; false when malformed. */
static bool tz_offset(const char *s, int64_t *ms)
{
    *ms = 0;
    if (!s || !*s || !strcmp(s, "Z") || !strcmp(s, "UTC"))
        return true;
    int hh, mm;
    char sign;
    if (sscanf(s, "%c%2d:%2d", &sign, &hh, &mm) != 3 || (sign != '+' && sign != '-') || hh > 18 ||
        mm > 59 || strlen(s) != 6)
        return false;
    *ms = (sign == '-' ? -1 : 1) * ((int64_t)hh * 3600000 + (int64_t)mm * 60000);
    return true;
}

static emu_rc gb_date_histogram(aggctx *c, const sdoc *const *docs, size_t n,
                                const Ots__GroupByDateHistogram *m, int depth,
                                ProtobufCBinaryData *out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    const ots_sfield *f;
    ots_value miss;
    bool has_miss;
    emu_rc rc;
    if ((rc = sq_field_of(q, m->field_name, &f)))
        return rc;
    if (f->type != OTS_SF_DATE) /* [inferred] texts from here on */
        return sq_bad(q->err, "GroupByDateHistogram needs a Date field; field:%s is not one.",
                      f->name);
    if (m->sort && m->sort->n_sorters && m->sort->sorters[0]->sub_agg_sort)
        return sq_unsupported(q->err, "SubAggSort of GroupByDateHistogram");
    const Ots__DateTimeValue *iv = m->interval;
    if (!iv || !iv->has_unit || !iv->has_value || iv->value <= 0 ||
        iv->unit < OTS__DATE_TIME_UNIT__YEAR || iv->unit > OTS__DATE_TIME_UNIT__MILLISECOND)
        return sq_bad(q->err, "GroupByDateHistogram needs an interval: a value > 0 and a unit.");
    hkey h = {.date = true, .unit = (int)iv->unit, .count = iv->value};
    if (m->offset && m->offset->has_value && m->offset->value) {
        static const int64_t ms[] = {0,          0,         0,       0,      7 * 86400000LL,
                                     86400000LL, 3600000LL, 60000LL, 1000LL, 1LL};
        if (!m->offset->has_unit || m->offset->unit < OTS__DATE_TIME_UNIT__WEEK ||
            m->offset->unit > OTS__DATE_TIME_UNIT__MILLISECOND)
            return sq_bad(q->err, "GroupByDateHistogram offset must be in weeks or smaller units.");
        h.offset_ms = ms[m->offset->unit] * m->offset->value;
    }
    if (!tz_offset(m->time_zone, &h.tz_ms))
        return sq_bad(q->err, "Invalid time_zone: %s (use +hh:mm or -hh:mm).", m->time_zone);
    if ((rc = missing_of(q, m->has_missing, m->missing, &miss, &has_miss)))
        return rc;
    double lo, hi;
    hbucket *b;
    size_t nb;
    if ((rc = range_of(q, f, m->field_range, &lo, &hi)) ||
        (rc = hist_buckets(c, docs, n, f, &h, has_miss ? &miss : NULL, lo, hi, m->has_min_doc_count,
                           m->min_doc_count, m->sort, m->sub_aggs, m->sub_group_bys, depth, &b,
                           &nb)))
        return rc;
    Ots__GroupByDateHistogramResult r = OTS__GROUP_BY_DATE_HISTOGRAM_RESULT__INIT;
    r.group_by_date_histogram_items = emu_arena_alloc(a, (nb + 1) * sizeof(void *));
    for (size_t i = 0; i < nb; i++) {
        Ots__GroupByDateHistogramItem *it = emu_arena_alloc(a, sizeof *it);
        ots__group_by_date_histogram_item__init(it);
        it->has_timestamp = it->has_row_count = true;
        it->timestamp = (int64_t)b[i].key;
        it->row_count = b[i].count;
        it->sub_aggs_result = b[i].aggs;
        it->sub_group_bys_result = b[i].gbs;
        r.group_by_date_histogram_items[r.n_group_by_date_histogram_items++] = it;
    }
    PACK(a, group_by_date_histogram_result, &r, *out);
    return EMU_OK;
}

/* ---- geohash grid ---- */

static const char GEOHASH32[] = "0123456789bcdefghjkmnpqrstuvwxyz";

/* The geohash of (lat, lon) with `prec` characters, and its cell. */
static void geohash(double lat, double lon, int prec, char *out, double cell[4])
{
    double la[2] = {-90, 90}, lo[2] = {-180, 180};
    bool even = true;
    int bit = 0, ch = 0, n = 0;
    while (n < prec) {
        double *r = even ? lo : la, v = even ? lon : lat, mid = (r[0] + r[1]) / 2;
        ch <<= 1;
        if (v >= mid) {
            ch |= 1;
            r[0] = mid;
        } else {
            r[1] = mid;
        }
        even = !even;
        if (++bit == 5) {
            out[n++] = GEOHASH32[ch];
            bit = ch = 0;
        }
    }
    out[n] = '\0';
    cell[0] = la[1], cell[1] = lo[0], cell[2] = la[0],
    cell[3] = lo[1]; /* top, left, bottom, right */
}

/* The center of a geohash's cell. */
static void geohash_center(const char *h, double *lat, double *lon)
{
    double la[2] = {-90, 90}, lo[2] = {-180, 180};
    bool even = true;
    for (; *h; h++) {
        const char *at = strchr(GEOHASH32, *h);
        int ch = at ? (int)(at - GEOHASH32) : 0;
        for (int b = 4; b >= 0; b--) {
            double *r = even ? lo : la;
            if (ch >> b & 1)
                r[0] = (r[0] + r[1]) / 2;
            else
                r[1] = (r[0] + r[1]) / 2;
            even = !even;
        }
    }
    *lat = (la[0] + la[1]) / 2;
    *lon = (lo[0] + lo[1]) / 2;
}

typedef struct gcell {
    const char *key;
    size_t first, n; /* docs[first .. first + n) of the sorted pairs */
} gcell;

static int gcell_cmp(const void *x, const void *y)
{
    const gcell *a = x, *b = y;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return strcmp(a->key, b->key);
}

static emu_rc gb_geo_grid(aggctx *c, const sdoc *const *docs, size_t n,
                          const Ots__GroupByGeoGrid *m, int depth, ProtobufCBinaryData *out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    const ots_sfield *f;
    emu_rc rc;
    if ((rc = sq_field_of(q, m->field_name, &f)))
        return rc;
    if (f->type != OTS_SF_GEO_POINT) /* [inferred] texts */
        return sq_bad(q->err, "GroupByGeoGrid needs a GeoPoint field; field:%s is not one.",
                      f->name);
    int prec = m->has_precision ? (int)m->precision : 5;
    if (prec < 1 || prec > 12)
        return sq_bad(q->err, "Invalid GroupByGeoGrid precision: %d.", prec);
    int32_t size = m->has_size ? m->size : 10;
    if (size <= 0 || size > 2000)
        return sq_bad(q->err, "GroupByGeoGrid size must be in [1, 2000].");
    /* (cell, document) pairs sorted by cell, then grouped. */
    size_t cnt = 0, cap = 64;
    kd *v = emu_xcalloc(cap, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        ots_value *x;
        size_t nx = doc_vals(c, f, docs[i], &x);
        for (size_t j = 0; j < nx; j++) {
            double lat, lon, cell[4];
            char key[16];
            if (x[j].type != OTS_VT_STRING ||
                !ots_search_geo_parse((const char *)x[j].p, x[j].len, &lat, &lon))
                continue;
            geohash(lat, lon, prec, key, cell);
            if (cnt == cap)
                v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
            v[cnt++] = (kd){{emu_arena_strdup(a, key), (size_t)prec}, 0, i};
        }
    }
    qsort(v, cnt, sizeof *v, kd_cmp);
    gcell *g = emu_xcalloc(cnt + 1, sizeof *g);
    const sdoc **sub = emu_xcalloc(cnt + 1, sizeof *sub);
    size_t ng = 0, ns = 0;
    for (size_t i = 0; i < cnt;) {
        size_t j = i;
        g[ng] = (gcell){v[i].key.p, ns, 0};
        for (; j < cnt && str_cmp(&v[j].key, &v[i].key) == 0; j++)
            if (!g[ng].n || sub[ns - 1] != docs[v[j].doc]) /* an array's values in one cell */
                sub[ns++] = docs[v[j].doc], g[ng].n++;
        ng++;
        i = j;
    }
    qsort(g, ng, sizeof *g, gcell_cmp);
    Ots__GroupByGeoGridResult r = OTS__GROUP_BY_GEO_GRID_RESULT__INIT;
    r.group_by_geo_grid_result_items = emu_arena_alloc(a, (ng + 1) * sizeof(void *));
    for (size_t k = 0; k < ng && k < (size_t)size && !rc; k++) {
        Ots__GroupByGeoGridResultItem *it = emu_arena_alloc(a, sizeof *it);
        ots__group_by_geo_grid_result_item__init(it);
        it->key = (char *)g[k].key;
        it->has_row_count = true;
        it->row_count = (int64_t)g[k].n;
        /* The cell: the hash of its own center gives the same cell. */
        double cell[4], la = 0, lo = 0;
        char key[16];
        geohash_center(g[k].key, &la, &lo);
        geohash(la, lo, prec, key, cell);
        Ots__GeoGrid *gg = emu_arena_alloc(a, sizeof *gg);
        Ots__GeoPoint *tl = emu_arena_alloc(a, sizeof *tl), *br = emu_arena_alloc(a, sizeof *br);
        ots__geo_grid__init(gg);
        ots__geo_point__init(tl);
        ots__geo_point__init(br);
        tl->has_lat = tl->has_lon = br->has_lat = br->has_lon = true;
        tl->lat = cell[0], tl->lon = cell[1];
        br->lat = cell[2], br->lon = cell[3];
        gg->top_left = tl;
        gg->bottom_right = br;
        it->geo_grid = gg;
        rc = bucket_subs(c, sub + g[k].first, g[k].n, m->sub_aggs, m->sub_group_bys, depth,
                         &it->sub_aggs_result, &it->sub_group_bys_result);
        r.group_by_geo_grid_result_items[r.n_group_by_geo_grid_result_items++] = it;
    }
    free(sub);
    free(g);
    free(v);
    if (rc)
        return rc;
    PACK(a, group_by_geo_grid_result, &r, *out);
    return EMU_OK;
}

/* ---- composite ---- */

/* One source of a composite group-by: a field's values, or a (date)
 * histogram's buckets. */
typedef struct csrc {
    const char *name;
    const ots_sfield *f;
    bool hist, numeric, integral; /* histogram; keys compare as numbers; print as integers */
    hkey h;
} csrc;

typedef struct ctuple {
    emu_str *keys; /* n_src keys */
    double *nums;  /* numeric sources' keys as numbers */
    size_t doc;
} ctuple;

static const csrc *g_csrc; /* qsort has no context argument */
static size_t g_n_csrc;

static int tuple_cmp_keys(const emu_str *ak, const double *an, const emu_str *bk, const double *bn)
{
    for (size_t i = 0; i < g_n_csrc; i++) {
        int c = g_csrc[i].numeric ? (an[i] < bn[i] ? -1 : an[i] > bn[i]) : str_cmp(&ak[i], &bk[i]);
        if (c)
            return c;
    }
    return 0;
}

static int tuple_cmp(const void *x, const void *y)
{
    const ctuple *a = x, *b = y;
    int c = tuple_cmp_keys(a->keys, a->nums, b->keys, b->nums);
    return c ? c : (a->doc > b->doc) - (a->doc < b->doc);
}

static emu_rc csrc_init(qctx *q, const Ots__GroupBy *gb, csrc *s)
{
    ProtobufCBinaryData body = gb->has_body ? gb->body : (ProtobufCBinaryData){0, NULL};
    emu_rc rc;
    *s = (csrc){.name = gb->name ? gb->name : ""};
    switch (gb->has_type ? (int)gb->type : 0) {
    case 1: {
        Ots__GroupByField *m = UNPACK(q, GroupByField, group_by_field, body);
        if (!m)
            return EMU_E_INVALID;
        if ((rc = sq_field_of(q, m->field_name, &s->f)))
            return rc;
        s->numeric =
            s->f->type == OTS_SF_LONG || s->f->type == OTS_SF_DOUBLE || s->f->type == OTS_SF_DATE;
        return EMU_OK;
    }
    case 5: {
        Ots__GroupByHistogram *m = UNPACK(q, GroupByHistogram, group_by_histogram, body);
        ots_value iv, off = {.type = OTS_VT_INTEGER, .i = 0};
        if (!m)
            return EMU_E_INVALID;
        if ((rc = sq_field_of(q, m->field_name, &s->f)))
            return rc;
        if (!m->has_interval || (rc = sq_variant(q, m->interval, &iv)) ||
            !sq_num_of(s->f, &iv, &s->h.interval) || !(s->h.interval > 0))
            return rc ? rc : sq_bad(q->err, "GroupByHistogram needs an interval > 0.");
        if (m->has_offset && m->offset.len &&
            ((rc = sq_variant(q, m->offset, &off)) || !sq_num_of(s->f, &off, &s->h.offset)))
            return rc ? rc : sq_bad(q->err, "Invalid GroupByHistogram offset.");
        s->hist = s->numeric = true;
        s->integral = iv.type == OTS_VT_INTEGER && off.type == OTS_VT_INTEGER;
        return EMU_OK;
    }
    case 6: {
        Ots__GroupByDateHistogram *m =
            UNPACK(q, GroupByDateHistogram, group_by_date_histogram, body);
        if (!m)
            return EMU_E_INVALID;
        if ((rc = sq_field_of(q, m->field_name, &s->f)))
            return rc;
        const Ots__DateTimeValue *iv = m->interval;
        if (s->f->type != OTS_SF_DATE || !iv || !iv->has_unit || !iv->has_value || iv->value <= 0 ||
            iv->unit < 1 || iv->unit > 9)
            return sq_bad(q->err, "GroupByDateHistogram needs a Date field and an interval.");
        s->h = (hkey){.date = true, .unit = (int)iv->unit, .count = iv->value};
        if (m->offset && m->offset->has_value && m->offset->has_unit && m->offset->unit >= 4)
            s->h.offset_ms = (int64_t)sq_unit_ms(m->offset);
        if (!tz_offset(m->time_zone, &s->h.tz_ms))
            return sq_bad(q->err, "Invalid time_zone: %s (use +hh:mm or -hh:mm).", m->time_zone);
        s->hist = s->numeric = s->integral = true;
        return EMU_OK;
    }
    default: /* [inferred] text */
        return sq_bad(q->err, "The sources of GroupByComposite must be GroupByField, "
                              "GroupByHistogram or GroupByDateHistogram.");
    }
}

/* The next token: the last key tuple, hex of length-prefixed keys. */
static char *ctoken(emu_arena *a, const emu_str *keys, size_t n)
{
    emu_buf b;
    emu_buf_init(&b, 1 << 20);
    emu_buf_puts(&b, "acsemu:");
    for (size_t i = 0; i < n; i++) {
        emu_buf_printf(&b, "%08zx", keys[i].len);
        for (size_t k = 0; k < keys[i].len; k++)
            emu_buf_printf(&b, "%02x", (unsigned char)keys[i].p[k]);
    }
    char *t = emu_arena_strndup(a, b.p, b.len);
    emu_buf_dispose(&b);
    return t;
}

static bool ctoken_parse(emu_arena *a, const char *t, size_t n, emu_str *keys, double *nums)
{
    if (strncmp(t, "acsemu:", 7))
        return false;
    t += 7;
    for (size_t i = 0; i < n; i++) {
        unsigned long len;
        if (strlen(t) < 8 || sscanf(t, "%8lx", &len) != 1 || strlen(t + 8) < 2 * len)
            return false;
        t += 8;
        char *k = emu_arena_alloc(a, len + 1);
        for (size_t j = 0; j < len; j++, t += 2) {
            unsigned x;
            if (sscanf(t, "%2x", &x) != 1)
                return false;
            k[j] = (char)x;
        }
        k[len] = '\0';
        keys[i] = (emu_str){k, len};
        nums[i] = strtod(k, NULL);
    }
    return *t == '\0';
}

static emu_rc gb_composite(aggctx *c, const sdoc *const *docs, size_t n,
                           const Ots__GroupByComposite *m, int depth, ProtobufCBinaryData *out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    emu_rc rc = EMU_OK;
    const Ots__GroupBys *sg = m->sources;
    if (!sg || !sg->n_group_bys || sg->n_group_bys > 32) /* [inferred] texts */
        return sq_bad(q->err, "GroupByComposite needs 1 to 32 sources.");
    int32_t size = m->has_size ? m->size : 10;
    if (size <= 0 || size > 2000)
        return sq_bad(q->err, "GroupByComposite size must be in [1, 2000].");
    size_t ns = sg->n_group_bys;
    csrc *src = emu_arena_zalloc(a, ns * sizeof *src);
    for (size_t i = 0; i < ns; i++)
        if ((rc = csrc_init(q, sg->group_bys[i], &src[i])))
            return rc;
    emu_str *after = NULL;
    double *after_n = NULL;
    if (m->next_token && *m->next_token) {
        after = emu_arena_alloc(a, ns * sizeof *after);
        after_n = emu_arena_alloc(a, ns * sizeof *after_n);
        if (!ctoken_parse(a, m->next_token, ns, after, after_n))
            return sq_bad(q->err, "Invalid next_token of GroupByComposite.");
    }
    /* Every document's key tuples (the product of its sources' values). */
    size_t cnt = 0, cap = 64;
    ctuple *v = emu_xcalloc(cap, sizeof *v);
    emu_str **vals = emu_arena_alloc(a, ns * sizeof *vals);
    double **nums = emu_arena_alloc(a, ns * sizeof *nums);
    size_t *nv = emu_arena_alloc(a, ns * sizeof *nv);
    for (size_t i = 0; i < n; i++) {
        size_t prod = 1;
        for (size_t k = 0; k < ns; k++) {
            ots_value *x;
            size_t nx = doc_vals(c, src[k].f, docs[i], &x);
            vals[k] = emu_arena_alloc(a, (nx + 1) * sizeof **vals);
            nums[k] = emu_arena_alloc(a, (nx + 1) * sizeof **nums);
            nv[k] = 0;
            for (size_t j = 0; j < nx; j++) {
                double d = 0;
                emu_str key;
                if (src[k].hist) {
                    if (!sq_num_of(src[k].f, &x[j], &d))
                        continue;
                    d = bucket_key(&src[k].h, d);
                    char *t = src[k].integral ? emu_arena_sprintf(a, "%lld", (long long)d)
                                              : emu_arena_sprintf(a, "%.17g", d);
                    key = (emu_str){t, strlen(t)};
                } else {
                    key = key_text(a, src[k].f, &x[j]);
                    if (!key.p || (src[k].numeric && !sq_num_of(src[k].f, &x[j], &d)))
                        continue;
                }
                vals[k][nv[k]] = key;
                nums[k][nv[k]++] = d;
            }
            prod *= nv[k];
        }
        if (prod > 1024)
            prod = 1024; /* arrays on several sources: the first combinations */
        for (size_t p = 0; p < prod; p++) {
            if (cnt == cap)
                v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
            ctuple *t = &v[cnt++];
            t->keys = emu_arena_alloc(a, ns * sizeof *t->keys);
            t->nums = emu_arena_alloc(a, ns * sizeof *t->nums);
            t->doc = i;
            for (size_t k = 0, r = p; k < ns; k++) {
                t->keys[k] = vals[k][r % nv[k]];
                t->nums[k] = nums[k][r % nv[k]];
                r /= nv[k];
            }
        }
    }
    g_csrc = src;
    g_n_csrc = ns;
    qsort(v, cnt, sizeof *v, tuple_cmp);
    Ots__GroupByCompositeResult r = OTS__GROUP_BY_COMPOSITE_RESULT__INIT;
    r.source_group_by_names = emu_arena_alloc(a, ns * sizeof(char *));
    for (size_t k = 0; k < ns; k++)
        r.source_group_by_names[r.n_source_group_by_names++] = (char *)src[k].name;
    r.group_by_composite_result_items = emu_arena_alloc(a, ((size_t)size + 1) * sizeof(void *));
    const sdoc **sub = emu_xcalloc(n ? n : 1, sizeof *sub);
    size_t i = 0;
    if (after)
        while (i < cnt && tuple_cmp_keys(v[i].keys, v[i].nums, after, after_n) <= 0)
            i++;
    while (i < cnt && r.n_group_by_composite_result_items < (size_t)size && !rc) {
        size_t j = i, k = 0;
        for (; j < cnt && tuple_cmp_keys(v[j].keys, v[j].nums, v[i].keys, v[i].nums) == 0; j++)
            if (!k || sub[k - 1] != docs[v[j].doc])
                sub[k++] = docs[v[j].doc];
        Ots__GroupByCompositeResultItem *it = emu_arena_alloc(a, sizeof *it);
        ots__group_by_composite_result_item__init(it);
        it->keys = emu_arena_alloc(a, ns * sizeof(char *));
        for (size_t x = 0; x < ns; x++)
            it->keys[it->n_keys++] = (char *)v[i].keys[x].p;
        it->has_row_count = true;
        it->row_count = (int64_t)k;
        rc = bucket_subs(c, sub, k, m->sub_aggs, m->sub_group_bys, depth, &it->sub_aggs_result,
                         &it->sub_group_bys_result);
        r.group_by_composite_result_items[r.n_group_by_composite_result_items++] = it;
        if (j < cnt && r.n_group_by_composite_result_items == (size_t)size)
            r.next_token = ctoken(a, v[i].keys, ns);
        i = j;
    }
    free(sub);
    free(v);
    if (rc)
        return rc;
    PACK(a, group_by_composite_result, &r, *out);
    return EMU_OK;
}

static emu_rc gbs_eval(aggctx *c, const sdoc *const *docs, size_t n, const Ots__GroupBys *g,
                       int depth, Ots__GroupBysResult **out)
{
    qctx *q = c->q;
    emu_arena *a = q->a;
    *out = NULL;
    if (!g || !g->n_group_bys)
        return EMU_OK;
    if (depth > EMU_MAX_OTS_SEARCH_QUERY_DEPTH || g->n_group_bys > EMU_MAX_OTS_SEARCH_AGGS)
        return sq_bad(q->err, "Too many or too deeply nested group-bys (at most %d).",
                      EMU_MAX_OTS_SEARCH_AGGS);
    Ots__GroupBysResult *r = emu_arena_alloc(a, sizeof *r);
    ots__group_bys_result__init(r);
    r->group_by_results = emu_arena_alloc(a, g->n_group_bys * sizeof *r->group_by_results);
    for (size_t i = 0; i < g->n_group_bys; i++) {
        const Ots__GroupBy *gb = g->group_bys[i];
        ProtobufCBinaryData body = gb->has_body ? gb->body : (ProtobufCBinaryData){0, NULL};
        Ots__GroupByResult *gr = emu_arena_alloc(a, sizeof *gr);
        ots__group_by_result__init(gr);
        gr->name = gb->name ? gb->name : (char *)"";
        gr->has_type = gb->has_type;
        gr->type = gb->type;
        gr->has_group_by_result = true;
        emu_rc rc;
        switch (gb->has_type ? gb->type : 0) {
        case 1: {
            Ots__GroupByField *m = UNPACK(q, GroupByField, group_by_field, body);
            rc = m ? gb_field(c, docs, n, m, depth, &gr->group_by_result) : EMU_E_INVALID;
            break;
        }
        case 2: {
            Ots__GroupByRange *m = UNPACK(q, GroupByRange, group_by_range, body);
            rc = m ? gb_ranges(c, docs, n, m->field_name, m->ranges, m->n_ranges, NULL, m->sub_aggs,
                               m->sub_group_bys, depth, &gr->group_by_result)
                   : EMU_E_INVALID;
            break;
        }
        case 3: {
            Ots__GroupByFilter *m = UNPACK(q, GroupByFilter, group_by_filter, body);
            rc = m ? gb_filter(c, docs, n, m, depth, &gr->group_by_result) : EMU_E_INVALID;
            break;
        }
        case 4: {
            Ots__GroupByGeoDistance *m = UNPACK(q, GroupByGeoDistance, group_by_geo_distance, body);
            if (m && !m->origin)
                return sq_bad(q->err, "GroupByGeoDistance needs an origin.");
            rc = m ? gb_ranges(c, docs, n, m->field_name, m->ranges, m->n_ranges, m->origin,
                               m->sub_aggs, m->sub_group_bys, depth, &gr->group_by_result)
                   : EMU_E_INVALID;
            break;
        }
        case 5: {
            Ots__GroupByHistogram *m = UNPACK(q, GroupByHistogram, group_by_histogram, body);
            rc = m ? gb_histogram(c, docs, n, m, depth, &gr->group_by_result) : EMU_E_INVALID;
            break;
        }
        case 6: {
            Ots__GroupByDateHistogram *m =
                UNPACK(q, GroupByDateHistogram, group_by_date_histogram, body);
            rc = m ? gb_date_histogram(c, docs, n, m, depth, &gr->group_by_result) : EMU_E_INVALID;
            break;
        }
        case 7: {
            Ots__GroupByGeoGrid *m = UNPACK(q, GroupByGeoGrid, group_by_geo_grid, body);
            rc = m ? gb_geo_grid(c, docs, n, m, depth, &gr->group_by_result) : EMU_E_INVALID;
            break;
        }
        case 8: {
            Ots__GroupByComposite *m = UNPACK(q, GroupByComposite, group_by_composite, body);
            rc = m ? gb_composite(c, docs, n, m, depth, &gr->group_by_result) : EMU_E_INVALID;
            break;
        }
        default:
            return sq_bad(q->err, "Invalid group-by type: %d.", gb->has_type ? (int)gb->type : 0);
        }
        if (rc)
            return rc;
        r->group_by_results[r->n_group_by_results++] = gr;
    }
    *out = r;
    return EMU_OK;
}

/* Aggregations and group-bys of a search over its documents, packed into
 * the response. */
emu_rc sq_search_aggs(qctx *q, const dset *res, const Ots__SearchQuery *sq, const ots_read_opts *ro,
                      Ots__SearchResponse *resp)
{
    aggctx c = {q, ro, emu_arena_new(0),
                !sq->query ||
                    (sq->query->has_type && sq->query->type == OTS__QUERY_TYPE__MATCH_ALL_QUERY)};
    const sdoc **docs = emu_xcalloc(res->n ? res->n : 1, sizeof *docs);
    for (size_t i = 0; i < res->n; i++)
        docs[i] = &res->d[i];
    Ots__AggregationsResult *ar = NULL;
    Ots__GroupBysResult *gr = NULL;
    emu_rc rc = aggs_eval(&c, docs, res->n, sq->aggs, 0, &ar);
    if (!rc)
        rc = gbs_eval(&c, docs, res->n, sq->group_bys, 0, &gr);
    free(docs);
    emu_arena_free(c.scratch);
    if (rc) {
        if (!q->err->code)
            q->err->code = "OTSParameterInvalid";
        return rc;
    }
    if (ar) {
        resp->has_aggs = true;
        PACK(q->a, aggregations_result, ar, resp->aggs);
    }
    if (gr) {
        resp->has_group_bys = true;
        PACK(q->a, group_bys_result, gr, resp->group_bys);
    }
    return EMU_OK;
}
