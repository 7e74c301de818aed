/* The "Tablestore" world section (emu/world_section.h): loads an account's
 * instances, tables and rows from the world file, saves them back in the
 * same shape, clones them for checkpoints.
 *
 * Load is strict, like the rest of the world file: unknown fields, wrong JSON
 * types, duplicate instance or table names, bad types, and any bad row are
 * errors whose message starts with the JSON path of the offending value, e.g.
 *   $.Accounts[0].Tablestore.Instances[0].Tables[0].PrimaryKey[1].Type:
 *   "DOUBLE" is not a primary key type (INTEGER, STRING, BINARY)
 * and leave nothing allocated.
 *
 * Table fields: TableName, PrimaryKey [{Name, Type, AutoIncrement}],
 * DefinedColumns [{Name, Type}], TimeToLive (-1 or seconds, default -1),
 * MaxVersions (default 1), and two emulator extras that UpdateTable can
 * change and save must keep: DeviationCellVersionInSec (default 86400) and
 * AllowUpdate (default true); EnableLocalTxn (default false: CreateTable's
 * enable_local_txn, which the Node SDK cannot send); StreamExpirationTime
 * (hours, 1-168; absent = no stream) and StreamEnableTime (ISO 8601 with
 * milliseconds, default: when loaded); ReservedThroughput {Read, Write}
 * (capacity units, default 0). CreateDate (ISO 8601, default: when loaded) is
 * saved so that a restarted --data-dir sandbox keeps it (DescribeTable's
 * last_increase_time). Rows come from RowsFile (CSV, path relative to the
 * world file) or inline Rows (see ots_rows_load_json), not both.
 *
 * Save writes RowsFile as an absolute path when the table is unchanged since
 * it was loaded from that file (so the saved world reloads from anywhere and
 * a 1M-row table is not inlined), else inline Rows. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "emu/log.h"
#include "ots_int.h"
#include "ots_search_int.h"

#define PATH_BUF 512

typedef struct field_spec {
    const char *name;
    int type; /* cJSON_String, cJSON_Number, cJSON_Array, cJSON_Object, cJSON_True (bool) */
    bool required;
} field_spec;

static const char *json_type_name(int t)
{
    switch (t) {
    case cJSON_String:
        return "a string";
    case cJSON_Number:
        return "a number";
    case cJSON_Array:
        return "an array";
    case cJSON_Object:
        return "an object";
    default:
        return "a boolean";
    }
}

static bool has_type(const cJSON *j, int t)
{
    if (t == 0) /* any type: the field's own loader checks it */
        return true;
    if (t == cJSON_True)
        return cJSON_IsBool(j);
    return (j->type & 0xFF) == t;
}

/* Checks that o is an object whose fields are all in spec, with the right
 * JSON types, required ones present; out[i] receives field spec[i] or NULL. */
static emu_rc check_object(const cJSON *o, const char *path, const field_spec *spec, size_t n,
                           const cJSON **out, emu_err *err)
{
    if (!cJSON_IsObject(o))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: expected an object", path);
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    for (const cJSON *k = o->child; k; k = k->next) {
        size_t i;
        for (i = 0; i < n; i++)
            if (!strcmp(k->string, spec[i].name))
                break;
        if (i == n)
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: unknown field", path, k->string);
        if (out[i])
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: duplicate field", path, k->string);
        if (!has_type(k, spec[i].type))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: expected %s", path, k->string,
                               json_type_name(spec[i].type));
        out[i] = k;
    }
    for (size_t i = 0; i < n; i++)
        if (spec[i].required && !out[i])
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: missing", path, spec[i].name);
    return EMU_OK;
}

static emu_rc get_int(const cJSON *j, const char *path, const char *field, int64_t lo, int64_t hi,
                      int64_t *out, emu_err *err)
{
    double d = j->valuedouble;
    if (d != floor(d) || d < (double)lo || d > (double)hi)
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s: %g is not an integer in [%lld, %lld]",
                           path, field, d, (long long)lo, (long long)hi);
    *out = (int64_t)d;
    return EMU_OK;
}

/* Directory + relative path, or the path itself when absolute. */
static char *resolve(const char *base_dir, const char *rel)
{
    if (rel[0] == '/' || !base_dir || !base_dir[0])
        return emu_xstrdup(rel);
    size_t n = strlen(base_dir) + strlen(rel) + 2;
    char *p = emu_xmalloc(n);
    snprintf(p, n, "%s/%s", base_dir, rel);
    return p;
}

enum {
    T_NAME,
    T_PK,
    T_DEF,
    T_TTL,
    T_MAXV,
    T_DEV,
    T_ALLOW,
    T_CREATED,
    T_FILE,
    T_ROWS,
    T_IDX,
    T_TXN,
    T_STREAM_H,
    T_STREAM_AT,
    T_SIDX,
    T_CU,
    T_COUNT
};

static const field_spec table_spec[T_COUNT] = {
    {"TableName", cJSON_String, true},
    {"PrimaryKey", cJSON_Array, true},
    {"DefinedColumns", cJSON_Array, false},
    {"TimeToLive", cJSON_Number, false},
    {"MaxVersions", cJSON_Number, false},
    {"DeviationCellVersionInSec", cJSON_Number, false},
    {"AllowUpdate", cJSON_True, false},
    {"CreateDate", cJSON_String, false},
    {"RowsFile", cJSON_String, false},
    {"Rows", cJSON_Array, false},
    {"Indexes", cJSON_Array, false},
    {"EnableLocalTxn", cJSON_True, false},
    {"StreamExpirationTime", cJSON_Number, false},
    {"StreamEnableTime", cJSON_String, false},
    {"SearchIndexes", cJSON_Array, false},
    {"ReservedThroughput", cJSON_Object, false},
};

