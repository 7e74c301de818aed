/* What the search query files share (ots_search_int.h is the index
 * itself): a query's context, document sets, the posting walk, sorting,
 * and the small helpers every part of a Search uses.
 *
 *   ots_search_api.c  the management calls, queries (leaves, Bool, scores,
 *                     Geo, KNN, nested objects), sorting, highlight, inner
 *                     hits, Search, ComputeSplits and ParallelScan
 *   ots_search_agg.c  aggregations and group-bys of a Search
 */
#ifndef EMU_OTS_SEARCH_Q_H
#define EMU_OTS_SEARCH_Q_H

#include "ots_search_int.h"
#include "ots_svc_int.h"

/* A matching document: its row key (in the postings' blobs) and score. */
typedef struct sdoc {
    const uint8_t *k;
    uint32_t len;
    float score;
} sdoc;

/* Documents in key order. */
typedef struct dset {
    sdoc *d;
    size_t n, cap;
} dset;

typedef struct qctx {
    emu_call *call;
    emu_arena *a;
    const ots_search_def *def;
    const ots_table_t *t;
    emu_err *err;
    size_t work; /* postings visited, against EMU_MAX_OTS_SEARCH_SCAN */
    /* A KnnVectorQuery keeps at least this many neighbours: the search's
     * limit, as the service documents ("a topK below the limit becomes the
     * limit"); 0 = top_k as given. */
    size_t min_top_k;
} qctx;

/* A posting: the encoded value and the document's row key. */
typedef bool (*each_fn)(void *ud, const uint8_t *v, size_t vl, const uint8_t *doc, size_t dl);

typedef struct geo {
    int kind; /* 0 box, 1 distance, 2 polygon */
    double top, left, bottom, right;
    double lat, lon, dist;
    double *plat, *plon;
    size_t np;
} geo;

typedef struct sorter {
    int kind; /* 0 field, 1 pk, 2 score, 3 geo distance */
    bool desc;
    const ots_sfield *f;
    const ots_sfield *mf; /* missing_field: sorted on where f has no value */
    int mode;             /* SORT_MODE_MIN/MAX/AVG */
    double *plat, *plon;  /* geo distance: the origin points */
    size_t np;
    const Ots__Query *nf; /* FieldSort nested_filter: the objects it keeps */
    ots_value missing;
    bool has_missing;
} sorter;

#define UNPACK(q, type, lower, bytes)                                                              \
    ((Ots__##type *)ots_pb_unpack(&ots__##lower##__descriptor, (bytes).data, (bytes).len, (q)->a,  \
                                  (q)->err))

/* A next token: this magic, the offset of the next page, then the Sort of
 * the search (the SDKs send no sort with a token). */
#define TOKEN_MAGIC "acsemu/1"

/* OTSParameterInvalid with the text; ... is not supported by acsemu. */
emu_rc sq_bad(emu_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
emu_rc sq_unsupported(emu_err *err, const char *what);

void sq_dfree(dset *s);
int sq_kcmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);
int sq_doc_cmp(const void *x, const void *y); /* sdoc by key */

/* Calls fn on every posting of field f (NULL: the document list) from lo
 * up to hi (NULL: the field's end); fails past EMU_MAX_OTS_SEARCH_SCAN. */
emu_rc sq_walk(qctx *q, const ots_sfield *f, const uint8_t *lo, size_t lol, const uint8_t *hi,
               size_t hil, each_fn fn, void *ud);
emu_rc sq_field_of(qctx *q, const char *name, const ots_sfield **f);
emu_rc sq_variant(qctx *q, ProtobufCBinaryData b, ots_value *v);
/* Evaluates query into *out; on an error *out is empty. */
emu_rc sq_eval(qctx *q, const Ots__Query *query, int depth, dset *out);
/* A value as field f's number (dates in ms); false when it is none. */
bool sq_num_of(const ots_sfield *f, const ots_value *v, double *out);
double sq_haversine_m(double lat1, double lon1, double lat2, double lon2);
double sq_unit_ms(const Ots__DateTimeValue *v);
emu_rc sq_parse_sort(qctx *q, const Ots__Sort *sort, sorter **out, size_t *n);
void sq_order_docs(qctx *q, const sorter *sorters, size_t ns, const sdoc **docs, size_t n);

/* The aggregations and group-bys of a search over res, into resp; top rows
 * read the columns ro names (the Search's columns_to_get). */
emu_rc sq_search_aggs(qctx *q, const dset *res, const Ots__SearchQuery *sq, const ots_read_opts *ro,
                      Ots__SearchResponse *resp);

#endif
