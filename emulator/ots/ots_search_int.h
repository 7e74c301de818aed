/* Tablestore search indexes (CreateSearchIndex ... Search), inside the
 * Tablestore service:
 *
 *   ots_search.c        the registry, schemas, analyzers, postings kept by
 *                       the table's write observer, the management calls
 *   ots_search_api.c    the calls: queries (decoded on demand), sorting,
 *                       highlight, inner hits, Search, ParallelScan
 *   ots_search_agg.c    a Search's aggregations and group-bys
 *                       (ots_search_q.h is what those two share)
 *
 * An index is its schema and one ordered key set (emu/ots_store.h,
 * ots_keyset) of postings: field id, the value in a memcmp-ordered form,
 * then the document's row key. Term, Range, Prefix and friends are a seek
 * and a walk; a checkpoint shares the postings copy-on-write like rows. */
#ifndef EMU_OTS_SEARCH_INT_H
#define EMU_OTS_SEARCH_INT_H

#include "emu/json.h"
#include "ots_int.h"
#include "ots_search.pb-c.h"

typedef enum ots_sf_type {
    OTS_SF_LONG = 1,
    OTS_SF_DOUBLE = 2,
    OTS_SF_BOOLEAN = 3,
    OTS_SF_KEYWORD = 4,
    OTS_SF_TEXT = 5,
    OTS_SF_NESTED = 6,
    OTS_SF_GEO_POINT = 7,
    OTS_SF_DATE = 8,
    OTS_SF_VECTOR = 9
} ots_sf_type;

typedef enum ots_analyzer {
    OTS_AN_SINGLE_WORD,
    OTS_AN_SPLIT,
    OTS_AN_MIN_WORD,
    OTS_AN_MAX_WORD,
    OTS_AN_FUZZY
} ots_analyzer;

/* One indexed field. A nested field's children are fields of their own
 * named "parent.child" (the name queries use), read from the JSON objects
 * the parent column holds. */
typedef struct ots_sfield {
    char *name;   /* as queries name it */
    char *column; /* the row column holding the value */
    char *sub;    /* dotted path inside the column's objects; NULL = the column itself */
    ots_sf_type type;
    bool index, sort_agg, array;
    bool highlight; /* enable_highlighting */
    ots_analyzer analyzer;
    bool case_sensitive, delimit_word;
    char *delimiter; /* split; NULL = whitespace */
    int min_chars, max_chars;
    int vdim, vmetric; /* Vector: dimension, VectorMetricType (0 euclidean, 1 cosine, 2 dot) */
    char **date_formats;
    size_t n_date_formats;
    uint16_t id; /* in postings keys; 0 is the document list */
} ots_sfield;

typedef struct ots_search_def {
    char *table, *name;
    ots_sfield *f;
    size_t n_f;
    uint8_t *schema; /* the IndexSchema message as created, for Describe */
    size_t schema_len;
    int32_t ttl_s;
    int64_t created_ms;
    ots_keyset *post;
    ots_table_t *base; /* observed */
} ots_search_def;

/* Lookups, in the instance's registry. */
ots_search_def *ots_search_find(const ots_instance_t *in, const char *table, const char *name);
const ots_sfield *ots_search_field(const ots_search_def *d, const char *name);
/* Whether the index has Nested fields (then it has no IndexSort). */
bool ots_search_has_nested(const ots_search_def *d);

/* Postings keys: u16 field id BE, the value, the document's row key.
 * Values: LONG/DATE 8 bytes BE sign-flipped, DOUBLE 8 bytes ordered,
 * BOOLEAN 1 byte, strings with 0x00 as 00 FF and ending 00 00, GEO_POINT
 * latitude then longitude as DOUBLE. */
size_t ots_search_enc_i64(int64_t v, uint8_t *out);
size_t ots_search_enc_f64(double v, uint8_t *out);
size_t ots_search_enc_str(const uint8_t *s, size_t n, bool terminate, uint8_t *out);
/* Length of the encoded value of a field of type t at p (n bytes left);
 * 0 when malformed. */
size_t ots_search_value_len(ots_sf_type t, const uint8_t *p, size_t n);
int64_t ots_search_dec_i64(const uint8_t *p);
double ots_search_dec_f64(const uint8_t *p);
/* Decodes an encoded string value into a (unescaped). */
size_t ots_search_dec_str(const uint8_t *p, size_t n, uint8_t *out);

/* Tokens of text under a field's analyzer, in order (arena strings). */
size_t ots_search_tokens(const ots_sfield *f, const char *text, size_t len, emu_arena *a,
                         emu_str **out);
/* The same with each token's byte offset and length in text (for
 * highlighting), in arena arrays. */
size_t ots_search_token_spans(const ots_sfield *f, const char *text, size_t len, emu_arena *a,
                              emu_str **out, uint32_t **at, uint32_t **span);
/* "lat,lon" → degrees; false when malformed or out of range. */
bool ots_search_geo_parse(const char *s, size_t n, double *lat, double *lon);
/* A date field's value in ms since the epoch: an INTEGER as is, a STRING in
 * one of the field's formats. */
bool ots_search_date_parse(const ots_sfield *f, const char *s, size_t n, int64_t *ms);

/* The values of field f in a row (newest version): arena values; nested
 * and array fields yield each element. */
size_t ots_search_values(const ots_sfield *f, const ots_row_t *row, emu_arena *a, ots_value **out);
/* The same for a nested sub-field, from the objects `keep` accepts only
 * (keep NULL: every object). */
size_t ots_search_values_where(const ots_sfield *f, const ots_row_t *row, emu_arena *a,
                               ots_value **out, bool (*keep)(void *ud, const cJSON *obj), void *ud);

/* Calls fn on each value at the dotted path rel below obj (an array at any
 * level yields each element; idx is the element's place in the last
 * array), until fn returns true; returns whether one did. */
bool ots_search_obj_each(const cJSON *obj, const char *rel,
                         bool (*fn)(void *ud, const cJSON *v, size_t idx), void *ud);

/* Creates an index over t (building its postings from t's rows) and
 * registers it; the service's errors (OTSParameterInvalid for the schema,
 * OTSObjectAlreadyExist, OTSQuotaExhausted). */
emu_rc ots_search_create(ots_instance_t *in, ots_table_t *t, const char *name,
                         const Ots__IndexSchema *schema, int32_t ttl_s, emu_err *err);
/* The indexes of table (NULL: every table) of in: how many; the first cap
 * go to out. */
size_t ots_search_list(const ots_instance_t *in, const char *table, ots_search_def **out,
                       size_t cap);
void ots_search_drop(const ots_instance_t *in, ots_search_def *d);
/* The write observer of an indexed table (ud: the index). */
void ots_search_observe(void *ud, ots_table_t *t, const ots_row_t *old_row,
                        const ots_row_t *new_row);

#endif