static emu_rc load_table(ots_instance_t *in, const cJSON *tj, const char *path,
                         const char *base_dir, emu_err *err)
{
    const cJSON *f[T_COUNT] = {NULL};
    char p[PATH_BUF];
    ots_pk_col pk[EMU_MAX_OTS_PK_COLUMNS];
    ots_def_col def[EMU_MAX_OTS_DEFINED_COLUMNS];
    ots_table_schema s = {0};
    ots_table_t *t = NULL;
    emu_rc rc;

    if ((rc = check_object(tj, path, table_spec, T_COUNT, f, err)))
        return rc;
    s.name = f[T_NAME]->valuestring;
    if (ots_store_table_find(in, s.name))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.TableName: duplicate table name \"%s\"",
                           path, s.name);

    int n_pk = cJSON_GetArraySize(f[T_PK]);
    if (n_pk < 1 || n_pk > EMU_MAX_OTS_PK_COLUMNS)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.PrimaryKey: The number of primary key columns must be in range: "
                           "[1, 4].",
                           path);
    int i = 0;
    for (const cJSON *c = f[T_PK]->child; c; c = c->next, i++) {
        static const field_spec spec[] = {{"Name", cJSON_String, true},
                                          {"Type", cJSON_String, true},
                                          {"AutoIncrement", cJSON_True, false}};
        const cJSON *cf[3];
        snprintf(p, sizeof p, "%s.PrimaryKey[%d]", path, i);
        if ((rc = check_object(c, p, spec, 3, cf, err)))
            return rc;
        pk[i].name = cf[0]->valuestring;
        if (!ots_pk_type_parse(cf[1]->valuestring, &pk[i].type))
            return emu_err_set(
                err, EMU_E_INVALID, NULL,
                "%s.Type: \"%s\" is not a primary key type (INTEGER, STRING, BINARY)", p,
                cf[1]->valuestring);
        pk[i].auto_increment = cf[2] && cJSON_IsTrue(cf[2]);
    }
    s.pk = pk;
    s.n_pk = (size_t)n_pk;

    if (f[T_DEF]) {
        int n_def = cJSON_GetArraySize(f[T_DEF]);
        if (n_def > EMU_MAX_OTS_DEFINED_COLUMNS)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.DefinedColumns: The number of defined columns must be in range: "
                               "[0, 32].",
                               path);
        i = 0;
        for (const cJSON *c = f[T_DEF]->child; c; c = c->next, i++) {
            static const field_spec spec[] = {{"Name", cJSON_String, true},
                                              {"Type", cJSON_String, true}};
            const cJSON *cf[2];
            snprintf(p, sizeof p, "%s.DefinedColumns[%d]", path, i);
            if ((rc = check_object(c, p, spec, 2, cf, err)))
                return rc;
            def[i].name = cf[0]->valuestring;
            if (!ots_col_type_parse(cf[1]->valuestring, &def[i].type))
                return emu_err_set(
                    err, EMU_E_INVALID, NULL,
                    "%s.Type: \"%s\" is not a column type (INTEGER, DOUBLE, BOOLEAN, "
                    "STRING, BINARY)",
                    p, cf[1]->valuestring);
        }
        s.defined = def;
        s.n_defined = (size_t)n_def;
    }

    s.opts = ots_table_options_default();
    int64_t v = 0;
    if (f[T_TTL]) {
        if ((rc = get_int(f[T_TTL], path, "TimeToLive", -1, INT32_MAX, &v, err)))
            return rc;
        if (v == 0)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.TimeToLive: TimeToLive cannot be 0 or less than -1.", path);
        s.opts.ttl_s = (int32_t)v;
    }
    if (f[T_MAXV]) {
        if ((rc = get_int(f[T_MAXV], path, "MaxVersions", 1, INT32_MAX, &v, err)))
            return rc;
        s.opts.max_versions = (int32_t)v;
    }
    if (f[T_DEV]) {
        if ((rc = get_int(f[T_DEV], path, "DeviationCellVersionInSec", 1, INT32_MAX, &v, err)))
            return rc;
        s.opts.deviation_s = v;
    }
    if (f[T_ALLOW])
        s.opts.allow_update = cJSON_IsTrue(f[T_ALLOW]);
    if (f[T_CU]) { /* {"Read": n, "Write": n}, capacity units, each optional */
        static const field_spec spec[] = {{"Read", cJSON_Number, false},
                                          {"Write", cJSON_Number, false}};
        const cJSON *cf[2] = {NULL};
        char cp[256];
        snprintf(cp, sizeof cp, "%s.ReservedThroughput", path);
        if ((rc = check_object(f[T_CU], cp, spec, 2, cf, err)))
            return rc;
        if (cf[0] && (rc = get_int(cf[0], cp, "Read", 0, 100000, &v, err)))
            return rc;
        s.opts.cu_read = cf[0] ? (int32_t)v : 0;
        if (cf[1] && (rc = get_int(cf[1], cp, "Write", 0, 100000, &v, err)))
            return rc;
        s.opts.cu_write = cf[1] ? (int32_t)v : 0;
    }
    if (f[T_TXN])
        s.opts.local_txn = cJSON_IsTrue(f[T_TXN]);
    if (f[T_STREAM_H]) {
        if ((rc = get_int(f[T_STREAM_H], path, "StreamExpirationTime", 1, 168, &v, err)))
            return rc;
        s.opts.stream_expiration_h = (int32_t)v;
        s.opts.stream_enabled_ms = emu_clock_now_ms();
    }
    if (f[T_STREAM_AT] &&
        !emu_time_parse_iso(f[T_STREAM_AT]->valuestring, strlen(f[T_STREAM_AT]->valuestring), true,
                            &s.opts.stream_enabled_ms))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.StreamEnableTime: \"%.64s\" is not an ISO-8601 UTC time like "
                           "2026-01-01T00:00:00.000Z",
                           path, f[T_STREAM_AT]->valuestring);
    int64_t created = 0;
    if (f[T_CREATED] && !emu_time_parse_iso(f[T_CREATED]->valuestring,
                                            strlen(f[T_CREATED]->valuestring), true, &created))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.CreateDate: \"%.64s\" is not an ISO-8601 UTC time like "
                           "2026-01-01T00:00:00Z",
                           path, f[T_CREATED]->valuestring);
    if (f[T_FILE] && f[T_ROWS])
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: give RowsFile or Rows, not both", path);

    if ((rc = ots_store_table_create(in, &s, &t, err))) {
        emu_err_prefix(err, "%s: ", path);
        return rc;
    }
    /* From here on the table exists; on error the caller frees the store. */
    if (f[T_CREATED])
        ots_table_set_created_ms(t, created);
    int64_t now = emu_clock_now_ms();
    if (f[T_FILE]) {
        char *full = resolve(base_dir, f[T_FILE]->valuestring);
        char *abs = realpath(full, NULL);
        rc = ots_rows_load_csv_file(t, abs ? abs : full, f[T_FILE]->valuestring, now, err);
        if (rc)
            emu_err_prefix(err, "%s.RowsFile: ", path);
        else
            ots__table_set_loaded(t, abs ? abs : full, now);
        free(abs);
        free(full);
        return rc;
    }
    if (f[T_ROWS]) {
        if ((rc = ots_rows_load_json(t, f[T_ROWS], now, err))) {
            emu_err_prefix(err, "%s.Rows", path);
            return rc;
        }
    }
    ots__table_set_loaded(t, NULL, now);
    return EMU_OK;
}

/* An array of column names into a NULL-terminated list (free with free). */
static emu_rc name_list(const cJSON *a, const char *path, const char *field, char ***out, size_t *n,
                        emu_err *err)
{
    size_t cnt = a ? (size_t)cJSON_GetArraySize(a) : 0;
    *out = emu_xcalloc(cnt + 1, sizeof **out);
    *n = 0;
    for (const cJSON *x = a ? a->child : NULL; x; x = x->next) {
        if (!cJSON_IsString(x))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s[%zu]: expected a string", path,
                               field, *n);
        (*out)[(*n)++] = x->valuestring;
    }
    return EMU_OK;
}

/* {"IndexName", "PrimaryKey": [names], "DefinedColumns": [names],
 *  "IndexType": "Global" (default) | "Local"} */
static emu_rc load_index(ots_instance_t *in, const char *base, const cJSON *x, const char *path,
                         emu_err *err)
{
    static const field_spec spec[] = {{"IndexName", cJSON_String, true},
                                      {"PrimaryKey", cJSON_Array, true},
                                      {"DefinedColumns", cJSON_Array, false},
                                      {"IndexType", cJSON_String, false}};
    const cJSON *f[4] = {NULL};
    ots_index_def d = {0};
    emu_rc rc;
    if ((rc = check_object(x, path, spec, 4, f, err)))
        return rc;
    if (f[3] && strcmp(f[3]->valuestring, "Global") && strcmp(f[3]->valuestring, "Local"))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.IndexType: \"%.64s\" is not an index type (Global, Local)", path,
                           f[3]->valuestring);
    d.name = f[0]->valuestring;
    d.base = (char *)base;
    d.local = f[3] && !strcmp(f[3]->valuestring, "Local");
    d.sync = d.local;
    if (!(rc = name_list(f[1], path, "PrimaryKey", &d.keys, &d.n_keys, err)) &&
        !(rc = name_list(f[2], path, "DefinedColumns", &d.attrs, &d.n_attrs, err)) &&
        (rc = ots_index_create(in, ots_store_table_find(in, base), &d, true, err)))
        emu_err_prefix(err, "%s: ", path);
    free(d.keys);
    free(d.attrs);
    return rc;
}

/* Network names of the instance ACLs, as UpdateInstance (2020-12-09) spells
 * them; the bits are emu/policy.h's POLICY_NET_* / POLICY_NETSRC_*. */
static const char *const NET_TYPES[] = {"INTERNET", "VPC", "CLASSIC"};

static bool net_type_bit(const char *v, uint8_t *bit)
{
    for (size_t i = 0; i < sizeof NET_TYPES / sizeof NET_TYPES[0]; i++)
        if (!strcmp(v, NET_TYPES[i])) {
            *bit = (uint8_t)(1u << i);
            return true;
        }
    return false;
}

/* NetworkTypeACL ["INTERNET", "VPC", "CLASSIC"] / NetworkSourceACL
 * ["TRUST_PROXY"] into bits. */
static emu_rc acl_list(const cJSON *a, const char *path, const char *field, bool sources,
                       uint8_t *bits, emu_err *err)
{
    int i = 0;
    for (const cJSON *x = a ? a->child : NULL; x; x = x->next, i++) {
        uint8_t bit = 0;
        bool ok =
            cJSON_IsString(x) && (sources ? !strcmp(x->valuestring, "TRUST_PROXY") && (bit = 1)
                                          : net_type_bit(x->valuestring, &bit));
        if (!ok)
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.%s[%d]: not %s", path, field, i,
                               sources ? "TRUST_PROXY" : "INTERNET, VPC or CLASSIC");
        *bits |= bit;
    }
    return EMU_OK;
}

/* ---- Search indexes in world files ------------------------------------------------ */

/* {"IndexName", "TimeToLive": -1, "FieldSchemas": [{"FieldName", "FieldType":
 *  "LONG"|"DOUBLE"|"BOOLEAN"|"KEYWORD"|"TEXT"|"NESTED"|"GEO_POINT"|"DATE"|"VECTOR",
 *  "Index", "EnableSortAndAgg", "EnableHighlighting", "Store", "IsArray", "Analyzer",
 *  "AnalyzerParameter": {"CaseSensitive", "DelimitWord", "Delimiter", "MinChars",
 *  "MaxChars"}, "DateFormats": [..], "VectorOptions": {"Dimension", "MetricType":
 *  "EUCLIDEAN"|"COSINE"|"DOT_PRODUCT"}, "FieldSchemas": [..]}]}: the message
 * CreateSearchIndex takes, as JSON; the postings are built from the rows. */
static const char *const field_types[] = {NULL,   "LONG",   "DOUBLE",    "BOOLEAN", "KEYWORD",
                                          "TEXT", "NESTED", "GEO_POINT", "DATE",    "VECTOR"};
#define N_FIELD_TYPES (sizeof field_types / sizeof field_types[0])
static const char *const vector_metrics[] = {"EUCLIDEAN", "COSINE", "DOT_PRODUCT"};

static emu_rc json_fields(const cJSON *arr, const char *path, emu_arena *a, int depth,
                          Ots__FieldSchema ***out, size_t *n, emu_err *err);

static emu_rc json_field(const cJSON *x, const char *path, emu_arena *a, int depth,
                         Ots__FieldSchema *fs, emu_err *err)
{
    static const field_spec spec[] = {
        {"FieldName", cJSON_String, true},      {"FieldType", cJSON_String, true},
        {"Index", cJSON_True, false},           {"EnableSortAndAgg", cJSON_True, false},
        {"Store", cJSON_True, false},           {"IsArray", cJSON_True, false},
        {"Analyzer", cJSON_String, false},      {"AnalyzerParameter", cJSON_Object, false},
        {"DateFormats", cJSON_Array, false},    {"FieldSchemas", cJSON_Array, false},
        {"VectorOptions", cJSON_Object, false}, {"EnableHighlighting", cJSON_True, false},
    };
    const cJSON *f[12];
    emu_rc rc;
    char p[PATH_BUF];
    if ((rc = check_object(x, path, spec, 12, f, err)))
        return rc;
    ots__field_schema__init(fs);
    fs->field_name = f[0]->valuestring;
    size_t t = 1;
    while (t < N_FIELD_TYPES && strcmp(field_types[t], f[1]->valuestring))
        t++;
    if (t == N_FIELD_TYPES)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.FieldType: \"%.64s\" is not a field type (LONG, DOUBLE, BOOLEAN, "
                           "KEYWORD, TEXT, NESTED, GEO_POINT, DATE, VECTOR)",
                           path, f[1]->valuestring);
    fs->has_field_type = true;
    fs->field_type = (Ots__FieldType)t;
    fs->has_index = f[2] != NULL;
    fs->index = f[2] && cJSON_IsTrue(f[2]);
    fs->has_doc_values = f[3] != NULL;
    fs->doc_values = f[3] && cJSON_IsTrue(f[3]);
    fs->has_store = f[4] != NULL;
    fs->store = f[4] && cJSON_IsTrue(f[4]);
    fs->has_is_array = f[5] != NULL;
    fs->is_array = f[5] && cJSON_IsTrue(f[5]);
    fs->has_enable_highlighting = f[11] != NULL;
    fs->enable_highlighting = f[11] && cJSON_IsTrue(f[11]);
    fs->analyzer = f[6] ? f[6]->valuestring : NULL;
    if (f[7]) {
        static const field_spec ps[] = {{"CaseSensitive", cJSON_True, false},
                                        {"DelimitWord", cJSON_True, false},
                                        {"Delimiter", cJSON_String, false},
                                        {"MinChars", cJSON_Number, false},
                                        {"MaxChars", cJSON_Number, false}};
        const cJSON *g[5];
        snprintf(p, sizeof p, "%s.AnalyzerParameter", path);
        if ((rc = check_object(f[7], p, ps, 5, g, err)))
            return rc;
        uint8_t *buf = emu_arena_alloc(a, 512);
        size_t len = 0;
        if (g[3] || g[4]) {
            Ots__FuzzyAnalyzerParameter m = OTS__FUZZY_ANALYZER_PARAMETER__INIT;
            int64_t v = 0;
            if (g[3] && !(rc = get_int(g[3], p, "MinChars", 1, 7, &v, err)))
                m.has_min_chars = true, m.min_chars = (int32_t)v;
            if (!rc && g[4] && !(rc = get_int(g[4], p, "MaxChars", 1, 7, &v, err)))
                m.has_max_chars = true, m.max_chars = (int32_t)v;
            if (rc)
                return rc;
            len = ots__fuzzy_analyzer_parameter__pack(&m, buf);
        } else if (g[2]) {
            Ots__SplitAnalyzerParameter m = OTS__SPLIT_ANALYZER_PARAMETER__INIT;
            if (strlen(g[2]->valuestring) > 64)
                return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Delimiter: too long", p);
            m.delimiter = g[2]->valuestring;
            len = ots__split_analyzer_parameter__pack(&m, buf);
        } else {
            Ots__SingleWordAnalyzerParameter m = OTS__SINGLE_WORD_ANALYZER_PARAMETER__INIT;
            m.has_case_sensitive = g[0] != NULL;
            m.case_sensitive = g[0] && cJSON_IsTrue(g[0]);
            m.has_delimit_word = g[1] != NULL;
            m.delimit_word = g[1] && cJSON_IsTrue(g[1]);
            len = ots__single_word_analyzer_parameter__pack(&m, buf);
        }
        fs->has_analyzer_parameter = true;
        fs->analyzer_parameter = (ProtobufCBinaryData){len, buf};
    }
    if (f[8]) {
        size_t n = (size_t)cJSON_GetArraySize(f[8]), i = 0;
        fs->date_formats = emu_arena_alloc(a, (n + 1) * sizeof(char *));
        for (const cJSON *d = f[8]->child; d; d = d->next, i++) {
            if (!cJSON_IsString(d))
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "%s.DateFormats[%zu]: expected a string", path, i);
            fs->date_formats[i] = d->valuestring;
        }
        fs->n_date_formats = n;
    }
    if (f[10]) {
        static const field_spec vspec[] = {{"Dimension", cJSON_Number, true},
                                           {"MetricType", cJSON_String, false}};
        const cJSON *g[2];
        snprintf(p, sizeof p, "%s.VectorOptions", path);
        if ((rc = check_object(f[10], p, vspec, 2, g, err)))
            return rc;
        Ots__VectorOptions *vo = emu_arena_alloc(a, sizeof *vo);
        ots__vector_options__init(vo);
        vo->has_data_type = vo->has_dimension = vo->has_metric_type = true;
        vo->data_type = 2; /* VD_FLOAT_32 */
        vo->dimension = (int32_t)g[0]->valuedouble;
        int mt = 0;
        while (g[1] && mt < 3 && strcmp(vector_metrics[mt], g[1]->valuestring))
            mt++;
        if (mt == 3)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.MetricType: expected EUCLIDEAN, COSINE or DOT_PRODUCT", p);
        vo->metric_type = g[1] ? mt : 0;
        fs->vector_options = vo;
    }
    if (f[9]) {
        snprintf(p, sizeof p, "%s.FieldSchemas", path);
        return json_fields(f[9], p, a, depth + 1, &fs->field_schemas, &fs->n_field_schemas, err);
    }
    return EMU_OK;
}

/* "InstancePolicy": the document as an object (or its JSON text), a
 * resource-based policy (Principal + Resource; 4 KB). Labelled with the
 * instance's name, so reasons read "Instance policy cap1 /Statement/0". */
static emu_rc instance_policy_load(const cJSON *v, const char *instance, const char *path,
                                   policy_doc_t **out, emu_err *err)
{
    emu_rc rc;
    if (cJSON_IsString(v))
        rc = policy_compile(v->valuestring, strlen(v->valuestring), POLICY_KIND_RESOURCE, out, err);
    else if (cJSON_IsObject(v))
        rc = policy_compile_json(v, POLICY_KIND_RESOURCE, out, err);
    else
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "must be a policy document (object or string)");
    if (rc) {
        emu_err_prefix(err, "%s.InstancePolicy: ", path);
        return EMU_E_INVALID;
    }
    policy_doc_set_label(*out, instance, "Instance", NULL);
    return EMU_OK;
}

/* "Tags": [{"Key": "env", "Value": "prod"}], at most
 * EMU_MAX_OTS_INSTANCE_TAGS, keys unique. */
static emu_rc tags_check(const cJSON *a, const char *path, emu_err *err)
{
    int i = 0;
    for (const cJSON *t = a ? a->child : NULL; t; t = t->next, i++) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
        if (!cJSON_IsObject(t) || !cJSON_IsString(k) || !k->valuestring[0] || !cJSON_IsString(v))
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s.Tags[%d]: must be {\"Key\": non-empty string, \"Value\": "
                               "string}",
                               path, i);
        if (i >= EMU_MAX_OTS_INSTANCE_TAGS)
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Tags: more than %d tags", path,
                               EMU_MAX_OTS_INSTANCE_TAGS);
        for (const cJSON *o = a->child; o != t; o = o->next)
            if (!strcmp(cJSON_GetObjectItemCaseSensitive(o, "Key")->valuestring, k->valuestring))
                return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Tags[%d]: duplicate key \"%s\"",
                                   path, i, k->valuestring);
    }
    return EMU_OK;
}

/* Description, ClusterType, CreateTime and Tags: what the instance API
 * reports (omitted when they hold their defaults). */
static void info_json(cJSON *ij, const ots_instance_t *in)
{
    ots_instance_info info = ots_instance_info_of(in);
    if (info.description[0])
        cJSON_AddStringToObject(ij, "Description", info.description);
    if (strcmp(info.cluster, "SSD") != 0)
        cJSON_AddStringToObject(ij, "ClusterType", info.cluster);
    if (info.create_ms) {
        char when[21];
        emu_time_iso(info.create_ms, when);
        cJSON_AddStringToObject(ij, "CreateTime", when);
    }
    if (ots_instance_tag_count(in)) {
        cJSON *a = cJSON_AddArrayToObject(ij, "Tags");
        const char *v;
        for (size_t i = 0; i < ots_instance_tag_count(in); i++) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "Key", ots_instance_tag_at(in, i, &v));
            cJSON_AddStringToObject(t, "Value", v);
            cJSON_AddItemToArray(a, t);
        }
    }
}

static void acl_json(cJSON *ij, const ots_instance_t *in)
{
    info_json(ij, in);
    int64_t version;
    const policy_doc_t *pol = ots_instance_policy(in, &version);
    if (pol) {
        size_t len;
        const char *text = policy_doc_text(pol, &len);
        cJSON *doc = cJSON_ParseWithLength(text, len);
        cJSON_AddItemToObject(ij, "InstancePolicy", doc ? doc : cJSON_CreateString(text));
        cJSON_AddNumberToObject(ij, "InstancePolicyVersion", (double)version);
    }
    ots_net_acl acl = ots_instance_acl(in);
    if (acl.has_types) {
        cJSON *a = cJSON_AddArrayToObject(ij, "NetworkTypeACL");
        for (size_t i = 0; i < sizeof NET_TYPES / sizeof NET_TYPES[0]; i++)
            if (acl.types & (1u << i))
                cJSON_AddItemToArray(a, cJSON_CreateString(NET_TYPES[i]));
    }
    if (acl.has_sources) {
        cJSON *a = cJSON_AddArrayToObject(ij, "NetworkSourceACL");
        if (acl.sources & 1)
            cJSON_AddItemToArray(a, cJSON_CreateString("TRUST_PROXY"));
    }
}

static emu_rc json_fields(const cJSON *arr, const char *path, emu_arena *a, int depth,
                          Ots__FieldSchema ***out, size_t *n, emu_err *err)
{
    size_t cnt = (size_t)cJSON_GetArraySize(arr), i = 0;
    char p[PATH_BUF];
    if (depth > 3 || cnt > EMU_MAX_OTS_SEARCH_FIELDS)
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: too many or too deep fields", path);
    *out = emu_arena_alloc(a, (cnt + 1) * sizeof **out);
    for (const cJSON *x = arr->child; x; x = x->next, i++) {
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        (*out)[i] = emu_arena_alloc(a, sizeof ***out);
        emu_rc rc = json_field(x, p, a, depth, (*out)[i], err);
        if (rc)
            return rc;
    }
    *n = cnt;
    return EMU_OK;
}

/* "IndexSort": [{"PrimaryKey": "ASC"|"DESC"} | {"FieldName", "Order": "ASC"|"DESC"}]. */
static emu_rc json_index_sort(const cJSON *arr, const char *path, emu_arena *a, Ots__Sort **out,
                              emu_err *err)
{
    static const field_spec spec[] = {{"PrimaryKey", cJSON_String, false},
                                      {"FieldName", cJSON_String, false},
                                      {"Order", cJSON_String, false}};
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    char p[PATH_BUF];
    Ots__Sort *s = emu_arena_alloc(a, sizeof *s);
    ots__sort__init(s);
    s->sorter = emu_arena_alloc(a, (n + 1) * sizeof *s->sorter);
    for (const cJSON *x = arr->child; x; x = x->next, i++) {
        const cJSON *g[3];
        emu_rc rc;
        snprintf(p, sizeof p, "%s.IndexSort[%zu]", path, i);
        if ((rc = check_object(x, p, spec, 3, g, err)))
            return rc;
        const cJSON *ord = g[0] ? g[0] : g[2];
        if (!g[0] == !g[1] ||
            (ord && strcmp(ord->valuestring, "ASC") && strcmp(ord->valuestring, "DESC")))
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%s: expected {\"PrimaryKey\": \"ASC\"|\"DESC\"} or "
                               "{\"FieldName\", \"Order\": \"ASC\"|\"DESC\"}",
                               p);
        bool desc = ord && !strcmp(ord->valuestring, "DESC");
        Ots__Sorter *x2 = emu_arena_alloc(a, sizeof *x2);
        ots__sorter__init(x2);
        if (g[0]) {
            x2->pk_sort = emu_arena_alloc(a, sizeof *x2->pk_sort);
            ots__primary_key_sort__init(x2->pk_sort);
            x2->pk_sort->has_order = true;
            x2->pk_sort->order =
                desc ? OTS__SORT_ORDER__SORT_ORDER_DESC : OTS__SORT_ORDER__SORT_ORDER_ASC;
        } else {
            x2->field_sort = emu_arena_alloc(a, sizeof *x2->field_sort);
            ots__field_sort__init(x2->field_sort);
            x2->field_sort->field_name = g[1]->valuestring;
            x2->field_sort->has_order = true;
            x2->field_sort->order =
                desc ? OTS__SORT_ORDER__SORT_ORDER_DESC : OTS__SORT_ORDER__SORT_ORDER_ASC;
        }
        s->sorter[s->n_sorter++] = x2;
    }
    *out = s;
    return EMU_OK;
}

static emu_rc load_search_index(ots_instance_t *in, const char *table, const cJSON *x,
                                const char *path, emu_err *err)
{
    static const field_spec spec[] = {{"IndexName", cJSON_String, true},
                                      {"TimeToLive", cJSON_Number, false},
                                      {"FieldSchemas", cJSON_Array, true},
                                      {"IndexSort", cJSON_Array, false}};
    const cJSON *f[4];
    char p[PATH_BUF];
    int64_t ttl = -1;
    emu_rc rc;
    if ((rc = check_object(x, path, spec, 4, f, err)))
        return rc;
    if (f[1] && (rc = get_int(f[1], path, "TimeToLive", -1, INT32_MAX, &ttl, err)))
        return rc;
    emu_arena *a = emu_arena_new(0);
    Ots__IndexSchema schema = OTS__INDEX_SCHEMA__INIT;
    if (f[3] && (rc = json_index_sort(f[3], path, a, &schema.index_sort, err))) {
        emu_arena_free(a);
        return rc;
    }
    snprintf(p, sizeof p, "%s.FieldSchemas", path);
    if (!(rc = json_fields(f[2], p, a, 1, &schema.field_schemas, &schema.n_field_schemas, err)) &&
        (rc = ots_search_create(in, ots_store_table_find(in, table), f[0]->valuestring, &schema,
                                (int32_t)ttl, err)))
        emu_err_prefix(err, "%s: ", path);
    emu_arena_free(a);
    return rc;
}

static cJSON *fields_to_json(Ots__FieldSchema *const *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const Ots__FieldSchema *fs = v[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "FieldName", fs->field_name ? fs->field_name : "");
        size_t t = (size_t)fs->field_type;
        cJSON_AddStringToObject(o, "FieldType", t && t < N_FIELD_TYPES ? field_types[t] : "");
        if (fs->has_index)
            cJSON_AddBoolToObject(o, "Index", fs->index);
        if (fs->has_doc_values)
            cJSON_AddBoolToObject(o, "EnableSortAndAgg", fs->doc_values);
        if (fs->has_store)
            cJSON_AddBoolToObject(o, "Store", fs->store);
        if (fs->has_is_array)
            cJSON_AddBoolToObject(o, "IsArray", fs->is_array);
        if (fs->has_enable_highlighting)
            cJSON_AddBoolToObject(o, "EnableHighlighting", fs->enable_highlighting);
        if (fs->analyzer)
            cJSON_AddStringToObject(o, "Analyzer", fs->analyzer);
        if (fs->has_analyzer_parameter && fs->analyzer && fs->analyzer_parameter.len) {
            ProtobufCBinaryData b = fs->analyzer_parameter;
            cJSON *ap = cJSON_AddObjectToObject(o, "AnalyzerParameter");
            if (!strcmp(fs->analyzer, "fuzzy")) {
                Ots__FuzzyAnalyzerParameter *m =
                    ots__fuzzy_analyzer_parameter__unpack(NULL, b.len, b.data);
                if (m && m->has_min_chars)
                    cJSON_AddNumberToObject(ap, "MinChars", m->min_chars);
                if (m && m->has_max_chars)
                    cJSON_AddNumberToObject(ap, "MaxChars", m->max_chars);
                ots__fuzzy_analyzer_parameter__free_unpacked(m, NULL);
            } else if (!strcmp(fs->analyzer, "split")) {
                Ots__SplitAnalyzerParameter *m =
                    ots__split_analyzer_parameter__unpack(NULL, b.len, b.data);
                if (m && m->delimiter)
                    cJSON_AddStringToObject(ap, "Delimiter", m->delimiter);
                ots__split_analyzer_parameter__free_unpacked(m, NULL);
            } else if (!strcmp(fs->analyzer, "single_word")) {
                Ots__SingleWordAnalyzerParameter *m =
                    ots__single_word_analyzer_parameter__unpack(NULL, b.len, b.data);
                if (m && m->has_case_sensitive)
                    cJSON_AddBoolToObject(ap, "CaseSensitive", m->case_sensitive);
                if (m && m->has_delimit_word)
                    cJSON_AddBoolToObject(ap, "DelimitWord", m->delimit_word);
                ots__single_word_analyzer_parameter__free_unpacked(m, NULL);
            }
        }
        if (fs->vector_options && fs->vector_options->has_dimension) {
            cJSON *vo = cJSON_AddObjectToObject(o, "VectorOptions");
            int mt = fs->vector_options->has_metric_type ? fs->vector_options->metric_type : 0;
            cJSON_AddNumberToObject(vo, "Dimension", fs->vector_options->dimension);
            cJSON_AddStringToObject(vo, "MetricType", mt >= 0 && mt < 3 ? vector_metrics[mt] : "");
        }
        if (fs->n_date_formats) {
            cJSON *d = cJSON_AddArrayToObject(o, "DateFormats");
            for (size_t k = 0; k < fs->n_date_formats; k++)
                cJSON_AddItemToArray(d, cJSON_CreateString(fs->date_formats[k]));
        }
        if (fs->n_field_schemas)
            cJSON_AddItemToObject(o, "FieldSchemas",
                                  fields_to_json(fs->field_schemas, fs->n_field_schemas));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static void search_indexes_json(const ots_instance_t *in, const ots_table_t *t, cJSON *o)
{
    ots_search_def *defs[EMU_MAX_OTS_SEARCH_INDEXES];
    size_t n = ots_search_list(in, ots_table_schema_of(t)->name, defs, EMU_MAX_OTS_SEARCH_INDEXES);
    cJSON *arr = n ? cJSON_AddArrayToObject(o, "SearchIndexes") : NULL;
    for (size_t i = 0; i < n && i < EMU_MAX_OTS_SEARCH_INDEXES; i++) {
        Ots__IndexSchema *s = ots__index_schema__unpack(NULL, defs[i]->schema_len, defs[i]->schema);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "IndexName", defs[i]->name);
        cJSON_AddNumberToObject(x, "TimeToLive", defs[i]->ttl_s);
        cJSON_AddItemToObject(x, "FieldSchemas",
                              s ? fields_to_json(s->field_schemas, s->n_field_schemas)
                                : cJSON_CreateArray());
        if (s && s->index_sort) {
            cJSON *is = cJSON_AddArrayToObject(x, "IndexSort");
            for (size_t k = 0; k < s->index_sort->n_sorter; k++) {
                const Ots__Sorter *so = s->index_sort->sorter[k];
                cJSON *e = cJSON_CreateObject();
                if (so->pk_sort) {
                    cJSON_AddStringToObject(
                        e, "PrimaryKey",
                        so->pk_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC ? "DESC" : "ASC");
                } else if (so->field_sort) {
                    cJSON_AddStringToObject(e, "FieldName", so->field_sort->field_name);
                    cJSON_AddStringToObject(
                        e, "Order",
                        so->field_sort->order == OTS__SORT_ORDER__SORT_ORDER_DESC ? "DESC" : "ASC");
                }
                cJSON_AddItemToArray(is, e);
            }
        }
        ots__index_schema__free_unpacked(s, NULL);
        cJSON_AddItemToArray(arr, x);
    }
}

static emu_rc load_instance(ots_store_t *s, const cJSON *ij, const char *path, const char *base_dir,
                            emu_err *err)
{
    static const field_spec spec[] = {{"InstanceName", cJSON_String, true},
                                      {"Network", cJSON_String, false},
                                      {"Tables", cJSON_Array, false},
                                      {"NetworkTypeACL", cJSON_Array, false},
                                      {"NetworkSourceACL", cJSON_Array, false},
                                      {"SqlMappings", cJSON_Array, false},
                                      {"InstancePolicy", 0, false},
                                      {"InstancePolicyVersion", cJSON_Number, false},
                                      {"Description", cJSON_String, false},
                                      {"ClusterType", cJSON_String, false},
                                      {"CreateTime", cJSON_String, false},
                                      {"Tags", cJSON_Array, false}};
    const cJSON *f[12] = {NULL};
    char p[PATH_BUF];
    ots_network net = OTS_NET_ANY;
    ots_instance_t *in;
    emu_rc rc;

    if ((rc = check_object(ij, path, spec, 12, f, err)))
        return rc;
    int64_t created = 0;
    if (f[9] && strcmp(f[9]->valuestring, "SSD") != 0 && strcmp(f[9]->valuestring, "HYBRID") != 0)
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s.ClusterType: \"%s\" is not SSD or HYBRID",
                           path, f[9]->valuestring);
    if (f[10] &&
        !emu_time_parse_iso(f[10]->valuestring, strlen(f[10]->valuestring), true, &created))
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "%s.CreateTime: \"%s\" is not an ISO 8601 time", path,
                           f[10]->valuestring);
    if ((rc = tags_check(f[11], path, err)))
        return rc;
    policy_doc_t *ipol = NULL;
    if (f[6] && (rc = instance_policy_load(f[6], f[0]->valuestring, path, &ipol, err)))
        return rc;
    ots_net_acl acl = {0};
    if ((rc = acl_list(f[3], path, "NetworkTypeACL", false, &acl.types, err)) ||
        (rc = acl_list(f[4], path, "NetworkSourceACL", true, &acl.sources, err)))
        return rc;
    acl.has_types = f[3] != NULL;
    acl.has_sources = f[4] != NULL;
    if (f[1] && !ots_network_parse(f[1]->valuestring, &net))
        rc = emu_err_set(err, EMU_E_INVALID, NULL,
                         "%s.Network: \"%s\" is not a network type (Any, Vpc, Internet)", path,
                         f[1]->valuestring);
    else if (ots_store_instance_find(s, f[0]->valuestring))
        rc =
            emu_err_set(err, EMU_E_INVALID, NULL, "%s.InstanceName: duplicate instance name \"%s\"",
                        path, f[0]->valuestring);
    else if ((rc = ots_store_instance_create(s, f[0]->valuestring, net, &in, err)))
        emu_err_prefix(err, "%s.InstanceName: ", path);
    if (rc) {
        policy_doc_free(ipol);
        return rc;
    }
    ots_instance_set_acl(in, &acl);
    ots_instance_set_policy(in, ipol, f[7] ? (int64_t)f[7]->valuedouble : ipol ? 1 : 0);
    ots_instance_set_info(in, f[8] ? f[8]->valuestring : NULL, f[9] ? f[9]->valuestring : NULL,
                          created);
    for (const cJSON *t = f[11] ? f[11]->child : NULL; t; t = t->next)
        ots_instance_tag_set(in, cJSON_GetObjectItemCaseSensitive(t, "Key")->valuestring,
                             cJSON_GetObjectItemCaseSensitive(t, "Value")->valuestring);
    /* SQL mapping tables: {"Name", "Ddl"} (the CREATE TABLE statement;
     * SQLQuery parses it when a query uses the mapping). */
    int m = 0;
    for (const cJSON *x = f[5] ? f[5]->child : NULL; x; x = x->next, m++) {
        static const field_spec mspec[] = {{"Name", cJSON_String, true},
                                           {"Ddl", cJSON_String, true}};
        const cJSON *g[2];
        snprintf(p, sizeof p, "%s.SqlMappings[%d]", path, m);
        if ((rc = check_object(x, p, mspec, 2, g, err)))
            return rc;
        if (!*g[0]->valuestring || ots_sqlmap_find(in, g[0]->valuestring))
            return emu_err_set(err, EMU_E_INVALID, NULL, "%s.Name: empty or duplicate \"%.64s\"", p,
                               g[0]->valuestring);
        if (!ots_sqlmap_add(in, g[0]->valuestring, g[1]->valuestring))
            return emu_err_set(err, EMU_E_LIMIT, NULL, "%s: more than %d mapping tables", p,
                               EMU_MAX_OTS_SQL_MAPPINGS);
    }
    if (!f[2])
        return EMU_OK;
    int i = 0;
    for (const cJSON *t = f[2]->child; t; t = t->next, i++) {
        snprintf(p, sizeof p, "%s.Tables[%d]", path, i);
        if ((rc = load_table(in, t, p, base_dir, err)))
            return rc;
    }
    /* Indexes once every table and row is there: built from the rows. */
    i = 0;
    for (const cJSON *t = f[2]->child; t; t = t->next, i++) {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(t, "Indexes");
        int k = 0;
        for (const cJSON *x = idx ? idx->child : NULL; x; x = x->next, k++) {
            snprintf(p, sizeof p, "%s.Tables[%d].Indexes[%d]", path, i, k);
            const char *base = cJSON_GetObjectItemCaseSensitive(t, "TableName")->valuestring;
            if ((rc = load_index(in, base, x, p, err)))
                return rc;
        }
        const cJSON *sidx = cJSON_GetObjectItemCaseSensitive(t, "SearchIndexes");
        k = 0;
        for (const cJSON *x = sidx ? sidx->child : NULL; x; x = x->next, k++) {
            snprintf(p, sizeof p, "%s.Tables[%d].SearchIndexes[%d]", path, i, k);
            const char *base = cJSON_GetObjectItemCaseSensitive(t, "TableName")->valuestring;
            if ((rc = load_search_index(in, base, x, p, err)))
                return rc;
        }
    }
    return EMU_OK;
}

/* A store and its index registry entries (ots_index.c). */
static void store_free(ots_store_t *s)
{
    ots_index_forget_store(s);
    ots_search_forget_store(s);
    ots_sqlmap_forget_store(s);
    ots_store_free(s);
}

static emu_rc section_load(const char *account_id, const cJSON *j, const char *jpath,
                           const char *base_dir, void **state, emu_err *err)
{
    static const field_spec spec[] = {{"Instances", cJSON_Array, false},
                                      {"DefaultNetwork", cJSON_String, false}};
    const cJSON *f[2] = {NULL};
    char p[PATH_BUF];
    ots_store_t *s = ots_store_new(account_id);
    emu_rc rc = EMU_OK;

    *state = NULL;
    if (j) {
        if ((rc = check_object(j, jpath, spec, 2, f, err)))
            goto out;
        uint8_t net = 0;
        if (f[1] && !net_type_bit(f[1]->valuestring, &net)) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL,
                             "%s.DefaultNetwork: \"%.32s\" is not INTERNET, VPC or CLASSIC", jpath,
                             f[1]->valuestring);
            goto out;
        }
        ots_store_set_default_network(s, net);
        int i = 0;
        for (const cJSON *in = f[0] ? f[0]->child : NULL; in; in = in->next, i++) {
            snprintf(p, sizeof p, "%s.Instances[%d]", jpath, i);
            if ((rc = load_instance(s, in, p, base_dir, err)))
                goto out;
        }
    }
out:
    if (rc)
        store_free(s);
    else
        *state = s;
    return rc;
}

void ots_section_schema_json(cJSON *o, const ots_table_t *t)
{
    const ots_table_schema *s = ots_table_schema_of(t);
    cJSON_AddStringToObject(o, "TableName", s->name);
    cJSON *pk = cJSON_AddArrayToObject(o, "PrimaryKey");
    for (size_t i = 0; i < s->n_pk; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "Name", s->pk[i].name);
        cJSON_AddStringToObject(c, "Type", ots_pk_type_name(s->pk[i].type));
        if (s->pk[i].auto_increment)
            cJSON_AddBoolToObject(c, "AutoIncrement", true);
        cJSON_AddItemToArray(pk, c);
    }
    if (s->n_defined) {
        cJSON *d = cJSON_AddArrayToObject(o, "DefinedColumns");
        for (size_t i = 0; i < s->n_defined; i++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "Name", s->defined[i].name);
            cJSON_AddStringToObject(c, "Type", ots_col_type_name(s->defined[i].type));
            cJSON_AddItemToArray(d, c);
        }
    }
    ots_table_options def = ots_table_options_default();
    cJSON_AddNumberToObject(o, "TimeToLive", s->opts.ttl_s);
    cJSON_AddNumberToObject(o, "MaxVersions", s->opts.max_versions);
    if (s->opts.deviation_s != def.deviation_s)
        cJSON_AddNumberToObject(o, "DeviationCellVersionInSec", (double)s->opts.deviation_s);
    if (s->opts.allow_update != def.allow_update)
        cJSON_AddBoolToObject(o, "AllowUpdate", s->opts.allow_update);
    if (s->opts.local_txn)
        cJSON_AddBoolToObject(o, "EnableLocalTxn", true);
    if (s->opts.cu_read || s->opts.cu_write) {
        cJSON *cu = cJSON_AddObjectToObject(o, "ReservedThroughput");
        cJSON_AddNumberToObject(cu, "Read", s->opts.cu_read);
        cJSON_AddNumberToObject(cu, "Write", s->opts.cu_write);
    }
    if (s->opts.stream_expiration_h) {
        char at[25];
        emu_time_iso_ms(s->opts.stream_enabled_ms, at);
        cJSON_AddNumberToObject(o, "StreamExpirationTime", s->opts.stream_expiration_h);
        cJSON_AddStringToObject(o, "StreamEnableTime", at);
    }
    char date[21];
    emu_time_iso(ots_table_created_ms(t), date);
    cJSON_AddStringToObject(o, "CreateDate", date);
}

static cJSON *table_to_json(const ots_instance_t *in, const ots_table_t *t, bool with_rows)
{
    cJSON *o = cJSON_CreateObject();
    ots_section_schema_json(o, t);
    const ots_index_def *defs[OTS_MAX_INDEXES_PER_TABLE];
    size_t n = ots_index_list(in, ots_table_schema_of(t)->name, defs, OTS_MAX_INDEXES_PER_TABLE);
    cJSON *ix = n ? cJSON_AddArrayToObject(o, "Indexes") : NULL;
    for (size_t i = 0; i < n && i < OTS_MAX_INDEXES_PER_TABLE; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "IndexName", defs[i]->name);
        cJSON *k = cJSON_AddArrayToObject(x, "PrimaryKey");
        for (size_t j = 0; j < defs[i]->n_keys; j++)
            cJSON_AddItemToArray(k, cJSON_CreateString(defs[i]->keys[j]));
        cJSON *c = cJSON_AddArrayToObject(x, "DefinedColumns");
        for (size_t j = 0; j < defs[i]->n_attrs; j++)
            cJSON_AddItemToArray(c, cJSON_CreateString(defs[i]->attrs[j]));
        cJSON_AddStringToObject(x, "IndexType", defs[i]->local ? "Local" : "Global");
        cJSON_AddItemToArray(ix, x);
    }
    search_indexes_json(in, t, o);
    if (!with_rows)
        return o;
    const char *file = ots__table_rows_file(t);
    if (file && !ots_table_dirty(t))
        cJSON_AddStringToObject(o, "RowsFile", file);
    else if (ots_table_row_count(t))
        cJSON_AddItemToObject(o, "Rows", ots_rows_to_json(t));
    return o;
}

static cJSON *store_to_json(const void *state, bool with_rows)
{
    const ots_store_t *s = state;
    if (!s || !ots_store_instance_count(s))
        return NULL;
    cJSON *o = cJSON_CreateObject();
    if (ots_store_default_network(s) != 1)
        cJSON_AddStringToObject(o, "DefaultNetwork",
                                NET_TYPES[ots_store_default_network(s) == 2 ? 1 : 2]);
    cJSON *arr = cJSON_AddArrayToObject(o, "Instances");
    for (size_t i = 0; i < ots_store_instance_count(s); i++) {
        const ots_instance_t *in = ots_store_instance_at(s, i);
        cJSON *ij = cJSON_CreateObject();
        cJSON_AddStringToObject(ij, "InstanceName", ots_instance_name(in));
        cJSON_AddStringToObject(ij, "Network", ots_network_name(ots_instance_network(in)));
        acl_json(ij, in);
        size_t nm = ots_sqlmap_list(in, NULL, 0);
        if (nm) {
            const ots_sql_mapping **ms = emu_xcalloc(nm, sizeof *ms);
            ots_sqlmap_list(in, ms, nm);
            cJSON *ma = cJSON_AddArrayToObject(ij, "SqlMappings");
            for (size_t k = 0; k < nm; k++) {
                cJSON *mo = cJSON_CreateObject();
                cJSON_AddStringToObject(mo, "Name", ms[k]->name);
                cJSON_AddStringToObject(mo, "Ddl", ms[k]->ddl);
                cJSON_AddItemToArray(ma, mo);
            }
            free(ms);
        }
        cJSON *tabs = cJSON_AddArrayToObject(ij, "Tables");
        for (size_t j = 0; j < ots_store_table_count(in); j++) {
            const ots_table_t *t = ots_store_table_at(in, j);
            /* Index tables are saved as their base's "Indexes" and rebuilt. */
            if (!ots_index_find(in, ots_table_schema_of(t)->name))
                cJSON_AddItemToArray(tabs, table_to_json(in, t, with_rows));
        }
        cJSON_AddItemToArray(arr, ij);
    }
    return o;
}

static cJSON *section_save(const void *state)
{
    return store_to_json(state, true);
}

static cJSON *section_save_meta(const void *state)
{
    return store_to_json(state, false);
}

/* Rows stay with the table of the same instance and name. An index that
 * the old state did not have (the log's CreateIndex) is built from its
 * base rows once they are here: its build was not journaled. Search
 * indexes take the old state's postings, or are built again. */
static void section_adopt(void *state, void *old_state)
{
    ots_store_t *s = state, *old = old_state;
    for (size_t i = 0; s && old && i < ots_store_instance_count(s); i++) {
        ots_instance_t *in = ots_store_instance_at(s, i);
        ots_instance_t *oin = ots_store_instance_find(old, ots_instance_name(in));
        for (size_t j = 0; oin && j < ots_store_table_count(in); j++) {
            ots_table_t *t = ots_store_table_at(in, j);
            ots_table_t *ot = ots_store_table_find(oin, ots_table_schema_of(t)->name);
            if (ot)
                ots__table_adopt_rows(t, ot);
        }
        for (size_t j = 0; oin && j < ots_store_table_count(in); j++) {
            const char *name = ots_table_schema_of(ots_store_table_at(in, j))->name;
            emu_err e = {0};
            if (ots_index_find(in, name) && !ots_store_table_find(oin, name) &&
                ots_index_rebuild(in, name, &e))
                emu_log(EMU_LOG_WARN, "ERR OTSInternalServerError index %s rebuild: %s", name,
                        e.msg);
        }
        if (oin)
            ots_search_adopt(in, oin);
    }
}

static void *section_clone(const void *state)
{
    ots_store_t *c = state ? ots_store_clone(state) : NULL;
    if (c) {
        ots_index_clone_store(state, c);
        ots_search_clone_store(state, c);
        ots_sqlmap_clone_store(state, c);
    }
    return c;
}

static void section_free(void *state)
{
    store_free(state);
}

static size_t section_stats(const void *state, world_stat *out, size_t cap)
{
    const ots_store_t *s = state;
    size_t tables = 0, rows = 0, bytes = 0;
    size_t n = s ? ots_store_instance_count(s) : 0;
    for (size_t i = 0; i < n; i++) {
        const ots_instance_t *in = ots_store_instance_at(s, i);
        for (size_t j = 0; j < ots_store_table_count(in); j++) {
            const ots_table_t *t = ots_store_table_at(in, j);
            tables++;
            rows += ots_table_row_count(t);
            bytes += ots_table_bytes(t);
        }
    }
    const world_stat st[] = {{"instances", (double)n},
                             {"tables", (double)tables},
                             {"rows", (double)rows},
                             {"bytes", (double)bytes}};
    size_t k = 0;
    for (; k < cap && k < sizeof st / sizeof st[0]; k++)
        out[k] = st[k];
    return k;
}

const world_section ots_world_section = {
    .name = "Tablestore",
    .load = section_load,
    .save = section_save,
    .clone = section_clone,
    .free = section_free,
    .stats = section_stats,
    .save_meta = section_save_meta,
    .adopt = section_adopt,
};

ots_instance_t *ots_section_instance(void *state, const char *instance_name)
{
    return state ? ots_store_instance_find(state, instance_name) : NULL;
}
